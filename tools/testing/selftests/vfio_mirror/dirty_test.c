// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty page tracking for migration (VFIO_IOMMU_DIRTY_PAGES and
 * VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP), as type1 6.12 does it: the
 * errno of every bad request; while an IOMMU group is attached every
 * mapped page is dirty at every report, while only mediated groups are,
 * the pages they pinned, unpinned or wrote since the last report; a
 * group joining and leaving; the user's bitmap written word by word as
 * type1 writes it (bits below a mapping's first bit kept, the rest of its
 * last word cleared), checked against a model of that and, so against
 * type1 itself, in every variant.  The migration capability of GET_INFO.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vfm_test.h"

#define PG		4096ULL
#define BASE		0x400000ULL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define P_RW		(VFM_EMUL_PROT_READ | VFM_EMUL_PROT_WRITE)
#define START		VFIO_IOMMU_DIRTY_PAGES_FLAG_START
#define STOP		VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP
#define WORDS		8
#define GARBAGE		0xa5a5a5a5a5a5a5a5ULL

/* Three mappings with holes, sizes not multiples of 64 pages. */
static const struct { uint64_t page, npages; } maps[] = {
	{ 3, 70 }, { 80, 9 }, { 130, 200 },
};

#define NMAPS		ARRAY_SIZE(maps)
#define SPAN		(330 * PG)

FIXTURE(dirty) {
	struct vfm_ctx ctx;
	uint8_t *buf;
	uint64_t bm[WORDS];
	uint64_t want[WORDS];
	uint64_t base;		/* page of bit 0 of the last report */
	bool type1;
};

FIXTURE_VARIANT(dirty) {
	struct vfm_backend b;
};

#define VFM_FIXTURE dirty
#include "vfm_backends.h"

FIXTURE_SETUP(dirty)
{
	/* Documentation/vfio-mirror/uapi.rst, "Dirty page tracking". */
	self->type1 = vfm_is_type1(&variant->b);
	VFM_REQUIRE(return, VFM_NEED_V2_DIRTY, .b = &variant->b);
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 0))
		return;
	self->buf = vfm_alloc(SPAN);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(dirty)
{
	vfm_ctx_close(&self->ctx);
	vfm_free(self->buf, SPAN);
}

static int map_all(struct vfm_ctx *ctx, uint8_t *buf)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < NMAPS && !ret; i++)
		ret = vfm_map(ctx->container, BASE + maps[i].page * PG,
			      buf + maps[i].page * PG, maps[i].npages * PG, RW);
	return ret;
}

/*
 * What type1 writes for mapping @m into @bm, whose bit 0 is the page
 * @base: @dirty says which of its pages are dirty (NULL: all).
 */
static void model(uint64_t *bm, uint64_t base, unsigned int m,
		  const uint8_t *dirty)
{
	uint64_t off = maps[m].page - base, n = maps[m].npages, p, w;
	unsigned int shift = off % 64;

	for (w = off / 64; w < (off + n + 63) / 64; w++)
		bm[w] = w == off / 64 && shift ?
			bm[w] & ((1ULL << shift) - 1) : 0;
	for (p = 0; p < n; p++)
		if (!dirty || dirty[maps[m].page + p])
			bm[(off + p) / 64] |= 1ULL << ((off + p) % 64);
}

/* The bits of word @w of a report from page @base that no mapping has. */
static uint64_t holes(uint64_t base, unsigned int w)
{
	uint64_t mask = 0, page;
	unsigned int b, m;

	for (b = 0; b < 64; b++) {
		page = base + w * 64 + b;
		for (m = 0; m < NMAPS; m++)
			if (page >= maps[m].page &&
			    page < maps[m].page + maps[m].npages)
				break;
		if (m == NMAPS)
			mask |= 1ULL << b;
	}
	return mask;
}

/*
 * The report is what type1 writes.  type1 6.12 itself may set bits of
 * pages between mappings, stale ones of an earlier report that its
 * in-place shift left behind: only there may its report differ.
 */
