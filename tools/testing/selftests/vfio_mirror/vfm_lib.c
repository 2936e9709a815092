// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers shared by the vfio-mirror kselftests.
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

#define SYSFS_PCI	"/sys/bus/pci/devices"

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n'))
		buf[--n] = 0;
	return 0;
}

static int write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* A hex attribute of a PCI device in sysfs, or -1. */
static long read_hex(const char *bdf, const char *name)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), SYSFS_PCI "/%.64s/%.32s", bdf, name);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 16);
}

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

int vfm_edu_find(char bdfs[][32], int max)
{
	return vfm_pci_find(EDU_VENDOR, EDU_DEVICE, bdfs, max);
}

int vfm_pci_find(unsigned int vendor, unsigned int device, char bdfs[][32],
		 int max)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	int n = 0;
	ssize_t len;
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
		snprintf(path, sizeof(path), SYSFS_PCI "/%.32s/driver",
			 de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = 0;
		if (strcmp(strrchr(link, '/') + 1, "vfio-pci"))
			continue;
		snprintf(bdfs[n++], 32, "%.31s", de->d_name);
	}
	closedir(d);
	qsort(bdfs, n, 32, cmp_bdf);
	return n;
}

int vfm_group_id(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -errno;
	link[len] = 0;
	return atoi(strrchr(link, '/') + 1);
}

int vfm_open_container(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vfm_open_group(int group_id)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group_id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

int vfm_param_write(const char *module, const char *param, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module,
		 param);
	return write_file(path, val);
}

int vfm_param_write_path(const char *path, const char *val)
{
	return write_file(path, val);
}

int vfm_param_read(const char *module, const char *param, char *buf,
		   size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module,
		 param);
	return read_file(path, buf, len);
}

int vfm_set_claim_type1(bool on)
{
	return vfm_param_write("vfio_mirror", "claim_type1", on ? "1" : "0");
}

int vfm_module_refcnt(const char *module)
{
	char path[PATH_MAX], buf[32];
	int ret;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", module);
	ret = read_file(path, buf, sizeof(buf));
	return ret ? ret : atoi(buf);
}

int vfm_module_load(const char *name, const char *args)
{
	const char *dir = getenv("VFM_MODULE_DIR");
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s.ko", dir ? dir : "/lib/modules",
		 name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, args ? args : "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

int vfm_module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

int vfm_attach(int container, int group_fd)
{
	return ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container) ?
		-errno : 0;
}

/*
 * Select the IOMMU backend for a container with at least one group, and
 * prove that the intended module took it: the VFIO core holds a reference
 * on the module of the backend it opened for as long as the container
 * uses it.
 */
