#! /usr/bin/env atf-sh
#
# t_minimal_root: README's first command, `make demo`, works as root on a
# minimal Debian 12, as a new user would first meet strata: a debootstrap
# minbase root with only make added, no compiler, no pkg-config, no
# liburing.  make demo must install what it needs itself (mk/need.sh) and
# then build every layer and run the demo.
#
# Needs root (debootstrap, chroot, mounts), debootstrap and a Debian
# mirror (STRATA_DEBIAN_MIRROR, default http://deb.debian.org/debian): CI
# has all three; elsewhere it skips with the reason.  The mounts live in a
# private mount namespace (unshare -m), so they go away with the test.

atf_test_case make_demo
make_demo_head()
{
	atf_set "descr" "make demo, as root on a debootstrap minbase Debian 12 with only make added, installs its build dependencies itself, builds every layer and runs the demo"
	atf_set "require.progs" "unshare chroot tar"
	atf_set "timeout" "2400"
}

# in_root CMD...: runs CMD in ./root with /dev and /proc, a clean
# environment and the network of the host (apt-get needs it).
in_root()
{
	unshare -m --propagation private sh -c '
		root=$1; shift
		mount --rbind /dev "$root/dev" &&
		mount -t proc proc "$root/proc" &&
		exec chroot "$root" "$@"' \
	    sh "$(pwd)/root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	    LANG=C.UTF-8 "$@"
}

make_demo_body()
{
	[ "$(id -u)" = 0 ] || atf_skip "needs root (debootstrap, chroot); CI runs it"
	command -v debootstrap >/dev/null 2>&1 ||
	    atf_skip "debootstrap is not installed (apt-get install debootstrap)"
	[ -z "$(atf_config_get cross_compile "")" ] ||
	    atf_skip "cross build: the root is of the build machine's architecture"
	mirror=${STRATA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
	topdir=$(atf_config_get topdir)

	if ! debootstrap --variant=minbase --include=make bookworm root \
	    "$mirror" >debootstrap.log 2>&1; then
		tail -n 20 debootstrap.log
		# Without the mirror nothing here can be tested; anything else
		# is a failure.
		grep -q -i -e 'Failed getting release file' -e 'Temporary failure' \
		    -e 'Could not resolve' -e 'Connection refused' debootstrap.log &&
		    atf_skip "the Debian mirror $mirror cannot be reached"
		atf_fail "debootstrap of a bookworm minbase root failed"
	fi
	# The starting point really is minimal: no compiler, no pkg-config.
	for cmd in cc gcc pkg-config; do
		! in_root sh -c "command -v $cmd" >/dev/null ||
		    atf_fail "the minbase root already has $cmd"
	done

	# The source tree as a user's clone has it: no build output, no git.
	mkdir root/src
	(cd "$topdir" && tar --exclude=./build --exclude='./build-*' --exclude=./.git \
	    -cf - .) | tar -C root/src -xf - || atf_fail "copying the tree failed"

	if ! in_root sh -c 'cd /src && make demo' >demo.log 2>&1; then
		tail -n 40 demo.log
		atf_fail "make demo failed on the minimal root"
	fi
	grep -q 'Installing missing Debian packages:' demo.log || {
		tail -n 40 demo.log; atf_fail "make demo installed nothing"; }
	grep -q 'all steps worked' demo.log || {
		tail -n 40 demo.log; atf_fail "the demo did not report success"; }
	in_root sh -c 'command -v cc && command -v pkg-config' >/dev/null ||
	    atf_fail "the compiler or pkg-config is still missing after make demo"
}

atf_init_test_cases()
{
	atf_add_test_case make_demo
}
