/*
 * strata-img: read and change disk images without root, kernel drivers
 * or trust in the image: the file systems run in a rump kernel inside
 * this process (layer 4 over the installed kernel and platform).
 *
 * Subcommands are named and flagged like the shell commands they mirror;
 * a path inside an image is written IMAGE[:PART]:/path (PART: a
 * partition number of an MBR or GPT), any other argument is a host path.
 * See strata-img(1) or `strata-img --help`.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_etfs.h>
#include <rump/rump_syscalls.h>

#include "img.h"

static const char *prog = "strata-img";
static FILE *out;		/* the real standard output */
static int nerrors;

static const char usage_text[] =
"usage: strata-img COMMAND [OPTIONS] ARGS...\n"
"\n"
"Paths inside an image are IMAGE[:PART]:/path; PART is a partition number\n"
"(MBR 1-4 primary, 5+ logical; GPT entry number).  Other paths are host paths.\n"
"\n"
"  ls [-l] [-R] [-a] IMG:/path...      list directories\n"
"  stat IMG:/path...                   show attributes\n"
"  cat IMG:/path...                    write files to standard output\n"
"  cp [-a|-r] SRC... DST               copy into, out of or within an image\n"
"                                      (-r: directories; -a: -r and keep modes,\n"
"                                      owners, times, symlinks and hard links)\n"
"  mkdir [-p] IMG:/path...             make directories\n"
"  rm [-r] [-f] IMG:/path...           remove\n"
"  mv IMG:/from IMG:/to                rename within an image\n"
"  ln [-s] TARGET IMG:/name            hard link (TARGET an image path) or\n"
"                                      symbolic link (-s: TARGET any text)\n"
"  chmod MODE IMG:/path...             octal MODE\n"
"  chown UID[:GID] IMG:/path...        numeric ids\n"
"  df IMAGE[:PART]...                  space and inodes\n"
"  check IMAGE[:PART]                  consistency check from the kernel's view\n"
"  mkfs -t TYPE -s SIZE [-d HOSTDIR] [-L LABEL] IMAGE\n"
"                                      make a new file system (TYPE: %s)\n"
"                                      of SIZE bytes (k, m, g suffixes),\n"
"                                      filled from HOSTDIR\n"
"\n"
"  --help                              this text; COMMAND --help: the same\n";

static void
usage(FILE *f)
{
	char types[128] = "";
	const struct img_fstype *const *t;

	for (t = __start_img_fstypes; t < __stop_img_fstypes; t++) {
		if (types[0] != '\0')
			strncat(types, "|", sizeof(types) - strlen(types) - 1);
		strncat(types, (*t)->name, sizeof(types) - strlen(types) - 1);
	}
	fprintf(f, usage_text, types);
}

static void __attribute__((format(printf, 1, 2)))
warnmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	nerrors++;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* snprintf into a fixed buffer; a name that does not fit is an error
 * rather than a silently shortened path. */
#define xsnprintf(buf, len, ...) do {					\
	if ((size_t)snprintf((buf), (len), __VA_ARGS__) >= (size_t)(len)) \
		die("name too long: %s", (buf));			\
} while (0)

/* --- Images ------------------------------------------------------------- */

#define MAXIMG	4

struct image {
	char	*file;		/* host path */
	int	 part;		/* 0: whole */
	bool	 rw;
	bool	 mounted;
	char	 key[32];
	char	 mnt[32];
	char	 spec[PATH_MAX + 16];	/* IMAGE[:PART] as given */
};
static struct image images[MAXIMG];
static int nimages;
static bool booted;

/* An argument: an image path, or a host path (img NULL). */
struct loc {
	struct image	*img;
	char		 path[PATH_MAX];	/* in the image or host */
	char		 kpath[PATH_MAX + 40];	/* through the mount */
	const char	*arg;			/* as given, for messages */
};

static struct image *
image_get(const char *file, int part)
{
	int i;

	for (i = 0; i < nimages; i++)
		if (strcmp(images[i].file, file) == 0 &&
		    images[i].part == part)
			return &images[i];
	if (nimages == MAXIMG)
		die("too many images (at most %d)", MAXIMG);
	images[nimages].file = strdup(file);
	images[nimages].part = part;
	xsnprintf(images[nimages].key, sizeof(images[0].key), "/dev/img%d",
	    nimages);
	xsnprintf(images[nimages].mnt, sizeof(images[0].mnt), "/img%d",
	    nimages);
	if (part != 0)
		xsnprintf(images[nimages].spec, sizeof(images[0].spec),
		    "%s:%d", file, part);
	else
		xsnprintf(images[nimages].spec, sizeof(images[0].spec), "%s",
		    file);
	return &images[nimages++];
}

/* Splits "IMAGE[:PART]" into its parts. */
static struct image *
image_parse(const char *spec, size_t len)
{
	char file[PATH_MAX];
	const char *colon;
	int part = 0;
	size_t flen = len;

	colon = memrchr(spec, ':', len);
	if (colon != NULL && colon + 1 < spec + len) {
		const char *p;

		for (p = colon + 1; p < spec + len && isdigit((unsigned char)*p);
		    p++)
			;
		if (p == spec + len) {
			part = atoi(colon + 1);
			flen = (size_t)(colon - spec);
			if (part < 1)
				die("%.*s: partition numbers start at 1",
				    (int)len, spec);
		}
	}
	if (flen == 0 || flen >= sizeof(file))
		die("%.*s: bad image name", (int)len, spec);
	memcpy(file, spec, flen);
	file[flen] = '\0';
	return image_get(file, part);
}

static void
loc_parse(const char *arg, struct loc *l)
{
	const char *sep = strstr(arg, ":/");

	memset(l, 0, sizeof(*l));
	l->arg = arg;
	if (sep == NULL) {
		if (strlen(arg) >= sizeof(l->path))
			die("%s: path too long", arg);
		strcpy(l->path, arg);
		return;
	}
	l->img = image_parse(arg, (size_t)(sep - arg));
	if (strlen(sep + 1) >= sizeof(l->path))
		die("%s: path too long", arg);
	strcpy(l->path, sep + 1);
	xsnprintf(l->kpath, sizeof(l->kpath), "%s%s", l->img->mnt,
	    strcmp(l->path, "/") == 0 ? "" : l->path);
	if (l->kpath[0] == '\0')
		strcpy(l->kpath, l->img->mnt);
}

