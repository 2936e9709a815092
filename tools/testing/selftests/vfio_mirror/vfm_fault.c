// SPDX-License-Identifier: GPL-2.0-only
/*
 * Faults: vfio-mirror's fault uAPI, the fault chain's counters, and
 * the names of fault reasons.
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

static const struct vfm_hw vfm_hws[] = {
	{ "VT-d", "dmar", VFIO_MIRROR_FAULT_SOURCE_VTD, "vtd", 0x06, 0x05,
	  0, 16, 0 },
	{ "AMD-Vi", "ivhd", VFIO_MIRROR_FAULT_SOURCE_GENERIC, "generic", 0, 0,
	  4, 0, 511 },
	{ "SMMUv3", "smmu3.", VFIO_MIRROR_FAULT_SOURCE_SMMUV3, "smmuv3", 0x10,
	  0x13, 4, 32, 0 },
};

/* A guest whose IOMMU none of the above is: no hardware faults. */
static const struct vfm_hw vfm_hw_none = {
	"none", "", 0, "none", 0, 0, 0, 0, 0
};

const struct vfm_hw *vfm_hw(void)
{
	static const struct vfm_hw *hw;
	struct dirent *e;
	unsigned int i;
	DIR *d;

	if (hw)
		return hw;
	hw = &vfm_hw_none;
	d = opendir("/sys/class/iommu");
	if (!d)
		return hw;
	while (hw == &vfm_hw_none && (e = readdir(d)))
		for (i = 0; i < ARRAY_SIZE(vfm_hws); i++)
			if (!strncmp(e->d_name, vfm_hws[i].unit,
				     strlen(vfm_hws[i].unit)))
				hw = &vfm_hws[i];
	closedir(d);
	return hw;
}

int vfm_hw_records(int bytes)
{
	unsigned int per = vfm_hw()->bytes_per_record;

	if (bytes <= 0)
		return 0;
	return per ? (bytes + per - 1) / per : 1;
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
