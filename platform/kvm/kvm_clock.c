/*
 * kvm_clock.c: time.  Monotonic time is the TSC scaled to nanoseconds:
 * with kvmclock's parameters under KVM (the hypervisor measured the TSC's
 * frequency), otherwise with a frequency measured against the PIT at
 * boot.  The wall clock is the CMOS real-time clock read once at boot plus
 * monotonic time since.  The idle wait's timer is the LAPIC timer: in
 * TSC-deadline mode where the CPU has it (KVM), else one-shot mode with
 * its rate measured along with the TSC's.
 */
#include "kvm.h"
#include "rumpuser_common.h"

#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define MSR_TSC_DEADLINE	0x6e0
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

#define LAPIC_LVT_TIMER		(0x320 / 4)
#define LAPIC_TIMER_INIT	(0x380 / 4)
#define LAPIC_TIMER_CUR		(0x390 / 4)
#define LAPIC_TIMER_DIV		(0x3E0 / 4)
#define LVT_MASKED		(1u << 16)
#define LVT_TSC_DEADLINE	(2u << 17)

#define PIT_HZ			1193182

struct pvclock {
	uint32_t	version;
	uint32_t	pad0;
	uint64_t	tsc_timestamp;
	uint64_t	system_time;
	uint32_t	tsc_to_system_mul;
	int8_t		tsc_shift;
	uint8_t		flags;
	uint8_t		pad[2];
} __attribute__((__packed__));

static volatile struct pvclock pvclock __attribute__((__aligned__(64)));
static bool use_kvmclock, use_tsc_deadline;
uint64_t kvm_tsc_hz;
static uint64_t tsc0, tsc_mul;		/* ns = (tsc - tsc0) * tsc_mul >> 32 */
static uint64_t ns2tsc;			/* ticks = ns * ns2tsc >> 24 */
static uint64_t lapic_hz, ns2lapic;	/* ticks = ns * ns2lapic >> 24 */
static int64_t wall_at_boot;		/* ns since 1970 at monotonic 0 */
static volatile uint32_t *const lapic = (uint32_t *)(DMAP + 0xFEE00000);

static uint64_t
kvmclock_ns(void)
{
	uint32_t version;
	uint64_t delta, ns;
	int8_t shift;

	do {
		version = pvclock.version;
		__asm__ volatile("" : : : "memory");
		delta = kvm_rdtsc() - pvclock.tsc_timestamp;
		shift = pvclock.tsc_shift;
		if (shift >= 0)
			delta <<= shift;
		else
			delta >>= -shift;
		ns = pvclock.system_time + (uint64_t)(((unsigned __int128)delta *
		    pvclock.tsc_to_system_mul) >> 32);
		__asm__ volatile("" : : : "memory");
	} while ((version & 1) != 0 || version != pvclock.version);
	return ns;
}

uint64_t
kvm_clock_ns(void)
{

	if (use_kvmclock)
		return kvmclock_ns();
	return (uint64_t)(((unsigned __int128)(kvm_rdtsc() - tsc0) * tsc_mul)
	    >> 32);
}

/*
 * Measures the TSC and the LAPIC timer over 10 ms of PIT channel 2.
 * Without a PIT (the microvm machine has none, nor the port 0x61 gate),
 * the TSC is measured over 2 ms of the LAPIC timer taken to run at
 * 1 GHz, which is what QEMU's and KVM's emulated LAPICs do.
 */
