/*
 * kvm_dev.c: the backend's files are the machine's virtio block devices.
 * A device is named /dev/vda, /dev/vdb, ... in PCI scan order, and also
 * by its serial string (strata-boot sets it to the disk file's name), so
 * that a program opening "disk.img" under the posix platform opens the
 * same disk here.  Requests go to the device at once, as many as its
 * queue holds (the rest wait in order), and complete from the idle wait:
 * the device's MSI-X interrupt ends the halt, or, without MSI-X, the wait
 * polls every 50 us.  SYNC and DATASYNC are virtio-blk flushes.
 */
#include "kvm.h"
#include "kvm_virtio.h"
#include "rumpuser_common.h"

#define NB_EBADF	9
#define NB_EROFS	30

#define VIRTIO_BLK_F_RO		(1ULL << 5)
#define VIRTIO_BLK_F_FLUSH	(1ULL << 9)
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8

#define MAXDEVS		8
#define QUEUE_MAX	256
#define POLL_NS		50000

struct blkreq {
	struct {
		uint32_t type;
		uint32_t reserved;
		uint64_t sector;
	} hdr;
	uint8_t			 status;
	struct rumpuser__io	*io;
	struct blkdev		*dev;
	struct blkreq		*next;		/* waiting for room */
	size_t			 bytes;
	volatile int		*donep;		/* synchronous callers */
};

struct blkdev {
	struct kvm_virtio	 v;
	struct kvm_vq		 q;
	uint64_t		 sectors;
	bool			 ro, flush;
	char			 name[16];
	char			 serial[24];
	struct blkreq		*wait_head, *wait_tail;
	int			 inflight;
};

static struct blkdev devs[MAXDEVS];
static int ndevs;
static bool scanned, verbose;

static void
blk_irq(void *arg)
{

	(void)arg;	/* the wait polls every device afterwards */
}

/* The device's serial string: a GET_ID request at attach time. */
static void
blk_get_id(struct blkdev *b)
{
	static struct blkreq req __attribute__((__aligned__(64)));
	static char id[24] __attribute__((__aligned__(32)));
	struct kvm_vq_buf bufs[3];
	unsigned long spins;

	memset(&req, 0, sizeof(req));
	memset(id, 0, sizeof(id));
	req.hdr.type = VIRTIO_BLK_T_GET_ID;
	req.status = 0xff;
	bufs[0] = (struct kvm_vq_buf){ kvm_virt_to_phys(&req.hdr),
	    sizeof(req.hdr), false };
	bufs[1] = (struct kvm_vq_buf){ kvm_virt_to_phys(id), 20, true };
	bufs[2] = (struct kvm_vq_buf){ kvm_virt_to_phys(&req.status), 1,
	    true };
	if (kvm_vq_add(&b->q, bufs, 3, &req) != 0)
		return;
	kvm_vq_kick(&b->q);
	for (spins = 0; spins < 100000000; spins++)
		if (kvm_vq_get(&b->q, NULL) != NULL)
			break;
	if (req.status == 0)
		str_copy(b->serial, id, sizeof(b->serial));
}

/* A virtio-blk device whose transport is set up: its queue, size, name. */
static void
blk_setup(struct blkdev *b, uint64_t got, const char *where)
{

	if (kvm_virtio_vq_init(&b->v, &b->q, 0, QUEUE_MAX) != 0) {
		kvm_printf("kvm: virtio-blk at %s: not usable\n", where);
		return;
	}
	b->ro = (got & VIRTIO_BLK_F_RO) != 0;
	b->flush = (got & VIRTIO_BLK_F_FLUSH) != 0;
	b->sectors = *(volatile uint32_t *)b->v.devcfg |
	    (uint64_t)*(volatile uint32_t *)(b->v.devcfg + 4) << 32;
	kvm_virtio_ready(&b->v);
	rumpuser__format(b->name, sizeof(b->name), "/dev/vd%c",
	    'a' + ndevs);
	blk_get_id(b);
	if (verbose)
		kvm_printf("kvm: %s: virtio-blk at %s, %lu sectors%s"
		    "%s%s, %s\n", b->name, where,
		    (unsigned long)b->sectors, b->ro ? ", read-only" : "",
		    b->serial[0] != '\0' ? ", serial " : "", b->serial,
		    b->v.vector >= 0 ? "MSI-X" : "polled");
	ndevs++;
}

static int npci;