int vfm_set_iommu(int container, const struct vfm_backend *b)
{
	int before, after, ret;

	ret = vfm_set_claim_type1(b->claim_type1);
	if (ret)
		return ret;
	before = vfm_module_refcnt(b->module);
	if (before < 0)
		return before;
	if (ioctl(container, VFIO_SET_IOMMU, b->type))
		return -errno;
	after = vfm_module_refcnt(b->module);
	return after == before + 1 ? 0 : -EXDEV;
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

int vfm_edu_open(struct vfm_edu *edu, int group_fd, const char *bdf)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	uint16_t cmd;
	int ret;

	memset(edu, 0, sizeof(*edu));
	edu->device_fd = -1;
	snprintf(edu->bdf, sizeof(edu->bdf), "%s", bdf);
	edu->group_id = vfm_group_id(bdf);

	edu->device_fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (edu->device_fd < 0)
		return -errno;

	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(edu->device_fd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		goto err;
	edu->config_offset = reg.offset;

	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(edu->device_fd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		goto err;
	edu->bar0_size = reg.size;
	edu->bar0 = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 edu->device_fd, reg.offset);
	if (edu->bar0 == MAP_FAILED) {
		edu->bar0 = NULL;
		goto err;
	}

	/* The device may only master the bus once told to. */
	ret = vfm_config_rw(edu, &cmd, sizeof(cmd), PCI_COMMAND, false);
	if (!ret) {
		cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
		ret = vfm_config_rw(edu, &cmd, sizeof(cmd), PCI_COMMAND, true);
	}
	if (ret) {
		vfm_edu_close(edu);
		return ret;
	}
	if (vfm_mmio_read32(edu->bar0, EDU_REG_ID) >> 16 != 0x0100) {
		vfm_edu_close(edu);
		return -ENODEV;
	}
	return 0;

err:
	ret = -errno;
	vfm_edu_close(edu);
	return ret;
}

long vfm_hugepages(long set)
{
	char val[32];
	ssize_t n;
	long old;
	int fd;

	fd = open("/proc/sys/vm/nr_hugepages", O_RDWR);
	if (fd < 0)
		return -1;
	n = read(fd, val, sizeof(val) - 1);
	if (n <= 0) {
		close(fd);
		return -1;
	}
	val[n] = 0;
	old = atol(val);
	if (set >= 0) {
		snprintf(val, sizeof(val), "%ld", set);
		if (pwrite(fd, val, strlen(val), 0) < 0)
			old = -1;
	}
	close(fd);
	return old;
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
	if (!count || count > EDU_DMA_MAX || iova >= EDU_IOVA_LIMIT)
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

int vfm_map_raw(int container, struct vfio_iommu_type1_dma_map *map)
{
	return ioctl(container, VFIO_IOMMU_MAP_DMA, map) ? -errno : 0;
}

int vfm_map(int container, uint64_t iova, void *vaddr, uint64_t size,
	    uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return vfm_map_raw(container, &map);
}

int vfm_unmap_raw(int container, struct vfio_iommu_type1_dma_unmap *unmap)
{
	return ioctl(container, VFIO_IOMMU_UNMAP_DMA, unmap) ? -errno : 0;
}

int vfm_unmap(int container, uint64_t iova, uint64_t size, uint32_t flags,
	      uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int ret;

	ret = vfm_unmap_raw(container, &unmap);
	if (!ret && unmapped)
		*unmapped = unmap.size;
	return ret;
}

int vfm_get_info(int container, struct vfio_iommu_type1_info **out)
{
	struct vfio_iommu_type1_info *info;
	uint32_t argsz = sizeof(*info);

	for (;;) {
		info = calloc(1, argsz);
		if (!info)
			return -ENOMEM;
		info->argsz = argsz;
		if (ioctl(container, VFIO_IOMMU_GET_INFO, info)) {
			free(info);
			return -errno;
		}
		if (info->argsz <= argsz)
			break;
		argsz = info->argsz;
		free(info);
	}
	*out = info;
	return 0;
}

struct vfio_info_cap_header *vfm_info_cap(struct vfio_iommu_type1_info *info,
					  uint16_t id)
{
	uint32_t off;
	int hops = 0;

	if (!(info->flags & VFIO_IOMMU_INFO_CAPS))
		return NULL;
	for (off = info->cap_offset; off && hops < 64; hops++) {
		struct vfio_info_cap_header *h;

		if (off < sizeof(*info) ||
		    off + sizeof(*h) > info->argsz)
			return NULL;
		h = (struct vfio_info_cap_header *)((char *)info + off);
		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

int vfm_info_blob(int container, void *out, size_t len)
{
	struct vfio_iommu_type1_info_cap_iova_range *r;
	struct vfio_iommu_type1_info *info;
	size_t psz, rsz;
	int ret;

	ret = vfm_get_info(container, &info);
	if (ret)
		return ret;
	r = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	psz = sizeof(info->iova_pgsizes);
	rsz = r ? r->nr_iovas * sizeof(r->iova_ranges[0]) : 0;
	ret = -E2BIG;
	if (psz + rsz <= len) {
		memcpy(out, &info->iova_pgsizes, psz);
		if (rsz)
			memcpy((char *)out + psz, r->iova_ranges, rsz);
		ret = psz + rsz;
	}
	free(info);
	return ret;
}

static long long status_field(const char *path, const char *key)
{
	char line[256];
	long long val = -1;
	size_t klen = strlen(key);
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) &&
		    (line[klen] == ':' || line[klen] == ' ')) {
			val = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

long vfm_vmlck_kb(void)
{
	return status_field("/proc/self/status", "VmLck");
}

/*
 * Pages pinned with FOLL_PIN system-wide and not yet unpinned.  The
 * counters are per-CPU; writing vm/stat_refresh folds them first, or
 * /proc/vmstat would lag behind.
 */
long long vfm_pins_outstanding(void)
{
	long long acq, rel;

	if (write_file("/proc/sys/vm/stat_refresh", "1"))
		return -1;
	acq = status_field("/proc/vmstat", "nr_foll_pin_acquired");
	rel = status_field("/proc/vmstat", "nr_foll_pin_released");
	if (acq < 0 || rel < 0)
		return -1;
	return acq - rel;
}

void *vfm_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void vfm_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

bool vfm_untouched(const void *p, size_t size)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i] != VFM_POISON)
			return false;
	return true;
}

void vfm_fill(void *p, size_t size, uint32_t seed)
{
	uint32_t *w = p;
	size_t i;

	for (i = 0; i < size / sizeof(*w); i++) {
		seed = seed * 1103515245 + 12345;
		w[i] = seed;
	}
}

bool vfm_devices_required(void)
{
	const char *env = getenv("VFM_REQUIRE_DEVICES");

	return env && *env && strcmp(env, "0");
}

/*
 * Open group @group_id and attach it; the container's first group sets
 * its IOMMU.  Return the group's file, or -errno.
 */
int vfm_ctx_join_group(struct vfm_ctx *ctx, int group_id)
{
	int fd = vfm_open_group(group_id), ret;

	if (fd < 0)
		return fd;
	ret = vfm_attach(ctx->container, fd);
	if (!ret && !ctx->ngroups)
		ret = vfm_set_iommu(ctx->container, ctx->b);
	if (ret) {
		close(fd);	/* also detaches it */
		return ret;
	}
	ctx->ngroups++;
	return fd;
}

int vfm_ctx_leave_group(struct vfm_ctx *ctx, int *group_fd)
{
	int ret = ioctl(*group_fd, VFIO_GROUP_UNSET_CONTAINER) ? -errno : 0;

	close(*group_fd);
	*group_fd = -1;
	ctx->ngroups--;
	return ret;
}

int vfm_ctx_attach_edu(struct vfm_ctx *ctx, int i)
{
	char bdfs[VFM_MAX_EDU][32];
	int n = vfm_edu_find(bdfs, VFM_MAX_EDU);
	int fd, ret;

	if (n < 0)
		return n;
	if (i >= n)
		return -ENODEV;
	if (ctx->group_fd[i] >= 0)
		return -EBUSY;

	fd = vfm_ctx_join_group(ctx, vfm_group_id(bdfs[i]));
	if (fd < 0)
		return fd;
	ret = vfm_edu_open(&ctx->edu[i], fd, bdfs[i]);
	ctx->group_fd[i] = fd;
	if (ret)
		vfm_ctx_leave_group(ctx, &ctx->group_fd[i]);
	return ret;
}

int vfm_ctx_detach_edu(struct vfm_ctx *ctx, int i)
{
	if (ctx->group_fd[i] < 0)
		return -ENOENT;
	vfm_edu_close(&ctx->edu[i]);
	return vfm_ctx_leave_group(ctx, &ctx->group_fd[i]);
}

int vfm_ctx_attach_mock(struct vfm_ctx *ctx, int n)
{
	int group = vfm_mock_group(n), fd;

	if (group < 0)
		return -ENODEV;
	if (ctx->mock_fd[n] >= 0)
		return -EBUSY;
	fd = vfm_ctx_join_group(ctx, group);
	if (fd < 0)
		return fd;
	ctx->mock_fd[n] = fd;
	return 0;
}

int vfm_ctx_detach_mock(struct vfm_ctx *ctx, int n)
{
	if (ctx->mock_fd[n] < 0)
		return -ENOENT;
	return vfm_ctx_leave_group(ctx, &ctx->mock_fd[n]);
}

/* Attach the group of the next edu device and open the device. */
int vfm_ctx_add(struct vfm_ctx *ctx)
{
	int ret = vfm_ctx_attach_edu(ctx, ctx->nedu);

	if (!ret)
		ctx->nedu++;
	return ret;
}

/* Close the last device and detach its group. */
int vfm_ctx_remove(struct vfm_ctx *ctx)
{
	if (!ctx->nedu)
		return -ENOENT;
	return vfm_ctx_detach_edu(ctx, --ctx->nedu);
}

int vfm_ctx_open(struct vfm_ctx *ctx, const struct vfm_backend *b, int nedu)
{
	char bdfs[VFM_MAX_EDU][32];
	int i, n, ret;

	memset(ctx, 0, sizeof(*ctx));
	ctx->b = b;
	for (i = 0; i < VFM_MAX_EDU; i++)
		ctx->group_fd[i] = -1;
	for (i = 0; i < VFM_MAX_MOCK; i++)
		ctx->mock_fd[i] = -1;
	for (i = 0; i < 2; i++) {
		ctx->emul_group_fd[i] = -1;
		ctx->emul_fd[i] = -1;
	}
	n = vfm_edu_find(bdfs, VFM_MAX_EDU);
	if (n < 0)
		return n;
	if (n < nedu)
		return -ENODEV;

	ctx->container = vfm_open_container();
	if (ctx->container < 0)
		return ctx->container;
	while (ctx->nedu < nedu) {
		ret = vfm_ctx_add(ctx);
		if (ret) {
			vfm_ctx_close(ctx);
			return ret;
		}
	}
	return 0;
}

/* Devices first, then groups, then the container: the order VFIO needs. */
void vfm_ctx_close(struct vfm_ctx *ctx)
{
	int i;

	for (i = 0; i < VFM_MAX_EDU; i++) {
		if (ctx->group_fd[i] < 0)
			continue;
		vfm_edu_close(&ctx->edu[i]);
		close(ctx->group_fd[i]);
		ctx->group_fd[i] = -1;
	}
	for (i = 0; i < VFM_MAX_MOCK; i++) {
		if (ctx->mock_fd[i] >= 0)
			close(ctx->mock_fd[i]);
		ctx->mock_fd[i] = -1;
	}
	for (i = 0; i < 2; i++) {
		if (ctx->emul_fd[i] >= 0)
			close(ctx->emul_fd[i]);
		if (ctx->emul_group_fd[i] >= 0)
			close(ctx->emul_group_fd[i]);
		ctx->emul_fd[i] = -1;
		ctx->emul_group_fd[i] = -1;
	}
	ctx->nedu = 0;
	ctx->ngroups = 0;
	if (ctx->container >= 0)
		close(ctx->container);
	ctx->container = -1;
}

#define TRACEFS		"/sys/kernel/tracing"

int vfm_trace_event(const char *event, bool on)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), TRACEFS "/events/%s/enable", event);
	return write_file(path, on ? "1" : "0");
}

