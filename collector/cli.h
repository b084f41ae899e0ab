/* Command-line parsing shared by the subcommands. */
#ifndef PEERLOG_COLLECTOR_CLI_H
#define PEERLOG_COLLECTOR_CLI_H

#include <errno.h>

#include "../schema/record.h"
#include "peerlog.h"

/* Parse the options every command takes. Returns 0 with *ret_next at the
 * first operand (operands are moved to the end), -1 when --help was
 * printed (exit 0), or an exit status. */
#define PL_CLI_STOP 1 /* stop at the first operand; no --json (run) */
#define PL_CLI_BOOT 2 /* --boot ID: one boot of a merged journal */
int pl_cli_parse(int argc, char **argv, const char *usage,
		 struct pl_opts *opts, int *ret_next, int flags);

/* Parse a decimal number in [MIN, MAX]; WHAT names it in the error. */
int pl_cli_number(const char *s, const char *what, long min, long max,
		  long *ret);

#endif
