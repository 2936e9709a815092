/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-mirror: private interfaces between the files of vfio_mirror.ko.
 *
 * One container (struct vfm_container) is one user IOMMU context.  It holds
 * the user's mappings (struct vfm_dma, dma.c) and mirrors them into every
 * iommu_domain its groups need (struct vfm_domain, domain.c).
 *
 * Lock order, outermost first:
 *
 *   1. VFIO core locks (vfio_group::group_lock, vfio_container::group_lock).
 *      The core holds them around open, release, attach_group and
 *      detach_group; container ioctls run without them.
 *   2. vfm_container::devices_rwsem (emul.c): the mediated devices to
 *      notify before an unmap.  Taken without (3), which their
 *      notification callbacks take, through vfio_unpin_pages().
 *   2a. vfm_container::maps_rwsem (dma.c): held for read by a MAP_DMA
 *      that pins and maps outside (3), from the claim of its IOVA range
 *      to its publication; for write by whatever changes the container's
 *      domains, IOVA ranges or page sizes (attaching and detaching
 *      groups, and their release), or reads back the frames of every
 *      mapping (an account becoming shared, acct.c).  Neither (2) nor
 *      (2a) is taken under the other; (2a) is taken before (3).
 *   3. vfm_container::lock.  Every field of the container, its domains,
 *      groups and mappings is protected by it, but for the fault queue
 *      and the eventfds below.  Also taken by the bus notifier of fault.c,
 *      with nothing held, when a device joins or leaves an attached
 *      group.
 *   4. vfm_faults::read_lock: one VFIO_MIRROR_IOMMU_READ_FAULTS at a time,
 *      never under (3), so reading faults does not wait for mapping work.
 *   4a. vfm_acct::lock (acct.c): a process's account of locked pages,
 *      shared by its containers.  Taken under (3), or under (2a) alone.
 *      vfm_acct::link_lock, which links containers to the account, is
 *      taken before (2a) and (3), never under them (by MAP_DMA, and on
 *      release under (1)), and takes (2a) and (3) of one container at a
 *      time; the global vfm_accts_lock only guards the list of accounts,
 *      for a moment.
 *   5. mm->mmap_lock, taken by pinning and locked_vm accounting (pin.c),
 *      and by vfio_dma_rw() copies (emul.c), under (3) or (2a) alone.
 *      Under (3), as in type1, user memory is faulted in by pinning and
 *      vfio_dma_rw() and by dirty bitmaps' copies; an unmap's result is
 *      stored without a fault (ioctl.c faults its page in outside (3) and
 *      starts over).
 *   6. IOMMU core and driver locks, taken inside iommu_*() calls, the
 *      group's mutex among them (iommu_group_for_each_dev(), fault.c);
 *      the fault chain's producer list (iommu_fc_devid_alloc()).
 *   7. vfm_fault_groups_lock (fault.c): the attached groups, for the bus
 *      notifier to find a device's container.
 *   8. vfm_fault_routes_lock (fault.c): the list of every container's
 *      fault routes, which the fault chain's callback reads under RCU.
 *   9. vfm_faults::lock, then vfm_container::notify_lock: interrupt-safe
 *      spinlocks, also taken by the fault chain's callback (fault.c,
 *      notify.c).
 *
 * Lifetime: the VFIO core holds a container from open to release; every
 * ioctl and the bus notifier hold a reference (vfm_container::users)
 * while they use it.  Release marks it dead under (2) and tears it down;
 * an ioctl that gets the lock afterwards fails with -EINVAL, and the
 * memory is freed, a grace period after the last reference, by RCU.
 *
 * Claims: a MAP_DMA of more than VFM_BATCH_STACK pages, into a container
 * with domains, claims its IOVA range under (3) by entering its vfm_dma in
 * vfm_container::claims, then pins, charges and maps it with only (2a)
 * held for read, so that maps of disjoint ranges from several threads run
 * in parallel; under (3) again it moves the vfm_dma to vfm_container::dmas
 * (publication), or undoes it.  A map overlapping a claim waits for it
 * (vfm_container::claims_wq).  Nothing but MAP_DMA looks at a claim: to
 * every other path it is not mapped yet.  Smaller maps do all of it under
 * (3), as before.
 *
 * Invariants, true whenever vfm_container::lock is not held:
 *   - every vfm_dma in vfm_container::dmas is pinned in full and mapped in
 *     full, with the same physical pages, in every domain of the container;
 *     when the container has no domain (only mediated groups), none is
 *     pinned but for the pages mediated devices pinned (emul.c);
 *   - in an account in direct mode (acct.c), a page is charged to
 *     locked_vm once per container: by its mapping while the container
 *     has domains, else by a mediated device's pin of it; in a shared one,
 *     once per process, whoever holds it;
 *   - every vfm_dma lies inside one range of vfm_container::iova;
 *   - no two vfm_dma overlap, in vfm_container::dmas and ::claims together;
 *   - vfm_container::claims is empty while (2a) is held for write.
 *
 * Intervals: "last" is the inclusive end, "end" the exclusive one.  Sizes
 * are never added to addresses without an overflow check, so a mapping may
 * end at the last byte of the 64-bit IOVA space.
 */
