/* What graph, tree, pairs and check compute, as pieces apart from how
 * each command prints it, so that report (cmd-report.c) reads the journal
 * through the same queries. */
#ifndef PEERLOG_COLLECTOR_QUERY_H
#define PEERLOG_COLLECTOR_QUERY_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#include "kernel.h"
#include "model.h"

/* graph (cmd-graph.c): one node per process (an exec chain is one),
 * edges between the final holders of the two ends of each pair or
 * connection. */
struct pl_graph_node {
	int64_t first_image; /* id of the process's first image */
	int pid, root;       /* root: index of its lineage's first node */
	int64_t parent;      /* node index + 1 of its parent, 0: none */
	char *exe;
};

struct pl_graph_edge {
	int a, b;     /* node indexes */
	int fda, fdb;
	int64_t ino_a, ino_b;
	int64_t sock_a, sock_b; /* sock ids of the two ends */
	int leak;     /* lint flagged one of its ends */
	const char *kind; /* "pair", "connection", or "pipe" and "fifo":
			   * from a, the write end's holder, to b */
	char site[160]; /* where it was made, "" if not known */
};

struct pl_graph {
	struct pl_graph_node *n;
	size_t nn;
	struct pl_graph_edge *e;
	size_t ne;
	int64_t *leaks; /* (pid << 32 | fd) of flagged ends */
	size_t nleaks;
};

/* Build G from the journal; lint's findings also go to FN (may be NULL).
 * The number of findings, or -1. */
int pl_graph_build(sqlite3 *db, pl_lint_fn fn, void *arg, struct pl_graph *g);
void pl_graph_free(struct pl_graph *g);
/* A pipe's or FIFO's edge: data goes from a to b. */
int pl_graph_edge_directed(const struct pl_graph_edge *e);
void pl_graph_write_dot(const struct pl_graph *g, FILE *f);
void pl_graph_write_mermaid(const struct pl_graph *g, FILE *f);

/* tree (cmd-tree.c): every program image, linked to its parent, with its
 * holdings, their ends resolved against the live system through Q. */
struct pl_tree_node {
	int64_t id, parent_id;
	int pid;
	char *exe, *argv, *origin;
	int64_t start_ns, end_ns;
	const char *state;      /* PL_END_* of the image itself */
	char *untraced;         /* it exec'd this, which never said hello */
	int64_t exit_status;    /* -1: unknown */
	size_t first_child, next_sibling; /* indexes + 1; 0: none */
	size_t hold_first, nhold;         /* its holdings in tree.holds */
	struct pl_image img;              /* what ends its holdings */
	char *boot, *exec_path;           /* img's text */
};

/* A holding as tree prints it, its end resolved. */
struct pl_tree_hold {
	int fd, has_peer, src_pid, src_fd, inferred;
	int side;                         /* a pipe's: 0 read, 1 write end */
	int64_t id, ino, peer_ino, from_ns, until_ns;
	const char *start, *end, *kernel; /* static strings */
	const char *kind;                 /* socket, pipe, fifo (static) */
};

struct pl_tree {
	sqlite3 *db;
	struct pl_query q;
	struct pl_tree_node *v; /* in id order; roots have parent_id 0 */
	size_t n;
	struct pl_tree_hold *holds;
	size_t nholds;
};

/* Load T from T->db with T->q set; an exit status. */
int pl_tree_load(struct pl_tree *t);
void pl_tree_free(struct pl_tree *t);
/* "exited 0", "exec'd", "running", ... */
void pl_tree_state_text(const struct pl_tree_node *nd, struct pl_buf *b);
/* "created; closed", with ", confirmed" or the kernel's word. */
void pl_tree_hold_how(const struct pl_tree_hold *h, struct pl_buf *b);

/* pairs (cmd-pairs.c): each socketpair in id order, with the holders of
 * its two ends. */
struct pl_pair_end {
	int64_t sock, ino, cookie; /* sock 0: none */
	const struct pl_holders *holders;
};

struct pl_pair {
	int64_t id, created_ns;
	int type, pid;
	const char *exe;
	const struct pl_site *site; /* NULL: not known */
	struct pl_pair_end end[2];
	int pipe; /* a pipe(): end 0 reads, end 1 writes */
};

/* FN for every pair (pointers valid during the call); the number of
 * pairs, or an exit status as a negative number. */
typedef void (*pl_pair_fn)(void *arg, const struct pl_pair *p);
int pl_pairs_each(sqlite3 *db, struct pl_query *q, pl_pair_fn fn, void *arg);

/* check (cmd-check.c): each end the journal believes held by a running
 * process against the kernel, and kernel holders the journal does not
 * know. */
#define PL_CHECK_AGREES "agrees"
#define PL_CHECK_REACH "out of reach"

struct pl_check_end {
	uint64_t ino;
	int pid, fd;
	const char *exe, *verdict, *detail; /* detail may be NULL */
	int ok; /* agrees, or out of reach */
	const char *kind; /* socket, pipe, fifo */
	int side;         /* a pipe's: 0 read, 1 write end; -1 not known */
};

typedef void (*pl_check_fn)(void *arg, const struct pl_check_end *e);

struct pl_check {
	struct pl_kdump dump;
	struct pl_kfds fds;
	int checked, disagree;
	pl_check_fn fn;
	void *arg;
};

/* Read the kernel's sockets into C (0, or -1: cannot), then compare each
 * end, to C->fn (0, or an exit status). */
int pl_check_load(struct pl_check *c);
int pl_check_run(struct pl_check *c, sqlite3 *db);
void pl_check_free(struct pl_check *c);

/* svg.c: G as an <svg> element for report.html, into B: by Graphviz's dot
 * when USE_DOT and dot is installed (returns 1), else by a layout of our
 * own (0). *RET_HOW says which, for the page. -1: out of memory. */
int pl_svg_graph(const struct pl_graph *g, int use_dot, struct pl_buf *b,
		 const char **ret_how);

#endif
