/* Unit tests of the UNIX_DIAG dump parser (collector/netlink.c): the
 * buffers of netlink messages a NETLINK_SOCK_DIAG dump returns are built
 * by hand here, as the kernel lays them out, and fed to pl_kdump_parse.
 *
 * pl_kdump_parse does not sort (pl_kdump_load does, once the dump is
 * complete), and pl_kdump_find searches a sorted array: the tests of find
 * give their sockets in inode order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <cmocka.h>

#include "kernel.h"

#define DUMP_SEQ 0x706c6f67 /* "plog": netlink.c only takes this one */

/* A buffer of netlink messages, aligned for them. */
struct buf {
	size_t len;
	union {
		struct nlmsghdr align;
		unsigned char bytes[4096];
	} u;
};

static void buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

/* Append LEN bytes of DATA to the message H, which is the last one of B,
 * zero-padded to the alignment of netlink (as the kernel pads). */
static void put(struct buf *b, struct nlmsghdr *h, const void *data,
		size_t len)
{
	size_t padded = NLMSG_ALIGN(len);

	assert_true(b->len + padded <= sizeof(b->u.bytes));
	memset(b->u.bytes + b->len, 0, padded);
	if (len)
		memcpy(b->u.bytes + b->len, data, len);
	b->len += padded;
	h->nlmsg_len += (uint32_t)padded;
}

/* Start a message of TYPE at the end of B. */
static struct nlmsghdr *start(struct buf *b, uint16_t type, uint16_t flags,
			      uint32_t seq)
{
	struct nlmsghdr *h;

	assert_true(b->len + NLMSG_HDRLEN <= sizeof(b->u.bytes));
	h = (struct nlmsghdr *)(void *)(b->u.bytes + b->len);
	memset(h, 0, NLMSG_HDRLEN);
	h->nlmsg_len = NLMSG_HDRLEN;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	h->nlmsg_pid = 4242;
	b->len += NLMSG_HDRLEN;
	return h;
}

/* The body of a SOCK_DIAG_BY_FAMILY answer. */
static void put_diag(struct buf *b, struct nlmsghdr *h, uint32_t ino,
		     uint8_t type, uint8_t state, uint64_t cookie)
{
	struct unix_diag_msg m;

	memset(&m, 0, sizeof(m));
	m.udiag_family = AF_UNIX;
	m.udiag_type = type;
	m.udiag_state = state;
	m.udiag_ino = ino;
	m.udiag_cookie[0] = (uint32_t)cookie;
	m.udiag_cookie[1] = (uint32_t)(cookie >> 32);
	put(b, h, &m, sizeof(m));
}

/* An attribute of TYPE with LEN bytes of DATA, padded. */
static void put_attr(struct buf *b, struct nlmsghdr *h, uint16_t type,
		     const void *data, size_t len)
{
	struct rtattr a = {
		.rta_len = (unsigned short)RTA_LENGTH(len),
		.rta_type = type,
	};

	put(b, h, &a, sizeof(a));
	put(b, h, data, len);
}

/* One socket: a UNIX_DIAG_PEER if PEER is not 0, a UNIX_DIAG_NAME of
 * NAME_LEN bytes if NAME is not NULL. */
static void add_sock(struct buf *b, uint32_t seq, uint16_t flags,
		     uint32_t ino, uint32_t peer, const char *name,
		     size_t name_len)
{
	struct nlmsghdr *h = start(b, SOCK_DIAG_BY_FAMILY, flags, seq);

	put_diag(b, h, ino, SOCK_STREAM, 1 /* TCP_ESTABLISHED */,
		 (uint64_t)ino * 10);
	if (peer)
		put_attr(b, h, UNIX_DIAG_PEER, &peer, sizeof(peer));
	if (name)
		put_attr(b, h, UNIX_DIAG_NAME, name, name_len);
}

/* The end of a dump: NLMSG_DONE with its int (0), as the kernel sends it. */
static void add_done(struct buf *b, uint32_t seq, uint16_t flags)
{
	struct nlmsghdr *h = start(b, NLMSG_DONE, NLM_F_MULTI | flags, seq);
	int zero = 0;

	put(b, h, &zero, sizeof(zero));
}

/* An error answer: NLMSG_ERROR with ERR and the request it answers. */
static void add_error(struct buf *b, uint32_t seq, int err)
{
	struct nlmsghdr *h = start(b, NLMSG_ERROR, 0, seq);
	struct nlmsgerr e;

	memset(&e, 0, sizeof(e));
	e.error = err;
	e.msg.nlmsg_len = NLMSG_LENGTH(sizeof(struct unix_diag_req));
	e.msg.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	e.msg.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	e.msg.nlmsg_seq = seq;
	put(b, h, &e, sizeof(e));
}

