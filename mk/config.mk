# mk/config.mk: settings every layer shares.
#
# Each layer Makefile (kernel/, platform/<name>/, apps/) and the top-level
# Makefile include this first, so that a layer built on its own
# (`make -C kernel`) gets exactly the defaults it gets from the top level.
# Nothing in here knows about any particular layer.

ifndef STRATA_CONFIG_MK
STRATA_CONFIG_MK := 1

# Paths are found from this file's own location rather than from the
# current directory, so that `make -C kernel`, `make -f kernel/Makefile`
# and the top-level Makefile all agree on them.
MKDIR  := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
TOPDIR := $(abspath $(MKDIR)/..)

STRATA_VERSION := 0.1

# Recipes and the helper scripts in mk/ are plain POSIX sh.
SHELL := /bin/sh
comma := ,

# --- Where things go -------------------------------------------------------
#
# O is the build root (objects, staged libraries, generated tests); PREFIX
# is where layers are installed, by default inside the build root so that a
# plain `make` never writes outside it.  Both are made absolute once here:
# layer Makefiles run in other directories, and the top level passes the
# absolute values down explicitly.
# A sanitized build (SANITIZE=..., below) gets a build root of its own, so
# that its objects never mix with an ordinary build's.
ifneq ($(SANITIZE),)
O      ?= $(TOPDIR)/build/sanitize-$(subst $(comma),-,$(SANITIZE))
else
O      ?= $(TOPDIR)/build
endif
override O := $(abspath $(O))
PREFIX ?= $(O)/prefix
override PREFIX := $(abspath $(PREFIX))
ifneq ($(DESTDIR),)
override DESTDIR := $(abspath $(DESTDIR))
endif
# What is actually written to; PREFIX alone is what the files are meant
# to be used from (the .pc files are relocatable, so nothing embeds it).
INSTDIR := $(DESTDIR)$(PREFIX)

# A higher layer is pointed at installed lower layers; by default, at the
# prefix this same build installs into.
KERNEL_PREFIX   ?= $(INSTDIR)
PLATFORM_PREFIX ?= $(INSTDIR)
APPSTACK_PREFIX ?= $(INSTDIR)
override KERNEL_PREFIX   := $(abspath $(KERNEL_PREFIX))
override PLATFORM_PREFIX := $(abspath $(PLATFORM_PREFIX))
override APPSTACK_PREFIX := $(abspath $(APPSTACK_PREFIX))
PLATFORM ?= posix

# --- Toolchain -------------------------------------------------------------
#
# clang is a cross compiler by itself: CC="clang --target=aarch64-linux-gnu"
# needs no CROSS_COMPILE (clang takes the C library from Debian's
# /usr/<triple> and crt files and libgcc from the cross gcc,
# gcc-<triple>, which it finds on its own).  The binutils that handle the
# target's objects are then the triple's GNU ones (which that cross gcc
# brings along) when installed, else LLVM's, which read every target.
ifeq ($(origin CROSS_COMPILE),undefined)
CC_TARGET := $(if $(filter-out default,$(origin CC)),$(patsubst --target=%,%,$(filter --target=%,$(CC))))
ifneq ($(CC_TARGET),)
ifneq ($(shell command -v $(CC_TARGET)-objcopy 2>/dev/null),)
CROSS_COMPILE := $(CC_TARGET)-
else
LLVM_BINUTILS := 1
endif
endif
endif

# make's built-in defaults for CC and AR ("cc", "ar") would silently ignore
# CROSS_COMPILE, so they are replaced only when still at their defaults;
# anything the user set (command line or environment) wins.
ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
ifeq ($(origin AR),default)
AR := $(if $(LLVM_BINUTILS),llvm-ar,$(CROSS_COMPILE)ar)
endif
# Everything links through $(CC) today; LD is for layers that will call
# the linker directly (bare-metal images).
ifeq ($(origin LD),default)
LD := $(if $(LLVM_BINUTILS),ld.lld,$(CROSS_COMPILE)ld)
endif
# The target architecture as the compiler names it (x86_64, aarch64, ...):
# platforms choose per-architecture source directories by it.
ifeq ($(origin ARCH),undefined)
ARCH := $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))
endif
NM         ?= $(if $(LLVM_BINUTILS),llvm-nm,$(CROSS_COMPILE)nm)
OBJCOPY    ?= $(if $(LLVM_BINUTILS),llvm-objcopy,$(CROSS_COMPILE)objcopy)
PKG_CONFIG ?= pkg-config
INSTALL    ?= install

# --- Flags -----------------------------------------------------------------
#
# -Werror only on request: a newer compiler than CI's must not break a
# user's build.  CI sets CI=true in the environment, which turns it on, so
# the CI command and the documented command are the same `make check`.
ifeq ($(origin WERROR),undefined)
WERROR := $(if $(filter-out 0 false no,$(CI)),1,0)
endif
WARNFLAGS := -Wall -Wextra $(if $(filter 1 yes true,$(WERROR)),-Werror)

