// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommu_faultchain: the chain itself.
 *
 * Producers (vtd.c, smmuv3.c, generic.c, or another module) report each
 * fault once with iommu_fc_report(), in whatever context they read it,
 * often a hard interrupt handler or another driver's.  That call does
 * bounded work: it copies the record into the producer's backlog, a ring
 * of backlog_len records, and schedules the producer's work item, which
 * hands the records to every consumer in process context, in order.  A
 * producer that reports from a context that may sleep has its records
 * handed over before iommu_fc_report() returns.  So no consumer runs with
 * interrupts off, and the cost of a fault storm inside an interrupt
 * handler does not grow with the number of consumers or with what they
 * do.
 *
 * The chain counts what became of each record, per producer, so that
 * nothing is lost without a counter saying so.  Rate limits are the
 * consumers' business: each can only limit what it claims.
 */
#include <linux/device.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "fc.h"
#include "compat/workqueue.h"

static DEFINE_MUTEX(fc_lock);
static LIST_HEAD(fc_consumers);		/* RCU readers, fc_lock writers */
static LIST_HEAD(fc_producers);		/* under fc_lock */
static struct workqueue_struct *fc_wq;

static unsigned int fc_backlog_len = 1024;
module_param_named(backlog_len, fc_backlog_len, uint, 0444);
MODULE_PARM_DESC(backlog_len,
		 "Records per producer waiting to be handed to consumers, 16 to 65536 (default: 1024)");

