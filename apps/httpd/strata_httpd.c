/*
 * strata-httpd: a small HTTP/1.1 static-file server whose TCP/IP stack is
 * a strata kernel in this process, on a TAP device (virtif) or a
 * shared-memory bus (shmif).
 *
 *   strata-httpd --if tap:NAME|virtif:NAME|shmif:PATH --addr ADDR/PREFIX|--dhcp
 *       [--gw GW] [--port N] [--image FILE[:TYPE]] [--requests N] DIR
 *
 * One thread runs an event loop over the kernel's poll(): the same
 * program works on the posix and fiber platforms.  Files are read from
 * the host directory DIR, opened one path component at a time with
 * O_NOFOLLOW below DIR, and ".." is refused, so no request reaches a file
 * outside DIR (symbolic links are not served).  GET and HEAD; keep-alive
 * (HTTP/1.1 by default, HTTP/1.0 on request) with pipelining; errors 400,
 * 404, 405, 501, 505.
 *
 * With --image, the files come from a file system image (ext2, vfat)
 * that the kernel mounts read-only, through the kernel's VFS: that is how
 * the program serves files as a kvm unikernel (strata-bake it; there is
 * no host there, the image is a virtio disk), and the same code path
 * runs on the host platforms.  --requests N ends it cleanly (exit 0)
 * after N responses, once their clients have closed the connections (or
 * they idled out), which tests and benchmarks use.
 *
 * Built only from installed layers:
 *   cc strata_httpd.c $(pkg-config --cflags --libs rumpnet_netinet \
 *       rumpnet_virtif rumpnet_shmif rumpuser-posix)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
#include <rump/rump_etfs.h>

#define MAXCONN		256
#define REQMAX		8192		/* request line and headers */
#define OUTMAX		65536		/* response buffer */
#define IDLE_MS		30000		/* keep-alive connections idle longer close */

struct conn {
	int	 fd;			/* kernel socket, -1: free slot */
	char	 in[REQMAX];
	size_t	 inlen;
	uint64_t discard;		/* request body bytes still to skip */
	char	*out;
	size_t	 outoff, outlen;	/* pending bytes out[outoff..outlen) */
	int	 file;			/* host file being sent, or -1 */
	uint64_t fileleft;
	bool	 keepalive;		/* after this response */
	bool	 closing;		/* close once out is sent */
	bool	 shut;			/* sent all, FIN sent: wait for the peer's */
	uint64_t lastactive;		/* ms */
};

static const char *progname = "strata-httpd";
static int rootfd;
static bool verbose;
static struct conn conns[MAXCONN];

/*
 * Where the served files are: the host's file system, or the kernel's
 * (--image).  The kernel speaks the host's (Linux) system call ABI, so
 * both take the same flags and fill the same struct stat.
 */
struct fileops {
	int	(*openat)(int, const char *, int, ...);
	int	(*open)(const char *, int, ...);
	int	(*fstat)(int, struct stat *);
	ssize_t	(*read)(int, void *, size_t);
	int	(*close)(int);
	int	(*dup)(int);
};
static const struct fileops host_files = {
	openat, open, fstat, read, close, dup,
};
static const struct fileops kernel_files = {
	rump_sys_openat, rump_sys_open, rump_sys_fstat, rump_sys_read,
	rump_sys_close, rump_sys_dup,
};
static const struct fileops *files = &host_files;
static unsigned long responses;		/* begun so far */

