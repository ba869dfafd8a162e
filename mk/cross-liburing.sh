#!/bin/sh
# mk/cross-liburing.sh: the target's liburing for a cross build of the
# fiber platform (README, "Cross builds").  Run `mk/cross-liburing.sh
# --help` for the usage.
#
# Debian 12 has no cross liburing: the multiarch liburing-dev:arm64 would
# bring libc6:arm64 beside the cross C library (and break qemu-user's
# runs), and there are no riscv64 packages at all.  So this builds
# liburing for each target from Debian 12's own source package (the same
# version as the host's liburing-dev), with the target's cross compiler:
# the static library and the headers only, which is all that the fiber
# platform and the programs linked with it need.
#
# The source package is fetched by apt-get source from a private list of
# sources (bookworm's deb-src only) with private state and cache
# directories: apt verifies the download against the signed Sources index,
# and the machine's own apt configuration, lists and caches stay as they
# are.  Needs apt and dpkg-dev (dpkg-source), unless --source names a tree
# already unpacked; writing into the default root needs root.

set -eu

ROOT=/usr/local
SOURCE=
CC_GIVEN=
SUITE=bookworm
MIRROR=http://deb.debian.org/debian

usage()
{
	cat <<EOF
usage: mk/cross-liburing.sh [--root DIR] [--source DIR] [--cc CC] TRIPLE...

Builds liburing's static library and headers for each target TRIPLE
(aarch64-linux-gnu, riscv64-linux-gnu) from Debian 12's source package
with the cross compiler TRIPLE-gcc, and installs them into DIR/TRIPLE:
	DIR/TRIPLE/include/liburing.h, DIR/TRIPLE/include/liburing/*.h
	DIR/TRIPLE/lib/liburing.a
The tests (apps/tests/t_cross_*.sh) look for them in /usr/local/TRIPLE.

  --root DIR     install into DIR/TRIPLE (default $ROOT)
  --source DIR   build from this liburing source tree (e.g. unpacked by
                 apt-get source liburing) instead of fetching Debian 12's
  --cc CC        compiler to use instead of TRIPLE-gcc (one TRIPLE only),
                 e.g. --cc "clang --target=aarch64-linux-gnu"
  --help         this text

Needs gcc-TRIPLE and the target's C library (libc6-dev-arm64-cross,
libc6-dev-riscv64-cross), and to fetch the source apt and dpkg-dev.
A cross build then finds liburing through CPPFLAGS and LDFLAGS:
	make CROSS_COMPILE=aarch64-linux-gnu- \\
	    CPPFLAGS=-I/usr/local/aarch64-linux-gnu/include \\
	    LDFLAGS=-L/usr/local/aarch64-linux-gnu/lib
EOF
}

die()
{
	echo "mk/cross-liburing.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$2; shift 2 ;;
	--root=*) ROOT=${1#--root=}; shift ;;
	--source) [ $# -ge 2 ] || die "--source needs a directory"; SOURCE=$2; shift 2 ;;
	--source=*) SOURCE=${1#--source=}; shift ;;
	--cc) [ $# -ge 2 ] || die "--cc needs a compiler"; CC_GIVEN=$2; shift 2 ;;
	--cc=*) CC_GIVEN=${1#--cc=}; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || { usage >&2; die "no target named (e.g. aarch64-linux-gnu)"; }
[ -z "$CC_GIVEN" ] || [ $# -eq 1 ] || die "--cc takes one TRIPLE only"
case $ROOT in /*) ;; *) ROOT=$(pwd)/$ROOT ;; esac

# Everything the build needs, checked before anything is fetched.
for triple in "$@"; do
	case $triple in
	*-*-*) ;;
	*) die "$triple: not a GNU triple (e.g. aarch64-linux-gnu)" ;;
	esac
	cc=${CC_GIVEN:-$triple-gcc}
	command -v "${cc%% *}" >/dev/null 2>&1 ||
	    die "$triple: ${cc%% *} not found (Debian: apt-get install gcc-$triple)"
	[ -f "/usr/$triple/include/stdio.h" ] ||
	    die "$triple: no C library in /usr/$triple (Debian: libc6-dev-<arch>-cross)"
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' HUP INT TERM

# The source: Debian 12's liburing, verified by apt.
if [ -z "$SOURCE" ]; then
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found (or give --source)"
	command -v dpkg-source >/dev/null 2>&1 ||
	    die "dpkg-source not found (Debian: apt-get install dpkg-dev; or give --source)"
	mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" \
	    "$WORK/apt/parts" "$WORK/apt/prefs" "$WORK/src"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" \
	    >"$WORK/apt/sources.list"
	# Private sources, lists and caches; as root apt would drop to the
	# _apt user for downloads, which cannot write into a private mktemp
	# directory.  (Word-split below: a TMPDIR with spaces is not supported.)
	apt_opts="-o Dir::Etc::SourceList=$WORK/apt/sources.list
	    -o Dir::Etc::SourceParts=$WORK/apt/parts
	    -o Dir::Etc::PreferencesParts=$WORK/apt/prefs
	    -o Dir::State::Lists=$WORK/apt/lists -o Dir::Cache=$WORK/apt/cache"
	[ "$(id -u)" != 0 ] || apt_opts="$apt_opts -o APT::Sandbox::User=root"
	echo "fetching liburing's source from $MIRROR $SUITE"
	# shellcheck disable=SC2086
	apt-get -q $apt_opts update >"$WORK/apt.log" 2>&1 ||
	    { cat "$WORK/apt.log" >&2; die "apt-get update (of $SUITE's sources) failed"; }
	# shellcheck disable=SC2086
	(cd "$WORK/src" && apt-get -q $apt_opts source liburing) >"$WORK/apt.log" 2>&1 ||
	    { cat "$WORK/apt.log" >&2; die "apt-get source liburing failed"; }
	SOURCE=$(echo "$WORK"/src/liburing-*/)
	[ -f "$SOURCE/configure" ] || die "no liburing source tree in $WORK/src"
