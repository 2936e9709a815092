// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault chain module itself (iommu_faultchain.ko): its producers hook
 * what they say they hook and name the IOMMUs as the kernel does; the
 * consumers never run with interrupts off; VT-d overflows and kprobe hits
 * that the producer misses are counted; and the module can be unloaded
 * and loaded again while faults are being reported from hard interrupts,
 * and not while anyone uses it.
 *
 * The tests that widen a race window use the test module
 * vfio_mirror_probe: a kprobe whose handler waits where the window is.
 * The unload test needs the modules as files: $VFM_MODULE_DIR (default
 * /lib/modules) holds iommu_faultchain.ko and vfio_mirror.ko, loaded
 * again with $VFM_FAULTCHAIN_ARGS and $VFM_MIRROR_ARGS.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfm_test.h"

#define IOVA_NONE	0x300000ULL	/* never mapped */

static const struct vfm_backend mirror = VFM_BACKEND_MIRROR;

static long long storm_count(void)
{
	return vfm_mock_storm_reported(0);
}

TEST(each_producer_says_how_it_is_hooked)
{
	const struct vfm_hw *hw = vfm_hw();
	char state[2048], want[128];
	int irq = -1, cpu;

	ASSERT_STRNE("none", hw->name);
	ASSERT_EQ(0, vfm_chain_state("generic", state, sizeof(state)));
	ASSERT_NE(NULL, strstr(state, "hook tracepoint io_page_fault"));
	ASSERT_EQ(0, vfm_chain_state(hw->producer, state, sizeof(state)));
	TH_LOG("%s:\n%s", hw->producer, state);
	if (!strcmp(hw->name, "VT-d")) {
		cpu = vfm_irq_cpu("dmar0", &irq);
		ASSERT_NE(NULL, strstr(state, "hook kprobe dmar_fault"));
		/* The kernel's name of the unit at that base, and its irq. */
		ASSERT_LE(0, cpu);
		snprintf(want, sizeof(want),
			 "dmar0 segment 0 base 0xfed90000 irq %d ", irq);
		ASSERT_NE(NULL, strstr(state, want));
	} else if (!strcmp(hw->name, "AMD-Vi")) {
		const char *ovf =
			"overflows kprobe amd_iommu_restart_event_logging";

		/* Covered by the generic producer's allow-list, overflows too. */
		ASSERT_NE(NULL, strstr(state, "iommus ivhd,"));
		ASSERT_NE(NULL, strstr(state, ovf));
	} else {
		ASSERT_NE(NULL, strstr(state,
				       "hook kretprobe arm_smmu_evtq_thread"));
		/* QEMU's SMMUv3 has both register pages, at 0x9050000. */
		snprintf(want, sizeof(want),
			 "smmu0 9050000.smmuv3 base 0x%016x page1 0x%016x",
			 0x9050000, 0x9060000);
		ASSERT_NE(NULL, strstr(state, want));
	}
}

/*
 * Whatever context a fault is read in, the consumers are called with
 * interrupts on, in process context: from the mock IOMMU's hard
 * interrupt (generic), from the fault interrupt of the guest's IOMMU
 * (VT-d) or its event thread and timer (SMMUv3).
 */
TEST(consumers_run_with_interrupts_on)
{
	long long calls;
	struct vfm_ctx ctx;
	uint32_t rid, seg;

	if (!vfm_mocks_ready(_metadata))
		return;
	ASSERT_EQ(0, vfm_probe_load());
	ASSERT_EQ(0, vfm_ctx_open(&ctx, &mirror, 1));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 0));
	ASSERT_EQ(0, vfm_mock_fault(0, 0x1000, VFM_MOCK_FAULT_WRITE | VFM_MOCK_FAULT_IRQ,
				    8));
	ASSERT_EQ(0, vfm_chain_flush("generic"));
	calls = vfm_probe_context("calls");
	ASSERT_EQ(8, calls);

	ASSERT_EQ(0, vfm_bdf_rid(ctx.edu[0].bdf, &seg, &rid));
	ASSERT_EQ(0, vfm_edu_dma(&ctx.edu[0], IOVA_NONE, 4, false));
	usleep(500 * 1000);
	ASSERT_EQ(0, vfm_chain_flush(vfm_hw()->producer));
	ASSERT_LT(calls, vfm_probe_context("calls"));
	ASSERT_EQ(0, vfm_probe_context("irqs_off"));
	ASSERT_EQ(0, vfm_probe_context("softirq"));
	vfm_ctx_close(&ctx);
	ASSERT_EQ(0, vfm_probe_unload());
}

