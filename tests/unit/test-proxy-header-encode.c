/* The encoder: decode(encode(x)) == x for every command, family,
   transport and TLV combination, HAProxy's own bytes from the decoded
   fixtures, v1 addresses spelled as inet_ntop() spells them, and every
   reason to refuse. */

#include <arpa/inet.h>
#include <string.h>

#include "proxy-header-encode.h"
#include "round-trip.h"
#include "test-util.h"

enum tlv_kind {
	KIND_ALPN,
	KIND_AUTHORITY,
	KIND_CRC32C,
	KIND_NOOP,
	KIND_UNIQUE_ID,
	KIND_SSL,
	KIND_NETNS,
	KIND_CUSTOM,

	KIND_COUNT
};

enum ssl_sub_kind {
	SSL_SUB_VERSION,
	SSL_SUB_CN,
	SSL_SUB_CIPHER,
	SSL_SUB_SIG_ALG,
	SSL_SUB_KEY_ALG,
	SSL_SUB_UNKNOWN,

	SSL_SUB_COUNT
};

/* the raw TLVs of one test header */
struct test_tlvs {
	struct proxy_header_tlv tlvs[8], ssl_tlvs[2];
	struct proxy_header_raw_tlvs raw;
};

static struct proxy_header_tlv
tlv(uint8_t type, const char *value, size_t size)
{
	struct proxy_header_tlv t;

	t.type = type;
	t.value.data = (const unsigned char *)value;
	t.value.size = size;
	return t;
}

static void raw_init(struct test_tlvs *t)
{
	memset(t, 0, sizeof(*t));
	t->raw.tlvs = t->tlvs;
	t->raw.ssl_tlvs = t->ssl_tlvs;
}

static void raw_add(struct test_tlvs *t, struct proxy_header_tlv value)
{
	g_assert_cmpuint(t->raw.count, <, G_N_ELEMENTS(t->tlvs));
	t->tlvs[t->raw.count++] = value;
}

static void
set_addresses(struct proxy_header *hdr, enum proxy_header_family family)
{
	static const unsigned char src4[4] = { 192, 0, 2, 1 };
	static const unsigned char dst4[4] = { 10, 0, 0, 2 };
	static const unsigned char src6[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};
	static const unsigned char dst6[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2
	};

	hdr->family = family;
	hdr->src.port = 54321;
	hdr->dst.port = 993;
	switch (family) {
	case PROXY_HEADER_FAMILY_UNSPEC:
		/* no address block: neither written nor decoded */
		hdr->src.port = hdr->dst.port = 0;
		break;
	case PROXY_HEADER_FAMILY_INET:
		memcpy(hdr->src.ip, src4, 4);
		memcpy(hdr->dst.ip, dst4, 4);
		break;
	case PROXY_HEADER_FAMILY_INET6:
		memcpy(hdr->src.ip, src6, 16);
		memcpy(hdr->dst.ip, dst6, 16);
		break;
	case PROXY_HEADER_FAMILY_UNIX:
		hdr->src.port = hdr->dst.port = 0;
		hdr->src.unix_path = proxy_header_str("/run/haproxy/imap.sock");
		/* an abstract socket: its name starts with NUL */
		hdr->dst.unix_path = proxy_header_str("");
		break;
	}
}

/* A TCP client's header with the test addresses and no TLVs */
static void
header_init(struct proxy_header *hdr, unsigned int version,
	    enum proxy_header_family family)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = version;
	hdr->command = PROXY_HEADER_CMD_PROXY;
	hdr->transport = PROXY_HEADER_TRANSPORT_STREAM;
	set_addresses(hdr, family);
}

static void v2_inet(struct proxy_header *hdr)
{
	header_init(hdr, 2, PROXY_HEADER_FAMILY_INET);
}

static void v1_tcp4(struct proxy_header *hdr)
{
	header_init(hdr, 1, PROXY_HEADER_FAMILY_INET);
}

static void set_ssl(struct proxy_header *hdr, unsigned int sub_mask)
{
	hdr->have_ssl = TRUE;
	hdr->ssl_client = PROXY_HEADER_CLIENT_SSL |
		PROXY_HEADER_CLIENT_CERT_CONN | PROXY_HEADER_CLIENT_CERT_SESS;
	if ((sub_mask & (1u << SSL_SUB_VERSION)) != 0)
		hdr->ssl_version = proxy_header_str("TLSv1.3");
	if ((sub_mask & (1u << SSL_SUB_CN)) != 0)
		hdr->ssl_cn = proxy_header_str("Jane Doe (jane@example.org)");
	if ((sub_mask & (1u << SSL_SUB_CIPHER)) != 0)
		hdr->ssl_cipher = proxy_header_str("TLS_AES_256_GCM_SHA384");
	if ((sub_mask & (1u << SSL_SUB_SIG_ALG)) != 0)
		hdr->ssl_sig_alg = proxy_header_str("RSA-SHA256");
	if ((sub_mask & (1u << SSL_SUB_KEY_ALG)) != 0)
		hdr->ssl_key_alg = proxy_header_str("RSA2048");
}

