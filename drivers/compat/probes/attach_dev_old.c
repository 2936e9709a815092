// SPDX-License-Identifier: GPL-2.0-only
/* An IOMMU driver's attach_dev() is told the domain it replaces. */
#include <linux/iommu.h>

static int probe_attach(struct iommu_domain *domain, struct device *dev,
			struct iommu_domain *old)
{
	return 0;
}

static const struct iommu_domain_ops probe_ops __maybe_unused = {
	.attach_dev = probe_attach,
};
