/*
 * h_kvm_l2_prog: an ordinary Linux program (built by t_kvm_l2.sh with
 * Debian's musl-gcc, static or static-pie) that the tests run unmodified
 * as a kvm unikernel.  Nothing here knows about strata: it uses libc and
 * Linux system calls only, and prints what it found, so the same program
 * run on the host prints the same lines (the test compares).
 *
 *   h_kvm_l2_prog hello ARGS...   arguments, environment, exit status
 *   h_kvm_l2_prog files           directories, files, links, renames
 *   h_kvm_l2_prog threads         pthreads, mutexes, condvars, TLS, join
 *   h_kvm_l2_prog time            clocks and sleeping
 *   h_kvm_l2_prog mem             malloc, mmap, mprotect, mremap, brk
 *   h_kvm_l2_prog exit N          exit(N)
 *   h_kvm_l2_prog abort           abort()
 *   h_kvm_l2_prog crash           a null dereference
 *   h_kvm_l2_prog stdin           reads standard input to its end
 *   h_kvm_l2_prog efault          bad pointers to system calls: EFAULT
 *   h_kvm_l2_prog net             TCP over the loopback between two threads,
 *                                 UDP, poll
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int
hello(int argc, char **argv)
{
	const char *v = getenv("L2VAR");
	int i;

	printf("argc=%d\n", argc);
	for (i = 0; i < argc; i++)
		printf("argv[%d]=<%s>\n", i, argv[i]);
	printf("L2VAR=<%s>\n", v != NULL ? v : "(unset)");
	return argc > 2 ? atoi(argv[argc - 1]) : 0;
}

static int
cmpstr(const void *a, const void *b)
{

	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
listdir(const char *path)
{
	char *names[64];
	struct dirent *d;
	int n = 0, i;
	DIR *dir = opendir(path);

	if (dir == NULL) {
		printf("opendir %s: %s\n", path, strerror(errno));
		return;
	}
	while ((d = readdir(dir)) != NULL && n < 64)
		if (d->d_name[0] != '.')
			names[n++] = strdup(d->d_name);
	closedir(dir);
	qsort(names, (size_t)n, sizeof(names[0]), cmpstr);
	printf("%s:", path);
	for (i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static int
files(void)
{
	static char big[100000];
	char buf[64], target[64];
	struct stat st;
	ssize_t n;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	if (mkdir("/tmp/d", 0755) != 0 || mkdir("/tmp/d/sub", 0700) != 0)
		return printf("mkdir: %s\n", strerror(errno)), 1;
	fd = open("/tmp/d/big", O_CREAT | O_WRONLY | O_TRUNC, 0640);
	if (fd < 0 || write(fd, big, sizeof(big)) != (ssize_t)sizeof(big))
		return printf("write: %s\n", strerror(errno)), 1;
	close(fd);
	fd = open("/tmp/d/small", O_CREAT | O_RDWR, 0600);
	dprintf(fd, "small file\n");
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("small: %s", buf);
	close(fd);
	if (link("/tmp/d/small", "/tmp/d/hard") != 0 ||
	    symlink("small", "/tmp/d/soft") != 0 ||
	    rename("/tmp/d/big", "/tmp/d/sub/big") != 0)
		return printf("link/rename: %s\n", strerror(errno)), 1;
	n = readlink("/tmp/d/soft", target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	printf("soft -> %s\n", target);
	stat("/tmp/d/sub/big", &st);
	printf("big: size %lld mode %o\n", (long long)st.st_size,
	    (unsigned)st.st_mode & 07777);
	stat("/tmp/d/hard", &st);
	printf("hard: nlink %ld\n", (long)st.st_nlink);
	fd = open("/tmp/d/sub/big", O_RDONLY);
	memset(big, 0, sizeof(big));
	n = pread(fd, big, sizeof(big), 0);
	close(fd);
	for (i = 0; i < sizeof(big) && big[i] == (char)(i * 7); i++)
		;
	printf("big read back: %zd bytes, %s\n", n,
	    i == sizeof(big) ? "same" : "DIFFERENT");
	listdir("/tmp/d");
	unlink("/tmp/d/hard");
	errno = 0;
	printf("rmdir non-empty: %s\n", rmdir("/tmp/d") == 0 ? "ok" :
	    strerror(errno));
	printf("open missing: %s\n", open("/tmp/none", O_RDONLY) < 0 ?
	    strerror(errno) : "ok");
	listdir("/tmp/d");
	if (chdir("/tmp/d/sub") == 0 && getcwd(buf, sizeof(buf)) != NULL)
		printf("cwd: %s\n", buf);
	return 0;
}

#define NTHREADS	8
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int counter, started;
static _Thread_local int mine = -1;

static void *
worker(void *arg)
{
	int id = (int)(intptr_t)arg, i;

	mine = id;
	pthread_mutex_lock(&mtx);
	started++;
	pthread_cond_broadcast(&cv);
	while (started < NTHREADS)
		pthread_cond_wait(&cv, &mtx);
	pthread_mutex_unlock(&mtx);
	for (i = 0; i < 10000; i++) {
		pthread_mutex_lock(&mtx);
		counter++;
		pthread_mutex_unlock(&mtx);
		if (i % 1000 == 0)
			sched_yield();
	}
	return (void *)(intptr_t)(mine * 100 + (int)(syscall(SYS_gettid) !=
	    getpid()));
}

static int
threads(void)
{
	pthread_t t[NTHREADS];
	long sum = 0;
	int i;

	mine = 99;
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i)
		    != 0)
			return printf("pthread_create failed\n"), 1;
	for (i = 0; i < NTHREADS; i++) {
		void *r;

		pthread_join(t[i], &r);
		sum += (intptr_t)r;
	}
	printf("counter %d, sum %ld, main's tls %d\n", counter, sum, mine);
	return 0;
}

static int64_t
ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
timetest(void)
{
	struct timespec req = { 0, 100 * 1000 * 1000 }, res;
	int64_t a, b, w;

	a = ns(CLOCK_MONOTONIC);
	nanosleep(&req, NULL);
	b = ns(CLOCK_MONOTONIC);
	printf("nanosleep 100 ms: %s\n", b - a >= 100000000 &&
	    b - a < 5000000000 ? "ok" : "WRONG");
	a = ns(CLOCK_MONOTONIC);
	req.tv_nsec = 50 * 1000 * 1000;
	clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
	b = ns(CLOCK_MONOTONIC);
	printf("clock_nanosleep 50 ms: %s\n", b - a >= 50000000 ? "ok" :
	    "WRONG");
	w = ns(CLOCK_REALTIME);
	printf("realtime after 2024: %s\n", w / 1000000000 > 1704067200 ?
	    "ok" : "WRONG");
	printf("time() agrees: %s\n", labs((long)(time(NULL) -
	    w / 1000000000)) <= 1 ? "ok" : "WRONG");
	printf("getres: %s\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 &&
	    res.tv_sec == 0 && res.tv_nsec > 0 ? "ok" : "WRONG");
	printf("bad clock: %s\n", clock_gettime(1234, &res) != 0 &&
	    errno == EINVAL ? "EINVAL" : "WRONG");
	return 0;
}

static int
mem(void)
{
	size_t big = 8 << 20, i;
	unsigned char *p, *q;
	unsigned long sum = 0;
	void *brk0;

	p = malloc(big);
	for (i = 0; i < big; i += 4096)
		p[i] = (unsigned char)(i >> 12);
	q = realloc(p, 2 * big);
	for (i = 0; i < big; i += 4096)
		sum += q[i];
	printf("realloc kept %lu\n", sum);
	free(q);
	p = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mprotect: %d\n", mprotect(p + 4096, 8192,
	    PROT_READ | PROT_WRITE));
	p[4096] = 1;
	p[3 * 4096 - 1] = 2;
	printf("munmap: %d\n", munmap(p, 1 << 20));
	printf("munmap unaligned: %s\n", munmap(p + 1, 4096) != 0 ?
	    strerror(errno) : "ok");
	brk0 = sbrk(0);
	p = sbrk(65536);
	if (p != (void *)-1) {
		memset(p, 3, 65536);
		printf("sbrk: ok\n");
	} else {
		printf("sbrk: %s\n", strerror(errno));
	}
	(void)brk0;
	return 0;
}

static int
readstdin(void)
{
	char buf[256];
	ssize_t n, total = 0;

	while ((n = read(0, buf, sizeof(buf))) > 0)
		total += n;
	printf("stdin: %zd bytes, last read %zd\n", total, n);
	return 0;
}

static void
said(const char *what, long r)
{

	printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

static int
efault(void)
{
	struct timespec ts;
	char *ro;
	int fd;

	said("write from NULL+16", write(1, (void *)16, 10));
	said("open of a bad path", open((char *)1, O_RDONLY));
	said("clock_gettime into a bad address",
	    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8));
	said("nanosleep from a bad address",
	    syscall(SYS_nanosleep, (void *)8, NULL));
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = open("/tmp/efault", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, "0123456789", 10);
	said("read into a read-only page", pread(fd, ro, 10, 0));
	said("fstat into a read-only page", syscall(SYS_fstat, fd, ro));
	said("futex on a bad address", syscall(SYS_futex, (void *)64, 0, 1,
	    NULL, NULL, 0));
	said("a good one after", clock_gettime(CLOCK_MONOTONIC, &ts));
	close(fd);
	unlink("/tmp/efault");
	return 0;
}

static struct sockaddr_in srv;

static void *
client(void *arg)
{
	char buf[64];
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	(void)arg;
	if (connect(s, (struct sockaddr *)&srv, sizeof(srv)) != 0)
		return (void *)(intptr_t)printf("connect: %s\n", strerror(errno));
	send(s, "ping over tcp", 13, 0);
	n = recv(s, buf, 13, MSG_WAITALL);
	buf[n > 0 ? n : 0] = '\0';
	printf("client got: %s\n", buf);
	close(s);
	return NULL;
}

static int
net(void)
{
	struct sockaddr_in from;
	socklen_t len = sizeof(srv);
	struct pollfd pfd;
	pthread_t t;
	char buf[64];
	int l, c, u1, u2, i;
	ssize_t n;

	l = socket(AF_INET, SOCK_STREAM, 0);
	memset(&srv, 0, sizeof(srv));
	srv.sin_family = AF_INET;
	srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&srv, sizeof(srv)) != 0 ||
	    listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&srv, &len) != 0)
		return printf("listen: %s\n", strerror(errno)), 1;
	printf("listening on an ephemeral port: %s\n",
	    ntohs(srv.sin_port) != 0 ? "yes" : "no");
	pthread_create(&t, NULL, client, NULL);
	c = accept(l, NULL, NULL);
	n = recv(c, buf, 13, MSG_WAITALL);
	buf[n > 0 ? n : 0] = '\0';
	printf("server got: %s\n", buf);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] >= 'a' && buf[i] <= 'z')
			buf[i] = (char)(buf[i] - 'a' + 'A');
	send(c, buf, (size_t)n, 0);
	pthread_join(t, NULL);
	close(c);
	close(l);

	u1 = socket(AF_INET, SOCK_DGRAM, 0);
	u2 = socket(AF_INET, SOCK_DGRAM, 0);
	srv.sin_port = 0;
	bind(u1, (struct sockaddr *)&srv, sizeof(srv));
	len = sizeof(srv);
	getsockname(u1, (struct sockaddr *)&srv, &len);
	sendto(u2, "datagram", 8, 0, (struct sockaddr *)&srv, sizeof(srv));
	pfd.fd = u1;
	pfd.events = POLLIN;
	printf("poll: %d\n", poll(&pfd, 1, 5000));
	len = sizeof(from);
	n = recvfrom(u1, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &len);
	buf[n > 0 ? n : 0] = '\0';
	printf("udp got: %s from 127.0.0.1: %s\n", buf,
	    from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) ? "yes" : "no");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "hello") == 0)
		return hello(argc, argv);
	if (strcmp(cmd, "files") == 0)
		return files();
	if (strcmp(cmd, "threads") == 0)
		return threads();
	if (strcmp(cmd, "time") == 0)
		return timetest();
	if (strcmp(cmd, "mem") == 0)
		return mem();
	if (strcmp(cmd, "exit") == 0 && argc > 2)
		exit(atoi(argv[2]));
	if (strcmp(cmd, "abort") == 0) {
		printf("aborting\n");
		abort();
	}
	if (strcmp(cmd, "crash") == 0) {
		printf("crashing\n");
		*(volatile int *)(intptr_t)(argc - 2) = 1;
		return 0;
	}
	if (strcmp(cmd, "stdin") == 0)
		return readstdin();
	if (strcmp(cmd, "efault") == 0)
		return efault();
	if (strcmp(cmd, "net") == 0)
		return net();
	fprintf(stderr, "usage: %s hello|files|threads|time|mem|exit N|abort|"
	    "crash|stdin|efault|net\n", argv[0]);
	return 2;
}
