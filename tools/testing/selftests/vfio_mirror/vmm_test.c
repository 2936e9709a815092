// SPDX-License-Identifier: GPL-2.0-only
/*
 * An unmodified VMM on vfio-mirror: Debian's QEMU, given an edu device
 * with -device vfio-pci, selects VFIO_TYPE1v2_IOMMU and maps all guest RAM
 * into the container.  With claim_type1 the container must be vfio-mirror's
 * (its module reference proves it); without, vfio_iommu_type1's.  Then the
 * guest runs its firmware, which programs the device's BARs, and QEMU
 * quits cleanly and everything is released.
 *
 * And the limit a VMM with a virtual IOMMU needs: QEMU given two edu
 * devices behind its intel-iommu (caching mode, as device assignment
 * needs) gives each its own container and maps all guest RAM into both.
 * Under an RLIMIT_MEMLOCK just above its RAM (without CAP_IPC_LOCK, which
 * a root VMM would otherwise have), type1 charges it twice and QEMU fails
 * to start; vfio-mirror charges it once and QEMU starts.  At twice its RAM
 * both start.
 *
 * QEMU is run from VFM_QEMU (default /usr/bin/qemu-system-x86_64); the test
 * is skipped without it (a failure where VFM_REQUIRE_DEVICES is set).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfm_test.h"

#define GUEST_MB	64
/*
 * What QEMU maps besides its RAM (the firmware, its ISA alias, the option
 * ROM area: under 1 MiB), with room to spare, but less than another RAM.
 */
#define MAPPED_EXTRA_MB	8
#define CAP_IPC_LOCK	14

/* A QEMU process with its monitor on a pair of pipes. */
struct qemu {
	const char *path;
	pid_t pid;
	int in, out;
	bool echoing;		/* the monitor is echoing the last command */
	char log[8192];		/* what it printed, as far as it fits */
	size_t loglen;
};

/* How to start it. */
struct qemu_opts {
	int ndev;		/* edu devices assigned */
	int mem_mb;		/* guest RAM; 0: GUEST_MB */
	bool viommu;		/* behind an intel-iommu */
	long memlock_mb;	/* RLIMIT_MEMLOCK without CAP_IPC_LOCK; 0: root's */
};

FIXTURE(vmm) {
	struct qemu q;
	char bdf[2][32];
	int nedu;
};

FIXTURE_VARIANT(vmm) {
	struct vfm_backend b;
};

#define VFM_FIXTURE vmm
#include "vfm_backends.h"

FIXTURE_SETUP(vmm)
{
	struct qemu *q = &self->q;

	q->pid = -1;
	q->in = -1;
	q->out = -1;
	q->path = getenv("VFM_QEMU");
	if (!q->path)
		q->path = "/usr/bin/qemu-system-x86_64";
	VFM_REQUIRE(return, VFM_NEED_UNMODIFIED_VMM, .b = &variant->b);
	VFM_REQUIRE(return, VFM_NEED_BACKEND, .b = &variant->b);
	VFM_REQUIRE(return, VFM_NEED_PROGRAM, .what = q->path);
	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 1);
	self->nedu = vfm_edu_find(self->bdf, 2);
	ASSERT_LE(1, self->nedu);
	ASSERT_EQ(0, vfm_set_claim_type1(variant->b.claim_type1));
}

FIXTURE_TEARDOWN(vmm)
{
	struct qemu *q = &self->q;

	if (q->pid > 0) {
		kill(q->pid, SIGKILL);
		waitpid(q->pid, NULL, 0);
	}
	if (q->in >= 0)
		close(q->in);
	if (q->out >= 0)
		close(q->out);
	vfm_set_claim_type1(false);
}

/* In QEMU's child: the limit, and no CAP_IPC_LOCK after exec. */
static void qemu_limit(long mb)
{
	struct rlimit rl = { mb << 20, mb << 20 };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) ||
	    prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK, 0, 0, 0))
		_exit(126);
}

