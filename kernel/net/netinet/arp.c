/*
 * arp.c: the Address Resolution Protocol (RFC 826) for IPv4 over
 * Ethernet, with timeouts: a resolved entry is trusted for
 * ARP_REACHABLE_NS, a request is repeated every second up to
 * ARP_MAXTRIES times, and a failed resolution is remembered for
 * ARP_DOWN_NS (sends fail with EHOSTUNREACH meanwhile).  Up to
 * ARP_MAXHOLD packets wait for each resolution.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>

#include "in_var.h"

#define ARP_REACHABLE_NS	(60ULL * 1000000000)
#define ARP_RETRY_NS		(1ULL * 1000000000)
#define ARP_DOWN_NS		(20ULL * 1000000000)
#define ARP_MAXTRIES		3
#define ARP_MAXHOLD		16
#define ARP_MAXENTRIES		256

#define ARPOP_REQUEST	1
#define ARPOP_REPLY	2

struct arphdr_ether {
	uint16_t	ar_hrd, ar_pro;
	uint8_t		ar_hln, ar_pln;
	uint16_t	ar_op;
	uint8_t		ar_sha[ETHER_ADDR_LEN];
	uint8_t		ar_spa[4];
	uint8_t		ar_tha[ETHER_ADDR_LEN];
	uint8_t		ar_tpa[4];
} __attribute__((__packed__));

enum arp_state { ARP_INCOMPLETE, ARP_REACHABLE, ARP_FAILED };

struct llentry {
	uint32_t	 la_addr;
	struct ifnet	*la_ifp;
	uint8_t		 la_hw[ETHER_ADDR_LEN];
	enum arp_state	 la_state;
	uint64_t	 la_expire;	/* REACHABLE, FAILED: until then */
	uint64_t	 la_nextask;	/* INCOMPLETE: next request */
	int		 la_asked;
	struct mbufq	 la_hold;
	struct llentry	*la_next;
};

static kmutex_t arp_lock;
static struct llentry *arp_table;
static int arp_count;
static struct callout arp_timer;

static void
arp_send(struct ifnet *ifp, int op, uint32_t spa, const uint8_t *tha,
    uint32_t tpa, const uint8_t *dst)
{
	struct arphdr_ether *ah;
	struct mbuf *m;

	m = m_get(sizeof(*ah));
	if (m == NULL)
		return;
	ah = (struct arphdr_ether *)(void *)m->m_data;
	ah->ar_hrd = htons(1);
	ah->ar_pro = htons(ETHERTYPE_IP);
	ah->ar_hln = ETHER_ADDR_LEN;
	ah->ar_pln = 4;
	ah->ar_op = htons((uint16_t)op);
	memcpy(ah->ar_sha, ifp->if_hwaddr, ETHER_ADDR_LEN);
	memcpy(ah->ar_spa, &spa, 4);
	if (tha != NULL)
		memcpy(ah->ar_tha, tha, ETHER_ADDR_LEN);
	else
		memset(ah->ar_tha, 0, ETHER_ADDR_LEN);
	memcpy(ah->ar_tpa, &tpa, 4);
	(void)ether_output_frame(ifp, m, dst, ETHERTYPE_ARP);
}

static void
arp_request(struct ifnet *ifp, uint32_t tpa)
{
	uint32_t spa;

	if (in_ifaddr_of(ifp, &spa) != 0)
		return;
	arp_send(ifp, ARPOP_REQUEST, spa, NULL, tpa, etherbroadcastaddr);
}

void
arp_announce(struct ifnet *ifp, uint32_t addr)
{

	arp_send(ifp, ARPOP_REQUEST, addr, NULL, addr, etherbroadcastaddr);
}

/* Called with arp_lock held. */
static struct llentry *
arp_lookup(struct ifnet *ifp, uint32_t addr)
{
	struct llentry *la;

	for (la = arp_table; la != NULL; la = la->la_next)
		if (la->la_addr == addr && la->la_ifp == ifp)
			return la;
	return NULL;
}

