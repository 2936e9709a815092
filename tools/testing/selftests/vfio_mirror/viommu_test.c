// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host DMA faults reach a nested guest.  This guest runs the patched QEMU
 * of tools/qemu/ (VFM_QEMU) as the VMM, with an edu device assigned
 * through vfio-pci behind a virtual VT-d in caching mode, and boots a
 * nested guest (VFM_NESTED: the nested kernel and an initramfs whose init
 * is tools/testing/vm/nested-init and whose test is viommu_guest_test).
 * The container is the backend row's: vfio-mirror claiming type1, which
 * forwards the faults, or type1, which does not.
 *
 * The nested guest's tests say whether its DMA landed and whether its own
 * DMAR driver logged the faults of its bad DMA; here the counts on both
 * levels are checked against each other: the fault chain's (this guest's
 * VT-d faults handed to vfio-mirror), the VMM's (records read, raised in
 * the nested guest), the nested guest's (faulting DMAs it made, fault
 * interrupts it took).  A second boot without the nested guest's vIOMMU
 * (VFIO's no-IOMMU mode there) checks DMA in that state too.
 *
 * Each boot also measures the VMM's address space switches (QEMU's trace
 * event vtd_switch_address_space_done): when the nested guest turns DMAR
 * on, QEMU unmaps all its RAM from the container and replays the vIOMMU's
 * mappings; when it turns it off at power-off, QEMU maps all its RAM
 * back.  The times are logged per backend, and the ratio to type1's once
 * both were measured in this boot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "vfm_test.h"

/*
 * The nested guest's memory, all of it mapped in the container when its
 * vIOMMU does not translate: as much as the edu device can address (28
 * bits) with room above it for viommu_guest_test's DMA beyond memory.
 */
#define NESTED_MB	224
#define BOOT_SECONDS	1200
/* Where the assigned device sits in the nested guest. */
#define NESTED_SLOT	4

/* The VMM, the nested guest it boots, and what they said. */
struct nested {
	char bdf[1][32];
	const char *qemu, *dir;
	char *out;
};

FIXTURE(viommu) {
	struct nested n;
};

FIXTURE_VARIANT(viommu) {
	struct vfm_backend b;
};

#define VFM_FIXTURE viommu
#include "vfm_backends.h"

FIXTURE_SETUP(viommu)
{
	struct nested *n = &self->n;
	char path[256];

	n->out = NULL;
	n->qemu = getenv("VFM_QEMU");
	n->dir = getenv("VFM_NESTED");
	VFM_REQUIRE(return, VFM_NEED_UNMODIFIED_VMM, .b = &variant->b);
	VFM_REQUIRE(return, VFM_NEED_BACKEND, .b = &variant->b);
	VFM_REQUIRE(return, VFM_NEED_PROGRAM,
		    .what = n->qemu ?: "the patched QEMU (VFM_QEMU)");
	snprintf(path, sizeof(path), "%s/vmlinuz", n->dir ?: "");
	VFM_REQUIRE(return, VFM_NEED_FILE, .what = path);
	VFM_REQUIRE(return, VFM_NEED_EDU, .n = 1);
	ASSERT_EQ(1, vfm_edu_find(n->bdf, 1));
	ASSERT_EQ(0, vfm_set_claim_type1(variant->b.claim_type1));
}

FIXTURE_TEARDOWN(viommu)
{
	free(self->n.out);
	vfm_set_claim_type1(false);
}

/*
 * The nested guest's console and the VMM's messages, into this test's
 * log as diagnostics: the nested guest's TAP lines are not this test's.
 */
static void log_nested(const char *out)
{
	const char *line, *end;

	for (line = out; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		fprintf(stderr, "# | %.*s\n",
			(int)(end ? end - line : (long)strlen(line)), line);
	}
}

/*
 * VFM_SWITCH_TRACE, to find out where the switches spend their time
 * (testing.rst, "The switch"): "ioctl" traces every container ioctl of
 * the VMM, its command and the words at offsets 8, 16 and 24 of its
 * argument (a map's vaddr, IOVA and size; an unmap's IOVA and size), and
 * its return: kprobe events on vfio_fops_unl_ioctl(), which both
 * backends' ioctls pass.  "graph" adds the function graph tracer under
 * both backends' container ioctls (both modules are loaded here), every
 * call that took 20 us or more.  The trace is printed after each boot,
 * and tracefs is left as the guest had it (tracing on, the buffer's
 * default size, no probe).  Without it, nothing is traced.
 */