/* Parse B from a heap copy of exactly its length, so that valgrind sees
 * any read past its end. */
static int parse(struct pl_kdump *d, const struct buf *b)
{
	void *copy = malloc(b->len ? b->len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, b->u.bytes, b->len);
	rc = pl_kdump_parse(d, copy, b->len);
	free(copy);
	return rc;
}

static const struct pl_kunix *at(const struct pl_kdump *d, size_t i)
{
	assert_true(i < d->n);
	return &d->v[i];
}

static void test_netlink__one_socket(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;
	struct nlmsghdr *h;
	uint32_t peer = 5002;
	const struct pl_kunix *u;

	buf_init(&b);
	h = start(&b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, DUMP_SEQ);
	put_diag(&b, h, 5001, SOCK_SEQPACKET, 10 /* TCP_LISTEN */,
		 0x1122334455667788ull);
	put_attr(&b, h, UNIX_DIAG_PEER, &peer, sizeof(peer));
	/* the name without the kernel's trailing NUL: see
	 * test_netlink__path_name_kernel_nul */
	put_attr(&b, h, UNIX_DIAG_NAME, "/run/x.sock", strlen("/run/x.sock"));
	add_done(&b, DUMP_SEQ, 0);

	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 1);
	u = at(&d, 0);
	assert_int_equal(u->ino, 5001);
	assert_int_equal(u->peer, 5002);
	assert_int_equal(u->type, SOCK_SEQPACKET);
	assert_int_equal(u->state, 10);
	/* udiag_cookie[0] is the low half */
	assert_true(u->cookie == 0x1122334455667788ull);
	assert_string_equal(u->name, "/run/x.sock");
	assert_int_equal(d.interrupted, 0);
	assert_int_equal(d.no_peers, 0);
	pl_kdump_free(&d);
}

/* The kernel's UNIX_DIAG_NAME of a path socket ends with the path's NUL
 * (the address length it keeps counts it: unix_mkname_bsd returns
 * strlen + offset + 1). Only an abstract name (first byte NUL) has its
 * NULs shown as '@' (as ss -x does); a path ends at its first NUL, and
 * must not read "/run/x.sock@" (it once did, on a live 6.18 kernel too). */
static void test_netlink__path_name_kernel_nul(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;

	buf_init(&b);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 5001, 0, "/run/x.sock",
		 sizeof("/run/x.sock")); /* with its NUL, as the kernel */
	add_done(&b, DUMP_SEQ, 0);

	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 1);
	assert_string_equal(at(&d, 0)->name, "/run/x.sock");
	pl_kdump_free(&d);
}

static void test_netlink__abstract_name(void **state)
{
	static const char name[] = "\0peerlog-test"; /* no trailing NUL */
	struct pl_kdump d = { 0 };
	struct buf b;

	buf_init(&b);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 77, 78, name, sizeof(name) - 1);
	add_done(&b, DUMP_SEQ, 0);

	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 1);
	assert_string_equal(at(&d, 0)->name, "@peerlog-test");
	assert_int_equal(at(&d, 0)->peer, 78);
	pl_kdump_free(&d);
}

static void test_netlink__no_attributes(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;
	const struct pl_kunix *u;

	buf_init(&b);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 900, 0, NULL, 0);
	add_done(&b, DUMP_SEQ, 0);

	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 1);
	u = at(&d, 0);
	assert_int_equal(u->ino, 900);
	assert_int_equal(u->peer, 0);
	assert_string_equal(u->name, "");
	assert_true(u->cookie == 9000);
	pl_kdump_free(&d);
}

static void test_netlink__several_then_done(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;

	buf_init(&b);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 30, 31, "/a", 2);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 31, 30, NULL, 0);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 12, 0, "\0abs", 4);
	add_done(&b, DUMP_SEQ, 0);

	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 3);
	/* in the order given: parse does not sort */
	assert_int_equal(at(&d, 0)->ino, 30);
	assert_int_equal(at(&d, 0)->peer, 31);
	assert_string_equal(at(&d, 0)->name, "/a");
	assert_int_equal(at(&d, 1)->ino, 31);
	assert_int_equal(at(&d, 1)->peer, 30);
	assert_string_equal(at(&d, 1)->name, "");
	assert_int_equal(at(&d, 2)->ino, 12);
	assert_int_equal(at(&d, 2)->peer, 0);
	assert_string_equal(at(&d, 2)->name, "@abs");
	assert_int_equal(d.interrupted, 0);
	pl_kdump_free(&d);
}

