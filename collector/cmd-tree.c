/* peerlog tree: the process tree, by fork, exec and spawn lineage, with
 * the socket ends each program image held.
 *
 * Two scans, whatever the size of the tree: the processes in id order, and
 * every holding in (process, fd) order along holding_by_process, kept in
 * memory without text (how each ended is resolved as it is read); then the
 * tree is printed depth first from memory. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model.h"
#include "output.h"
#include "peerlog.h"
#include "query.h"

static const char usage[] =
	"usage: peerlog tree [-j PATH] [--json] [--boot ID]\n"
	"\n"
	"Show the traced processes as a tree: a fork child under its parent,\n"
	"the program an exec started under the one it replaced. Under each,\n"
	"the socket ends it held, with their peers and how each was got and\n"
	"dropped.\n"
	"\n"
	"  -j, --journal PATH  journal to read (default $PEERLOG_JOURNAL, else\n"
	"                      ./peerlog.db)\n"
	"      --json          machine-readable output\n"
	"      --no-check      do not ask the kernel about live holders\n"
	"      --boot ID       only the processes of the boot whose id begins\n"
	"                      with ID (a merged journal)\n"
	"      --color[=WHEN]  auto (default: on a terminal, without NO_COLOR),\n"
	"                      always or never\n";

enum {
	P_ID, P_PARENT, P_PID, P_EXE, P_ARGV, P_ORIGIN, P_HELLO, P_STATUS,
	P_IMAGE
};

static const char procs_sql[] =
	"SELECT p.id, p.parent_id, p.pid, p.exe, p.argv, p.origin, p.hello_ns,"
	" p.exit_status, " PL_IMAGE_COLS " FROM process p " PL_SQL_BOOT_IS("p")
	" ORDER BY p.id";

enum {
	H_ID, H_PROC, H_FD, H_INO, H_PEER_INO, H_START, H_END, H_FROM, H_UNTIL,
	H_SRC_PID, H_SRC_FD, H_CLOEXEC, H_KIND, H_SIDE
};

static const char holdings_sql[] =
	"SELECT h.id, h.process_id, h.fd, s.ino, o.ino, h.start_reason, h.end_reason,"
	" h.from_ns, h.until_ns, sp.pid, sh.fd, h.cloexec, s.kind, s.side "
	"FROM holding h INDEXED BY holding_by_process "
	"JOIN sock s ON s.id = h.sock_id "
	"LEFT JOIN sock o ON o.id = s.peer_id "
	"LEFT JOIN holding sh ON sh.id = h.source_id "
	"LEFT JOIN process sp ON sp.id = sh.process_id "
	"ORDER BY h.process_id";

/* The journal's start_reason as one of ours (the schema allows no other). */
static const char *start_name(const char *s)
{
	static const char *const names[] = {
		"create", "open", "accept", "fork", "exec", "dup", "recv",
		"inherit", "found",
	};

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return names[i];
	return s ? "found" : NULL;
}

static const char *kind_name(const char *s)
{
	if (s && !strcmp(s, "pipe"))
		return "pipe";
	if (s && !strcmp(s, "fifo"))
		return "fifo";
	return "socket";
}

/* Node of image ID: ids grow with the rows, so a binary search. */
static struct pl_tree_node *node_of(struct pl_tree *t, int64_t id)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n && t->v[lo].id == id ? &t->v[lo] : NULL;
}

