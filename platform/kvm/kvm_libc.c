/*
 * kvm_libc.c: the small C library a program baked into a kvm image gets
 * (there is no host libc in the machine): string and memory functions,
 * printf and friends writing to the console, malloc over the platform's
 * allocator, getenv over the command line's environment, exit.  Programs
 * are compiled against the host's C headers (for types and constants,
 * which are the Linux ABI the kernel speaks) and may call only these.
 * Names are the standard ones, so that programs and the compiler's own
 * calls (memcpy, memset...) link.
 */
#include "kvm.h"
#include "rumpuser_common.h"

int errno;

void *
memcpy(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;

	__asm__ volatile("rep movsb" : "+D"(dp), "+S"(sp), "+c"(n) : :
	    "memory");
	return d;
}

void *
memmove(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;

	if (dp <= sp || dp >= sp + n)
		return memcpy(d, s, n);
	while (n-- > 0)
		dp[n] = sp[n];
	return d;
}

void *
memset(void *d, int c, size_t n)
{
	char *dp = d;

	__asm__ volatile("rep stosb" : "+D"(dp), "+c"(n) : "a"(c) :
	    "memory");
	return d;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}

size_t strlen(const char *);
size_t
strlen(const char *s)
{

	return str_len(s);
}

int strcmp(const char *, const char *);
int
strcmp(const char *a, const char *b)
{

	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *, const char *, size_t);
