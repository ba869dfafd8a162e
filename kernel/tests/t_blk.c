/*
 * t_blk.c: the block layer (kernel/include/vfs/buf.h, rump/rump_etfs.h):
 * etfs registration, block devices on rumpuser_bio, the buffer cache
 * (bytes written through it reach the host file, read-back, read-ahead,
 * several requests in flight, sync), MBR/GPT partitions of images
 * that sfdisk makes, and a host block device (a loop device, when the
 * test runs as root and the host has them) as the device of an ext2
 * mount.
 *
 * Kernel internals are called through their renamed symbols between
 * rump_schedule() and rump_unschedule(), as t_kern_internals.c does; the
 * leading fields of struct buf and struct blkstats are mirrored here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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

#include "h_ext2.h"

struct buf {
	void		*b_dev;
	uint64_t	 b_blkno;
	size_t		 b_size;
	void		*b_data;
};
struct blkstats {
	uint64_t	bs_reads, bs_writes, bs_readahead, bs_hits, bs_misses,
			bs_maxinflight;
};
int	rumpns_blkdev_open(const char *key, int flags, void **bdp);
int	rumpns_blkdev_close(void *bd);
uint64_t rumpns_blkdev_size(const void *bd);
int	rumpns_blkdev_rw(void *bd, bool write, void *data, size_t len,
	    uint64_t off);
int	rumpns_bread(void *bd, uint64_t blkno, size_t size, struct buf **bpp);
int	rumpns_breadn(void *bd, uint64_t blkno, size_t size,
	    const uint64_t *ra, int nra, struct buf **bpp);
int	rumpns_bget(void *bd, uint64_t blkno, size_t size, struct buf **bpp);
void	rumpns_brelse(struct buf *bp);
void	rumpns_bdwrite(struct buf *bp, int order);
void	rumpns_bdiscard(void *bd, uint64_t blkno, size_t size);
int	rumpns_bwrite(struct buf *bp, int order);
int	rumpns_bsync(void *bd, int flags);
int	rumpns_blk_fault_set(const char *key, int mode, uint64_t nwrites,
	    uint64_t nbarriers);
void	rumpns_blkdev_stats(const void *bd, struct blkstats *st);
void	rumpns_bcache_setmax(uint64_t bytes);
#define BLK_READ	1
#define BLK_WRITE	2
#define BSYNC_DURABLE	1
#define BLK_FAULT_DROP	1
#define B_ORD_DATA	0
#define B_ORD_META	1

#define IMG	"disk.img"
#define BS	4096

static void
mkimage(const char *path, off_t size)
{
	int fd;

	RL(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
	RL(ftruncate(fd, size));
	RL(close(fd));
}

static void
fill(void *p, size_t n, unsigned seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		c[i] = (unsigned char)((i * 131 + seed * 7919 + (i >> 9)) & 0xff);
}

static void *
devopen(const char *key, int flags)
{
	void *bd = NULL;
	int error;

	rump_schedule();
	error = rumpns_blkdev_open(key, flags, &bd);
	rump_unschedule();
	ATF_REQUIRE_MSG(error == 0, "blkdev_open %s: %s", key,
	    strerror(error));
	return bd;
}

ATF_TC(etfs_register);
ATF_TC_HEAD(etfs_register, tc)
{
	atf_tc_set_md_var(tc, "descr", "rump_etfs_register* check keys, "
	    "types, ranges; remove refuses a device in use");
}
ATF_TC_BODY(etfs_register, tc)
{
	void *bd;
	int error;

	mkimage(IMG, 1 << 20);
	boot();
	ATF_CHECK_EQ(rump_etfs_register("/dev/d0", "nonexistent",
	    RUMP_ETFS_BLK), ENOENT);
	ATF_CHECK_EQ(rump_etfs_register("rel", IMG, RUMP_ETFS_BLK), EINVAL);
	ATF_CHECK_EQ(rump_etfs_register("/dev/d0", IMG, RUMP_ETFS_DIR),
	    EINVAL);
	ATF_CHECK_EQ(rump_etfs_register("/dev/d0", ".", RUMP_ETFS_BLK),
	    EISDIR);
	ATF_REQUIRE_EQ(rump_etfs_register("/dev/d0", IMG, RUMP_ETFS_BLK), 0);
	ATF_CHECK_EQ(rump_etfs_register("/dev/d0", IMG, RUMP_ETFS_BLK),
	    EEXIST);
	ATF_CHECK_EQ(rump_etfs_register_withsize("/dev/d1", IMG,
	    RUMP_ETFS_BLK, 512 * 1024, 600 * 1024), EINVAL);
	ATF_CHECK_EQ(rump_etfs_register_withsize("/dev/d1", IMG,
	    RUMP_ETFS_BLK, 100, 512), EINVAL);
	ATF_REQUIRE_EQ(rump_etfs_register_withsize("/dev/d1", IMG,
	    RUMP_ETFS_BLK, 512 * 1024, RUMP_ETFS_SIZE_ENDOFF), 0);

	bd = devopen("/dev/d1", BLK_WRITE);
	rump_schedule();
	ATF_CHECK_EQ(rumpns_blkdev_size(bd), 512 * 1024);
	error = rumpns_blkdev_open("/dev/d1", BLK_READ, &bd);
	rump_unschedule();
	ATF_CHECK_EQ(error, EBUSY);
	ATF_CHECK_EQ(rump_etfs_remove("/dev/d1"), EBUSY);
	rump_schedule();
	ATF_CHECK_EQ(rumpns_blkdev_close(bd), 0);
	error = rumpns_blkdev_open("/dev/nothing", BLK_READ, &bd);
	rump_unschedule();
	ATF_CHECK_EQ(error, ENXIO);
	ATF_CHECK_EQ(rump_etfs_remove("/dev/d1"), 0);
	ATF_CHECK_EQ(rump_etfs_remove("/dev/d1"), ENOENT);
}

ATF_TC(cache_writeback);
ATF_TC_HEAD(cache_writeback, tc)
{
	atf_tc_set_md_var(tc, "descr", "Blocks written through the cache "
	    "reach the host file after bsync, with several requests in "
	    "flight, and read back; nothing past the end is reachable");
}
ATF_TC_BODY(cache_writeback, tc)
{
	enum { NBLK = 200 };
	static unsigned char want[BS], got[BS];
	struct blkstats st;
	struct buf *bp;
	void *bd;
	int fd, i, error;

	mkimage(IMG, (off_t)NBLK * BS + 1024);	/* odd tail: unreachable */
	boot();
	ATF_REQUIRE_EQ(rump_etfs_register_withsize("/dev/d0", IMG,
	    RUMP_ETFS_REG, BS, RUMP_ETFS_SIZE_ENDOFF), 0);
	bd = devopen("/dev/d0", BLK_WRITE);
	rump_schedule();
	for (i = 0; i < NBLK - 1; i++) {
		error = rumpns_bget(bd, (uint64_t)i, BS, &bp);
		if (error != 0)
			break;
		fill(bp->b_data, BS, (unsigned)i);
		rumpns_bdwrite(bp, i % 3);
	}
	rump_unschedule();
	ATF_REQUIRE_EQ(error, 0);

	/* Nothing has been written yet: write-back is delayed. */
	RL(fd = open(IMG, O_RDONLY));
	RL(pread(fd, got, BS, BS));
	memset(want, 0, BS);
	ATF_CHECK(memcmp(got, want, BS) == 0);

	rump_schedule();
	error = rumpns_bsync(bd, BSYNC_DURABLE);
	rumpns_blkdev_stats(bd, &st);
	rump_unschedule();
	ATF_REQUIRE_EQ(error, 0);
	ATF_CHECK_EQ(st.bs_writes, NBLK - 1);
	ATF_CHECK_MSG(st.bs_maxinflight >= 2, "at most %ju in flight",
	    (uintmax_t)st.bs_maxinflight);
	for (i = 0; i < NBLK - 1; i++) {
		fill(want, BS, (unsigned)i);
		RL(pread(fd, got, BS, (off_t)(i + 1) * BS));
		ATF_REQUIRE_MSG(memcmp(got, want, BS) == 0, "block %d", i);
	}

	/* Past the end (the device ends after NBLK - 1 blocks). */
	rump_schedule();
	ATF_CHECK_EQ(rumpns_bread(bd, NBLK - 1, BS, &bp), EIO);
	ATF_CHECK_EQ(rumpns_bread(bd, UINT64_MAX / BS, BS, &bp), EIO);
	ATF_CHECK_EQ(rumpns_blkdev_rw(bd, false, got, BS,
	    (uint64_t)(NBLK - 1) * BS), EIO);
	ATF_CHECK_EQ(rumpns_blkdev_close(bd), 0);
	rump_unschedule();

	/* A fresh open reads what the host file holds. */
	bd = devopen("/dev/d0", BLK_READ);
	rump_schedule();
	error = rumpns_bread(bd, 17, BS, &bp);
	if (error == 0) {
		memcpy(got, bp->b_data, BS);
		rumpns_brelse(bp);
	}
	(void)rumpns_blkdev_close(bd);
	rump_unschedule();
	ATF_REQUIRE_EQ(error, 0);
	fill(want, BS, 17);
	ATF_CHECK(memcmp(got, want, BS) == 0);
	RL(close(fd));
}

