/*
 * bench_kvm_linux_init.c: the peer of bench_kvm_boot.sh: the only program
 * (/init) of a minimal Linux guest's initramfs.  Prints its time since
 * the kernel started (CLOCK_BOOTTIME: boot to main), "hello", and powers
 * the machine off.  Built static with the host's C library.
 */
#include <stdio.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

int
main(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	printf("linux: boot to main %ld ns\nhello\n",
	    (long)ts.tv_sec * 1000000000L + ts.tv_nsec);
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 0;
}
