// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test modules: the mock IOMMU's devices (/dev/vfio-mirror-mock) and
 * the fault chain probe (debugfs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfm_lib.h"
#include "vfm_mock.h"
#include "vfm_priv.h"

int vfm_mock_fd(void)
{
	static int fd = -1;

	if (fd < 0) {
		fd = open(VFM_MOCK_DEV, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	return fd;
}

bool vfm_mock_loaded(void)
{
	return vfm_mock_fd() >= 0;
}

static int mock_ioctl(unsigned long cmd, void *arg)
{
	int fd = vfm_mock_fd();

	if (fd < 0)
		return fd;
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int vfm_mock_add(int sibling)
{
	struct vfm_mock_add add = { .sibling = sibling, .id = -1 };
	int ret = mock_ioctl(VFM_MOCK_ADD, &add);

	return ret ? ret : add.id;
}

int vfm_mock_remove(int n)
{
	uint32_t id = n;

	return mock_ioctl(VFM_MOCK_REMOVE, &id);
}

int vfm_mock_set(int n, uint32_t field, uint64_t val)
{
	struct vfm_mock_config cfg = { .id = n, .valid = field };

	switch (field) {
	case VFM_MOCK_CFG_PGSIZES:
		cfg.pgsizes = val;
		break;
	case VFM_MOCK_CFG_APERTURE_START:
		cfg.aperture_start = val;
		break;
	case VFM_MOCK_CFG_APERTURE_END:
		cfg.aperture_end = val;
		break;
	case VFM_MOCK_CFG_FORMAT:
		cfg.format = val;
		break;
	case VFM_MOCK_CFG_FAIL_MAP_AT:
		cfg.fail_map_at = val;
		break;
	case VFM_MOCK_CFG_COHERENT:
		cfg.coherent = val;
		break;
	case VFM_MOCK_CFG_MSI_ISOLATED:
		cfg.msi_isolated = val;
		break;
	case VFM_MOCK_CFG_FAIL_ATTACH:
		cfg.fail_attach = val;
		break;
	case VFM_MOCK_CFG_FAIL_PARTIAL:
		cfg.fail_partial = val;
		break;
	default:
		return -EINVAL;
	}
	return mock_ioctl(VFM_MOCK_SET_CONFIG, &cfg);
}

int vfm_mock_get(int n, struct vfm_mock_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->id = n;
	return mock_ioctl(VFM_MOCK_GET_CONFIG, cfg);
}

int vfm_mock_reset(int n)
{
	uint32_t id = n;

	return mock_ioctl(VFM_MOCK_RESET, &id);
}

int vfm_mock_add_resv(int n, uint32_t type, uint64_t start, uint64_t length)
{
	struct vfm_mock_resv r = {
		.id = n, .type = type, .start = start, .length = length,
	};

	return mock_ioctl(VFM_MOCK_ADD_RESV, &r);
}

int vfm_mock_clear_resv(int n)
{
	uint32_t id = n;

	return mock_ioctl(VFM_MOCK_CLEAR_RESV, &id);
}

int vfm_mock_fault(int n, uint64_t iova, uint32_t flags, uint32_t count)
{
	struct vfm_mock_fault f = {
		.id = n, .flags = flags, .iova = iova, .count = count,
	};

	return mock_ioctl(VFM_MOCK_FAULT, &f);
}

int vfm_mock_storm(int n, uint64_t iova, uint32_t count)
{
	struct vfm_mock_storm s = { .id = n, .count = count, .iova = iova };

	return mock_ioctl(VFM_MOCK_STORM, &s);
}

int vfm_mock_state(int n, struct vfm_mock_state *st)
{
	memset(st, 0, sizeof(*st));
	st->id = n;
	return mock_ioctl(VFM_MOCK_STATE, st);
}

int vfm_mock_page(uint64_t phys, bool *pinned)
{
	struct vfm_mock_page pg = { .phys = phys };
	int ret = mock_ioctl(VFM_MOCK_PAGE, &pg);

	if (ret)
		return ret;
	*pinned = pg.flags & VFM_MOCK_PAGE_PINNED;
	return pg.refs;
}

bool vfm_mock_present(int n)
{
	struct vfm_mock_state st;

	return !vfm_mock_state(n, &st);
}

int vfm_mock_group(int n)
{
	struct vfm_mock_state st;
	int ret = vfm_mock_state(n, &st);

	return ret ? ret : st.group;
}

/* A count of the module as a whole: any device's state has it. */
int vfm_mock_domains(void)
{
	struct vfm_mock_state st;
	int n, ret = -ENODEV;

	for (n = 0; n < VFM_MOCK_MAX_DEVICES && ret; n++)
		ret = vfm_mock_state(n, &st);
	return ret ? ret : (int)st.domains;
}

int vfm_mock_msi_cookie(int n)
{
	struct vfm_mock_state st;
	int ret = vfm_mock_state(n, &st);

	if (ret)
		return ret;
	if (!(st.flags & VFM_MOCK_STATE_ATTACHED))
		return -ENODEV;
	return !!(st.flags & VFM_MOCK_STATE_MSI_COOKIE);
}

long long vfm_mock_storm_reported(int n)
{
	struct vfm_mock_state st;
	int ret = vfm_mock_state(n, &st);

	return ret ? ret : (long long)st.storm_reported;
}

int vfm_mock_leaves(int n, struct vfm_mock_leaf **out)
{
	struct vfm_mock_leaves req = { .id = n };
	struct vfm_mock_leaf *leaves = NULL;
	uint32_t room = 0;
	int ret;

	/* Ask again while the table grew since the count was taken. */
	for (;;) {
		req.nr = room;
		req.leaves = (uintptr_t)leaves;
		ret = mock_ioctl(VFM_MOCK_LEAVES, &req);
		if (ret || req.nr <= room)
			break;
		room = req.nr;
		free(leaves);
		leaves = calloc(room, sizeof(*leaves));
		if (!leaves)
			return -ENOMEM;
	}
	if (ret) {
		free(leaves);
		return ret;
	}
	*out = leaves;
	return req.nr;
}

#define PROBE_DEBUGFS	"/sys/kernel/debug/vfio_mirror_probe"

/* Fresh: a test that failed may have left it loaded, delays and all. */
int vfm_probe_load(void)
{
	int ret = vfm_probe_unload();

	return ret ? ret : vfm_module_load("vfio_mirror_probe", NULL);
}

int vfm_probe_unload(void)
{
	int ret = vfm_module_unload("vfio_mirror_probe");

	return ret == -ENOENT ? 0 : ret;
}

long long vfm_probe_context(const char *key)
{
	return status_field(PROBE_DEBUGFS "/contexts", key);
}

int vfm_probe_slow(unsigned int us, unsigned int count)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u %u", us, count);
	return write_file(PROBE_DEBUGFS "/slow", buf);
}

long long vfm_probe_slow_hits(void)
{
	return status_field(PROBE_DEBUGFS "/slow", "hits");
}

int vfm_probe_delay(const char *symbol, unsigned int ms, unsigned int count,
		    bool hardirq, int pid)
{
	char buf[256], only[24] = "";

	if (hardirq)
		snprintf(only, sizeof(only), " hardirq");
	else if (pid)
		snprintf(only, sizeof(only), " pid=%d", pid);
	snprintf(buf, sizeof(buf), "%s %u %u%s", symbol, ms, count, only);
	return write_file(PROBE_DEBUGFS "/delay", buf);
}

long long vfm_probe_delay_hits(void)
{
	return status_field(PROBE_DEBUGFS "/delay", "hits");
}

int vfm_probe_delay_off(void)
{
	return write_file(PROBE_DEBUGFS "/delay", "off");
}

int vfm_probe_hold(unsigned int ms)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", ms);
	return write_file(PROBE_DEBUGFS "/hold", buf);
}

int vfm_probe_virtbus(char *buf, size_t len)
{
	return read_file(PROBE_DEBUGFS "/virtbus", buf, len);
}
