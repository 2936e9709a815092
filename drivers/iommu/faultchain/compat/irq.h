/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How many interrupt numbers there are.
 *
 * Linux 6.13 made nr_irqs private to kernel/irq and exports
 * irq_get_nr_irqs() instead; before it, modules read nr_irqs.  The probe
 * irq_get_nr_irqs (drivers/compat/probes/) tells which.
 */
#ifndef IOMMU_FAULTCHAIN_COMPAT_IRQ_H
#define IOMMU_FAULTCHAIN_COMPAT_IRQ_H

#include <linux/irqnr.h>

#include "features.h"

static inline unsigned int fc_nr_irqs(void)
{
#ifdef VFM_HAVE_IRQ_GET_NR_IRQS
	return irq_get_nr_irqs();
#else
	return nr_irqs;
#endif
}

#endif /* IOMMU_FAULTCHAIN_COMPAT_IRQ_H */
