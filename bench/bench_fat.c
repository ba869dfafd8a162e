/*
 * bench_fat: copying a tree into a fresh FAT image and reading it all
 * back, through strata's FAT file system in this process, against mtools
 * (mcopy -s) doing the same on the same kind of image in the same run.
 *
 *	bench_fat [copy] [--help]
 *
 * The tree (made once under /dev/shm): FILES small files of SMALL bytes
 * in 10 directories and one file of LARGE bytes.  Each side starts from
 * its own image made by mkfs.fat -F 32; times are wall clock for "copy
 * in" (including unmount, which writes everything back) and "read back"
 * (mount, copy every file out to /dev/shm, unmount).  Prints the bench_kernel line
 * format: "<label> rump <v> s peer <v> s ratio <r>" (below 1.0: strata
 * is faster).  Needs mkfs.fat and mcopy (dosfstools, mtools).
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_etfs.h>
#include <rump/rump_syscalls.h>

#define NDIRS	10
#define FILES	5000
#define SMALL	8192
#define LARGE	(160 * 1024 * 1024)
#define IMGKIB	(320 * 1024)

static char base[256];

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
	fprintf(stderr, "bench_fat: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_fat: failed: %s\n", cmd);
		exit(1);
	}
}

static void
make_tree(void)
{
	char path[512], *buf = malloc(SMALL);
	int d, i, fd;
	size_t done;

	for (i = 0; i < SMALL; i++)
		buf[i] = (char)(i * 31);
	snprintf(path, sizeof(path), "%s/tree", base);
	if (mkdir(path, 0755) != 0)
		die(path);
	for (d = 0; d < NDIRS; d++) {
		snprintf(path, sizeof(path), "%s/tree/dir %d", base, d);
		if (mkdir(path, 0755) != 0)
			die(path);
		for (i = 0; i < FILES / NDIRS; i++) {
			snprintf(path, sizeof(path),
			    "%s/tree/dir %d/a file with a long name %d.dat",
			    base, d, i);
			fd = open(path, O_WRONLY | O_CREAT, 0644);
			if (fd == -1 || write(fd, buf, SMALL) != SMALL)
				die(path);
			close(fd);
		}
	}
	snprintf(path, sizeof(path), "%s/tree/large.bin", base);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd == -1)
		die(path);
	for (done = 0; done < LARGE; done += SMALL)
		if (write(fd, buf, SMALL) != SMALL)
			die(path);
	close(fd);
	free(buf);
}

/* Copies host file src to kernel path dst. */
static void
copy_in(const char *src, const char *dst, char *buf, size_t bufsize)
{
	ssize_t n;
	int in, out;

	in = open(src, O_RDONLY);
	if (in == -1)
		die(src);
	out = rump_sys_open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out == -1)
		die(dst);
	while ((n = read(in, buf, bufsize)) > 0)
		if (rump_sys_write(out, buf, (size_t)n) != n)
			die(dst);
	close(in);
	rump_sys_close(out);
}

static void
copy_tree_in(const char *hdir, const char *kdir, char *buf, size_t bufsize)
{
	char hp[1024], kp[1024];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(hdir);

	if (d == NULL)
		die(hdir);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(hp, sizeof(hp), "%s/%s", hdir, de->d_name);
		snprintf(kp, sizeof(kp), "%s/%s", kdir, de->d_name);
		if (stat(hp, &st) != 0)
			die(hp);
		if (S_ISDIR(st.st_mode)) {
			if (rump_sys_mkdir(kp, 0755) != 0)
				die(kp);
			copy_tree_in(hp, kp, buf, bufsize);
		} else {
			copy_in(hp, kp, buf, bufsize);
		}
	}
	closedir(d);
}

/* Copies the kernel tree kdir out to host directory hdir (as mcopy -s
 * does for the peer). */
