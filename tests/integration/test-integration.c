/* The login plugin in a real Dovecot behind a real HAProxy: what a user
   and an administrator observe (protocol replies and log lines). */

#include <string.h>

#include "test-client.h"
#include "test-env.h"
#include "test-protocol.h"
#include "test-util.h"

static void test_imap_plain_login(void)
{
	gsize mark = test_log_mark();
	struct test_client *client = connect_haproxy(HAPROXY_IMAP_TLS, NULL);
	char *line = read_greeting(client, PROTO_IMAP);

	/* HAProxy's TLS counts as TLS: no STARTTLS, no LOGINDISABLED
	   although disable_plaintext_auth = yes */
	g_assert_nonnull(line);
	g_assert_null(strstr(line, "STARTTLS"));
	g_assert_null(strstr(line, "LOGINDISABLED"));
	g_free(line);
	assert_imap_login(client, "plainuser", "secret");
	test_client_free(client);

	assert_log(mark, "imap-login: Info: Login: user=<plainuser>, "
		   "method=PLAIN, rip=" TEST_CLIENT_IP ",", ", TLS,", NULL);
}

static void test_imap_external_verified(void)
{
	gsize mark = test_log_mark();
	char *reply = external_through(HAPROXY_IMAP_TLS, PROTO_IMAP, "client");

	g_assert_true(auth_succeeded(reply, PROTO_IMAP));
	g_free(reply);
	assert_log(mark, "Login: user=<certuser>, method=EXTERNAL, rip="
		   TEST_CLIENT_IP ",", ", TLS,", NULL);
}

static void test_imap_external_no_cert(void)
{
	char *reply = external_failing(HAPROXY_IMAP_TLS, PROTO_IMAP, NULL);

	g_assert_nonnull(reply);
	g_assert_true(g_str_has_prefix(reply, "a NO"));
	g_free(reply);
}

static void test_imap_external_unverified(void)
{
	gsize mark = test_log_mark();
	/* a self-signed certificate with the same CN, let through by
	   HAProxy's crt-ignore-err all: verify != 0 in the header */
	char *reply = external_failing(HAPROXY_IMAP_TLS_IGNORE_ERRORS,
				       PROTO_IMAP, "selfsigned");

	g_assert_nonnull(reply);
	g_assert_true(g_str_has_prefix(reply, "a NO"));
	g_free(reply);
	assert_log(mark, "imap-login: Info: Disconnected", "auth failed",
		   NULL);
	char *since = test_log_since(mark);
	g_assert_null(strstr(since, test_log_needle("Login: user=<certuser>")));
	g_free(since);
}

static void test_external_protocol(gconstpointer data)
{
	enum protocol proto = GPOINTER_TO_INT(data);
	static const enum test_haproxy_port ports[] = {
		[PROTO_IMAP] = HAPROXY_IMAP_TLS,
		[PROTO_POP3] = HAPROXY_POP3_TLS,
		[PROTO_SUBMISSION] = HAPROXY_SUBMISSION_TLS,
		[PROTO_SIEVE] = HAPROXY_SIEVE_TLS,
	};
	static const char *const services[] = {
		[PROTO_IMAP] = "imap-login",
		[PROTO_POP3] = "pop3-login",
		[PROTO_SUBMISSION] = "submission-login",
		[PROTO_SIEVE] = "managesieve-login",
	};
	gsize mark = test_log_mark();
	char *reply;

	reply = external_through(ports[proto], proto, "client");
	assert_external_ok(reply, proto);
	assert_log(mark, services[proto], "Login: user=<certuser>, "
		   "method=EXTERNAL, rip=" TEST_CLIENT_IP ",", NULL);

	/* and without a verified certificate it fails */
	reply = external_failing(ports[proto], proto, NULL);
	g_assert_false(auth_succeeded(reply, proto));
	g_free(reply);
}

/* built in main() */
static GByteArray *v2_header_from_192_0_2_10;

