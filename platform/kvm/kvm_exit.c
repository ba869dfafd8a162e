/*
 * kvm_exit.c: the end of the virtual machine, with a status.
 *
 * QEMU's isa-debug-exit device (I/O port 0xf4, which strata-boot adds)
 * ends QEMU at once with exit status (value << 1) | 1: only 7 bits of the
 * guest's status get through, so the whole status also goes, as a line,
 * to the second serial port ("exit N" or "abort N"), which strata-boot
 * reads.  Without the device the machine shuts down by a triple fault
 * (QEMU with -no-reboot then exits).  The same port carries the guest's
 * other word to strata-boot: "stdin", when it is ready to receive its
 * standard input on the console.
 */
#include "kvm.h"
#include "rumpuser_common.h"

#define COM2		0x2f8
#define DEBUG_EXIT	0xf4

static void
com2_puts(const char *s)
{

	while (*s != '\0')
		kvm_outb(COM2, (uint8_t)*s++);
}

void
kvm_ctl_puts(const char *line)
{

	com2_puts(line);
}

void
kvm_poweroff(int status, bool aborted)
{
	char line[32];
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((__packed__)) noidt = { 0, 0 };

	__asm__ volatile("cli");
	rumpuser__format(line, sizeof(line), "%s %d\n",
	    aborted ? "abort" : "exit", status & 0xff);
	com2_puts(line);
	kvm_outb(DEBUG_EXIT, (uint8_t)(status & 0x7f));
	/* Still here: no exit device.  A fault with no IDT is a triple
	 * fault, which resets (or, with -no-reboot, ends) the machine. */
	__asm__ volatile("lidt %0; int3" : : "m"(noidt));
	for (;;)
		__asm__ volatile("hlt");
}