/* The byte-range fields: the top-level TLVs', then the SSL sub-TLVs' */
#define TOP_STRING_COUNT 4
#define SSL_STRING_COUNT 5
static struct proxy_header_bytes *
string_field(struct proxy_header *hdr, unsigned int i)
{
	struct proxy_header_bytes *strings[] = {
		&hdr->alpn, &hdr->authority, &hdr->unique_id, &hdr->netns,
		&hdr->ssl_version, &hdr->ssl_cn, &hdr->ssl_cipher,
		&hdr->ssl_sig_alg, &hdr->ssl_key_alg,
	};

	g_assert_cmpuint(i, <, G_N_ELEMENTS(strings));
	return strings[i];
}

static struct proxy_header_bytes *
ssl_string(struct proxy_header *hdr, unsigned int i)
{
	return string_field(hdr, TOP_STRING_COUNT + i);
}

static void
set_tlvs(struct proxy_header *hdr, struct test_tlvs *t, unsigned int mask)
{
	if ((mask & (1u << KIND_ALPN)) != 0)
		hdr->alpn = proxy_header_str("imap");
	if ((mask & (1u << KIND_AUTHORITY)) != 0)
		hdr->authority = proxy_header_str("mail.example.org");
	hdr->have_crc32c = (mask & (1u << KIND_CRC32C)) != 0;
	if ((mask & (1u << KIND_NOOP)) != 0) {
		raw_add(t, tlv(PROXY_HEADER_TLV_NOOP, NULL, 0));
		raw_add(t, tlv(PROXY_HEADER_TLV_NOOP, "\0\0\0", 3));
	}
	/* empty: the decoder keeps it apart from an absent one */
	if ((mask & (1u << KIND_UNIQUE_ID)) != 0)
		hdr->unique_id = proxy_header_str("");
	if ((mask & (1u << KIND_SSL)) != 0) {
		set_ssl(hdr, (1u << SSL_SUB_COUNT) - 1);
		t->ssl_tlvs[t->raw.ssl_count++] = tlv(0x29, "x", 1);
	}
	if ((mask & (1u << KIND_NETNS)) != 0)
		hdr->netns = proxy_header_str("mailns");
	if ((mask & (1u << KIND_CUSTOM)) != 0) {
		raw_add(t, tlv(PROXY_HEADER_TLV_CUSTOM_MIN, "ab", 2));
		raw_add(t, tlv(0xea, "\x01", 1));
		raw_add(t, tlv(PROXY_HEADER_TLV_EXPERIMENT_MIN, NULL, 0));
		raw_add(t, tlv(0xf8, "\xff\x00", 2));
		/* an SSL sub-TLV's type means nothing at the top level */
		raw_add(t, tlv(PROXY_HEADER_TLV_SSL_CN, "cn", 2));
	}
}

/* Encode, check the size both functions give, decode, compare. Returns
   the size; the bytes are left in buf. */
static size_t
assert_round_trip_buf(const struct proxy_header *hdr,
		      const struct proxy_header_raw_tlvs *raw,
		      unsigned char buf[PROXY_HEADER_MAX_SIZE])
{
	struct proxy_header decoded;
	enum proxy_header_result ret;
	const char *reason, *field;
	size_t size, need;

	size = proxy_header_encode(hdr, raw, buf, PROXY_HEADER_MAX_SIZE,
				   &reason);
	if (size == 0)
		g_error("encoding failed: %s", reason);
	g_assert_null(reason);
	g_assert_cmpuint(proxy_header_encoded_size(hdr, raw, &reason), ==,
			 size);
	ret = proxy_header_decode(buf, size, &decoded, &need, &reason);
	if (ret == PROXY_HEADER_INVALID)
		g_error("the encoded header is invalid: %s", reason);
	g_assert_cmpint(ret, ==, PROXY_HEADER_COMPLETE);
	g_assert_cmpuint(decoded.size, ==, size);
	field = round_trip_difference(hdr, raw, &decoded);
	if (field != NULL)
		g_error("decode(encode(x)) differs from x in %s", field);
	return size;
}

static size_t
assert_round_trip(const struct proxy_header *hdr,
		  const struct proxy_header_raw_tlvs *raw)
{
	unsigned char buf[PROXY_HEADER_MAX_SIZE];

	return assert_round_trip_buf(hdr, raw, buf);
}

/* Every command x family x transport, each with every subset of TLVs */
static void test_v2_combinations(void)
{
	static const enum proxy_header_transport transports[] = {
		PROXY_HEADER_TRANSPORT_UNSPEC, PROXY_HEADER_TRANSPORT_STREAM,
		PROXY_HEADER_TRANSPORT_DGRAM,
	};
	unsigned int count = 0;

	for (unsigned int cmd = 0; cmd <= PROXY_HEADER_CMD_PROXY; cmd++)
	for (unsigned int fam = 0; fam <= PROXY_HEADER_FAMILY_UNIX; fam++)
	for (size_t tr = 0; tr < G_N_ELEMENTS(transports); tr++)
	for (unsigned int mask = 0; mask < (1u << KIND_COUNT); mask++) {
		struct proxy_header hdr;
		struct test_tlvs t;

		header_init(&hdr, 2, (enum proxy_header_family)fam);
		hdr.command = (enum proxy_header_command)cmd;
		hdr.transport = transports[tr];
		raw_init(&t);
		set_tlvs(&hdr, &t, mask);
		(void)assert_round_trip(&hdr, &t.raw);
		count++;
	}
	g_assert_cmpuint(count, ==, 2 * 4 * 3 * 256);
}

