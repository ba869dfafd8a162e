/*
 * run_elf.c: loading a program and its interpreter, and the initial stack,
 * as Linux's execve() does (the System V x86-64 psABI process entry).
 *
 * The image is mapped from the host file (the program's executable and
 * libraries are the host's by policy).  A position-independent image goes
 * wherever the host puts a reservation of its whole span; a fixed one
 * (ET_EXEC) where it asks, refused if that overlaps what is mapped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "run.h"

#define STACK_SIZE	(8ul << 20)

struct loaded {
	unsigned long base;	/* load bias */
	unsigned long entry;
	unsigned long phdr;	/* address of the program headers */
	unsigned long phnum;
	unsigned long end;	/* end of the highest segment */
	unsigned long brk_limit; /* end of the room reserved for brk */
	unsigned long span;	/* start of the reservation (to brk_limit) */
};

/* Address space kept free after the program for its break (reserved,
 * not committed: MAP_NORESERVE and PROT_NONE until brk asks). */
#define BRK_ROOM	(1ul << 30)

static unsigned long
pg_down(unsigned long x)
{

	return x & ~(unsigned long)(getpagesize() - 1);
}

static unsigned long
pg_up(unsigned long x)
{

	return pg_down(x + (unsigned long)getpagesize() - 1);
}

static int
prot_of(Elf64_Word flags)
{

	return ((flags & PF_R) ? PROT_READ : 0) |
	    ((flags & PF_W) ? PROT_WRITE : 0) |
	    ((flags & PF_X) ? PROT_EXEC : 0);
}

/* Reads exactly len bytes at off. */
static int
read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : ENOEXEC;
}

/*
 * Maps the ELF file open on fd.  interp (when not NULL) receives the
 * PT_INTERP path, malloc'd.
 */
