/* Process end: exit(), _exit(), _Exit() and the shim's destructor.
 *
 * exit() runs atexit handlers and destructors, which may still close
 * sockets, so it only notes the status; our destructor writes the record.
 * _exit() and _Exit() skip all that and write it themselves. A process
 * killed by a signal writes nothing: the collector sees it gone.
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

/* Both belong to the process that set them: a fork child starts afresh. */
static pid_t status_pid, done_pid;
static int exit_status;

void pl__emit_exit(int status)
{
	pid_t pid = (pid_t)syscall(SYS_getpid);
	struct pl_rec_exit r = { .status = status };

	if (done_pid == pid && pid == pl__self.pid)
		return;
	if (!pl__enter())
		return;
	pl__rec_init(&r.head, PL_REC_EXIT, sizeof(r));
	/* A vfork child shares our memory: name it, not us, and leave the
	 * shared flags alone. */
	r.head.pid = (uint32_t)pid;
	pl__emit(&r, sizeof(r));
	if (pid == pl__self.pid)
		done_pid = pid;
	pl__leave();
}

PL_EXPORT void exit(int status)
{
	if (!pl__real.exit)
		pl__resolve();
	if (pl__self.ready && (pid_t)syscall(SYS_getpid) == pl__self.pid) {
		status_pid = pl__self.pid;
		exit_status = status & 0xff;
	}
	pl__real.exit(status);
}

PL_EXPORT void _exit(int status)
{
	if (!pl__real._exit)
		pl__resolve();
	if (pl__self.ready)
		pl__emit_exit(status & 0xff);
	pl__real._exit(status);
}

PL_EXPORT void _Exit(int status)
{
	if (!pl__real._Exit)
		pl__resolve();
	if (pl__self.ready)
		pl__emit_exit(status & 0xff);
	pl__real._Exit(status);
}

__attribute__((destructor)) static void pl_fini(void)
{
	if (!pl__self.ready)
		return;
	pl__emit_exit(status_pid == pl__self.pid ? exit_status
						 : PL_EXIT_UNKNOWN);
}
