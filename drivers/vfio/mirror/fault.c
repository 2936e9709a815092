// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: the IOMMU faults of a container's devices.
 *
 * vfio_mirror.ko is one consumer of the IOMMU fault chain
 * (iommu_faultchain.ko).  Each device of each attached group has a route:
 * a snapshot of every name the producers may give the device (struct
 * iommu_fc_devid: its requester ID and DMA aliases, its StreamIDs, the
 * device itself) and the container it belongs to.  The routes of every
 * container are on one list, which the chain's callback walks under RCU,
 * in process context; the first live route that names the device by its
 * own ID (or, failing that, by a DMA alias, which devices behind one
 * bridge share) queues the record in its container, or counts it as lost.
 *
 * Ownership: a route is live from the end of its group's attach to the
 * start of its detach, and the callback checks that under the container's
 * queue lock, so once a group has left (vfm_fault_group_retire() returned)
 * no fault of its devices reaches the old container.  Records queued
 * before stay queued: they happened while the container owned the group.
 * A device that joins an attached group later (hot-plug, a function that
 * appears) gets its route when the bus announces it, and loses it when
 * the bus removes it: the attached groups are registered for that, in
 * vfm_fault_groups.
 *
 * The queue is a ring of fixed size (the fault_queue_len parameter at
 * open).  When it is full, new records are lost, never old ones, and every
 * fault of the container's devices takes a sequence number either way, so
 * a VMM sees gaps as well as the count of lost records.  A rate limit per
 * container (fault_ratelimit_burst records per fault_ratelimit_interval_ms)
 * bounds how often one container's VMM is woken in a storm, and spends
 * only that container's budget.  Each queued record signals the VMM; a
 * loss signals it too, once, one interval later, if no record it has yet
 * to read will tell it (vfm_fault_lost_work()).
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/jiffies.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <uapi/linux/vfio_mirror.h>

#include "vfm.h"

/* The chain's values are the uAPI's. */
static_assert(IOMMU_FC_SOURCE_VTD == VFIO_MIRROR_FAULT_SOURCE_VTD);
static_assert(IOMMU_FC_SOURCE_SMMUV3 == VFIO_MIRROR_FAULT_SOURCE_SMMUV3);
static_assert(IOMMU_FC_SOURCE_GENERIC == VFIO_MIRROR_FAULT_SOURCE_GENERIC);
static_assert(IOMMU_FC_F_PCI == VFIO_MIRROR_FAULT_PCI);
static_assert(IOMMU_FC_F_ADDR == VFIO_MIRROR_FAULT_ADDR);
static_assert(IOMMU_FC_F_PASID == VFIO_MIRROR_FAULT_PASID);
static_assert(IOMMU_FC_ACCESS_READ == VFIO_MIRROR_FAULT_READ);
static_assert(IOMMU_FC_ACCESS_WRITE == VFIO_MIRROR_FAULT_WRITE);
static_assert(IOMMU_FC_ACCESS_EXEC == VFIO_MIRROR_FAULT_EXEC);
static_assert(IOMMU_FC_ACCESS_PRIV == VFIO_MIRROR_FAULT_PRIV);
static_assert(IOMMU_FC_RAW_MAX == VFIO_MIRROR_FAULT_RAW_MAX);
static_assert(sizeof(struct vfio_mirror_fault) == 128);

/* The largest record stride READ_FAULTS accepts. */
#define VFM_FAULT_STRIDE_MAX	4096

/**
 * struct vfm_fault_route - where the faults of one device go
 * @node: entry in vfm_fault_routes, read under RCU.
 * @group_node: entry in vfm_group::fault_routes, under vfm_container::lock.
 * @c: the container.
 * @dev: the device (a reference is held).
 * @id: how the producers name it.
 * @group_id: its IOMMU group's number.
 * @published: on vfm_fault_routes.
 * @live: records for @dev go to @c; under vfm_faults::lock of @c.
 * @rcu: freed after a grace period.
 */
struct vfm_fault_route {
	struct list_head node;
	struct list_head group_node;
	struct vfm_container *c;
	struct device *dev;
	struct iommu_fc_devid *id;
	u32 group_id;
	bool published;
	bool live;
	struct rcu_head rcu;
};

static LIST_HEAD(vfm_fault_routes);
static DEFINE_SPINLOCK(vfm_fault_routes_lock);

