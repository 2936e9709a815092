// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: eventfds a VMM registers to learn of events without
 * polling (VFIO_MIRROR_IOMMU_SET_EVENTFD).
 *
 * One eventfd per event, held by reference in the container and swapped
 * and signalled under vfm_container::notify_lock, after the state the
 * event announces is in place.  Faults are signalled from the fault
 * chain's context, hard interrupts included, so the lock is an
 * interrupt-safe spinlock and nothing here sleeps but vfm_notify_set().
 */
#include <linux/eventfd.h>

#include "vfm.h"

#define VFM_EVENTS_ALL	(BIT(VFM_NR_EVENTS) - 1)

/**
 * vfm_notify_set() - set or remove the eventfd of some events
 * @c: container.
 * @events: bitmap of enum vfm_event; at least one, no unknown one.
 * @fd: an eventfd, or -1 to remove.
 *
 * Return: 0; -EINVAL for a bad @events or @fd, or a released container;
 * -EBADF when @fd is not an open file.
 */
int vfm_notify_set(struct vfm_container *c, u32 events, int fd)
{
	struct eventfd_ctx *ctx[VFM_NR_EVENTS] = {}, *old;
	unsigned long flags;
	unsigned int e;
	int ret = 0;

	if (!events || events & ~VFM_EVENTS_ALL || fd < -1)
		return -EINVAL;

	/* One reference per event slot. */
	for (e = 0; e < VFM_NR_EVENTS && fd >= 0; e++) {
		if (!(events & BIT(e)))
			continue;
		ctx[e] = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx[e])) {
			ret = PTR_ERR(ctx[e]);
			ctx[e] = NULL;
			goto out_put;
		}
	}

	spin_lock_irqsave(&c->notify_lock, flags);
	/*
	 * Not after release, which marks the container dead before it drops
	 * every eventfd under this lock: either this sees the mark, or
	 * release drops what this installs.
	 */
	if (READ_ONCE(c->dead)) {
		spin_unlock_irqrestore(&c->notify_lock, flags);
		ret = -EINVAL;
		goto out_put;
	}
	for (e = 0; e < VFM_NR_EVENTS; e++) {
		if (!(events & BIT(e)))
			continue;
		old = c->eventfd[e];
		c->eventfd[e] = ctx[e];
		ctx[e] = old;	/* to be put below */
	}
	spin_unlock_irqrestore(&c->notify_lock, flags);

out_put:
	for (e = 0; e < VFM_NR_EVENTS; e++)
		if (ctx[e])
			eventfd_ctx_put(ctx[e]);
	return ret;
}

/**
 * vfm_notify() - signal the eventfd of an event, if there is one
 * @c: container.
 * @event: the event.
 *
 * Context: any.
 */
void vfm_notify(struct vfm_container *c, enum vfm_event event)
{
	unsigned long flags;

	spin_lock_irqsave(&c->notify_lock, flags);
	if (c->eventfd[event])
		eventfd_signal(c->eventfd[event]);
	spin_unlock_irqrestore(&c->notify_lock, flags);
}

/**
 * vfm_notify_release() - drop every eventfd of a container
 * @c: container being released.
 */
void vfm_notify_release(struct vfm_container *c)
{
	struct eventfd_ctx *ctx[VFM_NR_EVENTS];
	unsigned long flags;
	unsigned int e;

	spin_lock_irqsave(&c->notify_lock, flags);
	for (e = 0; e < VFM_NR_EVENTS; e++) {
		ctx[e] = c->eventfd[e];
		c->eventfd[e] = NULL;
	}
	spin_unlock_irqrestore(&c->notify_lock, flags);
	for (e = 0; e < VFM_NR_EVENTS; e++)
		if (ctx[e])
			eventfd_ctx_put(ctx[e]);
}
