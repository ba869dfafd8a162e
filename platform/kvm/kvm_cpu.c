/*
 * kvm_cpu.c: the processor's tables (TSS with interrupt stacks, IDT) and
 * what happens on an interrupt or exception.  An exception is fatal: the
 * registers, the faulting address and a backtrace go to the console and
 * the machine powers off with a failure status (README: exit status).
 */
#include "kvm.h"
#include "rumpuser_common.h"

#define IST_SIZE	(16 * 1024)

struct tss {
	uint32_t	reserved0;
	uint64_t	rsp[3];
	uint64_t	reserved1;
	uint64_t	ist[7];
	uint64_t	reserved2;
	uint16_t	reserved3;
	uint16_t	iomap;
} __attribute__((__packed__));

struct idt_entry {
	uint16_t	off_lo;
	uint16_t	sel;
	uint8_t		ist;
	uint8_t		type;
	uint16_t	off_mid;
	uint32_t	off_hi;
	uint32_t	zero;
};

extern uint64_t kvm_gdt[];
extern const uint64_t kvm_trap_stubs[256];
extern char kvm_boot_stack[], kvm_boot_stack_top[];

static struct tss tss __attribute__((__aligned__(16)));
static struct idt_entry idt[256] __attribute__((__aligned__(16)));
static char ist_stack[2][IST_SIZE] __attribute__((__aligned__(16)));

static struct {
	kvm_irq_fn	 fn;
	void		*arg;
} irqs[VEC_NDEV];
static int nirqs;

volatile int kvm_irq_pending;
static volatile uint32_t *lapic = (uint32_t *)(DMAP + 0xFEE00000);

void
kvm_cpu_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((__packed__)) desc;
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;
	unsigned int v;

	/* IST1 for every vector; IST2 for the double fault and NMI, so
	 * that a fault on IST1 itself still gets reported. */
	tss.ist[0] = (uintptr_t)ist_stack[0] + IST_SIZE;
	tss.ist[1] = (uintptr_t)ist_stack[1] + IST_SIZE;
	tss.iomap = sizeof(tss);
	kvm_gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
	    (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
	    (((base >> 24) & 0xff) << 56);
	kvm_gdt[GDT_TSS / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS));

	for (v = 0; v < 256; v++) {
		uint64_t a = kvm_trap_stubs[v];

		idt[v] = (struct idt_entry){
			.off_lo = (uint16_t)a, .sel = GDT_KCODE,
			.ist = (v == 2 || v == 8) ? 2 : 1,
			.type = 0x8E,		/* present interrupt gate */
			.off_mid = (uint16_t)(a >> 16),
			.off_hi = (uint32_t)(a >> 32),
		};
	}
	desc.limit = sizeof(idt) - 1;
	desc.base = (uintptr_t)idt;
	__asm__ volatile("lidt %0" : : "m"(desc));

	/* The legacy PICs stay silent: everything goes through the LAPIC. */
	kvm_outb(0x21, 0xff);
	kvm_outb(0xa1, 0xff);
	/* LAPIC on, spurious vector. */
	lapic[0xF0 / 4] = 0x100 | VEC_SPURIOUS;
}

int
kvm_irq_alloc(kvm_irq_fn fn, void *arg)
{

	if (nirqs == VEC_NDEV)
		return -1;
	irqs[nirqs].fn = fn;
	irqs[nirqs].arg = arg;
	return VEC_DEV0 + nirqs++;
}

void
kvm_lapic_eoi(void)
{

	lapic[0xB0 / 4] = 0;
}

/* The IOAPIC where QEMU (and PC firmware) puts it: an index register
 * and a data window 16 bytes above it. */
#define IOAPIC_BASE	0xFEC00000ull
#define IOAPIC_VER	0x01
#define IOAPIC_REDTBL	0x10

static uint32_t
ioapic_read(unsigned int reg)
{
	volatile uint32_t *io = (uint32_t *)(DMAP + IOAPIC_BASE);

	io[0] = reg;
	return io[4];
}

static void
ioapic_write(unsigned int reg, uint32_t v)
{
	volatile uint32_t *io = (uint32_t *)(DMAP + IOAPIC_BASE);

	io[0] = reg;
	io[4] = v;
}

int
kvm_ioapic_route(unsigned int pin, int vector)
{
	uint32_t ver = ioapic_read(IOAPIC_VER);

	/* Nothing there reads all ones; bits 16-23 are the last pin. */
	if (ver == 0xffffffff || (ver & 0xff) == 0 || vector < 0x20 ||
	    vector > 0xfe || pin > ((ver >> 16) & 0xff))
		return -1;
	/* Destination: this CPU's LAPIC id (physical mode); the low half
	 * last, as it unmasks: fixed delivery, active high, edge. */
	ioapic_write(IOAPIC_REDTBL + 2 * pin + 1, lapic[0x20 / 4] & 0xff000000);
	ioapic_write(IOAPIC_REDTBL + 2 * pin, (uint32_t)vector);
	return 0;
}

static const char *const exc_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow",
	"bound range", "invalid opcode", "device not available",
	"double fault", "coprocessor overrun", "invalid TSS",
	"segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 floating point", "alignment check",
	"machine check", "SIMD floating point", "virtualization",
	"control protection",
};

