/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the parts of type1's ABI that migration and live update
 * use, and for the test module's mediated device (vfio_mirror_emul.ko,
 * whose ioctls are in its emul_uapi.h): pinning, vfio_dma_rw() copies and
 * unmap notifications, dirty page tracking, VFIO_UPDATE_VADDR.
 */
#ifndef VFM_EMUL_H
#define VFM_EMUL_H

#include <stdint.h>

#include "emul_uapi.h"

struct vfm_ctx;

#define VFM_MAX_EMUL		2

/* The IOMMU group of mediated device @n, or -ENODEV. */
int vfm_emul_group(int n);
/* Attach its group to @ctx and open the device: ctx->emul_fd[n]. */
int vfm_ctx_attach_emul(struct vfm_ctx *ctx, int n);
int vfm_ctx_detach_emul(struct vfm_ctx *ctx, int n);

int vfm_emul_pin(int fd, uint64_t iova, uint32_t npage, uint32_t prot,
		 uint64_t *phys);
int vfm_emul_unpin(int fd, uint64_t iova, uint32_t npage);
int vfm_emul_rw(int fd, uint64_t iova, void *buf, uint32_t len, bool write);
int vfm_emul_state(int fd, struct vfm_emul_state *st);
int vfm_emul_reset(int fd);

/* VFIO_IOMMU_DIRTY_PAGES with one flag, or none. */
int vfm_dirty(int container, uint32_t flags);
/* GET_BITMAP of [@iova, @iova + @size) into @bitmap of @bytes. */
int vfm_dirty_get(int container, uint64_t iova, uint64_t size,
		  uint64_t pgsize, void *bitmap, uint64_t bytes);
/* Unmap with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP. */
int vfm_unmap_dirty(int container, uint64_t iova, uint64_t size,
		    uint64_t pgsize, void *bitmap, uint64_t bytes,
		    uint64_t *unmapped);
/* VFIO_IOMMU_MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR. */
int vfm_set_vaddr(int container, uint64_t iova, void *vaddr, uint64_t size);

/*
 * type1 6.12 calls a device's dma_unmap holding its device_list_lock,
 * which it takes inside its iommu lock when a device registers; the
 * device's unpin then takes the iommu lock: a lock-order inversion,
 * which a kernel with lockdep reports (and then stops checking).  True
 * for type1 on such a kernel: its tests that make it notify a device
 * skip there.
 */
struct vfm_backend;
bool vfm_type1_notify_splats(const struct vfm_backend *b);

#endif /* VFM_EMUL_H */
