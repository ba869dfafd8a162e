/*
 * t_dlcomp_lib.c: the shared library libt_dlcomp.so used by t_rumpuser_dl:
 * three components and two modules in link sets, as a kernel component
 * library would have them.  Build with -fPIC -shared.
 */
#include <stddef.h>

#include "t_dlcomp.h"

static const struct rump_component lib_c[3] = {
	{ "lib0" }, { "lib1" }, { "lib2" },
};
static const struct modinfo lib_m[2] = { { "libmod0" }, { "libmod1" } };

LINKSET_ADD(link_set_rump_components, const struct rump_component,
    lib_c0, &lib_c[0]);
LINKSET_ADD(link_set_rump_components, const struct rump_component,
    lib_c1, &lib_c[1]);
LINKSET_ADD(link_set_rump_components, const struct rump_component,
    lib_c2, &lib_c[2]);
LINKSET_ADD(link_set_modules, const struct modinfo, lib_m0, &lib_m[0]);
LINKSET_ADD(link_set_modules, const struct modinfo, lib_m1, &lib_m[1]);

/*
 * GNU ld defines __start_/__stop_ of a section only for an object that
 * references them, and the platform finds link sets through exactly these
 * symbols in each object's dynamic symbol table: component libraries need
 * such a reference.
 */
extern const struct rump_component *const __start_link_set_rump_components[];
extern const struct rump_component *const __stop_link_set_rump_components[];
extern const struct modinfo *const __start_link_set_modules[];
extern const struct modinfo *const __stop_link_set_modules[];

size_t
t_dlcomp_ncomponents(void)
{

	return (size_t)(__stop_link_set_rump_components -
	    __start_link_set_rump_components) +
	    (size_t)(__stop_link_set_modules - __start_link_set_modules);
}

const struct rump_component *
t_dlcomp_component(int i)
{

	return &lib_c[i];
}

const struct modinfo *
t_dlcomp_module(int i)
{

	return &lib_m[i];
}

/* For symload: a renamed kernel-internal function, kernel data, a public
 * kernel name, and a plain (non-kernel) one that must stay out. */
int rumpns_t_dlcomp_internal(void);
int
rumpns_t_dlcomp_internal(void)
{

	return 42;
}

int rumpns_t_dlcomp_data = 5;
int rump_t_dlcomp_public = 6;
int t_dlcomp_marker = 7;
