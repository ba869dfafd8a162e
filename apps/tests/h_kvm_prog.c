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
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <rump/rump.h>
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
