/* Start-up of the shim in each program image: resolve the real functions,
 * find the spool, and say hello with the sockets the image already holds.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

extern char **environ;

/* Decimal digits at S: the value, with *RET_END after them (not strtoull:
 * see pl__has_prefix). */
static uint64_t parse_u64(const char *s, const char **ret_end)
{
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	*ret_end = s;
	return v;
}

struct pl_real pl__real;
struct pl_self pl__self = { .spool_fd = -1 };
PL_TLS int pl__busy;

/* dlsym(RTLD_NEXT) for one function. Two threads may look it up at once:
 * both find the same address. */
void pl__resolve(void **slot, const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
}

/* Read a small file into BUF (NUL terminated). Returns its length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	pl__real.close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Field 22 of /proc/self/stat: the start time in clock ticks since boot.
 * With the pid and boot id it names a process even after its pid is
 * reused. The command name (field 2) may hold spaces and parentheses, so
 * count fields from the last ')'. */
static uint64_t read_start_ticks(void)
{
	char buf[1024];
	const char *end;
	char *p;
	int field;

	if (read_small("/proc/self/stat", buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	/* p is at the space before field 3 */
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p + 1, ' ');
	}
	return p ? parse_u64(p + 1, &end) : 0;
}

static void read_boot_id(char out[40])
{
	char buf[64];
	ssize_t n = read_small("/proc/sys/kernel/random/boot_id", buf,
			       sizeof(buf));

	memset(out, 0, 40);
	if (n <= 0)
		return;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	memcpy(out, buf, n < 39 ? (size_t)n : 39);
}

struct dirent64_raw {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Describe FD if it is a socket or a pipe's end. Returns 1 when it is. */
static int describe_end(int fd, struct pl_rec_sock *out)
{
	int fl;

	if (pl__fd_describe(fd, out) != 0 || !pl__fd_value(out))
		return 0;
	fl = pl__real.fcntl(fd, F_GETFD);
	if (fl >= 0 && (fl & FD_CLOEXEC))
		out->flags |= PL_SOCK_CLOEXEC;
	return 1;
}

/* Gathers socket entries into the HELLO record, then, once it is sent,
 * into SNAP records built in the same buffer: one page of stack, not two.
 * In a fork child every stack page written is a copy-on-write fault,
 * which costs more here than the rest of the hello. */
struct snap_writer {
	char *rec;           /* the record being filled: the hello, then SNAPs */
	size_t used;         /* its bytes so far */
	uint32_t count;      /* entries in it */
	int hello_sent;
};

static void snap_flush(struct snap_writer *w)
{
	struct pl_rec_snap *snap = (void *)w->rec;

	if (!w->hello_sent) {
		struct pl_rec_hello *h = (void *)w->rec;

		h->nsock = (uint16_t)w->count;
		pl__emit(w->rec, w->used);
		w->hello_sent = 1;
	} else if (w->count) {
		snap->nsock = w->count;
		pl__emit(w->rec, w->used);
	}
	pl__rec_init(&snap->head, PL_REC_SNAP, sizeof(*snap));
	snap->pad = 0;
	w->used = sizeof(*snap);
	w->count = 0;
}

static void snap_add(struct snap_writer *w, const struct pl_rec_sock *s)
{
	if (w->used + sizeof(*s) > PL_REC_MAX)
		snap_flush(w);
	memcpy(w->rec + w->used, s, sizeof(*s));
	w->used += sizeof(*s);
	w->count++;
}

/* List the sockets and pipe ends this process holds, from /proc/self/fd: the ground
 * truth, whatever path an fd took. Fills the fd table too. getdents64 on
 * a stack buffer: opendir would malloc. */
static void snapshot_proc(struct snap_writer *w)
{
	char buf[2048];
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	pl__fd_reset();
	if (dfd < 0)
		return;
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf));
		long off;

		if (n <= 0)
			break;
		for (off = 0; off < n;) {
			struct dirent64_raw *d = (void *)(buf + off);
			struct pl_rec_sock s;
			const char *end;
			uint64_t fd;

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			fd = parse_u64(d->d_name, &end);
			if (*end || fd > INT_MAX || (int)fd == dfd ||
			    (int)fd == pl__self.spool_fd)
				continue;
			if (describe_end((int)fd, &s)) {
				pl__fd_track((int)fd, pl__fd_value(&s));
				snap_add(w, &s);
			}
		}
	}
	pl__real.close(dfd);
}

/* A fork child holds what its parent held at the fork, and our table
 * says what that was when no call changing fds was in flight (then the
 * caller lists /proc instead). F_GETFD gives each close-on-exec flag and
 * drops an fd closed behind our back. The child has written through none
 * of its pipes yet. */
static void snapshot_table(struct snap_writer *w)
{
	uint64_t v;
	int fd = -1;

	while ((fd = pl__fd_next(fd + 1, &v)) >= 0) {
		struct pl_rec_sock s;
		int fl = pl__real.fcntl(fd, F_GETFD);

		if (fl < 0) {
			pl__fd_track(fd, 0);
			continue;
		}
		if (v & PL__FD_WROTE)
			pl__fd_track(fd, v & ~PL__FD_WROTE);
		pl__fd_sock(fd, v, &s);
		if (fl & FD_CLOEXEC)
			s.flags |= PL_SOCK_CLOEXEC;
		snap_add(w, &s);
	}
}

