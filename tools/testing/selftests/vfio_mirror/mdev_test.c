// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mediated devices (VFIO_EMULATED_IOMMU groups), as type1 serves them:
 * pinning through the backend, charged to locked_vm once per page and not
 * at all while an IOMMU group pins the mappings; vfio_dma_rw() copies;
 * the device told to unpin before an unmap; containers mixing mediated
 * and IOMMU groups, either joining one that has mappings.  The device is
 * vfio_mirror_emul.ko's.  Every test runs against vfio_iommu_type1 and
 * vfio-mirror.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfm_test.h"

#define KB		1024L
#define PG		4096ULL
#define IOVA		0x200000ULL
#define SIZE		(64 * PG)
#define RD		VFIO_DMA_MAP_FLAG_READ
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define P_R		VFM_EMUL_PROT_READ
#define P_RW		(VFM_EMUL_PROT_READ | VFM_EMUL_PROT_WRITE)

FIXTURE(mdev) {
	struct vfm_ctx ctx;
	uint8_t *buf;
	long vmlck;
	long long pins;
};

FIXTURE_VARIANT(mdev) {
	struct vfm_backend b;
};

#define VFM_FIXTURE mdev
#include "vfm_backends.h"

FIXTURE_SETUP(mdev)
{
	VFM_REQUIRE(return, VFM_NEED_V2_PINNING, .b = &variant->b);
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 0))
		return;
	self->buf = vfm_alloc(SIZE);
	ASSERT_NE(NULL, self->buf);
	vfm_fill(self->buf, SIZE, 0x3d3d);
	self->vmlck = vfm_vmlck_kb();
	self->pins = vfm_pins_outstanding();
}

FIXTURE_TEARDOWN(mdev)
{
	vfm_ctx_close(&self->ctx);
	/* Nothing the test did stays pinned, or charged. */
	EXPECT_EQ(self->pins, vfm_pins_outstanding());
	EXPECT_EQ(self->vmlck, vfm_vmlck_kb());
	vfm_free(self->buf, SIZE);
}

static long long held(int fd)
{
	struct vfm_emul_state st;

	return vfm_emul_state(fd, &st) ? -1 : (long long)st.pinned;
}

TEST_F(mdev, pins_are_charged_once_without_an_iommu_group)
{
	int c = self->ctx.container, fd;
	uint64_t phys;

	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	fd = self->ctx.emul_fd[0];

	/* No IOMMU: nothing is pinned at map. */
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	ASSERT_EQ(self->pins, vfm_pins_outstanding());

	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA + PG, 4, P_RW, &phys));
	ASSERT_EQ(vfm_phys_of(self->buf + PG), phys);
	ASSERT_EQ(self->vmlck + 16, vfm_vmlck_kb());
	ASSERT_EQ(self->pins + 4, vfm_pins_outstanding());

	/* Three pinned again, one more reference each; one new page. */
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA + 2 * PG, 4, P_R, NULL));
	ASSERT_EQ(self->vmlck + 20, vfm_vmlck_kb());
	ASSERT_EQ(8, held(fd));
	if (!vfm_is_type1(self->ctx.b)) {
		ASSERT_EQ(1, vfm_mirror_info("mediated_groups"));
		ASSERT_EQ(1, vfm_mirror_info("mediated_devices"));
		ASSERT_EQ(5, vfm_mirror_info("device_pinned_pages"));
		ASSERT_EQ(0, vfm_mirror_info("domains"));
	}

	ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA + PG, 4));
	ASSERT_EQ(self->vmlck + 16, vfm_vmlck_kb());
	ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA + 2 * PG, 4));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

