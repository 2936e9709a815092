// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: the user's mappings.
 *
 * A mapping (struct vfm_dma) is created by VFIO_IOMMU_MAP_DMA and removed by
 * VFIO_IOMMU_UNMAP_DMA, by the detach of the container's last group, or by
 * the release of the container.  This file validates requests, keeps the
 * mappings in an interval tree and calls pin.c and domain.c; it never
 * talks to the IOMMU itself.
 *
 * The checks and their errnos follow vfio_iommu_type1 with the fix that
 * upstream Linux made after 6.12 for ranges at the top of the IOVA space:
 * a range is [iova, last] with last = iova + size - 1, computed with an
 * overflow check, so a mapping may end at 2^64 - 1, and a range that wraps
 * fails with -EOVERFLOW (6.12's type1 returns -EINVAL).
 */
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "vfm.h"

static struct vfm_dma *vfm_dma_of(struct interval_tree_node *node)
{
	return node ? container_of(node, struct vfm_dma, node) : NULL;
}

/**
 * vfm_dma_first() - the lowest mapping that intersects [@start, @last]
 * @c: container, locked.
 * @start: first IOVA.
 * @last: last IOVA, inclusive.
 *
 * Return: the mapping, or NULL.
 */
struct vfm_dma *vfm_dma_first(struct vfm_container *c, dma_addr_t start,
			      dma_addr_t last)
{
	lockdep_assert_held(&c->lock);
	return vfm_dma_of(interval_tree_iter_first(&c->dmas, start, last));
}

/**
 * vfm_dma_next() - the next mapping, by IOVA, that intersects [@start, @last]
 * @dma: a mapping returned by vfm_dma_first() or vfm_dma_next().
 * @start: first IOVA.
 * @last: last IOVA, inclusive.
 *
 * Return: the mapping, or NULL.
 */
struct vfm_dma *vfm_dma_next(struct vfm_dma *dma, dma_addr_t start,
			     dma_addr_t last)
{
	return vfm_dma_of(interval_tree_iter_next(&dma->node, start, last));
}

/* Remove a mapping from every domain, unpin it and forget it. */
static void vfm_dma_destroy(struct vfm_container *c, struct vfm_dma *dma)
{
	lockdep_assert_held(&c->lock);

	vfm_domain_unmap_dma(c, dma);
	vfm_pages_unpin(&dma->pages);
	vfm_pages_fini(&dma->pages);
	interval_tree_remove(&dma->node, &c->dmas);
	kfree(dma);
	c->dma_avail++;
	atomic64_dec(&vfm_stats.mappings);
}

/**
 * vfm_dma_map() - create a mapping (VFIO_IOMMU_MAP_DMA)
 * @c: container.
 * @iova: first IOVA.
 * @vaddr: user address of the first byte, in the caller's mm.
 * @size: bytes.
 * @prot: IOMMU_READ and/or IOMMU_WRITE.
 *
 * Pins the memory, charges it to locked_vm and maps it into every domain
 * of @c; on failure nothing of it remains.
 *
 * Return: 0; -EINVAL for a zero size, no access, an IOVA, address or size
 * not aligned to the smallest page size of the container, a range outside
 * the usable IOVA ranges, or a released container; -EOVERFLOW when the
 * IOVA or the address range wraps; -EEXIST when the range overlaps an
 * existing mapping; -ENOSPC when the dma_entry_limit of the container is
 * reached; -ENOMEM beyond RLIMIT_MEMLOCK; -EFAULT for memory that cannot
 * be pinned; -EINTR when a fatal signal is pending; or an error of the
 * IOMMU driver.
 */
int vfm_dma_map(struct vfm_container *c, dma_addr_t iova,
		unsigned long vaddr, u64 size, int prot)
{
	dma_addr_t last;
	unsigned long vlast;
	struct vfm_dma *dma;
	u64 pgsize;
	int ret;

	if (!size)
		return -EINVAL;
	if (check_add_overflow(iova, size - 1, &last) ||
	    check_add_overflow(vaddr, size - 1, &vlast))
		return -EOVERFLOW;
	if (!(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;

	ret = vfm_container_lock(c);
	if (ret)
		return ret;

	pgsize = vfm_min_pgsize(c);
	ret = -EINVAL;
	if ((size | iova | vaddr) & (pgsize - 1))
		goto out_unlock;

	ret = -EEXIST;
	if (vfm_dma_first(c, iova, last))
		goto out_unlock;

	ret = -ENOSPC;
	if (!c->dma_avail)
		goto out_unlock;

	ret = -EINVAL;
	if (!vfm_iova_covers(&c->iova, iova, last))
		goto out_unlock;

	ret = -ENOMEM;
	dma = kzalloc(sizeof(*dma), GFP_KERNEL_ACCOUNT);
	if (!dma)
		goto out_unlock;
	dma->node.start = iova;
	dma->node.last = last;
	dma->vaddr = vaddr;
	dma->prot = prot;

	vfm_pages_init(&dma->pages);
	ret = vfm_pages_pin(&dma->pages, vaddr, size >> PAGE_SHIFT,
			    prot & IOMMU_WRITE);
	if (ret)
		goto out_free;

	ret = vfm_domain_map_dma(c, dma);
	if (ret)
		goto out_unpin;

	interval_tree_insert(&dma->node, &c->dmas);
	c->dma_avail--;
	atomic64_inc(&vfm_stats.mappings);
	mutex_unlock(&c->lock);
	return 0;

out_unpin:
	vfm_pages_unpin(&dma->pages);
out_free:
	vfm_pages_fini(&dma->pages);
	kfree(dma);
out_unlock:
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * vfm_dma_unmap() - remove mappings (VFIO_IOMMU_UNMAP_DMA)
 * @c: container.
 * @iova: first IOVA of the range; 0 with @all.
 * @size: bytes in the range; 0 with @all.
 * @all: remove every mapping (VFIO_DMA_UNMAP_FLAG_ALL).
 * @unmapped: set to the number of bytes removed.
 *
 * Under the v2 rules the range must not cut a mapping in two; every
 * mapping inside it is removed.  Under the v1 rules (VFIO_TYPE1_IOMMU) a
 * mapping is removed whole when the range contains its first IOVA, and
 * nothing is removed when the range starts inside a mapping.
 *
 * Return: 0, also when nothing was mapped in the range; -EINVAL for a zero
 * size, an IOVA or size not aligned to the smallest page size, a range
 * cutting a mapping under v2, @all with a non-zero @iova or @size, or a
 * released container; -EOVERFLOW when the range wraps.
 */
int vfm_dma_unmap(struct vfm_container *c, dma_addr_t iova, u64 size,
		  bool all, u64 *unmapped)
{
	struct vfm_dma *dma, *next;
	dma_addr_t last;
	u64 pgsize;
	int ret;

	*unmapped = 0;
	ret = vfm_container_lock(c);
	if (ret)
		return ret;
	ret = -EINVAL;

	pgsize = vfm_min_pgsize(c);
	if (iova & (pgsize - 1))
		goto out_unlock;

	if (all) {
		if (iova || size)
			goto out_unlock;
		last = VFM_IOVA_MAX;
	} else {
		if (!size || size & (pgsize - 1))
			goto out_unlock;
		if (check_add_overflow(iova, size - 1, &last)) {
			ret = -EOVERFLOW;
			goto out_unlock;
		}
		if (c->v2) {
			dma = vfm_dma_first(c, iova, iova);
			if (dma && vfm_dma_iova(dma) != iova)
				goto out_unlock;
			dma = vfm_dma_first(c, last, last);
			if (dma && vfm_dma_last(dma) != last)
				goto out_unlock;
		}
	}

	ret = 0;
	for (dma = vfm_dma_first(c, iova, last); dma; dma = next) {
		if (!c->v2 && vfm_dma_iova(dma) < iova)
			break;
		next = vfm_dma_next(dma, iova, last);
		*unmapped += vfm_dma_size(dma);
		vfm_dma_destroy(c, dma);
	}

out_unlock:
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * vfm_dma_remove_all() - remove every mapping of @c
 * @c: container, locked.
 */
void vfm_dma_remove_all(struct vfm_container *c)
{
	struct rb_node *node;

	lockdep_assert_held(&c->lock);
	while ((node = rb_first_cached(&c->dmas)))
		vfm_dma_destroy(c, rb_entry(node, struct vfm_dma, node.rb));
}
