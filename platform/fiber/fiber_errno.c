/*
 * fiber_errno.c: where the host's numbering meets NetBSD's, in both
 * directions, for errors and signals.  Host values are written by name
 * (they differ between host architectures), NetBSD values as numbers
 * (fixed by NetBSD's ABI).
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "fiber.h"

/* Host errno -> NetBSD errno, for every host error NetBSD also has.
 * Listed once per host value, so aliases (EWOULDBLOCK, ENOTSUP,
 * EDEADLOCK) appear under the name they share a value with. */
static const struct { int host, nb; } errors[] = {
	{ EPERM, 1 }, { ENOENT, 2 }, { ESRCH, 3 }, { EINTR, 4 },
	{ EIO, 5 }, { ENXIO, 6 }, { E2BIG, 7 }, { ENOEXEC, 8 },
	{ EBADF, 9 }, { ECHILD, 10 }, { EDEADLK, 11 }, { ENOMEM, 12 },
	{ EACCES, 13 }, { EFAULT, 14 }, { ENOTBLK, 15 }, { EBUSY, 16 },
	{ EEXIST, 17 }, { EXDEV, 18 }, { ENODEV, 19 }, { ENOTDIR, 20 },
	{ EISDIR, 21 }, { EINVAL, 22 }, { ENFILE, 23 }, { EMFILE, 24 },
	{ ENOTTY, 25 }, { ETXTBSY, 26 }, { EFBIG, 27 }, { ENOSPC, 28 },
	{ ESPIPE, 29 }, { EROFS, 30 }, { EMLINK, 31 }, { EPIPE, 32 },
	{ EDOM, 33 }, { ERANGE, 34 },
	/* From here on the numberings part ways. */
	{ EAGAIN, 35 }, { EINPROGRESS, 36 }, { EALREADY, 37 },
	{ ENOTSOCK, 38 }, { EDESTADDRREQ, 39 }, { EMSGSIZE, 40 },
	{ EPROTOTYPE, 41 }, { ENOPROTOOPT, 42 }, { EPROTONOSUPPORT, 43 },
	{ ESOCKTNOSUPPORT, 44 }, { EOPNOTSUPP, 45 }, { EPFNOSUPPORT, 46 },
	{ EAFNOSUPPORT, 47 }, { EADDRINUSE, 48 }, { EADDRNOTAVAIL, 49 },
	{ ENETDOWN, 50 }, { ENETUNREACH, 51 }, { ENETRESET, 52 },
	{ ECONNABORTED, 53 }, { ECONNRESET, 54 }, { ENOBUFS, 55 },
	{ EISCONN, 56 }, { ENOTCONN, 57 }, { ESHUTDOWN, 58 },
	{ ETOOMANYREFS, 59 }, { ETIMEDOUT, 60 }, { ECONNREFUSED, 61 },
	{ ELOOP, 62 }, { ENAMETOOLONG, 63 }, { EHOSTDOWN, 64 },
	{ EHOSTUNREACH, 65 }, { ENOTEMPTY, 66 }, { EUSERS, 68 },
	{ EDQUOT, 69 }, { ESTALE, 70 }, { EREMOTE, 71 }, { ENOLCK, 77 },
	{ ENOSYS, 78 }, { EIDRM, 82 }, { ENOMSG, 83 }, { EOVERFLOW, 84 },
	{ EILSEQ, 85 }, { ECANCELED, 87 }, { EBADMSG, 88 }, { ENODATA, 89 },
	{ ENOSR, 90 }, { ENOSTR, 91 }, { ETIME, 92 }, { EMULTIHOP, 94 },
	{ ENOLINK, 95 }, { EPROTO, 96 }, { EOWNERDEAD, 97 },
	{ ENOTRECOVERABLE, 98 },
};

/* NetBSD errors the host lacks: the nearest host meaning. */
static const struct { int nb, host; } nbonly[] = {
	{ 67, EAGAIN },		/* EPROCLIM */
	{ 72, EIO }, { 73, EIO }, { 74, EIO }, { 75, EIO }, { 76, EIO },
				/* Sun RPC errors */
	{ 79, EINVAL },		/* EFTYPE */
	{ 80, EACCES },		/* EAUTH */
	{ 81, EACCES },		/* ENEEDAUTH */
	{ 86, EOPNOTSUPP },	/* ENOTSUP, distinct from EOPNOTSUPP */
	{ 93, ENODATA },	/* ENOATTR: Linux says ENODATA */
};

int
rumpuser__fiber_errtrans(int hosterror)
{

	if (hosterror == 0)
		return 0;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].host == hosterror)
			return errors[i].nb;
	return FIBER_NB_EIO;
}

int
rumpuser__fiber_errno_to_host(int nberror)
{

	if (nberror == 0)
		return 0;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].nb == nberror)
			return errors[i].host;
	for (size_t i = 0; i < sizeof(nbonly) / sizeof(nbonly[0]); i++)
		if (nbonly[i].nb == nberror)
			return nbonly[i].host;
	return EIO;
}

void
rumpuser__backend_set_errno(int error)
{

	errno = rumpuser__fiber_errno_to_host(error);
}

/*
 * NetBSD signals 1..32 by number; 0 where the host has no such signal
 * (SIGEMT 7, SIGINFO 29).  33..63 are NetBSD's real-time signals.
 */
static const int signals[33] = {
	[1] = SIGHUP, [2] = SIGINT, [3] = SIGQUIT, [4] = SIGILL,
	[5] = SIGTRAP, [6] = SIGABRT, [8] = SIGFPE, [9] = SIGKILL,
	[10] = SIGBUS, [11] = SIGSEGV, [12] = SIGSYS, [13] = SIGPIPE,
	[14] = SIGALRM, [15] = SIGTERM, [16] = SIGURG, [17] = SIGSTOP,
	[18] = SIGTSTP, [19] = SIGCONT, [20] = SIGCHLD, [21] = SIGTTIN,
	[22] = SIGTTOU, [23] = SIGIO, [24] = SIGXCPU, [25] = SIGXFSZ,
	[26] = SIGVTALRM, [27] = SIGPROF, [28] = SIGWINCH, [30] = SIGUSR1,
	[31] = SIGUSR2, [32] = SIGPWR,
};
#define NB_SIGRTMIN	33
#define NB_SIGRTMAX	63

int
rumpuser__fiber_sig_to_host(int nbsig)
{

	if (nbsig == 0)
		return 0;		/* "does it exist" */
	if (nbsig > 0 && nbsig < (int)(sizeof(signals) / sizeof(signals[0])))
		return signals[nbsig] != 0 ? signals[nbsig] : -1;
	if (nbsig >= NB_SIGRTMIN && nbsig <= NB_SIGRTMAX &&
	    SIGRTMIN + (nbsig - NB_SIGRTMIN) <= SIGRTMAX)
		return SIGRTMIN + (nbsig - NB_SIGRTMIN);
	return -1;
}
