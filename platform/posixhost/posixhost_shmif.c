/*
 * posixhost_shmif.c: the host half of the shared-memory bus module
 * (rump/rumpuser_shmif.h) that platform/posix and platform/fiber share:
 * mapping the bus file, and waking the waiters on a word of it.
 *
 * A posix waiter sleeps in futex(2) on the word itself.  The mapping is
 * MAP_SHARED of a file, so the futex is a shared one, keyed by the file
 * and offset: a FUTEX_WAKE from any process that maps the file reaches
 * it, with no privileges.
 *
 * A fiber waiter must not block its host thread, so it sleeps in the
 * scheduler while the event loop poll()s an inotify descriptor watching
 * the bus file for IN_ACCESS; a notification is a one-byte pread() of
 * the file, which every watcher sees as an event.  (A read changes
 * nothing in the file, works between unrelated processes with no
 * privileges, and events queue until read, so a notification between a
 * waiter's last look and its poll() is never lost.)  A waker does not
 * know which kind of waiter it has: it wakes the futex first and, only
 * when that woke nobody, notifies.  A futex waiter that registered but
 * has not reached futex(2) yet costs a needless notification, nothing
 * worse: it sees the word changed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/futex.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "posixhost.h"

int
rumpuser__posixhost_shmif_map(const char *path, size_t size, int notify,
    struct rumpuser__posixhost_shmif *sh)
{
	struct stat st;
	void *mem;
	int fd, ifd = -1, error;

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
	if (notify && ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(ifd, path, IN_ACCESS) == -1)) {
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

	if (sh->sh_ifd == -1)
		return;
	while (read(sh->sh_ifd, buf, sizeof(buf)) > 0)
		continue;
}

void
rumpuser__posixhost_shmif_wake(struct rumpuser__posixhost_shmif *sh,
    volatile uint32_t *word)
{
	char c;

	if (syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0) > 0)
		return;
	(void)pread(sh->sh_fd, &c, 1, 0);
}

int
rumpuser__posixhost_shmif_futex_wait(const volatile uint32_t *word,
    uint32_t old, uint64_t timeout_ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(timeout_ns / 1000000000);
	ts.tv_nsec = (long)(timeout_ns % 1000000000);
	if (syscall(SYS_futex, word, FUTEX_WAIT, old, &ts, NULL, 0) == -1 &&
	    errno == ETIMEDOUT)
		return RUMPUSER__NB_ETIMEDOUT;
	return 0;
}

void
rumpuser__posixhost_shmif_unmap(struct rumpuser__posixhost_shmif *sh)
{

	if (sh->sh_ifd != -1)
		close(sh->sh_ifd);
	munmap(sh->sh_mem, sh->sh_size);
	close(sh->sh_fd);
}