#if defined(__x86_64__)
struct two_edus {
	struct vfm_ctx ctx;
	int efd;
};

/*
 * Two edu devices in a container, the test on a CPU that is not the one
 * the VT-d fault interrupt goes to (with @other_cpu) or on that one.
 */
static void open_two(struct __test_metadata *_metadata, struct vfm_ctx *ctx,
		     bool other_cpu)
{
	int irq, cpu = vfm_irq_cpu("dmar0", &irq);

	ASSERT_LE(0, cpu);
	ASSERT_EQ(0, vfm_pin_cpu(other_cpu ? !cpu : cpu));
	ASSERT_EQ(0, vfm_ctx_open(ctx, &mirror, 2));
}

/*
 * QEMU's VT-d has one fault record.  While the module's handler holds the
 * first device's record (the probe makes it wait in iommu_fc_report(),
 * before it clears the record), the second device faults: no record is
 * free, and the unit sets Primary Fault Overflow.  The handler sees it
 * when it reads the status again after its records, and counts it.
 */
TEST(a_vtd_overflow_during_the_handler_is_counted)
{
	long long ovf = vfm_chain_counter("vtd", "hw_overflows");
	struct vfio_mirror_fault rec[8];
	struct vfm_ctx ctx;
	int n;

	VFM_REQUIRE(return, VFM_NEED_IOMMU, .what = "VT-d");
	ASSERT_EQ(0, vfm_param_write("iommu_faultchain", "vtd_mode",
				     "takeover"));
	open_two(_metadata, &ctx, true);
	ASSERT_EQ(0, vfm_probe_load());
	ASSERT_EQ(0, vfm_probe_delay("iommu_fc_report", 400, 1, true, 0));

	ASSERT_EQ(0, vfm_edu_dma_start(&ctx.edu[0], IOVA_NONE, 4, false));
	usleep(20 * 1000);
	ASSERT_EQ(0, vfm_edu_dma_start(&ctx.edu[1], IOVA_NONE, 4, false));
	ASSERT_EQ(0, vfm_edu_dma_wait(&ctx.edu[0]));
	ASSERT_EQ(0, vfm_edu_dma_wait(&ctx.edu[1]));
	n = vfm_faults_collect(ctx.container, rec, 8, 1, 3000, 600);
	ASSERT_EQ(1, vfm_probe_delay_hits());
	ASSERT_EQ(1, n);
	ASSERT_EQ(ovf + 1, vfm_chain_counter("vtd", "hw_overflows"));

	/* The overflow is cleared: the next fault is recorded again. */
	ASSERT_EQ(0, vfm_probe_delay_off());
	ASSERT_EQ(0, vfm_edu_dma(&ctx.edu[1], IOVA_NONE, 4, false));
	ASSERT_EQ(1, vfm_faults_collect(ctx.container, rec, 8, 1, 3000, 300));
	vfm_ctx_close(&ctx);
	ASSERT_EQ(0, vfm_probe_unload());
}

/*
 * The fault interrupt arrives while another kprobe's handler runs on its
 * CPU (the probe holds this CPU in one, interrupts on): kprobes skips
 * dmar_fault()'s kprobe, the driver clears the record unseen, and the
 * producer counts the miss.
 */
