/*
 * h_child.h: runs a piece of a test in a child process with its own
 * environment, for test cases that boot more than one kernel or must see
 * what booting prints.  Header-only, like h_rumptest.h.
 */
#ifndef H_CHILD_H
#define H_CHILD_H

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

struct child {
	int	 status;		/* exit status, or -1 */
	char	 out[8192];		/* stdout and stderr together */
	size_t	 outlen;
};

/*
 * Runs body in a child process with the environment changed by env
 * ("NAME=value" sets, "NAME" unsets), its stdout and stderr going to
 * c->out.  The child exits with body's value (0..255).
 */
static void __attribute__((unused))
run_child(const char *const *env, int (*body)(void), struct child *c)
{
	char discard[512];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	c->status = -1;
	ATF_REQUIRE(pipe(fds) == 0);
	fflush(NULL);
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		close(fds[0]);
		for (const char *const *e = env; *e != NULL; e++) {
			const char *eq = strchr(*e, '=');

			if (eq == NULL) {
				unsetenv(*e);
			} else {
				char name[64];

				snprintf(name, sizeof(name), "%.*s",
				    (int)(eq - *e), *e);
				setenv(name, eq + 1, 1);
			}
		}
		if (dup2(fds[1], 1) == -1 || dup2(fds[1], 2) == -1)
			_exit(254);
		close(fds[1]);
		status = body();
		fflush(NULL);
		_exit(status);
	}
	close(fds[1]);
	for (;;) {
		if (c->outlen < sizeof(c->out) - 1)
			n = read(fds[0], c->out + c->outlen,
			    sizeof(c->out) - 1 - c->outlen);
		else
			n = read(fds[0], discard, sizeof(discard));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (c->outlen < sizeof(c->out) - 1)
			c->outlen += (size_t)n;
	}
	close(fds[0]);
	c->out[c->outlen] = '\0';
	ATF_REQUIRE_EQ(pid, waitpid(pid, &status, 0));
	if (WIFEXITED(status))
		c->status = WEXITSTATUS(status);
	else
		c->status = -1;
}

#endif /* H_CHILD_H */
