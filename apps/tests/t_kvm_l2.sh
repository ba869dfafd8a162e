#! /usr/bin/env atf-sh
#
# t_kvm_l2: unmodified static Linux programs as kvm unikernels
# (platform/kvm/l2).  Ordinary programs -- h_kvm_l2_prog.c built here with
# Debian's musl-gcc, static-pie and static, and busybox from
# busybox-static (a static glibc binary) -- are baked into images with
# `strata-bake PROGRAM IMAGE` and booted with strata-boot under QEMU (KVM
# where /dev/kvm is usable, TCG otherwise).  What they print is compared
# with what the same binary prints on the host, or with the known answer
# where running it on the host would touch the host's files; exit
# statuses are the program's.  Skipped without qemu-system-x86_64,
# musl-gcc or busybox-static, or where the kvm platform is not built.

setup()
{
	prefix=$(atf_config_get platform_prefix)
	bake=$prefix/bin/strata-bake
	boot=$prefix/bin/strata-boot
	[ -x "$bake" ] && [ -x "$boot" ] &&
	    [ -f "$prefix/lib/librumpuser-kvm.a" ] ||
	    atf_skip "the kvm platform is not built here (x86_64 only, not in sanitized or cross builds)"
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	    atf_skip "qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
}

# musl_prog pie|static OUT: h_kvm_l2_prog built with musl-gcc.
musl_prog()
{
	command -v musl-gcc >/dev/null 2>&1 ||
	    atf_skip "musl-gcc is not installed (Debian: musl-tools)"
	src=$(atf_config_get topdir)/apps/tests/h_kvm_l2_prog.c
	if [ "$1" = static ]; then
		atf_check musl-gcc -static -O1 -o "$2" "$src"
	else
		# Debian's musl-gcc spec knows no -static-pie (it would link
		# an interpreter and libc.so): musl's self-relocating start
		# file and libc.a by name.
		m=/usr/lib/x86_64-linux-musl
		atf_check musl-gcc -O1 -static-pie -nostartfiles -nostdlib \
		    -Wl,--no-dynamic-linker -o "$2" $m/rcrt1.o $m/crti.o \
		    "$(gcc -print-file-name=crtbeginS.o)" "$src" $m/libc.a \
		    "$(gcc -print-libgcc-file-name)" $m/libc.a \
		    "$(gcc -print-file-name=crtendS.o)" $m/crtn.o
	fi
}

# baked KIND: prog.img from h_kvm_l2_prog built KIND (pie or static).
baked()
{
	setup
	musl_prog "$1" prog
	atf_check "$bake" prog prog.img
}

# same_as_host ARGS...: the image prints what the program prints on the
# host, and exits as it does.
same_as_host()
{
	./prog "$@" >expout </dev/null 2>&1
	status=$?
	atf_check -s exit:$status -o file:expout "$boot" --timeout 120 \
	    prog.img "$@"
}

atf_test_case hello
hello_head()
{
	atf_set "descr" "arguments, environment and exit status reach and leave the program, static-pie and static"
	atf_set "timeout" "300"
}
hello_body()
{
	for kind in pie static; do
		baked $kind
		cat >expout <<'OUT'
argc=5
argv[0]=<prog>
argv[1]=<hello>
argv[2]=<two words>
argv[3]=<>
argv[4]=<42>
L2VAR=<x y>
OUT
		atf_check -s exit:42 -o file:expout "$boot" --timeout 120 \
		    -e 'L2VAR=x y' prog.img hello "two words" "" 42
	done
}

atf_test_case files
files_head()
{
	atf_set "descr" "directories, files of 100 KB, hard and symbolic links, renames, errors, cwd: in the kernel"
	atf_set "timeout" "300"
}
files_body()
{
	baked pie
	cat >expout <<'OUT'
small: small file
soft -> small
big: size 100000 mode 640
hard: nlink 2
big read back: 100000 bytes, same
/tmp/d: hard small soft sub
rmdir non-empty: Directory not empty
open missing: No such file or directory
/tmp/d: small soft sub
cwd: /tmp/d/sub
OUT
	atf_check -o file:expout "$boot" --timeout 120 prog.img files
}

atf_test_case threads
threads_head()
{
	atf_set "descr" "8 pthreads: mutex, condition variable, thread-local storage, distinct thread ids, join values"
	atf_set "timeout" "300"
}
threads_body()
{
	baked pie
	atf_check -o inline:'counter 80000, sum 2808, main'"'"'s tls 99\n' \
	    "$boot" --timeout 120 prog.img threads
}

atf_test_case time
time_head()
{
	atf_set "descr" "clock_gettime, nanosleep, clock_nanosleep, time, clock_getres, a bad clock"
	atf_set "timeout" "300"
}
time_body()
{
	baked pie
	same_as_host time
}

atf_test_case mem
mem_head()
{
	atf_set "descr" "8 MiB malloc and realloc (mmap, mremap), PROT_NONE then mprotect, munmap, sbrk"
	atf_set "timeout" "300"
}
mem_body()
{
	baked pie
	same_as_host mem
}

