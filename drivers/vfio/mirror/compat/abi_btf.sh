#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Usage: abi_btf.sh OUR_OBJECT VFIO_KO [BTF_BASE...]
#
# The proof of compat/vfio_private.h on a kernel without CONFIG_MODVERSIONS,
# where Module.symvers has no CRC to compare (abi_check.sh).  pahole prints
# each private type twice: from the DWARF of OUR_OBJECT (compat/abi_check.c
# compiled with our copy) and from the BTF of the target kernel's own
# vfio.ko (split BTF over the kernel's, from the first BTF_BASE that
# exists: the vmlinux of its headers, or /sys/kernel/btf/vmlinux of the
# running kernel).  The two must be the same text: every member's name,
# type, offset and size, every enumerator's value.

ours=$1
ko=$2
shift 2
types="vfio_iommu_driver_ops vfio_group_type"

fail() {
	echo "abi_btf: $*" >&2
	exit 1
}

command -v pahole > /dev/null ||
	fail "pahole (Debian package dwarves) is needed to prove compat/vfio_private.h on a kernel without CONFIG_MODVERSIONS"
[ -f "$ko" ] ||
	fail "no vfio.ko of the target kernel to prove compat/vfio_private.h against (install the kernel's modules, or set VFM_VFIO_KO)"
base=
for b in "$@"; do
	if [ -f "$b" ]; then
		base=$b
		break
	fi
done
[ -n "$base" ] || fail "no BTF of the target kernel (vmlinux) among: $*"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
case $ko in
*.xz) xz -dc "$ko" > "$tmp/vfio.ko" ;;
*.zst) zstd -qdc "$ko" > "$tmp/vfio.ko" ;;
*.gz) gzip -dc "$ko" > "$tmp/vfio.ko" ;;
*) cp "$ko" "$tmp/vfio.ko" ;;
esac || fail "cannot decompress $ko"

for t in $types; do
	pahole -F dwarf -C "$t" "$ours" > "$tmp/ours" 2> /dev/null
	pahole -F btf --btf_base "$base" -C "$t" "$tmp/vfio.ko" \
		> "$tmp/theirs" 2> /dev/null
	[ -s "$tmp/theirs" ] ||
		fail "no BTF of $t in $ko over $base (is $base that kernel's?)"
	[ -s "$tmp/ours" ] || fail "$ours has no DWARF of $t"
	diff -u "$tmp/theirs" "$tmp/ours" >&2 ||
		fail "$t in compat/vfio_private.h (+) differs from the target kernel's (-):
compare drivers/vfio/vfio.h of the target's source and update compat/"
	echo "$t: as in $ko"
done
