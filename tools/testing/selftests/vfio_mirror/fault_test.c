// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU faults of a container's devices reach the VMM: real DMA faults of
 * the edu device, captured by the guest IOMMU's producer (VT-d fault
 * records, AMD-Vi's report_iommu_fault() calls, SMMUv3 events), and the
 * mock IOMMU's report_iommu_fault() calls; each as one record with the
 * right device, address, direction and reason, with an eventfd signal,
 * and only in the container that owns the device.  The hardware tests
 * run with the VT-d producer in each of its modes on VT-d guests, and
 * skip their rows of the other IOMMUs.
 */
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG		4096ULL
#define IOVA_RW		0x100000ULL
#define IOVA_RO		0x200000ULL
#define IOVA_NONE	0x300000ULL	/* never mapped */
#define NREC		64

static const struct vfm_backend mirror = VFM_BACKEND_MIRROR;

/* Records until @want arrived or @ms passed, and none come for 300 ms. */
static int collect(int container, struct vfio_mirror_fault *recs,
		   int want, int ms)
{
	return vfm_faults_collect(container, recs, NREC, want, ms, 300);
}

/*
 * The generic producer's allow-list in the guests: the defaults, and the
 * mock IOMMU (tools/testing/vm/run).
 */
#define GUEST_IOMMUS	"ivhd,exynos-sysmmu,vfio-mirror-mock"

FIXTURE(fault) {
	struct vfm_ctx ctx;
	char *buf;
	int efd;
	struct vfio_mirror_fault rec[NREC];
	uint32_t segment, rid;
};

FIXTURE_VARIANT(fault) {
	struct vfm_backend b;
	const char *iommu;
	const char *vtd_mode;
};

#if defined(__x86_64__)
#define VFM_FIXTURE fault
#define VFM_VARIANT_SUFFIX _vtd_takeover
#define VFM_VARIANT_FIELDS .iommu = "VT-d", .vtd_mode = "takeover"
#include "vfm_backends.h"
#define VFM_FIXTURE fault
#define VFM_VARIANT_SUFFIX _vtd_observe
#define VFM_VARIANT_FIELDS .iommu = "VT-d", .vtd_mode = "observe"
#include "vfm_backends.h"
#define VFM_FIXTURE fault
#define VFM_VARIANT_SUFFIX _amdvi
#define VFM_VARIANT_FIELDS .iommu = "AMD-Vi"
#include "vfm_backends.h"
#else
#define VFM_FIXTURE fault
#define VFM_VARIANT_SUFFIX _smmuv3
#define VFM_VARIANT_FIELDS .iommu = "SMMUv3"
#include "vfm_backends.h"
#endif

FIXTURE_SETUP(fault)
{
	self->efd = -1;
	VFM_REQUIRE(return, VFM_NEED_IOMMU, .what = variant->iommu);
	VFM_REQUIRE(return, VFM_NEED_FAULTS, .b = &variant->b);
	if (!vfm_mocks_ready(_metadata))
		return;
	if (variant->vtd_mode)
		ASSERT_EQ(0, vfm_param_write("iommu_faultchain", "vtd_mode",
					     variant->vtd_mode));
	ASSERT_EQ(0, vfm_param_write("iommu_faultchain", "generic_iommus",
				     GUEST_IOMMUS));
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	ASSERT_EQ(0, vfm_bdf_rid(self->ctx.edu[0].bdf, &self->segment,
				 &self->rid));
	self->buf = vfm_alloc(16 * PG);
	ASSERT_NE(NULL, self->buf);
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, vfm_set_eventfd(self->ctx.container,
				     VFIO_MIRROR_EVENT_FAULT, self->efd));
}

FIXTURE_TEARDOWN(fault)
{
	int n;

	vfm_ctx_close(&self->ctx);
	vfm_free(self->buf, 16 * PG);
	if (self->efd >= 0)
		close(self->efd);
	for (n = 0; n < VFM_MAX_MOCK; n++)
		vfm_mock_reset(n);
	if (variant->vtd_mode)
		vfm_param_write("iommu_faultchain", "vtd_mode", "takeover");
	vfm_param_write("iommu_faultchain", "generic_iommus", GUEST_IOMMUS);
}

