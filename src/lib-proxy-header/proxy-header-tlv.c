/* The TLVs of a v2 header. Every length is checked against its container,
   known TLVs may appear once, and the strings a login process will use as
   identities (CN, AUTHORITY) are validated before anyone sees them. */

#include <string.h>

#include "proxy-header-private.h"

#define HOST_NAME_MAX_SIZE 253
#define HOST_LABEL_MAX_SIZE 63

struct tlv_walk {
	const unsigned char *pos, *end;
	const char *truncated_reason, *overrun_reason;
};

enum tlv_walk_result {
	TLV_WALK_END,
	TLV_WALK_NEXT,
	TLV_WALK_INVALID,
};

static enum tlv_walk_result
tlv_walk_next(struct tlv_walk *walk, struct proxy_header_tlv *tlv_r,
	      const char **reason_r)
{
	size_t left = (size_t)(walk->end - walk->pos);

	if (left == 0)
		return TLV_WALK_END;
	if (left < 3) {
		*reason_r = walk->truncated_reason;
		return TLV_WALK_INVALID;
	}
	tlv_r->type = walk->pos[0];
	tlv_r->value.size = proxy_header_be16(walk->pos + 1);
	tlv_r->value.data = walk->pos + 3;
	if (tlv_r->value.size > left - 3) {
		*reason_r = walk->overrun_reason;
		return TLV_WALK_INVALID;
	}
	walk->pos += 3 + tlv_r->value.size;
	return TLV_WALK_NEXT;
}

#define BYTES_ONES UINT64_C(0x0101010101010101)
#define BYTES_HIGHS UINT64_C(0x8080808080808080)

static uint64_t load_word(const unsigned char *p)
{
	uint64_t word;

	memcpy(&word, p, sizeof(word));
	return word;
}

/* Some byte of word is below 0x20 or is 0x7f: eight bytes in a few
   instructions. Subtracting 0x20 from each byte sets its high bit only
   where the byte was below 0x20 or already had it set, which ~word rules
   out; a borrow can only follow a byte that matched already. */
static bool word_has_control_char(uint64_t word)
{
	uint64_t del = word ^ (BYTES_ONES * 0x7f);

	return (((word - BYTES_ONES * 0x20) & ~word) |
		((del - BYTES_ONES) & ~del)) & BYTES_HIGHS;
}

static bool is_control_char(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static uint32_t load_u32(const unsigned char *p)
{
	uint32_t word;

	memcpy(&word, p, sizeof(word));
	return word;
}

/* Words that overlap where the size is no multiple of eight: a byte
   checked twice costs less than a loop over the rest */
static bool has_control_char(const struct proxy_header_bytes *value)
{
	const unsigned char *p = value->data;
	size_t size = value->size;

	if (size >= sizeof(uint64_t)) {
		for (size_t i = 0; i + sizeof(uint64_t) < size;
		     i += sizeof(uint64_t)) {
			if (word_has_control_char(load_word(p + i)))
				return true;
		}
		return word_has_control_char(
			load_word(p + size - sizeof(uint64_t)));
	}
	if (size >= sizeof(uint32_t)) {
		return word_has_control_char(
			(uint64_t)load_u32(p) << 32 |
			load_u32(p + size - sizeof(uint32_t)));
	}
	for (size_t i = 0; i < size; i++) {
		if (is_control_char(p[i]))
			return true;
	}
	return false;
}

static size_t utf8_sequence_length(const unsigned char *p, size_t left)
{
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > left)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static bool is_host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* RFC 1123 host name: dot-separated labels of 1-63 letters, digits,
   hyphens (and underscores, which real certificates' names contain), no
   label starting or ending with a hyphen; one trailing dot allowed. */
static bool is_valid_host_name(const struct proxy_header_bytes *value)
{
	size_t size = value->size, label_start = 0;

	if (size > 0 && value->data[size - 1] == '.')
		size--;
	if (size == 0 || size > HOST_NAME_MAX_SIZE)
		return false;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && value->data[i] != '.') {
			if (!is_host_char(value->data[i]))
				return false;
			continue;
		}
		size_t label_len = i - label_start;
		if (label_len == 0 || label_len > HOST_LABEL_MAX_SIZE ||
		    value->data[label_start] == '-' ||
		    value->data[i - 1] == '-')
			return false;
		label_start = i + 1;
	}
	return true;
}

