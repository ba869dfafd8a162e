/*
 * bench_kvm_hello.c: the strata side of bench_kvm_boot.sh: boots a kernel
 * (rump_init), prints a line through it... and exits.  Baked with
 * strata-bake (tmpfs only).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

int
main(void)
{
	const char *msg = "hello\n";
	char buf[16];
	int fd;

	if (rump_init() != 0)
		return 1;
	if ((fd = rump_sys_open("/h", O_CREAT | O_RDWR, 0644)) < 0 ||
	    rump_sys_write(fd, msg, strlen(msg)) != (ssize_t)strlen(msg) ||
	    rump_sys_pread64(fd, buf, strlen(msg), 0) != (ssize_t)strlen(msg))
		return 2;
	buf[strlen(msg)] = '\0';
	printf("%s", buf);
	return 0;
}
