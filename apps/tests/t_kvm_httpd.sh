#! /usr/bin/env atf-sh
#
# t_kvm_httpd: strata-httpd as a unikernel.  The unchanged source
# (apps/httpd/strata_httpd.c) is baked with strata-bake -c net,ext2fs and
# booted with strata-boot on a TAP device in a network namespace the test
# makes and always deletes; its files are an ext2 image made with
# mke2fs -d and attached as a virtio disk, its address and mount are its
# command line.  Linux curl fetches from it (bytes compared), HEAD and 404
# are checked, and after its --requests the guest unmounts, powers off and
# strata-boot exits with the program's status 0.
# Skipped without root, /dev/net/tun, qemu-system-x86_64, iproute2, curl,
# e2fsprogs, or where the kvm platform is not built (sanitized, cross and
# non-x86_64 builds).

bake_httpd()
{
	prefix=$(atf_config_get platform_prefix)
	bake=$prefix/bin/strata-bake
	boot=$prefix/bin/strata-boot
	[ -x "$bake" ] && [ -f "$prefix/lib/librumpuser-kvm.a" ] ||
	    atf_skip "the kvm platform is not built here (x86_64 only, not in sanitized or cross builds)"
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	    atf_skip "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
	[ "$(id -u)" = 0 ] || atf_skip "needs root (a network namespace and a TAP device)"
	[ -c /dev/net/tun ] || atf_skip "no /dev/net/tun"
	for p in ip curl mke2fs cmp; do
		command -v $p >/dev/null 2>&1 ||
		    atf_skip "$p is not installed (iproute2, curl, e2fsprogs)"
	done
	atf_check "$bake" -c net,ext2fs \
	    "$(atf_config_get topdir)/apps/httpd/strata_httpd.c" httpd.img
}

# Namespace $ns with TAP device tapk0, 10.97.0.1/24 on the Linux side.
make_netns()
{
	ns=strata-kvmhttpd-$$
	echo $ns >netns
	atf_check ip netns add $ns
	atf_check ip -n $ns link set lo up
	atf_check ip netns exec $ns ip tuntap add dev tapk0 mode tap
	atf_check ip -n $ns addr add 10.97.0.1/24 dev tapk0
	atf_check ip -n $ns link set tapk0 up
}

# Boots the image in the background with strata-boot options and the
# program's arguments "$@"; waits (bounded) until it serves.
boot_httpd()
{
	ip netns exec $ns "$boot" --timeout 240 "$@" >boot.out 2>&1 &
	pid=$!
	echo $pid >boot.pid
	i=0
	while ! grep -q '^serving ' boot.out 2>/dev/null; do
		kill -0 $pid 2>/dev/null || atf_fail "the guest ended: $(cat boot.out)"
		i=$((i + 1))
		[ $i -lt 1200 ] || atf_fail "the guest did not serve within 120 s: $(cat boot.out)"
		sleep 0.1
	done
}

# Waits for the guest to end (strata-boot's --timeout bounds it); its
# status in $rc.
wait_end()
{
	rc=0
	wait $pid || rc=$?
	rm -f boot.pid
}

atf_test_case curl cleanup
curl_head()
{
	atf_set "descr" "strata-httpd baked into a kvm image serves an ext2 disk to Linux curl over TAP: GET byte-exact (index and 1 MiB), HEAD, 404; exits 0 after its --requests"
	atf_set "timeout" "300"
}
curl_body()
{
	bake_httpd
	mkdir -p www/sub
	printf '<h1>strata unikernel</h1>\n' >www/index.html
	head -c 1048576 /dev/urandom >www/big.bin
	printf 'plain text\n' >www/sub/f.txt
	atf_check -o ignore -e ignore mke2fs -q -t ext2 -d www www.img 8m
	make_netns
	ncurl="ip netns exec $ns curl -sS --max-time 60"
	boot_httpd -n tap:tapk0 -d www.img httpd.img -- \
	    --if virtif:virtio0 --addr 10.97.0.2/24 --image www.img \
	    --requests 5 /
	atf_check $ncurl -o got.bin http://10.97.0.2/big.bin
	atf_check cmp got.bin www/big.bin
	atf_check -o file:www/index.html $ncurl http://10.97.0.2/
	atf_check -o file:www/sub/f.txt $ncurl http://10.97.0.2/sub/f.txt
	atf_check -o save:head.out $ncurl -I http://10.97.0.2/sub/f.txt
	tr -d '\r' <head.out >head.txt
	atf_check -o ignore grep '^HTTP/1.1 200 OK$' head.txt
	atf_check -o ignore grep '^Content-Length: 11$' head.txt
	atf_check -o ignore grep '^Content-Type: text/plain' head.txt
	atf_check -o inline:'404' $ncurl -o /dev/null -w '%{http_code}' \
	    http://10.97.0.2/nonexistent
	wait_end
	[ "$rc" = 0 ] || atf_fail "strata-boot exited $rc: $(cat boot.out)"
	atf_check -o ignore grep '^served 5 responses$' boot.out
}
curl_cleanup()
{
	[ -f boot.pid ] && kill "$(cat boot.pid)" 2>/dev/null
	[ -f netns ] && ip netns del "$(cat netns)" 2>/dev/null
	:
}

atf_test_case microvm cleanup
microvm_head()
{
	atf_set "descr" "the same unikernel on QEMU's microvm machine (PVH entry, virtio-mmio disk and network device, polled): GET byte-exact, 404, exit 0"
	atf_set "timeout" "300"
}
microvm_body()
{
	bake_httpd
	mkdir www
	head -c 262144 /dev/urandom >www/data.bin
	atf_check -o ignore -e ignore mke2fs -q -t ext2 -d www www.img 8m
	make_netns
	ncurl="ip netns exec $ns curl -sS --max-time 60"
	boot_httpd -M microvm -n tap:tapk0 -d www.img httpd.img -- \
	    --if virtif:virtio0 --addr 10.97.0.2/24 --image www.img \
	    --requests 2 /
	atf_check $ncurl -o got.bin http://10.97.0.2/data.bin
	atf_check cmp got.bin www/data.bin
	atf_check -o inline:'404' $ncurl -o /dev/null -w '%{http_code}' \
	    http://10.97.0.2/data.bin/x
	wait_end
	[ "$rc" = 0 ] || atf_fail "strata-boot exited $rc: $(cat boot.out)"
	atf_check -o ignore grep '^served 2 responses$' boot.out
}
microvm_cleanup()
{
	curl_cleanup
}

atf_test_case setup_errors cleanup
setup_errors_head()
{
	atf_set "descr" "a unikernel strata-httpd whose image cannot be mounted says why and exits 1"
	atf_set "timeout" "300"
}
setup_errors_body()
{
	bake_httpd
	make_netns
	head -c 65536 /dev/zero >blank.img
	atf_check -s exit:1 -o match:'strata-httpd: --image blank.img: cannot mount it as ext2' \
	    ip netns exec $ns "$boot" --timeout 240 -n tap:tapk0 -d blank.img \
	    httpd.img -- --if virtif:virtio0 --addr 10.97.0.2/24 \
	    --image blank.img /
}
setup_errors_cleanup()
{
	[ -f netns ] && ip netns del "$(cat netns)" 2>/dev/null
	:
}

atf_init_test_cases()
{
	atf_add_test_case curl
	atf_add_test_case microvm
	atf_add_test_case setup_errors
}
