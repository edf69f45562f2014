/* Login proxy redirects with reauthentication (Dovecot 2.4): a backend
   answers the proxied login with a referral, and core asks auth again,
   building that auth request itself from the login client's TLS state. On
   an ssl = yes listener behind a re-encrypting HAProxy with backend mTLS,
   that TLS state is HAProxy's own: its certificate (CN haproxy-backend,
   which env.sh's passdb lets in without a password) must not reach auth
   as the client's. The plugin hides the proxy's TLS stream in
   v.proxy_reset, which core calls right before the redirect. */

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-protocol.h"
#include "test-util.h"

#define PROXY_CERT_USER "haproxy-backend"
#define HELPERS_DIR FIXTURE_DIR "/../helpers"

static GPid backend_pid;
static int backend_stdin = -1;

/* Start the fake backend (tests/helpers/referral-backend.py); returns the
   port it listens on */
static unsigned int backend_start(void)
{
	char *argv[] = {
		"python3", HELPERS_DIR "/referral-backend.py",
		/* never connected to: auth does not make the redirected
		   login a proxied one here */
		"plainuser@127.0.0.1:9", NULL
	};
	GError *error = NULL;
	int out_fd;
	GIOChannel *out;
	char *line = NULL;
	guint64 port;

	if (!g_spawn_async_with_pipes(NULL, argv, NULL,
				      G_SPAWN_SEARCH_PATH |
				      G_SPAWN_DO_NOT_REAP_CHILD,
				      NULL, NULL, &backend_pid, &backend_stdin,
				      &out_fd, NULL, &error))
		g_error("referral-backend.py: %s", error->message);
	out = g_io_channel_unix_new(out_fd);
	g_io_channel_set_close_on_unref(out, TRUE);
	if (g_io_channel_read_line(out, &line, NULL, NULL, &error) !=
	    G_IO_STATUS_NORMAL || line == NULL)
		g_error("referral-backend.py printed no port");
	port = g_ascii_strtoull(line, NULL, 10);
	g_assert_cmpuint(port, >, 0);
	g_assert_cmpuint(port, <, 65536);
	g_free(line);
	g_io_channel_unref(out);
	return (unsigned int)port;
}

/* Closing its stdin ends it */
static void backend_stop(void)
{
	int status;

	if (backend_stdin < 0)
		return;
	close(backend_stdin);
	backend_stdin = -1;
	(void)waitpid(backend_pid, &status, 0);
	g_spawn_close_pid(backend_pid);
}

/* plainuser is proxied to the fake backend, with reauthentication on a
   redirect (a passdb before env.sh's). auth_debug logs the requests'
   handling under the user auth settled on (2.4.5: "auth(USER,...)"). */
static char *redirect_conf(unsigned int backend_port)
{
	return g_strdup_printf(
		"auth_debug = yes\n"
		/* with it, auth logs each request line a login process
		   sends ("client in: AUTH ..." with all its fields) and
		   each reply ("client passdb out: ...") */
		"log_debug = category=auth\n"
		"passdb referral {\n"
		"  driver = static\n"
		"  username_filter = plainuser\n"
		"  passdb_static_password = secret\n"
		"  fields {\n"
		"    proxy = y\n"
		"    host = 127.0.0.1\n"
		"    port = %u\n"
		"    proxy_redirect_reauth = y\n"
		"  }\n"
		"}\n", backend_port);
}

static void assert_not_in_log(const char *since, const char *needle)
{
	if (strstr(since, needle) != NULL)
		g_error("unexpected '%s' in the log:\n%s", needle, since);
}

/* From auth's line "conn unix:login (pid=P,uid=U) [N]: client in: AUTH\tID\t
   ...": the connection's prefix, and "\tID" (of its reply "client passdb
   out: VERB\tID...") */
static char *request_conn_id(const char *line, char **id_r)
{
	const char *conn = strstr(line, "conn unix:login ");
	const char *in = strstr(line, "client in: AUTH\t");
	const char *id, *end;

	if (conn == NULL || in == NULL || in < conn)
		g_error("unexpected auth line: %s", line);
	id = in + strlen("client in: AUTH");
	end = strchr(id + 1, '\t');
	if (end == NULL)
		g_error("unexpected auth line: %s", line);
	*id_r = g_strndup(id, end - id);
	return g_strndup(conn, in - conn);
}

/* The client logs in through HAProxy's re-encrypting frontend with backend
   mTLS, without a certificate of its own. The backend refers the login
   elsewhere; core reauthenticates with EXTERNAL: auth must get neither
   HAProxy's certificate name nor its verified-certificate flag, and so
   never look up (or log in) the proxy's CN as the user. */
static void test_reauth_without_proxy_cert(void)
{
	gsize mark;
	struct test_client *client;
	char *line, *since, *conn, *id;

	if (!test_env_dovecot_24()) {
		g_test_skip("Dovecot 2.3 has no login proxy redirects "
			    "(proxy_redirect_reauth)");
		return;
	}
	mark = test_log_mark();
	client = connect_haproxy(HAPROXY_IMAPS_REENCRYPT_MTLS, NULL);
	g_free(read_greeting(client, PROTO_IMAP));
	test_client_send(client, "a LOGIN plainuser secret");
	line = test_client_read_until(client, "a ");
	g_assert_nonnull(line);
	if (g_str_has_prefix(line, "a OK"))
		g_error("the redirected login succeeded: %s", line);
	g_free(line);
	test_client_free(client);

	/* the reauthentication request, as auth received it */
	line = test_log_wait(mark, "auth: Debug: ", "client in: AUTH\t",
			     "proxy_redirect_host_next=", NULL);
	if (line == NULL)
		g_error("core never reauthenticated after the referral");
	if (strstr(line, "cert_username=") != NULL ||
	    strstr(line, "valid-client-cert") != NULL)
		g_error("the proxy's certificate reached auth on the "
			"redirect: %s", line);
	/* auth's reply to it: auth has logged the request's handling (as
	   which user) before */
	conn = request_conn_id(line, &id);
	g_free(line);
	line = test_log_wait(mark, conn, "client passdb out: ", id, NULL);
	if (line == NULL)
		g_error("auth never replied to the reauthentication");
	g_free(line);
	g_free(conn);
	g_free(id);
	since = test_log_since(mark);
	assert_not_in_log(since, "cert_username=" PROXY_CERT_USER);
	assert_not_in_log(since, "(" PROXY_CERT_USER ",");
	assert_not_in_log(since, "user=<" PROXY_CERT_USER ">");
	assert_not_in_log(since, "user=" PROXY_CERT_USER "\t");
	g_free(since);
}

int main(int argc, char **argv)
{
	gboolean started = FALSE;
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/redirect/reauth-without-proxy-cert",
			test_reauth_without_proxy_cert);
	if (test_env_dovecot_24()) {
		char *conf = redirect_conf(backend_start());

		test_env_start_with(conf);
		g_free(conf);
		started = TRUE;
	}
	ret = g_test_run();
	if (started)
		test_env_stop();
	backend_stop();
	return ret;
}
