// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: the mirror of one user IOMMU context across iommu_domains.
 *
 * A container owns a list of domains.  A group that joins the container is
 * attached to the first existing domain that is compatible with it (same
 * IOMMU driver domain ops, same cache-coherency enforcement) and accepts
 * the attach.  Otherwise it keeps a new domain of its own, into which every
 * existing mapping is replayed before the attach returns.  Mapping and
 * unmapping reach every domain.  A domain left without groups is freed.
 *
 * Replay reads the pinned page frames recorded by pin.c, never another
 * domain's page table, and never pins: a failed replay only has to free
 * the new domain.
 */
#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "vfm.h"

static struct vfm_group *vfm_find_group(struct vfm_container *c,
					struct iommu_group *iommu_group,
					struct vfm_domain **domain)
{
	struct vfm_domain *d;
	struct vfm_group *g;

	list_for_each_entry(d, &c->domains, next) {
		list_for_each_entry(g, &d->groups, next) {
			if (g->iommu_group == iommu_group) {
				if (domain)
					*domain = d;
				return g;
			}
		}
	}
	return NULL;
}

static int vfm_domain_alloc_cb(struct device *dev, void *data)
{
	struct iommu_domain **domain = data;

	*domain = iommu_paging_domain_alloc(dev);
	return 1;	/* one device of the group is enough */
}

/* A new, empty, unattached domain suitable for the devices of @group. */
static struct vfm_domain *vfm_domain_alloc(struct iommu_group *group)
{
	struct vfm_domain *d;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&d->groups);

	d->domain = ERR_PTR(-ENODEV);
	iommu_group_for_each_dev(group, &d->domain, vfm_domain_alloc_cb);
	if (IS_ERR(d->domain)) {
		ret = PTR_ERR(d->domain);
		kfree(d);
		return ERR_PTR(ret);
	}
	return d;
}

static void vfm_domain_free(struct vfm_domain *d)
{
	WARN_ON(!list_empty(&d->groups));
	iommu_domain_free(d->domain);
	kfree(d);
}

static bool vfm_domain_compatible(const struct vfm_domain *a,
				  const struct vfm_domain *b)
{
	return a->domain->ops == b->domain->ops &&
	       a->enforce_cache_coherency == b->enforce_cache_coherency;
}

/*
 * Map the pages of @dma into @d.  On failure *@mapped bytes from the start
 * of @dma are mapped and must be unmapped by the caller.
 */
static int vfm_domain_map_pages(struct vfm_domain *d, struct vfm_dma *dma,
				u64 *mapped)
{
	const int prot = dma->prot | IOMMU_CACHE;
	dma_addr_t iova = vfm_dma_iova(dma);
	unsigned long i;
	int ret;

	*mapped = 0;
	for (i = 0; i < dma->pages.nr_runs; i++) {
		const struct vfm_pfn_run *run = &dma->pages.runs[i];
		size_t len = (size_t)run->npages << PAGE_SHIFT;

		ret = iommu_map(d->domain, iova + *mapped, PFN_PHYS(run->pfn),
				len, prot, GFP_KERNEL_ACCOUNT);
		if (ret)
			return ret;
		*mapped += len;
		cond_resched();
	}
	return 0;
}

static void vfm_domain_unmap_range(struct vfm_domain *d, dma_addr_t iova,
				   u64 size)
{
	size_t unmapped;

	if (!size)
		return;
	unmapped = iommu_unmap(d->domain, iova, size);
	WARN_ON(unmapped != size);
}

/**
 * vfm_domain_map_dma() - map a new mapping into every domain
 * @c: container, locked.
 * @dma: pinned mapping, not yet in the container's tree.
 *
 * Return: 0, or an error of the IOMMU driver with @dma mapped nowhere.
 */
int vfm_domain_map_dma(struct vfm_container *c, struct vfm_dma *dma)
{
	struct vfm_domain *d, *failed;
	u64 mapped;
	int ret;

	lockdep_assert_held(&c->lock);

	list_for_each_entry(d, &c->domains, next) {
		ret = vfm_domain_map_pages(d, dma, &mapped);
		if (ret)
			goto unwind;
	}
	return 0;

unwind:
	failed = d;
	vfm_domain_unmap_range(failed, vfm_dma_iova(dma), mapped);
	list_for_each_entry(d, &c->domains, next) {
		if (d == failed)
			break;
		vfm_domain_unmap_range(d, vfm_dma_iova(dma), vfm_dma_size(dma));
	}
	return ret;
}

/**
 * vfm_domain_unmap_dma() - remove a mapping from every domain
 * @c: container, locked.
 * @dma: a mapping of @c.
 *
 * On return no domain translates any IOVA of @dma and the IOTLBs are
 * flushed, so its pages may be unpinned.
 */
void vfm_domain_unmap_dma(struct vfm_container *c, struct vfm_dma *dma)
{
	struct vfm_domain *d;

	lockdep_assert_held(&c->lock);

	list_for_each_entry(d, &c->domains, next) {
		vfm_domain_unmap_range(d, vfm_dma_iova(dma), vfm_dma_size(dma));
		cond_resched();
	}
}

