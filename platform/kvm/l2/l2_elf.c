/*
 * l2_elf.c: the ELF loader and the initial stack (contract in l2_elf.h).
 *
 * Only what the ELF and x86-64 psABI specifications say is read: the file
 * header, the program headers, PT_LOAD segments.  A static program needs
 * nothing else from its loader: a static-pie relocates itself (its libc's
 * start code reads its own dynamic section through AT_PHDR), and the TLS
 * image is found by libc in the program headers.
 */
#include <common/types.h>
#include <common/string.h>

#include "l2_elf.h"

/* ELF-64 file and program headers (ELF specification, gABI). */
struct elf64_ehdr {
	unsigned char	e_ident[16];
	uint16_t	e_type;
	uint16_t	e_machine;
	uint32_t	e_version;
	uint64_t	e_entry;
	uint64_t	e_phoff;
	uint64_t	e_shoff;
	uint32_t	e_flags;
	uint16_t	e_ehsize;
	uint16_t	e_phentsize;
	uint16_t	e_phnum;
	uint16_t	e_shentsize;
	uint16_t	e_shnum;
	uint16_t	e_shstrndx;
};

struct elf64_phdr {
	uint32_t	p_type;
	uint32_t	p_flags;
	uint64_t	p_offset;
	uint64_t	p_vaddr;
	uint64_t	p_paddr;
	uint64_t	p_filesz;
	uint64_t	p_memsz;
	uint64_t	p_align;
};

#define ET_EXEC		2
#define ET_DYN		3
#define EM_X86_64	62
#define PT_LOAD		1
#define PT_DYNAMIC	2
#define PT_INTERP	3
#define PT_PHDR		6
#define PF_X		1
#define PF_W		2
#define PF_R		4

/* The lower half of the x86-64 address space, minus the last page. */
#define USER_TOP	0x00007ffffffff000ull

static uint64_t
pg_down(uint64_t x)
{

	return x & ~(L2_PAGE_SIZE - 1);
}

static uint64_t
pg_up(uint64_t x)
{

	return pg_down(x + L2_PAGE_SIZE - 1);
}

static int
bad(const char **why, const char *what)
{

	*why = what;
	return L2_ENOEXEC;
}