static void
boot(void)
{
	int error;

	if (booted)
		return;
	error = rump_init();
	if (error != 0)
		die("cannot start the kernel: %s", strerror(error));
	booted = true;
}

/* Linux's syslog(2) actions, for rump_sys_syslog(). */
#define SYSLOG_ACTION_READ_ALL	3
#define SYSLOG_ACTION_CLEAR	5

/*
 * What the kernel said about device key since its messages were last
 * cleared: the last line that names it ("ext2fs /dev/img0: cannot mount:
 * feature inline_data") into buf as "ext2fs: cannot mount: feature
 * inline_data".  False when it said nothing about it.
 */
static bool
kernel_said(const char *key, char *buf, size_t len)
{
	static char log[16384];
	char pat[sizeof(images[0].key) + 4], *line, *next, *at;
	bool found = false;
	int n;

	n = rump_sys_syslog(SYSLOG_ACTION_READ_ALL, log, sizeof(log) - 1);
	if (n <= 0)
		return false;
	log[n] = '\0';
	xsnprintf(pat, sizeof(pat), " %s: ", key);
	for (line = log; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		/* The level, "<4>". */
		if (line[0] == '<' && (at = strchr(line, '>')) != NULL)
			line = at + 1;
		if ((at = strstr(line, pat)) == NULL)
			continue;
		snprintf(buf, len, "%.*s: %s", (int)(at - line), line,
		    at + strlen(pat));
		found = true;
	}
	return found;
}

static void
image_mount(struct image *im, bool rw)
{
	const struct img_fstype *const *t;
	uint8_t probe[65536];
	ssize_t n = -1;
	char said[512];
	int error, fd;

	if (im->mounted) {
		if (rw && !im->rw)
			die("%s: internal error: mounted read-only", im->spec);
		return;
	}
	boot();
	if (im->part != 0)
		error = rump_etfs_register_partition(im->key, im->file,
		    RUMP_ETFS_BLK, im->part);
	else
		error = rump_etfs_register(im->key, im->file, RUMP_ETFS_BLK);
	if (error == ENXIO)
		die("%s: no partition %d", im->file, im->part);
	if (error != 0)
		die("%s: %s", im->spec, strerror(error));
	(void)rump_sys_mkdir(im->mnt, 0755);
	/* A whole image: pick its type by looking; a partition: try each. */
	if (im->part == 0 && (fd = open(im->file, O_RDONLY)) != -1) {
		n = pread(fd, probe, sizeof(probe), 0);
		close(fd);
	}
	/* So that what the kernel says about a refusal is this mount's. */
	(void)rump_sys_syslog(SYSLOG_ACTION_CLEAR, NULL, 0);
	errno = EINVAL;
	for (t = __start_img_fstypes; t < __stop_img_fstypes; t++) {
		if (n >= 0 && !(*t)->probe(probe, (size_t)n))
			continue;
		if (rump_sys_mount(im->key, im->mnt, (*t)->mountname,
		    rw ? 0 : 1 /* MS_RDONLY */, NULL) == 0) {
			im->mounted = true;
			im->rw = rw;
			return;
		}
		if (errno != EINVAL)
			break;
	}
	/* The file system's own words (an ext4 feature it refuses, say)
	 * come from the kernel's message buffer. */
	error = errno;
	if (!kernel_said(im->key, said, sizeof(said)))
		said[0] = '\0';
	if (error == EINVAL && said[0] != '\0')
		die("%s: cannot mount (%s)", im->spec, said);
	if (error == EINVAL)
		die("%s: no file system that strata-img knows (or a damaged "
		    "one; see the kernel's message above)", im->spec);
	die("%s: cannot mount%s: %s%s%s%s", im->spec, rw ? " read-write" :
	    "", strerror(error), said[0] != '\0' ? " (" : "", said,
	    said[0] != '\0' ? ")" : "");
}

static void
images_unmount(void)
{
	int i;

	for (i = 0; i < nimages; i++) {
		if (!images[i].mounted)
			continue;
		if (rump_sys_umount2(images[i].mnt, 0) == -1)
			warnmsg("%s: writing back failed: %s", images[i].spec,
			    strerror(errno));
		images[i].mounted = false;
		(void)rump_etfs_remove(images[i].key);
	}
}

/* --- Both sides: host files and image files ------------------------------ */

#define IS_IMG(l)	((l)->img != NULL)
#define P(l)		(IS_IMG(l) ? (l)->kpath : (l)->path)

static int
x_lstat(const struct loc *l, struct stat *st)
{
	return IS_IMG(l) ? rump_sys_lstat(l->kpath, st) : lstat(l->path, st);
}

static int
x_stat(const struct loc *l, struct stat *st)
{
	return IS_IMG(l) ? rump_sys_stat(l->kpath, st) : stat(l->path, st);
}

static int
x_open(const struct loc *l, int flags, mode_t mode)
{
	return IS_IMG(l) ? rump_sys_open(l->kpath, flags, mode) :
	    open(l->path, flags, mode);
}

static ssize_t
x_read(const struct loc *l, int fd, void *buf, size_t n)
{
	return IS_IMG(l) ? rump_sys_read(fd, buf, n) : read(fd, buf, n);
}

static ssize_t
x_write(const struct loc *l, int fd, const void *buf, size_t n)
{
	return IS_IMG(l) ? rump_sys_write(fd, buf, n) : write(fd, buf, n);
}

static int
x_close(const struct loc *l, int fd)
{
	return IS_IMG(l) ? rump_sys_close(fd) : close(fd);
}

static int
x_mkdir(const struct loc *l, mode_t mode)
{
	return IS_IMG(l) ? rump_sys_mkdir(l->kpath, mode) :
	    mkdir(l->path, mode);
}

