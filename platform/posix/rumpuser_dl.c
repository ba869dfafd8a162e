/*
 * rumpuser_dl.c: find the kernel components and modules in every loaded
 * object.
 *
 * Components and modules announce themselves in link sets: the sections
 * "link_set_rump_components" and "link_set_modules", arrays of pointers
 * bounded by the linker-made symbols __start_<section> and __stop_<section>.
 * Each loaded object (the executable, each shared library) has its own
 * pair.  We read each object's dynamic symbol table directly from memory
 * rather than through dlsym(), whose answer for one object may come from
 * another one in its search scope: here a symbol is only ever found in the
 * object that defines it.
 *
 * Two consequences for whoever builds components:
 *  - an object's bounds are only in its dynamic symbol table if the linker
 *    defined them, which GNU ld does only when something references them:
 *    a component shared library must reference __start_ and __stop_ of its
 *    link sets (any function taking their addresses will do);
 *  - an executable exports nothing unless linked with -rdynamic.  For the
 *    usual case of a kernel linked into the executable together with this
 *    library, the weak references below find the executable's sets anyway.
 * Every array is delivered once, however many ways it was found.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

#define LS_COMPONENTS	"link_set_rump_components"
#define LS_MODULES	"link_set_modules"

/* The type bits of st_info, encoded alike in ELF32 and ELF64. */
#define SYMTYPE(info)	((info) & 0xf)

/* Bounds of the sets of the object this library is linked into. */
extern const struct rump_component *const
    __start_link_set_rump_components[] __attribute__((__weak__));
extern const struct rump_component *const
    __stop_link_set_rump_components[] __attribute__((__weak__));
extern const struct modinfo *const
    __start_link_set_modules[] __attribute__((__weak__));
extern const struct modinfo *const
    __stop_link_set_modules[] __attribute__((__weak__));

/* An object's dynamic symbol table as found in memory. */
struct dynsyms {
	uintptr_t base;		/* load bias */
	uintptr_t lo, hi;	/* loaded address range */
	const ElfW(Sym) *symtab;
	size_t nsyms;
	const char *strtab;
	size_t strsz;
};

struct dlstate {
	rump_modinit_fn modinit;
	rump_compload_fn compload;
	const void **seen;	/* arrays delivered so far */
	size_t nseen, maxseen;
	/* Gathered for symload. */
	ElfW(Sym) *ksyms;
	size_t nksyms, maxksyms;
	char *kstr;
	size_t kstrsz, maxkstr;
	int gather;		/* symload wants a table */
	int nomem;		/* gathering failed: skip symload */
};

/*
 * The dynamic linker relocates some entries of the dynamic section in
 * place and leaves others (and those of the vDSO, and all of them on some
 * architectures) as link-time addresses.  An address already inside the
 * object is taken as is; anything else is relative to the load bias.
 */
static uintptr_t
dynaddr(const struct dynsyms *ds, ElfW(Addr) ptr)
{

	if ((uintptr_t)ptr >= ds->lo && (uintptr_t)ptr < ds->hi)
		return (uintptr_t)ptr;
	return ds->base + (uintptr_t)ptr;
}

/* Number of symbols from a GNU hash table: one past the highest index
 * reached by any chain (the table stores no count). */
static size_t
gnuhash_nsyms(const uint32_t *h)
{
	uint32_t nbuckets = h[0], symoffset = h[1], bloomsize = h[2];
	const uint32_t *buckets, *chain;
	uint32_t i, maxidx = 0;

	buckets = h + 4 + bloomsize * (sizeof(ElfW(Addr)) / 4);
	chain = buckets + nbuckets;
	for (i = 0; i < nbuckets; i++)
		if (buckets[i] > maxidx)
			maxidx = buckets[i];
	if (maxidx < symoffset)
		return symoffset;
	while ((chain[maxidx - symoffset] & 1) == 0)
		maxidx++;
	return maxidx + 1;
}

