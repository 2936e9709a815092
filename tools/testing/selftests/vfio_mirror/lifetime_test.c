// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a VMM's life does to a container: being killed in the middle of a
 * long MAP_DMA, forking, a device unplugged while its group is in the
 * container, and (vfio-mirror only) an ioctl still inside the backend when
 * the container is released under it.  After each, nothing stays pinned,
 * charged or referenced.  Against vfio_iommu_type1 and vfio-mirror.
 */
#include <fcntl.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG	4096ULL
#define IOVA	0x100000ULL
#define RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
/* The long map: 4 KiB pages, pinned one by one, clear of MSI windows. */
#define LONG	(256ULL << 20)
#define LONG_IOVA	0x40000000ULL

FIXTURE(life) {
	long vmlck;
	long long pins;
	int refcnt;
};

FIXTURE_VARIANT(life) {
	struct vfm_backend b;
};

#define VFM_FIXTURE life
#include "vfm_backends.h"

FIXTURE_SETUP(life)
{
	if (!vfm_mocks_ready(_metadata))
		return;
	self->vmlck = vfm_vmlck_kb();
	self->pins = vfm_pins_outstanding();
	self->refcnt = vfm_module_refcnt(variant->b.module);
	ASSERT_LE(0, self->refcnt);
}

FIXTURE_TEARDOWN(life)
{
}

/* Nothing pinned, charged, referenced or (vfio-mirror) held. */
static void assert_released(struct __test_metadata *_metadata, long vmlck,
			    long long pins, int refcnt, const char *module)
{
	ASSERT_EQ(vmlck, vfm_vmlck_kb());
	ASSERT_EQ(pins, vfm_pins_outstanding());
	ASSERT_EQ(refcnt, vfm_module_refcnt(module));
	if (!strcmp(module, "vfio_mirror")) {
		ASSERT_EQ(0, vfm_mirror_stat("mappings"));
		ASSERT_EQ(0, vfm_mirror_stat("pinned_pages"));
		ASSERT_EQ(0, vfm_mirror_stat("locked_pages"));
	}
}

static void *alloc_4k(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, size, MADV_NOHUGEPAGE);
	memset(p, 1, size);
	return p;
}

/*
 * A VMM killed while it maps 256 MiB: the map stops at the signal, the
 * pages it had pinned go with the process, and so do the container and
 * the module's reference.  The probe makes each pinning call wait 50 ms
 * in the VMM (type1 calls pin_user_pages_remote() per 512 pages,
 * vfio-mirror pin_user_pages_fast() per 1024), so the map takes its time;
 * the kill comes after four of them.  "Promptly": at most one more call
 * starts after it, where a map that ignored the signal would make all 60
 * or 124 others.
 */
TEST_F_TIMEOUT(life, sigkill_in_the_middle_of_a_long_map, 300)
{
	int status, tries, go[2], ready[2];
	long long hits;
	struct vfm_ctx ctx;
	char *buf, c = 0;
	pid_t pid;

	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 1);
	ASSERT_EQ(0, vfm_probe_load());
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (vfm_ctx_open(&ctx, &variant->b, 1))
			_exit(2);
		buf = alloc_4k(LONG);
		if (!buf)
			_exit(3);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(4);
		vfm_map(ctx.container, LONG_IOVA, buf, LONG, RW);
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, vfm_probe_delay(strcmp(variant->b.module, "vfio_mirror") ?
				     "pin_user_pages_remote" :
				     "pin_user_pages_fast", 50, 1000, false,
				     pid));
	ASSERT_EQ(1, write(go[1], &c, 1));
	for (tries = 0; tries < 30000 && vfm_probe_delay_hits() < 4; tries++)
		usleep(1000);
	hits = vfm_probe_delay_hits();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TH_LOG("pin calls: %lld when killed, %lld in all", hits,
	       vfm_probe_delay_hits());
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGKILL, WTERMSIG(status));
	ASSERT_LE(4, hits);
	ASSERT_GE(hits + 1, vfm_probe_delay_hits());
	ASSERT_EQ(0, vfm_probe_unload());
	assert_released(_metadata, self->vmlck, self->pins, self->refcnt,
			variant->b.module);
}

/*
 * fork() with a live container: the child holds the files too, and may
 * map from its own memory (charged to it); its exit takes nothing from
 * the parent, whose mappings keep working.
 */
