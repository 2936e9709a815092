/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private VFIO types that are not used by vfio-mirror but lie on the path
 * genksyms walks from vfio_register_iommu_driver (see abi_check.c).  They
 * are in a header because genksyms treats types defined in the .c file it
 * checks as opaque, as the kernel's own build of container.c did for
 * struct vfio_container.
 */
#ifndef VFIO_MIRROR_COMPAT_ABI_CHECK_H
#define VFIO_MIRROR_COMPAT_ABI_CHECK_H

struct kvm;
struct iommufd_ctx;
struct vfio_container;

/* Layout of struct vfio_group in Linux 6.12, CONFIG_VFIO_CONTAINER=y. */
struct vfio_group {
	struct device			dev;
	struct cdev			cdev;
	refcount_t			drivers;
	unsigned int			container_users;
	struct iommu_group		*iommu_group;
	struct vfio_container		*container;
	struct list_head		device_list;
	struct mutex			device_lock;	/* layout only */
	struct list_head		vfio_next;
	struct list_head		container_next;
	enum vfio_group_type		type;
	struct mutex			group_lock;	/* layout only */
	struct kvm			*kvm;
	struct file			*opened_file;
	struct blocking_notifier_head	notifier;
	struct iommufd_ctx		*iommufd;
	spinlock_t			kvm_ref_lock;	/* layout only */
	unsigned int			cdev_device_open_cnt;
};

#endif /* VFIO_MIRROR_COMPAT_ABI_CHECK_H */
