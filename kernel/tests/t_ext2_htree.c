/*
 * t_ext2_htree.c: indexed directories (dir_index) that strata grows
 * itself, checked with e2fsprogs.
 *
 *  - a linear directory becomes indexed when its first block is full,
 *    as on Linux (the root with "." and "..", the names in leaves by
 *    hash), and a second index level is added when the root is full;
 *  - the tree that ext2 allows (root -> nodes -> leaves) full too: the
 *    directory loses its index flag and stays readable;
 *  - randomized creations and removals across both thresholds.
 * Every step: `e2fsck -fn` clean, `debugfs -R htree` shows the levels
 * expected, `debugfs -R "ls -p"` lists exactly the names strata has
 * (with their inodes), and lookups through strata read only the blocks
 * the index leads to (ext2_dirblk_reads()).  Skipped with a reason when
 * e2fsprogs is missing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_ext2.h"

#define IMG	"htree.img"
#define DIR	EXT2_MNT "/d"

/*
 * The index of dir as debugfs sees it: -1 when it has none, otherwise
 * its indirect_levels (0: root -> leaves, 1: root -> nodes -> leaves).
 */
static int
htree_levels(const char *dir)
{
	char cmd[256], *line = NULL;
	size_t cap = 0;
	int levels = -2;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'htree %s' " IMG " 2>&1",
	    dir);
	f = popen(cmd, "r");
	ATF_REQUIRE(f != NULL);
	while (getline(&line, &cap, f) > 0) {
		if (strstr(line, "Not a hash-indexed directory") != NULL)
			levels = -1;
		else if (sscanf(line, " Indirect levels: %d", &levels) == 1)
			break;
	}
	while (getline(&line, &cap, f) > 0)
		continue;
	free(line);
	pclose(f);
	ATF_REQUIRE_MSG(levels >= -1, "debugfs htree %s: no answer", dir);
	return levels;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * debugfs must list exactly the names of [0, n) that present() says
 * are there, plus "." and "..", each with the inode strata gives it
 * (every stride-th of them looked up through strata).
 */
static void
debugfs_names(const char *dir, int n, void (*namefn)(char *, size_t, int),
    bool (*present)(int), size_t stride)
{
	char cmd[256], name[300], path[400], *line = NULL, *p, *q;
	char **got = NULL, **want = NULL;
	unsigned long *gotino = NULL;
	size_t cap = 0, ngot = 0, nwant = 0, i, bad = 0;
	struct stat st;
	FILE *f;
	int k;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'ls -p %s' " IMG
	    " 2>/dev/null", dir);
	f = popen(cmd, "r");
	ATF_REQUIRE(f != NULL);
	/* Lines: /ino/mode/uid/gid/name/size/ */
	while (getline(&line, &cap, f) > 0) {
		unsigned long ino;
		int field;

		if (line[0] != '/')
			continue;
		/* Empty records (inode 0) are listed too. */
		ino = strtoul(line + 1, NULL, 10);
		if (ino == 0)
			continue;
		for (p = line, field = 0; field < 4 && p != NULL; field++)
			p = strchr(p + 1, '/');
		ATF_REQUIRE_MSG(p != NULL && (q = strchr(p + 1, '/')) != NULL,
		    "debugfs ls -p: %s", line);
		got = realloc(got, (ngot + 1) * sizeof(*got));
		gotino = realloc(gotino, (ngot + 1) * sizeof(*gotino));
		ATF_REQUIRE(got != NULL && gotino != NULL);
		got[ngot] = strndup(p + 1, (size_t)(q - p - 1));
		gotino[ngot] = ino;
		ngot++;
	}
	free(line);
	pclose(f);
	want = calloc((size_t)n + 2, sizeof(*want));
	ATF_REQUIRE(want != NULL);
	want[nwant++] = strdup(".");
	want[nwant++] = strdup("..");
	for (k = 0; k < n; k++) {
		if (!present(k))
			continue;
		namefn(name, sizeof(name), k);
		want[nwant++] = strdup(name);
	}
	/* Inodes as strata sees them, before sorting loses the order. */
	for (i = 0; i < ngot; i += stride) {
		snprintf(path, sizeof(path), "%s%s/%s", EXT2_MNT, dir,
		    got[i]);
		if (rump_sys_lstat(path, &st) == -1 ||
		    (unsigned long)st.st_ino != gotino[i]) {
			if (bad++ < 5)
				fprintf(stderr, "debugfs has %s as inode %lu, "
				    "strata: %s\n", got[i], gotino[i],
				    strerror(errno));
		}
	}
	ATF_CHECK_EQ_MSG(bad, 0, "%zu names of %s with another inode "
	    "through strata", bad, dir);
	qsort(got, ngot, sizeof(*got), cmpstr);
	qsort(want, nwant, sizeof(*want), cmpstr);
	ATF_CHECK_EQ_MSG(ngot, nwant, "debugfs lists %zu names in %s, "
	    "strata made %zu", ngot, dir, nwant);
	for (i = 0, bad = 0; i < ngot && i < nwant; i++) {
		if (strcmp(got[i], want[i]) != 0 && bad++ < 5)
			fprintf(stderr, "debugfs %s, want %s\n", got[i],
			    want[i]);
	}
	ATF_CHECK_EQ_MSG(bad, 0, "debugfs and strata disagree on the "
	    "names of %s", dir);
	for (i = 0; i < ngot; i++)
		free(got[i]);
	for (i = 0; i < nwant; i++)
		free(want[i]);
	free(got);
	free(gotino);
	free(want);
}

