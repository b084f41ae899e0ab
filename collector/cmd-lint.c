/* peerlog lint: the IPC mistakes a journal can prove.
 *
 *   kept-after-fork  the creator of a pair still holds both ends while
 *                    another process holds one of them: the end it gave
 *                    away was never closed on its side (the reader of the
 *                    other process never sees EOF).
 *   leaked-on-exec   an end kept across exec (no close-on-exec) that the
 *                    new program never touched: no close, dup, fcntl or
 *                    passing of that fd, and it held it to the end.
 *   one-process      both ends of a pair that was shared end up held by
 *                    one process only.
 *   never-received   an end sent with SCM_RIGHTS that nobody received.
 *   idle-write-end   a pipe's write end held to the end by a process that
 *                    never wrote to it, while another process wrote to it
 *                    or let its copy go, and someone held the read end to
 *                    the end: that reader never sees EOF while the idle
 *                    end is held.
 *
 * The rules apply to pipes and FIFOs as to socketpairs (a pipe is a pair:
 * end 0 reads, end 1 writes), but for kept-after-fork on a pipe's write
 * end, where idle-write-end says more. The journal sees no read; of the
 * writes it sees the first write() or writev() through each write end,
 * not what stdio writes inside libc. "Never touched" means no call we
 * trace; fds 0 to 2 are left alone (sockets and pipes as stdio are on
 * purpose, and written with stdio), and so are ends found at start with
 * no origin we know (inherited from outside the traced tree). */
#include <string.h>

#include "cli.h"
#include "model.h"
#include "output.h"
#include "peerlog.h"

static const char usage[] =
	"usage: peerlog lint [-j PATH] [--json]\n"
	"\n"
	"Find the IPC mistakes the journal can prove: a parent that kept the\n"
	"end it gave its child (kept-after-fork), an end inherited across exec\n"
	"into a program that never touched it (leaked-on-exec), a shared pair\n"
	"whose two ends end up in one process (one-process), an end sent with\n"
	"SCM_RIGHTS and never received (never-received), a pipe's write end\n"
	"held by a process that never wrote to it while another wrote or let\n"
	"its own go (idle-write-end): its reader never sees EOF.\n"
	"\n"
	"  -j, --journal PATH  journal to read (default $PEERLOG_JOURNAL, else\n"
	"                      ./peerlog.db)\n"
	"      --json          machine-readable output\n"
	"      --color[=WHEN]  auto (default: on a terminal, without NO_COLOR),\n"
	"                      always or never\n"
	"\n"
	"exit status: 0 clean, 1 something found, 2 usage, 3 journal unusable\n";

/* The pid of another process that end S of P's pair was given to: it held
 * S, and not the other end as long (the usual child closes the parent's
 * end at once and keeps its own). NULL if none. */
#define GIVEN_TO                                                            \
	"SELECT q.pid FROM holding c JOIN process q ON q.id = c.process_id "  \
	"WHERE c.sock_id = s.id AND q.pid <> p.pid AND NOT EXISTS (SELECT 1 " \
	"FROM holding c2 JOIN process q2 ON q2.id = c2.process_id "           \
	"JOIN sock o2 ON o2.id = c2.sock_id WHERE q2.pid = q.pid "            \
	"AND o2.pair_id = s.pair_id AND o2.id <> s.id AND "                   \
	"(c2.end_reason IS NULL OR (c.end_reason IS NOT NULL AND "            \
	"c2.until_ns >= c.until_ns))) ORDER BY c.id LIMIT 1"

/* The pid of another process that used the write end of pipe S as a
 * writer does: wrote to it (found through its holders and the events of
 * their images), or let its own go (closed it, or ended), or NULL. */
#define WRITER                                                              \
	"SELECT wp.pid FROM holding w JOIN process wp ON wp.id = w.process_id " \
	"WHERE w.sock_id = s.id AND wp.pid <> p.pid AND (w.end_reason IS NOT " \
	"NULL OR wp.end_reason IS NOT NULL OR EXISTS (SELECT 1 FROM event we " \
	"WHERE we.process_id = wp.id AND we.kind = 'write' AND we.arg = s.ino))" \
	" ORDER BY w.id LIMIT 1"

/* The pid of a process that held the read end of pipe S to its end (or
 * still does), WHERE also (another than P, or P itself), or NULL. */
#define READER(where)                                                       \
	"SELECT rp.pid FROM holding r JOIN process rp ON rp.id = r.process_id " \
	"WHERE r.sock_id = s.peer_id AND " where " AND "                      \
	PL_SQL_HELD_TO_END(r, rp) " ORDER BY r.id LIMIT 1"
#define READ_BY                                                             \
	"COALESCE((" READER("rp.pid <> p.pid") "), (" READER("rp.pid = p.pid") \
	"))"

