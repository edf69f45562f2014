/* Applies a connection's PROXY header to its login client: local name,
   certificate identity, TLS state, event and forward fields; and keeps
   the identity coming only from the header while authenticating. */

#include "lib.h"
#include "ioloop.h"
#include "str.h"
#include "istream.h"
#include "strescape.h"
#include "module-context.h"
#include "iostream-ssl.h"
#include "auth-client.h"
#include "login-common.h"
#include "login-settings.h"
#include "client-common.h"
#if DOVECOT_PREREQ(2, 4, 0)
#  include "settings.h"
#  include "ssl-settings.h"
#else
#  include "master-service-ssl-settings.h"
#endif
#include "haproxy-tlv-fields.h"
#include "haproxy-tlv-net.h"
#include "haproxy-tlv-custom.h"
#include "haproxy-tlv-plugin.h"

/* login-common's view of the client's connection: 2.4 renamed the
   fields, with the same meaning for what the plugin does with them */
#if DOVECOT_PREREQ(2, 4, 0)
#  define CLIENT_TLS(client) ((client)->connection_tls_secured)
#  define CLIENT_PROXIED_TLS(client) ((client)->haproxy_terminated_tls)
#  define CLIENT_SECURED(client) ((client)->connection_secured)
#  define CLIENT_SSL_SECURED(client) ((client)->end_client_tls_secured)
#  define CLIENT_TRUSTED(client) ((client)->connection_trusted)
#else
#  define CLIENT_TLS(client) ((client)->tls)
#  define CLIENT_PROXIED_TLS(client) ((client)->proxied_ssl)
#  define CLIENT_SECURED(client) ((client)->secured)
#  define CLIENT_SSL_SECURED(client) ((client)->ssl_secured)
#  define CLIENT_TRUSTED(client) ((client)->trusted)
#endif
#if DOVECOT_PREREQ(2, 4, 2)
#  define HAPROXY_TLV_MECH_CHANNEL_BINDING SASL_MECH_SEC_CHANNEL_BINDING
#elif DOVECOT_PREREQ(2, 4, 0)
#  define HAPROXY_TLV_MECH_CHANNEL_BINDING MECH_SEC_CHANNEL_BINDING
#endif

#define HAPROXY_TLV_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, haproxy_tlv_login_module)

struct haproxy_tlv_client {
	union login_client_module_context module_ctx;

	/* Owned by the client: login-common keeps pointers into it as
	   local_name and client_cert_common_name until the client is freed */
	struct haproxy_tlv_header *header;
	/* The TLS stream a `ssl = yes` listener has with the proxy. Hidden
	   from login-common while an authentication starts, so that it takes
	   cert_username from the header and never the proxy's certificate. */
	struct ssl_iostream *hidden_ssl_iostream;
	struct timeout *to_unhide;
	bool hidden_proxied_ssl;
	/* client->tls was set because the proxy terminated TLS */
	bool tls_from_proxy;
	/* ... and is cleared once authentication succeeded, so that 2.3's
	   login hands the socket itself to the post-login process instead
	   of making this process proxy the session (2.4 hands it over
	   whenever there is no TLS stream) */
	bool tls_lowered;
	/* quiet in the log until it sends data or authenticates (the
	   policy says which headers) */
	bool quiet;
	enum log_type quiet_saved_log_level;
	/* how many forward fields the plugin itself added */
	unsigned int forward_field_count;
	/* the fields that depend on the settings besides the header's own
	   (haproxy-tlv-fields.c): the certificate's, when it gives the
	   identity, and the vendor and named custom TLVs' */
	ARRAY(struct haproxy_tlv_custom_field) extra_fields;
};

static MODULE_CONTEXT_DEFINE_INIT(haproxy_tlv_login_module,
				  &login_module_register);

static void
haproxy_tlv_client_get_tls(const struct client *client,
			   const struct haproxy_tlv_client *hclient,
			   struct haproxy_tlv_client_tls *tls_r)
{
	tls_r->tls = CLIENT_TLS(client);
	tls_r->from_proxy = hclient->tls_from_proxy;
	tls_r->stream = client->ssl_iostream != NULL;
}

