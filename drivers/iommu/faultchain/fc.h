/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommu_faultchain: private interfaces between the files of the module.
 *
 *   core.c	consumers, producers, iommu_fc_report() and the backlog
 *   devid.c	naming a device the way the producers do
 *   debugfs.c	counters and producer state for an operator
 *   vtd.c	VT-d primary fault records, hooked at dmar_fault()
 *   smmuv3.c	SMMUv3 event queue, read behind the driver
 *   generic.c	report_iommu_fault(), through the io_page_fault tracepoint
 *
 * Lock order, outermost first:
 *
 *   1. fc_lock (core.c), a mutex: the lists of consumers and producers.
 *   2. a producer's own locks: struct fc_smmu::lock (a mutex: SMMUv3 is
 *	read from a work item), struct fc_vtd_unit::lock (a spinlock taken
 *	with interrupts off, also in the VT-d fault interrupt).
 *   3. iommu_fc_producer::deliver_lock, a mutex: the order in which the
 *	backlog reaches the consumers.  Taken inside (2) when a producer
 *	reports from a context that may sleep.
 *   4. the locks consumers take in their fault callbacks.
 *   5. iommu_fc_producer::backlog_lock, a raw spinlock taken on its own,
 *	in any context.
 *
 * Consumers are walked under RCU; unregistering one waits for a grace
 * period.
 */
#ifndef IOMMU_FAULTCHAIN_FC_H
#define IOMMU_FAULTCHAIN_FC_H

#include <linux/iommu_faultchain.h>

struct seq_file;

/* core.c */
typedef void (*fc_producer_fn)(struct iommu_fc_producer *p, void *data);
void fc_call_producers(fc_producer_fn fn, void *data);

/* debugfs.c */
void fc_debugfs_init(void);
void fc_debugfs_exit(void);
void fc_debugfs_add(struct iommu_fc_producer *p);
void fc_debugfs_remove(struct iommu_fc_producer *p);

/*
 * The producers.  init registers the producer even when it cannot hook
 * (it then covers nothing and says why in debugfs); it fails only on
 * -ENOMEM.  exit unhooks and waits until no hook runs.
 */
int fc_generic_init(void);
void fc_generic_exit(void);

#if IS_ENABLED(CONFIG_X86) && IS_ENABLED(CONFIG_ACPI)
int fc_vtd_init(void);
void fc_vtd_exit(void);
#else
static inline int fc_vtd_init(void) { return 0; }
static inline void fc_vtd_exit(void) { }
#endif

#if IS_ENABLED(CONFIG_ARM64)
int fc_smmuv3_init(void);
void fc_smmuv3_exit(void);
#else
static inline int fc_smmuv3_init(void) { return 0; }
static inline void fc_smmuv3_exit(void) { }
#endif

/* A producer's name for the kernel log. */
#define FC_PFX	"iommu_faultchain: "

#endif /* IOMMU_FAULTCHAIN_FC_H */
