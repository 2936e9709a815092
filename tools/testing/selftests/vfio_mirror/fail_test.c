// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every allocation failure survived.  Each operation vfio-mirror serves is
 * run again and again with the N-th allocation (slab or page) or user copy
 * of the calling thread failed, through the kernel's fault injection
 * (/proc/thread-self/fail-nth), for N = 1, 2, 3, ... until the operation
 * succeeds with nothing injected; the IOMMU driver's own failures too,
 * with the mock IOMMU failing its N-th map.  After each failed step:
 *
 *  - the call returned an errno, and left nothing behind: the pinned
 *    pages, VmLck, vfio-mirror's counters, GET_INFO's page sizes and
 *    ranges and the mock domain's page table are what they were;
 *  - the container still works: an edu device's DMA to a mapped IOVA
 *    lands, and one to an unmapped IOVA faults and is reported;
 *  - undoing what the operation did brings every counter back to where
 *    the step began.
 *
 * Loading each module is failed the same way, at every point its own code
 * reaches (not the module loader's): a load that fails is gone, holds
 * nothing, left no kprobe and registered no backend, and the next load
 * works.
 *
 * The guest fails the run on any WARNING, BUG, lockdep or KASAN report,
 * and on kmemleak's scan at its end.  Each operation prints the N at which
 * it first succeeded (testing.rst has the table).  Only the debug guest's
 * kernel has fault injection.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "vfm_test.h"

#define PG		4096UL
#define LEN		256	/* bytes a DMA of the check moves */
#define IOVA_SRC	0x100000ULL	/* mapped by the fixture */
#define IOVA_DST	0x200000ULL	/* mapped by the fixture */
#define IOVA_HOLE	0x300000ULL	/* never mapped: DMA there faults */
#define IOVA_MOCK_FAULT	0x380000ULL	/* never mapped: the mock's faults */
#define IOVA_OP		0x400000ULL	/* what the operations map */
#define OP_PAGES	16
#define OP_LEN		(OP_PAGES * PG)
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
/*
 * An operation whose injection points pass this is not looping forever
 * but has grown: raise it.
 */
#define FAIL_NTH_MAX	3000

#define FAIL_NTH	"/proc/thread-self/fail-nth"
/* Seconds one operation's loop may take in the debug guest. */
#define FAIL_TIMEOUT	600

static const struct vfm_backend mirror = VFM_BACKEND_MIRROR;

/* What a failed step must leave as it found it. */
struct fail_snap {
	long vmlck;
	long long pins;
	long long stat[4];
	int ninfo;
	uint8_t info[1024];
	int nleaves;
	struct vfm_mock_leaf leaves[64];
};

static const char *const fail_stats[] = {
	"containers", "mappings", "pinned_pages", "locked_pages",
};

/* What the operations work on: the fixture's, passed to each. */
struct fail_env {
	struct vfm_ctx ctx;
	int nth;		/* FAIL_NTH, opened once */
	uint8_t *src, *dst;	/* behind IOVA_SRC and IOVA_DST */
	uint8_t *mem;		/* OP_LEN for the operations */
	uint8_t pattern[LEN];	/* what the device holds */
	/* For the operations that need more than the fixture's container. */
	struct vfm_ctx other;
	int group_fd;
	int container;
	int efd;
	int emul;
};

FIXTURE(fail) {
	struct fail_env env;
};

/**
 * struct fail_op - one operation, failed at each of its points in turn
 * @name: what the table in testing.rst calls it.
 * @prepare: make what it needs, outside the injection.
 * @run: the operation: 0 or -errno.
 * @undo: take away what @prepare made, and what @run did if @ok.
 * @closes: @run ends something that cannot fail (a release): after it,
 *	everything must be as before @prepare.
 */
struct fail_op {
	const char *name;
	void (*prepare)(struct __test_metadata *_metadata,
			struct fail_env *self);
	int (*run)(struct fail_env *self);
	void (*undo)(struct __test_metadata *_metadata,
		     struct fail_env *self, bool ok);
	bool closes;
};

static void fail_nth_setup(struct __test_metadata *_metadata)
{
	static const char *const attrs[][2] = {
		/* Fail GFP_KERNEL allocations too, and pages of any order. */
		{ "failslab/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
		/* No stack dump per injected failure. */
		{ "failslab/verbose", "0" },
		{ "fail_page_alloc/verbose", "0" },
		{ "fail_usercopy/verbose", "0" },
	};
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s",
			 attrs[i][0]);
		ASSERT_EQ(0, vfm_param_write_path(path, attrs[i][1])) {
			TH_LOG("%s", path);
		}
	}
}

static void nth_arm(struct __test_metadata *_metadata, int fd, int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	ASSERT_EQ(len, pwrite(fd, buf, len, 0));
}