/* Every attached group (vfm_group::fault_node), for the bus notifier. */
static LIST_HEAD(vfm_fault_groups);
static DEFINE_MUTEX(vfm_fault_groups_lock);

static void vfm_fault_fill(struct vfio_mirror_fault *f,
			   const struct iommu_fc_record *r,
			   const struct vfm_fault_route *rt, u64 seq,
			   bool alias)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	f->flags = r->flags & (IOMMU_FC_F_ADDR | IOMMU_FC_F_PASID);
	if (rt->id->flags & IOMMU_FC_F_PCI) {
		f->flags |= VFIO_MIRROR_FAULT_PCI;
		f->segment = rt->id->segment;
		f->rid = rt->id->rid;
	}
	if (alias)
		f->flags |= VFIO_MIRROR_FAULT_ALIAS;
	f->seq = seq;
	f->timestamp_ns = r->timestamp_ns;
	f->iova = r->iova;
	f->source = r->source;
	f->instance = r->instance;
	f->group = rt->group_id;
	f->sid = r->sid;
	f->pasid = r->pasid;
	f->access = r->access;
	f->reason = r->reason;
	f->raw_len = min_t(u32, r->raw_len, sizeof(f->raw));
	memcpy(f->raw, r->raw, f->raw_len);
}

/* May one more record of @q pass its container's rate limit?  Locked. */
static bool vfm_fault_ratelimit_pass(struct vfm_faults *q)
{
	unsigned int burst = READ_ONCE(vfm_fault_ratelimit_burst);
	unsigned int epoch = READ_ONCE(vfm_fault_ratelimit_epoch);
	unsigned long interval;

	lockdep_assert_held(&q->lock);

	if (!burst)
		return true;
	interval = msecs_to_jiffies(READ_ONCE(vfm_fault_ratelimit_interval_ms));
	/* A new interval when it is over, or when the parameters changed. */
	if (q->rl_epoch != epoch || time_after_eq(jiffies,
						  q->rl_begin + interval)) {
		q->rl_epoch = epoch;
		q->rl_begin = jiffies;
		q->rl_count = 0;
	}
	if (q->rl_count >= burst)
		return false;
	q->rl_count++;
	return true;
}

/* One rate-limit interval, in jiffies: when a loss is signalled. */
static unsigned long vfm_fault_lost_delay(void)
{
	return max(msecs_to_jiffies(READ_ONCE(vfm_fault_ratelimit_interval_ms)),
		   1UL);
}

/*
 * A storm may end with records lost (rate limit, full queue) after the
 * VMM's last read, and the VMM would hear of them only with its next
 * record, which may never come.  A loss schedules this one interval
 * later unless it is already due, so a storm wakes the VMM at most once
 * per interval more.  It signals only when the losses are unread and no
 * record is queued: a queued record was signalled, and the read that
 * takes it returns the lost count too.
 */
static void vfm_fault_lost_work(struct work_struct *work)
{
	struct vfm_faults *q = container_of(to_delayed_work(work),
					    struct vfm_faults, lost_work);
	struct vfm_container *c = container_of(q, struct vfm_container,
					       faults);
	unsigned long flags;
	bool tell;

	spin_lock_irqsave(&q->lock, flags);
	tell = q->lost && !q->count;
	spin_unlock_irqrestore(&q->lock, flags);
	if (tell)
		vfm_notify(c, VFM_EVENT_FAULT);
}

static enum iommu_fc_verdict vfm_fault_queue(struct vfm_fault_route *rt,
					     const struct iommu_fc_record *r,
					     bool alias)
{
	struct vfm_container *c = rt->c;
	struct vfm_faults *q = &c->faults;
	enum iommu_fc_verdict v;
	unsigned long flags;

	spin_lock_irqsave(&q->lock, flags);
	if (!rt->live) {
		v = IOMMU_FC_IGNORED;
		goto out;
	}
	q->seq++;
	if (!vfm_fault_ratelimit_pass(q)) {
		v = IOMMU_FC_DROPPED;
	} else if (q->count == q->len) {
		v = IOMMU_FC_FULL;
	} else {
		vfm_fault_fill(&q->ring[(q->head + q->count) % q->len], r, rt,
			       q->seq, alias);
		q->count++;
		q->queued_total++;
		v = IOMMU_FC_QUEUED;
	}
	if (v != IOMMU_FC_QUEUED) {
		q->lost++;
		q->lost_total++;
		/* No-op while a check is due: one wake per interval. */
		schedule_delayed_work(&q->lost_work, vfm_fault_lost_delay());
	}
out:
	spin_unlock_irqrestore(&q->lock, flags);
	if (v == IOMMU_FC_QUEUED)
		vfm_notify(c, VFM_EVENT_FAULT);
	return v;
}

