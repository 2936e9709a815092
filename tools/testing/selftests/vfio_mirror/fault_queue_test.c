// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault queue of a container, driven by the mock IOMMU's
 * report_iommu_fault() calls (the generic producer): records in any
 * context, a storm that fills the queue and a lost count that is exact,
 * the rate limit (per container), losses signalled when no record will
 * tell of them, sequence numbers, a group changing
 * hands, a call without a device, reading faults while a long MAP_DMA
 * holds the container, and VFIO_MIRROR_IOMMU_READ_FAULTS's answers to bad
 * input.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfm_test.h"

#define NREC		256
#define MOCK_IOVA	0x12345000ULL
/* The modules' defaults, which each test starts from. */
#define QUEUE_LEN	"256"
#define BURST		"10000"
#define INTERVAL_MS	"1000"

static const struct vfm_backend mirror = VFM_BACKEND_MIRROR;

FIXTURE(fq) {
	struct vfm_ctx ctx;
	int efd;
	struct vfio_mirror_fault rec[NREC];
};

FIXTURE_VARIANT(fq) {
	struct vfm_backend b;
};

#define VFM_FIXTURE fq
#include "vfm_backends.h"

FIXTURE_SETUP(fq)
{
	self->efd = -1;
	VFM_REQUIRE(return, VFM_NEED_FAULTS, .b = &variant->b);
	VFM_REQUIRE(return, VFM_NEED_BACKEND, .b = &variant->b);
	if (!vfm_mocks_ready(_metadata))
		return;
	/*
	 * Set here, not only restored at teardown: the 6.12 harness may skip
	 * the teardown of a test that failed an assertion.
	 */
	ASSERT_EQ(0, vfm_param_write("vfio_mirror", "fault_queue_len",
				     QUEUE_LEN));
	ASSERT_EQ(0, vfm_param_write("vfio_mirror", "fault_ratelimit_burst",
				     BURST));
	ASSERT_EQ(0, vfm_param_write("vfio_mirror",
				     "fault_ratelimit_interval_ms",
				     INTERVAL_MS));
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(fq)
{
	int n;

	vfm_ctx_close(&self->ctx);
	if (self->efd >= 0)
		close(self->efd);
	for (n = 0; n < VFM_MAX_MOCK; n++)
		vfm_mock_reset(n);
	vfm_param_write("vfio_mirror", "fault_queue_len", QUEUE_LEN);
	vfm_param_write("vfio_mirror", "fault_ratelimit_burst", BURST);
	vfm_param_write("vfio_mirror", "fault_ratelimit_interval_ms",
			INTERVAL_MS);
}

/* A container of @b holding mock 0, with the fault eventfd set. */
static void open_with_mock(struct __test_metadata *_metadata,
			   struct vfm_ctx *ctx, const struct vfm_backend *b,
			   int efd)
{
	ASSERT_EQ(0, vfm_ctx_open(ctx, b, 0));
	ASSERT_EQ(0, vfm_ctx_attach_mock(ctx, 0));
	ASSERT_EQ(0, vfm_set_eventfd(ctx->container, VFIO_MIRROR_EVENT_FAULT,
				     efd));
}

/* Report faults of mock @n, and wait until the chain handed them over. */
static int mock_fault_to(int n, uint32_t flags, uint64_t iova, char access,
			 int count, bool irq)
{
	int ret;

	if (access == 'w')
		flags |= VFM_MOCK_FAULT_WRITE;
	if (irq)
		flags |= VFM_MOCK_FAULT_IRQ;
	ret = vfm_mock_fault(n, iova, flags, count);
	return ret ? ret : vfm_chain_flush("generic");
}

static int mock_fault(int n, uint64_t iova, char access, int count,
		      bool irq)
{
	return mock_fault_to(n, 0, iova, access, count, irq);
}

TEST_F(fq, mock_faults_arrive_from_any_context)
{
	int c, i;

	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;

	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA + 0x123, 'w', 1, false));
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'r', 3, true));
	ASSERT_EQ(4, vfm_eventfd_wait(self->efd, 0));
	ASSERT_EQ(4, vfm_read_faults(c, self->rec, NREC, NULL, NULL));
	for (i = 0; i < 4; i++) {
		const struct vfio_mirror_fault *f = &self->rec[i];

		ASSERT_EQ(i + 1, f->seq);
		ASSERT_EQ(VFIO_MIRROR_FAULT_SOURCE_GENERIC, f->source);
		ASSERT_EQ(VFIO_MIRROR_FAULT_ADDR, f->flags);
		ASSERT_EQ(vfm_mock_group(0), f->group);
		ASSERT_EQ(i ? MOCK_IOVA : MOCK_IOVA + 0x123, f->iova);
		ASSERT_EQ(i ? VFIO_MIRROR_FAULT_READ : VFIO_MIRROR_FAULT_WRITE,
			  f->access);
		ASSERT_EQ(0, f->reason);
		ASSERT_EQ(0, f->raw_len);
		if (i)
			ASSERT_LE(self->rec[i - 1].timestamp_ns,
				  f->timestamp_ns);
	}
	ASSERT_EQ(0, vfm_read_faults(c, self->rec, NREC, NULL, NULL));
}

