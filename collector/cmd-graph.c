/* peerlog graph: the IPC topology. Processes are nodes (pid, program),
 * grouped by lineage (one cluster per traced tree, fork and spawn edges
 * dotted); each pair or connection is an edge between the processes that
 * held its ends to the end (or, where none did, were the last to hold
 * them), labelled with their fds; ends that lint flags are drawn red. Formats: dot, mermaid, json; -o FILE.svg or .png renders
 * with Graphviz's dot.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"
#include "output.h"
#include "peerlog.h"
#include "query.h"

static const char usage[] =
	"usage: peerlog graph [-j PATH] [--format dot|mermaid|json] [-o FILE]\n"
	"\n"
	"Draw the processes and the socket ends between them: an edge per pair\n"
	"or connection, between the processes that held its ends to the end,\n"
	"labelled with their fds; fork and spawn lineage dotted; ends that\n"
	"'peerlog lint' flags in red. With -o FILE.svg or FILE.png the graph is\n"
	"rendered by Graphviz's dot, which must be installed.\n"
	"\n"
	"  -j, --journal PATH  journal to read (default $PEERLOG_JOURNAL, else\n"
	"                      ./peerlog.db)\n"
	"      --format FMT    dot (default), mermaid or json\n"
	"  -o, --output FILE   write there instead of standard output (a file,\n"
	"                      not the columns -o picks in the tables of who,\n"
	"                      pairs, ls and events)\n";

static int node_of_image(const struct pl_graph *g, sqlite3 *db,
			 int64_t image);

/* Lint's findings: the flagged ends noted, each passed on. */
struct lint_note {
	struct pl_graph *g;
	pl_lint_fn fn;
	void *arg;
};

static void note_leak(void *arg, const struct pl_finding *f)
{
	struct lint_note *ln = arg;
	struct pl_graph *g = ln->g;
	int64_t *v = realloc(g->leaks, (g->nleaks + 1) * sizeof(*v));

	if (ln->fn)
		ln->fn(ln->arg, f);
	if (!v)
		return;
	g->leaks = v;
	v[g->nleaks++] = (int64_t)f->pid << 32 | (uint32_t)f->fd;
}

static int leaked(const struct pl_graph *g, int pid, int fd)
{
	for (size_t i = 0; i < g->nleaks; i++)
		if (g->leaks[i] == ((int64_t)pid << 32 | (uint32_t)fd))
			return 1;
	return 0;
}

/* One node per process (pid and start time): the images of an exec chain
 * are one process. */
static int load_nodes(struct pl_graph *g, sqlite3 *db)
{
	sqlite3_stmt *st = pl_db_prepare(
		db, "SELECT p.id, p.pid, p.origin, p.parent_id, "
		    "(SELECT l.exe FROM process l WHERE l.pid = p.pid AND "
		    " l.boot = p.boot AND l.start_ticks = p.start_ticks "
		    " ORDER BY l.id DESC LIMIT 1) "
		    "FROM process p WHERE p.origin <> 'exec' ORDER BY p.id");

	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct pl_graph_node *n = realloc(g->n, (g->nn + 1) * sizeof(*n));
		const char *exe = (const char *)sqlite3_column_text(st, 4);
		int64_t parent_image = sqlite3_column_int64(st, 3);

		if (!n) {
			sqlite3_finalize(st);
			return -1;
		}
		g->n = n;
		n += g->nn;
		memset(n, 0, sizeof(*n));
		n->first_image = sqlite3_column_int64(st, 0);
		n->pid = sqlite3_column_int(st, 1);
		n->exe = strdup(exe ? exe : "?");
		n->root = (int)g->nn;
		if (parent_image) {
			int p = node_of_image(g, db, parent_image);

			if (p >= 0) {
				n->parent = p + 1;
				n->root = g->n[p].root;
			}
		}
		g->nn++;
	}
	sqlite3_finalize(st);
	return 0;
}

