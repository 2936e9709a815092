/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the vfio-mirror kselftests, the demo and the
 * benchmarks: the backend table every test is run against, and one file
 * per concern:
 *
 *   vfm_container.c  the container, its ioctls, struct vfm_ctx
 *   vfm_edu.c        PCI devices, the edu device (DMA start and wait),
 *                    BARs for peer-to-peer mappings
 *   vfm_mem.c        buffers, hugetlbfs, VmLck, pins, physical addresses,
 *                    memory that userfaultfd holds back
 *   vfm_mock.c       the mock IOMMU's devices and the probe module
 *   vfm_fault.c      the fault uAPI and the fault chain's counters
 *   vfm_sys.c        guest facts: sysfs, debugfs, tracefs, modules, CPUs
 *   vfm_proc.c       programs a test runs (a VMM) and their output
 *   vfm_emul.c       the mediated device, dirty tracking, UPDATE_VADDR
 *                    (its own header, vfm_emul.h)
 */
#ifndef VFM_LIB_H
#define VFM_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>
#include <linux/vfio_mirror.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * One row of the backend table.  Every test is a fixture with one variant
 * per row, so each assertion is checked against the kernel's type1 and
 * against vfio-mirror in the same guest.
 */
struct vfm_backend {
	const char *module;	/* module that must serve the container */
	unsigned long type;	/* VFIO_SET_IOMMU argument */
	bool claim_type1;	/* vfio_mirror.claim_type1 while it runs */
	bool v2;		/* type1v2 unmap rules */
	/*
	 * errno for an IOVA range that wraps past 2^64: 6.12's type1 says
	 * EINVAL, vfio-mirror follows the later upstream fix (EOVERFLOW);
	 * ask vfm_wrap_err().
	 */
	int wrap_errno;
};

#include <errno.h>
#include <string.h>

/* Is the row's backend the kernel's type1 (whose 6.12 quirks some tests skip)? */
static inline bool vfm_is_type1(const struct vfm_backend *b)
{
	return !strcmp(b->module, "vfio_iommu_type1");
}

/*
 * What @b must have returned, -errno, for a range that wraps past 2^64,
 * given that it returned @ret.  vfio-mirror says -EOVERFLOW.  type1 says
 * -EINVAL before upstream's fix for the top of the IOVA space and
 * -EOVERFLOW after it (7.x has it; a Debian 6.12 point release may get
 * it): either is type1's answer.
 */
static inline int vfm_wrap_err(const struct vfm_backend *b, int ret)
{
	if (vfm_is_type1(b) && (ret == -EINVAL || ret == -EOVERFLOW))
		return ret;
	return -b->wrap_errno;
}

#define VFM_BACKEND_TYPE1 {						\
	.module = "vfio_iommu_type1", .type = VFIO_TYPE1v2_IOMMU,	\
	.v2 = true, .wrap_errno = EINVAL }
#define VFM_BACKEND_MIRROR {						\
	.module = "vfio_mirror", .type = VFIO_MIRROR_IOMMU,		\
	.v2 = true, .wrap_errno = EOVERFLOW }
/* vfio-mirror standing in for type1v2, as an unmodified VMM gets it. */
#define VFM_BACKEND_MIRROR_CLAIMED {					\
	.module = "vfio_mirror", .type = VFIO_TYPE1v2_IOMMU,		\
	.claim_type1 = true, .v2 = true, .wrap_errno = EOVERFLOW }
#define VFM_BACKEND_TYPE1_V1 {						\
	.module = "vfio_iommu_type1", .type = VFIO_TYPE1_IOMMU,		\
	.v2 = false, .wrap_errno = EINVAL }
#define VFM_BACKEND_MIRROR_V1 {						\
	.module = "vfio_mirror", .type = VFIO_TYPE1_IOMMU,		\
	.claim_type1 = true, .v2 = false, .wrap_errno = EOVERFLOW }

/*
 * The MSI window of the test guests' own IOMMU: where MSI writes go, never
 * a usable IOVA.  Translated on arm64 (IOMMU_RESV_SW_MSI of QEMU's virt
 * machine), not on x86 (IOMMU_RESV_MSI).
 */
#if defined(__x86_64__)
#define VFM_MSI_START		0xfee00000ULL
#define VFM_MSI_END		0xfeefffffULL
#define VFM_MSI_TRANSLATED	0
#elif defined(__aarch64__)
#define VFM_MSI_START		0x8000000ULL
#define VFM_MSI_END		0x80fffffULL
#define VFM_MSI_TRANSLATED	VFIO_MIRROR_MSI_WINDOW_TRANSLATED
#endif