/* Every subset of SSL sub-TLVs with every client byte: certificate data
   without the SSL flag is written as it is, and refused by the decoder */
static void test_v2_ssl_combinations(void)
{
	static const uint32_t verify_results[] = { 0, 18, 0xffffffff };

	for (unsigned int sub = 0; sub < (1u << SSL_SUB_COUNT); sub++)
	for (unsigned int client = 0; client < 8; client++)
	for (size_t v = 0; v < G_N_ELEMENTS(verify_results); v++) {
		struct proxy_header hdr;
		struct test_tlvs t;

		v2_inet(&hdr);
		raw_init(&t);
		set_ssl(&hdr, sub);
		hdr.ssl_client = (uint8_t)client;
		hdr.ssl_verify = verify_results[v];
		if ((sub & (1u << SSL_SUB_UNKNOWN)) != 0) {
			t.ssl_tlvs[t.raw.ssl_count++] = tlv(0x29, "x", 1);
			t.ssl_tlvs[t.raw.ssl_count++] = tlv(0x2f, NULL, 0);
		}

		bool forged = (client & PROXY_HEADER_CLIENT_SSL) == 0 &&
			((client & (PROXY_HEADER_CLIENT_CERT_CONN |
				    PROXY_HEADER_CLIENT_CERT_SESS)) != 0 ||
			 hdr.ssl_cn.data != NULL);
		if (!forged) {
			(void)assert_round_trip(&hdr, &t.raw);
			continue;
		}

		unsigned char buf[PROXY_HEADER_MAX_SIZE];
		struct proxy_header decoded;
		const char *reason;
		size_t size, need;

		size = proxy_header_encode(&hdr, &t.raw, buf, sizeof(buf),
					   &reason);
		g_assert_cmpuint(size, >, 0);
		g_assert_cmpint(proxy_header_decode(buf, size, &decoded, &need,
						    &reason), ==,
				PROXY_HEADER_INVALID);
		g_assert_cmpstr(reason, ==, "SSL TLV has client certificate "
				"data without the SSL client flag");
	}
}

static void test_v2_unix_paths(void)
{
	char full[PROXY_HEADER_UNIX_PATH_SIZE];
	struct proxy_header hdr;

	header_init(&hdr, 2, PROXY_HEADER_FAMILY_UNIX);
	/* a path filling all 108 bytes has no terminating NUL */
	memset(full, 'p', sizeof(full));
	hdr.src.unix_path.data = (const unsigned char *)full;
	hdr.src.unix_path.size = sizeof(full);
	/* absent and empty are the same block of zeros */
	hdr.dst.unix_path = proxy_header_str(NULL);
	(void)assert_round_trip(&hdr, NULL);
	hdr.dst.unix_path = proxy_header_str("");
	(void)assert_round_trip(&hdr, NULL);
}

/* HAProxy's order, whatever the order of the types */
static void test_v2_tlv_order(void)
{
	static const uint8_t expected[] = {
		PROXY_HEADER_TLV_CRC32C, PROXY_HEADER_TLV_ALPN,
		PROXY_HEADER_TLV_AUTHORITY, PROXY_HEADER_TLV_UNIQUE_ID,
		PROXY_HEADER_TLV_SSL, PROXY_HEADER_TLV_NETNS,
		PROXY_HEADER_TLV_NOOP, PROXY_HEADER_TLV_NOOP,
		PROXY_HEADER_TLV_CUSTOM_MIN, 0xea,
		PROXY_HEADER_TLV_EXPERIMENT_MIN, 0xf8, PROXY_HEADER_TLV_SSL_CN,
	};
	static const uint8_t expected_ssl[] = {
		PROXY_HEADER_TLV_SSL_VERSION, PROXY_HEADER_TLV_SSL_CN,
		PROXY_HEADER_TLV_SSL_KEY_ALG, PROXY_HEADER_TLV_SSL_SIG_ALG,
		PROXY_HEADER_TLV_SSL_CIPHER, 0x29,
	};
	unsigned char buf[PROXY_HEADER_MAX_SIZE];
	struct proxy_header hdr, decoded, ssl_view;
	struct proxy_header_tlv t;
	struct test_tlvs raw;
	const char *reason;
	size_t size, need, pos = 0, i = 0;

	v2_inet(&hdr);
	raw_init(&raw);
	set_tlvs(&hdr, &raw, (1u << KIND_COUNT) - 1);
	size = assert_round_trip_buf(&hdr, &raw.raw, buf);
	g_assert_cmpint(proxy_header_decode(buf, size, &decoded, &need,
					    &reason), ==,
			PROXY_HEADER_COMPLETE);

	memset(&ssl_view, 0, sizeof(ssl_view));
	while (proxy_header_tlv_next(&decoded, &pos, &t)) {
		g_assert_cmpuint(i, <, G_N_ELEMENTS(expected));
		g_assert_cmphex(t.type, ==, expected[i++]);
		if (t.type == PROXY_HEADER_TLV_SSL) {
			ssl_view.tlvs.data = t.value.data +
				PROXY_HEADER_SSL_FIXED_SIZE;
			ssl_view.tlvs.size = t.value.size -
				PROXY_HEADER_SSL_FIXED_SIZE;
		}
	}
	g_assert_cmpuint(i, ==, G_N_ELEMENTS(expected));

	pos = i = 0;
	while (proxy_header_tlv_next(&ssl_view, &pos, &t)) {
		g_assert_cmpuint(i, <, G_N_ELEMENTS(expected_ssl));
		g_assert_cmphex(t.type, ==, expected_ssl[i++]);
	}
	g_assert_cmpuint(i, ==, G_N_ELEMENTS(expected_ssl));
}

