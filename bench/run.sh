#!/bin/sh
# bench/run.sh: runs the benchmarks built by bench/Makefile and prints one
# table: every figure on each platform, the ratio fiber/posix, the host
# peer's figure and the ratios platform/host.
#
#   sh bench/run.sh BENCHDIR "posix fiber" [REPEAT]
#
# BENCHDIR/<platform>/ holds bench_sched, bench_pipe and bench_kernel.
# Each measurement runs REPEAT times (default 5) in fresh processes; the
# table shows the median.  Host peers are measured with the first
# platform's programs (their peer modes never touch rumpuser; bench_kernel
# measures its peers in the same run as the rump figure).  Ratios are
# plain quotients of the figures: for a time, below 1.0 means faster; for
# a rate (MiB/s), above 1.0 means faster.  The whole run takes well under
# a minute with REPEAT=5 (about 8 s per repetition on two cores).
set -eu

case ${1:-} in
-h|--help)
	echo "usage: sh bench/run.sh BENCHDIR PLATFORMS [REPEAT]"
	echo "Runs the benchmarks built under BENCHDIR/<platform>/ (make bench"
	echo "does both) and prints figures, fiber/posix and platform/host ratios."
	exit 0 ;;
esac

dir=${1:?usage: run.sh BENCHDIR PLATFORMS [REPEAT]}
platforms=${2:?usage: run.sh BENCHDIR PLATFORMS [REPEAT]}
repeat=${3:-5}
peerp=$(echo $platforms | awk '{print $1}')
raw=$(mktemp)
trap 'rm -f "$raw" "$raw.out"' EXIT INT TERM

# record PLATFORM(or "host") KEY VALUE UNIT
record() { echo "$1|$2|$3|$4" >>"$raw"; }

# run_result COLUMN PROGRAM ARGS...: a program printing "RESULT key value unit"
run_result() {
	col=$1; shift
	if ! "$@" >"$raw.out" 2>&1; then
		echo "run.sh: '$*' failed:" >&2; cat "$raw.out" >&2; return 1
	fi
	awk -v col="$col" '$1 == "RESULT" { print col "|" $2 "|" $3 "|" $4 }' \
	    "$raw.out" >>"$raw"
}

# run_kernel PLATFORM BENCH [PROGRAM]: bench_kernel's (or PROGRAM's) lines
#   "<label> rump <v> <unit> peer <v> <unit> ratio <r>"
run_kernel() {
	if ! "$dir/$1/${3:-bench_kernel}" "$2" >"$raw.out" 2>&1; then
		echo "run.sh: ${3:-bench_kernel} $2 on $1 failed:" >&2
		cat "$raw.out" >&2; return 1
	fi
	awk -v p="$1" -v peerp="$peerp" '
	/ rump +[0-9.]+ .* peer +[0-9.]+ / {
		i = index($0, " rump ")
		label = substr($0, 1, i - 1); sub(/ +$/, "", label)
		n = split(substr($0, i + 1), f, / +/)
		print p "|" label "|" f[2] "|" f[3]
		if (p == peerp)
			print "host|" label "|" f[5] "|" f[6]
	}' "$raw.out" >>"$raw"
}

status=0
for i in $(seq "$repeat"); do
	for p in $platforms; do
		test -x "$dir/$p/bench_sched" || { echo "run.sh: no $dir/$p/bench_sched" >&2; exit 1; }
		for b in create pingpong yield mutex; do
			run_result "$p" "$dir/$p/bench_sched" "$b" || status=1
		done
		run_result "$p" "$dir/$p/bench_pipe" rump || status=1
		for b in init getpid tmpfs-small tmpfs-large; do
			run_kernel "$p" "$b" || status=1
		done
		# FAT vs mtools, when FAT was built (bench_fat).
		if test -x "$dir/$p/bench_fat"; then
			run_kernel "$p" copy bench_fat || status=1
		fi
		# Scaling with virtual CPUs (bench_scale, posix only).
		if test -x "$dir/$p/bench_scale"; then
			run_kernel "$p" tmpfs bench_scale || status=1
			run_kernel "$p" ext2 bench_scale || status=1
		fi
	done
	for b in peer-create peer-pingpong peer-mutex; do
		run_result host "$dir/$peerp/bench_sched" "$b" || status=1
	done
	run_result host "$dir/$peerp/bench_pipe" peer || status=1
	printf '.' >&2
done
echo >&2

# The table: medians, in the order the figures were first recorded.
awk -F'|' -v platforms="$platforms" '
function median(key,    n, i, j, t, v) {
	n = cnt[key]
	for (i = 1; i <= n; i++) v[i] = val[key, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function fmt(x) { return x == "" ? "-" : sprintf("%.1f", x) }
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.3g", a / b) }
{
	key = $1 SUBSEP $2
	if (!($2 in seen)) { seen[$2] = 1; order[++nkeys] = $2; unit[$2] = $4 }
	cnt[key]++; val[key, cnt[key]] = $3
}
END {
	np = split(platforms, P, " ")
	hdr = sprintf("%-30s %-6s", "benchmark", "unit")
	for (i = 1; i <= np; i++) hdr = hdr sprintf(" %12s", P[i])
	if (np >= 2) hdr = hdr sprintf(" %8s", P[2] "/" P[1])
	hdr = hdr sprintf(" %12s", "host peer")
	for (i = 1; i <= np; i++) hdr = hdr sprintf(" %8s", P[i] "/host")
	print hdr
	for (k = 1; k <= nkeys; k++) {
		name = order[k]
		for (i = 1; i <= np; i++)
			m[i] = cnt[P[i], name] ? median(P[i] SUBSEP name) : ""
		h = cnt["host", name] ? median("host" SUBSEP name) : ""
		line = sprintf("%-30s %-6s", name, unit[name])
		for (i = 1; i <= np; i++) line = line sprintf(" %12s", fmt(m[i]))
		if (np >= 2) line = line sprintf(" %8s", ratio(m[2], m[1]))
		line = line sprintf(" %12s", fmt(h))
		for (i = 1; i <= np; i++) line = line sprintf(" %8s", ratio(m[i], h))
		print line
	}
}' "$raw"
echo "(medians of $repeat runs; times: lower is better, MiB/s: higher is better)"
exit $status
