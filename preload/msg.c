/* Passing fds: sendmsg, recvmsg, sendmmsg, recvmmsg with SCM_RIGHTS.
 *
 * The sender lists the sockets it passed, the receiver the fds it got;
 * the journal matches them by socket, so an end in flight has no holder
 * until someone receives it. Messages without control data (the common
 * case on the message hot path) cost one test of msg_controllen.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

union fds_rec {
	struct pl_rec_fds r;
	char bytes[PL_REC_MAX];
};

static void fds_flush(union fds_rec *u, int type, pid_t pid)
{
	size_t size = sizeof(u->r) + u->r.nsock * sizeof(u->r.sock[0]);

	if (!u->r.nsock)
		return;
	pl__rec_init(&u->r.head, type, size);
	u->r.head.pid = (uint32_t)pid;
	pl__emit(u, size);
	u->r.nsock = 0;
}

/* Record the sockets and pipe ends among the SCM_RIGHTS fds of MSG, sent or received
 * over CHANNEL. A received fd is tracked from now on. */
static void scan(int channel, const struct msghdr *msg, int type, int flags)
{
	union fds_rec u;
	struct cmsghdr *c;
	uint64_t cookie;
	pid_t pid = pl__pid();
	int shared = pid != pl__self.pid;

	if (!pl__enter())
		return;
	memset(&u.r, 0, sizeof(u.r));
	u.r.channel_fd = channel;
	if (pl__sock_ident(channel, &u.r.channel_ino, &cookie) != 0)
		u.r.channel_ino = 0;
	if (type == PL_REC_RECV_FDS && (msg->msg_flags & MSG_CTRUNC))
		u.r.flags = PL_FDS_CTRUNC;
	for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			struct pl_rec_sock *s = &u.r.sock[u.r.nsock];
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (pl__fd_describe(fd, s) != 0 || !pl__fd_value(s))
				continue;
			if (type == PL_REC_RECV_FDS && (flags & MSG_CMSG_CLOEXEC))
				s->flags |= PL_SOCK_CLOEXEC;
			if (type == PL_REC_RECV_FDS && !shared)
				pl__fd_track(fd, pl__fd_value(s));
			if (++u.r.nsock == PL_FDS_MAX)
				fds_flush(&u, type, pid);
		}
	}
	fds_flush(&u, type, pid);
	pl__leave();
}

static int has_rights(const struct msghdr *msg)
{
	return msg && msg->msg_control && msg->msg_controllen >= CMSG_LEN(0);
}

typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);
typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned int, int);
typedef int (*recvmmsg_fn)(int, struct mmsghdr *, unsigned int, int,
			   struct timespec *);

static ssize_t do_sendmsg(sendmsg_fn real, int fd, const struct msghdr *msg,
			  int flags)
{
	ssize_t ret = real(fd, msg, flags);

	if (ret >= 0 && has_rights(msg)) {
		int err = errno;

		scan(fd, msg, PL_REC_SEND_FDS, flags);
		errno = err;
	}
	return ret;
}

static ssize_t do_recvmsg(recvmsg_fn real, int fd, struct msghdr *msg,
			  int flags)
{
	ssize_t ret;
	int err;

	if (!has_rights(msg))
		return real(fd, msg, flags);
	/* fds may arrive: the fd table changes (see pl__fds_begin) */
	pl__fds_begin();
	ret = real(fd, msg, flags);
	err = errno;
	if (ret >= 0 && has_rights(msg))
		scan(fd, msg, PL_REC_RECV_FDS, flags);
	pl__fds_end();
	errno = err;
	return ret;
}

static int do_sendmmsg(sendmmsg_fn real, int fd, struct mmsghdr *vec,
		       unsigned int vlen, int flags)
{
	int ret = real(fd, vec, vlen, flags);

	if (ret > 0) {
		int err = errno;

		for (int i = 0; i < ret; i++)
			if (has_rights(&vec[i].msg_hdr))
				scan(fd, &vec[i].msg_hdr, PL_REC_SEND_FDS, flags);
		errno = err;
	}
	return ret;
}

static int do_recvmmsg(recvmmsg_fn real, int fd, struct mmsghdr *vec,
		       unsigned int vlen, int flags, struct timespec *timeout)
{
	unsigned int i;
	int ret, err;

	for (i = 0; vec && i < vlen && !has_rights(&vec[i].msg_hdr); i++)
		;
	if (!vec || i == vlen)
		return real(fd, vec, vlen, flags, timeout);
	pl__fds_begin();
	ret = real(fd, vec, vlen, flags, timeout);
	err = errno;
	for (int k = 0; k < ret; k++)
		if (has_rights(&vec[k].msg_hdr))
			scan(fd, &vec[k].msg_hdr, PL_REC_RECV_FDS, flags);
	pl__fds_end();
	errno = err;
	return ret;
}

PL_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	PL_NEED(sendmsg);
	return do_sendmsg(pl__real.sendmsg, fd, msg, flags);
}

PL_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	PL_NEED(recvmsg);
	return do_recvmsg(pl__real.recvmsg, fd, msg, flags);
}

PL_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen,
		       int flags)
{
	PL_NEED(sendmmsg);
	return do_sendmmsg(pl__real.sendmmsg, fd, vec, vlen, flags);
}

PL_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen,
		       int flags, struct timespec *timeout)
{
	PL_NEED(recvmmsg);
	return do_recvmmsg(pl__real.recvmmsg, fd, vec, vlen, flags, timeout);
}

#if __TIMESIZE == 32
/* A 32-bit program built with _TIME_BITS=64 calls these instead (glibc
 * 2.34 and later: they convert the time stamps of control messages). */
PL_EXPORT ssize_t __sendmsg64(int fd, const struct msghdr *msg, int flags)
{
	PL_NEED_AS(sendmsg64, "__sendmsg64");
	return do_sendmsg(pl__real.sendmsg64, fd, msg, flags);
}

PL_EXPORT ssize_t __recvmsg64(int fd, struct msghdr *msg, int flags)
{
	PL_NEED_AS(recvmsg64, "__recvmsg64");
	return do_recvmsg(pl__real.recvmsg64, fd, msg, flags);
}

PL_EXPORT int __sendmmsg64(int fd, struct mmsghdr *vec, unsigned int vlen,
			   int flags)
{
	PL_NEED_AS(sendmmsg64, "__sendmmsg64");
	return do_sendmmsg(pl__real.sendmmsg64, fd, vec, vlen, flags);
}

PL_EXPORT int __recvmmsg64(int fd, struct mmsghdr *vec, unsigned int vlen,
			   int flags, struct timespec *timeout)
{
	PL_NEED_AS(recvmmsg64, "__recvmmsg64");
	return do_recvmmsg(pl__real.recvmmsg64, fd, vec, vlen, flags, timeout);
}
#endif
