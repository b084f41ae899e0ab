/* The files both halves create and open: the spool (the shim, and
 * `peerlog run` to check it can) and the journal (the collector). Both
 * must agree on the mode they are created with and on which files they
 * trust enough to write into. See README.md, "Security".
 */
#ifndef PEERLOG_SCHEMA_FILES_H
#define PEERLOG_SCHEMA_FILES_H

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PL_MODE_DEFAULT 0600

/* Is V a mode we create files with? */
static inline int pl_mode_ok(unsigned v)
{
	return v <= 0777 && (v & 0600) == 0600 && !(v & 0002);
}

/* The mode PEERLOG_MODE asks for: octal digits (a leading 0 or not), at
 * most 0777 (no setuid, setgid or sticky bit), with read and write for
 * the owner and no write for others. NULL or empty: PL_MODE_DEFAULT.
 * Anything else is -EINVAL, and the caller says so once and creates the
 * file with PL_MODE_DEFAULT: never world-writable, whatever was asked. */
static inline int pl_mode_parse(const char *s)
{
	unsigned v = 0;
	int digits = 0;

	if (!s || !*s)
		return PL_MODE_DEFAULT;
	for (; *s; s++) {
		if (*s < '0' || *s > '7' || ++digits > 4)
			return -EINVAL;
		v = v * 8 + (unsigned)(*s - '0');
	}
	return pl_mode_ok(v) ? (int)v : -EINVAL;
}

/* May we write into the file ST describes? A regular file, owned by our
 * effective uid or by root: not one another user planted in a shared
 * directory for us to fill (or to have us follow: the open itself does
 * not follow a symlink). */
static inline int pl_file_ours(const struct stat *st)
{
	return S_ISREG(st->st_mode) &&
	       (st->st_uid == geteuid() || st->st_uid == 0);
}

/* Open PATH (FLAGS: O_RDWR or O_WRONLY, and O_APPEND if wanted), creating
 * it with MODE when it is not there, never through a symlink at its last
 * component (ELOOP). A file we create gets MODE exactly, whatever the
 * umask. Returns the fd (O_CLOEXEC) or a negative errno. The caller
 * checks the file with pl_file_ours() before writing into it: one that
 * was already there may be anyone's. */
static inline int pl_file_open(const char *path, int flags, int mode)
{
	flags |= O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK; /* no wait on a FIFO */
	for (int tries = 0; tries < 3; tries++) {
		int fd = open(path, flags | O_CREAT | O_EXCL, mode);

		if (fd >= 0) {
			if (fchmod(fd, (mode_t)mode) != 0) {
				/* the file is ours: it was made 0600 or less */
			}
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
		fd = open(path, flags);
		if (fd >= 0 || errno != ENOENT)
			return fd >= 0 ? fd : -errno;
		/* removed between the two opens: try again */
	}
	return -ENOENT;
}

#endif