/*
 * Map every mapping of @c into the new domain @d, and count it.  On
 * failure the caller frees @d with whatever it holds.
 */
static int vfm_domain_replay(struct vfm_container *c, struct vfm_domain *d)
{
	u64 start = ktime_get_ns(), mapped;
	struct rb_node *node;
	int ret = 0;

	lockdep_assert_held(&c->lock);

	for (node = rb_first_cached(&c->dmas); node; node = rb_next(node)) {
		struct vfm_dma *dma = rb_entry(node, struct vfm_dma, node.rb);

		ret = vfm_domain_map_pages(d, dma, &mapped);
		if (ret)
			break;
		d->replayed_mappings++;
		d->replayed_bytes += mapped;
	}

	if (!d->replayed_mappings && !ret)
		return 0;
	d->replay_ns = ktime_get_ns() - start;
	c->replay_ns += d->replay_ns;
	if (ret)
		c->replay_failures++;
	else
		c->replays++;
	return ret;
}

/*
 * Page sizes every domain of @c supports, and @extra if not NULL, with
 * sub-PAGE_SIZE sizes folded; 0 when they have none in common.
 */
static u64 vfm_domain_pgsizes(struct vfm_container *c,
			      const struct vfm_domain *extra)
{
	struct vfm_domain *d;
	u64 bitmap = extra ? extra->domain->pgsize_bitmap : ~0ULL;

	list_for_each_entry(d, &c->domains, next)
		bitmap &= d->domain->pgsize_bitmap;

	/*
	 * Memory is pinned in CPU pages: offer PAGE_SIZE in place of smaller
	 * IOMMU page sizes, as type1 does.
	 */
	if (bitmap & ~PAGE_MASK) {
		bitmap &= PAGE_MASK;
		bitmap |= PAGE_SIZE;
	}
	return bitmap;
}

static void vfm_domain_update_pgsize(struct vfm_container *c)
{
	c->pgsize_bitmap = vfm_domain_pgsizes(c, NULL);
}

static void vfm_free_resv_regions(struct list_head *regions)
{
	struct iommu_resv_region *r, *tmp;

	list_for_each_entry_safe(r, tmp, regions, list)
		kfree(r);
	INIT_LIST_HEAD(regions);
}

/**
 * vfm_domain_attach_group() - add an IOMMU group to a container
 * @c: container.
 * @iommu_group: group whose DMA ownership the VFIO core has claimed.
 *
 * Return: 0; -EINVAL when the group is already attached, when no IOVA
 * would remain usable, when an existing mapping lies outside what the
 * group can use (its aperture and reserved regions, its MSI window among
 * them), or when the group needs a domain of its own with no page size
 * in common with the container's domains (6.12's type1 accepts it and is
 * then left with no page size); -EPERM when the group's MSIs are not isolated and
 * allow_unsafe_interrupts is off; or an error of the IOMMU core.  On
 * failure the container is unchanged (but for an MSI cookie given to an
 * existing domain, which is harmless and lasts as long as the domain).
 */
int vfm_domain_attach_group(struct vfm_container *c,
			    struct iommu_group *iommu_group)
{
	struct vfm_iova_range msi_window, *msi = NULL;
	struct iommu_domain_geometry *geo;
	struct vfm_domain *nd, *d;
	struct vfm_iova iova = {};
	LIST_HEAD(resv);
	struct vfm_group *g;
	int ret;

	mutex_lock(&c->lock);

	ret = -EINVAL;
	if (vfm_find_group(c, iommu_group, NULL))
		goto out_unlock;

	ret = -ENOMEM;
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		goto out_unlock;
	g->iommu_group = iommu_group;
	ret = vfm_fault_group_prepare(c, g);
	if (ret)
		goto out_free_group;

	nd = vfm_domain_alloc(iommu_group);
	if (IS_ERR(nd)) {
		ret = PTR_ERR(nd);
		goto out_free_group;
	}

	ret = iommu_attach_group(nd->domain, iommu_group);
	if (ret)
		goto out_free_domain;

	geo = &nd->domain->geometry;
	g->aperture.start = geo->aperture_start;
	g->aperture.last = geo->aperture_end;

	ret = iommu_get_group_resv_regions(iommu_group, &resv);
	if (ret)
		goto out_detach;
	if (vfm_msi_sw_window(&resv, &msi_window))
		msi = &msi_window;

	ret = vfm_iova_compute(c, g, &resv, &iova);
	if (ret)
		goto out_detach;
	ret = -EINVAL;
	if (!iova.nr || !vfm_iova_covers_dmas(c, &iova))
		goto out_detach;

	ret = vfm_msi_check_isolation(iommu_group, &g->msi_isolated);
	if (ret)
		goto out_detach;

