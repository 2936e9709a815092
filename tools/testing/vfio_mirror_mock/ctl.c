// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mirror_mock: the tests' controls, /dev/vfio-mirror-mock.
 *
 * One ioctl per request, with the structures of mock_uapi.h, which the
 * kselftests include too: no text to parse on either side, and a reset
 * that knows the module's defaults so that the tests do not.  A request
 * looks its device up by number and holds a reference on it (mock_get()),
 * so that a device removed meanwhile is not freed under it; the device's
 * own lock then orders the request against attach and detach.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mock.h"
#include "mock_uapi.h"

static_assert(VFM_MOCK_MAX_DEVICES == MOCK_MAX_DEVICES);

static const enum iommu_resv_type mock_resv_types[] = {
	[VFM_MOCK_RESV_RESERVED] = IOMMU_RESV_RESERVED,
	[VFM_MOCK_RESV_MSI] = IOMMU_RESV_MSI,
	[VFM_MOCK_RESV_SW_MSI] = IOMMU_RESV_SW_MSI,
	[VFM_MOCK_RESV_DIRECT_RELAXABLE] = IOMMU_RESV_DIRECT_RELAXABLE,
};

static bool mock_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static int mock_ctl_add(void __user *uarg)
{
	struct vfm_mock_add arg;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	ret = mock_add(arg.sibling);
	if (ret < 0)
		return ret;
	arg.id = ret;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static int mock_ctl_remove(void __user *uarg)
{
	u32 id;

	if (get_user(id, (u32 __user *)uarg))
		return -EFAULT;
	return mock_remove_device(id);
}

static int mock_ctl_get_config(void __user *uarg)
{
	struct vfm_mock_config cfg;
	struct mock_dev *md;

	if (copy_from_user(&cfg, uarg, sizeof(cfg)))
		return -EFAULT;
	md = mock_get(cfg.id);
	if (IS_ERR(md))
		return PTR_ERR(md);
	cfg = (struct vfm_mock_config){
		.id = cfg.id,
		.valid = VFM_MOCK_CFG_ALL,
		.pgsizes = READ_ONCE(md->pgsizes),
		.aperture_start = READ_ONCE(md->aperture_start),
		.aperture_end = READ_ONCE(md->aperture_end),
		.format = READ_ONCE(md->format),
		.fail_map_at = atomic_read(&md->fail_map_at),
		.coherent = READ_ONCE(md->coherent),
		.msi_isolated = READ_ONCE(md->msi_isolated),
		.fail_attach = READ_ONCE(md->fail_attach),
		.fail_partial = READ_ONCE(md->fail_partial),
	};
	mock_put(md);
	return copy_to_user(uarg, &cfg, sizeof(cfg)) ? -EFAULT : 0;
}

static int mock_ctl_set_config(void __user *uarg)
{
	struct vfm_mock_config cfg;
	struct mock_dev *md;
	u64 start, end;
	int ret = 0;

	if (copy_from_user(&cfg, uarg, sizeof(cfg)))
		return -EFAULT;
	if (cfg.valid & ~VFM_MOCK_CFG_ALL ||
	    !mock_zero(cfg.reserved, sizeof(cfg.reserved)) ||
	    cfg.coherent > 1 || cfg.msi_isolated > 1 || cfg.fail_attach > 1 ||
	    cfg.fail_partial > 1 ||
	    (cfg.valid & VFM_MOCK_CFG_PGSIZES && !cfg.pgsizes))
		return -EINVAL;
	md = mock_get(cfg.id);
	if (IS_ERR(md))
		return PTR_ERR(md);

	mutex_lock(&md->lock);
	start = cfg.valid & VFM_MOCK_CFG_APERTURE_START ?
		cfg.aperture_start : md->aperture_start;
	end = cfg.valid & VFM_MOCK_CFG_APERTURE_END ?
		cfg.aperture_end : md->aperture_end;
	if (end < start) {
		ret = -EINVAL;
		goto out;
	}
	WRITE_ONCE(md->aperture_start, start);
	WRITE_ONCE(md->aperture_end, end);
	if (cfg.valid & VFM_MOCK_CFG_PGSIZES)
		WRITE_ONCE(md->pgsizes, cfg.pgsizes);
	if (cfg.valid & VFM_MOCK_CFG_FORMAT)
		WRITE_ONCE(md->format, cfg.format);
	if (cfg.valid & VFM_MOCK_CFG_FAIL_MAP_AT)
		atomic_set(&md->fail_map_at, cfg.fail_map_at);
	if (cfg.valid & VFM_MOCK_CFG_COHERENT)
		WRITE_ONCE(md->coherent, cfg.coherent);
	if (cfg.valid & VFM_MOCK_CFG_MSI_ISOLATED)
		mock_set_msi_isolated(md, cfg.msi_isolated);
	if (cfg.valid & VFM_MOCK_CFG_FAIL_ATTACH)
		WRITE_ONCE(md->fail_attach, cfg.fail_attach);
	if (cfg.valid & VFM_MOCK_CFG_FAIL_PARTIAL)
		WRITE_ONCE(md->fail_partial, cfg.fail_partial);
out:
	mutex_unlock(&md->lock);
	mock_put(md);
	return ret;
}

static int mock_ctl_reset(void __user *uarg)
{
	struct mock_dev *md;
	u32 id;

	if (get_user(id, (u32 __user *)uarg))
		return -EFAULT;
	md = mock_get(id);
	if (IS_ERR(md))
		return PTR_ERR(md);
	mock_reset(md);
	mock_put(md);
	return 0;
}

static int mock_ctl_add_resv(void __user *uarg)
{
	struct vfm_mock_resv arg;
	struct mock_dev *md;
	struct mock_resv *r;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!arg.type || arg.type >= ARRAY_SIZE(mock_resv_types) ||
	    !arg.length || arg.start + arg.length - 1 < arg.start)
		return -EINVAL;
	md = mock_get(arg.id);
	if (IS_ERR(md))
		return PTR_ERR(md);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (r) {
		r->start = arg.start;
		r->length = arg.length;
		r->type = mock_resv_types[arg.type];
		mutex_lock(&md->lock);
		list_add_tail(&r->list, &md->resv);
		mutex_unlock(&md->lock);
	}
	mock_put(md);
	return r ? 0 : -ENOMEM;
}

