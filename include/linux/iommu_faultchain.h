/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommu_faultchain: a notifier chain for IOMMU DMA faults.
 *
 * Producers read faults where the IOMMU driver leaves them (hardware fault
 * records, event queues, report_iommu_fault()) and report them with
 * iommu_fc_report(); every registered consumer sees every record.  Reports
 * may come from any context, hard interrupts included, and on several CPUs
 * at once.
 */
#ifndef _LINUX_IOMMU_FAULTCHAIN_H
#define _LINUX_IOMMU_FAULTCHAIN_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct device;
struct dentry;
struct fwnode_handle;
struct seq_file;

/**
 * enum iommu_fc_source - which kind of producer captured a fault
 * @IOMMU_FC_SOURCE_VTD: Intel VT-d primary fault recording registers.
 * @IOMMU_FC_SOURCE_SMMUV3: Arm SMMUv3 event queue.
 * @IOMMU_FC_SOURCE_GENERIC: report_iommu_fault(), from any IOMMU driver
 *	that calls it (AMD-Vi, Arm SMMU v1/v2, and others).
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
 * @instance: which IOMMU of that kind: the VT-d DRHD unit's number (dmarN)
 *	or the index of the SMMUv3; 0 for generic records.
 * @flags: IOMMU_FC_F_*.
 * @iommu_fwnode: firmware node of the reporting IOMMU, when it has one
 *	(SMMUv3): stream IDs are only unique behind one IOMMU.
 * @dev: the faulting device, when the producer knows it (generic records);
 *	valid only during the consumer's callback.
 * @segment: PCI segment, with IOMMU_FC_F_PCI.
 * @sid: the source ID the hardware reported: the PCI requester ID on
 *	VT-d, the StreamID on SMMUv3, the requester ID of a PCI @dev for
 *	generic records.
 * @pasid: the PASID (SMMUv3 SubstreamID), with IOMMU_FC_F_PASID.
 * @iova: the faulting address, with IOMMU_FC_F_ADDR.  VT-d reports the
 *	page only.
 * @access: IOMMU_FC_ACCESS_*.
 * @reason: the hardware's reason code: VT-d fault reason (FR), SMMUv3
 *	event type; 0 for generic records.
 * @timestamp_ns: CLOCK_MONOTONIC when the producer read the fault.
 * @raw_len: bytes of @raw used; 0 for generic records.
 * @raw: the hardware record as read, little endian.
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
};

/**
 * enum iommu_fc_verdict - what a consumer did with a record
 * @IOMMU_FC_IGNORED: not its device.
 * @IOMMU_FC_DROPPED: its device, but the record was rate limited: counted
 *	as lost.
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
 * @fault: called for each record, in any context (hard interrupts
 *	included), possibly on several CPUs at once, inside an RCU read-side
 *	critical section: it must not sleep.  @deliver is false when the
 *	producer is over its rate limit: the consumer should count the
 *	record as lost (IOMMU_FC_DROPPED) if it is for one of its devices.
 * @node: private, on the chain's list of consumers.
 */
struct iommu_fc_consumer {
	const char *name;
	enum iommu_fc_verdict (*fault)(struct iommu_fc_consumer *c,
				       const struct iommu_fc_record *r,
				       bool deliver);
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
 * @dropped_ratelimited: records lost to the rate limit.
 * @hw_lost: faults the hardware recorded but the producer could not read
 *	in time (an exact count).
 * @hw_overflows: times the hardware said it had to drop faults itself
 *	(VT-d Primary Fault Overflow, SMMUv3 event queue overflow); how
 *	many it dropped is not known.
 *
 * seen = delivered + unclaimed + dropped_full + dropped_ratelimited.
 */
struct iommu_fc_stats {
	atomic64_t seen;
	atomic64_t delivered;
	atomic64_t unclaimed;
	atomic64_t dropped_full;
	atomic64_t dropped_ratelimited;
	atomic64_t hw_lost;
	atomic64_t hw_overflows;
};

/**
 * struct iommu_fc_producer - a source of faults
 * @name: short name, for debugfs ("vtd", "smmuv3", "generic").
 * @source: the kind of records it reports.
 * @covers: optional; called in process context for a device in an IOMMU
 *	group: can this producer see the device's faults?
 * @show: optional; prints the producer's state for debugfs.
 * @stats: its counters.
 *
 * The private members are the chain's: the rate limit's window (when it
 * began, how many records passed, under a raw spinlock), the list entry
 * and the debugfs directory.
 */
struct iommu_fc_producer {
	const char *name;
	enum iommu_fc_source source;
	bool (*covers)(struct iommu_fc_producer *p, struct device *dev);
	void (*show)(struct iommu_fc_producer *p, struct seq_file *m);
	struct iommu_fc_stats stats;
	/* private: */
	raw_spinlock_t rl_lock;		/* protects rl_begin, rl_count */
	unsigned long rl_begin;
	unsigned int rl_count;
	struct list_head node;
	struct dentry *debugfs;
};

int iommu_fc_producer_register(struct iommu_fc_producer *p);
void iommu_fc_producer_unregister(struct iommu_fc_producer *p);
void iommu_fc_report(struct iommu_fc_producer *p, struct iommu_fc_record *r);

/* The most stream IDs of one device a consumer can match. */
#define IOMMU_FC_MAX_SIDS	4

/**
 * struct iommu_fc_devid - how the producers name a device
 * @dev: the device (compared, never dereferenced by a match).
 * @iommu_fwnode: firmware node of its IOMMU, if it has one.
 * @flags: IOMMU_FC_F_PCI for a PCI device.
 * @segment: its PCI segment.
 * @rid: its PCI requester ID (bus << 8 | devfn).
 * @nr_sids: entries of @sids.
 * @sids: its IOMMU firmware IDs (SMMUv3 StreamIDs).
 * @sources: BIT(enum iommu_fc_source) of each producer that can see its
 *	faults.
 *
 * A consumer fills one per device it watches, in process context, and
 * then matches records against it in any context.
 */
struct iommu_fc_devid {
	const struct device *dev;
	const struct fwnode_handle *iommu_fwnode;
	u32 flags;
	u16 segment;
	u16 rid;
	u32 nr_sids;
	u32 sids[IOMMU_FC_MAX_SIDS];
	u32 sources;
};

void iommu_fc_devid_init(struct iommu_fc_devid *id, struct device *dev);
bool iommu_fc_devid_match(const struct iommu_fc_devid *id,
			  const struct iommu_fc_record *r);

#endif /* _LINUX_IOMMU_FAULTCHAIN_H */
