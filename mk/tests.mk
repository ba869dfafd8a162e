# mk/tests.mk: builds the tests and runs them with Kyua.
#
# Run by the top-level `make tests` / `make check` after every layer is
# installed (so the installed prefixes can be inspected here).  Tests are
# found, never listed:
#
#   kernel/tests/t_*.c          ATF C programs, linked once per platform in
#                               KERNEL_TEST_PLATFORMS  -> O/tests/kernel-<p>/
#   kernel/tests/t_*.sh         atf-sh scripts (build checks; platform-
#                               independent, run once) -> O/tests/kernel/
#   platform/common/tests/t_*.c rumpuser-level tests every platform must
#                               pass, linked once per platform in
#                               COMMON_TEST_PLATFORMS  -> O/tests/common-<p>/
#   platform/<p>/tests/t_*.c|sh for every platform built -> O/tests/platform-<p>/
#   appstack/tests/t_*.c|sh     for PLATFORM            -> O/tests/appstack/
#   apps/tests/t_*.c|sh         for PLATFORM            -> O/tests/apps/
#
# A C test is one file linked against the INSTALLED layers via pkg-config,
# plus -latf-c.  By default a kernel or apps test links every installed
# kernel component and rumpuser-<p>; a platform test links rumpuser-<p>
# only (it stands in for the kernel itself).  The installed kernel headers
# (-I$(KERNEL_PREFIX)/include) are always on the include path.  What a test needs beyond that goes in an
# optional t_NAME.mk beside t_NAME.c (README.md, "Tests"), which may set,
# with `=` so that T_PLATFORM and friends are expanded for each platform
# the test is built for:
#
#   t_NAME_PKGS    pkg-config packages instead of the default (T_PKGS)
#   t_NAME_SRCS    more .c files (relative to the tests directory)
#   t_NAME_CFLAGS  extra compile flags
#   t_NAME_LDLIBS  extra link flags, after the packages
#   t_NAME_HELPERS helper programs built into the same directory as the
#                  test (which finds them through atf_tc_get_config_var(tc,
#                  "srcdir")): for each PROG listed, PROG.c plus PROG_SRCS,
#                  linked like a test of the group unless PROG_PKGS,
#                  PROG_CFLAGS, PROG_LDLIBS say otherwise.  PROG is never
#                  taken for a test program (name it h_*).
#   t_NAME_EXCLUSIVE  yes: Kyua runs this program alone, never beside
#                  other tests (for tests whose timing bounds a loaded
#                  machine could break; the suite otherwise runs TEST_JOBS
#                  test cases at once)
#   t_NAME_PLAIN_ONLY yes: left out of sanitized runs (make check
#                  SANITIZE=...), for tests that build and run a tree of
#                  their own whose flags do not depend on SANITIZE (cross
#                  builds, fuzzers, packages): a sanitized run would only
#                  repeat the plain run
#   t_NAME_SHLIBS  helper shared libraries built into the same directory
#                  as the program: for each LIB listed, LIB_SRCS (and
#                  optionally LIB_CFLAGS, LIB_LDLIBS, LIB_PKGS) make LIB.so.
#                  The program is then linked with -L and -rpath of that
#                  directory, so t_NAME_LDLIBS may say -lfoo for libfoo;
#                  or it dlopen()s it from atf_tc_get_config_var(tc,
#                  "srcdir"), the program's directory.
#
# Helper sources are best named h_*.c; a .c file listed in any *_SRCS, or
# the main source of a program listed in any *_HELPERS, is never taken for
# a test program, whatever its name.
#
# and may use T_PLATFORM (platform being linked), T_SRCDIR, T_OUTDIR,
# KERNEL_PREFIX and PLATFORM_PREFIX.
#
# t_NAME.mk files are read for shell tests (t_NAME.sh) too; only the
# _EXCLUSIVE and _PLAIN_ONLY settings apply to them.
#
# Shell tests get their paths from Kyua configuration variables (see
# KYUA_CONF_VARS below), read with `atf_config_get NAME`.

include $(dir $(lastword $(MAKEFILE_LIST)))config.mk

