// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror-faultburst: how many DMA faults of a burst reach the VMM,
 * with the VT-d producer of iommu_faultchain in each of its modes
 * (observe: read the fault records before dmar_fault() clears them;
 * takeover: handle the fault interrupt in place of dmar_fault()).
 *
 * Every edu device of the guest is put in one vfio-mirror container.  A
 * round starts one faulting DMA on each device, the starts spread over a
 * given time, so that later faults arrive while the fault interrupt of
 * earlier ones is being handled; then it counts the records the container
 * got.  Each DMA is one fault (QEMU collapses the rest of a DMA's faults
 * into its pending record), so faults - records is what was lost.
 *
 * QEMU's VT-d has one fault record: a fault that finds it still full is
 * dropped by the "hardware", which sets Primary Fault Overflow; the chain
 * counts each sighting of it in hw_overflows (one sighting may stand for
 * several dropped faults).  A fault that was recorded but never read by
 * the producer is lost without any count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vfm_lib.h"

#define ROUNDS		50
#define IOVA_NONE	0x300000ULL

static const char *const modes[] = { "observe", "takeover" };
static const int spread_us[] = { 0, 100, 300, 1000, 3000 };

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static int drain(int container)
{
	struct vfio_mirror_fault rec[64];
	int n, total = 0;

	do {
		n = vfm_read_faults(container, rec, 64, NULL, NULL);
		if (n < 0)
			return n;
		total += n;
	} while (n);
	return total;
}

int main(void)
{
	static const struct vfm_backend mirror = VFM_BACKEND_MIRROR;
	char bdfs[VFM_MAX_EDU][32];
	long long ovf0, ovf;
	struct vfm_ctx ctx;
	int nedu, m, s, r, i, got, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	nedu = vfm_edu_find(bdfs, VFM_MAX_EDU);
	if (nedu < 2) {
		printf("needs at least 2 edu devices, found %d\n", nedu);
		return 1;
	}
	ret = vfm_ctx_open(&ctx, &mirror, nedu);
	if (ret) {
		printf("cannot open a container: %s\n", strerror(-ret));
		return 1;
	}

	printf("vfio-mirror-faultburst: %d devices, %d rounds of one faulting DMA each\n",
	       nedu, ROUNDS);
	printf("%-10s %10s %8s %8s %8s %10s\n", "vtd_mode", "spread us",
	       "faults", "records", "lost", "overflows");
	for (s = 0; s < (int)ARRAY_SIZE(spread_us); s++) {
		for (m = 0; m < (int)ARRAY_SIZE(modes); m++) {
			ret = vfm_param_write("iommu_faultchain", "vtd_mode",
					      modes[m]);
			if (ret)
				goto out;
			drain(ctx.container);
			ovf0 = vfm_chain_counter("vtd", "hw_overflows");
			got = 0;
			for (r = 0; r < ROUNDS; r++) {
				for (i = 0; i < nedu; i++) {
					/* 4 bytes from an unmapped IOVA. */
					vfm_edu_dma_start(&ctx.edu[i],
							  IOVA_NONE + i * 0x1000,
							  4, false);
					if (spread_us[s] && i < nedu - 1)
						sleep_us(spread_us[s] /
							 (nedu - 1));
				}
				for (i = 0; i < nedu; i++)
					if (vfm_edu_dma_wait(&ctx.edu[i]))
						goto out;
				sleep_us(50000);
				got += drain(ctx.container);
			}
			ovf = vfm_chain_counter("vtd", "hw_overflows") - ovf0;
			printf("%-10s %10d %8d %8d %8d %10lld\n", modes[m],
			       spread_us[s], ROUNDS * nedu, got,
			       ROUNDS * nedu - got, ovf);
		}
	}
	ret = 0;
out:
	vfm_param_write("iommu_faultchain", "vtd_mode", "takeover");
	vfm_ctx_close(&ctx);
	return ret ? 1 : 0;
}
