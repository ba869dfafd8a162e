/*
 * rumpuser_console.c: the kernel's console.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

/*
 * The kernel prints one character at a time.  Going through stdio keeps
 * that cheap; flushing at each newline keeps whole lines visible even
 * when stdout is a pipe and the process later aborts on a panic.
 */
void
rumpuser_putchar(int ch)
{

	putc(ch, stdout);
	if (ch == '\n')
		fflush(stdout);
}

void
rumpuser_dprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
