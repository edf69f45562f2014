/* Decoder cost against a baseline that only reads each byte of the header
   once. Modes:
     decoder-bench FIXTURE_DIR time
       nanoseconds per header (median of repeated runs) for each corpus
       header, decoder and baseline, and their ratio
     decoder-bench FIXTURE_DIR run NAME decode|baseline COUNT
       COUNT calls on one header, for valgrind --tool=callgrind
     decoder-bench FIXTURE_DIR smoke
       every corpus header decoded once (the test suite's check that the
       benchmark still runs; not timed) */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy-header-encode.h"

/* the worst case fills the decoder's default maximum */
#define CORPUS_MAX_SIZE PROXY_HEADER_MAX_SIZE
#define TIME_ROUNDS 21
#define TIME_CALLS 20000

struct corpus_header {
	const char *name;
	unsigned char data[CORPUS_MAX_SIZE];
	size_t size;
};

static const char *const fixture_names[] = {
	"v1-tcp4", "v1-tcp6", "v2-tcp4", "v2-tcp6", "v2-ssl-cn-verified",
	"v2-ssl-cn-no-cert", "v2-ssl-cn-unverified", "v2-crc32c-unique-id",
	"v2-all-options",
};

/* the fixtures and the worst case */
static struct corpus_header corpus[sizeof(fixture_names) /
				   sizeof(fixture_names[0]) + 1];
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

/* The largest valid header: SSL with every sub-TLV, ALPN, AUTHORITY,
   UNIQUE_ID, NETNS, custom TLVs up to the default maximum size, and a CRC32C
   over all of it */
static void build_worst_case(void)
{
	static unsigned char filler[64];
	static struct proxy_header_tlv fillers[PROXY_HEADER_MAX_SIZE /
					       (3 + sizeof(filler))];
	static char unique_id[PROXY_HEADER_UNIQUE_ID_MAX_SIZE];
	struct corpus_header *h = &corpus[corpus_count++];
	struct proxy_header hdr;
	struct proxy_header_raw_tlvs raw = { fillers, 0, NULL, 0 };
	const char *reason;
	size_t base;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = 2;
	hdr.command = PROXY_HEADER_CMD_PROXY;
	hdr.family = PROXY_HEADER_FAMILY_INET6;
	hdr.transport = PROXY_HEADER_TRANSPORT_STREAM;
	memset(hdr.src.ip, 0x20, sizeof(hdr.src.ip));
	memset(hdr.dst.ip, 0x20, sizeof(hdr.dst.ip));
	hdr.src.port = hdr.dst.port = 0x2020;
	hdr.have_crc32c = true;
	hdr.have_ssl = true;
	hdr.ssl_client = PROXY_HEADER_CLIENT_SSL |
		PROXY_HEADER_CLIENT_CERT_CONN | PROXY_HEADER_CLIENT_CERT_SESS;
	hdr.ssl_version = proxy_header_str("TLSv1.3");
	hdr.ssl_cn = proxy_header_str("Firstname Lastname (user@example.org)");
	hdr.ssl_cipher = proxy_header_str("TLS_AES_256_GCM_SHA384");
	hdr.ssl_sig_alg = proxy_header_str("RSA-SHA256");
	hdr.ssl_key_alg = proxy_header_str("RSA2048");
	hdr.alpn = proxy_header_str("imap");
	hdr.authority = proxy_header_str("imap.mail.example.org");
	memset(unique_id, 'U', sizeof(unique_id));
	hdr.unique_id.data = (const unsigned char *)unique_id;
	hdr.unique_id.size = sizeof(unique_id);
	hdr.netns = proxy_header_str("mailns");

	memset(filler, 0xa5, sizeof(filler));
	base = proxy_header_encoded_size(&hdr, NULL, &reason);
	while (base + (raw.count + 1) * (3 + sizeof(filler)) <=
	       PROXY_HEADER_MAX_SIZE) {
		fillers[raw.count].type = PROXY_HEADER_TLV_CUSTOM_MIN;
		fillers[raw.count].value.data = filler;
		fillers[raw.count].value.size = sizeof(filler);
		raw.count++;
	}
	h->name = "worst-case-tlvs";
	h->size = proxy_header_encode(&hdr, &raw, h->data, sizeof(h->data),
				      &reason);
	if (h->size == 0) {
		fprintf(stderr, "worst case does not encode: %s\n", reason);
		exit(2);
	}
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
		fprintf(stderr, "usage: %s FIXTURE_DIR time | smoke | run NAME "
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
	if (strcmp(argv[2], "smoke") == 0) {
		for (unsigned int i = 0; i < corpus_count; i++) {
			sink += decode_header(corpus[i].data, corpus[i].size);
			printf("ok %u - %s (%zu bytes)\n", i + 1,
			       corpus[i].name, corpus[i].size);
		}
		printf("1..%u\n", corpus_count);
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
