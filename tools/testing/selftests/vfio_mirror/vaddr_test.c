// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live update (VFIO_UPDATE_VADDR), as QEMU's CPR uses it: user addresses
 * invalidated (VFIO_DMA_UNMAP_FLAG_VADDR) while the IOMMU mappings stay
 * and the device goes on with DMA, then given anew
 * (VFIO_DMA_MAP_FLAG_VADDR) by a new process image after exec, which
 * takes the locked_vm charge over; and type1's errno for each wrong
 * sequence.  Every test runs against vfio_iommu_type1 and vfio-mirror.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vfm_test.h"

#define KB		1024L
#define PG		4096ULL
#define IOVA		0x800000ULL
#define SIZE		(2ULL << 20)
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define VADDR		VFIO_DMA_UNMAP_FLAG_VADDR
#define ALL		VFIO_DMA_UNMAP_FLAG_ALL
#define CPR_ENV		"VFM_CPR_CHILD"

/*
 * The new process image of the CPR test: map the guest memory from the
 * memfd it inherited at a new address, give the container's mapping
 * that address, and report to the parent: the errno and VmLck before and
 * after.  It runs before the harness does, and only when exec'd so.
 */
static void __attribute__((constructor)) cpr_child(void)
{
	const char *env = getenv(CPR_ENV);
	int container, memfd, report, ret;
	long before, after;
	char line[128];
	void *p;

	if (!env || sscanf(env, "%d %d %d", &container, &memfd, &report) != 3)
		return;
	before = vfm_vmlck_kb();
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ret = p == MAP_FAILED ? -errno : vfm_set_vaddr(container, IOVA, p,
						       SIZE);
	after = vfm_vmlck_kb();
	snprintf(line, sizeof(line), "%d %ld %ld\n", ret, before, after);
	if (write(report, line, strlen(line)) < 0)
		_exit(2);
	_exit(0);
}

FIXTURE(vaddr) {
	struct vfm_ctx ctx;
	uint8_t *buf;
	long vmlck;
	long long pins;
};

FIXTURE_VARIANT(vaddr) {
	struct vfm_backend b;
};

#define VFM_FIXTURE vaddr
#include "vfm_backends.h"