/* The checksum covers the whole header with its own field zeroed */
static void test_v2_crc32c(void)
{
	unsigned char buf[PROXY_HEADER_MAX_SIZE], copy[PROXY_HEADER_MAX_SIZE];
	struct proxy_header hdr;
	struct test_tlvs raw;
	size_t size;
	/* the first TLV, after the fixed part and the INET block */
	const size_t crc_pos = PROXY_HEADER_V2_FIXED_SIZE + 12 + 3;

	v2_inet(&hdr);
	raw_init(&raw);
	set_tlvs(&hdr, &raw, (1u << KIND_COUNT) - 1);
	size = assert_round_trip_buf(&hdr, &raw.raw, buf);

	g_assert_cmphex(buf[crc_pos - 3], ==, PROXY_HEADER_TLV_CRC32C);
	memcpy(copy, buf, size);
	memset(copy + crc_pos, 0, 4);
	uint32_t crc = proxy_header_crc32c(0, copy, size);
	g_assert_cmphex(buf[crc_pos], ==, (crc >> 24) & 0xff);
	g_assert_cmphex(buf[crc_pos + 1], ==, (crc >> 16) & 0xff);
	g_assert_cmphex(buf[crc_pos + 2], ==, (crc >> 8) & 0xff);
	g_assert_cmphex(buf[crc_pos + 3], ==, crc & 0xff);
}

static void
assert_v1(const struct proxy_header *hdr, const char *expected)
{
	unsigned char buf[PROXY_HEADER_MAX_SIZE];
	size_t size = assert_round_trip_buf(hdr, NULL, buf);

	g_assert_cmpmem(buf, size, expected, strlen(expected));
}

static void test_v1_forms(void)
{
	struct proxy_header hdr;

	header_init(&hdr, 1, PROXY_HEADER_FAMILY_UNSPEC);
	hdr.transport = PROXY_HEADER_TRANSPORT_UNSPEC;
	assert_v1(&hdr, "PROXY UNKNOWN\r\n");

	v1_tcp4(&hdr);
	assert_v1(&hdr, "PROXY TCP4 192.0.2.1 10.0.0.2 54321 993\r\n");
	set_addresses(&hdr, PROXY_HEADER_FAMILY_INET6);
	assert_v1(&hdr, "PROXY TCP6 2001:db8::1 2001:db8::2 54321 993\r\n");

	/* the longest line */
	memset(hdr.src.ip, 0xff, 16);
	memset(hdr.dst.ip, 0xff, 16);
	hdr.src.port = hdr.dst.port = 65535;
	assert_v1(&hdr, "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");
	hdr.src.port = hdr.dst.port = 0;
	memset(hdr.src.ip, 0, 16);
	memset(hdr.dst.ip, 0, 16);
	assert_v1(&hdr, "PROXY TCP6 :: :: 0 0\r\n");

	/* TCP4 says STREAM: an unset transport is not written either */
	hdr.transport = PROXY_HEADER_TRANSPORT_UNSPEC;
	set_addresses(&hdr, PROXY_HEADER_FAMILY_INET);
	unsigned char buf[PROXY_HEADER_MAX_SIZE];
	const char *reason;
	size_t size = proxy_header_encode(&hdr, NULL, buf, sizeof(buf),
					  &reason);
	g_assert_cmpmem(buf, size, "PROXY TCP4 192.0.2.1 10.0.0.2 54321 "
			"993\r\n", 41);
}

static unsigned int random_group(void)
{
	/* mostly zeros and the groups inet_ntop() treats specially, so that
	   runs of every length and IPv4 tails come up often */
	switch (g_test_rand_int_range(0, 6)) {
	case 0:
	case 1:
	case 2:
		return 0;
	case 3:
		return 0xffff;
	case 4:
		return (unsigned int)g_test_rand_int_range(1, 16);
	}
	return (unsigned int)g_test_rand_int_range(0, 0x10000);
}

static void random_ipv6(unsigned char ip[16])
{
	for (unsigned int i = 0; i < 8; i++) {
		unsigned int group = random_group();

		ip[i * 2] = (unsigned char)(group >> 8);
		ip[i * 2 + 1] = (unsigned char)group;
	}
}

