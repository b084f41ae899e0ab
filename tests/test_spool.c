/* Unit tests of the spool record format (schema/record.h) and of the
 * collector's record check and streaming reader (collector/spool.c).
 *
 * Records are built by hand here, independently of the shim, so that a
 * change of layout on either side shows up as a failing test.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "spool.h"
#include "records.h"

#define READ_CHUNK (1u << 20) /* spool.c reads this much at a time */


static struct pl_rec_sock sock_at(int fd, uint64_t ino, uint64_t cookie)
{
	return (struct pl_rec_sock){ .fd = fd, .ino = ino, .cookie = cookie };
}

/* A HELLO with ARGV_LEN bytes of arguments (NUL separated) and NSOCK
 * sockets; its size is what the parts take. */
static size_t build_hello(union rec *r, uint32_t pid, uint64_t ns,
			  const char *exe, const char *argv, size_t argv_len,
			  unsigned nsock)
{
	size_t exe_len = exe ? strlen(exe) + 1 : 0;
	size_t at = sizeof(r->hello);
	struct pl_rec_sock *socks;

	memset(r, 0, sizeof(*r));
	r->head.pid = pid;
	r->head.time_ns = ns;
	r->hello.reason = PL_HELLO_LOAD;
	r->hello.exe_len = (uint16_t)exe_len;
	r->hello.argv_len = (uint16_t)argv_len;
	r->hello.nsock = (uint16_t)nsock;
	r->hello.ppid = 1;
	r->hello.start_ticks = 12345;
	memcpy(r->hello.boot_id, "test-boot", sizeof("test-boot"));
	if (exe_len)
		memcpy(r->bytes + at, exe, exe_len);
	at += exe_len;
	if (argv_len)
		memcpy(r->bytes + at, argv, argv_len);
	at = pl_rec_align(at + argv_len);
	socks = (struct pl_rec_sock *)(void *)(r->bytes + at);
	for (unsigned i = 0; i < nsock; i++)
		socks[i] = sock_at(3 + (int)i, 1000 + i, 2000 + i);
	return rec_seal(r, PL_REC_HELLO, at + nsock * sizeof(*socks));
}

static size_t build_fork(union rec *r, uint32_t pid, uint64_t ns)
{
	memset(r, 0, sizeof(*r));
	r->head.pid = pid;
	r->head.time_ns = ns;
	r->fork.child_pid = pid + 1;
	return rec_seal(r, PL_REC_FORK, sizeof(r->fork));
}

/* A record of the connection family, as the shim writes it: only bind
 * and connect have a NAME, listen and accept an empty one (name_len 1);
 * accept names its listener and the new fd. Returns its size; not sealed. */
static size_t build_conn(union rec *r, uint8_t type, const char *name)
{
	int named = type == PL_REC_BIND || type == PL_REC_CONNECT;

	r->conn.fd = type == PL_REC_ACCEPT ? 4 : 3;
	r->conn.listen_fd = type == PL_REC_ACCEPT ? 3 : -1;
	r->conn.ino = 3001;
	r->conn.cookie = type == PL_REC_ACCEPT ? 31 : 0;
	r->conn.peer_ino = type == PL_REC_CONNECT || type == PL_REC_ACCEPT
				   ? 3002 : 0;
	r->conn.flags = type == PL_REC_ACCEPT ? PL_SOCK_CLOEXEC : 0;
	r->conn.name_len = (uint16_t)(named ? strlen(name) + 1 : 1);
	if (named)
		memcpy(r->conn.name, name, r->conn.name_len);
	return pl_rec_align(sizeof(r->conn) + r->conn.name_len);
}

