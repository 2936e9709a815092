// SPDX-License-Identifier: GPL-2.0-only
/*
 * One locked_vm charge per page per process: memory that several
 * containers of one process map (one container per device behind a
 * virtual IOMMU) is charged to its VmLck once, and uncharged when the last
 * container lets it go.  type1 charges it once per container: its rows
 * check that, so each assertion says what both backends do.  The charge
 * never falls below the memory pinned: memory replaced behind an address
 * and mapped again is charged again.
 *
 * Three containers, each with one mock device's group.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vfm_test.h"

#define KB		1024L
#define PG		4096L
#define IOVA		0x100000ULL
#define IOVA2		0x800000ULL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define N		VFM_MAX_MOCK
#define SIZE		(1024 * KB)

FIXTURE(share) {
	struct vfm_ctx ctx[N];
	int open;		/* ctx[0..open-1] are open */
	char *buf;
	long vmlck;
	long long pins;
};

FIXTURE_VARIANT(share) {
	struct vfm_backend b;
};

#define VFM_FIXTURE share
#include "vfm_backends.h"

/* Does the row's backend charge a page of one process once? */
static bool shares(const struct vfm_backend *b)
{
	return !vfm_is_type1(b);
}

/* In a test: container @i, and VmLck in KiB above the test's start. */
#define container(self, i)	((self)->ctx[i].container)
#define vmlck(self)		(vfm_vmlck_kb() - (self)->vmlck)

FIXTURE_SETUP(share)
{
	int i;

	if (!vfm_mocks_ready(_metadata))
		return;
	VFM_REQUIRE(return, VFM_NEED_BACKEND, .b = &variant->b);
	if (shares(&variant->b))
		ASSERT_EQ(0, vfm_param_write(variant->b.module,
					     "share_locked_vm", "1"));
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, vfm_ctx_open(&self->ctx[i], &variant->b, 0));
		self->open = i + 1;
		ASSERT_EQ(0, vfm_ctx_attach_mock(&self->ctx[i], i));
	}
	self->buf = vfm_alloc(SIZE);
	ASSERT_NE(NULL, self->buf);
	self->vmlck = vfm_vmlck_kb();
	self->pins = vfm_pins_outstanding();
	ASSERT_LE(0, self->vmlck);
	ASSERT_LE(0, self->pins);
}

static void close_all(struct vfm_ctx *ctx, int *open)
{
	while (*open)
		vfm_ctx_close(&ctx[--*open]);
}

FIXTURE_TEARDOWN(share)
{
	int n;

	close_all(self->ctx, &self->open);
	vfm_free(self->buf, SIZE);
	if (shares(&variant->b))
		vfm_param_write(variant->b.module, "share_locked_vm", "1");
	for (n = 0; n < N; n++)
		vfm_mock_reset(n);
}

/*
 * Once every container is closed: no charge, no pin and, for a backend
 * that @shares, no record left of what they held.
 */
static void all_gone(struct __test_metadata *_metadata, long vmlck,
		     long long pins, bool shares)
{
	ASSERT_EQ(vmlck, vfm_vmlck_kb());
	ASSERT_EQ(pins, vfm_pins_outstanding());
	if (shares)
		ASSERT_EQ(0, vfm_mirror_stat("shared_frames"));
}

/* The charge of @k containers mapping the same @kb. */
static long charge(const struct vfm_backend *b, int k, long kb)
{
	return k && shares(b) ? kb : k * kb;
}

TEST_F(share, n_containers_map_the_same_memory_charged_once)
{
	int i;

	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, vfm_map(container(self, i), IOVA, self->buf, SIZE,
				     RW));
		ASSERT_EQ(charge(&variant->b, i + 1, SIZE / KB), vmlck(self));
		/* Each container pins: a device may reach the pages. */
		ASSERT_EQ(self->pins + (i + 1) * SIZE / PG,
			  vfm_pins_outstanding());
	}
}

/* Every order of unmapping three containers' mappings of the same pages. */
TEST_F(share, unmaps_in_every_order)
{
	static const int orders[6][N] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	int o, i;

	for (o = 0; o < 6; o++) {
		for (i = 0; i < N; i++)
			ASSERT_EQ(0, vfm_map(container(self, i), IOVA,
					     self->buf, SIZE, RW));
		for (i = 0; i < N; i++) {
			ASSERT_EQ(0, vfm_unmap(container(self, orders[o][i]),
					       IOVA, SIZE, 0, NULL));
			ASSERT_EQ(charge(&variant->b, N - i - 1, SIZE / KB),
				  vmlck(self)) {
				TH_LOG("order %d, after %d unmaps", o, i + 1);
			}
		}
		ASSERT_EQ(self->pins, vfm_pins_outstanding());
	}
}

