/*
 * linkset.c: link sets of kernel shared objects.
 *
 * A kernel linked statically sees each link set (system calls, process
 * hooks, file systems) as one range bounded by __start_/__stop_ symbols.
 * A kernel loaded as shared objects has one range per object; each object
 * registers its ranges here at boot (kernel/shlib/shlib_linksets.c, the
 * first component stage), and the code that walks a set walks its own
 * static range and then these (linkset_range).  Registration happens only
 * while booting, on one thread, so no lock is needed.
 */
#include <kern/types.h>
#include <kern/libkern.h>
#include <kern/component.h>

#include "kern_private.h"

#define LINKSET_MAX	128

static struct {
	const char	 *name;
	const void *const *start, *const *stop;
} linksets[LINKSET_MAX];
static int nlinksets;

void
linkset_add(const char *name, const void *const *start,
    const void *const *stop)
{

	if (start == NULL || stop == NULL || start >= stop)
		return;
	for (int i = 0; i < nlinksets; i++)
		if (linksets[i].start == start)
			return;
	if (nlinksets == LINKSET_MAX) {
		printf("rump: too many link sets, %s dropped\n", name);
		return;
	}
	linksets[nlinksets].name = name;
	linksets[nlinksets].start = start;
	linksets[nlinksets].stop = stop;
	nlinksets++;
	/* The system call table is filled once; later ranges add to it. */
	if (strcmp(name, "syscalls") == 0)
		syscall_add_range(start, stop);
	else if (strcmp(name, "proc_hooks") == 0)
		proc_hooks_add_range(start, stop);
}

bool
linkset_range(const char *name, int *cursor, const void *const **startp,
    const void *const **stopp)
{

	while (*cursor < nlinksets) {
		int i = (*cursor)++;

		if (strcmp(linksets[i].name, name) == 0) {
			*startp = linksets[i].start;
			*stopp = linksets[i].stop;
			return true;
		}
	}
	return false;
}
