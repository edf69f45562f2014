/* Login plugin entry points: read the plugin's settings, take over the
   PROXY header of `haproxy = yes` listeners, hook login clients. */

#include "lib.h"
#include "net.h"
#include "master-service.h"
#include "master-service-settings.h"
#include "settings-parser.h"
#include "array.h"
#include "lib-event-private.h"
#include "event-filter-private.h"
#if DOVECOT_PREREQ(2, 4, 0)
#  include "settings.h"
#else
#  include "master-service-settings-cache.h"
#endif
#include "login-common.h"
#include "login-settings.h"
#include "haproxy-tlv-net.h"
#include "haproxy-tlv-plugin.h"

extern const char *haproxy_tlv_plugin_version;
void haproxy_tlv_plugin_init(struct module *module);
void haproxy_tlv_plugin_deinit(void);

const char *haproxy_tlv_plugin_version = DOVECOT_ABI_VERSION;

struct event_category event_category_haproxy_tlv = {
	.name = "haproxy_tlv",
};
struct event *haproxy_tlv_event;

/* The stats client installs its filter even when no metric asks for
   anything: a filter without queries matches no event */
static bool filter_may_match(const struct event_filter *filter)
{
	return filter != NULL && array_is_created(&filter->queries) &&
		array_count(&filter->queries) > 0;
}

#if DOVECOT_PREREQ(2, 4, 3)
/* Since Dovecot 2.4.3 the send filters (metrics) are out of a plugin's
   sight: any of them may want a debug event */
static bool debug_send_filter_may_match(void)
{
	return TRUE;
}
#else
static bool debug_send_filter_may_match(void)
{
	return filter_may_match(event_get_global_debug_send_filter());
}
#endif

bool haproxy_tlv_debug_possible(struct event *parent)
{
	/* forced debug goes from an event to the events made from it */
	return parent->forced_debug ||
		event_get_min_log_level(parent) <= LOG_TYPE_DEBUG ||
		filter_may_match(event_get_global_debug_log_filter()) ||
		filter_may_match(event_get_global_core_log_filter()) ||
		debug_send_filter_may_match();
}

#if DOVECOT_PREREQ(2, 4, 0)
/* The fields login-common gives a client's event before it reads the
   client's settings (client_alloc()), so that the same protocol, local,
   remote and local_name filters apply to the plugin's settings */
static struct event *
haproxy_tlv_settings_event(const struct ip_addr *local_ip, in_port_t local_port,
			   const struct ip_addr *remote_ip,
			   in_port_t remote_port, const char *local_name)
{
	const char *service = master_service_get_name(master_service);
	struct event *event = event_create(NULL);

	event_add_ip(event, "local_ip", local_ip);
	event_add_int(event, "local_port", local_port);
	event_add_ip(event, "remote_ip", remote_ip);
	event_add_int(event, "remote_port", remote_port);
	event_add_str(event, "protocol", login_binary->protocol);
	event_add_str(event, "service", service);
	settings_event_add_list_filter_name(event, "service", service);
	if (local_name != NULL)
		event_add_str(event, "local_name", local_name);
	return event;
}

/* direct_ip, if not NULL, is looked up in haproxy_tlv_direct_networks.
   The settings' ext_check_func has compared it with
   haproxy_trusted_networks. */
static int
haproxy_tlv_settings_get(struct event *event,
			 struct haproxy_tlv_policy *policy_r,
			 const struct ip_addr *direct_ip, bool *direct_r,
			 const char **error_r)
{
	const struct haproxy_tlv_settings *set;
	int ret;

	if (settings_get(event, &haproxy_tlv_setting_parser_info, 0,
			 &set, error_r) < 0)
		return -1;
	/* the error, if any, is static or on the data stack */
	ret = haproxy_tlv_settings_memo_parse(set, NULL, policy_r,
					      direct_ip, direct_r, error_r);
	settings_free(set);
	return ret;
}

int haproxy_tlv_policy_read(const struct master_service_connection *conn,
			    const struct haproxy_tlv_header *header,
			    struct haproxy_tlv_policy *policy_r,
			    const char **error_r)
{
	struct event *event = haproxy_tlv_settings_event(&conn->local_ip,
		conn->local_port, &conn->remote_ip, conn->remote_port,
		header->authority);
	int ret;

	ret = haproxy_tlv_settings_get(event, policy_r, NULL, NULL, error_r);
	event_unref(&event);
	return ret;
}

