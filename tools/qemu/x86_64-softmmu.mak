# The devices of the VMM that tools/qemu/build makes for the tests: a q35
# machine with intel-iommu and vfio-pci (the VMM the viommu guest runs),
# and, for the guest machines that boot on this build instead of Debian
# 12's QEMU 7.2 (x86_64-amdvi): amd-iommu, the edu test device, ivshmem
# and igb, whose SR-IOV virtual functions QEMU 7.2 lacks.  What q35
# selects itself (its chipset, the ISA serial port of the console) comes
# with it; everything else is left out (configure
# --without-default-devices), which keeps the build short.
CONFIG_Q35=y
CONFIG_VTD=y
CONFIG_VFIO_PCI=y
CONFIG_AMD_IOMMU=y
CONFIG_EDU=y
CONFIG_IVSHMEM_DEVICE=y
CONFIG_IGB_PCI_EXPRESS=y
# igb's code calls e1000x_common.c, which QEMU 10.0's meson builds only
# with e1000 or e1000e.
CONFIG_E1000E_PCI_EXPRESS=y
