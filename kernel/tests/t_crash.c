/*
 * t_crash.c: crash consistency of ext2 and FAT.
 *
 * A workload (files created and written at random offsets, some
 * fsync'd, others appended to, truncated, renamed or unlinked, new
 * directories) runs on a fresh image, and the block layer's fault hook
 * (blk_fault_set, <vfs/buf.h>) cuts the device's power after the Nth
 * write request or the Nth barrier: from then on writes are dropped
 * while the file system carries on, unaware.  After unmounting, the
 * host's checker repairs the image (e2fsck -fy, fsck.fat -a), must then
 * find it clean (e2fsck -fn, fsck.fat -n), and every file whose fsync
 * returned before the cut must read back whole through the kernel.  A
 * counting run first measures how many writes and barriers the workload
 * makes; the crash points are spread over them.  The _fail cases make
 * the writes fail with EIO instead (a dying disk): fsync must report it,
 * and what was fsync'd before must survive the same way.
 * ext2_sync_file_range cuts the power right after a sync_file_range:
 * the range it wrote must be on the image.
 *
 * Parameters (environment): T_CRASH_POINTS=n crash points per case
 * (default 6; "all" crashes at every single write and barrier, the long
 * run), T_CRASH_SEED=n another workload.  Long run, e.g.:
 *
 *   cd build/tests/kernel-posix && T_CRASH_POINTS=all ./t_crash ext2_drop
 *
 * Needs e2fsprogs and dosfstools (skipped without).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_etfs.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

/* The block layer's fault hook (kernel/include/vfs/buf.h). */
struct blkfault {
	uint64_t	bf_writes, bf_barriers, bf_lost;
	bool		bf_tripped;
};
int	rumpns_blk_fault_set(const char *key, int mode, uint64_t nwrites,
	    uint64_t nbarriers);
int	rumpns_blk_fault_get(const char *key, struct blkfault *bf);
#define BLK_FAULT_NONE	0
#define BLK_FAULT_DROP	1
#define BLK_FAULT_FAIL	2

#define KEY	"/dev/crash0"
#define MNT	"/mnt"
#define IMG	"crash.img"
#define TMPL	"template.img"

#define MAXFILES	96
#define MAXDIRS		6
#define NOPS		90

enum fs { FS_EXT2, FS_FAT };

struct cfile {
	char		path[96];
	unsigned	seed;		/* contents: pattern(seed) */
	size_t		size;
	bool		live;
	bool		durable;	/* fsync'd before the cut: never touched again */
};

struct run {
	struct cfile	f[MAXFILES];
	int		nf;
	int		ndirs;
	char		dirs[MAXDIRS][32];
	struct blkfault	bf;
	int		nfsync_ok;	/* fsyncs that succeeded before the cut */
	int		nfsync_err;	/* fsyncs that reported an error */
};

static uint32_t rng_state;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return n == 0 ? 0 : rng_state % n;
}

static unsigned char
pat(unsigned seed, size_t i)
{
	uint32_t x = (uint32_t)(i / 4) * 2654435761u ^ seed * 40503u;

	x ^= x >> 15;
	return (unsigned char)(x >> ((i % 4) * 8));
}

static int __attribute__((format(printf, 1, 2)))
sh(const char *fmt, ...)
{
	char cmd[2048], full[2200];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "PATH=$PATH:/sbin:/usr/sbin; %s", cmd);
	st = system(full);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
need(const char *tool, const char *pkg)
{
	if (sh("command -v %s >/dev/null 2>&1", tool) != 0)
		atf_tc_skip("%s is not installed (Debian: %s)", tool, pkg);
}

static void
fault_set(int mode, uint64_t nw, uint64_t nb)
{
	int error;

	rump_schedule();
	error = rumpns_blk_fault_set(KEY, mode, nw, nb);
	rump_unschedule();
	ATF_REQUIRE_EQ_MSG(error, 0, "blk_fault_set: %s", strerror(error));
}

