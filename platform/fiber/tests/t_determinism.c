/*
 * t_determinism.c: the fiber platform's deterministic mode
 * (RUMP_DETERMINISTIC=1, RUMP_SEED=<n>): the same seed gives the same run,
 * byte for byte; another seed gives other random bytes; the virtual
 * clock moves by exactly what was slept.
 *
 * The workload is h_determinism (built beside this program, see
 * t_determinism.mk): the full kernel on the fiber platform, threads and
 * rump processes doing file work, pipe ping-pong, sleeps, clock readings
 * and random bytes, all written to a trace.  Each run is a fresh
 * fork+exec, so nothing but the platform can make two runs agree.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#define RUN_LIMIT	60	/* seconds one run may take */

/* Runs the helper with seed (and an environment padded by pad bytes,
 * which moves the host's stack); returns its trace (malloc'ed). */
static char *
run(const atf_tc_t *tc, const char *seed, size_t pad, const char *tag)
{
	char helper[1024], tracef[64], padvar[4200], *buf;
	int status;
	size_t len;
	FILE *f;
	pid_t pid;

	snprintf(helper, sizeof(helper), "%s/h_determinism",
	    atf_tc_get_config_var(tc, "srcdir"));
	snprintf(tracef, sizeof(tracef), "trace-%s", tag);
	ATF_REQUIRE(pad < sizeof(padvar) - 16);
	snprintf(padvar, sizeof(padvar), "STRATA_PAD=%*s", (int)pad, "");
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		setenv("RUMP_DETERMINISTIC", "1", 1);
		setenv("RUMP_SEED", seed, 1);
		if (pad > 0)
			putenv(padvar);
		alarm(RUN_LIMIT);
		execl(helper, "h_determinism", tracef, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", helper, strerror(errno));
		_exit(127);
	}
	ATF_REQUIRE_EQ(pid, waitpid(pid, &status, 0));
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "run %s (seed %s): %s %d (trace in %s)", tag, seed,
	    WIFEXITED(status) ? "exit status" : "killed by signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	    tracef);

	f = fopen(tracef, "r");
	ATF_REQUIRE_MSG(f != NULL, "no trace %s", tracef);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(len + 1);
	ATF_REQUIRE(buf != NULL);
	ATF_REQUIRE_EQ(len, fread(buf, 1, len, f));
	buf[len] = '\0';
	fclose(f);
	/* A run that traced nothing would agree with anything. */
	ATF_REQUIRE_MSG(strstr(buf, "\nend\n") != NULL, "trace %s is "
	    "incomplete", tracef);
	ATF_REQUIRE_MSG(strstr(buf, "FAIL") == NULL, "run %s failed: see %s",
	    tag, tracef);
	return buf;
}

/* Line lineno (from 1) of s, for messages. */
static const char *
line_of(const char *s, int lineno, char *buf, size_t len)
{

	for (int i = 1; i < lineno && s != NULL; i++)
		if ((s = strchr(s, '\n')) != NULL)
			s++;
	if (s == NULL)
		return "(none)";
	snprintf(buf, len, "%.*s", (int)strcspn(s, "\n"), s);
	return buf;
}

/* Checks a and b are the same byte for byte; names the first difference. */
static void
same(const char *a, const char *b, const char *what)
{
	char la[256], lb[256];
	size_t i;
	int line = 1;

	for (i = 0; a[i] != '\0' && a[i] == b[i]; i++)
		if (a[i] == '\n')
			line++;
	ATF_CHECK_MSG(a[i] == b[i], "%s: the traces differ from line %d:\n"
	    "  first:  %s\n  second: %s", what, line,
	    line_of(a, line, la, sizeof(la)), line_of(b, line, lb, sizeof(lb)));
}

/* Lines of t starting with prefix, concatenated (malloc'ed). */
static char *
lines(const char *t, const char *prefix)
{
	char *r = calloc(1, strlen(t) + 1);
	size_t n = strlen(prefix);

	ATF_REQUIRE(r != NULL);
	for (const char *s = t; *s != '\0';) {
		size_t l = strcspn(s, "\n");

		if (strncmp(s, prefix, n) == 0)
			strncat(r, s, l + (s[l] == '\n'));
		s += l + (s[l] == '\n');
	}
	return r;
}