/* Hand one record to every consumer; count what became of it. */
static void fc_deliver_one(struct iommu_fc_producer *p,
			   const struct iommu_fc_record *r)
{
	enum iommu_fc_verdict v, best = IOMMU_FC_IGNORED;
	struct iommu_fc_consumer *c;

	rcu_read_lock();
	list_for_each_entry_rcu(c, &fc_consumers, node) {
		v = c->fault(c, r);
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
	if (p->log)
		p->log(p, r);
}

/* Take the oldest record of @p's backlog into @r. */
static bool fc_backlog_pop(struct iommu_fc_producer *p,
			   struct iommu_fc_record *r)
{
	unsigned long flags;
	bool got = false;

	raw_spin_lock_irqsave(&p->backlog_lock, flags);
	if (p->count) {
		*r = p->backlog[p->head];
		p->head = (p->head + 1) % p->backlog_len;
		p->count--;
		p->handed++;
		got = true;
	}
	raw_spin_unlock_irqrestore(&p->backlog_lock, flags);
	return got;
}

/*
 * Hand at most a backlog's worth of @p's oldest records to the consumers:
 * a storm that refills the backlog as fast as it is emptied cannot keep
 * the caller here.  Returns true if records are left.  Context: process.
 */
static bool fc_deliver(struct iommu_fc_producer *p)
{
	struct iommu_fc_record r;
	unsigned int n;

	mutex_lock(&p->deliver_lock);
	for (n = 0; n < p->backlog_len && fc_backlog_pop(p, &r); n++) {
		fc_deliver_one(p, &r);
		put_device(r.dev);
		if (!((n + 1) % 64))
			cond_resched();
	}
	mutex_unlock(&p->deliver_lock);
	return READ_ONCE(p->count);
}

/* Whether fewer than @target records were ever taken out of @p's backlog. */
static bool fc_handed_before(struct iommu_fc_producer *p, u64 target)
{
	unsigned long flags;
	bool before;

	raw_spin_lock_irqsave(&p->backlog_lock, flags);
	before = p->handed < target;
	raw_spin_unlock_irqrestore(&p->backlog_lock, flags);
	return before;
}

/* What is left goes to the next run: other work gets its turn between. */
static void fc_deliver_work(struct work_struct *work)
{
	struct iommu_fc_producer *p = container_of(work,
						   struct iommu_fc_producer,
						   work);

	if (fc_deliver(p))
		queue_work(fc_wq, &p->work);
}

/**
 * iommu_fc_report() - report one fault to every consumer
 * @p: the registered producer that read it.
 * @r: the record, copied: it may live on the stack.  The record that
 *	consumers see has @r->source set from @p, and @r->timestamp_ns set
 *	to now if it was 0; the chain holds a reference to @r->dev, if set,
 *	until they have seen it.
 *
 * Context: any, hard interrupts included.  From a context that may sleep,
 * the consumers have seen the record (and every one reported before it by
 * @p) on return; otherwise they see it soon, from a work item.  When @p's
 * backlog is full the record is dropped and counted.
 */
void iommu_fc_report(struct iommu_fc_producer *p,
		     const struct iommu_fc_record *r)
{
	struct iommu_fc_record *slot;
	unsigned long flags;
	bool queued = false;

	atomic64_inc(&p->stats.seen);
	raw_spin_lock_irqsave(&p->backlog_lock, flags);
	if (p->count < p->backlog_len) {
		slot = &p->backlog[(p->head + p->count) % p->backlog_len];
		*slot = *r;
		slot->source = p->source;
		if (!slot->timestamp_ns)
			slot->timestamp_ns = ktime_get_ns();
		get_device(slot->dev);
		p->count++;
		p->queued++;
		queued = true;
	}
	raw_spin_unlock_irqrestore(&p->backlog_lock, flags);

	if (!queued)
		atomic64_inc(&p->stats.dropped_backlog);
	else if (!preemptible() || fc_deliver(p))
		queue_work(fc_wq, &p->work);
}
EXPORT_SYMBOL_GPL(iommu_fc_report);

/**
 * iommu_fc_flush() - wait until the consumers have seen what @p reported
 * @p: a registered producer.
 *
 * What @p reports meanwhile is not waited for: a storm cannot keep the
 * caller here.  Context: process.
 */
void iommu_fc_flush(struct iommu_fc_producer *p)
{
	unsigned long flags;
	u64 target;

	raw_spin_lock_irqsave(&p->backlog_lock, flags);
	target = p->queued;
	raw_spin_unlock_irqrestore(&p->backlog_lock, flags);

	/* In order: once that many are taken out, those are. */
	while (fc_handed_before(p, target) && fc_deliver(p))
		;
	/* And what the work took out it hands over under the mutex. */
	mutex_lock(&p->deliver_lock);
	mutex_unlock(&p->deliver_lock);
}
EXPORT_SYMBOL_GPL(iommu_fc_flush);

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
 * Return: 0, or -ENOMEM.  Its counters start at zero and appear in
 * debugfs.
 */
int iommu_fc_producer_register(struct iommu_fc_producer *p)
{
	struct iommu_fc_stats *s = &p->stats;

	p->backlog_len = clamp(READ_ONCE(fc_backlog_len), 16U, 65536U);
	p->backlog = kvcalloc(p->backlog_len, sizeof(*p->backlog),
			      GFP_KERNEL);
	if (!p->backlog)
		return -ENOMEM;
	p->head = 0;
	p->count = 0;
	p->queued = 0;
	p->handed = 0;
	raw_spin_lock_init(&p->backlog_lock);
	mutex_init(&p->deliver_lock);
	INIT_WORK(&p->work, fc_deliver_work);

	atomic64_set(&s->seen, 0);
	atomic64_set(&s->delivered, 0);
	atomic64_set(&s->unclaimed, 0);
	atomic64_set(&s->dropped_full, 0);
	atomic64_set(&s->dropped_ratelimited, 0);
	atomic64_set(&s->dropped_backlog, 0);
	atomic64_set(&s->unidentified, 0);
	atomic64_set(&s->hw_lost, 0);
	atomic64_set(&s->hw_overflows, 0);

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
 *
 * Its debugfs files are gone, readers included, and what it reported has
 * reached the consumers when this returns.  Context: process.
 */
void iommu_fc_producer_unregister(struct iommu_fc_producer *p)
{
	mutex_lock(&fc_lock);
	fc_debugfs_remove(p);
	list_del(&p->node);
	mutex_unlock(&fc_lock);

	cancel_work_sync(&p->work);
	while (fc_deliver(p))
		;
	mutex_destroy(&p->deliver_lock);
	kvfree(p->backlog);
	p->backlog = NULL;
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

	fc_wq = alloc_workqueue("iommu_faultchain",
				WQ_HIGHPRI | FC_WQ_PERCPU, 0);
	if (!fc_wq)
		return -ENOMEM;
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
	destroy_workqueue(fc_wq);
	return ret;
}

static void __exit fc_exit(void)
{
	fc_smmuv3_exit();
	fc_vtd_exit();
	fc_generic_exit();
	fc_debugfs_exit();
	destroy_workqueue(fc_wq);
}

module_init(fc_init);
module_exit(fc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IOMMU fault notifier chain, with VT-d, SMMUv3 and report_iommu_fault() producers");
