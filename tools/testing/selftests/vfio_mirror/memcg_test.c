// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mappings bounded by the VMM's memory, not by a count: vfio-mirror
 * charges what a mapping costs (its record, the IOMMU page tables that
 * hold it) to the memory cgroup of the process that makes it, fails
 * MAP_DMA with ENOMEM when the cgroup has no room left (the OOM killer is
 * never woken for it), and lets the container of a VMM whose cgroup has a
 * memory limit hold as many mappings as the host has pages, so that a
 * guest whose vIOMMU maps each of its pages on its own (caching mode) can
 * map all of its memory; without a limit, type1's 65535.  type1 stops at
 * 65535 whatever its cgroup (map_test's entry_limit checks the count):
 * its rows skip.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG		4096ULL
#define IOVA		0x100000000ULL	/* clear of any reserved region */
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
/* The cgroup's room: a few thousand mappings' worth, and a quick test. */
#define MEMCG_MAX	(2 << 20)
/* More than any fill of MEMCG_MAX can reach: a fill that ends here failed. */
#define FILL_MAX	200000
/* One mapping per 2 MiB of IOVA: a leaf page table each. */
#define SPARSE		(2ULL << 20)
#define SPARSE_MAX	4096

FIXTURE(memcg) {
	struct vfm_ctx ctx;
	char *page;
	char cgroup[32];	/* the test's cgroup, removed at teardown */
};

FIXTURE_VARIANT(memcg) {
	struct vfm_backend b;
};

#define VFM_FIXTURE memcg
#include "vfm_backends.h"

FIXTURE_SETUP(memcg)
{
	VFM_REQUIRE(return, VFM_NEED_MAPPINGS_BY_MEMORY, .b = &variant->b);
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->page = vfm_alloc(PG);
	ASSERT_NE(NULL, self->page);
}

FIXTURE_TEARDOWN(memcg)
{
	vfm_ctx_close(&self->ctx);
	if (self->page)
		vfm_free(self->page, PG);
	/* After a failed assertion too: out of it, and it gone. */
	if (self->cgroup[0]) {
		vfm_memcg_move(".", getpid());
		vfm_memcg_remove(self->cgroup);
	}
}

/*
 * Map @page at IOVA, IOVA + @stride... until MAP_DMA fails or @max
 * mappings: how many, with the error in *@err.
 */
static long fill(int container, char *page, uint64_t stride, long max,
		 int *err)
{
	long n = 0;

	*err = 0;
	while (n < max && !*err) {
		*err = vfm_map(container, IOVA + n * stride, page, PG, RW);
		if (!*err)
			n++;
	}
	return n;
}

/* Unmap what fill() mapped: the bytes unmapped. */
static uint64_t unfill(int container, uint64_t stride, long n)
{
	uint64_t all = 0, one;
	long i;

	if (stride == PG)
		return vfm_unmap(container, IOVA, n * PG, 0, &all) ? 0 : all;
	for (i = 0; i < n; i++)
		if (!vfm_unmap(container, IOVA + i * stride, PG, 0, &one))
			all += one;
	return all;
}

/*
 * What the child in the cgroup does and sees, in a page it shares with
 * its parent.  Once the cgroup is full any memory the child charges to
 * it, a page of its own stack it writes for the first time since the
 * fork as much as a pipe's buffer, would wake the cgroup's OOM killer:
 * so the child touches all it will write before the parent moves it in,
 * and then only makes ioctls and writes this page.
 */
struct memcg_step {
	int go;			/* the parent: the step the child may take */
	int done;		/* the child: the last step it took */
	int err[3];		/* why each fill stopped */
	long n[3];		/* mappings each fill made */
	uint64_t unmapped[3];	/* bytes each unmap of a fill returned */
};

/* The steps: pages side by side, again, then 2 MiB apart. */
static const uint64_t memcg_stride[3] = { PG, PG, SPARSE };
static const long memcg_max[3] = { FILL_MAX, FILL_MAX, SPARSE_MAX };

/* The two sides' view of each other's progress in the shared page. */
#define STEP_READ(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STEP_WRITE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* Write to the stack the child will use, so that it is its own. */
static void touch_stack(void)
{
	char stack[16 * 4096];

	memset(stack, 0, sizeof(stack));
	/* The compiler may not drop the writes. */
	__asm__ __volatile__("" : : "r" (stack) : "memory");
}

static void memcg_child(int container, char *page, struct memcg_step *st,
			pid_t parent)
{
	struct timespec ms = { .tv_nsec = 1000000 };
	int k;

	/* A parent that fails an assertion takes the child along. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	touch_stack();
	errno = 0;
	STEP_WRITE(st->done, 0);
	for (k = 0; k < 3; k++) {
		while (STEP_READ(st->go) <= k)
			nanosleep(&ms, NULL);
		st->n[k] = fill(container, page, memcg_stride[k], memcg_max[k],
				&st->err[k]);
		st->unmapped[k] = unfill(container, memcg_stride[k], st->n[k]);
		STEP_WRITE(st->done, k + 1);
	}
	_exit(0);
}

/* Let the child take step @k, and wait until it has: 0 or -ETIMEDOUT. */
static int memcg_step(struct memcg_step *st, int k)
{
	struct timespec ms = { .tv_nsec = 1000000 };
	int i;

	STEP_WRITE(st->go, k);
	for (i = 0; i < 60000 && STEP_READ(st->done) < k; i++)
		nanosleep(&ms, NULL);
	return STEP_READ(st->done) < k ? -ETIMEDOUT : 0;
}

/*
 * A process in a memory cgroup of 2 MiB maps one page again and again:
 * MAP_DMA fails with ENOMEM once the cgroup is full, the OOM killer never
 * runs, and after the mappings are unmapped the same room holds as many
 * again (their records were uncharged).  One mapping every 2 MiB needs a
 * page table each, which the cgroup is charged too: far fewer fit.  The
 * container ends as it began: no mapping, no pin.
 */
TEST_F_TIMEOUT(memcg, a_memory_cgroup_bounds_the_mappings, 120)
{
	long long pins = vfm_pins_outstanding();
	long long maps = vfm_mirror_stat("mappings");
	long long peak, limit, events;
	struct memcg_step *st;
	char name[32];
	int status, k;
	pid_t pid, parent;

	VFM_REQUIRE(return, VFM_NEED_MEMCG);
	st = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, st);
	st->done = -1;
	ASSERT_TRUE(vfm_iova_usable(self->ctx.container, IOVA,
				    IOVA + SPARSE_MAX * SPARSE - 1));
	snprintf(name, sizeof(name), "vfm-memcg-%d", getpid());
	ASSERT_EQ(0, vfm_memcg_make(name, MEMCG_MAX));
	snprintf(self->cgroup, sizeof(self->cgroup), "%s", name);

	parent = getpid();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		memcg_child(self->ctx.container, self->page, st, parent);
	/* The child has touched what it will write once done is 0. */
	while (STEP_READ(st->done) < 0)
		usleep(1000);
	ASSERT_EQ(0, vfm_memcg_move(name, pid));
	ASSERT_EQ(0, memcg_step(st, 1));
	peak = vfm_memcg_field(name, "memory.peak", NULL);
	limit = vfm_memcg_field(name, "memory.max", NULL);
	events = vfm_memcg_field(name, "memory.events", "max");
	for (k = 2; k <= 3; k++)
		ASSERT_EQ(0, memcg_step(st, k));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, vfm_memcg_field(name, "memory.events", "oom"));
	EXPECT_EQ(0, vfm_memcg_field(name, "memory.events", "oom_kill"));
	EXPECT_EQ(0, vfm_memcg_remove(name));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	TH_LOG("%ld, %ld and %ld 2 MiB apart mappings in %lld bytes",
	       st->n[0], st->n[1], st->n[2], limit);
	for (k = 0; k < 3; k++) {
		EXPECT_EQ(-ENOMEM, st->err[k]);
		EXPECT_EQ(st->n[k] * PG, st->unmapped[k]);
	}
	/* Thousands fit: the cgroup, not something else, stopped them. */
	EXPECT_LT(1000, st->n[0]);
	EXPECT_LT(0, events);
	EXPECT_LT(0, peak);
	EXPECT_GE(limit, peak);
	EXPECT_LE(st->n[0] * 9 / 10, st->n[1]);
	/* A page table each: the page tables were charged. */
	EXPECT_LT(0, st->n[2]);
	EXPECT_GT(st->n[0] / 4, st->n[2]);

	EXPECT_EQ(maps, vfm_mirror_stat("mappings"));
	EXPECT_EQ(pins, vfm_pins_outstanding());
	munmap(st, PG);
}

