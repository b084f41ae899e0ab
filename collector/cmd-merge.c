/* peerlog merge OUT IN...: the journals of several runs or machines in
 * one, so that every query answers for all of them.
 *
 * Identity is per boot: a program image is the same in two journals when
 * boot, pid, start time and hello time agree; a socket end when boot and
 * cookie agree, or, where one side has no cookie, boot and inode. Every
 * row gets a new id and every reference follows it, in SQL: the input is
 * attached, temporary tables map its ids to OUT's, and INSERT ... SELECT
 * copies what OUT lacks, one transaction per input. ARCHITECTURE.md says
 * why each rule is what it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "peerlog.h"
#include "../schema/files.h"

static const char usage[] =
	"usage: peerlog merge [--json] OUT IN...\n"
	"\n"
	"Merge the journals IN... into OUT (created when missing), so that\n"
	"'peerlog -j OUT' answers for all of them. Each IN is brought up to\n"
	"date with its spool first. Processes and sockets are told apart by\n"
	"boot: ends of one connection seen from two runs on one machine join,\n"
	"two machines never mix. Merging what OUT has already adds nothing.\n"
	"\n"
	"      --json          the counts as JSON\n"
	"\n"
	"exit status: 0 merged, 2 usage (no IN, OUT also an IN), 3 an IN or\n"
	"OUT missing, not a peerlog journal or unusable\n";

/* The tables of a journal, in the order their ids are mapped: each refers
 * only to those before it, and to itself. A row belongs to an owner row
 * (OWNER, in table OWNER_TABLE): the rows of an image new to OUT are all
 * new; those of an image OUT has are told apart by KEY, the n-th of a key
 * in the input being the n-th of that key in OUT. */
struct table {
	const char *name;
	const char *owner, *owner_table;
	const char *key[8];
	const char *end;       /* rows of OUT are completed from the input;
				  END: the column whose being set makes the
				  row's end (END_COLS) final */
	const char *end_cols[6];
};

static const struct table tables[PL_MERGE_TABLES] = {
	{ .name = "process",
	  .key = { "boot", "pid", "start_ticks", "hello_ns" },
	  .end = "end_reason",
	  .end_cols = { "end_ns", "end_reason", "exit_status", "exec_ns",
			"exec_path" } },
	{ .name = "pair", .owner = "process_id", .owner_table = "process",
	  .key = { "process_id", "created_ns", "domain", "type", "protocol" } },
	{ .name = "sock", .key = { "boot", "ino" }, .end = "" },
	{ .name = "holding", .owner = "process_id", .owner_table = "process",
	  .key = { "process_id", "fd", "sock_id", "from_ns", "start_reason" },
	  .end = "end_reason", .end_cols = { "until_ns", "end_reason" } },
	{ .name = "flight", .owner = "source_id", .owner_table = "holding",
	  .key = { "sock_id", "source_id", "sent_ns", "channel_ino" },
	  .end = "" },
	{ .name = "module", .owner = "process_id", .owner_table = "process",
	  .key = { "process_id", "start", "end", "path" } },
	{ .name = "stack", .key = { "sock_id" } },
	{ .name = "event", .owner = "process_id", .owner_table = "process",
	  .key = { "process_id", "pid", "time_ns", "kind", "fd", "arg",
		   "detail" } },
};
enum { T_PROCESS, T_PAIR, T_SOCK, T_HOLDING, T_FLIGHT, T_MODULE, T_STACK,
       T_EVENT };

/* A column both journals have, and the table it refers to (-1: none). */
struct col {
	char *name;
	int ref;
};

struct cols {
	struct col *v;
	size_t n;
};

struct merge {
	sqlite3 *db;
	const char *in; /* its path, for messages */
	struct cols cols[PL_MERGE_TABLES];
	int has_kind;   /* sock.kind (schema 2): pipes and FIFOs */
	struct pl_merge_counts *counts;
};

