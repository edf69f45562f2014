/* Load against pop3-login with service_count = 0 (one process for all):
   1000 concurrent connections trickling their header a byte at a time,
   slow ones that never finish, and 10000 sequential connections. */

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test-protocol.h"
#include "test-util.h"

#define CONCURRENT_CLIENTS 1000
#define STALLED_CLIENTS 20
#define SEQUENTIAL_CLIENTS 10000
/* Long enough for 1000 trickled headers on a busy 2-core machine (they
   take about 1 s on an idle one; 10 s were too short with two other
   suites and three builds running at once), short of the tests' 20 s
   read guard */
#define LOAD_HAPROXY_TIMEOUT_SECS "18"
#define STALLED_TIMEOUT_LINE \
	"pop3-login: Error: haproxy-tlv: rip=" TEST_PROXY_IP ": Timed out " \
	"after " LOAD_HAPROXY_TIMEOUT_SECS " secs waiting for the PROXY " \
	"header (10 bytes received)"

/* from 192.0.2.77, built in main() */
static GByteArray *header;

static void raise_fd_limit(void)
{
	struct rlimit rl;

	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
	if (rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &rl), ==, 0);
	}
	g_assert_cmpuint(rl.rlim_cur, >, CONCURRENT_CLIENTS + 100);
}

static gboolean greeted_and_quit(struct test_client *client)
{
	char *line = test_client_read_line(client);
	gboolean ok = line != NULL && g_str_has_prefix(line, "+OK");

	g_free(line);
	if (!ok)
		return FALSE;
	test_client_send(client, "QUIT");
	line = test_client_read_line(client);
	ok = line != NULL && g_str_has_prefix(line, "+OK");
	g_free(line);
	return ok;
}

static void test_concurrent_trickle(void)
{
	struct test_client **clients =
		g_new0(struct test_client *, CONCURRENT_CLIENTS);
	struct test_client *stalled[STALLED_CLIENTS];
	gsize mark = test_log_mark();
	unsigned int served = 0;

	raise_fd_limit();
	for (unsigned int i = 0; i < STALLED_CLIENTS; i++) {
		stalled[i] = connect_dovecot_as_proxy(DOVECOT_POP3);
		test_client_send_raw(stalled[i], header->data, 10);
	}
	for (unsigned int i = 0; i < CONCURRENT_CLIENTS; i++)
		clients[i] = connect_dovecot_as_proxy(DOVECOT_POP3);
	/* one byte per client per round: every header is pending in the
	   same process at once */
	for (size_t b = 0; b < header->len; b++) {
		for (unsigned int i = 0; i < CONCURRENT_CLIENTS; i++)
			test_client_send_raw(clients[i], header->data + b, 1);
		g_usleep(20 * 1000);
	}
	for (unsigned int i = 0; i < CONCURRENT_CLIENTS; i++) {
		if (greeted_and_quit(clients[i]))
			served++;
		test_client_free(clients[i]);
	}
	g_assert_cmpuint(served, ==, CONCURRENT_CLIENTS);

	/* the stalled ones are dropped at haproxy_timeout */
	for (unsigned int i = 0; i < STALLED_CLIENTS; i++) {
		g_assert_true(test_client_wait_closed(stalled[i]));
		test_client_free(stalled[i]);
	}
	/* pop3-login is one process for all these clients and writes its
	   lines in order: once the stalled clients' timeouts are all in,
	   so is everything it logged before them, and no client is left
	   to time out later */
	g_assert_cmpuint(test_log_wait_count(mark, STALLED_CLIENTS,
					     STALLED_TIMEOUT_LINE, NULL), ==,
			 STALLED_CLIENTS);
	g_assert_cmpuint(test_log_wait_count(mark, STALLED_CLIENTS,
					     "Timed out after", NULL), ==,
			 STALLED_CLIENTS);
	char *since = test_log_since(mark);
	g_assert_null(strstr(since, "Fatal"));
	g_assert_null(strstr(since, "Panic"));
	g_free(since);
	g_free(clients);
}

static void test_sequential(void)
{
	unsigned int served = 0;

	for (unsigned int i = 0; i < SEQUENTIAL_CLIENTS; i++) {
		struct test_client *client =
			send_header_bytes(DOVECOT_POP3, header);

		if (greeted_and_quit(client))
			served++;
		test_client_free(client);
	}
	g_assert_cmpuint(served, ==, SEQUENTIAL_CLIENTS);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	header = test_v2_tcp4_header("192.0.2.77", 54321, "127.0.0.1", 110);
	g_test_add_func("/load/concurrent-trickle", test_concurrent_trickle);
	g_test_add_func("/load/sequential", test_sequential);

	test_env_start_with("haproxy_timeout = " LOAD_HAPROXY_TIMEOUT_SECS " s\n");
	ret = g_test_run();
	test_env_stop();
	g_byte_array_unref(header);
	return ret;
}
