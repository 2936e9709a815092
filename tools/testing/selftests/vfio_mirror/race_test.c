// SPDX-License-Identifier: GPL-2.0-only
/*
 * Threads race the container ioctls a VMM issues from several threads on
 * one container: map and unmap of their own slots, UNMAP_ALL, GET_INFO,
 * a group joining and leaving, and with vfio-mirror READ_FAULTS and
 * SET_EVENTFD, for a bounded time.  Afterwards every slot's mapping is
 * either whole (the device reads both its ends) or absent (the device
 * faults at both), its unmap agrees, and locked memory adds up to what is
 * present.  Against vfio_iommu_type1 and vfio-mirror.
 *
 * A second race has threads map ranges that overlap, large enough that
 * vfio-mirror pins and maps them outside the container's lock (a claim,
 * vfm.h), while others unmap, read faults and replay: of two overlapping
 * ranges at most one is ever mapped, and whole.
 *
 * Then, with vfio-mirror, a map held inside its pinning (userfaultfd keeps
 * its memory back): a disjoint map goes on beside it and an unmap does
 * not see it yet; an overlapping map waits for it, and fails with EEXIST
 * if it was made, or is made if it failed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG		4096ULL
#define SLOTS		6
#define SLOT_PAGES	16
#define SLOT_IOVA(i)	(0x1000000ULL + (i) * 0x100000ULL)
/* Each slot's mapping has its own size, so its last page is known. */
#define SLOT_SIZE(i)	((2 * (i) + 1) * PG)
#define SECONDS		2
/*
 * Lanes of two candidate mappings, A of pages [0, 64) and B of [32, 96)
 * of the lane: they overlap by half, and each is a claim.  Below 2^28,
 * the edu device's DMA reach.
 */
#define LANES		4
#define LANE_PAGES	96
#define LANE_MAP_PAGES	64
#define LANE_SHIFT	32
#define LANE_IOVA(l)	(0x2000000ULL + (l) * 0x200000ULL)
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

struct race {
	struct vfm_ctx ctx;
	const struct vfm_backend *b;
	char *mem[SLOTS];
	char *lane[LANES];
	int stop;		/* __atomic */
	int errors;
	char what[128];
};

static void race_error(struct race *r, const char *what, int err)
{
	if (!__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED))
		snprintf(r->what, sizeof(r->what), "%s: %s", what,
			 strerror(-err));
}

struct slot_thread {
	struct race *r;
	int first;	/* slots first, first + SLOTS / 2 */
	unsigned int seed;
};

/*
 * Map and unmap its own slots.  Another thread's UNMAP_ALL may take a
 * mapping away at any time, and a slot may be left mapped, so EEXIST (the
 * slot is still mapped) is expected too.
 */
static void *slot_worker(void *arg)
{
	struct slot_thread *t = arg;
	struct race *r = t->r;
	int c = r->ctx.container, ret, i;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		i = t->first + rand_r(&t->seed) % (SLOTS / 2);
		ret = vfm_map(c, SLOT_IOVA(i), r->mem[i], SLOT_SIZE(i), RW);
		if (ret && ret != -EEXIST)
			race_error(r, "map", ret);
		/* Leave some mapped, for UNMAP_ALL and the end. */
		if (rand_r(&t->seed) % 4 == 0)
			continue;
		ret = vfm_unmap(c, SLOT_IOVA(i), SLOT_PAGES * PG, 0, NULL);
		if (ret)
			race_error(r, "unmap", ret);
	}
	return NULL;
}

/*
 * Map A or B of a random lane, which fails with EEXIST while the other (or
 * itself) is mapped or being mapped, and now and then unmap the lane.
 */