ATF_TC(cache_discard);
ATF_TC_HEAD(cache_discard, tc)
{
	atf_tc_set_md_var(tc, "descr", "bdiscard forgets a cached block's "
	    "contents, dirty or not, unless someone holds it: it is never "
	    "written, a bread reads the disk again and a bget gets zeros");
}
ATF_TC_BODY(cache_discard, tc)
{
	enum { NBLK = 32 };
	static unsigned char want[BS], got[BS];
	struct blkstats st0, st;
	struct buf *bp, *held = NULL;
	void *bd;
	int fd, i, error = 0;

	/* The disk holds pattern i in block i. */
	mkimage(IMG, (off_t)NBLK * BS);
	RL(fd = open(IMG, O_RDWR));
	for (i = 0; i < NBLK; i++) {
		fill(want, BS, (unsigned)i);
		ATF_REQUIRE_EQ(pwrite(fd, want, BS, (off_t)i * BS), BS);
	}
	boot();
	ATF_REQUIRE_EQ(rump_etfs_register("/dev/d0", IMG, RUMP_ETFS_BLK), 0);
	bd = devopen("/dev/d0", BLK_WRITE);
	rump_schedule();
	rumpns_blkdev_stats(bd, &st0);
	/* Blocks 0..7 changed in the cache (pattern 100 + i). */
	for (i = 0; i < 8 && error == 0; i++) {
		error = rumpns_bread(bd, (uint64_t)i, BS, &bp);
		if (error == 0) {
			fill(bp->b_data, BS, 100u + (unsigned)i);
			rumpns_bdwrite(bp, 0);
		}
	}
	/* Block 5 held: a discard leaves it alone. */
	if (error == 0)
		error = rumpns_bread(bd, 5, BS, &held);
	for (i = 0; i < 6; i++)
		rumpns_bdiscard(bd, (uint64_t)i, BS);
	rumpns_bdiscard(bd, 20, BS);		/* not cached: nothing */
	rumpns_bdiscard(bd, NBLK + 5, BS);	/* past the end: nothing */
	if (held != NULL)
		rumpns_bdwrite(held, 0);
	if (error == 0)
		error = rumpns_bsync(bd, 0);
	rumpns_blkdev_stats(bd, &st);
	rump_unschedule();
	ATF_REQUIRE_EQ(error, 0);
	/* Only blocks 5, 6 and 7 went to the disk. */
	ATF_CHECK_EQ(st.bs_writes - st0.bs_writes, 3);
	for (i = 0; i < NBLK; i++) {
		fill(want, BS, i >= 5 && i < 8 ? 100u + (unsigned)i :
		    (unsigned)i);
		RL(pread(fd, got, BS, (off_t)i * BS));
		ATF_CHECK_MSG(memcmp(got, want, BS) == 0, "block %d on disk",
		    i);
	}

	/* A discarded block reads what the disk holds; bget of one gives
	 * zeros, not the forgotten contents. */
	rump_schedule();
	error = rumpns_bread(bd, 2, BS, &bp);
	if (error == 0) {
		memcpy(got, bp->b_data, BS);
		rumpns_brelse(bp);
	}
	rump_unschedule();
	ATF_REQUIRE_EQ(error, 0);
	fill(want, BS, 2);
	ATF_CHECK(memcmp(got, want, BS) == 0);
	rump_schedule();
	error = rumpns_bget(bd, 3, BS, &bp);
	if (error == 0) {
		memcpy(got, bp->b_data, BS);
		rumpns_brelse(bp);
	}
	(void)rumpns_blkdev_close(bd);
	rump_unschedule();
	ATF_REQUIRE_EQ(error, 0);
	memset(want, 0, BS);
	ATF_CHECK(memcmp(got, want, BS) == 0);
	RL(close(fd));
}

