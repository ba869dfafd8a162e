/*
 * rumpuser_console.c: the kernel's console, and printf-style formatting
 * for it and for the platform's own messages (there is no libc to do it).
 */
#include <common/types.h>
#include <common/string.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"

void
rumpuser_putchar(int ch)
{
	char c = (char)ch;

	rumpuser__backend_console_write(RUMPUSER__CONSOLE_KERNEL, &c, 1);
}

void
rumpuser_dprintf(const char *fmt, ...)
{
	char buf[256], *big;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = rumpuser__vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < (int)sizeof(buf)) {
		rumpuser__backend_console_write(RUMPUSER__CONSOLE_DIAG, buf,
		    (size_t)len);
		return;
	}
	/* Rare, long messages: format again into a buffer that fits, or
	 * print what fitted. */
	big = rumpuser__backend_malloc((size_t)len + 1, 0);
	if (big == NULL) {
		rumpuser__backend_console_write(RUMPUSER__CONSOLE_DIAG, buf,
		    sizeof(buf) - 1);
		return;
	}
	va_start(ap, fmt);
	rumpuser__vformat(big, (size_t)len + 1, fmt, ap);
	va_end(ap);
	rumpuser__backend_console_write(RUMPUSER__CONSOLE_DIAG, big,
	    (size_t)len);
	rumpuser__backend_free(big, (size_t)len + 1);
}

void
rumpuser__fatal(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	rumpuser__vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rumpuser_dprintf("rumpuser %s: fatal: %s\n", rumpuser__backend_name,
	    buf);
	rumpuser__backend_abort();
}

/*
 * The formatter: C99 conversions d i u o x X c s p %, flags - 0 + space #,
 * field width and precision (also as *), length modifiers hh h l ll j z t.
 * No floating point: neither kernel nor platform prints any.
 */

struct out {
	char	*buf;
	size_t	 size;
	size_t	 len;		/* what would have been written */
};

static void
out_char(struct out *o, char c)
{

	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void
out_repeat(struct out *o, char c, int n)
{

	while (n-- > 0)
		out_char(o, c);
}

struct spec {
	bool	 left;		/* '-' */
	bool	 zero;		/* '0' */
	bool	 alt;		/* '#' */
	char	 sign;		/* '+', ' ' or 0 */
	int	 width;
	int	 prec;		/* -1: none */
};

/* Digits of v in base, lowest first; returns how many. */
static int
to_digits(char *d, uint64_t v, unsigned int base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		d[n++] = digits[v % base];
		v /= base;
	} while (v != 0);
	return n;
}

static void
out_number(struct out *o, const struct spec *sp, uint64_t v, bool negative,
    unsigned int base, bool upper, const char *prefix)
{
	char digits[24];
	int ndigits, nzeros, plen, total;
	char sign = negative ? '-' : sp->sign;

	ndigits = to_digits(digits, v, base, upper);
	/* An explicit precision of 0 prints no digits for 0. */
	if (sp->prec == 0 && v == 0)
		ndigits = 0;
	nzeros = sp->prec > ndigits ? sp->prec - ndigits : 0;
	plen = (int)str_len(prefix) + (sign != 0);
	total = plen + nzeros + ndigits;
	/* '0' pads between prefix and digits, unless a precision is given. */
	if (sp->zero && !sp->left && sp->prec < 0 && sp->width > total) {
		nzeros += sp->width - total;
		total = sp->width;
	}
	if (!sp->left)
		out_repeat(o, ' ', sp->width - total);
	if (sign != 0)
		out_char(o, sign);
	while (*prefix != '\0')
		out_char(o, *prefix++);
	out_repeat(o, '0', nzeros);
	while (ndigits > 0)
		out_char(o, digits[--ndigits]);
	if (sp->left)
		out_repeat(o, ' ', sp->width - total);
}

