// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tearing a container down releases everything: pinned pages, locked_vm,
 * the backend module reference, and the device's access to the old IOVAs,
 * whatever order the files are closed in.  Every test runs against
 * vfio_iommu_type1 and vfio-mirror.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG	4096ULL
#define IOVA	0x100000ULL
#define SIZE	(2 << 20)
#define RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

FIXTURE(release) {
	struct vfm_ctx ctx;
	char *buf;
	long vmlck;
	long long pins;
	int refcnt;
};

FIXTURE_VARIANT(release) {
	struct vfm_backend b;
};

#define VFM_FIXTURE release
#include "vfm_backends.h"

FIXTURE_SETUP(release)
{
	self->vmlck = vfm_vmlck_kb();
	self->pins = vfm_pins_outstanding();
	self->refcnt = vfm_module_refcnt(variant->b.module);
	ASSERT_LE(0, self->refcnt);
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->buf = vfm_alloc(SIZE);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(self->vmlck + SIZE / 1024, vfm_vmlck_kb());
	ASSERT_EQ(self->refcnt + 1, vfm_module_refcnt(variant->b.module));
}

FIXTURE_TEARDOWN(release)
{
	vfm_ctx_close(&self->ctx);
	vfm_free(self->buf, SIZE);
}

/* Locked memory, pins and @module's references are back to these. */
static void assert_released(struct __test_metadata *_metadata, long vmlck,
			    long long pins, int refcnt, const char *module)
{
	ASSERT_EQ(vmlck, vfm_vmlck_kb());
	ASSERT_EQ(pins, vfm_pins_outstanding());
	ASSERT_EQ(refcnt, vfm_module_refcnt(module));
}

TEST_F(release, closing_device_group_container)
{
	vfm_ctx_close(&self->ctx);
	assert_released(_metadata, self->vmlck, self->pins, self->refcnt,
			variant->b.module);
}

TEST_F(release, closing_container_first)
{
	struct vfm_ctx *ctx = &self->ctx;

	close(ctx->container);
	ctx->container = -1;
	/* The groups still hold the container: nothing is released yet. */
	ASSERT_EQ(self->vmlck + SIZE / 1024, vfm_vmlck_kb());
	vfm_ctx_close(ctx);
	assert_released(_metadata, self->vmlck, self->pins, self->refcnt,
			variant->b.module);
}

TEST_F(release, unsetting_the_last_group)
{
	struct vfm_ctx *ctx = &self->ctx;

	ASSERT_EQ(0, vfm_ctx_remove(ctx));
	assert_released(_metadata, self->vmlck, self->pins, self->refcnt,
			variant->b.module);
	/* The container is back to no IOMMU: it refuses mappings... */
	ASSERT_EQ(-EINVAL, vfm_map(ctx->container, IOVA, self->buf, PG, RW));
	/* ...until a group joins and an IOMMU is set again. */
	ASSERT_EQ(0, vfm_ctx_add(ctx));
	ASSERT_EQ(0, vfm_map(ctx->container, IOVA, self->buf, PG, RW));
}

TEST_F(release, old_iovas_are_gone_in_a_new_container)
{
	struct vfm_ctx *ctx = &self->ctx;
	char *src = vfm_alloc(PG);

	ASSERT_NE(NULL, src);
	vfm_fill(src, PG, 42);
	vfm_ctx_close(ctx);
	memset(self->buf, VFM_POISON, SIZE);

	ASSERT_EQ(0, vfm_ctx_open(ctx, &variant->b, 1));
	ASSERT_EQ(0, vfm_map(ctx->container, 0x4000000, src, PG,
			     VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, vfm_edu_dma(&ctx->edu[0], 0x4000000, EDU_DMA_MAX, false));
	/* A store to the old IOVA must fault, not reach the old buffer. */
	ASSERT_EQ(0, vfm_edu_dma(&ctx->edu[0], IOVA, EDU_DMA_MAX, true));
	ASSERT_TRUE(vfm_untouched(self->buf, SIZE));
	vfm_free(src, PG);
}

TEST_HARNESS_MAIN