TEST(a_missed_vtd_kprobe_is_counted)
{
	long long missed = vfm_chain_counter("vtd", "hook_missed");
	struct vfio_mirror_fault rec[8];
	struct vfm_ctx ctx;

	VFM_REQUIRE(return, VFM_NEED_IOMMU, .what = "VT-d");
	ASSERT_LE(0, missed);
	open_two(_metadata, &ctx, false);
	ASSERT_EQ(0, vfm_probe_load());
	ASSERT_EQ(0, vfm_edu_dma_start(&ctx.edu[0], IOVA_NONE, 4, false));
	/* The DMA ends, and faults, about 100 ms later. */
	ASSERT_EQ(0, vfm_probe_hold(600));
	ASSERT_EQ(0, vfm_edu_dma_wait(&ctx.edu[0]));
	ASSERT_EQ(missed + 1, vfm_chain_counter("vtd", "hook_missed"));
	ASSERT_EQ(0, vfm_faults_collect(ctx.container, rec, 8, 0, 0, 300));

	/* The next one is read again. */
	ASSERT_EQ(0, vfm_edu_dma(&ctx.edu[0], IOVA_NONE, 4, false));
	ASSERT_EQ(1, vfm_faults_collect(ctx.container, rec, 8, 1, 3000, 300));
	vfm_ctx_close(&ctx);
	ASSERT_EQ(0, vfm_probe_unload());
}
#endif

/* In use, neither module can go; vfio_mirror needs iommu_faultchain. */
TEST(the_modules_stay_while_in_use)
{
	struct vfm_ctx ctx;
	char path[128];
	int fd;

	/* Not held by the probe, which a failed test may have left. */
	ASSERT_EQ(0, vfm_probe_unload());
	ASSERT_EQ(0, vfm_ctx_open(&ctx, &mirror, 1));
	ASSERT_EQ(-EWOULDBLOCK, vfm_module_unload("vfio_mirror"));
	ASSERT_EQ(-EWOULDBLOCK, vfm_module_unload("iommu_faultchain"));
	vfm_ctx_close(&ctx);

	/* An open debugfs file holds its module too. */
	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/iommu_faultchain/%s/state",
		 vfm_hw()->producer);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vfm_module_unload("vfio_mirror"));
	ASSERT_EQ(-EWOULDBLOCK, vfm_module_unload("iommu_faultchain"));
	close(fd);
	ASSERT_EQ(0, vfm_module_unload("iommu_faultchain"));
	ASSERT_EQ(0, vfm_module_load("iommu_faultchain",
				     vfm_env_or("VFM_FAULTCHAIN_ARGS", "")));
	ASSERT_EQ(0, vfm_module_load("vfio_mirror",
				     vfm_env_or("VFM_MIRROR_ARGS", "")));
}

/*
 * An SR-IOV VF on a bus without a bridge (the PCI core's virtual bus for
 * VFs past their PF's bus; no guest has one, so the probe module builds
 * the topology in memory): naming it for fault routing passes over the
 * virtual bus, and still takes the ID of the conventional bridge above
 * it.  It used to dereference the virtual bus's missing bridge.
 */
TEST(a_vf_on_a_bus_without_a_bridge_is_named)
{
	unsigned int vb, vd, vf, bb, bd, bf, r[4];
	char buf[256], *rids;
	int n;

	ASSERT_EQ(0, vfm_probe_load());
	ASSERT_EQ(0, vfm_probe_virtbus(buf, sizeof(buf)));
	TH_LOG("%s", buf);
	n = sscanf(buf, "vf %x:%x.%x bridge %x:%x.%x", &vb, &vd, &vf, &bb, &bd,
		   &bf);
	ASSERT_EQ(6, n);
	rids = strstr(buf, "\nrids");
	ASSERT_NE(NULL, rids);
	n = sscanf(rids, "\nrids %x %x %x %x", &r[0], &r[1], &r[2], &r[3]);
	ASSERT_EQ(2, n);
	/* Its own ID first, then the bridge's, as pci_for_each_dma_alias(). */
	EXPECT_EQ(vb << 8 | vd << 3 | vf, r[0]);
	EXPECT_EQ(bb << 8 | bd << 3 | bf, r[1]);
	ASSERT_EQ(0, vfm_probe_unload());
}

