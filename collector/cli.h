/* Command-line parsing shared by the subcommands. */
#ifndef PEERLOG_COLLECTOR_CLI_H
#define PEERLOG_COLLECTOR_CLI_H

#include <errno.h>

#include "../schema/record.h"
#include "peerlog.h"

/* Parse the options every command takes; for a query, also --color
 * (colour is set up then) and SIGPIPE's default action is restored, so
 * that a reader that goes away ends the command quietly, as it ends ls
 * or ss. Returns 0 with *ret_next at the first operand (operands are
 * moved to the end), -1 when --help was printed (exit 0), or an exit
 * status. */
#define PL_CLI_STOP 1 /* stop at the first operand; no --json (run) */
#define PL_CLI_BOOT 2 /* --boot ID: one boot of a merged journal */
#define PL_CLI_COLUMNS 4 /* -o/--output COLS and -n/--no-headings */
int pl_cli_parse(int argc, char **argv, const char *usage,
		 struct pl_opts *opts, int *ret_next, int flags);

/* After a command's status RC: the output flushed, and a write error
 * said (one line, once) instead of lost: RC, or PL_EXIT_SYSTEM for an RC
 * of 0. A command with exit statuses of its own (check) calls it first. */
int pl_cli_done(int rc);

/* Parse a decimal number in [MIN, MAX]; WHAT names it in the error. */
int pl_cli_number(const char *s, const char *what, long min, long max,
		  long *ret);

#endif
