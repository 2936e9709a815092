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

#endif /* _UAPI_LINUX_VFIO_MIRROR_H */
