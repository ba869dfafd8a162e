/*
 * strata-fuse: mounts a disk image on a host directory through FUSE, with
 * the file system code of a strata kernel running inside this process.
 *
 *	strata-fuse [-f] [-d] [-s] [-t TYPE] [-o OPTIONS] IMAGE[:PART] MOUNTPOINT
 *
 * The image (or partition PART of it, MBR or GPT) is attached to the
 * kernel as a block device (rump_etfs_register), mounted at /mnt inside
 * the kernel with the first file system type that recognises it (ext2,
 * then vfat, unless -t names one), and every FUSE request becomes the
 * matching system call of the kernel on /mnt/<path>.  FUSE's own threads
 * make the calls (multi-threaded unless -s); they are unbound host
 * threads, which the kernel runs as lwps of its process 1, so they share
 * one descriptor table and open files are kernel descriptors.
 *
 * The kernel acts as root; the host kernel checks permissions against
 * the attributes reported (FUSE's default_permissions), as for any disk.
 * FAT stores no owners: its files belong to the user who runs
 * strata-fuse unless uid=/gid= say otherwise.
 *
 * Unmounting (fusermount3 -u MOUNTPOINT, or a signal) ends the FUSE loop;
 * the kernel's file system is then unmounted, which writes everything
 * back, and only then does the process exit.
 */
#define FUSE_USE_VERSION 32

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_etfs.h>
#include <rump/rump_syscalls.h>

#define KEY	"/dev/image"
#define MNT	"/mnt"

static const char *progname = "strata-fuse";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: %s [-f] [-d] [-s] [-t TYPE] [-o OPTIONS] IMAGE[:PART] MOUNTPOINT\n"
"\n"
"Mounts the file system of a disk image on MOUNTPOINT through FUSE,\n"
"read-write, with strata's own kernel file system code (ext2, FAT); no\n"
"root, no kernel driver.  Unmount with: fusermount3 -u MOUNTPOINT\n"
"\n"
"  IMAGE[:PART]  an image file or block device; :PART mounts partition\n"
"                PART (1-based, MBR or GPT)\n"
"  -t TYPE       file system type: ext2 or vfat (default: probe)\n"
"  -o OPTIONS    comma-separated: ro, rw; for FAT uid=N, gid=N, umask=OOO,\n"
"                dmask=OOO, fmask=OOO, quiet; anything else is a FUSE\n"
"                option (allow_other, max_read=N, ...)\n"
"  -f            stay in the foreground\n"
"  -d            FUSE debug output (implies -f)\n"
"  -s            single-threaded\n"
"  -h, --help    this text\n"
"\n"
"Environment: RUMP_NCPU (virtual CPUs), RUMP_MEMLIMIT.  See strata-fuse(1).\n",
	    progname);
}

static char *
kpath(const char *path, char *buf, size_t len)
{
	snprintf(buf, len, MNT "%s", strcmp(path, "/") == 0 ? "" : path);
	return buf;
}

#define KP(p)	kpath((p), kbuf, sizeof(kbuf))
#define RET(x)	return (x) == -1 ? -errno : 0

static int
sf_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	char kbuf[PATH_MAX + 8];

	if (fi != NULL)
		RET(rump_sys_fstat((int)fi->fh, st));
	RET(rump_sys_lstat(KP(path), st));
}