static void test_untrusted_peer(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		test_client_connect(TEST_UNTRUSTED_IP, "127.0.0.1",
				    test_dovecot_port(DOVECOT_IMAP), NULL);

	g_assert_nonnull(client);
	test_client_send_raw(client, v2_header_from_192_0_2_10->data,
			     v2_header_from_192_0_2_10->len);
	/* closed without a greeting */
	g_assert_true(test_client_wait_closed(client));
	test_client_free(client);
	assert_log(mark, "imap-login: Warning: haproxy-tlv: ",
		   "Connection from " TEST_UNTRUSTED_IP " closed: "
		   "not in haproxy_trusted_networks", NULL);
	char *since = test_log_since(mark);
	g_assert_null(strstr(since, "rip=192.0.2.10"));
	g_free(since);
}

static void test_invalid_header(void)
{
	gsize mark = test_log_mark();
	struct test_client *client = connect_dovecot_as_proxy(DOVECOT_IMAP);
	GByteArray *header =
		test_v2_tcp4_header("192.0.2.10", 54321, "127.0.0.1", 143);

	header->data[12] = 0x22;	/* command 2 does not exist */
	test_client_send_raw(client, header->data, header->len);
	g_byte_array_unref(header);
	g_assert_true(test_client_wait_closed(client));
	test_client_free(client);
	assert_log(mark, "imap-login: Error: haproxy-tlv: rip=" TEST_PROXY_IP
		   ": Invalid PROXY header, connection closed: "
		   "v2 header has an unknown command", NULL, NULL);
}

static void test_v1_header(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		connect_haproxy_plaintext(TEST_CLIENT_IP, HAPROXY_IMAP_V1);
	char *line;

	line = read_greeting(client, PROTO_IMAP);
	g_assert_nonnull(line);
	/* plaintext from the client to HAProxy: STARTTLS offered and
	   plaintext authentication disabled, as for a direct client */
	g_assert_nonnull(strstr(line, "STARTTLS"));
	g_assert_nonnull(strstr(line, "LOGINDISABLED"));
	g_free(line);
	test_client_send(client, "a LOGOUT");
	g_free(test_client_read_until(client, "a OK"));
	test_client_free(client);
	assert_log(mark, "imap-login: Info: ", "rip=" TEST_CLIENT_IP ",",
		   NULL);
}

static void test_ipv6_client(void)
{
	gsize mark = test_log_mark();
	struct test_client *client =
		test_client_connect("::1", "::1",
				    test_haproxy_port(HAPROXY_IMAP_TLS),
				    client_tls("client"));
	char *line;

	g_assert_nonnull(client);
	g_free(read_greeting(client, PROTO_IMAP));
	line = auth_external(client, PROTO_IMAP);
	g_assert_true(auth_succeeded(line, PROTO_IMAP));
	g_free(line);
	test_client_free(client);
	assert_log(mark, "Login: user=<certuser>, method=EXTERNAL, rip=::1,",
		   NULL, NULL);
}

/* A command on HAProxy's admin socket; returns its output */
static char *haproxy_cli(const char *command)
{
	char *sock = test_env_path("haproxy.sock");
	char *argv[] = { "python3", "-c",
		"import socket,sys\n"
		"s=socket.socket(socket.AF_UNIX)\n"
		"s.connect(sys.argv[1])\n"
		"s.sendall(sys.argv[2].encode()+b'\\n')\n"
		"d=b''\n"
		"while True:\n"
		"    c=s.recv(65536)\n"
		"    if not c: break\n"
		"    d+=c\n"
		"sys.stdout.write(d.decode())\n", sock, (char *)command, NULL };
	char *out = NULL;

	g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH,
				   NULL, NULL, &out, NULL, NULL, NULL));
	g_free(sock);
	return out;
}

