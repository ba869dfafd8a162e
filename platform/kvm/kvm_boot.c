/*
 * kvm_boot.c: from boot.S to main().  Reads the boot information
 * (multiboot or PVH: the memory map and the command line), sets up the
 * processor, memory and clocks, splits the command line into the
 * environment and the arguments, and calls main(argc, argv, envp); its
 * return value is the machine's exit status.
 *
 * Command line: words separated by spaces; a word's bytes other than
 * letters, digits and ._-/=:,+@ may be written %XX (hex), which is how
 * strata-boot passes any string.  Words before "--" of the form NAME=VALUE
 * are the environment (and the platform's parameters: RUMP_VERBOSE...);
 * other words, and every word after "--", are the arguments, argv[0]
 * first.  Under multiboot QEMU puts the image's file name first; it is
 * skipped.
 */
#include "kvm.h"
#include "rumpuser_common.h"

#define MSR_FS_BASE	0xC0000100
#define MAXWORDS	256
#define CMDLINE_MAX	8192
/* main's stack, with a guard page below (the boot stack has none). */
#define MAIN_STACK	(1024 * 1024)

extern uint32_t kvm_boot_magic, kvm_boot_info;
extern void (*__init_array_start[])(int, char **, char **);
extern void (*__init_array_end[])(int, char **, char **);

uint64_t kvm_main_tsc;
char **kvm_environ;

static char cmdline[CMDLINE_MAX];
static char *argv[MAXWORDS + 1], *envp[MAXWORDS + 1];

/* The default thread pointer (FS base): a block whose first word points
 * to itself, as the x86_64 TLS ABI has it, with room for a stack
 * protector's canary at %fs:0x28. */
static uint64_t tcb[32] __attribute__((__aligned__(64)));

static void
copy_cmdline(uint64_t pa)
{
	const char *s;
	size_t i;

	if (pa == 0 || pa >= 0xC0000000ULL)
		return;
	s = kvm_phys_to_virt(pa);
	for (i = 0; i + 1 < sizeof(cmdline) && s[i] != '\0'; i++)
		cmdline[i] = s[i];
	cmdline[i] = '\0';
}

static void
read_multiboot(uint32_t info)
{
	const uint8_t *mbi = kvm_phys_to_virt(info);
	uint32_t flags = *(const uint32_t *)mbi, len, addr, off;
	const uint8_t *e;

	if (flags & (1u << 2))
		copy_cmdline(*(const uint32_t *)(mbi + 16));
	if (flags & (1u << 6)) {
		len = *(const uint32_t *)(mbi + 44);
		addr = *(const uint32_t *)(mbi + 48);
		for (off = 0; off + 24 <= len;
		    off += *(const uint32_t *)e + 4) {
			e = kvm_phys_to_virt((uint64_t)addr + off);
			if (*(const uint32_t *)(e + 20) == 1)	/* RAM */
				kvm_mem_add_ram(*(const uint64_t *)(e + 4),
				    *(const uint64_t *)(e + 4) +
				    *(const uint64_t *)(e + 12));
		}
	} else if (flags & 1) {
		kvm_mem_add_ram(0x100000, 0x100000 +
		    (uint64_t)*(const uint32_t *)(mbi + 8) * 1024);
	}
}

static uint8_t
cmos(uint8_t reg)
{

	kvm_outb(0x70, reg);
	return kvm_inb(0x71);
}

static void
read_pvh(uint32_t info)
{
	const uint8_t *si = kvm_phys_to_virt(info);
	uint32_t version = *(const uint32_t *)(si + 4), n, i;
	const uint8_t *e;
	uint64_t kb, blocks;

	if (*(const uint32_t *)si != PVH_BOOT_MAGIC) {
		kvm_printf("kvm: PVH start without hvm_start_info\n");
		kvm_poweroff(1, true);
	}
	copy_cmdline(*(const uint64_t *)(si + 24));
	n = version >= 1 ? *(const uint32_t *)(si + 48) : 0;
	e = kvm_phys_to_virt(*(const uint64_t *)(si + 40));
	for (i = 0; i < n; i++, e += 24)
		if (*(const uint32_t *)(e + 16) == 1)
			kvm_mem_add_ram(*(const uint64_t *)e,
			    *(const uint64_t *)e + *(const uint64_t *)(e + 8));
	if (n == 0) {
		/* No map: the CMOS's memory size, as the PC BIOS keeps it
		 * (1-16 MiB in KiB, above 16 MiB in 64 KiB blocks). */
		kb = (uint64_t)cmos(0x30) | (uint64_t)cmos(0x31) << 8;
		blocks = (uint64_t)cmos(0x34) | (uint64_t)cmos(0x35) << 8;
		if (blocks != 0)
			kvm_mem_add_ram(0x100000, 0x1000000 + (blocks << 16));
		else
			kvm_mem_add_ram(0x100000, 0x100000 + kb * 1024);
	}
}

