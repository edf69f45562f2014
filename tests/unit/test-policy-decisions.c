/* Every branch of the plugin's policy (src/login/haproxy-tlv-policy.c),
   without Dovecot: headers as the plugin keeps them, built field by field
   and decoded from captures of HAProxy 2.6. */

#include <string.h>

#include "test-util.h"
#include "haproxy-tlv-header.h"
#include "haproxy-tlv-policy.h"

#define CERT_CONN (PROXY_HEADER_CLIENT_SSL | PROXY_HEADER_CLIENT_CERT_CONN)
#define CERT_SESS (PROXY_HEADER_CLIENT_SSL | PROXY_HEADER_CLIENT_CERT_SESS)
/* X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT */
#define VERIFY_SELF_SIGNED 18

enum header_kind {
	/* PROXY TCP4 from send-proxy-v2, no SSL TLV */
	PLAIN,
	PLAIN6,
	/* send-proxy-v2-ssl on a connection without TLS */
	SSL_WITHOUT_TLS,
	TLS,
	TLS_CERT_VERIFIED,
	/* verified in an earlier connection of a resumed session */
	TLS_SESS_CERT_VERIFIED,
	/* verify optional, self-signed */
	TLS_CERT_UNVERIFIED,
	TLS_CERT_WITHOUT_CN,
	/* a CN without either certificate flag */
	TLS_CN_WITHOUT_CERT,
	/* v1 UNKNOWN, v2 PROXY UNSPEC */
	UNSPEC,
	UNIX,
	/* HAProxy's health check */
	LOCAL,
	/* a client of a unix socket frontend */
	LOCAL_TLS_CERT_VERIFIED,
	/* LOCAL with addresses, which still are not the client's */
	LOCAL_INET,

	HEADER_KIND_COUNT
};

static const char *const header_kind_names[HEADER_KIND_COUNT] = {
	"plain", "plain6", "ssl-without-tls", "tls", "tls-cert-verified",
	"tls-sess-cert-verified", "tls-cert-unverified",
	"tls-cert-without-cn", "tls-cn-without-cert", "unspec", "unix",
	"local", "local-tls-cert-verified", "local-inet",
};

static void
set_ssl(struct haproxy_tlv_header *header, uint8_t client, uint32_t verify,
	const char *cn)
{
	header->hdr.have_ssl = true;
	header->hdr.ssl_client = client;
	header->hdr.ssl_verify = verify;
	if (cn != NULL) {
		header->hdr.ssl_cn.data = (const unsigned char *)cn;
		header->hdr.ssl_cn.size = strlen(cn);
		header->ssl_cn = cn;
	}
}

static void header_init(struct haproxy_tlv_header *header,
			enum header_kind kind)
{
	memset(header, 0, sizeof(*header));
	header->hdr.version = 2;
	header->hdr.command = PROXY_HEADER_CMD_PROXY;
	header->hdr.family = PROXY_HEADER_FAMILY_INET;

	switch (kind) {
	case PLAIN:
		break;
	case PLAIN6:
		header->hdr.family = PROXY_HEADER_FAMILY_INET6;
		break;
	case SSL_WITHOUT_TLS:
		set_ssl(header, 0, 0, NULL);
		break;
	case TLS:
		set_ssl(header, PROXY_HEADER_CLIENT_SSL, 0, NULL);
		break;
	case TLS_CERT_VERIFIED:
		set_ssl(header, CERT_CONN, 0, "jane");
		break;
	case TLS_SESS_CERT_VERIFIED:
		set_ssl(header, CERT_SESS, 0, "jane");
		break;
	case TLS_CERT_UNVERIFIED:
		set_ssl(header, CERT_CONN, VERIFY_SELF_SIGNED, "jane");
		break;
	case TLS_CERT_WITHOUT_CN:
		set_ssl(header, CERT_CONN, 0, NULL);
		break;
	case TLS_CN_WITHOUT_CERT:
		set_ssl(header, PROXY_HEADER_CLIENT_SSL, 0, "jane");
		break;
	case UNSPEC:
		header->hdr.family = PROXY_HEADER_FAMILY_UNSPEC;
		break;
	case UNIX:
		header->hdr.family = PROXY_HEADER_FAMILY_UNIX;
		break;
	case LOCAL:
		header->hdr.command = PROXY_HEADER_CMD_LOCAL;
		header->hdr.family = PROXY_HEADER_FAMILY_UNSPEC;
		break;
	case LOCAL_TLS_CERT_VERIFIED:
		header->hdr.command = PROXY_HEADER_CMD_LOCAL;
		header->hdr.family = PROXY_HEADER_FAMILY_UNSPEC;
		set_ssl(header, CERT_CONN, 0, "jane");
		break;
	case LOCAL_INET:
		header->hdr.command = PROXY_HEADER_CMD_LOCAL;
		break;
	case HEADER_KIND_COUNT:
		g_assert_not_reached();
	}
}

