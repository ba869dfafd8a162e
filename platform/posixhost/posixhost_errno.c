/*
 * posixhost_errno.c: the one place where host numbering meets NetBSD
 * numbering, for errors in both directions and for signals.  Every host
 * error a platform reports passes through
 * rumpuser__posixhost_errno_to_netbsd(); rumpuser_seterrno() and
 * rumpuser_kill() go the other way.
 *
 * Host values are written symbolically, so the table stays right on hosts
 * whose numbering differs from Linux's generic one; NetBSD values are
 * numbers, since they are an ABI fixed by NetBSD's <sys/errno.h>.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "posixhost.h"

struct errpair {
	int host;
	int nb;
};

/*
 * Every host errno with an exact NetBSD equivalent, each host value and
 * each NetBSD value at most once (so aliases such as EWOULDBLOCK,
 * ENOTSUP == EOPNOTSUPP and EDEADLOCK are listed under one name only).
 * Linux errnos absent here (ECHRNG, EL2NSYNC, ..., EUCLEAN, ENOMEDIUM,
 * ENOKEY, ERFKILL, EHWPOISON, ...) have no NetBSD counterpart: they become
 * EIO, the answer a NetBSD caller already handles for "the host failed".
 */
static const struct errpair errmap[] = {
	{ EPERM, 1 }, { ENOENT, 2 }, { ESRCH, 3 }, { EINTR, 4 }, { EIO, 5 },
	{ ENXIO, 6 }, { E2BIG, 7 }, { ENOEXEC, 8 }, { EBADF, 9 },
	{ ECHILD, 10 }, { EDEADLK, 11 }, { ENOMEM, 12 }, { EACCES, 13 },
	{ EFAULT, 14 }, { ENOTBLK, 15 }, { EBUSY, 16 }, { EEXIST, 17 },
	{ EXDEV, 18 }, { ENODEV, 19 }, { ENOTDIR, 20 }, { EISDIR, 21 },
	{ EINVAL, 22 }, { ENFILE, 23 }, { EMFILE, 24 }, { ENOTTY, 25 },
	{ ETXTBSY, 26 }, { EFBIG, 27 }, { ENOSPC, 28 }, { ESPIPE, 29 },
	{ EROFS, 30 }, { EMLINK, 31 }, { EPIPE, 32 }, { EDOM, 33 },
	{ ERANGE, 34 }, { EAGAIN, 35 }, { EINPROGRESS, 36 }, { EALREADY, 37 },
	{ ENOTSOCK, 38 }, { EDESTADDRREQ, 39 }, { EMSGSIZE, 40 },
	{ EPROTOTYPE, 41 }, { ENOPROTOOPT, 42 }, { EPROTONOSUPPORT, 43 },
	{ ESOCKTNOSUPPORT, 44 }, { EOPNOTSUPP, 45 }, { EPFNOSUPPORT, 46 },
	{ EAFNOSUPPORT, 47 }, { EADDRINUSE, 48 }, { EADDRNOTAVAIL, 49 },
	{ ENETDOWN, 50 }, { ENETUNREACH, 51 }, { ENETRESET, 52 },
	{ ECONNABORTED, 53 }, { ECONNRESET, 54 }, { ENOBUFS, 55 },
	{ EISCONN, 56 }, { ENOTCONN, 57 }, { ESHUTDOWN, 58 },
	{ ETOOMANYREFS, 59 }, { ETIMEDOUT, 60 }, { ECONNREFUSED, 61 },
	{ ELOOP, 62 }, { ENAMETOOLONG, 63 }, { EHOSTDOWN, 64 },
	{ EHOSTUNREACH, 65 }, { ENOTEMPTY, 66 },
	{ EUSERS, 68 }, { EDQUOT, 69 }, { ESTALE, 70 }, { EREMOTE, 71 },
	{ ENOLCK, 77 }, { ENOSYS, 78 },
	{ EIDRM, 82 }, { ENOMSG, 83 }, { EOVERFLOW, 84 }, { EILSEQ, 85 },
	{ ECANCELED, 87 }, { EBADMSG, 88 },
#ifdef ENODATA
	{ ENODATA, 89 },
#endif
#ifdef ENOSR
	{ ENOSR, 90 },
#endif
#ifdef ENOSTR
	{ ENOSTR, 91 },
#endif
#ifdef ETIME
	{ ETIME, 92 },
#endif
	{ EMULTIHOP, 94 }, { ENOLINK, 95 }, { EPROTO, 96 },
	{ EOWNERDEAD, 97 }, { ENOTRECOVERABLE, 98 },
};