static const char *const trace_off[] = {
	VFM_TRACEFS "/events/vfm_switch/enable", "0",
	VFM_TRACEFS "/current_tracer", "nop",
	VFM_TRACEFS "/tracing_thresh", "0",
	VFM_TRACEFS "/set_graph_function", "!vfm_ioctl_op",
	VFM_TRACEFS "/set_graph_function", "!vfio_iommu_type1_ioctl",
	VFM_TRACEFS "/kprobe_events", "-:vfm_switch/ioctl",
	VFM_TRACEFS "/kprobe_events", "-:vfm_switch/ioctl_end",
	VFM_TRACEFS "/tracing_on", "1",
};

/* The buffer's size per CPU before a traced boot, for switch_trace_end(). */
static char trace_buffer_kb[32];

static void switch_trace_start(struct __test_metadata *_metadata)
{
	static const char probes[] =
		"p:vfm_switch/ioctl vfio_fops_unl_ioctl cmd=$arg2:x32 w8=+u8($arg3):x64 w16=+u16($arg3):x64 w24=+u24($arg3):x64\n"
		"r:vfm_switch/ioctl_end vfio_fops_unl_ioctl ret=$retval:s64\n";
	const char *mode = getenv("VFM_SWITCH_TRACE");
	char graph[256] = "";
	unsigned int i;

	if (!mode)
		return;
	ASSERT_TRUE(!strcmp(mode, "ioctl") || !strcmp(mode, "graph"));
	for (i = 0; i < ARRAY_SIZE(trace_off); i += 2)
		vfm_param_write_path(trace_off[i], trace_off[i + 1]);
	ASSERT_EQ(0, vfm_param_write_path(VFM_TRACEFS "/tracing_on", "0"));
	if (!trace_buffer_kb[0]) {
		const char *e;

		/* "7 (expanded: 1408)" until the buffer was first used. */
		ASSERT_EQ(0, vfm_param_read_path(VFM_TRACEFS "/buffer_size_kb",
						 graph, sizeof(graph)));
		e = strstr(graph, "expanded: ");
		snprintf(trace_buffer_kb, sizeof(trace_buffer_kb), "%ld",
			 e ? atol(e + strlen("expanded: ")) : atol(graph));
	}
	ASSERT_EQ(0, vfm_param_write_path(VFM_TRACEFS "/kprobe_events", probes));
	ASSERT_EQ(0, vfm_param_write_path(VFM_TRACEFS "/buffer_size_kb", "16384"));
	ASSERT_EQ(0, vfm_trace_clear());
	ASSERT_EQ(0, vfm_trace_event("vfm_switch", true));
	if (!strcmp(mode, "graph")) {
		/* A newline ends each name, so that a bad one fails here. */
		ASSERT_EQ(0, vfm_param_write_path(VFM_TRACEFS "/set_graph_function",
						  "vfm_ioctl_op\n"));
		ASSERT_EQ(0, vfm_param_write_path(VFM_TRACEFS "/set_graph_function",
						  "vfio_iommu_type1_ioctl\n"));
		/* Else function_graph would trace every function. */
		ASSERT_EQ(0, vfm_param_read_path(VFM_TRACEFS "/set_graph_function",
						 graph, sizeof(graph)));
		ASSERT_NE(NULL, strstr(graph, "vfm_ioctl_op"));
		ASSERT_NE(NULL, strstr(graph, "vfio_iommu_type1_ioctl"));
		ASSERT_EQ(0, vfm_param_write_path(VFM_TRACEFS "/tracing_thresh",
						  "20"));
		ASSERT_EQ(0, vfm_param_write_path(VFM_TRACEFS "/current_tracer",
						  "function_graph"));
	}
	ASSERT_EQ(0, vfm_param_write_path(VFM_TRACEFS "/tracing_on", "1"));
}

