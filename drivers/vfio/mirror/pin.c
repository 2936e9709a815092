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
 * Two differences from type1.  Every frame pin_user_pages_remote() returned
 * is unpinned again, including PageReserved ones (type1 skips those and so
 * never drops their pin; for the zero page both are no-ops).  And the
 * pinned page frames are recorded here, as runs of
 * physically contiguous frames, instead of being read back from an IOMMU
 * page table.  Mapping a run into a new domain (replay) and unpinning it
 * therefore never depend on the state of another domain, and a run is
 * handed to iommu_map() whole, so the IOMMU core can use the largest page
 * sizes the domain supports.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfm.h"

/* struct page pointers that fit in the one page used as a pin batch. */
#define VFM_PIN_BATCH		(PAGE_SIZE / sizeof(struct page *))
#define VFM_MIN_RUNS		16

static bool vfm_pfn_rsvd(unsigned long pfn)
{
	return !pfn_valid(pfn) || PageReserved(pfn_to_page(pfn));
}

/**
 * vfm_pages_init() - make the current process the owner of @p
 * @p: pages of a new mapping, zeroed.
 *
 * The owner's mm is where pages are pinned from and charged to; its group
 * leader's RLIMIT_MEMLOCK bounds the charge.
 */
void vfm_pages_init(struct vfm_pages *p)
{
	p->task = get_task_struct(current->group_leader);
	p->mm = current->mm;
	mmgrab(p->mm);
	p->lock_cap = capable(CAP_IPC_LOCK);
}

/*
 * Charge (npages > 0) or uncharge (npages < 0) locked_vm.  Uncharging
 * takes mmap_lock without a killable wait: a pending fatal signal must not
 * leave pages charged.
 */
static int vfm_pages_charge(struct vfm_pages *p, long npages)
{
	int ret;

	if (!npages)
		return 0;
	if (!mmget_not_zero(p->mm))
		return -ESRCH;

	if (npages > 0) {
		ret = mmap_write_lock_killable(p->mm);
		if (ret)
			goto out;
	} else {
		mmap_write_lock(p->mm);
	}
	ret = __account_locked_vm(p->mm, abs(npages), npages > 0, p->task,
				  p->lock_cap);
	mmap_write_unlock(p->mm);
	if (!ret) {
		p->locked += npages;
		atomic64_add(npages, &vfm_stats.locked_pages);
	} else if (npages > 0) {
		pr_warn_ratelimited("vfio_mirror: %s (%d): RLIMIT_MEMLOCK (%lu) exceeded\n",
				    p->task->comm, task_pid_nr(p->task),
				    task_rlimit(p->task, RLIMIT_MEMLOCK));
	}
out:
	mmput(p->mm);
	return ret;
}

/*
 * Look up one page frame of a VM_PFNMAP mapping (device memory mapped
 * into the process, for peer-to-peer DMA).  Called with mmap_lock held
 * for read; fixup_user_fault() may drop and retake it, after which the
 * vma must be looked up again.
 */
static int vfm_follow_pfnmap(struct mm_struct *mm, unsigned long vaddr,
			     bool write, unsigned long *pfn)
{
	struct follow_pfnmap_args args;
	struct vm_area_struct *vma;
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

	if (write && !args.writable)
		ret = -EFAULT;
	else
		*pfn = args.pfn;
	follow_pfnmap_end(&args);

	/* A PFNMAP frame that has a normal struct page is not device memory. */
	if (!ret && !vfm_pfn_rsvd(*pfn))
		ret = -EFAULT;
	return ret;
}

/*
 * The runs live in @p->inline_run while there is one, as for every
 * mapping of physically contiguous memory; beyond that in an array that
 * doubles as it fills and is trimmed when pinning ends.
 */
static int vfm_pages_grow(struct vfm_pages *p)
{
	unsigned long want = max(2 * p->max_runs, (unsigned long)VFM_MIN_RUNS);
	struct vfm_pfn_run *runs;

	if (!p->max_runs) {
		p->runs = &p->inline_run;
		p->max_runs = 1;
		return 0;
	}
	if (p->runs == &p->inline_run) {
		runs = kvmalloc_array(want, sizeof(*runs), GFP_KERNEL_ACCOUNT);
		if (runs)
			runs[0] = p->inline_run;
	} else {
		runs = kvrealloc(p->runs, array_size(want, sizeof(*runs)),
				 GFP_KERNEL_ACCOUNT);
	}
	if (!runs)
		return -ENOMEM;
	p->runs = runs;
	p->max_runs = want;
	return 0;
}

static void vfm_pages_trim(struct vfm_pages *p)
{
	struct vfm_pfn_run *runs;

	if (p->runs == &p->inline_run || p->nr_runs == p->max_runs)
		return;
	runs = kvrealloc(p->runs, array_size(p->nr_runs, sizeof(*runs)),
			 GFP_KERNEL_ACCOUNT);
	if (runs) {
		p->runs = runs;
		p->max_runs = p->nr_runs;
	}
}

static void vfm_pages_free_runs(struct vfm_pages *p)
{
	if (p->runs != &p->inline_run)
		kvfree(p->runs);
	p->runs = NULL;
	p->nr_runs = 0;
	p->max_runs = 0;
}