/*
 * Was the armed failure injected?  The read and the write that disarm it
 * copy to and from user space, and may be what consumes the count: a read
 * that fails with EFAULT was the N-th point itself, so the operation was
 * not.
 */
static bool nth_disarm(struct __test_metadata *_metadata, int fd)
{
	char buf[16] = "";
	ssize_t len;
	bool injected;
	int tries;

	len = pread(fd, buf, sizeof(buf) - 1, 0);
	if (len < 0) {
		EXPECT_EQ(EFAULT, errno);
		injected = false;
	} else {
		injected = atoi(buf) == 0;
	}
	for (tries = 0; pwrite(fd, "0", 1, 0) != 1; tries++) {
		ASSERT_EQ(EFAULT, errno);
		ASSERT_GT(2, tries);
	}
	return injected;
}

static void snap(struct __test_metadata *_metadata, struct fail_env *self,
		 struct fail_snap *s)
{
	struct vfm_mock_leaf *leaves;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->vmlck = vfm_vmlck_kb();
	s->pins = vfm_pins_outstanding();
	for (i = 0; i < ARRAY_SIZE(fail_stats); i++) {
		s->stat[i] = vfm_mirror_stat(fail_stats[i]);
		ASSERT_LE(0, s->stat[i]);
	}
	s->ninfo = vfm_info_blob(self->ctx.container, s->info,
				 sizeof(s->info));
	ASSERT_LT(0, s->ninfo);
	s->nleaves = vfm_mock_leaves(0, &leaves);
	ASSERT_LE(0, s->nleaves);
	ASSERT_GE(ARRAY_SIZE(s->leaves), s->nleaves);
	memcpy(s->leaves, leaves, s->nleaves * sizeof(*leaves));
	free(leaves);
}

static void snap_same(struct __test_metadata *_metadata,
		      const struct fail_snap *a, const struct fail_snap *b,
		      const char *what, const char *name, int n)
{
	size_t i;

	ASSERT_EQ(a->pins, b->pins) {
		TH_LOG("%s, N=%d: pinned pages, %s", name, n, what);
	}
	ASSERT_EQ(a->vmlck, b->vmlck) {
		TH_LOG("%s, N=%d: VmLck, %s", name, n, what);
	}
	for (i = 0; i < ARRAY_SIZE(fail_stats); i++) {
		const char *stat = fail_stats[i];

		ASSERT_EQ(a->stat[i], b->stat[i]) {
			TH_LOG("%s, N=%d: vfio_mirror's %s, %s", name, n, stat,
			       what);
		}
	}
	ASSERT_EQ(a->ninfo, b->ninfo);
	ASSERT_EQ(0, memcmp(a->info, b->info, a->ninfo)) {
		TH_LOG("%s, N=%d: GET_INFO, %s", name, n, what);
	}
	ASSERT_EQ(a->nleaves, b->nleaves) {
		TH_LOG("%s, N=%d: mock 0's page table, %s", name, n, what);
	}
	ASSERT_EQ(0, memcmp(a->leaves, b->leaves,
			    a->nleaves * sizeof(a->leaves[0]))) {
		TH_LOG("%s, N=%d: mock 0's page table, %s", name, n, what);
	}
}

/*
 * The container works: the device's buffer lands at a mapped IOVA, and a
 * DMA to an unmapped one is reported as a fault at that IOVA.
 */
static void check_works(struct __test_metadata *_metadata,
			struct vfm_ctx *ctx, uint8_t *dst,
			const uint8_t *pattern)
{
	struct vfio_mirror_fault recs[8];
	int n, i;
	bool seen = false;

	memset(dst, VFM_POISON, LEN);
	ASSERT_EQ(0, vfm_edu_dma(&ctx->edu[0], IOVA_DST, LEN, true));
	ASSERT_EQ(0, memcmp(dst, pattern, LEN));

	ASSERT_EQ(0, vfm_edu_dma(&ctx->edu[0], IOVA_HOLE, LEN, true));
	/* A late record would be counted by the next read of the test. */
	n = vfm_faults_collect(ctx->container, recs, ARRAY_SIZE(recs), 1,
			       3000, 20);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++)
		if (recs[i].iova >= IOVA_HOLE && recs[i].iova < IOVA_HOLE + PG)
			seen = true;
	ASSERT_TRUE(seen);
}

static int fail_points(const struct fail_op *op, int n, int absorbed)
{
	ksft_print_msg("fail-nth %s: succeeds at N=%d (%d absorbed)\n",
		       op->name, n, absorbed);
	return n;
}

/*
 * Run @op with the N-th point failed, for N = 1, 2, ... until nothing is
 * injected.  @mock >= 0: the N-th map of that mock device's domain fails
 * instead of the N-th allocation or copy.
 */
