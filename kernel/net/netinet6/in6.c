/*
 * in6.c: IPv6 interface addresses, duplicate address detection (RFC 4862
 * 5.4, one probe), link-local addresses made from the hardware address
 * when an Ethernet interface comes up (RFC 4862 5.3, modified EUI-64 of
 * RFC 4291 appendix A), and the text forms of addresses.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>
#include <net/route.h>

#include "in6_var.h"

const struct in6_addr in6addr_any;
const struct in6_addr in6addr_loopback = { .u6.u6_addr8 = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };

static krwlock_t in6_lock;
static struct in6_ifaddr *in6_ifaddrs;
static struct callout in6_dad_timer;

/* --- Text forms ---------------------------------------------------------- */

static int
hexval(char c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A dotted quad at s (the last 32 bits of an address); 0 or EINVAL. */
static int
in6_pton_v4(const char *s, uint8_t *out)
{
	for (int n = 0; n < 4; n++) {
		unsigned v = 0;
		int d;

		for (d = 0; *s >= '0' && *s <= '9'; d++, s++) {
			if (d == 3)
				return EINVAL;
			v = v * 10 + (unsigned)(*s - '0');
		}
		if (d == 0 || v > 255)
			return EINVAL;
		out[n] = (uint8_t)v;
		if (n < 3 && *s++ != '.')
			return EINVAL;
	}
	return *s == '\0' ? 0 : EINVAL;
}

int
in6_pton(const char *s, struct in6_addr *a)
{
	uint8_t b[16];
	int n = 0, gap = -1;

	memset(b, 0, sizeof(b));
	if (s[0] == ':') {
		if (s[1] != ':')
			return EINVAL;
		s++;
	}
	while (*s != '\0') {
		unsigned v = 0;
		int d;

		if (*s == ':') {
			if (gap >= 0)
				return EINVAL;	/* two "::" */
			gap = n;
			s++;
			if (*s == '\0')
				break;
			continue;
		}
		/* An embedded dotted quad ends the address. */
		for (d = 0; s[d] != '\0' && s[d] != ':'; d++)
			if (s[d] == '.')
				break;
		if (s[d] == '.') {
			if (n > 12 || in6_pton_v4(s, b + n) != 0)
				return EINVAL;
			n += 4;
			break;
		}
		for (d = 0; hexval(*s) >= 0; d++, s++) {
			if (d == 4)
				return EINVAL;
			v = v << 4 | (unsigned)hexval(*s);
		}
		if (d == 0 || n > 14)
			return EINVAL;
		b[n++] = (uint8_t)(v >> 8);
		b[n++] = (uint8_t)v;
		if (*s == ':') {
			s++;
			if (*s == '\0')
				return EINVAL;	/* trailing single ':' */
		} else if (*s != '\0')
			return EINVAL;
	}
	if (gap >= 0) {
		if (n == 16)
			return EINVAL;
		memmove(b + gap + (16 - n), b + gap, (size_t)(n - gap));
		memset(b + gap, 0, (size_t)(16 - n));
	} else if (n != 16)
		return EINVAL;
	memcpy(a->s6_addr, b, 16);
	return 0;
}

int
in6_pton_scope(const char *s, struct in6_addr *a, uint32_t *scope)
{
	char buf[64];
	const char *pct = strchr(s, '%');
	struct ifnet *ifp;

	*scope = 0;
	if (pct == NULL)
		return in6_pton(s, a);
	if ((size_t)(pct - s) >= sizeof(buf))
		return EINVAL;
	memcpy(buf, s, (size_t)(pct - s));
	buf[pct - s] = '\0';
	if (in6_pton(buf, a) != 0)
		return EINVAL;
	if ((ifp = if_find_byname(pct + 1)) == NULL)
		return ENXIO;
	*scope = (uint32_t)ifp->if_index;
	return 0;
}

void
in6_ntop(const struct in6_addr *a, char *buf, size_t len)
{
	int best = -1, bestlen = 1, cur = -1, curlen = 0;
	size_t o = 0;

	/* The longest run of zero groups (at least two) becomes "::". */
	for (int i = 0; i < 8; i++) {
		if (a->s6_addr16[i] == 0) {
			if (cur < 0)
				cur = i, curlen = 0;
			if (++curlen > bestlen)
				best = cur, bestlen = curlen;
		} else
			cur = -1;
	}
	if (in6_is_v4mapped(a)) {
		snprintf(buf, len, "::ffff:%u.%u.%u.%u", a->s6_addr[12],
		    a->s6_addr[13], a->s6_addr[14], a->s6_addr[15]);
		return;
	}
	for (int i = 0; i < 8 && o < len; i++) {
		if (i == best) {
			o += (size_t)snprintf(buf + o, len - o, i == 0 ? "::" :
			    ":");
			i += bestlen - 1;
			continue;
		}
		o += (size_t)snprintf(buf + o, len - o, "%x%s",
		    ntohs(a->s6_addr16[i]), i < 7 ? ":" : "");
	}
	if (o >= len && len > 0)
		buf[len - 1] = '\0';
}

bool
in6_prefix_equal(const struct in6_addr *a, const struct in6_addr *b, int plen)
{
	int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a->s6_addr, b->s6_addr, (size_t)bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	return ((a->s6_addr[bytes] ^ b->s6_addr[bytes]) &
	    (0xff << (8 - bits))) == 0;
}

void
in6_solicited_node(const struct in6_addr *target, struct in6_addr *mc)
{

	memset(mc, 0, sizeof(*mc));
	mc->s6_addr[0] = 0xff;
	mc->s6_addr[1] = 0x02;
	mc->s6_addr[11] = 0x01;
	mc->s6_addr[12] = 0xff;
	memcpy(&mc->s6_addr[13], &target->s6_addr[13], 3);
}

/* --- Addresses ----------------------------------------------------------- */

void
in6_addr_init(void)
{

	rw_init(&in6_lock);
}

static struct in6_ifaddr *
in6_find(const struct in6_addr *a, struct ifnet *ifp)
{
	struct in6_ifaddr *ia;

	for (ia = in6_ifaddrs; ia != NULL; ia = ia->ia6_next)
		if (in6_equal(&ia->ia6_addr, a) && (ifp == NULL ||
		    ia->ia6_ifp == ifp || !in6_is_linklocal(a)))
			return ia;
	return NULL;
}

int
in6_addr_state(const struct in6_addr *a, struct ifnet *ifp)
{
	struct in6_ifaddr *ia;
	int st = IN6_ADDR_NONE;

	rw_enter(&in6_lock, RW_READER);
	if ((ia = in6_find(a, ifp)) != NULL) {
		if (ia->ia6_flags & IN6_IFF_DUPLICATED)
			st = IN6_ADDR_DUPLICATED;
		else if (ia->ia6_flags & IN6_IFF_TENTATIVE)
			st = IN6_ADDR_TENTATIVE;
		else
			st = IN6_ADDR_USABLE;
	}
	rw_exit(&in6_lock);
	return st;
}

struct ifnet *
in6_addr_ifp(const struct in6_addr *a)
{
	struct in6_ifaddr *ia;
	struct ifnet *ifp = NULL;

	rw_enter(&in6_lock, RW_READER);
	if ((ia = in6_find(a, NULL)) != NULL)
		ifp = ia->ia6_ifp;
	rw_exit(&in6_lock);
	return ifp;
}

/* Starts DAD for ia (in6_lock held as writer); the probe is sent by the
 * caller once the lock is dropped. */
static bool
in6_dad_start(struct in6_ifaddr *ia)
{

	if (ia->ia6_ifp == lo_ifp || ia->ia6_ifp->if_type != IFT_ETHER ||
	    !(if_flags_get(ia->ia6_ifp) & IFF_UP)) {
		/* Nothing to probe: checked when the link comes up. */
		if (ia->ia6_ifp != lo_ifp && ia->ia6_ifp->if_type == IFT_ETHER)
			ia->ia6_flags |= IN6_IFF_TENTATIVE;
		return false;
	}
	ia->ia6_flags |= IN6_IFF_TENTATIVE;
	ia->ia6_flags &= ~IN6_IFF_DUPLICATED;
	ia->ia6_dad_done = getmonotonic_ns() + ND6_RETRANS_NS;
	return true;
}

int
in6_addr_add(struct ifnet *ifp, const struct in6_addr *addr, int plen,
    int flags)
{
	struct in6_ifaddr *ia, **pp;
	struct in6_addr prefix;
	bool probe;

	if (plen < 0 || plen > 128 || in6_is_unspecified(addr) ||
	    in6_is_multicast(addr) || in6_is_v4mapped(addr))
		return EINVAL;
	ia = kmem_zalloc(sizeof(*ia), KM_SLEEP);
	if (ia == NULL)
		return ENOMEM;
	ia->ia6_ifp = ifp;
	ia->ia6_addr = *addr;
	ia->ia6_plen = plen;
	ia->ia6_flags = flags;
	rw_enter(&in6_lock, RW_WRITER);
	for (pp = &in6_ifaddrs; *pp != NULL; pp = &(*pp)->ia6_next) {
		if (in6_equal(&(*pp)->ia6_addr, addr) &&
		    ((*pp)->ia6_ifp == ifp || !in6_is_linklocal(addr))) {
			rw_exit(&in6_lock);
			kmem_free(ia, sizeof(*ia));
			return EEXIST;
		}
	}
	*pp = ia;
	probe = in6_dad_start(ia);
	rw_exit(&in6_lock);

	/* The connected route: the prefix is on this link.  (Link-local
	 * destinations are routed by their scope, not by a route.) */
	if (!in6_is_linklocal(addr) && ifp != lo_ifp && plen < 128) {
		memset(&prefix, 0, sizeof(prefix));
		for (int i = 0; i < plen; i++)
			if (addr->s6_addr[i / 8] & (0x80 >> (i % 8)))
				prefix.s6_addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		(void)rt6_add(&prefix, plen, NULL, ifp, RTF_CONNECTED);
	}
	if (probe) {
		nd6_ns_output(ifp, NULL, addr, NULL);
		if (!callout_pending(&in6_dad_timer))
			callout_schedule_ns(&in6_dad_timer, ND6_RETRANS_NS);
	}
	return 0;
}

int
in6_addr_del(struct ifnet *ifp, const struct in6_addr *addr)
{
	struct in6_ifaddr *ia, **pp;
	struct in6_addr prefix;
	int plen = -1;

	rw_enter(&in6_lock, RW_WRITER);
	for (pp = &in6_ifaddrs; (ia = *pp) != NULL; pp = &ia->ia6_next) {
		if (ia->ia6_ifp == ifp && in6_equal(&ia->ia6_addr, addr)) {
			*pp = ia->ia6_next;
			plen = ia->ia6_plen;
			break;
		}
	}
	rw_exit(&in6_lock);
	if (ia == NULL)
		return EADDRNOTAVAIL;
	kmem_free(ia, sizeof(*ia));
	if (!in6_is_linklocal(addr) && ifp != lo_ifp && plen < 128) {
		memset(&prefix, 0, sizeof(prefix));
		for (int i = 0; i < plen; i++)
			if (addr->s6_addr[i / 8] & (0x80 >> (i % 8)))
				prefix.s6_addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		(void)rt6_del(&prefix, plen, ifp);
	}
	return 0;
}

int
in6_linklocal_of(struct ifnet *ifp, struct in6_addr *a, bool usable_only)
{
	struct in6_ifaddr *ia;
	int error = EADDRNOTAVAIL;

	rw_enter(&in6_lock, RW_READER);
	for (ia = in6_ifaddrs; ia != NULL; ia = ia->ia6_next) {
		if (ia->ia6_ifp == ifp && in6_is_linklocal(&ia->ia6_addr) &&
		    (!usable_only || !(ia->ia6_flags &
		    (IN6_IFF_TENTATIVE | IN6_IFF_DUPLICATED)))) {
			*a = ia->ia6_addr;
			error = 0;
			break;
		}
	}
	rw_exit(&in6_lock);
	return error;
}

/* Scope for source selection: link-local 2, global 14 (loopback counts
 * as link-local, RFC 4007). */
static int
in6_scope(const struct in6_addr *a)
{

	if (in6_is_multicast(a))
		return a->s6_addr[1] & 0x0f;
	if (in6_is_linklocal(a) || in6_is_loopback(a))
		return 2;
	return 14;
}

int
in6_select_src(const struct in6_addr *dst, struct ifnet *ifp,
    struct in6_addr *src)
{
	struct in6_ifaddr *ia, *best = NULL;
	int dscope = in6_scope(dst), bscore = -1, score;

	if (in6_is_loopback(dst)) {
		*src = in6addr_loopback;
		return 0;
	}
	/* Our own address: talk to ourselves from it (as Linux). */
	if (in6_addr_state(dst, NULL) == IN6_ADDR_USABLE) {
		*src = *dst;
		return 0;
	}
	rw_enter(&in6_lock, RW_READER);
	for (ia = in6_ifaddrs; ia != NULL; ia = ia->ia6_next) {
		int sscope = in6_scope(&ia->ia6_addr);

		if (ia->ia6_flags & (IN6_IFF_TENTATIVE | IN6_IFF_DUPLICATED))
			continue;
		if (in6_is_loopback(&ia->ia6_addr))
			continue;
		/* Link-local sources only on their own link. */
		if (sscope == 2 && ia->ia6_ifp != ifp)
			continue;
		/* RFC 6724 rules 2 (appropriate scope), 5 (outgoing
		 * interface), 8 (longest matching prefix, coarsely). */
		score = 0;
		if (sscope >= dscope)
			score += 100 - (sscope - dscope);
		else
			score += sscope;
		if (ia->ia6_ifp == ifp)
			score += 200;
		/* Rule 3: avoid deprecated addresses. */
		if (ia->ia6_flags & IN6_IFF_DEPRECATED)
			score -= 250;
		if (in6_prefix_equal(&ia->ia6_addr, dst, 64))
			score += 10;
		if (score > bscore) {
			bscore = score;
			best = ia;
		}
	}
	if (best != NULL)
		*src = best->ia6_addr;
	rw_exit(&in6_lock);
	return best != NULL ? 0 : EADDRNOTAVAIL;
}

bool
in6_mcast_joined(const struct in6_addr *a, struct ifnet *ifp)
{
	struct in6_ifaddr *ia;
	struct in6_addr sn;
	bool joined = false;

	/* ff01::1 and ff02::1: all nodes. */
	if ((a->s6_addr[1] == 0x01 || a->s6_addr[1] == 0x02) &&
	    a->s6_addr16[1] == 0 && a->s6_addr32[1] == 0 &&
	    a->s6_addr32[2] == 0 && a->s6_addr32[3] == htonl(1))
		return true;
	/* ff02::2: all routers, on the links we advertise on. */
	if (a->s6_addr[1] == 0x02 && a->s6_addr16[1] == 0 &&
	    a->s6_addr32[1] == 0 && a->s6_addr32[2] == 0 &&
	    a->s6_addr32[3] == htonl(2))
		return nd6_is_advertising(ifp);
	rw_enter(&in6_lock, RW_READER);
	for (ia = in6_ifaddrs; ia != NULL && !joined; ia = ia->ia6_next) {
		if (ia->ia6_ifp != ifp)
			continue;
		in6_solicited_node(&ia->ia6_addr, &sn);
		joined = in6_equal(&sn, a);
	}
	rw_exit(&in6_lock);
	return joined;
}

void
in6_dad_duplicated(struct ifnet *ifp, const struct in6_addr *addr)
{
	struct in6_ifaddr *ia;
	char buf[48];
	bool found = false;

	rw_enter(&in6_lock, RW_WRITER);
	for (ia = in6_ifaddrs; ia != NULL; ia = ia->ia6_next) {
		if (ia->ia6_ifp == ifp && in6_equal(&ia->ia6_addr, addr) &&
		    (ia->ia6_flags & IN6_IFF_TENTATIVE)) {
			ia->ia6_flags &= ~IN6_IFF_TENTATIVE;
			ia->ia6_flags |= IN6_IFF_DUPLICATED;
			found = true;
		}
	}
	rw_exit(&in6_lock);
	if (found) {
		in6_ntop(addr, buf, sizeof(buf));
		aprint_verbose("%s: IPv6 duplicate address %s detected\n",
		    ifp->if_xname, buf);
	}
}

static void
in6_dad_tick(void *arg)
{
	struct in6_ifaddr *ia;
	struct {
		struct ifnet *ifp;
		struct in6_addr addr;
	} done[16];
	int ndone = 0;
	uint64_t now = getmonotonic_ns();
	bool again = false;

	(void)arg;
	rw_enter(&in6_lock, RW_WRITER);
	for (ia = in6_ifaddrs; ia != NULL; ia = ia->ia6_next) {
		if (!(ia->ia6_flags & IN6_IFF_TENTATIVE) ||
		    !(if_flags_get(ia->ia6_ifp) & IFF_UP))
			continue;
		if (ia->ia6_dad_done <= now && ndone < (int)__arraycount(done)) {
			ia->ia6_flags &= ~IN6_IFF_TENTATIVE;
			done[ndone].ifp = ia->ia6_ifp;
			done[ndone].addr = ia->ia6_addr;
			ndone++;
		} else
			again = true;
	}
	rw_exit(&in6_lock);
	/* Tell the link, so that stale caches of a previous owner are
	 * corrected (RFC 4861 7.2.6). */
	for (int i = 0; i < ndone; i++)
		nd6_na_announce(done[i].ifp, &done[i].addr);
	if (again)
		callout_schedule_ns(&in6_dad_timer, ND6_RETRANS_NS / 4);
}

/*
 * An interface came up: give an Ethernet interface its link-local
 * address (once), and run DAD again for every address of it; one that
 * went down forgets its neighbours.
 */
static void
in6_if_link(struct ifnet *ifp, bool up)
{
	struct in6_ifaddr *ia;
	struct in6_addr ll, probe[16];
	int nprobe = 0;

	if (ifp->if_type != IFT_ETHER)
		return;
	if (!up) {
		nd6_purge_if(ifp);
		nd6_rtr_link(ifp, false);
		return;
	}
	if (in6_linklocal_of(ifp, &ll, false) != 0) {
		memset(&ll, 0, sizeof(ll));
		ll.s6_addr[0] = 0xfe;
		ll.s6_addr[1] = 0x80;
		in6_ifid(ifp, &ll);
		(void)in6_addr_add(ifp, &ll, 64, IN6_IFF_AUTOCONF);
		/* in6_addr_add started its DAD; restart the others. */
	}
	rw_enter(&in6_lock, RW_WRITER);
	for (ia = in6_ifaddrs; ia != NULL; ia = ia->ia6_next) {
		if (ia->ia6_ifp != ifp || nprobe == (int)__arraycount(probe))
			continue;
		if ((ia->ia6_flags & IN6_IFF_TENTATIVE) &&
		    ia->ia6_dad_done > getmonotonic_ns())
			continue;	/* just started */
		if (in6_dad_start(ia))
			probe[nprobe++] = ia->ia6_addr;
	}
	rw_exit(&in6_lock);
	for (int i = 0; i < nprobe; i++)
		nd6_ns_output(ifp, NULL, &probe[i], NULL);
	if (!callout_pending(&in6_dad_timer))
		callout_schedule_ns(&in6_dad_timer, ND6_RETRANS_NS);
	nd6_rtr_link(ifp, true);
}

void
in6_ifid(struct ifnet *ifp, struct in6_addr *a)
{

	/* Modified EUI-64: the universal/local bit inverted. */
	a->s6_addr[8] = ifp->if_hwaddr[0] ^ 0x02;
	a->s6_addr[9] = ifp->if_hwaddr[1];
	a->s6_addr[10] = ifp->if_hwaddr[2];
	a->s6_addr[11] = 0xff;
	a->s6_addr[12] = 0xfe;
	a->s6_addr[13] = ifp->if_hwaddr[3];
	a->s6_addr[14] = ifp->if_hwaddr[4];
	a->s6_addr[15] = ifp->if_hwaddr[5];
}

int
in6_addr_life_get(struct ifnet *ifp, const struct in6_addr *addr,
    uint64_t *vexpire)
{
	struct in6_ifaddr *ia;
	int error = EADDRNOTAVAIL;

	rw_enter(&in6_lock, RW_READER);
	for (ia = in6_ifaddrs; ia != NULL; ia = ia->ia6_next)
		if (ia->ia6_ifp == ifp && in6_equal(&ia->ia6_addr, addr)) {
			*vexpire = ia->ia6_vexpire;
			error = 0;
			break;
		}
	rw_exit(&in6_lock);
	return error;
}

int
in6_addr_life_set(struct ifnet *ifp, const struct in6_addr *addr,
    uint64_t vexpire, uint64_t pexpire)
{
	struct in6_ifaddr *ia;
	int error = EADDRNOTAVAIL;

	rw_enter(&in6_lock, RW_WRITER);
	for (ia = in6_ifaddrs; ia != NULL; ia = ia->ia6_next)
		if (ia->ia6_ifp == ifp && in6_equal(&ia->ia6_addr, addr)) {
			ia->ia6_vexpire = vexpire;
			ia->ia6_pexpire = pexpire;
			if (pexpire == 0 || pexpire > getmonotonic_ns())
				ia->ia6_flags &= ~IN6_IFF_DEPRECATED;
			else
				ia->ia6_flags |= IN6_IFF_DEPRECATED;
			error = 0;
			break;
		}
	rw_exit(&in6_lock);
	return error;
}

bool
in6_addr_deprecated(struct ifnet *ifp, const struct in6_addr *addr)
{
	struct in6_ifaddr *ia;
	bool dep = false;

	rw_enter(&in6_lock, RW_READER);
	for (ia = in6_ifaddrs; ia != NULL; ia = ia->ia6_next)
		if (ia->ia6_ifp == ifp && in6_equal(&ia->ia6_addr, addr)) {
			dep = (ia->ia6_flags & IN6_IFF_DEPRECATED) != 0;
			break;
		}
	rw_exit(&in6_lock);
	return dep;
}

bool
in6_addr_age(uint64_t now)
{
	struct in6_ifaddr *ia;
	struct {
		struct ifnet *ifp;
		struct in6_addr addr;
	} gone[16];
	int ngone = 0;
	bool finite = false;

	rw_enter(&in6_lock, RW_WRITER);
	for (ia = in6_ifaddrs; ia != NULL; ia = ia->ia6_next) {
		if (ia->ia6_vexpire != 0 || ia->ia6_pexpire != 0)
			finite = true;
		if (ia->ia6_pexpire != 0 && ia->ia6_pexpire <= now)
			ia->ia6_flags |= IN6_IFF_DEPRECATED;
		if (ia->ia6_vexpire != 0 && ia->ia6_vexpire <= now &&
		    ngone < (int)__arraycount(gone)) {
			gone[ngone].ifp = ia->ia6_ifp;
			gone[ngone].addr = ia->ia6_addr;
			ngone++;
		}
	}
	rw_exit(&in6_lock);
	for (int i = 0; i < ngone; i++)
		(void)in6_addr_del(gone[i].ifp, &gone[i].addr);
	return finite;
}

void
in6_if_init(void)
{

	callout_init(&in6_dad_timer, in6_dad_tick, NULL);
	if_link_register(in6_if_link);
}
