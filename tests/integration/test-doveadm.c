/* The real doveadm binary with `doveadm haproxy` from the build tree,
   against the test Dovecot's configuration. */

#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proxy-header.h"
#include "proxy-header-encode.h"
#include "test-protocol.h"

/* test_env_doveadm() can only redirect stdin from a file; the pipe test
   runs env.sh itself, which sits beside the fixtures' directory */
#define TEST_ENV_SH_PATH FIXTURE_DIR "/../integration/env.sh"

struct decode_case {
	const char *fixture;
	/* "key":"value" pairs that the JSON output must contain */
	const char *const *fields;
};

static const char *const v1_tcp4[] = {
	"\"version\":\"1\"", "\"command\":\"PROXY\"", "\"family\":\"INET\"",
	"\"transport\":\"STREAM\"", "\"length\":\"44\"",
	"\"source\":\"127.0.0.1\"", "\"source_port\":\"54460\"",
	"\"destination_port\":\"37995\"", "\"ssl\":\"no\"", "\"tls\":\"no\"",
	"\"cert_verified\":\"no\"", NULL
};
static const char *const v1_tcp6[] = {
	"\"version\":\"1\"", "\"family\":\"INET6\"", "\"source\":\"::1\"",
	"\"destination\":\"::1\"", "\"source_port\":\"59470\"", NULL
};
static const char *const v2_tcp4[] = {
	"\"version\":\"2\"", "\"command\":\"PROXY\"", "\"family\":\"INET\"",
	"\"length\":\"28\"", "\"tlvs\":\"\"", NULL
};
static const char *const v2_tcp6[] = {
	"\"version\":\"2\"", "\"family\":\"INET6\"", "\"source\":\"::1\"",
	"\"length\":\"52\"", NULL
};
static const char *const v2_ssl_cn_verified[] = {
	"\"ssl\":\"yes\"", "\"tls\":\"yes\"", "\"ssl_client\":\"0x07\"",
	"\"cert_conn\":\"yes\"", "\"cert_sess\":\"yes\"",
	"\"ssl_verify\":\"0\"", "\"ssl_verify_meaning\":\"ok\"",
	"\"cert_verified\":\"yes\"", "\"ssl_version\":\"TLSv1.3\"",
	"\"ssl_cn\":\"certuser\"", NULL
};
static const char *const v2_ssl_cn_no_cert[] = {
	"\"tls\":\"yes\"", "\"ssl_client\":\"0x01\"", "\"cert_conn\":\"no\"",
	"\"cert_verified\":\"no\"", "\"ssl_cn\":\"\"", NULL
};
static const char *const v2_ssl_cn_unverified[] = {
	"\"cert_conn\":\"yes\"", "\"ssl_verify\":\"18\"",
	"\"ssl_verify_meaning\":\"self-signed certificate\"",
	"\"cert_verified\":\"no\"", "\"ssl_cn\":\"certuser\"", NULL
};
static const char *const v2_crc32c_unique_id[] = {
	"\"crc32c\":\"0x", " verified\"", "\"unique_id\":\"7F000001:",
	"\"ssl\":\"no\"", "UNIQUE_ID(0x05)=", "CRC32C(0x03)=", NULL
};
static const char *const v2_all_options[] = {
	"\"alpn\":\"imap\"", "\"authority\":\"mail.example.test\"",
	"\"ssl_cipher\":\"TLS_AES_256_GCM_SHA384\"",
	"\"ssl_sig_alg\":\"RSA-SHA256\"", "\"ssl_key_alg\":\"RSA2048\"",
	"\"cert_verified\":\"yes\"", " verified\"", NULL
};

static const struct decode_case decode_cases[] = {
	{ "v1-tcp4", v1_tcp4 },
	{ "v1-tcp6", v1_tcp6 },
	{ "v2-tcp4", v2_tcp4 },
	{ "v2-tcp6", v2_tcp6 },
	{ "v2-ssl-cn-verified", v2_ssl_cn_verified },
	{ "v2-ssl-cn-no-cert", v2_ssl_cn_no_cert },
	{ "v2-ssl-cn-unverified", v2_ssl_cn_unverified },
	{ "v2-crc32c-unique-id", v2_crc32c_unique_id },
	{ "v2-all-options", v2_all_options },
};

static void assert_contains(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		g_error("'%s' not in:\n%s", needle, text);
}

static void test_decode_fixture(gconstpointer data)
{
	const struct decode_case *c = data;
	char *args = g_strdup_printf("-f json haproxy decode %s/%s.bin",
				     FIXTURE_DIR, c->fixture);
	char *out, *err;

	g_assert_cmpint(test_env_doveadm(args, NULL, &out, &err), ==, 0);
	for (const char *const *f = c->fields; *f != NULL; f++)
		assert_contains(out, *f);
	g_free(args);
	g_free(out);
	g_free(err);
}

static void test_decode_hex_stdin(void)
{
	char *hex = g_strdup_printf("%s/v2-all-options.hex", test_env_dir());
	char *bin = g_strdup_printf("%s/v2-all-options.bin", FIXTURE_DIR);
	char *contents, *out, *err;
	gsize size;

	g_assert_true(g_file_get_contents(bin, &contents, &size, NULL));
	GString *str = g_string_new(NULL);
	for (gsize i = 0; i < size; i++)
		g_string_append_printf(str, "%02x%s", (guint8)contents[i],
				       i % 16 == 15 ? "\n" : " ");
	g_assert_true(g_file_set_contents(hex, str->str, -1, NULL));
	g_assert_cmpint(test_env_doveadm("-f tab haproxy decode -x", hex,
					 &out, &err), ==, 0);
	/* tab: a header line with the field names, then the values */
	assert_contains(out, "version\tcommand\tfamily");
	assert_contains(out, "mail.example.test");
	g_free(out);
	g_free(err);
	g_assert_cmpint(test_env_doveadm("-f table haproxy decode", bin,
					 &out, &err), ==, 0);
	assert_contains(out, "ssl_cipher");
	assert_contains(out, "TLS_AES_256_GCM_SHA384");
	g_free(out);
	g_free(err);
	g_string_free(str, TRUE);
	g_free(contents);
	g_free(hex);
	g_free(bin);
}

