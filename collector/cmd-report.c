/* peerlog report: what every query says, for a CI job. Into one directory,
 * report.html (one self-contained page: the counts, the topology as
 * inline SVG, lint's findings, the process tree with the ends each image
 * held, every pair and connection with its holders, the live check) and
 * summary.md (the counts, the findings and a mermaid graph, each capped,
 * for a job log or GitHub's step summary).
 *
 * The journal is read through the pieces the other commands print
 * (query.h): tree's load, graph's builder with lint's findings, pairs'
 * walk, check's comparison. Everything from the journal is text we do not
 * control (paths, argv, socket names): it goes through pl_buf_html() or
 * md_text(), never into markup as it is. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "model.h"
#include "output.h"
#include "peerlog.h"
#include "query.h"

static const char usage[] =
	"usage: peerlog report [-j PATH] [-o DIR] [--markdown] [--no-dot]\n"
	"                      [--fail-on-findings] [--no-check]\n"
	"\n"
	"Write DIR/report.html, one self-contained page with the topology,\n"
	"the findings of 'peerlog lint', the process tree, every pair and\n"
	"connection with its holders and the live check, and DIR/summary.md,\n"
	"a short Markdown summary for a CI log or step summary. Prints the\n"
	"paths written.\n"
	"\n"
	"  -j, --journal PATH    journal to read (default $PEERLOG_JOURNAL,\n"
	"                        else ./peerlog.db)\n"
	"  -o, --output DIR      where to write (default ./peerlog-report;\n"
	"                        made if missing)\n"
	"      --markdown        print the summary on standard output too\n"
	"      --no-dot          draw the graph with the built-in layout even\n"
	"                        when Graphviz's dot is installed\n"
	"      --fail-on-findings  exit 1 when lint finds anything\n"
	"      --no-check        do not ask the kernel about live holders\n"
	"\n"
	"exit status: 0 written, 1 written with findings (--fail-on-findings),\n"
	"2 usage (or DIR is not a directory), 3 journal unusable, 4 cannot\n"
	"write\n";

/* summary.md lists at most this many findings and disagreements, and
 * draws the first processes only, so that a large journal stays legible */
#define MD_MAX_ROWS 20
#define MD_MAX_NODES 40
#define MD_MAX_EDGES 80

/* A lint finding, copied out of the query's row. */
struct finding {
	char *rule, *exe, *detail, *site; /* site NULL: not known */
	int pid, fd;
	int64_t ino;
};

/* A check verdict, copied. */
struct verdict {
	char *exe, *verdict, *detail;
	int pid, fd, ok;
	uint64_t ino;
};

struct report {
	const char *journal;
	sqlite3 *db;
	struct pl_tree t;
	struct pl_graph g;
	struct finding *f;
	size_t nf;
	struct verdict *v;
	size_t nv;
	struct pl_check c;
	const char *no_live; /* why no live check was made; NULL: made */
	int npairs, npipes, nconns, nimages; /* npairs: socketpairs */
	struct pl_buf pairs, conns; /* their sections, made as they are read */
	struct pl_buf boots;        /* the boot ids, ", " between */
	size_t nboots;
	int64_t first_ns, last_ns;
	int running;                /* images still running */
	int oom;
};

static void *grow(void *v, size_t n, size_t size, struct report *r)
{
	void *p = realloc(v, (n + 1) * size);

	if (!p)
		r->oom = 1;
	return p;
}

/* "s" after a count other than 1 */
static const char *plural(long long n)
{
	return n == 1 ? "" : "s";
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Lint's findings as graph's builder passes them on, with their sites. */
static void note_finding(void *arg, const struct pl_finding *pf)
{
	struct report *r = arg;
	struct finding *f = grow(r->f, r->nf, sizeof(*f), r);
	struct pl_site site;

	if (!f)
		return;
	r->f = f;
	f += r->nf++;
	memset(f, 0, sizeof(*f));
	f->rule = dup_or_null(pf->rule);
	f->exe = dup_or_null(pf->exe);
	f->detail = dup_or_null(pf->detail);
	f->pid = pf->pid;
	f->fd = pf->fd;
	f->ino = pf->ino;
	if (pl_site_of_end(r->db, pf->pair, pf->ino, &site) > 0) {
		struct pl_buf t = { 0 };

		pl_site_text(&site, &t);
		f->site = t.p;
	}
}

static int flagged(const struct report *r, int pid, int fd, int64_t ino)
{
	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].pid == pid && r->f[i].fd == fd && r->f[i].ino == ino)
			return 1;
	return 0;
}

static void note_verdict(void *arg, const struct pl_check_end *e)
{
	struct report *r = arg;
	struct verdict *v = grow(r->v, r->nv, sizeof(*v), r);

	if (!v)
		return;
	r->v = v;
	v += r->nv++;
	v->exe = dup_or_null(e->exe);
	v->verdict = dup_or_null(e->verdict);
	v->detail = dup_or_null(e->detail);
	v->pid = e->pid;
	v->fd = e->fd;
	v->ok = e->ok;
	v->ino = e->ino;
}

/* The time of day of NS, UTC, to the millisecond ("-" when not known). */
static void clock_text(struct pl_buf *b, int64_t ns)
{
	char iso[64];

	if (ns <= 0) {
		pl_buf_adds(b, "\xe2\x80\x93");
		return;
	}
	pl_fmt_time((uint64_t)ns, 1, iso, sizeof(iso));
	pl_buf_add(b, iso + 11, 12); /* HH:MM:SS.mmm of ...THH:MM:SS.uuuuuuZ */
}

static void date_text(struct pl_buf *b, int64_t ns)
{
	char iso[64];

	pl_fmt_time((uint64_t)ns, 1, iso, sizeof(iso));
	iso[23] = '\0'; /* to the millisecond */
	iso[10] = ' ';
	pl_buf_adds(b, iso);
}

/* The last cells of a holding's row: from, until, how; the row's end. */
static void span_cells(struct pl_buf *b, int64_t from, int64_t until,
		       const char *how)
{
	pl_buf_adds(b, "<td>");
	clock_text(b, from);
	pl_buf_adds(b, "</td><td>");
	clock_text(b, until);
	pl_buf_adds(b, "</td><td>");
	pl_buf_html(b, how);
	pl_buf_adds(b, "</td></tr>\n");
}

