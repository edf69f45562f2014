/* The table of header fields (src/lib-haproxy-tlv/haproxy-tlv-fields.c) and what it makes:
   the client's event and forward fields, its debug line and doveadm's
   columns, pinned for HAProxy's captured headers and for the edge cases
   where they differ (TLS details without TLS, UTF-8 names, LOCAL). Links
   Dovecot's lib for its strings; starts no Dovecot process. */

#include "lib.h"
#include "str.h"
#include "haproxy-tlv-fields.h"
#include "test-util.h"

#include <string.h>

/* doveadm haproxy decode's columns: scripts read `-f tab` by position */
static const char *const decode_columns =
	"version command family transport length source source_port "
	"destination destination_port alpn authority unique_id netns crc32c "
	"noop_count ssl tls ssl_client cert_conn cert_sess ssl_verify "
	"ssl_verify_meaning cert_verified ssl_version ssl_cn ssl_cipher "
	"ssl_sig_alg ssl_key_alg tlvs ssl_group ssl_sig_scheme";

static int str_ptr_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "name=value" lines of the event fields, sorted: their order is the
   table's, which nothing reads */
static char *event_fields(const struct proxy_header *hdr)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	const char *name, *value;
	unsigned int idx = 0;
	GString *str = g_string_new(NULL);

	while (haproxy_tlv_fields_next_event(hdr, &idx, &name, &value))
		g_ptr_array_add(lines, g_strdup_printf("%s=%s", name, value));
	g_ptr_array_sort(lines, str_ptr_cmp);
	for (unsigned int i = 0; i < lines->len; i++) {
		g_string_append(str, g_ptr_array_index(lines, i));
		g_string_append_c(str, '\n');
	}
	g_ptr_array_unref(lines);
	return g_string_free(str, FALSE);
}

static void
assert_header(GByteArray *data, const char *cert_username,
	      const char *debug_line, const char *fields)
{
	struct proxy_header hdr;
	char *actual;

	test_decode_complete(data, &hdr);
	T_BEGIN {
		g_assert_cmpstr(haproxy_tlv_fields_debug_line(&hdr,
							      cert_username),
				==, debug_line);
	} T_END;
	actual = event_fields(&hdr);
	g_assert_cmpstr(actual, ==, fields);
	g_free(actual);
	g_byte_array_unref(data);
}

static void test_plain_v1(void)
{
	assert_header(test_fixture("v1-tcp4"), NULL,
		"PROXY v1 PROXY: tls=no version= cipher= cert=none verify=0 "
		"cn= cert_username= sni= alpn= unique_id= crc32c=none",
		"haproxy_tls=no\n");
}

static void test_cert_unverified(void)
{
	assert_header(test_fixture("v2-ssl-cn-unverified"), NULL,
		"PROXY v2 PROXY: tls=yes version=TLSv1.3 cipher= "
		"cert=unverified verify=18 cn=certuser cert_username= sni= "
		"alpn= unique_id= crc32c=none",
		"haproxy_cert=unverified\n"
		"haproxy_cert_cn=certuser\n"
		"haproxy_cert_verify=18\n"
		"haproxy_tls=yes\n"
		"haproxy_tls_version=TLSv1.3\n");
}

/* the verify result of no certificate is nobody's */
static void test_tls_without_cert(void)
{
	assert_header(test_fixture("v2-ssl-cn-no-cert"), NULL,
		"PROXY v2 PROXY: tls=yes version=TLSv1.3 cipher= cert=none "
		"verify=0 cn= cert_username= sni= alpn= unique_id= "
		"crc32c=none",
		"haproxy_cert=none\n"
		"haproxy_tls=yes\n"
		"haproxy_tls_version=TLSv1.3\n");
}

static void test_all_options(void)
{
	assert_header(test_fixture("v2-all-options"), "certuser",
		"PROXY v2 PROXY: tls=yes version=TLSv1.3 "
		"cipher=TLS_AES_256_GCM_SHA384 cert=verified verify=0 "
		"cn=certuser cert_username=certuser sni=mail.example.test "
		"alpn=imap unique_id=7F000001:D12A_7F000001:D225_6B06EDCC_0000:"
		"17E2 crc32c=verified",
		"haproxy_alpn=imap\n"
		"haproxy_cert=verified\n"
		"haproxy_cert_cn=certuser\n"
		"haproxy_cert_verify=0\n"
		"haproxy_sni=mail.example.test\n"
		"haproxy_tls=yes\n"
		"haproxy_tls_cipher=TLS_AES_256_GCM_SHA384\n"
		"haproxy_tls_key_alg=RSA2048\n"
		"haproxy_tls_sig_alg=RSA-SHA256\n"
		"haproxy_tls_version=TLSv1.3\n"
		"haproxy_unique_id=7F000001:D12A_7F000001:D225_6B06EDCC_0000:"
		"17E2\n");
}

