/*
 * mbuf.c: packet buffers (net/mbuf.h).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/proc.h>
#include <net/mbuf.h>

static uint64_t mbuf_count;	/* live packets, atomically */

/*
 * A cache of free packet buffers per virtual CPU, in four sizes: an
 * ACK, a standard Ethernet frame, a jumbo frame, a 64 KiB segment.
 * Every frame a driver receives and every segment TCP sends is a
 * buffer, and the host's
 * malloc, given buffers freed by another thread than the one that took
 * them, kept growing and trimming its per-thread heaps (a third of the
 * allocator's time went to page faults).  A thread holds its virtual CPU
 * while it runs kernel code, so its CPU's cache needs no lock.
 */
#define MCACHE_NCPU	64	/* CPUs beyond go to kmem directly */
static const size_t mcache_size[] = {
	MAX_HDR_ROOM + 256, MAX_HDR_ROOM + 2048, MAX_HDR_ROOM + 9216,
	/* A whole TCP segment an interface takes or gives in one piece
	 * (TSO, LRO), with a virtio-net header: fresh ones from the host
	 * cost page faults, and the host's heap trimmed them away again
	 * as soon as they were freed. */
	MAX_HDR_ROOM + 65536 + 64
};
/* How many of each size a CPU keeps: the large ones are 64 KiB each. */
static const int mcache_depth[] = { 64, 64, 64, 16 };
#define MCACHE_NCLASS	__arraycount(mcache_size)
_Static_assert(__arraycount(mcache_depth) == MCACHE_NCLASS,
    "a depth for every size");
struct mcache {
	struct mbuf	*mc_free[MCACHE_NCLASS];	/* via m_nextpkt */
	int		 mc_n[MCACHE_NCLASS];
} __attribute__((__aligned__(64)));
static struct mcache mcache[MCACHE_NCPU];

/* The cache of the caller's virtual CPU, or NULL (none held). */
static struct mcache *
mcache_cur(void)
{
	struct lwp *l = curlwp;

	if (l == NULL || l->l_cpu == NULL ||
	    l->l_cpu->ci_index >= MCACHE_NCPU)
		return NULL;
	return &mcache[l->l_cpu->ci_index];
}

/* The smallest class holding size bytes, or -1. */
static int
mcache_class(size_t size)
{

	for (size_t i = 0; i < MCACHE_NCLASS; i++)
		if (size <= mcache_size[i])
			return (int)i;
	return -1;
}

static struct mbuf *
m_alloc(size_t size)
{
	struct mcache *mc;
	struct mbuf *m = NULL;
	int c;

	if (size > (size_t)1 << 30)
		return NULL;
	if ((c = mcache_class(size)) >= 0) {
		size = mcache_size[c];
		if ((mc = mcache_cur()) != NULL && mc->mc_n[c] > 0) {
			m = mc->mc_free[c];
			mc->mc_free[c] = m->m_nextpkt;
			mc->mc_n[c]--;
		}
	}
	if (m == NULL)
		m = kmem_alloc(sizeof(*m) + size, KM_NOSLEEP);
	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->m_size = size;
	m->m_data = m->m_buf;
	__atomic_add_fetch(&mbuf_count, 1, __ATOMIC_RELAXED);
	return m;
}

struct mbuf *
m_get(size_t len)
{
	struct mbuf *m;

	/* Round small packets up so that a later prepend of a few bytes
	 * or a tail extension rarely needs a new buffer. */
	m = m_alloc(MAX_HDR_ROOM + (len < 128 ? 128 : len));
	if (m == NULL)
		return NULL;
	m->m_data = m->m_buf + MAX_HDR_ROOM;
	m->m_len = len;
	return m;
}

struct mbuf *
m_copy_from(const void *src, size_t len)
{
	struct mbuf *m;

	m = m_get(len);
	if (m != NULL)
		memcpy(m->m_data, src, len);
	return m;
}