/*
 * NetBSD-only errors, for the NetBSD -> host direction only: the nearest
 * host meaning.  EPROCLIM 67, the Sun RPC errors 72-76, EFTYPE 79, EAUTH
 * 80, ENEEDAUTH 81, ENOTSUP 86 (a distinct value on NetBSD, an alias of
 * EOPNOTSUPP on Linux), ENOATTR 93 (Linux reports missing xattrs as
 * ENODATA).
 */
static const struct errpair nbonly[] = {
	{ EAGAIN, 67 }, { EIO, 72 }, { EIO, 73 }, { EIO, 74 }, { EIO, 75 },
	{ EIO, 76 }, { EINVAL, 79 }, { EACCES, 80 }, { EACCES, 81 },
#ifdef ENOTSUP
	{ ENOTSUP, 86 },
#endif
#ifdef ENODATA
	{ ENODATA, 93 },
#endif
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int
rumpuser__posixhost_errno_to_netbsd(int hosterror)
{
	size_t i;

	if (hosterror == 0)
		return 0;
	for (i = 0; i < NELEM(errmap); i++)
		if (errmap[i].host == hosterror)
			return errmap[i].nb;
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
	if (hosterror == EWOULDBLOCK)
		return 35;
#endif
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
	if (hosterror == ENOTSUP)
		return 86;
#endif
	return RUMPUSER__NB_EIO;
}

int
rumpuser__posixhost_errno_from_netbsd(int nberror)
{
	size_t i;

	if (nberror == 0)
		return 0;
	for (i = 0; i < NELEM(errmap); i++)
		if (errmap[i].nb == nberror)
			return errmap[i].host;
	for (i = 0; i < NELEM(nbonly); i++)
		if (nbonly[i].nb == nberror)
			return nbonly[i].host;
	return EIO;
}

/*
 * NetBSD signal numbers 1..32 (index = NetBSD number).  SIGEMT (7) and
 * SIGINFO (29) do not exist on Linux: 0 marks them untranslatable.
 */
static const int sigmap[] = {
	[1] = SIGHUP, [2] = SIGINT, [3] = SIGQUIT, [4] = SIGILL,
	[5] = SIGTRAP, [6] = SIGABRT,
#ifdef SIGEMT
	[7] = SIGEMT,
#endif
	[8] = SIGFPE, [9] = SIGKILL, [10] = SIGBUS, [11] = SIGSEGV,
	[12] = SIGSYS, [13] = SIGPIPE, [14] = SIGALRM, [15] = SIGTERM,
	[16] = SIGURG, [17] = SIGSTOP, [18] = SIGTSTP, [19] = SIGCONT,
	[20] = SIGCHLD, [21] = SIGTTIN, [22] = SIGTTOU, [23] = SIGIO,
	[24] = SIGXCPU, [25] = SIGXFSZ, [26] = SIGVTALRM, [27] = SIGPROF,
	[28] = SIGWINCH,
#ifdef SIGINFO
	[29] = SIGINFO,
#endif
	[30] = SIGUSR1, [31] = SIGUSR2,
#ifdef SIGPWR
	[32] = SIGPWR,
#endif
};

/* NetBSD real-time signals: SIGRTMIN 33 .. SIGRTMAX 63. */
#define NB_SIGRTMIN	33
#define NB_SIGRTMAX	63

int
rumpuser__posixhost_signal_from_netbsd(int nbsig)
{
	int hostsig;

	if (nbsig == 0)
		return 0;	/* "does the process exist" probe */
	if (nbsig > 0 && (size_t)nbsig < NELEM(sigmap))
		return sigmap[nbsig] != 0 ? sigmap[nbsig] : -1;
	if (nbsig >= NB_SIGRTMIN && nbsig <= NB_SIGRTMAX) {
		hostsig = SIGRTMIN + (nbsig - NB_SIGRTMIN);
		if (hostsig <= SIGRTMAX)
			return hostsig;
	}
	return -1;
}
