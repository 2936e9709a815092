/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio_mirror_mock: a mock IOMMU and mock devices behind it, for the
 * vfio-mirror kselftests only.  It never ships.
 *
 * The module registers an IOMMU (iommu_device_register()) whose fwnode is
 * a software node, and creates platform devices "vfio-mirror-mock.N" whose
 * fwspec names that fwnode, so that the IOMMU core probes them with the
 * mock's ops and gives each its own group.  A VFIO driver for them
 * (vfio_register_group_dev()) makes each group a /dev/vfio/N that can join
 * a container beside real groups.
 *
 * Each device is configured through /dev/vfio-mirror-mock (ctl.c, with the
 * structures of mock_uapi.h) before its group joins
 * a container: the domains it makes (page sizes, aperture, a page table
 * "format" that other formats cannot share, cache-coherency enforcement),
 * its reserved regions, MSI isolation, and failures to inject.  A test can
 * read the page table of the domain a device is attached to and compare
 * it with the user's mappings.
 *
 * Locking: mock_dev::lock protects the device's reserved regions and the
 * domain it is attached to; the scalar settings are read and written with
 * READ_ONCE()/WRITE_ONCE() and take effect at the next domain allocation,
 * attach or map.  A domain's page table is an xarray, with its own lock.
 */
#ifndef VFIO_MIRROR_MOCK_H
#define VFIO_MIRROR_MOCK_H

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/xarray.h>

#include "mock_uapi.h"

#define MOCK_NAME		"vfio-mirror-mock"
#define MOCK_MAX_DEVICES	8

/**
 * struct mock_resv - a reserved region a mock device reports
 * @list: entry in mock_dev::resv.
 * @start: first address.
 * @length: bytes.
 * @type: IOMMU_RESV_*.
 */
struct mock_resv {
	struct list_head list;
	phys_addr_t start;
	size_t length;
	enum iommu_resv_type type;
};

/**
 * struct mock_dev - one mock device and its settings
 * @pdev: the platform device.
 * @id: its number, 0 to MOCK_MAX_DEVICES - 1.
 * @sibling: the device whose IOMMU group it joined, or -1 for a group of
 *	its own.
 * @lock: protects @resv and @attached.
 * @pgsizes: page sizes of the domains the device makes.
 * @aperture_start: first IOVA of those domains.
 * @aperture_end: last IOVA of those domains.
 * @format: page table format; a domain of another format refuses the
 *	device, as a domain of another IOMMU unit would.
 * @coherent: domains the device makes can enforce cache coherency.
 * @msi_isolated: the device's MSIs count as isolated.
 * @fail_attach: attaching the device to a paging domain fails with -EIO.
 * @fail_map_at: the N-th map_pages() from now, in a domain the device
 *	made, fails with -EIO; 0 for never.
 * @fail_partial: that map fails as VT-d's does without a page table: it
 *	writes the first half of its range, does not report it, and fails
 *	with -ENOMEM.
 * @resv: reserved regions (struct mock_resv).
 * @attached: the paging domain the device is attached to, or NULL.
 * @storm: the timer of a fault storm (fault.c).
 * @storm_domain: the domain a storm reports faults in, under @lock; NULL
 *	when no storm runs.  A storm stops before the device leaves it.
 * @storm_iova: its faulting address.
 * @storm_count: faults per period.
 * @storm_reported: faults storms reported since the device was added.
 * @ref: references: the slot in mock_devs[] and each control request
 *	using the device (mock_get()); the last frees it and drops @pdev.
 */
struct mock_dev {
	struct platform_device *pdev;
	int id;
	int sibling;
	struct mutex lock;	/* see above */
	u64 pgsizes;
	u64 aperture_start;
	u64 aperture_end;
	u32 format;
	bool coherent;
	bool msi_isolated;
	bool fail_attach;
	atomic_t fail_map_at;
	bool fail_partial;
	struct list_head resv;
	struct mock_domain *attached;
	struct hrtimer storm;
	struct mock_domain *storm_domain;
	u64 storm_iova;
	unsigned int storm_count;
	atomic64_t storm_reported;
	struct kref ref;
};

/**
 * struct mock_domain - a paging domain of the mock IOMMU
 * @domain: the IOMMU core's view.
 * @owner: the device whose settings made it.
 * @format: page table format (from @owner).
 * @coherent: enforces cache coherency.
 * @ptes: the page table: one entry per leaf, indexed by IOVA >> 12.
 */
struct mock_domain {
	struct iommu_domain domain;
	struct mock_dev *owner;
	u32 format;
	bool coherent;
	struct xarray ptes;
};

/* main.c */
extern struct mock_dev *mock_devs[MOCK_MAX_DEVICES];
extern struct iommu_device mock_iommu;
extern atomic_t mock_domains_live;
void mock_set_msi_isolated(struct mock_dev *md, bool on);
void mock_reset(struct mock_dev *md);
void mock_resv_clear_locked(struct mock_dev *md);
struct mock_dev *mock_get(u32 id);
void mock_put(struct mock_dev *md);
int mock_add(int n);
int mock_remove_device(int n);
int mock_remove_devices(void);

/* iommu.c */
extern const struct iommu_ops mock_iommu_ops;
struct mock_dev *mock_dev_of(struct device *dev);
u32 mock_domain_leaves(struct mock_domain *dom, struct vfm_mock_leaf *leaves,
		       u32 room);

/* vfio.c */
extern struct platform_driver mock_vfio_driver;

/* fault.c */
void mock_fault_init(struct mock_dev *md);
int mock_fault_report(struct mock_dev *md, u64 iova, bool write,
		      unsigned int count, bool hardirq, bool nodev);
int mock_fault_storm_start(struct mock_dev *md, u64 iova, unsigned int count);
void mock_fault_storm_stop_locked(struct mock_dev *md);

/* ctl.c */
int mock_ctl_init(void);
void mock_ctl_exit(void);

/* pfnmap.c */
int mock_pfnmap_mmap(struct file *file, struct vm_area_struct *vma);

#endif /* VFIO_MIRROR_MOCK_H */
