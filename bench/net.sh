#!/bin/sh
# bench/net.sh: network benchmarks (bench_net.c) on each platform, against
# Linux-to-Linux over a veth pair, in one table with ratios.
#
#   sh bench/net.sh BENCHDIR "posix fiber"
#
# Rows: TCP bulk throughput (MB/s, 10^6 bytes), 1-byte TCP
# request/response and 1-byte UDP round trip (microseconds):
#   shmif     two strata kernels in two processes on a shared-memory bus
#             (shmif-9000: with RUMP_SHMIF_MTU=9000, jumbo frames)
#   tap-tx    strata sends to Linux over a TAP device
#   tap-rx    Linux sends to strata over a TAP device
#             (-9000: the TAP device, and so the kernel, at MTU 9000)
#   veth      Linux to Linux over a veth pair between two namespaces (the
#             peer; with iperf3 also iperf3's own bulk figure)
# The TAP and veth rows need root and /dev/net/tun and run in network
# namespaces made here and deleted on exit; without them they are left
# out with the reason.  BENCH_NET_MB sets the bulk size (default 64).
#
# Every measurement runs BENCH_NET_REPEAT times (default 5) in fresh
# processes, in rounds of one run of every row, and the table shows the
# median.  The machine may be shared:
# the "load" column is the median of the 1-minute load average read
# before each run of that row (on a 2-core machine a load of 2 or more
# means the two kernels did not have a core each).
set -eu

case ${1:-} in
-h|--help)
	echo "usage: sh bench/net.sh BENCHDIR PLATFORMS"
	echo "Runs BENCHDIR/<platform>/bench_net over shmif and TAP and a Linux"
	echo "veth peer, BENCH_NET_REPEAT times each (default 5), and prints the"
	echo "median figures, their ratios to the peer and the load average."
	exit 0 ;;
esac

dir=${1:?usage: net.sh BENCHDIR PLATFORMS}
# Absolute: the shmif rows run in a directory of their own (the bus file).
dir=$(cd "$dir" && pwd)
platforms=${2:?usage: net.sh BENCHDIR PLATFORMS}
repeat=${BENCH_NET_REPEAT:-5}
case $repeat in
''|*[!0-9]*|0) echo "net.sh: BENCH_NET_REPEAT must be a positive number" >&2
	exit 2 ;;
esac
work=$(mktemp -d)
ns1=strata-bench-a-$$
ns2=strata-bench-b-$$
nst=strata-bench-t-$$
cleanup() {
	for n in $ns1 $ns2 $nst; do
		ip netns del "$n" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# results: lines "column|key|value|unit|load", one per run
raw=$work/raw
: >"$raw"
run() {	# COLUMN ROWPREFIX COMMAND...: one run
	col=$1 row=$2
	shift 2
	load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo -)
	if ! "$@" >"$work/out" 2>&1; then
		echo "net.sh: $col $row failed:" >&2
		cat "$work/out" >&2
		return 0
	fi
	awk -v c="$col" -v r="$row" -v l="$load" '$1 == "RESULT" {
		print c "|" r " " $2 "|" $3 "|" $4 "|" l }' \
	    "$work/out" >>"$raw"
}

why=
if [ "$(id -u)" != 0 ]; then
	why="not root"
elif [ ! -c /dev/net/tun ]; then
	why="no /dev/net/tun"
elif ! command -v ip >/dev/null 2>&1; then
	why="no ip (iproute2)"
fi
if [ -z "$why" ]; then
	# TAP: strata and Linux in one namespace.
	ip netns add "$nst"
	ip -n "$nst" link set lo up
	ip -n "$nst" tuntap add mode tap name tap0
	ip -n "$nst" addr add 10.97.0.1/24 dev tap0
	ip -n "$nst" link set tap0 up
	# veth: Linux in two namespaces, the same program with host sockets.
	ip netns add "$ns1"
	ip netns add "$ns2"
	ip link add vb0 netns "$ns1" type veth peer name vb1 netns "$ns2"
	ip -n "$ns1" addr add 10.96.0.1/24 dev vb0
	ip -n "$ns2" addr add 10.96.0.2/24 dev vb1
	for n in $ns1 $ns2; do
		ip -n "$n" link set lo up
	done
	ip -n "$ns1" link set vb0 up
	ip -n "$ns2" link set vb1 up
	p1=$(echo $platforms | awk '{print $1}')
	# One server per client run: a wrapper starts both.
	cat >"$work/veth.sh" <<-EOF
	ip netns exec "$ns1" "$dir/$p1/bench_net" host-server 10.96.0.1 &
	spid=\$!
	ip netns exec "$ns2" "$dir/$p1/bench_net" host-client 10.96.0.1
	rc=\$?
	wait \$spid
	exit \$rc
	EOF
