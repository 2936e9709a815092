// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: the container ioctls of the type1 ABI.
 *
 * This file only translates: it copies arguments in, checks argsz and
 * flags, calls the core and copies results out.  The semantics, and the
 * errnos of everything past the flags check, live in dma.c, domain.c and
 * iova.c.
 * Every request and flag of type1 6.12 is served, in type1's order of
 * checks, so that the errno of a bad request is type1's (but for ranges
 * that wrap: -EOVERFLOW, see dma.c).
 */
#include <linux/iommu.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <uapi/linux/vfio_mirror.h>

#include "vfm.h"
#include "compat/uapi.h"

/**
 * vfm_check_extension() - VFIO_CHECK_EXTENSION
 * @c: container, or NULL when the VFIO core asks every backend before
 *	VFIO_SET_IOMMU.
 * @ext: extension or container type.
 *
 * Return: 1 if supported, 0 if not.
 */
long vfm_check_extension(struct vfm_container *c, unsigned long ext)
{
	switch (ext) {
	case VFIO_MIRROR_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_UPDATE_VADDR:
		/* Mediated devices could not pin while addresses are invalid. */
		return c ? vfm_emul_absent(c) : 0;
	case VFM_TYPE1_NESTING_IOMMU:
		return c && VFM_TYPE1_ANSWERS_NESTING;
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
		/*
		 * Asked before VFIO_SET_IOMMU, a yes would take the container
		 * from type1: answer only when claiming.  Asked of one of our
		 * containers, answer as type1 does.
		 */
		return c ? 1 : vfm_claims_type(ext);
	case VFIO_DMA_CC_IOMMU:
		return c ? vfm_domain_all_coherent(c) : 0;
	default:
		return 0;
	}
}

static int vfm_info_add_iova_cap(struct vfm_container *c,
				 struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_info_cap_header *header;
	unsigned int i;

	if (!c->iova.nr)
		return 0;

	header = vfio_info_cap_add(caps, struct_size(cap, iova_ranges,
						     c->iova.nr),
				   VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR(header))
		return PTR_ERR(header);

	cap = container_of(header, struct vfio_iommu_type1_info_cap_iova_range,
			   header);
	cap->nr_iovas = c->iova.nr;
	for (i = 0; i < c->iova.nr; i++) {
		cap->iova_ranges[i].start = c->iova.ranges[i].start;
		cap->iova_ranges[i].end = c->iova.ranges[i].last;
	}
	return 0;
}

