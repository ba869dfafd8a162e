/*
 * fuzz_net.c: libFuzzer harness for the network input path.  Each input
 * is a sequence of Ethernet frames that arrive, one after the other, on
 * a virtif interface of a kernel configured as a host on a small
 * network:
 *
 *   virtif0  02:00:00:00:00:01  10.0.0.1/24, 2001:db8::1/64 (and its
 *            link-local address), default routes via 10.0.0.254 and
 *            2001:db8::fe, IPv4 forwarding on
 *   TCP      listening on [::]:80 (dual stack) and 0.0.0.0:81; every
 *            connection that completes is accepted after the input,
 *            sent a few bytes, read and closed
 *   UDP      bound to 0.0.0.0:53 and [::]:53; datagrams are read and
 *            answered
 *
 * so that ether_input, ARP, IPv4 (options, fragments, forwarding), ICMP,
 * UDP, TCP in every state, IPv6 (extension headers, fragments), ICMPv6
 * and neighbour discovery all see hostile frames.
 *
 * The harness is the platform side of the virtif hypercall module
 * (rump/rumpuser_virtif.h) itself: its definitions of rumpuser_virtif_*
 * take the place of the posix platform's TAP-backed ones, so frames go
 * through the real driver and its receive thread, and what the kernel
 * sends comes back here.  From what it sends the harness plays a
 * helpful peer: it answers ARP requests and neighbour solicitations for
 * every address but the kernel's own, and learns the initial sequence
 * number of each TCP connection, so that the fuzzer can reach
 * ESTABLISHED without guessing 32 random bits.
 *
 * Input format: records of
 *
 *   u16 length (little endian), u8 flags, length bytes of frame
 *
 * flags bit 0: recompute the IPv4 header checksum and the TCP, UDP,
 *              ICMP or ICMPv6 checksum (a fuzzer rarely gets them right,
 *              and a frame with a bad checksum stops at the first check);
 * flags bit 1: the TCP acknowledgment number is relative to the initial
 *              sequence number the kernel chose for that connection;
 * flags bit 2: the record's first 10 bytes are the frame's virtio-net
 *              header (struct rumpuser_virtif_vnethdr, the host's byte
 *              order; the interface is granted the headers and the host's
 *              large segments, LRO4 and LRO6, but not TSO, so that a
 *              large segment it forwards is cut by the kernel); without
 *              it the frame gets a header of zeros.
 * The seeds (gen_seeds(), written by FUZZ_NET_SEEDS=DIR ./fuzz_net) are
 * in this format.
 *
 * Any crash, hang (the kernel must finish with an input's frames within
 * 10 s) or memory error (ASan, UBSan) is a bug.  Built and run by
 * t_fuzz_net.sh, which also says how to run it for long.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rump_netconfig.h>
#include <rump/rumpuser.h>
#include <rump/rumpuser_virtif.h>

#define NB_ENXIO	6
#define NB_ETIMEDOUT	60

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t our_ip[4] = { 10, 0, 0, 1 };

#define MAXFRAMES	64
#define MAXFRAME	9100
#define MAXREPLIES	16

/* --- The virtif module -------------------------------------------------- */

struct frame {
	size_t		len;
	int		flags;		/* input's flags (fix_frame) */
	uint8_t		data[MAXFRAME];
};

/*
 * Hand-off between the fuzzer's thread and the kernel's receive thread,
 * under mtx (a rumpuser mutex, so that the receive thread releases its
 * virtual CPU while it waits): the fuzzer posts nframes frames and waits
 * for idle; recv delivers the helper's replies and then the next frame,
 * one per call, and says idle when it is called again with nothing left
 * (the previous frame's input processing has then returned).
 */
static struct rumpuser_mtx *mtx;
static struct rumpuser_cv *cv;
static struct frame *frames;
static int nframes, nextframe;
static int idle = 1, dying;

/* What the kernel sent that needs an answer, and TCP connections seen
 * (guarded by txlock, a host mutex: send never sleeps). */
static pthread_mutex_t txlock = PTHREAD_MUTEX_INITIALIZER;
static struct frame replies[MAXREPLIES];
static int nreplies;
struct flow {
	uint16_t	lport, pport;	/* kernel's port, peer's port */
	uint32_t	isn;
};
#define NFLOWS	64
static struct flow flows[NFLOWS];
static unsigned flowpos;

static void fix_frame(uint8_t *f, size_t len, int flags);

