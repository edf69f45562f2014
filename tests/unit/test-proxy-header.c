/* Decoding of headers captured from HAProxy 2.6 and of every valid form
   the specification allows. */

#include <string.h>

#include "test-util.h"
#include "proxy-header-private.h"

#define V2_SIG TEST_V2_SIGNATURE
#define INET_ADDRS "7f000001 0a000002 3039 008f"

static const char *const fixture_names[] = {
	"v1-tcp4", "v1-tcp6", "v2-tcp4", "v2-tcp6", "v2-ssl-cn-verified",
	"v2-ssl-cn-no-cert", "v2-ssl-cn-unverified", "v2-crc32c-unique-id",
	"v2-all-options",
};

static const unsigned char loopback4[4] = { 127, 0, 0, 1 };
static const unsigned char loopback6[16] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
};

static void
assert_loopback(const struct proxy_header *hdr, enum proxy_header_family family)
{
	g_assert_cmpint(hdr->command, ==, PROXY_HEADER_CMD_PROXY);
	g_assert_cmpint(hdr->family, ==, family);
	if (family == PROXY_HEADER_FAMILY_INET) {
		g_assert_cmpmem(hdr->src.ip, 4, loopback4, 4);
		g_assert_cmpmem(hdr->dst.ip, 4, loopback4, 4);
	} else {
		g_assert_cmpmem(hdr->src.ip, 16, loopback6, 16);
		g_assert_cmpmem(hdr->dst.ip, 16, loopback6, 16);
	}
}

static void test_fixture_v1(void)
{
	struct proxy_header hdr;
	GByteArray *data;

	/* v1-tcp4.cfg: send-proxy, client from 127.0.0.1 */
	data = test_fixture("v1-tcp4");
	test_decode_complete(data, &hdr);
	g_assert_cmpuint(hdr.version, ==, 1);
	assert_loopback(&hdr, PROXY_HEADER_FAMILY_INET);
	g_assert_cmpuint(hdr.src.port, ==, 54460);
	g_assert_cmpuint(hdr.dst.port, ==, 37995);
	g_assert_false(proxy_header_is_tls(&hdr));
	g_byte_array_unref(data);

	/* v1-tcp6.cfg: send-proxy, client from ::1 */
	data = test_fixture("v1-tcp6");
	test_decode_complete(data, &hdr);
	g_assert_cmpuint(hdr.version, ==, 1);
	assert_loopback(&hdr, PROXY_HEADER_FAMILY_INET6);
	g_assert_cmpuint(hdr.src.port, ==, 59470);
	g_byte_array_unref(data);
}

static void test_fixture_v2_plain(void)
{
	struct proxy_header hdr;
	GByteArray *data;

	data = test_fixture("v2-tcp4");
	test_decode_complete(data, &hdr);
	g_assert_cmpuint(hdr.version, ==, 2);
	g_assert_cmpint(hdr.transport, ==, PROXY_HEADER_TRANSPORT_STREAM);
	assert_loopback(&hdr, PROXY_HEADER_FAMILY_INET);
	g_assert_false(hdr.have_ssl);
	g_assert_null(hdr.authority.data);
	g_byte_array_unref(data);

	data = test_fixture("v2-tcp6");
	test_decode_complete(data, &hdr);
	assert_loopback(&hdr, PROXY_HEADER_FAMILY_INET6);
	g_assert_cmpuint(hdr.tlvs.size, ==, 0);
	g_byte_array_unref(data);
}

static void test_fixture_v2_ssl_cn(void)
{
	struct proxy_header hdr;
	GByteArray *data;

	/* CA-signed client certificate, verify optional */
	data = test_fixture("v2-ssl-cn-verified");
	test_decode_complete(data, &hdr);
	assert_loopback(&hdr, PROXY_HEADER_FAMILY_INET);
	g_assert_true(hdr.have_ssl);
	g_assert_cmpuint(hdr.ssl_client, ==, PROXY_HEADER_CLIENT_SSL |
			 PROXY_HEADER_CLIENT_CERT_CONN |
			 PROXY_HEADER_CLIENT_CERT_SESS);
	g_assert_cmpuint(hdr.ssl_verify, ==, 0);
	g_assert_true(test_bytes_equal(&hdr.ssl_cn, "certuser"));
	g_assert_true(test_bytes_equal(&hdr.ssl_version, "TLSv1.3"));
	g_assert_true(proxy_header_is_tls(&hdr));
	g_assert_true(proxy_header_client_cert_presented(&hdr));
	g_assert_true(proxy_header_client_cert_verified(&hdr));
	g_byte_array_unref(data);

	/* no client certificate: TLS, but no CN and no certificate flags */
	data = test_fixture("v2-ssl-cn-no-cert");
	test_decode_complete(data, &hdr);
	g_assert_true(proxy_header_is_tls(&hdr));
	g_assert_cmpuint(hdr.ssl_client, ==, PROXY_HEADER_CLIENT_SSL);
	g_assert_null(hdr.ssl_cn.data);
	g_assert_false(proxy_header_client_cert_presented(&hdr));
	g_assert_false(proxy_header_client_cert_verified(&hdr));
	g_byte_array_unref(data);

	/* self-signed certificate let through by crt-ignore-err all:
	   X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT (18) */
	data = test_fixture("v2-ssl-cn-unverified");
	test_decode_complete(data, &hdr);
	g_assert_cmpuint(hdr.ssl_verify, ==, 18);
	g_assert_true(test_bytes_equal(&hdr.ssl_cn, "certuser"));
	g_assert_true(proxy_header_client_cert_presented(&hdr));
	g_assert_false(proxy_header_client_cert_verified(&hdr));
	g_byte_array_unref(data);
}