/* After an exec, the ends the previous image of this process listed
 * (FD.ENTRY,... with its table entries) that are still there: exec kept
 * them, so none is close-on-exec. A pipe's end is checked by inode and
 * kind with fstat alone: whether it is a FIFO comes with the entry. */
static void snapshot_list(struct snap_writer *w, const char *list)
{
	const char *p = list;

	while (*p) {
		struct pl_rec_sock s;
		struct stat st;
		const char *end;
		uint64_t fd = parse_u64(p, &end), v;

		if (end == p || *end != '.')
			break;
		v = parse_u64(end + 1, &end) & ~PL__FD_WROTE;
		p = *end == ',' ? end + 1 : end;
		if (fd > INT_MAX || (int)fd == pl__self.spool_fd ||
		    fstat((int)fd, &st) != 0 ||
		    (uint64_t)st.st_ino != (v & PL__FD_INO) ||
		    !((v & PL__FD_PIPE) ? S_ISFIFO(st.st_mode)
					: S_ISSOCK(st.st_mode)))
			continue;
		pl__fd_sock((int)fd, v, &s);
		pl__fd_track(s.fd, v);
		snap_add(w, &s);
	}
}

/* Say who this image is. For a fork child, PARENT_PID/PARENT_HELLO_NS name
 * the parent image and ARGV is NULL: the child runs the parent's program.
 * FDS: the sockets handed over by the previous image (see snapshot_list),
 * or NULL to find them out. */
void pl__hello(int reason, pid_t parent_pid, uint64_t parent_hello_ns,
	       int argc, char **argv, const char *fds)
{
	union {
		struct pl_rec_hello h;
		char bytes[PL_REC_MAX];
	} u;
	struct snap_writer w;
	size_t at = sizeof(u.h);

	memset(&u.h, 0, sizeof(u.h));
	pl__rec_init(&u.h.head, PL_REC_HELLO, 0);
	pl__self.hello_ns = u.h.head.time_ns;
	u.h.reason = (uint8_t)reason;
	u.h.ppid = (uint32_t)getppid();
	u.h.parent_pid = (uint32_t)parent_pid;
	u.h.parent_hello_ns = parent_hello_ns;
	u.h.start_ticks = pl__self.start_ticks;
	memcpy(u.h.boot_id, pl__self.boot_id, sizeof(u.h.boot_id));

	if (reason == PL_HELLO_LOAD) {
		const char *v = secure_getenv("PEERLOG_ARGV");
		int full = v && !strcmp(v, "full"), state = 0;
		size_t n = strlen(pl__self.exe);

		if (n > 0) {
			memcpy(u.bytes + at, pl__self.exe, n + 1);
			u.h.exe_len = (uint16_t)(n + 1);
			at += n + 1;
		}
		/* Keep argv within a quarter of the record, without what
		 * looks like a secret unless PEERLOG_ARGV=full (redact.c). */
		for (int i = 0; argv && i < argc && argv[i]; i++) {
			size_t room = 1024 - u.h.argv_len, len;

			if (full) {
				len = strlen(argv[i]) + 1;
				if (len > room)
					len = 0;
				else
					memcpy(u.bytes + at, argv[i], len);
			} else {
				len = pl__redact(argv[i], &state, u.bytes + at,
						 room);
			}
			if (!len) {
				u.h.truncated = 1;
				break;
			}
			at += len;
			u.h.argv_len = (uint16_t)(u.h.argv_len + len);
		}
	}
	while (at % PL_REC_ALIGN)
		u.bytes[at++] = '\0';

	w.rec = u.bytes;
	w.used = at;
	w.count = 0;
	w.hello_sent = 0;
	if (fds)
		snapshot_list(&w, fds);
	else if (reason == PL_HELLO_FORK && pl__fds_settled())
		snapshot_table(&w);
	else
		snapshot_proc(&w);
	snap_flush(&w); /* the hello itself, or the last SNAP */
}

/* What the previous image of this process handed over (PEERLOG_SELF,
 * see env.c): its start time and boot id, which spare us reading /proc,
 * and the list of sockets it may have passed on. Taken only when it names
 * this very process, and taken out of the environment: the program is not
 * to see it. Returns the list, or NULL when nothing was handed over. */
static const char *handed_over(void)
{
	const char *v = NULL, *p, *end;
	size_t len, i;

	/* taken out of environ by hand (no thread runs yet); the string
	 * itself stays where it is */
	for (i = 0; environ && environ[i]; i++)
		if (pl__has_prefix(environ[i], PL_SELF_VAR,
				   sizeof(PL_SELF_VAR) - 1))
			break;
	if (!environ || !environ[i])
		return NULL;
	v = environ[i] + sizeof(PL_SELF_VAR) - 1;
	for (; environ[i]; i++)
		environ[i] = environ[i + 1];
	if (parse_u64(v, &end) != (uint64_t)pl__self.pid || *end != ':')
		return NULL;
	pl__self.start_ticks = parse_u64(end + 1, &end);
	if (*end != ':' || !(p = strchr(end + 1, ':')))
		return NULL;
	len = (size_t)(p - (end + 1));
	if (len >= sizeof(pl__self.boot_id))
		return NULL;
	memcpy(pl__self.boot_id, end + 1, len);
	pl__self.boot_id[len] = '\0';
	return p + 1;
}

