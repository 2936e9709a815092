// SPDX-License-Identifier: GPL-2.0-only
/*
 * An unmodified VMM on vfio-mirror: Debian's QEMU, given an edu device
 * with -device vfio-pci, selects VFIO_TYPE1v2_IOMMU and maps all guest RAM
 * into the container.  With claim_type1 the container must be vfio-mirror's
 * (its module reference proves it); without, vfio_iommu_type1's.  Then the
 * guest runs its firmware, which programs the device's BARs, and QEMU
 * quits cleanly and everything is released.
 *
 * QEMU is run from VFM_QEMU (default /usr/bin/qemu-system-x86_64); the test
 * is skipped without it (a failure where VFM_REQUIRE_DEVICES is set).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfm_test.h"

#define GUEST_MB	64

/* A QEMU process with its monitor on a pair of pipes. */
struct qemu {
	const char *path;
	pid_t pid;
	int in, out;
	bool echoing;		/* the monitor is echoing the last command */
};

FIXTURE(vmm) {
	struct qemu q;
	char bdf[1][32];
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
	ASSERT_EQ(1, vfm_edu_find(self->bdf, 1));
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

/* Start QEMU with the device at @bdf assigned to its guest. */
static int qemu_start(struct qemu *q, const char *bdf)
{
	char dev[64], mem[16];
	int to[2], from[2];

	snprintf(dev, sizeof(dev), "vfio-pci,host=%s", bdf);
	snprintf(mem, sizeof(mem), "%dM", GUEST_MB);
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return -errno;

	q->pid = fork();
	if (q->pid < 0)
		return -errno;
	if (!q->pid) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		dup2(from[1], 2);
		execl(q->path, q->path, "-M", "q35", "-m", mem,
		      "-accel", "tcg,tb-size=32", "-nodefaults",
		      "-display", "none", "-S", "-monitor", "stdio",
		      "-device", dev, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	q->in = to[1];
	q->out = from[0];
	return 0;
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
			fputc(c, stderr);
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

	ASSERT_LE(0, refs);
	ASSERT_EQ(0, qemu_start(q, self->bdf[0]));
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

TEST_HARNESS_MAIN