int
strncmp(const char *a, const char *b, size_t n)
{

	for (; n > 0; n--, a++, b++)
		if (*a != *b || *a == '\0')
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

char *strcpy(char *, const char *);
char *
strcpy(char *d, const char *s)
{

	memcpy(d, s, str_len(s) + 1);
	return d;
}

char *strchr(const char *, int);
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

int vsnprintf(char *, size_t, const char *, va_list);
int
vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{

	return rumpuser__vformat(buf, size, fmt, ap);
}

int snprintf(char *, size_t, const char *, ...);
int
snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = rumpuser__vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vprintf(const char *, va_list);
int
vprintf(const char *fmt, va_list ap)
{
	char small[256], *big;
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = rumpuser__vformat(small, sizeof(small), fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return n;
	}
	if ((size_t)n < sizeof(small))
		kvm_console_write(small, (size_t)n);
	else if ((big = rumpuser__backend_malloc((size_t)n + 1, 0)) != NULL) {
		rumpuser__vformat(big, (size_t)n + 1, fmt, ap2);
		kvm_console_write(big, (size_t)n);
		rumpuser__backend_free(big, (size_t)n + 1);
	} else
		kvm_console_write(small, sizeof(small) - 1);
	va_end(ap2);
	return n;
}

int printf(const char *, ...);
int
printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int puts(const char *);
int
puts(const char *s)
{

	kvm_console_write(s, str_len(s));
	kvm_console_putc('\n');
	return 0;
}

int putchar(int);
int
putchar(int c)
{

	kvm_console_putc((char)c);
	return (unsigned char)c;
}

/* malloc keeps the size in a 16-byte header: free() is not told it. */
void *malloc(size_t);
void *
malloc(size_t n)
{
	uint64_t *p;

	if (n > SIZE_MAX - 16 ||
	    (p = rumpuser__backend_malloc(n + 16, 16)) == NULL) {
		errno = 12;	/* ENOMEM */
		return NULL;
	}
	p[0] = n;
	return p + 2;
}

void free(void *);
void
free(void *v)
{
	uint64_t *p = v;

	if (p != NULL)
		rumpuser__backend_free(p - 2, (size_t)p[-2] + 16);
}

void *calloc(size_t, size_t);
void *
calloc(size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	if ((p = malloc(n * size)) != NULL)
		memset(p, 0, n * size);
	return p;
}

void *realloc(void *, size_t);
void *
realloc(void *v, size_t n)
{
	uint64_t *old = v;
	void *p;

	if (v == NULL)
		return malloc(n);
	if ((p = malloc(n)) == NULL)
		return NULL;
	memcpy(p, v, old[-2] < n ? old[-2] : n);
	free(v);
	return p;
}

char *getenv(const char *);
char *
getenv(const char *name)
{
	size_t n = str_len(name);
	char **e;

	for (e = kvm_environ; e != NULL && *e != NULL; e++)
		if (memcmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

void exit(int) __attribute__((__noreturn__));
void
exit(int status)
{

	kvm_poweroff(status, false);
}

void _exit(int) __attribute__((__noreturn__));
void
_exit(int status)
{

	kvm_poweroff(status, false);
}

void abort(void) __attribute__((__noreturn__));
void
abort(void)
{

	rumpuser__backend_abort();
}

void __stack_chk_fail(void) __attribute__((__noreturn__));
void
__stack_chk_fail(void)
{

	kvm_printf("kvm: stack smashing detected\n");
	kvm_poweroff(134, true);
}

void __assert_fail(const char *, const char *, unsigned int, const char *)
    __attribute__((__noreturn__));
void
__assert_fail(const char *expr, const char *file, unsigned int line,
    const char *func)
{

	kvm_printf("%s:%u: %s: assertion \"%s\" failed\n", file, line, func,
	    expr);
	kvm_poweroff(134, true);
}

unsigned long strtoul(const char *, char **, int);
unsigned long
strtoul(const char *s, char **end, int base)
{
	unsigned long v = 0;
	bool neg = false;
	int d;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if ((base == 0 || base == 16) && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
	} else if (base == 0)
		base = s[0] == '0' ? 8 : 10;
	for (;; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'z')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'Z')
			d = *s - 'A' + 10;
		else
			break;
		if (d >= base)
			break;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	if (end != NULL)
		*end = (char *)(uintptr_t)s;
	return neg ? -v : v;
}

long strtol(const char *, char **, int);
long
strtol(const char *s, char **end, int base)
{

	return (long)strtoul(s, end, base);
}

int atoi(const char *);
int
atoi(const char *s)
{

	return (int)strtol(s, NULL, 10);
}

/*
 * stdio streams: stdout and stderr both write to the console (there is
 * no buffering to flush); a FILE is only a name here.
 */
struct kvm_file {
	int	fd;
};
static struct kvm_file kvm_stdout = { 1 }, kvm_stderr = { 2 };
void *stdout = &kvm_stdout, *stderr = &kvm_stderr;

int vfprintf(void *, const char *, va_list);
int
vfprintf(void *f, const char *fmt, va_list ap)
{

	(void)f;
	return vprintf(fmt, ap);
}

int fprintf(void *, const char *, ...);
int
fprintf(void *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)f;
	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int fputs(const char *, void *);
int
fputs(const char *s, void *f)
{

	(void)f;
	kvm_console_write(s, str_len(s));
	return 0;
}

int fputc(int, void *);
int
fputc(int c, void *f)
{

	(void)f;
	kvm_console_putc((char)c);
	return (unsigned char)c;
}

int fflush(void *);
int
fflush(void *f)
{

	(void)f;
	return 0;
}

char *strerror(int);
char *
strerror(int error)
{
	static char buf[32];

	rumpuser__format(buf, sizeof(buf), "error %d", error);
	return buf;
}

long sysconf(int);
long
sysconf(int name)
{

	switch (name) {
	case 30:	/* _SC_PAGESIZE */
		return KVM_PAGE_SIZE;
	case 84:	/* _SC_NPROCESSORS_ONLN */
		return 1;
	default:
		errno = 22;	/* EINVAL */
		return -1;
	}
}

/* The machine is one process. */
int getpid(void);
int
getpid(void)
{

	return 1;
}

/*
 * setenv and unsetenv: the environment moves to memory of its own on the
 * first change; the platform's parameters are read from it too.
 */
static size_t env_max;

static bool
env_own(size_t need)
{
	char **n;
	size_t count = 0, max;

	while (kvm_environ != NULL && kvm_environ[count] != NULL)
		count++;
	if (env_max != 0 && need <= env_max)
		return true;
	max = need > 2 * count + 8 ? need : 2 * count + 8;
	if ((n = rumpuser__backend_malloc(max * sizeof(*n), 0)) == NULL)
		return false;
	if (count > 0)
		memcpy(n, kvm_environ, count * sizeof(*n));
	n[count] = NULL;
	if (env_max != 0)
		rumpuser__backend_free(kvm_environ, env_max * sizeof(*n));
	kvm_environ = n;
	env_max = max;
	return true;
}

int unsetenv(const char *);
int
unsetenv(const char *name)
{
	size_t n = str_len(name), i, j;

	if (n == 0 || strchr(name, '=') != NULL) {
		errno = 22;
		return -1;
	}
	for (i = 0; kvm_environ != NULL && kvm_environ[i] != NULL;) {
		if (memcmp(kvm_environ[i], name, n) == 0 &&
		    kvm_environ[i][n] == '=') {
			for (j = i; kvm_environ[j] != NULL; j++)
				kvm_environ[j] = kvm_environ[j + 1];
		} else
			i++;
	}
	return 0;
}

int setenv(const char *, const char *, int);
int
setenv(const char *name, const char *value, int overwrite)
{
	size_t n = str_len(name), v = str_len(value), i;
	char *e;

	if (n == 0 || strchr(name, '=') != NULL) {
		errno = 22;
		return -1;
	}
	if (getenv(name) != NULL) {
		if (!overwrite)
			return 0;
		unsetenv(name);
	}
	for (i = 0; kvm_environ != NULL && kvm_environ[i] != NULL; i++)
		;
	if (!env_own(i + 2) || (e = malloc(n + v + 2)) == NULL) {
		errno = 12;
		return -1;
	}
	memcpy(e, name, n);
	e[n] = '=';
	memcpy(e + n + 1, value, v + 1);
	kvm_environ[i] = e;
	kvm_environ[i + 1] = NULL;
	return 0;
}

size_t fwrite(const void *, size_t, size_t, void *);
size_t
fwrite(const void *p, size_t size, size_t n, void *f)
{

	(void)f;
	if (size != 0 && n > SIZE_MAX / size)
		return 0;
	kvm_console_write(p, size * n);
	return n;
}

/* errno as the host's <errno.h> spells it (glibc: a function returning
 * the thread's variable; one variable here). */
int *__errno_location(void);
int *
__errno_location(void)
{

	return &errno;
}

/* --- More of string.h, strings.h, stdlib.h ---------------------------------- */

void *memchr(const void *, int, size_t);
void *
memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n > 0; n--, p++)
		if (*p == (unsigned char)c)
			return (void *)(uintptr_t)p;
	return NULL;
}

