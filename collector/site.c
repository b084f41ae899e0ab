/* Creation sites: the return addresses the shim recorded, named at query
 * time. A fork child runs its parent's image, so its modules are its
 * parent's; the first frame is the code that called socketpair, socket,
 * connect or accept. addr2line (binutils) gives the function, and the
 * file and line where the module has debug information. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "output.h"
#include "peerlog.h"

/* addr2line is a process per call: remember what it said. */
static struct cached {
	char *path;
	uint64_t offset;
	struct pl_site site;
} cache[64];
static unsigned cache_next;

static void symbolize(const char *path, uint64_t offset, struct pl_site *s)
{
	struct pl_buf cmd = { 0 };
	char line[512];
	FILE *f;

	for (unsigned i = 0; i < sizeof(cache) / sizeof(cache[0]); i++)
		if (cache[i].path && cache[i].offset == offset &&
		    !strcmp(cache[i].path, path)) {
			*s = cache[i].site;
			return;
		}
	pl_buf_adds(&cmd, "addr2line -f -C -e ");
	pl_buf_shell_quote(&cmd, path);
	pl_buf_addf(&cmd, " 0x%llx 2>/dev/null", (unsigned long long)offset);
	f = popen(cmd.p, "r");
	pl_buf_free(&cmd);
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (strcmp(line, "??") != 0)
				snprintf(s->function, sizeof(s->function), "%.*s",
					 (int)sizeof(s->function) - 1, line);
		}
		if (fgets(line, sizeof(line), f)) {
			char *colon;

			line[strcspn(line, "\n")] = '\0';
			colon = strrchr(line, ':');
			if (colon && strncmp(line, "??", 2) != 0) {
				*colon = '\0';
				s->line = atoi(colon + 1);
				snprintf(s->file, sizeof(s->file), "%.*s",
					 (int)sizeof(s->file) - 1, line);
			}
		}
		pclose(f);
	}
	free(cache[cache_next].path);
	cache[cache_next].path = strdup(path);
	cache[cache_next].offset = offset;
	cache[cache_next].site = *s;
	cache_next = (cache_next + 1) % (sizeof(cache) / sizeof(cache[0]));
}

static const char site_sql[] =
		    "WITH RECURSIVE up(id, parent_id, origin) AS ("
		    " SELECT p.id, p.parent_id, p.origin FROM stack k "
		    " JOIN process p ON p.id = k.process_id WHERE k.sock_id = ?1 "
		    " UNION ALL SELECT p.id, p.parent_id, p.origin FROM process p "
		    " JOIN up ON p.id = up.parent_id WHERE up.origin = 'fork') "
		    "SELECT (SELECT pcs FROM stack WHERE sock_id = ?1), m.start, "
		    "m.\"end\", m.bias, m.path FROM up JOIN module m "
		    "ON m.process_id = up.id WHERE up.origin <> 'fork' "
		    "OR up.parent_id IS NULL ORDER BY m.start";

/* Most sockets of a journal without stacks have none: a lookup by key
 * says so before the recursive query, which is much dearer to start. */
static const char has_stack_sql[] = "SELECT 1 FROM stack WHERE sock_id = ?1";

int pl_site_of_st(sqlite3 *db, sqlite3_stmt *stp[2], int64_t sock_id,
		  struct pl_site *ret)
{
	sqlite3_stmt *st;
	uint64_t pc = 0;
	int rc, found = 0;

	memset(ret, 0, sizeof(*ret));
	if (!stp[0] && !(stp[0] = pl_db_prepare(db, has_stack_sql)))
		return -1;
	sqlite3_reset(stp[0]);
	sqlite3_bind_int64(stp[0], 1, sock_id);
	rc = sqlite3_step(stp[0]);
	sqlite3_reset(stp[0]);
	if (rc == SQLITE_DONE)
		return 0;
	if (!stp[1] && !(stp[1] = pl_db_prepare(db, site_sql)))
		return -1;
	st = stp[1];
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, sock_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *pcs = (const char *)sqlite3_column_text(st, 0);
		uint64_t start = (uint64_t)sqlite3_column_int64(st, 1);
		uint64_t end = (uint64_t)sqlite3_column_int64(st, 2);
		uint64_t bias = (uint64_t)sqlite3_column_int64(st, 3);
		const char *path = (const char *)sqlite3_column_text(st, 4);

		if (!pc && pcs)
			pc = strtoull(pcs, NULL, 16);
		if (!pc || pc < start || pc >= end || !path)
			continue;
		/* a return address: the call is the byte before */
		ret->offset = pc - bias - 1;
		snprintf(ret->module, sizeof(ret->module), "%s", path);
		symbolize(path, ret->offset, ret);
		found = 1;
		break;
	}
	sqlite3_reset(st);
	return found;
}

int pl_site_of(sqlite3 *db, int64_t sock_id, struct pl_site *ret)
{
	sqlite3_stmt *st[2] = { NULL, NULL };
	int found = pl_site_of_st(db, st, sock_id, ret);

	sqlite3_finalize(st[0]);
	sqlite3_finalize(st[1]);
	return found;
}

void pl_site_text(const struct pl_site *s, struct pl_buf *b)
{
	if (s->function[0] && s->file[0] && s->line > 0)
		pl_buf_addf(b, "%s (%s:%d)", s->function, pl_basename(s->file),
			    s->line);
	else if (s->function[0])
		pl_buf_addf(b, "%s in %s", s->function, pl_basename(s->module));
	else
		pl_buf_addf(b, "%s+0x%llx", pl_basename(s->module),
			    (unsigned long long)s->offset);
}

void pl_site_append(struct pl_buf *b, const char *lead, const struct pl_site *s)
{
	if (!s)
		return;
	pl_buf_adds(b, lead);
	pl_site_text(s, b);
}

void pl_json_site(struct pl_json *j, const char *key, const struct pl_site *s)
{
	pl_json_open(j, key, '{');
	pl_json_str(j, "function", s->function[0] ? s->function : NULL);
	pl_json_str(j, "file", s->file[0] ? s->file : NULL);
	if (s->line > 0)
		pl_json_int(j, "line", s->line);
	else
		pl_json_null(j, "line");
	pl_json_str(j, "module", s->module);
	pl_json_int(j, "offset", (long long)s->offset);
	pl_json_close(j, '}');
}

/* The site of a pair (its end 0 carries the stack) or, for a socket not
 * from a socketpair, of the socket with inode INO. */
int pl_site_of_end(sqlite3 *db, int64_t pair, int64_t ino,
		   struct pl_site *ret)
{
	sqlite3_stmt *st = pl_db_prepare(
		db, pair ? "SELECT id FROM sock WHERE pair_id = ?1 AND side = 0"
			 : "SELECT id FROM sock WHERE ino = ?2 "
			   "ORDER BY id DESC LIMIT 1");
	int64_t sock = 0;

	memset(ret, 0, sizeof(*ret));
	if (!st)
		return -1;
	if (pair)
		sqlite3_bind_int64(st, 1, pair);
	else
		sqlite3_bind_int64(st, 2, ino);
	if (sqlite3_step(st) == SQLITE_ROW)
		sock = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return sock ? pl_site_of(db, sock, ret) : 0;
}
