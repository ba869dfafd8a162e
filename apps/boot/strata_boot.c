/*
 * strata-boot: start a kvm platform image (made by strata-bake) in QEMU
 * and end with the guest program's exit status.
 *
 * The image is booted with -kernel; its command line carries the
 * environment (NAME=VALUE words), then "--" and the arguments, each word
 * %XX-escaped (platform/kvm/kvm_boot.c reads it back).  The guest's
 * console (COM1) is our standard output.  The guest writes its exit
 * status as a line to the second serial port, which goes to a temporary
 * file we read when QEMU has ended: QEMU's own exit status carries only
 * seven bits of it (isa-debug-exit).
 *
 * With --stdin our standard input becomes the program's: a relay process
 * copies it to QEMU's standard input (the console's receive side) with
 * the byte 0xff doubled and 0xff 0x00 at the end, so that the guest
 * (STRATA_STDIN=1, platform/kvm/l2/l2_stdio.c) can tell the end of the
 * input, which a serial line cannot carry.  It starts once the guest has
 * written the line "stdin" to the status port: bytes sent earlier would
 * be lost to the firmware and to the UART's setup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* The --stdin encoding (platform/kvm/l2/l2_stdio.c decodes it). */
#define STDIN_ESC	0xff	/* ESC ESC: the byte 0xff; ESC 0: the end */

#define EXIT_LAUNCH	125	/* strata-boot's own failure, not the guest's */
#define MAXARGS		512

static const char *prog = "strata-boot";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: %s [options] IMAGE [--] [ARGS...]\n"
"Boots IMAGE, a kvm image made by strata-bake, in QEMU (KVM when /dev/kvm\n"
"is usable, else TCG emulation) with ARGS as the program's arguments, its\n"
"console on standard output; exits with the program's exit status.\n"
"\n"
"  -m, --memory SIZE     guest memory, QEMU syntax (64M, 1G; default 64M)\n"
"  -d, --disk FILE       attach FILE as the next virtio block device\n"
"                        (/dev/vda, /dev/vdb, ... in the guest, also named\n"
"                        by FILE's last component); repeatable\n"
"  -n, --net tap:NAME    attach the host TAP device NAME as a virtio\n"
"                        network interface\n"
"  -e, --env NAME=VALUE  set an environment variable of the program (and\n"
"                        kernel parameters such as RUMP_VERBOSE=1)\n"
"  -M, --machine TYPE    QEMU machine: pc (default) or microvm\n"
"      --kvm             require KVM (fail without /dev/kvm)\n"
"      --tcg             use TCG emulation even where KVM is available\n"
"      --print-accel     print the accelerator IMAGE would get, kvm or\n"
"                        tcg, and why, then exit (IMAGE not needed)\n"
"  -i, --stdin           our standard input is the program's (without it\n"
"                        the program reads end-of-file)\n"
"  -t, --timeout SEC     stop the machine after SEC seconds (exit 124)\n"
"  -q, --qemu PATH       the QEMU program (default $STRATA_QEMU or\n"
"                        qemu-system-x86_64 on PATH)\n"
"  -v, --verbose         print the QEMU command line on standard error\n"
"  -h, --help            this text\n"
"\n"
"Exit status: the program's (0-255; 128+n when the guest was ended as by\n"
"signal n, 134 after a kernel panic or a fatal exception, whose register\n"
"dump is on the console), 124 on --timeout, 125 when the machine could\n"
"not be started or ended without a status, 2 for usage errors.\n",
	    prog);
}

/*
 * Whether /dev/kvm can run an image; if not, *why says so.  One kind of
 * /dev/kvm cannot: PVM (the kvm_pvm module, KVM for hosts that are
 * themselves virtual machines without hardware virtualization) runs a
 * guest's kernel code deprivileged and emulates it while interrupts are
 * off, and its emulator lacks SSE and x87 state instructions, which
 * compiled C uses anywhere; the guest then stops early with "KVM
 * internal error", and QEMU's -cpu host does not even start there (it
 * cannot set MSR 0x10a, IA32_ARCH_CAPABILITIES).
 */
static bool
kvm_usable(const char **why)
{
	int fd;

	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		*why = errno == ENOENT ? "no /dev/kvm" : "/dev/kvm cannot be opened";
		return false;
	}
	close(fd);
	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		*why = "/dev/kvm is PVM (module kvm_pvm), which cannot run "
		    "unmodified guest kernel code";
		return false;
	}
	*why = "/dev/kvm is usable";
	return true;
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

