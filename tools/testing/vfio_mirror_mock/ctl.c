// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_mirror_mock: the tests' controls, in debugfs.
 *
 * /sys/kernel/debug/vfio_mirror_mock/
 *	remove		write anything: delete every mock device
 *	remove_device	write N: delete mock N, as a hot-unplug would
 *	add		write N: add a device to mock N's IOMMU group, with
 *			its domain settings, or with -1 to a group of its own;
 *			read: the number of the last device added
 *	domains		read: how many paging domains of the mock IOMMU
 *			exist
 *	pfnmap		mmap: device memory that is not linear (pfnmap.c)
 *	mockN/		one directory per device:
 *	  group		its IOMMU group number
 *	  pgsizes	page sizes of the domains it makes (hex bitmap)
 *	  aperture_start, aperture_end	their IOVA aperture (hex)
 *	  format	page table format; devices of different formats
 *			cannot share a domain
 *	  coherent	its domains can enforce cache coherency (Y/N)
 *	  msi_isolated	its MSIs count as isolated (Y/N)
 *	  fail_attach	attaching it to a paging domain fails with EIO (Y/N)
 *	  fail_map_at	the N-th map in a domain it made fails with EIO
 *	  resv		its reserved regions: read a list; write
 *			"add TYPE START LENGTH" (TYPE: reserved, msi, sw_msi,
 *			direct_relaxable) or "clear"
 *	  mappings	the page table of the paging domain it is attached
 *			to, "IOVA PHYS SIZE PROT" a leaf; empty otherwise
 *	  msi_cookie	Y if that domain has an MSI cookie, N if not
 *	  fault		write "IOVA r|w [COUNT [irq]]": report_iommu_fault()
 *			COUNT times (default 1) in that domain, from a hard
 *			interrupt with "irq"
 *	  fault_nodev	the same, without the device, as Arm SMMU v1/v2
 *			reports
 *	  storm		write "IOVA COUNT": COUNT write faults every 100 us
 *			from a hard interrupt, until "stop" or a detach;
 *			read: faults stormed since load
 */
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "mock.h"

static struct dentry *mock_debugfs_root;

static const char *const mock_resv_names[] = {
	[IOMMU_RESV_DIRECT] = "direct",
	[IOMMU_RESV_DIRECT_RELAXABLE] = "direct_relaxable",
	[IOMMU_RESV_RESERVED] = "reserved",
	[IOMMU_RESV_MSI] = "msi",
	[IOMMU_RESV_SW_MSI] = "sw_msi",
};

static char *mock_ctl_input(const char __user *buf, size_t count)
{
	if (count > 128)
		return ERR_PTR(-EINVAL);
	return memdup_user_nul(buf, count);
}

static int mock_group_show(struct seq_file *m, void *unused)
{
	struct mock_dev *md = m->private;
	struct iommu_group *group = iommu_group_get(&md->pdev->dev);

	if (!group)
		return -ENODEV;
	seq_printf(m, "%d\n", iommu_group_id(group));
	iommu_group_put(group);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mock_group);

