/* Spool records for the unit tests, built as the shim builds them. */
#ifndef PEERLOG_TESTS_RECORDS_H
#define PEERLOG_TESTS_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/record.h"

/* One record, aligned for the structs of record.h. */
union rec {
	struct pl_rec_head head;
	struct pl_rec_hello hello;
	struct pl_rec_snap snap;
	struct pl_rec_socketpair pair;
	struct pl_rec_close close;
	struct pl_rec_exec exec;
	struct pl_rec_exec_fail exec_fail;
	struct pl_rec_fork fork;
	struct pl_rec_exit exit;
	struct pl_rec_dup dup;
	struct pl_rec_setfd setfd;
	struct pl_rec_close_range close_range;
	struct pl_rec_spawn spawn;
	struct pl_rec_fds fds;
	struct pl_rec_socket socket;
	struct pl_rec_conn conn;
	struct pl_rec_stack stack;
	struct pl_rec_module module;
	struct pl_rec_open open;
	struct pl_rec_write write;
	uint64_t align;
	unsigned char bytes[PL_REC_MAX];
};

/* Fill the head of R (pid and time are the caller's) and seal it with
 * its checksum, as the shim does. Returns SIZE. */
static inline size_t rec_seal(union rec *r, uint8_t type, size_t size)
{
	r->head.magic = PL_REC_MAGIC;
	r->head.size = (uint16_t)size;
	r->head.version = PL_FORMAT_VERSION;
	r->head.type = type;
	r->head.check = 0;
	r->head.check = pl_rec_checksum(r->bytes, size);
	return size;
}

#endif
