// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_IOMMU_GET_INFO: the argsz protocol, the page sizes and the
 * capability chain (DMA_AVAIL, IOVA_RANGE).  The fixture tests run against
 * vfio_iommu_type1 and vfio-mirror; the parity tests compare the two
 * backends on the same groups.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vfm_test.h"

#define PG	4096ULL
/* The first version of the structure ends with iova_pgsizes. */
#define INFO_V1_SIZE	offsetof(struct vfio_iommu_type1_info, cap_offset)

FIXTURE(info) {
	struct vfm_ctx ctx;
};

FIXTURE_VARIANT(info) {
	struct vfm_backend b;
};

#define VFM_FIXTURE info
#include "vfm_backends.h"

FIXTURE_SETUP(info)
{
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
}

FIXTURE_TEARDOWN(info)
{
	vfm_ctx_close(&self->ctx);
}

TEST_F(info, argsz_too_small)
{
	struct vfio_iommu_type1_info info = {
		.argsz = offsetof(struct vfio_iommu_type1_info, iova_pgsizes),
	};

	ASSERT_EQ(-1, ioctl(self->ctx.container, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(info, short_argsz_reports_the_size_needed)
{
	struct vfio_iommu_type1_info info = {
		.argsz = INFO_V1_SIZE,
		.cap_offset = 0x5a5a,
	};

	ASSERT_EQ(0, ioctl(self->ctx.container, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info.flags);
	ASSERT_LT(sizeof(info), info.argsz);
	/* Only argsz bytes were written back. */
	ASSERT_EQ(0x5a5a, info.cap_offset);
}

TEST_F(info, page_sizes)
{
	struct vfio_iommu_type1_info *info;

	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	ASSERT_TRUE(info->flags & VFIO_IOMMU_INFO_PGSIZES);
	/* The smallest size offered is the CPU page size. */
	ASSERT_EQ(PG, info->iova_pgsizes & -info->iova_pgsizes);
	free(info);
}

TEST_F(info, dma_avail_counts_down)
{
	struct vfio_iommu_type1_info_dma_avail *cap;
	struct vfio_iommu_type1_info *info;
	char *buf = vfm_alloc(PG);
	uint32_t before;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	cap = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(1, cap->header.version);
	before = cap->avail;
	free(info);

	ASSERT_EQ(0, vfm_map(self->ctx.container, 0x100000, buf, PG,
			     VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	cap = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(before - 1, cap->avail);
	free(info);
	vfm_free(buf, PG);
}

TEST_F(info, iova_ranges_are_sorted_and_avoid_msi)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iommu_type1_info *info;
	uint32_t i;

	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	cap = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(1, cap->header.version);
	ASSERT_LE(1, cap->nr_iovas);
	for (i = 0; i < cap->nr_iovas; i++) {
		struct vfio_iova_range *r = &cap->iova_ranges[i];

		ASSERT_LE(r->start, r->end);
		if (i)
			ASSERT_LT(cap->iova_ranges[i - 1].end + 1, r->start);
#ifdef VFM_MSI_START
		ASSERT_TRUE(r->end < VFM_MSI_START || r->start > VFM_MSI_END)
			TH_LOG("range %#llx-%#llx covers the MSI window",
			       (unsigned long long)r->start,
			       (unsigned long long)r->end);
#endif
	}
	free(info);
}

/* GET_INFO of a container with @n groups, on backend @b. */
static struct vfio_iommu_type1_info *info_of(const struct vfm_backend *b,
					     int n)
{
	struct vfio_iommu_type1_info *info = NULL;
	struct vfm_ctx ctx;

	if (vfm_ctx_open(&ctx, b, n))
		return NULL;
	if (vfm_get_info(ctx.container, &info))
		info = NULL;
	vfm_ctx_close(&ctx);
	return info;
}

static void assert_same_info(struct __test_metadata *_metadata, int n)
{
	static const struct vfm_backend type1 = VFM_BACKEND_TYPE1;
	static const struct vfm_backend mirror = VFM_BACKEND_MIRROR;
	struct vfio_iommu_type1_info_cap_iova_range *r1, *rm;
	struct vfio_iommu_type1_info *i1, *im;

	VFM_REQUIRE(return, VFM_NEED_EDU, .n = n);
	i1 = info_of(&type1, n);
	im = info_of(&mirror, n);
	ASSERT_NE(NULL, i1);
	ASSERT_NE(NULL, im);

	ASSERT_EQ(i1->iova_pgsizes, im->iova_pgsizes);
	r1 = (void *)vfm_info_cap(i1, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	rm = (void *)vfm_info_cap(im, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ASSERT_NE(NULL, r1);
	ASSERT_NE(NULL, rm);
	ASSERT_EQ(r1->nr_iovas, rm->nr_iovas);
	ASSERT_EQ(0, memcmp(r1->iova_ranges, rm->iova_ranges,
			    r1->nr_iovas * sizeof(r1->iova_ranges[0])));
	free(i1);
	free(im);
}

TEST(same_info_as_type1_one_group)
{
	assert_same_info(_metadata, 1);
}

TEST(same_info_as_type1_two_groups)
{
	assert_same_info(_metadata, 2);
}

TEST_HARNESS_MAIN
