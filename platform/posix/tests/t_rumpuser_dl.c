/*
 * t_rumpuser_dl.c: rumpuser_dl_bootstrap() finds the components and modules
 * of the executable and of a shared library, each exactly once, and hands
 * symload one well-formed symbol table.
 *
 * Built from: this file + the library, linked with libt_dlcomp.so (built
 * from t_dlcomp_lib.c with -fPIC -shared), -rdynamic, -ldl on old glibc:
 *   cc -fPIC -shared -o libt_dlcomp.so t_dlcomp_lib.c
 *   cc -rdynamic -o t_rumpuser_dl t_rumpuser_dl.c <library> \
 *       -L. -lt_dlcomp -Wl,-rpath,'$ORIGIN' -latf-c -lpthread -ldl
 * -rdynamic exports the executable's link-set bounds, which makes them
 * visible both through the executable's dynamic symbols and, when the
 * library is linked statically, through its own weak references: the
 * test then also proves that the two sightings are delivered once.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "t_dlcomp.h"

static const struct rump_component exe_c[2] = { { "exe0" }, { "exe1" } };
static const struct modinfo exe_m[1] = { { "exemod0" } };

LINKSET_ADD(link_set_rump_components, const struct rump_component,
    exe_c0, &exe_c[0]);
LINKSET_ADD(link_set_rump_components, const struct rump_component,
    exe_c1, &exe_c[1]);
LINKSET_ADD(link_set_modules, const struct modinfo, exe_m0, &exe_m[0]);

#define MAXSEEN	64
static const struct rump_component *comps[MAXSEEN];
static int ncomps;
static const struct modinfo *mods[MAXSEEN];
static int nmods, nmodinit;
static int nsymload;
static const ElfW(Sym) *ksymtab;
static uint64_t ksymsize, kstrsize;
static const char *kstrtab;

static void
compload(const struct rump_component *rc)
{

	if (ncomps < MAXSEEN)
		comps[ncomps] = rc;
	ncomps++;
}

static void
modinit(const struct modinfo *const *mi, size_t n)
{
	size_t i;

	nmodinit++;
	for (i = 0; i < n; i++) {
		if (nmods < MAXSEEN)
			mods[nmods] = mi[i];
		nmods++;
	}
}

static int
symload(void *symtab, uint64_t symsize, char *strtab, uint64_t strsize)
{

	nsymload++;
	ksymtab = symtab;
	ksymsize = symsize;
	kstrtab = strtab;
	kstrsize = strsize;
	return 0;
}

static int
count_comp(const struct rump_component *rc)
{
	int i, n = 0;

	for (i = 0; i < ncomps && i < MAXSEEN; i++)
		if (comps[i] == rc)
			n++;
	return n;
}

static int
count_mod(const struct modinfo *mi)
{
	int i, n = 0;

	for (i = 0; i < nmods && i < MAXSEEN; i++)
		if (mods[i] == mi)
			n++;
	return n;
}

static const ElfW(Sym) *
ksym(const char *name)
{
	size_t i;

	for (i = 0; i < ksymsize / sizeof(ElfW(Sym)); i++)
		if (ksymtab[i].st_name < kstrsize &&
		    strcmp(kstrtab + ksymtab[i].st_name, name) == 0)
			return &ksymtab[i];
	return NULL;
}

ATF_TC_WITHOUT_HEAD(components_once);
ATF_TC_BODY(components_once, tc)
{
	int i;

	/* The library really has its sets (5 entries in all). */
	ATF_REQUIRE_EQ(5, t_dlcomp_ncomponents());

	rumpuser_dl_bootstrap(modinit, symload, compload);

	ATF_CHECK_EQ_MSG(5, ncomps, "compload called %d times", ncomps);
	for (i = 0; i < 2; i++)
		ATF_CHECK_EQ_MSG(1, count_comp(&exe_c[i]), "exe%d", i);
	for (i = 0; i < 3; i++)
		ATF_CHECK_EQ_MSG(1, count_comp(t_dlcomp_component(i)),
		    "lib%d", i);

	/* Modules: one call per object, with that object's array. */
	ATF_CHECK_EQ(2, nmodinit);
	ATF_CHECK_EQ(3, nmods);
	ATF_CHECK_EQ(1, count_mod(&exe_m[0]));
	ATF_CHECK_EQ(1, count_mod(t_dlcomp_module(0)));
	ATF_CHECK_EQ(1, count_mod(t_dlcomp_module(1)));
}

ATF_TC_WITHOUT_HEAD(symload_table);
ATF_TC_BODY(symload_table, tc)
{
	const ElfW(Sym) *s;

	rumpuser_dl_bootstrap(modinit, symload, compload);
	ATF_REQUIRE_EQ(1, nsymload);
	ATF_REQUIRE(ksymtab != NULL && kstrtab != NULL);
	ATF_REQUIRE(ksymsize >= 2 * sizeof(ElfW(Sym)));
	ATF_CHECK_EQ(0, ksymsize % sizeof(ElfW(Sym)));
	/* ELF conventions: null symbol first, empty name at offset 0,
	 * names terminated inside the string table. */
	ATF_CHECK_EQ(0, ksymtab[0].st_name);
	ATF_CHECK_EQ(0, ksymtab[0].st_value);
	ATF_CHECK_EQ('\0', kstrtab[0]);
	ATF_CHECK_EQ('\0', kstrtab[kstrsize - 1]);

	/* Kernel names lose the rumpns_ prefix; values are absolute. */
	s = ksym("t_dlcomp_internal");
	ATF_REQUIRE(s != NULL);
	ATF_CHECK_EQ((uintptr_t)rumpns_t_dlcomp_internal,
	    (uintptr_t)s->st_value);
	ATF_CHECK_EQ(SHN_ABS, s->st_shndx);
	ATF_CHECK(ksym("rumpns_t_dlcomp_internal") == NULL);
	s = ksym("t_dlcomp_data");
	ATF_REQUIRE(s != NULL);
	ATF_CHECK_EQ((uintptr_t)&rumpns_t_dlcomp_data, (uintptr_t)s->st_value);
	s = ksym("rump_t_dlcomp_public");
	ATF_REQUIRE(s != NULL);
	ATF_CHECK_EQ((uintptr_t)&rump_t_dlcomp_public, (uintptr_t)s->st_value);
	/* Only the kernel's symbols: not the library's other names, not
	 * the executable's (exported with -rdynamic), not libc's. */
	ATF_CHECK(ksym("t_dlcomp_marker") == NULL);
	ATF_CHECK(ksym("compload") == NULL);
	ATF_CHECK(ksym("malloc") == NULL);
}

/* Callers may leave out what they do not want. */
ATF_TC_WITHOUT_HEAD(null_callbacks);
ATF_TC_BODY(null_callbacks, tc)
{

	rumpuser_dl_bootstrap(NULL, NULL, compload);
	ATF_CHECK_EQ(5, ncomps);
	rumpuser_dl_bootstrap(modinit, NULL, NULL);
	ATF_CHECK_EQ(3, nmods);
	ATF_CHECK_EQ(0, nsymload);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, components_once);
	ATF_TP_ADD_TC(tp, symload_table);
	ATF_TP_ADD_TC(tp, null_callbacks);
	return atf_no_error();
}