/* End S was made in the traced tree, as far as we know: none of its
 * holdings is one found at start with no origin (an end inherited from
 * outside, such as a pipe the CI runner leaks into every job). */
#define MADE_INSIDE                                                         \
	"NOT EXISTS (SELECT 1 FROM holding f WHERE f.sock_id = s.id "         \
	"AND f.start_reason = 'found') "

static const struct rule {
	const char *name;
	const char *sql; /* pid, exe, fd, ino, pair id, detail, kind, side */
} rules[] = {
	{ "kept-after-fork",
	  "SELECT p.pid, p.exe, h.fd, s.ino, s.pair_id, "
	  " 'still holds the end it gave to pid ' || (" GIVEN_TO "), "
	  " s.kind, s.side "
	  "FROM pair pr JOIN process p ON p.id = pr.process_id "
	  "JOIN sock s ON s.pair_id = pr.id "
	  "JOIN holding h ON h.sock_id = s.id AND h.process_id = p.id "
	  "WHERE h.start_reason = 'create' AND " PL_SQL_HELD_TO_END(h, p) " "
	  "AND (s.kind = 'socket' OR s.side = 0) "
	  "AND (" GIVEN_TO ") IS NOT NULL "
	  "AND EXISTS (SELECT 1 FROM sock o JOIN holding oh ON oh.sock_id = o.id "
	  " WHERE o.pair_id = pr.id AND o.id <> s.id AND oh.process_id = p.id "
	  " AND " PL_SQL_HELD_TO_END(oh, p) ") "
	  "ORDER BY pr.id, h.fd" },
	{ "leaked-on-exec",
	  "SELECT p.pid, p.exe, h.fd, s.ino, s.pair_id, "
	  " 'kept across exec, never touched by the new program', "
	  " s.kind, s.side "
	  "FROM holding h JOIN process p ON p.id = h.process_id "
	  "JOIN sock s ON s.id = h.sock_id "
	  "WHERE h.start_reason = 'exec' AND h.fd > 2 AND " PL_SQL_HELD_TO_END(h, p) " "
	  "AND " MADE_INSIDE
	  "AND NOT EXISTS (SELECT 1 FROM event e WHERE e.process_id = p.id "
	  " AND e.fd = h.fd AND e.kind <> 'hello') "
	  "AND NOT EXISTS (SELECT 1 FROM holding d WHERE d.source_id = h.id "
	  " AND d.start_reason IN ('dup', 'recv')) "
	  "AND NOT EXISTS (SELECT 1 FROM flight f WHERE f.source_id = h.id) "
	  "ORDER BY p.id, h.fd" },
	{ "one-process",
	  "SELECT p.pid, p.exe, h.fd, s.ino, s.pair_id, "
	  " 'holds both ends of a pair other processes held too', "
	  " s.kind, s.side "
	  "FROM holding h JOIN process p ON p.id = h.process_id "
	  "JOIN sock s ON s.id = h.sock_id "
	  "WHERE s.pair_id IS NOT NULL AND s.side = 0 AND " PL_SQL_HELD_TO_END(h, p) " "
	  "AND " MADE_INSIDE
	  /* the other end is held to the end by this process too */
	  "AND EXISTS (SELECT 1 FROM sock o JOIN holding oh ON oh.sock_id = o.id "
	  " JOIN process op ON op.id = oh.process_id WHERE o.pair_id = s.pair_id "
	  " AND o.id <> s.id AND op.pid = p.pid AND " PL_SQL_HELD_TO_END(oh, op) ") "
	  /* ... and by no other process, for either end */
	  "AND NOT EXISTS (SELECT 1 FROM sock o JOIN holding oh ON "
	  " oh.sock_id = o.id JOIN process op ON op.id = oh.process_id "
	  " WHERE o.pair_id = s.pair_id AND op.pid <> p.pid "
	  " AND " PL_SQL_HELD_TO_END(oh, op) ") "
	  /* ... and the pair was shared once */
	  "AND EXISTS (SELECT 1 FROM sock o JOIN holding oh ON oh.sock_id = o.id "
	  " JOIN process op ON op.id = oh.process_id WHERE o.pair_id = s.pair_id "
	  " AND op.pid <> p.pid) "
	  "ORDER BY s.pair_id, h.fd" },
	{ "never-received",
	  "SELECT p.pid, p.exe, h.fd, s.ino, s.pair_id, "
	  " 'sent with SCM_RIGHTS over socket:[' || f.channel_ino || "
	  " '], never received', s.kind, s.side "
	  "FROM flight f JOIN sock s ON s.id = f.sock_id "
	  "LEFT JOIN holding h ON h.id = f.source_id "
	  "LEFT JOIN process p ON p.id = h.process_id "
	  "WHERE f.received_id IS NULL ORDER BY f.id" },
	{ "idle-write-end",
	  "SELECT p.pid, p.exe, h.fd, s.ino, s.pair_id, "
	  " 'never wrote to the write end it holds, which pid ' || "
	  " (" WRITER ") || ' wrote to or let go: pid ' || " READ_BY " || "
	  " ', holding the read end, sees no EOF while it is held', "
	  " s.kind, s.side "
	  "FROM holding h JOIN process p ON p.id = h.process_id "
	  "JOIN sock s ON s.id = h.sock_id "
	  "WHERE s.kind <> 'socket' AND s.side = 1 AND h.fd > 2 "
	  "AND " PL_SQL_HELD_TO_END(h, p) " AND " MADE_INSIDE
	  "AND NOT EXISTS (SELECT 1 FROM event e WHERE e.process_id = p.id "
	  " AND e.kind = 'write' AND e.arg = s.ino) "
	  "AND (" WRITER ") IS NOT NULL AND " READ_BY " IS NOT NULL "
	  "ORDER BY s.id, p.id, h.fd" },
};

