/* Ingest: turn spool records into journal rows, exactly once.
 *
 * One ingest is one write transaction: it reads the spool from the offset
 * the journal has for it, applies every complete record, and stores the new
 * offset in the same transaction. Two peerlog commands ingesting at once
 * are serialised by SQLite's write lock, and the second finds nothing new.
 *
 * Applying a record updates the model (process images, pairs, sockets and
 * the holdings of each socket at each fd) as well as the raw event log.
 * What ends with an image (closed on exec, held until exit) is not written
 * to every holding: the holding_span view derives it from the image's end,
 * so exec and exit cost one row update whatever the number of fds.
 *
 * Most records are about a running image's fds. The ingest keeps, for each
 * pid it has met, that pid's latest image and the holdings it has open by
 * fd (struct image), so that a close or a new socket is applied without
 * looking anything up. A new holding is written when it ends, whole, rather
 * than inserted and then updated: until then it is pending, with its id
 * taken already. Pending holdings are written before SQL reads the
 * holdings of their image (the hello of a child looking for its parent's),
 * when their image ends or is replaced, and at the end of the ingest, so
 * that the journal holds the same rows as if each had been written at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "peerlog.h"
#include "spool.h"
#include "../schema/files.h"

enum {
	Q_PROC_CURRENT,
	Q_PROC_BY_HELLO,
	Q_PROC_INSERT,
	Q_PROC_END_EXEC,
	Q_PROC_EXEC,
	Q_PROC_EXEC_FAIL,
	Q_PROC_EXIT,
	Q_SOCK_FIND,
	Q_SOCK_BY_KEY,
	Q_SOCK_BY_INO,
	Q_SOCK_INSERT,
	Q_SOCK_BATCH,
	Q_SOCK_SET_PAIR,
	Q_SOCK_SET_COOKIE,
	Q_SOCK_SET_PEER,
	Q_SOCK_SET_INFO,
	Q_SOCK_LISTEN,
	Q_SOCK_COPY_INFO,
	Q_PAIR_INSERT,
	Q_PAIR_BATCH,
	Q_PAIR_LAST,
	Q_HOLD_INSERT,
	Q_HOLD_BATCH,
	Q_HOLD_LAST,
	Q_SOCK_LAST,
	Q_HOLD_END,
	Q_HOLD_OPEN_ALL,
	Q_HOLD_SRC_FD,
	Q_HOLD_SRC_ANY,
	Q_HOLD_KEPT,
	Q_HOLD_SETFD,
	Q_FLIGHT_INSERT,
	Q_FLIGHT_OLDEST,
	Q_FLIGHT_OLDEST_VIA,
	Q_FLIGHT_LAND,
	Q_RECV_ORPHAN,
	Q_HOLD_SET_SOURCE,
	Q_PEER_INO,
	Q_MODULE_INSERT,
	Q_STACK_INSERT,
	Q_EVENT_INSERT,
	Q_EVENT_BATCH,
	Q_SPOOL_GET,
	Q_SPOOL_PUT,
	Q_COUNT
};

/* Events are written EVENT_BATCH at a time: one statement for many rows
 * costs much less than one per row, and nothing in the ingest reads them.
 * Batches are INSERT OR FAIL: a statement of many rows that could abort
 * halfway keeps a statement journal of every page it changes, in a
 * temporary file (the first ingest of a million records wrote 2 GB to it);
 * a row that fails fails the ingest, which rolls back whole anyway. */
#define EVENT_BATCH 32
#define EVENT_ROW "(?, ?, ?, ?, ?, ?, ?)"
#define EVENT_ROWS4 EVENT_ROW ", " EVENT_ROW ", " EVENT_ROW ", " EVENT_ROW
#define EVENT_ROWS16 EVENT_ROWS4 ", " EVENT_ROWS4 ", " EVENT_ROWS4 ", " \
	EVENT_ROWS4
#define EVENT_ROWS32 EVENT_ROWS16 ", " EVENT_ROWS16

/* Holdings too, but they are read and updated in SQL: what is held back
 * is written before any statement on the holding table (q_bind). */
#define HOLD_BATCH 32
#define HOLD_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define HOLD_ROWS4 HOLD_ROW ", " HOLD_ROW ", " HOLD_ROW ", " HOLD_ROW
#define HOLD_ROWS16 HOLD_ROWS4 ", " HOLD_ROWS4 ", " HOLD_ROWS4 ", " \
	HOLD_ROWS4
#define HOLD_ROWS32 HOLD_ROWS16 ", " HOLD_ROWS16

/* Sockets and pairs too, with the ids they will have (the next rowids);
 * held-back sockets are written before any statement on the sock table. */
#define SOCK_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
#define SOCK_ROWS4 SOCK_ROW ", " SOCK_ROW ", " SOCK_ROW ", " SOCK_ROW
#define SOCK_ROWS16 SOCK_ROWS4 ", " SOCK_ROWS4 ", " SOCK_ROWS4 ", " \
	SOCK_ROWS4
#define SOCK_ROWS32 SOCK_ROWS16 ", " SOCK_ROWS16
#define PAIR_ROW "(?, ?, ?, ?, ?, ?)"
#define PAIR_ROWS4 PAIR_ROW ", " PAIR_ROW ", " PAIR_ROW ", " PAIR_ROW
#define PAIR_ROWS16 PAIR_ROWS4 ", " PAIR_ROWS4 ", " PAIR_ROWS4 ", " \
	PAIR_ROWS4
#define PAIR_ROWS32 PAIR_ROWS16 ", " PAIR_ROWS16
#define ROW_BATCH 32

