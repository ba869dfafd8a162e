/*
 * common/string.h: the string functions platform/common uses.
 *
 * memcpy, memmove, memset and memcmp are the backend's (backend.h says so):
 * the compiler emits calls to them on its own, so they must have their
 * standard names, and a hosted backend must not get a second copy of
 * libc's.  The few string functions beyond them are small enough to be
 * inline here, under names of their own.
 */
#ifndef COMMON_STRING_H
#define COMMON_STRING_H

#include <common/types.h>

void *memcpy(void *, const void *, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
int memcmp(const void *, const void *, size_t);

static inline size_t
str_len(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

static inline bool
str_eq(const char *a, const char *b)
{

	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Copies at most size - 1 characters and always terminates (size > 0). */
static inline void
str_copy(char *dst, const char *src, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

#endif /* COMMON_STRING_H */