/* One holder of an end, as a table row. */
static void holder_row(struct report *r, struct pl_buf *b, const char *end,
		       int64_t ino, const struct pl_holder *h)
{
	struct pl_buf how = { 0 };

	pl_holder_how(h, &how);
	pl_buf_addf(b, "<tr%s><td>%s</td><td class=\"num\">[%lld]</td>"
		       "<td class=\"num\">%d</td><td title=\"",
		    flagged(r, h->pid, h->fd, ino) ? " class=\"flagged\"" : "",
		    end, (long long)ino, h->pid);
	pl_buf_html(b, h->exe);
	pl_buf_adds(b, "\">");
	pl_buf_html(b, pl_basename(h->exe));
	pl_buf_addf(b, "</td><td class=\"num\">%d</td>", h->fd);
	span_cells(b, h->from_ns, h->until_ns, how.p);
	pl_buf_free(&how);
}

/* the same columns in every pair's table, so that they line up */
static const char holders_head[] =
	"<table class=\"grid holders\"><colgroup><col style=\"width:6%\">"
	"<col style=\"width:11%\"><col style=\"width:8%\">"
	"<col style=\"width:17%\"><col style=\"width:6%\">"
	"<col style=\"width:12%\"><col style=\"width:12%\"><col></colgroup>"
	"<thead><tr><th>end</th><th>socket</th>"
	"<th>pid</th><th>program</th><th>fd</th><th>from</th><th>until</th>"
	"<th>how</th></tr></thead><tbody>\n";

static void end_rows(struct report *r, struct pl_buf *b, const char *end,
		     int64_t ino, const struct pl_holders *hs)
{
	for (size_t i = 0; i < hs->n; i++)
		holder_row(r, b, end, ino, &hs->v[i]);
	if (!hs->n)
		pl_buf_addf(b, "<tr><td>%s</td><td class=\"num\">[%lld]</td>"
			       "<td colspan=\"6\" class=\"muted\">no holder "
			       "recorded</td></tr>\n", end, (long long)ino);
}

static void pair_section(void *arg, const struct pl_pair *p)
{
	struct report *r = arg;
	struct pl_buf *b = &r->pairs;

	if (p->pipe)
		r->npipes++;
	else
		r->npairs++;
	pl_buf_addf(b, "<div class=\"block\"><h3>%s %lld <span "
		       "class=\"muted\">%s, made by pid %d (",
		    p->pipe ? "pipe" : "pair", (long long)p->id,
		    p->pipe ? "end 0 reads, end 1 writes"
			    : pl_sock_type_name(p->type), p->pid);
	pl_buf_html(b, pl_basename(p->exe));
	pl_buf_adds(b, ") at ");
	clock_text(b, p->created_ns);
	if (p->site) {
		struct pl_buf t = { 0 };

		pl_site_text(p->site, &t);
		pl_buf_adds(b, " in ");
		pl_buf_html(b, t.p);
		pl_buf_free(&t);
	}
	pl_buf_adds(b, "</span></h3>\n");
	pl_buf_adds(b, holders_head);
	end_rows(r, b, p->pipe ? "0 read" : "0", p->end[0].ino,
		 p->end[0].holders);
	end_rows(r, b, p->pipe ? "1 write" : "1", p->end[1].ino,
		 p->end[1].holders);
	pl_buf_adds(b, "</tbody></table></div>\n");
}

/* The connections: graph's edges that are not pairs, once per two ends,
 * with every holder of each. */
static int connections(struct report *r)
{
	sqlite3_stmt *name = pl_db_prepare(r->db, "SELECT name FROM sock "
						  "WHERE id = ?1");
	int rc = 0;

	if (!name)
		return PL_EXIT_JOURNAL;
	for (size_t i = 0; i < r->g.ne && !rc; i++) {
		const struct pl_graph_edge *e = &r->g.e[i];
		struct pl_holders ha = { 0 }, hb = { 0 };
		struct pl_buf *b = &r->conns;
		int seen = 0;

		if (strcmp(e->kind, "connection")) /* pairs and pipes: above */
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = r->g.e[k].sock_a == e->sock_a &&
			       r->g.e[k].sock_b == e->sock_b;
		if (seen)
			continue;
		r->nconns++;
		pl_buf_addf(b, "<div class=\"block\"><h3>connection "
			       "[%lld] \xe2\x80\x94 [%lld]",
			    (long long)e->ino_a, (long long)e->ino_b);
		for (int side = 0; side < 2; side++) {
			const char *n;

			sqlite3_reset(name);
			sqlite3_bind_int64(name, 1, side ? e->sock_b : e->sock_a);
			if (sqlite3_step(name) != SQLITE_ROW ||
			    !(n = (const char *)sqlite3_column_text(name, 0)))
				continue;
			pl_buf_addf(b, " <span class=\"muted\">[%lld] is ",
				    (long long)(side ? e->ino_b : e->ino_a));
			pl_buf_html(b, n);
			pl_buf_adds(b, "</span>");
		}
		pl_buf_adds(b, "</h3>\n");
		rc = pl_holders_load(r->db, &r->t.q, e->sock_a, &ha);
		if (!rc)
			rc = pl_holders_load(r->db, &r->t.q, e->sock_b, &hb);
		if (!rc) {
			pl_buf_adds(b, holders_head);
			end_rows(r, b, "a", e->ino_a, &ha);
			end_rows(r, b, "b", e->ino_b, &hb);
			pl_buf_adds(b, "</tbody></table>");
		}
		pl_buf_adds(b, "</div>\n");
		pl_holders_free(&ha);
		pl_holders_free(&hb);
	}
	sqlite3_finalize(name);
	return rc ? PL_EXIT_JOURNAL : 0;
}

/* Journal text made safe for dot and mermaid (valid UTF-8, no control
 * characters), in place. */
