/* Descriptors: the in-memory table of tracked socket fds and close().
 *
 * close() is called for every file a program closes, so its common case,
 * an fd we do not track, is one load from a table indexed by fd: no
 * syscall, no lock. Entries are updated with atomics so that threads
 * closing and creating sockets at once never see a torn entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

/* fd -> inode of the socket it holds, 0 when untracked. Sized for the
 * usual fd limits; pages are only touched where fds are used. Higher fds
 * are looked at with fstat() when closed. */
#define PL_FD_TABLE 65536
static uint64_t fd_ino[PL_FD_TABLE];
static int fd_high; /* no tracked fd at or above this */

void pl__fd_track(int fd, uint64_t ino)
{
	if (fd < 0 || fd >= PL_FD_TABLE)
		return;
	__atomic_store_n(&fd_ino[fd], ino, __ATOMIC_RELAXED);
	if (fd >= __atomic_load_n(&fd_high, __ATOMIC_RELAXED))
		__atomic_store_n(&fd_high, fd + 1, __ATOMIC_RELAXED);
}

uint64_t pl__fd_forget(int fd)
{
	if (fd < 0 || fd >= PL_FD_TABLE)
		return 0;
	if (!__atomic_load_n(&fd_ino[fd], __ATOMIC_RELAXED))
		return 0;
	return __atomic_exchange_n(&fd_ino[fd], 0, __ATOMIC_RELAXED);
}

/* Forget every fd: the caller is about to list them all again. */
void pl__fd_reset(void)
{
	int top = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);

	for (int fd = 0; fd < top; fd++)
		__atomic_store_n(&fd_ino[fd], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fd_high, 0, __ATOMIC_RELAXED);
}

/* Inode and cookie of socket FD. Returns 0, or -1 when FD is no socket. */
int pl__sock_ident(int fd, uint64_t *ret_ino, uint64_t *ret_cookie)
{
	struct stat st;
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) != 0)
		cookie = 0;
	*ret_ino = (uint64_t)st.st_ino;
	*ret_cookie = cookie;
	return 0;
}

/* The program closes the descriptor we write the spool to: keep ours on
 * another number, and answer as if that number had never been open. */
static int close_spool_fd(int fd)
{
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);

	if (moved < 0)
		moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	__atomic_store_n(&pl__self.spool_fd, moved, __ATOMIC_RELEASE);
	pl__real.close(fd);
	errno = EBADF;
	return -1;
}

/* Are we a child that shares our parent's memory (vfork, or a clone we
 * did not see)? Then the fd table is the parent's and must stay as it is.
 * One syscall, paid only when a tracked fd is closed. */
static int in_shared_child(pid_t *ret_pid)
{
	*ret_pid = (pid_t)syscall(SYS_getpid);
	return *ret_pid != pl__self.pid;
}

PL_EXPORT int close(int fd)
{
	uint64_t ino, cookie;
	pid_t pid = pl__self.pid;
	int ret, err;

	if (!pl__real.close)
		pl__resolve();
	if (fd >= 0 && fd < PL_FD_TABLE) {
		ino = __atomic_load_n(&fd_ino[fd], __ATOMIC_RELAXED);
		if (!ino) {
			if (fd == pl__self.spool_fd && !pl__busy)
				return close_spool_fd(fd);
			return pl__real.close(fd);
		}
		if (!in_shared_child(&pid))
			ino = pl__fd_forget(fd);
	} else if (fd < 0 || pl__self.spool_fd < 0 ||
		   pl__sock_ident(fd, &ino, &cookie) != 0) {
		return pl__real.close(fd);
	}

	ret = pl__real.close(fd);
	err = errno;
	/* close() fails with EBADF only when nothing was closed; on EINTR
	 * and EIO Linux has released the fd all the same. */
	if (ino && (ret == 0 || err != EBADF) && pl__enter()) {
		struct pl_rec_close r = { .fd = fd, .ino = ino };

		pl__rec_init(&r.head, PL_REC_CLOSE, sizeof(r));
		r.head.pid = (uint32_t)pid;
		pl__emit(&r, sizeof(r));
		pl__leave();
	}
	errno = err;
	return ret;
}
