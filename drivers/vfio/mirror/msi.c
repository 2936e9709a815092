// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: MSI isolation policy and the MSI window of a domain.
 *
 * A device assigned to user space can write any value to any address it
 * can reach.  Unless its MSIs are isolated (interrupt remapping on x86, an
 * ITS with device IDs on arm64), that includes forging interrupts for the
 * host, so such a group is refused unless the administrator opts in with
 * allow_unsafe_interrupts, as with vfio_iommu_type1.
 *
 * Where the IOMMU translates MSI writes (SMMUv3 in front of a GICv3 ITS),
 * the IOMMU driver reports an IOMMU_RESV_SW_MSI region: an IOVA window that
 * the MSI layer fills with doorbell mappings when the device's interrupts
 * are set up.  The domain must be told where that window is, with an MSI
 * cookie, or the device's MSIs fault.  Where MSI writes bypass
 * translation (x86: IOMMU_RESV_MSI at 0xfee00000) nothing is needed.
 */
#include <linux/iommu.h>
#include <linux/printk.h>

#include "vfm.h"

/**
 * vfm_msi_check_isolation() - apply the MSI isolation policy to a group
 * @iommu_group: group about to join a container.
 *
 * Return: 0, or -EPERM when the group's MSIs are not isolated and the
 * allow_unsafe_interrupts parameter is off.
 */
int vfm_msi_check_isolation(struct iommu_group *iommu_group)
{
	if (iommu_group_has_isolated_msi(iommu_group))
		return 0;
	if (READ_ONCE(vfm_allow_unsafe_interrupts))
		return 0;

	pr_warn("vfio_mirror: IOMMU group %d: MSIs are not isolated (no interrupt remapping); set the allow_unsafe_interrupts parameter to use it anyway\n",
		iommu_group_id(iommu_group));
	return -EPERM;
}

/*
 * Find the software-managed MSI window in a group's reserved regions.  A
 * hardware MSI region takes precedence if an IOMMU driver reports both.
 */
static bool vfm_msi_sw_window(struct list_head *regions, phys_addr_t *base)
{
	struct iommu_resv_region *r;
	bool found = false;

	list_for_each_entry(r, regions, list) {
		if (r->type == IOMMU_RESV_MSI)
			return false;
		if (r->type == IOMMU_RESV_SW_MSI) {
			*base = r->start;
			found = true;
		}
	}
	return found;
}

/**
 * vfm_msi_setup_domain() - give a new domain its MSI window
 * @domain: a domain made for a group, before it is added to a container.
 * @resv_regions: the group's reserved regions.
 *
 * Return: 0, or an error of iommu_get_msi_cookie().
 */
int vfm_msi_setup_domain(struct iommu_domain *domain,
			 struct list_head *resv_regions)
{
	phys_addr_t base;
	int ret;

	if (!vfm_msi_sw_window(resv_regions, &base))
		return 0;

	ret = iommu_get_msi_cookie(domain, base);
	/* Kernels without IOMMU_DMA have no cookies and no such windows. */
	return ret == -ENODEV ? 0 : ret;
}