static void clean_graph(struct pl_graph *g)
{
	for (size_t i = 0; i < g->nn; i++) {
		struct pl_buf t = { 0 };

		pl_buf_utf8(&t, g->n[i].exe);
		free(g->n[i].exe);
		g->n[i].exe = t.p ? t.p : strdup("");
	}
	for (size_t i = 0; i < g->ne; i++) {
		struct pl_buf t = { 0 };
		char *s = g->e[i].site;
		size_t n;

		pl_buf_utf8(&t, s);
		n = t.len < sizeof(g->e[i].site) ? t.len
						 : sizeof(g->e[i].site) - 1;
		while (n > 0 && n < t.len && ((unsigned char)t.p[n] & 0xc0) == 0x80)
			n--; /* not in the middle of a character */
		memcpy(s, pl_buf_str(&t), n);
		s[n] = '\0';
		pl_buf_free(&t);
	}
}

static int gather(struct report *r)
{
	sqlite3_stmt *st;
	int rc, n;

	rc = pl_tree_load(&r->t);
	if (rc)
		return rc;
	r->nimages = (int)r->t.n;
	for (size_t i = 0; i < r->t.n; i++) {
		const struct pl_tree_node *nd = &r->t.v[i];
		int64_t end = nd->end_ns > nd->start_ns ? nd->end_ns : nd->start_ns;

		if (!r->first_ns || (nd->start_ns && nd->start_ns < r->first_ns))
			r->first_ns = nd->start_ns;
		if (end > r->last_ns)
			r->last_ns = end;
		r->running += !strcmp(nd->state, PL_END_ALIVE);
	}
	if (pl_graph_build(r->db, note_finding, r, &r->g) < 0)
		return PL_EXIT_JOURNAL;
	clean_graph(&r->g);
	n = pl_pairs_each(r->db, &r->t.q, pair_section, r);
	if (n < 0)
		return -n;
	rc = connections(r);
	if (rc)
		return rc;
	st = pl_db_prepare(r->db, "SELECT boot FROM process GROUP BY boot "
				  "ORDER BY MIN(id)");
	if (!st)
		return PL_EXIT_JOURNAL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (r->nboots++)
			pl_buf_adds(&r->boots, ", ");
		pl_buf_adds(&r->boots, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return r->oom ? PL_EXIT_SYSTEM : 0;
}

/* The live check, after the tree has told whether anything runs. */
static int live_check(struct report *r, int no_check)
{
	if (no_check) {
		r->no_live = "--no-check";
		return 0;
	}
	r->c.fn = note_verdict;
	r->c.arg = r;
	if (pl_check_load(&r->c) < 0) {
		r->no_live = "the kernel's sockets could not be read";
		return 0;
	}
	if (pl_check_run(&r->c, r->db))
		return PL_EXIT_JOURNAL;
	if (!r->c.checked)
		r->no_live = pl_query_unchecked(&r->t.q);
	return r->oom ? PL_EXIT_SYSTEM : 0;
}

/* The live check in a few words, for the header and the summary. */
static void live_text(const struct report *r, struct pl_buf *b)
{
	if (r->no_live && !strcmp(r->no_live, "--no-check"))
		pl_buf_adds(b, "no live check made (--no-check)");
	else if (r->no_live)
		pl_buf_addf(b, "no live check was possible (%s)", r->no_live);
	else if (!r->c.disagree)
		pl_buf_addf(b, "the kernel agrees (%d end%s checked)",
			    r->c.checked, r->c.checked == 1 ? "" : "s");
	else
		pl_buf_addf(b, "%d of %d ends disagree with the kernel",
			    r->c.disagree, r->c.checked);
}

static const char css[] =
	":root{--fg:#1f2933;--muted:#616e7c;--line:#d9e2ec;--bg:#f5f7fa;"
	"--panel:#fff;--accent:#2b6cb0;--red:#c53030;--redbg:#fff5f5;"
	"--green:#2f855a;--mono:ui-monospace,'SFMono-Regular',Menlo,Consolas,"
	"'DejaVu Sans Mono',monospace}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 "
	"system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
	"sans-serif}\n"
	"main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}\n"
	"header.top{background:#1f2933;color:#f5f7fa;padding:22px 28px 18px}\n"
	"header.top .inner{max-width:1180px;margin:0 auto;padding:0 28px}\n"
	"header.top h1{margin:0 0 4px;font-size:22px;font-weight:600;"
	"letter-spacing:.01em}\n"
	"header.top .sub{color:#cbd2d9;font-size:13px;word-break:break-all}\n"
	"header.top code{color:#fff}\n"
	"nav{margin:14px 0 0;font-size:13px}\n"
	"nav a{color:#9fb3c8;text-decoration:none;margin-right:18px}\n"
	"nav a:hover{color:#fff}\n"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(150px,1fr));gap:12px;margin:0 0 18px}\n"
	".card{background:var(--panel);border:1px solid var(--line);"
	"border-radius:8px;padding:12px 14px}\n"
	".card .n{font-size:24px;font-weight:600;line-height:1.2}\n"
	".card .l{color:var(--muted);font-size:12px;text-transform:uppercase;"
	"letter-spacing:.05em}\n"
	".card .s{color:var(--muted);font-size:12px}\n"
	".card.bad{border-color:#feb2b2;background:var(--redbg)}\n"
	".card.bad .n{color:var(--red)}\n"
	".card.good .n{color:var(--green)}\n"
	".card.wide{grid-column:span 2}\n"
	".card.wide .n{font-size:15px;font-weight:500;padding-top:4px}\n"
	"dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px "
	"14px;margin:0 0 8px;font-size:13px}\n"
	"dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;word-break:break-all}\n"
	"section{background:var(--panel);border:1px solid var(--line);"
	"border-radius:8px;padding:16px 20px 18px;margin:0 0 18px}\n"
	"h2{font-size:17px;margin:0 0 12px;font-weight:600}\n"
	"h2 .count{color:var(--muted);font-weight:400;font-size:14px}\n"
	"h3{font-size:14px;margin:16px 0 6px;font-weight:600}\n"
	".muted{color:var(--muted);font-weight:400}\n"
	"code,.mono,td{font-family:var(--mono);font-size:12.5px}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"table.holders{table-layout:fixed}\n"
	"th{text-align:left;font-weight:600;font-size:12px;color:var(--muted);"
	"border-bottom:1px solid var(--line);padding:5px 8px;"
	"font-family:system-ui,sans-serif}\n"
	"td{padding:4px 8px;border-bottom:1px solid #eef2f6;vertical-align:top;"
	"overflow-wrap:break-word}\n"
	"td.num{white-space:nowrap}\n"
	"tbody tr:nth-child(even){background:#fafbfc}\n"
	"tr.flagged td{color:var(--red);background:var(--redbg)}\n"
	".rule{display:inline-block;padding:1px 8px;border-radius:10px;"
	"background:var(--redbg);color:var(--red);border:1px solid #feb2b2;"
	"font-size:12px;white-space:nowrap}\n"
	".ok{color:var(--green)}.bad{color:var(--red)}\n"
	".graph{overflow:auto;border:1px solid #eef2f6;border-radius:6px;"
	"background:#fff;padding:8px}\n"
	".graph svg{display:block;margin:0 auto;max-width:100%;height:auto}\n"
	".graph.wide svg{max-width:none}\n"

	".legend{font-size:12px;color:var(--muted);margin:8px 0 0}\n"
	".legend span{display:inline-block;margin-right:16px}\n"
	".legend i{display:inline-block;width:26px;height:0;vertical-align:"
	"middle;margin-right:6px;border-top:2px solid}\n"
	"ul.tree,ul.tree ul{list-style:none;margin:0;padding:0}\n"
	"ul.tree ul{margin-left:14px;padding-left:14px;border-left:2px solid "
	"var(--line)}\n"
	"ul.tree li{margin:8px 0}\n"
	".image{padding:6px 10px;border:1px solid var(--line);border-radius:6px;"
	"background:#fcfdfe;break-inside:avoid}\n"
	".image+.image{margin-top:4px;border-top-style:dashed}\n"
	".image .head{font-size:13px}\n"
	".image .pid{font-weight:600;font-family:var(--mono)}\n"
	".image .prog{font-weight:600}\n"
	".tag{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;"
	"background:#e4ecf5;color:#334e68;margin:0 4px}\n"
	".image .exe{color:var(--muted);font-size:12px;word-break:break-all}\n"
	".image table{margin-top:4px;width:auto;min-width:70%}\n"
	".image td{padding-right:22px}\n"
	".block{break-inside:avoid}\n"
	"p.none{color:var(--muted);margin:4px 0}\n"
	"footer{color:var(--muted);font-size:12px;text-align:center}\n"
	"@media print{body{background:#fff;font-size:11px}"
	"header.top{background:#fff;color:#000;padding:0 0 8px;border-bottom:"
	"2px solid #000}header.top .sub,header.top code{color:#000}"
	"nav{display:none}main{max-width:none;padding:8px 0}"
	"section{border:none;padding:0;margin:0 0 14px}"
	".card{break-inside:avoid}h2,h3{break-after:avoid}"
	"tr{break-inside:avoid}.graph{overflow:visible;border:none}"
	".graph.wide svg{max-width:100%}"
	"tbody tr:nth-child(even){background:none}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n"
	"@page{margin:14mm}\n";

