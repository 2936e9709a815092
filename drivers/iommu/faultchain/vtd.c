// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_faultchain: the VT-d producer, primary fault records.
 *
 * A VT-d remapping unit (DRHD) logs a DMA fault in one of its Fault
 * Recording Registers and raises its fault event interrupt, whose handler
 * in Linux 6.12 is dmar_fault(): it logs each record (rate limited) and
 * clears it.  Nobody else hears of the fault.
 *
 * What this reads: the DRHD units of the ACPI DMAR table, each through
 * this module's own mapping of its registers: the Capability register
 * (where the fault records are and how many), the Fault Status register
 * (FSTS: pending, overflow, first record) and the records themselves.
 *
 * Which unit is which, from the kernel's own objects: intel-iommu names
 * each unit it drives "dmarN", publishes its register base as the sysfs
 * attribute intel-iommu/address of its IOMMU device dmarN, and requests
 * the unit's fault interrupt under the same name.  At load, this module
 * reads that attribute of the IOMMU of every PCI device to name its own
 * mapping of each register base, and the name of each DMAR-MSI
 * interrupt's action to learn each unit's interrupt.  Neither the order of
 * the DMAR table (the kernel skips duplicate units) nor an interrupt
 * vector (vectors are per CPU) is taken as an identity.  A unit without
 * a name (no PCI device behind it) or without an interrupt is not read.
 *
 * Hook: a kprobe on dmar_fault().  Its pre-handler finds the unit from the
 * interrupt number, then, by the vtd_mode parameter:
 *
 *   takeover	the pre-handler sends the call to fc_vtd_takeover() instead,
 *		which does dmar_fault()'s job with bounded work: it reads at
 *		most FC_VTD_IRQ_RECORDS records, puts each in the chain's
 *		backlog and clears it, then reads the status again and clears
 *		the overflow bits it saw (counting an overflow).  Records
 *		still pending after that are read by a deferred pass, a work
 *		item, in the same bounded steps.  The records are logged
 *		(rate limited) later, in process context.  It is the only
 *		reader of the records: each is read once, before it is
 *		cleared.
 *   observe	the pre-handler reads the pending records without clearing
 *		them, then dmar_fault() runs as usual.  A fault recorded
 *		after that scan, while dmar_fault() clears and logs the
 *		earlier ones, is cleared by dmar_fault() unseen: it is lost
 *		without a count.
 *
 * takeover is the default: Documentation/vfio-mirror/faults.rst has the
 * burst measurement behind the choice.  It is used only in hard interrupt
 * context; the direct call of dmar_fault() when a CPU comes online is
 * observed instead.
 *
 * Races: dmar_fault() takes the unit's register_lock, private to the
 * driver; this module uses its own lock.  Nothing else in the driver
 * reads or clears fault records, and FSTS bits are write-one-to-clear, so
 * clearing PFO and PRO does not disturb the queued-invalidation bits the
 * driver clears elsewhere.  In observe mode the records are read without
 * any lock the driver knows of, before dmar_fault() runs.
 *
 * Loss: the hardware sets Primary Fault Overflow (PFO) when a fault finds
 * no free record; how many were dropped is unknown, and each PFO the
 * module clears counts as one hw_overflow, also one raised while it was
 * reading records.  QEMU's VT-d has one record and collapses a second
 * fault from a device whose record is still pending into it.  When the
 * kprobe does not run (kprobes count it as missed, for instance when the
 * interrupt arrives while another kprobe's handler runs on that CPU) or
 * the interrupt is not one of a known unit, dmar_fault() handles the
 * records unseen: hook_missed counts both.
 *
 * Unhook: unregister the kprobe, which waits for handlers in flight; a
 * takeover handler runs with interrupts off, so the RCU grace period
 * unregister_kprobe() waits for covers it too.  Then the deferred passes
 * are cancelled, the producer is unregistered (its debugfs files go, and
 * the backlog is handed over) and only then are the units unmapped.
 */
#include <linux/acpi.h>
#include <linux/bitfield.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>

#include "fc.h"
#include "compat/irq.h"
#include "compat/pci.h"

/* Intel VT-d specification, chapter 11, "Register Descriptions". */
#define VTD_CAP_REG		0x08
#define VTD_CAP_FRO(c)		(((c) >> 24) & 0x3ff)	/* in 16 bytes */
#define VTD_CAP_NFR(c)		((((c) >> 40) & 0xff) + 1)
#define VTD_FSTS_REG		0x34
#define VTD_FSTS_PFO		BIT(0)	/* Primary Fault Overflow */
#define VTD_FSTS_PPF		BIT(1)	/* Primary Pending Fault */
#define VTD_FSTS_PRO		BIT(7)	/* Page Request Overflow */
#define VTD_FSTS_FRI(s)		(((s) >> 8) & 0xff)	/* Fault Record Index */

/* A Fault Recording Register: 128 bits, read as dwords 2, 3 and qword 0. */
#define VTD_FRCD_LEN		16
#define VTD_FRCD_FI		GENMASK_ULL(63, 12)	/* Fault Info */
#define VTD_FRCD2_SID		GENMASK(15, 0)		/* Source Identifier */
#define VTD_FRCD2_PRIV		BIT(29)			/* Privilege Mode Requested */
#define VTD_FRCD2_EXE		BIT(30)			/* Execute Permission Requested */
#define VTD_FRCD2_PP		BIT(31)			/* PASID Present */
#define VTD_FRCD3_FR		GENMASK(7, 0)		/* Fault Reason */
#define VTD_FRCD3_PV		GENMASK(27, 8)		/* PASID Value */
#define VTD_FRCD3_T1		BIT(30)			/* Type: 1 read, 0 write */
#define VTD_FRCD3_F		BIT(31)			/* Fault */
/* Fault reasons 0x20 to 0x2f are interrupt remapping faults: no address. */
#define VTD_FR_IR_FIRST		0x20
#define VTD_FR_IR_LAST		0x2f

/* The most DRHD units handled, as the intel-iommu driver's default. */
#define FC_VTD_MAX_UNITS	64
/* Records one fault interrupt (or one step of a deferred pass) reads. */
#define FC_VTD_IRQ_RECORDS	16
/* Steps of a deferred pass before it makes way for other work. */
#define FC_VTD_PASS_STEPS	64
/* iommu_fc_record::cookie of the records the module must log itself. */
#define FC_VTD_LOG		1

/**
 * struct fc_vtd_unit - a DRHD unit, as this module maps it
 * @name: the kernel's name of the unit, "dmarN"; empty if not found.
 * @index: N of @name.
 * @irq: its fault interrupt; 0 if not found.
 * @phys: base of its registers.
 * @segment: its PCI segment.
 * @regs: this module's mapping of its registers.
 * @fro: byte offset of the first fault record.
 * @nfr: number of fault records.
 * @lock: serialises this module's reads of the records.
 * @pass: the deferred pass, for records left by a fault interrupt.
 * @interrupts: fault interrupts handled (in takeover mode) or observed.
 * @passes: steps of deferred passes.
 */
struct fc_vtd_unit {
	char name[16];
	unsigned int index;
	unsigned int irq;
	u64 phys;
	u16 segment;
	void __iomem *regs;
	unsigned int fro;
	unsigned int nfr;
	spinlock_t lock;		/* see fc.h for the lock order */
	struct work_struct pass;
	atomic64_t interrupts;
	atomic64_t passes;
};

enum fc_vtd_mode {
	FC_VTD_OBSERVE,
	FC_VTD_TAKEOVER,
};

static const char * const fc_vtd_mode_names[] = {
	[FC_VTD_OBSERVE] = "observe",
	[FC_VTD_TAKEOVER] = "takeover",
};

static int fc_vtd_mode = FC_VTD_TAKEOVER;

static int fc_vtd_mode_set(const char *val, const struct kernel_param *kp)
{
	int mode = sysfs_match_string(fc_vtd_mode_names, val);

	if (mode < 0)
		return mode;
	WRITE_ONCE(fc_vtd_mode, mode);
	return 0;
}

static int fc_vtd_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", fc_vtd_mode_names[READ_ONCE(fc_vtd_mode)]);
}

