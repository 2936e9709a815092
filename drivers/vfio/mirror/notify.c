// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: eventfds a VMM registers to learn of events without
 * polling (VFIO_MIRROR_IOMMU_SET_EVENTFD).
 *
 * One eventfd per event, held by reference in the container under its
 * lock and signalled under it, after the state the event announces is in
 * place.  eventfd_signal() may be called from any context, so events from
 * other contexts can use the same slots.
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
 * Return: 0; -EINVAL for a bad @events or @fd; -EBADF when @fd is not an
 * open file.
 */
int vfm_notify_set(struct vfm_container *c, u32 events, int fd)
{
	struct eventfd_ctx *ctx[VFM_NR_EVENTS] = {}, *old;
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

	mutex_lock(&c->lock);
	for (e = 0; e < VFM_NR_EVENTS; e++) {
		if (!(events & BIT(e)))
			continue;
		old = c->eventfd[e];
		c->eventfd[e] = ctx[e];
		ctx[e] = old;	/* to be put below */
	}
	mutex_unlock(&c->lock);

out_put:
	for (e = 0; e < VFM_NR_EVENTS; e++)
		if (ctx[e])
			eventfd_ctx_put(ctx[e]);
	return ret;
}

/**
 * vfm_notify() - signal the eventfd of an event, if there is one
 * @c: container, locked.
 * @event: the event.
 */
void vfm_notify(struct vfm_container *c, enum vfm_event event)
{
	lockdep_assert_held(&c->lock);

	if (c->eventfd[event])
		eventfd_signal(c->eventfd[event]);
}

/**
 * vfm_notify_release() - drop every eventfd of a container
 * @c: container being released.
 */
void vfm_notify_release(struct vfm_container *c)
{
	unsigned int e;

	for (e = 0; e < VFM_NR_EVENTS; e++) {
		if (c->eventfd[e])
			eventfd_ctx_put(c->eventfd[e]);
		c->eventfd[e] = NULL;
	}
}