static void check_bitmap(struct __test_metadata *_metadata,
			 struct _test_data_dirty *self)
{
	unsigned int w;
	uint64_t ok;

	for (w = 0; w < WORDS; w++) {
		ok = self->type1 ? holes(self->base, w) & ~self->want[w] &
				   self->bm[w] : 0;
		EXPECT_EQ(self->want[w], self->bm[w] & ~ok) {
			TH_LOG("word %u: want %016llx got %016llx", w,
			       (unsigned long long)self->want[w],
			       (unsigned long long)self->bm[w]);
		}
		ASSERT_EQ(0, _metadata->exit_code);
	}
}

#define ASSERT_BITMAP(self)	check_bitmap(_metadata, self)

/* Report mappings [@first, @last] into the garbage-filled self->bm. */
static int get(struct _test_data_dirty *self, unsigned int first,
	       unsigned int last)
{
	uint64_t start = maps[first].page;
	uint64_t end = maps[last].page + maps[last].npages;

	memset(self->bm, 0xa5, sizeof(self->bm));
	memset(self->want, 0xa5, sizeof(self->want));
	self->base = start;
	return vfm_dirty_get(self->ctx.container, BASE + start * PG,
			     (end - start) * PG, PG, self->bm,
			     sizeof(self->bm));
}

/* self->want for mappings [@first, @last] reported with @dirty. */
static void want(struct _test_data_dirty *self, unsigned int first,
		 unsigned int last, const uint8_t *dirty)
{
	unsigned int m;

	for (m = first; m <= last; m++)
		model(self->want, maps[first].page, m, dirty);
}

/* An unmap with a bitmap, @flags more, an argsz @short bytes short. */
static int unmap_raw(int c, uint32_t flags, uint32_t short_by, uint64_t iova,
		     uint64_t size, uint64_t *bm)
{
	struct {
		struct vfio_iommu_type1_dma_unmap u;
		struct vfio_bitmap b;
	} un = {
		.u.argsz = sizeof(un) - short_by,
		.u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | flags,
		.u.iova = iova, .u.size = size,
		.b.pgsize = PG, .b.size = WORDS * 8, .b.data = (__u64 *)bm,
	};

	return ioctl(c, VFIO_IOMMU_UNMAP_DMA, &un) ? -errno : 0;
}

