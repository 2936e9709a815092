// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mirror_probe: what the tests need to watch the fault chain from the
 * inside and to widen its race windows.  Test-only: it never ships, and
 * the tests load it only while they use it (it needs iommu_faultchain).
 *
 * /sys/kernel/debug/vfio_mirror_probe/
 *	contexts	read: "calls N", "irqs_off N", "softirq N": how many
 *			records the probe's fault chain consumer saw, and how
 *			many of those calls ran with interrupts off or in a
 *			softirq.  The consumer claims nothing.
 *	slow		write "US COUNT": the consumer busy-waits US
 *			microseconds at its next COUNT calls, to make delivery
 *			slower than a storm without patching the text it
 *			runs.  Read: "hits N", the calls that waited.
 *	delay		write "SYMBOL MS COUNT [hardirq|pid=N]": a kprobe on
 *			SYMBOL whose handler busy-waits MS milliseconds, at the
 *			next COUNT hits (only those in hard interrupt context,
 *			or only those of process N); "off" removes it.  Read:
 *			"hits N", the hits that waited.
 *	hold		write "MS": hold this CPU for MS milliseconds inside
 *			a kprobe handler, with interrupts on, so that a kprobe
 *			hit on this CPU meanwhile is missed.
 *	virtbus		read: the names of a VF on a bus without a bridge
 *			(virtbus.c).
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/iommu_faultchain.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "probe.h"

#define PROBE_NAME	"vfio_mirror_probe"

static struct dentry *probe_root;

static atomic64_t probe_calls;
static atomic64_t probe_irqs_off;
static atomic64_t probe_softirq;
static unsigned int probe_slow_us;
static atomic_t probe_slow_left;
static atomic64_t probe_slow_hits;

static enum iommu_fc_verdict probe_fault(struct iommu_fc_consumer *c,
					 const struct iommu_fc_record *r)
{
	atomic64_inc(&probe_calls);
	if (irqs_disabled() || in_hardirq() || in_nmi())
		atomic64_inc(&probe_irqs_off);
	if (in_serving_softirq())
		atomic64_inc(&probe_softirq);
	if (atomic_dec_if_positive(&probe_slow_left) >= 0) {
		atomic64_inc(&probe_slow_hits);
		udelay(READ_ONCE(probe_slow_us));
	}
	return IOMMU_FC_IGNORED;
}

static struct iommu_fc_consumer probe_consumer = {
	.name = PROBE_NAME,
	.fault = probe_fault,
};

static int probe_contexts_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "calls %lld\nirqs_off %lld\nsoftirq %lld\n",
		   atomic64_read(&probe_calls), atomic64_read(&probe_irqs_off),
		   atomic64_read(&probe_softirq));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(probe_contexts);

static ssize_t probe_slow_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	unsigned int us, n;
	char buf[32];

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%u %u", &us, &n) != 2 || us > 10000)
		return -EINVAL;
	atomic_set(&probe_slow_left, 0);
	WRITE_ONCE(probe_slow_us, us);
	atomic64_set(&probe_slow_hits, 0);
	atomic_set(&probe_slow_left, n);
	return count;
}

static ssize_t probe_slow_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[32];
	int len = scnprintf(buf, sizeof(buf), "hits %lld\n",
			    atomic64_read(&probe_slow_hits));

	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations probe_slow_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = probe_slow_read,
	.write = probe_slow_write,
};

/* The delay: one kprobe at a time, under probe_delay_lock. */
static DEFINE_MUTEX(probe_delay_lock);
static struct kprobe probe_delay_kp;
static char probe_delay_sym[KSYM_NAME_LEN];
static bool probe_delay_on;
static unsigned int probe_delay_ms;
static bool probe_delay_hardirq;
static pid_t probe_delay_pid;
static atomic_t probe_delay_left;
static atomic64_t probe_delay_hits;

static int probe_delay_pre(struct kprobe *kp, struct pt_regs *regs)
{
	if (READ_ONCE(probe_delay_hardirq) && !in_hardirq())
		return 0;
	if (READ_ONCE(probe_delay_pid) &&
	    (!in_task() || task_tgid_nr(current) != READ_ONCE(probe_delay_pid)))
		return 0;
	if (atomic_dec_if_positive(&probe_delay_left) < 0)
		return 0;
	atomic64_inc(&probe_delay_hits);
	mdelay(READ_ONCE(probe_delay_ms));
	return 0;
}

