/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Container types of the kernel's VFIO uAPI that differ between kernels.
 *
 * VFIO_TYPE1_NESTING_IOMMU (6) is a container type that type1 accepted as
 * type1v2 ("implies v2"), and it answered VFIO_CHECK_EXTENSION(6) with 1
 * for its containers.  Later kernels renamed it
 * __VFIO_RESERVED_TYPE1_NESTING_IOMMU and type1 stopped answering it (0).
 * A vfio-mirror container answers as type1 answers on the same kernel: the
 * name in <uapi/linux/vfio.h> tells which kernel this is.
 */
#ifndef VFIO_MIRROR_COMPAT_UAPI_H
#define VFIO_MIRROR_COMPAT_UAPI_H

#include <linux/build_bug.h>
#include <uapi/linux/vfio.h>

/* The container type number, whatever its name on this kernel. */
#define VFM_TYPE1_NESTING_IOMMU	6

#ifdef VFIO_TYPE1_NESTING_IOMMU
static_assert(VFIO_TYPE1_NESTING_IOMMU == VFM_TYPE1_NESTING_IOMMU);
/* Whether type1 answers VFIO_CHECK_EXTENSION(6) with 1 for a container. */
#define VFM_TYPE1_ANSWERS_NESTING	1
#else
static_assert(__VFIO_RESERVED_TYPE1_NESTING_IOMMU == VFM_TYPE1_NESTING_IOMMU);
#define VFM_TYPE1_ANSWERS_NESTING	0
#endif

#endif /* VFIO_MIRROR_COMPAT_UAPI_H */
