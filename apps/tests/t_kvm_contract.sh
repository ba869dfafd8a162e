#! /usr/bin/env atf-sh
#
# t_kvm_contract: the contract tests every platform must pass
# (platform/common/tests, README there) run inside kvm virtual machines.
# Each test program is baked with platform/kvm/tests/atf-c.h, a stand-in
# for libatf-c, and booted once per test case (as Kyua runs one process
# per case); the case's result comes back on the console.  t_bio and
# t_bio_kernel get their "disk" as a virtio-blk device of that name.
# Guests get 1 GiB: the thread tests keep 2000 threads of 256 KiB stacks
# alive at once, physical memory here (the host only backs what the guest
# touches).
# Skipped without qemu-system-x86_64 or where the kvm platform is not
# built.

setup()
{
	prefix=$(atf_config_get platform_prefix)
	topdir=$(atf_config_get topdir)
	[ -x "$prefix/bin/strata-bake" ] && [ -f "$prefix/lib/librumpuser-kvm.a" ] ||
	    atf_skip "the kvm platform is not built here (x86_64 only, not in sanitized or cross builds)"
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	    atf_skip "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
}

# run_program NAME: bakes platform/common/tests/NAME.c and runs each case.
run_program()
{
	setup
	name=$1
	atf_check "$prefix/bin/strata-bake" -c fs \
	    --cflags "-I$topdir/platform/kvm/tests -I$topdir/platform/common/tests" \
	    "$topdir/platform/common/tests/$name.c" "$name.img"
	truncate -s 1M disk
	atf_check -o save:cases "$prefix/bin/strata-boot" --timeout 300 "$name.img" -l
	failed=
	n=0
	for c in $(sed -n 's/^kvm-atf-case: //p' cases); do
		n=$((n + 1))
		"$prefix/bin/strata-boot" --timeout 300 -m 1G -d disk "$name.img" "$c" >"out.$c" 2>&1
		status=$?
		if [ $status -ne 0 ] || ! grep -q '^kvm-atf-result: passed$' "out.$c"; then
			echo "=== $c (status $status)"
			cat "out.$c"
			failed="$failed $c"
		fi
	done
	[ $n -gt 0 ] || atf_fail "$name lists no test cases"
	[ -z "$failed" ] || atf_fail "failed in the guest:$failed"
}

PROGRAMS="t_bio t_bio_kernel t_mem t_param t_sched_sync t_sched_threads t_sched_time"
# Not contract tests: t_params_platform asserts the posix and fiber
# platforms' own defaults (the host's CPU count, the rump-<pid> host
# name), each in a forked child; a guest has neither host nor fork.
HOST_ONLY="t_params_platform"

atf_test_case all_covered
all_covered_head()
{
	atf_set "descr" "every program of platform/common/tests has a case here"
}
all_covered_body()
{
	topdir=$(atf_config_get topdir)
	for f in "$topdir"/platform/common/tests/t_*.c; do
		p=$(basename "$f" .c)
		case " $PROGRAMS $HOST_ONLY " in
		*" $p "*) ;;
		*) atf_fail "$p is not run in the guest: add it to PROGRAMS" ;;
		esac
	done
}

for p in $PROGRAMS; do
	eval "atf_test_case $p
	${p}_head() { atf_set descr \"platform/common/tests/$p.c, every case in its own kvm guest\"; atf_set timeout 900; }
	${p}_body() { run_program $p; }"
done

atf_init_test_cases()
{
	atf_add_test_case all_covered
	for p in $PROGRAMS; do
		atf_add_test_case $p
	done
}
