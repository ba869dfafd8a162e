/*
 * kvm.h: the kvm platform's internal interfaces (x86_64 virtual machine
 * under KVM or QEMU's TCG, booted by QEMU -kernel).  Never installed.
 *
 * The platform is a backend of platform/common (backend.h): the
 * scheduler, threads and every rumpuser(3) call are common code; this
 * directory brings the machine up and supplies memory, clocks, the idle
 * wait, the console, devices and termination.  README describes the boot
 * sequence and the memory layout.
 *
 * Everything here runs with interrupts disabled except inside the idle
 * wait (kvm_idle), on one CPU, under platform/common's cooperative
 * scheduler: nothing is called concurrently, and no function may switch
 * threads unless it says so.  Other parts of this platform (e.g. the
 * in-guest Linux program loader in a subdirectory) build on these.
 */
#ifndef KVM_H
#define KVM_H

#include <common/types.h>
#include <common/string.h>

#include "backend.h"
#include "kvm_asm.h"

#define KVM_HIDDEN	RUMPUSER__HIDDEN

/*
 * Boot (kvm_boot.c)
 */

/* TSC at the image's first instruction (boot.S) and at main's call. */
extern uint64_t kvm_boot_tsc KVM_HIDDEN;
extern uint64_t kvm_main_tsc KVM_HIDDEN;

/* The environment handed to main (NAME=VALUE words of the command line),
 * NULL-terminated; the parameters of rumpuser__backend_param come from
 * it too. */
extern char **kvm_environ KVM_HIDDEN;

/* Image bounds from the linker script. */
extern char __image_start[], __text_end[], __image_end[];

/* The user program's entry point. */
int main(int argc, char **argv, char **envp);

/*
 * Console (kvm_console.c): COM1, 115200 8N1; output polled, input either
 * polled or, once kvm_console_wait has been used, interrupt-driven (IRQ 4
 * through the IOAPIC into a ring the reader drains).
 */
void kvm_console_init(void) KVM_HIDDEN;
void kvm_console_putc(char c) KVM_HIDDEN;
void kvm_console_write(const char *buf, size_t len) KVM_HIDDEN;
/* The next byte received, or -1 when none is waiting (never blocks). */
int kvm_console_getc(void) KVM_HIDDEN;
/* Blocks the calling platform thread until the console has received
 * something (kvm_console_getc then has a byte, or finds none when the
 * byte was taken meanwhile): true; false at once when the console cannot
 * interrupt (no IOAPIC): the caller polls.  One waiter at a time. */
bool kvm_console_wait(void) KVM_HIDDEN;
/* From the idle wait: wakes the waiter when input came (1), else 0;
 * whether one waits (the idle wait must not take it for a deadlock). */
int kvm_console_poll(void) KVM_HIDDEN;
int kvm_console_busy(void) KVM_HIDDEN;
/* A line to strata-boot on the status port, COM2 (kvm_exit.c). */
void kvm_ctl_puts(const char *line) KVM_HIDDEN;
/* printf-style to the console (platform/common's formatter: %d %u %x %lx
 * %llx %p %s %c, widths, 0 padding). */
void kvm_printf(const char *fmt, ...) KVM_HIDDEN
    __attribute__((__format__(__printf__, 1, 2)));

/*
 * Physical memory (kvm_mem.c).  Guest physical addresses are identity
 * mapped, so a pointer is its physical address.
 */
#define KVM_PAGE_SIZE	4096

/* Adds [start, end) of RAM (from the boot memory map) to the page pool;
 * called before kvm_mem_init. */
void kvm_mem_add_ram(uint64_t start, uint64_t end) KVM_HIDDEN;
/* Sets up the page pool from the RAM added, minus the image and the low
 * first MiB. */
void kvm_mem_init(void) KVM_HIDDEN;
/* npages contiguous zeroed pages aligned to align bytes (a power of two,
 * at least a page), or NULL.  Never blocks. */
void *kvm_pages_alloc(size_t npages, size_t align) KVM_HIDDEN;
void kvm_pages_free(void *p, size_t npages) KVM_HIDDEN;
/* Physical address of a kernel pointer (the image's, at KERNBASE, or
 * the direct map's, at DMAP), and the kernel pointer of a physical
 * address below 4 GiB (RAM and device memory, through the direct map),
 * e.g. for DMA. */
