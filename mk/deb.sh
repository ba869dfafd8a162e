#!/bin/sh
# deb.sh OUTDIR VERSION DEBARCH CC ROOT
#
# Makes Debian binary packages (dpkg-deb) of the layers installed under
# ROOT, one directory per layer, each laid out as installed with
# PREFIX=/usr (the top-level `make deb` fills them with `make install
# DESTDIR=ROOT/<layer>`):
#
#   ROOT/kernel        libstrata-kernel-dev        headers, the base (librump),
#                                                  man pages
#                      libstrata-kernel-<F>-dev    one per faction F (vfs, fs,
#                                                  net, ...): librump<F>*.a/.so
#                                                  and their .pc files
#   ROOT/platform-<p>  libstrata-rumpuser-<p>-dev  the platform <p>
#   ROOT/appstack      libstrata-appstack-dev      layer 2 (librumpclient ...)
#   ROOT/apps          strata-tools                the programs
#
# Packages are found from the files, never listed here: a new kernel
# component lands in its faction's package, a new faction gets a package
# of its own, a new platform or program is picked up as it is installed.
# Depends follow the layers: a kernel package needs the packages of the
# .pc files its .pc files require (and the base); a platform and the
# application stack need the kernel headers; the tools need every kernel
# and platform package (strata-server loads the kernel's shared objects)
# plus what dpkg-shlibdeps finds.  Host libraries that a .pc file's Libs
# name (-luring, -lpthread) become dependencies on the Debian package that
# holds the file the compiler would link (found with dpkg -S).
#
# The packages are reproducible: files are owned by root, dpkg-deb takes
# its dates from SOURCE_DATE_EPOCH, and file order is dpkg-deb's (sorted).
# STRIP (default strip) is the target's strip.
set -eu

if [ $# -ne 5 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	echo "usage: deb.sh OUTDIR VERSION DEBARCH CC ROOT" >&2
	echo "  (run by 'make deb'; see the comment at the top of mk/deb.sh)" >&2
	exit 2
fi
out=$1 version=$2 arch=$3 cc=$4 root=$5
strip=${STRIP:-strip}
platforms=$(for pr in "$root"/platform-*; do [ -d "$pr" ] && echo "${pr##*/platform-}"; done)
for tool in dpkg-deb dpkg-shlibdeps; do
	command -v $tool >/dev/null 2>&1 || {
		echo "deb.sh: $tool not found (Debian package dpkg-dev)" >&2; exit 1; }
done
[ -d "$root/kernel/usr" ] || { echo "deb.sh: no kernel installed in $root/kernel/usr" >&2; exit 1; }

MAINT="strata maintainers <maintainers@strata.invalid>"
trees=$out/trees
rm -rf "$trees" "$out"/*.deb
mkdir -p "$trees"

# --- helpers -------------------------------------------------------------

# kernel_group NAME: the faction of kernel .pc NAME (base for rump);
# kernel_pkg GROUP: its package.
kernel_group() {
	case $1 in
	rump) echo base ;;
	rump*) n=${1#rump}; echo "${n%%_*}" ;;
	esac
}
kernel_pkg() {
	if [ "$1" = base ]; then echo libstrata-kernel-dev
	else echo "libstrata-kernel-$(echo "$1" | tr '_' '-')-dev"; fi
}

# add_file LAYERROOT RELPATH PACKAGE: puts usr/RELPATH into PACKAGE's tree.
add_file() {
	mkdir -p "$trees/$3/usr/$(dirname "$2")"
	cp -p "$1/usr/$2" "$trees/$3/usr/$2"
}

# host_deps PCFILE: Debian packages of the host libraries its Libs name.
host_deps() {
	for flag in $(sed -n 's/^Libs: //p' "$1"); do
		case $flag in -l:*) continue ;; -l*) ;; *) continue ;; esac
		lib=${flag#-l}
		for f in "lib$lib.so" "lib$lib.a"; do
			path=$($cc -print-file-name="$f")
			[ "$path" != "$f" ] || continue
			# dpkg knows the path without "..", symlinks kept.
			path=$(realpath -s "$path")
			pkg=$(dpkg -S "$path" 2>/dev/null | sed -n '1s/:.*//p')
			[ -n "$pkg" ] && { echo "$pkg"; break; }
		done
	done | sort -u
}