#ifndef VFIO_MIRROR_VFM_H
#define VFIO_MIRROR_VFM_H

#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/iommu_faultchain.h>
#include <linux/mutex.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "compat/vfio_private.h"

struct eventfd_ctx;
struct vfm_acct;
struct vfio_info_cap;
struct vfio_mirror_fault;
struct vfio_mirror_fault_read;

/*
 * Mappings are kept in the kernel's interval tree, whose bounds are
 * unsigned long, and run sizes use 63 bits: vfio-mirror needs a 64-bit
 * kernel (Kconfig says so too, but an out-of-tree build does not read it).
 */
static_assert(sizeof(unsigned long) == sizeof(dma_addr_t) &&
	      sizeof(unsigned long) == 8, "vfio-mirror needs a 64-bit kernel");

/* Frames of a batch with no allocation: a small map or unmap. */
#define VFM_BATCH_STACK		4

/* The last IOVA of the 64-bit IOVA space. */
#define VFM_IOVA_MAX		((dma_addr_t)~(dma_addr_t)0)

/*
 * What a VMM's call allocates that outlives the call (mappings, page
 * tables, fault queues, dirty bitmaps, pins, IOVA ranges): charged to the
 * VMM's memory cgroup, and failing with -ENOMEM past the cgroup's
 * memory.max (or when the host is out of memory) instead of waking the OOM
 * killer, so that a mapping too many fails as the call's error.  Scratch
 * freed before the call returns is GFP_KERNEL: an unmap must not fail for
 * want of it.
 */
#define VFM_GFP			(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL)

/* Module parameters (main.c). */
extern bool vfm_allow_unsafe_interrupts;
extern bool vfm_disable_hugepages;
extern unsigned int vfm_dma_entry_limit;
extern bool vfm_share_locked_vm;
extern unsigned int vfm_fault_queue_len;
extern unsigned int vfm_fault_ratelimit_burst;
extern unsigned int vfm_fault_ratelimit_interval_ms;
extern unsigned int vfm_fault_ratelimit_epoch;
bool vfm_claims_type(unsigned long type);

/**
 * struct vfm_stats - what every container of the module holds, together
 * @containers: containers open, not yet released.
 * @mappings: user mappings.
 * @pinned_pages: pages pinned with pin_user_pages_fast().
 * @locked_pages: pages charged to a locked_vm.
 * @shared_frames: frames in the records of shared accounts (acct.c).
 *
 * In debugfs, vfio_mirror/stats; all zero once every container is gone.
 */
struct vfm_stats {
	atomic64_t containers;
	atomic64_t mappings;
	atomic64_t pinned_pages;
	atomic64_t locked_pages;
	atomic64_t shared_frames;
};

extern struct vfm_stats vfm_stats;

/*
 * Events a VMM can have an eventfd signalled for; event n is bit n of
 * VFIO_MIRROR_EVENT_* in the uAPI.
 */
enum vfm_event {
	VFM_EVENT_IOVA_RANGES,
	VFM_EVENT_FAULT,
	VFM_NR_EVENTS,
};

/**
 * struct vfm_iova_range - one usable IOVA interval
 * @start: first usable IOVA.
 * @last: last usable IOVA (inclusive).
 */
struct vfm_iova_range {
	dma_addr_t start;
	dma_addr_t last;
};

/**
 * struct vfm_iova - sorted, disjoint list of usable IOVA intervals
 * @nr: number of intervals in @ranges.
 * @ranges: the intervals, ascending.
 */
struct vfm_iova {
	unsigned int nr;
	struct vfm_iova_range *ranges;
};

/**
 * struct vfm_owner - who the pages of mappings are pinned for
 * @users: the mappings that use it, and the container's cache of the
 *	last one made (&vfm_container.owner).
 * @mm: the address space the pages are pinned from (mmgrab'd).
 * @task: the group leader charged for them (get_task_struct'd).
 * @lock_cap: @task had CAP_IPC_LOCK: the charge may exceed RLIMIT_MEMLOCK.
 * @acct: the account of @mm that the container is linked to (acct.c).
 *
 * Shared by every mapping a process makes with the same capability, so
 * that a mapping pays for none of it.
 */
struct vfm_owner {
	refcount_t users;
	bool lock_cap;
	struct mm_struct *mm;
	struct task_struct *task;
	struct vfm_acct *acct;
};

