// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_faultchain: naming a device the way the producers name it.
 *
 * A VT-d fault record names its device by PCI segment and requester ID,
 * an SMMUv3 event by StreamID behind one SMMU, a report_iommu_fault() call
 * by its struct device.  A consumer takes a snapshot of all three for each
 * device it watches, in process context, and matches records against the
 * snapshot in any context, without touching the device.
 *
 * A requester ID that is a DMA alias of the device (a PCIe-to-PCI bridge
 * taking ownership of its transactions) is not part of the snapshot; the
 * IOMMU group holds the aliasing devices, and a consumer that watches all
 * of them matches the bridge's own ID.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "fc.h"

static void fc_devid_add_source(struct iommu_fc_producer *p, void *data)
{
	struct iommu_fc_devid *id = data;
	struct device *dev = (struct device *)id->dev;

	if (p->covers && p->covers(p, dev))
		id->sources |= BIT(p->source);
}

/**
 * iommu_fc_devid_init() - take a snapshot of a device's names
 * @id: filled in.
 * @dev: a device in an IOMMU group, kept alive by the caller.
 *
 * Context: process.
 */
void iommu_fc_devid_init(struct iommu_fc_devid *id, struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	unsigned int i;

	memset(id, 0, sizeof(*id));
	id->dev = dev;
	if (dev_is_pci(dev)) {
		struct pci_dev *pdev = to_pci_dev(dev);

		id->flags |= IOMMU_FC_F_PCI;
		id->segment = pci_domain_nr(pdev->bus);
		id->rid = pci_dev_id(pdev);
	}
	if (fwspec) {
		id->iommu_fwnode = fwspec->iommu_fwnode;
		id->nr_sids = min_t(unsigned int, fwspec->num_ids,
				    IOMMU_FC_MAX_SIDS);
		for (i = 0; i < id->nr_sids; i++)
			id->sids[i] = fwspec->ids[i];
	}
	fc_call_producers(fc_devid_add_source, id);
}
EXPORT_SYMBOL_GPL(iommu_fc_devid_init);

/**
 * iommu_fc_devid_match() - is a record about this device?
 * @id: a snapshot from iommu_fc_devid_init().
 * @r: the record.
 *
 * Context: any.
 *
 * Return: true if @r names the device of @id.
 */
bool iommu_fc_devid_match(const struct iommu_fc_devid *id,
			  const struct iommu_fc_record *r)
{
	unsigned int i;

	if (r->dev)
		return r->dev == id->dev;

	switch (r->source) {
	case IOMMU_FC_SOURCE_VTD:
		return (r->flags & IOMMU_FC_F_PCI) &&
		       (id->flags & IOMMU_FC_F_PCI) &&
		       r->segment == id->segment && r->sid == id->rid;
	case IOMMU_FC_SOURCE_SMMUV3:
		if (!r->iommu_fwnode || r->iommu_fwnode != id->iommu_fwnode)
			return false;
		for (i = 0; i < id->nr_sids; i++)
			if (id->sids[i] == r->sid)
				return true;
		return false;
	default:
		return false;
	}
}
EXPORT_SYMBOL_GPL(iommu_fc_devid_match);
