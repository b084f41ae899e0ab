/* The spool writer. Every event becomes one record in the spool file,
 * which every process of the tree maps (MAP_SHARED): a writer reserves
 * room with one atomic add on the header's tail, copies the record into
 * its mapping and commits it by storing the magic last. No syscall, no
 * lock, no buffer of our own: a record is in the kernel's page cache the
 * moment it is committed, so a process killed at any instant loses at
 * most the record it was copying, and the reader can tell that room from
 * one still being written (collector/spool.c).
 *
 * The file is mapped in segments of PL_SEG bytes, each mapped once per
 * process on first use and never unmapped (a thread may be copying into
 * any of them; an exec drops them all). The pages of segments two behind
 * the newest are given back with MADV_DONTNEED, which keeps the data (it
 * is the file's) and keeps the traced program's resident size flat.
 * Room is allocated ahead with fallocate(), which never shrinks a file,
 * so no access through a mapping can fall past its end. Where the
 * mapping cannot serve (no fallocate, past the last segment, a child
 * sharing our memory whose fd was moved), the record goes to its room
 * with pwrite(), magic last all the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "../schema/files.h"

#define PL_SEG (4u << 20)   /* bytes of the file per mapped segment */
#define PL_NSEG 4096        /* segments: 16 GiB of spool, then pwrite() */
#define PL_GROW (1u << 20)  /* fallocate() ahead by this much */
#define PL_MAP_LEN (PL_SEG + PL_REC_MAX) /* a record may cross the end */

/* A 32-bit process has 4 GiB of address space at most, its program's
 * before ours: there the spool takes at most PL_MAPS_MAX segments of it
 * (32 MiB), and records past them go with pwrite(). */
#if UINTPTR_MAX > 0xffffffffu
#define PL_MAPS_MAX PL_NSEG
#else
#define PL_MAPS_MAX 8
#endif

/* The tail and size in the header are 64-bit atomics on the mapping; in a
 * 32-bit build they need cmpxchg8b (-march=i686), not libatomic's locks,
 * which other processes would not see. */
_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
	       "64-bit atomics must be lock-free");

static struct pl_spool_head *head_map; /* segment 0 */
static char *seg[PL_NSEG];
static int maps_made; /* segments mapped by this image, 0 included */
static int no_fallocate;
static char spool_path[4096]; /* to open it again (pl__spool_give_up_fd) */

/* Keep our descriptor out of the range programs use: high, but below the
 * usual soft limit so that the kernel need not grow the fd table much. */
static int spool_fd_floor(void)
{
	struct rlimit rl;
	rlim_t top = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < top)
		top = rl.rlim_cur;
	return top > 64 ? (int)top - 24 : 3;
}

/* FD moved up there (closed), or FD itself where nothing is free. */
static int move_high(int fd)
{
	/* the usual floor first: getrlimit only where it is out of reach */
	int high = pl__real.fcntl(fd, F_DUPFD_CLOEXEC, 1000);

	if (high < 0)
		high = pl__real.fcntl(fd, F_DUPFD_CLOEXEC, spool_fd_floor());
	if (high < 0)
		return fd;
	pl__real.close(fd);
	return high;
}

/* One line on stderr: "peerlog: WHAT 'PATH': WHY; TAIL", unless
 * PEERLOG_QUIET. No allocation: it may run in a signal handler. */
static void say_line(const char *what, const char *path, const char *suffix,
		     const char *why, const char *tail)
{
	const char *quiet = secure_getenv("PEERLOG_QUIET");
	char line[512];
	size_t n = 0;
	const char *parts[] = { "peerlog: ", what, " '", path, suffix, "': ",
				why, "; ", tail, "\n" };

	if (quiet && *quiet && strcmp(quiet, "0") != 0)
		return;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t len = strlen(parts[i]);

		if (n + len >= sizeof(line))
			len = sizeof(line) - 1 - n;
		memcpy(line + n, parts[i], len);
		n += len;
	}
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to say it */
	}
}

static void say(const char *what, const char *path, const char *why)
{
	say_line(what, path, "", why, "not recording");
}

/* A record could not be written: the file system is full, most likely.
 * Said once for the spool, by whichever writer first meets it (a flag in
 * the shared header); strerror() is not for signal handlers. */
static void lost(int err)
{
	if (__atomic_fetch_or(&head_map->flags, PL_SPOOL_SAID_FULL,
			      __ATOMIC_RELAXED) & PL_SPOOL_SAID_FULL)
		return;
	say_line("cannot write to spool", pl__env_journal(), ".spool",
		 err == ENOSPC   ? "no space left on device"
		 : err == EDQUOT ? "disk quota exceeded"
		 : err == EMFILE ? "no free file descriptor to reopen it"
				 : "write failed",
		 "events are lost from here on");
}

/* Give an empty spool its header. Under an exclusive flock, so that of
 * two processes starting at once one writes it and the other waits; a
 * reader of the header never sees it half written, as pwrite() copies
 * the data before it moves the file's size. */
