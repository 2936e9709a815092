/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every vfio-mirror kselftest includes: the kernel's harness, the
 * helpers, the backend table and the one place that decides to skip.
 *
 * Every test that opens a container is a fixture whose variants are the
 * rows of the backend table (vfm_backends.h), so that each assertion is
 * checked against each backend a guest can have, in the same guest.
 *
 * A test that cannot run against a row, or on a machine without what it
 * needs, says so with VFM_REQUIRE(), and nowhere else.
 */
#ifndef VFM_TEST_H
#define VFM_TEST_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vfm_lib.h"
#include "vfm_emul.h"

/*
 * A variant row of the backend table (vfm_backends.h), named after the
 * row and VFM_VARIANT_SUFFIX: two steps, so that both are expanded before
 * the harness pastes them into its names.
 */
#define VFM_CAT_(a, b)		a##b
#define VFM_CAT(a, b)		VFM_CAT_(a, b)
#define VFM_VARIANT_(f, v)	FIXTURE_VARIANT_ADD(f, v)
#define VFM_VARIANT(f, row)	VFM_VARIANT_(f, VFM_CAT(row, VFM_VARIANT_SUFFIX))

/**
 * enum vfm_need_what - what a test may need that a machine or a backend
 *	may lack
 * @VFM_NEED_BACKEND: the module of backend .b in the guest.
 * @VFM_NEED_EDU: .n edu devices on vfio-pci.
 * @VFM_NEED_IVSHMEM: an ivshmem-plain device on vfio-pci.
 * @VFM_NEED_MOCK: the vfio_mirror_mock module.
 * @VFM_NEED_EMUL: vfio_mirror_emul.ko's mediated device .n.
 * @VFM_NEED_PROGRAM: an executable at .what (vmm_test's QEMU).
 * @VFM_NEED_FILE: a readable file at .what (viommu_test's nested kernel).
 * @VFM_NEED_FACT: the environment variable .what, by which the guest
 *	tells a fact of its IOMMU (VFM_DMA_CC).
 * @VFM_NEED_ASKED: the environment variable .what, which asks for a
 *	measurement that runs on request only (VFM_SWITCH_SAMPLES).
 * @VFM_NEED_TYPE1_BESIDE: backend .b is vfio-mirror's, whose row also
 *	runs type1, to compare the two in one boot.
 * @VFM_NEED_FAULTS: backend .b forwards IOMMU faults to user space.
 * @VFM_NEED_V2: backend .b has the type1v2 unmap rules.
 * @VFM_NEED_V2_PINNING: backend .b lets mediated devices pin, which
 *	type1 does only under the v2 ABI.
 * @VFM_NEED_V2_DIRTY: backend .b tracks dirty pages, which type1 does
 *	only under the v2 ABI.
 * @VFM_NEED_UNMODIFIED_VMM: an unmodified VMM (QEMU) selects backend .b:
 *	it asks for VFIO_TYPE1v2_IOMMU, never VFIO_MIRROR_IOMMU, and never
 *	v1 when v2 is there.
 * @VFM_NEED_NOTIFY_UNDER_LOCKDEP: backend .b notifies a mediated driver of
 *	an unmap without a lock order lockdep reports.
 * @VFM_NEED_PIN_UNDER_DRIVER_LOCK: backend .b lets a mediated driver pin
 *	under the lock its unmap notifier takes.
 * @VFM_NEED_VIOMMU: the nested guest of viommu_test booted with its vIOMMU
 *	on (VFM_L2_DMAR=1), not in VFIO's no-IOMMU mode.
 * @VFM_NEED_NO_VIOMMU: the nested guest booted in VFIO's no-IOMMU mode.
 * @VFM_NEED_IOMMU: the guest's own IOMMU is .what (struct vfm_hw's name):
 *	a test of one IOMMU's fault reports skips on the others.
 * @VFM_NEED_IOVA_END_2_64: backend .b serves mappings and apertures that
 *	end at 2^64 (AMD-Vi's), which type1 6.12 does not.
 * @VFM_NEED_SRIOV: an igb PF on Linux's igb driver, whose VFs a test makes.
 * @VFM_NEED_MEMCG: memory cgroups (cgroup v2's memory controller).
 * @VFM_NEED_MAPPINGS_BY_MEMORY: backend .b bounds a container's mappings
 *	by the memory cgroup, not by type1's count of 65535.
 * @VFM_NEED_CLEARS_HALF_DONE_MAPS: backend .b clears what an IOMMU driver
 *	left mapped of a map it failed, which type1 6.12 does not.
 * @VFM_NEED_SHARED_LOCKED_VM: backend .b charges a page that several
 *	containers of a process pin once (share_locked_vm), not per
 *	container as type1 does.
 * @VFM_NEED_PINNING_WAITS_FOR_USERFAULTFD: backend .b's MAP_DMA waits
 *	for memory that userfaultfd holds back, which type1 6.12's pinning
 *	(pin_user_pages_remote() without a lock to drop) cannot: its map
 *	fails with EFAULT.
 */
