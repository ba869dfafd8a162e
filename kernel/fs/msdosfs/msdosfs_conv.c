/*
 * msdosfs_conv.c: FAT names and times.
 *
 * Names: VFAT long names are UCS-2 (UTF-16 here, surrogate pairs kept),
 * the VFS speaks UTF-8.  Short (8.3) names are upper case bytes of an OEM
 * code page (850, see below).  Names are compared case-insensitively for
 * ASCII and Latin-1 letters, as Windows and Linux do.
 *
 * Times: FAT stores local time; like Linux with its default tz, strata
 * takes it as UTC.  Dates run from 1980 to 2107; times outside are
 * clamped.  Modification times have 2-second resolution, creation times
 * 10 ms, access times a date only.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>

#include "msdosfs.h"

uint8_t
msdosfs_lfn_chksum(const uint8_t *name11)
{
	uint8_t sum = 0;
	int i;

	for (i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name11[i]);
	return sum;
}

static char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static char
ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/*
 * Short names hold bytes of an OEM code page.  Which one an image used is
 * not recorded; strata reads them as code page 850 (what mtools and
 * Western European DOS and Windows use; its letters from 0x80 to 0x9a
 * are those of code page 437, Linux's default).  Names strata creates
 * never need it: a name with other characters gets a long name and an
 * ASCII short name.
 */
static const uint16_t cp850[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00f8, 0x00a3, 0x00d8, 0x00d7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x00ae, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x00c1, 0x00c2, 0x00c0,
	0x00a9, 0x2563, 0x2551, 0x2557, 0x255d, 0x00a2, 0x00a5, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x00e3, 0x00c3,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x00a4,
	0x00f0, 0x00d0, 0x00ca, 0x00cb, 0x00c8, 0x0131, 0x00cd, 0x00ce,
	0x00cf, 0x2518, 0x250c, 0x2588, 0x2584, 0x00a6, 0x00cc, 0x2580,
	0x00d3, 0x00df, 0x00d4, 0x00d2, 0x00f5, 0x00d5, 0x00b5, 0x00fe,
	0x00de, 0x00da, 0x00db, 0x00d9, 0x00fd, 0x00dd, 0x00af, 0x00b4,
	0x00ad, 0x00b1, 0x2017, 0x00be, 0x00b6, 0x00a7, 0x00f7, 0x00b8,
	0x00b0, 0x00a8, 0x00b7, 0x00b9, 0x00b3, 0x00b2, 0x25a0, 0x00a0,
};

/* One short-name byte to UTF-8 (at most 3 bytes). */
static size_t
short_byte(uint8_t c, bool lower, char *out)
{
	uint32_t u;

	if (c < 0x20 || c == '/' || c == 0x7f) {
		out[0] = '_';		/* never hand out a bad name */
		return 1;
	}
	if (c < 0x80) {
		out[0] = lower ? ascii_lower((char)c) : (char)c;
		return 1;
	}
	u = cp850[c - 0x80];
	/* The NT lower-case flags apply to Latin-1 capitals too. */
	if (lower && u >= 0xc0 && u <= 0xde && u != 0xd7)
		u += 0x20;
	if (u < 0x800) {
		out[0] = (char)(0xc0 | (u >> 6));
		out[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | (u >> 12));
	out[1] = (char)(0x80 | ((u >> 6) & 0x3f));
	out[2] = (char)(0x80 | (u & 0x3f));
	return 3;
}

size_t
msdosfs_short2name(const uint8_t *ent, char *buf)
{
	uint8_t ntres = ent[DE_NTRES];
	size_t n = 0;
	int i, blen = 8, elen = 3;

	while (blen > 0 && ent[blen - 1] == ' ')
		blen--;
	while (elen > 0 && ent[8 + elen - 1] == ' ')
		elen--;
	for (i = 0; i < blen; i++) {
		uint8_t c = ent[i];

		if (i == 0 && c == SLOT_E5)
			c = 0xe5;
		n += short_byte(c, (ntres & NTRES_LCASE_BASE) != 0, buf + n);
	}
	if (elen > 0) {
		buf[n++] = '.';
		for (i = 0; i < elen; i++)
			n += short_byte(ent[8 + i],
			    (ntres & NTRES_LCASE_EXT) != 0, buf + n);
	}
	buf[n] = '\0';
	return n;
}

/* Decodes one UTF-8 character; 0 on malformed input. */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c;
	size_t n, i;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past Unicode. */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Characters no FAT name may hold (Linux vfat refuses the same). */
static bool
lfn_badchar(uint32_t c)
{
	return c < 0x20 || c == '"' || c == '*' || c == '/' || c == ':' ||
	    c == '<' || c == '>' || c == '?' || c == '\\' || c == '|' ||
	    c == 0x7f;
}

int
msdosfs_name2ucs(const char *name, size_t len, uint16_t *ucs, size_t *nucsp)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t i = 0, n = 0, k;
	uint32_t c;

	while (i < len) {
		k = utf8_decode(s + i, len - i, &c);
		if (k == 0 || lfn_badchar(c))
			return EINVAL;
		i += k;
		if (c >= 0x10000) {
			if (n + 2 > LFN_MAXLEN)
				return ENAMETOOLONG;
			c -= 0x10000;
			ucs[n++] = (uint16_t)(0xd800 | (c >> 10));
			ucs[n++] = (uint16_t)(0xdc00 | (c & 0x3ff));
		} else {
			if (n + 1 > LFN_MAXLEN)
				return ENAMETOOLONG;
			ucs[n++] = (uint16_t)c;
		}
	}
	*nucsp = n;
	return 0;
}