TEST_F(fq, a_storm_fills_the_queue_and_the_rest_is_counted)
{
	const int len = 16, storm = 53;
	long long full = vfm_chain_counter("generic", "dropped_full");
	long long delivered = vfm_chain_counter("generic", "delivered");
	uint64_t lost, next;
	int c, i;

	ASSERT_EQ(0, vfm_param_write("vfio_mirror", "fault_queue_len", "16"));
	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;

	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', storm, true));
	ASSERT_EQ(len, vfm_eventfd_wait(self->efd, 0));
	ASSERT_EQ(len, vfm_mirror_info("faults_queued"));
	ASSERT_EQ(len, vfm_read_faults(c, self->rec, NREC, &lost, &next));
	for (i = 0; i < len; i++)
		ASSERT_EQ(i + 1, self->rec[i].seq);
	ASSERT_EQ(storm - len, lost);
	ASSERT_EQ(storm + 1, next);
	ASSERT_EQ(full + storm - len,
		  vfm_chain_counter("generic", "dropped_full"));
	ASSERT_EQ(delivered + len, vfm_chain_counter("generic", "delivered"));
	ASSERT_EQ(storm - len, vfm_mirror_info("faults_lost_total"));

	/* The count was reset by the read; the next fault continues. */
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'r', 1, false));
	ASSERT_EQ(1, vfm_read_faults(c, self->rec, NREC, &lost, &next));
	ASSERT_EQ(0, lost);
	ASSERT_EQ(storm + 1, self->rec[0].seq);
	ASSERT_EQ(storm + 2, next);
}

TEST_F(fq, a_short_read_leaves_the_rest_queued)
{
	int c;

	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 5, false));
	ASSERT_EQ(2, vfm_read_faults(c, self->rec, 2, NULL, NULL));
	ASSERT_EQ(2, self->rec[1].seq);
	ASSERT_EQ(3, vfm_read_faults(c, self->rec, NREC, NULL, NULL));
	ASSERT_EQ(3, self->rec[0].seq);
	ASSERT_EQ(5, self->rec[2].seq);
}

TEST_F(fq, the_rate_limit_drops_and_counts)
{
	long long rl = vfm_chain_counter("generic", "dropped_ratelimited");
	uint64_t lost;
	int c;

	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;
	/* Setting it starts a new interval. */
	ASSERT_EQ(0, vfm_param_write("vfio_mirror", "fault_ratelimit_burst",
				     "5"));
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 20, true));
	ASSERT_EQ(5, vfm_read_faults(c, self->rec, NREC, &lost, NULL));
	ASSERT_EQ(15, lost);
	ASSERT_EQ(rl + 15,
		  vfm_chain_counter("generic", "dropped_ratelimited"));
}

/*
 * Records lost after the VMM's last read are signalled, once, an interval
 * later; losses while a record is queued are not (the read of the record
 * returns them).  The interval is long enough for each storm to fall in
 * one, even in the debug guest.
 */
