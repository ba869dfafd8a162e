/*
 * tmpfs_mntopts.c: the mount option string, as Linux tmpfs spells it:
 * "size=64m,nr_inodes=1000,mode=0755,uid=0,gid=0" (also nr_blocks=).
 * Unknown options and malformed values are EINVAL: silently ignoring a
 * misspelt size= would leave a mount without the limit its user meant.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>

#include "tmpfs.h"

/* Parses digits s[0..len) in base 8 or 10; EINVAL if empty, not a
 * number, or above max.  *endp gets the count of digits used. */
static int
parse_uint(const char *s, size_t len, unsigned base, uint64_t max,
    uint64_t *valp, size_t *endp)
{
	uint64_t v = 0;
	unsigned d;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			break;
		d = (unsigned)(s[i] - '0');
		if (d >= base)
			return EINVAL;
		if (v > (max - d) / base)
			return EINVAL;
		v = v * base + d;
	}
	if (i == 0)
		return EINVAL;
	*valp = v;
	*endp = i;
	return 0;
}

static int
parse_number(const char *s, size_t len, unsigned base, uint64_t max,
    uint64_t *valp)
{
	size_t used;
	int error;

	error = parse_uint(s, len, base, max, valp, &used);
	if (error == 0 && used != len)
		error = EINVAL;
	return error;
}

/* A byte count with an optional binary k/m/g/t suffix, or N% of the
 * kernel's memory limit (only when there is one). */
static int
parse_bytes(const char *s, size_t len, uint64_t *valp)
{
	uint64_t v, limit;
	unsigned shift = 0;
	size_t used;
	int error;

	error = parse_uint(s, len, 10, UINT64_MAX, &v, &used);
	if (error != 0)
		return error;
	if (used == len) {
		*valp = v;
		return 0;
	}
	if (used + 1 != len)
		return EINVAL;
	switch (s[used]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	case '%':
		limit = kmem_limit();
		if (limit == 0 || v > 1000)
			return EINVAL;
		/* limit * v / 100, split so that it cannot overflow. */
		if (v != 0 && limit / 100 > (UINT64_MAX - 100 * 1000) / v)
			return EINVAL;
		*valp = limit / 100 * v + limit % 100 * v / 100;
		return 0;
	default:
		return EINVAL;
	}
	if (v > (UINT64_MAX >> shift))
		return EINVAL;
	*valp = v << shift;
	return 0;
}

static bool
opt_is(const char *key, size_t keylen, const char *name)
{
	return strlen(name) == keylen && memcmp(key, name, keylen) == 0;
}

int
tmpfs_parse_args(const char *data, struct tmpfs_args *ta)
{
	const char *opt, *end, *eq, *val;
	size_t optlen, keylen, vallen;
	uint64_t v;
	int error;

	memset(ta, 0, sizeof(*ta));
	ta->ta_mode = TMPFS_ROOT_MODE;
	if (data == NULL)
		return 0;

	for (opt = data; *opt != '\0'; opt = *end != '\0' ? end + 1 : end) {
		end = strchr(opt, ',');
		if (end == NULL)
			end = opt + strlen(opt);
		optlen = (size_t)(end - opt);
		if (optlen == 0)
			continue;	/* "a,,b" or a trailing comma */
		eq = NULL;
		for (val = opt; val < end; val++) {
			if (*val == '=') {
				eq = val;
				break;
			}
		}
		if (eq == NULL)
			return EINVAL;	/* every tmpfs option has a value */
		keylen = (size_t)(eq - opt);
		val = eq + 1;
		vallen = (size_t)(end - val);

		if (opt_is(opt, keylen, "size")) {
			error = parse_bytes(val, vallen, &v);
			if (error != 0)
				return error;
			ta->ta_size = v;
			ta->ta_set |= TMPFS_ARG_SIZE;
		} else if (opt_is(opt, keylen, "nr_blocks")) {
			error = parse_number(val, vallen, 10,
			    UINT64_MAX >> TMPFS_PAGE_SHIFT, &v);
			if (error != 0)
				return error;
			ta->ta_size = v << TMPFS_PAGE_SHIFT;
			ta->ta_set |= TMPFS_ARG_SIZE;
		} else if (opt_is(opt, keylen, "nr_inodes")) {
			error = parse_number(val, vallen, 10, UINT64_MAX, &v);
			if (error != 0)
				return error;
			ta->ta_nr_inodes = v;
			ta->ta_set |= TMPFS_ARG_NR_INODES;
		} else if (opt_is(opt, keylen, "mode")) {
			error = parse_number(val, vallen, 8, TMPFS_ALLPERMS,
			    &v);
			if (error != 0)
				return error;
			ta->ta_mode = (mode_t)v;
			ta->ta_set |= TMPFS_ARG_MODE;
		} else if (opt_is(opt, keylen, "uid")) {
			/* (uid_t)-1 means "no change" to chown: not an id. */
			error = parse_number(val, vallen, 10,
			    (uint64_t)UINT32_MAX - 1, &v);
			if (error != 0)
				return error;
			ta->ta_uid = (uid_t)v;
			ta->ta_set |= TMPFS_ARG_UID;
		} else if (opt_is(opt, keylen, "gid")) {
			error = parse_number(val, vallen, 10,
			    (uint64_t)UINT32_MAX - 1, &v);
			if (error != 0)
				return error;
			ta->ta_gid = (gid_t)v;
			ta->ta_set |= TMPFS_ARG_GID;
		} else {
			return EINVAL;
		}
	}
	return 0;
}