static void
attach(const struct kvm_pci_dev *d)
{
	struct blkdev *b;
	uint64_t got;
	char where[16];

	npci++;
	if (d->vendor == 0x1af4 && (d->device == 0x1041 ||
	    d->device == 0x1000)) {
		kvm_net_attach(d, verbose);
		return;
	}
	if (d->vendor != 0x1af4 || (d->device != 0x1042 && d->device != 0x1001))
		return;
	if (ndevs == MAXDEVS)
		return;
	b = &devs[ndevs];
	rumpuser__format(where, sizeof(where), "%02x:%02x.%x", d->bus,
	    d->slot, d->func);
	if (kvm_virtio_init(&b->v, d, VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH,
	    &got, blk_irq, b) != 0) {
		kvm_printf("kvm: virtio-blk at %s: not usable\n", where);
		return;
	}
	blk_setup(b, got, where);
}

/* microvm: virtio-mmio devices (1: network, 2: block), polled. */
static void
attach_mmio(volatile uint8_t *regs, uint32_t id)
{
	struct blkdev *b;
	uint64_t got;
	char where[24];

	rumpuser__format(where, sizeof(where), "mmio %#lx",
	    (unsigned long)kvm_virt_to_phys((const void *)regs));
	if (id == 1) {
		kvm_net_attach_mmio(regs, where, verbose);
		return;
	}
	if (id != 2 || ndevs == MAXDEVS)
		return;
	b = &devs[ndevs];
	if (kvm_virtio_mmio_init(&b->v, regs, VIRTIO_BLK_F_RO |
	    VIRTIO_BLK_F_FLUSH, &got) != 0) {
		kvm_printf("kvm: virtio-blk at %s: not usable\n", where);
		return;
	}
	blk_setup(b, got, where);
}

void
kvm_dev_init(void)
{

	char v[4];

	if (scanned)
		return;
	scanned = true;
	verbose = rumpuser__backend_param("KVM_VERBOSE", v, sizeof(v)) == 0 &&
	    v[0] == '1';
	kvm_pci_scan(attach);
	/* No PCI at all: the microvm machine's virtio-mmio slots. */
	if (npci == 0)
		kvm_virtio_mmio_scan(attach_mmio);
}

static struct blkdev *
lookup(const char *name)
{
	int i;

	kvm_dev_init();
	for (i = 0; i < ndevs; i++)
		if (str_eq(name, devs[i].name) || (devs[i].serial[0] != '\0' &&
		    str_eq(name, devs[i].serial)))
			return &devs[i];
	return NULL;
}

int
rumpuser__backend_open(const char *name, int mode, int *fdp)
{
	struct blkdev *b = lookup(name);

	if (b == NULL)
		return NB_ENOENT;
	if ((mode & RUMPUSER_OPEN_ACCMODE) != RUMPUSER_OPEN_RDONLY && b->ro)
		return NB_EROFS;
	*fdp = (int)(b - devs);
	return 0;
}

int
rumpuser__backend_close(int fd)
{

	return fd >= 0 && fd < ndevs ? 0 : NB_EBADF;
}

int
rumpuser__backend_fileinfo(const char *name, uint64_t *size, int *type)
{
	struct blkdev *b = lookup(name);

	if (b == NULL)
		return NB_ENOENT;
	if (size != NULL)
		*size = b->sectors * 512;
	if (type != NULL)
		*type = RUMPUSER_FT_BLK;
	return 0;
}

static void
complete(struct blkreq *r, int error)
{
	struct rumpuser__io *io = r->io;

	io->io_error = error;
	io->io_transferred = error == 0 ? r->bytes : 0;
	if (r->donep != NULL)
		*r->donep = 1;
	rumpuser__backend_free(r, sizeof(*r));
	rumpuser__io_done(io);
}

/* Puts r on the queue; false when there is no room now. */
static bool
submit(struct blkreq *r)
{
	struct rumpuser__io *io = r->io;
	struct kvm_vq_buf bufs[QUEUE_MAX];
	struct blkdev *b = r->dev;
	int n = 0, i;

	if (io->io_iovcnt + 2 > b->q.nfree)
		return false;
	bufs[n++] = (struct kvm_vq_buf){ kvm_virt_to_phys(&r->hdr),
	    sizeof(r->hdr), false };
	for (i = 0; i < io->io_iovcnt; i++) {
		if (io->io_iov[i].iov_len == 0)
			continue;
		bufs[n++] = (struct kvm_vq_buf){
		    kvm_virt_to_phys(io->io_iov[i].iov_base),
		    (uint32_t)io->io_iov[i].iov_len,
		    r->hdr.type == VIRTIO_BLK_T_IN };
	}
	bufs[n++] = (struct kvm_vq_buf){ kvm_virt_to_phys(&r->status), 1,
	    true };
	if (kvm_vq_add(&b->q, bufs, n, r) != 0)
		return false;
	b->inflight++;
	kvm_vq_kick(&b->q);
	return true;
}

