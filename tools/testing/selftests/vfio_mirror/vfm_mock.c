// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test modules: the mock IOMMU's devices (debugfs) and the probe.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include "vfm_lib.h"

#include "vfm_lib.h"
#include "vfm_priv.h"

#define MOCK_DEBUGFS	"/sys/kernel/debug/vfio_mirror_mock"

static void mock_path(char *path, size_t len, int n, const char *knob)
{
	snprintf(path, len, MOCK_DEBUGFS "/mock%d/%s", n, knob);
}

bool vfm_mock_loaded(void)
{
	return !access(MOCK_DEBUGFS, F_OK);
}

bool vfm_mock_present(int n)
{
	return vfm_mock_group(n) >= 0;
}

int vfm_mock_group(int n)
{
	char path[PATH_MAX], buf[32];

	mock_path(path, sizeof(path), n, "group");
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

int vfm_mock_get(int n, const char *knob, char *buf, size_t len)
{
	char path[PATH_MAX];

	mock_path(path, sizeof(path), n, knob);
	return read_file(path, buf, len);
}

int vfm_mock_set(int n, const char *knob, const char *val)
{
	char path[PATH_MAX];

	mock_path(path, sizeof(path), n, knob);
	return write_file(path, val);
}

int vfm_mock_set_x(int n, const char *knob, uint64_t val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)val);
	return vfm_mock_set(n, knob, buf);
}

/* The module's defaults: see tools/testing/vfio_mirror_mock/main.c. */
int vfm_mock_reset(int n)
{
	int ret = 0;

	ret |= vfm_mock_set_x(n, "pgsizes", 0x40201000);
	ret |= vfm_mock_set_x(n, "aperture_start", 0);
	ret |= vfm_mock_set_x(n, "aperture_end", (1ULL << 48) - 1);
	ret |= vfm_mock_set(n, "format", "0");
	ret |= vfm_mock_set(n, "coherent", "N");
	ret |= vfm_mock_set(n, "msi_isolated", "Y");
	ret |= vfm_mock_set(n, "fail_attach", "N");
	ret |= vfm_mock_set(n, "fail_map_at", "0");
	ret |= vfm_mock_set(n, "resv", "clear");
	ret |= vfm_mock_set(n, "storm", "stop");
	return ret ? -EIO : 0;
}

int vfm_mock_leaves(int n, struct vfm_leaf **out)
{
	struct vfm_leaf *leaves = NULL, *tmp;
	char path[PATH_MAX], prot[4];
	unsigned long long iova, phys, size;
	int nr = 0, max = 0;
	FILE *f;

	mock_path(path, sizeof(path), n, "mappings");
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%llx %llx %llx %3s", &iova, &phys, &size,
		      prot) == 4) {
		if (nr == max) {
			max = max ? 2 * max : 64;
			tmp = realloc(leaves, max * sizeof(*leaves));
			if (!tmp) {
				nr = -ENOMEM;
				break;
			}
			leaves = tmp;
		}
		leaves[nr++] = (struct vfm_leaf){
			.iova = iova, .phys = phys, .size = size,
			.prot = (strchr(prot, 'r') ? 1 : 0) |
				(strchr(prot, 'w') ? 2 : 0),
		};
	}
	fclose(f);
	if (nr < 0)
		free(leaves);
	else
		*out = leaves;
	return nr;
}

static int mock_root_write_int(const char *file, int val)
{
	char path[PATH_MAX], buf[16];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/%s", file);
	snprintf(buf, sizeof(buf), "%d", val);
	return write_file(path, buf);
}

int vfm_mock_add(int sibling)
{
	char buf[16];
	int ret = mock_root_write_int("add", sibling);

	if (ret)
		return ret;
	ret = read_file(MOCK_DEBUGFS "/add", buf, sizeof(buf));
	return ret ? ret : atoi(buf);
}

int vfm_mock_remove(int n)
{
	return mock_root_write_int("remove_device", n);
}

int vfm_mock_domains(void)
{
	char buf[16];
	int ret = read_file(MOCK_DEBUGFS "/domains", buf, sizeof(buf));

	return ret ? ret : atoi(buf);
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
