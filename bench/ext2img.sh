#!/bin/sh
# bench/ext2img.sh: copying a tree into a fresh ext2 image and reading it
# all back, strata-img against e2fsprogs' own tools in the same run:
#
#   sh bench/ext2img.sh BINDIR
#
# The tree has BENCH_EXT2_FILES files (default 5000) of BENCH_EXT2_MB MiB
# in all (default 200) in directories of 100; it is built in a temporary
# directory under TMPDIR (default /tmp).
#   into an image:  strata-img mkfs -t ext2 -s SIZE -d TREE   (format + copy)
#                   mke2fs -t ext2 -d TREE                     (format + copy)
#                   mke2fs, then e2mkdir + e2cp -p per directory (e2tools)
#                   mke2fs, then cp -a TREE into a fuse2fs mount
#   read it back:   strata-img cp -a IMG:/ OUT
#                   debugfs -R 'rdump / OUT'
#                   cp -a out of a fresh fuse2fs mount
# Every image is checked with e2fsck -fn and every read-back with diff -r
# (not timed).  Prints seconds and the ratios peer/strata (above 1: strata
# is faster).  fuse2fs is left out (with the reason) without /dev/fuse,
# fusermount3 or fuse2fs.
set -eu
case ${1:-} in
-h|--help)
	echo "usage: sh bench/ext2img.sh BINDIR  (BENCH_EXT2_FILES, BENCH_EXT2_MB, TMPDIR)"
	exit 0 ;;
esac
bindir=${1:?usage: ext2img.sh BINDIR}
img=$bindir/strata-img
files=${BENCH_EXT2_FILES:-5000}
mb=${BENCH_EXT2_MB:-200}
for p in mke2fs e2fsck debugfs; do
	command -v $p >/dev/null 2>&1 || { echo "ext2img: $p (e2fsprogs) missing: skipped"; exit 0; }