#define IMAGE_DIR	"/image"	/* --image's mount point in the kernel */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: %s --if tap:NAME|virtif:NAME|shmif:PATH --addr ADDR/PREFIX|--dhcp\n"
"           [--gw GATEWAY] [--port N] [--image FILE[:TYPE]] [--requests N]\n"
"           [--verbose] DIR\n"
"\n"
"Serves the files below the host directory DIR over HTTP/1.1 (GET, HEAD,\n"
"keep-alive) with a strata kernel's TCP/IP stack in this process.\n"
"\n"
"  --if tap:NAME     the host TAP device NAME (created if it does not exist\n"
"                    and the process may create it)\n"
"  --if virtif:NAME  the platform's network device NAME: a TAP device on\n"
"                    the host platforms, virtio0... in a kvm image\n"
"  --if shmif:PATH   the shared-memory bus in the file PATH\n"
"  --addr A/P        the interface's IPv4 address and prefix length\n"
"  --dhcp            ask a DHCP server for the address, its prefix and the\n"
"                    default route instead (gives up after 30 s); the\n"
"                    kernel keeps the lease, and prints a \"dhcp: ...\"\n"
"                    line when it is renewed, rebound, ends or changes\n"
"  --gw GATEWAY      a default route through GATEWAY\n"
"  --port N          the TCP port (default 80)\n"
"  --image FILE[:TYPE]  serve from the file system image FILE (TYPE ext2,\n"
"                    the default, or vfat), mounted read-only in the\n"
"                    kernel: DIR is then a directory inside it.  In a kvm\n"
"                    image FILE is a disk (/dev/vda, or the name of the\n"
"                    file strata-boot -d attached)\n"
"  --requests N      after N responses, close and exit with status 0\n"
"  --verbose         one line per request on standard output\n"
"  --help            this text\n"
"\n"
"Once it serves, it prints \"serving DIR on http://ADDR:PORT/\" and runs until\n"
"killed (or until --requests are answered).\n", progname);
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

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- Files -------------------------------------------------------------- */

/* Decodes %XX escapes in place; false for a bad escape or a NUL. */
static bool
pct_decode(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		if (*s == '%') {
			if (!isxdigit((unsigned char)s[1]) ||
			    !isxdigit((unsigned char)s[2]))
				return false;
			char hex[3] = { s[1], s[2], '\0' };
			*d = (char)strtol(hex, NULL, 16);
			if (*d == '\0')
				return false;
			d++;
			s += 2;
		} else
			*d++ = *s;
	}
	*d = '\0';
	return true;
}

/*
 * Opens the file path names below DIR: each component with O_NOFOLLOW
 * from the directory before it, "." skipped, ".." refused, a directory
 * served as its index.html.  Returns the descriptor or -1 (404).
 */
static int
open_below_root(char *path, struct stat *st, bool *indexp)
{
	char *comp, *save = NULL;
	int dfd, fd;

	dfd = files->dup(rootfd);
	if (dfd == -1)
		return -1;
	for (comp = strtok_r(path, "/", &save); comp != NULL;
	    comp = strtok_r(NULL, "/", &save)) {
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			files->close(dfd);
			return -1;
		}
		fd = files->openat(dfd, comp, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | O_NONBLOCK);
		files->close(dfd);
		if (fd == -1)
			return -1;
		dfd = fd;
	}
	if (files->fstat(dfd, st) == -1) {
		files->close(dfd);
		return -1;
	}
	*indexp = S_ISDIR(st->st_mode);
	if (S_ISDIR(st->st_mode)) {
		fd = files->openat(dfd, "index.html", O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | O_NONBLOCK);
		files->close(dfd);
		if (fd == -1 || files->fstat(fd, st) == -1) {
			if (fd != -1)
				files->close(fd);
			return -1;
		}
		dfd = fd;
	}
	if (!S_ISREG(st->st_mode)) {
		files->close(dfd);
		return -1;
	}
	return dfd;
}

static const char *
content_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "css", "text/css" },
		{ "js", "text/javascript" },
		{ "json", "application/json" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "svg", "image/svg+xml" },
		{ "pdf", "application/pdf" },
	};
	const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

	if (dot != NULL && (slash == NULL || dot > slash))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* --- Connections --------------------------------------------------------- */

static void
conn_close(struct conn *c)
{

	rump_sys_close(c->fd);
	if (c->file != -1)
		files->close(c->file);
	c->fd = -1;
	c->file = -1;
}

