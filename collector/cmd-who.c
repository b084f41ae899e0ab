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
	"usage: peerlog who [-j PATH] [--json] [-o COLS] [-n] PID [FD]\n"
	"\n"
	"Show the socket end that process PID holds at FD (or the last one it\n"
	"held there), the peer end, and every process that held the peer: pid,\n"
	"fd, program, from, until, and how the holding started and ended.\n"
	"Without FD, do so for every socket fd PID has held.\n"
	"\n"
	"  -j, --journal PATH  journal to read (default $PEERLOG_JOURNAL, else\n"
	"                      ./peerlog.db)\n"
	"      --json          machine-readable output\n"
	"      --no-check      do not ask the kernel whether live holders\n"
	"                      really hold their ends\n"
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
};

static int find_target(sqlite3 *db, int pid, struct target *t)
{
	sqlite3_stmt *st = pl_db_prepare(
		db, "SELECT boot, start_ticks, exe FROM process WHERE pid = ?1 "
		    "ORDER BY id DESC LIMIT 1");
	int found = 0;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, pid);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *exe = (const char *)sqlite3_column_text(st, 2);

		t->pid = pid;
		snprintf(t->boot, sizeof(t->boot), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		t->start_ticks = sqlite3_column_int64(st, 1);
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
		    " cp.pid, cp.exe, s.name, o.name, s.listening "
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

/* The answer first: who holds the peer now, or who held it last. */
static void text_answer(int64_t peer_ino, const struct pl_holders *hs)
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
		printf("%s %spid %d (%s) at fd %d%s%s",
		       alive ? "\n    and" : "  the peer is held by",
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
		printf("  the peer is in flight: sent by pid %d with SCM_RIGHTS at "
		       "%s, not received yet\n", f->from_pid, at);
	} else if (last) {
		struct pl_buf how = { 0 };
		const char *end;

		pl_holder_how(last, &how);
		end = strchr(how.p, ';');
		printf("  the peer was last held by pid %d (%s) at fd %d (%s)\n",
		       last->pid, last->exe ? last->exe : "?", last->fd,
		       end ? end + 2 : how.p);
		pl_buf_free(&how);
	} else {
		printf("  nobody we saw held the peer socket:[%lld]\n",
		       (long long)peer_ino);
	}
}

static void json_end(struct pl_json *j, const char *key, int64_t ino,
		     int64_t cookie, const char *name,
		     const struct pl_holders *hs)
{
	pl_json_open(j, key, '{');
	pl_json_int(j, "inode", ino);
	pl_json_int(j, "cookie", cookie);
	pl_json_str(j, "name", name);
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

/* Answer for one fd, as text or as members of the current JSON object. */
static int answer_fd(sqlite3 *db, const struct pl_opts *o, struct pl_json *j,
		     struct pl_query *q, const struct target *t, int fd,
		     int64_t sock)
{
	struct sock_info si;
	struct pl_holders mine = { 0 }, peer = { 0 };
	struct pl_site site;
	int rc, has_site;

	if (sock_info(db, sock, &si) < 0)
		return PL_EXIT_JOURNAL;
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
		json_end(j, "end", si.ino, si.cookie, si.name, &mine);
		if (has_site && !si.pair_id)
			pl_json_site(j, "created_at", &site);
		pl_json_str(j, "type", si.type ? pl_sock_type_name((int)si.type)
					       : NULL);
		pl_json_bool(j, "listening", (int)si.listening);
		if (si.pair_id) {
			pl_json_open(j, "pair", '{');
			pl_json_int(j, "id", si.pair_id);
			pl_json_str(j, "type", pl_sock_type_name((int)si.type));
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
				 si.peer_name, &peer);
		else
			pl_json_null(j, "peer");
		goto out;
	}

	printf("pid %d (%s) fd %d: socket:[%lld]\n", t->pid,
	       pl_basename(t->exe), fd, (long long)si.ino);
	if (si.pair_id) {
		char at[32];

		text_answer(si.peer_ino, &peer);
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

		text_answer(si.peer_ino, &peer);
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
	printf("  socket:[%lld] itself held by:\n", (long long)si.ino);
	text_holders(&mine);
	text_flights(&mine);
out:
	pl_holders_free(&mine);
	pl_holders_free(&peer);
	free(si.creator_exe);
	free(si.name);
	free(si.peer_name);
	return rc;
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

	rc = pl_cli_parse(argc, argv, usage, &o, &next, PL_CLI_COLUMNS);
	if (!rc)
		rc = pl_cols_setup(pl_holder_cols, pl_holder_ncols,
				   "PID,FD,PROGRAM,FROM,UNTIL,HOW", o.columns,
				   !o.no_headings, &cols);
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
	rc = find_target(db, (int)pid, &t);
	if (rc <= 0) {
		if (rc == 0)
			pl_error("no process with pid %ld in journal '%s'", pid,
				 o.journal);
		sqlite3_close(db);
		return rc == 0 ? PL_EXIT_NOTFOUND : PL_EXIT_JOURNAL;
	}
	rc = 0;

	pl_json_init(&j, stdout);
	if (fd >= 0) {
		int64_t sock = sock_at(db, &t, (int)fd);

		if (sock <= 0) {
			pl_error("pid %ld never held a socket at fd %ld in "
				 "journal '%s'", pid, fd, o.journal);
			rc = sock < 0 ? PL_EXIT_JOURNAL : PL_EXIT_NOTFOUND;
			goto out;
		}
		if (o.json) {
			pl_json_open(&j, NULL, '{');
			pl_json_open(&j, "query", '{');
			pl_json_int(&j, "pid", pid);
			pl_json_int(&j, "fd", fd);
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
			printf("pid %ld (%s) held no socket we saw\n", pid,
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
