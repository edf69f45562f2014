/* PROXY protocol v1: one line of text, at most 107 bytes with its CRLF.
     PROXY TCP4 <src> <dst> <sport> <dport>\r\n
     PROXY TCP6 <src> <dst> <sport> <dport>\r\n
     PROXY UNKNOWN[ <anything>]\r\n

   Two parsers: a fast one that accepts only the complete, valid lines
   proxies send and looks at each byte of them once, and the strict one
   below it, which runs when the fast one gives up and alone decides what
   is wrong with a line (or that more bytes are needed). The fast parser
   never accepts what the strict one rejects, nor decodes a line
   differently; the unit tests and the fuzzer compare the two. */

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

/* hex digit values plus one, 0 for anything else */
static const unsigned char v1_hex_value[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* The fast parsers below read up to the first byte that cannot continue
   what they parse and return where they stopped, or NULL to give up. The
   line's CR continues nothing, so they never read past it. */

static inline unsigned int v1_digit(unsigned char c)
{
	/* anything but a digit wraps around to more than 9 */
	return (unsigned int)c - '0';
}

/* A decimal octet 0-255 without leading zeros */
static inline const unsigned char *
v1_fast_octet(const unsigned char *p, unsigned char *octet_r)
{
	unsigned int value = v1_digit(p[0]), digit;

	if (value > 9)
		return NULL;
	if ((digit = v1_digit(p[1])) > 9) {
		*octet_r = (unsigned char)value;
		return p + 1;
	}
	if (value == 0)
		return NULL;
	value = value * 10 + digit;
	if ((digit = v1_digit(p[2])) > 9) {
		*octet_r = (unsigned char)value;
		return p + 2;
	}
	value = value * 10 + digit;
	if (value > 255)
		return NULL;
	*octet_r = (unsigned char)value;
	return p + 3;
}

static const unsigned char *
v1_fast_ipv4(const unsigned char *p, unsigned char ip_r[4])
{
	if ((p = v1_fast_octet(p, &ip_r[0])) == NULL || *p != '.' ||
	    (p = v1_fast_octet(p + 1, &ip_r[1])) == NULL || *p != '.' ||
	    (p = v1_fast_octet(p + 1, &ip_r[2])) == NULL || *p != '.')
		return NULL;
	return v1_fast_octet(p + 1, &ip_r[3]);
}

/* Groups of hex digits with at most one "::"; an embedded IPv4 address
   is left to the strict parser. ip_r is all zeros on entry. */
static const unsigned char *
v1_fast_ipv6(const unsigned char *p, unsigned char ip_r[16])
{
	unsigned int count = 0, gap = 0, value, digit;
	bool have_gap = false;

	if (*p == ':') {
		if (p[1] != ':')
			return NULL;
		have_gap = true;
		p += 2;
		if (v1_hex_value[*p] == 0)
			return p;
	}
	for (;;) {
		if ((value = v1_hex_value[*p]) == 0 || count == 8)
			return NULL;
		value--;
		p++;
		for (unsigned int n = 1; n < 4 &&
		     (digit = v1_hex_value[*p]) != 0; n++, p++)
			value = (value << 4) | (digit - 1);
		ip_r[count * 2] = (unsigned char)(value >> 8);
		ip_r[count * 2 + 1] = (unsigned char)value;
		count++;
		if (*p != ':')
			break;
		if (*++p == ':') {
			if (have_gap)
				return NULL;
			have_gap = true;
			gap = count;
			if (v1_hex_value[*++p] == 0)
				break;
		}
	}
	if (!have_gap)
		return count == 8 ? p : NULL;
	if (count > 7)
		return NULL;
	/* move the bytes of the groups after "::" to the end, from the last
	   one so that each is zeroed before an earlier one may land on it */
	for (unsigned int i = count * 2, shift = (8 - count) * 2;
	     i-- > gap * 2; ) {
		ip_r[i + shift] = ip_r[i];
		ip_r[i] = 0;
	}
	return p;
}

/* One more digit of a number at *p, advancing *p */
static inline bool v1_more_digit(const unsigned char **p, unsigned int *value)
{
	unsigned int digit = v1_digit(**p);

	if (digit > 9)
		return false;
	*value = *value * 10 + digit;
	(*p)++;
	return true;
}

static const unsigned char *
v1_fast_port(const unsigned char *p, uint16_t *port_r)
{
	unsigned int value = v1_digit(*p);

	if (value > 9)
		return NULL;
	p++;
	/* a leading zero stops the number: "0" only. Otherwise up to four
	   more digits, written out rather than counted in a loop. */
	if (value != 0 && v1_more_digit(&p, &value) &&
	    v1_more_digit(&p, &value) && v1_more_digit(&p, &value) &&
	    v1_more_digit(&p, &value) && value > 65535)
		return NULL;
	*port_r = (uint16_t)value;
	return p;
}

static bool
v1_fast_unknown(const unsigned char *p, const unsigned char *cr,
		struct proxy_header *hdr)
{
	for (; p < cr; p++) {
		if (!v1_is_printable(*p))
			return false;
	}
	hdr->command = PROXY_HEADER_CMD_PROXY;
	hdr->family = PROXY_HEADER_FAMILY_UNSPEC;
	return true;
}

static bool
v1_fast_tcp(const unsigned char *p, const unsigned char *cr,
	    struct proxy_header *hdr)
{
	enum proxy_header_family family;

	if (cr - p < 5 || p[0] != 'T' || p[1] != 'C' || p[2] != 'P' ||
	    p[4] != ' ')
		return false;
	if (p[3] == '4')
		family = PROXY_HEADER_FAMILY_INET;
	else if (p[3] == '6')
		family = PROXY_HEADER_FAMILY_INET6;
	else
		return false;
	p += 5;
	if (family == PROXY_HEADER_FAMILY_INET) {
		if ((p = v1_fast_ipv4(p, hdr->src.ip)) == NULL || *p != ' ' ||
		    (p = v1_fast_ipv4(p + 1, hdr->dst.ip)) == NULL)
			return false;
	} else {
		if ((p = v1_fast_ipv6(p, hdr->src.ip)) == NULL || *p != ' ' ||
		    (p = v1_fast_ipv6(p + 1, hdr->dst.ip)) == NULL)
			return false;
	}
	if (*p != ' ' ||
	    (p = v1_fast_port(p + 1, &hdr->src.port)) == NULL || *p != ' ' ||
	    (p = v1_fast_port(p + 1, &hdr->dst.port)) != cr)
		return false;
	hdr->command = PROXY_HEADER_CMD_PROXY;
	hdr->family = family;
	hdr->transport = PROXY_HEADER_TRANSPORT_STREAM;
	return true;
}

/* hdr is all zeros on entry */
static bool
v1_decode_fast(const unsigned char *data, size_t size,
	       struct proxy_header *hdr)
{
	/* a CR at 106 or later makes the line longer than 107 bytes */
	size_t max = size < PROXY_HEADER_V1_MAX_SIZE - 1 ?
		size : PROXY_HEADER_V1_MAX_SIZE - 1;
	const unsigned char *p = data + PROXY_HEADER_V1_SIGNATURE_SIZE;
	const unsigned char *cr;
	size_t len;

	if (max <= PROXY_HEADER_V1_SIGNATURE_SIZE)
		return false;
	/* A proxy's line usually comes alone, so its CRLF ends the data:
	   then the parsers below, which stop at any CR, end at that one or
	   give up. Otherwise memchr() finds the first CR, comparing many
	   bytes per instruction. */
	if (size <= PROXY_HEADER_V1_MAX_SIZE &&
	    data[size - 2] == '\r' && data[size - 1] == '\n')
		cr = data + size - 2;
	else if ((cr = memchr(p, '\r', max - PROXY_HEADER_V1_SIGNATURE_SIZE)) == NULL ||
		 (size_t)(cr - data) + 1 == size || cr[1] != '\n')
		return false;
	len = (size_t)(cr - p);
	if (len >= 7 && memcmp(p, "UNKNOWN", 7) == 0 &&
	    (len == 7 || p[7] == ' ')) {
		if (!v1_fast_unknown(p + 7, cr, hdr))
			return false;
	} else if (!v1_fast_tcp(p, cr, hdr)) {
		return false;
	}
	hdr->version = 1;
	hdr->size = (size_t)(cr - data) + 2;
	return true;
}

enum proxy_header_result
proxy_header_decode_v1_strict(const unsigned char *data, size_t size,
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

enum proxy_header_result
proxy_header_decode_v1(const unsigned char *data, size_t size,
		       struct proxy_header *hdr, size_t *need_r,
		       const char **reason_r)
{
	if (v1_decode_fast(data, size, hdr))
		return PROXY_HEADER_COMPLETE;
	/* start the strict parser from the same all-zeros header */
	memset(hdr, 0, sizeof(*hdr));
	return proxy_header_decode_v1_strict(data, size, hdr, need_r, reason_r);
}
