#! /usr/bin/env atf-sh
#
# t_layer_reuse: the platform and the applications build from an installed
# kernel alone.
#
# The installed kernel (headers, archives, .pc files) is copied to a new
# place, as a distribution package or yesterday's build would be, and the
# build files, platform/ and apps/ are copied without kernel/ or include/.
# Building there against KERNEL_PREFIX=<copy> must compile no kernel file,
# must not even mention the original source tree, and must produce a demo
# that runs.

atf_test_case build_against_copied_kernel
build_against_copied_kernel_head()
{
	atf_set "descr" "platform + apps build and run against a copied kernel prefix, with no kernel sources"
	atf_set "require.progs" "make"
	atf_set "timeout" "1800"
}
build_against_copied_kernel_body()
{
	topdir=$(atf_config_get topdir)
	installed=$(atf_config_get kernel_prefix)
	platform=$(atf_config_get platform posix)
	work=$(pwd)

	# Only what the kernel layer installs: no platform, no apps.
	mkdir -p kprefix/include kprefix/lib/pkgconfig
	cp -R "$installed/include/rump" kprefix/include/
	for f in "$installed"/lib/librump*.a "$installed"/lib/pkgconfig/rump*.pc; do
		case ${f##*/} in
		librumpuser*|rumpuser*|librumpclient*|rumpclient*) ;;
		*) cp "$f" "kprefix/${f#"$installed"/}" ;;
		esac
	done
	ls kprefix/lib/librump.a kprefix/lib/pkgconfig/rump.pc >/dev/null ||
	    atf_fail "no installed kernel in $installed"

	mkdir src
	cp -R "$topdir/Makefile" "$topdir/mk" "$topdir/platform" "$topdir/appstack" \
	    "$topdir/apps" src/
	[ ! -e src/kernel ] && [ ! -e src/include ] || atf_fail "kernel sources copied"

	# Run make as a user would, not as a child of `make check`: the outer
	# make's MAKEFLAGS (its O=, PREFIX=, jobserver) must not leak in.
	unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
	set -- V=1 O="$work/out" KERNEL_PREFIX="$work/kprefix" PLATFORM="$platform"
	for v in CC:cc AR:ar NM:nm OBJCOPY:objcopy CROSS_COMPILE:cross_compile \
	    CFLAGS:cflags CPPFLAGS:cppflags LDFLAGS:ldflags WERROR:werror \
	    SANITIZE:sanitize; do
		val=$(atf_config_get "${v#*:}" "")
		[ -z "$val" ] || set -- "$@" "${v%%:*}=$val"
	done
	make=$(atf_config_get make make)
	if ! $make -C src "$@" apps >log 2>&1; then
		cat log
		atf_fail "building platform and apps against the copied kernel failed"
	fi

	# Evidence: the platform was compiled here, and nothing of the kernel.
	grep -E -- ' -c [^ ]*/src/platform/[^ ]*\.c' log >/dev/null || {
		cat log; atf_fail "no platform compile seen in the V=1 output"; }
	if grep -E -- '(^| )[^ ]*kernel/[^ ]*\.c( |$)' log; then
		atf_fail "a kernel file was compiled"
	fi
	# Every compile is of a platform, application stack or application
	# source (or of one the application stack generates).  (Being
	# compiled -ffreestanding is no sign of a kernel file: the fiber and
	# kvm platforms compile platform/common that way.)
	if grep -E -- ' -c ' log |
	    grep -v -E -- ' -c [^ ]*/(src/(platform|appstack|apps)/|out/appstack/obj/)[^ ]*\.[cS]( |$)'; then
		atf_fail "a file other than a platform or application source was compiled"
	fi
	if grep -F -- "$topdir/" log; then
		atf_fail "the build used the original source tree $topdir"
	fi
	[ ! -e out/prefix/lib/librump.a ] || atf_fail "a kernel was installed"
	[ -f "out/prefix/lib/librumpuser-$platform.a" ] || atf_fail "no platform installed"

	atf_check -o ignore -e ignore out/prefix/bin/strata-demo
}

atf_init_test_cases()
{
	atf_add_test_case build_against_copied_kernel
}
