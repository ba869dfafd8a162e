/*
 * hyp.h: the kernel side of the hypercall boundary.
 *
 * Hypercalls (rump/rumpuser.h) return NetBSD errno numbers; the kernel
 * speaks Linux numbers.  These two functions are the only translation.
 */
#ifndef KERN_HYP_H
#define KERN_HYP_H

#include <kern/types.h>
#include <rump/rumpuser.h>

/* NetBSD errno (from a hypercall) -> kernel (Linux) errno. */
int	hyp_errno(int netbsd_errno);
/* Kernel (Linux) errno -> NetBSD errno (for rumpuser_seterrno). */
int	hyp_errno_to_netbsd(int kernel_errno);

/* Reads hypervisor parameter name into buf; 0 or a kernel errno. */
int	hyp_getparam(const char *name, char *buf, size_t buflen);

#endif /* KERN_HYP_H */
