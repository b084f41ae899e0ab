/* Process creation: fork() and _Fork(). For fork() the child's side (its
 * hello) is done by the pthread_atfork handler pl__after_fork_child();
 * _Fork() runs no handler, so its wrapper calls it. Both record the
 * parent's side. */
#include <errno.h>
#include <unistd.h>

#include "shim.h"

static void forked(pid_t pid)
{
	int err = errno;

	if (pl__enter()) {
		struct pl_rec_fork r = { .child_pid = (uint32_t)pid };

		pl__rec_init(&r.head, PL_REC_FORK, sizeof(r));
		pl__emit(&r, sizeof(r));
		pl__leave();
	}
	errno = err;
}

PL_EXPORT pid_t fork(void)
{
	pid_t pid;

	PL_NEED(fork);
	pid = pl__real.fork();
	if (pid > 0)
		forked(pid);
	return pid;
}

PL_EXPORT pid_t _Fork(void)
{
	pid_t pid;

	PL_NEED(_Fork);
	pid = pl__real._Fork();
	if (pid == 0) {
		int err = errno;

		pl__after_fork_child();
		errno = err;
	} else if (pid > 0) {
		forked(pid);
	}
	return pid;
}
