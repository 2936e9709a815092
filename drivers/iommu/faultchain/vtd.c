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
 * Hook: a kprobe on dmar_fault().  Its pre-handler finds the unit from the
 * interrupt: dmar_alloc_hwirq() gives the unit's sequence number (dmarN,
 * the order of the DMAR table) as the hwirq, checked against the vector
 * in the unit's Fault Event Data register.  Then, by the vtd_mode
 * parameter:
 *
 *   takeover	the pre-handler sends the call to fc_vtd_takeover() instead,
 *		which does dmar_fault()'s job: read and clear every record
 *		until none is left, clear the overflow bits, log (rate
 *		limited).  It is the only reader of the records: each is read
 *		once, before it is cleared, and a fault that arrives while
 *		the handler runs is read by the same loop.
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
 * no free record; how many were dropped is unknown, and each sighting
 * counts as one hw_overflow.  QEMU's VT-d has one record and collapses a
 * second fault from a device whose record is still pending into it.
 *
 * Unhook: unregister the kprobe, which waits for handlers in flight; a
 * takeover handler runs with interrupts off, so the RCU grace period
 * unregister_kprobe() waits for covers it too.  Then unmap.
 */
#include <linux/acpi.h>
#include <linux/bitfield.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/irq.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <asm/hw_irq.h>

#include "fc.h"

/* Intel VT-d specification, chapter 11, "Register Descriptions". */
#define VTD_CAP_REG		0x08
#define VTD_CAP_FRO(c)		(((c) >> 24) & 0x3ff)	/* in 16 bytes */
#define VTD_CAP_NFR(c)		((((c) >> 40) & 0xff) + 1)
#define VTD_FSTS_REG		0x34
#define VTD_FSTS_PFO		BIT(0)	/* Primary Fault Overflow */
#define VTD_FSTS_PPF		BIT(1)	/* Primary Pending Fault */
#define VTD_FSTS_PRO		BIT(7)	/* Page Request Overflow */
#define VTD_FSTS_FRI(s)		(((s) >> 8) & 0xff)	/* Fault Record Index */
#define VTD_FEDATA_REG		0x3c	/* Fault Event Data */
#define VTD_FEDATA_VECTOR	0xff

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

/**
 * struct fc_vtd_unit - a DRHD unit, as this module maps it
 * @index: its sequence number: dmarN in Linux.
 * @phys: base of its registers.
 * @segment: its PCI segment.
 * @regs: this module's mapping of its registers.
 * @fro: byte offset of the first fault record.
 * @nfr: number of fault records.
 * @lock: serialises this module's reads of the records.
 * @interrupts: fault interrupts handled (in takeover mode) or observed.
 */
struct fc_vtd_unit {
	unsigned int index;
	u64 phys;
	u16 segment;
	void __iomem *regs;
	unsigned int fro;
	unsigned int nfr;
	spinlock_t lock;		/* see fc.h for the lock order */
	atomic64_t interrupts;
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

static struct iommu_fc_producer fc_vtd = {
	.name = "vtd",
	.source = IOMMU_FC_SOURCE_VTD,
	.covers = fc_vtd_covers,
	.show = fc_vtd_show,
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

static void fc_vtd_log(const struct iommu_fc_record *r)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);

	if (__ratelimit(&rs))
		pr_err(FC_PFX "dmar%u: DMA %s fault from %04x:%02x:%02x.%d at %#llx, reason %#x\n",
		       r->instance,
		       r->access & IOMMU_FC_ACCESS_READ ? "read" : "write",
		       r->segment, PCI_BUS_NUM(r->sid), PCI_SLOT(r->sid),
		       PCI_FUNC(r->sid), r->iova, r->reason);
}

/*
 * Read the Fault Status of @u, counting an overflow: the first record to
 * read, or -1 when none is pending.
 */
static int fc_vtd_first_record(struct fc_vtd_unit *u)
{
	u32 fsts = readl(u->regs + VTD_FSTS_REG);

	if (fsts & VTD_FSTS_PFO)
		atomic64_inc(&fc_vtd.stats.hw_overflows);
	return fsts & VTD_FSTS_PPF ? VTD_FSTS_FRI(fsts) % u->nfr : -1;
}

/* Observe: report the pending records, leave them to dmar_fault(). */
static void fc_vtd_observe(struct fc_vtd_unit *u)
{
	struct iommu_fc_record r;
	unsigned long flags;
	unsigned int n;
	int i;

	spin_lock_irqsave(&u->lock, flags);
	i = fc_vtd_first_record(u);
	for (n = 0; i >= 0 && n < u->nfr; n++, i = (i + 1) % u->nfr) {
		if (!fc_vtd_read_record(u, i, &r))
			break;
		iommu_fc_report(&fc_vtd, &r);
	}
	spin_unlock_irqrestore(&u->lock, flags);
	atomic64_inc(&u->interrupts);
}