/*
 * The first live route that names the device of @r by its own ID, or with
 * @alias by a DMA alias.  A reader may still see the retired route of a
 * group that moved on, before its new route: only a live one ends the
 * walk.  Under RCU.
 */
static enum iommu_fc_verdict vfm_fault_route_record(const struct iommu_fc_record *r,
						    bool alias)
{
	struct vfm_fault_route *rt;
	enum iommu_fc_verdict v;
	bool is_alias;

	list_for_each_entry_rcu(rt, &vfm_fault_routes, node) {
		if (!iommu_fc_devid_match(rt->id, r, &is_alias) ||
		    is_alias != alias)
			continue;
		v = vfm_fault_queue(rt, r, alias);
		if (v != IOMMU_FC_IGNORED)
			return v;
	}
	return IOMMU_FC_IGNORED;
}

/* The fault chain's callback: process context. */
static enum iommu_fc_verdict vfm_fault_consume(struct iommu_fc_consumer *fc,
					       const struct iommu_fc_record *r)
{
	enum iommu_fc_verdict v;

	rcu_read_lock();
	v = vfm_fault_route_record(r, false);
	if (v == IOMMU_FC_IGNORED)
		v = vfm_fault_route_record(r, true);
	rcu_read_unlock();
	return v;
}

static struct iommu_fc_consumer vfm_fault_consumer = {
	.name = "vfio_mirror",
	.fault = vfm_fault_consume,
};

/**
 * vfm_fault_init() - give a new container its fault queue
 * @c: the container being opened.
 *
 * Return: 0 or -ENOMEM.
 */
int vfm_fault_init(struct vfm_container *c)
{
	struct vfm_faults *q = &c->faults;

	spin_lock_init(&q->lock);
	mutex_init(&q->read_lock);
	INIT_DELAYED_WORK(&q->lost_work, vfm_fault_lost_work);
	q->len = clamp(READ_ONCE(vfm_fault_queue_len), 1U, 65536U);
	q->ring = kvcalloc(q->len, sizeof(*q->ring), VFM_GFP);
	return q->ring ? 0 : -ENOMEM;
}

/**
 * vfm_fault_release() - stop telling a released container of losses
 * @c: the container, whose routes are all retired: nothing schedules
 *	vfm_fault_lost_work() any more.
 *
 * Context: process; waits for a running vfm_fault_lost_work().
 */
void vfm_fault_release(struct vfm_container *c)
{
	cancel_delayed_work_sync(&c->faults.lost_work);
}

/**
 * vfm_fault_fini() - free a container's fault queue
 * @c: the container, whose routes are all retired and a grace period old.
 */
void vfm_fault_fini(struct vfm_container *c)
{
	mutex_destroy(&c->faults.read_lock);
	kvfree(c->faults.ring);
}

static void vfm_fault_route_free_rcu(struct rcu_head *rcu)
{
	struct vfm_fault_route *rt = container_of(rcu, struct vfm_fault_route,
						  rcu);

	kfree(rt->id);
	kfree(rt);
}

/* Retire one route of @c: no record reaches @c through it on return. */
static void vfm_fault_route_retire(struct vfm_container *c,
				   struct vfm_fault_route *rt)
{
	unsigned long flags;

	lockdep_assert_held(&c->lock);

	spin_lock_irqsave(&c->faults.lock, flags);
	rt->live = false;
	spin_unlock_irqrestore(&c->faults.lock, flags);

	if (rt->published) {
		spin_lock(&vfm_fault_routes_lock);
		list_del_rcu(&rt->node);
		spin_unlock(&vfm_fault_routes_lock);
	}
	list_del(&rt->group_node);
	put_device(rt->dev);
	call_rcu(&rt->rcu, vfm_fault_route_free_rcu);
}

static void vfm_fault_route_publish(struct vfm_container *c,
				    struct vfm_fault_route *rt)
{
	rt->c = c;
	rt->live = true;
	rt->published = true;
	spin_lock(&vfm_fault_routes_lock);
	list_add_tail_rcu(&rt->node, &vfm_fault_routes);
	spin_unlock(&vfm_fault_routes_lock);
}

