// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO_TYPE1_IOMMU (v1) unmap rules, which unmodified VMMs of the
 * older interface rely on: an unmap that starts inside a mapping removes
 * nothing and succeeds; one that covers a mapping's first IOVA removes the
 * whole mapping and reports its full size.  Run against vfio_iommu_type1
 * and against vfio-mirror serving VFIO_TYPE1_IOMMU under claim_type1.
 */
#include <errno.h>

#include "vfm_test.h"

#define PG	4096ULL
#define IOVA	0x100000ULL
#define RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

FIXTURE(v1) {
	struct vfm_ctx ctx;
	char *buf;
};

FIXTURE_VARIANT(v1) {
	struct vfm_backend b;
};

FIXTURE_VARIANT_ADD(v1, type1) { .b = VFM_BACKEND_TYPE1_V1 };
FIXTURE_VARIANT_ADD(v1, mirror) { .b = VFM_BACKEND_MIRROR_V1 };

FIXTURE_SETUP(v1)
{
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->buf = vfm_alloc(16 * PG);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA, self->buf, 8 * PG, RW));
}

FIXTURE_TEARDOWN(v1)
{
	vfm_ctx_close(&self->ctx);
	vfm_set_claim_type1(false);
	vfm_free(self->buf, 16 * PG);
}

TEST_F(v1, unmap_from_inside_a_mapping_removes_nothing)
{
	uint64_t unmapped = 1;

	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA + 2 * PG, 2 * PG, 0,
			       &unmapped));
	ASSERT_EQ(0, unmapped);
	ASSERT_EQ(-EEXIST, vfm_map(self->ctx.container, IOVA + 2 * PG,
				   self->buf, PG, RW));
}

TEST_F(v1, unmap_of_the_first_page_removes_the_mapping)
{
	uint64_t unmapped = 0;

	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA, PG, 0, &unmapped));
	ASSERT_EQ(8 * PG, unmapped);
	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA + 7 * PG, self->buf,
			     PG, RW));
}

TEST_F(v1, unmap_starting_before_a_mapping)
{
	uint64_t unmapped = 0;

	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA - 2 * PG, 4 * PG, 0,
			       &unmapped));
	ASSERT_EQ(8 * PG, unmapped);
}

TEST_HARNESS_MAIN
