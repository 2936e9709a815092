// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_faultchain: the SMMUv3 producer, a trailing reader of the event
 * queue.
 *
 * An SMMUv3 writes each event (a translation fault, a bad stream table
 * entry, ...) into its event queue, a ring in memory, and advances the
 * queue's producer index; the arm-smmu-v3 driver's interrupt thread,
 * arm_smmu_evtq_thread(), consumes the events, logs them (rate limited)
 * and advances the consumer index.  Nobody else hears of them.
 *
 * What this reads: every SMMU bound to the arm-smmu-v3 driver, through
 * this module's own mappings: SMMU_EVENTQ_BASE (where the ring is, how
 * big) once, SMMU_EVENTQ_PROD on every scan, and the ring itself, through
 * a mapping of the driver's queue memory.  It never writes to the SMMU and
 * never moves SMMU_EVENTQ_CONS: it keeps its own read index and reads the
 * entries the driver may already have consumed.  Such an entry stays
 * intact until the SMMU writes the slot again, a whole ring later.
 *
 * Hook: a kretprobe on arm_smmu_evtq_thread(), whose entry and return
 * handlers both ask for a scan (when the driver is about to consume, and
 * once it has consumed what arrived meanwhile), and a timer as a safety
 * net (smmuv3_poll_ms), for events that arrive after the thread's last
 * look.  Without the kretprobe the timer alone asks.  The scan itself is
 * a work item: it copies the ring in batches of FC_SMMU_BATCH entries and
 * reports each batch, in process context, with interrupts on; nothing
 * that runs in the driver's thread or in the timer grows with the number
 * of events.
 *
 * Races: with the SMMU, which may be writing the ring as it is read.  An
 * entry is trusted only if, after it was copied, SMMU_EVENTQ_PROD has not
 * come within a ring of it again; otherwise it is counted in hw_lost.  A
 * reader that fell more than a ring behind counts the entries it skipped
 * the same way; one that fell two rings behind between scans cannot tell
 * (a poll interval is far shorter than 2^16 events of QEMU's or any real
 * SMMU's rate).  With the driver: none, it is only read after.
 *
 * Loss: a full ring makes the SMMU drop events and toggle the overflow
 * flag in SMMU_EVENTQ_PROD; each toggle counts as one hw_overflow.
 *
 * Limits: the queue memory is mapped cacheable, so an SMMU that is not
 * DMA-coherent is not read (its driver's queue is an uncached mapping).
 * The queue's location is read once, at load.  An SMMU whose register
 * window is a single 64 KiB page (Cavium CN99xx: the device tree says so,
 * and with ACPI its IORT model gives it a 64 KiB resource) has the page 1
 * registers in page 0: page 1 is never mapped beyond the resource.
 *
 * Unhook: unregister the kretprobe (it waits for handlers in flight), stop
 * the timer, wait for the scan, unregister the producer (its debugfs
 * files go, and what was reported reaches the consumers), and only then
 * unmap and drop the device references.
 */
#include <linux/bitfield.h>
#include <linux/dma-map-ops.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>

#include "fc.h"

/* Arm SMMUv3 architecture specification, chapter 6, "Memory map and registers". */
#define SMMU_PAGE1		SZ_64K
#define SMMU_EVENTQ_BASE	0xa0
#define SMMU_EVENTQ_BASE_ADDR	GENMASK_ULL(51, 5)
#define SMMU_EVENTQ_BASE_LOG2	GENMASK_ULL(4, 0)
#define SMMU_EVENTQ_PROD	0xa8			/* in page 1 */
#define SMMU_EVENTQ_PROD_OVFLG	BIT(31)

/* Chapter 7, "Event queue": a 32-byte record. */
#define SMMU_EVT_DWORDS		4
#define SMMU_EVT_SIZE		(SMMU_EVT_DWORDS * 8)
#define SMMU_EVT0_TYPE		GENMASK_ULL(7, 0)
#define SMMU_EVT0_SSV		BIT_ULL(11)
#define SMMU_EVT0_SSID		GENMASK_ULL(31, 12)
#define SMMU_EVT0_SID		GENMASK_ULL(63, 32)
#define SMMU_EVT1_PNU		BIT_ULL(33)
#define SMMU_EVT1_IND		BIT_ULL(34)
#define SMMU_EVT1_RNW		BIT_ULL(35)
/* F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION: InputAddr valid. */
#define SMMU_EVT_F_TRANSLATION	0x10
#define SMMU_EVT_F_PERMISSION	0x13

#define FC_SMMU_MAX		16
/* Entries copied before SMMU_EVENTQ_PROD is read again to check them. */
#define FC_SMMU_BATCH		16

/**
 * struct fc_smmu - one SMMUv3 as this module reads it
 * @index: its number here, in the order the driver bound them.
 * @dev: the SMMU's platform device (a reference is held).
 * @fwnode: its firmware node, as its masters' fwspecs name it.
 * @base: physical base of its registers.
 * @page1_phys: physical address of the page holding SMMU_EVENTQ_PROD.
 * @page0: this module's mapping of register page 0.
 * @page1: ... and of the page holding SMMU_EVENTQ_PROD.
 * @ring_phys: physical address of the event queue.
 * @ring: this module's mapping of it.
 * @shift: log2 of its number of entries.
 * @rd: the next entry to read, as the SMMU counts (index and wrap bit).
 * @ovf: the overflow flag as last seen.
 * @lock: serialises scans, which only the scan work item makes.
 */
struct fc_smmu {
	unsigned int index;
	struct device *dev;
	const struct fwnode_handle *fwnode;
	phys_addr_t base;
	phys_addr_t page1_phys;
	void __iomem *page0;
	void __iomem *page1;
	phys_addr_t ring_phys;
	const __le64 *ring;
	unsigned int shift;
	u32 rd;
	u32 ovf;
	struct mutex lock;		/* see fc.h for the lock order */
};

static unsigned int fc_smmu_poll_ms = 100;
module_param_named(smmuv3_poll_ms, fc_smmu_poll_ms, uint, 0644);
MODULE_PARM_DESC(smmuv3_poll_ms,
		 "Interval of the timer that reads SMMUv3 event queues (default: 100)");

static bool fc_smmu_covers(struct iommu_fc_producer *p, struct device *dev);
static void fc_smmu_show(struct iommu_fc_producer *p, struct seq_file *m);

static struct iommu_fc_producer fc_smmuv3 = {
	.name = "smmuv3",
	.source = IOMMU_FC_SOURCE_SMMUV3,
	.covers = fc_smmu_covers,
	.show = fc_smmu_show,
};

static struct fc_smmu fc_smmus[FC_SMMU_MAX];
static unsigned int fc_smmu_nr;
static struct timer_list fc_smmu_timer;
static struct work_struct fc_smmu_work;
static int fc_smmu_kretprobe_err = -ENODEV;
static const char *fc_smmu_why = "no SMMUv3 bound to arm-smmu-v3";

static void fc_smmu_decode(struct fc_smmu *s, const u64 *evt,
			   struct iommu_fc_record *r)
{
	unsigned int i;
	u32 type = FIELD_GET(SMMU_EVT0_TYPE, evt[0]);

	memset(r, 0, sizeof(*r));
	r->instance = s->index;
	r->iommu_fwnode = s->fwnode;
	r->sid = FIELD_GET(SMMU_EVT0_SID, evt[0]);
	if (evt[0] & SMMU_EVT0_SSV) {
		r->flags |= IOMMU_FC_F_PASID;
		r->pasid = FIELD_GET(SMMU_EVT0_SSID, evt[0]);
	}
	if (type >= SMMU_EVT_F_TRANSLATION && type <= SMMU_EVT_F_PERMISSION) {
		r->flags |= IOMMU_FC_F_ADDR;
		r->iova = evt[2];
		r->access = evt[1] & SMMU_EVT1_RNW ? IOMMU_FC_ACCESS_READ :
						     IOMMU_FC_ACCESS_WRITE;
		if (evt[1] & SMMU_EVT1_IND)
			r->access |= IOMMU_FC_ACCESS_EXEC;
		if (evt[1] & SMMU_EVT1_PNU)
			r->access |= IOMMU_FC_ACCESS_PRIV;
	}
	r->reason = type;
	for (i = 0; i < SMMU_EVT_DWORDS; i++)
		put_unaligned_le64(evt[i], r->raw + 8 * i);
	r->raw_len = SMMU_EVT_SIZE;
}

/*
 * Copy the next batch of at most FC_SMMU_BATCH entries of @s into @evt and
 * check them against SMMU_EVENTQ_PROD.  Returns the number copied (0:
 * nothing new); in *@skip, how many of them, from the first, the SMMU may
 * have rewritten since.
 */
static unsigned int fc_smmu_copy(struct fc_smmu *s,
				 u64 evt[FC_SMMU_BATCH][SMMU_EVT_DWORDS],
				 unsigned int *skip)
{
	u32 q = 1U << s->shift, wrap_mask = (q << 1) - 1;
	u32 prod, p, now, first;
	unsigned int n, i, k;

	lockdep_assert_held(&s->lock);

	prod = readl(s->page1 + SMMU_EVENTQ_PROD);
	if ((prod ^ s->ovf) & SMMU_EVENTQ_PROD_OVFLG) {
		atomic64_inc(&fc_smmuv3.stats.hw_overflows);
		s->ovf = prod & SMMU_EVENTQ_PROD_OVFLG;
	}
	p = prod & wrap_mask;
	if (((p - s->rd) & wrap_mask) > q) {
		/* More than a ring behind: the oldest entries are gone. */
		atomic64_add(((p - s->rd) & wrap_mask) - q,
			     &fc_smmuv3.stats.hw_lost);
		s->rd = (p - q) & wrap_mask;
	}

	first = s->rd;
	n = min_t(u32, (p - first) & wrap_mask, FC_SMMU_BATCH);
	for (i = 0; i < n; i++) {
		const __le64 *e = s->ring +
			((first + i) & (q - 1)) * SMMU_EVT_DWORDS;

		for (k = 0; k < SMMU_EVT_DWORDS; k++)
			evt[i][k] = le64_to_cpu(READ_ONCE(e[k]));
	}
	/* The copies are complete before the index is read again. */
	rmb();
	now = readl(s->page1 + SMMU_EVENTQ_PROD) & wrap_mask;
	/* A slot is rewritten once the SMMU reached it a ring later. */
	for (*skip = 0; *skip < n; (*skip)++)
		if (((now - (first + *skip)) & wrap_mask) < q)
			break;
	s->rd = (first + n) & wrap_mask;
	return n;
}

/* Read, a batch at a time, what the SMMU wrote since the last scan. */
static void fc_smmu_scan(struct fc_smmu *s)
{
	u64 evt[FC_SMMU_BATCH][SMMU_EVT_DWORDS];
	unsigned int n, skip, i, batches = 0;
	struct iommu_fc_record r;

	mutex_lock(&s->lock);
	/* At most a ring of entries: later ones wait for the next scan. */
	while (batches++ <= (1U << s->shift) / FC_SMMU_BATCH &&
	       (n = fc_smmu_copy(s, evt, &skip))) {
		atomic64_add(skip, &fc_smmuv3.stats.hw_lost);
		for (i = skip; i < n; i++) {
			fc_smmu_decode(s, evt[i], &r);
			iommu_fc_report(&fc_smmuv3, &r);
		}
		cond_resched();
	}
	mutex_unlock(&s->lock);
}

static void fc_smmu_scan_all(struct work_struct *work)
{
	unsigned int i;

	for (i = 0; i < fc_smmu_nr; i++)
		fc_smmu_scan(&fc_smmus[i]);
}

static int fc_smmu_thread_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	queue_work(system_highpri_wq, &fc_smmu_work);
	return 0;
}

static int fc_smmu_thread_return(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	queue_work(system_highpri_wq, &fc_smmu_work);
	return 0;
}

static struct kretprobe fc_smmu_kretprobe = {
	.kp.symbol_name = "arm_smmu_evtq_thread",
	.entry_handler = fc_smmu_thread_entry,
	.handler = fc_smmu_thread_return,
};

static void fc_smmu_tick(struct timer_list *t)
{
	queue_work(system_highpri_wq, &fc_smmu_work);
	mod_timer(t, jiffies +
		  msecs_to_jiffies(max(1U, READ_ONCE(fc_smmu_poll_ms))));
}

static bool fc_smmu_covers(struct iommu_fc_producer *p, struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	unsigned int i;

	/* An event names its device by StreamID: no ID, no match. */
	if (!fwspec || !fwspec->num_ids)
		return false;
	for (i = 0; i < fc_smmu_nr; i++)
		if (fc_smmus[i].fwnode == fwspec->iommu_fwnode)
			return true;
	return false;
}

static void fc_smmu_show(struct iommu_fc_producer *p, struct seq_file *m)
{
	struct fc_smmu *s;

	if (!fc_smmu_nr) {
		seq_printf(m, "hook none (%s)\n", fc_smmu_why);
		return;
	}
	if (fc_smmu_kretprobe_err)
		seq_printf(m, "hook timer %ums (kretprobe arm_smmu_evtq_thread: %d)\n",
			   READ_ONCE(fc_smmu_poll_ms), fc_smmu_kretprobe_err);
	else
		seq_printf(m, "hook kretprobe arm_smmu_evtq_thread, timer %ums\n",
			   READ_ONCE(fc_smmu_poll_ms));
	for (s = fc_smmus; s < fc_smmus + fc_smmu_nr; s++)
		seq_printf(m, "smmu%u %s base %pa page1 %pa queue %pa entries %u read %#x\n",
			   s->index, dev_name(s->dev), &s->base, &s->page1_phys,
			   &s->ring_phys, 1U << s->shift, READ_ONCE(s->rd));
}

static void fc_smmu_unmap(struct fc_smmu *s)
{
	if (s->ring)
		memunmap((void *)s->ring);
	if (s->page1)
		iounmap(s->page1);
	if (s->page0)
		iounmap(s->page0);
	put_device(s->dev);
	mutex_destroy(&s->lock);
	memset(s, 0, sizeof(*s));
}

/* Map one SMMU's registers and event queue; start reading at its PROD. */
static int fc_smmu_map(struct fc_smmu *s, struct platform_device *pdev)
{
	struct resource *res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	phys_addr_t page1;
	u64 qbase;

	if (!res)
		return -ENODEV;
	if (!dev_is_dma_coherent(&pdev->dev)) {
		fc_smmu_why = "SMMU is not DMA-coherent";
		return -EOPNOTSUPP;
	}
	s->dev = get_device(&pdev->dev);
	s->fwnode = dev_fwnode(&pdev->dev);
	s->base = res->start;
	page1 = s->base + SMMU_PAGE1;
	if (of_property_read_bool(pdev->dev.of_node,
				  "cavium,cn9900-broken-page1-regspace") ||
	    resource_size(res) < SMMU_PAGE1 + SZ_4K)
		page1 = s->base;

	s->page1_phys = page1;
	s->page0 = ioremap(s->base, SZ_4K);
	s->page1 = ioremap(page1, SZ_4K);
	if (!s->page0 || !s->page1)
		return -ENOMEM;
	qbase = readq(s->page0 + SMMU_EVENTQ_BASE);
	s->ring_phys = qbase & SMMU_EVENTQ_BASE_ADDR;
	s->shift = FIELD_GET(SMMU_EVENTQ_BASE_LOG2, qbase);
	if (!s->ring_phys || s->shift > 19) {
		fc_smmu_why = "event queue not set up";
		return -ENODEV;
	}
	s->ring = memremap(s->ring_phys, SMMU_EVT_SIZE << s->shift,
			   MEMREMAP_WB);
	if (!s->ring)
		return -ENOMEM;
	s->ovf = readl(s->page1 + SMMU_EVENTQ_PROD);
	s->rd = s->ovf & ((2U << s->shift) - 1);
	s->ovf &= SMMU_EVENTQ_PROD_OVFLG;
	return 0;
}

static int fc_smmu_add(struct device *dev, void *data)
{
	struct fc_smmu *s = &fc_smmus[fc_smmu_nr];
	int ret;

	if (fc_smmu_nr == FC_SMMU_MAX)
		return -E2BIG;
	mutex_init(&s->lock);
	ret = fc_smmu_map(s, to_platform_device(dev));
	if (ret) {
		fc_smmu_unmap(s);
		return ret == -ENOMEM ? ret : 0;
	}
	s->index = fc_smmu_nr++;
	return 0;
}

static void fc_smmu_unmap_all(void)
{
	while (fc_smmu_nr)
		fc_smmu_unmap(&fc_smmus[--fc_smmu_nr]);
}

/**
 * fc_smmuv3_init() - register the SMMUv3 producer and start reading
 *
 * Return: 0, or -ENOMEM.
 */
int fc_smmuv3_init(void)
{
	struct device_driver *drv;
	int ret;

	ret = iommu_fc_producer_register(&fc_smmuv3);
	if (ret)
		return ret;
	drv = driver_find("arm-smmu-v3", &platform_bus_type);
	if (drv)
		ret = driver_for_each_device(drv, NULL, NULL, fc_smmu_add);
	if (ret == -ENOMEM) {
		iommu_fc_producer_unregister(&fc_smmuv3);
		fc_smmu_unmap_all();
		return ret;
	}
	if (!fc_smmu_nr)
		return 0;

	INIT_WORK(&fc_smmu_work, fc_smmu_scan_all);
	timer_setup(&fc_smmu_timer, fc_smmu_tick, 0);
	mod_timer(&fc_smmu_timer, jiffies + 1);
	fc_smmu_kretprobe_err = register_kretprobe(&fc_smmu_kretprobe);
	if (fc_smmu_kretprobe_err)
		pr_warn(FC_PFX "smmuv3: cannot probe arm_smmu_evtq_thread (%d), polling only\n",
			fc_smmu_kretprobe_err);
	return 0;
}

/** fc_smmuv3_exit() - stop reading, unregister, then unmap */
void fc_smmuv3_exit(void)
{
	if (fc_smmu_nr) {
		if (!fc_smmu_kretprobe_err)
			unregister_kretprobe(&fc_smmu_kretprobe);
		timer_shutdown_sync(&fc_smmu_timer);
		cancel_work_sync(&fc_smmu_work);
	}
	iommu_fc_producer_unregister(&fc_smmuv3);
	fc_smmu_unmap_all();
}