/**
 * struct vfm_hw - the test guest's own IOMMU, as the fault chain reports
 *	the edu device's DMA faults through it
 * @name: "VT-d", "AMD-Vi" or "SMMUv3".
 * @unit: the prefix of its units' names in /sys/class/iommu.
 * @source: the VFIO_MIRROR_FAULT_SOURCE_* of its records.
 * @producer: the fault chain producer that reads its faults.
 * @reason_read: the reason given for a read of an unmapped IOVA: the VT-d
 *	Fault Reason 6, the SMMUv3 event F_TRANSLATION; 0 for AMD-Vi, whose
 *	faults reach the chain through report_iommu_fault(), which has none.
 * @reason_write: for a write to a read-only page: Fault Reason 5,
 *	F_PERMISSION, 0.
 * @bytes_per_record: a faulting DMA is this many bytes a record: QEMU's
 *	SMMUv3 and AMD-Vi refuse (and log) each 4-byte access of a DMA;
 *	0 for one record a DMA (QEMU's VT-d collapses a DMA's faults into
 *	its one fault record while that is pending).
 * @raw_len: the length of the hardware record a record carries.
 * @log_room: 0, or the faults the unit's log holds before it drops the
 *	rest, uncounted, and says only that it overflowed (hw_overflows):
 *	AMD-Vi, whose event log holds 511 events (Linux's 512 entries, one
 *	always free), fewer than a long faulting DMA makes.
 */
struct vfm_hw {
	const char *name;
	const char *unit;
	uint32_t source;
	const char *producer;
	uint32_t reason_read, reason_write;
	unsigned int bytes_per_record;
	uint32_t raw_len;
	unsigned int log_room;
};

/*
 * The guest's IOMMU, by the names of its units; one named "none" if it
 * is none of these (its producer "none" has no counters).
 */
const struct vfm_hw *vfm_hw(void);
/* The number of records a faulting DMA of @bytes bytes makes. */
int vfm_hw_records(int bytes);

/* QEMU's educational PCI device (hw/misc/edu.c), BAR0 registers. */
#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_REG_ID		0x00
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_CMD_RUN		0x1
#define EDU_DMA_CMD_TO_RAM	0x2	/* else from RAM to the device */
#define EDU_DMA_BUF		0x40000	/* device buffer, in DMA space */
/*
 * The buffer is 4096 bytes, but QEMU 7.2 aborts on a transfer that ends
 * exactly at its end, so transfers stay one byte short.
 */
#define EDU_DMA_MAX		4095
/*
 * The device masks DMA addresses to 28 bits, unless the machine gives it
 * a 64-bit dma_mask (a QEMU 10.0 property) and says so with VFM_IOVA_64.
 */
#define EDU_IOVA_LIMIT		0x10000000ULL

#define VFM_MAX_EDU		4

struct vfm_edu {
	char bdf[32];
	int group_id;
	int device_fd;
	uint8_t *bar0;		/* BAR0, mapped: use vfm_mmio_*() */
	size_t bar0_size;
	uint64_t config_offset;
};

#define VFM_MAX_MOCK		3

/*
 * A container and the groups attached to it through one backend: edu
 * devices' groups (edu[i] is the i-th edu device by address, its device
 * open while attached) and mock devices' groups (mockN of the test
 * module).  The first group to join an empty container sets its IOMMU.
 */
struct vfm_ctx {
	const struct vfm_backend *b;
	int container;
	int ngroups;			/* groups attached */
	int nedu;			/* edu[0..nedu-1] attached in order */
	int group_fd[VFM_MAX_EDU];	/* -1: not attached */
	struct vfm_edu edu[VFM_MAX_EDU];
	int mock_fd[VFM_MAX_MOCK];	/* -1: not attached */
	int emul_group_fd[2];		/* mediated groups (vfm_emul.h) */
	int emul_fd[2];			/* their devices */
};

/* Attach a group by number, setting the IOMMU if it is the first. */
int vfm_ctx_join_group(struct vfm_ctx *ctx, int group_id);
int vfm_ctx_leave_group(struct vfm_ctx *ctx, int *group_fd);

