/* Descriptors: the in-memory table of tracked socket fds, and the calls
 * that copy, flag and drop fds: close, dup, dup2, dup3, fcntl (F_DUPFD,
 * F_DUPFD_CLOEXEC, F_SETFD), ioctl (FIOCLEX, FIONCLEX), close_range and
 * closefrom.
 *
 * These run for every file a program touches, so their common case, an fd
 * we do not track, is one load from a table indexed by fd: no syscall, no
 * lock. Entries are updated with atomics so that threads closing and
 * creating sockets at once never see a torn entry.
 *
 * The same calls are where a program can hit the descriptor we write the
 * spool to: closing it, dup2()ing onto it, or closing every fd. We move it
 * out of the way, or keep it out of the range, and the program sees what
 * it would have seen had the fd never been open.
 */
/* This file defines both fcntl and fcntl64: on a 32-bit system glibc's
 * <fcntl.h> names fcntl fcntl64 under _FILE_OFFSET_BITS=64, which the
 * 32-bit build of the shim sets for the spool (spool.c). */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

/* fd -> inode of the socket or pipe end it holds, with its kind in the
 * top bits (PL__FD_PIPE...), 0 when untracked. Sized for the usual fd
 * limits; pages are only touched where fds are used. Higher fds are
 * looked at with fstat() when closed (sockets only). */
#define PL_FD_TABLE 65536
static uint64_t fd_ino[PL_FD_TABLE] __attribute__((aligned(8))); /* atomics */
static int fd_high; /* no tracked fd at or above this */

void pl__fd_track(int fd, uint64_t ino)
{
	if (fd < 0 || fd >= PL_FD_TABLE)
		return;
	__atomic_store_n(&fd_ino[fd], ino, __ATOMIC_RELAXED);
	if (fd >= __atomic_load_n(&fd_high, __ATOMIC_RELAXED))
		__atomic_store_n(&fd_high, fd + 1, __ATOMIC_RELAXED);
}

static uint64_t fd_forget(int fd)
{
	if (fd < 0 || fd >= PL_FD_TABLE)
		return 0;
	if (!__atomic_load_n(&fd_ino[fd], __ATOMIC_RELAXED))
		return 0;
	return __atomic_exchange_n(&fd_ino[fd], 0, __ATOMIC_RELAXED);
}

static uint64_t fd_lookup(int fd)
{
	if (fd < 0 || fd >= PL_FD_TABLE)
		return 0;
	return __atomic_load_n(&fd_ino[fd], __ATOMIC_RELAXED);
}

/* Calls in flight that change the fd table: from before the syscall to
 * after our table is updated. A fork child (and an exec handing over to
 * the next image) may trust the table only if none was in flight in any
 * thread at that instant; else it lists its fds from /proc. One counter
 * per thread slot, each on its own cache line: threads never share one. */
#define PL_SLOTS 16
static struct {
	int n;
	char pad[64 - sizeof(int)];
} inflight[PL_SLOTS] __attribute__((aligned(64)));
static PL_TLS int my_slot = -1;
static int slots_given;

void pl__fds_begin(void)
{
	if (my_slot < 0)
		my_slot = __atomic_fetch_add(&slots_given, 1, __ATOMIC_RELAXED) %
			  PL_SLOTS;
	/* a locked add: visible before the syscall that follows */
	__atomic_add_fetch(&inflight[my_slot].n, 1, __ATOMIC_SEQ_CST);
}

/* The end of it. Atomics only: errno stays as the call left it. */
void pl__fds_end(void)
{
	__atomic_sub_fetch(&inflight[my_slot].n, 1, __ATOMIC_SEQ_CST);
}

int pl__fds_settled(void)
{
	for (int i = 0; i < PL_SLOTS; i++)
		if (__atomic_load_n(&inflight[i].n, __ATOMIC_SEQ_CST))
			return 0;
	return 1;
}

/* In a fork child, which has one thread: the other threads' calls are
 * not in flight here. */
void pl__fds_settle_child(void)
{
	for (int i = 0; i < PL_SLOTS; i++)
		if (inflight[i].n) /* a write would copy the page */
			inflight[i].n = 0;
}

/* No tracked fd at or above this. */
int pl__fd_top(void)
{
	return __atomic_load_n(&fd_high, __ATOMIC_RELAXED);
}

/* The next tracked fd at or above FROM (its inode in *RET_INO), or -1. */
int pl__fd_next(int from, uint64_t *ret_ino)
{
	int top = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);

	for (int fd = from < 0 ? 0 : from; fd < top; fd++) {
		uint64_t ino = fd_lookup(fd);

		if (ino) {
			*ret_ino = ino;
			return fd;
		}
	}
	return -1;
}

