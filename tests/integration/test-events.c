/* The plugin's named debug events reach whatever asks for them. The
   plugin builds them only when a debug log filter, a core log filter or a
   metric could want one (haproxy_tlv_debug_possible()): here no log_debug
   is set, so only the metrics below ask, and they must still count every
   header and every client. */

#include <stdlib.h>
#include <string.h>

#include "test-protocol.h"

static const char events_conf[] =
	"metric haproxy_headers {\n"
	"  filter = event=haproxy_tlv_header_received\n"
	"}\n"
	"metric haproxy_client_headers {\n"
	"  filter = event=haproxy_tlv_client_header\n"
	"}\n";

#define LOGINS 3
#define STATS_POLL_MSECS 100
#define STATS_POLL_GUARD_MSECS 20000

/* The metric's count in `doveadm stats dump`, -1 if it is not there */
static long metric_count(const char *metric)
{
	char *out = NULL, *err = NULL;
	long count = -1;

	g_assert_cmpint(test_env_doveadm("stats dump", NULL, &out, &err), ==, 0);
	char **lines = g_strsplit(out, "\n", -1);
	for (char **line = lines; *line != NULL; line++) {
		char **cols = g_strsplit(*line, "\t", -1);

		if (cols[0] != NULL && strcmp(cols[0], metric) == 0 &&
		    cols[1] != NULL && cols[2] != NULL)
			count = strtol(cols[2], NULL, 10);
		g_strfreev(cols);
	}
	g_strfreev(lines);
	g_free(out);
	g_free(err);
	return count;
}

/* Login processes send their events to stats on their own time: wait
   until the metric has counted at least min, within the guard */
static long metric_wait(const char *metric, long min)
{
	unsigned int waited = 0;
	long count;

	while ((count = metric_count(metric)) < min &&
	       waited < STATS_POLL_GUARD_MSECS * test_guard_factor()) {
		g_usleep(STATS_POLL_MSECS * 1000);
		waited += STATS_POLL_MSECS;
	}
	return count;
}

static void test_metrics_count(void)
{
	long headers = metric_count("haproxy_headers");
	long clients = metric_count("haproxy_client_headers");

	g_assert_cmpint(headers, >=, 0);
	g_assert_cmpint(clients, >=, 0);
	for (unsigned int i = 0; i < LOGINS; i++) {
		char *reply = external_through(HAPROXY_POP3_TLS, PROTO_POP3,
					       "client");

		g_assert_true(auth_succeeded(reply, PROTO_POP3));
		g_free(reply);
	}
	/* HAProxy's health checks send headers too: at least one each */
	g_assert_cmpint(metric_wait("haproxy_headers", headers + LOGINS),
			>=, headers + LOGINS);
	g_assert_cmpint(metric_wait("haproxy_client_headers", clients + LOGINS),
			>=, clients + LOGINS);
}

int main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/events/metrics-count", test_metrics_count);

	test_env_start_with(events_conf);
	ret = g_test_run();
	test_env_stop();
	return ret;
}