/* A dump spans several datagrams: 0 until the one with NLMSG_DONE. */
static void test_netlink__dump_across_buffers(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;

	buf_init(&b);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 1, 2, NULL, 0);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 2, 1, NULL, 0);
	assert_int_equal(parse(&d, &b), 0);
	assert_int_equal(d.n, 2);

	buf_init(&b);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 3, 0, "/c", 2);
	add_done(&b, DUMP_SEQ, 0);
	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 3);
	assert_int_equal(at(&d, 0)->ino, 1);
	assert_int_equal(at(&d, 1)->ino, 2);
	assert_int_equal(at(&d, 2)->ino, 3);
	assert_string_equal(at(&d, 2)->name, "/c");

	/* an empty buffer is no end either */
	buf_init(&b);
	assert_int_equal(parse(&d, &b), 0);
	assert_int_equal(d.n, 3);
	pl_kdump_free(&d);
}

static void test_netlink__error_enoent(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;

	buf_init(&b);
	add_error(&b, DUMP_SEQ, -ENOENT);
	assert_int_equal(parse(&d, &b), -ENOENT);
	assert_int_equal(d.n, 0);
	pl_kdump_free(&d);
}

/* nlmsg_len too short for a unix_diag_msg: an error, and nothing read
 * past the message (the buffer ends where it says it ends). */
static void test_netlink__truncated_message(void **state)
{
	size_t short_by[] = { 4, sizeof(struct unix_diag_msg) };
	struct pl_kdump d = { 0 };
	struct buf b;

	for (size_t i = 0; i < sizeof(short_by) / sizeof(short_by[0]); i++) {
		struct nlmsghdr *h;
		int rc;

		buf_init(&b);
		h = start(&b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, DUMP_SEQ);
		put_diag(&b, h, 55, SOCK_STREAM, 1, 1);
		h->nlmsg_len -= (uint32_t)short_by[i];
		b.len -= short_by[i];
		rc = parse(&d, &b);
		if (rc >= 0)
			fail_msg("nlmsg_len %u: %d, not a negative errno",
				 h->nlmsg_len, rc);
		assert_int_equal(rc, -EBADMSG);
		assert_int_equal(d.n, 0);
	}
	pl_kdump_free(&d);
}

/* Answers to another request (another nlmsg_seq) are not ours, not even
 * their NLMSG_DONE. */
static void test_netlink__other_seq_skipped(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;

	buf_init(&b);
	add_sock(&b, DUMP_SEQ + 1, NLM_F_MULTI, 100, 101, "/other", 6);
	add_error(&b, 1, -EPERM);
	add_done(&b, 0, NLM_F_DUMP_INTR);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 200, 201, "/ours", 5);
	add_sock(&b, 0, NLM_F_MULTI, 300, 0, NULL, 0);
	assert_int_equal(parse(&d, &b), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(at(&d, 0)->ino, 200);
	assert_string_equal(at(&d, 0)->name, "/ours");
	assert_int_equal(d.interrupted, 0);

	buf_init(&b);
	add_done(&b, DUMP_SEQ - 1, 0);
	assert_int_equal(parse(&d, &b), 0);
	add_done(&b, DUMP_SEQ, 0);
	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 1);
	pl_kdump_free(&d);
}

/* The kernel marks the messages of a dump disturbed by a change of the
 * table with NLM_F_DUMP_INTR: on a socket's message or on the DONE. */
static void test_netlink__dump_intr(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;

	buf_init(&b);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 1, 0, NULL, 0);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI | NLM_F_DUMP_INTR, 2, 0, NULL, 0);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 3, 0, NULL, 0);
	add_done(&b, DUMP_SEQ, 0);
	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 3); /* what it has is still parsed */
	assert_int_equal(d.interrupted, 1);
	pl_kdump_free(&d);

	buf_init(&b);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 1, 0, NULL, 0);
	add_done(&b, DUMP_SEQ, NLM_F_DUMP_INTR);
	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.interrupted, 1);
	pl_kdump_free(&d);
}

/* An attribute whose rta_len runs past its message is ignored, and so is
 * what follows it; the message, last in an exact heap buffer, is not read
 * past (valgrind would say). */
