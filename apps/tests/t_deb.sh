#! /usr/bin/env atf-sh
#
# t_deb: the Debian packages of `make deb` install into a clean Debian
# root, an outside program builds against them with pkg-config alone and
# runs, they remove cleanly, and lintian finds nothing in them beyond the
# overrides they carry with their reasons.
#
# The clean root is a copy-on-write view (overlayfs) of a Debian root
# without strata: by default the host's own root file system (which CI's
# .ci/run gives build-essential, pkgconf and liburing-dev, what the
# packages' Depends name); or, when O/deb-chroot/bookworm-minbase.tar
# exists, a minimal Debian made by debootstrap:
#
#   debootstrap --variant=minbase --include=build-essential,pkgconf,liburing-dev \
#       bookworm root http://deb.debian.org/debian &&
#   tar -C root -cf build/deb-chroot/bookworm-minbase.tar .
#
# (that takes about 10 minutes here, too long for every CI run).  Every
# change made inside lands in the overlay's upper directory, so after the
# packages are removed that directory shows exactly what they left behind.
# Everything runs in a private mount namespace (unshare -m): the mounts go
# away with the test, whatever happens.  Root only; skipped otherwise.

atf_test_case install_build_remove
install_build_remove_head()
{
	atf_set "descr" "make deb's packages depend on each other by layer, install in a clean root (an overlay of a root without strata: the host's, or a debootstrap minbase one when cached), build an outside program, remove cleanly, lintian clean"
	atf_set "require.progs" "make dpkg-deb unshare chroot tar"
	atf_set "timeout" "1800"
}

# Runs a command in the clean root: overlay of $lower with upper/, /dev
# and /proc, in a private mount namespace.
in_root()
{
	unshare -m --propagation private sh -c '
		lower=$1 work=$2; shift 2
		mount -t overlay overlay \
		    -o "lowerdir=$lower,upperdir=$work/upper,workdir=$work/ovwork" \
		    "$work/merged" &&
		mount --rbind /dev "$work/merged/dev" &&
		mount -t proc proc "$work/merged/proc" &&
		exec chroot "$work/merged" "$@"' \
	    sh "$lower" "$work" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	    TMPDIR=/var/tmp/strata-t_deb "$@"
}

install_build_remove_body()
{
	[ "$(id -u)" = 0 ] || atf_skip "needs root (chroot, mounts); CI runs it"
	[ -z "$(atf_config_get cross_compile "")" ] ||
	    atf_skip "cross build: the packages cannot run here"
	topdir=$(atf_config_get topdir)
	builddir=$(atf_config_get builddir)
	work=$(pwd)

	# --- the packages
	unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
	set -- O="$builddir"
	for v in CC:cc AR:ar CFLAGS:cflags CPPFLAGS:cppflags LDFLAGS:ldflags WERROR:werror; do
		val=$(atf_config_get "${v#*:}" "")
		[ -z "$val" ] || set -- "$@" "${v%%:*}=$val"
	done
	make=$(atf_config_get make make)
	if ! $make -C "$topdir" "$@" deb >deb.log 2>&1; then
		cat deb.log
		atf_fail "make deb failed"
	fi
	ls "$builddir"/deb/*.deb >debs || atf_fail "make deb made no package"
	cat debs

	# --- dependencies follow the layers: every package needs the
	# kernel headers' package (but that one itself); a kernel package
	# needs no platform, application stack or tool; the tools need every
	# kernel and platform package.
	: >deps
	while read -r deb; do
		echo "$(dpkg-deb -f "$deb" Package): $(dpkg-deb -f "$deb" Depends)" >>deps
	done <debs
	cat deps
	pkgs_all=$(sed 's/:.*//' deps)
	while IFS= read -r line; do
		pkg=${line%%:*} dep=" ${line#*:},"
		case $pkg in
		libstrata-kernel-dev) ;;
		*) case $dep in *" libstrata-kernel-dev (= "*) ;;
		   *) atf_fail "$pkg does not depend on libstrata-kernel-dev" ;; esac ;;
		esac
		case $pkg in
		libstrata-kernel-*)
			case $dep in *" libstrata-rumpuser-"*|*" libstrata-appstack"*|*" strata-tools"*)
				atf_fail "kernel package $pkg depends on a higher layer: $dep" ;;
			esac ;;
		strata-tools)
			for need in $pkgs_all; do
				case $need in
				libstrata-kernel-*|libstrata-rumpuser-*)
					case $dep in *" $need (= "*) ;;
					*) atf_fail "strata-tools does not depend on $need" ;; esac ;;
				esac
			done ;;
		esac
	done <deps

	# --- the clean root
	cache=$builddir/deb-chroot/bookworm-minbase.tar
	if [ -f "$cache" ]; then
		mkdir lower && tar -C lower -xf "$cache" || atf_fail "unpacking $cache failed"
		lower=$work/lower
	else
		lower=/
	fi
	mkdir upper ovwork merged
	in_root sh -c '! pkg-config --exists rump && ! ls /usr/lib/librump* 2>/dev/null' ||
	    atf_skip "the root ($lower) already has strata installed: not clean"
	in_root mkdir -p /var/tmp/strata-t_deb/debs || atf_fail "cannot use the overlay root"

	# --- install
	t=/var/tmp/strata-t_deb
	cp $(cat debs) upper$t/debs/
	in_root sh -c "dpkg -i $t/debs/*.deb" >install.log 2>&1 || {
		cat install.log; atf_fail "dpkg -i of the packages failed"; }
	in_root dpkg-query -W -f '${Package} ${Status}\n' 'libstrata-*' 'strata-*' >status
	cat status
	[ "$(grep -c ' install ok installed$' status)" = "$(wc -l <debs)" ] ||
	    atf_fail "not every package is installed"

	# --- an outside program, built with pkg-config alone
	cat >upper$t/outside.c <<'EOF'
