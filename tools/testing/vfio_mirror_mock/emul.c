// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mirror_emul: a mediated (emulated-IOMMU) VFIO device for the
 * vfio-mirror kselftests only.  It never ships.
 *
 * The module makes nr_devices platform devices "vfio-mirror-emul.N" and
 * registers each with vfio_register_emulated_iommu_dev(), so that each is
 * a VFIO group of type VFIO_EMULATED_IOMMU: a /dev/vfio/N that joins a
 * container as vfio-ap or a vGPU does.  Its ioctls (emul_uapi.h) pin and
 * unpin pages and copy through vfio_dma_rw(), so that a test drives the
 * backend's pin_pages, unpin_pages and dma_rw ops; its dma_unmap op
 * unpins what it holds in the range and counts the notification (and,
 * with repin set, misbehaves: it pins again the first page of the range
 * it was told of before).
 *
 * Locking: emul_dev::lock protects the pins the device holds and its
 * counters.  By default it is never held across a call into VFIO.  With
 * nest_lock set it is, around vfio_pin_pages() and vfio_unpin_pages()
 * and in the dma_unmap callback, as drivers that serialise their pinning
 * do: the order type1 6.12 cannot take (its device_list_lock, held
 * across dma_unmap, nests inside its iommu lock at register time), and
 * vfio-mirror must.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/xarray.h>

#include "emul_uapi.h"

#define EMUL_MAX_DEVICES	4

static unsigned int nr_devices = 2;
module_param(nr_devices, uint, 0444);
MODULE_PARM_DESC(nr_devices, "Mediated devices to create (default: 2)");

/**
 * struct emul_dev - one mediated device
 * @vdev: its VFIO device.
 * @lock: protects the fields below.
 * @pins: by IOVA page, how many pins the device holds (a value entry).
 * @pinned: their sum.
 * @unmaps: dma_unmap notifications since the last reset.
 * @last_iova: IOVA of the last one.
 * @last_length: its length.
 */
struct emul_dev {
	struct vfio_device vdev;
	struct mutex lock;		/* see the top of the file */
	struct xarray pins;
	u64 pinned;
	u64 unmaps;
	u64 last_iova;
	u64 last_length;
};

static bool nest_lock;
module_param(nest_lock, bool, 0644);
MODULE_PARM_DESC(nest_lock,
		 "Hold the device lock across calls into VFIO (default: no)");

static bool repin;
module_param(repin, bool, 0644);
MODULE_PARM_DESC(repin,
		 "Misbehave: told of an unmap, pin again the first page the previous notification took away (default: no)");

static struct platform_device *emul_pdevs[EMUL_MAX_DEVICES];

static struct emul_dev *emul_of(struct vfio_device *vdev)
{
	return container_of(vdev, struct emul_dev, vdev);
}

static unsigned long emul_held(struct emul_dev *ed, unsigned long idx)
{
	void *entry = xa_load(&ed->pins, idx);

	return entry ? xa_to_value(entry) : 0;
}

static int emul_hold(struct emul_dev *ed, unsigned long idx, long delta)
{
	unsigned long n = emul_held(ed, idx) + delta;
	int ret = 0;

	if (!n)
		xa_erase(&ed->pins, idx);
	else
		ret = xa_err(xa_store(&ed->pins, idx, xa_mk_value(n),
				      GFP_KERNEL));
	if (!ret)
		ed->pinned += delta;
	return ret;
}

/*
 * Drop every pin held in [@first, @last] (IOVA pages); called with the
 * lock held, which is dropped around each unpin unless @nest.
 */
static void emul_unpin_range(struct emul_dev *ed, unsigned long first,
			     unsigned long last, bool nest)
{
	unsigned long idx = first, n;
	void *entry;

	lockdep_assert_held(&ed->lock);
	while ((entry = xa_find(&ed->pins, &idx, last, XA_PRESENT))) {
		n = xa_to_value(entry);
		ed->pinned -= n;
		xa_erase(&ed->pins, idx);
		if (!nest)
			mutex_unlock(&ed->lock);
		for (; n; n--)
			vfio_unpin_pages(&ed->vdev, (dma_addr_t)idx << PAGE_SHIFT,
					 1);
		if (!nest)
			mutex_lock(&ed->lock);
	}
}

/* Unpin the page at IOVA page @idx; the lock is dropped unless @nest. */
static void emul_unpin_one(struct emul_dev *ed, unsigned long idx, bool nest)
{
	if (!nest)
		mutex_unlock(&ed->lock);
	vfio_unpin_pages(&ed->vdev, (dma_addr_t)idx << PAGE_SHIFT, 1);
	if (!nest)
		mutex_lock(&ed->lock);
}