static void test_netlink__attr_past_message(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;
	struct nlmsghdr *h;
	struct rtattr *a;
	uint32_t peer = 61;

	/* the only attribute: a PEER that says it is 64 bytes longer */
	buf_init(&b);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI, 60, peer, NULL, 0);
	h = (struct nlmsghdr *)(void *)b.u.bytes;
	a = (struct rtattr *)(void *)(b.u.bytes +
				      NLMSG_LENGTH(sizeof(struct unix_diag_msg)));
	assert_int_equal(a->rta_type, UNIX_DIAG_PEER);
	a->rta_len += 64;
	assert_int_equal(h->nlmsg_len, b.len);
	assert_int_equal(parse(&d, &b), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(at(&d, 0)->ino, 60);
	assert_int_equal(at(&d, 0)->peer, 0);
	assert_string_equal(at(&d, 0)->name, "");
	pl_kdump_free(&d);

	/* a good PEER, then a NAME running past the message by one byte */
	buf_init(&b);
	h = start(&b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, DUMP_SEQ);
	put_diag(&b, h, 62, SOCK_DGRAM, 7, 0);
	put_attr(&b, h, UNIX_DIAG_PEER, &peer, sizeof(peer));
	a = (struct rtattr *)(void *)(b.u.bytes + b.len);
	put_attr(&b, h, UNIX_DIAG_NAME, "/abcdefg", 8);
	a->rta_len += 1;
	assert_int_equal(parse(&d, &b), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(at(&d, 0)->peer, 61);
	assert_string_equal(at(&d, 0)->name, "");
	pl_kdump_free(&d);

	/* an rta_len shorter than an rtattr ends the attributes too */
	buf_init(&b);
	h = start(&b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, DUMP_SEQ);
	put_diag(&b, h, 63, SOCK_DGRAM, 7, 0);
	a = (struct rtattr *)(void *)(b.u.bytes + b.len);
	put_attr(&b, h, UNIX_DIAG_PEER, &peer, sizeof(peer));
	a->rta_len = 2;
	add_done(&b, DUMP_SEQ, 0);
	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 1);
	assert_int_equal(at(&d, 0)->peer, 0);
	pl_kdump_free(&d);
}

/* When the last message's nlmsg_len is not a multiple of 4 (the kernel's
 * own netlink_rcv_skb takes such a message, clamping the step to what is
 * left), stepping by the aligned length must not wrap the remaining length
 * and read past the buffer (NLMSG_NEXT on a size_t once did). Here the
 * bytes after LEN hold an NLMSG_DONE that is not part of the buffer given;
 * parse must not see it. */
static void test_netlink__unaligned_last_message(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;
	struct nlmsghdr *h;
	size_t len;
	int rc;

	buf_init(&b);
	h = start(&b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, DUMP_SEQ);
	put_diag(&b, h, 70, SOCK_STREAM, 1, 0);
	put_attr(&b, h, UNIX_DIAG_NAME, "/xy", 3); /* rta_len 7 */
	h->nlmsg_len -= 1; /* 39: the attribute's padding left out */
	len = h->nlmsg_len;
	add_done(&b, DUMP_SEQ, 0); /* past LEN: not to be read */

	rc = pl_kdump_parse(&d, b.u.bytes, len);
	assert_int_equal(d.n, 1);
	assert_string_equal(at(&d, 0)->name, "/xy");
	if (rc != 0)
		fail_msg("parse of %zu bytes read the DONE at byte %u past "
			 "its end: %d, not 0", len,
			 (unsigned)NLMSG_ALIGN(len), rc);
	pl_kdump_free(&d);
}

/* find searches a sorted array; parse does not sort, so the sockets are
 * given in inode order here. */
static void test_netlink__find(void **state)
{
	static const uint32_t inos[] = { 7, 100, 101, 5000, 4000000000u };
	struct pl_kdump d = { 0 };
	struct buf b;
	const struct pl_kunix *u;

	buf_init(&b);
	for (size_t i = 0; i < sizeof(inos) / sizeof(inos[0]); i++)
		add_sock(&b, DUMP_SEQ, NLM_F_MULTI, inos[i], inos[i] + 1,
			 NULL, 0);
	add_done(&b, DUMP_SEQ, 0);
	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 5);

	for (size_t i = 0; i < sizeof(inos) / sizeof(inos[0]); i++) {
		u = pl_kdump_find(&d, inos[i]);
		if (!u)
			fail_msg("inode %u not found", inos[i]);
		assert_int_equal(u->ino, inos[i]);
		assert_int_equal(u->peer, inos[i] + 1);
	}
	assert_null(pl_kdump_find(&d, 0));
	assert_null(pl_kdump_find(&d, 6));
	assert_null(pl_kdump_find(&d, 102));
	assert_null(pl_kdump_find(&d, 4999));
	assert_null(pl_kdump_find(&d, UINT32_MAX));
	/* past 32 bits: never the socket of its low half */
	assert_null(pl_kdump_find(&d, (uint64_t)UINT32_MAX + 1));
	assert_null(pl_kdump_find(&d, ((uint64_t)1 << 32) + 100));
	assert_null(pl_kdump_find(&d, ((uint64_t)1 << 32) | 4000000000u));
	assert_null(pl_kdump_find(&d, UINT64_MAX));
	pl_kdump_free(&d);

	/* an empty dump finds nothing */
	assert_null(pl_kdump_find(&d, 7));
}

