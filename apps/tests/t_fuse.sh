#! /usr/bin/env atf-sh
#
# t_fuse: strata-fuse mounts images on a host directory: host tools
# (cp, mkdir, mv, rm, truncate) change the tree, fusermount3 -u unmounts,
# everything is written back (the image's checker finds it clean and the
# reference tools read the same bytes back).  Needs /dev/fuse and
# fusermount3 (Debian: fuse3); skips without them.

fuse_bin()
{
	echo "$(atf_config_get builddir)/apps/stage/bin/strata-fuse"
}

require_fuse()
{
	bin=$(fuse_bin)
	[ -x "$bin" ] || atf_skip "strata-fuse was not built (Debian: libfuse3-dev)"
	[ -c /dev/fuse ] || atf_skip "no /dev/fuse"
	command -v fusermount3 >/dev/null 2>&1 || atf_skip "no fusermount3 (Debian: fuse3)"
}

require_tool()
{
	PATH=$PATH:/sbin:/usr/sbin command -v "$1" >/dev/null 2>&1 ||
	    atf_skip "$1 is not installed (Debian: $2)"
}

# Starts the server in the foreground (so that its exit can be waited
# for) and waits until the mount is there.
fuse_start()
{
	"$(fuse_bin)" -f "$@" 2>server.err &
	echo $! > server.pid
	mnt=$(eval echo "\${$#}")
	i=0
	while [ $i -lt 100 ]; do
		if grep -q " $(cd "$mnt" && pwd) fuse.strata " /proc/mounts; then
			return 0
		fi
		kill -0 "$(cat server.pid)" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	# A container may have the device but not the right to mount.
	if grep -q "cannot mount with FUSE" server.err; then
		atf_skip "FUSE mounts are not allowed here: $(cat server.err)"
	fi
	cat server.err >&2
	atf_fail "strata-fuse did not mount $mnt"
}

# Unmounts and waits for the server to write back and exit.
fuse_stop()
{
	fusermount3 -u "$1" || atf_fail "fusermount3 -u $1 failed"
	wait "$(cat server.pid)" || { cat server.err >&2; atf_fail "strata-fuse exited with $?"; }
	rm -f server.pid
}

fuse_cleanup()
{
	for d in mnt; do
		[ -d "$d" ] && fusermount3 -u "$d" 2>/dev/null
	done
	[ -f server.pid ] && kill "$(cat server.pid)" 2>/dev/null
	return 0
}

# A tree of files with long names, sizes from 0 to a few MiB.
make_tree()
{
	mkdir -p "$1/sub dir/deeper" "$1/empty"
	printf '' > "$1/empty file"
	printf 'hello\n' > "$1/hello.txt"
	head -c 70000 /dev/urandom > "$1/sub dir/A long file name.bin"
	head -c 3000000 /dev/urandom > "$1/sub dir/deeper/big.dat"
	i=0
	while [ $i -lt 60 ]; do
		printf 'file %d\n' $i > "$1/sub dir/file number $i.txt"
		i=$((i + 1))
	done
}

atf_test_case usage
usage_head()
{
	atf_set "descr" "--help, usage errors and unmountable images give clear messages"
}
usage_body()
{
	bin=$(fuse_bin)
	[ -x "$bin" ] || atf_skip "strata-fuse was not built (Debian: libfuse3-dev)"
	atf_check -s exit:0 -o match:"usage: strata-fuse" "$bin" --help
	atf_check -s exit:2 -e match:"need IMAGE" "$bin"
	atf_check -s exit:2 -e match:"unknown file system type" "$bin" -t xfs a b
	mkdir m
	atf_check -s exit:1 -e match:"nothere.img: No such file" "$bin" nothere.img m
	head -c 1048576 /dev/zero > zero.img
	atf_check -s exit:1 -o ignore -e match:"zero.img: no ext2 or FAT file system found" "$bin" zero.img m
	atf_check -s exit:1 -o ignore -e match:"zero.img: cannot mount as vfat" "$bin" -t vfat zero.img m
}

