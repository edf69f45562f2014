#ifndef PROXY_HEADER_PRIVATE_H
#define PROXY_HEADER_PRIVATE_H

#include "proxy-header.h"

#define PROXY_HEADER_V1_SIGNATURE "PROXY "
#define PROXY_HEADER_V1_SIGNATURE_SIZE 6
/* "PROXY UNKNOWN\r\n" */
#define PROXY_HEADER_V1_MIN_SIZE 15
#define PROXY_HEADER_V2_SIGNATURE "\r\n\r\n\0\r\nQUIT\n"
#define PROXY_HEADER_V2_SIGNATURE_SIZE 12
#define PROXY_HEADER_CRC32C_SIZE 4

enum proxy_header_result
proxy_header_decode_v1(const unsigned char *data, size_t size,
		       struct proxy_header *hdr, size_t *need_r,
		       const char **reason_r);
/* The v1 parser without its fast path, for the tests: hdr, *need_r and
   *reason_r must be zeroed like proxy_header_decode() does. */
enum proxy_header_result
proxy_header_decode_v1_strict(const unsigned char *data, size_t size,
			      struct proxy_header *hdr, size_t *need_r,
			      const char **reason_r);
enum proxy_header_result
proxy_header_decode_v2(const unsigned char *data, size_t size,
		       size_t max_size, struct proxy_header *hdr, size_t *need_r,
		       const char **reason_r);
/* Decode the TLV block of a complete v2 header */
bool proxy_header_decode_tlvs(const unsigned char *header,
			      struct proxy_header *hdr, const char **reason_r);

bool proxy_header_parse_ipv4(const char *str, size_t len,
			     unsigned char ip_r[4]);
bool proxy_header_parse_ipv6(const char *str, size_t len,
			     unsigned char ip_r[16]);

typedef uint32_t
proxy_header_crc32c_func_t(uint32_t crc, const unsigned char *data,
			   size_t size);
struct proxy_header_crc32c_impl {
	const char *name;
	proxy_header_crc32c_func_t *func;
	/* NULL when every CPU can run it */
	bool (*cpu_has)(void);
};
/* The CRC32C implementations built in, for the tests: proxy_header_crc32c()
   uses the first one the CPU can run. */
unsigned int
proxy_header_crc32c_impls(const struct proxy_header_crc32c_impl **impls_r);

static inline uint16_t proxy_header_be16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t proxy_header_le32(const unsigned char *p)
{
	return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) |
		((uint32_t)p[1] << 8) | (uint32_t)p[0];
}

static inline uint32_t proxy_header_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

#endif
