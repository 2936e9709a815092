// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI devices: finding them, their groups, and the QEMU edu device as a
 * small driver (config space, BAR0, DMA started and waited for apart,
 * MSIs); other devices' BARs for peer-to-peer mappings.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include "vfm_lib.h"
#include "vfm_priv.h"

#define SYSFS_PCI	"/sys/bus/pci/devices"

static long read_num(const char *bdf, const char *name, int base)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), SYSFS_PCI "/%.64s/%.32s", bdf, name);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, base);
}

long read_hex(const char *bdf, const char *name)
{
	return read_num(bdf, name, 16);
}

long read_dec(const char *bdf, const char *name)
{
	return read_num(bdf, name, 10);
}

int pci_link(const char *bdf, const char *name, char *out, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%.64s/%.32s", bdf, name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	snprintf(out, len, "%s", strrchr(link, '/') + 1);
	return 0;
}

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

int vfm_edu_find(char bdfs[][32], int max)
{
	return vfm_pci_find(EDU_VENDOR, EDU_DEVICE, bdfs, max);
}

int pci_find_driver(unsigned int vendor, unsigned int device,
		    const char *driver, char bdfs[][32], int max)
{
	char bound[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(SYSFS_PCI);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= 32)
			continue;
		if (read_hex(de->d_name, "vendor") != vendor ||
		    read_hex(de->d_name, "device") != device)
			continue;
		if (pci_link(de->d_name, "driver", bound, sizeof(bound)) ||
		    strcmp(bound, driver))
			continue;
		snprintf(bdfs[n++], 32, "%.31s", de->d_name);
	}
	closedir(d);
	qsort(bdfs, n, 32, cmp_bdf);
	return n;
}

int vfm_pci_find(unsigned int vendor, unsigned int device, char bdfs[][32],
		 int max)
{
	return pci_find_driver(vendor, device, "vfio-pci", bdfs, max);
}

int vfm_group_id(const char *bdf)
{
	char group[32];
	int ret = pci_link(bdf, "iommu_group", group, sizeof(group));

	return ret ? ret : atoi(group);
}

static int vfm_config_rw(struct vfm_edu *edu, void *buf, size_t len,
			 off_t off, bool write)
{
	ssize_t n = write ? pwrite(edu->device_fd, buf, len,
				   edu->config_offset + off) :
			    pread(edu->device_fd, buf, len,
				  edu->config_offset + off);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

int vfm_pci_open(struct vfm_edu *dev, int group_fd, const char *bdf)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	uint16_t cmd;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->device_fd = -1;
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);
	dev->group_id = vfm_group_id(bdf);

	dev->device_fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev->device_fd < 0)
		return -errno;

	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(dev->device_fd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		goto err;
	dev->config_offset = reg.offset;

	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(dev->device_fd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		goto err;
	dev->bar0_size = reg.size;
	dev->bar0 = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 dev->device_fd, reg.offset);
	if (dev->bar0 == MAP_FAILED) {
		dev->bar0 = NULL;
		goto err;
	}

	/* The device may only master the bus once told to. */
	ret = vfm_config_rw(dev, &cmd, sizeof(cmd), PCI_COMMAND, false);
	if (!ret) {
		cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
		ret = vfm_config_rw(dev, &cmd, sizeof(cmd), PCI_COMMAND, true);
	}
	if (ret)
		vfm_edu_close(dev);
	return ret;

err:
	ret = -errno;
	vfm_edu_close(dev);
	return ret;
}

int vfm_edu_open(struct vfm_edu *edu, int group_fd, const char *bdf)
{
	int ret = vfm_pci_open(edu, group_fd, bdf);

	if (ret)
		return ret;
	if (vfm_mmio_read32(edu->bar0, EDU_REG_ID) >> 16 != 0x0100) {
		vfm_edu_close(edu);
		return -ENODEV;
	}
	return 0;
}

/* A BAR with nothing open or mapped. */
static void vfm_bar_reset(struct vfm_bar *bar)
{
	memset(bar, 0, sizeof(*bar));
	bar->container = -1;
	bar->group_fd = -1;
	bar->device_fd = -1;
}

