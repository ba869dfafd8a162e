/*
 * t_server.c: strata-server as a user runs it.  This program is a client
 * (librumpclient); the server is the installed bin/strata-server, started
 * with -d, so that it returns once it listens.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>

static char server[1024], sock[1024], pidfile[1024], url[1100];

static void
setup(const atf_tc_t *tc)
{
	char cwd[512];

	snprintf(server, sizeof(server), "%s/strata-server",
	    atf_tc_get_config_var(tc, "bindir"));
	ATF_REQUIRE_MSG(access(server, X_OK) == 0, "no %s", server);
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(sock, sizeof(sock), "%s/sock", cwd);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", cwd);
	snprintf(url, sizeof(url), "unix://%s", sock);
	setenv("RUMP_SERVER", url, 1);
}

/* Runs strata-server with args (NULL-terminated, URL last added here
 * unless nourl); its exit status; its stderr in err. */
static int
run_server(char *err, size_t errlen, int nourl, ...)
{
	char *argv[32];
	int argc = 0, p[2], status;
	va_list ap;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	argv[argc++] = server;
	va_start(ap, nourl);
	while ((argv[argc] = va_arg(ap, char *)) != NULL && argc < 29)
		argc++;
	va_end(ap);
	if (!nourl)
		argv[argc++] = url;
	argv[argc] = NULL;
	ATF_REQUIRE(pipe(p) == 0);
	pid = fork();
	ATF_REQUIRE(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execv(server, argv);
		_exit(127);
	}
	close(p[1]);
	/* With -d the daemon keeps stderr open only until it listens. */
	while (got < errlen - 1 && (n = read(p[0], err + got,
	    errlen - 1 - got)) > 0)
		got += (size_t)n;
	err[got] = '\0';
	close(p[0]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static pid_t
daemon_pid(void)
{
	FILE *f = fopen(pidfile, "r");
	long pid = 0;

	ATF_REQUIRE_MSG(f != NULL, "no pid file");
	ATF_REQUIRE(fscanf(f, "%ld", &pid) == 1);
	fclose(f);
	return (pid_t)pid;
}

static void
stop_daemon(pid_t pid)
{

	ATF_REQUIRE(kill(pid, SIGTERM) == 0);
	/* Not our child (it daemonized): poll, bounded. */
	for (int i = 0; i < 500 && kill(pid, 0) == 0; i++)
		usleep(10000);
	ATF_CHECK_MSG(kill(pid, 0) != 0, "server still running after SIGTERM");
	ATF_CHECK_MSG(access(sock, F_OK) != 0, "socket left behind");
	ATF_CHECK_MSG(access(pidfile, F_OK) != 0, "pid file left behind");
}

ATF_TC_WITHOUT_HEAD(usage);
ATF_TC_BODY(usage, tc)
{
	char err[4096];

	setup(tc);
	ATF_CHECK_EQ(run_server(err, sizeof(err), 1, "--help", NULL), 0);
	ATF_CHECK_EQ(run_server(err, sizeof(err), 1, NULL), 2);
	ATF_CHECK(strstr(err, "no URL given") != NULL);
	ATF_CHECK_EQ(run_server(err, sizeof(err), 1, "-Q", url, NULL), 2);
	ATF_CHECK_EQ(run_server(err, sizeof(err), 1, "http://x", NULL), 1);
	ATF_CHECK(strstr(err, "bad URL") != NULL);
}

ATF_TC(serve_and_stop);
ATF_TC_HEAD(serve_and_stop, tc)
{
	atf_tc_set_md_var(tc, "descr", "strata-server -d returns once it "
	    "listens; clients work on its mounts; SIGTERM stops it cleanly");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(serve_and_stop, tc)
{
	char err[4096], buf[64];
	struct statfs sf;
	pid_t pid;
	int fd;

	setup(tc);
	ATF_REQUIRE_EQ_MSG(run_server(err, sizeof(err), 0, "-d", "-p", pidfile,
	    "-l", "librumpvfs.so", "-l", "librumpfs_tmpfs.so",
	    "-m", "tmpfs:/scratch/small:size=4m", NULL), 0, "%s", err);
	/* Ready means listening: no wait needed. */
	pid = daemon_pid();
	ATF_REQUIRE_EQ(rumpclient_init(), 0);
	ATF_REQUIRE_EQ(rump_sys_statfs("/scratch/small", &sf), 0);
	ATF_CHECK_EQ((long)sf.f_blocks * (long)sf.f_bsize, 4L << 20);
	fd = rump_sys_open("/scratch/small/f", O_CREAT | O_RDWR, 0644);
	ATF_REQUIRE(fd >= 0);
	ATF_REQUIRE_EQ(rump_sys_write(fd, "served", 6), 6);
	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(rump_sys_pread64(fd, buf, sizeof(buf), 0), 6);
	ATF_CHECK_STREQ(buf, "served");
	stop_daemon(pid);
	/* Our connection is gone with the server. */
	rumpclient_setconnretry(RUMPCLIENT_RETRYCONN_NONE);
	errno = 0;
	ATF_CHECK_EQ(rump_sys_getpid(), -1);
	ATF_CHECK_EQ(errno, ENOTCONN);
}

ATF_TC_WITHOUT_HEAD(components);
ATF_TC_BODY(components, tc)
{
	char err[4096];

	setup(tc);
	/* A component that does not exist. */
	ATF_CHECK(run_server(err, sizeof(err), 0, "-l", "librumpnothing.so",
	    NULL) == 1);
	ATF_CHECK(strstr(err, "cannot load") != NULL);
	/* Components are what -l says: without tmpfs there is no tmpfs to
	 * mount (and -d reports the failure to the caller). */
	ATF_CHECK(run_server(err, sizeof(err), 0, "-d", "-l", "librumpvfs.so",
	    "-m", "tmpfs:/t", NULL) != 0);
	ATF_CHECK_MSG(strstr(err, "mount tmpfs on /t") != NULL, "%s", err);
	ATF_CHECK(access(sock, F_OK) != 0);
}

ATF_TC_WITHOUT_HEAD(address_in_use);
ATF_TC_BODY(address_in_use, tc)
{
	char err[4096];
	pid_t pid;

	setup(tc);
	ATF_REQUIRE_EQ_MSG(run_server(err, sizeof(err), 0, "-d", "-p", pidfile,
	    NULL), 0, "%s", err);
	pid = daemon_pid();
	/* A second server on a live socket is refused. */
	ATF_CHECK(run_server(err, sizeof(err), 0, "-d", NULL) != 0);
	ATF_CHECK_MSG(strstr(err, "cannot serve") != NULL, "%s", err);
	stop_daemon(pid);
	/* A socket file left by a dead server is reused. */
	ATF_REQUIRE_EQ_MSG(run_server(err, sizeof(err), 0, "-d", "-p", pidfile,
	    NULL), 0, "%s", err);
	pid = daemon_pid();
	ATF_REQUIRE(kill(pid, SIGKILL) == 0);
	for (int i = 0; i < 500 && kill(pid, 0) == 0; i++)
		usleep(10000);
	ATF_REQUIRE(access(sock, F_OK) == 0);
	ATF_REQUIRE_EQ_MSG(run_server(err, sizeof(err), 0, "-d", "-p", pidfile,
	    NULL), 0, "%s", err);
	stop_daemon(daemon_pid());
}

ATF_TC(reconnect);
ATF_TC_HEAD(reconnect, tc)
{
	atf_tc_set_md_var(tc, "descr", "A client whose server went away gets "
	    "ENOTCONN, then reconnects to a new server as a new process");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(reconnect, tc)
{
	char err[4096];
	int fd;

	setup(tc);
	ATF_REQUIRE_EQ_MSG(run_server(err, sizeof(err), 0, "-d", "-p", pidfile,
	    NULL), 0, "%s", err);
	ATF_REQUIRE_EQ(rumpclient_init(), 0);
	fd = rump_sys_open("/", O_RDONLY | O_DIRECTORY);
	ATF_REQUIRE(fd >= 0);
	ATF_REQUIRE(rumpclient_getpid() > 1);
	stop_daemon(daemon_pid());
	/* The default policy: the call that finds the server gone fails... */
	errno = 0;
	ATF_CHECK_EQ(rump_sys_getpid(), -1);
	ATF_CHECK_EQ(errno, ENOTCONN);
	ATF_CHECK_EQ(rumpclient_getpid(), 0);
	/* ...no server: still ENOTCONN... */
	errno = 0;
	ATF_CHECK_EQ(rump_sys_getpid(), -1);
	ATF_CHECK_EQ(errno, ENOTCONN);
	/* ...and once one serves again, a later call connects, as a new
	 * process: the old descriptors are gone. */
	ATF_REQUIRE_EQ_MSG(run_server(err, sizeof(err), 0, "-d", "-p", pidfile,
	    NULL), 0, "%s", err);
	ATF_CHECK(rump_sys_getpid() > 1);
	ATF_CHECK(rumpclient_getpid() > 1);
	errno = 0;
	ATF_CHECK_EQ(rump_sys_close(fd), -1);
	ATF_CHECK_EQ(errno, EBADF);
	stop_daemon(daemon_pid());
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, reconnect);
	ATF_TP_ADD_TC(tp, usage);
	ATF_TP_ADD_TC(tp, serve_and_stop);
	ATF_TP_ADD_TC(tp, components);
	ATF_TP_ADD_TC(tp, address_in_use);
	return atf_no_error();
}