static char *haproxy_server_status(const char *proxy)
{
	char *out = haproxy_cli("show stat");
	char *status = NULL;

	char **lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char **f = g_strsplit(*l, ",", -1);
		/* field 17 of "show stat" is the status */
		if (g_strv_length(f) > 17 && strcmp(f[0], proxy) == 0 &&
		    strcmp(f[1], "dovecot") == 0)
			status = g_strdup(f[17]);
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(out);
	return status;
}

/* Mark the proxy's server down and wait until its health checks bring it
   up again: at least one check ended after this call began (it may have
   connected before; HAProxy runs one check of a server at a time, so the
   next one connects after that) */
static void wait_health_check_passed(const char *proxy)
{
	char *cmd = g_strdup_printf("set server %s/dovecot health down",
				    proxy);
	char *status = NULL;

	g_free(haproxy_cli(cmd));
	g_free(cmd);
	/* checks every 300 ms; a generous guard for a busy machine */
	for (unsigned int i = 0; i < 200 * test_guard_factor(); i++) {
		g_free(status);
		status = haproxy_server_status(proxy);
		if (status != NULL && strcmp(status, "UP") == 0)
			break;
		g_usleep(100 * 1000);
	}
	g_assert_cmpstr(status, ==, "UP");
	g_free(status);
}

/* HAProxy's health checks, configured as Dovecot's documentation does it
   (imap-checked in env.sh) and for pop3-login (below), send a LOCAL
   header and get their greeting; they leave nothing in Dovecot's log.
   That absence is asserted for pop3-login, which serves every client in
   one process and logs in order: once a later client's line is in, so is
   anything the checks before it logged. imap-login runs each connection
   in a process of its own (service_count = 1), whose lines no later line
   proves to be in. */
static const char health_check_haproxy_cfg[] =
	"backend pop3-checked\n"
	"    option tcp-check\n"
	"    tcp-check expect string \"+OK\"\n"
	"    server dovecot 127.0.0.1:%D1% send-proxy-v2 check inter 300ms\n";

static void test_health_check(void)
{
	gsize mark = test_log_mark(), end;

	wait_health_check_passed("imap-checked");
	/* twice: the second check to pass connected after mark */
	wait_health_check_passed("pop3-checked");
	wait_health_check_passed("pop3-checked");
	end = pop3_login_logged_all();

	char *since = test_log_since(mark);
	g_assert_cmpuint(strlen(since), >=, end - mark);
	since[end - mark] = '\0';
	char **lines = g_strsplit(since, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		if (strstr(*l, "pop3-login: Info:") != NULL &&
		    strstr(*l, "rip=" TEST_PROXY_IP ",") != NULL)
			g_error("health check logged: %s", *l);
		if (strstr(*l, "Error:") != NULL ||
		    strstr(*l, "Warning:") != NULL ||
		    strstr(*l, "Fatal:") != NULL ||
		    strstr(*l, "Panic:") != NULL)
			g_error("health check logged: %s", *l);
	}
	g_strfreev(lines);
	g_free(since);
}

static void test_trickled_header(gconstpointer data)
{
	enum protocol proto = GPOINTER_TO_INT(data);
	enum test_dovecot_port port = proto == PROTO_IMAP ?
		DOVECOT_IMAP : DOVECOT_POP3;
	gsize mark = test_log_mark();
	struct test_client *client = connect_dovecot_as_proxy(port);

	for (size_t i = 0; i < v2_header_from_192_0_2_10->len; i++) {
		test_client_send_raw(client,
				     v2_header_from_192_0_2_10->data + i, 1);
		g_usleep(20 * 1000);
	}
	char *line = read_greeting(client, proto);
	g_assert_nonnull(line);
	g_free(line);
	test_client_send(client, proto == PROTO_IMAP ? "a LOGOUT" : "QUIT");
	g_free(test_client_read_line(client));
	test_client_free(client);
	assert_log(mark, "rip=192.0.2.10", NULL, NULL);
}

