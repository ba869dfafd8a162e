/*
 * t_dlcomp.h: what t_rumpuser_dl.c and t_dlcomp_lib.c share.  The
 * platform treats components and modules as opaque; these stand-ins only
 * carry a name.
 */
#ifndef T_DLCOMP_H
#define T_DLCOMP_H

#include <stddef.h>

struct rump_component {
	const char *name;
};
struct modinfo {
	const char *name;
};

/* One pointer in link set sect, the way kernel components add theirs. */
#define LINKSET_ADD(sect, type, var, ptr)				\
	static type *const var						\
	    __attribute__((__used__, __section__(#sect))) = (ptr)

size_t t_dlcomp_ncomponents(void);
const struct rump_component *t_dlcomp_component(int);
const struct modinfo *t_dlcomp_module(int);
int rumpns_t_dlcomp_internal(void);
extern int rumpns_t_dlcomp_data;
extern int rump_t_dlcomp_public;
extern int t_dlcomp_marker;

#endif /* T_DLCOMP_H */
