/* Keeps a PROXY header beyond the socket buffer it was read from, and
   gives Dovecot the addresses the policy takes from it. */

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

	if (!haproxy_tlv_policy_header_addresses(header))
		return;

	(void)haproxy_tlv_net_header_ip(hdr->family, &hdr->src,
					&conn->remote_ip);
	(void)haproxy_tlv_net_header_ip(hdr->family, &hdr->dst,
					&conn->local_ip);
	conn->remote_port = hdr->src.port;
	conn->local_port = hdr->dst.port;
	conn->proxied = TRUE;
	conn->proxy.ssl = proxy_header_is_tls(hdr);
	/* Strings stay NULL here: login-common keeps these pointers without
	   copying them, so the client hook sets them from the header the
	   client owns instead. */
}