ATF_TC(cache_discard_reuse);
ATF_TC_HEAD(cache_discard_reuse, tc)
{
	atf_tc_set_md_var(tc, "descr", "a dirty metadata block discarded "
	    "and taken back by bget as file data is written in the data "
	    "class, before the metadata: with the power cut after one "
	    "write request, the data is on the disk and the block that "
	    "points to it is not");
}
ATF_TC_BODY(cache_discard_reuse, tc)
{
	enum { NBLK = 32, DATA = 10, PTR = 2 };
	static unsigned char want[BS], got[BS];
	struct buf *bp;
	void *bd;
	int fd, i, error = 0, zeros = 0;

	mkimage(IMG, (off_t)NBLK * BS);
	RL(fd = open(IMG, O_RDWR));
	for (i = 0; i < NBLK; i++) {
		fill(want, BS, (unsigned)i);
		ATF_REQUIRE_EQ(pwrite(fd, want, BS, (off_t)i * BS), BS);
	}
	boot();
	ATF_REQUIRE_EQ(rump_etfs_register("/dev/d0", IMG, RUMP_ETFS_BLK), 0);
	bd = devopen("/dev/d0", BLK_WRITE);
	rump_schedule();
	/* Block DATA was metadata (an indirect block, say), dirty when its
	 * file went and the block was freed. */
	error = rumpns_bget(bd, DATA, BS, &bp);
	if (error == 0) {
		fill(bp->b_data, BS, 100);
		rumpns_bdwrite(bp, B_ORD_META);
		rumpns_bdiscard(bd, DATA, BS);
		/* Allocated again for another file's data, and PTR (the
		 * file's inode, say) made to point to it. */
		error = rumpns_bget(bd, DATA, BS, &bp);
	}
	if (error == 0) {
		memset(want, 0, BS);
		zeros = memcmp(bp->b_data, want, BS) == 0;
		fill(bp->b_data, BS, 200);
		rumpns_bdwrite(bp, B_ORD_DATA);
		error = rumpns_bget(bd, PTR, BS, &bp);
	}
	if (error == 0) {
		fill(bp->b_data, BS, 202);
		rumpns_bdwrite(bp, B_ORD_META);
		error = rumpns_blk_fault_set("/dev/d0", BLK_FAULT_DROP, 1,
		    UINT64_MAX);
	}
	if (error == 0)
		error = rumpns_bsync(bd, 0);
	rump_unschedule();
	ATF_REQUIRE_EQ_MSG(error, 0, "%s", strerror(error));
	ATF_CHECK_MSG(zeros, "bget of the discarded block: not zeros");
	RL(pread(fd, got, BS, (off_t)DATA * BS));
	fill(want, BS, 200);
	ATF_CHECK_MSG(memcmp(got, want, BS) == 0,
	    "the data block did not go out first");
	RL(pread(fd, got, BS, (off_t)PTR * BS));
	fill(want, BS, PTR);
	ATF_CHECK_MSG(memcmp(got, want, BS) == 0,
	    "the block pointing to the data went out before it");
	RL(close(fd));
}