static const struct kernel_param_ops fc_vtd_mode_ops = {
	.set = fc_vtd_mode_set,
	.get = fc_vtd_mode_get,
};
module_param_cb(vtd_mode, &fc_vtd_mode_ops, NULL, 0644);
MODULE_PARM_DESC(vtd_mode,
		 "How VT-d fault records are read: takeover (this module handles the fault interrupt) or observe (read before dmar_fault()) (default: takeover)");

static bool fc_vtd_covers(struct iommu_fc_producer *p, struct device *dev);
static void fc_vtd_show(struct iommu_fc_producer *p, struct seq_file *m);
static u64 fc_vtd_missed(struct iommu_fc_producer *p);
static void fc_vtd_log(struct iommu_fc_producer *p,
		       const struct iommu_fc_record *r);

static struct iommu_fc_producer fc_vtd = {
	.name = "vtd",
	.source = IOMMU_FC_SOURCE_VTD,
	.covers = fc_vtd_covers,
	.show = fc_vtd_show,
	.missed = fc_vtd_missed,
	.log = fc_vtd_log,
};

static struct fc_vtd_unit *fc_vtd_units;
static unsigned int fc_vtd_nr;
static const char *fc_vtd_why = "not probed";
static atomic64_t fc_vtd_unidentified;

