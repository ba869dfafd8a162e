# kernel/arch/aarch64/arch.mk: aarch64's additions to the kernel build,
# included by kernel/Makefile when ARCH is aarch64.
#
# gcc (Debian's, and clang likewise) compiles atomics on aarch64 as calls
# to libgcc's __aarch64_cas4_relax etc., which choose LSE or LL/SC at run
# time.  The kernel is freestanding and may call nothing but itself and
# the hypercalls (kernel/tests/t_namespace.sh): inline them.  LL/SC works
# on every ARMv8.0 CPU.
ARCH_KERNEL_CFLAGS := -mno-outline-atomics