/* The capability's entry of the first device of @group, or NULL. */
static const struct vfio_mirror_fault_device *
cap_device(const struct vfio_mirror_info_cap_fault *cap, int group)
{
	unsigned int i;

	for (i = 0; i < cap->nr_devices; i++)
		if (cap->devices[i].group == group)
			return &cap->devices[i];
	return NULL;
}

/* The fields every record of a hardware fault of @edu has. */
static void check_hw_record(struct __test_metadata *_metadata,
			    const struct vfm_edu *edu,
			    const struct vfio_mirror_fault *f, uint64_t iova,
			    uint32_t access, uint32_t reason)
{
	uint32_t segment, rid;

	ASSERT_EQ(0, vfm_bdf_rid(edu->bdf, &segment, &rid));
	ASSERT_EQ(sizeof(*f), f->size);
	ASSERT_EQ(vfm_hw()->source, f->source);
	ASSERT_EQ(VFIO_MIRROR_FAULT_PCI | VFIO_MIRROR_FAULT_ADDR, f->flags);
	ASSERT_EQ(edu->group_id, f->group);
	ASSERT_EQ(segment, f->segment);
	ASSERT_EQ(rid, f->rid);
	ASSERT_EQ(rid, f->sid);
	ASSERT_EQ(iova & ~(PG - 1), f->iova & ~(PG - 1));
	ASSERT_EQ(access, f->access);
	ASSERT_EQ(reason, f->reason);
	ASSERT_EQ(vfm_hw()->raw_len, f->raw_len);
	ASSERT_NE(0, f->timestamp_ns);
}

TEST_F(fault, a_read_of_an_unmapped_iova_is_one_record)
{
	int c = self->ctx.container;
	long long seen = vfm_chain_counter(vfm_hw()->producer, "seen");
	uint64_t lost, next;

	ASSERT_EQ(0, vfm_map(c, IOVA_RW, self->buf, PG,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], IOVA_NONE + 0x40, 4,
				 false));
	ASSERT_LT(0, vfm_eventfd_wait(self->efd, 3000));
	ASSERT_EQ(1, collect(c, self->rec, 1, 3000));
	check_hw_record(_metadata, &self->ctx.edu[0], &self->rec[0], IOVA_NONE + 0x40,
			VFIO_MIRROR_FAULT_READ, vfm_hw()->reason_read);
	ASSERT_EQ(1, self->rec[0].seq);
	ASSERT_EQ(0, vfm_read_faults(c, self->rec, NREC, &lost, &next));
	ASSERT_EQ(0, lost);
	ASSERT_EQ(2, next);
	ASSERT_EQ(seen + 1, vfm_chain_counter(vfm_hw()->producer, "seen"));

	/* A good DMA after it is not a fault. */
	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], IOVA_RW, 4, false));
	ASSERT_EQ(0, collect(c, self->rec, 0, 0));
}

TEST_F(fault, a_write_to_a_read_only_mapping_is_one_record)
{
	int c = self->ctx.container;

	memset(self->buf, VFM_POISON, PG);
	ASSERT_EQ(0, vfm_map(c, IOVA_RO, self->buf, PG,
			     VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], IOVA_RO + 0x80, 4, true));
	ASSERT_LT(0, vfm_eventfd_wait(self->efd, 3000));
	ASSERT_EQ(1, collect(c, self->rec, 1, 3000));
	check_hw_record(_metadata, &self->ctx.edu[0], &self->rec[0], IOVA_RO + 0x80,
			VFIO_MIRROR_FAULT_WRITE, vfm_hw()->reason_write);
	ASSERT_TRUE(vfm_untouched(self->buf, PG));
}