# Sanitized builds (SANITIZE=...) test the posix platform only: the
# sanitizers' runtimes know host threads, not the fiber platform's own
# stacks and context switches.
KERNEL_TEST_PLATFORMS ?= posix $(if $(SANITIZE),,fiber)
TEST_PLATFORMS := $(sort $(PLATFORM) $(KERNEL_TEST_PLATFORMS))
# platform/common/tests hold the contract of the rumpuser implementation
# (scheduling, sleeping, threads): every platform the tests run on must
# pass them, the posix one included.
COMMON_TEST_PLATFORMS ?= $(TEST_PLATFORMS)
TESTDIR := $(O)/tests
# How many test cases Kyua runs at once: one per CPU by default.  Tests
# are independent (each runs in a directory of its own and boots its own
# kernels); those with timing bounds are marked _EXCLUSIVE.
TEST_JOBS ?= $(or $(shell getconf _NPROCESSORS_ONLN 2>/dev/null),1)

# Every installed kernel library, found in the prefix rather than in the
# kernel source tree (which may not be there).
KERNEL_PKGS := $(sort $(filter-out rumpuser-% rumpclient,$(patsubst %.pc,%,$(notdir \
	$(wildcard $(KERNEL_PREFIX)/lib/pkgconfig/rump*.pc)))))

ATF_C_LIBS = $(or $(shell $(PKG_CONFIG) --libs atf-c 2>/dev/null),-latf-c)

# --- Per-test settings --------------------------------------------------------

TEST_SRCDIRS := $(TOPDIR)/kernel/tests $(TOPDIR)/apps/tests $(TOPDIR)/appstack/tests \
	$(TOPDIR)/platform/common/tests \
	$(foreach p,$(TEST_PLATFORMS),$(TOPDIR)/platform/$(p)/tests)
include $(sort $(wildcard $(addsuffix /t_*.mk,$(TEST_SRCDIRS))))

# Sources that some test uses as a helper are not test programs themselves,
# nor are helper programs.
HELPER_SRCS := $(notdir $(foreach v,$(filter %_SRCS,$(.VARIABLES)),$($(v)))) \
	$(addsuffix .c,$(foreach v,$(filter %_HELPERS,$(.VARIABLES)),$($(v))))

# Values seen by a test's recipes, per target (T_* are target-specific).
T_PKGS   = $(if $(filter undefined,$(origin $(T_NAME)_PKGS)),$(T_DEFAULT_PKGS),$($(T_NAME)_PKGS))
T_CFLAGS = $(HOST_CFLAGS) -I$(KERNEL_PREFIX)/include $(call pkgconf,--cflags,$(T_PKGS)) $($(T_NAME)_CFLAGS)

# --- Groups: one output directory, one Kyuafile each --------------------------

GROUPS :=

# $(call c_prog,GROUP,SRCDIR,NAME,PLATFORM,DEFAULT-PKGS): the rules of one
# C program (a test or a test's helper program) of GROUP.
define c_prog
$(TESTDIR)/$(1)/$(3): T_NAME := $(3)
$(TESTDIR)/$(1)/$(3): T_DEFAULT_PKGS := $(5)
$(TESTDIR)/$(1)/$(3): T_PLATFORM := $(4)
$(TESTDIR)/$(1)/$(3): T_SRCDIR := $(2)
$(TESTDIR)/$(1)/$(3): T_OUTDIR := $(TESTDIR)/$(1)
$(TESTDIR)/$(1)/$(3): $(patsubst %.c,$(TESTDIR)/$(1)/.obj/$(3)/%.o,$(3).c $($(3)_SRCS)) \
		$(addprefix $(TESTDIR)/$(1)/,$(addsuffix .so,$($(3)_SHLIBS))) \
		$(addprefix $(TESTDIR)/$(1)/,$($(3)_HELPERS)) $(LOWER_LIBS)
	$$(call say,LD,$$@)$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) \
		$(if $($(3)_SHLIBS),-L$$(T_OUTDIR) -Wl$$(comma)-rpath$$(comma)$$(T_OUTDIR)) \
		$$(call pkgconf,--libs,$$(T_PKGS)) $$($$(T_NAME)_LDLIBS) $$(ATF_C_LIBS)