/* By fd, then in the order they started. */
static int cmp_hold(const void *a, const void *b)
{
	const struct pl_tree_hold *x = a, *y = b;

	if (x->fd != y->fd)
		return x->fd < y->fd ? -1 : 1;
	if (x->from_ns != y->from_ns)
		return x->from_ns < y->from_ns ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static int load_holdings(struct pl_tree *t)
{
	sqlite3_stmt *st = pl_db_prepare(t->db, holdings_sql);
	size_t cap = 0;
	int rc;

	if (!st)
		return PL_EXIT_JOURNAL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pl_tree_node *nd = node_of(t, sqlite3_column_int64(st, H_PROC));
		const char *end = (const char *)sqlite3_column_text(st, H_END);
		struct pl_tree_hold *h;

		if (!nd)
			continue;
		if (t->nholds == cap) {
			struct pl_tree_hold *v;

			cap = cap ? 2 * cap : 1024;
			v = realloc(t->holds, cap * sizeof(*v));
			if (!v) {
				sqlite3_finalize(st);
				return PL_EXIT_SYSTEM;
			}
			t->holds = v;
		}
		if (!nd->nhold)
			nd->hold_first = t->nholds;
		nd->nhold++;
		h = &t->holds[t->nholds++];
		memset(h, 0, sizeof(*h));
		h->id = sqlite3_column_int64(st, H_ID);
		h->fd = sqlite3_column_int(st, H_FD);
		h->ino = sqlite3_column_int64(st, H_INO);
		h->has_peer = sqlite3_column_type(st, H_PEER_INO) != SQLITE_NULL;
		h->peer_ino = sqlite3_column_int64(st, H_PEER_INO);
		h->from_ns = sqlite3_column_int64(st, H_FROM);
		h->until_ns = sqlite3_column_int64(st, H_UNTIL);
		h->src_pid = sqlite3_column_int(st, H_SRC_PID);
		h->src_fd = sqlite3_column_int(st, H_SRC_FD);
		h->start = start_name(
			(const char *)sqlite3_column_text(st, H_START));
		h->kind = kind_name(
			(const char *)sqlite3_column_text(st, H_KIND));
		h->side = sqlite3_column_int(st, H_SIDE);
		if (!end) {
			h->end = pl_holding_end(&t->q, &nd->img,
						sqlite3_column_int(st, H_CLOEXEC),
						&h->until_ns, &h->inferred);
			if (!strcmp(h->end, PL_END_ALIVE))
				h->kernel = pl_kernel_verdict(
					&t->q, nd->img.pid, h->fd,
					(uint64_t)h->ino);
		} else if (!strcmp(end, "close")) {
			h->end = PL_END_CLOSE;
		} else if (!strcmp(end, "kept")) {
			h->end = PL_END_KEPT;
		} else {
			h->end = PL_END_UNKNOWN;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return pl_db_fail(t->db, "cannot read holdings");
	/* in the order the index gives for each process, sorted here: a few
	 * holdings each, rather than a sort of them all */
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].nhold > 1)
			qsort(t->holds + t->v[i].hold_first, t->v[i].nhold,
			      sizeof(*t->holds), cmp_hold);
	return 0;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? strdup(s) : NULL;
}

