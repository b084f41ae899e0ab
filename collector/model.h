/* The model as the queries see it: who held a socket end, when, and how. */
#ifndef PEERLOG_COLLECTOR_MODEL_H
#define PEERLOG_COLLECTOR_MODEL_H

#include <stdint.h>
#include <sqlite3.h>

#include "kernel.h"
#include "output.h"

/* How a holding ended, as the queries report it. */
#define PL_END_ALIVE "alive"     /* still held, and the process runs */
#define PL_END_CLOSE "close"
#define PL_END_EXEC "exec"       /* closed on exec */
#define PL_END_EXIT "exit"       /* held until the process ended */
#define PL_END_UNKNOWN "unknown" /* we lost track of it */
#define PL_END_KEPT "kept"       /* (one image) kept across its exec */

/* One holder: a process holding an end at an fd, followed across the
 * execs that kept it, from the holding that started it to the last. */
struct pl_holder {
	int64_t first_id, last_id; /* holding ids */
	int64_t process_id;        /* image of the last holding */
	int pid, fd;
	char *exe, *argv;          /* argv: JSON array text */
	int64_t from_ns, until_ns; /* until 0: still held, or not known */
	char start_reason[8];      /* create accept fork exec dup recv
				      inherit found */
	const char *end_reason;    /* PL_END_* */
	int execs;                 /* execs it was kept across */
	int inferred;              /* the last exec was not seen to finish:
				      exe is the path it was given */
	const char *kernel;        /* alive: pl_kernel_verdict(), else NULL */
	int64_t ino;
	int source_pid, source_fd; /* where a fork or inherit took it from */
};

/* A passing with SCM_RIGHTS not received (yet): the end is in flight. */
struct pl_flight {
	int64_t sent_ns, channel_ino;
	int from_pid, from_fd; /* 0: the sender is not known */
};

struct pl_holders {
	struct pl_holder *v;
	size_t n, cap;
	struct pl_flight *flights;
	size_t nflights;
};

/* Settings of a query that do not depend on the journal. */
struct pl_query {
	int live;   /* check liveness of processes in /proc */
	int kernel; /* and ask the kernel about live holders (--no-check: 0) */
	/* loaded at the first live holder: */
	int loaded, unavailable;
	struct pl_kdump dump;
	struct pl_kfds fds;
	int alive_seen; /* a holder was alive: the check could be made */
	int no_flights; /* pl_holders_load() leaves flights out */
	const char *boot; /* --boot: pl_pairs_each() and pl_tree_load() take
			   * that boot's only */
	/* prepared once per query, for every end it loads */
	sqlite3_stmt *holders_st, *holders_range_st, *flights_st, *site_st[2];
};
void pl_query_free(struct pl_query *q);
/* Why no live check was made, or NULL when it was. */
const char *pl_query_unchecked(const struct pl_query *q);
void pl_json_live_check(struct pl_json *j, const struct pl_query *q);
void pl_text_live_check(const struct pl_query *q);

/* The kernel's word on a live holder: PL_KERNEL_OK, or what it says
 * instead; NULL when not asked (--no-check, or the kernel unreadable). */
#define PL_KERNEL_OK "confirmed"
#define PL_KERNEL_MISSING "holder missing in the kernel"
#define PL_KERNEL_GONE "socket gone"
const char *pl_kernel_verdict(struct pl_query *q, int pid, int fd,
			      uint64_t ino);

/* All holders of socket SOCK_ID, in order of start, and its flights. */
int pl_holders_load(sqlite3 *db, struct pl_query *q, int64_t sock_id,
		    struct pl_holders *ret);
void pl_holders_free(struct pl_holders *h);
/* The holders of sockets SOCKS (N, sorted by id, no 0 and no repeat) in
 * one query over the id range they span, into RET[0..N-1]; no flights.
 * For ids that come close together, as the ends of consecutive pairs. */
int pl_holders_load_range(sqlite3 *db, struct pl_query *q,
			  const int64_t *socks, size_t n,
			  struct pl_holders *ret);

/* SQL: holding H of image P lasted as long as the process, or still does:
 * not closed, not closed by an exec (one we saw, or one we did not see
 * finish, for a close-on-exec fd). Its process is a final holder. */
#define PL_SQL_HELD_TO_END(h, p)                                          \
	#h ".end_reason IS NULL AND (" #p ".end_reason IS NULL OR " #p       \
	".end_reason = 'exit') AND NOT (" #p ".exec_ns IS NOT NULL AND " #h  \
	".cloexec = 1)"