/* The addresses as HAProxy writes them, through inet_ntop() */
static void test_v1_addresses_as_inet_ntop(void)
{
	struct proxy_header hdr;

	header_init(&hdr, 1, PROXY_HEADER_FAMILY_INET6);
	for (unsigned int i = 0; i < 20000; i++) {
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
		int af = i % 4 == 0 ? AF_INET : AF_INET6;

		if (af == AF_INET) {
			hdr.family = PROXY_HEADER_FAMILY_INET;
			for (unsigned int b = 0; b < 4; b++) {
				hdr.src.ip[b] = (unsigned char)
					g_test_rand_int_range(0, 256);
				hdr.dst.ip[b] = (unsigned char)
					g_test_rand_int_range(0, 256);
			}
		} else {
			hdr.family = PROXY_HEADER_FAMILY_INET6;
			random_ipv6(hdr.src.ip);
			random_ipv6(hdr.dst.ip);
		}
		hdr.src.port = (uint16_t)g_test_rand_int_range(0, 0x10000);
		hdr.dst.port = (uint16_t)g_test_rand_int_range(0, 0x10000);
		g_assert_nonnull(inet_ntop(af, hdr.src.ip, src, sizeof(src)));
		g_assert_nonnull(inet_ntop(af, hdr.dst.ip, dst, sizeof(dst)));

		char *line = g_strdup_printf("PROXY %s %s %s %u %u\r\n",
					     af == AF_INET ? "TCP4" : "TCP6",
					     src, dst, hdr.src.port,
					     hdr.dst.port);
		assert_v1(&hdr, line);
		g_free(line);
	}
}

static void test_v1_ipv6_special_forms(void)
{
	static const struct {
		unsigned char ip[16];
		const char *text;
	} forms[] = {
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, "::1" },
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 },
		  "::ffff:192.0.2.1" },
		{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 },
		  "::1.2.3.4" },
		/* one zero group is not shortened */
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1,
		    0, 1, 0, 1, 0, 1, 0, 1 }, "2001:db8:0:1:1:1:1:1" },
		/* the first of two equally long runs */
		{ { 0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1 },
		  "2001::1:0:0:1:1" },
		/* the longer of two runs */
		{ { 0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 },
		  "2001:0:0:1::1" },
		{ { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		    0, 0, 0, 0, 0, 0, 0, 0 }, "2001:db8::" },
	};
	struct proxy_header hdr;

	header_init(&hdr, 1, PROXY_HEADER_FAMILY_INET6);
	for (size_t i = 0; i < G_N_ELEMENTS(forms); i++) {
		memcpy(hdr.src.ip, forms[i].ip, 16);
		memcpy(hdr.dst.ip, forms[i].ip, 16);
		char *line = g_strdup_printf("PROXY TCP6 %s %s 54321 993\r\n",
					     forms[i].text, forms[i].text);
		assert_v1(&hdr, line);
		g_free(line);
	}
}

/* What HAProxy sent, decoded and encoded again, is what HAProxy sent */
static void test_fixture_bytes(gconstpointer data)
{
	const char *name = data;
	static struct round_trip_raw raw;
	unsigned char buf[PROXY_HEADER_MAX_SIZE];
	GByteArray *fixture = test_fixture(name);
	struct proxy_header hdr;

	test_decode_complete(fixture, &hdr);
	round_trip_raw_tlvs(&hdr, &raw);
	size_t size = assert_round_trip_buf(&hdr, &raw.raw, buf);
	g_assert_cmpmem(buf, size, fixture->data, fixture->len);
	g_byte_array_unref(fixture);
}

static void
assert_refused(const struct proxy_header *hdr,
	       const struct proxy_header_raw_tlvs *raw, const char *expected)
{
	unsigned char buf[PROXY_HEADER_MAX_SIZE];
	const char *reason = NULL;

	g_assert_cmpuint(proxy_header_encode(hdr, raw, buf, sizeof(buf),
					     &reason), ==, 0);
	g_assert_cmpstr(reason, ==, expected);
	/* not a matter of the cap or the buffer: no size at all */
	g_assert_cmpuint(proxy_header_encoded_size(hdr, raw, &reason), ==, 0);
	g_assert_cmpstr(reason, ==, expected);
}