/* Open a container with edu[0..nedu-1] attached. */
int vfm_ctx_open(struct vfm_ctx *ctx, const struct vfm_backend *b, int nedu);
/* Attach edu[nedu]; detach edu[nedu - 1]. */
int vfm_ctx_add(struct vfm_ctx *ctx);
int vfm_ctx_remove(struct vfm_ctx *ctx);
/* Attach or detach edu[i] or mock n, in any order. */
int vfm_ctx_attach_edu(struct vfm_ctx *ctx, int i);
int vfm_ctx_detach_edu(struct vfm_ctx *ctx, int i);
int vfm_ctx_attach_mock(struct vfm_ctx *ctx, int n);
int vfm_ctx_detach_mock(struct vfm_ctx *ctx, int n);
void vfm_ctx_close(struct vfm_ctx *ctx);
bool vfm_devices_required(void);
/* The environment variable @name, or @def when it is not set. */
const char *vfm_env_or(const char *name, const char *def);

/* Discovery: edu (or other) devices bound to vfio-pci, by address. */
int vfm_edu_find(char bdfs[][32], int max);
int vfm_pci_find(unsigned int vendor, unsigned int device, char bdfs[][32],
		 int max);
int vfm_group_id(const char *bdf);

/* Containers and groups.  All return 0 or -errno. */
int vfm_open_container(void);
int vfm_open_group(int group_id);
int vfm_set_claim_type1(bool on);
int vfm_param_write(const char *module, const char *param, const char *val);
/* Write @val to a sysfs, debugfs or tracefs file. */
int vfm_param_write_path(const char *path, const char *val);
/* Read such a file into @buf, without its trailing newlines. */
int vfm_param_read_path(const char *path, char *buf, size_t len);
/* Sort the @n values of @v and return the middle one (the upper of two). */
long long vfm_median(long long *v, int n);
int vfm_param_read(const char *module, const char *param, char *buf,
		   size_t len);
int vfm_module_refcnt(const char *module);
/*
 * Load a module from $VFM_MODULE_DIR (default /lib/modules) with @args,
 * or unload one without waiting for its users.  0 or -errno.
 */
int vfm_module_load(const char *name, const char *args);
int vfm_module_unload(const char *name);
int vfm_attach(int container, int group_fd);
int vfm_set_iommu(int container, const struct vfm_backend *b);

/*
 * Open the vfio-pci device @bdf of the group @group_fd: its config space,
 * BAR0 mapped, memory decoding and bus mastering on.  struct vfm_edu
 * serves any device so opened; vfm_edu_close() closes it.
 */
int vfm_pci_open(struct vfm_edu *dev, int group_fd, const char *bdf);

/* The edu device. */
int vfm_edu_open(struct vfm_edu *edu, int group_fd, const char *bdf);
void vfm_edu_close(struct vfm_edu *edu);
int vfm_edu_dma(struct vfm_edu *edu, uint64_t iova, uint32_t count,
		bool to_ram);
/* The same in two steps: start it, and wait for the device to finish. */
int vfm_edu_dma_start(struct vfm_edu *edu, uint64_t iova, uint32_t count,
		      bool to_ram);
int vfm_edu_dma_wait(struct vfm_edu *edu);
int vfm_edu_msi_enable(struct vfm_edu *edu, int eventfd);
int vfm_edu_msi_disable(struct vfm_edu *edu);
void vfm_edu_irq_raise(struct vfm_edu *edu, uint32_t bits);
void vfm_edu_irq_ack(struct vfm_edu *edu, uint32_t bits);

/*
 * BAR accesses: single loads and stores of the given width, which the
 * compiler may neither merge, split nor drop.
 */
static inline uint32_t vfm_mmio_read32(const uint8_t *bar, unsigned int reg)
{
	return __atomic_load_n((const uint32_t *)(bar + reg), __ATOMIC_RELAXED);
}

static inline uint64_t vfm_mmio_read64(const uint8_t *bar, unsigned int reg)
{
	return __atomic_load_n((const uint64_t *)(bar + reg), __ATOMIC_RELAXED);
}

static inline void vfm_mmio_write32(uint8_t *bar, unsigned int reg,
				    uint32_t val)
{
	__atomic_store_n((uint32_t *)(bar + reg), val, __ATOMIC_RELAXED);
}

static inline void vfm_mmio_write64(uint8_t *bar, unsigned int reg,
				    uint64_t val)
{
	__atomic_store_n((uint64_t *)(bar + reg), val, __ATOMIC_RELAXED);
}

