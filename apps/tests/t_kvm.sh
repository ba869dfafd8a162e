#! /usr/bin/env atf-sh
#
# t_kvm: the kvm platform end to end.  h_kvm_prog.c is baked into an image
# with strata-bake and booted with strata-boot under QEMU (KVM where
# /dev/kvm is usable, TCG otherwise): output through the kernel and the
# console, arguments and environment from the command line, the exit
# status (all 8 bits), a null dereference and a stack overflow ending in a
# register dump and status 134 rather than a hang, the idle timer, ext2
# on a virtio-blk disk checked with e2fsck and debugfs on the host, and
# virtio-net: ping and TCP to the host over a TAP device in a network
# namespace the test makes (root only); and which accelerator
# strata-boot picks.
# Skipped without qemu-system-x86_64 (Debian: qemu-system-x86) or where
# the kvm platform is not built (sanitized, cross and non-x86_64 builds).

setup()
{
	prefix=$(atf_config_get platform_prefix)
	bake=$prefix/bin/strata-bake
	boot=$prefix/bin/strata-boot
	[ -x "$bake" ] && [ -f "$prefix/lib/librumpuser-kvm.a" ] ||
	    atf_skip "the kvm platform is not built here (x86_64 only, not in sanitized or cross builds)"
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	    atf_skip "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
	src=$(atf_config_get topdir)/apps/tests/h_kvm_prog.c
	atf_check "$bake" -c fs,net "$src" prog.img
}

atf_test_case hello
hello_head()
{
	atf_set "descr" "a program writes and reads a tmpfs file through the kernel, prints it and its arguments, and exits with its status"
	atf_set "timeout" "300"
}
hello_body()
{
	setup
	cat >expout <<'OUT'
hello from the kernel
argv[0]=<prog.img>
argv[1]=<hello>
argv[2]=<42>
argv[3]=<two words>
argv[4]=<>
argv[5]=<50%-%41 "quoted">
OUT
	atf_check -s exit:42 -o file:expout "$boot" --timeout 120 prog.img hello 42 "two words" "" '50%-%41 "quoted"'
	atf_check -s exit:0 -o match:'^argv\[2\]=<0>$' "$boot" --timeout 120 prog.img -- hello 0
}

atf_test_case exit_status
exit_status_head()
{
	atf_set "descr" "exit statuses above 127, which QEMU's exit device cannot carry, reach strata-boot whole"
	atf_set "timeout" "300"
}
exit_status_body()
{
	setup
	atf_check -s exit:200 -o ignore "$boot" --timeout 120 prog.img hello 200
	atf_check -s exit:255 -o ignore "$boot" --timeout 120 prog.img hello 255
}

atf_test_case env
env_head()
{
	atf_set "descr" "strata-boot -e sets the program's environment"
	atf_set "timeout" "300"
}
env_body()
{
	setup
	atf_check -o inline:'GREETING=<hi there>\n' "$boot" --timeout 120 -e 'GREETING=hi there' prog.img env GREETING
	atf_check -o inline:'GREETING=<(unset)>\n' "$boot" --timeout 120 prog.img env GREETING
}

atf_test_case crash
crash_head()
{
	atf_set "descr" "a null dereference prints the registers, the faulting address and a backtrace, and ends with status 134"
	atf_set "timeout" "300"
}
crash_body()
{
	setup
	atf_check -s exit:134 -o save:out "$boot" --timeout 120 prog.img crash
	atf_check -o ignore grep '^about to crash$' out
	atf_check -o ignore grep 'fatal exception 14 (page fault) in kernel mode' out
	atf_check -o ignore grep 'page fault reading address 0x0000000000000000 (not mapped' out
	atf_check -o ignore grep '^RIP=[0-9a-f]\{16\} RSP=' out
	atf_check -o ignore grep '^CR2=0000000000000000' out
	atf_check -o ignore grep '^backtrace' out
	# The faulting instruction is in main (addr2line, where installed).
	rip=$(sed -n 's/^RIP=\([0-9a-f]*\) .*/\1/p' out)
	if command -v addr2line >/dev/null 2>&1; then
		atf_check -o match:'^main$' addr2line -f -e prog.img "$rip" -s
	fi
}

atf_test_case overflow
overflow_head()
{
	atf_set "descr" "unbounded recursion hits the stack's guard page: a page fault report and status 134, not memory corruption or a hang"
	atf_set "timeout" "300"
}
overflow_body()
{
	setup
	atf_check -s exit:134 -o save:out "$boot" --timeout 120 prog.img overflow
	atf_check -o ignore grep 'fatal exception 14 (page fault) in kernel mode' out
	atf_check -o ignore grep 'page fault writing address' out
}

atf_test_case sleep
sleep_head()
{
	atf_set "descr" "nanosleep in the kernel waits on the platform's timer: at least as long as asked, and not much longer"
	atf_set "timeout" "300"
}
sleep_body()
{
	setup
	atf_check -o save:out "$boot" --timeout 120 prog.img sleep 300
	ms=$(sed -n 's/^slept \([0-9]*\) ms$/\1/p' out)
	[ -n "$ms" ] || atf_fail "no result: $(cat out)"
	[ "$ms" -ge 300 ] || atf_fail "slept $ms ms, asked for 300"
	[ "$ms" -lt 3000 ] || atf_fail "slept $ms ms, asked for 300"
}

