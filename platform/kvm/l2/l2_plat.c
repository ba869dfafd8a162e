/*
 * l2_plat.c: what l2 uses of the rest of platform/kvm (l2.h: l2_plat_*),
 * in one place: its page pool, the page map, the CPU's NX setting.
 */
#include "kvm.h"
#include "l2.h"

void *
l2_plat_page_alloc(void)
{

	return kvm_pages_alloc(1, KVM_PAGE_SIZE);	/* zeroed */
}

void
l2_plat_page_free(void *page)
{

	kvm_pages_free(page, 1);
}

uint64_t
l2_plat_virt_to_phys(const void *p)
{

	return kvm_virt_to_phys(p);
}

void *
l2_plat_phys_to_virt(uint64_t pa)
{

	return kvm_phys_to_virt(pa);
}

uint64_t *
l2_plat_pml4(void)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	return kvm_phys_to_virt(cr3 & 0x000ffffffffff000ull);
}

bool
l2_plat_nx(void)
{

	return (kvm_rdmsr(MSR_EFER) & EFER_NXE) != 0;
}

void
l2_plat_invlpg(uint64_t va)
{

	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

void
l2_plat_tlb_flush(void)
{
	uint64_t cr3;

	/* The program's pages are not global: reloading CR3 drops them. */
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : :
	    "memory");
}

void
l2_plat_user_range(uint64_t *lo, uint64_t *hi)
{
	uint64_t *pml4 = l2_plat_pml4();
	unsigned int i;

	/* The lower half, less the first 64 KiB (NULL and small offsets
	 * from it fault), less the last page (a SYSRET to a non-canonical
	 * address faults in ring 0 on Intel processors), and less any
	 * first entries of the page map the kernel holds (no U bit). */
	*lo = 0x10000;
	for (i = 0; i < 256 && (pml4[i] & PTE_P) != 0 && !(pml4[i] & PTE_U);
	    i++)
		*lo = (uint64_t)(i + 1) << 39;
	*hi = 0x00007ffffffff000ull;
}

int
l2_plat_console_getc(void)
{

	return kvm_console_getc();
}

bool
l2_plat_console_wait(void)
{

	return kvm_console_wait();
}

void
l2_plat_console_ready(void)
{

	/* strata-boot --stdin sends nothing before this line: what came
	 * earlier would be lost to the firmware and the UART's setup. */
	kvm_ctl_puts("stdin\n");
}

void
l2_plat_mem(uint64_t *total, uint64_t *free)
{
	size_t t, f;

	kvm_mem_stats(&t, &f);
	*total = (uint64_t)t * KVM_PAGE_SIZE;
	*free = (uint64_t)f * KVM_PAGE_SIZE;
}

/*
 * A fault of the program (ring 3), before the platform's register dump:
 * what the program printed is still in its standard output pipe; it goes
 * first, then the dump follows it.  The kernel is in a consistent state
 * (the fault came from the program's own code), so the pipes can be read.
 */
int
kvm_user_fault(const struct kvm_trapframe *f)
{
	struct l2_thread *t = l2_curthread();
	int sig;

	/* A write to memory shared copy-on-write since a fork (error code:
	 * present, write, user): the page is copied, the write goes on. */
	if (f->vector == 14 && (f->error & 7) == 7 && t != NULL) {
		uint64_t cr2;

		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		if (l2_vm_fault(cr2, true))
			return 1;
	}

	/* A process other than the first ends as Linux ends it, by the
	 * signal the exception raises (its parent sees it in wait); the
	 * machine goes on.  One line on the console says where. */
	if (t != NULL && t->proc != l2_init_proc) {
		uint64_t cr2;

		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		switch (f->vector) {
		case 0: case 16: case 19: sig = 8; break;	/* SIGFPE */
		case 3: sig = 5; break;				/* SIGTRAP */
		case 6: sig = 4; break;				/* SIGILL */
		case 17: sig = 7; break;			/* SIGBUS */
		default: sig = 11; break;			/* SIGSEGV */
		}
		l2_printf("strata: process %d: exception %lu at RIP %#lx "
		    "(address %#lx): signal %d\n", t->proc->pid,
		    (unsigned long)f->vector, (unsigned long)f->rip,
		    (unsigned long)(f->vector == 14 ? cr2 : 0), sig);
		t->fault_sig = sig;
		l2_user_abandon();
	}
	l2_exiting = true;
	l2_ksys(162 /* sync */, 0, 0, 0, 0, 0, 0);
	l2_mounts_fini();
	l2_stdio_flush();
	l2_printf("strata: the program crashed (a fault in ring 3):\n");
	return 0;
}
