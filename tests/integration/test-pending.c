/* A PROXY header belongs to the connection it arrived on. When that
   connection ends without a login client (client_init_ssl() fails, or
   login_access_sockets refuses it or the client leaves during the
   lookup), its header must go with it: a later connection that gets the
   same fd number in the same pop3-login process, from the same source
   address and port, on a listener without `haproxy = yes`, must not
   inherit the forwarded certificate identity. And with
   login_access_sockets allowing the client, the header still reaches it.

   pop3-login serves every connection in one process (env.sh), so the
   kernel hands a new connection the lowest free fd: the one the previous
   connection had. */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "test-protocol.h"
#include "test-util.h"

/* env.sh: pop3-login's listener without haproxy = yes */
#define DOVECOT_POP3_DIRECT ((enum test_dovecot_port)6)
/* A header from this client address makes client_init_ssl() fail */
#define SSL_OFF_IP "127.0.0.5"
/* The client address of the headers of the login_access_sockets tests */
#define ACCESS_CLIENT_IP TEST_CLIENT_IP
#define ACCESS_SOCKET_NAME "pending-access"

#define GUARD_USECS (20 * G_USEC_PER_SEC)

/* The pop3 haproxy = yes listener of env.sh also gets ssl = yes, and a
   client the header places at SSL_OFF_IP gets ssl = no: login-common then
   fails client_init_ssl() and closes the connection without a client. */
#define PENDING_CONF \
	"service pop3-login {\n" \
	"  inet_listener pop3 {\n" \
	"    ssl = yes\n" \
	"  }\n" \
	"}\n" \
	"remote " SSL_OFF_IP " {\n" \
	"  ssl = no\n" \
	"}\n" \
	"log_debug = category=haproxy_tlv\n"

/* Login processes resolve login_access_sockets in base_dir/login, their
   chroot or (without one, as under scripts/memcheck.sh) their working
   directory: access_server_start() listens there */
#define ACCESS_CONF \
	"protocol pop3 {\n" \
	"  login_access_sockets = " ACCESS_SOCKET_NAME "\n" \
	"}\n"

/* A v2 PROXY header from src_ip for a client whose certificate HAProxy
   verified (verify 0, CERT_CONN) with CN certuser */
static GByteArray *v2_header_verified_cn(const char *src_ip)
{
	struct proxy_header hdr;

	test_v2_tcp4_init(&hdr, src_ip, 54321, "127.0.0.1", 110);
	hdr.have_ssl = TRUE;
	hdr.ssl_client = PROXY_HEADER_CLIENT_SSL | PROXY_HEADER_CLIENT_CERT_CONN;
	hdr.ssl_version = test_str_bytes("TLSv1.3");
	hdr.ssl_cn = test_str_bytes("certuser");
	return test_encode(&hdr);
}

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_un sun;
};

/* From 127.0.0.1:src_port (0: any) to a listener of the test Dovecot */
static struct test_client *
pop3_connect(unsigned int src_port, enum test_dovecot_port dst)
{
	struct test_client *client =
		test_client_connect_port("127.0.0.1", src_port, "127.0.0.1",
					 test_dovecot_port(dst), NULL);

	g_assert_nonnull(client);
	return client;
}

/* The fd number pop3-login's next accept() returns. Only meaningful once
   pop3-login has finished starting up (pop3_login_serve_one()). */
static unsigned int pop3_login_lowest_free_fd(void)
{
	char *dir = g_strdup_printf("/proc/%u/fd", pop3_login_pid());
	unsigned int fd;

	for (fd = 0; ; fd++) {
		char *path = g_strdup_printf("%s/%u", dir, fd);
		gboolean used = g_file_test(path, G_FILE_TEST_EXISTS);

		g_free(path);
		if (!used)
			break;
	}
	g_free(dir);
	return fd;
}

/* One connection without a header, served to its end: pop3-login has
   then finished starting up (slow under valgrind) and connected to
   auth, so from here on its fds change only with the tests' connections */
static void pop3_login_serve_one(void)
{
	struct test_client *conn = pop3_connect(0, DOVECOT_POP3_DIRECT);
	char *line = test_client_read_line(conn);

	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "+OK"));
	g_free(line);
	test_client_send(conn, "QUIT");
	g_assert_true(test_client_wait_closed(conn));
	test_client_free(conn);
}

/* login_access_sockets server (Dovecot 2.3 access-lookup.c): the login
   process connects, sends "<service>\n" with the client's fd, and reads
   "1\n" (allowed) or "0\n" (refused). */
enum access_answer {
	ACCESS_ALLOW,
	ACCESS_DENY,
	/* no answer until access_release() */
	ACCESS_HOLD,
};

