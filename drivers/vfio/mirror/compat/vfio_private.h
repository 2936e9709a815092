/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VFIO core's private interface for IOMMU backends.
 *
 * A VFIO IOMMU backend registers a table of callbacks with
 * vfio_register_iommu_driver().  The table and the group type enum live in
 * drivers/vfio/vfio.h, which is private to the VFIO core and is not part
 * of distribution kernel header packages.  This file is the one copy of
 * that layout in vfio-mirror.
 *
 * A stale copy would not be caught by modversions: the CRC of
 * vfio_register_iommu_driver is checked against the exporter's CRC, which
 * was computed over the kernel's own header, not this one.  So the build
 * recomputes the CRC over this file (abi_check.c, run through genksyms by
 * the Kbuild rule "abi_check") and refuses to build when it differs from
 * the CRC in the target kernel's Module.symvers.  A kernel without
 * CONFIG_MODVERSIONS has no CRC; there the build compares this layout, as
 * pahole prints it, with the BTF of the kernel's own vfio.ko
 * (abi_btf.sh, the Kbuild rule "abi_btf").
 *
 * Target: Linux 6.12 to 7.3 with CONFIG_VFIO_CONTAINER=y: the same layout,
 * proven for each kernel the build is for.
 */
#ifndef VFIO_MIRROR_COMPAT_VFIO_PRIVATE_H
#define VFIO_MIRROR_COMPAT_VFIO_PRIVATE_H

#include <linux/types.h>

struct iommu_group;
struct iommu_domain;
struct module;
struct page;
struct vfio_device;

/*
 * enum vfio_group_type - how a VFIO group reaches memory
 * @VFIO_IOMMU: a physical device behind a real IOMMU group.
 * @VFIO_EMULATED_IOMMU: a mediated device; it never does unmediated DMA.
 * @VFIO_NO_IOMMU: a physical device without IOMMU protection.
 */
enum vfio_group_type {
	VFIO_IOMMU,
	VFIO_EMULATED_IOMMU,
	VFIO_NO_IOMMU,
};

/*
 * struct vfio_iommu_driver_ops - callbacks of a VFIO IOMMU backend
 *
 * @name:		driver name, for messages.
 * @owner:		module that provides the callbacks.
 * @open:		create a backend context for VFIO_SET_IOMMU(@arg).
 * @release:		destroy a context made by @open.
 * @ioctl:		container ioctls; called with a NULL context for
 *			VFIO_CHECK_EXTENSION before an IOMMU is set.
 * @attach_group:	add an IOMMU group to the context.
 * @detach_group:	remove an IOMMU group from the context.
 * @pin_pages:		pin user pages for an emulated IOMMU group.
 * @unpin_pages:	undo @pin_pages.
 * @register_device:	a device of an attached group was registered.
 * @unregister_device:	undo @register_device.
 * @dma_rw:		CPU access to an IOVA range for emulated devices.
 * @group_iommu_domain:	the iommu_domain a group is attached to.
 */
struct vfio_iommu_driver_ops {
	char			*name;
	struct module		*owner;
	void			*(*open)(unsigned long arg);
	void			(*release)(void *iommu_data);
	long			(*ioctl)(void *iommu_data, unsigned int cmd,
					 unsigned long arg);
	int			(*attach_group)(void *iommu_data,
						struct iommu_group *group,
						enum vfio_group_type);
	void			(*detach_group)(void *iommu_data,
						struct iommu_group *group);
	int			(*pin_pages)(void *iommu_data,
					     struct iommu_group *group,
					     dma_addr_t user_iova, int npage,
					     int prot, struct page **pages);
	void			(*unpin_pages)(void *iommu_data,
					       dma_addr_t user_iova, int npage);
	void			(*register_device)(void *iommu_data,
						   struct vfio_device *vdev);
	void			(*unregister_device)(void *iommu_data,
						     struct vfio_device *vdev);
	int			(*dma_rw)(void *iommu_data, dma_addr_t user_iova,
					  void *data, size_t count, bool write);
	struct iommu_domain	*(*group_iommu_domain)(void *iommu_data,
						       struct iommu_group *group);
};

int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops);
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops);

#endif /* VFIO_MIRROR_COMPAT_VFIO_PRIVATE_H */