enum vfm_need_what {
	VFM_NEED_BACKEND,
	VFM_NEED_EDU,
	VFM_NEED_IVSHMEM,
	VFM_NEED_MOCK,
	VFM_NEED_EMUL,
	VFM_NEED_PROGRAM,
	VFM_NEED_FILE,
	VFM_NEED_FACT,
	VFM_NEED_ASKED,
	VFM_NEED_TYPE1_BESIDE,
	VFM_NEED_FAULTS,
	VFM_NEED_V2,
	VFM_NEED_V2_PINNING,
	VFM_NEED_V2_DIRTY,
	VFM_NEED_UNMODIFIED_VMM,
	VFM_NEED_NOTIFY_UNDER_LOCKDEP,
	VFM_NEED_PIN_UNDER_DRIVER_LOCK,
	VFM_NEED_VIOMMU,
	VFM_NEED_NO_VIOMMU,
	VFM_NEED_IOMMU,
	VFM_NEED_IOVA_END_2_64,
	VFM_NEED_SRIOV,
	VFM_NEED_MEMCG,
	VFM_NEED_MAPPINGS_BY_MEMORY,
	VFM_NEED_CLEARS_HALF_DONE_MAPS,
	VFM_NEED_SHARED_LOCKED_VM,
	VFM_NEED_PINNING_WAITS_FOR_USERFAULTFD,
};

/**
 * struct vfm_need - one need of a test
 * @need: which.
 * @b: the backend, for the needs about one.
 * @n: a count or a device number.
 * @what: a path or a name.
 */
struct vfm_need {
	enum vfm_need_what need;
	const struct vfm_backend *b;
	int n;
	const char *what;
};

/* Does the machine have it?  0, or the reason it has not. */
static inline const char *vfm_need_missing(const struct vfm_need *w,
					   char *buf, size_t len)
{
	char bdfs[VFM_MAX_EDU][32], path[128];

	switch (w->need) {
	case VFM_NEED_BACKEND:
		snprintf(path, sizeof(path), "/sys/module/%s", w->b->module);
		if (access(path, F_OK))
			snprintf(buf, len, "no module %s", w->b->module);
		break;
	case VFM_NEED_EDU:
		if (vfm_edu_find(bdfs, VFM_MAX_EDU) < w->n)
			snprintf(buf, len, "needs %d edu devices on vfio-pci",
				 w->n);
		break;
	case VFM_NEED_IVSHMEM:
		if (vfm_pci_find(IVSHMEM_VENDOR, IVSHMEM_DEVICE, bdfs, 1) < 1)
			snprintf(buf, len,
				 "needs an ivshmem-plain device on vfio-pci");
		break;
	case VFM_NEED_MOCK:
		if (!vfm_mock_loaded())
			snprintf(buf, len, "needs the vfio_mirror_mock module");
		break;
	case VFM_NEED_EMUL:
		if (vfm_emul_group(w->n) < 0)
			snprintf(buf, len, "needs vfio_mirror_emul.ko's device %d",
				 w->n);
		break;
	case VFM_NEED_SRIOV:
		if (vfm_sriov_pf(bdfs[0]))
			snprintf(buf, len, "needs an igb PF on the igb driver");
		break;
	case VFM_NEED_MEMCG:
		if (!vfm_memcg_available())
			snprintf(buf, len, "needs memory cgroups");
		break;
	case VFM_NEED_PROGRAM:
	case VFM_NEED_FILE:
		if (access(w->what, w->need == VFM_NEED_PROGRAM ? X_OK : R_OK))
			snprintf(buf, len, "no %s", w->what);
		break;
	default:
		break;
	}
	return buf[0] ? buf : NULL;
}

