// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: pinning user memory for DMA and charging it to locked_vm.
 *
 * The rules are vfio_iommu_type1's, so that a VMM sees the same limits:
 *  - pages are pinned with FOLL_LONGTERM, and FOLL_WRITE when the device
 *    may write to them;
 *  - a page frame without a struct page, or with PageReserved set (device
 *    memory of a VM_PFNMAP mapping, the zero page), is not charged;
 *  - every other page is charged to the locked_vm of the mm it was pinned
 *    from, per mapping, and the charge may not exceed the RLIMIT_MEMLOCK of
 *    the task that made the mapping unless that task had CAP_IPC_LOCK (a
 *    capable task is still charged);
 *  - the charge is returned when the pages are unpinned, if the mm is still
 *    alive.
 *
 * Memory is pinned in batches of up to VFM_BATCH_MAX pages with
 * pin_user_pages_fast(), which takes one reference per folio and walks
 * the page tables without mmap_lock where it can; the batch's pages are
 * cut into runs of physically contiguous frames, which domain.c maps with
 * one iommu_map_sg() per domain, and the batch is charged at once.  The
 * frames of a VM_PFNMAP mapping (a device's BAR, for peer-to-peer DMA)
 * are neither pinned nor charged; they are looked up per page-table leaf,
 * so a BAR mapped with 1 GiB or 2 MiB leaves costs one lookup per leaf.
 *
 * Once mapped, frames are not recorded anywhere but in the IOMMU domains:
 * unpinning reads them back from the container's first domain
 * (domain.c).  Which of them to unpin: every one of a mapping without
 * VM_PFNMAP frames (vfm_dma.flags), including PageReserved pages that
 * pinning returned, whose pins type1 never drops; in a mapping with
 * VM_PFNMAP frames, only those with a normal struct page.  A mapping
 * cannot have both VM_PFNMAP frames and pinned PageReserved pages, which
 * could not be told apart: that is refused with -EFAULT (type1 leaks the
 * pins of such pages instead).
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "vfm.h"
#include "compat/pfnmap.h"

/* Pages pinned, charged and mapped at once at most: 4 MiB of 4 KiB pages. */
#define VFM_BATCH_MAX		1024

/**
 * vfm_pfn_rsvd() - a frame without a struct page, or a PageReserved one
 * @pfn: a page frame.
 *
 * Return: true when the frame is not charged to locked_vm.
 */
bool vfm_pfn_rsvd(unsigned long pfn)
{
	return !pfn_valid(pfn) || PageReserved(pfn_to_page(pfn));
}

/**
 * vfm_owner_get() - the owner of a mapping the caller is making
 * @c: container, locked.
 *
 * The current process, with its capability to exceed RLIMIT_MEMLOCK
 * tested now, as type1 does at every map.  The container keeps the last
 * owner made, which the next mapping of the same process shares.
 *
 * Return: a referenced owner, or NULL without memory or without a link of
 * the container to the current mm's account.
 */
struct vfm_owner *vfm_owner_get(struct vfm_container *c)
{
	bool cap = capable(CAP_IPC_LOCK);
	struct vfm_owner *o = c->owner;
	struct vfm_acct *acct;

	lockdep_assert_held(&c->lock);

	if (o && o->task == current->group_leader && o->mm == current->mm &&
	    o->lock_cap == cap) {
		refcount_inc(&o->users);
		return o;
	}
	/* Linked before the container was locked (vfm_acct_link()). */
	acct = vfm_acct_find(c, current->mm);
	if (!acct)
		return NULL;
	o = kmalloc(sizeof(*o), VFM_GFP);
	if (!o)
		return NULL;
	o->acct = acct;
	refcount_set(&o->users, 2);
	o->lock_cap = cap;
	o->task = get_task_struct(current->group_leader);
	o->mm = current->mm;
	mmgrab(o->mm);
	if (c->owner)
		vfm_owner_put(c->owner);
	c->owner = o;
	return o;
}

/**
 * vfm_owner_put() - drop a reference on an owner
 * @o: an owner, or NULL.
 */
void vfm_owner_put(struct vfm_owner *o)
{
	if (!o || !refcount_dec_and_test(&o->users))
		return;
	mmdrop(o->mm);
	put_task_struct(o->task);
	kfree(o);
}

/**
 * vfm_try_charge() - charge (@npages > 0) or uncharge (< 0) pages
 * @o: the owner of the mapping they are in.
 * @npages: pages.
 *
 * Uncharging takes mmap_lock without a killable wait: a pending fatal
 * signal must not leave pages charged.  If the mm is gone, so is its
 * locked_vm, and uncharging only counts.
 *
 * Return: 0; -ENOMEM beyond RLIMIT_MEMLOCK; -EINTR when a fatal signal
 * is pending; -ESRCH when the mm is gone.
 */
int vfm_try_charge(struct vfm_owner *o, long npages)
{
	/* The caller's own mm cannot go while it runs in it. */
	bool own = o->mm == current->mm;
	int ret;

	if (!npages)
		return 0;
	if (!own && !mmget_not_zero(o->mm)) {
		ret = -ESRCH;
		goto out_count;
	}

	if (npages > 0) {
		ret = mmap_write_lock_killable(o->mm);
		if (ret)
			goto out;
	} else {
		mmap_write_lock(o->mm);
	}
	ret = __account_locked_vm(o->mm, abs(npages), npages > 0, o->task,
				  o->lock_cap);
	mmap_write_unlock(o->mm);
out:
	if (!own)
		mmput(o->mm);
out_count:
	if (!ret || npages < 0)
		atomic64_add(npages, &vfm_stats.locked_pages);
	return ret;
}

/**
 * vfm_charge() - vfm_try_charge(), and a word in the log beyond
 *	RLIMIT_MEMLOCK
 * @o: the owner of the mapping they are in.
 * @npages: pages.
 *
 * Return: as vfm_try_charge().
 */
int vfm_charge(struct vfm_owner *o, long npages)
{
	int ret = vfm_try_charge(o, npages);

	if (ret == -ENOMEM)
		pr_warn_ratelimited("vfio_mirror: %s (%d): RLIMIT_MEMLOCK (%lu) exceeded\n",
				    o->task->comm, task_pid_nr(o->task),
				    task_rlimit(o->task, RLIMIT_MEMLOCK));
	return ret;
}

/**
 * vfm_batch_init() - scratch for the frames of an operation on @npages
 * @b: the batch.
 * @npages: pages the operation covers; a small one needs no allocation.
 *
 * Without memory for a large batch the small one serves, more slowly.
 */
void vfm_batch_init(struct vfm_batch *b, unsigned long npages)
{
	unsigned int cap = min_t(unsigned long, npages, VFM_BATCH_MAX);

	b->nr_runs = 0;
	b->cap = VFM_BATCH_STACK;
	b->runs = b->stack_runs;
	b->pages = b->stack_pages;
	b->sg = b->stack_sg;
	if (cap > VFM_BATCH_STACK) {
		struct vfm_run *runs;
		struct page **pages;
		struct scatterlist *sg;

		runs = kvmalloc_array(cap, sizeof(*runs), GFP_KERNEL);
		pages = kvmalloc_array(cap, sizeof(*pages), GFP_KERNEL);
		sg = kvmalloc_array(cap, sizeof(*sg), GFP_KERNEL);
		if (runs && pages && sg) {
			b->cap = cap;
			b->runs = runs;
			b->pages = pages;
			b->sg = sg;
		} else {
			kvfree(runs);
			kvfree(pages);
			kvfree(sg);
		}
	}
}

/**
 * vfm_batch_fini() - free what vfm_batch_init() allocated
 * @b: the batch.
 */
void vfm_batch_fini(struct vfm_batch *b)
{
	if (b->runs == b->stack_runs)
		return;
	kvfree(b->runs);
	kvfree(b->pages);
	kvfree(b->sg);
}

/**
 * vfm_batch_add() - append frames to a batch
 * @b: the batch, with room for one more run.
 * @pfn: first frame.
 * @npages: frames.
 * @rsvd: they have no struct page, or a PageReserved one.
 *
 * They extend the last run if vfm_run_joins() says so.
 */
void vfm_batch_add(struct vfm_batch *b, unsigned long pfn,
		   unsigned long npages, bool rsvd)
{
	struct vfm_run *last = b->nr_runs ? &b->runs[b->nr_runs - 1] : NULL;

	if (vfm_run_joins(last, pfn, rsvd))
		last->npages += npages;
	else
		b->runs[b->nr_runs++] = (struct vfm_run){
			.pfn = pfn, .npages = npages, .rsvd = rsvd,
		};
}

/*
 * Cut the @n pinned pages of @b into runs, a folio at a time; count what
 * to charge and the zero pages (which have no pin), and note pinned
 * PageReserved pages in @dma.
 */
static unsigned long vfm_batch_runs(struct vfm_batch *b, struct vfm_dma *dma,
				    unsigned long n, unsigned long *zero)
{
	unsigned long i, j, charge = 0;

	*zero = 0;

	for (i = 0; i < n; i = j) {
		struct page *page = b->pages[i];
		struct folio *folio = page_folio(page);
		unsigned long idx = folio_page_idx(folio, page);
		unsigned long in_folio;
		bool rsvd;

		/* The pages of the folio that follow @page, in order. */
		in_folio = min_t(unsigned long, folio_nr_pages(folio) - idx,
				 n - i);
		for (j = i + 1; j < i + in_folio; j++)
			if (b->pages[j] != folio_page(folio, idx + j - i))
				break;

		rsvd = !folio_test_large(folio) && PageReserved(page);
		if (!rsvd) {
			charge += j - i;
		} else if (is_zero_page(page)) {
			*zero += j - i;
			dma->flags |= VFM_DMA_ZERO;
		} else {
			dma->flags |= VFM_DMA_RSVD_PINNED;
		}
		vfm_batch_add(b, page_to_pfn(page), j - i, rsvd);
	}
	return charge;
}

/*
 * The frame at @vaddr of a VM_PFNMAP mapping, and how many frames of the
 * page-table leaf mapping it follow it.  Called with mmap_lock held for
 * read; fixup_user_fault() may drop and retake it, after which the vma
 * is looked up again.
 */
static int vfm_follow_pfnmap(struct mm_struct *mm, unsigned long vaddr,
			     bool write, unsigned long *pfn,
			     unsigned long *leaf_left)
{
	struct follow_pfnmap_args args;
	struct vm_area_struct *vma;
	unsigned long leaf;
	bool unlocked;
	int ret;

	vaddr = untagged_addr_remote(mm, vaddr);
retry:
	vma = vma_lookup(mm, vaddr);
	if (!vma || !(vma->vm_flags & VM_PFNMAP))
		return -EFAULT;

	args = (struct follow_pfnmap_args){ .vma = vma, .address = vaddr };
	ret = follow_pfnmap_start(&args);
	if (ret) {
		unlocked = false;
		ret = fixup_user_fault(mm, vaddr, FAULT_FLAG_REMOTE |
				       (write ? FAULT_FLAG_WRITE : 0),
				       &unlocked);
		if (unlocked)
			goto retry;
		if (ret)
			return ret;
		ret = follow_pfnmap_start(&args);
		if (ret)
			return ret;
	}

	leaf = vfm_pfnmap_leaf_pages(&args);
	if (write && !args.writable) {
		ret = -EFAULT;
	} else {
		*pfn = args.pfn;
		*leaf_left = leaf - ((vaddr >> PAGE_SHIFT) & (leaf - 1));
	}
	follow_pfnmap_end(&args);
	return ret;
}

/*
 * Whether any of @n frames from @pfn has a normal struct page: memory
 * hot-plug makes frames valid a subsection at a time, so one invalid
 * frame stands for its whole subsection.
 */
static bool vfm_pfns_have_pages(unsigned long pfn, unsigned long n)
{
	unsigned long end = pfn + n, next;

	for (; pfn < end; pfn = next) {
		next = min(ALIGN(pfn + 1, PAGES_PER_SUBSECTION), end);
		if (!pfn_valid(pfn))
			continue;
		for (; pfn < next; pfn++)
			if (!PageReserved(pfn_to_page(pfn)))
				return true;
	}
	return false;
}

/*
 * One run of up to @max contiguous frames of a VM_PFNMAP mapping at
 * @vaddr, a page-table leaf at a time.  Returns the frames (> 0) or an
 * errno.
 */
static long vfm_pfnmap_run(struct mm_struct *mm, unsigned long vaddr,
			   unsigned long max, bool write, unsigned long *pfn)
{
	unsigned long n = 0, p, left;
	int ret = 0;

	mmap_read_lock(mm);
	while (n < max) {
		ret = vfm_follow_pfnmap(mm, vaddr + (n << PAGE_SHIFT), write,
					&p, &left);
		if (ret)
			break;
		left = min(left, max - n);
		/* A PFNMAP frame with a normal struct page is not device memory. */
		if (vfm_pfns_have_pages(p, left)) {
			ret = -EFAULT;
			break;
		}
		if (!n)
			*pfn = p;
		else if (p != *pfn + n)
			break;
		n += left;
	}
	mmap_read_unlock(mm);
	return n ? n : ret;
}

/*
 * Pin from @mm: the caller's own without mmap_lock where it can, another
 * (the replay of a group joining a container of mediated groups, done by
 * another process than the mappings' owner) with it.
 */
static long vfm_pin_user(struct mm_struct *mm, unsigned long vaddr,
			 unsigned long npages, unsigned int flags,
			 struct page **pages)
{
	long got;

	if (mm == current->mm)
		return pin_user_pages_fast(vaddr, npages, flags, pages);
	if (!mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	got = pin_user_pages_remote(mm, vaddr, npages, flags, pages, NULL);
	mmap_read_unlock(mm);
	mmput(mm);
	return got;
}

/**
 * vfm_batch_pin() - pin the next batch of a mapping's pages
 * @b: the batch; its runs are replaced.
 * @dma: the mapping, owned by the current process.
 * @vaddr: user address of the first page.
 * @npages: pages wanted, at least one; fewer may come.
 * @t: set to the frames pinned and the pages to charge for the batch.
 *
 * Context: process context.
 * Return: the pages in the batch's runs (> 0), or an errno with nothing
 * pinned: -EFAULT when the first address is not mapped with the needed
 * access, or when the mapping would have both VM_PFNMAP frames and pinned
 * PageReserved pages; -EINTR when a fatal signal is pending.
 */
long vfm_batch_pin(struct vfm_batch *b, struct vfm_dma *dma,
		   unsigned long vaddr, unsigned long npages,
		   struct vfm_tally *t)
{
	unsigned int flags = FOLL_LONGTERM;
	bool write = dma->prot & IOMMU_WRITE;
	unsigned long pfn, zero;
	long got, ret;

	if (write)
		flags |= FOLL_WRITE;
	npages = min_t(unsigned long, npages, b->cap);
	b->nr_runs = 0;
	*t = (struct vfm_tally){};

	got = vfm_pin_user(dma->owner->mm, vaddr, npages, flags, b->pages);
	if (got > 0) {
		t->charged = vfm_batch_runs(b, dma, got, &zero);
		if (dma->flags & VFM_DMA_PFNMAP &&
		    dma->flags & VFM_DMA_RSVD_PINNED) {
			/* Every one of them: none is mapped yet. */
			unpin_user_pages(b->pages, got);
			b->nr_runs = 0;
			t->charged = 0;
			return -EFAULT;
		}
		t->pinned = got - zero;
		atomic64_add(t->pinned, &vfm_stats.pinned_pages);
		return got;
	}

	/* Not pinnable: device memory, or what pinning said. */
	ret = vfm_pfnmap_run(dma->owner->mm, vaddr, npages, write, &pfn);
	if (ret == -EFAULT && got < 0)
		ret = got;
	if (ret < 0)
		return ret;
	if (dma->flags & VFM_DMA_RSVD_PINNED)
		return -EFAULT;
	dma->flags |= VFM_DMA_PFNMAP;
	vfm_batch_add(b, pfn, ret, true);
	return ret;
}

/**
 * vfm_batch_unpin() - unpin the frames of a batch of @dma
 * @b: runs of @dma's frames, pinned by vfm_batch_pin() or read back from
 *	a domain that maps them no more, with the IOTLBs flushed.
 * @dma: the mapping.
 * @t: the frames unpinned and the pages to uncharge are added to it.
 *
 * Frames the device may have written are marked dirty.  The charge is
 * the caller's to return: the frames that are not vfm_pfn_rsvd(), as
 * pinning counted them, or in shared mode the runs, which stay in @b.
 */
void vfm_batch_unpin(struct vfm_batch *b, struct vfm_dma *dma,
		     struct vfm_tally *t)
{
	bool dirty = dma->prot & IOMMU_WRITE;
	unsigned int i;

	for (i = 0; i < b->nr_runs; i++) {
		const struct vfm_run *run = &b->runs[i];

		if (!run->rsvd)
			t->charged += run->npages;
		if (is_zero_pfn(run->pfn) ||
		    (dma->flags & VFM_DMA_PFNMAP && run->rsvd))
			continue;
		unpin_user_page_range_dirty_lock(pfn_to_page(run->pfn),
						 run->npages, dirty);
		t->pinned += run->npages;
		atomic64_sub(run->npages, &vfm_stats.pinned_pages);
	}
}
