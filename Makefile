# Makefile: strata's top-level entry point.
#
#   make                 build and install every layer into build/prefix
#   make demo            ... and run the demo
#   make check           ... and build and run the tests (Kyua)
#   make help            targets and variables
#
# This file only sequences the layers.  Each layer has its own, standalone
# entry point (kernel/Makefile, platform/<name>/Makefile, apps/Makefile)
# and consumes lower layers only as installed prefixes, so any of them can
# equally be built by hand, by a package build, or against a prefix
# installed elsewhere.

# Whether the user pointed us at already-installed lower layers has to be
# known before mk/config.mk fills in the defaults: if so, those layers are
# not built here at all.
KERNEL_GIVEN   := $(filter-out undefined,$(origin KERNEL_PREFIX))
PLATFORM_GIVEN := $(filter-out undefined,$(origin PLATFORM_PREFIX))
APPSTACK_GIVEN := $(filter-out undefined,$(origin APPSTACK_PREFIX))

include $(dir $(lastword $(MAKEFILE_LIST)))mk/config.mk

# Layers build with one job per CPU unless the command line says otherwise
# (make -j1 builds serially).  The sub-makes get -j; this one only
# sequences them.
JOBS ?= $(or $(shell getconf _NPROCESSORS_ONLN 2>/dev/null),1)
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(JOBS)
endif

# Kernel tests are linked and run once per platform named here (the whole
# suite on both: ISSUE 3); platform tests and platform/common's tests run
# for each of these and for PLATFORM.
# Sanitized builds (SANITIZE=...) test the posix platform only: the
# sanitizers' runtimes know host threads, not the fiber platform's own
# stacks and context switches.
KERNEL_TEST_PLATFORMS ?= posix $(if $(SANITIZE),,fiber)
TEST_PLATFORMS := $(sort $(PLATFORM) $(KERNEL_TEST_PLATFORMS))
# make bench compares these platforms (bench/Makefile).
BENCH_PLATFORMS ?= posix fiber
# The applications are linked for PLATFORM (strata-demo) and for each of
# these (strata-demo-fiber), so that the tests can run them all.
APP_PLATFORMS ?= $(TEST_PLATFORMS)
# Platforms that make bootable images rather than host programs (kvm:
# x86_64 virtual machines): built and installed with the apps, tested
# through strata-bake and strata-boot.  Not in sanitized builds (a
# bare-metal image cannot carry the sanitizer runtimes) nor cross builds.
IMAGE_PLATFORMS ?= $(if $(and $(filter x86_64,$(ARCH)),$(if $(SANITIZE)$(CROSS_COMPILE),,y)),kvm)
ALL_PLATFORMS := $(sort $(TEST_PLATFORMS) $(BENCH_PLATFORMS) $(APP_PLATFORMS) $(IMAGE_PLATFORMS))

# Every layer gets the same absolute paths: the user's O=, PREFIX= may be
# relative, and a sub-make runs in another directory.  (Toolchain and flag
# variables reach sub-makes through MAKEFLAGS as usual.)
PATHS := O=$(O) PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) \
	KERNEL_PREFIX=$(KERNEL_PREFIX) PLATFORM_PREFIX=$(PLATFORM_PREFIX) \
	APPSTACK_PREFIX=$(APPSTACK_PREFIX) \
	PLATFORM=$(PLATFORM) KERNEL_TEST_PLATFORMS='$(KERNEL_TEST_PLATFORMS)' \
	APP_PLATFORMS='$(APP_PLATFORMS)'
layer_make = $(MAKE) -C $(TOPDIR)/$(1) $(PATHS)
tests_make = $(MAKE) -f $(MKDIR)/tests.mk $(PATHS)

# What each target needs installed on the machine: the compiler, binutils
# and the C library's headers (a minimal Debian root has none of them:
# build-essential; a cross compiler's package is gcc-<triplet>, clang's
# clang) and pkg-config; make check also needs Kyua and ATF.
CC_PACKAGE := $(if $(filter clang%,$(notdir $(firstword $(CC)))),clang,$(if $(CROSS_COMPILE),gcc-$(patsubst %-,%,$(notdir $(CROSS_COMPILE))),build-essential))
BUILD_DEPS := cmd:$(firstword $(CC)):$(CC_PACKAGE) \
	cmd:$(firstword $(AR)):$(if $(CROSS_COMPILE),binutils-$(patsubst %-,%,$(notdir $(CROSS_COMPILE))),binutils) \
	$(if $(CROSS_COMPILE),,file:/usr/include/stdio.h:build-essential) \
	cmd:$(firstword $(PKG_CONFIG)):pkgconf
