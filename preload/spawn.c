/* Children started without fork(): posix_spawn(), posix_spawnp(), and
 * _Fork() (which runs no atfork handler).
 *
 * glibc's posix_spawn clones a child that shares our memory and execs at
 * once; system() and popen() do the same through an internal posix_spawn
 * that no wrapper sees. Either way the child is seen when the program it
 * execs says hello: its ppid names us, and the sockets it lists are
 * matched to ours whatever fd the file actions moved them to. Here we
 * only make sure that program is traced too, and note the spawn.
 *
 * A vfork child (fork.c) runs on its parent's stack until it execs. Its
 * exec and close go through our wrappers, which see that they run in a
 * shared child and touch nothing shared.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

static void spawned(pid_t *pid, const char *path)
{
	union {
		struct pl_rec_spawn r;
		char bytes[sizeof(struct pl_rec_spawn) + 512];
	} u;
	size_t len = path ? strnlen(path, 511) : 0;
	size_t size = pl_rec_align(sizeof(u.r) + len + 1);

	if (!pl__enter())
		return;
	memset(&u, 0, sizeof(u));
	pl__rec_init(&u.r.head, PL_REC_SPAWN, size);
	u.r.head.pid = (uint32_t)pl__pid();
	u.r.child_pid = pid ? (uint32_t)*pid : 0;
	if (len)
		memcpy(u.r.path, path, len);
	u.r.path_len = (uint16_t)(len + 1);
	pl__emit(&u, size);
	pl__leave();
}

PL_EXPORT int posix_spawn(pid_t *pid, const char *path,
			  const posix_spawn_file_actions_t *actions,
			  const posix_spawnattr_t *attr, char *const argv[],
			  char *const envp[])
{
	int ret;

	PL_NEED(posix_spawn);
	PL_ENV(env, envp, 0);
	ret = pl__real.posix_spawn(pid, path, actions, attr, argv, env);
	if (ret == 0) {
		int err = errno;

		spawned(pid, path);
		errno = err;
	}
	return ret;
}

PL_EXPORT int posix_spawnp(pid_t *pid, const char *file,
			   const posix_spawn_file_actions_t *actions,
			   const posix_spawnattr_t *attr, char *const argv[],
			   char *const envp[])
{
	int ret;

	PL_NEED(posix_spawnp);
	PL_ENV(env, envp, 0);
	ret = pl__real.posix_spawnp(pid, file, actions, attr, argv, env);
	if (ret == 0) {
		int err = errno;

		spawned(pid, file);
		errno = err;
	}
	return ret;
}
