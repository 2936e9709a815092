// SPDX-License-Identifier: GPL-2.0-only
/*
 * Real DMA through the IOMMU: the edu device reads and writes user memory
 * at the IOVAs the container maps, and only there.  Every test runs
 * against vfio_iommu_type1 and vfio-mirror.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "vfm_test.h"

#define PG		4096ULL
#define IOVA_SRC	0x100000ULL
#define IOVA_DST	0x200000ULL
#define LEN		EDU_DMA_MAX
#define RD		VFIO_DMA_MAP_FLAG_READ
#define WR		VFIO_DMA_MAP_FLAG_WRITE

FIXTURE(dma) {
	struct vfm_ctx ctx;
	char *src, *dst;
};

FIXTURE_VARIANT(dma) {
	struct vfm_backend b;
};

#define VFM_FIXTURE dma
#include "vfm_backends.h"

FIXTURE_SETUP(dma)
{
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->src = vfm_alloc(4 * PG);
	self->dst = vfm_alloc(4 * PG);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);
	vfm_fill(self->src, 4 * PG, 0x5eed);
	memset(self->dst, VFM_POISON, 4 * PG);
}

FIXTURE_TEARDOWN(dma)
{
	vfm_ctx_close(&self->ctx);
	vfm_free(self->src, 4 * PG);
	vfm_free(self->dst, 4 * PG);
}

/* Load the device buffer from @src through @iova. */
static int load(struct vfm_edu *edu, uint64_t iova)
{
	return vfm_edu_dma(edu, iova, LEN, false);
}

/* Store the device buffer to @iova. */
static int store(struct vfm_edu *edu, uint64_t iova)
{
	return vfm_edu_dma(edu, iova, LEN, true);
}

TEST_F(dma, device_reads_and_writes_mapped_memory)
{
	struct vfm_edu *edu = &self->ctx.edu[0];
	int c = self->ctx.container;

	ASSERT_EQ(0, vfm_map(c, IOVA_SRC, self->src, 4 * PG, RD));
	ASSERT_EQ(0, vfm_map(c, IOVA_DST, self->dst, 4 * PG, WR));
	ASSERT_EQ(0, load(edu, IOVA_SRC + PG));
	ASSERT_EQ(0, store(edu, IOVA_DST + 2 * PG));

	ASSERT_EQ(0, memcmp(self->src + PG, self->dst + 2 * PG, LEN));
	ASSERT_TRUE(vfm_untouched(self->dst, 2 * PG));
	ASSERT_TRUE(vfm_untouched(self->dst + 2 * PG + LEN, 2 * PG - LEN));
}

TEST_F(dma, unmapped_memory_is_not_written)
{
	struct vfm_edu *edu = &self->ctx.edu[0];
	int c = self->ctx.container;

	ASSERT_EQ(0, vfm_map(c, IOVA_SRC, self->src, 4 * PG, RD));
	ASSERT_EQ(0, vfm_map(c, IOVA_DST, self->dst, 4 * PG, WR));
	ASSERT_EQ(0, load(edu, IOVA_SRC));

	/* While mapped the store lands... */
	ASSERT_EQ(0, store(edu, IOVA_DST));
	ASSERT_EQ(0, memcmp(self->src, self->dst, LEN));

	/* ...after unmap the same store must not reach memory. */
	ASSERT_EQ(0, vfm_unmap(c, IOVA_DST, 4 * PG, 0, NULL));
	memset(self->dst, VFM_POISON, 4 * PG);
	ASSERT_EQ(0, store(edu, IOVA_DST));
	ASSERT_TRUE(vfm_untouched(self->dst, 4 * PG));
}

TEST_F(dma, read_only_memory_is_not_written)
{
	struct vfm_edu *edu = &self->ctx.edu[0];
	int c = self->ctx.container;

	ASSERT_EQ(0, vfm_map(c, IOVA_SRC, self->src, 4 * PG, RD));
	ASSERT_EQ(0, vfm_map(c, IOVA_DST, self->dst, 4 * PG, RD));
	ASSERT_EQ(0, load(edu, IOVA_SRC));
	ASSERT_EQ(0, store(edu, IOVA_DST));
	ASSERT_TRUE(vfm_untouched(self->dst, 4 * PG));
}