/* Appends formatted text to the response buffer (headers). */
static void __attribute__((__format__(__printf__, 2, 3)))
out_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->out + c->outlen, OUTMAX - c->outlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->outlen += (size_t)n < OUTMAX - c->outlen ? (size_t)n :
		    OUTMAX - c->outlen - 1;
}

static const char *
status_text(int status)
{

	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default:  return "Error";
	}
}

static void
respond_error(struct conn *c, int status, bool head)
{
	char body[128];
	int n;

	responses++;
	n = snprintf(body, sizeof(body), "%d %s\n", status,
	    status_text(status));
	out_printf(c, "HTTP/1.1 %d %s\r\nServer: strata-httpd\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\n", status, status_text(status), n);
	if (status == 405)
		out_printf(c, "Allow: GET, HEAD\r\n");
	out_printf(c, "Connection: %s\r\n\r\n",
	    c->keepalive ? "keep-alive" : "close");
	if (!head)
		out_printf(c, "%s", body);
}

/* Finds header name (case-insensitive) among the lines at hdrs; its
 * value, trimmed, into val.  False if absent. */
static bool
header_get(const char *hdrs, const char *name, char *val, size_t vallen)
{
	size_t nlen = strlen(name);
	const char *p = hdrs, *e, *v;

	while (*p != '\0') {
		e = strstr(p, "\r\n");
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) > nlen && strncasecmp(p, name, nlen) == 0 &&
		    p[nlen] == ':') {
			for (v = p + nlen + 1; v < e && (*v == ' ' ||
			    *v == '\t'); v++)
				continue;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			snprintf(val, vallen, "%.*s", (int)(e - v), v);
			return true;
		}
		p = *e != '\0' ? e + 2 : e;
	}
	return false;
}

static bool
is_token(const char *s)
{

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) &&
		    strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return false;
	return true;
}

/*
 * Handles the request whose head (request line and headers, without the
 * empty line) is req: queues the response head, and the file to send.
 */
static void
handle_request(struct conn *c, char *req)
{
	char *line_end, *method, *target, *version, *hdrs, *q, *sp;
	char val[256], pathbuf[REQMAX];
	bool head = false, http11, isindex = false;
	struct stat st;
	int fd;

	line_end = strstr(req, "\r\n");
	if (line_end != NULL) {
		*line_end = '\0';
		hdrs = line_end + 2;
	} else
		hdrs = req + strlen(req);
	/* request-line = method SP request-target SP HTTP-version */
	method = req;
	if ((sp = strchr(method, ' ')) == NULL)
		goto bad;
	*sp = '\0';
	target = sp + 1;
	if ((sp = strchr(target, ' ')) == NULL)
		goto bad;
	*sp = '\0';
	version = sp + 1;
	if (!is_token(method) || *target == '\0' ||
	    strncmp(version, "HTTP/", 5) != 0 ||
	    !isdigit((unsigned char)version[5]) || version[6] != '.' ||
	    !isdigit((unsigned char)version[7]) || version[8] != '\0')
		goto bad;
	if (version[5] != '1') {
		c->keepalive = false;
		respond_error(c, 505, false);
		return;
	}
	http11 = version[7] != '0';
	c->keepalive = http11;
	if (header_get(hdrs, "Connection", val, sizeof(val))) {
		if (strcasestr(val, "close") != NULL)
			c->keepalive = false;
		else if (strcasestr(val, "keep-alive") != NULL)
			c->keepalive = true;
	}
	/* A body we do not read would be taken for the next request. */
	if (header_get(hdrs, "Transfer-Encoding", val, sizeof(val))) {
		c->keepalive = false;
		respond_error(c, 501, false);
		return;
	}
	if (header_get(hdrs, "Content-Length", val, sizeof(val))) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(val, &end, 10);
		if (!isdigit((unsigned char)val[0]) || *end != '\0' ||
		    errno != 0)
			goto bad;
		c->discard = n;
	}
	if (http11 && !header_get(hdrs, "Host", val, sizeof(val)))
		goto bad;	/* RFC 9112, 3.2 */
	head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		respond_error(c, 405, false);
		return;
	}
	/* origin-form "/path?query", or absolute-form "http://host/path". */
	if (strncasecmp(target, "http://", 7) == 0) {
		target = strchr(target + 7, '/');
		if (target == NULL)
			target = "/";
	}
	if (target[0] != '/')
		goto bad;
	snprintf(pathbuf, sizeof(pathbuf), "%s", target);
	if ((q = strpbrk(pathbuf, "?#")) != NULL)
		*q = '\0';
	if (!pct_decode(pathbuf))
		goto bad;
	if (verbose)
		printf("%s %s\n", method, pathbuf);
	{
		char copy[REQMAX];

		snprintf(copy, sizeof(copy), "%s", pathbuf);
		fd = open_below_root(copy, &st, &isindex);
	}
	if (fd == -1) {
		respond_error(c, 404, head);
		return;
	}
	responses++;
	out_printf(c, "HTTP/1.1 200 OK\r\nServer: strata-httpd\r\n"
	    "Content-Type: %s\r\nContent-Length: %llu\r\n"
	    "Connection: %s\r\n\r\n",
	    content_type(isindex ? "index.html" : pathbuf),
	    (unsigned long long)st.st_size,
	    c->keepalive ? "keep-alive" : "close");
	if (head || st.st_size == 0) {
		files->close(fd);
		return;
	}
	c->file = fd;
	c->fileleft = (uint64_t)st.st_size;
	return;

