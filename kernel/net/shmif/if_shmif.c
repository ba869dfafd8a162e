/*
 * if_shmif.c: shmif, an Ethernet interface on a bus in a shared file
 * (layout: shmif_bus.h; host side: rump/rumpuser_shmif.h).
 *
 * Created with rump_netconfig_ifcreate("shmif", "/path/to/bus", ...).
 * Each interface has a receive thread that copies new frames out of the
 * ring and hands them to the Ethernet input; sending appends to the ring
 * from the sender's thread.
 *
 * What a frame costs is mostly waking the other side, so: the receive
 * thread drains everything there is before it sleeps, polls the ring
 * for a short while (RUMP_SHMIF_SPIN_US) before it sleeps at all, and a
 * sender rings the doorbell of a station only when that station sleeps,
 * never its own (shmif_bus.h).  The poll is adaptive: it is worth its
 * CPU only when frames follow one another closely (a bulk transfer), and
 * it costs the most when they do not (a request/response exchange,
 * where the poller may keep the very CPU its peer needs to answer off
 * it).  So the thread polls only while its last wait ended within the
 * poll time; a longer wait switches polling off until a wait is short
 * again.
 *
 * Parameters, read when the interface is created: RUMP_SHMIF_MTU
 * (68..65535, default 1500) sets the MTU; RUMP_SHMIF_TSO=0 keeps TCP
 * segments to the MSS (by default they may be up to 64 KiB, if_tso); RUMP_SHMIF_SPIN_US (0..1000,
 * default SHMIF_SPIN_US) how long the receive thread polls the ring
 * before it sleeps (where the platform polls at all: posix does).
 *
 * Test hook: parameters RUMP_SHMIF_DROP, RUMP_SHMIF_DUP and
 * RUMP_SHMIF_REORDER (percent, 0..100, read when the interface is
 * created) make the interface drop, duplicate, or hold back and send
 * after the next one, that share of the frames it sends: a lossy,
 * misordering wire for testing the protocols above.  With
 * RUMP_SHMIF_SEED (a number) the decisions come from a generator seeded
 * with it and the interface's unit, so that the n-th frame an interface
 * sends meets the same fate in every run; without it, from cprng.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/hyp.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/clock.h>
#include <net/if.h>
#include <rump/rumpuser_shmif.h>

#include "shmif_bus.h"

#define SHMIF_RXBATCH	64
#define SHMIF_IDLE_NS	(100ULL * 1000000)	/* wait slice */
#define SHMIF_SPIN_US	20	/* default poll before sleeping */

struct shmif_sc {
	struct ifnet		 sc_if;
	struct rumpuser_shmif	*sc_bus;
	struct shmif_bus_hdr	*sc_hdr;
	uint8_t			*sc_ring;
	uint32_t		 sc_id;		/* our station id on the bus */
	struct shmif_slot	*sc_slot;	/* our doorbell */
	uint64_t		 sc_rpos;	/* receive thread only */
	uint64_t		 sc_spin_ns;	/* poll before sleeping, at most */
	bool			 sc_spin_on;	/* the last wait was short */

	/* Test hook (percentages) and the frame held back for
	 * reordering, under sc_hooklock. */
	int			 sc_drop, sc_dup, sc_reorder;
	kmutex_t		 sc_hooklock;
	struct mbuf		*sc_held;
	bool			 sc_seeded;	/* RUMP_SHMIF_SEED given */
	uint64_t		 sc_rng;	/* its generator's state */
};

static kmutex_t shmif_unit_lock;
static int shmif_nextunit;

static void
bus_lock(struct shmif_bus_hdr *h)
{
	unsigned int spins = 0;

	/* Holders only copy a frame, so the wait is short; past a few
	 * tries the holder is probably another process that the host
	 * descheduled: give the CPU away rather than burn it. */
	while (__atomic_exchange_n(&h->sb_lock, 1, __ATOMIC_ACQUIRE) != 0) {
		if (++spins > 100)
			kpause_ns(1000);
	}
}

static void
bus_unlock(struct shmif_bus_hdr *h)
{

	__atomic_store_n(&h->sb_lock, 0, __ATOMIC_RELEASE);
}

static void
ring_put(struct shmif_sc *sc, uint64_t pos, const void *src, size_t len)
{
	uint32_t size = SHMIF_RINGSIZE;
	size_t off = (size_t)(pos % size), first = MIN(len, size - off);

	memcpy(sc->sc_ring + off, src, first);
	if (first < len)
		memcpy(sc->sc_ring, (const uint8_t *)src + first, len - first);
}

