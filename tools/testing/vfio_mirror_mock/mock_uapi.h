/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * vfio_mirror_mock: the ioctls of /dev/vfio-mirror-mock, the tests'
 * controls of the mock IOMMU and its devices.  Shared by the module and
 * the kselftests; it never ships.
 *
 * Every request names a device by its number (@id, 0 to
 * VFM_MOCK_MAX_DEVICES - 1) and fails with ENODEV when that device does
 * not exist, and with EINVAL when a flag, type or reserved field it does
 * not know is set.  Settings take effect at the device's next domain
 * allocation, attach or map, as a real IOMMU's properties would be read
 * then.  VFM_MOCK_RESET puts a device back as the module created it, so
 * that the tests never need to know the module's defaults.
 *
 * mmap() of the file gives device memory that is not linear (see
 * pfnmap.c).
 */
#ifndef VFIO_MIRROR_MOCK_UAPI_H
#define VFIO_MIRROR_MOCK_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VFM_MOCK_DEVNAME	"vfio-mirror-mock"
#define VFM_MOCK_MAX_DEVICES	8

/**
 * struct vfm_mock_add - VFM_MOCK_ADD: add a device, as a hot-plug would
 * @sibling: the device whose IOMMU group the new one joins, taking its
 *	domain settings; -1 for a group of its own and the defaults.
 * @id: set to the new device's number, the lowest free one.
 *
 * Fails with ENODEV when @sibling does not exist, ENOSPC when
 * VFM_MOCK_MAX_DEVICES do.
 */
struct vfm_mock_add {
	__s32 sibling;
	__s32 id;
};

/**
 * struct vfm_mock_config - VFM_MOCK_GET_CONFIG, VFM_MOCK_SET_CONFIG
 * @id: the device.
 * @valid: for SET, which fields to change: a VFM_MOCK_CFG_* bit each.
 *	GET sets every bit.
 * @pgsizes: page sizes of the domains the device makes (a bitmap, as
 *	iommu_domain::pgsize_bitmap); not 0.
 * @aperture_start: first IOVA of those domains.
 * @aperture_end: last IOVA of those domains; not below @aperture_start.
 * @format: page table format: devices of different formats cannot
 *	share a domain, as devices behind different IOMMU units cannot.
 * @fail_map_at: the N-th map from now, in a domain the device made,
 *	fails with EIO; 0 for never.
 * @coherent: 1 if its domains can enforce cache coherency.
 * @msi_isolated: 1 if its MSIs count as isolated.
 * @fail_attach: 1 if attaching it to a paging domain fails with EIO.
 * @fail_partial: 1 if the map @fail_map_at fails as Intel VT-d's does
 *	when it cannot allocate a page table (Linux 6.12's
 *	__domain_mapping()): with ENOMEM, after it wrote the first half of
 *	the range (at least a page), which it does not report as mapped.
 * @reserved: must be 0.
 */
struct vfm_mock_config {
	__u32 id;
	__u32 valid;
	__u64 pgsizes;
	__u64 aperture_start;
	__u64 aperture_end;
	__u32 format;
	__u32 fail_map_at;
	__u8 coherent;
	__u8 msi_isolated;
	__u8 fail_attach;
	__u8 fail_partial;
	__u8 reserved[4];
};

#define VFM_MOCK_CFG_PGSIZES		0x1
#define VFM_MOCK_CFG_APERTURE_START	0x2
#define VFM_MOCK_CFG_APERTURE_END	0x4
#define VFM_MOCK_CFG_FORMAT		0x8
#define VFM_MOCK_CFG_FAIL_MAP_AT	0x10
#define VFM_MOCK_CFG_COHERENT		0x20
#define VFM_MOCK_CFG_MSI_ISOLATED	0x40
#define VFM_MOCK_CFG_FAIL_ATTACH	0x80
#define VFM_MOCK_CFG_FAIL_PARTIAL	0x100
#define VFM_MOCK_CFG_ALL		0x1ff

/**
 * struct vfm_mock_resv - VFM_MOCK_ADD_RESV: report one more reserved region
 * @id: the device.
 * @type: VFM_MOCK_RESV_*, the IOMMU core's region type of that name.
 * @start: first address.
 * @length: bytes; not 0, and @start + @length - 1 must not wrap.
 *
 * IOMMU_RESV_DIRECT has no type here: the IOMMU core maps such a region
 * when it probes the device, which a region added later cannot honour.
 * VFM_MOCK_CLEAR_RESV (the device's number) drops them all.
 */
struct vfm_mock_resv {
	__u32 id;
	__u32 type;
	__u64 start;
	__u64 length;
};

#define VFM_MOCK_RESV_RESERVED		1
#define VFM_MOCK_RESV_MSI		2
#define VFM_MOCK_RESV_SW_MSI		3
#define VFM_MOCK_RESV_DIRECT_RELAXABLE	4

/**
 * struct vfm_mock_fault - VFM_MOCK_FAULT: report_iommu_fault() in the
 *	paging domain the device is attached to
 * @id: the device.
 * @flags: VFM_MOCK_FAULT_*.
 * @iova: the faulting address.
 * @count: how many times; not 0.
 * @reserved: must be 0.
 *
 * Returns once every fault was reported.  Fails with ENODEV when the
 * device is in no paging domain.
 */