/* Unmounts, checks the image and what debugfs sees (every stride-th
 * name's inode compared with strata's), mounts again. */
static void
check_image_stride(int levels, int n, void (*namefn)(char *, size_t, int),
    bool (*present)(int), size_t stride)
{
	int got;

	umount_ext2();
	fsck_clean(IMG);
	got = htree_levels("/d");
	ATF_CHECK_EQ_MSG(got, levels, "debugfs: /d has %s%d index levels, "
	    "want %d", got < 0 ? "no index, " : "", got + 1, levels + 1);
	mount_ext2(IMG, true);
	debugfs_names("/d", n, namefn, present, stride);
	umount_ext2();
	mount_ext2(IMG, false);
}

/* The same, every name's inode compared. */
static void
check_image(int levels, int n, void (*namefn)(char *, size_t, int),
    bool (*present)(int))
{
	check_image_stride(levels, n, namefn, present, 1);
}

static bool
all_present(int i)
{
	(void)i;
	return true;
}

static bool
none_present(int i)
{
	(void)i;
	return false;
}

static bool
not_5000th(int i)
{
	return i % 5000 != 0;
}

static bool
odd_present(int i)
{
	return i % 2 == 1;
}

/* 40 bytes: 48-byte records, 20 in the first 1 KiB block after "."
 * and "..". */
static void
gname(char *buf, size_t len, int i)
{
	snprintf(buf, len, "a-name-of-forty-bytes-for-growing-%06d", i);
}

/* 255 bytes, the longest (264-byte records: 3 in a 1 KiB block). */
static void
lname(char *buf, size_t len, int i)
{
	snprintf(buf, len, "%06d-%0248d", i, 0);
}

static void
create_names(int from, int to, void (*namefn)(char *, size_t, int))
{
	char name[300], path[400];
	int fd, i;

	for (i = from; i < to; i++) {
		namefn(name, sizeof(name), i);
		snprintf(path, sizeof(path), DIR "/%s", name);
		RL(fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_EXCL,
		    0644));
		RL(rump_sys_close(fd));
	}
}