static const char *const queries[Q_COUNT] = {
	[Q_PROC_CURRENT] =
		"SELECT id, boot, origin, parent_id, start_ticks, end_reason, "
		"ppid FROM process WHERE pid = ?1 ORDER BY id DESC LIMIT 1",
	[Q_PROC_BY_HELLO] =
		"SELECT id, exe, argv FROM process "
		"WHERE pid = ?1 AND hello_ns = ?2 AND boot = ?3",
	[Q_PROC_INSERT] =
		"INSERT INTO process (boot, pid, start_ticks, hello_ns, origin,"
		" parent_id, ppid, exe, argv) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_PROC_END_EXEC] =
		"UPDATE process SET end_ns = COALESCE(exec_ns, ?2), "
		"end_reason = 'exec', exec_ns = NULL WHERE id = ?1",
	[Q_PROC_EXEC] =
		"UPDATE process SET exec_ns = ?2, exec_path = ?3 WHERE id = ?1",
	[Q_PROC_EXEC_FAIL] =
		"UPDATE process SET exec_ns = NULL, exec_path = NULL "
		"WHERE id = ?1",
	[Q_PROC_EXIT] =
		"UPDATE process SET end_ns = ?2, end_reason = 'exit', "
		"exit_status = ?3 WHERE id = ?1 AND end_ns IS NULL",
	/* by inode alone (a stack record, the peer of a connection): a
	 * pipe is its read end */
	[Q_SOCK_BY_INO] =
		"SELECT id FROM sock WHERE boot = ?1 AND ino = ?2 "
		"AND (kind = 'socket' OR side = 0) ORDER BY id DESC LIMIT 1",
	/* a pipe's end, by the key the ingest made (pipe_key) */
	[Q_SOCK_BY_KEY] =
		"SELECT id FROM sock WHERE boot = ?1 AND cookie = ?2 "
		"ORDER BY id DESC LIMIT 1",
	[Q_SOCK_INSERT] =
		"INSERT INTO sock (id, boot, ino, cookie, pair_id, side, type, "
		"peer_id, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_SOCK_BATCH] =
		"INSERT OR FAIL INTO sock (id, boot, ino, cookie, pair_id, side, type, "
		"peer_id, kind) VALUES " SOCK_ROWS32,
	[Q_SOCK_SET_PAIR] =
		"UPDATE sock SET pair_id = ?2, side = ?3 WHERE id = ?1",
	/* by cookie, else one first seen as the peer of a connection, by
	 * inode alone: the first row */
	[Q_SOCK_FIND] =
		"SELECT * FROM (SELECT id, cookie FROM sock WHERE boot = ?1 "
		"AND cookie = ?2 ORDER BY id DESC LIMIT 1) UNION ALL "
		"SELECT * FROM (SELECT id, cookie FROM sock INDEXED BY "
		"sock_by_ino WHERE boot = ?1 AND ino = ?3 AND cookie = 0 "
		"ORDER BY id DESC LIMIT 1)",
	[Q_SOCK_SET_COOKIE] = "UPDATE sock SET cookie = ?2 WHERE id = ?1",
	[Q_SOCK_SET_PEER] = "UPDATE sock SET peer_id = ?2 WHERE id = ?1",
	[Q_SOCK_SET_INFO] = /* what is known already stays */
		"UPDATE sock SET type = COALESCE(type, ?2), "
		"name = COALESCE(?3, name) WHERE id = ?1",
	[Q_SOCK_LISTEN] = "UPDATE sock SET listening = 1 WHERE id = ?1",
	[Q_SOCK_COPY_INFO] =
		"UPDATE sock SET (type, name) = (SELECT COALESCE(sock.type, "
		"l.type), COALESCE(sock.name, l.name) FROM sock l WHERE "
		"l.id = ?2) WHERE id = ?1",
	[Q_PAIR_INSERT] =
		"INSERT INTO pair (id, process_id, created_ns, domain, type, "
		"protocol) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_PAIR_BATCH] =
		"INSERT OR FAIL INTO pair (id, process_id, created_ns, domain, type, "
		"protocol) VALUES " PAIR_ROWS32,
	[Q_PAIR_LAST] = "SELECT max(id) FROM pair",
	[Q_HOLD_INSERT] =
		"INSERT INTO holding (id, process_id, fd, sock_id, from_ns, "
		"start_reason, source_id, cloexec, until_ns, end_reason) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[Q_HOLD_LAST] = "SELECT max(id) FROM holding",
	[Q_SOCK_LAST] = "SELECT max(id) FROM sock",
	[Q_HOLD_BATCH] =
		"INSERT OR FAIL INTO holding (id, process_id, fd, sock_id, from_ns, "
		"start_reason, source_id, cloexec, until_ns, end_reason) "
		"VALUES " HOLD_ROWS32,
	[Q_HOLD_END] =
		"UPDATE holding SET until_ns = ?2, end_reason = ?3 WHERE id = ?1",
	/* what an image met again in a later ingest has open */
	[Q_HOLD_OPEN_ALL] =
		"SELECT fd, id, sock_id FROM holding INDEXED BY holding_open "
		"WHERE process_id = ?1 AND end_reason IS NULL ORDER BY fd, id",
	/* by socket first: a socket has few holdings, an fd may have had
	 * millions */
	[Q_HOLD_SRC_FD] =
		"SELECT id FROM holding INDEXED BY holding_by_sock "
		"WHERE sock_id = ?3 AND process_id = ?1 AND fd = ?2 "
		"ORDER BY (end_reason IS NULL) DESC, id DESC LIMIT 1",
	[Q_HOLD_SRC_ANY] =
		"SELECT id FROM holding INDEXED BY holding_by_sock "
		"WHERE sock_id = ?2 AND process_id = ?1 "
		"ORDER BY (end_reason IS NULL) DESC, id DESC LIMIT 1",
	[Q_HOLD_KEPT] = /* ends when its image did: at the exec */
		"UPDATE holding SET end_reason = 'kept', until_ns = "
		"(SELECT end_ns FROM process WHERE id = holding.process_id) "
		"WHERE id = ?1 AND end_reason IS NULL",
	[Q_HOLD_SETFD] = "UPDATE holding SET cloexec = ?2 WHERE id = ?1",
	[Q_FLIGHT_INSERT] =
		"INSERT INTO flight (sock_id, source_id, sent_ns, channel_ino) "
		"VALUES (?1, ?2, ?3, ?4)",
	[Q_FLIGHT_OLDEST] = /* sockets are queued: first sent, first received */
		"SELECT id, source_id FROM flight WHERE sock_id = ?1 "
		"AND received_id IS NULL ORDER BY id LIMIT 1",
	[Q_FLIGHT_OLDEST_VIA] = /* ... on the channel the receiver reads */
		"SELECT id, source_id FROM flight WHERE sock_id = ?1 "
		"AND received_id IS NULL AND channel_ino = ?2 ORDER BY id LIMIT 1",
	/* a receive ingested before its send: no source, no flight */
	[Q_RECV_ORPHAN] =
		"SELECT h.id FROM holding h INDEXED BY holding_by_sock "
		"WHERE h.sock_id = ?1 AND h.start_reason = 'recv' "
		"AND h.process_id <> ?2 "
		"AND h.source_id IS NULL AND NOT EXISTS (SELECT 1 FROM flight f "
		"WHERE f.received_id = h.id) ORDER BY h.id LIMIT 1",
	[Q_HOLD_SET_SOURCE] = "UPDATE holding SET source_id = ?2 WHERE id = ?1",
	[Q_PEER_INO] = /* the other end of a channel, by the channel's inode */
		"SELECT o.ino FROM sock s JOIN sock o ON o.id = s.peer_id "
		"WHERE s.boot = ?1 AND s.ino = ?2 ORDER BY s.id DESC LIMIT 1",
	[Q_FLIGHT_LAND] = "UPDATE flight SET received_id = ?2 WHERE id = ?1",
	[Q_MODULE_INSERT] =
		"INSERT INTO module (process_id, start, \"end\", bias, build_id, "
		"path) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[Q_STACK_INSERT] = /* the first site of a socket is its creation */
		"INSERT OR IGNORE INTO stack (sock_id, process_id, pcs) "
		"VALUES (?1, ?2, ?3)",
	[Q_EVENT_INSERT] =
		"INSERT INTO event (process_id, pid, time_ns, kind, fd, arg, "
		"detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* EVENT_BATCH rows in one statement */
	[Q_EVENT_BATCH] =
		"INSERT OR FAIL INTO event (process_id, pid, time_ns, kind, fd, arg, "
		"detail) VALUES " EVENT_ROWS32,
	[Q_SPOOL_GET] =
		"SELECT max(offset) FROM spool WHERE dev = ?1 AND ino = ?2 "
		"AND first = ?3",
	[Q_SPOOL_PUT] =
		"INSERT OR REPLACE INTO spool (path, dev, ino, first, offset, "
		"skipped) VALUES (?1, ?2, ?3, ?4, ?5, "
		"COALESCE((SELECT skipped FROM spool WHERE path = ?1 "
		"AND dev = ?2 AND ino = ?3 AND first = ?4), 0) + ?6)",
};

static const char *const kind_names[] = {
	[PL_REC_HELLO] = "hello",	[PL_REC_SNAP] = "snap",
	[PL_REC_SOCKETPAIR] = "socketpair", [PL_REC_CLOSE] = "close",
	[PL_REC_EXEC] = "exec",		[PL_REC_EXEC_FAIL] = "exec_fail",
	[PL_REC_FORK] = "fork",		[PL_REC_EXIT] = "exit",
	[PL_REC_DUP] = "dup",		[PL_REC_SETFD] = "setfd",
	[PL_REC_CLOSE_RANGE] = "close_range", [PL_REC_SPAWN] = "spawn",
	[PL_REC_SEND_FDS] = "send_fds",	[PL_REC_RECV_FDS] = "recv_fds",
	[PL_REC_SOCKET] = "socket",	[PL_REC_BIND] = "bind",
	[PL_REC_LISTEN] = "listen",	[PL_REC_CONNECT] = "connect",
	[PL_REC_ACCEPT] = "accept",	[PL_REC_STACK] = "stack",
	[PL_REC_MODULE] = "module",	[PL_REC_PIPE] = "pipe",
	[PL_REC_OPEN] = "open",		[PL_REC_WRITE] = "write",
};

const char *pl_record_kind(unsigned type)
{
	return type < sizeof(kind_names) / sizeof(kind_names[0])
		       ? kind_names[type] : NULL;
}

/* An open holding of an image: at most one per fd, since a new holding at
 * an fd ends the one before. */
struct open_at {
	int fd;
	int pending;       /* not in the journal yet: the row is here */
	int64_t holding, sock;
	int64_t from_ns, source;
	const char *why;   /* start_reason */
	int cloexec;
};

/* The image a record's pid belongs to: the latest one of that pid, as the
 * journal has it, with all its open holdings sorted by fd while it runs. */
struct image {
	uint32_t pid;
	int64_t id;        /* 0: none */
	char boot[40];
	char origin[8];
	int64_t parent_id; /* 0: none */
	uint32_t parent_pid; /* its pid */
	uint64_t start_ticks;
	int ended;
	struct open_at *open;
	size_t nopen, capopen;
};

/* The images met in this ingest, by pid (open addressing). */
struct images {
	struct image **v;
	size_t cap, n;
};

/* An event row not written yet; detail is an offset in ingest.details. */
struct event_row {
	int64_t proc, pid, time_ns, fd, arg;
	const char *kind;
	int has_fd, has_arg;
	size_t detail; /* 0: NULL, else offset + 1 */
};

/* A holding row not written yet (why NULL: still open). */
struct hold_row {
	int64_t id, proc, sock, from_ns, source, until_ns;
	int fd, cloexec;
	const char *start, *why; /* static strings */
};

/* The sockets written in this ingest, by (boot, kind, key): kind SK_COOKIE
 * by cookie, SK_INO by inode, SK_INO0 by inode among those without a
 * cookie; the value is the latest id, or -1 where that is not known here
 * (the latest cookie-less one got its cookie). */
enum { SK_COOKIE, SK_INO, SK_INO0 };

struct sock_key {
	uint64_t key;
	uint32_t boot, kind; /* boot: index in socks.boots, + 1 */
	int64_t id;          /* 0: empty slot */
};

struct socks {
	struct sock_key *v;
	size_t cap, n;
	char (*boots)[40];
	size_t nboots;
	int64_t base; /* the journal's last sock id before this ingest */
	int full;     /* keys were left out: a miss must ask the journal */
};

/* At most this many slots (48 MiB): past three quarters of them, keys
 * already there are kept up to date, new ones are left out. */
#define SOCK_SLOTS_MAX ((size_t)1 << 21)

/* A socket row not written yet (0, or side -1: NULL). */
struct sock_row {
	int64_t id, ino, cookie, pair, type, peer;
	int side;
	const char *kind; /* static */
	uint32_t boot; /* index in socks.boots, + 1 */
};

struct pair_row {
	int64_t id, proc, created_ns, domain, type, protocol;
};