static void
fault_get(struct blkfault *bf)
{
	int error;

	rump_schedule();
	error = rumpns_blk_fault_get(KEY, bf);
	rump_unschedule();
	ATF_REQUIRE_EQ_MSG(error, 0, "blk_fault_get: %s", strerror(error));
}

static void
copyfile(const char *from, const char *to)
{
	static char buf[1 << 16];
	ssize_t n;
	int in, out;

	RL(in = open(from, O_RDONLY));
	RL(out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ATF_REQUIRE_EQ(write(out, buf, (size_t)n), n);
	RL(n);
	RL(close(in));
	RL(close(out));
}

static void
make_template(enum fs fs)
{
	if (fs == FS_EXT2) {
		need("mke2fs", "e2fsprogs");
		need("e2fsck", "e2fsprogs");
		ATF_REQUIRE(sh("mke2fs -q -F -t ext2 -b 1024 %s 8M "
		    ">mkfs.out 2>&1", TMPL) == 0);
	} else {
		need("mkfs.fat", "dosfstools");
		need("fsck.fat", "dosfstools");
		unlink(TMPL);
		ATF_REQUIRE(sh("mkfs.fat -F 16 -s 2 -C %s 8192 >mkfs.out 2>&1",
		    TMPL) == 0);
	}
}

static int
do_mount(enum fs fs, int flags)
{
	return (int)rump_sys_mount(KEY, MNT, fs == FS_EXT2 ? "ext2" : "vfat",
	    flags, NULL);
}

/* Writes the file's contents [off, off + len) with one pwrite. */
static int
put(int fd, unsigned seed, size_t off, size_t len)
{
	static unsigned char buf[256 * 1024];
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pat(seed, off + i);
	return rump_sys_pwrite64(fd, buf, len, (off_t)off) == (ssize_t)len ?
	    0 : -1;
}

static size_t
pick_size(void)
{
	switch (rnd(4)) {
	case 0:
		return rnd(600);
	case 1:
		return rnd(8192);
	case 2:
		return 4096 + rnd(60000);
	default:
		return rnd(5) == 0 ? 100000 + rnd(150000) : rnd(20000);
	}
}

/* A live file that was never fsync'd, or -1. */
static int
pick_volatile(struct run *r)
{
	int i, start = (int)rnd((uint32_t)r->nf + 1);

	for (i = 0; i < r->nf; i++) {
		int k = (start + i) % r->nf;

		if (r->f[k].live && !r->f[k].durable)
			return k;
	}
	return -1;
}

static bool
tripped(void)
{
	struct blkfault bf;

	fault_get(&bf);
	return bf.bf_tripped;
}

/* Creates file k with random contents written in up to three pieces in
 * random order, and fsyncs it half of the time. */
static void
op_create(struct run *r)
{
	struct cfile *f;
	size_t size, cut1, cut2, pieces[3][2];
	int fd, i, n;

	if (r->nf == MAXFILES)
		return;
	f = &r->f[r->nf];
	if (r->ndirs > 0 && rnd(2) == 0) {
		char dir[32];

		memcpy(dir, r->dirs[rnd((uint32_t)r->ndirs)], sizeof(dir));
		snprintf(f->path, sizeof(f->path), "%s/%s/f%d", MNT, dir,
		    r->nf);
	} else
		snprintf(f->path, sizeof(f->path), "%s/file_%d.dat", MNT, r->nf);
	f->seed = rnd(1u << 30) + 1;
	size = pick_size();
	fd = rump_sys_open(f->path, O_RDWR | O_CREAT | O_EXCL, 0644);
	if (fd == -1)
		return;		/* no space, or the disk failed */
	r->nf++;
	f->live = true;
	f->size = size;
	cut1 = size == 0 ? 0 : rnd((uint32_t)size);
	cut2 = cut1 + (size - cut1 == 0 ? 0 : rnd((uint32_t)(size - cut1)));
	pieces[0][0] = 0;    pieces[0][1] = cut1;
	pieces[1][0] = cut1; pieces[1][1] = cut2;
	pieces[2][0] = cut2; pieces[2][1] = size;
	n = (int)rnd(3);
	for (i = 0; i < 3; i++) {
		size_t *p = pieces[(n + i) % 3];

		if (p[1] > p[0] && put(fd, f->seed, p[0], p[1] - p[0]) != 0) {
			f->size = 0;	/* unknown: never checked */
			break;
		}
	}
	if (i == 3 && rnd(2) == 0) {
		if (rump_sys_fsync(fd) == 0) {
			if (!tripped()) {
				f->durable = true;
				r->nfsync_ok++;
			}
		} else {
			r->nfsync_err++;
		}
	}
	RL(rump_sys_close(fd));
}

static void
op_other(struct run *r)
{
	struct cfile *f;
	char to[96];
	int k, fd;

	switch (rnd(6)) {
	case 0:		/* append */
		if ((k = pick_volatile(r)) < 0)
			return;
		f = &r->f[k];
		fd = rump_sys_open(f->path, O_WRONLY);
		if (fd == -1)
			return;
		(void)put(fd, f->seed, f->size, 1 + rnd(9000));
		RL(rump_sys_close(fd));
		break;
	case 1:		/* truncate */
		if ((k = pick_volatile(r)) < 0)
			return;
		f = &r->f[k];
		(void)rump_sys_truncate(f->path, (off_t)rnd((uint32_t)f->size + 1));
		break;
	case 2:		/* unlink */
		if ((k = pick_volatile(r)) < 0)
			return;
		f = &r->f[k];
		if (rump_sys_unlink(f->path) == 0)
			f->live = false;
		break;
	case 3:		/* rename */
		if ((k = pick_volatile(r)) < 0)
			return;
		f = &r->f[k];
		snprintf(to, sizeof(to), "%s/renamed_%d_%u", MNT, k, rnd(100));
		if (rump_sys_rename(f->path, to) == 0)
			strcpy(f->path, to);
		break;
	case 4:		/* mkdir */
		if (r->ndirs == MAXDIRS)
			return;
		snprintf(r->dirs[r->ndirs], sizeof(r->dirs[0]), "dir%d",
		    r->ndirs);
		snprintf(to, sizeof(to), "%s/%s", MNT, r->dirs[r->ndirs]);
		if (rump_sys_mkdir(to, 0755) == 0)
			r->ndirs++;
		break;
	default:	/* sync: everything so far to the disk, no promise */
		rump_sys_sync();
		break;
	}
}

/*
 * One run of the workload on a fresh copy of the template, the device
 * armed with (mode, nw, nb).  Ends unmounted and unregistered, with the
 * fault counters in r->bf.
 */
static void
workload(enum fs fs, unsigned seed, int mode, uint64_t nw, uint64_t nb,
    struct run *r)
{
	struct stat st;
	int i, error;

	memset(r, 0, sizeof(*r));
	rng_state = seed * 2654435761u + 1;
	copyfile(TMPL, IMG);
	error = rump_etfs_register(KEY, IMG, RUMP_ETFS_BLK);
	ATF_REQUIRE_EQ_MSG(error, 0, "etfs: %s", strerror(error));
	if (rump_sys_stat(MNT, &st) == -1)
		RL(rump_sys_mkdir(MNT, 0755));
	fault_set(mode, nw, nb);
	if (do_mount(fs, 0) == 0) {
		for (i = 0; i < NOPS; i++) {
			if (rnd(5) < 2)
				op_create(r);
			else
				op_other(r);
		}
		if (rump_sys_umount2(MNT, 0) == -1) {
			/* Only a failing disk may refuse, and the file
			 * system stays mounted. */
			ATF_REQUIRE_MSG(mode == BLK_FAULT_FAIL && rt_errno() == EIO,
			    "umount: %s", strerror(rt_errno()));
			RL(rump_sys_stat(MNT "/.", &st));
			/* Forced, it lets go, and says what was lost. */
			(void)rump_sys_umount2(MNT, 1 /* MNT_FORCE */);
			ERR(EINVAL, rump_sys_umount2(MNT, 0));
		}
	} else {
		ATF_REQUIRE_MSG(mode == BLK_FAULT_FAIL,
		    "mount: %s", strerror(errno));
	}
	fault_get(&r->bf);
	ATF_REQUIRE_EQ(rump_etfs_remove(KEY), 0);
}

/* Repairs the image with the host's checker, which must then find it
 * clean, and checks every durable file through the kernel. */
static void
check_after(enum fs fs, struct run *r, const char *what)
{
	static unsigned char buf[256 * 1024];
	struct stat st;
	ssize_t n;
	size_t i;
	int k, fd, error, bad = 0;

	if (fs == FS_EXT2) {
		int e = sh("e2fsck -fy %s >repair.out 2>&1", IMG);

		if (e >= 4) {
			(void)sh("cat repair.out >&2");
			atf_tc_fail("%s: e2fsck -fy could not repair (exit %d)",
			    what, e);
		}
		if (sh("e2fsck -fn %s >fsck.out 2>&1", IMG) != 0) {
			(void)sh("cat repair.out fsck.out >&2");
			atf_tc_fail("%s: not clean after e2fsck -fy", what);
		}
	} else {
		int e = sh("fsck.fat -a %s >repair.out 2>&1", IMG);

		if (e != 0 && e != 1) {
			(void)sh("cat repair.out >&2");
			atf_tc_fail("%s: fsck.fat -a failed (exit %d)", what, e);
		}
		if (sh("fsck.fat -n %s >fsck.out 2>&1", IMG) != 0 ||
		    sh("grep -v -e '^fsck.fat' -e '^[^ ]*: [0-9]* files, "
		    "[0-9]*/[0-9]* clusters$' -e '^$' fsck.out >/dev/null")
		    == 0) {
			(void)sh("cat repair.out fsck.out >&2");
			atf_tc_fail("%s: not clean after fsck.fat -a", what);
		}
	}

	error = rump_etfs_register(KEY, IMG, RUMP_ETFS_BLK);
	ATF_REQUIRE_EQ_MSG(error, 0, "etfs: %s", strerror(error));
	RL(do_mount(fs, 1 /* MS_RDONLY */));
	for (k = 0; k < r->nf; k++) {
		struct cfile *f = &r->f[k];

		if (!f->durable)
			continue;
		fd = rump_sys_open(f->path, O_RDONLY);
		if (fd == -1) {
			fprintf(stderr, "%s: %s fsync'd, now: %s\n", what,
			    f->path, strerror(errno));
			bad++;
			continue;
		}
		RL(rump_sys_fstat(fd, &st));
		if ((size_t)st.st_size != f->size) {
			fprintf(stderr, "%s: %s fsync'd with %zu bytes, now "
			    "%lld\n", what, f->path, f->size,
			    (long long)st.st_size);
			bad++;
		} else if (f->size > 0) {
			RL(n = rump_sys_pread64(fd, buf, f->size, 0));
			for (i = 0; i < (size_t)n; i++)
				if (buf[i] != pat(f->seed, i))
					break;
			if ((size_t)n != f->size || i != f->size) {
				fprintf(stderr, "%s: %s: contents differ at "
				    "byte %zu of %zu\n", what, f->path, i,
				    f->size);
				bad++;
			}
		}
		RL(rump_sys_close(fd));
	}
	RL(rump_sys_umount2(MNT, 0));
	ATF_REQUIRE_EQ(rump_etfs_remove(KEY), 0);
	if (bad != 0)
		atf_tc_fail("%s: %d fsync'd file(s) damaged (stderr)", what,
		    bad);
}

static unsigned
env_seed(void)
{
	const char *s = getenv("T_CRASH_SEED");

	return s != NULL ? (unsigned)strtoul(s, NULL, 0) : 1;
}

/* Crash points: n of them spread over [0, total], or every one. */
static uint64_t
npoints(uint64_t total)
{
	const char *s = getenv("T_CRASH_POINTS");
	uint64_t n = 6;

	if (s != NULL && strcmp(s, "all") == 0)
		return total + 1;
	if (s != NULL)
		n = strtoull(s, NULL, 0);
	if (n < 2)
		n = 2;
	return n > total + 1 ? total + 1 : n;
}

static void
crash_cases(enum fs fs, int mode, bool barriers)
{
	struct run *r;
	uint64_t total, np, i, at;
	unsigned seed = env_seed();
	int durable = 0, tripped_runs = 0;
	char what[128];

	make_template(fs);
	boot();
	r = calloc(1, sizeof(*r));
	ATF_REQUIRE(r != NULL);
	/* The counting run: no fault, and the image must be clean. */
	workload(fs, seed, BLK_FAULT_NONE, 0, 0, r);
	total = barriers ? r->bf.bf_barriers : r->bf.bf_writes;
	fprintf(stderr, "workload (seed %u): %ju writes, %ju barriers, "
	    "%d fsyncs\n", seed, (uintmax_t)r->bf.bf_writes,
	    (uintmax_t)r->bf.bf_barriers, r->nfsync_ok);
	ATF_REQUIRE(r->nfsync_ok > 5);
	ATF_REQUIRE(total > 2);
	check_after(fs, r, "no crash");

	np = npoints(total);
	for (i = 0; i < np; i++) {
		at = np == total + 1 ? i : i * total / (np - 1);
		snprintf(what, sizeof(what), "seed %u, %s after %ju %s", seed,
		    mode == BLK_FAULT_DROP ? "cut" : "failing",
		    (uintmax_t)at, barriers ? "barriers" : "writes");
		if (barriers)
			workload(fs, seed, mode, UINT64_MAX, at, r);
		else
			workload(fs, seed, mode, at, UINT64_MAX, r);
		if (r->bf.bf_tripped)
			tripped_runs++;
		durable += r->nfsync_ok;
		check_after(fs, r, what);
	}
	fprintf(stderr, "%ju crash points, %d tripped, %d fsync'd files "
	    "checked\n", (uintmax_t)np, tripped_runs, durable);
	ATF_CHECK(tripped_runs > 0);
	free(r);
}

ATF_TC(ext2_drop);
ATF_TC_HEAD(ext2_drop, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2: power cut after the Nth write; "
	    "e2fsck repairs, fsync'd files intact");
}
ATF_TC_BODY(ext2_drop, tc)
{
	crash_cases(FS_EXT2, BLK_FAULT_DROP, false);
}

