/* Applies a connection's PROXY header to its login client: local name,
   certificate identity, TLS state, event and forward fields; and keeps
   the identity coming only from the header while authenticating. */

#include "lib.h"
#include "ioloop.h"
#include "str.h"
#include "str-sanitize.h"
#include "module-context.h"
#include "iostream-ssl.h"
#include "auth-client.h"
#include "login-common.h"
#include "login-settings.h"
#include "client-common.h"
#include "haproxy-tlv-plugin.h"

#define HAPROXY_TLV_CONTEXT(obj) \
	MODULE_CONTEXT_REQUIRE(obj, haproxy_tlv_login_module)

struct haproxy_tlv_client {
	union login_client_module_context module_ctx;

	const struct haproxy_tlv_header *header;
	/* The TLS stream a `ssl = yes` listener has with the proxy. Hidden
	   from login-common while an authentication starts, so that it takes
	   cert_username from the header and never the proxy's certificate. */
	struct ssl_iostream *hidden_ssl_iostream;
	struct timeout *to_unhide;
	bool hidden_proxied_ssl;
	/* client->tls was set because the proxy terminated TLS */
	bool tls_from_proxy;
	/* ... and is cleared while authenticating, so that a successful
	   login hands the socket itself to the post-login process instead
	   of making this process proxy the session */
	bool tls_lowered;
};

static MODULE_CONTEXT_DEFINE_INIT(haproxy_tlv_login_module,
				  &login_module_register);

static void haproxy_tlv_client_unhide_ssl(struct client *client)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	timeout_remove(&hclient->to_unhide);
	if (hclient->hidden_ssl_iostream != NULL) {
		client->ssl_iostream = hclient->hidden_ssl_iostream;
		client->proxied_ssl = hclient->hidden_proxied_ssl;
		hclient->hidden_ssl_iostream = NULL;
	}
}

static void haproxy_tlv_client_unhide(struct client *client)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	haproxy_tlv_client_unhide_ssl(client);
	if (hclient->tls_lowered) {
		client->tls = TRUE;
		hclient->tls_lowered = FALSE;
	}
}

static void
haproxy_tlv_client_auth_starting(struct client *client,
				 struct haproxy_tlv_client *hclient)
{
	/* only while no TLS of our own runs (STARTTLS would add one) */
	if (hclient->tls_from_proxy && client->tls &&
	    client->ssl_iostream == NULL) {
		client->tls = FALSE;
		hclient->tls_lowered = TRUE;
	}
	if (client->ssl_iostream != NULL &&
	    hclient->hidden_ssl_iostream == NULL && !hclient->header->local) {
		hclient->hidden_ssl_iostream = client->ssl_iostream;
		hclient->hidden_proxied_ssl = client->proxied_ssl;
		client->ssl_iostream = NULL;
		/* with client->tls and no ssl_iostream, login-common must
		   take the proxied_ssl paths */
		client->proxied_ssl = TRUE;
		/* only sasl_server_auth_begin() needs it hidden: timeouts run
		   before any further I/O */
		hclient->to_unhide = timeout_add_short(0,
			haproxy_tlv_client_unhide_ssl, client);
	}
}

static bool
haproxy_tlv_sasl_filter_mech(struct client *client, struct auth_mech_desc *mech)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	if (client->auth_initializing && hclient->header == NULL) {
		e_error(client->event, "haproxy-tlv: Authentication refused: "
			"no PROXY header was applied to this client");
		return FALSE;
	}
	if (client->auth_initializing) {
		if (haproxy_tlv_policy.require_client_cert &&
		    !hclient->header->cert_verified) {
			struct event_passthrough *e =
				event_create_passthrough(client->event)->
				add_category(&event_category_haproxy_tlv)->
				set_name("haproxy_tlv_client_cert_required");
			e_info(e->event(), "haproxy-tlv: Authentication "
			       "refused: no verified client certificate was "
			       "forwarded (haproxy_tlv_require_client_cert = yes)");
			return FALSE;
		}
		haproxy_tlv_client_auth_starting(client, hclient);
	}
	if (hclient->module_ctx.super.sasl_filter_mech != NULL)
		return hclient->module_ctx.super.sasl_filter_mech(client, mech);
	return TRUE;
}

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

static void haproxy_tlv_client_destroy(struct client *client)
{
	struct haproxy_tlv_client *hclient = HAPROXY_TLV_CONTEXT(client);

	/* give the ssl_iostream back for client_unref() to free */
	haproxy_tlv_client_unhide(client);
	if (hclient->module_ctx.super.destroy != NULL)
		hclient->module_ctx.super.destroy(client);
}

static void
haproxy_tlv_client_add_field(struct client *client, const char *key,
			     const char *value)
{
	if (value == NULL)
		return;
	event_add_str(client->event, key, value);
	client_add_forward_field(client, key, value);
}