	/*
	 * Ask for enforced coherency now: drivers grant it only to a domain
	 * without mappings, and only for the IOMMUs attached to it.
	 */
	if (nd->domain->ops->enforce_cache_coherency)
		nd->enforce_cache_coherency =
			nd->domain->ops->enforce_cache_coherency(nd->domain);

	list_for_each_entry(d, &c->domains, next) {
		if (!vfm_domain_compatible(d, nd) || !vfm_msi_domain_fits(d, msi))
			continue;
		/* Before the group's devices can set up interrupts. */
		ret = vfm_msi_domain_prepare(d, msi);
		if (ret)
			goto out_detach;
		iommu_detach_group(nd->domain, iommu_group);
		if (!iommu_attach_group(d->domain, iommu_group)) {
			vfm_domain_free(nd);
			list_add_tail(&g->next, &d->groups);
			goto done;
		}
		ret = iommu_attach_group(nd->domain, iommu_group);
		if (ret)
			goto out_free_domain;
	}

	/* A container must keep a smallest page size: its unit of IOVA. */
	ret = -EINVAL;
	if (!vfm_domain_pgsizes(c, nd))
		goto out_detach;

	ret = vfm_domain_replay(c, nd);
	if (ret)
		goto out_detach;

	ret = vfm_msi_domain_prepare(nd, msi);
	if (ret)
		goto out_detach;

	list_add_tail(&g->next, &nd->groups);
	nd->id = ++c->next_domain_id;
	list_add_tail(&nd->next, &c->domains);
	vfm_domain_update_pgsize(c);
done:
	vfm_fault_group_publish(c, g);
	vfm_iova_replace(c, &iova);
	vfm_free_resv_regions(&resv);
	mutex_unlock(&c->lock);
	return 0;

out_detach:
	iommu_detach_group(nd->domain, iommu_group);
out_free_domain:
	vfm_domain_free(nd);
out_free_group:
	vfm_fault_group_retire(c, g);
	kfree(g);
	vfm_iova_free(&iova);
	vfm_free_resv_regions(&resv);
out_unlock:
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * vfm_domain_detach_group() - remove an IOMMU group from a container
 * @c: container.
 * @iommu_group: an attached group.
 *
 * A domain left without groups is freed.  When the last one goes, so do
 * all mappings: attaching a group is what granted the right to pin.
 */
void vfm_domain_detach_group(struct vfm_container *c,
			     struct iommu_group *iommu_group)
{
	struct vfm_iova iova = {};
	struct vfm_domain *d;
	struct vfm_group *g;

	mutex_lock(&c->lock);

	g = vfm_find_group(c, iommu_group, &d);
	if (WARN_ON(!g))
		goto out_unlock;

	vfm_fault_group_retire(c, g);
	iommu_detach_group(d->domain, iommu_group);
	list_del(&g->next);
	kfree(g);

	if (list_empty(&d->groups)) {
		list_del(&d->next);
		vfm_domain_free(d);
		if (list_empty(&c->domains))
			vfm_dma_remove_all(c);
		vfm_domain_update_pgsize(c);
	}

	/*
	 * The departed group's aperture and reserved regions no longer
	 * limit the container.  If the new ranges cannot be computed, keep
	 * the old ones: they are a subset of the new.
	 */
	if (!vfm_iova_compute(c, NULL, NULL, &iova))
		vfm_iova_replace(c, &iova);

out_unlock:
	mutex_unlock(&c->lock);
}

/**
 * vfm_domain_release_all() - detach every group, free every domain and
 * remove every mapping of a container that is being destroyed
 * @c: container.
 *
 * The groups are detached before the pages are unpinned, so no page table
 * needs to be cleared entry by entry: a domain's page tables go with it.
 */
void vfm_domain_release_all(struct vfm_container *c)
{
	struct vfm_domain *d, *dtmp;
	struct vfm_group *g, *gtmp;

	mutex_lock(&c->lock);
	list_for_each_entry_safe(d, dtmp, &c->domains, next) {
		list_for_each_entry_safe(g, gtmp, &d->groups, next) {
			vfm_fault_group_retire(c, g);
			iommu_detach_group(d->domain, g->iommu_group);
			list_del(&g->next);
			kfree(g);
		}
		list_del(&d->next);
		vfm_domain_free(d);
	}
	vfm_dma_remove_all(c);
	vfm_iova_free(&c->iova);
	mutex_unlock(&c->lock);
}

/**
 * vfm_domain_all_coherent() - do all domains enforce cache coherency?
 * @c: container.
 *
 * Return: true when every domain blocks DMA that bypasses the CPU caches
 * (VFIO_DMA_CC_IOMMU), as KVM needs to skip WBINVD emulation; false for a
 * released container.
 */
bool vfm_domain_all_coherent(struct vfm_container *c)
{
	struct vfm_domain *d;
	bool ret = true;

	if (vfm_container_lock(c))
		return false;
	list_for_each_entry(d, &c->domains, next)
		ret &= d->enforce_cache_coherency;
	mutex_unlock(&c->lock);
	return ret;
}
