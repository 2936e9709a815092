// SPDX-License-Identifier: GPL-2.0-only
/*
 * Input for the build-time ABI check of compat/vfio_private.h.
 *
 * This file is never compiled into a module.  Kbuild preprocesses it with
 * the module's flags and -D__GENKSYMS__ and feeds it to the kernel's
 * genksyms, which prints the CRC of vfio_register_iommu_driver as the
 * exporter (drivers/vfio/container.c) would have computed it had it used
 * our copy of the private layout.  compat/abi_check.sh compares that CRC
 * with the one in the target's Module.symvers.
 *
 * genksyms folds into the CRC the full definition of every type reachable
 * from the symbol, so this unit must see exactly what container.c saw:
 *  - the same public headers (a header added here could turn a type that
 *    was only declared there into a defined one and change the CRC);
 *  - every private type on the path: enum vfio_group_type and
 *    struct vfio_iommu_driver_ops from compat/vfio_private.h, and
 *    struct vfio_group in abi_check.h, reached through struct vfio_device::group.
 * struct vfio_group is not used by vfio-mirror; it is written out there
 * only so that the CRC can be reproduced.  If a kernel update changes it,
 * the check fails and this file must be updated with it: a false alarm
 * is safe, a missed change is not.
 */
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/fs.h>
#include <linux/capability.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/vfio.h>
#include <uapi/linux/vfio.h>
#include <linux/device.h>
#include <linux/cdev.h>
#include <linux/module.h>

#include "vfio_private.h"
#include "abi_check.h"

int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops);
EXPORT_SYMBOL_GPL(vfio_register_iommu_driver);
