// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_faultchain: the generic producer, for every IOMMU driver that
 * calls report_iommu_fault() (AMD-Vi, Arm SMMU v1/v2, several embedded
 * IOMMUs, vfio-mirror's mock).
 *
 * Hook: a probe on the io_page_fault tracepoint, which report_iommu_fault()
 * fires after calling the domain's fault handler, whatever that handler
 * returned.  A domain's fault handler would be the other way in, but there
 * is one per domain, owned by whoever allocated the domain; the
 * tracepoint sees the faults of every domain without taking it over.
 *
 * Reads: the device, the IOVA and the IOMMU_FAULT_* flags of the call;
 * there is no hardware record and no reason code.  Context: the driver's,
 * usually its fault interrupt.  Races: none of its own; the tracepoint
 * core makes registration atomic.  Loss: none here; drivers may rate limit
 * before calling report_iommu_fault(), which this cannot see.
 * Unhook: unregister the probe, then wait for probes in flight
 * (tracepoint_synchronize_unregister()).
 *
 * VT-d and SMMUv3 do not call report_iommu_fault() in Linux 6.12, so the
 * generic producer does not claim their devices; vtd.c and smmuv3.c do.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/iommu.h>

#include "fc.h"

static bool fc_generic_covers(struct iommu_fc_producer *p, struct device *dev);
static void fc_generic_show(struct iommu_fc_producer *p, struct seq_file *m);

static struct iommu_fc_producer fc_generic = {
	.name = "generic",
	.source = IOMMU_FC_SOURCE_GENERIC,
	.covers = fc_generic_covers,
	.show = fc_generic_show,
};

static int fc_generic_hook_err = -ENODEV;

static void fc_generic_probe(void *data, struct device *dev,
			     unsigned long iova, int flags)
{
	struct iommu_fc_record r = {
		.dev = dev,
		.flags = IOMMU_FC_F_ADDR,
		.iova = iova,
		.access = flags & IOMMU_FAULT_WRITE ? IOMMU_FC_ACCESS_WRITE :
						      IOMMU_FC_ACCESS_READ,
	};

	if (dev_is_pci(dev)) {
		struct pci_dev *pdev = to_pci_dev(dev);

		r.flags |= IOMMU_FC_F_PCI;
		r.segment = pci_domain_nr(pdev->bus);
		r.sid = pci_dev_id(pdev);
	}
	iommu_fc_report(&fc_generic, &r);
}

/*
 * The IOMMU drivers known not to call report_iommu_fault(), by the name
 * they give their IOMMUs in /sys/class/iommu.
 */
static bool fc_generic_silent_iommu(const char *name)
{
	return str_has_prefix(name, "dmar") || str_has_prefix(name, "smmu3.");
}

static bool fc_generic_covers(struct iommu_fc_producer *p, struct device *dev)
{
	struct iommu_device *iommu;

	if (fc_generic_hook_err || !dev->iommu)
		return false;
	iommu = dev->iommu->iommu_dev;
	return iommu && iommu->dev &&
	       !fc_generic_silent_iommu(dev_name(iommu->dev));
}

static void fc_generic_show(struct iommu_fc_producer *p, struct seq_file *m)
{
	if (fc_generic_hook_err)
		seq_printf(m, "hook none (tracepoint io_page_fault: %d)\n",
			   fc_generic_hook_err);
	else
		seq_puts(m, "hook tracepoint io_page_fault\n");
}

/**
 * fc_generic_init() - register the generic producer and its probe
 *
 * Return: 0.
 */
int fc_generic_init(void)
{
	iommu_fc_producer_register(&fc_generic);
	fc_generic_hook_err = register_trace_io_page_fault(fc_generic_probe,
							   NULL);
	if (fc_generic_hook_err)
		pr_warn(FC_PFX "generic: cannot probe io_page_fault: %d\n",
			fc_generic_hook_err);
	return 0;
}

/** fc_generic_exit() - remove the probe, then the producer */
void fc_generic_exit(void)
{
	if (!fc_generic_hook_err) {
		unregister_trace_io_page_fault(fc_generic_probe, NULL);
		tracepoint_synchronize_unregister();
	}
	iommu_fc_producer_unregister(&fc_generic);
}
