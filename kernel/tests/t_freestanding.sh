#! /usr/bin/env atf-sh
#
# t_freestanding: the kernel reads no host header.
#
# The proof is the compiler's own record.  Every kernel object is compiled
# with -MD (not -MMD, which would leave out headers from "system"
# directories), so its dependency file lists every file the preprocessor
# opened.  Each listed file must be kernel source: under kernel/ (its
# private headers in kernel/include, a component's own header beside its
# sources) or the public headers in include/.  Anything else -- /usr/include,
# the compiler's own stddef.h -- means the kernel depends on the host.

# Prints every file named in the dependency files "$@" that lies outside
# the allowed directories of the source tree $topdir.
foreign_headers()
{
	topdir=$(realpath "$topdir")
	# Tokens of "obj.o: a.c b.h \" and "-MP" lines "b.h:"; targets end in ':'.
	awk '{ for (i = 1; i <= NF; i++) if ($i != "\\" && $i !~ /:$/) print $i }' "$@" |
	    sort -u | xargs -r realpath -m -- |
	    awk -v top="$topdir" '
		index($0, top "/kernel/tests/") == 1 { print; next }
		index($0, top "/kernel/") == 1 || index($0, top "/include/") == 1 { next }
		{ print }'
}

atf_test_case kernel_reads_no_host_header
kernel_reads_no_host_header_head()
{
	atf_set "descr" "No kernel object was compiled from a header outside kernel/ and include/"
}
kernel_reads_no_host_header_body()
{
	topdir=$(atf_config_get topdir)
	objdir=$(atf_config_get builddir)/kernel/obj
	find "$objdir" -name '*.d' >deps 2>/dev/null
	nobj=$(find "$objdir" -name '*.o' 2>/dev/null | wc -l)
	ndep=$(wc -l <deps)
	[ "$nobj" -gt 0 ] || atf_fail "no kernel objects in $objdir: kernel not built?"
	[ "$ndep" -ge "$nobj" ] || \
	    atf_fail "$nobj kernel objects but only $ndep dependency files in $objdir"
	xargs cat <deps >all.d
	foreign_headers all.d >foreign
	if [ -s foreign ]; then
		echo "Host files read by the kernel build:"
		cat foreign
		# Name the objects, so the culprit is easy to find.
		while read -r f; do
			xargs grep -l -F -- "$f" <deps 2>/dev/null | sed 's/^/  read by /'
		done <foreign
		atf_fail "the kernel read $(wc -l <foreign) file(s) outside kernel/ and include/"
	fi
}

# The check itself must be able to fail: compile a file the way the kernel
# is compiled, but reading the compiler's own <stddef.h> by absolute path
# (which -nostdinc does not prevent), and expect it to be caught.
atf_test_case check_catches_host_header
check_catches_host_header_head()
{
	atf_set "descr" "The check flags a compiler or host header in a dependency file"
}
check_catches_host_header_body()
{
	topdir=$(atf_config_get topdir)
	cc=$(atf_config_get cc cc)
	stddef=$($cc -print-file-name=include)/stddef.h
	[ -f "$stddef" ] || atf_skip "$cc has no $stddef"
	printf '#include "%s"\nsize_t n;\n' "$stddef" >bad.c
	atf_check $cc -std=c11 -ffreestanding -nostdinc -MD -MP -MF bad.d -c bad.c -o bad.o
	foreign_headers bad.d >foreign
	atf_check -o ignore grep -F "$(realpath "$stddef")" foreign

	# And a dependency file as the kernel would have it with a host
	# <stdio.h> (as when someone adds -I/usr/include to CFLAGS).
	printf 'x.o: %s/kernel/kern/x.c %s/kernel/include/kern/types.h \\\n /usr/include/stdio.h\n/usr/include/stdio.h:\n' \
	    "$topdir" "$topdir" >host.d
	foreign_headers host.d >foreign
	atf_check -o inline:"/usr/include/stdio.h\n" cat foreign
}

atf_init_test_cases()
{
	atf_add_test_case kernel_reads_no_host_header
	atf_add_test_case check_catches_host_header
}