static void
ring_get(struct shmif_sc *sc, uint64_t pos, void *dst, size_t len)
{
	uint32_t size = SHMIF_RINGSIZE;
	size_t off = (size_t)(pos % size), first = MIN(len, size - off);

	memcpy(dst, sc->sc_ring + off, first);
	if (first < len)
		memcpy((uint8_t *)dst + first, sc->sc_ring, len - first);
}

/* The slots a writer must look at: only those stations have had. */
static unsigned int
bus_nslots(struct shmif_bus_hdr *h)
{
	uint64_t n = __atomic_load_n(&h->sb_nextid, __ATOMIC_RELAXED) + 1;

	return n < SHMIF_NSLOTS ? (unsigned int)n : SHMIF_NSLOTS;
}

/*
 * gcc refuses __atomic_thread_fence under -fsanitize=thread (TSan does
 * not model fences).  There a sequentially consistent read-modify-write
 * of the bus's sb_wresv word (adding 0) stands in: it orders at least as
 * much as each fence below, on every target.
 */
#ifdef __SANITIZE_THREAD__
#define BUS_FENCE(h, order) \
	((void)__atomic_fetch_add(&(h)->sb_wresv, 0, __ATOMIC_SEQ_CST))
#else
#define BUS_FENCE(h, order) __atomic_thread_fence(order)
#endif

/* Rings the doorbell of every station that sleeps, but our own. */
static void
bus_wake(struct shmif_sc *sc)
{
	struct shmif_bus_hdr *h = sc->sc_hdr;
	struct shmif_slot *sl;
	unsigned int i, n = bus_nslots(h);

	/* Paired with the reader's sleepers increment before its last look
	 * at sb_wpos: one of the two sees the other's write. */
	BUS_FENCE(h, __ATOMIC_SEQ_CST);
	for (i = 0; i < n; i++) {
		sl = &h->sb_slot[i];
		if (__atomic_load_n(&sl->sl_sleepers, __ATOMIC_SEQ_CST) == 0)
			continue;
		if (sl == sc->sc_slot &&
		    __atomic_load_n(&sl->sl_shared, __ATOMIC_RELAXED) == 0)
			continue;
		/* Rung since the sleeper last looked: it is waking. */
		if (__atomic_exchange_n(&sl->sl_rung, 1, __ATOMIC_SEQ_CST) != 0)
			continue;
		__atomic_add_fetch(&sl->sl_bell, 1, __ATOMIC_SEQ_CST);
		rumpuser_shmif_wake(sc->sc_bus, &sl->sl_bell);
	}
}

/* Wakes our own receive thread, if it sleeps. */
static void
shmif_kick_self(struct shmif_sc *sc)
{
	struct shmif_slot *sl = sc->sc_slot;

	if (__atomic_load_n(&sl->sl_sleepers, __ATOMIC_SEQ_CST) == 0)
		return;
	__atomic_add_fetch(&sl->sl_bell, 1, __ATOMIC_SEQ_CST);
	rumpuser_shmif_wake(sc->sc_bus, &sl->sl_bell);
}

/* Appends one frame to the bus. */
static void
shmif_put(struct shmif_sc *sc, struct mbuf *m)
{
	struct shmif_bus_hdr *h = sc->sc_hdr;
	struct shmif_frame sf;
	uint64_t pos, end;

	sf.sf_len = (uint32_t)m->m_len;
	sf.sf_sender = sc->sc_id;
	bus_lock(h);
	pos = h->sb_wpos;
	end = pos + sizeof(sf) + roundup(m->m_len, 8);
	/* Readers that find the space reserved know their copy of what
	 * was there may be torn (shmif_bus.h). */
	__atomic_store_n(&h->sb_wresv, end, __ATOMIC_RELAXED);
	BUS_FENCE(h, __ATOMIC_RELEASE);
	ring_put(sc, pos, &sf, sizeof(sf));
	ring_put(sc, pos + sizeof(sf), m->m_data, m->m_len);
	__atomic_store_n(&h->sb_wpos, end, __ATOMIC_RELEASE);
	bus_unlock(h);
	bus_wake(sc);
}

/* A roll of the test hook's dice: 0..99.  Called with sc_hooklock. */
static int
shmif_roll(struct shmif_sc *sc)
{
	uint64_t x;

	if (!sc->sc_seeded)
		return (int)(cprng32() % 100);
	/* splitmix64: every seed, even 0, gives a good sequence. */
	x = (sc->sc_rng += 0x9e3779b97f4a7c15ULL);
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (int)(x % 100);
}

