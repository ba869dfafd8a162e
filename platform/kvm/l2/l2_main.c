/*
 * l2_main.c: main() of an image baked from an unmodified static program
 * (strata-bake PROGRAM IMAGE).  The linker takes it from the platform's
 * archive only when the image has no main() of its own.
 *
 * Boot order: the kernel (rump_init), the program's kernel process with
 * its standard descriptors (l2_stdio.c) and /tmp, the SYSCALL entry, the
 * program's address space: its ELF image, the break after it, its stack
 * at the top of user space with argv (the program's name, then the
 * image's arguments), envp (the image's environment) and auxv; then its
 * first instruction, in ring 3.
 *
 * Parameters (strata-boot -e hands them in like any RUMP_* parameter):
 *   STRATA_STACK   the main thread's stack, bytes with k/m/g (default 1m;
 *                  all of it is memory from the start)
 *   STRATA_TRACE   set: every system call on the console, with its result
 *                  ([thread time-since-boot])
 *   STRATA_MOUNT, STRATA_MOUNT2 ... STRATA_MOUNT9
 *                  DEV:DIR:TYPE[:OPTIONS]: the block device DEV (/dev/vda,
 *                  or a disk's name) mounted on DIR (made if missing) as
 *                  TYPE (ext2, vfat...) with OPTIONS (ro...) before the
 *                  program starts; unmounted cleanly when it ends
 *   STRATA_NET, STRATA_NET2 ... STRATA_NET9
 *                  DEV:ADDR/PREFIX[:GATEWAY]: a virtif interface on the
 *                  network device DEV (virtio0...) with the IPv4 address
 *                  ADDR/PREFIX, up, and a default route through GATEWAY,
 *                  before the program starts (the image needs the network
 *                  components: strata-bake -c net)
 */
#include "l2.h"

#include <rump/rumpuser.h>
#include <rump/rump.h>

#include "rumpuser_common.h"

/* <rump/rump_etfs.h> (it needs uint64_t first). */
#include <rump/rump_etfs.h>

/* The program, linked in by strata-bake. */
extern const unsigned char strata_l2_program[];
extern const unsigned char strata_l2_program_end[];
extern const char strata_l2_program_name[];

extern uint64_t l2_stack_size;

/* --- Mounts ---------------------------------------------------------------- */

#define NMOUNTS	9
static char mounted[NMOUNTS][256];
static int nmounted;

static char *
find(char *s, char c)
{

	for (; *s != '\0'; s++)
		if (*s == c)
			return s;
	return NULL;
}

/* mkdir -p of an absolute path. */
static int
mkdirs(char *path)
{
	char *p;
	long r;

	for (p = path + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			r = l2_ksys(83 /* mkdir */, (long)path, 0755, 0, 0, 0, 0);
			*p = c;
			if (r < 0 && r != -L2_EEXIST)
				return (int)-r;
			if (c == '\0')
				return 0;
		}
	}
}

int
l2_mounts_init(void)
{
	char name[16], buf[512], *dev, *dir, *type, *opts, *colon;
	int i, error;
	long r;

	for (i = 1; i <= NMOUNTS; i++) {
		if (i == 1)
			str_copy(name, "STRATA_MOUNT", sizeof(name));
		else
			rumpuser__format(name, sizeof(name), "STRATA_MOUNT%d",
			    i);
		if (rumpuser_getparam(name, buf, sizeof(buf)) != 0)
			continue;
		dev = buf;
		opts = NULL;
		if ((dir = (colon = find(dev, ':')) ? colon + 1 : NULL) ==
		    NULL ||
		    (type = (colon = find(dir, ':')) ? colon + 1 : NULL) ==
		    NULL) {
			l2_printf("strata: %s=%s: not DEV:DIR:TYPE[:OPTIONS]\n",
			    name, buf);
			return L2_EINVAL;
		}
		dir[-1] = type[-1] = '\0';
		if ((colon = find(type, ':')) != NULL) {
			*colon = '\0';
			opts = colon + 1;
		}
		if (dir[0] != '/' || str_len(dir) >= sizeof(mounted[0])) {
			l2_printf("strata: %s: %s is not an absolute path\n",
			    name, dir);
			return L2_EINVAL;
		}
		if ((error = rump_etfs_register(dev, dev, RUMP_ETFS_BLK)) != 0 ||
		    (error = mkdirs(dir)) != 0 ||
		    (r = l2_ksys(165 /* mount */, (long)dev, (long)dir,
		    (long)type, 0, (long)opts, 0)) < 0) {
			if (error == 0)
				error = (int)-r;
			l2_printf("strata: cannot mount %s on %s as %s "
			    "(error %d)\n", dev, dir, type, error);
			return error;
		}
		str_copy(mounted[nmounted++], dir, sizeof(mounted[0]));
	}
	return 0;
}

void
l2_mounts_fini(void)
{
	long r;
	int fd;

	if (nmounted == 0)
		return;
	/* What the program still holds would keep them busy. */
	for (fd = 0; fd < 1024; fd++)
		l2_ksys(3 /* close */, fd, 0, 0, 0, 0, 0);
	l2_ksys(80 /* chdir */, (long)"/", 0, 0, 0, 0, 0);
	while (nmounted > 0) {
		const char *dir = mounted[--nmounted];

		if ((r = l2_ksys(166 /* umount2 */, (long)dir, 0, 0, 0, 0, 0))
		    < 0 && (r = l2_ksys(166, (long)dir, 1 /* MNT_FORCE */, 0,
		    0, 0, 0)) < 0)
			l2_printf("strata: cannot unmount %s (error %ld)\n",
			    dir, -r);
	}
}

/* --- Network interfaces ------------------------------------------------------ */