static void
out_string(struct out *o, const struct spec *sp, const char *s)
{
	int len = 0;

	if (s == NULL)
		s = "(null)";
	while (s[len] != '\0' && (sp->prec < 0 || len < sp->prec))
		len++;
	if (!sp->left)
		out_repeat(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		out_char(o, s[i]);
	if (sp->left)
		out_repeat(o, ' ', sp->width - len);
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE,
    LEN_INTMAX, LEN_PTRDIFF };

static int64_t
arg_signed(va_list *ap, enum length len)
{

	switch (len) {
	case LEN_CHAR:	return (signed char)va_arg(*ap, int);
	case LEN_SHORT:	return (short)va_arg(*ap, int);
	case LEN_LONG:	return va_arg(*ap, long);
	case LEN_LLONG:	return va_arg(*ap, long long);
	case LEN_SIZE:	return (int64_t)va_arg(*ap, size_t);
	case LEN_INTMAX: return va_arg(*ap, int64_t);
	case LEN_PTRDIFF: return va_arg(*ap, __PTRDIFF_TYPE__);
	default:	return va_arg(*ap, int);
	}
}

static uint64_t
arg_unsigned(va_list *ap, enum length len)
{

	switch (len) {
	case LEN_CHAR:	return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_SHORT:	return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_LONG:	return va_arg(*ap, unsigned long);
	case LEN_LLONG:	return va_arg(*ap, unsigned long long);
	case LEN_SIZE:	return va_arg(*ap, size_t);
	case LEN_INTMAX: return va_arg(*ap, uint64_t);
	case LEN_PTRDIFF: return (uint64_t)va_arg(*ap, __PTRDIFF_TYPE__);
	default:	return va_arg(*ap, unsigned int);
	}
}

static int
parse_int(const char **fmtp)
{
	const char *f = *fmtp;
	int n = 0;

	while (*f >= '0' && *f <= '9') {
		if (n < 100000)
			n = n * 10 + (*f - '0');
		f++;
	}
	*fmtp = f;
	return n;
}

int
rumpuser__vformat(char *buf, size_t size, const char *fmt, va_list ap0)
{
	struct out o = { buf, size, 0 };
	struct spec sp;
	enum length len;
	const char *start;
	int64_t sv;
	uint64_t uv;
	va_list ap;

	va_copy(ap, ap0);
	while (*fmt != '\0') {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		start = fmt++;
		memset(&sp, 0, sizeof(sp));
		sp.prec = -1;
		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = true;
			else if (*fmt == '0')
				sp.zero = true;
			else if (*fmt == '#')
				sp.alt = true;
			else if (*fmt == '+')
				sp.sign = '+';
			else if (*fmt == ' ' && sp.sign == 0)
				sp.sign = ' ';
			else
				break;
		}
		if (*fmt == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.left = true;
				sp.width = -sp.width;
			}
			fmt++;
		} else {
			sp.width = parse_int(&fmt);
		}
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				sp.prec = va_arg(ap, int);
				if (sp.prec < 0)
					sp.prec = -1;
				fmt++;
			} else {
				sp.prec = parse_int(&fmt);
			}
		}
		len = LEN_INT;
		switch (*fmt) {
		case 'h':
			len = fmt[1] == 'h' ? LEN_CHAR : LEN_SHORT;
			fmt += len == LEN_CHAR ? 2 : 1;
			break;
		case 'l':
			len = fmt[1] == 'l' ? LEN_LLONG : LEN_LONG;
			fmt += len == LEN_LLONG ? 2 : 1;
			break;
		case 'j':
			len = LEN_INTMAX;
			fmt++;
			break;
		case 'z':
			len = LEN_SIZE;
			fmt++;
			break;
		case 't':
			len = LEN_PTRDIFF;
			fmt++;
			break;
		default:
			break;
		}

		switch (*fmt) {
		case 'd':
		case 'i':
			sv = arg_signed(&ap, len);
			uv = sv < 0 ? (uint64_t)0 - (uint64_t)sv : (uint64_t)sv;
			out_number(&o, &sp, uv, sv < 0, 10, false, "");
			break;
		case 'u':
			sp.sign = 0;
			out_number(&o, &sp, arg_unsigned(&ap, len), false, 10,
			    false, "");
			break;
		case 'o':
			sp.sign = 0;
			uv = arg_unsigned(&ap, len);
			out_number(&o, &sp, uv, false, 8, false,
			    sp.alt && uv != 0 ? "0" : "");
			break;
		case 'x':
		case 'X':
			sp.sign = 0;
			uv = arg_unsigned(&ap, len);
			out_number(&o, &sp, uv, false, 16, *fmt == 'X',
			    sp.alt && uv != 0 ? (*fmt == 'X' ? "0X" : "0x") : "");
			break;
		case 'p':
			sp.sign = 0;
			out_number(&o, &sp, (uintptr_t)va_arg(ap, void *), false,
			    16, false, "0x");
			break;
		case 'c':
			sp.prec = -1;
			out_repeat(&o, ' ', sp.left ? 0 : sp.width - 1);
			out_char(&o, (char)va_arg(ap, int));
			out_repeat(&o, ' ', sp.left ? sp.width - 1 : 0);
			break;
		case 's':
			out_string(&o, &sp, va_arg(ap, const char *));
			break;
		case '%':
			out_char(&o, '%');
			break;
		default:
			/* Unknown (or floating point): shown as written.
			 * Its argument cannot be skipped, so stop here. */
			while (*start != '\0')
				out_char(&o, *start++);
			goto done;
		}
		if (*fmt != '\0')
			fmt++;
	}
 done:
	va_end(ap);
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

int
rumpuser__format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = rumpuser__vformat(buf, size, fmt, ap);
	va_end(ap);
	return len;
}
