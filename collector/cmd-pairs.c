/* peerlog pairs: every socketpair and pipe recorded, who made it, and the
 * holders of each of its ends over time.
 *
 * Set-based where it can be: the ends of every pair come from one scan of
 * the sockets, the pairs from one scan in id order, and the holders of each
 * end from one indexed lookup (holding_by_sock) with a statement prepared
 * once. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model.h"
#include "output.h"
#include "peerlog.h"
#include "query.h"
#include "table.h"

static const char usage[] =
	"usage: peerlog pairs [-j PATH] [--json] [--boot ID] [-o COLS] [-n]\n"
	"\n"
	"List every socketpair and pipe in the journal: its type, the process\n"
	"that made it and when, and for each end every process that held it.\n"
	"A pipe's end 0 is its read end, end 1 its write end.\n"
	"\n"
	"  -j, --journal PATH  journal to read (default $PEERLOG_JOURNAL, else\n"
	"                      ./peerlog.db)\n"
	"      --json          machine-readable output\n"
	"      --no-check      do not ask the kernel about live holders\n"
	"      --boot ID       only the pairs made in the boot whose id begins\n"
	"                      with ID (a merged journal)\n"
	"  -o, --output COLS   the columns of the holder tables, comma-separated\n"
	"                      (+COLS adds to the default); -o help lists them\n"
	"  -n, --no-headings   no heading row\n"
	"      --color[=WHEN]  auto (default: on a terminal, without NO_COLOR),\n"
	"                      always or never\n";

static const char pairs_sql[] =
	"SELECT pr.id, pr.created_ns, pr.type, p.pid, p.exe, pr.domain "
	"FROM pair pr JOIN process p ON p.id = pr.process_id "
	PL_SQL_BOOT_IS("p") " ORDER BY pr.id";

/* Each side of a pair is one socket at most: a socket found again for a
 * later socketpair moves to it. */
static const char ends_sql[] =
	"SELECT pair_id, side, id, ino, cookie FROM sock "
	"WHERE pair_id IS NOT NULL AND (side = 0 OR side = 1)";

struct end {
	int64_t sock, ino, cookie; /* sock 0: none */
};

/* The ends of pairs 1 to N, two per pair, by pair id. */
struct ends {
	struct end *v;
	int64_t n;
};

static int ends_load(sqlite3 *db, struct ends *e)
{
	sqlite3_stmt *st = pl_db_prepare(db, ends_sql);
	int rc;

	memset(e, 0, sizeof(*e));
	if (!st)
		return PL_EXIT_JOURNAL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t pair = sqlite3_column_int64(st, 0);
		int side = sqlite3_column_int(st, 1);
		struct end *x;

		if (pair <= 0)
			continue;
		if (pair > e->n) {
			int64_t n = e->n ? e->n : 1024;
			struct end *v;

			while (n < pair)
				n *= 2;
			v = realloc(e->v, (size_t)n * 2 * sizeof(*v));
			if (!v) {
				sqlite3_finalize(st);
				return PL_EXIT_SYSTEM;
			}
			memset(v + 2 * e->n, 0, (size_t)(n - e->n) * 2 * sizeof(*v));
			e->v = v;
			e->n = n;
		}
		x = &e->v[2 * (pair - 1) + side];
		x->sock = sqlite3_column_int64(st, 2);
		x->ino = sqlite3_column_int64(st, 3);
		x->cookie = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : pl_db_fail(db, "cannot read sockets");
}

static const struct end *end_of(const struct ends *e, int64_t pair, int side)
{
	static const struct end none;

	return pair > 0 && pair <= e->n ? &e->v[2 * (pair - 1) + side] : &none;
}

/* The holders of the ends of the next pairs, loaded together: one query
 * over the range of their socket ids where those are close together (they
 * are made in that order), else one query per socket. */
#define WINDOW_PAIRS 256