static bool
check_text(const struct proxy_header_bytes *value, const char *empty_reason,
	   const char *control_reason, const char **reason_r)
{
	if (value->size == 0) {
		*reason_r = empty_reason;
		return false;
	}
	if (has_control_char(value)) {
		*reason_r = control_reason;
		return false;
	}
	return true;
}

/* Not empty, no control character (NUL included), valid UTF-8: in one
   pass over a valid CN. A control character anywhere is the reason given
   even when invalid UTF-8 comes first. */
static bool
check_cn(const struct proxy_header_bytes *value, const char **reason_r)
{
	const char *control_reason =
		"SSL CN contains NUL or a control character";

	if (value->size == 0) {
		*reason_r = "SSL CN is empty";
		return false;
	}
	for (size_t i = 0, len; i < value->size; i += len) {
		unsigned char c = value->data[i];

		/* eight printable ASCII bytes at once */
		if (i + sizeof(uint64_t) <= value->size) {
			uint64_t word = load_word(value->data + i);

			if ((word & BYTES_HIGHS) == 0 &&
			    !word_has_control_char(word)) {
				len = sizeof(uint64_t);
				continue;
			}
		}
		if (c < 0x80) {
			if (is_control_char(c)) {
				*reason_r = control_reason;
				return false;
			}
			len = 1;
		} else if ((len = utf8_sequence_length(value->data + i,
						       value->size - i)) == 0) {
			*reason_r = has_control_char(value) ? control_reason :
				"SSL CN is not valid UTF-8";
			return false;
		}
	}
	return true;
}

static bool
set_once(struct proxy_header_bytes *field, const struct proxy_header_tlv *tlv,
	 const char *duplicate_reason, const char **reason_r)
{
	if (field->data != NULL) {
		*reason_r = duplicate_reason;
		return false;
	}
	*field = tlv->value;
	return true;
}

static bool
decode_ssl_sub_tlv(const struct proxy_header_tlv *tlv,
		   struct proxy_header *hdr, const char **reason_r)
{
	switch (tlv->type) {
	case PROXY_HEADER_TLV_SSL_VERSION:
		return set_once(&hdr->ssl_version, tlv,
				"SSL TLV has more than one VERSION", reason_r) &&
			check_text(&tlv->value, "SSL VERSION is empty",
				   "SSL VERSION contains a control character",
				   reason_r);
	case PROXY_HEADER_TLV_SSL_CN:
		return set_once(&hdr->ssl_cn, tlv,
				"SSL TLV has more than one CN", reason_r) &&
			check_cn(&tlv->value, reason_r);
	case PROXY_HEADER_TLV_SSL_CIPHER:
		return set_once(&hdr->ssl_cipher, tlv,
				"SSL TLV has more than one CIPHER", reason_r) &&
			check_text(&tlv->value, "SSL CIPHER is empty",
				   "SSL CIPHER contains a control character",
				   reason_r);
	case PROXY_HEADER_TLV_SSL_SIG_ALG:
		return set_once(&hdr->ssl_sig_alg, tlv,
				"SSL TLV has more than one SIG_ALG", reason_r) &&
			check_text(&tlv->value, "SSL SIG_ALG is empty",
				   "SSL SIG_ALG contains a control character",
				   reason_r);
	case PROXY_HEADER_TLV_SSL_KEY_ALG:
		return set_once(&hdr->ssl_key_alg, tlv,
				"SSL TLV has more than one KEY_ALG", reason_r) &&
			check_text(&tlv->value, "SSL KEY_ALG is empty",
				   "SSL KEY_ALG contains a control character",
				   reason_r);
	case PROXY_HEADER_TLV_SSL_GROUP:
		return set_once(&hdr->ssl_group, tlv,
				"SSL TLV has more than one GROUP", reason_r) &&
			check_text(&tlv->value, "SSL GROUP is empty",
				   "SSL GROUP contains a control character",
				   reason_r);
	case PROXY_HEADER_TLV_SSL_SIG_SCHEME:
		return set_once(&hdr->ssl_sig_scheme, tlv,
				"SSL TLV has more than one SIG_SCHEME",
				reason_r) &&
			check_text(&tlv->value, "SSL SIG_SCHEME is empty",
				   "SSL SIG_SCHEME contains a control character",
				   reason_r);
	case PROXY_HEADER_TLV_SSL_CLIENT_CERT:
		/* DER is checked by whoever parses it; here only that a
		   certificate is there at all */
		if (tlv->value.size == 0) {
			*reason_r = "SSL CLIENT_CERT is empty";
			return false;
		}
		return set_once(&hdr->ssl_client_cert, tlv,
				"SSL TLV has more than one CLIENT_CERT",
				reason_r);
	}
	hdr->unknown_ssl_tlv_count++;
	return true;
}

