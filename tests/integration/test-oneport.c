/* One port for proxied and direct clients (haproxy_tlv_direct_networks),
   proxies that terminate TLS without saying so (haproxy_tlv_assume_tls),
   and the timeout hint for proxies that wait for the client's data. */

#include <string.h>

#include "test-protocol.h"
#include "test-util.h"

/* in haproxy_tlv_direct_networks */
#define DIRECT_IP "127.0.0.4"
/* ... and a range of them for attempts expected to fail */
#define DIRECT_FAILING_IP "127.0.2.1"
#define DIRECT_HEADER_V2_IP "127.0.2.2"
/* clients behind HAProxy in the remote block with assume_tls */
#define ASSUMED_TLS_IP "127.0.0.8"
#define ASSUMED_TLS_V2_IP "127.0.0.9"
#define ASSUMED_TLS_FAILING_IP "127.0.0.10"
/* a v1 header's address a direct client makes up */
#define SPOOFED_IP "10.9.9.9"

/* PROXY v2 without the SSL TLV (send-proxy-v2), plaintext client */
#define HAPROXY_IMAP_V2_PLAIN 16

static const char oneport_conf[] =
	"haproxy_tlv_direct_networks = " DIRECT_IP "/32, 127.0.2.0/24\n"
	"remote " ASSUMED_TLS_IP "/29 {\n"
	"  haproxy_tlv_assume_tls = yes\n"
	"}\n";

static const char oneport_haproxy[] =
	"listen imap-v2-plain\n"
	"    bind 127.0.0.1:%H16%\n"
	"    server dovecot 127.0.0.1:%D0% send-proxy-v2\n";

static struct test_client *connect_direct(const char *src_ip,
					  enum test_dovecot_port port,
					  const struct test_client_tls *tls)
{
	struct test_client *client =
		test_client_connect(src_ip, "127.0.0.1",
				    test_dovecot_port(port), tls);

	g_assert_nonnull(client);
	return client;
}

static char *imap_command(struct test_client *client, const char *cmd)
{
	char *line;

	test_client_send(client, cmd);
	line = test_client_read_until(client, "a ");
	g_assert_nonnull(line);
	return line;
}

/* STARTTLS on Dovecot's own TLS, then LOGIN */
static void direct_starttls_login(struct test_client *client)
{
	char *line = imap_command(client, "a STARTTLS");

	g_assert_true(g_str_has_prefix(line, "a OK"));
	g_free(line);
	g_assert_true(test_client_start_tls(client, client_tls(NULL)));
	assert_imap_login(client, "plainuser", "secret");
}

/* A direct client and a proxied one on the same imap port at the same
   time: the direct one is greeted without a header and uses Dovecot's own
   STARTTLS; the proxied one logs in as its forwarded certificate */
static void test_same_port_imap(void)
{
	gsize mark = test_log_mark();
	struct test_client *proxied =
		connect_haproxy(HAPROXY_IMAP_TLS, "client");
	struct test_client *direct =
		connect_direct(DIRECT_IP, DOVECOT_IMAP, NULL);
	char *greeting, *reply;

	greeting = read_greeting(direct, PROTO_IMAP);
	g_assert_nonnull(greeting);
	/* a plaintext client of its own: what any listener offers it */
	g_assert_nonnull(strstr(greeting, "STARTTLS"));
	g_assert_nonnull(strstr(greeting, "LOGINDISABLED"));
	g_free(greeting);
	greeting = read_greeting(proxied, PROTO_IMAP);
	g_assert_nonnull(greeting);
	g_assert_null(strstr(greeting, "STARTTLS"));
	g_free(greeting);

	direct_starttls_login(direct);
	reply = auth_external(proxied, PROTO_IMAP);
	g_assert_true(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);
	test_client_free(direct);
	test_client_free(proxied);

	assert_log(mark, "Login: user=<plainuser>, method=PLAIN, rip="
		   DIRECT_IP ",", "TLS", NULL);
	assert_log(mark, "Login: user=<certuser>, method=EXTERNAL, rip="
		   TEST_CLIENT_IP ",", NULL, NULL);
}