static bool kind_is_tls(enum header_kind kind)
{
	switch (kind) {
	case TLS:
	case TLS_CERT_VERIFIED:
	case TLS_SESS_CERT_VERIFIED:
	case TLS_CERT_UNVERIFIED:
	case TLS_CERT_WITHOUT_CN:
	case TLS_CN_WITHOUT_CERT:
	case LOCAL_TLS_CERT_VERIFIED:
		return true;
	default:
		return false;
	}
}

static bool kind_is_verified(enum header_kind kind)
{
	return kind == TLS_CERT_VERIFIED || kind == TLS_SESS_CERT_VERIFIED ||
		kind == TLS_CERT_WITHOUT_CN || kind == LOCAL_TLS_CERT_VERIFIED;
}

static bool kind_is_local(enum header_kind kind)
{
	return kind == LOCAL || kind == LOCAL_TLS_CERT_VERIFIED ||
		kind == LOCAL_INET;
}

static const struct haproxy_tlv_policy default_policy = {
	.client_cert = HAPROXY_TLV_CLIENT_CERT_VERIFIED,
};
static const struct haproxy_tlv_policy require_tls_policy = {
	.client_cert = HAPROXY_TLV_CLIENT_CERT_VERIFIED,
	.require_tls = true,
};
static const struct haproxy_tlv_policy require_cert_policy = {
	.client_cert = HAPROXY_TLV_CLIENT_CERT_VERIFIED,
	.require_client_cert = true,
};
static const struct haproxy_tlv_policy require_both_policy = {
	.client_cert = HAPROXY_TLV_CLIENT_CERT_PRESENT,
	.require_tls = true,
	.require_client_cert = true,
};

static void
assert_refusal(const struct haproxy_tlv_refusal *refusal,
	       const char *event_name, const char *reason)
{
	g_assert_nonnull(refusal);
	g_assert_cmpstr(refusal->event_name, ==, event_name);
	g_assert_cmpstr(refusal->reason, ==, reason);
}

/* the connection-level refusal, word for word as logged and as the
   integration tests and admins' log filters expect it */
#define CONNECTION_TLS_REASON \
	"PROXY header does not report TLS and haproxy_tlv_require_tls = yes"
#define AUTH_TLS_REASON \
	"the PROXY header does not report TLS (haproxy_tlv_require_tls = yes)"
#define AUTH_CERT_REASON \
	"no verified client certificate was forwarded " \
	"(haproxy_tlv_require_client_cert = yes)"

static bool always(enum header_kind kind)
{
	(void)kind;
	return true;
}

/* LOCAL keeps its connection for the greeting a health check expects */
static bool tls_or_local(enum header_kind kind)
{
	return kind_is_tls(kind) || kind_is_local(kind);
}

typedef const struct haproxy_tlv_refusal *
decide_func_t(const struct haproxy_tlv_policy *policy,
	      const struct haproxy_tlv_header *header);

/* For every kind of header: allowed where allowed(kind) says so, refused
   with this event and reason everywhere else */
static void
assert_decisions(decide_func_t *decide, const struct haproxy_tlv_policy *policy,
		 bool (*allowed)(enum header_kind kind),
		 const char *event_name, const char *reason)
{
	struct haproxy_tlv_header header;

	for (enum header_kind kind = 0; kind < HEADER_KIND_COUNT; kind++) {
		const struct haproxy_tlv_refusal *refusal;

		header_init(&header, kind);
		refusal = decide(policy, &header);
		if (allowed(kind)) {
			if (refusal != NULL) {
				g_error("%s: refused: %s",
					header_kind_names[kind],
					refusal->reason);
			}
			continue;
		}
		if (refusal == NULL)
			g_error("%s: not refused", header_kind_names[kind]);
		assert_refusal(refusal, event_name, reason);
	}
}