static ssize_t
x_readlink(const struct loc *l, char *buf, size_t n)
{
	return IS_IMG(l) ? rump_sys_readlink(l->kpath, buf, n) :
	    readlink(l->path, buf, n);
}

static int
x_symlink(const char *target, const struct loc *l)
{
	return IS_IMG(l) ? rump_sys_symlink(target, l->kpath) :
	    symlink(target, l->path);
}

static int
x_link(const struct loc *from, const struct loc *l)
{
	return IS_IMG(l) ? rump_sys_link(from->kpath, l->kpath) :
	    link(from->path, l->path);
}

/*
 * A file system without modes (FAT: its mount options decide them)
 * refuses chmod with EPERM except for the write bits, which are its
 * read-only attribute.  Keep what it can hold, as mtools does: read-only
 * when the owner could not write.
 */
static int
x_chmod_nomodes(const struct loc *l, const struct stat *st)
{
	struct stat cur;

	if (rump_sys_stat(l->kpath, &cur) == -1)
		return -1;
	if (st->st_mode & S_IWUSR)
		return 0;		/* writable, as it is */
	if (rump_sys_chmod(l->kpath, cur.st_mode & 07777 & ~0222u) == -1 &&
	    errno != EPERM)
		return -1;
	return 0;
}

/* Keeps owner, mode and times (cp -a); errors are reported. */
static void
x_preserve(const struct loc *l, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	bool lnk = S_ISLNK(st->st_mode);
	int r;

	if (IS_IMG(l))
		r = rump_sys_lchown(l->kpath, st->st_uid, st->st_gid);
	else
		r = lchown(l->path, st->st_uid, st->st_gid);
	if (r == -1 && errno != EPERM)
		warnmsg("%s: chown: %s", l->arg, strerror(errno));
	if (!lnk) {
		r = IS_IMG(l) ? rump_sys_chmod(l->kpath, st->st_mode & 07777) :
		    chmod(l->path, st->st_mode & 07777);
		if (r == -1 && errno == EPERM && IS_IMG(l))
			r = x_chmod_nomodes(l, st);
		if (r == -1)
			warnmsg("%s: chmod: %s", l->arg, strerror(errno));
	}
	r = IS_IMG(l) ? rump_sys_utimensat(AT_FDCWD, l->kpath, ts,
	    AT_SYMLINK_NOFOLLOW) :
	    utimensat(AT_FDCWD, l->path, ts, AT_SYMLINK_NOFOLLOW);
	if (r == -1 && !(lnk && errno == EINVAL))
		warnmsg("%s: times: %s", l->arg, strerror(errno));
}

/* Names in a directory, sorted; NULL-terminated array. */
static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **
x_listdir(const struct loc *l)
{
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (IS_IMG(l)) {
		char buf[8192];
		ssize_t r, off;
		int fd = rump_sys_open(l->kpath, O_RDONLY | O_DIRECTORY);

		if (fd == -1)
			return NULL;
		while ((r = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
			for (off = 0; off < r; ) {
				struct dirent64 *de = (void *)(buf + off);

				off += de->d_reclen;
				if (strcmp(de->d_name, ".") == 0 ||
				    strcmp(de->d_name, "..") == 0)
					continue;
				if (n + 2 > cap) {
					cap = cap ? cap * 2 : 64;
					names = realloc(names, cap *
					    sizeof(*names));
				}
				names[n++] = strdup(de->d_name);
			}
		}
		rump_sys_close(fd);
		if (r == -1) {
			free(names);
			return NULL;
		}
	} else {
		DIR *d = opendir(l->path);
		struct dirent *de;

		if (d == NULL)
			return NULL;
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (n + 2 > cap) {
				cap = cap ? cap * 2 : 64;
				names = realloc(names, cap * sizeof(*names));
			}
			names[n++] = strdup(de->d_name);
		}
		closedir(d);
	}
	if (names == NULL)
		names = calloc(1, sizeof(*names));
	qsort(names, n, sizeof(*names), namecmp);
	names[n] = NULL;
	return names;
}

static void
freenames(char **names)
{
	char **p;

	for (p = names; *p != NULL; p++)
		free(*p);
	free(names);
}

/* l + "/" + name. */
static void
loc_child(const struct loc *l, const char *name, struct loc *c)
{
	*c = *l;
	xsnprintf(c->path, sizeof(c->path), "%s%s%s", l->path,
	    l->path[strlen(l->path) - 1] == '/' ? "" : "/", name);
	if (IS_IMG(l))
		xsnprintf(c->kpath, sizeof(c->kpath), "%s/%s", l->kpath, name);
	c->arg = NULL;
}

/* For messages: the argument's spelling of a location. */
static const char *
locname(const struct loc *l, char *buf, size_t len)
{
	int n;

	if (IS_IMG(l))
		n = snprintf(buf, len, "%s:%s", l->img->spec, l->path);
	else
		n = snprintf(buf, len, "%s", l->path);
	if (n < 0)
		buf[0] = '\0';	/* a shortened name is fine in a message */
	return buf;
}

#define LOCERR(l, what) do {						\
	char lb_[PATH_MAX + 64];					\
	warnmsg("%s: %s%s%s", locname((l), lb_, sizeof(lb_)),		\
	    (what), (what)[0] ? ": " : "", strerror(errno));		\
} while (0)

/* --- cp ------------------------------------------------------------------ */

struct cpopts {
	bool	recursive;
	bool	archive;
	/* Hard links seen (cp -a): source (dev, ino) -> destination. */
	struct hl {
		dev_t	dev;
		ino_t	ino;
		struct loc dst;
	} *hl;
	size_t	nhl, caphl;
};

