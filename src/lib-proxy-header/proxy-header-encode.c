/* The encoder: one pass over the fields in the order HAProxy writes them.
   The same pass measures and writes: a write that does not fit is skipped
   but still counted, so the size a header would have is known without a
   second copy of the layout (proxy_header_encoded_size()). */

#include "proxy-header-encode.h"
#include "proxy-header-private.h"

#define TLV_VALUE_MAX_SIZE 65535

struct encoder {
	unsigned char *buf;
	size_t buf_size;
	/* bytes of the header so far, written or not */
	size_t pos;
	const char *reason;
};

static const struct proxy_header_raw_tlvs no_raw_tlvs = { NULL, 0, NULL, 0 };
/* padding of UNIX paths, and the placeholders of lengths and checksum */
static const unsigned char zeros[PROXY_HEADER_UNIX_PATH_SIZE] = { 0 };

static void put(struct encoder *enc, const void *data, size_t size)
{
	if (size > 0 && enc->pos <= enc->buf_size &&
	    size <= enc->buf_size - enc->pos)
		memcpy(enc->buf + enc->pos, data, size);
	enc->pos += size;
}

/* Fill in a length or checksum whose value is known only later */
static void
put_at(struct encoder *enc, size_t pos, const unsigned char *data, size_t size)
{
	if (pos + size <= enc->buf_size)
		memcpy(enc->buf + pos, data, size);
}

static void be16(unsigned char *p, size_t value)
{
	p[0] = (unsigned char)(value >> 8);
	p[1] = (unsigned char)value;
}

static void be32(unsigned char *p, uint32_t value)
{
	p[0] = (unsigned char)(value >> 24);
	p[1] = (unsigned char)(value >> 16);
	p[2] = (unsigned char)(value >> 8);
	p[3] = (unsigned char)value;
}

static size_t format_decimal(char *p, unsigned int value)
{
	char digits[10];
	size_t len = 0;

	do {
		digits[len++] = (char)('0' + value % 10);
		value /= 10;
	} while (value > 0);
	for (size_t i = 0; i < len; i++)
		p[i] = digits[len - 1 - i];
	return len;
}

static size_t format_ipv4(char *p, const unsigned char ip[4])
{
	size_t len = 0;

	for (unsigned int i = 0; i < 4; i++) {
		if (i > 0)
			p[len++] = '.';
		len += format_decimal(p + len, ip[i]);
	}
	return len;
}

static size_t format_hex_group(char *p, unsigned int value)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = 0;
	int shift = 12;

	/* no leading zeros, but at least one digit */
	while (shift > 0 && (value >> shift) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		p[len++] = hex[(value >> shift) & 0xf];
	return len;
}

/* What HAProxy writes through glibc's inet_ntop(), so that a header
   captured from HAProxy is encoded again byte for byte: the first longest
   run of two or more zero groups becomes "::", and an address with only
   its last 32 bits set (or ::ffff:0:0/96) ends in dotted IPv4. */
static size_t format_ipv6(char *p, const unsigned char ip[16])
{
	unsigned int groups[8], best_start = 8, best_len = 0, run_len = 0;
	size_t len = 0;

	for (unsigned int i = 0; i < 8; i++) {
		groups[i] = proxy_header_be16(ip + i * 2);
		run_len = groups[i] == 0 ? run_len + 1 : 0;
		if (run_len > best_len) {
			best_len = run_len;
			best_start = i + 1 - run_len;
		}
	}
	/* a single zero group stays "0" */
	if (best_len < 2)
		best_len = 0;

	for (unsigned int i = 0; i < 8; i++) {
		if (i >= best_start && i < best_start + best_len) {
			if (i == best_start)
				p[len++] = ':';
			continue;
		}
		if (i > 0)
			p[len++] = ':';
		if (i == 6 && best_start == 0 &&
		    (best_len == 6 || (best_len == 5 && groups[5] == 0xffff)))
			return len + format_ipv4(p + len, ip + 12);
		len += format_hex_group(p + len, groups[i]);
	}
	if (best_len > 0 && best_start + best_len == 8)
		p[len++] = ':';
	return len;
}

static size_t
format_v1_endpoints(char *p, const struct proxy_header *hdr)
{
	bool inet = hdr->family == PROXY_HEADER_FAMILY_INET;
	size_t len = 0;

	len += inet ? format_ipv4(p + len, hdr->src.ip) :
		format_ipv6(p + len, hdr->src.ip);
	p[len++] = ' ';
	len += inet ? format_ipv4(p + len, hdr->dst.ip) :
		format_ipv6(p + len, hdr->dst.ip);
	p[len++] = ' ';
	len += format_decimal(p + len, hdr->src.port);
	p[len++] = ' ';
	len += format_decimal(p + len, hdr->dst.port);
	return len;
}