static void test_connection_without_requirements(void)
{
	assert_decisions(haproxy_tlv_policy_connection, &default_policy,
			 always, NULL, NULL);
	/* a certificate is required only when authenticating */
	assert_decisions(haproxy_tlv_policy_connection, &require_cert_policy,
			 always, NULL, NULL);
}

/* Every PROXY header without TLS is a relayed client and refused, whatever
   its family */
static void test_connection_require_tls(void)
{
	assert_decisions(haproxy_tlv_policy_connection, &require_tls_policy,
			 tls_or_local, "haproxy_tlv_tls_required",
			 CONNECTION_TLS_REASON);
}

static void test_auth_without_header(void)
{
	assert_refusal(haproxy_tlv_policy_auth(&default_policy, NULL), NULL,
		       "no PROXY header was applied to this client");
	assert_refusal(haproxy_tlv_policy_auth(&require_both_policy, NULL),
		       NULL, "no PROXY header was applied to this client");
}

static void test_auth_without_requirements(void)
{
	assert_decisions(haproxy_tlv_policy_auth, &default_policy, always,
			 NULL, NULL);
}

/* LOCAL included: its connection was let through, its login is not */
static void test_auth_require_tls(void)
{
	assert_decisions(haproxy_tlv_policy_auth, &require_tls_policy,
			 kind_is_tls, "haproxy_tlv_tls_required",
			 AUTH_TLS_REASON);
}

static void test_auth_require_client_cert(void)
{
	assert_decisions(haproxy_tlv_policy_auth, &require_cert_policy,
			 kind_is_verified, "haproxy_tlv_client_cert_required",
			 AUTH_CERT_REASON);
}

/* Without TLS there is no certificate either: the TLS reason is given */
static void test_auth_require_both(void)
{
	struct haproxy_tlv_header header;

	header_init(&header, PLAIN);
	assert_refusal(haproxy_tlv_policy_auth(&require_both_policy, &header),
		       "haproxy_tlv_tls_required", AUTH_TLS_REASON);
	header_init(&header, TLS_CERT_UNVERIFIED);
	assert_refusal(haproxy_tlv_policy_auth(&require_both_policy, &header),
		       "haproxy_tlv_client_cert_required", AUTH_CERT_REASON);
	header_init(&header, TLS_CERT_VERIFIED);
	g_assert_null(haproxy_tlv_policy_auth(&require_both_policy, &header));
}

/* A verified certificate the identity checks refused (a CN that is not
   the certificate's, haproxy_tlv_cert_verify) is no certificate to the
   requirement or to auth's valid-client-cert flag either */
static void test_auth_refused_cert(void)
{
	struct haproxy_tlv_header header;
	char reason[] = "the certificate's CN differs";

	header_init(&header, TLS_CERT_VERIFIED);
	g_assert_null(haproxy_tlv_policy_auth(&require_cert_policy, &header));
	g_assert_true(haproxy_tlv_policy_valid_client_cert(&default_policy,
							   &header));
	header.cert_refused = reason;
	assert_refusal(haproxy_tlv_policy_auth(&require_cert_policy, &header),
		       "haproxy_tlv_client_cert_required", AUTH_CERT_REASON);
	g_assert_false(haproxy_tlv_policy_valid_client_cert(&default_policy,
							    &header));
}

static const char *
cert_username(enum haproxy_tlv_client_cert client_cert, enum header_kind kind)
{
	const struct haproxy_tlv_policy policy = { .client_cert = client_cert };
	static struct haproxy_tlv_header header;

	header_init(&header, kind);
	return haproxy_tlv_policy_cert_username(&policy, &header);
}

static void test_cert_username_verified(void)
{
	for (enum header_kind kind = 0; kind < HEADER_KIND_COUNT; kind++) {
		const char *name =
			cert_username(HAPROXY_TLV_CLIENT_CERT_VERIFIED, kind);

		/* a verified certificate without a CN gives no name */
		if (kind_is_verified(kind) && kind != TLS_CERT_WITHOUT_CN)
			g_assert_cmpstr(name, ==, "jane");
		else
			g_assert_null(name);
	}
}

