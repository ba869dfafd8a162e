#!/bin/sh
# kyua-matrix.sh TESTDIR "PLATFORMS" GROUP...
#
# The test matrix: the groups GROUP-<platform> (kernel-posix,
# kernel-fiber, ...) are the same tests linked for each platform, and must
# give the same results on every one of them.  Reads the Kyua results in
# TESTDIR and lists every test case whose outcome (passed, skipped, failed,
# ...) differs between the platforms, or that is missing on one.  Prints
# nothing and exits 0 when all agree; exits 1 otherwise.
cd "$1" || exit 1
platforms=$2
shift 2
set -- $platforms -- "$@"
np=0
for p; do [ "$p" = -- ] && break; np=$((np + 1)); done
[ "$np" -ge 2 ] || exit 0
[ -f results.db ] || exit 0	# kyua-summary.sh reports that
kyua --logfile=kyua.log report --results-file=results.db \
    --results-filter=passed,skipped,xfail,broken,failed 2>/dev/null |
awk -v args="$*" '
BEGIN {
	n = split(args, a, " "); np = 0; ng = 0; g = 0
	for (i = 1; i <= n; i++) {
		if (a[i] == "--") { g = 1; continue }
		if (g) group[++ng] = a[i]; else plat[++np] = a[i]
	}
}
$2 == "->" {
	split($1, pc, "/")		# kernel-posix/t_x:case
	for (i = 1; i <= ng; i++)
		for (j = 1; j <= np; j++)
			if (pc[1] == group[i] "-" plat[j]) {
				key = group[i] " " substr($1, length(pc[1]) + 2)
				r = $3; sub(/:$/, "", r)	# "failed:" + reason
				res[key, plat[j]] = r; keys[key] = 1
			}
}
END {
	bad = 0
	for (k in keys) {
		line = ""; differ = 0
		for (j = 1; j <= np; j++) {
			r = (k SUBSEP plat[j]) in res ? res[k, plat[j]] : "missing"
			line = line sprintf(" %s: %s", plat[j], r)
			if (j > 1 && r != first) differ = 1
			if (j == 1) first = r
		}
		if (differ) {
			if (!bad++) print "\n===> Results that differ between platforms"
			split(k, kk, " ")
			print kk[1] "-*/" kk[2] " ->" line
			# The line .ci/run collects (kyua-summary.sh).
			failed[bad] = "FAILED: " kk[1] "-*/" kk[2] \
			    "  ->  differs between platforms:" line
		}
	}
	if (bad) printf "%d test cases differ between platforms (%s)\n", bad, \
	    "the test matrix must give the same results everywhere"
	for (i = 1; i <= bad; i++)
		print failed[i]
	exit bad > 0
}'