static inline uint64_t
kvm_virt_to_phys(const void *p)
{
	uintptr_t va = (uintptr_t)p;

	return va >= KERNBASE ? va - KERNBASE : va - DMAP;
}
static inline void *
kvm_phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(pa + DMAP);
}
/* va is mapped (readable). */
bool kvm_mapped(uintptr_t va) KVM_HIDDEN;
/* Totals of the pool, in pages. */
void kvm_mem_stats(size_t *total, size_t *free) KVM_HIDDEN;
/* Maps [phys, phys + size) of device memory (uncached) at
 * kvm_phys_to_virt(phys); memory below 4 GiB is mapped from boot. */
int kvm_map_mmio(uint64_t phys, uint64_t size) KVM_HIDDEN;

/*
 * CPU (kvm_cpu.c): GDT with a TSS (IST stacks), IDT, interrupts.
 */
void kvm_cpu_init(void) KVM_HIDDEN;

/* The registers saved by trap.S, lowest address first. */
struct kvm_trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the processor */
};

/* Optional (weak): called first when an exception comes from ring 3 (a
 * program run by l2), before the register dump and power-off; it may
 * instead end the program's process and not return, or return non-zero
 * when it has resolved the fault (a copy-on-write page): the program
 * then goes on where it was. */
int kvm_user_fault(const struct kvm_trapframe *f) __attribute__((__weak__));

/* A handler for device interrupt vector VEC_DEV0 + n: called with
 * interrupts disabled from the idle wait; may only record what happened
 * (platform/common is delivered to afterwards, outside the handler). */
typedef void (*kvm_irq_fn)(void *arg);
/* Allocates a device vector with its handler; returns the vector or -1. */
int kvm_irq_alloc(kvm_irq_fn fn, void *arg) KVM_HIDDEN;
/* Ends the interrupt being handled at the LAPIC. */
void kvm_lapic_eoi(void) KVM_HIDDEN;
/* Sends the IOAPIC's input pin (an ISA IRQ on QEMU's pc and microvm,
 * where ISA IRQ n is pin n but for the timer) to this CPU's vector, edge
 * triggered, active high: 0, or -1 without an IOAPIC or that pin. */
int kvm_ioapic_route(unsigned int pin, int vector) KVM_HIDDEN;

static inline void
kvm_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t
kvm_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void
kvm_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint32_t
kvm_inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t
kvm_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t
kvm_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void
kvm_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
	    "d"((uint32_t)(v >> 32)));
}
static inline void
kvm_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]),
	    "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/*
 * Clocks and the timer (kvm_clock.c): TSC-based monotonic time (scaled by
 * kvmclock's parameters under KVM, by a PIT calibration otherwise), the
 * wall clock from the CMOS RTC at boot, and the LAPIC one-shot timer.
 */
void kvm_clock_init(void) KVM_HIDDEN;
uint64_t kvm_clock_ns(void) KVM_HIDDEN;
/* TSC ticks per second. */
extern uint64_t kvm_tsc_hz KVM_HIDDEN;
/* Halts until an interrupt or the monotonic clock reaches deadline
 * (RUMPUSER__FOREVER: no timer); returns at once if one of the device
 * interrupts has already arrived (kvm_irq_pending). */
void kvm_idle(uint64_t deadline) KVM_HIDDEN;
/* Set by device interrupt handlers' vectors; cleared by the wait. */
extern volatile int kvm_irq_pending KVM_HIDDEN;

/*
 * Termination (kvm_exit.c): writes the status to QEMU's isa-debug-exit
 * device (port 0xf4; QEMU exits with 2 * value + 1) and to the second
 * serial port ("exit N" / "abort"; strata-boot reads it for the full
 * 8-bit status), then powers off.
 */
void kvm_poweroff(int status, bool aborted) KVM_HIDDEN
    __attribute__((__noreturn__));

/*
 * Devices (kvm_dev.c): the virtio block devices the backend's files are,
 * by name (/dev/vda... or the device's serial), and the I/O they complete
 * inside rumpuser__backend_wait.
 */
/* Scans PCI and attaches the devices (once; also on first use). */
void kvm_dev_init(void) KVM_HIDDEN;
/* Delivers completions; returns how many. */
int kvm_dev_poll(void) KVM_HIDDEN;
/* Requests in flight on all devices. */
int kvm_dev_busy(void) KVM_HIDDEN;
/* deadline, or earlier when a device without interrupts must be
 * polled. */
uint64_t kvm_dev_deadline(uint64_t deadline) KVM_HIDDEN;

#endif /* KVM_H */