static void
calibrate(void)
{
	uint64_t t0, t1, spins = 0;
	uint32_t l0, l1;
	uint16_t count = PIT_HZ / 100;

	lapic[LAPIC_TIMER_DIV] = 0xB;	/* divide by 1 */
	lapic[LAPIC_LVT_TIMER] = LVT_MASKED | VEC_TIMER;
	kvm_outb(0x61, (kvm_inb(0x61) & ~0x02) | 0x01);	/* gate on */
	kvm_outb(0x43, 0xb0);		/* channel 2, lo/hi, mode 0 */
	kvm_outb(0x42, count & 0xff);
	kvm_outb(0x42, count >> 8);
	/* Mode 0's output is low until the count runs out. */
	if ((kvm_inb(0x61) & 0x20) == 0) {
		lapic[LAPIC_TIMER_INIT] = 0xffffffff;
		l0 = lapic[LAPIC_TIMER_CUR];
		t0 = kvm_rdtsc();
		while ((kvm_inb(0x61) & 0x20) == 0 && ++spins < 100000000)
			;
		t1 = kvm_rdtsc();
		l1 = lapic[LAPIC_TIMER_CUR];
		lapic[LAPIC_TIMER_INIT] = 0;
		if (spins < 100000000 && t1 > t0) {
			kvm_tsc_hz = (t1 - t0) * 100;
			lapic_hz = (uint64_t)(l0 - l1) * 100;
			return;
		}
	}
	lapic_hz = 1000000000;
	lapic[LAPIC_TIMER_INIT] = 0xffffffff;
	t0 = kvm_rdtsc();
	while (0xffffffff - lapic[LAPIC_TIMER_CUR] < 2000000 &&
	    ++spins < 100000000)
		;
	t1 = kvm_rdtsc();
	lapic[LAPIC_TIMER_INIT] = 0;
	kvm_tsc_hz = (t1 - t0) * 500;
	if (kvm_tsc_hz == 0)
		kvm_tsc_hz = 1000000000;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static uint8_t
cmos(uint8_t reg)
{

	kvm_outb(0x70, reg);
	return kvm_inb(0x71);
}

static int64_t
rtc_seconds(void)
{
	uint8_t sec, min, hour, day, mon, year, b;
	unsigned int spins = 0;

	/* Wait out an update in progress (bounded: no RTC reads 0xff). */
	while ((cmos(0x0A) & 0x80) != 0 && ++spins < 1000000)
		;
	sec = cmos(0x00); min = cmos(0x02); hour = cmos(0x04);
	day = cmos(0x07); mon = cmos(0x08); year = cmos(0x09);
	b = cmos(0x0B);
	if (sec == 0xff && mon == 0xff)
		return 0;
	if ((b & 0x04) == 0) {		/* BCD */
#define BCD(x)	((uint8_t)(((x) & 0x0f) + ((x) >> 4) * 10))
		sec = BCD(sec); min = BCD(min); day = BCD(day);
		mon = BCD(mon); year = BCD(year);
		hour = (uint8_t)(BCD(hour & 0x7f) | (hour & 0x80));
#undef BCD
	}
	if ((b & 0x02) == 0 && (hour & 0x80) != 0)	/* 12-hour, PM */
		hour = (uint8_t)(((hour & 0x7f) % 12) + 12);
	if (mon < 1 || mon > 12 || day < 1 || day > 31)
		return 0;
	return days_from_civil(2000 + year, mon, day) * 86400 +
	    hour * 3600 + min * 60 + sec;
}

void
kvm_clock_init(void)
{
	uint32_t r[4];
	int64_t rtc;

	kvm_cpuid(0x40000000, 0, r);
	if (r[1] == 0x4b4d564b && r[2] == 0x564b4d56 && r[3] == 0x4d) {
		kvm_cpuid(0x40000001, 0, r);
		if (r[0] & KVM_FEATURE_CLOCKSOURCE2) {
			kvm_wrmsr(MSR_KVM_SYSTEM_TIME_NEW,
			    kvm_virt_to_phys((const void *)&pvclock) | 1);
			use_kvmclock = pvclock.tsc_to_system_mul != 0;
		}
	}
	kvm_cpuid(1, 0, r);
	use_tsc_deadline = (r[2] & (1u << 24)) != 0;

	if (use_kvmclock) {
		/* The TSC's rate from kvmclock's scale: 2^32 ns per mul. */
		unsigned __int128 hz = ((unsigned __int128)1000000000 << 32) /
		    pvclock.tsc_to_system_mul;
		if (pvclock.tsc_shift >= 0)
			hz >>= pvclock.tsc_shift;
		else
			hz <<= -pvclock.tsc_shift;
		kvm_tsc_hz = (uint64_t)hz;
	}
	if (!use_kvmclock || !use_tsc_deadline)
		calibrate();
	tsc0 = kvm_boot_tsc;
	tsc_mul = (uint64_t)(((unsigned __int128)1000000000 << 32) /
	    kvm_tsc_hz);
	ns2tsc = (uint64_t)(((unsigned __int128)kvm_tsc_hz << 24) /
	    1000000000);
	ns2lapic = (uint64_t)(((unsigned __int128)lapic_hz << 24) /
	    1000000000);
	rtc = rtc_seconds();
	wall_at_boot = rtc * 1000000000 - (int64_t)kvm_clock_ns();
	lapic[LAPIC_LVT_TIMER] = LVT_MASKED | VEC_TIMER;
}

uint64_t
rumpuser__backend_clock_monotonic(void)
{

	return kvm_clock_ns();
}

int64_t
rumpuser__backend_clock_wall(void)
{

	return wall_at_boot + (int64_t)kvm_clock_ns();
}

static void
timer_arm(uint64_t ns)
{
	uint64_t ticks;

	if (use_tsc_deadline) {
		ticks = (uint64_t)(((unsigned __int128)ns * ns2tsc) >> 24);
		lapic[LAPIC_LVT_TIMER] = LVT_TSC_DEADLINE | VEC_TIMER;
		kvm_wrmsr(MSR_TSC_DEADLINE, kvm_rdtsc() + (ticks ? ticks : 1));
		return;
	}
	ticks = (uint64_t)(((unsigned __int128)ns * ns2lapic) >> 24);
	if (ticks == 0)
		ticks = 1;
	if (ticks > 0xffffffff)
		ticks = 0xffffffff;	/* wakes early; the caller loops */
	lapic[LAPIC_TIMER_DIV] = 0xB;
	lapic[LAPIC_LVT_TIMER] = VEC_TIMER;
	lapic[LAPIC_TIMER_INIT] = (uint32_t)ticks;
}

static void
timer_disarm(void)
{

	if (use_tsc_deadline)
		kvm_wrmsr(MSR_TSC_DEADLINE, 0);
	else
		lapic[LAPIC_TIMER_INIT] = 0;
	lapic[LAPIC_LVT_TIMER] = LVT_MASKED | VEC_TIMER;
}

void
kvm_idle(uint64_t deadline)
{
	uint64_t now;

	if (kvm_irq_pending)
		return;
	if (deadline != RUMPUSER__FOREVER) {
		now = kvm_clock_ns();
		if (now >= deadline)
			return;
		timer_arm(deadline - now);
	}
	/* sti takes effect after the next instruction: an interrupt that
	 * is already pending wakes hlt instead of being lost before it. */
	__asm__ volatile("sti; hlt; cli" : : : "memory");
	if (deadline != RUMPUSER__FOREVER)
		timer_disarm();
}