ATF_TC(cache_readahead);
ATF_TC_HEAD(cache_readahead, tc)
{
	atf_tc_set_md_var(tc, "descr", "breadn reads ahead: later reads of "
	    "those blocks are cache hits with the host file's contents");
}
ATF_TC_BODY(cache_readahead, tc)
{
	enum { NBLK = 64 };
	static unsigned char want[BS];
	uint64_t ra[8];
	struct blkstats st;
	struct buf *bp;
	void *bd;
	int fd, i, j, error = 0, bad = -1;

	RL(fd = open(IMG, O_RDWR | O_CREAT | O_TRUNC, 0644));
	for (i = 0; i < NBLK; i++) {
		fill(want, BS, (unsigned)i + 1000);
		ATF_REQUIRE_EQ(pwrite(fd, want, BS, (off_t)i * BS), BS);
	}
	RL(close(fd));
	boot();
	ATF_REQUIRE_EQ(rump_etfs_register("/dev/d0", IMG, RUMP_ETFS_BLK), 0);
	bd = devopen("/dev/d0", BLK_READ);
	rump_schedule();
	for (i = 0; i < NBLK && error == 0; i++) {
		for (j = 0; j < 8; j++)
			ra[j] = (uint64_t)(i + 1 + j);	/* past the end too */
		error = rumpns_breadn(bd, (uint64_t)i, BS, ra, 8, &bp);
		if (error != 0)
			break;
		fill(want, BS, (unsigned)i + 1000);
		if (memcmp(bp->b_data, want, BS) != 0 && bad < 0)
			bad = i;
		rumpns_brelse(bp);
	}
	rumpns_blkdev_stats(bd, &st);
	(void)rumpns_blkdev_close(bd);
	rump_unschedule();
	ATF_REQUIRE_EQ(error, 0);
	ATF_CHECK_EQ_MSG(bad, -1, "block %d differs", bad);
	ATF_CHECK_MSG(st.bs_readahead >= NBLK - 2, "%ju read ahead",
	    (uintmax_t)st.bs_readahead);
	ATF_CHECK_MSG(st.bs_hits >= NBLK - 2, "%ju hits",
	    (uintmax_t)st.bs_hits);
	ATF_CHECK_EQ(st.bs_reads, NBLK);
}