struct ingest {
	sqlite3 *db;
	sqlite3_stmt *q[Q_COUNT];
	struct images images;
	struct socks socks;
	struct sock_row sockrows[ROW_BATCH];
	size_t nsockrows;
	struct pair_row pairrows[ROW_BATCH];
	size_t npairrows;
	int64_t next_sock, next_pair;
	struct hold_row holds[HOLD_BATCH];
	size_t nholds;
	struct event_row events[EVENT_BATCH];
	size_t nevents;
	struct pl_buf details;
	int64_t next_holding; /* the id the next holding gets */
	int failed;
};

static void hold_bind(struct ingest *in, sqlite3_stmt *st, int at,
		      const void *row)
{
	const struct hold_row *h = row;

	(void)in;
	sqlite3_bind_int64(st, at + 1, h->id);
	sqlite3_bind_int64(st, at + 2, h->proc);
	sqlite3_bind_int64(st, at + 3, h->fd);
	sqlite3_bind_int64(st, at + 4, h->sock);
	sqlite3_bind_int64(st, at + 5, h->from_ns);
	sqlite3_bind_text(st, at + 6, h->start, -1, SQLITE_STATIC);
	if (h->source)
		sqlite3_bind_int64(st, at + 7, h->source);
	else
		sqlite3_bind_null(st, at + 7);
	sqlite3_bind_int64(st, at + 8, h->cloexec);
	if (h->why) {
		sqlite3_bind_int64(st, at + 9, h->until_ns);
		sqlite3_bind_text(st, at + 10, h->why, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, at + 9);
		sqlite3_bind_null(st, at + 10);
	}
}

static void run(struct ingest *in, sqlite3_stmt *st);

/* Write N rows held back at ROWS (SIZE bytes and NCOL parameters each),
 * in their order: a full batch of FULL with the statement BATCH, else one
 * by one with ONE. */
static void rows_flush(struct ingest *in, const void *rows, size_t n,
		       size_t size, size_t full, int ncol, int batch, int one,
		       void (*bind)(struct ingest *, sqlite3_stmt *, int,
				    const void *))
{
	const char *row = rows;
	sqlite3_stmt *st;

	if (n == full) {
		st = in->q[batch];
		sqlite3_reset(st);
		for (size_t i = 0; i < n; i++)
			bind(in, st, ncol * (int)i, row + i * size);
		run(in, st);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		st = in->q[one];
		sqlite3_reset(st);
		bind(in, st, 0, row + i * size);
		run(in, st);
	}
}

static void holds_flush(struct ingest *in)
{
	size_t n = in->nholds;

	in->nholds = 0;
	rows_flush(in, in->holds, n, sizeof(in->holds[0]), HOLD_BATCH, 10,
		   Q_HOLD_BATCH, Q_HOLD_INSERT, hold_bind);
}

static void sock_bind(struct ingest *in, sqlite3_stmt *st, int at,
		      const void *row)
{
	const struct sock_row *r = row;

	sqlite3_bind_int64(st, at + 1, r->id);
	sqlite3_bind_text(st, at + 2, in->socks.boots[r->boot - 1], -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(st, at + 3, r->ino);
	sqlite3_bind_int64(st, at + 4, r->cookie);
	if (r->pair)
		sqlite3_bind_int64(st, at + 5, r->pair);
	else
		sqlite3_bind_null(st, at + 5);
	if (r->side >= 0)
		sqlite3_bind_int64(st, at + 6, r->side);
	else
		sqlite3_bind_null(st, at + 6);
	if (r->type >= 0)
		sqlite3_bind_int64(st, at + 7, r->type);
	else
		sqlite3_bind_null(st, at + 7);
	if (r->peer)
		sqlite3_bind_int64(st, at + 8, r->peer);
	else
		sqlite3_bind_null(st, at + 8);
	sqlite3_bind_text(st, at + 9, r->kind, -1, SQLITE_STATIC);
}

static void socks_flush(struct ingest *in)
{
	size_t n = in->nsockrows;

	in->nsockrows = 0;
	rows_flush(in, in->sockrows, n, sizeof(in->sockrows[0]), ROW_BATCH, 9,
		   Q_SOCK_BATCH, Q_SOCK_INSERT, sock_bind);
}

static void pair_bind(struct ingest *in, sqlite3_stmt *st, int at,
		      const void *row)
{
	const struct pair_row *r = row;

	(void)in;
	sqlite3_bind_int64(st, at + 1, r->id);
	sqlite3_bind_int64(st, at + 2, r->proc);
	sqlite3_bind_int64(st, at + 3, r->created_ns);
	sqlite3_bind_int64(st, at + 4, r->domain);
	sqlite3_bind_int64(st, at + 5, r->type);
	sqlite3_bind_int64(st, at + 6, r->protocol);
}

/* (nothing in the ingest reads them) */
static void pairs_flush(struct ingest *in)
{
	size_t n = in->npairrows;

	in->npairrows = 0;
	rows_flush(in, in->pairrows, n, sizeof(in->pairrows[0]), ROW_BATCH, 6,
		   Q_PAIR_BATCH, Q_PAIR_INSERT, pair_bind);
}

/* Statements that read or change sockets: the held-back ones go first. */
static int on_socks(int q)
{
	switch (q) {
	case Q_SOCK_BY_INO:
	case Q_SOCK_BY_KEY:
	case Q_SOCK_FIND:
	case Q_SOCK_SET_PAIR:
	case Q_SOCK_SET_COOKIE:
	case Q_SOCK_SET_PEER:
	case Q_SOCK_SET_INFO:
	case Q_SOCK_LISTEN:
	case Q_SOCK_COPY_INFO:
	case Q_PEER_INO:
	case Q_SOCK_LAST:
		return 1;
	default:
		return 0;
	}
}

/* Statements that read or change holdings: the held-back ones go first. */
static int on_holdings(int q)
{
	switch (q) {
	case Q_HOLD_END:
	case Q_HOLD_OPEN_ALL:
	case Q_HOLD_SRC_FD:
	case Q_HOLD_SRC_ANY:
	case Q_HOLD_KEPT:
	case Q_HOLD_SETFD:
	case Q_RECV_ORPHAN:
	case Q_HOLD_SET_SOURCE:
	case Q_HOLD_LAST:
		return 1;
	default:
		return 0;
	}
}

/* Bind by type: 'i' int64, 't' text (NULL pointer binds NULL), 'n' NULL.
 * Text is bound without a copy: it must stay valid until the statement has
 * been stepped, and the next q_bind() clears it before any other use. */
static sqlite3_stmt *q_bind(struct ingest *in, int q, const char *types, ...)
{
	sqlite3_stmt *st = in->q[q];
	va_list ap;

	if (in->nholds && on_holdings(q))
		holds_flush(in);
	if (in->nsockrows && on_socks(q))
		socks_flush(in);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	va_start(ap, types);
	for (int i = 1; *types; types++, i++) {
		if (*types == 'i') {
			sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
		} else if (*types == 't') {
			const char *s = va_arg(ap, const char *);

			if (s)
				sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
		} else {
			(void)va_arg(ap, int);
		}
	}
	va_end(ap);
	return st;
}

/* Step a statement that returns no row we need. */
static void run(struct ingest *in, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW && !in->failed) {
		pl_error("journal update failed: %s", sqlite3_errmsg(in->db));
		in->failed = 1;
	}
	sqlite3_reset(st);
}

/* Step a one-column lookup: the id, or 0 when there is no row. */
static int64_t lookup(struct ingest *in, sqlite3_stmt *st)
{
	int64_t id = 0;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE && !in->failed) {
		pl_error("journal lookup failed: %s", sqlite3_errmsg(in->db));
		in->failed = 1;
	}
	sqlite3_reset(st);
	return id;
}

static int64_t inserted(struct ingest *in, sqlite3_stmt *st)
{
	run(in, st);
	return sqlite3_last_insert_rowid(in->db);
}

static void oom(struct ingest *in)
{
	if (!in->failed)
		pl_error("out of memory");
	in->failed = 1;
}

/* The open holding of IMG at FD, or NULL; *RET_AT: where it is or would
 * go in the sorted array. */
