/* Reading the model back: holders of a socket end, with exec chains
 * merged and the end of each holding resolved against the live system.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "model.h"
#include "peerlog.h"

const char *pl_basename(const char *path)
{
	const char *slash;

	if (!path)
		return "?";
	slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

const char *pl_sock_type_name(int type)
{
	switch (type & 0xf) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	default:
		return "other";
	}
}

int pl_end_is_pipe(const char *kind)
{
	return kind && strcmp(kind, "socket") != 0;
}

const char *pl_end_side_name(int side)
{
	return side ? "write end" : "read end";
}

void pl_end_name(struct pl_buf *b, const char *kind, int64_t ino, int side,
		 const char *name)
{
	if (!pl_end_is_pipe(kind))
		pl_buf_addf(b, "socket:[%lld]", (long long)ino);
	else if (!strcmp(kind, "fifo") && name)
		pl_buf_addf(b, "FIFO %s (%s)", name, pl_end_side_name(side));
	else
		pl_buf_addf(b, "%s:[%lld] (%s)", kind, (long long)ino,
			    pl_end_side_name(side));
}

void pl_image_read(sqlite3_stmt *st, int col, struct pl_image *img)
{
	img->end_reason = (const char *)sqlite3_column_text(st, col);
	img->end_ns = sqlite3_column_int64(st, col + 1);
	img->boot = (const char *)sqlite3_column_text(st, col + 2);
	img->pid = sqlite3_column_int(st, col + 3);
	img->start_ticks = (uint64_t)sqlite3_column_int64(st, col + 4);
	img->exec_ns = sqlite3_column_int64(st, col + 5);
	img->exec_path = (const char *)sqlite3_column_text(st, col + 6);
}

const char *pl_kernel_verdict(struct pl_query *q, int pid, int fd,
			      uint64_t ino)
{
	q->alive_seen = 1;
	if (!q->kernel || q->unavailable)
		return NULL;
	if (!q->loaded) {
		q->loaded = 1;
		if (pl_kdump_load(&q->dump) < 0 || pl_kfds_scan(&q->fds) < 0) {
			q->unavailable = 1;
			return NULL;
		}
	}
	if (pl_kfds_holds(&q->fds, pid, fd, ino))
		return PL_KERNEL_OK;
	return pl_kdump_find(&q->dump, ino) || pl_kfds_has(&q->fds, ino)
		       ? PL_KERNEL_MISSING : PL_KERNEL_GONE;
}

const char *pl_query_unchecked(const struct pl_query *q)
{
	if (!q->kernel)
		return "--no-check";
	if (!q->alive_seen)
		return "no holder is alive: a post-mortem answer";
	if (q->unavailable)
		return "the kernel's sockets could not be read";
	return NULL;
}

void pl_json_live_check(struct pl_json *j, const struct pl_query *q)
{
	const char *why = pl_query_unchecked(q);

	pl_json_open(j, "live_check", '{');
	pl_json_bool(j, "done", !why);
	pl_json_str(j, "reason", why);
	pl_json_close(j, '}');
}

void pl_text_live_check(const struct pl_query *q)
{
	const char *why = pl_query_unchecked(q);

	if (why)
		printf("no live check: %s\n", why);
}

void pl_query_free(struct pl_query *q)
{
	pl_kdump_free(&q->dump);
	pl_kfds_free(&q->fds);
	sqlite3_finalize(q->holders_st);
	sqlite3_finalize(q->flights_st);
	sqlite3_finalize(q->holders_range_st);
	q->holders_range_st = NULL;
	sqlite3_finalize(q->site_st[0]);
	sqlite3_finalize(q->site_st[1]);
	q->holders_st = q->flights_st = q->site_st[0] = q->site_st[1] = NULL;
	q->loaded = 0;
}

static int running(const struct pl_query *q, const struct pl_image *img)
{
	if (!q->live)
		return 1; /* as far as the journal knows */
	return pl_proc_alive(img->boot, img->pid, img->start_ticks);
}

