/* The topology as SVG to inline in report.html: what Graphviz's dot makes
 * of graph's dot text when dot is installed, else a layered layout of our
 * own, so that the page never lacks its graph. The built-in layout puts
 * each process in the row of its depth in the lineage, a parent centred
 * over its children and each tree in its own dashed box; lineage edges are
 * dotted arrows, a pair or connection a curve between the processes that
 * held its ends (an arc under the row when they share one, a loop when
 * one process holds both), red when lint flagged one of its ends. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "peerlog.h"
#include "query.h"

/* Above this many processes dot takes too long: the built-in layout. */
#define DOT_MAX_NODES 1000

#define MARGIN 16
#define PAD_X 64     /* each side, for the loops and labels that stick out */
#define SLOT_MIN 190 /* width of a column, by the longest label */
#define SLOT_MAX 280
#define CHAR_W 7.9   /* a character of the 13px monospace labels */
#define ROW_H 130
#define BOX_H 34
#define TOP 30       /* room for a tree's label */

#define COLOR_LINEAGE "#9aa5b1"
#define COLOR_PAIR "#2b6cb0"
#define COLOR_CONN "#6b46c1"
#define COLOR_FLAG "#c53030"
#define COLOR_PIPE "#2f855a"

/* SVG (from its <svg> tag) into B, the width and height of that tag in
 * pixels rather than dot's points: three quarters of the size, where its
 * 14 point labels match the page's text. */
static void px_size(struct pl_buf *b, const char *svg)
{
	const char *end = strchr(svg, '>'), *p = svg;

	while (end && p < end) {
		const char *w = strstr(p, "width=\""), *h = strstr(p, "height=\"");
		const char *at = w && (!h || w < h) ? w : h, *num, *unit;

		if (!at || at > end)
			break;
		num = strchr(at, '"') + 1;
		unit = num + strspn(num, "0123456789.");
		pl_buf_add(b, p, (size_t)(num - p));
		pl_buf_add(b, num, (size_t)(unit - num));
		p = !strncmp(unit, "pt\"", 3) ? unit + 2 : unit;
	}
	pl_buf_adds(b, p);
}