static struct open_at *open_find(const struct image *img, int fd,
				 size_t *ret_at)
{
	size_t lo = 0, hi = img->nopen;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (img->open[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ret_at)
		*ret_at = lo;
	return lo < img->nopen && img->open[lo].fd == fd ? &img->open[lo]
							 : NULL;
}

static void open_set(struct ingest *in, struct image *img,
		     const struct open_at *h)
{
	size_t at;
	struct open_at *o = open_find(img, h->fd, &at);

	if (!o) {
		if (img->nopen == img->capopen) {
			size_t cap = img->capopen ? 2 * img->capopen : 4;
			struct open_at *v = realloc(img->open, cap * sizeof(*v));

			if (!v) {
				oom(in);
				return;
			}
			img->open = v;
			img->capopen = cap;
		}
		o = &img->open[at];
		memmove(o + 1, o, (img->nopen - at) * sizeof(*o));
		img->nopen++;
	}
	*o = *h;
}

static void open_drop(struct image *img, struct open_at *o)
{
	size_t at = (size_t)(o - img->open);

	memmove(o, o + 1, (img->nopen - at - 1) * sizeof(*o));
	img->nopen--;
}


static size_t pid_hash(uint32_t pid, size_t cap)
{
	return (size_t)(pid * 2654435761u) & (cap - 1);
}

/* The slot of PID in the table: its image, or NULL where it would go. */
static struct image **image_slot(struct images *t, uint32_t pid)
{
	size_t i = pid_hash(pid, t->cap);

	while (t->v[i] && t->v[i]->pid != pid)
		i = (i + 1) & (t->cap - 1);
	return &t->v[i];
}

/* A new entry for PID, empty. NULL when out of memory. */
static struct image *image_add(struct ingest *in, uint32_t pid)
{
	struct images *t = &in->images;
	struct image *img;

	if (2 * (t->n + 1) > t->cap) {
		struct images bigger = { .cap = t->cap ? 2 * t->cap : 1024 };

		bigger.v = calloc(bigger.cap, sizeof(*bigger.v));
		if (!bigger.v) {
			oom(in);
			return NULL;
		}
		for (size_t i = 0; i < t->cap; i++)
			if (t->v[i])
				*image_slot(&bigger, t->v[i]->pid) = t->v[i];
		bigger.n = t->n;
		free(t->v);
		*t = bigger;
	}
	img = calloc(1, sizeof(*img));
	if (!img) {
		oom(in);
		return NULL;
	}
	img->pid = pid;
	*image_slot(t, pid) = img;
	t->n++;
	return img;
}

/* The entry of PID, added empty if the ingest has not met PID yet. */
static struct image *image_slot_get(struct ingest *in, uint32_t pid)
{
	struct image **slot;

	if (in->images.cap && *(slot = image_slot(&in->images, pid)))
		return *slot;
	return image_add(in, pid);
}

static void images_free(struct images *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->v[i]) {
			free(t->v[i]->open);
			free(t->v[i]);
		}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* What the journal has of an image from an earlier ingest: its open
 * holdings. */
static void image_load_open(struct ingest *in, struct image *img)
{
	sqlite3_stmt *st = q_bind(in, Q_HOLD_OPEN_ALL, "i", img->id);
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct open_at o = {
			.fd = sqlite3_column_int(st, 0),
			.holding = sqlite3_column_int64(st, 1),
			.sock = sqlite3_column_int64(st, 2),
		};

		open_set(in, img, &o);
	}
	if (rc != SQLITE_DONE && !in->failed) {
		pl_error("journal lookup failed: %s", sqlite3_errmsg(in->db));
		in->failed = 1;
	}
	sqlite3_reset(st);
}

/* The latest image of PID (id 0: none), from the journal the first time
 * the ingest meets PID. NULL only when out of memory. */
static struct image *current_image(struct ingest *in, uint32_t pid)
{
	struct image *img, **slot;
	sqlite3_stmt *st;

	if (in->images.cap && *(slot = image_slot(&in->images, pid)))
		return *slot;
	if (!(img = image_add(in, pid)))
		return NULL;
	st = q_bind(in, Q_PROC_CURRENT, "i", (int64_t)pid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *boot = (const char *)sqlite3_column_text(st, 1);
		const char *origin = (const char *)sqlite3_column_text(st, 2);

		img->id = sqlite3_column_int64(st, 0);
		snprintf(img->boot, sizeof(img->boot), "%s", boot ? boot : "");
		snprintf(img->origin, sizeof(img->origin), "%s",
			 origin ? origin : "");
		img->parent_id = sqlite3_column_int64(st, 3);
		/* an exec's parent is the image before, of the same pid */
		img->parent_pid = !strcmp(img->origin, "exec")
					  ? pid : (uint32_t)sqlite3_column_int64(st, 6);
		img->start_ticks = (uint64_t)sqlite3_column_int64(st, 4);
		img->ended = sqlite3_column_type(st, 5) != SQLITE_NULL;
	}
	sqlite3_reset(st);
	if (img->id && !img->ended)
		image_load_open(in, img);
	return img;
}

/* Bind event E as the 7 parameters from AT + 1 of ST. */
static void event_bind(struct ingest *in, sqlite3_stmt *st, int at,
		       const void *row)
{
	const struct event_row *e = row;

	if (e->proc)
		sqlite3_bind_int64(st, at + 1, e->proc);
	else
		sqlite3_bind_null(st, at + 1);
	sqlite3_bind_int64(st, at + 2, e->pid);
	sqlite3_bind_int64(st, at + 3, e->time_ns);
	sqlite3_bind_text(st, at + 4, e->kind, -1, SQLITE_STATIC);
	if (e->has_fd)
		sqlite3_bind_int64(st, at + 5, e->fd);
	else
		sqlite3_bind_null(st, at + 5);
	if (e->has_arg)
		sqlite3_bind_int64(st, at + 6, e->arg);
	else
		sqlite3_bind_null(st, at + 6);
	if (e->detail)
		sqlite3_bind_text(st, at + 7, in->details.p + e->detail - 1, -1,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(st, at + 7);
}

static void events_flush(struct ingest *in)
{
	rows_flush(in, in->events, in->nevents, sizeof(in->events[0]),
		   EVENT_BATCH, 7, Q_EVENT_BATCH, Q_EVENT_INSERT, event_bind);
	in->nevents = 0;
	in->details.len = 0;
}

static void event(struct ingest *in, int64_t proc, const struct pl_rec_head *h,
		  int64_t fd, int64_t arg, const char *detail, int has_fd,
		  int has_arg)
{
	struct event_row *e = &in->events[in->nevents++];

	*e = (struct event_row){
		.proc = proc, .pid = (int64_t)h->pid,
		.time_ns = (int64_t)h->time_ns, .fd = fd, .arg = arg,
		.kind = kind_names[h->type], .has_fd = has_fd,
		.has_arg = has_arg,
	};
	if (detail) {
		e->detail = in->details.len + 1;
		pl_buf_add(&in->details, detail, strlen(detail) + 1);
	}
	if (in->nevents == EVENT_BATCH)
		events_flush(in);
}

/* A socket by cookie, or where we have none, by inode. One first seen as
 * the peer of a connection has no cookie yet: it is taken up when the
 * socket shows up with its cookie. */
static uint32_t boot_index(struct ingest *in, const char *boot)
{
	struct socks *t = &in->socks;
	char (*v)[40];

	for (size_t i = 0; i < t->nboots; i++)
		if (!strcmp(t->boots[i], boot))
			return (uint32_t)i + 1;
	v = realloc(t->boots, (t->nboots + 1) * sizeof(*v));
	if (!v) {
		oom(in);
		return 0;
	}
	t->boots = v;
	snprintf(v[t->nboots], sizeof(v[0]), "%s", boot);
	return (uint32_t)++t->nboots;
}

static size_t sock_hash(uint64_t key, uint32_t boot, uint32_t kind,
			size_t cap)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull ^ ((uint64_t)boot << 40) ^
		     ((uint64_t)kind << 56);

	return (size_t)((h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull >> 17) &
	       (cap - 1);
}

static struct sock_key *sock_slot(struct socks *t, uint64_t key, uint32_t boot,
				  uint32_t kind)
{
	size_t i = sock_hash(key, boot, kind, t->cap);

	while (t->v[i].id && (t->v[i].key != key || t->v[i].boot != boot ||
			      t->v[i].kind != kind))
		i = (i + 1) & (t->cap - 1);
	return &t->v[i];
}

/* The latest id of a socket of this ingest under that key: -1 unknown
 * here, 0 none of this ingest. */
static int64_t sock_get(struct ingest *in, const char *boot, uint32_t kind,
			uint64_t key)
{
	uint32_t b = boot_index(in, boot);

	if (!in->socks.cap || !b)
		return 0;
	return sock_slot(&in->socks, key, b, kind)->id;
}

static void sock_put(struct ingest *in, const char *boot, uint32_t kind,
		     uint64_t key, int64_t id)
{
	struct socks *t = &in->socks;
	uint32_t b = boot_index(in, boot);
	struct sock_key *k;

	if (!b)
		return;
	if (4 * (t->n + 1) > 3 * t->cap && t->cap >= SOCK_SLOTS_MAX) {
		k = sock_slot(t, key, b, kind);
		if (k->id)
			k->id = id;
		else
			t->full = 1;
		return;
	}
	if (4 * (t->n + 1) > 3 * t->cap) {
		struct socks bigger = *t;

		bigger.cap = t->cap ? 2 * t->cap : 4096;
		bigger.n = 0;
		bigger.v = calloc(bigger.cap, sizeof(*bigger.v));
		if (!bigger.v) {
			oom(in);
			return;
		}
		for (size_t i = 0; i < t->cap; i++)
			if (t->v[i].id) {
				*sock_slot(&bigger, t->v[i].key, t->v[i].boot,
					   t->v[i].kind) = t->v[i];
				bigger.n++;
			}
		free(t->v);
		*t = bigger;
	}
	k = sock_slot(t, key, b, kind);
	if (!k->id)
		t->n++;
	*k = (struct sock_key){ .key = key, .boot = b, .kind = kind, .id = id };
}

/* A pipe's or FIFO's end is known by a key of our own in the cookie's
 * place: the kernel has no cookie for it, and its two ends share one
 * inode. SO_COOKIE counts up from 1 in each boot, far below bit 62. */
#define PIPE_KEY_BIT (1ull << 62)
#define PIPE_KEY_FIFO (1ull << 61)

static int is_pipe_end(const struct pl_rec_sock *s)
{
	return (s->flags & PL_SOCK_PIPE) != 0;
}

static uint64_t pipe_key(uint64_t ino, int fifo, int side)
{
	return PIPE_KEY_BIT | (fifo ? PIPE_KEY_FIFO : 0) |
	       ((ino << 1) & (PIPE_KEY_FIFO - 1)) | (side ? 1 : 0);
}

/* END as the journal knows it: a pipe's end with its key as cookie. */
static struct pl_rec_sock keyed(const struct pl_rec_sock *end)
{
	struct pl_rec_sock s = *end;

	if (is_pipe_end(&s))
		s.cookie = pipe_key(s.ino, (s.flags & PL_SOCK_FIFO) != 0,
				    (s.flags & PL_SOCK_WRITE) != 0);
	return s;
}

/* Socket ID was written, with inode INO and COOKIE (0: none yet). By
 * inode alone a pipe is found as its read end (a stack record names it
 * so); by cookie, each end by its key. */
static void sock_note(struct ingest *in, const char *boot, int64_t id,
		      uint64_t ino, uint64_t cookie)
{
	if (cookie & PIPE_KEY_BIT) {
		if (!(cookie & 1))
			sock_put(in, boot, SK_INO, ino, id);
		sock_put(in, boot, SK_COOKIE, cookie, id);
		return;
	}
	sock_put(in, boot, SK_INO, ino, id);
	sock_put(in, boot, cookie ? SK_COOKIE : SK_INO0, cookie ? cookie : ino,
		 id);
}

/* Socket ID, cookie-less, got COOKIE: no other had it (it was looked up
 * by cookie first). */
static void sock_noted_cookie(struct ingest *in, const char *boot, int64_t id,
			      uint64_t ino, uint64_t cookie)
{
	if (sock_get(in, boot, SK_INO0, ino) == id)
		sock_put(in, boot, SK_INO0, ino, -1);
	sock_put(in, boot, SK_COOKIE, cookie, id);
}

static void socks_free(struct socks *t)
{
	free(t->v);
	free(t->boots);
	memset(t, 0, sizeof(*t));
}

/* A socket by cookie, or where we have none, by inode; one first seen as
 * the peer of a connection has no cookie yet and is taken up when the
 * socket shows up with its cookie. What this ingest wrote is found in
 * memory (its ids are the latest); the journal is asked for the rest,
 * unless it had no socket before this ingest. */
static int64_t find_sock(struct ingest *in, const char *boot,
			 const struct pl_rec_sock *end)
{
	struct pl_rec_sock k = keyed(end);
	const struct pl_rec_sock *s = &k;
	int64_t id = 0, cookie = 0;
	sqlite3_stmt *st;
	int rc;

	if (is_pipe_end(s)) {
		id = sock_get(in, boot, SK_COOKIE, s->cookie);
		if (id > 0 || (!in->socks.base && !in->socks.full))
			return id > 0 ? id : 0;
		id = lookup(in, q_bind(in, Q_SOCK_BY_KEY, "ti", boot,
				       (int64_t)s->cookie));
		if (id)
			sock_put(in, boot, SK_COOKIE, s->cookie, id);
		return id;
	}
	if (!s->cookie) {
		id = sock_get(in, boot, SK_INO, s->ino);
		if (id > 0 || (!in->socks.base && !in->socks.full))
			return id > 0 ? id : 0;
		return lookup(in, q_bind(in, Q_SOCK_BY_INO, "ti", boot,
				       (int64_t)s->ino));
	}
	if ((id = sock_get(in, boot, SK_COOKIE, s->cookie)) > 0)
		return id;
	if (!in->socks.base && !in->socks.full) {
		/* not by cookie; cookie-less, by inode? */
		id = sock_get(in, boot, SK_INO0, s->ino);
		if (!id)
			return 0;
	}
	st = q_bind(in, Q_SOCK_FIND, "tii", boot, (int64_t)s->cookie,
		    (int64_t)s->ino);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		cookie = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE && !in->failed) {
		pl_error("journal lookup failed: %s", sqlite3_errmsg(in->db));
		in->failed = 1;
	}
	sqlite3_reset(st);
	if (id && !cookie) { /* adopted: it has its cookie now */
		run(in, q_bind(in, Q_SOCK_SET_COOKIE, "ii", id,
			       (int64_t)s->cookie));
		sock_noted_cookie(in, boot, id, s->ino, s->cookie);
	} else if (id) {
		sock_put(in, boot, SK_COOKIE, s->cookie, id);
	}
	return id;
}

