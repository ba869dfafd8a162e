/*
 * strata-fetch: an HTTP/1.1 client whose TCP/IP stack is a strata kernel
 * in this process, on a TAP device (virtif) or a shared-memory bus
 * (shmif): the counterpart of strata-httpd, for tests and benchmarks.
 *
 *   strata-fetch --if tap:NAME|shmif:PATH --addr ADDR/PREFIX [--gw GW]
 *       [-o FILE] [--stats] URL...
 *
 * Each URL (http://ADDR[:PORT]/PATH, numeric IPv4 addresses only: the
 * kernel has no resolver) is fetched with GET over one persistent
 * connection per server, the bodies written one after the other.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rump_netconfig.h>

#define BUFSZ		65536
#define CONNECT_TRIES	30	/* a second apart: ARP, a peer still booting */

static const char *progname = "strata-fetch";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: %s --if tap:NAME|shmif:PATH --addr ADDR/PREFIX [--gw GATEWAY]\n"
"           [-o FILE] [--stats] URL...\n"
"\n"
"Fetches each URL (http://IPv4[:PORT]/PATH) with HTTP/1.1 GET through a\n"
"strata kernel's TCP/IP stack in this process and writes the bodies to\n"
"standard output or FILE.\n"
"\n"
"  --if tap:NAME     the host TAP device NAME\n"
"  --if shmif:PATH   the shared-memory bus in the file PATH\n"
"  --addr A/P        the interface's IPv4 address and prefix length\n"
"  --gw GATEWAY      a default route through GATEWAY\n"
"  -o FILE           write the bodies to FILE\n"
"  --stats           print bytes, seconds and MB/s of the bodies on\n"
"                    standard error\n"
"  --help            this text\n"
"\n"
"Exit status 0 when every URL answered 200 with its whole body, 1 otherwise.\n",
	    progname);
}

static void __attribute__((__noreturn__, __format__(__printf__, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
net_setup(const char *ifspec, const char *addrspec, const char *gw)
{
	const char *type, *arg, *slash;
	char addr[INET_ADDRSTRLEN], ifname[16], *end;
	struct in_addr ia;
	long prefix;
	int error;

	if (strncmp(ifspec, "tap:", 4) == 0) {
		type = "virtif";
		arg = ifspec + 4;
	} else if (strncmp(ifspec, "shmif:", 6) == 0) {
		type = "shmif";
		arg = ifspec + 6;
	} else
		die("--if %s: expected tap:NAME or shmif:PATH", ifspec);
	if (*arg == '\0')
		die("--if %s: the name or path is missing", ifspec);
	slash = strchr(addrspec, '/');
	if (slash == NULL || (size_t)(slash - addrspec) >= sizeof(addr))
		die("--addr %s: expected ADDR/PREFIX", addrspec);
	memcpy(addr, addrspec, (size_t)(slash - addrspec));
	addr[slash - addrspec] = '\0';
	prefix = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, addr, &ia) != 1 || slash[1] == '\0' ||
	    *end != '\0' || prefix < 0 || prefix > 32)
		die("--addr %s: expected an IPv4 address and a prefix length "
		    "0..32", addrspec);
	if (gw != NULL && inet_pton(AF_INET, gw, &ia) != 1)
		die("--gw %s: not an IPv4 address", gw);
	if ((error = rump_init()) != 0)
		die("the kernel did not boot: %s", strerror(error));
	if ((error = rump_netconfig_ifcreate(type, arg, ifname,
	    sizeof(ifname))) != 0)
		die("--if %s: %s", ifspec, strerror(error));
	if ((error = rump_netconfig_ipv4_addr_add(ifname, addr,
	    (int)prefix)) != 0)
		die("--addr %s: %s", addrspec, strerror(error));
	if ((error = rump_netconfig_ifup(ifname)) != 0)
		die("%s: cannot bring it up: %s", ifname, strerror(error));
	if (gw != NULL && (error = rump_netconfig_ipv4_gw(gw)) != 0)
		die("--gw %s: %s", gw, strerror(error));
}

struct url {
	char	host[INET_ADDRSTRLEN];
	int	port;
	const char *path;
};

static bool
parse_url(const char *s, struct url *u)
{
	const char *h = s + 7, *e;
	size_t n;
	struct in_addr ia;

	if (strncasecmp(s, "http://", 7) != 0)
		return false;
	e = h + strcspn(h, ":/");
	n = (size_t)(e - h);
	if (n == 0 || n >= sizeof(u->host))
		return false;
	memcpy(u->host, h, n);
	u->host[n] = '\0';
	if (inet_pton(AF_INET, u->host, &ia) != 1)
		return false;
	u->port = 80;
	if (*e == ':') {
		char *pe;
		long p = strtol(e + 1, &pe, 10);

		if (pe == e + 1 || p < 1 || p > 65535 ||
		    (*pe != '/' && *pe != '\0'))
			return false;
		u->port = (int)p;
		e = pe;
	}
	u->path = *e == '/' ? e : "/";
	return true;
}

static int
connect_to(const struct url *u)
{
	struct sockaddr_in sin;
	int fd, i, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)u->port);
	inet_pton(AF_INET, u->host, &sin.sin_addr);
	for (i = 0; i < CONNECT_TRIES; i++) {
		if ((fd = rump_sys_socket(AF_INET, SOCK_STREAM, 0)) == -1)
			die("socket: %s", strerror(errno));
		if (rump_sys_connect(fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == 0) {
			rump_sys_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			return fd;
		}
		fprintf(stderr, "%s: connect %s:%d: %s%s\n", progname,
		    u->host, u->port, strerror(errno),
		    i + 1 < CONNECT_TRIES ? ", trying again" : "");
		rump_sys_close(fd);
		if (errno != ECONNREFUSED && errno != ETIMEDOUT &&
		    errno != EHOSTUNREACH)
			break;
		struct timespec ts = { 1, 0 };
		rump_sys_nanosleep(&ts, NULL);
	}
	return -1;
}