ATF_TC(ext2_barrier);
ATF_TC_HEAD(ext2_barrier, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2: power cut at the Nth barrier");
}
ATF_TC_BODY(ext2_barrier, tc)
{
	crash_cases(FS_EXT2, BLK_FAULT_DROP, true);
}

ATF_TC(ext2_fail);
ATF_TC_HEAD(ext2_fail, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2: writes fail with EIO after the "
	    "Nth; fsync'd files survive the repair");
}
ATF_TC_BODY(ext2_fail, tc)
{
	crash_cases(FS_EXT2, BLK_FAULT_FAIL, false);
}

ATF_TC(fat_drop);
ATF_TC_HEAD(fat_drop, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT: power cut after the Nth write; "
	    "fsck.fat repairs, fsync'd files intact");
}
ATF_TC_BODY(fat_drop, tc)
{
	crash_cases(FS_FAT, BLK_FAULT_DROP, false);
}

ATF_TC(fat_barrier);
ATF_TC_HEAD(fat_barrier, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT: power cut at the Nth barrier");
}
ATF_TC_BODY(fat_barrier, tc)
{
	crash_cases(FS_FAT, BLK_FAULT_DROP, true);
}

ATF_TC(fat_fail);
ATF_TC_HEAD(fat_fail, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT: writes fail with EIO after the "
	    "Nth; fsync'd files survive the repair");
}
ATF_TC_BODY(fat_fail, tc)
{
	crash_cases(FS_FAT, BLK_FAULT_FAIL, false);
}

