// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror-demo: what a VMM does with a vfio-mirror container, step by
 * step, with a real device doing DMA through the IOMMU.
 *
 * It takes the first QEMU "edu" device bound to vfio-pci, puts its group
 * in a container of type VFIO_MIRROR_IOMMU, maps two buffers, has the
 * device copy a message from one to the other, unmaps the destination and
 * shows that the same DMA no longer reaches memory, while
 * vfio-mirror-faults, watching the container from another process, prints
 * the IOMMU fault it caused; then it raises an MSI.
 * The container calls are written out here; the device plumbing comes
 * from the kselftests' helpers.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vfm_lib.h"

#define IOVA_SRC	0x100000ULL
#define IOVA_DST	0x200000ULL
#define PG		4096

static const char message[] =
	"Hello from user memory, copied by the edu device through the IOMMU.";

static void step(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("\n* ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static int fail(const char *what, int err)
{
	printf("  FAILED: %s: %s\n", what, strerror(err));
	return 1;
}

static void show_info(int container)
{
	struct vfio_mirror_info_cap_iova_generation *gen;
	struct vfio_iommu_type1_info_cap_iova_range *ranges;
	struct vfio_iommu_type1_info_cap_migration *mig;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_mirror_info_cap_msi *msi;
	struct vfio_mirror_info_cap_fault *fault;
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *h;
	uint32_t i;

	if (vfm_get_info(container, &info))
		return;
	printf("  VFIO_IOMMU_GET_INFO: argsz %u, capabilities at:",
	       info->argsz);
	for (i = info->cap_offset; i; i = h->next) {
		h = (struct vfio_info_cap_header *)((char *)info + i);
		printf(" %#x (id %#x)", i, h->id);
	}
	printf("\n");
	printf("  IOMMU page sizes: %#llx\n",
	       (unsigned long long)info->iova_pgsizes);
	mig = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	if (mig)
		printf("  dirty tracking: %#llx pages, bitmaps up to %llu bytes\n",
		       (unsigned long long)mig->pgsize_bitmap,
		       (unsigned long long)mig->max_dirty_bitmap_size);
	avail = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	if (avail)
		printf("  mappings available: %u\n", avail->avail);
	ranges = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	for (i = 0; ranges && i < ranges->nr_iovas; i++)
		printf("  usable IOVAs: 0x%016llx - 0x%016llx\n",
		       (unsigned long long)ranges->iova_ranges[i].start,
		       (unsigned long long)ranges->iova_ranges[i].end);
	msi = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_MSI);
	if (msi)
		printf("  MSIs isolated: %s\n",
		       msi->flags & VFIO_MIRROR_MSI_ISOLATED ? "yes" : "no");
	for (i = 0; msi && i < msi->nr_windows; i++)
		printf("  MSI window:   0x%016llx - 0x%016llx%s\n",
		       (unsigned long long)msi->windows[i].start,
		       (unsigned long long)msi->windows[i].end,
		       msi->windows[i].flags &
		       VFIO_MIRROR_MSI_WINDOW_TRANSLATED ? ", translated" : "");
	gen = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_IOVA_GENERATION);
	if (gen)
		printf("  IOVA ranges generation: %llu\n",
		       (unsigned long long)gen->generation);
	fault = (void *)vfm_info_cap(info, VFIO_MIRROR_INFO_CAP_FAULT);
	if (fault)
		printf("  fault queue: %u records of %u bytes\n",
		       fault->queue_len, fault->record_size);
	for (i = 0; fault && i < fault->nr_devices; i++) {
		const struct vfio_mirror_fault_device *d = &fault->devices[i];

		printf("  device %04x:%02x:%02x.%x (group %u): faults from%s%s%s%s\n",
		       d->segment, d->rid >> 8, (d->rid >> 3) & 0x1f,
		       d->rid & 7, d->group, d->sources ? "" : " nobody",
		       d->sources & 1 << VFIO_MIRROR_FAULT_SOURCE_VTD ?
		       " VT-d" : "",
		       d->sources & 1 << VFIO_MIRROR_FAULT_SOURCE_SMMUV3 ?
		       " SMMUv3" : "",
		       d->sources & 1 << VFIO_MIRROR_FAULT_SOURCE_GENERIC ?
		       " report_iommu_fault()" : "");
	}
	free(info);
}

/* Run vfio-mirror-faults on our own container, until it prints one fault. */
static pid_t watch_faults(int container)
{
	char pid[16], fd[16];
	pid_t child;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(fd, sizeof(fd), "%d", container);
	child = fork();
	if (child < 0)
		return -errno;
	if (!child) {
		execlp("vfio-mirror-faults", "vfio-mirror-faults", "-n", "1",
		       "-t", "10", pid, fd, (char *)NULL);
		_exit(127);
	}
	return child;
}

