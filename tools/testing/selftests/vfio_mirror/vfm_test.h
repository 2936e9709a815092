/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every vfio-mirror kselftest includes: the kernel's harness, the
 * helpers, and the steps that need the harness's _metadata.
 *
 * Each test is a fixture with a variant per backend, so that every
 * assertion is checked against vfio_iommu_type1 and vfio-mirror in the
 * same guest:
 *
 *	FIXTURE_VARIANT(f) { struct vfm_backend b; };
 *	FIXTURE_VARIANT_ADD(f, type1) { .b = VFM_BACKEND_TYPE1 };
 *	FIXTURE_VARIANT_ADD(f, mirror) { .b = VFM_BACKEND_MIRROR };
 */
#ifndef VFM_TEST_H
#define VFM_TEST_H

#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "vfm_lib.h"
#include "vfm_emul.h"

/**
 * vfm_ctx_setup() - open a container with @nedu edu devices for a test
 * @_metadata: the test's harness state.
 * @ctx: the container to open.
 * @b: the backend.
 * @nedu: how many devices.
 *
 * Skips the test when the machine lacks the devices, unless
 * VFM_REQUIRE_DEVICES is set (as in the project's guests), when that is a
 * failure.  Other failures are assertion failures.
 *
 * Return: true if the test may go on, false if it was skipped.
 */
static inline bool vfm_ctx_setup(struct __test_metadata *_metadata,
				 struct vfm_ctx *ctx,
				 const struct vfm_backend *b, int nedu)
{
	int ret = vfm_ctx_open(ctx, b, nedu);

	if (ret == -ENODEV && !vfm_devices_required())
		SKIP(return false, "needs %d edu devices on vfio-pci", nedu);
	ASSERT_EQ(0, ret) {
		TH_LOG("container set-up: %s", strerror(-ret));
	}
	return true;
}

/**
 * vfm_ctx_grow() - attach the group of one more edu device to @ctx
 * @_metadata: the test's harness state.
 * @ctx: an open container.
 *
 * Return: true if the test may go on, false if it was skipped (as for
 * vfm_ctx_setup()).
 */
static inline bool vfm_ctx_grow(struct __test_metadata *_metadata,
				struct vfm_ctx *ctx)
{
	int ret = vfm_ctx_add(ctx);

	if (ret == -ENODEV && !vfm_devices_required())
		SKIP(return false, "needs %d edu devices on vfio-pci",
		     ctx->nedu + 1);
	ASSERT_EQ(0, ret) {
		TH_LOG("adding a group: %s", strerror(-ret));
	}
	return true;
}

/**
 * vfm_need_edu() - make sure the machine has @n edu devices
 * @_metadata: the test's harness state.
 * @n: how many.
 *
 * Return: true if it has; false when the test was skipped (as for
 * vfm_ctx_setup()).
 */
static inline bool vfm_need_edu(struct __test_metadata *_metadata, int n)
{
	char bdfs[VFM_MAX_EDU][32];
	int found = vfm_edu_find(bdfs, VFM_MAX_EDU);

	if (found < n && !vfm_devices_required())
		SKIP(return false, "needs %d edu devices on vfio-pci", n);
	ASSERT_LE(n, found);
	return true;
}

/**
 * vfm_mocks_ready() - make sure the mock IOMMU module is loaded, with mock
 * devices 0 to VFM_MAX_MOCK - 1 (and no other) at the module's defaults
 * @_metadata: the test's harness state.
 *
 * A test that added or removed devices and failed before it restored them
 * leaves the next one a module in another shape: the devices are added and
 * removed here to match.
 *
 * Return: true if the test may go on, false if it was skipped (as for
 * vfm_ctx_setup()).
 */
static inline bool vfm_mocks_ready(struct __test_metadata *_metadata)
{
	int n;

	if (!vfm_mock_loaded() && !vfm_devices_required())
		SKIP(return false, "needs the vfio_mirror_mock module");
	for (n = VFM_MOCK_SLOTS - 1; n >= VFM_MAX_MOCK; n--)
		if (vfm_mock_present(n))
			ASSERT_EQ(0, vfm_mock_remove(n));
	for (n = 0; n < VFM_MAX_MOCK; n++) {
		if (!vfm_mock_present(n))
			ASSERT_EQ(n, vfm_mock_add(-1));
		ASSERT_EQ(0, vfm_mock_reset(n));
	}
	return true;
}

/**
 * vfm_ctx_emul() - attach the group of mediated device @n to @ctx
 * @_metadata: the test's harness state.
 * @ctx: an open container.
 * @n: which device of vfio_mirror_emul.ko.
 *
 * Return: true if the test may go on, false if it was skipped (as for
 * vfm_ctx_setup()).
 */
static inline bool vfm_ctx_emul(struct __test_metadata *_metadata,
				struct vfm_ctx *ctx, int n)
{
	int ret = vfm_ctx_attach_emul(ctx, n);

	if (ret == -ENODEV && !vfm_devices_required())
		SKIP(return false, "needs vfio_mirror_emul.ko's device %d", n);
	ASSERT_EQ(0, ret) {
		TH_LOG("attaching mediated device %d: %s", n, strerror(-ret));
	}
	return true;
}

#endif /* VFM_TEST_H */
