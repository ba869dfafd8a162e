/*
 * ext2fs_csum.c: metadata_csum (ext4) checksums, verified on read.
 *
 * With the metadata_csum feature every metadata structure carries a
 * CRC32C (Castagnoli polynomial 0x82F63B78, reflected) computed as ext4
 * defines it: the running value starts at ~0 and is never inverted at
 * the end.  The file system's seed is s_checksum_seed (csum_seed
 * feature) or the CRC of s_uuid; an inode's seed continues that with the
 * inode number and i_generation (both little endian).  Covered here, as
 * the format lays them out:
 *   superblock      s_checksum: CRC of bytes 0..1019, from ~0;
 *   group descr.    bg_checksum (low 16 bits): seed, le32 group number,
 *                   the descriptor with bg_checksum as zero;
 *   inode           i_checksum_lo/_hi: inode seed, the inode with both
 *                   fields as zero (16 bits only without room for _hi);
 *   directory leaf  a 12-byte tail record (inode 0, rec_len 12, name_len
 *                   0, file_type 0xde) whose last 4 bytes are the CRC of
 *                   the block before it, inode seed;
 *   extent block    after eh_max entries, 4 bytes: CRC of the header and
 *                   entries, inode seed;
 *   xattr block     h_checksum: seed, le64 block number, the block with
 *                   h_checksum as zero.
 * Strata mounts such file systems read-only, so it only verifies.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>

#include "ext2fs.h"

static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4,
	0xc79a971f, 0x35f1141c, 0x26a1e7e8, 0xd4ca64eb,
	0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24,
	0x105ec76f, 0xe235446c, 0xf165b798, 0x030e349b,
	0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54,
	0x5d1d08bf, 0xaf768bbc, 0xbc267848, 0x4e4dfb4b,
	0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35,
	0xaa64d611, 0x580f5512, 0x4b5fa6e6, 0xb93425e5,
	0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45,
	0xf779deae, 0x05125dad, 0x1642ae59, 0xe4292d5a,
	0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595,
	0x417b1dbc, 0xb3109ebf, 0xa0406d4b, 0x522bee48,
	0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687,
	0x0c38d26c, 0xfe53516f, 0xed03a29b, 0x1f682198,
	0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38,
	0xdbfc821c, 0x2997011f, 0x3ac7f2eb, 0xc8ac71e8,
	0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096,
	0xa65c047d, 0x5437877e, 0x4767748a, 0xb50cf789,
	0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46,
	0x7198540d, 0x83f3d70e, 0x90a324fa, 0x62c8a7f9,
	0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36,
	0x3cdb9bdd, 0xceb018de, 0xdde0eb2a, 0x2f8b6829,
	0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93,
	0x082f63b7, 0xfa44e0b4, 0xe9141340, 0x1b7f9043,
	0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3,
	0x55326b08, 0xa759e80b, 0xb4091bff, 0x466298fc,
	0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033,
	0xa24bb5a6, 0x502036a5, 0x4370c551, 0xb11b4652,
	0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d,
	0xef087a76, 0x1d63f975, 0x0e330a81, 0xfc588982,
	0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622,
	0x38cc2a06, 0xcaa7a905, 0xd9f75af1, 0x2b9cd9f2,
	0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530,
	0x0417b1db, 0xf67c32d8, 0xe52cc12c, 0x1747422f,
	0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0,
	0xd3d3e1ab, 0x21b862a8, 0x32e8915c, 0xc083125f,
	0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90,
	0x9e902e7b, 0x6cfbad78, 0x7fab5e8c, 0x8dc0dd8f,
	0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1,
	0x69e9f0d5, 0x9b8273d6, 0x88d28022, 0x7ab90321,
	0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81,
	0x34f4f86a, 0xc69f7b69, 0xd5cf889d, 0x27a40b9e,
	0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

uint32_t
ext2_crc32c(uint32_t crc, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len-- > 0)
		crc = crc32c_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return crc;
}

static uint32_t
crc_le32(uint32_t crc, uint32_t v)
{
	uint8_t b[4];

	le32put(b, 0, v);
	return ext2_crc32c(crc, b, 4);
}

static const uint8_t zeros[4];

bool
ext2_csum_enabled(const struct ext2_mount *em)
{
	return (em->em_ro_compat & RO_COMPAT_METADATA_CSUM) != 0;
}

int
ext2_csum_sb(struct ext2_mount *em)
{
	const uint8_t *sb = em->em_sb;

	if (!ext2_csum_enabled(em))
		return 0;
	if (sb[SB_CHECKSUM_TYPE] != 1) {
		ext2_error(em, "unknown checksum type %u",
		    sb[SB_CHECKSUM_TYPE]);
		return EINVAL;
	}
	if (ext2_crc32c(~0u, sb, SB_CHECKSUM) != le32get(sb, SB_CHECKSUM)) {
		ext2_error(em, "superblock checksum mismatch");
		return EINVAL;
	}
	if (em->em_incompat & INCOMPAT_CSUM_SEED)
		em->em_csum_seed = le32get(sb, SB_CHECKSUM_SEED);
	else
		em->em_csum_seed = ext2_crc32c(~0u, sb + SB_UUID, 16);
	return 0;
}

int
ext2_csum_gd(struct ext2_mount *em, uint32_t g, const uint8_t *d)
{
	uint32_t crc;

	if (!ext2_csum_enabled(em))
		return 0;
	crc = crc_le32(em->em_csum_seed, g);
	crc = ext2_crc32c(crc, d, GD_CHECKSUM);
	crc = ext2_crc32c(crc, zeros, 2);
	if (em->em_desc_size > GD_CHECKSUM + 2)
		crc = ext2_crc32c(crc, d + GD_CHECKSUM + 2,
		    em->em_desc_size - GD_CHECKSUM - 2);
	if ((crc & 0xffff) != le16get(d, GD_CHECKSUM)) {
		ext2_error(em, "group %u: descriptor checksum mismatch", g);
		return EINVAL;
	}
	return 0;
}

/* The seed of inode ino with generation gen. */
static uint32_t
inode_seed(const struct ext2_mount *em, uint32_t ino, uint32_t gen)
{
	return crc_le32(crc_le32(em->em_csum_seed, ino), gen);
}