static int
hexval(char c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in place. */
static void
unescape(char *w)
{
	char *o = w;

	while (*w != '\0') {
		if (w[0] == '%' && hexval(w[1]) >= 0 && hexval(w[2]) >= 0) {
			*o++ = (char)(hexval(w[1]) * 16 + hexval(w[2]));
			w += 3;
		} else
			*o++ = *w++;
	}
	*o = '\0';
}

static bool
is_assignment(const char *w)
{
	const char *p = w;

	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	    *p == '_'))
		return false;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	    (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	return *p == '=';
}

static int
split_cmdline(bool skip_first)
{
	char *p = cmdline, *w;
	int argc = 0, envc = 0;
	bool args_only = false;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		if (skip_first) {
			skip_first = false;
			continue;
		}
		if (!args_only && w[0] == '-' && w[1] == '-' && w[2] == '\0') {
			args_only = true;
			continue;
		}
		if (!args_only && is_assignment(w)) {
			if (envc < MAXWORDS) {
				unescape(w);
				envp[envc++] = w;
			}
		} else if (argc < MAXWORDS) {
			unescape(w);
			argv[argc++] = w;
		}
	}
	envp[envc] = NULL;
	if (argc == 0)
		argv[argc++] = (char *)"main";
	argv[argc] = NULL;
	return argc;
}

int
rumpuser__backend_param(const char *name, char *buf, size_t buflen)
{
	size_t n = str_len(name), len;
	char **e;

	for (e = kvm_environ; e != NULL && *e != NULL; e++) {
		if (memcmp(*e, name, n) != 0 || (*e)[n] != '=')
			continue;
		len = str_len(*e + n + 1) + 1;
		if (len > buflen)
			return NB_E2BIG;
		memcpy(buf, *e + n + 1, len);
		return 0;
	}
	return NB_ENOENT;
}

void kvm_boot(uint32_t magic, uint32_t info);
void exit(int) __attribute__((__noreturn__));

static int main_argc;

static void __attribute__((__noreturn__, __used__))
call_main(void)
{

	kvm_main_tsc = kvm_rdtsc();
	exit(main(main_argc, argv, envp));
}

void
kvm_boot(uint32_t magic, uint32_t info)
{
	void (**fn)(int, char **, char **);
	void *stack;
	char v[8];
	int argc;

	kvm_console_init();
	if (magic == MB_BOOT_MAGIC)
		read_multiboot(info);
	else
		read_pvh(info);
	kvm_cpu_init();
	kvm_mem_init();
	kvm_clock_init();

	tcb[0] = (uintptr_t)tcb;
	tcb[5] = 0x2f8dd5a7c3e1b609ULL ^ kvm_rdtsc();	/* %fs:0x28 */
	kvm_wrmsr(MSR_FS_BASE, (uintptr_t)tcb);

	argc = split_cmdline(magic == MB_BOOT_MAGIC);
	kvm_environ = envp;
	for (fn = __init_array_start; fn < __init_array_end; fn++)
		(*fn)(argc, argv, envp);

	if (rumpuser__backend_param("KVM_BOOTTIME", v, sizeof(v)) == 0 &&
	    v[0] == '1')
		kvm_printf("kvm: boot to main %lu ns (TSC %lu Hz)\n",
		    (unsigned long)((kvm_rdtsc() - kvm_boot_tsc) * 1000 /
		    (kvm_tsc_hz / 1000000 ? kvm_tsc_hz / 1000000 : 1)),
		    (unsigned long)kvm_tsc_hz);
	main_argc = argc;
	if (rumpuser__backend_pages_alloc(NULL, MAIN_STACK, 0,
	    RUMPUSER__PAGES_GUARD, &stack) != 0) {
		kvm_printf("kvm: no memory for main's stack\n");
		kvm_poweroff(1, true);
	}
	/* platform/common's "main" thread is whatever runs first: main on
	 * its own stack, never to return here. */
	__asm__ volatile("mov %0, %%rsp; xor %%ebp, %%ebp; call call_main"
	    : : "r"((char *)stack + MAIN_STACK) : "memory");
	__builtin_unreachable();
}
