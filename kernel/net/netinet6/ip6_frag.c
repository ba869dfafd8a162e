/*
 * ip6_frag.c: reassembly of IPv6 fragments (RFC 8200 4.5).  Fragments
 * are kept per (source, destination, identification) for at most 60
 * seconds; overlapping fragments discard the whole packet (RFC 5722).
 * The reassembled packet is the IPv6 header followed by the fragmentable
 * part: extension headers before the fragment header were processed
 * already and are not kept.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>

#include "in6_var.h"

#define IP6_REASS_NS		(60ULL * 1000000000)
#define IP6_REASS_MAXQ		64
#define IP6_REASS_MAXFRAGS	128

struct ip6frag {
	struct ip6frag	*f_next;	/* sorted by offset */
	uint32_t	 f_off, f_len;
	uint8_t		 f_data[];
};

struct ip6q {
	struct ip6q	*q_next;
	struct in6_addr	 q_src, q_dst;
	uint32_t	 q_ident;
	uint64_t	 q_expire;
	uint32_t	 q_total;	/* 0 until the last fragment came */
	int		 q_nxt;		/* from the first fragment, -1 */
	int		 q_nfrags;
	struct ifnet	*q_rcvif;
	struct ip6_hdr	 q_hdr;
	struct ip6frag	*q_frags;
};

static kmutex_t ip6q_lock;
static struct ip6q *ip6q_list;
static int ip6q_count;
static struct callout ip6q_timer;

static void
ip6q_free(struct ip6q *q)
{
	struct ip6frag *f, *n;

	for (f = q->q_frags; f != NULL; f = n) {
		n = f->f_next;
		kmem_free(f, sizeof(*f) + f->f_len);
	}
	kmem_free(q, sizeof(*q));
	ip6q_count--;
}

static void
ip6q_unlink(struct ip6q *q)
{
	struct ip6q **pp;

	for (pp = &ip6q_list; *pp != NULL; pp = &(*pp)->q_next)
		if (*pp == q) {
			*pp = q->q_next;
			break;
		}
}