$(TESTDIR)/$(1)/.obj/$(3)/%.o: $(2)/%.c
	$$(call say,CC,$$<)mkdir -p $$(@D) && $$(CC) $$(T_CFLAGS) $$(DEPFLAGS) -c $$< -o $$@
endef

# $(call c_test,GROUP,SRCDIR,NAME,PLATFORM,DEFAULT-PKGS)
define c_test
$(call c_prog,$(1),$(2),$(3),$(4),$(5))
$(1)_PROGRAMS += $(3)
endef

# $(call shlib,GROUP,SRCDIR,LIB,PLATFORM): a test's helper LIB.so.
define shlib
$(TESTDIR)/$(1)/$(3).so: T_NAME := $(3)
$(TESTDIR)/$(1)/$(3).so: T_PLATFORM := $(4)
$(TESTDIR)/$(1)/$(3).so: T_SRCDIR := $(2)
$(TESTDIR)/$(1)/$(3).so: T_OUTDIR := $(TESTDIR)/$(1)
$(TESTDIR)/$(1)/$(3).so: $(patsubst %.c,$(TESTDIR)/$(1)/.obj/$(3)/%.o,$($(3)_SRCS))
	$$(call SHLIB_LINK,$$(call pkgconf,--libs,$$($$(T_NAME)_PKGS)) $$($$(T_NAME)_LDLIBS))
$(TESTDIR)/$(1)/.obj/$(3)/%.o: $(2)/%.c
	$$(call say,CC,$$<)mkdir -p $$(@D) && $$(CC) $$(HOST_CFLAGS) -I$(KERNEL_PREFIX)/include \
		$$(call pkgconf,--cflags,$$($$(T_NAME)_PKGS)) $$($$(T_NAME)_CFLAGS) $$(DEPFLAGS) -c $$< -o $$@
endef

# Shell tests are installed as executables; atf-sh runs them.
define sh_test
$(TESTDIR)/$(1)/$(2): $(3)
	$$(call say,GEN,$$@)mkdir -p $$(@D) && \
	{ head -n1 $$< | grep -q '^#!' || echo '#! /usr/bin/env atf-sh'; cat $$<; } >$$@.tmp && \
	chmod 755 $$@.tmp && mv $$@.tmp $$@
$(1)_PROGRAMS += $(2)
endef

# $(call group,GROUP,SRCDIR,PLATFORM,c|sh|c sh,DEFAULT-PKGS): every test of
# SRCDIR of the given kinds, into O/tests/GROUP.  Each test's rules are
# eval'ed on their own: foreach would join the generated texts with spaces.
c_tests = $(foreach t,$(filter-out $(basename $(HELPER_SRCS)),$(notdir $(basename $(wildcard $(2)/t_*.c)))),\
	$(eval $(call c_test,$(1),$(2),$(t),$(3),$(5)))\
	$(foreach h,$(filter-out $(patsubst $(1)/%,%,$(filter $(1)/%,$(HELPERS_DONE))),$($(t)_HELPERS)),\
		$(eval $(call c_prog,$(1),$(2),$(h),$(3),$(5)))$(eval HELPERS_DONE += $(1)/$(h)))\
	$(foreach l,$($(t)_SHLIBS),$(eval $(call shlib,$(1),$(2),$(l),$(3)))))
sh_tests = $(foreach t,$(wildcard $(2)/t_*.sh),$(eval $(call sh_test,$(1),$(notdir $(basename $(t))),$(t))))
group = $(eval GROUPS += $(1))$(eval $(1)_PROGRAMS :=)$(if $(filter c,$(4)),$(c_tests))$(if $(filter sh,$(4)),$(sh_tests))

LOWER_LIBS = $(wildcard $(KERNEL_PREFIX)/lib/librump*.a $(PLATFORM_PREFIX)/lib/librumpuser-*.a \
	$(APPSTACK_PREFIX)/lib/librumpclient.a)

