/* Process creation: fork(). The child's side (its hello) is done by the
 * pthread_atfork handler pl__after_fork_child(); here we record the
 * parent's side. */
#include <errno.h>
#include <unistd.h>

#include "shim.h"

PL_EXPORT pid_t fork(void)
{
	pid_t pid;
	int err;

	if (!pl__real.fork)
		pl__resolve();
	pid = pl__real.fork();
	if (pid < 0)
		return pid;
	err = errno;
	if (pid > 0 && pl__enter()) {
		struct pl_rec_fork r = { .child_pid = (uint32_t)pid };

		pl__rec_init(&r.head, PL_REC_FORK, sizeof(r));
		pl__emit(&r, sizeof(r));
		pl__leave();
	}
	errno = err;
	return pid;
}