ATF_TC(cache_pressure);
ATF_TC_HEAD(cache_pressure, tc)
{
	atf_tc_set_md_var(tc, "descr", "A cache smaller than the data "
	    "written writes dirty blocks back to make room and loses "
	    "nothing");
}
ATF_TC_BODY(cache_pressure, tc)
{
	enum { NBLK = 256 };
	static unsigned char want[BS];
	struct buf *bp;
	void *bd;
	int i, error = 0, bad = -1;

	mkimage(IMG, (off_t)NBLK * BS);
	boot();
	ATF_REQUIRE_EQ(rump_etfs_register("/dev/d0", IMG, RUMP_ETFS_BLK), 0);
	bd = devopen("/dev/d0", BLK_WRITE);
	rump_schedule();
	rumpns_bcache_setmax(16 * BS);
	for (i = 0; i < NBLK && error == 0; i++) {
		error = rumpns_bget(bd, (uint64_t)i, BS, &bp);
		if (error == 0) {
			fill(bp->b_data, BS, (unsigned)i + 7);
			rumpns_bdwrite(bp, 0);
		}
	}
	for (i = 0; i < NBLK && error == 0; i++) {
		error = rumpns_bread(bd, (uint64_t)i, BS, &bp);
		if (error == 0) {
			fill(want, BS, (unsigned)i + 7);
			if (memcmp(bp->b_data, want, BS) != 0 && bad < 0)
				bad = i;
			rumpns_brelse(bp);
		}
	}
	if (error == 0)
		error = rumpns_blkdev_close(bd);
	rumpns_bcache_setmax(0);
	rump_unschedule();
	ATF_REQUIRE_EQ(error, 0);
	ATF_CHECK_EQ_MSG(bad, -1, "block %d differs", bad);
}

