/* Headers that must be rejected, each with the reason it must be rejected
   for. The decoder's reason is what an administrator reads in the log, so
   the test checks it, not just that decoding failed. */

#include <string.h>

#include "malformed-cases.h"

static void assert_invalid(const GByteArray *data, const char *expected)
{
	struct proxy_header hdr;
	size_t need;
	const char *reason;
	enum proxy_header_result ret;

	ret = proxy_header_decode(data->data, data->len, &hdr, &need, &reason);
	g_assert_cmpint(ret, ==, PROXY_HEADER_INVALID);
	g_assert_nonnull(reason);
	if (strstr(reason, expected) == NULL)
		g_error("reason '%s' does not contain '%s'", reason, expected);
}

static void test_malformed(gconstpointer data)
{
	const struct malformed_case *c = data;
	GByteArray *bytes = malformed_case_bytes(c);

	assert_invalid(bytes, c->reason);
	g_byte_array_unref(bytes);
}

static void test_unique_id_too_long(void)
{
	GString *body = g_string_new(ADDRS "05 0081");

	for (unsigned int i = 0; i < PROXY_HEADER_UNIQUE_ID_MAX_SIZE + 1; i++)
		g_string_append(body, "41");
	GByteArray *data = test_v2("21 11", body->str);
	assert_invalid(data, "UNIQUE_ID TLV is longer than 128 bytes");
	g_byte_array_unref(data);
	g_string_free(body, TRUE);
}

static void test_authority_label_too_long(void)
{
	GString *body = g_string_new(ADDRS "02 0040");

	for (unsigned int i = 0; i < 64; i++)
		g_string_append(body, "61");
	GByteArray *data = test_v2("21 11", body->str);
	assert_invalid(data, "not a valid host name");
	g_byte_array_unref(data);
	g_string_free(body, TRUE);
}

/* Flipping any byte after the signature of a header HAProxy protected with
   CRC32C must never go unnoticed (or yield a different valid header). */
static void test_crc32c_every_byte_flipped(void)
{
	GByteArray *data = test_fixture("v2-crc32c-unique-id");
	struct proxy_header hdr;
	size_t need;
	const char *reason;

	for (size_t i = 16; i < data->len; i++) {
		data->data[i] ^= 0x01;
		g_assert_cmpint(proxy_header_decode(data->data, data->len,
						    &hdr, &need, &reason), !=,
				PROXY_HEADER_COMPLETE);
		data->data[i] ^= 0x01;
	}
	test_decode_complete(data, &hdr);
	g_byte_array_unref(data);
}

static void test_junk(void)
{
	GByteArray *data = g_byte_array_new();
	guint8 byte;

	/* 64 KiB of junk starting like a v1 header */
	g_byte_array_append(data, (const guint8 *)"PROXY ", 6);
	for (unsigned int i = 0; i < 65536; i++) {
		byte = (guint8)('A' + i % 26);
		g_byte_array_append(data, &byte, 1);
	}
	assert_invalid(data, "longer than 107 bytes");
	g_byte_array_unref(data);
}

/* A header with the SSL TLV's VERSION (or CN) set to value[0..size-1] */
static GByteArray *
ssl_text_header(bool cn, const unsigned char *value, size_t size)
{
	struct proxy_header hdr;
	struct proxy_header_bytes bytes = { value, size };

	test_v2_tcp4_init(&hdr, "192.0.2.10", 1234, "127.0.0.1", 143);
	hdr.have_ssl = true;
	hdr.ssl_client = PROXY_HEADER_CLIENT_SSL;
	if (cn) {
		hdr.ssl_client |= PROXY_HEADER_CLIENT_CERT_CONN;
		hdr.ssl_cn = bytes;
	} else {
		hdr.ssl_version = bytes;
	}
	return test_encode(&hdr);
}

static void
assert_ssl_text(bool cn, const unsigned char *value, size_t size,
		const char *expected_reason)
{
	GByteArray *data = ssl_text_header(cn, value, size);

	if (expected_reason == NULL) {
		struct proxy_header hdr;

		test_decode_complete(data, &hdr);
	} else {
		assert_invalid(data, expected_reason);
	}
	g_byte_array_unref(data);
}

/* The text checks read eight bytes at a time, the last words overlapping:
   a control character is found at every position of every length, next
   to bytes from 0x80 up (which are no control characters) */
static void test_control_char_every_position(void)
{
	static const unsigned char controls[] = { 0x00, 0x01, 0x1f, 0x7f };
	unsigned char value[40];

	for (size_t size = 1; size <= sizeof(value); size++) {
		for (size_t i = 0; i < size; i++)
			value[i] = (unsigned char)(i % 2 == 0 ? 0x20 + i : 0xff - i);
		assert_ssl_text(FALSE, value, size, NULL);
		for (size_t pos = 0; pos < size; pos++) {
			for (size_t c = 0; c < sizeof(controls); c++) {
				unsigned char saved = value[pos];

				value[pos] = controls[c];
				assert_ssl_text(FALSE, value, size,
					"SSL VERSION contains a control character");
				value[pos] = saved;
			}
		}
	}
}

/* The CN's ASCII words and its byte-wise UTF-8 check agree at every
   position: a control character, a valid two-byte sequence, a stray
   continuation byte */
static void test_cn_every_position(void)
{
	unsigned char value[40];

	for (size_t size = 2; size <= sizeof(value); size++) {
		memset(value, 'a', size);
		assert_ssl_text(TRUE, value, size, NULL);
		for (size_t pos = 0; pos < size; pos++) {
			value[pos] = 0x1f;
			assert_ssl_text(TRUE, value, size,
				"SSL CN contains NUL or a control character");
			value[pos] = 0x7f;
			assert_ssl_text(TRUE, value, size,
				"SSL CN contains NUL or a control character");
			value[pos] = 0x80;
			assert_ssl_text(TRUE, value, size,
				"SSL CN is not valid UTF-8");
			if (pos + 1 < size) {
				/* U+00E9 */
				value[pos] = 0xc3;
				value[pos + 1] = 0xa9;
				assert_ssl_text(TRUE, value, size, NULL);
				value[pos + 1] = 'a';
			}
			value[pos] = 'a';
		}
	}
}

void test_malformed_register(void)
{
	g_assert_cmpuint(malformed_cases_count, >=, 40);
	for (size_t i = 0; i < malformed_cases_count; i++) {
		char *path = g_strdup_printf("/malformed/%s",
					     malformed_cases[i].name);
		g_test_add_data_func(path, &malformed_cases[i], test_malformed);
		g_free(path);
	}
	g_test_add_func("/malformed/unique-id-too-long",
			test_unique_id_too_long);
	g_test_add_func("/malformed/authority-label-too-long",
			test_authority_label_too_long);
	g_test_add_func("/malformed/crc32c-every-byte-flipped",
			test_crc32c_every_byte_flipped);
	g_test_add_func("/malformed/junk-64k", test_junk);
	g_test_add_func("/malformed/control-char-every-position",
			test_control_char_every_position);
	g_test_add_func("/malformed/cn-every-position",
			test_cn_every_position);
}
