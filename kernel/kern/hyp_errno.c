/*
 * hyp_errno.c: the one place where hypercall (NetBSD) error numbers meet
 * the kernel's (Linux) ones.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/hyp.h>

/*
 * NetBSD errno n -> Linux errno, for n = 0..98 (NetBSD's <sys/errno.h>).
 * 1..34 mean the same on both except 11 (NetBSD EDEADLK, Linux EAGAIN).
 * NetBSD-only errors get the nearest Linux meaning: EPROCLIM -> EAGAIN,
 * the Sun RPC errors -> EIO, EFTYPE -> EINVAL, EAUTH/ENEEDAUTH -> EACCES,
 * ENOTSUP -> EOPNOTSUPP (one value on Linux), ENOATTR -> ENODATA (what
 * Linux reports for a missing extended attribute).
 */
static const unsigned char nb2linux[] = {
	[0] = 0,
	[1] = 1,	/* EPERM */
	[2] = 2,	/* ENOENT */
	[3] = 3,	/* ESRCH */
	[4] = 4,	/* EINTR */
	[5] = 5,	/* EIO */
	[6] = 6,	/* ENXIO */
	[7] = 7,	/* E2BIG */
	[8] = 8,	/* ENOEXEC */
	[9] = 9,	/* EBADF */
	[10] = 10,	/* ECHILD */
	[11] = 35,	/* EDEADLK */
	[12] = 12,	/* ENOMEM */
	[13] = 13,	/* EACCES */
	[14] = 14,	/* EFAULT */
	[15] = 15,	/* ENOTBLK */
	[16] = 16,	/* EBUSY */
	[17] = 17,	/* EEXIST */
	[18] = 18,	/* EXDEV */
	[19] = 19,	/* ENODEV */
	[20] = 20,	/* ENOTDIR */
	[21] = 21,	/* EISDIR */
	[22] = 22,	/* EINVAL */
	[23] = 23,	/* ENFILE */
	[24] = 24,	/* EMFILE */
	[25] = 25,	/* ENOTTY */
	[26] = 26,	/* ETXTBSY */
	[27] = 27,	/* EFBIG */
	[28] = 28,	/* ENOSPC */
	[29] = 29,	/* ESPIPE */
	[30] = 30,	/* EROFS */
	[31] = 31,	/* EMLINK */
	[32] = 32,	/* EPIPE */
	[33] = 33,	/* EDOM */
	[34] = 34,	/* ERANGE */
	[35] = 11,	/* EAGAIN, EWOULDBLOCK */
	[36] = 115,	/* EINPROGRESS */
	[37] = 114,	/* EALREADY */
	[38] = 88,	/* ENOTSOCK */
	[39] = 89,	/* EDESTADDRREQ */
	[40] = 90,	/* EMSGSIZE */
	[41] = 91,	/* EPROTOTYPE */
	[42] = 92,	/* ENOPROTOOPT */
	[43] = 93,	/* EPROTONOSUPPORT */
	[44] = 94,	/* ESOCKTNOSUPPORT */
	[45] = 95,	/* EOPNOTSUPP */
	[46] = 96,	/* EPFNOSUPPORT */
	[47] = 97,	/* EAFNOSUPPORT */
	[48] = 98,	/* EADDRINUSE */
	[49] = 99,	/* EADDRNOTAVAIL */
	[50] = 100,	/* ENETDOWN */
	[51] = 101,	/* ENETUNREACH */
	[52] = 102,	/* ENETRESET */
	[53] = 103,	/* ECONNABORTED */
	[54] = 104,	/* ECONNRESET */
	[55] = 105,	/* ENOBUFS */
	[56] = 106,	/* EISCONN */
	[57] = 107,	/* ENOTCONN */
	[58] = 108,	/* ESHUTDOWN */
	[59] = 109,	/* ETOOMANYREFS */
	[60] = 110,	/* ETIMEDOUT */
	[61] = 111,	/* ECONNREFUSED */
	[62] = 40,	/* ELOOP */
	[63] = 36,	/* ENAMETOOLONG */
	[64] = 112,	/* EHOSTDOWN */
	[65] = 113,	/* EHOSTUNREACH */
	[66] = 39,	/* ENOTEMPTY */
	[67] = 11,	/* EPROCLIM: no Linux equivalent */
	[68] = 87,	/* EUSERS */
	[69] = 122,	/* EDQUOT */
	[70] = 116,	/* ESTALE */
	[71] = 66,	/* EREMOTE */
	[72] = 5,	/* EBADRPC */
	[73] = 5,	/* ERPCMISMATCH */
	[74] = 5,	/* EPROGUNAVAIL */
	[75] = 5,	/* EPROGMISMATCH */
	[76] = 5,	/* EPROCUNAVAIL */
	[77] = 37,	/* ENOLCK */
	[78] = 38,	/* ENOSYS */
	[79] = 22,	/* EFTYPE */
	[80] = 13,	/* EAUTH */
	[81] = 13,	/* ENEEDAUTH */
	[82] = 43,	/* EIDRM */
	[83] = 42,	/* ENOMSG */
	[84] = 75,	/* EOVERFLOW */
	[85] = 84,	/* EILSEQ */
	[86] = 95,	/* ENOTSUP */
	[87] = 125,	/* ECANCELED */
	[88] = 74,	/* EBADMSG */
	[89] = 61,	/* ENODATA */
	[90] = 63,	/* ENOSR */
	[91] = 60,	/* ENOSTR */
	[92] = 62,	/* ETIME */
	[93] = 61,	/* ENOATTR */
	[94] = 72,	/* EMULTIHOP */
	[95] = 67,	/* ENOLINK */
	[96] = 71,	/* EPROTO */
	[97] = 130,	/* EOWNERDEAD */
	[98] = 131,	/* ENOTRECOVERABLE */
};