/* The node an image belongs to: its exec chain back to its first image. */
static int node_of_image(const struct pl_graph *g, sqlite3 *db,
			 int64_t image)
{
	sqlite3_stmt *st = pl_db_prepare(
		db, "WITH RECURSIVE up(id, parent_id, origin) AS ("
		    " SELECT id, parent_id, origin FROM process WHERE id = ?1 "
		    " UNION ALL SELECT p.id, p.parent_id, p.origin FROM process p "
		    " JOIN up ON p.id = up.parent_id WHERE up.origin = 'exec') "
		    "SELECT id FROM up WHERE origin <> 'exec' LIMIT 1");
	int64_t first = 0;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, image);
	if (sqlite3_step(st) == SQLITE_ROW)
		first = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (size_t i = 0; i < g->nn; i++)
		if (g->n[i].first_image == first)
			return (int)i;
	return -1;
}

/* The final holders of an end: those that held it to the end, or where
 * none did, the last to let it go. Image ids and fds. */
struct holder_list {
	int64_t image[16];
	int fd[16];
	int n;
};

static int final_holders(sqlite3_stmt *st, int64_t sock, struct holder_list *l)
{
	int64_t latest = -1;
	int any_kept = 0;

	l->n = 0;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, sock);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int kept = sqlite3_column_int(st, 2);
		int64_t until = sqlite3_column_int64(st, 3);

		if (any_kept && !kept)
			continue;
		if (kept && !any_kept) { /* held to the end beats the rest */
			any_kept = 1;
			l->n = 0;
		}
		if (!kept) {
			if (until < latest)
				continue;
			if (until > latest)
				l->n = 0;
			latest = until;
		}
		if (l->n < 16) {
			l->image[l->n] = sqlite3_column_int64(st, 0);
			l->fd[l->n++] = sqlite3_column_int(st, 1);
		}
	}
	return 0;
}

/* Edges: for each pair or connection, every final holder of one end with
 * every final holder of the other. A pipe's (or FIFO's) edge is directed:
 * from its write end (a) to its read end (b), the way the data goes. */
static int load_edges(struct pl_graph *g, sqlite3 *db)
{
	sqlite3_stmt *ends = pl_db_prepare(
		db, "SELECT s.id, s.ino, o.id, o.ino, s.pair_id, s.kind, s.side "
		    "FROM sock s "
		    "JOIN sock o ON o.id = s.peer_id WHERE s.id < o.id "
		    "ORDER BY s.id");
	sqlite3_stmt *holders = pl_db_prepare(
		db, "SELECT h.process_id, h.fd, (" PL_SQL_HELD_TO_END(h, p) "),"
		    " COALESCE(h.until_ns, p.end_ns, 0) FROM holding h "
		    "JOIN process p ON p.id = h.process_id WHERE h.sock_id = ?1 "
		    "AND h.end_reason IS NOT 'kept' ORDER BY h.id");
	int rc = 0;

	if (!ends || !holders) {
		sqlite3_finalize(ends);
		sqlite3_finalize(holders);
		return -1;
	}
	while (!rc && sqlite3_step(ends) == SQLITE_ROW) {
		struct holder_list la, lb;
		const char *sk = (const char *)sqlite3_column_text(ends, 5);
		const char *kind = sk && !strcmp(sk, "pipe")   ? "pipe"
				   : sk && !strcmp(sk, "fifo") ? "fifo"
				   : sqlite3_column_type(ends, 4) == SQLITE_NULL
					   ? "connection" : "pair";
		/* a: the write end's column, 0 or 2 */
		int wa = strcmp(kind, "pipe") && strcmp(kind, "fifo") ? 0
			 : sqlite3_column_int(ends, 6) == 1 ? 0 : 2;

		final_holders(holders, sqlite3_column_int64(ends, wa), &la);
		final_holders(holders, sqlite3_column_int64(ends, 2 - wa), &lb);
		for (int i = 0; i < la.n; i++)
			for (int k = 0; k < lb.n; k++) {
				struct pl_graph_edge *e = realloc(g->e, (g->ne + 1) *
								       sizeof(*e));

				if (!e) {
					rc = -1;
					break;
				}
				g->e = e;
				e += g->ne;
				e->a = node_of_image(g, db, la.image[i]);
				e->b = node_of_image(g, db, lb.image[k]);
				if (e->a < 0 || e->b < 0)
					continue;
				e->fda = la.fd[i];
				e->fdb = lb.fd[k];
				e->ino_a = sqlite3_column_int64(ends, wa + 1);
				e->ino_b = sqlite3_column_int64(ends, 3 - wa);
				e->sock_a = sqlite3_column_int64(ends, wa);
				e->sock_b = sqlite3_column_int64(ends, 2 - wa);
				e->kind = kind;
				e->leak = leaked(g, g->n[e->a].pid, e->fda) ||
					  leaked(g, g->n[e->b].pid, e->fdb);
				e->site[0] = '\0';
				{
					struct pl_site site;
					struct pl_buf t = { 0 };

					if (pl_site_of_end(
						    db, sqlite3_column_int64(ends, 4),
						    e->ino_a, &site) > 0) {
						pl_site_text(&site, &t);
						snprintf(e->site, sizeof(e->site),
							 "%s", t.p);
						pl_buf_free(&t);
					}
				}
				g->ne++;
			}
	}
	sqlite3_finalize(ends);
	sqlite3_finalize(holders);
	return rc;
}

