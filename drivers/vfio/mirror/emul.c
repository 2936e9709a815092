// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: mediated devices, the groups of VFIO_EMULATED_IOMMU.
 *
 * A mediated device (vfio-ap, a vGPU of GVT-g, the test module's device)
 * never does DMA through an IOMMU: its driver reaches the user's memory
 * through the backend, pinning pages by IOVA (vfio_pin_pages()), copying
 * through the user's address space (vfio_dma_rw()), and being told before
 * a range it may have pinned is unmapped (vfio_device_ops::dma_unmap).
 * The rules are vfio_iommu_type1's:
 *
 *  - a mediated group needs no domain.  A container with only mediated
 *    groups pins nothing at VFIO_IOMMU_MAP_DMA; its devices pin page by
 *    page, and each page they pin is charged to locked_vm once, however
 *    often it is pinned;
 *  - while the container has domains every mapped page is pinned and
 *    charged already: a device's pin takes one more reference on the
 *    page and no charge.  When the first IOMMU group joins, its replay
 *    pins every mapping (dma.c) and charges none of the pages devices
 *    hold; when the last one leaves, the mappings are unpinned but for
 *    the pages devices hold, which stay charged;
 *  - pinning needs the type1v2 rules (-EACCES for VFIO_TYPE1_IOMMU), a
 *    registered device to notify (-EINVAL), an IOVA inside a mapping
 *    (-EINVAL) that allows the access asked (-EPERM);
 *  - before any mapping holding devices' pins is unmapped, every device
 *    is told, without the container's lock, and must unpin what it holds
 *    there; the unmap then starts again;
 *  - VFIO_UPDATE_VADDR cannot be used while a mediated group is attached,
 *    and a mediated group cannot join while user addresses are invalid:
 *    its device could not pin.
 *
 * The devices' pins live in an xarray indexed by IOVA page, so that a
 * mapping without any costs nothing to check at unmap.
 */
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfm.h"

/* An unmap retries this often for devices that do not unpin. */
#define VFM_EMUL_UNMAP_RETRIES	10

/**
 * vfm_emul_init() - the mediated-device state of a new container
 * @c: the container.
 */
void vfm_emul_init(struct vfm_container *c)
{
	INIT_LIST_HEAD(&c->emul_groups);
	/*
	 * Their nodes are the VMM's, as the rest of VFM_GFP: a node the
	 * xarray allocates under its lock is charged only with this flag.
	 */
	xa_init_flags(&c->pins, XA_FLAGS_ACCOUNT);
	init_rwsem(&c->devices_rwsem);
	INIT_LIST_HEAD(&c->devices);
	xa_init_flags(&c->dirty, XA_FLAGS_ACCOUNT);
}

static struct vfm_group *vfm_emul_find(struct vfm_container *c,
				       struct iommu_group *iommu_group)
{
	struct vfm_group *g;

	list_for_each_entry(g, &c->emul_groups, next)
		if (g->iommu_group == iommu_group)
			return g;
	return NULL;
}

/**
 * vfm_emul_attach_group() - add a mediated group to a container
 * @c: container.
 * @iommu_group: the group.
 *
 * Return: 0; -EBUSY while user addresses are invalid
 * (VFIO_DMA_UNMAP_FLAG_VADDR); -EINVAL when already attached; -ENOMEM.
 */
int vfm_emul_attach_group(struct vfm_container *c,
			  struct iommu_group *iommu_group)
{
	struct vfm_group *g;
	int ret;

	mutex_lock(&c->lock);
	ret = -EBUSY;
	if (c->vaddr_invalid)
		goto out;
	ret = -EINVAL;
	if (vfm_emul_find(c, iommu_group))
		goto out;
	ret = -ENOMEM;
	g = kzalloc(sizeof(*g), VFM_GFP);
	if (!g)
		goto out;
	g->iommu_group = iommu_group;
	/* It can dirty only what its devices pin, or write with dma_rw. */
	g->pinned_scope = true;
	list_add_tail(&g->next, &c->emul_groups);
	ret = 0;
out:
	mutex_unlock(&c->lock);
	return ret;
}

/*
 * Whether a device's pin of a page of @dma carries a charge: without
 * domains, or always in a shared account, where each holder of a page
 * holds a reference (acct.c).
 */
static bool vfm_emul_charges(struct vfm_container *c, struct vfm_dma *dma)
{
	return list_empty(&c->domains) || vfm_acct_shared(dma->owner);
}

/* Unpin and forget a pin whose last reference is gone. */
static void vfm_emul_put(struct vfm_container *c, struct vfm_dma *dma,
			 struct vfm_pin *pin)
{
	bool charged = vfm_emul_charges(c, dma);

	if (!is_zero_pfn(pin->pfn)) {
		struct page *page = pfn_to_page(pin->pfn);

		unpin_user_pages_dirty_lock(&page, 1, dma->prot & IOMMU_WRITE);
		c->pinned_pages--;
		atomic64_dec(&vfm_stats.pinned_pages);
	}
	if (charged && !pin->rsvd) {
		vfm_acct_uncharge_page(dma->owner, pin->pfn);
		c->locked_pages--;
	}
	kfree(pin);
}

/*
 * Drop what devices still hold pinned: none should be left by the time
 * their groups are gone (each device unpins before it closes).
 */
static void vfm_emul_drop_pins(struct vfm_container *c)
{
	struct vfm_pin *pin;
	unsigned long idx;

	lockdep_assert_held(&c->lock);
	xa_for_each(&c->pins, idx, pin) {
		struct vfm_dma *dma = vfm_dma_first(c, idx << PAGE_SHIFT,
						    idx << PAGE_SHIFT);

		WARN_ON_ONCE(1);
		xa_erase(&c->pins, idx);
		if (!WARN_ON(!dma))
			vfm_emul_put(c, dma, pin);
	}
}

/**
 * vfm_emul_detach_group() - remove a mediated group from a container
 * @c: container.
 * @iommu_group: a group the VFIO core attached.
 *
 * The last group of the container takes every mapping with it.
 *
 * Return: true if @iommu_group was a mediated group of @c.
 */
bool vfm_emul_detach_group(struct vfm_container *c,
			   struct iommu_group *iommu_group)
{
	struct vfm_group *g;

	mutex_lock(&c->lock);
	g = vfm_emul_find(c, iommu_group);
	if (g) {
		list_del(&g->next);
		kfree(g);
		if (list_empty(&c->emul_groups) && list_empty(&c->domains)) {
			WARN_ON(c->nr_devices);
			vfm_emul_drop_pins(c);
			vfm_dma_remove_all(c, false);
		}
	}
	mutex_unlock(&c->lock);
	return g;
}

/**
 * vfm_emul_release() - free the mediated groups of a released container
 * @c: container, locked, its IOMMU groups detached but its domains and
 *	mappings still there.
 */
void vfm_emul_release(struct vfm_container *c)
{
	struct vfm_group *g, *tmp;

	lockdep_assert_held(&c->lock);
	list_for_each_entry_safe(g, tmp, &c->emul_groups, next) {
		list_del(&g->next);
		kfree(g);
	}
	vfm_emul_drop_pins(c);
	xa_destroy(&c->pins);
	xa_destroy(&c->dirty);
}

/**
 * vfm_emul_absent() - may user addresses be invalidated (VFIO_UPDATE_VADDR)?
 * @c: container.
 *
 * Return: true when no mediated group is attached.
 */
bool vfm_emul_absent(struct vfm_container *c)
{
	bool ret;

	if (vfm_container_lock(c))
		return false;
	ret = list_empty(&c->emul_groups);
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * vfm_emul_pinned() - do devices hold pages pinned in an IOVA range?
 * @c: container, locked.
 * @start: first IOVA.
 * @last: last IOVA.
 *
 * Return: true if they hold at least one.
 */
bool vfm_emul_pinned(struct vfm_container *c, dma_addr_t start,
		     dma_addr_t last)
{
	unsigned long idx = start >> PAGE_SHIFT;

	lockdep_assert_held(&c->lock);
	/* Most containers have no mediated device: no walk for them. */
	if (xa_empty(&c->pins))
		return false;
	return xa_find(&c->pins, &idx, last >> PAGE_SHIFT, XA_PRESENT);
}

/**
 * vfm_emul_charged() - pages in an IOVA range whose charge a pin carries
 * @c: container, locked.
 * @start: first IOVA.
 * @last: last IOVA.
 *
 * Return: the pages devices hold pinned in the range that are charged
 * (not vfm_pfn_rsvd()): a mapping's pinning neither charges nor
 * uncharges them.
 */
unsigned long vfm_emul_charged(struct vfm_container *c, dma_addr_t start,
			       dma_addr_t last)
{
	unsigned long idx, n = 0;
	struct vfm_pin *pin;

	lockdep_assert_held(&c->lock);
	if (xa_empty(&c->pins))
		return 0;
	xa_for_each_range(&c->pins, idx, pin, start >> PAGE_SHIFT,
			  last >> PAGE_SHIFT)
		n += !pin->rsvd;
	return n;
}

/**
 * vfm_emul_acct_pins() - move the references of @dma's pins (acct.c)
 * @c: container, locked.
 * @dma: a mapping.
 * @o: an owner in a shared account.
 * @get: take a reference in @o's account on each charged pin of @dma's,
 *	or drop one.
 * @refs: the references taken or dropped are added to it.
 *
 * Return: 0, or an errno of vfm_acct_get() with nothing taken.
 */
int vfm_emul_acct_pins(struct vfm_container *c, struct vfm_dma *dma,
		       struct vfm_owner *o, bool get, unsigned long *refs)
{
	unsigned long first = vfm_dma_iova(dma) >> PAGE_SHIFT;
	unsigned long last = vfm_dma_last(dma) >> PAGE_SHIFT;
	unsigned long idx, failed, held;
	struct vfm_pin *pin;
	struct vfm_run run;
	int ret;

	lockdep_assert_held(&c->lock);
	xa_for_each_range(&c->pins, idx, pin, first, last) {
		if (pin->rsvd)
			continue;
		run = (struct vfm_run){ .pfn = pin->pfn, .npages = 1 };
		if (!get) {
			*refs += vfm_acct_put(o, &run, 1);
			continue;
		}
		ret = vfm_acct_get(o, &run, 1, &held);
		if (ret)
			goto undo;
		*refs += held;
	}
	return 0;

undo:
	failed = idx;
	xa_for_each_range(&c->pins, idx, pin, first, last) {
		if (idx == failed)
			break;
		run = (struct vfm_run){ .pfn = pin->pfn, .npages = 1 };
		if (!pin->rsvd)
			vfm_acct_put(o, &run, 1);
	}
	return ret;
}

/**
 * vfm_emul_acct_backfill() - reference the pages devices hold, for an
 *	account going shared (acct.c)
 * @c: container, locked.
 * @a: the account, its lock held.
 * @new: the pages to charge for them are added to it.
 * @refs: the references taken are added to it.
 *
 * Return: 0, or -ENOMEM.
 */
int vfm_emul_acct_backfill(struct vfm_container *c, struct vfm_acct *a,
			   unsigned long *new, unsigned long *refs)
{
	struct vfm_pin *pin;
	unsigned long idx;
	int ret;

	lockdep_assert_held(&c->lock);
	xa_for_each(&c->pins, idx, pin) {
		struct vfm_dma *dma = vfm_dma_first(c, idx << PAGE_SHIFT,
						    idx << PAGE_SHIFT);
		struct vfm_run run = { .pfn = pin->pfn, .npages = 1 };

		if (!dma || dma->owner->acct != a || pin->rsvd)
			continue;
		ret = vfm_acct_ref_runs(a, &run, 1, new, refs);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/**
 * vfm_emul_notify_unmap() - tell every device that @dma goes away
 * @c: container, locked; unlocked while the devices are called.
 * @dma: a mapping with pages the devices hold; it may be gone on return.
 *
 * Return: 0 with @c locked again, or -EINVAL, unlocked, when @c was
 * released meanwhile.
 */
int vfm_emul_notify_unmap(struct vfm_container *c, struct vfm_dma *dma)
{
	dma_addr_t iova = vfm_dma_iova(dma);
	u64 size = vfm_dma_size(dma);
	struct vfio_device *vdev;

	/* Devices unpin from their callback, through this container. */
	mutex_unlock(&c->lock);
	down_read(&c->devices_rwsem);
	list_for_each_entry(vdev, &c->devices, iommu_entry)
		vdev->ops->dma_unmap(vdev, iova, size);
	up_read(&c->devices_rwsem);
	return vfm_container_lock(c);
}

/**
 * vfm_emul_unmap_retry() - may an unmap notify the devices once more?
 * @iova: the mapping it notifies them of.
 * @highest: the highest mapping notified so far; updated.
 * @retries: 0 before the first notification, then 1 plus the
 *	notifications of mappings notified before; updated.
 *
 * An unmap checks its mappings in IOVA order and starts over after each
 * notification, so a mapping above every one notified before is progress;
 * any other was pinned again, and counts as a retry, whichever it is (a
 * device that pins one mapping while told of another cannot keep the
 * unmap going round).
 *
 * Return: true, or false when devices kept or took pins through
 * VFM_EMUL_UNMAP_RETRIES retries (type1 calls BUG() there).
 */
bool vfm_emul_unmap_retry(dma_addr_t iova, dma_addr_t *highest,
			  unsigned int *retries)
{
	if (*retries && iova <= *highest) {
		if (++*retries > VFM_EMUL_UNMAP_RETRIES) {
			pr_warn_ratelimited("vfio_mirror: mediated devices keep pages pinned at IOVA %pad\n",
					    &iova);
			return false;
		}
		return true;
	}
	*highest = iova;
	if (!*retries)
		*retries = 1;
	return true;
}

/* Pin the page at @iova of @dma for a device, with no pin there yet. */
static int vfm_emul_pin_new(struct vfm_container *c, struct vfm_dma *dma,
			    dma_addr_t iova, struct page **page)
{
	bool charge = vfm_emul_charges(c, dma);
	unsigned long vaddr = dma->vaddr + (iova - vfm_dma_iova(dma));
	struct mm_struct *mm = dma->owner->mm;
	unsigned int flags = FOLL_LONGTERM;
	struct vfm_pin *pin;
	long got;
	int ret;

	if (dma->prot & IOMMU_WRITE)
		flags |= FOLL_WRITE;
	if (!mmget_not_zero(mm))
		return -ENODEV;
	mmap_read_lock(mm);
	got = pin_user_pages_remote(mm, vaddr, 1, flags, page, NULL);
	mmap_read_unlock(mm);
	mmput(mm);
	if (got != 1)
		return got < 0 ? got : -EFAULT;

	ret = -ENOMEM;
	pin = kmalloc(sizeof(*pin), VFM_GFP);
	if (!pin)
		goto out_unpin;
	pin->pfn = page_to_pfn(*page);
	pin->refs = 1;
	pin->rsvd = vfm_pfn_rsvd(pin->pfn);
	if (charge && !pin->rsvd) {
		ret = vfm_acct_charge_page(dma->owner, pin->pfn);
		if (ret)
			goto out_free;
	}
	ret = xa_err(xa_store(&c->pins, iova >> PAGE_SHIFT, pin,
			      VFM_GFP));
	if (ret)
		goto out_uncharge;
	if (charge && !pin->rsvd)
		c->locked_pages++;
	if (!is_zero_pfn(pin->pfn)) {
		c->pinned_pages++;
		atomic64_inc(&vfm_stats.pinned_pages);
	}
	return 0;

out_uncharge:
	if (charge && !pin->rsvd)
		vfm_acct_uncharge_page(dma->owner, pin->pfn);
out_free:
	kfree(pin);
out_unpin:
	if (!is_zero_pfn(page_to_pfn(*page)))
		unpin_user_page(*page);
	return ret;
}

/* Drop one pin of the page at @iova of @dma. */
static void vfm_emul_unpin_one(struct vfm_container *c, struct vfm_dma *dma,
			       dma_addr_t iova)
{
	unsigned long idx = iova >> PAGE_SHIFT;
	struct vfm_pin *pin = xa_load(&c->pins, idx);

	if (!pin || --pin->refs)
		return;
	xa_erase(&c->pins, idx);
	vfm_emul_put(c, dma, pin);
	/* Dirty until reported, as if it were still pinned. */
	if (c->dirty_tracking)
		vfm_dirty_mark(c, dma, iova, iova + PAGE_SIZE - 1);
}

static struct vfm_dma *vfm_emul_dma(struct vfm_container *c,
				    dma_addr_t iova, int i)
{
	dma_addr_t at;

	if (check_add_overflow(iova, (dma_addr_t)i << PAGE_SHIFT, &at))
		return NULL;
	return vfm_dma_first(c, at, at);
}

/**
 * vfm_emul_pin_pages() - the pin_pages op: vfio_pin_pages() of a device
 * @iommu_data: container.
 * @iommu_group: the device's group.
 * @iova: first IOVA, page aligned.
 * @npage: pages, at most VFIO_PIN_PAGES_MAX_ENTRIES (the core checks).
 * @prot: IOMMU_READ and/or IOMMU_WRITE: the access the device needs.
 * @pages: set to the pages.
 *
 * Return: @npage; -EACCES for a container with the type1 (v1) rules;
 * -EINVAL when no device that can be notified is registered, or an IOVA
 * is not mapped; -EPERM when a mapping lacks the access; -EBUSY while
 * user addresses are invalid; or the errno of pinning, with nothing
 * pinned.
 */
int vfm_emul_pin_pages(void *iommu_data, struct iommu_group *iommu_group,
		       dma_addr_t iova, int npage, int prot,
		       struct page **pages)
{
	struct vfm_container *c = iommu_data;
	struct vfm_group *g;
	struct vfm_dma *dma;
	struct vfm_pin *pin;
	int i, j, ret;

	if (!c || !pages)
		return -EINVAL;
	if (!c->v2)
		return -EACCES;
	ret = vfm_container_lock(c);
	if (ret)
		return ret;

	ret = -EBUSY;
	if (WARN_ONCE(c->vaddr_invalid,
		      "vfio_pin_pages while user addresses are invalid\n"))
		goto out_unlock;
	ret = -EINVAL;
	if (!c->nr_devices)
		goto out_unlock;

	for (i = 0; i < npage; i++) {
		dma_addr_t at = iova + ((dma_addr_t)i << PAGE_SHIFT);

		dma = vfm_emul_dma(c, iova, i);
		ret = -EINVAL;
		if (!dma)
			goto unwind;
		ret = -EPERM;
		if ((dma->prot & prot) != prot)
			goto unwind;
		pin = xa_load(&c->pins, at >> PAGE_SHIFT);
		if (pin) {
			pin->refs++;
			pages[i] = pfn_to_page(pin->pfn);
			continue;
		}
		ret = vfm_emul_pin_new(c, dma, at, &pages[i]);
		if (ret)
			goto unwind;
		if (c->dirty_tracking)
			vfm_dirty_mark(c, dma, at, at + PAGE_SIZE - 1);
	}

	/* A group that pins declares what it dirties. */
	g = vfm_domain_group(c, iommu_group);
	if (g && !g->pinned_scope) {
		g->pinned_scope = true;
		c->non_pinned_groups--;
	}
	mutex_unlock(&c->lock);
	return npage;

unwind:
	pages[i] = NULL;
	for (j = 0; j < i; j++) {
		dma = vfm_emul_dma(c, iova, j);
		vfm_emul_unpin_one(c, dma, iova + ((dma_addr_t)j << PAGE_SHIFT));
		pages[j] = NULL;
	}
out_unlock:
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * vfm_emul_unpin_pages() - the unpin_pages op: vfio_unpin_pages()
 * @iommu_data: container.
 * @iova: first IOVA, as pinned.
 * @npage: pages.
 */
void vfm_emul_unpin_pages(void *iommu_data, dma_addr_t iova, int npage)
{
	struct vfm_container *c = iommu_data;
	struct vfm_dma *dma;
	int i;

	if (WARN_ON(!c->v2) || vfm_container_lock(c))
		return;
	for (i = 0; i < npage; i++) {
		dma = vfm_emul_dma(c, iova, i);
		if (!dma)
			break;
		vfm_emul_unpin_one(c, dma, iova + ((dma_addr_t)i << PAGE_SHIFT));
	}
	mutex_unlock(&c->lock);
	/* A device unpinning what was never mapped is a driver bug. */
	WARN_ON(i != npage);
}

/* Copy up to @count bytes at @iova, inside one mapping. */
static int vfm_emul_rw_chunk(struct vfm_container *c, dma_addr_t iova,
			     void *data, size_t count, bool write,
			     size_t *done)
{
	struct vfm_dma *dma = vfm_dma_first(c, iova, iova);
	bool kthread = !current->mm;
	struct mm_struct *mm;
	void __user *uaddr;
	unsigned long left;
	u64 off;
	int ret = -EFAULT;

	*done = 0;
	if (!dma)
		return -EINVAL;
	/* As type1: a mapping the device cannot read is not copied. */
	if ((write && !(dma->prot & IOMMU_WRITE)) || !(dma->prot & IOMMU_READ))
		return -EPERM;
	mm = dma->owner->mm;
	if (!mmget_not_zero(mm))
		return -EPERM;
	if (kthread)
		kthread_use_mm(mm);
	else if (current->mm != mm)
		goto out;

	off = iova - vfm_dma_iova(dma);
	count = min_t(u64, count, vfm_dma_size(dma) - off);
	uaddr = (void __user *)(dma->vaddr + off);
	if (write)
		left = copy_to_user(uaddr, data, count);
	else
		left = copy_from_user(data, uaddr, count);
	if (!left) {
		*done = count;
		ret = 0;
		if (write && c->dirty_tracking)
			vfm_dirty_mark(c, dma, iova, iova + count - 1);
	}
	if (kthread)
		kthread_unuse_mm(mm);
out:
	mmput(mm);
	return ret;
}

/**
 * vfm_emul_dma_rw() - the dma_rw op: vfio_dma_rw() of a device
 * @iommu_data: container.
 * @iova: first IOVA.
 * @data: kernel buffer.
 * @count: bytes.
 * @write: copy @data to the user's memory, else from it.
 *
 * Runs in the owner's process or in a kernel thread, which borrows the
 * owner's mm.
 *
 * Return: 0; -EINVAL when an IOVA is not mapped; -EPERM when a mapping
 * cannot be read (or written, for @write) by the device, or its owner's
 * mm is gone; -EFAULT when the copy fails, or another process calls;
 * -EBUSY while user addresses are invalid.
 */
int vfm_emul_dma_rw(void *iommu_data, dma_addr_t iova, void *data,
		    size_t count, bool write)
{
	struct vfm_container *c = iommu_data;
	size_t done;
	int ret;

	ret = vfm_container_lock(c);
	if (ret)
		return ret;
	if (WARN_ONCE(c->vaddr_invalid,
		      "vfio_dma_rw while user addresses are invalid\n"))
		ret = -EBUSY;
	while (!ret && count) {
		ret = vfm_emul_rw_chunk(c, iova, data, count, write, &done);
		count -= done;
		data += done;
		iova += done;
	}
	mutex_unlock(&c->lock);
	return ret;
}

/**
 * vfm_emul_register_device() - a device of an attached group was opened
 * @iommu_data: container.
 * @vdev: the device; only one with a dma_unmap op can pin.
 */
void vfm_emul_register_device(void *iommu_data, struct vfio_device *vdev)
{
	struct vfm_container *c = iommu_data;

	if (!vdev->ops->dma_unmap)
		return;
	down_write(&c->devices_rwsem);
	mutex_lock(&c->lock);
	list_add(&vdev->iommu_entry, &c->devices);
	c->nr_devices++;
	mutex_unlock(&c->lock);
	up_write(&c->devices_rwsem);
}

/**
 * vfm_emul_unregister_device() - undo vfm_emul_register_device()
 * @iommu_data: container.
 * @vdev: the device, closed: it holds no pins any more.
 */
void vfm_emul_unregister_device(void *iommu_data, struct vfio_device *vdev)
{
	struct vfm_container *c = iommu_data;

	if (!vdev->ops->dma_unmap)
		return;
	down_write(&c->devices_rwsem);
	mutex_lock(&c->lock);
	list_del(&vdev->iommu_entry);
	c->nr_devices--;
	mutex_unlock(&c->lock);
	up_write(&c->devices_rwsem);
}
