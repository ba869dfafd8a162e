/*
 * t_sysproxy.c: remote system calls end to end.  This program hosts the
 * kernel and serves it (rump_init_server); the clients are h_spclient,
 * linked with librumpclient only, run as separate processes.  What the
 * clients do is checked from other clients and from here, the server's
 * side, through the in-process rump_sys_*() calls.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpsp.h>

#define NCLIENTS	50

static char helper[1024];
static char sockpath[1024];

static void
setup(const atf_tc_t *tc, int serve)
{
	char cwd[512];
	int error;

	snprintf(helper, sizeof(helper), "%s/h_spclient",
	    atf_tc_get_config_var(tc, "srcdir"));
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	/* Kyua runs each case in a fresh temporary directory. */
	snprintf(sockpath, sizeof(sockpath), "%s/sock", cwd);
	{
		char url[1100];
		snprintf(url, sizeof(url), "unix://%s", sockpath);
		setenv("RUMP_SERVER", url, 1);
	}
	if (!serve)
		return;
	error = rump_init();
	ATF_REQUIRE_MSG(error == 0, "rump_init: %s", strerror(error));
	error = rump_init_server(getenv("RUMP_SERVER"));
	ATF_REQUIRE_MSG(error == 0, "rump_init_server: %s", strerror(error));
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A running client: its pid and the read end of its stdout. */
struct client {
	pid_t	pid;
	int	out;
	char	buf[4096];
	size_t	len;
};

static void
client_start(struct client *c, uid_t uid, const char *a1, const char *a2,
    const char *a3)
{
	char *argv[] = { helper, (char *)a1, (char *)a2, (char *)a3, NULL };
	int p[2];

	ATF_REQUIRE(pipe(p) == 0);
	c->len = 0;
	c->pid = fork();
	ATF_REQUIRE(c->pid >= 0);
	if (c->pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (uid != 0 && (setgid(uid) != 0 || setuid(uid) != 0))
			_exit(3);
		execv(helper, argv);
		_exit(4);
	}
	close(p[1]);
	c->out = p[0];
}

/* Reads the client's output until it contains what (or EOF, or the
 * deadline); true if it does. */
static int
client_wait_for(struct client *c, const char *what, double secs)
{
	double end = now() + secs;
	struct pollfd pfd;
	ssize_t n;

	for (;;) {
		c->buf[c->len] = '\0';
		if (what != NULL && strstr(c->buf, what) != NULL)
			return 1;
		if (now() > end || c->len == sizeof(c->buf) - 1)
			return 0;
		pfd.fd = c->out;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(c->out, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (n <= 0)
			return what == NULL;
		c->len += (size_t)n;
	}
}

/* Waits (bounded) for the client to exit: its exit status, or -1 if it
 * had to be killed, -2 if a signal ended it. */
static int
client_finish(struct client *c, double secs)
{
	double end = now() + secs;
	int status;
	pid_t r;

	(void)client_wait_for(c, NULL, secs);
	close(c->out);
	while ((r = waitpid(c->pid, &status, WNOHANG)) == 0 && now() < end)
		usleep(10000);
	if (r == 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
		return -1;
	}
	if (!WIFEXITED(status))
		return -2;
	return WEXITSTATUS(status);
}

/* Runs a client to the end; its output in out. */
static int
run(char *out, size_t outlen, const char *a1, const char *a2, const char *a3)
{
	struct client c;
	int st;

	client_start(&c, 0, a1, a2, a3);
	{
	size_t n;

	st = client_finish(&c, 30);
	n = strlen(c.buf);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, c.buf, n);
	out[n] = '\0';
	}
	return st;
}

static void
server_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = rump_sys_open(path, O_RDONLY);
	ATF_REQUIRE_MSG(fd >= 0, "server open %s: %s", path, strerror(errno));
	n = rump_sys_read(fd, buf, len - 1);
	ATF_REQUIRE(n >= 0);
	buf[n] = '\0';
	rump_sys_close(fd);
}