static void test_unfinished_header(gconstpointer data)
{
	enum protocol proto = GPOINTER_TO_INT(data);
	enum test_dovecot_port port = proto == PROTO_IMAP ?
		DOVECOT_IMAP : DOVECOT_POP3;
	enum test_haproxy_port hport = proto == PROTO_IMAP ?
		HAPROXY_IMAP_TLS : HAPROXY_POP3_TLS;
	gsize mark = test_log_mark();
	struct test_client *stuck = connect_dovecot_as_proxy(port);

	test_client_send_raw(stuck, v2_header_from_192_0_2_10->data, 10);
	/* other clients are served while that header is pending (pop3-login
	   runs one process for all clients: service_count = 0) */
	char *reply = external_through(hport, proto, "client");
	g_assert_true(auth_succeeded(reply, proto));
	g_free(reply);

	/* dropped at haproxy_timeout, without a greeting */
	g_assert_true(test_client_wait_closed(stuck));
	test_client_free(stuck);
	assert_log(mark, "Error: haproxy-tlv: rip=" TEST_PROXY_IP ": Timed out "
		   "after 3 secs waiting for the PROXY header (10 bytes "
		   "received)", NULL, NULL);
}

static void test_passthrough(void)
{
	gsize mark = test_log_mark();
	struct test_client *client;
	char *line;

	/* HAProxy in TCP mode: the TLS handshake is with Dovecot itself,
	   after the header */
	client = connect_haproxy(HAPROXY_IMAPS_PASSTHROUGH, NULL);
	line = read_greeting(client, PROTO_IMAP);
	g_assert_nonnull(line);
	g_free(line);
	assert_imap_login(client, "plainuser", "secret");
	test_client_free(client);
	assert_log(mark, "Login: user=<plainuser>, method=PLAIN, rip="
		   TEST_CLIENT_IP ",", ", TLS", NULL);
}

/* The user a log line names (user=<...>), "" for none */
static char *logged_user(const char *line)
{
	const char *p = strstr(line, "user=<");
	const char *end = p == NULL ? NULL : strchr(p + 6, '>');

	return end == NULL ? g_strdup("") : g_strndup(p + 6, end - (p + 6));
}

/* The imap-login line that ends the connection from src_ip: its Login
   line, or the Disconnected line of a client that never logged in.
   After it, the connection has logged all it will. */
static char *wait_login_side_done(gsize mark, const char *src_ip)
{
	char *rip = g_strdup_printf("rip=%s,", src_ip);
	char *line = test_log_wait(mark, "imap-login: Info: ", rip, NULL);

	if (line == NULL)
		g_error("no imap-login line for %s", rip);
	g_free(rip);
	return line;
}

/* The connection from src_ip logged in as user with method: the user
   its Login line names, whatever the client asked for */
static void assert_logged_in_as(gsize mark, const char *src_ip,
				const char *user, const char *method)
{
	char *line = wait_login_side_done(mark, src_ip);
	char *logged = logged_user(line);
	char *expected = g_strdup_printf("Login: user=<%s>, method=%s,",
					 user, method);

	g_assert_cmpstr(logged, ==, user);
	if (strstr(line, test_log_needle(expected)) == NULL)
		g_error("expected '%s': %s", test_log_needle(expected), line);
	g_free(expected);
	g_free(logged);
	g_free(line);
}

/* With backend mTLS Dovecot verifies HAProxy's own certificate too (its
   CN haproxy-backend is a user in the passdb): whoever logs in, it is
   never the proxy */