static int
sf_readlink(const char *path, char *buf, size_t size)
{
	char kbuf[PATH_MAX + 8];
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	n = rump_sys_readlink(KP(path), buf, size - 1);
	if (n == -1)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int
sf_mkdir(const char *path, mode_t mode)
{
	char kbuf[PATH_MAX + 8];

	RET(rump_sys_mkdir(KP(path), mode));
}

static int
sf_unlink(const char *path)
{
	char kbuf[PATH_MAX + 8];

	RET(rump_sys_unlink(KP(path)));
}

static int
sf_rmdir(const char *path)
{
	char kbuf[PATH_MAX + 8];

	RET(rump_sys_rmdir(KP(path)));
}

static int
sf_symlink(const char *target, const char *path)
{
	char kbuf[PATH_MAX + 8];

	RET(rump_sys_symlink(target, KP(path)));
}

static int
sf_rename(const char *from, const char *to, unsigned int flags)
{
	char kfrom[PATH_MAX + 8], kto[PATH_MAX + 8];

	kpath(from, kfrom, sizeof(kfrom));
	kpath(to, kto, sizeof(kto));
	RET(rump_sys_renameat2(AT_FDCWD, kfrom, AT_FDCWD, kto, flags));
}

static int
sf_link(const char *from, const char *to)
{
	char kfrom[PATH_MAX + 8], kto[PATH_MAX + 8];

	kpath(from, kfrom, sizeof(kfrom));
	kpath(to, kto, sizeof(kto));
	RET(rump_sys_link(kfrom, kto));
}

static int
sf_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	char kbuf[PATH_MAX + 8];

	if (fi != NULL)
		RET(rump_sys_fchmod((int)fi->fh, mode));
	RET(rump_sys_chmod(KP(path), mode));
}

static int
sf_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	char kbuf[PATH_MAX + 8];

	if (fi != NULL)
		RET(rump_sys_fchown((int)fi->fh, uid, gid));
	RET(rump_sys_lchown(KP(path), uid, gid));
}

static int
sf_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	char kbuf[PATH_MAX + 8];

	if (fi != NULL)
		RET(rump_sys_ftruncate((int)fi->fh, size));
	RET(rump_sys_truncate(KP(path), size));
}

static int
sf_open(const char *path, struct fuse_file_info *fi)
{
	char kbuf[PATH_MAX + 8];
	int fd;

	fd = rump_sys_open(KP(path), fi->flags & ~O_NOFOLLOW, 0);
	if (fd == -1)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int
sf_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	char kbuf[PATH_MAX + 8];
	int fd;

	fd = rump_sys_open(KP(path), fi->flags | O_CREAT, mode);
	if (fd == -1)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int
sf_read(const char *path, char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	ssize_t n;

	(void)path;
	n = rump_sys_pread64((int)fi->fh, buf, size, off);
	return n == -1 ? -errno : (int)n;
}

static int
sf_write(const char *path, const char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	ssize_t n;

	(void)path;
	n = rump_sys_pwrite64((int)fi->fh, buf, size, off);
	return n == -1 ? -errno : (int)n;
}

static int
sf_statfs(const char *path, struct statvfs *sv)
{
	struct statfs sf;

	(void)path;
	if (rump_sys_statfs(MNT, &sf) == -1)
		return -errno;
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = (unsigned long)sf.f_bsize;
	sv->f_frsize = (unsigned long)sf.f_bsize;
	sv->f_blocks = (fsblkcnt_t)sf.f_blocks;
	sv->f_bfree = (fsblkcnt_t)sf.f_bfree;
	sv->f_bavail = (fsblkcnt_t)sf.f_bavail;
	sv->f_files = (fsfilcnt_t)sf.f_files;
	sv->f_ffree = (fsfilcnt_t)sf.f_ffree;
	sv->f_favail = (fsfilcnt_t)sf.f_ffree;
	sv->f_namemax = (unsigned long)sf.f_namelen;
	return 0;
}

static int
sf_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	RET(rump_sys_close((int)fi->fh));
}

static int
sf_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	if (datasync)
		RET(rump_sys_fdatasync((int)fi->fh));
	RET(rump_sys_fsync((int)fi->fh));
}

static int
sf_opendir(const char *path, struct fuse_file_info *fi)
{
	char kbuf[PATH_MAX + 8];
	int fd;

	fd = rump_sys_open(KP(path), O_RDONLY | O_DIRECTORY);
	if (fd == -1)
		return -errno;
	fi->fh = (uint64_t)fd;
	return 0;
}

