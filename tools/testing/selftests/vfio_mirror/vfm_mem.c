// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory and its accounting: buffers, patterns, hugetlbfs pools, VmLck,
 * pins, memory cgroups, physical addresses.
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
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/pci_regs.h>
#include <linux/userfaultfd.h>
#include "vfm_lib.h"
#include "vfm_priv.h"

long vfm_hugepages(long set)
{
	char val[32];
	ssize_t n;
	long old;
	int fd;

	fd = open("/proc/sys/vm/nr_hugepages", O_RDWR);
	if (fd < 0)
		return -1;
	n = read(fd, val, sizeof(val) - 1);
	if (n <= 0) {
		close(fd);
		return -1;
	}
	val[n] = 0;
	old = atol(val);
	if (set >= 0) {
		snprintf(val, sizeof(val), "%ld", set);
		if (pwrite(fd, val, strlen(val), 0) < 0)
			old = -1;
	}
	close(fd);
	return old;
}

long vfm_vmlck_kb(void)
{
	return status_field("/proc/self/status", "VmLck");
}

int vfm_memlock_bounded(long bytes)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	struct rlimit rl = { bytes, bytes };

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : 0;
}

/*
 * Pages pinned with FOLL_PIN system-wide and not yet unpinned.  The
 * counters are per-CPU; writing vm/stat_refresh folds them first, or
 * /proc/vmstat would lag behind.
 */
long long vfm_pins_outstanding(void)
{
	long long acq, rel;

	if (write_file("/proc/sys/vm/stat_refresh", "1"))
		return -1;
	acq = status_field("/proc/vmstat", "nr_foll_pin_acquired");
	rel = status_field("/proc/vmstat", "nr_foll_pin_released");
	if (acq < 0 || rel < 0)
		return -1;
	return acq - rel;
}

long long vfm_meminfo_kb(const char *key)
{
	return status_field("/proc/meminfo", key);
}

#define CGROUP_ROOT	"/sys/fs/cgroup"

/* cgroup v2 at CGROUP_ROOT, mounted there if it is not: 0 or -errno. */
static int memcg_mount(void)
{
	if (access(CGROUP_ROOT "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", CGROUP_ROOT, "cgroup2", 0, NULL))
		return -errno;
	return 0;
}

bool vfm_memcg_available(void)
{
	char buf[256], *tok, *save;

	if (memcg_mount() ||
	    read_file(CGROUP_ROOT "/cgroup.controllers", buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, "memory"))
			return true;
	return false;
}

int vfm_memcg_make(const char *name, long long max)
{
	char path[PATH_MAX], val[32];
	int ret;

	ret = memcg_mount();
	if (ret)
		return ret;
	ret = write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory");
	if (ret)
		return ret;
	snprintf(path, sizeof(path), CGROUP_ROOT "/%s", name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), CGROUP_ROOT "/%s/memory.max", name);
	snprintf(val, sizeof(val), "%lld", max);
	return write_file(path, val);
}

int vfm_memcg_move(const char *name, int pid)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), CGROUP_ROOT "/%s/cgroup.procs", name);
	snprintf(val, sizeof(val), "%d", pid);
	return write_file(path, val);
}

long long vfm_memcg_field(const char *name, const char *file,
			  const char *key)
{
	char path[PATH_MAX], val[32];

	snprintf(path, sizeof(path), CGROUP_ROOT "/%s/%s", name, file);
	if (key)
		return status_field(path, key);
	if (read_file(path, val, sizeof(val)))
		return -1;
	return atoll(val);
}

int vfm_memcg_remove(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), CGROUP_ROOT "/%s", name);
	return rmdir(path) ? -errno : 0;
}

void *vfm_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void vfm_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

bool vfm_untouched(const void *p, size_t size)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i] != VFM_POISON)
			return false;
	return true;
}