TEST_F(fault, each_recorded_fault_of_a_long_dma_is_a_record)
{
	int c = self->ctx.container, i, n;
	const int bytes = 64;

	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], IOVA_NONE, bytes, false));
	n = collect(c, self->rec, vfm_hw_records(bytes), 3000);
	ASSERT_EQ(vfm_hw_records(bytes), n);
	for (i = 0; i < n; i++) {
		check_hw_record(_metadata, &self->ctx.edu[0], &self->rec[i], IOVA_NONE,
				VFIO_MIRROR_FAULT_READ, vfm_hw()->reason_read);
		ASSERT_EQ(i + 1, self->rec[i].seq);
		if (vfm_hw()->bytes_per_record)
			ASSERT_EQ(IOVA_NONE + vfm_hw()->bytes_per_record * i,
				  self->rec[i].iova);
	}
}

/*
 * A DMA that faults on each of its 1023 4-byte accesses (on SMMUv3 and
 * AMD-Vi): every fault the producer saw was read or counted lost, and
 * the sequence numbers say the same.  VT-d and SMMUv3 see them all.
 * AMD-Vi's event log has room for 511: the unit drops the rest,
 * uncounted, and the one overflow it signals is counted (hw_overflows).
 */
TEST_F(fault, a_hardware_storm_is_counted_exactly)
{
	const char *prod = vfm_hw()->producer;
	long long seen = vfm_chain_counter(prod, "seen");
	long long hw_lost = vfm_chain_counter(prod, "hw_lost");
	long long ovf = vfm_chain_counter(prod, "hw_overflows");
	const int bytes = EDU_DMA_MAX - 3, want = vfm_hw_records(bytes);
	int c = self->ctx.container, n, total = 0, quiet = 0;
	uint64_t lost, lost_sum = 0, next = 1;
	long long d_seen;

	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], IOVA_NONE, bytes, false));
	/* Until nothing more comes for half a second. */
	while (quiet < 25) {
		n = vfm_read_faults(c, self->rec, NREC, &lost, &next);
		ASSERT_LE(0, n);
		total += n;
		lost_sum += lost;
		quiet = n || lost ? 0 : quiet + 1;
		usleep(20 * 1000);
	}
	d_seen = vfm_chain_counter(prod, "seen") - seen;
	TH_LOG("%d bytes: %d faults, %lld seen, %d records, %llu lost, %lld overflows",
	       bytes, want, d_seen, total, (unsigned long long)lost_sum,
	       vfm_chain_counter(prod, "hw_overflows") - ovf);
	ASSERT_EQ(d_seen, total + lost_sum);
	ASSERT_EQ(d_seen + 1, next);
	ASSERT_EQ(hw_lost, vfm_chain_counter(prod, "hw_lost"));
	if (!vfm_hw()->log_room || want <= vfm_hw()->log_room) {
		ASSERT_EQ(want, d_seen);
		return;
	}
	/*
	 * The device makes every fault of its DMA before the guest can
	 * move the log's head (QEMU's edu does it all under the big QEMU
	 * lock), into a log the guest has emptied: it fills, then
	 * overflows once (the log of tools/qemu/patches/0005).
	 */
	ASSERT_EQ(vfm_hw()->log_room, d_seen);
	ASSERT_EQ(ovf + 1, vfm_chain_counter(prod, "hw_overflows"));
}

TEST_F(fault, another_container_sees_nothing)
{
	struct vfm_ctx other;
	uint32_t seg, rid;
	int efd2, c = self->ctx.container;

	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 2);
	ASSERT_EQ(0, vfm_ctx_open(&other, &mirror, 0));
	ASSERT_EQ(0, vfm_ctx_attach_edu(&other, 1));
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd2);
	ASSERT_EQ(0, vfm_set_eventfd(other.container, VFIO_MIRROR_EVENT_FAULT,
				     efd2));

	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], IOVA_NONE, 4, false));
	ASSERT_EQ(1, collect(c, self->rec, 1, 3000));
	ASSERT_EQ(self->rid, self->rec[0].rid);
	ASSERT_EQ(0, vfm_eventfd_wait(efd2, 0));
	ASSERT_EQ(0, vfm_read_faults(other.container, self->rec, NREC, NULL,
				     NULL));

	/* And the other way round. */
	ASSERT_EQ(0, vfm_bdf_rid(other.edu[1].bdf, &seg, &rid));
	ASSERT_EQ(0, vfm_edu_dma(&other.edu[1], IOVA_NONE, 4, false));
	ASSERT_LT(0, vfm_eventfd_wait(efd2, 3000));
	ASSERT_EQ(1, collect(other.container, self->rec, 1, 3000));
	ASSERT_EQ(rid, self->rec[0].rid);
	ASSERT_EQ(other.edu[1].group_id, self->rec[0].group);
	ASSERT_EQ(0, vfm_read_faults(c, self->rec, NREC, NULL, NULL));

	close(efd2);
	vfm_ctx_close(&other);
}