/*
 * SR-IOV: the virtual functions of QEMU's igb (an 82576), its PF bound to
 * Linux's igb driver as on a host, its VFs to vfio-pci.
 *
 * vfm_sriov_pf(): the first igb PF on the igb driver, in @bdf; 0 or
 * -ENODEV.  vfm_sriov_enable(): bring the PF's link up (its driver answers
 * the VFs' mailbox only then), give it @n VFs if it has not, without
 * probing their drivers, and bind each to vfio-pci; 0 or -errno.
 * vfm_sriov_disable(): remove them all (sriov_numvfs 0), which waits until
 * their users close them.  vfm_vf_find(): the VFs on vfio-pci, by address.
 * vfm_vf_rid(): the requester ID of VF @i of @pf, from the PF's SR-IOV
 * capability (its First VF Offset and VF Stride, in sysfs).
 *
 * vfm_vf_open(): vfm_pci_open() and a reset request through the VF's
 * mailbox, which the PF answers by enabling the VF's transmit queues.
 * vfm_vf_tx(): transmit one frame from @buf_iova through the VF's queue 0
 * with its ring at @ring_iova, mapped at @ring in this process: 0 once
 * the device wrote the descriptor back (its DD bit), -ETIMEDOUT if not
 * within a second (the ring's read failed).  The device writes it back
 * even when the frame's read failed: QEMU then sends what its bounce
 * buffer held, and only the IOMMU's fault tells.
 * vfm_vf_frame(): a 60-byte frame at @buf, to a unicast address no one
 * has (the PF's switch loops back no copy of it).
 */
#define IGB_VENDOR		0x8086
#define IGB_PF_DEVICE		0x10c9
#define IGB_VF_DEVICE		0x10ca
#define VFM_MAX_VF		7

int vfm_sriov_pf(char bdf[32]);
int vfm_sriov_enable(const char *pf, int n);
int vfm_sriov_disable(const char *pf);
int vfm_vf_find(char bdfs[][32], int max);
int vfm_vf_rid(const char *pf, int i, uint32_t *rid);
int vfm_vf_open(struct vfm_edu *vf, int group_fd, const char *bdf);
int vfm_vf_tx(struct vfm_edu *vf, uint64_t ring_iova, void *ring,
	      uint64_t buf_iova);
void vfm_vf_frame(void *buf);

/*
 * A device's BAR mapped into this process, as a VMM maps one for
 * peer-to-peer DMA (a VM_PFNMAP mapping): the first device @vendor:@device
 * bound to vfio-pci, in a container of its own with backend @b, its BAR
 * @index mapped at @skew bytes past an alignment of 2 MiB (1 GiB for a
 * BAR that large), from the BAR's start.  QEMU's ivshmem-plain has a
 * RAM-backed BAR 2 of the size of its memory backend.
 */
#define IVSHMEM_VENDOR		0x1af4
#define IVSHMEM_DEVICE		0x1110
#define IVSHMEM_BAR		2

struct vfm_bar {
	int container;
	int group_fd;
	int device_fd;
	uint8_t *map;		/* the BAR's first byte in this process */
	size_t size;		/* bytes mapped: the BAR's size less @skew */
	uint64_t phys;		/* the BAR's bus address */
	void *raw;		/* the reservation @map is in */
	size_t raw_size;
};

int vfm_bar_open(struct vfm_bar *bar, const struct vfm_backend *b,
		 unsigned int vendor, unsigned int device, int index,
		 size_t skew);
void vfm_bar_close(struct vfm_bar *bar);

/*
 * The default hugetlbfs pool (/proc/sys/vm/nr_hugepages): its size, set
 * to @set unless @set is negative; -1 if it cannot be read or set.
 */
long vfm_hugepages(long set);

/* Mappings.  Return 0 or -errno. */
int vfm_map(int container, uint64_t iova, void *vaddr, uint64_t size,
	    uint32_t flags);
int vfm_map_raw(int container, struct vfio_iommu_type1_dma_map *map);
int vfm_unmap(int container, uint64_t iova, uint64_t size, uint32_t flags,
	      uint64_t *unmapped);
int vfm_unmap_raw(int container, struct vfio_iommu_type1_dma_unmap *unmap);

/* GET_INFO; *info is malloc'd, with its capability chain. */
int vfm_get_info(int container, struct vfio_iommu_type1_info **info);
struct vfio_info_cap_header *vfm_info_cap(struct vfio_iommu_type1_info *info,
					  uint16_t id);