/* Read record @i of @u into @r, if it holds a fault. */
static bool fc_vtd_read_record(struct fc_vtd_unit *u, unsigned int i,
			       struct iommu_fc_record *r)
{
	void __iomem *f = u->regs + u->fro + i * VTD_FRCD_LEN;
	u32 d2, d3, fr;
	u64 fi;

	d3 = readl(f + 12);
	if (!(d3 & VTD_FRCD3_F))
		return false;
	d2 = readl(f + 8);
	fi = readq(f);

	memset(r, 0, sizeof(*r));
	fr = FIELD_GET(VTD_FRCD3_FR, d3);
	r->instance = u->index;
	r->flags = IOMMU_FC_F_PCI;
	r->segment = u->segment;
	r->sid = FIELD_GET(VTD_FRCD2_SID, d2);
	if (fr < VTD_FR_IR_FIRST || fr > VTD_FR_IR_LAST) {
		r->flags |= IOMMU_FC_F_ADDR;
		r->iova = fi & VTD_FRCD_FI;
	}
	if (d2 & VTD_FRCD2_PP) {
		r->flags |= IOMMU_FC_F_PASID;
		r->pasid = FIELD_GET(VTD_FRCD3_PV, d3);
	}
	r->access = d3 & VTD_FRCD3_T1 ? IOMMU_FC_ACCESS_READ :
					IOMMU_FC_ACCESS_WRITE;
	if (d2 & VTD_FRCD2_EXE)
		r->access |= IOMMU_FC_ACCESS_EXEC;
	if (d2 & VTD_FRCD2_PRIV)
		r->access |= IOMMU_FC_ACCESS_PRIV;
	r->reason = fr;
	put_unaligned_le64(fi, r->raw);
	put_unaligned_le32(d2, r->raw + 8);
	put_unaligned_le32(d3, r->raw + 12);
	r->raw_len = VTD_FRCD_LEN;
	return true;
}

/* The chain calls this in process context, after the consumers. */
static void fc_vtd_log(struct iommu_fc_producer *p,
		       const struct iommu_fc_record *r)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);

	if (r->cookie == FC_VTD_LOG && __ratelimit(&rs))
		pr_err(FC_PFX "dmar%u: DMA %s fault from %04x:%02x:%02x.%d at %#llx, reason %#x\n",
		       r->instance,
		       r->access & IOMMU_FC_ACCESS_READ ? "read" : "write",
		       r->segment, PCI_BUS_NUM(r->sid), PCI_SLOT(r->sid),
		       PCI_FUNC(r->sid), r->iova, r->reason);
}

