/* A line-based protocol client, plain or TLS (OpenSSL), bound to a chosen
   loopback source address so the tests can tell the real client from the
   proxy in Dovecot's log. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "test-client.h"

#define TEST_CLIENT_READ_GUARD_SECS 20

unsigned int test_guard_factor(void)
{
	const char *value = g_getenv("TEST_GUARD_FACTOR");
	guint64 factor = value == NULL ? 1 : g_ascii_strtoull(value, NULL, 10);

	return factor == 0 || factor > 100 ? 1 : (unsigned int)factor;
}

struct test_client {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	GString *buf;
};

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

static gboolean
make_sockaddr(const char *ip, unsigned int port, union sockaddr_any *addr,
	      socklen_t *len_r)
{
	memset(addr, 0, sizeof(*addr));
	if (strchr(ip, ':') != NULL) {
		addr->sin6.sin6_family = AF_INET6;
		addr->sin6.sin6_port = htons(port);
		*len_r = sizeof(addr->sin6);
		return inet_pton(AF_INET6, ip, &addr->sin6.sin6_addr) == 1;
	}
	addr->sin.sin_family = AF_INET;
	addr->sin.sin_port = htons(port);
	*len_r = sizeof(addr->sin);
	return inet_pton(AF_INET, ip, &addr->sin.sin_addr) == 1;
}

struct test_client *
test_client_connect(const char *src_ip, const char *dst_ip, unsigned int port,
		    const struct test_client_tls *tls)
{
	return test_client_connect_port(src_ip, 0, dst_ip, port, tls);
}

struct test_client *
test_client_connect_port(const char *src_ip, unsigned int src_port,
			 const char *dst_ip, unsigned int port,
			 const struct test_client_tls *tls)
{
	union sockaddr_any dst;
	socklen_t len;
	struct timeval tv = {
		.tv_sec = TEST_CLIENT_READ_GUARD_SECS * test_guard_factor()
	};
	struct test_client *client;
	int fd;

	g_assert_true(make_sockaddr(dst_ip, port, &dst, &len));
	fd = socket(dst.sa.sa_family, SOCK_STREAM, 0);
	g_assert_cmpint(fd, >=, 0);
	if (src_ip != NULL) {
		union sockaddr_any src;
		socklen_t src_len;
		int one = 1;

		/* on both sockets, so that a source port of a connection
		   closed a moment ago can be chosen again */
		g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR,
					   &one, sizeof(one)), ==, 0);

		g_assert_true(make_sockaddr(src_ip, src_port, &src, &src_len));
		if (bind(fd, &src.sa, src_len) < 0)
			g_error("bind(%s) failed: %s", src_ip, g_strerror(errno));
	}
	if (connect(fd, &dst.sa, len) < 0) {
		close(fd);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	client = g_new0(struct test_client, 1);
	client->fd = fd;
	client->buf = g_string_new(NULL);
	if (tls != NULL && !test_client_start_tls(client, tls)) {
		test_client_free(client);
		return NULL;
	}
	return client;
}

gboolean test_client_start_tls(struct test_client *client,
			       const struct test_client_tls *tls)
{
	client->ctx = SSL_CTX_new(TLS_client_method());
	g_assert_nonnull(client->ctx);
	/* the tests check what Dovecot does, not HAProxy's certificate */
	SSL_CTX_set_verify(client->ctx, SSL_VERIFY_NONE, NULL);
	if (tls->cert != NULL) {
		g_assert_cmpint(SSL_CTX_use_certificate_file(client->ctx,
			tls->cert, SSL_FILETYPE_PEM), ==, 1);
		g_assert_cmpint(SSL_CTX_use_PrivateKey_file(client->ctx,
			tls->key, SSL_FILETYPE_PEM), ==, 1);
	}
	client->ssl = SSL_new(client->ctx);
	SSL_set_fd(client->ssl, client->fd);
	if (tls->server_name != NULL)
		SSL_set_tlsext_host_name(client->ssl, tls->server_name);
	if (SSL_connect(client->ssl) != 1) {
		ERR_clear_error();
		return FALSE;
	}
	return TRUE;
}