TEST_F(fault, the_capability_names_each_device_and_its_producers)
{
	const struct vfio_mirror_fault_device *d;
	struct vfio_mirror_info_cap_fault *cap;
	struct vfio_iommu_type1_info *info;
	char len[16];

	ASSERT_EQ(0, vfm_param_read("vfio_mirror", "fault_queue_len", len,
				    sizeof(len)));
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&self->ctx, 0));
	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	cap = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_FAULT);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(1, cap->header.version);
	ASSERT_EQ(atoi(len), cap->queue_len);
	ASSERT_EQ(sizeof(struct vfio_mirror_fault), cap->record_size);
	ASSERT_EQ(2, cap->nr_devices);

	d = cap_device(cap, self->ctx.edu[0].group_id);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(VFIO_MIRROR_FAULT_PCI, d->flags);
	ASSERT_EQ(self->segment, d->segment);
	ASSERT_EQ(self->rid, d->rid);
	ASSERT_EQ(1U << vfm_hw()->source, d->sources);

	d = cap_device(cap, vfm_mock_group(0));
	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, d->flags);
	ASSERT_EQ(1U << VFIO_MIRROR_FAULT_SOURCE_GENERIC, d->sources);
	free(info);
}

TEST_F(fault, the_chain_counts_add_up)
{
	const char *const producers[] = { vfm_hw()->producer, "generic" };
	long long seen, parts;
	unsigned int i;

	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], IOVA_NONE, 4, false));
	ASSERT_EQ(1, collect(self->ctx.container, self->rec, 1, 3000));
	for (i = 0; i < ARRAY_SIZE(producers); i++) {
		seen = vfm_chain_counter(producers[i], "seen");
		parts = vfm_chain_counter(producers[i], "delivered") +
			vfm_chain_counter(producers[i], "unclaimed") +
			vfm_chain_counter(producers[i], "dropped_full") +
			vfm_chain_counter(producers[i], "dropped_ratelimited") +
			vfm_chain_counter(producers[i], "dropped_backlog");
		ASSERT_LE(0, seen);
		ASSERT_EQ(seen, parts) {
			TH_LOG("%s: seen %lld, accounted for %lld",
			       producers[i], seen, parts);
		}
	}
	ASSERT_LT(0, vfm_chain_counter(vfm_hw()->producer, "delivered"));
}

/* By group number, whatever order the groups joined in. */
TEST_F(fault, the_capability_lists_devices_by_group)
{
	struct vfio_mirror_info_cap_fault *cap;
	struct vfio_iommu_type1_info *info;
	unsigned int i;

	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_mock_set(1, VFM_MOCK_CFG_FORMAT, 2));
	ASSERT_LT(vfm_mock_group(0), vfm_mock_group(1));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&self->ctx, 1));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&self->ctx, 0));
	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	cap = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_FAULT);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(3, cap->nr_devices);
	/* Joined as edu, mock 1, mock 0: never in that order by number. */
	for (i = 1; i < cap->nr_devices; i++)
		ASSERT_LT(cap->devices[i - 1].group, cap->devices[i].group);
	ASSERT_NE(NULL, cap_device(cap, self->ctx.edu[0].group_id));
	ASSERT_NE(NULL, cap_device(cap, vfm_mock_group(0)));
	ASSERT_NE(NULL, cap_device(cap, vfm_mock_group(1)));
	free(info);
}

/*
 * The generic producer covers only IOMMUs on its allow-list: a device
 * behind another is advertised with no source.
 */