struct window {
	int64_t first, last; /* pair ids covered */
	int64_t socks[2 * WINDOW_PAIRS];
	struct pl_holders hs[2 * WINDOW_PAIRS];
	size_t n;
};

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void window_free(struct window *w)
{
	for (size_t i = 0; i < w->n; i++)
		pl_holders_free(&w->hs[i]);
	w->n = 0;
	w->first = w->last = 0;
}

static int window_load(sqlite3 *db, struct pl_query *q, const struct ends *e,
		       int64_t pair, struct window *w)
{
	size_t n = 0, k = 0;
	int rc = 0;

	window_free(w);
	w->first = pair;
	w->last = pair + WINDOW_PAIRS - 1;
	for (int64_t p = w->first; p <= w->last && p <= e->n; p++)
		for (int side = 0; side < 2; side++)
			if (end_of(e, p, side)->sock)
				w->socks[n++] = end_of(e, p, side)->sock;
	for (size_t i = 1; i < n; i++) /* made in order, as a rule */
		if (w->socks[i] < w->socks[i - 1]) {
			qsort(w->socks, n, sizeof(w->socks[0]), cmp_id);
			break;
		}
	for (size_t i = 0; i < n; i++) /* a socket is on one side of one pair */
		if (!k || w->socks[k - 1] != w->socks[i])
			w->socks[k++] = w->socks[i];
	w->n = k;
	if (k && w->socks[k - 1] - w->socks[0] < 8 * (int64_t)k)
		return pl_holders_load_range(db, q, w->socks, k, w->hs);
	memset(w->hs, 0, k * sizeof(w->hs[0]));
	for (size_t i = 0; i < k && !rc; i++)
		rc = pl_holders_load(db, q, w->socks[i], &w->hs[i]);
	return rc;
}

/* The holders of socket SOCK (0: none) from the window. */
static const struct pl_holders *window_get(const struct window *w,
					   int64_t sock)
{
	static const struct pl_holders none;
	const int64_t *at;

	if (!sock)
		return &none;
	at = bsearch(&sock, w->socks, w->n, sizeof(w->socks[0]), cmp_id);
	return at ? &w->hs[at - w->socks] : &none;
}

static struct pl_cols cols; /* of the holder tables, as -o picked */

static void text_end(int side, int64_t ino, int pipe,
		     const struct pl_holders *hs)
{
	struct pl_buf name = { 0 };

	pl_end_name(&name, pipe ? "pipe" : "socket", ino, side, NULL);
	printf("  end %d %s\n", side, name.p);
	pl_buf_free(&name);
	pl_holder_table(&cols, hs);
}

int pl_pairs_each(sqlite3 *db, struct pl_query *q, pl_pair_fn fn, void *arg)
{
	static struct window win;
	struct ends ends;
	sqlite3_stmt *st;
	int rc, n = 0;

	rc = ends_load(db, &ends);
	if (rc)
		return -rc;
	st = pl_db_prepare(db, pairs_sql);
	if (!st) {
		free(ends.v);
		return -PL_EXIT_JOURNAL;
	}
	if (q->boot)
		sqlite3_bind_text(st, 1, q->boot, -1, SQLITE_STATIC);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct pl_pair p = {
			.id = sqlite3_column_int64(st, 0),
			.created_ns = sqlite3_column_int64(st, 1),
			.type = sqlite3_column_int(st, 2),
			.pid = sqlite3_column_int(st, 3),
			.exe = (const char *)sqlite3_column_text(st, 4),
			/* pipe(): no domain */
			.pipe = sqlite3_column_int(st, 5) == 0,
		};
		struct pl_site site;

		if (pl_site_of_st(db, q->site_st, end_of(&ends, p.id, 0)->sock,
				  &site) > 0)
			p.site = &site;
		if (p.id < win.first || p.id > win.last)
			rc = window_load(db, q, &ends, p.id, &win);
		for (int side = 0; side < 2 && !rc; side++) {
			const struct end *e = end_of(&ends, p.id, side);

			p.end[side].sock = e->sock;
			p.end[side].ino = e->ino;
			p.end[side].cookie = e->cookie;
			p.end[side].holders = window_get(&win, e->sock);
		}
		if (!rc)
			fn(arg, &p);
		n++;
	}
	sqlite3_finalize(st);
	window_free(&win);
	free(ends.v);
	return rc ? -rc : n;
}