static void test_fixture_v2_crc32c_unique_id(void)
{
	struct proxy_header hdr;
	GByteArray *data = test_fixture("v2-crc32c-unique-id");

	test_decode_complete(data, &hdr);
	g_assert_true(hdr.have_crc32c);
	g_assert_cmpuint(hdr.unique_id.size, ==, 46);
	g_assert_true(memcmp(hdr.unique_id.data, "7F000001:", 9) == 0);
	g_assert_false(hdr.have_ssl);
	g_byte_array_unref(data);
}

static void test_fixture_v2_all_options(void)
{
	struct proxy_header hdr;
	GByteArray *data = test_fixture("v2-all-options");

	test_decode_complete(data, &hdr);
	g_assert_true(hdr.have_crc32c);
	g_assert_true(test_bytes_equal(&hdr.alpn, "imap"));
	g_assert_true(test_bytes_equal(&hdr.authority, "mail.example.test"));
	g_assert_cmpuint(hdr.unique_id.size, ==, 46);
	g_assert_true(proxy_header_client_cert_verified(&hdr));
	g_assert_true(test_bytes_equal(&hdr.ssl_cn, "certuser"));
	g_assert_true(test_bytes_equal(&hdr.ssl_version, "TLSv1.3"));
	g_assert_true(test_bytes_equal(&hdr.ssl_cipher,
				       "TLS_AES_256_GCM_SHA384"));
	g_assert_true(test_bytes_equal(&hdr.ssl_sig_alg, "RSA-SHA256"));
	g_assert_true(test_bytes_equal(&hdr.ssl_key_alg, "RSA2048"));
	g_assert_cmpuint(hdr.unknown_tlv_count, ==, 0);
	g_byte_array_unref(data);
}

static gboolean
headers_equal(const struct proxy_header *a, const struct proxy_header *b)
{
	/* the decoder clears the whole struct first, so padding is zero */
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Every prefix of a header asks for more, never for more bytes than the
   header has, and the whole decodes the same however it was received. */
static void test_fixture_split(gconstpointer name)
{
	GByteArray *data = test_fixture(name);
	struct proxy_header whole, part;
	size_t need;
	const char *reason;

	test_decode_complete(data, &whole);
	for (size_t split = 0; split < data->len; split++) {
		GByteArray *buf = g_byte_array_new();
		enum proxy_header_result ret;

		g_byte_array_append(buf, data->data, split);
		ret = proxy_header_decode(buf->data, buf->len, &part,
					  &need, &reason);
		g_assert_cmpint(ret, ==, PROXY_HEADER_NEED_MORE);
		g_assert_cmpuint(need, >=, 1);
		g_assert_cmpuint(split + need, <=, data->len);
		g_byte_array_append(buf, data->data + split,
				    data->len - split);
		/* the client's own data following the header is not part
		   of it */
		g_byte_array_append(buf, (const guint8 *)"a LOGIN x y\r\n", 13);
		ret = proxy_header_decode(buf->data, buf->len, &part,
					  &need, &reason);
		g_assert_cmpint(ret, ==, PROXY_HEADER_COMPLETE);
		g_assert_cmpuint(part.size, ==, data->len);
		/* pointers differ by buffer; compare against a re-decode of
		   the whole in the same buffer */
		struct proxy_header again;
		test_decode_complete(data, &again);
		g_assert_true(headers_equal(&whole, &again));
		g_assert_cmpint(part.version, ==, whole.version);
		g_assert_cmpint(part.family, ==, whole.family);
		g_assert_cmpmem(part.src.ip, 16, whole.src.ip, 16);
		g_assert_cmpuint(part.src.port, ==, whole.src.port);
		g_assert_cmpuint(part.ssl_verify, ==, whole.ssl_verify);
		g_assert_cmpuint(part.tlvs.size, ==, whole.tlvs.size);
		g_byte_array_unref(buf);
	}
	g_byte_array_unref(data);
}

/* A reader that takes exactly what the decoder asks for, one chunk at a
   time, ends exactly at the end of the header. */
static void test_fixture_exact_reads(gconstpointer name)
{
	GByteArray *data = test_fixture(name);
	struct proxy_header hdr;
	size_t have = 0, need, reads = 0;
	const char *reason;
	enum proxy_header_result ret;

	while ((ret = proxy_header_decode(data->data, have, &hdr, &need,
					  &reason)) == PROXY_HEADER_NEED_MORE) {
		have += need;
		reads++;
		g_assert_cmpuint(have, <=, data->len);
	}
	g_assert_cmpint(ret, ==, PROXY_HEADER_COMPLETE);
	g_assert_cmpuint(have, ==, data->len);
	g_assert_cmpuint(hdr.size, ==, data->len);
	g_assert_cmpuint(reads, >=, 1);
	g_byte_array_unref(data);
}

static void assert_valid_hex(const char *hex, struct proxy_header *hdr)
{
	GByteArray *data = test_hex(hex);

	test_decode_complete(data, hdr);
	/* the view points into data: keep it alive for the test */
	g_test_queue_destroy((GDestroyNotify)g_byte_array_unref, data);
}

static void
assert_valid_v2(const char *ver_fam, const char *body, struct proxy_header *hdr)
{
	GByteArray *data = test_v2(ver_fam, body);

	test_decode_complete(data, hdr);
	g_test_queue_destroy((GDestroyNotify)g_byte_array_unref, data);
}

static void assert_valid_v1(const char *line, struct proxy_header *hdr)
{
	GByteArray *data = g_byte_array_new();

	g_byte_array_append(data, (const guint8 *)line, strlen(line));
	test_decode_complete(data, hdr);
	g_test_queue_destroy((GDestroyNotify)g_byte_array_unref, data);
}

static void test_v1_forms(void)
{
	struct proxy_header hdr;
	static const unsigned char mapped[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1
	};
	static const unsigned char full[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0xab, 0xcd
	};
	static const unsigned char gap_end[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
	};

	assert_valid_v1("PROXY UNKNOWN\r\n", &hdr);
	g_assert_cmpint(hdr.command, ==, PROXY_HEADER_CMD_PROXY);
	g_assert_cmpint(hdr.family, ==, PROXY_HEADER_FAMILY_UNSPEC);

	assert_valid_v1("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", &hdr);
	g_assert_cmpint(hdr.command, ==, PROXY_HEADER_CMD_PROXY);
	g_assert_cmpint(hdr.family, ==, PROXY_HEADER_FAMILY_UNSPEC);

	assert_valid_v1("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", &hdr);
	g_assert_cmpuint(hdr.src.port, ==, 0);
	g_assert_cmpuint(hdr.dst.port, ==, 65535);
	g_assert_cmpuint(hdr.dst.ip[3], ==, 255);

	assert_valid_v1("PROXY TCP6 ::ffff:192.0.2.1 "
			"2001:db8:1:2:3:4:5:abcd 1 2\r\n", &hdr);
	g_assert_cmpmem(hdr.src.ip, 16, mapped, 16);
	g_assert_cmpmem(hdr.dst.ip, 16, full, 16);

	assert_valid_v1("PROXY TCP6 2001:DB8:: :: 143 993\r\n", &hdr);
	g_assert_cmpmem(hdr.src.ip, 16, gap_end, 16);
	g_assert_cmpuint(hdr.dst.port, ==, 993);

	/* the longest line allowed: 107 bytes with CRLF */
	char line[PROXY_HEADER_V1_MAX_SIZE + 1];
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + PROXY_HEADER_V1_MAX_SIZE - 2, "\r\n", 3);
	assert_valid_v1(line, &hdr);
	g_assert_cmpuint(hdr.size, ==, PROXY_HEADER_V1_MAX_SIZE);
}

