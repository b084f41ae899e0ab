/* Process creation: fork(). */
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
	if (pid == 0) {
		/* Always: even a fork from a signal handler that interrupted
		 * the shim must give the child its own identity. */
		int busy = pl__busy;

		pl__busy = 1;
		pl__after_fork_child();
		pl__busy = busy;
	} else if (pl__enter()) {
		struct pl_rec_fork r = { .child_pid = (uint32_t)pid };

		pl__rec_init(&r.head, PL_REC_FORK, sizeof(r));
		pl__emit(&r, sizeof(r));
		pl__leave();
	}
	errno = err;
	return pid;
}
