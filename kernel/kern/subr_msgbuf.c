/*
 * subr_msgbuf.c: the kernel's message buffer, the last MSGBUF_SIZE bytes
 * of what the console printed, and syslog(2), which reads it, so that a
 * program learns what the kernel said about its last call (a mount that
 * names the feature it refuses, say) without reading the console.
 *
 * Lines are kept as Linux's syslog(2) returns them: "<4>text\n", level 4
 * being Linux's default for a message without one, and without time
 * stamps (as Linux with printk.time=0).  The buffer is bytes, not
 * records: a read that cannot have everything starts at the first whole
 * line it can hold.
 *
 * A flag spin lock, not a kernel mutex, guards it: printf runs before
 * mutexes can be made, in panic, and with any lock held; whoever holds
 * the flag only copies bytes, so nobody spins long.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>

#include "kern_private.h"

#define MSGBUF_SIZE	16384
#define MSGBUF_LEVEL	"<4>"

static char msgbuf[MSGBUF_SIZE];
static uint64_t msgbuf_end;	/* bytes ever put; msgbuf[end % SIZE] next */
static uint64_t msgbuf_clear;	/* where SYSLOG_ACTION_CLEAR left reads */
static bool msgbuf_midline;	/* the last byte put was not a newline */
static bool msgbuf_lock;

static void
msgbuf_enter(void)
{

	while (__atomic_test_and_set(&msgbuf_lock, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&msgbuf_lock, __ATOMIC_RELAXED))
			continue;
}

static void
msgbuf_exit(void)
{

	__atomic_clear(&msgbuf_lock, __ATOMIC_RELEASE);
}

static void
msgbuf_putc(char c)
{

	msgbuf[msgbuf_end++ % MSGBUF_SIZE] = c;
}

void
msgbuf_put(const char *s, size_t n)
{
	size_t i;

	msgbuf_enter();
	for (i = 0; i < n; i++) {
		if (!msgbuf_midline) {
			msgbuf_putc(MSGBUF_LEVEL[0]);
			msgbuf_putc(MSGBUF_LEVEL[1]);
			msgbuf_putc(MSGBUF_LEVEL[2]);
		}
		msgbuf_putc(s[i]);
		msgbuf_midline = s[i] != '\n';
	}
	msgbuf_exit();
}

/*
 * Copies into out (MSGBUF_SIZE bytes) the messages since the last clear
 * that fit in max bytes, whole lines when some had to be left out;
 * clears when asked.  Returns the bytes copied.
 */
static size_t
msgbuf_read(char *out, size_t max, bool clear)
{
	uint64_t start, first;
	size_t n = 0;

	msgbuf_enter();
	start = msgbuf_end > MSGBUF_SIZE ? msgbuf_end - MSGBUF_SIZE : 0;
	if (msgbuf_clear > start)
		start = msgbuf_clear;
	first = start;
	if (msgbuf_end - start > max)
		start = msgbuf_end - max;
	/* Cut at the start (to fit, or by the buffer's wrap): begin at
	 * the next whole line. */
	if (start != first || (first > 0 && first != msgbuf_clear)) {
		while (start < msgbuf_end &&
		    msgbuf[start % MSGBUF_SIZE] != '\n')
			start++;
		if (start < msgbuf_end)
			start++;
	}
	for (; start < msgbuf_end; start++)
		out[n++] = msgbuf[start % MSGBUF_SIZE];
	if (clear)
		msgbuf_clear = msgbuf_end;
	msgbuf_exit();
	return n;
}

/* What syslog(2) is asked to do (Linux's SYSLOG_ACTION_*). */
#define SYSLOG_ACTION_CLOSE		0
#define SYSLOG_ACTION_OPEN		1
#define SYSLOG_ACTION_READ		2
#define SYSLOG_ACTION_READ_ALL		3
#define SYSLOG_ACTION_READ_CLEAR	4
#define SYSLOG_ACTION_CLEAR		5
#define SYSLOG_ACTION_SIZE_UNREAD	9
#define SYSLOG_ACTION_SIZE_BUFFER	10

SYSCALL(SYS_syslog, syslog)
{
	int type = (int)args[0], len = (int)args[2];
	void *ubuf = (void *)args[1];
	struct proc *p = curproc;
	char *kbuf;
	size_t n;
	bool root;
	int error;

	/* As Linux without dmesg_restrict: reading everything and the
	 * buffer's size are for anyone, the rest for root (and an unknown
	 * type is EPERM before it is EINVAL). */
	if (type != SYSLOG_ACTION_READ_ALL &&
	    type != SYSLOG_ACTION_SIZE_BUFFER) {
		mutex_enter(&p->p_lock);
		root = cred_is_superuser(&p->p_cred);
		mutex_exit(&p->p_lock);
		if (!root)
			return EPERM;
	}
	switch (type) {
	case SYSLOG_ACTION_CLOSE:
	case SYSLOG_ACTION_OPEN:
		*retval = 0;
		return 0;
	case SYSLOG_ACTION_READ_ALL:
	case SYSLOG_ACTION_READ_CLEAR:
		if (ubuf == NULL || len < 0)
			return EINVAL;
		if (len == 0) {
			*retval = 0;
			return 0;
		}
		kbuf = kmem_alloc(MSGBUF_SIZE, KM_SLEEP);
		if (kbuf == NULL)
			return ENOMEM;
		n = msgbuf_read(kbuf, (size_t)len,
		    type == SYSLOG_ACTION_READ_CLEAR);
		error = copyout(kbuf, ubuf, n);
		kmem_free(kbuf, MSGBUF_SIZE);
		if (error != 0)
			return error;
		*retval = (long)n;
		return 0;
	case SYSLOG_ACTION_CLEAR:
		msgbuf_enter();
		msgbuf_clear = msgbuf_end;
		msgbuf_exit();
		*retval = 0;
		return 0;
	case SYSLOG_ACTION_SIZE_UNREAD:
		/* Nothing is ever read destructively (no READ). */
		msgbuf_enter();
		*retval = (long)(msgbuf_end > MSGBUF_SIZE ? MSGBUF_SIZE :
		    msgbuf_end);
		msgbuf_exit();
		return 0;
	case SYSLOG_ACTION_SIZE_BUFFER:
		*retval = MSGBUF_SIZE;
		return 0;
	default:
		/* READ (waiting for new messages) and the console level
		 * calls are not implemented. */
		return EINVAL;
	}
}

int
rump_sys_syslog(int type, char *buf, int len)
{

	return (int)syscall_typed(SYS_syslog, type, (long)buf, len, 0, 0, 0);
}