TEST_F(fq, losses_after_the_last_read_are_signalled_once)
{
	const int interval_ms = 2000;
	char ms[16];
	uint64_t lost;
	int c;

	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;
	snprintf(ms, sizeof(ms), "%d", interval_ms);
	ASSERT_EQ(0, vfm_param_write("vfio_mirror",
				     "fault_ratelimit_interval_ms", ms));
	ASSERT_EQ(0, vfm_param_write("vfio_mirror", "fault_ratelimit_burst",
				     "3"));

	/* Three queued and read; then the interval's budget is spent. */
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 3, true));
	ASSERT_EQ(3, vfm_eventfd_wait(self->efd, 0));
	ASSERT_EQ(3, vfm_read_faults(c, self->rec, NREC, &lost, NULL));
	ASSERT_EQ(0, lost);
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 7, true));
	ASSERT_EQ(1, vfm_eventfd_wait(self->efd, 3 * interval_ms));
	ASSERT_EQ(0, vfm_read_faults(c, self->rec, NREC, &lost, NULL));
	ASSERT_EQ(7, lost);
	ASSERT_EQ(0, vfm_eventfd_wait(self->efd, interval_ms + 500));

	/* A new interval: the losses wait for the queued records' read. */
	ASSERT_EQ(0, vfm_param_write("vfio_mirror", "fault_ratelimit_burst",
				     "3"));
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'r', 10, true));
	usleep((interval_ms + 500) * 1000);
	ASSERT_EQ(3, vfm_eventfd_wait(self->efd, 0));
	ASSERT_EQ(3, vfm_read_faults(c, self->rec, NREC, &lost, NULL));
	ASSERT_EQ(7, lost);
	ASSERT_EQ(0, vfm_eventfd_wait(self->efd, 0));
}

/*
 * The budget is each container's, and only faults a container claims
 * spend it: a storm in one VM, or of a device nobody watches, costs the
 * others nothing.
 */
TEST_F(fq, a_storm_spends_only_its_own_containers_budget)
{
	const struct vfm_backend type1 = VFM_BACKEND_TYPE1;
	struct vfm_ctx b, nobody;
	uint64_t lost;
	int c;

	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;
	ASSERT_EQ(0, vfm_ctx_open(&b, &mirror, 0));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&b, 1));
	ASSERT_EQ(0, vfm_ctx_open(&nobody, &type1, 0));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&nobody, 2));
	ASSERT_EQ(0, vfm_param_write("vfio_mirror", "fault_ratelimit_burst",
				     "5"));

	/* Unclaimed faults first: they spend no budget. */
	ASSERT_EQ(0, mock_fault(2, MOCK_IOVA, 'w', 20, true));
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 20, true));
	ASSERT_EQ(0, mock_fault(1, MOCK_IOVA, 'r', 5, true));
	ASSERT_EQ(5, vfm_read_faults(c, self->rec, NREC, &lost, NULL));
	ASSERT_EQ(15, lost);
	ASSERT_EQ(5, vfm_read_faults(b.container, self->rec, NREC, &lost,
				     NULL));
	ASSERT_EQ(0, lost);
	vfm_ctx_close(&nobody);
	vfm_ctx_close(&b);
}

/*
 * Arm SMMU v1/v2 report context faults without a device: the generic
 * producer counts them as unidentified and reports nothing.
 */
TEST_F(fq, a_fault_without_a_device_is_counted_unidentified)
{
	long long seen = vfm_chain_counter("generic", "seen");
	long long unidentified = vfm_chain_counter("generic", "unidentified");
	int c;

	/* Its trace event would dereference the missing device (6.12). */
	ASSERT_EQ(0, vfm_trace_event("iommu/io_page_fault", false));
	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;
	ASSERT_LE(0, unidentified);
	ASSERT_EQ(0, mock_fault_to(0, VFM_MOCK_FAULT_NODEV, MOCK_IOVA, 'w', 3,
				   true));
	ASSERT_EQ(0, mock_fault_to(0, VFM_MOCK_FAULT_NODEV, MOCK_IOVA, 'r', 2,
				   false));
	ASSERT_EQ(unidentified + 5,
		  vfm_chain_counter("generic", "unidentified"));
	ASSERT_EQ(seen, vfm_chain_counter("generic", "seen"));
	ASSERT_EQ(0, vfm_read_faults(c, self->rec, NREC, NULL, NULL));
	/* The device's own faults still arrive. */
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 1, true));
	ASSERT_EQ(1, vfm_read_faults(c, self->rec, NREC, NULL, NULL));
}

struct long_map {
	int container;
	void *buf;
	size_t size;
	int ret;
	int done;		/* __atomic */
};