static void test_reencrypt(gconstpointer data)
{
	enum test_haproxy_port port = GPOINTER_TO_INT(data);
	gsize start = test_log_mark(), mark = start;
	struct test_client *client;
	const char *ip;
	char *line, *end, *user;

	/* PLAIN */
	client = connect_haproxy(port, NULL);
	g_free(read_greeting(client, PROTO_IMAP));
	assert_imap_login(client, "plainuser", "secret");
	test_client_free(client);
	assert_logged_in_as(mark, TEST_CLIENT_IP, "plainuser", "PLAIN");

	/* EXTERNAL as the forwarded user (the PLAIN client's last
	   imap-login line is in: the next one from its address is ours) */
	mark = test_log_mark();
	line = external_through(port, PROTO_IMAP, "client");
	g_assert_true(auth_succeeded(line, PROTO_IMAP));
	g_free(line);
	assert_logged_in_as(mark, TEST_CLIENT_IP, "certuser", "EXTERNAL");

	/* no user certificate forwarded: EXTERNAL fails */
	mark = test_log_mark();
	ip = failing_client_ip();
	line = external_through_from(ip, port, PROTO_IMAP, NULL);
	end = wait_login_side_done(mark, ip);
	user = logged_user(end);
	g_assert_cmpstr(user, !=, "haproxy-backend");
	g_assert_false(auth_succeeded(line, PROTO_IMAP));
	g_assert_nonnull(strstr(end,
				 test_log_needle("imap-login: Info: Disconnected")));
	g_free(user);
	g_free(end);
	g_free(line);

	/* each connection (an imap-login process of its own) has logged
	   its last line: none of them was the proxy */
	char *since = test_log_since(start);
	g_assert_null(strstr(since, "haproxy-backend"));
	g_free(since);
}

/* The targets of the process's open fds that are sockets */
static GPtrArray *process_sockets(unsigned int pid)
{
	char *dir_path = g_strdup_printf("/proc/%u/fd", pid);
	GDir *dir = g_dir_open(dir_path, 0, NULL);
	GPtrArray *sockets = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		char *path = g_build_filename(dir_path, name, NULL);
		char *target = g_file_read_link(path, NULL);

		if (target != NULL && g_str_has_prefix(target, "socket:["))
			g_ptr_array_add(sockets, target);
		else
			g_free(target);
		g_free(path);
	}
	g_dir_close(dir);
	g_free(dir_path);
	return sockets;
}

