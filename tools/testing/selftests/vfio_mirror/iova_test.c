// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOVA-range reporting: the usable ranges are the apertures minus the
 * reserved regions of every attached group, of every type but
 * direct-relaxable; they follow groups in and out, are enforced on map and
 * attach, and a VMM learns of a change from a generation number
 * (VFIO_MIRROR_INFO_CAP_IOVA_GENERATION) and an eventfd
 * (VFIO_MIRROR_IOMMU_SET_EVENTFD).  The fixture tests run against
 * vfio_iommu_type1 and vfio-mirror; what only vfio-mirror has, on its own.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG		4096ULL
#define MB		0x100000ULL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define HOLE		0x30000000ULL	/* where the mock's regions go */

FIXTURE(iova) {
	struct vfm_ctx ctx;
	char *buf;
};

FIXTURE_VARIANT(iova) {
	struct vfm_backend b;
};

#define VFM_FIXTURE iova
#include "vfm_backends.h"

FIXTURE_SETUP(iova)
{
	if (!vfm_mocks_ready(_metadata))
		return;
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->buf = vfm_alloc(64 * PG);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
}

FIXTURE_TEARDOWN(iova)
{
	int n;

	vfm_ctx_close(&self->ctx);
	vfm_free(self->buf, 64 * PG);
	for (n = 0; n < VFM_MAX_MOCK; n++)
		vfm_mock_reset(n);
}

TEST_F(iova, reserved_regions_shape_the_ranges_while_attached)
{
	static const uint32_t types[] = {
		VFM_MOCK_RESV_RESERVED, VFM_MOCK_RESV_MSI, VFM_MOCK_RESV_SW_MSI,
		VFM_MOCK_RESV_DIRECT_RELAXABLE,
	};
	struct vfm_ctx *ctx = &self->ctx;
	int t;

	for (t = 0; t < 4; t++) {
		ASSERT_EQ(0, vfm_mock_add_resv(0, types[t], HOLE + t * 2 * MB,
					       MB));
		ASSERT_TRUE(vfm_iova_usable(ctx->container, HOLE + t * 2 * MB,
					    HOLE + t * 2 * MB + MB - 1));
	}

	ASSERT_EQ(0, vfm_ctx_attach_mock(ctx, 0));
	/* Every type makes a hole but direct-relaxable, as with type1. */
	for (t = 0; t < 4; t++) {
		uint64_t start = HOLE + t * 2 * MB;

		ASSERT_EQ(t == 3, vfm_iova_usable(ctx->container, start,
						  start + MB - 1));
		ASSERT_TRUE(vfm_iova_usable(ctx->container, start + MB,
					    start + 2 * MB - 1));
		ASSERT_EQ(t == 3 ? 0 : -EINVAL,
			  vfm_map(ctx->container, start, self->buf, PG, RW));
	}

	/* When the group leaves, its regions go with it. */
	ASSERT_EQ(0, vfm_unmap(ctx->container, HOLE + 6 * MB, PG, 0, NULL));
	ASSERT_EQ(0, vfm_ctx_detach_mock(ctx, 0));
	for (t = 0; t < 4; t++) {
		uint64_t start = HOLE + t * 2 * MB;

		ASSERT_TRUE(vfm_iova_usable(ctx->container, start, start + 2 * MB - 1));
		ASSERT_EQ(0, vfm_map(ctx->container, start, self->buf, PG,
				     RW));
	}
}

