#!/bin/sh
# bench/fuseio.sh: file I/O through a FUSE mount of a fresh ext2 image,
# strata-fuse against fuse2fs (e2fsprogs' FUSE server) in the same run:
#
#   sh bench/fuseio.sh BINDIR
#
#   sequential write  dd bs=1M conv=fsync of BENCH_FUSE_MB MiB (default
#                     1024, the issue's figure; less for a quick run) into
#                     one new file,
#                     then unmount (everything written back to the image)
#   sequential read   a fresh mount, dd bs=1M of the whole file
#   random read       a fresh mount, BENCH_FUSE_RANDOM (default 4000)
#                     preads of 4 KiB at random 4 KiB-aligned offsets
# Fresh mounts start with nothing in the host's page cache for the file.
# BENCH_FUSE_REPEAT=n (default 1) runs the two servers n times in turn
# and prints medians (a machine shared with other work varies a lot).
# The file is compared with its source and the image checked with
# e2fsck -fn afterwards (not timed).  Prints MiB/s (reads/s) and
# strata/fuse2fs (above 1: strata is faster).  Skips with a reason when
# /dev/fuse, fusermount3, fuse2fs or strata-fuse is missing.
set -eu
case ${1:-} in
-h|--help)
	echo "usage: sh bench/fuseio.sh BINDIR  (BENCH_FUSE_MB, BENCH_FUSE_RANDOM, BENCH_FUSE_REPEAT, TMPDIR)"
	exit 0 ;;
esac
bindir=${1:?usage: fuseio.sh BINDIR}
mb=${BENCH_FUSE_MB:-1024}
nrand=${BENCH_FUSE_RANDOM:-4000}
repeat=${BENCH_FUSE_REPEAT:-1}
skip() { echo "fuseio: $*: skipped"; exit 0; }
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v fusermount3 >/dev/null 2>&1 || skip "no fusermount3 (Debian: fuse3)"
command -v fuse2fs >/dev/null 2>&1 || skip "no fuse2fs (Debian: apt-get install fuse2fs)"
command -v mke2fs >/dev/null 2>&1 || skip "no mke2fs (Debian: e2fsprogs)"
[ -x "$bindir/strata-fuse" ] || skip "no $bindir/strata-fuse"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuseio.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		fusermount3 -u "$tmp/mnt" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mkdir "$tmp/mnt"
head -c $((mb << 20)) /dev/urandom >"$tmp/src"
size=$((mb * 5 / 4 + 64))m

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# start TOOL: mounts $tmp/img on $tmp/mnt in the foreground, in the
# background of this shell (so that its exit can be waited for).
start() {
	case $1 in
	strata) "$bindir/strata-fuse" -f "$tmp/img" "$tmp/mnt" 2>"$tmp/err" & ;;
	fuse2fs) fuse2fs -f "$tmp/img" "$tmp/mnt" -o rw 2>"$tmp/err" & ;;
	esac
	pid=$!
	i=0
	while ! grep -q " $tmp/mnt " /proc/mounts; do
		kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ] || {
			cat "$tmp/err" >&2
			if grep -qi "permission\|not permitted" "$tmp/err"; then
				skip "FUSE mounts are not allowed here"
			fi
			echo "fuseio: $1 did not mount" >&2; exit 1; }
		sleep 0.05
		i=$((i + 1))
	done
}
stop() {
	fusermount3 -u "$tmp/mnt"
	wait "$pid" || { cat "$tmp/err" >&2; echo "fuseio: server exited with $?" >&2; exit 1; }
	pid=
}

# run TOOL: the three times, as a line "TOOL write read random" in
# $tmp/times.
run() {
	# 4 KiB blocks, as mke2fs picks for the default 1 GiB run (it would
	# pick 1 KiB ones for the image of a small quick run).
	mke2fs -q -F -t ext2 -b 4096 "$tmp/img" "$size" >/dev/null
	sync
	start "$1"
	t0=$(now)
	dd if="$tmp/src" of="$tmp/mnt/big" bs=1M conv=fsync status=none
	stop
	w=$(since "$t0")
	start "$1"
	t0=$(now)
	dd if="$tmp/mnt/big" of=/dev/null bs=1M status=none
	r=$(since "$t0")
	stop
	start "$1"
	t0=$(now)
	python3 - "$tmp/mnt/big" "$nrand" <<'PY'
import os, random, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
blocks = os.fstat(fd).st_size // 4096
rnd = random.Random(1)
for _ in range(int(sys.argv[2])):
    if len(os.pread(fd, 4096, rnd.randrange(blocks) * 4096)) != 4096:
        sys.exit("short read")
PY
	rr=$(since "$t0")
	echo "$1 $w $r $rr" >>"$tmp/times"
	cmp "$tmp/src" "$tmp/mnt/big" || { echo "fuseio: $1 read back differs" >&2; exit 1; }
	stop
	e2fsck -fn "$tmp/img" >/dev/null 2>&1 || { echo "fuseio: $1 left an unclean image" >&2; exit 1; }
	rm -f "$tmp/img"
}
# Not i: run's wait for the mount counts with i (a shell function's
# variables are global), which kept resetting this loop forever.
rep=0
while [ $rep -lt "$repeat" ]; do
	run strata
	run fuse2fs
	rep=$((rep + 1))
done
# med TOOL FIELD: the median of one column of $tmp/times.
med() {
	awk -v t="$1" -v f="$2" '$1 == t { print $f }' "$tmp/times" | sort -g |
	    awk '{ v[NR] = $1 } END { printf "%s", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for t in strata fuse2fs; do
	eval "w_$t=$(med $t 2) r_$t=$(med $t 3) rr_$t=$(med $t 4)"
done

rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.1f", (t > 0 ? n / t : 0) }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
line() {	# line LABEL AMOUNT T_STRATA T_FUSE2FS
	a=$(rate "$2" "$3"); b=$(rate "$2" "$4")
	printf '%-40s %12s %12s %14s\n' "$1" "$a" "$b" "$(div "$a" "$b")"
}
echo
printf '%-40s %12s %12s %14s\n' "FUSE mount of ext2, $mb MiB file" "strata-fuse" "fuse2fs" "strata/fuse2fs"
line "sequential write + unmount (MiB/s)" "$mb" "$w_strata" "$w_fuse2fs"
line "sequential read (MiB/s)" "$mb" "$r_strata" "$r_fuse2fs"
line "random 4 KiB reads (reads/s)" "$nrand" "$rr_strata" "$rr_fuse2fs"
# Overall: the geometric mean of the three ratios (the issue's goal: 2).
awk -v a="$w_fuse2fs" -v b="$w_strata" -v c="$r_fuse2fs" -v d="$r_strata" \
    -v e="$rr_fuse2fs" -v f="$rr_strata" 'BEGIN {
	if (a > 0 && b > 0 && c > 0 && d > 0 && e > 0 && f > 0)
		printf "%-40s %12s %12s %14.2f\n", "overall (geometric mean of ratios)",
		    "", "", exp((log(a / b) + log(c / d) + log(e / f)) / 3) }'
if [ "$repeat" -eq 1 ]; then
	echo "(one run each; file compared with its source, images e2fsck -fn clean)"
else
	echo "(medians of $repeat runs each; files compared with their source, images e2fsck -fn clean)"
fi
