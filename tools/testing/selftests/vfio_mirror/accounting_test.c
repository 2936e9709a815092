// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinned memory is charged to the mapping process's locked_vm (VmLck),
 * bounded by RLIMIT_MEMLOCK unless the process has CAP_IPC_LOCK, and
 * returned on unmap; a refused mapping leaves nothing pinned or charged.
 * Every test runs against vfio_iommu_type1 and vfio-mirror.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vfm_test.h"

#define KB		1024L
#define IOVA		0x100000ULL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

FIXTURE(acct) {
	struct vfm_ctx ctx;
	char *buf;
	size_t size;
	long vmlck;
	long long pins;
};

FIXTURE_VARIANT(acct) {
	struct vfm_backend b;
};

#define VFM_FIXTURE acct
#include "vfm_backends.h"

FIXTURE_SETUP(acct)
{
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->size = 4 << 20;
	self->buf = vfm_alloc(self->size);
	ASSERT_NE(NULL, self->buf);
	self->vmlck = vfm_vmlck_kb();
	self->pins = vfm_pins_outstanding();
	ASSERT_LE(0, self->vmlck);
	ASSERT_LE(0, self->pins);
}

FIXTURE_TEARDOWN(acct)
{
	vfm_ctx_close(&self->ctx);
	vfm_free(self->buf, self->size);
}

static int set_memlock_limit(long bytes)
{
	struct rlimit rl = { bytes, bytes };

	return setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : 0;
}

TEST_F(acct, locked_vm_follows_mappings)
{
	int c = self->ctx.container;

	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, 1 << 20, RW));
	ASSERT_EQ(self->vmlck + 1024, vfm_vmlck_kb());
	ASSERT_EQ(self->pins + 256, vfm_pins_outstanding());

	ASSERT_EQ(0, vfm_map(c, IOVA + (2 << 20), self->buf + (2 << 20),
			     512 * KB, RW));
	ASSERT_EQ(self->vmlck + 1536, vfm_vmlck_kb());

	ASSERT_EQ(0, vfm_unmap(c, IOVA, 1 << 20, 0, NULL));
	ASSERT_EQ(self->vmlck + 512, vfm_vmlck_kb());

	ASSERT_EQ(0, vfm_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

TEST_F(acct, same_memory_mapped_twice_is_charged_twice)
{
	int c = self->ctx.container;

	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, 256 * KB, RW));
	ASSERT_EQ(0, vfm_map(c, IOVA + (1 << 20), self->buf, 256 * KB, RW));
	ASSERT_EQ(self->vmlck + 512, vfm_vmlck_kb());
	ASSERT_EQ(0, vfm_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
}

TEST_F(acct, memlock_limit_without_cap_ipc_lock)
{
	int c = self->ctx.container;

	ASSERT_EQ(0, vfm_memlock_bounded(self->vmlck * KB + 512 * KB));

	/* 2 MiB is over the limit: refused, nothing left behind. */
	ASSERT_EQ(-ENOMEM, vfm_map(c, IOVA, self->buf, 2 << 20, RW));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	ASSERT_EQ(self->pins, vfm_pins_outstanding());

	/* Up to the limit is fine; one page beyond is not. */
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, 512 * KB, RW));
	ASSERT_EQ(-ENOMEM, vfm_map(c, IOVA + (1 << 20), self->buf + (1 << 20),
				   4096, RW));
	ASSERT_EQ(self->vmlck + 512, vfm_vmlck_kb());
}

TEST_F(acct, cap_ipc_lock_lifts_the_limit_but_is_charged)
{
	int c = self->ctx.container;

	ASSERT_EQ(0, set_memlock_limit(self->vmlck * KB + 512 * KB));
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, 2 << 20, RW));
	ASSERT_EQ(self->vmlck + 2048, vfm_vmlck_kb());
	ASSERT_EQ(0, vfm_unmap(c, IOVA, 2 << 20, 0, NULL));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
}

TEST_F(acct, refused_mapping_leaves_nothing_pinned)
{
	int c = self->ctx.container;
	char *hole = self->buf + (1 << 20);

	/* A hole in the middle makes pinning fail part way. */
	ASSERT_EQ(0, munmap(hole, 4096));
	ASSERT_EQ(-EFAULT, vfm_map(c, IOVA, self->buf, 2 << 20, RW));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
	/* And the IOVA range is free again. */
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, 1 << 20, RW));
}

TEST_HARNESS_MAIN