static void test_decode_invalid(void)
{
	char *path = g_strdup_printf("%s/bad-header", test_env_dir());
	char *out, *err;

	g_assert_true(g_file_set_contents(path,
		"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", -1, NULL));
	g_assert_cmpint(test_env_doveadm("haproxy decode", path, &out, &err),
			==, 65);
	assert_contains(err, "Invalid PROXY header: v1 source port is not a "
			"decimal number 0-65535");
	g_assert_cmpstr(out, ==, "");
	g_free(out);
	g_free(err);
	g_free(path);
}

static void assert_decoded_verified(int ret, char *out, char *err)
{
	if (ret != 0)
		g_error("exit %d:\n%s%s", ret, out, err);
	for (const char *const *f = v2_ssl_cn_verified; *f != NULL; f++)
		assert_contains(out, *f);
	g_free(out);
	g_free(err);
}

/* The writer opens the FIFO in a child: opening either end blocks until
   the other one is opened, which is what a FIFO reader must cope with. */
static pid_t fifo_writer_start(const char *fifo, const char *data,
			       gsize size)
{
	pid_t pid = fork();

	g_assert_cmpint(pid, >=, 0);
	if (pid == 0) {
		int fd = open(fifo, O_WRONLY);

		while (fd != -1 && size > 0) {
			ssize_t ret = write(fd, data, size);

			if (ret <= 0)
				_exit(1);
			data += ret;
			size -= ret;
		}
		_exit(fd == -1 ? 1 : 0);
	}
	return pid;
}

static void fifo_writer_finish(const char *fifo, pid_t pid)
{
	/* a reader that never opened the FIFO left the writer blocked in
	   open(): opening the read end releases it; the header fits in the
	   pipe buffer, so its write cannot block either */
	int fd = open(fifo, O_RDONLY | O_NONBLOCK);
	int status;

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	close(fd);
}

static void test_decode_fifo(void)
{
	char *fifo = g_strdup_printf("%s/header.fifo", test_env_dir());
	char *bin = g_strdup_printf("%s/v2-ssl-cn-verified.bin", FIXTURE_DIR);
	char *args = g_strdup_printf("-f json haproxy decode %s", fifo);
	char *contents, *out, *err;
	gsize size;
	int ret;

	g_assert_true(g_file_get_contents(bin, &contents, &size, NULL));
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	pid_t pid = fifo_writer_start(fifo, contents, size);
	ret = test_env_doveadm(args, NULL, &out, &err);
	fifo_writer_finish(fifo, pid);
	assert_decoded_verified(ret, out, err);
	g_assert_cmpint(unlink(fifo), ==, 0);
	g_free(contents);
	g_free(args);
	g_free(bin);
	g_free(fifo);
}

static void test_decode_pipe(gconstpointer data)
{
	const char *file_arg = data;
	char *bin = g_strdup_printf("%s/v2-ssl-cn-verified.bin", FIXTURE_DIR);
	char *cmd = g_strdup_printf("cat '%s' | /bin/sh '%s' doveadm '%s' "
				    "-f json haproxy decode %s", bin,
				    TEST_ENV_SH_PATH, test_env_dir(), file_arg);
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	char *out, *err;
	int status;

	g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL,
				   NULL, &out, &err, &status, NULL));
	assert_decoded_verified(WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				out, err);
	g_free(cmd);
	g_free(bin);
}

static void test_decode_missing_file(void)
{
	char *out, *err;

	/* EX_NOINPUT: not 65, which says the header is invalid */
	g_assert_cmpint(test_env_doveadm("haproxy decode /nonexistent/header",
					 NULL, &out, &err), ==, 66);
	assert_contains(err, "/nonexistent/header");
	assert_contains(err, "No such file or directory");
	g_assert_cmpstr(out, ==, "");
	g_free(out);
	g_free(err);
}

static void test_check(void)
{
	char *out, *err;

	g_assert_cmpint(test_env_doveadm("haproxy check " TEST_PROXY_IP, NULL,
					 &out, &err), ==, 0);
	assert_contains(out, "haproxy_trusted=yes");
	assert_contains(out, "login_trusted=no");
	g_free(out);
	g_free(err);

	g_assert_cmpint(test_env_doveadm("-f json haproxy check "
					 TEST_UNTRUSTED_IP, NULL, &out, &err),
			==, 68);
	assert_contains(out, "\"haproxy_trusted\":\"no\"");
	g_free(out);
	g_free(err);

	g_assert_cmpint(test_env_doveadm("haproxy check 127.0.0.300", NULL,
					 &out, &err), ==, 64);
	assert_contains(err, "Invalid address '127.0.0.300'");
	g_free(out);
	g_free(err);
}

/* doveadm -c PATH haproxy check: doveconf must read the same PATH,
   whatever characters it contains */
static void test_check_config_path(gconstpointer data)
{
	const char *dir_name = data;
	char *dir = g_build_filename(test_env_dir(), dir_name, NULL);
	char *conf = g_build_filename(dir, "dovecot.conf", NULL);
	/* 2.4: the first setting of every configuration, also of one that
	   only includes another */
	char *head = test_env_dovecot_24() ? g_strdup_printf(
		"dovecot_config_version = %s\n", test_env_dovecot_version()) :
		g_strdup("");
	char *contents = g_strdup_printf("%s!include %s/dovecot.conf\n"
		"login_trusted_networks = 127.0.0.0/8\n", head, test_env_dir());
	char *quoted = g_shell_quote(conf);
	char *args = g_strdup_printf("-c %s haproxy check " TEST_PROXY_IP,
				     quoted);
	char *out, *err;
	int ret;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(conf, contents, -1, NULL));
	ret = test_env_doveadm(args, NULL, &out, &err);
	if (ret != 0)
		g_error("doveadm %s: exit %d:\n%s%s", args, ret, out, err);
	assert_contains(out, "haproxy_trusted=yes");
	/* only this file sets it: the answer must come from it */
	assert_contains(out, "login_trusted=yes");
	g_free(out);
	g_free(err);
	g_free(args);
	g_free(quoted);
	g_free(contents);
	g_free(head);
	g_free(conf);
	g_free(dir);
}

static void test_check_doveconf_fails(void)
{
	/* doveadm reads its own settings from the config socket, which
	   doveconf cannot parse */
	char *socket = g_strdup_printf("%s/run/config", test_env_dir());
	char *args = g_strdup_printf("-c %s haproxy check " TEST_PROXY_IP,
				     socket);
	char *out, *err;
	int ret = test_env_doveadm(args, NULL, &out, &err);

	if (ret != 78)
		g_error("doveadm %s: exit %d, expected 78:\n%s%s", args, ret,
			out, err);
	assert_contains(err, "doveconf");
	assert_contains(err, socket);
	g_assert_cmpstr(out, ==, "");
	g_free(out);
	g_free(err);
	g_free(args);
	g_free(socket);
}

