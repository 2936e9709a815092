// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MSI helper: device interrupts arrive through every domain of a
 * container, the MSI window stays out of user mappings, a group whose
 * window is mapped cannot join, and the policy and windows are reported
 * (VFIO_MIRROR_INFO_CAP_MSI).  On arm64 the edu device's MSIs are
 * translated by the SMMUv3 and need the window's cookie in its domain.
 * The fixture tests run against vfio_iommu_type1 and vfio-mirror; what
 * only vfio-mirror does has its own tests.
 */
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG		4096ULL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define MOCK_WINDOW	0x9000000ULL	/* a mock group's SW_MSI window */

/* Raise the edu device's interrupt; did it reach @efd? */
static bool msi_arrives(struct vfm_edu *edu, int efd)
{
	uint64_t count;

	vfm_edu_irq_raise(edu, 1);
	count = vfm_eventfd_wait(efd, 3000);
	vfm_edu_irq_ack(edu, 1);
	return count > 0;
}

FIXTURE(msi) {
	struct vfm_ctx ctx;
	char *buf;
	int efd;
};

FIXTURE_VARIANT(msi) {
	struct vfm_backend b;
};

#define VFM_FIXTURE msi
#include "vfm_backends.h"

FIXTURE_SETUP(msi)
{
	self->efd = -1;
	if (!vfm_mocks_ready(_metadata))
		return;
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 0))
		return;
	self->buf = vfm_alloc(64 * PG);
	ASSERT_NE(NULL, self->buf);
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(msi)
{
	int n;

	vfm_ctx_close(&self->ctx);
	vfm_free(self->buf, 64 * PG);
	if (self->efd >= 0)
		close(self->efd);
	for (n = 0; n < VFM_MAX_MOCK; n++)
		vfm_mock_reset(n);
}

TEST_F(msi, interrupts_arrive_in_the_second_domain)
{
	struct vfm_ctx *ctx = &self->ctx;
	struct vfm_edu *edu = &ctx->edu[0];

	/* The mock's domain is the container's first. */
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_ctx_attach_mock(ctx, 0));
	ASSERT_EQ(0, vfm_map(ctx->container, 0x100000, self->buf, 64 * PG,
			     RW));
	ASSERT_EQ(0, vfm_ctx_attach_edu(ctx, 0));
	ASSERT_EQ(0, vfm_edu_msi_enable(edu, self->efd));
	ASSERT_TRUE(msi_arrives(edu, self->efd));

	/* The edu group leaves and comes back: a new domain again. */
	ASSERT_EQ(0, vfm_ctx_detach_edu(ctx, 0));
	ASSERT_EQ(0, vfm_ctx_attach_edu(ctx, 0));
	ASSERT_EQ(0, vfm_edu_msi_enable(edu, self->efd));
	ASSERT_TRUE(msi_arrives(edu, self->efd));

	/* The mock group leaves and comes back: the edu domain is kept. */
	ASSERT_EQ(0, vfm_ctx_detach_mock(ctx, 0));
	ASSERT_TRUE(msi_arrives(edu, self->efd));
	ASSERT_EQ(0, vfm_ctx_attach_mock(ctx, 0));
	ASSERT_TRUE(msi_arrives(edu, self->efd));
	ASSERT_EQ(0, vfm_edu_msi_disable(edu));
}

TEST_F(msi, the_msi_window_cannot_be_mapped)
{
	int c = self->ctx.container;

	ASSERT_EQ(0, vfm_ctx_attach_edu(&self->ctx, 0));
	ASSERT_EQ(-EINVAL, vfm_map(c, VFM_MSI_START, self->buf, PG, RW));
	ASSERT_EQ(-EINVAL, vfm_map(c, VFM_MSI_END + 1 - PG, self->buf, PG, RW));
	ASSERT_EQ(-EINVAL, vfm_map(c, VFM_MSI_START - PG, self->buf, 2 * PG,
				   RW));
	/* Right up to it is fine. */
	ASSERT_EQ(0, vfm_map(c, VFM_MSI_START - PG, self->buf, PG, RW));
	ASSERT_EQ(0, vfm_map(c, VFM_MSI_END + 1, self->buf, PG, RW));
}

TEST_F(msi, a_group_whose_window_is_mapped_cannot_join)
{
	struct vfm_ctx *ctx = &self->ctx;
	char before[512], after[512];
	long vmlck;
	int nb;

	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_mock_add_resv(0, VFM_MOCK_RESV_SW_MSI, 0x9000000,
				       0x100000));
	ASSERT_EQ(0, vfm_ctx_attach_edu(ctx, 0));
	ASSERT_EQ(0, vfm_map(ctx->container, MOCK_WINDOW + 16 * PG, self->buf,
			     16 * PG, RW));
	nb = vfm_info_blob(ctx->container, before, sizeof(before));
	ASSERT_LT(0, nb);
	vmlck = vfm_vmlck_kb();

	ASSERT_EQ(-EINVAL, vfm_ctx_attach_mock(ctx, 0));
	ASSERT_EQ(nb, vfm_info_blob(ctx->container, after, sizeof(after)));
	ASSERT_EQ(0, memcmp(before, after, nb));
	ASSERT_EQ(vmlck, vfm_vmlck_kb());

	/* Once the mapping is gone the group joins, and keeps the window. */
	ASSERT_EQ(0, vfm_unmap(ctx->container, MOCK_WINDOW + 16 * PG, 16 * PG,
			       0, NULL));
	ASSERT_EQ(0, vfm_ctx_attach_mock(ctx, 0));
	ASSERT_EQ(-EINVAL, vfm_map(ctx->container, MOCK_WINDOW, self->buf, PG,
				   RW));
	ASSERT_EQ(1, vfm_mock_msi_cookie(0));
}