static void encode_v1(struct encoder *enc, const struct proxy_header *hdr)
{
	/* the longest is 104 bytes: "PROXY TCP6 ", two addresses of at most
	   39 characters (8 groups of 4 hex digits; an IPv4 tail comes only
	   after zero groups), two 5-digit ports, 3 spaces, CRLF */
	char line[PROXY_HEADER_V1_MAX_SIZE];
	size_t len = 0;

	memcpy(line, PROXY_HEADER_V1_SIGNATURE,
	       PROXY_HEADER_V1_SIGNATURE_SIZE);
	len += PROXY_HEADER_V1_SIGNATURE_SIZE;
	if (hdr->family == PROXY_HEADER_FAMILY_UNSPEC) {
		memcpy(line + len, "UNKNOWN", 7);
		len += 7;
	} else {
		memcpy(line + len, hdr->family == PROXY_HEADER_FAMILY_INET ?
		       "TCP4 " : "TCP6 ", 5);
		len += 5;
		len += format_v1_endpoints(line + len, hdr);
	}
	memcpy(line + len, "\r\n", 2);
	len += 2;
	put(enc, line, len);
}

static size_t unix_path_size(const struct proxy_header_bytes *path)
{
	return path->data == NULL ? 0 : path->size;
}

static void
put_unix_path(struct encoder *enc, const struct proxy_header_bytes *path)
{
	size_t size = unix_path_size(path);

	put(enc, path->data, size);
	put(enc, zeros, PROXY_HEADER_UNIX_PATH_SIZE - size);
}

static void
encode_v2_addresses(struct encoder *enc, const struct proxy_header *hdr)
{
	unsigned char ports[4];

	be16(ports, hdr->src.port);
	be16(ports + 2, hdr->dst.port);
	switch (hdr->family) {
	case PROXY_HEADER_FAMILY_UNSPEC:
		break;
	case PROXY_HEADER_FAMILY_INET:
		put(enc, hdr->src.ip, 4);
		put(enc, hdr->dst.ip, 4);
		put(enc, ports, 4);
		break;
	case PROXY_HEADER_FAMILY_INET6:
		put(enc, hdr->src.ip, 16);
		put(enc, hdr->dst.ip, 16);
		put(enc, ports, 4);
		break;
	case PROXY_HEADER_FAMILY_UNIX:
		put_unix_path(enc, &hdr->src.unix_path);
		put_unix_path(enc, &hdr->dst.unix_path);
		break;
	}
}

static bool
put_tlv(struct encoder *enc, uint8_t type,
	const struct proxy_header_bytes *value)
{
	size_t size = value->data == NULL ? 0 : value->size;
	unsigned char tlv_hdr[3];

	if (size > TLV_VALUE_MAX_SIZE) {
		enc->reason = "TLV value is longer than 65535 bytes";
		return false;
	}
	tlv_hdr[0] = type;
	be16(tlv_hdr + 1, size);
	put(enc, tlv_hdr, sizeof(tlv_hdr));
	put(enc, value->data, size);
	return true;
}

/* A field of struct proxy_header: absent when its data is NULL */
static bool
put_field_tlv(struct encoder *enc, uint8_t type,
	      const struct proxy_header_bytes *value)
{
	return value->data == NULL || put_tlv(enc, type, value);
}

/* A TLV whose value is written after its header: returns where the
   length goes, for end_tlv() */
static size_t begin_tlv(struct encoder *enc, uint8_t type)
{
	size_t start = enc->pos;

	put(enc, &type, 1);
	put(enc, zeros, 2);
	return start + 1;
}

/* The length of what follows length_pos, which ends with its 2 bytes */
static bool
check_length(struct encoder *enc, size_t length_pos, const char *too_long)
{
	if (enc->pos - length_pos - 2 > TLV_VALUE_MAX_SIZE) {
		enc->reason = too_long;
		return false;
	}
	return true;
}

static bool
end_tlv(struct encoder *enc, size_t length_pos, const char *too_long)
{
	unsigned char b[2];

	if (!check_length(enc, length_pos, too_long))
		return false;
	be16(b, enc->pos - length_pos - 2);
	put_at(enc, length_pos, b, 2);
	return true;
}