/**
 * struct vfm_run - physically contiguous page frames behind an IOVA range
 * @pfn: first page frame.
 * @npages: number of frames.
 * @rsvd: the frames have no struct page, or a PageReserved one.
 *
 * Only while a batch of frames is pinned, mapped, read back or unpinned:
 * no mapping keeps any (the IOMMU domains are the record of its frames).
 */
struct vfm_run {
	unsigned long pfn;
	unsigned long npages : 63;
	unsigned long rsvd : 1;
};

/* &vfm_dma.flags */
#define VFM_DMA_PFNMAP		BIT(0)	/* has frames of a VM_PFNMAP mapping */
#define VFM_DMA_RSVD_PINNED	BIT(1)	/* pinned a PageReserved page */
#define VFM_DMA_ZERO		BIT(2)	/* has the zero page */
#define VFM_DMA_VADDR_INVALID	BIT(3)	/* VFIO_DMA_UNMAP_FLAG_VADDR'd */
#define VFM_DMA_DIRTY_ALL	BIT(4)	/* dirty tracking: all pages dirty */
/* More than one run of frames: they are read back from a domain. */
#define VFM_DMA_SPLIT		BIT(5)
/* Frames of the mapping may be vfm_pfn_rsvd(): read back, each is tested. */
#define VFM_DMA_RSVD		(VFM_DMA_PFNMAP | VFM_DMA_RSVD_PINNED | \
				 VFM_DMA_ZERO)

/*
 * The largest &vfm_dma.order: a block of 2^40 pages (4 PiB of 4 KiB pages)
 * is read back with one lookup, which keeps the block size in range
 * wherever a run boundary lies (an IOVA page number of 4 KiB pages may
 * have up to 51 trailing zeroes).
 */
#define VFM_DMA_ORDER_MAX	40

/**
 * struct vfm_dma - one user mapping (VFIO_IOMMU_MAP_DMA)
 * @node: interval tree node; node.start is the IOVA, node.last the last
 *	IOVA of the mapping.
 * @vaddr: user virtual address of the first byte.
 * @owner: where the pages were pinned from and are charged to.
 * @pfn: without VFM_DMA_SPLIT in @flags, the first of the mapping's
 *	frames, which are all one run: physically contiguous, of one kind.
 * @prot: IOMMU_READ and/or IOMMU_WRITE, from the device's point of view.
 * @order: every naturally aligned block of 2^@order pages of IOVA inside
 *	the mapping is backed by physically contiguous frames of one kind
 *	(charged or not): reading the frames back from a domain takes one
 *	lookup per block.  Only meaningful with VFM_DMA_SPLIT: a mapping that
 *	is one run needs no lookup, whatever its order (one fact, one field:
 *	an order cannot also say "one run", as a boundary at an IOVA that is
 *	a multiple of 2^52 leaves the order at its maximum).
 * @flags: VFM_DMA_*.
 *
 * In a container without domains, @pfn, @order and the VFM_DMA_RSVD flags
 * mean nothing: no frame is pinned for the mapping (emul.c).
 *
 * The frames are not recorded here: they are read back from the
 * container's first domain (pin.c, domain.c), as type1 and iommufd do,
 * so a mapping costs the same whatever the fragmentation of its memory.
 * Which of them are charged is read back too (vfm_pfn_rsvd()), as type1
 * does, in a mapping that has frames of both kinds (VFM_DMA_RSVD).
 */
struct vfm_dma {
	struct interval_tree_node node;
	unsigned long vaddr;
	struct vfm_owner *owner;
	unsigned long pfn;
	int prot;
	u8 order;
	u8 flags;
};

/**
 * struct vfm_tally - frames pinned and pages charged by an operation
 * @pinned: frames pinned, or unpinned.
 * @charged: pages charged to locked_vm, or to uncharge.
 */
struct vfm_tally {
	unsigned long pinned;
	unsigned long charged;
};

static inline dma_addr_t vfm_dma_iova(const struct vfm_dma *dma)
{
	return dma->node.start;
}

static inline dma_addr_t vfm_dma_last(const struct vfm_dma *dma)
{
	return dma->node.last;
}

/* Size in bytes; never 0, at most 2^64 - PAGE_SIZE. */
static inline u64 vfm_dma_size(const struct vfm_dma *dma)
{
	return dma->node.last - dma->node.start + 1;
}

/**
 * struct vfm_group - an IOMMU group attached to a container
 * @next: entry in vfm_domain::groups.
 * @iommu_group: the group.
 * @aperture: the IOVA aperture of a domain made for this group alone.  It
 *	still bounds the usable IOVAs when the group shares a domain whose
 *	aperture is wider.
 * @msi_isolated: the group's MSIs were isolated when it joined.
 * @fault_routes: one struct vfm_fault_route per device of the group.
 * @fault_node: entry in the attached groups of fault.c, under its
 *	vfm_fault_groups_lock.
 * @c: the container the group is attached to.
 * @pinned_scope: the group dirties only the pages its devices pin (a
 *	mediated group, or one whose device called vfio_pin_pages()); the
 *	others may write anywhere they are mapped (dirty.c).
 *
 * A mediated group (VFIO_EMULATED_IOMMU) is on vfm_container::emul_groups
 * and uses none of the fields but @next, @iommu_group and @pinned_scope.
 */