static int mock_ctl_clear_resv(void __user *uarg)
{
	struct mock_dev *md;
	u32 id;

	if (get_user(id, (u32 __user *)uarg))
		return -EFAULT;
	md = mock_get(id);
	if (IS_ERR(md))
		return PTR_ERR(md);
	mutex_lock(&md->lock);
	mock_resv_clear_locked(md);
	mutex_unlock(&md->lock);
	mock_put(md);
	return 0;
}

static int mock_ctl_fault(void __user *uarg)
{
	const u32 known = VFM_MOCK_FAULT_WRITE | VFM_MOCK_FAULT_IRQ |
			  VFM_MOCK_FAULT_NODEV;
	struct vfm_mock_fault arg;
	struct mock_dev *md;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~known || !arg.count || arg.reserved)
		return -EINVAL;
	md = mock_get(arg.id);
	if (IS_ERR(md))
		return PTR_ERR(md);
	ret = mock_fault_report(md, arg.iova, arg.flags & VFM_MOCK_FAULT_WRITE,
				arg.count, arg.flags & VFM_MOCK_FAULT_IRQ,
				arg.flags & VFM_MOCK_FAULT_NODEV);
	mock_put(md);
	return ret;
}

static int mock_ctl_storm(void __user *uarg)
{
	struct vfm_mock_storm arg;
	struct mock_dev *md;
	int ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	md = mock_get(arg.id);
	if (IS_ERR(md))
		return PTR_ERR(md);
	if (arg.count) {
		ret = mock_fault_storm_start(md, arg.iova, arg.count);
	} else {
		mutex_lock(&md->lock);
		mock_fault_storm_stop_locked(md);
		mutex_unlock(&md->lock);
	}
	mock_put(md);
	return ret;
}

