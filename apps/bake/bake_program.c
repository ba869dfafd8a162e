/*
 * bake_program.c: embedding an unmodified static program (bake_program.h).
 *
 * The program's file goes into the image as it is (.incbin), page
 * aligned, in read-only data: the guest's loader maps its segments from
 * there at boot, exactly as Linux's execve() would from the file.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bake_program.h"

int
bake_program_kind(const char *path, char *why, size_t whylen)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, kind = BAKE_NOT_PROGRAM;

	if ((fd = open(path, O_RDONLY)) < 0)
		return BAKE_NOT_PROGRAM;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
		goto out;
	kind = BAKE_BAD_PROGRAM;
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		snprintf(why, whylen, "not an x86-64 program");
		goto out;
	}
	if (eh.e_type == ET_DYN && eh.e_entry == 0) {
		snprintf(why, whylen, "a shared library, not a program");
		goto out;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff +
		    (uint64_t)i * sizeof(ph))) != (ssize_t)sizeof(ph)) {
			snprintf(why, whylen, "truncated program headers");
			goto out;
		}
		if (ph.p_type == PT_INTERP) {
			snprintf(why, whylen, "dynamically linked (the guest "
			    "has no dynamic linker): link it -static or "
			    "-static-pie");
			goto out;
		}
	}
	kind = BAKE_PROGRAM;
out:
	close(fd);
	return kind;
}

/* Writes s as an assembler string literal's contents. */
static void
put_quoted(FILE *f, const char *s)
{

	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

int
bake_program_source(const char *path, const char *out)
{
	char abs[PATH_MAX];
	const char *base;
	FILE *f;

	if (realpath(path, abs) == NULL)
		return errno;
	base = strrchr(abs, '/') != NULL ? strrchr(abs, '/') + 1 : abs;
	if ((f = fopen(out, "w")) == NULL)
		return errno;
	fprintf(f, "/* Made by strata-bake: the program %s. */\n", abs);
	fputs("\t.section .rodata.strata_l2, \"a\"\n"
	    "\t.globl strata_l2_program, strata_l2_program_end, "
	    "strata_l2_program_name\n"
	    "\t.p2align 12\n"
	    "strata_l2_program:\n"
	    "\t.incbin \"", f);
	put_quoted(f, abs);
	fputs("\"\nstrata_l2_program_end:\n"
	    "strata_l2_program_name:\n"
	    "\t.asciz \"", f);
	put_quoted(f, base);
	fputs("\"\n\t.section .note.GNU-stack, \"\", @progbits\n", f);
	if (fclose(f) != 0)
		return errno;
	return 0;
}