/*
 * DMA_AVAIL of a new container: 65535 for a VMM whose memory cgroup has
 * no limit, as many as the host has pages for one whose cgroup has one.
 * That container holds more than 65535 mappings: 65536 + 64 pages mapped
 * one by one, DMA_AVAIL counting each, all unmapped at once.
 */
TEST_F_TIMEOUT(memcg, more_than_65535_mappings_fit_in_a_limited_cgroup, 120)
{
	long pages = vfm_meminfo_kb("MemTotal") * 1024 / sysconf(_SC_PAGESIZE);
	const long want = 65536 + 64;
	long long maps = vfm_mirror_stat("mappings");
	long vmlck = vfm_vmlck_kb();
	uint64_t unmapped = 0;
	uint32_t avail;
	char name[32];
	long n;
	int c, err;

	VFM_REQUIRE(return, VFM_NEED_MEMCG);
	snprintf(name, sizeof(name), "vfm-limit-%d", getpid());
	/* Below the guest's memory: a limit that bounds. */
	ASSERT_EQ(0, vfm_memcg_make(name, 512LL << 20));
	snprintf(self->cgroup, sizeof(self->cgroup), "%s", name);
	/* The limit is read when the container's IOMMU is set. */
	ASSERT_EQ(0, vfm_memcg_move(".", getpid()));
	vfm_ctx_close(&self->ctx);
	ASSERT_EQ(0, vfm_ctx_open(&self->ctx, &variant->b, 1));
	ASSERT_EQ(65535, vfm_dma_avail(self->ctx.container));
	ASSERT_EQ(0, vfm_memcg_move(name, getpid()));
	vfm_ctx_close(&self->ctx);
	ASSERT_EQ(0, vfm_ctx_open(&self->ctx, &variant->b, 1));
	c = self->ctx.container;

	avail = vfm_dma_avail(c);
	TH_LOG("DMA_AVAIL %u", avail);
	ASSERT_EQ(pages, avail);
	ASSERT_LE(want, avail);
	ASSERT_TRUE(vfm_iova_usable(c, IOVA, IOVA + want * PG - 1));

	n = fill(c, self->page, PG, want, &err);
	ASSERT_EQ(0, err) {
		TH_LOG("mapping %ld: %s", n, strerror(-err));
	}
	ASSERT_EQ(want, n);
	ASSERT_EQ(maps + want, vfm_mirror_stat("mappings"));
	EXPECT_EQ(avail - want, vfm_dma_avail(c));

	ASSERT_EQ(0, vfm_unmap(c, IOVA, want * PG, 0, &unmapped));
	EXPECT_EQ(want * PG, unmapped);
	EXPECT_EQ(maps, vfm_mirror_stat("mappings"));
	EXPECT_EQ(vmlck, vfm_vmlck_kb());
	vfm_ctx_close(&self->ctx);
	ASSERT_EQ(0, vfm_memcg_move(".", getpid()));
	EXPECT_EQ(0, vfm_memcg_remove(name));
}

