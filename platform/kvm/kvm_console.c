/*
 * kvm_console.c: the serial console, COM1 (I/O port 0x3f8), a 16550.
 * Both console channels of backend.h go here, in the order written,
 * polled (the transmitter is always ready under QEMU).  What it receives
 * is read by kvm_console_getc (l2's standard input): polled, until a
 * reader first waits (kvm_console_wait); then the UART interrupts on
 * received data (IRQ 4, routed by the IOAPIC to a vector of ours), the
 * handler moves every byte it can into a ring -- which ends the UART's
 * interrupt condition, so the edge-triggered line can rise again -- and
 * the idle wait wakes the reader.  Bytes that do not fit stay in the
 * UART's FIFO (its line stays up, no new edge): the reader takes them
 * from the UART itself after the ring, in the order received.
 */
#include "kvm.h"
#include "rumpuser_common.h"
#include "scheduler.h"

#define COM1		0x3f8
#define COM1_IRQ	4
#define IER_RDA		0x01	/* interrupt: received data available */
#define IIR		2
#define MCR_DTR_RTS	0x03
#define MCR_OUT2	0x08	/* gates the IRQ line on PC UARTs */
#define LSR_DR		0x01	/* data ready */
#define LSR_THRE	0x20	/* transmit holding register empty */

#define RX_RING		4096
static unsigned char rx_ring[RX_RING];
static uint32_t rx_head, rx_tail;	/* free-running */
static bool rx_irq, rx_tried;
static volatile bool rx_arrived;
static struct thread *rx_waiter;

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

/* Whether the UART holds a received byte (a missing UART reads 0xff:
 * no "data ready" bit to trust then). */
static bool
uart_ready(void)
{
	uint8_t lsr = kvm_inb(COM1 + 5);

	return lsr != 0xff && (lsr & LSR_DR);
}

int
kvm_console_getc(void)
{

	if (rx_head != rx_tail)
		return rx_ring[rx_head++ % RX_RING];
	if (!uart_ready())
		return -1;
	return kvm_inb(COM1);
}

/* The interrupt (with interrupts off, in the idle halt). */
static void
console_intr(void *arg)
{

	(void)arg;
	while (rx_tail - rx_head < RX_RING && uart_ready())
		rx_ring[rx_tail++ % RX_RING] = kvm_inb(COM1);
	(void)kvm_inb(COM1 + IIR);
	rx_arrived = true;
}

static void
console_irq_init(void)
{
	char v[4];
	int vec;

	rx_tried = true;
	if ((vec = kvm_irq_alloc(console_intr, NULL)) < 0 ||
	    kvm_ioapic_route(COM1_IRQ, vec) != 0) {
		if (rumpuser__backend_param("KVM_VERBOSE", v, sizeof(v)) == 0
		    && v[0] == '1')
			kvm_printf("kvm: console input: polled (no IOAPIC "
			    "route for IRQ %d)\n", COM1_IRQ);
		return;
	}
	kvm_outb(COM1 + 4, MCR_DTR_RTS | MCR_OUT2);
	kvm_outb(COM1 + 1, IER_RDA);
	rx_irq = true;
	if (rumpuser__backend_param("KVM_VERBOSE", v, sizeof(v)) == 0 &&
	    v[0] == '1')
		kvm_printf("kvm: console input: IRQ %d, vector %#x\n",
		    COM1_IRQ, (unsigned int)vec);
}

bool
kvm_console_wait(void)
{

	if (!rx_tried)
		console_irq_init();
	if (!rx_irq)
		return false;
	/* Interrupts are off outside the idle halt: nothing arrives
	 * between this look and the block. */
	if (rx_head != rx_tail || uart_ready())
		return true;
	rx_arrived = false;
	rx_waiter = rumpuser__curthread;
	while (rx_waiter != NULL)
		rumpuser__sched_block(NULL, WAIT_IO, &rx_waiter,
		    RUMPUSER__FOREVER);
	return true;
}

int
kvm_console_poll(void)
{
	struct thread *t = rx_waiter;

	if (!rx_arrived || t == NULL)
		return 0;
	rx_arrived = false;
	rx_waiter = NULL;
	rumpuser__sched_wake(t);
	return 1;
}

int
kvm_console_busy(void)
{

	return rx_waiter != NULL;
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
