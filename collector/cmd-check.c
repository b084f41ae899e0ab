/* peerlog check: does the live kernel agree with the journal?
 *
 * For every end the journal believes held by a running process, ask the
 * kernel (one UNIX_DIAG dump, and /proc/PID/fd for the holders): is the
 * socket there, does that process hold it at that fd, is its peer the one
 * we recorded? Then the other way round: who holds a socket we know
 * without the journal knowing? */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kernel.h"
#include "model.h"
#include "output.h"
#include "peerlog.h"
#include "query.h"

static const char usage[] =
	"usage: peerlog check [-j PATH] [--json]\n"
	"\n"
	"Compare every socket and pipe end the journal believes held by a\n"
	"running process with the live kernel (NETLINK_SOCK_DIAG, /proc/PID/fd\n"
	"and, for a pipe's end, /proc/PID/fdinfo).\n"
	"Each end: agrees, holder missing in the kernel, holder the journal\n"
	"does not know, peer differs, socket gone, or out of reach (another\n"
	"network namespace).\n"
	"\n"
	"  -j, --journal PATH  journal to read (default $PEERLOG_JOURNAL, else\n"
	"                      ./peerlog.db)\n"
	"      --json          machine-readable output\n"
	"      --color[=WHEN]  auto (default: on a terminal, without NO_COLOR),\n"
	"                      always or never\n"
	"\n"
	"exit status: 0 everything agrees, 1 something disagrees, 2 error\n";

/* check's own contract, as for diff(1): 0 agree, 1 disagree, 2 error */
#define CHECK_ERROR 2

#define V_AGREES PL_CHECK_AGREES
#define V_MISSING "holder missing in the kernel"
#define V_UNKNOWN "holder the journal does not know"
#define V_PEER "peer differs"
#define V_GONE "socket gone"
#define V_REACH PL_CHECK_REACH

/* KIND, SIDE: of the end (socket, pipe, fifo; a pipe's 0 read, 1 write,
 * -1 not known) */
static void verdict(struct pl_check *c, const char *what, uint64_t ino,
		    const char *kind, int side, int pid, int fd,
		    const char *exe, const char *detail)
{
	struct pl_check_end e = {
		.ino = ino, .pid = pid, .fd = fd, .exe = exe, .verdict = what,
		.detail = detail, .kind = kind, .side = side,
		.ok = !strcmp(what, V_AGREES) || !strcmp(what, V_REACH),
	};

	c->checked++;
	c->disagree += !e.ok;
	c->fn(c->arg, &e);
}

enum {
	A_PID, A_FD, A_INO, A_COOKIE, A_PEER, A_EXE, A_CLOEXEC, A_EXEC_PATH,
	A_KIND, A_SIDE, A_IMAGE
};

static const char alive_sql[] =
	"SELECT p.pid, h.fd, s.ino, s.cookie, o.ino, p.exe, h.cloexec,"
	" p.exec_path, s.kind, s.side, " PL_IMAGE_COLS " "
	"FROM holding h JOIN process p ON p.id = h.process_id "
	"JOIN sock s ON s.id = h.sock_id LEFT JOIN sock o ON o.id = s.peer_id "
	"WHERE h.end_reason IS NULL AND p.end_reason IS NULL "
	"AND p.boot = ?1 ORDER BY s.ino, p.pid, h.fd";