/* A well-formed record of TYPE with something in every field. */
static size_t build(union rec *r, uint8_t type, uint32_t pid, uint64_t ns)
{
	static const char argv[] = "prog\0-v\0file name";
	size_t size = 0;

	if (type == PL_REC_HELLO)
		return build_hello(r, pid, ns, "/usr/bin/prog", argv,
				   sizeof(argv), 2);
	memset(r, 0, sizeof(*r));
	r->head.pid = pid;
	r->head.time_ns = ns;
	switch (type) {
	case PL_REC_SNAP:
		r->snap.nsock = 3;
		for (int i = 0; i < 3; i++)
			r->snap.sock[i] = sock_at(10 + i, 100 + i, 200 + i);
		size = sizeof(r->snap) + 3 * sizeof(r->snap.sock[0]);
		break;
	case PL_REC_SOCKETPAIR:
		r->pair.domain = 1;
		r->pair.type = 1;
		r->pair.sock[0] = sock_at(3, 1001, 11);
		r->pair.sock[1] = sock_at(4, 1002, 12);
		size = sizeof(r->pair);
		break;
	case PL_REC_PIPE:
		r->pair.type = O_CLOEXEC;
		r->pair.sock[0] = sock_at(3, 1001, 0);
		r->pair.sock[1] = sock_at(4, 1001, 0);
		r->pair.sock[0].flags = PL_SOCK_PIPE;
		r->pair.sock[1].flags = PL_SOCK_PIPE | PL_SOCK_WRITE;
		size = sizeof(r->pair);
		break;
	case PL_REC_OPEN:
		r->open.fd = 5;
		r->open.flags = PL_SOCK_PIPE | PL_SOCK_FIFO | PL_SOCK_WRITE;
		r->open.ino = 77;
		r->open.name_len = sizeof("/run/fifo");
		memcpy(r->open.name, "/run/fifo", sizeof("/run/fifo"));
		size = pl_rec_align(sizeof(r->open) + r->open.name_len);
		break;
	case PL_REC_WRITE:
		r->write.fd = 4;
		r->write.ino = 1001;
		size = sizeof(r->write);
		break;
	case PL_REC_CLOSE:
		r->close.fd = 3;
		r->close.ino = 1001;
		size = sizeof(r->close);
		break;
	case PL_REC_EXEC:
		r->exec.path_len = sizeof("/bin/true");
		memcpy(r->exec.path, "/bin/true", sizeof("/bin/true"));
		size = pl_rec_align(sizeof(r->exec) + r->exec.path_len);
		break;
	case PL_REC_EXEC_FAIL:
		r->exec_fail.err = ENOENT;
		size = sizeof(r->exec_fail);
		break;
	case PL_REC_FORK:
		return build_fork(r, pid, ns);
	case PL_REC_EXIT:
		r->exit.status = 3;
		size = sizeof(r->exit);
		break;
	case PL_REC_DUP:
		r->dup.oldfd = 4;
		r->dup.newfd = 7;
		r->dup.ino = 1002;
		r->dup.flags = PL_SOCK_CLOEXEC;
		size = sizeof(r->dup);
		break;
	case PL_REC_SETFD:
		r->setfd.fd = 3;
		r->setfd.flags = PL_SOCK_CLOEXEC;
		size = sizeof(r->setfd);
		break;
	case PL_REC_CLOSE_RANGE:
		r->close_range.first = 3;
		r->close_range.last = 0xffffffffu;
		r->close_range.flags = PL_RANGE_CLOEXEC;
		size = sizeof(r->close_range);
		break;
	case PL_REC_SPAWN: /* only so that the every-type loops cover it */
		r->spawn.child_pid = pid + 1;
		r->spawn.path_len = sizeof("/bin/true");
		memcpy(r->spawn.path, "/bin/true", sizeof("/bin/true"));
		size = pl_rec_align(sizeof(r->spawn) + r->spawn.path_len);
		break;
	case PL_REC_STACK:
		r->stack.ino = 9001;
		r->stack.nframes = 3;
		r->stack.pc[0] = 0x555555555123ull;
		r->stack.pc[1] = 0x555555555456ull;
		r->stack.pc[2] = 0x7ffff7dd0789ull;
		size = sizeof(r->stack) + 3 * sizeof(r->stack.pc[0]);
		break;
	case PL_REC_MODULE:
		r->module.start = 0x555555554000ull;
		r->module.end = 0x555555559000ull;
		r->module.bias = 0x555555554000ull;
		r->module.build_id_len = 20;
		memset(r->module.build_id, 0xab, 20);
		r->module.path_len = sizeof("/usr/bin/parent");
		memcpy(r->module.path, "/usr/bin/parent", sizeof("/usr/bin/parent"));
		size = pl_rec_align(sizeof(r->module) + r->module.path_len);
		break;
	case PL_REC_SEND_FDS:
	case PL_REC_RECV_FDS:
		r->fds.channel_fd = 5;
		r->fds.channel_ino = 9000;
		r->fds.nsock = 2;
		r->fds.sock[0] = (struct pl_rec_sock){ 7, 0, 9001, 91 };
		r->fds.sock[1] = (struct pl_rec_sock){ 8, PL_SOCK_CLOEXEC, 9002, 92 };
		size = sizeof(r->fds) + 2 * sizeof(r->fds.sock[0]);
		break;
	case PL_REC_SOCKET:
		r->socket.fd = 3;
		r->socket.domain = AF_UNIX;
		r->socket.type = SOCK_STREAM | SOCK_CLOEXEC;
		r->socket.ino = 3001;
		r->socket.cookie = 31;
		size = sizeof(r->socket);
		break;
	case PL_REC_BIND:
	case PL_REC_LISTEN:
	case PL_REC_CONNECT:
	case PL_REC_ACCEPT:
		size = build_conn(r, type, "/run/srv.sock");
		break;
	default:
		fail_msg("build: no record of type %u: add one here", type);
	}
	return rec_seal(r, type, size);
}

/* pl_rec_check on a copy of the record in a page of zeros, as the reader
 * sees a record with more of the spool after it. */
static enum pl_rec_status check_in_page(const union rec *r, size_t size,
					size_t *ret_size)
{
	static union rec page;

	memset(&page, 0, sizeof(page));
	memcpy(page.bytes, r->bytes, size);
	return pl_rec_check(page.bytes, sizeof(page.bytes), ret_size);
}

static void test_spool__check_accepts_each_type(void **state)
{
	static union rec r;

	for (uint8_t type = 1; type <= PL_REC_TYPE_MAX; type++) {
		size_t size = build(&r, type, 100, 1000), got = 0;

		assert_int_equal(size % PL_REC_ALIGN, 0);
		assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);
		assert_int_equal(got, size);
		/* more bytes after it do not change the answer */
		got = 0;
		assert_int_equal(check_in_page(&r, size, &got), PL_REC_OK);
		assert_int_equal(got, size);
	}
}

static void test_spool__check_struct_sizes(void **state)
{
	/* The layout is the contract with the shim: every record part is a
	 * multiple of 8 and the fixed parts have the size the format says. */
	assert_int_equal(sizeof(struct pl_rec_head), 24);
	assert_int_equal(sizeof(struct pl_rec_sock), 24);
	assert_int_equal(sizeof(struct pl_rec_hello), 96);
	assert_int_equal(sizeof(struct pl_rec_snap), 32);
	assert_int_equal(sizeof(struct pl_rec_socketpair), 88);
	assert_int_equal(sizeof(struct pl_rec_close), 40);
	assert_int_equal(sizeof(struct pl_rec_exec), 32);
	assert_int_equal(sizeof(struct pl_rec_exec_fail), 32);
	assert_int_equal(sizeof(struct pl_rec_fork), 32);
	assert_int_equal(sizeof(struct pl_rec_exit), 32);
	assert_int_equal(sizeof(struct pl_rec_dup), 48);
	assert_int_equal(sizeof(struct pl_rec_setfd), 32);
	assert_int_equal(sizeof(struct pl_rec_close_range), 40);
	assert_int_equal(sizeof(struct pl_rec_spawn), 32);
	assert_int_equal(sizeof(struct pl_rec_fds), 40);
	assert_int_equal(sizeof(struct pl_rec_socket), 56);
	assert_int_equal(sizeof(struct pl_rec_conn), 64);
	assert_int_equal(offsetof(struct pl_rec_fds, sock), 40);
	assert_int_equal(offsetof(struct pl_rec_conn, name), 64);
	assert_int_equal(pl_rec_align(0), 0);
	assert_int_equal(pl_rec_align(1), 8);
	assert_int_equal(pl_rec_align(8), 8);
	assert_int_equal(pl_rec_align(97), 104);
}

/* Flip every byte of a record of each type, one at a time, with a few
 * masks. A version byte made larger is no exception: the checksum tells a
 * garbled version from a record of a newer format. */
static void test_spool__check_flipped_byte_is_bad(void **state)
{
	static const unsigned char masks[] = { 0x01, 0x80, 0xff };
	static union rec r, bad;

	for (uint8_t type = 1; type <= PL_REC_TYPE_MAX; type++) {
		size_t size = build(&r, type, 100, 1000);

		for (size_t i = 0; i < size; i++) {
			for (size_t m = 0; m < sizeof(masks); m++) {
				size_t got = 0;

				bad = r;
				bad.bytes[i] ^= masks[m];
				if (check_in_page(&bad, size, &got) !=
				    PL_REC_BAD)
					fail_msg("type %u: byte %zu ^ 0x%02x "
						 "not PL_REC_BAD", type, i,
						 masks[m]);
			}
		}
	}
}