/* Run dot on G's dot text; its SVG from the <svg> tag on into B. */
static int from_dot(const struct pl_graph *g, struct pl_buf *b)
{
	const char *dir = getenv("TMPDIR");
	struct pl_buf path = { 0 }, cmd = { 0 }, svg = { 0 };
	char chunk[8192];
	struct sigaction sa;
	const char *at;
	FILE *f;
	ssize_t n;
	int fd, rc = -1;

	pl_buf_addf(&path, "%s/peerlog-svg-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkostemp(path.p, O_CLOEXEC);
	if (fd < 0) {
		pl_buf_free(&path);
		return -1;
	}
	pl_buf_adds(&cmd, "dot -Tsvg -o ");
	pl_buf_shell_quote(&cmd, path.p);
	f = pl_popen_write(cmd.p, &sa);
	if (f) {
		pl_graph_write_dot(g, f);
		rc = pl_pclose_write(f, &sa) == 0 ? 0 : -1;
	}
	while (!rc && (n = read(fd, chunk, sizeof(chunk))) > 0)
		pl_buf_add(&svg, chunk, (size_t)n);
	at = svg.p ? strstr(svg.p, "<svg") : NULL;
	if (!rc && at) /* the XML prolog, DOCTYPE and comments left out */
		px_size(b, at);
	else
		rc = -1;
	close(fd);
	unlink(path.p);
	pl_buf_free(&path);
	pl_buf_free(&cmd);
	pl_buf_free(&svg);
	return rc;
}

struct place {
	double x, y;        /* centre, top */
	int depth, root;
	int sub, block;     /* block: in a wrapped block of leaves, sub: its
			       row there */
	size_t first, next; /* children, by index + 1, descending */
	double minx, maxx;  /* of its children, once placed */
	int placed;
};

/* "PID name", cut to MAX characters with an ellipsis. */
static void label(const struct pl_graph_node *n, size_t max, struct pl_buf *b)
{
	struct pl_buf t = { 0 };
	size_t chars = 0, i;

	pl_buf_addf(&t, "%d %s", n->pid, pl_basename(n->exe));
	for (i = 0; i < t.len; i++)
		if (((unsigned char)t.p[i] & 0xc0) != 0x80 && ++chars > max)
			break;
	if (i < t.len) {
		/* back to the start of the last character that fits */
		do
			i--;
		while (i > 0 && ((unsigned char)t.p[i] & 0xc0) == 0x80);
		t.p[i] = '\0';
		pl_buf_html(b, t.p);
		pl_buf_adds(b, "\xe2\x80\xa6");
	} else {
		pl_buf_html(b, t.p);
	}
	pl_buf_free(&t);
}

static size_t chars_of(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int node_flagged(const struct pl_graph *g, int pid)
{
	for (size_t i = 0; i < g->nleaks; i++)
		if ((int)(g->leaks[i] >> 32) == pid)
			return 1;
	return 0;
}

/* Leaves of one parent: their children are laid out this many to a row,
 * rows under rows, rather than all in one (a server's hundred workers). */
#define WRAP 8
#define SUB_H (BOX_H + 44)

/* Place the leaf children of I (N of them, more than WRAP) in a block of
 * WRAP columns from column *SLOTS on. */
static void place_block(struct place *p, size_t i, size_t n, double slot,
			size_t *slots)
{
	size_t j = n;

	for (size_t c = p[i].first; c; c = p[c - 1].next) {
		struct place *q = &p[c - 1];

		if (q->first)
			continue;
		j--; /* the list is descending: the last child first */
		q->x = PAD_X + (*slots + j % WRAP + 0.5) * slot;
		q->sub = (int)(j / WRAP);
		q->block = 1;
		q->placed = 1;
	}
	*slots += WRAP;
}

/* Lay out every node: depth from the parent, leaves in depth-first order
 * one column each (many leaves of one parent in a block of rows), a
 * parent centred over its children (a child's index is always above its
 * parent's, so one backwards pass places them), then each row's height
 * from the blocks in it. The height of the drawing. */
static double layout(const struct pl_graph *g, struct place *p, double slot,
		     size_t *ret_slots)
{
	size_t *stack = malloc((g->nn + 1) * sizeof(*stack));
	double *top = NULL, bottom = 0;
	size_t sp = 0, slots = 0;
	int maxdepth = 0;

	if (!stack)
		return -1;
	for (size_t i = 0; i < g->nn; i++) {
		size_t par = (size_t)g->n[i].parent;

		p[i].depth = par ? p[par - 1].depth + 1 : 0;
		p[i].minx = 1e300;
		p[i].maxx = -1e300;
		p[i].root = g->n[i].root;
		if (p[i].depth > maxdepth)
			maxdepth = p[i].depth;
		if (par) {
			p[i].next = p[par - 1].first;
			p[par - 1].first = i + 1;
		}
	}
	for (size_t i = g->nn; i-- > 0;)
		if (!g->n[i].parent)
			stack[sp++] = i;
	while (sp) {
		size_t i = stack[--sp], leaves = 0;

		if (!p[i].first) {
			if (!p[i].placed)
				p[i].x = PAD_X + (slots++ + 0.5) * slot;
			p[i].placed = 1;
		}
		for (size_t c = p[i].first; c; c = p[c - 1].next)
			leaves += !p[c - 1].first;
		if (leaves > WRAP)
			place_block(p, i, leaves, slot, &slots);
		for (size_t c = p[i].first; c; c = p[c - 1].next)
			if (leaves <= WRAP || p[c - 1].first)
				stack[sp++] = c - 1;
	}
	for (size_t i = g->nn; i-- > 0;) {
		size_t par = (size_t)g->n[i].parent;

		if (!p[i].placed) {
			p[i].x = (p[i].minx + p[i].maxx) / 2;
			p[i].placed = 1;
		}
		if (par) {
			struct place *q = &p[par - 1];

			q->minx = p[i].x < q->minx ? p[i].x : q->minx;
			q->maxx = p[i].x > q->maxx ? p[i].x : q->maxx;
		}
	}
	free(stack);
	top = calloc((size_t)maxdepth + 2, sizeof(*top));
	if (!top)
		return -1;
	for (size_t i = 0; i < g->nn; i++) /* rows of blocks, per depth */
		if (p[i].sub * SUB_H > top[p[i].depth + 1])
			top[p[i].depth + 1] = p[i].sub * SUB_H;
	top[0] = MARGIN + TOP;
	for (int d = 1; d <= maxdepth; d++)
		top[d] += top[d - 1] + ROW_H;
	for (size_t i = 0; i < g->nn; i++) {
		p[i].y = top[p[i].depth] + p[i].sub * SUB_H;
		bottom = p[i].y > bottom ? p[i].y : bottom;
	}
	free(top);
	*ret_slots = slots;
	return bottom + BOX_H + 60 + MARGIN;
}

/* Lineage: a dotted arrow from parent to child; to a block of leaves, one
 * line from the parent to the block's left, a rail over each of its rows
 * and a short arrow down to each. */
static void lineage(const struct pl_graph *g, const struct place *p,
		    double half, struct pl_buf *b)
{
	static const char style[] =
		"fill=\"none\" stroke=\"" COLOR_LINEAGE "\" stroke-width=\"1.4\" "
		"stroke-dasharray=\"2 3\"";

	for (size_t i = 0; i < g->nn; i++) {
		const struct place *c = &p[i], *q;

		if (!g->n[i].parent)
			continue;
		q = &p[g->n[i].parent - 1];
		if (c->block) {
			pl_buf_addf(b, "<path class=\"lineage\" d=\"M%.1f %.1f "
				       "V%.1f\" %s marker-end=\"url(#pl-arrow)\"/>\n",
				    c->x, c->y - 16, c->y - 1, style);
			continue;
		}
		pl_buf_addf(b, "<path class=\"lineage\" d=\"M%.1f %.1f C%.1f %.1f "
			       "%.1f %.1f %.1f %.1f\" %s "
			       "marker-end=\"url(#pl-arrow)\"/>\n",
			    q->x, q->y + BOX_H, q->x, q->y + BOX_H + 40, c->x,
			    c->y - 40, c->x, c->y - 1, style);
	}
	for (size_t i = 0; i < g->nn; i++) { /* the rails of each block */
		double left = 1e300, right = -1e300, first = 0, last = 0;
		int any = 0;

		for (size_t c = p[i].first; c; c = p[c - 1].next) {
			const struct place *q = &p[c - 1];

			if (!q->block)
				continue;
			left = q->x < left ? q->x : left;
			right = q->x > right ? q->x : right;
			first = !any || q->y < first ? q->y : first;
			last = q->y > last ? q->y : last;
			any = 1;
		}
		if (!any)
			continue;
		left -= half + 14;
		pl_buf_addf(b, "<path class=\"lineage\" d=\"M%.1f %.1f C%.1f %.1f "
			       "%.1f %.1f %.1f %.1f V%.1f\" %s/>\n",
			    p[i].x, p[i].y + BOX_H, p[i].x, p[i].y + BOX_H + 30,
			    left, first - 46, left, first - 16, last - 16, style);
		for (double y = first; y <= last; y += SUB_H)
			pl_buf_addf(b, "<path class=\"lineage\" d=\"M%.1f %.1f "
				       "H%.1f\" %s/>\n", left, y - 16, right, style);
	}
}

/* One pair or connection. K is its rank among the edges between the same
 * two processes: the first bows to the right, the next to the left, then
 * further out on each side, so that they do not lie on each other nor on
 * the lineage arrow between the centres. */
static void edge_path(const struct pl_graph *g, const struct place *p,
		      const struct pl_graph_edge *e, double half, int k,
		      struct pl_buf *b)
{
	const struct place *a = &p[e->a], *z = &p[e->b];
	double x0, y0, x1, y1, c0x, c0y, c1x, c1y, lx, ly;
	int pipe = pl_graph_edge_directed(e);
	const char *color = e->leak ? COLOR_FLAG
			    : pipe ? COLOR_PIPE
			    : strcmp(e->kind, "pair") ? COLOR_CONN : COLOR_PAIR;
	/* a pipe's arrow points at its read end: where the path ends, or
	 * where it starts when it is drawn from the other box */
	const char *arrow = "";
	/* past a few, edges between the same two processes lie on each
	 * other, unlabelled: their titles tell them apart */
	int side = k % 2 ? -1 : 1, level = k / 2 < 3 ? k / 2 : 3;
	int labelled = k < 6;
	const char *anchor = side > 0 ? "start" : "end";

	if (e->a == e->b) { /* a loop beside the box */
		double out = side * (44 + 24 * level);

		x0 = x1 = a->x + side * half;
		y0 = a->y + 7;
		y1 = a->y + BOX_H - 7;
		c0x = c1x = x0 + out;
		c0y = y0 - 18;
		c1y = y1 + 18;
		/* above the box, ending at the loop's tip: clear of the next
		 * column and of the lineage arrow into the box */
		lx = x0 + 0.75 * out;
		ly = a->y - 8 - 14 * level;
		anchor = side > 0 ? "end" : "start";
	} else if (a->y == z->y) { /* an arc under the row */
		double down = 36 + 18 * (k < 6 ? k : 6);

		x0 = a->x;
		x1 = z->x;
		y0 = y1 = a->y + BOX_H;
		c0x = x0;
		c1x = x1;
		c0y = c1y = y0 + down;
		lx = (x0 + x1) / 2;
		ly = y0 + 0.75 * down + 4;
		anchor = "middle";
	} else { /* from the upper box to the lower, bowed to one side */
		const struct place *up = a->y < z->y ? a : z;
		const struct place *lo = up == a ? z : a;
		double bow = side * (56 + 96 * level);

		x0 = up->x + side * 16;
		y0 = up->y + BOX_H;
		x1 = lo->x + side * 16;
		y1 = lo->y;
		c0x = x0 + bow;
		c1x = x1 + bow;
		c0y = y0 + (y1 - y0) / 3;
		c1y = y1 - (y1 - y0) / 3;
		/* on the curve's midpoint (t = 1/2) */
		lx = (x0 + 3 * c0x + 3 * c1x + x1) / 8;
		ly = (y0 + 3 * c0y + 3 * c1y + y1) / 8 + 4;
		anchor = "middle";
		if (pipe && up == z)
			arrow = e->leak ? " marker-start=\"url(#pl-pipe-flag)\""
					: " marker-start=\"url(#pl-pipe)\"";
	}
	if (pipe && !*arrow)
		arrow = e->leak ? " marker-end=\"url(#pl-pipe-flag)\""
				: " marker-end=\"url(#pl-pipe)\"";
	pl_buf_addf(b, "<g class=\"edge %s%s\"><title>%s: pid %d fd %d "
		       "%s:[%lld] %s pid %d fd %d %s:[%lld]",
		    e->kind, e->leak ? " flagged" : "", e->kind,
		    g->n[e->a].pid, e->fda, pipe ? e->kind : "socket",
		    (long long)e->ino_a, pipe ? "->" : "-", g->n[e->b].pid,
		    e->fdb, pipe ? e->kind : "socket", (long long)e->ino_b);
	if (e->site[0]) {
		pl_buf_adds(b, ", made in ");
		pl_buf_html(b, e->site);
	}
	if (e->leak)
		pl_buf_adds(b, " (flagged by lint)");
	pl_buf_addf(b, "</title><path d=\"M%.1f %.1f C%.1f %.1f %.1f %.1f "
		       "%.1f %.1f\" fill=\"none\" stroke=\"%s\" "
		       "stroke-width=\"%s\"%s%s/>",
		    x0, y0, c0x, c0y, c1x, c1y, x1, y1, color,
		    !strcmp(e->kind, "connection") ? "2.6" : "1.7",
		    pipe ? " stroke-dasharray=\"6 3\"" : "", arrow);
	if (!labelled) {
		pl_buf_adds(b, "</g>\n");
		return;
	}
	pl_buf_addf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
		       "font-size=\"11\" fill=\"%s\" stroke=\"#fff\" "
		       "stroke-width=\"4\" paint-order=\"stroke\">fd %d \xe2\x80\x93 "
		       "fd %d</text></g>\n",
		    lx, ly, anchor, color, e->fda, e->fdb);
}

/* The two processes of an edge, lower node index first. */
static void ends_of(const struct pl_graph_edge *e, int *lo, int *hi)
{
	*lo = e->a < e->b ? e->a : e->b;
	*hi = e->a < e->b ? e->b : e->a;
}

static int same_ends(const struct pl_graph_edge *e,
		     const struct pl_graph_edge *f)
{
	int e0, e1, f0, f1;

	ends_of(e, &e0, &e1);
	ends_of(f, &f0, &f1);
	return e0 == f0 && e1 == f1;
}

/* Edges by their two processes, then in their order (qsort has no
 * argument for the graph). */
static const struct pl_graph *sort_graph;

static int cmp_edge(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, k = *(const size_t *)y;
	int e0, e1, f0, f1;

	ends_of(&sort_graph->e[i], &e0, &e1);
	ends_of(&sort_graph->e[k], &f0, &f1);
	if (e0 != f0)
		return e0 < f0 ? -1 : 1;
	if (e1 != f1)
		return e1 < f1 ? -1 : 1;
	return (i > k) - (i < k);
}

/* Every pair and connection, each with its rank among the edges between
 * the same two processes (a sort, not a scan per edge: a process may hold
 * thousands of pairs). */
static int edges(const struct pl_graph *g, const struct place *p, double half,
		 struct pl_buf *b)
{
	size_t *order = malloc((g->ne + 1) * sizeof(*order));
	int k = 0;

	if (!order)
		return -1;
	for (size_t i = 0; i < g->ne; i++)
		order[i] = i;
	sort_graph = g;
	qsort(order, g->ne, sizeof(*order), cmp_edge);
	for (size_t i = 0; i < g->ne; i++) {
		const struct pl_graph_edge *e = &g->e[order[i]];

		if (i && !same_ends(&g->e[order[i - 1]], e))
			k = 0;
		edge_path(g, p, e, half, k++, b);
	}
	free(order);
	return 0;
}

/* A dashed box per tree, over its columns (contiguous) and its rows. */
static int trees(const struct pl_graph *g, const struct place *p,
		 double slot, struct pl_buf *b)
{
	double *box = malloc((g->nn + 1) * 3 * sizeof(*box)); /* by root */

	if (!box)
		return -1;
	for (size_t i = 0; i < g->nn; i++) {
		double *r = &box[3 * (size_t)g->n[i].root];

		if ((size_t)g->n[i].root == i) {
			r[0] = r[1] = p[i].x;
			r[2] = p[i].y;
		}
		r[0] = p[i].x < r[0] ? p[i].x : r[0];
		r[1] = p[i].x > r[1] ? p[i].x : r[1];
		r[2] = p[i].y > r[2] ? p[i].y : r[2];
	}
	for (size_t i = 0; i < g->nn; i++) {
		const double *r = &box[3 * i];

		if ((size_t)g->n[i].root != i)
			continue;
		pl_buf_addf(b, "<g class=\"tree\"><rect x=\"%.1f\" y=\"%d\" "
			       "width=\"%.1f\" height=\"%.1f\" rx=\"8\" "
			       "fill=\"#f8fafc\" stroke=\"#cbd2d9\" "
			       "stroke-dasharray=\"5 4\"/><text x=\"%.1f\" "
			       "y=\"%d\" font-size=\"11\" fill=\"#616e7c\">tree "
			       "of %d</text></g>\n",
			    r[0] - slot / 2 + 6, MARGIN, r[1] - r[0] + slot - 12,
			    r[2] + BOX_H + 50 - MARGIN, r[0] - slot / 2 + 14,
			    MARGIN + 17, g->n[i].pid);
	}
	free(box);
	return 0;
}

static int builtin(const struct pl_graph *g, struct pl_buf *b)
{
	struct place *p = calloc(g->nn ? g->nn : 1, sizeof(*p));
	size_t longest = 0, slots = 0, max_chars;
	double slot, half, width, height;

	if (!p)
		return -1;
	for (size_t i = 0; i < g->nn; i++) {
		size_t n = chars_of(pl_basename(g->n[i].exe)) + 8;

		if (n > longest)
			longest = n;
	}
	slot = longest * CHAR_W + 70;
	slot = slot < SLOT_MIN ? SLOT_MIN : slot > SLOT_MAX ? SLOT_MAX : slot;
	half = (slot - 70) / 2;
	max_chars = (size_t)((2 * half - 12) / CHAR_W);
	height = layout(g, p, slot, &slots);
	if (height < 0) {
		free(p);
		return -1;
	}
	width = 2 * PAD_X + (slots ? slots : 1) * slot;
	pl_buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		       "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		       "aria-label=\"the processes and the socket ends between "
		       "them\" font-family=\"ui-monospace, 'DejaVu Sans Mono', "
		       "Menlo, Consolas, monospace\">\n",
		    width, height, width, height);
	pl_buf_addf(b, "<defs><marker id=\"pl-arrow\" viewBox=\"0 0 10 10\" "
		       "refX=\"10\" refY=\"5\" markerWidth=\"7\" "
		       "markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0 L10 5 "
		       "L0 10 z\" fill=\"%s\"/></marker>",
		    COLOR_LINEAGE);
	/* a pipe's arrow, at either end of its path */
	for (int flag = 0; flag < 2; flag++)
		pl_buf_addf(b, "<marker id=\"%s\" viewBox=\"0 0 10 10\" "
			       "refX=\"10\" refY=\"5\" markerWidth=\"8\" "
			       "markerHeight=\"8\" orient=\"auto-start-reverse\">"
			       "<path d=\"M0 0 L10 5 L0 10 z\" fill=\"%s\"/>"
			       "</marker>", flag ? "pl-pipe-flag" : "pl-pipe",
			    flag ? COLOR_FLAG : COLOR_PIPE);
	pl_buf_adds(b, "</defs>\n");
	if (trees(g, p, slot, b) < 0) {
		free(p);
		return -1;
	}
	lineage(g, p, half, b);
	if (edges(g, p, half, b) < 0) {
		free(p);
		return -1;
	}
	for (size_t i = 0; i < g->nn; i++) {
		int flagged = node_flagged(g, g->n[i].pid);

		pl_buf_addf(b, "<g class=\"node%s\"><title>pid %d ",
			    flagged ? " flagged" : "", g->n[i].pid);
		pl_buf_html(b, g->n[i].exe);
		pl_buf_addf(b, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			       "height=\"%d\" rx=\"6\" fill=\"#fff\" "
			       "stroke=\"%s\" stroke-width=\"%s\"/><text "
			       "x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			       "font-size=\"13\" fill=\"#1f2933\">",
			    p[i].x - half, p[i].y, 2 * half, BOX_H,
			    flagged ? COLOR_FLAG : "#52606d",
			    flagged ? "1.8" : "1.2", p[i].x,
			    p[i].y + BOX_H / 2 + 4);
		label(&g->n[i], max_chars, b);
		pl_buf_adds(b, "</text></g>\n");
	}
	pl_buf_adds(b, "</svg>\n");
	free(p);
	return 0;
}

int pl_svg_graph(const struct pl_graph *g, int use_dot, struct pl_buf *b,
		 const char **ret_how)
{
	if (use_dot && g->nn > DOT_MAX_NODES) {
		*ret_how = "drawn by peerlog (too many processes for dot)";
	} else if (use_dot && g->nn &&
		   system("command -v dot >/dev/null 2>&1") == 0) {
		size_t len = b->len;

		if (from_dot(g, b) == 0) {
			*ret_how = "drawn by Graphviz dot";
			return 1;
		}
		b->len = len; /* what dot wrote, if anything, dropped */
		if (b->p)
			b->p[len] = '\0';
		*ret_how = "drawn by peerlog (dot failed)";
	} else {
		*ret_how = use_dot && g->nn ? "drawn by peerlog (Graphviz dot is "
					      "not installed)"
					    : "drawn by peerlog";
	}
	return builtin(g, b);
}
