#!/bin/sh
# bench/bench_kvm_httpd.sh: strata-httpd as a kvm unikernel against the
# same program on the posix platform (make bench runs it when the kvm
# platform is installed and the machine allows network namespaces).
#
#   sh bench/bench_kvm_httpd.sh BINDIR HTTPD-SOURCE CLIENT [REPEAT]
#
# Both servers serve the same ext2 image (--image: the kernel's ext2 and
# VFS in both) on a TAP device in a network namespace made here and
# deleted on exit: posix is bin/strata-httpd, the unikernel is
# HTTPD-SOURCE (apps/httpd/strata_httpd.c) baked with strata-bake -c
# net,ext2fs and booted with strata-boot -n tap:.  CLIENT
# (bench_httpd_client, Linux sockets in the namespace) makes requests one
# at a time; figures are requests per second, medians of REPEAT runs
# (default 3):
#   1k keep-alive    a 1 KiB file, one persistent connection
#   1k new conn      a 1 KiB file, a connection per request
#   64k keep-alive   a 64 KiB file, one persistent connection
# Needs root, /dev/net/tun, ip (iproute2), mke2fs and qemu-system-x86_64;
# says what is missing otherwise.  Under TCG (no /dev/kvm) the unikernel's
# figures measure the emulator; the title says which.
set -eu

case ${1:-} in
-h|--help)
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0 ;;
esac
usage="usage: bench_kvm_httpd.sh BINDIR HTTPD-SOURCE CLIENT [REPEAT]"
bindir=${1:?$usage}
src=${2:?$usage}
client=${3:?$usage}
repeat=${4:-3}
NKEEP=${BENCH_HTTPD_N:-1000}
NNEW=$((NKEEP / 5))
NBIG=$((NKEEP / 5))

for need in "$bindir/strata-bake" "$bindir/strata-boot" "$bindir/strata-httpd" "$client"; do
	[ -x "$need" ] || { echo "(no $need: strata-httpd as a unikernel not measured)"; exit 0; }
done
[ -f "$bindir/../lib/librumpuser-kvm.a" ] ||
	{ echo "(no kvm platform installed: strata-httpd as a unikernel not measured)"; exit 0; }
for t in qemu-system-x86_64 ip mke2fs; do
	command -v $t >/dev/null 2>&1 ||
	    { echo "(no $t: strata-httpd as a unikernel not measured)"; exit 0; }
done
[ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] ||
	{ echo "(not root or no /dev/net/tun: strata-httpd as a unikernel not measured)"; exit 0; }

work=$(mktemp -d /tmp/strata-bench-httpd.XXXXXX)
ns=strata-bench-httpd-$$
server=
cleanup()
{
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	ip netns del $ns 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir "$work/www"
head -c 1024 /dev/urandom >"$work/www/1k.bin"
head -c 65536 /dev/urandom >"$work/www/64k.bin"
mke2fs -q -t ext2 -d "$work/www" "$work/www.img" 8m >/dev/null 2>&1
"$bindir/strata-bake" -c net,ext2fs "$src" "$work/httpd.img"
ip netns add $ns
ip -n $ns link set lo up
ip netns exec $ns ip tuntap add dev tapb0 mode tap
ip -n $ns addr add 10.96.0.1/24 dev tapb0
ip -n $ns link set tapb0 up

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run KIND: starts the server of KIND (posix or kvm), runs the three
# loads once, leaves "1k-keep 1k-new 64k-keep" in $work/KIND.N.
run()
{
	total=$((NKEEP + NNEW + NBIG))
	args="--addr 10.96.0.2/24 --requests $total"
	rm -f "$work/out"
	if [ "$1" = posix ]; then
		ip netns exec $ns "$bindir/strata-httpd" --if tap:tapb0 $args \
		    --image "$work/www.img" / >"$work/out" 2>&1 &
	else
		# In the guest the disk is named by its file's name.
		ip netns exec $ns "$bindir/strata-boot" --timeout 600 \
		    -n tap:tapb0 -d "$work/www.img" "$work/httpd.img" -- \
		    --if virtif:virtio0 $args --image www.img / \
		    >"$work/out" 2>&1 &
	fi
	server=$!
	i=0
	until grep -q '^serving ' "$work/out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 $server 2>/dev/null; then
			echo "strata-httpd ($1) did not start: $(cat "$work/out")" >&2
			exit 1
		fi
		sleep 0.1
	done
	c="ip netns exec $ns $client"
	a=$($c 10.96.0.2 80 /1k.bin $NKEEP | awk '$1 == "RESULT" { print $3 }')
	b=$($c --new 10.96.0.2 80 /1k.bin $NNEW | awk '$1 == "RESULT" { print $3 }')
	d=$($c 10.96.0.2 80 /64k.bin $NBIG | awk '$1 == "RESULT" { print $3 }')
	wait $server || { echo "strata-httpd ($1) failed: $(cat "$work/out")" >&2; exit 1; }
	server=
	echo "$a $b $d"
}

for i in $(seq "$repeat"); do
	run posix >>"$work/posix"
	run kvm >>"$work/kvm"
done

accel=$("$bindir/strata-boot" --print-accel)
case $accel in kvm:*) how="QEMU with KVM" ;;
*) how="QEMU TCG emulation (${accel#tcg: }): unikernel figures measure the emulator" ;; esac
echo "strata-httpd over TAP, requests/s ($how):"
printf '%-16s %12s %12s %12s\n' load posix unikernel kvm/posix
col=1
for load in "1k keep-alive" "1k new conn" "64k keep-alive"; do
	p=$(awk -v c=$col '{ print $c }' "$work/posix" | median)
	k=$(awk -v c=$col '{ print $c }' "$work/kvm" | median)
	awk -v l="$load" -v p="$p" -v k="$k" 'BEGIN {
	    printf "%-16s %12.0f %12.0f %12.2f\n", l, p, k, (p > 0 ? k / p : 0) }'
	col=$((col + 1))
done
