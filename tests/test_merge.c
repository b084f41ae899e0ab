/* The merge of journals (collector/cmd-merge.c) on journals written row by
 * row: what joins, what stays apart, what an older copy of a journal adds
 * to a newer one, and that every reference follows its row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "peerlog.h"

struct fixture {
	char dir[64];
	char path[4][128]; /* a, b, c, out */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/peerlog-test-merge-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	for (int i = 0; i < 4; i++)
		snprintf(f->path[i], sizeof(f->path[i]), "%s/%c.db", f->dir,
			 "abco"[i]);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 4; i++)
		unlink(f->path[i]);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A new journal with the schema. */
static sqlite3 *journal(const char *path)
{
	sqlite3 *db = NULL;

	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(pl_journal_setup(db, path), 0);
	return db;
}

static void sql(sqlite3 *db, const char *text)
{
	char *msg = NULL;

	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg);
}

static int64_t num(sqlite3 *db, const char *text)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, text, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The file change counter of the journal at PATH (its header, offset 24):
 * moves with every transaction that wrote to it. */
static uint32_t changes(const char *path)
{
	unsigned char h[28];
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
	fclose(f);
	return (uint32_t)h[24] << 24 | (uint32_t)h[25] << 16 |
	       (uint32_t)h[26] << 8 | h[27];
}

static void merge(sqlite3 *out, const char *in, int want)
{
	struct pl_merge_counts c;

	assert_int_equal(pl_merge_journal(out, in, &c), want);
}

/* A server (boot BOOT) that accepted socket 10, whose peer it knows by
 * inode only (20); or the client of it, which made socket 20 (cookie
 * 200) and knows no peer. */
static void server(const char *path, const char *boot)
{
	sqlite3 *db = journal(path);
	char text[1024];

	snprintf(text, sizeof(text),
		 "INSERT INTO process (id, boot, pid, start_ticks, hello_ns, "
		 "origin) VALUES (1, '%s', 100, 5, 1000, 'root');"
		 "INSERT INTO sock (id, boot, ino, cookie, peer_id, name) VALUES "
		 "(1, '%s', 9, 90, NULL, '/srv'), (2, '%s', 10, 100, 3, '/srv'),"
		 " (3, '%s', 20, 0, 2, NULL);"
		 "UPDATE sock SET listening = 1 WHERE id = 1;"
		 "INSERT INTO holding (id, process_id, fd, sock_id, from_ns, "
		 "start_reason) VALUES (1, 1, 3, 1, 1100, 'create'), "
		 "(2, 1, 4, 2, 1300, 'accept');"
		 "INSERT INTO event (process_id, pid, time_ns, kind, fd) VALUES "
		 "(1, 100, 1000, 'hello', NULL), (1, 100, 1300, 'accept', 4)",
		 boot, boot, boot, boot);
	sql(db, text);
	sqlite3_close(db);
}

static void client(const char *path, const char *boot)
{
	sqlite3 *db = journal(path);
	char text[1024];

	snprintf(text, sizeof(text),
		 "INSERT INTO process (id, boot, pid, start_ticks, hello_ns, "
		 "origin) VALUES (1, '%s', 200, 7, 1200, 'root');"
		 "INSERT INTO sock (id, boot, ino, cookie) VALUES "
		 "(1, '%s', 20, 200);"
		 "INSERT INTO holding (id, process_id, fd, sock_id, from_ns, "
		 "start_reason) VALUES (1, 1, 3, 1, 1250, 'create');"
		 "INSERT INTO event (process_id, pid, time_ns, kind, fd) VALUES "
		 "(1, 200, 1200, 'hello', NULL), (1, 200, 1250, 'socket', 3)",
		 boot, boot);
	sql(db, text);
	sqlite3_close(db);
}

/* The client's end, seen from the server: inode, cookie, and the pid of
 * the holder of its peer. */
