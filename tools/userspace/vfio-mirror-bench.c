// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror-bench: vfio-mirror's cost relative to vfio_iommu_type1, in
 * the same machine, on the same group and the same memory.
 *
 * Each case runs on both backends in alternation, ROUNDS rounds, and is
 * reported as the median of each and their ratio, vfio-mirror / type1:
 * below 1 is faster or smaller, but for operations per second, where
 * above 1 is faster.  Absolute numbers mean little under emulation; the
 * ratio is the result.  Memory is touched before it is mapped, but in the
 * cases that say "never touched": there pinning faults it in, as when a
 * VMM maps guest memory it did not preallocate, and each round gives it
 * back (MADV_DONTNEED) for the next.  "2 threads" cases map the two
 * halves of the memory from two threads at once and time both, as a VMM
 * that maps from several threads.
 *
 *   vfio-mirror-bench [CASE...]	only the cases whose names start so
 *
 * or those $VFM_BENCH names, comma-separated (tools/mirror bench passes it
 * on to the guest).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "vfm_lib.h"

#define ROUNDS		7
#define IOVA		0x100000000ULL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define PG		4096UL
#define MIB		(1024UL * 1024)
#define BIG		(512 * MIB)
#define UNTOUCHED	(1024 * MIB)
#define NSMALL		8192
#define NPAIRS		4096

#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB	(30 << 26)
#endif

enum unit { NS, OPS, BYTES };

/* What one round measured: up to two numbers (map, unmap). */
struct sample {
	long long v[2];
};