static const char *end_kind(const struct pl_rec_sock *s)
{
	if (!is_pipe_end(s))
		return "socket";
	return (s->flags & PL_SOCK_FIFO) ? "fifo" : "pipe";
}

/* A socket new to the journal, held back: its id. A pipe's end has its
 * side (0 read, 1 write) whatever SIDE says. */
static int64_t sock_add(struct ingest *in, const char *boot,
			const struct pl_rec_sock *end, int64_t pair, int side,
			int64_t type, int64_t peer)
{
	struct pl_rec_sock k = keyed(end);
	const struct pl_rec_sock *s = &k;
	uint32_t b = boot_index(in, boot);
	int64_t id = in->next_sock++;

	if (!b)
		return id;
	if (is_pipe_end(s))
		side = (s->flags & PL_SOCK_WRITE) != 0;
	in->sockrows[in->nsockrows++] = (struct sock_row){
		.id = id, .ino = (int64_t)s->ino, .cookie = (int64_t)s->cookie,
		.pair = pair, .side = side, .type = type, .peer = peer,
		.boot = b, .kind = end_kind(s),
	};
	sock_note(in, boot, id, s->ino, s->cookie);
	if (in->nsockrows == ROW_BATCH)
		socks_flush(in);
	return id;
}

/* The held-back row of socket ID, or NULL once written. */
static struct sock_row *sock_held(struct ingest *in, int64_t id)
{
	for (size_t i = in->nsockrows; i-- > 0;)
		if (in->sockrows[i].id == id)
			return &in->sockrows[i];
	return NULL;
}

/* A pipe's end first met outside its pipe() (a FIFO opened, an end
 * inherited from a program we did not see make it) is linked to its other
 * end when that is known. */
static int64_t find_or_add_sock(struct ingest *in, const char *boot,
				const struct pl_rec_sock *s)
{
	int64_t id = find_sock(in, boot, s), other;
	struct pl_rec_sock o;

	if (id)
		return id;
	if (!is_pipe_end(s))
		return sock_add(in, boot, s, 0, -1, -1, 0);
	o = *s;
	o.flags ^= PL_SOCK_WRITE;
	other = find_sock(in, boot, &o);
	id = sock_add(in, boot, s, 0, -1, -1, other);
	if (other)
		run(in, q_bind(in, Q_SOCK_SET_PEER, "ii", other, id));
	return id;
}

/* A new holding of IMG at FD. Whatever IMG held there before and did not
 * close in our sight ended without our seeing how; dup2 and dup3 close it
 * themselves, and say so with WAS. */
/* Write the pending holding O of IMG, ended at UNTIL_NS for reason WHY,
 * or (WHY NULL) still open. */
static void hold_write(struct ingest *in, const struct image *img,
		       struct open_at *o, int64_t until_ns, const char *why)
{
	in->holds[in->nholds++] = (struct hold_row){
		.id = o->holding, .proc = img->id, .sock = o->sock,
		.from_ns = o->from_ns, .source = o->source,
		.until_ns = until_ns, .fd = o->fd, .cloexec = o->cloexec,
		.start = o->why, .why = why,
	};
	o->pending = 0;
	if (in->nholds == HOLD_BATCH)
		holds_flush(in);
}

/* Write what IMG has pending: before SQL reads its holdings, and when it
 * ends. */
static void image_flush(struct ingest *in, struct image *img)
{
	for (size_t i = 0; i < img->nopen; i++)
		if (img->open[i].pending)
			hold_write(in, img, &img->open[i], 0, NULL);
}

/* An image that ended: what it held open is in the journal, and nothing
 * of it is needed any more. */
static void image_end(struct ingest *in, struct image *img)
{
	image_flush(in, img);
	img->ended = 1;
	free(img->open);
	img->open = NULL;
	img->nopen = img->capopen = 0;
}

/* Write what image ID (the image of PID, if the ingest has it) has pending. */
static void image_flush_id(struct ingest *in, uint32_t pid, int64_t id)
{
	struct image **slot;

	if (in->images.cap && *(slot = image_slot(&in->images, pid)) &&
	    (*slot)->id == id)
		image_flush(in, *slot);
}

/* The open holding O ends at NS, for reason WHY. */
static void hold_end(struct ingest *in, const struct image *img,
		     struct open_at *o, uint64_t ns, const char *why)
{
	if (o->pending)
		hold_write(in, img, o, (int64_t)ns, why);
	else
		run(in, q_bind(in, Q_HOLD_END, "iit", o->holding, (int64_t)ns,
			       why));
}

/* The open holding of IMG at FD ends at NS, for reason WHY. */
static void unhold(struct ingest *in, struct image *img, int fd, uint64_t ns,
		   const char *why)
{
	struct open_at *o = open_find(img, fd, NULL);

	if (!o)
		return;
	hold_end(in, img, o, ns, why);
	open_drop(img, o);
}

/* A new holding of IMG at the record's fd: its id. One received with
 * SCM_RIGHTS is written at once, for the sender's record (which may come
 * after it) looks it up in SQL; the others are pending. */
static int64_t hold_over(struct ingest *in, struct image *img,
			 const struct pl_rec_sock *s, int64_t sock,
			 uint64_t ns, const char *why, int64_t source,
			 const char *was)
{
	struct open_at o = {
		.fd = (int)s->fd, .pending = 1, .holding = in->next_holding++,
		.sock = sock, .from_ns = (int64_t)ns, .source = source,
		.why = why, .cloexec = (s->flags & PL_SOCK_CLOEXEC) != 0,
	};

	unhold(in, img, (int)s->fd, ns, was);
	if (!strcmp(why, "recv"))
		hold_write(in, img, &o, 0, NULL);
	open_set(in, img, &o);
	return o.holding;
}