static int
copy_data(const struct loc *s, const struct loc *d, const struct stat *st)
{
	static char buf[1 << 20];
	ssize_t n, w, done;
	int sfd, dfd, ret = 0;

	sfd = x_open(s, O_RDONLY, 0);
	if (sfd == -1) {
		LOCERR(s, "");
		return -1;
	}
	dfd = x_open(d, O_WRONLY | O_CREAT | O_TRUNC, st->st_mode & 0777);
	if (dfd == -1) {
		LOCERR(d, "");
		x_close(s, sfd);
		return -1;
	}
	while ((n = x_read(s, sfd, buf, sizeof(buf))) > 0) {
		for (done = 0; done < n; done += w) {
			w = x_write(d, dfd, buf + done, (size_t)(n - done));
			if (w <= 0) {
				LOCERR(d, "write");
				ret = -1;
				goto out;
			}
		}
	}
	if (n == -1) {
		LOCERR(s, "read");
		ret = -1;
	}
 out:
	x_close(s, sfd);
	if (x_close(d, dfd) == -1 && ret == 0) {
		LOCERR(d, "close");
		ret = -1;
	}
	return ret;
}

static void
copy_one(const struct loc *s, const struct loc *d, struct cpopts *o)
{
	char target[PATH_MAX];
	struct stat st, dst;
	struct loc cs, cd;
	char **names, **np;
	ssize_t n;
	size_t i;

	if ((o->recursive ? x_lstat(s, &st) : x_stat(s, &st)) == -1) {
		LOCERR(s, "");
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!o->recursive) {
			char lb[PATH_MAX + 64];

			warnmsg("%s: is a directory (not copied; use -r)",
			    locname(s, lb, sizeof(lb)));
			return;
		}
		if (x_lstat(d, &dst) == -1 && x_mkdir(d, (st.st_mode & 07777) |
		    0700) == -1) {
			LOCERR(d, "mkdir");
			return;
		}
		names = x_listdir(s);
		if (names == NULL) {
			LOCERR(s, "");
			return;
		}
		for (np = names; *np != NULL; np++) {
			loc_child(s, *np, &cs);
			loc_child(d, *np, &cd);
			copy_one(&cs, &cd, o);
		}
		freenames(names);
		if (o->archive)
			x_preserve(d, &st);
		return;
	}
	if (o->archive && st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
		for (i = 0; i < o->nhl; i++) {
			if (o->hl[i].dev == st.st_dev &&
			    o->hl[i].ino == st.st_ino) {
				if (x_link(&o->hl[i].dst, d) == -1)
					LOCERR(d, "link");
				return;
			}
		}
	}
	if (S_ISLNK(st.st_mode)) {
		n = x_readlink(s, target, sizeof(target) - 1);
		if (n == -1) {
			LOCERR(s, "readlink");
			return;
		}
		target[n] = '\0';
		if (x_symlink(target, d) == -1) {
			LOCERR(d, "symlink");
			return;
		}
	} else if (S_ISREG(st.st_mode)) {
		if (copy_data(s, d, &st) == -1)
			return;
	} else {
		char lb[PATH_MAX + 64];

		warnmsg("%s: special file not copied",
		    locname(s, lb, sizeof(lb)));
		return;
	}
	if (o->archive) {
		x_preserve(d, &st);
		if (st.st_nlink > 1) {
			if (o->nhl == o->caphl) {
				o->caphl = o->caphl ? o->caphl * 2 : 64;
				o->hl = realloc(o->hl, o->caphl *
				    sizeof(*o->hl));
			}
			o->hl[o->nhl].dev = st.st_dev;
			o->hl[o->nhl].ino = st.st_ino;
			o->hl[o->nhl].dst = *d;
			o->nhl++;
		}
	}
}

static const char *
basename_of(const char *p)
{
	static char b[PATH_MAX];
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	xsnprintf(b, sizeof(b), "%.*s", (int)n, p);
	return strrchr(b, '/') != NULL && strrchr(b, '/')[1] != '\0' ?
	    strrchr(b, '/') + 1 : b;
}

static bool
mount_for(struct loc *l, bool rw)
{
	if (l->img != NULL)
		image_mount(l->img, rw);
	return true;
}

static int
cmd_cp(int argc, char **argv)
{
	struct cpopts o = { 0 };
	struct loc *src, dst, d;
	struct stat st;
	bool dstdir;
	int c, i, nsrc;

	optind = 1;
	while ((c = getopt(argc, argv, "arR")) != -1) {
		switch (c) {
		case 'a': o.archive = o.recursive = true; break;
		case 'r': case 'R': o.recursive = true; break;
		default: return 2;
		}
	}
	nsrc = argc - optind - 1;
	if (nsrc < 1)
		die("cp: need a source and a destination");
	src = calloc((size_t)nsrc, sizeof(*src));
	for (i = 0; i < nsrc; i++)
		loc_parse(argv[optind + i], &src[i]);
	loc_parse(argv[argc - 1], &dst);
	/* Mount what is written read-write, the rest read-only. */
	mount_for(&dst, true);
	for (i = 0; i < nsrc; i++)
		mount_for(&src[i], src[i].img == dst.img);
	dstdir = x_stat(&dst, &st) == 0 && S_ISDIR(st.st_mode);
	if (nsrc > 1 && !dstdir) {
		errno = ENOTDIR;
		LOCERR(&dst, "");
		return 1;
	}
	for (i = 0; i < nsrc; i++) {
		if (dstdir) {
			loc_child(&dst, basename_of(src[i].path), &d);
			d.arg = dst.arg;
		} else {
			d = dst;
		}
		copy_one(&src[i], &d, &o);
	}
	free(o.hl);
	free(src);
	return 0;
}

/* --- Listing ------------------------------------------------------------- */