static void card(struct pl_buf *b, const char *cls, long long n,
		 const char *label, const char *extra)
{
	pl_buf_addf(b, "<div class=\"card%s%s\"><div class=\"l\">%s</div>"
		       "<div class=\"n\">%lld</div><div class=\"s\">%s</div>"
		       "</div>\n", *cls ? " " : "", cls, label, n, extra);
}

static void html_header(struct report *r, struct pl_buf *b, const char *how)
{
	struct pl_buf live = { 0 };
	char images[48];

	pl_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		       "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		       "content=\"width=device-width, initial-scale=1\">\n"
		       "<title>peerlog report: ");
	pl_buf_html(b, r->journal);
	pl_buf_addf(b, "</title>\n<style>\n%s</style>\n</head><body>\n", css);
	pl_buf_adds(b, "<header class=\"top\"><div class=\"inner\"><h1>peerlog "
		       "report</h1><div class=\"sub\">journal <code>");
	pl_buf_html(b, r->journal);
	pl_buf_adds(b, "</code> \xc2\xb7 generated ");
	date_text(b, (int64_t)time(NULL) * 1000000000);
	pl_buf_adds(b, " UTC</div>\n<nav><a href=\"#findings\">Findings</a>"
		       "<a href=\"#topology\">Topology</a><a href=\"#processes\">"
		       "Processes</a><a href=\"#pairs\">Pairs and connections"
		       "</a><a href=\"#check\">Live check</a></nav></div>"
		       "</header>\n<main>\n");
	snprintf(images, sizeof(images), "%d program image%s", r->nimages,
		 r->nimages == 1 ? "" : "s");
	pl_buf_adds(b, "<div class=\"cards\">\n");
	card(b, "", (long long)r->g.nn, "processes", images);
	card(b, "", r->npairs, "socketpairs", "made by socketpair()");
	card(b, "", r->npipes, "pipes", "made by pipe(), pipe2()");
	card(b, "", r->nconns, "connections", "between traced processes");
	card(b, r->nf ? "bad" : "good", (long long)r->nf, "findings",
	     r->nf ? "IPC mistakes lint proves" : "lint found nothing");
	live_text(r, &live);
	pl_buf_addf(b, "<div class=\"card wide%s\"><div class=\"l\">live check"
		       "</div><div class=\"n\">%s</div></div>\n</div>\n",
		    r->no_live ? "" : r->c.disagree ? " bad" : " good", live.p);
	pl_buf_adds(b, "<dl class=\"meta\">");
	pl_buf_addf(b, "<dt>boot%s</dt><dd><code>", r->nboots > 1 ? "s" : "");
	pl_buf_html(b, r->nboots ? r->boots.p : "\xe2\x80\x93");
	pl_buf_adds(b, "</code></dd>");
	pl_buf_adds(b, "<dt>span</dt><dd>");
	if (r->first_ns) {
		date_text(b, r->first_ns);
		pl_buf_adds(b, " \xe2\x80\x93 ");
		if (r->running)
			pl_buf_addf(b, "now (%d image%s still running)",
				    r->running, r->running == 1 ? "" : "s");
		else
			clock_text(b, r->last_ns);
		pl_buf_addf(b, " UTC (%.3f s)",
			    (double)((r->running ? (int64_t)time(NULL) *
							 1000000000
					       : r->last_ns) - r->first_ns) / 1e9);
	} else {
		pl_buf_adds(b, "no process recorded");
	}
	pl_buf_addf(b, "</dd><dt>graph</dt><dd>%s</dd></dl>\n", how);
	pl_buf_free(&live);
}