int vfm_trace_clear(void)
{
	int fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

bool vfm_trace_find(const char *text)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(TRACEFS "/trace", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text);
	fclose(f);
	return found;
}

/* From /proc/self/pagemap: bit 63 present, bits 0-54 the page frame. */
uint64_t vfm_phys_of(const void *vaddr)
{
	uint64_t entry = 0, pg = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (uintptr_t)vaddr / pg * sizeof(entry);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry >> 63))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * pg + (uintptr_t)vaddr % pg;
}

#define MOCK_DEBUGFS	"/sys/kernel/debug/vfio_mirror_mock"

static void mock_path(char *path, size_t len, int n, const char *knob)
{
	snprintf(path, len, MOCK_DEBUGFS "/mock%d/%s", n, knob);
}

bool vfm_mock_loaded(void)
{
	return !access(MOCK_DEBUGFS, F_OK);
}

bool vfm_mock_present(int n)
{
	return vfm_mock_group(n) >= 0;
}

int vfm_mock_group(int n)
{
	char path[PATH_MAX], buf[32];

	mock_path(path, sizeof(path), n, "group");
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

int vfm_mock_get(int n, const char *knob, char *buf, size_t len)
{
	char path[PATH_MAX];

	mock_path(path, sizeof(path), n, knob);
	return read_file(path, buf, len);
}

int vfm_mock_set(int n, const char *knob, const char *val)
{
	char path[PATH_MAX];

	mock_path(path, sizeof(path), n, knob);
	return write_file(path, val);
}

int vfm_mock_set_x(int n, const char *knob, uint64_t val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)val);
	return vfm_mock_set(n, knob, buf);
}