/* The connection's read buffer: bytes at buf[off..len). */
struct rd {
	int	fd;
	char	buf[BUFSZ];
	size_t	off, len;
};

static ssize_t
rd_fill(struct rd *r)
{
	ssize_t n;

	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
	}
	/* One byte stays free for the NUL that ends a head. */
	if (r->len >= sizeof(r->buf) - 1)
		return -1;
	n = rump_sys_recv(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len,
	    0);
	if (n > 0)
		r->len += (size_t)n;
	return n;
}

/*
 * One GET on r's connection: writes the body to out, adds its length to
 * *bytes.  Returns 0, or -1 with a message printed; *keep says whether the
 * connection can be used again.
 */
static int
get(struct rd *r, const struct url *u, FILE *out, uint64_t *bytes,
    bool *keep)
{
	char req[4096], *hend, *p;
	unsigned long long clen = 0;
	bool have_len = false;
	int status;
	size_t hlen;

	*keep = false;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "User-Agent: strata-fetch\r\n\r\n", u->path, u->host, u->port);
	for (size_t off = 0, len = strlen(req); off < len; ) {
		ssize_t n = rump_sys_send(r->fd, req + off, len - off,
		    MSG_NOSIGNAL);
		if (n <= 0) {
			fprintf(stderr, "%s: send: %s\n", progname,
			    strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	for (;;) {
		r->buf[r->len] = '\0';
		if (r->len > r->off &&
		    (hend = strstr(r->buf + r->off, "\r\n\r\n")) != NULL)
			break;
		if (rd_fill(r) <= 0) {
			fprintf(stderr, "%s: %s: no complete response head\n",
			    progname, u->path);
			return -1;
		}
	}
	*hend = '\0';
	hlen = (size_t)(hend - (r->buf + r->off)) + 4;
	p = r->buf + r->off;
	if (sscanf(p, "HTTP/1.%*d %d", &status) != 1) {
		fprintf(stderr, "%s: %s: not an HTTP response\n", progname,
		    u->path);
		return -1;
	}
	*keep = true;
	for (char *line = strstr(p, "\r\n"); line != NULL;
	    line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "Content-Length:", 15) == 0) {
			clen = strtoull(line + 17, NULL, 10);
			have_len = true;
		} else if (strncasecmp(line + 2, "Connection:", 11) == 0 &&
		    strcasestr(line + 13, "close") != NULL)
			*keep = false;
	}
	r->off += hlen;
	if (!have_len)
		*keep = false;
	/* Body: Content-Length bytes, or up to the end of the stream. */
	for (uint64_t got = 0; !have_len || got < clen; ) {
		size_t avail = r->len - r->off;

		if (have_len && avail > clen - got)
			avail = (size_t)(clen - got);
		if (avail > 0) {
			if (status == 200 &&
			    fwrite(r->buf + r->off, 1, avail, out) != avail)
				die("write: %s", strerror(errno));
			r->off += avail;
			got += avail;
			*bytes += status == 200 ? avail : 0;
			continue;
		}
		r->off = r->len = 0;
		ssize_t n = rd_fill(r);
		if (n == 0 && !have_len)
			break;
		if (n <= 0) {
			fprintf(stderr, "%s: %s: body cut short at %llu of "
			    "%llu bytes\n", progname, u->path,
			    (unsigned long long)got, clen);
			*keep = false;
			return -1;
		}
	}
	if (status != 200) {
		fprintf(stderr, "%s: %s: status %d\n", progname, u->path,
		    status);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *ifspec = NULL, *addrspec = NULL, *gw = NULL,
	    *outpath = NULL;
	static struct rd r;
	struct url u, cur;
	uint64_t bytes = 0;
	bool stats = false, keep = false;
	double t0, t;
	FILE *out = stdout;
	int i, first, failed = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--stats") == 0)
			stats = true;
		else if (strcmp(a, "--if") == 0 || strcmp(a, "--addr") == 0 ||
		    strcmp(a, "--gw") == 0 || strcmp(a, "-o") == 0) {
			if (i + 1 >= argc)
				die("%s needs a value (--help)", a);
			const char *v = argv[++i];

			if (a[1] == 'o')
				outpath = v;
			else if (a[2] == 'i')
				ifspec = v;
			else if (a[2] == 'a')
				addrspec = v;
			else
				gw = v;
		} else if (a[0] == '-')
			die("unknown option %s (--help)", a);
		else
			break;
	}
	first = i;
	if (ifspec == NULL || addrspec == NULL || first >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = first; i < argc; i++)
		if (!parse_url(argv[i], &u))
			die("%s: expected http://IPv4[:PORT]/PATH", argv[i]);
	if (outpath != NULL && (out = fopen(outpath, "w")) == NULL)
		die("%s: %s", outpath, strerror(errno));
	net_setup(ifspec, addrspec, gw);

	r.fd = -1;
	memset(&cur, 0, sizeof(cur));
	t0 = now_s();
	for (i = first; i < argc; i++) {
		parse_url(argv[i], &u);
		if (r.fd != -1 && (!keep || strcmp(u.host, cur.host) != 0 ||
		    u.port != cur.port)) {
			rump_sys_close(r.fd);
			r.fd = -1;
		}
		if (r.fd == -1) {
			r.off = r.len = 0;
			if ((r.fd = connect_to(&u)) == -1) {
				failed = 1;
				continue;
			}
			cur = u;
		}
		if (get(&r, &u, out, &bytes, &keep) != 0)
			failed = 1;
	}
	t = now_s() - t0;
	if (r.fd != -1)
		rump_sys_close(r.fd);
	if (fflush(out) != 0 || (out != stdout && fclose(out) != 0))
		die("%s: %s", outpath != NULL ? outpath : "stdout",
		    strerror(errno));
	if (stats)
		fprintf(stderr, "%llu bytes in %.3f s: %.1f MB/s\n",
		    (unsigned long long)bytes, t, t > 0 ? bytes / t / 1e6 : 0);
	return failed;
}
