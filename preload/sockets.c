/* Socket creation: socketpair(), and socket(), bind(), listen(),
 * connect(), accept(), accept4() for AF_UNIX.
 *
 * A connection's two ends live in different processes, and nothing in the
 * socket API names the other end; the kernel does, through
 * NETLINK_SOCK_DIAG (diag.c), asked once per connect and accept. Other
 * families are left alone: calls on fds we do not track cost one load.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim.h"

PL_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	int ret, err;

	PL_NEED(socketpair);
	pl__fds_begin();
	ret = pl__real.socketpair(domain, type, protocol, sv);
	if (ret != 0 || !pl__enter()) {
		pl__fds_end();
		return ret;
	}
	err = errno;
	{
		struct pl_rec_socketpair r = {
			.domain = domain, .type = type, .protocol = protocol,
		};
		uint32_t flags = (type & SOCK_CLOEXEC) ? PL_SOCK_CLOEXEC : 0;

		/* no cookie: a pair is known by its creator's record, and
		 * the cookie comes with the first hello that lists an end
		 * (the collector takes it up by inode) */
		for (int i = 0; i < 2; i++) {
			r.sock[i].fd = sv[i];
			r.sock[i].flags = flags;
			if (pl__sock_ino(sv[i], &r.sock[i].ino) == 0)
				pl__fd_track(sv[i], r.sock[i].ino);
		}
		pl__rec_init(&r.head, PL_REC_SOCKETPAIR, sizeof(r));
		pl__emit(&r, sizeof(r));
		pl__emit_stack(r.sock[0].ino, r.head.pid,
			       __builtin_return_address(0));
	}
	pl__leave();
	pl__fds_end();
	errno = err;
	return ret;
}

PL_EXPORT int socket(int domain, int type, int protocol)
{
	struct pl_rec_socket r = {
		.domain = domain, .type = type, .protocol = protocol,
	};
	int fd, err;

	PL_NEED(socket);
	if (domain != AF_UNIX)
		return pl__real.socket(domain, type, protocol);
	pl__fds_begin();
	fd = pl__real.socket(domain, type, protocol);
	if (fd < 0 || !pl__enter()) {
		pl__fds_end();
		return fd;
	}
	err = errno;
	r.fd = fd;
	if (pl__sock_ident(fd, &r.ino, &r.cookie) == 0) {
		pl__fd_track(fd, r.ino);
		pl__rec_init(&r.head, PL_REC_SOCKET, sizeof(r));
		pl__emit(&r, sizeof(r));
		pl__emit_stack(r.ino, r.head.pid, __builtin_return_address(0));
	}
	pl__leave();
	pl__fds_end();
	errno = err;
	return fd;
}

/* Write a sockaddr_un as a name: a path, or '@' and an abstract name (its
 * NUL bytes shown as '@', as ss does). Returns the length, NUL included. */
static size_t unix_name(const struct sockaddr *addr, socklen_t len,
			char out[PL_NAME_MAX + 1])
{
	const struct sockaddr_un *un = (const void *)addr;
	size_t n, at = 0;

	if (!addr || len <= offsetof(struct sockaddr_un, sun_path) ||
	    un->sun_family != AF_UNIX) {
		out[0] = '\0';
		return 1;
	}
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(un->sun_path))
		n = sizeof(un->sun_path);
	if (un->sun_path[0] != '\0') {
		n = strnlen(un->sun_path, n);
		memcpy(out, un->sun_path, n);
		at = n;
	} else {
		for (size_t i = 0; i < n && at < PL_NAME_MAX; i++)
			out[at++] = un->sun_path[i] ? un->sun_path[i] : '@';
	}
	out[at] = '\0';
	return at + 1;
}

