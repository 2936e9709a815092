/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vfio-mirror: a VFIO IOMMU backend that mirrors one user IOMMU context
 * across every iommu_domain its groups need.
 *
 * This header adds to <linux/vfio.h>; the ioctls and structures of the
 * type1 ABI (VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA)
 * are used unchanged.  See Documentation/vfio-mirror/uapi.rst.
 */
#ifndef _UAPI_LINUX_VFIO_MIRROR_H
#define _UAPI_LINUX_VFIO_MIRROR_H

#include <linux/vfio.h>

/**
 * DOC: VFIO_MIRROR_IOMMU
 *
 * The container type of vfio-mirror, for VFIO_CHECK_EXTENSION and
 * VFIO_SET_IOMMU on /dev/vfio/vfio.  A container of this type follows the
 * rules of VFIO_TYPE1v2_IOMMU.
 *
 * VFIO type and extension numbers share one namespace.  Upstream numbers
 * are small and allocated in sequence (1 to 10 in Linux 6.12); crosvm's
 * private type is 100001.  The value here spells "vfmr" in ASCII, far
 * from both.
 */
#define VFIO_MIRROR_IOMMU	0x76666d72

/**
 * DOC: vfio-mirror capabilities of VFIO_IOMMU_GET_INFO
 *
 * After the type1 capabilities, the chain of a vfio-mirror container holds
 * VFIO_MIRROR_INFO_CAP_MSI (&struct vfio_mirror_info_cap_msi) and
 * VFIO_MIRROR_INFO_CAP_IOVA_GENERATION
 * (&struct vfio_mirror_info_cap_iova_generation).  Upstream capability IDs
 * are small and allocated in sequence (1 to 3 for type1 in Linux 6.12);
 * these are far from them.  A VMM that does not know them skips them.
 */
#define VFIO_MIRROR_INFO_CAP_MSI		0x6d01
#define VFIO_MIRROR_INFO_CAP_IOVA_GENERATION	0x6d02

/* MSI writes to the window are translated: see vfio_mirror_msi_window. */
#define VFIO_MIRROR_MSI_WINDOW_TRANSLATED	(1 << 0)

/**
 * struct vfio_mirror_msi_window - IOVAs where devices write their MSIs
 * @start: first IOVA of the window.
 * @end: last IOVA of the window (inclusive).
 * @flags: VFIO_MIRROR_MSI_WINDOW_TRANSLATED when the IOMMU translates MSI
 *	writes (an IOMMU_RESV_SW_MSI region, as on an Arm SMMUv3 in front of
 *	a GICv3 ITS): the kernel maps the interrupt controller's doorbell
 *	inside the window, in every domain whose groups need it.  Clear when
 *	MSI writes to the window bypass translation (x86: 0xfee00000).
 * @reserved: zero.
 *
 * A window is never in the usable IOVA ranges, and no mapping may overlap
 * it.
 */
struct vfio_mirror_msi_window {
	__u64	start;
	__u64	end;
	__u32	flags;
	__u32	reserved;
};

/* Every group's MSIs are isolated: see vfio_mirror_info_cap_msi. */
#define VFIO_MIRROR_MSI_ISOLATED		(1 << 0)

/**
 * struct vfio_mirror_info_cap_msi - the MSI picture of a container
 * @header: id VFIO_MIRROR_INFO_CAP_MSI, version 1.
 * @flags: VFIO_MIRROR_MSI_ISOLATED when the MSIs of every attached group
 *	are isolated (interrupt remapping, or an ITS that checks device IDs),
 *	so that no device can forge an interrupt for the host.  Clear when a
 *	group without isolation was admitted because the module parameter
 *	allow_unsafe_interrupts is set; without it such a group is refused
 *	(EPERM), as vfio_iommu_type1 does.
 * @nr_windows: entries in @windows.
 * @windows: the MSI windows of the attached groups, by @start.
 */
struct vfio_mirror_info_cap_msi {
	struct vfio_info_cap_header header;
	__u32	flags;
	__u32	nr_windows;
	struct vfio_mirror_msi_window windows[];
};

/**
 * struct vfio_mirror_info_cap_iova_generation - when the ranges changed
 * @header: id VFIO_MIRROR_INFO_CAP_IOVA_GENERATION, version 1.
 * @generation: incremented each time the usable IOVA ranges
 *	(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) change, as groups join and
 *	leave; equal values mean equal ranges.
 */
struct vfio_mirror_info_cap_iova_generation {
	struct vfio_info_cap_header header;
	__u64	generation;
};

/* The usable IOVA ranges changed: see VFIO_MIRROR_IOMMU_SET_EVENTFD. */
#define VFIO_MIRROR_EVENT_IOVA_RANGES		(1 << 0)

/**
 * struct vfio_mirror_eventfd - argument of VFIO_MIRROR_IOMMU_SET_EVENTFD
 * @argsz: size of the structure.
 * @flags: zero.
 * @events: the events @fd is for (VFIO_MIRROR_EVENT_*), at least one.
 * @fd: an eventfd to signal on each of @events, or -1 to stop signalling
 *	for them.
 */
struct vfio_mirror_eventfd {
	__u32	argsz;
	__u32	flags;
	__u32	events;
	__s32	fd;
};

/**
 * DOC: VFIO_MIRROR_IOMMU_SET_EVENTFD
 *
 * Container ioctl, argument &struct vfio_mirror_eventfd: signal an eventfd
 * when an event happens, so that a VMM need not poll.  One eventfd per
 * event; setting another replaces it, -1 removes it.  The eventfd is
 * signalled after the event's new state is visible (for
 * VFIO_MIRROR_EVENT_IOVA_RANGES, in VFIO_IOMMU_GET_INFO).  Returns 0, or
 * -EINVAL for a short @argsz, non-zero @flags, no or unknown @events, and
 * -EBADF or -EINVAL for an @fd that is not an eventfd.  The number is
 * chosen far from the VFIO ioctls upstream allocates in sequence (up to
 * VFIO_BASE + 21 in Linux 6.12).
 */
#define VFIO_MIRROR_IOMMU_SET_EVENTFD	_IO(VFIO_TYPE, VFIO_BASE + 0x70)

#endif /* _UAPI_LINUX_VFIO_MIRROR_H */
