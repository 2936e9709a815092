// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MSI isolation policy: a group whose MSIs are not isolated
 * (interrupt remapping off) is refused with EPERM unless the backend's
 * allow_unsafe_interrupts parameter is set.  The guest says whether its
 * MSIs are isolated (VFM_MSI_ISOLATED, 1 by default); both outcomes are
 * asserted.  Every test runs against vfio_iommu_type1 and vfio-mirror.
 */
#include <stdlib.h>

#include "vfm_test.h"

FIXTURE(isolation) {
	struct vfm_ctx ctx;
	char old[8];
	bool isolated;
};

FIXTURE_VARIANT(isolation) {
	struct vfm_backend b;
};

#define VFM_FIXTURE isolation
#include "vfm_backends.h"

FIXTURE_SETUP(isolation)
{
	const char *env = getenv("VFM_MSI_ISOLATED");

	self->ctx.container = -1;
	self->isolated = !env || strcmp(env, "0");
	VFM_REQUIRE(return, VFM_NEED_BACKEND, .b = &variant->b);
	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 1);
	ASSERT_EQ(0, vfm_param_read(variant->b.module,
				    "allow_unsafe_interrupts", self->old,
				    sizeof(self->old)));
}

FIXTURE_TEARDOWN(isolation)
{
	vfm_ctx_close(&self->ctx);
	vfm_param_write(variant->b.module, "allow_unsafe_interrupts",
			self->old);
}

TEST_F(isolation, policy_without_allow_unsafe_interrupts)
{
	int expected = self->isolated ? 0 : -EPERM;

	ASSERT_EQ(0, vfm_param_write(variant->b.module,
				     "allow_unsafe_interrupts", "0"));
	ASSERT_EQ(expected, vfm_ctx_open(&self->ctx, &variant->b, 1));
}

TEST_F(isolation, allow_unsafe_interrupts_admits_the_group)
{
	ASSERT_EQ(0, vfm_param_write(variant->b.module,
				     "allow_unsafe_interrupts", "1"));
	ASSERT_EQ(0, vfm_ctx_open(&self->ctx, &variant->b, 1));
}

TEST_F(isolation, second_group_follows_the_policy)
{
	int expected = self->isolated ? 0 : -EPERM;
	int ret;

	ASSERT_EQ(0, vfm_param_write(variant->b.module,
				     "allow_unsafe_interrupts", "1"));
	ASSERT_EQ(0, vfm_ctx_open(&self->ctx, &variant->b, 1));
	ASSERT_EQ(0, vfm_param_write(variant->b.module,
				     "allow_unsafe_interrupts", "0"));
	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 2);
	ret = vfm_ctx_add(&self->ctx);
	ASSERT_EQ(expected, ret);
}

TEST_HARNESS_MAIN