static void haproxy_tlv_client_unhide_ssl(struct client *client)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	timeout_remove(&hclient->to_unhide);
	if (hclient->hidden_ssl_iostream != NULL) {
		client->ssl_iostream = hclient->hidden_ssl_iostream;
		CLIENT_PROXIED_TLS(client) = hclient->hidden_proxied_ssl;
		hclient->hidden_ssl_iostream = NULL;
	}
}

static void haproxy_tlv_client_unhide(struct client *client)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	haproxy_tlv_client_unhide_ssl(client);
	if (hclient->tls_lowered) {
		CLIENT_TLS(client) = TRUE;
		hclient->tls_lowered = FALSE;
	}
}

/* The TLS stream on a haproxy listener is always the proxy's, whatever
   the header says: its certificate is never the client's identity */
static void haproxy_tlv_client_hide_ssl(struct client *client,
					struct haproxy_tlv_client *hclient)
{
	if (client->ssl_iostream != NULL &&
	    hclient->hidden_ssl_iostream == NULL) {
		hclient->hidden_ssl_iostream = client->ssl_iostream;
		hclient->hidden_proxied_ssl = CLIENT_PROXIED_TLS(client);
		client->ssl_iostream = NULL;
		/* with TLS and no ssl_iostream, login-common must take the
		   paths of TLS the proxy terminated */
		CLIENT_PROXIED_TLS(client) = TRUE;
		/* only sasl_server_auth_begin() needs it hidden: timeouts run
		   before any further I/O */
		hclient->to_unhide = timeout_add_short(0,
			haproxy_tlv_client_unhide_ssl, client);
	}
}

static void
haproxy_tlv_client_log_normally(struct client *client,
				struct haproxy_tlv_client *hclient)
{
	if (!hclient->quiet)
		return;
	event_set_min_log_level(client->event, hclient->quiet_saved_log_level);
	hclient->quiet = FALSE;
}

static void
haproxy_tlv_client_auth_refused(struct client *client,
				const struct haproxy_tlv_refusal *refusal)
{
	if (refusal->event_name == NULL) {
		e_error(client->event, "haproxy-tlv: Authentication refused: "
			"%s", refusal->reason);
		return;
	}

	struct event_passthrough *e =
		event_create_passthrough(client->event)->
		add_category(&event_category_haproxy_tlv)->
		set_name(refusal->event_name);
	e_info(e->event(), "haproxy-tlv: Authentication refused: %s",
	       refusal->reason);
}

static void
haproxy_tlv_client_add_forward_fields(struct client *client,
				      struct haproxy_tlv_client *hclient);

static bool haproxy_tlv_is_plugin_field(const char *field)
{
	return strncasecmp(field, HAPROXY_TLV_FIELD_PREFIX,
			   strlen(HAPROXY_TLV_FIELD_PREFIX)) == 0;
}

#if DOVECOT_PREREQ(2, 4, 0)
/* Returns how many fields were dropped */
static unsigned int haproxy_tlv_client_drop_plugin_fields(struct client *client)
{
	unsigned int i = 0, dropped = 0;

	if (!array_is_created(&client->forward_fields))
		return 0;
	/* key=value, unescaped */
	while (i < array_count(&client->forward_fields)) {
		const char *field = array_idx_elem(&client->forward_fields, i);

		if (haproxy_tlv_is_plugin_field(field)) {
			array_delete(&client->forward_fields, i, 1);
			dropped++;
		} else {
			i++;
		}
	}
	return dropped;
}
#else
/* Returns how many fields were dropped */
static unsigned int haproxy_tlv_client_drop_plugin_fields(struct client *client)
{
	const char *const *fields;
	unsigned int dropped = 0;

	if (client->forward_fields == NULL)
		return 0;
	/* tab-separated, each key=value tab-escaped */
	fields = t_strsplit(t_strdup(str_c(client->forward_fields)), "\t");
	str_truncate(client->forward_fields, 0);
	for (; *fields != NULL; fields++) {
		if (haproxy_tlv_is_plugin_field(t_str_tabunescape(*fields))) {
			dropped++;
			continue;
		}
		if (str_len(client->forward_fields) > 0)
			str_append_c(client->forward_fields, '\t');
		str_append(client->forward_fields, *fields);
	}
	if (str_len(client->forward_fields) == 0)
		client->forward_fields = NULL;
	return dropped;
}
#endif