/* The same in pop3-login, where one process serves every client */
static void test_same_port_pop3(void)
{
	gsize mark = test_log_mark();
	struct test_client *direct =
		connect_direct(DIRECT_IP, DOVECOT_POP3, NULL);
	struct test_client *proxied =
		connect_haproxy(HAPROXY_POP3_TLS, "client");
	char *line;

	g_free(read_greeting(direct, PROTO_POP3));
	g_free(read_greeting(proxied, PROTO_POP3));
	test_client_send(direct, "STLS");
	line = test_client_read_line(direct);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "+OK"));
	g_free(line);
	g_assert_true(test_client_start_tls(direct, client_tls(NULL)));
	line = auth_external(proxied, PROTO_POP3);
	g_assert_true(auth_succeeded(line, PROTO_POP3));
	g_free(line);
	test_client_send(direct, "USER plainuser");
	g_free(test_client_read_line(direct));
	test_client_send(direct, "PASS secret");
	line = test_client_read_line(direct);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "+OK"));
	g_free(line);
	test_client_free(direct);
	test_client_free(proxied);

	assert_log(mark, "pop3-login: Info: Login: user=<plainuser>, "
		   "method=PLAIN, rip=" DIRECT_IP ",", "TLS", NULL);
	assert_log(mark, "pop3-login: Info: Login: user=<certuser>, "
		   "method=EXTERNAL, rip=" TEST_CLIENT_IP ",", NULL, NULL);
}

/* On the ssl = yes, haproxy = yes listener a direct client does the TLS
   handshake at once and authenticates with its own certificate, as on a
   listener without haproxy = yes: nothing of the plugin refuses it */
static void test_direct_own_tls(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_direct(DIRECT_IP, DOVECOT_IMAPS, client_tls("client"));
	char *reply;

	g_free(read_greeting(client, PROTO_IMAP));
	reply = auth_external(client, PROTO_IMAP);
	g_assert_true(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);
	test_client_free(client);
	assert_log(mark, "Login: user=<certuser>, method=EXTERNAL, rip="
		   DIRECT_IP ",", "TLS", NULL);
	assert_not_logged(mark, "haproxy-tlv: Authentication refused");
}

/* A direct client that sends a PROXY header anyway: its bytes are client
   data, never a header. The address it claims is not applied. */
static void test_direct_header_is_data(void)
{
	static const char v1[] = "PROXY TCP4 " SPOOFED_IP " 127.0.0.1 "
		"54321 143\r\n";
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_direct(DIRECT_IP, DOVECOT_IMAP, NULL);
	char *line;

	g_free(read_greeting(client, PROTO_IMAP));
	test_client_send_raw(client, v1, strlen(v1));
	/* IMAP reads the line as tag "PROXY", command "TCP4" */
	line = test_client_read_until(client, "PROXY ");
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "PROXY BAD"));
	g_free(line);
	direct_starttls_login(client);
	test_client_free(client);
	assert_log(mark, "Login: user=<plainuser>, method=PLAIN, rip="
		   DIRECT_IP ",", NULL, NULL);
	assert_not_logged(mark, SPOOFED_IP);
}

/* Wait until the session of src_ip, or of the address its header claims,
   is logged; returns everything logged since mark */
static char *wait_session(gsize mark, const char *src_ip, const char *claimed)
{
	char *rip = g_strdup_printf("rip=%s,", src_ip);
	char *claimed_rip = g_strdup_printf("rip=%s,", claimed);

	for (unsigned int i = 0; i < 200 * test_guard_factor(); i++) {
		char *since = test_log_since(mark);

		if (strstr(since, rip) != NULL ||
		    strstr(since, claimed_rip) != NULL) {
			g_free(rip);
			g_free(claimed_rip);
			return since;
		}
		g_free(since);
		g_usleep(50 * 1000);
	}
	g_error("no session line for %s", src_ip);
}

