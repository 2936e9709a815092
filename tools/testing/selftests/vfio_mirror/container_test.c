// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which backend serves a container: VFIO_MIRROR_IOMMU always selects
 * vfio-mirror; VFIO_TYPE1v2_IOMMU selects vfio-mirror only with its
 * claim_type1 parameter, vfio_iommu_type1 otherwise.  And the extensions
 * each answers.  vfm_set_iommu() checks the module reference that proves
 * which backend took the container.
 *
 * VFM_DMA_CC, when set, is the VFIO_DMA_CC_IOMMU answer the guest's IOMMU
 * implies: 1 where every domain can block non-coherent DMA (VT-d with
 * snoop control), 0 where none can.
 */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfm_test.h"

FIXTURE(container) {
	struct vfm_ctx ctx;
};

FIXTURE_VARIANT(container) {
	struct vfm_backend b;
};

#define VFM_FIXTURE container
#include "vfm_backends.h"

FIXTURE_SETUP(container)
{
	if (!vfm_ctx_setup(_metadata, &self->ctx, &variant->b, 1))
		return;
}

FIXTURE_TEARDOWN(container)
{
	vfm_ctx_close(&self->ctx);
	vfm_set_claim_type1(false);
}

static long ext(int container, unsigned long e)
{
	return ioctl(container, VFIO_CHECK_EXTENSION, e);
}

TEST_F(container, serves_the_container_and_maps)
{
	char *buf = vfm_alloc(4096);

	/* The set-up proved which module took the container. */
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, vfm_map(self->ctx.container, 0x100000, buf, 4096,
			     VFIO_DMA_MAP_FLAG_READ));
	vfm_free(buf, 4096);
}