ATF_TC_WITHOUT_HEAD(files_shared);
ATF_TC_BODY(files_shared, tc)
{
	char out[4096], buf[256];
	struct stat st;

	setup(tc, 1);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "write", "/greeting",
	    "hello from a client"), 0);
	/* A second client sees it. */
	ATF_REQUIRE_EQ(run(out, sizeof(out), "cat", "/greeting", NULL), 0);
	ATF_CHECK_STREQ(out, "hello from a client");
	/* And so does the server. */
	server_read("/greeting", buf, sizeof(buf));
	ATF_CHECK_STREQ(buf, "hello from a client");
	ATF_REQUIRE_EQ(rump_sys_stat("/greeting", &st), 0);
	ATF_CHECK_EQ(st.st_mode & 07777, 0644);
	/* The other way round. */
	ATF_REQUIRE(rump_sys_mkdir("/from-server", 0755) == 0);
	{
		int fd = rump_sys_open("/from-server/x", O_CREAT | O_WRONLY,
		    0600);
		ATF_REQUIRE(fd >= 0);
		ATF_REQUIRE_EQ(rump_sys_write(fd, "server data", 11), 11);
		rump_sys_close(fd);
	}
	ATF_REQUIRE_EQ(run(out, sizeof(out), "cat", "/from-server/x", NULL), 0);
	ATF_CHECK_STREQ(out, "server data");
	/* A missing file is the client's error, not the connection's. */
	ATF_CHECK_EQ(run(out, sizeof(out), "cat", "/nonexistent", NULL), 1);
}

ATF_TC(many_clients);
ATF_TC_HEAD(many_clients, tc)
{
	atf_tc_set_md_var(tc, "descr", "50 clients do file work at once");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(many_clients, tc)
{
	static struct client c[NCLIENTS];
	char id[16], path[64], expect[64], buf[64];
	int st, bad = 0;

	setup(tc, 1);
	for (int i = 0; i < NCLIENTS; i++) {
		snprintf(id, sizeof(id), "%d", i);
		client_start(&c[i], 0, "work", id, "20");
	}
	for (int i = 0; i < NCLIENTS; i++) {
		st = client_finish(&c[i], 90);
		snprintf(expect, sizeof(expect), "ok %d\n", i);
		if (st != 0 || strcmp(c[i].buf, expect) != 0) {
			fprintf(stderr, "client %d: status %d, output '%s'\n",
			    i, st, c[i].buf);
			bad++;
		}
	}
	ATF_REQUIRE_EQ_MSG(bad, 0, "%d of %d clients failed", bad, NCLIENTS);
	/* Every client's files, from the server's side. */
	for (int i = 0; i < NCLIENTS; i++) {
		for (int j = 0; j < 20; j += 7) {
			snprintf(path, sizeof(path), "/w%d/g%d", i, j);
			server_read(path, buf, sizeof(buf));
			snprintf(expect, sizeof(expect),
			    "client %d file %d\n", i, j);
			ATF_CHECK_STREQ(buf, expect);
		}
	}
}

static int
proc_alive(int pid)
{
	uint64_t mask[16];

	return rump_sys_sched_getaffinity(pid, sizeof(mask), mask) >= 0 ||
	    errno != ESRCH;
}

ATF_TC(killed_client);
ATF_TC_HEAD(killed_client, tc)
{
	atf_tc_set_md_var(tc, "descr", "A client killed in the middle of "
	    "a call: its process and open files are released, others go on");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(killed_client, tc)
{
	struct statfs before, held, after;
	struct client c;
	char out[256];
	int pid;

	setup(tc, 1);
	/* A file system with limits, so that statfs counts what is held. */
	ATF_REQUIRE_EQ(rump_sys_mkdir("/mnt", 0755), 0);
	ATF_REQUIRE_EQ(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0,
	    "size=64m,nr_inodes=100"), 0);
	ATF_REQUIRE_EQ(rump_sys_statfs("/mnt", &before), 0);
	client_start(&c, 0, "hold", "/mnt/held", "8388608");
	ATF_REQUIRE_MSG(client_wait_for(&c, "\n", 30), "client not ready: %s",
	    c.buf);
	ATF_REQUIRE_EQ(sscanf(c.buf, "ready %d", &pid), 1);
	ATF_REQUIRE(proc_alive(pid));
	/* The unlinked file still takes its 8 MiB while it is open. */
	ATF_REQUIRE_EQ(rump_sys_statfs("/mnt", &held), 0);
	ATF_CHECK(held.f_bfree + 2048 <= before.f_bfree);
	ATF_CHECK(held.f_ffree < before.f_ffree);
	usleep(50000);
	kill(c.pid, SIGKILL);
	ATF_CHECK_EQ(client_finish(&c, 10), -2);
	/* Bounded wait for the server to notice and release everything:
	 * the process goes first, the file with the last reference to it,
	 * which a call still being served may hold a moment longer. */
	for (int i = 0; i < 500; i++) {
		ATF_REQUIRE_EQ(rump_sys_statfs("/mnt", &after), 0);
		if (!proc_alive(pid) && after.f_bfree == before.f_bfree &&
		    after.f_ffree == before.f_ffree)
			break;
		usleep(10000);
	}
	ATF_CHECK_MSG(!proc_alive(pid), "process %d still exists", pid);
	ATF_CHECK_EQ(after.f_bfree, before.f_bfree);
	ATF_CHECK_EQ(after.f_ffree, before.f_ffree);
	/* The server is fine. */
	ATF_REQUIRE_EQ(run(out, sizeof(out), "write", "/after", "still here"),
	    0);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "cat", "/after", NULL), 0);
	ATF_CHECK_STREQ(out, "still here");
}