static void assert_joined(sqlite3 *out)
{
	assert_int_equal(num(out, "SELECT count(*) FROM sock WHERE boot = "
				  "'boot-1'"), 3);
	assert_int_equal(num(out, "SELECT cookie FROM sock WHERE ino = 20"), 200);
	assert_int_equal(num(out, "SELECT p.pid FROM sock s JOIN sock o ON "
				  "o.id = s.peer_id JOIN holding h ON h.sock_id "
				  "= o.id JOIN process p ON p.id = h.process_id "
				  "WHERE s.ino = 20"), 100);
	assert_int_equal(num(out, "SELECT p.pid FROM sock s JOIN sock o ON "
				  "o.id = s.peer_id JOIN holding h ON h.sock_id "
				  "= o.id JOIN process p ON p.id = h.process_id "
				  "WHERE s.ino = 10"), 200);
}

static void test_merge__connection_joins(void **state)
{
	struct fixture *f = *state;
	sqlite3 *out;

	server(f->path[0], "boot-1");
	client(f->path[1], "boot-1");
	out = journal(f->path[3]);
	merge(out, f->path[0], 0);
	merge(out, f->path[1], 0);
	assert_joined(out);
	sqlite3_close(out);

	/* the other way round */
	out = journal(f->path[3]);
	merge(out, f->path[1], 0);
	merge(out, f->path[0], 0);
	assert_joined(out);
	assert_int_equal(num(out, "SELECT count(*) FROM process"), 2);
	assert_int_equal(num(out, "SELECT count(*) FROM holding"), 3);
	assert_int_equal(num(out, "SELECT count(*) FROM event"), 4);
	sqlite3_close(out);
}

static void test_merge__boots_apart(void **state)
{
	struct fixture *f = *state;
	sqlite3 *out;

	server(f->path[0], "boot-1");
	client(f->path[1], "boot-2");
	out = journal(f->path[3]);
	merge(out, f->path[0], 0);
	merge(out, f->path[1], 0);
	assert_int_equal(num(out, "SELECT count(*) FROM sock"), 4);
	assert_int_equal(num(out, "SELECT count(*) FROM sock WHERE ino = 20 "
				  "AND peer_id IS NULL AND boot = 'boot-2'"), 1);
	assert_int_equal(num(out, "SELECT cookie FROM sock WHERE ino = 20 AND "
				  "boot = 'boot-1'"), 0);
	sqlite3_close(out);
}

/* A copy of a journal taken while its process ran, then the journal
 * after: the rows are the copy's and what came since, the image and its
 * holding ended; the old copy merged again changes nothing. */
static void test_merge__older_copy(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db, *out;
	uint32_t before;

	server(f->path[0], "boot-1");
	{
		char text[512];

		snprintf(text, sizeof(text), "cp %s %s", f->path[0], f->path[1]);
		assert_int_equal(system(text), 0);
	}
	db = NULL;
	assert_int_equal(sqlite3_open(f->path[0], &db), SQLITE_OK);
	sql(db, "UPDATE holding SET until_ns = 1500, end_reason = 'close' "
		"WHERE id = 2; UPDATE process SET end_ns = 1600, end_reason = "
		"'exit', exit_status = 0; INSERT INTO event (process_id, pid, "
		"time_ns, kind, fd) VALUES (1, 100, 1500, 'close', 4), "
		"(1, 100, 1600, 'exit', NULL); INSERT INTO holding (id, "
		"process_id, fd, sock_id, from_ns, start_reason) VALUES "
		"(3, 1, 5, 2, 1400, 'dup')");
	sqlite3_close(db);

	out = journal(f->path[3]);
	merge(out, f->path[1], 0); /* the old copy */
	merge(out, f->path[0], 0); /* the journal now */
	assert_int_equal(num(out, "SELECT count(*) FROM event"), 4);
	assert_int_equal(num(out, "SELECT count(*) FROM holding"), 3);
	assert_int_equal(num(out, "SELECT count(*) FROM process"), 1);
	assert_int_equal(num(out, "SELECT until_ns FROM holding WHERE fd = 4"),
			 1500);
	assert_int_equal(num(out, "SELECT count(*) FROM process WHERE "
				  "end_reason = 'exit' AND end_ns = 1600"), 1);
	before = changes(f->path[3]);
	merge(out, f->path[1], 0);
	merge(out, f->path[0], 0);
	assert_int_equal(changes(f->path[3]), before);
	assert_int_equal(num(out, "SELECT count(*) FROM process WHERE "
				  "end_reason = 'exit'"), 1);
	assert_int_equal(num(out, "SELECT count(*) FROM holding WHERE "
				  "end_reason IS NULL"), 2);
	sqlite3_close(out);
}