char *strrchr(const char *, int);
char *
strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (*s == '\0')
			return (char *)(uintptr_t)last;
	}
}

static int
lower(int c)
{

	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int tolower(int);
int
tolower(int c)
{

	return lower(c);
}

int toupper(int);
int
toupper(int c)
{

	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

int strncasecmp(const char *, const char *, size_t);
int
strncasecmp(const char *a, const char *b, size_t n)
{
	int d;

	for (; n > 0; n--, a++, b++) {
		d = lower((unsigned char)*a) - lower((unsigned char)*b);
		if (d != 0 || *a == '\0')
			return d;
	}
	return 0;
}

int strcasecmp(const char *, const char *);
int
strcasecmp(const char *a, const char *b)
{

	return strncasecmp(a, b, SIZE_MAX);
}

char *strstr(const char *, const char *);
char *
strstr(const char *h, const char *n)
{
	size_t len = str_len(n);

	for (; *h != '\0' || len == 0; h++)
		if (strncmp(h, n, len) == 0)
			return (char *)(uintptr_t)h;
	return NULL;
}

char *strcasestr(const char *, const char *);
char *
strcasestr(const char *h, const char *n)
{
	size_t len = str_len(n);

	for (; *h != '\0' || len == 0; h++)
		if (strncasecmp(h, n, len) == 0)
			return (char *)(uintptr_t)h;
	return NULL;
}

char *strpbrk(const char *, const char *);
char *
strpbrk(const char *s, const char *accept)
{

	for (; *s != '\0'; s++)
		if (strchr(accept, *s) != NULL)
			return (char *)(uintptr_t)s;
	return NULL;
}

char *strtok_r(char *, const char *, char **);
char *
strtok_r(char *s, const char *delim, char **save)
{
	char *tok;

	if (s == NULL)
		s = *save;
	while (*s != '\0' && strchr(delim, *s) != NULL)
		s++;
	if (*s == '\0') {
		*save = s;
		return NULL;
	}
	tok = s;
	while (*s != '\0' && strchr(delim, *s) == NULL)
		s++;
	if (*s != '\0')
		*s++ = '\0';
	*save = s;
	return tok;
}

unsigned long long strtoull(const char *, char **, int);
unsigned long long
strtoull(const char *s, char **end, int base)
{

	return strtoul(s, end, base);
}

/*
 * <ctype.h>: glibc's macros index the table __ctype_b_loc() points to
 * with any value from -128 to 255; its class bits are those of glibc's
 * _ISbit() on a little-endian machine.  The "C" locale: ASCII only.
 */
enum {
	CT_UPPER = 1 << 8, CT_LOWER = 1 << 9, CT_ALPHA = 1 << 10,
	CT_DIGIT = 1 << 11, CT_XDIGIT = 1 << 12, CT_SPACE = 1 << 13,
	CT_PRINT = 1 << 14, CT_GRAPH = 1 << 15, CT_BLANK = 1 << 0,
	CT_CNTRL = 1 << 1, CT_PUNCT = 1 << 2, CT_ALNUM = 1 << 3,
};
static unsigned short ctype_table[384];
static const unsigned short *ctype_ptr;

const unsigned short **__ctype_b_loc(void);
const unsigned short **
__ctype_b_loc(void)
{
	unsigned short *t = ctype_table + 128, m;
	int c;

	if (ctype_ptr == NULL) {
		for (c = 0; c < 128; c++) {
			m = 0;
			if (c >= 'A' && c <= 'Z')
				m |= CT_UPPER | CT_ALPHA | CT_ALNUM;
			if (c >= 'a' && c <= 'z')
				m |= CT_LOWER | CT_ALPHA | CT_ALNUM;
			if (c >= '0' && c <= '9')
				m |= CT_DIGIT | CT_XDIGIT | CT_ALNUM;
			if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
				m |= CT_XDIGIT;
			if (c == ' ' || (c >= '\t' && c <= '\r'))
				m |= CT_SPACE;
			if (c == ' ' || c == '\t')
				m |= CT_BLANK;
			if (c < 32 || c == 127)
				m |= CT_CNTRL;
			if (c >= 32 && c < 127)
				m |= CT_PRINT;
			if (c > 32 && c < 127)
				m |= CT_GRAPH;
			if (c > 32 && c < 127 && !(m & CT_ALNUM))
				m |= CT_PUNCT;
			t[c] = m;
		}
		ctype_ptr = t;
	}
	return &ctype_ptr;
}

/* --- <arpa/inet.h> ------------------------------------------------------------ */

/* inet_pton for AF_INET (dotted quad, as glibc: four decimal parts);
 * other families are not supported here. */
int inet_pton(int, const char *, void *);
int
inet_pton(int af, const char *src, void *dst)
{
	unsigned char a[4];
	unsigned v;
	int i, digits;

	if (af != 2 /* AF_INET */) {
		errno = 97;	/* EAFNOSUPPORT */
		return -1;
	}
	for (i = 0; i < 4; i++) {
		v = 0;
		for (digits = 0; *src >= '0' && *src <= '9'; digits++, src++) {
			if (digits > 0 && v == 0)
				return 0;	/* leading zero */
			v = v * 10 + (unsigned)(*src - '0');
			if (v > 255)
				return 0;
		}
		if (digits == 0 || (i < 3 && *src++ != '.'))
			return 0;
		a[i] = (unsigned char)v;
	}
	if (*src != '\0')
		return 0;
	memcpy(dst, a, 4);
	return 1;
}

/* --- Time and files: the machine's clock and the kernel's files ---------------- */

int clock_gettime(int, void *);
int
clock_gettime(int clk, void *tsp)
{
	struct { int64_t sec; long nsec; } *ts = tsp;
	int error;

	/* CLOCK_REALTIME 0; MONOTONIC 1, and its RAW (4) and COARSE (6)
	 * and BOOTTIME (7) variants, all the platform's monotonic clock. */
	if (clk != 0 && clk != 1 && clk != 4 && clk != 6 && clk != 7) {
		errno = 22;
		return -1;
	}
	error = rumpuser_clock_gettime(clk == 0 ? RUMPUSER_CLOCK_RELWALL :
	    RUMPUSER_CLOCK_ABSMONO, &ts->sec, &ts->nsec);
	if (error != 0) {
		errno = error;
		return -1;
	}
	return 0;
}

/*
 * There is no host in the machine: a program's files are the kernel's.
 * open, read, close... are the kernel's system calls (the Linux ABI the
 * host's headers describe), as rump_sys_open() and friends are.
 */
int rump_syscall(int, void *, long *);

static long
ksys(int nr, long a0, long a1, long a2, long a3)
{
	long args[6] = { a0, a1, a2, a3, 0, 0 }, rv[2] = { 0, 0 };
	int error;

	if ((error = rump_syscall(nr, args, rv)) != 0) {
		errno = error;
		return -1;
	}
	return rv[0];
}

int openat(int, const char *, int, ...);
int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return (int)ksys(257 /* openat */, dirfd, (long)path, flags, mode);
}

int open(const char *, int, ...);
int
open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return (int)ksys(257 /* openat */, -100 /* AT_FDCWD */, (long)path,
	    flags, mode);
}

long read(int, void *, size_t);
long
read(int fd, void *buf, size_t len)
{

	return ksys(0 /* read */, fd, (long)buf, (long)len, 0);
}

int close(int);
int
close(int fd)
{

	return (int)ksys(3 /* close */, fd, 0, 0, 0);
}

int dup(int);
int
dup(int fd)
{

	return (int)ksys(32 /* dup */, fd, 0, 0, 0);
}

int fstat(int, void *);
int
fstat(int fd, void *st)
{

	return (int)ksys(5 /* fstat */, fd, (long)st, 0, 0);
}
