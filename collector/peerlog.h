/* Shared declarations of the peerlog command. */
#ifndef PEERLOG_COLLECTOR_H
#define PEERLOG_COLLECTOR_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

/* Exit statuses, documented in README.md and `peerlog --help`. `run`
 * exits with its command's status instead. */
enum pl_exit {
	PL_EXIT_OK = 0,
	PL_EXIT_NOTFOUND = 1, /* the query has no answer in the journal */
	PL_EXIT_USAGE = 2,    /* bad command line */
	PL_EXIT_JOURNAL = 3,  /* journal or spool missing, unreadable, corrupt */
	PL_EXIT_SYSTEM = 4,   /* out of memory, cannot run a program, ... */
};

/* dispatch.c: run the command ARGV names (main's arguments). */
int pl_main(int argc, char **argv);

/* cli.c: error reporting, git-style: "peerlog: what went wrong". */
void pl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Options every query command takes. */
struct pl_opts {
	const char *journal; /* -j/--journal, else $PEERLOG_JOURNAL, else ./peerlog.db */
	int json;            /* --json */
	int no_check;        /* --no-check: do not ask the kernel */
	const char *boot;    /* --boot ID (prefix), where PL_CLI_BOOT allows */
	const char *columns; /* -o/--output COLS of a table (PL_CLI_COLUMNS) */
	int no_headings;     /* -n/--no-headings */
};

/* cli.c: set by the command-line fuzzer. Commands parse their arguments,
 * then stop with PL_EXIT_JOURNAL where they would open a journal or
 * start a program. */
extern int pl_cli_parse_only;

/* journal.c */
const char *pl_journal_default(void);
int pl_file_mode(int *ret_mode);
int pl_spool_path(const char *journal, char *buf, size_t size);
int pl_journal_open(const char *path, sqlite3 **ret_db);
/* the schema of a journal already open (the spool fuzzer's, in memory) */
int pl_journal_setup(sqlite3 *db, const char *path);
int pl_journal_open_ingested(const char *path, sqlite3 **ret_db);
sqlite3_stmt *pl_db_prepare(sqlite3 *db, const char *sql);
int pl_db_exec(sqlite3 *db, const char *sql);
int pl_db_fail(sqlite3 *db, const char *what);

/* ingest.c */
int pl_ingest(sqlite3 *db, const char *spool_path);
/* The event.kind of record type TYPE; NULL for a type there is none of. */
const char *pl_record_kind(unsigned type);

/* cmd-merge.c: merge the journal at IN_PATH into DB (attached, in one
 * transaction: on failure DB is as it was). Counts by table, in the order
 * process, pair, sock, holding, flight, module, stack, event. */
#define PL_MERGE_TABLES 8
struct pl_merge_counts {
	int64_t added[PL_MERGE_TABLES]; /* rows new to DB */
	int64_t joined_socks;           /* input's ends DB knew already */
};
int pl_merge_journal(sqlite3 *db, const char *in_path,
		     struct pl_merge_counts *ret);

/* proc.c: the live system. */
const char *pl_boot_id(void);
/* 2 s at the usual 100 ticks a second */
#define PL_TICKS_SLACK 200
int pl_ticks_match(uint64_t recorded, uint64_t actual);
int pl_proc_alive(const char *boot, int pid, uint64_t start_ticks);

/* output.c */
void pl_fmt_time(uint64_t ns, int iso, char *buf, size_t size);

/* The subcommands. */
int cmd_run(int argc, char **argv);
int cmd_who(int argc, char **argv);
int cmd_pairs(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
