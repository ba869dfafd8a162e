#!/bin/sh
# bench/bench_run.sh: strata-run against its peers (make bench runs it
# when strata-run is installed).
#
#   sh bench/bench_run.sh STRATA-RUN GUEST DIRECT [REPEAT]
#
# GUEST is bench_run_guest (an ordinary host program), DIRECT is
# bench_run_direct (the same calls with rump_sys_*() on a kernel linked
# in).  Figures, each the median of REPEAT runs (default 5):
#   getpid   a system call strata-run answers itself: the trap alone
#   getuid   a null call the kernel serves
#   pread4k  a 4 KiB pread of a kernel file (under strata-run; a
#            /dev/shm file natively)
#   hostwrite  a 0-byte write to standard output, a host descriptor
#            under strata-run too (no direct peer)
# for the program run natively (host), under strata-run with Syscall
# User Dispatch (dispatch: a SIGSYS per call) and with --rewrite (its
# sites turned into calls; left out where address 0 cannot be mapped),
# and as direct rump_sys_*() calls (direct), with ratios; then, when
# bench_sud_floor is beside GUEST, the floor this machine sets (a host
# system call, a thread pointer switch with ARCH_SET_FS and, where the
# host offers FSGSBASE, with WRFSBASE, as strata-run then switches; an
# XSAVE and XRSTOR of the vector state; a bare SIGSYS
# round trip) and strata-run's figures as multiples of it; then tar
# extracting a 5,000-file tree under strata-run into the kernel against
# tar extracting it onto /dev/shm (left out with BENCH_RUN_TAR=no).
# Under load, run it with `chrt -f 1` (its children inherit it).
set -eu

case ${1:-} in
-h|--help)
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0 ;;
esac
run=${1:?usage: bench_run.sh STRATA-RUN GUEST DIRECT [REPEAT]}
guest=${2:?usage: bench_run.sh STRATA-RUN GUEST DIRECT [REPEAT]}
direct=${3:?usage: bench_run.sh STRATA-RUN GUEST DIRECT [REPEAT]}
repeat=${4:-5}
n=20000
work=/dev/shm/strata-bench-run-$$
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT INT TERM

if ! "$run" -- /bin/true 2>"$work/err"; then
	echo "bench_run.sh: strata-run does not work here:" >&2
	cat "$work/err" >&2
	exit 1
fi

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# result: the value of the RESULT line of a command's output
result() { "$@" | awk '$1 == "RESULT" { print $3 }'; }
# seconds a command takes (wall clock)
seconds() {
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}
# calc EXPR: floating point arithmetic
calc() { awk "BEGIN { printf \"%.6f\\n\", $1 }"; }

# --rewrite needs address 0 (root, or vm.mmap_min_addr=0): without it
# the rewritten column is left out, and says why.
rw=1
"$run" --rewrite --trace -- /bin/true 2>"$work/err" || rw=0
if grep -q "cannot map the trampoline" "$work/err"; then
	rw=0
	echo "(no rewritten column: $(grep trampoline "$work/err"))"
fi

printf '%-10s %10s %12s %12s %10s %10s %10s %10s\n' benchmark "host ns" \
    "dispatch ns" "rewrite ns" "direct ns" disp/host rw/host rw/direct
for b in getpid getuid pread4k hostwrite; do
	h=; r=; w=; d=
	for i in $(seq "$repeat"); do
		case $b in
		pread4k)
			h="$h $(result "$guest" pread "$work/f" $n)"
			r="$r $(result "$run" -- "$guest" pread /f $n)"
			[ $rw = 0 ] || w="$w $(result "$run" --rewrite -- "$guest" pread /f $((n * 10)))"
			d="$d $(result "$direct" pread $n)" ;;
		hostwrite)
			h="$h $(result "$guest" $b $((n * 10)))"
			r="$r $(result "$run" -- "$guest" $b $n)"
			[ $rw = 0 ] || w="$w $(result "$run" --rewrite -- "$guest" $b $((n * 10)))"
			d="$d -" ;;
		*)
			h="$h $(result "$guest" $b $((n * 10)))"
			r="$r $(result "$run" -- "$guest" $b $n)"
			[ $rw = 0 ] || w="$w $(result "$run" --rewrite -- "$guest" $b $((n * 10)))"
			d="$d $(result "$direct" $b $((n * 10)))" ;;
		esac
	done
	h=$(echo $h | tr ' ' '\n' | median)
	r=$(echo $r | tr ' ' '\n' | median)
	d=$(echo $d | tr ' ' '\n' | median)
	eval "disp_$b=\$r"
	if [ $b = hostwrite ]; then
		w=$(echo $w | tr ' ' '\n' | median)
		printf '%-10s %10.1f %12.1f %12s %10s %10.2f %10s %10s\n' $b "$h" "$r" \
		    "$([ $rw = 0 ] && echo - || printf '%.1f' "$w")" - "$(calc "$r / $h")" \
		    "$([ $rw = 0 ] && echo - || calc "$w / $h" | awk '{ printf "%.2f", $1 }')" -
		continue
	fi
	if [ $rw = 0 ]; then
		printf '%-10s %10.1f %12.1f %12s %10.1f %10.2f %10s %10s\n' $b "$h" "$r" - "$d" \
		    "$(calc "$r / $h")" - -
	else
		w=$(echo $w | tr ' ' '\n' | median)
		eval "rw_$b=\$w"
		printf '%-10s %10.1f %12.1f %12.1f %10.1f %10.2f %10.2f %10.2f\n' $b "$h" "$r" "$w" "$d" \
		    "$(calc "$r / $h")" "$(calc "$w / $h")" "$(calc "$w / $d")"
	fi
