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
/* A fault record was queued: see VFIO_MIRROR_IOMMU_READ_FAULTS. */
#define VFIO_MIRROR_EVENT_FAULT			(1 << 1)

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
 * signalled after the event's new state is visible: for
 * VFIO_MIRROR_EVENT_IOVA_RANGES in VFIO_IOMMU_GET_INFO, for
 * VFIO_MIRROR_EVENT_FAULT in VFIO_MIRROR_IOMMU_READ_FAULTS (once per
 * record queued; the eventfd's counter may sum several; and once for
 * records lost since the last read when no record is queued, one
 * fault_ratelimit_interval_ms after the first of them).  Returns 0, or
 * -EINVAL for a short @argsz, non-zero @flags, no or unknown @events, and
 * -EBADF or -EINVAL for an @fd that is not an eventfd.  The number is
 * chosen far from the VFIO ioctls upstream allocates in sequence (up to
 * VFIO_BASE + 21 in Linux 6.12).
 */
#define VFIO_MIRROR_IOMMU_SET_EVENTFD	_IO(VFIO_TYPE, VFIO_BASE + 0x70)

/*
 * IOMMU DMA faults.
 *
 * The devices of a vfio-mirror container report their IOMMU faults to it,
 * as records in a bounded queue: VFIO_MIRROR_IOMMU_READ_FAULTS takes
 * them, VFIO_MIRROR_EVENT_FAULT signals new ones, and the capability
 * VFIO_MIRROR_INFO_CAP_FAULT says which devices can report what.
 */

/* Who captured a fault: vfio_mirror_fault::source. */
#define VFIO_MIRROR_FAULT_SOURCE_VTD		1	/* VT-d fault record */
#define VFIO_MIRROR_FAULT_SOURCE_SMMUV3		2	/* SMMUv3 event */
#define VFIO_MIRROR_FAULT_SOURCE_GENERIC	3	/* report_iommu_fault() */

/* vfio_mirror_fault::flags and vfio_mirror_fault_device::flags */
#define VFIO_MIRROR_FAULT_PCI		(1 << 0)	/* segment, rid valid */
#define VFIO_MIRROR_FAULT_ADDR		(1 << 1)	/* iova valid */
#define VFIO_MIRROR_FAULT_PASID		(1 << 2)	/* pasid valid */
/*
 * vfio_mirror_fault::flags only: the IOMMU named the device by a DMA alias
 * (@sid), which the devices behind one PCIe-to-PCI bridge share; the
 * record is the first such device's of the container.
 */
#define VFIO_MIRROR_FAULT_ALIAS		(1 << 3)

/* vfio_mirror_fault::access */
#define VFIO_MIRROR_FAULT_READ		(1 << 0)
#define VFIO_MIRROR_FAULT_WRITE		(1 << 1)
#define VFIO_MIRROR_FAULT_EXEC		(1 << 2)
#define VFIO_MIRROR_FAULT_PRIV		(1 << 3)

#define VFIO_MIRROR_FAULT_RAW_MAX	32

/**
 * struct vfio_mirror_fault - one IOMMU fault of a device of the container
 * @size: bytes of the record that are defined: 128 in this version.  Later
 *	versions only append fields.
 * @flags: VFIO_MIRROR_FAULT_PCI, _ADDR, _PASID, _ALIAS.
 * @seq: sequence number, from 1, per container.  Every fault of one of
 *	the container's devices takes the next number, whether it is queued
 *	or lost: a gap is a lost record.
 * @timestamp_ns: CLOCK_MONOTONIC when the fault was read from the IOMMU.
 * @iova: the faulting address, with VFIO_MIRROR_FAULT_ADDR.  VT-d reports
 *	its page only.
 * @source: VFIO_MIRROR_FAULT_SOURCE_*.
 * @instance: which IOMMU of that kind: N of the VT-d unit dmarN, the index
 *	of the SMMUv3; 0 for generic faults.
 * @group: the IOMMU group of the device.
 * @segment: its PCI segment, with VFIO_MIRROR_FAULT_PCI.
 * @rid: its PCI requester ID (bus << 8 | devfn), with
 *	VFIO_MIRROR_FAULT_PCI.
 * @sid: the source ID as the IOMMU reported it: the requester ID on VT-d
 *	(that of a DMA alias, for a device behind a PCIe-to-PCI bridge), the
 *	StreamID on SMMUv3; for generic faults @rid, or 0.
 * @pasid: the PASID (SMMUv3 SubstreamID), with VFIO_MIRROR_FAULT_PASID.
 * @access: VFIO_MIRROR_FAULT_READ or _WRITE, and _EXEC, _PRIV, for faults
 *	with an address.
 * @reason: the hardware's reason: the VT-d Fault Reason (5: write to a
 *	page without write permission, 6: read without read permission, and
 *	so on), the SMMUv3 event type (0x10 F_TRANSLATION, 0x13
 *	F_PERMISSION, ...); 0 for generic faults.
 * @raw_len: bytes of @raw used: 16 for VT-d, 32 for SMMUv3, 0 for generic.
 * @raw: the hardware record as read, little endian.
 * @reserved: zero.
 */
