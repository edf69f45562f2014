/* PROXY protocol v1: one line of text, at most 107 bytes with its CRLF.
     PROXY TCP4 <src> <dst> <sport> <dport>\r\n
     PROXY TCP6 <src> <dst> <sport> <dport>\r\n
     PROXY UNKNOWN[ <anything>]\r\n */

#include <string.h>

#include "proxy-header-private.h"

#define V1_ADDRESS_MAX_LEN 45

/* the protocol and four fields, plus one to detect extra fields */
#define V1_MAX_FIELDS 6

struct v1_fields {
	const char *token[V1_MAX_FIELDS];
	size_t len[V1_MAX_FIELDS];
	unsigned int count;
};

static bool v1_is_printable(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* Find the end of the line. Returns false when it is not there yet; an
   invalid byte on the way makes it return true with *reason_r set. */
static bool
v1_find_line_end(const unsigned char *data, size_t size, size_t *end_r,
		 const char **reason_r)
{
	size_t max = size < PROXY_HEADER_V1_MAX_SIZE ?
		size : PROXY_HEADER_V1_MAX_SIZE;

	for (size_t i = PROXY_HEADER_V1_SIGNATURE_SIZE; i < max; i++) {
		if (data[i] == '\r') {
			if (i + 2 > PROXY_HEADER_V1_MAX_SIZE) {
				*reason_r = "v1 header is longer than 107 bytes";
				return true;
			}
			if (i + 1 == size)
				return false;
			if (data[i + 1] != '\n') {
				*reason_r = "v1 header has CR not followed by LF";
				return true;
			}
			*end_r = i;
			return true;
		}
		if (data[i] == '\n') {
			*reason_r = "v1 header line does not end with CRLF";
			return true;
		}
		if (!v1_is_printable(data[i])) {
			*reason_r = "v1 header contains a non-printable byte";
			return true;
		}
	}
	if (max == PROXY_HEADER_V1_MAX_SIZE) {
		*reason_r = "v1 header is longer than 107 bytes";
		return true;
	}
	return false;
}

static bool
v1_split(const char *line, size_t len, struct v1_fields *fields_r)
{
	size_t start = 0;

	fields_r->count = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		/* empty token: double, leading or trailing space */
		if (i == start)
			return false;
		if (fields_r->count < V1_MAX_FIELDS) {
			fields_r->token[fields_r->count] = line + start;
			fields_r->len[fields_r->count] = i - start;
			fields_r->count++;
		}
		start = i + 1;
	}
	return true;
}

static bool v1_parse_port(const char *str, size_t len, uint16_t *port_r)
{
	unsigned int value = 0;

	if (len == 0 || len > 5 || (str[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (str[i] < '0' || str[i] > '9')
			return false;
		value = value * 10 + (unsigned int)(str[i] - '0');
	}
	if (value > 65535)
		return false;
	*port_r = (uint16_t)value;
	return true;
}

static bool
v1_parse_address(enum proxy_header_family family, const char *str,
		 size_t len, unsigned char ip_r[16])
{
	if (len > V1_ADDRESS_MAX_LEN)
		return false;
	if (family == PROXY_HEADER_FAMILY_INET)
		return proxy_header_parse_ipv4(str, len, ip_r);
	return proxy_header_parse_ipv6(str, len, ip_r);
}

static bool
v1_parse_tcp(const struct v1_fields *fields, struct proxy_header *hdr,
	     const char **reason_r)
{
	if (fields->count != 5) {
		*reason_r = "v1 header does not have exactly four fields "
			"after the protocol";
		return false;
	}
	if (!v1_parse_address(hdr->family, fields->token[1], fields->len[1],
			      hdr->src.ip)) {
		*reason_r = hdr->family == PROXY_HEADER_FAMILY_INET ?
			"v1 source is not a valid IPv4 address" :
			"v1 source is not a valid IPv6 address";
		return false;
	}
	if (!v1_parse_address(hdr->family, fields->token[2], fields->len[2],
			      hdr->dst.ip)) {
		*reason_r = hdr->family == PROXY_HEADER_FAMILY_INET ?
			"v1 destination is not a valid IPv4 address" :
			"v1 destination is not a valid IPv6 address";
		return false;
	}
	if (!v1_parse_port(fields->token[3], fields->len[3], &hdr->src.port)) {
		*reason_r = "v1 source port is not a decimal number 0-65535";
		return false;
	}
	if (!v1_parse_port(fields->token[4], fields->len[4], &hdr->dst.port)) {
		*reason_r = "v1 destination port is not a decimal number 0-65535";
		return false;
	}
	return true;
}

static bool
v1_parse_line(const char *line, size_t len, struct proxy_header *hdr,
	      const char **reason_r)
{
	struct v1_fields fields;

	/* "UNKNOWN" may be followed by anything, which is ignored */
	if (len >= 7 && memcmp(line, "UNKNOWN", 7) == 0 &&
	    (len == 7 || line[7] == ' ')) {
		/* a relayed client whose addresses the proxy cannot express
		   (HAProxy sends it for unix socket clients): like v2 PROXY
		   with family UNSPEC, not like LOCAL */
		hdr->command = PROXY_HEADER_CMD_PROXY;
		hdr->family = PROXY_HEADER_FAMILY_UNSPEC;
		return true;
	}
	if (len == 0) {
		*reason_r = "v1 header has no protocol";
		return false;
	}
	if (!v1_split(line, len, &fields)) {
		*reason_r = "v1 header fields are not separated by single spaces";
		return false;
	}
	hdr->command = PROXY_HEADER_CMD_PROXY;
	hdr->transport = PROXY_HEADER_TRANSPORT_STREAM;
	if (fields.len[0] == 4 && memcmp(fields.token[0], "TCP4", 4) == 0)
		hdr->family = PROXY_HEADER_FAMILY_INET;
	else if (fields.len[0] == 4 && memcmp(fields.token[0], "TCP6", 4) == 0)
		hdr->family = PROXY_HEADER_FAMILY_INET6;
	else {
		*reason_r = "v1 protocol is not TCP4, TCP6 or UNKNOWN";
		return false;
	}
	return v1_parse_tcp(&fields, hdr, reason_r);
}

enum proxy_header_result
proxy_header_decode_v1(const unsigned char *data, size_t size,
		       struct proxy_header *hdr, size_t *need_r,
		       const char **reason_r)
{
	size_t cr;

	if (!v1_find_line_end(data, size, &cr, reason_r)) {
		*need_r = size < PROXY_HEADER_V1_MIN_SIZE ?
			PROXY_HEADER_V1_MIN_SIZE - size : 1;
		return PROXY_HEADER_NEED_MORE;
	}
	if (*reason_r != NULL)
		return PROXY_HEADER_INVALID;

	hdr->version = 1;
	hdr->size = cr + 2;
	if (!v1_parse_line((const char *)data + PROXY_HEADER_V1_SIGNATURE_SIZE,
			   cr - PROXY_HEADER_V1_SIGNATURE_SIZE, hdr, reason_r))
		return PROXY_HEADER_INVALID;
	return PROXY_HEADER_COMPLETE;
}