static void test_v2_local_and_unspec(void)
{
	struct proxy_header hdr;

	/* HAProxy's health checks: LOCAL, UNSPEC, no address block */
	assert_valid_v2("20 00", "", &hdr);
	g_assert_cmpint(hdr.command, ==, PROXY_HEADER_CMD_LOCAL);
	g_assert_cmpint(hdr.family, ==, PROXY_HEADER_FAMILY_UNSPEC);
	g_assert_cmpint(hdr.transport, ==, PROXY_HEADER_TRANSPORT_UNSPEC);

	/* LOCAL with an address block: decoded, the caller ignores it */
	assert_valid_v2("20 11", INET_ADDRS, &hdr);
	g_assert_cmpint(hdr.command, ==, PROXY_HEADER_CMD_LOCAL);
	g_assert_cmpuint(hdr.src.port, ==, 12345);

	/* PROXY with UNSPEC, followed by a TLV */
	assert_valid_hex(V2_SIG "21 00 0007 01 0004 696d6170", &hdr);
	g_assert_cmpint(hdr.command, ==, PROXY_HEADER_CMD_PROXY);
	g_assert_true(test_bytes_equal(&hdr.alpn, "imap"));

	/* datagram transport is a valid header */
	assert_valid_v2("21 12", INET_ADDRS, &hdr);
	g_assert_cmpint(hdr.transport, ==, PROXY_HEADER_TRANSPORT_DGRAM);
	g_assert_cmpuint(hdr.dst.port, ==, 143);
}

static char *unix_block(const char *src, const char *dst)
{
	GString *hex = g_string_new(V2_SIG "21 31 00d8");

	for (unsigned int n = 0; n < 2; n++) {
		const char *path = n == 0 ? src : dst;
		size_t len = strlen(path);

		for (size_t i = 0; i < PROXY_HEADER_UNIX_PATH_SIZE; i++)
			g_string_append_printf(hex, "%02x", i < len ?
					       (unsigned char)path[i] : 0);
	}
	return g_string_free(hex, FALSE);
}