static void switch_trace_end(void)
{
	char line[1024];
	unsigned int i;
	FILE *f;

	if (!getenv("VFM_SWITCH_TRACE"))
		return;
	vfm_param_write_path(VFM_TRACEFS "/tracing_on", "0");
	f = fopen(VFM_TRACEFS "/trace", "r");
	while (f && fgets(line, sizeof(line), f))
		if (line[0] != '#')
			fprintf(stderr, "# trace: %s", line);
	if (f)
		fclose(f);
	vfm_trace_clear();
	for (i = 0; i < ARRAY_SIZE(trace_off); i += 2)
		vfm_param_write_path(trace_off[i], trace_off[i + 1]);
	if (trace_buffer_kb[0])
		vfm_param_write_path(VFM_TRACEFS "/buffer_size_kb", trace_buffer_kb);
}

/* The nested guest's boots. */
enum nested_boot {
	VIOMMU_ON,		/* intel_iommu=on: type1 on the vIOMMU */
	VIOMMU_SWITCH,		/* the same, running no test */
	VIOMMU_OFF,		/* a vIOMMU, left off: VFIO's no-IOMMU mode */
	NO_VIOMMU,		/* no vIOMMU device at all: no-IOMMU mode */
};

/*
 * Boot the nested guest until it powers off; its console and the VMM's
 * messages are in n->out.
 */
static void boot(struct __test_metadata *_metadata, struct nested *n,
		 const struct vfm_backend *b, enum nested_boot how)
{
	char dev[64], kernel[256], initrd[256], append[256], mem[16];
	/*
	 * Caching mode: VFIO maps the guest's IOVAs one to one into the
	 * container as the guest maps them.  The address width of this
	 * guest's VT-d (QEMU's default, 39 bits), which QEMU checks against
	 * the host's.
	 */
	const char *viommu = "intel-iommu,caching-mode=on,aw-bits=39";
	bool on = how == VIOMMU_ON || how == VIOMMU_SWITCH;
	const char *argv[32];
	int status, ret, i = 0;

	snprintf(mem, sizeof(mem), "%dM", NESTED_MB);
	snprintf(dev, sizeof(dev), "vfio-pci,host=%s,addr=%d.0", n->bdf[0],
		 NESTED_SLOT);
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", n->dir);
	snprintf(initrd, sizeof(initrd), "%s/initrd.gz", n->dir);
	/*
	 * The vIOMMU has no interrupt remapping (the nested guest uses no
	 * interrupt of the device), so type1 there must be told to take a
	 * group whose MSIs are not isolated.  Without the vIOMMU, VFIO's
	 * no-IOMMU mode.  A log buffer that holds the whole run.  Under two
	 * levels of TCG the boot's check that the timer reaches the IO-APIC
	 * fails now and then ("IO-APIC + timer doesn't work!", a panic, in
	 * one boot of ten here): no_timer_check skips it, as for any VM.
	 */
	snprintf(append, sizeof(append),
		 "console=ttyS0 panic=-1 loglevel=4 log_buf_len=1M no_timer_check %s vfm.dmar=%d vfm.faults=%d vfm.tests=%d",
		 on ? "intel_iommu=on vfio_iommu_type1.allow_unsafe_interrupts=1" :
		 "intel_iommu=off vfio.enable_unsafe_noiommu_mode=1",
		 on, !vfm_is_type1(b), how != VIOMMU_SWITCH);

	argv[i++] = n->qemu;
	argv[i++] = "-M";
	argv[i++] = "q35";
	argv[i++] = "-m";
	argv[i++] = mem;
	argv[i++] = "-accel";
	argv[i++] = "tcg";
	argv[i++] = "-nodefaults";
	argv[i++] = "-display";
	argv[i++] = "none";
	argv[i++] = "-no-reboot";
	argv[i++] = "-serial";
	argv[i++] = "stdio";
	argv[i++] = "-kernel";
	argv[i++] = kernel;
	argv[i++] = "-initrd";
	argv[i++] = initrd;
	argv[i++] = "-append";
	argv[i++] = append;
	argv[i++] = "-trace";
	argv[i++] = "vtd_switch_address_space_done";
	/* The vIOMMU first: a device realized before it would bypass it. */
	if (how != NO_VIOMMU) {
		argv[i++] = "-device";
		argv[i++] = viommu;
	}
	argv[i++] = "-device";
	argv[i++] = dev;
	argv[i] = NULL;

	free(n->out);
	switch_trace_start(_metadata);
	ret = vfm_run(argv, BOOT_SECONDS, &n->out, &status);
	switch_trace_end();
	log_nested(n->out);
	ASSERT_EQ(0, ret);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* The sum of the values of every "vfm-l2: @key N" line. */
static long l2_sum(const char *out, const char *key)
{
	char pat[64];
	const char *p;
	long sum = 0;

	snprintf(pat, sizeof(pat), "vfm-l2: %s ", key);
	for (p = strstr(out, pat); p; p = strstr(p + 1, pat))
		sum += strtol(p + strlen(pat), NULL, 10);
	return sum;
}

/*
 * The nested guest ran every test to the end and none failed, and its
 * kernel reported nothing wrong.
 */
static void check_nested(struct __test_metadata *_metadata, const char *out)
{
	static const char *const bad[] = {
		"not ok ", "WARNING:", "BUG:", "Oops", "Kernel panic",
	};
	unsigned int i;

	ASSERT_NE(NULL, strstr(out, "vfm-l2: test-end viommu_guest_test 0"));
	ASSERT_NE(NULL, strstr(out, "vfm-l2: done"));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *hit = strstr(out, bad[i]);

		ASSERT_TRUE(!hit) {
			TH_LOG("the nested guest printed: %.100s", hit);
		}
	}
}