/* A client in login_trusted_networks may send forward fields of its own
   (IMAP ID x-forward-*, XCLIENT FORWARD), and auth keeps the last value of
   a field: none may stand in for a field the plugin derives from the
   header, which passdb and userdb rules trust. Called right before
   sasl_server_auth_begin() sends the fields. */
static void
haproxy_tlv_client_claim_forward_fields(struct client *client,
					struct haproxy_tlv_client *hclient)
{
	unsigned int dropped;

	dropped = haproxy_tlv_client_drop_plugin_fields(client);
	if (dropped > hclient->forward_field_count) {
		struct event_passthrough *e =
			event_create_passthrough(client->event)->
			add_category(&event_category_haproxy_tlv)->
			set_name("haproxy_tlv_client_field_ignored");
		e_warning(e->event(), "haproxy-tlv: Ignored forward fields "
			  "named %s* sent by the client",
			  HAPROXY_TLV_FIELD_PREFIX);
	}
	haproxy_tlv_client_add_forward_fields(client, hclient);
}

static void
haproxy_tlv_client_auth_starting(struct client *client,
				 struct haproxy_tlv_client *hclient)
{
	haproxy_tlv_client_claim_forward_fields(client, hclient);
	haproxy_tlv_client_hide_ssl(client, hclient);
}

/* Called with auth_initializing from sasl_server_auth_begin(), before the
   request is built: the one place every authentication passes */
static bool
haproxy_tlv_sasl_filter_mech(struct client *client, struct auth_mech_desc *mech)
{
	static const struct haproxy_tlv_policy no_header_policy;
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);
	const struct haproxy_tlv_refusal *refusal;

#ifdef HAPROXY_TLV_MECH_CHANNEL_BINDING
	/* the TLS channel is the proxy's, never the client's: binding to
	   it would prove nothing, or the wrong thing */
	if ((mech->flags & HAPROXY_TLV_MECH_CHANNEL_BINDING) != 0)
		return FALSE;
#endif
	if (client->auth_initializing) {
		/* a LOCAL connection that authenticates is a client after
		   all, and so is logged */
		haproxy_tlv_client_log_normally(client, hclient);
		refusal = haproxy_tlv_policy_auth(hclient->header == NULL ?
			&no_header_policy : &hclient->header->policy,
			hclient->header);
		if (refusal != NULL) {
			haproxy_tlv_client_auth_refused(client, refusal);
			return FALSE;
		}
		haproxy_tlv_client_auth_starting(client, hclient);
	}
	if (hclient->module_ctx.super.sasl_filter_mech != NULL)
		return hclient->module_ctx.super.sasl_filter_mech(client, mech);
	return TRUE;
}

#if !DOVECOT_PREREQ(2, 4, 0)
/* Authentication succeeded and the socket is about to be handed to the
   post-login process: client_get_plaintext_fd() passes the socket itself
   only without client->tls. Lowering it this late keeps `TLS` in every
   log line written while the client was still authenticating. */
static bool haproxy_tlv_sasl_check_login(struct client *client)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);
	struct haproxy_tlv_client_tls tls;

	if (hclient->module_ctx.super.sasl_check_login != NULL &&
	    !hclient->module_ctx.super.sasl_check_login(client))
		return FALSE;
	haproxy_tlv_client_get_tls(client, hclient, &tls);
	if (haproxy_tlv_policy_lower_tls(&tls)) {
		client->tls = FALSE;
		hclient->tls_lowered = TRUE;
	}
	return TRUE;
}
#endif

static void
haproxy_tlv_auth_result(struct client *client, enum client_auth_result result,
			const struct client_auth_reply *reply, const char *text)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	/* the socket has been handed over (or login failed): from now on,
	   the TLS the proxy terminated counts as TLS again in log lines */
	haproxy_tlv_client_unhide(client);
	hclient->module_ctx.super.auth_result(client, result, reply, text);
}

static void
haproxy_tlv_proxy_failed(struct client *client,
			 enum login_proxy_failure_type type,
			 const char *reason, bool reconnecting)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	/* the login failed without an auth_result() call */
	haproxy_tlv_client_unhide(client);
	hclient->module_ctx.super.proxy_failed(client, type, reason,
					       reconnecting);
}

/* Before core connects to another backend: on Dovecot 2.4 a redirect
   with reauthentication builds an auth request right after this, without
   sasl_server_auth_begin() */