/* Called with arp_lock held; NULL when the table is full or no memory. */
static struct llentry *
arp_create(struct ifnet *ifp, uint32_t addr)
{
	struct llentry *la;

	if (arp_count >= ARP_MAXENTRIES)
		return NULL;
	la = kmem_zalloc(sizeof(*la), KM_NOSLEEP);
	if (la == NULL)
		return NULL;
	la->la_addr = addr;
	la->la_ifp = ifp;
	la->la_state = ARP_INCOMPLETE;
	mbufq_init(&la->la_hold, ARP_MAXHOLD);
	la->la_next = arp_table;
	arp_table = la;
	arp_count++;
	return la;
}

static int
arp_resolve(struct ifnet *ifp, struct mbuf *m, const void *nexthop,
    uint8_t *hw)
{
	struct llentry *la;
	uint32_t addr;
	uint64_t now;
	bool ask = false;
	int error;

	memcpy(&addr, nexthop, 4);
	if (addr == INADDR_BROADCAST || in_is_broadcast(addr, ifp) ||
	    (m->m_flags & M_BCAST)) {
		memcpy(hw, etherbroadcastaddr, ETHER_ADDR_LEN);
		return 0;
	}
	now = getmonotonic_ns();
	mutex_enter(&arp_lock);
	la = arp_lookup(ifp, addr);
	if (la != NULL && la->la_state == ARP_REACHABLE &&
	    la->la_expire > now) {
		memcpy(hw, la->la_hw, ETHER_ADDR_LEN);
		mutex_exit(&arp_lock);
		return 0;
	}
	if (la != NULL && la->la_state == ARP_FAILED &&
	    la->la_expire > now) {
		mutex_exit(&arp_lock);
		m_free(m);
		return EHOSTUNREACH;
	}
	if (la == NULL && (la = arp_create(ifp, addr)) == NULL) {
		mutex_exit(&arp_lock);
		m_free(m);
		return ENOBUFS;
	}
	if (la->la_state != ARP_INCOMPLETE) {
		/* Stale: resolve again. */
		la->la_state = ARP_INCOMPLETE;
		la->la_asked = 0;
		la->la_nextask = 0;
	}
	error = mbufq_enqueue(&la->la_hold, m);
	if (la->la_asked == 0) {
		la->la_asked = 1;
		la->la_nextask = now + ARP_RETRY_NS;
		ask = true;
	}
	mutex_exit(&arp_lock);
	if (ask) {
		arp_request(ifp, addr);
		if (!callout_pending(&arp_timer))
			callout_schedule_ns(&arp_timer, ARP_RETRY_NS);
	}
	return error == 0 ? EINPROGRESS : ENOBUFS;
}

