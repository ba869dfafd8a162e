# mk/platform.mk: how any platform/<name>/ is built.
#
# platform/<name>/Makefile states what is particular to that platform and
# then includes this file:
#
#   PLATFORM_SRCDIRS  more source directories, relative to the platform's
#                     own and inside platform/ (e.g. ../common for fiber
#                     and kvm, ../posixhost for posix and fiber); the
#                     platform directory itself is always one.  Such a
#                     directory has no Makefile: it is not a platform
#   PLATFORM_LIBS     host libraries its users must link (e.g. -lpthread)
#   PLATFORM_FREESTANDING  those of PLATFORM_SRCDIRS whose sources are
#                     compiled like the kernel (-ffreestanding -nostdinc:
#                     no host header, no libc), because bare-metal
#                     platforms share them; their include path is only
#                     themselves, each one's include/ and the kernel's
#                     public headers
#   PLATFORM_FREESTANDING_CFLAGS  extra flags for those (e.g. -mno-red-zone
#                     for code that runs in a bare-metal kernel)
#   PLATFORM_CPPFLAGS extra preprocessor flags (hosted sources)
#   PLATFORM_SHARED   yes (default) to also build librumpuser-<name>.so
#   PLATFORM_LIBFILES files of the platform directory installed into lib/
#                     as they are (e.g. the kvm platform's linker script)
#   PLATFORM_CHECKS   targets (defined by the platform's Makefile) made
#                     before anything is compiled, e.g. one that stops
#                     with what to install when a host library is missing
#
# It produces lib/librumpuser-<name>.a (+ .so) and
# lib/pkgconfig/rumpuser-<name>.pc.  The kernel is used only through an
# installed prefix, KERNEL_PREFIX: its headers, never its sources.

PLATFORM_MAKEFILE := $(firstword $(MAKEFILE_LIST))
include $(dir $(lastword $(MAKEFILE_LIST)))config.mk

# The platform is the directory the Makefile is in, whatever PLATFORM says.
PLATFORM_DIR := $(abspath $(dir $(PLATFORM_MAKEFILE)))
override PLATFORM := $(notdir $(PLATFORM_DIR))
PLATFORM_SHARED ?= yes

SRCROOT := $(TOPDIR)/platform
OBJDIR  := $(O)/platform-$(PLATFORM)/obj
STAGE   := $(O)/platform-$(PLATFORM)/stage
LIB     := rumpuser-$(PLATFORM)

# Sources are C and, for context switches and the like, assembler (.S).
SRCDIRS := $(PLATFORM_DIR) $(abspath $(addprefix $(PLATFORM_DIR)/,$(PLATFORM_SRCDIRS)))
srcs_in  = $(foreach d,$(1),$(wildcard $(d)/*.c $(d)/*.S))
objs_of  = $(patsubst $(SRCROOT)/%,$(OBJDIR)/%.o,$(basename $(1)))
SRCS    := $(call srcs_in,$(SRCDIRS))
OBJS    := $(call objs_of,$(SRCS))

LAYER_CFLAGS = $(addprefix -I,$(SRCDIRS)) -I$(KERNEL_PREFIX)/include \
	$(PLATFORM_CPPFLAGS) $(HOST_CFLAGS)

# Freestanding sources get the kernel's kind of flags instead, and -MD so
# that their dependency files list every header read (none from the host).
FREESTANDING_DIRS := $(abspath $(addprefix $(PLATFORM_DIR)/,$(PLATFORM_FREESTANDING)))
FREESTANDING_OBJS := $(call objs_of,$(call srcs_in,$(FREESTANDING_DIRS)))
FREESTANDING_CFLAGS = -std=c11 -ffreestanding -nostdinc -fno-stack-protector \
	-fno-common -fPIC -O2 -g $(WARNFLAGS) $(REPRO_CFLAGS) \
	$(foreach d,$(FREESTANDING_DIRS),-I$(d) $(addprefix -I,$(wildcard $(d)/include))) \
	-I$(KERNEL_PREFIX)/include $(PLATFORM_FREESTANDING_CFLAGS) $(CPPFLAGS) $(CFLAGS)
$(FREESTANDING_OBJS): LAYER_CFLAGS = $(FREESTANDING_CFLAGS)
$(FREESTANDING_OBJS): DEPFLAGS = -MD -MP

# Fail early and clearly when the kernel prefix is missing, rather than
# with "rump/rumpuser.h: No such file" from every compile.
BEFORE_COMPILE := kernel-prefix-check $(PLATFORM_CHECKS)
.PHONY: kernel-prefix-check
kernel-prefix-check:
	@test -f $(KERNEL_PREFIX)/include/rump/rumpuser.h || { \
	echo "platform/$(PLATFORM): no installed kernel in KERNEL_PREFIX=$(KERNEL_PREFIX)" >&2; \
	echo "  (run 'make kernel' first, or set KERNEL_PREFIX)" >&2; exit 1; }

OBJLIST := $(call listfile,$(OBJDIR)/.objects,$(OBJS))
$(STAGE)/lib/lib$(LIB).a: $(OBJS) $(OBJLIST)
	$(ARCHIVE)
$(STAGE)/lib/lib$(LIB).so: $(OBJS) $(OBJLIST)
	$(call SHLIB_LINK,$(PLATFORM_LIBS))

# Users get the static archive: kernel and platform then make one
# self-contained program, with nothing to find at run time.  Naming the
# file (rather than -l, which prefers the .so sitting beside it) is what
# makes that choice; a user who wants the .so links -l$(LIB) themselves.
$(STAGE)/lib/pkgconfig/$(LIB).pc: PC_DESC := strata rumpuser(3) v17 hypercalls for the $(PLATFORM) platform
$(STAGE)/lib/pkgconfig/$(LIB).pc: PC_LIBS := @libdir@/lib$(LIB).a $(PLATFORM_LIBS)

# The platform's manual page(s): platform/<name>/*.[1-9], e.g.
# rumpuser-<name>.7 with its parameters.
MANPAGES := $(wildcard $(PLATFORM_DIR)/*.[1-9])

INSTALLED := lib/lib$(LIB).a lib/pkgconfig/$(LIB).pc \
	$(if $(filter yes,$(PLATFORM_SHARED)),lib/lib$(LIB).so) \
	$(addprefix lib/,$(PLATFORM_LIBFILES))
$(addprefix $(STAGE)/lib/,$(PLATFORM_LIBFILES)): $(STAGE)/lib/%: $(PLATFORM_DIR)/%
	$(Q)mkdir -p $(@D) && cp -p $< $@

ifeq ($(SRCS),)
$(warning platform/$(PLATFORM): no sources found in $(SRCDIRS))
endif

include $(MKDIR)/rules.mk
