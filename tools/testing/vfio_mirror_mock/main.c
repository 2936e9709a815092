// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mirror_mock: module set-up, and the mock devices.
 *
 * Order of events at load: a software node becomes the mock IOMMU's
 * fwnode; the IOMMU is registered (with a sysfs entry, which the core
 * links each probed device to); the VFIO driver is registered; then each
 * device is created with a fwspec naming the fwnode, and added, upon which
 * the IOMMU core probes it into a group of its own and the VFIO driver
 * binds it.
 *
 * Every probed device holds a reference on this module (the IOMMU core
 * takes one on its driver's owner), so the module cannot be unloaded while
 * the devices exist: VFM_MOCK_REMOVE deletes them first.
 *
 * A device gets its fwspec the way firmware code gives one, under
 * iommu_probe_device_lock, which the IOMMU core requires (lockdep says so)
 * and <linux/iommu.h> declares but Linux 6.12 does not export.  The test
 * guest passes its address, from /proc/kallsyms, as the probe_lock
 * parameter; the module checks that it is that symbol before taking it.
 */
#include <linux/irqdomain.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/property.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "mock.h"

static unsigned int nr_devices = 3;
module_param(nr_devices, uint, 0444);
MODULE_PARM_DESC(nr_devices, "Mock devices to create (default: 3, at most 8)");

static unsigned long probe_lock;
module_param(probe_lock, ulong, 0444);
MODULE_PARM_DESC(probe_lock,
		 "Address of iommu_probe_device_lock, from /proc/kallsyms (required)");
static struct mutex *mock_probe_lock;

struct mock_dev *mock_devs[MOCK_MAX_DEVICES];
struct iommu_device mock_iommu;
static struct fwnode_handle *mock_fwnode;
static DEFINE_MUTEX(mock_devices_lock);

/*
 * A platform device has no MSI domain, so its MSIs never count as
 * isolated.  A mock device cannot send any; to let a test choose, the
 * device may be given this empty domain, flagged as isolating.
 */
static struct irq_domain *mock_msi_domain;
static const struct irq_domain_ops mock_msi_domain_ops = {};

/**
 * mock_set_msi_isolated() - make a device's MSIs count as isolated or not
 * @md: the device.
 * @on: isolated.
 */
void mock_set_msi_isolated(struct mock_dev *md, bool on)
{
	WRITE_ONCE(md->msi_isolated, on);
	dev_set_msi_domain(&md->pdev->dev, on ? mock_msi_domain : NULL);
}

/**
 * mock_resv_clear_locked() - drop every reserved region of a device
 * @md: the device, its lock held.
 */
void mock_resv_clear_locked(struct mock_dev *md)
{
	struct mock_resv *r, *tmp;

	lockdep_assert_held(&md->lock);

	list_for_each_entry_safe(r, tmp, &md->resv, list) {
		list_del(&r->list);
		kfree(r);
	}
}

/* The settings of a device of its own group, as the module creates it. */
static void mock_defaults_locked(struct mock_dev *md)
{
	WRITE_ONCE(md->pgsizes, SZ_4K | SZ_2M | SZ_1G);
	WRITE_ONCE(md->aperture_start, 0);
	WRITE_ONCE(md->aperture_end, (1ULL << 48) - 1);
	WRITE_ONCE(md->format, 0);
	WRITE_ONCE(md->coherent, false);
	WRITE_ONCE(md->fail_attach, false);
	atomic_set(&md->fail_map_at, 0);
	WRITE_ONCE(md->fail_partial, false);
	mock_resv_clear_locked(md);
	mock_fault_storm_stop_locked(md);
}

/**
 * mock_reset() - put a device's settings back as the module creates them
 * @md: the device.
 *
 * No reserved region, no storm, MSIs isolated.
 */
void mock_reset(struct mock_dev *md)
{
	mutex_lock(&md->lock);
	mock_defaults_locked(md);
	mock_set_msi_isolated(md, true);
	mutex_unlock(&md->lock);
}

static void mock_release(struct kref *ref)
{
	struct mock_dev *md = container_of(ref, struct mock_dev, ref);

	mutex_lock(&md->lock);
	mock_resv_clear_locked(md);
	mock_fault_storm_stop_locked(md);
	mutex_unlock(&md->lock);
	if (md->pdev)
		platform_device_put(md->pdev);
	mutex_destroy(&md->lock);
	kfree(md);
}

/**
 * mock_get() - look a device up for a control request
 * @id: its number.
 *
 * Return: the device, with a reference for mock_put(), or
 * ERR_PTR(-ENODEV).
 */
struct mock_dev *mock_get(u32 id)
{
	struct mock_dev *md = NULL;

	mutex_lock(&mock_devices_lock);
	if (id < MOCK_MAX_DEVICES)
		md = mock_devs[id];
	if (md)
		kref_get(&md->ref);
	mutex_unlock(&mock_devices_lock);
	return md ?: ERR_PTR(-ENODEV);
}

/**
 * mock_put() - drop what mock_get() took
 * @md: the device.
 */
void mock_put(struct mock_dev *md)
{
	kref_put(&md->ref, mock_release);
}

/* @id, a free slot, joins the group of @sibling, or a new one if -1. */
static int mock_add_device(int id, int sibling)
{
	struct mock_dev *md;
	int ret;

	lockdep_assert_held(&mock_devices_lock);

	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		return -ENOMEM;
	mutex_init(&md->lock);
	kref_init(&md->ref);
	INIT_LIST_HEAD(&md->resv);
	mock_fault_init(md);
	md->id = id;
	md->sibling = sibling;
	mutex_lock(&md->lock);
	mock_defaults_locked(md);
	mutex_unlock(&md->lock);
	if (sibling >= 0) {
		/* Devices of one group make the same domains. */
		md->pgsizes = READ_ONCE(mock_devs[sibling]->pgsizes);
		md->aperture_start = READ_ONCE(mock_devs[sibling]->aperture_start);
		md->aperture_end = READ_ONCE(mock_devs[sibling]->aperture_end);
		md->format = READ_ONCE(mock_devs[sibling]->format);
	}

	md->pdev = platform_device_alloc(MOCK_NAME, id);
	if (!md->pdev) {
		mock_put(md);
		return -ENOMEM;
	}
	mutex_lock(mock_probe_lock);
	ret = iommu_fwspec_init(&md->pdev->dev, mock_fwnode);
	mutex_unlock(mock_probe_lock);
	if (ret)
		goto err_put;
	mock_set_msi_isolated(md, true);

	mock_devs[id] = md;
	ret = platform_device_add(md->pdev);
	if (ret) {
		mock_devs[id] = NULL;
		goto err_put;
	}
	if (!device_iommu_mapped(&md->pdev->dev)) {
		dev_err(&md->pdev->dev, "not probed by the mock IOMMU\n");
		/* The reference platform_device_add() left is mock_release()'s. */
		get_device(&md->pdev->dev);
		platform_device_unregister(md->pdev);
		mock_devs[id] = NULL;
		mock_put(md);
		return -ENODEV;
	}
	/* mock_release() drops it: requests may outlive the unregister. */
	get_device(&md->pdev->dev);
	return 0;

err_put:
	mock_put(md);
	return ret;
}

static void mock_del_device(int id)
{
	struct mock_dev *md = mock_devs[id];

	lockdep_assert_held(&mock_devices_lock);

	platform_device_unregister(md->pdev);
	mock_devs[id] = NULL;
	/* Gone from its group: a request still holding it reports nothing. */
	mutex_lock(&md->lock);
	mock_fault_storm_stop_locked(md);
	md->attached = NULL;
	mutex_unlock(&md->lock);
	mock_put(md);
}

/**
 * mock_add() - add a device, as a hot-plug would
 * @n: the device whose IOMMU group it joins, with its domain settings; -1
 *	for a group of its own and the module's defaults.
 *
 * Return: the new device's number (the lowest free one), -ENODEV when @n
 * does not exist, -ENOSPC when MOCK_MAX_DEVICES exist, or an error of the
 * device core.
 */
int mock_add(int n)
{
	int id, ret = -ENOSPC;

	mutex_lock(&mock_devices_lock);
	if (n < -1 || n >= MOCK_MAX_DEVICES || (n >= 0 && !mock_devs[n])) {
		ret = -ENODEV;
		goto out;
	}
	for (id = 0; id < MOCK_MAX_DEVICES; id++) {
		if (!mock_devs[id]) {
			ret = mock_add_device(id, n);
			if (!ret)
				ret = id;
			break;
		}
	}
out:
	mutex_unlock(&mock_devices_lock);
	return ret;
}

/**
 * mock_remove_device() - delete one mock device, as a hot-unplug would
 * @n: the device.
 *
 * Return: 0, or -ENODEV when it does not exist or a sibling of it does.
 */
int mock_remove_device(int n)
{
	int i, ret = 0;

	mutex_lock(&mock_devices_lock);
	if (n < 0 || n >= MOCK_MAX_DEVICES || !mock_devs[n])
		ret = -ENODEV;
	for (i = 0; !ret && i < MOCK_MAX_DEVICES; i++)
		if (mock_devs[i] && mock_devs[i]->sibling == n)
			ret = -ENODEV;
	if (!ret)
		mock_del_device(n);
	mutex_unlock(&mock_devices_lock);
	return ret;
}

/**
 * mock_remove_devices() - delete every mock device
 *
 * Afterwards nothing holds the module and it can be unloaded.
 *
 * Return: 0.
 */
int mock_remove_devices(void)
{
	int i;

	mutex_lock(&mock_devices_lock);
	/* Siblings first: they hold their group's first device. */
	for (i = MOCK_MAX_DEVICES - 1; i >= 0; i--)
		if (mock_devs[i] && mock_devs[i]->sibling >= 0)
			mock_del_device(i);
	for (i = 0; i < MOCK_MAX_DEVICES; i++)
		if (mock_devs[i])
			mock_del_device(i);
	mutex_unlock(&mock_devices_lock);
	return 0;
}

/* The lock whose address the probe_lock parameter gives, checked. */
static struct mutex *mock_find_probe_lock(void)
{
	char sym[KSYM_SYMBOL_LEN];

	if (!probe_lock)
		return NULL;
	sprint_symbol(sym, probe_lock);
	if (!str_has_prefix(sym, "iommu_probe_device_lock+0x0/"))
		return NULL;
	return (struct mutex *)probe_lock;
}

static int __init mock_init(void)
{
	unsigned int i;
	int ret;

	if (nr_devices > MOCK_MAX_DEVICES)
		return -EINVAL;
	mock_probe_lock = mock_find_probe_lock();
	if (!mock_probe_lock) {
		pr_err(MOCK_NAME ": probe_lock must be the address of iommu_probe_device_lock\n");
		return -EINVAL;
	}

	mock_fwnode = fwnode_create_software_node(NULL, NULL);
	if (IS_ERR(mock_fwnode))
		return PTR_ERR(mock_fwnode);

	mock_msi_domain = irq_domain_create_linear(NULL, 1,
						   &mock_msi_domain_ops, NULL);
	if (!mock_msi_domain) {
		ret = -ENOMEM;
		goto err_fwnode;
	}
	mock_msi_domain->flags |= IRQ_DOMAIN_FLAG_ISOLATED_MSI;

	ret = iommu_device_sysfs_add(&mock_iommu, NULL, NULL, MOCK_NAME);
	if (ret)
		goto err_irq;
	/* No hardware device: the fwnode is set here, not taken from one. */
	mock_iommu.fwnode = mock_fwnode;
	ret = iommu_device_register(&mock_iommu, &mock_iommu_ops, NULL);
	if (ret)
		goto err_sysfs;

	ret = platform_driver_register(&mock_vfio_driver);
	if (ret)
		goto err_iommu;

	ret = mock_ctl_init();
	if (ret) {
		platform_driver_unregister(&mock_vfio_driver);
		goto err_iommu;
	}
	mutex_lock(&mock_devices_lock);
	for (i = 0; i < nr_devices && !ret; i++)
		ret = mock_add_device(i, -1);
	mutex_unlock(&mock_devices_lock);
	if (ret) {
		mock_remove_devices();
		mock_ctl_exit();
		platform_driver_unregister(&mock_vfio_driver);
		goto err_iommu;
	}
	return 0;

err_iommu:
	iommu_device_unregister(&mock_iommu);
err_sysfs:
	iommu_device_sysfs_remove(&mock_iommu);
err_irq:
	irq_domain_remove(mock_msi_domain);
err_fwnode:
	fwnode_remove_software_node(mock_fwnode);
	return ret;
}

static void __exit mock_exit(void)
{
	mock_remove_devices();
	mock_ctl_exit();
	platform_driver_unregister(&mock_vfio_driver);
	iommu_device_unregister(&mock_iommu);
	iommu_device_sysfs_remove(&mock_iommu);
	irq_domain_remove(mock_msi_domain);
	fwnode_remove_software_node(mock_fwnode);
}

module_init(mock_init);
module_exit(mock_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mock IOMMU and devices for the vfio-mirror kselftests (never ships)");
