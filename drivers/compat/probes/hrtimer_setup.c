// SPDX-License-Identifier: GPL-2.0-only
/* A timer's callback is given when it is set up, on the stack too. */
#include <linux/hrtimer.h>

static inline void probe(struct hrtimer *t,
			 enum hrtimer_restart (*fn)(struct hrtimer *))
{
	hrtimer_setup(t, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	hrtimer_setup_on_stack(t, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
}
