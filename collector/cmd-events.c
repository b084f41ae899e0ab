/* peerlog events: the raw records of the journal (its event table) in the
 * order they were ingested, each with the program image it came from.
 *
 * One scan of the table in rowid order, the image joined by its key,
 * every row written as it is read: constant memory whatever the journal
 * holds. The filters are bound parameters of that one statement (a list
 * as a JSON array read with json_each), not SQL built from text. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "model.h"
#include "output.h"
#include "peerlog.h"

static const char usage[] =
	"usage: peerlog events [-j PATH] [--json|--jsonl] [--pid PID[,PID]]\n"
	"                      [--kind KIND[,KIND]] [--since TIME] [--until TIME]\n"
	"                      [-o COLS] [-n]\n"
	"\n"
	"List the records the shim wrote, as the journal's event table has\n"
	"them, in the order they were ingested: time, pid, program, kind, fd,\n"
	"and the kind's argument and detail (socketpair: the two fds; fork: the\n"
	"child's pid; exit: the status; exec: the path).\n"
	"\n"
	"  -j, --journal PATH  journal to read (default $PEERLOG_JOURNAL, else\n"
	"                      ./peerlog.db)\n"
	"      --json          one JSON document: {\"events\": [...]}\n"
	"      --jsonl         one JSON object per line, as each is read\n"
	"      --pid PID       only the events of these pids (repeatable, or a\n"
	"                      comma-separated list)\n"
	"      --kind KIND     only these kinds (repeatable, or a list): hello,\n"
	"                      socketpair, close, exec, fork, exit, dup, ...\n"
	"      --since TIME    only events at or after TIME, and\n"
	"      --until TIME    before TIME: 2026-11-24T20:47:38[.frac][Z]\n"
	"                      (Z: UTC, else local time) or @SECONDS[.frac]\n"
	"  -o, --output COLS   the columns of the text table, comma-separated;\n"
	"                      +COLS adds to the default; -o help lists them\n"
	"  -n, --no-headings   no heading row\n"
	"      --color[=WHEN]  auto (default: on a terminal, without NO_COLOR),\n"
	"                      always or never\n"
	"\n"
	"exit status: 0 answered (also when no event matched), 2 usage,\n"
	"3 journal unusable\n";

enum {
	C_ID, C_TIME, C_UTC, C_PID, C_IMAGE, C_PROGRAM, C_EXE, C_KIND, C_FD,
	C_ARG, C_DETAIL, C_N
};

static const struct pl_col cols[C_N] = {
	[C_ID] = { "ID", 7, PL_COL_RIGHT, "the event's number in the journal" },
	[C_TIME] = { "TIME", 12, 0, "local time, to the millisecond" },
	[C_UTC] = { "UTC", 27, 0, "UTC time, ISO 8601, to the microsecond" },
	[C_PID] = { "PID", 7, 0, "process id" },
	[C_IMAGE] = { "IMAGE", 6, PL_COL_RIGHT,
		      "program image (process table row), - if none" },
	[C_PROGRAM] = { "PROGRAM", 10, PL_COL_TRUNC,
			"program name (of the image before, for exec)" },
	[C_EXE] = { "EXE", 0, 0, "program path" },
	[C_KIND] = { "KIND", 11, 0, "record kind (hello, socketpair, close...)" },
	[C_FD] = { "FD", 3, PL_COL_RIGHT, "file descriptor, - if none" },
	[C_ARG] = { "ARG", 6, PL_COL_RIGHT,
		    "argument: second fd, child pid, status, errno..." },
	[C_DETAIL] = { "DETAIL", 0, 0, "text: the path of an exec, ..." },
};
#define DEFAULT_COLS "TIME,PID,PROGRAM,KIND,FD,ARG,DETAIL"

static const char events_sql[] =
	"SELECT e.id, e.time_ns, e.pid, e.process_id, p.exe, e.kind, e.fd, "
	"e.arg, e.detail FROM event e LEFT JOIN process p ON p.id = e.process_id "
	"WHERE (?1 IS NULL OR e.pid IN (SELECT value FROM json_each(?1))) "
	"AND (?2 IS NULL OR e.kind IN (SELECT value FROM json_each(?2))) "
	"AND (?3 IS NULL OR e.time_ns >= ?3) "
	"AND (?4 IS NULL OR e.time_ns < ?4) ORDER BY e.id";

enum { E_ID, E_TIME, E_PID, E_IMAGE, E_EXE, E_KIND, E_FD, E_ARG, E_DETAIL };

struct filter {
	struct pl_buf pids, kinds; /* JSON arrays, empty: no filter */
	int64_t since, until;      /* 0: no bound */
	int jsonl;
};

