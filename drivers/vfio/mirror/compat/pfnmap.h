/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The size of the page-table leaf behind a follow_pfnmap_start() result.
 *
 * Later kernels report it in struct follow_pfnmap_args (addr_mask, the
 * address bits the leaf covers), for exactly this: mapping a BAR that is
 * mapped with PMD or PUD leaves one leaf at a time, not one 4 KiB page at
 * a time; the probe pfnmap_addr_mask (drivers/compat/probes/) tells
 * whether this kernel does.  6.12 computes it (pfnmap_args_setup() gets
 * PUD_MASK, PMD_MASK or PAGE_MASK) but keeps only whether the leaf was a
 * PTE: args->ptep is set for a PTE and NULL for a PMD or PUD leaf.  The
 * struct calls ptep internal; reading it, between follow_pfnmap_start()
 * and follow_pfnmap_end(), under the lock the walk took, is the one thing
 * this project reads there.  There a PUD leaf is taken as PMD-sized:
 * safe, and 512 lookups per GiB.
 */
#ifndef VFIO_MIRROR_COMPAT_PFNMAP_H
#define VFIO_MIRROR_COMPAT_PFNMAP_H

#include <linux/mm.h>
#include <linux/pgtable.h>

#include "features.h"

/* Frames the leaf of @args maps, a power of two. */
static inline unsigned long
vfm_pfnmap_leaf_pages(const struct follow_pfnmap_args *args)
{
#ifdef VFM_HAVE_PFNMAP_ADDR_MASK
	return (~args->addr_mask >> PAGE_SHIFT) + 1;
#else
	return args->ptep ? 1 : 1UL << (PMD_SHIFT - PAGE_SHIFT);
#endif
}

#endif /* VFIO_MIRROR_COMPAT_PFNMAP_H */