/* Appends word to the command line being built, escaping what the
 * guest's parser would split or misread. */
static void
append_word(char **line, size_t *len, const char *w)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t need = *len + strlen(w) * 3 + 2;
	char *p;

	if ((p = realloc(*line, need)) == NULL)
		die(EXIT_LAUNCH, "out of memory");
	*line = p;
	p += *len;
	if (*len > 0)
		*p++ = ' ';
	if (*w == '\0') {
		/* An empty word: %00 decodes to a NUL, which ends it. */
		*p++ = '%'; *p++ = '0'; *p++ = '0';
	}
	for (; *w != '\0'; w++) {
		unsigned char c = (unsigned char)*w;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._-/=:,+@", c) != NULL)
			*p++ = (char)c;
		else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	*len = (size_t)(p - *line);
}

static const char *qargv[MAXARGS];
static int qargc;

static void
qarg(const char *a)
{

	if (qargc + 1 >= MAXARGS)
		die(2, "too many options");
	qargv[qargc++] = a;
}

static char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die(EXIT_LAUNCH, "out of memory");
	va_end(ap);
	return s;
}

/* The QEMU program: an explicit path, or the first on PATH. */
static const char *
find_qemu(const char *q)
{
	const char *path = getenv("PATH");
	char *dirs, *d, *cand;

	if (q == NULL)
		q = getenv("STRATA_QEMU");
	if (q != NULL && *q != '\0') {
		if (access(q, X_OK) != 0)
			die(EXIT_LAUNCH, "%s: %s", q, strerror(errno));
		return q;
	}
	q = "qemu-system-x86_64";
	dirs = strdup(path != NULL ? path : "/usr/bin:/bin");
	for (d = strtok(dirs, ":"); d != NULL; d = strtok(NULL, ":")) {
		cand = xasprintf("%s/%s", d, q);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	die(EXIT_LAUNCH, "%s not found on PATH (Debian: apt-get install "
	    "qemu-system-x86), or give --qemu PATH", q);
}

static volatile sig_atomic_t timed_out;
static pid_t child;

static void
on_alarm(int sig)
{

	(void)sig;
	timed_out = 1;
	if (child > 0)
		kill(child, SIGKILL);
}

/* The status line the guest wrote to its second serial port. */
static int
read_status(const char *path, bool *found)
{
	char line[64];
	FILE *f;
	int n = -1;

	*found = false;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "exit %d", &n) == 1 ||
		    sscanf(line, "abort %d", &n) == 1)
			*found = true;
	}
	fclose(f);
	return n;
}

/* The --stdin relay: standard input to fd, encoded (STDIN_ESC), until
 * its end; then it waits to be ended, keeping fd open (QEMU would see
 * the end of its input otherwise, which the console cannot pass on). */
