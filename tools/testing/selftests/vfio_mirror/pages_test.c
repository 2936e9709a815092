// SPDX-License-Identifier: GPL-2.0-only
/*
 * The edges of the page store's fast paths: memory pinned a folio at a
 * time and mapped a run at a time, frames read back from a domain rather
 * than recorded, and device memory (a VM_PFNMAP mapping of a BAR) looked
 * up a page-table leaf at a time.
 *
 * Each mapping is proven three ways: the edu device's DMA through it, the
 * frames a mock domain gets when it joins (replayed, so read back from
 * the first domain) against /proc/self/pagemap or the BAR's address, and
 * every pin and every page of locked_vm back when it goes.  Every test
 * runs against vfio_iommu_type1 too.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG		4096ULL
#define SZ_2M		(2ULL << 20)
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define IOVA		0x4000000ULL	/* 2 MiB aligned, below EDU_IOVA_LIMIT */
#define IOVA_DST	0x200000ULL
#define LEN		EDU_DMA_MAX

FIXTURE(pages) {
	struct vfm_ctx ctx;
	char *dst;
	long vmlck;
	long long pins;
	long hugepages;
};

FIXTURE_VARIANT(pages) {
	struct vfm_backend b;
};

#define VFM_FIXTURE pages
#include "vfm_backends.h"

FIXTURE_SETUP(pages)
{
	self->hugepages = -1;
	if (!vfm_mocks_ready(_metadata))
		return;
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->dst = vfm_alloc(PG);
	ASSERT_NE(NULL, self->dst);
	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA_DST, self->dst, PG,
			     RW));
	self->hugepages = vfm_hugepages(-1);
	self->vmlck = vfm_vmlck_kb();
	self->pins = vfm_pins_outstanding();
}

FIXTURE_TEARDOWN(pages)
{
	int n;

	vfm_ctx_close(&self->ctx);
	vfm_free(self->dst, PG);
	if (self->hugepages >= 0)
		vfm_hugepages(self->hugepages);
	for (n = 0; n < VFM_MAX_MOCK; n++)
		vfm_mock_reset(n);
}

/* The edu device reads @len bytes at @iova: they are @expect. */
static void check_dma(struct __test_metadata *_metadata, struct vfm_ctx *ctx,
		      char *dst, uint64_t iova, const char *expect)
{
	memset(dst, VFM_POISON, LEN);
	ASSERT_EQ(0, vfm_edu_dma(&ctx->edu[0], iova, LEN, false));
	ASSERT_EQ(0, vfm_edu_dma(&ctx->edu[0], IOVA_DST, LEN, true));
	ASSERT_EQ(0, memcmp(expect, dst, LEN)) {
		TH_LOG("the device did not read what is at IOVA %#llx",
		       (unsigned long long)iova);
	}
}

/*
 * Mock 0 joins, so a domain of its own gets every mapping replayed: each
 * page of [@iova, @iova + @size) translates to the frame behind @buf (or,
 * with @phys, to @phys on), read-write.  Returns the leaves of 2 MiB.
 */
static int check_mock(struct __test_metadata *_metadata, struct vfm_ctx *ctx,
		      uint64_t iova, const char *buf, uint64_t phys,
		      uint64_t size)
{
	struct vfm_mock_leaf *leaves;
	int nr, i, big = 0;
	uint64_t off;

	ASSERT_EQ(0, vfm_ctx_attach_mock(ctx, 0));
	nr = vfm_mock_leaves(0, &leaves);
	ASSERT_LE(0, nr);
	for (off = 0; off < size; off += PG) {
		uint64_t want = phys ? phys + off : vfm_phys_of(buf + off);
		const struct vfm_mock_leaf *l = NULL;

		for (i = 0; i < nr && !l; i++)
			if (iova + off >= leaves[i].iova &&
			    iova + off < leaves[i].iova + leaves[i].size)
				l = &leaves[i];
		ASSERT_NE(NULL, l) {
			TH_LOG("IOVA %#llx not in the mock's domain",
			       (unsigned long long)(iova + off));
		}
		ASSERT_NE(0, want);
		ASSERT_EQ(want, l->phys + (iova + off - l->iova)) {
			TH_LOG("IOVA %#llx: the wrong frame",
			       (unsigned long long)(iova + off));
		}
		ASSERT_EQ(3, l->prot);
	}
	for (i = 0; i < nr; i++)
		big += leaves[i].size == SZ_2M;
	free(leaves);
	ASSERT_EQ(0, vfm_ctx_detach_mock(ctx, 0));
	return big;
}

/* Every page of locked_vm and every pin taken since then is back. */
static void check_released(struct __test_metadata *_metadata, long vmlck,
			   long long pins)
{
	ASSERT_EQ(vmlck, vfm_vmlck_kb());
	ASSERT_EQ(pins, vfm_pins_outstanding());
}

/*
 * One mapping over a hugetlbfs 2 MiB page, 4 MiB of THP and 64 KiB of
 * 4 KiB pages, back to back in the address space: folios of three kinds,
 * each run cut where the memory is discontiguous.
 */
