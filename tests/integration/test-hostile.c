/* Hostile headers against the real login process: each closes only its
   own connection, with one log line naming the reason; the process keeps
   serving valid clients, nobody is authenticated, nothing crashes, and
   the process's open file descriptors return to their baseline. */

#include <dirent.h>
#include <string.h>

#include "malformed-cases.h"
#include "test-protocol.h"

static unsigned int count_fds(unsigned int pid)
{
	char *path = g_strdup_printf("/proc/%u/fd", pid);
	GDir *dir = g_dir_open(path, 0, NULL);
	unsigned int count = 0;

	g_assert_nonnull(dir);
	while (g_dir_read_name(dir) != NULL)
		count++;
	g_dir_close(dir);
	g_free(path);
	return count;
}

static unsigned int count_lines(const char *text, const char *needle)
{
	unsigned int count = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		count++;
	return count;
}

static void valid_client_served(void)
{
	char *reply = external_through(HAPROXY_POP3_TLS, PROTO_POP3, "client");

	g_assert_true(auth_succeeded(reply, PROTO_POP3));
	g_free(reply);
}

static void test_hostile_header(gconstpointer data)
{
	const struct malformed_case *c = data;
	GByteArray *bytes = malformed_case_bytes(c);
	gsize mark = test_log_mark();

	/* closed, and not one byte of greeting */
	assert_header_closed(DOVECOT_POP3, bytes);
	g_byte_array_unref(bytes);

	char *line = test_log_wait(mark, "pop3-login: Error: haproxy-tlv: rip="
				   TEST_PROXY_IP ": Invalid PROXY header, "
				   "connection closed: ", c->reason, NULL);
	if (line == NULL)
		g_error("no log line with the reason '%s'", c->reason);
	g_free(line);
	/* one line, and no second one still on its way */
	(void)pop3_login_logged_all();
	g_assert_cmpuint(test_log_wait_count(mark, 1, "Invalid PROXY header",
					     NULL), ==, 1);
}

static void test_after_corpus(void)
{
	gsize mark = test_log_mark();

	valid_client_served();
	assert_log(mark, "pop3-login: Info: Login: user=<certuser>", NULL, NULL);

	char *log = test_log_since(0);
	g_assert_null(strstr(log, "Panic"));
	g_assert_null(strstr(log, "Fatal"));
	g_assert_null(strstr(log, "rip=10.0.0.2"));
	/* the only logins are the valid clients' */
	g_assert_cmpuint(count_lines(log, test_log_needle("Login: user=")), ==,
			 count_lines(log, test_log_needle(
				"Login: user=<certuser>, method=EXTERNAL, rip="
				TEST_CLIENT_IP ",")));
	g_free(log);
}

static unsigned int baseline_fds;

/* pop3-login closes a client's fd right after logging its last line
   (Login or Disconnected): once a later client is logged, the earlier
   one's fd is closed. Only that later client's own fd may still be open
   for an instant after its line. */
static unsigned int fds_after_clients_done(void)
{
	(void)pop3_login_logged_all();
	return count_fds(pop3_login_pid());
}

static void test_baseline(void)
{
	valid_client_served();
	baseline_fds = fds_after_clients_done();
}

/* Every hostile connection's fd is closed: none is left above the
   baseline (which may itself count the marker client's fd) */
static void test_fds_back_to_baseline(void)
{
	unsigned int fds = fds_after_clients_done();

	for (unsigned int i = 0; i < 100 * test_guard_factor() &&
	     fds > baseline_fds; i++) {
		g_usleep(100 * 1000);
		fds = count_fds(pop3_login_pid());
	}
	g_assert_cmpuint(fds, <=, baseline_fds);
}

static unsigned int rss_kib(unsigned int pid)
{
	char *path = g_strdup_printf("/proc/%u/status", pid);
	char *contents, *line;
	unsigned int kib = 0;

	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	line = strstr(contents, "VmRSS:");
	g_assert_nonnull(line);
	kib = (unsigned int)g_ascii_strtoull(line + 6, NULL, 10);
	g_free(contents);
	g_free(path);
	return kib;
}

/* The corpus has run once (the process is warm): running it again must
   not grow the process, or each rejected connection leaks */
static void test_memory_stable(void)
{
	unsigned int pid, before, after;

	if (test_env_sanitized()) {
		/* freed memory waits in ASan's quarantine, and its shadow
		   memory grows with the heap */
		g_test_skip("pop3-login's RSS grows under AddressSanitizer");
		return;
	}
	if (test_env_valgrind()) {
		/* freed blocks wait in valgrind's free list (--freelist-vol,
		   20 MB) before their memory is used again */
		g_test_skip("pop3-login's RSS grows under valgrind");
		return;
	}
	pid = pop3_login_pid();
	before = rss_kib(pid);

	for (unsigned int i = 0; i < malformed_cases_count; i++)
		test_hostile_header(&malformed_cases[i]);
	valid_client_served();
	after = rss_kib(pid);
	g_test_message("pop3-login RSS %u KiB before, %u KiB after %u more "
		       "hostile connections", before, after,
		       malformed_cases_count);
	g_assert_cmpuint(after, <=, before + 64);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hostile/0-baseline", test_baseline);
	g_assert_cmpuint(malformed_cases_count, >=, 50);
	for (unsigned int i = 0; i < malformed_cases_count; i++) {
		char *path = g_strdup_printf("/hostile/1-corpus/%s",
					     malformed_cases[i].name);
		g_test_add_data_func(path, &malformed_cases[i],
				     test_hostile_header);
		g_free(path);
	}
	g_test_add_func("/hostile/2-served-after", test_after_corpus);
	g_test_add_func("/hostile/3-fds", test_fds_back_to_baseline);
	g_test_add_func("/hostile/4-memory", test_memory_stable);

	test_env_start();
	ret = g_test_run();
	test_env_stop();
	return ret;
}