/*
 * A mediated device's pins are charged too, the container's records of
 * them and the xarray nodes that hold those: 4096 pins 64 IOVA pages
 * apart need a leaf node (576 bytes) each.  The cgroup's count moves by
 * up to a batch of 64 pages per CPU that it charges ahead; 4096 pins
 * charged 300 bytes each are well clear of that.
 */
TEST_F_TIMEOUT(memcg, mediated_pins_are_charged_with_their_records, 120)
{
	const long n = 4096;
	const uint64_t stride = 64 * PG;
	long long before, after;
	struct vfm_ctx e;
	uint64_t phys;
	char name[32];
	long i;
	int fd;

	VFM_REQUIRE(return, VFM_NEED_MEMCG);
	VFM_REQUIRE(return, VFM_NEED_V2_PINNING, .b = &variant->b);
	snprintf(name, sizeof(name), "vfm-pins-%d", getpid());
	ASSERT_EQ(0, vfm_memcg_make(name, 256LL << 20));
	snprintf(self->cgroup, sizeof(self->cgroup), "%s", name);
	ASSERT_EQ(0, vfm_memcg_move(name, getpid()));
	ASSERT_EQ(0, vfm_ctx_open(&e, &variant->b, 0));
	if (!vfm_ctx_emul(_metadata, &e, 0)) {
		vfm_ctx_close(&e);
		return;
	}
	fd = e.emul_fd[0];
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, vfm_map(e.container, IOVA + i * stride,
				     self->page, PG, RW));

	before = vfm_memcg_field(name, "memory.current", NULL);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, vfm_emul_pin(fd, IOVA + i * stride, 1,
					  VFM_EMUL_PROT_READ, &phys));
	after = vfm_memcg_field(name, "memory.current", NULL);
	TH_LOG("%lld bytes charged per pin", (after - before) / n);
	EXPECT_LE(300, (after - before) / n);

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA + i * stride, 1));
	vfm_ctx_close(&e);
	ASSERT_EQ(0, vfm_memcg_move(".", getpid()));
}

TEST_HARNESS_MAIN