static void haproxy_tlv_proxy_reset(struct client *client)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	haproxy_tlv_client_hide_ssl(client, hclient);
	hclient->module_ctx.super.proxy_reset(client);
}

/* Core may log the disconnect right after this, without auth_result():
   e.g. when the post-login process could not be started */
static void
haproxy_tlv_client_notify_disconnect(struct client *client,
				     enum client_disconnect_reason reason,
				     const char *text)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	haproxy_tlv_client_unhide(client);
	hclient->module_ctx.super.notify_disconnect(client, reason, text);
}

/* A health check sends nothing after its header (a TLS handshake at
   most): a quiet connection that sends data is a client, and its session
   is logged. The data read here stays buffered for the protocol's own
   input handler. */
static void haproxy_tlv_client_input(struct client *client)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	if (hclient->quiet) {
		(void)i_stream_read(client->input);
		if (i_stream_get_data_size(client->input) > 0)
			haproxy_tlv_client_log_normally(client, hclient);
	}
	hclient->module_ctx.super.input(client);
}

static void haproxy_tlv_client_destroy(struct client *client)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	/* give the ssl_iostream back for client_unref() to free */
	haproxy_tlv_client_unhide(client);
	if (hclient->module_ctx.super.destroy != NULL)
		hclient->module_ctx.super.destroy(client);
}

/* The last reference is gone: nothing reads the client's local_name or
   cert_username any more */
static void haproxy_tlv_client_free(struct client *client)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	if (hclient->module_ctx.super.free != NULL)
		hclient->module_ctx.super.free(client);
	haproxy_tlv_header_free(&hclient->header);
}

static void
haproxy_tlv_client_add_forward_fields(struct client *client,
				      struct haproxy_tlv_client *hclient)
{
	const char *name, *value;
	unsigned int idx = 0;

	hclient->forward_field_count = 0;
	while (haproxy_tlv_fields_next_event(&hclient->header->hdr, &idx,
					     &name, &value)) {
		client_add_forward_field(client, name, value);
		hclient->forward_field_count++;
	}
	if (!array_is_created(&hclient->extra_fields))
		return;

	const struct haproxy_tlv_custom_field *field;
	array_foreach(&hclient->extra_fields, field) {
		client_add_forward_field(client, field->name, field->value);
		hclient->forward_field_count++;
	}
}

static void
haproxy_tlv_client_add_event_fields(struct client *client,
				    struct haproxy_tlv_client *hclient)
{
	const struct haproxy_tlv_custom_field *field;
	const char *name, *value;
	unsigned int idx = 0;

	event_add_str(client->event, "haproxy_ip",
		      haproxy_tlv_net_ip2addr(&client->real_remote_ip));
	while (haproxy_tlv_fields_next_event(&hclient->header->hdr, &idx,
					     &name, &value))
		event_add_str(client->event, name, value);
	if (array_is_created(&hclient->extra_fields)) {
		array_foreach(&hclient->extra_fields, field)
			event_add_str(client->event, field->name, field->value);
	}
}

static void
haproxy_tlv_client_add_extra_fields(struct client *client,
				    struct haproxy_tlv_client *hclient,
				    const struct haproxy_tlv_custom_field *fields,
				    unsigned int count)
{
	struct haproxy_tlv_custom_field *copy;

	if (count > 0 && !array_is_created(&hclient->extra_fields))
		p_array_init(&hclient->extra_fields, client->pool, count);
	for (unsigned int i = 0; i < count; i++) {
		copy = array_append_space(&hclient->extra_fields);
		copy->name = p_strdup(client->pool, fields[i].name);
		copy->value = p_strdup(client->pool, fields[i].value);
	}
}

static void
haproxy_tlv_client_identity_settings(struct client *client,
				     struct haproxy_tlv_identity_settings *set_r)
{
#if DOVECOT_PREREQ(2, 4, 0)
	const struct ssl_server_settings *ssl_set = client->ssl_server_set;
	struct settings_file ca_file;

	settings_file_get(ssl_set->ssl_server_ca_file, unsafe_data_stack_pool,
			  &ca_file);
	set_r->username_field = ssl_set->ssl_server_cert_username_field;
	set_r->ca_pem = ca_file.content;
	set_r->require_crl = ssl_set->ssl_server_require_crl;
#else
	set_r->username_field = client->ssl_set->ssl_cert_username_field;
	set_r->ca_pem = client->ssl_set->ssl_ca;
	set_r->require_crl = client->ssl_set->ssl_require_crl;
#endif
}