TEST_F(dirty, bad_requests_fail_as_type1)
{
	int c = self->ctx.container, ret;
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get r;
	} arg;
	uint64_t iova = BASE + maps[0].page * PG, size = maps[0].npages * PG;

	if (!vfm_ctx_grow(_metadata, &self->ctx))
		return;
	c = self->ctx.container;
	ASSERT_EQ(0, map_all(&self->ctx, self->buf));

	/* Not tracking. */
	ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova, size, PG, self->bm,
					 sizeof(self->bm)));
	ASSERT_EQ(-EINVAL, vfm_unmap_dirty(c, iova, size, PG, self->bm,
					   sizeof(self->bm), NULL));
	ASSERT_EQ(0, vfm_dirty(c, STOP));

	ASSERT_EQ(-EINVAL, vfm_dirty(c, 0));
	ASSERT_EQ(-EINVAL, vfm_dirty(c, START | STOP));
	ASSERT_EQ(-EINVAL, vfm_dirty(c, 1U << 3));
	ASSERT_EQ(0, vfm_dirty(c, START));
	ASSERT_EQ(0, vfm_dirty(c, START));

	ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova, size, 2 * PG, self->bm,
					 sizeof(self->bm)));
	/* type1 6.12 shifts by __ffs(0) there: undefined (UBSAN says so). */
	if (!self->type1)
		ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova, size, 0, self->bm,
						 sizeof(self->bm)));
	ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova, size, PG, self->bm, 8));
	ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova, 0, PG, self->bm,
					 sizeof(self->bm)));
	ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova + 1, size, PG, self->bm,
					 sizeof(self->bm)));
	ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova, size + 1, PG, self->bm,
					 sizeof(self->bm)));
	/* Cutting a mapping, at either end. */
	ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova + PG, size - PG, PG,
					 self->bm, sizeof(self->bm)));
	ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova, size - PG, PG, self->bm,
					 sizeof(self->bm)));
	ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova, size, PG,
					 (void *)0xffff800000000000ULL,
					 sizeof(self->bm)));
	ASSERT_EQ(-EINVAL, vfm_dirty_get(c, iova, size, PG, self->bm,
					 (1ULL << 28) + 8));
	ret = vfm_dirty_get(c, ~0ULL - PG + 1, 2 * PG, PG, self->bm,
			    sizeof(self->bm));
	ASSERT_EQ(vfm_wrap_err(self->ctx.b, ret), ret);

	/* Too short for the range, on the same request. */
	memset(&arg, 0, sizeof(arg));
	arg.d.argsz = sizeof(arg.d) + sizeof(arg.r) - 1;
	arg.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	ASSERT_EQ(-1, ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &arg));
	ASSERT_EQ(EINVAL, errno);

	/* An unmap with a bitmap takes no other flag, and its page size. */
	ASSERT_EQ(-EINVAL, unmap_raw(c, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, 0,
				     self->bm));
	ASSERT_EQ(-EINVAL, unmap_raw(c, VFIO_DMA_UNMAP_FLAG_VADDR, 0, iova,
				     size, self->bm));
	ASSERT_EQ(-EINVAL, unmap_raw(c, 0, 1, iova, size, self->bm));
	ASSERT_EQ(-EINVAL, vfm_unmap_dirty(c, iova, size, 2 * PG, self->bm,
					   sizeof(self->bm), NULL));
	ASSERT_EQ(-EINVAL, vfm_unmap_dirty(c, iova, size, PG, self->bm, 8,
					   NULL));

	/* None of that unmapped anything. */
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	want(self, 0, NMAPS - 1, NULL);
	ASSERT_BITMAP(self);
	ASSERT_EQ(0, vfm_dirty(c, STOP));
	ASSERT_EQ(0, vfm_dirty(c, STOP));
}

TEST_F(dirty, migration_capability_is_type1s)
{
	struct vfio_iommu_type1_info_cap_migration *mig;
	struct vfio_iommu_type1_info *info;

	if (!vfm_ctx_grow(_metadata, &self->ctx))
		return;
	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	mig = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	ASSERT_NE(NULL, mig);
	ASSERT_EQ(1, mig->header.version);
	ASSERT_EQ(0, mig->flags);
	ASSERT_EQ(PG, mig->pgsize_bitmap);
	/* Bits for INT_MAX pages, in whole 64-bit words. */
	ASSERT_EQ(((0x7fffffffULL + 63) & ~63ULL) / 8,
		  mig->max_dirty_bitmap_size);
	free(info);
}

TEST_F(dirty, iommu_groups_make_every_mapped_page_dirty)
{
	int c;
	uint64_t unmapped;

	if (!vfm_ctx_grow(_metadata, &self->ctx))
		return;
	c = self->ctx.container;
	ASSERT_EQ(0, map_all(&self->ctx, self->buf));
	ASSERT_EQ(0, vfm_dirty(c, START));

	/* Twice: nothing tells what the device wrote. */
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	want(self, 0, NMAPS - 1, NULL);
	ASSERT_BITMAP(self);
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	want(self, 0, NMAPS - 1, NULL);
	ASSERT_BITMAP(self);

	/* Part of the mappings, from another base. */
	ASSERT_EQ(0, get(self, 1, 2));
	want(self, 1, 2, NULL);
	ASSERT_BITMAP(self);

	/* A device's DMA shows in the next report. */
	ASSERT_EQ(0, get(self, 2, 2));
	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0],
				 BASE + (maps[2].page + 5) * PG, 16, true));
	ASSERT_EQ(0, get(self, 2, 2));
	ASSERT_EQ(1, self->bm[0] >> 5 & 1);

	/* A mapping made while tracking; an unmap that reports. */
	ASSERT_EQ(0, vfm_unmap(c, BASE + maps[1].page * PG,
			       maps[1].npages * PG, 0, NULL));
	ASSERT_EQ(0, vfm_map(c, BASE + maps[1].page * PG,
			     self->buf + maps[1].page * PG,
			     maps[1].npages * PG, RW));
	memset(self->bm, 0xa5, sizeof(self->bm));
	memset(self->want, 0xa5, sizeof(self->want));
	self->base = maps[1].page;
	ASSERT_EQ(0, vfm_unmap_dirty(c, BASE + maps[1].page * PG,
				     (maps[2].page + maps[2].npages -
				      maps[1].page) * PG, PG, self->bm,
				     sizeof(self->bm), &unmapped));
	ASSERT_EQ((maps[1].npages + maps[2].npages) * PG, unmapped);
	want(self, 1, 2, NULL);
	ASSERT_BITMAP(self);

	ASSERT_EQ(0, vfm_dirty(c, STOP));
	ASSERT_EQ(-EINVAL, get(self, 0, 0));
}

