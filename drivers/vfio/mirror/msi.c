// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: MSI isolation policy and the MSI windows of domains.
 *
 * A device assigned to user space can write any value to any address it
 * can reach.  Unless its MSIs are isolated (interrupt remapping on x86, an
 * ITS with device IDs on arm64), that includes forging interrupts for the
 * host, so such a group is refused unless the administrator opts in with
 * allow_unsafe_interrupts, as with vfio_iommu_type1.
 *
 * Where the IOMMU translates MSI writes (SMMUv3 in front of a GICv3 ITS),
 * the IOMMU driver reports an IOMMU_RESV_SW_MSI region: an IOVA window
 * that the MSI layer fills with a mapping of the interrupt controller's
 * doorbell when a device's interrupts are set up.  The domain must be told
 * where that window is, with an MSI cookie, or the device's MSIs fault.
 * Here that happens for every domain a group with such a window is in:
 * when a new domain is made for the group (after its mappings are
 * replayed), and when the group joins an existing domain that had no need
 * of a window so far (vfio_iommu_type1 only does the first).  A domain
 * has one window: a group whose window starts elsewhere cannot share it.
 * Where MSI writes bypass translation (x86: IOMMU_RESV_MSI at 0xfee00000)
 * nothing is needed.  Either way the window is a reserved region, so it is
 * never a usable IOVA (iova.c) and no mapping can cover it.
 */
#include <linux/iommu.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "vfm.h"

/**
 * vfm_msi_check_isolation() - apply the MSI isolation policy to a group
 * @iommu_group: group about to join a container.
 * @isolated: set to whether its MSIs are isolated.
 *
 * Return: 0, or -EPERM when the group's MSIs are not isolated and the
 * allow_unsafe_interrupts parameter is off.
 */
int vfm_msi_check_isolation(struct iommu_group *iommu_group, bool *isolated)
{
	*isolated = iommu_group_has_isolated_msi(iommu_group);
	if (*isolated || READ_ONCE(vfm_allow_unsafe_interrupts))
		return 0;

	pr_warn("vfio_mirror: IOMMU group %d: MSIs are not isolated (no interrupt remapping); set the allow_unsafe_interrupts parameter to use it anyway\n",
		iommu_group_id(iommu_group));
	return -EPERM;
}

static void vfm_msi_range(const struct iommu_resv_region *r,
			  struct vfm_iova_range *range)
{
	range->start = r->start;
	range->last = r->start + r->length - 1;
}

/**
 * vfm_msi_sw_window() - the software-managed MSI window a group needs
 * @resv_regions: the group's reserved regions.
 * @window: set to the window, if there is one.
 *
 * A hardware MSI region takes precedence if an IOMMU driver reports both.
 *
 * Return: true if the group needs an MSI cookie at @window->start.
 */
bool vfm_msi_sw_window(struct list_head *resv_regions,
		       struct vfm_iova_range *window)
{
	struct iommu_resv_region *r;
	bool found = false;

	list_for_each_entry(r, resv_regions, list) {
		if (r->type == IOMMU_RESV_MSI)
			return false;
		if (r->type == IOMMU_RESV_SW_MSI && r->length) {
			vfm_msi_range(r, window);
			found = true;
		}
	}
	return found;
}

/**
 * vfm_msi_domain_fits() - can a domain serve a group's MSI window?
 * @d: an existing domain.
 * @window: the group's window, or NULL if it needs none.
 *
 * Return: true unless @d already has a window that starts elsewhere.
 */
bool vfm_msi_domain_fits(const struct vfm_domain *d,
			 const struct vfm_iova_range *window)
{
	return !window || !d->msi_cookie ||
	       d->msi_window.start == window->start;
}