static int
haproxy_tlv_peer_lookup(const struct master_service_connection *conn,
			bool *direct_r, size_t *max_header_size_r,
			const char **error_r)
{
	struct haproxy_tlv_policy policy;
	struct event *event = haproxy_tlv_settings_event(&conn->real_local_ip,
		conn->real_local_port, &conn->real_remote_ip,
		conn->real_remote_port, NULL);
	int ret;

	*direct_r = FALSE;
	ret = haproxy_tlv_settings_get(event, &policy, &conn->real_remote_ip,
				       direct_r, error_r);
	event_unref(&event);
	if (ret == 0)
		*max_header_size_r = policy.max_header_size;
	return ret;
}

#if DOVECOT_PREREQ(2, 4, 2)
/* Core writes %{ssl_client_cert_fp} by dereferencing the TLS stream of
   every TLS client, and TLS the proxy terminated has none: each log line
   would crash the login process. On a haproxy = yes listener the only
   fingerprint there could be is the proxy's own anyway. */
static void haproxy_tlv_check_log_format(void)
{
	const struct login_settings *set;
	const char *error;

	if (settings_get(master_service_get_event(master_service),
			 &login_setting_parser_info,
			 SETTINGS_GET_FLAG_NO_EXPAND, &set, &error) < 0)
		i_fatal("haproxy-tlv: %s", error);
	bool fingerprint =
		strstr(set->login_log_format_elements, "ssl_client_cert_") != NULL ||
		strstr(set->login_log_format, "ssl_client_cert_") != NULL;
	settings_free(set);
	if (fingerprint) {
		i_fatal("haproxy-tlv: login_log_format_elements uses "
			"%%{ssl_client_cert_fp} or %%{ssl_client_cert_pubkey_fp}, "
			"which Dovecot cannot write for clients whose TLS the "
			"proxy terminated: remove it");
	}
}
#else
static void haproxy_tlv_check_log_format(void)
{
}
#endif

/* Each connection reads its own settings; this only makes a
   configuration without the settings module fail at start-up */
static void haproxy_tlv_settings_read(void)
{
	struct haproxy_tlv_policy policy;
	const char *error;

	if (haproxy_tlv_settings_get(master_service_get_event(master_service),
				     &policy, NULL, NULL, &error) < 0)
		i_fatal("haproxy-tlv: %s", error);
	haproxy_tlv_check_log_format();
}

static void haproxy_tlv_settings_deinit(void)
{
}
#else
/* Dovecot 2.3 gives plugins no settings of the client: they come from
   the settings cache, the way login-common reads its own for each client
   (login_settings_read()), with the same protocol, local, remote and
   local_name filters */
static struct master_service_settings_cache *haproxy_tlv_settings_cache;

/* direct_ip, if not NULL, is looked up in haproxy_tlv_direct_networks */
static int
haproxy_tlv_settings_lookup(const struct ip_addr *local_ip,
			    const struct ip_addr *remote_ip,
			    const char *local_name,
			    struct haproxy_tlv_policy *policy_r,
			    const struct ip_addr *direct_ip, bool *direct_r,
			    const char **error_r)
{
	const struct haproxy_tlv_settings *set;
	static const struct setting_parser_info *roots[] = {
		&haproxy_tlv_setting_parser_info,
		NULL
	};
	struct master_service_settings_input input;
	const struct setting_parser_context *parser;
	void **sets;

	i_zero(&input);
	input.roots = roots;
	input.module = HAPROXY_TLV_SETTINGS_MODULE;
	input.service = login_binary->protocol;
	input.local_name = local_name;
	if (local_ip != NULL)
		input.local_ip = *local_ip;
	if (remote_ip != NULL)
		input.remote_ip = *remote_ip;
	if (master_service_settings_cache_read(haproxy_tlv_settings_cache,
					       &input, NULL, &parser,
					       error_r) < 0)
		return -1;
	sets = master_service_settings_parser_get_others(master_service, parser);
	set = sets[0];
	/* nothing points into the cache afterwards. The config process
	   compared the global lists; filter blocks are compared here. */
	return haproxy_tlv_settings_memo_parse(set,
		master_service_settings_get(master_service)->
			haproxy_trusted_networks,
		policy_r, direct_ip, direct_r, error_r);
}

