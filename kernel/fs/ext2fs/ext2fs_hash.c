/*
 * ext2fs_hash.c: the name hashes of indexed ("htree", dir_index)
 * directories, as the ext2/ext4 format specification defines them.
 *
 * An indexed directory orders its leaf blocks by a 32-bit hash of each
 * name.  The dx_root block names the algorithm (dx_root_info
 * hash_version):
 *  - legacy (0): a multiply/xor recurrence over the bytes;
 *  - half_md4 (1): the three MD4 rounds over 32-byte chunks of the name
 *    (packed by str2hashbuf below), chained from the superblock's seed;
 *    the hash is the second chaining word;
 *  - tea (2): the TEA cipher over 16-byte chunks, the chunk being the
 *    key and the chaining value the plaintext; the hash is the first
 *    word.
 * Each has an "unsigned" twin (3, 4, 5) that widens name bytes >= 0x80
 * without sign extension; the superblock's s_flags says which one the
 * file system uses for versions 0..2 (EXT2_FLAGS_UNSIGNED_HASH).  The
 * lowest bit of a hash is cleared (the index uses it as the collision
 * mark), and the value 0xfffffffe (the end-of-directory cookie of 32-bit
 * readdir) becomes 0xfffffffc.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>

#include "ext2fs.h"

/* Seed used when s_hash_seed is all zero. */
static const uint32_t default_seed[4] = {
	0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476
};

static inline uint32_t
rol32(uint32_t x, unsigned s)
{
	return x << s | x >> (32 - s);
}

/* A name byte widened as the hash variant wants it. */
static inline uint32_t
widen(uint8_t c, bool unsign)
{
	return unsign ? (uint32_t)c : (uint32_t)(int32_t)(int8_t)c;
}

static uint32_t
hash_legacy(const uint8_t *name, size_t len, bool unsign)
{
	uint32_t h, h0 = 0x12a3fe2d, h1 = 0x37abe8f9;

	while (len-- > 0) {
		h = h1 + (h0 ^ (widen(*name++, unsign) * 7152373u));
		if (h & 0x80000000u)
			h -= 0x7fffffffu;
		h1 = h0;
		h0 = h;
	}
	return h0 << 1;
}

/*
 * Packs up to 4*num bytes of the name into num words: bytes enter each
 * word from the low end (big-endian order within the word), the word
 * starting from a pad of the length repeated in every byte; words past
 * the name are the pad.
 */
static void
str2hashbuf(const uint8_t *msg, size_t len, uint32_t *buf, int num,
    bool unsign)
{
	uint32_t pad, val;
	size_t i;

	pad = (uint32_t)len | (uint32_t)len << 8;
	pad |= pad << 16;
	val = pad;
	if (len > (size_t)num * 4)
		len = (size_t)num * 4;
	for (i = 0; i < len; i++) {
		val = widen(msg[i], unsign) + (val << 8);
		if (i % 4 == 3) {
			*buf++ = val;
			val = pad;
			num--;
		}
	}
	if (--num >= 0)
		*buf++ = val;
	while (--num >= 0)
		*buf++ = pad;
}

static void
tea_transform(uint32_t buf[4], const uint32_t in[4])
{
	uint32_t sum = 0, b0 = buf[0], b1 = buf[1];
	uint32_t a = in[0], b = in[1], c = in[2], d = in[3];
	int n;

	for (n = 0; n < 16; n++) {
		sum += 0x9e3779b9u;
		b0 += ((b1 << 4) + a) ^ (b1 + sum) ^ ((b1 >> 5) + b);
		b1 += ((b0 << 4) + c) ^ (b0 + sum) ^ ((b0 >> 5) + d);
	}
	buf[0] += b0;
	buf[1] += b1;
}

#define MD4_F(x, y, z)	((z) ^ ((x) & ((y) ^ (z))))
#define MD4_G(x, y, z)	(((x) & (y)) + (((x) ^ (y)) & (z)))
#define MD4_H(x, y, z)	((x) ^ (y) ^ (z))
#define MD4_K2		0x5a827999u
#define MD4_K3		0x6ed9eba1u
#define MD4_STEP(f, a, b, c, d, x, s)	((a) = rol32((a) + f(b, c, d) + (x), s))

