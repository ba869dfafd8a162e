#!/bin/sh
# runtime-libs.sh FILE...
#
# Prints the compiler runtime libraries that programs linking the kernel
# objects or archives FILE... need beyond libgcc (which every link through
# $(CC) gets anyway): "-latomic" when they leave a libatomic function
# (__atomic_*) undefined, nothing otherwise.  gcc 12 compiles 1- and
# 2-byte atomics on riscv64 to such calls; x86_64 and aarch64 (with
# -mno-outline-atomics) and clang need none, so their .pc files stay as
# they were.  libatomic is compiler runtime, like libgcc, not libc: the
# kernel stays freestanding (kernel/tests/t_namespace.sh).
# kernel/Makefile adds the output to each library's .pc file and to the
# link of its shared object.  Uses $NM from the environment.
set -e
if [ $# -eq 0 ] || [ "$1" = --help ]; then
	echo "usage: runtime-libs.sh FILE...  (objects or archives; NM= names nm)"
	[ $# -eq 0 ] && exit 2
	exit 0
fi
${NM:-nm} -P -g -u "$@" 2>/dev/null |
    awk '$1 ~ /^__atomic_/ { print "-latomic"; exit }'