static void
modestr(mode_t m, char *s)
{
	const char *rwx = "rwxrwxrwx";
	int i;

	s[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' :
	    S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : '-';
	for (i = 0; i < 9; i++)
		s[i + 1] = (m & (1u << (8 - i))) ? rwx[i] : '-';
	if (m & S_ISUID)
		s[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		s[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		s[9] = (m & S_IXOTH) ? 't' : 'T';
	s[10] = '\0';
}

static void
ls_entry(const struct loc *l, const char *name, bool longfmt)
{
	char ms[11], tb[32], target[PATH_MAX];
	struct stat st;
	struct tm tm;
	ssize_t n;

	if (!longfmt) {
		fprintf(out, "%s\n", name);
		return;
	}
	if (x_lstat(l, &st) == -1) {
		LOCERR(l, "");
		return;
	}
	modestr(st.st_mode, ms);
	gmtime_r(&st.st_mtime, &tm);
	strftime(tb, sizeof(tb), "%Y-%m-%d %H:%M", &tm);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		fprintf(out, "%s %3ju %5u %5u %4u, %4u %s %s", ms,
		    (uintmax_t)st.st_nlink, st.st_uid, st.st_gid,
		    major(st.st_rdev), minor(st.st_rdev), tb, name);
	else
		fprintf(out, "%s %3ju %5u %5u %10jd %s %s", ms,
		    (uintmax_t)st.st_nlink, st.st_uid, st.st_gid,
		    (intmax_t)st.st_size, tb, name);
	if (S_ISLNK(st.st_mode) &&
	    (n = x_readlink(l, target, sizeof(target) - 1)) >= 0) {
		target[n] = '\0';
		fprintf(out, " -> %s", target);
	}
	fputc('\n', out);
}

static void
ls_dir(const struct loc *l, bool longfmt, bool recursive, bool all,
    bool header)
{
	struct loc c;
	struct stat st;
	char **names, **np, lb[PATH_MAX + 64];

	names = x_listdir(l);
	if (names == NULL) {
		LOCERR(l, "");
		return;
	}
	if (header)
		fprintf(out, "%s:\n", locname(l, lb, sizeof(lb)));
	for (np = names; *np != NULL; np++) {
		if (!all && (*np)[0] == '.')
			continue;
		loc_child(l, *np, &c);
		ls_entry(&c, *np, longfmt);
	}
	if (recursive) {
		for (np = names; *np != NULL; np++) {
			if (!all && (*np)[0] == '.')
				continue;
			loc_child(l, *np, &c);
			if (x_lstat(&c, &st) == 0 && S_ISDIR(st.st_mode)) {
				fputc('\n', out);
				ls_dir(&c, longfmt, recursive, all, true);
			}
		}
	}
	freenames(names);
}

static int
cmd_ls(int argc, char **argv)
{
	bool longfmt = false, recursive = false, all = false;
	struct loc l;
	struct stat st;
	int c, i;

	optind = 1;
	while ((c = getopt(argc, argv, "lRa")) != -1) {
		switch (c) {
		case 'l': longfmt = true; break;
		case 'R': recursive = true; break;
		case 'a': all = true; break;
		default: return 2;
		}
	}
	if (optind == argc)
		die("ls: which IMAGE:/path?");
	for (i = optind; i < argc; i++) {
		loc_parse(argv[i], &l);
		mount_for(&l, false);
		if (x_lstat(&l, &st) == -1) {
			LOCERR(&l, "");
			continue;
		}
		if (S_ISDIR(st.st_mode))
			ls_dir(&l, longfmt, recursive, all,
			    argc - optind > 1 || recursive);
		else
			ls_entry(&l, l.path, longfmt);
	}
	return 0;
}

static void
print_time(const char *what, const struct timespec *ts)
{
	char tb[64];
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(tb, sizeof(tb), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(out, "%s: %s.%09ld UTC\n", what, tb, ts->tv_nsec);
}

static int
cmd_stat(int argc, char **argv)
{
	char ms[11], lb[PATH_MAX + 64];
	struct stat st;
	struct loc l;
	int i;

	if (argc < 2)
		die("stat: which IMAGE:/path?");
	for (i = 1; i < argc; i++) {
		loc_parse(argv[i], &l);
		mount_for(&l, false);
		if (x_lstat(&l, &st) == -1) {
			LOCERR(&l, "");
			continue;
		}
		modestr(st.st_mode, ms);
		fprintf(out, "  File: %s\n", locname(&l, lb, sizeof(lb)));
		fprintf(out, "  Size: %jd\tBlocks: %jd\tIO Block: %ld\t%s\n",
		    (intmax_t)st.st_size, (intmax_t)st.st_blocks,
		    (long)st.st_blksize, S_ISDIR(st.st_mode) ? "directory" :
		    S_ISREG(st.st_mode) ? "regular file" :
		    S_ISLNK(st.st_mode) ? "symbolic link" : "special file");
		fprintf(out, " Inode: %ju\tLinks: %ju\n", (uintmax_t)st.st_ino,
		    (uintmax_t)st.st_nlink);
		fprintf(out, "Access: (%04o/%s)  Uid: %u  Gid: %u\n",
		    st.st_mode & 07777, ms, st.st_uid, st.st_gid);
		print_time("Access", &st.st_atim);
		print_time("Modify", &st.st_mtim);
		print_time("Change", &st.st_ctim);
	}
	return 0;
}

static int
cmd_cat(int argc, char **argv)
{
	static char buf[1 << 20];
	struct loc l;
	ssize_t n;
	int i, fd;

	if (argc < 2)
		die("cat: which IMAGE:/path?");
	for (i = 1; i < argc; i++) {
		loc_parse(argv[i], &l);
		mount_for(&l, false);
		fd = x_open(&l, O_RDONLY, 0);
		if (fd == -1) {
			LOCERR(&l, "");
			continue;
		}
		while ((n = x_read(&l, fd, buf, sizeof(buf))) > 0)
			if (fwrite(buf, 1, (size_t)n, out) != (size_t)n)
				die("standard output: %s", strerror(errno));
		if (n == -1)
			LOCERR(&l, "read");
		x_close(&l, fd);
	}
	return 0;
}

/* --- Changing ------------------------------------------------------------ */

static void
need_image(const struct loc *l, const char *cmd)
{
	if (l->img == NULL)
		die("%s: %s: not an image path (IMAGE:/path)", cmd, l->arg);
}

static int
mkdir_p(struct loc *l)
{
	char *p;
	struct stat st;
	struct loc part;

	part = *l;
	for (p = part.kpath + strlen(l->img->mnt) + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char save = *p;

			*p = '\0';
			if (rump_sys_stat(part.kpath, &st) == -1 &&
			    rump_sys_mkdir(part.kpath, 0777) == -1 &&
			    errno != EEXIST)
				return -1;
			*p = save;
			if (save == '\0')
				break;
		}
	}
	return 0;
}

static int
cmd_mkdir(int argc, char **argv)
{
	bool parents = false;
	struct loc l;
	int c, i;

	optind = 1;
	while ((c = getopt(argc, argv, "p")) != -1) {
		if (c != 'p')
			return 2;
		parents = true;
	}
	if (optind == argc)
		die("mkdir: which IMAGE:/path?");
	for (i = optind; i < argc; i++) {
		loc_parse(argv[i], &l);
		need_image(&l, "mkdir");
		mount_for(&l, true);
		if ((parents ? mkdir_p(&l) : rump_sys_mkdir(l.kpath, 0777)) ==
		    -1)
			LOCERR(&l, "");
	}
	return 0;
}

static void
rm_one(const struct loc *l, bool recursive, bool force)
{
	struct stat st;
	struct loc c;
	char **names, **np;

	if (rump_sys_lstat(l->kpath, &st) == -1) {
		if (!(force && errno == ENOENT))
			LOCERR(l, "");
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!recursive) {
			errno = EISDIR;
			LOCERR(l, "");
			return;
		}
		names = x_listdir(l);
		if (names == NULL) {
			LOCERR(l, "");
			return;
		}
		for (np = names; *np != NULL; np++) {
			loc_child(l, *np, &c);
			c.arg = l->arg;
			rm_one(&c, recursive, force);
		}
		freenames(names);
		if (rump_sys_rmdir(l->kpath) == -1)
			LOCERR(l, "");
		return;
	}
	if (rump_sys_unlink(l->kpath) == -1)
		LOCERR(l, "");
}

static int
cmd_rm(int argc, char **argv)
{
	bool recursive = false, force = false;
	struct loc l;
	int c, i;

	optind = 1;
	while ((c = getopt(argc, argv, "rRf")) != -1) {
		switch (c) {
		case 'r': case 'R': recursive = true; break;
		case 'f': force = true; break;
		default: return 2;
		}
	}
	if (optind == argc)
		die("rm: which IMAGE:/path?");
	for (i = optind; i < argc; i++) {
		loc_parse(argv[i], &l);
		need_image(&l, "rm");
		if (strcmp(l.path, "/") == 0)
			die("rm: %s: refusing to remove the root", l.arg);
		mount_for(&l, true);
		rm_one(&l, recursive, force);
	}
	return 0;
}

static int
cmd_mv(int argc, char **argv)
{
	struct loc a, b, d;
	struct stat st;

	if (argc != 3)
		die("mv: IMAGE:/from IMAGE:/to");
	loc_parse(argv[1], &a);
	loc_parse(argv[2], &b);
	need_image(&a, "mv");
	need_image(&b, "mv");
	if (a.img != b.img)
		die("mv: %s and %s are in different images (use cp and rm)",
		    argv[1], argv[2]);
	mount_for(&a, true);
	d = b;
	if (rump_sys_stat(b.kpath, &st) == 0 && S_ISDIR(st.st_mode)) {
		loc_child(&b, basename_of(a.path), &d);
		d.arg = b.arg;
	}
	if (rump_sys_rename(a.kpath, d.kpath) == -1)
		LOCERR(&a, "");
	return 0;
}

static int
cmd_ln(int argc, char **argv)
{
	bool sym = false;
	struct loc t, l;
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "s")) != -1) {
		if (c != 's')
			return 2;
		sym = true;
	}
	if (argc - optind != 2)
		die("ln: [-s] TARGET IMAGE:/name");
	loc_parse(argv[optind + 1], &l);
	need_image(&l, "ln");
	mount_for(&l, true);
	if (sym) {
		if (rump_sys_symlink(argv[optind], l.kpath) == -1)
			LOCERR(&l, "");
		return 0;
	}
	loc_parse(argv[optind], &t);
	need_image(&t, "ln");
	if (t.img != l.img)
		die("ln: hard links stay within one image");
	if (rump_sys_link(t.kpath, l.kpath) == -1)
		LOCERR(&l, "");
	return 0;
}

