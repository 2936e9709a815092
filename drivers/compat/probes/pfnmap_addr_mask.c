// SPDX-License-Identifier: GPL-2.0-only
/*
 * follow_pfnmap_start() reports the size of the page-table leaf it found,
 * as a mask of the address bits the leaf covers (addr_mask).
 */
#include <linux/mm.h>

static inline unsigned long probe(struct follow_pfnmap_args *args)
{
	return args->addr_mask;
}