static void test_usage(void)
{
	char *out, *err;

	g_assert_cmpint(test_env_doveadm("haproxy", NULL, &out, &err), !=, 0);
	assert_contains(err, "decode       [-x] [-y <type>] [-w <vendors>] "
			"[-n <type:name ...>] [<file>]");
	assert_contains(err, "check        <address>");
	assert_contains(err, "test         [-1] [-L]");
	g_free(out);
	g_free(err);
}

struct test_case {
	const char *args;
	int exit_code;
	const char *expect;
};

/* {imap} etc. become the test Dovecot's listener ports, {xN} a string of
   N 'x', {dir} the environment's directory */
static char *expand_args(const char *args)
{
	static const struct {
		const char *name;
		enum test_dovecot_port port;
	} ports[] = {
		{ "{imap}", DOVECOT_IMAP }, { "{pop3}", DOVECOT_POP3 },
		{ "{submission}", DOVECOT_SUBMISSION },
		{ "{sieve}", DOVECOT_SIEVE }, { "{imaps}", DOVECOT_IMAPS },
	};
	GString *str = g_string_new(args);
	const char *p;

	g_string_replace(str, "{dir}", test_env_dir(), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(ports); i++) {
		char *port = g_strdup_printf("%u",
					     test_dovecot_port(ports[i].port));
		g_string_replace(str, ports[i].name, port, 0);
		g_free(port);
	}
	while ((p = strstr(str->str, "{x")) != NULL) {
		gsize pos = p - str->str;
		char *end;
		guint64 n = g_ascii_strtoull(p + 2, &end, 10);

		g_assert_true(*end == '}');
		char *xs = g_strnfill(n, 'x');
		g_string_erase(str, pos, end + 1 - p);
		g_string_insert(str, pos, xs);
		g_free(xs);
	}
	return g_string_free(str, FALSE);
}

static void test_live(gconstpointer data)
{
	const struct test_case *c = data;
	char *args = expand_args(c->args);
	char *cmd = g_strconcat("haproxy test ", args, NULL);
	char *out, *err;
	int ret = test_env_doveadm(cmd, NULL, &out, &err);

	if (ret != c->exit_code || strstr(out, c->expect) == NULL)
		g_error("doveadm %s: exit %d, expected %d with '%s':\n%s%s",
			cmd, ret, c->exit_code, c->expect, out, err);
	g_free(out);
	g_free(err);
	g_free(cmd);
	g_free(args);
}

/* {imap} etc. stand for the test Dovecot's listener ports */
static const struct test_case live_cases[] = {
	{ "-e -c certuser -C 127.0.0.1:{imap}", 0,
	  "authenticate EXTERNAL OK     a OK" },
	{ "-e -c certuser -S -k -a mail.example.test -u id-1 127.0.0.1:{imap}",
	  0, "authenticate EXTERNAL OK" },
	/* failing attempts from addresses of their own: Dovecot delays
	   authentication from an address with failures (auth penalty) */
	{ "-s 192.0.2.101:1000 -e -c certuser -C -V 18 127.0.0.1:{imap}", 69,
	  "authenticate EXTERNAL FAILED a NO" },
	{ "-s 192.0.2.102:1000 -e -t 127.0.0.1:{imap}", 69,
	  "authenticate EXTERNAL FAILED" },
	{ "-s 192.0.2.103:1000 -e -c certuser 127.0.0.1:{imap}", 69,
	  "authenticate EXTERNAL FAILED" },
	{ "-p pop3 -e -c certuser -C 127.0.0.1:{pop3}", 0,
	  "authenticate EXTERNAL OK     +OK" },
	{ "-p submission -e -c certuser -C 127.0.0.1:{submission}", 0,
	  "authenticate EXTERNAL OK     235" },
	{ "-p sieve -e -c certuser -C 127.0.0.1:{sieve}", 0,
	  "authenticate EXTERNAL OK     OK" },
	{ "-T -e -c certuser -C 127.0.0.1:{imaps}", 0, "tls                   OK" },
	{ "-1 -s 192.0.2.7:1000 -d 192.0.2.8:143 127.0.0.1:{imap}", 0,
	  "header   OK     v1 PROXY" },
	{ "-L 127.0.0.1:{imap}", 0, "greeting OK     * OK" },
	{ "-s [2001:db8::1]:5000 -d [2001:db8::2]:143 -e -c certuser -C "
	  "127.0.0.1:{imap}", 0, "authenticate EXTERNAL OK" },
	{ "127.0.0.1:1", 69, "connect FAILED 127.0.0.1:1: Connection refused" },
	/* the largest verify result is sent as it is: not verified */
	{ "-s 192.0.2.104:1000 -e -c certuser -C -V 4294967295 "
	  "127.0.0.1:{imap}", 69, "authenticate EXTERNAL FAILED a NO" },
	/* the certificate itself in CLIENT_CERT: the username from it */
	{ "-e -C -F {dir}/certs/client.pem 127.0.0.1:{imap}", 0,
	  "authenticate EXTERNAL OK     a OK" },
	/* ... and from the CN too, with the certificate's CN */
	{ "-e -c certuser -C -F {dir}/certs/client.pem 127.0.0.1:{imap}", 0,
	  "authenticate EXTERNAL OK     a OK" },
	/* 16+12 address bytes, SSL TLV 3+5, VERSION 3+7, CN 3+1999 */
	{ "-c {x1999} -C 127.0.0.1:{imap}", 0, "v2 PROXY, 2048 bytes" },
	/* ... CN 3+65502: the largest header the protocol allows is sent,
	   whatever the plugin's maximum makes of it */
	{ "-s 192.0.2.108:1000 -c {x65502} -C 127.0.0.1:{imap}", 69,
	  "v2 PROXY, 65551 bytes" },
};

/* Options out of range: a usage error before anything is sent (the
   target is a real listener, so a header sent anyway shows up as steps
   on stdout and a different exit code) */
struct usage_case {
	const char *args;
	const char *error;
};