static int
cmd_chmod(int argc, char **argv)
{
	struct loc l;
	unsigned long mode;
	char *end;
	int i;

	if (argc < 3)
		die("chmod: MODE IMAGE:/path...");
	mode = strtoul(argv[1], &end, 8);
	if (*end != '\0' || end == argv[1] || mode > 07777)
		die("chmod: %s: not an octal mode", argv[1]);
	for (i = 2; i < argc; i++) {
		loc_parse(argv[i], &l);
		need_image(&l, "chmod");
		mount_for(&l, true);
		if (rump_sys_chmod(l.kpath, (uint32_t)mode) == -1)
			LOCERR(&l, "");
	}
	return 0;
}

static int
cmd_chown(int argc, char **argv)
{
	unsigned long uid, gid = (unsigned long)-1;
	struct loc l;
	char *end;
	int i;

	if (argc < 3)
		die("chown: UID[:GID] IMAGE:/path...");
	uid = strtoul(argv[1], &end, 10);
	if (end == argv[1] || (*end != '\0' && *end != ':'))
		die("chown: %s: numeric UID[:GID] expected", argv[1]);
	if (*end == ':') {
		char *g = end + 1;

		gid = strtoul(g, &end, 10);
		if (end == g || *end != '\0')
			die("chown: %s: numeric UID[:GID] expected", argv[1]);
	}
	for (i = 2; i < argc; i++) {
		loc_parse(argv[i], &l);
		need_image(&l, "chown");
		mount_for(&l, true);
		if (rump_sys_lchown(l.kpath, (uint32_t)uid, (uint32_t)gid) ==
		    -1)
			LOCERR(&l, "");
	}
	return 0;
}

/* IMAGE[:PART] arguments (df, check). */
static struct image *
image_arg(const char *arg)
{
	const char *sep = strstr(arg, ":/");

	return image_parse(arg, sep != NULL ? (size_t)(sep - arg) :
	    strlen(arg));
}