/* When FD is a pipe's write end we track and nothing was written through
 * it yet in this process: its entry, marked written from now on; else 0.
 * A child sharing our memory leaves our table alone. */
uint64_t pl__fd_first_write(int fd)
{
	const uint64_t want = PL__FD_PIPE | PL__FD_WRITE;
	uint64_t v;

	if (fd < 0 || fd >= PL_FD_TABLE)
		return 0;
	v = __atomic_load_n(&fd_ino[fd], __ATOMIC_RELAXED);
	if ((v & (want | PL__FD_WROTE)) != want || pl__pid() != pl__self.pid ||
	    !__atomic_compare_exchange_n(&fd_ino[fd], &v, v | PL__FD_WROTE, 0,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0;
	return v;
}

/* The table's entry for FD (inode and kind) if we track it, else 0. */
uint64_t pl__fd_ino(int fd)
{
	return fd_lookup(fd);
}

/* Forget every fd: the caller is about to list them all again. */
void pl__fd_reset(void)
{
	int top = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);

	for (int fd = 0; fd < top; fd++)
		__atomic_store_n(&fd_ino[fd], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fd_high, 0, __ATOMIC_RELAXED);
}

uint64_t pl__fd_value(const struct pl_rec_sock *s)
{
	uint64_t v = s->ino;

	if (!v || v > PL__FD_INO)
		return 0;
	if (s->flags & PL_SOCK_PIPE)
		v |= PL__FD_PIPE;
	if (s->flags & PL_SOCK_WRITE)
		v |= PL__FD_WRITE;
	if (s->flags & PL_SOCK_FIFO)
		v |= PL__FD_FIFO;
	return v;
}

void pl__fd_sock(int fd, uint64_t v, struct pl_rec_sock *s)
{
	s->fd = fd;
	s->ino = v & PL__FD_INO;
	s->cookie = 0;
	s->flags = ((v & PL__FD_PIPE) ? PL_SOCK_PIPE : 0) |
		   ((v & PL__FD_WRITE) ? PL_SOCK_WRITE : 0) |
		   ((v & PL__FD_FIFO) ? PL_SOCK_FIFO : 0);
}

/* Is the pipe at FD an anonymous one (pipe:[INO] in /proc), not a FIFO?
 * Where /proc cannot tell, take it for one. */
static int anonymous_pipe(int fd)
{
	char path[32] = "/proc/self/fd/", link[8], digits[12];
	size_t at = sizeof("/proc/self/fd/") - 1;
	int n = 0;
	ssize_t len;

	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10));
	while (n)
		path[at++] = digits[--n];
	path[at] = '\0';
	len = readlink(path, link, sizeof(link));
	return len < 0 || (len >= 5 && pl__has_prefix(link, "pipe:", 5));
}

int pl__fd_describe(int fd, struct pl_rec_sock *s)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) != 0)
		return -1;
	s->fd = fd;
	s->flags = 0;
	s->ino = (uint64_t)st.st_ino;
	s->cookie = 0;
	if (S_ISSOCK(st.st_mode)) {
		socklen_t len = sizeof(s->cookie);

		if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &s->cookie, &len) != 0)
			s->cookie = 0;
		return 0;
	}
	if (!S_ISFIFO(st.st_mode) || s->ino > PL__FD_INO)
		return -1;
	fl = pl__real.fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH))
		return -1;
	s->flags = PL_SOCK_PIPE |
		   ((fl & O_ACCMODE) != O_RDONLY ? PL_SOCK_WRITE : 0) |
		   (anonymous_pipe(fd) ? 0 : PL_SOCK_FIFO);
	return 0;
}

/* Inode of socket FD. Returns 0, or -1 when FD is no socket. */
int pl__sock_ino(int fd, uint64_t *ret_ino)
{
	struct stat64 st;

	if (fstat64(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return -1;
	*ret_ino = (uint64_t)st.st_ino;
	return 0;
}

/* Inode and cookie of socket FD. Returns 0, or -1 when FD is no socket. */
int pl__sock_ident(int fd, uint64_t *ret_ino, uint64_t *ret_cookie)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (pl__sock_ino(fd, ret_ino) != 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0)
		cookie = 0;
	*ret_cookie = cookie;
	return 0;
}

/* Are we a child that shares our parent's memory (vfork, or a clone we
 * did not see)? Then the fd table is the parent's and must stay as it is,
 * and records go out under our own pid. One syscall, paid only when a
 * tracked fd changes. */
static int in_shared_child(pid_t *ret_pid)
{
	*ret_pid = pl__pid();
	return *ret_pid != pl__self.pid;
}

/* Move the spool descriptor off FD: to the lowest free number above it,
 * else the lowest above 2. */
static int move_spool_fd(int fd)
{
	int moved = pl__real.fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);

	if (moved < 0)
		moved = pl__real.fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (moved < 0)
		return -1;
	__atomic_store_n(&pl__self.spool_fd, moved, __ATOMIC_RELEASE);
	pl__real.close(fd);
	return moved;
}

