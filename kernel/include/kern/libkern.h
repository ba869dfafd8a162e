/*
 * libkern.h: the kernel's own string, formatting and diagnostic functions.
 * The kernel never calls libc; these are implemented in kernel/kern.
 */
#ifndef KERN_LIBKERN_H
#define KERN_LIBKERN_H

#include <kern/types.h>

void	*memcpy(void *dst, const void *src, size_t n);
void	*memmove(void *dst, const void *src, size_t n);
void	*memset(void *dst, int c, size_t n);
int	 memcmp(const void *a, const void *b, size_t n);
size_t	 strlen(const char *s);
size_t	 strnlen(const char *s, size_t max);
int	 strcmp(const char *a, const char *b);
int	 strncmp(const char *a, const char *b, size_t n);
char	*strchr(const char *s, int c);
char	*strrchr(const char *s, int c);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t	 strlcpy(char *dst, const char *src, size_t size);

/*
 * -ffreestanding implies -fno-builtin: without these, a copy of a fixed
 * 2, 4 or 14 bytes (a header field, an address) would be a call.  The
 * builtins are inlined where the size is small and known, and call the
 * functions above otherwise.  libkern_string.c, which defines them,
 * undefines these first.
 */
#define memcpy(d, s, n)		__builtin_memcpy((d), (s), (n))
#define memmove(d, s, n)	__builtin_memmove((d), (s), (n))
#define memset(d, c, n)		__builtin_memset((d), (c), (n))
#define memcmp(a, b, n)		__builtin_memcmp((a), (b), (n))

/*
 * Formatting: %d %i %u %x %X %o %c %s %p %% with flags '-', '0', width,
 * precision (also '*') and the length modifiers hh h l ll z j t.
 * Returns the length the full output would have (like C99 snprintf).
 */
int	 vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int	 snprintf(char *buf, size_t size, const char *fmt, ...) __printflike(3, 4);

/* Kernel console output (through rumpuser_putchar). */
int	 printf(const char *fmt, ...) __printflike(1, 2);
int	 vprintf(const char *fmt, va_list ap);
/* Console output only when RUMP_VERBOSE is set. */
void	 aprint_verbose(const char *fmt, ...) __printflike(1, 2);

/* Prints "panic: <message>" and ends the host process (rumpuser_exit
 * with RUMPUSER_PANIC).  Never returns. */
void	 panic(const char *fmt, ...) __printflike(1, 2) __noreturn;

#define KASSERT(e) do {							\
	if (__predict_false(!(e)))					\
		panic("kernel assertion \"%s\" failed: %s:%d",		\
		    #e, __FILE__, __LINE__);				\
} while (0)
#define KASSERTMSG(e, ...) do {						\
	if (__predict_false(!(e)))					\
		panic(__VA_ARGS__);					\
} while (0)

/* Parses a decimal number with an optional k/m/g suffix (binary units);
 * returns 0 or EINVAL. */
int	 parse_size(const char *s, uint64_t *valp);

#endif /* KERN_LIBKERN_H */