/* cert_username the way Dovecot takes it from its own TLS clients, with
   the client's own SSL settings */
static void
haproxy_tlv_client_apply_identity(struct client *client,
				  struct haproxy_tlv_client *hclient)
{
	struct haproxy_tlv_custom_field fields[HAPROXY_TLV_IDENTITY_FIELDS_MAX];
	struct haproxy_tlv_identity_settings set;
	const char *username;
	unsigned int count;

	haproxy_tlv_client_identity_settings(client, &set);
	username = haproxy_tlv_identity_username(hclient->header, &set,
						 client->event, fields, &count);
	client->client_cert_common_name = p_strdup(client->pool, username);
	haproxy_tlv_client_add_extra_fields(client, hclient, fields, count);
}

static void
haproxy_tlv_client_apply_custom(struct client *client,
				struct haproxy_tlv_client *hclient)
{
	struct haproxy_tlv_custom_field fields[HAPROXY_TLV_CUSTOM_FIELDS_MAX];
	const struct haproxy_tlv_header *header = hclient->header;
	unsigned int count;
	const char *error;

	/* the connection was closed if they were invalid */
	if (haproxy_tlv_custom_fields(&header->hdr, &header->policy.custom,
				      fields, &count, &error) < 0)
		i_panic("haproxy-tlv: custom TLVs not validated: %s", error);
	haproxy_tlv_client_add_extra_fields(client, hclient, fields, count);
}

static void
haproxy_tlv_client_debug(struct client *client,
			 const struct haproxy_tlv_header *header)
{
	struct event_passthrough *e =
		event_create_passthrough(client->event)->
		add_category(&event_category_haproxy_tlv)->
		set_name("haproxy_tlv_client_header");

	e_debug(e->event(), "haproxy-tlv: %s",
		haproxy_tlv_fields_debug_line(&header->hdr,
					      client->client_cert_common_name));
}

#if DOVECOT_PREREQ(2, 4, 0)
/* The TLS context for the SNI name: settings looked up with it as
   local_name, without touching the client's own settings */
static int
haproxy_tlv_client_sni_context(struct client *client, const char *name,
			       struct ssl_iostream_context **ssl_ctx_r,
			       const char **error_r)
{
	const struct ssl_settings *ssl_set;
	const struct ssl_server_settings *ssl_server_set;
	const struct ssl_iostream_settings *iostream_set;
	struct event *event = event_create(client->event);
	int ret;

	event_add_str(event, "local_name", name);
	ret = ssl_server_settings_get(event, &ssl_set, &ssl_server_set,
				      error_r);
	event_unref(&event);
	if (ret < 0)
		return -1;
	ssl_server_settings_to_iostream_set(ssl_set, ssl_server_set,
					    &iostream_set);
	ret = ssl_iostream_server_context_cache_get(iostream_set, ssl_ctx_r,
						    error_r);
	settings_free(iostream_set);
	settings_free(ssl_set);
	settings_free(ssl_server_set);
	if (ret > 0 && login_binary->application_protocols != NULL) {
		ssl_iostream_context_set_application_protocols(*ssl_ctx_r,
			login_binary->application_protocols);
	}
	return ret < 0 ? -1 : 0;
}

/* the handshake got as far as SNI: 2.4's login-common waits for this
   before it greets the client */
static void haproxy_tlv_client_sni_done(struct client *client)
{
	client->defer_auth_ready = FALSE;
	timeout_remove(&client->to_notify_auth_ready);
	client->to_notify_auth_ready =
		timeout_add_short(0, client_notify_auth_ready, client);
}
#else
static const struct login_settings *
haproxy_tlv_client_read_settings(struct client *client, const char *local_name,
	const struct master_service_ssl_settings **ssl_set_r,
	const struct master_service_ssl_server_settings **ssl_server_set_r)
{
	void **other_sets;

	return login_settings_read(client->pool, &client->local_ip,
				   &client->ip, local_name, ssl_set_r,
				   ssl_server_set_r, &other_sets);
}

/* `local_name` blocks apply to the name the client asked HAProxy for, as
   they do for SNI when Dovecot terminates TLS itself (2.4: through the
   connection's haproxy hostname, before the client reads its settings) */
