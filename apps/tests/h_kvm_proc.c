/*
 * h_kvm_proc: an ordinary Linux program (built by t_kvm_proc.sh with
 * Debian's musl-gcc -static) that uses processes: fork, exec, wait, pipes
 * between processes.  The tests run it unmodified as a kvm unikernel and
 * on the host, and compare what it prints.
 *
 *   h_kvm_proc forks N        N children, each with its own memory, exit
 *                             statuses and signals seen by waitpid
 *   h_kvm_proc exec DIR       in DIR: fork and execve ./prog hello ...
 *                             (a second program), a #! script, errors
 *   h_kvm_proc spawn DIR      vfork and posix_spawn (CLONE_VM|CLONE_VFORK)
 *   h_kvm_proc pipeline N     a writer and a reader process, N KiB
 *                             through a pipe
 *   h_kvm_proc waitid         waitid: WNOHANG, WNOWAIT, P_PID, ECHILD
 *   h_kvm_proc fdcheck FD     whether descriptor FD is open
 *   h_kvm_proc memory N       free memory comes back after N children
 *                             (each forks, allocates, execs)
 *   h_kvm_proc execthreads    execve with two more threads waiting (in
 *                             the kernel, on a futex): they end
 *   h_kvm_proc sigpipe        SIGPIPE for a write without readers,
 *                             EPIPE when ignored or with MSG_NOSIGNAL
 *   h_kvm_proc crashes        children ended by a null dereference, an
 *                             invalid opcode, a division by zero
 *   h_kvm_proc cow            fork's memory copy-on-write: parent,
 *                             children and a grandchild each keep what
 *                             they had at the fork and write their own
 *   h_kvm_proc pgroups        process groups and sessions: setsid,
 *                             setpgid, getpgid, getsid, kill and wait for
 *                             a group, their errors
 *   h_kvm_proc sigqueue       real-time signals queued (sigqueue's
 *                             values, in order), standard ones coalesced,
 *                             sigwaitinfo/sigtimedwait, sigaltstack and
 *                             SA_ONSTACK handlers
 *   h_kvm_proc signals        handlers (SA_SIGINFO, SIGCHLD's siginfo),
 *                             sigsuspend, blocked and pending signals,
 *                             kill of children (default action, a
 *                             handler that exits, SIGKILL), an
 *                             interrupted nanosleep, SIGCHLD ignored
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int shared_value = 100;

static void
status(const char *what, int st)
{

	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	else
		printf("%s: status %#x\n", what, st);
}

static int
forks(int n)
{
	pid_t pids[64];
	int fds[2], i, st;
	char line[64];
	FILE *in;

	if (n < 1 || n > 64)
		return 2;
	if (pipe(fds) != 0)
		return 1;
	for (i = 0; i < n; i++) {
		shared_value = 100 + i;
		if ((pids[i] = fork()) < 0) {
			printf("fork %d: %s\n", i, strerror(errno));
			return 1;
		}
		if (pids[i] == 0) {
			/* The child's memory is its own from here. */
			int mine = shared_value;

			close(fds[0]);
			shared_value = -1;
			dprintf(fds[1], "child %d saw %d, pid %s\n", i, mine,
			    getpid() != getppid() && getpid() > 0 ? "ok" :
			    "bad");
			if (i == n - 1 && n > 1)
				kill(getpid(), SIGKILL);
			if (i == n - 2 && n > 2)
				abort();
			_exit(i + 1);
		}
	}
	close(fds[1]);
	printf("parent's value after the forks: %d\n", shared_value);
	/* Collected in reverse order of birth, by pid. */
	for (i = n - 1; i >= 0; i--) {
		char what[32];

		if (waitpid(pids[i], &st, 0) != pids[i]) {
			printf("waitpid %d: %s\n", i, strerror(errno));
			return 1;
		}
		snprintf(what, sizeof(what), "child %d", i);
		status(what, st);
	}
	printf("wait with none left: %s\n",
	    wait(&st) < 0 ? strerror(errno) : "a child?");
	/* What the children wrote, sorted by the reader. */
	{
		char *lines[64];
		int m = 0, j, k;

		in = fdopen(fds[0], "r");
		while (m < 64 && fgets(line, sizeof(line), in) != NULL)
			lines[m++] = strdup(line);
		fclose(in);
		for (j = 0; j < m; j++)
			for (k = j + 1; k < m; k++)
				if (strcmp(lines[k], lines[j]) < 0) {
					char *t = lines[j];

					lines[j] = lines[k];
					lines[k] = t;
				}
		for (j = 0; j < m; j++) {
			fputs(lines[j], stdout);
			free(lines[j]);
		}
	}
	return 0;
}

static int
run(const char *what, char *const argv[])
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execve(argv[0], argv, environ);
		printf("%s: execve: %s\n", what, strerror(errno));
		fflush(stdout);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	status(what, st);
	return 0;
}

