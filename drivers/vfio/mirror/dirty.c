// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: dirty page tracking for migration (VFIO_IOMMU_DIRTY_PAGES).
 *
 * What is dirty follows vfio_iommu_type1: while the container has a group
 * that may write anywhere it is mapped (an IOMMU group that never pinned
 * through vfio_pin_pages()), every page of every mapping is dirty at every
 * report.  Otherwise the dirty pages are those mediated devices hold
 * pinned, and those they pinned, unpinned or wrote with vfio_dma_rw()
 * since the mapping was last reported; a group that may write anywhere
 * leaving the container makes every page dirty once more.
 *
 * type1 keeps a bitmap per mapping for that, allocated at START.  Here
 * nothing is allocated for the first case, the common one (an assigned
 * PCI device): the bits are set as they are copied out.  For the second,
 * the pages mediated devices touched are kept in an xarray by IOVA page,
 * beside the pins themselves (emul.c), and a mapping that lost track
 * (no memory) is marked dirty in full, which is never wrong.
 *
 * The user's bitmap is written as type1 writes it: a mapping's bits start
 * at its offset from the range's base, the bits of the first 64-bit word
 * below that offset are kept as they were, and the rest of its last word
 * is cleared.
 */
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfm.h"

/* type1's limits: a mapping has at most INT_MAX pages of bits. */
#define VFM_DIRTY_PAGES_MAX	((u64)INT_MAX)
#define VFM_DIRTY_BYTES(n)	(ALIGN((u64)(n), 64) / 8)
#define VFM_DIRTY_SIZE_MAX	VFM_DIRTY_BYTES(VFM_DIRTY_PAGES_MAX)

/* Bits a report copies out at once: one page of them. */
#define VFM_DIRTY_WORDS		(PAGE_SIZE / sizeof(u64))

/* Has a mapping of @size bytes no more pages than a bitmap may have? */
static bool vfm_dirty_fits(struct vfm_container *c, u64 size)
{
	return size >> __ffs64(c->pgsize_bitmap) <= VFM_DIRTY_PAGES_MAX;
}

/**
 * vfm_dirty_check_dma() - can a mapping of @size bytes be tracked?
 * @c: container, locked.
 * @size: bytes of the mapping.
 *
 * Return: 0, or -EINVAL while tracking when it has more pages than a
 * bitmap may have.
 */
int vfm_dirty_check_dma(struct vfm_container *c, u64 size)
{
	lockdep_assert_held(&c->lock);
	return c->dirty_tracking && !vfm_dirty_fits(c, size) ? -EINVAL : 0;
}

/**
 * vfm_dirty_start() - VFIO_IOMMU_DIRTY_PAGES_FLAG_START
 * @c: container.
 *
 * Return: 0, also when already tracking; -EINVAL when a mapping is too
 * large to be tracked, or the container was released.
 */
