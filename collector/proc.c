/* The live system, as /proc shows it to an unprivileged user. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel.h"
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

/* Is ACTUAL (a start time from /proc) the start RECORDED by the shim? A
 * fork child reads its start from CLOCK_BOOTTIME a moment after the
 * kernel did, so its record may be a tick or two late, never early; a pid
 * is not reused within PL_TICKS_SLACK of its last start. */
int pl_ticks_match(uint64_t recorded, uint64_t actual)
{
	return actual <= recorded && recorded - actual <= PL_TICKS_SLACK;
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
	return p && pl_ticks_match(start_ticks, strtoull(p + 1, NULL, 10));
}

static int kfds_add(struct pl_kfds *k, uint64_t ino, int pid, int fd,
		    int pipe)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 256;
		struct pl_kfd *v = realloc(k->v, cap * sizeof(*v));

		if (!v)
			return -1;
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = (struct pl_kfd){
		.ino = ino, .pid = pid, .fd = fd, .pipe = pipe,
	};
	return 0;
}

static int kfd_cmp(const void *a, const void *b)
{
	const struct pl_kfd *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* Every socket and pipe fd of every process we may look at, as ss -p and
 * lsof find them. */
int pl_kfds_scan(struct pl_kfds *k)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;

	memset(k, 0, sizeof(*k));
	if (!proc)
		return -1;
	while ((e = readdir(proc))) {
		char path[64], link[64];
		struct dirent *f;
		DIR *fds;
		int pid = atoi(e->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds) {
			if (errno == EACCES) {
				int *u = realloc(k->unreadable,
						 (k->nunreadable + 1) * sizeof(*u));

				if (u) {
					k->unreadable = u;
					u[k->nunreadable++] = pid;
				}
			}
			continue;
		}
		while ((f = readdir(fds))) {
			char fdpath[sizeof(path) + 256];
			unsigned long long ino;
			ssize_t n;

			if (f->d_name[0] == '.')
				continue;
			snprintf(fdpath, sizeof(fdpath), "%s/%s", path,
				 f->d_name);
			n = readlink(fdpath, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if ((sscanf(link, "socket:[%llu]", &ino) == 1 ||
			     sscanf(link, "pipe:[%llu]", &ino) == 1) &&
			    kfds_add(k, ino, pid, atoi(f->d_name),
				     link[0] == 'p') < 0) {
				closedir(fds);
				closedir(proc);
				return -1;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	if (k->n) /* none: no array to sort */
		qsort(k->v, k->n, sizeof(*k->v), kfd_cmp);
	return 0;
}

const struct pl_kfd *pl_kfds_find(const struct pl_kfds *k, int pid, int fd)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].pid == pid && k->v[i].fd == fd)
			return &k->v[i];
	return NULL;
}

uint64_t pl_kfds_at(const struct pl_kfds *k, int pid, int fd)
{
	const struct pl_kfd *f = pl_kfds_find(k, pid, fd);

	return f ? f->ino : 0;
}

int pl_kfds_holds(const struct pl_kfds *k, int pid, int fd, uint64_t ino)
{
	char path[64];
	struct stat st;
	uint64_t at = pl_kfds_at(k, pid, fd);

	if (at)
		return at == ino;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	return stat(path, &st) == 0 && S_ISFIFO(st.st_mode) &&
	       (uint64_t)st.st_ino == ino;
}

int pl_kfds_has(const struct pl_kfds *k, uint64_t ino)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) { /* sorted by inode */
		size_t mid = (lo + hi) / 2;

		if (k->v[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->n && k->v[lo].ino == ino;
}

int pl_kfd_side(int pid, int fd)
{
	char path[64], buf[256], *flags;
	ssize_t n;
	int dfd;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	dfd = open(path, O_RDONLY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	n = read(dfd, buf, sizeof(buf) - 1);
	close(dfd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	flags = strstr(buf, "flags:");
	if (!flags)
		return -1;
	/* octal open flags: O_RDONLY 0, O_WRONLY 1, O_RDWR 2 */
	return (strtol(flags + 6, NULL, 8) & O_ACCMODE) != O_RDONLY;
}

void pl_kfds_free(struct pl_kfds *k)
{
	free(k->v);
	free(k->unreadable);
	memset(k, 0, sizeof(*k));
}