static void probe_delay_off(void)
{
	lockdep_assert_held(&probe_delay_lock);

	if (probe_delay_on)
		unregister_kprobe(&probe_delay_kp);
	probe_delay_on = false;
}

static ssize_t probe_delay_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char mode[16] = "";
	unsigned int ms, n;
	int pid = 0;
	char *buf;
	int ret;

	if (count > 256)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	mutex_lock(&probe_delay_lock);
	probe_delay_off();
	ret = 0;
	if (!sysfs_streq(buf, "off")) {
		ret = sscanf(buf, "%127s %u %u %15s", probe_delay_sym, &ms, &n,
			     mode);
		if (ret < 3 || ms > 5000 ||
		    (ret == 4 && strcmp(mode, "hardirq") &&
		     (sscanf(mode, "pid=%d", &pid) != 1 || pid <= 0))) {
			ret = -EINVAL;
			goto out;
		}
		WRITE_ONCE(probe_delay_ms, ms);
		WRITE_ONCE(probe_delay_hardirq, !strcmp(mode, "hardirq"));
		WRITE_ONCE(probe_delay_pid, pid);
		atomic_set(&probe_delay_left, n);
		atomic64_set(&probe_delay_hits, 0);
		memset(&probe_delay_kp, 0, sizeof(probe_delay_kp));
		probe_delay_kp.symbol_name = probe_delay_sym;
		probe_delay_kp.pre_handler = probe_delay_pre;
		ret = register_kprobe(&probe_delay_kp);
		probe_delay_on = !ret;
	}
out:
	mutex_unlock(&probe_delay_lock);
	kfree(buf);
	return ret ? ret : count;
}

static ssize_t probe_delay_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char buf[32];
	int len = scnprintf(buf, sizeof(buf), "hits %lld\n",
			    atomic64_read(&probe_delay_hits));

	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations probe_delay_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = probe_delay_read,
	.write = probe_delay_write,
};

/*
 * The hold: a kprobe on probe_hold_here(), whose handler waits.  With
 * kprobes on ftrace (x86_64) the handler runs with preemption off and
 * interrupts on: an interrupt handler that hits another kprobe on this
 * CPU meanwhile finds a kprobe running, and kprobes counts that hit as
 * missed.
 */
static unsigned int probe_hold_ms;

static noinline void probe_hold_here(void)
{
	barrier();
}

static int probe_hold_pre(struct kprobe *kp, struct pt_regs *regs)
{
	mdelay(READ_ONCE(probe_hold_ms));
	return 0;
}

static struct kprobe probe_hold_kp = {
	.symbol_name = "probe_hold_here",
	.pre_handler = probe_hold_pre,
};

static DEFINE_MUTEX(probe_hold_lock);

static ssize_t probe_hold_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &ms);
	if (ret)
		return ret;
	if (ms > 5000)
		return -EINVAL;
	mutex_lock(&probe_hold_lock);
	WRITE_ONCE(probe_hold_ms, ms);
	probe_hold_here();
	mutex_unlock(&probe_hold_lock);
	return count;
}

static const struct file_operations probe_hold_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = probe_hold_write,
};

static int __init probe_init(void)
{
	int ret;

	ret = register_kprobe(&probe_hold_kp);
	if (ret)
		return ret;
	ret = iommu_fc_consumer_register(&probe_consumer);
	if (ret) {
		unregister_kprobe(&probe_hold_kp);
		return ret;
	}
	probe_root = debugfs_create_dir(PROBE_NAME, NULL);
	debugfs_create_file("contexts", 0444, probe_root, NULL,
			    &probe_contexts_fops);
	debugfs_create_file("slow", 0600, probe_root, NULL, &probe_slow_fops);
	debugfs_create_file("delay", 0600, probe_root, NULL,
			    &probe_delay_fops);
	debugfs_create_file("hold", 0200, probe_root, NULL, &probe_hold_fops);
	probe_virtbus_init(probe_root);
	return 0;
}

static void __exit probe_exit(void)
{
	debugfs_remove_recursive(probe_root);
	iommu_fc_consumer_unregister(&probe_consumer);
	mutex_lock(&probe_delay_lock);
	probe_delay_off();
	mutex_unlock(&probe_delay_lock);
	unregister_kprobe(&probe_hold_kp);
}

module_init(probe_init);
module_exit(probe_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Fault chain probe and race widener for the vfio-mirror kselftests (never ships)");
