/* Unit tests of the journal model (collector/ingest.c, collector/model.c)
 * on hand-written record streams: each test writes records into a spool,
 * ingests it into a fresh journal and checks the rows and the holders the
 * queries would report.
 *
 * Queries use struct pl_query { .live = 0 }: nothing is checked in /proc,
 * and a holding still open reports "alive".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "model.h"
#include "peerlog.h"
#include "spool.h"
#include "records.h"

#define BOOT "test-boot"

/* A journal and its spool in a temporary directory. */
struct jr {
	char dir[64];
	char journal[128];
	char spool[160];
	int fd; /* the spool, O_APPEND like the shim's */
	sqlite3 *db;
	char text[8192]; /* the last answer of a text helper */
};

static struct jr *jr_new(void)
{
	struct jr *j = calloc(1, sizeof(*j));

	assert_non_null(j);
	snprintf(j->dir, sizeof(j->dir), "/tmp/peerlog-test-ingest-XXXXXX");
	assert_non_null(mkdtemp(j->dir));
	snprintf(j->journal, sizeof(j->journal), "%s/j.db", j->dir);
	assert_int_equal(pl_spool_path(j->journal, j->spool, sizeof(j->spool)),
			 0);
	j->fd = open(j->spool, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(j->fd >= 0);
	assert_int_equal(pl_journal_open(j->journal, &j->db), 0);
	return j;
}

static void jr_free(struct jr *j)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal",
					      ".spool" };
	char path[192];

	if (!j)
		return;
	/* the statements a query context cached (struct pl_query) */
	for (sqlite3_stmt *st; j->db && (st = sqlite3_next_stmt(j->db, NULL));)
		sqlite3_finalize(st);
	assert_int_equal(sqlite3_close(j->db), SQLITE_OK);
	close(j->fd);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", j->journal, suffix[i]);
		unlink(path);
	}
	rmdir(j->dir);
	free(j);
}

static int jr_setup(void **state)
{
	*state = jr_new();
	return 0;
}

static int jr_teardown(void **state)
{
	jr_free(*state);
	return 0;
}

static void ingest(struct jr *j)
{
	assert_int_equal(pl_ingest(j->db, j->spool), 0);
}

/* Writing records */

static void put(struct jr *j, const void *p, size_t n)
{
	assert_int_equal(write(j->fd, p, n), (ssize_t)n);
}

/* Seal R (its body filled in) and append it to the spool. */
static void emit(struct jr *j, union rec *r, uint8_t type, uint32_t pid,
		 uint64_t ns, size_t size)
{
	r->head.pid = pid;
	r->head.time_ns = ns;
	put(j, r->bytes, rec_seal(r, type, size));
}

static struct pl_rec_sock S(int fd, uint64_t ino, uint64_t cookie)
{
	return (struct pl_rec_sock){ .fd = fd, .ino = ino, .cookie = cookie };
}

/* The parts of a HELLO after its fixed part: exe, argv (the exe's base
 * name only), sockets. */
static void emit_hello(struct jr *j, union rec *r, uint32_t pid, uint64_t ns,
		       const char *exe, const struct pl_rec_sock *socks,
		       unsigned nsock)
{
	size_t at = sizeof(r->hello);

	memcpy(r->hello.boot_id, BOOT, sizeof(BOOT));
	if (exe) {
		const char *arg0 = pl_basename(exe);

		r->hello.exe_len = (uint16_t)(strlen(exe) + 1);
		memcpy(r->bytes + at, exe, r->hello.exe_len);
		at += r->hello.exe_len;
		r->hello.argv_len = (uint16_t)(strlen(arg0) + 1);
		memcpy(r->bytes + at, arg0, r->hello.argv_len);
		at += r->hello.argv_len;
	}
	at = pl_rec_align(at);
	r->hello.nsock = (uint16_t)nsock;
	if (nsock)
		memcpy(r->bytes + at, socks, nsock * sizeof(*socks));
	emit(j, r, PL_REC_HELLO, pid, ns, at + nsock * sizeof(*socks));
}

/* A program image starts: the shim's constructor ran. */
static void hello_load(struct jr *j, uint32_t pid, uint64_t ns, uint32_t ppid,
		       uint64_t ticks, const char *exe,
		       const struct pl_rec_sock *socks, unsigned nsock)
{
	union rec r = { 0 };

	r.hello.reason = PL_HELLO_LOAD;
	r.hello.ppid = ppid;
	r.hello.start_ticks = ticks;
	emit_hello(j, &r, pid, ns, exe, socks, nsock);
}

/* The child side of a fork of the image PARENT said hello at PARENT_NS. */
static void hello_fork(struct jr *j, uint32_t pid, uint64_t ns,
		       uint32_t parent, uint64_t parent_ns, uint64_t ticks,
		       const struct pl_rec_sock *socks, unsigned nsock)
{
	union rec r = { 0 };

	r.hello.reason = PL_HELLO_FORK;
	r.hello.ppid = parent;
	r.hello.parent_pid = parent;
	r.hello.parent_hello_ns = parent_ns;
	r.hello.start_ticks = ticks;
	emit_hello(j, &r, pid, ns, NULL, socks, nsock);
}

static void snap(struct jr *j, uint32_t pid, uint64_t ns,
		 const struct pl_rec_sock *socks, unsigned nsock)
{
	union rec r = { 0 };

	r.snap.nsock = nsock;
	memcpy(r.snap.sock, socks, nsock * sizeof(*socks));
	emit(j, &r, PL_REC_SNAP, pid, ns,
	     sizeof(r.snap) + nsock * sizeof(*socks));
}

static void socketpair_(struct jr *j, uint32_t pid, uint64_t ns,
			struct pl_rec_sock a, struct pl_rec_sock b)
{
	union rec r = { 0 };

	r.pair.domain = 1; /* AF_UNIX */
	r.pair.type = 1;   /* SOCK_STREAM */
	r.pair.sock[0] = a;
	r.pair.sock[1] = b;
	emit(j, &r, PL_REC_SOCKETPAIR, pid, ns, sizeof(r.pair));
}

static void close_(struct jr *j, uint32_t pid, uint64_t ns, int fd,
		   uint64_t ino)
{
	union rec r = { 0 };

	r.close.fd = fd;
	r.close.ino = ino;
	emit(j, &r, PL_REC_CLOSE, pid, ns, sizeof(r.close));
}

static void exec_(struct jr *j, uint32_t pid, uint64_t ns, const char *path)
{
	union rec r = { 0 };

	r.exec.path_len = (uint16_t)(strlen(path) + 1);
	memcpy(r.exec.path, path, r.exec.path_len);
	emit(j, &r, PL_REC_EXEC, pid, ns,
	     pl_rec_align(sizeof(r.exec) + r.exec.path_len));
}

static void exec_fail(struct jr *j, uint32_t pid, uint64_t ns, int err)
{
	union rec r = { 0 };

	r.exec_fail.err = err;
	emit(j, &r, PL_REC_EXEC_FAIL, pid, ns, sizeof(r.exec_fail));
}

static void fork_(struct jr *j, uint32_t pid, uint64_t ns, uint32_t child)
{
	union rec r = { 0 };

	r.fork.child_pid = child;
	emit(j, &r, PL_REC_FORK, pid, ns, sizeof(r.fork));
}

static void exit_(struct jr *j, uint32_t pid, uint64_t ns, int status)
{
	union rec r = { 0 };

	r.exit.status = status;
	emit(j, &r, PL_REC_EXIT, pid, ns, sizeof(r.exit));
}

/* NEWFD became a copy of OLDFD (socket INO); FLAGS: PL_SOCK_CLOEXEC when
 * the copy is close-on-exec (dup3 O_CLOEXEC, F_DUPFD_CLOEXEC). */
static void dup_(struct jr *j, uint32_t pid, uint64_t ns, int oldfd, int newfd,
		 uint64_t ino, uint32_t flags)
{
	union rec r = { 0 };

	r.dup.oldfd = oldfd;
	r.dup.newfd = newfd;
	r.dup.ino = ino;
	r.dup.flags = flags;
	emit(j, &r, PL_REC_DUP, pid, ns, sizeof(r.dup));
}

static void setfd_(struct jr *j, uint32_t pid, uint64_t ns, int fd,
		   uint32_t flags)
{
	union rec r = { 0 };

	r.setfd.fd = fd;
	r.setfd.flags = flags;
	emit(j, &r, PL_REC_SETFD, pid, ns, sizeof(r.setfd));
}

/* close_range(FIRST, LAST, FLAGS); closefrom(N) is N..0xffffffff. */
static void close_range_(struct jr *j, uint32_t pid, uint64_t ns,
			 uint32_t first, uint32_t last, uint32_t flags)
{
	union rec r = { 0 };

	r.close_range.first = first;
	r.close_range.last = last;
	r.close_range.flags = flags;
	emit(j, &r, PL_REC_CLOSE_RANGE, pid, ns, sizeof(r.close_range));
}

/* SCM_RIGHTS over the socket at CHANNEL_FD (inode CHANNEL_INO): TYPE is
 * PL_REC_SEND_FDS (SOCKS are the sender's fds) or PL_REC_RECV_FDS (the new
 * fds; flags PL_SOCK_CLOEXEC with MSG_CMSG_CLOEXEC). */
static void fds_(struct jr *j, uint8_t type, uint32_t pid, uint64_t ns,
		 int channel_fd, uint64_t channel_ino,
		 const struct pl_rec_sock *socks, unsigned nsock)
{
	union rec r = { 0 };

	r.fds.channel_fd = channel_fd;
	r.fds.channel_ino = channel_ino;
	r.fds.nsock = (uint16_t)nsock;
	memcpy(r.fds.sock, socks, nsock * sizeof(*socks));
	emit(j, &r, type, pid, ns, sizeof(r.fds) + nsock * sizeof(*socks));
}

static void send_(struct jr *j, uint32_t pid, uint64_t ns, int channel_fd,
		  uint64_t channel_ino, const struct pl_rec_sock *socks,
		  unsigned nsock)
{
	fds_(j, PL_REC_SEND_FDS, pid, ns, channel_fd, channel_ino, socks,
	     nsock);
}

static void recv_(struct jr *j, uint32_t pid, uint64_t ns, int channel_fd,
		  uint64_t channel_ino, const struct pl_rec_sock *socks,
		  unsigned nsock)
{
	fds_(j, PL_REC_RECV_FDS, pid, ns, channel_fd, channel_ino, socks,
	     nsock);
}

/* socket(AF_UNIX, TYPE, 0) gave FD. */
static void socket_(struct jr *j, uint32_t pid, uint64_t ns, int fd, int type,
		    uint64_t ino, uint64_t cookie)
{
	union rec r = { 0 };

	r.socket.fd = fd;
	r.socket.domain = AF_UNIX;
	r.socket.type = type;
	r.socket.ino = ino;
	r.socket.cookie = cookie;
	emit(j, &r, PL_REC_SOCKET, pid, ns, sizeof(r.socket));
}

/* A record of the connection family as the shim writes it: NAME NULL is
 * an empty name (name_len 1); bind, listen and connect have no cookie
 * and a listen_fd of -1. */
static void conn_(struct jr *j, uint8_t type, uint32_t pid, uint64_t ns,
		  int fd, int listen_fd, uint64_t ino, uint64_t cookie,
		  uint64_t peer_ino, uint32_t flags, const char *name)
{
	union rec r = { 0 };

	r.conn.fd = fd;
	r.conn.listen_fd = listen_fd;
	r.conn.ino = ino;
	r.conn.cookie = cookie;
	r.conn.peer_ino = peer_ino;
	r.conn.flags = flags;
	r.conn.name_len = (uint16_t)(name ? strlen(name) + 1 : 1);
	if (name)
		memcpy(r.conn.name, name, r.conn.name_len);
	emit(j, &r, type, pid, ns,
	     pl_rec_align(sizeof(r.conn) + r.conn.name_len));
}

static void bind_(struct jr *j, uint32_t pid, uint64_t ns, int fd,
		  uint64_t ino, const char *name)
{
	conn_(j, PL_REC_BIND, pid, ns, fd, -1, ino, 0, 0, 0, name);
}

static void listen_(struct jr *j, uint32_t pid, uint64_t ns, int fd,
		    uint64_t ino)
{
	conn_(j, PL_REC_LISTEN, pid, ns, fd, -1, ino, 0, 0, 0, NULL);
}

/* connect(FD) to NAME; the kernel named the other end PEER_INO. */
static void connect_(struct jr *j, uint32_t pid, uint64_t ns, int fd,
		     uint64_t ino, uint64_t peer_ino, const char *name)
{
	conn_(j, PL_REC_CONNECT, pid, ns, fd, -1, ino, 0, peer_ino, 0, name);
}

/* accept(LISTEN_FD) gave FD (INO, COOKIE), connected to PEER_INO. */
static void accept_(struct jr *j, uint32_t pid, uint64_t ns, int listen_fd,
		    int fd, uint64_t ino, uint64_t cookie, uint64_t peer_ino,
		    uint32_t flags)
{
	conn_(j, PL_REC_ACCEPT, pid, ns, fd, listen_fd, ino, cookie, peer_ino,
	      flags, NULL);
}

/* Reading the journal */

/* Bind ?1 and ?2 of SQL, as far as it has them, to A and B. */
static sqlite3_stmt *query(struct jr *j, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st = NULL;
	int n;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(j->db));
	n = sqlite3_bind_parameter_count(st);
	if (n >= 1)
		sqlite3_bind_int64(st, 1, a);
	if (n >= 2)
		sqlite3_bind_int64(st, 2, b);
	return st;
}

