#! /usr/bin/env atf-sh
#
# t_fuzz_ext2: a short libFuzzer run (10 s) of ext2's mount-and-walk path
# (fuzz_ext2.c beside this file) against a kernel and posix platform
# compiled with clang -fsanitize=fuzzer-no-link,address,undefined (built
# once per build root by fuzz.subr, shared with t_fuzz_net).  Needs
# clang with libFuzzer (Debian: clang, libclang-rt-dev) and mke2fs for
# the seed; skipped without them.
#
# A long run by hand, from the top of the tree:
#
#   make kernel platform-posix O=/tmp/fz/b PREFIX=/tmp/fz/p CC=clang WERROR=0 \
#       CFLAGS='-g -O1 -fsanitize=fuzzer-no-link,address,undefined'
#   PKG_CONFIG_PATH=/tmp/fz/p/lib/pkgconfig clang -g -O1 \
#       -fsanitize=fuzzer,address,undefined kernel/tests/fuzz_ext2.c \
#       $(PKG_CONFIG_PATH=/tmp/fz/p/lib/pkgconfig pkg-config --cflags \
#       --libs rumpfs_tmpfs rumpfs_ext2fs rumpuser-posix) -o /tmp/fz/fuzz
#   mkdir -p /tmp/fz/corpus && mke2fs -q -t ext2 -b 1024 -N 32 \
#       /tmp/fz/corpus/seed 128k
#   ASAN_OPTIONS=detect_leaks=0 /tmp/fz/fuzz -max_len=131072 \
#       -timeout=10 -max_total_time=3600 -jobs=2 /tmp/fz/corpus

atf_test_case fuzz_mount_walk
fuzz_mount_walk_head()
{
	atf_set "descr" "libFuzzer + ASan/UBSan: mutated ext2 images mounted read-only and read-write, walked and changed, never crash, hang or access out of bounds (10 s)"
	atf_set "timeout" "900"
}
fuzz_mount_walk_body()
{
	topdir=$(atf_config_get topdir)
	. "$topdir/kernel/tests/fuzz.subr"
	fuzz_require
	command -v mke2fs >/dev/null 2>&1 || atf_skip "mke2fs (e2fsprogs) is not installed"
	fuzz_build
	export PKG_CONFIG_PATH="$FUZZ_PREFIX/lib/pkgconfig"
	atf_check clang $FUZZ_LINK "$topdir/kernel/tests/fuzz_ext2.c" \
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
	# An indexed directory (dir_index: dx_root and leaves by hash).
	mke2fs -q -F -t ext2 -b 1024 -N 64 corpus/seed3 128k >/dev/null 2>&1
	{ echo 'mkdir /h'; i=0; while [ $i -lt 40 ]; do
	    echo "write h /h/name-in-an-index-$i"; i=$((i + 1)); done; } >hscript
	debugfs -w -f hscript corpus/seed3 >/dev/null 2>&1
	e2fsck -fyD corpus/seed3 >/dev/null 2>&1 || true

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
