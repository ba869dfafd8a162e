/*
 * bake_program.h: strata-bake's second kind of input, an unmodified
 * static x86_64 Linux program (musl-gcc -static or -static-pie, Debian's
 * busybox-static), which the image runs in ring 3 through the kvm
 * platform's layer 2 (platform/kvm/l2: main() of the image loads it).
 */
#ifndef BAKE_PROGRAM_H
#define BAKE_PROGRAM_H

#include <stddef.h>

#define BAKE_NOT_PROGRAM	0	/* not an ELF executable: another input */
#define BAKE_PROGRAM		1	/* a static x86_64 program */
#define BAKE_BAD_PROGRAM	2	/* an executable the guest cannot run */

/* What path is; for BAKE_BAD_PROGRAM, why in why. */
int bake_program_kind(const char *path, char *why, size_t whylen);

/*
 * Writes to out an assembler source that embeds the program at path in
 * the image as the symbols the platform's loader reads
 * (strata_l2_program, strata_l2_program_end, strata_l2_program_name:
 * the file's base name, the program's argv[0]).  0 or an errno.
 */
int bake_program_source(const char *path, const char *out);

#endif /* BAKE_PROGRAM_H */