ATF_TC(same_seed_same_run);
ATF_TC_HEAD(same_seed_same_run, tc)
{
	atf_tc_set_md_var(tc, "descr", "three runs with RUMP_SEED=42 (one "
	    "with its host stack moved) produce the same trace byte for "
	    "byte: interleaving, kernel results, clocks, random bytes");
	atf_tc_set_md_var(tc, "timeout", "200");
}
ATF_TC_BODY(same_seed_same_run, tc)
{
	char *a = run(tc, "42", 0, "a");
	char *b = run(tc, "42", 0, "b");
	char *c = run(tc, "42", 3000, "c");
	char *t;

	/* The trace covers what it should. */
	t = lines(a, "T");
	ATF_CHECK_MSG(strstr(t, "T5 step 11 ") != NULL && strstr(t, " pipe ") !=
	    NULL, "the kernel work is missing from the trace");
	free(t);
	ATF_CHECK(strstr(a, "phase B t4 step 7 ") != NULL);
	ATF_CHECK_MSG(strstr(a, "D1 step 15 read ") != NULL &&
	    strstr(a, "D2 step 15 ") != NULL, "the host I/O is missing from "
	    "the trace");
	same(a, b, "two runs with seed 42");
	same(a, c, "seed 42 with the host stack moved by 3000 bytes");
	free(a);
	free(b);
	free(c);
}

ATF_TC(other_seed_other_random);
ATF_TC_HEAD(other_seed_other_random, tc)
{
	atf_tc_set_md_var(tc, "descr", "RUMP_SEED=42 and =43 give different "
	    "random bytes (so the comparison of runs can fail)");
	atf_tc_set_md_var(tc, "timeout", "200");
}
ATF_TC_BODY(other_seed_other_random, tc)
{
	char *a = run(tc, "42", 0, "s42");
	char *b = run(tc, "43", 0, "s43");
	char *ra = lines(a, "random first"), *rb = lines(b, "random first");
	char *la = lines(a, "random last"), *lb = lines(b, "random last");

	ATF_REQUIRE(*ra != '\0' && *la != '\0');
	ATF_CHECK_MSG(strcmp(ra, rb) != 0, "seeds 42 and 43 gave the same "
	    "first random bytes: %s", ra);
	ATF_CHECK_MSG(strcmp(la, lb) != 0, "seeds 42 and 43 gave the same "
	    "last random bytes: %s", la);
	ATF_CHECK_MSG(strcmp(a, b) != 0, "seeds 42 and 43 gave the same trace");
	free(ra);
	free(rb);
	free(la);
	free(lb);
	free(a);
	free(b);
}

ATF_TC(largest_seeds);
ATF_TC_HEAD(largest_seeds, tc)
{
	atf_tc_set_md_var(tc, "descr", "RUMP_SEED=18446744073709551615 "
	    "(2^64 - 1) and =18446744073709551614 are seeds of their own, not "
	    "the default: they give different random bytes");
	atf_tc_set_md_var(tc, "timeout", "200");
}
ATF_TC_BODY(largest_seeds, tc)
{
	char *a = run(tc, "18446744073709551615", 0, "smax");
	char *b = run(tc, "18446744073709551614", 0, "smax1");
	char *ra = lines(a, "random first"), *rb = lines(b, "random first");

	ATF_REQUIRE(*ra != '\0');
	ATF_CHECK_MSG(strcmp(ra, rb) != 0, "seeds 2^64 - 1 and 2^64 - 2 gave "
	    "the same random bytes: %s", ra);
	free(ra);
	free(rb);
	free(a);
	free(b);
}

ATF_TC(virtual_clock_exact);
ATF_TC_HEAD(virtual_clock_exact, tc)
{
	atf_tc_set_md_var(tc, "descr", "in deterministic mode the virtual "
	    "clock advances by exactly the time slept: RELWALL and ABSMONO "
	    "sleeps, a zero sleep, a timed-out cv_timedwait (mono and wall "
	    "clock); concurrent sleepers end exactly at the sum of their "
	    "sleeps, the phase at the longest");
	atf_tc_set_md_var(tc, "timeout", "100");
}
ATF_TC_BODY(virtual_clock_exact, tc)
{
	char *a = run(tc, "7", 0, "clock");
	int nsleep = 0, nstep = 0;

	for (const char *s = a; *s != '\0';) {
		char what[64];
		long long want, got;
		int i, k;

		if (sscanf(s, "sleep %63s %lld %lld", what, &want, &got) == 3) {
			nsleep++;
			ATF_CHECK_MSG(want == got, "%s: the virtual clock "
			    "advanced by %lld ns, want exactly %lld", what,
			    got, want);
		} else if (sscanf(s, "phase B t%d step %d at %lld want %lld",
		    &i, &k, &got, &want) == 4) {
			nstep++;
			ATF_CHECK_MSG(want == got, "phase B thread %d step %d "
			    "ended at %lld ns into the phase, want exactly "
			    "%lld (its sleeps so far)", i, k, got, want);
		}
		s += strcspn(s, "\n");
		if (*s == '\n')
			s++;
	}
	ATF_CHECK_EQ_MSG(6, nsleep, "%d sleep lines in the trace", nsleep);
	ATF_CHECK_EQ_MSG(40, nstep, "%d phase B lines in the trace", nstep);
	free(a);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, same_seed_same_run);
	ATF_TP_ADD_TC(tp, other_seed_other_random);
	ATF_TP_ADD_TC(tp, largest_seeds);
	ATF_TP_ADD_TC(tp, virtual_clock_exact);
	return atf_no_error();
}
