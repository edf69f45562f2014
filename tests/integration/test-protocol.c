/* Protocol steps shared by the integration test programs: greetings and
   EXTERNAL authentication for imap, pop3, submission and managesieve,
   connections through HAProxy, log assertions. */

#include <string.h>

#include "test-client.h"
#include "test-env.h"
#include "test-protocol.h"
#include "test-util.h"


char *read_greeting(struct test_client *client, enum protocol proto)
{
	switch (proto) {
	case PROTO_IMAP:
		return test_client_read_until(client, "* OK");
	case PROTO_POP3:
		return test_client_read_until(client, "+OK");
	case PROTO_SUBMISSION:
		return test_client_read_until(client, "220 ");
	case PROTO_SIEVE:
		return test_client_read_until(client, "OK");
	}
	g_assert_not_reached();
}

/* Returns the server's final reply to AUTHENTICATE EXTERNAL */
char *auth_external(struct test_client *client, enum protocol proto)
{
	switch (proto) {
	case PROTO_IMAP:
		test_client_send(client, "a AUTHENTICATE EXTERNAL =");
		return test_client_read_until(client, "a ");
	case PROTO_POP3:
		test_client_send(client, "AUTH EXTERNAL =");
		return test_client_read_line(client);
	case PROTO_SUBMISSION:
		test_client_send(client, "EHLO client.example.test");
		g_free(test_client_read_until(client, "250 "));
		test_client_send(client, "AUTH EXTERNAL =");
		return test_client_read_line(client);
	case PROTO_SIEVE:
		test_client_send(client, "AUTHENTICATE \"EXTERNAL\" \"=\"");
		return test_client_read_line(client);
	}
	g_assert_not_reached();
}

gboolean auth_succeeded(const char *reply, enum protocol proto)
{
	if (reply == NULL)
		return FALSE;
	switch (proto) {
	case PROTO_IMAP:
		return g_str_has_prefix(reply, "a OK");
	case PROTO_POP3:
		return g_str_has_prefix(reply, "+OK");
	case PROTO_SUBMISSION:
		return g_str_has_prefix(reply, "235");
	case PROTO_SIEVE:
		return g_str_has_prefix(reply, "OK");
	}
	return FALSE;
}

char *env_cert_path(const char *name, const char *ext)
{
	char *rel = g_strconcat("certs/", name, ext, NULL);
	char *path = test_env_path(rel);

	g_free(rel);
	return path;
}

X509 *env_cert(const char *name)
{
	char *path = env_cert_path(name, ".pem");
	X509 *cert = test_pem_cert(path);

	g_free(path);
	return cert;
}

EVP_PKEY *env_key(const char *name)
{
	char *path = env_cert_path(name, ".key");
	EVP_PKEY *key = test_pem_key(path);

	g_free(path);
	return key;
}

struct test_client_tls *client_tls(const char *name)
{
	static struct test_client_tls tls;
	static char *cert, *key;

	g_free(cert);
	g_free(key);
	cert = key = NULL;
	memset(&tls, 0, sizeof(tls));
	if (name != NULL) {
		cert = env_cert_path(name, ".pem");
		key = env_cert_path(name, ".key");
		tls.cert = cert;
		tls.key = key;
	}
	return &tls;
}

/* Dovecot delays authentication from an address with failed attempts
   (auth penalty): attempts expected to fail come from addresses of their
   own, so they do not slow down the tests that follow */
const char *failing_client_ip(void)
{
	static unsigned int n = 0;
	static char ip[32];

	g_snprintf(ip, sizeof(ip), "127.0.1.%u", ++n);
	return ip;
}

struct test_client *
connect_haproxy_from(const char *src_ip, enum test_haproxy_port port,
		     const char *cert_name)
{
	struct test_client *client =
		test_client_connect(src_ip, "127.0.0.1",
				    test_haproxy_port(port),
				    client_tls(cert_name));
	g_assert_nonnull(client);
	return client;
}

struct test_client *
connect_haproxy(enum test_haproxy_port port, const char *cert_name)
{
	return connect_haproxy_from(TEST_CLIENT_IP, port, cert_name);
}

struct test_client *
connect_haproxy_sni(enum test_haproxy_port port, const char *cert_name,
		    const char *server_name)
{
	struct test_client_tls *tls = client_tls(cert_name);
	struct test_client *client;

	tls->server_name = server_name;
	client = test_client_connect(TEST_CLIENT_IP, "127.0.0.1",
				     test_haproxy_port(port), tls);
	g_assert_nonnull(client);
	return client;
}

struct test_client *
connect_haproxy_plaintext(const char *src_ip, enum test_haproxy_port port)
{
	struct test_client *client =
		test_client_connect(src_ip, "127.0.0.1",
				    test_haproxy_port(port), NULL);

	g_assert_nonnull(client);
	return client;
}

/* Connect through HAProxy with TLS and authenticate with EXTERNAL */
char *
external_through_from(const char *src_ip, enum test_haproxy_port port,
		      enum protocol proto, const char *cert_name)
{
	struct test_client *client =
		connect_haproxy_from(src_ip, port, cert_name);
	char *greeting = read_greeting(client, proto);
	char *reply;

	g_assert_nonnull(greeting);
	g_free(greeting);
	reply = auth_external(client, proto);
	test_client_free(client);
	return reply;
}

char *
external_through(enum test_haproxy_port port, enum protocol proto,
		 const char *cert_name)
{
	return external_through_from(TEST_CLIENT_IP, port, proto, cert_name);
}

/* EXTERNAL that is expected to fail */
char *
external_failing(enum test_haproxy_port port, enum protocol proto,
		 const char *cert_name)
{
	return external_through_from(failing_client_ip(), port, proto,
				     cert_name);
}