int main(void)
{
	int container, group, refs, efd, ret, status;
	pid_t watcher;
	struct pollfd pfd;
	struct vfm_edu edu;
	char bdf[1][32];
	char *src, *dst;
	uint64_t count;
	long vmlck;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("vfio-mirror demo\n");

	if (vfm_edu_find(bdf, 1) < 1)
		return fail("no edu device bound to vfio-pci", ENODEV);
	step("Device %s, IOMMU group %d", bdf[0], vfm_group_id(bdf[0]));

	container = vfm_open_container();
	if (container < 0)
		return fail("open /dev/vfio/vfio", -container);
	printf("  VFIO API version %d; VFIO_MIRROR_IOMMU offered: %d\n",
	       ioctl(container, VFIO_GET_API_VERSION),
	       ioctl(container, VFIO_CHECK_EXTENSION, VFIO_MIRROR_IOMMU));

	group = vfm_open_group(vfm_group_id(bdf[0]));
	if (group < 0)
		return fail("open the group", -group);
	if (vfm_attach(container, group))
		return fail("VFIO_GROUP_SET_CONTAINER", errno);

	step("VFIO_SET_IOMMU(VFIO_MIRROR_IOMMU = %#x)", VFIO_MIRROR_IOMMU);
	refs = vfm_module_refcnt("vfio_mirror");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_MIRROR_IOMMU))
		return fail("VFIO_SET_IOMMU", errno);
	printf("  the container is served by vfio_mirror (module references %d -> %d)\n",
	       refs, vfm_module_refcnt("vfio_mirror"));
	show_info(container);

	ret = vfm_edu_open(&edu, group, bdf[0]);
	if (ret)
		return fail("open the device", -ret);

	src = vfm_alloc(PG);
	dst = vfm_alloc(PG);
	if (!src || !dst)
		return fail("allocate buffers", ENOMEM);
	memcpy(src, message, sizeof(message));

	step("Map the source read-only at IOVA %#llx, the destination write-only at %#llx",
	     IOVA_SRC, IOVA_DST);
	vmlck = vfm_vmlck_kb();
	ret = vfm_map(container, IOVA_SRC, src, PG, VFIO_DMA_MAP_FLAG_READ);
	if (!ret)
		ret = vfm_map(container, IOVA_DST, dst, PG,
			      VFIO_DMA_MAP_FLAG_WRITE);
	if (ret)
		return fail("VFIO_IOMMU_MAP_DMA", -ret);
	printf("  locked memory (VmLck): %ld kB -> %ld kB\n", vmlck,
	       vfm_vmlck_kb());

	step("The device reads IOVA %#llx into its buffer and writes it to IOVA %#llx",
	     IOVA_SRC, IOVA_DST);
	ret = vfm_edu_dma(&edu, IOVA_SRC, sizeof(message), false);
	if (!ret)
		ret = vfm_edu_dma(&edu, IOVA_DST, sizeof(message), true);
	if (ret)
		return fail("DMA", -ret);
	printf("  destination now holds: \"%s\"\n", dst);
	if (strcmp(dst, message))
		return fail("the copy does not match", EIO);
	printf("  the copy matches the source\n");

	step("Start vfio-mirror-faults %d %d: it takes this container from this process",
	     (int)getpid(), container);
	watcher = watch_faults(container);
	if (watcher < 0)
		return fail("start vfio-mirror-faults", -watcher);

	step("Unmap the destination and repeat the write");
	ret = vfm_unmap(container, IOVA_DST, PG, 0, NULL);
	if (ret)
		return fail("VFIO_IOMMU_UNMAP_DMA", -ret);
	memset(dst, 0, PG);
	ret = vfm_edu_dma(&edu, IOVA_DST, sizeof(message), true);
	if (ret)
		return fail("DMA", -ret);
	if (dst[0])
		return fail("the unmapped destination was written", EIO);
	printf("  the IOMMU blocked it: the destination is still empty\n");
	printf("  and reported a fault, which the watcher prints:\n");
	if (waitpid(watcher, &status, 0) != watcher || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return fail("vfio-mirror-faults saw no fault", EIO);

	step("The device raises an MSI; vfio-pci signals an eventfd");
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return fail("eventfd", errno);
	ret = vfm_edu_msi_enable(&edu, efd);
	if (ret)
		return fail("VFIO_DEVICE_SET_IRQS", -ret);
	vfm_edu_irq_raise(&edu, 1);
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	if (poll(&pfd, 1, 3000) != 1 || read(efd, &count, 8) != 8)
		return fail("no interrupt", ETIMEDOUT);
	vfm_edu_irq_ack(&edu, 1);
	printf("  interrupt received (eventfd count %llu)\n",
	       (unsigned long long)count);
	vfm_edu_msi_disable(&edu);
	close(efd);

	step("Close the device, the group and the container");
	vfm_edu_close(&edu);
	close(group);
	close(container);
	printf("  locked memory (VmLck): %ld kB; vfio_mirror references: %d\n",
	       vfm_vmlck_kb(), vfm_module_refcnt("vfio_mirror"));
	printf("\nDone.\n");
	return 0;
}