static void haproxy_tlv_client_apply_local_name(struct client *client)
{
	client->set = haproxy_tlv_client_read_settings(client,
		client->local_name, &client->ssl_set, &client->ssl_server_set);
}

static int
haproxy_tlv_client_sni_context(struct client *client, const char *name,
			       struct ssl_iostream_context **ssl_ctx_r,
			       const char **error_r)
{
	const struct master_service_ssl_settings *ssl_set;
	const struct master_service_ssl_server_settings *ssl_server_set;
	struct ssl_iostream_settings iostream_set;

	(void)haproxy_tlv_client_read_settings(client, name, &ssl_set,
					       &ssl_server_set);
	master_service_ssl_server_settings_to_iostream_set(ssl_set,
		ssl_server_set, pool_datastack_create(), &iostream_set);
	return ssl_iostream_server_context_cache_get(&iostream_set, ssl_ctx_r,
						     error_r) < 0 ? -1 : 0;
}

static void haproxy_tlv_client_sni_done(struct client *client ATTR_UNUSED)
{
}
#endif

/* On an `ssl = yes` listener the TLS SNI is the proxy's (HAProxy's `sni`
   server option), not the client's. Core's callback would make it the
   local_name and replace the settings taken from AUTHORITY; this one only
   lets it pick the certificate shown to the proxy. */
static int
haproxy_tlv_client_proxy_sni(const char *name, const char **error_r,
			     void *context)
{
	struct client *client = context;
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);
	struct ssl_iostream_context *ssl_ctx;
	struct ssl_iostream *ssl_iostream;
	const char *error;

	if (haproxy_tlv_client_sni_context(client, name, &ssl_ctx,
					   &error) < 0) {
		*error_r = t_strdup_printf(
			"Failed to initialize SSL server context: %s", error);
		return -1;
	}
	ssl_iostream = hclient->hidden_ssl_iostream != NULL ?
		hclient->hidden_ssl_iostream : client->ssl_iostream;
	ssl_iostream_change_context(ssl_iostream, ssl_ctx);
	ssl_iostream_context_unref(&ssl_ctx);
	haproxy_tlv_client_sni_done(client);
	return 0;
}

/* No STARTTLS on top of the proxy's TLS: submission offers it whenever
   ssl is not `no` */
static void haproxy_tlv_client_disable_starttls(struct client *client)
{
#if DOVECOT_PREREQ(2, 4, 0)
	struct ssl_server_settings *ssl_server_set;

	/* a copy that shares the original's pool reference: login-common's
	   settings_free() of the copy releases it */
	ssl_server_set = p_new(client->pool, struct ssl_server_settings, 1);
	*ssl_server_set = *client->ssl_server_set;
	ssl_server_set->ssl = "no";
	client->ssl_server_set = ssl_server_set;
#else
	struct master_service_ssl_settings *ssl_set;

	ssl_set = p_new(client->pool, struct master_service_ssl_settings, 1);
	*ssl_set = *client->ssl_set;
	ssl_set->ssl = "no";
	client->ssl_set = ssl_set;
#endif
}

/* TLS ended at the proxy: `TLS` in log lines, plaintext authentication
   allowed, and no TLS of this process on top of it (STARTTLS is neither
   offered nor accepted, in any protocol) */
static void
haproxy_tlv_client_apply_proxy_tls(struct client *client,
				   struct haproxy_tlv_client *hclient)
{
	CLIENT_TLS(client) = TRUE;
	CLIENT_PROXIED_TLS(client) = TRUE;
	CLIENT_SECURED(client) = TRUE;
	CLIENT_SSL_SECURED(client) = TRUE;
	hclient->tls_from_proxy = TRUE;
	haproxy_tlv_client_disable_starttls(client);
}

static void
haproxy_tlv_client_apply_security(struct client *client,
				  struct haproxy_tlv_client *hclient)
{
	const struct haproxy_tlv_header *header = hclient->header;
	struct haproxy_tlv_client_tls tls;
	struct haproxy_tlv_security security = {
		.trusted = CLIENT_TRUSTED(client),
#if DOVECOT_PREREQ(2, 4, 0)
		.trusted_needs_tls =
			strcmp(client->ssl_server_set->ssl, "required") == 0,
#endif
	};

