// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-mirror-faults: print the IOMMU faults of another process's
 * vfio-mirror container.
 *
 *   vfio-mirror-faults [-n COUNT] [-t SECONDS] PID FD
 *
 * PID holds the container as file descriptor FD (see /proc/PID/fd: the
 * one that links to /dev/vfio/vfio).  The watcher takes a copy of it with
 * pidfd_getfd(), which needs the right to ptrace PID, and prints every
 * fault record as it arrives, with the count of records lost, until COUNT
 * records (default: no limit) or SECONDS (default: no limit).  It exits 0
 * if it printed COUNT records, or ran out of time with no COUNT given.
 *
 * Reading takes the records out of the container's queue: watch a
 * container whose VMM does not read its faults itself (an unmodified
 * QEMU under claim_type1, say).  The watcher polls; it leaves the
 * container's fault eventfd, which belongs to the VMM, alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vfm_lib.h"

#define POLL_MS		20

static int take_fd(pid_t pid, int fd)
{
	int pidfd, ret;

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	ret = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	ret = ret < 0 ? -errno : ret;
	close(pidfd);
	return ret;
}

static void bad_usage(void)
{
	fprintf(stderr, "usage: vfio-mirror-faults [-n COUNT] [-t SECONDS] PID FD\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct vfio_mirror_fault rec[64];
	long count = -1, seconds = -1, printed = 0, waited_ms = 0;
	uint64_t lost;
	char line[256];
	int c, container, n, i;

	while ((c = getopt(argc, argv, "n:t:")) != -1) {
		if (c == 'n')
			count = atol(optarg);
		else if (c == 't')
			seconds = atol(optarg);
		else
			bad_usage();
	}
	if (argc - optind != 2)
		bad_usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	container = take_fd(atoi(argv[optind]), atoi(argv[optind + 1]));
	if (container < 0) {
		fprintf(stderr, "vfio-mirror-faults: pidfd_getfd: %s\n",
			strerror(-container));
		return 1;
	}
	printf("watching the faults of container %s of process %s\n",
	       argv[optind + 1], argv[optind]);

	while ((count < 0 || printed < count) &&
	       (seconds < 0 || waited_ms < seconds * 1000)) {
		n = vfm_read_faults(container, rec, ARRAY_SIZE(rec), &lost,
				    NULL);
		if (n < 0) {
			fprintf(stderr, "vfio-mirror-faults: %s\n",
				strerror(-n));
			return 1;
		}
		if (lost)
			printf("(%llu records lost)\n",
			       (unsigned long long)lost);
		for (i = 0; i < n; i++) {
			vfm_fault_describe(&rec[i], line, sizeof(line));
			printf("%s\n", line);
		}
		printed += n;
		if (!n) {
			usleep(POLL_MS * 1000);
			waited_ms += POLL_MS;
		}
	}
	close(container);
	return count < 0 || printed >= count ? 0 : 1;
}
