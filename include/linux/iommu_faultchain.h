/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommu_faultchain: a notifier chain for IOMMU DMA faults.
 *
 * Producers read faults where the IOMMU driver leaves them (hardware fault
 * records, event queues, report_iommu_fault()) and report them with
 * iommu_fc_report(), from any context, hard interrupts included.  The
 * chain keeps each record in the producer's backlog and hands it to every
 * registered consumer later, in process context: the part that runs with
 * interrupts off is bounded, whatever the consumers do.
 */
#ifndef _LINUX_IOMMU_FAULTCHAIN_H
#define _LINUX_IOMMU_FAULTCHAIN_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct device;
struct dentry;
struct fwnode_handle;
struct seq_file;

/**
 * enum iommu_fc_source - which kind of producer captured a fault
 * @IOMMU_FC_SOURCE_VTD: Intel VT-d primary fault recording registers.
 * @IOMMU_FC_SOURCE_SMMUV3: Arm SMMUv3 event queue.
 * @IOMMU_FC_SOURCE_GENERIC: report_iommu_fault(), from the IOMMU drivers
 *	that pass it the faulting device (AMD-Vi, Exynos SysMMU).
 * @IOMMU_FC_NR_SOURCES: number of sources.
 *
 * The values are those of VFIO_MIRROR_FAULT_SOURCE_* in the vfio-mirror
 * uAPI.
 */
enum iommu_fc_source {
	IOMMU_FC_SOURCE_VTD = 1,
	IOMMU_FC_SOURCE_SMMUV3 = 2,
	IOMMU_FC_SOURCE_GENERIC = 3,
	IOMMU_FC_NR_SOURCES,
};

/* iommu_fc_record::access */
#define IOMMU_FC_ACCESS_READ	BIT(0)
#define IOMMU_FC_ACCESS_WRITE	BIT(1)
#define IOMMU_FC_ACCESS_EXEC	BIT(2)
#define IOMMU_FC_ACCESS_PRIV	BIT(3)

/* iommu_fc_record::flags */
#define IOMMU_FC_F_PCI		BIT(0)	/* @segment and @sid: a PCI requester */
#define IOMMU_FC_F_ADDR		BIT(1)	/* @iova is valid */
#define IOMMU_FC_F_PASID	BIT(2)	/* @pasid is valid */

/* The largest hardware record: an SMMUv3 event (VT-d's takes 16 bytes). */
#define IOMMU_FC_RAW_MAX	32

/**
 * struct iommu_fc_record - one IOMMU fault
 * @source: the producer kind (enum iommu_fc_source).
 * @instance: which IOMMU of that kind: N of the VT-d unit dmarN, or the
 *	index of the SMMUv3; 0 for generic records.
 * @flags: IOMMU_FC_F_*.
 * @iommu_fwnode: firmware node of the reporting IOMMU, when it has one
 *	(SMMUv3): stream IDs are only unique behind one IOMMU.
 * @dev: the faulting device, when the producer knows it (generic records).
 *	The chain holds a reference to it from iommu_fc_report() until every
 *	consumer has seen the record.
 * @segment: PCI segment, with IOMMU_FC_F_PCI.
 * @sid: the source ID the hardware reported: the PCI requester ID (or a
 *	DMA alias of it) on VT-d, the StreamID on SMMUv3, the requester ID
 *	of a PCI @dev for generic records.
 * @pasid: the PASID (SMMUv3 SubstreamID), with IOMMU_FC_F_PASID.
 * @iova: the faulting address, with IOMMU_FC_F_ADDR.  VT-d reports the
 *	page only.
 * @access: IOMMU_FC_ACCESS_*.
 * @reason: the hardware's reason code: VT-d fault reason (FR), SMMUv3
 *	event type; 0 for generic records.
 * @timestamp_ns: CLOCK_MONOTONIC when the producer read the fault.
 * @raw_len: bytes of @raw used; 0 for generic records.
 * @raw: the hardware record as read, little endian.
 * @cookie: the producer's own, passed back to its log callback; consumers
 *	ignore it.
 */
struct iommu_fc_record {
	enum iommu_fc_source source;
	u32 instance;
	u32 flags;
	const struct fwnode_handle *iommu_fwnode;
	struct device *dev;
	u16 segment;
	u32 sid;
	u32 pasid;
	u64 iova;
	u32 access;
	u32 reason;
	u64 timestamp_ns;
	u32 raw_len;
	u8 raw[IOMMU_FC_RAW_MAX];
	unsigned long cookie;
};

/**
 * enum iommu_fc_verdict - what a consumer did with a record
 * @IOMMU_FC_IGNORED: not its device.
 * @IOMMU_FC_DROPPED: its device, but over the consumer's rate limit:
 *	counted as lost.
 * @IOMMU_FC_FULL: its device, but its queue was full: counted as lost.
 * @IOMMU_FC_QUEUED: queued for its user.
 *
 * Ordered: when several consumers see a record, the highest verdict is
 * the one the producer's counters record.
 */
enum iommu_fc_verdict {
	IOMMU_FC_IGNORED,
	IOMMU_FC_DROPPED,
	IOMMU_FC_FULL,
	IOMMU_FC_QUEUED,
};

/**
 * struct iommu_fc_consumer - a receiver of every fault
 * @name: for debugfs.
 * @fault: called for each record, in process context inside an RCU
 *	read-side critical section (it must not sleep), possibly on several
 *	CPUs at once for records of different producers.  Records of one
 *	producer come in the order it reported them.
 * @node: private, on the chain's list of consumers.
 */
