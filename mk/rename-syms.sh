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
#   -fsanitize=fuzzer-no-link: the fuzzing harness's coverage).
# The rule depends only on the name, so a reference in one object and the
# definition in another (even in another archive) are renamed alike; calls
# the compiler emits by itself (memcpy, memset) become rumpns_memcpy etc.,
# which the kernel defines.  Uses $NM and $OBJCOPY from the environment.
set -e
in=$1 out=$2
list=$out.syms
${NM:-nm} -P -g "$in" | awk '
	$1 !~ /^(rump_|RUMP_|rumpuser_|rumpns_|__start_link_set_|__stop_link_set_|_GLOBAL_OFFSET_TABLE_$|__(asan|ubsan|tsan|sanitizer|sancov)_|__(start|stop)___sancov_)/ {
		print $1, "rumpns_" $1
	}' | sort -u >"$list"
${OBJCOPY:-objcopy} --redefine-syms="$list" "$in" "$out"
rm -f "$list"