static int vfm_info_add_dma_avail_cap(struct vfm_container *c,
				      struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
		.header.version = 1,
		.avail = c->dma_avail,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

static int vfm_info_add_msi_cap(struct vfm_container *c,
				struct vfio_info_cap *caps)
{
	struct vfio_mirror_info_cap_msi *cap;
	struct vfio_info_cap_header *header;
	struct vfm_msi_window *windows;
	bool isolated;
	int nr, i;

	nr = vfm_msi_report(c, &isolated, &windows);
	if (nr < 0)
		return nr;
	header = vfio_info_cap_add(caps, struct_size(cap, windows, nr),
				   VFIO_MIRROR_INFO_CAP_MSI, 1);
	if (IS_ERR(header)) {
		kfree(windows);
		return PTR_ERR(header);
	}
	cap = container_of(header, struct vfio_mirror_info_cap_msi, header);
	cap->flags = isolated ? VFIO_MIRROR_MSI_ISOLATED : 0;
	cap->nr_windows = nr;
	for (i = 0; i < nr; i++) {
		cap->windows[i].start = windows[i].range.start;
		cap->windows[i].end = windows[i].range.last;
		cap->windows[i].flags = windows[i].translated ?
					VFIO_MIRROR_MSI_WINDOW_TRANSLATED : 0;
	}
	kfree(windows);
	return 0;
}

static int vfm_info_add_iova_generation_cap(struct vfm_container *c,
					    struct vfio_info_cap *caps)
{
	struct vfio_mirror_info_cap_iova_generation cap = {
		.header.id = VFIO_MIRROR_INFO_CAP_IOVA_GENERATION,
		.header.version = 1,
		.generation = c->iova_generation,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

static long vfm_ioctl_get_info(struct vfm_container *c,
			       struct vfio_iommu_type1_info __user *uinfo)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_info,
					  iova_pgsizes);
	struct vfio_iommu_type1_info info = {};
	struct vfio_info_cap caps = {};
	int ret;

	if (copy_from_user(&info, uinfo, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = min_t(size_t, info.argsz, sizeof(info));

	ret = vfm_container_lock(c);
	if (ret)
		return ret;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = c->pgsize_bitmap;
	/* type1's capabilities in type1's order, then vfio-mirror's. */
	ret = vfm_dirty_add_info_cap(c, &caps);
	if (!ret)
		ret = vfm_info_add_dma_avail_cap(c, &caps);
	if (!ret)
		ret = vfm_info_add_iova_cap(c, &caps);
	if (!ret)
		ret = vfm_info_add_msi_cap(c, &caps);
	if (!ret)
		ret = vfm_info_add_iova_generation_cap(c, &caps);
	if (!ret)
		ret = vfm_fault_add_info_cap(c, &caps);
	mutex_unlock(&c->lock);
	if (ret)
		goto out;

	if (caps.size) {
		info.flags |= VFIO_IOMMU_INFO_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			/* Too small: tell the user how much to pass. */
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(uinfo + 1, caps.buf, caps.size)) {
				ret = -EFAULT;
				goto out;
			}
			info.cap_offset = sizeof(info);
		}
	}

	if (copy_to_user(uinfo, &info, minsz))
		ret = -EFAULT;
out:
	kfree(caps.buf);
	return ret;
}

static long vfm_ioctl_map_dma(struct vfm_container *c,
			      struct vfio_iommu_type1_dma_map __user *umap)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dma_map,
					  size);
	const u32 mask = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
			 VFIO_DMA_MAP_FLAG_VADDR;
	struct vfio_iommu_type1_dma_map map;
	bool set_vaddr;
	int prot = 0;

	if (copy_from_user(&map, umap, minsz))
		return -EFAULT;
	if (map.argsz < minsz || map.flags & ~mask)
		return -EINVAL;

	/* READ and WRITE are from the device's point of view. */
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;

	/* A new address for a mapping keeps its access: no READ, no WRITE. */
	set_vaddr = map.flags & VFIO_DMA_MAP_FLAG_VADDR;
	if (!prot == !set_vaddr)
		return -EINVAL;
	if (set_vaddr)
		return vfm_dma_set_vaddr(c, map.iova, map.vaddr, map.size);
	return vfm_dma_map(c, map.iova, map.vaddr, map.size, prot);
}

static long vfm_ioctl_unmap_dma(struct vfm_container *c,
				struct vfio_iommu_type1_dma_unmap __user *uunmap)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dma_unmap,
					  size);
	const u32 mask = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
			 VFIO_DMA_UNMAP_FLAG_VADDR | VFIO_DMA_UNMAP_FLAG_ALL;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfm_unmap req = {};
	struct vfio_bitmap bitmap;
	u64 unmapped;
	int ret;

	if (copy_from_user(&unmap, uunmap, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || unmap.flags & ~mask)
		return -EINVAL;
	req.iova = unmap.iova;
	req.size = unmap.size;
	req.all = unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL;
	req.vaddr = unmap.flags & VFIO_DMA_UNMAP_FLAG_VADDR;

	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		if (req.all || req.vaddr ||
		    unmap.argsz < minsz + sizeof(bitmap))
			return -EINVAL;
		if (copy_from_user(&bitmap, uunmap->data, sizeof(bitmap)))
			return -EFAULT;
		req.bitmap = bitmap.data;
		req.pgsize = bitmap.pgsize;
		ret = vfm_dirty_verify_bitmap(unmap.size, bitmap.pgsize,
					      bitmap.size, req.bitmap);
		if (ret)
			return ret;
	}

	/*
	 * The result is stored before anything is unmapped, under the
	 * container lock, without a fault: if its page is not there to
	 * write, it is faulted in here, with what it holds, and the unmap
	 * starts over.  Nothing is unmapped or changed before that store.
	 */
	req.result = &uunmap->size;
	for (;;) {
		ret = vfm_dma_unmap(c, &req, &unmapped);
		if (ret != -EAGAIN)
			return ret;
		if (copy_to_user(req.result, &unmap.size, sizeof(unmap.size)))
			return -EFAULT;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}

