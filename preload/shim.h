/* Internals shared by the files of the interposer (libpeerlog.so).
 *
 * Rules every wrapper follows (see ARCHITECTURE.md):
 * - call the real function through pl__real, resolved once with
 *   dlsym(RTLD_NEXT);
 * - save errno before doing our own work and give the caller the errno of
 *   the real call;
 * - when pl__enter() says no (runaway nesting, recording off), just call
 *   the real function;
 * - build records on the stack and write each with one write(): no malloc,
 *   no lock, so the fork child, signal handlers and the exec path are safe.
 */
#ifndef PEERLOG_PRELOAD_SHIM_H
#define PEERLOG_PRELOAD_SHIM_H

#include <limits.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "../schema/record.h"

#define PL_EXPORT __attribute__((visibility("default")))
#define PL_TLS __thread __attribute__((tls_model("initial-exec")))

/* The real functions, each looked up on its first use (PL_NEED): a
 * program image pays only for the calls it makes. */
struct pl_real {
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*close_range)(unsigned, unsigned, int);
	void (*closefrom)(int);
	int (*socketpair)(int, int, int, int[2]);
	int (*pipe)(int[2]);
	int (*pipe2)(int[2], int);
	int (*open)(const char *, int, ...);
	int (*open64)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*openat64)(int, const char *, int, ...);
	int (*__open_2)(const char *, int);
	int (*__open64_2)(const char *, int);
	int (*__openat_2)(int, const char *, int);
	int (*__openat64_2)(int, const char *, int);
	void *(*fopen)(const char *, const char *);
	void *(*fopen64)(const char *, const char *);
	void *(*freopen)(const char *, const char *, void *);
	void *(*freopen64)(const char *, const char *, void *);
	void *(*popen)(const char *, const char *);
	int (*fclose)(void *);
	int (*pclose)(void *);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*writev)(int, const struct iovec *, int);
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int,
			struct timespec *);
	pid_t (*fork)(void);
	pid_t (*_Fork)(void);
	pid_t (*vfork)(void);
	int (*clone)(int (*)(void *), void *, int, void *, ...);
	int (*posix_spawn)(pid_t *, const char *,
			   const posix_spawn_file_actions_t *,
			   const posix_spawnattr_t *, char *const[],
			   char *const[]);
	int (*posix_spawnp)(pid_t *, const char *,
			    const posix_spawn_file_actions_t *,
			    const posix_spawnattr_t *, char *const[],
			    char *const[]);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execv)(const char *, char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
	int (*execveat)(int, const char *, char *const[], char *const[], int);
	void (*exit)(int) __attribute__((noreturn));
	void (*_exit)(int) __attribute__((noreturn));
	void (*_Exit)(int) __attribute__((noreturn));
#if __TIMESIZE == 32
	/* what a 32-bit program built with _TIME_BITS=64 calls instead */
	int (*fcntl_time64)(int, int, ...);
	int (*ioctl_time64)(int, unsigned long, ...);
	ssize_t (*sendmsg64)(int, const struct msghdr *, int);
	ssize_t (*recvmsg64)(int, struct msghdr *, int);
	int (*sendmmsg64)(int, struct mmsghdr *, unsigned int, int);
	/* its timeout is a struct __timespec64 *, passed through */
	int (*recvmmsg64)(int, struct mmsghdr *, unsigned int, int,
			  struct timespec *);
#endif
};
extern struct pl_real pl__real;
void pl__resolve(void **slot, const char *name);
#define PL_NEED(name) PL_NEED_AS(name, #name)
#define PL_NEED_AS(field, symbol)                                          \
	do {                                                               \
		if (!pl__real.field)                                       \
			pl__resolve((void **)(void *)&pl__real.field, symbol); \
	} while (0)

/* What this process image is; written once at hello, read everywhere. */
struct pl_self {
	pid_t pid;            /* cached: updated in the fork child */
	uint64_t hello_ns;    /* identifies this image (with pid) */
	uint64_t start_ticks;
	char boot_id[40];
	char exe[1024];       /* /proc/self/exe, read once per image */
	int recording;        /* the spool is open and mapped */
	int spool_fd;         /* -1: none (not recording, or it had to give
			       * its number to the program: reopened when
			       * a record needs the file, spool.c) */
	uint64_t spool_dev, spool_ino; /* what spool_fd must be */
	int ready;            /* constructor has run */
};
extern struct pl_self pl__self;

/* Set once this process may have a child that shares its memory: it
 * called vfork(), or clone() with CLONE_VM (fork.c). Until then the
 * cached pid is ours and no syscall is needed to know it. */
extern int pl__maybe_shared;

/* Our pid as the kernel says it: in a child sharing our memory the cached
 * one is the parent's. */
pid_t pl__pid(void);
extern void *pl__real_vfork; /* for the vfork wrapper's jump */

/* Recursion guard: how deep this thread is inside the shim. The shim's
 * own calls go to the real functions, so nesting comes from signal
 * handlers that interrupt us and call a wrapped function: each record is
 * built in its own frame and written with one write(), so they record
 * too. Only a runaway nesting (a recursion we did not foresee) is cut. */
