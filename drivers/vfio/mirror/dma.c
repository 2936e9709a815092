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
 *
 * In a container with only mediated groups nothing is pinned at map: the
 * devices pin what they use (emul.c), and the first IOMMU group's replay
 * pins every mapping (vfm_dma_pin_all()).  The pages devices hold are
 * charged by their pins, never twice: a mapping's pinning skips them.
 *
 * Live update (VFIO_UPDATE_VADDR, as QEMU's CPR uses it): the user
 * addresses of mappings are invalidated (VFIO_DMA_UNMAP_FLAG_VADDR) while
 * their IOMMU mappings stay and devices go on with DMA, then given anew
 * (VFIO_DMA_MAP_FLAG_VADDR), maybe by another process, which then takes
 * over the mapping's locked_vm charge.
 */
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/wait.h>

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

static struct kmem_cache *vfm_dma_cache;

/**
 * vfm_dma_cache_init() - make the slab cache of mappings
 *
 * Return: 0 or -ENOMEM.
 */
int vfm_dma_cache_init(void)
{
	vfm_dma_cache = KMEM_CACHE(vfm_dma, SLAB_ACCOUNT);
	return vfm_dma_cache ? 0 : -ENOMEM;
}

/**
 * vfm_dma_cache_exit() - free the slab cache of mappings
 */
void vfm_dma_cache_exit(void)
{
	kmem_cache_destroy(vfm_dma_cache);
}

/*
 * The shape of a mapping's frames, as its batches come: whether they are
 * more than one run (VFM_DMA_SPLIT), and the largest order of IOVA block
 * that no boundary between runs cuts (&vfm_dma.order).  A run that
 * continues the previous one, physically and in kind, is no boundary.
 */
struct vfm_shape {
	bool any;
	struct vfm_run last;
};

static void vfm_shape_add(struct vfm_dma *dma, struct vfm_shape *sh,
			  dma_addr_t iova, const struct vfm_batch *b)
{
	unsigned long at = iova >> PAGE_SHIFT;
	unsigned int i;

	for (i = 0; i < b->nr_runs; i++) {
		const struct vfm_run *run = &b->runs[i];

		if (!sh->any) {
			dma->pfn = run->pfn;
		} else if (!vfm_run_joins(&sh->last, run->pfn, run->rsvd)) {
			/* @at > 0: a boundary follows a run of the mapping. */
			dma->flags |= VFM_DMA_SPLIT;
			dma->order = min_t(unsigned int, dma->order, __ffs(at));
		}
		sh->any = true;
		sh->last = *run;
		at += run->npages;
	}
}

/*
 * Unpin and uncharge the first @size bytes of @dma's frames, reading them
 * back from the container's first domain; with @unmap, remove them from
 * every domain first.  Without it, no device may reach the domains any
 * more (their groups are detached).
 */
static void vfm_dma_put_frames(struct vfm_container *c, struct vfm_dma *dma,
			       u64 size, bool unmap)
{
	dma_addr_t iova = vfm_dma_iova(dma);
	bool shared = vfm_acct_shared(dma->owner);
	unsigned long refs = 0;
	struct vfm_tally t = {};
	struct vfm_batch b;
	u64 off, len;

	lockdep_assert_held(&c->lock);
	if (list_empty(&c->domains))
		return;

	/* Blocks the frames may be in: a small mapping needs no scratch. */
	vfm_batch_init(&b, min(size >> PAGE_SHIFT,
			       (size >> (dma->order + PAGE_SHIFT)) + 2));
	if (unmap)
		vfm_domain_unmap_begin(c);
	for (off = 0; off < size; off += len) {
		len = vfm_domain_read_back(c, dma, iova + off, size - off, &b);
		/* What was unmapped, which may be more than was read back. */
		if (unmap)
			len = vfm_domain_unmap(c, iova + off, &b, size - off);
		vfm_batch_unpin(&b, dma, &t);
		/* Unpinned first: the charge never falls below the pins. */
		if (shared)
			refs += vfm_acct_put(dma->owner, b.runs, b.nr_runs);
		cond_resched();
	}
	vfm_batch_fini(&b);

	c->pinned_pages -= t.pinned;
	if (shared) {
		c->locked_pages -= refs;
		return;
	}
	/* What devices hold pinned stays charged, by their pins. */
	t.charged -= vfm_emul_charged(c, iova, iova + size - 1);
	c->locked_pages -= t.charged;
	vfm_charge(dma->owner, -(long)t.charged);
}

/* A mapping with no frames pinned: its shape is that of no run yet. */
static void vfm_dma_shape_reset(struct vfm_dma *dma)
{
	dma->pfn = 0;
	dma->order = VFM_DMA_ORDER_MAX;
	dma->flags &= ~(VFM_DMA_RSVD | VFM_DMA_SPLIT);
}

static void vfm_dma_free(struct vfm_dma *dma)
{
	vfm_owner_put(dma->owner);
	kmem_cache_free(vfm_dma_cache, dma);
}

/* Remove a mapping from every domain, unpin it and forget it. */
static void vfm_dma_destroy(struct vfm_container *c, struct vfm_dma *dma,
			    bool unmap)
{
	lockdep_assert_held(&c->lock);

	vfm_dma_put_frames(c, dma, vfm_dma_size(dma), unmap);
	vfm_dirty_forget(c, dma);
	if (dma->flags & VFM_DMA_VADDR_INVALID)
		c->vaddr_invalid--;
	interval_tree_remove(&dma->node, &c->dmas);
	vfm_dma_free(dma);
	c->dma_avail++;
	atomic64_dec(&vfm_stats.mappings);
}

/**
 * struct vfm_fill - what vfm_dma_fill() did
 * @done: pages of the mapping pinned, charged and mapped, from its start.
 * @pinned: frames pinned for them.
 * @charged: what the container's count of locked pages gains.
 * @ahead: pages a claim in direct mode charged ahead of its batches and
 *	did not use yet, given back when it ends.
 * @near_limit: charging ahead failed: the claim charges what is due.
 */
struct vfm_fill {
	unsigned long done;
	u64 pinned;
	u64 charged;
	unsigned long ahead;
	bool near_limit;
};

/*
 * Pages a claim in direct mode charges ahead of its batches, at most.
 * Charging takes mmap_lock for writing, which waits for the pinning of
 * every other thread (GUP faults memory in under mmap_lock for reading):
 * charged a batch at a time, maps from several threads would take turns.
 */
#define VFM_CHARGE_AHEAD	(SZ_64M >> PAGE_SHIFT)

/*
 * Charge the @due pages of a claim's batch of @npages, ahead where it
 * can.  What is charged and not yet used never exceeds what the mapping
 * has left after the batch: a map has charged no more, at any time, than
 * it will have when it is whole.
 */
static int vfm_dma_charge_ahead(struct vfm_dma *dma, unsigned long npages,
				unsigned long due, struct vfm_fill *f)
{
	unsigned long left = (vfm_dma_size(dma) >> PAGE_SHIFT) - f->done;
	unsigned long want, after = left - npages;
	int ret;

	if (due > f->ahead) {
		want = max(due, min_t(unsigned long, left, VFM_CHARGE_AHEAD));
		ret = -ENOMEM;
		if (want > due && !f->near_limit) {
			ret = vfm_try_charge(dma->owner, want - f->ahead);
			/* Near RLIMIT_MEMLOCK: only what is due, from now on. */
			f->near_limit = ret == -ENOMEM;
		}
		if (ret == -ENOMEM) {
			want = due;
			ret = vfm_charge(dma->owner, want - f->ahead);
		}
		if (ret)
			return ret;
		f->ahead = want;
	}
	f->ahead -= due;
	/* Frames charged for nothing (the zero page, device memory). */
	if (f->ahead > after) {
		vfm_charge(dma->owner, -(long)(f->ahead - after));
		f->ahead = after;
	}
	return 0;
}

/*
 * Charge the @npages frames of @b, pinned for @dma at @iova; set
 * @t->charged to what the container's count of locked pages gains.  In
 * direct mode the pages devices hold are charged by their pins already
 * (only a mapping pinned anew, @locked, vfm_dma_pin_all(), has any: they
 * pin only what is mapped), and a claim charges ahead (@f); in shared
 * mode each pin holds a reference of its own (acct.c).
 */
static int vfm_dma_charge_batch(struct vfm_container *c, struct vfm_dma *dma,
				dma_addr_t iova, unsigned long npages,
				bool locked, struct vfm_batch *b,
				struct vfm_tally *t, struct vfm_fill *f)
{
	if (vfm_acct_shared(dma->owner))
		return vfm_acct_get(dma->owner, b->runs, b->nr_runs,
				    &t->charged);
	if (!locked)
		return vfm_dma_charge_ahead(dma, npages, t->charged, f);
	t->charged -= vfm_emul_charged(c, iova,
				       iova + ((u64)npages << PAGE_SHIFT) - 1);
	return vfm_charge(dma->owner, t->charged);
}

/* Undo vfm_dma_charge_batch(): the batch could not be mapped. */
static void vfm_dma_uncharge_batch(struct vfm_dma *dma, struct vfm_batch *b,
				   bool locked, const struct vfm_tally *t,
				   struct vfm_fill *f)
{
	if (vfm_acct_shared(dma->owner))
		vfm_acct_put(dma->owner, b->runs, b->nr_runs);
	else if (!locked)
		f->ahead += t->charged;
	else
		vfm_charge(dma->owner, -(long)t->charged);
}

/*
 * Pin, charge and map the pages of a mapping, a batch at a time, into
 * every domain: under the container's lock (@locked), or for a claim
 * under maps_rwsem alone, which keeps the domains.  @f says what is done,
 * for vfm_dma_settle() to count or undo.
 */
static int vfm_dma_fill(struct vfm_container *c, struct vfm_dma *dma,
			bool locked, struct vfm_fill *f)
{
	unsigned long npages = vfm_dma_size(dma) >> PAGE_SHIFT;
	struct vfm_shape shape = {};
	struct vfm_tally t, undo = {};
	struct vfm_batch b;
	dma_addr_t iova;
	long got;
	int ret = 0;

	*f = (struct vfm_fill){};
	vfm_batch_init(&b, npages);
	while (f->done < npages) {
		/* A killed VMM's map ends here, unwound by the caller. */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		iova = vfm_dma_iova(dma) + ((u64)f->done << PAGE_SHIFT);
		got = vfm_batch_pin(&b, dma,
				    dma->vaddr + (f->done << PAGE_SHIFT),
				    npages - f->done, &t);
		if (got < 0) {
			ret = got;
			break;
		}
		ret = vfm_dma_charge_batch(c, dma, iova, got, locked, &b, &t,
					   f);
		if (ret) {
			vfm_batch_unpin(&b, dma, &undo);
			break;
		}
		ret = vfm_domain_map_batch(c, dma, iova, &b);
		if (ret) {
			vfm_batch_unpin(&b, dma, &undo);
			vfm_dma_uncharge_batch(dma, &b, locked, &t, f);
			break;
		}
		f->pinned += t.pinned;
		f->charged += t.charged;
		vfm_shape_add(dma, &shape, iova, &b);
		f->done += got;
		cond_resched();
	}
	vfm_batch_fini(&b);
	/* Before the lock, which the charge's mmap_lock would hold up. */
	if (f->ahead)
		vfm_charge(dma->owner, -(long)f->ahead);
	f->ahead = 0;
	return ret;
}

/*
 * Count in @c what vfm_dma_fill() did, or after its error @ret undo it:
 * then nothing of the mapping remains pinned, charged or mapped.
 */
static int vfm_dma_settle(struct vfm_container *c, struct vfm_dma *dma,
			  const struct vfm_fill *f, int ret)
{
	lockdep_assert_held(&c->lock);
	c->pinned_pages += f->pinned;
	c->locked_pages += f->charged;
	if (ret && f->done)
		vfm_dma_put_frames(c, dma, (u64)f->done << PAGE_SHIFT, true);
	return ret;
}

/*
 * The checks of a map request that need no lock: @size, and the IOVA and
 * address ranges, whose last IOVA is set in @last.
 */
static int vfm_dma_check_range(dma_addr_t iova, unsigned long vaddr,
			       u64 size, dma_addr_t *last)
{
	unsigned long vlast;

	if (!size)
		return -EINVAL;
	if (check_add_overflow(iova, size - 1, last) ||
	    check_add_overflow(vaddr, size - 1, &vlast))
		return -EOVERFLOW;
	return 0;
}

/*
 * The checks of a map request under the lock, and its vfm_dma, in @dma:
 * unpinned, in no tree, and counted in @c's dma_avail.  -EINPROGRESS when
 * only a claim overlaps the range.
 */
static int vfm_dma_new(struct vfm_container *c, dma_addr_t iova,
		       dma_addr_t last, unsigned long vaddr, int prot,
		       struct vfm_dma **dma)
{
	u64 size = last - iova + 1, pgsize = vfm_min_pgsize(c);
	struct vfm_dma *new;
	int ret;

	lockdep_assert_held(&c->lock);
	if ((size | iova | vaddr) & (pgsize - 1) ||
	    (list_empty(&c->domains) && list_empty(&c->emul_groups)))
		return -EINVAL;
	if (vfm_dma_first(c, iova, last))
		return -EEXIST;
	if (interval_tree_iter_first(&c->claims, iova, last))
		return -EINPROGRESS;
	if (!c->dma_avail)
		return -ENOSPC;
	/* Mediated groups alone have no IOMMU to limit the IOVAs. */
	if (!list_empty(&c->domains) && !vfm_iova_covers(&c->iova, iova, last))
		return -EINVAL;
	ret = vfm_dirty_check_dma(c, size);
	if (ret)
		return ret;

	new = kmem_cache_zalloc(vfm_dma_cache, VFM_GFP);
	if (!new)
		return -ENOMEM;
	new->owner = vfm_owner_get(c);
	if (!new->owner) {
		kmem_cache_free(vfm_dma_cache, new);
		return -ENOMEM;
	}
	new->node.start = iova;
	new->node.last = last;
	new->vaddr = vaddr;
	new->prot = prot;
	new->order = VFM_DMA_ORDER_MAX;
	c->dma_avail--;
	*dma = new;
	return 0;
}

/*
 * Another thread's map of an overlapping range is at work: wait for one
 * to end, as type1's mutex would, so that the range is then seen mapped
 * (-EEXIST) or free.  Called with @c locked; returns with it locked, or
 * unlocked on error (-EINTR, or -EINVAL when @c was released).
 */
static int vfm_dma_wait_claims(struct vfm_container *c)
{
	unsigned long seen = c->claims_settled;

	mutex_unlock(&c->lock);
	if (wait_event_killable(c->claims_wq,
				READ_ONCE(c->claims_settled) != seen))
		return -EINTR;
	return vfm_container_lock(c);
}

/*
 * Fill a claimed mapping outside the lock, beside other threads' maps of
 * other ranges, and settle it.  Called and returns with @c locked and
 * maps_rwsem held for read.
 */
static int vfm_dma_fill_claim(struct vfm_container *c, struct vfm_dma *dma)
{
	struct vfm_fill f;
	int ret;

	lockdep_assert_held_read(&c->maps_rwsem);
	interval_tree_insert(&dma->node, &c->claims);
	mutex_unlock(&c->lock);
	ret = vfm_dma_fill(c, dma, false, &f);
	/* Not killable: a detach waits for this (maps_rwsem), then undoes it. */
	mutex_lock(&c->lock);
	interval_tree_remove(&dma->node, &c->claims);
	WRITE_ONCE(c->claims_settled, c->claims_settled + 1);
	wake_up_all(&c->claims_wq);
	/* Dirty tracking may have started meanwhile. */
	if (!ret)
		ret = vfm_dirty_check_dma(c, vfm_dma_size(dma));
	return vfm_dma_settle(c, dma, &f, ret);
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
 * of @c; on failure nothing of it remains.  A map of more than
 * VFM_BATCH_STACK pages does that outside the container's lock (a claim,
 * vfm.h), so that maps of disjoint ranges run in parallel.
 *
 * Return: 0; -EINVAL for a zero size, no access, an IOVA, address or size
 * not aligned to the smallest page size of the container, a range outside
 * the usable IOVA ranges, or a released container; -EOVERFLOW when the
 * IOVA or the address range wraps; -EEXIST when the range overlaps an
 * existing mapping (a map of an overlapping range at work is waited for,
 * as type1's mutex waits for it); -ENOSPC when the dma_entry_limit
 * of the container is reached; -ENOMEM beyond RLIMIT_MEMLOCK; -EFAULT for
 * memory that cannot be pinned; -EINTR when a fatal signal is pending; or
 * an error of the IOMMU driver.
 */
int vfm_dma_map(struct vfm_container *c, dma_addr_t iova,
		unsigned long vaddr, u64 size, int prot)
{
	bool claim = size >> PAGE_SHIFT > VFM_BATCH_STACK;
	struct vfm_dma *dma;
	struct vfm_fill f;
	dma_addr_t last;
	int ret;

	ret = vfm_dma_check_range(iova, vaddr, size, &last);
	if (ret)
		return ret;
	if (!(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	/* The caller's mm is charged: the container joins its account. */
	ret = vfm_acct_link(c);
	if (ret)
		return ret;

	if (claim) {
		ret = down_read_killable(&c->maps_rwsem);
		if (ret)
			return ret;
	}
	ret = vfm_container_lock(c);
	if (ret)
		goto out_up;
	while ((ret = vfm_dma_new(c, iova, last, vaddr, prot, &dma)) ==
	       -EINPROGRESS) {
		ret = vfm_dma_wait_claims(c);
		if (ret)
			goto out_up;
	}
	if (ret)
		goto out_unlock;

	/* Without domains nothing is pinned: devices pin (emul.c). */
	if (!list_empty(&c->domains) && claim) {
		ret = vfm_dma_fill_claim(c, dma);
	} else if (!list_empty(&c->domains)) {
		ret = vfm_dma_fill(c, dma, true, &f);
		ret = vfm_dma_settle(c, dma, &f, ret);
	}
	if (ret) {
		c->dma_avail++;
		vfm_dma_free(dma);
		goto out_unlock;
	}
	interval_tree_insert(&dma->node, &c->dmas);
	atomic64_inc(&vfm_stats.mappings);
out_unlock:
	mutex_unlock(&c->lock);
out_up:
	if (claim)
		up_read(&c->maps_rwsem);
	return ret;
}

/**
 * vfm_dma_unmap() - remove mappings (VFIO_IOMMU_UNMAP_DMA)
 * @c: container.
 * @req: the range, and what to do with it.
 * @unmapped: set to the number of bytes removed, or invalidated.
 *
 * Under the v2 rules the range must not cut a mapping in two; every
 * mapping inside it is removed.  Under the v1 rules (VFIO_TYPE1_IOMMU) a
 * mapping is removed whole when the range contains its first IOVA, and
 * nothing is removed when the range starts inside a mapping.  Mediated
 * devices holding pages of a mapping are told to unpin them first.
 *
 * With @req->vaddr the mappings stay, mapped, and only their user
 * addresses become invalid; with @req->bitmap their dirty pages are
 * reported before they go.
 *
 * All or nothing: every check passes, every device has unpinned, every
 * bitmap is written and the result (@req->result) is stored before the
 * first mapping goes, so that an error leaves every mapping as it was.
 *
 * Return: 0, also when nothing was mapped in the range; -EINVAL for a zero
 * size, an IOVA or size not aligned to the smallest page size, a range
 * cutting a mapping under v2, @all with a non-zero @iova or @size, a
 * bitmap while dirty tracking is off or of another page size, an address
 * already invalid (nothing is then invalidated), or a released container;
 * -EOVERFLOW when the range wraps, or when what it removes adds up to
 * 2^64 bytes (only a container without IOMMU domains maps that much);
 * -EBUSY for @req->vaddr while a mediated group is attached, or when
 * devices do not unpin; -EFAULT when the bitmap cannot be written;
 * -EAGAIN when the page of @req->result was not present: the caller
 * faults it in, outside the lock, and calls again.
 */
int vfm_dma_unmap(struct vfm_container *c, const struct vfm_unmap *req,
		  u64 *unmapped)
{
	dma_addr_t iova = req->iova, last, notified = 0;
	struct vfm_dma *dma, *next, *first;
	unsigned int retries = 0;
	u64 pgsize, size;
	int ret;

	*unmapped = 0;
	ret = vfm_container_lock(c);
	if (ret)
		return ret;
	/* Everything is checked again after the lock was dropped. */
again:
	ret = -EBUSY;
	if (req->vaddr && !list_empty(&c->emul_groups))
		goto out_unlock;
	ret = -EINVAL;

	pgsize = vfm_min_pgsize(c);
	if (iova & (pgsize - 1))
		goto out_unlock;

	if (req->all) {
		if (iova || req->size)
			goto out_unlock;
		last = VFM_IOVA_MAX;
	} else {
		if (!req->size || req->size & (pgsize - 1))
			goto out_unlock;
		if (check_add_overflow(iova, req->size - 1, &last)) {
			ret = -EOVERFLOW;
			goto out_unlock;
		}
	}
	if (req->bitmap && (!c->dirty_tracking || req->pgsize != pgsize))
		goto out_unlock;

	dma = NULL;
	if (c->v2 && !req->all) {
		ret = -EINVAL;
		/* The first is the mapping at @iova, if there is one. */
		dma = vfm_dma_first(c, iova, iova);
		if (dma && vfm_dma_iova(dma) != iova)
			goto out_unlock;
		next = dma && vfm_dma_last(dma) >= last ? dma :
		       vfm_dma_first(c, last, last);
		if (next && vfm_dma_last(next) != last)
			goto out_unlock;
	}
	if (!dma)
		dma = vfm_dma_first(c, iova, last);
	/* Under v1, nothing goes when the range starts inside a mapping. */
	if (dma && !c->v2 && vfm_dma_iova(dma) < iova)
		dma = NULL;
	first = dma;

	/* What goes, and whether it may. */
	size = 0;
	for (dma = first; dma; dma = vfm_dma_next(dma, iova, last)) {
		if (req->vaddr) {
			ret = -EINVAL;
			if (dma->flags & VFM_DMA_VADDR_INVALID)
				goto out_unlock;
		} else if (vfm_emul_pinned(c, vfm_dma_iova(dma),
					   vfm_dma_last(dma))) {
			ret = -EBUSY;
			if (!vfm_emul_unmap_retry(vfm_dma_iova(dma), &notified,
						  &retries))
				goto out_unlock;
			if (vfm_emul_notify_unmap(c, dma))
				return -EINVAL;
			goto again;
		}
		if (req->bitmap) {
			ret = vfm_dirty_report(c, dma, req->bitmap, iova,
					       req->pgsize);
			if (ret)
				goto out_unlock;
		}
		ret = -EOVERFLOW;
		if (check_add_overflow(size, vfm_dma_size(dma), &size))
			goto out_unlock;
	}
	/* No fault may wait under the lock: the caller faults it in. */
	ret = -EAGAIN;
	if (req->result &&
	    copy_to_user_nofault(req->result, &size, sizeof(size)))
		goto out_unlock;

	/* Nothing can fail from here. */
	ret = 0;
	*unmapped = size;
	for (dma = first; dma; dma = next) {
		next = vfm_dma_next(dma, iova, last);
		if (req->vaddr) {
			dma->flags |= VFM_DMA_VADDR_INVALID;
			c->vaddr_invalid++;
		} else {
			vfm_dma_destroy(c, dma, true);
		}
	}

out_unlock:
	mutex_unlock(&c->lock);
	return ret;
}

/* Pages of @dma charged to its owner: all but vfm_pfn_rsvd() frames. */
static unsigned long vfm_dma_charged(struct vfm_container *c,
				     struct vfm_dma *dma)
{
	dma_addr_t iova = vfm_dma_iova(dma);
	u64 size = vfm_dma_size(dma), off, len;
	unsigned long n = 0;
	struct vfm_batch b;
	unsigned int i;

	if (list_empty(&c->domains))
		return vfm_emul_charged(c, iova, vfm_dma_last(dma));
	if (!(dma->flags & VFM_DMA_RSVD))
		return size >> PAGE_SHIFT;
	vfm_batch_init(&b, min(size >> PAGE_SHIFT,
			       (size >> (dma->order + PAGE_SHIFT)) + 2));
	for (off = 0; off < size; off += len) {
		len = vfm_domain_read_back(c, dma, iova + off, size - off, &b);
		for (i = 0; i < b.nr_runs; i++)
			n += b.runs[i].rsvd ? 0 : b.runs[i].npages;
		cond_resched();
	}
	vfm_batch_fini(&b);
	return n;
}

/*
 * Take (@get) or drop references, in @o's shared account, on the frames of
 * the first @size bytes of @dma, read back.  Nothing is taken on error.
 */
static int vfm_dma_acct_frames(struct vfm_container *c, struct vfm_dma *dma,
			       struct vfm_owner *o, bool get, u64 size,
			       unsigned long *refs)
{
	dma_addr_t iova = vfm_dma_iova(dma);
	unsigned long held, undone = 0;
	struct vfm_batch b;
	u64 off, len;
	int ret = 0;

	if (list_empty(&c->domains))
		return 0;
	vfm_batch_init(&b, min(size >> PAGE_SHIFT,
			       (size >> (dma->order + PAGE_SHIFT)) + 2));
	for (off = 0; off < size; off += len) {
		len = vfm_domain_read_back(c, dma, iova + off, size - off, &b);
		if (!get) {
			*refs += vfm_acct_put(o, b.runs, b.nr_runs);
		} else {
			ret = vfm_acct_get(o, b.runs, b.nr_runs, &held);
			if (ret)
				break;
			*refs += held;
		}
		cond_resched();
	}
	vfm_batch_fini(&b);
	if (ret && off)
		vfm_dma_acct_frames(c, dma, o, false, off, &undone);
	return ret;
}

/*
 * Charge (@get) or uncharge what @dma holds to @o, in @o's account's mode;
 * *@pages is set to what the container's count of locked pages gains, or
 * loses.  Nothing is charged on error.
 */
static int vfm_dma_hold(struct vfm_container *c, struct vfm_dma *dma,
			struct vfm_owner *o, bool get, unsigned long *pages)
{
	int ret;

	*pages = 0;
	if (!vfm_acct_shared(o)) {
		long n = vfm_dma_charged(c, dma);

		ret = vfm_charge(o, get ? n : -n);
		if (!ret || !get)
			*pages = n;
		return get ? ret : 0;
	}
	ret = vfm_dma_acct_frames(c, dma, o, get, vfm_dma_size(dma), pages);
	if (ret)
		return ret;
	ret = vfm_emul_acct_pins(c, dma, o, get, pages);
	if (ret) {
		unsigned long undone = 0;

		vfm_dma_acct_frames(c, dma, o, false, vfm_dma_size(dma),
				    &undone);
	}
	return ret;
}

/* The caller takes @dma over: its charge moves to the caller's mm. */
static int vfm_dma_change_owner(struct vfm_container *c, struct vfm_dma *dma)
{
	unsigned long gained, lost;
	struct vfm_owner *o;
	int ret;

	if (dma->owner->mm == current->mm)
		return 0;
	o = vfm_owner_get(c);
	if (!o)
		return -ENOMEM;
	ret = vfm_dma_hold(c, dma, o, true, &gained);
	if (ret) {
		vfm_owner_put(o);
		return ret;
	}
	/* A process image gone with exec took its locked_vm along. */
	vfm_dma_hold(c, dma, dma->owner, false, &lost);
	c->locked_pages += gained - lost;
	vfm_owner_put(dma->owner);
	dma->owner = o;
	return 0;
}

/**
 * vfm_dma_set_vaddr() - give a mapping its user address again
 *	(VFIO_IOMMU_MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR)
 * @c: container.
 * @iova: the mapping's first IOVA.
 * @vaddr: its new user address, in the caller's mm.
 * @size: its size.
 *
 * When the caller's mm is not the mapping's, the mapping's locked_vm
 * charge moves to the caller, as with type1.  The memory at @vaddr must
 * be the memory that was mapped (the same memfd, say): nothing is
 * pinned again, the IOMMU keeps translating to the pages pinned at map.
 *
 * Return: 0; -EINVAL for a zero size, an IOVA, address or size not
 * aligned to the smallest page size, a mapping whose address is valid or
 * that does not match @iova and @size exactly, or a released container;
 * -EOVERFLOW when the range wraps; -ENOENT when nothing is mapped in the
 * range; -ENOMEM beyond the caller's RLIMIT_MEMLOCK.
 */
int vfm_dma_set_vaddr(struct vfm_container *c, dma_addr_t iova,
		      unsigned long vaddr, u64 size)
{
	struct vfm_dma *dma;
	dma_addr_t last;
	u64 pgsize;
	int ret;

	ret = vfm_dma_check_range(iova, vaddr, size, &last);
	if (ret)
		return ret;
	ret = vfm_acct_link(c);
	if (ret)
		return ret;
	ret = vfm_container_lock(c);
	if (ret)
		return ret;
	pgsize = vfm_min_pgsize(c);
	ret = -EINVAL;
	if ((size | iova | vaddr) & (pgsize - 1))
		goto out_unlock;

	dma = vfm_dma_first(c, iova, last);
	if (!dma) {
		ret = -ENOENT;
	} else if (!(dma->flags & VFM_DMA_VADDR_INVALID) ||
		   vfm_dma_iova(dma) != iova || vfm_dma_last(dma) != last) {
		ret = -EINVAL;
	} else {
		ret = vfm_dma_change_owner(c, dma);
		if (!ret) {
			dma->vaddr = vaddr;
			dma->flags &= ~VFM_DMA_VADDR_INVALID;
			c->vaddr_invalid--;
		}
	}
out_unlock:
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * vfm_dma_pin_all() - pin and map every mapping into the first domain
 * @c: container, locked, whose only domain is new and empty: the first
 *	IOMMU group joined a container of mediated groups.
 *
 * Return: 0, or the errno of vfm_dma_fill() with nothing pinned, charged
 * or mapped.
 */
int vfm_dma_pin_all(struct vfm_container *c)
{
	struct rb_node *node, *undo;
	int ret = 0;

	lockdep_assert_held(&c->lock);
	for (node = rb_first_cached(&c->dmas); node && !ret;
	     node = rb_next(node)) {
		struct vfm_dma *dma = rb_entry(node, struct vfm_dma, node.rb);

		struct vfm_fill f;

		vfm_dma_shape_reset(dma);
		ret = vfm_dma_fill(c, dma, true, &f);
		ret = vfm_dma_settle(c, dma, &f, ret);
		if (ret)
			break;
	}
	if (!ret)
		return 0;
	for (undo = rb_first_cached(&c->dmas); undo != node;
	     undo = rb_next(undo)) {
		struct vfm_dma *dma = rb_entry(undo, struct vfm_dma, node.rb);

		vfm_dma_put_frames(c, dma, vfm_dma_size(dma), true);
		vfm_dma_shape_reset(dma);
	}
	return ret;
}

/**
 * vfm_dma_unpin_all() - unpin every mapping, keeping them
 * @c: container, locked, whose last domain is about to go while mediated
 *	groups stay; no group is attached to the domain any more.
 *
 * What mediated devices hold stays pinned by them, and charged.
 */
void vfm_dma_unpin_all(struct vfm_container *c)
{
	struct rb_node *node;

	lockdep_assert_held(&c->lock);
	for (node = rb_first_cached(&c->dmas); node; node = rb_next(node)) {
		struct vfm_dma *dma = rb_entry(node, struct vfm_dma, node.rb);

		vfm_dma_put_frames(c, dma, vfm_dma_size(dma), false);
		vfm_dma_shape_reset(dma);
		cond_resched();
	}
}

/**
 * vfm_dma_remove_all() - remove every mapping of @c
 * @c: container, locked, with at least one domain if it has mappings.
 * @unmap: remove them from the domains too; without, no group may be
 *	attached to any domain of @c: the domains go with their page tables.
 */
void vfm_dma_remove_all(struct vfm_container *c, bool unmap)
{
	struct rb_node *node;

	lockdep_assert_held(&c->lock);
	while ((node = rb_first_cached(&c->dmas))) {
		vfm_dma_destroy(c, rb_entry(node, struct vfm_dma, node.rb),
				unmap);
		cond_resched();
	}
}

/**
 * vfm_dma_acct_backfill() - record what a container holds for an account
 *	going shared (acct.c)
 * @c: the only container linked to @a, locked.
 * @a: the account, its lock held, its record empty.
 * @bf: set to the references taken, the pages charged for them in direct
 *	mode, and an owner of @a, or NULL when @c holds nothing for it.
 *
 * In direct mode @c charged each page of its mappings once its domains
 * pinned them, else each page its devices pinned; in shared mode each of
 * them takes a reference.
 *
 * Return: 0, or -ENOMEM with references left in @a's record (the caller
 * empties it).
 */
int vfm_dma_acct_backfill(struct vfm_container *c, struct vfm_acct *a,
			  struct vfm_acct_backfill *bf)
{
	bool domains = !list_empty(&c->domains);
	unsigned long new = 0, pins = 0;
	struct rb_node *node;
	struct vfm_batch b;
	int ret = 0;

	lockdep_assert_held(&c->lock);
	vfm_batch_init(&b, ULONG_MAX);
	for (node = rb_first_cached(&c->dmas); node && !ret;
	     node = rb_next(node)) {
		struct vfm_dma *dma = rb_entry(node, struct vfm_dma, node.rb);
		dma_addr_t iova = vfm_dma_iova(dma);
		u64 size = vfm_dma_size(dma), off, len;

		cond_resched();
		if (dma->owner->acct != a)
			continue;
		bf->owner = dma->owner;
		for (off = 0; domains && off < size && !ret; off += len) {
			len = vfm_domain_read_back(c, dma, iova + off,
						   size - off, &b);
			ret = vfm_acct_ref_runs(a, b.runs, b.nr_runs, &new,
						&bf->refs);
			cond_resched();
		}
	}
	vfm_batch_fini(&b);
	if (ret)
		return ret;
	bf->charged = bf->refs;
	ret = vfm_emul_acct_backfill(c, a, &new, &pins);
	bf->refs += pins;
	if (!domains)
		bf->charged = pins;
	return ret;
}