struct mbuf *
ip6_reass(struct mbuf *m, int off, int *nxtp, int *offp)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)(void *)m->m_data;
	struct ip6_frag *fh;
	struct ip6frag *f, **fp;
	struct ip6q *q;
	struct mbuf *r = NULL;
	uint32_t foff, flen, ident, have;
	uint16_t offlg;
	bool more;

	IP6STAT_INC(ip6s_fragments);
	if ((size_t)off + sizeof(*fh) > m->m_len)
		goto drop;
	fh = (struct ip6_frag *)(void *)(m->m_data + off);
	offlg = ntohs(fh->ip6f_offlg);
	foff = offlg & IP6F_OFF_MASK;
	more = (offlg & IP6F_MORE_FRAG) != 0;
	ident = fh->ip6f_ident;
	flen = (uint32_t)(m->m_len - (size_t)off - sizeof(*fh));
	/* Every fragment but the last carries a multiple of 8 bytes. */
	if (more && (flen & 7) != 0) {
		icmp6_error(m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, 4);
		return NULL;
	}
	if (foff + flen > IPV6_MAXPACKET - sizeof(*ip6)) {
		icmp6_error(m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER,
		    (uint32_t)off + 2);
		return NULL;
	}
	/* An atomic fragment (offset 0, no more): the packet itself. */
	if (foff == 0 && !more) {
		*nxtp = fh->ip6f_nxt;
		memmove(m->m_data + sizeof(*fh), m->m_data, (size_t)off);
		m_adj(m, (long)sizeof(*fh));
		ip6 = (struct ip6_hdr *)(void *)m->m_data;
		ip6->ip6_plen = htons((uint16_t)(m->m_len - sizeof(*ip6)));
		*offp = off;
		return m;
	}

	mutex_enter(&ip6q_lock);
	for (q = ip6q_list; q != NULL; q = q->q_next)
		if (q->q_ident == ident && in6_equal(&q->q_src, &ip6->ip6_src) &&
		    in6_equal(&q->q_dst, &ip6->ip6_dst))
			break;
	if (q == NULL) {
		if (ip6q_count >= IP6_REASS_MAXQ)
			goto dropq_locked;
		q = kmem_zalloc(sizeof(*q), KM_NOSLEEP);
		if (q == NULL)
			goto dropq_locked;
		q->q_src = ip6->ip6_src;
		q->q_dst = ip6->ip6_dst;
		q->q_ident = ident;
		q->q_expire = getmonotonic_ns() + IP6_REASS_NS;
		q->q_nxt = -1;
		q->q_hdr = *ip6;
		q->q_rcvif = m->m_rcvif;
		q->q_next = ip6q_list;
		ip6q_list = q;
		ip6q_count++;
		if (!callout_pending(&ip6q_timer))
			callout_schedule_ns(&ip6q_timer, 1000000000);
	}
	if (!more) {
		if (q->q_total != 0 && q->q_total != foff + flen)
			goto discard;
		q->q_total = foff + flen;
		/* Fragments that came before it must end within it: the
		 * reassembled packet is q_total bytes long. */
		for (f = q->q_frags; f != NULL; f = f->f_next)
			if (f->f_off + f->f_len > q->q_total)
				goto discard;
	}
	if (q->q_total != 0 && foff + flen > q->q_total)
		goto discard;
	if (foff == 0)
		q->q_nxt = fh->ip6f_nxt;
	for (fp = &q->q_frags; *fp != NULL && (*fp)->f_off < foff;
	    fp = &(*fp)->f_next)
		if ((*fp)->f_off + (*fp)->f_len > foff)
			goto discard;		/* overlaps the one before */
	if (*fp != NULL && foff + flen > (*fp)->f_off) {
		/* An exact duplicate is harmless; other overlaps are not. */
		if ((*fp)->f_off == foff && (*fp)->f_len == flen)
			goto dup;
		goto discard;
	}
	if (q->q_nfrags >= IP6_REASS_MAXFRAGS)
		goto discard;
	f = kmem_alloc(sizeof(*f) + flen, KM_NOSLEEP);
	if (f == NULL)
		goto discard;
	f->f_off = foff;
	f->f_len = flen;
	memcpy(f->f_data, m->m_data + off + sizeof(*fh), flen);
	f->f_next = *fp;
	*fp = f;
	q->q_nfrags++;

	/* Complete? */
	have = 0;
	for (f = q->q_frags; f != NULL && f->f_off == have; f = f->f_next)
		have += f->f_len;
	if (q->q_total == 0 || have != q->q_total || q->q_nxt < 0)
		goto kept;
	ip6q_unlink(q);
	mutex_exit(&ip6q_lock);
	r = m_get(sizeof(*ip6) + q->q_total);
	if (r != NULL) {
		struct ip6_hdr *rip6 = (struct ip6_hdr *)(void *)r->m_data;

		*rip6 = q->q_hdr;
		rip6->ip6_plen = htons((uint16_t)q->q_total);
		rip6->ip6_nxt = (uint8_t)q->q_nxt;
		for (f = q->q_frags; f != NULL; f = f->f_next)
			memcpy(r->m_data + sizeof(*ip6) + f->f_off, f->f_data,
			    f->f_len);
		r->m_rcvif = m->m_rcvif;
		r->m_flags = m->m_flags;
		IP6STAT_INC(ip6s_reassembled);
		*nxtp = q->q_nxt;
		*offp = sizeof(*ip6);
	}
	mutex_enter(&ip6q_lock);
	ip6q_free(q);
	mutex_exit(&ip6q_lock);
	m_free(m);
	return r;

discard:
	ip6q_unlink(q);
	ip6q_free(q);
dropq_locked:
	IP6STAT_INC(ip6s_fragdropped);
dup:
kept:
	mutex_exit(&ip6q_lock);
drop:
	m_free(m);
	return NULL;
}

static void
ip6q_tick(void *arg)
{
	struct ip6q *q, **pp;
	uint64_t now = getmonotonic_ns();
	bool again;

	(void)arg;
	mutex_enter(&ip6q_lock);
	for (pp = &ip6q_list; (q = *pp) != NULL;) {
		if (q->q_expire <= now) {
			*pp = q->q_next;
			IP6STAT_INC(ip6s_fragdropped);
			ip6q_free(q);
		} else
			pp = &q->q_next;
	}
	again = ip6q_list != NULL;
	mutex_exit(&ip6q_lock);
	if (again)
		callout_schedule_ns(&ip6q_timer, 1000000000);
}

void
ip6_reass_init(void)
{

	mutex_init(&ip6q_lock, MUTEX_DEFAULT);
	callout_init(&ip6q_timer, ip6q_tick, NULL);
}
