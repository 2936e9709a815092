// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_faultchain: the generic producer, for the IOMMU drivers that call
 * report_iommu_fault() with the faulting device.
 *
 * Hook: a probe on the io_page_fault tracepoint, which report_iommu_fault()
 * fires after calling the domain's fault handler, whatever that handler
 * returned.  A domain's fault handler would be the other way in, but there
 * is one per domain, owned by whoever allocated the domain; the
 * tracepoint sees the faults of every domain without taking it over.
 *
 * Reads: the device, the IOVA and the IOMMU_FAULT_* flags of the call;
 * there is no hardware record and no reason code.  Context: the driver's,
 * often its fault interrupt; the probe only copies the call into the
 * chain's backlog.  A call without a device (Arm SMMU v1/v2 and the
 * Qualcomm variants pass NULL from their context fault interrupt) names
 * nothing a consumer could match: it is counted as unidentified, never
 * dereferenced.  Races: none of its own; the tracepoint core makes
 * registration atomic.  Loss: none here; drivers may rate limit before
 * calling report_iommu_fault(), which this cannot see.
 * Unhook: unregister the probe, then wait for probes in flight
 * (tracepoint_synchronize_unregister()).
 *
 * Which devices it covers.  In Linux 6.12 the drivers that pass the
 * faulting device are AMD-Vi and Exynos SysMMU; ipmmu-vmsa, mtk_iommu,
 * qcom_iommu, omap, rockchip and sun50i pass their own device, Arm SMMU
 * v1/v2 none, and VT-d, SMMUv3, virtio-iommu and apple-dart do not call it
 * at all.  A device is covered only if its IOMMU is on the allow-list of
 * the generic_iommus parameter: each entry is compared with the IOMMU's
 * name in /sys/class/iommu (a prefix: AMD-Vi names its units "ivhdN") and
 * with the driver of the IOMMU's own device ("exynos-sysmmu").
 *
 * AMD-Vi's overflows.  AMD-Vi reports faults in its event log, a ring in
 * memory that its driver's event thread reads, calling
 * report_iommu_fault() for each DMA fault.  When the ring is full the
 * unit drops further events, uncounted, sets EventOverflow and stops
 * logging; the thread, once it has read what the log holds, calls
 * amd_iommu_restart_event_logging() (drivers/iommu/amd/init.c, reached
 * through a pointer) to start it again.  Hook: a kprobe on that
 * function, whose handler counts an overflow (hw_overflows), as VT-d's
 * Primary Fault Overflow is counted: an operator learns that faults were
 * lost, not how many.  The driver calls it for each status it read with
 * EventOverflow set; a unit with erratum ERBT1312, whose status bits may
 * fail to clear, can show one overflow twice.  It counts every AMD-Vi
 * unit's overflows, whether or not ivhd is on the allow-list.  Reads:
 * nothing but the call.  Races: none; the counter is atomic.  Loss: a
 * call kprobes skips is counted in hook_missed.  Unhook:
 * unregister_kprobe(), which waits for handlers in flight.  A kernel
 * without the function (no AMD-Vi driver) has no such hook, and the state
 * file says so; Debian's x86 kernels build the driver in, so it is hooked
 * on their Intel hosts too, where it never fires.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/iommu.h>

#include "fc.h"

static bool fc_generic_covers(struct iommu_fc_producer *p, struct device *dev);
static void fc_generic_show(struct iommu_fc_producer *p, struct seq_file *m);
static u64 fc_generic_missed(struct iommu_fc_producer *p);

static struct iommu_fc_producer fc_generic = {
	.name = "generic",
	.source = IOMMU_FC_SOURCE_GENERIC,
	.covers = fc_generic_covers,
	.show = fc_generic_show,
	.missed = fc_generic_missed,
};

static char fc_generic_iommus[128] = "ivhd,exynos-sysmmu";
module_param_string(generic_iommus, fc_generic_iommus,
		    sizeof(fc_generic_iommus), 0644);
MODULE_PARM_DESC(generic_iommus,
		 "IOMMUs (name prefix or driver name, comma-separated) whose report_iommu_fault() calls name the faulting device (default: ivhd,exynos-sysmmu)");

static int fc_generic_hook_err = -ENODEV;

