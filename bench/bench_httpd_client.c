/*
 * bench_httpd_client: an HTTP/1.1 load client on the host's sockets for
 * bench_kvm_httpd.sh.  It requests PATH from ADDR:PORT N times, one
 * request at a time, over one persistent connection (or a new connection
 * per request with --new), reads each response whole (Content-Length),
 * and prints
 *
 *   RESULT rps <requests per second>
 *
 * It fails (exit 1) on a refused or short response or a status other
 * than 200, so that a wrong server cannot look fast.  Every read and
 * connect is bounded by a 10 s timeout.
 *
 *   bench_httpd_client [--new] ADDR PORT PATH N
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in sin;

static void __attribute__((__noreturn__))
fail(const char *what)
{

	fprintf(stderr, "bench_httpd_client: %s: %s\n", what,
	    errno != 0 ? strerror(errno) : "unexpected response");
	exit(1);
}

static int
dial(void)
{
	struct timeval tv = { 10, 0 };
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fail("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		fail("connect");
	return fd;
}

/* One request and its whole response on fd. */
static void
request(int fd, const char *req, size_t reqlen)
{
	static char buf[65536];
	size_t have = 0, body, need;
	char *end, *cl;
	ssize_t n;

	if (write(fd, req, reqlen) != (ssize_t)reqlen)
		fail("write");
	for (;;) {
		errno = 0;
		if ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) <= 0)
			fail("read");
		have += (size_t)n;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (have == sizeof(buf) - 1)
			fail("response head");
	}
	errno = 0;
	if (strncmp(buf, "HTTP/1.1 200 ", 13) != 0 ||
	    (cl = strcasestr(buf, "\r\nContent-Length:")) == NULL || cl > end)
		fail("response");
	body = strtoul(cl + 17, NULL, 10);
	need = (size_t)(end + 4 - buf) + body;
	while (have < need) {
		size_t want = need - have < sizeof(buf) ? need - have :
		    sizeof(buf);

		errno = 0;
		if ((n = read(fd, buf, want)) <= 0)
			fail("read body");
		have += (size_t)n;
	}
	if (have != need)
		fail("pipelined bytes");
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	char req[1024];
	int fresh = 0, fd = -1, reqlen;
	long i, n;
	double s;

	if (argc > 1 && strcmp(argv[1], "--new") == 0) {
		fresh = 1;
		argc--;
		argv++;
	}
	if (argc != 5 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
		    "usage: bench_httpd_client [--new] ADDR PORT PATH N\n");
		return argc == 2 ? 0 : 2;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "bench_httpd_client: %s: not an IPv4 address\n",
		    argv[1]);
		return 2;
	}
	n = atol(argv[4]);
	reqlen = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "%s\r\n", argv[3], argv[1], fresh ? "Connection: close\r\n" : "");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if (fd == -1)
			fd = dial();
		request(fd, req, (size_t)reqlen);
		if (fresh) {
			close(fd);
			fd = -1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (fd != -1)
		close(fd);
	s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("RESULT rps %.1f\n", n / s);
	return 0;
}
