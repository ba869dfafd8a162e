#!/bin/sh
# bench/bench_kvm_boot.sh: booting a strata kvm image against a minimal
# Linux guest in the same QEMU (make bench runs it when strata-bake,
# strata-boot and qemu-system-x86_64 are there).
#
#   sh bench/bench_kvm_boot.sh BINDIR SRCDIR [REPEAT]
#
# strata: bench_kvm_hello.c (rump_init, a file written and read back in
# tmpfs, printed) baked with strata-bake, started with strata-boot.
# Linux: Debian's kernel (/boot/vmlinuz-*, e.g. linux-image-cloud-amd64)
# with an initramfs holding only bench_kvm_linux_init.c built static as
# /init, which prints and powers off; same QEMU, machine, accelerator
# and memory.  Figures, medians of REPEAT runs (default 5):
#   boot to main   guest clock: strata from the image's first instruction
#                  (TSC) to main(); Linux CLOCK_BOOTTIME at /init's main
#   launch to exit host clock: starting QEMU to its exit, the program's
#                  output printed
#   image          the bootable file's size (strata: stripped; Linux:
#                  vmlinuz + initramfs)
#   min memory     the smallest -m (MiB, of 2 4 6 8 12 16 24 32 48 64 96
#                  128) the program runs in
# Under TCG (no /dev/kvm) the figures measure the emulator; the title
# says which.
set -eu

case ${1:-} in
-h|--help)
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0 ;;
esac
bindir=${1:?usage: bench_kvm_boot.sh BINDIR SRCDIR [REPEAT]}
srcdir=${2:?usage: bench_kvm_boot.sh BINDIR SRCDIR [REPEAT]}
repeat=${3:-5}

for need in "$bindir/strata-bake" "$bindir/strata-boot"; do
	[ -x "$need" ] || { echo "(no $need: kvm boot not measured)"; exit 0; }
done
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	{ echo "(no qemu-system-x86_64: kvm boot not measured)"; exit 0; }

work=$(mktemp -d /tmp/strata-bench-boot.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
# The accelerator strata-boot picks, so that the Linux guest gets the same.
accel=$("$bindir/strata-boot" --print-accel)
echo "accelerator: $accel"
case $accel in kvm:*) accel=kvm cpu=host ;; *) accel=tcg cpu=max ;; esac

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
now_ns() { date +%s%N; }

"$bindir/strata-bake" "$srcdir/bench_kvm_hello.c" "$work/hello.img"
strip -o "$work/hello.stripped" "$work/hello.img"
s_image=$(stat -c %s "$work/hello.stripped")

: >"$work/s_main"; : >"$work/s_total"
i=0
while [ $i -lt "$repeat" ]; do
	t0=$(now_ns)
	"$bindir/strata-boot" -m 64M -e KVM_BOOTTIME=1 "$work/hello.stripped" >"$work/out"
	t1=$(now_ns)
	grep -q '^hello$' "$work/out" || { echo "strata guest failed:"; cat "$work/out"; exit 1; }
	sed -n 's/^kvm: boot to main \([0-9]*\) ns.*/\1/p' "$work/out" >>"$work/s_main"
	echo $((t1 - t0)) >>"$work/s_total"
	i=$((i + 1))
done
s_main=$(median <"$work/s_main")
s_total=$(median <"$work/s_total")
s_mem=-
for m in 2 4 6 8 12 16 24 32 48 64 96 128; do
	if "$bindir/strata-boot" --timeout 60 -m ${m}M "$work/hello.stripped" 2>/dev/null |
	    grep -q '^hello$'; then
		s_mem=$m
		break
	fi
done

# The peer, where a Linux kernel and a static C library are installed.
l_main=- l_total=- l_image=- l_mem=-
vmlinuz=$(ls /boot/vmlinuz-* 2>/dev/null | tail -n1 || :)
if [ -n "$vmlinuz" ] && [ -r "$vmlinuz" ] && command -v cpio >/dev/null 2>&1 &&
    cc -O2 -static -o "$work/init" "$srcdir/bench_kvm_linux_init.c" 2>/dev/null; then
	mkdir "$work/root"
	cp "$work/init" "$work/root/init"
	(cd "$work/root" && echo init | cpio -o -H newc --quiet) >"$work/initrd"
	l_image=$(( $(stat -c %s "$vmlinuz") + $(stat -c %s "$work/initrd") ))
	linux() {
		timeout 60 qemu-system-x86_64 -M pc -accel $accel -cpu $cpu -m "$1" -nodefaults \
		    -display none -no-reboot -serial stdio -kernel "$vmlinuz" \
		    -initrd "$work/initrd" -append "console=ttyS0 quiet loglevel=0 panic=-1"
	}
	: >"$work/l_main"; : >"$work/l_total"
	i=0
	while [ $i -lt "$repeat" ]; do
		t0=$(now_ns)
		linux 256M >"$work/lout" 2>&1 || :
		t1=$(now_ns)
		grep -q '^hello' "$work/lout" || { echo "(Linux guest failed: peer not measured)"; l_main=x; break; }
		tr -d '\r' <"$work/lout" | sed -n 's/^linux: boot to main \([0-9]*\) ns.*/\1/p' >>"$work/l_main"
		echo $((t1 - t0)) >>"$work/l_total"
		i=$((i + 1))
	done
	if [ "$l_main" != x ]; then
		l_main=$(median <"$work/l_main")
		l_total=$(median <"$work/l_total")
		for m in 2 4 6 8 12 16 24 32 48 64 96 128; do
			if linux ${m}M 2>/dev/null | grep -q '^hello'; then
				l_mem=$m
				break
			fi
		done
	else
		l_main=-
	fi
else
	echo "(no /boot/vmlinuz-*, cpio or static libc: the Linux peer not measured;" \
	    "Debian: linux-image-cloud-amd64, cpio)"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && a > 0) printf "%.2f", b / a; else print "-" }'; }
us() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9]+$/) printf "%.1f", v / 1000; else print "-" }'; }
echo
echo "kvm boot ($accel): strata image vs minimal Linux guest (medians of $repeat)"
printf '%-22s %14s %14s %12s\n' "" strata "Linux" "Linux/strata"
printf '%-22s %14s %14s %12s\n' "boot to main (us)" "$(us "$s_main")" "$(us "$l_main")" "$(ratio "$s_main" "$l_main")"
printf '%-22s %14s %14s %12s\n' "launch to exit (ms)" "$(awk -v v="$s_total" 'BEGIN{printf "%.1f", v/1e6}')" \
    "$(awk -v v="$l_total" 'BEGIN{ if (v ~ /^[0-9]+$/) printf "%.1f", v/1e6; else print "-" }')" "$(ratio "$s_total" "$l_total")"
printf '%-22s %14s %14s %12s\n' "image (bytes)" "$s_image" "$l_image" "$(ratio "$s_image" "$l_image")"
printf '%-22s %14s %14s %12s\n' "min memory (MiB)" "$s_mem" "$l_mem" "$(ratio "$s_mem" "$l_mem")"