static void
haproxy_tlv_client_add_fields(struct client *client,
			      const struct haproxy_tlv_header *header)
{
	const char *cert_username = client->client_cert_common_name;

	event_add_str(client->event, "haproxy_ip",
		      net_ip2addr(&client->real_remote_ip));
	haproxy_tlv_client_add_field(client, "haproxy_tls",
				     header->tls ? "yes" : "no");
	if (header->tls) {
		haproxy_tlv_client_add_field(client, "haproxy_tls_version",
					     header->ssl_version);
		haproxy_tlv_client_add_field(client, "haproxy_tls_cipher",
					     header->ssl_cipher);
		haproxy_tlv_client_add_field(client, "haproxy_tls_sig_alg",
					     header->ssl_sig_alg);
		haproxy_tlv_client_add_field(client, "haproxy_tls_key_alg",
					     header->ssl_key_alg);
		haproxy_tlv_client_add_field(client, "haproxy_cert",
			header->cert_verified ? "verified" :
			header->cert_presented ? "unverified" : "none");
		if (header->cert_presented) {
			haproxy_tlv_client_add_field(client,
				"haproxy_cert_verify",
				dec2str(header->ssl_verify));
		}
		haproxy_tlv_client_add_field(client, "haproxy_cert_cn",
					     header->ssl_cn);
	}
	haproxy_tlv_client_add_field(client, "haproxy_sni", header->authority);
	haproxy_tlv_client_add_field(client, "haproxy_alpn", header->alpn);
	haproxy_tlv_client_add_field(client, "haproxy_unique_id",
				     header->unique_id);
	haproxy_tlv_client_add_field(client, "haproxy_netns", header->netns);

	struct event_passthrough *e =
		event_create_passthrough(client->event)->
		add_category(&event_category_haproxy_tlv)->
		set_name("haproxy_tlv_client_header");
	e_debug(e->event(), "haproxy-tlv: PROXY v%u: tls=%s version=%s "
		"cipher=%s cert=%s verify=%u cn=%s cert_username=%s sni=%s "
		"alpn=%s unique_id=%s crc32c=%s",
		header->version, header->tls ? "yes" : "no",
		header->ssl_version == NULL ? "" : header->ssl_version,
		header->ssl_cipher == NULL ? "" : header->ssl_cipher,
		header->cert_verified ? "verified" :
		header->cert_presented ? "unverified" : "none",
		header->ssl_verify,
		header->ssl_cn == NULL ? "" : str_sanitize(header->ssl_cn, 64),
		cert_username == NULL ? "" : str_sanitize(cert_username, 64),
		header->authority == NULL ? "" : header->authority,
		header->alpn == NULL ? "" : header->alpn,
		header->unique_id == NULL ? "" : header->unique_id,
		header->have_crc32c ? "verified" : "none");
}

/* `local_name` blocks apply to the name the client asked HAProxy for, as
   they do for SNI when Dovecot terminates TLS itself */
static void haproxy_tlv_client_apply_local_name(struct client *client)
{
	const struct master_service_ssl_settings *ssl_set;
	const struct master_service_ssl_server_settings *ssl_server_set;
	void **other_sets;

	client->set = login_settings_read(client->pool, &client->local_ip,
					  &client->ip, client->local_name,
					  &ssl_set, &ssl_server_set,
					  &other_sets);
	client->ssl_set = ssl_set;
	client->ssl_server_set = ssl_server_set;
}

static void
haproxy_tlv_client_apply(struct client *client,
			 struct haproxy_tlv_client *hclient)
{
	const struct haproxy_tlv_header *header = hclient->header;

	if (header->local) {
		/* the proxy's health check: it gets its greeting, but its
		   connect/disconnect is not worth an info line each time */
		event_set_min_log_level(client->event, LOG_TYPE_WARNING);
		return;
	}
	client->local_name = header->authority;
	if (client->local_name != NULL)
		haproxy_tlv_client_apply_local_name(client);
	client->client_cert_common_name =
		haproxy_tlv_header_cert_username(header);
	if (header->tls && !client->tls) {
		/* TLS ended at the proxy: no STARTTLS, `TLS` in log lines */
		client->tls = TRUE;
		client->proxied_ssl = TRUE;
		hclient->tls_from_proxy = TRUE;
	}
	haproxy_tlv_client_add_fields(client, header);
}

static void haproxy_tlv_client_allocated(struct client *client)
{
	struct haproxy_tlv_client *hclient;
	struct client_vfuncs *v = &client->v;
	const struct haproxy_tlv_header *header;

	header = haproxy_tlv_header_take(client->fd, &client->real_remote_ip,
					 client->real_remote_port, client->pool);
	if (header == NULL &&
	    !haproxy_tlv_is_haproxy_listener(client->listener_name))
		return;

	hclient = p_new(client->pool, struct haproxy_tlv_client, 1);
	hclient->module_ctx.super = *v;
	hclient->header = header;
	v->sasl_filter_mech = haproxy_tlv_sasl_filter_mech;
	v->auth_result = haproxy_tlv_auth_result;
	if (v->proxy_failed != NULL)
		v->proxy_failed = haproxy_tlv_proxy_failed;
	v->destroy = haproxy_tlv_client_destroy;
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