/* One holding the journal believes alive, against the kernel. */
static void check_holding(struct pl_check *c, sqlite3_stmt *st)
{
	uint64_t ino = (uint64_t)sqlite3_column_int64(st, A_INO);
	uint64_t cookie = (uint64_t)sqlite3_column_int64(st, A_COOKIE);
	uint64_t jpeer = (uint64_t)sqlite3_column_int64(st, A_PEER);
	int pid = sqlite3_column_int(st, A_PID), fd = sqlite3_column_int(st, A_FD);
	const char *exe = (const char *)sqlite3_column_text(st, A_EXE);
	const char *kind = (const char *)sqlite3_column_text(st, A_KIND);
	int side = sqlite3_column_int(st, A_SIDE), pipe = pl_end_is_pipe(kind);
	const struct pl_kunix *k = pipe ? NULL : pl_kdump_find(&c->dump, ino);
	const struct pl_kfd *at = pl_kfds_find(&c->fds, pid, fd);
	char detail[160];

	if (sqlite3_column_type(st, A_EXEC_PATH) != SQLITE_NULL)
		exe = (const char *)sqlite3_column_text(st, A_EXEC_PATH);
	if (!pl_kfds_holds(&c->fds, pid, fd, ino)) {
		if (at)
			snprintf(detail, sizeof(detail), "fd %d is %s:[%llu]",
				 fd, at->pipe ? "pipe" : "socket",
				 (unsigned long long)at->ino);
		else
			snprintf(detail, sizeof(detail), "fd %d holds no %s",
				 fd, pipe ? "such pipe" : "socket");
		verdict(c, k || pl_kfds_has(&c->fds, ino) ? V_MISSING : V_GONE,
			ino, kind, pipe ? side : -1, pid, fd, exe, detail);
		return;
	}
	if (pipe) { /* no peer to ask about: the one inode is both ends */
		int at_side = pl_kfd_side(pid, fd);

		if (at_side >= 0 && at_side != side) {
			snprintf(detail, sizeof(detail), "fd %d is the %s", fd,
				 pl_end_side_name(at_side));
			verdict(c, V_MISSING, ino, kind, side, pid, fd, exe,
				detail);
		} else {
			verdict(c, V_AGREES, ino, kind, side, pid, fd, exe,
				NULL);
		}
		return;
	}
	if (!k) {
		/* held, but not in our network namespace's table */
		verdict(c, V_REACH, ino, kind, -1, pid, fd, exe,
			"held, but in another network namespace");
		return;
	}
	if (cookie && k->cookie && cookie != k->cookie) {
		verdict(c, V_GONE, ino, kind, -1, pid, fd, exe,
			"the inode now names another socket");
		return;
	}
	/* A peer of 0 is no contradiction: a closed peer, a datagram
	 * server, a client not accepted yet all read 0. */
	if (!c->dump.no_peers && jpeer && k->peer && k->peer != jpeer) {
		snprintf(detail, sizeof(detail),
			 "the kernel's peer is socket:[%u], the journal's "
			 "socket:[%llu]", k->peer, (unsigned long long)jpeer);
		verdict(c, V_PEER, ino, kind, -1, pid, fd, exe, detail);
		return;
	}
	verdict(c, V_AGREES, ino, kind, -1, pid, fd, exe, NULL);
}

/* Kernel holders of sockets and pipes the journal knows, that it does not
 * list as alive holders. */