#define TRACE_INSTANCE	"/sys/kernel/tracing/instances/vfm"

/*
 * A storm outruns delivery: the probe's consumer waits 1 ms per record,
 * while the mock reports 40 a millisecond.  (The wait is in the
 * consumer's own code: a kprobe put on or taken off it would patch text
 * that the other vCPU runs all the time, which multi-threaded TCG gets
 * wrong, see testing.rst.)  Reading a counter flushes the chain, and a
 * flush waits only for the records reported before it: a few backlogs'
 * worth of slow records, not the storm.  (A flush that emptied the
 * backlog returned only once the waits ran out and delivery outran the
 * storm again, or never.)  The consumer busy-waits for each of the 20000
 * waits: up to 20 s of a vCPU, so the test may take two minutes, not the
 * harness's 30 s, which a loaded check ran out.  On a loaded machine the
 * test itself gets the CPU late, and the waits run on meanwhile: one such
 * run had counted all of 5000 when it read the count after its flush.
 * The teardown stops the storm and the waits whatever failed.
 */
FIXTURE(flush) {
	struct vfm_ctx ctx;
	bool open;
};

FIXTURE_SETUP(flush)
{
	self->open = false;
}

FIXTURE_TEARDOWN(flush)
{
	vfm_probe_slow(0, 0);
	vfm_mock_storm(0, 0, 0);
	if (self->open)
		vfm_ctx_close(&self->ctx);
	vfm_mock_reset(0);
	vfm_probe_unload();
}

TEST_F_TIMEOUT(flush, a_storm_does_not_hold_a_flush, 120)
{
	static const struct vfm_backend type1 = VFM_BACKEND_TYPE1;
	const unsigned int delays = 20000;
	struct vfm_ctx *ctx = &self->ctx;
	long long hits;

	if (!vfm_mocks_ready(_metadata))
		return;
	ASSERT_EQ(0, vfm_probe_load());
	ASSERT_EQ(0, vfm_ctx_open(ctx, &type1, 0));
	self->open = true;
	ASSERT_EQ(0, vfm_ctx_attach_mock(ctx, 0));
	ASSERT_EQ(0, vfm_probe_slow(1000, delays));
	ASSERT_EQ(0, vfm_mock_storm(0, 0x1000, 4));
	usleep(50 * 1000);

	ASSERT_LT(0, vfm_chain_counter("generic", "seen"));
	hits = vfm_probe_slow_hits();
	ASSERT_LT(0, hits);
	ASSERT_GT(delays, hits);

	ASSERT_EQ(0, vfm_probe_slow(0, 0));
	ASSERT_EQ(0, vfm_mock_storm(0, 0, 0));
	vfm_ctx_close(ctx);
	self->open = false;
	ASSERT_EQ(0, vfm_mock_reset(0));
	ASSERT_EQ(0, vfm_probe_unload());
}

/*
 * Keep the io_page_fault tracepoint's text as it is while the chain's probe
 * comes and goes: with two other probes on it (its trace event, enabled
 * in the top trace buffer and in one more instance, both buffers off so
 * that the storm costs them little), one probe more or less changes
 * neither its static key nor its static call, so no kernel text is
 * patched.
 */
static int trace_buffers_on(bool on)
{
	const char *val = on ? "1" : "0";
	int ret;

	ret = vfm_param_write_path("/sys/kernel/tracing/tracing_on", val);
	if (!ret)
		ret = vfm_param_write_path(TRACE_INSTANCE "/tracing_on", val);
	return ret;
}