static int
dynsyms_get(struct dl_phdr_info *info, struct dynsyms *ds)
{
	const ElfW(Dyn) *dyn = NULL;
	const uint32_t *hash = NULL, *gnuhash = NULL;
	ElfW(Addr) symtab = 0, strtab = 0;
	uintptr_t end;
	int i;

	memset(ds, 0, sizeof(*ds));
	ds->base = (uintptr_t)info->dlpi_addr;
	ds->lo = UINTPTR_MAX;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD) {
			if (ds->base + ph->p_vaddr < ds->lo)
				ds->lo = ds->base + ph->p_vaddr;
			end = ds->base + ph->p_vaddr + ph->p_memsz;
			if (end > ds->hi)
				ds->hi = end;
		} else if (ph->p_type == PT_DYNAMIC) {
			dyn = (const ElfW(Dyn) *)(ds->base + ph->p_vaddr);
		}
	}
	if (dyn == NULL || ds->lo >= ds->hi)
		return 0;

	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			symtab = dyn->d_un.d_ptr;
			break;
		case DT_STRTAB:
			strtab = dyn->d_un.d_ptr;
			break;
		case DT_STRSZ:
			ds->strsz = dyn->d_un.d_val;
			break;
		case DT_HASH:
			hash = (const uint32_t *)dynaddr(ds, dyn->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			gnuhash = (const uint32_t *)dynaddr(ds,
			    dyn->d_un.d_ptr);
			break;
		case DT_SYMENT:
			if (dyn->d_un.d_val != sizeof(ElfW(Sym)))
				return 0;
			break;
		default:
			break;
		}
	}
	if (symtab == 0 || strtab == 0)
		return 0;
	ds->symtab = (const ElfW(Sym) *)dynaddr(ds, symtab);
	ds->strtab = (const char *)dynaddr(ds, strtab);
	/* The symbol count is only recorded in the hash tables. */
	if (hash != NULL)
		ds->nsyms = hash[1];
	else if (gnuhash != NULL)
		ds->nsyms = gnuhash_nsyms(gnuhash);
	else
		return 0;
	return 1;
}

/* The address of name if this very object defines it, else 0. */
static uintptr_t
dynsyms_lookup(const struct dynsyms *ds, const char *name)
{
	size_t i;

	for (i = 1; i < ds->nsyms; i++) {
		const ElfW(Sym) *s = &ds->symtab[i];

		if (s->st_shndx == SHN_UNDEF || s->st_name >= ds->strsz)
			continue;
		if (strcmp(ds->strtab + s->st_name, name) == 0)
			return s->st_shndx == SHN_ABS ? (uintptr_t)s->st_value :
			    ds->base + (uintptr_t)s->st_value;
	}
	return 0;
}

/* Records arr as delivered; 0 if it already was. */
static int
firstsight(struct dlstate *st, const void *arr)
{
	const void **nseen;
	size_t i;

	for (i = 0; i < st->nseen; i++)
		if (st->seen[i] == arr)
			return 0;
	if (st->nseen == st->maxseen) {
		st->maxseen = st->maxseen ? 2 * st->maxseen : 16;
		nseen = realloc(st->seen, st->maxseen * sizeof(*nseen));
		if (nseen == NULL)
			rumpuser__fatal("dl_bootstrap", ENOMEM);
		st->seen = nseen;
	}
	st->seen[st->nseen++] = arr;
	return 1;
}

static void
deliver(struct dlstate *st, uintptr_t cstart, uintptr_t cstop,
    uintptr_t mstart, uintptr_t mstop)
{
	const struct rump_component *const *rc;

	if (cstart != 0 && cstop > cstart && firstsight(st, (void *)cstart)) {
		for (rc = (const void *)cstart; (uintptr_t)rc < cstop; rc++)
			if (*rc != NULL && st->compload != NULL)
				st->compload(*rc);
	}
	if (mstart != 0 && mstop > mstart && firstsight(st, (void *)mstart) &&
	    st->modinit != NULL) {
		st->modinit((const struct modinfo *const *)mstart,
		    (mstop - mstart) / sizeof(const struct modinfo *));
	}
}

