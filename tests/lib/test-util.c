#include <arpa/inet.h>
#include <string.h>

#include "proxy-header-encode.h"
#include "test-util.h"

GByteArray *test_hex(const char *hex)
{
	GByteArray *data = g_byte_array_new();

	for (const char *p = hex; *p != '\0'; ) {
		if (*p == ' ') {
			p++;
			continue;
		}
		g_assert_true(g_ascii_isxdigit(p[0]) && g_ascii_isxdigit(p[1]));
		guint8 byte = (guint8)(g_ascii_xdigit_value(p[0]) << 4 |
				       g_ascii_xdigit_value(p[1]));
		g_byte_array_append(data, &byte, 1);
		p += 2;
	}
	return data;
}

GByteArray *test_fixture(const char *name)
{
	char *path = g_strdup_printf("%s/%s.bin", FIXTURE_DIR, name);
	char *contents;
	gsize size;
	GError *error = NULL;

	if (!g_file_get_contents(path, &contents, &size, &error))
		g_error("%s", error->message);
	g_free(path);
	return g_byte_array_new_take((guint8 *)contents, size);
}

void test_decode_complete(const GByteArray *data, struct proxy_header *hdr)
{
	size_t need;
	const char *reason;
	enum proxy_header_result ret;

	ret = proxy_header_decode(data->data, data->len, hdr, &need, &reason);
	if (ret == PROXY_HEADER_INVALID)
		g_error("unexpected invalid header: %s", reason);
	g_assert_cmpint(ret, ==, PROXY_HEADER_COMPLETE);
	g_assert_cmpuint(hdr->size, ==, data->len);
}

gboolean test_bytes_equal(const struct proxy_header_bytes *bytes,
			  const char *expected)
{
	if (expected == NULL)
		return bytes->data == NULL;
	return bytes->data != NULL && bytes->size == strlen(expected) &&
		memcmp(bytes->data, expected, bytes->size) == 0;
}

GByteArray *test_v2(const char *ver_fam, const char *body)
{
	GByteArray *data = test_hex(TEST_V2_SIGNATURE);
	GByteArray *fixed = test_hex(ver_fam);
	GByteArray *rest = test_hex(body);
	guint8 len[2] = { (guint8)(rest->len >> 8), (guint8)(rest->len & 0xff) };

	g_assert_cmpuint(fixed->len, ==, 2);
	g_byte_array_append(data, fixed->data, fixed->len);
	g_byte_array_append(data, len, 2);
	g_byte_array_append(data, rest->data, rest->len);
	g_byte_array_unref(fixed);
	g_byte_array_unref(rest);
	return data;
}

GByteArray *test_encode(const struct proxy_header *hdr)
{
	unsigned char buf[PROXY_HEADER_MAX_SIZE];
	const char *reason;
	size_t size;

	size = proxy_header_encode(hdr, NULL, buf, sizeof(buf), &reason);
	if (size == 0)
		g_error("PROXY header: %s", reason);
	return g_byte_array_append(g_byte_array_new(), buf, size);
}

void test_v2_init(struct proxy_header *hdr, enum proxy_header_command command,
		  enum proxy_header_family family)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = 2;
	hdr->command = command;
	hdr->family = family;
	if (family != PROXY_HEADER_FAMILY_UNSPEC)
		hdr->transport = PROXY_HEADER_TRANSPORT_STREAM;
}

struct proxy_header_bytes test_str_bytes(const char *str)
{
	struct proxy_header_bytes bytes = {
		.data = (const unsigned char *)str,
		.size = strlen(str),
	};
	return bytes;
}

void test_v2_tcp4_init(struct proxy_header *hdr, const char *src,
		       guint16 src_port, const char *dst, guint16 dst_port)
{
	test_v2_init(hdr, PROXY_HEADER_CMD_PROXY, PROXY_HEADER_FAMILY_INET);
	g_assert_cmpint(inet_pton(AF_INET, src, hdr->src.ip), ==, 1);
	g_assert_cmpint(inet_pton(AF_INET, dst, hdr->dst.ip), ==, 1);
	hdr->src.port = src_port;
	hdr->dst.port = dst_port;
}

GByteArray *test_v2_tcp4_header(const char *src, guint16 src_port,
				const char *dst, guint16 dst_port)
{
	struct proxy_header hdr;

	test_v2_tcp4_init(&hdr, src, src_port, dst, dst_port);
	return test_encode(&hdr);
}