TEST_F(iova, a_colliding_group_is_refused_and_nothing_changes)
{
	static const uint32_t types[] = {
		VFM_MOCK_RESV_RESERVED, VFM_MOCK_RESV_MSI, VFM_MOCK_RESV_SW_MSI,
	};
	struct vfm_ctx *ctx = &self->ctx;
	char before[512], after[512];
	long long pins;
	uint64_t n;
	long vmlck;
	int t, nb;

	ASSERT_EQ(0, vfm_map(ctx->container, HOLE, self->buf, 16 * PG, RW));
	nb = vfm_info_blob(ctx->container, before, sizeof(before));
	ASSERT_LT(0, nb);
	vmlck = vfm_vmlck_kb();
	pins = vfm_pins_outstanding();

	for (t = 0; t < 3; t++) {
		/* One page of the region inside the mapping is enough. */
		ASSERT_EQ(0, vfm_mock_clear_resv(0));
		ASSERT_EQ(0, vfm_mock_add_resv(0, types[t], HOLE + 15 * PG, MB));
		ASSERT_EQ(-EINVAL, vfm_ctx_attach_mock(ctx, 0));
		ASSERT_EQ(nb, vfm_info_blob(ctx->container, after,
					    sizeof(after)));
		ASSERT_EQ(0, memcmp(before, after, nb));
		ASSERT_EQ(vmlck, vfm_vmlck_kb());
		ASSERT_EQ(pins, vfm_pins_outstanding());
	}
	ASSERT_EQ(0, vfm_unmap(ctx->container, HOLE, 16 * PG, 0, &n));
	ASSERT_EQ(16 * PG, n);
	ASSERT_EQ(0, vfm_ctx_attach_mock(ctx, 0));
}

static uint64_t generation(int container)
{
	struct vfio_mirror_info_cap_iova_generation *cap;
	struct vfio_iommu_type1_info *info;
	uint64_t gen = ~0ULL;

	if (vfm_get_info(container, &info))
		return gen;
	cap = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_IOVA_GENERATION);
	if (cap && cap->header.version == 1)
		gen = cap->generation;
	free(info);
	return gen;
}

static int set_eventfd(int container, uint32_t argsz, uint32_t flags,
		       uint32_t events, int fd)
{
	struct vfio_mirror_eventfd arg = {
		.argsz = argsz, .flags = flags, .events = events, .fd = fd,
	};

	return ioctl(container, VFIO_MIRROR_IOMMU_SET_EVENTFD, &arg) ?
		-errno : 0;
}

/* Take [@s, @l] out of the @n ranges of @r (room for 16); the new count. */
static int ranges_cut(struct vfio_iova_range *r, int n, uint64_t s, uint64_t l)
{
	struct vfio_iova_range out[16];
	int i, m = 0;

	for (i = 0; i < n; i++) {
		if (l < r[i].start || s > r[i].end) {
			if (m < 16)
				out[m++] = r[i];
			continue;
		}
		if (s > r[i].start && m < 16)
			out[m++] = (struct vfio_iova_range){ r[i].start, s - 1 };
		if (l < r[i].end && m < 16)
			out[m++] = (struct vfio_iova_range){ l + 1, r[i].end };
	}
	memcpy(r, out, m * sizeof(*r));
	return m;
}

/*
 * A real device's ranges: the guest IOMMU's aperture (VFM_APERTURE_END,
 * from the machine file: AMD-Vi's v1 page table reaches 2^64 - 1, QEMU
 * 7.2's VT-d 2^39 - 1) minus the reserved regions the kernel lists for
 * the device's group, direct-relaxable ones aside.  Among them is the
 * range of the x86 interrupt address (msi), and on AMD-Vi the
 * HyperTransport range below 1 TiB (reserved).  A map of the first or
 * the last page of each is refused.
 */
