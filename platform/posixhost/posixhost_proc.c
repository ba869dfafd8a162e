/*
 * posixhost_proc.c: the host process: signals, abnormal termination,
 * daemonizing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "posixhost.h"

int
rumpuser__posixhost_kill(int64_t pid, int sig)
{
	int hostsig;

	hostsig = rumpuser__posixhost_signal_from_netbsd(sig);
	if (hostsig == -1)
		return RUMPUSER__NB_EINVAL;
	if (pid == RUMPUSER_PID_SELF) {
		if (raise(hostsig) != 0)
			return rumpuser__posixhost_errno_to_netbsd(errno);
		return 0;
	}
	if (pid <= 0 || (int64_t)(pid_t)pid != pid)
		return RUMPUSER__NB_EINVAL;
	if (kill((pid_t)pid, hostsig) == -1)
		return rumpuser__posixhost_errno_to_netbsd(errno);
	return 0;
}

void
rumpuser__posixhost_abort(void)
{

	fflush(stdout);
	fflush(stderr);
	abort();
}

/*
 * The parent stays in rumpuser__posixhost_daemonize_begin() until the
 * child reports the outcome of its initialisation through a pipe, then
 * exits with it.
 */
static int daemon_pipe = -1;

int
rumpuser__posixhost_daemonize_begin(void)
{
	int fds[2], error;
	ssize_t n;
	pid_t pid;

	if (daemon_pipe != -1)
		return RUMPUSER__NB_EINVAL;
	/* Close-on-exec: a program the daemon starts must not hold the
	 * parent waiting. */
	if (pipe2(fds, O_CLOEXEC) == -1)
		return rumpuser__posixhost_errno_to_netbsd(errno);

	/* Unflushed stdio buffers would otherwise be written twice. */
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		error = errno;
		close(fds[0]);
		close(fds[1]);
		return rumpuser__posixhost_errno_to_netbsd(error);
	}
	if (pid != 0) {
		close(fds[1]);
		do
			n = read(fds[0], &error, sizeof(error));
		while (n == -1 && errno == EINTR);
		/* A child that died before reporting is a failure. */
		if (n != (ssize_t)sizeof(error))
			_exit(EXIT_FAILURE);
		/* The NetBSD errno is the exit status: more useful than 1. */
		_exit(error >= 0 && error < 126 ? error : EXIT_FAILURE);
	}

	close(fds[0]);
	daemon_pipe = fds[1];
	if (setsid() == -1) {
		error = errno;
		close(daemon_pipe);
		daemon_pipe = -1;
		return rumpuser__posixhost_errno_to_netbsd(error);
	}
	return 0;
}

int
rumpuser__posixhost_daemonize_done(int error)
{
	ssize_t n;
	int fd, rv = 0;

	if (daemon_pipe == -1)
		return RUMPUSER__NB_EINVAL;
	if (error == 0) {
		fd = open("/dev/null", O_RDWR);
		if (fd == -1) {
			error = rv = rumpuser__posixhost_errno_to_netbsd(errno);
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
		n = write(daemon_pipe, &error, sizeof(error));
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(error) && rv == 0)
		rv = n == -1 ? rumpuser__posixhost_errno_to_netbsd(errno) :
		    RUMPUSER__NB_EIO;
	close(daemon_pipe);
	daemon_pipe = -1;
	return rv;
}