/* Dovecot 2.3's behaviour: any CN, verified or not */
static void test_cert_username_present(void)
{
	static const enum header_kind with_cn[] = {
		TLS_CERT_VERIFIED, TLS_SESS_CERT_VERIFIED, TLS_CERT_UNVERIFIED,
		TLS_CN_WITHOUT_CERT, LOCAL_TLS_CERT_VERIFIED,
	};

	for (enum header_kind kind = 0; kind < HEADER_KIND_COUNT; kind++) {
		const char *name =
			cert_username(HAPROXY_TLV_CLIENT_CERT_PRESENT, kind);
		bool has_cn = false;

		for (size_t i = 0; i < G_N_ELEMENTS(with_cn); i++)
			has_cn = has_cn || with_cn[i] == kind;
		if (has_cn)
			g_assert_cmpstr(name, ==, "jane");
		else
			g_assert_null(name);
	}
}

static void test_cert_username_ignore(void)
{
	for (enum header_kind kind = 0; kind < HEADER_KIND_COUNT; kind++)
		g_assert_null(cert_username(HAPROXY_TLV_CLIENT_CERT_IGNORE, kind));
}

/* Only PROXY with INET or INET6 carries the client's addresses */
static void test_header_addresses(void)
{
	struct haproxy_tlv_header header;

	for (enum header_kind kind = 0; kind < HEADER_KIND_COUNT; kind++) {
		bool expected = !kind_is_local(kind) &&
			kind != UNSPEC && kind != UNIX;

		header_init(&header, kind);
		if (haproxy_tlv_policy_header_addresses(&header) != expected)
			g_error("%s: addresses %d", header_kind_names[kind],
				!expected);
	}
}

static void test_quiet_until_auth(void)
{
	struct haproxy_tlv_header header;

	for (enum header_kind kind = 0; kind < HEADER_KIND_COUNT; kind++) {
		header_init(&header, kind);
		g_assert_cmpint(haproxy_tlv_policy_quiet_until_auth(&header),
				==, kind_is_local(kind));
	}
}

/* The proxy's TLS counts for the client unless the listener runs TLS of
   its own (ssl = yes: the client counts as TLS already) */
static void test_proxy_tls(void)
{
	struct haproxy_tlv_client_tls plaintext_listener = { .tls = false };
	struct haproxy_tlv_client_tls ssl_listener = {
		.tls = true, .stream = true,
	};
	struct haproxy_tlv_header header;

	for (enum header_kind kind = 0; kind < HEADER_KIND_COUNT; kind++) {
		header_init(&header, kind);
		g_assert_cmpint(haproxy_tlv_policy_proxy_tls(&header,
							     &plaintext_listener),
				==, kind_is_tls(kind));
		g_assert_false(haproxy_tlv_policy_proxy_tls(&header,
							    &ssl_listener));
	}
}

/* What login-common saw of the proxy's connection speaks for the client
   only when the header gives the client's addresses, and Dovecot's TLS
   only when the header does not say the client used plaintext */
static void test_security(void)
{
	struct haproxy_tlv_header header;

	for (enum header_kind kind = 0; kind < HEADER_KIND_COUNT; kind++) {
		for (unsigned int stream = 0; stream < 2; stream++) {
			struct haproxy_tlv_client_tls tls = {
				.tls = stream != 0, .stream = stream != 0,
			};
			struct haproxy_tlv_security security = {
				.trusted = true, .secured = true,
				.ssl_secured = stream != 0,
			};
			bool addresses, plaintext;

			header_init(&header, kind);
			addresses = haproxy_tlv_policy_header_addresses(&header);
			plaintext = header.hdr.have_ssl && !kind_is_tls(kind);
			haproxy_tlv_policy_security(&header, &tls, &security);
			g_assert_cmpint(security.trusted, ==, addresses);
			if (stream != 0 && plaintext) {
				g_assert_cmpint(security.secured, ==, addresses);
				g_assert_false(security.ssl_secured);
			} else if (!addresses) {
				g_assert_cmpint(security.secured, ==, stream);
				g_assert_cmpint(security.ssl_secured, ==, stream);
			} else {
				g_assert_true(security.secured);
				g_assert_cmpint(security.ssl_secured, ==, stream);
			}
		}
	}
}

static const struct haproxy_tlv_policy assume_tls_policy = {
	.client_cert = HAPROXY_TLV_CLIENT_CERT_VERIFIED,
	.assume_tls = true,
};
static const struct haproxy_tlv_policy assume_tls_require_all_policy = {
	.client_cert = HAPROXY_TLV_CLIENT_CERT_PRESENT,
	.assume_tls = true,
	.require_tls = true,
	.require_client_cert = true,
};