static int64_t hold(struct ingest *in, struct image *img,
		    const struct pl_rec_sock *s, int64_t sock, uint64_t ns,
		    const char *why, int64_t source)
{
	return hold_over(in, img, s, sock, ns, why, source, "unknown");
}

/* The socket IMG holds at FD, or 0. */
static int64_t sock_at(const struct image *img, int fd)
{
	const struct open_at *o = open_find(img, fd, NULL);

	return o ? o->sock : 0;
}

static void link_peers(struct ingest *in, int64_t a, int64_t b)
{
	run(in, q_bind(in, Q_SOCK_SET_PEER, "ii", a, b));
	run(in, q_bind(in, Q_SOCK_SET_PEER, "ii", b, a));
}

/* The other end of a connection, as the kernel named it by inode. */
static int64_t peer_sock(struct ingest *in, const struct image *img,
			 uint64_t ino)
{
	struct pl_rec_sock s = { .ino = ino };

	return find_or_add_sock(in, img->boot, &s);
}

static void apply_conn(struct ingest *in, struct image *img,
		       const struct pl_rec_conn *r)
{
	const char *name = r->name_len > 1 ? r->name : NULL;
	int64_t sock, peer;

	switch (r->head.type) {
	case PL_REC_BIND:
		if ((sock = sock_at(img, r->fd)))
			run(in, q_bind(in, Q_SOCK_SET_INFO, "int", sock, 0, name));
		break;
	case PL_REC_LISTEN:
		if ((sock = sock_at(img, r->fd)))
			run(in, q_bind(in, Q_SOCK_LISTEN, "i", sock));
		break;
	case PL_REC_CONNECT:
		sock = sock_at(img, r->fd);
		if (!sock || !r->peer_ino)
			break;
		/* the server's end is named by the address connected to */
		peer = peer_sock(in, img, r->peer_ino);
		link_peers(in, sock, peer);
		run(in, q_bind(in, Q_SOCK_SET_INFO, "int", peer, 0, name));
		break;
	case PL_REC_ACCEPT: {
		struct pl_rec_sock s = {
			.fd = r->fd, .flags = r->flags, .ino = r->ino,
			.cookie = r->cookie,
		};
		int64_t listener = sock_at(img, r->listen_fd);

		sock = find_or_add_sock(in, img->boot, &s);
		hold(in, img, &s, sock, r->head.time_ns, "accept", 0);
		if (r->peer_ino)
			link_peers(in, sock, peer_sock(in, img, r->peer_ino));
		if (listener) /* an accepted socket has its listener's name */
			run(in, q_bind(in, Q_SOCK_COPY_INFO, "ii", sock, listener));
		break;
	}
	}
}

/* Sockets passed with SCM_RIGHTS take off: one flight each, from the
 * sender's holding at the fd it passed. The receiver's record may be in
 * the spool before ours (both are written after their call): then the
 * flight lands at once on the receive that is still without a source. */
static void apply_send(struct ingest *in, struct image *img,
		       const struct pl_rec_fds *r)
{
	for (unsigned i = 0; i < r->nsock; i++) {
		const struct pl_rec_sock *s = &r->sock[i];
		int64_t sock = find_or_add_sock(in, img->boot, s), src = 0;
		const struct open_at *o = open_find(img, (int)s->fd, NULL);
		int64_t orphan;
		sqlite3_stmt *st;

		if (o && o->sock == sock)
			src = o->holding;
		orphan = lookup(in, q_bind(in, Q_RECV_ORPHAN, "ii", sock,
					   img->id));
		st = q_bind(in, Q_FLIGHT_INSERT, "iiii", sock, src,
			    (int64_t)r->head.time_ns, (int64_t)r->channel_ino);
		if (!src)
			sqlite3_bind_null(st, 2);
		run(in, st);
		if (orphan) {
			run(in, q_bind(in, Q_FLIGHT_LAND, "ii",
				       sqlite3_last_insert_rowid(in->db), orphan));
			if (src)
				run(in, q_bind(in, Q_HOLD_SET_SOURCE, "ii",
					       orphan, src));
		}
	}
}

/* ... and land: each received socket is the oldest of its flights over
 * the channel the receiver reads (whose other end the sender wrote to),
 * or, where that channel's peer is not known, of its flights at all. */
static void apply_recv(struct ingest *in, struct image *img,
		       const struct pl_rec_fds *r)
{
	int64_t via = lookup(in, q_bind(in, Q_PEER_INO, "ti", img->boot,
					(int64_t)r->channel_ino));

	for (unsigned i = 0; i < r->nsock; i++) {
		const struct pl_rec_sock *s = &r->sock[i];
		int64_t sock = find_or_add_sock(in, img->boot, s);
		int64_t flight = 0, src = 0;
		sqlite3_stmt *st = via ? q_bind(in, Q_FLIGHT_OLDEST_VIA, "ii",
						sock, via)
				       : q_bind(in, Q_FLIGHT_OLDEST, "i", sock);

		if (sqlite3_step(st) == SQLITE_ROW) {
			flight = sqlite3_column_int64(st, 0);
			src = sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
		if (!flight && via) {
			st = q_bind(in, Q_FLIGHT_OLDEST, "i", sock);
			if (sqlite3_step(st) == SQLITE_ROW) {
				flight = sqlite3_column_int64(st, 0);
				src = sqlite3_column_int64(st, 1);
			}
			sqlite3_reset(st);
		}
		int64_t held = hold(in, img, s, sock, r->head.time_ns, "recv",
				    src);

		if (flight)
			run(in, q_bind(in, Q_FLIGHT_LAND, "ii", flight, held));
	}
}

/* NEWFD became a copy of OLDFD. */
static void apply_dup(struct ingest *in, struct image *img,
		      const struct pl_rec_dup *r)
{
	const struct open_at *o = open_find(img, (int)r->oldfd, NULL);
	struct pl_rec_sock s = {
		.fd = r->newfd, .flags = r->flags, .ino = r->ino,
	};
	int64_t src = o ? o->holding : 0, sock = o ? o->sock : 0;

	if (!sock) /* copied from an fd we had lost track of */
		sock = find_or_add_sock(in, img->boot, &s);
	hold_over(in, img, &s, sock, r->head.time_ns, "dup", src, "close");
}

/* close_range() or closefrom() closed, or made close-on-exec, every fd
 * from FIRST to LAST. */
static void apply_range(struct ingest *in, struct image *img, uint64_t first,
			uint64_t last, int cloexec, uint64_t ns)
{
	size_t at, end;

	if (first > INT_MAX)
		return;
	open_find(img, (int)first, &at);
	for (end = at; end < img->nopen && (uint64_t)img->open[end].fd <= last;
	     end++) {
		struct open_at *o = &img->open[end];

		if (!cloexec)
			hold_end(in, img, o, ns, "close");
		else if (o->pending)
			o->cloexec = 1;
		else
			run(in, q_bind(in, Q_HOLD_SETFD, "ii", o->holding, 1));
	}
	if (!cloexec) {
		memmove(&img->open[at], &img->open[end],
			(img->nopen - end) * sizeof(*img->open));
		img->nopen -= end - at;
	}
}

/* A socket IMG held when it said hello: link it to where it came from. */
static void hold_at_hello(struct ingest *in, struct image *img,
			  const struct pl_rec_sock *s, uint64_t ns)
{
	int64_t sock = find_or_add_sock(in, img->boot, s);
	const char *why = "found";
	int64_t src = 0;

	if (img->parent_id) /* what SQL reads below must be in */
		image_flush_id(in, img->parent_pid, img->parent_id);
	if (img->parent_id && !strcmp(img->origin, "fork")) {
		why = "fork";
		src = lookup(in, q_bind(in, Q_HOLD_SRC_FD, "iii", img->parent_id,
				      (int64_t)s->fd, sock));
	} else if (img->parent_id && !strcmp(img->origin, "exec")) {
		src = lookup(in, q_bind(in, Q_HOLD_SRC_FD, "iii", img->parent_id,
				      (int64_t)s->fd, sock));
		if (src) {
			why = "exec";
			run(in, q_bind(in, Q_HOLD_KEPT, "i", src));
		}
	} else if (img->parent_id && !strcmp(img->origin, "spawn")) {
		/* posix_spawn and friends may have moved it to another fd */
		src = lookup(in, q_bind(in, Q_HOLD_SRC_ANY, "ii", img->parent_id,
				      sock));
		if (src)
			why = "inherit";
	}
	hold(in, img, s, sock, ns, why, src);
}

static void apply_hello(struct ingest *in, const struct pl_rec_hello *h)
{
	const char *tail = (const char *)(h + 1);
	const struct pl_rec_sock *socks = (const void *)((const char *)h +
		pl_rec_align(sizeof(*h) + h->exe_len + h->argv_len));
	struct image img, *prev, *cur;
	struct pl_buf exe = { 0 }, argv = { 0 };
	char *parent_exe = NULL, *parent_argv = NULL;
	sqlite3_stmt *st;

	memset(&img, 0, sizeof(img));
	snprintf(img.boot, sizeof(img.boot), "%.*s", (int)sizeof(h->boot_id),
		 h->boot_id);
	img.start_ticks = h->start_ticks;

	if (h->reason == PL_HELLO_FORK) {
		strcpy(img.origin, "fork");
		st = q_bind(in, Q_PROC_BY_HELLO, "iit", (int64_t)h->parent_pid,
			  (int64_t)h->parent_hello_ns, img.boot);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *e = (const char *)sqlite3_column_text(st, 1);
			const char *a = (const char *)sqlite3_column_text(st, 2);

			img.parent_id = sqlite3_column_int64(st, 0);
			img.parent_pid = h->parent_pid;
			parent_exe = e ? strdup(e) : NULL;
			parent_argv = a ? strdup(a) : NULL;
		}
		sqlite3_reset(st);
	} else {
		if (h->exe_len)
			pl_buf_add(&exe, tail, strnlen(tail, h->exe_len));
		pl_buf_json_argv(&argv, tail + h->exe_len, h->argv_len);
		if (!(prev = current_image(in, h->head.pid)))
			return;
		if (prev->id && !prev->ended && !strcmp(prev->boot, img.boot) &&
		    pl_ticks_match(prev->start_ticks, h->start_ticks)) {
			/* same process, new program: an exec */
			strcpy(img.origin, "exec");
			img.parent_id = prev->id;
			img.parent_pid = h->head.pid;
			run(in, q_bind(in, Q_PROC_END_EXEC, "ii", prev->id,
				     (int64_t)h->head.time_ns));
		} else {
			if (!(prev = current_image(in, h->ppid)))
				return;
			if (prev->id && !prev->ended &&
			    !strcmp(prev->boot, img.boot)) {
				strcpy(img.origin, "spawn");
				img.parent_id = prev->id;
				img.parent_pid = h->ppid;
			} else {
				strcpy(img.origin, "root");
			}
		}
	}

	st = q_bind(in, Q_PROC_INSERT, "tiiitiitt", img.boot,
		  (int64_t)h->head.pid, (int64_t)h->start_ticks,
		  (int64_t)h->head.time_ns, img.origin, img.parent_id,
		  (int64_t)(h->reason == PL_HELLO_FORK ? h->parent_pid : h->ppid),
		  h->reason == PL_HELLO_FORK ? parent_exe : exe.p,
		  h->reason == PL_HELLO_FORK ? parent_argv : argv.p);
	if (!img.parent_id)
		sqlite3_bind_null(st, 6);
	img.id = inserted(in, st);
	free(parent_exe);
	free(parent_argv);
	pl_buf_free(&exe);
	pl_buf_free(&argv);

	event(in, img.id, &h->head, 0, h->reason, NULL, 0, 1);

	/* the pid's latest image from now on, holding nothing yet */
	if (!(cur = image_slot_get(in, h->head.pid)))
		return;
	image_flush(in, cur); /* the image it replaces */
	free(cur->open);
	img.pid = cur->pid;
	*cur = img;
	for (unsigned i = 0; i < h->nsock; i++)
		hold_at_hello(in, cur, &socks[i], h->head.time_ns);
}