$(call group,kernel,$(TOPDIR)/kernel/tests,,sh)
$(foreach p,$(KERNEL_TEST_PLATFORMS),$(call group,kernel-$(p),$(TOPDIR)/kernel/tests,$(p),c,$(KERNEL_PKGS) rumpuser-$(p)))
$(foreach p,$(COMMON_TEST_PLATFORMS),$(call group,common-$(p),$(TOPDIR)/platform/common/tests,$(p),c,rumpuser-$(p)))
$(foreach p,$(TEST_PLATFORMS),$(call group,platform-$(p),$(TOPDIR)/platform/$(p)/tests,$(p),c sh,rumpuser-$(p)))
$(call group,appstack,$(TOPDIR)/appstack/tests,$(PLATFORM),c sh,$(KERNEL_PKGS) rumpuser-$(PLATFORM))
$(call group,apps,$(TOPDIR)/apps/tests,$(PLATFORM),c sh,$(KERNEL_PKGS) rumpuser-$(PLATFORM))

ifneq ($(SANITIZE),)
$(foreach g,$(GROUPS),$(eval $(g)_PROGRAMS := $(foreach t,$($(g)_PROGRAMS),$(if $(filter yes,$($(t)_PLAIN_ONLY)),,$(t)))))
endif
# Groups without any test get no Kyuafile (and no directory).
GROUPS := $(foreach g,$(GROUPS),$(if $($(g)_PROGRAMS),$(g)))
# Under ThreadSanitizer (SANITIZE=thread) only what runs on the posix
# platform's host threads: the kernel, platform/common and platform/posix
# tests linked for posix.  The build checks (kernel/*.sh, apps/) would only
# rebuild the tree, and ThreadSanitizer cannot follow the fiber platform's
# own context switches.
ifneq ($(filter thread,$(subst $(comma), ,$(SANITIZE))),)
GROUPS := $(filter %-posix,$(GROUPS))
endif

# --- Under valgrind -----------------------------------------------------------
#
# make check VALGRIND=memcheck runs, instead of the whole suite, the test
# programs of VALGRIND_GROUPS (default: kernel-fiber, the kernel tests on
# the fiber platform, whose one host thread valgrind follows best) under
# valgrind's tool of that name.  The programs are those of the plain build
# (valgrind needs no instrumented build); O/tests/valgrind-TOOL/GROUP/
# holds one script per program that runs it through mk/valgrind-test.sh,
# and a Kyuafile of those.  VALGRIND_TESTS="t_a t_b" keeps only the
# programs named; VALGRIND_TESTS=quick is VALGRIND_QUICK, the subset CI
# runs (.ci/run): the whole group (all green) takes 11 to 19 minutes
# under memcheck on 2 cores, more than CI can spend, so CI takes the
# programs of the base kernel, the VFS, tmpfs, pipes and sockets, which
# run in a few minutes, and leaves out the file system images, the crash
# and fuzz-like tests and the network tests with peers (README:
# Valgrind).  VG_OPTIONS: an error of the tool fails the test case
# (exit status 99), and so does memory a test case leaves unreachable
# ("definitely lost"); memory still pointed to at exit is fine (a kernel
# is not torn down at exit).  VG_TIMEOUT_SCALE multiplies every
# timeout.  The fiber platform tells valgrind about its threads' stacks
# (platform/fiber/fiber_mem.c).
ifneq ($(VALGRIND),)
ifneq ($(SANITIZE),)
$(error VALGRIND and SANITIZE do not mix: valgrind runs uninstrumented programs)
endif
VALGRIND_GROUPS ?= kernel-fiber
VALGRIND_QUICK := t_proc t_time t_threads t_kern_internals t_legacy_syscalls \
	t_params t_efault t_memlimit t_blk t_poll t_vfs_files t_vfs_names \
	t_vfs_perm t_vfs_attrs t_vfs_special t_xattr t_net_unix t_net_inet \
	t_net_tcp t_msdosfs_state
