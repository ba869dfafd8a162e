# The kvm platform's address space code is freestanding code compiled
# here, for the host, as it is, over the test's own page pool.
t_kvm_l2_vm_PKGS :=
t_kvm_l2_vm_SRCS := ../../platform/kvm/l2/l2_vm.c
t_kvm_l2_vm_CFLAGS = -I$(TOPDIR)/platform/kvm/l2 -I$(TOPDIR)/platform/common/include