/* An SSL TLV without the SSL client flag: its TLS version is no client's,
   so passdb rules never see it; the debug line shows what came. NETNS
   and binary ALPN bytes, escaped. */
static void test_ssl_without_tls(void)
{
	assert_header(test_v2("2100",
			      /* SSL: client 0, verify 0, VERSION TLSv1.2 */
			      "20 000f 00 00000000 21 0007 544c5376312e32 "
			      "30 0003 6e7331 01 0002 0068"),
		NULL,
		"PROXY v2 PROXY: tls=no version=TLSv1.2 cipher= cert=none "
		"verify=0 cn= cert_username= sni= alpn=\\x00h unique_id= "
		"crc32c=none",
		"haproxy_alpn=\\x00h\n"
		"haproxy_netns=ns1\n"
		"haproxy_tls=no\n");
}

/* GROUP and SIG_SCHEME (0x26, 0x27): TLS details like the cipher, given
   only with TLS; a CLIENT_CERT is the doveadm module's and the plugin's
   certificate code's, no field of the table */
static void test_group_sig_scheme(void)
{
	/* SSL: client 0x01, verify 0, GROUP X25519, SIG_SCHEME
	   rsa_pss_rsae_sha256, CLIENT_CERT 3 bytes */
	const char *ssl_body =
		"26 0006 583235353139 "
		"27 0013 7273615f7073735f727361655f736861323536 "
		"28 0003 300100";
	char *body = g_strdup_printf("20 %04x 01 00000000 %s",
				     5U + 9 + 22 + 6, ssl_body);
	struct proxy_header hdr;
	GByteArray *data = test_v2("2100", body);

	assert_header(g_byte_array_ref(data), NULL,
		"PROXY v2 PROXY: tls=yes version= cipher= cert=none verify=0 "
		"cn= cert_username= sni= alpn= unique_id= crc32c=none",
		"haproxy_cert=none\n"
		"haproxy_tls=yes\n"
		"haproxy_tls_group=X25519\n"
		"haproxy_tls_sig_scheme=rsa_pss_rsae_sha256\n");
	test_decode_complete(data, &hdr);
	T_BEGIN {
		g_assert_cmpstr(haproxy_tlv_field_printable(
			&haproxy_tlv_fields[HAPROXY_TLV_FIELD_SSL_GROUP],
			&hdr), ==, "X25519");
		g_assert_cmpstr(haproxy_tlv_field_printable(
			&haproxy_tlv_fields[HAPROXY_TLV_FIELD_SSL_SIG_SCHEME],
			&hdr), ==, "rsa_pss_rsae_sha256");
	} T_END;
	g_byte_array_unref(data);
	g_free(body);

	/* the same without the SSL client flag (and so without the
	   certificate, which the decoder refuses then): no client's */
	body = g_strdup_printf("20 %04x 00 00000000 %.*s", 5U + 9 + 22,
			       (int)(strlen(ssl_body) - strlen(" 28 0003 300100")),
			       ssl_body);
	assert_header(test_v2("2100", body), NULL,
		"PROXY v2 PROXY: tls=no version= cipher= cert=none verify=0 "
		"cn= cert_username= sni= alpn= unique_id= crc32c=none",
		"haproxy_tls=no\n");
	g_free(body);
}

/* HAProxy's unix socket frontends: LOCAL, with the client's TLS. A CN is
   kept as the UTF-8 it is for events and auth; the debug line cuts a
   long one. */
static void test_local_utf8_cn(void)
{
	/* 70 times "ü" (c3bc) after "J" */
	GString *cn = g_string_new("4a");

	for (unsigned int i = 0; i < 70; i++)
		g_string_append(cn, "c3bc");
	char *body = g_strdup_printf(
		"20 %04x 07 00000000 22 %04x %s",
		(unsigned int)(5 + 3 + 141), 141U, cn->str);
	GByteArray *data = test_v2("2000", body);
	GString *expected_cn = g_string_new("J");
	struct proxy_header hdr;

	for (unsigned int i = 0; i < 70; i++)
		g_string_append(expected_cn, "\xc3\xbc");

	test_decode_complete(data, &hdr);
	T_BEGIN {
		const char *line = haproxy_tlv_fields_debug_line(&hdr, NULL);

		g_assert_true(g_str_has_prefix(line, "PROXY v2 LOCAL: tls=yes "));
		/* 64 bytes at most, whole UTF-8 characters, then ... */
		g_assert_nonnull(strstr(line, " cn=J\xc3\xbc\xc3\xbc"));
		g_assert_null(strstr(line, expected_cn->str));
		g_assert_nonnull(strstr(line, "... cert_username= "));
		g_assert_cmpstr(haproxy_tlv_field_value(
			&haproxy_tlv_fields[HAPROXY_TLV_FIELD_SSL_CN], &hdr),
			==, expected_cn->str);
		/* doveadm shows the bytes */
		g_assert_true(g_str_has_prefix(haproxy_tlv_field_printable(
			&haproxy_tlv_fields[HAPROXY_TLV_FIELD_SSL_CN], &hdr),
			"J\\xc3\\xbc\\xc3\\xbc"));
	} T_END;
	g_string_free(expected_cn, TRUE);
	g_byte_array_unref(data);
	g_free(body);
	g_string_free(cn, TRUE);
}