static long emul_pin(struct emul_dev *ed, struct vfm_emul_pin __user *uarg)
{
	bool nest = READ_ONCE(nest_lock);
	struct vfm_emul_pin arg;
	struct page **pages;
	unsigned long idx;
	int prot = 0, ret, i;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!arg.npage || arg.npage > VFIO_PIN_PAGES_MAX_ENTRIES + 1)
		return -EINVAL;
	if (arg.prot & VFM_EMUL_PROT_READ)
		prot |= IOMMU_READ;
	if (arg.prot & VFM_EMUL_PROT_WRITE)
		prot |= IOMMU_WRITE;
	pages = kcalloc(arg.npage, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	if (nest)
		mutex_lock(&ed->lock);
	ret = vfio_pin_pages(&ed->vdev, arg.iova, arg.npage, prot, pages);
	if (!nest)
		mutex_lock(&ed->lock);
	if (ret < 0)
		goto out_unlock;
	ret = 0;
	arg.phys = page_to_phys(pages[0]);
	idx = arg.iova >> PAGE_SHIFT;
	for (i = 0; i < arg.npage && !ret; i++)
		ret = emul_hold(ed, idx + i, 1);
	if (ret) {
		i--;		/* the hold that failed was not taken */
		goto out_undo;
	}
	mutex_unlock(&ed->lock);
	kfree(pages);
	if (!copy_to_user(uarg, &arg, sizeof(arg)))
		return 0;

	/*
	 * A pin that fails leaves the device holding nothing new.  While the
	 * lock was dropped an unmap notification may have dropped holds of
	 * these pages: only the ones still held are given back.
	 */
	ret = -EFAULT;
	pages = NULL;
	mutex_lock(&ed->lock);
	for (i = 0; i < arg.npage; i++) {
		if (!emul_held(ed, idx + i))
			continue;
		emul_hold(ed, idx + i, -1);
		emul_unpin_one(ed, idx + i, nest);
	}
	goto out_unlock;
out_undo:
	/* The holds taken so far, and every page vfio_pin_pages() pinned. */
	while (i--)
		emul_hold(ed, idx + i, -1);
	if (!nest)
		mutex_unlock(&ed->lock);
	vfio_unpin_pages(&ed->vdev, arg.iova, arg.npage);
	if (!nest)
		mutex_lock(&ed->lock);
out_unlock:
	mutex_unlock(&ed->lock);
	kfree(pages);
	return ret;
}

static long emul_unpin(struct emul_dev *ed, struct vfm_emul_pin __user *uarg)
{
	bool nest = READ_ONCE(nest_lock);
	struct vfm_emul_pin arg;
	unsigned long idx, i;
	int ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!arg.npage || arg.npage > VFIO_PIN_PAGES_MAX_ENTRIES)
		return -EINVAL;
	idx = arg.iova >> PAGE_SHIFT;
	mutex_lock(&ed->lock);
	/* The backend warns of an unpin of what is not pinned: refuse. */
	for (i = 0; i < arg.npage; i++)
		if (!emul_held(ed, idx + i))
			ret = -EINVAL;
	if (!ret) {
		for (i = 0; i < arg.npage; i++)
			emul_hold(ed, idx + i, -1);
		if (nest)
			vfio_unpin_pages(&ed->vdev, arg.iova, arg.npage);
	}
	mutex_unlock(&ed->lock);
	if (!ret && !nest)
		vfio_unpin_pages(&ed->vdev, arg.iova, arg.npage);
	return ret;
}

static long emul_rw(struct emul_dev *ed, struct vfm_emul_rw __user *uarg)
{
	struct vfm_emul_rw arg;
	void __user *ubuf;
	void *buf;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!arg.len || arg.len > VFM_EMUL_RW_MAX)
		return -EINVAL;
	ubuf = u64_to_user_ptr(arg.buf);
	buf = kvzalloc(arg.len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = -EFAULT;
	if (arg.write && copy_from_user(buf, ubuf, arg.len))
		goto out;
	ret = vfio_dma_rw(&ed->vdev, arg.iova, buf, arg.len, arg.write);
	if (!ret && !arg.write && copy_to_user(ubuf, buf, arg.len))
		ret = -EFAULT;
out:
	kvfree(buf);
	return ret;
}

