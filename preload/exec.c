/* Program replacement: the exec family.
 *
 * glibc's exec variants call execve internally, where no wrapper sees
 * them, so each one is wrapped. We record the attempt before the call and
 * its failure after; success shows up as the new image's hello. The fds
 * that survive are exactly those the new image lists in that hello.
 *
 * A child made with vfork() (or clone) that we did not see shares its
 * parent's memory: the cached pid is the parent's, so here the pid comes
 * from the kernel, and nothing of the shared state is written.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

extern char **environ;

static void exec_attempt(const char *path)
{
	union {
		struct pl_rec_exec r;
		char bytes[sizeof(struct pl_rec_exec) + 512];
	} u;
	size_t len = path ? strnlen(path, 511) : 0;
	size_t size = pl_rec_align(sizeof(u.r) + len + 1);

	memset(&u, 0, sizeof(u));
	pl__rec_init(&u.r.head, PL_REC_EXEC, size);
	u.r.head.pid = (uint32_t)pl__pid();
	if (len)
		memcpy(u.r.path, path, len);
	u.r.path_len = (uint16_t)(len + 1);
	pl__emit(&u, size);
}

static void exec_failed(int err)
{
	struct pl_rec_exec_fail r = { .err = err };

	pl__rec_init(&r.head, PL_REC_EXEC_FAIL, sizeof(r));
	r.head.pid = (uint32_t)pl__pid();
	pl__emit(&r, sizeof(r));
}

/* Run CALL with the attempt and its failure recorded around it. The guard
 * is not held across the call itself: in a vfork child it is the parent's
 * thread-local state, and after a successful exec nobody would drop it. */
#define TRACED_EXEC(path, call)                                       \
	do {                                                          \
		int ret_, err_ = errno;                               \
		if (pl__enter()) {                                    \
			exec_attempt(path);                           \
			pl__leave();                                  \
		}                                                     \
		errno = err_;                                         \
		ret_ = (call);                                        \
		err_ = errno;                                         \
		if (pl__enter()) {                                    \
			exec_failed(err_);                            \
			pl__leave();                                  \
		}                                                     \
		errno = err_;                                         \
		return ret_;                                          \
	} while (0)

/* The variants without an envp use environ, which the program may have
 * stripped of our variables: they go through the envp variants. */
PL_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	PL_NEED(execve);
	PL_ENV(env, envp, 1);
	TRACED_EXEC(path, pl__real.execve(path, argv, env));
}

PL_EXPORT int execv(const char *path, char *const argv[])
{
	PL_NEED(execve);
	PL_ENV(env, environ, 1);
	TRACED_EXEC(path, pl__real.execve(path, argv, env));
}

PL_EXPORT int execvp(const char *file, char *const argv[])
{
	PL_NEED(execvpe);
	PL_ENV(env, environ, 1);
	TRACED_EXEC(file, pl__real.execvpe(file, argv, env));
}

PL_EXPORT int execvpe(const char *file, char *const argv[],
		      char *const envp[])
{
	PL_NEED(execvpe);
	PL_ENV(env, envp, 1);
	TRACED_EXEC(file, pl__real.execvpe(file, argv, env));
}

PL_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	char path[32];

	PL_NEED(fexecve);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	PL_ENV(env, envp, 1);
	TRACED_EXEC(path, pl__real.fexecve(fd, argv, env));
}

PL_EXPORT int execveat(int dirfd, const char *path, char *const argv[],
		       char *const envp[], int flags)
{
	PL_NEED(execveat);
	PL_ENV(env, envp, 1);
	TRACED_EXEC(path, pl__real.execveat(dirfd, path, argv, env, flags));
}

/* The execl variants take their arguments as a NULL-terminated list; we
 * gather them into an array on the stack, as glibc does, and go through
 * the vector call that glibc's own version would reach. */
#define COUNT_ARGS(arg0, count)                                       \
	do {                                                          \
		va_list ap_;                                          \
		va_start(ap_, arg0);                                  \
		for (count = 1; va_arg(ap_, char *); count++)         \
			;                                             \
		va_end(ap_);                                          \
	} while (0)

#define FILL_ARGS(arg0, argv, n, ap)                                  \
	do {                                                          \
		argv[0] = (char *)arg0;                               \
		for (size_t i_ = 1; i_ <= n; i_++)                    \
			argv[i_] = va_arg(ap, char *);                \
	} while (0)

PL_EXPORT int execl(const char *path, const char *arg, ...)
{
	size_t n;
	va_list ap;

	COUNT_ARGS(arg, n);
	{
		char *argv[n + 1];

		va_start(ap, arg);
		FILL_ARGS(arg, argv, n, ap);
		va_end(ap);
		return execve(path, argv, environ);
	}
}

PL_EXPORT int execlp(const char *file, const char *arg, ...)
{
	size_t n;
	va_list ap;

	COUNT_ARGS(arg, n);
	{
		char *argv[n + 1];

		va_start(ap, arg);
		FILL_ARGS(arg, argv, n, ap);
		va_end(ap);
		return execvp(file, argv);
	}
}

PL_EXPORT int execle(const char *path, const char *arg, ...)
{
	size_t n;
	va_list ap;

	COUNT_ARGS(arg, n);
	{
		char *argv[n + 1];
		char **envp;

		va_start(ap, arg);
		FILL_ARGS(arg, argv, n, ap);
		envp = va_arg(ap, char **);
		va_end(ap);
		return execve(path, argv, envp);
	}
}