static struct {
	int listen_fd;
	GThread *thread;
	GMutex lock;
	GCond cond;
	enum access_answer answer;
	unsigned int lookups;
	char *last_request;
	gboolean holding, release;
} access_server;

/* The request line, and the client fd passed with it (or -1) */
static char *access_receive(int fd, int *client_fd_r)
{
	char buf[128];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	GString *request = g_string_new(NULL);
	ssize_t ret;

	*client_fd_r = -1;
	ret = recvmsg(fd, &msg, 0);
	g_assert_cmpint(ret, >, 0);
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg != NULL && cmsg->cmsg_level == SOL_SOCKET &&
	    cmsg->cmsg_type == SCM_RIGHTS)
		memcpy(client_fd_r, CMSG_DATA(cmsg), sizeof(int));
	g_string_append_len(request, buf, ret);
	while (strchr(request->str, '\n') == NULL &&
	       (ret = read(fd, buf, sizeof(buf))) > 0)
		g_string_append_len(request, buf, ret);
	return g_string_free(request, FALSE);
}

static void access_serve(int fd)
{
	int client_fd;
	char *request = access_receive(fd, &client_fd);
	enum access_answer answer;

	/* only the login process may keep the client's connection open:
	   the tests see it end when the login process closes it */
	if (client_fd != -1)
		close(client_fd);

	g_mutex_lock(&access_server.lock);
	access_server.lookups++;
	g_free(access_server.last_request);
	access_server.last_request = request;
	answer = access_server.answer;
	if (answer == ACCESS_HOLD) {
		access_server.holding = TRUE;
		g_cond_broadcast(&access_server.cond);
		while (!access_server.release)
			g_cond_wait(&access_server.cond, &access_server.lock);
		access_server.holding = access_server.release = FALSE;
	}
	g_mutex_unlock(&access_server.lock);

	if (answer != ACCESS_HOLD) {
		const char *reply = answer == ACCESS_ALLOW ? "1\n" : "0\n";

		g_assert_cmpint(send(fd, reply, 2, MSG_NOSIGNAL), ==, 2);
	}
	close(fd);
}

static gpointer access_thread(gpointer data G_GNUC_UNUSED)
{
	for (;;) {
		int fd = accept(access_server.listen_fd, NULL, NULL);

		if (fd < 0 && errno == EINTR)
			continue;
		/* access_server_stop() shut the socket down */
		if (fd < 0)
			break;
		access_serve(fd);
	}
	return NULL;
}

static void access_server_start(void)
{
	union sockaddr_any addr;
	char *path = g_build_filename(test_env_dir(), "run", "login",
				      ACCESS_SOCKET_NAME, NULL);

	memset(&addr, 0, sizeof(addr));
	addr.sun.sun_family = AF_UNIX;
	g_assert_cmpuint(strlen(path), <, sizeof(addr.sun.sun_path));
	strcpy(addr.sun.sun_path, path);
	access_server.listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	g_assert_cmpint(access_server.listen_fd, >=, 0);
	if (bind(access_server.listen_fd, &addr.sa, sizeof(addr.sun)) < 0)
		g_error("bind(%s) failed: %s", path, g_strerror(errno));
	/* pop3-login runs as default_login_user */
	g_assert_cmpint(chmod(path, 0666), ==, 0);
	g_assert_cmpint(listen(access_server.listen_fd, 16), ==, 0);
	access_server.answer = ACCESS_ALLOW;
	access_server.thread = g_thread_new("access", access_thread, NULL);
	g_free(path);
}

static void access_server_stop(void)
{
	shutdown(access_server.listen_fd, SHUT_RDWR);
	g_thread_join(access_server.thread);
	close(access_server.listen_fd);
	g_free(access_server.last_request);
	access_server.last_request = NULL;
}

static void access_set_answer(enum access_answer answer)
{
	g_mutex_lock(&access_server.lock);
	access_server.answer = answer;
	g_mutex_unlock(&access_server.lock);
}

static unsigned int access_lookups(void)
{
	unsigned int lookups;

	g_mutex_lock(&access_server.lock);
	lookups = access_server.lookups;
	g_mutex_unlock(&access_server.lock);
	return lookups;
}

/* There was exactly one lookup since access_lookups() returned before,
   and it came from pop3-login */
static void assert_one_lookup(unsigned int before)
{
	g_mutex_lock(&access_server.lock);
	g_assert_cmpuint(access_server.lookups, ==, before + 1);
	g_assert_cmpstr(access_server.last_request, ==, "pop3\n");
	g_mutex_unlock(&access_server.lock);
}

/* Wait until a lookup is held (a guard against hanging, not a timing
   assertion) */