/* assume_tls: TLS where the SSL TLV is missing, what the TLV says where
   there is one */
static bool assumed_tls(enum header_kind kind)
{
	return kind != SSL_WITHOUT_TLS;
}

static void test_assume_tls(void)
{
	struct haproxy_tlv_client_tls plaintext_listener = { .tls = false };
	struct haproxy_tlv_client_tls ssl_listener = {
		.tls = true, .stream = true,
	};
	struct haproxy_tlv_header header;

	for (enum header_kind kind = 0; kind < HEADER_KIND_COUNT; kind++) {
		header_init(&header, kind);
		g_assert_cmpint(haproxy_tlv_policy_header_tls(&default_policy,
							      &header),
				==, kind_is_tls(kind));
		g_assert_cmpint(haproxy_tlv_policy_header_tls(
					&assume_tls_policy, &header),
				==, assumed_tls(kind));
		/* the proxy's TLS, on a listener without TLS of its own */
		header.policy = assume_tls_policy;
		g_assert_cmpint(haproxy_tlv_policy_proxy_tls(&header,
							     &plaintext_listener),
				==, assumed_tls(kind));
		g_assert_false(haproxy_tlv_policy_proxy_tls(&header,
							    &ssl_listener));
		/* never an identity: the same as without the setting */
		g_assert_cmpstr(haproxy_tlv_policy_cert_username(
					&assume_tls_policy, &header), ==,
				haproxy_tlv_policy_cert_username(
					&default_policy, &header));
		g_assert_cmpint(haproxy_tlv_policy_valid_client_cert(
					&assume_tls_policy, &header),
				==, kind_is_verified(kind));
	}
	/* require_tls is met by the assumption, require_client_cert is not */
	assert_decisions(haproxy_tlv_policy_connection,
			 &assume_tls_require_all_policy,
			 assumed_tls, "haproxy_tlv_tls_required",
			 CONNECTION_TLS_REASON);
	header_init(&header, PLAIN);
	assert_refusal(haproxy_tlv_policy_auth(&assume_tls_require_all_policy,
					       &header),
		       "haproxy_tlv_client_cert_required", AUTH_CERT_REASON);
	header_init(&header, SSL_WITHOUT_TLS);
	assert_refusal(haproxy_tlv_policy_auth(&assume_tls_require_all_policy,
					       &header),
		       "haproxy_tlv_tls_required", AUTH_TLS_REASON);
	header_init(&header, TLS_CERT_VERIFIED);
	g_assert_null(haproxy_tlv_policy_auth(&assume_tls_require_all_policy,
					      &header));
}

static void test_server_speaks_first(void)
{
	g_assert_true(haproxy_tlv_policy_server_speaks_first("imap"));
	g_assert_true(haproxy_tlv_policy_server_speaks_first("pop3"));
	g_assert_true(haproxy_tlv_policy_server_speaks_first("submission"));
	g_assert_true(haproxy_tlv_policy_server_speaks_first("sieve"));
	g_assert_false(haproxy_tlv_policy_server_speaks_first("lmtp"));
	g_assert_false(haproxy_tlv_policy_server_speaks_first("imaps"));
	g_assert_false(haproxy_tlv_policy_server_speaks_first(""));
	g_assert_false(haproxy_tlv_policy_server_speaks_first(NULL));
}

/* A plaintext client, or one HAProxy re-encrypts, that login-common
   found in login_trusted_networks: secured by that (Dovecot 2.3's rule),
   unless TLS is required of trusted clients too (2.4, ssl = required) */
static void test_security_trusted_needs_tls(void)
{
	static const enum header_kind kinds[] = {
		PLAIN, SSL_WITHOUT_TLS,
	};
	struct haproxy_tlv_header header;

	for (unsigned int i = 0; i < G_N_ELEMENTS(kinds); i++) {
		for (unsigned int stream = 0; stream < 2; stream++) {
			struct haproxy_tlv_client_tls tls = {
				.tls = stream != 0, .stream = stream != 0,
			};
			struct haproxy_tlv_security security = {
				.trusted = true,
			};

			header_init(&header, kinds[i]);
			haproxy_tlv_policy_security(&header, &tls, &security);
			g_assert_true(security.secured);
			security.trusted = true;
			security.trusted_needs_tls = true;
			haproxy_tlv_policy_security(&header, &tls, &security);
			g_assert_true(security.trusted);
			/* only this process's TLS, and only when the client's
			   own was TLS as well */
			g_assert_cmpint(security.secured, ==, stream != 0 &&
					!header.hdr.have_ssl);
		}
	}
}

