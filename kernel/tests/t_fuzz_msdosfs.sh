#! /usr/bin/env atf-sh
#
# t_fuzz_msdosfs: a short libFuzzer run of the FAT file system's mount,
# walk and change paths (fuzz_msdosfs.c beside this file, which documents
# a long run) under ASan and UBSan, seeded with images mkfs.fat and
# mtools make.  Needs clang with libFuzzer (Debian: clang and
# libclang-rt-dev); skipped without them.  Seeds need dosfstools and
# mtools; without them the fuzzer starts from nothing.

atf_test_case fuzz_mount_walk
fuzz_mount_walk_head()
{
	atf_set "descr" "libFuzzer + ASan/UBSan: FAT images of any content mount or fail, walk, change and unmount without a crash, leak or hang (10 s)"
	atf_set "timeout" "300"
}
fuzz_mount_walk_body()
{
	topdir=$(atf_config_get topdir)
	command -v clang >/dev/null 2>&1 || atf_skip "clang is not installed"
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >probe.c
	clang -fsanitize=fuzzer probe.c -o probe >/dev/null 2>&1 ||
	    atf_skip "clang cannot link libFuzzer (Debian: libclang-rt-dev)"
	case $(uname -m) in
	aarch64|arm64) arch=aarch64 ;;
	*) arch=x86_64 ;;
	esac
	atf_check clang -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -nostdinc \
	    -I"$topdir/kernel/include" -I"$topdir/kernel/arch/$arch/include" \
	    -I"$topdir/include" \
	    "$topdir/kernel/tests/fuzz_msdosfs.c" "$topdir"/kernel/fs/msdosfs/*.c \
	    -o fuzz_fat
	mkdir corpus
	export PATH=$PATH:/sbin:/usr/sbin MTOOLS_SKIP_CHECK=1
	if command -v mkfs.fat >/dev/null 2>&1; then
		# FAT16 and FAT32 seeds are cut to 1 MiB: the type comes from
		# the boot sector, and a truncated image still mounts.
		mkfs.fat -F 12 -C corpus/fat12 720 >/dev/null
		mkfs.fat -F 16 -s 1 -C corpus/fat16 2100 >/dev/null
		mkfs.fat -F 32 -s 1 -S 512 -C corpus/fat32 33500 >/dev/null
		if command -v mcopy >/dev/null 2>&1; then
			printf 'some data\n' >f.txt
			mmd -i corpus/fat12 ::/dir '::/dir/A long directory name'
			mcopy -i corpus/fat12 f.txt '::/dir/A long file name.txt'
			mcopy -i corpus/fat12 f.txt ::/SHORT.TXT
			mmd -i corpus/fat16 ::/d
			mcopy -i corpus/fat16 f.txt '::/d/x y z'
			mmd -i corpus/fat32 ::/d
			mcopy -i corpus/fat32 f.txt '::/d/A long name'
		fi
		truncate -s 1M corpus/fat16 corpus/fat32
	fi
	./fuzz_fat -max_total_time=10 -timeout=10 -rss_limit_mb=2048 \
	    -max_len=1048576 corpus >fuzz.log 2>&1 ||
	    { tail -60 fuzz.log; atf_fail "the fuzzer found a crash, a leak or a hang"; }
	grep -E 'Done [0-9]+ runs' fuzz.log || { tail -20 fuzz.log; atf_fail "the fuzzer did not run"; }
}

atf_init_test_cases()
{
	atf_add_test_case fuzz_mount_walk
}