/**
 * vfm_msi_domain_prepare() - give a domain the MSI window a group needs
 * @d: the domain the group is about to join, or was made for it.
 * @window: the group's window, or NULL if it needs none.
 *
 * Called before the group's devices can set up interrupts.  A cookie, once
 * given, lasts as long as the domain.
 *
 * Return: 0, or an error of iommu_get_msi_cookie().
 */
int vfm_msi_domain_prepare(struct vfm_domain *d,
			   const struct vfm_iova_range *window)
{
	int ret;

	if (!window || d->msi_cookie)
		return 0;

	ret = iommu_get_msi_cookie(d->domain, window->start);
	/* Kernels without IOMMU_DMA have no cookies and no such windows. */
	if (ret == -ENODEV)
		return 0;
	if (ret)
		return ret;
	d->msi_cookie = true;
	d->msi_window = *window;
	return 0;
}

static int vfm_msi_window_cmp(const void *a, const void *b)
{
	const struct vfm_msi_window *x = a, *y = b;

	return (x->range.start > y->range.start) -
	       (x->range.start < y->range.start);
}

/* Append @win to the array *@w of *@nr windows, unless it is there. */
static int vfm_msi_add(struct vfm_msi_window **w, unsigned int *nr,
		       unsigned int *max, const struct vfm_msi_window *win)
{
	struct vfm_msi_window *grown;
	unsigned int i;

	for (i = 0; i < *nr; i++)
		if ((*w)[i].range.start == win->range.start &&
		    (*w)[i].range.last == win->range.last &&
		    (*w)[i].translated == win->translated)
			return 0;
	if (*nr == *max) {
		grown = krealloc_array(*w, 2 * *max + 2, sizeof(**w),
				       GFP_KERNEL);
		if (!grown)
			return -ENOMEM;
		*w = grown;
		*max = 2 * *max + 2;
	}
	(*w)[(*nr)++] = *win;
	return 0;
}

/* Add the MSI regions of one group to the array *@w. */
static int vfm_msi_collect(struct iommu_group *group,
			   struct vfm_msi_window **w, unsigned int *nr,
			   unsigned int *max)
{
	struct iommu_resv_region *r, *tmp;
	struct vfm_msi_window win;
	LIST_HEAD(regions);
	int ret;

	ret = iommu_get_group_resv_regions(group, &regions);
	list_for_each_entry(r, &regions, list) {
		if (ret)
			break;
		if (!r->length ||
		    (r->type != IOMMU_RESV_MSI && r->type != IOMMU_RESV_SW_MSI))
			continue;
		vfm_msi_range(r, &win.range);
		win.translated = r->type == IOMMU_RESV_SW_MSI;
		ret = vfm_msi_add(w, nr, max, &win);
	}
	list_for_each_entry_safe(r, tmp, &regions, list)
		kfree(r);
	return ret;
}

/**
 * vfm_msi_report() - the MSI picture of a container, for GET_INFO
 * @c: container, locked.
 * @isolated: set to whether every group's MSIs are isolated.
 * @windows: set to a kmalloc'ed array of the groups' MSI windows, by
 *	start, or NULL if there are none; the caller frees it.
 *
 * Return: the number of windows, or -ENOMEM.
 */
int vfm_msi_report(struct vfm_container *c, bool *isolated,
		   struct vfm_msi_window **windows)
{
	unsigned int nr = 0, max = 0;
	struct vfm_domain *d;
	struct vfm_group *g;
	int ret = 0;

	lockdep_assert_held(&c->lock);

	*isolated = true;
	*windows = NULL;
	list_for_each_entry(d, &c->domains, next) {
		list_for_each_entry(g, &d->groups, next) {
			*isolated &= g->msi_isolated;
			ret = vfm_msi_collect(g->iommu_group, windows, &nr,
					      &max);
			if (ret)
				goto fail;
		}
	}
	sort(*windows, nr, sizeof(**windows), vfm_msi_window_cmp, NULL);
	return nr;

fail:
	kfree(*windows);
	*windows = NULL;
	return ret;
}
