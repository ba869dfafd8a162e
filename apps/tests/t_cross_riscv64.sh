#! /usr/bin/env atf-sh
#
# t_cross_riscv64: the tree cross-builds for riscv64 with gcc and with
# clang and speaks the Linux riscv64 ABI under qemu-riscv64; see
# cross.subr for what each case checks.  Needs gcc-riscv64-linux-gnu,
# libc6-dev-riscv64-cross and qemu-user (clang for the clang case); skipped
# without them.

TRIPLE=riscv64-linux-gnu
MACHINE=riscv64
DEBARCH=riscv64
NO_LIBURING_WHY=": Debian 12 has no riscv64 packages (riscv64 is a release architecture from Debian 13 on)"
LIBCPKG=libc6-dev-riscv64-cross

load() { . "$(atf_config_get topdir)/apps/tests/cross.subr"; }

atf_test_case gcc
gcc_head()
{
	atf_set "descr" "kernel, posix platform and demo cross-build for $MACHINE with $TRIPLE-gcc warning-free; the demo and the ABI check (struct stat, epoll_event, O_*, numbers, uname) run under qemu-$MACHINE"
	atf_set "require.progs" "make pkg-config"
	atf_set "timeout" "1800"
}
# gcc compiles riscv64 byte swaps (no Zbb) and 1- and 2-byte atomics to
# libgcc and libatomic calls (__bswapsi2, __atomic_fetch_add_2): their
# names stay as they are (mk/rename-syms.sh), and the .pc files of the
# archives that call libatomic add -latomic (mk/runtime-libs.sh), so
# strata-httpd and strata-fetch (netinet) link.
gcc_body() { load; cross_gcc; }

atf_test_case clang
clang_head()
{
	atf_set "descr" "the same with CC=\"clang --target=$TRIPLE\" and no CROSS_COMPILE"
	atf_set "require.progs" "make pkg-config"
	atf_set "timeout" "1800"
}
clang_body() { load; cross_clang; }

atf_test_case numbers
numbers_head()
{
	atf_set "descr" "every system call number of kernel/arch/$MACHINE is the $MACHINE header's __NR_ of that name, and every __NR_ is there"
}
numbers_body() { load; cross_numbers; }

atf_test_case switch
switch_head()
{
	atf_set "descr" "the fiber platform's $MACHINE context switch keeps callee-saved registers and each thread's rounding mode, under qemu-$MACHINE"
}
switch_body() { load; cross_switch; }

atf_test_case fiber
fiber_head()
{
	atf_set "descr" "the fiber platform and its demo cross-build for $MACHINE with $TRIPLE-gcc warning-free (with the target's liburing) and the demo runs under qemu-$MACHINE"
	atf_set "require.progs" "make pkg-config"
	atf_set "timeout" "1800"
}
fiber_body() { load; cross_fiber; }

atf_init_test_cases()
{
	atf_add_test_case fiber
	atf_add_test_case gcc
	atf_add_test_case clang
	atf_add_test_case numbers
	atf_add_test_case switch
}
