// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fault chain module itself (iommu_faultchain.ko): its producers hook
 * what they say they hook, and it can be unloaded and loaded again while
 * faults are being reported from hard interrupts.
 *
 * The unload test needs the modules as files: $VFM_MODULE_DIR (default
 * /lib/modules) holds iommu_faultchain.ko and vfio_mirror.ko, loaded
 * again with $VFM_FAULTCHAIN_ARGS and $VFM_MIRROR_ARGS.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vfm_test.h"

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v ? v : def;
}

static int load(const char *name, const char *args)
{
	char path[512];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s.ko",
		 env_or("VFM_MODULE_DIR", "/lib/modules"), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, args, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static long long storm_count(void)
{
	char buf[32];

	if (vfm_mock_get(0, "storm", buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

TEST(each_producer_says_how_it_is_hooked)
{
	char state[1024];

	ASSERT_EQ(0, vfm_chain_state("generic", state, sizeof(state)));
	ASSERT_NE(NULL, strstr(state, "hook tracepoint io_page_fault"));
	ASSERT_EQ(0, vfm_chain_state(VFM_HW_PRODUCER, state, sizeof(state)));
	TH_LOG("%s:\n%s", VFM_HW_PRODUCER, state);
#if defined(__x86_64__)
	ASSERT_NE(NULL, strstr(state, "hook kprobe dmar_fault"));
	ASSERT_NE(NULL, strstr(state, "dmar0 segment 0 base 0xfed90000"));
#else
	ASSERT_NE(NULL, strstr(state, "hook kretprobe arm_smmu_evtq_thread"));
	ASSERT_NE(NULL, strstr(state, "9050000.smmuv3"));
#endif
}

TEST(the_chain_unloads_and_loads_during_a_storm)
{
	static const struct vfm_backend type1 = VFM_BACKEND_TYPE1;
	long long before, seen;
	struct vfm_ctx ctx;
	int round;

	if (!vfm_mocks_ready(_metadata))
		return;
	/* The mock reports faults in a type1 domain: no vfio-mirror needed. */
	ASSERT_EQ(0, vfm_ctx_open(&ctx, &type1, 0));
	ASSERT_EQ(0, vfm_ctx_attach_mock(&ctx, 0));
	ASSERT_EQ(0, vfm_mock_set(0, "storm", "1000 4"));

	for (round = 0; round < 3; round++) {
		before = storm_count();
		usleep(50 * 1000);
		ASSERT_LT(before, storm_count());
		ASSERT_LT(0, vfm_chain_counter("generic", "seen"));

		ASSERT_EQ(0, unload("vfio_mirror"));
		ASSERT_EQ(0, unload("iommu_faultchain"));
		before = storm_count();
		usleep(50 * 1000);
		ASSERT_LT(before, storm_count());
		ASSERT_EQ(-1, vfm_chain_counter("generic", "seen"));

		ASSERT_EQ(0, load("iommu_faultchain",
				  env_or("VFM_FAULTCHAIN_ARGS", "")));
		ASSERT_EQ(0, load("vfio_mirror",
				  env_or("VFM_MIRROR_ARGS", "")));
	}
	usleep(50 * 1000);
	ASSERT_EQ(0, vfm_mock_set(0, "storm", "stop"));
	seen = vfm_chain_counter("generic", "seen");
	ASSERT_LT(0, seen);
	ASSERT_EQ(seen, vfm_chain_counter("generic", "unclaimed"));
	vfm_ctx_close(&ctx);
	ASSERT_EQ(0, vfm_mock_reset(0));
}

TEST_HARNESS_MAIN