bad:
	c->keepalive = false;
	respond_error(c, 400, head);
}

/* Parses what has arrived: starts a response when a whole request head
 * is there.  Only one response is in flight per connection. */
static void
conn_parse(struct conn *c)
{
	char *end;
	size_t used;

	if (c->discard > 0) {
		size_t n = c->inlen < c->discard ? c->inlen : (size_t)c->discard;

		memmove(c->in, c->in + n, c->inlen - n);
		c->inlen -= n;
		c->discard -= n;
		if (c->discard > 0)
			return;
	}
	if (c->outlen > 0 || c->file != -1 || c->closing)
		return;
	/* Empty lines before a request are allowed (RFC 9112, 2.2). */
	while (c->inlen >= 2 && c->in[0] == '\r' && c->in[1] == '\n') {
		memmove(c->in, c->in + 2, c->inlen - 2);
		c->inlen -= 2;
	}
	c->in[c->inlen] = '\0';
	if (memchr(c->in, '\0', c->inlen) != NULL) {
		c->keepalive = false;
		respond_error(c, 400, false);
		c->closing = true;
		return;
	}
	end = strstr(c->in, "\r\n\r\n");
	if (end == NULL) {
		if (c->inlen >= REQMAX - 1) {
			/* A head that does not fit. */
			c->keepalive = false;
			respond_error(c, 400, false);
			c->closing = true;
		}
		return;
	}
	*end = '\0';
	used = (size_t)(end - c->in) + 4;
	c->keepalive = false;
	handle_request(c, c->in);
	if (!c->keepalive)
		c->closing = true;
	memmove(c->in, c->in + used, c->inlen - used);
	c->inlen -= used;
	if (c->discard > 0)
		conn_parse(c);
}

/*
 * Sends what is pending, refilling from the file; false when the
 * connection is finished with (closed).
 */
