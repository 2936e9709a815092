// SPDX-License-Identifier: GPL-2.0-only
/*
 * SR-IOV virtual functions in containers, as hosts assign NICs: the VFs
 * of an igb whose PF stays on Linux's igb driver, each VF bound to
 * vfio-pci.  Each VF is a group of its own, reads and writes memory
 * through the container's mappings and nothing else, has its faults
 * named by its own requester ID (not its PF's), and leaves its container
 * like any removed device when the PF's VFs are taken away
 * (sriov_numvfs 0) while it is in use.
 */
#include <dirent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vfm_test.h"

#define PG		4096ULL
#define NVF		2
#define RING_IOVA	0x100000ULL	/* VF i's ring: + 2 * i pages */
#define BUF_IOVA	0x101000ULL	/* and its frame: the page after */
#define NONE_IOVA	0x300000ULL	/* never mapped */
#define EDU_IOVA	0x400000ULL
#define NREC		16
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

FIXTURE(sriov) {
	char pf[32];
	char vf[VFM_MAX_VF][32];
	struct vfm_ctx ctx;
	int group_fd[NVF];
	struct vfm_edu dev[NVF];
	char *mem;		/* 2 pages per VF: its ring, its frame */
	long vmlck;
	long long pins;
};

FIXTURE_VARIANT(sriov) {
	struct vfm_backend b;
};

#define VFM_FIXTURE sriov
#include "vfm_backends.h"

FIXTURE_SETUP(sriov)
{
	int i;

	for (i = 0; i < NVF; i++)
		self->group_fd[i] = -1;
	self->ctx.container = -1;
	VFM_REQUIRE(return, VFM_NEED_BACKEND, .b = &variant->b);
	VFM_REQUIRE(return, VFM_NEED_SRIOV);
	ASSERT_EQ(0, vfm_sriov_pf(self->pf));
	ASSERT_EQ(0, vfm_sriov_enable(self->pf, NVF));
	ASSERT_EQ(NVF, vfm_vf_find(self->vf, VFM_MAX_VF));
	self->vmlck = vfm_vmlck_kb();
	self->pins = vfm_pins_outstanding();
	ASSERT_EQ(0, vfm_ctx_open(&self->ctx, &variant->b, 0));
	self->mem = vfm_alloc(NVF * 2 * PG);
	ASSERT_NE(NULL, self->mem);
}

static void close_vf(struct _test_data_sriov *self, int i)
{
	if (self->group_fd[i] < 0)
		return;
	vfm_edu_close(&self->dev[i]);
	vfm_ctx_leave_group(&self->ctx, &self->group_fd[i]);
}

FIXTURE_TEARDOWN(sriov)
{
	int i;

	for (i = 0; i < NVF; i++)
		close_vf(self, i);
	if (self->ctx.container >= 0)
		vfm_ctx_close(&self->ctx);
	if (self->mem)
		vfm_free(self->mem, NVF * 2 * PG);
	/* Every test finds the VFs as the first did. */
	if (self->pf[0])
		vfm_sriov_enable(self->pf, NVF);
}

/* VF @i's group joins the container, and the VF is opened. */
static void open_vf(struct __test_metadata *_metadata,
		    struct _test_data_sriov *self, int i)
{
	int fd = vfm_ctx_join_group(&self->ctx, vfm_group_id(self->vf[i]));

	ASSERT_LE(0, fd);
	self->group_fd[i] = fd;
	ASSERT_EQ(0, vfm_vf_open(&self->dev[i], fd, self->vf[i]));
}

static char *ring_of(struct _test_data_sriov *self, int i)
{
	return self->mem + 2 * i * PG;
}

/* VF @i's ring (read and written) and frame (read) mapped. */
static void map_vf(struct __test_metadata *_metadata,
		   struct _test_data_sriov *self, int i)
{
	int c = self->ctx.container;

	vfm_vf_frame(ring_of(self, i) + PG);
	ASSERT_EQ(0, vfm_map(c, RING_IOVA + 2 * i * PG, ring_of(self, i), PG,
			     RW));
	ASSERT_EQ(0, vfm_map(c, BUF_IOVA + 2 * i * PG, ring_of(self, i) + PG,
			     PG, VFIO_DMA_MAP_FLAG_READ));
}