struct iommu_fc_consumer {
	const char *name;
	enum iommu_fc_verdict (*fault)(struct iommu_fc_consumer *c,
				       const struct iommu_fc_record *r);
	struct list_head node;
};

int iommu_fc_consumer_register(struct iommu_fc_consumer *c);
void iommu_fc_consumer_unregister(struct iommu_fc_consumer *c);

/**
 * struct iommu_fc_stats - what a producer saw and what became of it
 * @seen: records reported.
 * @delivered: records a consumer queued.
 * @unclaimed: records no consumer wanted (device not watched).
 * @dropped_full: records lost to a consumer's full queue.
 * @dropped_ratelimited: records lost to a consumer's rate limit.
 * @dropped_backlog: records lost because the producer's backlog was full:
 *	they were reported faster than the chain could hand them over.
 * @unidentified: faults that named no device (a report_iommu_fault() call
 *	without one), and so were not reported.
 * @hw_lost: faults the hardware recorded but the producer could not read
 *	in time (an exact count).
 * @hw_overflows: times the hardware said it had to drop faults itself
 *	(VT-d Primary Fault Overflow, SMMUv3 event queue overflow); how
 *	many it dropped is not known.
 *
 * seen = delivered + unclaimed + dropped_full + dropped_ratelimited +
 * dropped_backlog, once the backlog is empty.
 */
struct iommu_fc_stats {
	atomic64_t seen;
	atomic64_t delivered;
	atomic64_t unclaimed;
	atomic64_t dropped_full;
	atomic64_t dropped_ratelimited;
	atomic64_t dropped_backlog;
	atomic64_t unidentified;
	atomic64_t hw_lost;
	atomic64_t hw_overflows;
};

/**
 * struct iommu_fc_producer - a source of faults
 * @name: short name, for debugfs ("vtd", "smmuv3", "generic").
 * @source: the kind of records it reports.
 * @covers: optional; called in process context for a device in an IOMMU
 *	group: can this producer see the device's faults, and name the
 *	device in a way iommu_fc_devid_match() recognises?
 * @show: optional; prints the producer's state for debugfs.
 * @missed: optional; how many times its hook did not run when the IOMMU
 *	signalled faults, so that the driver handled them unseen.
 * @log: optional; called in process context after the consumers, for
 *	each record: a producer that took over the driver's fault handling
 *	logs there what the driver would have.
 * @stats: its counters.
 *
 * The private members are the chain's: the backlog of reported records
 * (a ring under a raw spinlock, with the count of records ever put in it
 * and taken out), the work that empties it and the mutex that orders its
 * emptying, the list entry and the debugfs directory.
 */
struct iommu_fc_producer {
	const char *name;
	enum iommu_fc_source source;
	bool (*covers)(struct iommu_fc_producer *p, struct device *dev);
	void (*show)(struct iommu_fc_producer *p, struct seq_file *m);
	u64 (*missed)(struct iommu_fc_producer *p);
	void (*log)(struct iommu_fc_producer *p,
		    const struct iommu_fc_record *r);
	struct iommu_fc_stats stats;
	/* private: */
	raw_spinlock_t backlog_lock;	/* protects backlog to handed */
	struct iommu_fc_record *backlog;
	u32 backlog_len;
	u32 head;
	u32 count;
	u64 queued;
	u64 handed;
	struct mutex deliver_lock;	/* one emptier at a time, in order */
	struct work_struct work;
	struct list_head node;
	struct dentry *debugfs;
};

int iommu_fc_producer_register(struct iommu_fc_producer *p);
void iommu_fc_producer_unregister(struct iommu_fc_producer *p);
void iommu_fc_report(struct iommu_fc_producer *p,
		     const struct iommu_fc_record *r);
void iommu_fc_flush(struct iommu_fc_producer *p);

/**
 * struct iommu_fc_devid - how the producers name a device
 * @dev: the device (compared, never dereferenced by a match).
 * @iommu_fwnode: firmware node of its IOMMU, if it has one.
 * @flags: IOMMU_FC_F_PCI for a PCI device.
 * @segment: its PCI segment.
 * @rid: its own PCI requester ID (bus << 8 | devfn).
 * @sources: BIT(enum iommu_fc_source) of each producer that can see its
 *	faults.
 * @nr_rids: entries of @ids that are PCI requester IDs the device's DMA
 *	may carry: its own first, then its DMA aliases.
 * @nr_sids: entries of @ids after those: its IOMMU firmware IDs (SMMUv3
 *	StreamIDs), all of them.
 * @ids: @nr_rids requester IDs, then @nr_sids firmware IDs.
 *
 * A consumer makes one per device it watches, in process context, with
 * iommu_fc_devid_alloc(), and then matches records against it in any
 * context with iommu_fc_devid_match().
 */
struct iommu_fc_devid {
	const struct device *dev;
	const struct fwnode_handle *iommu_fwnode;
	u32 flags;
	u16 segment;
	u16 rid;
	u32 sources;
	u32 nr_rids;
	u32 nr_sids;
	u32 ids[];
};

struct iommu_fc_devid *iommu_fc_devid_alloc(struct device *dev, gfp_t gfp);
bool iommu_fc_devid_match(const struct iommu_fc_devid *id,
			  const struct iommu_fc_record *r, bool *alias);

#endif /* _LINUX_IOMMU_FAULTCHAIN_H */
