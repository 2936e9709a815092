#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Usage: genksyms ... | abi_check.sh MODULE_SYMVERS
#
# Compare the CRC genksyms computed over compat/ for
# vfio_register_iommu_driver with the one the target kernel exported.
# Prints the symbol and CRC on success; explains and fails otherwise.

sym=vfio_register_iommu_driver
symvers=$1

ours=$(sed -n "s/^#SYMVER $sym \(0x[0-9a-fA-F]*\)\$/\1/p")
theirs=$(awk -v s="$sym" '$2 == s { print $1 }' "$symvers")

fail() {
	echo "abi_check: $*" >&2
	exit 1
}

[ -n "$theirs" ] ||
	fail "$symvers does not export $sym (is CONFIG_VFIO_CONTAINER enabled?)"
[ -n "$ours" ] || fail "genksyms computed no CRC for $sym"
[ $((theirs)) -ne 0 ] ||
	fail "$symvers has no CRC for $sym (CONFIG_MODVERSIONS=n):
cannot verify compat/vfio_private.h"
[ $((ours)) -eq $((theirs)) ] ||
	fail "CRC of $sym over compat/ is $ours, the target kernel's is $theirs:
the target's private VFIO layout differs from drivers/vfio/mirror/compat/.
Compare drivers/vfio/vfio.h of the target's source with
compat/vfio_private.h and compat/abi_check.h and update them."
echo "$sym $ours"