static int check_unknown_holders(struct pl_check *c, sqlite3 *db)
{
	sqlite3_stmt *known = pl_db_prepare(
		db, "SELECT 1 FROM sock s WHERE s.boot = ?1 AND s.ino = ?2 "
		    /* a pipe from outside the tree (a CI runner's, found at
		     * start) is held by half the machine: not our business */
		    "AND (s.kind = 'socket' OR NOT EXISTS (SELECT 1 FROM "
		    "holding f WHERE f.sock_id = s.id AND f.start_reason = "
		    "'found')) LIMIT 1");
	sqlite3_stmt *held = pl_db_prepare(
		db, "SELECT 1 FROM holding h JOIN process p ON p.id = "
		    "h.process_id JOIN sock s ON s.id = h.sock_id WHERE "
		    "p.pid = ?1 AND h.fd = ?2 AND s.ino = ?3 AND p.boot = ?4 "
		    "AND h.end_reason IS NULL AND p.end_reason IS NULL LIMIT 1");

	if (!known || !held) {
		sqlite3_finalize(known);
		sqlite3_finalize(held);
		return PL_EXIT_JOURNAL;
	}
	for (size_t i = 0; i < c->fds.n; i++) {
		const struct pl_kfd *f = &c->fds.v[i];
		int is_known, is_held;
		char exe[64], path[64];
		ssize_t n;

		sqlite3_reset(known);
		sqlite3_bind_text(known, 1, pl_boot_id(), -1, SQLITE_STATIC);
		sqlite3_bind_int64(known, 2, (int64_t)f->ino);
		is_known = sqlite3_step(known) == SQLITE_ROW;
		if (!is_known)
			continue;
		sqlite3_reset(held);
		sqlite3_bind_int(held, 1, f->pid);
		sqlite3_bind_int(held, 2, f->fd);
		sqlite3_bind_int64(held, 3, (int64_t)f->ino);
		sqlite3_bind_text(held, 4, pl_boot_id(), -1, SQLITE_STATIC);
		is_held = sqlite3_step(held) == SQLITE_ROW;
		if (is_held)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/exe", f->pid);
		n = readlink(path, exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		verdict(c, V_UNKNOWN, f->ino, f->pipe ? "pipe" : "socket",
			f->pipe ? pl_kfd_side(f->pid, f->fd) : -1, f->pid, f->fd,
			n > 0 ? exe : NULL, "the kernel shows it held there");
	}
	sqlite3_finalize(known);
	sqlite3_finalize(held);
	return 0;
}

int pl_check_load(struct pl_check *c)
{
	return pl_kdump_load(&c->dump) < 0 || pl_kfds_scan(&c->fds) < 0 ? -1
									 : 0;
}

int pl_check_run(struct pl_check *c, sqlite3 *db)
{
	struct pl_query q = { .live = 1 };
	sqlite3_stmt *st = pl_db_prepare(db, alive_sql);

	if (!st)
		return PL_EXIT_JOURNAL;
	sqlite3_bind_text(st, 1, pl_boot_id(), -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct pl_image img;
		int64_t until;
		int inferred;

		pl_image_read(st, A_IMAGE, &img);
		if (strcmp(pl_holding_end(&q, &img, sqlite3_column_int(st,
				A_CLOEXEC), &until, &inferred), PL_END_ALIVE))
			continue; /* ended with its process: nothing to ask */
		check_holding(c, st);
	}
	sqlite3_finalize(st);
	return check_unknown_holders(c, db);
}

void pl_check_free(struct pl_check *c)
{
	pl_kdump_free(&c->dump);
	pl_kfds_free(&c->fds);
}

struct out {
	struct pl_json j;
	int json;
};

static void print_verdict(void *arg, const struct pl_check_end *e)
{
	struct out *o = arg;

	if (o->json) {
		pl_json_open(&o->j, NULL, '{');
		pl_json_int(&o->j, "inode", (long long)e->ino);
		pl_json_str(&o->j, "kind", e->kind);
		if (pl_end_is_pipe(e->kind) && e->side >= 0)
			pl_json_str(&o->j, "end", e->side ? "write" : "read");
		pl_json_int(&o->j, "pid", e->pid);
		pl_json_int(&o->j, "fd", e->fd);
		pl_json_str(&o->j, "exe", e->exe);
		pl_json_str(&o->j, "verdict", e->verdict);
		pl_json_str(&o->j, "detail", e->detail);
		pl_json_close(&o->j, '}');
	} else {
		enum pl_paint paint = !strcmp(e->verdict, V_AGREES)
					      ? PL_PAINT_GOOD
				      : e->ok ? PL_PAINT_NONE : PL_PAINT_WARN;
		struct pl_buf name = { 0 };

		if (pl_end_is_pipe(e->kind) && e->side < 0)
			pl_buf_addf(&name, "%s:[%llu]", e->kind,
				    (unsigned long long)e->ino);
		else
			pl_end_name(&name, e->kind, (int64_t)e->ino, e->side,
				    NULL);
		printf("%s  pid %d (%s) fd %d: %s%s%s%s%s\n", name.p, e->pid,
		       pl_basename(e->exe), e->fd, pl_paint_on(paint),
		       e->verdict, pl_paint_off(paint), e->detail ? ": " : "",
		       e->detail ? e->detail : "");
		pl_buf_free(&name);
	}
}

int cmd_check(int argc, char **argv)
{
	struct out out = { .json = 0 };
	struct pl_check c = { .fn = print_verdict, .arg = &out };
	struct pl_opts o;
	sqlite3 *db = NULL;
	int next, rc;

	rc = pl_cli_parse(argc, argv, usage, &o, &next, 0);
	if (rc)
		return rc < 0 ? PL_EXIT_OK : rc;
	if (next < argc) {
		pl_error("check takes no operand ('%s')", argv[next]);
		return PL_EXIT_USAGE;
	}
	rc = pl_journal_open_ingested(o.journal, &db);
	if (rc)
		return CHECK_ERROR;
	if (pl_check_load(&c) < 0) {
		pl_error("cannot read the kernel's UNIX sockets");
		rc = CHECK_ERROR;
		goto out;
	}
	out.json = o.json;
	pl_json_init(&out.j, stdout);
	if (o.json) {
		pl_json_open(&out.j, NULL, '{');
		pl_json_bool(&out.j, "peers_checked", !c.dump.no_peers);
		pl_json_open(&out.j, "unreadable_pids", '[');
		for (size_t i = 0; i < c.fds.nunreadable; i++)
			pl_json_int(&out.j, NULL, c.fds.unreadable[i]);
		pl_json_close(&out.j, ']');
		pl_json_open(&out.j, "ends", '[');
	} else if (c.dump.no_peers) {
		printf("unix_diag is not available: read /proc/net/unix, so "
		       "peers cannot be checked\n");
	}
	rc = pl_check_run(&c, db) ? CHECK_ERROR : 0;
	if (o.json) {
		pl_json_close(&out.j, ']');
		pl_json_int(&out.j, "checked", c.checked);
		pl_json_int(&out.j, "disagreements", c.disagree);
		pl_json_close(&out.j, '}');
	} else {
		if (c.fds.nunreadable)
			printf("%zu processes could not be read (run as their "
			       "owner or root to see their fds)\n",
			       c.fds.nunreadable);
		printf("%d ends checked, %d disagree\n", c.checked, c.disagree);
	}
	if (!rc && c.disagree)
		rc = 1;
	if (pl_cli_done(rc) != rc) /* its output lost: an error, as diff's */
		rc = CHECK_ERROR;
out:
	pl_check_free(&c);
	sqlite3_close(db);
	return rc;
}