static void fail_loop(struct __test_metadata *_metadata,
		      struct fail_env *self, const struct fail_op *op,
		      int mock)
{
	struct fail_snap s0, s1, s2;
	struct vfm_mock_config cfg;
	int n, ret, absorbed = 0;
	bool injected;

	for (n = 1; n <= FAIL_NTH_MAX; n++) {
		snap(_metadata, self, &s0);
		if (op->prepare)
			op->prepare(_metadata, self);
		snap(_metadata, self, &s1);

		if (mock >= 0) {
			ASSERT_EQ(0, vfm_mock_set(mock, VFM_MOCK_CFG_FAIL_MAP_AT,
						  n));
			ret = op->run(self);
			ASSERT_EQ(0, vfm_mock_get(mock, &cfg));
			injected = !cfg.fail_map_at;
			ASSERT_EQ(0, vfm_mock_set(mock, VFM_MOCK_CFG_FAIL_MAP_AT,
						  0));
		} else {
			nth_arm(_metadata, self->nth, n);
			ret = op->run(self);
			injected = nth_disarm(_metadata, self->nth);
		}

		if (!injected) {
			ASSERT_EQ(0, ret) {
				TH_LOG("%s: %s with nothing injected", op->name,
				       strerror(-ret));
			}
			if (op->undo)
				op->undo(_metadata, self, true);
			snap(_metadata, self, &s2);
			snap_same(_metadata, &s0, &s2, "after its undo",
				  op->name, n);
			fail_points(op, n, absorbed);
			return;
		}

		ASSERT_GE(0, ret);
		if (op->closes) {
			snap(_metadata, self, &s2);
			snap_same(_metadata, &s0, &s2, "after the release",
				  op->name, n);
		} else if (ret) {
			snap(_metadata, self, &s2);
			snap_same(_metadata, &s1, &s2, "after the failure",
				  op->name, n);
		} else {
			absorbed++;
		}
		/*
		 * Undone first (it checks what the failure left, such as the
		 * records a failed read kept), then the container must work
		 * as the fixture made it.
		 */
		if (op->undo)
			op->undo(_metadata, self, !ret);
		snap(_metadata, self, &s2);
		snap_same(_metadata, &s0, &s2, "after its undo", op->name, n);
		check_works(_metadata, &self->ctx, self->dst, self->pattern);
	}
	ASSERT_GE(FAIL_NTH_MAX, n) {
		TH_LOG("%s: more than %d injection points", op->name,
		       FAIL_NTH_MAX);
	}
}

FIXTURE_SETUP(fail)
{
	struct fail_env *e = &self->env;
	int ret;

	e->nth = -1;
	e->ctx.container = -1;
	e->other.container = -1;
	e->group_fd = -1;
	e->container = -1;
	e->efd = -1;
	VFM_REQUIRE(return, VFM_NEED_FILE, .what = "/proc/self/fail-nth");
	VFM_REQUIRE(return, VFM_NEED_BACKEND, .b = &mirror);
	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 1);
	if (!vfm_mocks_ready(_metadata))
		return;
	fail_nth_setup(_metadata);
	e->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, e->nth);

	e->src = vfm_alloc(PG);
	e->dst = vfm_alloc(PG);
	e->mem = vfm_alloc(OP_LEN);
	ASSERT_NE(NULL, e->src);
	ASSERT_NE(NULL, e->dst);
	ASSERT_NE(NULL, e->mem);
	vfm_fill(e->src, PG, 0x5eed);
	memcpy(e->pattern, e->src, LEN);

	/* The edu device's domain and the mock's: two domains to mirror. */
	ret = vfm_ctx_open(&e->ctx, &mirror, 1);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, vfm_ctx_attach_mock(&e->ctx, 0));
	ASSERT_EQ(0, vfm_map(e->ctx.container, IOVA_SRC, e->src, PG,
			     RW));
	ASSERT_EQ(0, vfm_map(e->ctx.container, IOVA_DST, e->dst, PG,
			     RW));
	ASSERT_EQ(0, vfm_edu_dma(&e->ctx.edu[0], IOVA_SRC, LEN, false));
	check_works(_metadata, &e->ctx, e->dst, e->pattern);
}

FIXTURE_TEARDOWN(fail)
{
	struct fail_env *e = &self->env;

	if (e->nth >= 0)
		close(e->nth);
	if (e->group_fd >= 0)
		close(e->group_fd);
	if (e->container >= 0)
		close(e->container);
	if (e->efd >= 0)
		close(e->efd);
	if (e->other.container >= 0)
		vfm_ctx_close(&e->other);
	if (e->ctx.container >= 0)
		vfm_ctx_close(&e->ctx);
}

/* MAP_DMA and UNMAP_DMA. */

static int run_map(struct fail_env *self)
{
	return vfm_map(self->ctx.container, IOVA_OP, self->mem, OP_LEN, RW);
}

