/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Workqueue flags that differ between kernels.
 *
 * Workqueues were per-CPU unless WQ_UNBOUND.  Later kernels, on their way
 * to making unbound the default, added WQ_PERCPU and warn at
 * alloc_workqueue() when a workqueue has neither flag.  The probe
 * wq_percpu tells which kernel this is; FC_WQ_PERCPU is the flag there,
 * and nothing (the default) before.
 */
#ifndef IOMMU_FAULTCHAIN_COMPAT_WORKQUEUE_H
#define IOMMU_FAULTCHAIN_COMPAT_WORKQUEUE_H

#include <linux/workqueue.h>

#include "features.h"

#ifdef VFM_HAVE_WQ_PERCPU
#define FC_WQ_PERCPU	WQ_PERCPU
#else
#define FC_WQ_PERCPU	0
#endif

#endif /* IOMMU_FAULTCHAIN_COMPAT_WORKQUEUE_H */