atf_test_case exit_status
exit_status_head()
{
	atf_set "descr" "exit(N) is strata-boot's status; abort() ends as by SIGABRT (134) after the program's output; standard input reads end-of-file"
	atf_set "timeout" "300"
}
exit_status_body()
{
	baked pie
	atf_check -s exit:0 "$boot" --timeout 120 prog.img exit 0
	atf_check -s exit:3 "$boot" --timeout 120 prog.img exit 3
	atf_check -s exit:255 "$boot" --timeout 120 prog.img exit 255
	atf_check -s exit:134 -o inline:'aborting\nstrata: the program was killed by signal 6\n' \
	    "$boot" --timeout 120 prog.img abort
	same_as_host stdin
}

atf_test_case crash
crash_head()
{
	atf_set "descr" "a null dereference in the program: its output, then a register dump, and a failure status, not a hang"
	atf_set "timeout" "300"
}
crash_body()
{
	baked pie
	atf_check -s not-exit:0 -o save:out "$boot" --timeout 120 prog.img crash
	atf_check -o inline:'crashing\n' head -n 1 out
	atf_check -o ignore grep -q 'page fault writing address 0x0*0 ' out
	atf_check -o ignore grep -q '^RIP=' out
}

atf_test_case efault
efault_head()
{
	atf_set "descr" "bad pointers handed to the kernel's and the platform's system calls give EFAULT, as on Linux"
	atf_set "timeout" "300"
}
efault_body()
{
	baked pie
	same_as_host efault
}

atf_test_case net
net_head()
{
	atf_set "descr" "sockets go to the kernel unchanged: TCP between two threads and UDP over the loopback, poll"
	atf_set "timeout" "300"
}
net_body()
{
	setup
	musl_prog static prog
	atf_check "$bake" -c netinet prog prog.img
	same_as_host net
}

atf_test_case not_static
not_static_head()
{
	atf_set "descr" "strata-bake refuses a dynamically linked program, saying why"
}
not_static_body()
{
	setup
	atf_check -s exit:2 -e match:'dynamically linked.*-static' \
	    "$bake" /bin/sh sh.img
	atf_check -s exit:1 test -e sh.img
}

atf_test_case static_exec
static_exec_head()
{
	atf_set "descr" "a plain musl-gcc -static program (ET_EXEC at 0x400000) as a unikernel"
	atf_set "timeout" "300"
}
static_exec_body()
{
	baked static
	atf_check -s exit:3 -o match:'^argv\[1\]=<hello>$' "$boot" --timeout 120 \
	    prog.img hello 3
}

atf_test_case busybox
busybox_head()
{
	atf_set "descr" "Debian's busybox-static (static glibc) as a unikernel: sh -c, ls, sha256sum, echo"
	atf_set "timeout" "300"
}
busybox_body()
{
	setup
	bb=
	for f in /bin/busybox /usr/bin/busybox; do
		[ -x $f ] && file -L $f 2>/dev/null | grep -q 'statically linked' && bb=$f && break
	done
	[ -n "$bb" ] || atf_skip "no static busybox (Debian: busybox-static)"
	cp "$bb" busybox
	atf_check "$bake" busybox bb.img
	atf_check -o inline:'hello unikernel\n' "$boot" --timeout 120 bb.img echo hello unikernel
	atf_check -s exit:7 -o inline:'1 2 3\n3 lines\nok\n' "$boot" --timeout 120 bb.img sh -c '
		for i in 1 2 3; do echo $i; done >/tmp/f
		n=0; l=
		while read x; do n=$((n + 1)); l="$l${l:+ }$x"; done </tmp/f
		echo "$l"; echo "$n lines"
		[ -s /tmp/f ] && echo ok
		exit 7'
	atf_check -o match:'^d.* tmp$' "$boot" --timeout 120 bb.img ls -l /
	atf_check -o inline:'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  -\n' \
	    "$boot" --timeout 120 bb.img sha256sum
}