static void test_v2_unix(void)
{
	struct proxy_header hdr;
	char *hex = unix_block("/run/haproxy.sock", "");

	assert_valid_hex(hex, &hdr);
	g_free(hex);
	g_assert_cmpint(hdr.family, ==, PROXY_HEADER_FAMILY_UNIX);
	g_assert_true(test_bytes_equal(&hdr.src.unix_path,
				       "/run/haproxy.sock"));
	/* abstract socket: the name starts with NUL */
	g_assert_cmpuint(hdr.dst.unix_path.size, ==, 0);

	/* a path filling all 108 bytes has no NUL */
	char path[PROXY_HEADER_UNIX_PATH_SIZE + 1];
	memset(path, 'p', PROXY_HEADER_UNIX_PATH_SIZE);
	path[PROXY_HEADER_UNIX_PATH_SIZE] = '\0';
	hex = unix_block(path, path);
	assert_valid_hex(hex, &hdr);
	g_free(hex);
	g_assert_cmpuint(hdr.src.unix_path.size, ==,
			 PROXY_HEADER_UNIX_PATH_SIZE);
}

static void test_v2_inet6(void)
{
	struct proxy_header hdr;

	assert_valid_v2("21 21", "20010db8000000000000000000000001"
			 "20010db8000000000000000000000002"
			 "d431 03e1", &hdr);
	g_assert_cmpint(hdr.family, ==, PROXY_HEADER_FAMILY_INET6);
	g_assert_cmpuint(hdr.src.ip[15], ==, 1);
	g_assert_cmpuint(hdr.dst.ip[15], ==, 2);
	g_assert_cmpuint(hdr.src.port, ==, 54321);
	g_assert_cmpuint(hdr.dst.port, ==, 993);
}

static void test_v2_tlvs(void)
{
	struct proxy_header hdr;
	struct proxy_header_tlv tlv;
	size_t pos = 0;
	unsigned int count = 0;

	assert_valid_v2("21 11", INET_ADDRS
			 "04 0000"		/* NOOP, empty */
			 "04 0002 0000"		/* NOOP padding */
			 "05 0000"		/* UNIQUE_ID, empty */
			 "30 0003 6e7331"	/* NETNS ns1 */
			 "e0 0002 abcd"		/* custom */
			 "ea 0001 01"		/* custom (AWS) */
			 "f0 0000"		/* experimental */
			 "f8 0001 ff"		/* future */
			 "22 0002 6162"		/* sub-TLV type at top level */
			 "20 000d 01 00000000"	/* SSL */
			 "  29 0001 78"		/* unknown SSL sub-TLV */
			 "  21 0001 33", &hdr);
	g_assert_cmpuint(hdr.noop_count, ==, 2);
	g_assert_nonnull(hdr.unique_id.data);
	g_assert_cmpuint(hdr.unique_id.size, ==, 0);
	g_assert_true(test_bytes_equal(&hdr.netns, "ns1"));
	g_assert_cmpuint(hdr.unknown_tlv_count, ==, 5);
	g_assert_cmpuint(hdr.unknown_ssl_tlv_count, ==, 1);
	g_assert_true(test_bytes_equal(&hdr.ssl_version, "3"));
	g_assert_true(proxy_header_is_tls(&hdr));
	g_assert_false(proxy_header_client_cert_presented(&hdr));

	while (proxy_header_tlv_next(&hdr, &pos, &tlv))
		count++;
	g_assert_cmpuint(count, ==, 10);
	g_assert_cmpuint(pos, ==, hdr.tlvs.size);

	pos = 0;
	g_assert_true(proxy_header_tlv_next(&hdr, &pos, &tlv));
	g_assert_cmpuint(tlv.type, ==, PROXY_HEADER_TLV_NOOP);
	g_assert_cmpuint(tlv.value.size, ==, 0);
}

static void test_v2_ssl_new_sub_tlvs(void)
{
	struct proxy_header hdr;

	assert_valid_v2("21 11", INET_ADDRS
			 "20 001e 07 00000000"
			 "  26 0009 736563703235367231"	/* secp256r1 */
			 "  27 0004 72736131"		/* rsa1 */
			 "  28 0003 308100", &hdr);
	g_assert_true(test_bytes_equal(&hdr.ssl_group, "secp256r1"));
	g_assert_true(test_bytes_equal(&hdr.ssl_sig_scheme, "rsa1"));
	g_assert_cmpuint(hdr.ssl_client_cert.size, ==, 3);
	g_assert_cmpuint(hdr.ssl_client_cert.data[0], ==, 0x30);
	g_assert_cmpuint(hdr.unknown_ssl_tlv_count, ==, 0);
}

static void test_v2_max_size(void)
{
	/* 16 + 12 + 3 + 997 = 1028 bytes */
	char *zeros = g_strnfill(997 * 2, '0');
	char *body = g_strconcat(INET_ADDRS "e1 03e5", zeros, NULL);
	GByteArray *data = test_v2("21 11", body);
	struct proxy_header hdr;
	const char *reason;
	size_t need;

	g_free(zeros);
	g_free(body);
	g_assert_cmpuint(data->len, ==, 1028);
	g_assert_cmpint(proxy_header_decode_max(data->data, data->len, 1028,
						&hdr, &need, &reason), ==,
			PROXY_HEADER_COMPLETE);
	g_assert_cmpint(proxy_header_decode_max(data->data, data->len, 1027,
						&hdr, &need, &reason), ==,
			PROXY_HEADER_INVALID);
	g_assert_true(reason == proxy_header_reason_too_long);
	/* known to be too long before all of it arrived */
	g_assert_cmpint(proxy_header_decode_max(data->data, 16, 1027, &hdr,
						&need, &reason), ==,
			PROXY_HEADER_INVALID);
	g_assert_cmpint(proxy_header_decode_max(data->data, 16, 1028, &hdr,
						&need, &reason), ==,
			PROXY_HEADER_NEED_MORE);
	g_assert_cmpuint(need, ==, 1012);
	g_byte_array_unref(data);
}