static int mock_ctl_state(void __user *uarg)
{
	struct vfm_mock_state st;
	struct iommu_group *group;
	struct mock_dev *md;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	md = mock_get(st.id);
	if (IS_ERR(md))
		return PTR_ERR(md);
	st = (struct vfm_mock_state){
		.id = st.id,
		.group = -1,
		.domains = atomic_read(&mock_domains_live),
		.storm_reported = atomic64_read(&md->storm_reported),
	};
	group = iommu_group_get(&md->pdev->dev);
	if (group) {
		st.group = iommu_group_id(group);
		iommu_group_put(group);
	}
	mutex_lock(&md->lock);
	if (md->attached) {
		st.flags |= VFM_MOCK_STATE_ATTACHED;
		if (md->attached->domain.iova_cookie)
			st.flags |= VFM_MOCK_STATE_MSI_COOKIE;
	}
	mutex_unlock(&md->lock);
	mock_put(md);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

/*
 * The leaves are gathered under the device's lock and copied out after
 * it: a fault on the user's buffer must not wait with the lock held.
 */
static int mock_ctl_leaves(void __user *uarg)
{
	struct vfm_mock_leaf *leaves = NULL;
	struct vfm_mock_leaves arg;
	struct mock_dev *md;
	u32 total, copied;
	int ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	md = mock_get(arg.id);
	if (IS_ERR(md))
		return PTR_ERR(md);
	mutex_lock(&md->lock);
	if (!md->attached) {
		ret = -ENODEV;
		goto unlock;
	}
	total = mock_domain_leaves(md->attached, NULL, 0);
	copied = min(total, arg.nr);
	if (copied) {
		leaves = kvcalloc(copied, sizeof(*leaves), GFP_KERNEL);
		if (!leaves) {
			ret = -ENOMEM;
			goto unlock;
		}
		mock_domain_leaves(md->attached, leaves, copied);
	}
unlock:
	mutex_unlock(&md->lock);
	mock_put(md);
	if (ret)
		return ret;

	if (copy_to_user(u64_to_user_ptr(arg.leaves), leaves,
			 copied * sizeof(*leaves)))
		ret = -EFAULT;
	kvfree(leaves);
	arg.nr = total;
	if (!ret && copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
	return ret;
}

static int mock_ctl_page(void __user *uarg)
{
	struct vfm_mock_page arg;
	unsigned long pfn;
	struct page *page;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	pfn = PHYS_PFN(arg.phys);
	page = pfn_to_online_page(pfn);
	if (!page)
		return -EINVAL;
	arg.refs = folio_ref_count(page_folio(page));
	arg.flags = folio_maybe_dma_pinned(page_folio(page)) ?
		    VFM_MOCK_PAGE_PINNED : 0;
	return copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
}

static long mock_ctl_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFM_MOCK_ADD:
		return mock_ctl_add(uarg);
	case VFM_MOCK_REMOVE:
		return mock_ctl_remove(uarg);
	case VFM_MOCK_GET_CONFIG:
		return mock_ctl_get_config(uarg);
	case VFM_MOCK_SET_CONFIG:
		return mock_ctl_set_config(uarg);
	case VFM_MOCK_RESET:
		return mock_ctl_reset(uarg);
	case VFM_MOCK_ADD_RESV:
		return mock_ctl_add_resv(uarg);
	case VFM_MOCK_CLEAR_RESV:
		return mock_ctl_clear_resv(uarg);
	case VFM_MOCK_FAULT:
		return mock_ctl_fault(uarg);
	case VFM_MOCK_STORM:
		return mock_ctl_storm(uarg);
	case VFM_MOCK_STATE:
		return mock_ctl_state(uarg);
	case VFM_MOCK_LEAVES:
		return mock_ctl_leaves(uarg);
	case VFM_MOCK_PAGE:
		return mock_ctl_page(uarg);
	}
	return -ENOTTY;
}

static const struct file_operations mock_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mock_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = mock_pfnmap_mmap,
};

static struct miscdevice mock_ctl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = VFM_MOCK_DEVNAME,
	.fops = &mock_ctl_fops,
	.mode = 0600,
};

/**
 * mock_ctl_init() - create /dev/vfio-mirror-mock
 *
 * Return: 0 or the error of misc_register().
 */
int mock_ctl_init(void)
{
	return misc_register(&mock_ctl_dev);
}

/* Remove it; an open file holds the module, so none is open now. */
void mock_ctl_exit(void)
{
	misc_deregister(&mock_ctl_dev);
}