/* The start time of a fork child without reading /proc: the kernel counts
 * it in clock ticks of CLOCK_BOOTTIME, and we run a moment after it, so
 * this is the tick it started in or one or two after. The collector
 * allows for that (pl_ticks_match). */
static uint64_t ticks_now(void)
{
	struct timespec ts;
	unsigned long hz = getauxval(AT_CLKTCK);

	if (!hz)
		hz = 100;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) /
	       (1000000000ull / hz);
}

/* The program's file, as /proc/self/exe names it. A new process pays
 * 15 to 25 µs for its first /proc lookup; the path the kernel was given
 * (AT_EXECFN), resolved, costs a few: it names the same file when that is
 * an ELF file, not a script run by its interpreter. */
static void read_exe(void)
{
	const char *given = (const char *)getauxval(AT_EXECFN);
	char path[PATH_MAX], head[4];
	ssize_t n;
	int fd;

	if (given && realpath(given, path) &&
	    strlen(path) < sizeof(pl__self.exe) &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, head, sizeof(head));
		pl__real.close(fd);
		if (n == (ssize_t)sizeof(head) && !memcmp(head, "\177ELF", 4)) {
			memcpy(pl__self.exe, path, strlen(path) + 1);
			return;
		}
	}
	n = readlink("/proc/self/exe", pl__self.exe, sizeof(pl__self.exe) - 1);
	pl__self.exe[n > 0 ? n : 0] = '\0';
}

/* glibc passes argc, argv and envp to ELF constructors. */
__attribute__((constructor)) static void pl_init(int argc, char **argv,
						 char **envp)
{
	const char *journal, *fds;
	char abs[4096];
	int fd;

	(void)envp;
	/* The shim's own, and what vfork children and signal handlers call
	 * most: looking up while the loader is busy could wait on it. */
	PL_NEED(close);
	PL_NEED(fcntl);
	PL_NEED(dup2);
	PL_NEED(execve);
	PL_NEED(execvpe);
	PL_NEED(_exit);
	PL_NEED(vfork);
	pl__real_vfork = (void *)pl__real.vfork;
	/* setuid and setgid programs are never traced. */
	if (getauxval(AT_SECURE))
		return;
	journal = secure_getenv("PEERLOG_JOURNAL");
	if (!journal || !*journal)
		journal = "peerlog.db";
	if (journal[0] != '/') {
		/* Every process of the tree must write the same spool, wherever
		 * it chdirs to: pin the path once, for our descendants too. */
		size_t cwd_len, len = strlen(journal);

		if (!getcwd(abs, sizeof(abs)))
			return;
		cwd_len = strlen(abs);
		if (cwd_len + 1 + len + 1 > sizeof(abs))
			return;
		abs[cwd_len] = '/';
		memcpy(abs + cwd_len + 1, journal, len + 1);
		setenv("PEERLOG_JOURNAL", abs, 1);
		journal = abs;
	}
	fd = pl__spool_open(journal);
	pl__env_init(journal);
	if (fd < 0)
		return; /* said why; what we exec starts without us (env.c) */
	pl__self.pid = getpid();
	read_exe();
	fds = handed_over();
	if (!fds) {
		pl__self.start_ticks = read_start_ticks();
		read_boot_id(pl__self.boot_id);
	}
	pl__self.spool_fd = fd;
	pl__self.recording = 1;
	pl__busy++;
	pl__hello(PL_HELLO_LOAD, 0, 0, argc, argv,
		  fds && strcmp(fds, "*") ? fds : NULL);
	pl__stack_init();
	pl__busy--;
	/* Every glibc fork() runs this in the child, also the ones libc makes
	 * itself (daemon(), say) where our fork wrapper never sees them. */
	pthread_atfork(NULL, NULL, pl__after_fork_child);
	pl__self.ready = 1;
}

/* The fork child: a new process running the same image. Runs as a
 * pthread_atfork child handler, before any other code of the child;
 * allocates nothing. Always says hello, even when the fork came from a
 * signal handler that interrupted the shim: the child must not go on with
 * its parent's identity. */
void pl__after_fork_child(void)
{
	pid_t parent = pl__self.pid;
	uint64_t parent_hello = pl__self.hello_ns;
	int err = errno;

	pl__self.pid = (pid_t)syscall(SYS_getpid);
	if (!pl__self.recording)
		return;
	pl__busy++;
	pl__self.start_ticks = ticks_now();
	pl__hello(PL_HELLO_FORK, parent, parent_hello, 0, NULL, NULL);
	pl__fds_settle_child();
	pl__busy--;
	errno = err; /* fork() returned 0 with the program's errno */
}
