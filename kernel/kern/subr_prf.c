/*
 * subr_prf.c: formatted output (snprintf, console printf) and panic.
 */
#include <kern/types.h>
#include <kern/libkern.h>
#include <kern/param.h>
#include <kern/hyp.h>

#include "kern_private.h"

/* Where formatted characters go: a buffer, or the console. */
struct sink {
	void	(*put)(struct sink *, char);
	char	*buf;
	size_t	 size;		/* buffer capacity, including the NUL */
	size_t	 len;		/* characters produced so far */
};

static void
put_buf(struct sink *sk, char c)
{

	if (sk->len + 1 < sk->size)
		sk->buf[sk->len] = c;
	sk->len++;
}

#define F_MINUS		0x01	/* left-justify */
#define F_ZERO		0x02	/* pad with zeros */
#define F_PLUS		0x04	/* always a sign */
#define F_SPACE		0x08	/* space for a positive sign */
#define F_ALT		0x10	/* '#': 0x / leading 0 */

static void
emit_pad(struct sink *sk, char c, int n)
{

	while (n-- > 0)
		sk->put(sk, c);
}

static void
emit_str(struct sink *sk, const char *s, int width, int prec, int flags)
{
	int len;

	if (s == NULL)
		s = "(null)";
	len = (int)(prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s));
	if (!(flags & F_MINUS))
		emit_pad(sk, ' ', width - len);
	for (int i = 0; i < len; i++)
		sk->put(sk, s[i]);
	if (flags & F_MINUS)
		emit_pad(sk, ' ', width - len);
}

static void
emit_num(struct sink *sk, uint64_t v, bool neg, unsigned base, bool upper,
    int width, int prec, int flags)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	const char *prefix = "";
	int ndig = 0, nzero, plen, total;

	while (v != 0) {
		tmp[ndig++] = digits[v % base];
		v /= base;
	}
	/* C: precision 0 with value 0 prints no digits. */
	if (ndig == 0 && prec != 0)
		tmp[ndig++] = '0';
	nzero = prec > ndig ? prec - ndig : 0;

	if (neg)
		prefix = "-";
	else if (flags & F_PLUS)
		prefix = "+";
	else if (flags & F_SPACE)
		prefix = " ";
	else if ((flags & F_ALT) && base == 16 && ndig > 0 &&
	    !(ndig == 1 && tmp[0] == '0'))
		prefix = upper ? "0X" : "0x";
	else if ((flags & F_ALT) && base == 8 && nzero == 0 &&
	    (ndig == 0 || tmp[ndig - 1] != '0'))
		prefix = "0";
	plen = (int)strlen(prefix);

	/* The '0' flag is ignored with a precision or '-'. */
	if ((flags & F_ZERO) && !(flags & F_MINUS) && prec < 0 &&
	    width > plen + ndig)
		nzero = width - plen - ndig;
	total = plen + nzero + ndig;

	if (!(flags & F_MINUS))
		emit_pad(sk, ' ', width - total);
	for (const char *p = prefix; *p != '\0'; p++)
		sk->put(sk, *p);
	emit_pad(sk, '0', nzero);
	while (ndig > 0)
		sk->put(sk, tmp[--ndig]);
	if (flags & F_MINUS)
		emit_pad(sk, ' ', width - total);
}

enum lenmod { LM_NONE, LM_HH, LM_H, LM_L, LM_LL, LM_Z, LM_J, LM_T };

