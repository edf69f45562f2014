#include "lib.h"
#include "str.h"
#include "haproxy-tlv-escape.h"

const char *
haproxy_tlv_bytes_escape(pool_t pool, const struct proxy_header_bytes *bytes)
{
	string_t *str;

	if (bytes->data == NULL)
		return NULL;
	str = str_new(pool, bytes->size + 1);
	for (size_t i = 0; i < bytes->size; i++) {
		unsigned char c = bytes->data[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			str_append_c(str, c);
		else
			str_printfa(str, "\\x%02x", c);
	}
	return str_c(str);
}