static void test_v2_vendor_tlvs(void)
{
	struct proxy_header hdr;
	struct proxy_header_bytes id;
	struct proxy_header_tlv tlv;
	uint32_t link_id;
	uint64_t psc_id;
	const char *reason;

	assert_valid_v2("21 11", INET_ADDRS
			 "ea 0005 02 78797a77"		/* AWS, other subtype */
			 "ea 0007 01 76706365 2d31"	/* AWS vpce-1 */
			 "ee 0005 01 04030201"		/* Azure */
			 "e0 0008 0102030405060708"	/* GCP */
			 "e2 0001 61 e2 0001 62", &hdr);
	g_assert_cmpint(proxy_header_aws_vpce_id(&hdr, &id, &reason), ==,
			PROXY_HEADER_FIND_FOUND);
	g_assert_true(test_bytes_equal(&id, "vpce-1"));
	g_assert_cmpint(proxy_header_azure_link_id(&hdr, &link_id, &reason),
			==, PROXY_HEADER_FIND_FOUND);
	g_assert_cmpuint(link_id, ==, 0x01020304);
	g_assert_cmpint(proxy_header_gcp_psc_id(&hdr, &psc_id, &reason), ==,
			PROXY_HEADER_FIND_FOUND);
	g_assert_cmpuint(psc_id, ==, G_GUINT64_CONSTANT(0x0102030405060708));
	g_assert_cmpint(proxy_header_tlv_find(&hdr, 0xe2, &tlv, &reason), ==,
			PROXY_HEADER_FIND_INVALID);
	g_assert_cmpint(proxy_header_tlv_find(&hdr, 0xe3, &tlv, &reason), ==,
			PROXY_HEADER_FIND_ABSENT);

	assert_valid_v2("21 11", INET_ADDRS
			 "ea 0002 01 41 ea 0002 01 42"	/* two vpce ids */
			 "ee 0004 01 030201"		/* short link id */
			 "e0 0009 010203040506070809", &hdr);
	g_assert_cmpint(proxy_header_aws_vpce_id(&hdr, &id, &reason), ==,
			PROXY_HEADER_FIND_INVALID);
	g_assert_cmpint(proxy_header_azure_link_id(&hdr, &link_id, &reason),
			==, PROXY_HEADER_FIND_INVALID);
	g_assert_cmpstr(reason, ==, "Azure link id is not 4 bytes long");
	g_assert_cmpint(proxy_header_gcp_psc_id(&hdr, &psc_id, &reason), ==,
			PROXY_HEADER_FIND_INVALID);
	g_assert_cmpstr(reason, ==, "GCP PSC connection id is not 8 bytes long");

	assert_valid_v2("21 11", INET_ADDRS "ea 0003 01 2041", &hdr);
	g_assert_cmpint(proxy_header_aws_vpce_id(&hdr, &id, &reason), ==,
			PROXY_HEADER_FIND_INVALID);
	assert_valid_v2("21 11", INET_ADDRS "ea 0001 01", &hdr);
	g_assert_cmpint(proxy_header_aws_vpce_id(&hdr, &id, &reason), ==,
			PROXY_HEADER_FIND_INVALID);
	assert_valid_v2("21 11", INET_ADDRS, &hdr);
	g_assert_cmpint(proxy_header_aws_vpce_id(&hdr, &id, &reason), ==,
			PROXY_HEADER_FIND_ABSENT);
	g_assert_cmpint(proxy_header_gcp_psc_id(&hdr, &psc_id, &reason), ==,
			PROXY_HEADER_FIND_ABSENT);
}

static void test_v2_cert_flags(void)
{
	struct proxy_header hdr;

	/* certificate from a resumed session only, verified */
	assert_valid_v2("21 11", INET_ADDRS
			 "20 000e 05 00000000 22 0006 616c6963c3a9", &hdr);
	g_assert_true(proxy_header_client_cert_verified(&hdr));
	/* UTF-8 CN */
	g_assert_true(test_bytes_equal(&hdr.ssl_cn, "alic\xc3\xa9"));

	/* CERT_CONN with verify != 0 */
	assert_valid_v2("21 11", INET_ADDRS
			 "20 0005 03 00000001", &hdr);
	g_assert_true(proxy_header_client_cert_presented(&hdr));
	g_assert_false(proxy_header_client_cert_verified(&hdr));

	/* verify is a 32-bit big-endian number: only all-zero is verified */
	assert_valid_v2("21 11", INET_ADDRS
			 "20 0005 07 01000000", &hdr);
	g_assert_cmpuint(hdr.ssl_verify, ==, 0x01000000);
	g_assert_false(proxy_header_client_cert_verified(&hdr));

	/* no SSL TLV at all */
	assert_valid_v2("21 11", INET_ADDRS, &hdr);
	g_assert_false(proxy_header_is_tls(&hdr));
	g_assert_false(proxy_header_client_cert_presented(&hdr));

	/* SSL TLV without the SSL client flag: not TLS */
	assert_valid_v2("21 11", INET_ADDRS
			 "20 0005 00 00000000", &hdr);
	g_assert_false(proxy_header_is_tls(&hdr));
	g_assert_false(proxy_header_client_cert_verified(&hdr));
}