/* <rump/rump_netconfig.h>'s calls, weak: an image baked without the
 * network components has none of them, and STRATA_NET then says so. */
int rump_netconfig_ifcreate(const char *, const char *, char *, size_t)
    __attribute__((__weak__));
int rump_netconfig_ifup(const char *) __attribute__((__weak__));
int rump_netconfig_ipv4_addr_add(const char *, const char *, int)
    __attribute__((__weak__));
int rump_netconfig_ipv4_gw(const char *) __attribute__((__weak__));

int
l2_net_init(void)
{
	char name[16], buf[256], ifname[16], *dev, *addr, *slash, *gw, *end;
	unsigned long prefix;
	int i, error;

	for (i = 1; i <= 9; i++) {
		if (i == 1)
			str_copy(name, "STRATA_NET", sizeof(name));
		else
			rumpuser__format(name, sizeof(name), "STRATA_NET%d", i);
		if (rumpuser_getparam(name, buf, sizeof(buf)) != 0)
			continue;
		dev = buf;
		if ((addr = find(dev, ':')) == NULL ||
		    (slash = find(addr, '/')) == NULL) {
			l2_printf("strata: %s=%s: not DEV:ADDR/PREFIX[:GATEWAY]\n",
			    name, buf);
			return L2_EINVAL;
		}
		*addr++ = '\0';
		*slash = '\0';
		if ((gw = find(slash + 1, ':')) != NULL)
			*gw++ = '\0';
		for (prefix = 0, end = slash + 1; *end >= '0' && *end <= '9' &&
		    prefix <= 32; end++)
			prefix = prefix * 10 + (unsigned long)(*end - '0');
		if (slash[1] == '\0' || *end != '\0' || prefix > 32) {
			l2_printf("strata: %s: prefix length %s is not 0..32\n",
			    name, slash + 1);
			return L2_EINVAL;
		}
		if (rump_netconfig_ifcreate == NULL) {
			l2_printf("strata: %s: the image has no network "
			    "components (strata-bake -c net)\n", name);
			return L2_EINVAL;
		}
		if ((error = rump_netconfig_ifcreate("virtif", dev, ifname,
		    sizeof(ifname))) != 0) {
			l2_printf("strata: %s: no network device %s (error "
			    "%d)\n", name, dev, error);
			return error;
		}
		if ((error = rump_netconfig_ipv4_addr_add(ifname, addr,
		    (int)prefix)) != 0 ||
		    (error = rump_netconfig_ifup(ifname)) != 0 ||
		    (gw != NULL && (error = rump_netconfig_ipv4_gw(gw)) != 0)) {
			l2_printf("strata: %s: cannot configure %s (error "
			    "%d)\n", name, ifname, error);
			return error;
		}
	}
	return 0;
}

static void __attribute__((__noreturn__))
fail(const char *what, const char *why, int error)
{

	l2_printf("strata: %s: %s%s%s (error %d)\n", strata_l2_program_name,
	    what, why != NULL ? ": " : "", why != NULL ? why : "", error);
	rumpuser_exit(127);
}

int
main(int argc, char **argv, char **envp)
{
	static const char *const noenv[] = { NULL };
	struct l2_thread *t;
	const char **pargv;
	const char *why = NULL;
	uint64_t entry, sp;
	int error, i;

	if ((error = rump_init()) != 0)
		fail("cannot boot the kernel", NULL, error);
	if ((error = l2_stdio_init()) != 0)
		fail("cannot make the program's kernel process", NULL, error);
	/* The kernel's root is an empty tmpfs; programs expect /tmp. */
	l2_ksys(83 /* mkdir */, (long)"/tmp", 01777, 0, 0, 0, 0);
	l2_ksys(90 /* chmod */, (long)"/tmp", 01777, 0, 0, 0, 0);
	if ((error = l2_mounts_init()) != 0)
		fail("cannot mount its file systems", NULL, error);
	if ((error = l2_net_init()) != 0)
		fail("cannot configure its network", NULL, error);

	l2_stack_size = rumpuser__param_number("STRATA_STACK", 1 << 20);
	if (l2_stack_size < 65536)
		l2_stack_size = 65536;
	l2_stack_size = (l2_stack_size + L2_PAGE_SIZE - 1) &
	    ~(L2_PAGE_SIZE - 1);
	l2_vm_init();
	l2_entry_init();
	if ((error = l2_proc_init((int)l2_ksys(39 /* getpid */, 0, 0, 0, 0, 0,
	    0), strata_l2_program, (size_t)(strata_l2_program_end -
	    strata_l2_program), strata_l2_program_name)) != 0)
		fail("out of memory", NULL, error);

	if (rumpuser_malloc((size_t)(argc + 1) * sizeof(char *), 0,
	    (void **)&pargv) != 0)
		fail("out of memory", NULL, L2_ENOMEM);
	pargv[0] = strata_l2_program_name;
	for (i = 1; i < argc; i++)
		pargv[i] = argv[i];
	pargv[argc > 0 ? argc : 1] = NULL;
	error = l2_image_load(strata_l2_program,
	    (size_t)(strata_l2_program_end - strata_l2_program),
	    strata_l2_program_name, pargv,
	    envp != NULL ? (const char *const *)envp : noenv, &entry, &sp,
	    &why);
	if (error == L2_ENOEXEC)
		fail("not a program this platform runs", why, error);
	if (error != 0)
		fail("cannot be loaded", why, error);
	rumpuser_free(pargv, (size_t)(argc + 1) * sizeof(char *));

	if ((t = l2_thread_main(l2_init_proc, entry, sp)) == NULL)
		fail("out of memory", NULL, L2_ENOMEM);
	l2_thread_run(t);
}
