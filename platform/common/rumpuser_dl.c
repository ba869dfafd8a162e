/*
 * rumpuser_dl.c: hands the kernel the components and modules linked into
 * the program.
 *
 * They announce themselves in link sets: the sections
 * "link_set_rump_components" and "link_set_modules", arrays of pointers
 * whose bounds the linker defines as __start_<section> and
 * __stop_<section>.  Only the program's own sets are found (the weak
 * references resolve to them): a bare-metal image has nothing else, and
 * the kernel is linked statically into programs of this platform.  Shared
 * objects loaded later are not searched.
 */
#include <common/types.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"

extern const struct rump_component *const
    __start_link_set_rump_components[] __attribute__((__weak__));
extern const struct rump_component *const
    __stop_link_set_rump_components[] __attribute__((__weak__));
extern const struct modinfo *const
    __start_link_set_modules[] __attribute__((__weak__));
extern const struct modinfo *const
    __stop_link_set_modules[] __attribute__((__weak__));

void
rumpuser_dl_bootstrap(rump_modinit_fn domodinit, rump_symload_fn symload,
    rump_compload_fn compload)
{
	const struct rump_component *const *rc, *const *rcend;
	const struct modinfo *const *mi, *const *miend;

	/* No symbol table to give: symload is for the kernel debugger. */
	(void)symload;
	rc = __start_link_set_rump_components;
	rcend = __stop_link_set_rump_components;
	if (compload != NULL && rc != NULL)
		for (; rc < rcend; rc++)
			if (*rc != NULL)
				compload(*rc);
	mi = __start_link_set_modules;
	miend = __stop_link_set_modules;
	if (domodinit != NULL && mi != NULL && miend > mi)
		domodinit(mi, (size_t)(miend - mi));
}