static int
shmif_transmit(struct ifnet *ifp, struct mbuf *m)
{
	struct shmif_sc *sc = ifp->if_softc;
	struct mbuf *dup = NULL, *held = NULL;

	if (m->m_len > SHMIF_MAXFRAME) {
		m_free(m);
		if_stat_add(&ifp->if_oerrors, 1);
		return EMSGSIZE;
	}
	if (sc->sc_drop | sc->sc_dup | sc->sc_reorder) {
		bool drop, twice, hold;

		/* Three rolls per frame, always, so that one frame's fate
		 * does not shift the next one's. */
		mutex_enter(&sc->sc_hooklock);
		drop = shmif_roll(sc) < sc->sc_drop;
		twice = shmif_roll(sc) < sc->sc_dup;
		hold = shmif_roll(sc) < sc->sc_reorder;
		mutex_exit(&sc->sc_hooklock);
		if (drop) {
			m_free(m);
			return 0;
		}
		if (twice)
			dup = m_dup(m);
		mutex_enter(&sc->sc_hooklock);
		if (sc->sc_held == NULL && hold) {
			/* Read by the receive thread before it sleeps. */
			__atomic_store_n(&sc->sc_held, m, __ATOMIC_SEQ_CST);
			m = NULL;
		} else {
			held = sc->sc_held;
			__atomic_store_n(&sc->sc_held, NULL, __ATOMIC_RELAXED);
		}
		mutex_exit(&sc->sc_hooklock);
		/* A held frame goes out when no other follows and the
		 * receive thread finds the bus idle: make sure it looks
		 * soon, not after its sleep times out (the program may
		 * be about to exit). */
		if (m == NULL)
			shmif_kick_self(sc);
	}
	if (m != NULL) {
		shmif_put(sc, m);
		m_free(m);
	}
	if (dup != NULL) {
		shmif_put(sc, dup);
		m_free(dup);
	}
	if (held != NULL) {
		shmif_put(sc, held);
		m_free(held);
	}
	return 0;
}

/* Sends the frame held back for reordering when no other came. */
static void
shmif_flush_held(struct shmif_sc *sc)
{
	struct mbuf *held;

	mutex_enter(&sc->sc_hooklock);
	held = sc->sc_held;
	__atomic_store_n(&sc->sc_held, NULL, __ATOMIC_RELAXED);
	mutex_exit(&sc->sc_hooklock);
	if (held != NULL) {
		shmif_put(sc, held);
		m_free(held);
	}
}

/*
 * Copies out the frames between sc_rpos and wpos, at most SHMIF_RXBATCH
 * of them not our own, onto *tail.  Returns how many it queued; moves
 * sc_rpos past what it read.
 */
static int
shmif_read(struct shmif_sc *sc, uint64_t wpos, struct mbuf ***tailp)
{
	struct shmif_bus_hdr *h = sc->sc_hdr;
	struct ifnet *ifp = &sc->sc_if;
	struct shmif_frame sf;
	struct mbuf *m;
	uint64_t pos, next;
	int n = 0;

	if (wpos - sc->sc_rpos > SHMIF_RINGSIZE) {
		/* Lapped: what we missed was overwritten. */
		if_stat_add(&ifp->if_iqdrops, 1);
		sc->sc_rpos = wpos;
		return 0;
	}
	while (sc->sc_rpos < wpos && n < SHMIF_RXBATCH) {
		pos = sc->sc_rpos;
		ring_get(sc, pos, &sf, sizeof(sf));
		next = pos + sizeof(sf) + roundup(sf.sf_len, 8);
		m = NULL;
		if (sf.sf_len <= SHMIF_MAXFRAME && next <= wpos &&
		    sf.sf_sender != sc->sc_id &&
		    (m = m_get(sf.sf_len)) != NULL)
			ring_get(sc, pos + sizeof(sf), m->m_data, sf.sf_len);
		/* Was any of it overwritten while we copied? */
		BUS_FENCE(h, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&h->sb_wresv, __ATOMIC_RELAXED) - pos >
		    SHMIF_RINGSIZE || sf.sf_len > SHMIF_MAXFRAME ||
		    next > wpos) {
			/* Lapped, or a corrupt bus: resynchronise. */
			m_free(m);
			if_stat_add(&ifp->if_iqdrops, 1);
			sc->sc_rpos = __atomic_load_n(&h->sb_wpos,
			    __ATOMIC_ACQUIRE);
			break;
		}
		sc->sc_rpos = next;
		if (m != NULL) {
			**tailp = m;
			*tailp = &m->m_nextpkt;
			n++;
		}
	}
	return n;
}