ATF_TC(killed_blocked);
ATF_TC_HEAD(killed_blocked, tc)
{
	atf_tc_set_md_var(tc, "descr", "A client killed while its call "
	    "waits in the kernel for ever (a read of a pipe only it could "
	    "write): the server interrupts the call and releases the "
	    "process; over the channel and the socket");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(killed_blocked, tc)
{
	struct client c;
	int pid, i, round;

	setup(tc, 1);
	for (round = 0; round < 2; round++) {
		if (round == 1)
			setenv("RUMP_SP_SHM", "0", 1);
		client_start(&c, 0, "block", NULL, NULL);
		ATF_REQUIRE_MSG(client_wait_for(&c, "\n", 30),
		    "client not ready: %s", c.buf);
		ATF_REQUIRE_EQ(sscanf(c.buf, "ready %d", &pid), 1);
		ATF_REQUIRE(proc_alive(pid));
		/* In its read by now, most likely (or about to be: the
		 * server then sees the end of stream itself). */
		usleep(100000);
		kill(c.pid, SIGKILL);
		ATF_CHECK_EQ(client_finish(&c, 10), -2);
		for (i = 0; i < 500 && proc_alive(pid); i++)
			usleep(10000);
		ATF_CHECK_MSG(!proc_alive(pid), "process %d still exists "
		    "(round %d)", pid, round);
	}
	unsetenv("RUMP_SP_SHM");
}

ATF_TC(server_dies);
ATF_TC_HEAD(server_dies, tc)
{
	atf_tc_set_md_var(tc, "descr", "A client whose server is killed "
	    "gets ENOTCONN, not a hang");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(server_dies, tc)
{
	struct client c;
	pid_t server;
	int p[2], st;
	char ch;

	setup(tc, 0);
	/* The server is a child of ours, so that it can be killed. */
	ATF_REQUIRE(pipe(p) == 0);
	server = fork();
	ATF_REQUIRE(server >= 0);
	if (server == 0) {
		close(p[0]);
		if (rump_init() != 0 ||
		    rump_init_server(getenv("RUMP_SERVER")) != 0)
			_exit(1);
		(void)write(p[1], "r", 1);
		for (int i = 0; i < 600; i++)
			sleep(1);
		_exit(0);
	}
	close(p[1]);
	ATF_REQUIRE_EQ(read(p[0], &ch, 1), 1);
	client_start(&c, 0, "loop", NULL, NULL);
	ATF_REQUIRE_MSG(client_wait_for(&c, "ready\n", 30), "not ready: %s",
	    c.buf);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	st = client_finish(&c, 20);
	ATF_CHECK_EQ_MSG(st, 0, "client status %d (-1: it hung)", st);
	ATF_CHECK_STREQ(c.buf, "ready\nENOTCONN\n");
}

ATF_TC(socket_permissions);
ATF_TC_HEAD(socket_permissions, tc)
{
	atf_tc_set_md_var(tc, "descr", "The unix socket's permissions "
	    "decide who may connect");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(socket_permissions, tc)
{
	struct client c;
	char *dir;

	setup(tc, 1);
	/* The test's directory must be searchable by the other user. */
	dir = dirname(strdup(sockpath));
	ATF_REQUIRE(chmod(dir, 0755) == 0);
	ATF_REQUIRE(chmod(sockpath, 0600) == 0);
	client_start(&c, 65534, "getpid", NULL, NULL);
	ATF_CHECK_EQ(client_finish(&c, 20), 1);
	ATF_CHECK_STREQ(c.buf, "");
	ATF_REQUIRE(chmod(sockpath, 0666) == 0);
	client_start(&c, 65534, "getpid", NULL, NULL);
	ATF_CHECK_EQ(client_finish(&c, 20), 0);
	ATF_CHECK(atoi(c.buf) > 1);
}

ATF_TC_WITHOUT_HEAD(efault);
ATF_TC_BODY(efault, tc)
{
	char out[256];

	setup(tc, 1);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "efault", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "efault ok\n");
}

ATF_TC_WITHOUT_HEAD(isolation);
ATF_TC_BODY(isolation, tc)
{
	char out[256];
	int fd;

	setup(tc, 1);
	/* The server's own process has descriptors open... */
	fd = rump_sys_open("/", O_RDONLY | O_DIRECTORY);
	ATF_REQUIRE(fd >= 0);
	/* ...which a client cannot see. */
	ATF_REQUIRE_EQ(run(out, sizeof(out), "isolate", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "isolate ok\n");
	ATF_REQUIRE_EQ(run(out, sizeof(out), "isolate", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "isolate ok\n");
}

ATF_TC(threads);
ATF_TC_HEAD(threads, tc)
{
	atf_tc_set_md_var(tc, "descr", "A client's threads are lwps of one "
	    "process: shared descriptors, and one blocked in the kernel "
	    "blocks no other");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(threads, tc)
{
	char out[256], buf[64];

	setup(tc, 1);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "threads", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "threads ok\n");
	server_read("/thr3", buf, sizeof(buf));
	ATF_CHECK_STREQ(buf, "/thr3");
}

ATF_TC(interrupt);
ATF_TC_HEAD(interrupt, tc)
{
	atf_tc_set_md_var(tc, "descr", "rumpclient_interrupt ends a "
	    "client thread's call blocked on the server (INTR: EINTR, or "
	    "ERESTARTSYS from rumpclient_syscall), also one not yet begun, "
	    "until cleared; over the shared-memory channel and the socket");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(interrupt, tc)
{
	char out[256];

	setup(tc, 1);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "channel", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "shm\n");
	ATF_REQUIRE_EQ(run(out, sizeof(out), "intr", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "intr ok\n");
	setenv("RUMP_SP_SHM", "0", 1);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "channel", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "socket\n");
	ATF_REQUIRE_EQ(run(out, sizeof(out), "intr", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "intr ok\n");
	unsetenv("RUMP_SP_SHM");
	/* The server serves on. */
	ATF_REQUIRE_EQ(run(out, sizeof(out), "write", "/ok", "fine"), 0);
}

ATF_TC(interrupt_tcp);
ATF_TC_HEAD(interrupt_tcp, tc)
{
	atf_tc_set_md_var(tc, "descr", "rumpclient_interrupt against a "
	    "server on TCP (loopback): INTR on a connection of its own");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(interrupt_tcp, tc)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char out[256], url[64];
	int fd, error = EADDRINUSE, i;

	setup(tc, 0);
	ATF_REQUIRE_EQ(rump_init(), 0);
	/* A port the host just gave out (bounded retries if taken again
	 * meanwhile). */
	for (i = 0; i < 10 && error == EADDRINUSE; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		ATF_REQUIRE(fd >= 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ATF_REQUIRE(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
		ATF_REQUIRE(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
		close(fd);
		snprintf(url, sizeof(url), "tcp://127.0.0.1:%u",
		    ntohs(sin.sin_port));
		error = rump_init_server(url);
	}
	ATF_REQUIRE_MSG(error == 0, "rump_init_server(%s): %s", url,
	    strerror(error));
	setenv("RUMP_SERVER", url, 1);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "channel", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "socket\n");
	ATF_REQUIRE_EQ(run(out, sizeof(out), "intr", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "intr ok\n");
}

ATF_TC_WITHOUT_HEAD(fork_exec);
ATF_TC_BODY(fork_exec, tc)
{
	char out[256], buf[256], expect[256];
	int fd, pid;

	setup(tc, 1);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "fork", "/forked", NULL), 0);
	ATF_CHECK_STREQ(out, "parent child\n");
	server_read("/forked", buf, sizeof(buf));
	ATF_CHECK_STREQ(buf, "parent child");

	ATF_REQUIRE_EQ(run(out, sizeof(out), "exec", "/execed", NULL), 0);
	ATF_REQUIRE_EQ(sscanf(out, "execed %d %d", &fd, &pid), 2);
	snprintf(expect, sizeof(expect), "execed %d %d\n", fd, pid);
	ATF_CHECK_STREQ(out, expect);
	server_read("/execed", buf, sizeof(buf));
	ATF_CHECK_STREQ(buf, "before exec\nafter exec\n");
}

/* Raw protocol: garbage, truncation, oversize and order violations close
 * the offender's connection and nothing else. */
static int
raw_connect(void)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ATF_REQUIRE(strlen(sockpath) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, sockpath, strlen(sockpath));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ATF_REQUIRE(fd >= 0);
	ATF_REQUIRE(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	return fd;
}

/* Sends bytes, then expects the server to close (EOF, bounded). */
static void
expect_closed(const void *msg, size_t len, int shut)
{
	struct pollfd pfd;
	char buf[256];
	ssize_t n;
	int fd = raw_connect();

	if (len > 0)
		ATF_REQUIRE(send(fd, msg, len, MSG_NOSIGNAL) == (ssize_t)len);
	if (shut)
		shutdown(fd, SHUT_WR);
	pfd.fd = fd;
	pfd.events = POLLIN;
	ATF_REQUIRE_MSG(poll(&pfd, 1, 10000) == 1, "server kept the "
	    "connection");
	/* EOF, or a reset when the server left our bytes unread. */
	n = read(fd, buf, sizeof(buf));
	ATF_CHECK_MSG(n == 0 || (n < 0 && errno == ECONNRESET),
	    "read after close: %zd (%s)", n, strerror(errno));
	close(fd);
}

static void raw_recv(int fd, void *buf, size_t len);

ATF_TC_WITHOUT_HEAD(malformed);
ATF_TC_BODY(malformed, tc)
{
	struct {
		struct rumpsp_hdr h;
		struct rumpsp_handshake_req hs;
	} m;
	struct rumpsp_hdr h;
	char out[256];

	setup(tc, 1);
	/* Garbage. */
	expect_closed("this is not the protocol you are looking for", 44, 0);
	/* Truncated header, then EOF. */
	expect_closed("\x10\x00\x00", 3, 1);
	/* Oversized. */
	memset(&h, 0, sizeof(h));
	h.rsh_len = RUMPSP_MSG_MAX + 1;
	h.rsh_type = RUMPSP_SYSCALL;
	expect_closed(&h, sizeof(h), 0);
	/* A system call before the handshake. */
	h.rsh_len = sizeof(h) + sizeof(struct rumpsp_syscall_req);
	expect_closed(&h, sizeof(h), 0);
	/* A handshake with a bad magic. */
	memset(&m, 0, sizeof(m));
	m.h.rsh_len = sizeof(m);
	m.h.rsh_type = RUMPSP_HANDSHAKE;
	memcpy(m.hs.rsp_magic, "NOTSTRAT", 8);
	m.hs.rsp_version = RUMPSP_VERSION;
	expect_closed(&m, sizeof(m), 0);
	/* A response nobody asked for. */
	memset(&h, 0, sizeof(h));
	h.rsh_len = sizeof(h) + sizeof(struct rumpsp_copy_resp);
	h.rsh_type = RUMPSP_COPYIN;
	h.rsh_kind = RUMPSP_RESP;
	expect_closed(&h, sizeof(h), 0);
	/* An INTR of the wrong size. */
	memset(&h, 0, sizeof(h));
	h.rsh_len = sizeof(h) + sizeof(struct rumpsp_intr_req) - 8;
	h.rsh_type = RUMPSP_INTR;
	expect_closed(&h, sizeof(h), 0);
	/* INTR with a cookie no process has: answered EPERM, then the
	 * connection closes; with another version: EPROTONOSUPPORT. */
	{
		struct {
			struct rumpsp_hdr h;
			struct rumpsp_intr_req rq;
		} im;
		struct {
			struct rumpsp_hdr h;
			struct rumpsp_intr_resp rs;
		} ir;
		int fd;

		for (int v = 0; v < 2; v++) {
			memset(&im, 0, sizeof(im));
			im.h.rsh_len = sizeof(im);
			im.h.rsh_type = RUMPSP_INTR;
			im.h.rsh_id = 3;
			memset(im.rq.rsp_cookie, 0xa5, sizeof(im.rq.rsp_cookie));
			im.rq.rsp_version = v == 0 ? RUMPSP_VERSION : 2;
			im.rq.rsp_lwp = 1;
			im.rq.rsp_id = 1;
			fd = raw_connect();
			ATF_REQUIRE(send(fd, &im, sizeof(im), MSG_NOSIGNAL) ==
			    (ssize_t)sizeof(im));
			raw_recv(fd, &ir, sizeof(ir));
			ATF_CHECK_EQ(ir.h.rsh_type, RUMPSP_INTR);
			ATF_CHECK_EQ(ir.h.rsh_kind, RUMPSP_RESP);
			ATF_CHECK_EQ(ir.h.rsh_id, 3);
			ATF_CHECK_EQ(ir.rs.rsp_error, v == 0 ? EPERM :
			    EPROTONOSUPPORT);
			ATF_CHECK_EQ(ir.rs.rsp_version, RUMPSP_VERSION);
			ATF_CHECK_EQ(read(fd, &ir, 1), 0);
			close(fd);
		}
	}
	/* The server still serves. */
	ATF_REQUIRE_EQ(run(out, sizeof(out), "write", "/ok", "fine"), 0);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "cat", "/ok", NULL), 0);
	ATF_CHECK_STREQ(out, "fine");
}

/*
 * The shared-memory channel (doc/sysproxy.md), driven by hand: a client
 * that sends SHM without a descriptor or with an unsealed one is told
 * no and goes on over the socket; with a sealed memfd its calls and the
 * server's copies go through the region; a bogus state ends only that
 * connection.  librumpclient uses the channel on its own (RUMP_SP_SHM=0
 * turns it off).
 */
static void
raw_send_fd(int fd, const void *msg, size_t len, int passfd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { (void *)(uintptr_t)msg, len };
	struct msghdr mh;

	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (passfd >= 0) {
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		cm.hdr.cmsg_level = SOL_SOCKET;
		cm.hdr.cmsg_type = SCM_RIGHTS;
		cm.hdr.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cm.hdr), &passfd, sizeof(int));
	}
	ATF_REQUIRE(sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)len);
}

static void
raw_recv(int fd, void *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		ATF_REQUIRE_MSG(poll(&pfd, 1, 10000) == 1, "no answer");
		n = read(fd, (char *)buf + got, len - got);
		ATF_REQUIRE_MSG(n > 0, "connection closed");
		got += (size_t)n;
	}
}