int pl_lint_run(sqlite3 *db, pl_lint_fn fn, void *arg)
{
	int found = 0;

	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		sqlite3_stmt *st = pl_db_prepare(db, rules[r].sql);

		if (!st)
			return -1;
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct pl_finding f = {
				.rule = rules[r].name,
				.pid = sqlite3_column_int(st, 0),
				.exe = (const char *)sqlite3_column_text(st, 1),
				.fd = sqlite3_column_int(st, 2),
				.ino = sqlite3_column_int64(st, 3),
				.pair = sqlite3_column_int64(st, 4),
				.detail = (const char *)sqlite3_column_text(st, 5),
				.kind = (const char *)sqlite3_column_text(st, 6),
				.side = sqlite3_column_int(st, 7),
			};

			fn(arg, &f);
			found++;
		}
		sqlite3_finalize(st);
	}
	return found;
}

static void print_finding(void *arg, const struct pl_finding *f)
{
	const struct pl_opts *o = ((void **)arg)[0];
	struct pl_json *j = ((void **)arg)[1];
	sqlite3 *db = ((void **)arg)[2];
	struct pl_site site;
	int has_site = pl_site_of_end(db, f->pair, f->ino, &site) > 0;

	if (!o->json) {
		struct pl_buf where = { 0 }, name = { 0 };

		pl_site_append(&where, "; made in ", has_site ? &site : NULL);
		pl_end_name(&name, f->kind, f->ino, f->side, NULL);
		printf("%s%s%s: pid %d (%s) fd %d %s: %s%s\n",
		       pl_paint_on(PL_PAINT_BAD), f->rule,
		       pl_paint_off(PL_PAINT_BAD), f->pid, pl_basename(f->exe),
		       f->fd, name.p, f->detail ? f->detail : "",
		       pl_buf_str(&where));
		pl_buf_free(&name);
		pl_buf_free(&where);
		return;
	}
	pl_json_open(j, NULL, '{');
	pl_json_str(j, "rule", f->rule);
	pl_json_int(j, "pid", f->pid);
	pl_json_str(j, "exe", f->exe);
	pl_json_int(j, "fd", f->fd);
	pl_json_int(j, "inode", f->ino);
	pl_json_str(j, "kind", f->kind);
	if (pl_end_is_pipe(f->kind))
		pl_json_str(j, "end", f->side ? "write" : "read");
	if (f->pair)
		pl_json_int(j, "pair", f->pair);
	else
		pl_json_null(j, "pair");
	pl_json_str(j, "detail", f->detail);
	if (has_site)
		pl_json_site(j, "created_at", &site);
	else
		pl_json_null(j, "created_at");
	pl_json_close(j, '}');
}

int cmd_lint(int argc, char **argv)
{
	struct pl_opts o;
	struct pl_json j;
	sqlite3 *db;
	int next, rc, found;

	rc = pl_cli_parse(argc, argv, usage, &o, &next, 0);
	if (rc)
		return rc < 0 ? PL_EXIT_OK : rc;
	if (next < argc) {
		pl_error("lint takes no operand ('%s')", argv[next]);
		return PL_EXIT_USAGE;
	}
	rc = pl_journal_open_ingested(o.journal, &db);
	if (rc)
		return rc;
	pl_json_init(&j, stdout);
	if (o.json) {
		pl_json_open(&j, NULL, '{');
		pl_json_open(&j, "findings", '[');
	}
	{
		void *args[3] = { &o, &j, db };

		found = pl_lint_run(db, print_finding, args);
	}
	if (o.json) {
		pl_json_close(&j, ']');
		pl_json_int(&j, "count", found < 0 ? 0 : found);
		pl_json_close(&j, '}');
	} else if (found >= 0) {
		printf("%d finding%s\n", found, found == 1 ? "" : "s");
	}
	sqlite3_close(db);
	if (found < 0)
		return PL_EXIT_JOURNAL;
	return found ? 1 : 0;
}