static void
shmif_rx_thread(void *arg)
{
	struct shmif_sc *sc = arg;
	struct shmif_bus_hdr *h = sc->sc_hdr;
	struct shmif_slot *sl = sc->sc_slot;
	struct ifnet *ifp = &sc->sc_if;
	struct mbuf *q, **tail, *m;
	uint64_t wpos, t0;
	uint32_t bell;

	for (;;) {
		q = NULL;
		tail = &q;
		wpos = __atomic_load_n(&h->sb_wpos, __ATOMIC_ACQUIRE);
		(void)shmif_read(sc, wpos, &tail);
		while ((m = q) != NULL) {
			q = m->m_nextpkt;
			m->m_nextpkt = NULL;
			ifp->if_input(ifp, m);
		}
		if (sc->sc_rpos != __atomic_load_n(&h->sb_wpos,
		    __ATOMIC_ACQUIRE))
			continue;
		shmif_flush_held(sc);
		/* Nothing left: poll a little while before the costly sleep
		 * and wakeup (the low half of sb_wpos changes with every
		 * frame), if the last wait says a frame may come that soon. */
		if (sc->sc_spin_on) {
			(void)rumpuser_shmif_wait(sc->sc_bus,
			    (const volatile uint32_t *)(const void *)
			    &h->sb_wpos + SHMIF_WPOS_LOW, (uint32_t)sc->sc_rpos,
			    sc->sc_spin_ns, 0);
			if (sc->sc_rpos != __atomic_load_n(&h->sb_wpos,
			    __ATOMIC_ACQUIRE))
				continue;
		}
		t0 = sc->sc_spin_ns > 0 ? getmonotonic_ns() : 0;
		bell = __atomic_load_n(&sl->sl_bell, __ATOMIC_SEQ_CST);
		__atomic_store_n(&sl->sl_rung, 0, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&sl->sl_sleepers, 1, __ATOMIC_SEQ_CST);
		if (sc->sc_rpos == __atomic_load_n(&h->sb_wpos,
		    __ATOMIC_SEQ_CST) &&
		    __atomic_load_n(&sc->sc_held, __ATOMIC_SEQ_CST) == NULL)
			(void)rumpuser_shmif_wait(sc->sc_bus, &sl->sl_bell,
			    bell, 0, SHMIF_IDLE_NS);
		__atomic_sub_fetch(&sl->sl_sleepers, 1, __ATOMIC_SEQ_CST);
		/* Would a poll have caught what woke us? */
		if (sc->sc_spin_ns > 0)
			sc->sc_spin_on = getmonotonic_ns() - t0 <=
			    sc->sc_spin_ns;
	}
}

