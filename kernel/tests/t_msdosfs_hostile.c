/*
 * t_msdosfs_hostile.c: FAT images that are damaged or made to hurt:
 * truncated, bit-flipped, and crafted (a cluster chain that loops, start
 * clusters past the end, huge sizes, a directory that contains itself,
 * broken long-name slots, impossible BPB values).  Mounting may fail, and
 * reading may give errors, but the kernel must neither crash nor hang nor
 * touch memory it should not (the suite runs under ASan too).  Every
 * mounted image is walked: each directory listed, each file stat'ed and
 * read, a file and a directory created, then unmounted.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "h_fatimg.h"

static int nimages, nmounted;

/* Lists, stats and reads everything below dir, boundedly. */
static void
walk(const char *dir, int depth, int *budget)
{
	char buf[4096], path[1024], data[8192];
	struct stat st;
	long r, off;
	int fd, ffd, i;

	if (depth > 6 || *budget <= 0)
		return;
	fd = rump_sys_open(dir, O_RDONLY | O_DIRECTORY);
	if (fd == -1)
		return;
	while (*budget > 0 &&
	    (r = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < r && *budget > 0;) {
			struct dirent64 *de = (void *)(buf + off);

			off += de->d_reclen;
			(*budget)--;
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (rump_sys_lstat(path, &st) == -1)
				continue;
			if (S_ISDIR(st.st_mode)) {
				walk(path, depth + 1, budget);
			} else if ((ffd = rump_sys_open(path, O_RDONLY)) != -1) {
				for (i = 0; i < 64; i++)
					if (rump_sys_read(ffd, data,
					    sizeof(data)) <= 0)
						break;
				rump_sys_close(ffd);
			}
		}
	}
	rump_sys_close(fd);
}

/* Mounts img (any outcome is fine), walks it, changes it, unmounts. */
static void
try_image(const char *img)
{
	char key[64], path[512];
	struct stat st;
	int budget = 3000, fd, error;

	snprintf(key, sizeof(key), "/dev/hostile%d", nimages++);
	error = rump_etfs_register(key, img, RUMP_ETFS_BLK);
	ATF_REQUIRE_MSG(error == 0, "register %s: %s", img, strerror(error));
	if (rump_sys_stat(FAT_MNT, &st) == -1)
		RL(rump_sys_mkdir(FAT_MNT, 0755));
	if (rump_sys_mount(key, FAT_MNT, "vfat", 0, NULL) == 0) {
		nmounted++;
		walk(FAT_MNT, 0, &budget);
		snprintf(path, sizeof(path), FAT_MNT "/new file %d", nimages);
		fd = rump_sys_open(path, O_RDWR | O_CREAT, 0644);
		if (fd != -1) {
			(void)rump_sys_write(fd, path, sizeof(path));
			(void)rump_sys_pwrite64(fd, "x", 1, 100000);
			rump_sys_close(fd);
		}
		(void)rump_sys_mkdir(FAT_MNT "/new dir", 0755);
		(void)rump_sys_rename(FAT_MNT "/new dir", FAT_MNT "/D/new");
		budget = 3000;
		walk(FAT_MNT, 0, &budget);
		RL(rump_sys_umount2(FAT_MNT, 0));
	}
	error = rump_etfs_remove(key);
	ATF_REQUIRE_MSG(error == 0, "etfs_remove: %s", strerror(error));
}

static unsigned char *img;
static size_t imglen;

static void
base_image(int fattype, unsigned kib, const char *opts)
{
	int i;

	require_tools("mkfs.fat", "mcopy", "mmd", NULL);
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	setenv("LC_ALL", "C.UTF-8", 1);
	fat_mkfs("base.img", fattype, kib, opts);
	RUN("mmd -i base.img ::/D '::/D/Sub Dir'");
	for (i = 0; i < 6; i++) {
		char buf[20000];

		pattern(buf, sizeof(buf), (unsigned)i);
		h_writefile("in", buf, (size_t)(i * 3000 + 1));
		RUN("mcopy -i base.img in ::/FILE%d.TXT", i);
		RUN("mcopy -i base.img in '::/D/A long name %d.bin'", i);
	}
	free(img);
	img = h_readfile("base.img", &imglen);
	ATF_REQUIRE(img != NULL);
}

static void
write_variant(const unsigned char *data, size_t len)
{
	h_writefile("variant.img", data, len);
	try_image("variant.img");
}

static uint16_t
rd16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Offset of the short entry named name11, or 0. */
static size_t
find_entry(const char *name11)
{
	size_t i;

	for (i = 512; i + 32 <= imglen; i += 32)
		if (memcmp(img + i, name11, 11) == 0)
			return i;
	return 0;
}