/* MD4's three rounds, each over eight words only. */
static void
half_md4_transform(uint32_t buf[4], const uint32_t in[8])
{
	uint32_t a = buf[0], b = buf[1], c = buf[2], d = buf[3];

	MD4_STEP(MD4_F, a, b, c, d, in[0], 3);
	MD4_STEP(MD4_F, d, a, b, c, in[1], 7);
	MD4_STEP(MD4_F, c, d, a, b, in[2], 11);
	MD4_STEP(MD4_F, b, c, d, a, in[3], 19);
	MD4_STEP(MD4_F, a, b, c, d, in[4], 3);
	MD4_STEP(MD4_F, d, a, b, c, in[5], 7);
	MD4_STEP(MD4_F, c, d, a, b, in[6], 11);
	MD4_STEP(MD4_F, b, c, d, a, in[7], 19);

	MD4_STEP(MD4_G, a, b, c, d, in[1] + MD4_K2, 3);
	MD4_STEP(MD4_G, d, a, b, c, in[3] + MD4_K2, 5);
	MD4_STEP(MD4_G, c, d, a, b, in[5] + MD4_K2, 9);
	MD4_STEP(MD4_G, b, c, d, a, in[7] + MD4_K2, 13);
	MD4_STEP(MD4_G, a, b, c, d, in[0] + MD4_K2, 3);
	MD4_STEP(MD4_G, d, a, b, c, in[2] + MD4_K2, 5);
	MD4_STEP(MD4_G, c, d, a, b, in[4] + MD4_K2, 9);
	MD4_STEP(MD4_G, b, c, d, a, in[6] + MD4_K2, 13);

	MD4_STEP(MD4_H, a, b, c, d, in[3] + MD4_K3, 3);
	MD4_STEP(MD4_H, d, a, b, c, in[7] + MD4_K3, 9);
	MD4_STEP(MD4_H, c, d, a, b, in[2] + MD4_K3, 11);
	MD4_STEP(MD4_H, b, c, d, a, in[6] + MD4_K3, 15);
	MD4_STEP(MD4_H, a, b, c, d, in[1] + MD4_K3, 3);
	MD4_STEP(MD4_H, d, a, b, c, in[5] + MD4_K3, 9);
	MD4_STEP(MD4_H, c, d, a, b, in[0] + MD4_K3, 11);
	MD4_STEP(MD4_H, b, c, d, a, in[4] + MD4_K3, 15);

	buf[0] += a;
	buf[1] += b;
	buf[2] += c;
	buf[3] += d;
}

int
ext2_dirhash(unsigned version, const uint32_t seed[4], const char *name,
    size_t len, uint32_t *hashp)
{
	const uint8_t *p = (const uint8_t *)name;
	uint32_t buf[4], in[8], hash;
	bool unsign = version >= EXT2_HASH_LEGACY_UNSIGNED;
	size_t i;

	if (seed == NULL || (seed[0] | seed[1] | seed[2] | seed[3]) == 0)
		seed = default_seed;
	for (i = 0; i < 4; i++)
		buf[i] = seed[i];
	switch (version) {
	case EXT2_HASH_LEGACY:
	case EXT2_HASH_LEGACY_UNSIGNED:
		hash = hash_legacy(p, len, unsign);
		break;
	case EXT2_HASH_HALF_MD4:
	case EXT2_HASH_HALF_MD4_UNSIGNED:
		while (len > 0) {
			str2hashbuf(p, len, in, 8, unsign);
			half_md4_transform(buf, in);
			if (len <= 32)
				break;
			len -= 32;
			p += 32;
		}
		hash = buf[1];
		break;
	case EXT2_HASH_TEA:
	case EXT2_HASH_TEA_UNSIGNED:
		while (len > 0) {
			str2hashbuf(p, len, in, 4, unsign);
			tea_transform(buf, in);
			if (len <= 16)
				break;
			len -= 16;
			p += 16;
		}
		hash = buf[0];
		break;
	default:
		return EINVAL;
	}
	hash &= ~1u;
	if (hash == 0xfffffffeu)
		hash = 0xfffffffcu;
	*hashp = hash;
	return 0;
}