static void *long_map_thread(void *arg)
{
	struct long_map *m = arg;

	m->ret = vfm_map(m->container, 0x40000000, m->buf, m->size,
			 VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	__atomic_store_n(&m->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A MAP_DMA of 256 MiB of 4 KiB pages holds the container's lock for all
 * its pinning; faults are read meanwhile, not after.
 */
TEST_F(fq, faults_are_read_during_a_long_map)
{
	struct long_map m = { .size = 256 << 20 };
	long long pins = vfm_pins_outstanding();
	pthread_t t;
	int c, n, tries;

	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;
	m.container = c;
	/* 4 KiB pages: pinning them one by one takes a while. */
	m.buf = mmap(NULL, m.size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m.buf);
	ASSERT_EQ(0, madvise(m.buf, m.size, MADV_NOHUGEPAGE));
	memset(m.buf, 1, m.size);
	ASSERT_EQ(0, pthread_create(&t, NULL, long_map_thread, &m));

	/* Under way: an eighth of it pinned. */
	for (tries = 0; tries < 5000 &&
	     !__atomic_load_n(&m.done, __ATOMIC_ACQUIRE); tries++) {
		if (vfm_pins_outstanding() - pins >= (long long)(m.size >> 15))
			break;
		usleep(1000);
	}
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 3, true));
	n = vfm_read_faults(c, self->rec, NREC, NULL, NULL);
	ASSERT_EQ(0, __atomic_load_n(&m.done, __ATOMIC_ACQUIRE)) {
		TH_LOG("the map ended before the faults were read");
	}
	pthread_join(t, NULL);
	ASSERT_EQ(3, n);
	ASSERT_EQ(0, m.ret);
	vfm_free(m.buf, m.size);
}

TEST_F(fq, a_group_that_moves_takes_its_faults_along)
{
	struct vfm_ctx other;
	long long unclaimed;
	int c;

	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;
	ASSERT_EQ(0, vfm_ctx_attach_mock(&self->ctx, 1));
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 1, false));
	ASSERT_EQ(1, vfm_read_faults(c, self->rec, NREC, NULL, NULL));

	/* Gone from the first container, into a second one. */
	ASSERT_EQ(0, vfm_ctx_detach_mock(&self->ctx, 0));
	ASSERT_EQ(0, vfm_ctx_open(&other, &mirror, 0));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&other, 0));
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'r', 2, true));
	ASSERT_EQ(0, vfm_read_faults(c, self->rec, NREC, NULL, NULL));
	ASSERT_EQ(2, vfm_read_faults(other.container, self->rec, NREC, NULL,
				     NULL));
	ASSERT_EQ(1, self->rec[0].seq);

	/* A group in no vfio-mirror container: nobody's. */
	vfm_ctx_close(&other);
	{
		const struct vfm_backend type1 = VFM_BACKEND_TYPE1;

		ASSERT_EQ(0, vfm_ctx_open(&other, &type1, 0));
		ASSERT_EQ(0, vfm_ctx_attach_mock(&other, 0));
	}
	unclaimed = vfm_chain_counter("generic", "unclaimed");
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 1, false));
	ASSERT_EQ(unclaimed + 1, vfm_chain_counter("generic", "unclaimed"));
	ASSERT_EQ(0, vfm_read_faults(c, self->rec, NREC, NULL, NULL));
	vfm_ctx_close(&other);
}

TEST_F(fq, read_faults_rejects_bad_input_and_keeps_the_records)
{
	struct vfio_mirror_fault_read arg, *ro;
	unsigned char wide[2][256];
	int c, i;

	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 2, false));