# What building platforms $(1) needs beyond that (fiber: io_uring; in a
# cross build the target's liburing, which no Debian package holds:
# platform/fiber checks for it and names mk/cross-liburing.sh).
PLATFORM_DEPS = $(if $(and $(filter fiber,$(1)),$(if $(CROSS_COMPILE)$(CC_TARGET),,native)),file:/usr/include/liburing.h:liburing-dev)
CHECK_DEPS := $(BUILD_DEPS) cmd:kyua:kyua cmd:atf-sh:atf-sh \
	file:/usr/include/atf-c.h:libatf-dev $(call PLATFORM_DEPS,$(TEST_PLATFORMS)) \
	$(if $(VALGRIND),cmd:valgrind:valgrind)

.PHONY: all install kernel platform appstack apps demo tests check bench bench-net deb clean help \
	need-build $(addprefix platform-,$(ALL_PLATFORMS))
.DEFAULT_GOAL := all

all: apps

# Building installs (into build/prefix unless told otherwise).
install: all

need-build:
	@$(SHELL) $(MKDIR)/need.sh $(BUILD_DEPS)

kernel: | need-build
	+$(Q)$(call layer_make,kernel)

# A platform is built against the kernel installed just before, unless
# KERNEL_PREFIX names one already installed: then no kernel file is touched.
platform: platform-$(PLATFORM)
$(addprefix platform-,$(ALL_PLATFORMS)): platform-%: $(if $(KERNEL_GIVEN),,kernel) | need-build
	@test -f $(TOPDIR)/platform/$*/Makefile || { echo "no platform/$*/Makefile" >&2; exit 1; }
	$(if $(call PLATFORM_DEPS,$*),@$(SHELL) $(MKDIR)/need.sh $(call PLATFORM_DEPS,$*))
	+$(Q)$(call layer_make,platform/$*)

# Layer 2, the application stack, is built against the installed kernel
# and platforms (unless APPSTACK_PREFIX names one already installed).
APPSTACK_PLATFORMS := $(if $(PLATFORM_GIVEN),,$(addprefix platform-,$(sort $(PLATFORM) $(APP_PLATFORMS))))
appstack: $(if $(KERNEL_GIVEN),,kernel) $(APPSTACK_PLATFORMS) | need-build
	+$(Q)$(call layer_make,appstack)

apps: $(if $(KERNEL_GIVEN),,kernel) $(APPSTACK_PLATFORMS) $(if $(APPSTACK_GIVEN),,appstack) \
		$(if $(PLATFORM_GIVEN),,$(addprefix platform-,$(IMAGE_PLATFORMS))) | need-build
	+$(Q)$(call layer_make,apps)

demo: apps
	$(INSTDIR)/bin/strata-demo

# The tests need every platform they link against installed.
tests: apps $(if $(PLATFORM_GIVEN),,$(addprefix platform-,$(TEST_PLATFORMS)))
	+$(Q)$(tests_make) all

# Dependencies first (they may be installed now), then build, then run.
# The last line printed is "N passed, N failed[, N skipped]".
check:
	@$(SHELL) $(MKDIR)/need.sh $(CHECK_DEPS)
	+@$(MAKE) -f $(firstword $(MAKEFILE_LIST)) tests
	+@$(tests_make) run

# Benchmarks (not tests): every platform in BENCH_PLATFORMS side by side
# with the host's own peers; prints one table (bench/run.sh).
bench: apps $(if $(PLATFORM_GIVEN),,$(addprefix platform-,$(BENCH_PLATFORMS)))
	+$(Q)$(call layer_make,bench) BENCH_PLATFORMS='$(BENCH_PLATFORMS)' run
