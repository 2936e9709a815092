// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mediated device of the tests, dirty tracking and VFIO_UPDATE_VADDR
 * requests (vfm_emul.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfm_lib.h"
#include "vfm_emul.h"

int vfm_emul_group(int n)
{
	char path[PATH_MAX], link[PATH_MAX], *slash;
	ssize_t len;

	snprintf(path, sizeof(path),
		 "/sys/bus/platform/devices/%s.%d/iommu_group",
		 VFM_EMUL_NAME, n);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -ENODEV;
	link[len] = 0;
	slash = strrchr(link, '/');
	return atoi(slash ? slash + 1 : link);
}

int vfm_ctx_attach_emul(struct vfm_ctx *ctx, int n)
{
	char name[64];
	int group = vfm_emul_group(n), fd, dev;

	if (group < 0)
		return group;
	if (ctx->emul_group_fd[n] >= 0)
		return -EBUSY;
	fd = vfm_ctx_join_group(ctx, group);
	if (fd < 0)
		return fd;
	snprintf(name, sizeof(name), "%s.%d", VFM_EMUL_NAME, n);
	dev = ioctl(fd, VFIO_GROUP_GET_DEVICE_FD, name);
	if (dev < 0) {
		int ret = -errno;

		vfm_ctx_leave_group(ctx, &fd);
		return ret;
	}
	ctx->emul_group_fd[n] = fd;
	ctx->emul_fd[n] = dev;
	return 0;
}

int vfm_ctx_detach_emul(struct vfm_ctx *ctx, int n)
{
	if (ctx->emul_group_fd[n] < 0)
		return -ENOENT;
	close(ctx->emul_fd[n]);
	ctx->emul_fd[n] = -1;
	return vfm_ctx_leave_group(ctx, &ctx->emul_group_fd[n]);
}

int vfm_emul_pin(int fd, uint64_t iova, uint32_t npage, uint32_t prot,
		 uint64_t *phys)
{
	struct vfm_emul_pin arg = { .iova = iova, .npage = npage,
				    .prot = prot };

	if (ioctl(fd, VFM_EMUL_PIN, &arg))
		return -errno;
	if (phys)
		*phys = arg.phys;
	return 0;
}

int vfm_emul_unpin(int fd, uint64_t iova, uint32_t npage)
{
	struct vfm_emul_pin arg = { .iova = iova, .npage = npage };

	return ioctl(fd, VFM_EMUL_UNPIN, &arg) ? -errno : 0;
}

int vfm_emul_rw(int fd, uint64_t iova, void *buf, uint32_t len, bool write)
{
	struct vfm_emul_rw arg = { .iova = iova, .len = len, .write = write,
				   .buf = (uintptr_t)buf };

	return ioctl(fd, VFM_EMUL_RW, &arg) ? -errno : 0;
}

int vfm_emul_state(int fd, struct vfm_emul_state *st)
{
	return ioctl(fd, VFM_EMUL_STATE, st) ? -errno : 0;
}

int vfm_emul_reset(int fd)
{
	return ioctl(fd, VFM_EMUL_RESET) ? -errno : 0;
}

int vfm_dirty(int container, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(d), .flags = flags,
	};

	return ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &d) ? -errno : 0;
}

int vfm_dirty_get(int container, uint64_t iova, uint64_t size,
		  uint64_t pgsize, void *bitmap, uint64_t bytes)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get r;
	} arg = {
		.d.argsz = sizeof(arg),
		.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
		.r.iova = iova, .r.size = size,
		.r.bitmap.pgsize = pgsize, .r.bitmap.size = bytes,
		.r.bitmap.data = bitmap,
	};

	return ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &arg) ? -errno : 0;
}

int vfm_unmap_dirty(int container, uint64_t iova, uint64_t size,
		    uint64_t pgsize, void *bitmap, uint64_t bytes,
		    uint64_t *unmapped)
{
	struct {
		struct vfio_iommu_type1_dma_unmap u;
		struct vfio_bitmap b;
	} arg = {
		.u.argsz = sizeof(arg),
		.u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
		.u.iova = iova, .u.size = size,
		.b.pgsize = pgsize, .b.size = bytes, .b.data = bitmap,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &arg))
		return -errno;
	if (unmapped)
		*unmapped = arg.u.size;
	return 0;
}

int vfm_set_vaddr(int container, uint64_t iova, void *vaddr, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_VADDR,
		.iova = iova, .vaddr = (uintptr_t)vaddr, .size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

bool vfm_type1_notify_splats(const struct vfm_backend *b)
{
	return vfm_is_type1(b) && !access("/proc/lockdep", F_OK);
}
