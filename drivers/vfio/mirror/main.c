// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror: module entry, parameters and the VFIO IOMMU driver ops.
 *
 * The VFIO core keeps IOMMU backends in a list, newest first, and offers a
 * container type to each in turn: VFIO_CHECK_EXTENSION is asked with a
 * NULL context, and the first backend that answers is opened.  vfio-mirror
 * always answers for VFIO_MIRROR_IOMMU; with claim_type1 it also answers
 * for VFIO_TYPE1_IOMMU and VFIO_TYPE1v2_IOMMU, so that an unmodified VMM
 * gets a vfio-mirror container.  For that it must be registered after
 * vfio_iommu_type1, hence the soft dependency below.
 *
 * A container's lifetime (vfm.h says it in short).  The VFIO core of Linux
 * 6.12 calls a backend's ioctl without any lock of its own
 * (vfio_fops_unl_ioctl() in drivers/vfio/container.c reads
 * container->iommu_driver and ->iommu_data, then calls), while detaching
 * the container's last group calls release and drops the module
 * reference under container->group_lock.  So an ioctl may run during and
 * after release.  vfio-mirror makes that safe from the moment the ioctl
 * reaches it: the ioctl takes a reference on the container before
 * anything else, release marks the container dead under its lock before
 * tearing it down, every ioctl checks that mark under the lock
 * (vfm_container_lock()), and the memory is freed only after the last
 * reference, a grace period later.  What a backend cannot close is the
 * window before its ioctl runs, between the core's read of iommu_data and
 * the call, and its module's lifetime across the call: only the core can,
 * by holding container->group_lock for reading around the call.
 */
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <uapi/linux/vfio_mirror.h>

#include "vfm.h"

static bool claim_type1;
module_param(claim_type1, bool, 0644);
MODULE_PARM_DESC(claim_type1,
		 "Also serve VFIO_TYPE1_IOMMU and VFIO_TYPE1v2_IOMMU containers, in place of vfio_iommu_type1 (default: no)");

bool vfm_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, vfm_allow_unsafe_interrupts,
		   bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Accept groups whose MSIs are not isolated (no interrupt remapping) (default: no)");

bool vfm_disable_hugepages;
module_param_named(disable_hugepages, vfm_disable_hugepages, bool, 0644);
MODULE_PARM_DESC(disable_hugepages,
		 "Map new mappings, and replays into new domains, with PAGE_SIZE IOMMU pages only (default: no)");

unsigned int vfm_dma_entry_limit __read_mostly;
module_param_named(dma_entry_limit, vfm_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Maximum number of user DMA mappings per container; 0: as many as the host has pages when the VMM's memory cgroup limit is below the host's memory, else 65535 (default: 0)");

bool vfm_share_locked_vm __read_mostly = true;
module_param_named(share_locked_vm, vfm_share_locked_vm, bool, 0644);
MODULE_PARM_DESC(share_locked_vm,
		 "Charge a page that several containers of one process pin to its locked_vm once; no: once per container, as type1 does (default: yes)");

/*
 * Whether the kernel memory the caller allocates is charged to a memory
 * cgroup (of the caller or an ancestor) whose memory.max is below the
 * host's memory: then that bounds what the container's mappings cost
 * (VFM_GFP).  Not with cgroup.memory=nokmem, which charges no kernel
 * memory.  Decided when the container's IOMMU is set.
 */
static bool vfm_memcg_limited(void)
{
	unsigned long max = totalram_pages();
#ifdef CONFIG_MEMCG
	struct mem_cgroup *m;

	if (mem_cgroup_disabled() || !memcg_kmem_online())
		return false;
	rcu_read_lock();
	for (m = mem_cgroup_from_task(current); m; m = parent_mem_cgroup(m))
		max = min(max, READ_ONCE(m->memory.max));
	rcu_read_unlock();
#endif
	return max < totalram_pages();
}

/*
 * The mappings a new container may hold.  dma_entry_limit 0: for a VMM
 * whose memory cgroup has a limit below the host's memory, as many as the
 * host has pages, so that a guest whose vIOMMU has every 4 KiB page mapped
 * on its own (caching mode) can map all of its memory, the cgroup bounding
 * what they cost; for any other, type1's count, 65535, the only bound then
 * on what mappings that charge no locked_vm cost (of device memory, of the
 * zero page, in a container of mediated devices alone).
 */
static unsigned int vfm_dma_limit(void)
{
	unsigned int limit = READ_ONCE(vfm_dma_entry_limit);

	if (limit)
		return limit;
	if (!vfm_memcg_limited())
		return U16_MAX;
	return min_t(unsigned long, totalram_pages(), U32_MAX);
}

unsigned int vfm_fault_queue_len __read_mostly = 256;
module_param_named(fault_queue_len, vfm_fault_queue_len, uint, 0644);
MODULE_PARM_DESC(fault_queue_len,
		 "Fault records a new container can queue, 1 to 65536 (default: 256)");

unsigned int vfm_fault_ratelimit_burst __read_mostly = 10000;
unsigned int vfm_fault_ratelimit_interval_ms __read_mostly = 1000;
/* Incremented by every change of the two: containers restart the window. */
unsigned int vfm_fault_ratelimit_epoch;

static int vfm_ratelimit_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint(val, kp);

	if (!ret)
		WRITE_ONCE(vfm_fault_ratelimit_epoch,
			   READ_ONCE(vfm_fault_ratelimit_epoch) + 1);
	return ret;
}