#include <sys/types.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>

int
main(void)
{
	char buf[16];
	int fd;

	if (rump_init() != 0)
		return 1;
	fd = rump_sys_open("/hello", O_CREAT | O_RDWR, 0644);
	if (fd == -1 || rump_sys_write(fd, "packaged", 8) != 8 ||
	    rump_sys_pread64(fd, buf, sizeof(buf), 0) != 8 ||
	    memcmp(buf, "packaged", 8) != 0)
		return 2;
	printf("outside program: ok\n");
	return 0;
}
EOF
	for p in $(sed -n 's|.*/libstrata-rumpuser-\(.*\)-dev_.*|\1|p' debs); do
		# kvm makes bootable images, not host programs: strata-bake
		# below.
		[ "$p" != kvm ] || continue
		in_root sh -c "cc -o $t/outside-$p $t/outside.c \$(pkg-config --cflags --libs rumpfs_tmpfs rumpuser-$p) && $t/outside-$p" \
		    >run-$p.log 2>&1 || { cat run-$p.log; atf_fail "outside program on $p failed"; }
		grep -q 'outside program: ok' run-$p.log || atf_fail "no output on $p"
	done
	in_root strata-demo -q >demo.log 2>&1 || { cat demo.log; atf_fail "installed strata-demo failed"; }
	# The same program baked into a kvm image by the packaged
	# strata-bake, from the packaged kernel and kvm platform.
	if grep -q libstrata-rumpuser-kvm-dev debs; then
		in_root strata-bake -c tmpfs $t/outside.c $t/outside.img >bake.log 2>&1 &&
		    [ -s upper$t/outside.img ] || { cat bake.log; atf_fail "strata-bake from the packages failed"; }
	fi
	[ -f upper/usr/share/man/man3/rump.3.gz ] || atf_fail "rump(3) not installed"

	# --- remove: nothing of the packages is left
	rm -rf "upper$t"
	pkgs=$(sed 's|.*/||; s|_.*||' debs)
	in_root dpkg -P $pkgs >remove.log 2>&1 || { cat remove.log; atf_fail "dpkg -P failed"; }
	# What is left in the upper directory is what the packages left in
	# the root, besides dpkg's own bookkeeping and logs and the
	# directories the test itself made.
	# (Directories of the lower root are copied up when written to, so a
	# directory counts only when the lower root does not have it.)
	(cd upper && find . ! -type d && find . -type d | while read -r d; do
		[ -d "$lower/$d" ] || echo "$d"; done) |
	    grep -v -e '^\./var/lib/dpkg/' -e '^\./var/log/' -e '^\./var/cache/' \
	    -e '^\./etc/ld\.so\.cache$' |
	    sort >leftover || true
	if [ -s leftover ]; then
		cat leftover
		atf_fail "the removed packages left files behind"
	fi
	echo "$(wc -l <debs) packages installed, used and removed cleanly"

	# --- lintian: no error or warning, besides the overrides that the
	# packages carry with their reasons (mk/deb.sh, overrides).  Last, so
	# that without lintian everything above has still been checked.
	command -v lintian >/dev/null 2>&1 ||
	    atf_skip "lintian is not installed (apt-get install lintian); everything else passed"
	if ! lintian --fail-on error,warning --tag-display-limit 0 \
	    $(cat debs) >lintian.log 2>&1; then
		cat lintian.log
		atf_fail "lintian found errors or warnings in the packages"
	fi
	cat lintian.log
}

atf_init_test_cases()
{
	atf_add_test_case install_build_remove
}