/* Whether the image holds the len bytes of pattern seed anywhere. */
static bool
image_has(unsigned seed, size_t len)
{
	unsigned char *img, *want;
	size_t ilen = 0, i;
	bool found = false;
	ssize_t n;
	int fd;

	RL(fd = open(IMG, O_RDONLY));
	img = malloc(8 << 20);
	want = malloc(len);
	ATF_REQUIRE(img != NULL && want != NULL);
	while (ilen < (8 << 20) && (n = read(fd, img + ilen,
	    (8 << 20) - ilen)) > 0)
		ilen += (size_t)n;
	close(fd);
	for (i = 0; i < len; i++)
		want[i] = pat(seed, i);
	/* File data starts on a block boundary. */
	for (i = 0; i + len <= ilen && !found; i += 1024)
		found = memcmp(img + i, want, len) == 0;
	free(img);
	free(want);
	return found;
}

ATF_TC(ext2_sync_file_range);
ATF_TC_HEAD(ext2_sync_file_range, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2: what sync_file_range with "
	    "SYNC_FILE_RANGE_WRITE|WAIT_AFTER wrote survives a power cut "
	    "right after it; without it, a file's new contents do not");
}
ATF_TC_BODY(ext2_sync_file_range, tc)
{
	struct blkfault bf;
	int fd;

	make_template(FS_EXT2);
	copyfile(TMPL, IMG);
	boot();
	ATF_REQUIRE_EQ(rump_etfs_register(KEY, IMG, RUMP_ETFS_BLK), 0);
	RL(rump_sys_mkdir(MNT, 0755));
	RL(do_mount(FS_EXT2, 0));
	/* A file allocated and on the disk. */
	RL(fd = rump_sys_open(MNT "/a", O_RDWR | O_CREAT, 0644));
	ATF_REQUIRE_EQ(put(fd, 1, 0, 8192), 0);
	RL(rump_sys_fsync(fd));
	/* The control: new contents, then the power goes; they are lost. */
	ATF_REQUIRE_EQ(put(fd, 2, 0, 8192), 0);
	fault_set(BLK_FAULT_DROP, 0, UINT64_MAX);
	RL(rump_sys_close(fd));
	RL(rump_sys_umount2(MNT, 0));
	fault_get(&bf);
	ATF_CHECK_MSG(bf.bf_lost > 0, "no write was lost");
	ATF_CHECK_MSG(image_has(1, 8192), "the fsync'd contents are gone");
	ATF_CHECK_MSG(!image_has(2, 8192), "unsynced contents reached the "
	    "image before the cut");

	/* The power is back: new contents, sync_file_range, power cut. */
	fault_set(BLK_FAULT_NONE, 0, 0);
	RL(do_mount(FS_EXT2, 0));
	RL(fd = rump_sys_open(MNT "/a", O_RDWR));
	ATF_REQUIRE_EQ(put(fd, 3, 0, 8192), 0);
	RL(rump_sys_sync_file_range(fd, 0, 8192, SYNC_FILE_RANGE_WRITE |
	    SYNC_FILE_RANGE_WAIT_AFTER));
	fault_set(BLK_FAULT_DROP, 0, UINT64_MAX);
	RL(rump_sys_close(fd));
	RL(rump_sys_umount2(MNT, 0));
	ATF_CHECK_MSG(image_has(3, 8192), "the synced range is not on the "
	    "image");
	ATF_CHECK_MSG(!image_has(1, 8192), "the old contents are still on "
	    "the image");
}