static void test_v2_authority_forms(void)
{
	struct proxy_header hdr;

	assert_valid_v2("21 11", INET_ADDRS
			 "02 0005 6d61696c2e", &hdr);
	g_assert_cmpuint(hdr.authority.size, ==, 5);
	/* underscore and digits */
	assert_valid_v2("21 11", INET_ADDRS
			 "02 0006 615f312e6232", &hdr);
	g_assert_nonnull(hdr.authority.data);
}

static void test_validator_forms(void)
{
	struct proxy_header hdr;
	static const unsigned char mapped[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4
	};

	/* 4-byte UTF-8 in a CN */
	assert_valid_v2("21 11", INET_ADDRS
			"20 000c 07 00000000 22 0004 f09f9880", &hdr);
	g_assert_cmpuint(hdr.ssl_cn.size, ==, 4);
	/* IPv4 tail after a leading gap */
	assert_valid_v1("PROXY TCP6 ::1.2.3.4 ::1 1 2\r\n", &hdr);
	g_assert_cmpmem(hdr.src.ip, 16, mapped, 16);
	/* host name with a trailing dot */
	assert_valid_v2("21 11", INET_ADDRS "02 0002 612e", &hdr);
	g_assert_cmpuint(hdr.authority.size, ==, 2);
}

static void test_tlv_next_bounds(void)
{
	struct proxy_header hdr;
	struct proxy_header_tlv tlv;
	size_t pos = 0;
	static const unsigned char bad[] = { 0x01, 0x00, 0x09, 'a' };

	/* v1 headers have no TLVs */
	assert_valid_v1("PROXY UNKNOWN\r\n", &hdr);
	g_assert_false(proxy_header_tlv_next(&hdr, &pos, &tlv));
	/* a TLV block the decoder did not validate stops the walk */
	memset(&hdr, 0, sizeof(hdr));
	hdr.tlvs.data = bad;
	hdr.tlvs.size = sizeof(bad);
	g_assert_false(proxy_header_tlv_next(&hdr, &pos, &tlv));
}

static void test_need_more(void)
{
	struct proxy_header hdr;
	size_t need;
	const char *reason;
	GByteArray *data = test_hex(V2_SIG "21 11 000c");

	g_assert_cmpint(proxy_header_decode(data->data, 0, &hdr, &need,
					    &reason), ==,
			PROXY_HEADER_NEED_MORE);
	g_assert_cmpuint(need, ==, 15);
	g_assert_cmpint(proxy_header_decode(data->data, 1, &hdr, &need,
					    &reason), ==,
			PROXY_HEADER_NEED_MORE);
	g_assert_cmpuint(need, ==, 15);
	/* the fixed part tells the total: 12 more bytes of addresses */
	g_assert_cmpint(proxy_header_decode(data->data, data->len, &hdr,
					    &need, &reason), ==,
			PROXY_HEADER_NEED_MORE);
	g_assert_cmpuint(need, ==, 12);
	g_byte_array_unref(data);

	data = g_byte_array_new();
	g_byte_array_append(data, (const guint8 *)"PROXY TCP4 1.2.3.4", 18);
	g_assert_cmpint(proxy_header_decode(data->data, 3, &hdr, &need,
					    &reason), ==,
			PROXY_HEADER_NEED_MORE);
	g_assert_cmpuint(need, ==, 12);
	g_assert_cmpint(proxy_header_decode(data->data, data->len, &hdr,
					    &need, &reason), ==,
			PROXY_HEADER_NEED_MORE);
	g_assert_cmpuint(need, ==, 1);
	g_byte_array_unref(data);
}

static void test_crc32c(void)
{
	/* the standard check value of CRC-32C */
	g_assert_cmpuint(proxy_header_crc32c(0, (const unsigned char *)
					     "123456789", 9), ==, 0xe3069283);
	/* incremental equals one pass */
	uint32_t crc = proxy_header_crc32c(0, (const unsigned char *)"1234", 4);
	crc = proxy_header_crc32c(crc, (const unsigned char *)"56789", 5);
	g_assert_cmpuint(crc, ==, 0xe3069283);
}

/* The v1 fast path decides nothing on its own: whatever it accepts, the
   strict parser accepts with the same fields, and for everything else the
   answer (result, need, reason) is the strict parser's. */