static int spool_init(int fd)
{
	union {
		struct pl_spool_head h;
		char page[PL_SPOOL_DATA];
	} u;
	struct stat st;
	int ret = 0;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	pl__self.spool_dev = (uint64_t)st.st_dev;
	pl__self.spool_ino = (uint64_t)st.st_ino;
	if (st.st_size >= PL_SPOOL_DATA)
		return 0;
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR)
			return -errno;
	if (fstat(fd, &st) != 0) {
		ret = -errno;
	} else if (st.st_size == 0) {
		memset(&u, 0, sizeof(u));
		memcpy(u.h.magic, PL_SPOOL_MAGIC, sizeof(u.h.magic));
		u.h.version = PL_SPOOL_VERSION;
		u.h.data = PL_SPOOL_DATA;
		u.h.tail = PL_SPOOL_DATA;
		u.h.size = PL_SPOOL_DATA;
		u.h.created_ns = pl__now_ns();
		u.h.creator_pid = (uint32_t)getpid();
		if (pwrite(fd, &u, sizeof(u), 0) != (ssize_t)sizeof(u))
			ret = errno ? -errno : -ENOSPC;
	} else if (st.st_size < PL_SPOOL_DATA) {
		ret = -EPROTO; /* not a spool of this layout */
	}
	flock(fd, LOCK_UN);
	return ret;
}

/* Open and map the spool next to JOURNAL. Returns the fd or a negative
 * errno, having said why on stderr. */
int pl__spool_open(const char *journal)
{
	char path[4096];
	size_t len = strlen(journal);
	struct stat st;
	void *map;
	int fd, err, mode;

	if (len + sizeof(".spool") > sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, journal, len);
	memcpy(path + len, ".spool", sizeof(".spool"));
	memcpy(spool_path, path, sizeof(spool_path));

	mode = pl_mode_parse(secure_getenv("PEERLOG_MODE"));
	if (mode < 0) {
		say_line("ignoring PEERLOG_MODE", secure_getenv("PEERLOG_MODE"),
			 "", "not octal, or write for others, or no rw for the "
			 "owner", "creating files 0600");
		mode = PL_MODE_DEFAULT;
	}
	fd = pl_file_open(path, O_RDWR, mode);
	if (fd < 0) {
		say(fd == -ELOOP ? "refusing spool" : "cannot open spool", path,
		    fd == -ELOOP ? "it is a symlink" : strerror(-fd));
		return fd;
	}
	if (fstat(fd, &st) != 0 || !pl_file_ours(&st)) {
		/* a symlink was not followed; this is what a planted file
		 * owned by someone else, or a device, looks like */
		pl__real.close(fd);
		say("refusing spool", path,
		    "not a regular file owned by you or root");
		return -EPERM;
	}
	fd = move_high(fd);
	err = -spool_init(fd);
	if (err == EPROTO || err == EINVAL) {
		say("not a spool of this version of peerlog", path,
		    "remove it or use another journal");
		goto fail;
	}
	if (err) {
		say("cannot set up spool", path, strerror(err));
		goto fail;
	}
	map = mmap(NULL, PL_MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		err = errno;
		say("cannot map spool", path, strerror(err));
		goto fail;
	}
	head_map = map;
	if (memcmp(head_map->magic, PL_SPOOL_MAGIC, sizeof(head_map->magic)) ||
	    head_map->version != PL_SPOOL_VERSION ||
	    head_map->data != PL_SPOOL_DATA) {
		munmap(map, PL_MAP_LEN);
		head_map = NULL;
		err = EPROTO;
		say("not a spool of this version of peerlog", path,
		    "remove it or use another journal");
		goto fail;
	}
	seg[0] = map;
	maps_made = 1;
	return fd;
fail:
	pl__real.close(fd);
	return -err;
}

uint64_t pl__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pl__rec_init(struct pl_rec_head *head, int type, size_t size)
{
	head->magic = PL_REC_MAGIC;
	head->size = (uint16_t)size;
	head->version = PL_FORMAT_VERSION;
	head->type = (uint8_t)type;
	head->pid = (uint32_t)pl__self.pid;
	head->check = 0;
	head->time_ns = pl__now_ns();
}

/* A record from a child that shares our memory (vfork): its fd table is
 * its own, and the program may have put a file of its own at our number
 * (dup2 onto it), which we could not move without moving it for the
 * parent too. Use the number only if it still is the spool. */
static int spool_is_ours(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (uint64_t)st.st_dev == pl__self.spool_dev &&
	       (uint64_t)st.st_ino == pl__self.spool_ino;
}

/* The program wants our number and there is no other free one (it has
 * filled its whole fd table): let it have it. Records go on through the
 * mapping; the next one that needs the file opens it again. Returns the
 * number given up, or -1. */
int pl__spool_give_up_fd(void)
{
	return __atomic_exchange_n(&pl__self.spool_fd, -1, __ATOMIC_ACQ_REL);
}

/* Our descriptor of the spool, opened again if we had to give it up, or
 * -1. Not in a child that shares our memory: the number it would store
 * would be wrong for its parent. */
