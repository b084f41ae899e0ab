/* Output helpers: a growable string, a JSON writer, time formatting. */
#ifndef PEERLOG_COLLECTOR_OUTPUT_H
#define PEERLOG_COLLECTOR_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pl_buf {
	char *p;
	size_t len, cap;
};

void pl_buf_add(struct pl_buf *b, const char *s, size_t n);
void pl_buf_adds(struct pl_buf *b, const char *s);
void pl_buf_addf(struct pl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pl_buf_free(struct pl_buf *b);
/* The text so far, "" when nothing was added. */
static inline const char *pl_buf_str(const struct pl_buf *b)
{
	return b->p ? b->p : "";
}
/* S in single quotes, safe for sh -c. */
void pl_buf_shell_quote(struct pl_buf *b, const char *s);

/* S (NULL: "") as valid UTF-8 without control characters: each byte that
 * is not, as the text \xNN. _html also escapes & < > " and ' for text and
 * attribute values alike. */
void pl_buf_utf8(struct pl_buf *b, const char *s);
void pl_buf_html(struct pl_buf *b, const char *s);

/* NUL-separated arguments (N bytes) as a JSON array. */
void pl_buf_json_argv(struct pl_buf *b, const char *args, size_t n);

/* A streaming JSON writer with two-space indentation. Members take a key;
 * array elements pass NULL. */
struct pl_json {
	FILE *f;
	int depth;
	unsigned char fresh[64]; /* no member written yet at this depth */
	struct pl_buf deep;      /* the same, 64 levels down and more (a
				  * chain of 200 execs nests 600 deep) */
	int compact;             /* all on one line (JSON Lines), no indent */
};

void pl_json_init(struct pl_json *j, FILE *f);
void pl_json_open(struct pl_json *j, const char *key, char bracket);
void pl_json_close(struct pl_json *j, char bracket);
void pl_json_str(struct pl_json *j, const char *key, const char *val);
void pl_json_int(struct pl_json *j, const char *key, long long val);
void pl_json_null(struct pl_json *j, const char *key);
void pl_json_bool(struct pl_json *j, const char *key, int val);
/* VAL is already JSON text (an argv array from the journal, say). */
void pl_json_raw(struct pl_json *j, const char *key, const char *val);
void pl_json_time(struct pl_json *j, const char *key, int64_t ns);
/* {"pid": PID, "fd": FD}, or null when PID is 0 (a holding's source). */
void pl_json_pid_fd(struct pl_json *j, const char *key, int pid, int fd);

/* Colour of text output, decided once (pl_color_setup) for the whole
 * command: --color=always, never, or auto (the default: only when stdout
 * is a terminal, TERM is not "dumb" and NO_COLOR is unset or empty). */
enum pl_color_mode { PL_COLOR_AUTO, PL_COLOR_ALWAYS, PL_COLOR_NEVER };
/* What a colour says; PL_PAINT_NONE is no colour. */
enum pl_paint {
	PL_PAINT_NONE,
	PL_PAINT_BAD,  /* red: lint findings, flagged ends */
	PL_PAINT_GOOD, /* green: alive and confirmed holders */
	PL_PAINT_WARN, /* yellow: the kernel disagrees */
	PL_PAINT_HEAD, /* bold: table headings */
};
/* "auto", "always", "never" (and their synonyms tty, yes, no...). */
int pl_color_parse(const char *s, enum pl_color_mode *ret);
void pl_color_setup(enum pl_color_mode mode);
/* The escape sequence that starts P, and the one that ends it: both ""
 * when colour is off or P is PL_PAINT_NONE. */
const char *pl_paint_on(enum pl_paint p);
const char *pl_paint_off(enum pl_paint p);

/* Tables: the columns a listing can show, picked and ordered with
 * -o/--output COLS like ss and lsfd. Widths are fixed, so that a table
 * is printed row by row as it is read, in constant memory. */
struct pl_col {
	const char *name; /* as -o names it, upper case: "PID" */
	int width;        /* cells are padded to it (the last column not) */
	int flags;        /* PL_COL_* */
	const char *help; /* for -o help */
};
#define PL_COL_RIGHT 1 /* right-aligned (numbers) */
#define PL_COL_TRUNC 2 /* cut to its width */
#define PL_COLS_MAX 32

/* A choice of columns: indexes into the command's table of columns. */
struct pl_cols {
	const struct pl_col *all;
	size_t nall;
	int pick[PL_COLS_MAX];
	size_t n;
	int headings;  /* print the heading row (-n/--no-headings: 0) */
	int indent;    /* spaces before each row */
};

/* Pick the columns SPEC names (comma separated, any case; "+A,B" adds
 * them to DEFAULTS; NULL: DEFAULTS) from ALL. 0, or -EINVAL with the
 * word at fault in *ret_bad (a pointer into SPEC, its length in
 * *ret_badlen). A column named twice is shown twice, as in ss. */
int pl_cols_pick(const struct pl_col *all, size_t nall, const char *defaults,
		 const char *spec, struct pl_cols *ret, const char **ret_bad,
		 size_t *ret_badlen);
/* The same, with the error said (one line) and PL_EXIT_USAGE returned. */
int pl_cols_setup(const struct pl_col *all, size_t nall, const char *defaults,
		  const char *spec, int headings, struct pl_cols *ret);
/* Column I of ALL is among those picked. */
int pl_cols_has(const struct pl_cols *c, int i);
/* -o help: every column with its description, to F. */
void pl_cols_help(const struct pl_col *all, size_t nall, const char *defaults,
		  FILE *f);
/* The heading row, in bold where colour is on. */
void pl_cols_heading(const struct pl_cols *c, FILE *f);
/* One row: CELLS[i] is the text of column i of ALL (NULL: "-"), PAINT[i]
 * its colour (PAINT may be NULL). */
void pl_cols_row(const struct pl_cols *c, FILE *f, const char *const *cells,
		 const enum pl_paint *paint);

/* popen(COMMAND, "w") and its pclose(), with SIGPIPE ignored in between:
 * a command that exits before it read everything (a dot that fails) makes
 * the writes fail with EPIPE and pclose() say so, rather than end peerlog
 * (queries take SIGPIPE's default action: pl_cli_parse). SAVED keeps the
 * action to put back. pl_pclose_write returns pclose()'s status. */
struct sigaction;
FILE *pl_popen_write(const char *command, struct sigaction *saved);
int pl_pclose_write(FILE *f, const struct sigaction *saved);

#endif
