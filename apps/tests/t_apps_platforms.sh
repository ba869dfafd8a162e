#! /usr/bin/env atf-sh
#
# t_apps_platforms: `make -C apps` against a prefix that holds only some of
# the platforms asked for builds the applications for those installed and
# says which were skipped, instead of stopping at the first missing
# rumpuser-<platform>.pc.

atf_test_case only_posix_installed
only_posix_installed_head()
{
	atf_set "descr" "apps build for the installed platforms and name the skipped ones"
	atf_set "require.progs" "make"
	atf_set "timeout" "600"
}
only_posix_installed_body()
{
	topdir=$(atf_config_get topdir)
	kprefix=$(atf_config_get kernel_prefix)
	pprefix=$(atf_config_get platform_prefix)
	[ -f "$pprefix/lib/pkgconfig/rumpuser-posix.pc" ] ||
	    atf_skip "the posix platform is not installed in $pprefix"
	work=$(pwd)

	# A kernel prefix with the kernel only (the build's prefix holds the
	# platforms too), and a platform prefix with posix only.
	mkdir -p kern/include kern/lib/pkgconfig
	cp -R "$kprefix/include/rump" kern/include/
	for f in "$kprefix"/lib/librump*.a "$kprefix"/lib/librump*.so "$kprefix"/lib/pkgconfig/rump*.pc; do
		case ${f##*/} in
		librumpuser*|rumpuser*|librumpclient*|rumpclient*) ;;
		*) cp "$f" "kern/${f#"$kprefix"/}" ;;
		esac
	done
	kprefix=$work/kern
	mkdir -p plat/lib/pkgconfig
	cp "$pprefix"/lib/librumpuser-posix.* plat/lib/
	cp "$pprefix/lib/pkgconfig/rumpuser-posix.pc" plat/lib/pkgconfig/

	unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
	set -- O="$work/out" KERNEL_PREFIX="$kprefix" PLATFORM_PREFIX="$work/plat" \
	    PLATFORM=posix APP_PLATFORMS="posix fiber"
	for v in CC:cc CFLAGS:cflags CPPFLAGS:cppflags LDFLAGS:ldflags WERROR:werror; do
		val=$(atf_config_get "${v#*:}" "")
		[ -z "$val" ] || set -- "$@" "${v%%:*}=$val"
	done
	make=$(atf_config_get make make)
	if ! $make -C "$topdir/apps" "$@" >log 2>&1; then
		cat log
		atf_fail "make -C apps failed with only posix installed"
	fi
	grep 'skipping platform(s) fiber' log >/dev/null || {
		cat log; atf_fail "the skipped fiber platform was not named"; }
	[ -x out/prefix/bin/strata-demo ] || atf_fail "no strata-demo built"
	[ ! -e out/prefix/bin/strata-demo-fiber ] ||
	    atf_fail "strata-demo-fiber built without the fiber platform"
	out/prefix/bin/strata-demo -q >demo.out 2>&1 || {
		cat demo.out; atf_fail "the demo built this way failed"; }
}

atf_init_test_cases()
{
	atf_add_test_case only_posix_installed
}
