/* peerlog ls [PID...]: the live UNIX sockets of traced processes, as ss -xp
 * and lsof +E show them (type, state, name, the peer and who holds it),
 * with what the journal adds: how each end got there and since when.
 * Works as any user: it reads what /proc lets it, and says what not. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "kernel.h"
#include "model.h"
#include "output.h"
#include "peerlog.h"

static const char usage[] =
	"usage: peerlog ls [-j PATH] [--json] [-o COLS] [-n] [PID...]\n"
	"\n"
	"List the live UNIX sockets of the traced processes that still run\n"
	"(or of the PIDs given): fd, type, state, address, the peer and the\n"
	"processes holding it, and from the journal how each end got there.\n"
	"\n"
	"  -j, --journal PATH  journal to read (default $PEERLOG_JOURNAL, else\n"
	"                      ./peerlog.db)\n"
	"      --json          machine-readable output\n"
	"  -o, --output COLS   the columns of the table, comma-separated (+COLS\n"
	"                      adds to the default); -o help lists them\n"
	"  -n, --no-headings   no heading row\n"
	"      --color[=WHEN]  auto (default: on a terminal, without NO_COLOR),\n"
	"                      always or never\n";

static const char *state_name(int state)
{
	switch (state) {
	case 1: return "ESTAB";
	case 7: return "UNCONN";
	case 10: return "LISTEN";
	case 2: return "SYN-SENT";
	default: return "?";
	}
}

static const char *type_name(int type)
{
	switch (type) {
	case SOCK_STREAM: return "stream";
	case SOCK_DGRAM: return "dgram";
	case SOCK_SEQPACKET: return "seqpacket";
	default: return "?";
	}
}

/* Is PID one of the PIDS asked for, or with none asked, traced and
 * running? */
static int wanted(sqlite3_stmt *traced, const long *pids, int npids, int pid)
{
	int yes = 0;

	if (npids) {
		for (int i = 0; i < npids; i++)
			yes |= pids[i] == pid;
		return yes;
	}
	sqlite3_reset(traced);
	sqlite3_bind_int(traced, 1, pid);
	sqlite3_bind_text(traced, 2, pl_boot_id(), -1, SQLITE_STATIC);
	if (sqlite3_step(traced) == SQLITE_ROW)
		yes = pl_proc_alive(pl_boot_id(), pid,
				    (uint64_t)sqlite3_column_int64(traced, 0));
	return yes;
}

/* The pair a socket belongs to, 0 if none (or not in the journal). */
static int64_t pair_of(sqlite3 *db, uint64_t ino)
{
	sqlite3_stmt *st = pl_db_prepare(
		db, "SELECT pair_id FROM sock WHERE ino = ?1 AND boot = ?2 "
		    "ORDER BY id DESC LIMIT 1");
	int64_t pair = 0;

	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, (int64_t)ino);
	sqlite3_bind_text(st, 2, pl_boot_id(), -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		pair = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return pair;
}

static void program(int pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		snprintf(buf, size, "?");
	else
		buf[n] = '\0';
}

enum {
	L_PID, L_FD, L_PROGRAM, L_EXE, L_TYPE, L_STATE, L_INODE, L_PEER,
	L_NAME, L_PEERS, L_START, L_FROM, L_SITE, L_HOW, L_N
};

static const struct pl_col ls_cols[L_N] = {
	[L_PID] = { "PID", 7, 0, "process id" },
	[L_FD] = { "FD", 3, PL_COL_RIGHT, "file descriptor" },
	[L_PROGRAM] = { "PROGRAM", 10, PL_COL_TRUNC, "program name" },
	[L_EXE] = { "EXE", 0, 0, "program path" },
	[L_TYPE] = { "TYPE", 9, 0, "stream, dgram or seqpacket" },
	[L_STATE] = { "STATE", 6, 0, "ESTAB, LISTEN, UNCONN, ... as ss says" },
	[L_INODE] = { "INODE", 8, 0, "the socket's inode" },
	[L_PEER] = { "PEER", 8, 0, "the peer's inode, 0 if none" },
	[L_NAME] = { "NAME", 0, 0, "address: a path, @abstract, - if none" },
	[L_PEERS] = { "PEERS", 0, 0, "PID:FD of each holder of the peer" },
	[L_START] = { "START", 7, 0,
		      "how it got the end (start_reason), - not in the journal" },
	[L_FROM] = { "FROM", 12, 0, "since when (local time)" },
	[L_SITE] = { "SITE", 0, 0, "where the socket was made" },
	[L_HOW] = { "HOW", 0, 0, "how it got there, the peer's holders, where "
			      "it was made" },
};
#define DEFAULT_COLS "PID,FD,PROGRAM,TYPE,STATE,INODE,PEER,HOW"

