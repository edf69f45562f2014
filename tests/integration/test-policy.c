/* haproxy_tlv_require_client_cert = yes and haproxy_tlv_require_tls = yes
   in a real Dovecot behind a real HAProxy. */

#include <string.h>

#include "test-protocol.h"
#include "test-util.h"

static const char policy_conf[] =
	"haproxy_tlv_require_client_cert = yes\n"
	"haproxy_tlv_require_tls = yes\n";

static void test_external_verified(void)
{
	gsize mark = test_log_mark();
	char *reply = external_through(HAPROXY_IMAP_TLS, PROTO_IMAP, "client");

	g_assert_true(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);
	assert_log(mark, "Login: user=<certuser>, method=EXTERNAL, rip="
		   TEST_CLIENT_IP ",", NULL, NULL);
}

static void test_plain_without_cert(void)
{
	gsize mark = test_log_mark();

	assert_imap_login_refused(HAPROXY_IMAP_TLS, "plainuser");
	assert_log(mark, "imap-login: Info: haproxy-tlv: Authentication "
		   "refused: no verified client certificate was forwarded",
		   NULL, NULL);
	char *since = test_log_since(mark);
	g_assert_null(strstr(since, test_log_needle("Login: user=<plainuser>")));
	g_free(since);
}

static void test_unverified_cert(void)
{
	char *reply = external_failing(HAPROXY_IMAP_TLS_IGNORE_ERRORS,
				       PROTO_IMAP, "selfsigned");

	g_assert_false(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);
}

static void test_pop3_without_cert(void)
{
	char *reply = external_failing(HAPROXY_POP3_TLS, PROTO_POP3, NULL);

	g_assert_false(auth_succeeded(reply, PROTO_POP3));
	g_free(reply);
}

/* The connection is closed for a header without TLS, with its line */
static void assert_closed_without_tls(gsize mark, struct test_client *client)
{
	g_assert_true(test_client_wait_closed(client));
	test_client_free(client);
	assert_log(mark, "Warning: haproxy-tlv: rip=" TEST_PROXY_IP ": PROXY "
		   "header does not report TLS and haproxy_tlv_require_tls = "
		   "yes: connection closed", NULL, NULL);
}

static void test_no_tls_refused(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_haproxy_plaintext(TEST_CLIENT_IP, HAPROXY_IMAP_V1);

	assert_closed_without_tls(mark, client);
}

/* v1 UNKNOWN, as HAProxy sends it for a client of a unix socket frontend,
   stands for a client: without TLS it is refused like TCP4 */
static void test_v1_unknown_refused(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_haproxy_plaintext(TEST_CLIENT_IP, HAPROXY_IMAP_UNIX_V1);

	assert_closed_without_tls(mark, client);
}

/* PROXY with family UNIX (addresses Dovecot cannot use) is a client too */
static void test_unix_family_refused(void)
{
	gsize mark = test_log_mark();
	struct proxy_header hdr;
	struct test_client *client;

	test_v2_init(&hdr, PROXY_HEADER_CMD_PROXY, PROXY_HEADER_FAMILY_UNIX);
	hdr.src.unix_path = test_str_bytes("/run/haproxy/imap.sock");
	client = send_imap_header(&hdr);
	assert_closed_without_tls(mark, client);
}

/* LOCAL without TLS: the greeting a health check expects, but no login */
static void test_local_without_tls(void)
{
	gsize mark = test_log_mark();
	struct proxy_header hdr;
	struct test_client *client;
	char *line;

	test_v2_init(&hdr, PROXY_HEADER_CMD_LOCAL, PROXY_HEADER_FAMILY_UNSPEC);
	client = send_imap_header(&hdr);
	line = read_greeting(client, PROTO_IMAP);
	g_assert_nonnull(line);
	g_free(line);
	/* EXTERNAL is no plaintext mechanism: only the plugin refuses it */
	test_client_send(client, "a AUTHENTICATE EXTERNAL =");
	line = test_client_read_until(client, "a ");
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "a NO"));
	g_free(line);
	test_client_free(client);
	assert_log(mark, "imap-login: Info: haproxy-tlv: Authentication "
		   "refused: the PROXY header does not report TLS "
		   "(haproxy_tlv_require_tls = yes)", NULL, NULL);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/policy/external-verified", test_external_verified);
	g_test_add_func("/policy/plain-without-cert", test_plain_without_cert);
	g_test_add_func("/policy/unverified-cert", test_unverified_cert);
	g_test_add_func("/policy/pop3-without-cert", test_pop3_without_cert);
	g_test_add_func("/policy/no-tls-refused", test_no_tls_refused);
	g_test_add_func("/policy/v1-unknown-refused", test_v1_unknown_refused);
	g_test_add_func("/policy/unix-family-refused",
			test_unix_family_refused);
	/* last: its failed attempt comes from HAProxy's own address */
	g_test_add_func("/policy/local-without-tls", test_local_without_tls);

	test_env_start_with(policy_conf);
	ret = g_test_run();
	test_env_stop();
	return ret;
}
