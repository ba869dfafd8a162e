/*
 * l2_elf.h: loading an unmodified static x86_64 Linux program and building
 * its initial stack, as Linux's execve() does (System V x86-64 psABI,
 * "Process Initialization").
 *
 * Freestanding and free of any platform call: the loader reaches memory
 * only through the operations its caller hands in, so the same code maps
 * a program into the guest's page tables (l2_vm.c) and into a plain
 * buffer in a host-run unit test (apps/tests/t_kvm_l2_elf.c).
 *
 * The header includes nothing: the includer provides uint64_t, size_t
 * (platform code from <common/types.h>, a host test from <stdint.h>).
 *
 * Errors are Linux errno values (the program's ABI): ENOEXEC 8 for a file
 * that is not a static x86_64 executable, E2BIG 7 when arguments do not
 * fit the stack, or what a memory operation returned.
 */
#ifndef L2_ELF_H
#define L2_ELF_H

#define L2_ENOEXEC	8
#define L2_E2BIG	7
#define L2_ENOMEM	12
#define L2_EINVAL	22

/* Page protections, as mmap's PROT_* values. */
#define L2_PROT_READ	1
#define L2_PROT_WRITE	2
#define L2_PROT_EXEC	4

#define L2_PAGE_SIZE	4096ul
#define L2_ELF_MAXSEG	16

/* One PT_LOAD segment, at its link-time address (before the bias). */
struct l2_elf_seg {
	uint64_t	va;		/* p_vaddr */
	uint64_t	memsz;
	uint64_t	filesz;
	uint64_t	off;		/* p_offset */
	int		prot;		/* L2_PROT_* from p_flags */
};

/* What l2_elf_parse() learnt; addresses are link-time (add the bias). */
struct l2_elf {
	const unsigned char *file;
	size_t		 filelen;
	int		 pie;		/* ET_DYN: static-pie, goes anywhere */
	uint64_t	 lo, hi;	/* page-aligned span of the segments */
	uint64_t	 entry;
	uint64_t	 phdr;		/* address of the program headers */
	unsigned int	 phnum;
	unsigned int	 nseg;		/* PT_LOAD segments, ascending */
	struct l2_elf_seg seg[L2_ELF_MAXSEG];
};

/*
 * Checks that file (len bytes) is an x86_64 ELF executable the guest can
 * run -- ET_EXEC or ET_DYN (static-pie), no PT_INTERP (a dynamic program
 * needs an interpreter, which the guest has no file of), segments inside
 * the file, ascending, page-congruent -- and fills *e.  Returns 0 or
 * ENOEXEC with *why saying what is wrong.
 */
int l2_elf_parse(const void *file, size_t len, struct l2_elf *e,
    const char **why);

/* How the loader reaches the memory it fills. */
struct l2_elf_mem {
	void	*ctx;
	/* Makes [va, va + len) (whole pages) mapped, zeroed and writable;
	 * 0 or an errno.  Called once per page: never twice for one. */
	int	(*map)(void *ctx, uint64_t va, uint64_t len);
	/* Sets the final protection (L2_PROT_*) of mapped pages [va, va +
	 * len); 0 or an errno. */
	int	(*protect)(void *ctx, uint64_t va, uint64_t len, int prot);
	/* Where the loader writes the len bytes at mapped va. */
	void	*(*ptr)(void *ctx, uint64_t va, uint64_t len);
};

/*
 * Maps e's segments at link address + bias (0 for ET_EXEC; for a
 * static-pie a page-aligned base - e->lo), copies the file bytes, leaves
 * the rest (bss, and the tail of the last file page of a writable
 * segment) zero, and gives each page its segment's protection (the union
 * where two segments share a page).  Returns 0 or the error of an
 * operation (the pages mapped so far stay: the caller drops the space).
 */
int l2_elf_load(const struct l2_elf *e, uint64_t bias,
    const struct l2_elf_mem *mem);

/* What goes into the initial stack besides argv and envp. */
struct l2_stack_info {
	const char *const *argv;	/* NULL-terminated */
	const char *const *envp;	/* NULL-terminated */
	const char	*execfn;	/* AT_EXECFN string */
	const char	*platform;	/* AT_PLATFORM string ("x86_64") */
	unsigned char	 random[16];	/* AT_RANDOM bytes */
	uint64_t	 phdr;		/* AT_PHDR, biased */
	uint64_t	 phnum;
	uint64_t	 entry;		/* AT_ENTRY, biased */
	uint64_t	 hwcap;		/* AT_HWCAP: CPUID.1:EDX */
	uint64_t	 hwcap2;
	uint64_t	 clktck;	/* AT_CLKTCK */
	uint64_t	 uid, gid;	/* AT_UID/EUID, AT_GID/EGID */
};

/*
 * Builds the initial stack in the memory at mem, which is what the
 * program sees at [va, va + len) (the top of its stack; va + len is the
 * highest address): strings at the top, then the 16-byte-aligned block
 * argc, argv[], NULL, envp[], NULL, auxv pairs ending in AT_NULL.  Sets
 * *spp to the program's initial stack pointer (pointing at argc).
 * Returns 0, or E2BIG when it does not fit.
 */
int l2_stack_build(void *mem, uint64_t va, size_t len,
    const struct l2_stack_info *si, uint64_t *spp);

/* Auxiliary vector keys (<elf.h>), for the builder and its tests. */
#define L2_AT_NULL	0
#define L2_AT_PHDR	3
#define L2_AT_PHENT	4
#define L2_AT_PHNUM	5
#define L2_AT_PAGESZ	6
#define L2_AT_BASE	7
#define L2_AT_FLAGS	8
#define L2_AT_ENTRY	9
#define L2_AT_UID	11
#define L2_AT_EUID	12
#define L2_AT_GID	13
#define L2_AT_EGID	14
#define L2_AT_PLATFORM	15
#define L2_AT_HWCAP	16
#define L2_AT_CLKTCK	17
#define L2_AT_SECURE	23
#define L2_AT_RANDOM	25
#define L2_AT_HWCAP2	26
#define L2_AT_EXECFN	31

#endif /* L2_ELF_H */