static int
sf_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
    struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	char dbuf[8192];
	long n, o;

	(void)path;
	(void)off;
	(void)flags;
	/* The whole directory in one go (offset 0 to the filler). */
	if (rump_sys_lseek((int)fi->fh, 0, SEEK_SET) == -1)
		return -errno;
	while ((n = rump_sys_getdents64((int)fi->fh, dbuf, sizeof(dbuf))) > 0) {
		for (o = 0; o < n;) {
			struct dirent64 *d = (struct dirent64 *)(dbuf + o);
			struct stat st;

			memset(&st, 0, sizeof(st));
			st.st_ino = d->d_ino;
			st.st_mode = (mode_t)DTTOIF(d->d_type);
			if (filler(buf, d->d_name, &st, 0, 0) != 0)
				return 0;
			o += d->d_reclen;
		}
	}
	return n == -1 ? -errno : 0;
}

static int
sf_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	RET(rump_sys_close((int)fi->fh));
}

static int
sf_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	RET(rump_sys_fsync((int)fi->fh));
}

static int
sf_utimens(const char *path, const struct timespec tv[2],
    struct fuse_file_info *fi)
{
	char kbuf[PATH_MAX + 8];

	if (fi != NULL)
		RET(rump_sys_utimensat((int)fi->fh, NULL, tv, 0));
	RET(rump_sys_utimensat(AT_FDCWD, KP(path), tv, AT_SYMLINK_NOFOLLOW));
}

static void *
sf_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	/* Inode numbers come from the file system; attributes may be
	 * cached briefly (the kernel is the only writer).  Operations on
	 * an open file use its descriptor and need no path: without one,
	 * libfuse builds the path of every read and write under its tree
	 * lock. */
	cfg->use_ino = 1;
	cfg->nullpath_ok = 1;
	return NULL;
}

/* Extended attributes (user.* and, for root, trusted.*) on file systems
 * that keep them; ENOTSUP elsewhere, which FUSE remembers. */
static int
sf_setxattr(const char *path, const char *name, const char *value,
    size_t size, int flags)
{
	char kbuf[PATH_MAX + 8];

	RET(rump_sys_lsetxattr(KP(path), name, value, size, flags));
}

static int
sf_getxattr(const char *path, const char *name, char *value, size_t size)
{
	char kbuf[PATH_MAX + 8];
	ssize_t n;

	n = rump_sys_lgetxattr(KP(path), name, value, size);
	return n == -1 ? -errno : (int)n;
}

static int
sf_listxattr(const char *path, char *list, size_t size)
{
	char kbuf[PATH_MAX + 8];
	ssize_t n;

	n = rump_sys_llistxattr(KP(path), list, size);
	return n == -1 ? -errno : (int)n;
}

static int
sf_removexattr(const char *path, const char *name)
{
	char kbuf[PATH_MAX + 8];

	RET(rump_sys_lremovexattr(KP(path), name));
}

static const struct fuse_operations sf_ops = {
	.init		= sf_init,
	.getattr	= sf_getattr,
	.readlink	= sf_readlink,
	.mkdir		= sf_mkdir,
	.unlink		= sf_unlink,
	.rmdir		= sf_rmdir,
	.symlink	= sf_symlink,
	.rename		= sf_rename,
	.link		= sf_link,
	.chmod		= sf_chmod,
	.chown		= sf_chown,
	.truncate	= sf_truncate,
	.open		= sf_open,
	.create		= sf_create,
	.read		= sf_read,
	.write		= sf_write,
	.statfs		= sf_statfs,
	.release	= sf_release,
	.fsync		= sf_fsync,
	.opendir	= sf_opendir,
	.readdir	= sf_readdir,
	.releasedir	= sf_releasedir,
	.fsyncdir	= sf_fsyncdir,
	.utimens	= sf_utimens,
	.setxattr	= sf_setxattr,
	.getxattr	= sf_getxattr,
	.listxattr	= sf_listxattr,
	.removexattr	= sf_removexattr,
};