static void __attribute__((__noreturn__))
relay_stdin(int fd, const char *ctlpath)
{
	unsigned char in[4096], out[2 * sizeof(in)];
	ssize_t n, i, m, w;
	char line[64];
	bool ready = false;
	FILE *f;

	signal(SIGTERM, SIG_DFL);
	/* The guest's word that it listens; we are ended with QEMU. */
	while (!ready) {
		if ((f = fopen(ctlpath, "r")) != NULL) {
			while (!ready && fgets(line, sizeof(line), f) != NULL)
				ready = strcmp(line, "stdin\n") == 0;
			fclose(f);
		}
		if (!ready)
			usleep(5000);
	}
	for (;;) {
		n = read(0, in, sizeof(in));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = m = 0; i < n; i++) {
			out[m++] = in[i];
			if (in[i] == STDIN_ESC)
				out[m++] = STDIN_ESC;
		}
		for (i = 0; i < m; i += w)
			if ((w = write(fd, out + i, (size_t)(m - i))) < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				_exit(0);	/* QEMU has gone */
			}
	}
	out[0] = STDIN_ESC;
	out[1] = 0;
	if (write(fd, out, 2) != 2)
		_exit(0);
	for (;;)
		pause();
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "disk", required_argument, NULL, 'd' },
		{ "net", required_argument, NULL, 'n' },
		{ "env", required_argument, NULL, 'e' },
		{ "machine", required_argument, NULL, 'M' },
		{ "kvm", no_argument, NULL, 'K' },
		{ "tcg", no_argument, NULL, 'T' },
		{ "timeout", required_argument, NULL, 't' },
		{ "qemu", required_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "stdin", no_argument, NULL, 'i' },
		{ "print-accel", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *memory = "64M", *machine = "pc", *qemu = NULL, *image;
	const char *disks[16], *nets[8], *envs[MAXARGS];
	int ndisks = 0, nnets = 0, nenvs = 0, c, i, status, wst;
	bool want_kvm = false, want_tcg = false, verbose = false, use_kvm;
	bool found, microvm, want_stdin = false, print_accel = false;
	const char *why;
	int inpipe[2] = { -1, -1 };
	pid_t relay = -1;
	long timeout = 0;
	char *cmdline = NULL, *end, ctlpath[] = "/tmp/strata-boot.XXXXXX";
	const char *base, *serial;
	size_t cmdlen = 0;
	struct stat st;
	int fd;

	while ((c = getopt_long(argc, argv, "+m:d:n:e:M:t:q:vih", opts,
	    NULL)) != -1) {
		switch (c) {
		case 'm':
			memory = optarg;
			break;
		case 'd':
			if (ndisks == (int)(sizeof(disks) / sizeof(disks[0])))
				die(2, "too many disks (at most 16)");
			disks[ndisks++] = optarg;
			break;
		case 'n':
			if (strncmp(optarg, "tap:", 4) != 0 || optarg[4] == '\0')
				die(2, "--net %s: expected tap:NAME", optarg);
			if (nnets == (int)(sizeof(nets) / sizeof(nets[0])))
				die(2, "too many networks (at most 8)");
			nets[nnets++] = optarg + 4;
			break;
		case 'e':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				die(2, "--env %s: expected NAME=VALUE", optarg);
			if (nenvs == MAXARGS)
				die(2, "too many --env");
			envs[nenvs++] = optarg;
			break;
		case 'M':
			if (strcmp(optarg, "pc") != 0 &&
			    strcmp(optarg, "microvm") != 0)
				die(2, "--machine %s: pc or microvm", optarg);
			machine = optarg;
			break;
		case 'K':
			want_kvm = true;
			break;
		case 'T':
			want_tcg = true;
			break;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*end != '\0' || timeout <= 0)
				die(2, "--timeout %s: a positive number of "
				    "seconds", optarg);
			break;
		case 'q':
			qemu = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'i':
			want_stdin = true;
			break;
		case 'A':
			print_accel = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (want_kvm && want_tcg)
		die(2, "--kvm and --tcg exclude each other");
	if (print_accel) {
		if (want_tcg)
			printf("tcg: --tcg\n");
		else if (kvm_usable(&why))
			printf("kvm: %s\n", why);
		else if (want_kvm)
			die(EXIT_LAUNCH, "--kvm: %s", why);
		else
			printf("tcg: %s\n", why);
		return 0;
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	image = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (stat(image, &st) != 0)
		die(2, "%s: %s", image, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die(2, "%s: not a regular file", image);
	for (i = 0; i < ndisks; i++)
		if (access(disks[i], R_OK) != 0)
			die(2, "--disk %s: %s", disks[i], strerror(errno));
	qemu = find_qemu(qemu);
	microvm = strcmp(machine, "microvm") == 0;

	use_kvm = false;
	if (!want_tcg) {
		use_kvm = kvm_usable(&why);
		if (!use_kvm && want_kvm)
			die(EXIT_LAUNCH, "--kvm: %s", why);
	}

	for (i = 0; i < nenvs; i++)
		append_word(&cmdline, &cmdlen, envs[i]);
	if (want_stdin)
		append_word(&cmdline, &cmdlen, "STRATA_STDIN=1");
	append_word(&cmdline, &cmdlen, "--");
	base = strrchr(image, '/') != NULL ? strrchr(image, '/') + 1 : image;
	append_word(&cmdline, &cmdlen, base);
	for (; optind < argc; optind++)
		append_word(&cmdline, &cmdlen, argv[optind]);

	if ((fd = mkstemp(ctlpath)) < 0)
		die(EXIT_LAUNCH, "temporary file: %s", strerror(errno));
	close(fd);

	qarg(qemu);
	qarg("-M");
	qarg(microvm ? "microvm,x-option-roms=off,rtc=on" : "pc");
	qarg("-accel");
	qarg(use_kvm ? "kvm" : "tcg");
	qarg("-cpu");
	qarg(use_kvm ? "host" : "max");
	qarg("-m");
	qarg(memory);
	if (microvm) {
		/* virtio 1.x over MMIO (QEMU's default there is legacy). */
		qarg("-global");
		qarg("virtio-mmio.force-legacy=false");
	}
	qarg("-nodefaults");
	qarg("-display");
	qarg("none");
	qarg("-no-reboot");
	qarg("-serial");
	qarg("stdio");
	/* The status port, COM2, as a device of its own: microvm has no
	 * second serial port unless asked for one this way. */
	qarg("-chardev");
	qarg(xasprintf("file,id=ctl,path=%s", ctlpath));
	qarg("-device");
	qarg("isa-serial,chardev=ctl,index=1");
	qarg("-device");
	qarg("isa-debug-exit,iobase=0xf4,iosize=1");
	for (i = 0; i < ndisks; i++) {
		qarg("-drive");
		qarg(xasprintf("file=%s,format=raw,if=none,id=disk%d,"
		    "cache=writeback%s", disks[i], i,
		    access(disks[i], W_OK) != 0 ? ",readonly=on" : ""));
		/* The file's name as the device's serial: the guest finds
		 * the disk by it too (QEMU keeps 20 bytes of it). */
		serial = strrchr(disks[i], '/') != NULL ?
		    strrchr(disks[i], '/') + 1 : disks[i];
		qarg("-device");
		qarg(xasprintf("%s,drive=disk%d%s%s", microvm ?
		    "virtio-blk-device" : "virtio-blk-pci", i,
		    strlen(serial) <= 20 && strchr(serial, ',') == NULL ?
		    ",serial=" : "", strlen(serial) <= 20 &&
		    strchr(serial, ',') == NULL ? serial : ""));
	}
	for (i = 0; i < nnets; i++) {
		qarg("-netdev");
		qarg(xasprintf("tap,id=net%d,ifname=%s,script=no,"
		    "downscript=no", i, nets[i]));
		qarg("-device");
		qarg(xasprintf("%s,netdev=net%d", microvm ?
		    "virtio-net-device" : "virtio-net-pci", i));
	}
	qarg("-kernel");
	qarg(image);
	qarg("-append");
	qarg(cmdline);
	qargv[qargc] = NULL;

	if (verbose) {
		for (i = 0; i < qargc; i++)
			fprintf(stderr, "%s%s", i ? " " : "", qargv[i]);
		fputc('\n', stderr);
	}

	fflush(stdout);
	if (want_stdin) {
		if (pipe(inpipe) != 0) {
			unlink(ctlpath);
			die(EXIT_LAUNCH, "pipe: %s", strerror(errno));
		}
		if ((relay = fork()) < 0) {
			unlink(ctlpath);
			die(EXIT_LAUNCH, "fork: %s", strerror(errno));
		}
		if (relay == 0) {
			close(inpipe[0]);
			relay_stdin(inpipe[1], ctlpath);
		}
		close(inpipe[1]);
	}
	if ((child = fork()) < 0) {
		unlink(ctlpath);
		die(EXIT_LAUNCH, "fork: %s", strerror(errno));
	}
	if (child == 0) {
		if (want_stdin) {
			dup2(inpipe[0], 0);
			close(inpipe[0]);
		}
		execv(qemu, (char *const *)qargv);
		fprintf(stderr, "%s: %s: %s\n", prog, qemu, strerror(errno));
		_exit(EXIT_LAUNCH);
	}
	if (timeout > 0) {
		signal(SIGALRM, on_alarm);
		alarm((unsigned int)timeout);
	}
	/* Ctrl-C goes to QEMU (same process group), which ends; we then
	 * report as usual. */
	signal(SIGINT, SIG_IGN);
	while (waitpid(child, &wst, 0) < 0) {
		if (errno != EINTR) {
			unlink(ctlpath);
			die(EXIT_LAUNCH, "waitpid: %s", strerror(errno));
		}
	}
	if (relay > 0) {
		kill(relay, SIGTERM);
		waitpid(relay, NULL, 0);
	}
	status = read_status(ctlpath, &found);
	unlink(ctlpath);
	if (timed_out) {
		fprintf(stderr, "%s: stopped after %ld s (--timeout)\n", prog,
		    timeout);
		return 124;
	}
	if (found)
		return status & 0xff;
	if (WIFEXITED(wst) && (WEXITSTATUS(wst) & 1) != 0 &&
	    WEXITSTATUS(wst) != 1)
		return WEXITSTATUS(wst) >> 1;
	if (WIFSIGNALED(wst))
		fprintf(stderr, "%s: QEMU killed by signal %d\n", prog,
		    WTERMSIG(wst));
	else
		fprintf(stderr, "%s: the machine ended without an exit status "
		    "(QEMU exit status %d)\n", prog, WEXITSTATUS(wst));
	return EXIT_LAUNCH;
}
