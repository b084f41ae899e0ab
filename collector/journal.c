/* Opening the journal: find it, create it with the schema the first time,
 * refuse what is not a journal of ours, and bring it up to date with the
 * spool before any query.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "peerlog.h"
#include "journal_sql.h"
#include "../schema/files.h"

#define PL_SCHEMA_VERSION 2

const char *pl_journal_default(void)
{
	const char *env = getenv("PEERLOG_JOURNAL");

	return env && *env ? env : "peerlog.db";
}

int pl_file_mode(int *ret_mode)
{
	const char *env = getenv("PEERLOG_MODE");
	int mode = pl_mode_parse(env);

	if (mode < 0) {
		pl_error("PEERLOG_MODE '%s' is not an octal mode with read and "
			 "write for the owner and no write for others (e.g. "
			 "0600, 0640, 0660)", env);
		return PL_EXIT_USAGE;
	}
	*ret_mode = mode;
	return 0;
}

int pl_spool_path(const char *journal, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s.spool", journal);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

sqlite3_stmt *pl_db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		pl_error("journal query failed: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return st;
}

int pl_db_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		pl_error("journal: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int pl_db_fail(sqlite3 *db, const char *what)
{
	pl_error("%s: %s", what, sqlite3_errmsg(db));
	return PL_EXIT_JOURNAL;
}

static int user_version(sqlite3 *db, int *ret_version, int *ret_tables)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	*ret_version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc;
	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1,
				&st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	*ret_tables = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Version 1 had no pipes: sock gets its kind, holding's start_reason may
 * be 'open', and the views show both. SQLite cannot change a CHECK
 * constraint in place: the table's text in sqlite_schema is edited, as
 * SQLite's documentation allows for a constraint made looser (no row can
 * break it), and schema_version bumped so that every connection reads it
 * again. Cheap whatever the size: no row is rewritten. */
static int upgrade_from_1(sqlite3 *db)
{
	static const char *const sql =
		"ALTER TABLE sock ADD COLUMN kind TEXT NOT NULL DEFAULT 'socket' "
		"CHECK (kind = 'socket' OR kind = 'pipe' OR kind = 'fifo');"
		"PRAGMA writable_schema = ON;"
		"UPDATE sqlite_schema SET sql = replace(sql, "
		"'start_reason = ''create'' OR', "
		"'start_reason = ''create'' OR start_reason = ''open'' OR') "
		"WHERE type = 'table' AND name = 'holding' "
		"AND sql NOT LIKE '%''open''%';"
		"PRAGMA writable_schema = OFF;"
		"DROP VIEW IF EXISTS holding_span;"
		"DROP VIEW IF EXISTS sock_peer;";
	const char *views = strstr(pl_journal_sql, "-- views --");
	sqlite3_stmt *st;
	char bump[64];
	int version;

	if (!views || pl_db_exec(db, sql) < 0 || pl_db_exec(db, views) < 0)
		return -1;
	st = pl_db_prepare(db, "PRAGMA schema_version");
	if (!st)
		return -1;
	version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	snprintf(bump, sizeof(bump), "PRAGMA schema_version = %d", version + 1);
	if (pl_db_exec(db, bump) < 0)
		return -1;
	return pl_db_exec(db, "PRAGMA user_version = 2");
}

/* Bring a journal of version 1 up to date, under the write lock. */
static int upgrade(sqlite3 *db, const char *path, int *version)
{
	int tables, rc;

	if (sqlite3_db_readonly(db, "main") == 1) {
		pl_error("'%s' has journal schema version %d and is read-only "
			 "here: its owner's next peerlog command upgrades it",
			 path, *version);
		return PL_EXIT_JOURNAL;
	}
	if (pl_db_exec(db, "BEGIN IMMEDIATE") < 0)
		return PL_EXIT_JOURNAL;
	rc = user_version(db, version, &tables);
	if (rc == SQLITE_OK && *version == 1 && upgrade_from_1(db) < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return PL_EXIT_JOURNAL;
	}
	if (pl_db_exec(db, "COMMIT") < 0)
		return PL_EXIT_JOURNAL;
	rc = user_version(db, version, &tables);
	return rc == SQLITE_OK ? 0 : pl_db_fail(db, path);
}

/* Check (and on first use create) the schema. Concurrent first uses are
 * serialised by the write lock of BEGIN IMMEDIATE. */