int pl_graph_edge_directed(const struct pl_graph_edge *e)
{
	return !strcmp(e->kind, "pipe") || !strcmp(e->kind, "fifo");
}

static void dot_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void pl_graph_write_dot(const struct pl_graph *g, FILE *f)
{
	fprintf(f, "digraph peerlog {\n\trankdir=LR;\n"
		   "\tnode [shape=box, fontname=\"monospace\"];\n");
	for (size_t r = 0; r < g->nn; r++) {
		if (g->n[r].root != (int)r)
			continue;
		fprintf(f, "\tsubgraph cluster_%zu {\n\t\tlabel=\"tree of %d\";"
			   "\n\t\tstyle=dashed;\n", r, g->n[r].pid);
		for (size_t i = 0; i < g->nn; i++) {
			char label[600];

			if (g->n[i].root != (int)r)
				continue;
			snprintf(label, sizeof(label), "%d %s", g->n[i].pid,
				 pl_basename(g->n[i].exe));
			fprintf(f, "\t\tp%zu [label=", i);
			dot_quote(f, label);
			fprintf(f, "];\n");
		}
		fprintf(f, "\t}\n");
	}
	for (size_t i = 0; i < g->nn; i++)
		if (g->n[i].parent)
			fprintf(f, "\tp%lld -> p%zu [style=dotted, color=gray];\n",
				(long long)g->n[i].parent - 1, i);
	for (size_t i = 0; i < g->ne; i++) {
		const struct pl_graph_edge *e = &g->e[i];

		char label[400];

		if (pl_graph_edge_directed(e)) {
			snprintf(label, sizeof(label), "fd %d -> fd %d\n%s:[%lld]%s%s",
				 e->fda, e->fdb, e->kind, (long long)e->ino_a,
				 e->site[0] ? "\n" : "", e->site);
			fprintf(f, "\tp%d -> p%d [style=dashed, label=", e->a,
				e->b);
		} else {
			snprintf(label, sizeof(label),
				 "fd %d - fd %d\n[%lld]-[%lld]%s%s", e->fda,
				 e->fdb, (long long)e->ino_a, (long long)e->ino_b,
				 e->site[0] ? "\n" : "", e->site);
			fprintf(f, "\tp%d -> p%d [dir=both, arrowhead=none, "
				   "arrowtail=none, label=", e->a, e->b);
		}
		dot_quote(f, label);
		fprintf(f, "%s%s];\n",
			!strcmp(e->kind, "connection") ? ", style=bold" : "",
			e->leak ? ", color=red, fontcolor=red" : "");
	}
	fprintf(f, "}\n");
}