static int
load_one(int fd, struct loaded *lo, char **interp, unsigned long room,
    const char **why)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	unsigned long lo_va = ~0ul, hi_va = 0, base = 0;
	size_t i, phsize;
	int error;

	if ((error = read_at(fd, &eh, sizeof(eh), 0)) != 0) {
		*why = "cannot read the ELF header";
		return error;
	}
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > 256) {
		*why = "not an x86-64 ELF executable";
		return ENOEXEC;
	}
	phsize = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
	ph = malloc(phsize);
	if (ph == NULL)
		return ENOMEM;
	if ((error = read_at(fd, ph, phsize, (off_t)eh.e_phoff)) != 0) {
		*why = "cannot read the program headers";
		goto out;
	}
	lo->phdr = 0;
	for (i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP && interp != NULL) {
			if (ph[i].p_filesz == 0 || ph[i].p_filesz > 4096) {
				error = ENOEXEC;
				*why = "bad PT_INTERP";
				goto out;
			}
			*interp = calloc(1, ph[i].p_filesz + 1);
			if (*interp == NULL) {
				error = ENOMEM;
				goto out;
			}
			if ((error = read_at(fd, *interp, ph[i].p_filesz,
			    (off_t)ph[i].p_offset)) != 0) {
				*why = "cannot read PT_INTERP";
				goto out;
			}
		}
		if (ph[i].p_type == PT_PHDR)
			lo->phdr = ph[i].p_vaddr;
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_vaddr < lo_va)
			lo_va = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > hi_va)
			hi_va = ph[i].p_vaddr + ph[i].p_memsz;
		/* Headers inside the first segment's file range. */
		if (lo->phdr == 0 && eh.e_phoff >= ph[i].p_offset &&
		    eh.e_phoff < ph[i].p_offset + ph[i].p_filesz)
			lo->phdr = ph[i].p_vaddr + (eh.e_phoff - ph[i].p_offset);
	}
	if (hi_va == 0) {
		error = ENOEXEC;
		*why = "no loadable segment";
		goto out;
	}
	lo_va = pg_down(lo_va);
	hi_va = pg_up(hi_va);

	/* Reserve the whole span first: the segments then cannot land on
	 * anything else, and a position-independent image gets its base. */
	{
		void *want = eh.e_type == ET_EXEC ? (void *)lo_va : NULL;
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		    (eh.e_type == ET_EXEC ? MAP_FIXED_NOREPLACE : 0);
		void *r = mmap(want, hi_va - lo_va +
		    (eh.e_type == ET_DYN ? room : 0), PROT_NONE, flags, -1, 0);

		if (r == MAP_FAILED) {
			error = errno;
			*why = "cannot reserve the address range";
			goto out;
		}
		if (eh.e_type == ET_EXEC && r != want) {
			munmap(r, hi_va - lo_va);
			error = ENOMEM;
			*why = "fixed address range in use";
			goto out;
		}
		base = (unsigned long)r - lo_va;
		lo->span = (unsigned long)r;
		/* A fixed image's break goes after it if that is free. */
		if (eh.e_type == ET_EXEC && room > 0 && mmap((void *)hi_va,
		    room, PROT_NONE, flags, -1, 0) != (void *)hi_va)
			room = 0;
		lo->brk_limit = base + hi_va + room;
	}

	for (i = 0; i < eh.e_phnum; i++) {
		unsigned long va, off, fend, mend, zstart;

		int prot;

		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		va = base + ph[i].p_vaddr;
		off = ph[i].p_offset - (ph[i].p_vaddr - pg_down(ph[i].p_vaddr));
		prot = prot_of(ph[i].p_flags);
		fend = va + ph[i].p_filesz;
		mend = va + ph[i].p_memsz;
		if (ph[i].p_filesz > 0 &&
		    mmap((void *)pg_down(va), fend - pg_down(va),
		    prot | (ph[i].p_memsz > ph[i].p_filesz ? PROT_WRITE : 0),
		    MAP_PRIVATE | MAP_FIXED, fd, (off_t)off) == MAP_FAILED) {
			error = errno;
			*why = "cannot map a segment";
			goto out;
		}
		/* The rest of the last file page is zeroed, as Linux does:
		 * it is bss, and the dynamic linker's first allocations
		 * take the memory after its bss for fresh zeroes. */
		if ((prot & PROT_WRITE) && ph[i].p_filesz > 0 &&
		    pg_up(fend) > fend)
			memset((void *)fend, 0, pg_up(fend) - fend);
		if (ph[i].p_memsz > ph[i].p_filesz) {
			zstart = ph[i].p_filesz > 0 ? pg_up(fend) : pg_down(va);
			if (mend > zstart && mmap((void *)zstart,
			    pg_up(mend) - zstart, prot,
			    MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) ==
			    MAP_FAILED) {
				error = errno;
				*why = "cannot map bss";
				goto out;
			}
			if (ph[i].p_filesz > 0 && !(prot & PROT_WRITE))
				mprotect((void *)pg_down(va),
				    pg_up(fend) - pg_down(va), prot);
		}
		if (mend > lo->end)
			lo->end = mend;
	}
	lo->base = base;
	lo->entry = base + eh.e_entry;
	lo->phdr += base;
	lo->phnum = eh.e_phnum;
	error = 0;
out:
	free(ph);
	return error;
}

static int
open_load(const char *path, struct loaded *lo, char **interp,
    const char **why)
{
	int fd, error;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = "cannot open";
		return errno;
	}
	memset(lo, 0, sizeof(*lo));
	error = load_one(fd, lo, interp, interp != NULL ? BRK_ROOM : 0, why);
	close(fd);
	return error;
}

int
run_elf_load(const char *path, char *const argv[], char *const envp[],
    struct run_image *img, const char **why)
{
	struct loaded prog, ld;
	char *interp = NULL;
	size_t argc, envc, i, strbytes = 0, nwords;
	unsigned long *sp, *w;
	char *stack, *top, *s;
	unsigned char rnd[16];
	static const char platform[] = "x86_64";
	int error;

	if ((error = open_load(path, &prog, &interp, why)) != 0)
		return error;
	memset(&ld, 0, sizeof(ld));
	if (interp != NULL) {
		error = open_load(interp, &ld, NULL, why);
		if (error != 0) {
			*why = "cannot load the program's interpreter";
			free(interp);
			return error;
		}
		free(interp);
	}