/* One record of the connection family for FD (ino INO). */
static void emit_conn(int type, int fd, int listen_fd, uint64_t ino,
		      uint64_t cookie, uint64_t peer, uint32_t flags,
		      const struct sockaddr *addr, socklen_t addrlen)
{
	union {
		struct pl_rec_conn r;
		char bytes[sizeof(struct pl_rec_conn) + PL_NAME_MAX + 8];
	} u;
	size_t size;

	memset(&u.r, 0, sizeof(u.r));
	u.r.fd = fd;
	u.r.listen_fd = listen_fd;
	u.r.ino = ino;
	u.r.cookie = cookie;
	u.r.peer_ino = peer;
	u.r.flags = flags;
	u.r.name_len = (uint16_t)unix_name(addr, addrlen, u.r.name);
	size = pl_rec_align(sizeof(u.r) + u.r.name_len);
	memset(u.r.name + u.r.name_len, 0, size - sizeof(u.r) - u.r.name_len);
	pl__rec_init(&u.r.head, type, size);
	u.r.head.pid = (uint32_t)pl__pid();
	pl__emit(&u, size);
}

PL_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	uint64_t ino;
	int ret, err;

	PL_NEED(bind);
	ret = pl__real.bind(fd, addr, len);
	if (ret != 0 || !(ino = pl__fd_ino(fd)) || !pl__enter())
		return ret;
	err = errno;
	emit_conn(PL_REC_BIND, fd, -1, ino, 0, 0, 0, addr, len);
	pl__leave();
	errno = err;
	return ret;
}

PL_EXPORT int listen(int fd, int backlog)
{
	uint64_t ino;
	int ret, err;

	PL_NEED(listen);
	ret = pl__real.listen(fd, backlog);
	if (ret != 0 || !(ino = pl__fd_ino(fd)) || !pl__enter())
		return ret;
	err = errno;
	emit_conn(PL_REC_LISTEN, fd, -1, ino, 0, 0, 0, NULL, 0);
	pl__leave();
	errno = err;
	return ret;
}

PL_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	uint64_t ino;
	int ret, err;

	PL_NEED(connect);
	ret = pl__real.connect(fd, addr, len);
	if (ret != 0 || !(ino = pl__fd_ino(fd)) || !pl__enter())
		return ret;
	err = errno;
	emit_conn(PL_REC_CONNECT, fd, -1, ino, 0, pl__peer_ino(ino), 0, addr,
		  len);
	pl__emit_stack(ino, pl__pid(),
		       __builtin_return_address(0));
	pl__leave();
	errno = err;
	return ret;
}

static int accepted(int listen_fd, int fd, int flags, void *caller)
{
	uint64_t ino, cookie;
	int err = errno;

	if (!pl__enter())
		return fd;
	if (pl__sock_ident(fd, &ino, &cookie) == 0) {
		pid_t pid = pl__pid();

		if (pid == pl__self.pid)
			pl__fd_track(fd, ino);
		emit_conn(PL_REC_ACCEPT, fd, listen_fd, ino, cookie,
			  pl__peer_ino(ino),
			  (flags & SOCK_CLOEXEC) ? PL_SOCK_CLOEXEC : 0, NULL, 0);
		pl__emit_stack(ino, pid, caller);
	}
	pl__leave();
	errno = err;
	return fd;
}

PL_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int ret;

	PL_NEED(accept);
	if (!pl__fd_ino(fd))
		return pl__real.accept(fd, addr, len);
	pl__fds_begin();
	ret = pl__real.accept(fd, addr, len);
	if (ret >= 0)
		accepted(fd, ret, 0, __builtin_return_address(0));
	pl__fds_end();
	return ret;
}

PL_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len,
		      int flags)
{
	int ret;

	PL_NEED(accept4);
	if (!pl__fd_ino(fd))
		return pl__real.accept4(fd, addr, len, flags);
	pl__fds_begin();
	ret = pl__real.accept4(fd, addr, len, flags);
	if (ret >= 0)
		accepted(fd, ret, flags, __builtin_return_address(0));
	pl__fds_end();
	return ret;
}