static void test_netlink__free(void **state)
{
	struct pl_kdump d = { 0 };
	struct buf b;

	buf_init(&b);
	add_sock(&b, DUMP_SEQ, NLM_F_MULTI | NLM_F_DUMP_INTR, 1, 2, "/f", 2);
	add_done(&b, DUMP_SEQ, 0);
	assert_int_equal(parse(&d, &b), 1);
	d.no_peers = 1;
	assert_non_null(d.v);
	assert_int_equal(d.interrupted, 1);

	pl_kdump_free(&d);
	assert_null(d.v);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.cap, 0);
	assert_int_equal(d.no_peers, 0);
	assert_int_equal(d.interrupted, 0);

	/* freeing again is harmless, and the struct can be used again */
	pl_kdump_free(&d);
	assert_null(d.v);
	assert_int_equal(parse(&d, &b), 1);
	assert_int_equal(d.n, 1);
	pl_kdump_free(&d);
	assert_null(d.v);
	assert_int_equal(d.n, 0);
}

/* A dump recorded once from a live kernel (PEERLOG_DIAG_SAVE, filtered to
 * the test's own sockets: a socketpair, a listener on an abstract name, a
 * client connected to it and the socket accepted for it), replayed
 * through pl_kdump_load as PEERLOG_DIAG_FILE. */
static void test_netlink__replay_recorded_dump(void **state)
{
	static const char *const where[] = { "tests/data/unix_diag.bin",
					     "../tests/data/unix_diag.bin" };
	const struct pl_kunix *u;
	struct pl_kdump d;
	const char *path = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], R_OK) == 0)
			path = where[i];
	if (!path) {
		fprintf(stderr, "skip: tests/data/unix_diag.bin not found from "
				"here (run from the top of the tree)\n");
		skip();
	}
	setenv("PEERLOG_DIAG_FILE", path, 1);
	assert_int_equal(pl_kdump_load(&d), 0);
	unsetenv("PEERLOG_DIAG_FILE");
	assert_int_equal(d.n, 5);
	assert_int_equal(d.no_peers, 0);
	/* the pair: each end the other's peer */
	u = pl_kdump_find(&d, 1899082);
	assert_non_null(u);
	assert_int_equal(u->peer, 1899083);
	assert_int_equal(u->type, SOCK_STREAM);
	u = pl_kdump_find(&d, 1899083);
	assert_non_null(u);
	assert_int_equal(u->peer, 1899082);
	/* the listener: no peer, its abstract name */
	u = pl_kdump_find(&d, 1899084);
	assert_non_null(u);
	assert_int_equal(u->peer, 0);
	assert_int_equal(u->state, 10 /* TCP_LISTEN */);
	assert_string_equal(u->name, "@peerlog-test-listen");
	/* the connection: client and accepted end are peers */
	u = pl_kdump_find(&d, 1899085);
	assert_non_null(u);
	assert_int_equal(u->peer, 1899086);
	u = pl_kdump_find(&d, 1899086);
	assert_non_null(u);
	assert_int_equal(u->peer, 1899085);
	assert_string_equal(u->name, "@peerlog-test-listen");
	assert_null(pl_kdump_find(&d, 1899087));
	pl_kdump_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netlink__one_socket),
		cmocka_unit_test(test_netlink__path_name_kernel_nul),
		cmocka_unit_test(test_netlink__replay_recorded_dump),
		cmocka_unit_test(test_netlink__abstract_name),
		cmocka_unit_test(test_netlink__no_attributes),
		cmocka_unit_test(test_netlink__several_then_done),
		cmocka_unit_test(test_netlink__dump_across_buffers),
		cmocka_unit_test(test_netlink__error_enoent),
		cmocka_unit_test(test_netlink__truncated_message),
		cmocka_unit_test(test_netlink__other_seq_skipped),
		cmocka_unit_test(test_netlink__dump_intr),
		cmocka_unit_test(test_netlink__attr_past_message),
		cmocka_unit_test(test_netlink__unaligned_last_message),
		cmocka_unit_test(test_netlink__find),
		cmocka_unit_test(test_netlink__free),
	};

	return cmocka_run_group_tests_name("netlink", tests, NULL, NULL);
}