static void html_findings(struct report *r, struct pl_buf *b)
{
	pl_buf_addf(b, "<section id=\"findings\"><h2>Findings <span "
		       "class=\"count\">%zu, by peerlog lint</span></h2>\n",
		    r->nf);
	if (!r->nf) {
		pl_buf_adds(b, "<p class=\"none\">No IPC mistake found.</p>"
			       "</section>\n");
		return;
	}
	pl_buf_adds(b, "<table class=\"grid\"><thead><tr><th>rule</th>"
		       "<th>pid</th><th>program</th><th>fd</th><th>socket</th>"
		       "<th>what</th><th>made in</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < r->nf; i++) {
		const struct finding *f = &r->f[i];

		pl_buf_adds(b, "<tr><td><span class=\"rule\">");
		pl_buf_html(b, f->rule);
		pl_buf_addf(b, "</span></td><td class=\"num\">%d</td><td title=\"",
			    f->pid);
		pl_buf_html(b, f->exe);
		pl_buf_adds(b, "\">");
		pl_buf_html(b, pl_basename(f->exe));
		pl_buf_addf(b, "</td><td class=\"num\">%d</td><td class=\"num\">"
			       "[%lld]</td><td>", f->fd, (long long)f->ino);
		pl_buf_html(b, f->detail);
		pl_buf_adds(b, "</td><td>");
		pl_buf_html(b, f->site ? f->site : "\xe2\x80\x93");
		pl_buf_adds(b, "</td></tr>\n");
	}
	pl_buf_adds(b, "</tbody></table></section>\n");
}

static void html_image(struct report *r, struct pl_buf *b,
		       const struct pl_tree_node *nd)
{
	struct pl_buf st = { 0 };

	pl_tree_state_text(nd, &st);
	pl_buf_addf(b, "<div class=\"image\" id=\"image-%lld\"><div "
		       "class=\"head\"><span class=\"pid\">%d</span> <span "
		       "class=\"prog\">", (long long)nd->id, nd->pid);
	pl_buf_html(b, pl_basename(nd->exe));
	pl_buf_adds(b, "</span><span class=\"tag\">");
	pl_buf_html(b, nd->origin);
	pl_buf_adds(b, "</span>");
	pl_buf_html(b, st.p);
	pl_buf_adds(b, " <span class=\"muted\">");
	clock_text(b, nd->start_ns);
	pl_buf_adds(b, " \xe2\x80\x93 ");
	if (nd->end_ns > 0)
		clock_text(b, nd->end_ns);
	else
		pl_buf_adds(b, !strcmp(nd->state, PL_END_ALIVE) ? "now" : "?");
	pl_buf_adds(b, "</span></div><div class=\"exe\">");
	pl_buf_html(b, nd->exe);
	pl_buf_adds(b, " \xc2\xb7 argv <code>");
	pl_buf_html(b, nd->argv ? nd->argv : "?");
	pl_buf_adds(b, "</code></div>\n");
	pl_buf_free(&st);
	if (!nd->nhold) {
		pl_buf_adds(b, "</div>\n");
		return;
	}
	pl_buf_adds(b, "<table><thead><tr><th>fd</th><th>end</th><th>peer"
		       "</th><th>from</th><th>until</th><th>how</th></tr>"
		       "</thead><tbody>\n");
	for (size_t i = 0; i < nd->nhold; i++) {
		const struct pl_tree_hold *h = &r->t.holds[nd->hold_first + i];
		struct pl_buf how = { 0 };

		pl_tree_hold_how(h, &how);
		pl_buf_addf(b, "<tr%s><td class=\"num\">%d</td><td class=\"num\">"
			       "%s[%lld]</td><td class=\"num\">",
			    strcmp(h->end, PL_END_KEPT) &&
					    flagged(r, nd->pid, h->fd, h->ino)
				    ? " class=\"flagged\"" : "",
			    h->fd, pl_end_is_pipe(h->kind) ? h->kind : "",
			    (long long)h->ino);
		if (pl_end_is_pipe(h->kind)) /* one inode: which end */
			pl_buf_adds(b, h->side ? "write end" : "read end");
		else if (h->has_peer)
			pl_buf_addf(b, "[%lld]", (long long)h->peer_ino);
		else
			pl_buf_adds(b, "?");
		pl_buf_adds(b, "</td>");
		span_cells(b, h->from_ns, h->until_ns, how.p);
		pl_buf_free(&how);
	}
	pl_buf_adds(b, "</tbody></table></div>\n");
}

/* A process: its first image and the images its execs made, one after
 * the other, each followed by the processes it forked or spawned, nested:
 * only forks nest, so that a long exec chain does not. */
static void html_process(struct report *r, struct pl_buf *b, size_t i)
{
	pl_buf_adds(b, "<li>");
	for (;;) {
		const struct pl_tree_node *nd = &r->t.v[i];
		size_t next = 0, nested = 0;

		html_image(r, b, nd);
		for (size_t c = nd->first_child; c; c = r->t.v[c - 1].next_sibling) {
			if (!next && !strcmp(r->t.v[c - 1].origin, "exec")) {
				next = c;
				continue;
			}
			if (!nested++)
				pl_buf_adds(b, "<ul>\n");
			html_process(r, b, c - 1);
		}
		if (nested)
			pl_buf_adds(b, "</ul>\n");
		if (!next)
			break;
		i = next - 1;
	}
	pl_buf_adds(b, "</li>\n");
}

static void html_tree(struct report *r, struct pl_buf *b)
{
	pl_buf_addf(b, "<section id=\"processes\"><h2>Processes <span "
		       "class=\"count\">%d program image%s; an exec continues "
		       "its process, a fork or spawn nests under it</span></h2>\n",
		    r->nimages, plural(r->nimages));
	if (!r->t.n)
		pl_buf_adds(b, "<p class=\"none\">No process recorded.</p>\n");
	else
		pl_buf_adds(b, "<ul class=\"tree\">\n");
	for (size_t i = 0; i < r->t.n; i++)
		if (!r->t.v[i].parent_id)
			html_process(r, b, i);
	if (r->t.n)
		pl_buf_adds(b, "</ul>\n");
	pl_buf_adds(b, "</section>\n");
}