struct vfio_mirror_fault {
	__u32	size;
	__u32	flags;
	__u64	seq;
	__u64	timestamp_ns;
	__u64	iova;
	__u32	source;
	__u32	instance;
	__u32	group;
	__u32	segment;
	__u32	rid;
	__u32	sid;
	__u32	pasid;
	__u32	access;
	__u32	reason;
	__u32	raw_len;
	__u8	raw[VFIO_MIRROR_FAULT_RAW_MAX];
	__u8	reserved[24];
};

/**
 * struct vfio_mirror_fault_read - argument of VFIO_MIRROR_IOMMU_READ_FAULTS
 * @argsz: size of the structure.
 * @flags: zero.
 * @record_size: in: the stride of @records, from 128 to 4096.  Each
 *	record is written at that stride: the kernel's record, then zeroes.
 * @count: in: room in @records, in records; out: records written.
 * @records: user address of the records.
 * @lost: out: records lost since the previous call: the queue was full,
 *	or the fault chain's rate limit was exceeded.
 * @next_seq: out: the sequence number the next fault will have.
 */
struct vfio_mirror_fault_read {
	__u32	argsz;
	__u32	flags;
	__u32	record_size;
	__u32	count;
	__u64	records;
	__u64	lost;
	__u64	next_seq;
};

/**
 * DOC: VFIO_MIRROR_IOMMU_READ_FAULTS
 *
 * Container ioctl, argument &struct vfio_mirror_fault_read: move up to
 * @count of the oldest queued fault records to @records, and report how
 * many were lost since the last call.  It never blocks: register an
 * eventfd for VFIO_MIRROR_EVENT_FAULT to wait.  Returns 0 (with @count 0
 * when the queue is empty), -EINVAL for a short @argsz, non-zero @flags
 * or a @record_size below 128 or above 4096, -ENOMEM when no memory is
 * left for the copy, -EFAULT if @records or the structure cannot be
 * written (nothing is removed then: the records and the count of lost
 * ones stay for the next call).
 */
#define VFIO_MIRROR_IOMMU_READ_FAULTS	_IO(VFIO_TYPE, VFIO_BASE + 0x71)

#define VFIO_MIRROR_INFO_CAP_FAULT		0x6d03

/**
 * struct vfio_mirror_fault_device - one device of the container
 * @group: its IOMMU group.
 * @flags: VFIO_MIRROR_FAULT_PCI when @segment and @rid are valid.
 * @segment: its PCI segment.
 * @rid: its PCI requester ID.
 * @sources: 1 << VFIO_MIRROR_FAULT_SOURCE_* of every producer that can
 *	capture its faults; 0 if none can (its faults are not reported).
 * @reserved: zero.
 */
struct vfio_mirror_fault_device {
	__u32	group;
	__u32	flags;
	__u32	segment;
	__u32	rid;
	__u32	sources;
	__u32	reserved;
};

/**
 * struct vfio_mirror_info_cap_fault - fault reporting of a container
 * @header: id VFIO_MIRROR_INFO_CAP_FAULT, version 1.
 * @queue_len: records the container's fault queue holds.
 * @record_size: size of &struct vfio_mirror_fault in this kernel.
 * @nr_devices: entries in @devices.
 * @reserved: zero.
 * @devices: every device of every attached group, by group.
 */
struct vfio_mirror_info_cap_fault {
	struct vfio_info_cap_header header;
	__u32	queue_len;
	__u32	record_size;
	__u32	nr_devices;
	__u32	reserved;
	struct vfio_mirror_fault_device devices[];
};

#endif /* _UAPI_LINUX_VFIO_MIRROR_H */