int haproxy_tlv_policy_read(const struct master_service_connection *conn,
			    const struct haproxy_tlv_header *header,
			    struct haproxy_tlv_policy *policy_r,
			    const char **error_r)
{
	return haproxy_tlv_settings_lookup(&conn->local_ip, &conn->remote_ip,
					   header->authority, policy_r,
					   NULL, NULL, error_r);
}

static int
haproxy_tlv_peer_lookup(const struct master_service_connection *conn,
			bool *direct_r, size_t *max_header_size_r,
			const char **error_r)
{
	struct haproxy_tlv_policy policy;
	int ret;

	*direct_r = FALSE;
	ret = haproxy_tlv_settings_lookup(&conn->real_local_ip,
					  &conn->real_remote_ip, NULL,
					  &policy, &conn->real_remote_ip,
					  direct_r, error_r);
	if (ret == 0)
		*max_header_size_r = policy.max_header_size;
	return ret;
}

/* A configuration the plugin cannot use fails at start-up, not with
   the first connection */
static void haproxy_tlv_settings_read(void)
{
	struct haproxy_tlv_policy policy;
	const char *error;

	haproxy_tlv_settings_cache = master_service_settings_cache_init(
		master_service, HAPROXY_TLV_SETTINGS_MODULE,
		login_binary->protocol);
	/* the filters are worth looking up only in a process that serves
	   more than one connection */
	if (master_service_get_service_count(master_service) > 1 &&
	    master_service_settings_cache_init_filter(
		haproxy_tlv_settings_cache) < 0)
		i_fatal("haproxy-tlv: Error reading configuration filters");
	if (haproxy_tlv_settings_lookup(NULL, NULL, NULL, &policy, NULL, NULL,
					&error) < 0)
		i_fatal("haproxy-tlv: %s", error);
}

static void haproxy_tlv_settings_deinit(void)
{
	master_service_settings_cache_deinit(&haproxy_tlv_settings_cache);
}
#endif

/* The last proxy's settings: a process serves most connections from the
   same proxies on the same listener, and its settings do not change while
   it runs */
static struct {
	bool valid;
	struct ip_addr local_ip, remote_ip;
	in_port_t local_port;
	bool direct;
	size_t max_header_size;
} peer_memo;

int haproxy_tlv_peer_read(const struct master_service_connection *conn,
			  bool *direct_r, size_t *max_header_size_r,
			  const char **error_r)
{
	/* the remote port is in no settings filter */
	if (peer_memo.valid &&
	    peer_memo.local_port == conn->real_local_port &&
	    net_ip_compare(&peer_memo.local_ip, &conn->real_local_ip) &&
	    net_ip_compare(&peer_memo.remote_ip, &conn->real_remote_ip)) {
		*direct_r = peer_memo.direct;
		*max_header_size_r = peer_memo.max_header_size;
		return 0;
	}
	if (haproxy_tlv_peer_lookup(conn, direct_r, max_header_size_r,
				    error_r) < 0)
		return -1;
	peer_memo.valid = TRUE;
	peer_memo.local_ip = conn->real_local_ip;
	peer_memo.remote_ip = conn->real_remote_ip;
	peer_memo.local_port = conn->real_local_port;
	peer_memo.direct = *direct_r;
	peer_memo.max_header_size = *max_header_size_r;
	return 0;
}

void haproxy_tlv_plugin_init(struct module *module)
{
	haproxy_tlv_event = event_create(NULL);
	event_add_category(haproxy_tlv_event, &event_category_haproxy_tlv);
	event_set_append_log_prefix(haproxy_tlv_event, "haproxy-tlv: ");

	haproxy_tlv_settings_read();
	haproxy_tlv_connections_init();
	haproxy_tlv_client_hooks_init(module);
}

void haproxy_tlv_plugin_deinit(void)
{
	haproxy_tlv_client_hooks_deinit();
	haproxy_tlv_connections_deinit();
	haproxy_tlv_identity_deinit();
	haproxy_tlv_settings_deinit();
	haproxy_tlv_settings_memo_deinit();
	event_unref(&haproxy_tlv_event);
}