struct mbuf *
m_dup(const struct mbuf *m0)
{
	struct mbuf *m;

	m = m_copy_from(m0->m_data, m0->m_len);
	if (m == NULL)
		return NULL;
	m->m_flags = m0->m_flags;
	m->m_rcvif = m0->m_rcvif;
	m->m_csum = m0->m_csum;
	m->m_csum_off = m0->m_csum_off;
	m->m_tso_segsz = m0->m_tso_segsz;
	m->m_tso_type = m0->m_tso_type;
	return m;
}

void
m_free(struct mbuf *m)
{

	struct mcache *mc;
	int c;

	if (m == NULL)
		return;
	__atomic_sub_fetch(&mbuf_count, 1, __ATOMIC_RELAXED);
	/* Only buffers of exactly a class's size were made for it. */
	if ((c = mcache_class(m->m_size)) >= 0 && m->m_size == mcache_size[c] &&
	    (mc = mcache_cur()) != NULL && mc->mc_n[c] < mcache_depth[c]) {
		m->m_nextpkt = mc->mc_free[c];
		mc->mc_free[c] = m;
		mc->mc_n[c]++;
		return;
	}
	kmem_free(m, sizeof(*m) + m->m_size);
}

void
m_freeq(struct mbuf *m)
{
	struct mbuf *next;

	for (; m != NULL; m = next) {
		next = m->m_nextpkt;
		m_free(m);
	}
}

uint8_t *
m_prepend(struct mbuf **mp, size_t len)
{
	struct mbuf *m = *mp, *n;

	if (m_leadingspace(m) < len) {
		n = m_alloc(MAX_HDR_ROOM + len + m->m_len);
		if (n == NULL) {
			m_free(m);
			*mp = NULL;
			return NULL;
		}
		n->m_data = n->m_buf + MAX_HDR_ROOM + len;
		memcpy(n->m_data, m->m_data, m->m_len);
		n->m_len = m->m_len;
		n->m_flags = m->m_flags;
		n->m_rcvif = m->m_rcvif;
		n->m_csum = m->m_csum;
		n->m_csum_off = m->m_csum_off;
		n->m_tso_segsz = m->m_tso_segsz;
		n->m_tso_type = m->m_tso_type;
		m_free(m);
		*mp = m = n;
	}
	m->m_data -= len;
	m->m_len += len;
	return m->m_data;
}

void
m_adj(struct mbuf *m, long len)
{

	if (len >= 0) {
		if ((size_t)len > m->m_len)
			len = (long)m->m_len;
		m->m_data += len;
		m->m_len -= (size_t)len;
	} else {
		if ((size_t)-len > m->m_len)
			len = -(long)m->m_len;
		m->m_len -= (size_t)-len;
	}
}

uint64_t
mbuf_inuse(void)
{

	return __atomic_load_n(&mbuf_count, __ATOMIC_RELAXED);
}

void
mbufq_init(struct mbufq *q, int max)
{

	q->mq_head = q->mq_tail = NULL;
	q->mq_len = 0;
	q->mq_max = max;
}

int
mbufq_enqueue(struct mbufq *q, struct mbuf *m)
{

	if (q->mq_len >= q->mq_max) {
		m_free(m);
		return ENOBUFS;
	}
	m->m_nextpkt = NULL;
	if (q->mq_tail != NULL)
		q->mq_tail->m_nextpkt = m;
	else
		q->mq_head = m;
	q->mq_tail = m;
	q->mq_len++;
	return 0;
}

struct mbuf *
mbufq_dequeue(struct mbufq *q)
{
	struct mbuf *m;

	m = q->mq_head;
	if (m == NULL)
		return NULL;
	q->mq_head = m->m_nextpkt;
	if (q->mq_head == NULL)
		q->mq_tail = NULL;
	m->m_nextpkt = NULL;
	q->mq_len--;
	return m;
}

void
mbufq_purge(struct mbufq *q)
{

	m_freeq(q->mq_head);
	q->mq_head = q->mq_tail = NULL;
	q->mq_len = 0;
}