TEST_F(life, a_forked_child_exits_and_the_parent_maps_on)
{
	struct vfm_ctx ctx;
	uint64_t unmapped;
	char *src, *dst;
	int status;
	pid_t pid;

	if (!vfm_ctx_setup(_metadata, &ctx, &variant->b, 1))
		return;
	src = vfm_alloc(PG);
	dst = vfm_alloc(PG);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	vfm_fill(src, PG, 7);
	ASSERT_EQ(0, vfm_map(ctx.container, IOVA, src, PG,
			     VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, vfm_map(ctx.container, IOVA + PG, dst, PG, RW));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *own = vfm_alloc(PG);

		_exit(own && !vfm_map(ctx.container, IOVA + 2 * PG, own, PG,
				      RW) ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* The parent's charge is its own, its mappings work. */
	ASSERT_EQ(self->vmlck + 2 * (long)PG / 1024, vfm_vmlck_kb());
	memset(dst, 0, PG);
	ASSERT_EQ(0, vfm_edu_dma(&ctx.edu[0], IOVA, EDU_DMA_MAX, false));
	ASSERT_EQ(0, vfm_edu_dma(&ctx.edu[0], IOVA + PG, EDU_DMA_MAX, true));
	ASSERT_EQ(0, memcmp(src, dst, EDU_DMA_MAX));
	/* The dead child's mapping is still there, and goes. */
	ASSERT_EQ(0, vfm_unmap(ctx.container, IOVA + 2 * PG, PG, 0,
			       &unmapped));
	ASSERT_EQ(PG, unmapped);

	vfm_ctx_close(&ctx);
	vfm_free(src, PG);
	vfm_free(dst, PG);
	assert_released(_metadata, self->vmlck, self->pins, self->refcnt,
			variant->b.module);
}

/*
 * A device unplugged while its group is in a container: with it goes the
 * group.  As the last group, it takes the container's IOMMU and every
 * mapping; beside another group, it leaves the rest working.
 */
TEST_F(life, a_device_unplugged_from_a_container)
{
	struct vfio_iommu_type1_info *info;
	struct vfm_ctx ctx;
	char *src, *dst;

	src = vfm_alloc(PG);
	dst = vfm_alloc(PG);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);

	/* The only group. */
	ASSERT_EQ(0, vfm_ctx_open(&ctx, &variant->b, 0));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 0));
	ASSERT_EQ(0, vfm_map(ctx.container, IOVA, src, PG, RW));
	ASSERT_EQ(0, vfm_mock_remove(0));
	ASSERT_EQ(-EINVAL, vfm_get_info(ctx.container, &info));
	ASSERT_EQ(-EINVAL, vfm_map(ctx.container, IOVA + PG, dst, PG, RW));
	vfm_ctx_close(&ctx);
	assert_released(_metadata, self->vmlck, self->pins, self->refcnt,
			variant->b.module);
	ASSERT_EQ(0, vfm_mock_add(-1));

	/* Beside an edu device's group. */
	if (!vfm_ctx_setup(_metadata, &ctx, &variant->b, 1))
		return;
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 0));
	vfm_fill(src, PG, 3);
	ASSERT_EQ(0, vfm_map(ctx.container, IOVA, src, PG,
			     VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, vfm_map(ctx.container, IOVA + PG, dst, PG, RW));
	ASSERT_EQ(0, vfm_mock_remove(0));
	memset(dst, 0, PG);
	ASSERT_EQ(0, vfm_edu_dma(&ctx.edu[0], IOVA, EDU_DMA_MAX, false));
	ASSERT_EQ(0, vfm_edu_dma(&ctx.edu[0], IOVA + PG, EDU_DMA_MAX, true));
	ASSERT_EQ(0, memcmp(src, dst, EDU_DMA_MAX));
	if (!strcmp(variant->b.module, "vfio_mirror"))
		ASSERT_EQ(1, vfm_mirror_domains());
	vfm_ctx_close(&ctx);
	vfm_free(src, PG);
	vfm_free(dst, PG);
	assert_released(_metadata, self->vmlck, self->pins, self->refcnt,
			variant->b.module);
}

/* An ioctl of @cmd, on its own thread, whose argument faults. */
struct stalled_ioctl {
	int container;
	unsigned long cmd;
	void *arg;
	int ret;
	int err;
};

static void *stalled_ioctl_thread(void *data)
{
	struct stalled_ioctl *s = data;

	s->ret = ioctl(s->container, s->cmd, s->arg);
	s->err = errno;
	return NULL;
}

