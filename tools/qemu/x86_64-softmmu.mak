# The devices of the VMM that tools/qemu/build makes for the tests: a q35
# machine with intel-iommu and vfio-pci, and what q35 selects itself (its
# chipset, the ISA serial port of the console).  Everything else is left
# out (configure --without-default-devices), which keeps the build short.
CONFIG_Q35=y
CONFIG_VTD=y
CONFIG_VFIO_PCI=y
