/*
 * h_kvm_prog.c: the program apps/tests/t_kvm.sh bakes into kvm images
 * (strata-bake) and boots (strata-boot).  argv[1] says what to do:
 *
 *   hello [STATUS]   write a greeting to a tmpfs file through the kernel,
 *                    read it back, print it and the arguments; exit STATUS
 *   env NAME         print NAME's value from the environment
 *   crash            dereference a null pointer
 *   overflow         recurse until the stack's guard page faults
 *   sleep MS         sleep MS milliseconds in the kernel (nanosleep) and
 *                    print how long it took on the kernel's monotonic clock
 *   ext2 DEV         mount the ext2 file system on block device DEV
 *                    (virtio-blk), print /in.txt, write /out.txt, a 3 MiB
 *                    file of a known pattern and 200 files in /many,
 *                    remove /gone, unmount
 *   ping ADDR PEER   a virtif interface on virtio0 with ADDR/24, three
 *                    pings of PEER (the host's end of the TAP device)
 *   tcp ADDR PEER PORT  the same interface; connects to PEER:PORT, sends
 *                    a line, prints the line that comes back
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <rump/rump.h>
#include <rump/rump_etfs.h>
#include <rump/rump_netconfig.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <rump/rump_syscalls.h>

static int
hello(int argc, char **argv)
{
	const char *msg = "hello from the kernel\n";
	char buf[64];
	int fd, i;
	ssize_t n;

	if ((fd = rump_sys_open("/hello", O_CREAT | O_RDWR, 0644)) < 0)
		return 10;
	if (rump_sys_write(fd, msg, strlen(msg)) != (ssize_t)strlen(msg))
		return 11;
	if ((n = rump_sys_pread64(fd, buf, sizeof(buf) - 1, 0)) < 0)
		return 12;
	buf[n] = '\0';
	printf("%s", buf);
	for (i = 0; i < argc; i++)
		printf("argv[%d]=<%s>\n", i, argv[i]);
	return argc > 2 ? atoi(argv[2]) : 0;
}

static int
depth(volatile char *p)
{
	volatile char big[1024];

	big[0] = *p;
	return depth(big) + 1;
}

#define CHECK(x) do { if (!(x)) { printf("failed: %s (line %d)\n", #x, \
	__LINE__); return 30; } } while (0)

/* Byte i of the big file. */
static unsigned char
pattern(size_t i)
{

	return (unsigned char)((i * 7 + i / 4096) & 0xff);
}

static int
ext2(const char *dev)
{
	static unsigned char buf[65536];
	char name[64];
	size_t off, i;
	ssize_t n;
	int fd, k;

	CHECK(rump_etfs_register("/dev/disk0", dev, RUMP_ETFS_BLK) == 0);
	CHECK(rump_sys_mkdir("/mnt", 0755) == 0);
	CHECK(rump_sys_mount("/dev/disk0", "/mnt", "ext2", 0, NULL) == 0);
	CHECK((fd = rump_sys_open("/mnt/in.txt", O_RDONLY, 0)) >= 0);
	CHECK((n = rump_sys_read(fd, buf, sizeof(buf) - 1)) >= 0);
	buf[n] = '\0';
	printf("in.txt: %s", (char *)buf);
	CHECK(rump_sys_close(fd) == 0);

	CHECK((fd = rump_sys_open("/mnt/out.txt", O_CREAT | O_WRONLY, 0644))
	    >= 0);
	CHECK(rump_sys_write(fd, "written in the guest\n", 21) == 21);
	CHECK(rump_sys_close(fd) == 0);

	CHECK((fd = rump_sys_open("/mnt/big", O_CREAT | O_RDWR, 0600)) >= 0);
	for (off = 0; off < 3 * 1024 * 1024; off += sizeof(buf)) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(off + i);
		CHECK(rump_sys_write(fd, buf, sizeof(buf)) ==
		    (ssize_t)sizeof(buf));
	}
	CHECK(rump_sys_fsync(fd) == 0);
	CHECK(rump_sys_close(fd) == 0);

	CHECK(rump_sys_mkdir("/mnt/many", 0755) == 0);
	for (k = 0; k < 200; k++) {
		snprintf(name, sizeof(name), "/mnt/many/f%03d", k);
		CHECK((fd = rump_sys_open(name, O_CREAT | O_WRONLY, 0644)) >= 0);
		n = snprintf((char *)buf, sizeof(buf), "file %d\n", k);
		CHECK(rump_sys_write(fd, buf, (size_t)n) == n);
		CHECK(rump_sys_close(fd) == 0);
	}
	CHECK(rump_sys_unlink("/mnt/gone") == 0);
	CHECK(rump_sys_umount2("/mnt", 0) == 0);
	/* Mounted again: what was written reads back from the device. */
	CHECK(rump_sys_mount("/dev/disk0", "/mnt", "ext2", 0, NULL) == 0);
	CHECK((fd = rump_sys_open("/mnt/big", O_RDONLY, 0)) >= 0);
	for (off = 0; off < 3 * 1024 * 1024; off += (size_t)n) {
		CHECK((n = rump_sys_read(fd, buf, sizeof(buf))) > 0);
		for (i = 0; i < (size_t)n; i++)
			CHECK(buf[i] == pattern(off + i));
	}
	CHECK(rump_sys_close(fd) == 0);
	CHECK(rump_sys_umount2("/mnt", 0) == 0);
	printf("ext2 done\n");
	return 0;
}