static rumpuser_virtif_deliver_fn deliver;
static void *deliver_cookie;
static bool vnethdr;		/* frames carry virtio-net headers */
#define VNETHDR_LEN	10

struct rumpuser_virtif { int unused; };
static struct rumpuser_virtif the_vif;

int
rumpuser_virtif_create(const char *devname,
    rumpuser_virtif_deliver_fn fn, void *cookie,
    struct rumpuser_virtif_info *info, struct rumpuser_virtif **vifp)
{

	(void)devname;
	if (deliver != NULL)
		return 16;	/* EBUSY: one interface */
	deliver = fn;
	deliver_cookie = cookie;
	memcpy(info->vi_hwaddr, our_mac, 6);
	info->vi_mtu = 1500;
	info->vi_have = info->vi_want & (RUMPUSER_VIRTIF_OFF_VNETHDR |
	    RUMPUSER_VIRTIF_OFF_LRO4 | RUMPUSER_VIRTIF_OFF_LRO6);
	vnethdr = (info->vi_have & RUMPUSER_VIRTIF_OFF_VNETHDR) != 0;
	*vifp = &the_vif;
	return 0;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Records the initial sequence number of a SYN the kernel sends. */
static void
learn_tcp(const uint8_t *th, size_t len)
{
	struct flow *f;

	if (len < 20 || (th[13] & 0x02) == 0)
		return;
	f = &flows[flowpos++ % NFLOWS];
	f->lport = get16(th);
	f->pport = get16(th + 2);
	f->isn = get32(th + 4);
}

static void
queue_reply(const uint8_t *data, size_t len)
{
	if (nreplies == MAXREPLIES)
		return;
	memcpy(replies[nreplies].data, data, len);
	replies[nreplies].len = len;
	nreplies++;
}

/* An ARP request for anyone but us: the peer answers. */
static void
answer_arp(const uint8_t *f, size_t len)
{
	const uint8_t *a = f + 14;
	uint8_t r[42];

	if (len < 42 || get16(a) != 1 || get16(a + 2) != 0x0800 ||
	    a[4] != 6 || a[5] != 4 || get16(a + 6) != 1 ||
	    memcmp(a + 24, our_ip, 4) == 0)
		return;
	memcpy(r, a + 8, 6);
	memcpy(r + 6, peer_mac, 6);
	put16(r + 12, 0x0806);
	put16(r + 14, 1);
	put16(r + 16, 0x0800);
	r[18] = 6;
	r[19] = 4;
	put16(r + 20, 2);
	memcpy(r + 22, peer_mac, 6);
	memcpy(r + 28, a + 24, 4);	/* the address asked for */
	memcpy(r + 32, a + 8, 10);	/* the asker */
	queue_reply(r, sizeof(r));
}

static void
cksum6(uint8_t *ip6, size_t plen, int off)
{
	uint8_t *l4 = ip6 + 40;
	uint32_t sum;

	put16(l4 + off, 0);
	sum = sum16(0, ip6 + 8, 32);
	sum += (uint32_t)(plen >> 16) + (uint32_t)(plen & 0xffff);
	sum += ip6[6];
	sum = sum16(sum, l4, plen);
	put16(l4 + off, fold(sum));
}

/* A neighbour solicitation (not duplicate address detection, whose
 * source is ::) for anyone but us: the peer answers with its MAC. */
static void
answer_ns(const uint8_t *f, size_t len)
{
	static const uint8_t unspec[16];
	const uint8_t *ip6 = f + 14, *ns = ip6 + 40;
	uint8_t r[14 + 40 + 32];
	uint8_t *rip = r + 14, *na = rip + 40;

	if (len < 14 + 40 + 24 || ip6[6] != 58 || ns[0] != 135 ||
	    memcmp(ip6 + 8, unspec, 16) == 0 ||
	    memcmp(ip6 + 8, ns + 8, 16) == 0)
		return;
	memcpy(r, f + 6, 6);
	memcpy(r + 6, peer_mac, 6);
	put16(r + 12, 0x86dd);
	memset(rip, 0, 40);
	rip[0] = 0x60;
	put16(rip + 4, 32);
	rip[6] = 58;
	rip[7] = 255;
	memcpy(rip + 8, ns + 8, 16);	/* from the target */
	memcpy(rip + 24, ip6 + 8, 16);	/* to the asker */
	memset(na, 0, 32);
	na[0] = 136;
	na[4] = 0x60;			/* solicited, override */
	memcpy(na + 8, ns + 8, 16);
	na[24] = 2;			/* target link-layer address */
	na[25] = 1;
	memcpy(na + 26, peer_mac, 6);
	cksum6(rip, 32, 2);
	queue_reply(r, sizeof(r));
}

int
rumpuser_virtif_send(struct rumpuser_virtif *vif,
    const struct rumpuser_iovec *iov, size_t iovcnt)
{
	uint8_t f[MAXFRAME];
	size_t len = 0, i;
	uint16_t type;

	(void)vif;
	for (i = 0; i < iovcnt; i++) {
		if (len + iov[i].iov_len > sizeof(f))
			return 40;	/* EMSGSIZE */
		memcpy(f + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (vnethdr) {
		if (len < VNETHDR_LEN)
			return 0;
		len -= VNETHDR_LEN;
		memmove(f, f + VNETHDR_LEN, len);
	}
	if (len < 14)
		return 0;
	type = get16(f + 12);
	pthread_mutex_lock(&txlock);
	if (type == 0x0806) {
		answer_arp(f, len);
	} else if (type == 0x0800 && len >= 34 && f[14 + 9] == 6) {
		size_t hl = (size_t)(f[14] & 0xf) * 4;

		if (14 + hl < len)
			learn_tcp(f + 14 + hl, len - 14 - hl);
	} else if (type == 0x86dd && len >= 54) {
		if (f[14 + 6] == 6)
			learn_tcp(f + 54, len - 54);
		else if (f[14 + 6] == 58)
			answer_ns(f, len);
	}
	pthread_mutex_unlock(&txlock);
	return 0;
}

/* Delivers a frame, after its virtio-net header vh (NULL: zeros) when
 * the interface has them. */
static void
deliver_one(const uint8_t *vh, const uint8_t *data, size_t len)
{
	static const uint8_t zeros[VNETHDR_LEN];
	struct rumpuser_iovec iov[2];
	size_t n = 0;

	if (vnethdr) {
		iov[n].iov_base = (void *)(uintptr_t)(vh != NULL ? vh : zeros);
		iov[n++].iov_len = VNETHDR_LEN;
	}
	iov[n].iov_base = (void *)(uintptr_t)data;
	iov[n++].iov_len = len;
	deliver(deliver_cookie, iov, n, len + (vnethdr ? VNETHDR_LEN : 0));
}

int
rumpuser_virtif_recv(struct rumpuser_virtif *vif, uint64_t timeout_ns)
{
	struct frame r[MAXREPLIES];
	int nr, i, error = 0;

	(void)vif;
	rumpuser_mutex_enter(mtx);
	for (;;) {
		if (dying) {
			error = NB_ENXIO;
			break;
		}
		pthread_mutex_lock(&txlock);
		nr = nreplies;
		memcpy(r, replies, sizeof(r[0]) * (size_t)nr);
		nreplies = 0;
		pthread_mutex_unlock(&txlock);
		if (nr > 0 || nextframe < nframes) {
			for (i = 0; i < nr; i++)
				deliver_one(NULL, r[i].data, r[i].len);
			if (nextframe < nframes) {
				struct frame *fr = &frames[nextframe];
				size_t h = (fr->flags & 4) &&
				    fr->len >= VNETHDR_LEN ? VNETHDR_LEN : 0;

				/* Fixed now: the ISN of a connection the
				 * previous frame opened is known only now. */
				fix_frame(fr->data + h, fr->len - h,
				    fr->flags);
				deliver_one(h != 0 ? fr->data : NULL,
				    fr->data + h, fr->len - h);
				nextframe++;
			}
			break;
		}
		if (!idle) {
			idle = 1;
			rumpuser_cv_broadcast(cv);
		}
		if (rumpuser_cv_timedwait(cv, mtx, 0,
		    (int64_t)timeout_ns) == NB_ETIMEDOUT) {
			error = NB_ETIMEDOUT;
			break;
		}
	}
	rumpuser_mutex_exit(mtx);
	return error;
}

void
rumpuser_virtif_dying(struct rumpuser_virtif *vif)
{

	(void)vif;
	rumpuser_mutex_enter_nowrap(mtx);
	dying = 1;
	rumpuser_cv_broadcast(cv);
	rumpuser_mutex_exit(mtx);
}

void
rumpuser_virtif_destroy(struct rumpuser_virtif *vif)
{

	(void)vif;
}

/* --- Frames ------------------------------------------------------------ */

static void
fix_l4(uint8_t *l4, size_t l4len, uint32_t pseudo, int proto)
{
	int off;

	switch (proto) {
	case 6:
		off = 16;
		break;
	case 17:
		off = 6;
		break;
	case 1:
	case 58:
		off = 2;
		break;
	default:
		return;
	}
	if (l4len < (size_t)off + 2)
		return;
	put16(l4 + off, 0);
	put16(l4 + off, fold(sum16(proto == 1 ? 0 : pseudo, l4, l4len)));
}

/* Makes a TCP acknowledgment number relative to the kernel's ISN. */
static void
fix_ack(uint8_t *th, size_t len)
{
	unsigned i;

	if (len < 20)
		return;
	pthread_mutex_lock(&txlock);
	for (i = 0; i < NFLOWS; i++) {
		const struct flow *f = &flows[(flowpos - 1 - i) % NFLOWS];

		if (f->lport == get16(th + 2) && f->pport == get16(th) &&
		    (f->lport | f->pport) != 0) {
			put32(th + 8, get32(th + 8) + f->isn);
			break;
		}
	}
	pthread_mutex_unlock(&txlock);
}

static void
fix_frame(uint8_t *f, size_t len, int flags)
{
	uint16_t type;

	if (len < 14)
		return;
	type = get16(f + 12);
	if (type == 0x0800 && len >= 34) {
		uint8_t *ip = f + 14;
		size_t hl = (size_t)(ip[0] & 0xf) * 4, tot = get16(ip + 2);
		uint32_t pseudo;

		if (hl < 20 || 14 + hl > len)
			return;
		if (tot > len - 14 || tot < hl)
			tot = len - 14;
		if ((flags & 2) && ip[9] == 6)
			fix_ack(ip + hl, tot - hl);
		if (!(flags & 1))
			return;
		/* A fragment's transport checksum covers the whole
		 * datagram: leave it. */
		if ((get16(ip + 6) & 0x3fff) == 0) {
			pseudo = sum16(0, ip + 12, 8) + ip[9] +
			    (uint32_t)(tot - hl);
			fix_l4(ip + hl, tot - hl, pseudo, ip[9]);
		}
		put16(ip + 10, 0);
		put16(ip + 10, fold(sum16(0, ip, hl)));
	} else if (type == 0x86dd && len >= 54) {
		uint8_t *ip6 = f + 14;
		size_t plen = get16(ip6 + 4);
		uint32_t pseudo;

		if (plen > len - 54)
			plen = len - 54;
		if ((flags & 2) && ip6[6] == 6)
			fix_ack(ip6 + 40, plen);
		if (!(flags & 1))
			return;
		pseudo = sum16(0, ip6 + 8, 32) + (uint32_t)plen + ip6[6];
		fix_l4(ip6 + 40, plen, pseudo, ip6[6]);
	}
}

/* --- The kernel -------------------------------------------------------- */

static int tcp_listen[2], udp_socks[2];

static void
die(const char *what, int error)
{
	fprintf(stderr, "fuzz_net: %s: %s\n", what, strerror(error));
	abort();
}

static int
sock_bound(int domain, int type, int port, int v6only)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	int fd, one = 1;

	fd = rump_sys_socket(domain, type | SOCK_NONBLOCK, 0);
	if (fd == -1)
		die("socket", errno);
	rump_sys_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (domain == AF_INET6) {
		rump_sys_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only));
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		if (rump_sys_bind(fd, (struct sockaddr *)&sin6,
		    sizeof(sin6)) == -1)
			die("bind", errno);
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		if (rump_sys_bind(fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1)
			die("bind", errno);
	}
	if (type == SOCK_STREAM && rump_sys_listen(fd, 8) == -1)
		die("listen", errno);
	return fd;
}


/* --- Seeds ------------------------------------------------------------- */

/*
 * The seed corpus: one file per conversation, in the input format, with
 * checksums left for the harness to fill in (flags 1) and TCP
 * acknowledgments relative to the kernel's ISN (flags 2).  Written by
 * FUZZ_NET_SEEDS=DIR ./fuzz_net (t_fuzz_net.sh does).
 */
static uint8_t seed[16384];
static size_t seedlen;

static const uint8_t peer_ip[4] = { 10, 0, 0, 2 };
static const uint8_t our_ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t peer_ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t peer_ll6[16] = { 0xfe, 0x80, [15] = 2 };
static const uint8_t allnodes6[16] = { 0xff, 0x02, [15] = 1 };

/* Starts a record; returns where its frame begins. */
static uint8_t *
rec(int flags)
{
	uint8_t *r = seed + seedlen;

	r[2] = (uint8_t)flags;
	seedlen += 3;
	return r + 3;
}

/* Ends the record begun at frame f with len bytes. */
static void
rec_end(uint8_t *f, size_t len)
{
	f[-3] = (uint8_t)len;
	f[-2] = (uint8_t)(len >> 8);
	seedlen += len;
}

static uint8_t *
eth(uint8_t *f, uint16_t type)
{
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, type);
	return f + 14;
}