/* The module's defaults: see tools/testing/vfio_mirror_mock/main.c. */
int vfm_mock_reset(int n)
{
	int ret = 0;

	ret |= vfm_mock_set_x(n, "pgsizes", 0x40201000);
	ret |= vfm_mock_set_x(n, "aperture_start", 0);
	ret |= vfm_mock_set_x(n, "aperture_end", (1ULL << 48) - 1);
	ret |= vfm_mock_set(n, "format", "0");
	ret |= vfm_mock_set(n, "coherent", "N");
	ret |= vfm_mock_set(n, "msi_isolated", "Y");
	ret |= vfm_mock_set(n, "fail_attach", "N");
	ret |= vfm_mock_set(n, "fail_map_at", "0");
	ret |= vfm_mock_set(n, "resv", "clear");
	ret |= vfm_mock_set(n, "storm", "stop");
	return ret ? -EIO : 0;
}

int vfm_mock_leaves(int n, struct vfm_leaf **out)
{
	struct vfm_leaf *leaves = NULL, *tmp;
	char path[PATH_MAX], prot[4];
	unsigned long long iova, phys, size;
	int nr = 0, max = 0;
	FILE *f;

	mock_path(path, sizeof(path), n, "mappings");
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%llx %llx %llx %3s", &iova, &phys, &size,
		      prot) == 4) {
		if (nr == max) {
			max = max ? 2 * max : 64;
			tmp = realloc(leaves, max * sizeof(*leaves));
			if (!tmp) {
				nr = -ENOMEM;
				break;
			}
			leaves = tmp;
		}
		leaves[nr++] = (struct vfm_leaf){
			.iova = iova, .phys = phys, .size = size,
			.prot = (strchr(prot, 'r') ? 1 : 0) |
				(strchr(prot, 'w') ? 2 : 0),
		};
	}
	fclose(f);
	if (nr < 0)
		free(leaves);
	else
		*out = leaves;
	return nr;
}