static long vfm_ioctl_dirty_get(struct vfm_container *c,
				struct vfio_iommu_type1_dirty_bitmap __user *ud,
				u32 argsz, unsigned long minsz)
{
	struct vfio_iommu_type1_dirty_bitmap_get range;
	u64 __user *data;
	dma_addr_t last;
	int ret;

	if (argsz - minsz < sizeof(range))
		return -EINVAL;
	if (copy_from_user(&range, ud->data, sizeof(range)))
		return -EFAULT;
	if (range.size && check_add_overflow(range.iova, range.size - 1, &last))
		return -EOVERFLOW;
	data = range.bitmap.data;
	ret = vfm_dirty_verify_bitmap(range.size, range.bitmap.pgsize,
				      range.bitmap.size, data);
	if (ret)
		return ret;
	return vfm_dirty_get_bitmap(c, range.iova, range.size,
				    range.bitmap.pgsize, data);
}

static long vfm_ioctl_dirty_pages(struct vfm_container *c,
				  struct vfio_iommu_type1_dirty_bitmap __user *ud)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap,
					  flags);
	const u32 mask = VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
			 VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
			 VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	struct vfio_iommu_type1_dirty_bitmap dirty;

	/* Migration needs the type1v2 rules, as with type1. */
	if (!c->v2)
		return -EACCES;
	if (copy_from_user(&dirty, ud, minsz))
		return -EFAULT;
	if (dirty.argsz < minsz || dirty.flags & ~mask ||
	    hweight32(dirty.flags) != 1)
		return -EINVAL;

	switch (dirty.flags) {
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_START:
		return vfm_dirty_start(c);
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP:
		vfm_dirty_stop(c);
		return 0;
	default:
		return vfm_ioctl_dirty_get(c, ud, dirty.argsz, minsz);
	}
}

static long vfm_ioctl_set_eventfd(struct vfm_container *c,
				  struct vfio_mirror_eventfd __user *uarg)
{
	unsigned long minsz = offsetofend(struct vfio_mirror_eventfd, fd);
	struct vfio_mirror_eventfd arg;

	if (copy_from_user(&arg, uarg, minsz))
		return -EFAULT;
	if (arg.argsz < minsz || arg.flags)
		return -EINVAL;
	return vfm_notify_set(c, arg.events, arg.fd);
}

/**
 * vfm_ioctl() - a container ioctl other than VFIO_CHECK_EXTENSION
 * @c: container.
 * @cmd: ioctl number.
 * @arg: user pointer to the argument.
 *
 * Return: the result of the ioctl, -ENOTTY for an unknown one.
 */
long vfm_ioctl(struct vfm_container *c, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		return vfm_ioctl_get_info(c, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return vfm_ioctl_map_dma(c, uarg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfm_ioctl_unmap_dma(c, uarg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return vfm_ioctl_dirty_pages(c, uarg);
	case VFIO_MIRROR_IOMMU_SET_EVENTFD:
		return vfm_ioctl_set_eventfd(c, uarg);
	case VFIO_MIRROR_IOMMU_READ_FAULTS:
		return vfm_fault_read(c, uarg);
	default:
		return -ENOTTY;
	}
}