static const struct usage_case usage_cases[] = {
	/* would be sent as verify 0, i.e. verified */
	{ "-s 192.0.2.105:1000 -e -c certuser -C -V 4294967296 "
	  "127.0.0.1:{imap}", "Invalid -V '4294967296'" },
	{ "-s 192.0.2.106:1000 -e -c certuser -C -V -1 127.0.0.1:{imap}",
	  "Invalid -V '-1'" },
	{ "-s 192.0.2.107:1000 -e -c certuser -C -V 18x 127.0.0.1:{imap}",
	  "Invalid -V '18x'" },
	/* 16-bit TLV lengths would wrap */
	{ "-c {x65536} -C 127.0.0.1:{imap}", "-c is 65536 bytes" },
	{ "-a {x65536} 127.0.0.1:{imap}", "-a is 65536 bytes" },
	{ "-u {x65536} 127.0.0.1:{imap}", "-u is 65536 bytes" },
	/* more than the protocol's 65551 bytes, one byte over */
	{ "-c {x65503} -C 127.0.0.1:{imap}",
	  "v2 header is longer than the protocol's 65551 bytes" },
	{ "-k -a {x40000} -u {x30000} 127.0.0.1:{imap}",
	  "v2 header is longer than the protocol's 65551 bytes" },
	{ "-X 0xE2={x65535} -X 0xE3=x 127.0.0.1:{imap}",
	  "v2 header is longer than the protocol's 65551 bytes" },
	{ "-X 0xE2={x65536} 127.0.0.1:{imap}", "-X is 65536 bytes" },
	/* certificates, vendors and raw TLVs */
	{ "-F /nonexistent/cert.pem 127.0.0.1:{imap}",
	  "-F: open(/nonexistent/cert.pem) failed" },
	{ "-F {dir}/dovecot.conf 127.0.0.1:{imap}",
	  "dovecot.conf has no PEM or DER certificate" },
	{ "-F {dir}/certs/client.pem -z pem 127.0.0.1:{imap}",
	  "Unknown -z 'pem'" },
	{ "-F {dir}/certs/client.pem -y 0x20 127.0.0.1:{imap}",
	  "Invalid -y '0x20'" },
	{ "-F {dir}/certs/client.pem -y 256 127.0.0.1:{imap}",
	  "Invalid -y '256'" },
	{ "-y 0xE1 127.0.0.1:{imap}", "-y and -z need -F <file>" },
	{ "-1 -F {dir}/certs/client.pem 127.0.0.1:{imap}",
	  "v1 (-1) has no TLVs" },
	{ "-1 -A vpce-1 127.0.0.1:{imap}", "v1 (-1) has no TLVs" },
	{ "-Z 4294967296 127.0.0.1:{imap}", "Invalid -Z '4294967296'" },
	{ "-Z 0x1 127.0.0.1:{imap}", "Invalid -Z '0x1'" },
	{ "-G -1 127.0.0.1:{imap}", "Invalid -G '-1'" },
	{ "-G 18446744073709551616 127.0.0.1:{imap}",
	  "Invalid -G '18446744073709551616'" },
	{ "-X 0xE2 127.0.0.1:{imap}", "Invalid -X '0xE2'" },
	{ "-X 0x01=imap 127.0.0.1:{imap}", "Invalid -X '0x01=imap'" },
	{ "-H 0xE2=0g 127.0.0.1:{imap}", "Invalid -H '0xE2=0g'" },
	{ "-H 0xE2=012 127.0.0.1:{imap}", "Invalid -H '0xE2=012'" },
	{ "-s 192.0.2.1:65536 127.0.0.1:{imap}",
	  "Invalid source '192.0.2.1:65536'" },
	{ "-d 192.0.2.2:4294967439 127.0.0.1:{imap}",
	  "Invalid destination '192.0.2.2:4294967439'" },
	{ "127.0.0.1:65679", "Invalid HOST:PORT '127.0.0.1:65679'" },
};

static void test_usage_error(gconstpointer data)
{
	const struct usage_case *c = data;
	char *args = expand_args(c->args);
	char *cmd = g_strconcat("haproxy test ", args, NULL);
	char *out, *err;
	int ret = test_env_doveadm(cmd, NULL, &out, &err);

	if (ret != 64 || strstr(err, c->error) == NULL || out[0] != '\0') {
		g_error("doveadm haproxy test %.200s: exit %d, expected 64 "
			"with '%s':\n%.2000s%.2000s", c->args, ret, c->error,
			out, err);
	}
	g_free(out);
	g_free(err);
	g_free(cmd);
	g_free(args);
}

/* A listener that takes what `doveadm haproxy test` sends as HAProxy
   would: the header, kept for `doveadm haproxy decode`, answered with an
   IMAP greeting */
struct capture {
	int listen_fd;
	unsigned int port;
	GThread *thread;
	GByteArray *header;
};

static gpointer capture_thread(gpointer data)
{
	struct capture *c = data;
	struct pollfd pfd = { .fd = c->listen_fd, .events = POLLIN };
	unsigned char buf[4096];
	struct proxy_header hdr;
	const char *reason;
	size_t need;
	int fd;

	/* a usage error never connects */
	if (poll(&pfd, 1, 20000) <= 0)
		return NULL;
	if ((fd = accept(c->listen_fd, NULL, NULL)) < 0)
		return NULL;
	for (;;) {
		ssize_t ret = read(fd, buf, sizeof(buf));

		if (ret <= 0)
			break;
		g_byte_array_append(c->header, buf, ret);
		if (proxy_header_decode_max(c->header->data, c->header->len,
					    PROXY_HEADER_V2_MAX_SIZE, &hdr,
					    &need, &reason) !=
		    PROXY_HEADER_NEED_MORE)
			break;
	}
	if (write(fd, "* OK capture\r\n", 14) != 14)
		g_warning("capture: write() failed");
	close(fd);
	return NULL;
}

static void capture_start(struct capture *c)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
	} addr;
	socklen_t len = sizeof(addr.sin);
	int ret;

	memset(&addr, 0, sizeof(addr));
	addr.sin.sin_family = AF_INET;
	addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	g_assert_cmpint(c->listen_fd, >=, 0);
	ret = bind(c->listen_fd, &addr.sa, sizeof(addr.sin));
	g_assert_cmpint(ret, ==, 0);
	g_assert_cmpint(listen(c->listen_fd, 1), ==, 0);
	ret = getsockname(c->listen_fd, &addr.sa, &len);
	g_assert_cmpint(ret, ==, 0);
	c->port = ntohs(addr.sin.sin_port);
	c->header = g_byte_array_new();
	c->thread = g_thread_new("capture", capture_thread, c);
}