static void test_spool__check_wrong_magic_is_bad(void **state)
{
	static union rec r;
	size_t size = build(&r, PL_REC_CLOSE, 100, 1000), got = 0;

	r.head.magic = 0x31524c51u;
	r.head.check = 0;
	r.head.check = pl_rec_checksum(r.bytes, size);
	assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_BAD);
	/* even in fewer bytes than a head: the magic alone tells */
	assert_int_equal(pl_rec_check(r.bytes, 4, &got), PL_REC_BAD);
}

static void test_spool__check_unaligned_size_is_bad(void **state)
{
	static union rec r;
	size_t size = build(&r, PL_REC_EXEC, 100, 1000), got = 0;

	/* sealed over its declared size, so only the size is wrong */
	rec_seal(&r, PL_REC_EXEC, size - 4);
	assert_int_equal(check_in_page(&r, size, &got), PL_REC_BAD);
	rec_seal(&r, PL_REC_EXEC, size + 1);
	assert_int_equal(check_in_page(&r, size + 1, &got), PL_REC_BAD);
}

static void test_spool__check_size_out_of_range_is_bad(void **state)
{
	static union rec r;
	size_t got = 0;

	build(&r, PL_REC_FORK, 100, 1000);
	rec_seal(&r, PL_REC_FORK, 16); /* less than a head */
	assert_int_equal(check_in_page(&r, 16, &got), PL_REC_BAD);
	r.head.size = PL_REC_MAX + PL_REC_ALIGN;
	assert_int_equal(check_in_page(&r, 32, &got), PL_REC_BAD);
}

static void test_spool__check_version_zero_is_bad(void **state)
{
	static union rec r;
	size_t size = build(&r, PL_REC_FORK, 100, 1000), got = 0;

	r.head.version = 0;
	r.head.check = 0;
	r.head.check = pl_rec_checksum(r.bytes, size);
	assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_BAD);
}

static void test_spool__check_newer_version_is_future(void **state)
{
	static union rec r;
	size_t size = build(&r, PL_REC_FORK, 100, 1000), got = 0;

	r.head.version = PL_FORMAT_VERSION + 1;
	r.head.check = 0;
	r.head.check = pl_rec_checksum(r.bytes, size);
	assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_FUTURE);
	assert_int_equal(check_in_page(&r, size, &got), PL_REC_FUTURE);
}

static void test_spool__check_partial_is_short(void **state)
{
	static union rec r;

	for (uint8_t type = 1; type <= PL_REC_TYPE_MAX; type++) {
		size_t size = build(&r, type, 100, 1000);

		for (size_t avail = 0; avail < size; avail++) {
			size_t got = 0;

			if (pl_rec_check(r.bytes, avail, &got) != PL_REC_SHORT)
				fail_msg("type %u: %zu of %zu bytes not "
					 "PL_REC_SHORT", type, avail, size);
		}
	}
}

static void test_spool__check_unknown_type_is_bad(void **state)
{
	static union rec r;
	size_t size = build(&r, PL_REC_FORK, 100, 1000), got = 0;

	rec_seal(&r, 0, size);
	assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_BAD);
	rec_seal(&r, PL_REC_TYPE_MAX + 1, size);
	assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_BAD);
}

/* Records of a fixed layout must have exactly its size. */
static void test_spool__check_fixed_size_mismatch_is_bad(void **state)
{
	static const uint8_t types[] = { PL_REC_SOCKETPAIR, PL_REC_CLOSE,
					 PL_REC_EXEC_FAIL, PL_REC_FORK,
					 PL_REC_EXIT, PL_REC_DUP,
					 PL_REC_SETFD, PL_REC_CLOSE_RANGE,
					 PL_REC_SOCKET };
	static union rec r;

	for (size_t i = 0; i < sizeof(types); i++) {
		size_t size = build(&r, types[i], 100, 1000), got = 0;

		rec_seal(&r, types[i], size + PL_REC_ALIGN);
		assert_int_equal(check_in_page(&r, size + PL_REC_ALIGN, &got),
				 PL_REC_BAD);
		rec_seal(&r, types[i], size - PL_REC_ALIGN);
		assert_int_equal(check_in_page(&r, size - PL_REC_ALIGN, &got),
				 PL_REC_BAD);
	}
}

/* The records of fd copies and drops: well formed with any values in
 * their fields (a closefrom's last fd is ~0), and of exactly their size:
 * not the size of another of them, nor a head alone. */
static void test_spool__check_fd_records(void **state)
{
	static const uint8_t types[] = { PL_REC_DUP, PL_REC_SETFD,
					 PL_REC_CLOSE_RANGE };
	static const size_t sizes[] = { sizeof(struct pl_rec_dup),
					sizeof(struct pl_rec_setfd),
					sizeof(struct pl_rec_close_range) };
	static union rec r;
	size_t size, got;

	for (size_t i = 0; i < sizeof(types); i++) {
		size = build(&r, types[i], 100, 1000);
		assert_int_equal(size, sizes[i]);
		got = 0;
		assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);
		assert_int_equal(got, size);

		/* the size of each other fixed record, and of a head */
		for (size_t k = 0; k < sizeof(types); k++) {
			if (sizes[k] == sizes[i])
				continue;
			build(&r, types[i], 100, 1000);
			rec_seal(&r, types[i], sizes[k]);
			if (check_in_page(&r, sizes[k], &got) != PL_REC_BAD)
				fail_msg("type %u of %zu bytes not PL_REC_BAD",
					 types[i], sizes[k]);
		}
		build(&r, types[i], 100, 1000);
		rec_seal(&r, types[i], sizeof(r.head));
		assert_int_equal(check_in_page(&r, sizeof(r.head), &got),
				 PL_REC_BAD);
		/* as large as a record can be */
		build(&r, types[i], 100, 1000);
		rec_seal(&r, types[i], PL_REC_MAX);
		assert_int_equal(pl_rec_check(r.bytes, PL_REC_MAX, &got),
				 PL_REC_BAD);
	}

	/* extreme field values are the collector's business, not the
	 * reader's */
	build(&r, PL_REC_DUP, 100, 1000);
	r.dup.oldfd = -1;
	r.dup.newfd = 0x7fffffff;
	r.dup.ino = UINT64_MAX;
	r.dup.flags = 0xffffffffu;
	size = rec_seal(&r, PL_REC_DUP, sizeof(r.dup));
	assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);
	build(&r, PL_REC_SETFD, 100, 1000);
	r.setfd.fd = 0x7fffffff;
	r.setfd.flags = 0;
	size = rec_seal(&r, PL_REC_SETFD, sizeof(r.setfd));
	assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);
	build(&r, PL_REC_CLOSE_RANGE, 100, 1000);
	r.close_range.first = 0;
	r.close_range.last = 0xffffffffu;
	r.close_range.flags = 0;
	size = rec_seal(&r, PL_REC_CLOSE_RANGE, sizeof(r.close_range));
	assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);
}