/* Parts of the memory shared, parts not: each page charged once. */
TEST_F(share, overlapping_mappings_charge_each_page_once)
{
	/* 0: [0, 1 MiB); 1: [512 KiB, 1 MiB) and [0, 256 KiB) again. */
	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_map(container(self, 1), IOVA, self->buf + SIZE / 2,
			     SIZE / 2, RW));
	ASSERT_EQ(0, vfm_map(container(self, 1), IOVA2, self->buf,
			     SIZE / 4, RW));
	ASSERT_EQ(shares(&variant->b) ? 1024 : 1024 + 512 + 256, vmlck(self));

	/* The pages container 1 alone holds are none. */
	ASSERT_EQ(0, vfm_unmap(container(self, 0), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(512 + 256, vmlck(self));
	ASSERT_EQ(0, vfm_unmap(container(self, 1), IOVA2, SIZE / 4, 0, NULL));
	ASSERT_EQ(512, vmlck(self));
}

/*
 * A container that mapped before a second one joined: what it charged
 * twice (a page mapped at two IOVAs) becomes one charge when sharing
 * starts, and the charge is right after every later unmap.
 */
TEST_F(share, the_first_containers_charge_is_recounted_when_a_second_maps)
{
	char *other = vfm_alloc(PG);

	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA2, self->buf, SIZE / 4,
			     RW));
	ASSERT_EQ(1024 + 256, vmlck(self));

	ASSERT_EQ(0, vfm_map(container(self, 1), IOVA, other, PG, RW));
	ASSERT_EQ(shares(&variant->b) ? 1024 + 4 : 1024 + 256 + 4,
		  vmlck(self));

	ASSERT_EQ(0, vfm_unmap(container(self, 0), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(256 + 4, vmlck(self));
	ASSERT_EQ(0, vfm_unmap(container(self, 0), IOVA2, SIZE / 4, 0, NULL));
	ASSERT_EQ(4, vmlck(self));
	ASSERT_EQ(0, vfm_unmap(container(self, 1), IOVA, PG, 0, NULL));
	ASSERT_EQ(0, vmlck(self));
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
	vfm_free(other, PG);
}

TEST_F(share, a_container_closed_while_others_keep_the_pages)
{
	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_map(container(self, 1), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(charge(&variant->b, 2, SIZE / KB), vmlck(self));

	/* Closed with its mapping: the other still holds every page. */
	vfm_ctx_close(&self->ctx[0]);
	ASSERT_EQ(SIZE / KB, vmlck(self));
	ASSERT_EQ(self->pins + SIZE / PG, vfm_pins_outstanding());
	ASSERT_EQ(0, vfm_unmap(container(self, 1), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(0, vmlck(self));

	/* Reopened, it shares again. */
	ASSERT_EQ(0, vfm_ctx_open(&self->ctx[0], &variant->b, 0));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&self->ctx[0], 0));
	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_map(container(self, 1), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(charge(&variant->b, 2, SIZE / KB), vmlck(self));
	close_all(self->ctx, &self->open);
	all_gone(_metadata, self->vmlck, self->pins, shares(&variant->b));
}

/*
 * The attack a per-address record would miss: map memory, replace it
 * behind the same address, map the address again in another container.
 * Two sets of pages are pinned, and both are charged: under a limit that
 * fits one, the second map fails.
 */
TEST_F(share, memory_replaced_behind_an_address_is_charged_again)
{
	char *again;

	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	again = mmap(self->buf, SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE,
		     -1, 0);
	ASSERT_EQ(self->buf, again);
	ASSERT_EQ(0, vfm_map(container(self, 1), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(2 * SIZE / KB, vmlck(self));
	ASSERT_EQ(self->pins + 2 * SIZE / PG, vfm_pins_outstanding());
	ASSERT_EQ(0, vfm_unmap(container(self, 1), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(SIZE / KB, vmlck(self));

	/* Without CAP_IPC_LOCK, room for 1.5 times the memory. */
	ASSERT_EQ(0, vfm_memlock_bounded((self->vmlck + 3 * SIZE / KB / 2) *
					 KB));
	ASSERT_EQ(-ENOMEM, vfm_map(container(self, 1), IOVA, self->buf, SIZE,
				   RW));
	ASSERT_EQ(SIZE / KB, vmlck(self));
	ASSERT_EQ(self->pins + SIZE / PG, vfm_pins_outstanding());
}

/*
 * The limit a VMM with a vIOMMU and N devices needs: one times its memory
 * with vfio-mirror, N times with type1.
 */
TEST_F(share, n_containers_fit_a_limit_of_one_times_the_memory)
{
	int i, ret;

	ASSERT_EQ(0, vfm_memlock_bounded((self->vmlck + SIZE / KB + 64) *
					 KB));
	for (i = 0; i < N; i++) {
		ret = vfm_map(container(self, i), IOVA, self->buf, SIZE, RW);
		ASSERT_EQ(i && !shares(&variant->b) ? -ENOMEM : 0, ret);
	}
	ASSERT_EQ(SIZE / KB, vmlck(self));
}

/*
 * References of a page that share its charge (VFM_ACCT_SHARED_REFS): past
 * them each is charged, so that the pins of a page stay bounded by the
 * limit, as with type1 (a folio's count must not overflow).
 */
#define SHARED_REFS	4096

TEST_F_TIMEOUT(share, a_page_mapped_past_4096_times_is_charged_per_mapping,
	       120)
{
	const long more = 5;
	long k;

	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, PG, RW));
	for (k = 0; k < SHARED_REFS + more - 1; k++)
		ASSERT_EQ(0, vfm_map(container(self, 1), IOVA2 + k * PG,
				     self->buf, PG, RW)) {
			TH_LOG("mapping %ld", k);
		}
	ASSERT_EQ((shares(&variant->b) ? 1 + more : SHARED_REFS + more) *
		  PG / KB, vmlck(self));
	ASSERT_EQ(0, vfm_unmap(container(self, 1), 0, 0,
			       VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_EQ(PG / KB, vmlck(self));
}

/* An operator who relies on type1's charge per container gets it. */
TEST_F(share, share_locked_vm_off_charges_per_container)
{
	VFM_REQUIRE(return, VFM_NEED_SHARED_LOCKED_VM, .b = &variant->b);
	ASSERT_EQ(0, vfm_param_write(variant->b.module, "share_locked_vm",
				     "0"));
	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_map(container(self, 1), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(2 * SIZE / KB, vmlck(self));
	ASSERT_EQ(0, vfm_unmap(container(self, 0), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(SIZE / KB, vmlck(self));
	ASSERT_EQ(0, vfm_mirror_stat("shared_frames"));
}

/*
 * A MAP_DMA refused for its arguments does not link its container to the
 * process's account: the first container's frames are not recorded.
 */
TEST_F(share, a_refused_map_does_not_make_the_account_shared)
{
	VFM_REQUIRE(return, VFM_NEED_SHARED_LOCKED_VM, .b = &variant->b);
	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(-EINVAL, vfm_map(container(self, 1), IOVA, self->buf, 0,
				   RW));
	ASSERT_EQ(-EOVERFLOW, vfm_map(container(self, 1), -PG, self->buf,
				      2 * PG, RW));
	ASSERT_EQ(0, vfm_mirror_stat("shared_frames"));
	/* A map that is not refused does. */
	ASSERT_EQ(0, vfm_map(container(self, 1), IOVA, self->buf, PG, RW));
	ASSERT_EQ(SIZE / PG, vfm_mirror_stat("shared_frames"));
	ASSERT_EQ(SIZE / KB, vmlck(self));
}

/* Run @fn on @ctx and @buf in a child; its exit status, or -1. */
static int in_child(int (*fn)(struct vfm_ctx *ctx, char *buf),
		    struct vfm_ctx *ctx, char *buf)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(ctx, buf));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * A forked child's mappings are charged to the child: its pages are its
 * own (the parent's pinned pages were copied at fork).
 */
static int child_maps(struct vfm_ctx *ctx, char *buf)
{
	long before = vfm_vmlck_kb();

	if (vfm_map(ctx[1].container, IOVA, buf, SIZE, RW))
		return 1;
	if (vfm_vmlck_kb() != before + SIZE / KB)
		return 2;
	if (vfm_map(ctx[2].container, IOVA, buf, SIZE, RW))
		return 3;
	/* Its two containers share its pages, with vfio-mirror. */
	return (vfm_vmlck_kb() - before) / (SIZE / KB) + 10;
}

TEST_F(share, a_forked_child_is_charged_for_its_own_pages)
{
	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(10 + charge(&variant->b, 2, 1),
		  in_child(child_maps, self->ctx, self->buf));
	/* The parent's charge did not move. */
	ASSERT_EQ(SIZE / KB, vmlck(self));
	ASSERT_EQ(0, vfm_unmap(container(self, 1), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(0, vfm_unmap(container(self, 2), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(SIZE / KB, vmlck(self));
	ASSERT_EQ(self->pins + SIZE / PG, vfm_pins_outstanding());
}

/*
 * VFIO_UPDATE_VADDR by another process (a VMM after exec, here a child)
 * moves a mapping's charge to it; what the parent's other container holds
 * stays charged to the parent.
 */
static int child_takes_over(struct vfm_ctx *ctx, char *buf)
{
	long before = vfm_vmlck_kb();

	if (vfm_set_vaddr(ctx[0].container, IOVA, buf, SIZE))
		return 1;
	return (vfm_vmlck_kb() - before) / (SIZE / KB) + 10;
}

TEST_F(share, vaddr_update_moves_one_containers_charge)
{
	VFM_REQUIRE(return, VFM_NEED_V2, .b = &variant->b);
	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_map(container(self, 1), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(charge(&variant->b, 2, SIZE / KB), vmlck(self));
	ASSERT_EQ(0, vfm_unmap(container(self, 0), IOVA, SIZE,
			       VFIO_DMA_UNMAP_FLAG_VADDR, NULL));
	ASSERT_EQ(11, in_child(child_takes_over, self->ctx, self->buf));
	/* Container 1 still holds every page for the parent. */
	ASSERT_EQ(SIZE / KB, vmlck(self));
	ASSERT_EQ(0, vfm_unmap(container(self, 1), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(0, vmlck(self));
	/* The child's mapping goes with a charge nobody holds any more. */
	ASSERT_EQ(0, vfm_unmap(container(self, 0), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

/*
 * A mediated device's pins, in a container without a domain, and the
 * same pages mapped in another container: charged once.
 */
TEST_F(share, mediated_pins_and_another_containers_mapping)
{
	struct vfm_ctx e;
	uint64_t phys;
	int fd;

	VFM_REQUIRE(return, VFM_NEED_V2_PINNING, .b = &variant->b);
	ASSERT_EQ(0, vfm_ctx_open(&e, &variant->b, 0));
	if (!vfm_ctx_emul(_metadata, &e, 0)) {
		vfm_ctx_close(&e);
		return;
	}
	fd = e.emul_fd[0];
	ASSERT_EQ(0, vfm_map(e.container, IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vmlck(self));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA, 4, VFM_EMUL_PROT_READ, &phys));
	ASSERT_EQ(16, vmlck(self));

	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(shares(&variant->b) ? SIZE / KB : SIZE / KB + 16,
		  vmlck(self));
	ASSERT_EQ(0, vfm_unmap(container(self, 0), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(16, vmlck(self));
	ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA, 4));
	ASSERT_EQ(0, vmlck(self));
	vfm_ctx_close(&e);
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

/*
 * A container of a mediated device whose first IOMMU group joins (every
 * mapping is pinned by the replay) and leaves again (the mappings are
 * unpinned, the device's pins stay charged), while another container maps
 * the same memory.
 */
TEST_F(share, replay_and_last_domain_leaving_beside_another_container)
{
	struct vfm_ctx e;
	uint64_t phys;
	int fd;

	VFM_REQUIRE(return, VFM_NEED_V2_PINNING, .b = &variant->b);
	/* Mock 2 goes to the mediated device's container. */
	vfm_ctx_close(&self->ctx[2]);
	ASSERT_EQ(0, vfm_ctx_open(&e, &variant->b, 0));
	if (!vfm_ctx_emul(_metadata, &e, 0)) {
		vfm_ctx_close(&e);
		return;
	}
	fd = e.emul_fd[0];
	ASSERT_EQ(0, vfm_map(e.container, IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA, 4, VFM_EMUL_PROT_READ, &phys));
	ASSERT_EQ(0, vfm_map(container(self, 0), IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(shares(&variant->b) ? SIZE / KB : SIZE / KB + 16,
		  vmlck(self));

	ASSERT_EQ(0, vfm_ctx_attach_mock(&e, 2));
	ASSERT_EQ(charge(&variant->b, 2, SIZE / KB), vmlck(self));
	ASSERT_EQ(self->pins + 2 * SIZE / PG + 4, vfm_pins_outstanding());

	ASSERT_EQ(0, vfm_ctx_detach_mock(&e, 2));
	ASSERT_EQ(shares(&variant->b) ? SIZE / KB : SIZE / KB + 16,
		  vmlck(self));
	ASSERT_EQ(0, vfm_unmap(container(self, 0), IOVA, SIZE, 0, NULL));
	ASSERT_EQ(16, vmlck(self));
	ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA, 4));
	ASSERT_EQ(0, vmlck(self));
	vfm_ctx_close(&e);
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

/* A thread mapping and unmapping the same memory in its own container. */
struct churn {
	int container;
	char *buf;
	int err;
};

#define CHURN_SIZE	(256 * KB)
#define CHURN_MAPS	50
#define CHURN_ROUNDS	10

/* Map and unmap CHURN_MAPS times; end mapped. */
static void *churn(void *arg)
{
	struct churn *ch = arg;
	int i;

	for (i = 0; i < CHURN_MAPS && !ch->err; i++) {
		ch->err = vfm_map(ch->container, IOVA, ch->buf, CHURN_SIZE, RW);
		if (!ch->err && i < CHURN_MAPS - 1)
			ch->err = vfm_unmap(ch->container, IOVA, CHURN_SIZE, 0,
					    NULL);
	}
	return NULL;
}

/*
 * Three threads map and unmap the same memory, each in its own fresh
 * container, so that the containers link to the process's account and
 * make it shared while the others map: round after round, the charge
 * adds up once they stop, and nothing is left once they are closed.
 */
TEST_F_TIMEOUT(share, threads_mapping_while_the_account_goes_shared, 300)
{
	struct churn ch[N];
	pthread_t t[N];
	int r, i;

	for (r = 0; r < CHURN_ROUNDS; r++) {
		close_all(self->ctx, &self->open);
		for (i = 0; i < N; i++) {
			ASSERT_EQ(0, vfm_ctx_open(&self->ctx[i], &variant->b,
						  0));
			self->open = i + 1;
			ASSERT_EQ(0, vfm_ctx_attach_mock(&self->ctx[i], i));
			ch[i] = (struct churn){
				.container = container(self, i),
				.buf = self->buf,
			};
		}
		for (i = 0; i < N; i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL, churn,
						    &ch[i]));
		for (i = 0; i < N; i++) {
			ASSERT_EQ(0, pthread_join(t[i], NULL));
			ASSERT_EQ(0, ch[i].err);
		}
		ASSERT_EQ(charge(&variant->b, N, CHURN_SIZE / KB),
			  vmlck(self)) {
			TH_LOG("round %d", r);
		}
		ASSERT_EQ(self->pins + N * CHURN_SIZE / PG,
			  vfm_pins_outstanding());
	}
	close_all(self->ctx, &self->open);
	all_gone(_metadata, self->vmlck, self->pins, shares(&variant->b));
}

/*
 * A VMM killed with its containers open: everything they pinned and
 * charged goes, and vfio-mirror's records with it.
 */
TEST_F(share, kill_9_with_containers_open)
{
	int sync[2], i;
	char c;
	pid_t pid;

	close_all(self->ctx, &self->open);
	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct vfm_ctx ctx[N];
		long before = vfm_vmlck_kb();

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (i = 0; i < N; i++)
			if (vfm_ctx_open(&ctx[i], &variant->b, 0) ||
			    vfm_ctx_attach_mock(&ctx[i], i) ||
			    vfm_map(ctx[i].container, IOVA, self->buf, SIZE,
				    RW))
				_exit(1);
		c = vfm_vmlck_kb() - before == charge(&variant->b, N,
						      SIZE / KB);
		if (write(sync[1], &c, 1) != 1)
			_exit(2);
		pause();
		_exit(3);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &c, 1));
	ASSERT_EQ(1, c);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	close(sync[0]);
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
	if (shares(&variant->b)) {
		ASSERT_EQ(0, vfm_mirror_stat("shared_frames"));
		ASSERT_EQ(0, vfm_mirror_stat("locked_pages"));
	}
}

TEST_HARNESS_MAIN