static int load(struct pl_tree *t)
{
	sqlite3_stmt *st = pl_db_prepare(t->db, procs_sql);
	size_t cap = 0;
	int rc;

	if (!st)
		return PL_EXIT_JOURNAL;
	if (t->q.boot)
		sqlite3_bind_text(st, 1, t->q.boot, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pl_tree_node *nd;
		struct pl_image img;
		int64_t until;
		int untraced;

		if (t->n == cap) {
			cap = cap ? cap * 2 : 64;
			t->v = realloc(t->v, cap * sizeof(*t->v));
			if (!t->v) {
				sqlite3_finalize(st);
				return PL_EXIT_SYSTEM;
			}
		}
		nd = &t->v[t->n++];
		memset(nd, 0, sizeof(*nd));
		nd->id = sqlite3_column_int64(st, P_ID);
		nd->parent_id = sqlite3_column_int64(st, P_PARENT);
		nd->pid = sqlite3_column_int(st, P_PID);
		nd->exe = dup_col(st, P_EXE);
		nd->argv = dup_col(st, P_ARGV);
		nd->origin = dup_col(st, P_ORIGIN);
		nd->start_ns = sqlite3_column_int64(st, P_HELLO);
		pl_image_read(st, P_IMAGE, &img);
		nd->state = pl_image_state(&t->q, &img, &until, &untraced);
		/* kept for its holdings: the end as one of ours, text copied */
		nd->img = img;
		nd->img.end_reason = !img.end_reason ? NULL
				     : !strcmp(img.end_reason, "exec") ? "exec"
								       : "exit";
		nd->img.boot = nd->boot = img.boot ? strdup(img.boot) : NULL;
		nd->img.exec_path = nd->exec_path =
			img.exec_path ? strdup(img.exec_path) : NULL;
		nd->end_ns = until;
		if (untraced)
			nd->untraced = strdup(img.exec_path ? img.exec_path
							    : "?");
		nd->exit_status = sqlite3_column_type(st, P_STATUS) == SQLITE_NULL
					  ? -1 : sqlite3_column_int64(st, P_STATUS);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return pl_db_fail(t->db, "cannot read processes");

	/* Ids grow with time and a parent is always older than its child,
	 * so one backwards pass links children in order. */
	for (size_t i = t->n; i-- > 0;) {
		struct pl_tree_node *nd = &t->v[i];
		size_t lo = 0, hi = i;

		if (!nd->parent_id)
			continue;
		while (lo < hi) { /* binary search by id */
			size_t mid = (lo + hi) / 2;

			if (t->v[mid].id < nd->parent_id)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < i && t->v[lo].id == nd->parent_id) {
			nd->next_sibling = t->v[lo].first_child;
			t->v[lo].first_child = i + 1;
		} else {
			nd->parent_id = 0; /* parent not in the journal */
		}
	}
	return 0;
}

void pl_tree_state_text(const struct pl_tree_node *nd, struct pl_buf *b)
{
	if (nd->untraced)
		pl_buf_addf(b, "exec'd %s, not traced", nd->untraced);
	else if (!strcmp(nd->state, PL_END_EXEC))
		pl_buf_adds(b, "exec'd");
	else if (!strcmp(nd->state, PL_END_ALIVE))
		pl_buf_adds(b, "running");
	else if (!strcmp(nd->state, PL_END_EXIT) && nd->exit_status >= 0)
		pl_buf_addf(b, "exited %lld", (long long)nd->exit_status);
	else if (!strcmp(nd->state, PL_END_EXIT))
		pl_buf_adds(b, nd->end_ns ? "exited" : "gone");
	else
		pl_buf_adds(b, "gone during exec");
}

void pl_tree_hold_how(const struct pl_tree_hold *h, struct pl_buf *b)
{
	pl_how(h->start, h->src_pid, h->src_fd, 0, h->end, b);
	pl_how_marks(b, h->inferred, h->kernel);
}

/* Alive holdings green, yellow where the kernel disagrees. */
static enum pl_paint paint(const struct pl_tree_hold *h)
{
	if (h->kernel && strcmp(h->kernel, PL_KERNEL_OK))
		return PL_PAINT_WARN;
	return !strcmp(h->end, PL_END_ALIVE) ? PL_PAINT_GOOD : PL_PAINT_NONE;
}

/* J: JSON to it, NULL: text */
static int holdings(struct pl_tree *t, struct pl_json *j,
		    const struct pl_tree_node *nd, int depth)
{
	if (j)
		pl_json_open(j, "holdings", '[');
	for (size_t i = 0; i < nd->nhold; i++) {
		const struct pl_tree_hold *h = &t->holds[nd->hold_first + i];

		if (j) {
			pl_json_open(j, NULL, '{');
			pl_json_int(j, "fd", h->fd);
			pl_json_int(j, "inode", h->ino);
			pl_json_str(j, "kind", h->kind);
			if (pl_end_is_pipe(h->kind))
				pl_json_str(j, "end", h->side ? "write" : "read");
			if (!h->has_peer)
				pl_json_null(j, "peer_inode");
			else
				pl_json_int(j, "peer_inode", h->peer_ino);
			pl_json_time(j, "from", h->from_ns);
			pl_json_time(j, "until", h->until_ns);
			pl_json_str(j, "start_reason", h->start);
			pl_json_str(j, "end_reason", h->end);
			pl_json_bool(j, "inferred", h->inferred);
			pl_json_str(j, "kernel", h->kernel);
			pl_json_pid_fd(j, "source", h->src_pid, h->src_fd);
			pl_json_close(j, '}');
		} else {
			struct pl_buf how = { 0 }, peer = { 0 };

			pl_tree_hold_how(h, &how);
			if (pl_end_is_pipe(h->kind)) /* one inode, two ends */
				pl_buf_adds(&peer, h->side ? "write end"
							   : "read end");
			else if (h->has_peer)
				pl_buf_addf(&peer, "<-> [%lld]",
					    (long long)h->peer_ino);
			else
				pl_buf_adds(&peer, "<-> ?");
			printf("%*sfd %-3d %s:[%lld] %-13s %s%s%s\n",
			       2 * depth + 2, "", h->fd, h->kind,
			       (long long)h->ino, peer.p, pl_paint_on(paint(h)),
			       how.p, pl_paint_off(paint(h)));
			pl_buf_free(&how);
			pl_buf_free(&peer);
		}
	}
	if (j)
		pl_json_close(j, ']');
	return 0;
}

static int show(struct pl_tree *t, struct pl_json *j, size_t i, int depth)
{
	const struct pl_tree_node *nd = &t->v[i];
	int rc;

	if (j) {
		pl_json_open(j, NULL, '{');
		pl_json_int(j, "pid", nd->pid);
		pl_json_str(j, "exe", nd->exe);
		pl_json_raw(j, "argv", nd->argv);
		pl_json_str(j, "origin", nd->origin);
		pl_json_time(j, "start", nd->start_ns);
		pl_json_time(j, "end", nd->end_ns);
		pl_json_str(j, "end_reason", nd->state);
		pl_json_str(j, "untraced_exec", nd->untraced);
		if (nd->exit_status >= 0)
			pl_json_int(j, "exit_status", nd->exit_status);
		else
			pl_json_null(j, "exit_status");
	} else {
		struct pl_buf st = { 0 };

		pl_tree_state_text(nd, &st);
		printf("%*s%s%d %s [%s] %s\n", 2 * depth, "",
		       depth ? "`- " : "", nd->pid, pl_basename(nd->exe),
		       nd->origin, st.p);
		pl_buf_free(&st);
	}
	rc = holdings(t, j, nd, depth + (depth ? 1 : 0));
	if (j)
		pl_json_open(j, "children", '[');
	for (size_t c = nd->first_child; !rc && c; c = t->v[c - 1].next_sibling)
		rc = show(t, j, c - 1, depth + 1 + (depth ? 1 : 0));
	if (j) {
		pl_json_close(j, ']');
		pl_json_close(j, '}');
	}
	return rc;
}

int pl_tree_load(struct pl_tree *t)
{
	int rc = load(t);

	return rc ? rc : load_holdings(t);
}

void pl_tree_free(struct pl_tree *t)
{
	pl_query_free(&t->q);
	free(t->holds);
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].exe);
		free(t->v[i].argv);
		free(t->v[i].origin);
		free(t->v[i].untraced);
		free(t->v[i].boot);
		free(t->v[i].exec_path);
	}
	free(t->v);
	t->holds = NULL;
	t->v = NULL;
	t->n = t->nholds = 0;
}