/* Append one frame, to the last run if it continues it. */
static int vfm_pages_append(struct vfm_pages *p, unsigned long pfn,
			    bool pinned)
{
	struct vfm_pfn_run *run = p->nr_runs ? &p->runs[p->nr_runs - 1] : NULL;
	int ret;

	if (run && !vfm_disable_hugepages && run->pinned == pinned &&
	    run->pfn + run->npages == pfn) {
		run->npages++;
		return 0;
	}
	if (p->nr_runs == p->max_runs) {
		ret = vfm_pages_grow(p);
		if (ret)
			return ret;
	}
	p->runs[p->nr_runs++] = (struct vfm_pfn_run){
		.pfn = pfn, .npages = 1, .pinned = pinned,
	};
	return 0;
}

/*
 * Pin up to @want pages at @vaddr into @batch.  Returns the number of
 * frames obtained (> 0) or an errno.  A VM_PFNMAP mapping yields one frame
 * at a time, reported through @pfnmap_pfn with *@batch left untouched.
 */
static long vfm_pin_batch(struct vfm_pages *p, unsigned long vaddr,
			  unsigned long want, bool write, struct page **batch,
			  unsigned long *pfnmap_pfn)
{
	unsigned int flags = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	long got;
	int ret;

	mmap_read_lock(p->mm);
	got = pin_user_pages_remote(p->mm, vaddr, want, flags, batch, NULL);
	if (got <= 0) {
		ret = vfm_follow_pfnmap(p->mm, vaddr, write, pfnmap_pfn);
		/* Not a PFNMAP either: report what pinning said. */
		if (ret == -EFAULT && got < 0)
			ret = got;
		got = ret ? ret : 0;
	}
	mmap_read_unlock(p->mm);
	return got;
}

/**
 * vfm_pages_pin() - pin and charge user pages
 * @p: pages initialised by vfm_pages_init(), with nothing pinned yet.
 * @vaddr: page-aligned user address in @p's mm; @vaddr + @npages pages
 *	must not wrap.
 * @npages: number of pages, at least one.
 * @write: the device may write to the pages.
 *
 * Context: process context of @p's owner (pages are pinned from the
 * caller's mm).
 * Return: 0 with every page pinned and charged, or an errno with nothing
 * pinned or charged: -ENOMEM when RLIMIT_MEMLOCK would be exceeded, -EFAULT
 * when an address is not mapped with the needed access, -EINTR when a
 * fatal signal is pending.
 */
int vfm_pages_pin(struct vfm_pages *p, unsigned long vaddr,
		  unsigned long npages, bool write)
{
	unsigned long done = 0;
	struct page **batch;
	int ret = 0;

	if (WARN_ON(p->nr_runs || p->mm != current->mm))
		return -EINVAL;

	p->writable = write;
	batch = (struct page **)__get_free_page(GFP_KERNEL);
	if (!batch)
		return -ENOMEM;

	while (done < npages) {
		unsigned long want = min(npages - done, VFM_PIN_BATCH);
		unsigned long pfnmap_pfn = 0, i, charge = 0;
		long got;

		/* A killed VMM's map ends here, unwound below. */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
		got = vfm_pin_batch(p, vaddr + (done << PAGE_SHIFT), want,
				    write, batch, &pfnmap_pfn);
		if (got < 0) {
			ret = got;
			break;
		}

		if (!got) {
			/* One PFNMAP frame: neither pinned nor charged. */
			ret = vfm_pages_append(p, pfnmap_pfn, false);
			if (ret)
				break;
			done++;
			continue;
		}

		for (i = 0; i < got; i++) {
			unsigned long pfn = page_to_pfn(batch[i]);

			ret = vfm_pages_append(p, pfn, true);
			if (ret) {
				/* Not recorded, so not unpinned below. */
				unpin_user_pages(batch + i, got - i);
				break;
			}
			charge += !vfm_pfn_rsvd(pfn);
		}
		atomic64_add(i, &vfm_stats.pinned_pages);
		done += i;
		if (!ret)
			ret = vfm_pages_charge(p, charge);
		if (ret)
			break;
	}

	free_page((unsigned long)batch);
	if (ret)
		vfm_pages_unpin(p);
	else
		vfm_pages_trim(p);
	return ret;
}

/**
 * vfm_pages_unpin() - unpin every page of @p and return its charge
 * @p: pinned pages; stays initialised, with nothing pinned.
 *
 * The caller has removed the pages from every IOMMU domain and flushed the
 * IOTLBs.  Pages the device may have written are marked dirty.
 */
void vfm_pages_unpin(struct vfm_pages *p)
{
	unsigned long i;

	for (i = 0; i < p->nr_runs; i++) {
		struct vfm_pfn_run *run = &p->runs[i];

		if (run->pinned) {
			unpin_user_page_range_dirty_lock(pfn_to_page(run->pfn),
							 run->npages,
							 p->writable);
			atomic64_sub(run->npages, &vfm_stats.pinned_pages);
		}
		if (!(i % 64))
			cond_resched();
	}
	vfm_pages_free_runs(p);

	/* If the mm is gone, so is its locked_vm. */
	if (p->locked && vfm_pages_charge(p, -(long)p->locked))
		atomic64_sub(p->locked, &vfm_stats.locked_pages);
	p->locked = 0;
}

/**
 * vfm_pages_fini() - drop the owner references taken by vfm_pages_init()
 * @p: pages with nothing pinned.
 */
void vfm_pages_fini(struct vfm_pages *p)
{
	WARN_ON(p->nr_runs);
	mmdrop(p->mm);
	put_task_struct(p->task);
}
