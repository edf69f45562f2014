/* Keeps a PROXY header beyond the socket buffer it was read from, and
   turns it into the addresses Dovecot uses. */

#include "lib.h"
#include "net.h"
#include "master-service.h"
#include "proxy-header.h"
#include "haproxy-tlv-net.h"
#include "haproxy-tlv-plugin.h"

static const char *
bytes_strdup(pool_t pool, const struct proxy_header_bytes *bytes)
{
	if (bytes->data == NULL)
		return NULL;
	return p_strndup(pool, bytes->data, bytes->size);
}

struct haproxy_tlv_header *
haproxy_tlv_header_import(const unsigned char *data, size_t size)
{
	struct haproxy_tlv_header *header;
	enum proxy_header_result result;
	const char *reason;
	size_t need;
	pool_t pool;

	/* room for the struct, the bytes and the two strings taken from
	   them, so that one block usually holds it all */
	pool = pool_alloconly_create(MEMPOOL_GROWING"haproxy-tlv header",
				     sizeof(*header) + size * 2);
	header = p_new(pool, struct haproxy_tlv_header, 1);
	header->pool = pool;
	/* Decoding the copy again gives a view whose byte ranges all point
	   into it, without a list of them to keep in step with the decoder.
	   The same bytes decode the same. */
	result = proxy_header_decode(p_memdup(pool, data, size), size,
				     &header->hdr, &need, &reason);
	i_assert(result == PROXY_HEADER_COMPLETE && header->hdr.size == size);

	/* the decoder has validated them as text without NUL */
	header->authority = bytes_strdup(pool, &header->hdr.authority);
	header->ssl_cn = bytes_strdup(pool, &header->hdr.ssl_cn);
	return header;
}

void haproxy_tlv_header_free(struct haproxy_tlv_header **_header)
{
	struct haproxy_tlv_header *header = *_header;
	pool_t pool;

	if (header == NULL)
		return;
	*_header = NULL;
	pool = header->pool;
	pool_unref(&pool);
}

void haproxy_tlv_header_apply(const struct haproxy_tlv_header *header,
			      struct master_service_connection *conn)
{
	const struct proxy_header *hdr = &header->hdr;
	struct ip_addr remote_ip, local_ip;

	if (hdr->command != PROXY_HEADER_CMD_PROXY ||
	    !haproxy_tlv_net_header_ip(hdr->family, &hdr->src, &remote_ip) ||
	    !haproxy_tlv_net_header_ip(hdr->family, &hdr->dst, &local_ip))
		return;

	conn->remote_ip = remote_ip;
	conn->local_ip = local_ip;
	conn->remote_port = hdr->src.port;
	conn->local_port = hdr->dst.port;
	conn->proxied = TRUE;
	conn->proxy.ssl = proxy_header_is_tls(hdr);
	/* Strings stay NULL here: login-common keeps these pointers without
	   copying them, so the client hook sets them from the header the
	   client owns instead. */
}

const char *
haproxy_tlv_header_cert_username(const struct haproxy_tlv_header *header)
{
	switch (haproxy_tlv_policy.client_cert) {
	case HAPROXY_TLV_CLIENT_CERT_VERIFIED:
		return proxy_header_client_cert_verified(&header->hdr) ?
			header->ssl_cn : NULL;
	case HAPROXY_TLV_CLIENT_CERT_PRESENT:
		return header->ssl_cn;
	case HAPROXY_TLV_CLIENT_CERT_IGNORE:
		break;
	}
	return NULL;
}