override VALGRIND_TESTS := $(if $(filter quick,$(VALGRIND_TESTS)),$(filter-out quick,$(VALGRIND_TESTS)) $(VALGRIND_QUICK),$(VALGRIND_TESTS))
VG_OPTIONS ?= --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --num-callers=30
VG_TIMEOUT_SCALE ?= 20
VG_TESTDIR := $(TESTDIR)/valgrind-$(VALGRIND)
$(foreach g,$(VALGRIND_GROUPS),$(if $(filter $(g),$(GROUPS)),,$(error VALGRIND: no test group $(g) (have: $(GROUPS)))))
vg_programs = $(if $(VALGRIND_TESTS),$(filter $(VALGRIND_TESTS),$($(1)_PROGRAMS)),$($(1)_PROGRAMS))
vg_wrapper = \#!/bin/sh$(newline)\# $(1)/$(2) under valgrind (mk/tests.mk, VALGRIND=)$(newline)VG_TOOL='$(VALGRIND)' VG_OPTIONS='$(VG_OPTIONS)' VG_TIMEOUT_SCALE='$(VG_TIMEOUT_SCALE)' exec /bin/sh '$(MKDIR)/valgrind-test.sh' '$(TESTDIR)/$(1)/$(2)' "$$@"$(newline)
vg_group_kyuafile = $(KYUAFILE_HEAD)$(call lines,$(foreach t,$(call vg_programs,$(1)),atf_test_program{name="$(t)"$(if $(filter yes,$($(t)_EXCLUSIVE)),$(comma) is_exclusive=true)}$(newline)))
endif

# --- Kyuafiles and configuration --------------------------------------------

# Kyua hands these to every test program of the suite "strata"; a shell
# test reads them with `atf_config_get NAME`.
KYUA_CONF_VARS := topdir builddir kernel_prefix platform_prefix appstack_prefix bindir platform \
	make cc ar nm objcopy cross_compile cflags cppflags ldflags werror \
	sanitize
kyua_topdir := $(TOPDIR)
kyua_builddir := $(O)
kyua_kernel_prefix := $(KERNEL_PREFIX)
kyua_platform_prefix := $(PLATFORM_PREFIX)
kyua_appstack_prefix := $(APPSTACK_PREFIX)
kyua_bindir := $(INSTDIR)/bin
kyua_platform := $(PLATFORM)
kyua_make := $(MAKE)
kyua_cc := $(CC)
kyua_ar := $(AR)
kyua_nm := $(NM)
kyua_objcopy := $(OBJCOPY)
kyua_cross_compile := $(CROSS_COMPILE)
# The user's CFLAGS: what SANITIZE added reaches a test's own builds
# through SANITIZE itself (in the environment), not twice.
kyua_cflags := $(filter-out $(SANITIZE_FLAGS),$(CFLAGS))
kyua_cppflags := $(CPPFLAGS)
kyua_ldflags := $(LDFLAGS)
kyua_werror := $(WERROR)
kyua_sanitize := $(SANITIZE)

define newline


endef

# foreach separates its results with a space; drop it after each newline.
lines = $(subst $(newline) ,$(newline),$(1))
lua_string = "$(subst ",\",$(subst \,\\,$(1)))"
kyua_conf_line = test_suites.strata.$(1) = $(call lua_string,$(kyua_$(1)))
KYUA_CONF = syntax(2)$(newline)$(call lines,$(foreach v,$(KYUA_CONF_VARS),$(call kyua_conf_line,$(v))$(newline)))
KYUAFILE_HEAD = syntax(2)$(newline)test_suite("strata")$(newline)
top_kyuafile = $(KYUAFILE_HEAD)$(call lines,$(foreach g,$(GROUPS),include("$(g)/Kyuafile")$(newline)))
group_kyuafile = $(KYUAFILE_HEAD)$(call lines,$(foreach t,$($(1)_PROGRAMS),atf_test_program{name="$(t)"$(if $(filter yes,$($(t)_EXCLUSIVE)),$(comma) is_exclusive=true)}$(newline)))

# Nothing depends on these files' timestamps, so they are simply rewritten.
write = $(shell mkdir -p $(dir $(1)))$(file >$(1),$(2))

