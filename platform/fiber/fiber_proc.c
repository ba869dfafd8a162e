/*
 * fiber_proc.c: the host process: termination, signals, daemonizing.
 *
 * With a single host thread, fork() copies the whole platform faithfully:
 * daemonizing needs no care beyond what any process takes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fiber.h"

void
rumpuser__backend_exit(int status)
{

	exit(status);
}

void
rumpuser__backend_abort(void)
{

	/* Keep what the kernel printed before it panicked. */
	fflush(stdout);
	fflush(stderr);
	abort();
}

int
rumpuser__backend_kill(int64_t pid, int sig)
{
	int hostsig;

	hostsig = rumpuser__fiber_sig_to_host(sig);
	if (hostsig == -1)
		return FIBER_NB_EINVAL;
	if (pid == RUMPUSER_PID_SELF)
		return raise(hostsig) == 0 ? 0 :
		    rumpuser__fiber_errtrans(errno);
	if (pid <= 0 || (int64_t)(pid_t)pid != pid)
		return FIBER_NB_EINVAL;
	if (kill((pid_t)pid, hostsig) == -1)
		return rumpuser__fiber_errtrans(errno);
	return 0;
}

/*
 * The parent waits in rumpuser_daemonize_begin() until the child reports
 * how its initialisation went, through a pipe, and exits with that: so
 * whoever started the program learns whether the kernel came up.
 */
static int report_fd = -1;

int
rumpuser__backend_daemonize_begin(void)
{
	int fds[2], error;
	ssize_t n;
	pid_t pid;

	if (report_fd != -1)
		return FIBER_NB_EINVAL;
	if (pipe2(fds, O_CLOEXEC) == -1)
		return rumpuser__fiber_errtrans(errno);
	/* Unflushed output would otherwise appear twice. */
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		error = errno;
		close(fds[0]);
		close(fds[1]);
		return rumpuser__fiber_errtrans(error);
	}
	if (pid != 0) {
		close(fds[1]);
		do
			n = read(fds[0], &error, sizeof(error));
		while (n == -1 && errno == EINTR);
		/* A child that died without a word failed. */
		if (n != (ssize_t)sizeof(error))
			_exit(EXIT_FAILURE);
		/* The NetBSD errno is the exit status: more telling than 1. */
		_exit(error >= 0 && error < 126 ? error : EXIT_FAILURE);
	}
	close(fds[0]);
	report_fd = fds[1];
	if (setsid() == -1) {
		error = errno;
		close(report_fd);
		report_fd = -1;
		return rumpuser__fiber_errtrans(error);
	}
	return 0;
}

int
rumpuser__backend_daemonize_done(int error)
{
	ssize_t n;
	int fd, rv = 0;

	if (report_fd == -1)
		return FIBER_NB_EINVAL;
	if (error == 0) {
		fd = open("/dev/null", O_RDWR);
		if (fd == -1) {
			error = rv = rumpuser__fiber_errtrans(errno);
		} else {
			fflush(NULL);
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
	}
	do
		n = write(report_fd, &error, sizeof(error));
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(error) && rv == 0)
		rv = n == -1 ? rumpuser__fiber_errtrans(errno) : FIBER_NB_EIO;
	close(report_fd);
	report_fd = -1;
	return rv;
}
