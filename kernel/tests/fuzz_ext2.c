/*
 * fuzz_ext2.c: libFuzzer harness for ext2's mount-and-walk path.  Each
 * input is a disk image: it is mounted read-only, every directory is
 * walked (bounded), files and symbolic links are read; then it is
 * mounted read-write and changed (create, write, rename, remove,
 * truncate), and unmounted, which writes everything back.  Any crash,
 * hang (libFuzzer -timeout) or out-of-bounds access (ASan) is a bug.
 *
 * Built and run for 10 s by t_fuzz_ext2.sh, against a kernel and
 * platform compiled with clang -fsanitize=fuzzer-no-link,address; the
 * long run is described there.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_etfs.h>
#include <rump/rump_syscalls.h>

#define KEY	"/dev/fuzz"
#define MNT	"/mnt"

static char imgpath[64];
static int budget;

static void
walk(const char *dir, int depth)
{
	/* Directory records and file contents in separate buffers: a
	 * file read must not overwrite the records still being parsed. */
	char buf[4096], data[4096], path[512], lbuf[128];
	struct stat st;
	ssize_t r, n;
	int fd, f;

	if (depth > 5)
		return;
	fd = rump_sys_open(dir, O_RDONLY | O_DIRECTORY);
	if (fd == -1)
		return;
	while ((r = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (n = 0; n < r; ) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *de = (void *)(buf + n);
			/* A record the kernel made that cannot be stepped
			 * over is a kernel bug, not a hang of this loop. */
			if (de->reclen <= de->name - (char *)de ||
			    de->reclen > r - n)
				abort();
			n += de->reclen;
			if (strcmp(de->name, ".") == 0 ||
			    strcmp(de->name, "..") == 0 || --budget < 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->name);
			if (rump_sys_lstat(path, &st) == -1)
				continue;
			if (S_ISDIR(st.st_mode))
				walk(path, depth + 1);
			else if (S_ISLNK(st.st_mode))
				(void)rump_sys_readlink(path, lbuf,
				    sizeof(lbuf));
			else if (S_ISREG(st.st_mode) &&
			    (f = rump_sys_open(path, O_RDONLY)) != -1) {
				for (int k = 0; k < 16; k++)
					if (rump_sys_read(f, data, sizeof(data))
					    <= 0)
						break;
				rump_sys_close(f);
			}
		}
	}
	rump_sys_close(fd);
}

static void
scribble(void)
{
	char buf[3000];
	int fd;

	memset(buf, 'q', sizeof(buf));
	fd = rump_sys_open(MNT "/fz", O_RDWR | O_CREAT, 0644);
	if (fd != -1) {
		(void)rump_sys_write(fd, buf, sizeof(buf));
		(void)rump_sys_pwrite64(fd, buf, 10, 70000);
		(void)rump_sys_ftruncate(fd, 100);
		rump_sys_close(fd);
	}
	(void)rump_sys_mkdir(MNT "/fzd", 0755);
	(void)rump_sys_rename(MNT "/fz", MNT "/fzd/fz");
	(void)rump_sys_symlink("some/where/else", MNT "/fzd/l");
	(void)rump_sys_unlink(MNT "/fzd/fz");
	(void)rump_sys_rmdir(MNT "/lost+found");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Memory-backed if possible: unmount ends with a host fsync. */
	snprintf(imgpath, sizeof(imgpath), "%s/fuzz_ext2.%d.img",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
	    (int)getpid());
	if (rump_init() != 0)
		abort();
	(void)rump_sys_mkdir(MNT, 0755);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd, ro;

	if (size < 2048 || size > (1 << 20))
		return 0;
	fd = open(imgpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (rump_etfs_register(KEY, imgpath, RUMP_ETFS_BLK) != 0)
		abort();
	for (ro = 1; ro >= 0; ro--) {
		if (rump_sys_mount(KEY, MNT, "ext2", ro, NULL) == -1)
			continue;
		budget = 500;
		walk(MNT, 0);
		if (!ro)
			scribble();
		if (rump_sys_umount2(MNT, 0) == -1)
			abort();	/* nothing may stay busy */
	}
	if (rump_etfs_remove(KEY) != 0)
		abort();
	unlink(imgpath);
	return 0;
}