/* A process without CAP_IPC_LOCK: its pins are bounded by RLIMIT_MEMLOCK. */
TEST_F(mdev, pins_beyond_the_memlock_limit_fail)
{
	int c = self->ctx.container, fd;

	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	fd = self->ctx.emul_fd[0];
	ASSERT_EQ(0, vfm_memlock_bounded((self->vmlck + 8) * KB));

	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA, 2, P_RW, NULL));
	ASSERT_EQ(-ENOMEM, vfm_emul_pin(fd, IOVA + 2 * PG, 1, P_RW, NULL));
	/* A batch that goes past it is unwound whole. */
	ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA + PG, 1));
	ASSERT_EQ(-ENOMEM, vfm_emul_pin(fd, IOVA + 4 * PG, 2, P_RW, NULL));
	ASSERT_EQ(1, held(fd));
	ASSERT_EQ(self->vmlck + 4, vfm_vmlck_kb());
	/* A page already pinned costs nothing more. */
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA, 1, P_RW, NULL));
	ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA, 1));
	ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA, 1));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
}

TEST_F(mdev, bad_pins_fail_and_leave_nothing)
{
	int c = self->ctx.container, fd;

	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	fd = self->ctx.emul_fd[0];
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE / 2, RD));
	ASSERT_EQ(0, vfm_map(c, IOVA + SIZE / 2, self->buf + SIZE / 2,
			     SIZE / 2, RW));

	ASSERT_EQ(-EINVAL, vfm_emul_pin(fd, IOVA - PG, 1, P_R, NULL));
	/* One page past the mapped range: the ones before are unwound. */
	ASSERT_EQ(-EINVAL, vfm_emul_pin(fd, IOVA + SIZE - 2 * PG, 3, P_R,
					NULL));
	ASSERT_EQ(-EPERM, vfm_emul_pin(fd, IOVA, 1, P_RW, NULL));
	ASSERT_EQ(-EPERM, vfm_emul_pin(fd, IOVA + SIZE / 2 - PG, 2, P_RW,
				       NULL));
	ASSERT_EQ(-E2BIG, vfm_emul_pin(fd, IOVA, 513, P_R, NULL));
	ASSERT_EQ(0, held(fd));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	ASSERT_EQ(self->pins, vfm_pins_outstanding());

	/* Across the two mappings, as the device asks for read only. */
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA + SIZE / 2 - PG, 2, P_R, NULL));
	ASSERT_EQ(self->vmlck + 8, vfm_vmlck_kb());
	ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA + SIZE / 2 - PG, 2));
}

TEST_F(mdev, dma_rw_copies_through_the_mappings)
{
	int c = self->ctx.container, fd;
	uint8_t in[3 * PG], out[3 * PG];

	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	fd = self->ctx.emul_fd[0];
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE / 2, RW));
	ASSERT_EQ(0, vfm_map(c, IOVA + SIZE / 2, self->buf + SIZE / 2,
			     SIZE / 2, RD));

	/* A copy across two mappings, neither page aligned. */
	vfm_fill(in, sizeof(in), 0x77);
	ASSERT_EQ(0, vfm_emul_rw(fd, IOVA + 100, in, sizeof(in), true));
	ASSERT_EQ(0, memcmp(self->buf + 100, in, sizeof(in)));
	ASSERT_EQ(0, vfm_emul_rw(fd, IOVA + SIZE / 2 - PG - 7, out,
				 sizeof(out), false));
	ASSERT_EQ(0, memcmp(self->buf + SIZE / 2 - PG - 7, out, sizeof(out)));

	ASSERT_EQ(-EPERM, vfm_emul_rw(fd, IOVA + SIZE / 2, in, 16, true));
	ASSERT_EQ(-EPERM, vfm_emul_rw(fd, IOVA + SIZE / 2 - 8, in, 16, true));
	ASSERT_EQ(-EINVAL, vfm_emul_rw(fd, IOVA + SIZE, out, 16, false));
	ASSERT_EQ(-EINVAL, vfm_emul_rw(fd, IOVA + SIZE - 8, out, 16, false));
	/* Nothing of a copy cut by an unmapped IOVA is lost before it. */
	ASSERT_EQ(0, memcmp(self->buf + SIZE / 2 - 8, in, 8));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
}