static void test_refused_fields(void)
{
	char long_path[PROXY_HEADER_UNIX_PATH_SIZE + 1];
	struct proxy_header hdr;
	struct test_tlvs t;

	v2_inet(&hdr);
	hdr.version = 0;
	assert_refused(&hdr, NULL, "version is neither 1 nor 2");
	hdr.version = 3;
	assert_refused(&hdr, NULL, "version is neither 1 nor 2");
	v2_inet(&hdr);
	hdr.command = (enum proxy_header_command)2;
	assert_refused(&hdr, NULL, "unknown command");
	v2_inet(&hdr);
	hdr.family = (enum proxy_header_family)4;
	assert_refused(&hdr, NULL, "unknown address family");
	v2_inet(&hdr);
	hdr.transport = (enum proxy_header_transport)3;
	assert_refused(&hdr, NULL, "unknown transport protocol");

	v1_tcp4(&hdr);
	hdr.command = PROXY_HEADER_CMD_LOCAL;
	assert_refused(&hdr, NULL, "v1 has no LOCAL command (PROXY UNKNOWN "
		       "is PROXY with family UNSPEC)");
	v1_tcp4(&hdr);
	set_addresses(&hdr, PROXY_HEADER_FAMILY_UNIX);
	assert_refused(&hdr, NULL, "v1 cannot express UNIX addresses");
	v1_tcp4(&hdr);
	hdr.transport = PROXY_HEADER_TRANSPORT_DGRAM;
	assert_refused(&hdr, NULL, "v1 cannot express the DGRAM transport");
	/* every kind of TLV, one at a time */
	for (unsigned int kind = 0; kind < KIND_COUNT; kind++) {
		v1_tcp4(&hdr);
		raw_init(&t);
		set_tlvs(&hdr, &t, 1u << kind);
		assert_refused(&hdr, &t.raw, "v1 header cannot carry TLVs");
	}
	v1_tcp4(&hdr);
	hdr.ssl_verify = 18;
	assert_refused(&hdr, NULL, "v1 header cannot carry TLVs");

	/* nothing of SSL is dropped silently */
	for (unsigned int i = 0; i < SSL_STRING_COUNT; i++) {
		v2_inet(&hdr);
		*ssl_string(&hdr, i) = proxy_header_str("x");
		assert_refused(&hdr, NULL,
			       "SSL fields are set without have_ssl");
	}
	v2_inet(&hdr);
	hdr.ssl_client = PROXY_HEADER_CLIENT_SSL;
	assert_refused(&hdr, NULL, "SSL fields are set without have_ssl");
	v2_inet(&hdr);
	hdr.ssl_verify = 1;
	assert_refused(&hdr, NULL, "SSL fields are set without have_ssl");
	v2_inet(&hdr);
	raw_init(&t);
	t.ssl_tlvs[t.raw.ssl_count++] = tlv(0x29, "x", 1);
	assert_refused(&hdr, &t.raw, "SSL fields are set without have_ssl");

	memset(long_path, 'p', sizeof(long_path));
	v2_inet(&hdr);
	set_addresses(&hdr, PROXY_HEADER_FAMILY_UNIX);
	hdr.src.unix_path.data = (const unsigned char *)long_path;
	hdr.src.unix_path.size = sizeof(long_path);
	assert_refused(&hdr, NULL, "UNIX path is longer than 108 bytes");
	set_addresses(&hdr, PROXY_HEADER_FAMILY_UNIX);
	hdr.dst.unix_path.data = (const unsigned char *)long_path;
	hdr.dst.unix_path.size = sizeof(long_path);
	assert_refused(&hdr, NULL, "UNIX path is longer than 108 bytes");
}

static void test_refused_lengths(void)
{
	const size_t big = 65536;
	char *value = g_malloc0(big);
	struct proxy_header_bytes too_long = {
		(const unsigned char *)value, big
	};
	struct proxy_header_bytes longest = {
		(const unsigned char *)value, big - 1
	};
	struct proxy_header hdr;
	struct test_tlvs t;

	for (unsigned int i = 0; i < TOP_STRING_COUNT + SSL_STRING_COUNT; i++) {
		v2_inet(&hdr);
		if (i >= TOP_STRING_COUNT)
			set_ssl(&hdr, 0);
		*string_field(&hdr, i) = too_long;
		assert_refused(&hdr, NULL,
			       "TLV value is longer than 65535 bytes");
	}
	v2_inet(&hdr);
	raw_init(&t);
	raw_add(&t, tlv(PROXY_HEADER_TLV_CUSTOM_MIN, value, big));
	assert_refused(&hdr, &t.raw, "TLV value is longer than 65535 bytes");

	/* each sub-TLV fits, their sum does not */
	v2_inet(&hdr);
	set_ssl(&hdr, 0);
	hdr.ssl_cn = longest;
	hdr.ssl_cipher = proxy_header_str("TLS_AES_256_GCM_SHA384");
	assert_refused(&hdr, NULL, "SSL TLV is longer than 65535 bytes");
	v2_inet(&hdr);
	set_ssl(&hdr, 0);
	raw_init(&t);
	t.ssl_tlvs[t.raw.ssl_count++] = tlv(0x29, value, big - 10);
	t.ssl_tlvs[t.raw.ssl_count++] = tlv(0x29, value, 10);
	assert_refused(&hdr, &t.raw, "SSL TLV is longer than 65535 bytes");

	/* each TLV fits, the header does not */
	v2_inet(&hdr);
	hdr.alpn = longest;
	hdr.authority = proxy_header_str("a");
	assert_refused(&hdr, NULL, "v2 header is longer than the protocol's "
		       "65551 bytes");
	v2_inet(&hdr);
	hdr.netns = longest;
	raw_init(&t);
	raw_add(&t, tlv(PROXY_HEADER_TLV_NOOP, NULL, 0));
	assert_refused(&hdr, &t.raw, "v2 header is longer than the "
		       "protocol's 65551 bytes");
	g_free(value);
}

/* Far more raw TLVs than fit: refused after the first few that overflow,
   without walking the rest */
static void test_refused_tlv_count(void)
{
	const size_t count = 100000;
	struct proxy_header_tlv *many = g_new0(struct proxy_header_tlv, count);
	struct proxy_header_raw_tlvs raw = { many, count, NULL, 0 };
	struct proxy_header hdr;

	v2_inet(&hdr);
	assert_refused(&hdr, &raw, "v2 header is longer than the protocol's "
		       "65551 bytes");
	g_free(many);
}

/* One raw TLV of the given value size after an INET block */
static void
inet_with_custom(struct proxy_header *hdr, struct test_tlvs *t,
		 const char *value, size_t size)
{
	v2_inet(hdr);
	raw_init(t);
	raw_add(t, tlv(PROXY_HEADER_TLV_CUSTOM_MIN, value, size));
}

