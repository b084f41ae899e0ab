/* The kernel's view of a UNIX socket's peer: a NETLINK_SOCK_DIAG exact
 * lookup (UNIX_DIAG, UDIAG_SHOW_PEER), the same query ss(8) makes. There
 * is no getsockopt for it. Stack buffers only; nothing is kept open. */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim.h"

/* The inode of the peer of socket INO, or 0 when it has none or the
 * kernel would not say. */
uint64_t pl__peer_ino(uint64_t ino)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
		.nlh = {
			.nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = 1,
		},
		.req = {
			.sdiag_family = AF_UNIX,
			.udiag_ino = (uint32_t)ino,
			.udiag_show = UDIAG_SHOW_PEER,
			/* no cookie: take the socket with this inode */
			.udiag_cookie = { ~0U, ~0U },
		},
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nlh;
		char bytes[1024];
	} r;
	uint64_t peer = 0;
	ssize_t n;
	int fd;

	PL_NEED(socket);
	fd = pl__real.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			     NETLINK_SOCK_DIAG);
	if (fd < 0)
		return 0;
	/* the program's signal handlers may interrupt us */
	do
		n = sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&kernel,
			   sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(q))
		goto out;
	do
		n = recv(fd, &r, sizeof(r), 0);
	while (n < 0 && errno == EINTR);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct unix_diag_msg)) ||
	    !NLMSG_OK(&r.nlh, (size_t)n) || r.nlh.nlmsg_seq != 1 ||
	    r.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY)
		goto out;
	{
		struct unix_diag_msg *m = NLMSG_DATA(&r.nlh);
		struct rtattr *a = (struct rtattr *)(m + 1);
		int len = (int)r.nlh.nlmsg_len - NLMSG_LENGTH(sizeof(*m));

		if (m->udiag_ino != (uint32_t)ino)
			goto out;
		for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
			if (a->rta_type == UNIX_DIAG_PEER &&
			    RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
				uint32_t v;

				memcpy(&v, RTA_DATA(a), sizeof(v));
				peer = v;
			}
	}
out:
	pl__real.close(fd);
	return peer;
}