/* Writes a marker at the start of each of the given byte ranges, then
 * checks that partition i reads marker i through the kernel. */
static void
check_partitions(const char *kind, const int *partnos, int n,
    const uint64_t *starts)
{
	char key[32], want[512], got[512];
	void *bd;
	int fd, i, error;

	RL(fd = open(IMG, O_RDWR));
	for (i = 0; i < n; i++) {
		memset(want, 0, sizeof(want));
		snprintf(want, sizeof(want), "%s partition %d", kind,
		    partnos[i]);
		ATF_REQUIRE_EQ(pwrite(fd, want, 512, (off_t)starts[i] * 512),
		    512);
	}
	RL(close(fd));
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "/dev/%s%d", kind, partnos[i]);
		error = rump_etfs_register_partition(key, IMG, RUMP_ETFS_BLK,
		    partnos[i]);
		ATF_REQUIRE_MSG(error == 0, "%s partition %d: %s", kind,
		    partnos[i], strerror(error));
		bd = devopen(key, BLK_READ);
		rump_schedule();
		error = rumpns_blkdev_rw(bd, false, got, 512, 0);
		(void)rumpns_blkdev_close(bd);
		rump_unschedule();
		ATF_REQUIRE_EQ(error, 0);
		memset(want, 0, sizeof(want));
		snprintf(want, sizeof(want), "%s partition %d", kind,
		    partnos[i]);
		ATF_CHECK_MSG(memcmp(got, want, 512) == 0,
		    "%s partition %d reads \"%.40s\"", kind, partnos[i], got);
	}
}

static void
sfdisk(const char *script)
{
	char cmd[1024];

	if (system("command -v sfdisk >/dev/null 2>&1") != 0)
		atf_tc_skip("sfdisk (package fdisk) is not installed");
	snprintf(cmd, sizeof(cmd), "printf '%s' | sfdisk -q " IMG
	    " >sfdisk.out 2>&1", script);
	ATF_REQUIRE_MSG(system(cmd) == 0, "sfdisk failed: %s", script);
}

ATF_TC(partitions_mbr);
ATF_TC_HEAD(partitions_mbr, tc)
{
	atf_tc_set_md_var(tc, "descr", "Primary and logical partitions of "
	    "an MBR made by sfdisk are found; absent ones give ENXIO");
}
ATF_TC_BODY(partitions_mbr, tc)
{
	static const int parts[] = { 1, 2, 5, 6 };
	static const uint64_t starts[] = { 2048, 6144, 10240 + 2048,
	    10240 + 2048 + 4096 + 2048 };

	mkimage(IMG, 32 << 20);
	sfdisk("label: dos\\n"
	    "start=2048, size=4096, type=83\\n"
	    "start=6144, size=4096, type=83\\n"
	    "start=10240, size=40960, type=5\\n"
	    "start=12288, size=4096, type=83\\n"
	    "start=18432, size=4096, type=83\\n");
	boot();
	check_partitions("mbr", parts, 4, starts);
	ATF_CHECK_EQ(rump_etfs_register_partition("/dev/x", IMG,
	    RUMP_ETFS_BLK, 4), ENXIO);
	ATF_CHECK_EQ(rump_etfs_register_partition("/dev/x", IMG,
	    RUMP_ETFS_BLK, 7), ENXIO);
	ATF_CHECK_EQ(rump_etfs_register_partition("/dev/x", IMG,
	    RUMP_ETFS_BLK, 0), ENXIO);
}