static gboolean inode_in(const char *table, const char *target)
{
	char *inode = g_strndup(target + 8, strlen(target) - 9);
	char *path = g_strdup_printf("/proc/net/%s", table);
	char *contents = NULL;
	gboolean found = FALSE;

	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	char **lines = g_strsplit(contents, "\n", -1);
	for (char **l = lines; *l != NULL && !found; l++) {
		char **f = g_strsplit_set(*l, " ", -1);
		for (char **x = f; *x != NULL; x++) {
			if (strcmp(*x, inode) == 0)
				found = TRUE;
		}
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(contents);
	g_free(path);
	g_free(inode);
	return found;
}

/* HAProxy's TLS counts as TLS, but the login process does not stay in the
   data path: the imap process gets the client's TCP socket itself, not a
   socketpair from a proxying imap-login */
static void test_post_login_gets_socket(void)
{
	gsize mark = test_log_mark();
	struct test_client *client = connect_haproxy(HAPROXY_IMAP_TLS, NULL);
	char *line;

	g_free(read_greeting(client, PROTO_IMAP));
	assert_imap_login(client, "plainuser", "secret");
	line = test_log_wait(mark, "Login: user=<plainuser>, method=PLAIN",
			     ", TLS,", "mpid=", NULL);
	g_assert_nonnull(line);
	unsigned int mpid = (unsigned int)g_ascii_strtoull(
		strstr(line, "mpid=") + 5, NULL, 10);
	g_free(line);
	GPtrArray *sockets = process_sockets(mpid);
	gboolean has_tcp = FALSE;
	for (guint i = 0; i < sockets->len; i++) {
		const char *target = g_ptr_array_index(sockets, i);
		has_tcp = has_tcp || inode_in("tcp", target) ||
			inode_in("tcp6", target);
	}
	g_assert_true(has_tcp);
	g_ptr_array_unref(sockets);
	imap_logout(client);
	test_client_free(client);
}

/* imap-login speaks imap: on Dovecot 2.4 core closes a connection whose
   forwarded ALPN names another protocol, and the plugin passes the ALPN
   on for that (2.3's core has no such check) */
static struct test_client *send_alpn_header(const char *src, const char *alpn)
{
	struct proxy_header hdr;

	test_v2_tcp4_init(&hdr, src, 40000, "127.0.0.1", 143);
	hdr.alpn = test_str_bytes(alpn);
	return send_imap_header(&hdr);
}

static void test_alpn_mismatch(void)
{
	gsize mark = test_log_mark();
	struct test_client *client;
	char *line;

	if (!test_env_dovecot_24()) {
		g_test_skip("Dovecot 2.3 does not check ALPN");
		return;
	}
	client = send_alpn_header("127.0.0.21", "imap");
	line = read_greeting(client, PROTO_IMAP);
	g_assert_nonnull(line);
	g_free(line);
	test_client_free(client);

	client = send_alpn_header("127.0.0.22", "http/1.1");
	g_assert_null(read_greeting(client, PROTO_IMAP));
	test_client_free(client);
	assert_log(mark, "application protocol mismatch (requested "
		   "'http/1.1')", NULL, NULL);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	v2_header_from_192_0_2_10 =
		test_v2_tcp4_header("192.0.2.10", 54321, "127.0.0.1", 143);
	g_test_add_func("/imap/plain-login", test_imap_plain_login);
	g_test_add_func("/imap/post-login-gets-socket",
			test_post_login_gets_socket);
	g_test_add_func("/imap/external-verified", test_imap_external_verified);
	g_test_add_func("/imap/external-no-cert", test_imap_external_no_cert);
	g_test_add_func("/imap/external-unverified",
			test_imap_external_unverified);
	g_test_add_data_func("/external/pop3", GINT_TO_POINTER(PROTO_POP3),
			     test_external_protocol);
	g_test_add_data_func("/external/submission",
			     GINT_TO_POINTER(PROTO_SUBMISSION),
			     test_external_protocol);
	g_test_add_data_func("/external/sieve", GINT_TO_POINTER(PROTO_SIEVE),
			     test_external_protocol);

	g_test_add_func("/trust/untrusted-peer", test_untrusted_peer);
	g_test_add_func("/header/invalid", test_invalid_header);
	g_test_add_func("/header/v1", test_v1_header);
	g_test_add_func("/header/alpn-mismatch", test_alpn_mismatch);
	g_test_add_func("/header/ipv6-client", test_ipv6_client);
	g_test_add_data_func("/header/trickled/imap",
			     GINT_TO_POINTER(PROTO_IMAP), test_trickled_header);
	g_test_add_data_func("/header/trickled/pop3",
			     GINT_TO_POINTER(PROTO_POP3), test_trickled_header);
	g_test_add_data_func("/header/unfinished/imap",
			     GINT_TO_POINTER(PROTO_IMAP),
			     test_unfinished_header);
	g_test_add_data_func("/header/unfinished/pop3",
			     GINT_TO_POINTER(PROTO_POP3),
			     test_unfinished_header);
	g_test_add_func("/deployment/passthrough", test_passthrough);
	g_test_add_data_func("/deployment/reencrypt",
			     GINT_TO_POINTER(HAPROXY_IMAPS_REENCRYPT),
			     test_reencrypt);
	g_test_add_data_func("/deployment/reencrypt-backend-mtls",
			     GINT_TO_POINTER(HAPROXY_IMAPS_REENCRYPT_MTLS),
			     test_reencrypt);
	g_test_add_func("/haproxy/health-check", test_health_check);

	test_env_start_full(NULL, health_check_haproxy_cfg);
	ret = g_test_run();
	test_env_stop();
	g_byte_array_unref(v2_header_from_192_0_2_10);
	return ret;
}