static void html_check(struct report *r, struct pl_buf *b)
{
	struct pl_buf live = { 0 };

	live_text(r, &live);
	pl_buf_adds(b, "<section id=\"check\"><h2>Live check <span "
		       "class=\"count\">the journal against the kernel, as "
		       "peerlog check</span></h2>\n<p");
	pl_buf_addf(b, "%s>", r->no_live ? " class=\"none\"" : "");
	pl_buf_adds(b, live.p);
	pl_buf_adds(b, ".</p>\n");
	pl_buf_free(&live);
	if (!r->no_live && r->c.dump.no_peers)
		pl_buf_adds(b, "<p class=\"none\">unix_diag is not available: "
			       "peers were not checked.</p>\n");
	if (!r->no_live && r->c.fds.nunreadable)
		pl_buf_addf(b, "<p class=\"none\">%zu processes could not be "
			       "read (run as their owner or root to see their "
			       "fds).</p>\n", r->c.fds.nunreadable);
	if (r->nv) {
		pl_buf_adds(b, "<table class=\"grid\"><thead><tr><th>socket</th>"
			       "<th>pid</th><th>program</th><th>fd</th>"
			       "<th>verdict</th><th>detail</th></tr></thead>"
			       "<tbody>\n");
		for (size_t i = 0; i < r->nv; i++) {
			const struct verdict *v = &r->v[i];

			pl_buf_addf(b, "<tr%s><td class=\"num\">[%llu]</td><td "
				       "class=\"num\">%d</td><td>",
				    v->ok ? "" : " class=\"flagged\"",
				    (unsigned long long)v->ino, v->pid);
			pl_buf_html(b, pl_basename(v->exe));
			pl_buf_addf(b, "</td><td class=\"num\">%d</td><td "
				       "class=\"%s\">", v->fd, v->ok ? "ok" : "bad");
			pl_buf_html(b, v->verdict);
			pl_buf_adds(b, "</td><td>");
			pl_buf_html(b, v->detail ? v->detail : "");
			pl_buf_adds(b, "</td></tr>\n");
		}
		pl_buf_adds(b, "</tbody></table>\n");
	}
	pl_buf_adds(b, "</section>\n");
}

static int html_page(struct report *r, int use_dot, struct pl_buf *b)
{
	struct pl_buf svg = { 0 };
	const char *how, *at;
	int by_dot = pl_svg_graph(&r->g, use_dot, &svg, &how), wide;

	if (by_dot < 0)
		return PL_EXIT_SYSTEM;
	html_header(r, b, how);
	html_findings(r, b);
	/* a graph much wider than the page scrolls rather than shrinks to
	 * illegible (on paper it shrinks) */
	at = svg.p ? strstr(svg.p, " width=\"") : NULL;
	wide = at && atof(at + 8) > 1800;
	pl_buf_addf(b, "<section id=\"topology\"><h2>Topology <span "
		       "class=\"count\">%zu process%s, %zu edge%s; %s</span>"
		       "</h2>\n<div class=\"graph%s\">\n",
		    r->g.nn, r->g.nn == 1 ? "" : "es", r->g.ne,
		    plural((long long)r->g.ne), how, wide ? " wide" : "");
	if (r->g.nn)
		pl_buf_add(b, svg.p, svg.len);
	else
		pl_buf_adds(b, "<p class=\"none\">No process recorded.</p>\n");
	/* the legend in the colours of whoever drew it */
	pl_buf_addf(b, "</div>\n<div class=\"legend\"><span><i style=\""
		       "border-top:2px dotted #9aa5b1\"></i>fork or spawn"
		       "</span><span><i style=\"border-color:%s;"
		       "border-top-width:1px\"></i>socketpair</span><span><i "
		       "style=\"border-color:%s;border-top-width:3px\"></i>"
		       "connection</span><span><i style=\"border-color:%s;"
		       "border-top-style:dashed\"></i>pipe, to its reader"
		       "</span><span><i style=\"border-color:"
		       "#c53030\"></i>an end lint flags</span><span>edges join "
		       "the processes that held the two ends last, labelled "
		       "with their fds</span></div></section>\n",
		    by_dot ? "#000" : "#2b6cb0", by_dot ? "#000" : "#6b46c1",
		    by_dot ? "#000" : "#2f855a");
	pl_buf_free(&svg);
	html_tree(r, b);
	pl_buf_addf(b, "<section id=\"pairs\"><h2>Pairs and connections "
		       "<span class=\"count\">%d socketpair%s, %d pipe%s, %d "
		       "connection%s; every holder of each end, red where lint "
		       "flags it</span></h2>\n", r->npairs, plural(r->npairs),
		    r->npipes, plural(r->npipes), r->nconns, plural(r->nconns));
	if (!r->npairs && !r->npipes && !r->nconns)
		pl_buf_adds(b, "<p class=\"none\">No socketpair, pipe or connection "
			       "recorded.</p>\n");
	pl_buf_add(b, pl_buf_str(&r->pairs), r->pairs.len);
	pl_buf_add(b, pl_buf_str(&r->conns), r->conns.len);
	pl_buf_adds(b, "</section>\n");
	html_check(r, b);
	pl_buf_adds(b, "<footer>peerlog report \xc2\xb7 times are UTC \xc2\xb7 "
		       "hover a node or an edge of the graph for its details"
		       "</footer>\n</main>\n</body></html>\n");
	return 0;
}

/* Text for Markdown: valid UTF-8, and nothing that GitHub would take for
 * markup or a table's column. */
static void md_text(struct pl_buf *b, const char *s)
{
	struct pl_buf t = { 0 };

	pl_buf_utf8(&t, s);
	for (const char *p = pl_buf_str(&t); *p; p++) {
		if (*p == '&')
			pl_buf_adds(b, "&amp;");
		else if (*p == '<')
			pl_buf_adds(b, "&lt;");
		else if (*p == '>')
			pl_buf_adds(b, "&gt;");
		else if (strchr("\\`*_[]#|~!$", *p))
			pl_buf_addf(b, "\\%c", *p);
		else
			pl_buf_add(b, p, 1);
	}
	pl_buf_free(&t);
}