static void
arp_input(struct ifnet *ifp, struct mbuf *m)
{
	struct arphdr_ether *ah;
	struct llentry *la;
	struct mbuf *held = NULL, *n;
	uint32_t spa, tpa, myaddr;
	uint8_t sha[ETHER_ADDR_LEN];
	int op;
	bool forme;

	if (m->m_len < sizeof(*ah))
		goto drop;
	ah = (struct arphdr_ether *)(void *)m->m_data;
	if (ntohs(ah->ar_hrd) != 1 || ntohs(ah->ar_pro) != ETHERTYPE_IP ||
	    ah->ar_hln != ETHER_ADDR_LEN || ah->ar_pln != 4)
		goto drop;
	op = ntohs(ah->ar_op);
	if (op != ARPOP_REQUEST && op != ARPOP_REPLY)
		goto drop;
	memcpy(&spa, ah->ar_spa, 4);
	memcpy(&tpa, ah->ar_tpa, 4);
	memcpy(sha, ah->ar_sha, ETHER_ADDR_LEN);
	/* Senders that are no station: ignore. */
	if (sha[0] & 1 || spa == INADDR_ANY || spa == INADDR_BROADCAST ||
	    memcmp(sha, ifp->if_hwaddr, ETHER_ADDR_LEN) == 0)
		goto drop;
	forme = in_is_local(tpa) && in_ifaddr_of(ifp, &myaddr) == 0;

	mutex_enter(&arp_lock);
	la = arp_lookup(ifp, spa);
	/* Learn the sender when it asks us, and refresh what we know
	 * (RFC 826's merge flag). */
	if (la == NULL && forme)
		la = arp_create(ifp, spa);
	if (la != NULL) {
		memcpy(la->la_hw, sha, ETHER_ADDR_LEN);
		la->la_state = ARP_REACHABLE;
		la->la_expire = getmonotonic_ns() + ARP_REACHABLE_NS;
		la->la_asked = 0;
		held = la->la_hold.mq_head;
		la->la_hold.mq_head = la->la_hold.mq_tail = NULL;
		la->la_hold.mq_len = 0;
	}
	mutex_exit(&arp_lock);

	for (; held != NULL; held = n) {
		n = held->m_nextpkt;
		held->m_nextpkt = NULL;
		(void)ether_output_frame(ifp, held, sha, ETHERTYPE_IP);
	}
	if (op == ARPOP_REQUEST && forme)
		arp_send(ifp, ARPOP_REPLY, tpa, sha, spa, sha);
drop:
	m_free(m);
}

static void
arp_tick(void *arg)
{
	struct llentry *la, **pp;
	struct {
		struct ifnet *ifp;
		uint32_t addr;
	} ask[16];
	int nask = 0;
	uint64_t now = getmonotonic_ns();
	bool again = false;

	(void)arg;
	mutex_enter(&arp_lock);
	for (pp = &arp_table; (la = *pp) != NULL;) {
		if (la->la_state == ARP_INCOMPLETE && la->la_asked > 0 &&
		    la->la_nextask <= now) {
			if (la->la_asked >= ARP_MAXTRIES) {
				/* No answer: drop what waited. */
				mbufq_purge(&la->la_hold);
				la->la_state = ARP_FAILED;
				la->la_expire = now + ARP_DOWN_NS;
				la->la_asked = 0;
			} else if (nask < (int)__arraycount(ask)) {
				la->la_asked++;
				la->la_nextask = now + ARP_RETRY_NS;
				ask[nask].ifp = la->la_ifp;
				ask[nask].addr = la->la_addr;
				nask++;
			}
		}
		if (la->la_state == ARP_INCOMPLETE && la->la_asked > 0)
			again = true;
		/* Expired entries go, so the table does not fill with
		 * stations long gone. */
		if (la->la_state != ARP_INCOMPLETE && la->la_expire <= now) {
			*pp = la->la_next;
			mbufq_purge(&la->la_hold);
			kmem_free(la, sizeof(*la));
			arp_count--;
			continue;
		}
		if (la->la_state != ARP_INCOMPLETE)
			again = true;
		pp = &la->la_next;
	}
	mutex_exit(&arp_lock);
	for (int i = 0; i < nask; i++)
		arp_request(ask[i].ifp, ask[i].addr);
	if (again)
		callout_schedule_ns(&arp_timer, ARP_RETRY_NS);
}

void
arp_purge_if(struct ifnet *ifp)
{
	struct llentry *la, **pp;

	mutex_enter(&arp_lock);
	for (pp = &arp_table; (la = *pp) != NULL;) {
		if (la->la_ifp == ifp) {
			*pp = la->la_next;
			mbufq_purge(&la->la_hold);
			kmem_free(la, sizeof(*la));
			arp_count--;
		} else
			pp = &la->la_next;
	}
	mutex_exit(&arp_lock);
}

void
arp_init(void)
{

	mutex_init(&arp_lock, MUTEX_DEFAULT);
	callout_init(&arp_timer, arp_tick, NULL);
	netisr_register(AF_ARP, arp_input);
	ether_resolver_register(AF_INET, arp_resolve);
}
