/*
 * t_param.c: rumpuser_getparam on any platform: the mandatory
 * _RUMPUSER_NCPU (a positive number) and _RUMPUSER_HOSTNAME (RUMP_HOSTNAME
 * whole, however long, or a default); a buffer too small is E2BIG (7)
 * with nothing copied; unknown '_' names and unset optional ones are
 * ENOENT (2); others come from the host configuration (the environment).
 *
 * Portable: nothing but rumpuser calls and the stub kernel of
 * h_hyperup.h.  Each test case runs in a process of its own, so the
 * environment set here is what the platform sees.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "h_hyperup.h"

#define NB_ENOENT	2
#define NB_E2BIG	7

/* Checks that name gives exactly want (with its NUL) in a buffer of just
 * that size, and E2BIG, leaving the buffer alone, in one a byte smaller. */
static void
check_param(const char *name, const char *want)
{
	size_t len = strlen(want) + 1;
	char *buf = malloc(len + 1);

	ATF_REQUIRE(buf != NULL);
	memset(buf, 'X', len + 1);
	ATF_CHECK_EQ_MSG(0, rumpuser_getparam(name, buf, len),
	    "%s in %zu bytes", name, len);
	ATF_CHECK_MSG(memcmp(buf, want, len) == 0 && buf[len] == 'X',
	    "%s: got \"%.*s\", want \"%s\"", name, (int)len, buf, want);
	memset(buf, 'X', len + 1);
	ATF_CHECK_EQ_MSG(NB_E2BIG, rumpuser_getparam(name, buf, len - 1),
	    "%s in %zu bytes", name, len - 1);
	for (size_t i = 0; i < len + 1; i++)
		if (buf[i] != 'X') {
			ATF_CHECK_MSG(false, "%s: E2BIG, but byte %zu written",
			    name, i);
			break;
		}
	free(buf);
}

ATF_TC(param_hostname_long);
ATF_TC_HEAD(param_hostname_long, tc)
{
	atf_tc_set_md_var(tc, "descr", "_RUMPUSER_HOSTNAME is RUMP_HOSTNAME "
	    "whole, 1, 63, 64, 65 and 200 characters long; E2BIG with a "
	    "buffer one byte short, nothing copied");
}
ATF_TC_BODY(param_hostname_long, tc)
{
	static const size_t lens[] = { 1, 63, 64, 65, 200 };
	char name[201];

	ATF_REQUIRE_EQ(0, stub_init(1));
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		for (size_t i = 0; i < lens[k]; i++)
			name[i] = (char)('a' + i % 26);
		name[lens[k]] = '\0';
		ATF_REQUIRE_EQ(0, setenv("RUMP_HOSTNAME", name, 1));
		check_param(RUMPUSER_PARAM_HOSTNAME, name);
	}
}

ATF_TC(param_defaults);
ATF_TC_HEAD(param_defaults, tc)
{
	atf_tc_set_md_var(tc, "descr", "without RUMP_NCPU and RUMP_HOSTNAME: "
	    "_RUMPUSER_NCPU is a positive number, _RUMPUSER_HOSTNAME a "
	    "non-empty name; E2BIG for 0 bytes; other '_' names and unset "
	    "optional names are ENOENT; a set optional name is its value");
}
ATF_TC_BODY(param_defaults, tc)
{
	char buf[256];
	long n;

	unsetenv("RUMP_NCPU");
	unsetenv("RUMP_HOSTNAME");
	unsetenv("RUMP_VERBOSE");
	ATF_REQUIRE_EQ(0, stub_init(1));

	ATF_REQUIRE_EQ(0, rumpuser_getparam(RUMPUSER_PARAM_NCPU, buf,
	    sizeof(buf)));
	n = strtol(buf, NULL, 10);
	ATF_CHECK_MSG(n >= 1, "_RUMPUSER_NCPU is \"%s\"", buf);
	check_param(RUMPUSER_PARAM_NCPU, buf);

	ATF_REQUIRE_EQ(0, rumpuser_getparam(RUMPUSER_PARAM_HOSTNAME, buf,
	    sizeof(buf)));
	ATF_CHECK_MSG(buf[0] != '\0', "empty _RUMPUSER_HOSTNAME");
	check_param(RUMPUSER_PARAM_HOSTNAME, buf);
	ATF_CHECK_EQ(NB_E2BIG, rumpuser_getparam(RUMPUSER_PARAM_HOSTNAME, buf,
	    0));

	ATF_CHECK_EQ(NB_ENOENT, rumpuser_getparam("_RUMPUSER_NOSUCH", buf,
	    sizeof(buf)));
	ATF_CHECK_EQ(NB_ENOENT, rumpuser_getparam("RUMP_VERBOSE", buf,
	    sizeof(buf)));
	ATF_REQUIRE_EQ(0, setenv("RUMP_VERBOSE", "1", 1));
	check_param("RUMP_VERBOSE", "1");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, param_hostname_long);
	ATF_TP_ADD_TC(tp, param_defaults);
	return atf_no_error();
}