/* Observe: report the pending records, leave them to dmar_fault(). */
static void fc_vtd_observe(struct fc_vtd_unit *u)
{
	struct iommu_fc_record r;
	unsigned long flags;
	unsigned int n, i;
	u32 fsts;

	spin_lock_irqsave(&u->lock, flags);
	fsts = readl(u->regs + VTD_FSTS_REG);
	if (fsts & VTD_FSTS_PFO)
		atomic64_inc(&fc_vtd.stats.hw_overflows);
	i = VTD_FSTS_FRI(fsts) % u->nfr;
	for (n = 0; fsts & VTD_FSTS_PPF && n < u->nfr; n++) {
		if (!fc_vtd_read_record(u, i, &r))
			break;
		iommu_fc_report(&fc_vtd, &r);
		i = (i + 1) % u->nfr;
	}
	spin_unlock_irqrestore(&u->lock, flags);
	atomic64_inc(&u->interrupts);
}

/*
 * Takeover: read, report and clear at most FC_VTD_IRQ_RECORDS records of
 * @u, then clear the overflow bits the status shows now.  Returns true
 * when records are still pending.
 */
static bool fc_vtd_take_records(struct fc_vtd_unit *u)
{
	struct iommu_fc_record r;
	unsigned int n, i;
	u32 fsts;

	lockdep_assert_held(&u->lock);

	fsts = readl(u->regs + VTD_FSTS_REG);
	i = VTD_FSTS_FRI(fsts) % u->nfr;
	for (n = 0; fsts & VTD_FSTS_PPF && n < FC_VTD_IRQ_RECORDS; n++) {
		if (!fc_vtd_read_record(u, i, &r))
			break;
		r.cookie = FC_VTD_LOG;
		iommu_fc_report(&fc_vtd, &r);
		/* Cleared once recorded: a record pending keeps PPF set. */
		writel(VTD_FRCD3_F, u->regs + u->fro + i * VTD_FRCD_LEN + 12);
		i = (i + 1) % u->nfr;
	}

	/*
	 * Again: an overflow may have been raised while the records were
	 * read.  Only what is seen is cleared, and counted.
	 */
	fsts = readl(u->regs + VTD_FSTS_REG);
	if (fsts & VTD_FSTS_PFO)
		atomic64_inc(&fc_vtd.stats.hw_overflows);
	if (fsts & (VTD_FSTS_PFO | VTD_FSTS_PRO))
		writel(fsts & (VTD_FSTS_PFO | VTD_FSTS_PRO),
		       u->regs + VTD_FSTS_REG);
	return fsts & VTD_FSTS_PPF;
}

static struct fc_vtd_unit *fc_vtd_unit_of_irq(unsigned int irq)
{
	unsigned int i;

	for (i = 0; irq && i < fc_vtd_nr; i++)
		if (fc_vtd_units[i].irq == irq)
			return &fc_vtd_units[i];
	return NULL;
}

/*
 * Takeover: dmar_fault()'s job.  Runs in place of dmar_fault(), with its
 * arguments, in hard interrupt context.
 */
static irqreturn_t fc_vtd_takeover(int irq, void *dev_id)
{
	struct fc_vtd_unit *u = fc_vtd_unit_of_irq(irq);
	unsigned long flags;
	bool more;

	if (!u)
		return IRQ_NONE;

	spin_lock_irqsave(&u->lock, flags);
	more = fc_vtd_take_records(u);
	spin_unlock_irqrestore(&u->lock, flags);
	atomic64_inc(&u->interrupts);
	if (more)
		schedule_work(&u->pass);
	return IRQ_HANDLED;
}

/*
 * The deferred pass: what a fault interrupt left, in the same steps, with
 * interrupts on between them.  A storm that outlasts FC_VTD_PASS_STEPS
 * steps queues the pass again rather than hold the worker.
 */