static void capture_finish(struct capture *c)
{
	g_thread_join(c->thread);
	close(c->listen_fd);
}

/* `doveadm haproxy test ARGS` to the capture listener: the header it sent,
   in a file named after the test */
static char *capture_header(const char *name, const char *test_args)
{
	struct capture c;
	char *args, *cmd, *out, *err, *path;
	int ret;

	capture_start(&c);
	args = expand_args(test_args);
	cmd = g_strdup_printf("haproxy test %s 127.0.0.1:%u", args, c.port);
	ret = test_env_doveadm(cmd, NULL, &out, &err);
	capture_finish(&c);
	if (ret != 0 || strstr(out, "greeting") == NULL)
		g_error("doveadm %.300s: exit %d:\n%.2000s%.2000s", cmd, ret,
			out, err);
	path = g_strdup_printf("%s/%s.bin", test_env_dir(), name);
	g_assert_true(g_file_set_contents(path, (const char *)c.header->data,
					  c.header->len, NULL));
	g_byte_array_unref(c.header);
	g_free(out);
	g_free(err);
	g_free(cmd);
	g_free(args);
	return path;
}

/* doveadm -f json haproxy decode ARGS PATH: its exit code and output */
static int decode_json(const char *decode_args, const char *path,
		       char **out_r, char **err_r)
{
	char *cmd = g_strdup_printf("-f json haproxy decode %s %s",
				    decode_args, path);
	int ret = test_env_doveadm(cmd, NULL, out_r, err_r);

	g_free(cmd);
	return ret;
}

static void assert_absent(const char *text, const char *needle)
{
	if (strstr(text, needle) != NULL)
		g_error("'%s' in:\n%s", needle, text);
}

/* The TLV of this type in a v2 header as it came */
static GBytes *header_tlv(const char *path, guint8 type)
{
	struct proxy_header hdr;
	struct proxy_header_tlv tlv;
	const char *reason;
	char *contents;
	gsize size, need;
	GBytes *value = NULL;

	g_assert_true(g_file_get_contents(path, &contents, &size, NULL));
	g_assert_cmpint(proxy_header_decode_max((const unsigned char *)contents,
						size, PROXY_HEADER_V2_MAX_SIZE,
						&hdr, &need, &reason), ==,
			PROXY_HEADER_COMPLETE);
	if (proxy_header_tlv_find(&hdr, type, &tlv, &reason) ==
	    PROXY_HEADER_FIND_FOUND)
		value = g_bytes_new(tlv.value.data, tlv.value.size);
	g_free(contents);
	return value;
}

/* certs/client.pem as DER, and what decode must say of it */
struct cert_expect {
	GBytes *der;
	char *serial, *fingerprint, *not_before, *not_after;
};

static char *asn1_time_iso(const ASN1_TIME *time)
{
	struct tm tm;
	char buf[32];

	g_assert_cmpint(ASN1_TIME_to_tm(time, &tm), ==, 1);
	g_assert_cmpint(strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm),
			>, 0);
	return g_strdup(buf);
}

static void cert_expect_init(struct cert_expect *e)
{
	X509 *cert = env_cert("client");

	e->der = g_byte_array_free_to_bytes(test_cert_der(cert));

	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = BN_bn2hex(bn);
	e->serial = g_strdup(hex);
	OPENSSL_free(hex);
	BN_free(bn);

	e->fingerprint = test_cert_sha256(cert);
	e->not_before = asn1_time_iso(X509_get0_notBefore(cert));
	e->not_after = asn1_time_iso(X509_get0_notAfter(cert));
	X509_free(cert);
}

static void cert_expect_free(struct cert_expect *e)
{
	g_bytes_unref(e->der);
	g_free(e->serial);
	g_free(e->fingerprint);
	g_free(e->not_before);
	g_free(e->not_after);
}

static void
assert_cert_columns(const char *out, const char *tlv, const char *encoding)
{
	struct cert_expect e;
	char *s;

	cert_expect_init(&e);
	s = g_strdup_printf("\"cert_tlv\":\"%s\"", tlv);
	assert_contains(out, s);
	g_free(s);
	s = g_strdup_printf("\"cert_encoding\":\"%s\"", encoding);
	assert_contains(out, s);
	g_free(s);
	assert_contains(out, "\"cert_subject\":\"");
	assert_contains(out, "CN=certuser");
	assert_contains(out, "\"cert_issuer\":\"");
	assert_contains(out, "CN=Test CA");
	s = g_strdup_printf("\"cert_serial\":\"%s\"", e.serial);
	assert_contains(out, s);
	g_free(s);
	s = g_strdup_printf("\"cert_fingerprint\":\"%s\"", e.fingerprint);
	assert_contains(out, s);
	g_free(s);
	s = g_strdup_printf("\"cert_not_before\":\"%s\"", e.not_before);
	assert_contains(out, s);
	g_free(s);
	s = g_strdup_printf("\"cert_not_after\":\"%s\"", e.not_after);
	assert_contains(out, s);
	g_free(s);
	assert_contains(out, "\"cert_error\":\"\"");
	cert_expect_free(&e);
}

struct cert_case {
	const char *name;
	/* haproxy test's options: the certificate file is {cert} */
	const char *test_args;
	const char *decode_args;
	const char *tlv, *encoding;
	/* the bytes of TLV cert_type as they must come: DER, upper-case
	   hex or base64 of client.pem's DER */
	guint8 cert_type;
};

static const struct cert_case cert_cases[] = {
	{ "client-cert-der", "-F {dir}/certs/client.pem -C", "", "0x28",
	  "der", 0 },
	{ "custom-hex", "-F {dir}/certs/client.pem -y 0xE1", "-y 0xE1",
	  "0xe1", "hex", 0xe1 },
	{ "custom-base64", "-F {dir}/certs/client.pem -y 0xE1 -z base64",
	  "-y 0xe1", "0xe1", "base64", 0xe1 },
	/* a DER file, sent as DER in a custom TLV */
	{ "custom-der", "-F {dir}/client.der -y 226 -z der",
	  "--cert-tlv 0xE2", "0xe2", "der", 0xe2 },
};

static void write_client_der(void)
{
	struct cert_expect e;
	char *path = g_strdup_printf("%s/client.der", test_env_dir());

	cert_expect_init(&e);
	g_assert_true(g_file_set_contents(path, g_bytes_get_data(e.der, NULL),
					  g_bytes_get_size(e.der), NULL));
	cert_expect_free(&e);
	g_free(path);
}

