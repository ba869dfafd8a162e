#! /usr/bin/env atf-sh
#
# t_manpages: the installed manual pages are clean and complete.
#
# Every page under share/man of the installed layers (kernel: rump(3),
# rump_syscall(3), rumpuser(3); each platform: rumpuser-<p>(7); each
# application: strata-<app>(1)) must pass `mandoc -T lint` without a
# warning, and every program installed in bin/ must have a page in
# section 1.  Pages and programs are found in the prefixes, never listed
# here, so new applications and platforms are checked as they come.

# The installed layers' prefixes, each once.
prefixes()
{
	for v in kernel_prefix platform_prefix appstack_prefix; do
		atf_config_get "$v" ""
		echo
	done | sed '/^$/d' | sort -u
}

atf_test_case lint
lint_head()
{
	atf_set "descr" "every installed manual page passes mandoc -T lint -W warning"
}
lint_body()
{
	command -v mandoc >/dev/null ||
	    atf_skip "mandoc is not installed (Debian package mandoc)"
	n=0
	: >problems
	for p in $(prefixes); do
		for page in "$p"/share/man/man[1-9]/*; do
			[ -f "$page" ] || continue
			n=$((n + 1))
			# -W warning: warnings, errors and worse; style hints
			# (such as a date other than today's) are not failures.
			if ! mandoc -T lint -W warning "$page" >out 2>&1 || [ -s out ]; then
				cat out >>problems
				echo "$page: mandoc -T lint failed" >>problems
			fi
		done
	done
	if [ -s problems ]; then
		cat problems
		atf_fail "manual pages with lint warnings (above)"
	fi
	# The kernel's three pages at least; each platform's own.
	for want in man3/rump.3 man3/rump_syscall.3 man3/rumpuser.3; do
		ls "$(atf_config_get kernel_prefix)/share/man/$want" >/dev/null ||
		    atf_fail "the kernel installs no $want"
	done
	for pc in "$(atf_config_get platform_prefix)"/lib/pkgconfig/rumpuser-*.pc; do
		[ -f "$pc" ] || continue
		name=$(basename "$pc" .pc)
		ls "$(atf_config_get platform_prefix)/share/man/man7/$name.7" >/dev/null ||
		    atf_fail "platform $name installs no $name.7"
	done
	echo "$n pages checked"
	[ "$n" -ge 4 ] || atf_fail "only $n manual pages installed"
}

atf_test_case programs
programs_head()
{
	atf_set "descr" "every installed program has a manual page in section 1"
}
programs_body()
{
	bindir=$(atf_config_get bindir)
	platforms=$(for pc in "$(atf_config_get platform_prefix)"/lib/pkgconfig/rumpuser-*.pc; do
		[ -f "$pc" ] && basename "$pc" .pc | sed 's/^rumpuser-//'
	done)
	n=0
	: >missing
	for prog in "$bindir"/*; do
		[ -f "$prog" ] && [ -x "$prog" ] || continue
		n=$((n + 1))
		name=${prog##*/}
		found=no
		# strata-<app>-<platform> is strata-<app> linked with another
		# platform: its page is strata-<app>(1).
		for cand in "$name" $(for p in $platforms; do
			case $name in *-"$p") echo "${name%-"$p"}" ;; esac; done); do
			for pfx in $(prefixes); do
				[ -f "$pfx/share/man/man1/$cand.1" ] && found=yes
			done
		done
		[ $found = yes ] || echo "$name" >>missing
	done
	[ "$n" -gt 0 ] || atf_fail "no programs in $bindir"
	if [ -s missing ]; then
		echo "programs without a page in share/man/man1:"
		cat missing
		atf_fail "$(wc -l <missing) programs have no manual page"
	fi
	echo "$n programs have pages"
}

atf_init_test_cases()
{
	atf_add_test_case lint
	atf_add_test_case programs
}