/* Add the pids of the comma-separated LIST to F. */
static int add_pids(struct filter *f, const char *list)
{
	char *copy = strdup(list), *save = NULL;
	int rc = 0;

	if (!copy)
		return PL_EXIT_SYSTEM;
	if (!*list || list[strlen(list) - 1] == ',' || strstr(list, ",,")) {
		pl_error("empty PID in '%s'", list);
		rc = PL_EXIT_USAGE;
	}
	for (char *w = strtok_r(copy, ",", &save); w && !rc;
	     w = strtok_r(NULL, ",", &save)) {
		long pid;

		rc = pl_cli_number(w, "PID", 1, INT_MAX, &pid);
		if (!rc)
			pl_buf_addf(&f->pids, "%s%ld", f->pids.len ? "," : "[",
				    pid);
	}
	free(copy);
	return rc;
}

static int known_kind(const char *k, size_t len)
{
	for (unsigned t = 0; t < 256; t++) {
		const char *name = pl_record_kind(t);

		if (name && strlen(name) == len && !strncmp(name, k, len))
			return 1;
	}
	return 0;
}

static int add_kinds(struct filter *f, const char *list)
{
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (!known_kind(p, len)) {
			struct pl_buf names = { 0 };

			for (unsigned t = 0; t < 256; t++)
				if (pl_record_kind(t))
					pl_buf_addf(&names, "%s%s",
						    names.len ? ", " : "",
						    pl_record_kind(t));
			pl_error("unknown event kind '%.*s' (%s)", (int)len, p,
				 names.p);
			pl_buf_free(&names);
			return PL_EXIT_USAGE;
		}
		/* a known kind is a plain word: no escaping needed */
		pl_buf_addf(&f->kinds, "%s\"%.*s\"", f->kinds.len ? "," : "[",
			    (int)len, p);
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* TIME as --since and --until take it, into nanoseconds since the epoch. */
static int parse_time(const char *opt, const char *s, int64_t *ret)
{
	struct tm tm = { 0 };
	const char *rest;
	char *end;
	double frac = 0;
	time_t sec;

	if (s[0] == '@') {
		double v = strtod(s + 1, &end);

		if (end == s + 1 || *end || v <= 0 || v > 9e9)
			goto bad;
		*ret = (int64_t)(v * 1e9);
		return 0;
	}
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		goto bad;
	if (*rest == '.') {
		frac = strtod(rest, &end);
		if (end == rest + 1)
			goto bad;
		rest = end;
	}
	if (!strcmp(rest, "Z")) {
		sec = timegm(&tm);
	} else if (!*rest) {
		tm.tm_isdst = -1;
		sec = mktime(&tm);
	} else {
		goto bad;
	}
	if (sec <= 0)
		goto bad;
	*ret = (int64_t)sec * 1000000000 + (int64_t)(frac * 1e9);
	return 0;
bad:
	pl_error("%s '%s' is not a time (2026-11-24T20:47:38[.frac][Z] or "
		 "@SECONDS)", opt, s);
	return PL_EXIT_USAGE;
}

/* Take events' own options out of ARGV (the rest is left for
 * pl_cli_parse); *ret_argc is what remains. */
static int parse(int argc, char **argv, struct filter *f, int *ret_argc)
{
	static const char *const with_value[] = { "--pid", "--kind", "--since",
						  "--until" };
	int w = 1, rc = 0;

	for (int i = 1; i < argc && !rc; i++) {
		const char *val = NULL;
		size_t k, n = sizeof(with_value) / sizeof(with_value[0]);

		if (!strcmp(argv[i], "--")) { /* operands from here on */
			while (i < argc)
				argv[w++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--jsonl")) {
			f->jsonl = 1;
			continue;
		}
		for (k = 0; k < n; k++) {
			size_t len = strlen(with_value[k]);

			if (!strncmp(argv[i], with_value[k], len) &&
			    (argv[i][len] == '=' || !argv[i][len]))
				break;
		}
		if (k == n) {
			argv[w++] = argv[i];
			continue;
		}
		val = strchr(argv[i], '=');
		if (val) {
			val++;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			pl_error("option '%s' needs a value", argv[i]);
			return PL_EXIT_USAGE;
		}
		switch (k) {
		case 0:
			rc = add_pids(f, val);
			break;
		case 1:
			rc = add_kinds(f, val);
			break;
		case 2:
			rc = parse_time("--since", val, &f->since);
			break;
		default:
			rc = parse_time("--until", val, &f->until);
		}
	}
	if (f->pids.len)
		pl_buf_adds(&f->pids, "]");
	if (f->kinds.len)
		pl_buf_adds(&f->kinds, "]");
	*ret_argc = w;
	return rc;
}

static void bind_filter(sqlite3_stmt *st, const struct filter *f)
{
	if (f->pids.len)
		sqlite3_bind_text(st, 1, f->pids.p, -1, SQLITE_STATIC);
	if (f->kinds.len)
		sqlite3_bind_text(st, 2, f->kinds.p, -1, SQLITE_STATIC);
	if (f->since)
		sqlite3_bind_int64(st, 3, f->since);
	if (f->until)
		sqlite3_bind_int64(st, 4, f->until);
}

/* A column that may be NULL, as an integer or JSON null. */
static void json_int_or_null(struct pl_json *j, const char *key,
			     sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		pl_json_null(j, key);
	else
		pl_json_int(j, key, sqlite3_column_int64(st, col));
}

static void json_event(struct pl_json *j, sqlite3_stmt *st)
{
	pl_json_open(j, NULL, '{');
	pl_json_int(j, "id", sqlite3_column_int64(st, E_ID));
	pl_json_time(j, "time", sqlite3_column_int64(st, E_TIME));
	pl_json_int(j, "pid", sqlite3_column_int64(st, E_PID));
	json_int_or_null(j, "image", st, E_IMAGE);
	pl_json_str(j, "exe", (const char *)sqlite3_column_text(st, E_EXE));
	pl_json_str(j, "kind", (const char *)sqlite3_column_text(st, E_KIND));
	json_int_or_null(j, "fd", st, E_FD);
	json_int_or_null(j, "arg", st, E_ARG);
	pl_json_str(j, "detail", (const char *)sqlite3_column_text(st, E_DETAIL));
	pl_json_close(j, '}');
}

/* Column COL of ST as text into BUF, NULL when the value is NULL. */
static const char *num_cell(sqlite3_stmt *st, int col, char *buf, size_t n)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	snprintf(buf, n, "%lld", (long long)sqlite3_column_int64(st, col));
	return buf;
}

static void text_event(const struct pl_cols *c, sqlite3_stmt *st)
{
	char id[24], pid[24], image[24], fd[24], arg[24], local[32], utc[40];
	const char *cells[C_N] = { 0 };
	int64_t ns = sqlite3_column_int64(st, E_TIME);
	const char *exe = (const char *)sqlite3_column_text(st, E_EXE);

	if (pl_cols_has(c, C_TIME))
		pl_fmt_time((uint64_t)ns, 0, local, sizeof(local));
	if (pl_cols_has(c, C_UTC))
		pl_fmt_time((uint64_t)ns, 1, utc, sizeof(utc));
	cells[C_ID] = num_cell(st, E_ID, id, sizeof(id));
	cells[C_TIME] = local;
	cells[C_UTC] = utc;
	cells[C_PID] = num_cell(st, E_PID, pid, sizeof(pid));
	cells[C_IMAGE] = num_cell(st, E_IMAGE, image, sizeof(image));
	cells[C_PROGRAM] = exe ? pl_basename(exe) : NULL;
	cells[C_EXE] = exe;
	cells[C_KIND] = (const char *)sqlite3_column_text(st, E_KIND);
	cells[C_FD] = num_cell(st, E_FD, fd, sizeof(fd));
	cells[C_ARG] = num_cell(st, E_ARG, arg, sizeof(arg));
	cells[C_DETAIL] = (const char *)sqlite3_column_text(st, E_DETAIL);
	pl_cols_row(c, stdout, cells, NULL);
}

int cmd_events(int argc, char **argv)
{
	struct filter f = { 0 };
	struct pl_cols c;
	struct pl_opts o;
	struct pl_json j;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int next, rc, n = 0;

	rc = parse(argc, argv, &f, &argc);
	if (!rc)
		rc = pl_cli_parse(argc, argv, usage, &o, &next, PL_CLI_COLUMNS);
	if (!rc)
		rc = pl_cols_setup(cols, C_N, DEFAULT_COLS, o.columns,
				   !o.no_headings, &c);
	if (rc < 0) {
		rc = PL_EXIT_OK;
		goto out;
	}
	if (!rc && next < argc) {
		pl_error("events takes no operand ('%s'); see 'peerlog events "
			 "--help'", argv[next]);
		rc = PL_EXIT_USAGE;
	}
	if (!rc && o.json && f.jsonl) {
		pl_error("--json and --jsonl exclude each other");
		rc = PL_EXIT_USAGE;
	}
	if (rc)
		goto out;
	rc = pl_journal_open_ingested(o.journal, &db);
	if (rc)
		goto out;
	st = pl_db_prepare(db, events_sql);
	if (!st) {
		rc = PL_EXIT_JOURNAL;
		goto out;
	}
	bind_filter(st, &f);
	pl_json_init(&j, stdout);
	j.compact = f.jsonl;
	if (o.json) {
		pl_json_open(&j, NULL, '{');
		pl_json_open(&j, "events", '[');
	} else if (!f.jsonl) {
		pl_cols_heading(&c, stdout);
	}
	/* a full disk or a closed stdout stops the scan: the rest would be
	 * lost too (a reader gone ends us with SIGPIPE before this) */
	rc = SQLITE_DONE;
	while (!ferror(stdout) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (o.json || f.jsonl)
			json_event(&j, st);
		else
			text_event(&c, st);
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = pl_db_fail(db, "cannot read events");
		goto out;
	}
	rc = 0;
	if (o.json) {
		pl_json_close(&j, ']');
		pl_json_int(&j, "count", n);
		pl_json_close(&j, '}');
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	pl_buf_free(&f.pids);
	pl_buf_free(&f.kinds);
	return rc;
}