int
l2_elf_parse(const void *file, size_t len, struct l2_elf *e,
    const char **why)
{
	const unsigned char *f = file;
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	uint64_t prev_end = 0;
	unsigned int i;

	memset(e, 0, sizeof(*e));
	if (len < sizeof(eh))
		return bad(why, "too short for an ELF header");
	memcpy(&eh, f, sizeof(eh));
	if (eh.e_ident[0] != 0x7f || eh.e_ident[1] != 'E' ||
	    eh.e_ident[2] != 'L' || eh.e_ident[3] != 'F')
		return bad(why, "not an ELF file");
	if (eh.e_ident[4] != 2 /* ELFCLASS64 */ ||
	    eh.e_ident[5] != 1 /* ELFDATA2LSB */ || eh.e_machine != EM_X86_64)
		return bad(why, "not an x86-64 ELF file");
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return bad(why, "not an executable (ET_EXEC or ET_DYN)");
	if (eh.e_phentsize != sizeof(ph) || eh.e_phnum == 0 ||
	    eh.e_phnum > 128 || eh.e_phoff > len ||
	    (uint64_t)eh.e_phnum * sizeof(ph) > len - eh.e_phoff)
		return bad(why, "bad program header table");

	e->file = f;
	e->filelen = len;
	e->pie = eh.e_type == ET_DYN;
	e->entry = eh.e_entry;
	e->phnum = eh.e_phnum;
	e->lo = ~0ull;
	for (i = 0; i < eh.e_phnum; i++) {
		struct l2_elf_seg *s;

		memcpy(&ph, f + eh.e_phoff + (uint64_t)i * sizeof(ph),
		    sizeof(ph));
		if (ph.p_type == PT_INTERP)
			return bad(why, "a dynamically linked program "
			    "(PT_INTERP): link it -static or -static-pie");
		if (ph.p_type == PT_PHDR)
			e->phdr = ph.p_vaddr;
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (e->nseg == L2_ELF_MAXSEG)
			return bad(why, "too many PT_LOAD segments");
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > len ||
		    ph.p_filesz > len - ph.p_offset)
			return bad(why, "a segment lies outside the file");
		if (ph.p_vaddr >= USER_TOP || ph.p_memsz > USER_TOP - ph.p_vaddr)
			return bad(why, "a segment lies outside user space");
		if ((ph.p_vaddr & (L2_PAGE_SIZE - 1)) !=
		    (ph.p_offset & (L2_PAGE_SIZE - 1)))
			return bad(why, "a segment's address and offset "
			    "differ modulo the page size");
		if (ph.p_vaddr < prev_end)
			return bad(why, "PT_LOAD segments overlap or are "
			    "not in ascending order");
		prev_end = ph.p_vaddr + ph.p_memsz;
		s = &e->seg[e->nseg++];
		s->va = ph.p_vaddr;
		s->memsz = ph.p_memsz;
		s->filesz = ph.p_filesz;
		s->off = ph.p_offset;
		s->prot = ((ph.p_flags & PF_R) ? L2_PROT_READ : 0) |
		    ((ph.p_flags & PF_W) ? L2_PROT_WRITE : 0) |
		    ((ph.p_flags & PF_X) ? L2_PROT_EXEC : 0);
		if (ph.p_vaddr < e->lo)
			e->lo = ph.p_vaddr;
		if (ph.p_vaddr + ph.p_memsz > e->hi)
			e->hi = ph.p_vaddr + ph.p_memsz;
		/* Headers inside a segment's file bytes are in memory. */
		if (e->phdr == 0 && eh.e_phoff >= ph.p_offset &&
		    eh.e_phoff - ph.p_offset < ph.p_filesz)
			e->phdr = ph.p_vaddr + (eh.e_phoff - ph.p_offset);
	}
	if (e->nseg == 0)
		return bad(why, "no loadable segment");
	if (e->phdr == 0)
		return bad(why, "the program headers are not loaded "
		    "(libc finds PT_TLS through AT_PHDR)");
	e->lo = pg_down(e->lo);
	e->hi = pg_up(e->hi);
	if (!e->pie && e->lo < 0x10000)
		return bad(why, "a segment lies in the first 64 KiB, which "
		    "stay unmapped");
	if (e->entry < e->lo || e->entry >= e->hi)
		return bad(why, "the entry point is outside the segments");
	return 0;
}

int
l2_elf_load(const struct l2_elf *e, uint64_t bias,
    const struct l2_elf_mem *mem)
{
	uint64_t mapped_to = 0;	/* end of the pages mapped so far */
	unsigned int i;
	int error;

	/* Map and fill.  Segments ascend and may share a boundary page,
	 * which is mapped once. */
	for (i = 0; i < e->nseg; i++) {
		const struct l2_elf_seg *s = &e->seg[i];
		uint64_t va = s->va + bias;
		uint64_t start = pg_down(va), end = pg_up(va + s->memsz);

		if (start < mapped_to)
			start = mapped_to;
		if (end > start) {
			if ((error = mem->map(mem->ctx, start, end - start))
			    != 0)
				return error;
			mapped_to = end;
		}
		if (s->filesz > 0)
			memcpy(mem->ptr(mem->ctx, va, s->filesz),
			    e->file + s->off, s->filesz);
	}

	/* Final protections: each segment's pages, a shared page getting
	 * both its segments' (the later call widens it). */
	for (i = 0; i < e->nseg; i++) {
		const struct l2_elf_seg *s = &e->seg[i];
		uint64_t va = s->va + bias;
		uint64_t start = pg_down(va), end = pg_up(va + s->memsz);
		int prot = s->prot;

		if (i > 0) {
			const struct l2_elf_seg *p = &e->seg[i - 1];

			if (pg_up(p->va + bias + p->memsz) > start) {
				/* The first page is shared with p. */
				if ((error = mem->protect(mem->ctx, start,
				    L2_PAGE_SIZE, prot | p->prot)) != 0)
					return error;
				start += L2_PAGE_SIZE;
			}
		}
		if (i + 1 < e->nseg && end > pg_down(e->seg[i + 1].va + bias))
			end -= L2_PAGE_SIZE;	/* done with the next one */
		if (end > start &&
		    (error = mem->protect(mem->ctx, start, end - start, prot))
		    != 0)
			return error;
	}
	return 0;
}