static int
exec(const char *dir)
{
	char *prog[] = { "./prog", "hello", "from exec", "7", NULL };
	char *script[] = { "./script.sh", "arg", NULL };
	char *missing[] = { "./missing", NULL };
	char *noexec[] = { "./noexec", NULL };
	char *garbage[] = { "./garbage", NULL };
	int fd;

	if (chdir(dir) != 0) {
		printf("chdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	/* A descriptor left open across exec and one closed by it. */
	fd = open("prog", O_RDONLY | O_CLOEXEC);
	printf("close-on-exec descriptor %s\n", fd > 2 ? "open" : "missing");
	setenv("L2VAR", "through execve", 1);
	run("prog", prog);
	run("script", script);
	run("missing", missing);
	run("noexec", noexec);
	run("garbage", garbage);
	/* This process replaced by this program again (/proc/self/exe,
	 * as busybox runs its applets), which finds the close-on-exec
	 * descriptor closed. */
	{
		char num[16];
		char *fdcheck[] = { "h_kvm_proc", "fdcheck", num, NULL };

		snprintf(num, sizeof(num), "%d", fd);
		fflush(stdout);
		execve("/proc/self/exe", fdcheck, environ);
		printf("execve: %s\n", strerror(errno));
	}
	return 1;
}

static int
spawn(const char *dir)
{
	char *argv[] = { "./prog", "hello", "spawned", "9", NULL };
	volatile int touched = 0;
	pid_t pid;
	int st, error;

	if (chdir(dir) != 0) {
		printf("chdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	fflush(stdout);
	error = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	if (error != 0) {
		printf("posix_spawn: %s\n", strerror(error));
		return 1;
	}
	waitpid(pid, &st, 0);
	status("posix_spawn", st);
	error = posix_spawn(&pid, "./missing", NULL, NULL, argv, environ);
	printf("posix_spawn of a missing file: %s\n", strerror(error));
	if (error == 0)
		waitpid(pid, &st, 0);

	/* vfork: the child runs in the parent's memory until it exits. */
	if ((pid = vfork()) == 0) {
		touched = 1;
		_exit(4);
	}
	waitpid(pid, &st, 0);
	status("vfork", st);
	printf("vfork child's write seen: %s\n", touched ? "yes" : "no");
	return 0;
}

static int
pipeline(int kib)
{
	int fds[2], res[2], st, i;
	char line[128];
	ssize_t len;
	pid_t w, r;

	if (pipe(fds) != 0 || pipe(res) != 0)
		return 1;
	if ((w = fork()) == 0) {
		char buf[1024];

		close(fds[0]);
		for (i = 0; i < kib; i++) {
			memset(buf, 'a' + i % 26, sizeof(buf));
			if (write(fds[1], buf, sizeof(buf)) != sizeof(buf))
				_exit(1);
		}
		_exit(0);
	}
	if ((r = fork()) == 0) {
		char buf[4096];
		long total = 0, sum = 0;
		ssize_t n;

		close(fds[1]);
		while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
			total += n;
			for (i = 0; i < n; i++)
				sum += buf[i];
		}
		/* Told to the parent, which prints it in its order. */
		dprintf(res[1], "reader: %ld bytes, sum %ld, end of file\n",
		    total, sum);
		_exit(total == kib * 1024L ? 0 : 1);
	}
	close(fds[0]);
	close(fds[1]);
	close(res[1]);
	waitpid(w, &st, 0);
	status("writer", st);
	waitpid(r, &st, 0);
	status("reader", st);
	if ((len = read(res[0], line, sizeof(line) - 1)) > 0) {
		line[len] = '\0';
		fputs(line, stdout);
	}
	return 0;
}

static int
waitidtest(void)
{
	int fds[2];
	siginfo_t si;
	pid_t pid;
	char c;
	int r;

	if (pipe(fds) != 0)
		return 1;
	if ((pid = fork()) == 0) {
		close(fds[1]);
		read(fds[0], &c, 1);	/* until the parent says */
		_exit(3);
	}
	close(fds[0]);
	/* What WNOHANG leaves in si is unspecified: only the result. */
	printf("WNOHANG while running: %d\n",
	    waitid(P_PID, pid, &si, WEXITED | WNOHANG));
	write(fds[1], "x", 1);
	printf("WNOWAIT: %d\n", waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	printf("  signo %d code %s status %d pid %s\n", si.si_signo,
	    si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_status,
	    si.si_pid == pid ? "right" : "wrong");
	memset(&si, 0, sizeof(si));
	r = waitid(P_ALL, 0, &si, WEXITED);
	printf("again: %d, status %d\n", r, si.si_status);
	printf("none left: %s\n", waitid(P_ALL, 0, &si, WEXITED) < 0 ?
	    strerror(errno) : "a child?");
	printf("bad options: %s\n", waitid(P_ALL, 0, &si, 0) < 0 ?
	    strerror(errno) : "accepted?");
	return 0;
}

/* Copy-on-write fork: each process sees its memory as it was at its
 * fork, whatever the others write afterwards (the program's own writes
 * and the kernel's, a read() into shared memory); a grandchild shares
 * with three processes at once. */
#define COW_LEN		(2 << 20)
#define COW_PAGE	4096

/* Every page's first byte is want, the rest as filled. */
static int
cow_check(const unsigned char *big, int want)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < COW_LEN; i++)
		if (big[i] != (i % COW_PAGE == 0 ? (unsigned char)want :
		    (unsigned char)(i * 7 + 1)))
			bad++;
	return bad;
}

static void
cow_stamp(unsigned char *big, int v)
{
	size_t i;

	for (i = 0; i < COW_LEN; i += COW_PAGE)
		big[i] = (unsigned char)v;
}

static int
cow(void)
{
	unsigned char *big, *ro;
	int go[2], st, k, bad;
	pid_t pids[3];
	size_t i;

	big = mmap(NULL, COW_LEN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, COW_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED || ro == MAP_FAILED || pipe(go) != 0)
		return 1;
	for (i = 0; i < COW_LEN; i++)
		big[i] = (unsigned char)(i * 7 + 1);
	ro[0] = 1;
	mprotect(ro, COW_PAGE, PROT_READ);
	for (k = 0; k < 3; k++) {
		/* Child k sees stamp k, which the parent changes at once. */
		cow_stamp(big, k);
		fflush(stdout);
		if ((pids[k] = fork()) == 0) {
			close(go[1]);
			/* The kernel writes into memory shared with the
			 * parent (a page of big, then put back). */
			if (read(go[0], big + 7 * COW_PAGE + 1, 1) != 1 ||
			    big[7 * COW_PAGE + 1] != 'g')
				_exit(90);
			big[7 * COW_PAGE + 1] = (unsigned char)(7 * COW_PAGE *
			    7 + 8);
			if ((bad = cow_check(big, k)) != 0)
				_exit(91);
			cow_stamp(big, 50 + k);
			if (k == 2) {
				/* A grandchild: three spaces share pages. */
				pid_t g = fork();

				if (g == 0)
					_exit(cow_check(big, 52) == 0 &&
					    (cow_stamp(big, 99), 1) &&
					    cow_check(big, 99) == 0 ? 0 : 1);
				if (waitpid(g, &st, 0) != g ||
				    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
					_exit(92);
			}
			if (cow_check(big, 50 + k) != 0)
				_exit(93);
			/* A read-only page made writable after the fork. */
			if (mprotect(ro, COW_PAGE, PROT_READ | PROT_WRITE) != 0)
				_exit(94);
			ro[0] = (unsigned char)(60 + k);
			_exit(10 + k);
		}
		cow_stamp(big, 200 + k);
	}
	close(go[0]);
	/* The children go on once the parent has written over it all. */
	write(go[1], "ggg", 3);
	close(go[1]);
	for (k = 0; k < 3; k++) {
		char what[32];

		waitpid(pids[k], &st, 0);
		snprintf(what, sizeof(what), "child %d (%d: right)", k,
		    10 + k);
		status(what, st);
	}
	printf("parent's memory: %d bad bytes, read-only page %d\n",
	    cow_check(big, 202), ro[0]);
	munmap(big, COW_LEN);
	munmap(ro, COW_PAGE);
	return 0;
}

/* Process groups and sessions, in a session of the test's own (so that
 * the host's and the guest's callers compare). */
static void
pg_child_wait(int fd)
{
	char c;

	read(fd, &c, 1);	/* until the pipe closes */
}

static const char *
err(int r)
{

	return r == 0 ? "ok" : strerror(errno);
}

static volatile sig_atomic_t got_pgusr1;

static void
on_pgusr1(int sig)
{

	(void)sig;
	got_pgusr1++;
}

static int
pgroups_session(void)
{
	int hold[2], ready[2], st, n, r, sig15;
	pid_t me = getpid(), a, b, d, f, e, g, w;
	char c;

	printf("setsid: sid %s, pgid %s\n", getsid(0) == me ? "mine" : "?",
	    getpgrp() == me ? "mine" : "?");
	printf("setsid again: %s\n", err(setsid() < 0 ? -1 : 0));
	printf("setpgid of a session leader: %s\n", err(setpgid(0, 0)));
	printf("getpgid of nobody: %s\n", err(getpgid(99999) < 0 ? -1 : 0));
	printf("getsid of nobody: %s\n", err(getsid(99999) < 0 ? -1 : 0));
	printf("setpgid with a negative group: %s\n", err(setpgid(0, -1)));
	if (pipe(hold) != 0 || pipe(ready) != 0)
		return 1;

	/* A leads a new group; B joins it (both sides ask, as shells do). */
	if ((a = fork()) == 0) {
		setpgid(0, 0);
		close(hold[1]);
		write(ready[1], "a", 1);
		pg_child_wait(hold[0]);
		_exit(0);
	}
	setpgid(a, a);
	read(ready[0], &c, 1);
	if ((b = fork()) == 0) {
		setpgid(0, a);
		close(hold[1]);
		write(ready[1], "b", 1);
		pg_child_wait(hold[0]);
		_exit(0);
	}
	r = setpgid(b, a);
	printf("setpgid of a child into another group: %s\n", err(r));
	read(ready[0], &c, 1);
	printf("groups: A %s, B %s, me %s\n",
	    getpgid(a) == a ? "leads its own" : "?",
	    getpgid(b) == a ? "in A's" : "?",
	    getpgrp() == me ? "mine" : "?");
	printf("sessions: A %s, B %s\n", getsid(a) == me ? "mine" : "?",
	    getsid(b) == me ? "mine" : "?");
	printf("setpgid into no group: %s\n", err(setpgid(b, 99999)));
	printf("setpgid of a non-child: %s\n", err(setpgid(getppid(), 0)));
	printf("kill of a group with nobody: %s\n", err(kill(-99999, 0)));
	printf("kill 0 to group A: %s\n", err(kill(-a, 0)));
	printf("wait for group A, none ended: %d\n",
	    (int)waitpid(-a, &st, WNOHANG));
	printf("kill SIGTERM to group A: %s\n", err(kill(-a, SIGTERM)));
	/* Both end (in either order); wait for the group collects them. */
	for (n = 0, sig15 = 0; n < 3; n++) {
		w = waitpid(-a, &st, 0);
		if (w < 0)
			break;
		if ((w == a || w == b) && WIFSIGNALED(st) &&
		    WTERMSIG(st) == SIGTERM)
			sig15++;
	}
	printf("waitpid(-A): %d killed by SIGTERM, then %s\n", sig15,
	    strerror(errno));

	/* wait(0): the caller's group only.  F (own group) has ended, D
	 * (this group) runs: nothing yet; then D; then none left in this
	 * group, though F is still there to be waited for by P_PGID. */
	if ((f = fork()) == 0) {
		setpgid(0, 0);
		_exit(3);
	}
	setpgid(f, f);
	if ((d = fork()) == 0) {
		close(hold[1]);
		pg_child_wait(hold[0]);
		_exit(4);
	}
	{
		siginfo_t si;

		/* F has ended once waitid says so without taking it. */
		memset(&si, 0, sizeof(si));
		r = waitid(P_PGID, f, &si, WEXITED | WNOWAIT);
		printf("waitid(P_PGID, F, WNOWAIT): %s, status %d\n", err(r),
		    si.si_status);
	}
	printf("waitpid(0) with only F ended: %d\n",
	    (int)waitpid(0, &st, WNOHANG));
	close(hold[1]);
	w = waitpid(0, &st, 0);
	printf("waitpid(0): %s, ", w == d ? "D" : "?");
	status("D", st);
	printf("waitpid(0) again: %s\n", waitpid(0, &st, 0) < 0 ?
	    strerror(errno) : "a child?");
	{
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		r = waitid(P_PGID, f, &si, WEXITED);
		printf("waitid(P_PGID, F): %s, pid %s, status %d\n", err(r),
		    si.si_pid == f ? "F" : "?", si.si_status);
	}

	/* kill(0): the caller's group, the caller included. */
	signal(SIGUSR1, on_pgusr1);
	if ((g = fork()) == 0) {
		signal(SIGUSR1, SIG_DFL);
		write(ready[1], "g", 1);
		for (;;)
			pause();
	}
	read(ready[0], &c, 1);
	printf("kill(0, SIGUSR1): %s\n", err(kill(0, SIGUSR1)));
	waitpid(g, &st, 0);
	status("G in my group", st);
	printf("handled here: %d\n", (int)got_pgusr1);

	/* A child's own session: out of reach of setpgid. */
	if ((e = fork()) == 0) {
		pid_t s = setsid();

		write(ready[1], s == getpid() ? "y" : "n", 1);
		pause();
		_exit(0);
	}
	read(ready[0], &c, 1);
	printf("child's setsid: %s, its sid %s\n", c == 'y' ? "ok" : "?",
	    getsid(e) == e ? "its own" : "?");
	printf("setpgid of a child in another session: %s\n",
	    err(setpgid(e, me)));
	kill(e, SIGKILL);
	waitpid(e, &st, 0);

	/* A child that has run execve: EACCES. */
	{
		char num[16];
		char *argv[] = { "h_kvm_proc", "pgexec", num, NULL };

		snprintf(num, sizeof(num), "%d", ready[1]);
		if ((e = fork()) == 0) {
			execve("/proc/self/exe", argv, environ);
			_exit(127);
		}
		read(ready[0], &c, 1);
		printf("setpgid of a child after execve: %s\n",
		    err(setpgid(e, e)));
		kill(e, SIGKILL);
		waitpid(e, &st, 0);
	}
	return 0;
}

static int
pgroups(void)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (setsid() != getpid()) {
			printf("setsid: %s\n", strerror(errno));
			_exit(1);
		}
		_exit(pgroups_session());
	}
	waitpid(pid, &st, 0);
	status("session", st);
	return 0;
}

/* Queued real-time signals, coalesced standard ones, sigtimedwait,
 * the alternate signal stack. */
static struct {
	int sig, code, value;
} seen[32];
static volatile sig_atomic_t nseen;
static char *alt;
#define ALT_SIZE	(64 * 1024)
static volatile sig_atomic_t on_alt, alt_flags, alt_eperm;

static void
on_record(int sig, siginfo_t *si, void *uc)
{

	(void)uc;
	if (nseen < 32) {
		seen[nseen].sig = sig;
		seen[nseen].code = si->si_code;
		seen[nseen].value = si->si_value.sival_int;
		nseen++;
	}
}

static void
on_altcheck(int sig)
{
	char here;
	stack_t ss, other;

	(void)sig;
	on_alt = &here > alt && &here < alt + ALT_SIZE;
	if (sigaltstack(NULL, &ss) == 0)
		alt_flags = ss.ss_flags;
	memset(&other, 0, sizeof(other));
	other.ss_sp = malloc(8192);
	other.ss_size = 8192;
	alt_eperm = sigaltstack(&other, NULL) < 0 && errno == EPERM;
	free(other.ss_sp);
}

static const char *
signame(int sig)
{
	static char buf[16];

	if (sig == SIGUSR1)
		return "SIGUSR1";
	if (sig == SIGUSR2)
		return "SIGUSR2";
	snprintf(buf, sizeof(buf), "SIGRTMIN+%d", sig - SIGRTMIN);
	return buf;
}

static int
sigqueuetest(void)
{
	struct sigaction sa;
	sigset_t set, old;
	siginfo_t si;
	union sigval v;
	struct timespec zero = { 0, 0 };
	stack_t ss;
	pid_t pid;
	int i, st, r, rt1 = SIGRTMIN + 1, rt2 = SIGRTMIN + 2;

	/* Several of one real-time signal queue, each with its value;
	 * SIGUSR2 sent twice is pending once.  Unblocked: the lowest number
	 * first, each real-time one in the order sent.  The handlers block
	 * everything, so one runs at a time. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_record;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGRTMIN, &sa, NULL);
	sigaction(rt1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, rt1);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (i = 1; i <= 3; i++) {
		v.sival_int = i;
		sigqueue(getpid(), rt1, v);
	}
	v.sival_int = 10;
	sigqueue(getpid(), SIGRTMIN, v);
	v.sival_int = 11;
	sigqueue(getpid(), SIGRTMIN, v);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR2);
	{
		sigset_t pend;

		sigpending(&pend);
		printf("pending: SIGUSR2 %d, SIGRTMIN %d, SIGRTMIN+1 %d, "
		    "handled %d\n", sigismember(&pend, SIGUSR2),
		    sigismember(&pend, SIGRTMIN), sigismember(&pend, rt1),
		    (int)nseen);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < nseen; i++)
		printf("  %s code %s value %d\n", signame(seen[i].sig),
		    seen[i].code == SI_QUEUE ? "SI_QUEUE" :
		    seen[i].code == SI_USER ? "SI_USER" : "?",
		    seen[i].code == SI_QUEUE ? seen[i].value : 0);

	/* Taken without a handler: sigwaitinfo, sigtimedwait; from another
	 * process, with its pid. */
	sigemptyset(&set);
	sigaddset(&set, rt2);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		for (i = 0; i < 3; i++) {
			v.sival_int = 42 + i;
			sigqueue(getppid(), rt2, v);
		}
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	for (i = 0; i < 4; i++) {
		r = sigwaitinfo(&set, &si);
		printf("sigwaitinfo: %s from the child %s, %s value %d\n",
		    r > 0 ? signame(r) : strerror(errno),
		    si.si_pid == pid ? "yes" : "no",
		    si.si_code == SI_QUEUE ? "SI_QUEUE" :
		    si.si_code == SI_USER ? "SI_USER" : "?",
		    si.si_code == SI_QUEUE ? si.si_value.sival_int : 0);
	}
	r = sigtimedwait(&set, &si, &zero);
	printf("sigtimedwait with nothing pending: %s\n",
	    r < 0 ? strerror(errno) : "a signal?");
	{
		struct timespec tick = { 0, 20 * 1000 * 1000 };

		r = sigtimedwait(&set, &si, &tick);
		printf("sigtimedwait for 20 ms: %s\n",
		    r < 0 ? strerror(errno) : "a signal?");
	}
	/* Not the kernel's to claim for another process. */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		for (;;)
			pause();
	}
	memset(&si, 0, sizeof(si));
	si.si_code = SI_USER;
	si.si_signo = rt2;
	printf("rt_sigqueueinfo as SI_USER to a child: %s\n",
	    syscall(SYS_rt_sigqueueinfo, pid, rt2, &si) < 0 ?
	    strerror(errno) : "sent?");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* The alternate stack: off at first; a handler with SA_ONSTACK
	 * runs on it (and may not change it there), one without does not. */
	sigaltstack(NULL, &ss);
	printf("sigaltstack at first: %s\n",
	    ss.ss_flags == SS_DISABLE ? "SS_DISABLE" : "?");
	alt = malloc(ALT_SIZE);
	ss.ss_sp = alt;
	ss.ss_size = 1024;
	ss.ss_flags = 0;
	printf("too small: %s\n", sigaltstack(&ss, NULL) < 0 ?
	    strerror(errno) : "taken?");
	ss.ss_size = ALT_SIZE;
	ss.ss_flags = 12345;
	printf("bad flags: %s\n", sigaltstack(&ss, NULL) < 0 ?
	    strerror(errno) : "taken?");
	ss.ss_flags = 0;
	printf("set: %s\n", sigaltstack(&ss, NULL) == 0 ? "ok" :
	    strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_altcheck;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("SA_ONSTACK: on the alternate stack %s, flags %s, "
	    "changing it there %s\n", on_alt ? "yes" : "no",
	    alt_flags == SS_ONSTACK ? "SS_ONSTACK" : "?",
	    alt_eperm ? "EPERM" : "allowed?");
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("without SA_ONSTACK: on it %s, flags %s\n",
	    on_alt ? "yes" : "no", alt_flags == 0 ? "0" : "?");
	/* A forked child keeps it. */
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		raise(SIGUSR1);
		_exit(on_alt ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	status("a forked child's handler on the alternate stack (0: yes)",
	    st);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	sigaltstack(NULL, &ss);
	raise(SIGUSR1);
	printf("disabled: %s, handler on it %s\n",
	    ss.ss_flags == SS_DISABLE ? "SS_DISABLE" : "?",
	    on_alt ? "yes" : "no");
	free(alt);
	return 0;
}

static volatile sig_atomic_t got_usr1, chld_pid, chld_status, chld_code;

static void
on_usr1(int sig)
{

	(void)sig;
	got_usr1++;
}

static void
on_chld(int sig, siginfo_t *si, void *uc)
{

	(void)sig;
	(void)uc;
	chld_pid = si->si_pid;
	chld_status = si->si_status;
	chld_code = si->si_code;
}

static void
on_term_exit(int sig)
{

	_exit(100 + sig);
}

/* A child that says it is ready (one byte on fd) and then runs fn. */
static pid_t
child(int fd, void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		write(fd, "r", 1);
		for (;;)
			pause();
	}
	return pid;
}

static void
nothing(void)
{
}

static void
term_handler(void)
{

	signal(SIGTERM, on_term_exit);
}

static int
signals(void)
{
	struct sigaction sa;
	sigset_t set, old, pend;
	struct timespec ts = { 30, 0 }, rem = { 0, 0 };
	volatile long v = 12345;
	int fds[2], st, r;
	pid_t pid;
	char c;

	/* A handler on the program's own signal; registers survive it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("SIGUSR1 handled %d time(s), value kept: %ld\n",
	    (int)got_usr1, v * 2);

	/* Blocked: pending, seen by sigpending, taken when unblocked. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	kill(getpid(), SIGUSR1);
	sigpending(&pend);
	printf("blocked: handled %d, pending %d\n", (int)got_usr1,
	    sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("unblocked: handled %d\n", (int)got_usr1);

	/* SIGCHLD with its siginfo, waited for with sigsuspend. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	if ((pid = fork()) == 0)
		_exit(5);
	while (chld_pid == 0)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("SIGCHLD: from the child %s, status %d, %s\n",
	    chld_pid == pid ? "yes" : "no", (int)chld_status,
	    chld_code == CLD_EXITED ? "CLD_EXITED" : "?");
	waitpid(pid, &st, 0);
	status("child", st);
	signal(SIGCHLD, SIG_DFL);

	/* kill of children: the default action, a handler, SIGKILL. */
	if (pipe(fds) != 0)
		return 1;
	pid = child(fds[1], nothing);
	read(fds[0], &c, 1);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	status("SIGTERM, default action", st);
	pid = child(fds[1], term_handler);
	read(fds[0], &c, 1);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	status("SIGTERM, handler exits", st);
	pid = child(fds[1], term_handler);
	read(fds[0], &c, 1);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	status("SIGKILL", st);

	/* An interrupted sleep: EINTR and what was left of it.  The parent
	 * signals until the child has gone: one lands during the sleep. */
	if ((pid = fork()) == 0) {
		signal(SIGUSR1, on_usr1);
		write(fds[1], "r", 1);
		r = nanosleep(&ts, &rem);
		_exit(r < 0 && errno == EINTR && rem.tv_sec > 0 &&
		    rem.tv_sec <= 30 ? 0 : 1);
	}
	read(fds[0], &c, 1);
	for (r = 0; r < 600; r++) {
		struct timespec tick = { 0, 50 * 1000 * 1000 };

		kill(pid, SIGUSR1);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		nanosleep(&tick, NULL);
	}
	status("nanosleep interrupted (0: EINTR with time left)", st);

	/* A child blocked in the kernel (a pipe's read): SIGTERM's default
	 * action ends it; a handler without SA_RESTART makes the read fail
	 * with EINTR; with SA_RESTART the read goes on and gets its byte. */
	{
		int in[2];

		if (pipe(in) != 0)
			return 1;
		if ((pid = fork()) == 0) {
			write(fds[1], "r", 1);
			read(in[0], &c, 1);
			_exit(0);
		}
		read(fds[0], &c, 1);
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		status("SIGTERM to a reader of a pipe", st);

		if ((pid = fork()) == 0) {
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_usr1;
			sigaction(SIGUSR1, &sa, NULL);
			write(fds[1], "r", 1);
			r = (int)read(in[0], &c, 1);
			_exit(r < 0 && errno == EINTR ? 0 : 1);
		}
		read(fds[0], &c, 1);
		for (r = 0; r < 600; r++) {
			struct timespec tick = { 0, 50 * 1000 * 1000 };

			kill(pid, SIGUSR1);
			if (waitpid(pid, &st, WNOHANG) == pid)
				break;
			nanosleep(&tick, NULL);
		}
		status("read interrupted (0: EINTR)", st);

		if ((pid = fork()) == 0) {
			got_usr1 = 0;
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_usr1;
			sa.sa_flags = SA_RESTART;
			sigaction(SIGUSR1, &sa, NULL);
			write(fds[1], "r", 1);
			r = (int)read(in[0], &c, 1);
			_exit(r == 1 && c == 'x' && got_usr1 > 0 ? 0 : 1);
		}
		read(fds[0], &c, 1);
		kill(pid, SIGUSR1);
		{
			struct timespec tick = { 0, 100 * 1000 * 1000 };

			nanosleep(&tick, NULL);
		}
		write(in[1], "x", 1);
		waitpid(pid, &st, 0);
		status("read restarted (0: the byte after the handler)", st);
		close(in[0]);
		close(in[1]);
	}

	/* SIGCHLD ignored: children are not kept for wait. */
	signal(SIGCHLD, SIG_IGN);
	if ((pid = fork()) == 0)
		_exit(0);
	printf("waitpid with SIGCHLD ignored: %s\n",
	    waitpid(pid, &st, 0) < 0 ? strerror(errno) : "a status");
	printf("kill of no process: %s\n", kill(99999, SIGTERM) < 0 ?
	    strerror(errno) : "sent?");
	return 0;
}

/* Children ended by their own faults: their parent waits and goes on. */
static int
crashes(void)
{
	static const char *const what[] = { "null dereference",
	    "invalid opcode", "division by zero" };
	volatile int zero = 0, hundred = 100;
	pid_t pid;
	int i, st;

	for (i = 0; i < 3; i++) {
		fflush(stdout);
		if ((pid = fork()) == 0) {
			if (i == 0)
				*(volatile int *)(intptr_t)zero = 1;
			else if (i == 1)
				__asm__ volatile("ud2");
			else
				printf("%d\n", hundred / zero);
			_exit(0);
		}
		waitpid(pid, &st, 0);
		status(what[i], st);
	}
	printf("the parent goes on\n");
	return 0;
}

/* Memory comes back: free memory (sysinfo) before and after n children
 * that each fork a grandchild, touch 1 MiB and exec this program. */
static int
memory(int n)
{
	struct sysinfo before, after;
	int i, st;
	pid_t pid;

	/* One round first: whatever the kernel keeps once (caches) is
	 * kept by then. */
	for (i = 0; i <= n; i++) {
		if (i == 1)
			sysinfo(&before);
		if ((pid = fork()) == 0) {
			char *p = malloc(1 << 20);
			char *argv[] = { "h_kvm_proc", "fdcheck", "0", NULL };
			int fds[2];

			memset(p, 1, 1 << 20);
			pipe(fds);
			if (fork() == 0)
				_exit(0);
			wait(NULL);
			close(1);	/* fdcheck prints nothing */
			execve("/proc/self/exe", argv, environ);
			_exit(127);
		}
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			status("child", st);
			return 1;
		}
	}
	sysinfo(&after);
	printf("%d children: free memory %s (before %lu KiB, after %lu KiB)\n",
	    n, after.freeram * after.mem_unit + 256 * 1024 >=
	    before.freeram * before.mem_unit ? "back" : "LOST",
	    before.freeram * before.mem_unit / 1024,
	    after.freeram * after.mem_unit / 1024);
	return 0;
}