static void fc_vtd_pass(struct work_struct *work)
{
	struct fc_vtd_unit *u = container_of(work, struct fc_vtd_unit, pass);
	unsigned long flags;
	unsigned int step;
	bool more = true;

	for (step = 0; more && step < FC_VTD_PASS_STEPS; step++) {
		/* In observe mode dmar_fault() clears the records. */
		if (READ_ONCE(fc_vtd_mode) != FC_VTD_TAKEOVER)
			return;
		spin_lock_irqsave(&u->lock, flags);
		more = fc_vtd_take_records(u);
		spin_unlock_irqrestore(&u->lock, flags);
		atomic64_inc(&u->passes);
		cond_resched();
	}
	if (more)
		schedule_work(&u->pass);
}

static int fc_vtd_pre(struct kprobe *kp, struct pt_regs *regs)
{
	unsigned int irq = regs_get_kernel_argument(regs, 0);
	struct fc_vtd_unit *u = fc_vtd_unit_of_irq(irq);

	if (!u) {
		atomic64_inc(&fc_vtd_unidentified);
		return 0;
	}
	if (READ_ONCE(fc_vtd_mode) == FC_VTD_TAKEOVER && in_hardirq()) {
		instruction_pointer_set(regs, (unsigned long)fc_vtd_takeover);
		return 1;
	}
	fc_vtd_observe(u);
	return 0;
}

/*
 * A post-handler makes kprobes arm the probe with an ftrace_ops that may
 * change the instruction pointer (FTRACE_OPS_FL_IPMODIFY), as takeover
 * does; it then excludes other such users (livepatch) of dmar_fault().
 */
static void fc_vtd_post(struct kprobe *kp, struct pt_regs *regs,
			unsigned long flags)
{
}

static struct kprobe fc_vtd_kprobe = {
	.symbol_name = "dmar_fault",
	.pre_handler = fc_vtd_pre,
	.post_handler = fc_vtd_post,
};

static int fc_vtd_hook_err = -ENODEV;

static u64 fc_vtd_missed(struct iommu_fc_producer *p)
{
	if (fc_vtd_hook_err)
		return 0;
	return READ_ONCE(fc_vtd_kprobe.nmissed) +
	       atomic64_read(&fc_vtd_unidentified);
}

static struct fc_vtd_unit *fc_vtd_unit_of_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < fc_vtd_nr; i++)
		if (fc_vtd_units[i].name[0] &&
		    !strcmp(fc_vtd_units[i].name, name))
			return &fc_vtd_units[i];
	return NULL;
}

static bool fc_vtd_covers(struct iommu_fc_producer *p, struct device *dev)
{
	struct iommu_device *iommu;
	struct fc_vtd_unit *u;

	if (fc_vtd_hook_err || !dev_is_pci(dev) || !dev->iommu)
		return false;
	iommu = dev->iommu->iommu_dev;
	if (!iommu || !iommu->dev)
		return false;
	u = fc_vtd_unit_of_name(dev_name(iommu->dev));
	return u && u->irq &&
	       u->segment ==
	       pci_domain_nr(fc_real_dma_dev(to_pci_dev(dev))->bus);
}

static void fc_vtd_show(struct iommu_fc_producer *p, struct seq_file *m)
{
	struct fc_vtd_unit *u;

	if (fc_vtd_hook_err) {
		seq_printf(m, "hook none (%s: %d)\n", fc_vtd_why,
			   fc_vtd_hook_err);
		return;
	}
	seq_printf(m, "hook kprobe dmar_fault\nmode %s\n",
		   fc_vtd_mode_names[READ_ONCE(fc_vtd_mode)]);
	seq_printf(m, "kprobe_missed %lu\nunidentified_interrupts %lld\n",
		   READ_ONCE(fc_vtd_kprobe.nmissed),
		   atomic64_read(&fc_vtd_unidentified));
	for (u = fc_vtd_units; u < fc_vtd_units + fc_vtd_nr; u++)
		seq_printf(m, "%s segment %u base %#llx irq %u records %u at %#x interrupts %lld passes %lld\n",
			   u->name[0] ? u->name : "unnamed", u->segment,
			   u->phys, u->irq, u->nfr, u->fro,
			   atomic64_read(&u->interrupts),
			   atomic64_read(&u->passes));
}