static int
net_up(const char *addr)
{
	char ifname[16];

	CHECK(rump_netconfig_ifcreate("virtif", "virtio0", ifname,
	    sizeof(ifname)) == 0);
	CHECK(rump_netconfig_ipv4_addr_add(ifname, addr, 24) == 0);
	CHECK(rump_netconfig_ifup(ifname) == 0);
	printf("%s up\n", ifname);
	return 0;
}

static int
ping(const char *addr, const char *peer)
{
	uint64_t rtt;
	int seq, error;

	if (net_up(addr) != 0)
		return 30;
	for (seq = 1; seq <= 3; seq++) {
		error = rump_netconfig_ping4(peer, seq, 56, 5000, &rtt);
		if (error != 0) {
			printf("ping %s seq %d: error %d\n", peer, seq, error);
			return 31;
		}
		printf("reply from %s seq %d\n", peer, seq);
	}
	return 0;
}

static int
tcp(const char *addr, const char *peer, int port)
{
	struct sockaddr_in sin;
	char buf[128];
	ssize_t n;
	int s;

	if (net_up(addr) != 0)
		return 30;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = (uint16_t)((port >> 8) | ((port & 0xff) << 8));
	{
		unsigned int a[4];
		const char *p = peer;
		int k;

		for (k = 0; k < 4; k++) {
			a[k] = (unsigned int)strtol(p, (char **)&p, 10);
			CHECK(a[k] < 256 && (k == 3 ? *p == '\0' : *p++ == '.'));
		}
		/* Network byte order in memory. */
		memcpy(&sin.sin_addr, (unsigned char[4]){ (unsigned char)a[0],
		    (unsigned char)a[1], (unsigned char)a[2],
		    (unsigned char)a[3] }, 4);
	}
	CHECK((s = rump_sys_socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	if (rump_sys_connect(s, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		printf("connect: errno %d\n", errno);
		return 32;
	}
	CHECK(rump_sys_write(s, "hello over virtio-net\n", 22) == 22);
	CHECK((n = rump_sys_read(s, buf, sizeof(buf) - 1)) > 0);
	buf[n] = '\0';
	printf("got: %s", buf);
	CHECK(rump_sys_close(s) == 0);
	return 0;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	if (rump_sys_clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	const char *v;

	if (rump_init() != 0) {
		printf("rump_init failed\n");
		return 20;
	}
	if (argc < 2)
		return 21;
	if (strcmp(argv[1], "hello") == 0)
		return hello(argc, argv);
	if (strcmp(argv[1], "env") == 0 && argc == 3) {
		v = getenv(argv[2]);
		printf("%s=<%s>\n", argv[2], v != NULL ? v : "(unset)");
		return 0;
	}
	if (strcmp(argv[1], "ping") == 0 && argc == 4)
		return ping(argv[2], argv[3]);
	if (strcmp(argv[1], "tcp") == 0 && argc == 5)
		return tcp(argv[2], argv[3], atoi(argv[4]));
	if (strcmp(argv[1], "ext2") == 0 && argc == 3)
		return ext2(argv[2]);
	if (strcmp(argv[1], "crash") == 0) {
		volatile int *p = (volatile int *)(uintptr_t)(argc - 2);
		printf("about to crash\n");
		return *p;
	}
	if (strcmp(argv[1], "overflow") == 0) {
		char c = 0;
		return depth(&c);
	}
	if (strcmp(argv[1], "sleep") == 0 && argc == 3) {
		struct timespec ts;
		int64_t ms = atoi(argv[2]), t0, t1;

		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		t0 = now_ns();
		if (rump_sys_nanosleep(&ts, NULL) != 0)
			return 22;
		t1 = now_ns();
		printf("slept %ld ms\n", (long)((t1 - t0) / 1000000));
		return 0;
	}
	return 23;
}
