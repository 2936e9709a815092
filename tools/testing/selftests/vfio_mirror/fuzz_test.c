// SPDX-License-Identifier: GPL-2.0-only
/*
 * A differential fuzzer: seeded random sequences of container operations,
 * run once against the kernel's type1 and once against vfio-mirror in the
 * same guest, with every result compared.
 *
 * A sequence is made from its seed alone (fz_gen()), so that a seed names
 * it.  Each run is a fresh process (fz_run()) that maps from a pool of
 * memory at a fixed address, into a container whose first group is mock
 * device 0 (a domain whose aperture may reach past 2^52 and to the top of
 * the 64-bit space) and which another mock device, in a domain of its own,
 * joins and leaves.  The operations: MAP_DMA and UNMAP_DMA (valid and not:
 * misaligned, empty, wrapping, overlapping, bisecting), unmap-all,
 * VFIO_UPDATE_VADDR's invalidate and update, apart and as a VMM's live
 * update does them (one after the other), dirty tracking's start, stop,
 * GET_BITMAP and unmap-with-bitmap, GET_INFO, a group attached and
 * detached (a replay, an aperture that does not fit), the memory behind
 * the pool replaced, a fork whose child maps or unmaps, and two threads
 * mapping at once.  After each, a run records the return value, what the
 * call wrote back, VmLck, and which IOVA pages each domain maps with which
 * permissions; at the end, which page of the pool each IOVA maps, and that
 * closing the container unpinned everything.  Some sequences run without
 * CAP_IPC_LOCK under a small RLIMIT_MEMLOCK.
 *
 * The differences uAPI.rst documents are expected, by name (fz_expected);
 * any other stops the fuzzer, which shrinks the sequence to the shortest
 * one that still differs and prints it with its seed.
 *
 * The environment sets the budget: VFM_FUZZ_SEED (the first sequence's
 * seed; the others follow it), VFM_FUZZ_SEQUENCES (how many) and
 * VFM_FUZZ_SECONDS (or until then).  tools/mirror fuzz sets them.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "vfm_test.h"

#define PG		4096ULL
#define POOL_ADDR	0x200000000000ULL	/* 2 MiB aligned */
#define POOL_PAGES	1024			/* THP half, 4 KiB half */
#define POOL_LEN	(POOL_PAGES * PG)
#define WIN_PAGES	72	/* IOVA pages an operation may touch */
#define MAX_NPAGES	8
#define SEQ_OPS		32
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* Where the IOVAs of an operation are: low, across 2^52, near 2^64. */
static const uint64_t fz_windows[] = {
	0x100000ULL,
	(1ULL << 52) - 32 * PG,
	0ULL - 256 * PG,
};

enum fz_kind {
	FZ_MAP, FZ_UNMAP, FZ_UNMAP_ALL, FZ_INVALIDATE, FZ_UPDATE,
	FZ_DIRTY_START, FZ_DIRTY_STOP, FZ_DIRTY_GET, FZ_UNMAP_DIRTY,
	FZ_INFO, FZ_ATTACH, FZ_DETACH, FZ_REPLACE, FZ_FORK, FZ_THREADS,
	FZ_LIVE_UPDATE, FZ_KINDS
};

static const char *const fz_names[FZ_KINDS] = {
	"map", "unmap", "unmap-all", "invalidate-vaddr", "update-vaddr",
	"dirty-start", "dirty-stop", "dirty-get-bitmap", "unmap-dirty",
	"get-info", "attach", "detach", "replace-memory", "fork", "threads",
	"live-update",
};

/* How an operation's arguments are made wrong. */
enum fz_bad {
	FZ_OK, FZ_BAD_IOVA, FZ_BAD_SIZE, FZ_BAD_VADDR, FZ_BAD_EMPTY,
	FZ_BAD_WRAP, FZ_BAD_FLAGS, FZ_BAD_PGSIZE, FZ_BADS
};

static const char *const fz_bad_names[FZ_BADS] = {
	"", " misaligned-iova", " misaligned-size", " misaligned-vaddr",
	" size-0", " wraps", " unknown-flag", " pgsize-8k",
};

struct fz_op {
	uint8_t kind;
	uint8_t win;
	uint8_t bad;
	uint8_t prot;		/* VFIO_DMA_MAP_FLAG_READ and _WRITE */
	uint16_t page;		/* first IOVA page in the window */
	uint16_t npages;
	uint16_t vpage;		/* first pool page */
	uint16_t page2;		/* the second thread's */
	uint16_t vpage2;
};

/* A sequence and the settings its seed chose. */
struct fz_seq {
	uint64_t seed;
	int v1;			/* type1's v1 ABI against vfio-mirror's */
	int claimed;		/* vfio-mirror as type1v2 (claim_type1) */
	int limit_pages;	/* RLIMIT_MEMLOCK without CAP_IPC_LOCK, or 0 */
	int narrow;		/* the second domain's aperture ends at 2^48 */
	int n;
	struct fz_op ops[SEQ_OPS];
};

