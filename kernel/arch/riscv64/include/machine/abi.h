/*
 * machine/abi.h (riscv64): the parts of the Linux user ABI that differ
 * between architectures, besides the system call numbers; see
 * kernel/arch/x86_64's for the scheme.  riscv64 takes every one of them
 * from asm-generic: the generic struct stat (like aarch64) and the generic
 * open(2) flags (like x86_64).
 */
#ifndef MACHINE_ABI_H
#define MACHINE_ABI_H

#include <kern/types.h>

/* uname(2) machine. */
#define UTS_MACHINE	"riscv64"

/* struct stat, the 64-bit generic layout (asm-generic/stat.h, 128 bytes):
 * 32-bit st_mode before a 32-bit st_nlink, 32-bit st_blksize.  The
 * times are a long and an unsigned long each, i.e. a struct timespec. */
struct stat {
	uint64_t	st_dev;
	uint64_t	st_ino;
	uint32_t	st_mode;
	uint32_t	st_nlink;
	uint32_t	st_uid;
	uint32_t	st_gid;
	uint64_t	st_rdev;
	uint64_t	st_pad1;
	int64_t		st_size;
	int32_t		st_blksize;
	int32_t		st_pad2;
	int64_t		st_blocks;	/* 512-byte blocks */
	struct timespec	st_atim;
	struct timespec	st_mtim;
	struct timespec	st_ctim;
	uint32_t	st_unused4;
	uint32_t	st_unused5;
};
_Static_assert(sizeof(struct stat) == 128, "struct stat layout");

/* open(2) flags: asm-generic/fcntl.h's defaults (riscv has no
 * asm/fcntl.h of its own). */
#define O_DIRECT	00040000
#define O_LARGEFILE	00100000
#define O_DIRECTORY	00200000
#define O_NOFOLLOW	00400000


/* epoll_wait(2) events: naturally aligned (16 bytes); only x86_64 packs
 * them. */
struct epoll_event {
	uint32_t	events;
	uint64_t	data;
};
_Static_assert(sizeof(struct epoll_event) == 16, "epoll_event layout");

#endif /* MACHINE_ABI_H */