ATF_TC(partitions_gpt);
ATF_TC_HEAD(partitions_gpt, tc)
{
	atf_tc_set_md_var(tc, "descr", "Partitions of a GPT made by sfdisk "
	    "are found; a damaged header gives EINVAL");
}
ATF_TC_BODY(partitions_gpt, tc)
{
	static const int parts[] = { 1, 2, 3 };
	static const uint64_t starts[] = { 2048, 8192, 20480 };
	int fd;

	mkimage(IMG, 32 << 20);
	sfdisk("label: gpt\\n"
	    "start=2048, size=4096\\n"
	    "start=8192, size=8192\\n"
	    "start=20480, size=2048\\n");
	boot();
	check_partitions("gpt", parts, 3, starts);
	ATF_CHECK_EQ(rump_etfs_register_partition("/dev/x", IMG,
	    RUMP_ETFS_BLK, 4), ENXIO);
	ATF_CHECK_EQ(rump_etfs_register_partition("/dev/x", IMG,
	    RUMP_ETFS_BLK, 100000), ENXIO);
	/* Damage the GPT header's signature. */
	RL(fd = open(IMG, O_RDWR));
	ATF_REQUIRE_EQ(pwrite(fd, "XXX", 3, 512), 3);
	RL(close(fd));
	ATF_CHECK_EQ(rump_etfs_register_partition("/dev/x", IMG,
	    RUMP_ETFS_BLK, 1), EINVAL);
}

/*
 * A host block device: a loop device over an image that mke2fs made.
 * The loop devices attached to the image are named by the image's
 * absolute path (losetup -j), so that the cleanup detaches ours and
 * nobody else's, also after a failed body.
 */
#define LOOPIMG		"loop.img"
#define LOOPIMG_KB	5004	/* not a power of two: the size is read */
#define LOOPIMG_SIZE	"5004k"

static void
loop_imgpath(char *buf, size_t len)
{
	char cwd[4096];

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	ATF_REQUIRE((size_t)snprintf(buf, len, "%s/" LOOPIMG, cwd) < len);
}

/* Detaches every loop device over the image; returns how many were. */
static int
loop_detach_all(void)
{
	char img[4200], dev[256], cmd[4400];
	FILE *f;
	int n = 0;

	loop_imgpath(img, sizeof(img));
	snprintf(cmd, sizeof(cmd), "losetup -l -n -O NAME -j '%s' "
	    "2>/dev/null", img);
	if ((f = popen(cmd, "r")) == NULL)
		return 0;
	while (fgets(dev, sizeof(dev), f) != NULL) {
		dev[strcspn(dev, "\n")] = '\0';
		if (dev[0] == '\0')
			continue;
		if (sh("losetup -d '%s' >/dev/null 2>&1", dev) != 0)
			fprintf(stderr, "losetup -d %s failed\n", dev);
		n++;
	}
	pclose(f);
	return n;
}

ATF_TC_WITH_CLEANUP(host_blockdev);
ATF_TC_HEAD(host_blockdev, tc)
{
	atf_tc_set_md_var(tc, "descr", "A host block device (a loop device "
	    "over an image mke2fs made) registered with etfs: its size is "
	    "the device's, not stat's 0; ext2 mounts through it, and a file "
	    "written there is in the image after the device is detached "
	    "(e2fsck -fn clean, debugfs reads the bytes).  Needs root and "
	    "loop devices, else skipped");
}
ATF_TC_BODY(host_blockdev, tc)
{
	char img[4200], dev[256], *data, *got;
	size_t glen, len = 150000;
	struct stat st;
	void *bd;
	FILE *f;
	int fd;

	if (geteuid() != 0)
		atf_tc_skip("attaching a loop device needs root");
	if (access("/dev/loop-control", R_OK | W_OK) != 0)
		atf_tc_skip("no usable /dev/loop-control: %s",
		    strerror(errno));
	if (system("command -v losetup >/dev/null 2>&1") != 0)
		atf_tc_skip("losetup (package mount) is not installed");
	mkfs(LOOPIMG, "-t ext2 -b 1024", LOOPIMG_SIZE);
	loop_imgpath(img, sizeof(img));
	if (sh("losetup -f --show '%s' >loopdev 2>losetup.err", img) != 0) {
		(void)sh("cat losetup.err >&2");
		atf_tc_skip("losetup -f could not attach a loop device "
		    "(none free, or none in this container)");
	}
	ATF_REQUIRE((f = fopen("loopdev", "r")) != NULL);
	ATF_REQUIRE(fgets(dev, sizeof(dev), f) != NULL);
	fclose(f);
	dev[strcspn(dev, "\n")] = '\0';
	fprintf(stderr, "loop device: %s\n", dev);
	RL(stat(dev, &st));
	ATF_REQUIRE_MSG(S_ISBLK(st.st_mode), "%s is not a block device",
	    dev);
	/* What etfs must not take for the size. */
	ATF_CHECK_EQ(st.st_size, 0);

	boot();
	ATF_REQUIRE_EQ(rump_etfs_register("/dev/hostblk", dev,
	    RUMP_ETFS_BLK), 0);
	bd = devopen("/dev/hostblk", BLK_READ);
	rump_schedule();
	ATF_CHECK_EQ(rumpns_blkdev_size(bd), (uint64_t)LOOPIMG_KB * 1024);
	ATF_CHECK_EQ(rumpns_blkdev_close(bd), 0);
	rump_unschedule();

	RL(rump_sys_mkdir("/mnt", 0755));
	RL(rump_sys_mount("/dev/hostblk", "/mnt", "ext2", 0, NULL));
	RL(rump_sys_mkdir("/mnt/dir", 0755));
	data = malloc(len);
	ATF_REQUIRE(data != NULL);
	pattern(data, len, 42);
	RL(fd = rump_sys_open("/mnt/dir/file", O_WRONLY | O_CREAT | O_EXCL,
	    0644));
	ATF_REQUIRE_EQ(rump_sys_write(fd, data, len), (ssize_t)len);
	RL(rump_sys_close(fd));
	RL(rump_sys_umount2("/mnt", 0));
	ATF_REQUIRE_EQ(rump_etfs_remove("/dev/hostblk"), 0);

	ATF_REQUIRE_EQ_MSG(loop_detach_all(), 1, "loop devices over %s",
	    img);
	ATF_CHECK_EQ(loop_detach_all(), 0);
	fsck_clean(LOOPIMG);
	ATF_REQUIRE_EQ(sh("debugfs -R 'dump /dir/file file.out' " LOOPIMG
	    " >debugfs.out 2>&1"), 0);
	got = host_slurp("file.out", &glen);
	ATF_CHECK_EQ(glen, len);
	ATF_CHECK_MSG(glen == len && memcmp(got, data, len) == 0,
	    "debugfs reads other bytes than were written");
	free(got);
	free(data);
}
ATF_TC_CLEANUP(host_blockdev, tc)
{
	(void)loop_detach_all();
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, etfs_register);
	ATF_TP_ADD_TC(tp, cache_writeback);
	ATF_TP_ADD_TC(tp, cache_discard);
	ATF_TP_ADD_TC(tp, cache_discard_reuse);
	ATF_TP_ADD_TC(tp, cache_readahead);
	ATF_TP_ADD_TC(tp, cache_pressure);
	ATF_TP_ADD_TC(tp, partitions_mbr);
	ATF_TP_ADD_TC(tp, partitions_gpt);
	ATF_TP_ADD_TC(tp, host_blockdev);
	return atf_no_error();
}
