/*
 * rump_etfs.h: host files and host block devices as the kernel's block
 * devices ("etfs", the extra-terrestrial file system idea of NetBSD's
 * rump kernels).
 *
 * A host path is registered under a key, a name such as "/dev/disk0".
 * The key is then what a disk file system is mounted from:
 *
 *	rump_etfs_register("/dev/disk0", "/tmp/disk.img", RUMP_ETFS_BLK);
 *	rump_sys_mount("/dev/disk0", "/mnt", "ext2", 0, NULL);
 *
 * All I/O to the host file goes through the asynchronous rumpuser_bio
 * hypercall.  The kernel never reads any other host path: only what the
 * host program registered is reachable.
 *
 * Like rump.h this header includes nothing: include <stdint.h> first.
 * Every function takes a virtual CPU for the duration of the call and
 * returns 0 or a positive errno value (Linux numbering).
 */
#ifndef RUMP_RUMP_ETFS_H
#define RUMP_RUMP_ETFS_H

/* What the key stands for.  REG and BLK both give a block device (a
 * regular file is treated as a disk image); CHR is accepted as BLK.  The
 * directory types of NetBSD are not supported (EINVAL). */
enum rump_etfs_type {
	RUMP_ETFS_REG,
	RUMP_ETFS_BLK,
	RUMP_ETFS_CHR,
	RUMP_ETFS_DIR,
	RUMP_ETFS_DIR_SUBDIRS
};

/* Size argument of rump_etfs_register_withsize: "up to the end". */
#define RUMP_ETFS_SIZE_ENDOFF	((uint64_t)-1)

/*
 * Registers hostpath under key (an absolute name, at most 255 bytes).
 * The host file must exist; it is opened read-write if the host allows,
 * else read-only (a read-only device mounts only with MS_RDONLY).
 * EEXIST when key is taken, ENOENT/EACCES/... from the host open.
 */
int	rump_etfs_register(const char *key, const char *hostpath,
	    enum rump_etfs_type type);

/*
 * As rump_etfs_register, but the device is the byte range
 * [begin, begin + size) of the host file (a partition); size may be
 * RUMP_ETFS_SIZE_ENDOFF.  begin and size must be multiples of 512
 * (EINVAL otherwise); a range past the end of the host file is EINVAL.
 */
int	rump_etfs_register_withsize(const char *key, const char *hostpath,
	    enum rump_etfs_type type, uint64_t begin, uint64_t size);

/*
 * Registers partition partno (1-based) of the partition table of
 * hostpath: an MBR (primary entries 1-4, logical partitions of an
 * extended partition 5 and up) or a GPT (entry n is partition n; a
 * protective MBR means GPT).  ENXIO when there is no such partition,
 * EINVAL when the table is damaged or the partition lies past the end.
 */
int	rump_etfs_register_partition(const char *key, const char *hostpath,
	    enum rump_etfs_type type, int partno);

/* Removes key; EBUSY while a file system is mounted from it, ENOENT when
 * there is no such key. */
int	rump_etfs_remove(const char *key);

#endif /* RUMP_RUMP_ETFS_H */