# Only the network table (bench/net.sh).
bench-net: apps $(if $(PLATFORM_GIVEN),,$(addprefix platform-,$(BENCH_PLATFORMS)))
	+$(Q)$(call layer_make,bench) BENCH_PLATFORMS='$(BENCH_PLATFORMS)' run-net

# Debian packages of every layer, from an install of each into a root of
# its own with PREFIX=/usr (mk/deb.sh says which package holds what).
DEB_ARCH = $(or $(DEB_ARCH.$(ARCH)),$(ARCH))
DEB_ARCH.x86_64 := amd64
DEB_ARCH.aarch64 := arm64
DEB_LAYERS = kernel $(addprefix platform/,$(sort $(PLATFORM) $(APP_PLATFORMS) $(IMAGE_PLATFORMS))) appstack apps
deb: apps
	@$(SHELL) $(MKDIR)/need.sh cmd:dpkg-deb:dpkg cmd:dpkg-shlibdeps:dpkg-dev
	rm -rf $(O)/deb/root
	+$(Q)$(foreach l,$(DEB_LAYERS),$(call layer_make,$(l)) PREFIX=/usr \
		DESTDIR=$(O)/deb/root/$(subst /,-,$(l)) install &&) :
	$(Q)STRIP='$(CROSS_COMPILE)strip' $(SHELL) $(MKDIR)/deb.sh $(O)/deb $(STRATA_VERSION) $(DEB_ARCH) '$(CC)' $(O)/deb/root

clean:
	rm -rf $(O)

help:
	@sed -n '/^## help/,$$s/^#\( \|$$\)//p' $(firstword $(MAKEFILE_LIST))

## help
# Targets:
#   all (default)  build kernel, platform and apps; install into PREFIX
#   kernel         build and install the kernel layer only
#   platform       build and install platform/$(PLATFORM) (needs a kernel)
#   appstack       build and install the application stack, layer 2
#                  (sysproxy client...; needs kernel and platform)
#   apps           build and install the applications (needs both)
#   demo           all, then run PREFIX/bin/strata-demo
#   tests          all, then build the test programs under O/tests
#   check          install test dependencies if root, build, run Kyua;
#                  prints "N passed, N failed", fails if any test failed
#                  or a test of the platform matrix gives different results
#   deb            all, then Debian packages of every layer into O/deb/
#                  (README: Debian packages)
#   bench          build the benchmarks for BENCH_PLATFORMS, run them,
#                  print a table of figures and ratios (under a minute)
#   bench-net      the same for the network benchmarks only (bench/net.sh;
#                  BENCH_NET_REPEAT=n runs each, median shown, default 5)
#   clean          remove O
# Variables:
#   O=dir          build root (default: build)
#   PREFIX=dir     install prefix (default: O/prefix); DESTDIR=dir stages
#   V=1            show full command lines
#   JOBS=n         parallel build jobs when no -j is given (default: CPUs)
#   TEST_JOBS=n    test cases Kyua runs at once (default: CPUs)
#   CC AR NM OBJCOPY LD CROSS_COMPILE   toolchain (CROSS_COMPILE prefixes
#                  gcc, ar, nm, objcopy, ld)
#   CFLAGS CPPFLAGS LDFLAGS             appended to the build's own flags
#   WERROR=1       add -Werror (default on when CI is set)
#   PLATFORM=name  platform/<name> to build (default: posix)
#   KERNEL_PREFIX=dir    use this installed kernel, build none
#   PLATFORM_PREFIX=dir  use this installed platform, build none
#   APPSTACK_PREFIX=dir  use this installed application stack, build none
#   KERNEL_TEST_PLATFORMS="posix ..."  platforms the kernel tests run on
#   VALGRIND=memcheck    make check runs the kernel tests of the fiber
#                  platform under valgrind's memcheck instead of the suite
#                  (README: Valgrind; VALGRIND_TESTS="t_a ..." for some)
#   APP_PLATFORMS="posix fiber"        apps also linked for these, as
#                  strata-<app>-<platform> (default: the test platforms)
#   BENCH_PLATFORMS="posix fiber"      platforms make bench compares
#   BENCH_REPEAT=n       runs per benchmark (median shown; default 5)