static bool
decode_ssl(const struct proxy_header_bytes *value, struct proxy_header *hdr,
	   const char **reason_r)
{
	struct tlv_walk walk;
	struct proxy_header_tlv sub;
	enum tlv_walk_result ret;

	if (hdr->have_ssl) {
		*reason_r = "v2 header has more than one SSL TLV";
		return false;
	}
	if (value->size < PROXY_HEADER_SSL_FIXED_SIZE) {
		*reason_r = "SSL TLV is shorter than its 5-byte fixed part";
		return false;
	}
	hdr->have_ssl = true;
	hdr->ssl_client = value->data[0];
	hdr->ssl_verify = proxy_header_be32(value->data + 1);

	walk.pos = value->data + PROXY_HEADER_SSL_FIXED_SIZE;
	walk.end = value->data + value->size;
	walk.truncated_reason = "SSL sub-TLV header is truncated";
	walk.overrun_reason = "SSL sub-TLV length exceeds the SSL TLV";
	while ((ret = tlv_walk_next(&walk, &sub, reason_r)) == TLV_WALK_NEXT) {
		if (!decode_ssl_sub_tlv(&sub, hdr, reason_r))
			return false;
	}
	if (ret == TLV_WALK_INVALID)
		return false;

	/* HAProxy sends certificate details only for TLS connections; a
	   client identity without TLS is a forgery or a broken proxy */
	if ((hdr->ssl_client & PROXY_HEADER_CLIENT_SSL) == 0 &&
	    ((hdr->ssl_client & (PROXY_HEADER_CLIENT_CERT_CONN |
				 PROXY_HEADER_CLIENT_CERT_SESS)) != 0 ||
	     hdr->ssl_cn.data != NULL || hdr->ssl_client_cert.data != NULL)) {
		*reason_r = "SSL TLV has client certificate data without "
			"the SSL client flag";
		return false;
	}
	return true;
}

static bool
decode_authority(const struct proxy_header_tlv *tlv, struct proxy_header *hdr,
		 const char **reason_r)
{
	if (!set_once(&hdr->authority, tlv,
		      "v2 header has more than one AUTHORITY TLV", reason_r))
		return false;
	/* a valid host name has no control characters: one pass over it */
	if (is_valid_host_name(&tlv->value))
		return true;
	if (!check_text(&tlv->value, "AUTHORITY TLV is empty",
			"AUTHORITY TLV contains NUL or a control character",
			reason_r))
		return false;
	*reason_r = "AUTHORITY TLV is not a valid host name";
	return false;
}

