/*
 * img_vfat.c: strata-img's FAT formatter (mkfs -t vfat) and probe.
 *
 * Lays out a FAT file system as Microsoft's FAT specification describes
 * it, choosing like mkfs.fat does by size: FAT12 below 16 MiB, FAT16
 * below 512 MiB, FAT32 from there on, with the cluster sizes of the
 * specification's tables; 512-byte sectors, two FATs, the data region
 * aligned to the cluster size.  FAT32 gets its FSInfo sector (free count
 * and next free cluster) and a backup boot sector at sector 6.  The image
 * file is new and zero-filled, so only what is not zero is written.
 */
#include <sys/types.h>

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

#define SEC		512
#define MIB		(1024ull * 1024)

struct fatgeom {
	int		type;		/* 12, 16, 32 */
	uint32_t	totsec;
	uint32_t	spc;		/* sectors per cluster */
	uint32_t	rsvd;		/* reserved sectors */
	uint32_t	nfats;
	uint32_t	rootent;	/* FAT12/16 root entries */
	uint32_t	rootsecs;
	uint32_t	fatsz;		/* sectors per FAT */
	uint32_t	clusters;
};

static void
p16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
p32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint16_t
g16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Sectors per FAT for the clusters that fit, iterated to a fixed point. */
static void
layout(struct fatgeom *g)
{
	uint64_t need;
	uint32_t data, nf;
	int i;

	g->rootsecs = g->rootent * 32 / SEC;
	g->fatsz = 1;
	for (i = 0; i < 20; i++) {
		data = g->totsec - g->rsvd - g->nfats * g->fatsz - g->rootsecs;
		g->clusters = data / g->spc;
		need = (uint64_t)(g->clusters + 2) * (uint64_t)g->type;
		need = (need + 7) / 8;
		nf = (uint32_t)((need + SEC - 1) / SEC);
		if (nf <= g->fatsz)
			break;
		g->fatsz = nf;
	}
	/* The data region on a cluster boundary (helps every reader's
	 * caching); the FAT stays large enough as clusters only shrink. */
	while ((g->rsvd + g->nfats * g->fatsz + g->rootsecs) % g->spc != 0)
		g->rsvd++;
	data = g->totsec - g->rsvd - g->nfats * g->fatsz - g->rootsecs;
	g->clusters = data / g->spc;
}

static bool
type_fits(const struct fatgeom *g)
{
	switch (g->type) {
	case 12:
		return g->clusters >= 1 && g->clusters < 4085;
	case 16:
		return g->clusters >= 4085 && g->clusters < 65525;
	default:
		return g->clusters >= 65525 && g->clusters < 0x0ffffff5;
	}
}

static int
geometry(uint64_t size, struct fatgeom *g)
{
	memset(g, 0, sizeof(*g));
	if (size / SEC > 0xffffffffull)
		return EFBIG;
	g->totsec = (uint32_t)(size / SEC);
	g->nfats = 2;
	if (size < 16 * MIB) {
		g->type = 12;
		g->rsvd = 1;
		g->rootent = size < 512 * 1024 ? 64 : size < 2 * MIB ? 224 : 512;
		for (g->spc = 1; g->spc <= 64; g->spc *= 2) {
			layout(g);
			if (type_fits(g))
				return 0;
		}
		return EINVAL;
	}
	if (size < 512 * MIB) {
		g->type = 16;
		g->rsvd = 1;
		g->rootent = 512;
		g->spc = size <= 128 * MIB ? 4 : size <= 256 * MIB ? 8 : 16;
	} else {
		g->type = 32;
		g->rsvd = 32;
		g->spc = size <= 8192 * MIB ? 8 : size <= 16384 * MIB ? 16 :
		    size <= 32768 * MIB ? 32 : 64;
	}
	layout(g);
	return type_fits(g) ? 0 : EINVAL;
}

static int
wr(int fd, const void *buf, size_t len, uint64_t off)
{
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		return errno != 0 ? errno : EIO;
	return 0;
}

/* The name as an 11-byte volume label: upper case, space padded. */
static void
label11(const char *label, uint8_t *out)
{
	size_t i;

	memset(out, ' ', 11);
	if (label == NULL) {
		memcpy(out, "NO NAME    ", 11);
		return;
	}
	for (i = 0; i < 11 && label[i] != '\0'; i++) {
		char c = label[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		out[i] = (uint8_t)c;
	}
}

static void
dos_now(uint16_t *date, uint16_t *tim)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (tm.tm_year < 80)
		tm.tm_year = 80;
	*date = (uint16_t)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) |
	    tm.tm_mday);
	*tim = (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) |
	    (tm.tm_sec / 2));
}

