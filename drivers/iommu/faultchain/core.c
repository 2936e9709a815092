// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_faultchain: the chain itself.
 *
 * Producers (vtd.c, smmuv3.c, generic.c, or another module) report each
 * fault once with iommu_fc_report(); every consumer sees it, in the
 * producer's context.  The chain counts what became of each record, per
 * producer, so that nothing is lost without a counter saying so.
 *
 * A rate limit per producer bounds how many records per interval reach
 * the consumers' queues (and so wake their users) during a fault storm:
 * over it, consumers are still called, to count the record as lost.
 */
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/timekeeping.h>

#include "fc.h"

static DEFINE_MUTEX(fc_lock);
static LIST_HEAD(fc_consumers);		/* RCU readers, fc_lock writers */
static LIST_HEAD(fc_producers);		/* under fc_lock */

static unsigned int fc_ratelimit_burst = 10000;
static unsigned int fc_ratelimit_interval_ms = 1000;

static void fc_ratelimit_reset(struct iommu_fc_producer *p)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&p->rl_lock, flags);
	p->rl_begin = jiffies;
	p->rl_count = 0;
	raw_spin_unlock_irqrestore(&p->rl_lock, flags);
}

/* Setting either parameter starts a new window for every producer. */
static int fc_ratelimit_set(const char *val, const struct kernel_param *kp)
{
	struct iommu_fc_producer *p;
	int ret;

	ret = param_set_uint(val, kp);
	if (ret)
		return ret;
	mutex_lock(&fc_lock);
	list_for_each_entry(p, &fc_producers, node)
		fc_ratelimit_reset(p);
	mutex_unlock(&fc_lock);
	return 0;
}

static const struct kernel_param_ops fc_ratelimit_ops = {
	.set = fc_ratelimit_set,
	.get = param_get_uint,
};

module_param_cb(ratelimit_burst, &fc_ratelimit_ops, &fc_ratelimit_burst,
		0644);
MODULE_PARM_DESC(ratelimit_burst,
		 "Records per producer and interval that reach consumers' queues; 0: no limit (default: 10000)");
module_param_cb(ratelimit_interval_ms, &fc_ratelimit_ops,
		&fc_ratelimit_interval_ms, 0644);
MODULE_PARM_DESC(ratelimit_interval_ms,
		 "Length of the rate limit interval (default: 1000)");

static bool fc_ratelimit_pass(struct iommu_fc_producer *p)
{
	unsigned int burst = READ_ONCE(fc_ratelimit_burst);
	unsigned long interval, flags;
	bool pass;

	if (!burst)
		return true;
	interval = msecs_to_jiffies(READ_ONCE(fc_ratelimit_interval_ms));

	raw_spin_lock_irqsave(&p->rl_lock, flags);
	if (time_after_eq(jiffies, p->rl_begin + interval)) {
		p->rl_begin = jiffies;
		p->rl_count = 0;
	}
	pass = p->rl_count < burst;
	if (pass)
		p->rl_count++;
	raw_spin_unlock_irqrestore(&p->rl_lock, flags);
	return pass;
}

/**
 * iommu_fc_report() - report one fault to every consumer
 * @p: the registered producer that read it.
 * @r: the record; @r->source is set from @p, and @r->timestamp_ns to now
 *	if it is 0.
 *
 * Context: any, hard interrupts included.  @r may live on the stack: the
 * consumers copy what they keep.
 */
void iommu_fc_report(struct iommu_fc_producer *p, struct iommu_fc_record *r)
{
	enum iommu_fc_verdict v, best = IOMMU_FC_IGNORED;
	struct iommu_fc_consumer *c;
	bool deliver;

	r->source = p->source;
	if (!r->timestamp_ns)
		r->timestamp_ns = ktime_get_ns();
	atomic64_inc(&p->stats.seen);
	deliver = fc_ratelimit_pass(p);

	rcu_read_lock();
	list_for_each_entry_rcu(c, &fc_consumers, node) {
		v = c->fault(c, r, deliver);
		if (v > best)
			best = v;
	}
	rcu_read_unlock();

	switch (best) {
	case IOMMU_FC_QUEUED:
		atomic64_inc(&p->stats.delivered);
		break;
	case IOMMU_FC_FULL:
		atomic64_inc(&p->stats.dropped_full);
		break;
	case IOMMU_FC_DROPPED:
		atomic64_inc(&p->stats.dropped_ratelimited);
		break;
	case IOMMU_FC_IGNORED:
		atomic64_inc(&p->stats.unclaimed);
		break;
	}
}
EXPORT_SYMBOL_GPL(iommu_fc_report);