static bool
decode_crc32c(const struct proxy_header_tlv *tlv, struct proxy_header *hdr,
	      const unsigned char **crc_pos_r, const char **reason_r)
{
	if (hdr->have_crc32c) {
		*reason_r = "v2 header has more than one CRC32C TLV";
		return false;
	}
	if (tlv->value.size != PROXY_HEADER_CRC32C_SIZE) {
		*reason_r = "CRC32C TLV is not 4 bytes long";
		return false;
	}
	hdr->have_crc32c = true;
	hdr->crc32c = proxy_header_be32(tlv->value.data);
	*crc_pos_r = tlv->value.data;
	return true;
}

static bool
decode_tlv(const struct proxy_header_tlv *tlv, struct proxy_header *hdr,
	   const unsigned char **crc_pos_r, const char **reason_r)
{
	switch (tlv->type) {
	case PROXY_HEADER_TLV_ALPN:
		if (tlv->value.size == 0) {
			*reason_r = "ALPN TLV is empty";
			return false;
		}
		return set_once(&hdr->alpn, tlv,
				"v2 header has more than one ALPN TLV",
				reason_r);
	case PROXY_HEADER_TLV_AUTHORITY:
		return decode_authority(tlv, hdr, reason_r);
	case PROXY_HEADER_TLV_CRC32C:
		return decode_crc32c(tlv, hdr, crc_pos_r, reason_r);
	case PROXY_HEADER_TLV_NOOP:
		hdr->noop_count++;
		return true;
	case PROXY_HEADER_TLV_UNIQUE_ID:
		if (tlv->value.size > PROXY_HEADER_UNIQUE_ID_MAX_SIZE) {
			*reason_r = "UNIQUE_ID TLV is longer than 128 bytes";
			return false;
		}
		return set_once(&hdr->unique_id, tlv,
				"v2 header has more than one UNIQUE_ID TLV",
				reason_r);
	case PROXY_HEADER_TLV_SSL:
		return decode_ssl(&tlv->value, hdr, reason_r);
	case PROXY_HEADER_TLV_NETNS:
		return set_once(&hdr->netns, tlv,
				"v2 header has more than one NETNS TLV",
				reason_r) &&
			check_text(&tlv->value, "NETNS TLV is empty",
				   "NETNS TLV contains a control character",
				   reason_r);
	}
	hdr->unknown_tlv_count++;
	return true;
}

static bool
verify_crc32c(const unsigned char *header, const struct proxy_header *hdr,
	      const unsigned char *crc_pos)
{
	static const unsigned char zeros[PROXY_HEADER_CRC32C_SIZE] = { 0 };
	size_t before = (size_t)(crc_pos - header);
	uint32_t crc;

	crc = proxy_header_crc32c(0, header, before);
	crc = proxy_header_crc32c(crc, zeros, PROXY_HEADER_CRC32C_SIZE);
	crc = proxy_header_crc32c(crc, crc_pos + PROXY_HEADER_CRC32C_SIZE,
				  hdr->size - before -
				  PROXY_HEADER_CRC32C_SIZE);
	return crc == hdr->crc32c;
}

bool proxy_header_decode_tlvs(const unsigned char *header,
			      struct proxy_header *hdr, const char **reason_r)
{
	struct tlv_walk walk;
	struct proxy_header_tlv tlv;
	enum tlv_walk_result ret;
	const unsigned char *crc_pos = NULL;

	walk.pos = hdr->tlvs.data;
	walk.end = hdr->tlvs.data + hdr->tlvs.size;
	walk.truncated_reason = "TLV header is truncated";
	walk.overrun_reason = "TLV length exceeds the header length";
	while ((ret = tlv_walk_next(&walk, &tlv, reason_r)) == TLV_WALK_NEXT) {
		if (!decode_tlv(&tlv, hdr, &crc_pos, reason_r))
			return false;
	}
	if (ret == TLV_WALK_INVALID)
		return false;
	if (crc_pos != NULL && !verify_crc32c(header, hdr, crc_pos)) {
		*reason_r = "CRC32C checksum does not match the header";
		return false;
	}
	return true;
}