struct vfm_group {
	struct list_head next;
	struct iommu_group *iommu_group;
	struct vfm_iova_range aperture;
	bool msi_isolated;
	bool pinned_scope;
	struct list_head fault_routes;
	struct list_head fault_node;
	struct vfm_container *c;
};

/**
 * struct vfm_faults - the fault queue of a container (fault.c)
 * @lock: protects every field below but @read_lock, and
 *	vfm_fault_route::live of the container's routes.
 * @read_lock: serialises readers of the queue.
 * @ring: the queued records.
 * @len: entries of @ring (fixed at open).
 * @head: index of the oldest queued record.
 * @count: records queued.
 * @seq: the last sequence number given.
 * @lost: records lost since the last read.
 * @queued_total: records queued since open.
 * @lost_total: records lost since open.
 * @rl_begin: when the rate limit's interval began (jiffies).
 * @rl_count: records queued in it.
 * @rl_epoch: vfm_fault_ratelimit_epoch when it began.
 * @lost_work: tells the VMM of losses that no queued record will.
 */
struct vfm_faults {
	spinlock_t lock;		/* the lock order is at the top */
	struct mutex read_lock;		/* the lock order is at the top */
	struct vfio_mirror_fault *ring;
	u32 len;
	u32 head;
	u32 count;
	u64 seq;
	u64 lost;
	u64 queued_total;
	u64 lost_total;
	unsigned long rl_begin;
	unsigned int rl_count;
	unsigned int rl_epoch;
	struct delayed_work lost_work;
};

/**
 * struct vfm_domain - one iommu_domain mirroring the container
 * @next: entry in vfm_container::domains.
 * @domain: the IOMMU domain (IOMMU_DOMAIN_UNMANAGED).
 * @groups: the groups attached to @domain (struct vfm_group).
 * @enforce_cache_coherency: @domain blocks DMA that bypasses IOMMU_CACHE.
 * @msi_cookie: @domain has an MSI cookie, at the start of @msi_window.
 * @msi_window: the software-managed MSI window of @domain's groups.
 * @id: number of the domain in its container, for debugfs.
 * @replayed_mappings: mappings replayed into @domain when it was made.
 * @replayed_bytes: their bytes.
 * @replay_ns: how long the replay took.
 * @unmap_overrun: during a walk of vfm_domain_unmap() calls, the bytes
 *	@domain removed past the end of the last call (a superpage).
 */
struct vfm_domain {
	struct list_head next;
	struct iommu_domain *domain;
	struct list_head groups;
	bool enforce_cache_coherency;
	bool msi_cookie;
	struct vfm_iova_range msi_window;
	unsigned int id;
	u64 replayed_mappings;
	u64 replayed_bytes;
	u64 replay_ns;
	u64 unmap_overrun;
};

