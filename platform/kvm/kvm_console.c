/*
 * kvm_console.c: the serial console, COM1 (I/O port 0x3f8), polled.
 * Both console channels of backend.h go here, in the order written; what
 * it receives is read by kvm_console_getc (l2's standard input).
 */
#include "kvm.h"
#include "rumpuser_common.h"

#define COM1		0x3f8
#define LSR_DR		0x01	/* data ready */
#define LSR_THRE	0x20	/* transmit holding register empty */

const char rumpuser__backend_name[] = "kvm";

void
kvm_console_init(void)
{

	kvm_outb(COM1 + 1, 0x00);	/* no interrupts */
	kvm_outb(COM1 + 3, 0x80);	/* divisor latch */
	kvm_outb(COM1 + 0, 0x01);	/* 115200 baud */
	kvm_outb(COM1 + 1, 0x00);
	kvm_outb(COM1 + 3, 0x03);	/* 8N1 */
	kvm_outb(COM1 + 2, 0xc7);	/* FIFO on, cleared */
	kvm_outb(COM1 + 4, 0x03);	/* DTR, RTS */
}

void
kvm_console_putc(char c)
{
	unsigned int spins = 0;

	/* Bounded: a missing UART reads 0xff, an emulated one is always
	 * ready; a real one is within a character time. */
	while ((kvm_inb(COM1 + 5) & LSR_THRE) == 0 && ++spins < 100000)
		;
	kvm_outb(COM1, (uint8_t)c);
}

int
kvm_console_getc(void)
{

	/* A missing UART reads 0xff: no "data ready" bit to trust then. */
	uint8_t lsr = kvm_inb(COM1 + 5);

	if (lsr == 0xff || !(lsr & LSR_DR))
		return -1;
	return kvm_inb(COM1);
}

void
kvm_console_write(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		kvm_console_putc(buf[i]);
}

void
rumpuser__backend_console_write(int channel, const char *buf, size_t len)
{

	(void)channel;
	kvm_console_write(buf, len);
}

void
kvm_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = rumpuser__vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	kvm_console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf) - 1);
}