static void test_decoder_cap(void)
{
	const size_t largest_value = PROXY_HEADER_MAX_SIZE -
		PROXY_HEADER_V2_FIXED_SIZE - 12 - 3;
	char *value = g_malloc0(largest_value + 1);
	unsigned char buf[PROXY_HEADER_MAX_SIZE + 1];
	struct proxy_header hdr;
	struct test_tlvs t;
	const char *reason;

	inet_with_custom(&hdr, &t, value, largest_value);
	g_assert_cmpuint(assert_round_trip(&hdr, &t.raw), ==,
			 PROXY_HEADER_MAX_SIZE);

	/* one byte more is written, and refused by the default maximum but
	   not by a larger one */
	inet_with_custom(&hdr, &t, value, largest_value + 1);
	g_assert_cmpuint(proxy_header_encode(&hdr, &t.raw, buf, sizeof(buf),
					     &reason), ==,
			 PROXY_HEADER_MAX_SIZE + 1);
	g_assert_cmpuint(proxy_header_encoded_size(&hdr, &t.raw, &reason),
			 ==, PROXY_HEADER_MAX_SIZE + 1);
	{
		struct proxy_header decoded;
		size_t need;

		g_assert_cmpint(proxy_header_decode(buf, sizeof(buf), &decoded,
						    &need, &reason), ==,
				PROXY_HEADER_INVALID);
		g_assert_cmpstr(reason, ==, "v2 header is longer than the "
				"maximum header size");
		g_assert_cmpint(proxy_header_decode_max(buf, sizeof(buf),
							sizeof(buf), &decoded,
							&need, &reason), ==,
				PROXY_HEADER_COMPLETE);
	}
	g_free(value);
}

/* Every buffer shorter than the header is refused, and not one byte
   beyond it is written */
static void test_buffer_too_small(void)
{
	unsigned char whole[PROXY_HEADER_MAX_SIZE];
	unsigned char buf[PROXY_HEADER_MAX_SIZE + 16];
	struct proxy_header hdr;
	struct test_tlvs t;
	const char *reason;
	size_t size;

	v2_inet(&hdr);
	raw_init(&t);
	set_tlvs(&hdr, &t, (1u << KIND_COUNT) - 1);
	size = assert_round_trip_buf(&hdr, &t.raw, whole);

	for (size_t buf_size = 0; buf_size < size; buf_size++) {
		memset(buf, 0x5a, sizeof(buf));
		g_assert_cmpuint(proxy_header_encode(&hdr, &t.raw, buf,
						     buf_size, &reason), ==, 0);
		g_assert_cmpstr(reason, ==,
				"header does not fit in the buffer");
		for (size_t i = buf_size; i < sizeof(buf); i++)
			g_assert_cmphex(buf[i], ==, 0x5a);
	}
	g_assert_cmpuint(proxy_header_encode(&hdr, &t.raw, buf, size,
					     &reason), ==, size);
	g_assert_cmpmem(buf, size, whole, size);
	g_assert_cmpuint(proxy_header_encode(&hdr, &t.raw, NULL, 0, &reason),
			 ==, 0);
	g_assert_cmpstr(reason, ==, "header does not fit in the buffer");

	/* v1 as well */
	v1_tcp4(&hdr);
	size = proxy_header_encode(&hdr, NULL, whole, sizeof(whole), &reason);
	memset(buf, 0x5a, sizeof(buf));
	g_assert_cmpuint(proxy_header_encode(&hdr, NULL, buf, size - 1,
					     &reason), ==, 0);
	g_assert_cmphex(buf[size - 1], ==, 0x5a);
}

/* The encoder writes what it is given; validating is the decoder's job */
static void test_written_as_given(void)
{
	unsigned char buf[PROXY_HEADER_MAX_SIZE];
	struct proxy_header hdr, decoded;
	struct test_tlvs t;
	const char *reason;
	size_t size, need;

	v2_inet(&hdr);
	set_ssl(&hdr, 0);
	hdr.ssl_cn = proxy_header_str("jane\r\nrip=10.0.0.1");
	size = proxy_header_encode(&hdr, NULL, buf, sizeof(buf), &reason);
	g_assert_cmpuint(size, >, 0);
	g_assert_cmpint(proxy_header_decode(buf, size, &decoded, &need,
					    &reason), ==, PROXY_HEADER_INVALID);
	g_assert_cmpstr(reason, ==, "SSL CN contains NUL or a control "
			"character");

	/* a raw TLV of a type that has a field */
	v2_inet(&hdr);
	hdr.alpn = proxy_header_str("imap");
	raw_init(&t);
	raw_add(&t, tlv(PROXY_HEADER_TLV_ALPN, "pop3", 4));
	size = proxy_header_encode(&hdr, &t.raw, buf, sizeof(buf), &reason);
	g_assert_cmpuint(size, >, 0);
	g_assert_cmpint(proxy_header_decode(buf, size, &decoded, &need,
					    &reason), ==, PROXY_HEADER_INVALID);
	g_assert_cmpstr(reason, ==, "v2 header has more than one ALPN TLV");

	/* an empty ALPN is written, and refused */
	v2_inet(&hdr);
	hdr.alpn = proxy_header_str("");
	size = proxy_header_encode(&hdr, NULL, buf, sizeof(buf), &reason);
	g_assert_cmpint(proxy_header_decode(buf, size, &decoded, &need,
					    &reason), ==, PROXY_HEADER_INVALID);
	g_assert_cmpstr(reason, ==, "ALPN TLV is empty");
}

/* The round trip property is only as strong as its comparison: every
   field that differs is named */