static struct fc_vtd_unit *fc_vtd_unit_of_hwirq(struct irq_data *d)
{
	if (!d || !d->chip || !d->chip->name ||
	    strcmp(d->chip->name, "DMAR-MSI") || d->hwirq >= fc_vtd_nr)
		return NULL;
	return &fc_vtd_units[d->hwirq];
}

/*
 * Takeover: dmar_fault()'s job.  Runs in place of dmar_fault(), with its
 * arguments, in hard interrupt context.
 */
static irqreturn_t fc_vtd_takeover(int irq, void *dev_id)
{
	struct fc_vtd_unit *u = fc_vtd_unit_of_hwirq(irq_get_irq_data(irq));
	struct iommu_fc_record r;
	unsigned long flags;
	int i;

	if (!u)
		return IRQ_NONE;

	spin_lock_irqsave(&u->lock, flags);
	i = fc_vtd_first_record(u);
	/*
	 * Until no record is left: one left pending would keep PPF set, and
	 * no new fault would raise the interrupt again.
	 */
	while (i >= 0 && fc_vtd_read_record(u, i, &r)) {
		writel(VTD_FRCD3_F, u->regs + u->fro + i * VTD_FRCD_LEN + 12);
		iommu_fc_report(&fc_vtd, &r);
		fc_vtd_log(&r);
		i = (i + 1) % u->nfr;
	}
	writel(VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_PRO,
	       u->regs + VTD_FSTS_REG);
	spin_unlock_irqrestore(&u->lock, flags);
	atomic64_inc(&u->interrupts);
	return IRQ_HANDLED;
}

/* The unit whose fault interrupt @irq is, checked against its vector. */
static struct fc_vtd_unit *fc_vtd_unit_of_irq(unsigned int irq)
{
	struct irq_data *d = irq_get_irq_data(irq);
	struct fc_vtd_unit *u = fc_vtd_unit_of_hwirq(d);
	struct irq_cfg *cfg;

	if (!u)
		return NULL;
	cfg = irqd_cfg(d);
	if (!cfg || (readl(u->regs + VTD_FEDATA_REG) & VTD_FEDATA_VECTOR) !=
		    cfg->vector)
		return NULL;
	return u;
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

static bool fc_vtd_covers(struct iommu_fc_producer *p, struct device *dev)
{
	struct iommu_device *iommu;
	unsigned int n;

	if (fc_vtd_hook_err || !dev_is_pci(dev) || !dev->iommu)
		return false;
	iommu = dev->iommu->iommu_dev;
	if (!iommu || !iommu->dev ||
	    sscanf(dev_name(iommu->dev), "dmar%u", &n) != 1 || n >= fc_vtd_nr)
		return false;
	return fc_vtd_units[n].segment == pci_domain_nr(to_pci_dev(dev)->bus);
}

static void fc_vtd_show(struct iommu_fc_producer *p, struct seq_file *m)
{
	struct fc_vtd_unit *u;

	if (fc_vtd_hook_err) {
		seq_printf(m, "hook none (%s: %d)\n", fc_vtd_why,
			   fc_vtd_hook_err);
		return;
	}
	seq_printf(m, "hook kprobe dmar_fault\nmode %s\nunidentified %lld\n",
		   fc_vtd_mode_names[READ_ONCE(fc_vtd_mode)],
		   atomic64_read(&fc_vtd_unidentified));
	for (u = fc_vtd_units; u < fc_vtd_units + fc_vtd_nr; u++)
		seq_printf(m, "dmar%u segment %u base %#llx records %u at %#x interrupts %lld\n",
			   u->index, u->segment, u->phys, u->nfr, u->fro,
			   atomic64_read(&u->interrupts));
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
	if (u->fro < VTD_FEDATA_REG + 4)
		return -EINVAL;
	if (u->fro + u->nfr * VTD_FRCD_LEN > len) {
		len = u->fro + u->nfr * VTD_FRCD_LEN;
		iounmap(u->regs);
		u->regs = ioremap(u->phys, len);
		if (!u->regs)
			return -ENOMEM;
	}
	spin_lock_init(&u->lock);
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

/* Map every DRHD unit of the DMAR table, in table order. */
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
		fc_vtd_units[fc_vtd_nr].index = fc_vtd_nr;
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

/**
 * fc_vtd_init() - register the VT-d producer and hook dmar_fault()
 *
 * Return: 0, or -ENOMEM.
 */
int fc_vtd_init(void)
{
	int ret;

	iommu_fc_producer_register(&fc_vtd);
	ret = fc_vtd_probe_units();
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
	fc_vtd_unmap();
	iommu_fc_producer_unregister(&fc_vtd);
	return ret;
}

/** fc_vtd_exit() - unhook, unmap and unregister */
void fc_vtd_exit(void)
{
	if (!fc_vtd_hook_err)
		unregister_kprobe(&fc_vtd_kprobe);
	fc_vtd_unmap();
	iommu_fc_producer_unregister(&fc_vtd);
}