#define PL_NEST_MAX 4
extern PL_TLS int pl__busy;

/* Enter the shim's own work: 1 when the caller should record, else 0. */
static inline int pl__enter(void)
{
	if (pl__busy >= PL_NEST_MAX || !pl__self.recording)
		return 0;
	pl__busy++;
	return 1;
}

static inline void pl__leave(void)
{
	pl__busy--;
}

/* Does S start with the N bytes of PREFIX? Ours rather than strncmp, as
 * are a few other string loops on the fork, exec and start-up paths: in a
 * fork child or a new image each page of libc code run for the first time
 * is a page fault, which costs more here than the work. */
static inline int pl__has_prefix(const char *s, const char *prefix, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != prefix[i])
			return 0;
	return 1;
}

/* spool.c */
int pl__spool_open(const char *journal);
int pl__spool_give_up_fd(void);
uint64_t pl__now_ns(void);
void pl__rec_init(struct pl_rec_head *head, int type, size_t size);
void pl__emit(void *rec, size_t size);

/* init.c */
void pl__hello(int reason, pid_t parent_pid, uint64_t parent_hello_ns,
	       int argc, char **argv, const char *fds);
void pl__after_fork_child(void);

/* redact.c: an argument as the journal may keep it. */
size_t pl__redact(const char *arg, int *state, char *out, size_t room);

/* fds.c: which fds hold a socket or a pipe's end we know about. The table
 * holds the inode, and for a pipe or FIFO end what kind of end it is in
 * the top bits: the inodes of pipefs and of the file systems FIFOs live on
 * stay far below them (an end whose inode does not is not tracked). */
#define PL__FD_PIPE (1ull << 63)  /* a pipe's or FIFO's end */
#define PL__FD_WRITE (1ull << 62) /* ... its write end */
#define PL__FD_FIFO (1ull << 61)  /* ... of a named FIFO */
#define PL__FD_WROTE (1ull << 60) /* written through this fd (said once) */
#define PL__FD_INO ((1ull << 60) - 1)
/* A table entry for end S (its inode and kind), 0 when it cannot be one. */
uint64_t pl__fd_value(const struct pl_rec_sock *s);
/* End S at FD from table entry V: inode and kind; flags has no cloexec. */
void pl__fd_sock(int fd, uint64_t v, struct pl_rec_sock *s);
/* What FD is, when it is an end we track (a socket, a pipe's or FIFO's
 * end): 0 and *S filled (close-on-exec left out), else -1. */
int pl__fd_describe(int fd, struct pl_rec_sock *s);
void pl__fd_track(int fd, uint64_t ino);
void pl__fd_reset(void);
int pl__sock_ino(int fd, uint64_t *ret_ino);
int pl__sock_ident(int fd, uint64_t *ret_ino, uint64_t *ret_cookie);
uint64_t pl__fd_ino(int fd);
uint64_t pl__fd_first_write(int fd);
/* FD is about to be closed inside libc (fclose, pclose): recorded, as
 * close() would. 1 when the caller must call pl__fds_end() after. */
int pl__fd_closing(int fd);
int pl__fd_next(int from, uint64_t *ret_ino);
int pl__fd_top(void);
/* Around a call that changes the fd table and our table after it. */
void pl__fds_begin(void);
void pl__fds_end(void);
int pl__fds_settled(void);
void pl__fds_settle_child(void);

/* diag.c */
uint64_t pl__peer_ino(uint64_t ino);

/* env.c: our variables in the environment of what we exec. */
#define PL_SELF_VAR "PEERLOG_SELF="
#define PL_SELF_MAX 1536
void pl__env_init(const char *journal);
const char *pl__env_journal(void);
size_t pl__env_count(char *const *envp);
size_t pl__env_room(char *const *envp, int exec);
char *const *pl__env_fix(char *const *envp, char **out, char *room,
			 size_t size, int exec);

/* Declare ENV: ENVP with our variables, built in the caller's frame, in
 * no more stack than it needs (after a fork each page of stack written is
 * a copy-on-write fault). EXEC: for an exec of this process (not a
 * spawned child), which gets PEERLOG_SELF too. */
#define PL_ENV(env, envp, exec)                                        \
	size_t env##_size = pl__env_room(envp, exec);                  \
	char env##_room[env##_size];                                   \
	char *env##_out[pl__env_count(envp) + 4];                      \
	char *const *env = pl__env_fix(envp, env##_out, env##_room,    \
				       env##_size, exec)

/* exit.c */
void pl__emit_exit(int status);

/* stack.c */
struct dl_phdr_info;
void pl__stack_init(void);
/* CALLER: __builtin_return_address(0) of the wrapper the program called */
void pl__emit_stack(uint64_t ino, pid_t pid, void *caller);
int pl__module_cb(struct dl_phdr_info *info, size_t size, void *arg);

#endif
