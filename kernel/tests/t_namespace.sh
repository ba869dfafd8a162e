#! /usr/bin/env atf-sh
#
# t_namespace: the installed kernel archives export nothing but their
# namespace.
#
# Every global symbol a kernel archive defines must be public API
# (rump_*, RUMP_*) or a renamed internal (rumpns_*); every symbol it leaves
# undefined must be a hypercall (rumpuser_*), defined by one of the
# installed kernel archives, one the linker provides (link set bounds
# __start_link_set_* / __stop_link_set_*, _GLOBAL_OFFSET_TABLE_) or the
# compiler runtime's (libgcc, libatomic).  A kernel
# calling the host's libc (an undefined memcpy, printf) fails here, and so
# does an internal name that escaped the rumpns_ renaming.

# Hypercall modules beyond rumpuser(3) add their prefixes here.
HYPERCALL_RE='^rumpuser_'
LINKER_RE='^(__start_link_set_|__stop_link_set_|_GLOBAL_OFFSET_TABLE_$)'
# In a sanitized build (make SANITIZE=...), instrumented code also calls
# the sanitizer runtime, which the final program links; nowhere else.
SANITIZER_RE='^__(asan|ubsan|tsan|sanitizer)_'
# The compiler runtime (libgcc, libatomic), which the compiler calls where
# the target lacks an instruction (riscv64: byte swaps, small atomics) and
# every program links: the names mk/rename-syms.sh leaves alone.  Only
# ever undefined here: a kernel archive defining one is a violation.
RUNTIME_RE='^(__(atomic|sync|aarch64)_|__[a-z]+(qi|hi|si|di|ti|sf|df|tf|xf|hf|bf|sc|dc|tc|xc)[0-9]?$|__clear_cache$)'

# Prints "archive[member]: symbol (why)" for every symbol of the archives
# "$@" outside the namespace.  Uses $nm.
namespace_violations()
{
	$nm -A -P -g "$@" >syms || atf_fail "$nm failed on $*"
	# -A -P lines: "lib.a[obj.o]: name type [value size]".  Undefined
	# symbols have type U, or w/v when weak.
	san=
	[ -n "$(atf_config_get sanitize '')" ] && san=$SANITIZER_RE
	awk -v hyp="$HYPERCALL_RE" -v lnk="$LINKER_RE" -v san="$san" -v rt="$RUNTIME_RE" '
		{ file = $1; name = $2; type = $3 }
		type ~ /^[Uwv]$/ { undef[file " " name] = 1; next }
		{ defined[name] = 1
		  if (name !~ /^(rump_|RUMP_|rumpns_)/ && name !~ lnk)
			print file " " name " (defined, not rump_/RUMP_/rumpns_)" }
		END {
			for (k in undef) {
				split(k, f, " "); name = f[2]
				if (name ~ hyp || name ~ lnk || name ~ rt || (name in defined) ||
				    (san != "" && name ~ san))
					continue
				print k " (undefined, not a hypercall nor defined by any kernel archive)"
			}
		}' syms | sort
}

kernel_archives()
{
	for a in "$1"/lib/librump*.a; do
		case ${a##*/} in
		librumpuser*|librumpclient*) ;;	# platforms, appstack: not kernel
		*) [ -f "$a" ] && echo "$a" ;;
		esac
	done
}

atf_test_case installed_archives
installed_archives_head()
{
	atf_set "descr" "Installed kernel archives define and use only the kernel's namespace"
}
installed_archives_body()
{
	nm=$(atf_config_get nm nm)
	prefix=$(atf_config_get kernel_prefix)
	archives=$(kernel_archives "$prefix")
	[ -n "$archives" ] || atf_fail "no kernel archives in $prefix/lib"
	echo "Checking:" $archives
	namespace_violations $archives >bad
	if [ -s bad ]; then
		cat bad
		atf_fail "$(wc -l <bad) symbol(s) outside the kernel namespace"
	fi
}

# The check must be able to fail, and the build's renaming must be what
# makes it pass: a raw object fails, the same object renamed by
# mk/rename-syms.sh passes except for the libc call nobody defines (and
# a definition of a compiler runtime name, which keeps its name).
atf_test_case check_catches_escapes
check_catches_escapes_head()
{
	atf_set "descr" "The check flags stray globals and libc calls; renaming fixes the former"
}
check_catches_escapes_body()
{
	nm=$(atf_config_get nm nm)
	cc=$(atf_config_get cc cc)
	ar=$(atf_config_get ar ar)
	objcopy=$(atf_config_get objcopy objcopy)
	topdir=$(atf_config_get topdir)
	cat >k.c <<'EOT'
int internal_counter;
int printf(const char *, ...);
int rump_pub(void) { return printf("%d", internal_counter); }
int rumpuser_getrandom(void *, unsigned long, int, unsigned long *);
int helper(void) { return rumpuser_getrandom(0, 0, 0, 0); }
unsigned int __bswapsi2(unsigned int);
unsigned int rump_swap(unsigned int x) { return __bswapsi2(x); }
int __popcountsi2(int x) { return x; }
EOT
	atf_check $cc -ffreestanding -fPIC -c k.c -o raw.o
	atf_check $ar rcs raw.a raw.o
	namespace_violations raw.a >bad
	atf_check -o ignore grep -w internal_counter bad
	atf_check -o ignore grep -w helper bad
	atf_check -o ignore grep -w printf bad
	atf_check -o ignore grep -w '__popcountsi2 (defined' bad
	atf_check -s exit:1 grep -w -e rump_pub -e rumpuser_getrandom -e __bswapsi2 bad

	atf_check env NM="$nm" OBJCOPY="$objcopy" sh "$topdir/mk/rename-syms.sh" raw.o ns.o
	atf_check $ar rcs ns.a ns.o
	namespace_violations ns.a >bad
	# The compiler runtime keeps its names: called, it is fine; defined
	# (a kernel that would clash with libgcc), it is not.
	atf_check -o inline:"ns.a[ns.o]: __popcountsi2 (defined, not rump_/RUMP_/rumpns_)\nns.a[ns.o]: rumpns_printf (undefined, not a hypercall nor defined by any kernel archive)\n" cat bad
}

atf_init_test_cases()
{
	atf_add_test_case installed_archives
	atf_add_test_case check_catches_escapes
}
