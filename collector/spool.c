/* The spool reader. A spool is written by many processes that may be
 * killed at any moment, so every record is checked (magic, version, size,
 * checksum, and that its parts fit) before it is believed. A garbled
 * stretch is skipped up to the next good record.
 *
 * Room reserved but not committed (no magic yet) is a record being
 * copied, or the room of a writer that died first. The reader waits a
 * little for it; then a room whose writer (its pid is among the first
 * bytes copied) is gone, or that a committed record follows while nothing
 * names its writer, is torn and skipped; otherwise reading stops there,
 * and the next ingest starts from it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"

#define READ_CHUNK (1u << 20)

long pl_spool_wait_us = PL_SPOOL_WAIT_US;

static int body_fits(const struct pl_rec_head *h, size_t size)
{
	switch (h->type) {
	case PL_REC_HELLO: {
		const struct pl_rec_hello *r = (const void *)h;
		size_t need;

		if (size < sizeof(*r))
			return 0;
		need = pl_rec_align(sizeof(*r) + r->exe_len + r->argv_len) +
		       (size_t)r->nsock * sizeof(struct pl_rec_sock);
		return need <= size;
	}
	case PL_REC_SNAP: {
		const struct pl_rec_snap *r = (const void *)h;

		return size >= sizeof(*r) &&
		       sizeof(*r) + (size_t)r->nsock * sizeof(r->sock[0]) <= size;
	}
	case PL_REC_SOCKETPAIR:
	case PL_REC_PIPE:
		return size == sizeof(struct pl_rec_socketpair);
	case PL_REC_WRITE:
		return size == sizeof(struct pl_rec_write);
	case PL_REC_OPEN: {
		const struct pl_rec_open *r = (const void *)h;

		return size >= sizeof(*r) && r->name_len >= 1 &&
		       sizeof(*r) + r->name_len <= size;
	}
	case PL_REC_CLOSE:
		return size == sizeof(struct pl_rec_close);
	case PL_REC_EXEC: {
		const struct pl_rec_exec *r = (const void *)h;

		return size >= sizeof(*r) && sizeof(*r) + r->path_len <= size;
	}
	case PL_REC_EXEC_FAIL:
		return size == sizeof(struct pl_rec_exec_fail);
	case PL_REC_SEND_FDS:
	case PL_REC_RECV_FDS: {
		const struct pl_rec_fds *r = (const void *)h;

		return size >= sizeof(*r) &&
		       sizeof(*r) + (size_t)r->nsock * sizeof(r->sock[0]) <= size;
	}
	case PL_REC_SOCKET:
		return size == sizeof(struct pl_rec_socket);
	case PL_REC_STACK: {
		const struct pl_rec_stack *r = (const void *)h;

		return size >= sizeof(*r) && r->nframes <= PL_STACK_MAX &&
		       sizeof(*r) + r->nframes * sizeof(r->pc[0]) <= size;
	}
	case PL_REC_MODULE: {
		const struct pl_rec_module *r = (const void *)h;

		return size >= sizeof(*r) && r->build_id_len <= 20 &&
		       sizeof(*r) + r->path_len <= size;
	}
	case PL_REC_BIND:
	case PL_REC_LISTEN:
	case PL_REC_CONNECT:
	case PL_REC_ACCEPT: {
		const struct pl_rec_conn *r = (const void *)h;

		return size >= sizeof(*r) && sizeof(*r) + r->name_len <= size;
	}
	case PL_REC_SPAWN: {
		const struct pl_rec_spawn *r = (const void *)h;

		return size >= sizeof(*r) && sizeof(*r) + r->path_len <= size;
	}
	case PL_REC_FORK:
		return size == sizeof(struct pl_rec_fork);
	case PL_REC_EXIT:
		return size == sizeof(struct pl_rec_exit);
	case PL_REC_DUP:
		return size == sizeof(struct pl_rec_dup);
	case PL_REC_SETFD:
		return size == sizeof(struct pl_rec_setfd);
	case PL_REC_CLOSE_RANGE:
		return size == sizeof(struct pl_rec_close_range);
	default:
		return 0;
	}
}

enum pl_rec_status pl_rec_check(const void *buf, size_t avail,
				size_t *ret_size)
{
	union {
		struct pl_rec_head head;
		unsigned char bytes[PL_REC_MAX];
	} copy;
	struct pl_rec_head h;
	uint32_t check;

	if (avail >= sizeof(uint32_t)) {
		uint32_t magic;

		memcpy(&magic, buf, sizeof(magic));
		if (magic != PL_REC_MAGIC)
			return PL_REC_BAD;
	}
	if (avail < sizeof(h))
		return PL_REC_SHORT;
	memcpy(&h, buf, sizeof(h));
	if (h.version == 0)
		return PL_REC_BAD;
	if (h.size < sizeof(h) || h.size > PL_REC_MAX || h.size % PL_REC_ALIGN)
		return PL_REC_BAD;
	if (h.size > avail)
		return PL_REC_SHORT;
	memcpy(copy.bytes, buf, h.size);
	check = copy.head.check;
	copy.head.check = 0;
	if (pl_rec_checksum(copy.bytes, h.size) != check)
		return PL_REC_BAD;
	/* The head and checksum are the same in every version, so a newer
	 * record is told from a garbled version byte by its checksum. */
	if (h.version > PL_FORMAT_VERSION)
		return PL_REC_FUTURE;
	if (!body_fits(&copy.head, h.size))
		return PL_REC_BAD;
	*ret_size = h.size;
	return PL_REC_OK;
}