/* Can the backend do it?  0, or why not. */
static inline const char *vfm_need_unsupported(const struct vfm_need *w)
{
	switch (w->need) {
	case VFM_NEED_FAULTS:
		if (vfm_is_type1(w->b))
			return "type1 forwards no IOMMU fault to user space";
		break;
	case VFM_NEED_V2:
		if (!w->b->v2)
			return "the v1 unmap rules differ (v1_test checks them)";
		break;
	case VFM_NEED_V2_PINNING:
		if (!w->b->v2)
			return "v1 refuses mediated pins with EACCES (v1_test checks it)";
		break;
	case VFM_NEED_V2_DIRTY:
		if (!w->b->v2)
			return "v1 refuses dirty tracking with EACCES (v1_test checks it)";
		break;
	case VFM_NEED_UNMODIFIED_VMM:
		if (w->b->type != VFIO_TYPE1v2_IOMMU)
			return "an unmodified VMM asks for VFIO_TYPE1v2_IOMMU";
		break;
	case VFM_NEED_NOTIFY_UNDER_LOCKDEP:
		if (vfm_type1_notify_splats(w->b))
			return "type1 6.12's lock inversion: lockdep would report it";
		break;
	case VFM_NEED_PIN_UNDER_DRIVER_LOCK:
		if (vfm_is_type1(w->b))
			return "type1 6.12 inverts the lock order here";
		break;
	case VFM_NEED_IOVA_END_2_64:
		if (vfm_is_type1(w->b))
			return "type1 6.12 never unmaps nor unpins a mapping ending at 2^64";
		break;
	case VFM_NEED_MAPPINGS_BY_MEMORY:
		if (vfm_is_type1(w->b))
			return "type1 counts mappings, 65535 (map_test checks the count)";
		break;
	case VFM_NEED_CLEARS_HALF_DONE_MAPS:
		if (vfm_is_type1(w->b))
			return "type1 6.12 leaves what a driver left of a failed map";
		break;
	case VFM_NEED_SHARED_LOCKED_VM:
		if (vfm_is_type1(w->b))
			return "type1 charges per container (share_test checks it)";
		break;
	case VFM_NEED_PINNING_WAITS_FOR_USERFAULTFD:
		if (vfm_is_type1(w->b))
			return "type1 6.12 fails a map of userfaultfd memory with EFAULT";
		break;
	case VFM_NEED_TYPE1_BESIDE:
		if (vfm_is_type1(w->b))
			return "vfio-mirror's row runs type1 beside it";
		break;
	default:
		break;
	}
	return NULL;
}

/**
 * vfm_require() - decide whether a test goes on; use VFM_REQUIRE()
 * @_metadata: the test's harness state.
 * @w: what it needs.
 *
 * The one place that skips.  A backend that cannot do what the test
 * checks skips it, with the reason.  A guest fact the guest does not give
 * (VFM_NEED_FACT), or a measurement not asked for (VFM_NEED_ASKED), skips
 * it.  A machine that lacks a device or module
 * skips it too, unless VFM_REQUIRE_DEVICES is set, as in the project's
 * guests, where that is a failure: the machine files promise them.
 *
 * Return: true if the test may go on, false if it was skipped or failed.
 */