/* What one operation did, compared between the backends. */
struct fz_res {
	int ret;
	int ret2;		/* the second thread's, or the fork's */
	uint64_t out;		/* bytes unmapped; GET_INFO's hash */
	long vmlck;
	uint64_t mapped[2];	/* per domain: hash of (IOVA page, prot) */
	uint64_t dirty[2];	/* the bitmap a dirty operation returned */
	uint64_t present[2];	/* pages of its range mapped before it */
	int above_2_48;		/* the first domain mapped IOVAs past 2^48 */
};

/* What a run ended with. */
struct fz_final {
	int done;		/* operations run */
	int status;		/* 0, or how the run failed (a message) */
	char why[160];
	uint64_t table;		/* hash of (IOVA page, pool page, prot) */
	int pages;		/* IOVA pages mapped */
	long vmlck;
	long long leaked;	/* pins left after the container closed */
	struct fz_res res[SEQ_OPS];
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int pick(uint64_t *s, unsigned int n)
{
	return splitmix(s) % n;
}

/* Pool pages clustered so that mappings share memory. */
static uint16_t pick_vpage(uint64_t *s)
{
	static const uint16_t base[] = { 0, 504, 1000 };

	return base[pick(s, 3)] + pick(s, 16);
}

/*
 * An earlier operation of the sequence: mostly the latest of @kind, if
 * there is one (an update finds what an invalidate named, an unmap what a
 * map did), else any.
 */
static const struct fz_op *fz_earlier(const struct fz_seq *seq, int i,
				      uint64_t *s, unsigned int kind)
{
	int j, any = pick(s, i);

	if (pick(s, 4))
		for (j = i - 1; j >= 0; j--)
			if (seq->ops[j].kind == kind)
				return &seq->ops[j];
	return &seq->ops[any];
}

static void fz_gen(struct fz_seq *seq, uint64_t seed)
{
	/* How often each kind comes: mapping and unmapping the most. */
	static const uint8_t weights[FZ_KINDS] = {
		[FZ_MAP] = 30, [FZ_UNMAP] = 14, [FZ_UNMAP_ALL] = 2,
		[FZ_INVALIDATE] = 5, [FZ_UPDATE] = 5, [FZ_DIRTY_START] = 4,
		[FZ_DIRTY_STOP] = 2, [FZ_DIRTY_GET] = 5, [FZ_UNMAP_DIRTY] = 4,
		[FZ_INFO] = 4, [FZ_ATTACH] = 4, [FZ_DETACH] = 3,
		[FZ_REPLACE] = 4, [FZ_FORK] = 3, [FZ_THREADS] = 4,
		[FZ_LIVE_UPDATE] = 4,
	};
	static const uint8_t prots[] = {
		RW, RW, VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE,
	};
	uint64_t s = seed;
	unsigned int total = 0, r, k;
	int i;

	for (k = 0; k < FZ_KINDS; k++)
		total += weights[k];
	memset(seq, 0, sizeof(*seq));
	seq->seed = seed;
	seq->v1 = pick(&s, 5) == 0;
	seq->claimed = !seq->v1 && pick(&s, 2);
	seq->limit_pages = pick(&s, 3) == 0 ? 16 + pick(&s, 64) : 0;
	seq->narrow = pick(&s, 3) == 0;
	seq->n = SEQ_OPS;
	for (i = 0; i < seq->n; i++) {
		struct fz_op *op = &seq->ops[i];

		r = pick(&s, total);
		for (k = 0; r >= weights[k]; k++)
			r -= weights[k];
		op->kind = k;
		/* Mostly low; the high windows need the wide aperture. */
		r = pick(&s, 8);
		op->win = r < 6 ? 0 : r - 5;
		op->bad = pick(&s, 6) ? FZ_OK : 1 + pick(&s, FZ_BADS - 1);
		op->prot = prots[pick(&s, 4)];
		op->page = pick(&s, WIN_PAGES - MAX_NPAGES);
		op->npages = 1 + pick(&s, MAX_NPAGES);
		op->vpage = pick_vpage(&s);
		op->page2 = pick(&s, WIN_PAGES - MAX_NPAGES);
		op->vpage2 = pick_vpage(&s);
		/* Across 2^52, where a run boundary may fall on it. */
		if (op->win == 1)
			op->page = 24 + pick(&s, 8);
		/*
		 * Most operations after a first map name the range of an
		 * earlier one: an unmap, an update or a bitmap then finds its
		 * mapping whole.
		 */
		if (i && op->kind != FZ_MAP && pick(&s, 4)) {
			const struct fz_op *was = fz_earlier(seq, i, &s,
				op->kind == FZ_UPDATE ? FZ_INVALIDATE : FZ_MAP);

			op->win = was->win;
			op->page = was->page;
			op->npages = was->npages;
		}
		/* Two threads: disjoint halves, so each result is its own. */
		if (op->kind == FZ_THREADS) {
			op->page %= WIN_PAGES / 2 - MAX_NPAGES;
			op->page2 = WIN_PAGES / 2 +
				    op->page2 % (WIN_PAGES / 2 - MAX_NPAGES);
		}
	}
}

static void fz_describe(const struct fz_seq *seq, int i, char *buf,
			size_t len)
{
	const struct fz_op *op = &seq->ops[i];

	snprintf(buf, len,
		 "%s win=%u page=%u npages=%u vpage=%u prot=%u%s page2=%u vpage2=%u",
		 fz_names[op->kind], op->win, op->page, op->npages, op->vpage,
		 op->prot, fz_bad_names[op->bad], op->page2, op->vpage2);
}

static uint64_t fz_hash(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

/* The state of one run: its container and what it knows of the pool. */
struct fz_run {
	const struct fz_seq *seq;
	struct vfm_ctx ctx;
	uint8_t *pool;
	uint64_t bitmap[2];
	uint32_t avail0;	/* DMA_AVAIL of the new container */
};

static uint64_t op_iova(const struct fz_op *op, uint16_t page)
{
	uint64_t iova = fz_windows[op->win] + page * PG;

	if (op->bad == FZ_BAD_IOVA)
		iova += 512;
	return iova;
}

static uint64_t op_size(const struct fz_op *op)
{
	switch (op->bad) {
	case FZ_BAD_SIZE:
		return op->npages * PG - 512;
	case FZ_BAD_EMPTY:
		return 0;
	case FZ_BAD_WRAP:
		/* From the window past 2^64: type1 and vfio-mirror differ. */
		return 0ULL - fz_windows[op->win] + op->npages * PG;
	default:
		return op->npages * PG;
	}
}

static void *op_vaddr(struct fz_run *r, uint16_t vpage, const struct fz_op *op)
{
	uint8_t *v = r->pool + vpage * PG;

	return op->bad == FZ_BAD_VADDR ? v + 512 : v;
}

static int do_map(struct fz_run *r, const struct fz_op *op, uint16_t page,
		  uint16_t vpage, uint32_t extra)
{
	/* An update names no permissions, unless that is what is wrong. */
	uint32_t flags = extra == VFIO_DMA_MAP_FLAG_VADDR &&
			 op->bad != FZ_BAD_FLAGS ? extra : op->prot | extra;

	if (op->bad == FZ_BAD_FLAGS)
		flags |= 1u << 7;
	return vfm_map(r->ctx.container, op_iova(op, page), op_vaddr(r, vpage, op),
		       op_size(op), flags);
}

static int do_unmap(struct fz_run *r, const struct fz_op *op, uint32_t flags,
		    uint64_t *out)
{
	*out = 0;
	if (op->bad == FZ_BAD_FLAGS)
		flags |= 1u << 7;
	return vfm_unmap(r->ctx.container, op_iova(op, op->page), op_size(op),
			 flags, out);
}

static uint64_t op_pgsize(const struct fz_op *op)
{
	return op->bad == FZ_BAD_PGSIZE ? 2 * PG : PG;
}

/*
 * Which pages of the operation's range domain @n maps, and a hash of every
 * (IOVA page, prot) the domain has.  -errno if it has no domain.
 */
static int domain_pages(int n, const struct fz_op *op, uint64_t *present,
			uint64_t *hash, int *above)
{
	struct vfm_mock_leaf *leaves;
	uint64_t first = fz_windows[op->win] / PG + op->page, p, last;
	int nr, i;

	*present = 0;
	*hash = 0;
	nr = vfm_mock_leaves(n, &leaves);
	if (nr < 0)
		return nr;
	for (i = 0; i < nr; i++) {
		last = (leaves[i].iova + leaves[i].size - 1) / PG;
		for (p = leaves[i].iova / PG; p <= last; p++) {
			*hash = fz_hash(*hash, p);
			*hash = fz_hash(*hash, leaves[i].prot);
			if (p >= first && p < first + 64)
				*present |= 1ULL << (p - first);
			if (above && p >= (1ULL << 48) / PG)
				*above = 1;
		}
	}
	free(leaves);
	return 0;
}

static int do_info(struct fz_run *r, uint64_t *out)
{
	struct vfio_iommu_type1_info_cap_iova_range *ranges;
	struct vfio_iommu_type1_info_cap_migration *mig;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info *info;
	uint64_t h = 0;
	uint32_t i;
	int ret;

	ret = vfm_get_info(r->ctx.container, &info);
	if (ret)
		return ret;
	h = fz_hash(h, info->flags);
	h = fz_hash(h, info->iova_pgsizes);
	/* type1's capabilities only: vfio-mirror's own are its own. */
	ranges = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (ranges)
		for (i = 0; i < ranges->nr_iovas; i++) {
			h = fz_hash(h, ranges->iova_ranges[i].start);
			h = fz_hash(h, ranges->iova_ranges[i].end);
		}
	mig = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	if (mig) {
		h = fz_hash(h, mig->flags);
		h = fz_hash(h, mig->pgsize_bitmap);
		h = fz_hash(h, mig->max_dirty_bitmap_size);
	}
	/* The mappings taken from it: the backends start from their own. */
	avail = (void *)vfm_info_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	if (avail)
		h = fz_hash(h, r->avail0 - avail->avail);
	free(info);
	*out = h;
	return 0;
}

/* New memory behind part of the pool: what was pinned stays pinned. */
static int do_replace(struct fz_run *r, const struct fz_op *op)
{
	uint8_t *v = r->pool + op->vpage * PG;
	size_t len = op->npages * PG;

	if (mmap(v, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return -errno;
	memset(v, 0x3c, len);
	return 0;
}

/* A child of the run maps (or unmaps) with the container it inherited. */
static int do_fork(struct fz_run *r, const struct fz_op *op)
{
	uint64_t out;
	int status, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (op->prot == VFIO_DMA_MAP_FLAG_WRITE)
			ret = do_unmap(r, op, 0, &out);
		else
			ret = do_map(r, op, op->page, op->vpage, 0);
		_exit(-ret);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

struct fz_thread {
	struct fz_run *r;
	const struct fz_op *op;
	uint16_t page, vpage;
	int ret;
};

static void *fz_thread_map(void *arg)
{
	struct fz_thread *t = arg;

	t->ret = do_map(t->r, t->op, t->page, t->vpage, 0);
	return NULL;
}

static int do_threads(struct fz_run *r, const struct fz_op *op, int *ret2)
{
	struct fz_thread t[2] = {
		{ r, op, op->page, op->vpage, 0 },
		{ r, op, op->page2, op->vpage2, 0 },
	};
	pthread_t tid;

	if (pthread_create(&tid, NULL, fz_thread_map, &t[1]))
		return -EAGAIN;
	fz_thread_map(&t[0]);
	pthread_join(tid, NULL);
	*ret2 = t[1].ret;
	return t[0].ret;
}

static void fz_op_run(struct fz_run *r, int i, struct fz_res *res)
{
	const struct fz_op *op = &r->seq->ops[i];
	uint64_t bytes = 8, unused;
	int c = r->ctx.container, d;

	memset(res, 0, sizeof(*res));
	memset(r->bitmap, 0, sizeof(r->bitmap));
	for (d = 0; d < 2; d++)
		domain_pages(d, op, &res->present[d], &unused,
			     d ? NULL : &res->above_2_48);

	switch (op->kind) {
	case FZ_MAP:
		res->ret = do_map(r, op, op->page, op->vpage, 0);
		break;
	case FZ_UNMAP:
		res->ret = do_unmap(r, op, 0, &res->out);
		break;
	case FZ_UNMAP_ALL:
		res->ret = vfm_unmap(c, op->bad ? PG : 0, 0,
				     VFIO_DMA_UNMAP_FLAG_ALL, &res->out);
		break;
	case FZ_INVALIDATE:
		res->ret = do_unmap(r, op, VFIO_DMA_UNMAP_FLAG_VADDR, &res->out);
		break;
	case FZ_UPDATE:
		res->ret = do_map(r, op, op->page, op->vpage,
				  VFIO_DMA_MAP_FLAG_VADDR);
		break;
	case FZ_DIRTY_START:
		res->ret = vfm_dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
		break;
	case FZ_DIRTY_STOP:
		res->ret = vfm_dirty(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
		break;
	case FZ_DIRTY_GET:
		res->ret = vfm_dirty_get(c, op_iova(op, op->page), op_size(op),
					 op_pgsize(op), r->bitmap, bytes);
		res->dirty[0] = r->bitmap[0];
		break;
	case FZ_UNMAP_DIRTY:
		res->ret = vfm_unmap_dirty(c, op_iova(op, op->page),
					   op_size(op), op_pgsize(op),
					   r->bitmap, bytes, &res->out);
		res->dirty[0] = r->bitmap[0];
		break;
	case FZ_INFO:
		res->ret = do_info(r, &res->out);
		break;
	case FZ_ATTACH:
		res->ret = vfm_ctx_attach_mock(&r->ctx, 1);
		break;
	case FZ_DETACH:
		res->ret = vfm_ctx_detach_mock(&r->ctx, 1);
		break;
	case FZ_REPLACE:
		res->ret = do_replace(r, op);
		break;
	case FZ_FORK:
		res->ret = do_fork(r, op);
		break;
	case FZ_THREADS:
		res->ret = do_threads(r, op, &res->ret2);
		break;
	case FZ_LIVE_UPDATE:
		/* A VMM's live update: invalidate, then the new address. */
		res->ret = do_unmap(r, op, VFIO_DMA_UNMAP_FLAG_VADDR, &res->out);
		if (!res->ret)
			res->ret2 = do_map(r, op, op->page, op->vpage2,
					   VFIO_DMA_MAP_FLAG_VADDR);
		break;
	}
	res->vmlck = vfm_vmlck_kb();
	for (d = 0; d < 2; d++)
		domain_pages(d, op, &unused, &res->mapped[d], NULL);
}

/* Which page of the pool each IOVA of each domain maps, now. */
static void fz_table(struct fz_run *r, struct fz_final *fin)
{
	static uint64_t phys[POOL_PAGES];
	struct vfm_mock_leaf *leaves;
	uint64_t p, pa, h = 0;
	int nr, i, j, id, fd, d;

	/* The pool's frames, from pagemap (root sees them). */
	memset(phys, 0, sizeof(phys));
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd >= 0) {
		if (pread(fd, phys, sizeof(phys), POOL_ADDR / PG * 8) !=
		    sizeof(phys))
			memset(phys, 0, sizeof(phys));
		close(fd);
	}
	for (j = 0; j < POOL_PAGES; j++)
		phys[j] = phys[j] >> 63 ?
			  (phys[j] & ((1ULL << 55) - 1)) * PG : ~0ULL;
	for (d = 0; d < 2; d++) {
		nr = vfm_mock_leaves(d, &leaves);
		for (i = 0; i < nr; i++) {
			for (p = 0; p < leaves[i].size / PG; p++) {
				pa = leaves[i].phys + p * PG;
				id = -1;	/* memory the pool no longer has */
				for (j = 0; j < POOL_PAGES; j++)
					if (phys[j] == pa) {
						id = j;
						break;
					}
				h = fz_hash(h, d);
				h = fz_hash(h, leaves[i].iova / PG + p);
				h = fz_hash(h, id);
				h = fz_hash(h, leaves[i].prot);
				fin->pages++;
			}
		}
		if (nr > 0)
			free(leaves);
	}
	fin->table = h;
}

static void fz_fail(struct fz_final *fin, const char *what, int err)
{
	fin->status = 1;
	snprintf(fin->why, sizeof(fin->why), "%s: %s", what, strerror(-err));
}

/* One run of @seq's first @n operations with backend @b, in this process. */
static void fz_run(const struct fz_seq *seq, int n,
		   const struct vfm_backend *b, struct fz_final *fin)
{
	struct fz_run r = { .seq = seq };
	long long pins;
	int i, ret;

	r.pool = mmap((void *)POOL_ADDR, POOL_LEN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r.pool == MAP_FAILED)
		return fz_fail(fin, "pool", -errno);
	madvise(r.pool, POOL_LEN / 2, MADV_HUGEPAGE);
	madvise(r.pool + POOL_LEN / 2, POOL_LEN / 2, MADV_NOHUGEPAGE);
	memset(r.pool, 0x5a, POOL_LEN);

	pins = vfm_pins_outstanding();
	ret = vfm_ctx_open(&r.ctx, b, 0);
	if (!ret)
		ret = vfm_ctx_attach_mock(&r.ctx, 0);
	if (ret)
		return fz_fail(fin, "container", ret);
	r.avail0 = vfm_dma_avail(r.ctx.container);
	if (seq->limit_pages) {
		ret = vfm_memlock_bounded((vfm_vmlck_kb() * 1024) +
					  seq->limit_pages * PG);
		if (ret)
			return fz_fail(fin, "memlock", ret);
	}
	for (i = 0; i < n; i++) {
		fz_op_run(&r, i, &fin->res[i]);
		fin->done = i + 1;
	}
	fz_table(&r, fin);
	fin->vmlck = vfm_vmlck_kb();
	vfm_ctx_close(&r.ctx);
	fin->leaked = vfm_pins_outstanding() - pins;
}

/* The mock devices as every run starts with them. */
static int fz_mocks(const struct fz_seq *seq)
{
	int n, ret = 0;

	for (n = 0; n < 2 && !ret; n++) {
		ret = vfm_mock_reset(n);
		if (!ret)
			ret = vfm_mock_set(n, VFM_MOCK_CFG_APERTURE_END,
					   n && seq->narrow ? (1ULL << 48) - 1 :
							      ~0ULL);
	}
	if (!ret)
		ret = vfm_mock_set(1, VFM_MOCK_CFG_FORMAT, 1);
	return ret;
}

/* Run it in a child, into @fin (shared memory). */
static int fz_fork_run(const struct fz_seq *seq, int n,
		       const struct vfm_backend *b, struct fz_final *fin)
{
	int status, ret;
	pid_t pid;

	memset(fin, 0, sizeof(*fin));
	ret = fz_mocks(seq);
	if (ret)
		return ret;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		fz_run(seq, n, b, fin);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fin->status = 1;
		snprintf(fin->why, sizeof(fin->why), "the run ended with %#x",
			 status);
	}
	return 0;
}

/* What a documented difference does to the rest of a sequence. */
enum fz_explains { FZ_NO, FZ_SAME_STATE, FZ_DIVERGES };

/**
 * struct fz_expected - a difference uapi.rst documents
 * @name: its name there ("Differences from vfio_iommu_type1").
 * @match: does it explain what the type1 run @t and the vfio-mirror
 *	run @m did at @op: @field, type1's @tv, vfio-mirror's @mv?  And if
 *	so, do the two containers still hold the same (FZ_SAME_STATE), or
 *	not, so that what follows cannot be compared (FZ_DIVERGES)?
 */
struct fz_expected {
	const char *name;
	enum fz_explains (*match)(const struct fz_seq *seq,
				  const struct fz_op *op,
				  const struct fz_res *t,
				  const struct fz_res *m, const char *field,
				  long long tv, long long mv);
};

static enum fz_explains top_of_iova_space(const struct fz_seq *seq,
					  const struct fz_op *op,
					  const struct fz_res *t,
					  const struct fz_res *m,
					  const char *field, long long tv,
					  long long mv)
{
	bool ret = !strcmp(field, "ret") || !strcmp(field, "ret2");

	/* A wrapping range: EINVAL in type1 6.12, EOVERFLOW here. */
	if (op->bad == FZ_BAD_WRAP && ret && tv == -EINVAL &&
	    mv == -EOVERFLOW)
		return FZ_SAME_STATE;
	/*
	 * A domain whose aperture (2^48) leaves out a mapping, joining a
	 * container whose usable range ends at 2^64 - 1: type1 6.12's
	 * conflict check wraps and lets it join.
	 */
	if (op->kind == FZ_ATTACH && !strcmp(field, "ret") && seq->narrow &&
	    tv == 0 && mv == -EINVAL && t->above_2_48 && m->above_2_48)
		return FZ_DIVERGES;
	return FZ_NO;
}

static enum fz_explains dirty_bits_of_mapped_pages(const struct fz_seq *seq,
						   const struct fz_op *op,
						   const struct fz_res *t,
						   const struct fz_res *m,
						   const char *field,
						   long long tv, long long mv)
{
	/* type1's extra bits, only for pages that were not mapped. */
	if (!strcmp(field, "dirty") && !(m->dirty[0] & ~t->dirty[0]) &&
	    !((t->dirty[0] & ~m->dirty[0]) & t->present[0]))
		return FZ_SAME_STATE;
	return FZ_NO;
}

static const struct fz_expected fz_expected[] = {
	{ "Ranges at the top of the IOVA space", top_of_iova_space },
	{ "Dirty bits only of mapped pages", dirty_bits_of_mapped_pages },
	/*
	 * "Bad page sizes": GET_BITMAP with pgsize 0 is never sent, since
	 * type1 6.12 shifts by __ffs(0) and UBSAN would fail the guest.
	 * "More reported": only type1's capabilities are compared.
	 */
};

static long long fz_named[ARRAY_SIZE(fz_expected)];
/* Sequences whose runs a documented difference set apart. */
static long long fz_diverged;

/*
 * Operations of each kind compared, how many of them succeeded, and how
 * many failed with each errno of fz_errnos (the last: any other).
 */
static const int fz_errnos[] = {
	EINVAL, ENOENT, EEXIST, ENOMEM, EBUSY, EFAULT, EOVERFLOW, EPERM, 0,
};

static long long fz_ran[FZ_KINDS], fz_ok[FZ_KINDS];
static long long fz_err[FZ_KINDS][ARRAY_SIZE(fz_errnos)];

/* Off while a difference is shrunk: its runs are not counted again. */
static bool fz_counting = true;

static void fz_count(unsigned int kind, int ret)
{
	size_t e;

	if (!fz_counting)
		return;
	fz_ran[kind]++;
	if (!ret) {
		fz_ok[kind]++;
		return;
	}
	for (e = 0; fz_errnos[e] && fz_errnos[e] != -ret; e++)
		;
	fz_err[kind][e]++;
}

/* Is the difference in @field expected?  Counts it if so. */
static enum fz_explains fz_explained(const struct fz_seq *seq,
				     const struct fz_op *op,
				     const struct fz_res *t,
				     const struct fz_res *m, const char *field,
				     long long tv, long long mv)
{
	enum fz_explains e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fz_expected); i++) {
		e = fz_expected[i].match(seq, op, t, m, field, tv, mv);
		if (e != FZ_NO) {
			fz_named[i] += fz_counting;
			return e;
		}
	}
	return FZ_NO;
}

/* Sequences whose threads raced for the last of RLIMIT_MEMLOCK. */
static long long fz_races;

/*
 * Two threads mapping at once under RLIMIT_MEMLOCK, with room for one:
 * which one gets it is the scheduler's choice, not the backend's.  The
 * runs then hold different memory, and the rest is not compared.
 */
static bool fz_race(const struct fz_op *op, const struct fz_res *t,
		    const struct fz_res *m)
{
	if (op->kind != FZ_THREADS || (t->ret == m->ret && t->ret2 == m->ret2))
		return false;
	return t->ret == m->ret2 && t->ret2 == m->ret &&
	       (t->ret == -ENOMEM || t->ret2 == -ENOMEM);
}

/* One field of what an operation did, in the type1 run and the other. */
struct fz_field {
	const char *name;
	long long t, m;
};

/*
 * The first operation whose results differ, in @what; @n for the final
 * state, -1 for none (or only documented ones).
 */
static int fz_compare(const struct fz_seq *seq, int n,
		      const struct fz_final *t, const struct fz_final *m,
		      char *what, size_t len)
{
	enum fz_explains e;
	int i;

	for (i = 0; i < n; i++) {
		const struct fz_res *a = &t->res[i], *b = &m->res[i];
		const struct fz_field f[] = {
			{ "ret", a->ret, b->ret },
			{ "ret2", a->ret2, b->ret2 },
			{ "out", a->out, b->out },
			{ "vmlck", a->vmlck, b->vmlck },
			{ "mapped", a->mapped[0], b->mapped[0] },
			{ "mapped-second-domain", a->mapped[1], b->mapped[1] },
			{ "dirty", a->dirty[0], b->dirty[0] },
		};
		size_t j;

		fz_count(seq->ops[i].kind, b->ret);
		if (fz_race(&seq->ops[i], a, b)) {
			fz_races += fz_counting;
			return -1;
		}
		for (j = 0; j < ARRAY_SIZE(f); j++) {
			if (f[j].t == f[j].m)
				continue;
			e = fz_explained(seq, &seq->ops[i], a, b, f[j].name,
					 f[j].t, f[j].m);
			if (e == FZ_DIVERGES) {
				fz_diverged += fz_counting;
				return -1;
			}
			if (e == FZ_NO) {
				snprintf(what, len, "%s: type1 %lld, vfio-mirror %lld",
					 f[j].name, f[j].t, f[j].m);
				return i;
			}
		}
	}
	if (t->table != m->table || t->pages != m->pages) {
		snprintf(what, len, "final table: type1 %d pages, vfio-mirror %d pages",
			 t->pages, m->pages);
		return n;
	}
	if (t->vmlck != m->vmlck) {
		snprintf(what, len, "final VmLck: type1 %ld, vfio-mirror %ld",
			 t->vmlck, m->vmlck);
		return n;
	}
	return -1;
}

struct fz_state {
	struct fz_final *fin;	/* [2], shared with the runs */
	const struct vfm_backend *t, *m;
	long long runs, ops;
};

/* Run both; the first difference, or -1; a run that failed: -2. */
static int fz_differs(struct fz_state *st, const struct fz_seq *seq,
		      char *what, size_t len)
{
	int k, ret;

	for (k = 0; k < 2; k++) {
		ret = fz_fork_run(seq, seq->n, k ? st->m : st->t, &st->fin[k]);
		st->runs++;
		st->ops += seq->n;
		if (ret || st->fin[k].status) {
			snprintf(what, len, "%s run: %s",
				 k ? "vfio-mirror" : "type1",
				 ret ? strerror(-ret) : st->fin[k].why);
			return -2;
		}
		if (st->fin[k].leaked) {
			snprintf(what, len, "%s run: %lld pins left after close",
				 k ? "vfio-mirror" : "type1", st->fin[k].leaked);
			return -2;
		}
	}
	return fz_compare(seq, seq->n, &st->fin[0], &st->fin[1], what, len);
}

/* The shortest sequence (by removing operations) that still differs. */
static void fz_shrink(struct fz_state *st, struct fz_seq *seq, int first)
{
	struct fz_seq try;
	char what[256];
	int chunk, i;

	fz_counting = false;
	seq->n = first < seq->n ? first + 1 : seq->n;
	for (chunk = seq->n / 2; chunk >= 1; chunk /= 2) {
		for (i = 0; i + chunk <= seq->n;) {
			try = *seq;
			memmove(&try.ops[i], &try.ops[i + chunk],
				(try.n - i - chunk) * sizeof(try.ops[0]));
			try.n -= chunk;
			if (try.n && fz_differs(st, &try, what, sizeof(what)) != -1)
				*seq = try;
			else
				i += chunk;
		}
	}
	fz_counting = true;
}

static const struct vfm_backend fz_type1 = VFM_BACKEND_TYPE1;
static const struct vfm_backend fz_type1_v1 = VFM_BACKEND_TYPE1_V1;
static const struct vfm_backend fz_mirror = VFM_BACKEND_MIRROR;
static const struct vfm_backend fz_claimed = VFM_BACKEND_MIRROR_CLAIMED;
static const struct vfm_backend fz_mirror_v1 = VFM_BACKEND_MIRROR_V1;

static unsigned long long env_ull(const char *name, unsigned long long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* VFM_FUZZ_SECONDS bounds it; the guest's deadline catches a hang. */
TEST_F_TIMEOUT(fuzz, type1_and_vfio_mirror_agree, 86400)
{
	unsigned long long seed = env_ull("VFM_FUZZ_SEED", 1);
	unsigned long long nseq = env_ull("VFM_FUZZ_SEQUENCES", 100);
	unsigned long long seconds = env_ull("VFM_FUZZ_SECONDS", 0);
	struct fz_state st = { 0 };
	struct timespec t0, now;
	struct fz_seq seq;
	char what[256], line[160];
	unsigned long long k;
	int first, found = -1, i;
	size_t e;

	VFM_REQUIRE(return, VFM_NEED_BACKEND, .b = &fz_type1);
	VFM_REQUIRE(return, VFM_NEED_BACKEND, .b = &fz_mirror);
	VFM_REQUIRE(return, VFM_NEED_MOCK);
	if (!vfm_mocks_ready(_metadata))
		return;
	st.fin = mmap(NULL, 2 * sizeof(*st.fin), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st.fin);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (k = 0; seconds || k < nseq; k++) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (seconds && (unsigned long long)(now.tv_sec - t0.tv_sec) >=
			       seconds)
			break;
		fz_gen(&seq, seed + k);
		st.t = seq.v1 ? &fz_type1_v1 : &fz_type1;
		st.m = seq.v1 ? &fz_mirror_v1 :
			seq.claimed ? &fz_claimed : &fz_mirror;
		first = fz_differs(&st, &seq, what, sizeof(what));
		if (first == -1)
			continue;
		ksft_print_msg("fuzz: seed %llu differs at operation %d: %s\n",
			       seed + k, first, what);
		found = first;
		if (first >= 0) {
			fz_shrink(&st, &seq, first);
			first = fz_differs(&st, &seq, what, sizeof(what));
		}
		ksft_print_msg("fuzz: seed %llu: v1 %d, claimed %d, memlock %d pages, narrow %d\n",
			       seed + k, seq.v1, seq.claimed, seq.limit_pages,
			       seq.narrow);
		ksft_print_msg("fuzz: shortest: %d operations, %s\n", seq.n,
			       first == -1 ? "which no longer differs" : what);
		for (i = 0; i < seq.n; i++) {
			fz_describe(&seq, i, line, sizeof(line));
			ksft_print_msg("fuzz:   %2d %s: type1 %d, vfio-mirror %d\n",
				       i, line, st.fin[0].res[i].ret,
				       st.fin[1].res[i].ret);
		}
		k++;
		break;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	ksft_print_msg("fuzz: %llu sequences from seed %llu, %lld runs, %lld operations, %lld s\n",
		       k, seed, st.runs, st.ops, (long long)(now.tv_sec - t0.tv_sec));
	for (e = 0; e < FZ_KINDS; e++) {
		char errs[160] = "";
		size_t x, len = 0;

		for (x = 0; x < ARRAY_SIZE(fz_errnos); x++)
			if (fz_err[e][x])
				len += snprintf(errs + len, sizeof(errs) - len,
						" %s %lld", fz_errnos[x] ?
						strerrorname_np(fz_errnos[x]) :
						"other", fz_err[e][x]);
		ksft_print_msg("fuzz: %-16s %6lld compared, %6lld succeeded;%s\n",
			       fz_names[e], fz_ran[e], fz_ok[e], errs);
	}
	for (e = 0; e < ARRAY_SIZE(fz_expected); e++)
		ksft_print_msg("fuzz: expected difference \"%s\": %lld\n",
			       fz_expected[e].name, fz_named[e]);
	ksft_print_msg("fuzz: compared only up to a difference that set them apart: %lld\n",
		       fz_diverged);
	ksft_print_msg("fuzz: compared only up to two threads racing for RLIMIT_MEMLOCK: %lld\n",
		       fz_races);
	ASSERT_EQ(0, vfm_set_claim_type1(false));
	ASSERT_EQ(-1, found) {
		TH_LOG("type1 and vfio-mirror differ: seed %llu", seed + k - 1);
	}
}

TEST_HARNESS_MAIN
