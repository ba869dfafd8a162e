# mk/platform.mk: how any platform/<name>/ is built.
#
# platform/<name>/Makefile states what is particular to that platform and
# then includes this file:
#
#   PLATFORM_SRCDIRS  more source directories, relative to the platform's
#                     own and inside platform/ (e.g. ../common for fiber
#                     and kvm); the platform directory itself is always one
#   PLATFORM_LIBS     host libraries its users must link (e.g. -lpthread)
#   PLATFORM_CPPFLAGS extra preprocessor flags
#   PLATFORM_SHARED   yes (default) to also build librumpuser-<name>.so
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

SRCDIRS := $(PLATFORM_DIR) $(abspath $(addprefix $(PLATFORM_DIR)/,$(PLATFORM_SRCDIRS)))
SRCS    := $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.c))
OBJS    := $(patsubst $(SRCROOT)/%.c,$(OBJDIR)/%.o,$(SRCS))

LAYER_CFLAGS = $(addprefix -I,$(SRCDIRS)) -I$(KERNEL_PREFIX)/include \
	$(PLATFORM_CPPFLAGS) $(HOST_CFLAGS)

# Fail early and clearly when the kernel prefix is missing, rather than
# with "rump/rumpuser.h: No such file" from every compile.
BEFORE_COMPILE := kernel-prefix-check
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

INSTALLED := lib/lib$(LIB).a lib/pkgconfig/$(LIB).pc \
	$(if $(filter yes,$(PLATFORM_SHARED)),lib/lib$(LIB).so)

ifeq ($(SRCS),)
$(warning platform/$(PLATFORM): no sources found in $(SRCDIRS))
endif

include $(MKDIR)/rules.mk