fi
SOURCE=$(cd "$SOURCE" && pwd)
if [ ! -f "$SOURCE/src/include/liburing.h" ] || [ ! -f "$SOURCE/configure" ]; then
	die "$SOURCE: not a liburing source tree"
fi
version=$(awk '/^Version:/ { print $2 }' "$SOURCE/liburing.spec" 2>/dev/null || :)
[ -f "$SOURCE/debian/changelog" ] &&
    version=$(sed -n '1s/.*(\(.*\)).*/\1/p' "$SOURCE/debian/changelog")

for triple in "$@"; do
	cc=${CC_GIVEN:-$triple-gcc}
	prefix=$ROOT/$triple
	echo "building liburing ${version:-?} for $triple with $cc into $prefix"
	# A fresh copy per target: configure writes into the tree.
	build=$WORK/build-$triple
	cp -R "$SOURCE" "$build"
	# The target's binutils, else LLVM's (which read every target).
	if command -v "$triple-ar" >/dev/null 2>&1; then
		ar=$triple-ar ranlib=$triple-ranlib
	else
		ar=llvm-ar ranlib=llvm-ranlib
	fi
	# Position independent: the fiber platform's shared object links
	# it too.  No source path in the debug information.  Objects a
	# --source tree may hold (another target's) are removed first.
	(cd "$build" &&
	    make -C src clean &&
	    ./configure --cc="$cc" --prefix="$prefix" &&
	    make -C src ENABLE_SHARED=0 CC="$cc" AR="$ar" RANLIB="$ranlib" \
		CFLAGS="-g -O2 -Wall -Wextra -fno-stack-protector -fPIC -ffile-prefix-map=$build=liburing-${version:-src}" \
		liburing.a) >"$WORK/build.log" 2>&1 ||
	    { cat "$WORK/build.log" >&2; die "$triple: liburing did not build"; }
	mkdir -p "$prefix/include/liburing" "$prefix/lib"
	install -m 644 "$build/src/include/liburing.h" "$prefix/include/"
	install -m 644 "$build"/src/include/liburing/*.h "$prefix/include/liburing/"
	install -m 644 "$build/src/liburing.a" "$prefix/lib/liburing.a"
	echo "installed $prefix/lib/liburing.a and $prefix/include/liburing.h"
done
