/* The real doveadm binary with `doveadm haproxy` from the build tree,
   against the test Dovecot's configuration. */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
	assert_contains(err, "decode       [-x] [<file>]");
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
   N 'x' */
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
	/* 16+12 address bytes, SSL TLV 3+5, VERSION 3+7, CN 3+1999: the
	   largest header the decoder accepts */
	{ "-c {x1999} -C 127.0.0.1:{imap}", 0, "v2 PROXY, 2048 bytes" },
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
	/* more than the decoder's cap, one byte over */
	{ "-c {x2000} -C 127.0.0.1:{imap}", "2049 bytes" },
	{ "-k -a {x1100} -u {x1000} 127.0.0.1:{imap}", "2141 bytes" },
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