/**
 * struct vfm_container - one user IOMMU context (the VFIO iommu_data)
 * @users: references: one of the VFIO core, from open to release, and one
 *	per ioctl or notifier using the container.
 * @lock: protects every field below and every domain, group and mapping
 *	reachable from them.
 * @dead: released: every ioctl fails with -EINVAL.  Written under @lock;
 *	read under it, or under @notify_lock or vfm_faults::read_lock by
 *	the ioctls that do not take it.
 * @type: the VFIO_SET_IOMMU argument the container was opened with.
 * @v2: unmap follows the type1v2 rules (no splitting of mappings).
 * @dmas: the user's mappings (struct vfm_dma), by IOVA.
 * @maps_rwsem: held for read by the maps that work outside @lock; for
 *	write to change @domains, @iova or @pgsize_bitmap, so that they
 *	stay as they are under either (the lock order is at the top).
 * @claims: the ranges of maps at work outside @lock (struct vfm_dma).
 * @claims_settled: claims published or undone, ever.
 * @claims_wq: woken when a claim is published or undone, for maps of
 *	ranges it overlaps, which wait (dma.c).
 * @dma_avail: how many more mappings may be created, @claims included.
 * @pinned_pages: frames its mappings hold pinned.
 * @locked_pages: pages they charge to locked_vm.
 * @owner: the owner of the last mapping made, for the next one to share.
 * @accts: the accounts of the mms it charges (acct.c); written under
 *	@lock and vfm_accts_lock, read under either.
 * @acct_mm: the mm linked last, to skip vfm_acct_link() (READ_ONCE).
 * @domains: the iommu_domains mirroring @dmas (struct vfm_domain).
 * @iova: IOVA ranges every attached group can use.
 * @pgsize_bitmap: page sizes every domain supports.
 * @id: number of the container, for debugfs (fixed at open).
 * @owner_pid: the process that set the container's IOMMU (fixed at open).
 * @owner_comm: its name (fixed at open).
 * @debugfs: the container's debugfs directory (fixed at open).
 * @next_domain_id: the id the next new domain gets.
 * @replays: new domains that had mappings replayed into them.
 * @replay_failures: replays that failed, making an attach fail.
 * @replay_ns: time spent in replays, failed ones included.
 * @iova_generation: incremented whenever @iova changes.
 * @emul_groups: attached mediated groups (struct vfm_group).
 * @non_pinned_groups: attached groups without vfm_group::pinned_scope.
 * @pins: pages pinned by mediated devices: struct vfm_pin by IOVA page.
 * @nr_devices: entries of @devices; written under @lock and
 *	@devices_rwsem, so either is enough to read it.
 * @devices_rwsem: protects @devices.
 * @devices: the mediated devices to notify of unmaps
 *	(vfio_device::iommu_entry).
 * @vaddr_invalid: mappings with VFM_DMA_VADDR_INVALID.
 * @dirty_tracking: VFIO_IOMMU_DIRTY_PAGES_FLAG_START'ed.
 * @dirty: while tracking, the IOVA pages that mediated devices pinned,
 *	unpinned or wrote since they were last reported (dirty.c).
 * @faults: the fault queue, under its own lock.
 * @notify_lock: protects @eventfd.
 * @eventfd: per event (VFM_EVENT_*), the eventfd to signal, or NULL.
 * @rcu: the container is freed after a grace period: the fault chain's
 *	callback may still be looking at it through a route.
 */
struct vfm_container {
	refcount_t users;
	struct mutex lock;		/* the lock order is at the top */
	bool dead;
	unsigned long type;
	bool v2;
	struct rb_root_cached dmas;
	struct rw_semaphore maps_rwsem;	/* the lock order is at the top */
	struct rb_root_cached claims;
	unsigned long claims_settled;
	wait_queue_head_t claims_wq;
	unsigned int dma_avail;
	u64 pinned_pages;
	u64 locked_pages;
	struct vfm_owner *owner;
	struct list_head accts;
	struct mm_struct *acct_mm;
	struct list_head domains;
	struct vfm_iova iova;
	u64 pgsize_bitmap;
	unsigned int id;
	pid_t owner_pid;
	char owner_comm[TASK_COMM_LEN];
	struct dentry *debugfs;
	unsigned int next_domain_id;
	u64 replays;
	u64 replay_failures;
	u64 replay_ns;
	u64 iova_generation;
	struct list_head emul_groups;
	unsigned int non_pinned_groups;
	struct xarray pins;
	unsigned int nr_devices;
	struct rw_semaphore devices_rwsem; /* the lock order is at the top */
	struct list_head devices;
	unsigned int vaddr_invalid;
	bool dirty_tracking;
	struct xarray dirty;
	struct vfm_faults faults;
	spinlock_t notify_lock;		/* the lock order is at the top */
	struct eventfd_ctx *eventfd[VFM_NR_EVENTS];
	struct rcu_head rcu;
};

/* main.c: the container's lifetime */
bool vfm_container_get(struct vfm_container *c);
void vfm_container_put(struct vfm_container *c);
int vfm_container_lock(struct vfm_container *c);

/* Smallest page size of the container: the unit of IOVA and size. */
static inline u64 vfm_min_pgsize(const struct vfm_container *c)
{
	return 1ULL << __ffs64(c->pgsize_bitmap);
}

/* dma.c: the user's mappings */
int vfm_dma_map(struct vfm_container *c, dma_addr_t iova,
		unsigned long vaddr, u64 size, int prot);
void vfm_dma_remove_all(struct vfm_container *c, bool unmap);
int vfm_dma_cache_init(void);
void vfm_dma_cache_exit(void);
struct vfm_dma *vfm_dma_first(struct vfm_container *c, dma_addr_t start,
			      dma_addr_t last);
struct vfm_dma *vfm_dma_next(struct vfm_dma *dma, dma_addr_t start,
			     dma_addr_t last);
int vfm_dma_pin_all(struct vfm_container *c);
void vfm_dma_unpin_all(struct vfm_container *c);
int vfm_dma_set_vaddr(struct vfm_container *c, dma_addr_t iova,
		      unsigned long vaddr, u64 size);