# Ordinary host code (platforms, applications, tests).  Everything is
# position independent so that any object can go into a shared library
# and into Debian's default PIE executables.  The user's CPPFLAGS/CFLAGS
# come last so that they override ours (e.g. CFLAGS=-O0).  _GNU_SOURCE is
# defined empty, exactly as a source file's own "#define _GNU_SOURCE" would
# define it, so a file that also defines it gets no redefinition warning.
HOST_CFLAGS = -std=c11 -D_GNU_SOURCE= -fPIC -O2 -g $(WARNFLAGS) $(REPRO_CFLAGS) $(CPPFLAGS) $(CFLAGS)
DEPFLAGS    = -MMD -MP

# --- Reproducible builds -----------------------------------------------------
#
# The same tree built in two directories, at two times, gives bit-identical
# archives, shared objects and programs (apps/tests/t_reproducible.sh).
# Only the directories can differ, so no object may name them: debug
# information and __FILE__ (assertions) see the source tree as "." and the
# build root as "build" (-ffile-prefix-map implies the debug and macro
# maps; the last option that matches wins, so the build root, usually
# inside the tree, comes last), and a DESTDIR staging root as nothing, so
# headers of a staged lower layer are named where they will be installed.
# Archives are made deterministic (ar D: no dates, uids or modes), the
# build-id is a hash of the contents, and SOURCE_DATE_EPOCH (the date of
# the last commit unless set) stands for "now" where a tool records a date
# (__DATE__, dpkg-deb).
REPRO_CFLAGS = -ffile-prefix-map=$(TOPDIR)=. -ffile-prefix-map=$(O)=build \
	$(if $(DESTDIR),-ffile-prefix-map=$(DESTDIR)/=/)
ifeq ($(origin SOURCE_DATE_EPOCH),undefined)
SOURCE_DATE_EPOCH := $(or $(shell git -C $(TOPDIR) log -1 --format=%ct 2>/dev/null),0)
endif
export SOURCE_DATE_EPOCH

# --- Sanitizers ----------------------------------------------------------------
#
# SANITIZE=address,undefined (or thread, ...) is handed to -fsanitize= for
# every object of every layer, the freestanding kernel included (its
# instrumentation calls into the sanitizer runtime, which the final program
# links), and for every link: it goes into CFLAGS, which every compile and
# link command of the tree uses.  UBSan stops at the first error instead of
# printing and going on, so that a test with undefined behaviour fails.
# CFLAGS reaches sub-makes through the environment when the user set it
# there, so the flags are added only where they are not already.
ifneq ($(SANITIZE),)
SANITIZE_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	$(if $(filter undefined,$(subst $(comma), ,$(SANITIZE))),-fno-sanitize-recover=undefined)
ifeq ($(filter -fsanitize=%,$(CFLAGS)),)
override CFLAGS := $(SANITIZE_FLAGS) $(CFLAGS)
endif
endif

# --- Output ----------------------------------------------------------------
#
# Concise by default ("  CC      kernel/kern/init.c"), full command lines
# with V=1.  $(call say,TAG,FILE) is put in front of a recipe line; paths
# are shown relative to the build root or the source tree.
ifeq ($(V),1)
Q :=
say =
else
Q := @
say = @printf '  %-7s %s\n' '$(1)' '$(patsubst $(TOPDIR)/%,%,$(patsubst $(O)/%,%,$(2)))';
endif

# How a layer asks pkg-config about the installed layers below it:
# $(call pkgconf,--cflags|--libs,PACKAGES).  The given prefixes come first,
# so they win over anything of the same name installed on the system.
PKG_CONFIG_ENV = PKG_CONFIG_PATH=$(KERNEL_PREFIX)/lib/pkgconfig:$(PLATFORM_PREFIX)/lib/pkgconfig$(if $(filter-out $(KERNEL_PREFIX) $(PLATFORM_PREFIX),$(APPSTACK_PREFIX)),:$(APPSTACK_PREFIX)/lib/pkgconfig)$(if $(PKG_CONFIG_PATH),:$(PKG_CONFIG_PATH))
pkgconf = $(if $(strip $(2)),$(shell $(PKG_CONFIG_ENV) $(PKG_CONFIG) $(1) $(2)))

# --- Link commands shared by the layers and the tests ---------------------

# An archive is recreated from scratch so that objects of deleted sources
# never linger in it; D: deterministic (no dates, uids, modes).
ARCHIVE = $(call say,AR,$@)mkdir -p $(@D) && rm -f $@ && $(AR) rcsD $@ $(filter %.o,$^)

# A shared library from the .o prerequisites: $(call SHLIB_LINK,libs)
SHLIB_LINK = $(call say,LD,$@)mkdir -p $(@D) && \
	$(CC) -shared -Wl,-soname,$(@F) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(1)

# $(call listfile,FILE,WORDS) names FILE, which holds WORDS and is rewritten
# (at parse time) only when they change.  A library depending on the list
# of its objects is thus relinked when a source file is deleted, which
# timestamps alone cannot notice.
listfile = $(if $(filter-out $(2),$(file <$(1)))$(filter-out $(file <$(1)),$(2))$(if $(wildcard $(1)),,new),\
	$(shell mkdir -p $(dir $(1)))$(file >$(1),$(2)))$(1)

# Sub-makes print no "Entering directory" noise; -r: we define every
# rule we use, and the built-in ones only slow make down.
MAKEFLAGS += --no-print-directory -r

endif # STRATA_CONFIG_MK
