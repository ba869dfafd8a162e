/*
 * strata-bake: link a program and chosen kernel components with the kvm
 * platform into one bootable image (strata-boot starts it).
 *
 * The program is C sources, objects or archives written against the
 * installed layers (rump_init(), rump_sys_*(), the C library subset of
 * platform/kvm); .c files are compiled here with the flags the platform
 * needs.  Everything comes from the installed prefix this program belongs
 * to (PREFIX/bin/strata-bake: PREFIX/lib/pkgconfig), through pkg-config.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bake_program.h"

#define MAXARGS	1024

static const char *prog = "strata-bake";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: %s [options] INPUT... IMAGE\n"
"       %s [options] PROGRAM IMAGE\n"
"Links INPUT (C sources, objects, archives of a program written against\n"
"the installed strata layers: rump_init(), rump_sys_*(), the kvm\n"
"platform's small C library) with the chosen kernel components and the\n"
"kvm platform into IMAGE, which strata-boot starts.  Or embeds PROGRAM,\n"
"an unmodified static x86-64 Linux executable (musl-gcc -static or\n"
"-static-pie, busybox-static), which the image runs in ring 3 with its\n"
"system calls served by the kernel and the platform (strata-bake(1)).\n"
"\n"
"  -c, --components LIST  comma-separated components or sets (default\n"
"                         tmpfs): fs (tmpfs ext2fs msdosfs), net (tmpfs\n"
"                         netinet), all (every installed component the\n"
"                         platform can run); a component is its name\n"
"                         (ext2fs) or its pkg-config name (rumpfs_ext2fs)\n"
"      --cflags FLAGS     more compiler flags for the .c inputs\n"
"      --prefix DIR       the installed layers (default: the prefix this\n"
"                         program is installed in)\n"
"  -v, --verbose          print the commands run\n"
"  -h, --help             this text\n"
"\n"
"The compiler is $CC (default cc); pkg-config is $PKG_CONFIG (default\n"
"pkg-config).  Exit status 0 when IMAGE was made, 1 when a step failed,\n"
"2 for usage errors.\n",
	    prog, prog);
}

static void __attribute__((__noreturn__, __format__(__printf__, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die(1, "out of memory");
	va_end(ap);
	return s;
}

struct argv {
	char	*v[MAXARGS];
	int	 n;
};

static void
push(struct argv *a, const char *s)
{

	if (a->n + 1 >= MAXARGS)
		die(1, "command line too long");
	a->v[a->n++] = strdup(s);
	a->v[a->n] = NULL;
}

/* Appends the whitespace-separated words of s. */
static void
push_words(struct argv *a, const char *s)
{
	char *copy = strdup(s), *w, *save;

	for (w = strtok_r(copy, " \t\n", &save); w != NULL;
	    w = strtok_r(NULL, " \t\n", &save))
		push(a, w);
	free(copy);
}

static bool verbose;