const char *pl_image_state(const struct pl_query *q, const struct pl_image *img,
			   int64_t *until_ns, int *untraced)
{
	*until_ns = 0;
	*untraced = 0;
	if (img->end_reason) {
		*until_ns = img->end_ns;
		return !strcmp(img->end_reason, "exec") ? PL_END_EXEC
							: PL_END_EXIT;
	}
	if (img->exec_ns) {
		*until_ns = img->exec_ns;
		*untraced = 1;
		return PL_END_EXEC;
	}
	/* not running: killed, most likely, at a time nobody recorded */
	return running(q, img) ? PL_END_ALIVE : PL_END_EXIT;
}

const char *pl_holding_end(const struct pl_query *q, const struct pl_image *img,
			   int cloexec, int64_t *until_ns, int *inferred)
{
	*until_ns = 0;
	*inferred = 0;
	if (img->end_reason) {
		*until_ns = img->end_ns;
		return !strcmp(img->end_reason, "exec") ? PL_END_EXEC
							: PL_END_EXIT;
	}
	if (img->exec_ns) {
		*inferred = 1;
		if (cloexec) {
			*until_ns = img->exec_ns;
			return PL_END_EXEC;
		}
	}
	return running(q, img) ? PL_END_ALIVE : PL_END_EXIT;
}

enum {
	C_ID, C_PROC, C_PID, C_FD, C_FROM, C_START, C_SOURCE, C_UNTIL, C_END,
	C_EXE, C_ARGV, C_SRC_PID, C_SRC_FD, C_CLOEXEC, C_INO, C_IMAGE,
	C_SOCK = C_IMAGE + 7
};

static const char holders_sql[] =
	"SELECT h.id, h.process_id, p.pid, h.fd, h.from_ns, h.start_reason,"
	" h.source_id, h.until_ns, h.end_reason, p.exe, p.argv, sp.pid, sh.fd,"
	" h.cloexec, s.ino, " PL_IMAGE_COLS " "
	"FROM holding h JOIN process p ON p.id = h.process_id "
	"JOIN sock s ON s.id = h.sock_id "
	"LEFT JOIN holding sh ON sh.id = h.source_id "
	"LEFT JOIN process sp ON sp.id = sh.process_id "
	"WHERE h.sock_id = ?1 ORDER BY h.from_ns, h.id";

/* The same for a range of sockets, along holding_by_sock, in its order:
 * pl_holders_load_range() sorts the few rows of each socket itself. */
static const char holders_range_sql[] =
	"SELECT h.id, h.process_id, p.pid, h.fd, h.from_ns, h.start_reason,"
	" h.source_id, h.until_ns, h.end_reason, p.exe, p.argv, sp.pid, sh.fd,"
	" h.cloexec, s.ino, " PL_IMAGE_COLS ", h.sock_id "
	"FROM holding h INDEXED BY holding_by_sock "
	"JOIN process p ON p.id = h.process_id "
	"JOIN sock s ON s.id = h.sock_id "
	"LEFT JOIN holding sh ON sh.id = h.source_id "
	"LEFT JOIN process sp ON sp.id = sh.process_id "
	"WHERE h.sock_id BETWEEN ?1 AND ?2 ORDER BY h.sock_id";

static char *dup_col(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? strdup(s) : NULL;
}

static int flights_load(sqlite3 *db, struct pl_query *q, int64_t sock_id,
			struct pl_holders *ret)
{
	sqlite3_stmt *st = q->flights_st;
	int rc;

	if (!st)
		st = q->flights_st = pl_db_prepare(
			db, "SELECT f.sent_ns, f.channel_ino, sp.pid, sh.fd "
			    "FROM flight f "
			    "LEFT JOIN holding sh ON sh.id = f.source_id "
			    "LEFT JOIN process sp ON sp.id = sh.process_id "
			    "WHERE f.sock_id = ?1 AND f.received_id IS NULL "
			    "ORDER BY f.id");
	if (!st)
		return PL_EXIT_JOURNAL;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, sock_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pl_flight *f;