/* A mermaid label: no quotes, and no markup in GitHub's renderer. */
static char *mermaid_name(const char *exe)
{
	struct pl_buf t = { 0 };

	for (const char *p = pl_basename(exe); *p; p++) {
		if (*p == '<')
			pl_buf_adds(&t, "#lt;");
		else if (*p == '>')
			pl_buf_adds(&t, "#gt;");
		else if (*p == '&')
			pl_buf_adds(&t, "#amp;");
		else if (*p == '#')
			pl_buf_adds(&t, "#35;");
		else if (*p == '"')
			pl_buf_adds(&t, "#quot;");
		else
			pl_buf_add(&t, p, 1);
	}
	return t.p ? t.p : strdup("");
}

/* The first processes of G (a parent always comes before its children)
 * and the edges between them, for a mermaid block GitHub still draws. */
static int md_graph(const struct report *r, struct pl_buf *b)
{
	struct pl_graph sub = { .leaks = NULL };
	size_t keep = r->g.nn < MD_MAX_NODES ? r->g.nn : MD_MAX_NODES;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	for (;;) {
		size_t edges = 0;

		for (size_t i = 0; i < r->g.ne; i++)
			edges += r->g.e[i].a < (int)keep && r->g.e[i].b < (int)keep;
		if (edges <= MD_MAX_EDGES || keep <= 1)
			break;
		keep--;
	}
	sub.n = calloc(keep ? keep : 1, sizeof(*sub.n));
	sub.e = calloc(r->g.ne ? r->g.ne : 1, sizeof(*sub.e));
	if (!sub.n || !sub.e) {
		free(sub.n);
		free(sub.e);
		return -1;
	}
	for (size_t i = 0; i < keep; i++) {
		sub.n[i] = r->g.n[i];
		sub.n[i].exe = mermaid_name(r->g.n[i].exe);
	}
	sub.nn = keep;
	for (size_t i = 0; i < r->g.ne; i++)
		if (r->g.e[i].a < (int)keep && r->g.e[i].b < (int)keep)
			sub.e[sub.ne++] = r->g.e[i];
	f = open_memstream(&text, &len);
	if (f) {
		pl_graph_write_mermaid(&sub, f);
		fclose(f);
	}
	pl_buf_adds(b, "```mermaid\n");
	pl_buf_add(b, text ? text : "", text ? len : 0);
	pl_buf_adds(b, "```\n");
	if (keep < r->g.nn)
		pl_buf_addf(b, "\n_The first %zu of %zu processes (%zu of %zu "
			       "edges); report.html draws them all._\n",
			    keep, r->g.nn, sub.ne, r->g.ne);
	free(text);
	pl_graph_free(&sub);
	return 0;
}

static int md_summary(const struct report *r, struct pl_buf *b)
{
	struct pl_buf live = { 0 };
	size_t shown = r->nf < MD_MAX_ROWS ? r->nf : MD_MAX_ROWS;
	size_t bad = 0;

	live_text(r, &live);
	pl_buf_adds(b, "## peerlog report\n\n");
	pl_buf_addf(b, "%s **%zu finding%s** \xc2\xb7 %zu process%s (%d program "
		       "image%s) \xc2\xb7 %d socketpair%s \xc2\xb7 %d pipe%s "
		       "\xc2\xb7 %d connection%s \xc2\xb7 %s\n\n",
		    r->nf ? "\xe2\x9d\x8c" : "\xe2\x9c\x85", r->nf,
		    plural((long long)r->nf), r->g.nn, r->g.nn == 1 ? "" : "es",
		    r->nimages, plural(r->nimages), r->npairs, plural(r->npairs),
		    r->npipes, plural(r->npipes), r->nconns, plural(r->nconns),
		    live.p);
	pl_buf_adds(b, "| | |\n|---|---|\n| journal | ");
	md_text(b, r->journal);
	pl_buf_addf(b, " |\n| boot%s | ", r->nboots > 1 ? "s" : "");
	md_text(b, pl_buf_str(&r->boots));
	pl_buf_adds(b, " |\n| span | ");
	if (r->first_ns) {
		date_text(b, r->first_ns);
		pl_buf_adds(b, " \xe2\x80\x93 ");
		if (r->running)
			pl_buf_addf(b, "now (%d running)", r->running);
		else
			clock_text(b, r->last_ns);
		pl_buf_adds(b, " UTC");
	}
	pl_buf_addf(b, " |\n| processes | %zu (%d program images) |\n"
		       "| socketpairs | %d |\n| pipes | %d |\n"
		       "| connections | %d |\n| findings | %zu |\n"
		       "| live check | %s |\n\n",
		    r->g.nn, r->nimages, r->npairs, r->npipes, r->nconns, r->nf,
		    live.p);
	pl_buf_free(&live);
	pl_buf_addf(b, "### Findings (%zu)\n\n", r->nf);
	if (!r->nf)
		pl_buf_adds(b, "No IPC mistake found.\n\n");
	else
		pl_buf_adds(b, "| rule | pid | program | fd | socket | what |\n"
			       "|---|---:|---|---:|---|---|\n");
	for (size_t i = 0; i < shown; i++) {
		const struct finding *f = &r->f[i];

		pl_buf_adds(b, "| ");
		md_text(b, f->rule);
		pl_buf_addf(b, " | %d | ", f->pid);
		md_text(b, pl_basename(f->exe));
		pl_buf_addf(b, " | %d | socket:\\[%lld\\] | ", f->fd,
			    (long long)f->ino);
		md_text(b, f->detail);
		if (f->site) {
			pl_buf_adds(b, "; made in ");
			md_text(b, f->site);
		}
		pl_buf_adds(b, " |\n");
	}
	if (r->nf)
		pl_buf_adds(b, "\n");
	if (shown < r->nf)
		pl_buf_addf(b, "_and %zu more: see report.html_\n\n",
			    r->nf - shown);
	for (size_t i = 0; i < r->nv; i++)
		bad += !r->v[i].ok;
	if (bad) {
		size_t n = 0;

		pl_buf_addf(b, "### Disagreements with the kernel (%zu)\n\n", bad);
		for (size_t i = 0; i < r->nv && n < MD_MAX_ROWS; i++) {
			const struct verdict *v = &r->v[i];

			if (v->ok)
				continue;
			pl_buf_addf(b, "- socket:\\[%llu\\] pid %d (",
				    (unsigned long long)v->ino, v->pid);
			md_text(b, pl_basename(v->exe));
			pl_buf_addf(b, ") fd %d: ", v->fd);
			md_text(b, v->verdict);
			if (v->detail) {
				pl_buf_adds(b, ": ");
				md_text(b, v->detail);
			}
			pl_buf_adds(b, "\n");
			n++;
		}
		if (n < bad)
			pl_buf_addf(b, "- _and %zu more: see report.html_\n",
				    bad - n);
		pl_buf_adds(b, "\n");
	}
	pl_buf_addf(b, "### Topology\n\n");
	if (!r->g.nn) {
		pl_buf_adds(b, "No process recorded.\n");
		return 0;
	}
	return md_graph(r, b);
}

