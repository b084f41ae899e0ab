/* The live system, as /proc shows it to an unprivileged user. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peerlog.h"

static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

const char *pl_boot_id(void)
{
	static char id[40];
	static int done;

	if (!done) {
		ssize_t n = read_file("/proc/sys/kernel/random/boot_id", id,
				      sizeof(id));

		while (n > 0 && (id[n - 1] == '\n' || id[n - 1] == ' '))
			id[--n] = '\0';
		if (n < 0)
			id[0] = '\0';
		done = 1;
	}
	return id;
}

/* Is the process that was PID, started at START_TICKS in boot BOOT, still
 * running? A zombie is not: it has already closed every fd it had. */
int pl_proc_alive(const char *boot, int pid, uint64_t start_ticks)
{
	char path[64], buf[1024];
	char *p, state;
	int field;

	if (!boot || strcmp(boot, pl_boot_id()) != 0 || pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	state = p[2];
	if (state == 'Z' || state == 'X' || state == 'x')
		return 0;
	p++;
	/* p is at the space before field 3 */
	for (field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p && strtoull(p + 1, NULL, 10) == start_ticks;
}
