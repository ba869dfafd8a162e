#!/bin/sh
# bench/fuseio.sh: file I/O through a FUSE mount of a fresh ext2 image,
# strata-fuse against fuse2fs (e2fsprogs' FUSE server) in the same run:
#
#   sh bench/fuseio.sh BINDIR
#
#   sequential write  dd bs=1M conv=fsync of BENCH_FUSE_MB MiB (default
#                     256; the issue's figure is 1024) into one new file,
#                     then unmount (everything written back to the image)
#   sequential read   a fresh mount, dd bs=1M of the whole file
#   random read       a fresh mount, BENCH_FUSE_RANDOM (default 4000)
#                     preads of 4 KiB at random 4 KiB-aligned offsets
# Fresh mounts start with nothing in the host's page cache for the file.
# The file is compared with its source and the image checked with
# e2fsck -fn afterwards (not timed).  Prints MiB/s (reads/s) and
# strata/fuse2fs (above 1: strata is faster).  Skips with a reason when
# /dev/fuse, fusermount3, fuse2fs or strata-fuse is missing.
set -eu
case ${1:-} in
-h|--help)
	echo "usage: sh bench/fuseio.sh BINDIR  (BENCH_FUSE_MB, BENCH_FUSE_RANDOM, TMPDIR)"
	exit 0 ;;
esac
bindir=${1:?usage: fuseio.sh BINDIR}
mb=${BENCH_FUSE_MB:-256}
nrand=${BENCH_FUSE_RANDOM:-4000}
skip() { echo "fuseio: $*: skipped"; exit 0; }
[ -c /dev/fuse ] || skip "no /dev/fuse"
command -v fusermount3 >/dev/null 2>&1 || skip "no fusermount3 (Debian: fuse3)"
command -v fuse2fs >/dev/null 2>&1 || skip "no fuse2fs (Debian: fuse2fs)"
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

# run TOOL: the three figures into w_TOOL, r_TOOL, rr_TOOL.
run() {
	mke2fs -q -F -t ext2 "$tmp/img" "$size" >/dev/null
	sync
	start "$1"
	t0=$(now)
	dd if="$tmp/src" of="$tmp/mnt/big" bs=1M conv=fsync status=none
	stop
	eval "w_$1=$(since "$t0")"
	start "$1"
	t0=$(now)
	dd if="$tmp/mnt/big" of=/dev/null bs=1M status=none
	eval "r_$1=$(since "$t0")"
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
	eval "rr_$1=$(since "$t0")"
	cmp "$tmp/src" "$tmp/mnt/big" || { echo "fuseio: $1 read back differs" >&2; exit 1; }
	stop
	e2fsck -fn "$tmp/img" >/dev/null 2>&1 || { echo "fuseio: $1 left an unclean image" >&2; exit 1; }
	rm -f "$tmp/img"
}
run strata
run fuse2fs

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
echo "(one run each; file compared with its source, images e2fsck -fn clean)"
