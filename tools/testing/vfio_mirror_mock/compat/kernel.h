/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel interfaces the mock uses that differ between the kernels
 * vfio-mirror is built for.  drivers/compat/probes/ says which this is.
 */
#ifndef VFIO_MIRROR_MOCK_COMPAT_KERNEL_H
#define VFIO_MIRROR_MOCK_COMPAT_KERNEL_H

#include <linux/hrtimer.h>
#include <linux/iommu.h>

#include "features.h"

/*
 * hrtimer_setup() (probe hrtimer_setup) replaced hrtimer_init() and the
 * callback set by hand.
 */
static inline void
mock_hrtimer_setup(struct hrtimer *t,
		   enum hrtimer_restart (*fn)(struct hrtimer *),
		   clockid_t clock, enum hrtimer_mode mode)
{
#ifdef VFM_HAVE_HRTIMER_SETUP
	hrtimer_setup(t, fn, clock, mode);
#else
	hrtimer_init(t, clock, mode);
	t->function = fn;
#endif
}

static inline void
mock_hrtimer_setup_on_stack(struct hrtimer *t,
			    enum hrtimer_restart (*fn)(struct hrtimer *),
			    clockid_t clock, enum hrtimer_mode mode)
{
#ifdef VFM_HAVE_HRTIMER_SETUP
	hrtimer_setup_on_stack(t, fn, clock, mode);
#else
	hrtimer_init_on_stack(t, clock, mode);
	t->function = fn;
#endif
}

/*
 * The parameters of iommu_domain_ops.attach_dev().  Kernels whose
 * attach_dev() is also told the domain it replaces (probe attach_dev_old)
 * pass a third, which the mock does not need.
 */
#ifdef VFM_HAVE_ATTACH_DEV_OLD
#define MOCK_ATTACH_DEV_PARAMS						\
	struct iommu_domain *domain, struct device *dev,		\
	struct iommu_domain *old
#else
#define MOCK_ATTACH_DEV_PARAMS struct iommu_domain *domain, struct device *dev
#endif

#endif /* VFIO_MIRROR_MOCK_COMPAT_KERNEL_H */
