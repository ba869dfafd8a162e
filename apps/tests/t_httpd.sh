#! /usr/bin/env atf-sh
#
# t_httpd: strata-httpd and strata-fetch, two programs with a strata
# TCP/IP stack each, against each other over a shared-memory bus (no
# privileges), and against the Linux stack over a TAP device in a network
# namespace the test makes and always deletes (root, /dev/net/tun,
# iproute2, curl, ping and python3 needed; skipped without them): Linux
# ping and curl against strata-httpd, strata-fetch against a Linux HTTP
# server, 32 MiB each way checked with sha256sum.

bin()
{
	echo "$(atf_config_get platform_prefix)/bin/$1"
}

# A document tree: an index, a 32 MiB file of random bytes, a file in a
# subdirectory, and a file outside it reached by a link and by "..".
make_www()
{
	mkdir -p www/sub
	printf '<h1>strata</h1>\n' >www/index.html
	head -c 33554432 /dev/urandom >www/big.bin
	printf 'plain text\n' >www/sub/f.txt
	printf 'secret\n' >secret.txt
	ln -s ../secret.txt www/link
}

# Starts a program in the background (in namespace $NS when set), its
# output into $1.out, its pid appended to ./pids for the cleanup.
start()
{
	out=$1
	shift
	if [ -n "${NS:-}" ]; then
		ip netns exec "$NS" "$@" >"$out.out" 2>&1 &
	else
		"$@" >"$out.out" 2>&1 &
	fi
	echo $! >>pids
	echo $! >"$out.pid"
}

# Waits (up to 30 s) for strata-httpd started as $1 to say it serves.
wait_serving()
{
	i=0
	while ! grep -q '^serving ' "$1.out" 2>/dev/null; do
		kill -0 "$(cat "$1.pid")" 2>/dev/null ||
		    atf_fail "$1 ended: $(cat "$1.out")"
		i=$((i + 1))
		[ $i -lt 300 ] || atf_fail "$1 did not start: $(cat "$1.out")"
		sleep 0.1
	done
}

