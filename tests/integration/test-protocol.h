#ifndef TEST_PROTOCOL_H
#define TEST_PROTOCOL_H

#include "test-client.h"
#include "test-env.h"
#include "test-x509.h"

enum protocol {
	PROTO_IMAP,
	PROTO_POP3,
	PROTO_SUBMISSION,
	PROTO_SIEVE,
};

char *read_greeting(struct test_client *client, enum protocol proto);
/* The server's final reply to AUTHENTICATE EXTERNAL */
char *auth_external(struct test_client *client, enum protocol proto);
gboolean auth_succeeded(const char *reply, enum protocol proto);
/* The environment's certs/NAME followed by ext (".pem", ".key") */
char *env_cert_path(const char *name, const char *ext);
/* The certificate certs/NAME.pem and the key certs/NAME.key */
X509 *env_cert(const char *name);
EVP_PKEY *env_key(const char *name);
/* TLS settings with certs/NAME.pem and .key as client certificate
   (NULL: none). Valid until the next call. */
struct test_client_tls *client_tls(const char *name);
/* A fresh source address for attempts expected to fail */
const char *failing_client_ip(void);
struct test_client *
connect_haproxy_from(const char *src_ip, enum test_haproxy_port port,
		     const char *cert_name);
struct test_client *
connect_haproxy(enum test_haproxy_port port, const char *cert_name);
/* ... asking HAProxy for server_name (SNI) */
struct test_client *
connect_haproxy_sni(enum test_haproxy_port port, const char *cert_name,
		    const char *server_name);
/* A plaintext client of a HAProxy frontend without TLS */
struct test_client *
connect_haproxy_plaintext(const char *src_ip, enum test_haproxy_port port);
char *external_through_from(const char *src_ip, enum test_haproxy_port port,
			    enum protocol proto, const char *cert_name);
char *external_through(enum test_haproxy_port port, enum protocol proto,
		       const char *cert_name);
char *external_failing(enum test_haproxy_port port, enum protocol proto,
		       const char *cert_name);
/* Fails the test unless reply (freed here) is a successful EXTERNAL
   authentication's */
void assert_external_ok(char *reply, enum protocol proto);
/* IMAP LOGIN: the tagged reply */
char *imap_login(struct test_client *client, const char *user,
		 const char *password);
/* IMAP LOGIN as user (password secret) through HAProxy's port, from an
   address of its own and without a client certificate, that must be
   refused */
void assert_imap_login_refused(enum test_haproxy_port port, const char *user);
/* IMAP LOGIN that must succeed */
void assert_imap_login(struct test_client *client, const char *user,
		       const char *password);
/* IMAP LOGOUT, waiting for its reply */
void imap_logout(struct test_client *client);
/* Fails the test unless a line with all of a, b, c (NULL: ignored)
   appears in Dovecot's log after mark */
void assert_log(gsize mark, const char *a, const char *b, const char *c);
/* Fails the test if needle is in Dovecot's log after mark */
void assert_not_logged(gsize mark, const char *needle);
/* Waits for the line of service (e.g. "imap-login") that ends the
   connection from ip, so that what the test then asserts absent had every
   chance to be logged; returns it */
char *wait_disconnected(gsize mark, const char *service, const char *ip);
/* pop3-login serves every client in one process and writes its log lines
   in order: once it has logged a later client, everything it logged about
   the connections before is in the log. This makes that later client (a
   valid header from an address of its own, leaving at the greeting),
   waits for its line and returns the log position right after it. */
gsize pop3_login_logged_all(void);

/* The pid of the environment's pop3-login process */
unsigned int pop3_login_pid(void);

/* A plain connection from HAProxy's address to a Dovecot listener */
struct test_client *connect_dovecot_as_proxy(enum test_dovecot_port port);
/* bytes (a PROXY header) sent on such a connection */
struct test_client *send_header_bytes(enum test_dovecot_port port,
				      const GByteArray *bytes);
/* ... which close it without a byte of greeting */
void assert_header_closed(enum test_dovecot_port port,
			  const GByteArray *bytes);
struct proxy_header;
/* hdr (encoded) sent to the imap listener from HAProxy's address */
struct test_client *send_imap_header(const struct proxy_header *hdr);

#endif
