// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_IOMMU_MAP_DMA and VFIO_IOMMU_UNMAP_DMA: what is accepted, what is
 * refused and with which errno, at the edges of the IOVA space too.
 * Every test runs against vfio_iommu_type1 and vfio-mirror.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG		4096ULL
#define BUF_SIZE	(64 * PG)
#define IOVA		0x100000ULL
#define TOP_PAGE	(~0ULL - PG + 1)	/* the last page of 2^64 */

FIXTURE(map) {
	struct vfm_ctx ctx;
	char *buf;
};

FIXTURE_VARIANT(map) {
	struct vfm_backend b;
};

#define VFM_FIXTURE map
#include "vfm_backends.h"

FIXTURE_SETUP(map)
{
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->buf = vfm_alloc(BUF_SIZE);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(map)
{
	vfm_ctx_close(&self->ctx);
	vfm_free(self->buf, BUF_SIZE);
}

#define RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define MAP(iova, vaddr, size)	vfm_map(self->ctx.container, iova, vaddr, size, RW)

TEST_F(map, map_and_unmap_report_sizes)
{
	uint64_t unmapped = 0;

	ASSERT_EQ(0, MAP(IOVA, self->buf, 4 * PG));
	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA, 4 * PG, 0,
			       &unmapped));
	ASSERT_EQ(4 * PG, unmapped);
}

TEST_F(map, zero_size)
{
	ASSERT_EQ(-EINVAL, MAP(IOVA, self->buf, 0));
}

TEST_F(map, unaligned_iova)
{
	ASSERT_EQ(-EINVAL, MAP(IOVA + 512, self->buf, PG));
}

TEST_F(map, unaligned_vaddr)
{
	ASSERT_EQ(-EINVAL, MAP(IOVA, self->buf + 512, PG));
}

TEST_F(map, unaligned_size)
{
	ASSERT_EQ(-EINVAL, MAP(IOVA, self->buf, PG + 512));
}

TEST_F(map, no_access_flags)
{
	ASSERT_EQ(-EINVAL, vfm_map(self->ctx.container, IOVA, self->buf, PG, 0));
}

TEST_F(map, unknown_flag)
{
	ASSERT_EQ(-EINVAL, vfm_map(self->ctx.container, IOVA, self->buf, PG,
				   RW | (1u << 7)));
}

TEST_F(map, vaddr_flag_with_access)
{
	ASSERT_EQ(-EINVAL, vfm_map(self->ctx.container, IOVA, self->buf, PG,
				   RW | VFIO_DMA_MAP_FLAG_VADDR));
}

TEST_F(map, argsz_too_small)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = offsetof(struct vfio_iommu_type1_dma_map, size),
		.flags = RW,
		.vaddr = (uintptr_t)self->buf,
		.iova = IOVA,
		.size = PG,
	};

	ASSERT_EQ(-EINVAL, vfm_map_raw(self->ctx.container, &map));
	map.argsz = sizeof(map);
	ASSERT_EQ(0, vfm_map_raw(self->ctx.container, &map));
}

TEST_F(map, iova_wraps)
{
	int ret = MAP(TOP_PAGE, self->buf, 2 * PG);

	ASSERT_EQ(vfm_wrap_err(&variant->b, ret), ret);
}

TEST_F(map, vaddr_wraps)
{
	int ret = MAP(IOVA, (void *)(uintptr_t)TOP_PAGE, 2 * PG);

	ASSERT_EQ(vfm_wrap_err(&variant->b, ret), ret);
}

TEST_F(map, overlap)
{
	char *b = self->buf;

	ASSERT_EQ(0, MAP(IOVA + 4 * PG, b, 4 * PG));
	EXPECT_EQ(-EEXIST, MAP(IOVA + 4 * PG, b + 8 * PG, 4 * PG));
	EXPECT_EQ(-EEXIST, MAP(IOVA + 2 * PG, b + 8 * PG, 4 * PG));
	EXPECT_EQ(-EEXIST, MAP(IOVA + 6 * PG, b + 8 * PG, 4 * PG));
	EXPECT_EQ(-EEXIST, MAP(IOVA + 5 * PG, b + 8 * PG, PG));
	EXPECT_EQ(-EEXIST, MAP(IOVA, b + 8 * PG, 16 * PG));
	/* Touching, not overlapping. */
	EXPECT_EQ(0, MAP(IOVA, b + 8 * PG, 4 * PG));
	EXPECT_EQ(0, MAP(IOVA + 8 * PG, b + 12 * PG, 4 * PG));
}

