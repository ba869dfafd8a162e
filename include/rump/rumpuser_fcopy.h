/*
 * rumpuser_fcopy.h: fault-catching copies, a hypercall module beside
 * rumpuser(3).
 *
 * When a program and its rump kernel share one address space (a program
 * linked with the kernel, or an unmodified binary run by strata-run), the
 * kernel's copyin()/copyout() read and write the caller's memory
 * directly.  A bad pointer handed to a system call would then fault inside
 * the kernel and kill the whole process, where Linux returns EFAULT.  A
 * platform that implements this module copies in a way that survives the
 * fault and reports it instead.
 *
 * The module is optional.  The kernel references these functions as weak
 * symbols: with a platform that defines them every copy between the
 * caller's and the kernel's memory goes through them; with one that does
 * not (a bare-metal platform, NetBSD's librumpuser) the kernel copies
 * with memcpy() and only a NULL pointer is told apart, as before.
 *
 * The header includes nothing.  The includer provides size_t.
 *
 * Rules for every call below:
 *  - Results are 0 or an errno value in NetBSD numbering, as rumpuser(3)
 *    returns them: EFAULT is 14 (as on Linux), ENAMETOOLONG 63.
 *  - An address is bad when reading (the source) or writing (the
 *    destination) it would fault: unmapped, PROT_NONE, or read-only for a
 *    write.  Only the caller's side (uaddr) may be bad; the kernel's side
 *    (kaddr) must be valid, a fault there is a kernel bug and is not
 *    caught.
 *  - After EFAULT the destination may hold part of the data: the bytes
 *    before the fault, in order, and nothing after it.
 *  - They never block and never release the rump virtual CPU; they are
 *    safe from any thread, concurrently.
 *  - A POSIX platform implements them with a SIGSEGV/SIGBUS handler and a
 *    per-thread recovery point, installed by rumpuser_init() or, in a
 *    process that never calls it (a sysproxy client that uses the
 *    copies), by the first copy.  Faults that do not happen inside one of
 *    these copies go to whatever handler was installed before the
 *    platform's (or kill the process, as without it).  A program that
 *    installs its own SIGSEGV or SIGBUS handler after rump_init() takes
 *    the faults away from the module; it must pass faults it does not own
 *    on to the handler it replaced (as the platform does) to keep EFAULT
 *    working.
 */
#ifndef RUMP_RUMPUSER_FCOPY_H
#define RUMP_RUMPUSER_FCOPY_H

#define RUMPUSER_FCOPY_VERSION 1

/* Copies len bytes from the caller's uaddr to the kernel's kaddr.
 * Returns 0, or EFAULT when part of [uaddr, uaddr + len) is unreadable. */
int rumpuser_fcopyin(const void *uaddr, void *kaddr, size_t len);

/* Copies len bytes from the kernel's kaddr to the caller's uaddr.
 * Returns 0, or EFAULT when part of [uaddr, uaddr + len) is unwritable. */
int rumpuser_fcopyout(const void *kaddr, void *uaddr, size_t len);

/*
 * Copies the NUL-terminated string at the caller's uaddr, NUL included,
 * to kaddr, reading at most len bytes and none past the NUL (so a string
 * that ends just before an unmapped page is fine).  Sets *done (when not
 * NULL) to the bytes stored in kaddr.  Returns 0 when the NUL was copied,
 * ENAMETOOLONG when the first len bytes hold none (all len are stored,
 * *done = len), EFAULT when a byte before the NUL is unreadable (*done
 * counts the bytes before it).
 */
int rumpuser_fcopyinstr(const void *uaddr, char *kaddr, size_t len,
    size_t *done);

#endif /* RUMP_RUMPUSER_FCOPY_H */