/* Room for one more symbol and namelen more bytes of names. */
static int
ksyms_reserve(struct dlstate *st, size_t namelen)
{
	void *p;

	if (st->nksyms == st->maxksyms) {
		st->maxksyms = st->maxksyms ? 2 * st->maxksyms : 1024;
		p = realloc(st->ksyms, st->maxksyms * sizeof(*st->ksyms));
		if (p == NULL)
			return 0;
		st->ksyms = p;
	}
	while (st->kstrsz + namelen > st->maxkstr) {
		st->maxkstr = st->maxkstr ? 2 * st->maxkstr : 16384;
		p = realloc(st->kstr, st->maxkstr);
		if (p == NULL)
			return 0;
		st->kstr = p;
	}
	return 1;
}

/*
 * Appends the object's defined kernel functions and data to the table for
 * symload, as the kernel's symbol table wants them: absolute values and
 * kernel names (without the rumpns_ prefix the build gave them).  Only
 * kernel symbols (rumpns_*, and the public rump_*) go in: the rest of the
 * process (libc, the program) is not the kernel's, and leaving it out
 * halves the time rump_init() takes.
 */
static void
gather_ksyms(struct dlstate *st, const struct dynsyms *ds)
{
	const char *name;
	ElfW(Sym) *ks;
	size_t i, len;

	for (i = 1; i < ds->nsyms; i++) {
		const ElfW(Sym) *s = &ds->symtab[i];

		if (s->st_shndx == SHN_UNDEF || s->st_value == 0 ||
		    s->st_name >= ds->strsz)
			continue;
		if (SYMTYPE(s->st_info) != STT_FUNC &&
		    SYMTYPE(s->st_info) != STT_OBJECT)
			continue;
		name = ds->strtab + s->st_name;
		if (strncmp(name, "rumpns_", 7) == 0)
			name += 7;
		else if (strncmp(name, "rump_", 5) != 0)
			continue;
		len = strlen(name) + 1;
		if (!ksyms_reserve(st, len)) {
			st->nomem = 1;
			return;
		}
		ks = &st->ksyms[st->nksyms++];
		*ks = *s;
		ks->st_name = (ElfW(Word))st->kstrsz;
		ks->st_shndx = SHN_ABS;
		if (s->st_shndx != SHN_ABS)
			ks->st_value = (ElfW(Addr))(ds->base + s->st_value);
		memcpy(st->kstr + st->kstrsz, name, len);
		st->kstrsz += len;
	}
}

static int
visit_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct dlstate *st = arg;
	struct dynsyms ds;

	(void)size;
	if (!dynsyms_get(info, &ds))
		return 0;
	deliver(st,
	    dynsyms_lookup(&ds, "__start_" LS_COMPONENTS),
	    dynsyms_lookup(&ds, "__stop_" LS_COMPONENTS),
	    dynsyms_lookup(&ds, "__start_" LS_MODULES),
	    dynsyms_lookup(&ds, "__stop_" LS_MODULES));
	if (st->gather && !st->nomem)
		gather_ksyms(st, &ds);
	return 0;
}

void
rumpuser_dl_bootstrap(rump_modinit_fn domodinit, rump_symload_fn symload,
    rump_compload_fn compload)
{
	struct dlstate st;

	memset(&st, 0, sizeof(st));
	st.modinit = domodinit;
	st.compload = compload;
	if (symload != NULL) {
		/* Index 0 is the reserved null symbol and offset 0 the
		 * empty name, as in every ELF symbol table. */
		st.gather = 1;
		if (ksyms_reserve(&st, 1)) {
			memset(&st.ksyms[0], 0, sizeof(st.ksyms[0]));
			st.nksyms = 1;
			st.kstr[0] = '\0';
			st.kstrsz = 1;
		} else {
			st.nomem = 1;
		}
	}

	deliver(&st,
	    (uintptr_t)__start_link_set_rump_components,
	    (uintptr_t)__stop_link_set_rump_components,
	    (uintptr_t)__start_link_set_modules,
	    (uintptr_t)__stop_link_set_modules);
	dl_iterate_phdr(visit_object, &st);

	/* The kernel keeps the table: it is not freed. */
	if (st.gather && !st.nomem) {
		symload(st.ksyms, st.nksyms * sizeof(*st.ksyms), st.kstr,
		    st.kstrsz);
	} else {
		free(st.ksyms);
		free(st.kstr);
	}
	free(st.seen);
}
