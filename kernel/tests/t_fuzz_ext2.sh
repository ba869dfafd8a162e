#! /usr/bin/env atf-sh
#
# t_fuzz_ext2: a short libFuzzer run (10 s) of ext2's mount-and-walk path
# (fuzz_ext2.c beside this file) against a kernel and posix platform
# compiled with clang -fsanitize=fuzzer-no-link,address, so that the
# fuzzer sees the kernel's coverage and ASan its memory accesses.  Needs
# clang with libFuzzer (Debian: clang, libclang-rt-dev) and mke2fs for
# the seed; skipped without them.
#
# A long run by hand, from the top of the tree:
#
#   make kernel platform-posix O=/tmp/fz/b PREFIX=/tmp/fz/p CC=clang \
#       CFLAGS='-g -O1 -fsanitize=fuzzer-no-link,address'
#   PKG_CONFIG_PATH=/tmp/fz/p/lib/pkgconfig clang -g -O1 \
#       -fsanitize=fuzzer,address kernel/tests/fuzz_ext2.c \
#       $(PKG_CONFIG_PATH=/tmp/fz/p/lib/pkgconfig pkg-config --cflags \
#       --libs rumpfs_tmpfs rumpfs_ext2fs rumpuser-posix) -o /tmp/fz/fuzz
#   mkdir -p /tmp/fz/corpus && mke2fs -q -t ext2 -b 1024 -N 32 \
#       /tmp/fz/corpus/seed 128k
#   ASAN_OPTIONS=detect_leaks=0 /tmp/fz/fuzz -max_len=131072 \
#       -timeout=10 -max_total_time=3600 -jobs=2 /tmp/fz/corpus

atf_test_case fuzz_mount_walk
fuzz_mount_walk_head()
{
	atf_set "descr" "libFuzzer + ASan: mutated ext2 images mounted read-only and read-write, walked and changed, never crash, hang or access out of bounds (10 s)"
	atf_set "timeout" "900"
}
fuzz_mount_walk_body()
{
	topdir=$(atf_config_get topdir)
	make=$(atf_config_get make make)
	command -v clang >/dev/null 2>&1 || atf_skip "clang is not installed"
	command -v mke2fs >/dev/null 2>&1 || atf_skip "mke2fs (e2fsprogs) is not installed"
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >probe.c
	clang -fsanitize=fuzzer,address probe.c -o probe >/dev/null 2>&1 ||
	    atf_skip "clang cannot link libFuzzer and ASan (Debian: libclang-rt-dev)"

	# An instrumented kernel and platform, built from the tree as any
	# user would build them (layers through an installed prefix); the
	# outer make's O=, PREFIX= and jobserver must not leak in.
	unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
	$make -C "$topdir" -j2 kernel platform-posix O="$(pwd)/b" \
	    PREFIX="$(pwd)/p" CC=clang WERROR=0 \
	    CFLAGS='-g -O1 -fsanitize=fuzzer-no-link,address' >build.log 2>&1 ||
	    { tail -30 build.log; atf_fail "the instrumented build failed"; }
	export PKG_CONFIG_PATH="$(pwd)/p/lib/pkgconfig"
	atf_check clang -g -O1 -fsanitize=fuzzer,address \
	    "$topdir/kernel/tests/fuzz_ext2.c" \
	    $(pkg-config --cflags --libs rumpfs_tmpfs rumpfs_ext2fs rumpuser-posix) \
	    -o fuzz_ext2

	# Seeds: small images with a directory, a file and symbolic links.
	mkdir corpus
	mke2fs -q -F -t ext2 -b 1024 -N 32 corpus/seed1 128k >/dev/null 2>&1
	echo hello >h
	printf 'mkdir /d\nwrite h /d/h\nsymlink /d/l /x/y\nsymlink /d/slow /%s\n' \
	    "$(printf '%0080d' 0)" >script
	debugfs -w -f script corpus/seed1 >/dev/null 2>&1
	mke2fs -q -F -t ext2 -b 2048 -N 16 corpus/seed2 128k >/dev/null 2>&1

	# Leaks of the kernel's boot at exit are not findings.
	ASAN_OPTIONS=detect_leaks=0 ./fuzz_ext2 -max_total_time=10 -timeout=10 \
	    -max_len=131072 -rss_limit_mb=2048 corpus >fuzz.log 2>&1 ||
	    { grep -v '^ext2fs ' fuzz.log | tail -60; atf_fail "the fuzzer found a crash, hang or memory error"; }
	grep -E 'Done [0-9]+ runs' fuzz.log ||
	    { tail -20 fuzz.log; atf_fail "the fuzzer did not run"; }
}

atf_init_test_cases()
{
	atf_add_test_case fuzz_mount_walk
}