unsigned int test_client_local_port(struct test_client *client)
{
	union sockaddr_any addr;
	socklen_t len = sizeof(addr);

	g_assert_cmpint(getsockname(client->fd, &addr.sa, &len), ==, 0);
	return addr.sa.sa_family == AF_INET6 ? ntohs(addr.sin6.sin6_port) :
		ntohs(addr.sin.sin_port);
}

void test_client_shutdown_write(struct test_client *client)
{
	g_assert_cmpint(shutdown(client->fd, SHUT_WR), ==, 0);
}

void test_client_free(struct test_client *client)
{
	if (client == NULL)
		return;
	if (client->ssl != NULL)
		SSL_free(client->ssl);
	if (client->ctx != NULL)
		SSL_CTX_free(client->ctx);
	close(client->fd);
	g_string_free(client->buf, TRUE);
	g_free(client);
}

void test_client_send_raw(struct test_client *client, const void *data,
			  gsize size)
{
	if (client->ssl != NULL) {
		g_assert_cmpint(SSL_write(client->ssl, data, (int)size), ==,
				(int)size);
	} else {
		g_assert_cmpint(send(client->fd, data, size, MSG_NOSIGNAL),
				==, (gssize)size);
	}
}

void test_client_send(struct test_client *client, const char *line)
{
	char *full = g_strconcat(line, "\r\n", NULL);

	test_client_send_raw(client, full, strlen(full));
	g_free(full);
}

/* > 0: bytes read; 0: the server closed the connection; -1: the read
   guard expired or another error (errno set) */
static gssize test_client_recv(struct test_client *client, char *buf,
			       gsize size)
{
	gssize ret;

	if (client->ssl != NULL) {
		errno = 0;
		ret = SSL_read(client->ssl, buf, (int)size);
		if (ret > 0)
			return ret;
		int err = SSL_get_error(client->ssl, (int)ret);
		ERR_clear_error();
		if (err == SSL_ERROR_ZERO_RETURN ||
		    (err == SSL_ERROR_SYSCALL &&
		     (errno == 0 || errno == ECONNRESET)))
			return 0;
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	do {
		ret = recv(client->fd, buf, size, 0);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0 && errno == ECONNRESET)
		return 0;
	return ret;
}

char *test_client_read_line(struct test_client *client)
{
	char buf[4096];
	char *nl;

	while ((nl = memchr(client->buf->str, '\n', client->buf->len)) == NULL) {
		gssize ret = test_client_recv(client, buf, sizeof(buf));

		if (ret <= 0)
			return NULL;
		g_string_append_len(client->buf, buf, ret);
	}
	gsize len = (gsize)(nl - client->buf->str);
	char *line = g_strndup(client->buf->str,
			       len > 0 && nl[-1] == '\r' ? len - 1 : len);
	g_string_erase(client->buf, 0, (gssize)len + 1);
	return line;
}

char *test_client_read_until(struct test_client *client, const char *prefix)
{
	char *line;

	while ((line = test_client_read_line(client)) != NULL) {
		if (g_str_has_prefix(line, prefix))
			return line;
		g_free(line);
	}
	return NULL;
}

gboolean test_client_wait_closed(struct test_client *client)
{
	char buf[1024];

	g_string_truncate(client->buf, 0);
	for (;;) {
		gssize ret = test_client_recv(client, buf, sizeof(buf));

		if (ret == 0)
			return TRUE;
		if (ret < 0)
			return FALSE;
	}
}

gboolean test_client_try_send(struct test_client *client, const void *data,
			      gsize size)
{
	const guint8 *p = data;

	while (size > 0) {
		gssize ret = send(client->fd, p, size, MSG_NOSIGNAL);

		if (ret <= 0)
			return FALSE;
		p += ret;
		size -= (gsize)ret;
	}
	return TRUE;
}

gsize test_client_read_until_closed(struct test_client *client)
{
	char buf[1024];
	gsize total = client->buf->len;
	gssize ret;

	g_string_truncate(client->buf, 0);
	while ((ret = test_client_recv(client, buf, sizeof(buf))) > 0)
		total += (gsize)ret;
	g_assert_cmpint(ret, ==, 0);
	return total;
}