static void test_spool__check_hello_parts_must_fit(void **state)
{
	static const char argv[] = "prog\0arg";
	static union rec r;
	size_t size, got = 0;

	/* exactly fitting: fine */
	size = build_hello(&r, 100, 1000, "/bin/prog", argv, sizeof(argv), 2);
	assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);
	assert_int_equal(got, size);

	/* one socket more than the record holds */
	r.hello.nsock = 3;
	rec_seal(&r, PL_REC_HELLO, size);
	assert_int_equal(check_in_page(&r, size, &got), PL_REC_BAD);

	/* an exe running into the sockets' room */
	build_hello(&r, 100, 1000, "/bin/prog", argv, sizeof(argv), 2);
	r.hello.exe_len = (uint16_t)(r.hello.exe_len + 16);
	rec_seal(&r, PL_REC_HELLO, size);
	assert_int_equal(check_in_page(&r, size, &got), PL_REC_BAD);

	/* arguments longer than the record */
	build_hello(&r, 100, 1000, "/bin/prog", argv, sizeof(argv), 2);
	r.hello.argv_len = 4000;
	rec_seal(&r, PL_REC_HELLO, size);
	assert_int_equal(check_in_page(&r, size, &got), PL_REC_BAD);

	/* shorter than the fixed part of a hello */
	build_hello(&r, 100, 1000, NULL, NULL, 0, 0);
	rec_seal(&r, PL_REC_HELLO, sizeof(r.hello) - PL_REC_ALIGN);
	assert_int_equal(check_in_page(&r, sizeof(r.hello) - PL_REC_ALIGN,
				       &got), PL_REC_BAD);

	/* a snap or exec whose count or length overruns it */
	size = build(&r, PL_REC_SNAP, 100, 1000);
	r.snap.nsock = 4;
	rec_seal(&r, PL_REC_SNAP, size);
	assert_int_equal(check_in_page(&r, size, &got), PL_REC_BAD);
	size = build(&r, PL_REC_EXEC, 100, 1000);
	r.exec.path_len = (uint16_t)(size - sizeof(r.exec) + 1);
	rec_seal(&r, PL_REC_EXEC, size);
	assert_int_equal(check_in_page(&r, size, &got), PL_REC_BAD);
}

/* SCM_RIGHTS records: their sockets must fit, and the fixed part too. */
static void test_spool__check_fds_parts_must_fit(void **state)
{
	static const uint8_t types[] = { PL_REC_SEND_FDS, PL_REC_RECV_FDS };
	static union rec r;

	for (size_t i = 0; i < sizeof(types); i++) {
		size_t size = build(&r, types[i], 100, 1000), got = 0;

		/* exactly fitting: fine */
		assert_int_equal(size, sizeof(r.fds) +
					       2 * sizeof(r.fds.sock[0]));
		assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);
		assert_int_equal(got, size);

		/* one socket more than the record holds */
		r.fds.nsock = 3;
		rec_seal(&r, types[i], size);
		assert_int_equal(check_in_page(&r, size, &got), PL_REC_BAD);

		/* a count no record could hold */
		r.fds.nsock = 0xffff;
		rec_seal(&r, types[i], size);
		assert_int_equal(check_in_page(&r, size, &got), PL_REC_BAD);
		r.fds.nsock = (uint16_t)(PL_FDS_MAX + 1);
		rec_seal(&r, types[i], PL_REC_MAX);
		assert_int_equal(pl_rec_check(r.bytes, PL_REC_MAX, &got),
				 PL_REC_BAD);

		/* as many as the largest record holds: fine */
		build(&r, types[i], 100, 1000);
		r.fds.nsock = (uint16_t)PL_FDS_MAX;
		size = rec_seal(&r, types[i], PL_REC_MAX);
		assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);

		/* the sockets' room cut off: only the fixed part */
		build(&r, types[i], 100, 1000);
		rec_seal(&r, types[i], sizeof(r.fds));
		assert_int_equal(check_in_page(&r, sizeof(r.fds), &got),
				 PL_REC_BAD);

		/* shorter than the fixed part, even with no socket */
		build(&r, types[i], 100, 1000);
		r.fds.nsock = 0;
		rec_seal(&r, types[i], sizeof(r.fds) - PL_REC_ALIGN);
		assert_int_equal(check_in_page(&r, sizeof(r.fds) - PL_REC_ALIGN,
					       &got), PL_REC_BAD);
	}
}

/* Records of the connection family: the name must fit, and the fixed
 * part too; a SOCKET has exactly its size. */
