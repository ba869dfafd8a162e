#! /usr/bin/env atf-sh
#
# t_img: strata-img end to end: its own ext2 formatter (e2fsck -fn clean,
# debugfs reads what -d put in), every subcommand, copies in and out with
# -a keeping modes, owners, times and links, partitions, and errors that
# name the image and the path.  Needs e2fsprogs (skipped without).

img_tool()
{
	echo "$(atf_config_get platform_prefix)/bin/strata-img"
}

need_e2fsprogs()
{
	for p in mke2fs e2fsck debugfs; do
		command -v $p >/dev/null 2>&1 ||
		    atf_skip "e2fsprogs ($p) is not installed"
	done
}

# A host tree with files, a hard link, symlinks, modes and times.
make_tree()
{
	mkdir -p src/a/b/c src/empty
	printf 'hello\n' >src/hello
	head -c 300000 /dev/urandom >src/a/random
	head -c 5000000 /dev/urandom >src/a/b/big
	: >src/a/b/c/zero
	ln src/hello src/a/hardlink
	ln -s ../hello src/a/rel-link
	ln -s "$(printf '%0200d' 0)" src/long-link
	chmod 0751 src/a/b
	chmod 0640 src/a/random
	touch -d '2001-02-03 04:05:06' src/hello
	i=0
	while [ $i -lt 200 ]; do
		echo $i >src/a/many-$i
		i=$((i + 1))
	done
}

atf_test_case mkfs_fill
mkfs_fill_head()
{
	atf_set "descr" "mkfs -t ext2 -d: e2fsck -fn clean for several sizes, contents readable by debugfs and strata-img, a directory of 200 files indexed (dir_index) at 1 KiB blocks"
	atf_set "timeout" "300"
}
mkfs_fill_body()
{
	need_e2fsprogs
	img=$(img_tool)
	make_tree
	for size in 8m 100m 600m; do
		rm -f fs.img
		atf_check "$img" mkfs -t ext2 -s $size -d src -L test fs.img
		atf_check -o ignore -e ignore e2fsck -fn fs.img
		atf_check -o ignore -e ignore debugfs -R "dump /a/b/big big.out" fs.img
		atf_check cmp big.out src/a/b/big
		atf_check -o save:cat.out "$img" cat fs.img:/a/random
		atf_check cmp cat.out src/a/random
		# dir_index as mke2fs sets it: /a, past its first block
		# at 1 KiB, is indexed.
		if [ $size != 600m ]; then
			atf_check -o match:'Indirect levels: 0' -e ignore \
			    debugfs -R 'htree /a' fs.img
		fi
	done
	# Statistics of the strata formatter match mke2fs's for the size.
	atf_check -o ignore -e ignore mke2fs -q -F -t ext2 -O ^resize_inode,^dir_index,^ext_attr ref.img 100m
	"$img" mkfs -t ext2 -s 100m fs.img
	want=$(dumpe2fs -h ref.img 2>/dev/null | grep -E '^(Block size|Inode count|Block count|Blocks per group|Inode size):')
	got=$(dumpe2fs -h fs.img 2>/dev/null | grep -E '^(Block size|Inode count|Block count|Blocks per group|Inode size):')
	[ "$want" = "$got" ] || atf_fail "geometry differs from mke2fs: $got vs $want"
}

