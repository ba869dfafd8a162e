/*
 * machine/abi.h (x86_64): the parts of the Linux user ABI that differ
 * between architectures, besides the system call numbers
 * (machine/syscall_nr.h): struct stat, the open(2) flags that are not
 * asm-generic's, and uname's machine.  Included only through <vfs/abi.h>
 * and by uname; everything the architectures share is there.
 *
 * Every kernel/arch/<arch>/include/machine/abi.h defines the same names.
 */
#ifndef MACHINE_ABI_H
#define MACHINE_ABI_H

#include <kern/types.h>

/* uname(2) machine. */
#define UTS_MACHINE	"x86_64"

/* struct stat, x86_64 layout (arch/x86/include/uapi/asm/stat.h, 144
 * bytes): 64-bit st_nlink before st_mode, 64-bit st_blksize. */
struct stat {
	uint64_t	st_dev;
	uint64_t	st_ino;
	uint64_t	st_nlink;
	uint32_t	st_mode;
	uint32_t	st_uid;
	uint32_t	st_gid;
	uint32_t	st_pad0;
	uint64_t	st_rdev;
	int64_t		st_size;
	int64_t		st_blksize;
	int64_t		st_blocks;	/* 512-byte blocks */
	struct timespec	st_atim;
	struct timespec	st_mtim;
	struct timespec	st_ctim;
	int64_t		st_reserved[3];
};
_Static_assert(sizeof(struct stat) == 144, "struct stat layout");

/* open(2) flags of asm-generic/fcntl.h's defaults, which x86_64 keeps. */
#define O_DIRECT	00040000
#define O_LARGEFILE	00100000
#define O_DIRECTORY	00200000
#define O_NOFOLLOW	00400000


/* epoll_wait(2) events: packed on x86_64 (12 bytes), for compatibility
 * with its 32-bit ABI; naturally aligned (16 bytes) everywhere else. */
struct epoll_event {
	uint32_t	events;
	uint64_t	data;
} __attribute__((__packed__));
_Static_assert(sizeof(struct epoll_event) == 12, "epoll_event layout");

#endif /* MACHINE_ABI_H */