TEST_F(pages, a_mapping_of_hugetlb_thp_and_4k_pages)
{
	const uint64_t huge = SZ_2M, thp = 2 * SZ_2M, small = 16 * PG;
	const uint64_t size = huge + thp + small;
	long long pins = vfm_pins_outstanding();
	char *va, *p;

	ASSERT_LE(0, vfm_hugepages(self->hugepages + 1));
	va = mmap(NULL, size + SZ_2M, PROT_NONE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, va);
	va = (char *)(((uintptr_t)va + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	p = mmap(va, huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED, -1, 0);
	ASSERT_EQ(va, p);
	p = mmap(va + huge, thp + small, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(va + huge, p);
	ASSERT_EQ(0, madvise(va + huge, thp, MADV_HUGEPAGE));
	ASSERT_EQ(0, madvise(va + huge + thp, small, MADV_NOHUGEPAGE));
	vfm_fill(va, size, 0x5ea);

	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA, va, size, RW));
	ASSERT_EQ(size / PG, vfm_pins_outstanding() - pins);
	ASSERT_EQ(size / 1024, vfm_vmlck_kb() - self->vmlck);
	check_dma(_metadata, &self->ctx, self->dst, IOVA, va);
	check_dma(_metadata, &self->ctx, self->dst, IOVA + huge - 2048,
		  va + huge - 2048);
	check_dma(_metadata, &self->ctx, self->dst, IOVA + huge + thp - 2048,
		  va + huge + thp - 2048);
	check_dma(_metadata, &self->ctx, self->dst, IOVA + size - LEN,
		  va + size - LEN);
	check_mock(_metadata, &self->ctx, IOVA, va, 0, size);

	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA, size, 0, NULL));
	ASSERT_EQ(pins, vfm_pins_outstanding());
	munmap(va, size);
	check_released(_metadata, self->vmlck, self->pins);
}

/*
 * A mapping that starts in the middle of one THP and ends in the middle
 * of the next: its runs begin and end inside folios.
 */
TEST_F(pages, a_mapping_that_cuts_through_folios)
{
	const uint64_t size = SZ_2M;
	long long pins = vfm_pins_outstanding();
	char *thp = vfm_alloc(3 * SZ_2M), *va;

	ASSERT_NE(NULL, thp);
	va = (char *)(((uintptr_t)thp + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	ASSERT_EQ(0, madvise(va, 2 * SZ_2M, MADV_HUGEPAGE));
	vfm_fill(va, 2 * SZ_2M, 0xf01);
	va += SZ_2M / 2 + 3 * PG;

	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA + 5 * PG, va, size,
			     RW));
	ASSERT_EQ(size / PG, vfm_pins_outstanding() - pins);
	check_dma(_metadata, &self->ctx, self->dst, IOVA + 5 * PG, va);
	check_dma(_metadata, &self->ctx, self->dst,
		  IOVA + 5 * PG + size - LEN, va + size - LEN);
	check_mock(_metadata, &self->ctx, IOVA + 5 * PG, va, 0, size);
	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA + 5 * PG, size, 0,
			       NULL));
	ASSERT_EQ(pins, vfm_pins_outstanding());
	vfm_free(thp, 3 * SZ_2M);
	check_released(_metadata, self->vmlck, self->pins);
}

/*
 * A BAR mapped for peer-to-peer DMA: nothing pinned or charged, the
 * device's own bus addresses behind every IOVA, at the start and the end
 * of the BAR, whether the process maps it at a 2 MiB boundary (2 MiB
 * page-table leaves) or 4 KiB off one (4 KiB leaves, so the frames are
 * looked up a page at a time); and the mock, which takes 2 MiB pages,
 * gets it in 2 MiB pages: IOVA and BAR are both 2 MiB aligned.
 */
static void check_bar(struct __test_metadata *_metadata,
		      struct vfm_ctx *ctx, char *dst, size_t skew)
{
	static const struct vfm_backend type1 = VFM_BACKEND_TYPE1;
	long long pins = vfm_pins_outstanding();
	long vmlck = vfm_vmlck_kb();
	struct vfm_bar bar;
	uint64_t size;
	int big, ret;

	VFM_REQUIRE(return, VFM_NEED_IVSHMEM);
	ret = vfm_bar_open(&bar, &type1, IVSHMEM_VENDOR, IVSHMEM_DEVICE,
			   IVSHMEM_BAR, skew);
	ASSERT_EQ(0, ret);
	/* What the BAR holds: the device reads it back through the IOMMU. */
	size = bar.size & ~(SZ_2M - 1);
	vfm_fill((char *)bar.map, LEN, 0xba5);
	vfm_fill((char *)bar.map + size - LEN, LEN, 0xba6);

	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_PGSIZES, 0x201000));
	ASSERT_EQ(0, vfm_map(ctx->container, IOVA, (char *)bar.map, size,
			     RW));
	ASSERT_EQ(pins, vfm_pins_outstanding());
	ASSERT_EQ(vmlck, vfm_vmlck_kb());
	check_dma(_metadata, ctx, dst, IOVA, (char *)bar.map);
	check_dma(_metadata, ctx, dst, IOVA + size - LEN,
		  (char *)bar.map + size - LEN);
	big = check_mock(_metadata, ctx, IOVA, NULL, bar.phys, size);
	ASSERT_EQ(size / SZ_2M, big);
	ASSERT_EQ(0, vfm_unmap(ctx->container, IOVA, size, 0, NULL));
	ASSERT_EQ(pins, vfm_pins_outstanding());
	vfm_bar_close(&bar);
	ASSERT_EQ(vmlck, vfm_vmlck_kb());
}