static bool
conn_send(struct conn *c)
{
	ssize_t n;

	for (;;) {
		if (c->outoff == c->outlen && c->file != -1) {
			size_t want = c->fileleft < OUTMAX ? (size_t)c->fileleft :
			    OUTMAX;

			n = files->read(c->file, c->out, want);
			if (n <= 0) {
				/* The file shrank or failed: the promised
				 * length cannot be kept, so end the
				 * connection. */
				conn_close(c);
				return false;
			}
			c->outoff = 0;
			c->outlen = (size_t)n;
			c->fileleft -= (uint64_t)n;
			if (c->fileleft == 0) {
				files->close(c->file);
				c->file = -1;
			}
		}
		if (c->outoff == c->outlen)
			break;
		n = rump_sys_send(c->fd, c->out + c->outoff,
		    c->outlen - c->outoff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				return true;
			conn_close(c);
			return false;
		}
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	if (c->closing) {
		/* Our FIN goes after the data; the connection is closed
		 * when the peer's arrives, so that what the peer still
		 * sends cannot make our kernel answer with a reset that
		 * overtakes the response. */
		if (rump_sys_shutdown(c->fd, SHUT_WR) == -1) {
			conn_close(c);
			return false;
		}
		c->shut = true;
		return false;
	}
	return true;
}

/* Answers the requests that have arrived, one after the other, until
 * one waits for the peer to read or for more of its request. */
static void
conn_run(struct conn *c)
{

	for (;;) {
		conn_parse(c);
		if (c->outlen == 0 && c->file == -1)
			return;
		if (!conn_send(c))
			return;
		if (c->outlen > 0 || c->file != -1)
			return;
	}
}

static void
conn_recv(struct conn *c)
{
	ssize_t n;

	n = rump_sys_recv(c->fd, c->in + c->inlen, REQMAX - 1 - c->inlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		conn_close(c);
		return;
	}
	if (n > 0) {
		if (!c->shut)
			c->inlen += (size_t)n;
		c->lastactive = now_ms();
	}
}

/* --- Setup -------------------------------------------------------------- */

struct netspec {
	const char	*type, *arg;		/* cloner and its argument */
	char		 addr[INET_ADDRSTRLEN];
	int		 prefix;
	const char	*gw;
	bool		 dhcp;		/* addr comes from a DHCP lease */
};

/* Checks the network options before anything is set up. */
static void
net_parse(const char *ifspec, const char *addrspec, const char *gw,
    struct netspec *ns)
{
	const char *slash;
	char *end;
	long prefix;
	struct in_addr ia;

	if (strncmp(ifspec, "tap:", 4) == 0) {
		ns->type = "virtif";
		ns->arg = ifspec + 4;
	} else if (strncmp(ifspec, "virtif:", 7) == 0) {
		ns->type = "virtif";
		ns->arg = ifspec + 7;
	} else if (strncmp(ifspec, "shmif:", 6) == 0) {
		ns->type = "shmif";
		ns->arg = ifspec + 6;
	} else
		die("--if %s: expected tap:NAME, virtif:NAME or shmif:PATH",
		    ifspec);
	if (*ns->arg == '\0')
		die("--if %s: the name or path is missing", ifspec);
	ns->gw = gw;
	if (gw != NULL && inet_pton(AF_INET, gw, &ia) != 1)
		die("--gw %s: not an IPv4 address", gw);
	if (addrspec == NULL) {
		ns->dhcp = true;
		return;
	}
	ns->dhcp = false;
	slash = strchr(addrspec, '/');
	if (slash == NULL || (size_t)(slash - addrspec) >= INET_ADDRSTRLEN)
		die("--addr %s: expected ADDR/PREFIX", addrspec);
	memcpy(ns->addr, addrspec, (size_t)(slash - addrspec));
	ns->addr[slash - addrspec] = '\0';
	prefix = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, ns->addr, &ia) != 1 || slash[1] == '\0' ||
	    *end != '\0' || prefix < 0 || prefix > 32)
		die("--addr %s: expected an IPv4 address and a prefix length "
		    "0..32", addrspec);
	ns->prefix = (int)prefix;
}

