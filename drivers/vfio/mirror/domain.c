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
 * No mapping records its frames: they are read back from the container's
 * first domain (every domain maps every mapping), to unpin them and to
 * replay them into a new domain.  Replay never pins: a failed replay
 * only has to free the new domain.
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

/**
 * vfm_domain_group() - an IOMMU group attached to a domain of @c
 * @c: container, locked.
 * @iommu_group: the group.
 *
 * Return: its vfm_group, or NULL (a mediated group is not in a domain).
 */
struct vfm_group *vfm_domain_group(struct vfm_container *c,
				   struct iommu_group *iommu_group)
{
	lockdep_assert_held(&c->lock);
	return vfm_find_group(c, iommu_group, NULL);
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

	d = kzalloc(sizeof(*d), VFM_GFP);
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
 * Remove [@iova, @iova + @size) from @dom, past any hole, so that nothing
 * of it stays translated: a hole means that the range was not mapped as
 * the caller believes (warned of once), and unpinning what is still
 * mapped after it would let a device write to freed pages.  Returns the
 * bytes from @iova removed: at least @size, more when the range ended
 * inside a superpage.
 */
static u64 vfm_unmap_through(struct iommu_domain *dom, dma_addr_t iova,
			     u64 size)
{
	u64 done = 0;
	size_t r;

	while (done < size) {
		r = iommu_unmap(dom, iova + done, size - done);
		if (WARN_ON_ONCE(!r))
			r = PAGE_SIZE;
		done += r;
	}
	return done;
}

/* Remove a range that was mapped exactly so, as a failed map unwinds. */
static void vfm_unmap_range(struct iommu_domain *dom, dma_addr_t iova,
			    u64 size)
{
	if (size)
		WARN_ON(vfm_unmap_through(dom, iova, size) != size);
}

/*
 * Clear what a failed map call left of [@iova, @iova + @size) in @dom.  A
 * driver may fail a range with part of it mapped and not say so: Linux
 * 6.12's VT-d writes a range one page table at a time and, when it cannot
 * allocate the next table (past the VMM's memory cgroup), fails with what
 * it wrote still there, reporting nothing mapped.  The range was free
 * before the call, so every leaf in it is the call's and starts in it
 * (leaves are aligned to their size): the walk meets each at its start
 * and unmaps it whole, holes skipped.  An error path only, one lookup per
 * smallest IOMMU page.  A leaf of physical address 0 reads as a hole.
 */
static void vfm_clear_failed(struct iommu_domain *dom, dma_addr_t iova,
			     u64 size)
{
	u64 step = max_t(u64, PAGE_SIZE, 1ULL << __ffs(dom->pgsize_bitmap));
	u64 off = 0, gone;
	unsigned long n = 0;

	while (off < size) {
		gone = 0;
		if (iommu_iova_to_phys(dom, iova + off)) {
			gone = iommu_unmap(dom, iova + off, step);
			WARN_ON_ONCE(!gone);
		}
		off += max(gone, step);
		if (!(++n % 512))
			cond_resched();
	}
}

/*
 * disable_hugepages: every page is an IOMMU page of its own, as type1
 * maps then, one iommu_map() per page (iommu_map_sg() would merge the
 * pages of a folio, and iommu_map() a run, into superpages).  On failure
 * nothing of @b is mapped in @dom.
 */
static int vfm_map_runs_4k(struct iommu_domain *dom, dma_addr_t iova,
			   struct vfm_batch *b, int prot)
{
	unsigned long k, n = 0;
	unsigned int i;
	u64 done = 0;
	int ret;