static void assert_v1_like_strict(const unsigned char *data, size_t size)
{
	struct proxy_header hdr, strict;
	size_t need, strict_need = 0;
	const char *reason, *strict_reason = NULL;
	enum proxy_header_result ret, strict_ret;

	/* the v1 parser only sees what starts like "PROXY " */
	if (memcmp(data, "PROXY ", MIN(size, 6)) != 0)
		return;
	ret = proxy_header_decode(data, size, &hdr, &need, &reason);
	memset(&strict, 0, sizeof(strict));
	strict_ret = proxy_header_decode_v1_strict(data, size, &strict,
						   &strict_need, &strict_reason);
	if (ret != strict_ret || need != strict_need ||
	    g_strcmp0(reason, strict_reason) != 0 ||
	    (ret == PROXY_HEADER_COMPLETE &&
	     memcmp(&hdr, &strict, sizeof(hdr)) != 0)) {
		g_error("v1 fast and strict parsers differ on \"%s\": "
			"%d/%d, need %zu/%zu, %s/%s",
			g_strescape(g_strndup((const char *)data, size), NULL),
			ret, strict_ret, need, strict_need,
			reason == NULL ? "-" : reason,
			strict_reason == NULL ? "-" : strict_reason);
	}
}

static const char *
pick(GRand *rand, const char *const *list, unsigned int count)
{
	return list[g_rand_int_range(rand, 0, (gint32)count)];
}
#define PICK(rand, list) pick(rand, list, G_N_ELEMENTS(list))

static void test_v1_fast_path(void)
{
	static const char *const protocols[] = {
		"TCP4", "TCP6", "UNKNOWN", "UNKNOWNX", "TCP5", "tcp4", "TCP",
		"TCP44", "", "UNKNOWN\x01", "UNKNOWN\t",
	};
	static const char *const fields[] = {
		"1.2.3.4", "0.0.0.0", "255.255.255.255", "127.0.0.1",
		"10.200.30.4", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1.2.3",
		"1.2.3.4.5", "1.2.3.400", "1..2.3", "1.2.3.4x", "1234.1.1.1",
		"::", "::1", "1::", "1::2", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
		"1:2:3:4::5:6:7:8", "12345::", "1::2::3", ":1", "1:", ":::",
		"1:::2", "fe80::1%eth0", "2001:DB8:0:0:1::1", "abcd:EF01::",
		"g::1", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4",
		"0", "00", "01", "9", "65535", "65536", "99999", "123456",
		"1a", "", "143", "54460",
	};
	static const char *const separators[] = { " ", " ", " ", "  ", "\t" };
	static const char *const endings[] = {
		"\r\n", "\r\n", "\r\n", "\r", "\n", "\rX", "", "\r\r\n",
	};
	GRand *rand = g_rand_new_with_seed(1);

	for (unsigned int n = 0; n < 200000; n++) {
		GString *line = g_string_new("PROXY ");
		unsigned int count = g_rand_int_range(rand, 0, 7);

		if (g_rand_int_range(rand, 0, 8) == 0)
			g_string_append(line, " ");
		g_string_append(line, PICK(rand, protocols));
		for (unsigned int i = 0; i < count; i++) {
			g_string_append(line, PICK(rand, separators));
			g_string_append(line, PICK(rand, fields));
		}
		if (g_rand_int_range(rand, 0, 4) == 0) {
			/* one byte changed, possibly the CR or LF */
			line->str[g_rand_int_range(rand, 0, (gint32)line->len)] =
				(char)g_rand_int_range(rand, 0, 256);
		}
		if (g_rand_int_range(rand, 0, 16) == 0) {
			/* near and beyond the 107-byte limit */
			g_string_append_c(line, ' ');
			while (line->len < 100 + (gsize)g_rand_int_range(rand, 0, 8))
				g_string_append_c(line, 'a');
		}
		g_string_append(line, PICK(rand, endings));
		if (g_rand_int_range(rand, 0, 4) == 0)
			g_string_append(line, "a");
		assert_v1_like_strict((const unsigned char *)line->str,
				      line->len);
		/* and every shorter read of it */
		if (n % 64 == 0) {
			for (size_t size = 0; size < line->len; size++) {
				assert_v1_like_strict((const unsigned char *)
						      line->str, size);
			}
		}
		g_string_free(line, TRUE);
	}
	g_rand_free(rand);
}

/* bit by bit, straight from the definition: independent of the tables */
static uint32_t crc32c_reference(uint32_t crc, const unsigned char *data,
				 size_t size)
{
	crc = ~crc;
	for (size_t i = 0; i < size; i++) {
		crc ^= data[i];
		for (unsigned int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0x82f63b78 & (0u - (crc & 1)));
	}
	return ~crc;
}

/* Every implementation the CPU can run (so the tables are tested on a CPU
   with SSE4.2 too), for every length up to 1 KiB at every alignment, in
   one call and split in two, on random bytes */
static void test_crc32c_implementations(void)
{
	const struct proxy_header_crc32c_impl *impls;
	unsigned int count = proxy_header_crc32c_impls(&impls);
	static unsigned char buf[1024 + 8];
	GRand *rand = g_rand_new_with_seed(13);

	g_assert_cmpuint(count, >=, 1);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)g_rand_int(rand);
	for (unsigned int n = 0; n < count; n++) {
		proxy_header_crc32c_func_t *func = impls[n].func;

		if (impls[n].cpu_has != NULL && !impls[n].cpu_has())
			continue;
		if (g_test_verbose())
			g_printerr("crc32c implementation %s\n", impls[n].name);
		for (size_t size = 0; size <= 1024; size++) {
			const unsigned char *data = buf + size % 8;
			uint32_t seed = g_rand_int(rand);
			uint32_t expected = crc32c_reference(seed, data, size);
			size_t split = size == 0 ? 0 :
				g_rand_int_range(rand, 0, (gint32)size);

			g_assert_cmphex(func(seed, data, size), ==, expected);
			g_assert_cmphex(func(func(seed, data, split), data + split,
					     size - split), ==, expected);
		}
	}
	/* and the dispatcher chose one of them */
	g_assert_cmphex(proxy_header_crc32c(0, buf, sizeof(buf)), ==,
			crc32c_reference(0, buf, sizeof(buf)));
	g_rand_free(rand);
}

