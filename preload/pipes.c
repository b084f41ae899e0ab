/* Pipes and FIFOs: pipe() and pipe2(), the opens that may name a FIFO
 * (open, openat, their 64-bit and fortified variants, fopen, freopen),
 * popen(), the closes libc makes in fclose() and pclose(), and the first
 * write() or writev() through a pipe's write end.
 *
 * A pipe's two ends have one inode; the table of fds (fds.c) and the
 * records tell them apart by PL_SOCK_WRITE. From then on they go every
 * path a socket goes: fork, exec, dup, SCM_RIGHTS, close.
 *
 * Nothing names a FIFO in open()'s arguments, and open() runs for every
 * file a program reads: each successful open costs one fcntl(F_GETPIPE_SZ),
 * which fails at once on anything that is not a pipe (cheaper than fstat,
 * which copies a whole struct stat). Only a FIFO pays more.
 *
 * Writes: "the write end kept open by a process that never writes to it"
 * is the pipe bug peerlog lint looks for, so the first write through each
 * tracked write end is recorded, once per fd and process (a flag in the
 * table entry). Every other write() costs one load. What libc writes for
 * stdio (fwrite, printf) goes to its internal write and is not seen.
 */
/* <fcntl.h> and <stdio.h> name open open64 (and fopen fopen64...) under
 * _FILE_OFFSET_BITS=64, as the 32-bit build has it: we define both. */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"

#ifndef F_GETPIPE_SZ
#define F_GETPIPE_SZ 1032
#endif

/* After pipe() or pipe2() made FDS: track both ends and say so. */
static void piped(int fds[2], int flags, void *caller)
{
	struct pl_rec_socketpair r = { .type = flags };
	struct stat st;
	pid_t pid;

	if (fstat(fds[0], &st) != 0)
		return;
	pid = pl__pid();
	for (int i = 0; i < 2; i++) {
		r.sock[i].fd = fds[i];
		r.sock[i].ino = (uint64_t)st.st_ino;
		r.sock[i].flags = PL_SOCK_PIPE | (i ? PL_SOCK_WRITE : 0);
		if (pid == pl__self.pid) /* not in a child sharing our table */
			pl__fd_track(fds[i], pl__fd_value(&r.sock[i]));
		if (flags & O_CLOEXEC)
			r.sock[i].flags |= PL_SOCK_CLOEXEC;
	}
	pl__rec_init(&r.head, PL_REC_PIPE, sizeof(r));
	r.head.pid = (uint32_t)pid;
	pl__emit(&r, sizeof(r));
	pl__emit_stack(r.sock[0].ino, pid, caller);
}

PL_EXPORT int pipe2(int fds[2], int flags)
{
	int ret, err;

	PL_NEED(pipe2);
	pl__fds_begin();
	ret = pl__real.pipe2(fds, flags);
	err = errno;
	if (ret == 0 && pl__enter()) {
		piped(fds, flags, __builtin_return_address(0));
		pl__leave();
	}
	pl__fds_end();
	errno = err;
	return ret;
}

/* pipe() is pipe2() without flags, but a symbol of its own: a call to it
 * never reaches our pipe2. */
PL_EXPORT int pipe(int fds[2])
{
	int ret, err;

	PL_NEED(pipe);
	pl__fds_begin();
	ret = pl__real.pipe(fds);
	err = errno;
	if (ret == 0 && pl__enter()) {
		piped(fds, 0, __builtin_return_address(0));
		pl__leave();
	}
	pl__fds_end();
	errno = err;
	return ret;
}

/* FD was just opened: if it is a FIFO's end (or a pipe reopened through
 * /proc/PID/fd/N), track it and say which, with the path /proc gives. */