TEST_F(mdev, unmap_tells_the_device_first)
{
	int c = self->ctx.container, fd;
	struct vfm_emul_state st;
	uint64_t unmapped;

	VFM_REQUIRE(return, VFM_NEED_NOTIFY_UNDER_LOCKDEP, .b = self->ctx.b);
	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	fd = self->ctx.emul_fd[0];
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE / 2, RW));
	ASSERT_EQ(0, vfm_map(c, IOVA + SIZE / 2, self->buf + SIZE / 2,
			     SIZE / 2, RW));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA + SIZE / 2 + PG, 2, P_RW, NULL));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA + SIZE / 2 + PG, 1, P_RW, NULL));

	/* A mapping without pins goes without a word to the device. */
	ASSERT_EQ(0, vfm_unmap(c, IOVA, SIZE / 2, 0, &unmapped));
	ASSERT_EQ(SIZE / 2, unmapped);
	ASSERT_EQ(0, vfm_emul_state(fd, &st));
	ASSERT_EQ(0, st.unmaps);

	ASSERT_EQ(0, vfm_unmap(c, IOVA, SIZE, 0, &unmapped));
	ASSERT_EQ(SIZE / 2, unmapped);
	ASSERT_EQ(0, vfm_emul_state(fd, &st));
	ASSERT_EQ(1, st.unmaps);
	ASSERT_EQ(IOVA + SIZE / 2, st.last_iova);
	ASSERT_EQ(SIZE / 2, st.last_length);
	ASSERT_EQ(0, st.pinned);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

TEST_F(mdev, iommu_group_leaves_and_joins_a_mediated_container)
{
	int c = self->ctx.container, fd;
	uint64_t phys;

	if (!vfm_ctx_grow(_metadata, &self->ctx) ||
	    !vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	fd = self->ctx.emul_fd[0];

	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(self->vmlck + SIZE / KB, vfm_vmlck_kb());
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA + 3 * PG, 4, P_RW, &phys));
	ASSERT_EQ(vfm_phys_of(self->buf + 3 * PG), phys);
	ASSERT_EQ(self->vmlck + SIZE / KB, vfm_vmlck_kb());
	ASSERT_EQ(self->pins + SIZE / PG + 4, vfm_pins_outstanding());

	/* The mappings are unpinned, but for what the device holds. */
	ASSERT_EQ(0, vfm_ctx_remove(&self->ctx));
	ASSERT_EQ(self->vmlck + 16, vfm_vmlck_kb());
	ASSERT_EQ(self->pins + 4, vfm_pins_outstanding());

	/* Joining again pins everything, charging those pages no more. */
	ASSERT_EQ(0, vfm_ctx_add(&self->ctx));
	ASSERT_EQ(self->vmlck + SIZE / KB, vfm_vmlck_kb());
	ASSERT_EQ(self->pins + SIZE / PG + 4, vfm_pins_outstanding());
	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], IOVA + 5 * PG, 64,
				 false));
	memset(self->buf + 9 * PG, 0, 64);
	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], IOVA + 9 * PG, 64, true));
	ASSERT_EQ(0, memcmp(self->buf + 5 * PG, self->buf + 9 * PG, 64));

	ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA + 3 * PG, 4));
	ASSERT_EQ(self->vmlck + SIZE / KB, vfm_vmlck_kb());
	ASSERT_EQ(0, vfm_unmap(c, IOVA, SIZE, 0, NULL));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
}