		f = realloc(ret->flights, (ret->nflights + 1) * sizeof(*f));
		if (!f) {
			sqlite3_reset(st);
			return PL_EXIT_SYSTEM;
		}
		ret->flights = f;
		f += ret->nflights++;
		f->sent_ns = sqlite3_column_int64(st, 0);
		f->channel_ino = sqlite3_column_int64(st, 1);
		f->from_pid = sqlite3_column_int(st, 2);
		f->from_fd = sqlite3_column_int(st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : pl_db_fail(db, "cannot read flights");
}

/* One row of holders_sql, read out of the statement, so that the rows of a
 * socket can be put in order here (a few each) rather than by SQLite (all
 * of a window's, with their text). */
struct raw {
	int64_t id, proc, from_ns, source, until_ns, ino;
	int pid, fd, src_pid, src_fd, has_src, cloexec;
	char start[8];
	const char *end;       /* "close", "kept", "unknown" or NULL */
	char *exe, *argv;      /* owned */
	struct pl_image img;   /* boot and exec_path owned */
};

static const char *end_name(const char *s)
{
	if (!s)
		return NULL;
	if (!strcmp(s, "close"))
		return "close";
	return !strcmp(s, "kept") ? "kept" : "unknown";
}

static void raw_read(sqlite3_stmt *st, struct raw *r)
{
	const char *start = (const char *)sqlite3_column_text(st, C_START);
	struct pl_image img;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, C_ID);
	r->proc = sqlite3_column_int64(st, C_PROC);
	r->pid = sqlite3_column_int(st, C_PID);
	r->fd = sqlite3_column_int(st, C_FD);
	r->from_ns = sqlite3_column_int64(st, C_FROM);
	snprintf(r->start, sizeof(r->start), "%s", start ? start : "found");
	r->source = sqlite3_column_int64(st, C_SOURCE);
	r->until_ns = sqlite3_column_int64(st, C_UNTIL);
	r->end = end_name((const char *)sqlite3_column_text(st, C_END));
	r->exe = dup_col(st, C_EXE);
	r->argv = dup_col(st, C_ARGV);
	r->has_src = sqlite3_column_type(st, C_SRC_PID) != SQLITE_NULL;
	r->src_pid = sqlite3_column_int(st, C_SRC_PID);
	r->src_fd = sqlite3_column_int(st, C_SRC_FD);
	r->cloexec = sqlite3_column_int(st, C_CLOEXEC);
	r->ino = sqlite3_column_int64(st, C_INO);
	pl_image_read(st, C_IMAGE, &img);
	r->img = img;
	r->img.end_reason = !img.end_reason ? NULL
			    : !strcmp(img.end_reason, "exec") ? "exec" : "exit";
	r->img.boot = img.boot ? strdup(img.boot) : NULL;
	r->img.exec_path = img.exec_path ? strdup(img.exec_path) : NULL;
}

static void raw_free(struct raw *r)
{
	free(r->exe);
	free(r->argv);
	free((char *)r->img.boot);
	free((char *)r->img.exec_path);
}