int vfm_set_eventfd(int container, uint32_t events, int fd)
{
	struct vfio_mirror_eventfd arg = {
		.argsz = sizeof(arg), .events = events, .fd = fd,
	};

	return ioctl(container, VFIO_MIRROR_IOMMU_SET_EVENTFD, &arg) ?
	       -errno : 0;
}

int vfm_read_faults(int container, struct vfio_mirror_fault *recs,
		    unsigned int max, uint64_t *lost, uint64_t *next_seq)
{
	struct vfio_mirror_fault_read arg = {
		.argsz = sizeof(arg),
		.record_size = sizeof(*recs),
		.count = max,
		.records = (uintptr_t)recs,
	};

	if (ioctl(container, VFIO_MIRROR_IOMMU_READ_FAULTS, &arg))
		return -errno;
	if (lost)
		*lost = arg.lost;
	if (next_seq)
		*next_seq = arg.next_seq;
	return arg.count;
}

uint64_t vfm_eventfd_wait(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count = 0;

	if (poll(&pfd, 1, ms) == 1 &&
	    read(efd, &count, sizeof(count)) != sizeof(count))
		count = 0;
	return count;
}

#define CHAIN_DEBUGFS	"/sys/kernel/debug/iommu_faultchain"

long long vfm_chain_counter(const char *producer, const char *key)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), CHAIN_DEBUGFS "/%.32s/counters",
		 producer);
	return status_field(path, key);
}

int vfm_chain_state(const char *producer, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), CHAIN_DEBUGFS "/%.32s/state", producer);
	return read_file(path, buf, len);
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