	for (i = 0; i < b->nr_runs; i++) {
		for (k = 0; k < b->runs[i].npages; k++) {
			ret = iommu_map(dom, iova + done,
					PFN_PHYS(b->runs[i].pfn + k), PAGE_SIZE,
					prot, VFM_GFP);
			if (ret) {
				vfm_unmap_range(dom, iova, done);
				return ret;
			}
			done += PAGE_SIZE;
			if (!(++n % 512))
				cond_resched();
		}
	}
	return 0;
}

/*
 * Map the runs of @b at @iova into @dom: the frames with a struct page
 * with one iommu_map_sg(), so one IOTLB sync for the batch, those of
 * device memory without one, and runs of 1 GiB or more, with iommu_map()
 * each (few: a device's BAR is one run).  On failure nothing of @b is mapped in @dom.
 */
static int vfm_map_runs(struct iommu_domain *dom, dma_addr_t iova,
			struct vfm_batch *b, int prot)
{
	unsigned int i = 0, n, k;
	u64 done = 0, len, tried;
	ssize_t ret;

	if (READ_ONCE(vfm_disable_hugepages))
		return vfm_map_runs_4k(dom, iova, b, prot);

	while (i < b->nr_runs) {
		for (n = 0, len = 0; i + n < b->nr_runs; n++) {
			const struct vfm_run *run = &b->runs[i + n];

			/* A scatterlist entry holds less than 4 GiB. */
			if (!pfn_valid(run->pfn) ||
			    run->npages > (SZ_1G >> PAGE_SHIFT))
				break;
			/*
			 * iommu_map_sg() merges contiguous entries: a run
			 * that follows the previous one (another kind, or
			 * the zero page) starts a call of its own, so that
			 * no IOMMU leaf spans two runs.
			 */
			if (n && run[-1].pfn + run[-1].npages == run->pfn)
				break;
			len += run->npages << PAGE_SHIFT;
		}
		if (n) {
			sg_init_table(b->sg, n);
			for (k = 0; k < n; k++)
				sg_set_page(&b->sg[k],
					    pfn_to_page(b->runs[i + k].pfn),
					    b->runs[i + k].npages << PAGE_SHIFT,
					    0);
			tried = len;
			ret = iommu_map_sg(dom, iova + done, b->sg, n, prot,
					   VFM_GFP);
			if (ret < 0)
				goto unwind;
			done += ret;
			if (WARN_ON(ret != len)) {
				tried = len - ret;
				ret = -EIO;
				goto unwind;
			}
			i += n;
			continue;
		}
		tried = (u64)b->runs[i].npages << PAGE_SHIFT;
		ret = iommu_map(dom, iova + done, PFN_PHYS(b->runs[i].pfn),
				tried, prot, VFM_GFP);
		if (ret)
			goto unwind;
		done += tried;
		i++;
	}
	return 0;

unwind:
	/* EEXIST: the range was not free, and what is there is not ours. */
	if (ret != -EEXIST)
		vfm_clear_failed(dom, iova + done, tried);
	vfm_unmap_range(dom, iova, done);
	return ret;
}

/**
 * vfm_domain_map_batch() - map a batch of a new mapping into every domain
 * @c: container, locked, or its maps_rwsem held by a claim (dma.c).
 * @dma: the mapping, not yet in the container's tree.
 * @iova: where the batch goes.
 * @b: its frames.
 *
 * Return: 0, or an error of the IOMMU driver with the batch mapped in no
 * domain.
 */
int vfm_domain_map_batch(struct vfm_container *c, struct vfm_dma *dma,
			 dma_addr_t iova, struct vfm_batch *b)
{
	const int prot = dma->prot | IOMMU_CACHE;
	struct vfm_domain *d, *failed;
	unsigned int i;
	u64 size = 0;
	int ret;

	lockdep_assert(lockdep_is_held(&c->lock) ||
		       lockdep_is_held(&c->maps_rwsem));

	list_for_each_entry(d, &c->domains, next) {
		ret = vfm_map_runs(d->domain, iova, b, prot);
		if (ret)
			goto unwind;
	}
	return 0;

unwind:
	failed = d;
	for (i = 0; i < b->nr_runs; i++)
		size += (u64)b->runs[i].npages << PAGE_SHIFT;
	list_for_each_entry(d, &c->domains, next) {
		if (d == failed)
			break;
		vfm_unmap_range(d->domain, iova, size);
	}
	return ret;
}

/**
 * vfm_domain_unmap_begin() - start a walk of vfm_domain_unmap() calls
 * @c: container, locked.
 */
void vfm_domain_unmap_begin(struct vfm_container *c)
{
	struct vfm_domain *d;

	lockdep_assert_held(&c->lock);

	list_for_each_entry(d, &c->domains, next)
		d->unmap_overrun = 0;
}

/**
 * vfm_domain_unmap() - remove the frames of a read-back batch from every
 *	domain
 * @c: container, locked.
 * @iova: where the batch starts; a walk's calls cover one range, in
 *	order, each starting where the previous one ended.
 * @b: runs read back from the first domain (vfm_domain_read_back()).
 * @max: bytes from @iova that may be removed: the end of the mapping.
 *
 * A domain asked to remove part of a superpage removes it whole (VT-d,
 * AMD-Vi): iommu_unmap() says how much went, and the walk advances by
 * that, not by what it asked.  What the first domain removed past @b
 * is added to @b's last run, whose frames the superpage's continue, of
 * its kind (one leaf maps physically contiguous memory, and no leaf
 * spans two runs, vfm_map_runs()), so that the caller unpins exactly
 * what was unmapped; what another domain removed past it is not asked
 * of it again.  Neither happens while read-back batches end only
 * between runs, as they do: this is the rule, not the case.
 *
 * On return no domain translates the bytes @b covers and the IOTLBs are
 * flushed, so their frames may be unpinned.
 *
 * Return: the bytes from @iova that @b now covers.
 */
u64 vfm_domain_unmap(struct vfm_container *c, dma_addr_t iova,
		     struct vfm_batch *b, u64 max)
{
	struct vfm_domain *first = list_first_entry(&c->domains,
						    struct vfm_domain, next);
	struct vfm_domain *d;
	u64 len = 0, gone, skip;
	unsigned int i;
	size_t r;

