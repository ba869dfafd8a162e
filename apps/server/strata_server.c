/*
 * strata_server.c: strata-server, a rump kernel that serves remote
 * clients (sysproxy, doc/sysproxy.md).
 *
 * The program contains no kernel: it is linked with the posix platform
 * only, and loads the kernel's shared objects named on its command line
 * (librump.so always, first), so that which components a server has is
 * chosen when it starts.  The platform finds the components of every
 * loaded object when the kernel boots (rumpuser_dl_bootstrap).  The
 * kernel's public functions are then found with dlsym().
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <rump/rump_etfs.h>
#include <rump/rumpuser.h>

#define MAXLIBS		64
#define MAXMOUNTS	32

static const char *progname = "strata-server";

static void
usage(FILE *f)
{

	fprintf(f,
"usage: %s [-d] [-v] [-L dir] [-l lib.so]... [-b key=hostfile]...\n"
"       %*s [-m fstype[@device]:target[:options]]... [-p pidfile] [-r size] URL\n"
"\n"
"Hosts a rump kernel and serves it to remote clients (librumpclient,\n"
"RUMP_SERVER=URL) at URL: unix://PATH (a unix socket; its permissions\n"
"decide who may connect) or tcp://ADDR:PORT (e.g. tcp://127.0.0.1:7000).\n"
"\n"
"  -l lib.so      load this kernel component (shared object; a plain name is\n"
"                 looked for in the library directory), in order; librump.so\n"
"                 is always loaded first.  Default: librumpvfs.so and\n"
"                 librumpfs_tmpfs.so (tmpfs root)\n"
"  -L dir         library directory (default: ../lib beside the program)\n"
"  -b key=hostfile\n"
"                 attach a host file (a disk image) or block device as the\n"
"                 kernel's block device key, e.g. -b /dev/disk0=/tmp/ext2.img\n"
"                 (read-write when the host allows, else read-only)\n"
"  -m fstype[@device]:target[:options]\n"
"                 mount a file system at target (made if missing) before\n"
"                 serving, e.g. -m tmpfs:/tmp:size=64m, or from an attached\n"
"                 device, e.g. -m ext2@/dev/disk0:/mnt (the file system's\n"
"                 component loaded with -l); \"ro\" among the options mounts\n"
"                 read-only\n"
"  -p pidfile     write the server's pid there once it listens\n"
"  -r size        kernel memory limit (RUMP_MEMLIMIT), e.g. 256m\n"
"  -d             daemonize: return once the server listens (exit status 0),\n"
"                 or with the error that kept it from listening\n"
"  -v             boot messages (RUMP_VERBOSE)\n"
"  -h, --help     this text\n"
"\n"
"SIGTERM or SIGINT stop the server: it stops accepting, removes the unix\n"
"socket, disconnects its clients (releasing their processes), syncs and\n"
"exits with status 0.\n",
	    progname, (int)strlen(progname), "");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* The directory of our own executable's ../lib. */
static void
default_libdir(char *buf, size_t len)
{
	char exe[PATH_MAX - 8], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(buf, len, ".");
		return;
	}
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	snprintf(buf, len, "%s/../lib", exe);
}

static void *
load(const char *libdir, const char *name)
{
	char path[PATH_MAX];
	void *h;

	if (strchr(name, '/') != NULL)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", libdir, name);
	h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (h == NULL)
		die("cannot load %s: %s", path, dlerror());
	return h;
}

static void *
sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (p == NULL)
		die("the kernel has no %s: %s", name, dlerror());
	return p;
}

