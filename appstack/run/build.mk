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
# Remote mode is librumpclient's (this layer's).  That library also
# defines rump_init() and rump_syscall(), for programs that use it instead
# of a kernel; strata-run links a kernel too, so it takes a copy of the
# library with those two renamed away.
RUN_CLIENT := $(OBJDIR)/run/librumpclient-run.a
run_LDLIBS := -static-pie $(RUN_CLIENT) -lpthread
$(RUN_CLIENT): $(STAGE)/lib/librumpclient.a
	$(call say,OBJCOPY,$@)mkdir -p $(@D) && $(OBJCOPY) \
		--redefine-sym rump_init=rumpclient__run_unused_init \
		--redefine-sym rump_syscall=rumpclient__run_unused_syscall $< $@
$(STAGE)/bin/strata-run: $(RUN_CLIENT)
# rumpclient.h is this layer's header: the objects need it staged first.
$(patsubst $(SRCROOT)/%.c,$(OBJDIR)/%.o,$(wildcard $(SRCROOT)/run/*.c)): \
	$(OBJDIR)/include/rump/rumpclient.h
run_GENSRCS := $(OBJDIR)/run/run_names.c $(OBJDIR)/run/run_fdtab.c

# System call names for --trace, from the host's own numbering.
RUN_UNISTD := $(firstword $(wildcard /usr/include/$(ARCH)-linux-gnu/asm/unistd_64.h \
	/usr/include/asm/unistd_64.h))
$(OBJDIR)/run/run_names.c: $(RUN_UNISTD) $(SRCROOT)/run/gen-sysnames.sh
	$(call say,GEN,$@)mkdir -p $(@D) && $(SHELL) $(SRCROOT)/run/gen-sysnames.sh \
		$(RUN_UNISTD) >$@.tmp && mv $@.tmp $@
# What dispatch()'s default path knows of each call (run_fdtab.tab); the
# generator checks the table against the host's numbering and against
# dispatch()'s own cases.
$(OBJDIR)/run/run_fdtab.c: $(SRCROOT)/run/run_fdtab.tab $(RUN_UNISTD) \
		$(SRCROOT)/run/run_sys.c $(SRCROOT)/run/gen-fdtab.sh
	$(call say,GEN,$@)mkdir -p $(@D) && $(SHELL) $(SRCROOT)/run/gen-fdtab.sh \
		$(SRCROOT)/run/run_fdtab.tab $(RUN_UNISTD) $(SRCROOT)/run/run_sys.c \
		>$@.tmp && mv $@.tmp $@
endif
