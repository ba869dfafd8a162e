#! /usr/bin/env atf-sh
#
# t_img_vfat: strata-img mkfs -t vfat (apps/img/img_vfat.c, strata's own
# FAT formatter): images of every FAT type, as their sizes call for, pass
# fsck.fat -n, and mtools and strata-img read them; the other subcommands
# on a FAT image, checked with mtools.  Skips until
# strata-img is built, and without dosfstools or mtools.

img_bin()
{
	echo "$(atf_config_get builddir)/apps/stage/bin/strata-img"
}

atf_test_case sizes
sizes_head()
{
	atf_set "descr" "mkfs -t vfat makes FAT12, FAT16 and FAT32 as their sizes call for; fsck.fat finds them clean; mtools and strata-img read them"
	atf_set "timeout" "300"
}
sizes_body()
{
	bin=$(img_bin)
	[ -x "$bin" ] || atf_skip "strata-img was not built"
	PATH=$PATH:/sbin:/usr/sbin
	command -v fsck.fat >/dev/null 2>&1 || atf_skip "fsck.fat is not installed (Debian: dosfstools)"
	command -v mdir >/dev/null 2>&1 || atf_skip "mdir is not installed (Debian: mtools)"
	export MTOOLS_SKIP_CHECK=1
	for spec in 1M:FAT12 1440k:FAT12 40M:FAT16 300M:FAT16 600M:FAT32; do
		size=${spec%:*} type=${spec#*:}
		atf_check "$bin" mkfs -t vfat -s "$size" -L STRATA "img$size"
		fsck.fat -n "img$size" >fsck.out 2>&1 ||
		    { cat fsck.out; atf_fail "fsck.fat -n img$size failed"; }
		if grep -v -e '^fsck.fat' -e 'files, .* clusters$' fsck.out; then
			atf_fail "fsck.fat complains about img$size"
		fi
		# The type string of the boot sector: FAT12/16 at 54, FAT32 at 82.
		t=$(dd if="img$size" bs=1 skip=54 count=5 2>/dev/null | tr -d '\0')
		case $t in
		FAT1*) ;;
		*) t=$(dd if="img$size" bs=1 skip=82 count=5 2>/dev/null | tr -d '\0') ;;
		esac
		[ "$t" = "$type" ] || atf_fail "img$size is $t, not $type"
		mdir -i "img$size" ::/ >/dev/null || atf_fail "mtools cannot read img$size"
		atf_check -o ignore "$bin" ls "img$size:/"
	done
	atf_check -s not-exit:0 -e match:"too small" "$bin" mkfs -t vfat -s 64k small.img
}

atf_test_case fill
fill_head()
{
	atf_set "descr" "mkfs -t vfat -d fills an image from a tree with modes FAT cannot hold (kept as the read-only attribute, no errors); df counts 512-byte clusters"
	atf_set "timeout" "300"
}
fill_body()
{
	bin=$(img_bin)
	[ -x "$bin" ] || atf_skip "strata-img was not built"
	PATH=$PATH:/sbin:/usr/sbin
	command -v fsck.fat >/dev/null 2>&1 || atf_skip "fsck.fat is not installed (Debian: dosfstools)"
	command -v mattrib >/dev/null 2>&1 || atf_skip "mattrib is not installed (Debian: mtools)"
	export MTOOLS_SKIP_CHECK=1
	mkdir -p tree/sub
	echo hello >tree/rw.txt
	echo fixed >tree/ro.txt
	echo run >tree/sub/x.sh
	chmod 0644 tree/rw.txt
	chmod 0444 tree/ro.txt
	chmod 0755 tree/sub/x.sh
	chmod 0700 tree/sub
	atf_check -o ignore -e empty "$bin" mkfs -t vfat -s 8M -d tree fill.img
	fsck.fat -n fill.img >fsck.out 2>&1 ||
	    { cat fsck.out; atf_fail "fsck.fat -n fill.img failed"; }
	atf_check -o inline:"hello\n" mtype -i fill.img ::/rw.txt
	atf_check -o inline:"run\n" mtype -i fill.img ::/sub/x.sh
	atf_check -o match:" R +::/ro.txt" mattrib -i fill.img ::/ro.txt
	atf_check -o not-match:" R +::/rw.txt" mattrib -i fill.img ::/rw.txt

	# 512-byte clusters: df must not round them down to nothing.
	rm -f small.img
	mkfs.fat -F 12 -s 1 -S 512 -C small.img 2048 >/dev/null
	atf_check -o save:df.out "$bin" df small.img
	set -- $(tail -n 1 df.out)
	[ "$2" -gt 1900 ] && [ "$2" -le 2048 ] ||
	    atf_fail "df small.img: $2 1K-blocks (of a 2 MiB image)"
	[ "$4" -gt 1900 ] || atf_fail "df small.img: $4 KiB available"
}

