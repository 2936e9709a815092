// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mirror_probe: the fault chain names a device on a bus without a
 * bridge.
 *
 * The PCI core puts an SR-IOV VF whose routing ID passes its PF's bus on
 * a bus of its own with no bridge above it (virtfn_add_bus(): the bus's
 * self is NULL).  No QEMU machine the tests run makes one, so this builds
 * the topology in memory, unregistered, beside a real root bus (whose
 * sysdata gives the PCI segment):
 *
 *	root bus R -- conventional PCI-to-PCI bridge B (devfn 1f.7)
 *	              secondary bus S (0xf0)
 *	                 virtual bus V (0xf1, self NULL) -- VF (devfn 00.2)
 *
 * and asks iommu_fc_devid_alloc() for the VF's names, as the consumer
 * does when the VF's group joins a container.  The VF's DMA carries its
 * own ID and, past the conventional bridge, B's.
 *
 * /sys/kernel/debug/vfio_mirror_probe/virtbus, read:
 *	"vf BB:DD.F bridge BB:DD.F\nrids 0xXXXX ...\n"
 * the topology built and the requester IDs of the snapshot, in order.
 */
#include <linux/debugfs.h>
#include <linux/iommu_faultchain.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "probe.h"

struct virtbus {
	struct pci_bus secondary;
	struct pci_bus virtual;
	struct pci_dev bridge;
	struct pci_dev vf;
};

static int virtbus_show(struct seq_file *m, void *unused)
{
	struct iommu_fc_devid *id;
	struct pci_bus *root;
	struct virtbus *t;
	u32 i;

	root = pci_find_next_bus(NULL);
	if (!root)
		return -ENODEV;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;

	t->bridge.bus = root;
	t->bridge.devfn = PCI_DEVFN(0x1f, 7);
	t->bridge.hdr_type = PCI_HEADER_TYPE_BRIDGE;
	t->bridge.subordinate = &t->secondary;
	t->bridge.dev.bus = &pci_bus_type;

	/* The PCI segment, where each architecture keeps it. */
	t->secondary.sysdata = root->sysdata;
#ifdef CONFIG_PCI_DOMAINS_GENERIC
	t->secondary.domain_nr = root->domain_nr;
#endif
	t->secondary.parent = root;
	t->secondary.self = &t->bridge;
	t->secondary.number = 0xf0;

	t->virtual.sysdata = t->secondary.sysdata;
#ifdef CONFIG_PCI_DOMAINS_GENERIC
	t->virtual.domain_nr = t->secondary.domain_nr;
#endif
	t->virtual.parent = &t->secondary;
	t->virtual.number = 0xf1;

	t->vf.bus = &t->virtual;
	t->vf.devfn = PCI_DEVFN(0, 2);
	t->vf.dev.bus = &pci_bus_type;

	id = iommu_fc_devid_alloc(&t->vf.dev, GFP_KERNEL);
	if (!id) {
		kfree(t);
		return -ENOMEM;
	}
	seq_printf(m, "vf %02x:%02x.%d bridge %02x:%02x.%d\nrids",
		   t->virtual.number, PCI_SLOT(t->vf.devfn),
		   PCI_FUNC(t->vf.devfn), root->number,
		   PCI_SLOT(t->bridge.devfn), PCI_FUNC(t->bridge.devfn));
	for (i = 0; i < id->nr_rids; i++)
		seq_printf(m, " %#06x", id->ids[i]);
	seq_putc(m, '\n');
	kfree(id);
	kfree(t);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(virtbus);

void probe_virtbus_init(struct dentry *root)
{
	debugfs_create_file("virtbus", 0400, root, NULL, &virtbus_fops);
}