/**
 * struct vfm_unmap - what a VFIO_IOMMU_UNMAP_DMA asks
 * @iova: first IOVA; 0 with @all.
 * @size: bytes; 0 with @all.
 * @all: VFIO_DMA_UNMAP_FLAG_ALL.
 * @vaddr: VFIO_DMA_UNMAP_FLAG_VADDR: invalidate the user addresses only.
 * @bitmap: VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP: where to report the
 *	dirty pages of what is unmapped, or NULL.
 * @pgsize: the page size of @bitmap.
 * @result: where the bytes unmapped (or invalidated) are stored, in user
 *	memory, before anything is; NULL for nowhere.
 */
struct vfm_unmap {
	dma_addr_t iova;
	u64 size;
	bool all;
	bool vaddr;
	u64 __user *bitmap;
	u64 pgsize;
	u64 __user *result;
};

int vfm_dma_unmap(struct vfm_container *c, const struct vfm_unmap *req,
		  u64 *unmapped);

/**
 * struct vfm_batch - frames on their way into or out of a mapping
 * @cap: frames a batch holds at most.
 * @nr_runs: runs in @runs.
 * @runs: the frames, in IOVA order.
 * @pages: what pin_user_pages_fast() returned.
 * @sg: scratch for iommu_map_sg(), one entry per run.
 * @stack_runs: @runs, @pages and @sg of a small batch, with no allocation.
 * @stack_pages: see @stack_runs.
 * @stack_sg: see @stack_runs.
 */
struct vfm_batch {
	unsigned int cap;
	unsigned int nr_runs;
	struct vfm_run *runs;
	struct page **pages;
	struct scatterlist *sg;
	struct vfm_run stack_runs[VFM_BATCH_STACK];
	struct page *stack_pages[VFM_BATCH_STACK];
	struct scatterlist stack_sg[VFM_BATCH_STACK];
};

/* pin.c: pinning and locked_vm accounting */
struct vfm_owner *vfm_owner_get(struct vfm_container *c);
void vfm_owner_put(struct vfm_owner *o);
void vfm_batch_init(struct vfm_batch *b, unsigned long npages);
void vfm_batch_fini(struct vfm_batch *b);

/**
 * vfm_run_joins() - whether frames continue a run, and are of its kind
 * @last: the run, or NULL.
 * @pfn: first frame.
 * @rsvd: the frames have no struct page, or a PageReserved one.
 *
 * The zero page, which pinning neither pins nor counts, is a run alone.
 * A run is a fact about frames, whatever disable_hugepages says (which
 * only decides how they are mapped, domain.c): a read-back batch never
 * ends between two frames of one IOMMU superpage.
 *
 * Return: true if they may be added to @last.
 */
static inline bool vfm_run_joins(const struct vfm_run *last,
				 unsigned long pfn, bool rsvd)
{
	return last && last->pfn + last->npages == pfn &&
	       last->rsvd == rsvd && !is_zero_pfn(pfn) &&
	       !is_zero_pfn(last->pfn);
}

void vfm_batch_add(struct vfm_batch *b, unsigned long pfn,
		   unsigned long npages, bool rsvd);
long vfm_batch_pin(struct vfm_batch *b, struct vfm_dma *dma,
		   unsigned long vaddr, unsigned long npages,
		   struct vfm_tally *t);
void vfm_batch_unpin(struct vfm_batch *b, struct vfm_dma *dma,
		     struct vfm_tally *t);
int vfm_try_charge(struct vfm_owner *o, long npages);
int vfm_charge(struct vfm_owner *o, long npages);
bool vfm_pfn_rsvd(unsigned long pfn);

/**
 * struct vfm_acct_backfill - what a container holds for an account that
 *	goes shared (acct.c, dma.c)
 * @refs: the references it takes.
 * @charged: the pages it charged for them in direct mode.
 * @owner: an owner of the account in the container, or NULL.
 */
struct vfm_acct_backfill {
	unsigned long refs;
	unsigned long charged;
	struct vfm_owner *owner;
};

/* acct.c: one locked_vm charge per page per process */
/**
 * struct vfm_acct - what vfio-mirror charges to one mm
 * @node: entry in the list of accounts, under vfm_accts_lock (acct.c).
 * @users: the links, and the callers of __vfm_acct_link() at work.
 * @mm: the mm (mmgrab'd).
 * @link_lock: protects @links and @nr_links, and makes the account
 *	shared.  Taken without any container's lock; takes them.
 * @links: the containers linked (struct vfm_acct_link).
 * @nr_links: entries of @links.
 * @shared: the record is kept: pages are charged per frame.  Written
 *	under @link_lock and the maps_rwsem and lock of the one container
 *	linked, before a second is linked; read under a linked container's
 *	lock or maps_rwsem.
 * @lock: protects @refs, @nr_frames and @charged, and orders the charges
 *	of several containers.
 * @refs: frame number to xa_mk_value(references).
 * @nr_frames: entries of @refs.
 * @charged: the pages charged for them: one per frame, and one per
 *	reference of a frame past VFM_ACCT_SHARED_REFS (acct.c).
 */
