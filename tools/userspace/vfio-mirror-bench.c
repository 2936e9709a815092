// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror-bench: vfio-mirror's cost relative to vfio_iommu_type1, in
 * the same machine, on the same group and the same memory.
 *
 * Each case is timed on both backends in alternation, several rounds, and
 * reported as the median time of each and their ratio (vfio-mirror /
 * type1; below 1 is faster).  Absolute times mean little under emulation;
 * the ratio is the result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vfm_lib.h"

#define ROUNDS		7
#define IOVA		0x1000000ULL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define SMALL		4096
#define NSMALL		4096

struct bench_case {
	const char *name;
	size_t size;
	int advice;		/* madvise() of the buffer */
	/* Time one round on @ctx with @buf; return nanoseconds or -errno. */
	long long (*run)(struct vfm_ctx *ctx, char *buf, size_t size);
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One MAP_DMA of the whole buffer, then one UNMAP_DMA. */
static long long map_unmap(struct vfm_ctx *ctx, char *buf, size_t size)
{
	long long t = now_ns();
	int ret;

	ret = vfm_map(ctx->container, IOVA, buf, size, RW);
	if (!ret)
		ret = vfm_unmap(ctx->container, IOVA, size, 0, NULL);
	return ret ? ret : now_ns() - t;
}

/* Many small mappings, then VFIO_DMA_UNMAP_FLAG_ALL. */
static long long many_small(struct vfm_ctx *ctx, char *buf, size_t size)
{
	long long t = now_ns();
	size_t off;
	int ret = 0;

	for (off = 0; off < size && !ret; off += SMALL)
		ret = vfm_map(ctx->container, IOVA + off, buf + off, SMALL, RW);
	if (!ret)
		ret = vfm_unmap(ctx->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
				NULL);
	return ret ? ret : now_ns() - t;
}

/* Map the buffer, then time closing the container with it mapped. */
static long long release(struct vfm_ctx *ctx, char *buf, size_t size)
{
	const struct vfm_backend *b = ctx->b;
	long long t;
	int ret;

	ret = vfm_map(ctx->container, IOVA, buf, size, RW);
	if (ret)
		return ret;
	t = now_ns();
	vfm_ctx_close(ctx);
	t = now_ns() - t;
	ret = vfm_ctx_open(ctx, b, 1);
	return ret ? ret : t;
}

static const struct bench_case cases[] = {
	{ "map+unmap 64 MiB, 4 KiB pages", 64 << 20, MADV_NOHUGEPAGE,
	  map_unmap },
	{ "map+unmap 64 MiB, 2 MiB THP", 64 << 20, MADV_HUGEPAGE, map_unmap },
	{ "4096 mappings of 4 KiB, unmap all", NSMALL * SMALL,
	  MADV_NOHUGEPAGE, many_small },
	{ "close a container with 64 MiB mapped", 64 << 20, MADV_HUGEPAGE,
	  release },
};

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* A 2 MiB aligned buffer, touched, with @advice. */
static char *buffer(size_t size, int advice, char **raw)
{
	char *buf;

	*raw = mmap(NULL, size + (2 << 20), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*raw == MAP_FAILED)
		return NULL;
	buf = (char *)(((uintptr_t)*raw + (2 << 20) - 1) &
		       ~(uintptr_t)((2 << 20) - 1));
	madvise(buf, size, advice);
	memset(buf, 1, size);
	return buf;
}

int main(void)
{
	static const struct vfm_backend backends[2] = {
		VFM_BACKEND_TYPE1, VFM_BACKEND_MIRROR,
	};
	struct vfm_ctx ctx[2];
	long long t[2][ROUNDS];
	unsigned int c;
	int i, r, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < 2; i++) {
		ret = vfm_ctx_open(&ctx[i], &backends[i], 1);
		if (ret) {
			printf("cannot open a %s container: %s\n",
			       backends[i].module, strerror(-ret));
			return 1;
		}
		/* One group cannot be in two containers: take turns. */
		vfm_ctx_close(&ctx[i]);
	}

	printf("vfio-mirror-bench: median of %d rounds, backends alternating\n\n",
	       ROUNDS);
	printf("%-40s %12s %12s %8s\n", "case", "type1 ms", "mirror ms",
	       "ratio");
	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		const struct bench_case *bc = &cases[c];
		char *raw, *buf = buffer(bc->size, bc->advice, &raw);

		if (!buf)
			return 1;
		for (r = 0; r < ROUNDS; r++) {
			for (i = 0; i < 2; i++) {
				ret = vfm_ctx_open(&ctx[i], &backends[i], 1);
				if (ret)
					return 1;
				t[i][r] = bc->run(&ctx[i], buf, bc->size);
				vfm_ctx_close(&ctx[i]);
				if (t[i][r] < 0) {
					printf("%s on %s: %s\n", bc->name,
					       backends[i].module,
					       strerror((int)-t[i][r]));
					return 1;
				}
			}
		}
		for (i = 0; i < 2; i++)
			qsort(t[i], ROUNDS, sizeof(t[i][0]), cmp_ll);
		printf("%-40s %12.2f %12.2f %8.2f\n", bc->name,
		       t[0][ROUNDS / 2] / 1e6, t[1][ROUNDS / 2] / 1e6,
		       (double)t[1][ROUNDS / 2] / t[0][ROUNDS / 2]);
		munmap(raw, bc->size + (2 << 20));
	}
	return 0;
}