static uint64_t
read_tree(const char *kdir, const char *hdir, char *buf, size_t bufsize)
{
	char dbuf[8192], kp[1024], hp[1024];
	uint64_t total = 0;
	struct stat st;
	long n, off;
	ssize_t r;
	int fd, f, h;

	if (mkdir(hdir, 0755) != 0)
		die(hdir);
	fd = rump_sys_open(kdir, O_RDONLY | O_DIRECTORY);
	if (fd == -1)
		die(kdir);
	while ((n = rump_sys_getdents64(fd, dbuf, sizeof(dbuf))) > 0) {
		for (off = 0; off < n;) {
			struct dirent64 *de = (void *)(dbuf + off);

			off += de->d_reclen;
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(kp, sizeof(kp), "%s/%s", kdir, de->d_name);
			snprintf(hp, sizeof(hp), "%s/%s", hdir, de->d_name);
			if (rump_sys_stat(kp, &st) != 0)
				die(kp);
			if (S_ISDIR(st.st_mode)) {
				total += read_tree(kp, hp, buf, bufsize);
				continue;
			}
			f = rump_sys_open(kp, O_RDONLY);
			h = open(hp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (f == -1 || h == -1)
				die(kp);
			while ((r = rump_sys_read(f, buf, bufsize)) > 0) {
				if (write(h, buf, (size_t)r) != r)
					die(hp);
				total += (uint64_t)r;
			}
			rump_sys_close(f);
			close(h);
		}
	}
	rump_sys_close(fd);
	return total;
}

static void
line(const char *label, double rump, double peer)
{
	printf("%-28s rump %12.3f %-6s peer %12.3f %-6s ratio %.2f\n", label,
	    rump, "s", peer, "s", rump / peer);
}

int
main(int argc, char **argv)
{
	char img[512], tree[512], out[512], *buf;
	size_t bufsize = 65536;
	double t0, s_in, s_out, m_in, m_out;
	uint64_t expect = (uint64_t)FILES * SMALL + LARGE, got;
	int error;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		printf("usage: bench_fat [copy]\n"
		    "Copies %d files of %d bytes and one of %d MiB into a fresh "
		    "FAT32 image\nand reads them back: strata's FAT in-process "
		    "vs mtools (mcopy -s).\nNeeds mkfs.fat and mcopy.\n",
		    FILES, SMALL, LARGE >> 20);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "copy") != 0) {
		fprintf(stderr, "bench_fat: unknown benchmark '%s'\n", argv[1]);
		return 2;
	}
	if (system("PATH=$PATH:/sbin:/usr/sbin command -v mkfs.fat >/dev/null"
	    " && command -v mcopy >/dev/null") != 0) {
		fprintf(stderr, "bench_fat: needs mkfs.fat and mcopy "
		    "(dosfstools, mtools)\n");
		return 1;
	}
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	snprintf(base, sizeof(base), "/dev/shm/strata-bench-fat-%d",
	    (int)getpid());
	if (mkdir(base, 0755) != 0)
		die(base);
	make_tree();
	snprintf(tree, sizeof(tree), "%s/tree", base);
	buf = malloc(bufsize);

	/* strata */
	snprintf(img, sizeof(img), "%s/strata.img", base);
	sh("PATH=$PATH:/sbin:/usr/sbin mkfs.fat -F 32 -s 8 -C %s %d >/dev/null",
	    img, IMGKIB);
	if ((error = rump_init()) != 0 ||
	    (error = rump_etfs_register("/dev/fat", img, RUMP_ETFS_BLK)) != 0) {
		errno = error;
		die("rump_init/etfs");
	}
	if (rump_sys_mkdir("/mnt", 0755) != 0)
		die("mkdir /mnt");
	t0 = now();
	if (rump_sys_mount("/dev/fat", "/mnt", "vfat", 0, NULL) != 0)
		die("mount");
	copy_tree_in(tree, "/mnt", buf, bufsize);
	if (rump_sys_umount2("/mnt", 0) != 0)
		die("umount");
	s_in = now() - t0;
	t0 = now();
	if (rump_sys_mount("/dev/fat", "/mnt", "vfat", 0, NULL) != 0)
		die("mount");
	snprintf(out, sizeof(out), "%s/strata-out", base);
	got = read_tree("/mnt", out, buf, bufsize);
	if (rump_sys_umount2("/mnt", 0) != 0)
		die("umount");
	s_out = now() - t0;
	if (got != expect) {
		fprintf(stderr, "bench_fat: read back %llu bytes, wrote %llu\n",
		    (unsigned long long)got, (unsigned long long)expect);
		return 1;
	}

	/* mtools, on its own fresh image */
	snprintf(img, sizeof(img), "%s/mtools.img", base);
	sh("PATH=$PATH:/sbin:/usr/sbin mkfs.fat -F 32 -s 8 -C %s %d >/dev/null",
	    img, IMGKIB);
	t0 = now();
	sh("cd %s && mcopy -s -i %s dir* large.bin ::/", tree, img);
	m_in = now() - t0;
	snprintf(out, sizeof(out), "%s/out", base);
	t0 = now();
	sh("mkdir %s && mcopy -s -n -i %s '::/*' %s/", out, img, out);
	m_out = now() - t0;

	line("FAT copy in (s)", s_in, m_in);
	line("FAT read back (s)", s_out, m_out);
	printf("  tree: %d files of %d B in %d dirs + one %d MiB file; "
	    "peer: mtools mcopy -s\n", FILES, SMALL, NDIRS, LARGE >> 20);
	sh("rm -rf %s", base);
	free(buf);
	return 0;
}