struct vfm_acct {
	struct list_head node;
	refcount_t users;
	struct mm_struct *mm;
	struct mutex link_lock;		/* the lock order is at the top */
	struct list_head links;
	unsigned int nr_links;
	bool shared;
	struct mutex lock;		/* the lock order is at the top */
	struct xarray refs;
	unsigned long nr_frames;
	unsigned long charged;
};

int __vfm_acct_link(struct vfm_container *c);
void vfm_acct_unlink_all(struct vfm_container *c);
struct vfm_acct *vfm_acct_find(struct vfm_container *c, struct mm_struct *mm);

/**
 * vfm_acct_link() - let @c charge the current process's mm
 * @c: a referenced container, not locked: no container's lock is held.
 *
 * Nothing to do when the mm is the one linked last (links go only with
 * the container); else __vfm_acct_link().
 *
 * Return: 0, or an errno of __vfm_acct_link().
 */
static inline int vfm_acct_link(struct vfm_container *c)
{
	if (likely(READ_ONCE(c->acct_mm) == current->mm))
		return 0;
	return __vfm_acct_link(c);
}

/**
 * vfm_acct_shared() - is @o's account in shared mode?
 * @o: an owner; its container locked, or its maps_rwsem held.
 *
 * Return: true when @o's pages are charged per frame (vfm_acct_get()).
 */
static inline bool vfm_acct_shared(const struct vfm_owner *o)
{
	return o->acct->shared;
}

int vfm_acct_ref_runs(struct vfm_acct *a, const struct vfm_run *runs,
		      unsigned int nr, unsigned long *new, unsigned long *refs);
int vfm_acct_get(struct vfm_owner *o, const struct vfm_run *runs,
		 unsigned int nr, unsigned long *held);
unsigned long vfm_acct_put(struct vfm_owner *o, const struct vfm_run *runs,
			   unsigned int nr);
int vfm_acct_charge_page(struct vfm_owner *o, unsigned long pfn);
void vfm_acct_uncharge_page(struct vfm_owner *o, unsigned long pfn);
int vfm_dma_acct_backfill(struct vfm_container *c, struct vfm_acct *a,
			  struct vfm_acct_backfill *bf);

/* domain.c: the mirror */
int vfm_domain_attach_group(struct vfm_container *c,
			    struct iommu_group *iommu_group);
void vfm_domain_detach_group(struct vfm_container *c,
			     struct iommu_group *iommu_group);
void vfm_domain_release_all(struct vfm_container *c);
int vfm_domain_map_batch(struct vfm_container *c, struct vfm_dma *dma,
			 dma_addr_t iova, struct vfm_batch *b);
void vfm_domain_unmap_begin(struct vfm_container *c);
u64 vfm_domain_unmap(struct vfm_container *c, dma_addr_t iova,
		     struct vfm_batch *b, u64 max);
u64 vfm_domain_read_back(struct vfm_container *c, struct vfm_dma *dma,
			 dma_addr_t iova, u64 size, struct vfm_batch *b);
bool vfm_domain_all_coherent(struct vfm_container *c);
struct vfm_group *vfm_domain_group(struct vfm_container *c,
				   struct iommu_group *iommu_group);

/**
 * struct vfm_pin - a page pinned by mediated devices (vfio_pin_pages())
 * @pfn: its frame.
 * @refs: pins of it not yet unpinned.
 * @rsvd: vfm_pfn_rsvd(@pfn): not charged.
 */
struct vfm_pin {
	unsigned long pfn;
	unsigned int refs;
	bool rsvd;
};

/* emul.c: mediated devices (VFIO_EMULATED_IOMMU groups) */
void vfm_emul_init(struct vfm_container *c);
int vfm_emul_attach_group(struct vfm_container *c,
			  struct iommu_group *iommu_group);
bool vfm_emul_detach_group(struct vfm_container *c,
			   struct iommu_group *iommu_group);
void vfm_emul_release(struct vfm_container *c);
bool vfm_emul_absent(struct vfm_container *c);
bool vfm_emul_unmap_retry(dma_addr_t iova, dma_addr_t *highest,
			  unsigned int *retries);
bool vfm_emul_pinned(struct vfm_container *c, dma_addr_t start,
		     dma_addr_t last);
unsigned long vfm_emul_charged(struct vfm_container *c, dma_addr_t start,
			       dma_addr_t last);
int vfm_emul_notify_unmap(struct vfm_container *c, struct vfm_dma *dma);
int vfm_emul_acct_pins(struct vfm_container *c, struct vfm_dma *dma,
		       struct vfm_owner *o, bool get, unsigned long *refs);