static void undo_unmap(struct __test_metadata *_metadata,
		       struct fail_env *self, bool ok)
{
	uint64_t unmapped;

	ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA_OP, OP_LEN, 0,
			       &unmapped));
	ASSERT_EQ(ok ? OP_LEN : 0, unmapped);
}

/* Memory never touched: the pin faults every page in. */
static void prepare_fresh(struct __test_metadata *_metadata,
			  struct fail_env *self)
{
	ASSERT_EQ(0, madvise(self->mem, OP_LEN, MADV_DONTNEED));
}

TEST_F_TIMEOUT(fail, map_dma, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "MAP_DMA, 16 pages never touched",
		.prepare = prepare_fresh, .run = run_map, .undo = undo_unmap,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

TEST_F_TIMEOUT(fail, map_dma_mock_map_fails, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "MAP_DMA, the mock domain's N-th map fails",
		.run = run_map, .undo = undo_unmap,
	};

	/* One map per page. */
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_PGSIZES, PG));
	fail_loop(_metadata, &self->env, &op, 0);
}

static void prepare_mapped(struct __test_metadata *_metadata,
			   struct fail_env *self)
{
	ASSERT_EQ(0, run_map(self));
}

static int run_unmap(struct fail_env *self)
{
	return vfm_unmap(self->ctx.container, IOVA_OP, OP_LEN, 0, NULL);
}

static void undo_mapped(struct __test_metadata *_metadata,
			struct fail_env *self, bool ok)
{
	if (!ok)
		undo_unmap(_metadata, self, true);
}

TEST_F_TIMEOUT(fail, unmap_dma, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "UNMAP_DMA",
		.prepare = prepare_mapped, .run = run_unmap,
		.undo = undo_mapped,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

static void prepare_mapped_pages(struct __test_metadata *_metadata,
				 struct fail_env *self)
{
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA_OP + i * PG,
				     self->mem + i * PG, PG, RW));
}

static int run_unmap_all(struct fail_env *self)
{
	return vfm_unmap(self->ctx.container, 0, 0,
			 VFIO_DMA_UNMAP_FLAG_ALL, NULL);
}

static void undo_unmap_all(struct __test_metadata *_metadata,
			   struct fail_env *self, bool ok)
{
	if (!ok) {
		ASSERT_EQ(0, vfm_unmap(self->ctx.container, IOVA_OP, 4 * PG, 0,
				       NULL));
		return;
	}
	/* The fixture's own mappings went too. */
	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA_SRC, self->src, PG,
			     RW));
	ASSERT_EQ(0, vfm_map(self->ctx.container, IOVA_DST, self->dst, PG,
			     RW));
}

