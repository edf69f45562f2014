/* Identity and TLS state as an attacker would probe them: clients HAProxy
   relays with a LOCAL header (unix socket frontends), the proxy's own
   certificate on a re-encrypting listener, forward fields a client sends
   itself, STARTTLS on top of HAProxy's TLS, AUTHORITY against HAProxy's
   own SNI, and the log line of a client that leaves during SASL. Each test
   fails when the guard it names is removed. */

#include <string.h>

#include "test-protocol.h"
#include "test-util.h"

/* The test CA has a CRL (env.sh), so the proxy's certificate is valid to
   Dovecot: a login as the proxy would show if a guard failed */
#define IDENTITY_CONF_COMMON \
	/* HAProxy's own address trusted, as for webmail on the same host: \
	   clients HAProxy relays without addresses must not inherit it */ \
	"login_trusted_networks = 127.0.0.1 127.0.0.4\n" \
	/* every login to pop3 fails after authentication, in core */ \
	"service pop3 {\n" \
	"  executable = /bin/false\n" \
	"}\n"
/* users listed for a TLS version may not log in over it, users listed in
   deny-name-<local_name> not there */
static const char identity_conf_23[] = IDENTITY_CONF_COMMON
	"local_name mail.example.test {\n"
	"  login_log_format_elements = user=<%u> method=%m rip=%r lip=%l "
	"mpid=%e %c local_name=%{local_name} session=<%{session}>\n"
	"}\n"
	TEST_DENY_TLS_VERSION_PASSDB_23
	"passdb {\n"
	"  driver = passwd-file\n"
	"  args = %DIR%/deny-name-%{local_name}\n"
	"  deny = yes\n"
	"}\n";
static const char identity_conf_24[] = IDENTITY_CONF_COMMON
	/* channel binding, which 2.4 offers over TLS of its own */
	"auth_mechanisms = plain external scram-sha-256 scram-sha-256-plus\n"
	"local_name mail.example.test {\n"
	"  login_log_format_elements = user=<%{user}> method=%{mechanism} "
	"rip=%{remote_ip} lip=%{local_ip} mpid=%{mail_pid} %{secured} "
	"local_name=%{local_name} session=<%{session}>\n"
	"}\n"
	TEST_DENY_TLS_VERSION_PASSDB_24
	"passdb deny-local-name {\n"
	"  driver = passwd-file\n"
	"  passwd_file_path = %DIR%/deny-name-%{local_name}\n"
	"  deny = yes\n"
	"}\n";

#define PROXY_CERT_USER "haproxy-backend"

/* EXTERNAL through HAProxy with the CA-signed client certificate */
static void external_with_client_cert(enum test_haproxy_port port)
{
	assert_external_ok(external_through(port, PROTO_IMAP, "client"),
		       PROTO_IMAP);
}

/* HAProxy terminated TLS for a client of its unix socket frontend and sent
   LOCAL with the SSL TLV: TLS for Dovecot, and a login is logged */
static void test_local_tls_plain_login(void)
{
	gsize mark = test_log_mark();
	struct test_client *client = connect_haproxy(HAPROXY_IMAP_UNIX_TLS,
						     NULL);
	char *line = read_greeting(client, PROTO_IMAP);

	g_assert_nonnull(line);
	if (strstr(line, "STARTTLS") != NULL)
		g_error("STARTTLS offered after HAProxy's TLS: %s", line);
	g_free(line);
	assert_imap_login(client, "plainuser", "secret");
	test_client_free(client);
	assert_log(mark, "imap-login: Info: Login: user=<plainuser>, "
		   "method=PLAIN, rip=" TEST_PROXY_IP ",", ", TLS,", NULL);
}

static void test_local_tls_external_verified(void)
{
	gsize mark = test_log_mark();

	external_with_client_cert(HAPROXY_IMAP_UNIX_TLS);
	assert_log(mark, "Login: user=<certuser>, method=EXTERNAL", NULL, NULL);
}