atf_test_case ext2_virtio_blk
ext2_virtio_blk_head()
{
	atf_set "descr" "ext2 on a virtio-blk disk: the guest reads what mke2fs -d put in, writes files, a 3 MiB pattern and 200 files, removes one; e2fsck -fn is clean and debugfs reads it all on the host"
	atf_set "timeout" "300"
}
ext2_virtio_blk_body()
{
	for p in mke2fs e2fsck debugfs python3; do
		command -v $p >/dev/null 2>&1 || atf_skip "$p is not installed (e2fsprogs, python3)"
	done
	prefix=$(atf_config_get platform_prefix)
	[ -x "$prefix/bin/strata-bake" ] && [ -f "$prefix/lib/librumpuser-kvm.a" ] ||
	    atf_skip "the kvm platform is not built here (x86_64 only, not in sanitized or cross builds)"
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	    atf_skip "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
	atf_check "$prefix/bin/strata-bake" -c fs,net "$(atf_config_get topdir)/apps/tests/h_kvm_prog.c" prog.img
	mkdir src
	echo "made on the host" >src/in.txt
	echo "to be removed" >src/gone
	atf_check -o ignore -e ignore mke2fs -q -t ext2 -b 1024 -d src fs.img 16m
	# The device by its serial (the file name), then by /dev/vda.
	atf_check -o inline:'kvm: /dev/vda: virtio-blk at 00:02.0, 32768 sectors, serial fs.img, MSI-X\nin.txt: made on the host\next2 done\n' \
	    "$prefix/bin/strata-boot" --timeout 120 -e KVM_VERBOSE=1 -d fs.img prog.img ext2 fs.img
	atf_check -o ignore -e ignore e2fsck -fn fs.img
	atf_check -o inline:'written in the guest\n' -e ignore debugfs -R 'cat /out.txt' fs.img
	atf_check -o inline:'file 199\n' -e ignore debugfs -R 'cat /many/f199' fs.img
	atf_check -o ignore -e match:'File not found' debugfs -R 'stat /gone' fs.img
	atf_check -o ignore -e ignore debugfs -R 'dump /big big.out' fs.img
	python3 -c '
import sys
data = bytes(((i * 7 + i // 4096) & 0xff) for i in range(3 * 1024 * 1024))
sys.exit(0 if open("big.out", "rb").read() == data else 1)' ||
	    atf_fail "/big does not hold the pattern the guest wrote"
	# A second run on the same disk by its device name.
	atf_check -s exit:30 -o match:'failed: rump_sys_mkdir\("/mnt/many"' \
	    "$prefix/bin/strata-boot" --timeout 120 -d fs.img prog.img ext2 /dev/vda
	atf_check -o ignore -e ignore e2fsck -fn fs.img
}

atf_test_case microvm
microvm_head()
{
	atf_set "descr" "QEMU's microvm machine: the PVH entry boots the image, and ext2 runs on a virtio-mmio block device (e2fsck -fn clean afterwards)"
	atf_set "timeout" "300"
}
microvm_body()
{
	setup
	atf_check -s exit:7 -o match:'^argv\[2\]=<7>$' "$boot" --timeout 120 -M microvm prog.img hello 7
	command -v mke2fs >/dev/null 2>&1 && command -v e2fsck >/dev/null 2>&1 ||
	    atf_skip "e2fsprogs is not installed"
	mkdir src
	echo "made on the host" >src/in.txt
	echo "to be removed" >src/gone
	atf_check -o ignore -e ignore mke2fs -q -t ext2 -d src fs.img 16m
	atf_check -o inline:'kvm: /dev/vda: virtio-blk at mmio 0xfeb02e00, 32768 sectors, serial fs.img, polled\nin.txt: made on the host\next2 done\n' \
	    "$boot" --timeout 120 -M microvm -e KVM_VERBOSE=1 -d fs.img prog.img ext2 fs.img
	atf_check -o ignore -e ignore e2fsck -fn fs.img
	atf_check -o inline:'written in the guest\n' -e ignore debugfs -R 'cat /out.txt' fs.img
}

atf_test_case virtio_net cleanup
virtio_net_head()
{
	atf_set "descr" "virtif on virtio-net over a TAP device in a network namespace the test makes: the guest pings the host and talks TCP to a host server"
	atf_set "timeout" "300"
}
virtio_net_body()
{
	setup
	[ "$(id -u)" = 0 ] || atf_skip "needs root (a network namespace and a TAP device)"
	[ -c /dev/net/tun ] || atf_skip "no /dev/net/tun"
	for p in ip python3; do
		command -v $p >/dev/null 2>&1 || atf_skip "$p is not installed (iproute2, python3)"
	done
	ns=strata-kvm-$$
	echo $ns >netns
	atf_check ip netns add $ns
	atf_check ip netns exec $ns ip link set lo up
	atf_check ip netns exec $ns ip tuntap add dev tapk0 mode tap
	atf_check ip netns exec $ns ip addr add 10.99.0.1/24 dev tapk0
	atf_check ip netns exec $ns ip link set tapk0 up
	atf_check -o inline:'kvm: virtio0: virtio-net at 00:02.0, 52:54:00:12:34:56, mtu 1500, MSI-X\nvirtif0 up\nreply from 10.99.0.1 seq 1\nreply from 10.99.0.1 seq 2\nreply from 10.99.0.1 seq 3\n' \
	    ip netns exec $ns "$boot" --timeout 120 -e KVM_VERBOSE=1 -n tap:tapk0 prog.img ping 10.99.0.2 10.99.0.1
	# A host server that echoes one line back, ready before the guest.
	ip netns exec $ns timeout 120 python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.0.1", 7777))
s.listen(1)
open("ready", "w").close()
c, _ = s.accept()
c.sendall(b"echo: " + c.recv(100))
c.close()' &
	i=0
	while [ ! -e ready ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e ready ] || atf_fail "the host server did not start"
	atf_check -o inline:'virtif0 up\ngot: echo: hello over virtio-net\n' \
	    ip netns exec $ns "$boot" --timeout 120 -n tap:tapk0 prog.img tcp 10.99.0.2 10.99.0.1 7777
	wait
}
virtio_net_cleanup()
{
	[ -f netns ] && ip netns del "$(cat netns)" 2>/dev/null
	:
}

atf_test_case usage
usage_head()
{
	atf_set "descr" "strata-boot and strata-bake: --help, and clear errors for bad arguments"
}
usage_body()
{
	prefix=$(atf_config_get platform_prefix)
	# Sanitized builds install the tools but not the kvm platform.
	[ -x "$prefix/bin/strata-boot" ] && [ -f "$prefix/lib/librumpuser-kvm.a" ] ||
	    atf_skip "the kvm platform is not built here (x86_64 only, not in sanitized or cross builds)"
	atf_check -o match:'^usage: strata-boot' "$prefix/bin/strata-boot" --help
	atf_check -o match:'^usage: strata-bake' "$prefix/bin/strata-bake" --help
	atf_check -s exit:2 -e match:'nosuch.img: No such file' "$prefix/bin/strata-boot" nosuch.img
	atf_check -s exit:2 -e match:'expected tap:NAME' "$prefix/bin/strata-boot" --net eth0 x.img
	atf_check -s exit:2 -e match:'usage' "$prefix/bin/strata-boot"
	echo 'int main(void) { return 0; }' >p.c
	atf_check -s exit:2 -e match:"unknown component 'nosuchfs'" "$prefix/bin/strata-bake" -c nosuchfs p.c p.img
	atf_check -s exit:2 -e match:'not a .c, .o or .a file' "$prefix/bin/strata-bake" p.img p.img2
	echo 'int main(void) { return undefined_thing(); }' >bad.c
	atf_check -s exit:1 -e match:'linking p.img failed' "$prefix/bin/strata-bake" bad.c p.img
	[ ! -e p.img ] || atf_fail "a failed link left p.img behind"
}

atf_test_case accel
accel_head()
{
	atf_set "descr" "strata-boot --print-accel: KVM only where /dev/kvm opens and is not PVM (whose emulator stops our guests with 'KVM internal error'), TCG otherwise, and --kvm fails where KVM is not usable"
}
accel_body()
{
	prefix=$(atf_config_get platform_prefix)
	[ -x "$prefix/bin/strata-boot" ] ||
	    atf_skip "strata-boot is not built here (x86_64 only, not in cross builds)"
	boot=$prefix/bin/strata-boot
	atf_check -o inline:'tcg: --tcg\n' "$boot" --tcg --print-accel
	if [ -e /sys/module/kvm_pvm ] && [ -e /dev/kvm ]; then
		atf_check -o match:'^tcg: /dev/kvm is PVM' "$boot" --print-accel
		atf_check -s exit:125 -e match:'--kvm: /dev/kvm is PVM' "$boot" --kvm --print-accel
	elif [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		atf_check -o inline:'kvm: /dev/kvm is usable\n' "$boot" --print-accel
		atf_check -o inline:'kvm: /dev/kvm is usable\n' "$boot" --kvm --print-accel
	else
		atf_check -o match:'^tcg: ' "$boot" --print-accel
		atf_check -s exit:125 -e match:'--kvm: ' "$boot" --kvm --print-accel
	fi
}

atf_init_test_cases()
{
	atf_add_test_case hello
	atf_add_test_case exit_status
	atf_add_test_case env
	atf_add_test_case crash
	atf_add_test_case overflow
	atf_add_test_case sleep
	atf_add_test_case ext2_virtio_blk
	atf_add_test_case virtio_net
	atf_add_test_case microvm
	atf_add_test_case usage
	atf_add_test_case accel
}