static void
format(struct sink *sk, const char *fmt, va_list ap)
{
	int flags, width, prec;
	enum lenmod lm;
	uint64_t u;
	int64_t s;
	char c;

	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%') {
			sk->put(sk, *fmt);
			continue;
		}
		fmt++;

		for (flags = 0;; fmt++) {
			if (*fmt == '-')
				flags |= F_MINUS;
			else if (*fmt == '0')
				flags |= F_ZERO;
			else if (*fmt == '+')
				flags |= F_PLUS;
			else if (*fmt == ' ')
				flags |= F_SPACE;
			else if (*fmt == '#')
				flags |= F_ALT;
			else
				break;
		}

		width = 0;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_MINUS;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}

		prec = -1;
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				if (prec < 0)
					prec = -1;
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}

		lm = LM_NONE;
		switch (*fmt) {
		case 'h':
			lm = LM_H;
			if (fmt[1] == 'h') {
				lm = LM_HH;
				fmt++;
			}
			fmt++;
			break;
		case 'l':
			lm = LM_L;
			if (fmt[1] == 'l') {
				lm = LM_LL;
				fmt++;
			}
			fmt++;
			break;
		case 'z': lm = LM_Z; fmt++; break;
		case 'j': lm = LM_J; fmt++; break;
		case 't': lm = LM_T; fmt++; break;
		default: break;
		}

		switch (c = *fmt) {
		case 'd':
		case 'i':
			switch (lm) {
			case LM_HH: s = (signed char)va_arg(ap, int); break;
			case LM_H: s = (short)va_arg(ap, int); break;
			case LM_L: s = va_arg(ap, long); break;
			case LM_LL: s = va_arg(ap, long long); break;
			case LM_Z: s = va_arg(ap, ssize_t); break;
			case LM_J: s = va_arg(ap, int64_t); break;
			case LM_T: s = va_arg(ap, ptrdiff_t); break;
			default: s = va_arg(ap, int); break;
			}
			/* Negate in unsigned arithmetic: INT64_MIN has no
			 * positive counterpart. */
			u = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
			emit_num(sk, u, s < 0, 10, false, width, prec, flags);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			switch (lm) {
			case LM_HH: u = (unsigned char)va_arg(ap, unsigned); break;
			case LM_H: u = (unsigned short)va_arg(ap, unsigned); break;
			case LM_L: u = va_arg(ap, unsigned long); break;
			case LM_LL: u = va_arg(ap, unsigned long long); break;
			case LM_Z: u = va_arg(ap, size_t); break;
			case LM_J: u = va_arg(ap, uint64_t); break;
			case LM_T: u = (uint64_t)va_arg(ap, ptrdiff_t); break;
			default: u = va_arg(ap, unsigned); break;
			}
			emit_num(sk, u, false,
			    c == 'u' ? 10 : c == 'o' ? 8 : 16, c == 'X',
			    width, prec, flags & ~(F_PLUS | F_SPACE));
			break;
		case 'p':
			u = (uintptr_t)va_arg(ap, void *);
			emit_num(sk, u, false, 16, false, width, prec,
			    (flags & F_MINUS) | F_ALT);
			break;
		case 'c':
			if (!(flags & F_MINUS))
				emit_pad(sk, ' ', width - 1);
			sk->put(sk, (char)va_arg(ap, int));
			if (flags & F_MINUS)
				emit_pad(sk, ' ', width - 1);
			break;
		case 's':
			emit_str(sk, va_arg(ap, const char *), width, prec,
			    flags);
			break;
		case '%':
			sk->put(sk, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it, stop. */
			sk->put(sk, '%');
			return;
		default:
			/* Unknown conversion: show it rather than guess
			 * at its argument. */
			sk->put(sk, '%');
			sk->put(sk, c);
			break;
		}
	}
}

int
vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink sk = { .put = put_buf, .buf = buf, .size = size };

	format(&sk, fmt, ap);
	if (size > 0)
		buf[sk.len < size ? sk.len : size - 1] = '\0';
	return sk.len > INT_MAX ? INT_MAX : (int)sk.len;
}

int
snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* Console sink: a line buffer flushed at each newline, when full, and at
 * the end of the call, so that lines of concurrent printers rarely mix. */
struct console {
	struct sink sk;
	size_t	 fill;
	char	 line[160];
};

static void
console_flush(struct console *cons)
{

	msgbuf_put(cons->line, cons->fill);
	for (size_t i = 0; i < cons->fill; i++)
		rumpuser_putchar(cons->line[i]);
	cons->fill = 0;
}

static void
put_cons(struct sink *sk, char c)
{
	struct console *cons = container_of(sk, struct console, sk);

	cons->line[cons->fill++] = c;
	sk->len++;
	if (c == '\n' || cons->fill == sizeof(cons->line))
		console_flush(cons);
}

int
vprintf(const char *fmt, va_list ap)
{
	struct console cons = { .sk = { .put = put_cons } };

	format(&cons.sk, fmt, ap);
	console_flush(&cons);
	return cons.sk.len > INT_MAX ? INT_MAX : (int)cons.sk.len;
}

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

void
aprint_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!kernel_params.kp_verbose)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	printf("panic: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	rumpuser_exit(RUMPUSER_PANIC);
}
