#!/bin/sh
# rename-syms.sh IN OUT
#
# Puts a freshly compiled kernel object into the kernel's own namespace:
# every global symbol, defined or undefined, becomes rumpns_<name>, except
#   rump_* RUMP_*        the public API,
#   rumpuser_*           the hypercalls the platform provides,
#   rumpns_*             already renamed,
#   __start_link_set_* / __stop_link_set_*   section bounds the linker makes,
#   _GLOBAL_OFFSET_TABLE_                    a linker-made symbol as well,
#   __asan_* __ubsan_* __tsan_* __sanitizer_*  the sanitizer runtime that
#                        instrumented code calls (make SANITIZE=...), and
#   __sancov_* and the __start_/__stop_ bounds of its sections (clang
#   -fsanitize=fuzzer-no-link: the fuzzing harness's coverage), and
#   the compiler runtime, which the compiler calls where the target has
#   no instruction for an operation (riscv64 without Zbb: byte swaps;
#   gcc 12 on riscv64: 1- and 2-byte atomics) and the final program
#   links (libgcc by default; libatomic where kernel/Makefile's .pc files
#   say so, mk/runtime-libs.sh):
#     __atomic_* __sync_*   libatomic and libgcc's atomics,
#     __aarch64_*           aarch64's outline atomics (kernel/arch/aarch64
#                           turns them off, but a user's CFLAGS may not),
#     __<op><mode>[N]       libgcc's arithmetic routines, named by the
#                           machine modes they take: __bswapsi2,
#                           __udivmoddi4, __floatsidf, __mulsc3 ...
#     __clear_cache.
#   Names of this shape are never the kernel's own: t_namespace fails
#   for a kernel archive that defines one.
# The rule depends only on the name, so a reference in one object and the
# definition in another (even in another archive) are renamed alike; calls
# the compiler emits by itself (memcpy, memset) become rumpns_memcpy etc.,
# which the kernel defines.  Uses $NM and $OBJCOPY from the environment.
set -e
in=$1 out=$2
list=$out.syms
${NM:-nm} -P -g "$in" | awk '
	$1 !~ /^(rump_|RUMP_|rumpuser_|rumpns_|__start_link_set_|__stop_link_set_|_GLOBAL_OFFSET_TABLE_$|__(asan|ubsan|tsan|sanitizer|sancov)_|__(start|stop)___sancov_)/ &&
	$1 !~ /^__(atomic|sync|aarch64)_/ &&
	$1 !~ /^__[a-z]+(qi|hi|si|di|ti|sf|df|tf|xf|hf|bf|sc|dc|tc|xc)[0-9]?$/ &&
	$1 != "__clear_cache" {
		print $1, "rumpns_" $1
	}' | sort -u >"$list"
${OBJCOPY:-objcopy} --redefine-syms="$list" "$in" "$out"
rm -f "$list"