static void access_wait_holding(void)
{
	gint64 end = g_get_monotonic_time() +
		GUARD_USECS * test_guard_factor();
	gboolean holding;

	g_mutex_lock(&access_server.lock);
	while (!access_server.holding &&
	       g_cond_wait_until(&access_server.cond, &access_server.lock,
				 end)) ;
	holding = access_server.holding;
	g_mutex_unlock(&access_server.lock);
	g_assert_true(holding);
}

static void access_release(void)
{
	g_mutex_lock(&access_server.lock);
	access_server.release = TRUE;
	g_cond_broadcast(&access_server.cond);
	g_mutex_unlock(&access_server.lock);
}

/* Each test says which Dovecot it needs: one without and one with
   login_access_sockets. Started on first use; the other one is stopped. */
enum env_kind {
	ENV_NONE,
	ENV_DIRECT,
	ENV_ACCESS,
};
static enum env_kind env_running = ENV_NONE;

static void env_stop(void)
{
	if (env_running == ENV_ACCESS)
		access_server_stop();
	if (env_running != ENV_NONE)
		test_env_stop();
	env_running = ENV_NONE;
}

/* FALSE (and the test skipped) when the Dovecot found has no
   login_access_sockets */
static gboolean env_use(enum env_kind kind)
{
	if (kind == ENV_ACCESS && test_env_dovecot_24()) {
		g_test_skip("Dovecot 2.4 has no login_access_sockets");
		return FALSE;
	}
	if (env_running == kind)
		return TRUE;
	env_stop();
	if (kind == ENV_DIRECT) {
		test_env_start_with(PENDING_CONF);
	} else {
		test_env_start_with(PENDING_CONF ACCESS_CONF);
		access_server_start();
	}
	env_running = kind;
	return TRUE;
}

/* From 127.0.0.1:src_port to the pop3 listener without haproxy: EXTERNAL
   must not log in, and no PROXY header is applied to the client */
static void assert_plain_external_fails(unsigned int src_port)
{
	gsize mark = test_log_mark();
	struct test_client *conn =
		pop3_connect(src_port, DOVECOT_POP3_DIRECT);
	char *line, *log;

	g_assert_cmpuint(test_client_local_port(conn), ==, src_port);
	line = test_client_read_line(conn);
	g_assert_nonnull(line);
	g_assert_true(g_str_has_prefix(line, "+OK"));
	g_free(line);
	test_client_send(conn, "AUTH EXTERNAL =");
	line = test_client_read_line(conn);
	g_assert_nonnull(line);
	if (auth_succeeded(line, PROTO_POP3))
		g_error("AUTH EXTERNAL on a plain connection without haproxy "
			"logged in with another connection's header: %s",
			line);
	g_free(line);
	test_client_send(conn, "QUIT");
	g_assert_true(test_client_wait_closed(conn));
	test_client_free(conn);

	/* this client's disconnection is logged after anything about it;
	   a header applied to it would have been logged with its
	   cert_username (haproxy_tlv_client_header) */
	line = test_log_wait(mark, "pop3-login: Info: Disconnected",
			     "method=EXTERNAL, rip=127.0.0.1,", NULL);
	g_assert_nonnull(line);
	g_free(line);
	log = test_log_since(mark);
	g_assert_null(strstr(log, test_log_needle("Login: user=<certuser>")));
	g_assert_null(strstr(log, "cert_username=certuser"));
	g_free(log);
}

/* client_init_ssl() fails for the header's client (ssl = no for its
   address on the ssl = yes listener): login-common closes the connection
   within its callback, without a client. */
static void test_ssl_init_failed(void)
{
	env_use(ENV_DIRECT);
	pop3_login_serve_one();

	gsize mark = test_log_mark();
	unsigned int fd = pop3_login_lowest_free_fd();
	struct test_client *conn = pop3_connect(0, DOVECOT_POP3);
	unsigned int src_port = test_client_local_port(conn);
	GByteArray *header = v2_header_verified_cn(SSL_OFF_IP);

	test_client_send_raw(conn, header->data, header->len);
	g_byte_array_unref(header);
	g_assert_true(test_client_wait_closed(conn));
	test_client_free(conn);
	assert_log(mark, "pop3-login: Info: SSL is disabled (ssl=no)",
		   "rip=" SSL_OFF_IP ",", NULL);

	/* the precondition of the attack: the next connection gets the fd
	   number this one had */
	g_assert_cmpuint(pop3_login_lowest_free_fd(), ==, fd);
	assert_plain_external_fails(src_port);
	assert_log(mark, "pop3-login: Debug: haproxy-tlv: rip=127.0.0.1: "
		   "PROXY header dropped: its connection was closed before a "
		   "login client was created", NULL, NULL);
}

