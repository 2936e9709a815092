// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nested guest's half of viommu_test: runs inside the guest of the
 * patched QEMU (tools/qemu/), which the test guest runs with an edu device
 * assigned through vfio-pci and a virtual VT-d in caching mode.  Here the
 * edu device is driven through this guest's own VFIO: a type1 container
 * on the vIOMMU when the guest boots with intel_iommu=on, VFIO's no-IOMMU
 * mode when it boots without.
 *
 * The DMA the device does is real: QEMU of the test machine emulates it,
 * behind that machine's VT-d, whose IOMMU is programmed by the test
 * guest's vfio-mirror container (claiming type1) or by vfio_iommu_type1.
 * A DMA to an IOVA this guest never mapped is blocked there, by the host
 * IOMMU; with vfio-mirror the fault comes back to the patched QEMU as a
 * record, and its intel-iommu raises it here, where this guest's DMAR
 * driver logs it as it logs a fault on bare metal.  With type1 nothing
 * comes back: the guest sees no fault.
 *
 * The guest's init (viommu_test.c says how it is built) passes what to
 * expect: VFM_L2_DMAR (1: intel_iommu=on) and VFM_L2_FAULTS (1: the host
 * forwards faults).  Besides the TAP results it prints "vfm-l2:" lines
 * that viommu_test reads.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG		4096ULL
#define IOVA_SRC	0x100000ULL
#define IOVA_DST	0x200000ULL
#define IOVA_RO		0x300000ULL
#define IOVA_HOLE	0x4000000ULL	/* never mapped */
/* Above this guest's memory (224 MiB), below the device's limit (256). */
#define BEYOND_RAM	0xf000000ULL
#define LEN		EDU_DMA_MAX
#define STORM		24

/* The kernel's log holds @text (read it all, as dmesg does). */
static bool klog_has(const char *text)
{
	int len = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf;
	bool found;

	if (len <= 0)
		return false;
	buf = calloc(1, len + 1);
	if (!buf)
		return false;
	len = klogctl(3, buf, len);	/* SYSLOG_ACTION_READ_ALL */
	found = len > 0 && strstr(buf, text);
	free(buf);
	return found;
}

/* ...within @ms. */
static bool klog_wait(const char *text, int ms)
{
	for (; ms > 0; ms -= 50) {
		if (klog_has(text))
			return true;
		usleep(50 * 1000);
	}
	return klog_has(text);
}

