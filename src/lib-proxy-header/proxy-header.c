/* Entry point of the decoder: tells v1 from v2 and answers the questions
   the plugin asks of a decoded header. */

#include <string.h>

#include "proxy-header-private.h"

static bool
prefix_matches(const unsigned char *data, size_t size,
	       const char *signature, size_t signature_size)
{
	size_t n = size < signature_size ? size : signature_size;

	return memcmp(data, signature, n) == 0;
}

enum proxy_header_result
proxy_header_decode(const unsigned char *data, size_t size,
		    struct proxy_header *hdr, size_t *need_r,
		    const char **reason_r)
{
	return proxy_header_decode_max(data, size, PROXY_HEADER_MAX_SIZE,
				       hdr, need_r, reason_r);
}

enum proxy_header_result
proxy_header_decode_max(const unsigned char *data, size_t size,
			size_t max_size, struct proxy_header *hdr,
			size_t *need_r, const char **reason_r)
{
	memset(hdr, 0, sizeof(*hdr));
	*need_r = 0;
	*reason_r = NULL;

	if (size >= PROXY_HEADER_V2_SIGNATURE_SIZE) {
		/* the usual case: compares of a constant size, which the
		   compiler does inline */
		if (memcmp(data, PROXY_HEADER_V2_SIGNATURE,
			   PROXY_HEADER_V2_SIGNATURE_SIZE) == 0)
			return proxy_header_decode_v2(data, size, max_size,
						      hdr, need_r, reason_r);
		if (memcmp(data, PROXY_HEADER_V1_SIGNATURE,
			   PROXY_HEADER_V1_SIGNATURE_SIZE) == 0)
			return proxy_header_decode_v1(data, size, hdr, need_r,
						      reason_r);
	} else if (size == 0) {
		*need_r = PROXY_HEADER_V1_MIN_SIZE;
		return PROXY_HEADER_NEED_MORE;
	} else if (prefix_matches(data, size, PROXY_HEADER_V2_SIGNATURE,
				  PROXY_HEADER_V2_SIGNATURE_SIZE)) {
		return proxy_header_decode_v2(data, size, max_size, hdr,
					      need_r, reason_r);
	} else if (prefix_matches(data, size, PROXY_HEADER_V1_SIGNATURE,
				  PROXY_HEADER_V1_SIGNATURE_SIZE)) {
		return proxy_header_decode_v1(data, size, hdr, need_r, reason_r);
	}
	*reason_r = "not a PROXY protocol header (bad signature)";
	return PROXY_HEADER_INVALID;
}

bool proxy_header_tlv_next(const struct proxy_header *hdr, size_t *pos,
			   struct proxy_header_tlv *tlv_r)
{
	const unsigned char *p;
	size_t left;

	/* the TLV block was validated by the decoder */
	if (hdr->tlvs.data == NULL || *pos + 3 > hdr->tlvs.size)
		return false;
	p = hdr->tlvs.data + *pos;
	left = hdr->tlvs.size - *pos - 3;
	tlv_r->type = p[0];
	tlv_r->value.data = p + 3;
	tlv_r->value.size = proxy_header_be16(p + 1);
	if (tlv_r->value.size > left)
		return false;
	*pos += 3 + tlv_r->value.size;
	return true;
}

bool proxy_header_is_tls(const struct proxy_header *hdr)
{
	return hdr->have_ssl &&
		(hdr->ssl_client & PROXY_HEADER_CLIENT_SSL) != 0;
}

bool proxy_header_client_cert_presented(const struct proxy_header *hdr)
{
	return proxy_header_is_tls(hdr) &&
		(hdr->ssl_client & (PROXY_HEADER_CLIENT_CERT_CONN |
				    PROXY_HEADER_CLIENT_CERT_SESS)) != 0;
}

bool proxy_header_client_cert_verified(const struct proxy_header *hdr)
{
	return proxy_header_client_cert_presented(hdr) &&
		hdr->ssl_verify == 0;
}

const char *proxy_header_tlv_type_name(uint8_t type)
{
	switch (type) {
	case PROXY_HEADER_TLV_ALPN:
		return "ALPN";
	case PROXY_HEADER_TLV_AUTHORITY:
		return "AUTHORITY";
	case PROXY_HEADER_TLV_CRC32C:
		return "CRC32C";
	case PROXY_HEADER_TLV_NOOP:
		return "NOOP";
	case PROXY_HEADER_TLV_UNIQUE_ID:
		return "UNIQUE_ID";
	case PROXY_HEADER_TLV_SSL:
		return "SSL";
	case PROXY_HEADER_TLV_SSL_VERSION:
		return "SSL_VERSION";
	case PROXY_HEADER_TLV_SSL_CN:
		return "SSL_CN";
	case PROXY_HEADER_TLV_SSL_CIPHER:
		return "SSL_CIPHER";
	case PROXY_HEADER_TLV_SSL_SIG_ALG:
		return "SSL_SIG_ALG";
	case PROXY_HEADER_TLV_SSL_KEY_ALG:
		return "SSL_KEY_ALG";
	case PROXY_HEADER_TLV_SSL_GROUP:
		return "SSL_GROUP";
	case PROXY_HEADER_TLV_SSL_SIG_SCHEME:
		return "SSL_SIG_SCHEME";
	case PROXY_HEADER_TLV_SSL_CLIENT_CERT:
		return "SSL_CLIENT_CERT";
	case PROXY_HEADER_TLV_NETNS:
		return "NETNS";
	}
	if (type >= PROXY_HEADER_TLV_CUSTOM_MIN &&
	    type <= PROXY_HEADER_TLV_CUSTOM_MAX)
		return "CUSTOM";
	if (type >= PROXY_HEADER_TLV_EXPERIMENT_MIN &&
	    type <= PROXY_HEADER_TLV_EXPERIMENT_MAX)
		return "EXPERIMENT";
	return "UNKNOWN";
}

const char *proxy_header_family_name(enum proxy_header_family family)
{
	switch (family) {
	case PROXY_HEADER_FAMILY_UNSPEC:
		return "UNSPEC";
	case PROXY_HEADER_FAMILY_INET:
		return "INET";
	case PROXY_HEADER_FAMILY_INET6:
		return "INET6";
	case PROXY_HEADER_FAMILY_UNIX:
		return "UNIX";
	}
	return "?";
}

const char *proxy_header_transport_name(enum proxy_header_transport transport)
{
	switch (transport) {
	case PROXY_HEADER_TRANSPORT_UNSPEC:
		return "UNSPEC";
	case PROXY_HEADER_TRANSPORT_STREAM:
		return "STREAM";
	case PROXY_HEADER_TRANSPORT_DGRAM:
		return "DGRAM";
	}
	return "?";
}

const char *proxy_header_command_name(enum proxy_header_command command)
{
	switch (command) {
	case PROXY_HEADER_CMD_LOCAL:
		return "LOCAL";
	case PROXY_HEADER_CMD_PROXY:
		return "PROXY";
	}
	return "?";
}