	lockdep_assert_held(&c->lock);

	for (i = 0; i < b->nr_runs; i++)
		len += (u64)b->runs[i].npages << PAGE_SHIFT;
	if (!len)
		return 0;

	gone = vfm_unmap_through(first->domain, iova, len);
	if (WARN_ON_ONCE(gone > max))
		gone = max;
	b->runs[b->nr_runs - 1].npages += (gone - len) >> PAGE_SHIFT;

	list_for_each_entry(d, &c->domains, next) {
		if (d == first)
			continue;
		skip = min(d->unmap_overrun, gone);
		d->unmap_overrun -= skip;
		if (skip == gone)
			continue;
		r = vfm_unmap_through(d->domain, iova + skip, gone - skip);
		if (r > gone - skip)
			d->unmap_overrun = r - (gone - skip);
	}
	return gone;
}

/**
 * vfm_domain_read_back() - the frames behind IOVAs of a mapping
 * @c: container, locked, with at least one domain.
 * @dma: the mapping, mapped in the container's first domain.
 * @iova: first IOVA to read, inside @dma.
 * @size: bytes to read, inside @dma.
 * @b: filled with runs of the frames, as many as it holds.
 *
 * One lookup per block of 2^@dma->order pages: each is physically
 * contiguous, of one kind; none for a mapping that is one run (no
 * VFM_DMA_SPLIT).
 *
 * Return: the bytes from @iova that the runs of @b cover, at least one
 * page.
 */
u64 vfm_domain_read_back(struct vfm_container *c, struct vfm_dma *dma,
			 dma_addr_t iova, u64 size, struct vfm_batch *b)
{
	struct iommu_domain *dom = list_first_entry(&c->domains,
						    struct vfm_domain,
						    next)->domain;
	u64 block = 1ULL << (dma->order + PAGE_SHIFT), done = 0;
	bool rsvd_kind = dma->flags & VFM_DMA_RSVD;
	struct vfm_run *last = NULL;
	unsigned long n = 0;

	lockdep_assert_held(&c->lock);

	b->nr_runs = 0;
	if (!(dma->flags & VFM_DMA_SPLIT)) {
		unsigned long pfn = dma->pfn +
				    ((iova - vfm_dma_iova(dma)) >> PAGE_SHIFT);

		vfm_batch_add(b, pfn, size >> PAGE_SHIFT,
			      rsvd_kind && vfm_pfn_rsvd(pfn));
		return size;
	}
	/* Little per block: a replay or a release runs this per page. */
	while (done < size) {
		dma_addr_t at = iova + done;
		u64 len = min(block - (at & (block - 1)), size - done);
		unsigned long pfn = PHYS_PFN(iommu_iova_to_phys(dom, at));
		bool rsvd = rsvd_kind && vfm_pfn_rsvd(pfn);

		WARN_ON_ONCE(!pfn);
		if (!vfm_run_joins(last, pfn, rsvd)) {
			if (b->nr_runs == b->cap)
				break;
			last = &b->runs[b->nr_runs++];
			*last = (struct vfm_run){ .pfn = pfn, .rsvd = rsvd };
		}
		last->npages += len >> PAGE_SHIFT;
		done += len;
		if (!(++n % 512))
			cond_resched();
	}
	return done;
}

/*
 * Map every mapping of @c into the new domain @d, reading the frames back
 * from the first domain, and count it.  On failure the caller frees @d
 * with whatever it holds.  Without a first domain (the container had only
 * mediated groups), the mappings are pinned into @d, and unpinned again
 * on failure.
 */
static int vfm_domain_replay(struct vfm_container *c, struct vfm_domain *d)
{
	u64 start = ktime_get_ns();
	struct vfm_batch b;
	struct rb_node *node;
	int ret = 0;

	lockdep_assert_held(&c->lock);

	if (RB_EMPTY_ROOT(&c->dmas.rb_root))
		return 0;

	if (list_empty(&c->domains)) {
		list_add(&d->next, &c->domains);
		ret = vfm_dma_pin_all(c);
		list_del(&d->next);
		for (node = rb_first_cached(&c->dmas); node && !ret;
		     node = rb_next(node)) {
			d->replayed_mappings++;
			d->replayed_bytes += vfm_dma_size(rb_entry(node,
						struct vfm_dma, node.rb));
		}
		goto out;
	}

	vfm_batch_init(&b, ULONG_MAX);
	for (node = rb_first_cached(&c->dmas); node && !ret;
	     node = rb_next(node)) {
		struct vfm_dma *dma = rb_entry(node, struct vfm_dma, node.rb);
		u64 size = vfm_dma_size(dma), off, len;

		for (off = 0; off < size && !ret; off += len) {
			len = vfm_domain_read_back(c, dma, vfm_dma_iova(dma) + off,
						   size - off, &b);
			ret = vfm_map_runs(d->domain, vfm_dma_iova(dma) + off,
					   &b, dma->prot | IOMMU_CACHE);
			cond_resched();
		}
		if (!ret) {
			d->replayed_mappings++;
			d->replayed_bytes += size;
		}
	}
	vfm_batch_fini(&b);
out:
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
 * allow_unsafe_interrupts is off; -EINTR when a fatal signal came while
 * a map of @c was at work outside its lock; or an error of the IOMMU
 * core.  On failure the container is unchanged (but for an MSI cookie given to an
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

	/* No map works outside the lock while the domains change. */
	ret = down_write_killable(&c->maps_rwsem);
	if (ret)
		return ret;
	mutex_lock(&c->lock);

	/* A replay may have to pin from user addresses. */
	ret = -EBUSY;
	if (c->vaddr_invalid)
		goto out_unlock;
	ret = -EINVAL;
	if (vfm_find_group(c, iommu_group, NULL))
		goto out_unlock;

	ret = -ENOMEM;
	g = kzalloc(sizeof(*g), VFM_GFP);
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

	/* Before the replay, the last step that can fail. */
	ret = vfm_msi_domain_prepare(nd, msi);
	if (ret)
		goto out_detach;

	ret = vfm_domain_replay(c, nd);
	if (ret)
		goto out_detach;

	list_add_tail(&g->next, &nd->groups);
	nd->id = ++c->next_domain_id;
	list_add_tail(&nd->next, &c->domains);
	vfm_domain_update_pgsize(c);
done:
	c->non_pinned_groups++;
	vfm_fault_group_publish(c, g);
	vfm_iova_replace(c, &iova);
	vfm_free_resv_regions(&resv);
	mutex_unlock(&c->lock);
	up_write(&c->maps_rwsem);
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
	up_write(&c->maps_rwsem);
	return ret;
}

/**
 * vfm_domain_detach_group() - remove an IOMMU group from a container
 * @c: container.
 * @iommu_group: an attached group.
 *
 * A domain left without groups is freed.  When the last one goes, so do
 * all mappings: attaching a group is what granted the right to pin; but
 * with mediated groups left, the mappings stay, unpinned but for what
 * the mediated devices hold.
 */
void vfm_domain_detach_group(struct vfm_container *c,
			     struct iommu_group *iommu_group)
{
	struct vfm_iova iova = {};
	struct vfm_domain *d;
	struct vfm_group *g;

	/* No map works outside the lock while the domains change. */
	down_write(&c->maps_rwsem);
	mutex_lock(&c->lock);

	g = vfm_find_group(c, iommu_group, &d);
	if (WARN_ON(!g))
		goto out_unlock;

	vfm_fault_group_retire(c, g);
	iommu_detach_group(d->domain, iommu_group);
	list_del(&g->next);
	if (!g->pinned_scope) {
		c->non_pinned_groups--;
		/* It may have written anywhere since the last report. */
		if (c->dirty_tracking)
			vfm_dirty_all(c);
	}
	kfree(g);

	if (list_empty(&d->groups)) {
		/* The last domain holds the only record of the frames. */
		if (list_is_singular(&c->domains)) {
			if (list_empty(&c->emul_groups))
				vfm_dma_remove_all(c, false);
			else
				vfm_dma_unpin_all(c);
		}
		list_del(&d->next);
		vfm_domain_free(d);
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
	up_write(&c->maps_rwsem);
}

/**
 * vfm_domain_release_all() - detach every group, free every domain and
 * remove every mapping of a container that is being destroyed
 * @c: container.
 *
 * The groups are detached before the pages are unpinned, so no page table
 * needs to be cleared entry by entry: the frames are read back from the
 * first domain, and the domains go with their page tables.
 */
void vfm_domain_release_all(struct vfm_container *c)
{
	struct vfm_domain *d, *dtmp;
	struct vfm_group *g, *gtmp;

	/* An ioctl may still be at work in the backend: its map ends first. */
	down_write(&c->maps_rwsem);
	mutex_lock(&c->lock);
	list_for_each_entry(d, &c->domains, next) {
		list_for_each_entry_safe(g, gtmp, &d->groups, next) {
			vfm_fault_group_retire(c, g);
			iommu_detach_group(d->domain, g->iommu_group);
			list_del(&g->next);
			kfree(g);
		}
	}
	vfm_emul_release(c);
	vfm_dma_remove_all(c, false);
	list_for_each_entry_safe(d, dtmp, &c->domains, next) {
		list_del(&d->next);
		vfm_domain_free(d);
	}
	vfm_owner_put(c->owner);
	c->owner = NULL;
	vfm_iova_free(&c->iova);
	mutex_unlock(&c->lock);
	up_write(&c->maps_rwsem);
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