# control PACKAGE SECTION DEPENDS DESCRIPTION...: writes DEBIAN/control.
control() {
	pkg=$1 section=$2 depends=$3; shift 3
	mkdir -p "$trees/$pkg/DEBIAN"
	{
		echo "Package: $pkg"
		echo "Version: $version"
		echo "Architecture: $arch"
		echo "Maintainer: $MAINT"
		[ -z "$depends" ] || echo "Depends: $depends"
		echo "Section: $section"
		echo "Priority: optional"
		echo "Homepage: https://strata.invalid/"
		echo "Description: $1"
		shift
		echo "$*" | fold -s -w 72 | sed 's/ *$//; s/^/ /'
	} >"$trees/$pkg/DEBIAN/control"
}

# shlibs PACKAGE: the host's shared libraries its programs and shared
# objects need (dpkg-shlibdeps), e.g. "libc6 (>= 2.34), liburing2 (>= 2.3)".
# The kernel's own shared objects (librump*.so) need none of the host's.
shlibs() {
	elfs=$(find "$trees/$1/usr" -type f \( -path '*/bin/*' -o -name '*.so' \) | sort)
	[ -n "$elfs" ] || return 0
	# dpkg-shlibdeps wants to run in a source package's directory.
	mkdir -p "$out/shlibdeps/debian"
	printf 'Source: strata\n\nPackage: %s\nArchitecture: any\n' "$1" \
	    >"$out/shlibdeps/debian/control"
	(cd "$out/shlibdeps" &&
	    dpkg-shlibdeps -O -l"$root/kernel/usr/lib" \
	        $(for p in $platforms; do echo "-l$root/platform-$p/usr/lib"; done) \
	        $elfs 2>>"$out/shlibdeps.log" | sed -n 's/^shlibs:Depends=//p')
}

