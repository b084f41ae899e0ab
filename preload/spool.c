/* The spool writer: every event becomes one record, written with one
 * write() on an O_APPEND descriptor. The kernel serialises appends to a
 * regular file, so records of concurrent processes and threads never
 * interleave, and no lock or buffer is shared between them: a process
 * killed at any moment loses at most the event it had not yet written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

/* Keep our descriptor out of the range programs use: high, but below the
 * usual soft limit so that the kernel need not grow the fd table much. */
static int spool_fd_floor(void)
{
	struct rlimit rl;
	rlim_t top = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < top)
		top = rl.rlim_cur;
	return top > 64 ? (int)top - 24 : 3;
}

static void say_once(const char *what, const char *path, int err)
{
	const char *quiet = secure_getenv("PEERLOG_QUIET");
	char line[512];
	size_t n = 0;
	const char *parts[] = { "peerlog: ", what, " '", path, "': ",
				strerror(err), "; not recording\n" };

	if (quiet && *quiet && strcmp(quiet, "0") != 0)
		return;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t len = strlen(parts[i]);

		if (n + len >= sizeof(line))
			len = sizeof(line) - 1 - n;
		memcpy(line + n, parts[i], len);
		n += len;
	}
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to say it */
	}
}

/* Open the spool next to JOURNAL. Returns the fd or a negative errno. */
int pl__spool_open(const char *journal)
{
	char path[4096];
	size_t len = strlen(journal);
	int fd, high;

	if (len + sizeof(".spool") > sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, journal, len);
	memcpy(path + len, ".spool", sizeof(".spool"));

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		int err = errno;

		say_once("cannot open spool", path, err);
		return -err;
	}
	high = pl__real.fcntl(fd, F_DUPFD_CLOEXEC, spool_fd_floor());
	if (high >= 0) {
		pl__real.close(fd);
		fd = high;
	}
	{
		struct stat st;

		if (fstat(fd, &st) == 0) {
			pl__self.spool_dev = (uint64_t)st.st_dev;
			pl__self.spool_ino = (uint64_t)st.st_ino;
		}
	}
	return fd;
}

uint64_t pl__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pl__rec_init(struct pl_rec_head *head, int type, size_t size)
{
	head->magic = PL_REC_MAGIC;
	head->size = (uint16_t)size;
	head->version = PL_FORMAT_VERSION;
	head->type = (uint8_t)type;
	head->pid = (uint32_t)pl__self.pid;
	head->check = 0;
	head->time_ns = pl__now_ns();
}

/* A record from a child that shares our memory (vfork): its fd table is
 * its own, and the program may have put a file of its own at our number
 * (dup2 onto it), which we could not move without moving it for the
 * parent too. Write only if the number still is the spool. */
static int spool_is_ours(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == pl__self.spool_dev &&
	       (uint64_t)st.st_ino == pl__self.spool_ino;
}

/* Seal and append one record. Errors are swallowed: the traced program
 * must not notice that we could not record. */
void pl__emit(void *rec, size_t size)
{
	struct pl_rec_head *head = rec;
	ssize_t n;

	if (pl__self.spool_fd < 0)
		return;
	if (head->pid != (uint32_t)pl__self.pid &&
	    !spool_is_ours(pl__self.spool_fd))
		return;
	head->size = (uint16_t)size;
	head->check = 0;
	head->check = pl_rec_checksum(rec, size);
	do
		n = write(pl__self.spool_fd, rec, size);
	while (n < 0 && errno == EINTR);
}