/* Names from the VT-d specification and the SMMUv3 architecture. */
static const char *fault_reason(const struct vfio_mirror_fault *f)
{
	static const char *const vtd[] = {
		[0x1] = "root entry not present",
		[0x2] = "context entry not present",
		[0x3] = "invalid context entry",
		[0x4] = "address beyond the guest address width",
		[0x5] = "write to a page without write permission",
		[0x6] = "read from a page without read permission",
		[0x7] = "page table entry not readable",
	};
	static const char *const smmu[] = {
		[0x10] = "F_TRANSLATION", [0x11] = "F_ADDR_SIZE",
		[0x12] = "F_ACCESS", [0x13] = "F_PERMISSION",
	};

	if (f->source == VFIO_MIRROR_FAULT_SOURCE_VTD &&
	    f->reason < ARRAY_SIZE(vtd) && vtd[f->reason])
		return vtd[f->reason];
	if (f->source == VFIO_MIRROR_FAULT_SOURCE_SMMUV3 &&
	    f->reason < ARRAY_SIZE(smmu) && smmu[f->reason])
		return smmu[f->reason];
	return "";
}

void vfm_fault_describe(const struct vfio_mirror_fault *f, char *buf,
			size_t len)
{
	static const char *const sources[] = {
		[VFIO_MIRROR_FAULT_SOURCE_VTD] = "VT-d dmar",
		[VFIO_MIRROR_FAULT_SOURCE_SMMUV3] = "SMMUv3 smmu",
		[VFIO_MIRROR_FAULT_SOURCE_GENERIC] = "report_iommu_fault ",
	};
	const char *src = f->source < ARRAY_SIZE(sources) &&
			  sources[f->source] ? sources[f->source] : "? ";
	const char *why = fault_reason(f);
	char dev[32] = "", where[48] = "";

	if (f->flags & VFIO_MIRROR_FAULT_PCI)
		snprintf(dev, sizeof(dev), " %04x:%02x:%02x.%x", f->segment,
			 f->rid >> 8, (f->rid >> 3) & 0x1f, f->rid & 7);
	if (f->flags & VFIO_MIRROR_FAULT_ADDR)
		snprintf(where, sizeof(where), " %s%s at %#llx",
			 f->access & VFIO_MIRROR_FAULT_WRITE ? "write" : "read",
			 f->access & VFIO_MIRROR_FAULT_EXEC ? " (exec)" : "",
			 (unsigned long long)f->iova);
	snprintf(buf, len,
		 "#%llu %llu.%06llus %s%u: group %u%s:%s, reason %#x%s%s%s",
		 (unsigned long long)f->seq,
		 (unsigned long long)(f->timestamp_ns / 1000000000),
		 (unsigned long long)(f->timestamp_ns % 1000000000 / 1000),
		 src, f->instance, f->group, dev, where, f->reason,
		 *why ? " (" : "", why, *why ? ")" : "");
}

#define MIRROR_DEBUGFS	"/sys/kernel/debug/vfio_mirror"

/* The debugfs directory of the last container this process set up. */
int vfm_mirror_dir(char *dir, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	int best = -1, id;
	DIR *d;

	d = opendir(MIRROR_DEBUGFS);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		id = atoi(de->d_name);
		if (id <= best)
			continue;
		snprintf(path, sizeof(path), MIRROR_DEBUGFS "/%.16s/info",
			 de->d_name);
		if (status_field(path, "owner") == getpid())
			best = id;
	}
	closedir(d);
	if (best < 0)
		return -ENOENT;
	snprintf(dir, len, MIRROR_DEBUGFS "/%d", best);
	return 0;
}

