# The kvm platform's program loader is freestanding code compiled here,
# for the host, as it is: no kernel or platform library is linked.
t_kvm_l2_elf_PKGS :=
t_kvm_l2_elf_SRCS := ../../platform/kvm/l2/l2_elf.c
t_kvm_l2_elf_CFLAGS = -I$(TOPDIR)/platform/kvm/l2 -I$(TOPDIR)/platform/common/include