static void *lane_worker(void *arg)
{
	struct slot_thread *t = arg;
	struct race *r = t->r;
	int c = r->ctx.container, ret, l, v;
	uint64_t off;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		l = rand_r(&t->seed) % LANES;
		v = rand_r(&t->seed) % 2;
		off = v * LANE_SHIFT * PG;
		ret = vfm_map(c, LANE_IOVA(l) + off, r->lane[l] + off,
			      LANE_MAP_PAGES * PG, RW);
		if (ret && ret != -EEXIST)
			race_error(r, "lane map", ret);
		if (rand_r(&t->seed) % 3)
			continue;
		ret = vfm_unmap(c, LANE_IOVA(l), LANE_PAGES * PG, 0, NULL);
		if (ret)
			race_error(r, "lane unmap", ret);
	}
	return NULL;
}

static void *unmap_all_worker(void *arg)
{
	struct race *r = arg;
	int ret;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		ret = vfm_unmap(r->ctx.container, 0, 0,
				VFIO_DMA_UNMAP_FLAG_ALL, NULL);
		if (ret)
			race_error(r, "unmap all", ret);
		usleep(3000);
	}
	return NULL;
}

static void *info_worker(void *arg)
{
	struct vfio_iommu_type1_info *info;
	struct race *r = arg;
	int ret;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		ret = vfm_get_info(r->ctx.container, &info);
		if (ret)
			race_error(r, "get_info", ret);
		else if (!(info->iova_pgsizes & PG))
			race_error(r, "get_info pgsizes", -EINVAL);
		if (!ret)
			free(info);
	}
	return NULL;
}

/* The mock's group joins and leaves, with every mapping replayed. */
static void *group_worker(void *arg)
{
	struct race *r = arg;
	int ret;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		ret = vfm_ctx_attach_mock(&r->ctx, 0);
		if (ret)
			race_error(r, "attach", ret);
		usleep(2000);
		ret = vfm_ctx_detach_mock(&r->ctx, 0);
		if (ret)
			race_error(r, "detach", ret);
	}
	return NULL;
}

static void *fault_worker(void *arg)
{
	struct vfio_mirror_fault rec[16];
	struct race *r = arg;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), ret;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		ret = vfm_set_eventfd(r->ctx.container,
				      VFIO_MIRROR_EVENT_FAULT, efd);
		if (!ret)
			ret = vfm_read_faults(r->ctx.container, rec, 16, NULL,
					      NULL);
		if (ret < 0)
			race_error(r, "faults", ret);
		ret = vfm_set_eventfd(r->ctx.container,
				      VFIO_MIRROR_EVENT_FAULT, -1);
		if (ret)
			race_error(r, "eventfd off", ret);
	}
	close(efd);
	return NULL;
}

/*
 * Race @worker on two threads (@st) against UNMAP_ALL, GET_INFO, a group
 * joining and leaving and, with @faults, READ_FAULTS, for SECONDS; the
 * workers count their errors in @r.  0, or the error of pthread_create(),
 * with every thread started stopped and joined.
 */
static int race_run(struct race *r, void *(*worker)(void *),
		    struct slot_thread st[2], bool faults)
{
	void *(*const others[])(void *) = {
		unmap_all_worker, info_worker, group_worker, fault_worker,
	};
	unsigned int nothers = ARRAY_SIZE(others) - !faults;
	pthread_t t[2 + ARRAY_SIZE(others)];
	int nt = 0, ret = 0, i;

	for (i = 0; i < 2 && !ret; i++) {
		ret = pthread_create(&t[nt], NULL, worker, &st[i]);
		nt += !ret;
	}
	for (i = 0; i < (int)nothers && !ret; i++) {
		ret = pthread_create(&t[nt], NULL, others[i], r);
		nt += !ret;
	}
	if (!ret)
		sleep(SECONDS);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	return ret;
}

/* A map in a thread of its own, and whether it returned. */
struct bg_map {
	int container;
	uint64_t iova;
	void *vaddr;
	uint64_t size;
	int ret;
	int done;	/* __atomic */
	bool started;
	pthread_t thread;
};