/*
 * The VFIO core calls the backend's ioctl without a lock of its own, so
 * detaching the last group releases the container while an ioctl may be
 * inside the backend.  Here one is, for sure: its argument is in a page
 * that userfaultfd holds back, so the backend waits in copy_from_user()
 * until the test answers, after the release and a grace period.  The
 * ioctl must then fail cleanly (-EINVAL), on memory still valid.
 */
TEST(an_ioctl_inside_the_backend_outlives_the_release)
{
	static const struct vfm_backend b = VFM_BACKEND_MIRROR;
	static const unsigned long cmds[] = {
		VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA,
		VFIO_IOMMU_UNMAP_DMA, VFIO_MIRROR_IOMMU_READ_FAULTS,
		VFIO_MIRROR_IOMMU_SET_EVENTFD,
	};
	struct vfio_mirror_fault recs[4];
	struct stalled_ioctl s;
	struct vfm_uffd uffd;
	struct vfm_ctx ctx;
	unsigned int i;
	pthread_t t;
	char *src, *mem;
	int efd;

	if (!vfm_mocks_ready(_metadata))
		return;
	src = vfm_alloc(PG);
	mem = vfm_alloc(PG);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, mem);
	ASSERT_LE(0, efd);

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		/* An argument the backend would take, had it a container. */
		memset(src, 0, PG);
		switch (cmds[i]) {
		case VFIO_IOMMU_GET_INFO:
			*(struct vfio_iommu_type1_info *)src =
				(struct vfio_iommu_type1_info){
					.argsz = sizeof(struct vfio_iommu_type1_info),
				};
			break;
		case VFIO_IOMMU_MAP_DMA:
			*(struct vfio_iommu_type1_dma_map *)src =
				(struct vfio_iommu_type1_dma_map){
					.argsz = sizeof(struct vfio_iommu_type1_dma_map),
					.flags = RW, .vaddr = (uintptr_t)mem,
					.iova = IOVA, .size = PG,
				};
			break;
		case VFIO_IOMMU_UNMAP_DMA:
			*(struct vfio_iommu_type1_dma_unmap *)src =
				(struct vfio_iommu_type1_dma_unmap){
					.argsz = sizeof(struct vfio_iommu_type1_dma_unmap),
					.iova = IOVA, .size = PG,
				};
			break;
		case VFIO_MIRROR_IOMMU_READ_FAULTS:
			*(struct vfio_mirror_fault_read *)src =
				(struct vfio_mirror_fault_read){
					.argsz = sizeof(struct vfio_mirror_fault_read),
					.record_size = sizeof(recs[0]),
					.count = ARRAY_SIZE(recs),
					.records = (uintptr_t)recs,
				};
			break;
		case VFIO_MIRROR_IOMMU_SET_EVENTFD:
			*(struct vfio_mirror_eventfd *)src =
				(struct vfio_mirror_eventfd){
					.argsz = sizeof(struct vfio_mirror_eventfd),
					.events = VFIO_MIRROR_EVENT_FAULT,
					.fd = efd,
				};
			break;
		}

		ASSERT_EQ(0, vfm_uffd_open(&uffd, PG));
		ASSERT_EQ(0, vfm_ctx_open(&ctx, &b, 0));
		ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 0));
		s = (struct stalled_ioctl){
			.container = ctx.container, .cmd = cmds[i],
			.arg = uffd.mem,
		};
		ASSERT_EQ(0, pthread_create(&t, NULL, stalled_ioctl_thread,
					    &s));
		/* The ioctl is in the backend, waiting for the page. */
		ASSERT_NE(0, vfm_uffd_wait(&uffd, 30000));

		/* Release: the last group goes.  Then a grace period. */
		ASSERT_EQ(0, vfm_ctx_detach_mock(&ctx, 0));
		usleep(200 * 1000);

		ASSERT_EQ(0, vfm_uffd_fill(&uffd, uffd.mem, PG, src));
		pthread_join(t, NULL);
		ASSERT_EQ(-1, s.ret);
		ASSERT_EQ(EINVAL, s.err);

		vfm_ctx_close(&ctx);
		vfm_uffd_close(&uffd);
	}
	vfm_free(src, PG);
	vfm_free(mem, PG);
	close(efd);
	ASSERT_EQ(0, vfm_mirror_stat("containers"));
	ASSERT_EQ(0, vfm_mirror_stat("pinned_pages"));
}

TEST_HARNESS_MAIN
