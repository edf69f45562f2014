/* End-to-end load client for pop3-login: CONCURRENCY threads each loop
   connect, [PROXY v2 header], greeting, [AUTH EXTERNAL], QUIT for SECONDS,
   then print connections per second and the p50/p99 latency from connect
   to greeting.
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
	if (connect(fd, &addr.sa, sizeof(addr.sin)) < 0)
		goto out;
	if (mode != MODE_NONE &&
	    send(fd, header, header_size, MSG_NOSIGNAL) != (ssize_t)header_size)
		goto out;
	if (read_line(fd, line, sizeof(line)) < 0 || strncmp(line, "+OK", 3) != 0)
		goto out;
	*latency_r = now() - start;
	if (mode == MODE_EXTERNAL) {
		static const char auth[] = "AUTH EXTERNAL =\r\n";
		if (send(fd, auth, sizeof(auth) - 1, MSG_NOSIGNAL) < 0 ||
		    read_line(fd, line, sizeof(line)) < 0 ||
		    strncmp(line, "+OK", 3) != 0)
			goto out;
	}
	static const char quit[] = "QUIT\r\n";
	if (send(fd, quit, sizeof(quit) - 1, MSG_NOSIGNAL) < 0 ||
	    read_line(fd, line, sizeof(line)) < 0)
		goto out;
	ret = 0;
out:
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
		if (ret < 0)
			failures++;
		else if (sample_count < MAX_SAMPLES)
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
	printf("connections=%zu failures=%zu per_sec=%.1f p50_us=%.1f p99_us=%.1f\n",
	       sample_count, failures, sample_count / elapsed,
	       sample_count == 0 ? 0 : samples[sample_count / 2] * 1e6,
	       sample_count == 0 ? 0 : samples[sample_count * 99 / 100] * 1e6);
	return failures == 0 ? 0 : 1;
}