int
ext2_csum_inode(struct ext2_mount *em, uint32_t ino, const uint8_t *raw)
{
	uint32_t crc, want, extra;
	bool hi = false;

	if (!ext2_csum_enabled(em))
		return 0;
	crc = inode_seed(em, ino, le32get(raw, DI_GENERATION));
	crc = ext2_crc32c(crc, raw, DI_CHECKSUM_LO);
	crc = ext2_crc32c(crc, zeros, 2);
	crc = ext2_crc32c(crc, raw + DI_CHECKSUM_LO + 2,
	    EXT2_GOOD_OLD_INODE_SIZE - DI_CHECKSUM_LO - 2);
	if (em->em_inode_size > EXT2_GOOD_OLD_INODE_SIZE) {
		extra = le16get(raw, DI_EXTRA_ISIZE);
		hi = extra >= DI_CHECKSUM_HI + 2 - EXT2_GOOD_OLD_INODE_SIZE &&
		    EXT2_GOOD_OLD_INODE_SIZE + extra <= em->em_inode_size;
		crc = ext2_crc32c(crc, raw + EXT2_GOOD_OLD_INODE_SIZE,
		    DI_CHECKSUM_HI - EXT2_GOOD_OLD_INODE_SIZE);
		if (hi) {
			crc = ext2_crc32c(crc, zeros, 2);
			crc = ext2_crc32c(crc, raw + DI_CHECKSUM_HI + 2,
			    em->em_inode_size - DI_CHECKSUM_HI - 2);
		} else {
			crc = ext2_crc32c(crc, raw + DI_CHECKSUM_HI,
			    em->em_inode_size - DI_CHECKSUM_HI);
		}
	}
	want = le16get(raw, DI_CHECKSUM_LO);
	if (hi)
		want |= (uint32_t)le16get(raw, DI_CHECKSUM_HI) << 16;
	else
		crc &= 0xffff;
	if (crc != want) {
		ext2_error(em, "inode %u: checksum mismatch", ino);
		return EIO;
	}
	return 0;
}

#define DIRTAIL_SIZE	12
#define DIRTAIL_FT	0xde