/* Start QEMU with the first @o->ndev devices of @bdf assigned. */
static int qemu_start(struct qemu *q, char bdf[][32],
		      const struct qemu_opts *o)
{
	char dev[2][64], mem[16];
	const char *argv[32];
	int to[2], from[2], i, n = 0;

	snprintf(mem, sizeof(mem), "%dM", o->mem_mb ?: GUEST_MB);
	argv[n++] = q->path;
	argv[n++] = "-M";
	argv[n++] = "q35";
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-accel";
	argv[n++] = "tcg,tb-size=32";
	argv[n++] = "-nodefaults";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-S";
	argv[n++] = "-monitor";
	argv[n++] = "stdio";
	if (o->viommu) {
		argv[n++] = "-device";
		argv[n++] = "intel-iommu,caching-mode=on";
	}
	for (i = 0; i < o->ndev; i++) {
		snprintf(dev[i], sizeof(dev[i]), "vfio-pci,host=%s", bdf[i]);
		argv[n++] = "-device";
		argv[n++] = dev[i];
	}
	argv[n] = NULL;
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return -errno;

	q->loglen = 0;
	q->log[0] = 0;
	q->echoing = false;
	q->pid = fork();
	if (q->pid < 0)
		return -errno;
	if (!q->pid) {
		if (o->memlock_mb)
			qemu_limit(o->memlock_mb);
		dup2(to[0], 0);
		dup2(from[1], 1);
		dup2(from[1], 2);
		execv(q->path, (char **)argv);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	q->in = to[1];
	q->out = from[0];
	return 0;
}

/* Echo @c to the test log, and keep it in @q->log. */
static void qemu_log(struct qemu *q, char c)
{
	fputc(c, stderr);
	if (q->loglen < sizeof(q->log) - 1) {
		q->log[q->loglen++] = c;
		q->log[q->loglen] = 0;
	}
}

/*
 * Read QEMU's output until the monitor prompt; echo it to the test log
 * without the line editor's escape sequences.  Return 0, or -ETIMEDOUT or
 * -EPIPE.
 */
static int qemu_prompt(struct qemu *q, int seconds)
{
	static const char prompt[] = "(qemu) ";
	struct pollfd pfd = { .fd = q->out, .events = POLLIN };
	time_t end = time(NULL) + seconds;
	bool escape = false;
	size_t matched = 0;
	char c;

	while (time(NULL) < end) {
		if (poll(&pfd, 1, 1000) != 1)
			continue;
		if (read(q->out, &c, 1) != 1)
			return -EPIPE;
		if (q->echoing)
			q->echoing = c != '\n';
		else if (c == 033)
			escape = true;
		else if (escape)
			escape = !((c >= 'A' && c <= 'Z') ||
				   (c >= 'a' && c <= 'z'));
		else if (c == '\n' || (c >= ' ' && c < 0177))
			qemu_log(q, c);
		matched = c == prompt[matched] ? matched + 1 :
			  c == prompt[0] ? 1 : 0;
		if (matched == sizeof(prompt) - 1) {
			fputc('\n', stderr);
			return 0;
		}
	}
	return -ETIMEDOUT;
}

/* Send a monitor command; its echo is replaced by ours in the log. */
static int qemu_cmd(struct qemu *q, const char *cmd)
{
	ssize_t len = strlen(cmd);

	fputs(cmd, stderr);
	q->echoing = true;
	return write(q->in, cmd, len) == len ? 0 : -EIO;
}

/*
 * Wait for QEMU, once told to quit or failed, then close its pipes (not
 * before: it may still write as it quits): 0 with its exit status in
 * @status, or -1 if it was not ours to wait for.
 */
static int qemu_reap(struct qemu *q, int *status)
{
	int ret = waitpid(q->pid, status, 0) == q->pid ? 0 : -1;

	q->pid = -1;
	close(q->in);
	close(q->out);
	q->in = -1;
	q->out = -1;
	return ret;
}

static long proc_vmlck_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

TEST_F_TIMEOUT(vmm, qemu_runs_a_guest_with_vfio_pci, 300)
{
	int refs = vfm_module_refcnt(variant->b.module);
	struct qemu *q = &self->q;
	int status;

	const struct qemu_opts o = { .ndev = 1 };

	ASSERT_LE(0, refs);
	ASSERT_EQ(0, qemu_start(q, self->bdf, &o));
	/*
	 * The monitor prints its first prompt when it opens, before the
	 * devices are realized; it answers commands only from the main
	 * loop, which runs after them.
	 */
	ASSERT_EQ(0, qemu_prompt(q, 240));
	ASSERT_EQ(0, qemu_cmd(q, "info status\n"));
	ASSERT_EQ(0, qemu_prompt(q, 240));

	/* Realized: the container is on the intended backend... */
	ASSERT_EQ(refs + 1, vfm_module_refcnt(variant->b.module));
	/* ...and all guest RAM is pinned through it. */
	ASSERT_LE(GUEST_MB * 1024, proc_vmlck_kb(q->pid));

	/* Let the firmware run: it enables the device and sizes its BARs. */
	ASSERT_EQ(0, qemu_cmd(q, "cont\n"));
	ASSERT_EQ(0, qemu_prompt(q, 60));
	sleep(5);
	ASSERT_EQ(0, qemu_cmd(q, "info pci\n"));
	ASSERT_EQ(0, qemu_prompt(q, 60));
	ASSERT_EQ(0, qemu_cmd(q, "quit\n"));

	ASSERT_EQ(q->pid, waitpid(q->pid, &status, 0));
	q->pid = -1;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(refs, vfm_module_refcnt(variant->b.module));
}

/*
 * Start QEMU with both devices behind its vIOMMU under a limit of @mb:
 * its VmLck once started, or -1 when it failed to start (checked to be
 * for want of locked memory).
 */
static long viommu_start(struct __test_metadata *_metadata, struct qemu *q,
			 char bdf[][32], long mb)
{
	const struct qemu_opts o = {
		.ndev = 2, .viommu = true, .memlock_mb = mb,
	};
	long kb = -1;
	int status, ret;

	ASSERT_EQ(0, qemu_start(q, bdf, &o)) {
		return -1;
	}
	ret = qemu_prompt(q, 240);
	if (!ret)
		ret = qemu_cmd(q, "info status\n") ?: qemu_prompt(q, 240);
	if (!ret) {
		/* Realized: both containers mapped all guest RAM. */
		kb = proc_vmlck_kb(q->pid);
		ASSERT_EQ(0, qemu_cmd(q, "quit\n")) {
			return -1;
		}
	} else {
		EXPECT_EQ(-EPIPE, ret);
		/* "vfio_dma_map(...) = -12 (Cannot allocate memory)" */
		EXPECT_NE(NULL, strstr(q->log, "Cannot allocate memory"));
	}
	EXPECT_EQ(0, qemu_reap(q, &status));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(!!ret, WEXITSTATUS(status));
	return kb;
}

TEST_F_TIMEOUT(vmm, two_devices_behind_a_viommu_under_a_memlock_limit, 600)
{
	const long once = GUEST_MB + MAPPED_EXTRA_MB;
	bool shares = !vfm_is_type1(&variant->b);
	long kb;

	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 2);
	/* Just above its RAM: type1 needs twice that, vfio-mirror once. */
	kb = viommu_start(_metadata, &self->q, self->bdf, once);
	TH_LOG("memlock %ld MiB: VmLck %ld kB", once, kb);
	if (shares) {
		ASSERT_LE(GUEST_MB * 1024, kb);
		ASSERT_GT(once * 1024, kb);
	} else {
		ASSERT_EQ(-1, kb);
	}

	/* At twice: both start, type1 charged twice. */
	kb = viommu_start(_metadata, &self->q, self->bdf,
			  2 * once);
	TH_LOG("memlock %ld MiB: VmLck %ld kB", 2 * once, kb);
	ASSERT_LE((shares ? 1 : 2) * GUEST_MB * 1024, kb);
	ASSERT_GT((shares ? 1 : 2) * once * 1024, kb);
}

