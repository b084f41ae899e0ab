/* peerlog who PID [FD]: the end PID holds (or last held) at FD, its peer,
 * and every process that held the peer, with how each got and lost it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model.h"
#include "output.h"
#include "peerlog.h"
#include "table.h"

static const char usage[] =
	"usage: peerlog who [-j PATH] [--json] [--boot ID] [-o COLS] [-n] PID [FD]\n"
	"\n"
	"Show the socket end that process PID holds at FD (or the last one it\n"
	"held there), the peer end, and every process that held the peer: pid,\n"
	"fd, program, from, until, and how the holding started and ended.\n"
	"For a pipe's or FIFO's end the peer is its other end: who holds the\n"
	"write end a reader waits on. Without FD, do so for every socket and\n"
	"pipe fd PID has held.\n"
	"\n"
	"  -j, --journal PATH  journal to read (default $PEERLOG_JOURNAL, else\n"
	"                      ./peerlog.db)\n"
	"      --json          machine-readable output\n"
	"      --no-check      do not ask the kernel whether live holders\n"
	"                      really hold their ends\n"
	"      --boot ID       in a merged journal, the process PID of the boot\n"
	"                      whose id begins with ID (default: the latest,\n"
	"                      with a warning when PID is in several boots)\n"
	"  -o, --output COLS   the columns of the holder tables, comma-separated\n"
	"                      (+COLS adds to the default); -o help lists them\n"
	"  -n, --no-headings   no heading row\n"
	"      --color[=WHEN]  auto (default: on a terminal, without NO_COLOR),\n"
	"                      always or never\n"
	"\n"
	"exit status: 0 answered, 1 PID or FD not in the journal, 2 usage,\n"
	"3 journal unusable\n";

/* The process that was PID most recently: its boot and start time. */
struct target {
	int pid;
	char boot[40];
	int64_t start_ticks;
	char *exe;
	int boots; /* boots of the journal with a process PID (--boot: those
		      that match) */
};

/* The boots that had a process PID (those BOOT begins, when given), the
 * latest first: in a merged journal a pid means one process per boot.
 * Returns how many, the latest in T->boot, the next in OTHER. */
static int find_boot(sqlite3 *db, int pid, const char *boot, struct target *t,
		     char *other, size_t size)
{
	sqlite3_stmt *st = pl_db_prepare(
		db, "SELECT boot FROM process WHERE pid = ?1 AND (?2 IS NULL OR "
		    "substr(boot, 1, length(?2)) = ?2) GROUP BY boot "
		    "ORDER BY max(hello_ns) DESC, max(id) DESC");
	int n = 0, rc;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, pid);
	if (boot)
		sqlite3_bind_text(st, 2, boot, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *b = (const char *)sqlite3_column_text(st, 0);

		if (n == 0)
			snprintf(t->boot, sizeof(t->boot), "%s", b ? b : "");
		else if (n == 1)
			snprintf(other, size, "%s", b ? b : "");
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}

static int find_target(sqlite3 *db, int pid, const char *boot,
		       struct target *t)
{
	sqlite3_stmt *st;
	char other[40] = "";
	int found = 0;