/* A new process's HANDSHAKE on connection fd, which must succeed;
 * returns the process's pid. */
static int
raw_handshake(int fd)
{
	struct {
		struct rumpsp_hdr h;
		struct rumpsp_handshake_req hs;
	} m;
	struct {
		struct rumpsp_hdr h;
		struct rumpsp_handshake_resp rs;
	} r;
	struct utsname uts;

	memset(&m, 0, sizeof(m));
	m.h.rsh_len = sizeof(m);
	m.h.rsh_type = RUMPSP_HANDSHAKE;
	m.h.rsh_id = 1;
	memcpy(m.hs.rsp_magic, RUMPSP_MAGIC, 8);
	m.hs.rsp_version = RUMPSP_VERSION;
	m.hs.rsp_kind = RUMPSP_HS_NEW;
	ATF_REQUIRE_EQ(uname(&uts), 0);
	memcpy(m.hs.rsp_machine, uts.machine, strlen(uts.machine) <
	    sizeof(m.hs.rsp_machine) ? strlen(uts.machine) :
	    sizeof(m.hs.rsp_machine));
	raw_send_fd(fd, &m, sizeof(m), -1);
	raw_recv(fd, &r, sizeof(r));
	ATF_REQUIRE_EQ(r.rs.rsp_error, 0);
	return r.rs.rsp_pid;
}