static int mock_mappings_show(struct seq_file *m, void *unused)
{
	struct mock_dev *md = m->private;

	mutex_lock(&md->lock);
	if (md->attached)
		mock_domain_dump(md->attached, m);
	mutex_unlock(&md->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mock_mappings);

static int mock_msi_cookie_show(struct seq_file *m, void *unused)
{
	struct mock_dev *md = m->private;
	int ret = 0;

	mutex_lock(&md->lock);
	if (md->attached)
		seq_printf(m, "%c\n",
			   md->attached->domain.iova_cookie ? 'Y' : 'N');
	else
		ret = -ENODEV;
	mutex_unlock(&md->lock);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(mock_msi_cookie);

static int mock_resv_show(struct seq_file *m, void *unused)
{
	struct mock_dev *md = m->private;
	struct mock_resv *r;

	mutex_lock(&md->lock);
	list_for_each_entry(r, &md->resv, list)
		seq_printf(m, "%s %#llx %#zx\n", mock_resv_names[r->type],
			   (u64)r->start, r->length);
	mutex_unlock(&md->lock);
	return 0;
}

static int mock_resv_open(struct inode *inode, struct file *file)
{
	return single_open(file, mock_resv_show, inode->i_private);
}

static int mock_resv_add(struct mock_dev *md, const char *type, u64 start,
			 u64 length)
{
	struct mock_resv *r;
	unsigned int t;

	for (t = 0; t < ARRAY_SIZE(mock_resv_names); t++)
		if (mock_resv_names[t] && !strcmp(type, mock_resv_names[t]))
			break;
	/*
	 * IOMMU_RESV_DIRECT is refused: the IOMMU core marks a device with
	 * one as needing it mapped at probe time, which a region added later
	 * cannot honour.
	 */
	if (t == ARRAY_SIZE(mock_resv_names) || t == IOMMU_RESV_DIRECT ||
	    !length || start + length - 1 < start)
		return -EINVAL;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->start = start;
	r->length = length;
	r->type = t;
	mutex_lock(&md->lock);
	list_add_tail(&r->list, &md->resv);
	mutex_unlock(&md->lock);
	return 0;
}

static ssize_t mock_resv_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct mock_dev *md = file_inode(file)->i_private;
	struct mock_resv *r, *tmp;
	char type[24];
	u64 start, length;
	char *buf;
	int ret;

	buf = mock_ctl_input(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	if (sysfs_streq(buf, "clear")) {
		mutex_lock(&md->lock);
		list_for_each_entry_safe(r, tmp, &md->resv, list) {
			list_del(&r->list);
			kfree(r);
		}
		mutex_unlock(&md->lock);
		ret = 0;
	} else if (sscanf(buf, "add %23s %llx %llx", type, &start,
			  &length) == 3) {
		ret = mock_resv_add(md, type, start, length);
	} else {
		ret = -EINVAL;
	}
	kfree(buf);
	return ret ? ret : count;
}

static const struct file_operations mock_resv_fops = {
	.owner = THIS_MODULE,
	.open = mock_resv_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = mock_resv_write,
};

static ssize_t mock_msi_isolated_write(struct file *file,
				       const char __user *ubuf, size_t count,
				       loff_t *ppos)
{
	struct mock_dev *md = file_inode(file)->i_private;
	bool on;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &on);
	if (ret)
		return ret;
	mock_set_msi_isolated(md, on);
	return count;
}

static ssize_t mock_msi_isolated_read(struct file *file, char __user *ubuf,
				      size_t count, loff_t *ppos)
{
	struct mock_dev *md = file_inode(file)->i_private;
	char buf[3] = { READ_ONCE(md->msi_isolated) ? 'Y' : 'N', '\n' };

	return simple_read_from_buffer(ubuf, count, ppos, buf, 2);
}

static const struct file_operations mock_msi_isolated_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = mock_msi_isolated_read,
	.write = mock_msi_isolated_write,
};

static ssize_t mock_fault_do_write(struct file *file,
				   const char __user *ubuf, size_t count,
				   bool nodev)
{
	struct mock_dev *md = file_inode(file)->i_private;
	unsigned int n = 1;
	char access, irq[4] = "";
	u64 iova;
	char *buf;
	int ret;

	buf = mock_ctl_input(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = sscanf(buf, "%llx %c %u %3s", &iova, &access, &n, irq);
	kfree(buf);
	if (ret < 2 || (access != 'r' && access != 'w') || !n ||
	    (ret == 4 && strcmp(irq, "irq")))
		return -EINVAL;

	ret = mock_fault_report(md, iova, access == 'w', n, ret == 4, nodev);
	return ret ? ret : count;
}

static ssize_t mock_fault_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	return mock_fault_do_write(file, ubuf, count, false);
}

static const struct file_operations mock_fault_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = mock_fault_write,
};

static ssize_t mock_fault_nodev_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	return mock_fault_do_write(file, ubuf, count, true);
}

static const struct file_operations mock_fault_nodev_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = mock_fault_nodev_write,
};

static ssize_t mock_storm_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct mock_dev *md = file_inode(file)->i_private;
	unsigned int n;
	u64 iova;
	char *buf;
	int ret;

	buf = mock_ctl_input(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (sysfs_streq(buf, "stop")) {
		mutex_lock(&md->lock);
		mock_fault_storm_stop_locked(md);
		mutex_unlock(&md->lock);
		ret = 0;
	} else if (sscanf(buf, "%llx %u", &iova, &n) == 2 && n) {
		ret = mock_fault_storm_start(md, iova, n);
	} else {
		ret = -EINVAL;
	}
	kfree(buf);
	return ret ? ret : count;
}