static void test_spool__check_conn_parts_must_fit(void **state)
{
	static const uint8_t types[] = { PL_REC_BIND, PL_REC_LISTEN,
					 PL_REC_CONNECT, PL_REC_ACCEPT };
	static union rec r;
	static char name[PL_NAME_MAX + 1];
	size_t size, got = 0;

	for (size_t i = 0; i < sizeof(types); i++) {
		size = build(&r, types[i], 100, 1000);
		assert_int_equal(size, pl_rec_align(sizeof(r.conn) +
						    r.conn.name_len));
		assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);
		assert_int_equal(got, size);

		/* a name as long as the padding allows: fine */
		r.conn.name_len = (uint16_t)(size - sizeof(r.conn));
		rec_seal(&r, types[i], size);
		assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);

		/* a byte more than the record has */
		r.conn.name_len = (uint16_t)(size - sizeof(r.conn) + 1);
		rec_seal(&r, types[i], size);
		assert_int_equal(check_in_page(&r, size, &got), PL_REC_BAD);

		/* a length no record could hold */
		r.conn.name_len = 0xffff;
		rec_seal(&r, types[i], size);
		assert_int_equal(check_in_page(&r, size, &got), PL_REC_BAD);

		/* the name's room cut off: only the fixed part */
		build(&r, types[i], 100, 1000);
		rec_seal(&r, types[i], sizeof(r.conn));
		assert_int_equal(check_in_page(&r, sizeof(r.conn), &got),
				 PL_REC_BAD);
		/* with no name at all it is whole */
		r.conn.name_len = 0;
		rec_seal(&r, types[i], sizeof(r.conn));
		assert_int_equal(pl_rec_check(r.bytes, sizeof(r.conn), &got),
				 PL_REC_OK);

		/* shorter than the fixed part */
		rec_seal(&r, types[i], sizeof(r.conn) - PL_REC_ALIGN);
		assert_int_equal(check_in_page(&r, sizeof(r.conn) -
						       PL_REC_ALIGN, &got),
				 PL_REC_BAD);
	}

	/* the longest name the shim writes (sun_path, or '@' and an
	 * abstract name) */
	memset(name, 'n', PL_NAME_MAX);
	name[0] = '@';
	name[PL_NAME_MAX] = '\0';
	memset(&r, 0, sizeof(r));
	size = build_conn(&r, PL_REC_CONNECT, name);
	assert_int_equal(r.conn.name_len, PL_NAME_MAX + 1);
	rec_seal(&r, PL_REC_CONNECT, size);
	assert_int_equal(pl_rec_check(r.bytes, size, &got), PL_REC_OK);
	assert_int_equal(got, size);

	/* a SOCKET is fixed: not a conn's size, nor with room for more */
	size = build(&r, PL_REC_SOCKET, 100, 1000);
	rec_seal(&r, PL_REC_SOCKET, sizeof(r.conn));
	assert_int_equal(check_in_page(&r, sizeof(r.conn), &got), PL_REC_BAD);
	build(&r, PL_REC_SOCKET, 100, 1000);
	rec_seal(&r, PL_REC_SOCKET, sizeof(r.head));
	assert_int_equal(check_in_page(&r, sizeof(r.head), &got), PL_REC_BAD);
}

/* The reader, over a spool in an unlinked temporary file. */

struct spool {
	int fd;
	struct pl_spool_reader r;
	int reader_on;
};

static int spool_setup(void **state)
{
	struct spool *s = calloc(1, sizeof(*s));
	char path[] = "/tmp/peerlog-test-spool-XXXXXX";

	if (!s)
		return -1;
	s->fd = mkstemp(path);
	if (s->fd < 0) {
		free(s);
		return -1;
	}
	unlink(path);
	*state = s;
	return 0;
}

static int spool_teardown(void **state)
{
	struct spool *s = *state;

	if (s->reader_on)
		pl_spool_reader_free(&s->r);
	close(s->fd);
	free(s);
	return 0;
}

static void put(struct spool *s, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(s->fd, c, n);

		assert_true(w > 0);
		c += w;
		n -= (size_t)w;
	}
}

static void put_rec(struct spool *s, const union rec *r)
{
	put(s, r->bytes, r->head.size);
}

static off_t spool_size(struct spool *s)
{
	off_t end = lseek(s->fd, 0, SEEK_END);

	assert_true(end >= 0);
	return end;
}

/* Start reading at OFFSET. */
static void open_reader(struct spool *s, off_t offset)
{
	if (s->reader_on)
		pl_spool_reader_free(&s->r);
	assert_int_equal(pl_spool_reader_init(&s->r, s->fd, offset), 0);
	s->reader_on = 1;
}

/* Read all that the reader gives; the pids of the records go to PIDS
 * (up to MAX of them). Returns how many records were read. */
static size_t read_pids(struct spool *s, uint32_t *pids, size_t max)
{
	const struct pl_rec_head *h;
	size_t n = 0;
	int rc;

	while ((rc = pl_spool_next(&s->r, &h)) == 1) {
		assert_int_equal(h->magic, PL_REC_MAGIC);
		if (n < max)
			pids[n] = h->pid;
		n++;
	}
	assert_int_equal(rc, 0);
	return n;
}

static void test_spool__reader_empty(void **state)
{
	struct spool *s = *state;
	uint32_t pids[1];

	open_reader(s, 0);
	assert_int_equal(read_pids(s, pids, 1), 0);
	assert_int_equal(pl_spool_reader_tell(&s->r), 0);
	assert_int_equal(s->r.skipped, 0);
	assert_int_equal(s->r.future, 0);
}

static void test_spool__reader_reads_in_order(void **state)
{
	struct spool *s = *state;
	static union rec r;
	const struct pl_rec_head *h;
	uint32_t pids[16];

	for (uint8_t type = 1; type <= PL_REC_TYPE_MAX; type++) {
		build(&r, type, 100 + type, 1000 * type);
		put_rec(s, &r);
	}
	open_reader(s, 0);
	for (uint8_t type = 1; type <= PL_REC_TYPE_MAX; type++) {
		union rec want;
		size_t size = build(&want, type, 100 + type, 1000 * type);

		assert_int_equal(pl_spool_next(&s->r, &h), 1);
		assert_int_equal(h->type, type);
		assert_int_equal(h->size, size);
		assert_memory_equal(h, want.bytes, size);
	}
	assert_int_equal(pl_spool_next(&s->r, &h), 0);
	assert_int_equal(pl_spool_reader_tell(&s->r), spool_size(s));
	assert_int_equal(s->r.skipped, 0);
	/* at the end it stays at the end */
	assert_int_equal(read_pids(s, pids, 16), 0);
}