TEST_F(map, edges_of_usable_ranges)
{
	struct vfio_iova_range r[8];
	uint64_t unmapped;
	int i, n;

	n = vfm_iova_ranges(self->ctx.container, r, 8);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		uint64_t first = r[i].start, last = r[i].end + 1 - PG;

		/*
		 * A range that ends at 2^64 (AMD-Vi's aperture): its last
		 * page only where the backend can unmap it again.
		 */
		if (r[i].end == ~0ULL) {
			const struct vfm_need top = {
				.need = VFM_NEED_IOVA_END_2_64,
				.b = &variant->b,
			};

			if (vfm_need_unsupported(&top))
				last = first;
		}
		/* The first and the last page of each range map... */
		ASSERT_EQ(0, MAP(first, self->buf, PG));
		if (last != first)
			ASSERT_EQ(0, MAP(last, self->buf, PG));
		unmapped = 0;
		ASSERT_EQ(0, vfm_unmap(self->ctx.container, first, PG, 0,
				       &unmapped));
		ASSERT_EQ(PG, unmapped);
		if (last != first) {
			ASSERT_EQ(0, vfm_unmap(self->ctx.container, last, PG,
					       0, &unmapped));
			ASSERT_EQ(PG, unmapped);
		}
		/* ...one page beyond either end does not. */
		if (r[i].end != ~0ULL)
			EXPECT_EQ(-EINVAL, MAP(last, self->buf, 2 * PG));
		if (r[i].start)
			EXPECT_EQ(-EINVAL, MAP(first - PG, self->buf, 2 * PG));
	}
}

/*
 * Between two usable ranges and past the last one, nothing maps.  (Every
 * guest's IOMMU has a hole at the x86 interrupt range or the SMMUv3
 * guest's MSI doorbell; AMD-Vi's aperture reaches 2^64, VT-d's does not.)
 */
TEST_F(map, outside_usable_ranges)
{
	struct vfio_iova_range r[8];
	int i, n;

	n = vfm_iova_ranges(self->ctx.container, r, 8);
	ASSERT_LT(1, n);
	for (i = 0; i + 1 < n; i++) {
		ASSERT_EQ(-EINVAL, MAP(r[i].end + 1, self->buf, PG));
		ASSERT_EQ(-EINVAL, MAP(r[i + 1].start - PG, self->buf, PG));
	}
	if (r[n - 1].end != ~0ULL)
		ASSERT_EQ(-EINVAL, MAP(r[n - 1].end + 1, self->buf, PG));
}

TEST_F(map, unmap_last_page_of_64bit_space)
{
	uint64_t unmapped = 1;

	ASSERT_EQ(0, vfm_unmap(self->ctx.container, TOP_PAGE, PG, 0,
			       &unmapped));
	ASSERT_EQ(0, unmapped);
}

TEST_F(map, unmap_wraps)
{
	int ret = vfm_unmap(self->ctx.container, TOP_PAGE, 2 * PG, 0, NULL);

	ASSERT_EQ(vfm_wrap_err(&variant->b, ret), ret);
}

TEST_F(map, unmap_nothing_mapped)
{
	uint64_t unmapped = 1;

	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA, 16 * PG, 0,
			       &unmapped));
	ASSERT_EQ(0, unmapped);
}

TEST_F(map, unmap_bad_arguments)
{
	int c = self->ctx.container;

	ASSERT_EQ(0, MAP(IOVA, self->buf, 4 * PG));
	EXPECT_EQ(-EINVAL, vfm_unmap(c, IOVA + 512, 4 * PG, 0, NULL));
	EXPECT_EQ(-EINVAL, vfm_unmap(c, IOVA, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, vfm_unmap(c, IOVA, 4 * PG + 512, 0, NULL));
	EXPECT_EQ(-EINVAL, vfm_unmap(c, IOVA, 4 * PG, 1u << 7, NULL));
	EXPECT_EQ(-EINVAL, vfm_unmap(c, IOVA, 4 * PG,
				     VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
				     NULL));
	/* Nothing was removed by the failures. */
	EXPECT_EQ(-EEXIST, MAP(IOVA, self->buf, PG));
}

TEST_F(map, unmap_argsz_too_small)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = offsetof(struct vfio_iommu_type1_dma_unmap, size),
		.iova = IOVA,
		.size = PG,
	};

	ASSERT_EQ(0, MAP(IOVA, self->buf, PG));
	ASSERT_EQ(-EINVAL, vfm_unmap_raw(self->ctx.container, &unmap));
	unmap.argsz = sizeof(unmap);
	ASSERT_EQ(0, vfm_unmap_raw(self->ctx.container, &unmap));
	ASSERT_EQ(PG, unmap.size);
}

TEST_F(map, unmap_part_of_a_mapping)
{
	int c = self->ctx.container;
	uint64_t unmapped = 0;

	VFM_REQUIRE(return, VFM_NEED_V2, .b = self->ctx.b);
	ASSERT_EQ(0, MAP(IOVA, self->buf, 4 * PG));
	EXPECT_EQ(-EINVAL, vfm_unmap(c, IOVA, PG, 0, NULL));
	EXPECT_EQ(-EINVAL, vfm_unmap(c, IOVA + 3 * PG, PG, 0, NULL));
	EXPECT_EQ(-EINVAL, vfm_unmap(c, IOVA + PG, 2 * PG, 0, NULL));
	EXPECT_EQ(-EINVAL, vfm_unmap(c, IOVA - PG, 2 * PG, 0, NULL));
	EXPECT_EQ(-EINVAL, vfm_unmap(c, IOVA + 2 * PG, 4 * PG, 0, NULL));
	/* The mapping is whole. */
	ASSERT_EQ(0, vfm_unmap(c, IOVA, 4 * PG, 0, &unmapped));
	ASSERT_EQ(4 * PG, unmapped);
}