/*
 * The time of the assigned device's first switch to the vIOMMU, or (!@on)
 * of its first switch back after it, in microseconds; -1 if there was
 * none.  (QEMU also "switches" to no translation as it resets, before
 * the guest runs, and every device of the nested guest switches.)
 */
static long long switch_us(const char *out, bool on)
{
	char to_viommu[96], back[96];
	const char *p;

	snprintf(to_viommu, sizeof(to_viommu),
		 "Device 00:%02x.0 switched address space (iommu enabled=1) in ",
		 NESTED_SLOT);
	snprintf(back, sizeof(back),
		 "Device 00:%02x.0 switched address space (iommu enabled=0) in ",
		 NESTED_SLOT);
	p = strstr(out, to_viommu);
	if (p && !on)
		p = strstr(p, back);
	return p ? strtoll(p + strlen(on ? to_viommu : back), NULL, 10) : -1;
}

/*
 * Log both switches, keep them for the rows that come later in this boot,
 * and log the ratio to type1's when type1 came first.
 */
static void log_switches(struct __test_metadata *_metadata, const char *out,
			 const struct vfm_backend *b)
{
	long long on = switch_us(out, true), off = switch_us(out, false);
	long long t1_on, t1_off;
	FILE *f;

	ASSERT_LT(0, on);
	ASSERT_LT(0, off);
	TH_LOG("%s: the VMM's switch to the vIOMMU took %lld us, back %lld us",
	       b->module, on, off);
	f = fopen(vfm_is_type1(b) ? "/tmp/viommu-switch-type1" :
		  "/tmp/viommu-switch-mirror", "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "%lld %lld\n", on, off);
	fclose(f);
	if (vfm_is_type1(b))
		return;
	f = fopen("/tmp/viommu-switch-type1", "r");
	if (!f)
		return;
	if (fscanf(f, "%lld %lld", &t1_on, &t1_off) == 2)
		TH_LOG("switch time vfio-mirror/type1: on %.3f, off %.3f",
		       (double)on / t1_on, (double)off / t1_off);
	fclose(f);
}

/* A field of the VMM's summary of its vfio-mirror container's faults. */
static long long summary(const char *out, const char *after)
{
	const char *p = strstr(out, "vfio-mirror: container ");

	p = p ? strstr(p, after) : NULL;
	if (!p)
		return -1;
	while (p > out && p[-1] == ' ')
		p--;
	while (p > out && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return strtoll(p, NULL, 10);
}

TEST_F_TIMEOUT(viommu, host_faults_reach_the_nested_guests_dmar_driver,
	       BOOT_SECONDS + 60)
{
	const char *chain = vfm_hw()->producer;
	long long seen = vfm_chain_counter(chain, "seen");
	long long delivered = vfm_chain_counter(chain, "delivered");
	long long unclaimed = vfm_chain_counter(chain, "unclaimed");
	long long lost = vfm_chain_counter(chain, "dropped_full") +
			 vfm_chain_counter(chain, "dropped_ratelimited");
	long long records, raised, faulting, lost_now;
	char burst[32] = "";

	ASSERT_LE(0, seen);
	/*
	 * Two records a second per container: the storm loses most of its
	 * faults in vfio-mirror, and the VMM must show the loss to the
	 * nested guest as its vIOMMU's overflow.
	 */
	if (!vfm_is_type1(&variant->b)) {
		ASSERT_EQ(0, vfm_param_read("vfio_mirror", "fault_ratelimit_burst",
					    burst, sizeof(burst)));
		ASSERT_EQ(0, vfm_param_write("vfio_mirror",
					     "fault_ratelimit_burst", "2"));
	}
	boot(_metadata, &self->n, &variant->b, VIOMMU_ON);
	if (burst[0])
		ASSERT_EQ(0, vfm_param_write("vfio_mirror",
					     "fault_ratelimit_burst", burst));
	check_nested(_metadata, self->n.out);
	ASSERT_NE(NULL, strstr(self->n.out, "vfm-l2: dma viommu ok"));
	log_switches(_metadata, self->n.out, &variant->b);
	ASSERT_EQ(0, vfm_chain_flush(chain));

	/* The nested guest's bad DMA: three tests, and a storm. */
	faulting = l2_sum(self->n.out, "faulting-dmas");
	ASSERT_LE(3, faulting);
	ASSERT_LE(1, vfm_chain_counter(chain, "seen") - seen);
	TH_LOG("nested guest: %lld faulting DMAs; VT-d here: %lld faults",
	       faulting, vfm_chain_counter(chain, "seen") - seen);
	TH_LOG("of which %lld to vfio-mirror",
	       vfm_chain_counter(chain, "delivered") - delivered);

	if (vfm_is_type1(&variant->b)) {
		/* Nobody claims type1's faults: the VMM never sees one. */
		ASSERT_EQ(delivered, vfm_chain_counter(chain, "delivered"));
		ASSERT_LT(unclaimed, vfm_chain_counter(chain, "unclaimed"));
		ASSERT_EQ(-1, summary(self->n.out, "records"));
		ASSERT_EQ(0, l2_sum(self->n.out, "storm-dmar-irqs"));
		return;
	}

	/*
	 * What vfio-mirror queued is what the VMM read, what it lost is what
	 * the VMM was told it lost, and the VMM raised every record in the
	 * nested guest: its DMAR was on and had mapped none of the faulting
	 * addresses.  A fault of the host is at most one per faulting DMA
	 * (each stays within one page); the two tests before the storm had
	 * theirs queued (their DMAs came alone).  The storm lost faults, and
	 * the VMM showed the nested guest an overflow, which its DMAR driver
	 * took in its stride: its next DMA landed (viommu_guest_test).
	 */
	records = summary(self->n.out, "records");
	raised = summary(self->n.out, "raised in the guest");
	lost_now = summary(self->n.out, "lost");
	TH_LOG("the VMM: %lld records, %lld lost, %lld raised, %lld overflows",
	       records, lost_now, raised,
	       summary(self->n.out, "overflows shown"));
	TH_LOG("the nested guest: %ld fault interrupts in the storm",
	       l2_sum(self->n.out, "storm-dmar-irqs"));
	ASSERT_EQ(vfm_chain_counter(chain, "delivered") - delivered, records);
	ASSERT_EQ(vfm_chain_counter(chain, "dropped_full") +
		  vfm_chain_counter(chain, "dropped_ratelimited") - lost,
		  lost_now);
	ASSERT_EQ(records, raised);
	ASSERT_LE(2, raised);
	ASSERT_GE(faulting, raised + lost_now);
	ASSERT_EQ(0, summary(self->n.out, "of no device"));
	ASSERT_LE(1, lost_now);
	ASSERT_LE(1, summary(self->n.out, "overflows shown"));
	ASSERT_LE(1, l2_sum(self->n.out, "storm-dmar-irqs"));
}

/*
 * With its vIOMMU left off, the nested guest's DMA goes to its physical
 * addresses, all of whose memory the VMM mapped; a DMA beyond its memory
 * faults in the host, and the VMM counts it as untranslated: the vIOMMU
 * does not translate, the guest has no fault to see.
 */
TEST_F_TIMEOUT(viommu, dma_works_with_the_nested_guests_dmar_off,
	       BOOT_SECONDS + 60)
{
	boot(_metadata, &self->n, &variant->b, VIOMMU_OFF);
	check_nested(_metadata, self->n.out);
	ASSERT_NE(NULL, strstr(self->n.out, "vfm-l2: dma noiommu ok"));
	/* It never turned translation on. */
	ASSERT_EQ(-1, switch_us(self->n.out, true));
	ASSERT_EQ(0, l2_sum(self->n.out, "faulting-dmas"));
	ASSERT_EQ(1, l2_sum(self->n.out, "beyond-memory-dmas"));
	if (vfm_is_type1(&variant->b)) {
		ASSERT_EQ(-1, summary(self->n.out, "records"));
		return;
	}
	ASSERT_EQ(1, summary(self->n.out, "records"));
	ASSERT_EQ(1, summary(self->n.out, "untranslated"));
	ASSERT_EQ(0, summary(self->n.out, "raised in the guest"));
}

/*
 * Without any vIOMMU, the VMM has nobody to raise a fault in: it logs the
 * first, once, and counts them all, never drops one without a trace.
 */
TEST_F_TIMEOUT(viommu, faults_without_a_viommu_are_counted_and_logged_once,
	       BOOT_SECONDS + 60)
{
	VFM_REQUIRE(return, VFM_NEED_FAULTS, .b = &variant->b);
	boot(_metadata, &self->n, &variant->b, NO_VIOMMU);
	check_nested(_metadata, self->n.out);
	ASSERT_NE(NULL, strstr(self->n.out, "vfm-l2: dma noiommu ok"));
	ASSERT_EQ(1, l2_sum(self->n.out, "beyond-memory-dmas"));
	ASSERT_EQ(1, summary(self->n.out, "records"));
	ASSERT_EQ(1, summary(self->n.out, "without vIOMMU"));
	ASSERT_NE(NULL, strstr(self->n.out, "no vIOMMU to raise it in the guest"));
}

/*
 * VFM_SWITCH_SAMPLES=N (odd): samples of both switches for testing.rst
 * ("The switch").  In vfio-mirror's row the nested guest boots N times on
 * each backend, the two taking turns (each round's first the other of
 * the round before's), its vIOMMU on and running no test: it
 * turns DMAR on as it boots and off as it powers off.  The medians and
 * their ratios are logged.  Without it the test is skipped: each boot
 * takes about a minute under two levels of TCG.
 */
#define MAX_SAMPLES	15

TEST_F_TIMEOUT(viommu, the_switches_sampled, 2 * MAX_SAMPLES * 300)
{
	static const struct vfm_backend type1 = VFM_BACKEND_TYPE1;
	const char *env = getenv("VFM_SWITCH_SAMPLES");
	long long us[2][2][MAX_SAMPLES];
	int n = env ? atoi(env) : 0, r, i, k, dir;

	VFM_REQUIRE(return, VFM_NEED_TYPE1_BESIDE, .b = &variant->b);
	VFM_REQUIRE(return, VFM_NEED_ASKED, .what = "VFM_SWITCH_SAMPLES");
	/* Odd, for a median; each round's first backend in turn. */
	ASSERT_LE(1, n);
	ASSERT_GE(MAX_SAMPLES, n);
	ASSERT_EQ(1, n % 2);
	for (r = 0; r < n; r++) {
		for (i = 0; i < 2; i++) {
			k = i ^ (r & 1);
			ASSERT_EQ(0, vfm_set_claim_type1(k));
			boot(_metadata, &self->n, k ? &variant->b : &type1,
			     VIOMMU_SWITCH);
			ASSERT_NE(NULL, strstr(self->n.out, "vfm-l2: done"));
			for (dir = 0; dir < 2; dir++) {
				us[k][dir][r] = switch_us(self->n.out, !dir);
				ASSERT_LT(0, us[k][dir][r]);
			}
			TH_LOG("%s: to the vIOMMU %lld us, back %lld us",
			       k ? "vfio-mirror" : "type1", us[k][0][r],
			       us[k][1][r]);
		}
	}
	for (dir = 0; dir < 2; dir++) {
		long long t1 = vfm_median(us[0][dir], n);
		long long mirror = vfm_median(us[1][dir], n);

		TH_LOG("%s, medians of %d: type1 %lld us, vfio-mirror %lld us, ratio %.3f",
		       dir ? "back" : "to the vIOMMU", n, t1, mirror,
		       (double)mirror / t1);
	}
}

TEST_HARNESS_MAIN