TEST_F(dma, mappings_span_many_pin_batches)
{
	const size_t size = 8 << 20;	/* 2048 pages: several pin batches */
	struct vfm_edu *edu = &self->ctx.edu[0];
	const uint64_t iova = 0x1000000ULL;
	static const size_t offs[] = { 0, (4 << 20) - 2048, (8 << 20) - LEN };
	char *buf;
	size_t i;

	buf = vfm_alloc(size);
	ASSERT_NE(NULL, buf);
	memset(buf, VFM_POISON, size);
	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA_SRC, self->src, 4 * PG,
			     RD));
	ASSERT_EQ(0, vfm_map(self->ctx.container, iova, buf, size, RD | WR));
	ASSERT_EQ(0, load(edu, IOVA_SRC));
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		ASSERT_EQ(0, store(edu, iova + offs[i]));
		ASSERT_EQ(0, memcmp(self->src, buf + offs[i], LEN))
			TH_LOG("offset %#zx", offs[i]);
	}
	vfm_free(buf, size);
}

TEST_F(dma, huge_pages_with_and_without_iommu_superpages)
{
	const size_t size = 8 << 20;
	struct vfm_edu *edu = &self->ctx.edu[0];
	const uint64_t iova = 0x1000000ULL;
	char old[8], *raw, *buf;
	int pass;

	/* 2 MiB aligned and THP backed, so runs of 512 frames occur. */
	raw = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	buf = (char *)(((uintptr_t)raw + size - 1) & ~(uintptr_t)(size - 1));
	madvise(buf, size, MADV_HUGEPAGE);
	memset(buf, VFM_POISON, size);

	ASSERT_EQ(0, vfm_param_read(variant->b.module, "disable_hugepages",
				    old, sizeof(old)));
	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA_SRC, self->src, 4 * PG,
			     RD));
	ASSERT_EQ(0, load(edu, IOVA_SRC));
	for (pass = 0; pass < 2; pass++) {
		ASSERT_EQ(0, vfm_param_write(variant->b.module,
					     "disable_hugepages",
					     pass ? "1" : "0"));
		ASSERT_EQ(0, vfm_map(self->ctx.container, iova, buf, size, WR));
		/* Across the 2 MiB boundary in the middle of the buffer. */
		ASSERT_EQ(0, store(edu, iova + (2 << 20) - 2048));
		ASSERT_EQ(0, memcmp(self->src, buf + (2 << 20) - 2048, LEN));
		ASSERT_EQ(0, vfm_unmap(self->ctx.container, iova, size, 0,
				       NULL));
		memset(buf, VFM_POISON, size);
	}
	ASSERT_EQ(0, vfm_param_write(variant->b.module, "disable_hugepages",
				     old));
	munmap(raw, 2 * size);
}

/* Groups joining and leaving a container with live mappings. */

TEST_F(dma, mappings_reach_a_group_that_joins_later)
{
	struct vfm_ctx *ctx = &self->ctx;
	int c = ctx->container;

	ASSERT_EQ(0, vfm_map(c, IOVA_SRC, self->src, 4 * PG, RD));
	ASSERT_EQ(0, vfm_map(c, IOVA_DST, self->dst, 4 * PG, WR));
	if (!vfm_ctx_grow(_metadata, ctx))
		return;

	/* The second device uses mappings made before it joined. */
	ASSERT_EQ(0, load(&ctx->edu[1], IOVA_SRC + PG));
	ASSERT_EQ(0, store(&ctx->edu[1], IOVA_DST));
	ASSERT_EQ(0, memcmp(self->src + PG, self->dst, LEN));

	/* The first device is unaffected. */
	ASSERT_EQ(0, load(&ctx->edu[0], IOVA_SRC + 2 * PG));
	ASSERT_EQ(0, store(&ctx->edu[0], IOVA_DST + PG));
	ASSERT_EQ(0, memcmp(self->src + 2 * PG, self->dst + PG, LEN));
}

TEST_F(dma, mappings_made_with_two_groups_reach_both)
{
	struct vfm_ctx *ctx = &self->ctx;

	if (!vfm_ctx_grow(_metadata, ctx))
		return;

	ASSERT_EQ(0, vfm_map(ctx->container, IOVA_SRC, self->src, 4 * PG, RD));
	ASSERT_EQ(0, vfm_map(ctx->container, IOVA_DST, self->dst, 4 * PG, WR));
	ASSERT_EQ(0, load(&ctx->edu[0], IOVA_SRC));
	ASSERT_EQ(0, store(&ctx->edu[0], IOVA_DST));
	ASSERT_EQ(0, load(&ctx->edu[1], IOVA_SRC + 3 * PG));
	ASSERT_EQ(0, store(&ctx->edu[1], IOVA_DST + 2 * PG));
	ASSERT_EQ(0, memcmp(self->src, self->dst, LEN));
	ASSERT_EQ(0, memcmp(self->src + 3 * PG, self->dst + 2 * PG, LEN));

	/* Unmapped for both. */
	ASSERT_EQ(0, vfm_unmap(ctx->container, IOVA_DST, 4 * PG, 0, NULL));
	memset(self->dst, VFM_POISON, 4 * PG);
	ASSERT_EQ(0, store(&ctx->edu[0], IOVA_DST));
	ASSERT_EQ(0, store(&ctx->edu[1], IOVA_DST + PG));
	ASSERT_TRUE(vfm_untouched(self->dst, 4 * PG));
}

