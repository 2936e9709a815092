// SPDX-License-Identifier: GPL-2.0-only
/*
 * Programs the tests run: a VMM, say, whose output they read.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "vfm_lib.h"

int vfm_run(const char *const argv[], int seconds, char **out, int *status)
{
	struct pollfd pfd = { .events = POLLIN };
	size_t len = 0, size = 1 << 16;
	time_t end = time(NULL) + seconds;
	int pipefd[2], ret = 0;
	char *buf;
	pid_t pid;

	*out = NULL;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	if (pipe2(pipefd, O_CLOEXEC)) {
		free(buf);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		free(buf);
		return ret;
	}
	if (!pid) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(0);
		open("/dev/null", O_RDONLY);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	for (;;) {
		ssize_t n;

		if (time(NULL) >= end) {
			ret = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, 1000) != 1)
			continue;
		if (len + 4096 + 1 > size) {
			char *more = realloc(buf, size * 2);

			if (!more) {
				ret = -ENOMEM;
				break;
			}
			buf = more;
			size *= 2;
		}
		n = read(pipefd[0], buf + len, size - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = 0;
	close(pipefd[0]);
	if (ret)
		kill(pid, SIGKILL);
	if (waitpid(pid, status, 0) != pid && !ret)
		ret = -errno;
	*out = buf;
	return ret;
}