/* DIR, made with its parents where missing. */
static int make_dir(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

/* DIR/NAME, written whole through a temporary file and a rename, so that
 * a reader never sees half a page. */
static int write_file(const char *dir, const char *name,
		      const struct pl_buf *text, struct pl_buf *ret_path)
{
	struct pl_buf tmp = { 0 };
	FILE *f;
	int fd, ok;

	pl_buf_addf(ret_path, "%s%s%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	pl_buf_addf(&tmp, "%s.tmp", ret_path->p);
	/* never through a symlink planted at the temporary name; the
	 * rename replaces one at the final name rather than follow it */
	fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0666);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	ok = f && fwrite(pl_buf_str(text), 1, text->len, f) == text->len;
	ok = f && fclose(f) == 0 && ok;
	ok = ok && rename(tmp.p, ret_path->p) == 0;
	if (!ok) {
		pl_error("cannot write '%s': %s", ret_path->p, strerror(errno));
		if (fd >= 0)
			unlink(tmp.p);
	}
	pl_buf_free(&tmp);
	return ok ? 0 : PL_EXIT_SYSTEM;
}

struct args {
	const char *dir;
	int markdown, no_dot, fail_on_findings;
};

/* Take report's own options out of ARGV, the common ones left for
 * pl_cli_parse(). */
static int take_args(int *argc, char **argv, struct args *a)
{
	int w = 1;

	for (int i = 1; i < *argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "--markdown"))
			a->markdown = 1;
		else if (!strcmp(s, "--no-dot"))
			a->no_dot = 1;
		else if (!strcmp(s, "--fail-on-findings"))
			a->fail_on_findings = 1;
		else if (!strncmp(s, "--output=", 9))
			a->dir = s + 9;
		else if (!strncmp(s, "-o", 2) && s[2])
			a->dir = s + 2;
		else if (strcmp(s, "-o") && strcmp(s, "--output"))
			argv[w++] = argv[i];
		else if (i + 1 < *argc)
			a->dir = argv[++i];
		else {
			pl_error("option '%s' needs a directory", s);
			return PL_EXIT_USAGE;
		}
	}
	*argc = w;
	if (!*a->dir) {
		pl_error("empty output directory");
		return PL_EXIT_USAGE;
	}
	return 0;
}

static void report_free(struct report *r)
{
	for (size_t i = 0; i < r->nf; i++) {
		free(r->f[i].rule);
		free(r->f[i].exe);
		free(r->f[i].detail);
		free(r->f[i].site);
	}
	free(r->f);
	for (size_t i = 0; i < r->nv; i++) {
		free(r->v[i].exe);
		free(r->v[i].verdict);
		free(r->v[i].detail);
	}
	free(r->v);
	pl_check_free(&r->c);
	pl_graph_free(&r->g);
	pl_tree_free(&r->t);
	pl_buf_free(&r->pairs);
	pl_buf_free(&r->conns);
	pl_buf_free(&r->boots);
}

int cmd_report(int argc, char **argv)
{
	struct args a = { .dir = "peerlog-report" };
	struct report r = { .t = { .q = { .live = 1, .no_flights = 1 } } };
	struct pl_buf html = { 0 }, md = { 0 }, hpath = { 0 }, mpath = { 0 };
	struct pl_opts o;
	struct stat st;
	int next, rc;

	rc = take_args(&argc, argv, &a);
	if (rc)
		return rc;
	rc = pl_cli_parse(argc, argv, usage, &o, &next, 0);
	if (rc)
		return rc < 0 ? PL_EXIT_OK : rc;
	if (next < argc) {
		pl_error("report takes no operand ('%s'); the directory goes "
			 "with -o", argv[next]);
		return PL_EXIT_USAGE;
	}
	if (o.json) {
		pl_error("report writes HTML and Markdown, not --json");
		return PL_EXIT_USAGE;
	}
	if (stat(a.dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		pl_error("'%s' exists and is not a directory", a.dir);
		return PL_EXIT_USAGE;
	}
	if (pl_cli_parse_only)
		return PL_EXIT_JOURNAL;
	rc = pl_journal_open_ingested(o.journal, &r.db);
	if (rc)
		return rc;
	r.journal = o.journal;
	r.t.db = r.db;
	r.t.q.kernel = !o.no_check;
	rc = gather(&r);
	if (!rc)
		rc = live_check(&r, o.no_check);
	if (!rc)
		rc = html_page(&r, !a.no_dot, &html);
	if (!rc && md_summary(&r, &md) < 0)
		rc = PL_EXIT_SYSTEM;
	if (!rc && make_dir(a.dir) < 0) {
		pl_error("cannot make directory '%s': %s", a.dir,
			 strerror(errno));
		rc = PL_EXIT_SYSTEM;
	}
	if (!rc)
		rc = write_file(a.dir, "report.html", &html, &hpath);
	if (!rc)
		rc = write_file(a.dir, "summary.md", &md, &mpath);
	if (!rc) {
		printf("%s\n%s\n", hpath.p, mpath.p);
		if (a.markdown)
			printf("\n%s", md.p);
		if (a.fail_on_findings && r.nf) {
			pl_error("lint found %zu IPC mistake%s: see '%s'", r.nf,
				 plural((long long)r.nf), hpath.p);
			rc = PL_EXIT_NOTFOUND;
		}
	}
	pl_buf_free(&html);
	pl_buf_free(&md);
	pl_buf_free(&hpath);
	pl_buf_free(&mpath);
	report_free(&r);
	sqlite3_close(r.db);
	return rc;
}