/* The LOCAL header's SSL TLV has no certificate; the TLS stream Dovecot
   has is HAProxy's, with HAProxy's own client certificate */
static void test_local_mtls_external_no_cert(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_haproxy(HAPROXY_IMAPS_UNIX_MTLS, NULL);
	char *reply;

	g_free(read_greeting(client, PROTO_IMAP));
	reply = auth_external(client, PROTO_IMAP);
	g_assert_nonnull(reply);
	if (auth_succeeded(reply, PROTO_IMAP))
		g_error("EXTERNAL without a client certificate: %s", reply);
	g_free(reply);
	imap_logout(client);
	test_client_free(client);
	g_free(wait_disconnected(mark, "imap-login", TEST_PROXY_IP));
	assert_not_logged(mark, "user=<" PROXY_CERT_USER ">");
}

static void test_local_mtls_external_verified(void)
{
	gsize mark = test_log_mark();

	external_with_client_cert(HAPROXY_IMAPS_UNIX_MTLS);
	assert_log(mark, "Login: user=<certuser>, method=EXTERNAL", ", TLS,",
		   NULL);
	assert_not_logged(mark, "user=<" PROXY_CERT_USER ">");
}

/* local_name blocks and auth follow the name the client asked HAProxy
   for, not the SNI HAProxy itself sends to the ssl = yes listener */
static void test_authority_survives_proxy_sni(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_haproxy_sni(HAPROXY_IMAPS_REENCRYPT_AUTHORITY, "client",
				    "mail.example.test");

	g_free(read_greeting(client, PROTO_IMAP));
	assert_external_ok(auth_external(client, PROTO_IMAP), PROTO_IMAP);
	test_client_free(client);
	assert_log(mark, "Login: user=<certuser>, method=EXTERNAL",
		   "local_name=mail.example.test", NULL);
}

/* A client in login_trusted_networks may send forward fields, but none
   named like the plugin's: the deny passdb on forward_haproxy_tls_version
   still sees the TLS version HAProxy reported */
static void test_client_cannot_override_fields(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_haproxy_from("127.0.0.4", HAPROXY_IMAP_TLS, NULL);
	char *line;

	g_free(read_greeting(client, PROTO_IMAP));
	test_client_send(client, "i ID (\"x-forward-haproxy_tls_version\" \"\" "
			 "\"X-FORWARD-HAPROXY_TLS_VERSION\" \"\")");
	g_free(test_client_read_until(client, "i "));
	line = imap_login(client, "denieduser", "secret");
	if (!g_str_has_prefix(line, "a NO"))
		g_error("client-sent field overrode the plugin's: %s", line);
	g_free(line);
	test_client_free(client);
	assert_log(mark, "imap-login: Warning: haproxy-tlv: Ignored forward "
		   "fields named haproxy_* sent by the client", NULL, NULL);
	assert_log(mark, "(user disabled): user=<denieduser>", NULL, NULL);
}

/* submission-login must refuse STARTTLS as the other protocols do: a TLS
   session nested in HAProxy's would put the login process in the data
   path */
static void test_submission_starttls_refused(void)
{
	struct test_client *client =
		connect_haproxy(HAPROXY_SUBMISSION_TLS, NULL);
	char *line;

	g_free(read_greeting(client, PROTO_SUBMISSION));
	test_client_send(client, "EHLO client.example.test");
	line = test_client_read_until(client, "250 ");
	g_assert_nonnull(line);
	g_free(line);
	test_client_send(client, "STARTTLS");
	line = test_client_read_line(client);
	g_assert_nonnull(line);
	if (!g_str_has_prefix(line, "502 "))
		g_error("STARTTLS after HAProxy's TLS: %s", line);
	g_free(line);
	test_client_free(client);
}