static int fc_vtd_map_unit(struct fc_vtd_unit *u)
{
	size_t len = PAGE_SIZE;
	u64 cap;

	u->regs = ioremap(u->phys, len);
	if (!u->regs)
		return -ENOMEM;
	cap = readq(u->regs + VTD_CAP_REG);
	u->fro = VTD_CAP_FRO(cap) * VTD_FRCD_LEN;
	u->nfr = VTD_CAP_NFR(cap);
	if (u->fro < VTD_FSTS_REG + 4)
		return -EINVAL;
	if (u->fro + u->nfr * VTD_FRCD_LEN > len) {
		len = u->fro + u->nfr * VTD_FRCD_LEN;
		iounmap(u->regs);
		u->regs = ioremap(u->phys, len);
		if (!u->regs)
			return -ENOMEM;
	}
	spin_lock_init(&u->lock);
	INIT_WORK(&u->pass, fc_vtd_pass);
	return 0;
}

static void fc_vtd_unmap(void)
{
	unsigned int i;

	for (i = 0; i < fc_vtd_nr; i++)
		if (fc_vtd_units[i].regs)
			iounmap(fc_vtd_units[i].regs);
	kfree(fc_vtd_units);
	fc_vtd_units = NULL;
	fc_vtd_nr = 0;
}

/* Map every DRHD unit of the DMAR table. */
static int fc_vtd_probe_units(void)
{
	struct acpi_dmar_hardware_unit *drhd;
	struct acpi_table_header *table;
	struct acpi_dmar_header *h;
	void *pos, *end;
	acpi_status st;
	int ret = 0;

	st = acpi_get_table(ACPI_SIG_DMAR, 0, &table);
	if (ACPI_FAILURE(st)) {
		fc_vtd_why = "no DMAR table";
		return -ENODEV;
	}
	fc_vtd_units = kcalloc(FC_VTD_MAX_UNITS, sizeof(*fc_vtd_units),
			       GFP_KERNEL);
	if (!fc_vtd_units) {
		ret = -ENOMEM;
		goto out;
	}

	pos = (void *)table + sizeof(struct acpi_table_dmar);
	end = (void *)table + table->length;
	while (pos + sizeof(*h) <= end) {
		h = pos;
		if (h->length < sizeof(*h) || pos + h->length > end)
			break;
		pos += h->length;
		if (h->type != ACPI_DMAR_TYPE_HARDWARE_UNIT ||
		    h->length < sizeof(*drhd))
			continue;
		if (fc_vtd_nr == FC_VTD_MAX_UNITS) {
			fc_vtd_why = "too many DRHD units";
			ret = -E2BIG;
			goto out;
		}
		drhd = (struct acpi_dmar_hardware_unit *)h;
		fc_vtd_units[fc_vtd_nr].phys = drhd->address;
		fc_vtd_units[fc_vtd_nr].segment = drhd->segment;
		ret = fc_vtd_map_unit(&fc_vtd_units[fc_vtd_nr++]);
		if (ret) {
			fc_vtd_why = "cannot map DRHD registers";
			goto out;
		}
	}
	if (!fc_vtd_nr) {
		fc_vtd_why = "no DRHD unit";
		ret = -ENODEV;
	}
out:
	acpi_put_table(table);
	return ret;
}

/*
 * The register base intel-iommu gives the IOMMU device @idev in its sysfs
 * attribute intel-iommu/address, or 0.  @page is a page to print into.
 */
static u64 fc_vtd_address_attr(struct device *idev, char *page)
{
	const struct attribute_group **g;
	struct device_attribute *da;
	struct attribute **a;
	u64 base;

	for (g = idev->groups; g && *g; g++) {
		if (!(*g)->name || strcmp((*g)->name, "intel-iommu"))
			continue;
		for (a = (*g)->attrs; a && *a; a++) {
			if (strcmp((*a)->name, "address"))
				continue;
			da = container_of(*a, struct device_attribute, attr);
			if (!da->show || da->show(idev, da, page) <= 0 ||
			    kstrtou64(strim(page), 16, &base))
				return 0;
			return base;
		}
	}
	return 0;
}

