#ifndef TEST_ENV_H
#define TEST_ENV_H

#include <glib.h>

/* Dovecot listeners (env.sh) */
enum test_dovecot_port {
	DOVECOT_IMAP = 0,
	DOVECOT_POP3 = 1,
	DOVECOT_SUBMISSION = 2,
	DOVECOT_SIEVE = 3,
	DOVECOT_IMAPS = 4,
};

/* HAProxy frontends (env.sh) */
enum test_haproxy_port {
	HAPROXY_IMAP_TLS = 0,
	HAPROXY_IMAP_TLS_IGNORE_ERRORS = 1,
	HAPROXY_POP3_TLS = 2,
	HAPROXY_SUBMISSION_TLS = 3,
	HAPROXY_SIEVE_TLS = 4,
	HAPROXY_IMAPS_PASSTHROUGH = 5,
	HAPROXY_IMAPS_REENCRYPT = 6,
	HAPROXY_IMAPS_REENCRYPT_MTLS = 7,
	HAPROXY_IMAP_V1 = 8,
	HAPROXY_IMAP_CHECKED = 9,
	HAPROXY_IMAP_ALL_TLVS = 10,
	/* through a unix socket frontend: v2 LOCAL with the SSL TLV */
	HAPROXY_IMAP_UNIX_TLS = 11,
	/* ... re-encrypted to the ssl = yes listener with backend mTLS */
	HAPROXY_IMAPS_UNIX_MTLS = 12,
	/* ... v1 UNKNOWN, no TLS */
	HAPROXY_IMAP_UNIX_V1 = 13,
	/* re-encrypting, AUTHORITY sent, HAProxy's SNI is localhost */
	HAPROXY_IMAPS_REENCRYPT_AUTHORITY = 14,
	/* plaintext client, re-encrypted to the ssl = yes listener */
	HAPROXY_IMAPS_REENCRYPT_PLAINTEXT_CLIENT = 15,
};

/* The real client's address: distinct from HAProxy's 127.0.0.1 */
#define TEST_CLIENT_IP "127.0.0.2"
/* Not in haproxy_trusted_networks */
#define TEST_UNTRUSTED_IP "127.0.0.3"
/* The proxy's own address, in haproxy_trusted_networks */
#define TEST_PROXY_IP "127.0.0.1"

/* Start Dovecot and HAProxy in a fresh temporary directory; stopped and
   removed by test_env_stop() */
void test_env_start(void);
/* The same with extra Dovecot settings appended to the configuration */
void test_env_start_with(const char *extra_conf);
/* ... and HAProxy sections of the program's own (NULL: none) appended to
   HAProxy's, with %D<n>% and %H<n>% standing for Dovecot's and HAProxy's
   port n (enum test_dovecot_port, enum test_haproxy_port) and %DIR% for
   the environment's directory */
void test_env_start_full(const char *extra_conf,
			 const char *extra_haproxy_cfg);
/* Run env.sh start with extra settings; FALSE if Dovecot refused to start,
   with what it printed in *output_r */
gboolean test_env_try_start(const char *extra_conf, char **output_r);
/* The same, and when Dovecot started, running(data) with that second
   environment as the current one (ports, log, doveconf) before it is
   stopped; the first one is current again afterwards */
gboolean test_env_try_start_run(const char *extra_conf, char **output_r,
				GTestDataFunc running, gconstpointer data);
/* A test (GTestDataFunc) of a bad setting value: data is
   const char *[2] { extra_conf, what }; Dovecot must refuse to start with
   extra_conf, and what (the setting's name) must be in what it printed */
void test_env_bad_value(gconstpointer data);
void test_env_stop(void);

