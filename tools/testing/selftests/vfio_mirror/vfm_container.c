// SPDX-License-Identifier: GPL-2.0-only
/*
 * The container and its ioctls: groups, the backend, mappings, GET_INFO,
 * and the test context (struct vfm_ctx) that holds them together.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include "vfm_lib.h"
#include "vfm_priv.h"

int vfm_open_container(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vfm_open_group(int group_id)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group_id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

int vfm_attach(int container, int group_fd)
{
	return ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container) ?
		-errno : 0;
}

/*
 * Select the IOMMU backend for a container with at least one group, and
 * prove that the intended module took it: the VFIO core holds a reference
 * on the module of the backend it opened for as long as the container
 * uses it.
 */
int vfm_set_iommu(int container, const struct vfm_backend *b)
{
	int before, after, ret;

	ret = vfm_set_claim_type1(b->claim_type1);
	if (ret)
		return ret;
	before = vfm_module_refcnt(b->module);
	if (before < 0)
		return before;
	if (ioctl(container, VFIO_SET_IOMMU, b->type))
		return -errno;
	after = vfm_module_refcnt(b->module);
	return after == before + 1 ? 0 : -EXDEV;
}

int vfm_map_raw(int container, struct vfio_iommu_type1_dma_map *map)
{
	return ioctl(container, VFIO_IOMMU_MAP_DMA, map) ? -errno : 0;
}

int vfm_map(int container, uint64_t iova, void *vaddr, uint64_t size,
	    uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return vfm_map_raw(container, &map);
}

int vfm_unmap_raw(int container, struct vfio_iommu_type1_dma_unmap *unmap)
{
	return ioctl(container, VFIO_IOMMU_UNMAP_DMA, unmap) ? -errno : 0;
}

int vfm_unmap(int container, uint64_t iova, uint64_t size, uint32_t flags,
	      uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int ret;

	ret = vfm_unmap_raw(container, &unmap);
	if (!ret && unmapped)
		*unmapped = unmap.size;
	return ret;
}

int vfm_get_info(int container, struct vfio_iommu_type1_info **out)
{
	struct vfio_iommu_type1_info *info;
	uint32_t argsz = sizeof(*info);

	for (;;) {
		info = calloc(1, argsz);
		if (!info)
			return -ENOMEM;
		info->argsz = argsz;
		if (ioctl(container, VFIO_IOMMU_GET_INFO, info)) {
			free(info);
			return -errno;
		}
		if (info->argsz <= argsz)
			break;
		argsz = info->argsz;
		free(info);
	}
	*out = info;
	return 0;
}