static bool
put_raw_tlvs(struct encoder *enc, const struct proxy_header_tlv *tlvs,
	     size_t count, size_t length_pos, const char *too_long)
{
	for (size_t i = 0; i < count; i++) {
		/* checked each time: stops long before sizes could wrap */
		if (!put_tlv(enc, tlvs[i].type, &tlvs[i].value) ||
		    !check_length(enc, length_pos, too_long))
			return false;
	}
	return true;
}

static bool
encode_ssl(struct encoder *enc, const struct proxy_header *hdr,
	   const struct proxy_header_raw_tlvs *raw)
{
	/* HAProxy's order, not the types' */
	const struct {
		uint8_t type;
		const struct proxy_header_bytes *value;
	} subs[] = {
		{ PROXY_HEADER_TLV_SSL_VERSION, &hdr->ssl_version },
		{ PROXY_HEADER_TLV_SSL_CN, &hdr->ssl_cn },
		{ PROXY_HEADER_TLV_SSL_KEY_ALG, &hdr->ssl_key_alg },
		{ PROXY_HEADER_TLV_SSL_SIG_ALG, &hdr->ssl_sig_alg },
		{ PROXY_HEADER_TLV_SSL_CIPHER, &hdr->ssl_cipher },
		{ PROXY_HEADER_TLV_SSL_GROUP, &hdr->ssl_group },
		{ PROXY_HEADER_TLV_SSL_SIG_SCHEME, &hdr->ssl_sig_scheme },
		{ PROXY_HEADER_TLV_SSL_CLIENT_CERT, &hdr->ssl_client_cert },
	};
	const char *too_long = "SSL TLV is longer than 65535 bytes";
	size_t length_pos = begin_tlv(enc, PROXY_HEADER_TLV_SSL);
	unsigned char fixed[PROXY_HEADER_SSL_FIXED_SIZE];

	fixed[0] = hdr->ssl_client;
	be32(fixed + 1, hdr->ssl_verify);
	put(enc, fixed, sizeof(fixed));
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (!put_field_tlv(enc, subs[i].type, subs[i].value))
			return false;
	}
	return put_raw_tlvs(enc, raw->ssl_tlvs, raw->ssl_count, length_pos,
			    too_long) &&
		end_tlv(enc, length_pos, too_long);
}

static bool
encode_v2(struct encoder *enc, const struct proxy_header *hdr,
	  const struct proxy_header_raw_tlvs *raw)
{
	const char *too_long = "v2 header is longer than the protocol's "
		"65551 bytes";
	const struct proxy_header_bytes zero_crc = {
		zeros, PROXY_HEADER_CRC32C_SIZE
	};
	unsigned char fixed[2];
	size_t length_pos, crc_pos = 0;

	put(enc, PROXY_HEADER_V2_SIGNATURE, PROXY_HEADER_V2_SIGNATURE_SIZE);
	fixed[0] = (unsigned char)(0x20 | hdr->command);
	fixed[1] = (unsigned char)(hdr->family << 4 | hdr->transport);
	put(enc, fixed, 2);
	length_pos = enc->pos;
	put(enc, zeros, 2);
	encode_v2_addresses(enc, hdr);

	if (hdr->have_crc32c) {
		crc_pos = enc->pos + 3;
		(void)put_tlv(enc, PROXY_HEADER_TLV_CRC32C, &zero_crc);
	}
	if (!put_field_tlv(enc, PROXY_HEADER_TLV_ALPN, &hdr->alpn) ||
	    !put_field_tlv(enc, PROXY_HEADER_TLV_AUTHORITY, &hdr->authority) ||
	    !put_field_tlv(enc, PROXY_HEADER_TLV_UNIQUE_ID, &hdr->unique_id) ||
	    (hdr->have_ssl && !encode_ssl(enc, hdr, raw)) ||
	    !put_field_tlv(enc, PROXY_HEADER_TLV_NETNS, &hdr->netns) ||
	    !put_raw_tlvs(enc, raw->tlvs, raw->count, length_pos, too_long) ||
	    !end_tlv(enc, length_pos, too_long))
		return false;

	/* over the whole header with the checksum field still zero, as the
	   decoder verifies it */
	if (hdr->have_crc32c && enc->pos <= enc->buf_size) {
		unsigned char crc[PROXY_HEADER_CRC32C_SIZE];

		be32(crc, proxy_header_crc32c(0, enc->buf, enc->pos));
		put_at(enc, crc_pos, crc, sizeof(crc));
	}
	return true;
}