atf_test_case commands
commands_head()
{
	atf_set "descr" "ls, stat, cat, cp in/out/-a (owners as debugfs reads them)/-r, mkdir -p, rm -r, mv, ln, ln -s, chmod, chown, df, check"
	atf_set "timeout" "300"
}
commands_body()
{
	need_e2fsprogs
	img=$(img_tool)
	make_tree
	# Owners that differ from the caller's where the host allows.
	if [ "$(id -u)" = 0 ]; then
		chown 4242:4343 src/a/random
		chown -h 4244:4345 src/a/rel-link
		chown 4246:4347 src/a/b
	fi
	atf_check "$img" mkfs -t ext2 -s 32m fs.img
	atf_check "$img" cp -a src fs.img:/
	atf_check -o ignore -e ignore e2fsck -fn fs.img
	# cp -a kept the owners: as debugfs reads them.
	for f in hello a/random a/rel-link a/b a/b/big; do
		want=$(stat -c '%u %g' "src/$f")
		got=$(debugfs -R "stat /src/$f" fs.img 2>/dev/null |
		    sed -n 's/^User: *\([0-9]*\) *Group: *\([0-9]*\).*/\1 \2/p')
		[ "$want" = "$got" ] || atf_fail "cp -a: /src/$f owned by '$got', not '$want'"
	done

	atf_check -o match:'^a$' -o match:'^hello$' "$img" ls fs.img:/src
	atf_check -o match:'^-rw-r-----.* 300000 .*random$' \
	    -o match:'rel-link -> ../hello' "$img" ls -l fs.img:/src/a
	atf_check -o match:'fs.img:/src/a/b/c:' "$img" ls -R fs.img:/src
	atf_check -o match:'Size: 6' -o match:'Links: 2' \
	    -o match:'Modify: 2001-02-03' "$img" stat fs.img:/src/hello
	atf_check -o inline:'hello\n' "$img" cat fs.img:/src/a/hardlink

	# Out again with -a: identical tree, modes, times, links.
	atf_check "$img" cp -a fs.img:/src back
	atf_check diff -r --no-dereference src back
	[ "$(stat -c '%a %Y' src/a/random src/a/b src/hello)" = \
	  "$(stat -c '%a %Y' back/a/random back/a/b back/hello)" ] ||
	    atf_fail "modes or times not kept"
	[ "$(stat -c %i back/hello)" = "$(stat -c %i back/a/hardlink)" ] ||
	    atf_fail "hard link not kept"
	[ "$(stat -c '%u %g' src/a/random src/a/rel-link src/a/b)" = \
	  "$(stat -c '%u %g' back/a/random back/a/rel-link back/a/b)" ] ||
	    atf_fail "owners not kept by cp -a out"

	# cp -r in and out: contents, symbolic links and directories, but
	# neither times nor hard links; without -r a directory is refused.
	atf_check "$img" cp -r src fs.img:/r
	atf_check -o match:'Links: 1' -o not-match:'Modify: 2001' \
	    "$img" stat fs.img:/r/hello
	atf_check "$img" cp -r fs.img:/r rback
	atf_check diff -r --no-dereference src rback
	[ "$(stat -c %i rback/hello)" != "$(stat -c %i rback/a/hardlink)" ] ||
	    atf_fail "cp -r made a hard link"
	atf_check -s exit:1 -e match:'src: is a directory \(not copied; use -r\)' \
	    "$img" cp src fs.img:/nodir
	atf_check -s exit:1 -e match:'fs.img:/r: is a directory' \
	    "$img" cp fs.img:/r nodir
	atf_check -s exit:1 -e match:'fs.img:/nodir: No such file' \
	    "$img" ls fs.img:/nodir
	[ ! -e nodir ] || atf_fail "cp without -r copied a directory out"
	atf_check "$img" rm -r fs.img:/r

	atf_check "$img" mkdir -p fs.img:/x/y/z
	atf_check "$img" cp src/hello fs.img:/x/y/z/
	atf_check "$img" cp src/hello fs.img:/x/y/copy
	atf_check "$img" mv fs.img:/x/y/copy fs.img:/x/moved
	atf_check "$img" ln fs.img:/x/moved fs.img:/x/hard
	atf_check "$img" ln -s /x/moved fs.img:/x/soft
	atf_check "$img" chmod 600 fs.img:/x/moved
	atf_check "$img" chown 42:43 fs.img:/x/moved
	atf_check -o match:'^-rw-------   2    42    43 ' "$img" ls -l fs.img:/x/hard
	atf_check "$img" cp -a fs.img:/x xback
	if [ "$(id -u)" = 0 ]; then
		[ "$(stat -c '%u %g %a' xback/moved)" = "42 43 600" ] ||
		    atf_fail "cp -a out: $(stat -c '%u %g %a' xback/moved), not 42 43 600"
	fi
	atf_check -o match:'soft -> /x/moved' "$img" ls -l fs.img:/x
	atf_check "$img" rm fs.img:/x/hard
	atf_check "$img" rm -r fs.img:/src/a/b
	atf_check -s exit:1 -e match:'fs.img:/src/a/b: No such file' \
	    "$img" ls fs.img:/src/a/b
	atf_check -o match:'fs.img ' "$img" df fs.img
	atf_check -o match:'0 problems' "$img" check fs.img
	atf_check -o ignore -e ignore e2fsck -fn fs.img

	# Errors name the image and the path.
	atf_check -s exit:1 -e match:'fs.img:/nope: No such file or directory' \
	    "$img" cat fs.img:/nope
	atf_check -s exit:1 -e match:'missing.img' "$img" ls missing.img:/
	atf_check -s exit:1 -e match:'rm: fs.img:/x: Is a directory|fs.img:/x: Is a directory' \
	    "$img" rm fs.img:/x
	atf_check -s exit:2 -e match:'unknown command' "$img" frobnicate
	atf_check -o match:'usage: strata-img' "$img" --help
	atf_check -o match:'usage: strata-img' "$img" cp --help
}