int pl_journal_setup(sqlite3 *db, const char *path)
{
	int version, tables, rc;

	rc = user_version(db, &version, &tables);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
		pl_error("'%s' is not a peerlog journal: %s", path,
			 sqlite3_errstr(rc));
		return PL_EXIT_JOURNAL;
	}
	if (rc != SQLITE_OK)
		return pl_db_fail(db, path);
	if (version == 0 && tables == 0) {
		if (pl_db_exec(db, "BEGIN IMMEDIATE") < 0)
			return PL_EXIT_JOURNAL;
		rc = user_version(db, &version, &tables);
		if (rc == SQLITE_OK && version == 0 && tables == 0 &&
		    pl_db_exec(db, pl_journal_sql) < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return PL_EXIT_JOURNAL;
		}
		if (pl_db_exec(db, "COMMIT") < 0)
			return PL_EXIT_JOURNAL;
		rc = user_version(db, &version, &tables);
		if (rc != SQLITE_OK)
			return pl_db_fail(db, path);
	}
	if (version == 1) {
		rc = upgrade(db, path, &version);
		if (rc)
			return rc;
	}
	if (version != PL_SCHEMA_VERSION) {
		if (version == 0)
			pl_error("'%s' is not a peerlog journal", path);
		else
			pl_error("'%s' has journal schema version %d; this "
				 "peerlog reads version %d", path, version,
				 PL_SCHEMA_VERSION);
		return PL_EXIT_JOURNAL;
	}
	return 0;
}

int pl_journal_open(const char *path, sqlite3 **ret_db)
{
	char spool[4096];
	struct stat st, again;
	const char *env;
	sqlite3 *db = NULL;
	int rc, fd, mode,
	    flags = SQLITE_OPEN_READWRITE;

	if (pl_cli_parse_only)
		return PL_EXIT_JOURNAL;
	if (pl_spool_path(path, spool, sizeof(spool)) < 0) {
		pl_error("journal path too long: '%s'", path);
		return PL_EXIT_USAGE;
	}
	/* The journal may sit in a shared directory: never follow a symlink
	 * there, create it with the mode asked for (not the umask's), and
	 * write only into a file of our own or root's. A journal of another
	 * user is read as it is: it answers, nothing is ingested into it. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT) {
		if (stat(spool, &st) != 0) {
			pl_error("no journal at '%s' (trace something first: "
				 "peerlog run -j %s -- CMD)", path, path);
			return PL_EXIT_JOURNAL;
		}
		/* a journal made after its spool shares the spool's mode,
		 * unless PEERLOG_MODE says otherwise */
		rc = pl_file_mode(&mode);
		if (rc)
			return rc;
		env = getenv("PEERLOG_MODE");
		if ((!env || !*env) && pl_mode_ok(st.st_mode & 07777))
			mode = (int)(st.st_mode & 0777);
		fd = pl_file_open(path, O_RDWR, mode);
		if (fd < 0) {
			errno = -fd;
			fd = -1;
		}
	}
	if (fd < 0) {
		if (errno == ELOOP)
			pl_error("refusing journal '%s': it is a symlink", path);
		else
			pl_error("cannot open journal '%s': %s", path,
				 strerror(errno));
		return PL_EXIT_JOURNAL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		pl_error("'%s' is not a peerlog journal: not a regular file",
			 path);
		close(fd);
		return PL_EXIT_JOURNAL;
	}
	if (!pl_file_ours(&st))
		flags = SQLITE_OPEN_READONLY;

	/* peerlog is one thread with one connection at a time: no mutexes,
	 * and no statistics of SQLite's allocations (a tenth of the ingest).
	 * Only the first call, before SQLite is initialised, takes. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOFOLLOW |
				     SQLITE_OPEN_NOMUTEX, NULL);
	if ((rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY) &&
	    flags != SQLITE_OPEN_READONLY) {
		sqlite3_close(db);
		rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
				     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
				     NULL);
	}
	/* SQLite opened the path again: it must be the file checked above,
	 * not one put there since. */
	if (rc == SQLITE_OK &&
	    (lstat(path, &again) != 0 || again.st_dev != st.st_dev ||
	     again.st_ino != st.st_ino)) {
		pl_error("refusing journal '%s': replaced while it was opened",
			 path);
		rc = -1;
	} else if (rc != SQLITE_OK) {
		pl_error("cannot open journal '%s': %s", path,
			 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	}
	close(fd);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return PL_EXIT_JOURNAL;
	}
	sqlite3_busy_timeout(db, 30000);
	rc = pl_journal_setup(db, path);
	if (rc) {
		sqlite3_close(db);
		return rc;
	}
	/* 64 MiB of pages (the default is 2 MiB): an ingest of a million
	 * records spilled and re-read pages all along. */
	pl_db_exec(db, "PRAGMA cache_size = -65536");
	*ret_db = db;
	return 0;
}

/* Open the journal and ingest what the spool has that it does not. */
int pl_journal_open_ingested(const char *path, sqlite3 **ret_db)
{
	char spool[4096];
	int rc = pl_journal_open(path, ret_db);

	if (rc)
		return rc;
	pl_spool_path(path, spool, sizeof(spool));
	rc = pl_ingest(*ret_db, spool);
	/* The query reads one snapshot, in one read transaction: outside one,
	 * every statement takes and drops the file lock and checks the file
	 * anew (a fifth of tree's time). An ingest waiting to commit waits
	 * for the query, as it did for each of its statements. */
	if (!rc && (pl_db_exec(*ret_db, "PRAGMA cache_size = -16384") < 0 ||
		    pl_db_exec(*ret_db, "BEGIN") < 0))
		rc = PL_EXIT_JOURNAL;
	if (rc) {
		sqlite3_close(*ret_db);
		*ret_db = NULL;
	}
	return rc;
}