int
l2_stack_build(void *mem, uint64_t va, size_t len,
    const struct l2_stack_info *si, uint64_t *spp)
{
	char *top = (char *)mem + len;
	size_t argc, envc, i, strbytes, nwords, need;
	uint64_t *w, sp, a_random, a_platform, a_execfn;
	char *p;

	/* Strings and the random bytes at the top, as Linux puts them. */
	strbytes = sizeof(si->random) + str_len(si->execfn) + 1 +
	    str_len(si->platform) + 1;
	for (argc = 0; si->argv[argc] != NULL; argc++)
		strbytes += str_len(si->argv[argc]) + 1;
	for (envc = 0; si->envp[envc] != NULL; envc++)
		strbytes += str_len(si->envp[envc]) + 1;
	/* argc, argv[] + NULL, envp[] + NULL, 19 auxv pairs + AT_NULL. */
	nwords = 1 + argc + 1 + envc + 1 + 2 * 20;
	need = 16 + strbytes + 16 + nwords * 8;
	if (need > len || argc > (1u << 20) || envc > (1u << 20))
		return L2_E2BIG;

	/* Address in the program of a byte at q in mem. */
#define UVA(q)	(va + (uint64_t)((char *)(q) - (char *)mem))
	p = top - 16 - strbytes;
	memcpy(p, si->random, sizeof(si->random));
	a_random = UVA(p);
	p += sizeof(si->random);
	a_platform = UVA(p);
	i = str_len(si->platform) + 1;
	memcpy(p, si->platform, i);
	p += i;
	a_execfn = UVA(p);
	i = str_len(si->execfn) + 1;
	memcpy(p, si->execfn, i);
	p += i;

	sp = (UVA(top - 16 - strbytes) - nwords * 8) & ~15ull;
	w = (uint64_t *)((char *)mem + (sp - va));
	*w++ = argc;
	for (i = 0; i < argc; i++) {
		size_t n = str_len(si->argv[i]) + 1;

		*w++ = UVA(p);
		memcpy(p, si->argv[i], n);
		p += n;
	}
	*w++ = 0;
	for (i = 0; i < envc; i++) {
		size_t n = str_len(si->envp[i]) + 1;

		*w++ = UVA(p);
		memcpy(p, si->envp[i], n);
		p += n;
	}
	*w++ = 0;
#undef UVA
#define AUX(k, v) do { *w++ = (k); *w++ = (uint64_t)(v); } while (0)
	AUX(L2_AT_PHDR, si->phdr);
	AUX(L2_AT_PHENT, 56);	/* sizeof(Elf64_Phdr) */
	AUX(L2_AT_PHNUM, si->phnum);
	AUX(L2_AT_PAGESZ, L2_PAGE_SIZE);
	AUX(L2_AT_BASE, 0);	/* no interpreter */
	AUX(L2_AT_FLAGS, 0);
	AUX(L2_AT_ENTRY, si->entry);
	AUX(L2_AT_UID, si->uid);
	AUX(L2_AT_EUID, si->uid);
	AUX(L2_AT_GID, si->gid);
	AUX(L2_AT_EGID, si->gid);
	AUX(L2_AT_SECURE, 0);
	AUX(L2_AT_RANDOM, a_random);
	AUX(L2_AT_HWCAP, si->hwcap);
	AUX(L2_AT_HWCAP2, si->hwcap2);
	AUX(L2_AT_CLKTCK, si->clktck);
	AUX(L2_AT_PLATFORM, a_platform);
	AUX(L2_AT_EXECFN, a_execfn);
	AUX(L2_AT_NULL, 0);
#undef AUX
	*spp = sp;
	return 0;
}