/*
 * A route for @dev, on @g's list but not published.  Process context:
 * the VMM's attach (VFM_GFP), or the bus notifier, in whichever task adds
 * the device, whose memory cgroup it must not be charged to.
 */
static int vfm_fault_route_new(struct device *dev, struct vfm_group *g,
			       gfp_t gfp)
{
	struct vfm_fault_route *rt;

	rt = kzalloc(sizeof(*rt), gfp);
	if (!rt)
		return -ENOMEM;
	rt->id = iommu_fc_devid_alloc(dev, gfp);
	if (!rt->id) {
		kfree(rt);
		return -ENOMEM;
	}
	rt->dev = get_device(dev);
	rt->group_id = iommu_group_id(g->iommu_group);
	list_add_tail(&rt->group_node, &g->fault_routes);
	return 0;
}

static int vfm_fault_route_add(struct device *dev, void *data)
{
	return vfm_fault_route_new(dev, data, VFM_GFP);
}

/**
 * vfm_fault_group_prepare() - make the routes of a joining group
 * @c: container, locked.
 * @g: the group, not yet in @c.
 *
 * Context: process; takes the IOMMU group's mutex.  From here on a device
 * the bus adds to the group gets a route too, once @c is unlocked.
 *
 * Return: 0 or -ENOMEM.  The routes are not live until
 * vfm_fault_group_publish(); on failure, vfm_fault_group_retire() frees
 * the ones made.
 */
int vfm_fault_group_prepare(struct vfm_container *c, struct vfm_group *g)
{
	lockdep_assert_held(&c->lock);

	INIT_LIST_HEAD(&g->fault_routes);
	g->c = c;
	mutex_lock(&vfm_fault_groups_lock);
	list_add_tail(&g->fault_node, &vfm_fault_groups);
	mutex_unlock(&vfm_fault_groups_lock);
	return iommu_group_for_each_dev(g->iommu_group, g,
					vfm_fault_route_add);
}

/**
 * vfm_fault_group_publish() - route the faults of a joined group
 * @c: container, locked.
 * @g: the group, now in @c.
 */
void vfm_fault_group_publish(struct vfm_container *c, struct vfm_group *g)
{
	struct vfm_fault_route *rt;

	lockdep_assert_held(&c->lock);

	list_for_each_entry(rt, &g->fault_routes, group_node)
		vfm_fault_route_publish(c, rt);
}

/**
 * vfm_fault_group_retire() - stop routing the faults of a leaving group
 * @c: container, locked.
 * @g: the group, prepared or published.
 *
 * On return no fault of the group's devices reaches @c any more.
 */
void vfm_fault_group_retire(struct vfm_container *c, struct vfm_group *g)
{
	struct vfm_fault_route *rt, *tmp;

	lockdep_assert_held(&c->lock);

	mutex_lock(&vfm_fault_groups_lock);
	list_del(&g->fault_node);
	mutex_unlock(&vfm_fault_groups_lock);

	list_for_each_entry_safe(rt, tmp, &g->fault_routes, group_node)
		vfm_fault_route_retire(c, rt);
}

/*
 * The container that holds @group, with a reference, or NULL.  Once @c is
 * locked, vfm_fault_group_of() says whether it still does.
 */
static struct vfm_container *vfm_fault_owner_get(struct iommu_group *group)
{
	struct vfm_container *c = NULL;
	struct vfm_group *g;

	mutex_lock(&vfm_fault_groups_lock);
	list_for_each_entry(g, &vfm_fault_groups, fault_node) {
		if (g->iommu_group == group) {
			if (vfm_container_get(g->c))
				c = g->c;
			break;
		}
	}
	mutex_unlock(&vfm_fault_groups_lock);
	return c;
}

static struct vfm_group *vfm_fault_group_of(struct vfm_container *c,
					    struct iommu_group *group)
{
	struct vfm_group *g, *ret = NULL;

	lockdep_assert_held(&c->lock);

	mutex_lock(&vfm_fault_groups_lock);
	list_for_each_entry(g, &vfm_fault_groups, fault_node) {
		if (g->iommu_group == group && g->c == c) {
			ret = g;
			break;
		}
	}
	mutex_unlock(&vfm_fault_groups_lock);
	return ret;
}