/* The DMA_AVAIL capability's count, or ~0u when there is none. */
uint32_t vfm_dma_avail(int container);
/*
 * GET_INFO's page sizes then IOVA ranges, as bytes to compare: their
 * length, or -errno.
 */
int vfm_info_blob(int container, void *out, size_t len);
/*
 * The usable IOVA ranges of the IOVA_RANGE capability: up to @max into
 * @r, their number, or -ENOENT without the capability, or -errno.
 */
int vfm_iova_ranges(int container, struct vfio_iova_range *r, int max);
/* Is [@start, @last] inside one usable range? */
bool vfm_iova_usable(int container, uint64_t start, uint64_t last);

/* Counters. */
long vfm_vmlck_kb(void);
/*
 * Make this process one that RLIMIT_MEMLOCK bounds, as an unprivileged
 * VMM is: drop CAP_IPC_LOCK from its effective set and set the limit to
 * @bytes.  0 or -errno.
 */
int vfm_memlock_bounded(long bytes);
long long vfm_pins_outstanding(void);
/* A field of /proc/meminfo ("MemTotal"), in kB, or -1. */
long long vfm_meminfo_kb(const char *key);

/*
 * Memory cgroups (cgroup v2 at /sys/fs/cgroup, mounted there if it is
 * not): vfm_memcg_available() says whether the kernel has them,
 * vfm_memcg_make() makes the cgroup @name with memory.max @max
 * bytes, vfm_memcg_move() moves process @pid into it, vfm_memcg_field()
 * reads one of its numbers (@key NULL: the file's only one, as
 * memory.current; else the one @key names, as "oom_kill" of
 * memory.events), and vfm_memcg_remove() removes it once no process is in
 * it.  0 or -errno; the number, or -1.
 */
bool vfm_memcg_available(void);
int vfm_memcg_make(const char *name, long long max);
int vfm_memcg_move(const char *name, int pid);
long long vfm_memcg_field(const char *name, const char *file,
			  const char *key);
int vfm_memcg_remove(const char *name);

/*
 * Kernel trace events (tracefs at VFM_TRACEFS): enable or disable one
 * ("iommu/io_page_fault"), empty the buffer, look for a line with @text
 * in it.
 */
#define VFM_TRACEFS	"/sys/kernel/tracing"

int vfm_trace_event(const char *event, bool on);
int vfm_trace_clear(void);
bool vfm_trace_find(const char *text);

/*
 * IOMMU faults.  vfm_set_eventfd(): VFIO_MIRROR_IOMMU_SET_EVENTFD.
 * vfm_read_faults(): VFIO_MIRROR_IOMMU_READ_FAULTS into @recs (at most
 * @max), returning the number read or -errno, and @lost and @next_seq if
 * not NULL.  vfm_eventfd_wait(): the counter of @efd once it is readable,
 * 0 if it is not within @ms.  vfm_chain_counter(): a counter of a fault
 * chain producer ("vtd", "smmuv3", "generic"), or -1.  vfm_chain_state():
 * its state file.  vfm_bdf_rid(): the segment and requester ID of a PCI
 * address.
 */
int vfm_set_eventfd(int container, uint32_t events, int fd);
int vfm_read_faults(int container, struct vfio_mirror_fault *recs,
		    unsigned int max, uint64_t *lost, uint64_t *next_seq);
/*
 * Read records into @recs (room for @max) until @want arrived or @ms
 * passed, then for @quiet_ms more to make sure no more come.  Returns how
 * many arrived, or -errno.
 */
int vfm_faults_collect(int container, struct vfio_mirror_fault *recs,
		       int max, int want, int ms, int quiet_ms);
/*
 * Wait until a fault chain producer's records reported so far have
 * reached the consumers (the chain hands them over from a work item).
 */
int vfm_chain_flush(const char *producer);
uint64_t vfm_eventfd_wait(int efd, int ms);
long long vfm_chain_counter(const char *producer, const char *key);
int vfm_chain_state(const char *producer, char *buf, size_t len);
int vfm_bdf_rid(const char *bdf, uint32_t *segment, uint32_t *rid);
/* One line about a fault record, for people. */
void vfm_fault_describe(const struct vfio_mirror_fault *f, char *buf,
			size_t len);