/* A mirror container with edu0, for the tests of what only it does. */
static bool mirror_setup(struct __test_metadata *_metadata,
			 struct vfm_ctx *ctx)
{
	static const struct vfm_backend mirror = VFM_BACKEND_MIRROR;

	if (!vfm_mocks_ready(_metadata))
		return false;
	return vfm_ctx_setup(_metadata, ctx, &mirror, 1);
}

TEST(a_group_joining_a_domain_brings_its_window)
{
	struct vfm_ctx ctx;
	int n;

	if (!mirror_setup(_metadata, &ctx))
		return;
	for (n = 0; n < 3; n++)
		ASSERT_EQ(0, vfm_mock_set(n, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_mock_add_resv(1, VFM_MOCK_RESV_SW_MSI, 0x9000000,
				       0x100000));
	ASSERT_EQ(0, vfm_mock_add_resv(2, VFM_MOCK_RESV_SW_MSI, 0xa000000,
				       0x100000));

	/* mock0 needs no window: its domain has no cookie... */
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 0));
	ASSERT_EQ(0, vfm_mock_msi_cookie(0));
	/* ...until mock1 joins it with one (type1 would leave it out). */
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 1));
	ASSERT_EQ(2, vfm_mirror_domains());
	ASSERT_EQ(1, vfm_mock_msi_cookie(0));
	/* mock2's window starts elsewhere: it needs a domain of its own. */
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 2));
	ASSERT_EQ(3, vfm_mirror_domains());
	ASSERT_EQ(1, vfm_mock_msi_cookie(2));
	ASSERT_EQ(0x9000000, vfm_mirror_domain(1, "msi"));
	ASSERT_EQ(0xa000000, vfm_mirror_domain(2, "msi"));
	vfm_ctx_close(&ctx);
}

/* The MSI capability of @container, malloc'd. */
static struct vfio_mirror_info_cap_msi *msi_cap(int container,
						struct vfio_iommu_type1_info **info)
{
	if (vfm_get_info(container, info))
		return NULL;
	return (void *)vfm_info_cap(*info, VFIO_MIRROR_INFO_CAP_MSI);
}

TEST(the_msi_capability_reports_isolation_and_windows)
{
	struct vfio_mirror_info_cap_msi *cap;
	struct vfio_iommu_type1_info *info;
	struct vfm_ctx ctx;
	char old[8];

	if (!mirror_setup(_metadata, &ctx))
		return;
	ASSERT_EQ(0, vfm_param_read("vfio_mirror", "allow_unsafe_interrupts",
				    old, sizeof(old)));

	/* The edu group: isolated, with the platform's window. */
	cap = msi_cap(ctx.container, &info);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(1, cap->header.version);
	ASSERT_EQ(VFIO_MIRROR_MSI_ISOLATED, cap->flags);
	ASSERT_EQ(1, cap->nr_windows);
	ASSERT_EQ(VFM_MSI_START, cap->windows[0].start);
	ASSERT_EQ(VFM_MSI_END, cap->windows[0].end);
	ASSERT_EQ(VFM_MSI_TRANSLATED, cap->windows[0].flags);
	free(info);

	/* A group without isolation is refused, unless allowed... */
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_FORMAT, 1));
	ASSERT_EQ(0, vfm_mock_set(0, VFM_MOCK_CFG_MSI_ISOLATED, 0));
	ASSERT_EQ(0, vfm_mock_add_resv(0, VFM_MOCK_RESV_SW_MSI, 0x9000000,
				       0x100000));
	ASSERT_EQ(0, vfm_param_write("vfio_mirror", "allow_unsafe_interrupts",
				     "0"));
	ASSERT_EQ(-EPERM, vfm_ctx_attach_mock(&ctx, 0));
	ASSERT_EQ(0, vfm_param_write("vfio_mirror", "allow_unsafe_interrupts",
				     "1"));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 0));
	ASSERT_EQ(0, vfm_param_write("vfio_mirror", "allow_unsafe_interrupts",
				     old));

	/* ...and then the container is not isolated; windows by start. */
	cap = msi_cap(ctx.container, &info);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(0, cap->flags);
	ASSERT_EQ(2, cap->nr_windows);
	ASSERT_LT(cap->windows[0].start, cap->windows[1].start);
	ASSERT_TRUE(cap->windows[0].start == MOCK_WINDOW ||
		    cap->windows[1].start == MOCK_WINDOW);
	free(info);

	ASSERT_EQ(0, vfm_ctx_detach_mock(&ctx, 0));
	cap = msi_cap(ctx.container, &info);
	ASSERT_NE(NULL, cap);
	ASSERT_EQ(VFIO_MIRROR_MSI_ISOLATED, cap->flags);
	ASSERT_EQ(1, cap->nr_windows);
	free(info);
	vfm_ctx_close(&ctx);
}

TEST_HARNESS_MAIN