static void apply_snap(struct ingest *in, const struct pl_rec_snap *r)
{
	struct image *img = current_image(in, r->head.pid);

	if (!img || !img->id || img->ended)
		return;
	for (unsigned i = 0; i < r->nsock; i++)
		hold_at_hello(in, img, &r->sock[i], r->head.time_ns);
}

/* A socketpair's ends new to the journal are written whole: type and
 * peer; an end known already (as the peer of a connection, say) is
 * updated. A pipe() is one too: its read end, then its write end, with no
 * socket type. */
static void apply_socketpair(struct ingest *in, struct image *img,
			     const struct pl_rec_socketpair *r)
{
	int pipe = r->head.type == PL_REC_PIPE;
	int64_t pair, socks[2], type = pipe ? -1 : r->type & 0xf;
	int known[2];

	pair = in->next_pair++;
	in->pairrows[in->npairrows++] = (struct pair_row){
		.id = pair, .proc = img->id,
		.created_ns = (int64_t)r->head.time_ns,
		.domain = (int64_t)r->domain, .type = (int64_t)r->type,
		.protocol = (int64_t)r->protocol,
	};
	if (in->npairrows == ROW_BATCH)
		pairs_flush(in);
	for (int side = 0; side < 2; side++) {
		const struct pl_rec_sock *s = &r->sock[side];
		int64_t sock = find_sock(in, img->boot, s);

		known[side] = sock != 0;
		if (sock)
			run(in, q_bind(in, Q_SOCK_SET_PAIR, "iii", sock, pair,
				     (int64_t)side));
		else
			sock = sock_add(in, img->boot, s, pair, side, type,
					side ? socks[0] : 0);
		hold(in, img, s, sock, r->head.time_ns, "create", 0);
		socks[side] = sock;
	}
	for (int side = 0; side < 2; side++) {
		/* end 0, new and still held back, is completed in place */
		struct sock_row *row = side == 0 && !known[0]
					       ? sock_held(in, socks[0]) : NULL;

		if (row)
			row->peer = socks[1];
		else if (side == 0 || known[side])
			run(in, q_bind(in, Q_SOCK_SET_PEER, "ii", socks[side],
				       socks[1 - side]));
		if (known[side] && !pipe)
			run(in, q_bind(in, Q_SOCK_SET_INFO, "iit", socks[side],
				       type, NULL));
	}
}

static void apply(struct ingest *in, const struct pl_rec_head *h)
{
	struct image *img;
	int64_t id;

	if (h->type == PL_REC_HELLO) {
		apply_hello(in, (const void *)h);
		return;
	}
	if (h->type == PL_REC_SNAP) {
		apply_snap(in, (const void *)h);
		return;
	}
	/* Records without a running image of their own (a vfork child we did
	 * not see start, a destructor closing after our EXIT) still go to the
	 * event log, but change nothing in the model. */
	if (!(img = current_image(in, h->pid)))
		return;
	id = img->ended ? 0 : img->id;

	switch (h->type) {
	case PL_REC_SOCKETPAIR:
	case PL_REC_PIPE: {
		const struct pl_rec_socketpair *r = (const void *)h;

		if (id)
			apply_socketpair(in, img, r);
		event(in, id, h, r->sock[0].fd, r->sock[1].fd, NULL, 1, 1);
		break;
	}
	case PL_REC_CLOSE: {
		const struct pl_rec_close *r = (const void *)h;

		if (id)
			unhold(in, img, (int)r->fd, h->time_ns, "close");
		event(in, id, h, r->fd, 0, NULL, 1, 0);
		break;
	}
	case PL_REC_EXEC: {
		const struct pl_rec_exec *r = (const void *)h;
		char path[600];

		snprintf(path, sizeof(path), "%.*s", (int)r->path_len, r->path);
		if (id)
			run(in, q_bind(in, Q_PROC_EXEC, "iit", id,
				     (int64_t)h->time_ns, path));
		event(in, id, h, 0, 0, path, 0, 0);
		break;
	}
	case PL_REC_EXEC_FAIL: {
		const struct pl_rec_exec_fail *r = (const void *)h;

		if (id)
			run(in, q_bind(in, Q_PROC_EXEC_FAIL, "i", id));
		event(in, id, h, 0, r->err, NULL, 0, 1);
		break;
	}
	case PL_REC_FORK: {
		const struct pl_rec_fork *r = (const void *)h;

		event(in, id, h, 0, r->child_pid, NULL, 0, 1);
		break;
	}
	case PL_REC_SPAWN: {
		/* the child says hello itself, naming us as its ppid */
		const struct pl_rec_spawn *r = (const void *)h;
		char path[600];

		snprintf(path, sizeof(path), "%.*s", (int)r->path_len, r->path);
		event(in, id, h, 0, r->child_pid, path, 0, 1);
		break;
	}
	case PL_REC_DUP: {
		const struct pl_rec_dup *r = (const void *)h;

		if (id)
			apply_dup(in, img, r);
		event(in, id, h, r->newfd, r->oldfd, NULL, 1, 1);
		break;
	}
	case PL_REC_SETFD: {
		const struct pl_rec_setfd *r = (const void *)h;
		int64_t on = (r->flags & PL_SOCK_CLOEXEC) != 0;
		struct open_at *o;

		if (id && (o = open_find(img, (int)r->fd, NULL)) && o->pending)
			o->cloexec = (int)on;
		else if (id && o)
			run(in, q_bind(in, Q_HOLD_SETFD, "ii", o->holding, on));
		event(in, id, h, r->fd, on, NULL, 1, 1);
		break;
	}
	case PL_REC_CLOSE_RANGE: {
		const struct pl_rec_close_range *r = (const void *)h;
		int cloexec = (r->flags & PL_RANGE_CLOEXEC) != 0;

		if (id)
			apply_range(in, img, r->first, r->last, cloexec,
				    h->time_ns);
		event(in, id, h, r->first, r->last,
		      cloexec ? "cloexec" : NULL, 1, 1);
		break;
	}
	case PL_REC_SEND_FDS:
	case PL_REC_RECV_FDS: {
		const struct pl_rec_fds *r = (const void *)h;

		if (id && h->type == PL_REC_SEND_FDS)
			apply_send(in, img, r);
		else if (id)
			apply_recv(in, img, r);
		event(in, id, h, r->channel_fd, r->nsock,
		      (r->flags & PL_FDS_CTRUNC) ? "ctrunc" : NULL, 1, 1);
		break;
	}
	case PL_REC_SOCKET: {
		const struct pl_rec_socket *r = (const void *)h;
		struct pl_rec_sock s = {
			.fd = r->fd, .ino = r->ino, .cookie = r->cookie,
			.flags = (r->type & SOCK_CLOEXEC) ? PL_SOCK_CLOEXEC : 0,
		};

		if (id) {
			int64_t sock = find_or_add_sock(in, img->boot, &s);

			run(in, q_bind(in, Q_SOCK_SET_INFO, "iit", sock,
				     (int64_t)(r->type & 0xf), NULL));
			hold(in, img, &s, sock, h->time_ns, "create", 0);
		}
		event(in, id, h, r->fd, r->type, NULL, 1, 1);
		break;
	}
	case PL_REC_BIND:
	case PL_REC_LISTEN:
	case PL_REC_CONNECT:
	case PL_REC_ACCEPT: {
		const struct pl_rec_conn *r = (const void *)h;

		if (id)
			apply_conn(in, img, r);
		event(in, id, h, r->fd, (int64_t)r->peer_ino,
		      r->name_len > 1 ? r->name : NULL, 1, r->peer_ino != 0);
		break;
	}
	case PL_REC_OPEN: {
		const struct pl_rec_open *r = (const void *)h;
		struct pl_rec_sock s = {
			.fd = r->fd, .flags = r->flags | PL_SOCK_PIPE,
			.ino = r->ino,
		};
		char name[PL_REC_MAX];

		snprintf(name, sizeof(name), "%.*s", (int)r->name_len, r->name);
		if (id) {
			int64_t sock = find_or_add_sock(in, img->boot, &s);

			if (name[0])
				run(in, q_bind(in, Q_SOCK_SET_INFO, "int", sock,
					       0, name));
			hold(in, img, &s, sock, h->time_ns, "open", 0);
		}
		event(in, id, h, r->fd, (r->flags & PL_SOCK_WRITE) != 0,
		      name[0] ? name : NULL, 1, 1);
		break;
	}
	case PL_REC_WRITE: {
		const struct pl_rec_write *r = (const void *)h;

		event(in, id, h, r->fd, (int64_t)r->ino, NULL, 1, 1);
		break;
	}
	case PL_REC_MODULE: {
		/* the map of the image, not an event of its history */
		const struct pl_rec_module *r = (const void *)h;
		char bid[41] = "", path[PL_REC_MAX];

		if (!id)
			break;
		for (int i = 0; i < r->build_id_len && i < 20; i++)
			snprintf(bid + 2 * i, 3, "%02x", r->build_id[i]);
		snprintf(path, sizeof(path), "%.*s", (int)r->path_len, r->path);
		run(in, q_bind(in, Q_MODULE_INSERT, "iiiitt", id,
			       (int64_t)r->start, (int64_t)r->end,
			       (int64_t)r->bias, bid[0] ? bid : NULL, path));
		break;
	}
	case PL_REC_STACK: {
		const struct pl_rec_stack *r = (const void *)h;
		struct pl_rec_sock s = { .ino = r->ino };
		struct pl_buf pcs = { 0 };
		int64_t sock;

		if (!id || !(sock = find_sock(in, img->boot, &s)))
			break;
		for (unsigned i = 0; i < r->nframes; i++)
			pl_buf_addf(&pcs, "%s%llx", i ? " " : "",
				    (unsigned long long)r->pc[i]);
		run(in, q_bind(in, Q_STACK_INSERT, "iit", sock, id,
			       pcs.p ? pcs.p : ""));
		pl_buf_free(&pcs);
		break;
	}
	case PL_REC_EXIT: {
		const struct pl_rec_exit *r = (const void *)h;
		sqlite3_stmt *st;

		if (id) {
			st = q_bind(in, Q_PROC_EXIT, "iii", id,
				  (int64_t)h->time_ns, (int64_t)r->status);
			if (r->status == PL_EXIT_UNKNOWN)
				sqlite3_bind_null(st, 3);
			run(in, st);
			image_end(in, img);
		}
		event(in, id, h, 0, r->status, NULL, 0,
		      r->status != PL_EXIT_UNKNOWN);
		break;
	}
	}
}