/*
 * Run @argv (a path and its arguments) with no input, until it exits or
 * @seconds pass (then it is killed); its output and errors, together, in
 * *@out (malloc'd, NUL-terminated; NULL if it never started), its wait
 * status in *@status.  0, -ETIMEDOUT, or -errno.
 */
int vfm_run(const char *const argv[], int seconds, char **out, int *status);

/* The physical address behind a user address (root only), or 0. */
uint64_t vfm_phys_of(const void *vaddr);

/*
 * Anonymous memory whose pages are missing until the test fills them
 * (userfaultfd, MISSING mode): whatever touches one, a pinning ioctl
 * among them, waits.  vfm_uffd_open() maps @size bytes at u->mem;
 * vfm_uffd_wait() waits up to @ms for a fault and returns its address
 * (0 on time-out or error); vfm_uffd_fill() makes @len bytes at @at
 * present, copied from @src, and wakes what waits; vfm_uffd_close()
 * unmaps and closes.  0 or -errno.
 */
struct vfm_uffd {
	int fd;
	char *mem;
	size_t size;
};

int vfm_uffd_open(struct vfm_uffd *u, size_t size);
uint64_t vfm_uffd_wait(struct vfm_uffd *u, int ms);
int vfm_uffd_fill(struct vfm_uffd *u, void *at, size_t len, const void *src);
void vfm_uffd_close(struct vfm_uffd *u);

/*
 * The test module vfio_mirror_probe (tools/testing/vfio_mirror_mock/
 * probe.c): load it afresh, unload it if loaded; a counter of its fault chain consumer
 * ("calls", "irqs_off", "softirq"); that consumer busy-waiting @us at
 * its next @count calls, and how many did; a kprobe on @symbol that busy-waits
 * @ms at its next @count hits (in hard interrupts only, with @hardirq;
 * of process @pid only, if not 0), its hits, and off; hold this CPU in a
 * kprobe handler for @ms; the names the fault chain gives a VF on a
 * bus without a bridge (virtbus.c), as the file says them, in @buf.
 */
int vfm_probe_load(void);
int vfm_probe_unload(void);
long long vfm_probe_context(const char *key);
int vfm_probe_slow(unsigned int us, unsigned int count);
long long vfm_probe_slow_hits(void);
int vfm_probe_delay(const char *symbol, unsigned int ms, unsigned int count,
		    bool hardirq, int pid);
long long vfm_probe_delay_hits(void);
int vfm_probe_delay_off(void);
int vfm_probe_hold(unsigned int ms);
int vfm_probe_virtbus(char *buf, size_t len);

/*
 * The interrupt whose action is @name in /proc/interrupts ("dmar0"): its
 * number in *@irq, and the CPU it is delivered to as the return value
 * (-1 if not found).
 */
int vfm_irq_cpu(const char *name, int *irq);
/* Run the calling thread on @cpu only. 0 or -errno. */
int vfm_pin_cpu(int cpu);

/* vfio-mirror's counters of all its containers together (debugfs stats). */
long long vfm_mirror_stat(const char *key);

/*
 * vfio-mirror's debugfs, for the last container this process set up: its
 * directory (0 or -errno), a field of its info file, the number of its
 * domains, a field of the i-th line of its domains file (-1 if none).
 */
int vfm_mirror_dir(char *dir, size_t len);
long long vfm_mirror_info(const char *key);
int vfm_mirror_domains(void);
long long vfm_mirror_domain(int i, const char *key);

/*
 * Memory.  Buffers a DMA must not reach are filled with VFM_POISON and
 * checked with vfm_untouched().
 */
#define VFM_POISON		0xee
void *vfm_alloc(size_t size);
void vfm_free(void *p, size_t size);
void vfm_fill(void *p, size_t size, uint32_t seed);
bool vfm_untouched(const void *p, size_t size);
/*
 * Two pages at adjacent user addresses whose frames are not adjacent (a
 * memfd's pages mapped in another order, so that the first page's frame
 * plus one is neither): the 8 KiB region, at @where if not NULL, or NULL.
 * vfm_pinned_pages(): how many pages of @p..@p + @size are pinned for
 * DMA (by the mock module's look at each frame), or -errno.
 */
char *vfm_two_runs(char *where);
int vfm_pinned_pages(const char *p, uint64_t size);

/* The mock IOMMU module's controls have a header of their own. */
#include "vfm_mock.h"

#endif /* VFM_LIB_H */