/* In the order holders_sql gives: by start, then id. */
static int raw_cmp(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;

	if (x->from_ns != y->from_ns)
		return x->from_ns < y->from_ns ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Row R into RET: a new holder, or the next image of one kept across
 * exec. R's exe and argv pass to the holder. */
static int holder_raw(struct pl_query *q, struct raw *r,
		      struct pl_holders *ret)
{
	struct pl_holder *h = NULL;

	/* kept across exec: the same holder goes on */
	if (!strcmp(r->start, "exec"))
		for (size_t i = 0; i < ret->n; i++)
			if (ret->v[i].last_id == r->source)
				h = &ret->v[i];
	if (h) {
		free(h->exe);
		free(h->argv);
		h->execs++;
	} else {
		if (ret->n == ret->cap) {
			ret->cap = ret->cap ? 2 * ret->cap : 8;
			ret->v = realloc(ret->v, ret->cap * sizeof(*ret->v));
			if (!ret->v)
				return PL_EXIT_SYSTEM;
		}
		h = &ret->v[ret->n++];
		memset(h, 0, sizeof(*h));
		h->first_id = r->id;
		h->fd = r->fd;
		h->from_ns = r->from_ns;
		snprintf(h->start_reason, sizeof(h->start_reason), "%s",
			 r->start);
		if (r->has_src) {
			h->source_pid = r->src_pid;
			h->source_fd = r->src_fd;
		}
	}
	h->last_id = r->id;
	h->process_id = r->proc;
	h->pid = r->pid;
	h->exe = r->exe;
	h->argv = r->argv;
	r->exe = r->argv = NULL;
	h->inferred = 0;
	h->kernel = NULL;
	h->ino = r->ino;
	if (!r->end) {
		h->end_reason = pl_holding_end(q, &r->img, r->cloexec,
					       &h->until_ns, &h->inferred);
		if (h->inferred && strcmp(h->end_reason, PL_END_EXEC)) {
			/* went on in the program it exec'd */
			free(h->exe);
			free(h->argv);
			h->exe = r->img.exec_path ? strdup(r->img.exec_path)
						  : NULL;
			h->argv = NULL;
			h->execs++;
		}
		if (!strcmp(h->end_reason, PL_END_ALIVE) && q->live)
			h->kernel = pl_kernel_verdict(
				q, h->pid, h->fd, (uint64_t)h->ino);
	} else {
		h->until_ns = r->until_ns;
		h->end_reason = !strcmp(r->end, "close") ? PL_END_CLOSE
							 : PL_END_UNKNOWN;
	}
	return 0;
}

static int holder_row(struct pl_query *q, sqlite3_stmt *st,
		      struct pl_holders *ret)
{
	struct raw r;
	int rc;

	raw_read(st, &r);
	rc = holder_raw(q, &r, ret);
	raw_free(&r);
	return rc;
}

int pl_holders_load(sqlite3 *db, struct pl_query *q, int64_t sock_id,
		    struct pl_holders *ret)
{
	sqlite3_stmt *st = q->holders_st;
	int rc;

	memset(ret, 0, sizeof(*ret));
	if (!st)
		st = q->holders_st = pl_db_prepare(db, holders_sql);
	if (!st)
		return PL_EXIT_JOURNAL;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, sock_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (holder_row(q, st, ret)) {
			sqlite3_reset(st);
			return PL_EXIT_SYSTEM;
		}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return pl_db_fail(db, "cannot read holders");
	return q->no_flights ? 0 : flights_load(db, q, sock_id, ret);
}

/* The holders of the sockets with ids LO to HI, in one query, into RET[i]
 * for the socket SOCKS[i] (N of them, sorted by id); flights are left
 * out. A row of a socket not asked for is skipped. */
int pl_holders_load_range(sqlite3 *db, struct pl_query *q,
			  const int64_t *socks, size_t n,
			  struct pl_holders *ret)
{
	sqlite3_stmt *st = q->holders_range_st;
	struct raw *rows = NULL;
	size_t nrows = 0, cap = 0, slot = 0;
	int64_t cur = 0;
	int rc, err = 0;

	memset(ret, 0, n * sizeof(*ret));
	if (!n)
		return 0;
	if (!st)
		st = q->holders_range_st = pl_db_prepare(db, holders_range_sql);
	if (!st)
		return PL_EXIT_JOURNAL;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, socks[0]);
	sqlite3_bind_int64(st, 2, socks[n - 1]);
	for (;;) {
		int64_t sock = 0;

		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			sock = sqlite3_column_int64(st, C_SOCK);
		/* the rows of one socket come together: their turn */
		if (nrows && (rc != SQLITE_ROW || sock != cur)) {
			qsort(rows, nrows, sizeof(*rows), raw_cmp);
			for (size_t i = 0; i < nrows; i++) {
				if (!err)
					err = holder_raw(q, &rows[i], &ret[slot]);
				raw_free(&rows[i]);
			}
			nrows = 0;
		}
		if (rc != SQLITE_ROW)
			break;
		if (sock != cur) {
			size_t lo = 0, hi = n;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (socks[mid] < sock)
					lo = mid + 1;
				else
					hi = mid;
			}
			cur = sock;
			slot = lo < n && socks[lo] == sock ? lo : n;
		}
		if (slot == n) /* in the range, not asked for */
			continue;
		if (nrows == cap) {
			struct raw *v;

			cap = cap ? 2 * cap : 16;
			v = realloc(rows, cap * sizeof(*v));
			if (!v) {
				err = PL_EXIT_SYSTEM;
				break;
			}
			rows = v;
		}
		raw_read(st, &rows[nrows++]);
	}
	for (size_t i = 0; i < nrows; i++)
		raw_free(&rows[i]);
	free(rows);
	sqlite3_reset(st);
	if (err)
		return err;
	return rc == SQLITE_DONE ? 0 : pl_db_fail(db, "cannot read holders");
}