done

# The floor: what the pieces of strata-run's paths cost alone here.
floor=$(dirname "$guest")/bench_sud_floor
if [ -x "$floor" ]; then
	fs=; fc=; fg=; fa=; fw=; fx=
	for i in $(seq "$repeat"); do
		"$floor" >"$work/floor"
		fs="$fs $(awk '$2 == "syscall" { print $3 }' "$work/floor")"
		fc="$fc $(awk '$2 == "call" { print $3 }' "$work/floor")"
		fa="$fa $(awk '$2 == "arch_prctl" { print $3 }' "$work/floor")"
		fw="$fw $(awk '$2 == "wrfsbase" { print $3 }' "$work/floor")"
		fx="$fx $(awk '$2 == "xsave" { print $3 }' "$work/floor")"
		fg="$fg $(awk '$2 == "sigsys" { print $3 }' "$work/floor")"
	done
	fs=$(echo $fs | tr ' ' '\n' | median)
	fc=$(echo $fc | tr ' ' '\n' | median)
	fa=$(echo $fa | tr ' ' '\n' | median)
	printf '\n%-44s %10s\n' "floor (bench_sud_floor)" "ns"
	printf '%-44s %10.1f\n' "indirect call and return" "$fc"
	printf '%-44s %10.1f\n' "host system call (getpid)" "$fs"
	printf '%-44s %10.1f\n' "thread pointer switch (ARCH_SET_FS)" "$fa"
	# strata-run switches with WRFSBASE where the host offers it.
	if [ -n "$(echo $fw)" ]; then
		fa=$(echo $fw | tr ' ' '\n' | median)
		printf '%-44s %10.1f\n' "thread pointer switch (WRFSBASE, used)" "$fa"
	fi
	xs=0
	if [ -n "$(echo $fx)" ]; then
		xs=$(echo $fx | tr ' ' '\n' | median)
		printf '%-44s %10.1f\n' "XSAVE + XRSTOR (a rewritten kernel call)" "$xs"
	fi
	if [ -n "$(echo $fg)" ]; then
		fg=$(echo $fg | tr ' ' '\n' | median)
		printf '%-44s %10.1f\n' "bare SIGSYS round trip (dispatch's least)" "$fg"
		printf '%-44s %10.2f\n' "dispatch getpid / bare SIGSYS" \
		    "$(calc "$disp_getpid / $fg")"
		printf '%-44s %10.2f\n' "dispatch getuid / (SIGSYS + 2 switches)" \
		    "$(calc "$disp_getuid / ($fg + 2 * $fa)")"
	fi
	if [ $rw = 1 ]; then
		printf '%-44s %10.2f\n' "rewrite getuid / (2 switches + XSAVE)" \
		    "$(calc "$rw_getuid / (2 * $fa + $xs)")"
	fi
fi
[ "${BENCH_RUN_TAR:-yes}" = no ] && { echo "(medians of $repeat runs; ns per call; lower is better)"; exit 0; }

# tar: 5,000 files of 1 KiB in 50 directories.
mkdir -p "$work/tree"
i=0
while [ $i -lt 50 ]; do
	mkdir "$work/tree/d$i"
	j=0
	while [ $j -lt 100 ]; do
		head -c 1024 /dev/zero >"$work/tree/d$i/f$j"
		j=$((j + 1))
	done
	i=$((i + 1))
done
tar -C "$work/tree" -cf "$work/t.tar" .
rm -rf "$work/tree"
h=; r=; s=; w=
for i in $(seq "$repeat"); do
	rm -rf "$work/x" && mkdir "$work/x"
	h="$h $(seconds tar -C "$work/x" -xf "$work/t.tar")"
	r="$r $(seconds "$run" --copy-in "$work/t.tar:/t.tar" --cwd /x -- /bin/tar -xf /t.tar)"
	[ $rw = 0 ] || w="$w $(seconds "$run" --rewrite --copy-in "$work/t.tar:/t.tar" --cwd /x -- /bin/tar -xf /t.tar)"
	s="$s $(seconds "$run" --copy-in "$work/t.tar:/t.tar" --cwd /x -- /bin/true)"
done
h=$(echo $h | tr ' ' '\n' | median)
r=$(echo $r | tr ' ' '\n' | median)
s=$(echo $s | tr ' ' '\n' | median)
printf '\n%-38s %10s\n' "tar -xf, 5,000 files of 1 KiB" seconds
printf '%-38s %10.3f\n' "host, onto /dev/shm" "$h"
printf '%-38s %10.3f\n' "strata-run, into the kernel" "$r"
if [ $rw = 1 ]; then
	w=$(echo $w | tr ' ' '\n' | median)
	printf '%-38s %10.3f\n' "strata-run --rewrite, into the kernel" "$w"
fi
printf '%-38s %10.3f\n' "  of which start and copy-in" "$s"
printf '%-38s %10.2f\n' "ratio runner/host (start excluded)" \
    "$(calc "($r - $s) / $h")"
[ $rw = 0 ] || printf '%-38s %10.2f\n' "ratio --rewrite/host (start excluded)" \
    "$(calc "($w - $s) / $h")"
echo "(medians of $repeat runs; ns per call; lower is better)"