/* Hard links to one file: many names, no inodes. */
static void
link_names(int from, int to, void (*namefn)(char *, size_t, int))
{
	char name[300], path[400];
	int i;

	for (i = from; i < to; i++) {
		namefn(name, sizeof(name), i);
		snprintf(path, sizeof(path), DIR "/%s", name);
		RL(rump_sys_link(EXT2_MNT "/target", path));
	}
}

static void
remove_names(int from, int to, int step,
    void (*namefn)(char *, size_t, int))
{
	char name[300], path[400];
	int i;

	for (i = from; i < to; i += step) {
		namefn(name, sizeof(name), i);
		snprintf(path, sizeof(path), DIR "/%s", name);
		RL(rump_sys_unlink(path));
	}
}

static off_t
dir_size(void)
{
	struct stat st;

	RL(rump_sys_stat(DIR, &st));
	return st.st_size;
}

ATF_TC(grow);
ATF_TC_HEAD(grow, tc)
{
	atf_tc_set_md_var(tc, "descr", "dir_index, 1 KiB blocks: a "
	    "directory strata fills stays linear while its first block has "
	    "room (20 names of 40 bytes), becomes indexed with the 21st as "
	    "on Linux (root, two leaves split by hash), grows a second "
	    "index level when the root is full (3000 names); e2fsck -fn "
	    "clean, debugfs shows the levels and every name, lookups go "
	    "through the index; all names removed, remounted, rmdir");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(grow, tc)
{
	mkfs(IMG, "-t ext2 -b 1024 -N 4096", "16M");
	boot();
	mount_ext2(IMG, false);
	RL(rump_sys_mkdir(DIR, 0755));

	create_names(0, 20, gname);
	ATF_CHECK_EQ(dir_size(), 1024);
	check_image(-1, 20, gname, all_present);

	/* The 21st: block 0 becomes the root, its names go to block 1,
	 * which splits into block 2. */
	create_names(20, 21, gname);
	ATF_CHECK_EQ(dir_size(), 3 * 1024);
	check_image(0, 21, gname, all_present);
	lookup_all(DIR, 21, gname, all_present, 1);

	create_names(21, 600, gname);
	check_image(0, 600, gname, all_present);
	lookup_all(DIR, 600, gname, all_present, 1);

	create_names(600, 3000, gname);
	check_image(1, 3000, gname, all_present);
	lookup_all(DIR, 3000, gname, all_present, 2);

	/* Half of them go, then the rest: the index stays, as on Linux
	 * (a directory never shrinks). */
	remove_names(0, 3000, 2, gname);
	check_image(1, 3000, gname, odd_present);
	lookup_all(DIR, 3000, gname, odd_present, 2);
	remove_names(1, 3000, 2, gname);
	check_image(1, 3000, gname, none_present);
	lookup_all(DIR, 3000, gname, none_present, 2);
	/* Names come back into the empty leaves. */
	create_names(0, 300, gname);
	check_image(1, 300, gname, all_present);
	remove_names(0, 300, 1, gname);
	RL(rump_sys_rmdir(DIR));
	umount_ext2();
	fsck_clean(IMG);
}

ATF_TC(grow_blocksizes);
ATF_TC_HEAD(grow_blocksizes, tc)
{
	atf_tc_set_md_var(tc, "descr", "dir_index with 1, 2 and 4 KiB "
	    "blocks and 255-byte names: a directory strata fills gets an "
	    "index and then a second level (the root full), e2fsck -fn "
	    "clean, debugfs shows the levels and every name, lookups "
	    "through the index; every other name removed and the rest "
	    "still found");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(grow_blocksizes, tc)
{
	static const struct {
		const char	*bsize;
		int		 one, two;	/* names for 1 and 2 levels */
	} v[] = {
		{ "1024", 100, 1500 },
		{ "2048", 400, 3000 },
		{ "4096", 1000, 9000 },
	};
	size_t k;
	int fd;

	need_e2fsprogs();
	boot();
	for (k = 0; k < __arraycount(v); k++) {
		fprintf(stderr, "%s-byte blocks\n", v[k].bsize);
		mkfs(IMG, v[k].bsize[0] == '1' ? "-t ext2 -b 1024" :
		    v[k].bsize[0] == '2' ? "-t ext2 -b 2048" :
		    "-t ext2 -b 4096", "64M");
		mount_ext2(IMG, false);
		RL(rump_sys_mkdir(DIR, 0755));
		RL(fd = rump_sys_open(EXT2_MNT "/target", O_WRONLY | O_CREAT,
		    0644));
		RL(rump_sys_close(fd));
		link_names(0, 2, lname);
		check_image(-1, 2, lname, all_present);
		link_names(2, v[k].one, lname);
		check_image(0, v[k].one, lname, all_present);
		lookup_all(DIR, v[k].one, lname, all_present, 1);
		link_names(v[k].one, v[k].two, lname);
		check_image(1, v[k].two, lname, all_present);
		lookup_all(DIR, v[k].two, lname, all_present, 2);
		remove_names(0, v[k].two, 2, lname);
		check_image(1, v[k].two, lname, odd_present);
		lookup_all(DIR, v[k].two, lname, odd_present, 2);
		umount_ext2();
		ATF_REQUIRE_EQ(rump_etfs_remove(EXT2_KEY), 0);
	}
}

/* How many directory blocks one lookup of name i reads (a name that is
 * not there: one ending in '~'). */
static uint64_t
lookup_cost(void (*namefn)(char *, size_t, int), int i, bool present)
{
	char name[300], path[400];
	uint64_t before;

	namefn(name, sizeof(name), i);
	if (!present)
		name[strlen(name) - 1] = '~';
	snprintf(path, sizeof(path), DIR "/%s", name);
	before = dirblk_reads();
	if (present)
		RL(rump_sys_access(path, 0));
	else
		ERR(ENOENT, rump_sys_access(path, 0));
	return dirblk_reads() - before;
}

ATF_TC(full);
ATF_TC_HEAD(full, tc)
{
	atf_tc_set_md_var(tc, "descr", "dir_index, 1 KiB blocks, 255-byte "
	    "names: the two-level tree ext2 allows (124 root entries, 127 "
	    "per node) filled until a full leaf's way has no room for "
	    "another (as Linux, which refuses the name there); then the "
	    "directory loses its index flag (as the format allows), stays "
	    "linear when it grows further or names go, e2fsck -fn clean, "
	    "debugfs lists every name, strata finds them (linearly)");
	atf_tc_set_md_var(tc, "timeout", "600");
}
ATF_TC_BODY(full, tc)
{
	enum { STEP = 25, MAX = 60000 };
	int fd, n, indexed_at = -1;
	off_t nblocks;

	mkfs(IMG, "-t ext2 -b 1024", "48M");
	boot();
	mount_ext2(IMG, false);
	RL(rump_sys_mkdir(DIR, 0755));
	RL(fd = rump_sys_open(EXT2_MNT "/target", O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_close(fd));
	/* A lookup through the index reads 3 directory blocks (root,
	 * node, leaf), 4 with a collision; a linear one thousands. */
	for (n = 0; n < MAX; n += STEP) {
		link_names(n, n + STEP, lname);
		if (lookup_cost(lname, n + STEP - 1, true) > 10 &&
		    lookup_cost(lname, n + STEP / 2, true) > 10)
			break;
		indexed_at = n + STEP;
	}
	nblocks = dir_size() / 1024;
	fprintf(stderr, "index dropped after %d..%d names, directory of "
	    "%lld blocks\n", indexed_at, n + STEP, (long long)nblocks);
	ATF_REQUIRE_MSG(n < MAX, "%d names and still indexed", MAX);
	/* The root's 124 entries lead to nodes of 127 entries, at least
	 * half of them used (a node splits in halves), each for a leaf:
	 * the index is dropped only when the tree is full on the way of a
	 * new name. */
	ATF_CHECK_MSG(nblocks >= 124 * 63, "index dropped at %lld blocks",
	    (long long)nblocks);
	n += STEP;
	/* It stays linear: no index is made for a directory of more
	 * than one block.  Names added and removed linearly. */
	link_names(n, n + 5, lname);
	n += 5;
	ATF_CHECK(lookup_cost(lname, n - 1, false) > 1000);
	remove_names(0, n, 5000, lname);
	/* Lookups are linear now: strata checks a few of the inodes. */
	check_image_stride(-1, n, lname, not_5000th, 5000);
	umount_ext2();
}

/* Names for the random test: i's length is 1..255 bytes. */
static void
rname(char *buf, size_t len, int i)
{
	int n = 1 + (int)((unsigned)i * 2654435761u % 255u);
	int w = snprintf(buf, len, "%d", i);

	if (w < n)
		snprintf(buf + w, len - (size_t)w, "-%0*d", n - w - 1, 0);
}

enum { RPOOL = 4000 };
static bool rpresent[RPOOL];

static bool
r_present(int i)
{
	return rpresent[i];
}

ATF_TC(random);
ATF_TC_HEAD(random, tc)
{
	atf_tc_set_md_var(tc, "descr", "dir_index, 1 KiB blocks: 12000 "
	    "random creations and removals (names of 1 to 255 bytes) in a "
	    "directory strata makes, growing from one block past an index "
	    "of two levels and shrinking again, remounted and checked at "
	    "steps: e2fsck -fn clean, debugfs lists exactly the names of "
	    "the model, every name found or ENOENT through the index");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(random, tc)
{
	char name[300], path[400];
	uint32_t x = 4242;
	int fd, i, k, npresent = 0, levels, maxlevels = -1;
	bool sawlinear = false;

	mkfs(IMG, "-t ext2 -b 1024 -N 8192", "32M");
	boot();
	mount_ext2(IMG, false);
	RL(rump_sys_mkdir(DIR, 0755));
	for (k = 0; k < 12000; k++) {
		bool create;

		x = x * 1103515245u + 12345u;
		i = (int)((x >> 8) % RPOOL);
		x = x * 1103515245u + 12345u;
		/* Mostly creations first, mostly removals after. */
		create = (x >> 8) % 100u < (k < 7000 ? 80u : 20u);
		if (create != rpresent[i]) {
			rname(name, sizeof(name), i);
			snprintf(path, sizeof(path), DIR "/%s", name);
			if (create) {
				RL(fd = rump_sys_open(path, O_WRONLY |
				    O_CREAT | O_EXCL, 0644));
				RL(rump_sys_close(fd));
				npresent++;
			} else {
				RL(rump_sys_unlink(path));
				npresent--;
			}
			rpresent[i] = create;
		}
		/* Step 2: at most 3 names, one block. */
		if (k != 2 && k % 2000 != 1999)
			continue;
		umount_ext2();
		fsck_clean(IMG);
		levels = htree_levels("/d");
		fprintf(stderr, "step %d: %d names, index levels %d\n", k,
		    npresent, levels + 1);
		if (levels == -1)
			sawlinear = true;
		if (levels > maxlevels)
			maxlevels = levels;
		ATF_CHECK_MSG(levels >= 0 || k == 2, "step %d: no index", k);
		mount_ext2(IMG, false);
		debugfs_names("/d", RPOOL, rname, r_present, 1);
		if (levels >= 0)
			lookup_all(DIR, RPOOL, rname, r_present,
			    (unsigned)levels + 1);
	}
	ATF_CHECK(sawlinear);
	ATF_CHECK_EQ(maxlevels, 1);
	umount_ext2();
	fsck_clean(IMG);
	mount_ext2(IMG, true);
	lookup_all(DIR, RPOOL, rname, r_present, 2);
	umount_ext2();
}

ATF_TC(hashes);
ATF_TC_HEAD(hashes, tc)
{
	atf_tc_set_md_var(tc, "descr", "dir_index: directories strata "
	    "indexes take the file system's default hash (legacy, "
	    "half_md4, tea; signed and unsigned; its seed or the default "
	    "one): debugfs shows it, e2fsck -fn (which checks the hash "
	    "order) clean, lookups through the index");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(hashes, tc)
{
	static const struct {
		const char	*hash;
		int		 version, flags;
		bool		 zeroseed;
	} v[] = {
		{ "legacy", 0, 2, false }, { "half_md4", 1, 1, true },
		{ "tea", 2, 2, false }, { "tea", 2, 1, true },
	};
	size_t k;
	int fd;

	need_e2fsprogs();
	boot();
	for (k = 0; k < __arraycount(v); k++) {
		fprintf(stderr, "hash %s, s_flags %d%s\n", v[k].hash,
		    v[k].flags, v[k].zeroseed ? ", default seed" : "");
		mkfs(IMG, "-t ext2 -b 1024", "16M");
		ATF_REQUIRE_EQ(sh("debugfs -w -R 'ssv def_hash_version %s' "
		    IMG " >/dev/null 2>&1 && debugfs -w -R 'ssv flags %d' "
		    IMG " >/dev/null 2>&1", v[k].hash, v[k].flags), 0);
		if (v[k].zeroseed)
			ATF_REQUIRE_EQ(sh("debugfs -w -R 'ssv hash_seed null' "
			    IMG " >/dev/null 2>&1"), 0);
		mount_ext2(IMG, false);
		RL(rump_sys_mkdir(DIR, 0755));
		RL(fd = rump_sys_open(EXT2_MNT "/target", O_WRONLY | O_CREAT,
		    0644));
		RL(rump_sys_close(fd));
		link_names(0, 1500, rname);
		check_image(1, 1500, rname, all_present);
		ATF_CHECK_MSG(sh("debugfs -R 'htree /d' " IMG " 2>/dev/null "
		    "| grep -q 'Hash Version: %d'", v[k].version) == 0,
		    "the root has not hash %s", v[k].hash);
		lookup_all(DIR, 1500, rname, all_present, 2);
		umount_ext2();
		ATF_REQUIRE_EQ(rump_etfs_remove(EXT2_KEY), 0);
	}
}

ATF_TC(no_dir_index);
ATF_TC_HEAD(no_dir_index, tc)
{
	atf_tc_set_md_var(tc, "descr", "Without the dir_index feature a "
	    "directory strata fills stays linear (e2fsck -fn clean, every "
	    "name listed by debugfs); with large_dir (ext4's third index "
	    "level) the file system mounts read-only only (EROFS)");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(no_dir_index, tc)
{
	mkfs(IMG, "-t ext2 -b 1024 -O ^dir_index", "8M");
	boot();
	mount_ext2(IMG, false);
	RL(rump_sys_mkdir(DIR, 0755));
	create_names(0, 600, gname);
	check_image(-1, 600, gname, all_present);
	lookup_all(DIR, 600, gname, all_present, 0);
	umount_ext2();
	ATF_REQUIRE_EQ(rump_etfs_remove(EXT2_KEY), 0);

	mkfs(IMG, "-t ext2 -b 1024 -O large_dir", "8M");
	ATF_REQUIRE_EQ(rump_etfs_register(EXT2_KEY, IMG, RUMP_ETFS_BLK), 0);
	ERR(EROFS, rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext2", 0, NULL));
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext2", 1, NULL));
	umount_ext2();
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, grow);
	ATF_TP_ADD_TC(tp, grow_blocksizes);
	ATF_TP_ADD_TC(tp, full);
	ATF_TP_ADD_TC(tp, random);
	ATF_TP_ADD_TC(tp, hashes);
	ATF_TP_ADD_TC(tp, no_dir_index);
	return atf_no_error();
}