done
[ -x "$img" ] || { echo "ext2img: no $img: skipped"; exit 0; }
have_e2tools=true
command -v e2cp >/dev/null 2>&1 && command -v e2mkdir >/dev/null 2>&1 || have_e2tools=false
no_fuse2fs=
[ -c /dev/fuse ] || no_fuse2fs="no /dev/fuse"
command -v fusermount3 >/dev/null 2>&1 || no_fuse2fs="no fusermount3 (Debian: fuse3)"
command -v fuse2fs >/dev/null 2>&1 || no_fuse2fs="no fuse2fs (Debian: fuse2fs)"
fpid=

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ext2img.XXXXXX")
cleanup() {
	if [ -n "$fpid" ]; then
		fusermount3 -u "$tmp/mnt" 2>/dev/null || true
		wait "$fpid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The tree: 2% of the files hold 80% of the bytes, the rest are small.
python3 - "$tmp/tree" "$files" "$mb" <<'PY'
import os, random, sys
root, nfiles, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(1)
total = mb << 20
nbig = max(1, nfiles // 50)
big = (total * 8 // 10) // nbig
small = max(1, (total - big * nbig) // max(1, nfiles - nbig))
blob = os.urandom(4 << 20)
for i in range(nfiles):
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    size = big if i % 50 == 0 else random.randint(small // 2, small * 3 // 2)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        off = random.randrange(0, len(blob) - 1)
        while size > 0:
            chunk = blob[off:off + size] or blob[:size]
            f.write(chunk)
            size -= len(chunk)
            off = 0
PY
bytes=$(du -sb "$tmp/tree" | cut -f1)
size=$(( bytes * 3 / 2 / 1048576 + 64 ))m

now() { date +%s.%N; }
timeit() {	# timeit VAR command...: seconds into VAR
	_v=$1; shift
	_t0=$(now); "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; echo "ext2img: $* failed" >&2; exit 1; }
	_t1=$(now)
	eval "$_v=$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.3f", b - a }')"
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
fsck() { e2fsck -fn "$1" >/dev/null 2>&1 || { echo "ext2img: $1 is not clean" >&2; exit 1; }; }
# fuse2fs IMAGE: mounts IMAGE on $tmp/mnt (foreground server in the
# background, so that its exit, after writing back, can be waited for).
fuse2fs_start() {
	mkdir -p "$tmp/mnt"
	fuse2fs -f "$1" "$tmp/mnt" -o rw 2>"$tmp/ferr" &
	fpid=$!
	_i=0
	while ! grep -q " $tmp/mnt " /proc/mounts; do
		if ! kill -0 "$fpid" 2>/dev/null || [ $_i -ge 200 ]; then
			cat "$tmp/ferr" >&2; echo "ext2img: fuse2fs did not mount" >&2; exit 1
		fi
		sleep 0.05; _i=$((_i + 1))
	done
}
fuse2fs_stop() {
	fusermount3 -u "$tmp/mnt" && wait "$fpid" || {
		cat "$tmp/ferr" >&2; echo "ext2img: fuse2fs failed" >&2; exit 1; }
	fpid=
}
fuse2fs_copy_in() {
	mke2fs -q -F -t ext2 "$1" "$size"
	fuse2fs_start "$1"
	cp -a "$tmp/tree/." "$tmp/mnt/"
	fuse2fs_stop
}
fuse2fs_copy_out() {
	fuse2fs_start "$1"
	cp -a "$tmp/mnt/." "$2"
	fuse2fs_stop
}
e2tools_copy() {
	mke2fs -q -F -t ext2 "$1" "$size"
	for d in "$tmp"/tree/*/; do
		n=$(basename "$d")
		e2mkdir "$1:/$n"
		(cd "$d" && e2cp -p -d "$1:/$n" *)
	done
}

sync
timeit t_strata_in "$img" mkfs -t ext2 -s "$size" -d "$tmp/tree" "$tmp/s.img"
timeit t_mke2fs_in mke2fs -q -F -t ext2 -d "$tmp/tree" "$tmp/m.img" "$size"
t_e2tools_in=
if $have_e2tools; then
	timeit t_e2tools_in e2tools_copy "$tmp/e.img"
fi
t_fuse2fs_in=
if [ -z "$no_fuse2fs" ]; then
	timeit t_fuse2fs_in fuse2fs_copy_in "$tmp/f.img"
	fsck "$tmp/f.img"
fi
fsck "$tmp/s.img"; fsck "$tmp/m.img"
sync
timeit t_strata_out "$img" cp -a "$tmp/s.img:/" "$tmp/out-s"
mkdir "$tmp/out-d"
timeit t_debugfs_out debugfs -R "rdump / $tmp/out-d" "$tmp/m.img"
t_fuse2fs_out=
if [ -n "$t_fuse2fs_in" ]; then
	mkdir "$tmp/out-f"
	timeit t_fuse2fs_out fuse2fs_copy_out "$tmp/f.img" "$tmp/out-f"
	diff -r -x lost+found "$tmp/tree" "$tmp/out-f" >/dev/null || { echo "ext2img: fuse2fs read-back differs" >&2; exit 1; }
fi
diff -r -x lost+found "$tmp/tree" "$tmp/out-s" >&2 || { echo "ext2img: strata read-back differs" >&2; exit 1; }
diff -r -x lost+found "$tmp/tree" "$tmp/out-d" >/dev/null || { echo "ext2img: debugfs read-back differs" >&2; exit 1; }

echo
printf '%-44s %10s %10s %12s\n' "ext2 image, $files files, $((bytes / 1048576)) MiB" "strata-img" "peer" "peer/strata"
printf '%-44s %10.2f %10.2f %12.2f\n' "copy in: vs mke2fs -d (s)" "$t_strata_in" "$t_mke2fs_in" \
    "$(div "$t_mke2fs_in" "$t_strata_in")"
[ -z "$t_e2tools_in" ] || printf '%-44s %10.2f %10.2f %12.2f\n' "copy in: vs mke2fs + e2mkdir/e2cp (s)" \
    "$t_strata_in" "$t_e2tools_in" "$(div "$t_e2tools_in" "$t_strata_in")"
[ -z "$t_fuse2fs_in" ] || printf '%-44s %10.2f %10.2f %12.2f\n' "copy in: vs cp -a into a fuse2fs mount (s)" \
    "$t_strata_in" "$t_fuse2fs_in" "$(div "$t_fuse2fs_in" "$t_strata_in")"
printf '%-44s %10.2f %10.2f %12.2f\n' "read back: vs debugfs rdump (s)" "$t_strata_out" "$t_debugfs_out" \
    "$(div "$t_debugfs_out" "$t_strata_out")"
[ -z "$t_fuse2fs_out" ] || printf '%-44s %10.2f %10.2f %12.2f\n' "read back: vs cp -a from a fuse2fs mount (s)" \
    "$t_strata_out" "$t_fuse2fs_out" "$(div "$t_fuse2fs_out" "$t_strata_out")"
[ -z "$no_fuse2fs" ] || echo "(fuse2fs not measured: $no_fuse2fs)"
echo "(one run each; images e2fsck -fn clean, read-backs identical to the tree)"