void pl_graph_write_mermaid(const struct pl_graph *g, FILE *f)
{
	int link = 0;

	fprintf(f, "graph LR\n");
	for (size_t i = 0; i < g->nn; i++) {
		const char *base = pl_basename(g->n[i].exe);

		fprintf(f, "  p%zu[\"%d ", i, g->n[i].pid);
		for (; *base; base++) /* mermaid labels: no quotes inside */
			fputc(*base == '"' ? '\'' : *base, f);
		fprintf(f, "\"]\n");
	}
	for (size_t i = 0; i < g->nn; i++)
		if (g->n[i].parent) {
			fprintf(f, "  p%lld -.-> p%zu\n",
				(long long)g->n[i].parent - 1, i);
			link++;
		}
	for (size_t i = 0; i < g->ne; i++) {
		const struct pl_graph_edge *e = &g->e[i];

		if (pl_graph_edge_directed(e))
			fprintf(f, "  p%d -.->|\"fd %d -> fd %d\"| p%d\n", e->a,
				e->fda, e->fdb, e->b);
		else
			fprintf(f, "  p%d ---|\"fd %d - fd %d\"| p%d\n", e->a,
				e->fda, e->fdb, e->b);
		if (e->leak)
			fprintf(f, "  linkStyle %d stroke:red,color:red\n", link);
		link++;
	}
}

static void write_json(const struct pl_graph *g, FILE *f)
{
	struct pl_json j;
	char id[32];

	pl_json_init(&j, f);
	pl_json_open(&j, NULL, '{');
	pl_json_open(&j, "nodes", '[');
	for (size_t i = 0; i < g->nn; i++) {
		snprintf(id, sizeof(id), "p%zu", i);
		pl_json_open(&j, NULL, '{');
		pl_json_str(&j, "id", id);
		pl_json_int(&j, "pid", g->n[i].pid);
		pl_json_str(&j, "exe", g->n[i].exe);
		snprintf(id, sizeof(id), "p%d", g->n[i].root);
		pl_json_str(&j, "tree", id);
		pl_json_close(&j, '}');
	}
	pl_json_close(&j, ']');
	pl_json_open(&j, "edges", '[');
	for (size_t i = 0; i < g->nn; i++) {
		if (!g->n[i].parent)
			continue;
		pl_json_open(&j, NULL, '{');
		snprintf(id, sizeof(id), "p%lld", (long long)g->n[i].parent - 1);
		pl_json_str(&j, "from", id);
		snprintf(id, sizeof(id), "p%zu", i);
		pl_json_str(&j, "to", id);
		pl_json_str(&j, "kind", "lineage");
		pl_json_close(&j, '}');
	}
	for (size_t i = 0; i < g->ne; i++) {
		const struct pl_graph_edge *e = &g->e[i];

		pl_json_open(&j, NULL, '{');
		snprintf(id, sizeof(id), "p%d", e->a);
		pl_json_str(&j, "from", id);
		snprintf(id, sizeof(id), "p%d", e->b);
		pl_json_str(&j, "to", id);
		pl_json_str(&j, "kind", e->kind);
		pl_json_int(&j, "from_fd", e->fda);
		pl_json_int(&j, "to_fd", e->fdb);
		pl_json_int(&j, "from_inode", e->ino_a);
		pl_json_int(&j, "to_inode", e->ino_b);
		pl_json_bool(&j, "leak", e->leak);
		pl_json_str(&j, "created_at", e->site[0] ? e->site : NULL);
		pl_json_close(&j, '}');
	}
	pl_json_close(&j, ']');
	pl_json_close(&j, '}');
}

int pl_graph_build(sqlite3 *db, pl_lint_fn fn, void *arg, struct pl_graph *g)
{
	struct lint_note ln = { g, fn, arg };
	int found;

	memset(g, 0, sizeof(*g));
	found = pl_lint_run(db, note_leak, &ln);
	if (found < 0 || load_nodes(g, db) < 0 || load_edges(g, db) < 0)
		return -1;
	return found;
}