/* SQL: a WHERE clause keeping the rows of process P whose boot begins
 * with parameter ?1 (--boot of a merged journal), or all when it is NULL. */
#define PL_SQL_BOOT_IS(p) \
	"WHERE (?1 IS NULL OR substr(" p ".boot, 1, length(?1)) = ?1)"

/* What the journal knows of how a program image ended. Queries select
 * PL_IMAGE_COLS of process p as one block and read it with
 * pl_image_read(). */
#define PL_IMAGE_COLS \
	"p.end_reason, p.end_ns, p.boot, p.pid, p.start_ticks, p.exec_ns, " \
	"p.exec_path"
struct pl_image {
	const char *end_reason; /* exec, exit, or NULL: not seen to end */
	int64_t end_ns;
	const char *boot;
	int pid;
	uint64_t start_ticks;
	int64_t exec_ns;        /* an exec attempt that never said hello */
	const char *exec_path;
};
void pl_image_read(sqlite3_stmt *st, int col, struct pl_image *img);

/* How the image itself ended: PL_END_EXEC (*untraced set when it became a
 * program we cannot see: static, setuid, preload refused), PL_END_EXIT,
 * or PL_END_ALIVE. Sets *until_ns when the time is known. */
const char *pl_image_state(const struct pl_query *q, const struct pl_image *img,
			   int64_t *until_ns, int *untraced);

/* The end of a holding whose own end_reason is NULL, from its image:
 * closed on exec, ended with the process, or still held. *inferred is set
 * when it rests on an exec we did not see complete: then a close-on-exec
 * holding was closed at the exec, and any other is held by the program
 * the image became. */
const char *pl_holding_end(const struct pl_query *q, const struct pl_image *img,
			   int cloexec, int64_t *until_ns, int *inferred);

/* lint (cmd-lint.c): each finding to FN; returns how many, or -1. */
struct pl_finding {
	const char *rule, *exe, *detail;
	int pid, fd;
	int64_t ino, pair; /* pair 0: not a socketpair's or pipe's end */
	const char *kind;  /* socket, pipe, fifo */
	int side;          /* of a pair or pipe */
};
typedef void (*pl_lint_fn)(void *arg, const struct pl_finding *f);
int pl_lint_run(sqlite3 *db, pl_lint_fn fn, void *arg);

/* site.c: where a socket was made, named from its recorded stack. */
struct pl_site {
	char function[128];
	char file[256];
	int line;           /* 0: not known */
	char module[256];
	uint64_t offset;    /* in the module's file */
};
/* 1 and *ret filled, 0 when no stack was recorded, -1 on error. */
int pl_site_of(sqlite3 *db, int64_t sock_id, struct pl_site *ret);
/* The same with statements the caller keeps (NULL: prepared on first use)
 * and finalizes, for a command that names many sites. */
int pl_site_of_st(sqlite3 *db, sqlite3_stmt *stp[2], int64_t sock_id,
		  struct pl_site *ret);
int pl_site_of_end(sqlite3 *db, int64_t pair, int64_t ino,
		   struct pl_site *ret);
void pl_site_text(const struct pl_site *s, struct pl_buf *b);
/* LEAD and the site, when S is not NULL. */
void pl_site_append(struct pl_buf *b, const char *lead, const struct pl_site *s);
void pl_json_site(struct pl_json *j, const char *key, const struct pl_site *s);

/* Text helpers */
const char *pl_basename(const char *path);
void pl_how(const char *start, int source_pid, int source_fd, int execs,
	    const char *end, struct pl_buf *b);
void pl_holder_how(const struct pl_holder *h, struct pl_buf *b);
/* " (inferred)", ", confirmed" or ", kernel: VERDICT" where they apply */
void pl_how_marks(struct pl_buf *b, int inferred, const char *kernel);
void pl_json_holder(struct pl_json *j, const struct pl_holder *h);
const char *pl_sock_type_name(int type);

/* Ends of pipes and FIFOs (sock.kind 'pipe', 'fifo'; side 0 read, 1
 * write) next to sockets ('socket'). */
int pl_end_is_pipe(const char *kind);
const char *pl_end_side_name(int side);
/* How to name an end: socket:[INO], pipe:[INO] (read end), FIFO PATH
 * (write end). */
void pl_end_name(struct pl_buf *b, const char *kind, int64_t ino, int side,
		 const char *name);

#endif
