/*
 * fiber_console.c: the console is the process's standard output (the
 * kernel's) and standard error (diagnostics).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fiber.h"

const char rumpuser__backend_name[] = "fiber";

/*
 * Through stdio, as the program's own output goes: the two stay in order.
 * One fwrite() per call keeps a diagnostic in one piece on the unbuffered
 * standard error; flushing the kernel's output at each newline keeps
 * whole lines visible when stdout is a pipe and the process later aborts
 * on a panic.
 */
void
rumpuser__backend_console_write(int channel, const char *buf, size_t len)
{
	FILE *f = channel == RUMPUSER__CONSOLE_KERNEL ? stdout : stderr;

	fwrite(buf, 1, len, f);
	if (memchr(buf, '\n', len) != NULL)
		fflush(f);
}

void
rumpuser__fiber_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rumpuser %s: ", rumpuser__backend_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
