// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO_TYPE1_IOMMU (v1) unmap rules, which unmodified VMMs of the
 * older interface rely on: an unmap that starts inside a mapping removes
 * nothing and succeeds; one that covers a mapping's first IOVA removes the
 * whole mapping and reports its full size.  Under the v2 rules
 * (VFIO_TYPE1v2_IOMMU, VFIO_MIRROR_IOMMU) each of those unmaps bisects a
 * mapping and fails with EINVAL, removing nothing.  type1 also keeps
 * dirty tracking and mediated devices' pins to the v2 ABI.  Run against
 * every backend: each row checks the rules of its ABI.
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

#define VFM_FIXTURE v1
#include "vfm_backends.h"

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

TEST_F(v1, unmap_from_inside_a_mapping)
{
	uint64_t unmapped = 1;
	int ret;

	ret = vfm_unmap(self->ctx.container, IOVA + 2 * PG, 2 * PG, 0,
			&unmapped);
	if (variant->b.v2) {
		ASSERT_EQ(-EINVAL, ret);
	} else {
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, unmapped);
	}
	/* Under both rules the mapping stays. */
	ASSERT_EQ(-EEXIST, vfm_map(self->ctx.container, IOVA + 2 * PG,
				   self->buf, PG, RW));
}

TEST_F(v1, unmap_of_the_first_page)
{
	uint64_t unmapped = 0;
	int ret;

	ret = vfm_unmap(self->ctx.container, IOVA, PG, 0, &unmapped);
	if (variant->b.v2) {
		ASSERT_EQ(-EINVAL, ret);
		ASSERT_EQ(-EEXIST, vfm_map(self->ctx.container, IOVA + 7 * PG,
					   self->buf, PG, RW));
		return;
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ(8 * PG, unmapped);
	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA + 7 * PG, self->buf,
			     PG, RW));
}

TEST_F(v1, unmap_starting_before_a_mapping)
{
	uint64_t unmapped = 0;
	int ret;

	ret = vfm_unmap(self->ctx.container, IOVA - 2 * PG, 4 * PG, 0,
			&unmapped);
	if (variant->b.v2) {
		ASSERT_EQ(-EINVAL, ret);
		return;
	}
	ASSERT_EQ(0, ret);
	ASSERT_EQ(8 * PG, unmapped);
}

/* Dirty tracking is a v2 feature of type1: v1 refuses it with EACCES. */
TEST_F(v1, dirty_tracking_needs_v2)
{
	int ret = vfm_dirty(self->ctx.container,
			    VFIO_IOMMU_DIRTY_PAGES_FLAG_START);

	ASSERT_EQ(variant->b.v2 ? 0 : -EACCES, ret);
	if (!ret)
		ASSERT_EQ(0, vfm_dirty(self->ctx.container,
				       VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
}

/* So are mediated devices' pins. */
TEST_F(v1, mediated_pins_need_v2)
{
	int fd, ret;

	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	fd = self->ctx.emul_fd[0];
	ret = vfm_emul_pin(fd, IOVA, 1, VFM_EMUL_PROT_READ, NULL);
	ASSERT_EQ(variant->b.v2 ? 0 : -EACCES, ret);
	if (!ret)
		ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA, 1));
}

TEST_HARNESS_MAIN