static int tx(struct _test_data_sriov *self, int i, uint64_t buf_iova)
{
	return vfm_vf_tx(&self->dev[i], RING_IOVA + 2 * i * PG,
			 ring_of(self, i), buf_iova);
}

/* The number of devices in IOMMU group @group. */
static int group_devices(int group)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
		 group);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

TEST_F(sriov, each_vf_is_a_group_of_its_own_and_translated)
{
	int i, g[NVF];

	for (i = 0; i < NVF; i++) {
		g[i] = vfm_group_id(self->vf[i]);
		ASSERT_LE(0, g[i]);
		ASSERT_EQ(1, group_devices(g[i]));
		open_vf(_metadata, self, i);
		map_vf(_metadata, self, i);
	}
	ASSERT_NE(g[0], g[1]);

	/* Each VF reads its descriptor and frame and writes the former. */
	for (i = 0; i < NVF; i++)
		ASSERT_EQ(0, tx(self, i, BUF_IOVA + 2 * i * PG));

	/*
	 * Through the container's mappings, not around them: a ring
	 * unmapped is neither read nor written (a_fault_names_the_vf_that_made_it
	 * shows the frame's reads translated too).
	 */
	ASSERT_EQ(0, vfm_unmap(self->ctx.container, RING_IOVA + 2 * PG, PG, 0,
			       NULL));
	ASSERT_EQ(-ETIMEDOUT, tx(self, 1, BUF_IOVA + 2 * PG));
	ASSERT_EQ(0, tx(self, 0, BUF_IOVA));
}

/*
 * A frame read from an unmapped IOVA faults; the record names the VF
 * that read it, by its own requester ID, in its own group.
 */
TEST_F(sriov, a_fault_names_the_vf_that_made_it)
{
	struct vfio_mirror_fault rec[NREC];
	uint32_t segment, rid, vf_rid;
	int c = self->ctx.container, i, j, n, efd;
	char what[160];

	VFM_REQUIRE(return, VFM_NEED_FAULTS, .b = &variant->b);
	for (i = 0; i < NVF; i++) {
		open_vf(_metadata, self, i);
		map_vf(_metadata, self, i);
	}
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vfm_set_eventfd(c, VFIO_MIRROR_EVENT_FAULT, efd));
	/* What the VFs read where it is mapped is no fault. */
	for (i = 0; i < NVF; i++)
		ASSERT_EQ(0, tx(self, i, BUF_IOVA + 2 * i * PG));
	ASSERT_EQ(0, vfm_faults_collect(c, rec, NREC, 0, 0, 300));
	for (i = NVF - 1; i >= 0; i--) {
		/* VF i of the PF, by the PF's SR-IOV capability. */
		ASSERT_EQ(0, vfm_bdf_rid(self->vf[i], &segment, &rid));
		ASSERT_EQ(0, vfm_vf_rid(self->pf, i, &vf_rid));
		ASSERT_EQ(vf_rid, rid);
		/* The descriptor is written back though its frame faulted. */
		ASSERT_EQ(0, tx(self, i, NONE_IOVA + i * PG));
		ASSERT_LT(0, vfm_eventfd_wait(efd, 3000));
		/* All of them: none may be counted as the next VF's. */
		n = vfm_faults_collect(c, rec, NREC, 1, 3000, 1000);
		ASSERT_LE(1, n);
		for (j = 0; j < n; j++) {
			vfm_fault_describe(&rec[j], what, sizeof(what));
			TH_LOG("VF %s: %s", self->vf[i], what);
			ASSERT_EQ(rid, rec[j].rid);
			ASSERT_EQ(self->dev[i].group_id, rec[j].group);
			ASSERT_EQ(VFIO_MIRROR_FAULT_READ, rec[j].access);
			ASSERT_EQ(NONE_IOVA + i * PG, rec[j].iova & ~(PG - 1));
		}
	}
	close(efd);
}

/* Ask for VF @i's release as a VMM does: an eventfd on its request IRQ. */
static int request_eventfd(struct vfm_edu *dev)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} s = {
		.set = {
			.argsz = sizeof(s),
			.flags = VFIO_IRQ_SET_DATA_EVENTFD |
				 VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_REQ_IRQ_INDEX,
			.count = 1,
		},
	};

	s.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s.fd < 0)
		return -errno;
	if (ioctl(dev->device_fd, VFIO_DEVICE_SET_IRQS, &s)) {
		close(s.fd);
		return -errno;
	}
	return s.fd;
}

