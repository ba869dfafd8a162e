/*
 * kvm_backend.c: the rest of backend.h for a virtual machine: the idle
 * wait, entropy, termination and the host-process calls (there is no
 * host process: the machine is the process).
 */
#include "kvm.h"
#include "rumpuser_common.h"

#define NB_ESRCH	3
#define NB_EOPNOTSUPP	45

void
rumpuser__backend_init(void)
{
}

int
rumpuser__backend_wait(uint64_t deadline)
{
	int n;

	kvm_irq_pending = 0;
	if ((n = kvm_dev_poll() + kvm_console_poll()) > 0)
		return 0;
	if (deadline == RUMPUSER__FOREVER && kvm_dev_busy() == 0 &&
	    kvm_console_busy() == 0)
		return RUMPUSER__WAIT_NOTHING;
	kvm_idle(kvm_dev_deadline(deadline));
	kvm_irq_pending = 0;
	(void)kvm_dev_poll();
	(void)kvm_console_poll();
	return 0;
}

static bool
rdrand64(uint64_t *v)
{
	unsigned char ok;
	int i;

	for (i = 0; i < 10; i++) {
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

/* xorshift over TSC readings: only where the CPU has no RDRAND (TCG
 * with an old CPU model); not for secrets, and said so once. */
static uint64_t
tsc_mix(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	x ^= kvm_rdtsc();
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

int
rumpuser__backend_random(void *buf, size_t len, int flags, size_t *gotp)
{
	static int have = -1;
	uint32_t r[4];
	uint64_t v;
	size_t i, n;

	(void)flags;
	if (have < 0) {
		kvm_cpuid(1, 0, r);
		have = (r[2] >> 30) & 1;
		if (!have)
			kvm_printf("kvm: no RDRAND; random numbers come from "
			    "the TSC and are weak\n");
	}
	for (i = 0; i < len; i += n) {
		if (!have || !rdrand64(&v))
			v = tsc_mix();
		n = len - i < 8 ? len - i : 8;
		memcpy((char *)buf + i, &v, n);
	}
	*gotp = len;
	return 0;
}

void
rumpuser__backend_exit(int status)
{

	kvm_poweroff(status, false);
}

void
rumpuser__backend_abort(void)
{

	kvm_printf("kvm: abort\n");
	kvm_poweroff(134, true);	/* 128 + SIGABRT, as a host process */
}

/* The libc glue's errno (kvm_libc.c). */
extern int errno;

/*
 * rumpuser_seterrno hands NetBSD numbers (the hypercall interface's);
 * programs here read errno with the Linux numbering of the headers they
 * were compiled with, as on the host platforms.  NetBSD errno n -> Linux
 * errno for n = 0..98 (NetBSD's <sys/errno.h>; the same mapping as the
 * kernel's hyp_errno.c, NetBSD-only errors to the nearest Linux one).
 */
static const unsigned char nb2linux[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
	10, 35, 12, 13, 14, 15, 16, 17, 18, 19,
	20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
	30, 31, 32, 33, 34, 11, 115, 114, 88, 89,
	90, 91, 92, 93, 94, 95, 96, 97, 98, 99,
	100, 101, 102, 103, 104, 105, 106, 107, 108, 109,
	110, 111, 40, 36, 112, 113, 39, 11, 87, 122,
	116, 66, 5, 5, 5, 5, 5, 37, 38, 22,
	13, 13, 43, 42, 75, 84, 95, 125, 74, 61,
	63, 60, 62, 61, 72, 67, 71, 130, 131,
};

void
rumpuser__backend_set_errno(int error)
{

	errno = error >= 0 && error < (int)(sizeof(nb2linux) /
	    sizeof(nb2linux[0])) ? nb2linux[error] : 5 /* EIO */;
}

int
rumpuser__backend_kill(int64_t pid, int sig)
{

	/* The machine is the only process: a signal to it ends it as the
	 * signal's default action would end a host process. */
	if (pid != RUMPUSER_PID_SELF)
		return NB_ESRCH;
	if (sig == 0)
		return 0;
	kvm_printf("kvm: killed by signal %d\n", sig);
	kvm_poweroff(128 + sig, true);
}

int
rumpuser__backend_daemonize_begin(void)
{

	return NB_EOPNOTSUPP;
}

int
rumpuser__backend_daemonize_done(int error)
{

	(void)error;
	return NB_EOPNOTSUPP;
}
