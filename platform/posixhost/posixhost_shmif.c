/*
 * posixhost_shmif.c: the host half of the shared-memory bus module
 * (rump/rumpuser_shmif.h) that platform/posix and platform/fiber share:
 * mapping the bus file, and the change notification.
 *
 * The notification is inotify: every process watches the bus file for
 * IN_ACCESS, and a wakeup is a one-byte pread() of the file, which every
 * watcher sees as an event on its inotify descriptor.  A read changes
 * nothing in the file (a write racing with writers through the mapping
 * could), works between unrelated processes with no privileges, and the
 * descriptor can be poll()ed, which the fiber platform's event loop
 * needs.  Events queue until read, so a wakeup between a waiter's last
 * look and its poll() is never lost.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "posixhost.h"

int
rumpuser__posixhost_shmif_map(const char *path, size_t size,
    struct rumpuser__posixhost_shmif *sh)
{
	struct stat st;
	void *mem;
	int fd, ifd, error;

	if (size == 0)
		return RUMPUSER__NB_EINVAL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return rumpuser__posixhost_errno_to_netbsd(errno);
	if (fstat(fd, &st) == -1 ||
	    ((uint64_t)st.st_size < size && ftruncate(fd, (off_t)size) == -1)) {
		error = errno;
		close(fd);
		return rumpuser__posixhost_errno_to_netbsd(error);
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		error = errno;
		close(fd);
		return rumpuser__posixhost_errno_to_netbsd(error);
	}
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd == -1 || inotify_add_watch(ifd, path, IN_ACCESS) == -1) {
		error = errno;
		if (ifd != -1)
			close(ifd);
		munmap(mem, size);
		close(fd);
		return rumpuser__posixhost_errno_to_netbsd(error);
	}
	sh->sh_fd = fd;
	sh->sh_ifd = ifd;
	sh->sh_mem = mem;
	sh->sh_size = size;
	return 0;
}

void
rumpuser__posixhost_shmif_drain(struct rumpuser__posixhost_shmif *sh)
{
	char buf[4096];

	while (read(sh->sh_ifd, buf, sizeof(buf)) > 0)
		continue;
}

void
rumpuser__posixhost_shmif_ring(struct rumpuser__posixhost_shmif *sh)
{
	char c;

	(void)pread(sh->sh_fd, &c, 1, 0);
}

void
rumpuser__posixhost_shmif_unmap(struct rumpuser__posixhost_shmif *sh)
{

	close(sh->sh_ifd);
	munmap(sh->sh_mem, sh->sh_size);
	close(sh->sh_fd);
}
