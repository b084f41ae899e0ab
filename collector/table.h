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

/* The heading and a row per holder of HS. */
void pl_holder_table(const struct pl_cols *c, const struct pl_holders *hs);

#endif
