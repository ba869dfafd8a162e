/*
 * img.h: what the files of strata-img share.
 *
 * File system types register themselves with IMG_FSTYPE(var): adding a
 * type (vfat, ...) is adding one file that defines a struct img_fstype
 * and registers it; nothing else is edited.  The table is a linker
 * section, like the kernel's link sets.
 */
#ifndef IMG_H
#define IMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct img_mkfs_args {
	const char	*image;		/* host path, already sized */
	uint64_t	 size;		/* bytes */
	const char	*label;		/* may be NULL */
};

struct img_fstype {
	const char	*name;		/* -t NAME of mkfs ("ext2") */
	const char	*mountname;	/* file system name for mount(2) */
	/* True when the first 64 KiB of a device (or fewer: len) look
	 * like this file system. */
	bool		(*probe)(const uint8_t *buf, size_t len);
	/* Formats args->image (a host file of args->size bytes); 0 or an
	 * errno, with a message printed for anything not an errno. */
	int		(*mkfs)(const struct img_mkfs_args *args);
	uint64_t	 minsize;	/* smallest image mkfs accepts */
};

#define IMG_FSTYPE(var)							\
	static const struct img_fstype *const img_fstype_ptr_##var	\
	    __attribute__((__section__("img_fstypes"), __used__)) = &(var)

extern const struct img_fstype *const __start_img_fstypes[]
    __attribute__((__weak__));
extern const struct img_fstype *const __stop_img_fstypes[]
    __attribute__((__weak__));

#endif /* IMG_H */