/* SHM with descriptor passfd (or none); the server's error. */
static int
raw_shm(int fd, int passfd)
{
	struct {
		struct rumpsp_hdr h;
		struct rumpsp_shm_req rq;
	} m;
	struct {
		struct rumpsp_hdr h;
		struct rumpsp_shm_resp rs;
	} r;

	memset(&m, 0, sizeof(m));
	m.h.rsh_len = sizeof(m);
	m.h.rsh_type = RUMPSP_SHM;
	m.h.rsh_id = 7;
	m.rq.rsp_size = RUMPSP_SHM_SIZE;
	raw_send_fd(fd, &m, sizeof(m), passfd);
	raw_recv(fd, &r, sizeof(r));
	ATF_REQUIRE_EQ(r.h.rsh_type, RUMPSP_SHM);
	ATF_REQUIRE_EQ(r.h.rsh_kind, RUMPSP_RESP);
	return r.rs.rsp_error;
}

/* Waits (bounded) for the server to set the channel's state away from
 * what the client left. */
static uint32_t
shm_await(volatile struct rumpsp_shm *m, uint32_t left)
{
	double t0 = now();
	uint32_t s;

	while ((s = __atomic_load_n(&m->rss_state, __ATOMIC_SEQ_CST)) == left)
		ATF_REQUIRE_MSG(now() - t0 < 10, "no answer in the channel");
	return s;
}