static inline bool vfm_require(struct __test_metadata *_metadata,
			       const struct vfm_need *w)
{
	char buf[160] = "";
	const char *why;

	why = vfm_need_unsupported(w);
	if (why)
		SKIP(return false, "%s", why);
	if (w->need == VFM_NEED_VIOMMU || w->need == VFM_NEED_NO_VIOMMU) {
		const char *dmar = getenv("VFM_L2_DMAR");
		bool on = dmar && !strcmp(dmar, "1");

		if (w->need == VFM_NEED_VIOMMU && !on)
			SKIP(return false, "this boot of the nested guest has no vIOMMU");
		if (w->need == VFM_NEED_NO_VIOMMU && on)
			SKIP(return false, "this boot of the nested guest translates");
		return true;
	}
	if (w->need == VFM_NEED_IOMMU) {
		const struct vfm_hw *hw = vfm_hw();

		if (strcmp(hw->name, w->what))
			SKIP(return false, "this guest's IOMMU is %s, not %s",
			     hw->name, w->what);
		return true;
	}
	if (w->need == VFM_NEED_FACT) {
		if (!getenv(w->what))
			SKIP(return false, "%s does not say what the IOMMU implies",
			     w->what);
		return true;
	}
	if (w->need == VFM_NEED_ASKED) {
		if (!getenv(w->what))
			SKIP(return false, "runs when %s asks for it", w->what);
		return true;
	}
	why = vfm_need_missing(w, buf, sizeof(buf));
	if (!why)
		return true;
	if (!vfm_devices_required())
		SKIP(return false, "%s", why);
	TH_LOG("this machine promises what it lacks: %s", why);
	_metadata->exit_code = KSFT_FAIL;
	return false;
}

/*
 * VFM_REQUIRE(statement, need, .field = value...) - run @statement (return)
 * unless vfm_require() lets the test go on, in the manner of the
 * harness's SKIP(statement, ...).
 */
#define VFM_REQUIRE(statement, what_, ...)				\
	do {								\
		const struct vfm_need vfm_need_ = {			\
			.need = (what_), __VA_ARGS__			\
		};							\
		if (!vfm_require(_metadata, &vfm_need_))		\
			statement;					\
	} while (0)

/**
 * vfm_ctx_setup() - open a container of backend @b with @nedu edu devices
 * @_metadata: the test's harness state.
 * @ctx: the container to open.
 * @b: the backend.
 * @nedu: how many devices.
 *
 * Return: true if the test may go on, false if vfm_require() stopped it.
 * A failure to open is an assertion failure.
 */
static inline bool vfm_ctx_setup(struct __test_metadata *_metadata,
				 struct vfm_ctx *ctx,
				 const struct vfm_backend *b, int nedu)
{
	int ret;

	VFM_REQUIRE(return false, VFM_NEED_BACKEND, .b = b);
	VFM_REQUIRE(return false, VFM_NEED_EDU, .n = nedu);
	ret = vfm_ctx_open(ctx, b, nedu);
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
 * Return: true if the test may go on, false if vfm_require() stopped it.
 */
static inline bool vfm_ctx_grow(struct __test_metadata *_metadata,
				struct vfm_ctx *ctx)
{
	int ret;

	VFM_REQUIRE(return false, VFM_NEED_EDU, .n = ctx->nedu + 1);
	ret = vfm_ctx_add(ctx);
	ASSERT_EQ(0, ret) {
		TH_LOG("adding a group: %s", strerror(-ret));
	}
	return true;
}

/**
 * vfm_mocks_ready() - make sure the mock IOMMU module is loaded, with mock
 * devices 0 to VFM_MAX_MOCK - 1 (and no other) as the module made them
 * @_metadata: the test's harness state.
 *
 * A test that added or removed devices and failed before it restored them
 * leaves the next one a module in another shape: the devices are added and
 * removed here to match, and each is reset.
 *
 * Return: true if the test may go on, false if vfm_require() stopped it.
 */
static inline bool vfm_mocks_ready(struct __test_metadata *_metadata)
{
	int n;

	VFM_REQUIRE(return false, VFM_NEED_MOCK);
	for (n = VFM_MOCK_MAX_DEVICES - 1; n >= VFM_MAX_MOCK; n--)
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
 * Return: true if the test may go on, false if vfm_require() stopped it.
 */
static inline bool vfm_ctx_emul(struct __test_metadata *_metadata,
				struct vfm_ctx *ctx, int n)
{
	int ret;

	VFM_REQUIRE(return false, VFM_NEED_EMUL, .n = n);
	ret = vfm_ctx_attach_emul(ctx, n);
	ASSERT_EQ(0, ret) {
		TH_LOG("attaching mediated device %d: %s", n, strerror(-ret));
	}
	return true;
}

#endif /* VFM_TEST_H */