/* A device was added to the bus, or is about to be removed from it. */
static void vfm_fault_device_event(struct device *dev, bool added)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct vfm_fault_route *rt, *found = NULL;
	struct vfm_container *c;
	struct vfm_group *g;

	if (!group)
		return;
	c = vfm_fault_owner_get(group);
	if (!c)
		goto out;

	mutex_lock(&c->lock);
	g = vfm_fault_group_of(c, group);
	if (!g || c->dead)
		goto unlock;
	list_for_each_entry(rt, &g->fault_routes, group_node) {
		if (rt->dev == dev) {
			found = rt;
			break;
		}
	}
	if (!added && found) {
		vfm_fault_route_retire(c, found);
	} else if (added && !found &&
		   !vfm_fault_route_new(dev, g, GFP_KERNEL)) {
		/* Under @c's lock a registered group has finished joining. */
		vfm_fault_route_publish(c, list_last_entry(&g->fault_routes,
							   struct vfm_fault_route,
							   group_node));
	}
unlock:
	mutex_unlock(&c->lock);
	vfm_container_put(c);
out:
	iommu_group_put(group);
}

/*
 * The IOMMU core's own notifier on these buses, registered at boot, runs
 * first: a device added has its IOMMU group, and one being removed still
 * has it.
 */
static int vfm_fault_bus_notify(struct notifier_block *nb,
				unsigned long action, void *data)
{
	if (action == BUS_NOTIFY_ADD_DEVICE)
		vfm_fault_device_event(data, true);
	else if (action == BUS_NOTIFY_DEL_DEVICE)
		vfm_fault_device_event(data, false);
	return NOTIFY_DONE;
}

static const struct bus_type *const vfm_fault_buses[] = {
	&pci_bus_type,
	&platform_bus_type,
};

static struct notifier_block vfm_fault_bus_nb[ARRAY_SIZE(vfm_fault_buses)];

/**
 * vfm_fault_register() - start receiving IOMMU faults
 *
 * Return: 0, or an error of the fault chain or of a bus notifier.
 */
int vfm_fault_register(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(vfm_fault_buses); i++) {
		vfm_fault_bus_nb[i].notifier_call = vfm_fault_bus_notify;
		ret = bus_register_notifier(vfm_fault_buses[i],
					    &vfm_fault_bus_nb[i]);
		if (ret)
			goto err;
	}
	ret = iommu_fc_consumer_register(&vfm_fault_consumer);
	if (!ret)
		return 0;
err:
	while (i--)
		bus_unregister_notifier(vfm_fault_buses[i],
					&vfm_fault_bus_nb[i]);
	return ret;
}

/**
 * vfm_fault_unregister() - stop, once no container is left
 *
 * Waits for the callbacks in flight and for the containers and routes
 * freed after a grace period.
 */
void vfm_fault_unregister(void)
{
	unsigned int i;

	iommu_fc_consumer_unregister(&vfm_fault_consumer);
	for (i = 0; i < ARRAY_SIZE(vfm_fault_buses); i++)
		bus_unregister_notifier(vfm_fault_buses[i],
					&vfm_fault_bus_nb[i]);
	rcu_barrier();
}

/**
 * vfm_fault_read() - VFIO_MIRROR_IOMMU_READ_FAULTS
 * @c: container, referenced.
 * @uarg: the user's struct vfio_mirror_fault_read.
 *
 * Never waits for the container lock, so a VMM drains its faults while a
 * long MAP_DMA or a group's replay holds it.
 *
 * Return: 0, -EFAULT, -EINVAL or -ENOMEM, as the uAPI header says.
 */
long vfm_fault_read(struct vfm_container *c,
		    struct vfio_mirror_fault_read __user *uarg)
{
	unsigned long minsz = offsetofend(struct vfio_mirror_fault_read,
					  next_seq);
	struct vfm_faults *q = &c->faults;
	struct vfio_mirror_fault_read arg;
	struct vfio_mirror_fault *buf = NULL;
	const size_t rsz = sizeof(*buf);
	u8 __user *dst;
	unsigned long flags;
	u32 n, i;
	long ret = 0;

	if (copy_from_user(&arg, uarg, minsz))
		return -EFAULT;
	if (arg.argsz < minsz || arg.flags || arg.record_size < rsz ||
	    arg.record_size > VFM_FAULT_STRIDE_MAX)
		return -EINVAL;