static const struct kernel_param_ops vfm_ratelimit_ops = {
	.set = vfm_ratelimit_set,
	.get = param_get_uint,
};

module_param_cb(fault_ratelimit_burst, &vfm_ratelimit_ops,
		&vfm_fault_ratelimit_burst, 0644);
MODULE_PARM_DESC(fault_ratelimit_burst,
		 "Fault records per container and interval that are queued; 0: no limit (default: 10000)");
module_param_cb(fault_ratelimit_interval_ms, &vfm_ratelimit_ops,
		&vfm_fault_ratelimit_interval_ms, 0644);
MODULE_PARM_DESC(fault_ratelimit_interval_ms,
		 "Length of the fault rate limit's interval (default: 1000)");

struct vfm_stats vfm_stats;

/**
 * vfm_claims_type() - is @type one of the type1 types this module claims?
 * @type: a VFIO container type.
 *
 * Return: true when claim_type1 is set and @type is VFIO_TYPE1_IOMMU or
 * VFIO_TYPE1v2_IOMMU.
 */
bool vfm_claims_type(unsigned long type)
{
	return READ_ONCE(claim_type1) &&
	       (type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU);
}

static void *vfm_open(unsigned long type)
{
	struct vfm_container *c;

	if (type != VFIO_MIRROR_IOMMU && !vfm_claims_type(type))
		return ERR_PTR(-EINVAL);

	c = kzalloc(sizeof(*c), VFM_GFP);
	if (!c)
		return ERR_PTR(-ENOMEM);

	refcount_set(&c->users, 1);
	mutex_init(&c->lock);
	vfm_emul_init(c);
	spin_lock_init(&c->notify_lock);
	if (vfm_fault_init(c)) {
		mutex_destroy(&c->lock);
		kfree(c);
		return ERR_PTR(-ENOMEM);
	}
	c->owner_pid = task_tgid_nr(current);
	get_task_comm(c->owner_comm, current);
	c->type = type;
	c->v2 = type != VFIO_TYPE1_IOMMU;
	c->dmas = RB_ROOT_CACHED;
	init_rwsem(&c->maps_rwsem);
	c->claims = RB_ROOT_CACHED;
	init_waitqueue_head(&c->claims_wq);
	c->dma_avail = vfm_dma_limit();
	INIT_LIST_HEAD(&c->domains);
	INIT_LIST_HEAD(&c->accts);
	c->pgsize_bitmap = PAGE_MASK;
	vfm_debugfs_add(c);
	atomic64_inc(&vfm_stats.containers);
	return c;
}

static void vfm_free_rcu(struct rcu_head *rcu)
{
	struct vfm_container *c = container_of(rcu, struct vfm_container, rcu);

	vfm_fault_fini(c);
	mutex_destroy(&c->lock);
	kfree(c);
}

/**
 * vfm_container_get() - take a reference on a container
 * @c: a container, not yet freed.
 *
 * Return: false if the last reference is already gone.
 */