# finish PACKAGE: what Debian policy wants in every package: stripped
# programs and shared objects (the dynamic symbol table, which the kernel's
# shared objects are read by, stays), compressed manual pages, a page for
# each strata-<app>-<platform> (a link to strata-<app>'s), the copyright
# file and changelog, the ldconfig trigger for shared libraries.
finish() {
	t=$trees/$1
	find "$t/usr" -type f \( -path '*/bin/*' -o -name '*.so' \) | sort | while read -r f; do
		$strip --strip-unneeded --remove-section=.comment "$f"
	done
	if [ -d "$t/usr/share/man" ]; then
		find "$t/usr/share/man" -type f ! -name '*.gz' -exec gzip -9n {} +
	fi
	if [ -d "$t/usr/bin" ]; then
		for b in "$t"/usr/bin/*; do
			name=${b##*/}
			[ -e "$t/usr/share/man/man1/$name.1.gz" ] && continue
			for p in $platforms; do
				base=${name%-"$p"}
				if [ "$base" != "$name" ] && [ -e "$t/usr/share/man/man1/$base.1.gz" ]; then
					ln -s "$base.1.gz" "$t/usr/share/man/man1/$name.1.gz"
					break
				fi
			done
		done
	fi
	doc=$t/usr/share/doc/$1
	mkdir -p "$doc"
	{
		echo "strata: a rump kernel toolkit, written from scratch."
		echo
		echo "Copyright 2026 the strata developers."
		echo "The source tree does not name a license yet."
	} >"$doc/copyright"
	{
		echo "strata ($version) unstable; urgency=medium"
		echo
		echo "  * Built from the strata source tree (make deb)."
		echo
		echo " -- $MAINT  $(date -u -R -d "@${SOURCE_DATE_EPOCH:-0}")"
	} | gzip -9n >"$doc/changelog.gz"
	if ls "$t"/usr/lib/*.so >/dev/null 2>&1; then
		echo "activate-noawait ldconfig" >"$t/DEBIAN/triggers"
	fi
	overrides "$1"
}

# overrides PACKAGE: lintian's findings that follow from strata's design,
# each with its reason (lintian prints the comment with the override).
overrides() {
	o=$trees/$1/usr/share/lintian/overrides
	{
		if ls "$trees/$1"/usr/lib/*.so >/dev/null 2>&1; then
			echo "# The shared objects are components that strata-server loads"
			echo "# by file name (dl_bootstrap), beside the archives that"
			echo "# programs link: no SONAME, no runtime library package yet."
			echo "$1: shared-library-lacks-version"
			echo "$1: package-name-doesnt-match-sonames"
		fi
		if ls "$trees/$1"/usr/lib/pkgconfig/*.pc >/dev/null 2>&1; then
			echo "# Layers install .pc files to PREFIX/lib/pkgconfig; a multiarch"
			echo "# libdir is not supported yet (README, Debian packages)."
			echo "$1: pkg-config-unavailable-for-cross-compilation"
		fi
		case $1 in
		libstrata-kernel*)
			echo "# The kernel layer is freestanding by design: it never calls"
			echo "# the C library (DESIGN.md, layer 1)."
			echo "$1: library-not-linked-against-libc"
			echo "$1: shared-library-lacks-prerequisites" ;;
		libstrata-appstack-dev)
			echo "# strata-run is a static PIE: it maps the program it runs,"
			echo "# with that program's own C library, into its process."
			echo "$1: shared-library-lacks-prerequisites" ;;
		esac
	} >"$trees/$1.overrides"
	if [ -s "$trees/$1.overrides" ]; then
		mkdir -p "$o"
		mv "$trees/$1.overrides" "$o/$1"
	else
		rm -f "$trees/$1.overrides"
	fi
}

# join: comma-separated list of stdin's words.
join() { sort -u | sed '/^$/d' | paste -sd, - | sed 's/,/, /g'; }

# --- kernel ----------------------------------------------------------------

k=$root/kernel
groups=
for pc in "$k"/usr/lib/pkgconfig/*.pc; do
	name=$(basename "$pc" .pc)
	g=$(kernel_group "$name")
	pkg=$(kernel_pkg "$g")
	case " $groups " in *" $g "*) ;; *) groups="$groups $g" ;; esac
	for f in "lib/lib$name.a" "lib/lib$name.so" "lib/pkgconfig/$name.pc"; do
		[ -e "$k/usr/$f" ] && add_file "$k" "$f" "$pkg"
	done
	echo "$name" >>"$trees/$pkg.pcs"
done
# Everything else (headers, manual pages) goes with the base.
(cd "$k/usr" && find . -type f ! -path './lib/*' | sed 's|^\./||' | sort) |
while read -r f; do add_file "$k" "$f" libstrata-kernel-dev; done

kernel_pkgs=
for g in $groups; do
	pkg=$(kernel_pkg "$g")
	kernel_pkgs="$kernel_pkgs $pkg"
	deps=$(for name in $(cat "$trees/$pkg.pcs"); do
		[ "$g" = base ] || kernel_pkg base
		for r in $(sed -n 's/^Requires: //p' "$k/usr/lib/pkgconfig/$name.pc" | tr ',' ' '); do
			kernel_pkg "$(kernel_group "$r")"
		done
	done | grep -vx "$pkg" | sed "s/\$/ (= $version)/" | join)
	libs=$(sed 's/^/lib/' "$trees/$pkg.pcs" | paste -sd' ' -)
	if [ "$g" = base ]; then
		control "$pkg" libdevel "$deps" \
		    "strata rump kernel: headers and base (librump)" \
		    "The kernel layer of strata, a rump kernel toolkit: the public" \
		    "headers (rump.h, rump_syscalls.h, rumpuser.h, ...), the base" \
		    "component ($libs, static and shared) with its pkg-config file," \
		    "and the manual pages rump(3), rump_syscall(3), rumpuser(3)." \
		    "A program also links a platform (libstrata-rumpuser-*-dev)."
	else
		control "$pkg" libdevel "$deps" \
		    "strata rump kernel: the $g components" \
		    "Kernel components of strata's $g faction, static and shared," \
		    "with their pkg-config files: $libs."
	fi
	rm -f "$trees/$pkg.pcs"
done

# --- platforms ---------------------------------------------------------------

platform_pkgs=
for pr in "$root"/platform-*; do
	[ -d "$pr/usr" ] || continue
	p=${pr##*/platform-}
	pkg=libstrata-rumpuser-$p-dev
	platform_pkgs="$platform_pkgs $pkg"
	(cd "$pr/usr" && find . -type f | sed 's|^\./||' | sort) |
	while read -r f; do add_file "$pr" "$f" "$pkg"; done
	deps=$( { echo "libstrata-kernel-dev (= $version)"
		for pc in "$pr"/usr/lib/pkgconfig/*.pc; do host_deps "$pc"; done; } | join)
	control "$pkg" libdevel "$deps" \
	    "strata rump kernel: the $p platform" \
	    "The rumpuser(3) v17 hypercalls for the $p platform" \
	    "(librumpuser-$p, static and shared), its pkg-config file and its" \
	    "manual page rumpuser-$p(7).  Link one platform with the kernel."
done

# --- application stack -------------------------------------------------------

appstack_pkgs=
if [ -d "$root/appstack/usr" ]; then
	pkg=libstrata-appstack-dev
	appstack_pkgs=$pkg
	(cd "$root/appstack/usr" && find . -type f | sed 's|^\./||' | sort) |
	while read -r f; do add_file "$root/appstack" "$f" "$pkg"; done
	deps=$( { echo "libstrata-kernel-dev (= $version)"
		for pc in "$root"/appstack/usr/lib/pkgconfig/*.pc; do host_deps "$pc"; done; } | join)
	names=$(cd "$root/appstack/usr/lib/pkgconfig" && ls | sed 's/\.pc$//' | paste -sd' ' -)
	control "$pkg" libdevel "$deps" \
	    "strata application stack (layer 2)" \
	    "Libraries between applications and a rump kernel: $names" \
	    "(static and shared, with headers and pkg-config files)."
fi

# --- applications --------------------------------------------------------------

tool_pkgs=
if [ -d "$root/apps/usr" ]; then
	pkg=strata-tools
	tool_pkgs=$pkg
	(cd "$root/apps/usr" && find . -type f | sed 's|^\./||' | sort) |
	while read -r f; do add_file "$root/apps" "$f" "$pkg"; done
	deps=$(for d in $kernel_pkgs $platform_pkgs; do echo "$d (= $version)"; done | join)
	progs=$(cd "$trees/$pkg/usr/bin" && ls | paste -sd' ' -)
	control "$pkg" utils "$deps" \
	    "strata rump kernel programs" \
	    "Programs built on strata's rump kernels: $progs," \
	    "with their manual pages."
fi

# --- build ----------------------------------------------------------------------

for pkg in $kernel_pkgs $platform_pkgs $appstack_pkgs $tool_pkgs; do
	finish "$pkg"
	# Reproducible trees: fixed modes (dpkg-deb keeps them), root owner.
	find "$trees/$pkg" -type d -exec chmod 755 {} +
	find "$trees/$pkg/usr" -type f ! -path '*/bin/*' -exec chmod 644 {} +
	more=$(shlibs "$pkg")
	if [ -n "$more" ]; then
		if grep -q '^Depends:' "$trees/$pkg/DEBIAN/control"; then
			all=$( { sed -n 's/^Depends: //p' "$trees/$pkg/DEBIAN/control"; echo "$more"; } |
			    tr ',' '\n' | sed 's/^ *//' | join)
			sed -i "s/^Depends: .*/Depends: $all/" "$trees/$pkg/DEBIAN/control"
		else
			sed -i "/^Architecture:/a Depends: $more" "$trees/$pkg/DEBIAN/control"
		fi
	fi
	size=$(du -sk "$trees/$pkg/usr" | cut -f1)
	sed -i "/^Maintainer:/a Installed-Size: $size" "$trees/$pkg/DEBIAN/control"
	dpkg-deb --root-owner-group -Zxz --build "$trees/$pkg" \
	    "$out/${pkg}_${version}_$arch.deb" >/dev/null
	echo "  DEB     ${pkg}_${version}_$arch.deb"
done
