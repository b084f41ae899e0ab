/* The holder tables of who and pairs: one row per holder of an end, with
 * the columns -o picks. */
#ifndef PEERLOG_COLLECTOR_TABLE_H
#define PEERLOG_COLLECTOR_TABLE_H

#include "model.h"
#include "output.h"

extern const struct pl_col pl_holder_cols[];
extern const size_t pl_holder_ncols;

/* The colour of a holder: alive ones green, yellow where the kernel says
 * otherwise. */
enum pl_paint pl_holder_paint(const struct pl_holder *h);

/* pl_cli_parse() for a command with holder tables (who, pairs): --boot,
 * and -o/-n set up in COLS over DEFAULTS. What pl_cli_parse() returns. */
struct pl_opts;
int pl_holder_cli(int argc, char **argv, const char *usage,
		  struct pl_opts *o, int *ret_next, const char *defaults,
		  struct pl_cols *cols);

/* The heading and a row per holder of HS. */
void pl_holder_table(const struct pl_cols *c, const struct pl_holders *hs);

#endif