static void
shm_ring(int fd, volatile struct rumpsp_shm *m, uint32_t state)
{

	__atomic_store_n(&m->rss_state, state, __ATOMIC_SEQ_CST);
	/* Always rung: simpler than watching the server's flag, and a
	 * spare byte only wakes it once more. */
	ATF_REQUIRE(send(fd, "r", 1, MSG_NOSIGNAL) == 1);
}

/*
 * A client that shrinks its region and only then seals it, racing the
 * server's checks: simulated at the worst moment by this program's own
 * fstat (the server runs in this program), which shrinks and seals the
 * region of inode shrink_ino right after the server has looked at its
 * size.  A server that looked at the size before the seal takes a
 * region of no bytes, and its first access to it is a SIGBUS.
 */
static ino_t shrink_ino;

int
fstat(int fd, struct stat *st)
{
	int r = (int)syscall(SYS_fstat, fd, st);

	if (r == 0 && shrink_ino != 0 && st->st_ino == shrink_ino) {
		shrink_ino = 0;
		(void)ftruncate(fd, 0);
		(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	}
	return r;
}

ATF_TC_WITHOUT_HEAD(shm_shrink_race);
ATF_TC_BODY(shm_shrink_race, tc)
{
	struct stat st;
	char out[256];
	int fd, mfd;

	setup(tc, 1);
	fd = raw_connect();
	(void)raw_handshake(fd);

	mfd = memfd_create("t_sysproxy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ATF_REQUIRE(mfd >= 0);
	ATF_REQUIRE_EQ(ftruncate(mfd, RUMPSP_SHM_SIZE), 0);
	ATF_REQUIRE_EQ((int)syscall(SYS_fstat, mfd, &st), 0);
	shrink_ino = st.st_ino;
	/* Unsealed when sent: refused, whatever the region became. */
	ATF_CHECK_EQ(raw_shm(fd, mfd), EINVAL);
	shrink_ino = 0;
	close(fd);
	close(mfd);
	/* And the server still serves. */
	ATF_REQUIRE_EQ(run(out, sizeof(out), "write", "/ok", "fine"), 0);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "cat", "/ok", NULL), 0);
	ATF_CHECK_STREQ(out, "fine");
}