/*
 * Take the PF's VFs away (sriov_numvfs 0) in a process of its own, as an
 * operator's shell does: one that holds none of this process's files or
 * mappings, each of which would hold a VF's vfio device, whose removal
 * waits for it.  The pid, or -errno.
 */
static pid_t sriov_disable_async(const char *pf)
{
	char cmd[128];
	pid_t pid;

	snprintf(cmd, sizeof(cmd),
		 "echo 0 > /sys/bus/pci/devices/%s/sriov_numvfs", pf);
	pid = fork();
	if (pid)
		return pid < 0 ? -errno : pid;
	close_range(3, ~0U, 0);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/*
 * The operator takes the PF's VFs away while both are in a container
 * beside an edu device: the PCI core removes each VF, vfio-pci asks the
 * VMM to release it and waits, and the VMM closes it.  The VFs' groups
 * then leave the container as any removed device's does; their mappings
 * are the container's and stay pinned until unmapped, the edu device and
 * its mapping go on working, and once all is closed nothing stays pinned
 * or charged.
 */
TEST_F_TIMEOUT(sriov, vfs_removed_by_their_pf_leave_the_container, 120)
{
	struct pollfd pfd[NVF];
	struct vfio_iommu_type1_info *info;
	int c = self->ctx.container, i, left, status;
	uint64_t unmapped;
	char *src, *dst;
	pid_t pid;

	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 1);
	src = vfm_alloc(2 * PG);
	ASSERT_NE(NULL, src);
	dst = src + PG;
	ASSERT_EQ(0, vfm_ctx_add(&self->ctx));
	ASSERT_EQ(0, vfm_map(c, EDU_IOVA, src, 2 * PG, RW));
	for (i = 0; i < NVF; i++) {
		open_vf(_metadata, self, i);
		map_vf(_metadata, self, i);
		ASSERT_EQ(0, tx(self, i, BUF_IOVA + 2 * i * PG));
		pfd[i].fd = request_eventfd(&self->dev[i]);
		ASSERT_LE(0, pfd[i].fd);
		pfd[i].events = POLLIN;
	}
	ASSERT_EQ(2 * NVF, vfm_pinned_pages(self->mem, 2 * NVF * PG));

	pid = sriov_disable_async(self->pf);
	ASSERT_LT(0, pid);
	/* Each VF's removal waits for its release. */
	for (left = NVF; left; ) {
		ASSERT_LT(0, poll(pfd, NVF, 20000));
		for (i = 0; i < NVF; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			vfm_edu_close(&self->dev[i]);
			left--;
		}
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_EQ(0, vfm_vf_find(self->vf, VFM_MAX_VF));
	/* The groups left the container with their devices. */
	for (i = 0; i < NVF; i++)
		ASSERT_EQ(-EINVAL, vfm_ctx_leave_group(&self->ctx,
						       &self->group_fd[i]));

	/* The edu device's group and mapping stay, and work. */
	ASSERT_EQ(0, vfm_get_info(c, &info));
	free(info);
	vfm_fill(src, PG, 7);
	memset(dst, 0, PG);
	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], EDU_IOVA, EDU_DMA_MAX,
				 false));
	ASSERT_EQ(0, vfm_edu_dma(&self->ctx.edu[0], EDU_IOVA + PG, EDU_DMA_MAX,
				 true));
	ASSERT_EQ(0, memcmp(src, dst, EDU_DMA_MAX));
	/* The VFs' mappings stayed, pinned, until unmapped: then not. */
	ASSERT_EQ(2 * NVF, vfm_pinned_pages(self->mem, 2 * NVF * PG));
	ASSERT_EQ(0, vfm_unmap(c, RING_IOVA, 2 * NVF * PG, 0, &unmapped));
	ASSERT_EQ(2 * NVF * PG, unmapped);
	ASSERT_EQ(0, vfm_pinned_pages(self->mem, 2 * NVF * PG));
	ASSERT_EQ(self->vmlck + 2 * PG / 1024, vfm_vmlck_kb());

	vfm_ctx_close(&self->ctx);
	vfm_free(src, 2 * PG);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	ASSERT_EQ(self->pins, vfm_pins_outstanding());
}

TEST_HARNESS_MAIN