static int table_index(const char *name)
{
	for (int i = 0; i < PL_MERGE_TABLES; i++)
		if (name && !strcmp(name, tables[i].name))
			return i;
	return -1;
}

static int exec_sql(struct merge *m, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(m->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		pl_error("cannot merge '%s': %s", m->in,
			 msg ? msg : sqlite3_errmsg(m->db));
		sqlite3_free(msg);
		return PL_EXIT_JOURNAL;
	}
	return 0;
}

static int exec_buf(struct merge *m, struct pl_buf *b)
{
	int rc = exec_sql(m, pl_buf_str(b));

	pl_buf_free(b);
	return rc;
}

/* Identifiers cannot be bound: a column name from the schema goes into
 * the SQL quoted, its quotes doubled. */
static void add_ident(struct pl_buf *b, const char *alias, const char *name)
{
	if (alias)
		pl_buf_addf(b, "%s.", alias);
	pl_buf_adds(b, "\"");
	for (const char *p = name; *p; p++)
		pl_buf_adds(b, *p == '"' ? "\"\"" : (char[2]){ *p, 0 });
	pl_buf_adds(b, "\"");
}

static void cols_free(struct cols *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static const struct col *col_find(const struct cols *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

/* The columns of table T that both journals have, in OUT's order, and
 * what each refers to: what the lead adds to a table comes along. */
static int cols_load(struct merge *m, int t)
{
	sqlite3_stmt *st = pl_db_prepare(
		m->db, "SELECT c.name, (SELECT f.\"table\" FROM "
		       "pragma_foreign_key_list(?1, 'main') f WHERE "
		       "f.\"from\" = c.name) FROM pragma_table_info(?1, 'main') c "
		       "WHERE c.name IN (SELECT name FROM "
		       "pragma_table_info(?1, 'src')) ORDER BY c.cid");
	struct cols *c = &m->cols[t];
	int rc;

	if (!st)
		return PL_EXIT_JOURNAL;
	sqlite3_bind_text(st, 1, tables[t].name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *ref = (const char *)sqlite3_column_text(st, 1);
		struct col *v = realloc(c->v, (c->n + 1) * sizeof(*v));

		if (!v || !name) {
			free(v == c->v ? NULL : v);
			sqlite3_finalize(st);
			return PL_EXIT_SYSTEM;
		}
		c->v = v;
		c->v[c->n].name = strdup(name);
		c->v[c->n].ref = table_index(ref);
		if (ref && c->v[c->n].ref < 0) {
			pl_error("cannot merge '%s': %s.%s refers to table '%s', "
				 "which merge does not know", m->in,
				 tables[t].name, name, ref);
			c->n++;
			sqlite3_finalize(st);
			return PL_EXIT_JOURNAL;
		}
		c->n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return pl_db_fail(m->db, "cannot read the journal's columns");
	for (size_t k = 0; k < 8 && tables[t].key[k]; k++)
		if (!col_find(c, tables[t].key[k])) {
			pl_error("cannot merge '%s': table %s has no column %s",
				 m->in, tables[t].name, tables[t].key[k]);
			return PL_EXIT_JOURNAL;
		}
	return 0;
}

/* The input's value of column C of row s, as OUT knows it: a reference
 * goes through the map of its table (rows OUT had already), or else
 * moves by that table's base (rows added). */
static void add_value(struct pl_buf *b, const struct col *c)
{
	if (c->ref < 0 || c->ref == T_STACK) {
		add_ident(b, "s", c->name);
		return;
	}
	pl_buf_addf(b, "COALESCE((SELECT dst FROM temp.m_%s WHERE src = ",
		    tables[c->ref].name);
	add_ident(b, "s", c->name);
	pl_buf_addf(b, "), (SELECT n FROM temp.merge_base WHERE name = '%s') + ",
		    tables[c->ref].name);
	add_ident(b, "s", c->name);
	pl_buf_adds(b, ")");
}

/* Schema and the temporary maps: src -> dst for the input's rows that OUT
 * has already (a row not in its map is new, at base + its id). */
static int maps_create(struct merge *m)
{
	struct pl_buf b = { 0 };

	pl_buf_adds(&b, "CREATE TEMP TABLE IF NOT EXISTS merge_base (name TEXT "
			"PRIMARY KEY, n INTEGER NOT NULL); "
			"DELETE FROM temp.merge_base;");
	for (int t = 0; t < PL_MERGE_TABLES; t++) {
		if (t == T_STACK)
			continue;
		pl_buf_addf(&b, "CREATE TEMP TABLE IF NOT EXISTS m_%s (src "
			    "INTEGER PRIMARY KEY, dst INTEGER NOT NULL, "
			    "via INTEGER NOT NULL DEFAULT 0, dist INTEGER); "
			    "DELETE FROM temp.m_%s; "
			    "INSERT INTO temp.merge_base SELECT '%s', "
			    "COALESCE(max(id), 0) FROM main.%s;",
			    tables[t].name, tables[t].name, tables[t].name,
			    tables[t].name);
	}
	pl_buf_adds(&b, "CREATE INDEX IF NOT EXISTS temp.m_sock_dst ON "
			"m_sock (dst);");
	return exec_buf(m, &b);
}

/* Program images: the same (boot, pid, start time, hello time) is the
 * same image, found along process_by_pid. */
static int map_process(struct merge *m)
{
	return exec_sql(
		m, "INSERT INTO temp.m_process (src, dst) SELECT src, dst FROM "
		   "(SELECT s.id AS src, (SELECT o.id FROM main.process o "
		   "WHERE o.pid = s.pid AND o.boot = s.boot AND o.start_ticks "
		   "= s.start_ticks AND o.hello_ns = s.hello_ns ORDER BY o.id "
		   "LIMIT 1) AS dst FROM src.process s) WHERE dst IS NOT NULL");
}

/* When the journal first knew socket X of schema DB: its first holding,
 * else its pair, else its peer's first holding (an end known only as a
 * peer). Tells apart ends that reused an inode. */
static void add_sock_time(struct pl_buf *b, const char *db, const char *x)
{
	pl_buf_addf(b, "COALESCE((SELECT min(h.from_ns) FROM %s.holding h "
		       "WHERE h.sock_id = %s.id), (SELECT pr.created_ns FROM "
		       "%s.pair pr WHERE pr.id = %s.pair_id), (SELECT "
		       "min(h.from_ns) FROM %s.holding h WHERE h.sock_id = "
		       "%s.peer_id))", db, x, db, x, db, x);
}

/* Socket ends: by cookie (unique in a boot); else, where either side has
 * none, by inode, the nearest in time when several of OUT's have it; two
 * cookies that differ are two sockets. Each of OUT's ends takes at most
 * one of the input's by inode: the input knew them as different ends. */
static int map_sock(struct merge *m)
{
	const char *kind = m->has_kind
		? " AND o.kind IS s.kind AND (s.kind = 'socket' OR "
		  "o.side IS s.side)" : "";
	struct pl_buf b = { 0 };

	pl_buf_addf(&b,
		    "INSERT INTO temp.m_sock (src, dst, via) SELECT src, dst, 0 "
		    "FROM (SELECT s.id AS src, (SELECT o.id FROM main.sock o "
		    "WHERE o.cookie = s.cookie AND o.boot = s.boot%s ORDER BY "
		    "o.id LIMIT 1) AS dst FROM src.sock s WHERE s.cookie <> 0) "
		    "WHERE dst IS NOT NULL; "
		    "DROP TABLE IF EXISTS temp.k_src; "
		    "CREATE TEMP TABLE k_src AS SELECT s.id AS src, o.id AS dst, "
		    "COALESCE(abs(", kind);
	add_sock_time(&b, "main", "o");
	pl_buf_adds(&b, " - ");
	add_sock_time(&b, "src", "s");
	pl_buf_addf(&b, "), 9e18) AS dist FROM src.sock s JOIN main.sock o ON "
		    "o.ino = s.ino AND o.boot = s.boot AND (s.cookie = 0 OR "
		    "o.cookie = 0)%s WHERE s.id NOT IN (SELECT src FROM "
		    "temp.m_sock); "
		    "INSERT INTO temp.m_sock (src, dst, via, dist) SELECT src, "
		    "dst, 1, dist FROM (SELECT src, dst, dist, row_number() OVER "
		    "(PARTITION BY src ORDER BY dist, dst DESC) AS r FROM "
		    "temp.k_src) WHERE r = 1; DROP TABLE temp.k_src; ", kind);
	pl_buf_adds(&b, "DELETE FROM temp.m_sock AS x WHERE via = 1 AND EXISTS "
			"(SELECT 1 FROM temp.m_sock y WHERE y.dst = x.dst AND "
			"y.src <> x.src AND (y.via = 0 OR y.dist < x.dist OR "
			"(y.dist = x.dist AND y.src < x.src)))");
	return exec_buf(m, &b);
}

/* CREATE TEMP TABLE k_SIDE: the rows of table T in schema DB (src or
 * main) that have no owner, with their key as OUT knows it and their rank
 * in it. */
static void add_keyed(struct pl_buf *b, const struct merge *m, int t,
		      const char *db, const char *side, const char *keys)
{
	const struct table *tb = &tables[t];
	int src = !strcmp(db, "src");

	pl_buf_addf(b, "CREATE TEMP TABLE k_%s AS SELECT id, %s, row_number() "
		    "OVER (PARTITION BY %s ORDER BY id) AS r FROM (SELECT "
		    "s.id", side, keys, keys);
	for (size_t k = 0; k < 8 && tb->key[k]; k++) {
		pl_buf_adds(b, ", ");
		if (src)
			add_value(b, col_find(&m->cols[t], tb->key[k]));
		else
			add_ident(b, "s", tb->key[k]);
		pl_buf_addf(b, " AS k%zu", k);
	}
	pl_buf_addf(b, " FROM %s.%s s WHERE ", db, tb->name);
	add_ident(b, "s", tb->owner);
	pl_buf_adds(b, " IS NULL); ");
}

/* CREATE TEMP TABLE k_SIDE: the rows of table T in schema DB whose owner
 * is in the map (its column SIDE), as (id, owner in OUT, rank among the
 * owner's rows by id). */
static void add_ranked(struct pl_buf *b, int t, const char *db,
		       const char *side)
{
	const struct table *tb = &tables[t];

	pl_buf_addf(b, "CREATE TEMP TABLE k_%s AS SELECT s.id, x.dst AS owner, "
		    "row_number() OVER (PARTITION BY x.dst ORDER BY s.id) AS r "
		    "FROM %s.%s s JOIN temp.m_%s x ON x.%s = ", side, db,
		    tb->name, tb->owner_table, side);
	add_ident(b, "s", tb->owner);
	pl_buf_adds(b, "; ");
}

/* Rows of table T whose owner OUT has: an image writes to one spool, and
 * a journal only ever adds rows, so OUT has a prefix (by id) of the rows
 * the input has for it, from an earlier state of the same journal. The
 * n-th of an owner is the n-th in OUT, when their keys agree (when not,
 * the row is added rather than wrongly joined). Rows without an owner
 * (events of a pid never seen to start, flights of an unknown sender)
 * may come from any journal: the n-th row of a key in the input is the
 * n-th of that key in OUT. Rows of owners new to OUT are all new, and
 * never looked at. */
static int map_owned(struct merge *m, int t)
{
	const struct table *tb = &tables[t];
	struct pl_buf b = { 0 }, keys = { 0 }, on = { 0 };

	for (size_t k = 0; k < 8 && tb->key[k]; k++) {
		pl_buf_addf(&keys, "%sk%zu", k ? ", " : "", k);
		pl_buf_addf(&on, " AND b.k%zu IS a.k%zu", k, k);
	}
	pl_buf_adds(&b, "DROP TABLE IF EXISTS temp.k_src; "
			"DROP TABLE IF EXISTS temp.k_dst; ");
	add_ranked(&b, t, "src", "src");
	add_ranked(&b, t, "main", "dst");
	pl_buf_addf(&b, "CREATE INDEX temp.k_dst_key ON k_dst (owner, r); "
		    "INSERT INTO temp.m_%s (src, dst) SELECT a.id, b.id FROM "
		    "temp.k_src a JOIN temp.k_dst b ON b.owner = a.owner AND "
		    "b.r = a.r JOIN src.%s s ON s.id = a.id JOIN main.%s o ON "
		    "o.id = b.id WHERE 1", tb->name, tb->name, tb->name);
	for (size_t k = 0; k < 8 && tb->key[k]; k++) {
		if (!strcmp(tb->key[k], tb->owner))
			continue;
		pl_buf_adds(&b, " AND ");
		add_ident(&b, "o", tb->key[k]);
		pl_buf_adds(&b, " IS ");
		add_value(&b, col_find(&m->cols[t], tb->key[k]));
	}
	pl_buf_adds(&b, "; DROP TABLE temp.k_src; DROP TABLE temp.k_dst; ");
	add_keyed(&b, m, t, "src", "src", pl_buf_str(&keys));
	add_keyed(&b, m, t, "main", "dst", pl_buf_str(&keys));
	pl_buf_addf(&b, "CREATE INDEX temp.k_dst_key ON k_dst (%s, r); "
		    "INSERT INTO temp.m_%s (src, dst) SELECT a.id, b.id FROM "
		    "temp.k_src a JOIN temp.k_dst b ON b.r = a.r%s; "
		    "DROP TABLE temp.k_src; DROP TABLE temp.k_dst",
		    pl_buf_str(&keys), tb->name, pl_buf_str(&on));
	pl_buf_free(&keys);
	pl_buf_free(&on);
	return exec_buf(m, &b);
}

/* The input's rows that OUT lacks, with their new ids and references. */
static int copy_new(struct merge *m, int t)
{
	const struct cols *c = &m->cols[t];
	struct pl_buf b = { 0 };
	int rc;

	pl_buf_addf(&b, "INSERT %sINTO main.%s (", t == T_STACK ? "OR IGNORE "
								 : "",
		    tables[t].name);
	for (size_t i = 0; i < c->n; i++) {
		if (i)
			pl_buf_adds(&b, ", ");
		add_ident(&b, NULL, c->v[i].name);
	}
	pl_buf_adds(&b, ") SELECT ");
	for (size_t i = 0; i < c->n; i++) {
		if (i)
			pl_buf_adds(&b, ", ");
		if (t != T_STACK && !strcmp(c->v[i].name, "id"))
			pl_buf_addf(&b, "(SELECT n FROM temp.merge_base WHERE "
				    "name = '%s') + s.id", tables[t].name);
		else
			add_value(&b, &c->v[i]);
	}
	pl_buf_addf(&b, " FROM src.%s s", tables[t].name);
	if (t != T_STACK)
		pl_buf_addf(&b, " WHERE s.id NOT IN (SELECT src FROM temp.m_%s) "
			    "ORDER BY s.id", tables[t].name);
	rc = exec_buf(m, &b);
	if (!rc)
		m->counts->added[t] = sqlite3_changes64(m->db);
	return rc;
}

static int is_end_col(const struct table *tb, const char *name)
{
	for (size_t i = 0; i < 6 && tb->end_cols[i]; i++)
		if (!strcmp(tb->end_cols[i], name))
			return 1;
	return 0;
}

/* What row o of OUT becomes, given the input's row s of the same thing:
 * what o knows stays, what it lacks it takes. An end (of an image, of a
 * holding) is taken whole from the side that saw it. A cookie fills in a
 * 0, listening is a flag. */
static int add_fill(struct pl_buf *b, const struct table *tb,
		    const struct col *c)
{
	const char *n = c->name;

	if (!strcmp(n, "id") || !strcmp(n, "boot") || !strcmp(n, "ino") ||
	    (tb == &tables[T_PROCESS] && (!strcmp(n, "parent_id") ||
					  !strcmp(n, "origin"))))
		return 0; /* the identity, and a lineage that stays as it is */
	if (is_end_col(tb, n)) {
		pl_buf_adds(b, "CASE WHEN ");
		add_ident(b, "o", tb->end);
		pl_buf_adds(b, " IS NOT NULL THEN ");
		add_ident(b, "o", n);
		pl_buf_adds(b, " WHEN ");
		add_ident(b, "s", tb->end);
		pl_buf_adds(b, " IS NOT NULL THEN ");
		add_value(b, c);
		pl_buf_adds(b, " ELSE COALESCE(");
		add_ident(b, "o", n);
		pl_buf_adds(b, ", ");
		add_value(b, c);
		pl_buf_adds(b, ") END");
	} else if (tb == &tables[T_SOCK] && !strcmp(n, "cookie")) {
		pl_buf_adds(b, "CASE WHEN o.cookie = 0 THEN s.cookie ELSE "
			       "o.cookie END");
	} else if (tb == &tables[T_SOCK] && !strcmp(n, "listening")) {
		pl_buf_adds(b, "max(o.listening, s.listening)");
	} else {
		pl_buf_adds(b, "COALESCE(");
		add_ident(b, "o", n);
		pl_buf_adds(b, ", ");
		add_value(b, c);
		pl_buf_adds(b, ")");
	}
	return 1;
}

/* Complete the rows OUT had: an image seen to end, a cookie, a peer, a
 * flight landed since. Only rows that change are written, so that merging
 * a journal again writes nothing. */
static int fill_known(struct merge *m, int t)
{
	const struct table *tb = &tables[t];
	const struct cols *c = &m->cols[t];
	struct pl_buf b = { 0 }, set = { 0 }, what = { 0 }, changed = { 0 };

	for (size_t i = 0; i < c->n; i++) {
		pl_buf_free(&what);
		if (!add_fill(&what, tb, &c->v[i]))
			continue;
		if (set.len)
			pl_buf_adds(&set, ", ");
		add_ident(&set, NULL, c->v[i].name);
		pl_buf_addf(&set, " = %s", pl_buf_str(&what));
		if (changed.len)
			pl_buf_adds(&changed, " OR ");
		add_ident(&changed, "o", c->v[i].name);
		pl_buf_addf(&changed, " IS NOT (%s)", pl_buf_str(&what));
	}
	pl_buf_free(&what);
	if (!set.len)
		return 0;
	pl_buf_addf(&b, "UPDATE main.%s AS o SET %s FROM temp.m_%s x JOIN "
		    "src.%s s ON s.id = x.src WHERE o.id = x.dst AND (%s)",
		    tb->name, pl_buf_str(&set), tb->name, tb->name,
		    pl_buf_str(&changed));
	pl_buf_free(&set);
	pl_buf_free(&changed);
	return exec_buf(m, &b);
}

static int64_t count_of(struct merge *m, const char *sql)
{
	sqlite3_stmt *st = pl_db_prepare(m->db, sql);
	int64_t n = -1;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The input attached as "src" must be a journal of OUT's version with no
 * table merge does not know. */
static int check_src(struct merge *m)
{
	sqlite3_stmt *st;
	int64_t mine = count_of(m, "PRAGMA main.user_version"),
		theirs = count_of(m, "PRAGMA src.user_version");
	int rc = 0;

	if (mine != theirs) {
		pl_error("'%s' has journal schema version %lld and '%s' %lld: "
			 "merge needs one version", m->in, (long long)theirs,
			 "OUT", (long long)mine);
		return PL_EXIT_JOURNAL;
	}
	st = pl_db_prepare(m->db, "SELECT name FROM src.sqlite_schema WHERE "
				  "type = 'table' AND name <> 'spool' AND name "
				  "NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
	if (!st)
		return PL_EXIT_JOURNAL;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (table_index(name) < 0) {
			pl_error("cannot merge '%s': merge does not know its "
				 "table '%s'", m->in, name ? name : "?");
			rc = PL_EXIT_JOURNAL;
		}
	}
	sqlite3_finalize(st);
	m->has_kind = count_of(m, "SELECT count(*) FROM pragma_table_info("
				  "'sock', 'src') WHERE name = 'kind'") > 0 &&
		      count_of(m, "SELECT count(*) FROM pragma_table_info("
				  "'sock', 'main') WHERE name = 'kind'") > 0;
	return rc;
}

static int merge_src(struct merge *m)
{
	int rc = check_src(m);

	for (int t = 0; !rc && t < PL_MERGE_TABLES; t++)
		rc = cols_load(m, t);
	if (!rc)
		rc = maps_create(m);
	if (!rc)
		rc = map_process(m);
	for (int t = T_PAIR; !rc && t < PL_MERGE_TABLES; t++) {
		if (t == T_SOCK)
			rc = map_sock(m);
		else if (t != T_STACK)
			rc = map_owned(m, t);
	}
	for (int t = 0; !rc && t < PL_MERGE_TABLES; t++)
		rc = copy_new(m, t);
	for (int t = 0; !rc && t < PL_MERGE_TABLES; t++)
		if (tables[t].end || t == T_SOCK)
			rc = fill_known(m, t);
	if (!rc)
		m->counts->joined_socks =
			count_of(m, "SELECT count(*) FROM temp.m_sock");
	for (int t = 0; t < PL_MERGE_TABLES; t++)
		cols_free(&m->cols[t]);
	return rc;
}

int pl_merge_journal(sqlite3 *db, const char *in_path,
		     struct pl_merge_counts *ret)
{
	struct merge m = { .db = db, .in = in_path, .counts = ret };
	sqlite3_stmt *st;
	int rc;

	memset(ret, 0, sizeof(*ret));
	st = pl_db_prepare(db, "ATTACH ?1 AS src");
	if (!st)
		return PL_EXIT_JOURNAL;
	sqlite3_bind_text(st, 1, in_path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		pl_error("cannot read journal '%s': %s", in_path,
			 sqlite3_errmsg(db));
		return PL_EXIT_JOURNAL;
	}
	rc = exec_sql(&m, "BEGIN IMMEDIATE");
	if (!rc)
		rc = merge_src(&m);
	if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = pl_db_fail(db, "cannot commit the merge");
	if (rc)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (sqlite3_exec(db, "DETACH src", NULL, NULL, NULL) != SQLITE_OK &&
	    !rc)
		rc = pl_db_fail(db, "cannot detach the merged journal");
	return rc;
}

/* Same file: OUT given as an IN too. */
static int same_file(const char *a, const char *b)
{
	struct stat x, y;

	if (stat(a, &x) != 0 || stat(b, &y) != 0)
		return !strcmp(a, b);
	return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* Each IN through the path every command takes (ingest of its spool, the
 * schema checked, a read-only one answered as it is), before OUT is
 * touched at all. */
static int check_inputs(char **in, int n)
{
	for (int i = 0; i < n; i++) {
		sqlite3 *db = NULL;
		int rc = pl_journal_open_ingested(in[i], &db);

		sqlite3_close(db);
		if (rc)
			return rc;
	}
	return 0;
}

/* OUT: a journal of ours, created with the schema when missing. Its own
 * spool, if something was traced into it, is ingested as by any command. */
static int open_out(const char *path, sqlite3 **ret_db, int *ret_created)
{
	char spool[4096];
	int mode, fd, rc;

	*ret_created = 0;
	if (pl_cli_parse_only)
		return PL_EXIT_JOURNAL;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		rc = pl_file_mode(&mode);
		if (rc)
			return rc;
		fd = pl_file_open(path, O_RDWR, mode);
		if (fd < 0) {
			pl_error("cannot create journal '%s': %s", path,
				 strerror(-fd));
			return PL_EXIT_JOURNAL;
		}
		close(fd);
		*ret_created = 1;
	}
	rc = pl_journal_open(path, ret_db);
	if (!rc && sqlite3_db_readonly(*ret_db, "main") == 1) {
		pl_error("cannot merge into '%s': it is read-only", path);
		rc = PL_EXIT_JOURNAL;
	}
	if (!rc) {
		pl_spool_path(path, spool, sizeof(spool));
		rc = pl_ingest(*ret_db, spool);
	}
	if (rc) {
		sqlite3_close(*ret_db);
		*ret_db = NULL;
		if (*ret_created)
			unlink(path);
	}
	return rc;
}

static void print_counts(struct pl_json *j, int json, const char *in,
			 const struct pl_merge_counts *c)
{
	if (!json) {
		printf("%s: %lld processes, %lld socket ends, %lld holdings, "
		       "%lld events added; %lld of its ends were known already\n",
		       in, (long long)c->added[T_PROCESS],
		       (long long)c->added[T_SOCK],
		       (long long)c->added[T_HOLDING],
		       (long long)c->added[T_EVENT],
		       (long long)c->joined_socks);
		return;
	}
	pl_json_open(j, NULL, '{');
	pl_json_str(j, "path", in);
	pl_json_open(j, "added", '{');
	for (int t = 0; t < PL_MERGE_TABLES; t++)
		pl_json_int(j, tables[t].name, c->added[t]);
	pl_json_close(j, '}');
	pl_json_int(j, "joined_socks", c->joined_socks);
	pl_json_close(j, '}');
}

int cmd_merge(int argc, char **argv)
{
	struct pl_merge_counts counts;
	struct pl_opts o;
	struct pl_json j;
	sqlite3 *db = NULL;
	const char *out;
	int next, rc, created;

	rc = pl_cli_parse(argc, argv, usage, &o, &next, 0);
	if (rc)
		return rc < 0 ? PL_EXIT_OK : rc;
	if (argc - next < 2) {
		pl_error("merge takes OUT and at least one IN; see "
			 "'peerlog merge --help'");
		return PL_EXIT_USAGE;
	}
	out = argv[next];
	for (int i = next + 1; i < argc; i++)
		if (same_file(out, argv[i])) {
			pl_error("'%s' is both the output and an input of the "
				 "merge", argv[i]);
			return PL_EXIT_USAGE;
		}
	if (pl_cli_parse_only)
		return PL_EXIT_JOURNAL;
	rc = check_inputs(argv + next + 1, argc - next - 1);
	if (!rc)
		rc = open_out(out, &db, &created);
	if (rc)
		return rc;
	/* the temporary maps: in memory (a few bytes a row) */
	pl_db_exec(db, "PRAGMA temp_store = MEMORY");
	pl_json_init(&j, stdout);
	if (o.json) {
		pl_json_open(&j, NULL, '{');
		pl_json_str(&j, "out", out);
		pl_json_open(&j, "inputs", '[');
	}
	for (int i = next + 1; !rc && i < argc; i++) {
		rc = pl_merge_journal(db, argv[i], &counts);
		if (!rc)
			print_counts(&j, o.json, argv[i], &counts);
		else if (created && i == next + 1)
			unlink(out);
	}
	if (o.json && !rc) {
		pl_json_close(&j, ']');
		pl_json_close(&j, '}');
	}
	sqlite3_close(db);
	return rc;
}