static void test_names(void)
{
	static const struct {
		uint8_t type;
		const char *name;
	} tlv_names[] = {
		{ 0x01, "ALPN" }, { 0x02, "AUTHORITY" }, { 0x03, "CRC32C" },
		{ 0x04, "NOOP" }, { 0x05, "UNIQUE_ID" }, { 0x20, "SSL" },
		{ 0x21, "SSL_VERSION" }, { 0x22, "SSL_CN" },
		{ 0x23, "SSL_CIPHER" }, { 0x24, "SSL_SIG_ALG" },
		{ 0x25, "SSL_KEY_ALG" }, { 0x30, "NETNS" },
		{ 0xe0, "CUSTOM" }, { 0xef, "CUSTOM" },
		{ 0xf0, "EXPERIMENT" }, { 0xf7, "EXPERIMENT" },
		{ 0xf8, "UNKNOWN" }, { 0x06, "UNKNOWN" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(tlv_names); i++)
		g_assert_cmpstr(proxy_header_tlv_type_name(tlv_names[i].type),
				==, tlv_names[i].name);
	g_assert_cmpstr(proxy_header_family_name(PROXY_HEADER_FAMILY_UNSPEC), ==, "UNSPEC");
	g_assert_cmpstr(proxy_header_family_name(PROXY_HEADER_FAMILY_INET), ==, "INET");
	g_assert_cmpstr(proxy_header_family_name(PROXY_HEADER_FAMILY_INET6), ==, "INET6");
	g_assert_cmpstr(proxy_header_family_name(PROXY_HEADER_FAMILY_UNIX), ==, "UNIX");
	g_assert_cmpstr(proxy_header_family_name((enum proxy_header_family)9), ==, "?");
	g_assert_cmpstr(proxy_header_transport_name(PROXY_HEADER_TRANSPORT_UNSPEC), ==, "UNSPEC");
	g_assert_cmpstr(proxy_header_transport_name(PROXY_HEADER_TRANSPORT_STREAM), ==, "STREAM");
	g_assert_cmpstr(proxy_header_transport_name(PROXY_HEADER_TRANSPORT_DGRAM), ==, "DGRAM");
	g_assert_cmpstr(proxy_header_transport_name((enum proxy_header_transport)9), ==, "?");
	g_assert_cmpstr(proxy_header_command_name(PROXY_HEADER_CMD_LOCAL), ==, "LOCAL");
	g_assert_cmpstr(proxy_header_command_name(PROXY_HEADER_CMD_PROXY), ==, "PROXY");
	g_assert_cmpstr(proxy_header_command_name((enum proxy_header_command)9), ==, "?");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/fixture/v1", test_fixture_v1);
	g_test_add_func("/fixture/v2-plain", test_fixture_v2_plain);
	g_test_add_func("/fixture/v2-ssl-cn", test_fixture_v2_ssl_cn);
	g_test_add_func("/fixture/v2-crc32c-unique-id",
			test_fixture_v2_crc32c_unique_id);
	g_test_add_func("/fixture/v2-all-options", test_fixture_v2_all_options);
	for (size_t i = 0; i < G_N_ELEMENTS(fixture_names); i++) {
		char *path = g_strdup_printf("/split/%s", fixture_names[i]);
		g_test_add_data_func(path, fixture_names[i], test_fixture_split);
		g_free(path);
		path = g_strdup_printf("/exact-reads/%s", fixture_names[i]);
		g_test_add_data_func(path, fixture_names[i],
				     test_fixture_exact_reads);
		g_free(path);
	}
	g_test_add_func("/v1/forms", test_v1_forms);
	g_test_add_func("/v1/fast-path", test_v1_fast_path);
	g_test_add_func("/v2/local-unspec", test_v2_local_and_unspec);
	g_test_add_func("/v2/unix", test_v2_unix);
	g_test_add_func("/v2/inet6", test_v2_inet6);
	g_test_add_func("/v2/tlvs", test_v2_tlvs);
	g_test_add_func("/v2/cert-flags", test_v2_cert_flags);
	g_test_add_func("/v2/ssl-new-sub-tlvs", test_v2_ssl_new_sub_tlvs);
	g_test_add_func("/v2/max-size", test_v2_max_size);
	g_test_add_func("/v2/vendor-tlvs", test_v2_vendor_tlvs);
	g_test_add_func("/v2/authority", test_v2_authority_forms);
	g_test_add_func("/need-more", test_need_more);
	g_test_add_func("/validator-forms", test_validator_forms);
	g_test_add_func("/tlv-next-bounds", test_tlv_next_bounds);
	g_test_add_func("/crc32c", test_crc32c);
	g_test_add_func("/crc32c/implementations",
			test_crc32c_implementations);
	g_test_add_func("/names", test_names);
	test_malformed_register();
	test_encode_register();
	return g_test_run();
}
