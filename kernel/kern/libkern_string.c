/*
 * libkern_string.c: the memory and string functions of the kernel.
 *
 * The compiler may emit calls to memcpy/memset/memmove/memcmp on its own
 * (structure copies), so these are real functions with the C names.
 */
#include <kern/types.h>
#include <kern/libkern.h>

/* The definitions themselves, not the builtins libkern.h maps them to. */
#undef memcpy
#undef memmove
#undef memset
#undef memcmp

/*
 * gcc recognises byte loops as memcpy/memset and would turn the bodies
 * below into calls to themselves; clang does not do this when
 * freestanding.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_LOOP_CALLS __attribute__((__optimize__("no-tree-loop-distribute-patterns")))
#else
#define NO_LOOP_CALLS
#endif

/*
 * x86-64: long copies and fills use the string instructions, which
 * current processors run a cache line at a time (ERMS): several times
 * faster than the word loops below for the block cache's 4 KiB buffers
 * and half-megabyte transfers.  Not in sanitized builds, whose checks
 * see only the loops' loads and stores.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define LIBKERN_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LIBKERN_SANITIZED 1
#endif
#if defined(__x86_64__) && !defined(LIBKERN_SANITIZED)
#define STRING_INSNS	1
#define STRING_MIN	256	/* bytes; below this the loops win */
#endif

/* Word access that may alias anything, for the aligned fast paths. */
typedef unsigned long __attribute__((__may_alias__)) word_t;
/* ... and at any address. */
typedef unsigned long __attribute__((__may_alias__, __aligned__(1))) uword_t;
#define WSIZE		sizeof(word_t)
#define WMASK		(WSIZE - 1)

NO_LOOP_CALLS void *
memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

#ifdef STRING_INSNS
	if (n >= STRING_MIN) {
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : :
		    "memory");
		return dst;
	}
#endif
	/* Packets are copied at every offset headers leave them at (an
	 * Ethernet header is 14 bytes): align the destination and read
	 * the source a word at a time wherever it lies.  The compiler
	 * makes uword_t loads single instructions where the target allows
	 * unaligned access, safe byte sequences where it does not. */
	if (n >= 4 * WSIZE) {
		for (; ((uintptr_t)d & WMASK) != 0; n--)
			*d++ = *s++;
		if (((uintptr_t)s & WMASK) == 0) {
			for (; n >= 4 * WSIZE; n -= 4 * WSIZE) {
				((word_t *)d)[0] = ((const word_t *)s)[0];
				((word_t *)d)[1] = ((const word_t *)s)[1];
				((word_t *)d)[2] = ((const word_t *)s)[2];
				((word_t *)d)[3] = ((const word_t *)s)[3];
				d += 4 * WSIZE;
				s += 4 * WSIZE;
			}
		} else {
			for (; n >= 4 * WSIZE; n -= 4 * WSIZE) {
				((word_t *)d)[0] = ((const uword_t *)s)[0];
				((word_t *)d)[1] = ((const uword_t *)s)[1];
				((word_t *)d)[2] = ((const uword_t *)s)[2];
				((word_t *)d)[3] = ((const uword_t *)s)[3];
				d += 4 * WSIZE;
				s += 4 * WSIZE;
			}
		}
		for (; n >= WSIZE; n -= WSIZE) {
			*(word_t *)d = *(const uword_t *)s;
			d += WSIZE;
			s += WSIZE;
		}
	} else if ((((uintptr_t)d | (uintptr_t)s) & WMASK) == 0) {
		for (; n >= WSIZE; n -= WSIZE) {
			*(word_t *)d = *(const word_t *)s;
			d += WSIZE;
			s += WSIZE;
		}
	}
	while (n-- > 0)
		*d++ = *s++;
	return dst;
}

NO_LOOP_CALLS void *
memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* A forward copy is safe unless dst starts inside src. */
	if ((uintptr_t)d - (uintptr_t)s >= n)
		return memcpy(dst, src, n);
	d += n;
	s += n;
	if ((((uintptr_t)d | (uintptr_t)s) & WMASK) == 0) {
		for (; n >= WSIZE; n -= WSIZE) {
			d -= WSIZE;
			s -= WSIZE;
			*(word_t *)d = *(const word_t *)s;
		}
	}
	while (n-- > 0)
		*--d = *--s;
	return dst;
}

NO_LOOP_CALLS void *
memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	word_t w;

#ifdef STRING_INSNS
	if (n >= STRING_MIN) {
		__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) :
		    "memory");
		return dst;
	}
#endif
	for (; n > 0 && ((uintptr_t)d & WMASK) != 0; n--)
		*d++ = (unsigned char)c;
	if (n >= WSIZE) {
		w = (unsigned char)c;
		w |= w << 8;
		w |= w << 16;
		w |= (w << 16) << 16;
		for (; n >= WSIZE; n -= WSIZE) {
			*(word_t *)d = w;
			d += WSIZE;
		}
	}
	while (n-- > 0)
		*d++ = (unsigned char)c;
	return dst;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n > 0; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t
strlen(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		continue;
	return (size_t)(p - s);
}

size_t
strnlen(const char *s, size_t max)
{
	size_t n;

	for (n = 0; n < max && s[n] != '\0'; n++)
		continue;
	return n;
}

int
strcmp(const char *a, const char *b)
{

	for (; *a == *b; a++, b++)
		if (*a == '\0')
			return 0;
	return (unsigned char)*a - (unsigned char)*b;
}

int
strncmp(const char *a, const char *b, size_t n)
{

	for (; n > 0; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (*a == '\0')
			break;
	}
	return 0;
}

char *
strchr(const char *s, int c)
{

	for (;; s++) {
		if (*s == (char)c)
			return (char *)(uintptr_t)s;
		if (*s == '\0')
			return NULL;
	}
}

char *
strrchr(const char *s, int c)
{
	const char *found = NULL;

	for (;; s++) {
		if (*s == (char)c)
			found = s;
		if (*s == '\0')
			return (char *)(uintptr_t)found;
	}
}

size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t len, n;

	len = strlen(src);
	if (size > 0) {
		n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