atf_test_case fat_host_tools cleanup
fat_host_tools_head()
{
	atf_set "descr" "FAT32 image: cp -r, mkdir, mv, rm, truncate through the mount; fusermount3 -u writes back; fsck.fat clean; mtools reads the tree back"
	atf_set "timeout" "300"
}
fat_host_tools_body()
{
	require_fuse
	require_tool mkfs.fat dosfstools
	require_tool mcopy mtools
	export PATH=$PATH:/sbin:/usr/sbin MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8
	mkfs.fat -F 32 -s 1 -C fat.img 65536 >/dev/null || atf_fail "mkfs.fat"
	make_tree tree
	mkdir mnt
	fuse_start fat.img mnt
	cp -r tree mnt/ || atf_fail "cp -r"
	diff -r tree mnt/tree || atf_fail "tree differs through the mount"
	mkdir mnt/new || atf_fail "mkdir"
	mv "mnt/tree/sub dir/file number 3.txt" mnt/new/moved.txt || atf_fail "mv"
	mv "tree/sub dir/file number 3.txt" moved.txt
	rm "mnt/tree/sub dir/file number 4.txt" || atf_fail "rm"
	rm "tree/sub dir/file number 4.txt"
	truncate -s 1000 "mnt/tree/sub dir/A long file name.bin" || atf_fail "truncate"
	truncate -s 1000 "tree/sub dir/A long file name.bin"
	rm -r mnt/tree/empty && rm -r tree/empty
	df mnt | grep -q mnt || atf_fail "df"
	fuse_stop mnt

	atf_check -s exit:0 -o ignore -e ignore fsck.fat -n fat.img
	fsck.fat -n fat.img | grep -v -e '^fsck.fat' -e 'files, .* clusters$' && atf_fail "fsck.fat complains"
	mkdir back
	mcopy -s -n -i fat.img ::/tree back/ || atf_fail "mcopy -s"
	diff -r tree back/tree || atf_fail "mtools reads back something else"
	mcopy -n -i fat.img ::/new/moved.txt back/moved.txt
	cmp moved.txt back/moved.txt || atf_fail "moved file differs"

	# Mounted again: the same tree, read-only this time.
	fuse_start -o ro fat.img mnt
	diff -r tree mnt/tree || atf_fail "tree differs after remount"
	touch mnt/x 2>/dev/null && atf_fail "ro mount accepted a new file"
	fuse_stop mnt
}
fat_host_tools_cleanup()
{
	fuse_cleanup
}

atf_test_case ext2_host_tools cleanup
ext2_host_tools_head()
{
	atf_set "descr" "ext2 image: the same host tools through the mount, and user xattrs (read back by debugfs); e2fsck -fn clean afterwards"
	atf_set "timeout" "300"
}
ext2_host_tools_body()
{
	require_fuse
	require_tool mke2fs e2fsprogs
	nm "$(fuse_bin)" 2>/dev/null | grep -q 'rumpns_ext2' ||
	    atf_skip "strata-fuse has no ext2 (librumpfs_ext2fs not installed)"
	export PATH=$PATH:/sbin:/usr/sbin
	mke2fs -q -t ext2 -F e2.img 64M || atf_fail "mke2fs"
	make_tree tree
	ln -s "sub dir/deeper/big.dat" tree/link
	mkdir mnt
	fuse_start e2.img mnt
	cp -a tree mnt/ || atf_fail "cp -a"
	diff -r tree mnt/tree || atf_fail "tree differs through the mount"
	mv "mnt/tree/sub dir" mnt/moved || atf_fail "mv"
	rm -r mnt/moved/deeper || atf_fail "rm -r"
	# Extended attributes through the mount, read back by debugfs.
	echo x > mnt/xf || atf_fail "create xf"
	python3 -c 'import os, sys
os.setxattr("mnt/xf", "user.color", b"blue")
assert os.getxattr("mnt/xf", "user.color") == b"blue"
assert os.listxattr("mnt/xf") == ["user.color"]
os.setxattr("mnt/xf", "user.gone", b"x")
os.removexattr("mnt/xf", "user.gone")' || atf_fail "xattrs through the mount"
	fuse_stop mnt
	atf_check -s exit:0 -o ignore -e ignore e2fsck -fn e2.img
	atf_check -s exit:0 -o inline:"blue\n" -e ignore \
	    debugfs -R "ea_get -V /xf user.color" e2.img
}
ext2_host_tools_cleanup()
{
	fuse_cleanup
}