/* An address the backtrace may read: mapped RAM of the image or pool. */
static bool
readable(uint64_t a)
{

	return (a & 7) == 0 && kvm_mapped(a) && kvm_mapped(a + 8);
}

static bool
in_text(uint64_t a)
{

	return a >= (uintptr_t)__image_start && a < (uintptr_t)__text_end;
}

/* An exception: fatal, unless a program's fault is resolved (then it
 * returns, and the program goes on). */
static void
fatal_exception(const struct kvm_trapframe *f)
{
	static int nested;
	uint64_t cr2, cr3, *fp, *sp;
	unsigned int i, n;

	/* First, before this counts as a report: a program's fault may
	 * end only its process (and not return here). */
	if ((f->cs & 3) == 3 && kvm_user_fault != NULL && nested == 0 &&
	    kvm_user_fault(f) != 0)
		return;
	if (nested++) {
		kvm_printf("kvm: exception %lu while reporting one\n",
		    (unsigned long)f->vector);
		kvm_poweroff(134, true);
	}
	__asm__ volatile("mov %%cr2, %0; mov %%cr3, %1" : "=r"(cr2),
	    "=r"(cr3));
	kvm_printf("\nkvm: fatal exception %lu (%s) in %s, error code 0x%lx\n",
	    (unsigned long)f->vector, f->vector < 32 &&
	    exc_names[f->vector] != NULL ? exc_names[f->vector] : "?",
	    (f->cs & 3) == 3 ? "user mode" : "kernel mode",
	    (unsigned long)f->error);
	if (f->vector == 14)
		kvm_printf("kvm: page fault %s address 0x%016lx (%s, %s)\n",
		    (f->error & 2) ? "writing" : "reading",
		    (unsigned long)cr2,
		    (f->error & 1) ? "protection" : "not mapped",
		    (f->error & 16) ? "instruction fetch" : "data");
	kvm_printf("RIP=%016lx RSP=%016lx RFLAGS=%016lx\n",
	    (unsigned long)f->rip, (unsigned long)f->rsp,
	    (unsigned long)f->rflags);
	kvm_printf("RAX=%016lx RBX=%016lx RCX=%016lx RDX=%016lx\n",
	    (unsigned long)f->rax, (unsigned long)f->rbx,
	    (unsigned long)f->rcx, (unsigned long)f->rdx);
	kvm_printf("RSI=%016lx RDI=%016lx RBP=%016lx R8 =%016lx\n",
	    (unsigned long)f->rsi, (unsigned long)f->rdi,
	    (unsigned long)f->rbp, (unsigned long)f->r8);
	kvm_printf("R9 =%016lx R10=%016lx R11=%016lx R12=%016lx\n",
	    (unsigned long)f->r9, (unsigned long)f->r10,
	    (unsigned long)f->r11, (unsigned long)f->r12);
	kvm_printf("R13=%016lx R14=%016lx R15=%016lx\n",
	    (unsigned long)f->r13, (unsigned long)f->r14,
	    (unsigned long)f->r15);
	kvm_printf("CR2=%016lx CR3=%016lx CS=%04lx SS=%04lx\n",
	    (unsigned long)cr2, (unsigned long)cr3, (unsigned long)f->cs,
	    (unsigned long)f->ss);

	/* The frame-pointer chain, where the code keeps one (strata-bake
	 * compiles programs with frame pointers; the kernel may not). */
	kvm_printf("backtrace (addr2line -e IMAGE ADDR...):\n  %016lx\n",
	    (unsigned long)f->rip);
	fp = (uint64_t *)(uintptr_t)f->rbp;
	for (n = 0; n < 32 && readable((uintptr_t)fp) &&
	    in_text(fp[1]); n++) {
		kvm_printf("  %016lx\n", (unsigned long)fp[1]);
		if (fp[0] <= (uintptr_t)fp)
			break;
		fp = (uint64_t *)(uintptr_t)fp[0];
	}
	/* Without a chain: code addresses on the stack, which include the
	 * return addresses of the calls in progress. */
	if (n < 2 && readable(f->rsp)) {
		kvm_printf("code addresses on the stack:\n");
		sp = (uint64_t *)(uintptr_t)f->rsp;
		for (i = 0, n = 0; i < 256 && n < 16 &&
		    readable((uintptr_t)(sp + i)); i++)
			if (in_text(sp[i])) {
				kvm_printf("  %016lx\n", (unsigned long)sp[i]);
				n++;
			}
	}
	/* As a host program killed by a fault ends after a core dump: the
	 * status of an abort (128 + SIGABRT), which a panic ends with too. */
	kvm_poweroff(134, true);
}

void kvm_trap(struct kvm_trapframe *f);

void
kvm_trap(struct kvm_trapframe *f)
{
	uint64_t v = f->vector;

	if (v < 32) {
		fatal_exception(f);
		return;
	}
	if (v == VEC_SPURIOUS)
		return;
	if (v >= VEC_DEV0 && v < VEC_DEV0 + (uint64_t)nirqs) {
		irqs[v - VEC_DEV0].fn(irqs[v - VEC_DEV0].arg);
		kvm_irq_pending = 1;
	}
	kvm_lapic_eoi();
}
