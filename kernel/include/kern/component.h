/*
 * component.h: link sets, and how components join a kernel.
 *
 * A link set is a linker section "link_set_<name>" holding pointers; the
 * linker provides __start_link_set_<name> and __stop_link_set_<name>.
 * A kernel is assembled by choosing archives on the link line (linked as
 * whole archives): every component they contain registers itself here.
 */
#ifndef KERN_COMPONENT_H
#define KERN_COMPONENT_H

#include <kern/types.h>

#define __link_set_section(set) \
	__attribute__((__section__("link_set_" #set), __used__))

/* Adds a pointer to sym (a global object of the right type) to set. */
#define __link_set_add(set, sym, id)					\
	static const void *const __link_set_##set##_##id		\
	    __link_set_section(set) = &(sym)

#define __link_set_decl(set, ptype)					\
	extern ptype const __start_link_set_##set[]			\
	    __attribute__((__weak__));					\
	extern ptype const __stop_link_set_##set[]			\
	    __attribute__((__weak__))

#define __link_set_foreach(pvar, set)					\
	for (pvar = __start_link_set_##set;				\
	    pvar < __stop_link_set_##set; pvar++)

/*
 * Components: a named init function run at one boot stage by rump_init().
 * The set is "rump_components" (also what rumpuser_dl_bootstrap hands
 * over as compload() calls; the kernel runs each component once).
 */
enum rump_component_type {
	RUMP_COMPONENT_KERN = 0,	/* base services */
	RUMP_COMPONENT_VFS,		/* VFS faction itself */
	RUMP_COMPONENT_FS,		/* file systems (register vfsops) */
	RUMP_COMPONENT_NET,		/* networking, later */
	RUMP_COMPONENT_DEV,		/* devices, later */
	RUMP_COMPONENT_POSTINIT,	/* after all others (mount root) */
	RUMP_COMPONENT_MAX
};

struct rump_component {
	enum rump_component_type rc_type;
	const char *rc_name;
	void (*rc_init)(void);
};

/* Defines and registers a component; the body follows as a function. */
#define RUMP_COMPONENT(type, name)					\
	static void rumpcomp_init_##name(void);				\
	static const struct rump_component rumpcomp_##name = {		\
		.rc_type = (type), .rc_name = #name,			\
		.rc_init = rumpcomp_init_##name,			\
	};								\
	__link_set_add(rump_components, rumpcomp_##name, name);		\
	static void rumpcomp_init_##name(void)

/*
 * Link sets of kernel shared objects (kern/linkset.c): each object loaded
 * at run time hands over its own ranges of the sets "syscalls",
 * "proc_hooks", "vfsops", "domains" and "cdevsw" at boot; code that walks a set walks its
 * static range, then every range linkset_range() yields (cursor starts
 * at 0; false when there are no more).
 */
void	linkset_add(const char *name, const void *const *start,
	    const void *const *stop);
bool	linkset_range(const char *name, int *cursor,
	    const void *const **startp, const void *const **stopp);

/* Registers a struct proc_hook (kern/proc.h). */
#define PROC_HOOK(hook)	__link_set_add(proc_hooks, hook, hook)

#endif /* KERN_COMPONENT_H */