FIXTURE_SETUP(vaddr)
{
	self->vmlck = vfm_vmlck_kb();
	self->pins = vfm_pins_outstanding();
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->buf = vfm_alloc(3 * SIZE);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(vaddr)
{
	vfm_ctx_close(&self->ctx);
	EXPECT_EQ(self->pins, vfm_pins_outstanding());
	EXPECT_EQ(self->vmlck, vfm_vmlck_kb());
	vfm_free(self->buf, 3 * SIZE);
}

TEST_F(vaddr, extension_is_answered_as_type1)
{
	int fresh = vfm_open_container();

	ASSERT_LE(0, fresh);
	/* Before VFIO_SET_IOMMU neither backend offers it. */
	ASSERT_EQ(0, ioctl(fresh, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	close(fresh);
	ASSERT_EQ(1, ioctl(self->ctx.container, VFIO_CHECK_EXTENSION,
			   VFIO_UPDATE_VADDR));
	ASSERT_EQ(1, ioctl(self->ctx.container, VFIO_CHECK_EXTENSION,
			   VFIO_UNMAP_ALL));
}

TEST_F(vaddr, wrong_sequences_fail_as_type1)
{
	int c = self->ctx.container, ret;
	uint8_t *a = self->buf, *b = a + SIZE, *d = b + SIZE;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_VADDR | VFIO_DMA_MAP_FLAG_READ,
		.iova = IOVA, .vaddr = (uintptr_t)a, .size = SIZE,
	};
	uint64_t unmapped;

	ASSERT_EQ(0, vfm_map(c, IOVA, a, SIZE, RW));
	ASSERT_EQ(0, vfm_map(c, IOVA + SIZE, b, SIZE, RW));
	ASSERT_EQ(0, vfm_map(c, IOVA + 2 * SIZE, d, SIZE, RW));

	/* A new address with an access; for a valid one; for nothing. */
	ASSERT_EQ(-1, ioctl(c, VFIO_IOMMU_MAP_DMA, &map));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-EINVAL, vfm_set_vaddr(c, IOVA, a, SIZE));
	ASSERT_EQ(-ENOENT, vfm_set_vaddr(c, IOVA + 4 * SIZE, a, SIZE));

	ASSERT_EQ(0, vfm_unmap(c, IOVA, SIZE, VADDR, &unmapped));
	ASSERT_EQ(SIZE, unmapped);
	ASSERT_EQ(-EINVAL, vfm_unmap(c, IOVA, SIZE, VADDR, &unmapped));
	/* One already invalid: none of the range is invalidated. */
	ASSERT_EQ(-EINVAL, vfm_unmap(c, IOVA, 3 * SIZE, VADDR, &unmapped));
	ASSERT_EQ(-EINVAL, vfm_set_vaddr(c, IOVA + SIZE, b, SIZE));
	ASSERT_EQ(-EINVAL, vfm_set_vaddr(c, IOVA + 2 * SIZE, d, SIZE));
	/* The new address must cover the mapping exactly. */
	ASSERT_EQ(-EINVAL, vfm_set_vaddr(c, IOVA, a, SIZE - PG));
	ASSERT_EQ(-EINVAL, vfm_set_vaddr(c, IOVA, a, 2 * SIZE));
	ASSERT_EQ(-EINVAL, vfm_set_vaddr(c, IOVA + PG, a, SIZE - PG));
	ASSERT_EQ(-EINVAL, vfm_set_vaddr(c, IOVA, a + 1, SIZE));

	/* No group may join while an address is invalid. */
	ret = vfm_ctx_add(&self->ctx);
	if (ret != -ENODEV)
		ASSERT_EQ(-EBUSY, ret);
	ret = vfm_ctx_attach_emul(&self->ctx, 0);
	if (ret != -ENODEV)
		ASSERT_EQ(-EBUSY, ret);

	ASSERT_EQ(0, vfm_set_vaddr(c, IOVA, a, SIZE));
	ASSERT_EQ(-EINVAL, vfm_set_vaddr(c, IOVA, a, SIZE));

	/* All at once, and a mapping with an invalid address unmaps. */
	ASSERT_EQ(0, vfm_unmap(c, 0, 0, VADDR | ALL, &unmapped));
	ASSERT_EQ(3 * SIZE, unmapped);
	ASSERT_EQ(0, vfm_set_vaddr(c, IOVA + SIZE, b, SIZE));
	ASSERT_EQ(0, vfm_unmap(c, IOVA + 2 * SIZE, SIZE, 0, &unmapped));
	ASSERT_EQ(SIZE, unmapped);
	ASSERT_EQ(0, vfm_unmap(c, 0, 0, ALL, &unmapped));
	ASSERT_EQ(2 * SIZE, unmapped);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
}

/* The device writes @seed's pattern to @iova; it must land at @mem. */
static int dma_lands(struct vfm_edu *edu, uint8_t *src, uint8_t *mem,
		     uint32_t seed)
{
	int ret;

	vfm_fill(src, 256, seed);
	ret = vfm_edu_dma(edu, IOVA + 2 * PG, 256, false);
	if (!ret)
		ret = vfm_edu_dma(edu, IOVA + 5 * PG, 256, true);
	return ret ? ret : memcmp(src, mem + 5 * PG, 256) ? -EIO : 0;
}

TEST_F(vaddr, cpr_across_exec_keeps_dma_and_moves_the_charge)
{
	struct vfm_edu *edu = &self->ctx.edu[0];
	int c = self->ctx.container, memfd, pipefd[2], status, ret, cdup;
	long before, after;
	char env[128], line[128];
	uint8_t *mem, *view;
	uint64_t unmapped;
	ssize_t len;
	pid_t pid;
	int n;

	/* Guest memory, from a memfd as QEMU has it for CPR. */
	memfd = memfd_create("vfm-guest", 0);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, SIZE));
	mem = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, vfm_map(c, IOVA, mem, SIZE, RW));
	ASSERT_EQ(self->vmlck + SIZE / KB, vfm_vmlck_kb());
	ASSERT_EQ(0, dma_lands(edu, mem + 2 * PG, mem, 1));

	/* The old image lets go of its addresses; DMA goes on. */
	ASSERT_EQ(0, vfm_unmap(c, 0, 0, VADDR | ALL, &unmapped));
	ASSERT_EQ(SIZE, unmapped);
	ASSERT_EQ(0, dma_lands(edu, mem + 2 * PG, mem, 2));
	ASSERT_EQ(0, munmap(mem, SIZE));
	view = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	ASSERT_EQ(0, dma_lands(edu, view + 2 * PG, view, 3));

	/* The new image: the container and the memfd survive exec. */
	ASSERT_EQ(0, pipe(pipefd));
	cdup = dup(c);
	ASSERT_LE(0, cdup);
	snprintf(env, sizeof(env), CPR_ENV "=%d %d %d", cdup, memfd,
		 pipefd[1]);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (!putenv(env))
			execl("/proc/self/exe", "vaddr_test", (char *)NULL);
		_exit(3);
	}
	close(pipefd[1]);
	close(cdup);
	len = read(pipefd[0], line, sizeof(line) - 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_LT(0, len);
	line[len] = 0;
	n = sscanf(line, "%d %ld %ld", &ret, &before, &after);
	ASSERT_EQ(3, n);
	ASSERT_EQ(0, ret);
	/* Charged once, to the new image, and no longer to the old. */
	ASSERT_EQ(before + (long)(SIZE / KB), after);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());

	/* The new image is gone, with its charge; the device still works. */
	ASSERT_EQ(0, dma_lands(edu, view + 2 * PG, view, 4));
	ASSERT_EQ(0, vfm_unmap(c, IOVA, SIZE, 0, &unmapped));
	ASSERT_EQ(SIZE, unmapped);
	ASSERT_EQ(self->vmlck, vfm_vmlck_kb());
	munmap(view, SIZE);
	close(memfd);
	close(pipefd[0]);
}

TEST_HARNESS_MAIN