	for (argc = 0; argv[argc] != NULL; argc++)
		strbytes += strlen(argv[argc]) + 1;
	for (envc = 0; envp[envc] != NULL; envc++)
		strbytes += strlen(envp[envc]) + 1;
	strbytes += strlen(path) + 1 + sizeof(platform) + sizeof(rnd);

	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		*why = "cannot map the stack";
		return errno;
	}
	top = stack + STACK_SIZE;
	/* Strings at the top, as the kernel puts them. */
	s = top - 16 - strbytes;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	{
		char *p = s;
		char **av = calloc(argc + envc + 4, sizeof(char *));
		char *rndp, *platp, *execfn;

		if (av == NULL) {
			munmap(stack, STACK_SIZE);
			return ENOMEM;
		}
		for (i = 0; i < argc; i++) {
			av[i] = p;
			p = stpcpy(p, argv[i]) + 1;
		}
		for (i = 0; i < envc; i++) {
			av[argc + i] = p;
			p = stpcpy(p, envp[i]) + 1;
		}
		execfn = p;
		p = stpcpy(p, path) + 1;
		platp = p;
		p = stpcpy(p, platform) + 1;
		rndp = p;
		memcpy(p, rnd, sizeof(rnd));

		/* argc, argv[], NULL, envp[], NULL, auxv pairs. */
		nwords = 1 + argc + 1 + envc + 1 + 2 * 22;
		sp = (unsigned long *)((unsigned long)(s - nwords * 8) & ~15ul);
		w = sp;
		*w++ = argc;
		for (i = 0; i < argc; i++)
			*w++ = (unsigned long)av[i];
		*w++ = 0;
		for (i = 0; i < envc; i++)
			*w++ = (unsigned long)av[argc + i];
		*w++ = 0;
#define AUX(k, v) do { *w++ = (k); *w++ = (unsigned long)(v); } while (0)
		AUX(AT_PHDR, prog.phdr);
		AUX(AT_PHENT, sizeof(Elf64_Phdr));
		AUX(AT_PHNUM, prog.phnum);
		AUX(AT_PAGESZ, getpagesize());
		AUX(AT_BASE, ld.base);
		AUX(AT_FLAGS, 0);
		AUX(AT_ENTRY, prog.entry);
		AUX(AT_UID, getuid());
		AUX(AT_EUID, geteuid());
		AUX(AT_GID, getgid());
		AUX(AT_EGID, getegid());
		AUX(AT_SECURE, 0);
		AUX(AT_RANDOM, rndp);
		AUX(AT_HWCAP, getauxval(AT_HWCAP));
		AUX(AT_HWCAP2, getauxval(AT_HWCAP2));
		AUX(AT_CLKTCK, sysconf(_SC_CLK_TCK));
		AUX(AT_PLATFORM, platp);
		AUX(AT_EXECFN, execfn);
		/* The host's vDSO: time stays with the host, at its speed. */
		if (getauxval(AT_SYSINFO_EHDR) != 0)
			AUX(AT_SYSINFO_EHDR, getauxval(AT_SYSINFO_EHDR));
#ifdef AT_MINSIGSTKSZ
		if (getauxval(AT_MINSIGSTKSZ) != 0)
			AUX(AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ));
#endif
		AUX(AT_NULL, 0);
#undef AUX
		free(av);
	}
	img->entry = ld.entry != 0 ? ld.entry : prog.entry;
	img->sp = (unsigned long)sp;
	img->brk_start = pg_up(prog.end);
	img->brk_limit = prog.brk_limit;
	img->path = path;
	img->span[0][0] = prog.span;
	img->span[0][1] = prog.brk_limit - prog.span;
	img->span[1][0] = ld.span;
	img->span[1][1] = ld.brk_limit - ld.span;
	img->stack = (unsigned long)stack;
	img->stack_len = STACK_SIZE;
	return 0;
}