int vfm_emul_acct_backfill(struct vfm_container *c, struct vfm_acct *a,
			   unsigned long *new, unsigned long *refs);
int vfm_emul_pin_pages(void *iommu_data, struct iommu_group *iommu_group,
		       dma_addr_t iova, int npage, int prot,
		       struct page **pages);
void vfm_emul_unpin_pages(void *iommu_data, dma_addr_t iova, int npage);
int vfm_emul_dma_rw(void *iommu_data, dma_addr_t iova, void *data,
		    size_t count, bool write);
void vfm_emul_register_device(void *iommu_data, struct vfio_device *vdev);
void vfm_emul_unregister_device(void *iommu_data, struct vfio_device *vdev);

/* dirty.c: dirty page tracking (VFIO_IOMMU_DIRTY_PAGES) */
int vfm_dirty_start(struct vfm_container *c);
void vfm_dirty_stop(struct vfm_container *c);
int vfm_dirty_check_dma(struct vfm_container *c, u64 size);
void vfm_dirty_mark(struct vfm_container *c, struct vfm_dma *dma,
		    dma_addr_t start, dma_addr_t last);
void vfm_dirty_forget(struct vfm_container *c, struct vfm_dma *dma);
void vfm_dirty_all(struct vfm_container *c);
int vfm_dirty_report(struct vfm_container *c, struct vfm_dma *dma,
		     u64 __user *bitmap, dma_addr_t base, u64 pgsize);
int vfm_dirty_get_bitmap(struct vfm_container *c, dma_addr_t iova,
			 u64 size, u64 pgsize, u64 __user *bitmap);
int vfm_dirty_verify_bitmap(u64 size, u64 pgsize, u64 bitmap_size,
			    u64 __user *data);
int vfm_dirty_add_info_cap(struct vfm_container *c,
			   struct vfio_info_cap *caps);

/* iova.c: usable IOVA ranges */
int vfm_iova_compute(struct vfm_container *c, struct vfm_group *extra_grp,
		     struct list_head *extra_resv, struct vfm_iova *out);
bool vfm_iova_covers(const struct vfm_iova *iova, dma_addr_t start,
		     dma_addr_t last);
bool vfm_iova_covers_dmas(struct vfm_container *c, const struct vfm_iova *iova);
void vfm_iova_replace(struct vfm_container *c, struct vfm_iova *iova);
void vfm_iova_free(struct vfm_iova *iova);

/* msi.c: MSI isolation policy and the MSI windows of domains */
int vfm_msi_check_isolation(struct iommu_group *iommu_group, bool *isolated);
bool vfm_msi_sw_window(struct list_head *resv_regions,
		       struct vfm_iova_range *window);
bool vfm_msi_domain_fits(const struct vfm_domain *d,
			 const struct vfm_iova_range *window);
int vfm_msi_domain_prepare(struct vfm_domain *d,
			   const struct vfm_iova_range *window);

/**
 * struct vfm_msi_window - an MSI window of the container's groups
 * @range: its IOVAs.
 * @translated: MSI writes to it are translated (IOMMU_RESV_SW_MSI).
 */
struct vfm_msi_window {
	struct vfm_iova_range range;
	bool translated;
};

int vfm_msi_report(struct vfm_container *c, bool *isolated,
		   struct vfm_msi_window **windows);

/* fault.c: IOMMU faults of the container's devices */
int vfm_fault_register(void);
void vfm_fault_unregister(void);
int vfm_fault_init(struct vfm_container *c);
void vfm_fault_release(struct vfm_container *c);
void vfm_fault_fini(struct vfm_container *c);
int vfm_fault_group_prepare(struct vfm_container *c, struct vfm_group *g);
void vfm_fault_group_publish(struct vfm_container *c, struct vfm_group *g);
void vfm_fault_group_retire(struct vfm_container *c, struct vfm_group *g);
long vfm_fault_read(struct vfm_container *c,
		    struct vfio_mirror_fault_read __user *uarg);
int vfm_fault_add_info_cap(struct vfm_container *c,
			   struct vfio_info_cap *caps);

/* notify.c: eventfds signalled on events */
int vfm_notify_set(struct vfm_container *c, u32 events, int fd);
void vfm_notify(struct vfm_container *c, enum vfm_event event);
void vfm_notify_release(struct vfm_container *c);

/* debugfs.c: counters for an operator */
void vfm_debugfs_init(void);
void vfm_debugfs_exit(void);
void vfm_debugfs_add(struct vfm_container *c);
void vfm_debugfs_remove(struct vfm_container *c);

/* ioctl.c: the container ioctls */
long vfm_ioctl(struct vfm_container *c, unsigned int cmd, unsigned long arg);
long vfm_check_extension(struct vfm_container *c, unsigned long ext);

#endif /* VFIO_MIRROR_VFM_H */