/* INO: the table's entry for FD */
static void emit_close(pid_t pid, int fd, uint64_t ino)
{
	struct pl_rec_close r = { .fd = fd, .ino = ino & PL__FD_INO };
	int err = errno;

	if (!pl__enter())
		return;
	pl__rec_init(&r.head, PL_REC_CLOSE, sizeof(r));
	r.head.pid = (uint32_t)pid;
	pl__emit(&r, sizeof(r));
	pl__leave();
	errno = err;
}

PL_EXPORT int close(int fd)
{
	uint64_t ino, cookie;
	pid_t pid = pl__self.pid;
	int ret;

	PL_NEED(close);
	if (fd >= 0 && fd < PL_FD_TABLE) {
		ino = fd_lookup(fd);
		if (!ino) {
			if (fd == pl__self.spool_fd) {
				/* As if it had never been open. A child that
				 * shares our memory keeps it where it is: it
				 * goes at its exec, being close-on-exec. */
				if (!in_shared_child(&pid))
					move_spool_fd(fd);
				errno = EBADF;
				return -1;
			}
			return pl__real.close(fd);
		}
		pl__fds_begin();
		if (!in_shared_child(&pid))
			ino = fd_forget(fd);
	} else if (fd < 0 || !pl__self.recording ||
		   pl__sock_ident(fd, &ino, &cookie) != 0) {
		return pl__real.close(fd);
	} else {
		pl__fds_begin();
	}

	/* The record goes first: once the fd is closed another thread may
	 * get its number, and the record of that new socket must come after
	 * ours in the spool. close() fails with EBADF only when the fd was
	 * not open (closed behind our back): then it is closed all the same. */
	emit_close(pid, fd, ino);
	ret = pl__real.close(fd);
	pl__fds_end();
	return ret;
}

int pl__fd_closing(int fd)
{
	pid_t pid = pl__self.pid;
	uint64_t v;

	if (fd < 0 || fd >= PL_FD_TABLE || !(v = fd_lookup(fd)))
		return 0;
	pl__fds_begin();
	if (!in_shared_child(&pid))
		v = fd_forget(fd);
	if (v)
		emit_close(pid, fd, v);
	return 1;
}

/* Calls on our descriptor fail as they would had it never been open. */
static int is_spool(int fd)
{
	if (fd < 0 || fd != pl__self.spool_fd)
		return 0;
	errno = EBADF;
	return 1;
}

/* After NEWFD became a copy of OLDFD (INO, 0 when untracked): update the
 * table and say so. PREV is what NEWFD held before, now closed. */
static void copied(int oldfd, int newfd, uint64_t ino, uint64_t prev,
		   int cloexec)
{
	pid_t pid = pl__self.pid;
	int shared = in_shared_child(&pid);

	if (!ino) {
		if (prev) {
			if (!shared)
				fd_forget(newfd);
			emit_close(pid, newfd, prev);
		}
		return;
	}
	/* the copy has not been written through yet */
	if (!shared)
		pl__fd_track(newfd, ino & ~PL__FD_WROTE);
	if (pl__enter()) {
		struct pl_rec_dup r = { .oldfd = oldfd, .newfd = newfd };
		struct pl_rec_sock s;

		pl__fd_sock(newfd, ino, &s);
		r.ino = s.ino;
		r.flags = s.flags | (cloexec ? PL_SOCK_CLOEXEC : 0);
		pl__rec_init(&r.head, PL_REC_DUP, sizeof(r));
		r.head.pid = (uint32_t)pid;
		pl__emit(&r, sizeof(r));
		pl__leave();
	}
}

static void set_cloexec(int fd, int on)
{
	pid_t pid = pl__self.pid;
	struct pl_rec_setfd r = {
		.fd = fd, .flags = on ? PL_SOCK_CLOEXEC : 0,
	};

	in_shared_child(&pid);
	if (!pl__enter())
		return;
	pl__rec_init(&r.head, PL_REC_SETFD, sizeof(r));
	r.head.pid = (uint32_t)pid;
	pl__emit(&r, sizeof(r));
	pl__leave();
}