/* A decimal parameter, at most max; 0 when unset or not a number. */
static int
shmif_param_int(const char *name, int max)
{
	char buf[16];
	int v = 0;

	if (hyp_getparam(name, buf, sizeof(buf)) != 0)
		return 0;
	for (const char *p = buf; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (*p - '0');
	return v > max ? max : v;
}

static int
shmif_param_pct(const char *name)
{

	return shmif_param_int(name, 100);
}

/* A decimal parameter; false when it is not set or not a number. */
static bool
shmif_param_u64(const char *name, uint64_t *vp)
{
	char buf[24];
	uint64_t v = 0;
	const char *p;

	if (hyp_getparam(name, buf, sizeof(buf)) != 0)
		return false;
	for (p = buf; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (p == buf || *p != '\0')
		return false;
	*vp = v;
	return true;
}

static int
shmif_create(const char *path, char *ifname, size_t ifnamelen)
{
	struct shmif_sc *sc;
	struct shmif_bus_hdr *h;
	uint8_t hw[ETHER_ADDR_LEN];
	char buf[16];
	void *mem;
	int error, unit, mtu;

	if (path == NULL || path[0] == '\0')
		return EINVAL;
	sc = kmem_zalloc(sizeof(*sc), KM_SLEEP);
	if (sc == NULL)
		return ENOMEM;
	error = rumpuser_shmif_map(path, SHMIF_BUSSIZE, &mem, &sc->sc_bus);
	if (error != 0) {
		kmem_free(sc, sizeof(*sc));
		return hyp_errno(error);
	}
	sc->sc_hdr = h = mem;
	sc->sc_ring = (uint8_t *)mem + SHMIF_DATAOFF;
	bus_lock(h);
	if (h->sb_magic != SHMIF_MAGIC) {
		h->sb_version = SHMIF_VERSION;
		h->sb_ringsize = SHMIF_RINGSIZE;
		h->sb_wpos = h->sb_wresv = 0;
		h->sb_magic = SHMIF_MAGIC;
	}
	if (h->sb_version != SHMIF_VERSION ||
	    h->sb_ringsize != SHMIF_RINGSIZE) {
		bus_unlock(h);
		rumpuser_shmif_unmap(sc->sc_bus);
		kmem_free(sc, sizeof(*sc));
		return EINVAL;
	}
	sc->sc_id = (uint32_t)(h->sb_nextid + 1);
	__atomic_store_n(&h->sb_nextid, h->sb_nextid + 1, __ATOMIC_RELAXED);
	sc->sc_slot = &h->sb_slot[sc->sc_id % SHMIF_NSLOTS];
	/* A slot someone had before: from now on writers ring it even
	 * when it is their own (shmif_bus.h). */
	if (sc->sc_slot->sl_owner != 0)
		__atomic_store_n(&sc->sc_slot->sl_shared, 1,
		    __ATOMIC_RELAXED);
	sc->sc_slot->sl_owner = sc->sc_id;
	sc->sc_rpos = h->sb_wpos;
	bus_unlock(h);
	sc->sc_spin_ns = (uint64_t)(hyp_getparam("RUMP_SHMIF_SPIN_US", buf,
	    sizeof(buf)) == 0 ? shmif_param_int("RUMP_SHMIF_SPIN_US", 1000) :
	    SHMIF_SPIN_US) * 1000;

	sc->sc_drop = shmif_param_pct("RUMP_SHMIF_DROP");
	sc->sc_dup = shmif_param_pct("RUMP_SHMIF_DUP");
	sc->sc_reorder = shmif_param_pct("RUMP_SHMIF_REORDER");
	mutex_init(&sc->sc_hooklock, MUTEX_DEFAULT);

	/* A random, locally administered unicast address. */
	cprng_fill(hw, sizeof(hw));
	hw[0] = (uint8_t)((hw[0] & 0xfc) | 0x02);

	mutex_enter(&shmif_unit_lock);
	unit = shmif_nextunit++;
	mutex_exit(&shmif_unit_lock);
	snprintf(sc->sc_if.if_xname, sizeof(sc->sc_if.if_xname), "shmif%d",
	    unit);
	if (shmif_param_u64("RUMP_SHMIF_SEED", &sc->sc_rng)) {
		sc->sc_seeded = true;
		sc->sc_rng ^= (uint64_t)unit << 32;
	}
	sc->sc_if.if_softc = sc;
	sc->sc_if.if_transmit = shmif_transmit;
	/* Every kernel on a bus must agree on the MTU: a parameter, so a
	 * whole test or benchmark can run on jumbo frames (fewer, larger
	 * TCP segments: the bus's cost is per frame). */
	mtu = shmif_param_int("RUMP_SHMIF_MTU", SHMIF_MAXFRAME - ETHER_HDR_LEN);
	sc->sc_if.if_mtu = mtu >= 68 ? mtu : ETHERMTU;
	/* Every station on a bus is a strata kernel, whose TCP takes a
	 * segment of any size: a TCP/IPv4 segment of many MSS crosses the
	 * bus as one frame, a tenth of the per-frame costs (TSO without
	 * the cutting; RUMP_SHMIF_TSO=0 turns it off). */
	if (hyp_getparam("RUMP_SHMIF_TSO", buf, sizeof(buf)) != 0 ||
	    strcmp(buf, "0") != 0)
		sc->sc_if.if_tso = SHMIF_MAXFRAME - ETHER_HDR_LEN;
	if ((error = ether_ifattach(&sc->sc_if, hw)) != 0)
		return error;	/* a unique name cannot clash; never */
	error = kthread_create(shmif_rx_thread, sc, "shmif", false, NULL);
	if (error != 0) {
		if_detach(&sc->sc_if);
		return error;
	}
	strlcpy(ifname, sc->sc_if.if_xname, ifnamelen);
	return 0;
}

static const struct if_cloner shmif_cloner = {
	.ifc_name = "shmif",
	.ifc_create = shmif_create,
};
IF_CLONER(shmif_cloner);

RUMP_COMPONENT(RUMP_COMPONENT_NET, shmif)
{

	mutex_init(&shmif_unit_lock, MUTEX_DEFAULT);
}