/* Name the unit behind PCI device @dev's IOMMU. */
static int fc_vtd_name_unit(struct device *dev, void *page)
{
	struct iommu_device *iommu;
	unsigned int i, n;
	u64 base;

	if (!dev->iommu || !dev->iommu->iommu_dev)
		return 0;
	iommu = dev->iommu->iommu_dev;
	if (!iommu->dev || fc_vtd_unit_of_name(dev_name(iommu->dev)) ||
	    sscanf(dev_name(iommu->dev), "dmar%u", &n) != 1)
		return 0;
	base = fc_vtd_address_attr(iommu->dev, page);
	for (i = 0; base && i < fc_vtd_nr; i++) {
		struct fc_vtd_unit *u = &fc_vtd_units[i];

		if (u->phys == base && !u->name[0]) {
			strscpy(u->name, dev_name(iommu->dev), sizeof(u->name));
			u->index = n;
			break;
		}
	}
	return 0;
}

/* Give each named unit the DMAR-MSI interrupt requested under its name. */
static void fc_vtd_find_irqs(void)
{
	struct fc_vtd_unit *u;
	struct irq_data *d;
	struct irq_desc *desc;
	unsigned long flags;
	char name[16];
	unsigned int irq;

	for (irq = 1; irq < fc_nr_irqs(); irq++) {
		d = irq_get_irq_data(irq);
		if (!d || !d->chip || !d->chip->name ||
		    strcmp(d->chip->name, "DMAR-MSI"))
			continue;
		desc = irq_data_to_desc(d);
		name[0] = 0;
		raw_spin_lock_irqsave(&desc->lock, flags);
		if (desc->action && desc->action->name)
			strscpy(name, desc->action->name, sizeof(name));
		raw_spin_unlock_irqrestore(&desc->lock, flags);
		u = name[0] ? fc_vtd_unit_of_name(name) : NULL;
		if (u)
			u->irq = irq;
	}
}

static int fc_vtd_identify_units(void)
{
	void *page = (void *)__get_free_page(GFP_KERNEL);

	if (!page)
		return -ENOMEM;
	bus_for_each_dev(&pci_bus_type, NULL, page, fc_vtd_name_unit);
	free_page((unsigned long)page);
	fc_vtd_find_irqs();
	return 0;
}

/**
 * fc_vtd_init() - register the VT-d producer and hook dmar_fault()
 *
 * Return: 0, or -ENOMEM.
 */
int fc_vtd_init(void)
{
	int ret;

	ret = iommu_fc_producer_register(&fc_vtd);
	if (ret)
		return ret;
	ret = fc_vtd_probe_units();
	if (!ret)
		ret = fc_vtd_identify_units();
	if (ret == -ENOMEM)
		goto fail;
	if (ret) {
		fc_vtd_hook_err = ret;
		fc_vtd_unmap();
		return 0;
	}
	fc_vtd_hook_err = register_kprobe(&fc_vtd_kprobe);
	if (fc_vtd_hook_err) {
		fc_vtd_why = "kprobe on dmar_fault";
		pr_warn(FC_PFX "vtd: cannot probe dmar_fault: %d\n",
			fc_vtd_hook_err);
		fc_vtd_unmap();
	}
	return 0;

fail:
	iommu_fc_producer_unregister(&fc_vtd);
	fc_vtd_unmap();
	return ret;
}

/** fc_vtd_exit() - unhook, unregister, then unmap */
void fc_vtd_exit(void)
{
	unsigned int i;

	if (!fc_vtd_hook_err) {
		unregister_kprobe(&fc_vtd_kprobe);
		for (i = 0; i < fc_vtd_nr; i++)
			cancel_work_sync(&fc_vtd_units[i].pass);
	}
	iommu_fc_producer_unregister(&fc_vtd);
	fc_vtd_unmap();
}