TEST_F(mdev, mediated_group_joins_a_container_with_mappings)
{
	int c = self->ctx.container, fd;
	uint8_t out[64];
	uint64_t phys;

	if (!vfm_ctx_grow(_metadata, &self->ctx))
		return;
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE, RW));
	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	fd = self->ctx.emul_fd[0];

	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA + 7 * PG, 1, P_RW, &phys));
	ASSERT_EQ(vfm_phys_of(self->buf + 7 * PG), phys);
	ASSERT_EQ(self->vmlck + SIZE / KB, vfm_vmlck_kb());
	ASSERT_EQ(0, vfm_emul_rw(fd, IOVA + 7 * PG, out, sizeof(out), false));
	ASSERT_EQ(0, memcmp(self->buf + 7 * PG, out, sizeof(out)));
	/* No user address may be invalidated while it is there. */
	ASSERT_EQ(0, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	ASSERT_EQ(-EBUSY, vfm_unmap(c, IOVA, SIZE, VFIO_DMA_UNMAP_FLAG_VADDR,
				    NULL));

	/* The mediated group leaves: the mappings stay pinned and charged. */
	ASSERT_EQ(0, vfm_ctx_detach_emul(&self->ctx, 0));
	ASSERT_EQ(self->vmlck + SIZE / KB, vfm_vmlck_kb());
	ASSERT_EQ(self->pins + SIZE / PG, vfm_pins_outstanding());
	ASSERT_EQ(1, ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
}

TEST_F(mdev, one_mediated_group_leaves_the_other_stays)
{
	int c = self->ctx.container, fd;
	uint64_t unmapped;
	uint8_t out[16];

	VFM_REQUIRE(return, VFM_NEED_NOTIFY_UNDER_LOCKDEP, .b = self->ctx.b);
	if (!vfm_ctx_emul(_metadata, &self->ctx, 0) ||
	    !vfm_ctx_emul(_metadata, &self->ctx, 1))
		return;
	fd = self->ctx.emul_fd[1];
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA, 2, P_RW, NULL));
	ASSERT_EQ(0, vfm_ctx_detach_emul(&self->ctx, 0));

	/* The mappings stay for the other device. */
	ASSERT_EQ(0, vfm_emul_rw(fd, IOVA + PG, out, sizeof(out), false));
	ASSERT_EQ(0, memcmp(self->buf + PG, out, sizeof(out)));
	ASSERT_EQ(self->vmlck + 8, vfm_vmlck_kb());
	ASSERT_EQ(0, vfm_unmap(c, IOVA, SIZE, 0, &unmapped));
	ASSERT_EQ(SIZE, unmapped);
	ASSERT_EQ(0, held(fd));
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());

	/* What a device holds when its container goes is given back. */
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA, 3, P_RW, NULL));
	vfm_ctx_close(&self->ctx);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

/* GET_INFO of a container of mediated groups, as type1 answers it. */
TEST_F(mdev, info_without_an_iommu_is_type1s)
{
	struct vfio_iommu_type1_info_cap_iova_range *r;
	struct vfio_iommu_type1_info *info;

	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	/* No IOMMU has limited the IOVAs: no range is reported. */
	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	ASSERT_EQ((uint64_t)~(PG - 1), info->iova_pgsizes);
	ASSERT_EQ(NULL, vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE));
	ASSERT_NE(NULL, vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION));
	free(info);

	/* An IOMMU group came and went: the whole space is. */
	if (!vfm_ctx_grow(_metadata, &self->ctx))
		return;
	ASSERT_EQ(0, vfm_ctx_remove(&self->ctx));
	ASSERT_EQ(0, vfm_get_info(self->ctx.container, &info));
	r = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(1, r->nr_iovas);
	ASSERT_EQ(0, r->iova_ranges[0].start);
	ASSERT_EQ(~0ULL, r->iova_ranges[0].end);
	ASSERT_EQ((uint64_t)~(PG - 1), info->iova_pgsizes);
	free(info);
}

/*
 * A driver that holds its own lock across vfio_pin_pages() and in its
 * dma_unmap callback, as drivers serialising their pinning do.  type1
 * 6.12 calls dma_unmap under a lock it takes inside its iommu lock: with
 * such a driver that is a lock-order inversion (lockdep reports it), so
 * only vfio-mirror is run here (Documentation/vfio-mirror/uapi.rst).
 */