TEST_F(container, extensions_after_set_iommu)
{
	int c = self->ctx.container;

	ASSERT_EQ(1, ext(c, variant->b.type));
	ASSERT_EQ(1, ext(c, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, ext(c, VFIO_UNMAP_ALL));
	ASSERT_EQ(0, ext(c, VFIO_SPAPR_TCE_IOMMU));
}

TEST_F(container, dma_cc_follows_the_iommu)
{
	long ans = ext(self->ctx.container, VFIO_DMA_CC_IOMMU);

	VFM_REQUIRE(return, VFM_NEED_FACT, .what = "VFM_DMA_CC");
	ASSERT_EQ(atoi(getenv("VFM_DMA_CC")), ans);
}

TEST_F(container, second_set_iommu_is_refused)
{
	ASSERT_EQ(-1, ioctl(self->ctx.container, VFIO_SET_IOMMU,
			    variant->b.type));
	ASSERT_EQ(EINVAL, errno);
}

TEST(mirror_type_is_offered_before_set_iommu)
{
	int c = vfm_open_container();

	ASSERT_LE(0, c);
	ASSERT_EQ(1, ext(c, VFIO_MIRROR_IOMMU));
	close(c);
}

/*
 * Every extension number type1 knows, and a few it does not, are answered
 * by a vfio-mirror container as by a type1 container of the same rules.
 */
TEST(extensions_match_type1)
{
	static const struct vfm_backend backends[] = {
		VFM_BACKEND_TYPE1, VFM_BACKEND_MIRROR,
		VFM_BACKEND_MIRROR_CLAIMED, VFM_BACKEND_TYPE1_V1,
		VFM_BACKEND_MIRROR_V1,
	};
	long want[2][16], got;
	struct vfm_ctx ctx;
	unsigned int i, e;

	for (i = 0; i < ARRAY_SIZE(backends); i++) {
		if (!vfm_ctx_setup(_metadata, &ctx, &backends[i], 1))
			return;
		for (e = 0; e < 16; e++) {
			got = ext(ctx.container, e);
			if (!i || i == 3)
				want[i == 3][e] = got;
			EXPECT_EQ(want[i >= 3][e], got) {
				TH_LOG("%s type %lu: extension %u",
				       backends[i].module, backends[i].type, e);
			}
		}
		ASSERT_EQ(1, ext(ctx.container, VFIO_UPDATE_VADDR));
		vfm_ctx_close(&ctx);
		vfm_set_claim_type1(false);
	}
}

/* type1's capabilities of GET_INFO, byte for byte, in type1's order. */
TEST(info_capabilities_match_type1)
{
	static const struct vfm_backend backends[] = {
		VFM_BACKEND_TYPE1, VFM_BACKEND_MIRROR,
		VFM_BACKEND_MIRROR_CLAIMED,
	};
	static const uint16_t ids[] = {
		VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
		VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
		VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
	};
	struct vfio_info_cap_header *hdr, *first[ARRAY_SIZE(ids)] = {};
	struct vfio_iommu_type1_info *info, *info0 = NULL;
	unsigned int i, k, len;
	struct vfm_ctx ctx;

	for (i = 0; i < ARRAY_SIZE(backends); i++) {
		if (!vfm_ctx_setup(_metadata, &ctx, &backends[i], 1))
			return;
		ASSERT_EQ(0, vfm_get_info(ctx.container, &info));
		/* The first capability is type1's first. */
		hdr = (void *)((char *)info + info->cap_offset);
		ASSERT_EQ(ids[0], hdr->id);
		for (k = 0; k < ARRAY_SIZE(ids); k++) {
			hdr = vfm_info_cap(info, ids[k]);
			ASSERT_NE(NULL, hdr);
			if (!i) {
				first[k] = hdr;
				continue;
			}
			/* Up to the next one: its own header's next differs. */
			len = ids[k] == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE ?
			      sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
			      ((struct vfio_iommu_type1_info_cap_iova_range *)
			       hdr)->nr_iovas * sizeof(struct vfio_iova_range) :
			      ids[k] == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL ?
			      sizeof(struct vfio_iommu_type1_info_dma_avail) :
			      sizeof(struct vfio_iommu_type1_info_cap_migration);
			ASSERT_EQ(first[k]->version, hdr->version);
			ASSERT_EQ(0, memcmp((char *)first[k] + sizeof(*hdr),
					    (char *)hdr + sizeof(*hdr),
					    len - sizeof(*hdr))) {
				TH_LOG("%s: capability %u differs",
				       backends[i].module, ids[k]);
			}
		}
		ASSERT_EQ(info0 ? info0->iova_pgsizes : info->iova_pgsizes,
			  info->iova_pgsizes);
		if (i)
			free(info);
		else
			info0 = info;
		vfm_ctx_close(&ctx);
		vfm_set_claim_type1(false);
	}
	free(info0);
}

TEST(type1v2_goes_to_type1_unless_claimed)
{
	struct vfm_backend b = VFM_BACKEND_TYPE1;
	struct vfm_ctx ctx;

	/* claim_type1=0: the kernel's type1, proven by its module ref. */
	if (!vfm_ctx_setup(_metadata, &ctx, &b, 1))
		return;
	vfm_ctx_close(&ctx);

	/* claim_type1=1: the same request lands on vfio-mirror. */
	b.module = "vfio_mirror";
	b.claim_type1 = true;
	ASSERT_EQ(0, vfm_ctx_open(&ctx, &b, 1));
	vfm_ctx_close(&ctx);
	vfm_set_claim_type1(false);
}

TEST(dma_cc_matches_type1)
{
	static const struct vfm_backend type1 = VFM_BACKEND_TYPE1;
	static const struct vfm_backend mirror = VFM_BACKEND_MIRROR;
	struct vfm_ctx ctx;
	long cc1, ccm;

	if (!vfm_ctx_setup(_metadata, &ctx, &type1, 1))
		return;
	cc1 = ext(ctx.container, VFIO_DMA_CC_IOMMU);
	vfm_ctx_close(&ctx);

	ASSERT_EQ(0, vfm_ctx_open(&ctx, &mirror, 1));
	ccm = ext(ctx.container, VFIO_DMA_CC_IOMMU);
	vfm_ctx_close(&ctx);
	ksft_print_msg("VFIO_DMA_CC_IOMMU: type1 %ld, vfio-mirror %ld\n",
		       cc1, ccm);
	ASSERT_EQ(cc1, ccm);
}

TEST_HARNESS_MAIN
