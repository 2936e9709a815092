// SPDX-License-Identifier: GPL-2.0-only
/*
 * A workqueue says whether it is per-CPU (WQ_PERCPU) or unbound; later
 * kernels warn when it says neither.
 */
#include <linux/workqueue.h>

static inline unsigned int probe(void)
{
	return WQ_PERCPU;
}