static void
damage_all(int fattype)
{
	unsigned char *v = malloc(imglen);
	uint32_t x = 99;
	size_t fatoff = (size_t)rd16(img + 14) * rd16(img + 11), e, i;
	unsigned cn;
	int k, j;

	ATF_REQUIRE(v != NULL);
	/* Truncated images. */
	write_variant(img, 512);
	write_variant(img, 4096);
	write_variant(img, imglen / 2);
	write_variant(img, (imglen - 8192) & ~(size_t)511);

	/* Random bit flips in the first 256 KiB (metadata, first
	 * clusters). */
	for (k = 0; k < 60; k++) {
		memcpy(v, img, imglen);
		for (j = 0; j < 1 + k % 20; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			i = x % (imglen < 256 * 1024 ? imglen : 256 * 1024);
			v[i] ^= (unsigned char)(1u << (x >> 29));
		}
		write_variant(v, imglen);
	}

	/* Impossible BPB values. */
	for (k = 0; k < 8; k++) {
		memcpy(v, img, imglen);
		switch (k) {
		case 0: v[11] = 0; v[12] = 0; break;		/* bytes/sec */
		case 1: v[13] = 0; break;			/* sec/clus */
		case 2: v[13] = 3; break;
		case 3: v[16] = 255; break;			/* FATs */
		case 4: v[14] = 0xff; v[15] = 0xff; break;	/* reserved */
		case 5: v[19] = 1; v[20] = 0; v[32] = 0; v[33] = 0;
			v[34] = 0; v[35] = 0; break;		/* tiny */
		case 6: v[32] = 0xff; v[33] = 0xff; v[34] = 0xff; v[35] = 0xff;
			v[19] = 0; v[20] = 0; break;		/* huge */
		case 7: v[22] = 0xff; v[23] = 0xff; v[36] = 0xff;
			v[37] = 0xff; break;			/* FAT size */
		}
		write_variant(v, imglen);
	}

	/* Crafted entries: a file whose chain loops on itself, a start
	 * cluster past the end, a huge size, a directory that contains
	 * itself, a subdirectory pointing at the root. */
	e = find_entry("FILE2   TXT");
	ATF_REQUIRE(e != 0);
	cn = rd16(img + e + 26);
	memcpy(v, img, imglen);
	if (fattype == 16) {
		v[fatoff + cn * 2] = (unsigned char)cn;
		v[fatoff + cn * 2 + 1] = (unsigned char)(cn >> 8);
	} else if (fattype == 32) {
		v[fatoff + cn * 4] = (unsigned char)cn;
		v[fatoff + cn * 4 + 1] = (unsigned char)(cn >> 8);
		v[fatoff + cn * 4 + 2] = 0;
		v[fatoff + cn * 4 + 3] = 0;
	} else {
		memset(v + fatoff + 3, 0x33, 60);	/* chains tangled */
	}
	write_variant(v, imglen);
	memcpy(v, img, imglen);
	v[e + 26] = 0xf0;
	v[e + 27] = 0xff;
	v[e + 20] = 0xff;
	v[e + 21] = 0x0f;
	write_variant(v, imglen);
	memcpy(v, img, imglen);
	memset(v + e + 28, 0xff, 4);
	write_variant(v, imglen);
	e = find_entry("D          ");
	ATF_REQUIRE(e != 0);
	cn = rd16(img + e + 26);
	{
		size_t sub = find_entry("SUBDIR~1   ");

		ATF_REQUIRE(sub != 0);
		memcpy(v, img, imglen);
		v[sub + 26] = (unsigned char)cn;	/* D/Sub Dir is D */
		v[sub + 27] = (unsigned char)(cn >> 8);
		write_variant(v, imglen);
		memcpy(v, img, imglen);
		v[sub + 26] = 0;			/* ... or the root */
		v[sub + 27] = 0;
		write_variant(v, imglen);
	}
	/* Long-name slots with wrong ordinals and checksums. */
	memcpy(v, img, imglen);
	for (i = 512; i + 32 <= imglen; i += 32)
		if (v[i + 11] == 0x0f && v[i] != 0xe5) {
			v[i] = (unsigned char)(v[i] ^ 0x05);
			v[i + 13] ^= 0x10;
		}
	write_variant(v, imglen);
	free(v);
	ATF_CHECK_MSG(nmounted > 10, "only %d of %d images mounted: the "
	    "test hardly tests anything", nmounted, nimages);
}

ATF_TC(hostile_fat12);
ATF_TC_HEAD(hostile_fat12, tc)
{
	atf_tc_set_md_var(tc, "descr", "damaged and crafted FAT12 images: "
	    "errors, never a crash or a hang");
}
ATF_TC_BODY(hostile_fat12, tc)
{
	base_image(12, 2048, NULL);
	boot();
	damage_all(12);
}

ATF_TC(hostile_fat16);
ATF_TC_HEAD(hostile_fat16, tc)
{
	atf_tc_set_md_var(tc, "descr", "damaged and crafted FAT16 images: "
	    "errors, never a crash or a hang");
}
ATF_TC_BODY(hostile_fat16, tc)
{
	base_image(16, 16384, "-s 2");
	boot();
	damage_all(16);
}

ATF_TC(hostile_fat32);
ATF_TC_HEAD(hostile_fat32, tc)
{
	atf_tc_set_md_var(tc, "descr", "damaged and crafted FAT32 images: "
	    "errors, never a crash or a hang");
}
ATF_TC_BODY(hostile_fat32, tc)
{
	base_image(32, 34000, "-s 1");
	boot();
	damage_all(32);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, hostile_fat12);
	ATF_TP_ADD_TC(tp, hostile_fat16);
	ATF_TP_ADD_TC(tp, hostile_fat32);
	return atf_no_error();
}
