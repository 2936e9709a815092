/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The backend table: one variant row per backend a guest can have, as the
 * upstream VFIO selftests have one row per IOMMU mode.  A fixture takes
 * its variants from here, so that each assertion is checked against each
 * backend in the same guest:
 *
 *	FIXTURE_VARIANT(map) { struct vfm_backend b; };
 *	#define VFM_FIXTURE map
 *	#include "vfm_backends.h"
 *
 * A fixture with a second dimension includes it once per value, with
 * VFM_VARIANT_SUFFIX (appended to the row's name) and VFM_VARIANT_FIELDS
 * (more initialisers of the variant) defined too.  This file has no
 * include guard: it is meant to be included again, and forgets the three
 * names at its end.
 *
 * The rows: type1 with the v1 and the v2 ABI, vfio-mirror's own type, and
 * vfio-mirror claiming type1 (claim_type1=1), which serves both of type1's
 * ABIs, as an unmodified VMM gets it.
 */
#ifndef VFM_FIXTURE
#error "define VFM_FIXTURE, the fixture whose variants these are"
#endif
#ifndef VFM_VARIANT_SUFFIX
#define VFM_VARIANT_SUFFIX
#endif
#ifndef VFM_VARIANT_FIELDS
#define VFM_VARIANT_FIELDS
#endif

VFM_VARIANT(VFM_FIXTURE, type1_v1) {
	.b = VFM_BACKEND_TYPE1_V1, VFM_VARIANT_FIELDS
};

VFM_VARIANT(VFM_FIXTURE, type1) {
	.b = VFM_BACKEND_TYPE1, VFM_VARIANT_FIELDS
};

VFM_VARIANT(VFM_FIXTURE, mirror) {
	.b = VFM_BACKEND_MIRROR, VFM_VARIANT_FIELDS
};

VFM_VARIANT(VFM_FIXTURE, mirror_claimed) {
	.b = VFM_BACKEND_MIRROR_CLAIMED, VFM_VARIANT_FIELDS
};

VFM_VARIANT(VFM_FIXTURE, mirror_claimed_v1) {
	.b = VFM_BACKEND_MIRROR_V1, VFM_VARIANT_FIELDS
};

#undef VFM_FIXTURE
#undef VFM_VARIANT_SUFFIX
#undef VFM_VARIANT_FIELDS