atf_test_case commands
commands_head()
{
	atf_set "descr" "cp (in, out, -r), mkdir -p, rm -r, mv, cat and stat on a FAT image, each checked with mtools; fsck.fat -n clean after"
	atf_set "timeout" "300"
}
commands_body()
{
	bin=$(img_bin)
	[ -x "$bin" ] || atf_skip "strata-img was not built"
	PATH=$PATH:/sbin:/usr/sbin
	command -v fsck.fat >/dev/null 2>&1 || atf_skip "fsck.fat is not installed (Debian: dosfstools)"
	command -v mcopy >/dev/null 2>&1 || atf_skip "mcopy is not installed (Debian: mtools)"
	export MTOOLS_SKIP_CHECK=1
	mkdir -p t/sub
	echo hello >t/hello.txt
	head -c 100000 /dev/urandom >"t/sub/A long name.bin"
	: >t/sub/empty
	atf_check "$bin" mkfs -t vfat -s 4M fat.img

	atf_check "$bin" mkdir -p fat.img:/a/b/c
	atf_check -o match:'^c +<DIR>' mdir -i fat.img ::/a/b
	atf_check "$bin" cp t/hello.txt fat.img:/a/b/c/
	atf_check -o inline:'hello\n' mtype -i fat.img ::/a/b/c/hello.txt
	atf_check "$bin" cp -r t fat.img:/tree
	atf_check mcopy -i fat.img "::/tree/sub/A long name.bin" long.out
	atf_check cmp long.out "t/sub/A long name.bin"
	atf_check -o match:'empty' mdir -i fat.img ::/tree/sub

	atf_check "$bin" mv fat.img:/a/b/c/hello.txt fat.img:/a/renamed.txt
	atf_check -o inline:'hello\n' mtype -i fat.img ::/a/renamed.txt
	atf_check -s not-exit:0 -o ignore -e ignore mtype -i fat.img ::/a/b/c/hello.txt
	atf_check -o match:'Size: 6' -o match:'regular file' \
	    "$bin" stat fat.img:/a/renamed.txt

	# What mtools put in, strata-img reads.
	printf 'from mtools\n' >m.txt
	atf_check mcopy -i fat.img m.txt ::/a/b/m.txt
	atf_check -o inline:'from mtools\n' "$bin" cat fat.img:/a/b/m.txt
	atf_check "$bin" cp fat.img:/a/b/m.txt m.back
	atf_check cmp m.txt m.back

	atf_check "$bin" cp -r fat.img:/tree back
	atf_check diff -r t back
	atf_check "$bin" rm -r fat.img:/a
	atf_check -s not-exit:0 -o ignore -e ignore mdir -i fat.img ::/a
	atf_check -o not-match:'^a +<DIR>' -o match:'^tree +<DIR>' mdir -i fat.img ::/
	fsck.fat -n fat.img >fsck.out 2>&1 ||
	    { cat fsck.out; atf_fail "fsck.fat -n fat.img failed"; }
	if grep -v -e '^fsck.fat' -e 'files, .* clusters$' fsck.out; then
		atf_fail "fsck.fat complains about fat.img"
	fi
}

atf_init_test_cases()
{
	atf_add_test_case sizes
	atf_add_test_case fill
	atf_add_test_case commands
}