static void opened(int fd)
{
	union {
		struct pl_rec_open r;
		char bytes[sizeof(struct pl_rec_open) + PATH_MAX + 8];
	} u;
	char path[32] = "/proc/self/fd/", digits[12];
	size_t at = sizeof("/proc/self/fd/") - 1, size;
	struct pl_rec_sock s;
	ssize_t len;
	pid_t pid;
	int n = 0, fl;

	if (pl__real.fcntl(fd, F_GETPIPE_SZ) < 0 || pl__fd_describe(fd, &s) != 0 ||
	    !(s.flags & PL_SOCK_PIPE) || !pl__fd_value(&s))
		return;
	fl = pl__real.fcntl(fd, F_GETFD);
	if (fl >= 0 && (fl & FD_CLOEXEC))
		s.flags |= PL_SOCK_CLOEXEC;
	pid = pl__pid();
	if (pid == pl__self.pid)
		pl__fd_track(fd, pl__fd_value(&s));

	memset(&u.r, 0, sizeof(u.r));
	u.r.fd = fd;
	u.r.flags = s.flags;
	u.r.ino = s.ino;
	for (int v = fd; n == 0 || v; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	while (n)
		path[at++] = digits[--n];
	path[at] = '\0';
	len = readlink(path, u.r.name, PATH_MAX);
	if (len < 0 || !(s.flags & PL_SOCK_FIFO))
		len = 0;
	u.r.name[len] = '\0';
	u.r.name_len = (uint16_t)(len + 1);
	size = pl_rec_align(sizeof(u.r) + u.r.name_len);
	memset(u.r.name + u.r.name_len, 0, size - sizeof(u.r) - u.r.name_len);
	pl__rec_init(&u.r.head, PL_REC_OPEN, size);
	u.r.head.pid = (uint32_t)pid;
	pl__emit(&u, size);
}

/* FD (-1: none) came from an open we wrapped: look at it, unless the shim
 * is busy with its own work. */
static void look_at(int fd)
{
	if (fd >= 0 && pl__enter()) {
		opened(fd);
		pl__leave();
	}
}

/* Around each open: the fd table may change (pl__fds_begin), and a
 * successful open is looked at. O_PATH and O_DIRECTORY never name a
 * FIFO's end. */
#define PL_OPEN(call, flags)                                              \
	do {                                                              \
		int ret_, err_;                                           \
									  \
		if (!pl__self.recording || ((flags) & (O_PATH | O_DIRECTORY))) \
			return call;                                      \
		pl__fds_begin();                                          \
		ret_ = call;                                              \
		err_ = errno;                                             \
		look_at(ret_);                                            \
		pl__fds_end();                                            \
		errno = err_;                                             \
		return ret_;                                              \
	} while (0)

/* open's third argument is there only when a file may be created. */
#define PL_OPEN_MODE(flags, mode)                                         \
	do {                                                              \
		if ((flags) & (O_CREAT | __O_TMPFILE)) {                   \
			va_list ap_;                                      \
									  \
			va_start(ap_, flags);                             \
			mode = va_arg(ap_, int);                          \
			va_end(ap_);                                      \
		}                                                         \
	} while (0)

PL_EXPORT int open(const char *path, int flags, ...)
{
	int mode = 0;

	PL_OPEN_MODE(flags, mode);
	PL_NEED(open);
	PL_OPEN(pl__real.open(path, flags, mode), flags);
}

PL_EXPORT int open64(const char *path, int flags, ...)
{
	int mode = 0;

	PL_OPEN_MODE(flags, mode);
	PL_NEED(open64);
	PL_OPEN(pl__real.open64(path, flags, mode), flags);
}

PL_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	int mode = 0;

	PL_OPEN_MODE(flags, mode);
	PL_NEED(openat);
	PL_OPEN(pl__real.openat(dirfd, path, flags, mode), flags);
}

PL_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	int mode = 0;

	PL_OPEN_MODE(flags, mode);
	PL_NEED(openat64);
	PL_OPEN(pl__real.openat64(dirfd, path, flags, mode), flags);
}

/* What _FORTIFY_SOURCE builds call when it cannot check the flags at
 * compile time. */
PL_EXPORT int __open_2(const char *path, int flags)
{
	PL_NEED(__open_2);
	PL_OPEN(pl__real.__open_2(path, flags), flags);
}

PL_EXPORT int __open64_2(const char *path, int flags)
{
	PL_NEED(__open64_2);
	PL_OPEN(pl__real.__open64_2(path, flags), flags);
}

