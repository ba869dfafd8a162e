/*
 * parse_size.c: sizes as people write them ("64m").
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>

int
parse_size(const char *s, uint64_t *valp)
{
	uint64_t v = 0, mult = 1;
	const char *p;

	if (s == NULL || *s < '0' || *s > '9')
		return EINVAL;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1ULL << 10;
		p++;
		break;
	case 'm': case 'M':
		mult = 1ULL << 20;
		p++;
		break;
	case 'g': case 'G':
		mult = 1ULL << 30;
		p++;
		break;
	default:
		return EINVAL;
	}
	if (*p != '\0' || v > UINT64_MAX / mult)
		return EINVAL;
	*valp = v * mult;
	return 0;
}