static bool
has_ssl_fields(const struct proxy_header *hdr,
	       const struct proxy_header_raw_tlvs *raw)
{
	return hdr->ssl_client != 0 || hdr->ssl_verify != 0 ||
		hdr->ssl_version.data != NULL || hdr->ssl_cn.data != NULL ||
		hdr->ssl_cipher.data != NULL || hdr->ssl_sig_alg.data != NULL ||
		hdr->ssl_key_alg.data != NULL || hdr->ssl_group.data != NULL ||
		hdr->ssl_sig_scheme.data != NULL ||
		hdr->ssl_client_cert.data != NULL || raw->ssl_count > 0;
}

static bool
has_tlv_fields(const struct proxy_header *hdr,
	       const struct proxy_header_raw_tlvs *raw)
{
	return hdr->alpn.data != NULL || hdr->authority.data != NULL ||
		hdr->unique_id.data != NULL || hdr->netns.data != NULL ||
		hdr->have_crc32c || hdr->have_ssl || raw->count > 0 ||
		has_ssl_fields(hdr, raw);
}

static bool
check_fields(const struct proxy_header *hdr,
	     const struct proxy_header_raw_tlvs *raw, const char **reason_r)
{
	/* enums from a caller may hold anything */
	if (hdr->version != 1 && hdr->version != 2)
		*reason_r = "version is neither 1 nor 2";
	else if ((unsigned int)hdr->command > PROXY_HEADER_CMD_PROXY)
		*reason_r = "unknown command";
	else if ((unsigned int)hdr->family > PROXY_HEADER_FAMILY_UNIX)
		*reason_r = "unknown address family";
	else if ((unsigned int)hdr->transport > PROXY_HEADER_TRANSPORT_DGRAM)
		*reason_r = "unknown transport protocol";
	else if (hdr->version == 1 && hdr->command == PROXY_HEADER_CMD_LOCAL)
		*reason_r = "v1 has no LOCAL command (PROXY UNKNOWN is "
			"PROXY with family UNSPEC)";
	else if (hdr->version == 1 && hdr->family == PROXY_HEADER_FAMILY_UNIX)
		*reason_r = "v1 cannot express UNIX addresses";
	else if (hdr->version == 1 &&
		 hdr->transport == PROXY_HEADER_TRANSPORT_DGRAM)
		*reason_r = "v1 cannot express the DGRAM transport";
	else if (hdr->version == 1 && has_tlv_fields(hdr, raw))
		*reason_r = "v1 header cannot carry TLVs";
	else if (!hdr->have_ssl && has_ssl_fields(hdr, raw))
		*reason_r = "SSL fields are set without have_ssl";
	else if (hdr->family == PROXY_HEADER_FAMILY_UNIX &&
		 (unix_path_size(&hdr->src.unix_path) >
		  PROXY_HEADER_UNIX_PATH_SIZE ||
		  unix_path_size(&hdr->dst.unix_path) >
		  PROXY_HEADER_UNIX_PATH_SIZE))
		*reason_r = "UNIX path is longer than 108 bytes";
	else
		return true;
	return false;
}

static size_t
encode(const struct proxy_header *hdr, const struct proxy_header_raw_tlvs *raw,
       unsigned char *buf, size_t buf_size, const char **reason_r)
{
	struct encoder enc = { buf, buf_size, 0, NULL };

	*reason_r = NULL;
	if (raw == NULL)
		raw = &no_raw_tlvs;
	if (!check_fields(hdr, raw, reason_r))
		return 0;
	if (hdr->version == 1)
		encode_v1(&enc, hdr);
	else if (!encode_v2(&enc, hdr, raw)) {
		*reason_r = enc.reason;
		return 0;
	}
	return enc.pos;
}

size_t proxy_header_encoded_size(const struct proxy_header *hdr,
				 const struct proxy_header_raw_tlvs *raw,
				 const char **reason_r)
{
	return encode(hdr, raw, NULL, 0, reason_r);
}

size_t proxy_header_encode(const struct proxy_header *hdr,
			   const struct proxy_header_raw_tlvs *raw,
			   unsigned char *buf, size_t buf_size,
			   const char **reason_r)
{
	size_t size = encode(hdr, raw, buf, buf_size, reason_r);

	if (size == 0)
		return 0;
	if (size > buf_size) {
		*reason_r = "header does not fit in the buffer";
		return 0;
	}
	return size;
}
