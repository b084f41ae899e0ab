/* The holder tables of who and pairs. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "peerlog.h"
#include "table.h"

enum {
	H_PID, H_FD, H_PROGRAM, H_EXE, H_FROM, H_UNTIL, H_START, H_END,
	H_EXECS, H_KERNEL, H_SOURCE, H_INODE, H_HOW, H_N
};

const struct pl_col pl_holder_cols[H_N] = {
	[H_PID] = { "PID", 7, 0, "process id of the holder" },
	[H_FD] = { "FD", 3, PL_COL_RIGHT, "the fd it held the end at" },
	[H_PROGRAM] = { "PROGRAM", 10, PL_COL_TRUNC,
			"program name (the last one, across execs)" },
	[H_EXE] = { "EXE", 0, 0, "program path" },
	[H_FROM] = { "FROM", 12, 0, "when it got the end (local time)" },
	[H_UNTIL] = { "UNTIL", 12, 0,
		      "when it let go: - still held, ? not known" },
	[H_START] = { "START", 7, 0,
		      "start_reason: create accept fork dup recv inherit exec "
		      "found" },
	[H_END] = { "END", 7, 0, "end_reason: alive close exec exit unknown" },
	[H_EXECS] = { "EXECS", 5, PL_COL_RIGHT, "execs it kept the end across" },
	[H_KERNEL] = { "KERNEL", 9, 0,
		       "the kernel's word on a live holder, - if not asked" },
	[H_SOURCE] = { "SOURCE", 11, 0,
		       "PID:FD it came from (fork, dup, recv, inherit)" },
	[H_INODE] = { "INODE", 8, 0, "the socket's inode" },
	[H_HOW] = { "HOW", 0, 0, "how it got the end and how it ended" },
};
const size_t pl_holder_ncols = H_N;

enum pl_paint pl_holder_paint(const struct pl_holder *h)
{
	if (h->kernel && strcmp(h->kernel, PL_KERNEL_OK))
		return PL_PAINT_WARN;
	return !strcmp(h->end_reason, PL_END_ALIVE) ? PL_PAINT_GOOD
						    : PL_PAINT_NONE;
}

static void holder_row(const struct pl_cols *c, const struct pl_holder *h)
{
	char pid[16], fd[16], from[32], until[32], execs[16], source[32],
		ino[24];
	const char *cells[H_N] = { 0 };
	enum pl_paint paint[H_N] = { 0 };
	struct pl_buf how = { 0 };

	snprintf(pid, sizeof(pid), "%d", h->pid);
	snprintf(fd, sizeof(fd), "%d", h->fd);
	snprintf(execs, sizeof(execs), "%d", h->execs);
	snprintf(ino, sizeof(ino), "%lld", (long long)h->ino);
	pl_fmt_time((uint64_t)h->from_ns, 0, from, sizeof(from));
	if (h->until_ns)
		pl_fmt_time((uint64_t)h->until_ns, 0, until, sizeof(until));
	else
		snprintf(until, sizeof(until), "%s",
			 strcmp(h->end_reason, PL_END_ALIVE) ? "?" : "-");
	if (h->source_pid)
		snprintf(source, sizeof(source), "%d:%d", h->source_pid,
			 h->source_fd);
	if (pl_cols_has(c, H_HOW))
		pl_holder_how(h, &how);
	cells[H_PID] = pid;
	cells[H_FD] = fd;
	cells[H_PROGRAM] = pl_basename(h->exe);
	cells[H_EXE] = h->exe;
	cells[H_FROM] = from;
	cells[H_UNTIL] = until;
	cells[H_START] = h->start_reason;
	cells[H_END] = h->end_reason;
	cells[H_EXECS] = execs;
	cells[H_KERNEL] = h->kernel;
	cells[H_SOURCE] = h->source_pid ? source : NULL;
	cells[H_INODE] = ino;
	cells[H_HOW] = pl_buf_str(&how);
	paint[H_HOW] = paint[H_END] = paint[H_KERNEL] = pl_holder_paint(h);
	pl_cols_row(c, stdout, cells, paint);
	pl_buf_free(&how);
}

int pl_holder_cli(int argc, char **argv, const char *usage,
		  struct pl_opts *o, int *ret_next, const char *defaults,
		  struct pl_cols *cols)
{
	int rc = pl_cli_parse(argc, argv, usage, o, ret_next,
			      PL_CLI_BOOT | PL_CLI_COLUMNS);

	if (!rc)
		rc = pl_cols_setup(pl_holder_cols, pl_holder_ncols, defaults,
				   o->columns, !o->no_headings, cols);
	return rc;
}

void pl_holder_table(const struct pl_cols *c, const struct pl_holders *hs)
{
	pl_cols_heading(c, stdout);
	for (size_t i = 0; i < hs->n; i++)
		holder_row(c, &hs->v[i]);
}