TEST_F_TIMEOUT(fail, unmap_all, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "UNMAP_DMA, VFIO_DMA_UNMAP_FLAG_ALL",
		.prepare = prepare_mapped_pages, .run = run_unmap_all,
		.undo = undo_unmap_all,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

/* VFIO_UPDATE_VADDR: invalidate, and update. */

static int run_invalidate(struct fail_env *self)
{
	return vfm_unmap(self->ctx.container, IOVA_OP, OP_LEN,
			 VFIO_DMA_UNMAP_FLAG_VADDR, NULL);
}

static void undo_invalidate(struct __test_metadata *_metadata,
			    struct fail_env *self, bool ok)
{
	if (ok)
		ASSERT_EQ(0, vfm_set_vaddr(self->ctx.container, IOVA_OP,
					   self->mem, OP_LEN));
	undo_unmap(_metadata, self, true);
}

TEST_F_TIMEOUT(fail, unmap_dma_vaddr, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "UNMAP_DMA, VFIO_DMA_UNMAP_FLAG_VADDR",
		.prepare = prepare_mapped, .run = run_invalidate,
		.undo = undo_invalidate,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

static void prepare_invalid(struct __test_metadata *_metadata,
			    struct fail_env *self)
{
	prepare_mapped(_metadata, self);
	ASSERT_EQ(0, run_invalidate(self));
}

static int run_update(struct fail_env *self)
{
	return vfm_set_vaddr(self->ctx.container, IOVA_OP, self->mem, OP_LEN);
}

static void undo_update(struct __test_metadata *_metadata,
			struct fail_env *self, bool ok)
{
	undo_invalidate(_metadata, self, !ok);
}

TEST_F_TIMEOUT(fail, map_dma_vaddr, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "MAP_DMA, VFIO_DMA_MAP_FLAG_VADDR",
		.prepare = prepare_invalid, .run = run_update,
		.undo = undo_update,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

/* Dirty tracking. */

static int run_dirty_start(struct fail_env *self)
{
	return vfm_dirty(self->ctx.container,
			 VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
}

static void undo_dirty_start(struct __test_metadata *_metadata,
			     struct fail_env *self, bool ok)
{
	ASSERT_EQ(0, vfm_dirty(self->ctx.container,
			       VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	undo_unmap(_metadata, self, true);
}

TEST_F_TIMEOUT(fail, dirty_pages_start, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "DIRTY_PAGES, START",
		.prepare = prepare_mapped, .run = run_dirty_start,
		.undo = undo_dirty_start,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

static void prepare_dirty(struct __test_metadata *_metadata,
			  struct fail_env *self)
{
	prepare_mapped(_metadata, self);
	ASSERT_EQ(0, run_dirty_start(self));
}

static int run_dirty_stop(struct fail_env *self)
{
	return vfm_dirty(self->ctx.container, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
}

static void undo_dirty_stop(struct __test_metadata *_metadata,
			    struct fail_env *self, bool ok)
{
	undo_dirty_start(_metadata, self, true);
}

TEST_F_TIMEOUT(fail, dirty_pages_stop, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "DIRTY_PAGES, STOP",
		.prepare = prepare_dirty, .run = run_dirty_stop,
		.undo = undo_dirty_stop,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

static uint64_t dirty_bitmap[OP_PAGES / 64 + 1];

static int run_dirty_get(struct fail_env *self)
{
	return vfm_dirty_get(self->ctx.container, IOVA_OP, OP_LEN, PG,
			     dirty_bitmap, sizeof(dirty_bitmap));
}

TEST_F_TIMEOUT(fail, dirty_pages_get_bitmap, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "DIRTY_PAGES, GET_BITMAP",
		.prepare = prepare_dirty, .run = run_dirty_get,
		.undo = undo_dirty_stop,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

static int run_unmap_dirty(struct fail_env *self)
{
	return vfm_unmap_dirty(self->ctx.container, IOVA_OP, OP_LEN, PG,
			       dirty_bitmap, sizeof(dirty_bitmap), NULL);
}

static void undo_unmap_dirty(struct __test_metadata *_metadata,
			     struct fail_env *self, bool ok)
{
	ASSERT_EQ(0, vfm_dirty(self->ctx.container,
			       VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	if (!ok)
		undo_unmap(_metadata, self, true);
}

TEST_F_TIMEOUT(fail, unmap_dma_get_dirty_bitmap, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "UNMAP_DMA, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP",
		.prepare = prepare_dirty, .run = run_unmap_dirty,
		.undo = undo_unmap_dirty,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

/* GET_INFO, with every capability, and the fault uAPI. */

static int run_get_info(struct fail_env *self)
{
	struct vfio_iommu_type1_info *info;
	int ret = vfm_get_info(self->ctx.container, &info);

	if (!ret)
		free(info);
	return ret;
}

TEST_F_TIMEOUT(fail, get_info, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "GET_INFO, every capability",
		.run = run_get_info,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

static void prepare_eventfd(struct __test_metadata *_metadata,
			    struct fail_env *self)
{
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
}

static int run_set_eventfd(struct fail_env *self)
{
	return vfm_set_eventfd(self->ctx.container,
			       VFIO_MIRROR_EVENT_FAULT, self->efd);
}

static void undo_eventfd(struct __test_metadata *_metadata,
			 struct fail_env *self, bool ok)
{
	ASSERT_EQ(0, vfm_set_eventfd(self->ctx.container,
				     VFIO_MIRROR_EVENT_FAULT, -1));
	close(self->efd);
	self->efd = -1;
}

TEST_F_TIMEOUT(fail, set_eventfd, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "SET_EVENTFD",
		.prepare = prepare_eventfd, .run = run_set_eventfd,
		.undo = undo_eventfd,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

static struct vfio_mirror_fault fault_recs[4];

/* Two faults of the mock queued for the read. */
static void prepare_faults(struct __test_metadata *_metadata,
			   struct fail_env *self)
{
	ASSERT_EQ(0, vfm_mock_fault(0, IOVA_MOCK_FAULT, 0, 2));
	ASSERT_EQ(0, vfm_chain_flush("generic"));
}

static int run_read_faults(struct fail_env *self)
{
	int n = vfm_read_faults(self->ctx.container, fault_recs,
				ARRAY_SIZE(fault_recs), NULL, NULL);

	return n < 0 ? n : 0;
}

static void undo_faults(struct __test_metadata *_metadata,
			struct fail_env *self, bool ok)
{
	int n = vfm_read_faults(self->ctx.container, fault_recs,
				ARRAY_SIZE(fault_recs), NULL, NULL), i;

	/* A failed read leaves the records for the next. */
	ASSERT_EQ(ok ? 0 : 2, n);
	for (i = 0; i < n; i++)
		ASSERT_EQ(IOVA_MOCK_FAULT, fault_recs[i].iova);
}

TEST_F_TIMEOUT(fail, read_faults, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "READ_FAULTS, two records",
		.prepare = prepare_faults, .run = run_read_faults,
		.undo = undo_faults,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

/* SET_IOMMU, and groups joining a container with mappings. */

static void prepare_container(struct __test_metadata *_metadata,
			      struct fail_env *self)
{
	self->container = vfm_open_container();
	ASSERT_LE(0, self->container);
	self->group_fd = vfm_open_group(vfm_mock_group(2));
	ASSERT_LE(0, self->group_fd);
	ASSERT_EQ(0, vfm_attach(self->container, self->group_fd));
}

static int run_set_iommu(struct fail_env *self)
{
	return ioctl(self->container, VFIO_SET_IOMMU, VFIO_MIRROR_IOMMU) ?
		-errno : 0;
}

static void undo_container(struct __test_metadata *_metadata,
			   struct fail_env *self, bool ok)
{
	close(self->group_fd);
	close(self->container);
	self->group_fd = -1;
	self->container = -1;
}

TEST_F_TIMEOUT(fail, set_iommu, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "SET_IOMMU",
		.prepare = prepare_container, .run = run_set_iommu,
		.undo = undo_container,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

/* Mock @n in a domain of its own: the mappings are replayed into it. */
static void prepare_group(struct __test_metadata *_metadata,
			  struct fail_env *self, int n)
{
	self->group_fd = vfm_open_group(vfm_mock_group(n));
	ASSERT_LE(0, self->group_fd);
}

static void prepare_replay(struct __test_metadata *_metadata,
			   struct fail_env *self)
{
	prepare_mapped(_metadata, self);
	prepare_group(_metadata, self, 1);
}

static void prepare_shared(struct __test_metadata *_metadata,
			   struct fail_env *self)
{
	prepare_mapped(_metadata, self);
	prepare_group(_metadata, self, 2);
}

static int run_attach(struct fail_env *self)
{
	return vfm_attach(self->ctx.container, self->group_fd);
}

static void undo_attach(struct __test_metadata *_metadata,
			struct fail_env *self, bool ok)
{
	if (ok)
		ASSERT_EQ(0, ioctl(self->group_fd, VFIO_GROUP_UNSET_CONTAINER));
	close(self->group_fd);
	self->group_fd = -1;
	undo_unmap(_metadata, self, true);
}

TEST_F_TIMEOUT(fail, attach_replay, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "a group attached: replay into a new domain, MSI window",
		.prepare = prepare_replay, .run = run_attach,
		.undo = undo_attach,
	};

	/* A domain of its own, with an MSI window: a cookie to make. */
	ASSERT_EQ(0, vfm_mock_set(1, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_mock_add_resv(1, VFM_MOCK_RESV_SW_MSI, 0x9000000,
				       0x100000));
	fail_loop(_metadata, &self->env, &op, -1);
}

TEST_F_TIMEOUT(fail, attach_replay_mock_map_fails, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "a group attached: the new domain's N-th map fails",
		.prepare = prepare_replay, .run = run_attach,
		.undo = undo_attach,
	};

	ASSERT_EQ(0, vfm_mock_set(1, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_mock_set(1, VFM_MOCK_CFG_PGSIZES, PG));
	fail_loop(_metadata, &self->env, &op, 1);
}

TEST_F_TIMEOUT(fail, attach_shared, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "a group attached: into a domain the container has",
		.prepare = prepare_shared, .run = run_attach,
		.undo = undo_attach,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

/*
 * A map into a second container of the process, of memory the first maps:
 * the process's account goes shared (acct.c), once, and the pages are
 * charged once.
 */
static void prepare_second(struct __test_metadata *_metadata,
			   struct fail_env *self)
{
	prepare_mapped(_metadata, self);
	ASSERT_EQ(0, vfm_ctx_open(&self->other, &mirror, 0));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&self->other, 1));
}

static int run_map_second(struct fail_env *self)
{
	return vfm_map(self->other.container, IOVA_OP, self->mem, OP_LEN, RW);
}

static void undo_second(struct __test_metadata *_metadata,
			struct fail_env *self, bool ok)
{
	if (ok)
		ASSERT_EQ(0, vfm_unmap(self->other.container, IOVA_OP, OP_LEN,
				       0, NULL));
	vfm_ctx_close(&self->other);
	undo_unmap(_metadata, self, true);
}

TEST_F_TIMEOUT(fail, map_dma_second_container, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "MAP_DMA into a second container, of the same pages",
		.prepare = prepare_second, .run = run_map_second,
		.undo = undo_second,
	};

	fail_loop(_metadata, &self->env, &op, -1);
}

/* A mediated device: pin_pages and dma_rw. */

static int run_pin(struct fail_env *self)
{
	uint64_t phys;

	return vfm_emul_pin(self->ctx.emul_fd[0], IOVA_OP, OP_PAGES,
			    VFM_EMUL_PROT_READ | VFM_EMUL_PROT_WRITE, &phys);
}

static void undo_pin(struct __test_metadata *_metadata,
		     struct fail_env *self, bool ok)
{
	if (ok)
		ASSERT_EQ(0, vfm_emul_unpin(self->ctx.emul_fd[0], IOVA_OP,
					    OP_PAGES));
	undo_unmap(_metadata, self, true);
}

TEST_F_TIMEOUT(fail, mdev_pin_pages, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "a mediated device's pin_pages, 16 pages",
		.prepare = prepare_mapped, .run = run_pin, .undo = undo_pin,
	};

	if (!vfm_ctx_emul(_metadata, &self->env.ctx, 0))
		return;
	fail_loop(_metadata, &self->env, &op, -1);
}

static int run_rw(struct fail_env *self)
{
	return vfm_emul_rw(self->ctx.emul_fd[0], IOVA_OP + 100, self->pattern,
			   LEN, true);
}

static void undo_rw(struct __test_metadata *_metadata,
		    struct fail_env *self, bool ok)
{
	undo_unmap(_metadata, self, true);
}

TEST_F_TIMEOUT(fail, mdev_dma_rw, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "a mediated device's dma_rw",
		.prepare = prepare_mapped, .run = run_rw, .undo = undo_rw,
	};

	if (!vfm_ctx_emul(_metadata, &self->env.ctx, 0))
		return;
	fail_loop(_metadata, &self->env, &op, -1);
}

/*
 * The release of a container with two domains, mappings, dirty tracking
 * and a mediated device's pins: it cannot fail, and must leave nothing.
 */
static void prepare_release(struct __test_metadata *_metadata,
			    struct fail_env *self)
{
	uint64_t phys;

	ASSERT_EQ(0, vfm_ctx_open(&self->other, &mirror, 0));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&self->other, 1));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&self->other, 2));
	ASSERT_EQ(0, vfm_map(self->other.container, IOVA_OP, self->mem,
			     OP_LEN, RW));
	ASSERT_EQ(0, vfm_dirty(self->other.container,
			       VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	if (self->emul) {
		ASSERT_EQ(0, vfm_ctx_attach_emul(&self->other, 0));
		ASSERT_EQ(0, vfm_emul_pin(self->other.emul_fd[0], IOVA_OP, 4,
					  VFM_EMUL_PROT_READ, &phys));
	}
}

static int run_release(struct fail_env *self)
{
	vfm_ctx_close(&self->other);
	return 0;
}

TEST_F_TIMEOUT(fail, release, FAIL_TIMEOUT)
{
	const struct fail_op op = {
		.name = "a container's release",
		.prepare = prepare_release, .run = run_release,
		.closes = true,
	};

	self->env.emul = vfm_emul_group(0) >= 0;
	ASSERT_EQ(0, vfm_mock_set(2, VFM_MOCK_CFG_FORMAT, 1));
	fail_loop(_metadata, &self->env, &op, -1);
}

/*
 * Loading the modules: a load that fails leaves nothing hooked or
 * registered, and the next load works.
 */

/* The kernel's kprobes, as /sys/kernel/debug/kprobes/list has them. */
static void read_kprobes(struct __test_metadata *_metadata, char *buf,
			 size_t len)
{
	int fd = open("/sys/kernel/debug/kprobes/list", O_RDONLY);
	ssize_t n, got = 0;

	ASSERT_LE(0, fd);
	while ((n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	ASSERT_LE(0, n);
	ASSERT_GT(len - 1, got);
	buf[got] = 0;
}

/* A symbol's address, from /proc/kallsyms (root sees them), or 0. */
static uint64_t kallsyms_addr(const char *name)
{
	char line[256], sym[128], type;
	unsigned long long addr;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %127s", &addr, &type, sym) == 3 &&
		    !strcmp(sym, name))
			found = addr;
	fclose(f);
	return found;
}

/*
 * Fail only what module code calls (@on), or anything (!@on): a point
 * counts when an address between the kernel image's end and the end of
 * the module area (x86_64's MODULES_END) is on its stack.  The module
 * loader's own allocations, some of which it WARNs about failing (jump
 * labels), are then never failed, and the module's init and what it calls
 * always are.
 */
#ifdef __x86_64__
#define FAIL_MODULES_END	"0xffffffffff000000"
#else
#define FAIL_MODULES_END	NULL	/* not known here */
#endif

static void fail_in_modules(struct __test_metadata *_metadata, bool on)
{
	static const char *const attrs[] = {
		"failslab", "fail_page_alloc", "fail_usercopy",
	};
	const char *modules_end = FAIL_MODULES_END;
	uint64_t end = kallsyms_addr("_end");
	char path[128], val[32];
	size_t i;

	ASSERT_NE(0, end);
	ASSERT_NE(NULL, modules_end);
	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s/require-start",
			 attrs[i]);
		snprintf(val, sizeof(val), "%#llx",
			 on ? (unsigned long long)end : 0ULL);
		ASSERT_EQ(0, vfm_param_write_path(path, val));
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s/require-end",
			 attrs[i]);
		ASSERT_EQ(0, vfm_param_write_path(path, on ? modules_end :
						  "0xffffffffffffffff"));
	}
}

static bool module_present(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return !access(path, F_OK);
}

/*
 * Load @name with the N-th point failed, for N = 1, 2, ... until nothing
 * is injected.  After each failed load: the module is gone, held nothing,
 * left the kprobes as @kprobes_unloaded, and registered no backend that
 * the open @container could select.
 */
static void load_loop(struct __test_metadata *_metadata, int nth,
		      const char *name, const char *args,
		      const char *kprobes_unloaded, int container)
{
	static char kprobes[16384];
	int n, ret, absorbed = 0;
	bool injected;

	for (n = 1; n <= FAIL_NTH_MAX; n++) {
		nth_arm(_metadata, nth, n);
		ret = vfm_module_load(name, args);
		injected = nth_disarm(_metadata, nth);
		if (!injected) {
			ASSERT_EQ(0, ret) {
				TH_LOG("loading %s: %s", name, strerror(-ret));
			}
			ksft_print_msg("fail-nth loading %s: succeeds at N=%d (%d absorbed)\n",
				       name, n, absorbed);
			return;
		}
		if (!ret) {
			absorbed++;
			ASSERT_EQ(0, vfm_module_unload(name));
		}
		ASSERT_FALSE(module_present(name)) {
			TH_LOG("N=%d: %s", n, strerror(-ret));
		}
		/* iommu_faultchain: held by no one, hooking nothing. */
		if (module_present("iommu_faultchain"))
			ASSERT_EQ(0, vfm_module_refcnt("iommu_faultchain"));
		read_kprobes(_metadata, kprobes, sizeof(kprobes));
		ASSERT_STREQ(kprobes_unloaded, kprobes) {
			TH_LOG("loading %s failed at N=%d", name, n);
		}
		ASSERT_EQ(0, ioctl(container, VFIO_CHECK_EXTENSION,
				   VFIO_MIRROR_IOMMU));
	}
	ASSERT_GE(FAIL_NTH_MAX, n);
}

FIXTURE(load) {
};

FIXTURE_SETUP(load)
{
}

FIXTURE_TEARDOWN(load)
{
}

TEST_F_TIMEOUT(load, module_loads, FAIL_TIMEOUT)
{
	static const struct vfm_backend b = VFM_BACKEND_MIRROR;
	static char kprobes[16384];
	struct vfm_ctx ctx;
	uint8_t *src, *dst;
	int nth, container;

	VFM_REQUIRE(return, VFM_NEED_FILE, .what = "/proc/self/fail-nth");
	VFM_REQUIRE(return, VFM_NEED_BACKEND, .b = &b);
	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 1);
	VFM_REQUIRE(return, VFM_NEED_MOCK);
	fail_nth_setup(_metadata);
	nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nth);

	/* Nothing but the modules' own loads holds them. */
	ASSERT_EQ(0, vfm_probe_unload());
	ASSERT_EQ(0, vfm_module_unload("vfio_mirror"));
	ASSERT_EQ(0, vfm_module_unload("iommu_faultchain"));
	read_kprobes(_metadata, kprobes, sizeof(kprobes));
	container = vfm_open_container();
	ASSERT_LE(0, container);

	fail_in_modules(_metadata, true);
	load_loop(_metadata, nth, "iommu_faultchain",
		  vfm_env_or("VFM_FAULTCHAIN_ARGS", ""), kprobes, container);
	ASSERT_LE(0, vfm_chain_counter(vfm_hw()->producer, "seen"));
	read_kprobes(_metadata, kprobes, sizeof(kprobes));
	load_loop(_metadata, nth, "vfio_mirror",
		  vfm_env_or("VFM_MIRROR_ARGS", ""), kprobes, container);
	fail_in_modules(_metadata, false);
	close(nth);
	ASSERT_EQ(1, ioctl(container, VFIO_CHECK_EXTENSION, VFIO_MIRROR_IOMMU));
	close(container);

	/* What was loaded last works: mappings, DMA, faults. */
	src = vfm_alloc(PG);
	dst = vfm_alloc(PG);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	vfm_fill(src, PG, 0x10ad);
	ASSERT_EQ(0, vfm_ctx_open(&ctx, &b, 1));
	ASSERT_EQ(0, vfm_map(ctx.container, IOVA_SRC, src, PG, RW));
	ASSERT_EQ(0, vfm_map(ctx.container, IOVA_DST, dst, PG, RW));
	ASSERT_EQ(0, vfm_edu_dma(&ctx.edu[0], IOVA_SRC, LEN, false));
	check_works(_metadata, &ctx, dst, src);
	vfm_ctx_close(&ctx);
}

TEST_HARNESS_MAIN