/* An IPv4 header (no options) before plen bytes of proto; returns the
 * payload. */
static uint8_t *
ip4(uint8_t *p, int proto, const uint8_t *dst, size_t plen, uint16_t frag)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (uint16_t)(20 + plen));
	put16(p + 4, 0x1234);
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = (uint8_t)proto;
	memcpy(p + 12, peer_ip, 4);
	memcpy(p + 16, dst, 4);
	return p + 20;
}

static uint8_t *
ip6(uint8_t *p, int nxt, const uint8_t *src, const uint8_t *dst,
    size_t plen, int hlim)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)plen);
	p[6] = (uint8_t)nxt;
	p[7] = (uint8_t)hlim;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return p + 40;
}

/* A TCP header with MSS, SACK-permitted, timestamps and window scale on
 * SYNs, timestamps otherwise; returns its length. */
static size_t
tcp(uint8_t *t, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
    int flags)
{
	size_t hl = (flags & 0x02) ? 40 : 32;

	memset(t, 0, hl);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)(hl / 4 << 4);
	t[13] = (uint8_t)flags;
	put16(t + 14, 65535);
	if (flags & 0x02) {
		static const uint8_t o[] = { 2, 4, 0x05, 0xb4, 4, 2,
		    8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
		memcpy(t + 20, o, sizeof(o));
	} else {
		static const uint8_t o[] = { 1, 1, 8, 10, 0, 0, 0, 2,
		    0, 0, 0, 1 };
		memcpy(t + 20, o, sizeof(o));
	}
	return hl;
}

