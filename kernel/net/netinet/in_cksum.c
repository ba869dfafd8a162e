/*
 * in_cksum.c: the Internet checksum (RFC 1071): the one's-complement sum
 * of 16-bit big-endian words.  Summing native-order words and swapping
 * once at the end gives the same result (RFC 1071, "byte order
 * independence"), which lets the loop read words as they lie in memory.
 */
#include <kern/types.h>
#include <kern/libkern.h>

#include "in_var.h"

uint32_t
in_cksum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t acc = 0, b2 = 0, c = 0, d = 0, w0, w1, w2, w3;
	uint32_t w32;
	uint16_t w16;

	/* 32-bit words into 64-bit accumulators: carries collect in the
	 * top halves and fold back at the end.  32 bytes a round, as the
	 * halves of four 64-bit loads into four accumulators: twice as
	 * fast as a word at a time. */
	while (len >= 32) {
		memcpy(&w0, b, 8);
		memcpy(&w1, b + 8, 8);
		memcpy(&w2, b + 16, 8);
		memcpy(&w3, b + 24, 8);
		acc += (uint32_t)w0 + (uint64_t)(uint32_t)w2;
		b2 += (w0 >> 32) + (w2 >> 32);
		c += (uint32_t)w1 + (uint64_t)(uint32_t)w3;
		d += (w1 >> 32) + (w3 >> 32);
		b += 32;
		len -= 32;
	}
	acc += b2 + c + d;
	while (len >= 4) {
		memcpy(&w32, b, 4);
		acc += w32;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, b, 2);
		acc += w16;
		b += 2;
		len -= 2;
	}
	if (len == 1) {
		/* The odd byte is the high half of a big-endian word
		 * padded with zero: in memory order, byte then 0. */
		uint8_t pad[2] = { b[0], 0 };

		memcpy(&w16, pad, 2);
		acc += w16;
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	/* The native-order sum; callers combine sums before folding, so
	 * convert to big-endian value space here. */
	w16 = (uint16_t)acc;
	w16 = ntohs(w16);
	acc = (uint64_t)sum + w16;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

uint16_t
in_cksum_fold(uint32_t sum)
{

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	/* Back to network order for storing into a header. */
	return htons((uint16_t)~sum);
}

uint32_t
in_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint32_t sum;

	src = ntohl(src);
	dst = ntohl(dst);
	sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	    proto + len;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}
