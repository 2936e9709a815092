// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: the IOVA ranges a container may map.
 *
 * The usable ranges are the intersection of the apertures of every domain
 * and of every attached group, minus the reserved regions of every group.
 * Reserved regions of type IOMMU_RESV_DIRECT_RELAXABLE are not removed:
 * the IOMMU driver declares that the device may lose them once it is
 * assigned, and type1 lets the user map over them too.  Every other type
 * (DIRECT, RESERVED, MSI, SW_MSI) is removed.
 *
 * The ranges are computed from scratch on every attach and detach, from
 * the groups that remain, so a group's regions disappear with it.
 */
#include <linux/iommu.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "vfm.h"

/* Remove [start, last] from @iova; the result has at most one more range. */
static int vfm_iova_exclude(struct vfm_iova *iova, dma_addr_t start,
			    dma_addr_t last)
{
	struct vfm_iova_range *out;
	unsigned int i, n = 0;

	out = kcalloc(iova->nr + 1, sizeof(*out), VFM_GFP);
	if (!out)
		return -ENOMEM;

	for (i = 0; i < iova->nr; i++) {
		struct vfm_iova_range r = iova->ranges[i];

		if (last < r.start || start > r.last) {
			out[n++] = r;
			continue;
		}
		if (start > r.start)
			out[n++] = (struct vfm_iova_range){ r.start, start - 1 };
		if (last < r.last)
			out[n++] = (struct vfm_iova_range){ last + 1, r.last };
	}

	kfree(iova->ranges);
	iova->ranges = out;
	iova->nr = n;
	return 0;
}

static int vfm_iova_exclude_regions(struct vfm_iova *iova,
				    struct list_head *regions)
{
	struct iommu_resv_region *r;
	dma_addr_t last;
	int ret;

	list_for_each_entry(r, regions, list) {
		if (r->type == IOMMU_RESV_DIRECT_RELAXABLE || !r->length)
			continue;
		if (check_add_overflow((dma_addr_t)r->start,
				       (dma_addr_t)(r->length - 1), &last))
			last = VFM_IOVA_MAX;
		ret = vfm_iova_exclude(iova, r->start, last);
		if (ret)
			return ret;
	}
	return 0;
}

static int vfm_iova_exclude_group(struct vfm_iova *iova,
				  struct iommu_group *group)
{
	struct iommu_resv_region *r, *tmp;
	LIST_HEAD(regions);
	int ret;

	ret = iommu_get_group_resv_regions(group, &regions);
	if (!ret)
		ret = vfm_iova_exclude_regions(iova, &regions);
	list_for_each_entry_safe(r, tmp, &regions, list)
		kfree(r);
	return ret;
}

static void vfm_clip(struct vfm_iova_range *r, dma_addr_t start,
		     dma_addr_t last)
{
	r->start = max(r->start, start);
	r->last = min(r->last, last);
}

/**
 * vfm_iova_compute() - compute the usable IOVA ranges of a container
 * @c: container, locked.
 * @extra_grp: a group about to be attached, or NULL.
 * @extra_resv: the reserved regions of @extra_grp, or NULL.
 * @out: zeroed; receives the ranges (possibly none).
 *
 * Return: 0 or -ENOMEM.
 */
int vfm_iova_compute(struct vfm_container *c, struct vfm_group *extra_grp,
		     struct list_head *extra_resv, struct vfm_iova *out)
{
	struct vfm_iova_range bound = { 0, VFM_IOVA_MAX };
	bool any = false;
	struct vfm_domain *d;
	struct vfm_group *g;
	int ret;

	lockdep_assert_held(&c->lock);

	list_for_each_entry(d, &c->domains, next) {
		vfm_clip(&bound, d->domain->geometry.aperture_start,
			 d->domain->geometry.aperture_end);
		list_for_each_entry(g, &d->groups, next) {
			vfm_clip(&bound, g->aperture.start, g->aperture.last);
			any = true;
		}
	}
	if (extra_grp) {
		vfm_clip(&bound, extra_grp->aperture.start,
			 extra_grp->aperture.last);
		any = true;
	}

	*out = (struct vfm_iova){};
	/*
	 * Mediated groups left alone have no IOMMU: every IOVA is usable,
	 * and type1 then reports the whole space.
	 */
	if ((!any && list_empty(&c->emul_groups)) || bound.start > bound.last)
		return 0;

	out->ranges = kmalloc(sizeof(*out->ranges), VFM_GFP);
	if (!out->ranges)
		return -ENOMEM;
	out->ranges[0] = bound;
	out->nr = 1;

	list_for_each_entry(d, &c->domains, next) {
		list_for_each_entry(g, &d->groups, next) {
			ret = vfm_iova_exclude_group(out, g->iommu_group);
			if (ret)
				goto fail;
		}
	}
	if (extra_resv) {
		ret = vfm_iova_exclude_regions(out, extra_resv);
		if (ret)
			goto fail;
	}
	return 0;

fail:
	vfm_iova_free(out);
	return ret;
}

/**
 * vfm_iova_covers() - is [@start, @last] inside one usable range?
 * @iova: usable ranges.
 * @start: first IOVA.
 * @last: last IOVA, inclusive.
 *
 * Return: true if so.
 */
bool vfm_iova_covers(const struct vfm_iova *iova, dma_addr_t start,
		     dma_addr_t last)
{
	unsigned int i;

	for (i = 0; i < iova->nr; i++) {
		if (start >= iova->ranges[i].start &&
		    last <= iova->ranges[i].last)
			return true;
	}
	return false;
}

/**
 * vfm_iova_covers_dmas() - would every mapping of @c stay usable?
 * @c: container, locked.
 * @iova: candidate ranges.
 *
 * Return: true if every mapping of @c lies inside one range of @iova.
 */
bool vfm_iova_covers_dmas(struct vfm_container *c, const struct vfm_iova *iova)
{
	struct rb_node *node;

	lockdep_assert_held(&c->lock);

	for (node = rb_first_cached(&c->dmas); node; node = rb_next(node)) {
		struct vfm_dma *dma = rb_entry(node, struct vfm_dma, node.rb);

		if (!vfm_iova_covers(iova, vfm_dma_iova(dma), vfm_dma_last(dma)))
			return false;
	}
	return true;
}

static bool vfm_iova_equal(const struct vfm_iova *a, const struct vfm_iova *b)
{
	return a->nr == b->nr &&
	       (!a->nr || !memcmp(a->ranges, b->ranges,
				  a->nr * sizeof(*a->ranges)));
}

/**
 * vfm_iova_replace() - install new usable ranges in a container
 * @c: container, locked.
 * @iova: the ranges; ownership passes to @c and @iova is emptied.
 *
 * If the ranges differ from the old ones, the container's IOVA generation
 * goes up and VFM_EVENT_IOVA_RANGES is signalled.
 */
void vfm_iova_replace(struct vfm_container *c, struct vfm_iova *iova)
{
	bool changed;

	lockdep_assert_held(&c->lock);

	changed = !vfm_iova_equal(&c->iova, iova);
	vfm_iova_free(&c->iova);
	c->iova = *iova;
	*iova = (struct vfm_iova){};
	if (changed) {
		c->iova_generation++;
		vfm_notify(c, VFM_EVENT_IOVA_RANGES);
	}
}

/**
 * vfm_iova_free() - free a range list
 * @iova: the ranges; emptied.
 */
void vfm_iova_free(struct vfm_iova *iova)
{
	kfree(iova->ranges);
	*iova = (struct vfm_iova){};
}