TEST_F(dma, a_group_leaving_keeps_the_others_mappings)
{
	struct vfm_ctx *ctx = &self->ctx;

	if (!vfm_ctx_grow(_metadata, ctx))
		return;

	ASSERT_EQ(0, vfm_map(ctx->container, IOVA_SRC, self->src, 4 * PG, RD));
	ASSERT_EQ(0, vfm_map(ctx->container, IOVA_DST, self->dst, 4 * PG, WR));
	ASSERT_EQ(0, vfm_ctx_remove(ctx));

	ASSERT_EQ(0, load(&ctx->edu[0], IOVA_SRC));
	ASSERT_EQ(0, store(&ctx->edu[0], IOVA_DST));
	ASSERT_EQ(0, memcmp(self->src, self->dst, LEN));

	/* And it can come back. */
	ASSERT_EQ(0, vfm_ctx_add(ctx));
	memset(self->dst, VFM_POISON, 4 * PG);
	ASSERT_EQ(0, load(&ctx->edu[1], IOVA_SRC + PG));
	ASSERT_EQ(0, store(&ctx->edu[1], IOVA_DST));
	ASSERT_EQ(0, memcmp(self->src + PG, self->dst, LEN));
}

/*
 * Two pages whose frames are not adjacent, mapped at @iova: the device
 * writes each page through its IOVA and the data lands in that page, and
 * the unmap leaves neither page pinned and nothing locked.
 */
static void two_runs_at(struct __test_metadata *_metadata,
			struct vfm_ctx *ctx, char *src, uint64_t iova)
{
	struct vfm_edu *edu = &ctx->edu[0];
	int c = ctx->container;
	long vmlck;
	char *p;

	ASSERT_EQ(0, vfm_map(c, IOVA_SRC, src, PG, RD));
	ASSERT_EQ(0, load(edu, IOVA_SRC));
	vmlck = vfm_vmlck_kb();
	p = vfm_two_runs(NULL);
	ASSERT_NE(NULL, p);
	memset(p, VFM_POISON, 2 * PG);
	ASSERT_EQ(0, vfm_map(c, iova, p, 2 * PG, RD | WR));
	ASSERT_EQ(0, store(edu, iova + PG));
	ASSERT_EQ(0, memcmp(src, p + PG, LEN));
	ASSERT_TRUE(vfm_untouched(p, PG));
	ASSERT_EQ(0, store(edu, iova));
	ASSERT_EQ(0, memcmp(src, p, LEN));
	ASSERT_EQ(2, vfm_pinned_pages(p, 2 * PG));

	ASSERT_EQ(0, vfm_unmap(c, iova, 2 * PG, 0, NULL));
	ASSERT_EQ(0, vfm_pinned_pages(p, 2 * PG));
	ASSERT_EQ(vmlck, vfm_vmlck_kb());
	munmap(p, 2 * PG);
}

/*
 * Where the guest's IOMMU and its edu devices reach every 64-bit IOVA
 * (VFM_IOVA_64: x86_64-amdvi, whose AMD-Vi page table has a 64-bit
 * aperture and whose edu devices a 64-bit DMA mask): two runs of frames
 * whose boundary is at 2^52.  (It was once read as "one run": the unmap
 * unpinned the first page and the frame after it, and left the second
 * page pinned.)
 */
TEST_F(dma, a_mapping_across_2_52)
{
	VFM_REQUIRE(return, VFM_NEED_FACT, .what = "VFM_IOVA_64");
	two_runs_at(_metadata, &self->ctx, self->src, (1ULL << 52) - PG);
}

/* And the last two pages of the 64-bit IOVA space. */
TEST_F(dma, a_mapping_at_the_top_of_the_iova_space)
{
	VFM_REQUIRE(return, VFM_NEED_FACT, .what = "VFM_IOVA_64");
	VFM_REQUIRE(return, VFM_NEED_IOVA_END_2_64, .b = &variant->b);
	two_runs_at(_metadata, &self->ctx, self->src, -2 * PG);
}

TEST_HARNESS_MAIN