struct vfio_info_cap_header *vfm_info_cap(struct vfio_iommu_type1_info *info,
					  uint16_t id)
{
	uint32_t off;
	int hops = 0;

	if (!(info->flags & VFIO_IOMMU_INFO_CAPS))
		return NULL;
	for (off = info->cap_offset; off && hops < 64; hops++) {
		struct vfio_info_cap_header *h;

		if (off < sizeof(*info) ||
		    off + sizeof(*h) > info->argsz)
			return NULL;
		h = (struct vfio_info_cap_header *)((char *)info + off);
		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

uint32_t vfm_dma_avail(int container)
{
	struct vfio_iommu_type1_info_dma_avail *cap;
	struct vfio_iommu_type1_info *info;
	uint32_t avail = ~0u;

	if (vfm_get_info(container, &info))
		return avail;
	cap = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	if (cap)
		avail = cap->avail;
	free(info);
	return avail;
}

int vfm_info_blob(int container, void *out, size_t len)
{
	struct vfio_iommu_type1_info_cap_iova_range *r;
	struct vfio_iommu_type1_info *info;
	size_t psz, rsz;
	int ret;

	ret = vfm_get_info(container, &info);
	if (ret)
		return ret;
	r = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	psz = sizeof(info->iova_pgsizes);
	rsz = r ? r->nr_iovas * sizeof(r->iova_ranges[0]) : 0;
	ret = -E2BIG;
	if (psz + rsz <= len) {
		memcpy(out, &info->iova_pgsizes, psz);
		if (rsz)
			memcpy((char *)out + psz, r->iova_ranges, rsz);
		ret = psz + rsz;
	}
	free(info);
	return ret;
}

/*
 * Open group @group_id and attach it; the container's first group sets
 * its IOMMU.  Return the group's file, or -errno.
 */
int vfm_ctx_join_group(struct vfm_ctx *ctx, int group_id)
{
	int fd = vfm_open_group(group_id), ret;

	if (fd < 0)
		return fd;
	ret = vfm_attach(ctx->container, fd);
	if (!ret && !ctx->ngroups)
		ret = vfm_set_iommu(ctx->container, ctx->b);
	if (ret) {
		close(fd);	/* also detaches it */
		return ret;
	}
	ctx->ngroups++;
	return fd;
}

int vfm_ctx_leave_group(struct vfm_ctx *ctx, int *group_fd)
{
	int ret = ioctl(*group_fd, VFIO_GROUP_UNSET_CONTAINER) ? -errno : 0;

	close(*group_fd);
	*group_fd = -1;
	ctx->ngroups--;
	return ret;
}

int vfm_ctx_attach_edu(struct vfm_ctx *ctx, int i)
{
	char bdfs[VFM_MAX_EDU][32];
	int n = vfm_edu_find(bdfs, VFM_MAX_EDU);
	int fd, ret;

	if (n < 0)
		return n;
	if (i >= n)
		return -ENODEV;
	if (ctx->group_fd[i] >= 0)
		return -EBUSY;

	fd = vfm_ctx_join_group(ctx, vfm_group_id(bdfs[i]));
	if (fd < 0)
		return fd;
	ret = vfm_edu_open(&ctx->edu[i], fd, bdfs[i]);
	ctx->group_fd[i] = fd;
	if (ret)
		vfm_ctx_leave_group(ctx, &ctx->group_fd[i]);
	return ret;
}

int vfm_ctx_detach_edu(struct vfm_ctx *ctx, int i)
{
	if (ctx->group_fd[i] < 0)
		return -ENOENT;
	vfm_edu_close(&ctx->edu[i]);
	return vfm_ctx_leave_group(ctx, &ctx->group_fd[i]);
}

int vfm_ctx_attach_mock(struct vfm_ctx *ctx, int n)
{
	int group = vfm_mock_group(n), fd;

	if (group < 0)
		return -ENODEV;
	if (ctx->mock_fd[n] >= 0)
		return -EBUSY;
	fd = vfm_ctx_join_group(ctx, group);
	if (fd < 0)
		return fd;
	ctx->mock_fd[n] = fd;
	return 0;
}

int vfm_ctx_detach_mock(struct vfm_ctx *ctx, int n)
{
	if (ctx->mock_fd[n] < 0)
		return -ENOENT;
	return vfm_ctx_leave_group(ctx, &ctx->mock_fd[n]);
}

/* Attach the group of the next edu device and open the device. */
int vfm_ctx_add(struct vfm_ctx *ctx)
{
	int ret = vfm_ctx_attach_edu(ctx, ctx->nedu);

	if (!ret)
		ctx->nedu++;
	return ret;
}

/* Close the last device and detach its group. */
int vfm_ctx_remove(struct vfm_ctx *ctx)
{
	if (!ctx->nedu)
		return -ENOENT;
	return vfm_ctx_detach_edu(ctx, --ctx->nedu);
}

int vfm_ctx_open(struct vfm_ctx *ctx, const struct vfm_backend *b, int nedu)
{
	char bdfs[VFM_MAX_EDU][32];
	int i, n, ret;

	memset(ctx, 0, sizeof(*ctx));
	ctx->b = b;
	for (i = 0; i < VFM_MAX_EDU; i++)
		ctx->group_fd[i] = -1;
	for (i = 0; i < VFM_MAX_MOCK; i++)
		ctx->mock_fd[i] = -1;
	for (i = 0; i < 2; i++) {
		ctx->emul_group_fd[i] = -1;
		ctx->emul_fd[i] = -1;
	}
	n = vfm_edu_find(bdfs, VFM_MAX_EDU);
	if (n < 0)
		return n;
	if (n < nedu)
		return -ENODEV;

	ctx->container = vfm_open_container();
	if (ctx->container < 0)
		return ctx->container;
	while (ctx->nedu < nedu) {
		ret = vfm_ctx_add(ctx);
		if (ret) {
			vfm_ctx_close(ctx);
			return ret;
		}
	}
	return 0;
}

/* Devices first, then groups, then the container: the order VFIO needs. */
void vfm_ctx_close(struct vfm_ctx *ctx)
{
	int i;

	for (i = 0; i < VFM_MAX_EDU; i++) {
		if (ctx->group_fd[i] < 0)
			continue;
		vfm_edu_close(&ctx->edu[i]);
		close(ctx->group_fd[i]);
		ctx->group_fd[i] = -1;
	}
	for (i = 0; i < VFM_MAX_MOCK; i++) {
		if (ctx->mock_fd[i] >= 0)
			close(ctx->mock_fd[i]);
		ctx->mock_fd[i] = -1;
	}
	for (i = 0; i < 2; i++) {
		if (ctx->emul_fd[i] >= 0)
			close(ctx->emul_fd[i]);
		if (ctx->emul_group_fd[i] >= 0)
			close(ctx->emul_group_fd[i]);
		ctx->emul_fd[i] = -1;
		ctx->emul_group_fd[i] = -1;
	}
	ctx->nedu = 0;
	ctx->ngroups = 0;
	if (ctx->container >= 0)
		close(ctx->container);
	ctx->container = -1;
}

int vfm_iova_ranges(int container, struct vfio_iova_range *r, int max)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iommu_type1_info *info;
	int ret, n;

	ret = vfm_get_info(container, &info);
	if (ret)
		return ret;
	cap = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	n = cap ? (int)cap->nr_iovas : -ENOENT;
	if (n > max)
		n = max;
	if (n > 0)
		memcpy(r, cap->iova_ranges, n * sizeof(*r));
	free(info);
	return n;
}

bool vfm_iova_usable(int container, uint64_t start, uint64_t last)
{
	struct vfio_iova_range r[16];
	int i, n = vfm_iova_ranges(container, r, ARRAY_SIZE(r));

	for (i = 0; i < n; i++)
		if (r[i].start <= start && last <= r[i].end)
			return true;
	return false;
}