atf_test_case busybox_disk
busybox_disk_head()
{
	atf_set "descr" "busybox-static's ls, cp, tar and sha256sum on an ext2 disk (virtio-blk, mounted by STRATA_MOUNT), one boot each; the host checks the disk with e2fsck -fn and debugfs"
	atf_set "timeout" "300"
}
busybox_disk_body()
{
	setup
	for p in mke2fs e2fsck debugfs; do
		command -v $p >/dev/null 2>&1 || atf_skip "$p is not installed (Debian: e2fsprogs)"
	done
	bb=
	for f in /bin/busybox /usr/bin/busybox; do
		[ -x $f ] && file -L $f 2>/dev/null | grep -q 'statically linked' && bb=$f && break
	done
	[ -n "$bb" ] || atf_skip "no static busybox (Debian: busybox-static)"
	cp "$bb" busybox
	atf_check "$bake" -c fs busybox bb.img
	mkdir -p src/sub
	echo "made on the host" >src/a.txt
	seq 1 20000 >src/sub/nums
	atf_check -o ignore -e ignore mke2fs -q -t ext2 -b 1024 -d src fs.img 16m
	run="$boot --timeout 120 -e STRATA_MOUNT=/dev/vda:/mnt:ext2 -d fs.img bb.img"

	atf_check -o match:'^-rw-r--r-- .* 108894 .* nums$' $run ls -lR /mnt
	atf_check $run cp -r /mnt/sub /mnt/copy
	atf_check $run tar -cf /mnt/t.tar -C /mnt a.txt sub
	atf_check $run mkdir /mnt/x
	atf_check $run tar -xf /mnt/t.tar -C /mnt/x
	(cd src && sha256sum a.txt sub/nums) | sed 's|  |  /mnt/x/|' >expout
	atf_check -o file:expout $run sha256sum /mnt/x/a.txt /mnt/x/sub/nums

	atf_check -o ignore -e ignore e2fsck -fn fs.img
	atf_check -o file:src/sub/nums -e ignore debugfs -R 'cat /copy/nums' fs.img
	atf_check -o ignore -e ignore debugfs -R 'dump /t.tar t.tar' fs.img
	atf_check -o inline:'a.txt\nsub/\nsub/nums\n' tar tf t.tar
}

atf_test_case busybox_net cleanup
busybox_net_head()
{
	atf_set "descr" "the network configured on the command line (STRATA_NET=DEV:ADDR/PREFIX): busybox-static's wget in the guest fetches a file from a Linux HTTP server over a TAP device in a network namespace the test makes (bytes compared); bad settings and an image without network components are reported"
	atf_set "timeout" "300"
}
busybox_net_body()
{
	setup
	[ "$(id -u)" = 0 ] || atf_skip "needs root (a network namespace and a TAP device)"
	[ -c /dev/net/tun ] || atf_skip "no /dev/net/tun"
	for p in ip python3 curl; do
		command -v $p >/dev/null 2>&1 || atf_skip "$p is not installed (iproute2, python3, curl)"
	done
	bb=
	for f in /bin/busybox /usr/bin/busybox; do
		[ -x $f ] && file -L $f 2>/dev/null | grep -q 'statically linked' && bb=$f && break
	done
	[ -n "$bb" ] || atf_skip "no static busybox (Debian: busybox-static)"
	cp "$bb" busybox
	atf_check "$bake" -c net busybox bb.img
	ns=strata-kvml2-$$
	echo $ns >netns
	atf_check ip netns add $ns
	atf_check ip -n $ns link set lo up
	atf_check ip netns exec $ns ip tuntap add dev tapl0 mode tap
	atf_check ip -n $ns addr add 10.95.0.1/24 dev tapl0
	atf_check ip -n $ns link set tapl0 up
	mkdir srv
	head -c 200000 /dev/urandom >srv/data.bin
	(cd srv && exec ip netns exec $ns timeout 200 python3 -m http.server \
	    --bind 10.95.0.1 8000 >/dev/null 2>&1) &
	echo $! >server.pid
	i=0
	until ip netns exec $ns curl -s -o /dev/null http://10.95.0.1:8000/; do
		i=$((i + 1))
		[ $i -lt 300 ] || atf_fail "the host's HTTP server did not start"
		sleep 0.1
	done
	atf_check -o save:got.bin ip netns exec $ns "$boot" --timeout 120 \
	    -n tap:tapl0 -e STRATA_NET=virtio0:10.95.0.2/24:10.95.0.1 bb.img \
	    wget -q -O - http://10.95.0.1:8000/data.bin
	atf_check cmp got.bin srv/data.bin
	atf_check -s exit:127 -o match:'STRATA_NET: prefix length 33 is not 0..32' \
	    ip netns exec $ns "$boot" --timeout 120 -n tap:tapl0 \
	    -e STRATA_NET=virtio0:10.95.0.2/33 bb.img true
	atf_check -s exit:127 -o match:'STRATA_NET: no network device virtio0' \
	    "$boot" --timeout 120 -e STRATA_NET=virtio0:10.95.0.2/24 bb.img true
	atf_check "$bake" -c fs busybox fs.img
	atf_check -s exit:127 -o match:'STRATA_NET: the image has no network components' \
	    "$boot" --timeout 120 -e STRATA_NET=virtio0:10.95.0.2/24 fs.img true
}
busybox_net_cleanup()
{
	[ -f server.pid ] && kill "$(cat server.pid)" 2>/dev/null
	[ -f netns ] && ip netns del "$(cat netns)" 2>/dev/null
	:
}

atf_init_test_cases()
{
	atf_add_test_case hello
	atf_add_test_case files
	atf_add_test_case threads
	atf_add_test_case time
	atf_add_test_case mem
	atf_add_test_case exit_status
	atf_add_test_case crash
	atf_add_test_case efault
	atf_add_test_case net
	atf_add_test_case not_static
	atf_add_test_case static_exec
	atf_add_test_case busybox
	atf_add_test_case busybox_disk
	atf_add_test_case busybox_net
}
