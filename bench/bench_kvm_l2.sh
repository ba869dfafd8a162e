#!/bin/sh
# bench/bench_kvm_l2.sh: an unmodified static program as a kvm unikernel
# against the same binary on the host (make bench runs it when the kvm
# platform, strata-bake and strata-boot are installed).
#
#   sh bench/bench_kvm_l2.sh BINDIR GUEST-SOURCE [REPEAT]
#
# GUEST-SOURCE is bench/bench_run_guest.c, an ordinary program, built here
# with Debian's musl-gcc as a static-pie binary, run natively (host) and
# baked with strata-bake into an image booted by strata-boot (guest).
# Figures, each the median of REPEAT runs (default 5), in ns per call:
#   getpid   a system call the platform serves in the guest (the SYSCALL
#            trap, saving the program's registers and SSE state, the
#            dispatch and SYSRET back: a null system call)
#   getuid   a null call the kernel serves (the trap plus rump_syscall)
#   pread4k  a 4 KiB pread of a tmpfs file in the guest's kernel (a
#            /dev/shm file on the host)
#   fork     fork, the child's _exit and waitpid (the guest shares the
#            address space copy-on-write), per child
#   forkexec fork, execve of /proc/self/exe and waitpid, per child
# QEMU uses KVM when /dev/kvm is usable; under TCG emulation (said in the
# table's title) the guest figures measure the emulator, not the design.
set -eu

case ${1:-} in
-h|--help)
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0 ;;
esac
bindir=${1:?usage: bench_kvm_l2.sh BINDIR GUEST-SOURCE [REPEAT]}
src=${2:?usage: bench_kvm_l2.sh BINDIR GUEST-SOURCE [REPEAT]}
repeat=${3:-5}
n=100000

for need in "$bindir/strata-bake" "$bindir/strata-boot"; do
	[ -x "$need" ] || { echo "(no $need: the kvm unikernel not measured)"; exit 0; }
done
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	{ echo "(no qemu-system-x86_64: the kvm unikernel not measured)"; exit 0; }
command -v musl-gcc >/dev/null 2>&1 ||
	{ echo "(no musl-gcc: the kvm unikernel not measured)"; exit 0; }

work=$(mktemp -d /tmp/strata-bench-l2.XXXXXX)
shm=/dev/shm/strata-bench-l2-$$
trap 'rm -rf "$work" "$shm"' EXIT INT TERM
m=/usr/lib/x86_64-linux-musl
musl-gcc -O2 -static-pie -nostartfiles -nostdlib -Wl,--no-dynamic-linker \
    -o "$work/guest" $m/rcrt1.o $m/crti.o "$(gcc -print-file-name=crtbeginS.o)" \
    "$src" $m/libc.a "$(gcc -print-libgcc-file-name)" $m/libc.a \
    "$(gcc -print-file-name=crtendS.o)" $m/crtn.o
"$bindir/strata-bake" "$work/guest" "$work/guest.img"

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
result() { "$@" | awk '$1 == "RESULT" { print $3 }'; }

accel=$("$bindir/strata-boot" --print-accel)
case $accel in kvm:*) how="QEMU with KVM" ;;
*) how="QEMU TCG emulation (${accel#tcg: }): guest figures measure the emulator" ;; esac
echo "kvm unikernel (unmodified static musl program, $how):"
printf '%-10s %12s %12s %12s\n' benchmark "host ns" "guest ns" guest/host
for b in getpid getuid pread4k fork forkexec; do
	case $b in fork|forkexec) n=200 ;; *) n=100000 ;; esac
	h=; g=
	for i in $(seq "$repeat"); do
		case $b in
		pread4k)
			h="$h $(result "$work/guest" pread "$shm" $n)"
			g="$g $(result "$bindir/strata-boot" --timeout 300 \
			    "$work/guest.img" pread /tmp/bench $n)" ;;
		*)
			h="$h $(result "$work/guest" $b $n)"
			g="$g $(result "$bindir/strata-boot" --timeout 300 \
			    "$work/guest.img" $b $n)" ;;
		esac
	done
	h=$(echo $h | tr ' ' '\n' | median)
	g=$(echo $g | tr ' ' '\n' | median)
	awk -v b=$b -v h="$h" -v g="$g" 'BEGIN {
	    printf "%-10s %12.1f %12.1f %12.2f\n", b, h, g, (h > 0 ? g / h : 0) }'
done
