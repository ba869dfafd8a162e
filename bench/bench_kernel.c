/*
 * bench_kernel: the foundation benchmarks.  Each one runs a named peer in
 * the same run and prints absolute figures and the ratio rump/peer
 * (below 1.0: the rump kernel is faster).
 *
 *   init         rump_init() time        vs  fork+exec+wait of /bin/true
 *   getpid       rump_sys_getpid() ns    vs  the host getpid system call
 *   tmpfs-small  10,000 x 4 KiB files    vs  the same on the host /dev/shm
 *                create+write, then read back
 *   tmpfs-large  one 256 MiB file        vs  the same on the host /dev/shm
 *                written and read in 64 KiB chunks
 *
 * Benchmarks are not tests: they check nothing beyond the data read back.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

/* One set of file operations, so rump and host run the same code. */
struct fileops {
	const char *name;
	int	(*open)(const char *, int, ...);
	int	(*close)(int);
	ssize_t	(*read)(int, void *, size_t);
	ssize_t	(*write)(int, const void *, size_t);
	int	(*mkdir)(const char *, uint32_t);
	int	(*unlink)(const char *);
	int	(*rmdir)(const char *);
};

static int host_mkdir(const char *p, uint32_t m) { return mkdir(p, m); }
static const struct fileops host_ops = {
	"host /dev/shm", open, close, read, write, host_mkdir, unlink, rmdir,
};
static const struct fileops rump_ops = {
	"rump tmpfs", rump_sys_open, rump_sys_close, rump_sys_read,
	rump_sys_write, rump_sys_mkdir, rump_sys_unlink, rump_sys_rmdir,
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_kernel: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
ratio(const char *what, double rump, double peer, const char *unit)
{
	printf("%-28s rump %12.3f %-6s peer %12.3f %-6s ratio %.2f\n",
	    what, rump, unit, peer, unit, rump / peer);
}

static void
bench_init(void)
{
	double t0, trump, tpeer;
	pid_t pid;

	t0 = now();
	if (rump_init() != 0)
		die("rump_init");
	trump = now() - t0;

	t0 = now();
	for (int i = 0; i < 10; i++) {
		if ((pid = fork()) == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	tpeer = (now() - t0) / 10;
	ratio("init (us)", trump * 1e6, tpeer * 1e6, "us");
	printf("  peer: fork+exec+wait of /bin/true\n");
}

static void
bench_getpid(void)
{
	const long n = 2000000;
	double t0, trump, thost;
	volatile long sink = 0;

	if (rump_init() != 0)
		die("rump_init");
	t0 = now();
	for (long i = 0; i < n; i++)
		sink += rump_sys_getpid();
	trump = now() - t0;
	t0 = now();
	for (long i = 0; i < n; i++)
		sink += syscall(SYS_getpid);
	thost = now() - t0;
	(void)sink;
	ratio("getpid (ns/call)", trump / n * 1e9, thost / n * 1e9, "ns");
	printf("  peer: host getpid system call (syscall(SYS_getpid))\n");
}

/* Creates+writes then reads back nfiles files of 4 KiB; returns seconds
 * for both phases. */
static void
small_files(const struct fileops *ops, const char *dir, int nfiles,
    double *twrite, double *tread)
{
	char path[256], data[4096], back[4096];
	double t0;
	int fd;

	memset(data, 'x', sizeof(data));
	if (ops->mkdir(dir, 0755) == -1)
		die("mkdir");
	t0 = now();
	for (int i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/f%05d", dir, i);
		if ((fd = ops->open(path, O_WRONLY | O_CREAT | O_TRUNC,
		    0644)) == -1)
			die("open for write");
		if (ops->write(fd, data, sizeof(data)) != sizeof(data))
			die("write");
		ops->close(fd);
	}
	*twrite = now() - t0;
	t0 = now();
	for (int i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/f%05d", dir, i);
		if ((fd = ops->open(path, O_RDONLY)) == -1)
			die("open for read");
		if (ops->read(fd, back, sizeof(back)) != sizeof(back) ||
		    memcmp(back, data, sizeof(back)) != 0)
			die("read back");
		ops->close(fd);
	}
	*tread = now() - t0;
	for (int i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/f%05d", dir, i);
		ops->unlink(path);
	}
	ops->rmdir(dir);
}

static void
large_file(const struct fileops *ops, const char *path, size_t size,
    double *twrite, double *tread)
{
	static char chunk[65536], back[65536];
	double t0;
	int fd;

	memset(chunk, 'y', sizeof(chunk));
	t0 = now();
	if ((fd = ops->open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		die("open large for write");
	for (size_t done = 0; done < size; done += sizeof(chunk))
		if (ops->write(fd, chunk, sizeof(chunk)) != sizeof(chunk))
			die("write large");
	ops->close(fd);
	*twrite = now() - t0;
	t0 = now();
	if ((fd = ops->open(path, O_RDONLY)) == -1)
		die("open large for read");
	for (size_t done = 0; done < size; done += sizeof(back))
		if (ops->read(fd, back, sizeof(back)) != sizeof(back) ||
		    back[0] != 'y' || back[sizeof(back) - 1] != 'y')
			die("read large");
	ops->close(fd);
	*tread = now() - t0;
	ops->unlink(path);
}

static const char *
shm_dir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/dev/shm/strata-bench-%d", (int)getpid());
	return dir;
}

static void
bench_tmpfs_small(void)
{
	const int n = 10000;
	double rw, rr, hw, hr;

	if (rump_init() != 0)
		die("rump_init");
	small_files(&rump_ops, "/bench", n, &rw, &rr);
	small_files(&host_ops, shm_dir(), n, &hw, &hr);
	ratio("10k x 4KiB create+write (ms)", rw * 1e3, hw * 1e3, "ms");
	ratio("10k x 4KiB read (ms)", rr * 1e3, hr * 1e3, "ms");
	printf("  peer: the same calls on host tmpfs /dev/shm\n");
}

static void
bench_tmpfs_large(void)
{
	const size_t size = 256u << 20;
	char path[96];
	double rw, rr, hw, hr;

	if (rump_init() != 0)
		die("rump_init");
	large_file(&rump_ops, "/large", size, &rw, &rr);
	snprintf(path, sizeof(path), "%s-large", shm_dir());
	large_file(&host_ops, path, size, &hw, &hr);
	ratio("256MiB write (MiB/s)", 256 / rw, 256 / hw, "MiB/s");
	ratio("256MiB read (MiB/s)", 256 / rr, 256 / hr, "MiB/s");
	printf("  peer: the same calls on host tmpfs /dev/shm "
	    "(ratio > 1: rump faster)\n");
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} benches[] = {
		{ "init", bench_init },
		{ "getpid", bench_getpid },
		{ "tmpfs-small", bench_tmpfs_small },
		{ "tmpfs-large", bench_tmpfs_large },
	};

	if (argc != 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
		    "usage: bench_kernel init|getpid|tmpfs-small|tmpfs-large\n"
		    "Each benchmark boots its own kernel; run one per process.\n");
		return argc == 2 ? 0 : 2;
	}
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if (strcmp(argv[1], benches[i].name) == 0) {
			benches[i].fn();
			return 0;
		}
	fprintf(stderr, "bench_kernel: unknown benchmark '%s'\n", argv[1]);
	return 2;
}