/* mkdir -p inside the kernel. */
static int
kmkdirs(int (*mkdirf)(const char *, uint32_t), const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdirf(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdirf(buf, 0755) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *libs[MAXLIBS], *mounts[MAXMOUNTS], *disks[MAXMOUNTS];
	const char *url, *pidfile = NULL;
	char libdir[PATH_MAX];
	int nlibs = 0, nmounts = 0, ndisks = 0, daemonize = 0, c, error, sig;
	int (*etfs)(const char *, const char *, int);
	int (*init)(void), (*init_server)(const char *);
	int (*kmount)(const char *, const char *, const char *, unsigned long,
	    const void *);
	int (*kmkdir)(const char *, uint32_t);
	void (*ksync)(void);
	void *base;
	sigset_t stop;

	default_libdir(libdir, sizeof(libdir));
	while ((c = getopt_long(argc, argv, "b:dhL:l:m:p:r:v", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'b':
			if (ndisks == MAXMOUNTS)
				die("more than %d -b options", MAXMOUNTS);
			if (optarg[0] != '/' || strchr(optarg, '=') == NULL ||
			    strchr(optarg, '=')[1] == '\0')
				die("-b %s: want key=hostfile (key an absolute "
				    "name such as /dev/disk0)", optarg);
			disks[ndisks++] = optarg;
			break;
		case 'd':
			daemonize = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'L':
			snprintf(libdir, sizeof(libdir), "%s", optarg);
			break;
		case 'l':
			if (nlibs == MAXLIBS)
				die("more than %d -l options", MAXLIBS);
			libs[nlibs++] = optarg;
			break;
		case 'm':
			if (nmounts == MAXMOUNTS)
				die("more than %d -m options", MAXMOUNTS);
			mounts[nmounts++] = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'r':
			setenv("RUMP_MEMLIMIT", optarg, 1);
			break;
		case 'v':
			setenv("RUMP_VERBOSE", "1", 1);
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s: %s\n", progname, argc == optind ?
		    "no URL given" : "more than one URL given");
		usage(stderr);
		return 2;
	}
	url = argv[optind];
	if (strncmp(url, "unix://", 7) != 0 && strncmp(url, "tcp://", 6) != 0)
		die("bad URL %s: want unix://PATH or tcp://ADDR:PORT", url);
	if (nlibs == 0) {
		libs[nlibs++] = "librumpvfs.so";
		libs[nlibs++] = "librumpfs_tmpfs.so";
	}

	/* Every thread the kernel starts inherits this mask: the signals
	 * that stop us are taken only by sigwait() below. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);

	/* With -d, the parent stays in here until daemonize_done() below
	 * reports whether we listen, and exits with that. */
	if (daemonize && (error = rumpuser_daemonize_begin()) != 0)
		die("cannot daemonize (error %d)", error);

	base = load(libdir, "librump.so");
	for (int i = 0; i < nlibs; i++)
		(void)load(libdir, libs[i]);
	init = (int (*)(void))sym(base, "rump_init");
	init_server = (int (*)(const char *))sym(base, "rump_init_server");
	ksync = (void (*)(void))dlsym(RTLD_DEFAULT, "rump_sys_sync");
	kmount = (int (*)(const char *, const char *, const char *,
	    unsigned long, const void *))dlsym(RTLD_DEFAULT, "rump_sys_mount");
	kmkdir = (int (*)(const char *, uint32_t))dlsym(RTLD_DEFAULT,
	    "rump_sys_mkdir");
	etfs = (int (*)(const char *, const char *, int))dlsym(RTLD_DEFAULT,
	    "rump_etfs_register");

	if ((error = init()) != 0)
		goto fail;
	for (int i = 0; i < ndisks; i++) {
		char spec[PATH_MAX], *host;

		snprintf(spec, sizeof(spec), "%s", disks[i]);
		host = strchr(spec, '=');
		*host++ = '\0';
		if (etfs == NULL) {
			fprintf(stderr, "%s: -b: no VFS loaded\n", progname);
			error = ENOTSUP;
			goto fail;
		}
		/* A regular file is taken as a disk image. */
		if ((error = etfs(spec, host, RUMP_ETFS_BLK)) != 0) {
			fprintf(stderr, "%s: -b %s: %s\n", progname, disks[i],
			    strerror(error));
			goto fail;
		}
	}
	for (int i = 0; i < nmounts; i++) {
		char spec[PATH_MAX], *type, *target, *opts, *dev, *o;
		unsigned long flags = 0;

		snprintf(spec, sizeof(spec), "%s", mounts[i]);
		type = spec;
		if ((target = strchr(type, ':')) == NULL || target[1] != '/') {
			fprintf(stderr, "%s: -m %s: want "
			    "fstype[@device]:/target[:options]\n", progname,
			    mounts[i]);
			error = EINVAL;
			goto fail;
		}
		*target++ = '\0';
		if ((opts = strchr(target, ':')) != NULL)
			*opts++ = '\0';
		/* The source: an attached device, or (tmpfs...) the type. */
		if ((dev = strchr(type, '@')) != NULL)
			*dev++ = '\0';
		else
			dev = type;
		/* "ro" is mount(8)'s generic flag (MS_RDONLY), whichever
		 * file system. */
		for (o = opts; o != NULL && *o != '\0'; ) {
			size_t n = strcspn(o, ",");

			if (n == 2 && strncmp(o, "ro", 2) == 0)
				flags |= 1;	/* MS_RDONLY */
			o += n + (o[n] == ',');
		}
		if (kmount == NULL || kmkdir == NULL) {
			fprintf(stderr, "%s: -m: no VFS loaded\n", progname);
			error = ENOTSUP;
			goto fail;
		}
		if (kmkdirs(kmkdir, target) != 0 ||
		    kmount(dev, target, type, flags, opts) != 0) {
			error = errno;
			fprintf(stderr, "%s: mount %s%s%s on %s: %s\n",
			    progname, type, dev != type ? " " : "",
			    dev != type ? dev : "", target, strerror(error));
			goto fail;
		}
	}
	if ((error = init_server(url)) != 0) {
		fprintf(stderr, "%s: cannot serve at %s: %s\n", progname, url,
		    strerror(error));
		goto fail;
	}
	if (pidfile != NULL) {
		FILE *f = fopen(pidfile, "w");

		if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 ||
		    fclose(f) != 0) {
			error = errno;
			fprintf(stderr, "%s: %s: %s\n", progname, pidfile,
			    strerror(error));
			rumpuser_sp_fini(NULL);
			goto fail;
		}
	}
	if (daemonize)
		rumpuser_daemonize_done(0);

	/* Serving happens on the platform's threads; we wait for a signal
	 * to stop. */
	do {
		if (sigwait(&stop, &sig) != 0)
			sig = SIGTERM;
	} while (sig == SIGHUP);
	rumpuser_sp_fini(NULL);
	if (ksync != NULL)
		ksync();
	if (pidfile != NULL)
		unlink(pidfile);
	return 0;

 fail:
	if (daemonize) {
		/* The waiting parent exits with this status: the errno where
		 * Linux and NetBSD agree (1..34 but 11), else EIO's 5. */
		rumpuser_daemonize_done(error > 0 && error < 35 && error != 11 ?
		    error : 5);
		exit(1);
	}
	if (error != 0 && errno != error)
		fprintf(stderr, "%s: %s\n", progname, strerror(error));
	return 1;
}