int vfm_dirty_start(struct vfm_container *c)
{
	struct rb_node *node;
	int ret;

	ret = vfm_container_lock(c);
	if (ret)
		return ret;
	for (node = rb_first_cached(&c->dmas);
	     node && !c->dirty_tracking && !ret; node = rb_next(node)) {
		struct vfm_dma *dma = rb_entry(node, struct vfm_dma, node.rb);

		if (!vfm_dirty_fits(c, vfm_dma_size(dma)))
			ret = -EINVAL;
	}
	if (!ret)
		c->dirty_tracking = true;
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * vfm_dirty_stop() - VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP
 * @c: container.
 */
void vfm_dirty_stop(struct vfm_container *c)
{
	struct rb_node *node;

	if (vfm_container_lock(c))
		return;
	if (c->dirty_tracking) {
		c->dirty_tracking = false;
		xa_destroy(&c->dirty);
		for (node = rb_first_cached(&c->dmas); node;
		     node = rb_next(node))
			rb_entry(node, struct vfm_dma, node.rb)->flags &=
				~VFM_DMA_DIRTY_ALL;
	}
	mutex_unlock(&c->lock);
}

/**
 * vfm_dirty_mark() - pages of a mapping that a mediated device dirtied
 * @c: container, locked, tracking.
 * @dma: the mapping.
 * @start: first IOVA, inside @dma.
 * @last: last IOVA, inside @dma.
 */
void vfm_dirty_mark(struct vfm_container *c, struct vfm_dma *dma,
		    dma_addr_t start, dma_addr_t last)
{
	unsigned long idx;

	lockdep_assert_held(&c->lock);
	for (idx = start >> PAGE_SHIFT; idx <= last >> PAGE_SHIFT; idx++) {
		if (xa_is_err(xa_store(&c->dirty, idx, xa_mk_value(0),
				       VFM_GFP))) {
			dma->flags |= VFM_DMA_DIRTY_ALL;
			return;
		}
	}
}

/**
 * vfm_dirty_forget() - a mapping was reported, or goes away
 * @c: container, locked.
 * @dma: the mapping.
 */
void vfm_dirty_forget(struct vfm_container *c, struct vfm_dma *dma)
{
	unsigned long idx;
	void *entry;

	lockdep_assert_held(&c->lock);
	dma->flags &= ~VFM_DMA_DIRTY_ALL;
	if (!c->dirty_tracking)
		return;
	xa_for_each_range(&c->dirty, idx, entry,
			  vfm_dma_iova(dma) >> PAGE_SHIFT,
			  vfm_dma_last(dma) >> PAGE_SHIFT)
		xa_erase(&c->dirty, idx);
}

/**
 * vfm_dirty_all() - a group that may write anywhere left: all is dirty
 * @c: container, locked, tracking.
 */
void vfm_dirty_all(struct vfm_container *c)
{
	struct rb_node *node;

	lockdep_assert_held(&c->lock);
	for (node = rb_first_cached(&c->dmas); node; node = rb_next(node))
		rb_entry(node, struct vfm_dma, node.rb)->flags |=
			VFM_DMA_DIRTY_ALL;
}

/* Set the bits of the IOVA pages of @xa in [@first, @last] in @buf. */
static void vfm_dirty_set_pages(struct xarray *xa, unsigned long first,
				unsigned long last, dma_addr_t dma_iova,
				unsigned int pgshift, u64 bit0,
				unsigned long *buf)
{
	unsigned long idx;
	void *entry;

	xa_for_each_range(xa, idx, entry, first, last)
		__set_bit((((((u64)idx << PAGE_SHIFT) - dma_iova) >> pgshift) -
			   bit0), buf);
}

/**
 * vfm_dirty_report() - copy a mapping's dirty bits out; the caller clears
 *	them (vfm_dirty_forget()) once every mapping it reports is written
 * @c: container, locked, tracking.
 * @dma: the mapping.
 * @bitmap: the user's bitmap, whose bit 0 is @base.
 * @base: IOVA of bit 0, at most @dma's IOVA.
 * @pgsize: bytes per bit: the container's smallest page size.
 *
 * Return: 0 or -EFAULT, -ENOMEM.
 */
int vfm_dirty_report(struct vfm_container *c, struct vfm_dma *dma,
		     u64 __user *bitmap, dma_addr_t base, u64 pgsize)
{
	unsigned int pgshift = __ffs64(pgsize), shift;
	dma_addr_t iova = vfm_dma_iova(dma);
	u64 nbits = vfm_dma_size(dma) >> pgshift;
	u64 offset = (iova - base) >> pgshift;
	u64 __user *dst = bitmap + offset / 64;
	bool all = c->non_pinned_groups || dma->flags & VFM_DMA_DIRTY_ALL;
	u64 words, w, n, lo, hi, lead = 0;
	unsigned long *buf;
	int ret = 0;

	lockdep_assert_held(&c->lock);
	shift = offset % 64;
	words = DIV_ROUND_UP(nbits + shift, 64);
	if (shift && get_user(lead, dst))
		return -EFAULT;
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	for (w = 0; w < words && !ret; w += n) {
		n = min_t(u64, words - w, VFM_DIRTY_WORDS);
		memset(buf, 0, n * sizeof(u64));
		/* The mapping's bits [lo, hi) fall in these words. */
		lo = max_t(u64, w * 64, shift) - shift;
		hi = min_t(u64, (w + n) * 64, shift + nbits) - shift;
		if (all) {
			bitmap_set(buf, lo + shift - w * 64, hi - lo);
		} else if (hi > lo) {
			unsigned long first = (iova + (lo << pgshift)) >>
					      PAGE_SHIFT;
			unsigned long last = (iova + (hi << pgshift) - 1) >>
					     PAGE_SHIFT;
			u64 bit0 = w * 64 - shift;

			vfm_dirty_set_pages(&c->dirty, first, last, iova,
					    pgshift, bit0, buf);
			vfm_dirty_set_pages(&c->pins, first, last, iova,
					    pgshift, bit0, buf);
		}
		if (!w && shift)
			buf[0] |= lead & (BIT_ULL(shift) - 1);
		if (copy_to_user(dst + w, buf, n * sizeof(u64)))
			ret = -EFAULT;
	}
	kfree(buf);
	return ret;
}

/**
 * vfm_dirty_verify_bitmap() - the checks type1 makes before locking
 * @size: bytes of the range.
 * @pgsize: bytes per bit.
 * @bitmap_size: bytes of the bitmap.
 * @data: the bitmap.
 *
 * Return: 0, or -EINVAL for an address the user cannot write, no page in
 * the range, a bitmap too small for it or larger than the limit.
 */
int vfm_dirty_verify_bitmap(u64 size, u64 pgsize, u64 bitmap_size,
			    u64 __user *data)
{
	u64 npages;

	if (!pgsize || !access_ok(data, bitmap_size))
		return -EINVAL;
	npages = size >> __ffs64(pgsize);
	if (!npages || !bitmap_size || bitmap_size > VFM_DIRTY_SIZE_MAX ||
	    bitmap_size < VFM_DIRTY_BYTES(npages))
		return -EINVAL;
	return 0;
}

/**
 * vfm_dirty_get_bitmap() - VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP
 * @c: container.
 * @iova: first IOVA of the range.
 * @size: bytes, with @iova + @size - 1 not wrapping.
 * @pgsize: bytes per bit.
 * @bitmap: the user's bitmap, checked by vfm_dirty_verify_bitmap().
 *
 * Return: 0; -EINVAL when @pgsize is not the smallest page size, @iova
 * or @size are not aligned to it, @size is 0, tracking is off, the range
 * cuts a mapping, or the container was released; -EFAULT, -ENOMEM.
 */
int vfm_dirty_get_bitmap(struct vfm_container *c, dma_addr_t iova,
			 u64 size, u64 pgsize, u64 __user *bitmap)
{
	dma_addr_t last = iova + size - 1;
	struct vfm_dma *dma;
	u64 min;
	int ret;

	ret = vfm_container_lock(c);
	if (ret)
		return ret;
	min = vfm_min_pgsize(c);
	ret = -EINVAL;
	if (pgsize != min || iova & (min - 1) || !size || size & (min - 1) ||
	    !c->dirty_tracking)
		goto out;
	dma = vfm_dma_first(c, iova, iova);
	if (dma && vfm_dma_iova(dma) != iova)
		goto out;
	dma = vfm_dma_first(c, last, last);
	if (dma && vfm_dma_last(dma) != last)
		goto out;

	ret = 0;
	for (dma = vfm_dma_first(c, iova, last); dma && !ret;
	     dma = vfm_dma_next(dma, iova, last))
		ret = vfm_dirty_report(c, dma, bitmap, iova, pgsize);
	/* Reported bits are cleared only when the whole report was written. */
	for (dma = vfm_dma_first(c, iova, last); dma && !ret;
	     dma = vfm_dma_next(dma, iova, last))
		vfm_dirty_forget(c, dma);
out:
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * vfm_dirty_add_info_cap() - VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION
 * @c: container, locked.
 * @caps: the capability chain of VFIO_IOMMU_GET_INFO.
 *
 * Return: 0 or -ENOMEM.
 */
int vfm_dirty_add_info_cap(struct vfm_container *c,
			   struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_migration cap = {
		.header.id = VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
		.header.version = 1,
		.pgsize_bitmap = vfm_min_pgsize(c),
		.max_dirty_bitmap_size = VFM_DIRTY_SIZE_MAX,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}