int
ext2_csum_dirblock(struct ext2_node *dn, uint64_t lbn, const uint8_t *blk)
{
	struct ext2_mount *em = dn->n_mnt;
	const uint8_t *t = blk + em->em_bsize - DIRTAIL_SIZE;
	uint32_t crc;

	if (!ext2_csum_enabled(em))
		return 0;
	if (le32get(t, 0) != 0 || le16get(t, 4) != DIRTAIL_SIZE ||
	    t[6] != 0 || t[7] != DIRTAIL_FT) {
		/* The interior blocks of an index (dx_root, dx_node) keep
		 * their checksum elsewhere: to a linear reader they are
		 * "." and ".." (block 0) or one empty record. */
		if ((dn->n_flags & EXT2_INDEX_FL) &&
		    (lbn == 0 || (le32get(blk, 0) == 0 &&
		    le16get(blk, 4) == em->em_bsize)))
			return 0;
		ext2_error(em, "directory inode %u block %llu: no checksum "
		    "tail", dn->n_ino, (unsigned long long)lbn);
		return EIO;
	}
	crc = ext2_crc32c(inode_seed(em, dn->n_ino,
	    le32get(dn->n_raw, DI_GENERATION)), blk,
	    em->em_bsize - DIRTAIL_SIZE);
	if (crc != le32get(t, 8)) {
		ext2_error(em, "directory inode %u block %llu: checksum "
		    "mismatch", dn->n_ino, (unsigned long long)lbn);
		return EIO;
	}
	return 0;
}

/*
 * An index block (dx_root or dx_node) with metadata_csum: the dx_tail
 * after the limit entries of the table at off holds dt_reserved (4) and
 * dt_checksum (4), the crc32c, from the inode's seed, of the block up to
 * the end of the used entries (count), then of the tail with its
 * checksum field as zero.
 */
int
ext2_csum_dxblock(struct ext2_node *dn, uint64_t lbn, const uint8_t *blk,
    size_t off)
{
	struct ext2_mount *em = dn->n_mnt;
	size_t limit, count, tail;
	uint32_t crc;

	if (!ext2_csum_enabled(em))
		return 0;
	limit = le16get(blk, off);
	count = le16get(blk, off + 2);
	tail = off + limit * 8;
	if (count > limit || tail + 8 > em->em_bsize) {
		ext2_error(em, "directory inode %u block %llu: no room for "
		    "the index checksum", dn->n_ino, (unsigned long long)lbn);
		return EIO;
	}
	crc = ext2_crc32c(inode_seed(em, dn->n_ino,
	    le32get(dn->n_raw, DI_GENERATION)), blk, off + count * 8);
	crc = ext2_crc32c(crc, blk + tail, 4);
	crc = ext2_crc32c(crc, zeros, 4);	/* dt_checksum as zero */
	if (crc != le32get(blk, tail + 4)) {
		ext2_error(em, "directory inode %u block %llu: index checksum "
		    "mismatch", dn->n_ino, (unsigned long long)lbn);
		return EIO;
	}
	return 0;
}

int
ext2_csum_extblock(struct ext2_node *n, const uint8_t *blk)
{
	struct ext2_mount *em = n->n_mnt;
	size_t off = 12 + 12 * (size_t)le16get(blk, 4);

	if (!ext2_csum_enabled(em))
		return 0;
	if (off + 4 > em->em_bsize ||
	    ext2_crc32c(inode_seed(em, n->n_ino,
	    le32get(n->n_raw, DI_GENERATION)), blk, off) !=
	    le32get(blk, off)) {
		ext2_error(em, "inode %u: extent block checksum mismatch",
		    n->n_ino);
		return EIO;
	}
	return 0;
}

#define XH_CHECKSUM	16

int
ext2_csum_xattrblock(struct ext2_mount *em, uint64_t bn, const uint8_t *blk)
{
	uint8_t le64[8];
	uint32_t crc;

	if (!ext2_csum_enabled(em))
		return 0;
	le32put(le64, 0, (uint32_t)bn);
	le32put(le64, 4, (uint32_t)(bn >> 32));
	crc = ext2_crc32c(em->em_csum_seed, le64, 8);
	crc = ext2_crc32c(crc, blk, XH_CHECKSUM);
	crc = ext2_crc32c(crc, zeros, 4);
	crc = ext2_crc32c(crc, blk + XH_CHECKSUM + 4,
	    em->em_bsize - XH_CHECKSUM - 4);
	if (crc != le32get(blk, XH_CHECKSUM)) {
		ext2_error(em, "attribute block %llu: checksum mismatch",
		    (unsigned long long)bn);
		return EIO;
	}
	return 0;
}
