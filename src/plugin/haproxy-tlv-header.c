/* Turns the decoder's view of a header (pointers into a socket buffer)
   into what a login client keeps, and into the addresses Dovecot uses. */

#include "lib.h"
#include "net.h"
#include "str.h"
#include "master-service.h"
#include "proxy-header.h"
#include "haproxy-tlv-escape.h"
#include "haproxy-tlv-plugin.h"

static const char *
bytes_dup(pool_t pool, const struct proxy_header_bytes *bytes)
{
	if (bytes->data == NULL)
		return NULL;
	return p_strndup(pool, bytes->data, bytes->size);
}

struct haproxy_tlv_header *
haproxy_tlv_header_import(pool_t pool, const struct proxy_header *hdr)
{
	struct haproxy_tlv_header *header;

	header = p_new(pool, struct haproxy_tlv_header, 1);
	header->version = hdr->version;
	header->command_local = hdr->command == PROXY_HEADER_CMD_LOCAL;
	header->tls = proxy_header_is_tls(hdr);
	header->cert_presented = proxy_header_client_cert_presented(hdr);
	header->cert_verified = proxy_header_client_cert_verified(hdr);
	header->have_crc32c = hdr->have_crc32c;
	header->ssl_verify = hdr->ssl_verify;

	/* the decoder has validated these as printable text */
	header->authority = bytes_dup(pool, &hdr->authority);
	header->netns = bytes_dup(pool, &hdr->netns);
	header->ssl_version = bytes_dup(pool, &hdr->ssl_version);
	header->ssl_cn = bytes_dup(pool, &hdr->ssl_cn);
	header->ssl_cipher = bytes_dup(pool, &hdr->ssl_cipher);
	header->ssl_sig_alg = bytes_dup(pool, &hdr->ssl_sig_alg);
	header->ssl_key_alg = bytes_dup(pool, &hdr->ssl_key_alg);
	/* UNIQUE_ID and ALPN are opaque bytes: keep them printable */
	header->alpn = haproxy_tlv_bytes_escape(pool, &hdr->alpn);
	header->unique_id = haproxy_tlv_bytes_escape(pool, &hdr->unique_id);
	return header;
}

struct haproxy_tlv_header *
haproxy_tlv_header_dup(pool_t pool, const struct haproxy_tlv_header *src)
{
	struct haproxy_tlv_header *header = p_new(pool, struct haproxy_tlv_header, 1);

	*header = *src;
	header->authority = p_strdup(pool, src->authority);
	header->alpn = p_strdup(pool, src->alpn);
	header->unique_id = p_strdup(pool, src->unique_id);
	header->netns = p_strdup(pool, src->netns);
	header->ssl_version = p_strdup(pool, src->ssl_version);
	header->ssl_cn = p_strdup(pool, src->ssl_cn);
	header->ssl_cipher = p_strdup(pool, src->ssl_cipher);
	header->ssl_sig_alg = p_strdup(pool, src->ssl_sig_alg);
	header->ssl_key_alg = p_strdup(pool, src->ssl_key_alg);
	return header;
}

static void
fields_add(struct haproxy_tlv_field *fields, unsigned int *count,
	   const char *key, const char *value)
{
	if (value == NULL)
		return;
	i_assert(*count < HAPROXY_TLV_FIELDS_MAX);
	fields[*count].key = key;
	fields[*count].value = value;
	(*count)++;
}

unsigned int
haproxy_tlv_header_fields(const struct haproxy_tlv_header *header,
			  struct haproxy_tlv_field fields_r[HAPROXY_TLV_FIELDS_MAX])
{
	unsigned int count = 0;

	fields_add(fields_r, &count, "haproxy_tls", header->tls ? "yes" : "no");
	if (header->tls) {
		fields_add(fields_r, &count, "haproxy_tls_version",
			   header->ssl_version);
		fields_add(fields_r, &count, "haproxy_tls_cipher",
			   header->ssl_cipher);
		fields_add(fields_r, &count, "haproxy_tls_sig_alg",
			   header->ssl_sig_alg);
		fields_add(fields_r, &count, "haproxy_tls_key_alg",
			   header->ssl_key_alg);
		fields_add(fields_r, &count, "haproxy_cert",
			   header->cert_verified ? "verified" :
			   header->cert_presented ? "unverified" : "none");
		if (header->cert_presented) {
			fields_add(fields_r, &count, "haproxy_cert_verify",
				   dec2str(header->ssl_verify));
		}
		fields_add(fields_r, &count, "haproxy_cert_cn", header->ssl_cn);
	}
	fields_add(fields_r, &count, "haproxy_sni", header->authority);
	fields_add(fields_r, &count, "haproxy_alpn", header->alpn);
	fields_add(fields_r, &count, "haproxy_unique_id", header->unique_id);
	fields_add(fields_r, &count, "haproxy_netns", header->netns);
	return count;
}

static void
address_to_ip(enum proxy_header_family family,
	      const struct proxy_header_address *addr, struct ip_addr *ip_r)
{
	i_zero(ip_r);
	if (family == PROXY_HEADER_FAMILY_INET) {
		ip_r->family = AF_INET;
		memcpy(&ip_r->u.ip4, addr->ip, sizeof(ip_r->u.ip4));
	} else {
		ip_r->family = AF_INET6;
		memcpy(&ip_r->u.ip6, addr->ip, sizeof(ip_r->u.ip6));
	}
}

void haproxy_tlv_header_apply(const struct proxy_header *hdr,
			      struct master_service_connection *conn)
{
	if (hdr->command != PROXY_HEADER_CMD_PROXY ||
	    (hdr->family != PROXY_HEADER_FAMILY_INET &&
	     hdr->family != PROXY_HEADER_FAMILY_INET6))
		return;

	address_to_ip(hdr->family, &hdr->src, &conn->remote_ip);
	address_to_ip(hdr->family, &hdr->dst, &conn->local_ip);
	conn->remote_port = hdr->src.port;
	conn->local_port = hdr->dst.port;
	conn->proxied = TRUE;
	conn->proxy.ssl = proxy_header_is_tls(hdr);
	/* Strings stay NULL here: login-common keeps these pointers without
	   copying them, so the client hook sets them from the client's own
	   pool instead. */
}

const char *
haproxy_tlv_header_cert_username(const struct haproxy_tlv_header *header)
{
	switch (haproxy_tlv_policy.client_cert) {
	case HAPROXY_TLV_CLIENT_CERT_VERIFIED:
		return header->cert_verified ? header->ssl_cn : NULL;
	case HAPROXY_TLV_CLIENT_CERT_PRESENT:
		return header->ssl_cn;
	case HAPROXY_TLV_CLIENT_CERT_IGNORE:
		break;
	}
	return NULL;
}
