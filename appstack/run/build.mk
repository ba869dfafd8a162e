# appstack/run: strata-run, which runs unmodified Linux programs with their
# system calls served by a rump kernel in the same process (strata-run.1).
#
# strata-run is linked as a static PIE: Syscall User Dispatch lets through
# the system calls made from ONE address range, which must hold all of
# strata-run's own code (its C library, the kernel, the platform) and none
# of the program's.  A static PIE is one image, loaded away from the
# addresses a non-PIE program wants.  It links every kernel component
# installed, and the posix platform.
#
# x86_64 only (the signal frame and FS base handling are that
# architecture's), and not in sanitized builds: a static executable cannot
# carry the sanitizer runtimes.  Elsewhere nothing is built and the tests
# say why they skip.
ifeq ($(ARCH)$(SANITIZE),x86_64)
run_PROG := strata-run
run_PKGS := $(sort $(filter-out rumpuser-% rumpclient,$(patsubst %.pc,%,$(notdir \
	$(wildcard $(KERNEL_PREFIX)/lib/pkgconfig/rump*.pc))))) rumpuser-posix
# The SIGSYS entry runs before strata-run's thread pointer is loaded: no
# stack protector (its canary is read through the thread pointer).
run_CFLAGS := -fno-stack-protector
run_LDLIBS := -static-pie
run_GENSRCS := $(OBJDIR)/run/run_names.c

# System call names for --trace, from the host's own numbering.
RUN_UNISTD := $(firstword $(wildcard /usr/include/$(ARCH)-linux-gnu/asm/unistd_64.h \
	/usr/include/asm/unistd_64.h))
$(OBJDIR)/run/run_names.c: $(RUN_UNISTD) $(SRCROOT)/run/gen-sysnames.sh
	$(call say,GEN,$@)mkdir -p $(@D) && $(SHELL) $(SRCROOT)/run/gen-sysnames.sh \
		$(RUN_UNISTD) >$@.tmp && mv $@.tmp $@
endif