static int keep_tracepoint_patched_in(bool on)
{
	int ret;

	if (on) {
		if (mkdir(TRACE_INSTANCE, 0700) && errno != EEXIST)
			return -errno;
		ret = trace_buffers_on(false);
		if (ret)
			return ret;
	}
	ret = vfm_trace_event("iommu/io_page_fault", on);
	if (!ret)
		ret = vfm_param_write_path(TRACE_INSTANCE "/events/iommu/io_page_fault/enable",
					   on ? "1" : "0");
	if (!on) {
		if (!ret)
			ret = trace_buffers_on(true);
		if (rmdir(TRACE_INSTANCE) && !ret)
			ret = -errno;
	}
	return ret;
}

/*
 * A host may unload the chain while faults arrive.  The storm's hard
 * interrupts run report_iommu_fault() on one CPU while the chain's
 * io_page_fault probe comes and goes on another.  The tracepoint's text
 * is kept as it is meanwhile: under QEMU's multi-threaded TCG, patching
 * kernel text that another vCPU runs is not reliable
 * (Documentation/vfio-mirror/testing.rst has the evidence).
 * $VFM_STORM_ROUNDS sets the rounds (default 3), $VFM_STORM_PATCH=1 lets
 * the text be patched, to reproduce that.
 */
FIXTURE(storm) {
};

FIXTURE_SETUP(storm)
{
}

FIXTURE_TEARDOWN(storm)
{
}

/* Module loads are slow in the debug kernel: a longer time-out. */
TEST_F_TIMEOUT(storm, the_chain_unloads_and_loads_during_a_storm, 300)
{
	static const struct vfm_backend type1 = VFM_BACKEND_TYPE1;
	int rounds = atoi(vfm_env_or("VFM_STORM_ROUNDS", "3"));
	bool keep = !atoi(vfm_env_or("VFM_STORM_PATCH", "0"));
	long long before, seen;
	struct vfm_ctx ctx;
	int round;

	if (!vfm_mocks_ready(_metadata))
		return;
	ASSERT_EQ(0, vfm_probe_unload());
	if (keep)
		ASSERT_EQ(0, keep_tracepoint_patched_in(true));
	/* The mock reports faults in a type1 domain: no vfio-mirror needed. */
	ASSERT_EQ(0, vfm_ctx_open(&ctx, &type1, 0));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 0));
	ASSERT_EQ(0, vfm_mock_storm(0, 0x1000, 4));

	for (round = 0; round < rounds; round++) {
		before = storm_count();
		usleep(50 * 1000);
		ASSERT_LT(before, storm_count());
		ASSERT_LT(0, vfm_chain_counter("generic", "seen"));

		ASSERT_EQ(0, vfm_module_unload("vfio_mirror"));
		ASSERT_EQ(0, vfm_module_unload("iommu_faultchain"));
		before = storm_count();
		usleep(50 * 1000);
		ASSERT_LT(before, storm_count());
		ASSERT_EQ(-1, vfm_chain_counter("generic", "seen"));

		ASSERT_EQ(0, vfm_module_load("iommu_faultchain",
					     vfm_env_or("VFM_FAULTCHAIN_ARGS", "")));
		ASSERT_EQ(0, vfm_module_load("vfio_mirror",
					     vfm_env_or("VFM_MIRROR_ARGS", "")));
	}
	usleep(50 * 1000);
	ASSERT_EQ(0, vfm_mock_storm(0, 0, 0));
	if (keep)
		ASSERT_EQ(0, keep_tracepoint_patched_in(false));
	seen = vfm_chain_counter("generic", "seen");
	ASSERT_LT(0, seen);
	ASSERT_EQ(seen, vfm_chain_counter("generic", "unclaimed") +
			vfm_chain_counter("generic", "dropped_backlog"));
	vfm_ctx_close(&ctx);
	ASSERT_EQ(0, vfm_mock_reset(0));
}

TEST_HARNESS_MAIN
