/* Reading the spool: validation of single records and a streaming reader
 * that never trusts what it reads. */
#ifndef PEERLOG_COLLECTOR_SPOOL_H
#define PEERLOG_COLLECTOR_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../schema/record.h"

enum pl_rec_status {
	PL_REC_OK = 0,
	PL_REC_SHORT,   /* not all of it is there (yet) */
	PL_REC_BAD,     /* not a record: garbage, torn, or checksum mismatch */
	PL_REC_FUTURE,  /* a record of a newer format version */
};

/* Check the bytes at BUF (AVAIL of them) for one record; on PL_REC_OK its
 * size is in *ret_size. Also checks that the body fits its declared parts. */
enum pl_rec_status pl_rec_check(const void *buf, size_t avail,
				size_t *ret_size);

/* Reads records from an fd, from a starting offset to the end: the
 * header's tail, or the file's end for a spool of the first layout. */
struct pl_spool_reader {
	int fd;
	off_t offset;     /* file offset of buf[0] */
	char *buf;
	size_t cap, len, pos;
	int eof;
	int mapped;       /* the spool has a header (struct pl_spool_head) */
	off_t limit;      /* mapped: nothing is read past the tail */
	int reread;       /* the record at pos was read again once */
	long wait_us;     /* what is left to wait for rooms being written */
	uint64_t skipped; /* garbled bytes passed over */
	uint64_t torn;    /* rooms whose writer died before committing */
	uint8_t future;   /* version of a future record met, 0 if none */
	union {           /* the current record, aligned for its structs */
		struct pl_rec_head head;
		uint64_t align;
		unsigned char bytes[PL_REC_MAX];
	} rec;
};

/* How long one read waits, in all, for records still being copied; the
 * spool fuzzer, whose rooms nobody is writing, sets it to 0. */
#define PL_SPOOL_WAIT_US 50000
extern long pl_spool_wait_us;
/* A room whose writer is alive but has not committed it after this long
 * is taken for torn all the same (a writer stopped in the middle). */
#define PL_SPOOL_STALE_NS (10ull * 1000000000ull)

/* Start reading FD at OFFSET (0: from the first record). Reads the
 * header, so call it where the tail must be read (under the journal's
 * write lock). -EPROTO: a header of a newer version; -EBADMSG: neither
 * a header nor a record at the start: not a spool. */
int pl_spool_reader_init(struct pl_spool_reader *r, int fd, off_t offset);
void pl_spool_reader_free(struct pl_spool_reader *r);
/* Next good record: 1 and *ret_rec (valid until the next call), 0 at the
 * end (or before a record not complete yet, or a future one), <0 on a read
 * error (negative errno). */
int pl_spool_next(struct pl_spool_reader *r, const struct pl_rec_head **ret_rec);
/* What tells this spool file from another made later at the same path
 * (file systems reuse inode numbers); 0 while it has none. */
int64_t pl_spool_identity(int fd);
/* File offset just after the last record returned or skipped. */
off_t pl_spool_reader_tell(const struct pl_spool_reader *r);

#endif