static ssize_t mock_storm_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct mock_dev *md = file_inode(file)->i_private;
	char buf[24];
	int len;

	len = scnprintf(buf, sizeof(buf), "%lld\n",
			atomic64_read(&md->storm_reported));
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations mock_storm_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = mock_storm_read,
	.write = mock_storm_write,
};

static ssize_t mock_remove_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	mock_remove_devices();
	return count;
}

static const struct file_operations mock_remove_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = mock_remove_write,
};

static ssize_t mock_remove_device_write(struct file *file,
					const char __user *ubuf, size_t count,
					loff_t *ppos)
{
	int n, ret;

	ret = kstrtoint_from_user(ubuf, count, 0, &n);
	if (!ret)
		ret = mock_remove_device(n);
	return ret ? ret : count;
}

static const struct file_operations mock_remove_device_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = mock_remove_device_write,
};

static atomic_t mock_last_added = ATOMIC_INIT(-1);

static ssize_t mock_add_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	int n, ret;

	ret = kstrtoint_from_user(ubuf, count, 0, &n);
	if (ret)
		return ret;
	ret = mock_add(n);
	if (ret < 0)
		return ret;
	atomic_set(&mock_last_added, ret);
	return count;
}

static ssize_t mock_add_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[16];
	int len = scnprintf(buf, sizeof(buf), "%d\n",
			    atomic_read(&mock_last_added));

	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations mock_add_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = mock_add_read,
	.write = mock_add_write,
};

/**
 * mock_ctl_add() - create a device's control directory
 * @md: the device, probed and bound.
 */
void mock_ctl_add(struct mock_dev *md)
{
	struct dentry *d;
	char name[16];

	snprintf(name, sizeof(name), "mock%d", md->id);
	d = debugfs_create_dir(name, mock_debugfs_root);
	md->debugfs = d;
	debugfs_create_file("group", 0444, d, md, &mock_group_fops);
	debugfs_create_x64("pgsizes", 0644, d, &md->pgsizes);
	debugfs_create_x64("aperture_start", 0644, d, &md->aperture_start);
	debugfs_create_x64("aperture_end", 0644, d, &md->aperture_end);
	debugfs_create_u32("format", 0644, d, &md->format);
	debugfs_create_bool("coherent", 0644, d, &md->coherent);
	debugfs_create_bool("fail_attach", 0644, d, &md->fail_attach);
	debugfs_create_atomic_t("fail_map_at", 0644, d, &md->fail_map_at);
	debugfs_create_file("msi_isolated", 0644, d, md,
			    &mock_msi_isolated_fops);
	debugfs_create_file("resv", 0644, d, md, &mock_resv_fops);
	debugfs_create_file("mappings", 0444, d, md, &mock_mappings_fops);
	debugfs_create_file("msi_cookie", 0444, d, md, &mock_msi_cookie_fops);
	debugfs_create_file("fault", 0200, d, md, &mock_fault_fops);
	debugfs_create_file("fault_nodev", 0200, d, md,
			    &mock_fault_nodev_fops);
	debugfs_create_file("storm", 0600, d, md, &mock_storm_fops);
}

/* Create /sys/kernel/debug/vfio_mirror_mock. */
void mock_ctl_init(void)
{
	mock_debugfs_root = debugfs_create_dir("vfio_mirror_mock", NULL);
	debugfs_create_file("remove", 0200, mock_debugfs_root, NULL,
			    &mock_remove_fops);
	debugfs_create_file("remove_device", 0200, mock_debugfs_root, NULL,
			    &mock_remove_device_fops);
	debugfs_create_file("add", 0600, mock_debugfs_root, NULL,
			    &mock_add_fops);
	debugfs_create_atomic_t("domains", 0444, mock_debugfs_root,
				&mock_domains_live);
	mock_pfnmap_init(mock_debugfs_root);
}

/* Remove it; the devices' directories went with the devices. */
void mock_ctl_exit(void)
{
	debugfs_remove_recursive(mock_debugfs_root);
}