/* One TCP segment over IPv4 or IPv6 with len bytes of data. */
static void
tcpseg(int v6, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
    int flags, const char *data, size_t len)
{
	uint8_t *f = rec(3), *p = eth(f, v6 ? 0x86dd : 0x0800), *t;
	size_t hl = (flags & 0x02) ? 40 : 32;

	t = v6 ? ip6(p, 6, peer_ip6, our_ip6, hl + len, 64) :
	    ip4(p, 6, our_ip, hl + len, 0x4000);
	tcp(t, sport, dport, seq, ack, flags);
	if (len > 0)
		memcpy(t + hl, data, len);
	rec_end(f, (size_t)(t + hl + len - f));
}

static void
seed_write(const char *dir, const char *name)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(seed, 1, seedlen, fp) != seedlen || fclose(fp) != 0)
		die(path, errno);
	seedlen = 0;
}

static void
gen_seeds(const char *dir)
{
	uint8_t *f, *p, *q;
	int v6;

	/* ARP: a request for us, a reply, a gratuitous announcement. */
	f = rec(0);
	p = eth(f, 0x0806);
	put16(p, 1); put16(p + 2, 0x0800); p[4] = 6; p[5] = 4; put16(p + 6, 1);
	memcpy(p + 8, peer_mac, 6); memcpy(p + 14, peer_ip, 4);
	memset(p + 18, 0, 6); memcpy(p + 24, our_ip, 4);
	rec_end(f, 42);
	f = rec(0);
	memcpy(f, seed + 3, 42);
	put16(f + 20, 2);
	rec_end(f, 60);
	seed_write(dir, "arp");

	/* ICMP echo, and a port unreachable quoting a TCP segment. */
	f = rec(1);
	q = ip4(eth(f, 0x0800), 1, our_ip, 8 + 56, 0);
	memset(q, 0, 64);
	q[0] = 8;
	put16(q + 4, 77);
	put16(q + 6, 1);
	rec_end(f, (size_t)(q + 64 - f));
	f = rec(1);
	q = ip4(eth(f, 0x0800), 1, our_ip, 8 + 20 + 8, 0);
	memset(q, 0, 8);
	q[0] = 3;
	q[1] = 3;
	p = q + 8;
	memset(p, 0, 20);
	p[0] = 0x45; put16(p + 2, 60); p[8] = 64; p[9] = 6;
	memcpy(p + 12, our_ip, 4); memcpy(p + 16, peer_ip, 4);
	put16(p + 20, 80); put16(p + 22, 40000); put32(p + 24, 1);
	rec_end(f, (size_t)(q + 36 - f));
	seed_write(dir, "icmp");

	/* UDP to port 53, whole and in two fragments; forwarded, and
	 * with TTL 1 (time exceeded). */
	f = rec(1);
	q = ip4(eth(f, 0x0800), 17, our_ip, 8 + 12, 0);
	put16(q, 5353); put16(q + 2, 53); put16(q + 4, 20);
	memcpy(q + 8, "hello, world", 12);
	rec_end(f, (size_t)(q + 20 - f));
	f = rec(0);
	q = ip4(eth(f, 0x0800), 17, our_ip, 16, 0x2000);
	put16(q, 5353); put16(q + 2, 53); put16(q + 4, 8 + 16);
	memcpy(q + 8, "fragment", 8);
	rec_end(f, (size_t)(q + 16 - f));
	f = rec(0);
	q = ip4(eth(f, 0x0800), 17, our_ip, 8, 2);
	memcpy(q, "ment two", 8);
	rec_end(f, (size_t)(q + 8 - f));
	f = rec(1);
	{
		static const uint8_t far[4] = { 192, 168, 7, 7 };

		q = ip4(eth(f, 0x0800), 17, far, 8 + 4, 0);
		put16(q, 1); put16(q + 2, 9); put16(q + 4, 12);
		rec_end(f, (size_t)(q + 12 - f));
		f = rec(1);
		q = ip4(eth(f, 0x0800), 17, far, 8 + 4, 0);
		q[-12] = 1;
		put16(q, 1); put16(q + 2, 9); put16(q + 4, 12);
		rec_end(f, (size_t)(q + 12 - f));
	}
	seed_write(dir, "udp4");

	/* TCP over IPv4 (port 81) and IPv6 (port 80): handshake, data,
	 * a segment out of order, a SACK, FIN; then RST. */
	for (v6 = 0; v6 < 2; v6++) {
		uint16_t port = v6 ? 80 : 81;

		tcpseg(v6, 40000, port, 1000, 0, 0x02, NULL, 0);
		tcpseg(v6, 40000, port, 1001, 1, 0x10, NULL, 0);
		tcpseg(v6, 40000, port, 1001, 1, 0x18, "GET / HTTP/1.0\r\n", 16);
		tcpseg(v6, 40000, port, 1027, 1, 0x18, "out of order", 12);
		tcpseg(v6, 40000, port, 1017, 1, 0x18, "\r\nabcdefgh", 10);
		tcpseg(v6, 40000, port, 1039, 101, 0x11, NULL, 0);
		seed_write(dir, v6 ? "tcp6" : "tcp4");
		tcpseg(v6, 40001, port, 5000, 0, 0x02, NULL, 0);
		tcpseg(v6, 40001, port, 5001, 1, 0x10, NULL, 0);
		tcpseg(v6, 40001, port, 5001, 1, 0x04, NULL, 0);
		seed_write(dir, v6 ? "tcp6rst" : "tcp4rst");
	}

	/* Large TCP segments as a host hands them over with virtio-net
	 * headers (GSO, 1000 bytes a piece): one to forward, which the
	 * kernel cuts, and one for us over each family. */
	for (v6 = 0; v6 < 3; v6++) {
		static const uint8_t far[4] = { 192, 168, 7, 8 };
		static char data[3000];
		struct rumpuser_virtif_vnethdr vh;
		uint8_t *t;
		size_t hl = 32;

		memset(&vh, 0, sizeof(vh));
		vh.vh_gso_type = v6 == 2 ? RUMPUSER_VIRTIF_GSO_TCPV6 :
		    RUMPUSER_VIRTIF_GSO_TCPV4;
		vh.vh_gso_size = 1000;
		vh.vh_hdr_len = (uint16_t)(14 + (v6 == 2 ? 40 : 20) + hl);
		vh.vh_flags = RUMPUSER_VIRTIF_F_DATA_VALID;
		f = rec(5);
		memcpy(f, &vh, VNETHDR_LEN);
		p = eth(f + VNETHDR_LEN, v6 == 2 ? 0x86dd : 0x0800);
		t = v6 == 2 ? ip6(p, 6, peer_ip6, our_ip6, hl + sizeof(data),
		    64) : ip4(p, 6, v6 == 0 ? far : our_ip, hl + sizeof(data),
		    0x4000);
		tcp(t, 40002, v6 == 2 ? 80 : 81, 7000, 1, 0x18);
		memset(data, 'g', sizeof(data));
		memcpy(t + hl, data, sizeof(data));
		rec_end(f, (size_t)(t + hl + sizeof(data) - f));
	}
	seed_write(dir, "gso");

	/* IPv6: neighbour solicitation and advertisement, echo request,
	 * a router advertisement with a prefix, fragments, and a
	 * hop-by-hop header. */
	f = rec(1);
	{
		static const uint8_t snm[16] = { 0xff, 0x02, [11] = 1,
		    [12] = 0xff, [15] = 1 };

		q = ip6(eth(f, 0x86dd), 58, peer_ip6, snm, 32, 255);
		memset(q, 0, 32);
		q[0] = 135;
		memcpy(q + 8, our_ip6, 16);
		q[24] = 1; q[25] = 1; memcpy(q + 26, peer_mac, 6);
		rec_end(f, (size_t)(q + 32 - f));
	}
	f = rec(1);
	q = ip6(eth(f, 0x86dd), 58, peer_ip6, our_ip6, 8 + 32, 64);
	memset(q, 0, 40);
	q[0] = 128;
	put16(q + 4, 9);
	rec_end(f, (size_t)(q + 40 - f));
	f = rec(1);
	q = ip6(eth(f, 0x86dd), 58, peer_ll6, allnodes6, 16 + 32 + 8, 255);
	memset(q, 0, 56);
	q[0] = 134;
	q[4] = 64;
	put16(q + 6, 1800);
	p = q + 16;
	p[0] = 3; p[1] = 4; p[2] = 64; p[3] = 0xc0;
	put32(p + 4, 86400); put32(p + 8, 14400);
	p[16] = 0x20; p[17] = 0x01; p[18] = 0x0d; p[19] = 0xb8; p[21] = 1;
	p += 32;
	p[0] = 1; p[1] = 1; memcpy(p + 2, peer_mac, 6);
	rec_end(f, (size_t)(q + 56 - f));
	/* Two fragments of a UDP datagram to port 53. */
	f = rec(0);
	q = ip6(eth(f, 0x86dd), 44, peer_ip6, our_ip6, 8 + 16, 64);
	q[0] = 17; put16(q + 2, 1); put32(q + 4, 0xabcd);
	put16(q + 8, 5353); put16(q + 10, 53); put16(q + 12, 8 + 24);
	memcpy(q + 16, "fragment", 8);
	rec_end(f, (size_t)(q + 24 - f));
	f = rec(0);
	q = ip6(eth(f, 0x86dd), 44, peer_ip6, our_ip6, 8 + 16, 64);
	q[0] = 17; put16(q + 2, 16); put32(q + 4, 0xabcd);
	memcpy(q + 8, "two of them, end", 16);
	rec_end(f, (size_t)(q + 24 - f));
	/* Hop-by-hop options (a PadN) before UDP. */
	f = rec(0);
	q = ip6(eth(f, 0x86dd), 0, peer_ip6, our_ip6, 8 + 8 + 4, 64);
	q[0] = 17; q[1] = 0; q[2] = 1; q[3] = 4;
	put16(q + 8, 5353); put16(q + 10, 53); put16(q + 12, 12);
	memcpy(q + 16, "hbh!", 4);
	rec_end(f, (size_t)(q + 20 - f));
	seed_write(dir, "ipv6");

	/*
	 * Regression cases (t_fuzz_net.sh also runs each once by itself).
	 * IPv6 fragments queued beyond the end that the last fragment
	 * then set were copied past the reassembled packet (heap
	 * overflow in ip6_reass).
	 */
	{
		static const struct { uint16_t off; int more; } fr[] = {
			{ 4000, 1 }, { 8, 0 }, { 0, 1 } };
		size_t i;

		for (i = 0; i < 3; i++) {
			f = rec(0);
			q = ip6(eth(f, 0x86dd), 44, peer_ip6, our_ip6, 16, 64);
			q[0] = 17;
			put16(q + 2, (uint16_t)(fr[i].off | fr[i].more));
			put32(q + 4, 0x5eed0001);
			memset(q + 8, 'r', 8);
			rec_end(f, (size_t)(q + 16 - f));
		}
		seed_write(dir, "regress_ip6_frag_beyond_last");
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char ifname[16];
	int error, i;

	(void)argc;
	(void)argv;
	if (getenv("FUZZ_NET_SEEDS") != NULL) {
		gen_seeds(getenv("FUZZ_NET_SEEDS"));
		exit(0);
	}
	if ((error = rump_init()) != 0)
		die("rump_init", error);
	rumpuser_mutex_init(&mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&cv);
	frames = calloc(MAXFRAMES, sizeof(*frames));
	if (frames == NULL)
		die("calloc", ENOMEM);
	if ((error = rump_netconfig_ifcreate("virtif", "fuzz", ifname,
	    sizeof(ifname))) != 0)
		die("ifcreate", error);
	if ((error = rump_netconfig_ipv4_addr_add(ifname, "10.0.0.1",
	    24)) != 0 ||
	    (error = rump_netconfig_ifup(ifname)) != 0 ||
	    (error = rump_netconfig_ipv4_gw("10.0.0.254")) != 0 ||
	    (error = rump_netconfig_ipv4_forwarding(1)) != 0 ||
	    (error = rump_netconfig_ipv6_addr_add(ifname, "2001:db8::1",
	    64)) != 0)
		die("address setup", error);
	/* Duplicate address detection takes about a second. */
	for (i = 0; i < 100 && rump_netconfig_ipv6_addr_state(ifname,
	    "2001:db8::1") != RUMP_IPV6_ADDR_USABLE; i++)
		usleep(50 * 1000);
	if ((error = rump_netconfig_ipv6_gw("2001:db8::fe", NULL)) != 0)
		die("IPv6 default route", error);
	tcp_listen[0] = sock_bound(AF_INET6, SOCK_STREAM, 80, 0);
	tcp_listen[1] = sock_bound(AF_INET, SOCK_STREAM, 81, 0);
	udp_socks[0] = sock_bound(AF_INET, SOCK_DGRAM, 53, 0);
	udp_socks[1] = sock_bound(AF_INET6, SOCK_DGRAM, 53, 1);
	return 0;
}

/* Hands frames to the receive thread and waits until it has processed
 * them all. */
static void
run_frames(int n)
{
	rump_schedule();
	rumpuser_mutex_enter(mtx);
	nframes = n;
	nextframe = 0;
	idle = 0;
	rumpuser_cv_broadcast(cv);
	while (!idle) {
		if (rumpuser_cv_timedwait(cv, mtx, 10, 0) == NB_ETIMEDOUT) {
			fprintf(stderr, "fuzz_net: frames not processed "
			    "within 10 s (%d of %d delivered)\n", nextframe,
			    nframes);
			abort();
		}
	}
	nframes = 0;
	rumpuser_mutex_exit(mtx);
	rump_unschedule();
}

/* What an application does with what arrived. */
static void
serve(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char buf[512];
	int i, fd, n;

	for (i = 0; i < 2; i++) {
		while ((fd = rump_sys_accept4(tcp_listen[i], NULL, NULL,
		    SOCK_NONBLOCK)) != -1) {
			memset(buf, 'x', 100);
			rump_sys_write(fd, buf, 100);
			rump_sys_read(fd, buf, sizeof(buf));
			rump_sys_close(fd);
		}
		for (n = 0; n < 8; n++) {
			ssize_t r;

			sl = sizeof(ss);
			r = rump_sys_recvfrom(udp_socks[i], buf, sizeof(buf),
			    0, (struct sockaddr *)&ss, &sl);
			if (r < 0)
				break;
			rump_sys_sendto(udp_socks[i], buf, (size_t)r, 0,
			    (struct sockaddr *)&ss, sl);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	int n = 0;

	while (n < MAXFRAMES && pos + 3 <= size) {
		size_t len = (size_t)data[pos] | (size_t)data[pos + 1] << 8;
		int flags = data[pos + 2];

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		if (len > MAXFRAME)
			len = MAXFRAME;
		memcpy(frames[n].data, data + pos, len);
		frames[n].len = len;
		frames[n].flags = flags;
		pos += len;
		n++;
	}
	if (n > 0)
		run_frames(n);
	serve();
	return 0;
}