/* Two ends of one boot that had inode 30 in turn (cookies 300, 301); an
 * end of inode 30 without a cookie joins the one of its time (the older,
 * not the latest), one with another cookie joins neither. */
static void test_merge__inode_reuse(void **state)
{
	struct fixture *f = *state;
	sqlite3 *a = journal(f->path[0]), *b = journal(f->path[1]), *out;

	sql(a, "INSERT INTO process (id, boot, pid, start_ticks, hello_ns, "
	       "origin) VALUES (1, 'k', 1, 1, 100, 'root');"
	       "INSERT INTO sock (id, boot, ino, cookie) VALUES "
	       "(1, 'k', 30, 300), (2, 'k', 30, 301);"
	       "INSERT INTO holding (process_id, fd, sock_id, from_ns, "
	       "start_reason, until_ns, end_reason) VALUES "
	       "(1, 3, 1, 1000, 'create', 1100, 'close'), "
	       "(1, 3, 2, 5000, 'create', NULL, NULL)");
	sql(b, "INSERT INTO process (id, boot, pid, start_ticks, hello_ns, "
	       "origin) VALUES (1, 'k', 2, 1, 4000, 'root');"
	       "INSERT INTO sock (id, boot, ino, cookie) VALUES "
	       "(1, 'k', 30, 0), (2, 'k', 30, 302);"
	       "INSERT INTO holding (process_id, fd, sock_id, from_ns, "
	       "start_reason) VALUES (1, 4, 1, 1050, 'recv'), "
	       "(1, 5, 2, 9000, 'create')");
	sqlite3_close(a);
	sqlite3_close(b);
	out = journal(f->path[3]);
	merge(out, f->path[0], 0);
	merge(out, f->path[1], 0);
	assert_int_equal(num(out, "SELECT count(*) FROM sock"), 3);
	assert_int_equal(num(out, "SELECT s.cookie FROM holding h JOIN sock s "
				  "ON s.id = h.sock_id WHERE h.fd = 4"), 300);
	assert_int_equal(num(out, "SELECT count(*) FROM holding WHERE "
				  "sock_id = (SELECT id FROM sock WHERE cookie = "
				  "300)"), 2);
	sqlite3_close(out);
}

/* A journal with every kind of reference, merged into one that has rows
 * already: each reference names the row it named, by what it is. */