/* The hook itself: counts, trips at the limit, drops or fails. */
ATF_TC(hook);
ATF_TC_HEAD(hook, tc)
{
	atf_tc_set_md_var(tc, "descr", "blk_fault_set counts writes and "
	    "barriers, drops or fails after the limit");
}
ATF_TC_BODY(hook, tc)
{
	struct blkfault bf;
	char buf[4096];
	int fd, error;

	boot();
	RL(fd = open(IMG, O_RDWR | O_CREAT | O_TRUNC, 0644));
	RL(ftruncate(fd, 1 << 20));
	RL(close(fd));
	ATF_REQUIRE_EQ(rump_etfs_register(KEY, IMG, RUMP_ETFS_BLK), 0);
	rump_schedule();
	error = rumpns_blk_fault_set("/dev/none", BLK_FAULT_DROP, 0, 0);
	rump_unschedule();
	ATF_CHECK_EQ(error, ENXIO);
	rump_schedule();
	error = rumpns_blk_fault_set(KEY, 7, 0, 0);
	rump_unschedule();
	ATF_CHECK_EQ(error, EINVAL);

	/* Writes through a FAT file system on the device. */
	need("mkfs.fat", "dosfstools");
	ATF_REQUIRE(sh("mkfs.fat -F 12 %s >/dev/null 2>&1", IMG) == 0);
	RL(rump_sys_mkdir(MNT, 0755));
	fault_set(BLK_FAULT_DROP, 3, UINT64_MAX);
	RL(do_mount(FS_FAT, 0));
	RL(fd = rump_sys_open(MNT "/a", O_RDWR | O_CREAT, 0644));
	memset(buf, 'x', sizeof(buf));
	ATF_REQUIRE_EQ(rump_sys_write(fd, buf, sizeof(buf)), sizeof(buf));
	/* Dropped writes look done. */
	RL(rump_sys_fsync(fd));
	fault_get(&bf);
	ATF_CHECK_EQ(bf.bf_writes, 3);
	ATF_CHECK(bf.bf_tripped);
	ATF_CHECK(bf.bf_lost > 0);
	/* Failing writes are reported. */
	fault_set(BLK_FAULT_FAIL, 0, UINT64_MAX);
	ATF_REQUIRE_EQ(rump_sys_pwrite64(fd, buf, sizeof(buf), 8192),
	    sizeof(buf));
	ERR(EIO, rump_sys_fsync(fd));
	/* Counting only. */
	fault_set(BLK_FAULT_NONE, 0, 0);
	ATF_REQUIRE_EQ(rump_sys_pwrite64(fd, buf, sizeof(buf), 0), sizeof(buf));
	RL(rump_sys_fsync(fd));
	fault_get(&bf);
	ATF_CHECK(!bf.bf_tripped);
	ATF_CHECK(bf.bf_writes > 0);
	ATF_CHECK(bf.bf_barriers > 0);
	ATF_CHECK_EQ(bf.bf_lost, 0);
	RL(rump_sys_close(fd));
	RL(rump_sys_umount2(MNT, 0));
	ATF_CHECK_EQ(rump_etfs_remove(KEY), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, hook);
	ATF_TP_ADD_TC(tp, ext2_drop);
	ATF_TP_ADD_TC(tp, ext2_barrier);
	ATF_TP_ADD_TC(tp, ext2_fail);
	ATF_TP_ADD_TC(tp, ext2_sync_file_range);
	ATF_TP_ADD_TC(tp, fat_drop);
	ATF_TP_ADD_TC(tp, fat_barrier);
	ATF_TP_ADD_TC(tp, fat_fail);
	return atf_no_error();
}