/**
 * iommu_fc_consumer_register() - start receiving every fault
 * @c: the consumer, with @c->fault set.
 *
 * Return: 0.
 */
int iommu_fc_consumer_register(struct iommu_fc_consumer *c)
{
	mutex_lock(&fc_lock);
	list_add_tail_rcu(&c->node, &fc_consumers);
	mutex_unlock(&fc_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_fc_consumer_register);

/**
 * iommu_fc_consumer_unregister() - stop receiving faults
 * @c: a registered consumer.
 *
 * Context: process.  On return no call of @c->fault is running or will
 * start.
 */
void iommu_fc_consumer_unregister(struct iommu_fc_consumer *c)
{
	mutex_lock(&fc_lock);
	list_del_rcu(&c->node);
	mutex_unlock(&fc_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(iommu_fc_consumer_unregister);

/**
 * iommu_fc_producer_register() - add a source of faults
 * @p: the producer, with @p->name and @p->source set.
 *
 * Return: 0.  Its counters start at zero and appear in debugfs.
 */
int iommu_fc_producer_register(struct iommu_fc_producer *p)
{
	struct iommu_fc_stats *s = &p->stats;

	atomic64_set(&s->seen, 0);
	atomic64_set(&s->delivered, 0);
	atomic64_set(&s->unclaimed, 0);
	atomic64_set(&s->dropped_full, 0);
	atomic64_set(&s->dropped_ratelimited, 0);
	atomic64_set(&s->hw_lost, 0);
	atomic64_set(&s->hw_overflows, 0);
	raw_spin_lock_init(&p->rl_lock);
	fc_ratelimit_reset(p);

	mutex_lock(&fc_lock);
	list_add_tail(&p->node, &fc_producers);
	fc_debugfs_add(p);
	mutex_unlock(&fc_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(iommu_fc_producer_register);

/**
 * iommu_fc_producer_unregister() - remove a source of faults
 * @p: a registered producer, which no longer reports.
 */
void iommu_fc_producer_unregister(struct iommu_fc_producer *p)
{
	mutex_lock(&fc_lock);
	fc_debugfs_remove(p);
	list_del(&p->node);
	mutex_unlock(&fc_lock);
}
EXPORT_SYMBOL_GPL(iommu_fc_producer_unregister);

/**
 * fc_call_producers() - call @fn for each registered producer
 * @fn: the function, called under fc_lock.
 * @data: its argument.
 */
void fc_call_producers(fc_producer_fn fn, void *data)
{
	struct iommu_fc_producer *p;

	mutex_lock(&fc_lock);
	list_for_each_entry(p, &fc_producers, node)
		fn(p, data);
	mutex_unlock(&fc_lock);
}

static int __init fc_init(void)
{
	int ret;

	fc_debugfs_init();
	ret = fc_generic_init();
	if (ret)
		goto out_debugfs;
	ret = fc_vtd_init();
	if (ret)
		goto out_generic;
	ret = fc_smmuv3_init();
	if (ret)
		goto out_vtd;
	return 0;

out_vtd:
	fc_vtd_exit();
out_generic:
	fc_generic_exit();
out_debugfs:
	fc_debugfs_exit();
	return ret;
}

static void __exit fc_exit(void)
{
	fc_smmuv3_exit();
	fc_vtd_exit();
	fc_generic_exit();
	fc_debugfs_exit();
}

module_init(fc_init);
module_exit(fc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IOMMU fault notifier chain, with VT-d, SMMUv3 and report_iommu_fault() producers");