PL_EXPORT int dup(int oldfd)
{
	int ret, err;

	PL_NEED(dup);
	if (is_spool(oldfd))
		return -1;
	if (!fd_lookup(oldfd))
		return pl__real.dup(oldfd);
	pl__fds_begin();
	ret = pl__real.dup(oldfd);
	err = errno;
	if (ret >= 0)
		copied(oldfd, ret, fd_lookup(oldfd), 0, 0);
	pl__fds_end();
	errno = err;
	return ret;
}

/* dup2 and dup3: NEWFD may be ours (move first) or a tracked socket
 * (closed by the call). */
static int dup_onto(int oldfd, int newfd, int flags, int three)
{
	uint64_t ino = fd_lookup(oldfd), prev = fd_lookup(newfd);
	int ret, err, given = -1;

	if (is_spool(oldfd))
		return -1;
	if (newfd == pl__self.spool_fd && newfd != oldfd && newfd >= 0) {
		pid_t pid;

		/* in a child sharing our memory the number must stay: its
		 * records check that it still is the spool (pl__emit) */
		if (!in_shared_child(&pid) && move_spool_fd(newfd) < 0)
			given = pl__spool_give_up_fd(); /* no free number */
	}
	if (!ino && !prev && given < 0)
		return three ? pl__real.dup3(oldfd, newfd, flags)
			     : pl__real.dup2(oldfd, newfd);
	pl__fds_begin();
	ret = three ? pl__real.dup3(oldfd, newfd, flags)
		    : pl__real.dup2(oldfd, newfd);
	err = errno;
	if (ret < 0 && given >= 0)
		pl__real.close(given); /* as if it had never been open */
	if (ret >= 0 && oldfd != newfd)
		copied(oldfd, newfd, ino, prev, flags & O_CLOEXEC);
	pl__fds_end();
	errno = err;
	return ret;
}

PL_EXPORT int dup2(int oldfd, int newfd)
{
	PL_NEED(dup2);
	return dup_onto(oldfd, newfd, 0, 0);
}

PL_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	PL_NEED(dup3);
	return dup_onto(oldfd, newfd, flags, 1);
}

/* The third argument of fcntl and ioctl is an int or a pointer depending
 * on the command; like glibc, take it as a pointer-sized value and pass
 * it through. */
#define PL_ARG3(last, arg)                     \
	do {                                   \
		va_list ap;                    \
		va_start(ap, last);            \
		arg = va_arg(ap, void *);      \
		va_end(ap);                    \
	} while (0)

static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd,
			void *arg)
{
	int ret, err;

	if (is_spool(fd))
		return -1;
	if ((cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) || !fd_lookup(fd)) {
		ret = real(fd, cmd, arg);
		if (ret < 0 || cmd != F_SETFD || !fd_lookup(fd))
			return ret;
		err = errno;
		set_cloexec(fd, ((long)arg & FD_CLOEXEC) != 0);
		errno = err;
		return ret;
	}
	pl__fds_begin();
	ret = real(fd, cmd, arg);
	err = errno;
	if (ret >= 0)
		copied(fd, ret, fd_lookup(fd), 0, cmd == F_DUPFD_CLOEXEC);
	pl__fds_end();
	errno = err;
	return ret;
}

PL_EXPORT int fcntl(int fd, int cmd, ...)
{
	void *arg;

	PL_ARG3(cmd, arg);
	PL_NEED(fcntl);
	return fcntl_common(pl__real.fcntl, fd, cmd, arg);
}

PL_EXPORT int fcntl64(int fd, int cmd, ...)
{
	void *arg;

	PL_ARG3(cmd, arg);
	PL_NEED(fcntl64);
	if (!pl__real.fcntl64) /* a libc older than 2.28 */
		return fcntl_common(pl__real.fcntl, fd, cmd, arg);
	return fcntl_common(pl__real.fcntl64, fd, cmd, arg);
}

static int ioctl_common(int (*real)(int, unsigned long, ...), int fd,
			unsigned long request, void *arg)
{
	int ret, err;

	if (is_spool(fd))
		return -1;
	ret = real(fd, request, arg);
	if (ret < 0 || (request != FIOCLEX && request != FIONCLEX) ||
	    !fd_lookup(fd))
		return ret;
	err = errno;
	set_cloexec(fd, request == FIOCLEX);
	errno = err;
	return ret;
}