static int spool_fd(int shared)
{
	int fd = __atomic_load_n(&pl__self.spool_fd, __ATOMIC_ACQUIRE), none = -1;

	if (fd >= 0 || shared)
		return fd;
	fd = open(spool_path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	fd = move_high(fd);
	if (!spool_is_ours(fd)) { /* not the file we mapped */
		pl__real.close(fd);
		return -1;
	}
	if (!__atomic_compare_exchange_n(&pl__self.spool_fd, &none, fd, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		pl__real.close(fd); /* another thread was first */
		return none;
	}
	return fd;
}

/* Make sure the file reaches NEED bytes. Every writer may call this at
 * once: fallocate() of a range already there changes nothing, and the
 * size in the header only grows. */
static int grow(int fd, uint64_t need)
{
	uint64_t have = __atomic_load_n(&head_map->size, __ATOMIC_ACQUIRE);
	uint64_t to = (need + PL_GROW - 1) / PL_GROW * PL_GROW;

	if (need <= have)
		return 0;
	if (no_fallocate || fallocate(fd, 0, (off_t)have, (off_t)(to - have))) {
		if (errno == EOPNOTSUPP || errno == ENOSYS)
			no_fallocate = 1;
		return -1;
	}
	while (have < to && !__atomic_compare_exchange_n(&head_map->size, &have,
							 to, 0, __ATOMIC_RELEASE,
							 __ATOMIC_ACQUIRE))
		;
	return 0;
}

/* Segment K, mapped on first use. Two threads may map it at once: one
 * mapping wins, the other is dropped before anyone saw it. */
static char *segment(int fd, uint64_t k)
{
	char *mine, *seen = NULL;

	if (k >= PL_NSEG ||
	    __atomic_load_n(&maps_made, __ATOMIC_RELAXED) >= PL_MAPS_MAX)
		return NULL;
	mine = mmap(NULL, PL_MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)(k * PL_SEG));
	if (mine == MAP_FAILED)
		return NULL;
	if (!__atomic_compare_exchange_n(&seg[k], &seen, mine, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		munmap(mine, PL_MAP_LEN);
		return seen;
	}
	__atomic_add_fetch(&maps_made, 1, __ATOMIC_RELAXED);
	if (k >= 2 && seg[k - 2])
		madvise(seg[k - 2], PL_MAP_LEN, MADV_DONTNEED);
	return mine;
}

/* room() when the segment is not mapped yet or the file is too short:
 * syscalls, whose errno the program must not see. */
static char *room_slow(uint64_t off, size_t size, int shared)
{
	uint64_t k = off / PL_SEG;
	int err = errno, fd = spool_fd(shared);
	char *base = NULL;

	/* our fd: in a child sharing our memory it may not be ours any more */
	if (fd >= 0 && (!shared || spool_is_ours(fd)) && grow(fd, off + size) == 0) {
		base = __atomic_load_n(&seg[k], __ATOMIC_ACQUIRE);
		if (!base)
			base = segment(fd, k);
	}
	errno = err;
	return base ? base + (off - k * PL_SEG) : NULL;
}

/* Where the record reserved at OFF (SIZE bytes) goes, or NULL when the
 * mapping cannot take it. */
static char *room(uint64_t off, size_t size, int shared)
{
	uint64_t k = off / PL_SEG;
	char *base;

	if (k < PL_NSEG && (base = __atomic_load_n(&seg[k], __ATOMIC_ACQUIRE)) &&
	    off + size <= __atomic_load_n(&head_map->size, __ATOMIC_ACQUIRE))
		return base + (off - k * PL_SEG);
	return room_slow(off, size, shared);
}

/* Seal and write one record. Errors are swallowed: the traced program
 * must not notice that we could not record. */
void pl__emit(void *rec, size_t size)
{
	struct pl_rec_head *head = rec;
	int shared = head->pid != (uint32_t)pl__self.pid;
	uint64_t off;
	char *dst;
	int err, fd;

	if (!head_map)
		return;
	head->size = (uint16_t)size;
	head->check = 0;
	head->check = pl_rec_checksum(rec, size);
	off = __atomic_fetch_add(&head_map->tail, size, __ATOMIC_RELAXED);
	dst = room(off, size, shared);
	if (dst) {
		memcpy(dst + sizeof(head->magic), (char *)rec + sizeof(head->magic),
		       size - sizeof(head->magic));
		__atomic_store_n((uint32_t *)(void *)dst, head->magic,
				 __ATOMIC_RELEASE);
		return;
	}
	err = errno;
	fd = spool_fd(shared);
	if (fd < 0 || (shared && !spool_is_ours(fd))) {
		if (!shared)
			lost(EMFILE); /* the program holds every fd it may */
		errno = err;
		return;
	}
	/* the same order through the file: the body, then the magic */
	if (pwrite(fd, (char *)rec + sizeof(head->magic),
		   size - sizeof(head->magic),
		   (off_t)(off + sizeof(head->magic))) <= 0 ||
	    pwrite(fd, rec, sizeof(head->magic), (off_t)off) <= 0)
		lost(errno);
	errno = err;
}
