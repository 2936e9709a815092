// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: one locked_vm charge per page per process.
 *
 * type1 charges a page to locked_vm once per container that pins it, so a
 * VMM that maps its guest's memory into N containers (one per assigned
 * device behind a virtual IOMMU) needs N times the memory in
 * RLIMIT_MEMLOCK.  vfio-mirror charges a page pinned through several
 * containers of one process once, with a record shared by them.
 *
 * An account (struct vfm_acct) is what vfio-mirror charges to one mm.
 * Every container that charges an mm is linked to its account, before it
 * can make an owner for it (vfm_acct_link(), outside the container's lock).
 * An account has two modes:
 *
 *  - direct, while one container is linked: that container charges as it
 *    always did (pin.c, dma.c, emul.c), by counts, and the account costs
 *    nothing per page;
 *  - shared, from when a second container links, for as long as the
 *    account lives: every holder of a page takes a reference on its frame
 *    in the account's record (an xarray from frame to references), and
 *    locked_vm is charged when a frame gets its first reference and
 *    uncharged when it loses its last.  The holders are each page of each
 *    mapping of a container with domains (pinned by it), and each page a
 *    mediated device holds pinned, with or without domains.
 *
 * Going shared (vfm_acct_engage()) takes the first container's lock and
 * records what it holds, then returns what it had charged twice: the
 * charge goes from what the container charged to the frames it holds.
 * An account never goes back to direct while a container is linked: that
 * would have to charge again what sharing saved, which may not fit the
 * limit any more.
 *
 * Why the charge cannot fall below the frames the process holds pinned:
 * in shared mode every pinned frame has a reference from each of its
 * holders, taken before the pin is published and dropped after it is
 * unpinned, and a frame is charged while it has one.  The record is keyed
 * by frame, not by address: memory replaced behind an address and mapped
 * again is a new frame, and is charged again.
 *
 * Lock order (vfm.h): vfm_acct::link_lock is taken without any
 * container's lock and takes them, one at a time; vfm_acct::lock is taken
 * under a container's lock, and takes mmap_lock (vfm_charge()).  The mode
 * is written under link_lock and the lock of the only container linked,
 * before the second is linked: a container reads it under its own lock.
 * Only the callers of one mm wait for each other on link_lock; the global
 * vfm_accts_lock is held just to find or drop an account.
 */
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "vfm.h"

/**
 * struct vfm_acct_link - a container that charges an mm
 * @c_node: entry in vfm_container::accts.
 * @a_node: entry in vfm_acct::links.
 * @c: the container.
 * @acct: the account.
 */
struct vfm_acct_link {
	struct list_head c_node;
	struct list_head a_node;
	struct vfm_container *c;
	struct vfm_acct *acct;
};

static DEFINE_MUTEX(vfm_accts_lock);
static LIST_HEAD(vfm_accts);

/**
 * vfm_acct_find() - the account of @mm that @c is linked to
 * @c: container, locked.
 * @mm: an mm.
 *
 * Return: the account, or NULL.
 */
struct vfm_acct *vfm_acct_find(struct vfm_container *c, struct mm_struct *mm)
{
	struct vfm_acct_link *l;

	list_for_each_entry(l, &c->accts, c_node)
		if (l->acct->mm == mm)
			return l->acct;
	return NULL;
}

/*
 * References of a frame that share its one charge.  Each further one is
 * charged, as type1 charges every mapping of a page: so a process cannot
 * pin one page more than this many times beyond what RLIMIT_MEMLOCK
 * allows it, and a folio's reference count stays far from overflowing
 * (GUP adds 1024 per pin of a small folio, 1 per pin of a page of a
 * large one: 4096 pins of each page of a 1 GiB folio are 2^30).
 */
#define VFM_ACCT_SHARED_REFS	4096

/*
 * Frames walked under the record's spinlock at once: 16 leaf nodes of the
 * xarray, so that a long run does not hold it for long.
 */
#define VFM_ACCT_CHUNK		(16 * XA_CHUNK_SIZE)

/*
 * Whether the reference that takes a frame from @refs to @refs + 1 is
 * charged: the first, and every one past VFM_ACCT_SHARED_REFS.
 */
static bool vfm_acct_charges(unsigned long refs)
{
	return !refs || refs >= VFM_ACCT_SHARED_REFS;
}

/*
 * Take a reference on each of @n frames from @pfn, at most
 * VFM_ACCT_CHUNK, in one walk of the record; the first *@done have one on
 * return, and *@new counts the pages to charge for them.
 */
static int vfm_acct_ref_chunk(struct vfm_acct *a, unsigned long pfn,
			      unsigned long n, unsigned long *done,
			      unsigned long *new)
{
	XA_STATE(xas, &a->refs, pfn);
	unsigned long i = 0, v, frames = 0, charged = 0;
	void *old;

	do {
		xas_lock(&xas);
		for (old = xas_load(&xas); i < n; old = xas_next(&xas)) {
			v = old ? xa_to_value(old) : 0;
			xas_store(&xas, xa_mk_value(v + 1));
			if (xas_error(&xas))
				break;
			frames += !v;
			charged += vfm_acct_charges(v);
			i++;
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, VFM_GFP));

	a->nr_frames += frames;
	a->charged += charged;
	atomic64_add(frames, &vfm_stats.shared_frames);
	*new += charged;
	*done += i;
	return xas_error(&xas);
}

/*
 * Drop a reference on each of @n frames from @pfn, at most
 * VFM_ACCT_CHUNK; *@freed counts the pages to uncharge for them.
 */
static void vfm_acct_unref_chunk(struct vfm_acct *a, unsigned long pfn,
				 unsigned long n, unsigned long *freed)
{
	XA_STATE(xas, &a->refs, pfn);
	unsigned long i, v, frames = 0, charged = 0;
	void *old;

	xas_lock(&xas);
	for (old = xas_load(&xas), i = 0; i < n; old = xas_next(&xas), i++) {
		/* A reference dropped that was never taken: a bug here. */
		if (WARN_ON_ONCE(!xa_is_value(old)))
			continue;
		/* Replacing or erasing a present entry allocates nothing. */
		v = xa_to_value(old);
		xas_store(&xas, v > 1 ? xa_mk_value(v - 1) : NULL);
		frames += v == 1;
		charged += vfm_acct_charges(v - 1);
	}
	xas_unlock(&xas);

	a->nr_frames -= frames;
	a->charged -= charged;
	atomic64_sub(frames, &vfm_stats.shared_frames);
	*freed += charged;
}

/*
 * Drop the references on the first @limit charged frames of @runs (all,
 * with ULONG_MAX); return how many were dropped.
 */
static unsigned long vfm_acct_unref_runs(struct vfm_acct *a,
					 const struct vfm_run *runs,
					 unsigned int nr, unsigned long limit,
					 unsigned long *freed)
{
	unsigned long j, n, done = 0;
	unsigned int i;

	for (i = 0; i < nr && done < limit; i++) {
		if (runs[i].rsvd)
			continue;
		for (j = 0; j < runs[i].npages && done < limit; j += n) {
			n = min3(runs[i].npages - j, limit - done,
				 (unsigned long)VFM_ACCT_CHUNK);
			vfm_acct_unref_chunk(a, runs[i].pfn + j, n, freed);
			done += n;
			cond_resched();
		}
	}
	return done;
}

/**
 * vfm_acct_ref_runs() - take a reference on every charged frame of runs
 * @a: an account, its lock held.
 * @runs: frames.
 * @nr: entries of @runs.
 * @new: the pages to charge for them are added to it: the frames that had
 *	no reference, and references past VFM_ACCT_SHARED_REFS.
 * @refs: the references taken are added to it.
 *
 * Frames that are vfm_pfn_rsvd() (vfm_run::rsvd) are not charged, and
 * take none.
 *
 * Return: 0, or -ENOMEM with no reference taken.
 */
int vfm_acct_ref_runs(struct vfm_acct *a, const struct vfm_run *runs,
		      unsigned int nr, unsigned long *new, unsigned long *refs)
{
	unsigned long j, n, done = 0, added = 0, freed = 0;
	unsigned int i;
	int ret = 0;

	lockdep_assert_held(&a->lock);
	for (i = 0; i < nr && !ret; i++) {
		if (runs[i].rsvd)
			continue;
		for (j = 0; j < runs[i].npages && !ret; j += n) {
			n = min_t(unsigned long, runs[i].npages - j,
				  VFM_ACCT_CHUNK);
			ret = vfm_acct_ref_chunk(a, runs[i].pfn + j, n, &done,
						 &added);
			cond_resched();
		}
	}
	if (ret) {
		vfm_acct_unref_runs(a, runs, nr, done, &freed);
		return ret;
	}
	*new += added;
	*refs += done;
	return 0;
}

/**
 * vfm_acct_get() - charge frames in shared mode
 * @o: the owner of the mapping they are in; vfm_acct_shared().
 * @runs: the frames.
 * @nr: entries of @runs.
 * @held: set to the references taken.
 *
 * Takes a reference on each charged frame and charges locked_vm with the
 * frames that had none (and with references past VFM_ACCT_SHARED_REFS).
 *
 * Return: 0; -ENOMEM without memory or beyond RLIMIT_MEMLOCK; -EINTR when
 * a fatal signal is pending.  On error nothing is taken or charged.
 */
int vfm_acct_get(struct vfm_owner *o, const struct vfm_run *runs,
		 unsigned int nr, unsigned long *held)
{
	struct vfm_acct *a = o->acct;
	unsigned long new = 0, refs = 0, freed = 0;
	int ret;

	mutex_lock(&a->lock);
	ret = vfm_acct_ref_runs(a, runs, nr, &new, &refs);
	if (!ret) {
		ret = vfm_charge(o, new);
		if (ret)
			vfm_acct_unref_runs(a, runs, nr, ULONG_MAX, &freed);
	}
	mutex_unlock(&a->lock);
	*held = ret ? 0 : refs;
	return ret;
}

/**
 * vfm_acct_put() - uncharge frames in shared mode
 * @o: the owner of the mapping they are in; vfm_acct_shared().
 * @runs: frames vfm_acct_get() took references on.
 * @nr: entries of @runs.
 *
 * Return: the references dropped.
 */
unsigned long vfm_acct_put(struct vfm_owner *o, const struct vfm_run *runs,
			   unsigned int nr)
{
	struct vfm_acct *a = o->acct;
	unsigned long refs, freed = 0;

	mutex_lock(&a->lock);
	refs = vfm_acct_unref_runs(a, runs, nr, ULONG_MAX, &freed);
	vfm_charge(o, -(long)freed);
	mutex_unlock(&a->lock);
	return refs;
}

/**
 * vfm_acct_charge_page() - charge a page a mediated device pins
 * @o: the owner of the mapping it is in.
 * @pfn: its frame, not vfm_pfn_rsvd().
 *
 * Return: 0, or the errno of vfm_acct_get() or vfm_charge().
 */
int vfm_acct_charge_page(struct vfm_owner *o, unsigned long pfn)
{
	struct vfm_run run = { .pfn = pfn, .npages = 1 };
	unsigned long held;

	if (!vfm_acct_shared(o))
		return vfm_charge(o, 1);
	return vfm_acct_get(o, &run, 1, &held);
}

/**
 * vfm_acct_uncharge_page() - undo vfm_acct_charge_page()
 * @o: the owner it charged.
 * @pfn: the frame.
 */
void vfm_acct_uncharge_page(struct vfm_owner *o, unsigned long pfn)
{
	struct vfm_run run = { .pfn = pfn, .npages = 1 };

	if (!vfm_acct_shared(o))
		vfm_charge(o, -1);
	else
		vfm_acct_put(o, &run, 1);
}

/*
 * Make @a shared: record what the only container linked, @c, holds, and
 * return what it charged twice.  Nothing changes on failure.
 */
static int vfm_acct_engage(struct vfm_acct *a, struct vfm_container *c)
{
	struct vfm_acct_backfill bf = {};
	int ret;

	lockdep_assert_held(&a->link_lock);
	/* Maps at work outside @c's lock charge as the mode they began in. */
	ret = down_write_killable(&c->maps_rwsem);
	if (ret)
		return ret;
	ret = mutex_lock_killable(&c->lock);
	if (ret)
		goto out_up;
	mutex_lock(&a->lock);
	ret = vfm_dma_acct_backfill(c, a, &bf);
	/*
	 * The frames held, against the pages charged.  Fewer, but for
	 * devices' pins of memory replaced behind a mapping since it was
	 * mapped, which direct mode does not charge while domains pin it.
	 */
	if (!ret && bf.owner)
		ret = vfm_charge(bf.owner, a->charged - (long)bf.charged);
	if (ret) {
		xa_destroy(&a->refs);
		atomic64_sub(a->nr_frames, &vfm_stats.shared_frames);
		a->nr_frames = 0;
		a->charged = 0;
	} else {
		c->locked_pages += bf.refs - bf.charged;
		a->shared = true;
	}
	mutex_unlock(&a->lock);
	mutex_unlock(&c->lock);
out_up:
	up_write(&c->maps_rwsem);
	return ret;
}

/* The account of @mm, made if there is none, referenced; or NULL. */
static struct vfm_acct *vfm_acct_get_mm(struct mm_struct *mm)
{
	struct vfm_acct *a;

	mutex_lock(&vfm_accts_lock);
	list_for_each_entry(a, &vfm_accts, node)
		if (a->mm == mm && refcount_inc_not_zero(&a->users))
			goto out;
	a = kzalloc(sizeof(*a), VFM_GFP);
	if (!a)
		goto out;
	refcount_set(&a->users, 1);
	a->mm = mm;
	mmgrab(mm);
	mutex_init(&a->link_lock);
	INIT_LIST_HEAD(&a->links);
	mutex_init(&a->lock);
	/* Its nodes are the VMM's, as the rest of VFM_GFP. */
	xa_init_flags(&a->refs, XA_FLAGS_ACCOUNT);
	list_add(&a->node, &vfm_accts);
out:
	mutex_unlock(&vfm_accts_lock);
	return a;
}

/* Drop a reference on @a; the last, with its last link, frees it. */
static void vfm_acct_put_ref(struct vfm_acct *a)
{
	if (!refcount_dec_and_mutex_lock(&a->users, &vfm_accts_lock))
		return;
	list_del(&a->node);
	mutex_unlock(&vfm_accts_lock);
	/*
	 * Every holder is gone: so is every reference.  (Not xa_empty(): a
	 * store that failed for want of a node may leave empty ones, which
	 * xa_destroy() frees.)
	 */
	WARN_ON(a->nr_frames || a->charged);
	xa_destroy(&a->refs);
	mutex_destroy(&a->lock);
	mutex_destroy(&a->link_lock);
	mmdrop(a->mm);
	kfree(a);
}

/**
 * __vfm_acct_link() - let @c charge the current process's mm
 * @c: a referenced container, not locked: no container's lock is held.
 *
 * Links @c to the mm's account, unless it is linked already.  The second
 * container linked makes the account shared (when vfm_share_locked_vm
 * says so).  vfm_acct_link() calls it when the mm is not the one linked
 * last.  Only the callers for one mm wait for each other here.
 *
 * Return: 0; -ENOMEM; -EINVAL when @c was released; -EINTR when a fatal
 * signal is pending.
 */
int __vfm_acct_link(struct vfm_container *c)
{
	struct mm_struct *mm = current->mm;
	struct vfm_acct_link *l;
	struct vfm_acct *a;
	int ret;

	l = kzalloc(sizeof(*l), VFM_GFP);
	if (!l)
		return -ENOMEM;
	a = vfm_acct_get_mm(mm);
	if (!a) {
		kfree(l);
		return -ENOMEM;
	}
	ret = mutex_lock_killable(&a->link_lock);
	if (ret)
		goto out_put;
	/* Linked already (by another thread, or to another mm last)? */
	ret = mutex_lock_killable(&c->lock);
	if (ret)
		goto out_unlock;
	if (vfm_acct_find(c, mm)) {
		WRITE_ONCE(c->acct_mm, mm);
		mutex_unlock(&c->lock);
		goto out_unlock;
	}
	mutex_unlock(&c->lock);

	if (a->nr_links == 1 && !a->shared && READ_ONCE(vfm_share_locked_vm)) {
		struct vfm_acct_link *first;

		first = list_first_entry(&a->links, struct vfm_acct_link,
					 a_node);
		ret = vfm_acct_engage(a, first->c);
		if (ret)
			goto out_unlock;
	}
	ret = mutex_lock_killable(&c->lock);
	if (ret)
		goto out_unlock;
	/* Released meanwhile: its unlink may have run already. */
	ret = -EINVAL;
	if (!c->dead) {
		l->c = c;
		l->acct = a;
		list_add_tail(&l->a_node, &a->links);
		list_add_tail(&l->c_node, &c->accts);
		a->nr_links++;
		WRITE_ONCE(c->acct_mm, mm);
		ret = 0;
	}
	mutex_unlock(&c->lock);
out_unlock:
	mutex_unlock(&a->link_lock);
out_put:
	/* A link holds the reference it was made with. */
	if (ret || !l->c) {
		vfm_acct_put_ref(a);
		kfree(l);
	}
	return ret;
}

/**
 * vfm_acct_unlink_all() - unlink a released container from its accounts
 * @c: container, torn down: it holds and charges nothing; not locked.
 */
void vfm_acct_unlink_all(struct vfm_container *c)
{
	struct vfm_acct_link *l, *tmp;
	LIST_HEAD(links);

	mutex_lock(&c->lock);
	list_splice_init(&c->accts, &links);
	WRITE_ONCE(c->acct_mm, NULL);
	mutex_unlock(&c->lock);

	list_for_each_entry_safe(l, tmp, &links, c_node) {
		struct vfm_acct *a = l->acct;

		mutex_lock(&a->link_lock);
		list_del(&l->a_node);
		a->nr_links--;
		mutex_unlock(&a->link_lock);
		kfree(l);
		vfm_acct_put_ref(a);
	}
}
