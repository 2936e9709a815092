// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_faultchain: what an operator can read, under
 * /sys/kernel/debug/iommu_faultchain/<producer>/:
 *
 *   counters	"name value" lines of struct iommu_fc_stats, and
 *		hook_missed; reading it first waits for the backlog
 *   state	what the producer hooked and how, or why it could not
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "fc.h"

static struct dentry *fc_debugfs_root;

static int fc_counters_show(struct seq_file *m, void *unused)
{
	struct iommu_fc_producer *p = m->private;
	struct iommu_fc_stats *s = &p->stats;

	/* What was reported so far, handed over: the sums add up. */
	iommu_fc_flush(p);
	seq_printf(m, "seen %lld\n", atomic64_read(&s->seen));
	seq_printf(m, "delivered %lld\n", atomic64_read(&s->delivered));
	seq_printf(m, "unclaimed %lld\n", atomic64_read(&s->unclaimed));
	seq_printf(m, "dropped_full %lld\n", atomic64_read(&s->dropped_full));
	seq_printf(m, "dropped_ratelimited %lld\n",
		   atomic64_read(&s->dropped_ratelimited));
	seq_printf(m, "dropped_backlog %lld\n",
		   atomic64_read(&s->dropped_backlog));
	seq_printf(m, "unidentified %lld\n", atomic64_read(&s->unidentified));
	seq_printf(m, "hw_lost %lld\n", atomic64_read(&s->hw_lost));
	seq_printf(m, "hw_overflows %lld\n", atomic64_read(&s->hw_overflows));
	seq_printf(m, "hook_missed %llu\n", p->missed ? p->missed(p) : 0);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fc_counters);

static int fc_state_show(struct seq_file *m, void *unused)
{
	struct iommu_fc_producer *p = m->private;

	if (p->show)
		p->show(p, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fc_state);

/** fc_debugfs_init() - create the module's debugfs directory */
void fc_debugfs_init(void)
{
	fc_debugfs_root = debugfs_create_dir("iommu_faultchain", NULL);
}

/** fc_debugfs_exit() - remove it */
void fc_debugfs_exit(void)
{
	debugfs_remove(fc_debugfs_root);
}

/**
 * fc_debugfs_add() - create a producer's files
 * @p: the producer being registered.
 */
void fc_debugfs_add(struct iommu_fc_producer *p)
{
	p->debugfs = debugfs_create_dir(p->name, fc_debugfs_root);
	debugfs_create_file("counters", 0444, p->debugfs, p,
			    &fc_counters_fops);
	debugfs_create_file("state", 0444, p->debugfs, p, &fc_state_fops);
}

/**
 * fc_debugfs_remove() - remove them
 * @p: the producer being unregistered.
 */
void fc_debugfs_remove(struct iommu_fc_producer *p)
{
	debugfs_remove(p->debugfs);
}