/* ... a v2 header with a verified certificate's CN, sent at once as an
   attacker would: binary data for IMAP, neither the address nor the
   identity it claims */
static void test_direct_v2_header_no_identity(void)
{
	gsize mark = test_log_mark();
	struct proxy_header hdr;
	struct test_client *client;
	GByteArray *header;
	char *since, *reply;

	test_v2_tcp4_init(&hdr, SPOOFED_IP, 54321, "127.0.0.1", 143);
	hdr.have_ssl = true;
	hdr.ssl_client = PROXY_HEADER_CLIENT_SSL |
		PROXY_HEADER_CLIENT_CERT_CONN;
	hdr.ssl_verify = 0;
	hdr.ssl_cn = test_str_bytes("certuser");
	header = test_encode(&hdr);

	client = connect_direct(DIRECT_HEADER_V2_IP, DOVECOT_IMAP, NULL);
	(void)test_client_try_send(client, header->data, header->len);
	g_byte_array_unref(header);
	(void)test_client_try_send(client, "a AUTHENTICATE EXTERNAL =\r\n",
				   27);
	/* whatever IMAP makes of the binary bytes, EXTERNAL has no
	   certificate (or the connection was closed first) */
	reply = test_client_read_until(client, "a ");
	if (reply != NULL && g_str_has_prefix(reply, "a OK"))
		g_error("a direct client logged in with its header's "
			"certificate: %s", reply);
	g_free(reply);
	test_client_free(client);
	since = wait_session(mark, DIRECT_HEADER_V2_IP, SPOOFED_IP);
	g_free(since);
	assert_not_logged(mark, "user=<certuser>");
	assert_not_logged(mark, SPOOFED_IP);
	assert_log(mark, "imap-login: ", "rip=" DIRECT_HEADER_V2_IP ",", NULL);
}

/* A trusted proxy's connection still has to start with a header */
static void test_trusted_needs_header(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_direct(TEST_PROXY_IP, DOVECOT_IMAP, NULL);

	test_client_send(client, "a LOGIN plainuser secret");
	g_assert_true(test_client_wait_closed(client));
	test_client_free(client);
	assert_log(mark, "haproxy-tlv: rip=" TEST_PROXY_IP ": Invalid PROXY "
		   "header, connection closed", NULL, NULL);
}

/* Neither trusted nor direct: refused before a byte is read */
static void test_untrusted_refused(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_direct(TEST_UNTRUSTED_IP, DOVECOT_IMAP, NULL);

	g_assert_true(test_client_wait_closed(client));
	test_client_free(client);
	assert_log(mark, "Warning: haproxy-tlv: rip=" TEST_UNTRUSTED_IP
		   ": Connection from " TEST_UNTRUSTED_IP " closed: not in "
		   "haproxy_trusted_networks", NULL, NULL);
}

/* A header without the SSL TLV from a client in the assume_tls block:
   TLS the proxy terminated (no STARTTLS, LOGIN allowed, TLS logged) */
static void assume_tls_login(const char *src_ip, enum test_haproxy_port port)
{
	gsize mark = test_log_mark();
	struct test_client *client = connect_haproxy_plaintext(src_ip, port);
	char *greeting = read_greeting(client, PROTO_IMAP);
	char *rip = g_strdup_printf("rip=%s,", src_ip);

	g_assert_nonnull(greeting);
	g_assert_null(strstr(greeting, "STARTTLS"));
	g_assert_null(strstr(greeting, "LOGINDISABLED"));
	g_free(greeting);
	assert_imap_login(client, "plainuser", "secret");
	test_client_free(client);
	assert_log(mark, "Login: user=<plainuser>, method=PLAIN", rip, "TLS");
	g_free(rip);
}