/* One socket as a row of the table: what the kernel says (K, F), the
 * journal's holding (START NULL: none) and the creation site. */
static void text_row(const struct pl_cols *c, const struct pl_kfds *fds,
		     const struct pl_kfd *f, const struct pl_kunix *k,
		     const char *exe, const char *start, int src_pid,
		     int src_fd, int64_t from, const struct pl_site *site)
{
	char pid[16], fd[16], ino[24], peer[24], since[32];
	const char *cells[L_N] = { 0 };
	enum pl_paint paint[L_N] = { 0 };
	struct pl_buf how = { 0 }, peers = { 0 }, where = { 0 };

	if (start) {
		char *end;

		pl_how(start, src_pid, src_fd, 0, PL_END_ALIVE, &how);
		end = strstr(how.p, "; alive"); /* all are */
		if (end) {
			*end = '\0';
			how.len = (size_t)(end - how.p);
		}
	} else {
		pl_buf_adds(&how, "not in the journal");
		paint[L_HOW] = paint[L_START] = PL_PAINT_WARN;
	}
	for (size_t p = 0; k->peer && p < fds->n; p++)
		if (fds->v[p].ino == k->peer) {
			pl_buf_addf(&how, "; peer at %d fd %d", fds->v[p].pid,
				    fds->v[p].fd);
			pl_buf_addf(&peers, "%s%d:%d", peers.len ? "," : "",
				    fds->v[p].pid, fds->v[p].fd);
		}
	pl_site_append(&how, "; made in ", site);
	pl_site_append(&where, "", site);
	snprintf(pid, sizeof(pid), "%d", f->pid);
	snprintf(fd, sizeof(fd), "%d", f->fd);
	snprintf(ino, sizeof(ino), "%llu", (unsigned long long)f->ino);
	snprintf(peer, sizeof(peer), "%u", k->peer);
	if (from)
		pl_fmt_time((uint64_t)from, 0, since, sizeof(since));
	cells[L_PID] = pid;
	cells[L_FD] = fd;
	cells[L_PROGRAM] = pl_basename(exe);
	cells[L_EXE] = exe;
	cells[L_TYPE] = type_name(k->type);
	cells[L_STATE] = state_name(k->state);
	cells[L_INODE] = ino;
	cells[L_PEER] = peer;
	cells[L_NAME] = k->name[0] ? k->name : NULL;
	cells[L_PEERS] = peers.len ? peers.p : NULL;
	cells[L_START] = start;
	cells[L_FROM] = from ? since : NULL;
	cells[L_SITE] = where.len ? where.p : NULL;
	cells[L_HOW] = how.p;
	pl_cols_row(c, stdout, cells, paint);
	pl_buf_free(&how);
	pl_buf_free(&peers);
	pl_buf_free(&where);
}