static void
net_setup(struct netspec *ns, const char *ifspec, char *ifname)
{
	struct rump_dhcp_lease lease;
	int error;

	if ((error = rump_init()) != 0)
		die("the kernel did not boot: %s", strerror(error));
	if ((error = rump_netconfig_ifcreate(ns->type, ns->arg, ifname,
	    16)) != 0)
		die("--if %s: %s%s", ifspec, strerror(error),
		    error == EPERM && *ns->type == 'v' ? " (a TAP device needs "
		    "CAP_NET_ADMIN to be made, or to be made for this user "
		    "with `ip tuntap add mode tap user USER`)" : "");
	if (!ns->dhcp && (error = rump_netconfig_ipv4_addr_add(ifname,
	    ns->addr, ns->prefix)) != 0)
		die("--addr %s/%d: %s", ns->addr, ns->prefix, strerror(error));
	if ((error = rump_netconfig_ifup(ifname)) != 0)
		die("%s: cannot bring it up: %s", ifname, strerror(error));
	if (ns->dhcp) {
		if ((error = rump_netconfig_dhcp(ifname, 30000, &lease)) != 0)
			die("--dhcp: no lease on %s: %s", ifname,
			    strerror(error));
		snprintf(ns->addr, sizeof(ns->addr), "%s", lease.addr);
		ns->prefix = lease.prefixlen;
		printf("leased %s/%d from %s (router %s, %u s)\n", lease.addr,
		    lease.prefixlen, lease.server,
		    lease.router[0] != '\0' ? lease.router : "none",
		    (unsigned)lease.lease_s);
	}
	if (ns->gw != NULL && (error = rump_netconfig_ipv4_gw(ns->gw)) != 0)
		die("--gw %s: %s", ns->gw, strerror(error));
}

/*
 * --image FILE[:TYPE]: the kernel reads FILE as a block device (a host
 * file, or in a kvm image the disk by that name), mounts it read-only on
 * IMAGE_DIR, and the files served are those below IMAGE_DIR/DIR.
 */
static void
mount_image(const char *spec, const char *dir)
{
	char file[PATH_MAX], path[PATH_MAX + 16];
	const char *type = "ext2", *colon = strrchr(spec, ':');
	int error;

	snprintf(file, sizeof(file), "%s", spec);
	if (colon != NULL && (strcmp(colon + 1, "ext2") == 0 ||
	    strcmp(colon + 1, "vfat") == 0 || strcmp(colon + 1, "msdos") == 0)) {
		type = colon + 1;
		file[colon - spec] = '\0';
	}
	if ((error = rump_etfs_register("/dev/image", file, RUMP_ETFS_BLK))
	    != 0)
		die("--image %s: %s", file, strerror(error));
	if (rump_sys_mkdir(IMAGE_DIR, 0755) == -1 && errno != EEXIST)
		die("mkdir %s: %s", IMAGE_DIR, strerror(errno));
	if (rump_sys_mount("/dev/image", IMAGE_DIR, type, MS_RDONLY, NULL)
	    == -1)
		die("--image %s: cannot mount it as %s: %s", file, type,
		    strerror(errno));
	files = &kernel_files;
	snprintf(path, sizeof(path), "%s/%s", IMAGE_DIR, dir);
	if ((rootfd = rump_sys_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    == -1)
		die("%s in %s: %s", dir, file, strerror(errno));
}

static int
listen_on(const char *addr, int port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if ((fd = rump_sys_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0))
	    == -1)
		die("socket: %s", strerror(errno));
	rump_sys_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rump_sys_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind %s:%d: %s", addr, port, strerror(errno));
	if (rump_sys_listen(fd, 128) == -1)
		die("listen: %s", strerror(errno));
	return fd;
}

/*
 * --dhcp: the kernel keeps the lease; one line on standard output for
 * each thing that happened to it since *last (renewed, rebound, ended,
 * leased again).
 */