/* The header of FD, when it has one. */
static int read_head(int fd, struct pl_spool_head *h)
{
	return pread(fd, h, sizeof(*h), 0) == (ssize_t)sizeof(*h) &&
	       !memcmp(h->magic, PL_SPOOL_MAGIC, sizeof(h->magic));
}

int64_t pl_spool_identity(int fd)
{
	struct pl_spool_head sh;
	struct pl_rec_head h;

	if (read_head(fd, &sh))
		return (int64_t)(sh.created_ns ^ ((uint64_t)sh.creator_pid << 32));
	/* the first layout: its first record's time and checksum */
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return 0;
	return (int64_t)(h.time_ns ^ ((uint64_t)h.check << 32));
}

int pl_spool_reader_init(struct pl_spool_reader *r, int fd, off_t offset)
{
	struct pl_spool_head h;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->offset = offset;
	r->wait_us = pl_spool_wait_us;
	if (read_head(fd, &h)) {
		if (h.version > PL_SPOOL_VERSION || h.data < sizeof(h))
			return -EPROTO;
		r->mapped = 1;
		r->limit = (off_t)h.tail;
		if (r->offset < (off_t)h.data)
			r->offset = (off_t)h.data;
	} else {
		uint32_t first = 0;

		/* The first layout starts with a record; zero is a header
		 * being written. Anything else is not a spool of ours. */
		if (pread(fd, &first, sizeof(first), 0) == (ssize_t)sizeof(first) &&
		    first != PL_REC_MAGIC && first != 0)
			return -EBADMSG;
	}
	r->cap = READ_CHUNK;
	r->buf = malloc(r->cap);
	return r->buf ? 0 : -ENOMEM;
}

void pl_spool_reader_free(struct pl_spool_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Make at least PL_REC_MAX bytes available at pos, unless the spool
 * ends. */
static int fill(struct pl_spool_reader *r)
{
	if (r->eof || r->len - r->pos >= PL_REC_MAX)
		return 0;
	memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->offset += (off_t)r->pos;
	r->len -= r->pos;
	r->pos = 0;
	while (r->len < r->cap) {
		off_t at = r->offset + (off_t)r->len;
		size_t want = r->cap - r->len;
		ssize_t n;

		if (r->mapped && at >= r->limit) {
			r->eof = 1;
			break;
		}
		if (r->mapped && (off_t)want > r->limit - at)
			want = (size_t)(r->limit - at);
		n = pread(r->fd, r->buf + r->len, want, at);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			r->eof = 1;
			break;
		}
		r->len += (size_t)n;
	}
	return 0;
}

/* Forget what was read from pos on, so that the next fill reads it from
 * the file again. */
static void drop_rest(struct pl_spool_reader *r)
{
	r->len = r->pos;
	r->eof = 0;
}

/* Skip garbage: move to the next place the magic appears. */
static void resync(struct pl_spool_reader *r)
{
	static const uint32_t magic = PL_REC_MAGIC;
	size_t from = r->pos + 1;
	char *hit = NULL;

	if (from < r->len)
		hit = memmem(r->buf + from, r->len - from, &magic,
			     sizeof(magic));
	if (hit) {
		r->skipped += (uint64_t)(hit - (r->buf + r->pos));
		r->pos = (size_t)(hit - r->buf);
	} else {
		/* keep a tail that may be the start of a magic */
		size_t keep = r->len - r->pos < sizeof(magic) ?
				      r->len - r->pos - 1 : sizeof(magic) - 1;
		size_t next = r->len - keep;

		if (next <= r->pos)
			next = r->pos + 1;
		r->skipped += next - r->pos;
		r->pos = next;
	}
}

/* At the end of the file, a record not complete yet is normally one being
 * written. But if a whole good record follows it, it is a torn one (its
 * writer was killed or ran out of space) and must not hold back the rest:
 * the bytes of a record in progress do not form a valid record, checksum
 * included, unless an argument was crafted to. */
