/*
 * l2_stdio.c: the program's standard input, output and error (l2.h).
 *
 * They are kernel pipes, so that every descriptor call of the program
 * (dup2 for a redirection, fcntl, poll, isatty's ioctl) is the kernel's,
 * unchanged, as the policy wants.  The other ends belong to a kernel
 * process of the platform's own ("stdio"), whose two threads copy what
 * arrives on output and error to the console (its KERNEL and DIAG
 * channels).  Standard input's write end is closed at once: the program
 * reads end-of-file, as from /dev/null -- unless the parameter
 * STRATA_STDIN is set (strata-boot --stdin): then a third thread feeds
 * it what the console receives, decoded as strata-boot encodes it (0xff
 * 0xff is the byte 0xff, 0xff 0x00 the end of the input, where the write
 * end is closed), after telling strata-boot it may send ("stdin" on the
 * status port).  That thread sleeps until the console's interrupt says
 * bytes came (l2_plat_console_wait); where the console cannot interrupt
 * it polls: every millisecond while bytes come, backing off to every
 * 16 ms when none do.  At exit what is still in the output pipes is
 * written out before the machine goes off.
 */
#include "l2.h"

#include <rump/rumpuser.h>
#include <rump/rump.h>

#include "rumpuser_common.h"
#include "scheduler.h"

enum {
	NR_read = 0, NR_close = 3, NR_dup2 = 33, NR_fcntl = 72,
	NR_getpid = 39, NR_pipe2 = 293,
};
#define O_NONBLOCK	04000
#define O_CLOEXEC	02000000
#define F_SETFL		4

static int stdio_pid;
static int out_fd = -1, err_fd = -1;	/* read ends, in stdio_pid */
static int in_fd = -1;			/* write end (STRATA_STDIN) */

#define STDIN_ESC	0xff		/* strata-boot's encoding */
#define NR_write	1

/* Writes all of buf to the standard input pipe; false when the program
 * has closed its read ends (EPIPE: nothing more to do). */
static bool
feed(const char *buf, size_t len)
{
	size_t done;
	long n;

	for (done = 0; done < len; done += (size_t)n)
		if ((n = l2_ksys(NR_write, in_fd, (long)(buf + done),
		    (long)(len - done), 0, 0, 0)) <= 0)
			return false;
	return true;
}

static void *
feeder(void *arg)
{
	char buf[256];
	uint64_t wait_ns = 1000000;
	bool esc = false;
	size_t n;
	int c;

	(void)arg;
	if (rump_lwproc_newlwp(stdio_pid) != 0)
		return NULL;
	l2_plat_console_ready();
	for (;;) {
		for (n = 0; n < sizeof(buf) &&
		    (c = l2_plat_console_getc()) >= 0;) {
			if (esc) {
				esc = false;
				if (c == 0)
					goto end;	/* the end of the input */
				buf[n++] = (char)c;
			} else if (c == STDIN_ESC) {
				esc = true;
			} else {
				buf[n++] = (char)c;
			}
			if (n == sizeof(buf))
				break;
		}
		if (n > 0) {
			if (!feed(buf, n))
				goto out;
			wait_ns = 1000000;
			continue;
		}
		if (l2_plat_console_wait())
			continue;
		rumpuser__sched_sleep_until(rumpuser__sched_deadline(
		    (int64_t)wait_ns));
		if (wait_ns < 16000000)
			wait_ns *= 2;
	}
end:
	if (n > 0)
		feed(buf, n);
out:
	l2_ksys(NR_close, in_fd, 0, 0, 0, 0, 0);
	in_fd = -1;
	rump_lwproc_releaselwp();
	return NULL;
}

static void
copy_out(int fd, int channel)
{
	char buf[1024];
	long n;

	while ((n = l2_ksys(NR_read, fd, (long)buf, sizeof(buf), 0, 0, 0)) > 0)
		rumpuser__backend_console_write(channel, buf, (size_t)n);
}

static void *
drain(void *arg)
{
	int which = (int)(intptr_t)arg;

	if (rump_lwproc_newlwp(stdio_pid) != 0)
		return NULL;
	copy_out(which == 1 ? out_fd : err_fd,
	    which == 1 ? RUMPUSER__CONSOLE_KERNEL : RUMPUSER__CONSOLE_DIAG);
	rump_lwproc_releaselwp();
	return NULL;
}

