/*
 * cross_switch.c: the fiber platform's context switch
 * (platform/common/arch/<arch>/switch.S) checked on its own, so that it
 * runs under qemu-user where the fiber platform cannot be built (Debian
 * ships no cross liburing).  Compiled and run by apps/tests/cross.subr.
 *
 * Two threads ping-pong ROUNDS times; each keeps many integer and
 * floating-point values live across every switch (so the compiler holds
 * them in callee-saved registers or on the stack) and its own rounding
 * mode.  Their results must equal those of the same work done without
 * switching, each must always see its own rounding mode, and main must get
 * its own back.
 */
#include <fenv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arch.h"

#define ROUNDS		1000
#define STACKSIZE	(64 * 1024)

struct fiber {
	const char	*name;
	void		*sp;		/* while not running */
	struct fiber	*other;		/* switched to every round */
	void		**exit_to;	/* switched to when done */
	int		 round;		/* its FE_* rounding mode */
	uint64_t	 seed, sum;
};

static void *main_sp;
static struct fiber fa, fb;
static int use_switch;
static int failed;

static void
check(int ok, const char *what, const struct fiber *f, int i)
{

	if (!ok && failed++ < 10)
		printf("FAIL: %s (%s, round %d)\n", what, f->name, i);
}

static __attribute__((__noinline__)) uint64_t
work(struct fiber *self)
{
	uint64_t r0 = self->seed, r1 = r0 * 3, r2 = r0 * 5, r3 = r0 * 7;
	uint64_t r4 = r0 ^ 11, r5 = r0 ^ 13, r6 = r0 + 17, r7 = r0 + 19;
	uint64_t r8 = r0 << 3, r9 = r0 >> 2, r10 = ~r0, r11 = r0 * r0;
	volatile double one = 1.0, three = 3.0;
	double d0 = (double)(r0 & 0xff), d1 = d0 + 0.5, d2 = d0 * 1.25;
	double d3 = d0 - 0.75, d4 = 1.0 / (d0 + 1), d5 = 2.5, d6 = 3.5;
	double d7 = 0.125;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		r0 = r0 * 6364136223846793005ull + r11;
		r1 += r0 >> 7; r2 ^= r1; r3 += r2 * 3; r4 ^= r3 >> 1;
		r5 += r4; r6 ^= r5 << 1; r7 += r6; r8 ^= r7 >> 3;
		r9 += r8; r10 ^= r9; r11 += r10 | 1;
		d0 = d0 * 1.0001 + d7; d1 += d0 / 7; d2 = d2 * 0.999 + d1;
		d3 += d2 / 3; d4 = d4 * 0.5 + d3 / 11; d5 += d4;
		d6 = d6 * 0.75 + d5 / 13; d7 = d7 + one / three;
		check(fegetround() == self->round, "own rounding mode", self,
		    i);
		if (use_switch)
			rumpuser__arch_switch(&self->sp, self->other->sp);
		check(fegetround() == self->round, "rounding mode kept", self,
		    i);
		/* The result depends on the rounding mode in effect. */
		r0 ^= (uint64_t)((one / three) * 1e18);
	}
	return r0 ^ r1 ^ r2 ^ r3 ^ r4 ^ r5 ^ r6 ^ r7 ^ r8 ^ r9 ^ r10 ^ r11 ^
	    (uint64_t)(d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7);
}

static void
entry(void *arg)
{
	struct fiber *f = arg;

	fesetround(f->round);
	f->sum = work(f);
	rumpuser__arch_switch(&f->sp, *f->exit_to);
	abort();	/* never resumed */
}

int
main(void)
{
	uint64_t ref_a, ref_b;
	char *sa, *sb;

	fa = (struct fiber){ .name = "A", .other = &fb, .exit_to = &fb.sp,
	    .round = FE_UPWARD, .seed = 12345 };
	fb = (struct fiber){ .name = "B", .other = &fa, .exit_to = &main_sp,
	    .round = FE_DOWNWARD, .seed = 67890 };

	/* The reference: the same work, no switching. */
	fesetround(fa.round);
	ref_a = work(&fa);
	fesetround(fb.round);
	ref_b = work(&fb);
	fesetround(FE_TONEAREST);
	if (ref_a == ref_b) {
		printf("FAIL: the two threads' work is not distinct\n");
		return 1;
	}

	sa = malloc(STACKSIZE);
	sb = malloc(STACKSIZE);
	if (sa == NULL || sb == NULL)
		return 1;
	fa.sp = rumpuser__arch_stack_init(sa + STACKSIZE, entry, &fa);
	fb.sp = rumpuser__arch_stack_init(sb + STACKSIZE, entry, &fb);
	use_switch = 1;
	rumpuser__arch_switch(&main_sp, fa.sp);

	if (fa.sum != ref_a || fb.sum != ref_b) {
		printf("FAIL: results differ from the reference (A %s, B %s)\n",
		    fa.sum == ref_a ? "same" : "differs",
		    fb.sum == ref_b ? "same" : "differs");
		failed++;
	}
	if (fegetround() != FE_TONEAREST) {
		printf("FAIL: main's rounding mode not restored\n");
		failed++;
	}
	free(sa);
	free(sb);
	printf(failed ? "context switch broken\n" : "context switch ok\n");
	return failed != 0;
}
