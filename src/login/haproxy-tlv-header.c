/* Keeps a PROXY header beyond the socket buffer it was read from, and
   gives Dovecot the addresses the policy takes from it. */

#include "lib.h"
#include "net.h"
#include "master-service.h"
#include "proxy-header.h"
#include "haproxy-tlv-net.h"
#include "haproxy-tlv-plugin.h"

#include <openssl/x509.h>

/* bytes as a NUL-terminated string at *pos, which moves past it. The
   decoder has validated these as text without NUL. */
static const char *
bytes_to_str(const struct proxy_header_bytes *bytes, char **pos)
{
	char *str = *pos;

	if (bytes->data == NULL)
		return NULL;
	memcpy(str, bytes->data, bytes->size);
	str[bytes->size] = '\0';
	*pos += bytes->size + 1;
	return str;
}

struct haproxy_tlv_header *
haproxy_tlv_header_import(const unsigned char *data,
			  const struct proxy_header *hdr)
{
	struct haproxy_tlv_header *header;
	enum proxy_header_result result;
	unsigned char *copy;
	const char *reason;
	char *strings;
	size_t need;

	/* One block for the struct, the bytes and the two strings: a login
	   process keeps one per client for as long as the client lives. An
	   alloconly pool of its own would keep its bookkeeping and a block
	   rounded up to a power of two besides. */
	header = i_malloc(sizeof(*header) + hdr->size +
			  hdr->authority.size + 1 + hdr->ssl_cn.size + 1);
	copy = (unsigned char *)(header + 1);
	memcpy(copy, data, hdr->size);
	/* Decoding the copy again gives a view whose byte ranges all point
	   into it, without a list of them to keep in step with the decoder.
	   The same bytes decode the same. */
	result = proxy_header_decode_max(copy, hdr->size,
					 PROXY_HEADER_V2_MAX_SIZE,
					 &header->hdr, &need, &reason);
	i_assert(result == PROXY_HEADER_COMPLETE &&
		 header->hdr.size == hdr->size);

	strings = (char *)copy + hdr->size;
	header->authority = bytes_to_str(&header->hdr.authority, &strings);
	header->ssl_cn = bytes_to_str(&header->hdr.ssl_cn, &strings);
	return header;
}

void haproxy_tlv_header_free(struct haproxy_tlv_header **_header)
{
	struct haproxy_tlv_header *header = *_header;

	if (header == NULL)
		return;
	*_header = NULL;
	X509_free(header->cert);
	i_free(header->cert_refused);
	i_free(header);
}

bool haproxy_tlv_header_custom_valid(const struct haproxy_tlv_header *header,
				     const char **error_r)
{
	struct haproxy_tlv_custom_field fields[HAPROXY_TLV_CUSTOM_FIELDS_MAX];
	unsigned int count;

	return haproxy_tlv_custom_fields(&header->hdr, &header->policy.custom,
					 fields, &count, error_r) == 0;
}

void haproxy_tlv_header_apply(const struct haproxy_tlv_header *header,
			      struct master_service_connection *conn)
{
	const struct proxy_header *hdr = &header->hdr;

#if DOVECOT_PREREQ(2, 4, 0)
	/* 2.4's client_alloc() reads the client's settings with local_name
	   from here, so local_name filters apply from AUTHORITY at once.
	   The header outlives the client: login-common may keep the
	   pointer. Everything else about TLS and identity is left unset:
	   the client hook applies it by the plugin's rules, not core's. */
	conn->haproxied = TRUE;
	conn->haproxy.hostname = header->authority;
	/* core closes a connection whose ALPN the protocol does not speak */
	conn->haproxy.alpn = hdr->alpn.data;
	conn->haproxy.alpn_size = hdr->alpn.size;
#endif
	if (!haproxy_tlv_policy_header_addresses(header))
		return;

	(void)haproxy_tlv_net_header_ip(hdr->family, &hdr->src,
					&conn->remote_ip);
	(void)haproxy_tlv_net_header_ip(hdr->family, &hdr->dst,
					&conn->local_ip);
	conn->remote_port = hdr->src.port;
	conn->local_port = hdr->dst.port;
#if !DOVECOT_PREREQ(2, 4, 0)
	conn->proxied = TRUE;
	conn->proxy.ssl = proxy_header_is_tls(hdr);
	/* Strings stay NULL here: login-common keeps these pointers without
	   copying them, so the client hook sets them from the header the
	   client owns instead. */
#endif
}