/* login_access_sockets allows the client: login-common creates it after
   the lookup, and it gets the header */
static void test_access_allowed(void)
{
	if (!env_use(ENV_ACCESS))
		return;
	access_set_answer(ACCESS_ALLOW);

	gsize mark = test_log_mark();
	unsigned int lookups = access_lookups();
	GByteArray *header = v2_header_verified_cn(ACCESS_CLIENT_IP);
	struct test_client *client;
	char *line;

	client = send_header_bytes(DOVECOT_POP3, header);
	g_byte_array_unref(header);
	/* ssl = yes listener: TLS after the header */
	g_assert_true(test_client_start_tls(client, client_tls(NULL)));
	line = read_greeting(client, PROTO_POP3);
	g_assert_nonnull(line);
	g_free(line);
	line = auth_external(client, PROTO_POP3);
	if (!auth_succeeded(line, PROTO_POP3))
		g_error("EXTERNAL after an allowed access lookup failed: %s",
			line == NULL ? "(closed)" : line);
	g_free(line);
	test_client_free(client);

	assert_log(mark, "pop3-login: Info: Login: user=<certuser>, "
		   "method=EXTERNAL, rip=" ACCESS_CLIENT_IP ",", NULL, NULL);
	assert_one_lookup(lookups);
}

/* A connection on the haproxy = yes listener with a header; returns its
   source port */
static unsigned int
send_header_from_new_port(struct test_client **conn_r)
{
	GByteArray *header = v2_header_verified_cn(ACCESS_CLIENT_IP);

	*conn_r = pop3_connect(0, DOVECOT_POP3);
	test_client_send_raw(*conn_r, header->data, header->len);
	g_byte_array_unref(header);
	return test_client_local_port(*conn_r);
}

/* The follow-up of a connection that ended during its access lookup:
   it gets the same fd, and its own lookup is allowed */
static void assert_header_not_inherited(gsize mark, unsigned int fd,
					unsigned int src_port)
{
	g_assert_cmpuint(pop3_login_lowest_free_fd(), ==, fd);
	access_set_answer(ACCESS_ALLOW);
	assert_plain_external_fails(src_port);
	assert_log(mark, "pop3-login: Debug: haproxy-tlv: rip=127.0.0.1: "
		   "PROXY header dropped: its connection was closed before a "
		   "login client was created", NULL, NULL);
}

/* login_access_sockets refuses the client: login-common closes the
   connection without creating a client */
static void test_access_denied(void)
{
	if (!env_use(ENV_ACCESS))
		return;
	access_set_answer(ACCESS_ALLOW);
	pop3_login_serve_one();

	gsize mark = test_log_mark();
	unsigned int fd = pop3_login_lowest_free_fd();
	unsigned int lookups = access_lookups();
	struct test_client *conn;
	unsigned int src_port;

	access_set_answer(ACCESS_DENY);
	src_port = send_header_from_new_port(&conn);
	g_assert_true(test_client_wait_closed(conn));
	test_client_free(conn);
	assert_log(mark, "pop3-login: Info: access(",
		   "): Client refused (rip=" ACCESS_CLIENT_IP ")", NULL);
	assert_one_lookup(lookups);

	assert_header_not_inherited(mark, fd, src_port);
}

/* The client leaves while the access lookup is under way: login-common
   closes the connection without creating a client */
static void test_access_disconnected(void)
{
	if (!env_use(ENV_ACCESS))
		return;
	access_set_answer(ACCESS_ALLOW);
	pop3_login_serve_one();

	gsize mark = test_log_mark();
	unsigned int fd = pop3_login_lowest_free_fd();
	unsigned int lookups = access_lookups();
	struct test_client *conn;
	unsigned int src_port;

	access_set_answer(ACCESS_HOLD);
	src_port = send_header_from_new_port(&conn);
	access_wait_holding();
	/* leaving as a client does (FIN), while the socket still tells when
	   the login process closed its end */
	test_client_shutdown_write(conn);
	g_assert_true(test_client_wait_closed(conn));
	test_client_free(conn);
	assert_log(mark, "pop3-login: Info: access(",
		   "): Client disconnected during lookup (rip="
		   ACCESS_CLIENT_IP ")", NULL);
	access_release();
	assert_one_lookup(lookups);

	assert_header_not_inherited(mark, fd, src_port);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pending/ssl-init-failed", test_ssl_init_failed);
	g_test_add_func("/pending/access/allowed", test_access_allowed);
	g_test_add_func("/pending/access/denied", test_access_denied);
	g_test_add_func("/pending/access/disconnected",
			test_access_disconnected);

	ret = g_test_run();
	env_stop();
	return ret;
}