static void *bg_map_thread(void *arg)
{
	struct bg_map *m = arg;

	m->ret = vfm_map(m->container, m->iova, m->vaddr, m->size, RW);
	__atomic_store_n(&m->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int bg_map_start(struct bg_map *m, int container, uint64_t iova,
			void *vaddr)
{
	int ret;

	*m = (struct bg_map){
		.container = container, .iova = iova, .vaddr = vaddr,
		.size = LANE_MAP_PAGES * PG,
	};
	ret = pthread_create(&m->thread, NULL, bg_map_thread, m);
	m->started = !ret;
	return ret;
}

/* Has @m returned within @ms milliseconds? */
static bool bg_map_done(struct bg_map *m, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (__atomic_load_n(&m->done, __ATOMIC_ACQUIRE))
			return true;
		usleep(10 * 1000);
	}
	return __atomic_load_n(&m->done, __ATOMIC_ACQUIRE);
}

/* A held map's memory, and the maps in threads of their own. */
enum { HELD, OTHER, OVER, NR_BG };

FIXTURE(race) {
	struct race r;
	long vmlck;
	long long pins;
	struct vfm_uffd u;
	struct bg_map bg[NR_BG];
};

FIXTURE_VARIANT(race) {
	struct vfm_backend b;
};

#define VFM_FIXTURE race
#include "vfm_backends.h"

FIXTURE_SETUP(race)
{
	int i;

	if (!vfm_mocks_ready(_metadata))
		return;
	self->vmlck = vfm_vmlck_kb();
	self->pins = vfm_pins_outstanding();
	if (!vfm_ctx_setup(_metadata, &self->r.ctx, &variant->b, 1))
		return;
	self->r.b = &variant->b;
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
	for (i = 0; i < SLOTS; i++) {
		self->r.mem[i] = vfm_alloc(SLOT_PAGES * PG);
		ASSERT_NE(NULL, self->r.mem[i]);
	}
	for (i = 0; i < LANES; i++) {
		self->r.lane[i] = vfm_alloc(LANE_PAGES * PG);
		ASSERT_NE(NULL, self->r.lane[i]);
	}
}

FIXTURE_TEARDOWN(race)
{
	int i;

	/* A map held back ends once nothing holds its memory back. */
	if (self->u.mem)
		close(self->u.fd);
	for (i = 0; i < NR_BG; i++)
		if (self->bg[i].started)
			pthread_join(self->bg[i].thread, NULL);
	if (self->u.mem)
		munmap(self->u.mem, self->u.size);
	vfm_ctx_close(&self->r.ctx);
	for (i = 0; i < SLOTS; i++)
		vfm_free(self->r.mem[i], SLOT_PAGES * PG);
	for (i = 0; i < LANES; i++)
		vfm_free(self->r.lane[i], LANE_PAGES * PG);
	vfm_mock_reset(0);
}

/* Does the device read IOVA @iova (its store to it lands)? */
static bool device_reaches(struct __test_metadata *_metadata,
			   struct vfm_edu *edu, char *mem, uint64_t iova)
{
	memset(mem, VFM_POISON, PG);
	if (vfm_edu_dma(edu, iova, 64, true))
		return false;
	return !vfm_untouched(mem, 64);
}

TEST_F_TIMEOUT(race, every_ioctl_at_once, 600)
{
	struct race *r = &self->r;
	struct slot_thread st[2] = {
		{ .r = r, .first = 0, .seed = 1 },
		{ .r = r, .first = SLOTS / 2, .seed = 2 },
	};
	int i;
	long locked = 0;
	uint64_t unmapped, last_page;
	bool first, last;

	ASSERT_EQ(0, race_run(r, slot_worker, st,
			      !strcmp(variant->b.module, "vfio_mirror")));
	ASSERT_EQ(0, r->errors) {
		TH_LOG("%d errors, the first: %s", r->errors, r->what);
	}

	/*
	 * Whole or absent: the device reaches both ends of a slot's
	 * mapping or neither, the unmap agrees, and locked memory is what
	 * is present.
	 */
	for (i = 0; i < SLOTS; i++) {
		last_page = SLOT_SIZE(i) - PG;
		first = device_reaches(_metadata, &r->ctx.edu[0], r->mem[i],
				       SLOT_IOVA(i));
		last = device_reaches(_metadata, &r->ctx.edu[0],
				      r->mem[i] + last_page,
				      SLOT_IOVA(i) + last_page);
		ASSERT_EQ(first, last) {
			TH_LOG("slot %d: half mapped", i);
		}
		if (first)
			locked += SLOT_SIZE(i) / 1024;
	}
	ASSERT_EQ(self->vmlck + locked, vfm_vmlck_kb());
	for (i = 0; i < SLOTS; i++) {
		ASSERT_EQ(0, vfm_unmap(r->ctx.container, SLOT_IOVA(i),
				       SLOT_PAGES * PG, 0, &unmapped));
		locked -= unmapped / 1024;
	}
	ASSERT_EQ(0, locked);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	vfm_ctx_close(&r->ctx);
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

/* Does the device reach page @pg of lane @l? */
static bool lane_reaches(struct __test_metadata *_metadata, struct race *r,
			 int l, uint64_t pg)
{
	return device_reaches(_metadata, &r->ctx.edu[0], r->lane[l] + pg * PG,
			      LANE_IOVA(l) + pg * PG);
}

TEST_F_TIMEOUT(race, overlapping_maps_at_once, 600)
{
	struct race *r = &self->r;
	struct slot_thread st[2] = {
		{ .r = r, .seed = 3 },
		{ .r = r, .seed = 4 },
	};
	const uint64_t a_last = LANE_MAP_PAGES - 1, b_first = LANE_SHIFT;
	const uint64_t b_last = LANE_PAGES - 1;
	bool a, b, a_end, b_end;
	uint64_t unmapped;
	long locked = 0;
	int i;

	ASSERT_EQ(0, race_run(r, lane_worker, st,
			      !strcmp(variant->b.module, "vfio_mirror")));
	ASSERT_EQ(0, r->errors) {
		TH_LOG("%d errors, the first: %s", r->errors, r->what);
	}

	/*
	 * Page 0 is A's alone and the last page B's alone: at most one of
	 * them is mapped, and the one mapped reaches its other end.
	 */
	for (i = 0; i < LANES; i++) {
		a = lane_reaches(_metadata, r, i, 0);
		b = lane_reaches(_metadata, r, i, b_last);
		a_end = lane_reaches(_metadata, r, i, a_last);
		b_end = lane_reaches(_metadata, r, i, b_first);
		ASSERT_FALSE(a && b) {
			TH_LOG("lane %d: both overlapping ranges mapped", i);
		}
		ASSERT_EQ(a || b, a_end) {
			TH_LOG("lane %d: page %llu does not agree", i,
			       (unsigned long long)a_last);
		}
		ASSERT_EQ(a || b, b_end) {
			TH_LOG("lane %d: page %llu does not agree", i,
			       (unsigned long long)b_first);
		}
		if (a || b)
			locked += LANE_MAP_PAGES * PG / 1024;
	}
	ASSERT_EQ(self->vmlck + locked, vfm_vmlck_kb());
	for (i = 0; i < LANES; i++) {
		ASSERT_EQ(0, vfm_unmap(r->ctx.container, LANE_IOVA(i),
				       LANE_PAGES * PG, 0, &unmapped));
		locked -= unmapped / 1024;
	}
	ASSERT_EQ(0, locked);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	vfm_ctx_close(&r->ctx);
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

TEST_F_TIMEOUT(race, a_held_map_holds_back_only_what_it_overlaps, 300)
{
	struct bg_map *held = &self->bg[HELD], *other = &self->bg[OTHER];
	struct bg_map *over = &self->bg[OVER];
	struct vfm_edu *edu = &self->r.ctx.edu[0];
	const uint64_t size = LANE_MAP_PAGES * PG;
	int c = self->r.ctx.container, i;
	struct vfm_uffd *u = &self->u;
	uint64_t unmapped;

	VFM_REQUIRE(return, VFM_NEED_PINNING_WAITS_FOR_USERFAULTFD,
		    .b = &variant->b);
	ASSERT_EQ(0, vfm_uffd_open(u, size));
	ASSERT_EQ(0, bg_map_start(held, c, LANE_IOVA(0), u->mem));
	ASSERT_NE(0, vfm_uffd_wait(u, 30000));

	/* A disjoint range is mapped meanwhile (type1's mutex would wait). */
	ASSERT_EQ(0, bg_map_start(other, c, LANE_IOVA(1), self->r.lane[1]));
	ASSERT_TRUE(bg_map_done(other, 30000));
	ASSERT_EQ(0, other->ret);
	ASSERT_TRUE(device_reaches(_metadata, edu, self->r.lane[1],
				   LANE_IOVA(1)));
	/* An overlapping map waits. */
	ASSERT_EQ(0, bg_map_start(over, c, LANE_IOVA(0) + LANE_SHIFT * PG,
				  self->r.lane[2]));
	ASSERT_FALSE(bg_map_done(over, 500));
	/* Not made yet: nothing there to unmap. */
	ASSERT_EQ(0, vfm_unmap(c, LANE_IOVA(0), size, 0, &unmapped));
	ASSERT_EQ(0, unmapped);

	ASSERT_EQ(0, vfm_uffd_fill(u, u->mem, size, self->r.lane[3]));
	for (i = 0; i < NR_BG; i++) {
		pthread_join(self->bg[i].thread, NULL);
		self->bg[i].started = false;
	}
	ASSERT_EQ(0, held->ret);
	ASSERT_EQ(0, other->ret);
	ASSERT_EQ(-EEXIST, over->ret);
	ASSERT_TRUE(device_reaches(_metadata, edu, u->mem, LANE_IOVA(0)));
	ASSERT_TRUE(device_reaches(_metadata, edu, u->mem + size - PG,
				   LANE_IOVA(0) + size - PG));
	ASSERT_EQ(self->vmlck + 2 * (long)size / 1024, vfm_vmlck_kb());

	ASSERT_EQ(0, vfm_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	ASSERT_EQ(2 * size, unmapped);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
}

TEST_F_TIMEOUT(race, a_held_map_that_fails_lets_the_overlapping_one_in, 300)
{
	struct bg_map *held = &self->bg[HELD], *over = &self->bg[OVER];
	struct vfm_edu *edu = &self->r.ctx.edu[0];
	const uint64_t size = LANE_MAP_PAGES * PG;
	int c = self->r.ctx.container, i;
	struct vfm_uffd *u = &self->u;
	char *mem = self->r.lane[2];
	uint64_t unmapped;

	VFM_REQUIRE(return, VFM_NEED_PINNING_WAITS_FOR_USERFAULTFD,
		    .b = &variant->b);
	/* Its last page cannot be pinned: the held map ends with EFAULT. */
	ASSERT_EQ(0, vfm_uffd_open(u, size));
	ASSERT_EQ(0, mprotect(u->mem + size - PG, PG, PROT_NONE));
	ASSERT_EQ(0, bg_map_start(held, c, LANE_IOVA(0), u->mem));
	ASSERT_NE(0, vfm_uffd_wait(u, 30000));
	ASSERT_EQ(0, bg_map_start(over, c, LANE_IOVA(0) + LANE_SHIFT * PG,
				  mem));
	ASSERT_FALSE(bg_map_done(over, 500));

	ASSERT_EQ(0, vfm_uffd_fill(u, u->mem, size - PG, self->r.lane[3]));
	for (i = 0; i < NR_BG; i++) {
		if (self->bg[i].started)
			pthread_join(self->bg[i].thread, NULL);
		self->bg[i].started = false;
	}
	ASSERT_EQ(-EFAULT, held->ret);
	ASSERT_EQ(0, over->ret);
	ASSERT_FALSE(device_reaches(_metadata, edu, u->mem, LANE_IOVA(0)));
	ASSERT_TRUE(device_reaches(_metadata, edu, mem + size - PG,
				   LANE_IOVA(0) + (LANE_SHIFT * PG) + size - PG));
	ASSERT_EQ(self->vmlck + (long)size / 1024, vfm_vmlck_kb());

	ASSERT_EQ(0, vfm_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	ASSERT_EQ(size, unmapped);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
}

TEST_HARNESS_MAIN
