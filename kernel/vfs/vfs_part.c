/*
 * vfs_part.c: MBR and GPT partition tables, read so that one partition
 * of a disk image can be registered as a block device.
 *
 * Layouts (from the specifications): an MBR is sector 0 with the
 * signature 0x55 0xaa at byte 510 and four 16-byte entries at byte 446
 * (type at +4, first sector at +8, sector count at +12, little endian).
 * Types 0x05, 0x0f and 0x85 are extended partitions: a chain of EBRs,
 * each with the logical partition in its first entry (relative to the
 * EBR) and the next EBR in its second (relative to the extended
 * partition).  A type 0xee entry is a protective MBR: the disk has a GPT,
 * whose header is sector 1 ("EFI PART"; entries' first sector at +72,
 * count at +80, entry size at +84); an entry has its type GUID at +0
 * (all zero: unused), first and last (inclusive) sectors at +32, +40.
 * 512-byte sectors are assumed.  Every number is checked against the
 * size of the image: the table may be hostile.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <vfs/buf.h>

#include "blk_private.h"

#define MBR_SIG_OFF	510
#define MBR_PART_OFF	446
#define MBR_TYPE_GPT	0xee
#define EBR_MAX		128	/* logical partitions followed at most */
#define GPT_ENTRIES_MAX	1024

static uint32_t
le32(const uint8_t *p)
{

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{

	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool
mbr_extended(uint8_t type)
{

	return type == 0x05 || type == 0x0f || type == 0x85;
}

/* Checks a range in sectors and converts it to bytes. */
static int
part_range(uint64_t start, uint64_t count, uint64_t hostsize,
    uint64_t *beginp, uint64_t *sizep)
{
	uint64_t sectors = hostsize / DEV_BSIZE;

	if (count == 0 || start >= sectors || count > sectors - start)
		return EINVAL;
	*beginp = start * DEV_BSIZE;
	*sizep = count * DEV_BSIZE;
	return 0;
}

static int
gpt_find(int fd, uint64_t hostsize, int partno, uint8_t *sec,
    uint64_t *beginp, uint64_t *sizep)
{
	uint64_t entlba, off, first, last;
	uint32_t nent, entsize;
	uint8_t *ent;
	int error, i;

	error = blk_hostio(fd, false, sec, DEV_BSIZE, DEV_BSIZE);
	if (error != 0)
		return error;
	if (memcmp(sec, "EFI PART", 8) != 0)
		return EINVAL;
	entlba = le64(sec + 72);
	nent = le32(sec + 80);
	entsize = le32(sec + 84);
	if (entsize < 128 || entsize > DEV_BSIZE || DEV_BSIZE % entsize != 0 ||
	    nent > GPT_ENTRIES_MAX)
		return EINVAL;
	if ((uint64_t)partno > nent)
		return ENXIO;
	off = (uint64_t)(partno - 1) * entsize;
	if (entlba >= hostsize / DEV_BSIZE ||
	    off / DEV_BSIZE >= hostsize / DEV_BSIZE - entlba)
		return EINVAL;
	error = blk_hostio(fd, false, sec, DEV_BSIZE,
	    (entlba + off / DEV_BSIZE) * DEV_BSIZE);
	if (error != 0)
		return error;
	ent = sec + off % DEV_BSIZE;
	for (i = 0; i < 16; i++)
		if (ent[i] != 0)
			break;
	if (i == 16)
		return ENXIO;	/* unused entry */
	first = le64(ent + 32);
	last = le64(ent + 40);
	if (last < first)
		return EINVAL;
	return part_range(first, last - first + 1, hostsize, beginp, sizep);
}

/* Logical partition partno (5 and up) of the extended partition that
 * starts at sector extstart. */
static int
ebr_find(int fd, uint64_t hostsize, int partno, uint64_t extstart,
    uint8_t *sec, uint64_t *beginp, uint64_t *sizep)
{
	uint64_t ebr = extstart, next;
	const uint8_t *e;
	int n, error;

	for (n = 5; n - 5 < EBR_MAX; n++) {
		if (ebr >= hostsize / DEV_BSIZE)
			return EINVAL;
		error = blk_hostio(fd, false, sec, DEV_BSIZE, ebr * DEV_BSIZE);
		if (error != 0)
			return error;
		if (sec[MBR_SIG_OFF] != 0x55 || sec[MBR_SIG_OFF + 1] != 0xaa)
			return EINVAL;
		e = sec + MBR_PART_OFF;
		if (n == partno) {
			if (e[4] == 0)
				return ENXIO;
			return part_range(ebr + le32(e + 8), le32(e + 12),
			    hostsize, beginp, sizep);
		}
		e += 16;
		if (e[4] == 0 || le32(e + 8) == 0)
			return ENXIO;	/* end of the chain */
		next = extstart + le32(e + 8);
		/* Links must go forward, or a loop could be followed. */
		if (next <= ebr)
			return EINVAL;
		ebr = next;
	}
	return ENXIO;
}

int
blk_partition_find(int fd, uint64_t hostsize, int partno, uint64_t *beginp,
    uint64_t *sizep)
{
	uint8_t *sec;
	const uint8_t *e;
	int error, i;

	if (partno < 1)
		return ENXIO;
	if (hostsize < 2 * DEV_BSIZE)
		return EINVAL;
	sec = kmem_alloc(DEV_BSIZE, KM_SLEEP);
	if (sec == NULL)
		return ENOMEM;
	error = blk_hostio(fd, false, sec, DEV_BSIZE, 0);
	if (error != 0)
		goto out;
	if (sec[MBR_SIG_OFF] != 0x55 || sec[MBR_SIG_OFF + 1] != 0xaa) {
		error = EINVAL;
		goto out;
	}
	for (i = 0; i < 4; i++)
		if (sec[MBR_PART_OFF + i * 16 + 4] == MBR_TYPE_GPT)
			break;
	if (i < 4) {
		error = gpt_find(fd, hostsize, partno, sec, beginp, sizep);
		goto out;
	}
	if (partno <= 4) {
		e = sec + MBR_PART_OFF + (partno - 1) * 16;
		if (e[4] == 0 || mbr_extended(e[4]))
			error = ENXIO;
		else
			error = part_range(le32(e + 8), le32(e + 12),
			    hostsize, beginp, sizep);
		goto out;
	}
	for (i = 0; i < 4; i++) {
		e = sec + MBR_PART_OFF + i * 16;
		if (mbr_extended(e[4]))
			break;
	}
	if (i == 4) {
		error = ENXIO;
		goto out;
	}
	error = ebr_find(fd, hostsize, partno, le32(e + 8), sec, beginp,
	    sizep);
 out:
	kmem_free(sec, DEV_BSIZE);
	return error;
}