/* The count of the DMAR fault interrupt in /proc/interrupts, or -1. */
static long dmar_irqs(void)
{
	char line[512];
	long n = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "DMAR-MSI") && sscanf(line, "%*d: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static bool env_on(const char *name)
{
	const char *v = getenv(name);

	return v && !strcmp(v, "1");
}

/* The assigned device, driven through this guest's VFIO. */
struct l2_dev {
	char bdf[1][32];
	int container, group;
	struct vfm_edu edu;
	bool dmar, faults;
	char *src, *dst;
	uint64_t rid;
};

FIXTURE(l2) {
	struct l2_dev d;
};

FIXTURE_SETUP(l2)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct l2_dev *d = &self->d;
	char path[64];
	unsigned int bus, dev, fn;
	int id, n;

	d->container = -1;
	d->group = -1;
	d->edu.device_fd = -1;
	d->dmar = env_on("VFM_L2_DMAR");
	d->faults = env_on("VFM_L2_FAULTS");
	d->src = vfm_alloc(PG);
	d->dst = vfm_alloc(PG);
	ASSERT_NE(NULL, d->src);
	ASSERT_NE(NULL, d->dst);
	vfm_fill(d->src, PG, 0x12);
	memset(d->dst, VFM_POISON, PG);

	ASSERT_EQ(1, vfm_edu_find(d->bdf, 1));
	n = sscanf(d->bdf[0], "%*x:%x:%x.%x", &bus, &dev, &fn);
	ASSERT_EQ(3, n);
	d->rid = bus << 8 | dev << 3 | fn;
	id = vfm_group_id(d->bdf[0]);
	ASSERT_LE(0, id);
	/* Without the vIOMMU the group is VFIO's no-IOMMU one. */
	snprintf(path, sizeof(path), d->dmar ? "/dev/vfio/%d" :
		 "/dev/vfio/noiommu-%d", id);
	d->group = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, d->group) {
		TH_LOG("%s: %s", path, strerror(errno));
	}
	ASSERT_EQ(0, ioctl(d->group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_TRUE(status.flags & VFIO_GROUP_FLAGS_VIABLE);
	d->container = vfm_open_container();
	ASSERT_LE(0, d->container);
	ASSERT_EQ(0, vfm_attach(d->container, d->group));
	ASSERT_EQ(0, ioctl(d->container, VFIO_SET_IOMMU,
			   d->dmar ? VFIO_TYPE1v2_IOMMU :
			   VFIO_NOIOMMU_IOMMU)) {
		TH_LOG("VFIO_SET_IOMMU: %s", strerror(errno));
	}
	ASSERT_EQ(0, vfm_edu_open(&d->edu, d->group, d->bdf[0]));
}

FIXTURE_TEARDOWN(l2)
{
	struct l2_dev *d = &self->d;

	if (d->edu.device_fd >= 0)
		vfm_edu_close(&d->edu);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	vfm_free(d->src, PG);
	vfm_free(d->dst, PG);
}

/*
 * The device's address of @buf: its IOVA, mapped here with @flags, or,
 * without the vIOMMU, its physical address (the buffer is one page).
 */
static uint64_t dma_addr(struct __test_metadata *_metadata,
			 struct l2_dev *d, char *buf, uint64_t iova,
			 uint32_t flags)
{
	uint64_t phys;

	if (d->dmar) {
		EXPECT_EQ(0, vfm_map(d->container, iova, buf, PG, flags));
		return iova;
	}
	phys = vfm_phys_of(buf);
	EXPECT_NE(0, phys);
	EXPECT_GT(EDU_IOVA_LIMIT, phys);
	return phys;
}

/* What this guest's DMAR driver logs of a fault of the device. */
static void fault_line(struct l2_dev *d, char *buf, size_t len, bool write,
		       uint64_t addr, int reason)
{
	int n = snprintf(buf, len, "DMAR: [DMA %s NO_PASID] Request device ",
			 write ? "Write" : "Read");

	snprintf(buf + n, len - n,
		 "[%02x:%02x.%d] fault addr 0x%llx [fault reason 0x%02x]",
		 (unsigned int)(d->rid >> 8),
		 (unsigned int)((d->rid >> 3) & 0x1f),
		 (unsigned int)(d->rid & 7), (unsigned long long)addr, reason);
}

/*
 * The DMAR driver logged @line within seconds if the host forwards
 * faults; else it logs nothing.
 */
static void check_logged(struct __test_metadata *_metadata,
			 struct l2_dev *d, const char *line)
{
	if (!d->faults) {
		ASSERT_FALSE(klog_wait(line, 2000));
		return;
	}
	ASSERT_TRUE(klog_wait(line, 10000)) {
		TH_LOG("no \"%s\" in the kernel log", line);
	}
}

TEST_F(l2, dma_to_a_mapping_lands)
{
	struct l2_dev *d = &self->d;
	uint64_t src = dma_addr(_metadata, d, d->src, IOVA_SRC,
				VFIO_DMA_MAP_FLAG_READ);
	uint64_t dst = dma_addr(_metadata, d, d->dst, IOVA_DST,
				VFIO_DMA_MAP_FLAG_READ |
				VFIO_DMA_MAP_FLAG_WRITE);

	ASSERT_EQ(0, vfm_edu_dma(&d->edu, src, LEN, false));
	ASSERT_EQ(0, vfm_edu_dma(&d->edu, dst, LEN, true));
	ASSERT_EQ(0, memcmp(d->src, d->dst, LEN));
	printf("vfm-l2: dma %s ok\n", d->dmar ? "viommu" : "noiommu");
}

/*
 * A read of an IOVA never mapped: this guest's DMAR driver logs it, with
 * the device's requester ID here, the page and the VT-d reason 6 (read
 * without read permission), or, when the host forwards nothing, it logs
 * nothing.
 */
TEST_F(l2, a_read_of_an_unmapped_iova_is_this_guests_fault)
{
	struct l2_dev *d = &self->d;
	char line[160];

	VFM_REQUIRE(return, VFM_NEED_VIOMMU);
	fault_line(d, line, sizeof(line), false, IOVA_HOLE, 6);
	ASSERT_EQ(0, vfm_edu_dma(&d->edu, IOVA_HOLE, 64, false));
	printf("vfm-l2: faulting-dmas 1\n");
	check_logged(_metadata, d, line);
}

/* A write to a page mapped read-only: reason 5, and nothing written. */
TEST_F(l2, a_write_to_a_read_only_mapping_is_this_guests_fault)
{
	struct l2_dev *d = &self->d;
	char line[160];
	uint64_t ro;

	VFM_REQUIRE(return, VFM_NEED_VIOMMU);
	memset(d->dst, VFM_POISON, PG);
	ro = dma_addr(_metadata, d, d->dst, IOVA_RO,
		      VFIO_DMA_MAP_FLAG_READ);
	fault_line(d, line, sizeof(line), true, ro, 5);
	ASSERT_EQ(0, vfm_edu_dma(&d->edu, ro, LEN, true));
	printf("vfm-l2: faulting-dmas 1\n");
	ASSERT_TRUE(vfm_untouched(d->dst, PG));
	check_logged(_metadata, d, line);
}

/*
 * Faulting DMAs back to back, each to a page of its own, then a good one:
 * the DMAR driver has taken the fault interrupts and cleared its records,
 * and translation still works.
 */
TEST_F(l2, a_storm_of_faults_leaves_the_dmar_driver_working)
{
	struct l2_dev *d = &self->d;
	long before = dmar_irqs(), after;
	uint64_t src, dst;
	int i;

	VFM_REQUIRE(return, VFM_NEED_VIOMMU);
	ASSERT_LE(0, before);
	for (i = 0; i < STORM; i++)
		ASSERT_EQ(0, vfm_edu_dma(&d->edu, IOVA_HOLE + (i + 1) * PG,
					 64, false));
	printf("vfm-l2: faulting-dmas %d\n", STORM);
	src = dma_addr(_metadata, d, d->src, IOVA_SRC,
		       VFIO_DMA_MAP_FLAG_READ);
	dst = dma_addr(_metadata, d, d->dst, IOVA_DST,
		       VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	ASSERT_EQ(0, vfm_edu_dma(&d->edu, src, LEN, false));
	ASSERT_EQ(0, vfm_edu_dma(&d->edu, dst, LEN, true));
	ASSERT_EQ(0, memcmp(d->src, d->dst, LEN));
	usleep(500 * 1000);
	after = dmar_irqs();
	printf("vfm-l2: storm-dmar-irqs %ld\n", after - before);
	ASSERT_EQ(d->faults, after - before > 0);
}

/*
 * Without the vIOMMU's translation, a DMA to a physical address where
 * this guest has no memory is blocked by the host IOMMU too (the VMM
 * mapped only this guest's memory), but it is nobody's fault here: no
 * DMAR driver translates, none logs it.  The VMM counts it.
 */
TEST_F(l2, a_dma_beyond_memory_without_translation_is_no_guest_fault)
{
	struct l2_dev *d = &self->d;
	struct sysinfo si;

	VFM_REQUIRE(return, VFM_NEED_NO_VIOMMU);
	ASSERT_EQ(0, sysinfo(&si));
	ASSERT_GT(BEYOND_RAM, (uint64_t)si.totalram * si.mem_unit);
	ASSERT_EQ(0, vfm_edu_dma(&d->edu, BEYOND_RAM, 64, false));
	printf("vfm-l2: beyond-memory-dmas 1\n");
	ASSERT_FALSE(klog_wait("DMAR: [DMA", 2000));
}

TEST_HARNESS_MAIN
