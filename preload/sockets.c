/* Socket creation: socketpair(). */
#include <errno.h>
#include <sys/socket.h>

#include "shim.h"

PL_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	int ret, err;

	if (!pl__real.socketpair)
		pl__resolve();
	ret = pl__real.socketpair(domain, type, protocol, sv);
	if (ret != 0 || !pl__enter())
		return ret;
	err = errno;
	{
		struct pl_rec_socketpair r = {
			.domain = domain, .type = type, .protocol = protocol,
		};
		uint32_t flags = (type & SOCK_CLOEXEC) ? PL_SOCK_CLOEXEC : 0;

		for (int i = 0; i < 2; i++) {
			r.sock[i].fd = sv[i];
			r.sock[i].flags = flags;
			if (pl__sock_ident(sv[i], &r.sock[i].ino,
					   &r.sock[i].cookie) == 0)
				pl__fd_track(sv[i], r.sock[i].ino);
		}
		pl__rec_init(&r.head, PL_REC_SOCKETPAIR, sizeof(r));
		pl__emit(&r, sizeof(r));
	}
	pl__leave();
	errno = err;
	return ret;
}
