/* Decoder cost against a baseline that only reads each byte of the header
   once. Modes:
     decoder-bench FIXTURE_DIR time
       nanoseconds per header (median of repeated runs) for each corpus
       header, decoder and baseline, and their ratio
     decoder-bench FIXTURE_DIR run NAME decode|baseline COUNT
       COUNT calls on one header, for valgrind --tool=callgrind */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy-header.h"

#define CORPUS_MAX_SIZE 4096
#define TIME_ROUNDS 21
#define TIME_CALLS 20000

struct corpus_header {
	const char *name;
	unsigned char data[CORPUS_MAX_SIZE];
	size_t size;
};

static const char *const fixture_names[] = {
	"v1-tcp4", "v1-tcp6", "v2-tcp4", "v2-tcp6", "v2-ssl-cn-verified",
	"v2-crc32c-unique-id", "v2-all-options",
};

static struct corpus_header corpus[8];
static unsigned int corpus_count;
static volatile unsigned int sink;

static void load_fixture(const char *dir, const char *name)
{
	struct corpus_header *h = &corpus[corpus_count++];
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(2);
	}
	h->name = name;
	h->size = fread(h->data, 1, sizeof(h->data), f);
	fclose(f);
}

static void put_tlv(unsigned char *p, size_t *pos, unsigned char type,
		    const void *value, size_t len)
{
	p[(*pos)++] = type;
	p[(*pos)++] = (unsigned char)(len >> 8);
	p[(*pos)++] = (unsigned char)len;
	memcpy(p + *pos, value, len);
	*pos += len;
}

/* The largest valid header: SSL with every sub-TLV, ALPN, AUTHORITY,
   UNIQUE_ID, NETNS, custom TLVs up to the 2048-byte cap, and a CRC32C
   over all of it */
static void build_worst_case(void)
{
	static const unsigned char sig[12] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a
	};
	struct corpus_header *h = &corpus[corpus_count++];
	unsigned char *p = h->data, ssl[256], filler[64];
	size_t pos = 0, ssl_len = 0, crc_pos;
	char unique_id[129];

	h->name = "worst-case-tlvs";
	memcpy(p, sig, 12);
	p[12] = 0x21;
	p[13] = 0x21;
	pos = 16;
	memset(p + pos, 0x20, 36);	/* IPv6 addresses and ports */
	pos += 36;
	put_tlv(p, &pos, PROXY_HEADER_TLV_CRC32C, "\0\0\0\0", 4);
	crc_pos = pos - 4;

	ssl[0] = PROXY_HEADER_CLIENT_SSL | PROXY_HEADER_CLIENT_CERT_CONN |
		PROXY_HEADER_CLIENT_CERT_SESS;
	memset(ssl + 1, 0, 4);
	ssl_len = 5;
	put_tlv(ssl, &ssl_len, 0x21, "TLSv1.3", 7);
	put_tlv(ssl, &ssl_len, 0x22, "Firstname Lastname (user@example.org)", 37);
	put_tlv(ssl, &ssl_len, 0x23, "TLS_AES_256_GCM_SHA384", 22);
	put_tlv(ssl, &ssl_len, 0x24, "RSA-SHA256", 10);
	put_tlv(ssl, &ssl_len, 0x25, "RSA2048", 7);
	put_tlv(p, &pos, PROXY_HEADER_TLV_SSL, ssl, ssl_len);
	put_tlv(p, &pos, PROXY_HEADER_TLV_ALPN, "imap", 4);
	put_tlv(p, &pos, PROXY_HEADER_TLV_AUTHORITY,
		"imap.mail.example.org", 21);
	memset(unique_id, 'U', 128);
	put_tlv(p, &pos, PROXY_HEADER_TLV_UNIQUE_ID, unique_id, 128);
	put_tlv(p, &pos, PROXY_HEADER_TLV_NETNS, "mailns", 6);
	memset(filler, 0xa5, sizeof(filler));
	while (pos + 3 + sizeof(filler) <= PROXY_HEADER_V2_MAX_SIZE)
		put_tlv(p, &pos, 0xe0, filler, sizeof(filler));
	p[14] = (unsigned char)((pos - 16) >> 8);
	p[15] = (unsigned char)(pos - 16);
	uint32_t crc = proxy_header_crc32c(0, p, pos);
	p[crc_pos] = (unsigned char)(crc >> 24);
	p[crc_pos + 1] = (unsigned char)(crc >> 16);
	p[crc_pos + 2] = (unsigned char)(crc >> 8);
	p[crc_pos + 3] = (unsigned char)crc;
	h->size = pos;
}

/* noinline: callgrind --toggle-collect counts exactly these calls */
__attribute__((noinline)) static unsigned int
baseline_touch_bytes(const unsigned char *data, size_t size)
{
	unsigned int sum = 0;

	for (size_t i = 0; i < size; i++)
		sum += data[i];
	return sum;
}

__attribute__((noinline)) static unsigned int
decode_header(const unsigned char *data, size_t size)
{
	struct proxy_header hdr;
	size_t need;
	const char *reason;

	if (proxy_header_decode(data, size, &hdr, &need, &reason) !=
	    PROXY_HEADER_COMPLETE) {
		fprintf(stderr, "corpus header does not decode: %s\n",
			reason == NULL ? "incomplete" : reason);
		exit(2);
	}
	return (unsigned int)hdr.size;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_ns(const struct corpus_header *h, int baseline)
{
	double rounds[TIME_ROUNDS];

	for (unsigned int r = 0; r < TIME_ROUNDS; r++) {
		double start = now_ns();
		for (unsigned int i = 0; i < TIME_CALLS; i++) {
			sink += baseline ? baseline_touch_bytes(h->data, h->size) :
				decode_header(h->data, h->size);
		}
		rounds[r] = (now_ns() - start) / TIME_CALLS;
	}
	qsort(rounds, TIME_ROUNDS, sizeof(rounds[0]), cmp_double);
	return rounds[TIME_ROUNDS / 2];
}

static const struct corpus_header *find(const char *name)
{
	for (unsigned int i = 0; i < corpus_count; i++) {
		if (strcmp(corpus[i].name, name) == 0)
			return &corpus[i];
	}
	fprintf(stderr, "unknown header %s\n", name);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s FIXTURE_DIR time | run NAME "
			"decode|baseline COUNT\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(fixture_names) / sizeof(fixture_names[0]); i++)
		load_fixture(argv[1], fixture_names[i]);
	build_worst_case();

	if (strcmp(argv[2], "run") == 0 && argc == 6) {
		const struct corpus_header *h = find(argv[3]);
		int baseline = strcmp(argv[4], "baseline") == 0;
		long count = atol(argv[5]);

		for (long i = 0; i < count; i++) {
			sink += baseline ? baseline_touch_bytes(h->data, h->size) :
				decode_header(h->data, h->size);
		}
		return 0;
	}
	printf("%-22s %6s %10s %12s %7s\n", "header", "bytes", "decode ns",
	       "baseline ns", "ratio");
	for (unsigned int i = 0; i < corpus_count; i++) {
		double d = median_ns(&corpus[i], 0);
		double b = median_ns(&corpus[i], 1);

		printf("%-22s %6zu %10.1f %12.1f %7.2f\n", corpus[i].name,
		       corpus[i].size, d, b, d / b);
	}
	return 0;
}