/* The first column of the first row, as text: "NULL" for a null, "none"
 * when there is no row. */
static const char *sql_text(struct jr *j, const char *sql, int64_t a,
			    int64_t b)
{
	sqlite3_stmt *st = query(j, sql, a, b);

	if (sqlite3_step(st) != SQLITE_ROW)
		snprintf(j->text, sizeof(j->text), "none");
	else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		snprintf(j->text, sizeof(j->text), "NULL");
	else
		snprintf(j->text, sizeof(j->text), "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return j->text;
}

/* The first column of the first row, as an integer (0 without a row). */
static int64_t sql_int(struct jr *j, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st = query(j, sql, a, b);
	int64_t v = 0;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t count(struct jr *j, const char *table_sql)
{
	return sql_int(j, table_sql, 0, 0);
}

/* The socket end PID holds (or last held) at FD. */
static int64_t sock_at(struct jr *j, int pid, int fd)
{
	int64_t id = sql_int(j, "SELECT sock_id FROM holding_span WHERE "
				"pid = ?1 AND fd = ?2 ORDER BY id DESC LIMIT 1",
			     pid, fd);

	assert_true(id > 0);
	return id;
}

static int64_t sock_by_ino(struct jr *j, uint64_t ino)
{
	int64_t id = sql_int(j, "SELECT id FROM sock WHERE ino = ?1",
			     (int64_t)ino, 0);

	assert_true(id > 0);
	return id;
}

/* The other end of the pair of the end PID holds at FD. */
static int64_t peer_of(struct jr *j, int pid, int fd)
{
	int64_t id = sql_int(j, "SELECT peer_id FROM sock_peer "
				"WHERE sock_id = ?1",
			     sock_at(j, pid, fd), 0);

	assert_true(id > 0);
	return id;
}

/* The holders of SOCK as pl_holders_load() gives them, one line each:
 * "PID:FD START [from PID:FD] [xEXECS] EXE END[@UNTIL]". */
static const char *holders(struct jr *j, int64_t sock)
{
	struct pl_query q = { .live = 0 };
	struct pl_holders hs;
	size_t at = 0;

	assert_int_equal(pl_holders_load(j->db, &q, sock, &hs), 0);
	j->text[0] = '\0';
	for (size_t i = 0; i < hs.n; i++) {
		const struct pl_holder *h = &hs.v[i];
		char src[32] = "", execs[16] = "", until[32] = "";

		if (h->source_pid)
			snprintf(src, sizeof(src), " from %d:%d", h->source_pid,
				 h->source_fd);
		if (h->execs)
			snprintf(execs, sizeof(execs), " x%d", h->execs);
		if (h->until_ns)
			snprintf(until, sizeof(until), "@%lld",
				 (long long)h->until_ns);
		at += (size_t)snprintf(j->text + at, sizeof(j->text) - at,
				       "%d:%d %s%s%s %s %s%s\n", h->pid, h->fd,
				       h->start_reason, src, execs,
				       h->exe ? h->exe : "-", h->end_reason,
				       until);
		assert_true(at < sizeof(j->text));
	}
	pl_holders_free(&hs);
	return j->text;
}

/* Every process image, one line each, without row ids (which depend on
 * the order of ingest): "PID@HELLO ORIGIN [of PID@HELLO] EXE END". */
static const char *processes(struct jr *j)
{
	sqlite3_stmt *st = query(j,
		"SELECT p.pid, p.hello_ns, p.origin, q.pid, q.hello_ns, p.exe,"
		" p.end_reason, p.end_ns FROM process p "
		"LEFT JOIN process q ON q.id = p.parent_id "
		"ORDER BY p.pid, p.hello_ns", 0, 0);
	size_t at = 0;

	j->text[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		char parent[48] = "", end[48] = "";

		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			snprintf(parent, sizeof(parent), " of %lld@%lld",
				 (long long)sqlite3_column_int64(st, 3),
				 (long long)sqlite3_column_int64(st, 4));
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			snprintf(end, sizeof(end), "%s@%lld",
				 sqlite3_column_text(st, 6),
				 (long long)sqlite3_column_int64(st, 7));
		at += (size_t)snprintf(j->text + at, sizeof(j->text) - at,
				       "%lld@%lld %s%s %s %s\n",
				       (long long)sqlite3_column_int64(st, 0),
				       (long long)sqlite3_column_int64(st, 1),
				       sqlite3_column_text(st, 2), parent,
				       sqlite3_column_type(st, 5) == SQLITE_NULL
					       ? "-" : (const char *)
					       sqlite3_column_text(st, 5),
				       *end ? end : "-");
		assert_true(at < sizeof(j->text));
	}
	sqlite3_finalize(st);
	return j->text;
}

/* Every holding as holding_span has it, without row ids:
 * "PID:FD INO START END[@UNTIL]". */
static const char *spans(struct jr *j)
{
	sqlite3_stmt *st = query(j,
		"SELECT pid, fd, ino, start_reason, end_reason, until_ns "
		"FROM holding_span ORDER BY from_ns, pid, fd", 0, 0);
	size_t at = 0;

	j->text[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		char until[32] = "";

		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			snprintf(until, sizeof(until), "@%lld",
				 (long long)sqlite3_column_int64(st, 5));
		at += (size_t)snprintf(j->text + at, sizeof(j->text) - at,
				       "%d:%d %lld %s %s%s\n",
				       sqlite3_column_int(st, 0),
				       sqlite3_column_int(st, 1),
				       (long long)sqlite3_column_int64(st, 2),
				       sqlite3_column_text(st, 3),
				       sqlite3_column_type(st, 4) == SQLITE_NULL
					       ? "open" : (const char *)
					       sqlite3_column_text(st, 4),
				       until);
		assert_true(at < sizeof(j->text));
	}
	sqlite3_finalize(st);
	return j->text;
}

/* Every holding with its close-on-exec flag, in the order of spans():
 * "PID:FD INO CLOEXEC". */
static const char *cloexecs(struct jr *j)
{
	sqlite3_stmt *st = query(j,
		"SELECT p.pid, h.fd, s.ino, h.cloexec FROM holding h "
		"JOIN process p ON p.id = h.process_id "
		"JOIN sock s ON s.id = h.sock_id "
		"ORDER BY h.from_ns, p.pid, h.fd, h.id", 0, 0);
	size_t at = 0;

	j->text[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		at += (size_t)snprintf(j->text + at, sizeof(j->text) - at,
				       "%d:%d %lld %d\n",
				       sqlite3_column_int(st, 0),
				       sqlite3_column_int(st, 1),
				       (long long)sqlite3_column_int64(st, 2),
				       sqlite3_column_int(st, 3));
		assert_true(at < sizeof(j->text));
	}
	sqlite3_finalize(st);
	return j->text;
}

/* The events of PID, one line each: "KIND FD ARG DETAIL PROC" with NULL
 * columns as "-" and PROC "img" or "-" as the event has an image or not. */
static const char *events(struct jr *j, int pid)
{
	sqlite3_stmt *st = query(j,
		"SELECT kind, fd, arg, detail, process_id IS NOT NULL "
		"FROM event WHERE pid = ?1 ORDER BY id", pid, 0);
	size_t at = 0;

	j->text[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		char col[3][32];

		for (int c = 1; c <= 3; c++)
			snprintf(col[c - 1], sizeof(col[0]), "%s",
				 sqlite3_column_type(st, c) == SQLITE_NULL
					 ? "-" : (const char *)
					 sqlite3_column_text(st, c));
		at += (size_t)snprintf(j->text + at, sizeof(j->text) - at,
				       "%s %s %s %s %s\n",
				       sqlite3_column_text(st, 0), col[0],
				       col[1], col[2],
				       sqlite3_column_int(st, 4) ? "img" : "-");
		assert_true(at < sizeof(j->text));
	}
	sqlite3_finalize(st);
	return j->text;
}

/* The flights of SOCK as pl_holders_load() gives them (unreceived
 * passings), one line each: "from PID:FD @SENT over CHANNEL_INO", PID:FD
 * "?" when the sender is not known. */
static const char *flights(struct jr *j, int64_t sock)
{
	struct pl_query q = { .live = 0 };
	struct pl_holders hs;
	size_t at = 0;

	assert_int_equal(pl_holders_load(j->db, &q, sock, &hs), 0);
	j->text[0] = '\0';
	for (size_t i = 0; i < hs.nflights; i++) {
		const struct pl_flight *f = &hs.flights[i];
		char from[32] = "?";

		if (f->from_pid)
			snprintf(from, sizeof(from), "%d:%d", f->from_pid,
				 f->from_fd);
		at += (size_t)snprintf(j->text + at, sizeof(j->text) - at,
				       "from %s @%lld over %lld\n", from,
				       (long long)f->sent_ns,
				       (long long)f->channel_ino);
		assert_true(at < sizeof(j->text));
	}
	pl_holders_free(&hs);
	return j->text;
}

/* Every socket end, by inode, without row ids:
 * "INO cookie COOKIE type TYPE name NAME [listening] [peer PEER_INO]",
 * NULL columns as "-". */
static const char *socks(struct jr *j)
{
	sqlite3_stmt *st = query(j,
		"SELECT s.ino, s.cookie, s.type, s.name, s.listening, o.ino "
		"FROM sock s LEFT JOIN sock o ON o.id = s.peer_id "
		"ORDER BY s.ino, s.id", 0, 0);
	size_t at = 0;

	j->text[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		char peer[32] = "";

		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			snprintf(peer, sizeof(peer), " peer %lld",
				 (long long)sqlite3_column_int64(st, 5));
		at += (size_t)snprintf(j->text + at, sizeof(j->text) - at,
				       "%lld cookie %lld type %s name %s%s%s\n",
				       (long long)sqlite3_column_int64(st, 0),
				       (long long)sqlite3_column_int64(st, 1),
				       sqlite3_column_type(st, 2) == SQLITE_NULL
					       ? "-" : (const char *)
					       sqlite3_column_text(st, 2),
				       sqlite3_column_type(st, 3) == SQLITE_NULL
					       ? "-" : (const char *)
					       sqlite3_column_text(st, 3),
				       sqlite3_column_int(st, 4)
					       ? " listening" : "",
				       peer);
		assert_true(at < sizeof(j->text));
	}
	sqlite3_finalize(st);
	return j->text;
}

/* The classic scenario (issue #2): a parent makes a pair and forks; the
 * child closes one end, execs and keeps the other; the parent closes the
 * child's end. One step per record, so that tests can write them in
 * other orders. Times are those of the events, whatever the order. */
enum step {
	P_HELLO,  /* 100 loads /bin/parent */
	P_PAIR,   /* socketpair: fd 3 (ino 1001), fd 4 (ino 1002) */
	P_FORK,   /* fork(): child 101 */
	P_CLOSE4, /* 100 closes the child's end */
	P_EXEC,   /* 100 execs /bin/parent2, keeping fd 3 */
	P_HELLO2,
	P_EXIT,
	C_HELLO,  /* 101, the fork child, holds fds 3 and 4 */
	C_CLOSE3, /* 101 closes the parent's end */
	C_EXEC,   /* 101 execs /bin/child, keeping fd 4 */
	C_HELLO2,
	C_EXIT,
};

static void classic_step(struct jr *j, enum step step)
{
	const struct pl_rec_sock s3 = S(3, 1001, 11), s4 = S(4, 1002, 12);
	const struct pl_rec_sock both[] = { s3, s4 };

	switch (step) {
	case P_HELLO:
		hello_load(j, 100, 1000, 1, 5, "/bin/parent", NULL, 0);
		break;
	case P_PAIR:
		socketpair_(j, 100, 2000, s3, s4);
		break;
	case P_FORK:
		fork_(j, 100, 3000, 101);
		break;
	case C_HELLO:
		hello_fork(j, 101, 3100, 100, 1000, 7, both, 2);
		break;
	case C_CLOSE3:
		close_(j, 101, 4000, 3, 1001);
		break;
	case C_EXEC:
		exec_(j, 101, 5000, "/bin/child");
		break;
	case C_HELLO2:
		hello_load(j, 101, 6000, 100, 7, "/bin/child", &s4, 1);
		break;
	case P_CLOSE4:
		close_(j, 100, 7000, 4, 1002);
		break;
	case P_EXEC:
		exec_(j, 100, 8000, "/bin/parent2");
		break;
	case P_HELLO2:
		hello_load(j, 100, 9000, 1, 5, "/bin/parent2", &s3, 1);
		break;
	case P_EXIT:
		exit_(j, 100, 10000, 0);
		break;
	case C_EXIT:
		exit_(j, 101, 11000, 0);
		break;
	}
}

static void classic(struct jr *j)
{
	static const enum step order[] = { P_HELLO, P_PAIR, P_FORK, C_HELLO,
					   C_CLOSE3, C_EXEC, C_HELLO2,
					   P_CLOSE4 };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		classic_step(j, order[i]);
}

static void test_ingest__classic(void **state)
{
	struct jr *j = *state;
	struct pl_query q = { .live = 0 };
	struct pl_holders hs;
	int64_t peer;

	classic(j);
	ingest(j);

	peer = peer_of(j, 100, 3);
	assert_int_equal(peer, sock_by_ino(j, 1002));
	assert_int_equal(peer_of(j, 101, 4), sock_by_ino(j, 1001));

	assert_int_equal(pl_holders_load(j->db, &q, peer, &hs), 0);
	assert_int_equal(hs.n, 2);
	assert_int_equal(hs.v[0].pid, 100);
	assert_int_equal(hs.v[0].fd, 4);
	assert_string_equal(hs.v[0].start_reason, "create");
	assert_string_equal(hs.v[0].end_reason, PL_END_CLOSE);
	assert_int_equal(hs.v[0].from_ns, 2000);
	assert_int_equal(hs.v[0].until_ns, 7000);
	assert_int_equal(hs.v[0].execs, 0);
	assert_int_equal(hs.v[1].pid, 101);
	assert_int_equal(hs.v[1].fd, 4);
	assert_string_equal(hs.v[1].start_reason, "fork");
	assert_int_equal(hs.v[1].source_pid, 100);
	assert_int_equal(hs.v[1].source_fd, 4);
	assert_int_equal(hs.v[1].execs, 1);
	assert_string_equal(hs.v[1].exe, "/bin/child");
	assert_string_equal(hs.v[1].argv, "[\"child\"]");
	assert_string_equal(hs.v[1].end_reason, PL_END_ALIVE);
	assert_int_equal(hs.v[1].from_ns, 3100);
	assert_int_equal(hs.v[1].until_ns, 0);
	pl_holders_free(&hs);

	assert_string_equal(holders(j, sock_by_ino(j, 1001)),
			    "100:3 create /bin/parent alive\n"
			    "101:3 fork from 100:3 /bin/parent close@4000\n");
	assert_string_equal(processes(j),
			    "100@1000 root /bin/parent -\n"
			    "101@3100 fork of 100@1000 /bin/parent exec@5000\n"
			    "101@6000 exec of 101@3100 /bin/child -\n");
	assert_string_equal(spans(j),
			    "100:3 1001 create open\n"
			    "100:4 1002 create close@7000\n"
			    "101:3 1001 fork close@4000\n"
			    "101:4 1002 fork kept@5000\n"
			    "101:4 1002 exec open\n");
	assert_int_equal(count(j, "SELECT count(*) FROM pair"), 1);
	assert_int_equal(count(j, "SELECT count(*) FROM sock"), 2);
	assert_int_equal(count(j, "SELECT count(*) FROM event"), 8);
	assert_string_equal(sql_text(j, "SELECT ppid FROM process WHERE "
					"pid = 101 AND origin = 'fork'", 0, 0),
			    "100");
	assert_string_equal(sql_text(j, "SELECT exec_ns FROM process WHERE "
					"pid = 101 AND origin = 'fork'", 0, 0),
			    "NULL");
}

/* An exit ends with the image what it still held, not what it closed. */
static void test_ingest__exit_ends_holdings(void **state)
{
	struct jr *j = *state;

	hello_load(j, 200, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 200, 2000, S(3, 2001, 21), S(4, 2002, 22));
	close_(j, 200, 3000, 3, 2001);
	exit_(j, 200, 4000, 2);
	hello_load(j, 201, 1500, 1, 6, "/bin/q", NULL, 0);
	socketpair_(j, 201, 2500, S(5, 2011, 0), S(6, 2012, 0));
	exit_(j, 201, 4500, PL_EXIT_UNKNOWN);
	ingest(j);

	assert_string_equal(spans(j),
			    "200:3 2001 create close@3000\n"
			    "200:4 2002 create exit@4000\n"
			    "201:5 2011 create exit@4500\n"
			    "201:6 2012 create exit@4500\n");
	assert_string_equal(holders(j, sock_by_ino(j, 2002)),
			    "200:4 create /bin/p exit@4000\n");
	assert_string_equal(sql_text(j, "SELECT end_reason || ' ' || "
					"exit_status FROM process WHERE "
					"pid = 200", 0, 0),
			    "exit 2");
	assert_string_equal(sql_text(j, "SELECT exit_status FROM process "
					"WHERE pid = 201", 0, 0),
			    "NULL");
	/* a socket created after its image ended goes nowhere */
	socketpair_(j, 200, 5000, S(3, 2003, 23), S(4, 2004, 24));
	ingest(j);
	assert_int_equal(count(j, "SELECT count(*) FROM holding"), 4);
	assert_string_equal(sql_text(j, "SELECT process_id FROM event "
					"WHERE time_ns = 5000", 0, 0),
			    "NULL");
}

/* A socket the image held but the image after its exec does not list
 * was closed on exec, when the exec happened. */
static void test_ingest__closed_on_exec(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock kept = S(4, 3002, 32);

	hello_load(j, 300, 1000, 1, 7, "/bin/first", NULL, 0);
	socketpair_(j, 300, 2000, S(3, 3001, 31), kept);
	exec_(j, 300, 3000, "/bin/next");
	hello_load(j, 300, 3500, 1, 7, "/bin/next", &kept, 1);
	ingest(j);

	assert_string_equal(spans(j),
			    "300:3 3001 create exec@3000\n"
			    "300:4 3002 create kept@3000\n"
			    "300:4 3002 exec open\n");
	assert_string_equal(holders(j, sock_by_ino(j, 3001)),
			    "300:3 create /bin/first exec@3000\n");
	assert_string_equal(holders(j, sock_by_ino(j, 3002)),
			    "300:4 create x1 /bin/next alive\n");
	assert_string_equal(processes(j),
			    "300@1000 root /bin/first exec@3000\n"
			    "300@3500 exec of 300@1000 /bin/next -\n");
	assert_string_equal(sql_text(j, "SELECT exec_ns FROM process "
					"WHERE hello_ns = 1000", 0, 0),
			    "NULL");
}

/* A failed exec leaves the image as it was; the next exec is timed by
 * its own EXEC record. */
static void test_ingest__exec_fail_leaves_image(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock s4 = S(4, 4002, 42);

	hello_load(j, 400, 1000, 1, 8, "/bin/p", NULL, 0);
	socketpair_(j, 400, 2000, S(3, 4001, 41), s4);
	exec_(j, 400, 3000, "/nonexistent");
	ingest(j);
	/* between the attempt and its outcome: pending */
	assert_string_equal(sql_text(j, "SELECT exec_ns || ' ' || exec_path "
					"FROM process", 0, 0),
			    "3000 /nonexistent");

	exec_fail(j, 400, 3001, ENOENT);
	ingest(j);
	assert_string_equal(sql_text(j, "SELECT exec_ns FROM process", 0, 0),
			    "NULL");
	assert_string_equal(sql_text(j, "SELECT exec_path FROM process", 0,
				     0), "NULL");
	assert_string_equal(processes(j), "400@1000 root /bin/p -\n");
	assert_string_equal(spans(j),
			    "400:3 4001 create open\n"
			    "400:4 4002 create open\n");
	assert_string_equal(holders(j, sock_by_ino(j, 4001)),
			    "400:3 create /bin/p alive\n");

	exec_(j, 400, 5000, "/bin/q");
	hello_load(j, 400, 5500, 1, 8, "/bin/q", &s4, 1);
	ingest(j);
	assert_string_equal(processes(j),
			    "400@1000 root /bin/p exec@5000\n"
			    "400@5500 exec of 400@1000 /bin/q -\n");
	assert_string_equal(holders(j, sock_by_ino(j, 4001)),
			    "400:3 create /bin/p exec@5000\n");
}

static void table_counts(struct jr *j, int64_t ret[6])
{
	ret[0] = count(j, "SELECT count(*) FROM process");
	ret[1] = count(j, "SELECT count(*) FROM pair");
	ret[2] = count(j, "SELECT count(*) FROM sock");
	ret[3] = count(j, "SELECT count(*) FROM holding");
	ret[4] = count(j, "SELECT count(*) FROM event");
	ret[5] = count(j, "SELECT offset FROM spool");
}

static void test_ingest__exactly_once(void **state)
{
	struct jr *j = *state;
	int64_t first[6], again[6];
	char before[8192];
	union rec r = { 0 };

	classic(j);
	ingest(j);
	table_counts(j, first);
	assert_int_equal(first[4], 8);
	assert_int_equal(first[5], lseek(j->fd, 0, SEEK_END));
	snprintf(before, sizeof(before), "%s", spans(j));

	ingest(j);
	table_counts(j, again);
	assert_memory_equal(first, again, sizeof(first));
	assert_string_equal(spans(j), before);

	/* a new connection to the journal has the same offset */
	sqlite3_close(j->db);
	j->db = NULL;
	assert_int_equal(pl_journal_open(j->journal, &j->db), 0);
	ingest(j);
	table_counts(j, again);
	assert_memory_equal(first, again, sizeof(first));

	/* more records: only those are added */
	classic_step(j, C_EXIT);
	ingest(j);
	table_counts(j, again);
	assert_int_equal(again[0], first[0]);
	assert_int_equal(again[3], first[3]);
	assert_int_equal(again[4], first[4] + 1);
	assert_int_equal(again[5], lseek(j->fd, 0, SEEK_END));
	assert_string_equal(holders(j, peer_of(j, 100, 3)),
			    "100:4 create /bin/parent close@7000\n"
			    "101:4 fork from 100:4 x1 /bin/child exit@11000\n");

	/* half a record is left for the next ingest, then taken whole */
	r.exit.status = 0;
	r.head.magic = PL_REC_MAGIC;
	r.head.size = sizeof(r.exit);
	r.head.version = PL_FORMAT_VERSION;
	r.head.type = PL_REC_EXIT;
	r.head.pid = 100;
	r.head.time_ns = 10000;
	r.head.check = pl_rec_checksum(r.bytes, sizeof(r.exit));
	put(j, r.bytes, 12);
	ingest(j);
	table_counts(j, first);
	assert_int_equal(first[4], again[4]);
	assert_int_equal(first[5], again[5]);
	put(j, r.bytes + 12, sizeof(r.exit) - 12);
	ingest(j);
	table_counts(j, first);
	assert_int_equal(first[4], again[4] + 1);
	assert_int_equal(first[5], lseek(j->fd, 0, SEEK_END));
	assert_string_equal(holders(j, sock_by_ino(j, 1001)),
			    "100:3 create /bin/parent exit@10000\n"
			    "101:3 fork from 100:3 /bin/parent close@4000\n");
	assert_int_equal(count(j, "SELECT skipped FROM spool"), 0);
}

/* The brief's interleaving: the child's hello is written after the
 * parent closed fd 4 and before the parent's FORK record. */
static void test_ingest__child_hello_after_parent_close(void **state)
{
	static const enum step order[] = { P_HELLO, P_PAIR, P_CLOSE4, C_HELLO,
					   P_FORK, C_CLOSE3, C_EXEC,
					   C_HELLO2 };
	struct jr *j = *state;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		classic_step(j, order[i]);
	ingest(j);
	assert_string_equal(holders(j, peer_of(j, 100, 3)),
			    "100:4 create /bin/parent close@7000\n"
			    "101:4 fork from 100:4 x1 /bin/child alive\n");
	/* the source is the parent's holding, closed before the child's
	 * hello was ingested */
	assert_int_equal(count(j, "SELECT count(*) FROM holding h "
				  "JOIN process c ON c.id = h.process_id "
				  "JOIN holding s ON s.id = h.source_id "
				  "JOIN process sp ON sp.id = s.process_id "
				  "WHERE c.pid = 101 AND c.origin = 'fork' AND "
				  "h.fd = 4 AND sp.pid = 100 AND s.fd = 4 AND "
				  "s.end_reason = 'close'"), 1);
}

/* The whole answer for the classic scenario's pair. */
static void classic_answer(struct jr *j, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s", processes(j));

	n += snprintf(buf + n, size - (size_t)n, "%s", spans(j));
	n += snprintf(buf + n, size - (size_t)n, "%s",
		      holders(j, sock_by_ino(j, 1001)));
	n += snprintf(buf + n, size - (size_t)n, "%s",
		      holders(j, sock_by_ino(j, 1002)));
	assert_true(n > 0 && (size_t)n < size);
}

/* Parent and child write to the spool at once: after the fork their
 * records may come in any interleaving, each process's in its own order.
 * Every interleaving must give the same journal. */
static void test_ingest__any_interleaving(void **state)
{
	static const enum step parent[] = { P_FORK, P_CLOSE4, P_EXEC,
					    P_HELLO2, P_EXIT };
	static const enum step child[] = { C_HELLO, C_CLOSE3, C_EXEC,
					   C_HELLO2, C_EXIT };
	enum { NP = 5, NC = 5, N = NP + NC };
	static char want[16384], got[16384];
	int runs = 0;

	for (unsigned mask = 0; mask < 1u << N; mask++) {
		struct jr *j;
		size_t p = 0, c = 0;

		if (__builtin_popcount(mask) != NP)
			continue;
		j = jr_new();
		classic_step(j, P_HELLO);
		classic_step(j, P_PAIR);
		for (int i = 0; i < N; i++)
			classic_step(j, mask & (1u << i) ? parent[p++]
							  : child[c++]);
		ingest(j);
		classic_answer(j, runs ? got : want, sizeof(want));
		jr_free(j);
		if (runs++ && strcmp(want, got))
			fail_msg("order 0x%03x gives\n%s\ninstead of\n%s",
				 mask, got, want);
	}
	assert_int_equal(runs, 252);

	/* and the answer is the right one */
	assert_string_equal(want,
		/* processes */
		"100@1000 root /bin/parent exec@8000\n"
		"100@9000 exec of 100@1000 /bin/parent2 exit@10000\n"
		"101@3100 fork of 100@1000 /bin/parent exec@5000\n"
		"101@6000 exec of 101@3100 /bin/child exit@11000\n"
		/* holding spans */
		"100:3 1001 create kept@8000\n"
		"100:4 1002 create close@7000\n"
		"101:3 1001 fork close@4000\n"
		"101:4 1002 fork kept@5000\n"
		"101:4 1002 exec exit@11000\n"
		"100:3 1001 exec exit@10000\n"
		/* holders of 1001, then of 1002 */
		"100:3 create x1 /bin/parent2 exit@10000\n"
		"101:3 fork from 100:3 /bin/parent close@4000\n"
		"100:4 create /bin/parent close@7000\n"
		"101:4 fork from 100:4 x1 /bin/child exit@11000\n");
}

/* socketpair() returned an fd we thought still held: we missed how the
 * old holding ended. */
static void test_ingest__socketpair_reuses_open_fd(void **state)
{
	struct jr *j = *state;

	hello_load(j, 500, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 500, 2000, S(3, 5001, 51), S(4, 5002, 52));
	socketpair_(j, 500, 3000, S(3, 5003, 53), S(5, 5004, 54));
	ingest(j);

	assert_string_equal(spans(j),
			    "500:3 5001 create unknown@3000\n"
			    "500:4 5002 create open\n"
			    "500:3 5003 create open\n"
			    "500:5 5004 create open\n");
	assert_string_equal(holders(j, sock_by_ino(j, 5001)),
			    "500:3 create /bin/p unknown@3000\n");
	assert_int_equal(sock_at(j, 500, 3), sock_by_ino(j, 5003));
	assert_int_equal(peer_of(j, 500, 3), sock_by_ino(j, 5004));
	/* a later close of fd 3 closes the new holding only */
	close_(j, 500, 4000, 3, 5003);
	ingest(j);
	assert_string_equal(holders(j, sock_by_ino(j, 5001)),
			    "500:3 create /bin/p unknown@3000\n");
	assert_string_equal(holders(j, sock_by_ino(j, 5003)),
			    "500:3 create /bin/p close@4000\n");
}

/* Sockets that do not fit in a hello come in SNAP records after it; in a
 * fork child they are linked to the parent's holdings all the same. */
static void test_ingest__snap_continues_hello(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock a = S(3, 6001, 61);
	const struct pl_rec_sock more[] = { S(5, 6003, 63), S(6, 6004, 64) };

	hello_load(j, 600, 1000, 1, 5, "/bin/p", &a, 1);
	snap(j, 600, 1000, more, 2);
	socketpair_(j, 600, 2000, S(7, 6005, 65), S(8, 6006, 66));
	hello_fork(j, 601, 3000, 600, 1000, 9, NULL, 0);
	snap(j, 601, 3000, more, 1);
	ingest(j);

	assert_string_equal(spans(j),
			    "600:3 6001 found open\n"
			    "600:5 6003 found open\n"
			    "600:6 6004 found open\n"
			    "600:7 6005 create open\n"
			    "600:8 6006 create open\n"
			    "601:5 6003 fork open\n");
	assert_string_equal(holders(j, sock_by_ino(j, 6003)),
			    "600:5 found /bin/p alive\n"
			    "601:5 fork from 600:5 /bin/p alive\n");
}

/* A traced program started by a traced parent without a fork we saw
 * (posix_spawn): the child's sockets come from the parent, wherever the
 * child has them. */
static void test_ingest__spawn_inherits(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock moved = S(0, 7002, 72);

	hello_load(j, 700, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 700, 2000, S(3, 7001, 71), S(4, 7002, 72));
	hello_load(j, 701, 3000, 700, 9, "/bin/c", &moved, 1);
	ingest(j);

	assert_string_equal(processes(j),
			    "700@1000 root /bin/p -\n"
			    "701@3000 spawn of 700@1000 /bin/c -\n");
	assert_string_equal(holders(j, peer_of(j, 700, 3)),
			    "700:4 create /bin/p alive\n"
			    "701:0 inherit from 700:4 /bin/c alive\n");
}

/* A pid seen again after its process ended, or with another start time,
 * is a new process, not an exec. */
static void test_ingest__reused_pid_is_new_process(void **state)
{
	struct jr *j = *state;

	hello_load(j, 800, 1000, 1, 5, "/bin/a", NULL, 0);
	exit_(j, 800, 2000, 0);
	hello_load(j, 800, 3000, 1, 5, "/bin/b", NULL, 0);
	hello_load(j, 800, 4000, 1, 99, "/bin/c", NULL, 0); /* killed b */
	ingest(j);

	assert_string_equal(processes(j),
			    "800@1000 root /bin/a exit@2000\n"
			    "800@3000 root /bin/b -\n"
			    "800@4000 root /bin/c -\n");
}

/* A fork child takes its start tick from the clock a moment after the
 * kernel did: an image that read the true one from /proc is still its
 * exec, not a new process; one that started later is not. */
static void test_ingest__late_start_tick_is_same_process(void **state)
{
	struct jr *j = *state;

	hello_load(j, 700, 1000, 1, 5, "/bin/p", NULL, 0);
	hello_fork(j, 701, 2000, 700, 1000, 12, NULL, 0);
	hello_load(j, 701, 3000, 700, 10, "/bin/q", NULL, 0);
	hello_fork(j, 702, 4000, 700, 1000, 20, NULL, 0);
	hello_load(j, 702, 5000, 700, 21, "/bin/r", NULL, 0);
	ingest(j);

	assert_string_equal(processes(j),
			    "700@1000 root /bin/p -\n"
			    "701@2000 fork of 700@1000 /bin/p exec@3000\n"
			    "701@3000 exec of 701@2000 /bin/q -\n"
			    "702@4000 fork of 700@1000 /bin/p -\n"
			    "702@5000 spawn of 700@1000 /bin/r -\n");
	assert_true(pl_ticks_match(12, 10));
	assert_true(pl_ticks_match(10, 10));
	assert_false(pl_ticks_match(20, 21));
	assert_false(pl_ticks_match(10 + PL_TICKS_SLACK + 1, 10));
}

/* The shim records a socketpair without cookies: the first hello that
 * lists an end gives it its cookie, and what comes after by cookie finds
 * the same socket. */
static void test_ingest__pair_takes_cookie_from_hello(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock s3 = S(3, 9101, 0), s4 = S(4, 9102, 0);
	const struct pl_rec_sock c4 = S(4, 9102, 77);

	hello_load(j, 950, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 950, 2000, s3, s4);
	hello_fork(j, 951, 3000, 950, 1000, 6, &c4, 1);
	exec_(j, 951, 4000, "/bin/q");
	hello_load(j, 951, 5000, 950, 6, "/bin/q", &c4, 1);
	ingest(j);

	assert_int_equal(count(j, "SELECT count(*) FROM sock"), 2);
	assert_int_equal(count(j, "SELECT count(*) FROM sock WHERE cookie = 77 "
				  "AND ino = 9102"), 1);
	assert_string_equal(holders(j, peer_of(j, 950, 3)),
			    "950:4 create /bin/p alive\n"
			    "951:4 fork from 950:4 x1 /bin/q alive\n");
}

/* Without socket cookies (older kernels), sockets are matched by inode. */
static void test_ingest__no_cookie_matches_by_inode(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock s3 = S(3, 9001, 0), s4 = S(4, 9002, 0);
	const struct pl_rec_sock both[] = { s3, s4 };

	hello_load(j, 900, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 900, 2000, s3, s4);
	hello_fork(j, 901, 3000, 900, 1000, 6, both, 2);
	ingest(j);

	assert_int_equal(count(j, "SELECT count(*) FROM sock"), 2);
	assert_string_equal(holders(j, peer_of(j, 900, 3)),
			    "900:4 create /bin/p alive\n"
			    "901:4 fork from 900:4 /bin/p alive\n");
}

/* Records of a pid we never saw say hello still go to the event log, and
 * garbage between records is skipped and counted. */
static void test_ingest__stray_records_and_garbage(void **state)
{
	struct jr *j = *state;
	static const char junk[] = "not a record";

	close_(j, 999, 1000, 3, 1);
	put(j, junk, sizeof(junk)); /* 13 bytes */
	fork_(j, 999, 2000, 1000);
	ingest(j);

	assert_int_equal(count(j, "SELECT count(*) FROM event WHERE "
				  "pid = 999 AND process_id IS NULL"), 2);
	assert_int_equal(count(j, "SELECT count(*) FROM process"), 0);
	assert_int_equal(count(j, "SELECT skipped FROM spool"), sizeof(junk));
	assert_int_equal(count(j, "SELECT offset FROM spool"),
			 lseek(j->fd, 0, SEEK_END));
}

/* A record of a newer format stops the ingest with an error, after what
 * came before it is in; the next ingest stops at the same place. */
static void test_ingest__future_record_stops(void **state)
{
	struct jr *j = *state;
	union rec r = { 0 };
	off_t at;

	classic_step(j, P_HELLO);
	classic_step(j, P_PAIR);
	at = lseek(j->fd, 0, SEEK_END);
	r.fork.child_pid = 101;
	r.head.magic = PL_REC_MAGIC;
	r.head.size = sizeof(r.fork);
	r.head.version = PL_FORMAT_VERSION + 1;
	r.head.type = PL_REC_FORK;
	r.head.pid = 100;
	r.head.time_ns = 3000;
	r.head.check = pl_rec_checksum(r.bytes, sizeof(r.fork));
	put(j, r.bytes, sizeof(r.fork));
	classic_step(j, C_HELLO);

	assert_int_equal(pl_ingest(j->db, j->spool), PL_EXIT_JOURNAL);
	assert_int_equal(count(j, "SELECT count(*) FROM event"), 2);
	assert_int_equal(count(j, "SELECT offset FROM spool"), at);
	assert_int_equal(pl_ingest(j->db, j->spool), PL_EXIT_JOURNAL);
	assert_int_equal(count(j, "SELECT count(*) FROM event"), 2);
	assert_string_equal(processes(j), "100@1000 root /bin/parent -\n");
}

struct race {
	struct jr *j;
	sqlite3 *other;
	int calls, rc;
};

/* The busy handler of the journal connection: its pl_ingest() waits for
 * the write lock that OTHER holds. Meanwhile a record is appended, and
 * OTHER lets go of the lock and ingests it. */
static int ingest_meanwhile(void *arg, int n)
{
	struct race *r = arg;

	if (r->calls++ == 0) {
		classic_step(r->j, C_EXIT);
		sqlite3_exec(r->other, "ROLLBACK", NULL, NULL, NULL);
		r->rc = pl_ingest(r->other, r->j->spool);
	}
	return r->calls < 1000;
}

/* Two ingests at once: the one that waited for the write lock must take
 * the spool's size after it, or the size can be older than the offset the
 * other ingest stored meanwhile; "offset > st.st_size" then takes the spool
 * for truncated and the whole of it is ingested a second time (every event
 * twice, images made again). Before ea87c53 pl_ingest() did its fstat()
 * before BEGIN IMMEDIATE; this test reproduced that deterministically. */
static void test_ingest__concurrent_ingest_once(void **state)
{
	struct jr *j = *state;
	struct race r = { .j = j, .rc = -1 };
	int64_t events, images;

	classic(j);
	ingest(j);
	events = count(j, "SELECT count(*) FROM event");
	images = count(j, "SELECT count(*) FROM process");
	assert_int_equal(pl_journal_open(j->journal, &r.other), 0);
	assert_int_equal(sqlite3_exec(r.other, "BEGIN IMMEDIATE", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_busy_handler(j->db, ingest_meanwhile, &r);

	assert_int_equal(pl_ingest(j->db, j->spool), 0);
	sqlite3_busy_timeout(j->db, 30000);
	sqlite3_close(r.other);
	assert_int_equal(r.calls > 0, 1); /* it did wait */
	assert_int_equal(r.rc, 0);

	if (count(j, "SELECT count(*) FROM event") != events + 1)
		fail_msg("a concurrent ingest re-read the spool: %lld "
			 "events instead of %lld, %lld images instead of %lld",
			 (long long)count(j, "SELECT count(*) FROM event"),
			 (long long)events + 1,
			 (long long)count(j, "SELECT count(*) FROM process"),
			 (long long)images);
	assert_int_equal(count(j, "SELECT count(*) FROM process"), images);
	assert_int_equal(count(j, "SELECT offset FROM spool"),
			 lseek(j->fd, 0, SEEK_END));
}

/* A spool deleted and made again at the same path is read from its start,
 * even where the file system gives the new file the inode number the old
 * one just freed (ext4 does): the journal also keeps the first record's
 * identity. */
static void test_ingest__replaced_spool_read_from_start(void **state)
{
	struct jr *j = *state;
	struct stat old, cur;

	classic(j);
	ingest(j);
	assert_int_equal(fstat(j->fd, &old), 0);
	close(j->fd);
	assert_int_equal(unlink(j->spool), 0);
	j->fd = open(j->spool, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(j->fd >= 0);
	assert_int_equal(fstat(j->fd, &cur), 0);

	/* a new trace, longer than the old spool */
	hello_load(j, 1100, 20000, 1, 50, "/bin/again", NULL, 0);
	for (int i = 0; i < 10; i++)
		socketpair_(j, 1100, 21000 + i, S(3 + 2 * i, 11000 + 2 * i, 0),
			    S(4 + 2 * i, 11001 + 2 * i, 0));
	assert_true(lseek(j->fd, 0, SEEK_END) > old.st_size);
	ingest(j);

	if (count(j, "SELECT count(*) FROM process WHERE pid = 1100") != 1)
		fail_msg("the new spool (inode %llu, old %llu) was read from "
			 "the old spool's offset %lld, not from its start",
			 (unsigned long long)cur.st_ino,
			 (unsigned long long)old.st_ino,
			 (long long)old.st_size);
	assert_int_equal(count(j, "SELECT count(*) FROM holding "
				  "JOIN process p ON p.id = process_id "
				  "WHERE p.pid = 1100"), 20);
}

/* dup(4) gave 7: a new holding of the same end, started by "dup", whose
 * source is the holding at fd 4; the original goes on. */
static void test_ingest__dup_copies_holding(void **state)
{
	struct jr *j = *state;
	struct pl_query q = { .live = 0 };
	struct pl_holders hs;
	int64_t sock;

	hello_load(j, 1200, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 1200, 2000, S(3, 12001, 121), S(4, 12002, 122));
	dup_(j, 1200, 3000, 4, 7, 12002, 0);
	ingest(j);

	assert_string_equal(spans(j),
			    "1200:3 12001 create open\n"
			    "1200:4 12002 create open\n"
			    "1200:7 12002 dup open\n");
	sock = sock_by_ino(j, 12002);
	assert_int_equal(sock_at(j, 1200, 7), sock);
	assert_int_equal(count(j, "SELECT count(*) FROM sock"), 2);
	assert_string_equal(sql_text(j, "SELECT h.start_reason || ' ' || "
					"h.from_ns || ' ' || h.cloexec FROM "
					"holding h WHERE h.fd = 7", 0, 0),
			    "dup 3000 0");
	assert_true(sql_int(j, "SELECT id FROM holding WHERE fd = 4", 0, 0)
		    > 0);
	assert_int_equal(sql_int(j, "SELECT source_id FROM holding "
				    "WHERE fd = 7", 0, 0),
			 sql_int(j, "SELECT id FROM holding WHERE fd = 4",
				 0, 0));

	assert_int_equal(pl_holders_load(j->db, &q, sock, &hs), 0);
	assert_int_equal(hs.n, 2);
	assert_int_equal(hs.v[0].fd, 4);
	assert_string_equal(hs.v[0].start_reason, "create");
	assert_int_equal(hs.v[1].pid, 1200);
	assert_int_equal(hs.v[1].fd, 7);
	assert_string_equal(hs.v[1].start_reason, "dup");
	assert_int_equal(hs.v[1].source_pid, 1200);
	assert_int_equal(hs.v[1].source_fd, 4);
	assert_int_equal(hs.v[1].from_ns, 3000);
	assert_string_equal(hs.v[1].end_reason, PL_END_ALIVE);
	pl_holders_free(&hs);
	assert_string_equal(holders(j, sock),
			    "1200:4 create /bin/p alive\n"
			    "1200:7 dup from 1200:4 /bin/p alive\n");
	assert_string_equal(events(j, 1200),
			    "hello - 1 - img\n"
			    "socketpair 3 4 - img\n"
			    "dup 7 4 - img\n");

	/* closing the original leaves the copy, and the reverse */
	close_(j, 1200, 4000, 4, 12002);
	ingest(j);
	assert_string_equal(holders(j, sock),
			    "1200:4 create /bin/p close@4000\n"
			    "1200:7 dup from 1200:4 /bin/p alive\n");
	close_(j, 1200, 5000, 7, 12002);
	ingest(j);
	assert_string_equal(holders(j, sock),
			    "1200:4 create /bin/p close@4000\n"
			    "1200:7 dup from 1200:4 /bin/p close@5000\n");

	/* a fork child holding the copy got it from the parent's fd 7 */
	dup_(j, 1200, 6000, 3, 9, 12001, 0);
	hello_fork(j, 1201, 7000, 1200, 1000, 9, (struct pl_rec_sock[]){
			   S(3, 12001, 121), S(9, 12001, 121) }, 2);
	ingest(j);
	assert_string_equal(holders(j, sock_by_ino(j, 12001)),
			    "1200:3 create /bin/p alive\n"
			    "1200:9 dup from 1200:3 /bin/p alive\n"
			    "1201:3 fork from 1200:3 /bin/p alive\n"
			    "1201:9 fork from 1200:9 /bin/p alive\n");
}

/* dup2(3, 4) while fd 4 holds the other end: dup2 closed it, which the
 * journal says ("close", at the dup), not "unknown"; fd 4 now holds the
 * end of fd 3. */
static void test_ingest__dup2_over_tracked_fd(void **state)
{
	struct jr *j = *state;

	hello_load(j, 1300, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 1300, 2000, S(3, 13001, 131), S(4, 13002, 132));
	dup_(j, 1300, 3000, 3, 4, 13001, 0);
	ingest(j);

	assert_string_equal(spans(j),
			    "1300:3 13001 create open\n"
			    "1300:4 13002 create close@3000\n"
			    "1300:4 13001 dup open\n");
	assert_string_equal(holders(j, sock_by_ino(j, 13002)),
			    "1300:4 create /bin/p close@3000\n");
	assert_string_equal(holders(j, sock_by_ino(j, 13001)),
			    "1300:3 create /bin/p alive\n"
			    "1300:4 dup from 1300:3 /bin/p alive\n");
	assert_int_equal(sock_at(j, 1300, 4), sock_by_ino(j, 13001));
	assert_int_equal(sock_at(j, 1300, 4), sock_at(j, 1300, 3));
	assert_int_equal(count(j, "SELECT count(*) FROM holding WHERE "
				  "fd = 4 AND end_reason IS NULL"), 1);

	/* dup3(4, 3, O_CLOEXEC): onto a copy of the same end */
	dup_(j, 1300, 4000, 4, 3, 13001, PL_SOCK_CLOEXEC);
	close_(j, 1300, 5000, 4, 13001);
	ingest(j);
	assert_string_equal(spans(j),
			    "1300:3 13001 create close@4000\n"
			    "1300:4 13002 create close@3000\n"
			    "1300:4 13001 dup close@5000\n"
			    "1300:3 13001 dup open\n");
	assert_string_equal(cloexecs(j),
			    "1300:3 13001 0\n"
			    "1300:4 13002 0\n"
			    "1300:4 13001 0\n"
			    "1300:3 13001 1\n");
	assert_string_equal(holders(j, sock_by_ino(j, 13001)),
			    "1300:3 create /bin/p close@4000\n"
			    "1300:4 dup from 1300:3 /bin/p close@5000\n"
			    "1300:3 dup from 1300:4 /bin/p alive\n");
}

/* A copy of an fd the journal has no open holding for (it was lost
 * track of) still makes a holding, of the socket named by its inode. */
static void test_ingest__dup_of_untracked_fd(void **state)
{
	struct jr *j = *state;

	hello_load(j, 1400, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 1400, 2000, S(3, 14001, 141), S(4, 14002, 142));
	dup_(j, 1400, 3000, 9, 10, 14001, 0);  /* a socket we know */
	dup_(j, 1400, 4000, 11, 12, 14099, 0); /* one we never saw */
	ingest(j);

	assert_string_equal(spans(j),
			    "1400:3 14001 create open\n"
			    "1400:4 14002 create open\n"
			    "1400:10 14001 dup open\n"
			    "1400:12 14099 dup open\n");
	assert_int_equal(sock_at(j, 1400, 10), sock_by_ino(j, 14001));
	assert_int_equal(count(j, "SELECT count(*) FROM sock"), 3);
	assert_int_equal(count(j, "SELECT count(*) FROM holding WHERE "
				  "start_reason = 'dup' AND "
				  "source_id IS NULL"), 2);
}

/* A close-on-exec copy not listed by the image after the exec was
 * closed on exec; a plain copy it lists was kept. */
static void test_ingest__dup_cloexec_closed_on_exec(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock after[] = { S(3, 15001, 151),
					     S(4, 15002, 152),
					     S(8, 15002, 152) };
	struct pl_query q = { .live = 0 };
	struct pl_holders hs;

	hello_load(j, 1500, 1000, 1, 7, "/bin/first", NULL, 0);
	socketpair_(j, 1500, 2000, S(3, 15001, 151), S(4, 15002, 152));
	dup_(j, 1500, 3000, 4, 7, 15002, PL_SOCK_CLOEXEC); /* F_DUPFD_CLOEXEC */
	dup_(j, 1500, 3100, 4, 8, 15002, 0);
	exec_(j, 1500, 4000, "/bin/next");
	hello_load(j, 1500, 4500, 1, 7, "/bin/next", after, 3);
	ingest(j);

	assert_string_equal(spans(j),
			    "1500:3 15001 create kept@4000\n"
			    "1500:4 15002 create kept@4000\n"
			    "1500:7 15002 dup exec@4000\n"
			    "1500:8 15002 dup kept@4000\n"
			    "1500:3 15001 exec open\n"
			    "1500:4 15002 exec open\n"
			    "1500:8 15002 exec open\n");
	assert_string_equal(cloexecs(j),
			    "1500:3 15001 0\n"
			    "1500:4 15002 0\n"
			    "1500:7 15002 1\n"
			    "1500:8 15002 0\n"
			    "1500:3 15001 0\n"
			    "1500:4 15002 0\n"
			    "1500:8 15002 0\n");
	/* the kept copy's next holding comes from it, not from fd 4 */
	assert_int_equal(sql_int(j, "SELECT s.fd FROM holding h JOIN "
				    "holding s ON s.id = h.source_id WHERE "
				    "h.fd = 8 AND h.start_reason = 'exec'",
				 0, 0), 8);
	assert_string_equal(sql_text(j, "SELECT s.start_reason FROM holding "
					"h JOIN holding s ON s.id = "
					"h.source_id WHERE h.fd = 8 AND "
					"h.start_reason = 'exec'", 0, 0),
			    "dup");
	assert_string_equal(holders(j, sock_by_ino(j, 15002)),
			    "1500:4 create x1 /bin/next alive\n"
			    "1500:7 dup from 1500:4 /bin/first exec@4000\n"
			    "1500:8 dup from 1500:4 x1 /bin/next alive\n");
	assert_int_equal(pl_holders_load(j->db, &q, sock_by_ino(j, 15002),
					 &hs), 0);
	assert_int_equal(hs.n, 3);
	assert_string_equal(hs.v[1].start_reason, "dup");
	assert_string_equal(hs.v[1].end_reason, PL_END_EXEC);
	assert_int_equal(hs.v[1].until_ns, 4000);
	assert_string_equal(hs.v[2].start_reason, "dup");
	assert_int_equal(hs.v[2].execs, 1);
	assert_string_equal(hs.v[2].exe, "/bin/next");
	pl_holders_free(&hs);
}

/* F_SETFD, FIOCLEX, FIONCLEX: the flag of the open holding at that fd of
 * that image, and of no other holding. */
static void test_ingest__setfd_sets_cloexec_of_that_fd(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock both[] = { S(3, 16001, 161),
					    S(4, 16002, 162) };

	hello_load(j, 1600, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 1600, 2000, both[0], both[1]);
	hello_fork(j, 1601, 2500, 1600, 1000, 9, both, 2);
	setfd_(j, 1600, 3000, 4, PL_SOCK_CLOEXEC);
	ingest(j);
	assert_string_equal(cloexecs(j),
			    "1600:3 16001 0\n"
			    "1600:4 16002 1\n"
			    "1601:3 16001 0\n"
			    "1601:4 16002 0\n");
	assert_string_equal(spans(j),
			    "1600:3 16001 create open\n"
			    "1600:4 16002 create open\n"
			    "1601:3 16001 fork open\n"
			    "1601:4 16002 fork open\n");

	/* cleared again */
	setfd_(j, 1600, 4000, 4, 0);
	ingest(j);
	assert_string_equal(cloexecs(j),
			    "1600:3 16001 0\n"
			    "1600:4 16002 0\n"
			    "1601:3 16001 0\n"
			    "1601:4 16002 0\n");

	/* a closed holding at the same fd keeps the flag it had */
	setfd_(j, 1600, 5000, 4, PL_SOCK_CLOEXEC);
	close_(j, 1600, 6000, 4, 16002);
	socketpair_(j, 1600, 7000,
		    (struct pl_rec_sock){ .fd = 4, .ino = 16003, .cookie = 163,
					  .flags = PL_SOCK_CLOEXEC },
		    (struct pl_rec_sock){ .fd = 5, .ino = 16004, .cookie = 164,
					  .flags = PL_SOCK_CLOEXEC });
	setfd_(j, 1600, 8000, 4, 0);
	/* an fd with no holding: nothing to change, nothing made */
	setfd_(j, 1600, 9000, 9, PL_SOCK_CLOEXEC);
	ingest(j);
	assert_string_equal(cloexecs(j),
			    "1600:3 16001 0\n"
			    "1600:4 16002 1\n"
			    "1601:3 16001 0\n"
			    "1601:4 16002 0\n"
			    "1600:4 16003 0\n"
			    "1600:5 16004 1\n");
	assert_int_equal(count(j, "SELECT count(*) FROM holding"), 6);
	assert_string_equal(events(j, 1600),
			    "hello - 1 - img\n"
			    "socketpair 3 4 - img\n"
			    "setfd 4 1 - img\n"
			    "setfd 4 0 - img\n"
			    "setfd 4 1 - img\n"
			    "close 4 - - img\n"
			    "socketpair 4 5 - img\n"
			    "setfd 4 0 - img\n"
			    "setfd 9 1 - img\n");
}

/* close_range(4, 8, 0): the holdings open at fds 4 to 8 close, at the
 * record's time; others, and other processes', stay open. */
static void test_ingest__close_range_ends_range(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock child[] = { S(4, 17002, 172),
					     S(5, 17003, 173) };

	hello_load(j, 1700, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 1700, 2000, S(3, 17001, 171), S(4, 17002, 172));
	socketpair_(j, 1700, 2100, S(5, 17003, 173), S(6, 17004, 174));
	socketpair_(j, 1700, 2200, S(8, 17005, 175), S(9, 17006, 176));
	dup_(j, 1700, 2300, 3, 20, 17001, 0);
	hello_fork(j, 1701, 2400, 1700, 1000, 9, child, 2);
	close_(j, 1700, 2500, 5, 17003);
	close_range_(j, 1700, 3000, 4, 8, 0);
	ingest(j);

	assert_string_equal(spans(j),
			    "1700:3 17001 create open\n"
			    "1700:4 17002 create close@3000\n"
			    "1700:5 17003 create close@2500\n"
			    "1700:6 17004 create close@3000\n"
			    "1700:8 17005 create close@3000\n"
			    "1700:9 17006 create open\n"
			    "1700:20 17001 dup open\n"
			    "1701:4 17002 fork open\n"
			    "1701:5 17003 fork open\n");
	assert_string_equal(holders(j, sock_by_ino(j, 17004)),
			    "1700:6 create /bin/p close@3000\n");
	assert_string_equal(events(j, 1700),
			    "hello - 1 - img\n"
			    "socketpair 3 4 - img\n"
			    "socketpair 5 6 - img\n"
			    "socketpair 8 9 - img\n"
			    "dup 20 3 - img\n"
			    "close 5 - - img\n"
			    "close_range 4 8 - img\n");
	/* a range of one fd, at its edges */
	close_range_(j, 1700, 4000, 9, 9, 0);
	close_range_(j, 1700, 4100, 21, 30, 0);
	ingest(j);
	assert_string_equal(sql_text(j, "SELECT end_reason || '@' || "
					"until_ns FROM holding WHERE fd = 9",
				     0, 0), "close@4000");
	assert_int_equal(count(j, "SELECT count(*) FROM holding h JOIN "
				  "process p ON p.id = h.process_id WHERE "
				  "p.pid = 1700 AND h.end_reason IS NULL"), 2);
}

/* close_range(3, 9, CLOSE_RANGE_CLOEXEC): the holdings in range become
 * close-on-exec and none ends; an exec then closes those the new image
 * does not list. */
static void test_ingest__close_range_cloexec_ends_nothing(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock kept = S(20, 18001, 181);

	hello_load(j, 1800, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 1800, 2000, S(3, 18001, 181), S(4, 18002, 182));
	socketpair_(j, 1800, 2100, S(9, 18003, 183), S(10, 18004, 184));
	dup_(j, 1800, 2200, 3, 20, 18001, 0);
	close_range_(j, 1800, 3000, 3, 9, PL_RANGE_CLOEXEC);
	ingest(j);

	assert_string_equal(spans(j),
			    "1800:3 18001 create open\n"
			    "1800:4 18002 create open\n"
			    "1800:9 18003 create open\n"
			    "1800:10 18004 create open\n"
			    "1800:20 18001 dup open\n");
	assert_string_equal(cloexecs(j),
			    "1800:3 18001 1\n"
			    "1800:4 18002 1\n"
			    "1800:9 18003 1\n"
			    "1800:10 18004 0\n"
			    "1800:20 18001 0\n");
	assert_string_equal(sql_text(j, "SELECT kind || ' ' || fd || ' ' || "
					"arg || ' ' || detail FROM event "
					"WHERE kind = 'close_range'", 0, 0),
			    "close_range 3 9 cloexec");

	exec_(j, 1800, 4000, "/bin/q");
	hello_load(j, 1800, 4500, 1, 5, "/bin/q", &kept, 1);
	ingest(j);
	assert_string_equal(spans(j),
			    "1800:3 18001 create exec@4000\n"
			    "1800:4 18002 create exec@4000\n"
			    "1800:9 18003 create exec@4000\n"
			    "1800:10 18004 create exec@4000\n"
			    "1800:20 18001 dup kept@4000\n"
			    "1800:20 18001 exec open\n");
}

/* closefrom(4) is close_range(4, ~0U, 0): the last fd must not be read
 * as -1 (an empty range), nor cut to an int. */
static void test_ingest__closefrom_covers_large_fds(void **state)
{
	struct jr *j = *state;

	hello_load(j, 1900, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 1900, 2000, S(3, 19001, 191), S(4, 19002, 192));
	socketpair_(j, 1900, 2100, S(5, 19003, 193), S(1000, 19004, 194));
	dup_(j, 1900, 2200, 5, 1048575, 19003, 0);
	dup_(j, 1900, 2300, 4, 0x7fffffff, 19002, 0);
	/* another image, to be made close-on-exec from fd 0 up */
	hello_load(j, 1901, 1500, 1, 6, "/bin/q", NULL, 0);
	socketpair_(j, 1901, 2400, S(0, 19011, 0), S(0x7ffffffe, 19012, 0));
	close_range_(j, 1900, 3000, 4, 0xffffffffu, 0);
	close_range_(j, 1901, 3100, 0, 0xffffffffu, PL_RANGE_CLOEXEC);
	ingest(j);

	assert_string_equal(spans(j),
			    "1900:3 19001 create open\n"
			    "1900:4 19002 create close@3000\n"
			    "1900:5 19003 create close@3000\n"
			    "1900:1000 19004 create close@3000\n"
			    "1900:1048575 19003 dup close@3000\n"
			    "1900:2147483647 19002 dup close@3000\n"
			    "1901:0 19011 create open\n"
			    "1901:2147483646 19012 create open\n");
	assert_string_equal(cloexecs(j),
			    "1900:3 19001 0\n"
			    "1900:4 19002 0\n"
			    "1900:5 19003 0\n"
			    "1900:1000 19004 0\n"
			    "1900:1048575 19003 0\n"
			    "1900:2147483647 19002 0\n"
			    "1901:0 19011 1\n"
			    "1901:2147483646 19012 1\n");
	assert_string_equal(sql_text(j, "SELECT fd || ' ' || arg FROM event "
					"WHERE kind = 'close_range' AND "
					"pid = 1900", 0, 0),
			    "4 4294967295");
}

/* Records of these types from a pid with no image (never said hello, or
 * its image ended) go to the event log and change no holding, not even
 * those of another image at the same fds. */
static void test_ingest__fd_records_without_image(void **state)
{
	struct jr *j = *state;
	char before[8192];

	hello_load(j, 2001, 1000, 1, 5, "/bin/p", NULL, 0);
	socketpair_(j, 2001, 2000, S(3, 20001, 201), S(4, 20002, 202));
	hello_load(j, 2002, 1100, 1, 6, "/bin/q", NULL, 0);
	socketpair_(j, 2002, 2100, S(3, 20003, 203), S(4, 20004, 204));
	exit_(j, 2002, 2200, 0);
	ingest(j);
	snprintf(before, sizeof(before), "%s", spans(j));

	/* 2000 never said hello; 2002 has exited */
	for (uint32_t pid = 2000; pid <= 2002; pid += 2) {
		dup_(j, pid, 3000, 3, 7, 20001, PL_SOCK_CLOEXEC);
		dup_(j, pid, 3001, 3, 4, 20003, 0);
		setfd_(j, pid, 3002, 3, PL_SOCK_CLOEXEC);
		close_range_(j, pid, 3003, 3, 3, PL_RANGE_CLOEXEC);
		close_range_(j, pid, 3004, 0, 0xffffffffu, 0);
	}
	ingest(j);

	assert_string_equal(spans(j), before);
	assert_string_equal(cloexecs(j),
			    "2001:3 20001 0\n"
			    "2001:4 20002 0\n"
			    "2002:3 20003 0\n"
			    "2002:4 20004 0\n");
	assert_int_equal(count(j, "SELECT count(*) FROM holding"), 4);
	assert_int_equal(count(j, "SELECT count(*) FROM sock"), 4);
	assert_int_equal(count(j, "SELECT count(*) FROM process"), 2);
	assert_string_equal(events(j, 2000),
			    "dup 7 3 - -\n"
			    "dup 4 3 - -\n"
			    "setfd 3 1 - -\n"
			    "close_range 3 3 cloexec -\n"
			    "close_range 0 4294967295 - -\n");
	assert_string_equal(events(j, 2002),
			    "hello - 1 - img\n"
			    "socketpair 3 4 - img\n"
			    "exit - 0 - img\n"
			    "dup 7 3 - -\n"
			    "dup 4 3 - -\n"
			    "setfd 3 1 - -\n"
			    "close_range 3 3 cloexec -\n"
			    "close_range 0 4294967295 - -\n");
}

/* The latest holding of PID at FD (0: none). */
static int64_t holding_id(struct jr *j, int pid, int fd)
{
	return sql_int(j, "SELECT h.id FROM holding h JOIN process p ON "
			  "p.id = h.process_id WHERE p.pid = ?1 AND "
			  "h.fd = ?2 ORDER BY h.id DESC LIMIT 1", pid, fd);
}

/* SCM_RIGHTS scenes: 100 makes a pair (fds 3, 4) and a channel pair
 * (fds 5, 6), forks 101; the child keeps only the channel's fd 6, the
 * parent only its fd 5 and the pair. */
static const struct pl_rec_sock pass_socks[] = {
	{ .fd = 3, .ino = 1001, .cookie = 11 },
	{ .fd = 4, .ino = 1002, .cookie = 12 },
	{ .fd = 5, .ino = 1003, .cookie = 13 },
	{ .fd = 6, .ino = 1004, .cookie = 14 },
};

static void pass_scene(struct jr *j)
{
	hello_load(j, 100, 1000, 1, 5, "/bin/parent", NULL, 0);
	socketpair_(j, 100, 2000, pass_socks[0], pass_socks[1]);
	socketpair_(j, 100, 2100, pass_socks[2], pass_socks[3]);
	fork_(j, 100, 2200, 101);
	hello_fork(j, 101, 2300, 100, 1000, 9, pass_socks, 4);
	close_(j, 101, 2400, 3, 1001);
	close_(j, 101, 2410, 4, 1002);
	close_(j, 101, 2420, 5, 1003);
	close_(j, 100, 2430, 6, 1004);
}

/* sendmsg(5) of fd 4 in 100, recvmsg(6) in 101 as fd 9: 101's holding
 * starts "recv" from 100's holding at fd 4, and the flight lands on it. */
static void test_ingest__send_then_receive(void **state)
{
	struct jr *j = *state;
	struct pl_query q = { .live = 0 };
	const struct pl_rec_sock got = S(9, 1002, 12);
	struct pl_holders hs;
	int64_t sock;

	pass_scene(j);
	send_(j, 100, 3000, 5, 1003, &pass_socks[1], 1);
	ingest(j);
	sock = sock_by_ino(j, 1002);
	assert_string_equal(flights(j, sock), "from 100:4 @3000 over 1003\n");
	assert_int_equal(count(j, "SELECT count(*) FROM flight WHERE "
				  "received_id IS NULL"), 1);

	recv_(j, 101, 4000, 6, 1004, &got, 1);
	ingest(j);

	assert_string_equal(holders(j, sock),
			    "100:4 create /bin/parent alive\n"
			    "101:4 fork from 100:4 /bin/parent close@2410\n"
			    "101:9 recv from 100:4 /bin/parent alive\n");
	assert_int_equal(sock_at(j, 101, 9), sock);
	assert_int_equal(count(j, "SELECT count(*) FROM sock"), 4);
	assert_string_equal(sql_text(j, "SELECT start_reason || ' ' || from_ns "
					"FROM holding WHERE id = ?1",
				     holding_id(j, 101, 9), 0),
			    "recv 4000");
	assert_int_equal(sql_int(j, "SELECT source_id FROM holding "
				    "WHERE id = ?1", holding_id(j, 101, 9), 0),
			 holding_id(j, 100, 4));
	/* the flight: from 100's fd 4 to 101's fd 9 */
	assert_int_equal(count(j, "SELECT count(*) FROM flight"), 1);
	assert_int_equal(sql_int(j, "SELECT received_id FROM flight", 0, 0),
			 holding_id(j, 101, 9));
	assert_int_equal(sql_int(j, "SELECT source_id FROM flight", 0, 0),
			 holding_id(j, 100, 4));
	assert_string_equal(sql_text(j, "SELECT sent_ns || ' ' || channel_ino "
					"|| ' ' || (sock_id = ?1) FROM flight",
				     sock, 0),
			    "3000 1003 1");
	assert_int_equal(pl_holders_load(j->db, &q, sock, &hs), 0);
	assert_int_equal(hs.nflights, 0);
	assert_null(hs.flights);
	assert_int_equal(hs.n, 3);
	assert_string_equal(hs.v[2].start_reason, "recv");
	assert_int_equal(hs.v[2].source_pid, 100);
	assert_int_equal(hs.v[2].source_fd, 4);
	assert_int_equal(hs.v[2].from_ns, 4000);
	assert_int_equal(hs.v[2].inferred, 0);
	pl_holders_free(&hs);
	assert_string_equal(flights(j, sock), "");
	assert_string_equal(events(j, 100),
			    "hello - 1 - img\n"
			    "socketpair 3 4 - img\n"
			    "socketpair 5 6 - img\n"
			    "fork - 101 - img\n"
			    "close 6 - - img\n"
			    "send_fds 5 1 - img\n");
	assert_string_equal(sql_text(j, "SELECT kind || ' ' || fd || ' ' || "
					"arg FROM event WHERE pid = 101 "
					"ORDER BY id DESC LIMIT 1", 0, 0),
			    "recv_fds 6 1");

	/* the sender closing its fd ends its holding only */
	close_(j, 100, 5000, 4, 1002);
	ingest(j);
	assert_string_equal(holders(j, sock),
			    "100:4 create /bin/parent close@5000\n"
			    "101:4 fork from 100:4 /bin/parent close@2410\n"
			    "101:9 recv from 100:4 /bin/parent alive\n");
}

/* Sent, never received: in flight, from the sender's fd, and still so
 * when the sender has closed it and exited. */
static void test_ingest__sent_never_received(void **state)
{
	struct jr *j = *state;
	struct pl_query q = { .live = 0 };
	struct pl_holders hs;
	int64_t sock;

	pass_scene(j);
	send_(j, 100, 3000, 5, 1003, &pass_socks[1], 1);
	ingest(j);
	sock = sock_by_ino(j, 1002);

	assert_int_equal(pl_holders_load(j->db, &q, sock, &hs), 0);
	assert_int_equal(hs.nflights, 1);
	assert_int_equal(hs.flights[0].from_pid, 100);
	assert_int_equal(hs.flights[0].from_fd, 4);
	assert_int_equal(hs.flights[0].sent_ns, 3000);
	assert_int_equal(hs.flights[0].channel_ino, 1003);
	assert_int_equal(hs.n, 2);
	pl_holders_free(&hs);
	assert_string_equal(holders(j, sock),
			    "100:4 create /bin/parent alive\n"
			    "101:4 fork from 100:4 /bin/parent close@2410\n");
	/* the other end was not passed */
	assert_string_equal(flights(j, sock_by_ino(j, 1001)), "");

	close_(j, 100, 4000, 4, 1002);
	ingest(j);
	assert_string_equal(flights(j, sock), "from 100:4 @3000 over 1003\n");
	assert_string_equal(holders(j, sock),
			    "100:4 create /bin/parent close@4000\n"
			    "101:4 fork from 100:4 /bin/parent close@2410\n");

	exit_(j, 100, 5000, 0);
	exit_(j, 101, 5100, 0);
	ingest(j);
	assert_string_equal(flights(j, sock), "from 100:4 @3000 over 1003\n");
	assert_int_equal(count(j, "SELECT count(*) FROM flight WHERE "
				  "received_id IS NULL"), 1);
}

/* The same end passed twice (from fd 4, then from its copy at fd 7) is
 * queued: the first receive lands the first flight, the second the
 * second. */
static void test_ingest__passings_received_in_order(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock copy = S(7, 1002, 12);
	const struct pl_rec_sock first = S(9, 1002, 12);
	const struct pl_rec_sock second = S(10, 1002, 12);
	int64_t sock;

	pass_scene(j);
	dup_(j, 100, 2900, 4, 7, 1002, 0);
	send_(j, 100, 3000, 5, 1003, &pass_socks[1], 1);
	send_(j, 100, 3100, 5, 1003, &copy, 1);
	/* another end in flight meanwhile changes nothing */
	send_(j, 100, 3200, 5, 1003, &pass_socks[0], 1);
	ingest(j);
	sock = sock_by_ino(j, 1002);
	assert_string_equal(flights(j, sock),
			    "from 100:4 @3000 over 1003\n"
			    "from 100:7 @3100 over 1003\n");

	recv_(j, 101, 4000, 6, 1004, &first, 1);
	ingest(j);
	assert_string_equal(flights(j, sock), "from 100:7 @3100 over 1003\n");
	assert_int_equal(sql_int(j, "SELECT source_id FROM holding "
				    "WHERE id = ?1", holding_id(j, 101, 9), 0),
			 holding_id(j, 100, 4));
	assert_int_equal(sql_int(j, "SELECT received_id FROM flight "
				    "WHERE sent_ns = 3000", 0, 0),
			 holding_id(j, 101, 9));
	assert_string_equal(sql_text(j, "SELECT received_id FROM flight "
					"WHERE sent_ns = 3100", 0, 0), "NULL");

	recv_(j, 101, 5000, 6, 1004, &second, 1);
	ingest(j);
	assert_string_equal(flights(j, sock), "");
	assert_int_equal(sql_int(j, "SELECT received_id FROM flight "
				    "WHERE sent_ns = 3100", 0, 0),
			 holding_id(j, 101, 10));
	assert_string_equal(holders(j, sock),
			    "100:4 create /bin/parent alive\n"
			    "101:4 fork from 100:4 /bin/parent close@2410\n"
			    "100:7 dup from 100:4 /bin/parent alive\n"
			    "101:9 recv from 100:4 /bin/parent alive\n"
			    "101:10 recv from 100:7 /bin/parent alive\n");
	/* the other end is still on its way */
	assert_string_equal(flights(j, sock_by_ino(j, 1001)),
			    "from 100:3 @3200 over 1003\n");
}

/* A socket received with no passing in the journal (its sender is not
 * traced): a "recv" holding with no source, and no flight made or
 * landed, not even another end's. */
static void test_ingest__receive_without_send(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock got = S(9, 2109, 219);
	struct pl_query q = { .live = 0 };
	struct pl_holders hs;
	int64_t sock;

	pass_scene(j);
	send_(j, 100, 3000, 5, 1003, &pass_socks[1], 1);
	recv_(j, 101, 4000, 6, 1004, &got, 1);
	ingest(j);

	sock = sock_by_ino(j, 2109);
	assert_string_equal(holders(j, sock),
			    "101:9 recv /bin/parent alive\n");
	assert_string_equal(sql_text(j, "SELECT source_id FROM holding "
					"WHERE id = ?1", holding_id(j, 101, 9),
				     0), "NULL");
	assert_int_equal(sql_int(j, "SELECT cookie FROM sock WHERE id = ?1",
				 sock, 0), 219);
	assert_int_equal(count(j, "SELECT count(*) FROM flight"), 1);
	assert_int_equal(count(j, "SELECT count(*) FROM flight WHERE "
				  "received_id IS NOT NULL"), 0);
	assert_int_equal(pl_holders_load(j->db, &q, sock, &hs), 0);
	assert_int_equal(hs.n, 1);
	assert_int_equal(hs.nflights, 0);
	assert_string_equal(hs.v[0].start_reason, "recv");
	assert_int_equal(hs.v[0].source_pid, 0);
	pl_holders_free(&hs);
	assert_string_equal(flights(j, sock_by_ino(j, 1002)),
			    "from 100:4 @3000 over 1003\n");

	/* an end the journal knows, received again with no passing seen */
	recv_(j, 101, 5000, 6, 1004, (struct pl_rec_sock[]){
		      S(10, 1001, 11) }, 1);
	ingest(j);
	assert_string_equal(holders(j, sock_by_ino(j, 1001)),
			    "100:3 create /bin/parent alive\n"
			    "101:3 fork from 100:3 /bin/parent close@2400\n"
			    "101:10 recv /bin/parent alive\n");
	assert_int_equal(count(j, "SELECT count(*) FROM flight"), 1);
}

/* recvmsg(MSG_CMSG_CLOEXEC): the received holdings are close-on-exec,
 * and an exec closes them; one received without it is kept. */
static void test_ingest__recv_cloexec(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock sent[] = { pass_socks[0], pass_socks[1] };
	const struct pl_rec_sock got[] = {
		{ .fd = 9, .ino = 1001, .cookie = 11,
		  .flags = PL_SOCK_CLOEXEC },
		{ .fd = 10, .ino = 1002, .cookie = 12 },
	};
	const struct pl_rec_sock kept[] = { pass_socks[3], got[1] };

	pass_scene(j);
	send_(j, 100, 3000, 5, 1003, sent, 2);
	recv_(j, 101, 4000, 6, 1004, got, 2);
	ingest(j);

	assert_string_equal(sql_text(j, "SELECT group_concat(fd || ':' || "
					"cloexec || ':' || start_reason, ' ') "
					"FROM (SELECT h.fd, h.cloexec, "
					"h.start_reason FROM holding h JOIN "
					"process p ON p.id = h.process_id "
					"WHERE p.pid = 101 AND h.fd >= 9 "
					"ORDER BY h.fd)", 0, 0),
			    "9:1:recv 10:0:recv");
	assert_string_equal(flights(j, sock_by_ino(j, 1001)), "");
	assert_string_equal(flights(j, sock_by_ino(j, 1002)), "");

	exec_(j, 101, 5000, "/bin/child");
	hello_load(j, 101, 5500, 100, 9, "/bin/child", kept, 2);
	ingest(j);
	assert_string_equal(holders(j, sock_by_ino(j, 1001)),
			    "100:3 create /bin/parent alive\n"
			    "101:3 fork from 100:3 /bin/parent close@2400\n"
			    "101:9 recv from 100:3 /bin/parent exec@5000\n");
	assert_string_equal(holders(j, sock_by_ino(j, 1002)),
			    "100:4 create /bin/parent alive\n"
			    "101:4 fork from 100:4 /bin/parent close@2410\n"
			    "101:10 recv from 100:4 x1 /bin/child alive\n");
}

/* The shim writes SEND_FDS after sendmsg() returned, and the receiver may
 * have returned from recvmsg() and written its RECV_FDS first (as with a
 * fork child's hello before its parent's FORK, or an ACCEPT before its
 * CONNECT). The send ingested after it must land on that receive, not
 * leave the end in flight while 101 holds it. */
static void test_ingest__receive_ingested_before_send(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock got = S(9, 1002, 12);
	int64_t sock;

	pass_scene(j);
	recv_(j, 101, 3000, 6, 1004, &got, 1);
	send_(j, 100, 3001, 5, 1003, &pass_socks[1], 1);
	ingest(j);
	sock = sock_by_ino(j, 1002);

	if (strcmp(flights(j, sock), "") != 0)
		fail_msg("a passing whose receive was ingested "
			 "before its send stays in flight:\n%s", j->text);
	assert_string_equal(holders(j, sock),
			    "100:4 create /bin/parent alive\n"
			    "101:4 fork from 100:4 /bin/parent close@2410\n"
			    "101:9 recv from 100:4 /bin/parent alive\n");
}

/* Flights land by the channel they went over: the same end passed to two
 * workers over two channels (a pre-fork server handing out its listener,
 * here from two fds) and received by the second worker first lands the
 * flight sent to it, not the first worker's. The RECV_FDS record has the
 * receiver's channel inode, whose peer is the sender's channel end. */
static void test_ingest__passings_over_two_channels(void **state)
{
	struct jr *j = *state;
	const struct pl_rec_sock copy = S(10, 1002, 12);
	const struct pl_rec_sock chan_b = S(8, 1006, 16);
	const struct pl_rec_sock got = S(9, 1002, 12);

	pass_scene(j);
	dup_(j, 100, 2500, 4, 10, 1002, 0);
	socketpair_(j, 100, 2600, S(7, 1005, 15), chan_b);
	fork_(j, 100, 2700, 102);
	/* the child's other fds left out */
	hello_fork(j, 102, 2800, 100, 1000, 10, &chan_b, 1);
	send_(j, 100, 3000, 5, 1003, &pass_socks[1], 1); /* to 101 */
	send_(j, 100, 3100, 7, 1005, &copy, 1);          /* to 102 */
	recv_(j, 102, 4000, 8, 1006, &got, 1);
	ingest(j);

	if (sql_int(j, "SELECT source_id FROM holding WHERE id = ?1",
		    holding_id(j, 102, 9), 0) != holding_id(j, 100, 10))
		fail_msg("a receive over one channel landed the "
			 "flight sent over another:\n%s",
			 holders(j, sock_by_ino(j, 1002)));
	assert_string_equal(flights(j, sock_by_ino(j, 1002)),
			    "from 100:4 @3000 over 1003\n");
}

/* socket(), bind(), listen(): a socket end with its type and a "create"
 * holding; then its name; then listening. */
static void test_ingest__socket_bind_listen(void **state)
{
	struct jr *j = *state;

	hello_load(j, 2200, 1000, 1, 5, "/bin/srv", NULL, 0);
	socket_(j, 2200, 2000, 3, SOCK_STREAM | SOCK_CLOEXEC, 22001, 221);
	socket_(j, 2200, 2100, 4, SOCK_DGRAM, 22002, 222);
	ingest(j);
	assert_string_equal(socks(j),
			    "22001 cookie 221 type 1 name -\n"
			    "22002 cookie 222 type 2 name -\n");
	assert_string_equal(spans(j),
			    "2200:3 22001 create open\n"
			    "2200:4 22002 create open\n");
	assert_string_equal(cloexecs(j),
			    "2200:3 22001 1\n"
			    "2200:4 22002 0\n");
	assert_string_equal(sql_text(j, "SELECT pair_id FROM sock WHERE "
					"ino = 22001", 0, 0), "NULL");
	assert_string_equal(holders(j, sock_by_ino(j, 22001)),
			    "2200:3 create /bin/srv alive\n");

	bind_(j, 2200, 3000, 3, 22001, "/run/srv.sock");
	bind_(j, 2200, 3100, 4, 22002, "@srv-dgram");
	ingest(j);
	assert_string_equal(socks(j),
			    "22001 cookie 221 type 1 name /run/srv.sock\n"
			    "22002 cookie 222 type 2 name @srv-dgram\n");

	listen_(j, 2200, 4000, 3, 22001);
	/* on an fd with no holding: nothing to change, nothing made */
	bind_(j, 2200, 4100, 8, 22009, "/run/other.sock");
	listen_(j, 2200, 4200, 8, 22009);
	ingest(j);
	assert_string_equal(socks(j),
			    "22001 cookie 221 type 1 name /run/srv.sock "
			    "listening\n"
			    "22002 cookie 222 type 2 name @srv-dgram\n");
	assert_int_equal(count(j, "SELECT count(*) FROM holding"), 2);
	assert_string_equal(events(j, 2200),
			    "hello - 1 - img\n"
			    "socket 3 524289 - img\n"
			    "socket 4 2 - img\n"
			    "bind 3 - /run/srv.sock img\n"
			    "bind 4 - @srv-dgram img\n"
			    "listen 3 - - img\n"
			    "bind 8 - /run/other.sock img\n"
			    "listen 8 - - img\n");
}

/* A connection: server 2300 listens on fd 3 at /run/srv.sock; client
 * 2301 connects its fd 3 (ino 23101) and the kernel names the other end
 * 23002; the server accepts it as fd 4 (ino 23002, cookie 232). One step
 * per record, so that tests can write them in other orders. */
enum conn_step { K_SOCKET, K_BIND, K_LISTEN, K_CSOCKET, K_CONNECT,
		 K_ACCEPT };

static void conn_step(struct jr *j, enum conn_step step)
{
	switch (step) {
	case K_SOCKET:
		socket_(j, 2300, 2000, 3, SOCK_STREAM, 23001, 231);
		break;
	case K_BIND:
		bind_(j, 2300, 2100, 3, 23001, "/run/srv.sock");
		break;
	case K_LISTEN:
		listen_(j, 2300, 2200, 3, 23001);
		break;
	case K_CSOCKET:
		socket_(j, 2301, 3000, 3, SOCK_STREAM, 23101, 2311);
		break;
	case K_CONNECT:
		connect_(j, 2301, 3100, 3, 23101, 23002, "/run/srv.sock");
		break;
	case K_ACCEPT:
		accept_(j, 2300, 3200, 3, 4, 23002, 232, 23101,
			PL_SOCK_CLOEXEC);
		break;
	}
}

static void conn_scene(struct jr *j, const enum conn_step *order, size_t n)
{
	hello_load(j, 2300, 1000, 1, 5, "/bin/srv", NULL, 0);
	hello_load(j, 2301, 1100, 1, 6, "/bin/cli", NULL, 0);
	for (size_t i = 0; i < n; i++)
		conn_step(j, order[i]);
}

static const char conn_socks[] =
	"23001 cookie 231 type 1 name /run/srv.sock listening\n"
	"23002 cookie 232 type 1 name /run/srv.sock peer 23101\n"
	"23101 cookie 2311 type 1 name - peer 23002\n";

static void conn_check(struct jr *j)
{
	int64_t accepted = sock_by_ino(j, 23002);

	assert_string_equal(socks(j), conn_socks);
	assert_int_equal(count(j, "SELECT count(*) FROM sock"), 3);
	assert_int_equal(sock_at(j, 2300, 4), accepted);
	assert_int_equal(peer_of(j, 2300, 4), sock_by_ino(j, 23101));
	assert_int_equal(peer_of(j, 2301, 3), accepted);
	assert_string_equal(sql_text(j, "SELECT peer_id FROM sock WHERE "
					"ino = 23001", 0, 0), "NULL");
	assert_string_equal(holders(j, accepted),
			    "2300:4 accept /bin/srv alive\n");
	assert_string_equal(sql_text(j, "SELECT start_reason || ' ' || "
					"cloexec || ' ' || from_ns FROM "
					"holding WHERE sock_id = ?1",
				     accepted, 0),
			    "accept 1 3200");
	assert_string_equal(holders(j, sock_by_ino(j, 23101)),
			    "2301:3 create /bin/cli alive\n");
}

/* connect() before accept(): the end the client's CONNECT names is made
 * by inode, without a cookie; the ACCEPT takes that row up. */
static void test_ingest__connect_then_accept(void **state)
{
	static const enum conn_step order[] = { K_SOCKET, K_BIND, K_LISTEN,
						K_CSOCKET, K_CONNECT };
	struct jr *j = *state;
	int64_t peer;

	conn_scene(j, order, sizeof(order) / sizeof(order[0]));
	ingest(j);
	assert_string_equal(socks(j),
			    "23001 cookie 231 type 1 name /run/srv.sock "
			    "listening\n"
			    "23002 cookie 0 type - name /run/srv.sock "
			    "peer 23101\n"
			    "23101 cookie 2311 type 1 name - peer 23002\n");
	peer = sock_by_ino(j, 23002);
	assert_int_equal(sql_int(j, "SELECT count(*) FROM holding WHERE "
				    "sock_id = ?1", peer, 0), 0);
	assert_string_equal(sql_text(j, "SELECT detail || ' ' || arg FROM "
					"event WHERE kind = 'connect'", 0, 0),
			    "/run/srv.sock 23002");

	conn_step(j, K_ACCEPT);
	ingest(j);
	conn_check(j);
	/* the same row, now with its cookie */
	assert_int_equal(sock_by_ino(j, 23002), peer);
	assert_int_equal(sql_int(j, "SELECT cookie FROM sock WHERE id = ?1",
				 peer, 0), 232);
	assert_string_equal(events(j, 2300),
			    "hello - 1 - img\n"
			    "socket 3 1 - img\n"
			    "bind 3 - /run/srv.sock img\n"
			    "listen 3 - - img\n"
			    "accept 4 23101 - img\n");
}

/* accept() ingested before the client's CONNECT (the two processes write
 * at once): the same rows and links, no second row for either end. */
static void test_ingest__accept_then_connect(void **state)
{
	static const enum conn_step order[] = { K_SOCKET, K_BIND, K_LISTEN,
						K_CSOCKET, K_ACCEPT,
						K_CONNECT };
	struct jr *j = *state;

	conn_scene(j, order, sizeof(order) / sizeof(order[0]));
	ingest(j);
	conn_check(j);

	/* and so ingested one record at a time */
	jr_free(j);
	*state = j = jr_new();
	hello_load(j, 2300, 1000, 1, 5, "/bin/srv", NULL, 0);
	hello_load(j, 2301, 1100, 1, 6, "/bin/cli", NULL, 0);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		conn_step(j, order[i]);
		ingest(j);
		if (order[i] != K_ACCEPT)
			continue;
		/* the accept alone links both ends */
		assert_int_equal(peer_of(j, 2300, 4), sock_by_ino(j, 23101));
		assert_int_equal(peer_of(j, 2301, 3), sock_by_ino(j, 23002));
		assert_string_equal(sql_text(j, "SELECT name FROM sock WHERE "
						"ino = 23002", 0, 0),
				    "/run/srv.sock");
	}
	conn_check(j);
}

/* The client's socket seen only after the accept that named it as the
 * peer (by inode): the row the accept made is taken up, not doubled. */
static void test_ingest__accept_names_unseen_peer(void **state)
{
	static const enum conn_step order[] = { K_SOCKET, K_BIND, K_LISTEN,
						K_ACCEPT, K_CSOCKET,
						K_CONNECT };
	struct jr *j = *state;

	conn_scene(j, order, sizeof(order) / sizeof(order[0]));
	ingest(j);
	conn_check(j);
}

/* An exec recorded but never followed by a hello: the program it became
 * is not traced (static, setuid, preload refused). A holding that is not
 * close-on-exec is held by that program, as far as we can tell; a
 * close-on-exec one ended at the exec. Both are inferred. */
static void test_ingest__untraced_exec_inferred(void **state)
{
	struct jr *j = *state;
	struct pl_query q = { .live = 0 };
	struct pl_holders hs;

	hello_load(j, 2400, 1000, 1, 5, "/bin/sh", NULL, 0);
	socketpair_(j, 2400, 2000, S(3, 24001, 241),
		    (struct pl_rec_sock){ .fd = 4, .ino = 24002, .cookie = 242,
					  .flags = PL_SOCK_CLOEXEC });
	exec_(j, 2400, 3000, "/usr/bin/static-prog");
	ingest(j);

	assert_int_equal(pl_holders_load(j->db, &q, sock_by_ino(j, 24001),
					 &hs), 0);
	assert_int_equal(hs.n, 1);
	assert_int_equal(hs.v[0].inferred, 1);
	assert_string_equal(hs.v[0].end_reason, PL_END_ALIVE);
	assert_int_equal(hs.v[0].until_ns, 0);
	assert_string_equal(hs.v[0].exe, "/usr/bin/static-prog");
	assert_null(hs.v[0].argv);
	assert_int_equal(hs.v[0].execs, 1);
	assert_string_equal(hs.v[0].start_reason, "create");
	pl_holders_free(&hs);

	assert_int_equal(pl_holders_load(j->db, &q, sock_by_ino(j, 24002),
					 &hs), 0);
	assert_int_equal(hs.n, 1);
	assert_int_equal(hs.v[0].inferred, 1);
	assert_string_equal(hs.v[0].end_reason, PL_END_EXEC);
	assert_int_equal(hs.v[0].until_ns, 3000);
	assert_string_equal(hs.v[0].exe, "/bin/sh");
	assert_int_equal(hs.v[0].execs, 0);
	pl_holders_free(&hs);

	assert_string_equal(holders(j, sock_by_ino(j, 24001)),
			    "2400:3 create x1 /usr/bin/static-prog alive\n");
	assert_string_equal(holders(j, sock_by_ino(j, 24002)),
			    "2400:4 create /bin/sh exec@3000\n");
	/* the journal itself still has the image open */
	assert_string_equal(processes(j), "2400@1000 root /bin/sh -\n");

	/* the exec failed after all: nothing inferred */
	exec_fail(j, 2400, 3500, ENOENT);
	ingest(j);
	assert_int_equal(pl_holders_load(j->db, &q, sock_by_ino(j, 24002),
					 &hs), 0);
	assert_int_equal(hs.v[0].inferred, 0);
	assert_string_equal(hs.v[0].end_reason, PL_END_ALIVE);
	pl_holders_free(&hs);
	assert_string_equal(holders(j, sock_by_ino(j, 24001)),
			    "2400:3 create /bin/sh alive\n");
}

/* A traced exec, then an untraced one: one holder, two execs, the exe of
 * the last. */
static void test_ingest__untraced_exec_after_traced_exec(void **state)
{
	struct jr *j = *state;
	struct pl_query q = { .live = 0 };
	const struct pl_rec_sock kept = S(3, 25001, 251);
	struct pl_holders hs;

	hello_load(j, 2500, 1000, 1, 5, "/bin/sh", NULL, 0);
	socketpair_(j, 2500, 2000, kept, S(4, 25002, 252));
	exec_(j, 2500, 3000, "/bin/env");
	hello_load(j, 2500, 3500, 1, 5, "/bin/env", &kept, 1);
	exec_(j, 2500, 4000, "/usr/bin/static-prog");
	ingest(j);

	assert_string_equal(holders(j, sock_by_ino(j, 25001)),
			    "2500:3 create x2 /usr/bin/static-prog alive\n");
	assert_string_equal(holders(j, sock_by_ino(j, 25002)),
			    "2500:4 create /bin/sh exec@3000\n");
	assert_int_equal(pl_holders_load(j->db, &q, sock_by_ino(j, 25001),
					 &hs), 0);
	assert_int_equal(hs.n, 1);
	assert_int_equal(hs.v[0].inferred, 1);
	pl_holders_free(&hs);
	/* the exec seen through is not inferred */
	assert_int_equal(pl_holders_load(j->db, &q, sock_by_ino(j, 25002),
					 &hs), 0);
	assert_int_equal(hs.v[0].inferred, 0);
	pl_holders_free(&hs);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, jr_setup, jr_teardown)
	const struct CMUnitTest tests[] = {
		T(test_ingest__classic),
		T(test_ingest__exit_ends_holdings),
		T(test_ingest__closed_on_exec),
		T(test_ingest__exec_fail_leaves_image),
		T(test_ingest__exactly_once),
		T(test_ingest__child_hello_after_parent_close),
		cmocka_unit_test(test_ingest__any_interleaving),
		T(test_ingest__socketpair_reuses_open_fd),
		T(test_ingest__snap_continues_hello),
		T(test_ingest__spawn_inherits),
		T(test_ingest__reused_pid_is_new_process),
		T(test_ingest__no_cookie_matches_by_inode),
		T(test_ingest__late_start_tick_is_same_process),
		T(test_ingest__pair_takes_cookie_from_hello),
		T(test_ingest__stray_records_and_garbage),
		T(test_ingest__future_record_stops),
		T(test_ingest__concurrent_ingest_once),
		T(test_ingest__replaced_spool_read_from_start),
		T(test_ingest__dup_copies_holding),
		T(test_ingest__dup2_over_tracked_fd),
		T(test_ingest__dup_of_untracked_fd),
		T(test_ingest__dup_cloexec_closed_on_exec),
		T(test_ingest__setfd_sets_cloexec_of_that_fd),
		T(test_ingest__close_range_ends_range),
		T(test_ingest__close_range_cloexec_ends_nothing),
		T(test_ingest__closefrom_covers_large_fds),
		T(test_ingest__fd_records_without_image),
		T(test_ingest__send_then_receive),
		T(test_ingest__sent_never_received),
		T(test_ingest__passings_received_in_order),
		T(test_ingest__receive_without_send),
		T(test_ingest__recv_cloexec),
		T(test_ingest__receive_ingested_before_send),
		T(test_ingest__passings_over_two_channels),
		T(test_ingest__socket_bind_listen),
		T(test_ingest__connect_then_accept),
		T(test_ingest__accept_then_connect),
		T(test_ingest__accept_names_unseen_peer),
		T(test_ingest__untraced_exec_inferred),
		T(test_ingest__untraced_exec_after_traced_exec),
	};
#undef T

	return cmocka_run_group_tests_name("ingest", tests, NULL, NULL);
}