void pl_graph_free(struct pl_graph *g)
{
	for (size_t i = 0; i < g->nn; i++)
		free(g->n[i].exe);
	free(g->n);
	free(g->e);
	free(g->leaks);
	memset(g, 0, sizeof(*g));
}

static const char *ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix) ? s + n - m : NULL;
}

/* Parse the options graph adds to the common ones. */
static int parse(int argc, char **argv, const char **format,
		 const char **out, int *ret_next)
{
	int w = 1;

	for (int i = 1; i < argc; i++) {
		const char **to = NULL;

		if (!strcmp(argv[i], "--format"))
			to = format;
		else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output"))
			to = out;
		if (!to) {
			argv[w++] = argv[i];
			continue;
		}
		if (i + 1 >= argc) {
			pl_error("option '%s' needs a value", argv[i]);
			return PL_EXIT_USAGE;
		}
		*to = argv[++i];
	}
	*ret_next = w;
	return 0;
}

int cmd_graph(int argc, char **argv)
{
	const char *format = NULL, *out = NULL;
	struct pl_graph g = { 0 };
	struct pl_opts o;
	sqlite3 *db;
	FILE *f = stdout;
	struct sigaction sa;
	int next, rc, render = 0;

	rc = parse(argc, argv, &format, &out, &argc);
	if (rc)
		return rc;
	rc = pl_cli_parse(argc, argv, usage, &o, &next, 0);
	if (rc)
		return rc < 0 ? PL_EXIT_OK : rc;
	if (next < argc) {
		pl_error("graph takes no operand ('%s')", argv[next]);
		return PL_EXIT_USAGE;
	}
	if (!format)
		format = o.json ? "json" : "dot";
	if (strcmp(format, "dot") && strcmp(format, "mermaid") &&
	    strcmp(format, "json")) {
		pl_error("unknown format '%s' (dot, mermaid or json)", format);
		return PL_EXIT_USAGE;
	}
	if (out && (ends_with(out, ".svg") || ends_with(out, ".png"))) {
		if (strcmp(format, "dot")) {
			pl_error("'%s' is rendered from dot, not %s", out, format);
			return PL_EXIT_USAGE;
		}
		if (pl_cli_parse_only)
			return PL_EXIT_JOURNAL;
		if (system("command -v dot >/dev/null 2>&1") != 0) {
			pl_error("cannot render '%s': Graphviz's 'dot' is not "
				 "installed (apt-get install graphviz)", out);
			return PL_EXIT_SYSTEM;
		}
		render = 1;
	}
	rc = pl_journal_open_ingested(o.journal, &db);
	if (rc)
		return rc;
	if (pl_graph_build(db, NULL, NULL, &g) < 0) {
		rc = PL_EXIT_JOURNAL;
		goto done;
	}
	if (render) {
		struct pl_buf cmd = { 0 };

		pl_buf_addf(&cmd, "dot -T%s -o ",
			    ends_with(out, ".svg") ? "svg" : "png");
		pl_buf_shell_quote(&cmd, out);
		f = pl_popen_write(cmd.p, &sa);
		pl_buf_free(&cmd);
	} else if (out) {
		f = fopen(out, "w");
	}
	if (!f) {
		pl_error("cannot write '%s'", out);
		rc = PL_EXIT_SYSTEM;
		goto done;
	}
	if (!strcmp(format, "dot"))
		pl_graph_write_dot(&g, f);
	else if (!strcmp(format, "mermaid"))
		pl_graph_write_mermaid(&g, f);
	else
		write_json(&g, f);
	if (render && pl_pclose_write(f, &sa) != 0) {
		pl_error("dot could not render '%s'", out);
		rc = PL_EXIT_SYSTEM;
	} else if (!render && out && fclose(f) != 0) {
		pl_error("cannot write '%s'", out);
		rc = PL_EXIT_SYSTEM;
	}
done:
	pl_graph_free(&g);
	sqlite3_close(db);
	return rc;
}
