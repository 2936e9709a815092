// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mirror_mock: a VFIO driver for the mock devices, so that each mock
 * group is a /dev/vfio/N that can join a container.  The device has no
 * regions and no interrupts; VFIO_DEVICE_GET_INFO says so.
 *
 * The driver manages DMA itself (driver_managed_dma), as vfio-pci does, so
 * that binding it leaves the group free for VFIO to claim.
 */
#include <linux/platform_device.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mock.h"

struct mock_vfio {
	struct vfio_device vdev;
};

static long mock_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd,
			    unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (cmd != VFIO_DEVICE_GET_INFO)
		return -ENOTTY;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PLATFORM;
	info.num_regions = 0;
	info.num_irqs = 0;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static const struct vfio_device_ops mock_vfio_ops = {
	.name = MOCK_NAME,
	.ioctl = mock_vfio_ioctl,
};

static int mock_vfio_probe(struct platform_device *pdev)
{
	struct mock_vfio *mv;
	int ret;

	mv = vfio_alloc_device(mock_vfio, vdev, &pdev->dev, &mock_vfio_ops);
	if (IS_ERR(mv))
		return PTR_ERR(mv);
	ret = vfio_register_group_dev(&mv->vdev);
	if (ret) {
		vfio_put_device(&mv->vdev);
		return ret;
	}
	platform_set_drvdata(pdev, mv);
	return 0;
}

static void mock_vfio_remove(struct platform_device *pdev)
{
	struct mock_vfio *mv = platform_get_drvdata(pdev);

	vfio_unregister_group_dev(&mv->vdev);
	vfio_put_device(&mv->vdev);
}

struct platform_driver mock_vfio_driver = {
	.probe = mock_vfio_probe,
	.remove = mock_vfio_remove,
	.driver = {
		.name = MOCK_NAME,
	},
	.driver_managed_dma = true,
};
