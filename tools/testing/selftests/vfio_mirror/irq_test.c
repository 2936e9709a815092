// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device interrupts through a container: an MSI raised by the edu device
 * reaches the eventfd the user registered.  Where the IOMMU translates MSI
 * writes (SMMUv3 with a GICv3 ITS) this needs the MSI window of the
 * container's domain.  Every test runs against vfio_iommu_type1 and
 * vfio-mirror.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vfm_test.h"

FIXTURE(irq) {
	struct vfm_ctx ctx;
	int efd;
};

FIXTURE_VARIANT(irq) {
	struct vfm_backend b;
};

#define VFM_FIXTURE irq
#include "vfm_backends.h"

FIXTURE_SETUP(irq)
{
	self->efd = -1;
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
	self->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(irq)
{
	vfm_ctx_close(&self->ctx);
	if (self->efd >= 0)
		close(self->efd);
}

TEST_F(irq, msi_reaches_eventfd)
{
	struct vfm_edu *edu = &self->ctx.edu[0];
	int i;

	ASSERT_EQ(0, vfm_edu_msi_enable(edu, self->efd));
	/* Nothing before the device raises it. */
	ASSERT_EQ(0, vfm_eventfd_wait(self->efd, 100));
	for (i = 0; i < 3; i++) {
		vfm_edu_irq_raise(edu, 1u << i);
		ASSERT_LE(1, vfm_eventfd_wait(self->efd, 3000))
			TH_LOG("interrupt %d did not arrive", i);
		vfm_edu_irq_ack(edu, 1u << i);
	}
	ASSERT_EQ(0, vfm_edu_msi_disable(edu));
	vfm_edu_irq_raise(edu, 1);
	ASSERT_EQ(0, vfm_eventfd_wait(self->efd, 200));
	vfm_edu_irq_ack(edu, 1);
}

TEST_F(irq, msi_with_mappings_in_place)
{
	struct vfm_edu *edu = &self->ctx.edu[0];
	size_t size = 2 << 20;
	char *buf = vfm_alloc(size);

	/* A busy IOVA space must not disturb the MSI window. */
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, vfm_map(self->ctx.container, 0x100000, buf, size,
			     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	ASSERT_EQ(0, vfm_edu_msi_enable(edu, self->efd));
	vfm_edu_irq_raise(edu, 1);
	ASSERT_LE(1, vfm_eventfd_wait(self->efd, 3000));
	vfm_edu_irq_ack(edu, 1);
	ASSERT_EQ(0, vfm_edu_msi_disable(edu));
	vfm_free(buf, size);
}

TEST_HARNESS_MAIN
