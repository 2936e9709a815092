# SPDX-License-Identifier: GPL-2.0-only
#
# vfio-mirror.
#
#   make                 build iommu_faultchain.ko and vfio_mirror.ko
#                        against KDIR
#   make mock            build vfio_mirror_mock.ko, for the tests only
#   make W=1 C=2 ...     with extra warnings and sparse on every file
#   make clean
#
# KDIR defaults to the running kernel's build tree and falls back to the
# newest installed Debian 6.12 headers for this machine's architecture.
# Cross build: make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KDIR=...
#
# The checks, the guest tests and the demo are run by tools/mirror.

KVER ?= $(shell uname -r)
DEBARCH ?= $(shell dpkg --print-architecture 2>/dev/null)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
	 $(lastword $(sort $(wildcard /usr/src/linux-headers-6.12.*-$(DEBARCH)))))

MOCK := tools/testing/vfio_mirror_mock

all: modules

kdir:
	@test -n "$(KDIR)" || { echo "no kernel build tree: set KDIR" >&2; exit 1; }

modules: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers modules

mock: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(MOCK) modules

clean: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers clean
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(MOCK) clean

.PHONY: all kdir modules mock clean
