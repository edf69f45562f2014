#ifndef HAPROXY_TLV_PLUGIN_H
#define HAPROXY_TLV_PLUGIN_H

#include "haproxy-tlv-settings.h"

struct module;
struct master_service_connection;
struct proxy_header;

/* What the login process keeps of a PROXY header: NUL-terminated copies,
   so nothing points into the socket buffer the header was read from. */
struct haproxy_tlv_header {
	/* LOCAL command: a connection the proxy made on its own (a health
	   check), or, for HAProxy, any client of a unix socket frontend. Its
	   TLVs still apply: only its addresses are the real endpoints, as
	   they are for the UNSPEC and UNIX families and v1 UNKNOWN. */
	bool command_local;
	bool tls;
	bool cert_presented;
	bool cert_verified;
	bool have_crc32c;
	unsigned int version;
	uint32_t ssl_verify;

	const char *authority, *alpn, *unique_id, *netns;
	const char *ssl_version, *ssl_cn, *ssl_cipher;
	const char *ssl_sig_alg, *ssl_key_alg;
};

/* Every field the plugin gives auth (forward_<name>) and events starts
   with this; a client may not send fields of its own with it */
#define HAPROXY_TLV_FIELD_PREFIX "haproxy_"
#define HAPROXY_TLV_FIELDS_MAX 16

struct haproxy_tlv_field {
	const char *key, *value;
};

extern struct event_category event_category_haproxy_tlv;
/* parent of the plugin's events: category haproxy_tlv */
extern struct event *haproxy_tlv_event;
extern struct haproxy_tlv_policy haproxy_tlv_policy;

/* haproxy-tlv-header.c */
struct haproxy_tlv_header *
haproxy_tlv_header_import(pool_t pool, const struct proxy_header *hdr);
struct haproxy_tlv_header *
haproxy_tlv_header_dup(pool_t pool, const struct haproxy_tlv_header *src);
/* The header's fields for events and auth, in fields_r; returns how many */
unsigned int
haproxy_tlv_header_fields(const struct haproxy_tlv_header *header,
			  struct haproxy_tlv_field fields_r[HAPROXY_TLV_FIELDS_MAX]);
/* Set the connection's addresses from the header (PROXY command only) */
void haproxy_tlv_header_apply(const struct proxy_header *hdr,
			      struct master_service_connection *conn);
/* The CN that may become cert_username under the configured policy */
const char *
haproxy_tlv_header_cert_username(const struct haproxy_tlv_header *header);

/* haproxy-tlv-connection.c */
/* The header read on the socket fd refers to, if that socket was accepted
   on the `haproxy = yes` listener listener_name; copied into pool and
   forgotten by the connection layer. NULL if there is none. */
const struct haproxy_tlv_header *
haproxy_tlv_header_take(int fd, const char *listener_name, pool_t pool);
/* The named listener has `haproxy = yes` */
bool haproxy_tlv_is_haproxy_listener(const char *name);

void haproxy_tlv_connections_init(void);
void haproxy_tlv_connections_deinit(void);

/* haproxy-tlv-client.c */
void haproxy_tlv_client_hooks_init(struct module *module);
void haproxy_tlv_client_hooks_deinit(void);

#endif