long long vfm_mirror_info(const char *key)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];

	if (vfm_mirror_dir(dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/info", dir);
	return status_field(path, key);
}

/* The value after " @key " in @line, or -1. */
static long long line_field(const char *line, const char *key)
{
	size_t klen = strlen(key);
	const char *p;

	for (p = line; (p = strstr(p, key)); p += klen)
		if ((p == line || p[-1] == ' ') && p[klen] == ' ')
			return strtoll(p + klen + 1, NULL, 0);
	return -1;
}

static long long mirror_domains_scan(int want, const char *key)
{
	char dir[PATH_MAX], path[PATH_MAX + 8], line[512];
	long long val = -1;
	int i = 0;
	FILE *f;

	if (vfm_mirror_dir(dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/domains", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (i++ == want)
			val = line_field(line, key);
	}
	fclose(f);
	return want < 0 ? i : val;
}

int vfm_mirror_domains(void)
{
	return mirror_domains_scan(-1, NULL);
}

long long vfm_mirror_domain(int i, const char *key)
{
	return mirror_domains_scan(i, key);
}

int vfm_faults_collect(int container, struct vfio_mirror_fault *recs,
		       int max, int want, int ms, int quiet_ms)
{
	int n = 0, got;

	for (; n < want && ms > 0; ms -= 20) {
		got = vfm_read_faults(container, recs + n, max - n, NULL, NULL);
		if (got < 0)
			return got;
		n += got;
		if (n < want)
			usleep(20 * 1000);
	}
	usleep(quiet_ms * 1000);
	got = vfm_read_faults(container, recs + n, max - n, NULL, NULL);
	return got < 0 ? got : n + got;
}

int vfm_chain_flush(const char *producer)
{
	char path[PATH_MAX], buf[1024];

	/* Reading the counters hands the backlog over first. */
	snprintf(path, sizeof(path), CHAIN_DEBUGFS "/%.32s/counters",
		 producer);
	return read_file(path, buf, sizeof(buf));
}

long long vfm_mirror_stat(const char *key)
{
	return status_field(MIRROR_DEBUGFS "/stats", key);
}

static int mock_root_write_int(const char *file, int val)
{
	char path[PATH_MAX], buf[16];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/%s", file);
	snprintf(buf, sizeof(buf), "%d", val);
	return write_file(path, buf);
}

int vfm_mock_add(int sibling)
{
	char buf[16];
	int ret = mock_root_write_int("add", sibling);

	if (ret)
		return ret;
	ret = read_file(MOCK_DEBUGFS "/add", buf, sizeof(buf));
	return ret ? ret : atoi(buf);
}

int vfm_mock_remove(int n)
{
	return mock_root_write_int("remove_device", n);
}

int vfm_mock_domains(void)
{
	char buf[16];
	int ret = read_file(MOCK_DEBUGFS "/domains", buf, sizeof(buf));

	return ret ? ret : atoi(buf);
}

#define PROBE_DEBUGFS	"/sys/kernel/debug/vfio_mirror_probe"

/* Fresh: a test that failed may have left it loaded, delays and all. */
int vfm_probe_load(void)
{
	int ret = vfm_probe_unload();

	return ret ? ret : vfm_module_load("vfio_mirror_probe", NULL);
}

int vfm_probe_unload(void)
{
	int ret = vfm_module_unload("vfio_mirror_probe");

	return ret == -ENOENT ? 0 : ret;
}

long long vfm_probe_context(const char *key)
{
	return status_field(PROBE_DEBUGFS "/contexts", key);
}

int vfm_probe_slow(unsigned int us, unsigned int count)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u %u", us, count);
	return write_file(PROBE_DEBUGFS "/slow", buf);
}

long long vfm_probe_slow_hits(void)
{
	return status_field(PROBE_DEBUGFS "/slow", "hits");
}

int vfm_probe_delay(const char *symbol, unsigned int ms, unsigned int count,
		    bool hardirq, int pid)
{
	char buf[256], only[24] = "";

	if (hardirq)
		snprintf(only, sizeof(only), " hardirq");
	else if (pid)
		snprintf(only, sizeof(only), " pid=%d", pid);
	snprintf(buf, sizeof(buf), "%s %u %u%s", symbol, ms, count, only);
	return write_file(PROBE_DEBUGFS "/delay", buf);
}

long long vfm_probe_delay_hits(void)
{
	return status_field(PROBE_DEBUGFS "/delay", "hits");
}

int vfm_probe_delay_off(void)
{
	return write_file(PROBE_DEBUGFS "/delay", "off");
}

int vfm_probe_hold(unsigned int ms)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", ms);
	return write_file(PROBE_DEBUGFS "/hold", buf);
}

int vfm_irq_cpu(const char *name, int *irq)
{
	char path[64], buf[64], line[1024], *p;
	FILE *f = fopen("/proc/interrupts", "r");
	int found = -1;
	size_t len;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		len = strlen(line);
		while (len && (line[len - 1] == '\n' || line[len - 1] == ' '))
			line[--len] = 0;
		p = strrchr(line, ' ');
		if (p && !strcmp(p + 1, name)) {
			found = atoi(line);
			break;
		}
	}
	fclose(f);
	if (found < 0)
		return -1;
	*irq = found;
	snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list",
		 found);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

int vfm_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}