struct bench_case {
	const char *name;
	const char *what[2];	/* what v[0] and v[1] are; NULL: none */
	enum unit unit;
	/* Set up the memory: the buffer, its size. */
	char *(*alloc)(size_t *size);
	void (*free)(char *buf, size_t size);
	/* One round on @ctx; 0 or -errno. */
	int (*run)(struct vfm_ctx *ctx, char *buf, size_t size,
		   struct sample *s);
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The case running: its place among those this run selected, from 1. */
static unsigned int case_nr;

/*
 * The thread's name (its comm) says whose timed step it runs, of which
 * case: "3-t-unmap" (type1), "3-m-unmap" (vfio-mirror).  perf records
 * it with each sample, so that tools/mirror bench --profile tells the
 * steps apart; between steps it is "bench".  Threads started in a step
 * inherit it.
 */
static void step_name(const struct vfm_ctx *ctx, const char *what)
{
	const char *be = strcmp(ctx->b->module, "vfio_mirror") ? "t" : "m";
	char name[16];

	snprintf(name, sizeof(name), "%u-%s-%s", case_nr, be, what);
	prctl(PR_SET_NAME, name);
}

/* A timed step begins: its time. */
static long long step(const struct vfm_ctx *ctx, const char *what)
{
	step_name(ctx, what);
	return now_ns();
}

/* A timed step that began at @t ends: the nanoseconds it took. */
static long long step_end(long long t)
{
	long long ns = now_ns() - t;

	prctl(PR_SET_NAME, "bench");
	return ns;
}

/*
 * Kernel memory in use, bytes: the slab objects in use (/proc/slabinfo:
 * objects times their size, so that objects taken from slabs that
 * were already there count too), and vmalloc (/proc/meminfo).
 */
static long long kernel_memory(void)
{
	long long active, size, kb, sum = 0;
	char line[512];
	FILE *f;

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %lld %*d %lld", &active, &size) == 2)
			sum += active * size;
	fclose(f);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmallocUsed: %lld kB", &kb) == 1)
			sum += kb * 1024;
	fclose(f);
	return sum;
}

/* An anonymous buffer at a 2 MiB boundary, with @advice, never touched. */
static char *anon_untouched(size_t size, int advice)
{
	char *raw, *buf;

	raw = mmap(NULL, size + 2 * MIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	buf = (char *)(((uintptr_t)raw + 2 * MIB - 1) & ~(2 * MIB - 1));
	if (buf != raw)
		munmap(raw, buf - raw);
	munmap(buf + size, raw + 2 * MIB - buf);
	madvise(buf, size, advice);
	return buf;
}

/* The same, touched. */
static char *anon(size_t size, int advice)
{
	char *buf = anon_untouched(size, advice);

	if (buf)
		memset(buf, 1, size);
	return buf;
}

static char *untouched_4k(size_t *size)
{
	*size = UNTOUCHED;
	return anon_untouched(*size, MADV_NOHUGEPAGE);
}

static char *untouched_thp(size_t *size)
{
	*size = UNTOUCHED;
	return anon_untouched(*size, MADV_HUGEPAGE);
}

static char *anon_4k(size_t *size)
{
	*size = BIG;
	return anon(*size, MADV_NOHUGEPAGE);
}

static char *anon_thp(size_t *size)
{
	*size = BIG;
	return anon(*size, MADV_HUGEPAGE);
}

static char *small_4k(size_t *size)
{
	*size = NSMALL * PG;
	return anon(*size, MADV_NOHUGEPAGE);
}

static char *hugetlb(size_t size, int flags)
{
	char *buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | flags,
			 -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	memset(buf, 1, size);
	return buf;
}

static char *hugetlb_2m(size_t *size)
{
	*size = BIG;
	return hugetlb(*size, 0);
}

static char *hugetlb_1g(size_t *size)
{
	*size = 1UL << 30;
	return hugetlb(*size, MAP_HUGE_1GB);
}

static void unmap_buf(char *buf, size_t size)
{
	munmap(buf, size);
}

/* The BAR: in a type1 container of its own, for the whole run. */
static struct vfm_bar bar;

static char *bar_map(size_t *size)
{
	static const struct vfm_backend type1 = VFM_BACKEND_TYPE1;
	size_t off;

	if (vfm_bar_open(&bar, &type1, IVSHMEM_VENDOR, IVSHMEM_DEVICE,
			 IVSHMEM_BAR, 0))
		return NULL;
	/* Faulted in, so that neither backend times the faults. */
	for (off = 0; off < bar.size; off += PG)
		(void)vfm_mmio_read32(bar.map, off);
	*size = bar.size;
	return (char *)bar.map;
}

static void bar_unmap(char *buf, size_t size)
{
	vfm_bar_close(&bar);
}

/* One MAP_DMA of the whole buffer, then one UNMAP_DMA. */
static int map_then_unmap(struct vfm_ctx *ctx, char *buf, size_t size,
			  struct sample *s)
{
	long long t = step(ctx, "map");
	int ret;

	ret = vfm_map(ctx->container, IOVA, buf, size, RW);
	s->v[0] = step_end(t);
	if (ret)
		return ret;
	t = step(ctx, "unmap");
	ret = vfm_unmap(ctx->container, IOVA, size, 0, NULL);
	s->v[1] = step_end(t);
	return ret;
}

/* The same, of memory never touched, which is then given back. */
static int untouched(struct vfm_ctx *ctx, char *buf, size_t size,
		     struct sample *s)
{
	int ret = map_then_unmap(ctx, buf, size, s);

	madvise(buf, size, MADV_DONTNEED);
	return ret;
}

/* Half of a buffer, and a barrier to start mapping it at. */
struct half {
	int container;
	char *buf;
	unsigned long long iova;
	size_t size;
	pthread_barrier_t *go;
	int ret;
};

static void *map_half(void *arg)
{
	struct half *h = arg;

	pthread_barrier_wait(h->go);
	h->ret = vfm_map(h->container, h->iova, h->buf, h->size, RW);
	return NULL;
}

/*
 * This thread and another map a half each, at once, of memory never
 * touched: the wall time from their start to the end of both; then one
 * UNMAP_DMA of both, and the memory is given back.
 */
static int two_threads(struct vfm_ctx *ctx, char *buf, size_t size,
		       struct sample *s)
{
	pthread_barrier_t go;
	struct half h[2];
	long long t0;
	pthread_t t;
	int i, ret;

	for (i = 0; i < 2; i++)
		h[i] = (struct half){
			.container = ctx->container,
			.buf = buf + i * size / 2,
			.iova = IOVA + i * size / 2,
			.size = size / 2,
			.go = &go,
		};
	if (pthread_barrier_init(&go, NULL, 2))
		return -ENOMEM;
	step_name(ctx, "map");
	if (pthread_create(&t, NULL, map_half, &h[1])) {
		pthread_barrier_destroy(&go);
		step_end(0);	/* the name only */
		return -EAGAIN;
	}
	/* The other thread cannot start before this one reaches the barrier. */
	t0 = now_ns();
	pthread_barrier_wait(&go);
	h[0].ret = vfm_map(ctx->container, h[0].iova, h[0].buf, h[0].size, RW);
	pthread_join(t, NULL);
	s->v[0] = step_end(t0);
	pthread_barrier_destroy(&go);
	t0 = step(ctx, "unmap");
	ret = vfm_unmap(ctx->container, IOVA, size, 0, NULL);
	s->v[1] = step_end(t0);
	madvise(buf, size, MADV_DONTNEED);
	return h[0].ret ?: h[1].ret ?: ret;
}

/* A mapping per 4 KiB page, made one by one, then removed one by one. */
static int one_by_one(struct vfm_ctx *ctx, char *buf, size_t size,
		      struct sample *s)
{
	long long t = step(ctx, "map");
	size_t off;
	int ret = 0;

	for (off = 0; off < size && !ret; off += PG)
		ret = vfm_map(ctx->container, IOVA + off, buf + off, PG, RW);
	s->v[0] = step_end(t);
	if (ret)
		return ret;
	t = step(ctx, "unmap");
	for (off = 0; off < size && !ret; off += PG)
		ret = vfm_unmap(ctx->container, IOVA + off, PG, 0, NULL);
	s->v[1] = step_end(t);
	return ret;
}

/* Map and unmap one 4 KiB page, NPAIRS times: pairs per second. */
static int pairs(struct vfm_ctx *ctx, char *buf, size_t size,
		 struct sample *s)
{
	long long t = step(ctx, "pairs");
	int i, ret = 0;

	for (i = 0; i < NPAIRS && !ret; i++) {
		ret = vfm_map(ctx->container, IOVA, buf, PG, RW);
		if (!ret)
			ret = vfm_unmap(ctx->container, IOVA, PG, 0, NULL);
	}
	t = step_end(t);
	if (ret)
		return ret;
	s->v[0] = NPAIRS * 1000000000LL / t;
	s->v[1] = -1;
	return 0;
}

/* Kernel memory per mapping: NSMALL of 4 KiB, and one of BIG. */
static int memory(struct vfm_ctx *ctx, char *buf, size_t size,
		  struct sample *s)
{
	long long before;
	size_t off;
	int ret;

	before = kernel_memory();
	for (off = 0; off < NSMALL * PG; off += PG) {
		ret = vfm_map(ctx->container, IOVA + off, buf + off, PG, RW);
		if (ret)
			return ret;
	}
	s->v[0] = (kernel_memory() - before) / NSMALL;
	ret = vfm_unmap(ctx->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL);
	if (ret)
		return ret;

	before = kernel_memory();
	ret = vfm_map(ctx->container, IOVA, buf, size, RW);
	if (ret)
		return ret;
	s->v[1] = kernel_memory() - before;
	return vfm_unmap(ctx->container, IOVA, size, 0, NULL);
}

/* Close a container with the buffer mapped. */
static int release(struct vfm_ctx *ctx, char *buf, size_t size,
		   struct sample *s)
{
	const struct vfm_backend *b = ctx->b;
	long long t;
	int ret;

	ret = vfm_map(ctx->container, IOVA, buf, size, RW);
	if (ret)
		return ret;
	t = step(ctx, "close");
	vfm_ctx_close(ctx);
	s->v[0] = step_end(t);
	s->v[1] = -1;
	return vfm_ctx_open(ctx, b, 1);
}

/* A group needing a new domain joins: every mapping is replayed. */
static int replay(struct vfm_ctx *ctx, char *buf, size_t size,
		  struct sample *s)
{
	long long t;
	int ret;

	ret = vfm_map(ctx->container, IOVA, buf, size, RW);
	if (ret)
		return ret;
	t = step(ctx, "attach");
	ret = vfm_ctx_attach_mock(ctx, 0);
	s->v[0] = step_end(t);
	s->v[1] = -1;
	if (!ret)
		ret = vfm_ctx_detach_mock(ctx, 0);
	return ret ?: vfm_unmap(ctx->container, IOVA, size, 0, NULL);
}

/*
 * A second container of the process maps what the first maps, as a VMM
 * with a vIOMMU maps guest memory for its second device: with
 * vfio-mirror the pages are charged once, and this map records what the
 * first container holds as well as its own (acct.c).
 */
static int second_map(struct vfm_ctx *ctx, char *buf, size_t size,
		      struct vfm_ctx *other)
{
	int ret = vfm_map(ctx->container, IOVA, buf, size, RW);

	if (ret)
		return ret;
	ret = vfm_ctx_open(other, ctx->b, 0);
	return ret ?: vfm_ctx_attach_mock(other, 1);
}

static int second_unmap(struct vfm_ctx *ctx, size_t size,
			struct vfm_ctx *other, int ret)
{
	vfm_ctx_close(other);
	return ret ?: vfm_unmap(ctx->container, IOVA, size, 0, NULL);
}

static int second(struct vfm_ctx *ctx, char *buf, size_t size,
		  struct sample *s)
{
	struct vfm_ctx other;
	long long t;
	int ret;

	ret = second_map(ctx, buf, size, &other);
	if (!ret) {
		t = step(ctx, "map");
		ret = vfm_map(other.container, IOVA, buf, size, RW);
		s->v[0] = step_end(t);
	}
	if (!ret) {
		t = step(ctx, "unmap");
		ret = vfm_unmap(other.container, IOVA, size, 0, NULL);
		s->v[1] = step_end(t);
	}
	return second_unmap(ctx, size, &other, ret);
}

/* The kernel memory that map takes, per 4 KiB page. */
static int second_memory(struct vfm_ctx *ctx, char *buf, size_t size,
			 struct sample *s)
{
	struct vfm_ctx other;
	long long before;
	int ret;

	ret = second_map(ctx, buf, size, &other);
	if (!ret) {
		before = kernel_memory();
		ret = vfm_map(other.container, IOVA, buf, size, RW);
		s->v[0] = (kernel_memory() - before) / (long long)(size / PG);
		s->v[1] = -1;
	}
	return second_unmap(ctx, size, &other, ret);
}

static const struct bench_case cases[] = {
	{ "512 MiB of 4 KiB pages", { "map", "unmap" }, NS,
	  anon_4k, unmap_buf, map_then_unmap },
	{ "512 MiB of THP", { "map", "unmap" }, NS,
	  anon_thp, unmap_buf, map_then_unmap },
	{ "512 MiB of hugetlbfs 2 MiB pages", { "map", "unmap" }, NS,
	  hugetlb_2m, unmap_buf, map_then_unmap },
	{ "1 GiB hugetlbfs page", { "map", "unmap" }, NS,
	  hugetlb_1g, unmap_buf, map_then_unmap },
	{ "1 GiB BAR (PFNMAP)", { "map", "unmap" }, NS,
	  bar_map, bar_unmap, map_then_unmap },
	{ "1 GiB of 4 KiB pages never touched", { "map", "unmap" }, NS,
	  untouched_4k, unmap_buf, untouched },
	{ "1 GiB of 4 KiB pages never touched, 2 threads", { "map", "unmap" },
	  NS, untouched_4k, unmap_buf, two_threads },
	{ "1 GiB of THP never touched, 2 threads", { "map", "unmap" }, NS,
	  untouched_thp, unmap_buf, two_threads },
	{ "8192 mappings of 4 KiB, one by one", { "map", "unmap" }, NS,
	  small_4k, unmap_buf, one_by_one },
	{ "4 KiB map+unmap pairs", { "pairs/s", NULL }, OPS,
	  small_4k, unmap_buf, pairs },
	{ "kernel memory per mapping", { "4 KiB", "512 MiB" }, BYTES,
	  anon_4k, unmap_buf, memory },
	{ "close a container with 512 MiB", { "close", NULL }, NS,
	  anon_4k, unmap_buf, release },
	{ "replay 512 MiB into a mock domain", { "attach", NULL }, NS,
	  anon_4k, unmap_buf, replay },
	{ "512 MiB into a second container", { "map", "unmap" }, NS,
	  anon_4k, unmap_buf, second },
	{ "kernel memory of a second container's map", { "per page", NULL },
	  BYTES, anon_4k, unmap_buf, second_memory },
};

static void print(const struct bench_case *bc, int k, long long t1,
		  long long mirror)
{
	char name[96];

	snprintf(name, sizeof(name), "%s: %s", bc->name, bc->what[k]);
	switch (bc->unit) {
	case NS:
		printf("%-56s %11.2f ms %11.2f ms %6.3f\n", name, t1 / 1e6,
		       mirror / 1e6, (double)mirror / t1);
		break;
	case OPS:
		printf("%-56s %11lld /s %11lld /s %6.3f\n", name, t1, mirror,
		       (double)mirror / t1);
		break;
	case BYTES:
		if (t1 > 0)
			printf("%-56s %12lld B %12lld B %6.3f\n", name, t1,
			       mirror, (double)mirror / t1);
		else
			printf("%-56s %12lld B %12lld B %6s\n", name, t1,
			       mirror, "-");
		break;
	}
}

static bool wanted(const char *name, int argc, char **argv)
{
	const char *env = getenv("VFM_BENCH"), *p;
	int i;

	for (i = 1; i < argc; i++)
		if (!strncmp(name, argv[i], strlen(argv[i])))
			return true;
	if (argc > 1)
		return false;
	if (!env || !*env)
		return true;
	for (p = env; *p; p += strcspn(p, ","), p += !!*p)
		if (strcspn(p, ",") && !strncmp(name, p, strcspn(p, ",")))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct vfm_backend backends[2] = {
		VFM_BACKEND_TYPE1, VFM_BACKEND_MIRROR,
	};
	const char *profile = getenv("VFM_PROFILE");
	long long v[2][2][ROUNDS];
	struct vfm_ctx ctx[2];
	int i, k, r, ret, failed = 0;
	unsigned int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_NAME, "bench");
	printf("vfio-mirror-bench: median of %d rounds, backends alternating, ",
	       ROUNDS);
	printf("ratio vfio-mirror / type1\n\n");
	printf("%-56s %14s %14s %6s\n", "case", "type1", "vfio-mirror",
	       "ratio");
	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		const struct bench_case *bc = &cases[c];
		struct sample s;
		size_t size;
		char *buf;

		if (!wanted(bc->name, argc, argv))
			continue;
		/* For tools/mirror bench --profile: which case is which. */
		case_nr++;
		if (profile && !strcmp(profile, "1"))
			printf("profile: case %u is %s\n", case_nr, bc->name);
		buf = bc->alloc(&size);
		if (!buf) {
			printf("%-56s skipped: %s\n", bc->name,
			       strerror(errno));
			continue;
		}
		for (r = 0, ret = 0; r < ROUNDS && !ret; r++) {
			/* One group cannot be in two containers: take turns. */
			for (i = 0; i < 2 && !ret; i++) {
				ret = vfm_ctx_open(&ctx[i], &backends[i], 1);
				if (!ret)
					ret = bc->run(&ctx[i], buf, size, &s);
				vfm_ctx_close(&ctx[i]);
				v[i][0][r] = s.v[0];
				v[i][1][r] = s.v[1];
				if (ret)
					printf("%-56s %s: %s\n", bc->name,
					       backends[i].module,
					       strerror(-ret));
			}
		}
		bc->free(buf, size);
		if (ret) {
			failed++;
			continue;
		}
		for (k = 0; k < 2; k++) {
			if (!bc->what[k])
				continue;
			print(bc, k, vfm_median(v[0][k], ROUNDS),
			      vfm_median(v[1][k], ROUNDS));
		}
	}
	return failed ? 1 : 0;
}