struct vfm_mock_fault {
	__u32 id;
	__u32 flags;
	__u64 iova;
	__u32 count;
	__u32 reserved;
};

/* A write fault; a read fault without it. */
#define VFM_MOCK_FAULT_WRITE	0x1
/* Reported from a hard interrupt (an hrtimer), as IOMMU drivers do. */
#define VFM_MOCK_FAULT_IRQ	0x2
/* Without the device, as Arm SMMU v1/v2 reports its context faults. */
#define VFM_MOCK_FAULT_NODEV	0x4

/**
 * struct vfm_mock_storm - VFM_MOCK_STORM: start or stop a fault storm
 * @id: the device.
 * @count: write faults reported every 100 us, from a hard interrupt,
 *	until a VFM_MOCK_STORM with @count 0 (stop), a VFM_MOCK_RESET or
 *	the device leaving the domain.
 * @iova: the faulting address.
 *
 * Fails with ENODEV when the device is in no paging domain, EBUSY when a
 * storm runs.
 */
struct vfm_mock_storm {
	__u32 id;
	__u32 count;
	__u64 iova;
};

/**
 * struct vfm_mock_state - VFM_MOCK_STATE: what a device is now
 * @id: the device.
 * @group: its IOMMU group number.
 * @flags: VFM_MOCK_STATE_*.
 * @domains: paging domains of the mock IOMMU that exist (all devices).
 * @storm_reported: faults storms reported on the device since it was
 *	added.
 */
struct vfm_mock_state {
	__u32 id;
	__s32 group;
	__u32 flags;
	__u32 domains;
	__u64 storm_reported;
};

/* It is attached to a paging domain. */
#define VFM_MOCK_STATE_ATTACHED		0x1
/* That domain has an MSI cookie (iommu_get_msi_cookie()). */
#define VFM_MOCK_STATE_MSI_COOKIE	0x2

/**
 * struct vfm_mock_leaf - one leaf of a mock domain's page table
 * @iova: its first IOVA.
 * @phys: the physical address it maps.
 * @size: bytes.
 * @prot: VFM_MOCK_PROT_*.
 * @reserved: 0.
 */
struct vfm_mock_leaf {
	__u64 iova;
	__u64 phys;
	__u64 size;
	__u32 prot;
	__u32 reserved;
};

#define VFM_MOCK_PROT_READ	0x1
#define VFM_MOCK_PROT_WRITE	0x2

/**
 * struct vfm_mock_leaves - VFM_MOCK_LEAVES: the page table of the paging
 *	domain a device is attached to, in IOVA order
 * @id: the device.
 * @nr: in: room at @leaves; out: how many leaves the table has (more than
 *	were copied when that is above the room).
 * @leaves: user address of an array of struct vfm_mock_leaf.
 *
 * Fails with ENODEV when the device is in no paging domain.
 */
struct vfm_mock_leaves {
	__u32 id;
	__u32 nr;
	__u64 leaves;
};

/**
 * struct vfm_mock_page - VFM_MOCK_PAGE: the references of a page frame
 * @phys: in: a physical address (the tests read it from
 *	/proc/self/pagemap or from a leaf).
 * @refs: out: the references of its folio (folio_ref_count()).
 * @flags: out: VFM_MOCK_PAGE_*.
 *
 * So that a test checks what pinning did to the pages themselves, not
 * only the counters of the module that pinned them.  Fails with EINVAL
 * for a frame that is not online memory.
 */
struct vfm_mock_page {
	__u64 phys;
	__u32 refs;
	__u32 flags;
};

/* Its folio may be pinned for DMA (folio_maybe_dma_pinned()). */
#define VFM_MOCK_PAGE_PINNED	0x1

#define VFM_MOCK_ADD		_IOWR('M', 0x60, struct vfm_mock_add)
/* Delete a device (its number, a __u32), as a hot-unplug would. */
#define VFM_MOCK_REMOVE		_IOW('M', 0x61, __u32)
#define VFM_MOCK_GET_CONFIG	_IOWR('M', 0x62, struct vfm_mock_config)
#define VFM_MOCK_SET_CONFIG	_IOW('M', 0x63, struct vfm_mock_config)
/* Settings as created, no reserved region, no storm (a __u32 number). */
#define VFM_MOCK_RESET		_IOW('M', 0x64, __u32)
#define VFM_MOCK_ADD_RESV	_IOW('M', 0x65, struct vfm_mock_resv)
#define VFM_MOCK_CLEAR_RESV	_IOW('M', 0x66, __u32)
#define VFM_MOCK_FAULT		_IOW('M', 0x67, struct vfm_mock_fault)
#define VFM_MOCK_STORM		_IOW('M', 0x68, struct vfm_mock_storm)
#define VFM_MOCK_STATE		_IOWR('M', 0x69, struct vfm_mock_state)
#define VFM_MOCK_LEAVES		_IOWR('M', 0x6a, struct vfm_mock_leaves)
#define VFM_MOCK_PAGE		_IOWR('M', 0x6b, struct vfm_mock_page)

#endif /* VFIO_MIRROR_MOCK_UAPI_H */
