#!/bin/sh
# valgrind-test.sh PROGRAM ARGS...
#
# Runs the ATF test program PROGRAM as Kyua asked (ARGS) under valgrind:
# what `make check VALGRIND=memcheck` puts in place of each test program
# (mk/tests.mk writes one small script per program that execs this one).
#
#   PROGRAM ... -l      listing: the program itself, not under valgrind
#                       (Kyua lists every program first), with every test
#                       case's timeout multiplied by VG_TIMEOUT_SCALE
#                       (valgrind runs programs 10 to 50 times slower);
#                       a case without one gets Kyua's default, 300 s,
#                       multiplied
#   PROGRAM ... CASE    the test case under valgrind --tool=$VG_TOOL with
#                       $VG_OPTIONS; -s (the source directory Kyua passes,
#                       where a program finds its helpers) names PROGRAM's
#                       own directory, not the wrapper's
#
# A test case during which valgrind reports an error exits with
# --error-exitcode's status (VG_OPTIONS), which Kyua counts as broken even
# when the case itself passed; valgrind's report is on the case's stderr,
# which `make check` shows for every failed case.  Children the program
# forks stay under valgrind; programs it executes do not.
set -e
if [ $# -eq 0 ] || [ "$1" = --help ]; then
	echo "usage: valgrind-test.sh PROGRAM ARGS...  (environment: VG_TOOL, VG_OPTIONS, VG_TIMEOUT_SCALE)"
	[ $# -eq 0 ] && exit 2
	exit 0
fi
prog=$1
shift
[ -x "$prog" ] || { echo "valgrind-test.sh: $prog: no such program" >&2; exit 2; }
command -v valgrind >/dev/null 2>&1 ||
    { echo "valgrind-test.sh: valgrind not found (Debian: apt-get install valgrind)" >&2; exit 2; }

# Kyua lists with "-vVAR=VALUE... -l".
listing=
for a; do
	[ "$a" = -l ] && listing=1
done
if [ -n "$listing" ]; then
	"$prog" "$@" | awk -v k="${VG_TIMEOUT_SCALE:-20}" '
		function close_case() {
			if (incase && !timed) print "timeout: " 300 * k
			incase = timed = 0
		}
		/^ident: / { close_case(); incase = 1 }
		/^timeout: / { $2 = $2 * k; timed = 1 }
		/^$/ { close_case() }
		{ print }
		END { close_case() }'
	exit 0
fi

# Rebuild the arguments with -s pointing at the program's directory
# (Kyua passes -sDIR; -s DIR is accepted too).
dir=$(cd "$(dirname "$prog")" && pwd)
n=$#
i=0
skipnext=
for a; do
	i=$((i + 1))
	if [ -n "$skipnext" ]; then
		skipnext=
		a=$dir
	else
		case $a in
		-s) skipnext=1 ;;
		-s*) a=-s$dir ;;
		esac
	fi
	set -- "$@" "$a"
done
shift "$n"

# A cleanup routine ("CASE:cleanup"): atf-c itself loses every test
# case's metadata when it runs one (memcheck: definitely lost, allocated
# by atf_tc_init from ATF_TP_ADD_TCS, whatever the routine does; seen
# with t_blk:host_blockdev), so leaks are not looked for there; every
# other error of the tool still fails the case.  A later option wins.
leaks=
for a; do
	case $a in
	*:cleanup) leaks=--leak-check=no ;;
	esac
done
exec valgrind --tool="${VG_TOOL:-memcheck}" ${VG_OPTIONS} $leaks "$prog" "$@"