/* Runs a; with out, collects its standard output there. */
static int
run(struct argv *a, char *out, size_t outlen)
{
	int p[2] = { -1, -1 }, st, i;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (verbose) {
		for (i = 0; i < a->n; i++)
			fprintf(stderr, "%s%s", i ? " " : "", a->v[i]);
		fputc('\n', stderr);
	}
	if (out != NULL && pipe(p) != 0)
		die(1, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		die(1, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (out != NULL) {
			dup2(p[1], 1);
			close(p[0]);
			close(p[1]);
		}
		execvp(a->v[0], a->v);
		fprintf(stderr, "%s: %s: %s\n", prog, a->v[0], strerror(errno));
		_exit(127);
	}
	if (out != NULL) {
		close(p[1]);
		while ((n = read(p[0], out + got, outlen - 1 - got)) > 0)
			got += (size_t)n;
		out[got] = '\0';
		close(p[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die(1, "waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char prefix[PATH_MAX];
static char pcdir[PATH_MAX + 32];

static bool
installed(const char *pkg)
{
	char *path = xasprintf("%s/%s.pc", pcdir, pkg);
	bool ok = access(path, R_OK) == 0;

	free(path);
	return ok;
}

/* Components the kvm platform cannot run: they need hypercall modules it
 * does not implement (shmif's shared-memory bus file). */
static bool
runs_on_kvm(const char *pkg)
{

	return strcmp(pkg, "rumpnet_shmif") != 0;
}

static char *comps[128];
static int ncomps;

static void
add_component(const char *pkg)
{
	int i;

	for (i = 0; i < ncomps; i++)
		if (strcmp(comps[i], pkg) == 0)
			return;
	if (ncomps == (int)(sizeof(comps) / sizeof(comps[0])))
		die(2, "too many components");
	comps[ncomps++] = strdup(pkg);
}

/* name: a set, a pkg-config name, or a component's short name. */
static void
add_name(const char *name)
{
	static const char *const fs[] = { "rumpfs_tmpfs", "rumpfs_ext2fs",
	    "rumpfs_msdosfs", NULL };
	static const char *const net[] = { "rumpfs_tmpfs", "rumpnet_netinet",
	    "rumpnet_virtif", NULL };
	static const char *const factions[] = { "rumpfs_", "rumpnet_",
	    "rumpdev_", "rump", NULL };
	const char *const *s = NULL;
	char *pkg, line[PATH_MAX + 64];
	FILE *ls;
	int i;

	if (strcmp(name, "fs") == 0)
		s = fs;
	else if (strcmp(name, "net") == 0)
		s = net;
	if (s != NULL) {
		/* A set takes what of it is installed. */
		for (; *s != NULL; s++)
			if (installed(*s))
				add_component(*s);
		return;
	}
	if (strcmp(name, "all") == 0) {
		char *cmd = xasprintf("ls '%s'", pcdir);
		if ((ls = popen(cmd, "r")) == NULL)
			die(1, "%s: %s", pcdir, strerror(errno));
		while (fgets(line, sizeof(line), ls) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (strncmp(line, "rump", 4) != 0 ||
			    strncmp(line, "rumpuser", 8) == 0 ||
			    strncmp(line, "rumpclient", 10) == 0 ||
			    strlen(line) < 4 ||
			    strcmp(line + strlen(line) - 3, ".pc") != 0)
				continue;
			line[strlen(line) - 3] = '\0';
			if (runs_on_kvm(line))
				add_component(line);
		}
		pclose(ls);
		free(cmd);
		return;
	}
	for (i = 0; factions[i] != NULL; i++) {
		pkg = strncmp(name, "rump", 4) == 0 ? strdup(name) :
		    xasprintf("%s%s", factions[i], name);
		if (installed(pkg)) {
			if (!runs_on_kvm(pkg))
				die(2, "%s: needs hypercalls the kvm platform "
				    "does not have", name);
			add_component(pkg);
			free(pkg);
			return;
		}
		free(pkg);
	}
	die(2, "unknown component '%s' (not a set, nor installed in %s)",
	    name, pcdir);
}

static void
find_prefix(const char *given)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (given != NULL) {
		if (realpath(given, prefix) == NULL)
			die(2, "--prefix %s: %s", given, strerror(errno));
	} else {
		if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
			die(1, "/proc/self/exe: %s", strerror(errno));
		exe[n] = '\0';
		/* PREFIX/bin/strata-bake */
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		snprintf(prefix, sizeof(prefix), "%s", exe);
	}
	snprintf(pcdir, sizeof(pcdir), "%s/lib/pkgconfig", prefix);
	if (!installed("rumpuser-kvm"))
		die(1, "no kvm platform installed in %s (rumpuser-kvm.pc)",
		    prefix);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "components", required_argument, NULL, 'c' },
		{ "cflags", required_argument, NULL, 'C' },
		{ "prefix", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *components = "tmpfs", *cflags = "", *given = NULL;
	const char *cc = getenv("CC"), *pkgconfig = getenv("PKG_CONFIG");
	static char pkgout[65536];
	char *list, *w, *save, tmpdir[] = "/tmp/strata-bake.XXXXXX";
	struct argv a, link;
	const char *image;
	int c, i, ninputs;
	bool made_tmp = false;
	const char *program = NULL;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			components = optarg;
			break;
		case 'C':
			cflags = optarg;
			break;
		case 'P':
			given = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return 2;
	}
	ninputs = argc - optind - 1;
	image = argv[argc - 1];
	for (i = 0; i < ninputs; i++) {
		const char *in = argv[optind + i];
		char why[256];

		switch (bake_program_kind(in, why, sizeof(why))) {
		case BAKE_PROGRAM:
			if (ninputs != 1)
				die(2, "%s: a program is baked alone, without "
				    "other inputs", in);
			program = in;
			continue;
		case BAKE_BAD_PROGRAM:
			die(2, "%s: %s", in, why);
		}
		if (!ends_with(in, ".c") && !ends_with(in, ".o") &&
		    !ends_with(in, ".a"))
			die(2, "%s: not a .c, .o or .a file, nor a static "
			    "program", in);
		if (access(in, R_OK) != 0)
			die(2, "%s: %s", in, strerror(errno));
	}
	if (cc == NULL || *cc == '\0')
		cc = "cc";
	if (pkgconfig == NULL || *pkgconfig == '\0')
		pkgconfig = "pkg-config";
	find_prefix(given);
	setenv("PKG_CONFIG_PATH", pcdir, 1);
	unsetenv("PKG_CONFIG_LIBDIR");

	list = strdup(components);
	for (w = strtok_r(list, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save))
		add_name(w);
	/* The root file system is tmpfs: every image has it. */
	if (installed("rumpfs_tmpfs"))
		add_component("rumpfs_tmpfs");

	memset(&link, 0, sizeof(link));
	push_words(&link, cc);
	push(&link, "-o");
	push(&link, image);

	for (i = 0; i < ninputs; i++) {
		const char *in = argv[optind + i];
		char *obj;

		if (!ends_with(in, ".c") && in != program) {
			push(&link, in);
			continue;
		}
		if (!made_tmp) {
			if (mkdtemp(tmpdir) == NULL)
				die(1, "temporary directory: %s",
				    strerror(errno));
			made_tmp = true;
		}
		obj = xasprintf("%s/%d.o", tmpdir, i);
		if (in == program) {
			/* The program's bytes, as an object of their own. */
			char *src = xasprintf("%s/%d.S", tmpdir, i);
			int e = bake_program_source(in, src);

			if (e != 0)
				die(1, "%s: %s", src, strerror(e));
			memset(&a, 0, sizeof(a));
			push_words(&a, cc);
			push(&a, "-c");
			push(&a, src);
			push(&a, "-o");
			push(&a, obj);
			e = run(&a, NULL, 0);
			unlink(src);
			free(src);
			if (e != 0) {
				rmdir(tmpdir);
				die(1, "embedding %s failed", in);
			}
			push(&link, obj);
			continue;
		}
		memset(&a, 0, sizeof(a));
		push_words(&a, cc);
		push_words(&a, "-O2 -g -fno-pic -fno-pie -mno-red-zone -mcmodel=kernel "
		    "-fno-stack-protector -fno-omit-frame-pointer "
		    "-fno-asynchronous-unwind-tables");
		{
			struct argv q;

			memset(&q, 0, sizeof(q));
			push_words(&q, pkgconfig);
			push(&q, "--cflags");
			push(&q, "rumpuser-kvm");
			if (run(&q, pkgout, sizeof(pkgout)) != 0)
				die(1, "%s --cflags rumpuser-kvm failed",
				    pkgconfig);
			push_words(&a, pkgout);
		}
		push_words(&a, cflags);
		push(&a, "-c");
		push(&a, in);
		push(&a, "-o");
		push(&a, obj);
		if (run(&a, NULL, 0) != 0) {
			fprintf(stderr, "%s: compiling %s failed\n", prog, in);
			if (made_tmp)
				rmdir(tmpdir);
			return 1;
		}
		push(&link, obj);
	}

	memset(&a, 0, sizeof(a));
	push_words(&a, pkgconfig);
	push(&a, "--libs");
	for (i = 0; i < ncomps; i++)
		push(&a, comps[i]);
	push(&a, "rumpuser-kvm");
	if (run(&a, pkgout, sizeof(pkgout)) != 0)
		die(1, "%s --libs failed", pkgconfig);
	push_words(&link, pkgout);

	c = run(&link, NULL, 0);
	if (made_tmp) {
		for (i = 0; i < ninputs; i++) {
			char *obj = xasprintf("%s/%d.o", tmpdir, i);
			unlink(obj);
			free(obj);
		}
		rmdir(tmpdir);
	}
	if (c != 0) {
		unlink(image);
		die(1, "linking %s failed", image);
	}
	return 0;
}
