/* Process end: exit(), _exit(), _Exit(), return from main, and the shim's
 * destructor.
 *
 * exit() runs atexit handlers and destructors, which may still close
 * sockets, so it only notes the status; our destructor writes the record.
 * Returning from main reaches exit() inside libc, where no wrapper sees
 * it, so main itself is wrapped through __libc_start_main to note its
 * return value. _exit() and _Exit() skip all that and write the record
 * themselves. A process killed by a signal writes nothing: the collector
 * sees it gone.
 */
#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

/* Both belong to the process that set them: a fork child starts afresh. */
static pid_t status_pid, done_pid;
static int exit_status;

void pl__emit_exit(int status)
{
	pid_t pid = pl__pid();
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

static void note_status(int status)
{
	if (pl__self.ready && pl__pid() == pl__self.pid) {
		status_pid = pl__self.pid;
		exit_status = status & 0xff;
	}
}

PL_EXPORT void exit(int status)
{
	PL_NEED(exit);
	note_status(status);
	pl__real.exit(status);
}

typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;

static int main_wrapper(int argc, char **argv, char **envp)
{
	int status = real_main(argc, argv, envp);

	note_status(status);
	return status;
}

/* glibc's entry point, called by the program's _start. The arguments after
 * main are passed through untouched. */
PL_EXPORT int __libc_start_main(main_fn main, int argc, char **argv,
				void (*init)(void), void (*fini)(void),
				void (*rtld_fini)(void), void *stack_end)
{
	int (*real)(main_fn, int, char **, void (*)(void), void (*)(void),
		    void (*)(void), void *);

	*(void **)&real = dlsym(RTLD_NEXT, "__libc_start_main");
	real_main = main;
	return real(main_wrapper, argc, argv, init, fini, rtld_fini,
		    stack_end);
}

PL_EXPORT void _exit(int status)
{
	PL_NEED(_exit);
	if (pl__self.ready)
		pl__emit_exit(status & 0xff);
	pl__real._exit(status);
}

PL_EXPORT void _Exit(int status)
{
	PL_NEED(_Exit);
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
