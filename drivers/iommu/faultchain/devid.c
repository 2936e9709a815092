// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_faultchain: naming a device the way the producers name it.
 *
 * A VT-d fault record names its device by PCI segment and the requester
 * ID on the transaction, an SMMUv3 event by StreamID behind one SMMU, a
 * report_iommu_fault() call by its struct device.  A consumer takes a
 * snapshot of all of them for each device it watches, in process context,
 * and matches records against the snapshot later, without touching the
 * device.
 *
 * The requester IDs are every ID the device's DMA may carry when it
 * reaches the IOMMU (fc_devid_walk_rids()): its own, or that of the
 * device that carries its DMA (a VMD endpoint, compat/pci.h); the functions its
 * quirks say it uses too (pci_dev::dma_alias_mask); and, walking up to the
 * root bus, the ID of each bridge that takes ownership of the transactions
 * it forwards.  A PCIe-to-PCI bridge (PCI Express to PCI/PCI-X Bridge
 * Specification, rev 1.0, section 2.3) forwards them with its secondary
 * bus number and devfn 0, as does a conventional bridge the PCI core
 * flags so; another conventional bridge with its own ID; a PCI-to-PCIe
 * bridge with its own ID.  PCIe switch ports and root ports pass the ID
 * through, and a bridge the PCI core marks as the translation root ends
 * the walk; a bus without a bridge (an SR-IOV virtual bus) is passed
 * over.  (The PCI core's pci_for_each_dma_alias() walks the same way but
 * is not exported to modules.)  The StreamIDs are all those of the
 * device's IOMMU fwspec.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fc.h"
#include "compat/pci.h"

/* Add @rid to @id, or, with @id NULL, count it in *@nr. */
static void fc_devid_rid(struct iommu_fc_devid *id, u32 *nr, u16 rid)
{
	u32 i;

	if (!id) {
		(*nr)++;
		return;
	}
	for (i = 0; i < id->nr_rids; i++)
		if (id->ids[i] == rid)
			return;
	id->ids[id->nr_rids++] = rid;
}

/*
 * Every requester ID @pdev's DMA may carry at the IOMMU, that of the
 * device that carries it first.  A bus without a bridge (self NULL: the
 * virtual bus the PCI core makes for SR-IOV VFs whose routing IDs pass
 * their PF's bus, virtfn_add_bus()) changes no ID: the walk goes on to
 * its parent.
 */
static void fc_devid_walk_rids(struct pci_dev *pdev, struct iommu_fc_devid *id,
			       u32 *nr)
{
	struct pci_dev *bridge;
	struct pci_bus *bus;
	unsigned int devfn;

	pdev = fc_real_dma_dev(pdev);
	bus = pdev->bus;
	fc_devid_rid(id, nr, pci_dev_id(pdev));
	if (pdev->dma_alias_mask)
		for_each_set_bit(devfn, pdev->dma_alias_mask, U8_MAX + 1)
			fc_devid_rid(id, nr, PCI_DEVID(bus->number, devfn));

	for (; !pci_is_root_bus(bus); bus = bus->parent) {
		bridge = bus->self;
		if (!bridge)
			continue;
		if (bridge->dev_flags & PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT)
			return;
		if (pci_is_pcie(bridge)) {
			switch (pci_pcie_type(bridge)) {
			case PCI_EXP_TYPE_PCI_BRIDGE:
				fc_devid_rid(id, nr,
					     PCI_DEVID(bridge->subordinate->number,
						       0));
				break;
			case PCI_EXP_TYPE_PCIE_BRIDGE:
				fc_devid_rid(id, nr, pci_dev_id(bridge));
				break;
			default:
				break;
			}
		} else if (bridge->dev_flags & PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS) {
			fc_devid_rid(id, nr,
				     PCI_DEVID(bridge->subordinate->number, 0));
		} else {
			fc_devid_rid(id, nr, pci_dev_id(bridge));
		}
	}
}

static void fc_devid_add_source(struct iommu_fc_producer *p, void *data)
{
	struct iommu_fc_devid *id = data;
	struct device *dev = (struct device *)id->dev;

	if (p->covers && p->covers(p, dev))
		id->sources |= BIT(p->source);
}

/**
 * iommu_fc_devid_alloc() - take a snapshot of a device's names
 * @dev: a device in an IOMMU group, kept alive by the caller as long as
 *	the snapshot is used.
 * @gfp: for the allocation.
 *
 * Context: process.
 *
 * Return: the snapshot, to be freed with kfree(), or NULL.
 */
struct iommu_fc_devid *iommu_fc_devid_alloc(struct device *dev, gfp_t gfp)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	u32 nr_rids = 0, nr_sids = fwspec ? fwspec->num_ids : 0;
	struct iommu_fc_devid *id;
	struct pci_dev *pdev;

	if (dev_is_pci(dev))
		fc_devid_walk_rids(to_pci_dev(dev), NULL, &nr_rids);
	id = kzalloc(struct_size(id, ids, nr_rids + nr_sids), gfp);
	if (!id)
		return NULL;

	id->dev = dev;
	if (dev_is_pci(dev)) {
		pdev = to_pci_dev(dev);
		id->flags |= IOMMU_FC_F_PCI;
		id->segment = pci_domain_nr(fc_real_dma_dev(pdev)->bus);
		id->rid = pci_dev_id(pdev);
		fc_devid_walk_rids(pdev, id, NULL);
	}
	if (fwspec) {
		id->iommu_fwnode = fwspec->iommu_fwnode;
		memcpy(id->ids + id->nr_rids, fwspec->ids,
		       nr_sids * sizeof(id->ids[0]));
		id->nr_sids = nr_sids;
	}
	fc_call_producers(fc_devid_add_source, id);
	return id;
}
EXPORT_SYMBOL_GPL(iommu_fc_devid_alloc);

/**
 * iommu_fc_devid_match() - is a record about this device?
 * @id: a snapshot from iommu_fc_devid_alloc().
 * @r: the record.
 * @alias: set to true when @r names the device by a DMA alias, which
 *	other devices behind the same bridge may share.
 *
 * Context: any.
 *
 * Return: true if @r names the device of @id.
 */
bool iommu_fc_devid_match(const struct iommu_fc_devid *id,
			  const struct iommu_fc_record *r, bool *alias)
{
	const u32 *sids = id->ids + id->nr_rids;
	u32 i;

	*alias = false;
	if (r->dev)
		return r->dev == id->dev;

	switch (r->source) {
	case IOMMU_FC_SOURCE_VTD:
		if (!(r->flags & IOMMU_FC_F_PCI) ||
		    !(id->flags & IOMMU_FC_F_PCI) || r->segment != id->segment)
			return false;
		for (i = 0; i < id->nr_rids; i++) {
			if (id->ids[i] == r->sid) {
				*alias = r->sid != id->rid;
				return true;
			}
		}
		return false;
	case IOMMU_FC_SOURCE_SMMUV3:
		if (!r->iommu_fwnode || r->iommu_fwnode != id->iommu_fwnode)
			return false;
		for (i = 0; i < id->nr_sids; i++)
			if (sids[i] == r->sid)
				return true;
		return false;
	default:
		return false;
	}
}
EXPORT_SYMBOL_GPL(iommu_fc_devid_match);
