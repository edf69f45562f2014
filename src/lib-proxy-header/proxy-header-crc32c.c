/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as required for
   the PROXY v2 PP2_TYPE_CRC32C TLV.

   x86-64 has it as an instruction (SSE4.2 crc32 computes exactly this
   CRC), but the package must run on any x86-64, so the instruction is used
   only when the CPU reports SSE4.2 at run time. Everything else uses
   slicing-by-8 tables, which take eight independent table loads per 8
   bytes instead of a chain of eight dependent ones. */

#include <string.h>

#include "proxy-header-private.h"
#include "proxy-header-crc32c-table.h"

#if defined(__GNUC__) && defined(__x86_64__)
#  define HAVE_CRC32C_SSE42
#  include <nmmintrin.h>
#endif

static uint32_t
crc32c_bytes(uint32_t crc, const unsigned char *data, size_t size)
{
	for (size_t i = 0; i < size; i++)
		crc = crc32c_table[0][(crc ^ data[i]) & 0xff] ^ (crc >> 8);
	return crc;
}

static uint32_t
crc32c_slicing8(uint32_t crc, const unsigned char *data, size_t size)
{
	crc = ~crc;
	for (; size >= 8; data += 8, size -= 8) {
		/* byte by byte, so that it does not depend on endianness */
		uint32_t lo = crc ^ ((uint32_t)data[0] |
				     ((uint32_t)data[1] << 8) |
				     ((uint32_t)data[2] << 16) |
				     ((uint32_t)data[3] << 24));

		crc = crc32c_table[7][lo & 0xff] ^
			crc32c_table[6][(lo >> 8) & 0xff] ^
			crc32c_table[5][(lo >> 16) & 0xff] ^
			crc32c_table[4][lo >> 24] ^
			crc32c_table[3][data[4]] ^ crc32c_table[2][data[5]] ^
			crc32c_table[1][data[6]] ^ crc32c_table[0][data[7]];
	}
	return ~crc32c_bytes(crc, data, size);
}

#ifdef HAVE_CRC32C_SSE42
__attribute__((target("sse4.2"))) static uint32_t
crc32c_sse42(uint32_t crc, const unsigned char *data, size_t size)
{
	uint64_t crc64 = ~crc;

	for (; size >= 8; data += 8, size -= 8) {
		uint64_t word;

		/* x86 is little-endian and allows unaligned loads */
		memcpy(&word, data, sizeof(word));
		crc64 = _mm_crc32_u64(crc64, word);
	}
	crc = (uint32_t)crc64;
	for (; size > 0; data++, size--)
		crc = _mm_crc32_u8(crc, *data);
	return ~crc;
}

static bool crc32c_sse42_available(void)
{
	/* needed when called from a constructor that may run before
	   libgcc's own */
	__builtin_cpu_init();
	return __builtin_cpu_supports("sse4.2") != 0;
}
#endif

static const struct proxy_header_crc32c_impl crc32c_impls[] = {
#ifdef HAVE_CRC32C_SSE42
	{ "sse4.2", crc32c_sse42, crc32c_sse42_available },
#endif
	{ "slicing-by-8", crc32c_slicing8, NULL },
};

static proxy_header_crc32c_func_t *crc32c_func = crc32c_slicing8;

#ifdef HAVE_CRC32C_SSE42
/* Chosen once when the program or plugin is loaded, before any thread
   can call proxy_header_crc32c(); until then the tables give the same
   answers anyway. */
__attribute__((constructor)) static void crc32c_select(void)
{
	if (crc32c_sse42_available())
		crc32c_func = crc32c_sse42;
}
#endif

unsigned int
proxy_header_crc32c_impls(const struct proxy_header_crc32c_impl **impls_r)
{
	*impls_r = crc32c_impls;
	return sizeof(crc32c_impls) / sizeof(crc32c_impls[0]);
}

uint32_t proxy_header_crc32c(uint32_t crc, const unsigned char *data,
			     size_t size)
{
	return crc32c_func(crc, data, size);
}