int cmd_ls(int argc, char **argv)
{
	struct pl_opts o;
	struct pl_json j;
	struct pl_kdump dump;
	struct pl_kfds fds;
	sqlite3_stmt *traced = NULL, *how = NULL;
	struct pl_cols cols;
	sqlite3 *db;
	long *pids = NULL;
	int next, rc, npids = 0, shown = 0;

	rc = pl_cli_parse(argc, argv, usage, &o, &next, PL_CLI_COLUMNS);
	if (!rc)
		rc = pl_cols_setup(ls_cols, L_N, DEFAULT_COLS, o.columns,
				   !o.no_headings, &cols);
	if (rc)
		return rc < 0 ? PL_EXIT_OK : rc;
	if (argc > next) {
		pids = calloc((size_t)(argc - next), sizeof(*pids));
		if (!pids)
			return PL_EXIT_SYSTEM;
	}
	for (int i = next; i < argc; i++) {
		rc = pl_cli_number(argv[i], "PID", 1, INT_MAX, &pids[npids++]);
		if (rc) {
			free(pids);
			return rc;
		}
	}
	rc = pl_journal_open_ingested(o.journal, &db);
	if (rc) {
		free(pids);
		return rc;
	}
	if (pl_kdump_load(&dump) < 0 || pl_kfds_scan(&fds) < 0) {
		pl_error("cannot read the kernel's UNIX sockets");
		sqlite3_close(db);
		free(pids);
		return PL_EXIT_SYSTEM;
	}
	traced = pl_db_prepare(db, "SELECT start_ticks FROM process WHERE "
				   "pid = ?1 AND boot = ?2 ORDER BY id DESC "
				   "LIMIT 1");
	how = pl_db_prepare(
		db, "SELECT h.start_reason, h.from_ns, sp.pid, sh.fd "
		    "FROM holding h JOIN process p ON p.id = h.process_id "
		    "JOIN sock s ON s.id = h.sock_id "
		    "LEFT JOIN holding sh ON sh.id = h.source_id "
		    "LEFT JOIN process sp ON sp.id = sh.process_id "
		    "WHERE p.pid = ?1 AND h.fd = ?2 AND s.ino = ?3 AND p.boot = ?4 "
		    "AND h.end_reason IS NULL ORDER BY h.id DESC LIMIT 1");
	if (!traced || !how) {
		rc = PL_EXIT_JOURNAL;
		goto out;
	}
	pl_json_init(&j, stdout);
	if (o.json) {
		pl_json_open(&j, NULL, '{');
		pl_json_open(&j, "sockets", '[');
	} else {
		pl_cols_heading(&cols, stdout);
	}
	for (size_t i = 0; i < fds.n; i++) {
		const struct pl_kfd *f = &fds.v[i];
		const struct pl_kunix *k = pl_kdump_find(&dump, f->ino);
		const char *start = NULL;
		int src_pid = 0, src_fd = 0, has_site;
		int64_t from = 0;
		struct pl_site site;
		char exe[PATH_MAX];

		if (!k || !wanted(traced, pids, npids, f->pid))
			continue;
		sqlite3_reset(how);
		sqlite3_bind_int(how, 1, f->pid);
		sqlite3_bind_int(how, 2, f->fd);
		sqlite3_bind_int64(how, 3, (int64_t)f->ino);
		sqlite3_bind_text(how, 4, pl_boot_id(), -1, SQLITE_STATIC);
		if (sqlite3_step(how) == SQLITE_ROW) {
			start = (const char *)sqlite3_column_text(how, 0);
			from = sqlite3_column_int64(how, 1);
			src_pid = sqlite3_column_int(how, 2);
			src_fd = sqlite3_column_int(how, 3);
		}
		program(f->pid, exe, sizeof(exe));
		/* a socketpair's stack is on its end 0 */
		has_site = pl_site_of_end(db, pair_of(db, f->ino), (int64_t)f->ino,
					  &site) > 0;
		shown++;
		if (o.json) {
			pl_json_open(&j, NULL, '{');
			pl_json_int(&j, "pid", f->pid);
			pl_json_int(&j, "fd", f->fd);
			pl_json_str(&j, "exe", exe);
			pl_json_int(&j, "inode", (long long)f->ino);
			pl_json_str(&j, "type", type_name(k->type));
			pl_json_str(&j, "state", state_name(k->state));
			pl_json_str(&j, "name", k->name[0] ? k->name : NULL);
			pl_json_int(&j, "peer_inode", k->peer);
			pl_json_open(&j, "peer_holders", '[');
			for (size_t p = 0; k->peer && p < fds.n; p++)
				if (fds.v[p].ino == k->peer) {
					pl_json_open(&j, NULL, '{');
					pl_json_int(&j, "pid", fds.v[p].pid);
					pl_json_int(&j, "fd", fds.v[p].fd);
					pl_json_close(&j, '}');
				}
			pl_json_close(&j, ']');
			pl_json_str(&j, "start_reason", start);
			pl_json_pid_fd(&j, "source", src_pid, src_fd);
			pl_json_time(&j, "from", from);
			if (has_site)
				pl_json_site(&j, "created_at", &site);
			else
				pl_json_null(&j, "created_at");
			pl_json_close(&j, '}');
		} else {
			text_row(&cols, &fds, f, k, exe, start, src_pid, src_fd,
				 from, has_site ? &site : NULL);
		}
	}
	if (o.json) {
		pl_json_close(&j, ']');
		pl_json_open(&j, "unreadable_pids", '[');
		for (size_t i = 0; i < fds.nunreadable; i++)
			pl_json_int(&j, NULL, fds.unreadable[i]);
		pl_json_close(&j, ']');
		pl_json_close(&j, '}');
	} else {
		if (!shown)
			printf("no live UNIX socket in the processes asked for\n");
		if (fds.nunreadable)
			printf("%zu processes could not be read\n",
			       fds.nunreadable);
	}
out:
	sqlite3_finalize(traced);
	sqlite3_finalize(how);
	pl_kdump_free(&dump);
	pl_kfds_free(&fds);
	sqlite3_close(db);
	free(pids);
	return rc;
}