TEST_F(fault, a_source_is_advertised_only_where_faults_arrive)
{
	const struct vfio_mirror_fault_device *d;
	struct vfio_mirror_info_cap_fault *cap;
	struct vfio_iommu_type1_info *info;

	ASSERT_EQ(0, vfm_param_write("iommu_faultchain", "generic_iommus",
				     "ivhd,exynos-sysmmu"));
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&self->ctx, 0));
	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	cap = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_FAULT);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(2, cap->nr_devices);
	d = cap_device(cap, self->ctx.edu[0].group_id);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(1U << vfm_hw()->source, d->sources);
	d = cap_device(cap, vfm_mock_group(0));
	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, d->sources);
	free(info);

	/* On the list, it is covered again. */
	ASSERT_EQ(0, vfm_ctx_detach_mock(&self->ctx, 0));
	ASSERT_EQ(0, vfm_param_write("iommu_faultchain", "generic_iommus",
				     GUEST_IOMMUS));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&self->ctx, 0));
	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	cap = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_FAULT);
	ASSERT_NE(NULL, cap);
	d = cap_device(cap, vfm_mock_group(0));
	ASSERT_NE(NULL, d);
	ASSERT_EQ(1U << VFIO_MIRROR_FAULT_SOURCE_GENERIC, d->sources);
	free(info);
}

#if defined(__x86_64__)
/*
 * The VT-d guests' fourth edu device sits behind a PCIe-to-PCI bridge,
 * which forwards its DMA with the requester ID (secondary bus, 00.0): the
 * fault record names that alias, and reaches the device's container.
 * (QEMU's AMD-Vi cannot translate a device behind a bridge: see
 * machines/x86_64-amdvi.)
 */
TEST_F(fault, a_fault_with_a_dma_alias_reaches_the_device_behind_the_bridge)
{
	struct vfio_mirror_fault_device *d = NULL;
	struct vfio_mirror_info_cap_fault *cap;
	struct vfio_iommu_type1_info *info;
	struct vfm_edu *edu;
	struct vfm_ctx other;
	uint32_t seg, rid, i;
	int n;

	VFM_REQUIRE(return, VFM_NEED_IOMMU, .what = "VT-d");
	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 4);
	ASSERT_EQ(0, vfm_ctx_open(&other, &mirror, 0));
	ASSERT_EQ(0, vfm_ctx_attach_edu(&other, 3));
	edu = &other.edu[3];
	ASSERT_EQ(0, vfm_bdf_rid(edu->bdf, &seg, &rid));
	ASSERT_NE(0, rid >> 8) {
		TH_LOG("%s is not behind the bridge", edu->bdf);
	}

	ASSERT_EQ(0, vfm_get_info(other.container, &info));
	cap = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_FAULT);
	ASSERT_NE(NULL, cap);
	for (i = 0; i < cap->nr_devices; i++)
		if (cap->devices[i].rid == rid)
			d = &cap->devices[i];
	ASSERT_NE(NULL, d);
	ASSERT_EQ(1U << vfm_hw()->source, d->sources);
	free(info);

	ASSERT_EQ(0, vfm_edu_dma(edu, IOVA_NONE, 4, false));
	n = collect(other.container, self->rec, 1, 3000);
	ASSERT_EQ(1, n);
	ASSERT_EQ(VFIO_MIRROR_FAULT_PCI | VFIO_MIRROR_FAULT_ADDR |
		  VFIO_MIRROR_FAULT_ALIAS, self->rec[0].flags);
	ASSERT_EQ(rid, self->rec[0].rid);
	ASSERT_EQ(rid & 0xff00, self->rec[0].sid);
	ASSERT_EQ(edu->group_id, self->rec[0].group);
	ASSERT_EQ(vfm_hw()->reason_read, self->rec[0].reason);
	/* Not in the fixture's container. */
	ASSERT_EQ(0, vfm_read_faults(self->ctx.container, self->rec, NREC,
				     NULL, NULL));
	vfm_ctx_close(&other);
}
#endif

TEST_HARNESS_MAIN