/* Options the file system gets (the rest go to FUSE). */
static bool
fs_option(const char *opt)
{
	static const char *const names[] = { "uid=", "gid=", "umask=",
	    "dmask=", "fmask=", "quiet" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(opt, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

struct config {
	const char	*image;
	int		 part;		/* 0: whole image */
	const char	*mountpoint;
	const char	*fstype;	/* NULL: probe */
	bool		 ro, foreground, debug, single;
	char		 fsopts[1024];
	char		 fuseopts[2048];
	bool		 uid_given, gid_given;
};

static void
append(char *buf, size_t len, const char *opt)
{
	if (buf[0] != '\0')
		strncat(buf, ",", len - strlen(buf) - 1);
	strncat(buf, opt, len - strlen(buf) - 1);
}

static int
parse_options(struct config *c, const char *arg)
{
	char *copy = strdup(arg), *opt, *save = NULL;

	if (copy == NULL)
		return -1;
	for (opt = strtok_r(copy, ",", &save); opt != NULL;
	    opt = strtok_r(NULL, ",", &save)) {
		if (strcmp(opt, "ro") == 0) {
			c->ro = true;
		} else if (strcmp(opt, "rw") == 0) {
			c->ro = false;
		} else if (fs_option(opt)) {
			if (strncmp(opt, "uid=", 4) == 0)
				c->uid_given = true;
			if (strncmp(opt, "gid=", 4) == 0)
				c->gid_given = true;
			append(c->fsopts, sizeof(c->fsopts), opt);
		} else {
			append(c->fuseopts, sizeof(c->fuseopts), opt);
		}
	}
	free(copy);
	return 0;
}

/* IMAGE:PART when what follows the last ':' is a partition number and
 * the whole string is not an existing file. */
static void
split_image(struct config *c, char *arg)
{
	char *colon = strrchr(arg, ':'), *end;
	long part;

	c->image = arg;
	c->part = 0;
	if (colon == NULL || access(arg, F_OK) == 0)
		return;
	part = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || part < 1 || part > 128)
		return;
	*colon = '\0';
	c->part = (int)part;
}

/* Boots the kernel and mounts the image at /mnt; on failure a message
 * naming the image goes to msg. */
static int
kernel_mount(struct config *c, char *msg, size_t msglen)
{
	static const char *const probe[] = { "ext2", "vfat" };
	const char *types[2];
	char opts[1200];
	int error, i, ntypes, lasterr = 0;

	error = rump_init();
	if (error != 0) {
		snprintf(msg, msglen, "kernel boot failed: %s", strerror(error));
		return -1;
	}
	if (c->part != 0)
		error = rump_etfs_register_partition(KEY, c->image,
		    RUMP_ETFS_BLK, c->part);
	else
		error = rump_etfs_register(KEY, c->image, RUMP_ETFS_BLK);
	if (error != 0) {
		if (c->part != 0 && error == ENXIO)
			snprintf(msg, msglen, "%s: no partition %d", c->image,
			    c->part);
		else
			snprintf(msg, msglen, "%s: %s", c->image,
			    strerror(error));
		return -1;
	}
	if (rump_sys_mkdir(MNT, 0755) == -1 && errno != EEXIST) {
		snprintf(msg, msglen, "mkdir " MNT ": %s", strerror(errno));
		return -1;
	}
	if (c->fstype != NULL) {
		types[0] = c->fstype;
		ntypes = 1;
	} else {
		types[0] = probe[0];
		types[1] = probe[1];
		ntypes = 2;
	}
	for (i = 0; i < ntypes; i++) {
		opts[0] = '\0';
		if (strcmp(types[i], "vfat") == 0 ||
		    strcmp(types[i], "msdosfs") == 0) {
			char own[64];

			/* FAT has no owners: the user running us. */
			if (!c->uid_given) {
				snprintf(own, sizeof(own), "uid=%u",
				    (unsigned)getuid());
				append(opts, sizeof(opts), own);
			}
			if (!c->gid_given) {
				snprintf(own, sizeof(own), "gid=%u",
				    (unsigned)getgid());
				append(opts, sizeof(opts), own);
			}
			append(opts, sizeof(opts), c->fsopts);
			if (opts[0] != '\0' && opts[strlen(opts) - 1] == ',')
				opts[strlen(opts) - 1] = '\0';
		} else if (c->fsopts[0] != '\0') {
			if (c->fstype != NULL) {
				snprintf(msg, msglen, "%.300s: options \"%.300s\" "
				    "are not %s options", c->image, c->fsopts,
				    c->fstype);
				return -1;
			}
			continue;	/* FAT options: not this type */
		}
		if (rump_sys_mount(KEY, MNT, types[i], c->ro ? MS_RDONLY : 0,
		    opts[0] != '\0' ? opts : NULL) == 0)
			return 0;
		lasterr = errno;
		/* Not this type: try the next; a real error stops. */
		if (lasterr != EINVAL && lasterr != ENODEV &&
		    lasterr != EIO && lasterr != ENOENT)
			break;
	}
	if (c->fstype != NULL || ntypes == 1)
		snprintf(msg, msglen, "%s: cannot mount as %s: %s", c->image,
		    types[0], strerror(lasterr));
	else if (lasterr == EINVAL || lasterr == ENODEV)
		snprintf(msg, msglen, "%s: no ext2 or FAT file system found",
		    c->image);
	else
		snprintf(msg, msglen, "%s: cannot mount: %s", c->image,
		    strerror(lasterr));
	return -1;
}

/* Sets up FUSE on the mount point. */
static struct fuse *
fuse_setup_mount(struct config *c, char *msg, size_t msglen)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char opts[2600];
	struct fuse *f;

	snprintf(opts, sizeof(opts), "fsname=%s,subtype=strata,"
	    "default_permissions%s%s%s", c->image, c->ro ? ",ro" : "",
	    c->fuseopts[0] != '\0' ? "," : "", c->fuseopts);
	if (fuse_opt_add_arg(&args, progname) != 0 ||
	    fuse_opt_add_arg(&args, "-o") != 0 ||
	    fuse_opt_add_arg(&args, opts) != 0 ||
	    (c->debug && fuse_opt_add_arg(&args, "-d") != 0)) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	f = fuse_new(&args, &sf_ops, sizeof(sf_ops), NULL);
	fuse_opt_free_args(&args);
	if (f == NULL) {
		snprintf(msg, msglen, "bad FUSE options: %.500s", c->fuseopts);
		return NULL;
	}
	if (fuse_mount(f, c->mountpoint) != 0) {
		fuse_destroy(f);
		snprintf(msg, msglen, "%s: cannot mount with FUSE (is "
		    "/dev/fuse there, and fusermount3?)", c->mountpoint);
		return NULL;
	}
	return f;
}

int
main(int argc, char **argv)
{
	struct config c;
	struct fuse *f;
	struct fuse_loop_config lc;
	char msg[1024] = "";
	int ch, pfd[2] = { -1, -1 }, rv, error;
	pid_t pid;

	memset(&c, 0, sizeof(c));
#ifdef __GLIBC__
	/* libfuse allocates a buffer of the request's size for every read
	 * (128 KiB and more) and frees it after the reply; by default
	 * glibc maps such buffers or gives the memory back at once, and the
	 * page faults of the next request cost more than the read itself.
	 * Keep it. */
	(void)mallopt(M_MMAP_THRESHOLD, 8 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	if (argc > 0)
		progname = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 :
		    argv[0];
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--") == 0)
			break;
	}
	while ((ch = getopt(argc, argv, "fdst:o:h")) != -1) {
		switch (ch) {
		case 'f':
			c.foreground = true;
			break;
		case 'd':
			c.debug = c.foreground = true;
			break;
		case 's':
			c.single = true;
			break;
		case 't':
			if (strcmp(optarg, "ext2") != 0 &&
			    strcmp(optarg, "vfat") != 0 &&
			    strcmp(optarg, "msdosfs") != 0 &&
			    strcmp(optarg, "fat") != 0) {
				fprintf(stderr, "%s: unknown file system type "
				    "\"%s\" (ext2, vfat)\n", progname, optarg);
				return 2;
			}
			c.fstype = strcmp(optarg, "fat") == 0 ? "vfat" : optarg;
			break;
		case 'o':
			if (parse_options(&c, optarg) != 0) {
				perror(progname);
				return 1;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "%s: need IMAGE[:PART] and MOUNTPOINT\n",
		    progname);
		usage(stderr);
		return 2;
	}
	split_image(&c, argv[optind]);
	c.mountpoint = argv[optind + 1];
	if (access(c.image, c.ro ? R_OK : R_OK | W_OK) != 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, c.image,
		    strerror(errno));
		return 1;
	}

	/* Daemonize before the kernel starts its threads; the parent
	 * waits until the child says whether everything got mounted. */
	if (!c.foreground) {
		if (pipe(pfd) != 0) {
			perror(progname);
			return 1;
		}
		pid = fork();
		if (pid == -1) {
			perror(progname);
			return 1;
		}
		if (pid > 0) {
			ssize_t n;

			close(pfd[1]);
			n = read(pfd[0], msg, sizeof(msg) - 1);
			if (n > 0) {
				msg[n] = '\0';
				if (strcmp(msg, "ok") == 0)
					return 0;
				fprintf(stderr, "%s: %s\n", progname, msg);
				return 1;
			}
			fprintf(stderr, "%s: the server died while mounting\n",
			    progname);
			return 1;
		}
		close(pfd[0]);
		(void)setsid();
	}

	if (kernel_mount(&c, msg, sizeof(msg)) != 0 ||
	    (f = fuse_setup_mount(&c, msg, sizeof(msg))) == NULL) {
		if (pfd[1] != -1) {
			(void)!write(pfd[1], msg, strlen(msg));
		} else {
			fprintf(stderr, "%s: %s\n", progname, msg);
		}
		/* Whatever got mounted in the kernel is written back. */
		(void)rump_sys_umount2(MNT, 0);
		return 1;
	}
	if (fuse_set_signal_handlers(fuse_get_session(f)) != 0) {
		fprintf(stderr, "%s: cannot set signal handlers\n", progname);
		fuse_unmount(f);
		fuse_destroy(f);
		(void)rump_sys_umount2(MNT, 0);
		return 1;
	}
	if (pfd[1] != -1) {
		int nullfd = open("/dev/null", O_RDWR);

		(void)!write(pfd[1], "ok", 2);
		close(pfd[1]);
		if (chdir("/") != 0)
			(void)0;
		if (nullfd != -1) {
			dup2(nullfd, 0);
			dup2(nullfd, 1);
			dup2(nullfd, 2);
			if (nullfd > 2)
				close(nullfd);
		}
	}

	if (c.single) {
		rv = fuse_loop(f);
	} else {
		memset(&lc, 0, sizeof(lc));
		lc.clone_fd = 0;
		lc.max_idle_threads = 16;
		rv = fuse_loop_mt(f, &lc);
	}
	fuse_remove_signal_handlers(fuse_get_session(f));
	fuse_unmount(f);
	fuse_destroy(f);

	/* Everything the kernel holds goes back to the image now. */
	if (rump_sys_umount2(MNT, 0) == -1) {
		error = errno;
		fprintf(stderr, "%s: %s: writing back failed: %s\n", progname,
		    c.image, strerror(error));
		return 1;
	}
	return rv == 0 ? 0 : 1;
}