TEST_F(dirty, mediated_devices_dirty_what_they_pin_and_write)
{
	uint8_t dirty[330] = { 0 }, data[PG + 8];
	int c, fd;

	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	c = self->ctx.container;
	fd = self->ctx.emul_fd[0];
	ASSERT_EQ(0, map_all(&self->ctx, self->buf));

	/* Pinned before tracking starts: dirty from the start. */
	ASSERT_EQ(0, vfm_emul_pin(fd, BASE + 10 * PG, 1, P_RW, NULL));
	ASSERT_EQ(0, vfm_dirty(c, START));
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	dirty[10] = 1;
	want(self, 0, NMAPS - 1, dirty);
	ASSERT_BITMAP(self);

	/* Pinned, and unpinned before the report: still dirty once. */
	ASSERT_EQ(0, vfm_emul_pin(fd, BASE + 131 * PG, 2, P_RW, NULL));
	ASSERT_EQ(0, vfm_emul_unpin(fd, BASE + 10 * PG, 1));
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	dirty[131] = 1;
	dirty[132] = 1;
	want(self, 0, NMAPS - 1, dirty);
	ASSERT_BITMAP(self);
	dirty[10] = 0;
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	want(self, 0, NMAPS - 1, dirty);
	ASSERT_BITMAP(self);

	/* Written with vfio_dma_rw(): every page it touched; read: none. */
	ASSERT_EQ(0, vfm_emul_rw(fd, BASE + 20 * PG - 4, data, sizeof(data),
				 true));
	ASSERT_EQ(0, vfm_emul_rw(fd, BASE + 85 * PG, data, 64, false));
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	memset(dirty + 19, 1, 3);
	want(self, 0, NMAPS - 1, dirty);
	ASSERT_BITMAP(self);
	memset(dirty + 19, 0, 3);

	ASSERT_EQ(0, vfm_emul_unpin(fd, BASE + 131 * PG, 2));
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	want(self, 0, NMAPS - 1, dirty);
	ASSERT_BITMAP(self);
	/* Reported, and no longer pinned: clean. */
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	memset(dirty, 0, sizeof(dirty));
	want(self, 0, NMAPS - 1, dirty);
	ASSERT_BITMAP(self);
	ASSERT_EQ(0, vfm_dirty(c, STOP));
}

TEST_F(dirty, groups_joining_and_leaving_while_tracking)
{
	uint8_t dirty[330] = { 0 };
	int c, fd;

	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	c = self->ctx.container;
	fd = self->ctx.emul_fd[0];
	ASSERT_EQ(0, map_all(&self->ctx, self->buf));
	ASSERT_EQ(0, vfm_dirty(c, START));
	ASSERT_EQ(0, vfm_emul_pin(fd, BASE + 81 * PG, 1, P_RW, NULL));
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	dirty[81] = 1;
	want(self, 0, NMAPS - 1, dirty);
	ASSERT_BITMAP(self);

	/* An IOMMU group joins: the replay maps it all, all is dirty. */
	if (!vfm_ctx_grow(_metadata, &self->ctx))
		return;
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	want(self, 0, NMAPS - 1, NULL);
	ASSERT_BITMAP(self);

	/* It leaves: what it wrote is reported once more, in full. */
	ASSERT_EQ(0, vfm_ctx_remove(&self->ctx));
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	want(self, 0, NMAPS - 1, NULL);
	ASSERT_BITMAP(self);
	ASSERT_EQ(0, get(self, 0, NMAPS - 1));
	want(self, 0, NMAPS - 1, dirty);
	ASSERT_BITMAP(self);
	ASSERT_EQ(0, vfm_emul_unpin(fd, BASE + 81 * PG, 1));
}