static int block_fds[2];
static pthread_mutex_t block_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t block_cond = PTHREAD_COND_INITIALIZER;

static void *
block_read(void *arg)
{
	char c;

	(void)arg;
	read(block_fds[0], &c, 1);	/* nobody writes */
	printf("a reader returned\n");
	return NULL;
}

static void *
block_cond_wait(void *arg)
{

	(void)arg;
	pthread_mutex_lock(&block_lock);
	for (;;)
		pthread_cond_wait(&block_cond, &block_lock);
	return NULL;
}

/* execve from a process with two more threads, one waiting in the
 * kernel, one on a futex: they end; the new program runs alone. */
static int
execthreads(void)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	char *argv[] = { "h_kvm_proc", "afterexec", NULL };
	pthread_t a, b;

	if (pipe(block_fds) != 0 ||
	    pthread_create(&a, NULL, block_read, NULL) != 0 ||
	    pthread_create(&b, NULL, block_cond_wait, NULL) != 0)
		return 1;
	nanosleep(&tick, NULL);		/* both are waiting by then */
	printf("before exec: 3 threads\n");
	fflush(stdout);
	execve("/proc/self/exe", argv, environ);
	printf("execve: %s\n", strerror(errno));
	return 1;
}

static int
afterexec(void)
{
	struct timespec tick = { 0, 200 * 1000 * 1000 };

	nanosleep(&tick, NULL);		/* time for stray threads to show */
	printf("after exec: alone\n");
	return 0;
}