static void test_decode_columns(void)
{
	GString *names = g_string_new(NULL);

	for (unsigned int i = 0; i < HAPROXY_TLV_FIELD_COUNT; i++) {
		if (haproxy_tlv_fields[i].name == NULL)
			continue;
		if (names->len > 0)
			g_string_append_c(names, ' ');
		g_string_append(names, haproxy_tlv_fields[i].name);
	}
	g_assert_cmpstr(names->str, ==, decode_columns);
	g_string_free(names, TRUE);
}

static void test_decode_values(void)
{
	GByteArray *data = test_fixture("v2-ssl-cn-verified");
	struct proxy_header hdr;

	test_decode_complete(data, &hdr);
	T_BEGIN {
		const struct haproxy_tlv_field *fields = haproxy_tlv_fields;

		g_assert_cmpstr(haproxy_tlv_field_printable(
			&fields[HAPROXY_TLV_FIELD_SOURCE], &hdr), ==,
			"127.0.0.1");
		g_assert_cmpstr(haproxy_tlv_field_printable(
			&fields[HAPROXY_TLV_FIELD_SSL_CLIENT], &hdr), ==, "0x07");
		g_assert_cmpstr(haproxy_tlv_field_printable(
			&fields[HAPROXY_TLV_FIELD_CRC32C], &hdr), ==, "");
		g_assert_cmpstr(haproxy_tlv_field_printable(
			&fields[HAPROXY_TLV_FIELD_AUTHORITY], &hdr), ==, "");
	} T_END;
	g_byte_array_unref(data);

	/* without an SSL TLV its numbers are empty, not 0 */
	data = test_fixture("v1-tcp6");
	test_decode_complete(data, &hdr);
	T_BEGIN {
		g_assert_cmpstr(haproxy_tlv_field_printable(
			&haproxy_tlv_fields[HAPROXY_TLV_FIELD_SSL_VERIFY],
			&hdr), ==, "");
		g_assert_cmpstr(haproxy_tlv_field_printable(
			&haproxy_tlv_fields[HAPROXY_TLV_FIELD_DESTINATION],
			&hdr), ==, "::1");
	} T_END;
	g_byte_array_unref(data);
}

/* What the client drops from what a client sends must cover every field
   the plugin sends, and each field must be shown somewhere */
static void test_table(void)
{
	for (unsigned int i = 0; i < HAPROXY_TLV_FIELD_COUNT; i++) {
		const struct haproxy_tlv_field *field = &haproxy_tlv_fields[i];

		g_assert_true(field->name != NULL || field->event_name != NULL);
		if (field->event_name != NULL) {
			g_assert_true(g_str_has_prefix(field->event_name,
						       HAPROXY_TLV_FIELD_PREFIX));
		}
		for (unsigned int j = 0; j < i; j++) {
			const struct haproxy_tlv_field *other =
				&haproxy_tlv_fields[j];

			g_assert_true(field->name == NULL ||
				      other->name == NULL ||
				      strcmp(field->name, other->name) != 0);
			g_assert_true(field->event_name == NULL ||
				      other->event_name == NULL ||
				      strcmp(field->event_name,
					     other->event_name) != 0);
		}
	}
}

int main(int argc, char **argv)
{
	int ret;

	lib_init();
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fields/plain-v1", test_plain_v1);
	g_test_add_func("/fields/cert-unverified", test_cert_unverified);
	g_test_add_func("/fields/tls-without-cert", test_tls_without_cert);
	g_test_add_func("/fields/all-options", test_all_options);
	g_test_add_func("/fields/ssl-without-tls", test_ssl_without_tls);
	g_test_add_func("/fields/local-utf8-cn", test_local_utf8_cn);
	g_test_add_func("/fields/group-sig-scheme", test_group_sig_scheme);
	g_test_add_func("/fields/decode-columns", test_decode_columns);
	g_test_add_func("/fields/decode-values", test_decode_values);
	g_test_add_func("/fields/table", test_table);
	ret = g_test_run();
	lib_deinit();
	return ret;
}