unsigned int test_dovecot_port(enum test_dovecot_port port);
unsigned int test_haproxy_port(enum test_haproxy_port port);
/* A file under the environment's directory (certificates: certs/...) */
char *test_env_path(const char *name);
/* Write contents to that file */
void test_env_write_file(const char *name, const char *contents);
const char *test_env_dir(void);
/* The login processes run under valgrind (scripts/memcheck.sh valgrind) */
gboolean test_env_valgrind(void);
/* A pgrep -f pattern for a login service's processes (e.g. "pop3-login")
   of this environment when they run under valgrind (scripts/memcheck.sh
   valgrind): their command line is valgrind's, not Dovecot's title */
char *test_env_valgrind_pattern(const char *service);
/* Dovecot's processes run with the AddressSanitizer runtime (a build with
   -Db_sanitize=address) */
gboolean test_env_sanitized(void);
/* The Dovecot version env.sh found ("2.3.19.1", "2.4.1") */
const char *test_env_dovecot_version(void);
/* That Dovecot is 2.4 or later: env.sh writes 2.4's configuration syntax,
   and a test picks its 2.4 configuration fragment (see TEST_CONF()) */
gboolean test_env_dovecot_24(void);
/* A configuration fragment in the syntax of the Dovecot found */
#define TEST_CONF(conf_23, conf_24) \
	(test_env_dovecot_24() ? (conf_24) : (conf_23))
/* A passdb (for the configuration before env.sh's own) that refuses the
   users env.sh lists for the TLS version the PROXY header reports
   (denieduser over TLSv1.3): %{passdb:forward_haproxy_tls_version} in the
   file's name for 2.3, in the key of one file for 2.4. (Dovecot 2.4.1's
   passwd-file passes the wrong context to %{passdb:...} in its path, and
   auth crashes: fixed upstream after 2.4.4, "auth: Wrap
   var_expand_program_execute() for auth_request var expansion".) */
#define TEST_DENY_TLS_VERSION_PASSDB_23 \
	"passdb {\n" \
	"  driver = passwd-file\n" \
	"  args = %DIR%/deny-%{passdb:forward_haproxy_tls_version}\n" \
	"  deny = yes\n" \
	"}\n"
#define TEST_DENY_TLS_VERSION_PASSDB_24 \
	"passdb deny-tls-version {\n" \
	"  driver = passwd-file\n" \
	"  passwd_file_path = %DIR%/deny-tls-version\n" \
	"  auth_username_format = " \
	"%{user}/%{passdb:forward_haproxy_tls_version}\n" \
	"  deny = yes\n" \
	"}\n"
/* Output of doveconf ARGS on the test configuration */
char *test_env_doveconf(const char *args);

/* Run doveadm ARGS (a shell command line fragment; with stdin_file
   redirected from that file if not NULL) with the test configuration and
   modules; returns its exit code */
int test_env_doveadm(const char *args, const char *stdin_file,
		     char **stdout_r, char **stderr_r);

/* Log needles are written in Dovecot 2.3's wording. With 2.4 the parts
   login-common words differently are matched in 2.4's: "Login: user="
   as "Logged in: user=", "Disconnected" (of a login process) as "Login
   aborted", "Aborted login" (by logging out) as "Logged out", "(user
   disabled): " as "(user_disabled): ". test_log_wait() and
   test_log_wait_count() translate their needles; a test that searches the
   log itself translates with this (the string lives as long as the
   program). */
const char *test_log_needle(const char *needle);
/* Position in Dovecot's log to search from */
gsize test_log_mark(void);
/* Wait until a line containing all the NULL-terminated needles appears
   after mark; returns the line or NULL when it never does */
char *test_log_wait(gsize mark, const char *needle, ...) G_GNUC_NULL_TERMINATED;
/* Wait until count lines containing all the needles appear after mark;
   returns how many there are then: more than count if more were already
   there, fewer only when they did not come within a generous guard.
   Dovecot's processes write the log asynchronously: a count (or an
   absence) is only final after a line that shows the server is done. */
guint test_log_wait_count(gsize mark, guint count, const char *needle, ...)
	G_GNUC_NULL_TERMINATED;
/* Everything logged after mark */
char *test_log_since(gsize mark);

#endif