struct out {
	struct pl_json *j; /* NULL: text */
	int n;
};

static void print_pair(void *arg, const struct pl_pair *p)
{
	struct out *out = arg;
	struct pl_json *j = out->j;
	const char *type = p->pipe ? "pipe" : pl_sock_type_name(p->type);
	char at[40];

	if (j) {
		pl_json_open(j, NULL, '{');
		pl_json_int(j, "id", p->id);
		pl_json_str(j, "type", type);
		pl_json_str(j, "kind", p->pipe ? "pipe" : "socket");
		pl_json_time(j, "created", p->created_ns);
		pl_json_open(j, "creator", '{');
		pl_json_int(j, "pid", p->pid);
		pl_json_str(j, "exe", p->exe);
		pl_json_close(j, '}');
		if (p->site)
			pl_json_site(j, "created_at", p->site);
		else
			pl_json_null(j, "created_at");
		pl_json_open(j, "ends", '[');
	} else {
		struct pl_buf where = { 0 };

		pl_site_append(&where, " in ", p->site);
		pl_fmt_time((uint64_t)p->created_ns, 0, at, sizeof(at));
		printf("%spair %lld: %s, made by pid %d (%s) at %s%s\n",
		       out->n ? "\n" : "", (long long)p->id, type, p->pid,
		       pl_basename(p->exe),
		       at, pl_buf_str(&where));
		pl_buf_free(&where);
	}
	for (int side = 0; side < 2; side++) {
		const struct pl_pair_end *e = &p->end[side];

		if (j) {
			pl_json_open(j, NULL, '{');
			pl_json_int(j, "side", side);
			if (p->pipe)
				pl_json_str(j, "end", side ? "write" : "read");
			pl_json_int(j, "inode", e->ino);
			if (p->pipe || !e->cookie) /* ours, or none */
				pl_json_null(j, "cookie");
			else
				pl_json_int(j, "cookie", e->cookie);
			pl_json_open(j, "holders", '[');
			for (size_t i = 0; i < e->holders->n; i++)
				pl_json_holder(j, &e->holders->v[i]);
			pl_json_close(j, ']');
			pl_json_close(j, '}');
		} else {
			text_end(side, e->ino, p->pipe, e->holders);
		}
	}
	if (j) {
		pl_json_close(j, ']');
		pl_json_close(j, '}');
	}
	out->n++;
}

int cmd_pairs(int argc, char **argv)
{
	struct pl_query q = { .live = 1, .no_flights = 1 };
	struct pl_opts o;
	struct pl_json j;
	struct out out = { NULL, 0 };
	sqlite3 *db;
	int next, rc, n;

	rc = pl_holder_cli(argc, argv, usage, &o, &next, "PID,PROGRAM,FD,HOW",
			   &cols);
	if (rc)
		return rc < 0 ? PL_EXIT_OK : rc;
	cols.indent = 4;
	q.kernel = !o.no_check;
	q.boot = o.boot;
	if (next < argc) {
		pl_error("pairs takes no operand ('%s')", argv[next]);
		return PL_EXIT_USAGE;
	}
	rc = pl_journal_open_ingested(o.journal, &db);
	if (rc)
		return rc;
	pl_json_init(&j, stdout);
	if (o.json) {
		out.j = &j;
		pl_json_open(&j, NULL, '{');
		pl_json_open(&j, "pairs", '[');
	}
	n = pl_pairs_each(db, &q, print_pair, &out);
	rc = n < 0 ? -n : 0;
	if (o.json) {
		pl_json_close(&j, ']');
		pl_json_live_check(&j, &q);
		pl_json_close(&j, '}');
	} else if (!n && !rc) {
		printf("no socketpair or pipe recorded in '%s'\n", o.journal);
	} else if (!rc) {
		putchar('\n');
		pl_text_live_check(&q);
	}
	pl_query_free(&q);
	sqlite3_close(db);
	return rc;
}