/*
 * What a user waits for: QEMU started with 1 GiB of guest RAM never
 * touched and an edu device assigned, until its monitor answers a
 * command (-S: the devices realized, all RAM mapped and pinned, the main
 * loop running, when QMP would greet).  In vfio-mirror's row, type1 and
 * vfio-mirror take turns, three starts each, in this boot; their medians
 * and the ratio are logged, a figure of performance.rst, not a bar.
 */
#define START_MB	1024
#define START_ROUNDS	3

/*
 * Start QEMU with START_MB of RAM on @module's containers, wait for its
 * monitor, quit: the time to the monitor's answer in ms, or -1.
 */
static long long start_once(struct __test_metadata *_metadata,
			    struct qemu *q, char bdf[][32], const char *module)
{
	const struct qemu_opts o = { .ndev = 1, .mem_mb = START_MB };
	int refs = vfm_module_refcnt(module), status;
	struct timespec t0, t1;

	ASSERT_LE(0, refs) {
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, qemu_start(q, bdf, &o)) {
		return -1;
	}
	ASSERT_EQ(0, qemu_prompt(q, 240)) {
		return -1;
	}
	ASSERT_EQ(0, qemu_cmd(q, "info status\n")) {
		return -1;
	}
	ASSERT_EQ(0, qemu_prompt(q, 240)) {
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* On @module's container, all of its RAM pinned. */
	ASSERT_EQ(refs + 1, vfm_module_refcnt(module)) {
		return -1;
	}
	ASSERT_LE(START_MB * 1024L, proc_vmlck_kb(q->pid)) {
		return -1;
	}
	ASSERT_EQ(0, qemu_cmd(q, "quit\n")) {
		return -1;
	}
	ASSERT_EQ(0, qemu_reap(q, &status)) {
		return -1;
	}
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		return -1;
	}
	ASSERT_EQ(refs, vfm_module_refcnt(module)) {
		return -1;
	}
	return (t1.tv_sec - t0.tv_sec) * 1000LL +
	       (t1.tv_nsec - t0.tv_nsec) / 1000000;
}

TEST_F_TIMEOUT(vmm, a_guest_of_1_gib_starts, 600)
{
	static const char *const module[2] = {
		"vfio_iommu_type1", "vfio_mirror",
	};
	long long ms[2][START_ROUNDS], t1, mirror;
	int r, i, k;

	VFM_REQUIRE(return, VFM_NEED_TYPE1_BESIDE, .b = &variant->b);
	/* Each round's first backend in turn. */
	for (r = 0; r < START_ROUNDS; r++) {
		for (i = 0; i < 2; i++) {
			k = i ^ (r & 1);
			ASSERT_EQ(0, vfm_set_claim_type1(k));
			ms[k][r] = start_once(_metadata, &self->q, self->bdf,
					      module[k]);
			ASSERT_LE(0, ms[k][r]);
			TH_LOG("round %d: %s %lld ms", r, module[k], ms[k][r]);
		}
	}
	t1 = vfm_median(ms[0], START_ROUNDS);
	mirror = vfm_median(ms[1], START_ROUNDS);
	TH_LOG("start to monitor, medians of %d: type1 %lld ms, vfio-mirror %lld ms",
	       START_ROUNDS, t1, mirror);
	TH_LOG("ratio vfio-mirror / type1 %.3f", (double)mirror / t1);
}

TEST_HARNESS_MAIN
