/* The login plugin in a real Dovecot behind a real HAProxy: what a user
   and an administrator observe (protocol replies and log lines). */

#include <string.h>

#include "test-client.h"
#include "test-env.h"

enum protocol {
	PROTO_IMAP,
	PROTO_POP3,
	PROTO_SUBMISSION,
	PROTO_SIEVE,
};

static char *read_greeting(struct test_client *client, enum protocol proto)
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
static char *auth_external(struct test_client *client, enum protocol proto)
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

static gboolean auth_succeeded(const char *reply, enum protocol proto)
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

struct tls_files {
	char *cert, *key;
};

static struct test_client_tls *client_tls(const char *name)
{
	static struct test_client_tls tls;
	static char *cert, *key;

	g_free(cert);
	g_free(key);
	cert = key = NULL;
	memset(&tls, 0, sizeof(tls));
	if (name != NULL) {
		char *c = g_strdup_printf("certs/%s.pem", name);
		char *k = g_strdup_printf("certs/%s.key", name);
		cert = test_env_path(c);
		key = test_env_path(k);
		g_free(c);
		g_free(k);
		tls.cert = cert;
		tls.key = key;
	}
	return &tls;
}

static struct test_client *
connect_haproxy(enum test_haproxy_port port, const char *cert_name)
{
	struct test_client *client =
		test_client_connect(TEST_CLIENT_IP, "127.0.0.1",
				    test_haproxy_port(port),
				    client_tls(cert_name));
	g_assert_nonnull(client);
	return client;
}

/* Connect through HAProxy with TLS and authenticate with EXTERNAL */
static char *
external_through(enum test_haproxy_port port, enum protocol proto,
		 const char *cert_name)
{
	struct test_client *client = connect_haproxy(port, cert_name);
	char *greeting = read_greeting(client, proto);
	char *reply;

	g_assert_nonnull(greeting);
	g_free(greeting);
	reply = auth_external(client, proto);
	test_client_free(client);
	return reply;
}

static void assert_log(gsize mark, const char *a, const char *b,
		       const char *c)
{
	char *line = test_log_wait(mark, a, b, c, NULL);

	if (line == NULL)
		g_error("no log line with '%s' '%s' '%s'", a,
			b == NULL ? "" : b, c == NULL ? "" : c);
	g_free(line);
}

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
	test_client_send(client, "a LOGIN plainuser secret");
	line = test_client_read_until(client, "a ");
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "a OK"));
	g_free(line);
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
	char *reply = external_through(HAPROXY_IMAP_TLS, PROTO_IMAP, NULL);

	g_assert_nonnull(reply);
	g_assert_true(g_str_has_prefix(reply, "a NO"));
	g_free(reply);
}

static void test_imap_external_unverified(void)
{
	gsize mark = test_log_mark();
	/* a self-signed certificate with the same CN, let through by
	   HAProxy's crt-ignore-err all: verify != 0 in the header */
	char *reply = external_through(HAPROXY_IMAP_TLS_IGNORE_ERRORS,
				       PROTO_IMAP, "selfsigned");

	g_assert_nonnull(reply);
	g_assert_true(g_str_has_prefix(reply, "a NO"));
	g_free(reply);
	assert_log(mark, "imap-login: Info: Disconnected", "rip="
		   TEST_CLIENT_IP ",", NULL);
	char *since = test_log_since(mark);
	g_assert_null(strstr(since, "Login: user=<certuser>"));
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
	char *reply = external_through(ports[proto], proto, "client");

	if (!auth_succeeded(reply, proto))
		g_error("EXTERNAL failed: %s", reply == NULL ? "(closed)" : reply);
	g_free(reply);
	assert_log(mark, services[proto], "Login: user=<certuser>, "
		   "method=EXTERNAL, rip=" TEST_CLIENT_IP ",", NULL);

	/* and without a verified certificate it fails */
	reply = external_through(ports[proto], proto, NULL);
	g_assert_false(auth_succeeded(reply, proto));
	g_free(reply);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/imap/plain-login", test_imap_plain_login);
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

	test_env_start();
	ret = g_test_run();
	test_env_stop();
	return ret;
}