static void test_cert_round_trip(gconstpointer data)
{
	const struct cert_case *c = data;
	struct cert_expect e;
	char *path, *out, *err;
	int ret;

	write_client_der();
	path = capture_header(c->name, c->test_args);
	ret = decode_json(c->decode_args, path, &out, &err);
	if (ret != 0)
		g_error("decode %s: exit %d:\n%s%s", c->decode_args, ret, out,
			err);
	assert_cert_columns(out, c->tlv, c->encoding);
	g_free(out);
	g_free(err);

	cert_expect_init(&e);
	if (c->cert_type != 0) {
		GBytes *value = header_tlv(path, c->cert_type);
		gsize der_size;
		const guchar *der = g_bytes_get_data(e.der, &der_size);
		char *expected;

		g_assert_nonnull(value);
		if (strcmp(c->encoding, "hex") == 0) {
			expected = test_hex_encode(der, der_size, TRUE);
		} else if (strcmp(c->encoding, "base64") == 0) {
			expected = g_base64_encode(der, der_size);
		} else {
			expected = g_malloc(der_size + 1);
			memcpy(expected, der, der_size);
			expected[der_size] = '\0';
		}
		g_assert_cmpmem(g_bytes_get_data(value, NULL),
				g_bytes_get_size(value), expected,
				strcmp(c->encoding, "der") == 0 ? der_size :
				strlen(expected));
		g_free(expected);
		g_bytes_unref(value);

		/* without -y the custom TLV is nobody's certificate */
		ret = decode_json("", path, &out, &err);
		g_assert_cmpint(ret, ==, 0);
		assert_contains(out, "\"cert_tlv\":\"\"");
		assert_contains(out, "\"cert_subject\":\"\"");
		g_free(out);
		g_free(err);
	}
	cert_expect_free(&e);
	g_free(path);
}

/* A header the test builds itself: what `haproxy test` cannot send */
static char *write_header(const char *name, const struct proxy_header *hdr,
			  const struct proxy_header_raw_tlvs *raw)
{
	const char *reason;
	size_t size = proxy_header_encoded_size(hdr, raw, &reason);
	unsigned char *buf = g_malloc(size);
	char *path = g_strdup_printf("%s/%s.bin", test_env_dir(), name);

	g_assert_cmpuint(size, >, 0);
	g_assert_cmpuint(proxy_header_encode(hdr, raw, buf, size, &reason),
			 ==, size);
	g_assert_true(g_file_set_contents(path, (const char *)buf, size,
					  NULL));
	g_free(buf);
	return path;
}

static void tls_header_init(struct proxy_header *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = 2;
	hdr->command = PROXY_HEADER_CMD_PROXY;
	hdr->family = PROXY_HEADER_FAMILY_INET;
	hdr->transport = PROXY_HEADER_TRANSPORT_STREAM;
	memcpy(hdr->src.ip, "\xc0\x00\x02\x01", 4);
	memcpy(hdr->dst.ip, "\xc0\x00\x02\x02", 4);
	hdr->src.port = 54321;
	hdr->dst.port = 143;
	hdr->have_ssl = TRUE;
	hdr->ssl_client = PROXY_HEADER_CLIENT_SSL |
		PROXY_HEADER_CLIENT_CERT_CONN;
	hdr->ssl_version = proxy_header_str("TLSv1.3");
}

/* GROUP and SIG_SCHEME, and a CLIENT_CERT that is no certificate */
static void test_decode_ssl_group_bad_cert(void)
{
	struct proxy_header hdr;
	char *path, *out, *err;

	tls_header_init(&hdr);
	hdr.ssl_group = proxy_header_str("X25519MLKEM768");
	hdr.ssl_sig_scheme = proxy_header_str("ecdsa_secp256r1_sha256");
	hdr.ssl_client_cert = proxy_header_str("not a certificate");
	path = write_header("ssl-group-bad-cert", &hdr, NULL);
	g_assert_cmpint(decode_json("", path, &out, &err), ==, 65);
	assert_contains(out, "\"ssl_group\":\"X25519MLKEM768\"");
	assert_contains(out, "\"ssl_sig_scheme\":\"ecdsa_secp256r1_sha256\"");
	assert_contains(out, "\"cert_tlv\":\"0x28\"");
	assert_contains(out, "\"cert_subject\":\"\"");
	assert_absent(out, "\"cert_error\":\"\"");
	assert_contains(err, "Invalid certificate in TLV 0x28: ");
	g_free(out);
	g_free(err);
	g_free(path);
}

/* A certificate cut short in a custom TLV, as HAProxy's %[ssl_c_der]
   sends it: the error column, exit 65, the other columns all there */
static void test_decode_cut_cert(void)
{
	struct cert_expect e;
	gsize der_size;
	const guchar *der;
	char *hex, *args, *path, *out, *err;

	write_client_der();
	cert_expect_init(&e);
	der = g_bytes_get_data(e.der, &der_size);
	hex = test_hex_encode(der, der_size / 2, FALSE);
	args = g_strdup_printf("-H 0xE1=%s -c certuser -C", hex);
	path = capture_header("cut-cert", args);
	g_assert_cmpint(decode_json("-y 0xE1", path, &out, &err), ==, 65);
	assert_contains(out, "\"ssl_cn\":\"certuser\"");
	assert_contains(out, "\"cert_tlv\":\"0xe1\"");
	assert_contains(out, "\"cert_fingerprint\":\"\"");
	assert_absent(out, "\"cert_error\":\"\"");
	assert_contains(err, "Invalid certificate in TLV 0xe1: ");
	g_free(out);
	g_free(err);

	/* hex of garbage and base64 of garbage: errors as well */
	g_free(path);
	path = capture_header("garbage-cert", "-X 0xE1=ABCDEF");
	g_assert_cmpint(decode_json("-y 0xE1", path, &out, &err), ==, 65);
	assert_absent(out, "\"cert_error\":\"\"");
	g_free(out);
	g_free(err);
	/* ... and nobody's without -y */
	g_assert_cmpint(decode_json("", path, &out, &err), ==, 0);
	assert_contains(out, "\"cert_error\":\"\"");
	g_free(out);
	g_free(err);

	g_free(hex);
	g_free(args);
	g_free(path);
	cert_expect_free(&e);
}