static void
dhcp_report(const char *ifname, struct rump_dhcp_status *last)
{
	static const char *const states[] = { "?", "init", "bound",
	    "renewing", "rebinding" };
	struct rump_dhcp_status st;
	const char *what = NULL;

	if (rump_netconfig_dhcp_status(ifname, &st) != 0)
		return;
	if (st.expired != last->expired)
		what = "lease ended";
	else if (st.naks != last->naks)
		what = "lease refused (NAK)";
	else if (st.renewed != last->renewed)
		what = "lease renewed";
	else if (st.rebound != last->rebound)
		what = "lease rebound";
	else if (strcmp(st.lease.addr, last->lease.addr) != 0)
		what = "leased";
	if (what != NULL) {
		printf("dhcp: %s: %s/%d from %s, %u s, %u ms left (%s)\n", what,
		    st.lease.addr[0] != '\0' ? st.lease.addr : "none",
		    st.lease.prefixlen,
		    st.lease.server[0] != '\0' ? st.lease.server : "none",
		    (unsigned)st.lease.lease_s, (unsigned)st.left_ms,
		    st.state >= 1 && st.state <= 4 ? states[st.state] : "?");
		fflush(stdout);
	}
	*last = st;
}

int
main(int argc, char **argv)
{
	static struct pollfd pfd[MAXCONN + 1];
	static int pidx[MAXCONN + 1];
	const char *ifspec = NULL, *addrspec = NULL, *gw = NULL, *dir = NULL;
	struct rump_dhcp_status dhcp_last;
	const char *image = NULL;
	bool dhcp = false;
	struct netspec ns;
	char ifname[16];
	int i, n, lfd, port = 80;
	unsigned long maxresp = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
			verbose = true;
		else if (strcmp(a, "--dhcp") == 0)
			dhcp = true;
		else if (strcmp(a, "--if") == 0 || strcmp(a, "--addr") == 0 ||
		    strcmp(a, "--gw") == 0 || strcmp(a, "--port") == 0 ||
		    strcmp(a, "--image") == 0 || strcmp(a, "--requests") == 0) {
			if (i + 1 >= argc)
				die("%s needs a value (--help)", a);
			const char *v = argv[++i];

			if (strcmp(a, "--image") == 0) {
				/* mount_image() copies it into PATH_MAX. */
				if (strlen(v) >= PATH_MAX)
					die("--image: the name is longer than "
					    "%d bytes", PATH_MAX - 1);
				image = v;
			} else if (strcmp(a, "--requests") == 0) {
				char *end;

				errno = 0;
				maxresp = strtoul(v, &end, 10);
				if (!isdigit((unsigned char)*v) ||
				    *end != '\0' || maxresp == 0 || errno != 0)
					die("--requests %s: expected a positive "
					    "number", v);
			} else if (a[2] == 'i')
				ifspec = v;
			else if (a[2] == 'a')
				addrspec = v;
			else if (a[2] == 'g')
				gw = v;
			else {
				char *end;
				long p = strtol(v, &end, 10);

				if (*v == '\0' || *end != '\0' || p < 1 ||
				    p > 65535)
					die("--port %s: expected 1..65535", v);
				port = (int)p;
			}
		} else if (a[0] == '-' && a[1] != '\0')
			die("unknown option %s (--help)", a);
		else if (dir == NULL)
			dir = a;
		else
			die("one directory only: %s (--help)", a);
	}
	if (ifspec == NULL || (addrspec == NULL) == !dhcp || dir == NULL) {
		if (addrspec != NULL && dhcp)
			fprintf(stderr, "%s: --addr or --dhcp, not both\n",
			    progname);
		usage(stderr);
		return 2;
	}
	net_parse(ifspec, addrspec, gw, &ns);
	if (image == NULL) {
		rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd == -1)
			die("%s: %s", dir, strerror(errno));
	}

	net_setup(&ns, ifspec, ifname);
	if (image != NULL)
		mount_image(image, dir);
	/* A leased address may change (a lease that ended, a new one):
	 * then the listener takes whatever the interface has. */
	lfd = listen_on(ns.dhcp ? "0.0.0.0" : ns.addr, port);
	for (i = 0; i < MAXCONN; i++) {
		conns[i].fd = -1;
		conns[i].file = -1;
	}
	printf("serving %s on http://%s:%d/ (%s)\n", dir, ns.addr, port,
	    ifname);
	fflush(stdout);
	if (ns.dhcp && rump_netconfig_dhcp_status(ifname, &dhcp_last) != 0)
		memset(&dhcp_last, 0, sizeof(dhcp_last));

	for (;;) {
		uint64_t now;
		int nfds = 0, nfree = 0;

		/* --requests: once answered, and their connections gone
		 * (closed by the clients, which have read everything), the
		 * server ends. */
		if (maxresp > 0 && responses >= maxresp) {
			for (i = 0; i < MAXCONN && conns[i].fd == -1; i++)
				continue;
			if (i == MAXCONN)
				break;
		}

		for (i = 0; i < MAXCONN; i++) {
			struct conn *c = &conns[i];

			if (c->fd == -1) {
				nfree++;
				continue;
			}
			pfd[nfds].fd = c->fd;
			pfd[nfds].events = (short)(c->outlen > 0 ||
			    c->file != -1 ? POLLOUT : 0);
			if (c->inlen < REQMAX - 1)
				pfd[nfds].events |= POLLIN;
			pfd[nfds].revents = 0;
			pidx[nfds++] = i;
		}
		if (nfree > 0) {
			pfd[nfds] = (struct pollfd){ lfd, POLLIN, 0 };
			pidx[nfds++] = -1;
		}
		n = rump_sys_poll(pfd, (unsigned long)nfds, 1000);
		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (ns.dhcp)
			dhcp_report(ifname, &dhcp_last);
		now = now_ms();
		for (i = 0; i < nfds && n > 0; i++) {
			struct conn *c;

			if (pfd[i].revents == 0)
				continue;
			if (pidx[i] == -1) {
				int fd, one = 1;

				fd = rump_sys_accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK);
				if (fd == -1)
					continue;
				rump_sys_setsockopt(fd, IPPROTO_TCP,
				    TCP_NODELAY, &one, sizeof(one));
				for (int j = 0; j < MAXCONN; j++) {
					if (conns[j].fd == -1) {
						c = &conns[j];
						if (c->out == NULL &&
						    (c->out = malloc(OUTMAX)) ==
						    NULL) {
							rump_sys_close(fd);
							break;
						}
						c->fd = fd;
						c->inlen = 0;
						c->discard = 0;
						c->outoff = c->outlen = 0;
						c->keepalive = true;
						c->closing = false;
						c->shut = false;
						c->lastactive = now;
						break;
					}
				}
				continue;
			}
			c = &conns[pidx[i]];
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				conn_recv(c);
			if (c->fd != -1 && !c->shut)
				conn_run(c);
		}
		/* (now was read before this round's receives, which may
		 * have set lastactive a little later.) */
		for (i = 0; i < MAXCONN; i++)
			if (conns[i].fd != -1 && conns[i].outlen == 0 &&
			    conns[i].file == -1 &&
			    now > conns[i].lastactive + IDLE_MS)
				conn_close(&conns[i]);
	}

	/* A clean end: connections and the listener closed, the image
	 * unmounted. */
	for (i = 0; i < MAXCONN; i++)
		if (conns[i].fd != -1)
			conn_close(&conns[i]);
	rump_sys_close(lfd);
	if (image != NULL) {
		files->close(rootfd);
		if (rump_sys_umount2(IMAGE_DIR, 0) == -1)
			die("unmount %s: %s", IMAGE_DIR, strerror(errno));
	}
	printf("served %lu responses\n", responses);
	fflush(stdout);
	return 0;
}