PL_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	PL_NEED(__openat_2);
	PL_OPEN(pl__real.__openat_2(dirfd, path, flags), flags);
}

PL_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	PL_NEED(__openat64_2);
	PL_OPEN(pl__real.__openat64_2(dirfd, path, flags), flags);
}

/* The fd of stream FP, if it has one, without touching errno. */
static int stream_fd(FILE *fp)
{
	int err = errno, fd = fp ? fileno(fp) : -1;

	errno = err;
	return fd;
}

/* fopen and freopen open inside libc, out of our reach: their stream's
 * fd is looked at after. */
#define PL_FOPEN(call)                                                    \
	do {                                                              \
		FILE *fp_;                                                \
		int err_;                                                 \
									  \
		if (!pl__self.recording)                                  \
			return call;                                      \
		pl__fds_begin();                                          \
		fp_ = call;                                               \
		err_ = errno;                                             \
		look_at(stream_fd(fp_));                                  \
		pl__fds_end();                                            \
		errno = err_;                                             \
		return fp_;                                               \
	} while (0)

PL_EXPORT FILE *fopen(const char *path, const char *mode)
{
	PL_NEED(fopen);
	PL_FOPEN((FILE *)pl__real.fopen(path, mode));
}

PL_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	PL_NEED(fopen64);
	PL_FOPEN((FILE *)pl__real.fopen64(path, mode));
}

/* freopen closes the stream's fd inside libc before it opens PATH (most
 * often at the same number): a tracked one is recorded closed first, or
 * our table would go on naming the pipe there (with no PATH it reopens
 * the same file, and the holding goes on). */
static FILE *reopen(FILE *(*real)(const char *, const char *, FILE *),
		    const char *path, const char *mode, FILE *stream)
{
	int marked = path ? pl__fd_closing(stream_fd(stream)) : 0, err;
	FILE *fp;

	fp = real(path, mode, stream);
	if (marked) {
		err = errno;
		pl__fds_end();
		errno = err;
	}
	return fp;
}

PL_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	PL_NEED(freopen);
	PL_FOPEN(reopen((void *)pl__real.freopen, path, mode, stream));
}

PL_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	PL_NEED(freopen64);
	PL_FOPEN(reopen((void *)pl__real.freopen64, path, mode, stream));
}

/* popen's pipe is made inside libc: its stream's fd is looked at after,
 * as fopen's. */
PL_EXPORT FILE *popen(const char *command, const char *mode)
{
	PL_NEED(popen);
	PL_FOPEN((FILE *)pl__real.popen(command, mode));
}

/* fclose and pclose close their fd inside libc: a tracked one is
 * recorded first, as close() does. Any other costs a load. */
#define PL_FCLOSE(call, fp)                                               \
	do {                                                              \
		int marked_ = pl__fd_closing(stream_fd(fp)), ret_, err_;  \
									  \
		ret_ = call;                                              \
		if (marked_) {                                            \
			err_ = errno;                                     \
			pl__fds_end();                                    \
			errno = err_;                                     \
		}                                                         \
		return ret_;                                              \
	} while (0)

PL_EXPORT int fclose(FILE *fp)
{
	PL_NEED(fclose);
	PL_FCLOSE(pl__real.fclose(fp), fp);
}

PL_EXPORT int pclose(FILE *fp)
{
	PL_NEED(pclose);
	PL_FCLOSE(pl__real.pclose(fp), fp);
}

/* The first write through FD since this process has held it there, when
 * FD is a pipe's write end we track. */
static void wrote(int fd)
{
	struct pl_rec_write r = { .fd = fd };
	uint64_t v = pl__fd_first_write(fd);
	int err;

	if (!v)
		return;
	err = errno;
	if (pl__enter()) {
		r.ino = v & PL__FD_INO;
		pl__rec_init(&r.head, PL_REC_WRITE, sizeof(r));
		pl__emit(&r, sizeof(r));
		pl__leave();
	}
	errno = err;
}

PL_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	PL_NEED(write);
	wrote(fd);
	return pl__real.write(fd, buf, n);
}

PL_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
	PL_NEED(writev);
	wrote(fd);
	return pl__real.writev(fd, iov, n);
}