static int
vfat_mkfs(const struct img_mkfs_args *a)
{
	struct fatgeom g;
	uint8_t bs[SEC], sec[SEC], lab[11];
	uint32_t volid = (uint32_t)time(NULL) ^ (uint32_t)getpid() * 2654435761u;
	uint64_t fatoff, rootoff;
	uint16_t d, t;
	uint32_t i;
	int fd, error;

	if (a->label != NULL && strlen(a->label) > 11) {
		fprintf(stderr, "strata-img: mkfs: label \"%s\" is longer "
		    "than 11 characters\n", a->label);
		return EINVAL;
	}
	error = geometry(a->size, &g);
	if (error != 0)
		return error;
	label11(a->label, lab);
	fd = open(a->image, O_RDWR);
	if (fd == -1)
		return errno;

	/* Boot sector with the BIOS parameter block. */
	memset(bs, 0, sizeof(bs));
	bs[0] = 0xeb;
	bs[1] = g.type == 32 ? 0x58 : 0x3c;
	bs[2] = 0x90;
	memcpy(bs + 3, "STRATA  ", 8);
	p16(bs + 11, SEC);
	bs[13] = (uint8_t)g.spc;
	p16(bs + 14, (uint16_t)g.rsvd);
	bs[16] = (uint8_t)g.nfats;
	p16(bs + 17, (uint16_t)g.rootent);
	if (g.totsec < 65536 && g.type != 32)
		p16(bs + 19, (uint16_t)g.totsec);
	else
		p32(bs + 32, g.totsec);
	bs[21] = 0xf8;
	p16(bs + 24, 32);		/* sectors per track */
	p16(bs + 26, 64);		/* heads */
	if (g.type == 32) {
		p32(bs + 36, g.fatsz);
		p32(bs + 44, 2);	/* root directory cluster */
		p16(bs + 48, 1);	/* FSInfo sector */
		p16(bs + 50, 6);	/* backup boot sector */
		bs[64] = 0x80;
		bs[66] = 0x29;
		p32(bs + 67, volid);
		memcpy(bs + 71, lab, 11);
		memcpy(bs + 82, "FAT32   ", 8);
	} else {
		p16(bs + 22, (uint16_t)g.fatsz);
		bs[36] = 0x80;
		bs[38] = 0x29;
		p32(bs + 39, volid);
		memcpy(bs + 43, lab, 11);
		memcpy(bs + 54, g.type == 16 ? "FAT16   " : "FAT12   ", 8);
	}
	bs[510] = 0x55;
	bs[511] = 0xaa;
	error = wr(fd, bs, SEC, 0);

	if (error == 0 && g.type == 32) {
		/* FSInfo: every cluster free but the root's. */
		memset(sec, 0, sizeof(sec));
		p32(sec, 0x41615252);
		p32(sec + 484, 0x61417272);
		p32(sec + 488, g.clusters - 1);
		p32(sec + 492, 3);
		p32(sec + 508, 0xaa550000);
		error = wr(fd, sec, SEC, SEC);
		if (error == 0)
			error = wr(fd, bs, SEC, 6 * SEC);
		if (error == 0)
			error = wr(fd, sec, SEC, 7 * SEC);
	}

	/* The FATs: media byte, end-of-chain marks, FAT32's root cluster. */
	memset(sec, 0, sizeof(sec));
	switch (g.type) {
	case 12:
		sec[0] = 0xf8; sec[1] = 0xff; sec[2] = 0xff;
		break;
	case 16:
		sec[0] = 0xf8; sec[1] = 0xff; sec[2] = 0xff; sec[3] = 0xff;
		break;
	default:
		p32(sec, 0x0ffffff8);
		p32(sec + 4, 0x0fffffff);
		p32(sec + 8, 0x0fffffff);
		break;
	}
	fatoff = (uint64_t)g.rsvd * SEC;
	for (i = 0; error == 0 && i < g.nfats; i++)
		error = wr(fd, sec, SEC, fatoff + (uint64_t)i * g.fatsz * SEC);

	/* The volume label, also as the root directory's first entry. */
	if (error == 0 && a->label != NULL) {
		memset(sec, 0, sizeof(sec));
		memcpy(sec, lab, 11);
		sec[11] = 0x08;
		dos_now(&d, &t);
		p16(sec + 22, t);
		p16(sec + 24, d);
		rootoff = fatoff + (uint64_t)g.nfats * g.fatsz * SEC;
		error = wr(fd, sec, SEC, rootoff);
	}
	if (close(fd) != 0 && error == 0)
		error = errno;
	return error;
}

/* A boot sector with a plausible BPB and the 0x55aa signature. */
static bool
vfat_probe(const uint8_t *b, size_t len)
{
	uint16_t bps;

	if (len < SEC || b[510] != 0x55 || b[511] != 0xaa)
		return false;
	bps = g16(b + 11);
	return (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) &&
	    b[13] != 0 && (b[13] & (b[13] - 1)) == 0 && g16(b + 14) != 0 &&
	    b[16] != 0 && (b[21] == 0xf0 || b[21] >= 0xf8);
}

static const struct img_fstype vfat_fstype = {
	.name		= "vfat",
	.mountname	= "vfat",
	.probe		= vfat_probe,
	.mkfs		= vfat_mkfs,
	.minsize	= 128 * 1024,
};
IMG_FSTYPE(vfat_fstype);
