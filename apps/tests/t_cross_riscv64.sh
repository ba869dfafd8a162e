#! /usr/bin/env atf-sh
#
# t_cross_riscv64: the tree cross-builds for riscv64 with gcc and with
# clang and speaks the Linux riscv64 ABI under qemu-riscv64; see
# cross.subr for what each case checks.  Needs gcc-riscv64-linux-gnu,
# libc6-dev-riscv64-cross and qemu-user (clang for the clang case; the
# target's liburing from mk/cross-liburing.sh for the fiber platform);
# skipped without them.

TRIPLE=riscv64-linux-gnu
MACHINE=riscv64
LIBCPKG=libc6-dev-riscv64-cross

# The test cases are cross.subr's, the same for every target.
atf_init_test_cases()
{
	. "$(atf_config_get topdir)/apps/tests/cross.subr"
	cross_test_cases
}