/*
 * Linux errno n -> NetBSD errno, for n = 0..133.  Linux errors NetBSD
 * does not have (the STREAMS/ham-radio/keyring families, EUCLEAN,
 * ENOMEDIUM, ...) stay 0 here and become EIO, the answer a NetBSD caller
 * already handles for "it failed".
 */
static const unsigned char linux2nb[] = {
	[1] = 1, [2] = 2, [3] = 3, [4] = 4, [5] = 5, [6] = 6, [7] = 7,
	[8] = 8, [9] = 9, [10] = 10,
	[11] = 35,	/* EAGAIN */
	[12] = 12, [13] = 13, [14] = 14, [15] = 15, [16] = 16, [17] = 17,
	[18] = 18, [19] = 19, [20] = 20, [21] = 21, [22] = 22, [23] = 23,
	[24] = 24, [25] = 25, [26] = 26, [27] = 27, [28] = 28, [29] = 29,
	[30] = 30, [31] = 31, [32] = 32, [33] = 33, [34] = 34,
	[35] = 11,	/* EDEADLK */
	[36] = 63,	/* ENAMETOOLONG */
	[37] = 77,	/* ENOLCK */
	[38] = 78,	/* ENOSYS */
	[39] = 66,	/* ENOTEMPTY */
	[40] = 62,	/* ELOOP */
	[42] = 83,	/* ENOMSG */
	[43] = 82,	/* EIDRM */
	[60] = 91,	/* ENOSTR */
	[61] = 89,	/* ENODATA */
	[62] = 92,	/* ETIME */
	[63] = 90,	/* ENOSR */
	[66] = 71,	/* EREMOTE */
	[67] = 95,	/* ENOLINK */
	[71] = 96,	/* EPROTO */
	[72] = 94,	/* EMULTIHOP */
	[74] = 88,	/* EBADMSG */
	[75] = 84,	/* EOVERFLOW */
	[84] = 85,	/* EILSEQ */
	[87] = 68,	/* EUSERS */
	[88] = 38,	/* ENOTSOCK */
	[89] = 39,	/* EDESTADDRREQ */
	[90] = 40,	/* EMSGSIZE */
	[91] = 41,	/* EPROTOTYPE */
	[92] = 42,	/* ENOPROTOOPT */
	[93] = 43,	/* EPROTONOSUPPORT */
	[94] = 44,	/* ESOCKTNOSUPPORT */
	[95] = 45,	/* EOPNOTSUPP */
	[96] = 46,	/* EPFNOSUPPORT */
	[97] = 47,	/* EAFNOSUPPORT */
	[98] = 48,	/* EADDRINUSE */
	[99] = 49,	/* EADDRNOTAVAIL */
	[100] = 50,	/* ENETDOWN */
	[101] = 51,	/* ENETUNREACH */
	[102] = 52,	/* ENETRESET */
	[103] = 53,	/* ECONNABORTED */
	[104] = 54,	/* ECONNRESET */
	[105] = 55,	/* ENOBUFS */
	[106] = 56,	/* EISCONN */
	[107] = 57,	/* ENOTCONN */
	[108] = 58,	/* ESHUTDOWN */
	[109] = 59,	/* ETOOMANYREFS */
	[110] = 60,	/* ETIMEDOUT */
	[111] = 61,	/* ECONNREFUSED */
	[112] = 64,	/* EHOSTDOWN */
	[113] = 65,	/* EHOSTUNREACH */
	[114] = 37,	/* EALREADY */
	[115] = 36,	/* EINPROGRESS */
	[116] = 70,	/* ESTALE */
	[122] = 69,	/* EDQUOT */
	[125] = 87,	/* ECANCELED */
	[130] = 97,	/* EOWNERDEAD */
	[131] = 98,	/* ENOTRECOVERABLE */
	[133] = 0,
};

#define NB_EIO		5

int
hyp_errno(int netbsd_errno)
{

	if (netbsd_errno == 0)
		return 0;
	/* Out-of-table values come from a confused hypervisor; EIO is
	 * the honest answer. */
	if (netbsd_errno < 0 || (size_t)netbsd_errno >= __arraycount(nb2linux))
		return EIO;
	return nb2linux[netbsd_errno];
}

int
hyp_errno_to_netbsd(int kernel_errno)
{

	if (kernel_errno == 0)
		return 0;
	/* The host-facing form of an interrupted call (errno.h). */
	if (kernel_errno == ERESTARTSYS)
		kernel_errno = EINTR;
	if (kernel_errno < 0 ||
	    (size_t)kernel_errno >= __arraycount(linux2nb) ||
	    linux2nb[kernel_errno] == 0)
		return NB_EIO;
	return linux2nb[kernel_errno];
}