static void test_spool__reader_skips_garbage(void **state)
{
	struct spool *s = *state;
	static union rec r;
	static const unsigned char junk[] = "\xde\xad\xbe\xef garbage PLR";
	unsigned char zeros[24] = { 0 };
	uint32_t pids[8];

	build_fork(&r, 1, 1);
	put_rec(s, &r);
	put(s, junk, sizeof(junk) - 1);
	build(&r, PL_REC_SOCKETPAIR, 2, 2);
	put_rec(s, &r);
	put(s, zeros, 5);
	build(&r, PL_REC_HELLO, 3, 3);
	put_rec(s, &r);
	put(s, zeros, sizeof(zeros)); /* looks like an aligned head of 0s */
	build_fork(&r, 4, 4);
	put_rec(s, &r);

	open_reader(s, 0);
	assert_int_equal(read_pids(s, pids, 8), 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(pids[i], i + 1);
	assert_int_equal(s->r.skipped, sizeof(junk) - 1 + 5 + sizeof(zeros));
	assert_int_equal(pl_spool_reader_tell(&s->r), spool_size(s));
}

/* More garbage than one read of the reader, with no magic in it. */
static void test_spool__reader_skips_long_garbage(void **state)
{
	struct spool *s = *state;
	static union rec r;
	size_t junk_len = READ_CHUNK + READ_CHUNK / 2 + 3;
	unsigned char *junk = malloc(junk_len);
	uint32_t pids[4];

	assert_non_null(junk);
	memset(junk, 0x5a, junk_len);
	build_fork(&r, 1, 1);
	put_rec(s, &r);
	put(s, junk, junk_len);
	build_fork(&r, 2, 2);
	put_rec(s, &r);
	free(junk);

	open_reader(s, 0);
	assert_int_equal(read_pids(s, pids, 4), 2);
	assert_int_equal(pids[0], 1);
	assert_int_equal(pids[1], 2);
	assert_int_equal(s->r.skipped, junk_len);
}

/* A record cut short (its writer killed mid-write), then good records. */
static void test_spool__reader_skips_torn_record(void **state)
{
	struct spool *s = *state;
	static union rec r;
	uint32_t pids[8];
	size_t torn;

	build_fork(&r, 1, 1);
	put_rec(s, &r);
	torn = build(&r, PL_REC_SOCKETPAIR, 2, 2) / 2;
	put(s, r.bytes, torn);
	build_fork(&r, 3, 3);
	put_rec(s, &r);
	build(&r, PL_REC_EXIT, 4, 4);
	put_rec(s, &r);

	open_reader(s, 0);
	assert_int_equal(read_pids(s, pids, 8), 3);
	assert_int_equal(pids[0], 1);
	assert_int_equal(pids[1], 3);
	assert_int_equal(pids[2], 4);
	assert_int_equal(s->r.skipped, torn);
	assert_int_equal(pl_spool_reader_tell(&s->r), spool_size(s));
}

/* A torn record followed by one good record that ends the spool, shorter
 * than what the torn one still lacks: the torn record's head claims more
 * bytes than the file has, yet it must not be taken for a record still
 * being written, since writes to the spool are O_APPEND and serialised: a
 * record after it means it is done. Before 4aacf2e the reader stopped
 * there and the last record (here an EXIT) was never ingested. */
static void test_spool__reader_torn_record_before_last_record(void **state)
{
	struct spool *s = *state;
	static union rec r;
	uint32_t pids[8];
	size_t torn;

	build_fork(&r, 1, 1);
	put_rec(s, &r);
	torn = build(&r, PL_REC_SOCKETPAIR, 2, 2) / 2; /* 44 of 88 bytes */
	put(s, r.bytes, torn);
	build(&r, PL_REC_EXIT, 3, 3); /* 32 bytes: 76 in all, < 88 */
	put_rec(s, &r);

	open_reader(s, 0);
	if (read_pids(s, pids, 8) != 2)
		fail_msg("the good record after a torn one at the end of the "
			 "spool is not read (tell %lld, size %lld)",
			 (long long)pl_spool_reader_tell(&s->r),
			 (long long)spool_size(s));
	assert_int_equal(pids[1], 3);
	assert_int_equal(s->r.skipped, torn);
	assert_int_equal(pl_spool_reader_tell(&s->r), spool_size(s));
}

/* The last record is being written: wait for it, do not skip it. */
static void test_spool__reader_stops_at_incomplete_tail(void **state)
{
	struct spool *s = *state;
	static union rec r;
	uint32_t pids[8];
	off_t start;
	size_t size;

	build_fork(&r, 1, 1);
	put_rec(s, &r);
	build_fork(&r, 2, 2);
	put_rec(s, &r);
	start = spool_size(s);
	size = build(&r, PL_REC_HELLO, 3, 3);
	put(s, r.bytes, size - 8);

	open_reader(s, 0);
	assert_int_equal(read_pids(s, pids, 8), 2);
	assert_int_equal(pl_spool_reader_tell(&s->r), start);
	assert_int_equal(s->r.skipped, 0);

	/* only a few bytes of it, less than a head */
	open_reader(s, start);
	assert_int_equal(ftruncate(s->fd, start + 5), 0);
	assert_int_equal(read_pids(s, pids, 8), 0);
	assert_int_equal(pl_spool_reader_tell(&s->r), start);
	assert_int_equal(s->r.skipped, 0);

	/* the writer finishes: the next reader from there gets it whole */
	assert_int_equal(ftruncate(s->fd, start), 0);
	assert_int_equal(lseek(s->fd, 0, SEEK_END), start);
	put_rec(s, &r);
	open_reader(s, start);
	assert_int_equal(read_pids(s, pids, 8), 1);
	assert_int_equal(pids[0], 3);
	assert_int_equal(pl_spool_reader_tell(&s->r), spool_size(s));
}

static void test_spool__reader_stops_at_future(void **state)
{
	struct spool *s = *state;
	static union rec r;
	uint32_t pids[8];
	off_t at;
	size_t size;

	build_fork(&r, 1, 1);
	put_rec(s, &r);
	at = spool_size(s);
	size = build_fork(&r, 2, 2);
	r.head.version = PL_FORMAT_VERSION + 1;
	r.head.check = 0;
	r.head.check = pl_rec_checksum(r.bytes, size);
	put_rec(s, &r);
	build_fork(&r, 3, 3);
	put_rec(s, &r);

	open_reader(s, 0);
	assert_int_equal(read_pids(s, pids, 8), 1);
	assert_int_equal(pids[0], 1);
	assert_int_equal(s->r.future, PL_FORMAT_VERSION + 1);
	assert_int_equal(pl_spool_reader_tell(&s->r), at);
	assert_int_equal(s->r.skipped, 0);
}

/* A record whose version byte is garbled (here 0x01 became 0xfe) is one
 * bad record to skip, not a record of a newer format that would stop the
 * reader for good (and every ingest with it). Before 4aacf2e pl_rec_check()
 * believed the version byte before checking the checksum. */
static void test_spool__reader_skips_garbled_version(void **state)
{
	struct spool *s = *state;
	static union rec r;
	uint32_t pids[8];

	build_fork(&r, 1, 1);
	put_rec(s, &r);
	build_fork(&r, 2, 2);
	r.head.version ^= 0xff; /* checksum left as it was */
	put_rec(s, &r);
	build_fork(&r, 3, 3);
	put_rec(s, &r);

	open_reader(s, 0);
	if (read_pids(s, pids, 8) != 2 || s->r.future)
		fail_msg("a garbled version byte stops the reader as a "
			 "future record (future %u)", s->r.future);
	assert_int_equal(pids[1], 3);
	assert_int_equal(s->r.skipped, r.head.size);
}

static void test_spool__reader_starts_at_offset(void **state)
{
	struct spool *s = *state;
	static union rec r;
	uint32_t pids[16];
	off_t third = 0;

	for (uint32_t i = 1; i <= 10; i++) {
		if (i == 3)
			third = spool_size(s);
		build(&r, (uint8_t)(1 + i % PL_REC_TYPE_MAX), i, i);
		put_rec(s, &r);
	}
	open_reader(s, third);
	assert_int_equal(pl_spool_reader_tell(&s->r), third);
	assert_int_equal(read_pids(s, pids, 16), 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(pids[i], i + 3);
	assert_int_equal(pl_spool_reader_tell(&s->r), spool_size(s));
	assert_int_equal(s->r.skipped, 0);

	/* an offset in the middle of a record: skipped up to the next one */
	open_reader(s, third + 8);
	assert_int_equal(read_pids(s, pids, 16), 7);
	assert_int_equal(pids[0], 4);
	assert_true(s->r.skipped > 0);

	/* at the very end: nothing */
	open_reader(s, spool_size(s));
	assert_int_equal(read_pids(s, pids, 16), 0);
	assert_int_equal(pl_spool_reader_tell(&s->r), spool_size(s));
}

/* More than a read chunk of records of many sizes, so that records
 * straddle the end of the reader's buffer at many alignments. */
static void test_spool__reader_crosses_chunks(void **state)
{
	struct spool *s = *state;
	static union rec r;
	static char argv[PL_REC_MAX];
	const struct pl_rec_head *h;
	size_t total = 0, cap = 3 * READ_CHUNK, n, count = 0;
	unsigned char *all = malloc(cap);
	off_t middle = 0;

	assert_non_null(all);
	memset(argv, 'a', sizeof(argv));
	for (uint32_t i = 0; total < 2 * READ_CHUNK + 12345; i++) {
		size_t size;

		if (i % 997 == 0) /* the largest record there can be */
			size = build_hello(&r, i, i, NULL, argv,
					   PL_REC_MAX - sizeof(r.hello), 0);
		else if (i % 3 == 0)
			size = build_hello(&r, i, i, "/bin/x", argv, i % 301,
					   i % 7);
		else
			size = build(&r, (uint8_t)(1 + i % PL_REC_TYPE_MAX), i,
				     i);
		assert_true(total + size <= cap);
		if (!middle && total >= READ_CHUNK - 100)
			middle = (off_t)total;
		memcpy(all + total, r.bytes, size);
		total += size;
		count++;
	}
	put(s, all, total);
	free(all);

	open_reader(s, 0);
	for (n = 0; pl_spool_next(&s->r, &h) == 1; n++)
		if (h->pid != n)
			fail_msg("record %zu has pid %u", n, h->pid);
	assert_int_equal(n, count);
	assert_int_equal(s->r.skipped, 0);
	assert_int_equal(pl_spool_reader_tell(&s->r), (off_t)total);

	/* from a record just before the first chunk's end */
	open_reader(s, middle);
	n = 0;
	while (pl_spool_next(&s->r, &h) == 1)
		n++;
	assert_true(n > 0 && n < count);
	assert_int_equal(s->r.skipped, 0);
	assert_int_equal(pl_spool_reader_tell(&s->r), (off_t)total);
}

/* A spool with a header, as the shim writes it: records at their offsets
 * from PL_SPOOL_DATA, the tail where the last reservation ends, and the
 * room past it allocated but empty. */
static void put_head(struct spool *s, uint64_t tail)
{
	union {
		struct pl_spool_head h;
		char page[PL_SPOOL_DATA];
	} u;
	static const char zeros[8192];

	memset(&u, 0, sizeof(u));
	memcpy(u.h.magic, PL_SPOOL_MAGIC, sizeof(u.h.magic));
	u.h.version = PL_SPOOL_VERSION;
	u.h.data = PL_SPOOL_DATA;
	u.h.tail = tail;
	u.h.size = tail + sizeof(zeros);
	u.h.created_ns = 1234;
	u.h.creator_pid = 42;
	assert_int_equal(pwrite(s->fd, &u, sizeof(u), 0), sizeof(u));
	assert_int_equal(pwrite(s->fd, zeros, sizeof(zeros), (off_t)tail),
			 sizeof(zeros));
}

/* Put R at AT; COMMITTED 0 leaves its magic out, as a writer does until
 * it has copied the rest. Returns the offset after it. */
static off_t put_at(struct spool *s, off_t at, union rec *r, int committed)
{
	union rec copy = *r;

	if (!committed)
		copy.head.magic = 0;
	assert_int_equal(pwrite(s->fd, copy.bytes, r->head.size, at),
			 r->head.size);
	return at + r->head.size;
}

/* A pid nobody has: a child of ours, reaped. */
static uint32_t dead_pid(void)
{
	pid_t p = fork();

	assert_true(p >= 0);
	if (p == 0)
		_exit(0);
	assert_int_equal(waitpid(p, NULL, 0), p);
	return (uint32_t)p;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Three records, the middle one as ROOM_PID left it uncommitted (at TIME);
 * returns how many were read, their pids in PIDS. */
static size_t mapped_with_room(struct spool *s, uint32_t room_pid,
			       uint64_t time, uint32_t pids[3], off_t *ret_room)
{
	static union rec a, b, c;
	off_t at = PL_SPOOL_DATA;

	build(&a, PL_REC_CLOSE, 101, now_ns());
	build(&b, PL_REC_CLOSE, room_pid, time);
	build(&c, PL_REC_CLOSE, 103, now_ns());
	at = put_at(s, at, &a, 1);
	*ret_room = at;
	at = put_at(s, at, &b, 0);
	at = put_at(s, at, &c, 1);
	put_head(s, (uint64_t)at);
	open_reader(s, 0);
	s->r.wait_us = 2000; /* the test need not wait long */
	return read_pids(s, pids, 3);
}

static void test_spool__mapped_reads_up_to_tail(void **state)
{
	struct spool *s = *state;
	static union rec r;
	uint32_t pids[4];
	off_t at = PL_SPOOL_DATA;

	for (uint32_t pid = 1; pid <= 3; pid++) {
		build(&r, PL_REC_FORK, pid, 1000 + pid);
		at = put_at(s, at, &r, 1);
	}
	put_head(s, (uint64_t)at);
	open_reader(s, 0);
	assert_int_equal(read_pids(s, pids, 4), 3);
	assert_int_equal(pids[0], 1);
	assert_int_equal(pids[2], 3);
	assert_int_equal(pl_spool_reader_tell(&s->r), at);
	assert_int_equal(s->r.skipped, 0);
	assert_int_equal(s->r.torn, 0);
	/* the allocated room past the tail is not read */
	assert_true(spool_size(s) > at);
	assert_int_equal(pl_spool_identity(s->fd), (int64_t)(1234 ^ (42ull << 32)));
}

static void test_spool__mapped_stops_at_room_of_live_writer(void **state)
{
	struct spool *s = *state;
	uint32_t pids[3];
	off_t room;

	assert_int_equal(mapped_with_room(s, (uint32_t)getpid(), now_ns(),
					  pids, &room), 1);
	assert_int_equal(pids[0], 101);
	assert_int_equal(pl_spool_reader_tell(&s->r), room);
	assert_int_equal(s->r.torn, 0);
}

static void test_spool__mapped_reads_room_once_committed(void **state)
{
	struct spool *s = *state;
	static union rec b;
	uint32_t pids[3];
	off_t room;

	assert_int_equal(mapped_with_room(s, (uint32_t)getpid(), now_ns(),
					  pids, &room), 1);
	/* the writer stores its magic: the next read goes on from there */
	build(&b, PL_REC_CLOSE, (uint32_t)getpid(), 0);
	assert_int_equal(pread(s->fd, b.bytes, sizeof(b.close), room),
			 sizeof(b.close));
	b.head.magic = PL_REC_MAGIC;
	put_at(s, room, &b, 1);
	open_reader(s, room);
	assert_int_equal(read_pids(s, pids, 3), 2);
	assert_int_equal(pids[0], (uint32_t)getpid());
	assert_int_equal(pids[1], 103);
}

static void test_spool__mapped_skips_room_of_dead_writer(void **state)
{
	struct spool *s = *state;
	uint32_t pids[3];
	off_t room;

	assert_int_equal(mapped_with_room(s, dead_pid(), now_ns(), pids, &room),
			 2);
	assert_int_equal(pids[0], 101);
	assert_int_equal(pids[1], 103);
	assert_int_equal(s->r.torn, 1);
}

static void test_spool__mapped_skips_stale_room(void **state)
{
	struct spool *s = *state;
	uint32_t pids[3];
	off_t room;

	/* alive, but stuck in the middle of a record for longer than any
	 * writer copies one */
	assert_int_equal(mapped_with_room(s, (uint32_t)getpid(),
					  now_ns() - 2 * PL_SPOOL_STALE_NS,
					  pids, &room), 2);
	assert_int_equal(s->r.torn, 1);
}

static void test_spool__mapped_unnamed_room(void **state)
{
	struct spool *s = *state;
	static union rec r;
	uint32_t pids[3];
	off_t at = PL_SPOOL_DATA, hole;

	/* a writer killed as it reserved: nothing of it was copied */
	build(&r, PL_REC_FORK, 7, 1);
	at = put_at(s, at, &r, 1);
	hole = at;
	at += 48;
	put_head(s, (uint64_t)at);
	open_reader(s, 0);
	s->r.wait_us = 0;
	/* nothing after it: it may still be written */
	assert_int_equal(read_pids(s, pids, 3), 1);
	assert_int_equal(pl_spool_reader_tell(&s->r), hole);
	/* a record committed after it: it never will be */
	build(&r, PL_REC_FORK, 8, 2);
	at = put_at(s, at, &r, 1);
	put_head(s, (uint64_t)at);
	open_reader(s, hole);
	s->r.wait_us = 0;
	assert_int_equal(read_pids(s, pids, 3), 1);
	assert_int_equal(pids[0], 8);
	assert_int_equal(s->r.torn, 1);
	assert_int_equal(pl_spool_reader_tell(&s->r), at);
}

static void test_spool__mapped_newer_header_refused(void **state)
{
	struct spool *s = *state;
	struct pl_spool_head h;

	put_head(s, PL_SPOOL_DATA);
	assert_int_equal(pread(s->fd, &h, sizeof(h), 0), sizeof(h));
	h.version = PL_SPOOL_VERSION + 1;
	assert_int_equal(pwrite(s->fd, &h, sizeof(h), 0), sizeof(h));
	assert_int_equal(pl_spool_reader_init(&s->r, s->fd, 0), -EPROTO);
	pl_spool_reader_free(&s->r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool__check_accepts_each_type),
		cmocka_unit_test(test_spool__check_struct_sizes),
		cmocka_unit_test(test_spool__check_flipped_byte_is_bad),
		cmocka_unit_test(test_spool__check_wrong_magic_is_bad),
		cmocka_unit_test(test_spool__check_unaligned_size_is_bad),
		cmocka_unit_test(test_spool__check_size_out_of_range_is_bad),
		cmocka_unit_test(test_spool__check_version_zero_is_bad),
		cmocka_unit_test(test_spool__check_newer_version_is_future),
		cmocka_unit_test(test_spool__check_partial_is_short),
		cmocka_unit_test(test_spool__check_unknown_type_is_bad),
		cmocka_unit_test(test_spool__check_fixed_size_mismatch_is_bad),
		cmocka_unit_test(test_spool__check_fd_records),
		cmocka_unit_test(test_spool__check_hello_parts_must_fit),
		cmocka_unit_test(test_spool__check_fds_parts_must_fit),
		cmocka_unit_test(test_spool__check_conn_parts_must_fit),
#define T(f) cmocka_unit_test_setup_teardown(f, spool_setup, spool_teardown)
		T(test_spool__reader_empty),
		T(test_spool__reader_reads_in_order),
		T(test_spool__reader_skips_garbage),
		T(test_spool__reader_skips_long_garbage),
		T(test_spool__reader_skips_torn_record),
		T(test_spool__reader_torn_record_before_last_record),
		T(test_spool__reader_stops_at_incomplete_tail),
		T(test_spool__reader_stops_at_future),
		T(test_spool__reader_skips_garbled_version),
		T(test_spool__reader_starts_at_offset),
		T(test_spool__reader_crosses_chunks),
		T(test_spool__mapped_reads_up_to_tail),
		T(test_spool__mapped_stops_at_room_of_live_writer),
		T(test_spool__mapped_reads_room_once_committed),
		T(test_spool__mapped_skips_room_of_dead_writer),
		T(test_spool__mapped_skips_stale_room),
		T(test_spool__mapped_unnamed_room),
		T(test_spool__mapped_newer_header_refused),
#undef T
	};

	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
