/*
 * shlib_linksets.c: compiled into each kernel SHARED object (and only
 * there; kernel/Makefile adds it), so that a kernel loaded at run time,
 * one shared object per library (strata-server -l ...), works like one
 * linked statically.
 *
 * Link sets are sections bounded by __start_/__stop_ symbols that the
 * linker makes per linked object.  Statically linked, every set of every
 * library is one range that the kernel's own code sees.  As shared
 * objects, each object has its own range, and the base library sees only
 * its own.  So each object hands its ranges to the kernel at boot, from a
 * component of the first stage: the system calls it implements, its
 * process hooks and its file systems.  (Its components the platform finds
 * itself: rumpuser_dl_bootstrap.)  The bounds are declared hidden so
 * that they are this object's, never another's.
 */
#include <kern/types.h>
#include <kern/component.h>

#define SHLIB_SET(set)							\
	extern const void *const __start_link_set_##set[]		\
	    __attribute__((__weak__, __visibility__("hidden")));	\
	extern const void *const __stop_link_set_##set[]		\
	    __attribute__((__weak__, __visibility__("hidden")))

SHLIB_SET(syscalls);
SHLIB_SET(proc_hooks);
SHLIB_SET(vfsops);
SHLIB_SET(domains);
SHLIB_SET(cdevsw);

RUMP_COMPONENT(RUMP_COMPONENT_KERN, shlib_linksets)
{

	linkset_add("syscalls", __start_link_set_syscalls,
	    __stop_link_set_syscalls);
	linkset_add("proc_hooks", __start_link_set_proc_hooks,
	    __stop_link_set_proc_hooks);
	linkset_add("vfsops", __start_link_set_vfsops,
	    __stop_link_set_vfsops);
	linkset_add("domains", __start_link_set_domains,
	    __stop_link_set_domains);
	linkset_add("cdevsw", __start_link_set_cdevsw,
	    __stop_link_set_cdevsw);
}