TEST_F(iova, the_ranges_are_the_aperture_minus_the_groups_regions)
{
	struct vfio_iova_range want[16] = { { 0, 0 } }, got[16];
	unsigned long long s, l, end, holes[16][2];
	int c = self->ctx.container, nw = 1, nh = 0, i;
	char path[96], type[32];
	bool msi = false;
	FILE *f;

	VFM_REQUIRE(return, VFM_NEED_FACT, .what = "VFM_APERTURE_END");
	end = strtoull(getenv("VFM_APERTURE_END"), NULL, 0);
	want[0].end = end;
	snprintf(path, sizeof(path),
		 "/sys/kernel/iommu_groups/%d/reserved_regions",
		 self->ctx.edu[0].group_id);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (nh < 16 &&
	       fscanf(f, "%llx %llx %31s", &s, &l, type) == 3) {
		TH_LOG("%#018llx %#018llx %s", s, l, type);
		if (!strcmp(type, "direct-relaxable"))
			continue;
		msi |= !strcmp(type, "msi");
		nw = ranges_cut(want, nw, s, l);
		holes[nh][0] = s;
		holes[nh++][1] = l;
	}
	fclose(f);
	ASSERT_TRUE(msi);

	ASSERT_EQ(nw, vfm_iova_ranges(c, got, 16));
	for (i = 0; i < nw; i++) {
		ASSERT_EQ(want[i].start, got[i].start);
		ASSERT_EQ(want[i].end, got[i].end);
	}
	for (i = 0; i < nh; i++) {
		if (holes[i][0] > end)
			continue;
		ASSERT_EQ(-EINVAL, vfm_map(c, holes[i][0], self->buf, PG, RW));
		ASSERT_EQ(-EINVAL, vfm_map(c, (holes[i][1] & ~(PG - 1)),
					   self->buf, PG, RW));
	}
}

TEST(a_vmm_learns_that_the_ranges_changed)
{
	static const struct vfm_backend mirror = VFM_BACKEND_MIRROR;
	const uint32_t sz = sizeof(struct vfio_mirror_eventfd);
	const uint32_t ev = VFIO_MIRROR_EVENT_IOVA_RANGES;
	struct vfm_ctx ctx;
	uint64_t gen;
	int efd, n;

	if (!vfm_mocks_ready(_metadata))
		return;
	if (!vfm_ctx_setup(_metadata, &ctx, &mirror, 1))
		return;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_eventfd(ctx.container, sz, 0, ev, efd));
	gen = generation(ctx.container);
	ASSERT_LE(1, gen);

	/* A group with a reserved region changes the ranges... */
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_mock_add_resv(0, VFM_MOCK_RESV_RESERVED, 0x30000000, 0x100000));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 0));
	ASSERT_EQ(1, vfm_eventfd_wait(efd, 0));
	ASSERT_EQ(gen + 1, generation(ctx.container));
	/* ...one that changes nothing does not... */
	ASSERT_EQ(0, vfm_mock_set(1, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 1));
	ASSERT_EQ(0, vfm_eventfd_wait(efd, 0));
	ASSERT_EQ(gen + 1, generation(ctx.container));
	/* ...and leaving changes them back. */
	ASSERT_EQ(0, vfm_ctx_detach_mock(&ctx, 0));
	ASSERT_EQ(1, vfm_eventfd_wait(efd, 0));
	ASSERT_EQ(gen + 2, generation(ctx.container));

	/* Without the eventfd, the generation still counts. */
	ASSERT_EQ(0, set_eventfd(ctx.container, sz, 0, ev, -1));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 0));
	ASSERT_EQ(0, vfm_eventfd_wait(efd, 0));
	ASSERT_EQ(gen + 3, generation(ctx.container));

	/* Bad arguments. */
	ASSERT_EQ(-EINVAL, set_eventfd(ctx.container, sz - 1, 0, ev, efd));
	ASSERT_EQ(-EINVAL, set_eventfd(ctx.container, sz, 1, ev, efd));
	ASSERT_EQ(-EINVAL, set_eventfd(ctx.container, sz, 0, 0, efd));
	ASSERT_EQ(-EINVAL, set_eventfd(ctx.container, sz, 0, 1u << 5, efd));
	ASSERT_EQ(-EINVAL, set_eventfd(ctx.container, sz, 0, ev, -2));
	ASSERT_EQ(-EBADF, set_eventfd(ctx.container, sz, 0, ev, 9999));
	n = open("/dev/null", O_RDONLY);
	ASSERT_EQ(-EINVAL, set_eventfd(ctx.container, sz, 0, ev, n));
	close(n);
	close(efd);
	vfm_ctx_close(&ctx);
}

TEST_HARNESS_MAIN
