#! /usr/bin/env atf-sh
#
# t_img_vfat: strata-img mkfs -t vfat (apps/img/img_vfat.c, strata's own
# FAT formatter): images of every FAT type, as their sizes call for, pass
# fsck.fat -n, and mtools and strata-img read them.  Skips until
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

atf_init_test_cases()
{
	atf_add_test_case sizes
}