else
	echo "net.sh: TAP and veth rows left out: $why"
fi

# In rounds: each round runs every row once, so that the runs behind a
# figure and those behind its veth peer are spread over the same minutes
# of a shared machine's changing load (veth's bulk figure alone went
# from 1,227 to 2,245 MB/s between two runs of the table three minutes
# apart at load 13-14).
round=0
while [ $round -lt "$repeat" ]; do
	round=$((round + 1))
	for p in $platforms; do
		(cd "$work" && run "$p" shmif "$dir/$p/bench_net" shmif)
		(cd "$work" && run "$p" shmif-9000 env RUMP_SHMIF_MTU=9000 \
		    "$dir/$p/bench_net" shmif)
	done
	[ -z "$why" ] || continue
	for mtu in 1500 9000; do
		# The kernel's interface takes the TAP device's MTU.
		ip -n "$nst" link set tap0 mtu $mtu
		sfx=; [ $mtu = 1500 ] || sfx=-$mtu
		for p in $platforms; do
			for m in tap-tx tap-rx; do
				run "$p" $m$sfx ip netns exec "$nst" \
				    "$dir/$p/bench_net" $m tap0 10.97.0.2 \
				    10.97.0.1
			done
		done
	done
	run linux veth sh "$work/veth.sh"
done
if [ -z "$why" ] && command -v iperf3 >/dev/null 2>&1; then
	ip netns exec "$ns1" iperf3 -s -1 -B 10.96.0.1 >/dev/null 2>&1 &
	spid=$!
	sleep 0.3
	ip netns exec "$ns2" iperf3 -c 10.96.0.1 -t 3 -f m 2>/dev/null |
	    awk -v l="$(cut -d' ' -f1 /proc/loadavg)" '/receiver/ {
		for (i = 1; i <= NF; i++) if ($i == "Mbits/sec")
		printf "linux|veth iperf3-bulk|%.1f|MB/s|%s\n", $(i-1) / 8, l }' \
	    >>"$raw" || true
	wait $spid || true
fi

# The table: one column per platform, the Linux peer, and each platform's
# ratio to the peer's same figure (veth; for a rate above 1.0 is faster,
# for a time below 1.0 is faster), all medians of the runs, and the
# median load average of the row's runs.
awk -F'|' -v plats="$platforms" '
function median(list,    a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++)	# insertion sort: a handful
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	if (n % 2) return a[(n + 1) / 2]
	return sprintf("%.1f", (a[n / 2] + a[n / 2 + 1]) / 2)
}
{
	split($2, w, " "); row = $2
	vals[$1 "|" row] = vals[$1 "|" row] " " $3; unit[row] = $4
	loads[row] = loads[row] " " $5
	if (!(row in seen)) { seen[row] = 1; order[n++] = row }
}
END {
	for (k in vals) val[k] = median(vals[k])
	for (k in vals) {
		split(k, c, "|"); split(c[2], w, " ")
		if (c[1] == "linux") peer[w[2]] = val[k]
	}
	np = split(plats, P, " ")
	printf "%-24s %-5s", "network", "unit"
	for (i = 1; i <= np; i++) printf " %10s", P[i]
	printf " %10s", "linux-veth"
	for (i = 1; i <= np; i++) printf " %12s", P[i] "/veth"
	printf " %6s\n", "load"
	for (k = 0; k < n; k++) {
		row = order[k]
		if (row ~ /^veth/) continue
		split(row, w, " ")
		printf "%-24s %-5s", row, unit[row]
		for (i = 1; i <= np; i++) {
			v = val[P[i] "|" row]
			printf " %10s", v == "" ? "-" : v
		}
		pv = peer[w[2]]
		printf " %10s", pv == "" ? "-" : pv
		for (i = 1; i <= np; i++) {
			v = val[P[i] "|" row]
			if (v == "" || pv == "" || pv == 0) printf " %12s", "-"
			else printf " %12.3f", v / pv
		}
		printf " %6s\n", median(loads[row])
	}
	for (k = 0; k < n; k++) {
		row = order[k]
		if (row !~ /^veth/) continue
		printf "%-24s %-5s %10s %6s\n", row, unit[row],
		    val["linux|" row], median(loads[row])
	}
}' "$raw"