bool
msdosfs_ucs2utf8(const uint16_t *ucs, size_t n, char *buf, size_t buflen,
    size_t *lenp)
{
	size_t i, o = 0;
	uint32_t c;

	for (i = 0; i < n && ucs[i] != 0; i++) {
		c = ucs[i];
		if (c >= 0xd800 && c <= 0xdbff) {
			if (i + 1 >= n || ucs[i + 1] < 0xdc00 ||
			    ucs[i + 1] > 0xdfff)
				return false;
			c = 0x10000 + ((c - 0xd800) << 10) +
			    (uint32_t)(ucs[i + 1] - 0xdc00);
			i++;
		} else if (c >= 0xdc00 && c <= 0xdfff) {
			return false;
		}
		if (lfn_badchar(c))
			return false;
		if (o + 4 >= buflen)
			return false;
		if (c < 0x80) {
			buf[o++] = (char)c;
		} else if (c < 0x800) {
			buf[o++] = (char)(0xc0 | (c >> 6));
			buf[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			buf[o++] = (char)(0xe0 | (c >> 12));
			buf[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			buf[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			buf[o++] = (char)(0xf0 | (c >> 18));
			buf[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
			buf[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			buf[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	buf[o] = '\0';
	*lenp = o;
	return o > 0;
}

/* Characters a short name may hold besides letters and digits. */
static bool
short_special(char c)
{
	return c != '\0' && strchr("!#$%&'()-@^_`{}~", c) != NULL;
}

static bool
short_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || short_special(c);
}

/* Case of a run of short-name characters: 1 all upper, 2 all lower,
 * 3 mixed, 0 no letters. */
static int
name_case(const char *s, size_t n)
{
	int c = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			c |= 1;
		else if (s[i] >= 'a' && s[i] <= 'z')
			c |= 2;
	}
	return c;
}

bool
msdosfs_mkshortname(const char *name, size_t len, uint8_t *name11,
    uint8_t *ntresp)
{
	const char *dot = NULL;
	size_t i, blen, elen, o;
	bool fits = true;
	int bc, ec;

	memset(name11, ' ', 11);
	*ntresp = 0;

	/* Does it fit as it is? */
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (dot != NULL)
				fits = false;
			dot = name + i;
		} else if (!short_ok(name[i])) {
			fits = false;
		}
	}
	blen = dot != NULL ? (size_t)(dot - name) : len;
	elen = dot != NULL ? len - blen - 1 : 0;
	if (blen < 1 || blen > 8 || elen > 3 || (dot != NULL && elen == 0))
		fits = false;
	if (fits) {
		bc = name_case(name, blen);
		ec = name_case(dot != NULL ? dot + 1 : "", elen);
		if (bc == 3 || ec == 3)
			fits = false;
	}
	if (fits) {
		for (i = 0; i < blen; i++)
			name11[i] = (uint8_t)ascii_upper(name[i]);
		for (i = 0; i < elen; i++)
			name11[8 + i] = (uint8_t)ascii_upper(dot[1 + i]);
		if (bc == 2)
			*ntresp |= NTRES_LCASE_BASE;
		if (ec == 2)
			*ntresp |= NTRES_LCASE_EXT;
		return true;
	}

	/* A basis for a generated name: spaces and leading dots dropped,
	 * the last dot starts the extension, anything else not allowed
	 * becomes '_' (one per character, whatever its UTF-8 length). */
	dot = NULL;
	for (i = len; i > 0; i--) {
		if (name[i - 1] == '.') {
			dot = name + i - 1;
			break;
		}
	}
	o = 0;
	for (i = 0; i < len && o < 8; i++) {
		unsigned char c = (unsigned char)name[i];

		if (dot != NULL && name + i >= dot)
			break;
		if (c == ' ' || c == '.')
			continue;
		if ((c & 0xc0) == 0x80)
			continue;	/* UTF-8 continuation byte */
		name11[o++] = (uint8_t)(short_ok((char)c) ?
		    ascii_upper((char)c) : '_');
	}
	if (o == 0)
		name11[o++] = '_';
	if (dot != NULL) {
		o = 8;
		for (i = (size_t)(dot - name) + 1; i < len && o < 11; i++) {
			unsigned char c = (unsigned char)name[i];

			if (c == ' ' || c == '.' || (c & 0xc0) == 0x80)
				continue;
			name11[o++] = (uint8_t)(short_ok((char)c) ?
			    ascii_upper((char)c) : '_');
		}
	}
	return false;
}

/* Latin-1 capitals in UTF-8 are 0xc3 0x80..0x9e (but 0x97, the
 * multiplication sign); their small letters are 0x20 higher. */
static unsigned char
latin1_fold(unsigned char c)
{
	return (c >= 0x80 && c <= 0x9e && c != 0x97) ?
	    (unsigned char)(c + 0x20) : c;
}

bool
msdosfs_name_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++) {
		if (x[i] == 0xc3 && y[i] == 0xc3 && i + 1 < alen) {
			if (latin1_fold(x[i + 1]) != latin1_fold(y[i + 1]))
				return false;
			i++;
			continue;
		}
		if (ascii_upper((char)x[i]) != ascii_upper((char)y[i]))
			return false;
	}
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (civil calendar
 * arithmetic with 400-year eras). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *yp, int64_t *mp, int64_t *dp)
{
	int64_t era, doe, yoe, doy, mp_, y;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp_ = (5 * doy + 2) / 153;
	*dp = doy - (153 * mp_ + 2) / 5 + 1;
	*mp = mp_ < 10 ? mp_ + 3 : mp_ - 9;
	*yp = y + (*mp <= 2);
}

#define DOS_EPOCH	315532800LL	/* 1980-01-01 00:00:00 UTC */
#define DOS_END		4354819198LL	/* 2107-12-31 23:59:58 UTC */

void
msdosfs_unix2dos(const struct timespec *ts, uint16_t *datep, uint16_t *timep,
    uint8_t *csp)
{
	int64_t t = ts->tv_sec, days, secs, y, m, d;
	long ns = ts->tv_nsec;

	if (t < DOS_EPOCH) {
		t = DOS_EPOCH;
		ns = 0;
	} else if (t > DOS_END) {
		t = DOS_END;
		ns = 0;
	}
	if (ns < 0 || ns >= 1000000000L)
		ns = 0;
	days = t / 86400;
	secs = t % 86400;
	civil_from_days(days, &y, &m, &d);
	*datep = (uint16_t)(((y - 1980) << 9) | (m << 5) | d);
	*timep = (uint16_t)(((secs / 3600) << 11) | (((secs / 60) % 60) << 5) |
	    ((secs % 60) / 2));
	if (csp != NULL)
		*csp = (uint8_t)((secs % 2) * 100 + ns / 10000000L);
}

void
msdosfs_dos2unix(uint16_t date, uint16_t time, uint8_t cs,
    struct timespec *ts)
{
	int64_t y = 1980 + (date >> 9), m = (date >> 5) & 0xf, d = date & 0x1f;
	int64_t h = time >> 11, mi = (time >> 5) & 0x3f, s = (time & 0x1f) * 2;

	/* Damaged fields give some time, never garbage arithmetic. */
	if (m < 1 || m > 12)
		m = 1;
	if (d < 1)
		d = 1;
	if (h > 23)
		h = 23;
	if (mi > 59)
		mi = 59;
	if (cs > 199)
		cs = 0;
	ts->tv_sec = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 +
	    s + cs / 100;
	ts->tv_nsec = (long)(cs % 100) * 10000000L;
}
