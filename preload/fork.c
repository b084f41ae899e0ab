/* Process creation: fork() and _Fork(). For fork() the child's side (its
 * hello) is done by the pthread_atfork handler pl__after_fork_child();
 * _Fork() runs no handler, so its wrapper calls it. Both record the
 * parent's side.
 *
 * vfork() and clone() with CLONE_VM make children that share our memory:
 * our cached pid and fd table are the parent's there (see
 * ARCHITECTURE.md). We do not record them (the child is seen when what it
 * execs says hello), but note that such a child may exist, so that from
 * then on each wrapper that changes shared state asks the kernel for the
 * pid first; a process that never makes one is spared that syscall.
 * vfork's wrapper must not have a frame (the child would return through
 * it and the parent find it overwritten): on x86-64 it is two instructions
 * that set the flag and jump to the real vfork. Elsewhere it is not
 * wrapped and the flag is set from the start.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#if defined(__x86_64__)
int pl__maybe_shared;

/* Jumps to pl__real.vfork, looked up by the constructor; before that (a
 * vfork from another library's constructor) to fork(): the same for a
 * child that execs or exits at once. */
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	"vfork:\n"
	"	endbr64\n"
	"	movl $1, pl__maybe_shared(%rip)\n"
	"	movq pl__real_vfork(%rip), %rax\n"
	"	testq %rax, %rax\n"
	"	jz 1f\n"
	"	jmp *%rax\n"
	"1:	jmp fork@PLT\n"
	".size vfork, .-vfork\n");
#else
int pl__maybe_shared = 1;
#endif
void *pl__real_vfork;

pid_t pl__pid(void)
{
	if (!__atomic_load_n(&pl__maybe_shared, __ATOMIC_RELAXED))
		return pl__self.pid;
	return (pid_t)syscall(SYS_getpid);
}

PL_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	void *ptid, *tls, *ctid;
	va_list ap;

	va_start(ap, arg);
	ptid = va_arg(ap, void *);
	tls = va_arg(ap, void *);
	ctid = va_arg(ap, void *);
	va_end(ap);
	PL_NEED(clone);
	if ((flags & CLONE_VM) && !(flags & CLONE_THREAD))
		__atomic_store_n(&pl__maybe_shared, 1, __ATOMIC_SEQ_CST);
	return pl__real.clone(fn, stack, flags, arg, ptid, tls, ctid);
}

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