/* A client that leaves in the middle of SASL is logged with TLS */
static void test_disconnect_during_sasl(void)
{
	gsize mark = test_log_mark();
	const char *ip = failing_client_ip();
	struct test_client *client =
		connect_haproxy_from(ip, HAPROXY_IMAP_TLS, NULL);
	char *line;

	g_free(read_greeting(client, PROTO_IMAP));
	test_client_send(client, "a AUTHENTICATE PLAIN");
	line = test_client_read_until(client, "+");
	g_assert_nonnull(line);
	g_free(line);
	test_client_free(client);
	line = wait_disconnected(mark, "imap-login", ip);
	if (strstr(line, ", TLS,") == NULL)
		g_error("HAProxy's TLS not in the disconnect line: %s", line);
	g_free(line);
}

static void assert_plaintext_refused(struct test_client *client)
{
	char *line = read_greeting(client, PROTO_IMAP);

	g_assert_nonnull(line);
	if (strstr(line, "LOGINDISABLED") == NULL)
		g_error("a plaintext client counts as secured: %s", line);
	g_free(line);
	line = imap_login(client, "plainuser", "secret");
	if (!g_str_has_prefix(line, "a NO"))
		g_error("plaintext LOGIN accepted: %s", line);
	g_free(line);
}

/* What HAProxy sends for a plaintext client of a unix socket frontend
   with send-proxy-v2-ssl: LOCAL, SSL TLV without the SSL flag. Dovecot
   and HAProxy share the loopback, which core alone calls secured. */
static void test_local_plaintext_not_secured(void)
{
	struct proxy_header hdr;
	struct test_client *client;

	test_v2_init(&hdr, PROXY_HEADER_CMD_LOCAL, PROXY_HEADER_FAMILY_UNSPEC);
	hdr.have_ssl = TRUE;
	client = send_imap_header(&hdr);
	assert_plaintext_refused(client);
	test_client_free(client);
}

static void test_unknown_plaintext_not_secured(void)
{
	struct test_client *client = connect_haproxy_plaintext(TEST_CLIENT_IP,
					  HAPROXY_IMAP_UNIX_V1);

	assert_plaintext_refused(client);
	test_client_free(client);
}

/* HAProxy's address is in login_trusted_networks; a client it relays
   without addresses is not trusted with it: no x-originating-ip */
static void test_unknown_not_trusted(void)
{
	gsize mark = test_log_mark();
	struct test_client *client = connect_haproxy_plaintext(TEST_CLIENT_IP,
					  HAPROXY_IMAP_UNIX_V1);
	char *line;

	g_free(read_greeting(client, PROTO_IMAP));
	test_client_send(client, "i ID (\"x-originating-ip\" \"198.51.100.9\")");
	g_free(test_client_read_until(client, "i "));
	imap_logout(client);
	test_client_free(client);
	line = test_log_wait(mark, "imap-login", "Disconnected",
			     "Aborted login", NULL);
	g_assert_nonnull(line);
	if (strstr(line, "rip=" TEST_PROXY_IP ",") == NULL)
		g_error("the client set its own address: %s", line);
	g_free(line);
}

/* HAProxy re-encrypts a plaintext client: Dovecot's TLS is the proxy's */
static void test_reencrypted_plaintext_not_secured(void)
{
	struct test_client *client = connect_haproxy_plaintext(
		failing_client_ip(), HAPROXY_IMAPS_REENCRYPT_PLAINTEXT_CLIENT);

	assert_plaintext_refused(client);
	test_client_free(client);
}

/* A LOCAL connection that sends anything is a client: its session is
   logged although it never authenticates */
static void test_local_logged_after_input(void)
{
	gsize mark = test_log_mark();
	struct proxy_header hdr;
	struct test_client *client;

	test_v2_init(&hdr, PROXY_HEADER_CMD_LOCAL, PROXY_HEADER_FAMILY_UNSPEC);
	client = send_imap_header(&hdr);
	g_free(read_greeting(client, PROTO_IMAP));
	imap_logout(client);
	test_client_free(client);
	g_free(wait_disconnected(mark, "imap-login", TEST_PROXY_IP));
}

/* The post-login process cannot start (pop3 is /bin/false here): core
   logs the disconnect without an auth result, still with TLS */