TEST_F(mdev, a_driver_may_pin_under_its_own_lock)
{
	int c = self->ctx.container, fd;
	struct vfm_emul_state st;

	VFM_REQUIRE(return, VFM_NEED_PIN_UNDER_DRIVER_LOCK, .b = self->ctx.b);
	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	fd = self->ctx.emul_fd[0];
	ASSERT_EQ(0, vfm_param_write("vfio_mirror_emul", "nest_lock", "1"));
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA, 3, P_RW, NULL));
	ASSERT_EQ(0, vfm_emul_unpin(fd, IOVA, 1));
	ASSERT_EQ(0, vfm_unmap(c, IOVA, SIZE, 0, NULL));
	ASSERT_EQ(0, vfm_emul_state(fd, &st));
	ASSERT_EQ(1, st.unmaps);
	ASSERT_EQ(0, st.pinned);
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE, RW));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA, 3, P_RW, NULL));
	vfm_ctx_close(&self->ctx);
	ASSERT_EQ(0, vfm_param_write("vfio_mirror_emul", "nest_lock", "0"));
}

/*
 * A device that pins a mapping again while it is told of another: type1
 * removes each mapping as its pins go and gets through; vfio-mirror
 * removes nothing until all are free, so it retries, and after ten
 * retries fails with EBUSY with everything still mapped (uapi.rst,
 * "Mediated devices that keep their pins").  It used to go round forever.
 */
TEST_F(mdev, a_device_that_pins_again_cannot_keep_an_unmap_going)
{
	int c = self->ctx.container, fd;
	struct vfm_emul_state st;
	uint64_t unmapped;

	VFM_REQUIRE(return, VFM_NEED_NOTIFY_UNDER_LOCKDEP, .b = self->ctx.b);
	if (!vfm_ctx_emul(_metadata, &self->ctx, 0))
		return;
	fd = self->ctx.emul_fd[0];
	ASSERT_EQ(0, vfm_map(c, IOVA, self->buf, SIZE / 2, RW));
	ASSERT_EQ(0, vfm_map(c, IOVA + SIZE / 2, self->buf + SIZE / 2,
			     SIZE / 2, RW));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA + PG, 1, P_RW, NULL));
	ASSERT_EQ(0, vfm_emul_pin(fd, IOVA + SIZE / 2 + PG, 1, P_RW, NULL));
	ASSERT_EQ(0, vfm_param_write("vfio_mirror_emul", "repin", "1"));

	if (vfm_is_type1(self->ctx.b)) {
		ASSERT_EQ(0, vfm_unmap(c, IOVA, SIZE, 0, &unmapped));
		ASSERT_EQ(SIZE, unmapped);
	} else {
		ASSERT_EQ(-EBUSY, vfm_unmap(c, IOVA, SIZE, 0, &unmapped));
		ASSERT_EQ(0, vfm_emul_state(fd, &st));
		ASSERT_EQ(11, st.unmaps);
		ASSERT_EQ(1, st.pinned);
		ASSERT_EQ(0, vfm_param_write("vfio_mirror_emul", "repin", "0"));
		ASSERT_EQ(0, vfm_unmap(c, IOVA, SIZE, 0, &unmapped));
		ASSERT_EQ(SIZE, unmapped);
	}
	ASSERT_EQ(0, vfm_param_write("vfio_mirror_emul", "repin", "0"));
	ASSERT_EQ(0, vfm_emul_state(fd, &st));
	ASSERT_EQ(0, st.pinned);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

/* The type1 (v1) rules have no pinning interface, in either backend. */
TEST(v1_refuses_pins)
{
	static const struct vfm_backend backends[] = {
		VFM_BACKEND_TYPE1_V1, VFM_BACKEND_MIRROR_V1,
	};
	uint8_t *buf = vfm_alloc(SIZE);
	unsigned int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(backends); i++) {
		struct vfm_ctx ctx;

		if (!vfm_ctx_setup(_metadata, &ctx, &backends[i], 0) ||
		    !vfm_ctx_emul(_metadata, &ctx, 0))
			break;
		ASSERT_EQ(0, vfm_map(ctx.container, IOVA, buf, SIZE, RW));
		ASSERT_EQ(-EACCES, vfm_emul_pin(ctx.emul_fd[0], IOVA, 1, P_R,
						NULL));
		vfm_ctx_close(&ctx);
	}
	vfm_free(buf, SIZE);
}

TEST_HARNESS_MAIN
