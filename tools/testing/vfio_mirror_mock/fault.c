// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mirror_mock: faults on demand, reported the way IOMMU drivers that
 * have a fault handler report them, with report_iommu_fault() in the
 * domain the device is attached to.
 *
 *   mock_fault_report()	COUNT faults now, from the caller's context or
 *				from a hard interrupt (a one-shot hrtimer)
 *   mock_fault_storm_start()	a fault storm: every 100 us, from a hard
 *				interrupt, until stopped or detached
 */
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/iommu.h>

#include "mock.h"
#include "compat/kernel.h"

#define MOCK_STORM_PERIOD_NS	(100 * NSEC_PER_USEC)

struct mock_fault_shot {
	struct hrtimer timer;
	struct completion done;
	struct mock_dev *md;
	u64 iova;
	int flags;
	unsigned int count;
	bool nodev;
};

/* Without a device, as Arm SMMU v1/v2 reports its context faults. */
static void mock_fault_burst(struct mock_dev *md, struct mock_domain *dom,
			     u64 iova, int flags, unsigned int count,
			     bool nodev)
{
	struct device *dev = nodev ? NULL : &md->pdev->dev;

	while (count--)
		report_iommu_fault(&dom->domain, dev, iova, flags);
}

static enum hrtimer_restart mock_fault_shot_fn(struct hrtimer *t)
{
	struct mock_fault_shot *s = container_of(t, struct mock_fault_shot,
						 timer);

	mock_fault_burst(s->md, s->md->attached, s->iova, s->flags, s->count,
			 s->nodev);
	complete(&s->done);
	return HRTIMER_NORESTART;
}

/**
 * mock_fault_report() - report faults of a mock device
 * @md: the device, attached to a paging domain.
 * @iova: the faulting address.
 * @write: a write fault, else a read fault.
 * @count: how many.
 * @hardirq: report from a hard interrupt rather than from the caller.
 * @nodev: report without the device.
 *
 * Return: 0, or -ENODEV when @md is not attached to a paging domain.
 */
int mock_fault_report(struct mock_dev *md, u64 iova, bool write,
		      unsigned int count, bool hardirq, bool nodev)
{
	int flags = write ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ;
	struct mock_fault_shot s = { .md = md, .iova = iova, .flags = flags,
				     .count = count, .nodev = nodev };
	int ret = 0;

	mutex_lock(&md->lock);
	if (!md->attached) {
		ret = -ENODEV;
	} else if (!hardirq) {
		mock_fault_burst(md, md->attached, iova, flags, count, nodev);
	} else {
		init_completion(&s.done);
		mock_hrtimer_setup_on_stack(&s.timer, mock_fault_shot_fn,
					    CLOCK_MONOTONIC,
					    HRTIMER_MODE_REL_HARD);
		hrtimer_start(&s.timer, ns_to_ktime(1000),
			      HRTIMER_MODE_REL_HARD);
		wait_for_completion(&s.done);
		hrtimer_cancel(&s.timer);
		destroy_hrtimer_on_stack(&s.timer);
	}
	mutex_unlock(&md->lock);
	return ret;
}

static enum hrtimer_restart mock_fault_storm_fn(struct hrtimer *t)
{
	struct mock_dev *md = container_of(t, struct mock_dev, storm);

	mock_fault_burst(md, md->storm_domain, md->storm_iova,
			 IOMMU_FAULT_WRITE, md->storm_count, false);
	atomic64_add(md->storm_count, &md->storm_reported);
	hrtimer_forward_now(t, ns_to_ktime(MOCK_STORM_PERIOD_NS));
	return HRTIMER_RESTART;
}

/**
 * mock_fault_storm_start() - start reporting write faults periodically
 * @md: the device, attached to a paging domain.
 * @iova: the faulting address.
 * @count: faults per period.
 *
 * Return: 0, -ENODEV when @md is not attached, -EBUSY when a storm runs.
 */
int mock_fault_storm_start(struct mock_dev *md, u64 iova, unsigned int count)
{
	int ret = 0;

	mutex_lock(&md->lock);
	if (!md->attached)
		ret = -ENODEV;
	else if (md->storm_domain)
		ret = -EBUSY;
	if (!ret) {
		md->storm_domain = md->attached;
		md->storm_iova = iova;
		md->storm_count = count;
		hrtimer_start(&md->storm, ns_to_ktime(MOCK_STORM_PERIOD_NS),
			      HRTIMER_MODE_REL_HARD);
	}
	mutex_unlock(&md->lock);
	return ret;
}

/**
 * mock_fault_storm_stop_locked() - stop a storm, if one runs
 * @md: the device, its lock held.
 */
void mock_fault_storm_stop_locked(struct mock_dev *md)
{
	lockdep_assert_held(&md->lock);

	if (md->storm_domain) {
		hrtimer_cancel(&md->storm);
		md->storm_domain = NULL;
	}
}

/**
 * mock_fault_init() - set up a new device's fault generator
 * @md: the device.
 */
void mock_fault_init(struct mock_dev *md)
{
	mock_hrtimer_setup(&md->storm, mock_fault_storm_fn, CLOCK_MONOTONIC,
			   HRTIMER_MODE_REL_HARD);
}
