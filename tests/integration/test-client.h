#ifndef TEST_CLIENT_H
#define TEST_CLIENT_H

#include <glib.h>

struct test_client;

struct test_client_tls {
	/* client certificate and key (PEM files), or NULL */
	const char *cert, *key;
	const char *server_name;
};

/* Connect from src_ip (NULL: any) to dst_ip:port. With tls != NULL, do a
   TLS handshake right away. Returns NULL if connecting fails. */
struct test_client *
test_client_connect(const char *src_ip, const char *dst_ip, unsigned int port,
		    const struct test_client_tls *tls);
/* The same from a chosen source port (0: any), which may belong to a
   connection closed a moment ago */
struct test_client *
test_client_connect_port(const char *src_ip, unsigned int src_port,
			 const char *dst_ip, unsigned int port,
			 const struct test_client_tls *tls);
unsigned int test_client_local_port(struct test_client *client);
/* Send FIN: the client leaves, and still reads what the server sends */
void test_client_shutdown_write(struct test_client *client);
/* Start TLS on an established connection */
gboolean test_client_start_tls(struct test_client *client,
			       const struct test_client_tls *tls);
void test_client_free(struct test_client *client);

void test_client_send_raw(struct test_client *client, const void *data,
			  gsize size);
void test_client_send(struct test_client *client, const char *line);
/* Send what the server takes before it closes the connection (plain
   connections only); FALSE if it closed first */
gboolean test_client_try_send(struct test_client *client, const void *data,
			      gsize size);
/* Bytes the server sent until it closed the connection */
gsize test_client_read_until_closed(struct test_client *client);
/* The guard times below (and the tests') multiplied: TEST_GUARD_FACTOR,
   which scripts/memcheck.sh sets where every login process runs under
   valgrind; 1 without it */
unsigned int test_guard_factor(void);
/* A line without CRLF, or NULL at EOF or error. Reads never wait more
   than a generous guard time, so a hung server fails the test instead of
   hanging it. */
char *test_client_read_line(struct test_client *client);
/* Read lines until one starts with prefix; NULL at EOF */
char *test_client_read_until(struct test_client *client, const char *prefix);
/* TRUE when the server closes the connection (after any pending data) */
gboolean test_client_wait_closed(struct test_client *client);

#endif
