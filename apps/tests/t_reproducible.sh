#! /usr/bin/env atf-sh
#
# t_reproducible: two builds of the same tree, in two different directories
# and at two different times, install bit-identical files.
#
# The source tree is copied twice (without its build root), each copy is
# built with a build root of its own (O=), a second apart, exactly as a
# user would build it, with the toolchain and flags of this build; then
# every installed file of the one is compared with `cmp` to the same file
# of the other: headers, archives, shared objects, programs, pkg-config
# files, manual pages.  The files that differ are listed.  (mk/config.mk,
# "Reproducible builds", says how the build avoids embedding directories
# and dates.)

atf_test_case two_directories
two_directories_head()
{
	atf_set "descr" "the tree built in two directories a second apart installs identical files"
	atf_set "require.progs" "make cmp tar"
	atf_set "timeout" "1800"
}
two_directories_body()
{
	topdir=$(atf_config_get topdir)
	work=$(pwd)

	# Run make as a user would, not as a child of `make check`.
	unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
	set --
	for v in CC:cc AR:ar NM:nm OBJCOPY:objcopy CROSS_COMPILE:cross_compile \
	    CFLAGS:cflags CPPFLAGS:cppflags LDFLAGS:ldflags WERROR:werror; do
		val=$(atf_config_get "${v#*:}" "")
		[ -z "$val" ] || set -- "$@" "${v%%:*}=$val"
	done
	make=$(atf_config_get make make)
	# One date for both, as a package build sets it (the copies have no
	# git history to take it from).
	SOURCE_DATE_EPOCH=$(git -C "$topdir" log -1 --format=%ct 2>/dev/null || echo 1700000000)
	export SOURCE_DATE_EPOCH

	for n in 1 2; do
		# Different lengths too, so that no offset or padding hides a path.
		src=$work/tree$n$( [ $n = 2 ] && echo -longer-directory-name)
		mkdir -p "$src"
		(cd "$topdir" && tar --exclude=./build --exclude=./.git -cf - .) |
		    (cd "$src" && tar -xf -) || atf_fail "copying the tree failed"
		rm -rf "$src/build"
		if ! $make -C "$src" -j2 "$@" O="$work/out$n-$n$n" all >log$n 2>&1; then
			tail -40 log$n
			atf_fail "build $n failed"
		fi
		eval "prefix$n=\$work/out$n-$n$n/prefix"
		[ $n = 2 ] || sleep 1
	done

	(cd "$prefix1" && find . -type f | sort) >files1
	(cd "$prefix2" && find . -type f | sort) >files2
	if ! cmp -s files1 files2; then
		diff files1 files2
		atf_fail "the two builds installed different sets of files"
	fi
	total=$(wc -l <files1)
	[ "$total" -gt 10 ] || atf_fail "only $total files installed"
	: >differ
	while read -r f; do
		cmp -s "$prefix1/$f" "$prefix2/$f" || echo "${f#./}" >>differ
	done <files1
	if [ -s differ ]; then
		echo "installed files that differ between the two builds:"
		cat differ
		atf_fail "$(wc -l <differ) of $total installed files differ"
	fi
	echo "$total installed files identical"
}

atf_init_test_cases()
{
	atf_add_test_case two_directories
}