	n = min(arg.count, q->len);
	if (n) {
		buf = kvmalloc_array(n, rsz, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}

	mutex_lock(&q->read_lock);	/* one reader at a time */
	if (READ_ONCE(c->dead)) {
		ret = -EINVAL;
		goto out_unlock;
	}

	/*
	 * Take a snapshot, write it all out, then remove what was written:
	 * a bad user buffer loses no record and no count of lost ones.
	 * Only readers remove, one at a time, so the snapshot's records are
	 * still the oldest when it is committed; faults that came since
	 * stay for the next read, and next_seq is the first of them.
	 */
	spin_lock_irqsave(&q->lock, flags);
	n = min(n, q->count);
	for (i = 0; i < n; i++)
		buf[i] = q->ring[(q->head + i) % q->len];
	arg.lost = q->lost;
	arg.next_seq = q->seq + 1;
	spin_unlock_irqrestore(&q->lock, flags);
	arg.count = n;

	dst = u64_to_user_ptr(arg.records);
	for (i = 0; i < n; i++, dst += arg.record_size) {
		if (copy_to_user(dst, &buf[i], rsz) ||
		    clear_user(dst + rsz, arg.record_size - rsz)) {
			ret = -EFAULT;
			goto out_unlock;
		}
	}
	if (copy_to_user(uarg, &arg, minsz)) {
		ret = -EFAULT;
		goto out_unlock;
	}

	spin_lock_irqsave(&q->lock, flags);
	q->head = (q->head + n) % q->len;
	q->count -= n;
	q->lost -= arg.lost;
	spin_unlock_irqrestore(&q->lock, flags);

out_unlock:
	mutex_unlock(&q->read_lock);
	kvfree(buf);
	return ret;
}

/* Devices by group, then by requester ID, then by name. */
static int vfm_fault_route_cmp(const void *a, const void *b)
{
	const struct vfm_fault_route *x = *(const struct vfm_fault_route **)a;
	const struct vfm_fault_route *y = *(const struct vfm_fault_route **)b;

	if (x->group_id != y->group_id)
		return x->group_id < y->group_id ? -1 : 1;
	if (x->id->segment != y->id->segment)
		return x->id->segment < y->id->segment ? -1 : 1;
	if (x->id->rid != y->id->rid)
		return x->id->rid < y->id->rid ? -1 : 1;
	return strcmp(dev_name(x->dev), dev_name(y->dev));
}

/**
 * vfm_fault_add_info_cap() - VFIO_MIRROR_INFO_CAP_FAULT for GET_INFO
 * @c: container, locked.
 * @caps: the capability chain being built.
 *
 * Return: 0 or -ENOMEM.
 */
int vfm_fault_add_info_cap(struct vfm_container *c, struct vfio_info_cap *caps)
{
	struct vfm_fault_route *rt, **sorted;
	struct vfio_mirror_fault_device *fd;
	struct vfio_mirror_info_cap_fault *cap;
	struct vfio_info_cap_header *header;
	struct vfm_domain *d;
	struct vfm_group *g;
	u32 nr = 0, i;

	lockdep_assert_held(&c->lock);

	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			list_for_each_entry(rt, &g->fault_routes, group_node)
				nr++;

	sorted = kvmalloc_array(nr ?: 1, sizeof(*sorted), GFP_KERNEL);
	if (!sorted)
		return -ENOMEM;
	i = 0;
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			list_for_each_entry(rt, &g->fault_routes, group_node)
				sorted[i++] = rt;
	sort(sorted, nr, sizeof(*sorted), vfm_fault_route_cmp, NULL);

	header = vfio_info_cap_add(caps, struct_size(cap, devices, nr),
				   VFIO_MIRROR_INFO_CAP_FAULT, 1);
	if (IS_ERR(header)) {
		kvfree(sorted);
		return PTR_ERR(header);
	}
	cap = container_of(header, struct vfio_mirror_info_cap_fault, header);
	cap->queue_len = c->faults.len;
	cap->record_size = sizeof(struct vfio_mirror_fault);
	cap->nr_devices = nr;

	for (i = 0, fd = cap->devices; i < nr; i++, fd++) {
		rt = sorted[i];
		fd->group = rt->group_id;
		if (rt->id->flags & IOMMU_FC_F_PCI) {
			fd->flags = VFIO_MIRROR_FAULT_PCI;
			fd->segment = rt->id->segment;
			fd->rid = rt->id->rid;
		}
		fd->sources = rt->id->sources;
	}
	kvfree(sorted);
	return 0;
}