bool vfm_container_get(struct vfm_container *c)
{
	return refcount_inc_not_zero(&c->users);
}

/**
 * vfm_container_put() - drop a reference
 * @c: a container.
 *
 * The last one frees it, a grace period later: the fault chain's callback
 * may still be looking at it through a retired route.
 */
void vfm_container_put(struct vfm_container *c)
{
	if (refcount_dec_and_test(&c->users))
		call_rcu(&c->rcu, vfm_free_rcu);
}

/**
 * vfm_container_lock() - lock a container that an ioctl uses
 * @c: a referenced container.
 *
 * Return: 0 with @c locked; -EINVAL, unlocked, when @c was released.
 */
int vfm_container_lock(struct vfm_container *c)
{
	mutex_lock(&c->lock);
	if (!c->dead)
		return 0;
	mutex_unlock(&c->lock);
	return -EINVAL;
}

static void vfm_release(void *iommu_data)
{
	struct vfm_container *c = iommu_data;

	vfm_debugfs_remove(c);
	mutex_lock(&c->lock);
	c->dead = true;
	mutex_unlock(&c->lock);
	vfm_domain_release_all(c);
	vfm_acct_unlink_all(c);
	vfm_fault_release(c);
	vfm_notify_release(c);
	atomic64_dec(&vfm_stats.containers);
	vfm_container_put(c);
}

static long vfm_ioctl_op(void *iommu_data, unsigned int cmd,
			 unsigned long arg)
{
	struct vfm_container *c = iommu_data;
	long ret;

	if (!c)
		return cmd == VFIO_CHECK_EXTENSION ?
		       vfm_check_extension(NULL, arg) : -EINVAL;
	if (!vfm_container_get(c))
		return -EINVAL;
	if (cmd == VFIO_CHECK_EXTENSION)
		ret = vfm_check_extension(c, arg);
	else
		ret = vfm_ioctl(c, cmd, arg);
	vfm_container_put(c);
	return ret;
}

static int vfm_attach_group(void *iommu_data, struct iommu_group *group,
			    enum vfio_group_type type)
{
	/* Mediated devices pin through the backend instead (emul.c). */
	if (type == VFIO_EMULATED_IOMMU)
		return vfm_emul_attach_group(iommu_data, group);
	if (type != VFIO_IOMMU)
		return -EOPNOTSUPP;
	return vfm_domain_attach_group(iommu_data, group);
}

static void vfm_detach_group(void *iommu_data, struct iommu_group *group)
{
	if (!vfm_emul_detach_group(iommu_data, group))
		vfm_domain_detach_group(iommu_data, group);
}

static const struct vfio_iommu_driver_ops vfm_ops = {
	.name		= "vfio-mirror",
	.owner		= THIS_MODULE,
	.open		= vfm_open,
	.release	= vfm_release,
	.ioctl		= vfm_ioctl_op,
	.attach_group	= vfm_attach_group,
	.detach_group	= vfm_detach_group,
	.pin_pages	= vfm_emul_pin_pages,
	.unpin_pages	= vfm_emul_unpin_pages,
	.register_device = vfm_emul_register_device,
	.unregister_device = vfm_emul_unregister_device,
	.dma_rw		= vfm_emul_dma_rw,
};

static int __init vfm_init(void)
{
	int ret;

	ret = vfm_dma_cache_init();
	if (ret)
		return ret;
	ret = vfm_fault_register();
	if (ret)
		goto out_cache;
	vfm_debugfs_init();
	ret = vfio_register_iommu_driver(&vfm_ops);
	if (ret)
		goto out_fault;
	return 0;

out_fault:
	vfm_debugfs_exit();
	vfm_fault_unregister();
out_cache:
	vfm_dma_cache_exit();
	return ret;
}

static void __exit vfm_exit(void)
{
	vfio_unregister_iommu_driver(&vfm_ops);
	vfm_debugfs_exit();
	vfm_fault_unregister();
	vfm_dma_cache_exit();
}

module_init(vfm_init);
module_exit(vfm_exit);

MODULE_SOFTDEP("pre: vfio_iommu_type1");
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO IOMMU backend mirroring a container across iommu_domains");