void pl_holders_free(struct pl_holders *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		free(hs->v[i].exe);
		free(hs->v[i].argv);
	}
	free(hs->v);
	free(hs->flights);
	memset(hs, 0, sizeof(*hs));
}

/* "fork of 2495, exec; alive": how a holding started and ended. */
void pl_how(const char *start, int source_pid, int source_fd, int execs,
	    const char *end, struct pl_buf *b)
{
	if (!strcmp(start, "create"))
		pl_buf_adds(b, "created");
	else if (!strcmp(start, "open"))
		pl_buf_adds(b, "opened");
	else if (!strcmp(start, "accept"))
		pl_buf_adds(b, "accepted");
	else if (!strcmp(start, "dup"))
		pl_buf_addf(b, "dup of fd %d", source_fd);
	else if (!strcmp(start, "recv") && source_pid)
		pl_buf_addf(b, "received from %d", source_pid);
	else if (!strcmp(start, "recv"))
		pl_buf_adds(b, "received");
	else if (!strcmp(start, "fork"))
		pl_buf_addf(b, "fork of %d", source_pid);
	else if (!strcmp(start, "inherit"))
		pl_buf_addf(b, "inherited from %d", source_pid);
	else if (!strcmp(start, "exec"))
		pl_buf_adds(b, "kept across exec");
	else
		pl_buf_adds(b, "held at start");
	if (execs == 1)
		pl_buf_adds(b, ", exec");
	else if (execs > 1)
		pl_buf_addf(b, ", %d execs", execs);
	if (!strcmp(end, PL_END_ALIVE))
		pl_buf_adds(b, "; alive");
	else if (!strcmp(end, PL_END_CLOSE))
		pl_buf_adds(b, "; closed");
	else if (!strcmp(end, PL_END_EXEC))
		pl_buf_adds(b, "; closed on exec");
	else if (!strcmp(end, PL_END_EXIT))
		pl_buf_adds(b, "; exited");
	else if (!strcmp(end, PL_END_KEPT))
		pl_buf_adds(b, "; exec'd");
	else
		pl_buf_adds(b, "; lost track");
}

void pl_holder_how(const struct pl_holder *h, struct pl_buf *b)
{
	pl_how(h->start_reason, h->source_pid, h->source_fd, h->execs,
	       h->end_reason, b);
	pl_how_marks(b, h->inferred, h->kernel);
}

void pl_how_marks(struct pl_buf *b, int inferred, const char *kernel)
{
	if (inferred)
		pl_buf_adds(b, " (inferred)");
	if (kernel && !strcmp(kernel, PL_KERNEL_OK))
		pl_buf_adds(b, ", confirmed");
	else if (kernel)
		pl_buf_addf(b, ", kernel: %s", kernel);
}

void pl_json_holder(struct pl_json *j, const struct pl_holder *h)
{
	pl_json_open(j, NULL, '{');
	pl_json_int(j, "pid", h->pid);
	pl_json_int(j, "fd", h->fd);
	pl_json_str(j, "exe", h->exe);
	pl_json_raw(j, "argv", h->argv);
	pl_json_time(j, "from", h->from_ns);
	pl_json_time(j, "until", h->until_ns);
	pl_json_str(j, "start_reason", h->start_reason);
	pl_json_str(j, "end_reason", h->end_reason);
	pl_json_int(j, "execs", h->execs);
	pl_json_bool(j, "inferred", h->inferred);
	pl_json_str(j, "kernel", h->kernel);
	if (h->source_pid) {
		pl_json_open(j, "source", '{');
		pl_json_int(j, "pid", h->source_pid);
		pl_json_int(j, "fd", h->source_fd);
		pl_json_close(j, '}');
	} else {
		pl_json_null(j, "source");
	}
	pl_json_close(j, '}');
}