	haproxy_tlv_client_get_tls(client, hclient, &tls);
	haproxy_tlv_policy_security(header, &tls, &security);
	CLIENT_TRUSTED(client) = security.trusted;
	CLIENT_SECURED(client) = security.secured;
	CLIENT_SSL_SECURED(client) = security.ssl_secured;
	if (haproxy_tlv_policy_proxy_tls(header, &tls))
		haproxy_tlv_client_apply_proxy_tls(client, hclient);
#if DOVECOT_PREREQ(2, 4, 4)
	client->haproxy_ssl_client_cert =
		haproxy_tlv_policy_valid_client_cert(&header->policy, header);
#endif
}

static void
haproxy_tlv_client_apply(struct client *client,
			 struct haproxy_tlv_client *hclient)
{
	const struct haproxy_tlv_header *header = hclient->header;

	if (haproxy_tlv_policy_quiet_until_auth(header)) {
		hclient->quiet = TRUE;
		hclient->quiet_saved_log_level =
			event_get_min_log_level(client->event);
		event_set_min_log_level(client->event, LOG_TYPE_WARNING);
	}
	/* every header's TLVs apply, whatever its command and family */
	client->local_name = header->authority;
#if !DOVECOT_PREREQ(2, 4, 0)
	if (client->local_name != NULL)
		haproxy_tlv_client_apply_local_name(client);
#endif
	if (client->ssl_iostream != NULL) {
		ssl_iostream_set_sni_callback(client->ssl_iostream,
			haproxy_tlv_client_proxy_sni, client);
	}
	haproxy_tlv_client_apply_identity(client, hclient);
	haproxy_tlv_client_apply_custom(client, hclient);
	haproxy_tlv_client_apply_security(client, hclient);
	haproxy_tlv_client_add_event_fields(client, hclient);
	if (haproxy_tlv_debug_possible(client->event))
		haproxy_tlv_client_debug(client, header);
}

static void haproxy_tlv_client_allocated(struct client *client)
{
	struct haproxy_tlv_client *hclient;
	struct client_vfuncs *v = &client->v;
	struct haproxy_tlv_header *header;

	/* a peer in haproxy_tlv_direct_networks, marked as such when its
	   connection was accepted: exactly a client of a listener without
	   haproxy = yes. Never inferred from a missing header. */
	if (haproxy_tlv_direct_take(client->fd, client->listener_name))
		return;
	header = haproxy_tlv_header_take(client->fd, client->listener_name);
	if (header == NULL &&
	    !haproxy_tlv_is_haproxy_listener(client->listener_name))
		return;

	hclient = p_new(client->pool, struct haproxy_tlv_client, 1);
	hclient->module_ctx.super = *v;
	hclient->header = header;
	v->sasl_filter_mech = haproxy_tlv_sasl_filter_mech;
#if !DOVECOT_PREREQ(2, 4, 0)
	v->sasl_check_login = haproxy_tlv_sasl_check_login;
#endif
	v->auth_result = haproxy_tlv_auth_result;
	if (v->proxy_failed != NULL)
		v->proxy_failed = haproxy_tlv_proxy_failed;
	if (v->proxy_reset != NULL)
		v->proxy_reset = haproxy_tlv_proxy_reset;
	v->destroy = haproxy_tlv_client_destroy;
	v->free = haproxy_tlv_client_free;
	if (v->notify_disconnect != NULL)
		v->notify_disconnect = haproxy_tlv_client_notify_disconnect;
	/* submission-login reads its input through lib-smtp, without this
	   vfunc: there a LOCAL connection is quiet until it authenticates */
	if (v->input != NULL)
		v->input = haproxy_tlv_client_input;
	MODULE_CONTEXT_SET(client, haproxy_tlv_login_module, hclient);

	/* on a haproxy = yes listener without a header (never expected),
	   authentication is refused: see haproxy_tlv_sasl_filter_mech() */
	if (header != NULL)
		haproxy_tlv_client_apply(client, hclient);
}

static const struct login_client_hooks haproxy_tlv_login_hooks = {
	.client_allocated = haproxy_tlv_client_allocated,
};

void haproxy_tlv_client_hooks_init(struct module *module)
{
	login_client_hooks_add(module, &haproxy_tlv_login_hooks);
}

void haproxy_tlv_client_hooks_deinit(void)
{
	login_client_hooks_remove(&haproxy_tlv_login_hooks);
}