static int
cmd_df(int argc, char **argv)
{
	struct image *im;
	struct statfs sf;
	int i;

	if (argc < 2)
		die("df: which IMAGE?");
	fprintf(out, "%-24s %12s %12s %12s %5s %10s %10s\n", "Image",
	    "1K-blocks", "Used", "Available", "Use%", "Inodes", "IFree");
	for (i = 1; i < argc; i++) {
		im = image_arg(argv[i]);
		image_mount(im, false);
		if (rump_sys_statfs(im->mnt, &sf) == -1) {
			warnmsg("%s: statfs: %s", im->spec, strerror(errno));
			continue;
		}
		/* In bytes first: blocks may be smaller than 1 KiB (FAT
		 * clusters of 512 bytes). */
		uint64_t bs = (uint64_t)sf.f_bsize;
		uint64_t used = (uint64_t)(sf.f_blocks - sf.f_bfree);
		fprintf(out, "%-24s %12ju %12ju %12ju %4ju%% %10ju %10ju\n",
		    im->spec, (uintmax_t)((uint64_t)sf.f_blocks * bs / 1024),
		    (uintmax_t)(used * bs / 1024),
		    (uintmax_t)((uint64_t)sf.f_bavail * bs / 1024),
		    (uintmax_t)(used + sf.f_bavail ? (used * 100 +
		    used + sf.f_bavail - 1) / (used + sf.f_bavail) : 0),
		    (uintmax_t)sf.f_files, (uintmax_t)sf.f_ffree);
	}
	return 0;
}

/* --- check --------------------------------------------------------------- */

struct chk {
	uint64_t	files, dirs, links, bytes, problems;
	struct chkino {
		ino_t	ino;
		nlink_t	nlink, seen;
		char	path[PATH_MAX];
	} *inos;
	size_t		ninos, capinos;
};

static void __attribute__((format(printf, 3, 4)))
problem(struct chk *c, const struct loc *l, const char *fmt, ...)
{
	char lb[PATH_MAX + 64];
	va_list ap;

	fprintf(out, "%s: ", locname(l, lb, sizeof(lb)));
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	c->problems++;
}

static void
check_tree(struct chk *c, const struct loc *l, ino_t parent, int depth)
{
	static char buf[1 << 16];
	char **names, **np, target[PATH_MAX];
	struct stat st, pst;
	struct loc ch, dd;
	uint64_t subdirs = 0;
	ssize_t n;
	off_t total;
	size_t i;
	int fd;

	if (depth > 256) {
		problem(c, l, "directories nested more than 256 deep "
		    "(a loop?)");
		return;
	}
	if (rump_sys_lstat(l->kpath, &st) == -1) {
		problem(c, l, "cannot stat: %s", strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		problem(c, l, "not a directory");
		return;
	}
	c->dirs++;
	/* ".." names the directory we came from. */
	xsnprintf(dd.kpath, sizeof(dd.kpath), "%s/..", l->kpath);
	if (depth > 0 && (rump_sys_stat(dd.kpath, &pst) == -1 ||
	    pst.st_ino != parent))
		problem(c, l, "\"..\" does not name the parent directory");
	names = x_listdir(l);
	if (names == NULL) {
		problem(c, l, "cannot read the directory: %s",
		    strerror(errno));
		return;
	}
	for (np = names; *np != NULL; np++) {
		loc_child(l, *np, &ch);
		if (rump_sys_lstat(ch.kpath, &st) == -1) {
			problem(c, &ch, "cannot stat: %s", strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			subdirs++;
			check_tree(c, &ch, st.st_ino == 0 ? 0 :
			    (rump_sys_stat(l->kpath, &pst) == 0 ?
			    pst.st_ino : 0), depth + 1);
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			c->links++;
			n = rump_sys_readlink(ch.kpath, target,
			    sizeof(target));
			if (n == -1)
				problem(c, &ch, "cannot read the symbolic "
				    "link: %s", strerror(errno));
			else if (n != st.st_size)
				problem(c, &ch, "symbolic link of %zd bytes "
				    "but size %jd", n, (intmax_t)st.st_size);
		} else if (S_ISREG(st.st_mode)) {
			c->files++;
			fd = rump_sys_open(ch.kpath, O_RDONLY);
			if (fd == -1) {
				problem(c, &ch, "cannot open: %s",
				    strerror(errno));
				continue;
			}
			total = 0;
			while ((n = rump_sys_read(fd, buf, sizeof(buf))) > 0)
				total += n;
			if (n == -1)
				problem(c, &ch, "read error at byte %jd: %s",
				    (intmax_t)total, strerror(errno));
			else if (total != st.st_size)
				problem(c, &ch, "read %jd bytes of %jd",
				    (intmax_t)total, (intmax_t)st.st_size);
			c->bytes += (uint64_t)total;
			rump_sys_close(fd);
		}
		/* Count names of each multiply linked inode. */
		if (st.st_nlink > 1) {
			for (i = 0; i < c->ninos; i++)
				if (c->inos[i].ino == st.st_ino)
					break;
			if (i == c->ninos) {
				if (c->ninos == c->capinos) {
					c->capinos = c->capinos ?
					    c->capinos * 2 : 64;
					c->inos = realloc(c->inos, c->capinos *
					    sizeof(*c->inos));
				}
				c->inos[i].ino = st.st_ino;
				c->inos[i].nlink = st.st_nlink;
				c->inos[i].seen = 0;
				xsnprintf(c->inos[i].path,
				    sizeof(c->inos[i].path), "%s", ch.path);
				c->ninos++;
			}
			c->inos[i].seen++;
		} else if (st.st_nlink == 0) {
			problem(c, &ch, "link count 0");
		}
	}
	freenames(names);
	if (rump_sys_lstat(l->kpath, &st) == 0 &&
	    st.st_nlink != 2 + subdirs && st.st_nlink != 1)
		problem(c, l, "link count %ju, but %ju subdirectories",
		    (uintmax_t)st.st_nlink, (uintmax_t)subdirs);
}

static int
cmd_check(int argc, char **argv)
{
	struct chk c = { 0 };
	struct image *im;
	struct statfs sf;
	struct loc root;
	size_t i;

	if (argc != 2)
		die("check: which IMAGE?");
	im = image_arg(argv[1]);
	image_mount(im, false);
	memset(&root, 0, sizeof(root));
	root.img = im;
	strcpy(root.path, "/");
	strcpy(root.kpath, im->mnt);
	root.arg = argv[1];
	check_tree(&c, &root, 0, 0);
	for (i = 0; i < c.ninos; i++) {
		if (c.inos[i].seen != c.inos[i].nlink) {
			struct loc l = root;

			xsnprintf(l.path, sizeof(l.path), "%s", c.inos[i].path);
			problem(&c, &l, "link count %ju, but %ju names found",
			    (uintmax_t)c.inos[i].nlink,
			    (uintmax_t)c.inos[i].seen);
		}
	}
	if (rump_sys_statfs(im->mnt, &sf) == 0 &&
	    (uint64_t)(sf.f_files - sf.f_ffree) < c.files + c.dirs)
		problem(&c, &root, "%ju inodes in use, but %ju files and "
		    "directories found", (uintmax_t)(sf.f_files - sf.f_ffree),
		    (uintmax_t)(c.files + c.dirs));
	fprintf(out, "%s: %ju directories, %ju files (%ju bytes), %ju "
	    "symbolic links, %ju problems\n", im->spec, (uintmax_t)c.dirs,
	    (uintmax_t)c.files, (uintmax_t)c.bytes, (uintmax_t)c.links,
	    (uintmax_t)c.problems);
	free(c.inos);
	return c.problems != 0 ? 1 : 0;
}

/* --- mkfs ---------------------------------------------------------------- */

static int
parse_size(const char *s, uint64_t *vp)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno != 0)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 'k': v <<= 10; end++; break;
	case 'm': v <<= 20; end++; break;
	case 'g': v <<= 30; end++; break;
	case 't': v <<= 40; end++; break;
	default: break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0')
		return -1;
	*vp = v;
	return 0;
}