atf_test_case fat_owner_options cleanup
fat_owner_options_head()
{
	atf_set "descr" "FAT with -o uid=,gid=,umask= (and fmask=,dmask=): the owners and modes the host sees through the mount, for files mtools made and files made through the mount"
}
fat_owner_options_body()
{
	require_fuse
	require_tool mkfs.fat dosfstools
	require_tool mcopy mtools
	export PATH=$PATH:/sbin:/usr/sbin MTOOLS_SKIP_CHECK=1
	mkfs.fat -C fat.img 4096 >/dev/null || atf_fail "mkfs.fat"
	echo hi > f.txt
	atf_check mcopy -i fat.img f.txt ::/f.txt
	atf_check mmd -i fat.img ::/d
	mkdir mnt
	fuse_start -o uid=1234,gid=5678,umask=027 fat.img mnt
	echo new > mnt/d/new.txt || atf_fail "create through the mount"
	atf_check -o inline:"1234 5678 750\n1234 5678 750\n1234 5678 750\n" \
	    stat -c '%u %g %a' mnt/f.txt mnt/d mnt/d/new.txt
	atf_check -o inline:"hi\n" cat mnt/f.txt
	fuse_stop mnt
	fuse_start -o uid=4321,fmask=133,dmask=022 fat.img mnt
	atf_check -o inline:"4321 $(id -g) 644\n4321 $(id -g) 755\n" \
	    stat -c '%u %g %a' mnt/d/new.txt mnt/d
	fuse_stop mnt
	atf_check -o inline:"new\n" mtype -i fat.img ::/d/new.txt
}
fat_owner_options_cleanup()
{
	fuse_cleanup
}

atf_test_case partition cleanup
partition_head()
{
	atf_set "descr" "IMAGE:PART mounts partition 2 of an MBR-partitioned image (FAT inside): the tree mtools put there is seen, a file written through the mount lands there, partition 1 is untouched; fsck.fat clean"
}
partition_body()
{
	require_fuse
	require_tool mkfs.fat dosfstools
	require_tool mcopy mtools
	require_tool sfdisk fdisk
	export PATH=$PATH:/sbin:/usr/sbin MTOOLS_SKIP_CHECK=1
	truncate -s 12m disk.img
	printf 'label: dos\nstart=2048, size=4096\nstart=8192, size=16384\n' |
	    sfdisk -q disk.img >/dev/null 2>&1 || atf_fail "sfdisk failed"
	head -c 2097152 /dev/urandom > p1.bin
	dd if=p1.bin of=disk.img bs=512 seek=2048 conv=notrunc status=none
	mkfs.fat -C p2.img 8192 >/dev/null || atf_fail "mkfs.fat"
	echo inside > in.txt
	atf_check mcopy -i p2.img in.txt ::/in.txt
	dd if=p2.img of=disk.img bs=512 seek=8192 conv=notrunc status=none
	mkdir mnt
	fuse_start disk.img:2 mnt
	atf_check -o inline:"inside\n" cat mnt/in.txt
	echo written > mnt/out.txt || atf_fail "write through the mount"
	fuse_stop mnt
	atf_check -s exit:1 -o ignore -e match:"disk.img: no partition 3" "$(fuse_bin)" disk.img:3 mnt
	dd if=disk.img of=p2.img bs=512 skip=8192 count=16384 status=none
	atf_check -o ignore -e ignore fsck.fat -n p2.img
	atf_check -o inline:"written\n" mtype -i p2.img ::/out.txt
	dd if=disk.img of=p1.out bs=512 skip=2048 count=4096 status=none
	atf_check cmp p1.bin p1.out
}
partition_cleanup()
{
	fuse_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case usage
	atf_add_test_case fat_host_tools
	atf_add_test_case ext2_host_tools
	atf_add_test_case fat_owner_options
	atf_add_test_case partition
}