int cmd_tree(int argc, char **argv)
{
	struct pl_tree t = { .q = { .live = 1 } };
	struct pl_opts o;
	struct pl_json json, *j = NULL;
	int next, rc, roots = 0;

	rc = pl_cli_parse(argc, argv, usage, &o, &next, PL_CLI_BOOT);
	if (rc)
		return rc < 0 ? PL_EXIT_OK : rc;
	if (next < argc) {
		pl_error("tree takes no operand ('%s')", argv[next]);
		return PL_EXIT_USAGE;
	}
	t.q.kernel = !o.no_check;
	t.q.boot = o.boot;
	rc = pl_journal_open_ingested(o.journal, &t.db);
	if (rc)
		return rc;
	pl_json_init(&json, stdout);
	if (o.json)
		j = &json;
	rc = pl_tree_load(&t);
	if (!rc && j) {
		pl_json_open(j, NULL, '{');
		pl_json_open(j, "processes", '[');
	}
	for (size_t i = 0; !rc && i < t.n; i++) {
		if (t.v[i].parent_id)
			continue;
		if (!j && roots)
			putchar('\n');
		rc = show(&t, j, i, 0);
		roots++;
	}
	if (!rc && j) {
		pl_json_close(j, ']');
		pl_json_live_check(j, &t.q);
		pl_json_close(j, '}');
	} else if (!rc && !roots) {
		printf("no process recorded in '%s'\n", o.journal);
	} else if (!rc) {
		putchar('\n');
		pl_text_live_check(&t.q);
	}
	pl_tree_free(&t);
	sqlite3_close(t.db);
	return rc;
}