PL_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	void *arg;

	PL_ARG3(request, arg);
	PL_NEED(ioctl);
	return ioctl_common(pl__real.ioctl, fd, request, arg);
}

#if __TIMESIZE == 32
/* A 32-bit program built with _TIME_BITS=64 calls these (glibc 2.34 and
 * later): fcntl and fcntl64 are __fcntl_time64 there, ioctl is
 * __ioctl_time64. */
PL_EXPORT int __fcntl_time64(int fd, int cmd, ...)
{
	void *arg;

	PL_ARG3(cmd, arg);
	PL_NEED_AS(fcntl_time64, "__fcntl_time64");
	return fcntl_common(pl__real.fcntl_time64, fd, cmd, arg);
}

PL_EXPORT int __ioctl_time64(int fd, unsigned long request, ...)
{
	void *arg;

	PL_ARG3(request, arg);
	PL_NEED_AS(ioctl_time64, "__ioctl_time64");
	return ioctl_common(pl__real.ioctl_time64, fd, request, arg);
}
#endif

/* The tracked fds in [first, last] are closed (or made close-on-exec):
 * one record for the range, whatever its size. Like close(), called
 * before the fds are closed, so that no new socket at one of those numbers
 * is recorded before it. */
static void range_done(unsigned first, unsigned last, unsigned flags)
{
	pid_t pid = pl__self.pid;
	int shared = in_shared_child(&pid);
	int top = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);
	int any = 0;
	struct pl_rec_close_range r = {
		.first = first, .last = last,
		.flags = (flags & CLOSE_RANGE_CLOEXEC) ? PL_RANGE_CLOEXEC : 0,
	};

	for (unsigned fd = first; fd <= last && fd < (unsigned)top; fd++) {
		if (!fd_lookup((int)fd))
			continue;
		any = 1;
		if (!shared && !(flags & CLOSE_RANGE_CLOEXEC))
			fd_forget((int)fd);
	}
	if (!any || !pl__enter())
		return;
	pl__rec_init(&r.head, PL_REC_CLOSE_RANGE, sizeof(r));
	r.head.pid = (uint32_t)pid;
	pl__emit(&r, sizeof(r));
	pl__leave();
}

/* close_range() that leaves the spool descriptor open: the range is split
 * around it. The program cannot tell, as it never knew that fd. */
static int close_range_around(unsigned first, unsigned last, int flags)
{
	unsigned spool = (unsigned)pl__self.spool_fd;
	int ret = 0;

	if (pl__self.spool_fd < 0 || spool < first || spool > last ||
	    (flags & CLOSE_RANGE_CLOEXEC) ||
	    (flags & ~(CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE)))
		return pl__real.close_range(first, last, flags);
	if (spool > first)
		ret = pl__real.close_range(first, spool - 1, flags);
	if (ret == 0 && spool < last)
		ret = pl__real.close_range(spool + 1, last,
					   flags & ~CLOSE_RANGE_UNSHARE);
	return ret;
}

PL_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int ret, err;

	PL_NEED(close_range);
	pl__fds_begin();
	/* Closing: record first (see range_done). What can make it fail
	 * then is checked first: a call that would fail closes nothing. */
	if (!(flags & CLOSE_RANGE_CLOEXEC) && first <= last &&
	    !(flags & ~(CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE))) {
		err = errno;
		range_done(first, last, (unsigned)flags);
		errno = err;
		ret = close_range_around(first, last, flags);
	} else {
		ret = close_range_around(first, last, flags);
		err = errno;
		if (ret == 0)
			range_done(first, last, (unsigned)flags);
		errno = err;
	}
	pl__fds_end();
	return ret;
}

PL_EXPORT void closefrom(int lowfd)
{
	int spool = pl__self.spool_fd;
	int err = errno;

	PL_NEED(closefrom);
	PL_NEED(close_range);
	PL_NEED(close);
	if (lowfd < 0)
		lowfd = 0;
	pl__fds_begin();
	range_done((unsigned)lowfd, ~0u, 0);
	if (spool >= lowfd) {
		/* the same as glibc's closefrom, around our descriptor */
		if (spool > lowfd &&
		    pl__real.close_range((unsigned)lowfd, (unsigned)spool - 1,
					 0) != 0)
			for (int fd = lowfd; fd < spool; fd++)
				pl__real.close(fd);
		pl__real.closefrom(spool + 1);
	} else {
		pl__real.closefrom(lowfd);
	}
	pl__fds_end();
	errno = err;
}