static int good_record_after(const struct pl_spool_reader *r)
{
	static const uint32_t magic = PL_REC_MAGIC;
	size_t at = r->pos + 1;

	while (at < r->len) {
		const char *hit = memmem(r->buf + at, r->len - at, &magic,
					 sizeof(magic));
		size_t size;

		if (!hit)
			return 0;
		at = (size_t)(hit - r->buf);
		if (pl_rec_check(hit, r->len - at, &size) == PL_REC_OK)
			return 1;
		at++;
	}
	return 0;
}

/* In a spool with a header, garbage ends at the next 8-byte word that is
 * a magic or room not committed yet (zero). */
static void resync_mapped(struct pl_spool_reader *r)
{
	size_t at = r->pos + PL_REC_ALIGN;

	while (at + sizeof(uint32_t) <= r->len) {
		uint32_t w;

		memcpy(&w, r->buf + at, sizeof(w));
		if (w == PL_REC_MAGIC || w == 0)
			break;
		at += PL_REC_ALIGN;
	}
	if (at > r->len)
		at = r->len;
	r->skipped += at - r->pos;
	r->pos = at;
}

static int writer_gone(uint32_t pid)
{
	return pid && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Room at pos without its magic. Returns 1 to read on (it was committed
 * meanwhile, or found torn and skipped), 0 to stop before it. */
static int uncommitted(struct pl_spool_reader *r)
{
	struct pl_rec_head h;
	size_t avail = r->len - r->pos;

	/* a writer copying: give it a moment (the first look already waited
	 * for nothing, so a record committed since is read again) */
	if (r->wait_us > 0) {
		struct timespec ms = { 0, 1000000 };

		nanosleep(&ms, NULL);
		r->wait_us -= 1000;
		drop_rest(r);
		return 1;
	}
	memset(&h, 0, sizeof(h));
	memcpy(&h, r->buf + r->pos, avail < sizeof(h) ? avail : sizeof(h));
	if (h.pid && h.size >= sizeof(h) && h.size <= PL_REC_MAX &&
	    h.size % PL_REC_ALIGN == 0 && h.size <= avail) {
		/* its writer is named: torn if it is gone or stuck */
		if (!writer_gone(h.pid) &&
		    !(h.time_ns && now_ns() > h.time_ns + PL_SPOOL_STALE_NS))
			return 0;
		r->torn++;
		r->pos += h.size;
		return 1;
	}
	/* nothing names it: the writer died as it reserved it, unless
	 * nothing was committed after it either */
	for (size_t at = r->pos + PL_REC_ALIGN; at + sizeof(h) <= r->len;
	     at += PL_REC_ALIGN) {
		size_t size;

		if (pl_rec_check(r->buf + at, r->len - at, &size) == PL_REC_OK) {
			r->torn++;
			r->skipped += at - r->pos;
			r->pos = at;
			return 1;
		}
	}
	return 0;
}

int pl_spool_next(struct pl_spool_reader *r, const struct pl_rec_head **ret_rec)
{
	for (;;) {
		size_t size = 0;
		uint32_t word;
		int err = fill(r);

		if (err)
			return err;
		if (r->pos >= r->len)
			return 0;
		if (r->mapped && r->len - r->pos >= sizeof(word)) {
			memcpy(&word, r->buf + r->pos, sizeof(word));
			if (word == 0) {
				if (!uncommitted(r))
					return 0;
				continue;
			}
		}
		switch (pl_rec_check(r->buf + r->pos, r->len - r->pos, &size)) {
		case PL_REC_OK:
			memcpy(r->rec.bytes, r->buf + r->pos, size);
			*ret_rec = &r->rec.head;
			r->pos += size;
			r->reread = 0;
			return 1;
		case PL_REC_SHORT:
			if (r->eof && !good_record_after(r))
				return 0; /* still being written, probably */
			/* torn; or, with PL_REC_MAX bytes at hand, a size
			 * no record has: skip it */
			r->mapped ? resync_mapped(r) : resync(r);
			break;
		case PL_REC_FUTURE: {
			/* a copy: after a resync the record may sit anywhere */
			struct pl_rec_head h;

			memcpy(&h, r->buf + r->pos, sizeof(h));
			r->future = h.version;
			return 0;
		}
		case PL_REC_BAD:
			/* where memory is weakly ordered a copy of a record
			 * just committed may lag behind its magic: once more */
			if (r->mapped && !r->reread) {
				r->reread = 1;
				drop_rest(r);
				break;
			}
			r->reread = 0;
			r->mapped ? resync_mapped(r) : resync(r);
			break;
		}
	}
}

off_t pl_spool_reader_tell(const struct pl_spool_reader *r)
{
	return r->offset + (off_t)r->pos;
}
