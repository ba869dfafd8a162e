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
	atf_set "descr" "ls, stat, cat, cp in/out/-a, mkdir -p, rm -r, mv, ln, ln -s, chmod, chown, df, check"
	atf_set "timeout" "300"
}
commands_body()
{
	need_e2fsprogs
	img=$(img_tool)
	make_tree
	atf_check "$img" mkfs -t ext2 -s 32m fs.img
	atf_check "$img" cp -a src fs.img:/
	atf_check -o ignore -e ignore e2fsck -fn fs.img

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

	atf_check "$img" mkdir -p fs.img:/x/y/z
	atf_check "$img" cp src/hello fs.img:/x/y/z/
	atf_check "$img" cp src/hello fs.img:/x/y/copy
	atf_check "$img" mv fs.img:/x/y/copy fs.img:/x/moved
	atf_check "$img" ln fs.img:/x/moved fs.img:/x/hard
	atf_check "$img" ln -s /x/moved fs.img:/x/soft
	atf_check "$img" chmod 600 fs.img:/x/moved
	atf_check "$img" chown 42:43 fs.img:/x/moved
	atf_check -o match:'^-rw-------   2    42    43 ' "$img" ls -l fs.img:/x/hard
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
	atf_add_test_case partitions
}