static void ingest_free(struct ingest *in)
{
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(in->q[i]);
	images_free(&in->images);
	socks_free(&in->socks);
	pl_buf_free(&in->details);
}

/* Ingest what SPOOL_PATH holds past the journal's offset for it. */
int pl_ingest(sqlite3 *db, const char *spool_path)
{
	struct ingest in = { .db = db };
	struct pl_spool_reader reader;
	const struct pl_rec_head *rec;
	struct stat st;
	int64_t offset = 0, first;
	int fd, rc, n = 0;

	/* a read-only journal still answers, from what it has */
	if (sqlite3_db_readonly(db, "main") == 1)
		return 0;
	fd = open(spool_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* nothing traced into this journal yet */
		if (errno == ELOOP)
			pl_error("refusing spool '%s': it is a symlink",
				 spool_path);
		else
			pl_error("cannot read spool '%s': %s", spool_path,
				 strerror(errno));
		return PL_EXIT_JOURNAL;
	}
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_READONLY) {
		/* a read-only journal still answers, from what it has */
		close(fd);
		return 0;
	}
	if (rc != SQLITE_OK) {
		close(fd);
		return pl_db_fail(db, "cannot lock journal for ingest");
	}
	/* Only under the write lock: a size taken before waiting for it may
	 * be older than the offset another ingest has just stored. */
	if (fstat(fd, &st) != 0) {
		pl_error("cannot read spool '%s': %s", spool_path,
			 strerror(errno));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		close(fd);
		return PL_EXIT_JOURNAL;
	}
	/* what another user left at our spool's path is not our trace */
	if (!pl_file_ours(&st)) {
		pl_error("refusing spool '%s': not a regular file owned by you "
			 "or root", spool_path);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		close(fd);
		return PL_EXIT_JOURNAL;
	}
	for (int i = 0; i < Q_COUNT; i++) {
		in.q[i] = pl_db_prepare(db, queries[i]);
		if (!in.q[i]) {
			ingest_free(&in);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			close(fd);
			return PL_EXIT_JOURNAL;
		}
	}

	in.next_holding = lookup(&in, q_bind(&in, Q_HOLD_LAST, "")) + 1;
	in.socks.base = lookup(&in, q_bind(&in, Q_SOCK_LAST, ""));
	in.next_sock = in.socks.base + 1;
	in.next_pair = lookup(&in, q_bind(&in, Q_PAIR_LAST, "")) + 1;
	first = pl_spool_identity(fd);
	{
		/* by the file, not by its name: "-j x.db" and "-j $PWD/x.db"
		 * name one spool, whose records go in once */
		sqlite3_stmt *q = q_bind(&in, Q_SPOOL_GET, "iii",
					 (int64_t)st.st_dev,
					 (int64_t)st.st_ino, first);

		if (sqlite3_step(q) == SQLITE_ROW)
			offset = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	}
	if (offset > st.st_size)
		offset = 0; /* truncated behind our back: start over */

	rc = pl_spool_reader_init(&reader, fd, (off_t)offset);
	if (rc < 0) {
		if (rc == -EPROTO)
			pl_error("spool '%s' has a header of a newer format; "
				 "this peerlog reads version %d", spool_path,
				 PL_SPOOL_VERSION);
		else if (rc == -EBADMSG)
			pl_error("spool '%s' is not a peerlog spool (no header, "
				 "no record at its start): remove it or use "
				 "another journal", spool_path);
		else
			pl_error("out of memory");
		pl_spool_reader_free(&reader);
		ingest_free(&in);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		close(fd);
		return rc == -ENOMEM ? PL_EXIT_SYSTEM : PL_EXIT_JOURNAL;
	}
	while (!in.failed && (n = pl_spool_next(&reader, &rec)) > 0)
		apply(&in, rec);
	if (n < 0 && !in.failed) {
		pl_error("cannot read spool '%s': %s", spool_path,
			 strerror(-n));
		in.failed = 1;
	}
	if (reader.torn)
		pl_warn("skipped %llu records in spool '%s' that their writers "
			"never finished (killed while writing)",
			(unsigned long long)reader.torn, spool_path);
	else if (reader.skipped)
		pl_warn("skipped %llu garbled bytes in spool '%s'",
			(unsigned long long)reader.skipped, spool_path);
	for (size_t i = 0; !in.failed && i < in.images.cap; i++)
		if (in.images.v[i])
			image_flush(&in, in.images.v[i]);
	if (!in.failed)
		socks_flush(&in);
	if (!in.failed)
		pairs_flush(&in);
	if (!in.failed)
		holds_flush(&in);
	if (!in.failed)
		events_flush(&in);
	if (!in.failed)
		run(&in, q_bind(&in, Q_SPOOL_PUT, "tiiiii", spool_path,
			      (int64_t)st.st_dev, (int64_t)st.st_ino, first,
			      (int64_t)pl_spool_reader_tell(&reader),
			      (int64_t)reader.skipped));
	pl_spool_reader_free(&reader);
	close(fd);
	ingest_free(&in);
	if (in.failed) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return PL_EXIT_JOURNAL;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return pl_db_fail(db, "cannot commit ingest");
	if (reader.future) {
		/* what came before it is in; the rest needs a newer peerlog */
		pl_error("spool '%s' has a record of format version %u at "
			 "offset %lld; this peerlog reads version %d",
			 spool_path, reader.future,
			 (long long)pl_spool_reader_tell(&reader),
			 PL_FORMAT_VERSION);
		return PL_EXIT_JOURNAL;
	}
	return 0;
}