TEST_F(map, unmap_several_mappings)
{
	uint64_t unmapped = 0;

	ASSERT_EQ(0, MAP(IOVA, self->buf, 2 * PG));
	ASSERT_EQ(0, MAP(IOVA + 4 * PG, self->buf + 4 * PG, 2 * PG));
	ASSERT_EQ(0, MAP(IOVA + 8 * PG, self->buf + 8 * PG, 2 * PG));
	/* A range with holes, ending exactly at a mapping's end. */
	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA - 4 * PG, 10 * PG, 0,
			       &unmapped));
	ASSERT_EQ(4 * PG, unmapped);
	ASSERT_EQ(0, MAP(IOVA, self->buf, 2 * PG));
	ASSERT_EQ(-EEXIST, MAP(IOVA + 8 * PG, self->buf, 2 * PG));
}

TEST_F(map, unmap_all)
{
	uint64_t unmapped = 0;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, MAP(IOVA + i * 8 * PG, self->buf + i * 8 * PG,
				 (i + 1) * PG));
	EXPECT_EQ(-EINVAL, vfm_unmap(self->ctx.container, IOVA, 0,
				     VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	EXPECT_EQ(-EINVAL, vfm_unmap(self->ctx.container, 0, PG,
				     VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_EQ(0, vfm_unmap(self->ctx.container, 0, 0,
			       VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	ASSERT_EQ(6 * PG, unmapped);
	ASSERT_EQ(0, vfm_unmap(self->ctx.container, 0, 0,
			       VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	ASSERT_EQ(0, unmapped);
}

TEST_F(map, entry_limit)
{
	char old[32];
	int i, ret;

	/* The limit is read when the container's IOMMU is set. */
	vfm_ctx_close(&self->ctx);
	ASSERT_EQ(0, vfm_param_read(variant->b.module, "dma_entry_limit",
				    old, sizeof(old)));
	ASSERT_EQ(0, vfm_param_write(variant->b.module, "dma_entry_limit",
				     "4"));
	ret = vfm_ctx_open(&self->ctx, &variant->b, 1);
	ASSERT_EQ(0, vfm_param_write(variant->b.module, "dma_entry_limit",
				     old));
	ASSERT_EQ(0, ret);

	ASSERT_EQ(4, vfm_dma_avail(self->ctx.container));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, MAP(IOVA + i * PG, self->buf + i * PG, PG));
	ASSERT_EQ(0, vfm_dma_avail(self->ctx.container));
	ASSERT_EQ(-ENOSPC, MAP(IOVA + 8 * PG, self->buf, PG));
	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA, PG, 0, NULL));
	ASSERT_EQ(1, vfm_dma_avail(self->ctx.container));
	ASSERT_EQ(0, MAP(IOVA + 8 * PG, self->buf, PG));
}

TEST_F(map, device_memory)
{
	struct vfm_edu *edu = &self->ctx.edu[0];
	long vmlck = vfm_vmlck_kb();
	uint64_t unmapped = 0;

	/*
	 * Another device's BAR (here the device's own) mapped for
	 * peer-to-peer DMA: VM_PFNMAP, no struct page, never charged.
	 */
	ASSERT_EQ(0, MAP(IOVA, (void *)edu->bar0, 16 * PG));
	ASSERT_EQ(vmlck, vfm_vmlck_kb());
	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA, 16 * PG, 0,
			       &unmapped));
	ASSERT_EQ(16 * PG, unmapped);
}

/*
 * An unmap whose result cannot be written back: vfio-mirror stores it
 * before it removes anything and unmaps nothing; type1 6.12 unmaps, then
 * fails (uapi.rst, "An unmap is whole or not at all").
 */
TEST_F(map, an_unmap_that_cannot_report_unmaps_nothing)
{
	struct vfio_iommu_type1_dma_unmap *u;
	long vmlck;
	long long pins;
	uint64_t unmapped;
	int c = self->ctx.container;

	u = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, u);
	ASSERT_EQ(0, MAP(IOVA, self->buf, 4 * PG));
	vmlck = vfm_vmlck_kb();
	pins = vfm_pins_outstanding();
	*u = (struct vfio_iommu_type1_dma_unmap){
		.argsz = sizeof(*u), .iova = IOVA, .size = 4 * PG,
	};
	ASSERT_EQ(0, mprotect(u, PG, PROT_READ));

	ASSERT_EQ(-1, ioctl(c, VFIO_IOMMU_UNMAP_DMA, u));
	ASSERT_EQ(EFAULT, errno);
	if (!vfm_is_type1(&variant->b)) {
		ASSERT_EQ(vmlck, vfm_vmlck_kb());
		ASSERT_EQ(pins, vfm_pins_outstanding());
	}
	ASSERT_EQ(0, vfm_unmap(c, IOVA, 4 * PG, 0, &unmapped));
	ASSERT_EQ(vfm_is_type1(&variant->b) ? 0 : 4 * PG, unmapped);
	munmap(u, PG);
}

TEST_HARNESS_MAIN
