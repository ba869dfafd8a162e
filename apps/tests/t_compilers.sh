#! /usr/bin/env atf-sh
#
# t_compilers: every layer builds with both compilers the project supports,
# gcc and clang, without a warning (WERROR=1), out of tree, and the demo
# each one links runs on every platform.  The test suite itself is built by
# one compiler; this is what keeps the other one honest.  The case of the
# compiler that built the suite, when it built it with WERROR=1 (CI does),
# skips: that build, whose programs the suite runs, already is the check,
# and a third build of the whole tree would cost CI two minutes.

# build_with CC: the whole tree, warnings as errors, into ./out-CC.
build_with()
{
	cc=$1
	topdir=$(atf_config_get topdir)
	[ "$(atf_config_get cc "")" != "$cc" ] ||
	    [ "$(atf_config_get werror "")" != 1 ] ||
	    [ -n "$(atf_config_get cflags "")$(atf_config_get sanitize "")" ] ||
	    atf_skip "the suite's own build is CC=$cc with WERROR=1: it is this check"
	# Run make as a user would, not as a child of `make check`.
	unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
	make=$(atf_config_get make make)
	if ! $make -C "$topdir" -j2 O="$(pwd)/out-$cc" CC="$cc" WERROR=1 \
	    KERNEL_TEST_PLATFORMS="posix fiber" APP_PLATFORMS="posix fiber" \
	    all >log 2>&1; then
		cat log
		atf_fail "the build with CC=$cc failed"
	fi
	for demo in out-"$cc"/prefix/bin/strata-demo*; do
		atf_check -o match:"all steps worked" -e ignore "$demo"
	done
	[ -x "out-$cc/prefix/bin/strata-demo-fiber" ] ||
	    atf_fail "no fiber demo built with CC=$cc"
}

atf_test_case gcc
gcc_head()
{
	atf_set "descr" "kernel, posix and fiber platforms and apps build with gcc, warning-free, and the demos run"
	atf_set "require.progs" "make gcc"
	atf_set "timeout" "1800"
}
gcc_body()
{
	build_with gcc
}

atf_test_case clang
clang_head()
{
	atf_set "descr" "kernel, posix and fiber platforms and apps build with clang, warning-free, and the demos run"
	atf_set "require.progs" "make clang"
	atf_set "timeout" "1800"
}
clang_body()
{
	build_with clang
}

atf_test_case no_compiler
no_compiler_head()
{
	atf_set "descr" "a compiler that cannot be run stops the build at once with a message that says so and names the package, not 'no system call tables for ' (issue 10: a minimal root without gcc)"
	atf_set "require.progs" "make"
}
no_compiler_body()
{
	topdir=$(atf_config_get topdir)
	unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
	make=$(atf_config_get make make)
	atf_check -s not-exit:0 -o ignore \
	    -e match:"cannot tell the target architecture: '$(pwd)/no-such-cc -dumpmachine' could not be run" \
	    -e match:"apt-get install build-essential" \
	    -e not-match:"no system call tables" \
	    $make -C "$topdir" O="$(pwd)/out" PREFIX="$(pwd)/prefix" \
	    CC="$(pwd)/no-such-cc" kernel
	[ ! -e out ] || [ -z "$(find out -name '*.o')" ] ||
	    atf_fail "objects were compiled without a compiler"
}

atf_init_test_cases()
{
	atf_add_test_case gcc
	atf_add_test_case clang
	atf_add_test_case no_compiler
}
