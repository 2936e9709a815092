# SPDX-License-Identifier: GPL-2.0-only
#
# vfio-mirror.
#
#   make                 build iommu_faultchain.ko and vfio_mirror.ko
#                        against KDIR
#   make mock            build vfio_mirror_mock.ko and vfio_mirror_probe.ko,
#                        for the tests only (after make)
#   make W=1 C=2 ...     with extra warnings and sparse on every file
#   make install         install both modules under updates/ of KDIR's
#                        kernel and run depmod (INSTALL_MOD_PATH=DIR: in
#                        DIR/lib/modules); for a host without DKMS
#   make uninstall       remove them again, and run depmod
#   make clean
#
# KDIR defaults to the running kernel's build tree and falls back to the
# newest installed Debian headers of this machine's architecture in their
# plain flavour, of a series drivers/compat/kernels lists (by version, so
# x.y.10 is newer than x.y.9; never -rt-, -cloud- or another flavour).
# Cross build: make ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KDIR=...
#
# The checks, the guest tests and the demo are run by tools/mirror.

KVER ?= $(shell uname -r)
DEBARCH ?= $(shell dpkg --print-architecture 2>/dev/null)
HEADERS ?= /usr/src
SERIES := $(shell awk '/^[0-9]/ { print $$1 }' \
	    $(dir $(lastword $(MAKEFILE_LIST)))drivers/compat/kernels)
empty :=
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
	 $(shell ls -d $(HEADERS)/linux-headers-* 2>/dev/null | \
		 grep -E '/linux-headers-($(subst $(empty) ,|,$(subst .,\.,$(SERIES))))\.[0-9]+(\+[^-/]+)?-$(DEBARCH)$$' | \
		 sort -V | tail -n 1))

MOCK := tools/testing/vfio_mirror_mock
# The release of the kernel KDIR builds for, and where its modules go.
KREL = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
MODDIR = $(INSTALL_MOD_PATH)/lib/modules/$(KREL)
DEPMOD = depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KREL)

all: modules

# Each target here is one kbuild run, and mock needs the Module.symvers of
# modules: run them in the order given; make -j parallelises inside each.
.NOTPARALLEL:

kdir:
	@test -n "$(KDIR)" || { echo "no kernel build tree: set KDIR" >&2; exit 1; }

modules: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers modules

# The test modules link against iommu_faultchain: build the modules first.
mock: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(MOCK) \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/drivers/Module.symvers modules

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers INSTALL_MOD_DIR=updates \
		$(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(INSTALL_MOD_PATH)) \
		modules_install
	$(DEPMOD)

uninstall: kdir
	@test -n "$(KREL)" || { echo "no kernel release in $(KDIR)" >&2; exit 1; }
	find $(MODDIR)/updates \( -name 'iommu_faultchain.ko*' -o \
		-name 'vfio_mirror.ko*' \) -print -delete
	$(DEPMOD)

clean: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR)/drivers clean
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(MOCK) clean

print-kdir:
	@echo $(KDIR)

.PHONY: all kdir modules mock install uninstall clean print-kdir
