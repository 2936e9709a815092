// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest facts: files in sysfs, debugfs and tracefs, module parameters,
 * loading and unloading modules, vfio-mirror's own debugfs counters, CPUs
 * and interrupts.
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
#include "vfm_priv.h"

int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n'))
		buf[--n] = 0;
	return 0;
}

int write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

int vfm_param_write(const char *module, const char *param, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module,
		 param);
	return write_file(path, val);
}

int vfm_param_write_path(const char *path, const char *val)
{
	return write_file(path, val);
}

int vfm_param_read_path(const char *path, char *buf, size_t len)
{
	return read_file(path, buf, len);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

long long vfm_median(long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[n / 2];
}

int vfm_param_read(const char *module, const char *param, char *buf,
		   size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module,
		 param);
	return read_file(path, buf, len);
}

int vfm_set_claim_type1(bool on)
{
	return vfm_param_write("vfio_mirror", "claim_type1", on ? "1" : "0");
}

int vfm_module_refcnt(const char *module)
{
	char path[PATH_MAX], buf[32];
	int ret;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", module);
	ret = read_file(path, buf, sizeof(buf));
	return ret ? ret : atoi(buf);
}

int vfm_module_load(const char *name, const char *args)
{
	const char *dir = getenv("VFM_MODULE_DIR");
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s.ko", dir ? dir : "/lib/modules",
		 name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, args ? args : "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

int vfm_module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

long long status_field(const char *path, const char *key)
{
	char line[256];
	long long val = -1;
	size_t klen = strlen(key);
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) &&
		    (line[klen] == ':' || line[klen] == ' ')) {
			val = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

const char *vfm_env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v ? v : def;
}

bool vfm_devices_required(void)
{
	const char *env = getenv("VFM_REQUIRE_DEVICES");

	return env && *env && strcmp(env, "0");
}

int vfm_trace_event(const char *event, bool on)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), VFM_TRACEFS "/events/%s/enable", event);
	return write_file(path, on ? "1" : "0");
}

int vfm_trace_clear(void)
{
	int fd = open(VFM_TRACEFS "/trace", O_WRONLY | O_TRUNC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

bool vfm_trace_find(const char *text)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(VFM_TRACEFS "/trace", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text);
	fclose(f);
	return found;
}

#define MIRROR_DEBUGFS	"/sys/kernel/debug/vfio_mirror"

/* The debugfs directory of the last container this process set up. */
int vfm_mirror_dir(char *dir, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	int best = -1, id;
	DIR *d;

	d = opendir(MIRROR_DEBUGFS);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		id = atoi(de->d_name);
		if (id <= best)
			continue;
		snprintf(path, sizeof(path), MIRROR_DEBUGFS "/%.16s/info",
			 de->d_name);
		if (status_field(path, "owner") == getpid())
			best = id;
	}
	closedir(d);
	if (best < 0)
		return -ENOENT;
	snprintf(dir, len, MIRROR_DEBUGFS "/%d", best);
	return 0;
}

long long vfm_mirror_info(const char *key)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];

	if (vfm_mirror_dir(dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/info", dir);
	return status_field(path, key);
}

/* The value after " @key " in @line, or -1. */
long long line_field(const char *line, const char *key)
{
	size_t klen = strlen(key);
	const char *p;

	for (p = line; (p = strstr(p, key)); p += klen)
		if ((p == line || p[-1] == ' ') && p[klen] == ' ')
			return strtoll(p + klen + 1, NULL, 0);
	return -1;
}

static long long mirror_domains_scan(int want, const char *key)
{
	char dir[PATH_MAX], path[PATH_MAX + 8], line[512];
	long long val = -1;
	int i = 0;
	FILE *f;

	if (vfm_mirror_dir(dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/domains", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (i++ == want)
			val = line_field(line, key);
	}
	fclose(f);
	return want < 0 ? i : val;
}

int vfm_mirror_domains(void)
{
	return mirror_domains_scan(-1, NULL);
}

long long vfm_mirror_domain(int i, const char *key)
{
	return mirror_domains_scan(i, key);
}

long long vfm_mirror_stat(const char *key)
{
	return status_field(MIRROR_DEBUGFS "/stats", key);
}

int vfm_irq_cpu(const char *name, int *irq)
{
	char path[64], buf[64], line[1024], *p;
	FILE *f = fopen("/proc/interrupts", "r");
	int found = -1;
	size_t len;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		len = strlen(line);
		while (len && (line[len - 1] == '\n' || line[len - 1] == ' '))
			line[--len] = 0;
		p = strrchr(line, ' ');
		if (p && !strcmp(p + 1, name)) {
			found = atoi(line);
			break;
		}
	}
	fclose(f);
	if (found < 0)
		return -1;
	*irq = found;
	snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list",
		 found);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return atoi(buf);
}

int vfm_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}