/* type1 refuses to track a mapping with more than INT_MAX pages. */
TEST_F(dirty, huge_mappings_cannot_be_tracked)
{
	uint64_t size = 0x80000000ULL * PG;
	int c;

	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	c = self->ctx.container;
	/* Mediated groups alone pin nothing: the memory is never touched. */
	ASSERT_EQ(0, vfm_map(c, 1ULL << 44, (void *)(1ULL << 44), size, RW));
	ASSERT_EQ(-EINVAL, vfm_dirty(c, START));
	ASSERT_EQ(-EINVAL, get(self, 0, 0));
	ASSERT_EQ(0, vfm_unmap(c, 1ULL << 44, size, 0, NULL));
	ASSERT_EQ(0, vfm_dirty(c, START));
	ASSERT_EQ(-EINVAL, vfm_map(c, 1ULL << 44, (void *)(1ULL << 44), size,
				   RW));
	ASSERT_EQ(0, vfm_map(c, 1ULL << 44, (void *)(1ULL << 44), 1ULL << 30,
			     RW));
	ASSERT_EQ(0, vfm_dirty(c, STOP));
}

/*
 * A report that cannot be written whole clears nothing: a page a device
 * wrote stays dirty for the next report.  The bits of a 128 MiB mapping
 * fill one page of bitmap, and the next mapping's fall on a read-only
 * page.  type1 6.12 clears each mapping's bits once they are copied, so
 * the page is lost there (uapi.rst, "An unmap is whole or not at all").
 */
TEST_F(dirty, a_report_not_written_whole_clears_nothing)
{
	const uint64_t iova = 1ULL << 32, big = 32768 * PG;
	uint64_t *bm;
	uint8_t data[64] = { 1 }, *mem;
	int c, fd;

	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	c = self->ctx.container;
	fd = self->ctx.emul_fd[0];
	/* Mediated groups alone pin nothing: only page 5 is ever touched. */
	mem = mmap(NULL, big + PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	bm = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bm);
	ASSERT_EQ(0, vfm_map(c, iova, mem, big, RW));
	ASSERT_EQ(0, vfm_map(c, iova + big, mem + big, PG, RW));
	ASSERT_EQ(0, vfm_dirty(c, START));
	ASSERT_EQ(0, vfm_dirty_get(c, iova, big + PG, PG, bm, PG + 8));
	ASSERT_EQ(0, vfm_emul_rw(fd, iova + 5 * PG, data, sizeof(data), true));

	ASSERT_EQ(0, mprotect((uint8_t *)bm + PG, PG, PROT_READ));
	ASSERT_EQ(-EFAULT, vfm_dirty_get(c, iova, big + PG, PG, bm, PG + 8));
	ASSERT_EQ(0, mprotect((uint8_t *)bm + PG, PG, PROT_READ | PROT_WRITE));
	memset(bm, 0, 2 * PG);
	ASSERT_EQ(0, vfm_dirty_get(c, iova, big + PG, PG, bm, PG + 8));
	ASSERT_EQ(self->type1 ? 0 : 1ULL << 5, bm[0]);
	ASSERT_EQ(0, vfm_dirty(c, STOP));
	ASSERT_EQ(0, vfm_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	munmap(bm, 2 * PG);
	munmap(mem, big + PG);
}

TEST_HARNESS_MAIN