# Ends a program started with start and waits until it is gone (a TAP
# device is free again only then).
stop()
{
	pid=$(cat "$1.pid")
	kill "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

kill_all()
{
	[ -f pids ] || return 0
	for p in $(cat pids); do
		kill -9 "$p" 2>/dev/null || true
	done
}

atf_test_case options
options_head()
{
	atf_set "descr" "--help of both programs; usage and setup errors are reported"
}
options_body()
{
	for p in strata-httpd strata-fetch; do
		atf_check -o match:"usage: $p" "$(bin $p)" --help
		atf_check -s exit:2 -e match:"usage: $p" "$(bin $p)"
		atf_check -s exit:1 -e match:"unknown option --bogus" \
		    "$(bin $p)" --bogus x
		atf_check -s exit:1 -e match:"eth0: expected tap:NAME" \
		    "$(bin $p)" --if eth0 --addr 10.0.0.1/24 http://10.0.0.2/
		atf_check -s exit:1 -e match:"expected an IPv4 address" \
		    "$(bin $p)" --if shmif:bus --addr 10.0.0.300/24 \
		    http://10.0.0.2/
	done
	atf_check -s exit:1 -e match:"--port 0: expected 1..65535" \
	    "$(bin strata-httpd)" --if shmif:bus --addr 10.0.0.1/24 --port 0 .
	atf_check -s exit:2 -e match:"--addr or --dhcp, not both" \
	    "$(bin strata-httpd)" --if shmif:bus --addr 10.0.0.1/24 --dhcp .
	atf_check -s exit:1 -e match:"nonexistent: No such file" \
	    "$(bin strata-httpd)" --if shmif:bus --addr 10.0.0.1/24 nonexistent
	# A name past PATH_MAX once overflowed mount_image()'s copy.
	atf_check -s exit:1 -e match:"--image: the name is longer than" \
	    "$(bin strata-httpd)" --if shmif:bus --addr 10.0.0.1/24 \
	    --image "$(printf '%05000d' 0):ext2" .
	atf_check -s exit:1 -e match:"expected http://IPv4" \
	    "$(bin strata-fetch)" --if shmif:bus --addr 10.0.0.1/24 ftp://x/
}

atf_test_case shmif cleanup
shmif_head()
{
	atf_set "descr" "strata-fetch against strata-httpd (posix and fiber) over a shared-memory bus: files byte-exact, keep-alive, 404"
	atf_set "timeout" "120"
}
shmif_body()
{
	make_www
	for variant in strata-httpd strata-httpd-fiber; do
		[ -x "$(bin $variant)" ] || continue
		rm -f bus got
		start httpd "$(bin $variant)" --if "shmif:$PWD/bus" \
		    --addr 10.0.0.2/24 --port 8080 www
		wait_serving httpd
		# Three files over one connection, the big one checked.
		atf_check "$(bin strata-fetch)" --if "shmif:$PWD/bus" \
		    --addr 10.0.0.3/24 -o got \
		    http://10.0.0.2:8080/ http://10.0.0.2:8080/big.bin \
		    http://10.0.0.2:8080/sub/f.txt
		cat www/index.html www/big.bin www/sub/f.txt >want
		atf_check cmp got want
		atf_check -s exit:1 -e match:"status 404" \
		    "$(bin strata-fetch)" --if "shmif:$PWD/bus" \
		    --addr 10.0.0.4/24 -o /dev/null \
		    http://10.0.0.2:8080/link
		stop httpd
	done
}
shmif_cleanup()
{
	kill_all
}

# Makes namespace $NS with TAP device tap0, 10.98.0.1/24 on the Linux
# side; skips without the means.
tap_setup()
{
	[ "$(id -u)" = 0 ] || atf_skip "needs root (a network namespace and a TAP device)"
	[ -c /dev/net/tun ] || atf_skip "no /dev/net/tun"
	for t in ip curl ping python3 sha256sum; do
		command -v $t >/dev/null 2>&1 ||
		    atf_skip "$t is not installed (iproute2, curl, iputils-ping, python3)"
	done
	NS=strata-httpd-$$
	echo "$NS" >netns
	ip netns add "$NS" || atf_skip "cannot make a network namespace"
	ip -n "$NS" link set lo up
	ip -n "$NS" tuntap add mode tap name tap0
	ip -n "$NS" addr add 10.98.0.1/24 dev tap0
	ip -n "$NS" link set tap0 up
}

atf_test_case tap cleanup
tap_head()
{
	atf_set "descr" "against Linux over TAP in a namespace of its own: ping, curl from strata-httpd (GET, HEAD, keep-alive, errors, no escape from the directory), strata-fetch from a Linux server, 32 MiB each way by sha256, --gw answering a client off the subnet"
	atf_set "timeout" "180"
}
tap_body()
{
	tap_setup
	make_www
	start httpd "$(bin strata-httpd)" --if tap:tap0 --addr 10.98.0.2/24 \
	    --port 80 www
	wait_serving httpd
	atf_check -o ignore ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 10.98.0.2

	url=http://10.98.0.2
	atf_check -o file:www/index.html ip netns exec "$NS" curl -sS --fail $url/
	ip netns exec "$NS" curl -sS --fail -o got $url/big.bin || atf_fail "curl big.bin"
	atf_check -o inline:"$(sha256sum <www/big.bin)\n" sh -c 'sha256sum <got'
	# HEAD: the length, no body (a body would be taken for the answer
	# to the next request on the connection).
	atf_check -o match:'Content-Length: 33554432' \
	    -o match:'^<h1>strata</h1>$' -e match:'Re-using existing connection' \
	    ip netns exec "$NS" curl -sS -v -I $url/big.bin --next -sS -v \
	    $url/index.html
	# Two requests on one connection.
	atf_check -o ignore -e match:'Re-using existing connection' \
	    ip netns exec "$NS" curl -sS -v -o /dev/null -o /dev/null $url/sub/f.txt \
	    $url/index.html
	# Errors, and no way out of the directory.
	for case in "404 $url/nonexistent" "404 $url/link" \
	    "404 $url/../secret.txt" "404 $url/%2e%2e/secret.txt" \
	    "405 -X POST $url/" "405 -X DELETE $url/index.html" \
	    "400 -H Host: $url/"; do
		set -- $case
		want=$1
		shift
		atf_check -o inline:"$want" ip netns exec "$NS" curl -sS --path-as-is \
		    -o /dev/null -w '%{http_code}' "$@"
	done
	stop httpd

	# The other way: strata-fetch from a Linux HTTP server.
	start pyhttp python3 -m http.server --bind 10.98.0.1 \
	    --directory www 8000
	atf_check -e match:'33554432 bytes in' ip netns exec "$NS" "$(bin strata-fetch)" \
	    --if tap:tap0 --addr 10.98.0.2/24 --stats -o got2 \
	    http://10.98.0.1:8000/big.bin
	atf_check -o inline:"$(sha256sum <www/big.bin)\n" sh -c 'sha256sum <got2'
	stop pyhttp

	# --gw: a client off the TAP's subnet (Linux's 192.0.2.1) is
	# answered through the gateway (Linux's 10.98.0.1); without a route
	# strata could not answer it at all.
	ip -n "$NS" addr add 192.0.2.1/32 dev lo
	start httpd2 "$(bin strata-httpd)" --if tap:tap0 --addr 10.98.0.2/24 \
	    --gw 10.98.0.1 --port 80 www
	wait_serving httpd2
	atf_check -o file:www/index.html ip netns exec "$NS" curl -sS --fail \
	    --max-time 20 --interface 192.0.2.1 $url/
	stop httpd2
}
tap_cleanup()
{
	kill_all
	[ -f netns ] && ip netns del "$(cat netns)" 2>/dev/null
	true
}

atf_test_case tap_dhcp cleanup
tap_dhcp_head()
{
	atf_set "descr" "strata-httpd --dhcp leases its address from busybox udhcpd in a namespace of its own (TAP), and curl fetches from it there"
	atf_set "timeout" "120"
}
tap_dhcp_body()
{
	command -v busybox >/dev/null 2>&1 ||
	    atf_skip "busybox is not installed (busybox-static)"
	tap_setup
	make_www
	printf '%s\n' "start 10.98.0.50" "end 10.98.0.59" "interface tap0" \
	    "lease_file $PWD/udhcpd.leases" "pidfile $PWD/udhcpd.pid" \
	    "option subnet 255.255.255.0" "option router 10.98.0.1" >udhcpd.conf
	: >udhcpd.leases
	start dhcpd busybox udhcpd -f udhcpd.conf
	start httpd "$(bin strata-httpd)" --if tap:tap0 --dhcp --port 80 www
	wait_serving httpd
	grep -q '^leased 10\.98\.0\.5[0-9]/24 from 10\.98\.0\.1 (router 10\.98\.0\.1' httpd.out ||
	    atf_fail "no lease: $(cat httpd.out)"
	addr=$(sed -n 's,^leased \([0-9.]*\)/.*,\1,p' httpd.out)
	atf_check -o file:www/index.html ip netns exec "$NS" curl -sS --fail \
	    http://$addr/
	stop httpd
	stop dhcpd
}
tap_dhcp_cleanup()
{
	kill_all
	[ -f netns ] && ip netns del "$(cat netns)" 2>/dev/null
	true
}

atf_init_test_cases()
{
	atf_add_test_case options
	atf_add_test_case shmif
	atf_add_test_case tap
	atf_add_test_case tap_dhcp
}