static void test_decode_vendors(void)
{
	char *path, *out, *err;
	GBytes *value;

	path = capture_header("vendors",
		"-A vpce-0123456789abcdef0 -Z 67305985 "
		"-G 72623859790382856");
	/* the bytes as the load balancers send them */
	value = header_tlv(path, 0xEE);
	g_assert_cmpmem(g_bytes_get_data(value, NULL), g_bytes_get_size(value),
			"\x01\x01\x02\x03\x04", 5);
	g_bytes_unref(value);
	value = header_tlv(path, 0xE0);
	g_assert_cmpmem(g_bytes_get_data(value, NULL), g_bytes_get_size(value),
			"\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	g_bytes_unref(value);
	value = header_tlv(path, 0xEA);
	g_assert_cmpmem(g_bytes_get_data(value, NULL), g_bytes_get_size(value),
			"\x01vpce-0123456789abcdef0", 23);
	g_bytes_unref(value);

	/* the plugin's default: aws azure */
	g_assert_cmpint(decode_json("", path, &out, &err), ==, 0);
	assert_contains(out, "\"aws_vpce_id\":\"vpce-0123456789abcdef0\"");
	assert_contains(out, "\"azure_link_id\":\"67305985\"");
	assert_absent(out, "gcp_psc_id");
	assert_contains(out, "\"tlv_error\":\"\"");
	g_free(out);
	g_free(err);
	g_assert_cmpint(decode_json("-w 'aws azure gcp'", path, &out, &err),
			==, 0);
	assert_contains(out, "\"gcp_psc_id\":\"72623859790382856\"");
	assert_contains(out, "\"azure_link_id\":\"67305985\"");
	g_free(out);
	g_free(err);
	g_assert_cmpint(decode_json("-w none", path, &out, &err), ==, 0);
	assert_absent(out, "aws_vpce_id");
	assert_absent(out, "azure_link_id");
	assert_absent(out, "gcp_psc_id");
	g_free(out);
	g_free(err);
	g_assert_cmpint(decode_json("--vendor-tlvs gcp", path, &out, &err),
			==, 0);
	assert_absent(out, "aws_vpce_id");
	assert_contains(out, "\"gcp_psc_id\":\"72623859790382856\"");
	g_free(out);
	g_free(err);
	g_free(path);

	/* raw bytes: Azure's 01020304 little-endian, GCP's big-endian */
	path = capture_header("vendors-raw",
		"-H 0xEE=0101020304 -H 0xE0=0102030405060708");
	g_assert_cmpint(decode_json("-w azure,gcp", path, &out, &err), ==, 0);
	assert_contains(out, "\"azure_link_id\":\"67305985\"");
	assert_contains(out, "\"gcp_psc_id\":\"72623859790382856\"");
	g_free(out);
	g_free(err);
	g_free(path);

	/* an invalid vendor TLV: the error column and exit 65, only for a
	   vendor asked for */
	path = capture_header("vendors-invalid",
		"-H 0xEE=010102 -H 0xE0=01 -A vpce-1");
	g_assert_cmpint(decode_json("", path, &out, &err), ==, 65);
	assert_contains(out, "\"aws_vpce_id\":\"vpce-1\"");
	assert_contains(out, "\"azure_link_id\":\"\"");
	assert_contains(out, "\"tlv_error\":\"azure_link_id: Azure link id "
			"is not 4 bytes long\"");
	assert_contains(err, "Invalid TLV: azure_link_id: ");
	g_free(out);
	g_free(err);
	g_assert_cmpint(decode_json("-w gcp", path, &out, &err), ==, 65);
	assert_contains(out, "\"tlv_error\":\"gcp_psc_id: GCP PSC connection "
			"id is not 8 bytes long\"");
	g_free(out);
	g_free(err);
	g_assert_cmpint(decode_json("-w aws", path, &out, &err), ==, 0);
	g_free(out);
	g_free(err);
	g_free(path);
}

static void test_decode_custom(void)
{
	char *path, *out, *err;

	path = capture_header("custom",
		"-X 0xE2=acme -H 0xE3=00ff -X 0xE4='eu west'");
	g_assert_cmpint(decode_json("-n '0xE2:tenant 0xE3:region'", path,
				    &out, &err), ==, 0);
	assert_contains(out, "\"x_tenant\":\"acme\"");
	assert_contains(out, "\"x_region\":\"00ff\"");
	assert_absent(out, "x_zone");
	g_free(out);
	g_free(err);
	/* one -n each, a name for an absent type, printable with a space */
	g_assert_cmpint(decode_json("-n 0xE4:zone -n 229:absent -n 0xe2:t",
				    path, &out, &err), ==, 0);
	assert_contains(out, "\"x_zone\":\"eu west\"");
	assert_contains(out, "\"x_absent\":\"\"");
	assert_contains(out, "\"x_t\":\"acme\"");
	g_free(out);
	g_free(err);
	g_free(path);

	/* twice the same type: which one? */
	path = capture_header("custom-twice", "-X 0xE2=a -X 0xE2=b");
	g_assert_cmpint(decode_json("-n 0xE2:tenant", path, &out, &err), ==,
			65);
	assert_contains(out, "\"x_tenant\":\"\"");
	assert_contains(out, "\"tlv_error\":\"x_tenant: more than one TLV of "
			"the type\"");
	g_free(out);
	g_free(err);
	g_free(path);
}

/* Larger than the plugin's default maximum: decode takes up to the
   protocol's 65551 bytes, as binary and as hex */
static void test_decode_large(void)
{
	char *path, *hex_path, *out, *err, *contents;
	gsize size;

	path = capture_header("large", "-X 0xE2={x65400} -c certuser -C");
	g_assert_cmpint(decode_json("-n 0xE2:big", path, &out, &err), ==, 0);
	/* 16+12 address bytes, the custom TLV 3+65400, SSL 3+5, VERSION
	   3+7, CN 3+8 */
	assert_contains(out, "\"length\":\"65460\"");
	assert_contains(out, "\"x_big\":\"xxxxxxxx");
	g_free(out);
	g_free(err);

	g_assert_true(g_file_get_contents(path, &contents, &size, NULL));
	GString *hex = g_string_new(NULL);
	for (gsize i = 0; i < size; i++)
		g_string_append_printf(hex, "%02x%s", (guint8)contents[i],
				       i % 16 == 15 ? "\n" : ":");
	hex_path = g_strdup_printf("%s/large.hex", test_env_dir());
	g_assert_true(g_file_set_contents(hex_path, hex->str, -1, NULL));
	g_assert_cmpint(test_env_doveadm("-f tab haproxy decode -x", hex_path,
					 &out, &err), ==, 0);
	assert_contains(out, "\t65460\t");
	g_free(out);
	g_free(err);
	g_string_free(hex, TRUE);
	g_free(contents);
	g_free(hex_path);
	g_free(path);
}

struct decode_usage_case {
	const char *args;
	const char *error;
};

/* parsed as the plugin's settings of the same meaning, with their
   messages */
static const struct decode_usage_case decode_usage_cases[] = {
	{ "-y 0x20", "haproxy_tlv_cert_tlv: Invalid value '0x20'" },
	{ "-y 0xE1x", "haproxy_tlv_cert_tlv: Invalid value '0xE1x'" },
	{ "-y 300", "haproxy_tlv_cert_tlv: Invalid value '300'" },
	{ "-w aws,ibm", "haproxy_tlv_vendor_tlvs: Unknown vendor 'ibm'" },
	{ "-n 0xE2", "haproxy_tlv_custom: Invalid entry '0xE2'" },
	{ "-n 0xE2:", "haproxy_tlv_custom: Invalid entry '0xE2:'" },
	{ "-n 0x05:id", "haproxy_tlv_custom: Invalid entry '0x05:id'" },
	{ "-n 0xE2:a-b", "haproxy_tlv_custom: Invalid entry '0xE2:a-b'" },
	{ "-y 0xF0", "haproxy_tlv_cert_tlv: Invalid value '0xF0'" },
	{ "-n 0xF0:x", "haproxy_tlv_custom: Invalid entry '0xF0:x'" },
	{ "-n 0xE2:Tenant", "haproxy_tlv_custom: Invalid entry '0xE2:Tenant'" },
	{ "-n 0xE2:{x33}", "haproxy_tlv_custom: Invalid entry '0xE2:xxx" },
	{ "-y 0xE0 -w gcp", "haproxy_tlv_cert_tlv: Type 0xE0 is also "
	  "haproxy_tlv_vendor_tlvs gcp's" },
	{ "-n 0xEA:vpce", "haproxy_tlv_custom: Type 0xEA of 'vpce' is also "
	  "haproxy_tlv_vendor_tlvs aws" },
	{ "-y 0xE1 -n 0xE1:cert", "haproxy_tlv_custom: Type 0xE1 of 'cert' "
	  "is also haproxy_tlv_cert_tlv" },
	{ "-n '0xE2:a 0xE2:b'", "haproxy_tlv_custom: '0xE2:b' repeats the "
	  "type or the name of another entry" },
	{ "-n 0xE2:a -n 0xE3:a", "haproxy_tlv_custom: '0xE3:a' repeats the "
	  "type or the name of another entry" },
};

static void test_decode_usage_error(gconstpointer data)
{
	const struct decode_usage_case *c = data;
	char *bin = g_strdup_printf("%s/v2-all-options.bin", FIXTURE_DIR);
	char *args = expand_args(c->args);
	/* the default formatter: -f json prints [] even for nothing */
	char *cmd = g_strdup_printf("haproxy decode %s %s", args, bin);
	char *out, *err;
	int ret = test_env_doveadm(cmd, NULL, &out, &err);

	if (ret != 64 || strstr(err, c->error) == NULL || out[0] != '\0') {
		g_error("doveadm haproxy decode %s: exit %d, expected 64 "
			"with '%s':\n%s%s", c->args, ret, c->error, out, err);
	}
	g_free(out);
	g_free(err);
	g_free(cmd);
	g_free(args);
	g_free(bin);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(decode_cases); i++) {
		char *path = g_strdup_printf("/doveadm/decode/%s",
					     decode_cases[i].fixture);
		g_test_add_data_func(path, &decode_cases[i],
				     test_decode_fixture);
		g_free(path);
	}
	g_test_add_func("/doveadm/decode-hex-stdin", test_decode_hex_stdin);
	g_test_add_func("/doveadm/decode-invalid", test_decode_invalid);
	g_test_add_func("/doveadm/decode-fifo", test_decode_fifo);
	g_test_add_data_func("/doveadm/decode-pipe/dev-stdin", "/dev/stdin",
			     test_decode_pipe);
	g_test_add_data_func("/doveadm/decode-pipe/dash", "-",
			     test_decode_pipe);
	g_test_add_func("/doveadm/decode-missing-file",
			test_decode_missing_file);
	g_test_add_func("/doveadm/check", test_check);
	g_test_add_data_func("/doveadm/check-config-path/space",
			     "conf dir", test_check_config_path);
	/* each would be interpreted by a shell */
	g_test_add_data_func("/doveadm/check-config-path/metacharacters",
			     "it's;$HOME`true`*", test_check_config_path);
	g_test_add_func("/doveadm/check-doveconf-fails",
			test_check_doveconf_fails);
	g_test_add_func("/doveadm/usage", test_usage);
	for (size_t i = 0; i < G_N_ELEMENTS(cert_cases); i++) {
		char *path = g_strdup_printf("/doveadm/cert/%s",
					     cert_cases[i].name);
		g_test_add_data_func(path, &cert_cases[i],
				     test_cert_round_trip);
		g_free(path);
	}
	g_test_add_func("/doveadm/decode-ssl-group-bad-cert",
			test_decode_ssl_group_bad_cert);
	g_test_add_func("/doveadm/decode-cut-cert", test_decode_cut_cert);
	g_test_add_func("/doveadm/decode-vendors", test_decode_vendors);
	g_test_add_func("/doveadm/decode-custom", test_decode_custom);
	g_test_add_func("/doveadm/decode-large", test_decode_large);
	for (size_t i = 0; i < G_N_ELEMENTS(decode_usage_cases); i++) {
		char *path = g_strdup_printf("/doveadm/decode-usage/%zu", i);
		g_test_add_data_func(path, &decode_usage_cases[i],
				     test_decode_usage_error);
		g_free(path);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(live_cases); i++) {
		char *path = g_strdup_printf("/doveadm/test/%zu", i);
		g_test_add_data_func(path, &live_cases[i], test_live);
		g_free(path);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(usage_cases); i++) {
		char *path = g_strdup_printf("/doveadm/test-usage/%zu", i);
		g_test_add_data_func(path, &usage_cases[i], test_usage_error);
		g_free(path);
	}

	test_env_start();
	ret = g_test_run();
	test_env_stop();
	return ret;
}
