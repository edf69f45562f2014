#ifndef HAPROXY_TLV_PLUGIN_H
#define HAPROXY_TLV_PLUGIN_H

#include "haproxy-tlv-settings.h"
#include "haproxy-tlv-header.h"
#include "haproxy-tlv-identity.h"

struct module;
struct master_service_connection;
struct proxy_header;

extern struct event_category event_category_haproxy_tlv;
/* parent of the plugin's events: category haproxy_tlv */
extern struct event *haproxy_tlv_event;

/* haproxy-tlv-plugin.c */
/* A debug event made from parent may be logged or sent at all. Dovecot
   decides that only for the built event, with its name and fields; the
   plugin builds its per-connection debug events only when this says some
   filter, or the parent's own level, could want one. */
bool haproxy_tlv_debug_possible(struct event *parent);

/* The plugin's settings for a connection with this header, whose
   addresses the header has been applied to. They are looked up the way
   login-common looks up the client's own (2.3: from the settings cache,
   2.4: settings_get()), so protocol, local, remote and local_name (from
   AUTHORITY) filters apply. */
int haproxy_tlv_policy_read(const struct master_service_connection *conn,
			    const struct haproxy_tlv_header *header,
			    struct haproxy_tlv_policy *policy_r,
			    const char **error_r);

/* The settings for the connection's real peer (before any header), for
   its real addresses (protocol, local and remote filters): *direct_r, the
   peer is in haproxy_tlv_direct_networks; *max_header_size_r, the
   largest header read from it. -1 if the settings cannot be read or
   haproxy_tlv_direct_networks overlaps haproxy_trusted_networks. */
int haproxy_tlv_peer_read(const struct master_service_connection *conn,
			  bool *direct_r, size_t *max_header_size_r,
			  const char **error_r);

/* haproxy-tlv-settings-memo.c */
/* haproxy_tlv_settings_parse() of set, and, if trusted_networks is not
   NULL, haproxy_tlv_direct_networks checked against it; then, if direct_ip
   is not NULL, *direct_r says whether it is in haproxy_tlv_direct_networks.
   What the same values gave before is used again. */
int haproxy_tlv_settings_memo_parse(const struct haproxy_tlv_settings *set,
				    const char *trusted_networks,
				    struct haproxy_tlv_policy *policy_r,
				    const struct ip_addr *direct_ip,
				    bool *direct_r, const char **error_r);
void haproxy_tlv_settings_memo_deinit(void);

/* haproxy-tlv-header.c */
/* A copy of the complete header data[0..hdr->size-1], decoded as hdr */
struct haproxy_tlv_header *
haproxy_tlv_header_import(const unsigned char *data,
			  const struct proxy_header *hdr);
void haproxy_tlv_header_free(struct haproxy_tlv_header **header);
/* The vendor and named custom TLVs the policy asks for are valid */
bool haproxy_tlv_header_custom_valid(const struct haproxy_tlv_header *header,
				     const char **error_r);
/* Set the connection's addresses from the header, if the policy takes
   them from it */
void haproxy_tlv_header_apply(const struct haproxy_tlv_header *header,
			      struct master_service_connection *conn);

/* haproxy-tlv-connection.c */
/* The header read on the socket fd refers to, if that socket was accepted
   on the `haproxy = yes` listener listener_name. The caller owns it from
   now on (haproxy_tlv_header_free()); the connection layer forgets it.
   NULL if there is none. */
struct haproxy_tlv_header *
haproxy_tlv_header_take(int fd, const char *listener_name);
/* The client on fd, accepted on listener_name, was handed to
   login-common as a direct client (haproxy_tlv_direct_networks): it gets
   nothing of the plugin. The mark is consumed. */
bool haproxy_tlv_direct_take(int fd, const char *listener_name);
/* The named listener has `haproxy = yes` */
bool haproxy_tlv_is_haproxy_listener(const char *name);

void haproxy_tlv_connections_init(void);
void haproxy_tlv_connections_deinit(void);

/* haproxy-tlv-client.c */
void haproxy_tlv_client_hooks_init(struct module *module);
void haproxy_tlv_client_hooks_deinit(void);

#endif
