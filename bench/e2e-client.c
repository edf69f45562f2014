/* End-to-end load client for pop3-login: CONCURRENCY threads each loop
   connect, [PROXY v2 header], greeting, [AUTH EXTERNAL], QUIT for SECONDS,
   then print connections per second and the p50/p99 latency from connect
   to greeting, the run's length and its failures; the first failure's
   reason goes to stderr.
   Usage: e2e-client PORT none|header|external CONCURRENCY SECONDS */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proxy-header-encode.h"

#define MAX_SAMPLES 2000000

enum mode { MODE_NONE, MODE_HEADER, MODE_EXTERNAL };

static unsigned int port;
static enum mode mode;
static double end_time;
static unsigned char header[128];
static size_t header_size;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double *samples;
static size_t sample_count, failures;
static char first_failure[160];
static __thread const char *failure_reason;
static __thread char failure_line[120];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* From 192.0.2.99:54321 to 127.0.0.1:110, with TLS and a verified client
   certificate whose CN is certuser */
static void build_header(void)
{
	static const unsigned char src[4] = { 192, 0, 2, 99 };
	static const unsigned char dst[4] = { 127, 0, 0, 1 };
	struct proxy_header hdr;
	const char *reason;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = 2;
	hdr.command = PROXY_HEADER_CMD_PROXY;
	hdr.family = PROXY_HEADER_FAMILY_INET;
	hdr.transport = PROXY_HEADER_TRANSPORT_STREAM;
	memcpy(hdr.src.ip, src, sizeof(src));
	memcpy(hdr.dst.ip, dst, sizeof(dst));
	hdr.src.port = 54321;
	hdr.dst.port = 110;
	hdr.have_ssl = true;
	hdr.ssl_client = PROXY_HEADER_CLIENT_SSL |
		PROXY_HEADER_CLIENT_CERT_CONN | PROXY_HEADER_CLIENT_CERT_SESS;
	hdr.ssl_version = proxy_header_str("TLSv1.3");
	hdr.ssl_cn = proxy_header_str("certuser");
	header_size = proxy_header_encode(&hdr, NULL, header, sizeof(header),
					  &reason);
	if (header_size == 0) {
		fprintf(stderr, "PROXY header: %s\n", reason);
		exit(2);
	}
}

/* Read one line; returns 0 on success */
static int read_line(int fd, char *buf, size_t size)
{
	size_t used = 0;

	while (used + 1 < size) {
		ssize_t ret = recv(fd, buf + used, 1, 0);

		if (ret <= 0)
			return -1;
		if (buf[used++] == '\n') {
			buf[used] = '\0';
			return 0;
		}
	}
	return -1;
}

static int one_connection(double *latency_r)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
	} addr;
	char line[1024];
	int fd, one = 1, ret = -1;
	double start = now();

	memset(&addr, 0, sizeof(addr));
	addr.sin.sin_family = AF_INET;
	addr.sin.sin_port = htons(port);
	addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	line[0] = '\0';
	failure_reason = "connect";
	if (connect(fd, &addr.sa, sizeof(addr.sin)) < 0)
		goto out;
	failure_reason = "sending the header";
	if (mode != MODE_NONE &&
	    send(fd, header, header_size, MSG_NOSIGNAL) != (ssize_t)header_size)
		goto out;
	failure_reason = "greeting";
	if (read_line(fd, line, sizeof(line)) < 0 || strncmp(line, "+OK", 3) != 0)
		goto out;
	*latency_r = now() - start;
	if (mode == MODE_EXTERNAL) {
		static const char auth[] = "AUTH EXTERNAL =\r\n";
		line[0] = '\0';
		failure_reason = "AUTH EXTERNAL";
		if (send(fd, auth, sizeof(auth) - 1, MSG_NOSIGNAL) < 0 ||
		    read_line(fd, line, sizeof(line)) < 0 ||
		    strncmp(line, "+OK", 3) != 0)
			goto out;
	}
	static const char quit[] = "QUIT\r\n";
	line[0] = '\0';
	failure_reason = "QUIT";
	if (send(fd, quit, sizeof(quit) - 1, MSG_NOSIGNAL) < 0 ||
	    read_line(fd, line, sizeof(line)) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		line[strcspn(line, "\r\n")] = '\0';
		snprintf(failure_line, sizeof(failure_line), "%s: %s",
			 failure_reason,
			 line[0] != '\0' ? line : "no answer (connection closed)");
	}
	close(fd);
	return ret;
}

static void *worker(void *context)
{
	double latency;

	(void)context;
	while (now() < end_time) {
		int ret = one_connection(&latency);

		pthread_mutex_lock(&lock);
		if (ret < 0) {
			if (failures++ == 0)
				snprintf(first_failure, sizeof(first_failure),
					 "%s", failure_line);
		} else if (sample_count < MAX_SAMPLES)
			samples[sample_count++] = latency;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned int concurrency, seconds;
	pthread_t *threads;
	double start;

	if (argc != 5) {
		fprintf(stderr, "usage: %s PORT none|header|external "
			"CONCURRENCY SECONDS\n", argv[0]);
		return 2;
	}
	port = (unsigned int)atoi(argv[1]);
	mode = strcmp(argv[2], "none") == 0 ? MODE_NONE :
		strcmp(argv[2], "header") == 0 ? MODE_HEADER : MODE_EXTERNAL;
	concurrency = (unsigned int)atoi(argv[3]);
	seconds = (unsigned int)atoi(argv[4]);
	build_header();
	samples = calloc(MAX_SAMPLES, sizeof(double));
	threads = calloc(concurrency, sizeof(pthread_t));

	start = now();
	end_time = start + seconds;
	for (unsigned int i = 0; i < concurrency; i++)
		pthread_create(&threads[i], NULL, worker, NULL);
	for (unsigned int i = 0; i < concurrency; i++)
		pthread_join(threads[i], NULL);
	double elapsed = now() - start;

	qsort(samples, sample_count, sizeof(double), cmp_double);
	if (failures > 0)
		fprintf(stderr, "first failure: %s\n", first_failure);
	printf("connections=%zu failures=%zu seconds=%.2f per_sec=%.1f "
	       "p50_us=%.1f p99_us=%.1f\n",
	       sample_count, failures, elapsed, sample_count / elapsed,
	       sample_count == 0 ? 0 : samples[sample_count / 2] * 1e6,
	       sample_count == 0 ? 0 : samples[sample_count * 99 / 100] * 1e6);
	return failures == 0 ? 0 : 1;
}