/* ... and outside the block, the same header is plaintext */
static void assert_plaintext(enum test_haproxy_port port)
{
	struct test_client *client =
		connect_haproxy_plaintext(TEST_CLIENT_IP, port);
	char *greeting = read_greeting(client, PROTO_IMAP);

	g_assert_nonnull(greeting);
	g_assert_nonnull(strstr(greeting, "LOGINDISABLED"));
	g_free(greeting);
	test_client_free(client);
}

static void test_assume_tls_v1(void)
{
	assume_tls_login(ASSUMED_TLS_IP, HAPROXY_IMAP_V1);
	assert_plaintext(HAPROXY_IMAP_V1);
}

static void test_assume_tls_v2(void)
{
	assume_tls_login(ASSUMED_TLS_V2_IP, HAPROXY_IMAP_V2_PLAIN);
	assert_plaintext(HAPROXY_IMAP_V2_PLAIN);
}

/* Assumed TLS is never an identity: EXTERNAL has no certificate */
static void test_assume_tls_no_identity(void)
{
	static const enum test_haproxy_port ports[] = {
		HAPROXY_IMAP_V2_PLAIN, HAPROXY_IMAP_V1,
	};
	gsize mark = test_log_mark();

	for (size_t i = 0; i < G_N_ELEMENTS(ports); i++) {
		struct test_client *client =
			connect_haproxy_plaintext(ASSUMED_TLS_FAILING_IP,
						  ports[i]);
		char *reply;

		g_free(read_greeting(client, PROTO_IMAP));
		reply = auth_external(client, PROTO_IMAP);
		g_assert_nonnull(reply);
		g_assert_false(auth_succeeded(reply, PROTO_IMAP));
		g_free(reply);
		test_client_free(client);
	}
	if (test_log_wait_count(mark, 2, "imap-login: ",
				"rip=" ASSUMED_TLS_FAILING_IP ",", NULL) < 2)
		g_error("no session lines for " ASSUMED_TLS_FAILING_IP);
	assert_not_logged(mark, "Login: user=");
}

/* One line per timeout; with nothing received on a protocol that speaks
   first, it says the proxy may be waiting for the client */
static void test_timeout_hint(void)
{
	gsize mark = test_log_mark();
	struct test_client *silent =
		connect_direct(TEST_PROXY_IP, DOVECOT_IMAP, NULL);
	struct test_client *partial =
		connect_direct(TEST_PROXY_IP, DOVECOT_IMAP, NULL);
	char *line;

	test_client_send_raw(partial, "PROXY ", 6);
	g_assert_true(test_client_wait_closed(silent));
	g_assert_true(test_client_wait_closed(partial));
	test_client_free(silent);
	test_client_free(partial);

	line = test_log_wait(mark, "Timed out after 3 secs waiting for the "
			     "PROXY header (0 bytes received): connection "
			     "closed (imap speaks first: the proxy may be "
			     "waiting for the client's data before it sends "
			     "the header, e.g. AWS NLB", NULL);
	g_assert_nonnull(line);
	g_free(line);
	line = test_log_wait(mark, "Timed out after 3 secs waiting for the "
			     "PROXY header (6 bytes received): connection "
			     "closed", NULL);
	g_assert_nonnull(line);
	g_assert_null(strstr(line, "speaks first"));
	g_free(line);
	g_assert_cmpuint(test_log_wait_count(mark, 2, "Timed out after",
					     NULL), ==, 2);
	assert_not_logged(mark, "may be waiting for the client's data\n");
}

