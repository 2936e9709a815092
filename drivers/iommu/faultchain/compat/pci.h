/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PCI device whose requester ID a device's DMA carries.
 *
 * pci_real_dma_dev() answers it for the PCI core and the IOMMU drivers,
 * but is not exported to modules.  Its only override in 6.12 is x86's,
 * for the devices behind an Intel Volume Management Device (CONFIG_VMD),
 * whose DMA carries the VMD endpoint's ID: arch/x86/pci/common.c tells
 * them by the vmd_dev of their bus's struct pci_sysdata, which
 * <asm/pci.h> gives (is_vmd(), to_pci_sysdata()).  Every other
 * architecture uses the default, the device itself.
 *
 * Target: Linux 6.12.
 */
#ifndef IOMMU_FAULTCHAIN_COMPAT_PCI_H
#define IOMMU_FAULTCHAIN_COMPAT_PCI_H

#include <linux/pci.h>

static inline struct pci_dev *fc_real_dma_dev(struct pci_dev *pdev)
{
#if defined(CONFIG_X86) && IS_ENABLED(CONFIG_VMD)
	if (is_vmd(pdev->bus))
		return to_pci_sysdata(pdev->bus)->vmd_dev;
#endif
	return pdev;
}

#endif /* IOMMU_FAULTCHAIN_COMPAT_PCI_H */