#define READ_ARG(...) ((struct vfio_mirror_fault_read){			\
	.argsz = sizeof(arg), .record_size = sizeof(self->rec[0]),	\
	.count = NREC, .records = (uintptr_t)self->rec, __VA_ARGS__ })
	arg = READ_ARG(.argsz = offsetof(struct vfio_mirror_fault_read,
					 next_seq));
	ASSERT_EQ(-1, ioctl(c, VFIO_MIRROR_IOMMU_READ_FAULTS, &arg));
	ASSERT_EQ(EINVAL, errno);
	arg = READ_ARG(.flags = 1);
	ASSERT_EQ(-1, ioctl(c, VFIO_MIRROR_IOMMU_READ_FAULTS, &arg));
	ASSERT_EQ(EINVAL, errno);
	arg = READ_ARG(.record_size = sizeof(self->rec[0]) - 1);
	ASSERT_EQ(-1, ioctl(c, VFIO_MIRROR_IOMMU_READ_FAULTS, &arg));
	ASSERT_EQ(EINVAL, errno);
	arg = READ_ARG(.record_size = 4097);
	ASSERT_EQ(-1, ioctl(c, VFIO_MIRROR_IOMMU_READ_FAULTS, &arg));
	ASSERT_EQ(EINVAL, errno);
	arg = READ_ARG(.records = 8);
	ASSERT_EQ(-1, ioctl(c, VFIO_MIRROR_IOMMU_READ_FAULTS, &arg));
	ASSERT_EQ(EFAULT, errno);
	/* The records written, the structure not: nothing is removed. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*ro = READ_ARG();
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	ASSERT_EQ(-1, ioctl(c, VFIO_MIRROR_IOMMU_READ_FAULTS, ro));
	ASSERT_EQ(EFAULT, errno);
	munmap(ro, 4096);

	/* Still both there, here at a wider stride, zero-filled. */
	memset(wide, VFM_POISON, sizeof(wide));
	arg = READ_ARG(.record_size = sizeof(wide[0]),
		       .records = (uintptr_t)wide);
	ASSERT_EQ(0, ioctl(c, VFIO_MIRROR_IOMMU_READ_FAULTS, &arg));
	ASSERT_EQ(2, arg.count);
	for (i = 0; i < 2; i++) {
		const struct vfio_mirror_fault *f = (void *)wide[i];

		ASSERT_EQ(i + 1, f->seq);
		ASSERT_EQ(sizeof(*f), f->size);
		ASSERT_EQ(0, wide[i][sizeof(*f)]);
		ASSERT_EQ(0, wide[i][sizeof(wide[i]) - 1]);
	}
#undef READ_ARG
}

TEST_F(fq, set_eventfd_takes_the_fault_event)
{
	int c;

	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;
	ASSERT_EQ(-EINVAL, vfm_set_eventfd(c, 1U << 2, self->efd));
	/* One eventfd for both events, then none for faults. */
	ASSERT_EQ(0, vfm_set_eventfd(c, VFIO_MIRROR_EVENT_FAULT |
				     VFIO_MIRROR_EVENT_IOVA_RANGES,
				     self->efd));
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 1, false));
	ASSERT_EQ(1, vfm_eventfd_wait(self->efd, 0));
	ASSERT_EQ(0, vfm_set_eventfd(c, VFIO_MIRROR_EVENT_FAULT, -1));
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'w', 1, false));
	ASSERT_EQ(0, vfm_eventfd_wait(self->efd, 0));
	ASSERT_EQ(2, vfm_read_faults(c, self->rec, NREC, NULL, NULL));
}

/*
 * A device that joins a group already in a container (a hot-plugged
 * function) gets its faults there too, and stops when it goes.
 */
TEST_F(fq, a_device_that_joins_an_attached_group_is_routed)
{
	struct vfio_mirror_info_cap_fault *cap;
	struct vfio_iommu_type1_info *info;
	int c, sib;

	open_with_mock(_metadata, &self->ctx, &variant->b, self->efd);
	c = self->ctx.container;
	sib = vfm_mock_add(0);
	ASSERT_LE(VFM_MAX_MOCK, sib);
	ASSERT_EQ(vfm_mock_group(0), vfm_mock_group(sib));

	ASSERT_EQ(0, mock_fault(sib, MOCK_IOVA, 'w', 2, true));
	ASSERT_EQ(2, vfm_read_faults(c, self->rec, NREC, NULL, NULL));
	ASSERT_EQ(vfm_mock_group(0), self->rec[0].group);
	ASSERT_EQ(0, vfm_get_info(c, &info));
	cap = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_FAULT);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(2, cap->nr_devices);
	ASSERT_EQ(cap->devices[0].group, cap->devices[1].group);
	free(info);

	/* Gone: one device left, whose faults still arrive. */
	ASSERT_EQ(0, vfm_mock_remove(sib));
	ASSERT_EQ(0, vfm_get_info(c, &info));
	cap = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_FAULT);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(1, cap->nr_devices);
	free(info);
	ASSERT_EQ(0, mock_fault(0, MOCK_IOVA, 'r', 1, false));
	ASSERT_EQ(1, vfm_read_faults(c, self->rec, NREC, NULL, NULL));
	ASSERT_EQ(3, self->rec[0].seq);
}

TEST_HARNESS_MAIN