int
l2_stdio_init(void)
{
	struct lwp *stdio;
	struct thread *t;
	int in[2], out[2], err[2], error, i;
	char buf[8];
	bool with_stdin = rumpuser_getparam("STRATA_STDIN", buf,
	    sizeof(buf)) == 0 && buf[0] != '\0' && buf[0] != '0';

	/* The platform's side: a process with nothing open but the
	 * three pipes (0..5). */
	if ((error = rump_lwproc_rfork(RUMP_RFCFDG)) != 0)
		return error;
	stdio = rump_lwproc_curlwp();
	stdio_pid = (int)l2_ksys(NR_getpid, 0, 0, 0, 0, 0, 0);
	if ((error = -(int)l2_ksys(NR_pipe2, (long)in, 0, 0, 0, 0, 0)) != 0 ||
	    (error = -(int)l2_ksys(NR_pipe2, (long)out, 0, 0, 0, 0, 0)) != 0 ||
	    (error = -(int)l2_ksys(NR_pipe2, (long)err, 0, 0, 0, 0, 0)) != 0)
		return error;

	/* The program's process: a child with a copy of the table,
	 * rearranged to 0, 1, 2 = input's read end, output's and error's
	 * write ends.  Through numbers above the six, so that no dup2
	 * lands on a descriptor still to be moved. */
	if ((error = rump_lwproc_rfork(RUMP_RFFDG)) != 0)
		return error;
	{
		int keep[3] = { in[0], out[1], err[1] };
		int fds[6] = { in[0], in[1], out[0], out[1], err[0], err[1] };

		for (i = 0; i < 3; i++)
			if (l2_ksys(NR_dup2, keep[i], 10 + i, 0, 0, 0, 0) < 0)
				return L2_EBADF;
		for (i = 0; i < 6; i++)
			l2_ksys(NR_close, fds[i], 0, 0, 0, 0, 0);
		for (i = 0; i < 3; i++) {
			if (l2_ksys(NR_dup2, 10 + i, i, 0, 0, 0, 0) != i)
				return L2_EBADF;
			l2_ksys(NR_close, 10 + i, 0, 0, 0, 0, 0);
		}
	}
	{
		struct lwp *prog = rump_lwproc_curlwp();

		/* The platform's process keeps only the read ends of
		 * output and error, and standard input's write end for the
		 * feeder: closed, it is the program's end-of-file. */
		rump_lwproc_switch(stdio);
		l2_ksys(NR_close, in[0], 0, 0, 0, 0, 0);
		if (with_stdin)
			in_fd = in[1];
		else
			l2_ksys(NR_close, in[1], 0, 0, 0, 0, 0);
		l2_ksys(NR_close, out[1], 0, 0, 0, 0, 0);
		l2_ksys(NR_close, err[1], 0, 0, 0, 0, 0);
		out_fd = out[0];
		err_fd = err[0];
		rump_lwproc_switch(prog);
	}
	if (rumpuser__sched_create(drain, (void *)(intptr_t)1, "stdout",
	    false, &t) != 0 ||
	    rumpuser__sched_create(drain, (void *)(intptr_t)2, "stderr",
	    false, &t) != 0 ||
	    (with_stdin && rumpuser__sched_create(feeder, NULL, "stdin",
	    false, &t) != 0))
		return L2_ENOMEM;
	return 0;
}

void
l2_stdio_flush(void)
{

	if (out_fd < 0)
		return;
	/* As a new lwp of the stdio process, without waiting: what is in
	 * the pipes now is all there will be. */
	if (rump_lwproc_newlwp(stdio_pid) != 0)
		return;
	l2_ksys(NR_fcntl, out_fd, F_SETFL, O_NONBLOCK, 0, 0, 0);
	l2_ksys(NR_fcntl, err_fd, F_SETFL, O_NONBLOCK, 0, 0, 0);
	copy_out(out_fd, RUMPUSER__CONSOLE_KERNEL);
	copy_out(err_fd, RUMPUSER__CONSOLE_DIAG);
}