static void test_internal_failure_logged_with_tls(void)
{
	gsize mark = test_log_mark();
	const char *ip = failing_client_ip();
	struct test_client *client =
		connect_haproxy_from(ip, HAPROXY_POP3_TLS, NULL);
	char *rip = g_strdup_printf("rip=%s,", ip);
	char *line;

	g_free(read_greeting(client, PROTO_POP3));
	test_client_send(client, "USER plainuser");
	g_free(test_client_read_line(client));
	test_client_send(client, "PASS secret");
	g_free(test_client_read_line(client));
	test_client_free(client);
	line = test_log_wait(mark, "pop3-login", "Internal login failure",
			     rip, NULL);
	if (line == NULL)
		g_error("no Internal login failure line for %s", rip);
	if (strstr(line, ", TLS") == NULL)
		g_error("HAProxy's TLS not in the line: %s", line);
	g_free(line);
	g_free(rip);
}

/* Re-encrypting to an ssl = yes listener, the TLS channel Dovecot has is
   HAProxy's: binding a SCRAM exchange to it would bind to the proxy. Core
   2.4 offers SCRAM-*-PLUS whenever it has a TLS stream. */
static void test_channel_binding_refused(void)
{
	struct test_client *client;
	char *line;

	if (!test_env_dovecot_24()) {
		g_test_skip("Dovecot 2.3 has no channel-binding mechanisms");
		return;
	}
	client = connect_haproxy(HAPROXY_IMAPS_REENCRYPT, NULL);
	line = read_greeting(client, PROTO_IMAP);
	g_assert_nonnull(line);
	/* the mechanism list is what auth offers: SCRAM without binding is
	   there, so its -PLUS form would be too */
	g_assert_nonnull(strstr(line, " AUTH=SCRAM-SHA-256"));
	g_assert_null(strstr(line, "AUTH=SCRAM-SHA-256-PLUS"));
	g_free(line);

	test_client_send(client, "a AUTHENTICATE SCRAM-SHA-256-PLUS");
	line = test_client_read_until(client, "a ");
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "a NO"));
	g_free(line);
	test_client_free(client);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/local/tls/plain-login", test_local_tls_plain_login);
	g_test_add_func("/local/tls/external-verified",
			test_local_tls_external_verified);
	g_test_add_func("/local/mtls/external-verified",
			test_local_mtls_external_verified);
	g_test_add_func("/authority/survives-proxy-sni",
			test_authority_survives_proxy_sni);
	g_test_add_func("/fields/client-cannot-override",
			test_client_cannot_override_fields);
	g_test_add_func("/submission/starttls-refused",
			test_submission_starttls_refused);
	g_test_add_func("/log/disconnect-during-sasl",
			test_disconnect_during_sasl);
	g_test_add_func("/local/logged-after-input",
			test_local_logged_after_input);
	g_test_add_func("/local/unknown-not-trusted", test_unknown_not_trusted);
	g_test_add_func("/reencrypt/plaintext-client-not-secured",
			test_reencrypted_plaintext_not_secured);
	g_test_add_func("/pop3/internal-failure-logged-with-tls",
			test_internal_failure_logged_with_tls);
	/* last: their failed attempts come from HAProxy's own address */
	g_test_add_func("/local/plaintext-not-secured",
			test_local_plaintext_not_secured);
	g_test_add_func("/local/unknown-plaintext-not-secured",
			test_unknown_plaintext_not_secured);
	g_test_add_func("/local/mtls/external-no-cert",
			test_local_mtls_external_no_cert);

	g_test_add_func("/reencrypt/channel-binding-refused",
			test_channel_binding_refused);
	test_env_start_with(TEST_CONF(identity_conf_23, identity_conf_24));
	test_env_write_file("deny-name-", "");
	test_env_write_file("deny-name-mail.example.test", "");
	/* were HAProxy's SNI the local_name, certuser could not log in */
	test_env_write_file("deny-name-localhost", "certuser\n");
	ret = g_test_run();
	test_env_stop();
	return ret;
}