char *vfm_two_runs(char *where)
{
	const size_t pg = 4096;
	uint64_t phys[4];
	char *all, *p = NULL;
	int fd, i, other = -1;

	fd = memfd_create("vfm-two-runs", 0);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, 4 * pg))
		goto out;
	all = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (all == MAP_FAILED)
		goto out;
	for (i = 0; i < 4; i++) {
		all[i * pg] = i;
		phys[i] = vfm_phys_of(all + i * pg);
	}
	/* Page 0 first, then one whose frame does not follow page 0's. */
	for (i = 1; i < 4 && other < 0; i++)
		if (phys[0] && phys[i] && phys[i] != phys[0] + pg &&
		    phys[i] + pg != phys[0])
			other = i;
	munmap(all, 4 * pg);
	if (other < 0)
		goto out;
	p = mmap(where, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (where ? MAP_FIXED : 0), fd, 0);
	if (p == MAP_FAILED) {
		p = NULL;
		goto out;
	}
	if (mmap(p + pg, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, other * pg) != p + pg) {
		munmap(p, 2 * pg);
		p = NULL;
		goto out;
	}
	/* Mapped here (populated), each page's frame is known. */
	if (madvise(p, 2 * pg, MADV_POPULATE_READ) ||
	    !vfm_phys_of(p) || !vfm_phys_of(p + pg) ||
	    vfm_phys_of(p) + pg == vfm_phys_of(p + pg)) {
		munmap(p, 2 * pg);
		p = NULL;
	}
out:
	close(fd);
	return p;
}

int vfm_pinned_pages(const char *p, uint64_t size)
{
	uint64_t off, phys;
	int n = 0, ret;
	bool pinned;

	for (off = 0; off < size; off += 4096) {
		phys = vfm_phys_of(p + off);
		if (!phys)
			return -EFAULT;
		ret = vfm_mock_page(phys, &pinned);
		if (ret < 0)
			return ret;
		n += pinned;
	}
	return n;
}

void vfm_fill(void *p, size_t size, uint32_t seed)
{
	uint32_t *w = p;
	size_t i;

	for (i = 0; i < size / sizeof(*w); i++) {
		seed = seed * 1103515245 + 12345;
		w[i] = seed;
	}
}

/* From /proc/self/pagemap: bit 63 present, bits 0-54 the page frame. */
uint64_t vfm_phys_of(const void *vaddr)
{
	uint64_t entry = 0, pg = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	off_t off = (uintptr_t)vaddr / pg * sizeof(entry);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), off) != sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry >> 63))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * pg + (uintptr_t)vaddr % pg;
}

int vfm_uffd_open(struct vfm_uffd *u, size_t size)
{
	/* No features: faults wait (UFFDIO_API writes back them all). */
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int err;

	u->size = size;
	u->fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u->fd < 0)
		return -errno;
	u->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->mem == MAP_FAILED) {
		err = -errno;
		close(u->fd);
		u->mem = NULL;
		return err;
	}
	reg.range.start = (uintptr_t)u->mem;
	reg.range.len = size;
	if (ioctl(u->fd, UFFDIO_API, &api) ||
	    ioctl(u->fd, UFFDIO_REGISTER, &reg)) {
		err = -errno;
		vfm_uffd_close(u);
		u->mem = NULL;
		return err;
	}
	return 0;
}

uint64_t vfm_uffd_wait(struct vfm_uffd *u, int ms)
{
	struct pollfd pfd = { .fd = u->fd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, ms) != 1 ||
	    read(u->fd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return 0;
	return msg.arg.pagefault.address;
}

int vfm_uffd_fill(struct vfm_uffd *u, void *at, size_t len, const void *src)
{
	struct uffdio_copy copy = {
		.dst = (uintptr_t)at, .src = (uintptr_t)src, .len = len,
	};

	return ioctl(u->fd, UFFDIO_COPY, &copy) ? -errno : 0;
}

void vfm_uffd_close(struct vfm_uffd *u)
{
	munmap(u->mem, u->size);
	close(u->fd);
}
