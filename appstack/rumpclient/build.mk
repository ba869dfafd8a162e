# appstack/rumpclient: librumpclient, the sysproxy client (doc/sysproxy.md).
#
# The typed rump_sys_*() functions are generated from the INSTALLED
# kernel's rump/rump_syscalls.h (gen-syscalls.sh), so that the client
# offers exactly the calls the kernel declares, and a program moves from
# an in-process kernel to a server by relinking.  Only the few calls that
# need more than "pass the arguments to SYS_<name>" are written by hand
# (rumpclient_special.c).
rumpclient_LIB := rumpclient
rumpclient_HEADERS := rumpclient.h
rumpclient_DESC := strata sysproxy client: rump_sys_*() served by a remote kernel
rumpclient_LIBS_PRIVATE := -lpthread
rumpclient_GENSRCS := $(OBJDIR)/rumpclient/rumpclient_syscalls.c

$(OBJDIR)/rumpclient/rumpclient_syscalls.c: $(KERNEL_PREFIX)/include/rump/rump_syscalls.h \
		$(SRCROOT)/rumpclient/gen-syscalls.sh $(SRCROOT)/rumpclient/rumpclient_special.c
	$(call say,GEN,$@)mkdir -p $(@D) && $(SHELL) $(SRCROOT)/rumpclient/gen-syscalls.sh \
		$< $(SRCROOT)/rumpclient/rumpclient_special.c >$@.tmp && mv $@.tmp $@