int vfm_bar_open(struct vfm_bar *bar, const struct vfm_backend *b,
		 unsigned int vendor, unsigned int device, int index,
		 size_t skew)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	char bdf[1][32], path[PATH_MAX], line[256];
	unsigned long long start, end, flags;
	size_t align;
	FILE *f;
	int ret, i;

	vfm_bar_reset(bar);
	if (vfm_pci_find(vendor, device, bdf, 1) != 1)
		return -ENODEV;

	/* The BAR's bus address, from the device's resource file. */
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/resource", bdf[0]);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	for (i = 0; i <= index && fgets(line, sizeof(line), f); i++)
		;
	fclose(f);
	if (i <= index || sscanf(line, "%llx %llx %llx", &start, &end,
				 &flags) != 3 || !start)
		return -ENODEV;
	bar->phys = start;

	ret = vfm_open_container();
	if (ret < 0)
		return ret;
	bar->container = ret;
	ret = vfm_open_group(vfm_group_id(bdf[0]));
	if (ret < 0)
		goto err;
	bar->group_fd = ret;
	ret = vfm_attach(bar->container, bar->group_fd);
	if (!ret)
		ret = vfm_set_iommu(bar->container, b);
	if (ret)
		goto err;
	bar->device_fd = ioctl(bar->group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf[0]);
	if (bar->device_fd < 0)
		goto err_errno;
	reg.index = index;
	if (ioctl(bar->device_fd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		goto err_errno;
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP) || reg.size <= skew) {
		ret = -EINVAL;
		goto err;
	}

	/* At @skew past the largest leaf the BAR may be mapped with. */
	align = reg.size < (1UL << 30) ? (2UL << 20) : (1UL << 30);
	bar->raw_size = reg.size + align;
	bar->raw = mmap(NULL, bar->raw_size, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bar->raw == MAP_FAILED) {
		bar->raw = NULL;
		goto err_errno;
	}
	bar->size = reg.size - skew;
	bar->map = (uint8_t *)((((uintptr_t)bar->raw + align - 1) &
				~(uintptr_t)(align - 1)) + skew);
	if (mmap(bar->map, bar->size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, bar->device_fd,
		 reg.offset) == MAP_FAILED)
		goto err_errno;
	return 0;

err_errno:
	ret = -errno;
err:
	vfm_bar_close(bar);
	return ret;
}

void vfm_bar_close(struct vfm_bar *bar)
{
	if (bar->raw)
		munmap(bar->raw, bar->raw_size);
	if (bar->device_fd >= 0)
		close(bar->device_fd);
	if (bar->group_fd >= 0)
		close(bar->group_fd);
	if (bar->container >= 0)
		close(bar->container);
	vfm_bar_reset(bar);
}

void vfm_edu_close(struct vfm_edu *edu)
{
	if (edu->bar0)
		munmap(edu->bar0, edu->bar0_size);
	if (edu->device_fd >= 0)
		close(edu->device_fd);
	edu->bar0 = NULL;
	edu->device_fd = -1;
}

/*
 * Copy @count bytes between IOVA @iova and the start of the device's
 * buffer, and wait for the device to finish (it takes about 100 ms of
 * virtual time).  A DMA the IOMMU refuses still finishes: the device does
 * not learn about faults.
 */
int vfm_edu_dma_start(struct vfm_edu *edu, uint64_t iova, uint32_t count,
		      bool to_ram)
{
	if (!count || count > EDU_DMA_MAX ||
	    (iova >= EDU_IOVA_LIMIT && !getenv("VFM_IOVA_64")))
		return -EINVAL;

	if (to_ram) {
		vfm_mmio_write64(edu->bar0, EDU_REG_DMA_SRC, EDU_DMA_BUF);
		vfm_mmio_write64(edu->bar0, EDU_REG_DMA_DST, iova);
	} else {
		vfm_mmio_write64(edu->bar0, EDU_REG_DMA_SRC, iova);
		vfm_mmio_write64(edu->bar0, EDU_REG_DMA_DST, EDU_DMA_BUF);
	}
	vfm_mmio_write64(edu->bar0, EDU_REG_DMA_COUNT, count);
	vfm_mmio_write64(edu->bar0, EDU_REG_DMA_CMD,
			 EDU_DMA_CMD_RUN | (to_ram ? EDU_DMA_CMD_TO_RAM : 0));
	return 0;
}

int vfm_edu_dma_wait(struct vfm_edu *edu)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int waited_ms;

	for (waited_ms = 0; waited_ms < 10000; waited_ms += 5) {
		uint64_t cmd = vfm_mmio_read64(edu->bar0, EDU_REG_DMA_CMD);

		if (!(cmd & EDU_DMA_CMD_RUN))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

int vfm_edu_dma(struct vfm_edu *edu, uint64_t iova, uint32_t count,
		bool to_ram)
{
	int ret = vfm_edu_dma_start(edu, iova, count, to_ram);

	return ret ? ret : vfm_edu_dma_wait(edu);
}

int vfm_edu_msi_enable(struct vfm_edu *edu, int eventfd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &eventfd, sizeof(int));
	return ioctl(edu->device_fd, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

int vfm_edu_msi_disable(struct vfm_edu *edu)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSI_IRQ_INDEX,
	};

	return ioctl(edu->device_fd, VFIO_DEVICE_SET_IRQS, &set) ? -errno : 0;
}

void vfm_edu_irq_raise(struct vfm_edu *edu, uint32_t bits)
{
	vfm_mmio_write32(edu->bar0, EDU_REG_IRQ_RAISE, bits);
}

void vfm_edu_irq_ack(struct vfm_edu *edu, uint32_t bits)
{
	vfm_mmio_write32(edu->bar0, EDU_REG_IRQ_ACK, bits);
}

int vfm_bdf_rid(const char *bdf, uint32_t *segment, uint32_t *rid)
{
	unsigned int seg, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &seg, &bus, &dev, &fn) != 4)
		return -EINVAL;
	*segment = seg;
	*rid = bus << 8 | dev << 3 | fn;
	return 0;
}
