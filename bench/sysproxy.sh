#!/bin/sh
# bench/sysproxy.sh: remote system calls (sysproxy) against in-process
# calls and the host's own, in one run:
#
#   sh bench/sysproxy.sh BENCHDIR BINDIR [REPEAT]
#
# starts BINDIR/strata-server on a unix socket, runs
# BENCHDIR/sysproxy/bench_sysproxy_remote against it over the socket
# alone (RUMP_SP_SHM=0: every call two socket messages, the protocol
# before the shared-memory channel), over the shared-memory channel
# (the default on a unix socket: a side spins, then sleeps on a futex)
# and over the channel with sleepers on the socket (RUMP_SP_FUTEX=0, a
# second server), and bench_sysproxy_local (the same
# program linked with the kernel), REPEAT times each (default 5), and
# prints medians and the ratios to the host's own call and between the
# two remote paths.  Then the CPU time a remote call costs: the
# client's (getrusage in bench_sysproxy) and the server's (its
# /proc/PID/stat utime + stime across the run, divided by the calls), per
# call, and their sum against the wall time: a side that spins burns CPU
# while it waits.  Run it under `chrt -f 1` on a loaded machine (the
# server started here inherits the policy).
set -eu
case ${1:-} in
-h|--help)
	echo "usage: sh bench/sysproxy.sh BENCHDIR BINDIR [REPEAT]"
	echo "Remote getpid and 4 KiB pread through strata-server vs in-process and host."
	exit 0 ;;
esac
dir=${1:?usage: sysproxy.sh BENCHDIR BINDIR [REPEAT]}
bindir=${2:?usage: sysproxy.sh BENCHDIR BINDIR [REPEAT]}
repeat=${3:-5}
tmp=$(mktemp -d)
pid=
pid2=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || :
	[ -z "$pid2" ] || kill "$pid2" 2>/dev/null || :
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$bindir/strata-server" -d -p "$tmp/pid" "unix://$tmp/sock"
pid=$(cat "$tmp/pid")
# The channel's sleepers on the socket alone (RUMP_SP_FUTEX=0 on both
# sides), the peer of its futex sleep.
RUMP_SP_FUTEX=0 "$bindir/strata-server" -d -p "$tmp/pid2" "unix://$tmp/sock2"
pid2=$(cat "$tmp/pid2")
raw=$tmp/raw
hz=$(getconf CLK_TCK)
# The server's CPU time so far, in clock ticks (utime + stime; the
# command name in field 2 has no spaces: strata-server).
ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
# remote LABEL SERVERPID BENCH [VAR=VALUE...]: one run of the remote
# program; its lines, with the server's CPU per call as KEY-srvcpu.
remote() {
	label=$1 spid=$2 b=$3
	shift 3
	t0=$(ticks "$spid")
	env "$@" "$dir/sysproxy/bench_sysproxy_remote" "$b" >"$tmp/out"
	t1=$(ticks "$spid")
	awk -v l="$label" -v d=$((t1 - t0)) -v hz="$hz" '
	    $1 == "RESULT" && $2 !~ /^host-/ && $2 !~ /-calls$/ { print l "|" $2 "|" $3 }
	    $1 == "RESULT" && $2 ~ /-calls$/ { k = $2; sub(/-calls$/, "", k); print l "|" k "-srvcpu|" d / hz * 1e9 / $3 }' \
	    "$tmp/out" >>"$raw"
}
for i in $(seq "$repeat"); do
	for b in getpid pread4k; do
		remote socket "$pid" $b RUMP_SP_SHM=0 RUMP_SERVER="unix://$tmp/sock"
		remote remote "$pid" $b RUMP_SERVER="unix://$tmp/sock"
		remote shmsock "$pid2" $b RUMP_SP_FUTEX=0 RUMP_SERVER="unix://$tmp/sock2"
		"$dir/sysproxy/bench_sysproxy_local" $b |
		    awk '$1 == "RESULT" && $2 !~ /-(cpu|calls)$/ { k = $2; c = "local"; if (k ~ /^host-/) { c = "host"; sub(/^host-/, "", k) } print c "|" k "|" $3 }' >>"$raw"
	done
	printf '.' >&2
done
echo >&2
awk -F'|' '
function median(key,    n, i, j, t, v) {
	n = cnt[key]
	for (i = 1; i <= n; i++) v[i] = val[key, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{ key = $1 SUBSEP $2; cnt[key]++; val[key, cnt[key]] = $3; if (!($2 in seen) && $2 !~ /-(cpu|srvcpu)$/) { seen[$2] = 1; order[++n] = $2 } }
END {
	printf "%-18s %10s %10s %10s %10s %9s %11s %9s %11s %12s\n", "sysproxy (ns/call)", "socket", "shm-sock", "shm", "in-process", "host", "socket/host", "shm/host", "socket/shm", "shm-sock/shm"
	for (k = 1; k <= n; k++) {
		b = order[k]; s = median("socket" SUBSEP b); r = median("remote" SUBSEP b); l = median("local" SUBSEP b); h = median("host" SUBSEP b); q = median("shmsock" SUBSEP b)
		printf "%-18s %10.1f %10.1f %10.1f %10.1f %9.1f %11.1f %9.1f %11.2f %12.2f\n", b, s, q, r, l, h, s / h, r / h, s / r, q / r
	}
	printf "\n%-18s %10s %10s %10s %10s %10s\n", "CPU (ns/call)", "path", "client", "server", "wall", "cpu/wall"
	split("socket remote shmsock", paths, " ")
	split("socket shm shm-sock", names, " ")
	for (k = 1; k <= n; k++) {
		b = order[k]
		for (p = 1; p <= 3; p++) {
			w = median(paths[p] SUBSEP b); c = median(paths[p] SUBSEP b "-cpu"); v = median(paths[p] SUBSEP b "-srvcpu")
			printf "%-18s %10s %10.1f %10.1f %10.1f %10.2f\n", b, names[p], c, v, w, (c + v) / w
		}
	}
}' "$raw"
echo "(medians of $repeat runs; strata-server on a unix socket, this machine; socket: RUMP_SP_SHM=0, shm: the"
echo " shared-memory channel, spinning up to RUMP_SP_SPIN=${RUMP_SP_SPIN:-50} us, then sleeping on a futex;"
echo " shm-sock: the same channel sleeping on the socket at once (RUMP_SP_FUTEX=0); goal for remote getpid: < 15000 ns;"
echo " CPU: the client's getrusage and the server's /proc stat per call, in ns; cpu/wall 2.0 = both sides busy all along;"
echo " load $(cut -d' ' -f1-3 /proc/loadavg), policy $(chrt -p $$ 2>/dev/null | sed -n 's/.*policy: //p' | head -1))"