	t->boots = find_boot(db, pid, boot, t, other, sizeof(other));
	if (t->boots <= 0)
		return t->boots;
	if (boot && t->boots > 1) {
		pl_error("boot '%s' is more than one boot with pid %d (%.8s, "
			 "%.8s, ...): give more of its id", boot, pid, t->boot,
			 other);
		return -2;
	}
	if (!boot && t->boots > 1)
		pl_warn("pid %d is in %d boots of this journal: showing the "
			"latest, boot %.8s (also %.8s%s); choose with --boot ID",
			pid, t->boots, t->boot, other,
			t->boots > 2 ? ", ..." : "");
	st = pl_db_prepare(db, "SELECT start_ticks, exe FROM process WHERE "
			       "pid = ?1 AND boot = ?2 "
			       "ORDER BY hello_ns DESC, id DESC LIMIT 1");
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, pid);
	sqlite3_bind_text(st, 2, t->boot, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *exe = (const char *)sqlite3_column_text(st, 1);

		t->pid = pid;
		t->start_ticks = sqlite3_column_int64(st, 0);
		t->exe = exe ? strdup(exe) : NULL;
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

#define TARGET_HOLDINGS                                                   \
	"FROM holding h JOIN process p ON p.id = h.process_id "           \
	"WHERE p.pid = ?1 AND p.boot = ?2 AND p.start_ticks = ?3 "

static sqlite3_stmt *target_stmt(sqlite3 *db, const char *sql,
				 const struct target *t)
{
	sqlite3_stmt *st = pl_db_prepare(db, sql);

	if (st) {
		sqlite3_bind_int(st, 1, t->pid);
		sqlite3_bind_text(st, 2, t->boot, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, t->start_ticks);
	}
	return st;
}

/* The socket the target holds, or last held, at FD: its sock id, or 0. */
static int64_t sock_at(sqlite3 *db, const struct target *t, int fd)
{
	sqlite3_stmt *st = target_stmt(
		db, "SELECT h.sock_id " TARGET_HOLDINGS "AND h.fd = ?4 "
		    "ORDER BY h.from_ns DESC, h.id DESC LIMIT 1", t);
	int64_t id = 0;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 4, fd);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

struct sock_info {
	int64_t id, ino, cookie, side, pair_id, peer_id, peer_ino,
		peer_cookie, created_ns, type, creator_pid, listening;
	char *creator_exe, *name, *peer_name;
	char kind[8]; /* socket, pipe, fifo */
};

static char *dup_text(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? strdup(s) : NULL;
}

static int sock_info(sqlite3 *db, int64_t id, struct sock_info *si)
{
	sqlite3_stmt *st = pl_db_prepare(
		db, "SELECT s.ino, s.cookie, s.side, s.pair_id, o.id, o.ino, "
		    "o.cookie, pr.created_ns, COALESCE(pr.type, s.type, o.type),"
		    " cp.pid, cp.exe, s.name, o.name, s.listening, s.kind "
		    "FROM sock s LEFT JOIN pair pr ON pr.id = s.pair_id "
		    "LEFT JOIN process cp ON cp.id = pr.process_id "
		    "LEFT JOIN sock o ON o.id = s.peer_id WHERE s.id = ?1");
	int rc;

	memset(si, 0, sizeof(*si));
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		si->id = id;
		si->ino = sqlite3_column_int64(st, 0);
		si->cookie = sqlite3_column_int64(st, 1);
		si->side = sqlite3_column_int64(st, 2);
		si->pair_id = sqlite3_column_int64(st, 3);
		si->peer_id = sqlite3_column_int64(st, 4);
		si->peer_ino = sqlite3_column_int64(st, 5);
		si->peer_cookie = sqlite3_column_int64(st, 6);
		si->created_ns = sqlite3_column_int64(st, 7);
		si->type = sqlite3_column_int64(st, 8);
		si->creator_pid = sqlite3_column_int64(st, 9);
		si->creator_exe = dup_text(st, 10);
		si->name = dup_text(st, 11);
		si->peer_name = dup_text(st, 12);
		si->listening = sqlite3_column_int64(st, 13);
		snprintf(si->kind, sizeof(si->kind), "%s",
			 (const char *)sqlite3_column_text(st, 14));
		if (pl_end_is_pipe(si->kind)) /* our key, not the kernel's */
			si->cookie = si->peer_cookie = 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static void text_flights(const struct pl_holders *hs)
{
	for (size_t i = 0; i < hs->nflights; i++) {
		const struct pl_flight *f = &hs->flights[i];
		char at[32];

		pl_fmt_time((uint64_t)f->sent_ns, 0, at, sizeof(at));
		printf("  in flight since %s: sent by pid %d fd %d over "
		       "socket:[%lld], not received\n", at, f->from_pid,
		       f->from_fd, (long long)f->channel_ino);
	}
}

/* The holder table, with the columns -o picked. */
static struct pl_cols cols;

static void text_holders(const struct pl_holders *hs)
{
	pl_holder_table(&cols, hs);
}

/* The answer first: who holds the peer (PEER: "the peer", "the write
 * end") now, or who held it last. */
static void text_answer(const char *peer, const char *peer_name,
			const struct pl_holders *hs)
{
	const struct pl_holder *last = NULL;
	int alive = 0;

	for (size_t i = 0; i < hs->n; i++) {
		const struct pl_holder *h = &hs->v[i];

		if (strcmp(h->end_reason, PL_END_ALIVE) != 0) {
			if (!last || h->until_ns >= last->until_ns)
				last = h;
			continue;
		}
		printf("%s%s%s %spid %d (%s) at fd %d%s%s",
		       alive ? "\n    and" : "  ", alive ? "" : peer,
		       alive ? "" : " is held by",
		       pl_paint_on(pl_holder_paint(h)), h->pid,
		       h->exe ? h->exe : "?", h->fd,
		       h->inferred ? ", inferred: that program is not traced"
				   : "", pl_paint_off(pl_holder_paint(h)));
		alive++;
	}
	if (alive) {
		putchar('\n');
	} else if (hs->nflights) {
		const struct pl_flight *f = &hs->flights[hs->nflights - 1];
		char at[32];

		pl_fmt_time((uint64_t)f->sent_ns, 0, at, sizeof(at));
		printf("  %s is in flight: sent by pid %d with SCM_RIGHTS at "
		       "%s, not received yet\n", peer, f->from_pid, at);
	} else if (last) {
		struct pl_buf how = { 0 };
		const char *end;

		pl_holder_how(last, &how);
		end = strchr(how.p, ';');
		printf("  %s was last held by pid %d (%s) at fd %d (%s)\n",
		       peer, last->pid, last->exe ? last->exe : "?", last->fd,
		       end ? end + 2 : how.p);
		pl_buf_free(&how);
	} else {
		printf("  nobody we saw held %s %s\n", peer, peer_name);
	}
}

/* SIDE: of a pipe's end, else -1 */
static void json_end(struct pl_json *j, const char *key, int64_t ino,
		     int64_t cookie, const char *name, const char *kind,
		     int side, const struct pl_holders *hs)
{
	pl_json_open(j, key, '{');
	pl_json_int(j, "inode", ino);
	if (cookie)
		pl_json_int(j, "cookie", cookie);
	else
		pl_json_null(j, "cookie");
	pl_json_str(j, "name", name);
	pl_json_str(j, "kind", kind);
	if (side >= 0)
		pl_json_str(j, "end", side ? "write" : "read");
	pl_json_open(j, "holders", '[');
	for (size_t i = 0; i < hs->n; i++)
		pl_json_holder(j, &hs->v[i]);
	pl_json_close(j, ']');
	pl_json_open(j, "in_flight", '[');
	for (size_t i = 0; i < hs->nflights; i++) {
		const struct pl_flight *f = &hs->flights[i];

		pl_json_open(j, NULL, '{');
		pl_json_time(j, "sent", f->sent_ns);
		pl_json_int(j, "channel_inode", f->channel_ino);
		pl_json_open(j, "from", '{');
		pl_json_int(j, "pid", f->from_pid);
		pl_json_int(j, "fd", f->from_fd);
		pl_json_close(j, '}');
		pl_json_close(j, '}');
	}
	pl_json_close(j, ']');
	pl_json_close(j, '}');
}

/* A pipe's or FIFO's end: who holds the other end, where the pipe was
 * made, the holders of the other end. */
static void text_pipe(const struct sock_info *si, const struct pl_site *site,
		      const struct pl_holders *peer)
{
	const char *other = si->side ? "the read end" : "the write end";
	struct pl_buf name = { 0 };

	pl_end_name(&name, si->kind, si->peer_id ? si->peer_ino : si->ino,
		    !si->side, si->peer_name ? si->peer_name : si->name);
	text_answer(other, name.p, peer);
	if (si->pair_id) {
		struct pl_buf where = { 0 };
		char at[32];

		pl_fmt_time((uint64_t)si->created_ns, 0, at, sizeof(at));
		pl_site_append(&where, " in ", site);
		printf("  the %s of a pipe made by pid %lld (%s) at %s%s\n",
		       pl_end_side_name((int)si->side),
		       (long long)si->creator_pid,
		       pl_basename(si->creator_exe), at, pl_buf_str(&where));
		pl_buf_free(&where);
	} else if (!strcmp(si->kind, "fifo")) {
		printf("  the %s of a FIFO%s%s\n", pl_end_side_name((int)si->side),
		       si->name ? " at " : "", si->name ? si->name : "");
	} else {
		printf("  the %s of a pipe whose making was not seen\n",
		       pl_end_side_name((int)si->side));
	}
	if (si->peer_id) {
		printf("  %s held by:\n", name.p);
		text_holders(peer);
		text_flights(peer);
	}
	pl_buf_free(&name);
}

/* Answer for one fd, as text or as members of the current JSON object. */
static int answer_fd(sqlite3 *db, const struct pl_opts *o, struct pl_json *j,
		     struct pl_query *q, const struct target *t, int fd,
		     int64_t sock)
{
	struct sock_info si;
	struct pl_holders mine = { 0 }, peer = { 0 };
	struct pl_buf me = { 0 };
	struct pl_site site;
	int rc, has_site, pipe;

	if (sock_info(db, sock, &si) < 0)
		return PL_EXIT_JOURNAL;
	pipe = pl_end_is_pipe(si.kind);
	pl_end_name(&me, si.kind, si.ino, (int)si.side, si.name);
	/* a pair's stack is on its end 0; a connection's end has its own */
	has_site = pl_site_of(db, si.pair_id && si.side == 1 ? si.peer_id
							     : si.id,
			      &site) > 0;
	rc = pl_holders_load(db, q, sock, &mine);
	if (!rc && si.peer_id)
		rc = pl_holders_load(db, q, si.peer_id, &peer);
	if (rc)
		goto out;

	if (o->json) {
		json_end(j, "end", si.ino, si.cookie, si.name, si.kind,
			 pipe ? (int)si.side : -1, &mine);
		if (has_site && !si.pair_id)
			pl_json_site(j, "created_at", &site);
		pl_json_str(j, "type", pipe ? si.kind
				       : si.type ? pl_sock_type_name((int)si.type)
						 : NULL);
		pl_json_bool(j, "listening", (int)si.listening);
		if (si.pair_id) {
			pl_json_open(j, "pair", '{');
			pl_json_int(j, "id", si.pair_id);
			pl_json_str(j, "type", pipe ? si.kind
					       : pl_sock_type_name((int)si.type));
			pl_json_int(j, "side", si.side);
			pl_json_time(j, "created", si.created_ns);
			pl_json_open(j, "creator", '{');
			pl_json_int(j, "pid", si.creator_pid);
			pl_json_str(j, "exe", si.creator_exe);
			pl_json_close(j, '}');
			if (has_site)
				pl_json_site(j, "created_at", &site);
			else
				pl_json_null(j, "created_at");
			pl_json_close(j, '}');
		} else {
			pl_json_null(j, "pair");
		}
		if (si.peer_id)
			json_end(j, "peer", si.peer_ino, si.peer_cookie,
				 si.peer_name ? si.peer_name
					      : pipe ? si.name : NULL,
				 si.kind, pipe ? (int)!si.side : -1, &peer);
		else
			pl_json_null(j, "peer");
		goto out;
	}

	printf("pid %d (%s) fd %d: %s\n", t->pid, pl_basename(t->exe), fd,
	       me.p);
	if (pipe) {
		text_pipe(&si, has_site ? &site : NULL, &peer);
	} else if (si.pair_id) {
		char at[32];
		struct pl_buf peer_name = { 0 };

		pl_end_name(&peer_name, si.kind, si.peer_ino, 0, NULL);
		text_answer("the peer", peer_name.p, &peer);
		pl_buf_free(&peer_name);
		pl_fmt_time((uint64_t)si.created_ns, 0, at, sizeof(at));
		struct pl_buf where = { 0 };

		pl_site_append(&where, " in ", has_site ? &site : NULL);
		printf("  end %lld of a %s socketpair made by pid %lld (%s) "
		       "at %s%s\n", (long long)si.side,
		       pl_sock_type_name((int)si.type),
		       (long long)si.creator_pid,
		       pl_basename(si.creator_exe), at, pl_buf_str(&where));
		pl_buf_free(&where);
		printf("  peer socket:[%lld] held by:\n",
		       (long long)si.peer_ino);
		text_holders(&peer);
		text_flights(&peer);
	} else if (si.peer_id) {
		const char *on = si.name ? si.name : si.peer_name;
		struct pl_buf peer_name = { 0 };

		pl_end_name(&peer_name, si.kind, si.peer_ino, 0, NULL);
		text_answer("the peer", peer_name.p, &peer);
		pl_buf_free(&peer_name);
		struct pl_buf where = { 0 };

		pl_site_append(&where, ", this end made in ",
			       has_site ? &site : NULL);
		printf("  a %s connection%s%s%s%s\n",
		       si.type ? pl_sock_type_name((int)si.type) : "socket",
		       on ? " on '" : "", on ? on : "", on ? "'" : "",
		       pl_buf_str(&where));
		pl_buf_free(&where);
		printf("  peer socket:[%lld] held by:\n",
		       (long long)si.peer_ino);
		text_holders(&peer);
		text_flights(&peer);
	} else if (si.listening) {
		printf("  listening on '%s'\n", si.name ? si.name : "?");
	} else {
		printf("  no peer recorded: its creation, or its connection, "
		       "was not seen\n");
	}
	printf("  %s itself held by:\n", me.p);
	text_holders(&mine);
	text_flights(&mine);
out:
	pl_buf_free(&me);
	pl_holders_free(&mine);
	pl_holders_free(&peer);
	free(si.creator_exe);
	free(si.name);
	free(si.peer_name);
	return rc;
}

/* The boot answered for, where the journal has the pid in more than one
 * or one was asked for: a journal of one boot answers as it always did. */
static void json_boot(struct pl_json *j, const struct pl_opts *o,
		      const struct target *t)
{
	if (o->boot || t->boots > 1)
		pl_json_str(j, "boot", t->boot);
}

int cmd_who(int argc, char **argv)
{
	struct pl_opts o;
	struct target t = { 0 };
	struct pl_query q = { .live = 1 };
	struct pl_json j;
	sqlite3 *db = NULL;
	long pid, fd = -1;
	int next, rc;

	rc = pl_holder_cli(argc, argv, usage, &o, &next,
			   "PID,FD,PROGRAM,FROM,UNTIL,HOW", &cols);
	if (rc)
		return rc < 0 ? PL_EXIT_OK : rc;
	cols.indent = 2;
	q.kernel = !o.no_check;
	if (next >= argc || argc - next > 2) {
		pl_error("who takes PID and an optional FD; see "
			 "'peerlog who --help'");
		return PL_EXIT_USAGE;
	}
	rc = pl_cli_number(argv[next], "PID", 1, INT_MAX, &pid);
	if (!rc && next + 1 < argc)
		rc = pl_cli_number(argv[next + 1], "FD", 0, INT_MAX, &fd);
	if (rc)
		return rc;

	rc = pl_journal_open_ingested(o.journal, &db);
	if (rc)
		return rc;
	rc = find_target(db, (int)pid, o.boot, &t);
	if (rc <= 0) {
		if (rc == 0)
			pl_error("no process with pid %ld%s%s in journal '%s'",
				 pid, o.boot ? " in boot " : "",
				 o.boot ? o.boot : "", o.journal);
		free(t.exe);
		sqlite3_close(db);
		return rc == 0 ? PL_EXIT_NOTFOUND
		       : rc == -2 ? PL_EXIT_USAGE : PL_EXIT_JOURNAL;
	}
	rc = 0;

	pl_json_init(&j, stdout);
	if (fd >= 0) {
		int64_t sock = sock_at(db, &t, (int)fd);

		if (sock <= 0) {
			pl_error("pid %ld never held a socket or pipe at fd %ld in "
				 "journal '%s'", pid, fd, o.journal);
			rc = sock < 0 ? PL_EXIT_JOURNAL : PL_EXIT_NOTFOUND;
			goto out;
		}
		if (o.json) {
			pl_json_open(&j, NULL, '{');
			pl_json_open(&j, "query", '{');
			pl_json_int(&j, "pid", pid);
			pl_json_int(&j, "fd", fd);
			json_boot(&j, &o, &t);
			pl_json_close(&j, '}');
		}
		rc = answer_fd(db, &o, &j, &q, &t, (int)fd, sock);
		if (o.json) {
			pl_json_live_check(&j, &q);
			pl_json_close(&j, '}');
		} else {
			pl_text_live_check(&q);
		}
	} else {
		sqlite3_stmt *st = target_stmt(
			db, "SELECT DISTINCT h.fd " TARGET_HOLDINGS
			    "ORDER BY h.fd", &t);
		int any = 0;

		if (!st) {
			rc = PL_EXIT_JOURNAL;
			goto out;
		}
		if (o.json) {
			pl_json_open(&j, NULL, '{');
			pl_json_open(&j, "query", '{');
			pl_json_int(&j, "pid", pid);
			json_boot(&j, &o, &t);
			pl_json_close(&j, '}');
			pl_json_open(&j, "fds", '[');
		}
		while (!rc && sqlite3_step(st) == SQLITE_ROW) {
			int f = sqlite3_column_int(st, 0);

			if (o.json) {
				pl_json_open(&j, NULL, '{');
				pl_json_int(&j, "fd", f);
			} else if (any) {
				putchar('\n');
			}
			rc = answer_fd(db, &o, &j, &q, &t, f, sock_at(db, &t, f));
			if (o.json)
				pl_json_close(&j, '}');
			any = 1;
		}
		sqlite3_finalize(st);
		if (o.json) {
			pl_json_close(&j, ']');
			pl_json_live_check(&j, &q);
			pl_json_close(&j, '}');
		} else if (!any) {
			printf("pid %ld (%s) held no socket or pipe we saw\n", pid,
			       pl_basename(t.exe));
		} else {
			pl_text_live_check(&q);
		}
	}
out:
	free(t.exe);
	pl_query_free(&q);
	sqlite3_close(db);
	return rc;
}