atf_test_case check_damaged
check_damaged_head()
{
	atf_set "descr" "check finds a link count that debugfs broke (exit 1, the file and the problem named); an ext4 feature the kernel cannot mount is named in strata-img's own error line"
}
check_damaged_body()
{
	need_e2fsprogs
	img=$(img_tool)
	atf_check "$img" mkfs -t ext2 -s 4m fs.img
	atf_check "$img" mkdir -p fs.img:/d/e
	atf_check "$img" cp /etc/hostname fs.img:/d/e/f
	atf_check -o match:'0 problems' "$img" check fs.img
	atf_check -o ignore -e ignore debugfs -w -R 'sif /d/e/f links_count 3' fs.img
	atf_check -s exit:1 -o match:'fs.img:/d/e/f: link count 3, but 1 names found' \
	    -o match:'1 problems' "$img" check fs.img
	atf_check -s exit:4 -o ignore -e ignore e2fsck -fn fs.img

	# inline_data: no mount at all; strata-img's own error names it,
	# from the kernel's messages (syslog(2)).
	atf_check -o ignore -e ignore mke2fs -q -F -t ext4 -O inline_data in.img 8m
	atf_check -s exit:1 \
	    -e match:'^strata-img: in.img: cannot mount \(ext2fs: cannot mount: feature inline_data\)$' \
	    "$img" ls in.img:/
	# extents: read-only; writing is refused, naming the feature.
	atf_check -o ignore -e ignore mke2fs -q -F -t ext4 ro.img 8m
	atf_check -s exit:1 \
	    -e match:'^strata-img: ro.img: cannot mount read-write: Read-only file system \(ext2fs: read-only only \(mount with ro\): feature extent\)$' \
	    "$img" cp /etc/hostname ro.img:/h
	atf_check -o match:'lost\+found' "$img" ls ro.img:/
}

atf_test_case partitions
partitions_head()
{
	atf_set "descr" "IMAGE:PART:/path reaches an ext2 file system in an MBR and a GPT partition"
}
partitions_body()
{
	need_e2fsprogs
	command -v sfdisk >/dev/null 2>&1 || atf_skip "sfdisk (fdisk) is not installed"
	img=$(img_tool)
	for label in dos gpt; do
		rm -f disk.img
		truncate -s 40m disk.img
		printf 'label: %s\nstart=2048, size=20480\nstart=24576, size=40960\n' \
		    $label | sfdisk -q disk.img >/dev/null 2>&1 ||
		    atf_fail "sfdisk failed"
		truncate -s 20m p2.img
		atf_check -o ignore -e ignore mke2fs -q -F -t ext2 p2.img
		atf_check -o ignore -e ignore debugfs -w -R "write /etc/hostname h" p2.img
		dd if=p2.img of=disk.img bs=512 seek=24576 conv=notrunc status=none
		atf_check -o file:/etc/hostname "$img" cat disk.img:2:/h
		atf_check "$img" cp /etc/hostname disk.img:2:/copy
		atf_check -s exit:1 -e match:'no partition 3' "$img" ls disk.img:3:/
		dd if=disk.img of=p2.img bs=512 skip=24576 count=40960 status=none
		atf_check -o ignore -e ignore e2fsck -fn p2.img
	done
}

atf_init_test_cases()
{
	atf_add_test_case mkfs_fill
	atf_add_test_case commands
	atf_add_test_case check_damaged
	atf_add_test_case partitions
}