static void test_difference_named(void)
{
	static const char *const fields[] = {
		"version", "command", "family", "transport", "src", "dst",
		"alpn", "authority", "unique_id", "netns", "have_crc32c",
		"have_ssl", "ssl_client", "ssl_verify", "ssl_version",
		"ssl_cn", "ssl_cipher", "ssl_sig_alg", "ssl_key_alg",
		"noop_count", "unknown_tlv_count", "unknown_ssl_tlv_count",
		"raw TLVs", "raw SSL sub-TLVs",
	};
	unsigned char buf[PROXY_HEADER_MAX_SIZE];
	struct proxy_header base, decoded;
	struct test_tlvs base_raw;
	const char *reason;
	size_t size, need;

	v2_inet(&base);
	raw_init(&base_raw);
	set_tlvs(&base, &base_raw, (1u << KIND_COUNT) - 1);
	size = assert_round_trip_buf(&base, &base_raw.raw, buf);
	g_assert_cmpint(proxy_header_decode(buf, size, &decoded, &need,
					    &reason), ==,
			PROXY_HEADER_COMPLETE);
	g_assert_null(round_trip_difference(&base, &base_raw.raw, &decoded));

	for (unsigned int i = 0; i < G_N_ELEMENTS(fields); i++) {
		struct proxy_header hdr = base;
		struct test_tlvs t = base_raw;

		t.raw.tlvs = t.tlvs;
		t.raw.ssl_tlvs = t.ssl_tlvs;
		switch (i) {
		case 0: hdr.version = 1; break;
		case 1: hdr.command = PROXY_HEADER_CMD_LOCAL; break;
		case 2: hdr.family = PROXY_HEADER_FAMILY_INET6; break;
		case 3: hdr.transport = PROXY_HEADER_TRANSPORT_DGRAM; break;
		case 4: hdr.src.port++; break;
		case 5: hdr.dst.ip[3]++; break;
		case 6: hdr.alpn = proxy_header_str("pop3"); break;
		case 7: hdr.authority = proxy_header_str("example.org"); break;
		case 8: hdr.unique_id = proxy_header_str(NULL); break;
		case 9: hdr.netns = proxy_header_str("otherns"); break;
		case 10: hdr.have_crc32c = FALSE; break;
		case 11: hdr.have_ssl = FALSE; break;
		case 12: hdr.ssl_client ^= PROXY_HEADER_CLIENT_CERT_SESS; break;
		case 13: hdr.ssl_verify = 18; break;
		case 14: case 15: case 16: case 17: case 18:
			*ssl_string(&hdr, i - 14) = proxy_header_str("other");
			break;
		case 19: t.tlvs[0].type = PROXY_HEADER_TLV_CUSTOM_MAX; break;
		case 20: t.raw.count--; break;
		case 21: t.raw.ssl_count--; break;
		case 22: t.tlvs[t.raw.count - 1].value.size--; break;
		case 23: t.ssl_tlvs[0].type++; break;
		}
		g_assert_cmpstr(round_trip_difference(&hdr, &t.raw, &decoded),
				==, fields[i]);
	}
}

static void add_fixture_tests(void)
{
	GError *error = NULL;
	GDir *dir = g_dir_open(FIXTURE_DIR, 0, &error);
	GPtrArray *names = g_ptr_array_new();
	const char *file;

	if (dir == NULL)
		g_error("%s", error->message);
	while ((file = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(file, ".bin"))
			g_ptr_array_add(names, g_strndup(file,
							 strlen(file) - 4));
	}
	g_dir_close(dir);
	g_assert_cmpuint(names->len, >, 0);
	/* test names in a stable order; the names live as long as the
	   process, as GTest needs them to */
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	for (guint i = 0; i < names->len; i++) {
		char *path = g_strdup_printf("/encode/fixture/%s",
					     (const char *)names->pdata[i]);
		g_test_add_data_func(path, names->pdata[i], test_fixture_bytes);
		g_free(path);
	}
	g_ptr_array_free(names, TRUE);
}

void test_encode_register(void)
{
	g_test_add_func("/encode/v2/combinations", test_v2_combinations);
	g_test_add_func("/encode/v2/ssl-combinations",
			test_v2_ssl_combinations);
	g_test_add_func("/encode/v2/unix-paths", test_v2_unix_paths);
	g_test_add_func("/encode/v2/tlv-order", test_v2_tlv_order);
	g_test_add_func("/encode/v2/crc32c", test_v2_crc32c);
	g_test_add_func("/encode/v1/forms", test_v1_forms);
	g_test_add_func("/encode/v1/inet-ntop", test_v1_addresses_as_inet_ntop);
	g_test_add_func("/encode/v1/ipv6-forms", test_v1_ipv6_special_forms);
	add_fixture_tests();
	g_test_add_func("/encode/refused/fields", test_refused_fields);
	g_test_add_func("/encode/refused/lengths", test_refused_lengths);
	g_test_add_func("/encode/refused/tlv-count", test_refused_tlv_count);
	g_test_add_func("/encode/refused/decoder-cap", test_decoder_cap);
	g_test_add_func("/encode/refused/buffer", test_buffer_too_small);
	g_test_add_func("/encode/written-as-given", test_written_as_given);
	g_test_add_func("/encode/difference-named", test_difference_named);
}
