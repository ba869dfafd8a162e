/*
 * l2_main.c: main() of an image baked from an unmodified static program
 * (strata-bake PROGRAM IMAGE).  The linker takes it from the platform's
 * archive only when the image has no main() of its own.
 *
 * Boot order: the kernel (rump_init), the program's kernel process with
 * its standard descriptors (l2_stdio.c) and /tmp, the SYSCALL entry, the
 * program's address space: its ELF image, the break after it, its stack
 * at the top of user space with argv (the program's name, then the
 * image's arguments), envp (the image's environment) and auxv; then its
 * first instruction, in ring 3.
 *
 * Parameters (strata-boot hands them in like any RUMP_* parameter):
 *   STRATA_STACK   the main thread's stack, bytes with k/m/g (default 1m;
 *                  all of it is memory from the start)
 *   STRATA_TRACE   set: every system call on the console, with its result
 */
#include "l2.h"

#include <rump/rumpuser.h>
#include <rump/rump.h>

#include "rumpuser_common.h"

/* The program, linked in by strata-bake. */
extern const unsigned char strata_l2_program[];
extern const unsigned char strata_l2_program_end[];
extern const char strata_l2_program_name[];

extern uint64_t l2_stack_size;

/* Static-pie programs go where Linux puts PIE executables. */
#define PIE_BASE	0x555555554000ull

static int
mem_map(void *ctx, uint64_t va, uint64_t len)
{

	(void)ctx;
	return l2_vm_map(va, len, L2_PROT_READ | L2_PROT_WRITE);
}

static int
mem_protect(void *ctx, uint64_t va, uint64_t len, int prot)
{

	(void)ctx;
	return l2_vm_protect(va, len, prot);
}

static void *
mem_ptr(void *ctx, uint64_t va, uint64_t len)
{

	/* One address space: the program's pages are reachable (and
	 * writable until mem_protect) at their own addresses. */
	(void)ctx;
	(void)len;
	return (void *)va;
}

static void __attribute__((__noreturn__))
fail(const char *what, const char *why, int error)
{

	l2_printf("strata: %s: %s%s%s (error %d)\n", strata_l2_program_name,
	    what, why != NULL ? ": " : "", why != NULL ? why : "", error);
	rumpuser_exit(127);
}

int
main(int argc, char **argv, char **envp)
{
	static const char *const noenv[] = { NULL };
	const struct l2_elf_mem mem = { NULL, mem_map, mem_protect, mem_ptr };
	struct l2_stack_info si;
	struct l2_elf e;
	struct l2_thread *t;
	const char **pargv;
	const char *why = NULL;
	uint64_t bias = 0, lo, hi, stack_lo, sp, stack_len;
	size_t got;
	uint32_t r[4];
	int error, i;

	if ((error = rump_init()) != 0)
		fail("cannot boot the kernel", NULL, error);
	if ((error = l2_stdio_init()) != 0)
		fail("cannot make the program's kernel process", NULL, error);
	l2_pid = (int)l2_ksys(39 /* getpid */, 0, 0, 0, 0, 0, 0);
	/* The kernel's root is an empty tmpfs; programs expect /tmp. */
	l2_ksys(83 /* mkdir */, (long)"/tmp", 01777, 0, 0, 0, 0);
	l2_ksys(90 /* chmod */, (long)"/tmp", 01777, 0, 0, 0, 0);

	l2_stack_size = rumpuser__param_number("STRATA_STACK", 1 << 20);
	if (l2_stack_size < 65536)
		l2_stack_size = 65536;
	l2_stack_size = (l2_stack_size + L2_PAGE_SIZE - 1) &
	    ~(L2_PAGE_SIZE - 1);
	l2_vm_init();
	l2_entry_init();

	error = l2_elf_parse(strata_l2_program,
	    (size_t)(strata_l2_program_end - strata_l2_program), &e, &why);
	if (error != 0)
		fail("not a program this platform runs", why, error);
	l2_plat_user_range(&lo, &hi);
	if (e.pie)
		bias = (PIE_BASE >= lo ? PIE_BASE : lo + 0x1000000) - e.lo;
	else if (e.lo < lo)
		fail("cannot be loaded", "it is linked at an address the "
		    "kernel occupies on this platform; link it -static-pie",
		    L2_ENOMEM);
	if ((error = l2_elf_load(&e, bias, &mem)) != 0)
		fail("cannot be loaded", "out of memory", error);

	/* The stack, and the initial process stack at its top. */
	l2_vm_layout(bias + e.hi, l2_stack_size, &stack_lo);
	if ((error = l2_vm_map(stack_lo, l2_stack_size,
	    L2_PROT_READ | L2_PROT_WRITE)) != 0)
		fail("no memory for the stack", NULL, error);
	memset(&si, 0, sizeof(si));
	if (rumpuser_malloc((size_t)(argc + 1) * sizeof(char *), 0,
	    (void **)&pargv) != 0)
		fail("out of memory", NULL, L2_ENOMEM);
	pargv[0] = strata_l2_program_name;
	for (i = 1; i < argc; i++)
		pargv[i] = argv[i];
	pargv[argc > 0 ? argc : 1] = NULL;
	si.argv = pargv;
	si.envp = envp != NULL ? (const char *const *)envp : noenv;
	si.execfn = strata_l2_program_name;
	si.platform = "x86_64";
	if (rumpuser_getrandom(si.random, sizeof(si.random), 0, &got) != 0)
		memset(si.random, 0x5a, sizeof(si.random));
	si.phdr = e.phdr + bias;
	si.phnum = e.phnum;
	si.entry = e.entry + bias;
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]),
	    "=d"(r[3]) : "a"(1), "c"(0));
	si.hwcap = r[3];
	si.clktck = 100;
	stack_len = l2_stack_size < (256 << 10) ? l2_stack_size : 256 << 10;
	if ((error = l2_stack_build((void *)(hi - stack_len), hi - stack_len,
	    stack_len, &si, &sp)) != 0)
		fail("arguments and environment do not fit the stack", NULL,
		    error);
	rumpuser_free(pargv, (size_t)(argc + 1) * sizeof(char *));

	if ((t = l2_thread_main(si.entry, sp)) == NULL)
		fail("out of memory", NULL, L2_ENOMEM);
	l2_thread_run(t);
}