void
rumpuser__backend_io_start(struct rumpuser__io *io, int synchronous)
{
	struct blkdev *b;
	struct blkreq *r;
	volatile int done = 0;
	uint64_t total = 0;
	int i;

	if (io->io_fd < 0 || io->io_fd >= ndevs) {
		io->io_transferred = 0;
		io->io_error = NB_EBADF;
		rumpuser__io_done(io);
		return;
	}
	b = &devs[io->io_fd];
	if ((r = rumpuser__backend_malloc(sizeof(*r), 0)) == NULL) {
		io->io_transferred = 0;
		io->io_error = NB_ENOMEM;
		rumpuser__io_done(io);
		return;
	}
	memset(r, 0, sizeof(*r));
	r->io = io;
	r->dev = b;
	r->status = 0xff;
	switch (io->io_op) {
	case RUMPUSER__IO_READ:
	case RUMPUSER__IO_WRITE:
		r->hdr.type = io->io_op == RUMPUSER__IO_READ ?
		    VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT;
		for (i = 0; i < io->io_iovcnt; i++)
			total += io->io_iov[i].iov_len;
		/* Whole sectors at a sector offset, within the device
		 * and the queue: what virtio-blk can express. */
		if (io->io_off < 0 || io->io_off % 512 != 0 ||
		    total % 512 != 0 || io->io_iovcnt + 2 > b->q.size ||
		    (uint64_t)io->io_off / 512 + total / 512 > b->sectors) {
			complete(r, NB_EINVAL);
			return;
		}
		if (io->io_op == RUMPUSER__IO_WRITE && b->ro) {
			complete(r, NB_EROFS);
			return;
		}
		if (total == 0) {
			complete(r, 0);
			return;
		}
		r->hdr.sector = (uint64_t)io->io_off / 512;
		r->bytes = (size_t)total;
		break;
	case RUMPUSER__IO_SYNC:
	case RUMPUSER__IO_DATASYNC:
		if (!b->flush) {
			/* Without the flush feature the device writes
			 * through: every completed write is stable. */
			complete(r, 0);
			return;
		}
		r->hdr.type = VIRTIO_BLK_T_FLUSH;
		break;
	default:
		complete(r, NB_EINVAL);
		return;
	}
	if (synchronous)
		r->donep = &done;
	if (b->wait_head != NULL || !submit(r)) {
		if (b->wait_tail != NULL)
			b->wait_tail->next = r;
		else
			b->wait_head = r;
		b->wait_tail = r;
	}
	while (synchronous && !done)
		(void)kvm_dev_poll();
}

int
kvm_dev_poll(void)
{
	struct blkdev *b;
	struct blkreq *r;
	int i, n = kvm_net_poll();

	for (i = 0; i < ndevs; i++) {
		b = &devs[i];
		while ((r = kvm_vq_get(&b->q, NULL)) != NULL) {
			b->inflight--;
			complete(r, r->status == 0 ? 0 : NB_EIO);
			n++;
		}
		while ((r = b->wait_head) != NULL && submit(r)) {
			b->wait_head = r->next;
			if (b->wait_head == NULL)
				b->wait_tail = NULL;
		}
	}
	return n;
}

int
kvm_dev_busy(void)
{
	int i, n = 0;

	for (i = 0; i < ndevs; i++)
		n += devs[i].inflight + (devs[i].wait_head != NULL);
	return n + kvm_net_busy();
}

uint64_t
kvm_dev_deadline(uint64_t deadline)
{
	uint64_t poll;
	int i;

	if (kvm_net_polled()) {
		poll = kvm_clock_ns() + POLL_NS;
		return poll < deadline ? poll : deadline;
	}
	for (i = 0; i < ndevs; i++) {
		if (devs[i].v.vector < 0 && devs[i].inflight > 0) {
			poll = kvm_clock_ns() + POLL_NS;
			return poll < deadline ? poll : deadline;
		}
	}
	return deadline;
}