/* Every combination: only the proxy's TLS, still counted, with no stream
   of this process, is lowered */
static void test_lower_tls(void)
{
	for (unsigned int bits = 0; bits < 8; bits++) {
		struct haproxy_tlv_client_tls tls = {
			.tls = (bits & 1) != 0,
			.from_proxy = (bits & 2) != 0,
			.stream = (bits & 4) != 0,
		};

		g_assert_cmpint(haproxy_tlv_policy_lower_tls(&tls), ==,
				bits == (1 | 2));
	}
}

/* The decisions for headers as HAProxy 2.6 sends them */
static void fixture_header(const char *name, GByteArray **data_r,
			   struct haproxy_tlv_header *header)
{
	memset(header, 0, sizeof(*header));
	*data_r = test_fixture(name);
	test_decode_complete(*data_r, &header->hdr);
	if (header->hdr.ssl_cn.data != NULL) {
		header->ssl_cn = g_strndup((const char *)header->hdr.ssl_cn.data,
					   header->hdr.ssl_cn.size);
	}
}

static void test_fixtures(void)
{
	static const struct {
		const char *fixture;
		bool tls;
		const char *cert_username;
	} cases[] = {
		{ "v1-tcp4", false, NULL },
		{ "v2-tcp6", false, NULL },
		{ "v2-ssl-cn-verified", true, "certuser" },
		{ "v2-ssl-cn-unverified", true, NULL },
		{ "v2-ssl-cn-no-cert", true, NULL },
		{ "v2-all-options", true, "certuser" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct haproxy_tlv_header header;
		GByteArray *data;

		fixture_header(cases[i].fixture, &data, &header);
		g_assert_true(haproxy_tlv_policy_header_addresses(&header));
		g_assert_false(haproxy_tlv_policy_quiet_until_auth(&header));
		g_assert_cmpstr(haproxy_tlv_policy_cert_username(
					&default_policy, &header), ==,
				cases[i].cert_username);
		g_assert_true((haproxy_tlv_policy_connection(
					&require_tls_policy, &header) == NULL) ==
			      cases[i].tls);
		g_assert_true((haproxy_tlv_policy_auth(&require_cert_policy,
						       &header) == NULL) ==
			      (cases[i].cert_username != NULL));
		g_free((char *)header.ssl_cn);
		g_byte_array_unref(data);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy/connection/no-requirements",
			test_connection_without_requirements);
	g_test_add_func("/policy/connection/require-tls",
			test_connection_require_tls);
	g_test_add_func("/policy/auth/no-header", test_auth_without_header);
	g_test_add_func("/policy/auth/no-requirements",
			test_auth_without_requirements);
	g_test_add_func("/policy/auth/require-tls", test_auth_require_tls);
	g_test_add_func("/policy/auth/require-client-cert",
			test_auth_require_client_cert);
	g_test_add_func("/policy/auth/require-both", test_auth_require_both);
	g_test_add_func("/policy/auth/refused-cert", test_auth_refused_cert);
	g_test_add_func("/policy/cert-username/verified",
			test_cert_username_verified);
	g_test_add_func("/policy/cert-username/present",
			test_cert_username_present);
	g_test_add_func("/policy/cert-username/ignore",
			test_cert_username_ignore);
	g_test_add_func("/policy/header-addresses", test_header_addresses);
	g_test_add_func("/policy/quiet-until-auth", test_quiet_until_auth);
	g_test_add_func("/policy/proxy-tls", test_proxy_tls);
	g_test_add_func("/policy/lower-tls", test_lower_tls);
	g_test_add_func("/policy/security", test_security);
	g_test_add_func("/policy/security/trusted-needs-tls",
			test_security_trusted_needs_tls);
	g_test_add_func("/policy/fixtures", test_fixtures);
	g_test_add_func("/policy/assume-tls", test_assume_tls);
	g_test_add_func("/policy/server-speaks-first",
			test_server_speaks_first);
	return g_test_run();
}