static int
cmd_mkfs(int argc, char **argv)
{
	const struct img_fstype *const *t, *type = NULL;
	const char *tname = NULL, *sizes = NULL, *dir = NULL, *label = NULL;
	struct img_mkfs_args a;
	struct cpopts o = { .recursive = true, .archive = true };
	struct loc src, dst;
	char **names, **np;
	struct loc cs, cd;
	uint64_t size;
	int c, fd, error;

	optind = 1;
	while ((c = getopt(argc, argv, "t:s:d:L:")) != -1) {
		switch (c) {
		case 't': tname = optarg; break;
		case 's': sizes = optarg; break;
		case 'd': dir = optarg; break;
		case 'L': label = optarg; break;
		default: return 2;
		}
	}
	if (tname == NULL || sizes == NULL || argc - optind != 1)
		die("mkfs: -t TYPE -s SIZE [-d HOSTDIR] [-L LABEL] IMAGE");
	for (t = __start_img_fstypes; t < __stop_img_fstypes; t++)
		if (strcmp((*t)->name, tname) == 0)
			type = *t;
	if (type == NULL)
		die("mkfs: %s: unknown type (strata-img --help lists them)",
		    tname);
	if (parse_size(sizes, &size) == -1)
		die("mkfs: %s: not a size (bytes, or with k/m/g)", sizes);
	if (size < type->minsize)
		die("mkfs: %s: too small for %s (at least %ju bytes)", sizes,
		    tname, (uintmax_t)type->minsize);
	a.image = argv[optind];
	a.size = size;
	a.label = label;
	fd = open(a.image, O_RDWR | O_CREAT, 0644);
	if (fd == -1)
		die("mkfs: %s: %s", a.image, strerror(errno));
	if (ftruncate(fd, 0) == -1 || ftruncate(fd, (off_t)size) == -1)
		die("mkfs: %s: %s", a.image, strerror(errno));
	close(fd);
	error = type->mkfs(&a);
	if (error != 0)
		die("mkfs: %s: %s", a.image, strerror(error));
	if (dir == NULL)
		return 0;
	loc_parse(dir, &src);
	xsnprintf(cs.path, sizeof(cs.path), "%s:/", a.image);
	loc_parse(cs.path, &dst);
	image_mount(dst.img, true);
	names = x_listdir(&src);
	if (names == NULL)
		die("mkfs: %s: %s", dir, strerror(errno));
	for (np = names; *np != NULL; np++) {
		if (strcmp(*np, "lost+found") == 0)
			continue;
		loc_child(&src, *np, &cs);
		loc_child(&dst, *np, &cd);
		cs.arg = dir;
		cd.arg = a.image;
		copy_one(&cs, &cd, &o);
	}
	freenames(names);
	free(o.hl);
	return 0;
}

/* --- main ---------------------------------------------------------------- */

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} cmds[] = {
	{ "ls", cmd_ls }, { "stat", cmd_stat }, { "cat", cmd_cat },
	{ "cp", cmd_cp }, { "mkdir", cmd_mkdir }, { "rm", cmd_rm },
	{ "mv", cmd_mv }, { "ln", cmd_ln }, { "chmod", cmd_chmod },
	{ "chown", cmd_chown }, { "df", cmd_df }, { "check", cmd_check },
	{ "mkfs", cmd_mkfs },
};

int
main(int argc, char **argv)
{
	int i, fd, ret;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	/* The kernel's console is standard output: keep that for data
	 * (cat, ls) and send the console to standard error. */
	fd = dup(STDOUT_FILENO);
	if (fd == -1 || (out = fdopen(fd, "w")) == NULL ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
		die("standard output: %s", strerror(errno));
	for (i = 0; i < (int)(sizeof(cmds) / sizeof(cmds[0])); i++) {
		if (strcmp(cmds[i].name, argv[1]) == 0) {
			opterr = 1;
			ret = cmds[i].fn(argc - 1, argv + 1);
			if (ret == 2) {
				usage(stderr);
				return 2;
			}
			images_unmount();
			if (fflush(out) == EOF)
				die("standard output: %s", strerror(errno));
			return ret != 0 || nerrors != 0 ? 1 : 0;
		}
	}
	fprintf(stderr, "%s: %s: unknown command\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
