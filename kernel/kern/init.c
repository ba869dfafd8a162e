/*
 * init.c: booting the kernel (rump_init) and the upcall table the
 * platform calls back through.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/param.h>
#include <kern/proc.h>
#include <kern/component.h>
#include <kern/hyp.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "kern_private.h"

static const struct rumpuser_hyperup hyperup = {
	.hyp_schedule		= rump_schedule,
	.hyp_unschedule		= rump_unschedule,
	.hyp_backend_unschedule	= sched_backend_unschedule,
	.hyp_backend_schedule	= sched_backend_schedule,
	.hyp_lwproc_switch	= rump_lwproc_switch,
	.hyp_lwproc_release	= rump_lwproc_releaselwp,
	.hyp_lwproc_rfork	= lwproc_hyp_rfork,
	.hyp_lwproc_newlwp	= lwproc_hyp_newlwp,
	.hyp_lwproc_curlwp	= rump_lwproc_curlwp,
	.hyp_syscall		= rump_syscall,
	.hyp_lwpexit		= lwproc_hyp_lwpexit,
	.hyp_execnotify		= lwproc_hyp_execnotify,
	.hyp_getpid		= lwproc_hyp_getpid,
	.hyp_lwp_interrupt	= rump_lwp_interrupt,
	.hyp_lwp_interrupt_clear = rump_lwp_interrupt_clear,
};

#define BOOT_NONE	0
#define BOOT_RUNNING	1
#define BOOT_DONE	2
#define BOOT_FAILED	3

static int boot_state;		/* atomic */
static int boot_error;
static unsigned long boot_usec;

__link_set_decl(rump_components, const struct rump_component *);

/* Components handed over by rumpuser_dl_bootstrap (shared objects). */
#define DLCOMP_MAX	128
static const struct rump_component *dlcomps[DLCOMP_MAX];
static size_t ndlcomps;

static void
boot_modinit(const struct modinfo *const *mi, size_t nmi)
{

	/* NetBSD kernel modules: this kernel has no module framework. */
	(void)mi;
	(void)nmi;
}

/*
 * The kernel's symbol table as the platform hands it over.  The table
 * becomes the kernel's (rumpuser(3): the platform does not free it); no
 * part of this kernel reads it yet (there is no debugger), but it is kept
 * so that it stays owned rather than leaked.
 */
static struct {
	void		*symtab;
	uint64_t	 symsize;
	char		*strtab;
	uint64_t	 strsize;
} boot_ksyms __used;

static int
boot_symload(void *addr, uint64_t symsize, char *strtab, uint64_t strsize)
{

	boot_ksyms.symtab = addr;
	boot_ksyms.symsize = symsize;
	boot_ksyms.strtab = strtab;
	boot_ksyms.strsize = strsize;
	return 0;
}

static void
boot_compload(const struct rump_component *rc)
{

	for (size_t i = 0; i < ndlcomps; i++)
		if (dlcomps[i] == rc)
			return;
	if (ndlcomps == DLCOMP_MAX) {
		printf("rump: too many components, %s not loaded\n",
		    rc->rc_name);
		return;
	}
	dlcomps[ndlcomps++] = rc;
}

static bool
comp_seen(const struct rump_component **list, size_t n,
    const struct rump_component *rc)
{

	for (size_t i = 0; i < n; i++)
		if (list[i] == rc)
			return true;
	return false;
}

/*
 * Runs each component once, by stage.  A component linked statically is
 * usually also found by the platform's scan of the loaded objects, hence
 * the deduplication by address.
 */
static int
components_run(void)
{
	const struct rump_component *const *rcp;
	const struct rump_component **all;
	size_t nall = 0, max;

	max = ndlcomps;
	if (__start_link_set_rump_components != NULL)
		max += (size_t)(__stop_link_set_rump_components -
		    __start_link_set_rump_components);
	if (max == 0)
		return 0;
	all = kmem_alloc(max * sizeof(*all), KM_SLEEP);
	if (all == NULL)
		return ENOMEM;
	__link_set_foreach(rcp, rump_components)
		if (!comp_seen(all, nall, *rcp))
			all[nall++] = *rcp;
	for (size_t i = 0; i < ndlcomps; i++)
		if (!comp_seen(all, nall, dlcomps[i]))
			all[nall++] = dlcomps[i];

	for (size_t i = 0; i < nall; i++)
		if ((unsigned)all[i]->rc_type >= RUMP_COMPONENT_MAX)
			printf("rump: component %s: unknown type %d, "
			    "skipped\n", all[i]->rc_name, all[i]->rc_type);
	for (int type = 0; type < RUMP_COMPONENT_MAX; type++) {
		for (size_t i = 0; i < nall; i++) {
			if ((int)all[i]->rc_type != type)
				continue;
			aprint_verbose("rump: component %s\n",
			    all[i]->rc_name);
			all[i]->rc_init();
		}
	}
	kmem_free(all, max * sizeof(*all));
	return 0;
}

static uint64_t
boot_clock_us(void)
{
	int64_t sec;
	long nsec;

	if (rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO, &sec, &nsec) != 0)
		return 0;
	return (uint64_t)sec * 1000000 + (uint64_t)nsec / 1000;
}

static int
boot(void)
{
	uint64_t start;
	int error;

	start = boot_clock_us();
	error = rumpuser_init(RUMPUSER_VERSION, &hyperup);
	if (error != 0)
		return hyp_errno(error);
	if ((error = param_init()) != 0)
		return error;
	kmem_init(kernel_params.kp_memlimit);
	if ((error = sched_init(kernel_params.kp_ncpu)) != 0)
		return error;
	if ((error = lwproc_init()) != 0)
		return error;

	/* From here on the boot runs as an implicit lwp of proc1. */
	rump_schedule();
	syscall_init();
	cprng_init();
	callout_subsys_init();
	/* Before the components, which may well wait for a timer. */
	error = callout_start();
	if (error == 0) {
		rumpuser_dl_bootstrap(boot_modinit, boot_symload,
		    boot_compload);
		error = components_run();
	}
	if (error == 0) {
		boot_usec = (unsigned long)(boot_clock_us() - start);
		if (boot_usec == 0)
			boot_usec = 1;
		aprint_verbose("strata rump kernel: %d virtual CPU%s, "
		    "memory limit %llu bytes (0: none), host %s, "
		    "booted in %lu us\n", kernel_params.kp_ncpu,
		    kernel_params.kp_ncpu == 1 ? "" : "s",
		    (unsigned long long)kernel_params.kp_memlimit,
		    kernel_params.kp_hostname, boot_usec);
	}
	rump_unschedule();
	return error;
}

int
rump_init(void)
{
	int state = BOOT_NONE;

	if (!__atomic_compare_exchange_n(&boot_state, &state, BOOT_RUNNING,
	    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Booted, failed, or booting in another thread: wait for
		 * that one, whose result is ours. */
		while ((state = __atomic_load_n(&boot_state,
		    __ATOMIC_ACQUIRE)) == BOOT_RUNNING)
			rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0,
			    1000000);
		return state == BOOT_DONE ? 0 : boot_error;
	}
	boot_error = boot();
	__atomic_store_n(&boot_state, boot_error == 0 ? BOOT_DONE :
	    BOOT_FAILED, __ATOMIC_RELEASE);
	return boot_error;
}

bool
kernel_booted(void)
{

	return __atomic_load_n(&boot_state, __ATOMIC_ACQUIRE) == BOOT_DONE;
}

unsigned long
rump_boot_usec(void)
{

	return kernel_booted() ? boot_usec : 0;
}