ATF_TC_WITHOUT_HEAD(shm_channel);
ATF_TC_BODY(shm_channel, tc)
{
	volatile struct rumpsp_shm *ch;
	struct utsname uts;
	char out[256], *area;
	int fd, mfd, pid;
	void *p;

	setup(tc, 1);
	fd = raw_connect();
	pid = raw_handshake(fd);

	/* No descriptor; a memfd that could shrink under the server. */
	ATF_CHECK_EQ(raw_shm(fd, -1), EOPNOTSUPP);
	mfd = memfd_create("t_sysproxy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ATF_REQUIRE(mfd >= 0);
	ATF_REQUIRE_EQ(ftruncate(mfd, RUMPSP_SHM_SIZE), 0);
	ATF_CHECK_EQ(raw_shm(fd, mfd), EINVAL);
	/* Sealed: taken. */
	ATF_REQUIRE_EQ(fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	p = mmap(NULL, RUMPSP_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    mfd, 0);
	ATF_REQUIRE(p != MAP_FAILED);
	ATF_REQUIRE_EQ(raw_shm(fd, mfd), 0);
	ch = p;
	area = (char *)p + RUMPSP_SHM_DATA_OFF;

	/* getpid through the channel. */
	ch->rss_type = RUMPSP_SYSCALL;
	ch->rss_nr = SYS_getpid;
	shm_ring(fd, ch, RUMPSP_SHM_CALL);
	ATF_REQUIRE_EQ(shm_await(ch, RUMPSP_SHM_CALL), RUMPSP_SHM_RESULT);
	ATF_CHECK_EQ(ch->rss_error, 0);
	ATF_CHECK_EQ(ch->rss_retval[0], pid);

	/* uname: the server copies the result out through the data area,
	 * to the address we named. */
	memset(&uts, 0, sizeof(uts));
	ch->rss_state = RUMPSP_SHM_IDLE;
	ch->rss_nr = SYS_uname;
	ch->rss_args[0] = (int64_t)(uintptr_t)&uts;
	shm_ring(fd, ch, RUMPSP_SHM_CALL);
	ATF_REQUIRE_EQ(shm_await(ch, RUMPSP_SHM_CALL), RUMPSP_SHM_COPYREQ);
	ATF_REQUIRE_EQ(ch->rss_type, RUMPSP_COPYOUT);
	ATF_REQUIRE_EQ(ch->rss_addr, (uint64_t)(uintptr_t)&uts);
	ATF_REQUIRE_EQ(ch->rss_len, sizeof(uts));
	memcpy(&uts, area, sizeof(uts));
	ch->rss_error = 0;
	ch->rss_len = 0;
	shm_ring(fd, ch, RUMPSP_SHM_COPYRESP);
	ATF_REQUIRE_EQ(shm_await(ch, RUMPSP_SHM_COPYRESP), RUMPSP_SHM_RESULT);
	ATF_CHECK_EQ(ch->rss_error, 0);
	ATF_CHECK_STREQ(uts.sysname, "Linux");

	/* A state out of turn: the server drops the connection. */
	shm_ring(fd, ch, 77);
	{
		struct pollfd pfd = { fd, POLLIN, 0 };
		char b[64];
		ssize_t n;

		do {
			ATF_REQUIRE_MSG(poll(&pfd, 1, 10000) == 1,
			    "server kept the connection");
			n = read(fd, b, sizeof(b));
		} while (n > 0);	/* doorbell bytes, then EOF */
	}
	close(fd);
	munmap(p, RUMPSP_SHM_SIZE);
	close(mfd);

	/* librumpclient: the channel by default, the socket when told. */
	ATF_REQUIRE_EQ(run(out, sizeof(out), "channel", NULL, NULL), 0);
	ATF_CHECK_STREQ(out, "shm\n");
	setenv("RUMP_SP_SHM", "0", 1);
	ATF_REQUIRE_EQ(run(out, sizeof(out), "channel", NULL, NULL), 0);
	unsetenv("RUMP_SP_SHM");
	ATF_CHECK_STREQ(out, "socket\n");
}

ATF_TC_WITHOUT_HEAD(fork_race);
ATF_TC_BODY(fork_race, tc)
{
	char out[256];
	int i;

	setup(tc, 1);
	/* The parent changes its descriptors right after fork; the child,
	 * connecting later, has the table of the moment of the fork. */
	for (i = 0; i < 5; i++) {
		ATF_REQUIRE_EQ(run(out, sizeof(out), "forkrace", "/a", "/b"),
		    0);
		ATF_CHECK_STREQ(out, "child A ok\n");
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, fork_race);
	ATF_TP_ADD_TC(tp, shm_channel);

	ATF_TP_ADD_TC(tp, files_shared);
	ATF_TP_ADD_TC(tp, many_clients);
	ATF_TP_ADD_TC(tp, killed_client);
	ATF_TP_ADD_TC(tp, killed_blocked);
	ATF_TP_ADD_TC(tp, server_dies);
	ATF_TP_ADD_TC(tp, socket_permissions);
	ATF_TP_ADD_TC(tp, efault);
	ATF_TP_ADD_TC(tp, isolation);
	ATF_TP_ADD_TC(tp, threads);
	ATF_TP_ADD_TC(tp, interrupt);
	ATF_TP_ADD_TC(tp, interrupt_tcp);
	ATF_TP_ADD_TC(tp, fork_exec);
	ATF_TP_ADD_TC(tp, malformed);
	ATF_TP_ADD_TC(tp, shm_shrink_race);
	return atf_no_error();
}