/* doveadm haproxy check: the role of an address for each protocol */
static void assert_check(const char *address, int exit_code,
			 const char *role)
{
	char *args = g_strdup_printf("haproxy check %s", address);
	char *expected = g_strdup_printf("role=%s", role);
	char *out, *err;
	int ret = test_env_doveadm(args, NULL, &out, &err);

	if (ret != exit_code)
		g_error("doveadm %s: exit %d, expected %d:\n%s%s", args, ret,
			exit_code, out, err);
	for (const char *p = "imap\0pop3\0submission\0sieve\0"; *p != '\0';
	     p += strlen(p) + 1) {
		char *row = g_strdup_printf("protocol=%s haproxy_trusted=", p);
		if (strstr(out, row) == NULL)
			g_error("no row for %s:\n%s", p, out);
		g_free(row);
	}
	if (strstr(out, expected) == NULL)
		g_error("doveadm %s: no %s:\n%s", args, expected, out);
	g_free(out);
	g_free(err);
	g_free(expected);
	g_free(args);
}

static void test_doveadm_check(void)
{
	assert_check(TEST_PROXY_IP, 0, "trusted proxy");
	assert_check(DIRECT_IP, 0, "direct client");
	assert_check(DIRECT_FAILING_IP, 0, "direct client");
	assert_check(TEST_UNTRUSTED_IP, 68, "refused");
}

static const char *const overlap_cases[][2] = {
	/* identical */
	{ "haproxy_tlv_direct_networks = 127.0.0.1\n", "identical" },
	/* containing the proxy's /32 */
	{ "haproxy_tlv_direct_networks = 10.0.0.0/8, 127.0.0.0/8\n",
	  "containing" },
	/* contained in the trusted range */
	{ "haproxy_trusted_networks = 127.0.0.0/24\n"
	  "haproxy_tlv_direct_networks = 127.0.0.4\n", "contained" },
};

/* A network in both lists stops start-up, naming both settings */
static void test_overlap_refused(gconstpointer data)
{
	const char *const *c = data;
	char *output;

	if (test_env_try_start(c[0], &output))
		g_error("%s overlap accepted", c[1]);
	if (strstr(output, "haproxy_tlv_direct_networks") == NULL ||
	    strstr(output, "haproxy_trusted_networks") == NULL)
		g_error("start-up error does not name both settings:\n%s",
			output);
	g_free(output);
}

/* An invalid network stops start-up, naming the setting */
static const char *const invalid_network[] = {
	"haproxy_tlv_direct_networks = 10.0.0.0/99\n",
	"haproxy_tlv_direct_networks: Invalid network '10.0.0.0/99'"
};

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/oneport/same-port-imap", test_same_port_imap);
	g_test_add_func("/oneport/same-port-pop3", test_same_port_pop3);
	g_test_add_func("/oneport/direct-own-tls", test_direct_own_tls);
	g_test_add_func("/oneport/direct-header-is-data",
			test_direct_header_is_data);
	g_test_add_func("/oneport/direct-v2-header-no-identity",
			test_direct_v2_header_no_identity);
	g_test_add_func("/oneport/trusted-needs-header",
			test_trusted_needs_header);
	g_test_add_func("/oneport/untrusted-refused", test_untrusted_refused);
	g_test_add_func("/oneport/assume-tls-v1", test_assume_tls_v1);
	g_test_add_func("/oneport/assume-tls-v2", test_assume_tls_v2);
	g_test_add_func("/oneport/assume-tls-no-identity",
			test_assume_tls_no_identity);
	g_test_add_func("/oneport/timeout-hint", test_timeout_hint);
	g_test_add_func("/oneport/doveadm-check", test_doveadm_check);
	for (size_t i = 0; i < G_N_ELEMENTS(overlap_cases); i++) {
		char *path = g_strdup_printf("/oneport/overlap-refused/%s",
					     overlap_cases[i][1]);
		g_test_add_data_func(path, overlap_cases[i],
				     test_overlap_refused);
		g_free(path);
	}
	g_test_add_data_func("/oneport/invalid-network-refused",
			     invalid_network, test_env_bad_value);

	test_env_start_full(oneport_conf, oneport_haproxy);
	ret = g_test_run();
	test_env_stop();
	return ret;
}