static int fc_generic_amdvi_overflow(struct kprobe *kp, struct pt_regs *regs)
{
	atomic64_inc(&fc_generic.stats.hw_overflows);
	return 0;
}

static struct kprobe fc_generic_amdvi_kprobe = {
	.symbol_name = "amd_iommu_restart_event_logging",
	.pre_handler = fc_generic_amdvi_overflow,
};

static int fc_generic_amdvi_err = -ENODEV;

static u64 fc_generic_missed(struct iommu_fc_producer *p)
{
	return fc_generic_amdvi_err ? 0 :
				      READ_ONCE(fc_generic_amdvi_kprobe.nmissed);
}

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

	if (!dev) {
		atomic64_inc(&fc_generic.stats.unidentified);
		return;
	}
	if (dev_is_pci(dev)) {
		struct pci_dev *pdev = to_pci_dev(dev);

		r.flags |= IOMMU_FC_F_PCI;
		r.segment = pci_domain_nr(pdev->bus);
		r.sid = pci_dev_id(pdev);
	}
	iommu_fc_report(&fc_generic, &r);
}

/* Is @name (of an IOMMU or of a driver) on the allow-list? */
static bool fc_generic_allowed(const char *name, bool prefix)
{
	const char *e, *list = fc_generic_iommus;
	size_t len;

	for (; *list; list = *e ? e + 1 : e) {
		e = strchrnul(list, ',');
		len = e - list;
		if (len && !strncmp(name, list, len) &&
		    (prefix || !name[len]))
			return true;
	}
	return false;
}

static bool fc_generic_covers(struct iommu_fc_producer *p, struct device *dev)
{
	struct iommu_device *iommu;
	struct device *hw;
	bool ret;

	if (fc_generic_hook_err || !dev->iommu)
		return false;
	iommu = dev->iommu->iommu_dev;
	if (!iommu || !iommu->dev)
		return false;
	hw = iommu->dev->parent;

	kernel_param_lock(THIS_MODULE);
	ret = fc_generic_allowed(dev_name(iommu->dev), true) ||
	      (hw && hw->driver && fc_generic_allowed(hw->driver->name, false));
	kernel_param_unlock(THIS_MODULE);
	return ret;
}

static void fc_generic_show(struct iommu_fc_producer *p, struct seq_file *m)
{
	if (fc_generic_hook_err)
		seq_printf(m, "hook none (tracepoint io_page_fault: %d)\n",
			   fc_generic_hook_err);
	else
		seq_puts(m, "hook tracepoint io_page_fault\n");
	if (fc_generic_amdvi_err)
		seq_printf(m, "overflows none (kprobe %s: %d)\n",
			   fc_generic_amdvi_kprobe.symbol_name,
			   fc_generic_amdvi_err);
	else
		seq_printf(m, "overflows kprobe %s\n",
			   fc_generic_amdvi_kprobe.symbol_name);
	kernel_param_lock(THIS_MODULE);
	seq_printf(m, "iommus %s\n", fc_generic_iommus);
	kernel_param_unlock(THIS_MODULE);
}

/**
 * fc_generic_init() - register the generic producer, its probe and, with
 *	an AMD-Vi driver, its overflow kprobe
 *
 * Return: 0, or -ENOMEM.
 */
int fc_generic_init(void)
{
	int ret;

	ret = iommu_fc_producer_register(&fc_generic);
	if (ret)
		return ret;
	fc_generic_hook_err = register_trace_io_page_fault(fc_generic_probe,
							   NULL);
	if (fc_generic_hook_err)
		pr_warn(FC_PFX "generic: cannot probe io_page_fault: %d\n",
			fc_generic_hook_err);
	if (IS_ENABLED(CONFIG_AMD_IOMMU))
		fc_generic_amdvi_err = register_kprobe(&fc_generic_amdvi_kprobe);
	return 0;
}

/** fc_generic_exit() - remove the probes, then the producer */
void fc_generic_exit(void)
{
	if (!fc_generic_amdvi_err)
		unregister_kprobe(&fc_generic_amdvi_kprobe);
	if (!fc_generic_hook_err) {
		unregister_trace_io_page_fault(fc_generic_probe, NULL);
		tracepoint_synchronize_unregister();
	}
	iommu_fc_producer_unregister(&fc_generic);
}