/* Writing to a pipe without readers: SIGPIPE, or EPIPE when ignored;
 * MSG_NOSIGNAL on a socket: EPIPE only. */
static int
sigpipe(void)
{
	int fds[2], sv[2], st;
	pid_t pid;

	if (pipe(fds) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 1;
	close(fds[0]);
	close(sv[1]);
	if ((pid = fork()) == 0) {
		write(fds[1], "x", 1);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	status("write to a pipe without readers", st);
	if ((pid = fork()) == 0) {
		ssize_t n = send(sv[0], "x", 1, MSG_NOSIGNAL);

		_exit(n < 0 && errno == EPIPE ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	status("send with MSG_NOSIGNAL (0: EPIPE)", st);
	signal(SIGPIPE, SIG_IGN);
	printf("SIGPIPE ignored: write %s\n", write(fds[1], "x", 1) < 0 ?
	    strerror(errno) : "worked?");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "forks") == 0 && argc > 2)
		return forks(atoi(argv[2]));
	if (strcmp(cmd, "exec") == 0 && argc > 2)
		return exec(argv[2]);
	if (strcmp(cmd, "spawn") == 0 && argc > 2)
		return spawn(argv[2]);
	if (strcmp(cmd, "pipeline") == 0 && argc > 2)
		return pipeline(atoi(argv[2]));
	if (strcmp(cmd, "waitid") == 0)
		return waitidtest();
	if (strcmp(cmd, "signals") == 0)
		return signals();
	if (strcmp(cmd, "crashes") == 0)
		return crashes();
	if (strcmp(cmd, "sigpipe") == 0)
		return sigpipe();
	if (strcmp(cmd, "execthreads") == 0)
		return execthreads();
	if (strcmp(cmd, "afterexec") == 0)
		return afterexec();
	if (strcmp(cmd, "memory") == 0 && argc > 2)
		return memory(atoi(argv[2]));
	if (strcmp(cmd, "sigqueue") == 0)
		return sigqueuetest();
	if (strcmp(cmd, "cow") == 0)
		return cow();
	if (strcmp(cmd, "pgroups") == 0)
		return pgroups();
	if (strcmp(cmd, "pgexec") == 0 && argc > 2) {
		write(atoi(argv[2]), "x", 1);
		pause();
		return 0;
	}
	if (strcmp(cmd, "fdcheck") == 0 && argc > 2) {
		printf("%s: descriptor %s after exec: %s\n", argv[0], argv[2],
		    fcntl(atoi(argv[2]), F_GETFD) < 0 ? strerror(errno) :
		    "open");
		return 0;
	}
	fprintf(stderr, "usage: %s forks N|exec DIR|spawn DIR|pipeline N|"
	    "waitid|signals|sigpipe|crashes|memory N|execthreads|"
	    "cow|pgroups|sigqueue|fdcheck FD\n", argv[0]);
	return 2;
}