static void test_merge__references_follow(void **state)
{
	struct fixture *f = *state;
	static const char *const natural =
		"SELECT group_concat(x, ' ') FROM (SELECT "
		"(SELECT pid FROM process WHERE id = c.parent_id) || '>' || c.pid "
		"AS x FROM process c WHERE c.boot = 'r' UNION ALL "
		"SELECT p.pid || ':' || h.fd || '@' || s.ino || '<' || "
		"COALESCE((SELECT sp.pid || ':' || sh.fd FROM holding sh JOIN "
		"process sp ON sp.id = sh.process_id WHERE sh.id = h.source_id), "
		"'-') || '/' || COALESCE((SELECT pr.created_ns FROM pair pr "
		"WHERE pr.id = s.pair_id), '-') || '~' || COALESCE((SELECT "
		"o.ino FROM sock o WHERE o.id = s.peer_id), '-') FROM holding h "
		"JOIN process p ON p.id = h.process_id JOIN sock s ON s.id = "
		"h.sock_id WHERE p.boot = 'r' UNION ALL "
		"SELECT 'f' || s.ino || (SELECT sp.pid FROM holding sh JOIN "
		"process sp ON sp.id = sh.process_id WHERE sh.id = fl.source_id) "
		"|| (SELECT rp.pid FROM holding rh JOIN process rp ON rp.id = "
		"rh.process_id WHERE rh.id = fl.received_id) FROM flight fl "
		"JOIN sock s ON s.id = fl.sock_id WHERE s.boot = 'r' UNION ALL "
		"SELECT 'st' || s.ino || p.pid || k.pcs FROM stack k JOIN sock s "
		"ON s.id = k.sock_id JOIN process p ON p.id = k.process_id WHERE "
		"p.boot = 'r' UNION ALL SELECT 'm' || p.pid || m.path FROM module "
		"m JOIN process p ON p.id = m.process_id WHERE p.boot = 'r' "
		"UNION ALL SELECT 'e' || p.pid || e.kind FROM event e JOIN "
		"process p ON p.id = e.process_id WHERE p.boot = 'r' "
		"ORDER BY 1)";
	sqlite3 *a = journal(f->path[0]), *out;
	char *want;

	sql(a, "INSERT INTO process (id, boot, pid, start_ticks, hello_ns, "
	       "origin, parent_id) VALUES (1, 'r', 10, 1, 100, 'root', NULL), "
	       "(2, 'r', 11, 2, 200, 'fork', 1), (3, 'r', 11, 2, 300, 'exec', 2);"
	       "INSERT INTO pair (id, process_id, created_ns, domain, type, "
	       "protocol) VALUES (1, 1, 150, 1, 1, 0);"
	       "INSERT INTO sock (id, boot, ino, cookie, pair_id, side, peer_id)"
	       " VALUES (1, 'r', 50, 0, 1, 0, 2), (2, 'r', 51, 0, 1, 1, 1);"
	       "INSERT INTO holding (id, process_id, fd, sock_id, from_ns, "
	       "start_reason, source_id) VALUES (1, 1, 3, 1, 150, 'create', "
	       "NULL), (2, 1, 4, 2, 150, 'create', NULL), (3, 2, 4, 2, 200, "
	       "'fork', 2), (4, 3, 4, 2, 300, 'exec', 3), (5, 1, 6, 2, 400, "
	       "'recv', NULL);"
	       "INSERT INTO flight (sock_id, source_id, sent_ns, channel_ino, "
	       "received_id) VALUES (2, 4, 350, 50, 5);"
	       "INSERT INTO stack (sock_id, process_id, pcs) VALUES "
	       "(1, 1, '0x1234');"
	       "INSERT INTO module (process_id, start, \"end\", bias, path) "
	       "VALUES (1, 4096, 8192, 0, '/bin/x');"
	       "INSERT INTO event (process_id, pid, time_ns, kind) VALUES "
	       "(1, 10, 100, 'hello'), (3, 11, 300, 'hello')");
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(a, natural, -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		want = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(a);
	/* OUT holds another journal first, so that every id moves */
	server(f->path[1], "boot-1");
	client(f->path[2], "boot-1");
	out = journal(f->path[3]);
	merge(out, f->path[1], 0);
	merge(out, f->path[2], 0);
	merge(out, f->path[0], 0);
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(out, natural, -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
				    want);
		sqlite3_finalize(st);
	}
	assert_joined(out);
	free(want);
	sqlite3_close(out);
}

/* A table merge does not know would be lost: refused, OUT as it was. */
static void test_merge__unknown_table_refused(void **state)
{
	struct fixture *f = *state;
	sqlite3 *a, *out;

	server(f->path[0], "boot-1");
	client(f->path[1], "boot-1");
	a = NULL;
	assert_int_equal(sqlite3_open(f->path[1], &a), SQLITE_OK);
	sql(a, "CREATE TABLE novel (x)");
	sqlite3_close(a);
	out = journal(f->path[3]);
	merge(out, f->path[0], 0);
	merge(out, f->path[1], PL_EXIT_JOURNAL);
	assert_int_equal(num(out, "SELECT count(*) FROM process"), 1);
	assert_int_equal(num(out, "SELECT count(*) FROM sock"), 3);
	/* and the attachment is gone: the next merge works */
	merge(out, f->path[0], 0);
	sqlite3_close(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merge__connection_joins,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge__boots_apart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_merge__older_copy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_merge__inode_reuse, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_merge__references_follow,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_merge__unknown_table_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