static long emul_state(struct emul_dev *ed, struct vfm_emul_state __user *uarg)
{
	struct vfm_emul_state st;

	mutex_lock(&ed->lock);
	st.pinned = ed->pinned;
	st.unmaps = ed->unmaps;
	st.last_iova = ed->last_iova;
	st.last_length = ed->last_length;
	mutex_unlock(&ed->lock);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long emul_ioctl(struct vfio_device *vdev, unsigned int cmd,
		       unsigned long arg)
{
	struct emul_dev *ed = emul_of(vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFM_EMUL_PIN:
		return emul_pin(ed, uarg);
	case VFM_EMUL_UNPIN:
		return emul_unpin(ed, uarg);
	case VFM_EMUL_RW:
		return emul_rw(ed, uarg);
	case VFM_EMUL_STATE:
		return emul_state(ed, uarg);
	case VFM_EMUL_RESET:
		mutex_lock(&ed->lock);
		ed->unmaps = 0;
		ed->last_iova = 0;
		ed->last_length = 0;
		mutex_unlock(&ed->lock);
		return 0;
	default:
		return -ENOTTY;
	}
}

/* The backend is about to unmap [@iova, @iova + @length): unpin there. */
static void emul_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct emul_dev *ed = emul_of(vdev);
	bool nest = READ_ONCE(nest_lock);
	struct page *page;
	u64 again;
	int ret;

	mutex_lock(&ed->lock);
	again = ed->unmaps ? ed->last_iova : iova;
	ed->unmaps++;
	ed->last_iova = iova;
	ed->last_length = length;
	emul_unpin_range(ed, iova >> PAGE_SHIFT,
			 (iova + length - 1) >> PAGE_SHIFT, nest);
	/* What a device must not do: take a page back while unmapping. */
	if (READ_ONCE(repin) && again != iova) {
		if (!nest)
			mutex_unlock(&ed->lock);
		ret = vfio_pin_pages(vdev, again, 1, IOMMU_READ | IOMMU_WRITE,
				     &page);
		if (!nest)
			mutex_lock(&ed->lock);
		if (ret == 1 && emul_hold(ed, again >> PAGE_SHIFT, 1))
			emul_unpin_one(ed, again >> PAGE_SHIFT, nest);
	}
	mutex_unlock(&ed->lock);
}

/* A closing device gives back what it holds, as a driver must. */
static void emul_close_device(struct vfio_device *vdev)
{
	struct emul_dev *ed = emul_of(vdev);

	mutex_lock(&ed->lock);
	emul_unpin_range(ed, 0, ULONG_MAX, READ_ONCE(nest_lock));
	ed->unmaps = 0;
	mutex_unlock(&ed->lock);
}

static int emul_init_dev(struct vfio_device *vdev)
{
	struct emul_dev *ed = emul_of(vdev);

	mutex_init(&ed->lock);
	xa_init(&ed->pins);
	return 0;
}

static void emul_release_dev(struct vfio_device *vdev)
{
	struct emul_dev *ed = emul_of(vdev);

	xa_destroy(&ed->pins);
	mutex_destroy(&ed->lock);
}

static const struct vfio_device_ops emul_ops = {
	.name = VFM_EMUL_NAME,
	.init = emul_init_dev,
	.release = emul_release_dev,
	.close_device = emul_close_device,
	.ioctl = emul_ioctl,
	.dma_unmap = emul_dma_unmap,
#if IS_ENABLED(CONFIG_IOMMUFD)
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
#endif
};

static int emul_probe(struct platform_device *pdev)
{
	struct emul_dev *ed;
	int ret;

	ed = vfio_alloc_device(emul_dev, vdev, &pdev->dev, &emul_ops);
	if (IS_ERR(ed))
		return PTR_ERR(ed);
	ret = vfio_register_emulated_iommu_dev(&ed->vdev);
	if (ret) {
		vfio_put_device(&ed->vdev);
		return ret;
	}
	platform_set_drvdata(pdev, ed);
	return 0;
}

static void emul_remove(struct platform_device *pdev)
{
	struct emul_dev *ed = platform_get_drvdata(pdev);

	vfio_unregister_group_dev(&ed->vdev);
	vfio_put_device(&ed->vdev);
}

static struct platform_driver emul_driver = {
	.probe = emul_probe,
	.remove = emul_remove,
	.driver = {
		.name = VFM_EMUL_NAME,
	},
};

static void emul_remove_devices(void)
{
	unsigned int i;

	for (i = 0; i < EMUL_MAX_DEVICES; i++) {
		platform_device_unregister(emul_pdevs[i]);
		emul_pdevs[i] = NULL;
	}
}

static int __init emul_init(void)
{
	unsigned int i;
	int ret;

	if (nr_devices > EMUL_MAX_DEVICES)
		return -EINVAL;
	ret = platform_driver_register(&emul_driver);
	if (ret)
		return ret;
	for (i = 0; i < nr_devices; i++) {
		emul_pdevs[i] = platform_device_register_simple(VFM_EMUL_NAME,
								i, NULL, 0);
		if (IS_ERR(emul_pdevs[i])) {
			ret = PTR_ERR(emul_pdevs[i]);
			emul_pdevs[i] = NULL;
			emul_remove_devices();
			platform_driver_unregister(&emul_driver);
			return ret;
		}
	}
	return 0;
}

static void __exit emul_exit(void)
{
	emul_remove_devices();
	platform_driver_unregister(&emul_driver);
}

module_init(emul_init);
module_exit(emul_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mediated VFIO device for the vfio-mirror kselftests (never ships)");