TEST_F(pages, a_bar_at_a_2m_boundary)
{
	check_bar(_metadata, &self->ctx, self->dst, 0);
	check_released(_metadata, self->vmlck, self->pins);
}

TEST_F(pages, a_bar_4k_off_a_2m_boundary)
{
	check_bar(_metadata, &self->ctx, self->dst, PG);
	check_released(_metadata, self->vmlck, self->pins);
}

/*
 * Device memory whose frames do not follow one another (the mock's
 * pfnmap: 4 KiB entries, each pair of frames swapped): looked up a
 * page-table leaf at a time, no frame is taken for the one after it.
 * (/proc/self/pagemap shows no frames of such a mapping: the device's
 * DMA is the proof.)
 */
TEST_F(pages, device_memory_that_is_not_linear)
{
	static const unsigned int pages[] = { 0, 1, 2, 15 };
	const uint64_t size = 16 * PG;
	long long pins = vfm_pins_outstanding();
	unsigned int i;
	char *va;
	int fd;

	fd = open(VFM_MOCK_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	va = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, va);
	vfm_fill(va, size, 0x1e4);

	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA, va, size, RW));
	ASSERT_EQ(pins, vfm_pins_outstanding());
	/* Both pages of the first pair, the next pair, the last page. */
	for (i = 0; i < ARRAY_SIZE(pages); i++)
		check_dma(_metadata, &self->ctx, self->dst,
			  IOVA + pages[i] * PG + 1, va + pages[i] * PG + 1);
	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA, size, 0, NULL));
	munmap(va, size);
	close(fd);
	check_released(_metadata, self->vmlck, self->pins);
}

/*
 * Under the v1 rules an unmap that covers the first page of a mapping
 * removes all of it, whatever its page sizes; one that starts inside it
 * removes nothing.  Under the v2 rules both fail, and keep the pins.  A
 * mapping of two hugetlbfs 2 MiB pages.
 */
FIXTURE(v1huge) {
	struct vfm_ctx ctx;
	long hugepages;
};

FIXTURE_VARIANT(v1huge) {
	struct vfm_backend b;
};

#define VFM_FIXTURE v1huge
#include "vfm_backends.h"

FIXTURE_SETUP(v1huge)
{
	self->hugepages = -1;
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->hugepages = vfm_hugepages(-1);
}

FIXTURE_TEARDOWN(v1huge)
{
	vfm_ctx_close(&self->ctx);
	if (self->hugepages >= 0)
		vfm_hugepages(self->hugepages);
}

TEST_F(v1huge, a_partial_unmap_of_a_huge_mapping)
{
	long long pins = vfm_pins_outstanding();
	long vmlck = vfm_vmlck_kb();
	uint64_t unmapped;
	char *huge;
	int ret;

	ASSERT_LE(0, vfm_hugepages(self->hugepages + 2));
	huge = mmap(NULL, 2 * SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, huge);
	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA, huge, 2 * SZ_2M, RW));
	ASSERT_EQ(2 * SZ_2M / PG, vfm_pins_outstanding() - pins);

	/* From inside the mapping: nothing (v2: it bisects, EINVAL). */
	ret = vfm_unmap(self->ctx.container, IOVA + SZ_2M, SZ_2M, 0,
			&unmapped);
	if (variant->b.v2) {
		ASSERT_EQ(-EINVAL, ret);
	} else {
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, unmapped);
	}
	ASSERT_EQ(2 * SZ_2M / PG, vfm_pins_outstanding() - pins);
	/* Over its first page: all of it (v2: it bisects, EINVAL). */
	ret = vfm_unmap(self->ctx.container, IOVA, SZ_2M, 0, &unmapped);
	if (variant->b.v2) {
		ASSERT_EQ(-EINVAL, ret);
		ASSERT_EQ(2 * SZ_2M / PG, vfm_pins_outstanding() - pins);
		ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA, 2 * SZ_2M,
				       0, &unmapped));
	} else {
		ASSERT_EQ(0, ret);
	}
	ASSERT_EQ(2 * SZ_2M, unmapped);
	ASSERT_EQ(pins, vfm_pins_outstanding());
	ASSERT_EQ(vmlck, vfm_vmlck_kb());
	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA, 2 * SZ_2M, 0,
			       &unmapped));
	ASSERT_EQ(0, unmapped);
	munmap(huge, 2 * SZ_2M);
}

TEST_HARNESS_MAIN