.PHONY: all run kyuafiles
.DEFAULT_GOAL := all

kyuafiles:
	$(call write,$(TESTDIR)/kyua.conf,$(KYUA_CONF))
	$(call write,$(TESTDIR)/Kyuafile,$(top_kyuafile))
	$(foreach g,$(GROUPS),$(call write,$(TESTDIR)/$(g)/Kyuafile,$(call group_kyuafile,$(g))))
ifneq ($(VALGRIND),)
	$(shell rm -rf $(VG_TESTDIR))$(call write,$(VG_TESTDIR)/Kyuafile,$(KYUAFILE_HEAD)$(call lines,$(foreach g,$(VALGRIND_GROUPS),include("$(g)/Kyuafile")$(newline))))
	$(foreach g,$(VALGRIND_GROUPS),$(call write,$(VG_TESTDIR)/$(g)/Kyuafile,$(call vg_group_kyuafile,$(g)))\
		$(foreach t,$(call vg_programs,$(g)),$(call write,$(VG_TESTDIR)/$(g)/$(t),$(call vg_wrapper,$(g),$(t)))))
	@chmod 755 $(foreach g,$(VALGRIND_GROUPS),$(addprefix $(VG_TESTDIR)/$(g)/,$(call vg_programs,$(g))))
endif
	@:

all: kyuafiles $(foreach g,$(GROUPS),$(addprefix $(TESTDIR)/$(g)/,$($(g)_PROGRAMS)))

# Kyua's exit status is ignored: the summary reads the results file and
# decides (and it also fails when Kyua could not run at all).
# The kernel and platform/common tests form a matrix (the same tests on
# each platform): their results must agree, which kyua-matrix.sh checks.
# The sanitizers' run-time settings (used only by sanitized programs):
# report with stacks, stop at the first error, and leave out leaks in
# libraries that are not ours (mk/sanitizers/lsan.supp says which and why).
# ThreadSanitizer's own SIGSEGV handler (handle_segv) would end the process
# before the posix platform's handler, which turns a fault in the kernel's
# copies into EFAULT (rumpuser_fcopy.h), could run: without it faults go
# to the program's handlers as they do without TSan.
SANITIZER_ENV := \
	ASAN_OPTIONS=detect_stack_use_after_return=1:check_initialization_order=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(MKDIR)/sanitizers/lsan.supp:print_suppressions=0 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:handle_segv=0

ifneq ($(VALGRIND),)
# Only the programs under valgrind; one platform, so no matrix to check.
run: all
	@command -v valgrind >/dev/null 2>&1 || { echo "VALGRIND=$(VALGRIND): valgrind not found (Debian: apt-get install valgrind)" >&2; exit 1; }
	@cd $(VG_TESTDIR) && rm -f results.db && \
	{ kyua --config=$(TESTDIR)/kyua.conf --logfile=kyua.log \
		--variable=parallelism=$(TEST_JOBS) test --kyuafile=Kyuafile \
		--results-file=results.db || :; } && \
	$(SHELL) $(MKDIR)/kyua-summary.sh $(VG_TESTDIR)
else
run: all
	@cd $(TESTDIR) && rm -f results.db && \
	{ $(SANITIZER_ENV) kyua --config=kyua.conf --logfile=kyua.log \
		--variable=parallelism=$(TEST_JOBS) test --kyuafile=Kyuafile \
		--results-file=results.db || :; } && \
	{ $(SHELL) $(MKDIR)/kyua-matrix.sh $(TESTDIR) '$(KERNEL_TEST_PLATFORMS)' kernel; \
	  m1=$$?; $(SHELL) $(MKDIR)/kyua-matrix.sh $(TESTDIR) '$(COMMON_TEST_PLATFORMS)' common; \
	  m2=$$?; $(SHELL) $(MKDIR)/kyua-summary.sh $(TESTDIR) && [ $$m1 = 0 ] && [ $$m2 = 0 ]; }
endif

-include $(shell find $(TESTDIR) -name '*.d' 2>/dev/null)
.DELETE_ON_ERROR:
