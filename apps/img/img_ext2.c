/*
 * img_ext2.c: strata-img's ext2 formatter (mkfs -t ext2) and probe.
 *
 * Makes what `mke2fs -t ext2` makes for the same size, in the format's
 * terms (facts of the ext2 specification): revision 1, 1 KiB blocks below
 * 512 MiB (one inode per 4 KiB) and 4 KiB blocks above (one inode per
 * 16 KiB), 256-byte inodes, groups of 8 * block size blocks, superblock
 * and descriptor backups in groups 0, 1 and powers of 3, 5 and 7
 * (sparse_super), features filetype, sparse_super and large_file, a root
 * directory and lost+found.  The image file is written sparse: only
 * non-zero metadata is written.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "img.h"

#define SB_OFF		1024
#define MAGIC		0xef53
#define ISIZE		256
#define EXTRA_ISIZE	32
#define FIRST_INO	11
#define ROOT_INO	2
#define LPF_INO		11

static void
put16(uint8_t *p, size_t off, uint32_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, size_t off, uint32_t v)
{
	put16(p, off, v & 0xffff);
	put16(p, off + 2, v >> 16);
}

static bool
has_super(uint32_t g)
{
	uint32_t p;
	uint64_t v;

	if (g <= 1)
		return true;
	for (p = 3; p <= 7; p += 2) {
		for (v = p; v < g; v *= p)
			;
		if (v == g)
			return true;
	}
	return false;
}

struct geom {
	uint32_t bsize, logbs, blocks, fdb, bpg, ngroups, ipg, itb, gdt;
};

static uint32_t
group_blocks(const struct geom *g, uint32_t grp)
{
	uint64_t start = g->fdb + (uint64_t)grp * g->bpg;

	return (uint32_t)(g->blocks - start < g->bpg ? g->blocks - start :
	    g->bpg);
}

static uint32_t
group_overhead(const struct geom *g, uint32_t grp)
{
	return (has_super(grp) ? 1 + g->gdt : 0) + 2 + g->itb;
}

static int
geometry(uint64_t size, struct geom *g)
{
	uint64_t blocks, ninodes, ratio;

	g->bsize = size < ((uint64_t)512 << 20) ? 1024 : 4096;
	g->logbs = g->bsize == 1024 ? 0 : 2;
	ratio = g->bsize == 1024 ? 4096 : 16384;
	blocks = size / g->bsize;
	if (blocks > 0xffffffffULL)
		blocks = 0xffffffffULL;
	g->fdb = g->bsize == 1024 ? 1 : 0;
	g->bpg = 8 * g->bsize;
	for (;;) {
		if (blocks <= g->fdb + 64)
			return EINVAL;
		g->blocks = (uint32_t)blocks;
		g->ngroups = (uint32_t)((blocks - g->fdb + g->bpg - 1) / g->bpg);
		ninodes = (uint64_t)blocks * g->bsize / ratio;
		/* As mke2fs: fill whole inode table blocks, then keep a
		 * multiple of 8 (whole bytes of the inode bitmap). */
		g->ipg = (uint32_t)((ninodes + g->ngroups - 1) / g->ngroups);
		if (g->ipg < 16)
			g->ipg = 16;
		if (g->ipg > 8 * g->bsize)
			g->ipg = 8 * g->bsize;
		g->itb = (g->ipg * ISIZE + g->bsize - 1) / g->bsize;
		g->ipg = g->itb * (g->bsize / ISIZE);
		if (g->ipg > 8 * g->bsize)
			g->ipg = 8 * g->bsize;
		g->ipg &= ~7u;
		g->itb = (g->ipg * ISIZE + g->bsize - 1) / g->bsize;
		g->gdt = (g->ngroups * 32 + g->bsize - 1) / g->bsize;
		/* A last group too small for its own metadata and some
		 * data is dropped, as mke2fs does. */
		if (group_blocks(g, g->ngroups - 1) <
		    group_overhead(g, g->ngroups - 1) + 50) {
			if (g->ngroups == 1)
				return EINVAL;
			blocks -= group_blocks(g, g->ngroups - 1);
			continue;
		}
		return 0;
	}
}

static int
pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n <= 0)
			return n == 0 ? EIO : errno;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static void
set_bits(uint8_t *map, uint32_t from, uint32_t to)
{
	for (; from < to; from++)
		map[from >> 3] |= (uint8_t)(1u << (from & 7));
}

static void
dirent(uint8_t *b, size_t off, uint32_t ino, uint32_t reclen,
    const char *name)
{
	put32(b, off, ino);
	put16(b, off + 4, reclen);
	b[off + 6] = (uint8_t)strlen(name);
	b[off + 7] = 2;		/* EXT2_FT_DIR */
	memcpy(b + off + 8, name, strlen(name));
}

static void
inode_dir(uint8_t *ino, uint16_t mode, uint32_t links, uint32_t blk,
    uint32_t bsize, uint32_t now)
{
	memset(ino, 0, ISIZE);
	put16(ino, 0, mode);
	put16(ino, 2, getuid() & 0xffff);
	put32(ino, 4, bsize);
	put32(ino, 8, now);
	put32(ino, 12, now);
	put32(ino, 16, now);
	put16(ino, 24, getgid() & 0xffff);
	put16(ino, 26, links);
	put32(ino, 28, bsize / 512);
	put32(ino, 40, blk);
	put16(ino, 120, getuid() >> 16);
	put16(ino, 122, getgid() >> 16);
	put16(ino, 128, EXTRA_ISIZE);
	put32(ino, 144, now);		/* creation time */
}

static int
ext2_mkfs(const struct img_mkfs_args *a)
{
	struct geom g;
	uint8_t *sb, *gdt, *map, *blk;
	uint32_t grp, now = (uint32_t)time(NULL), free_blocks = 0;
	uint32_t start, pos, rootblk = 0, lpfblk = 0, used, n;
	uint64_t off;
	int fd, error;

	error = geometry(a->size, &g);
	if (error != 0)
		return error;
	sb = calloc(1, 1024);
	gdt = calloc(g.gdt, g.bsize);
	map = calloc(1, g.bsize);
	blk = calloc(1, g.bsize);
	if (sb == NULL || gdt == NULL || map == NULL || blk == NULL) {
		error = ENOMEM;
		goto out;
	}
	fd = open(a->image, O_RDWR);
	if (fd == -1) {
		error = errno;
		goto out;
	}

	/* Group descriptors and bitmaps. */
	for (grp = 0; grp < g.ngroups; grp++) {
		uint8_t *d = gdt + grp * 32;

		start = g.fdb + grp * g.bpg;
		pos = start + (has_super(grp) ? 1 + g.gdt : 0);
		put32(d, 0, pos);		/* block bitmap */
		put32(d, 4, pos + 1);		/* inode bitmap */
		put32(d, 8, pos + 2);		/* inode table */
		used = pos + 2 + g.itb - start;
		if (grp == 0) {
			rootblk = start + used;
			lpfblk = rootblk + 1;
			used += 2;
		}
		n = group_blocks(&g, grp);
		put16(d, 12, n - used);
		put16(d, 14, g.ipg - (grp == 0 ? FIRST_INO : 0));
		put16(d, 16, grp == 0 ? 2 : 0);
		free_blocks += n - used;

		memset(map, 0, g.bsize);
		set_bits(map, 0, used);
		set_bits(map, n, 8 * g.bsize);	/* padding past the end */
		if ((error = pwrite_all(fd, map, g.bsize,
		    (uint64_t)pos * g.bsize)) != 0)
			goto close;
		memset(map, 0, g.bsize);
		if (grp == 0)
			set_bits(map, 0, FIRST_INO);
		set_bits(map, g.ipg, 8 * g.bsize);
		if ((error = pwrite_all(fd, map, g.bsize,
		    (uint64_t)(pos + 1) * g.bsize)) != 0)
			goto close;
	}

	/* The superblock. */
	put32(sb, 0, g.ipg * g.ngroups);
	put32(sb, 4, g.blocks);
	put32(sb, 8, (uint32_t)((uint64_t)g.blocks * 5 / 100));
	put32(sb, 12, free_blocks);
	put32(sb, 16, g.ipg * g.ngroups - FIRST_INO);
	put32(sb, 20, g.fdb);
	put32(sb, 24, g.logbs);
	put32(sb, 28, g.logbs);
	put32(sb, 32, g.bpg);
	put32(sb, 36, g.bpg);
	put32(sb, 40, g.ipg);
	put32(sb, 48, now);		/* wtime */
	put16(sb, 54, 0xffff);		/* max mount count: none */
	put16(sb, 56, MAGIC);
	put16(sb, 58, 1);		/* clean */
	put16(sb, 60, 1);		/* errors: continue */
	put32(sb, 64, now);		/* last check */
	put32(sb, 76, 1);		/* revision */
	put32(sb, 84, FIRST_INO);
	put16(sb, 88, ISIZE);
	/* dir_index, as mke2fs: the kernel indexes a directory once it
	 * outgrows its first block. */
	put32(sb, 92, 0x0020);		/* compat: dir_index */
	put32(sb, 96, 0x0002);		/* incompat: filetype */
	put32(sb, 100, 0x0001 | 0x0002);	/* sparse_super, large_file */
	if (getrandom(sb + 104, 16, 0) != 16)
		for (n = 0; n < 16; n++)
			sb[104 + n] = (uint8_t)rand();
	sb[104 + 6] = (uint8_t)((sb[104 + 6] & 0x0f) | 0x40);	/* v4 */
	sb[104 + 8] = (uint8_t)((sb[104 + 8] & 0x3f) | 0x80);
	if (a->label != NULL)
		strncpy((char *)sb + 120, a->label, 16);
	if (getrandom(sb + 236, 16, 0) != 16)
		memcpy(sb + 236, sb + 104, 16);
	sb[252] = 1;			/* default hash: half_md4 */
	put32(sb, 352, 0x0001);		/* s_flags: signed hash, as the
					 * kernel computes it */
	put32(sb, 264, now);		/* mkfs time */
	put16(sb, 348, EXTRA_ISIZE);
	put16(sb, 350, EXTRA_ISIZE);

	for (grp = 0; grp < g.ngroups; grp++) {
		if (!has_super(grp))
			continue;
		start = g.fdb + grp * g.bpg;
		put16(sb, 90, grp);		/* block group of this copy */
		off = grp == 0 ? SB_OFF : (uint64_t)start * g.bsize;
		if ((error = pwrite_all(fd, sb, 1024, off)) != 0 ||
		    (error = pwrite_all(fd, gdt, (size_t)g.gdt * g.bsize,
		    (uint64_t)(start + 1) * g.bsize)) != 0)
			goto close;
	}

	/* Root and lost+found: inodes and directory blocks. */
	inode_dir(map, 040755, 3, rootblk, g.bsize, now);
	off = (uint64_t)(g.fdb + 1 + g.gdt + 2) * g.bsize;
	if ((error = pwrite_all(fd, map, ISIZE,
	    off + (uint64_t)(ROOT_INO - 1) * ISIZE)) != 0)
		goto close;
	inode_dir(map, 040700, 2, lpfblk, g.bsize, now);
	if ((error = pwrite_all(fd, map, ISIZE,
	    off + (uint64_t)(LPF_INO - 1) * ISIZE)) != 0)
		goto close;
	memset(blk, 0, g.bsize);
	dirent(blk, 0, ROOT_INO, 12, ".");
	dirent(blk, 12, ROOT_INO, 12, "..");
	dirent(blk, 24, LPF_INO, g.bsize - 24, "lost+found");
	if ((error = pwrite_all(fd, blk, g.bsize,
	    (uint64_t)rootblk * g.bsize)) != 0)
		goto close;
	memset(blk, 0, g.bsize);
	dirent(blk, 0, LPF_INO, 12, ".");
	dirent(blk, 12, ROOT_INO, g.bsize - 12, "..");
	error = pwrite_all(fd, blk, g.bsize, (uint64_t)lpfblk * g.bsize);
	if (error == 0 && fsync(fd) == -1)
		error = errno;
 close:
	if (close(fd) == -1 && error == 0)
		error = errno;
 out:
	free(sb);
	free(gdt);
	free(map);
	free(blk);
	return error;
}

static bool
ext2_probe(const uint8_t *buf, size_t len)
{
	return len >= SB_OFF + 58 && buf[SB_OFF + 56] == (MAGIC & 0xff) &&
	    buf[SB_OFF + 57] == (MAGIC >> 8);
}

static const struct img_fstype ext2_fstype = {
	.name		= "ext2",
	.mountname	= "ext2",
	.probe		= ext2_probe,
	.mkfs		= ext2_mkfs,
	.minsize	= 256 * 1024,
};
IMG_FSTYPE(ext2_fstype);