void assert_log(gsize mark, const char *a, const char *b,
		       const char *c)
{
	char *line = test_log_wait(mark, a, b, c, NULL);

	if (line == NULL)
		g_error("no log line with '%s' '%s' '%s'", a,
			b == NULL ? "" : b, c == NULL ? "" : c);
	g_free(line);
}


void assert_not_logged(gsize mark, const char *needle)
{
	char *since = test_log_since(mark);

	if (strstr(since, needle) != NULL)
		g_error("unexpected '%s' in the log:\n%s", needle, since);
	g_free(since);
}

char *wait_disconnected(gsize mark, const char *service, const char *ip)
{
	char *rip = g_strdup_printf("rip=%s,", ip);
	char *line = test_log_wait(mark, service, "Disconnected", rip, NULL);

	if (line == NULL)
		g_error("no Disconnected line for %s", rip);
	g_free(rip);
	return line;
}

void assert_external_ok(char *reply, enum protocol proto)
{
	if (!auth_succeeded(reply, proto))
		g_error("EXTERNAL failed: %s",
			reply == NULL ? "(closed)" : reply);
	g_free(reply);
}

char *imap_login(struct test_client *client, const char *user,
		 const char *password)
{
	char *cmd = g_strdup_printf("a LOGIN %s %s", user, password);
	char *line;

	test_client_send(client, cmd);
	line = test_client_read_until(client, "a ");
	g_assert_nonnull(line);
	g_free(cmd);
	return line;
}

void assert_imap_login(struct test_client *client, const char *user,
		       const char *password)
{
	char *line = imap_login(client, user, password);

	if (!g_str_has_prefix(line, "a OK"))
		g_error("a LOGIN %s %s: %s", user, password, line);
	g_free(line);
}

void assert_imap_login_refused(enum test_haproxy_port port, const char *user)
{
	struct test_client *client =
		connect_haproxy_from(failing_client_ip(), port, NULL);
	char *line;

	g_free(read_greeting(client, PROTO_IMAP));
	line = imap_login(client, user, "secret");
	g_assert_true(g_str_has_prefix(line, "a NO"));
	g_free(line);
	test_client_free(client);
}

void imap_logout(struct test_client *client)
{
	test_client_send(client, "b LOGOUT");
	g_free(test_client_read_until(client, "b "));
}

gsize pop3_login_logged_all(void)
{
	static unsigned int n = 0;
	gsize mark = test_log_mark();
	struct test_client *client = connect_dovecot_as_proxy(DOVECOT_POP3);
	char *ip, *header, *rip, *line, *log;
	const char *at;
	gsize end;

	n++;
	ip = g_strdup_printf("198.18.%u.%u", (n >> 8) & 0xff, n & 0xff);
	header = g_strdup_printf("PROXY TCP4 %s 127.0.0.1 54321 110\r\n", ip);
	test_client_send_raw(client, header, strlen(header));
	line = read_greeting(client, PROTO_POP3);
	g_assert_nonnull(line);
	g_free(line);
	test_client_send(client, "QUIT");
	g_free(test_client_read_line(client));
	test_client_free(client);
	rip = g_strdup_printf("rip=%s,", ip);
	line = test_log_wait(mark, "pop3-login: Info: ", rip, NULL);
	if (line == NULL)
		g_error("no pop3-login line with %s", rip);

	log = test_log_since(mark);
	at = strstr(log, line);
	g_assert_nonnull(at);
	end = mark + (gsize)(at - log) + strlen(line) + 1;
	g_free(log);
	g_free(line);
	g_free(rip);
	g_free(header);
	g_free(ip);
	return end;
}

static unsigned int pgrep(const char *pattern)
{
	char *argv[] = { "pgrep", "-f", (char *)pattern, NULL };
	char *out = NULL;
	unsigned int pid;

	g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH,
				   NULL, NULL, &out, NULL, NULL, NULL));
	pid = (unsigned int)g_ascii_strtoull(out, NULL, 10);
	g_free(out);
	return pid;
}

unsigned int pop3_login_pid(void)
{
	char *title = g_strdup_printf("haproxy-tlv-test-%u/pop3-login",
				      test_dovecot_port(DOVECOT_IMAP));
	/* under valgrind (scripts/memcheck.sh) the command line
	   is valgrind's */
	char *valgrind = test_env_valgrind_pattern("pop3-login");
	unsigned int pid = pgrep(title);

	if (pid == 0)
		pid = pgrep(valgrind);
	g_assert_cmpuint(pid, >, 0);
	g_free(title);
	g_free(valgrind);
	return pid;
}

struct test_client *connect_dovecot_as_proxy(enum test_dovecot_port port)
{
	struct test_client *client =
		test_client_connect(TEST_PROXY_IP, "127.0.0.1",
				    test_dovecot_port(port), NULL);

	g_assert_nonnull(client);
	return client;
}

struct test_client *send_header_bytes(enum test_dovecot_port port,
				      const GByteArray *bytes)
{
	struct test_client *client = connect_dovecot_as_proxy(port);

	test_client_send_raw(client, bytes->data, bytes->len);
	return client;
}

void assert_header_closed(enum test_dovecot_port port,
			  const GByteArray *bytes)
{
	struct test_client *client = connect_dovecot_as_proxy(port);

	(void)test_client_try_send(client, bytes->data, bytes->len);
	g_assert_cmpuint(test_client_read_until_closed(client), ==, 0);
	test_client_free(client);
}

struct test_client *send_imap_header(const struct proxy_header *hdr)
{
	GByteArray *header = test_encode(hdr);
	struct test_client *client = send_header_bytes(DOVECOT_IMAP, header);

	g_byte_array_unref(header);
	return client;
}
