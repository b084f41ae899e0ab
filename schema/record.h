/* The spool record format: the contract between the shim (preload/), which
 * writes records, and the collector (collector/), which ingests them.
 *
 * A spool is a file: one header page (struct pl_spool_head), then records
 * laid end to end. A writer reserves room for a record by adding its size
 * to the header's tail (an atomic add on the shared mapping of the file:
 * no lock, no syscall), copies the record into its mapping of that room
 * and commits it by storing the magic last. The order of reservations is
 * the order in which events happened, across processes and threads. Every
 * record starts with struct pl_rec_head, is a multiple of 8 bytes long and
 * carries a checksum, so that a reader can tell a committed record from
 * room still being written (no magic yet), a dead writer's room, and
 * garbage. A spool without the header is of the first layout: records from
 * offset 0, each appended with write(); readers still take it.
 *
 * Integers are in the byte order of the machine that wrote them (spools
 * are not portable between architectures; the journal built from them is).
 * Bump PL_FORMAT_VERSION on any change of layout; readers refuse records
 * of a newer version instead of misreading them. struct pl_rec_head and
 * pl_rec_checksum() stay the same in every version: that is how a reader
 * tells a newer record from a garbled one.
 */
#ifndef PEERLOG_SCHEMA_RECORD_H
#define PEERLOG_SCHEMA_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define PL_REC_MAGIC 0x31524c50u /* "PLR1" read as little-endian bytes */
#define PL_FORMAT_VERSION 2 /* 2: pipes and FIFOs (PL_REC_PIPE, PL_REC_OPEN,
                             * PL_REC_WRITE, PL_SOCK_PIPE...) */
#define PL_REC_ALIGN 8
#define PL_REC_MAX 4096 /* no record is larger: one page, built on the stack */

/* The first page of a spool. tail and size are updated with atomic
 * operations by every writer, through their shared mappings. */
#define PL_SPOOL_MAGIC "PLSPOOL"  /* 8 bytes with its NUL */
#define PL_SPOOL_VERSION 1
#define PL_SPOOL_DATA 4096        /* offset of the first record */
struct pl_spool_head {
	char magic[8];       /* PL_SPOOL_MAGIC */
	uint32_t version;    /* PL_SPOOL_VERSION */
	uint32_t data;       /* PL_SPOOL_DATA */
	uint64_t tail;       /* end of the last reservation */
	uint64_t size;       /* bytes allocated (fallocate) for records */
	uint64_t created_ns; /* with creator_pid, tells this spool from */
	uint32_t creator_pid; /*  another made later at the same path */
	uint32_t flags;       /* PL_SPOOL_SAID_FULL */
};
/* a writer has said on stderr that records were lost (disk full): the
 * others need not say it again */
#define PL_SPOOL_SAID_FULL 1u

enum pl_rec_type {
	PL_REC_HELLO = 1,      /* a program image starts: after load or fork */
	PL_REC_SNAP = 2,       /* more sockets held at hello (continuation) */
	PL_REC_SOCKETPAIR = 3, /* socketpair() succeeded */
	PL_REC_CLOSE = 4,      /* close() of a tracked fd */
	PL_REC_EXEC = 5,       /* an exec is about to be attempted */
	PL_REC_EXEC_FAIL = 6,  /* ... and it failed */
	PL_REC_FORK = 7,       /* fork() returned in the parent */
	PL_REC_EXIT = 8,       /* the process is exiting */
	PL_REC_DUP = 9,        /* a tracked fd was copied to another fd */
	PL_REC_SETFD = 10,     /* close-on-exec of a tracked fd changed */
	PL_REC_CLOSE_RANGE = 11, /* close_range(), closefrom() */
	PL_REC_SPAWN = 12,     /* posix_spawn() started a child */
	PL_REC_SEND_FDS = 13,  /* sockets passed with SCM_RIGHTS */
	PL_REC_RECV_FDS = 14,  /* sockets received with SCM_RIGHTS */
	PL_REC_SOCKET = 15,    /* socket(AF_UNIX, ...) */
	PL_REC_BIND = 16,      /* bind() of a tracked socket */
	PL_REC_LISTEN = 17,    /* listen() on a tracked socket */
	PL_REC_CONNECT = 18,   /* connect() of a tracked socket */
	PL_REC_ACCEPT = 19,    /* accept(), accept4() on a tracked listener */
	PL_REC_STACK = 20,     /* where a socket was created: return addresses */
	PL_REC_MODULE = 21,    /* a module mapped in this image, for the above */
	PL_REC_PIPE = 22,      /* pipe(), pipe2() succeeded */
	PL_REC_OPEN = 23,      /* open() of a FIFO: one end of a named pipe */
	PL_REC_WRITE = 24,     /* the first write to a tracked pipe's write end */
	PL_REC_TYPE_MAX = 24
};

/* Why a HELLO was written. */
enum pl_hello_reason {
	PL_HELLO_LOAD = 1, /* the shim's constructor: a new program image */
	PL_HELLO_FORK = 2, /* the child side of a wrapped fork() */
};

struct pl_rec_head {
	uint32_t magic;   /* PL_REC_MAGIC */
	uint16_t size;    /* whole record in bytes, head included */
	uint8_t version;  /* PL_FORMAT_VERSION */
	uint8_t type;     /* enum pl_rec_type */
	uint32_t pid;     /* writer's pid */
	uint32_t check;   /* pl_rec_checksum() of the record with check = 0 */
	uint64_t time_ns; /* CLOCK_REALTIME when the event happened */
};

/* One end held by the process, as seen in /proc/self/fd: a socket, or
 * (PL_SOCK_PIPE) one end of a pipe or FIFO. Both ends of a pipe have the
 * same inode: PL_SOCK_WRITE tells the write end (opened O_WRONLY or
 * O_RDWR) from the read end. */
struct pl_rec_sock {
	int32_t fd;
	uint32_t flags; /* PL_SOCK_* */
	uint64_t ino;
	uint64_t cookie; /* SO_COOKIE, 0 where the kernel has none; pipes: 0 */
};
#define PL_SOCK_CLOEXEC 1u
#define PL_SOCK_PIPE 2u  /* a pipe's or FIFO's end, not a socket */
#define PL_SOCK_WRITE 4u /* ... the write end */
#define PL_SOCK_FIFO 8u  /* ... of a named FIFO (else pipe(), pipe2()) */
#define PL_SOCK_KIND (PL_SOCK_PIPE | PL_SOCK_WRITE | PL_SOCK_FIFO)

/* PL_REC_HELLO: who this image is. The fixed part is followed by exe_len
 * bytes of exe, argv_len bytes of argv (each argument NUL terminated), zero
 * padding to PL_REC_ALIGN, then nsock struct pl_rec_sock. A fork child
 * sends no exe or argv: it runs its parent's image. When the sockets do not
 * fit in one record, PL_REC_SNAP records with the rest follow. */
struct pl_rec_hello {
	struct pl_rec_head head;
	uint8_t reason;            /* enum pl_hello_reason */
	uint8_t truncated;         /* 1 when argv was cut to fit */
	uint16_t exe_len;
	uint16_t argv_len;
	uint16_t nsock;
	uint32_t ppid;
	uint32_t parent_pid;       /* fork: the parent image's pid */
	uint64_t start_ticks;      /* field 22 of /proc/self/stat */
	uint64_t parent_hello_ns;  /* fork: the parent image's hello time */
	char boot_id[40];          /* /proc/sys/kernel/random/boot_id, NUL padded */
};

/* PL_REC_SNAP: the rest of a hello's sockets. */
struct pl_rec_snap {
	struct pl_rec_head head;
	uint32_t nsock;
	uint32_t pad;
	struct pl_rec_sock sock[];
};

/* PL_REC_SOCKETPAIR: both ends of a new pair. PL_REC_PIPE has the same
 * layout: domain and protocol 0, type the flags of pipe2() (O_CLOEXEC,
 * O_NONBLOCK, O_DIRECT), sock[0] the read end, sock[1] the write end. */
struct pl_rec_socketpair {
	struct pl_rec_head head;
	int32_t domain;
	int32_t type; /* as passed: SOCK_CLOEXEC and SOCK_NONBLOCK included */
	int32_t protocol;
	uint32_t pad;
	struct pl_rec_sock sock[2];
};

/* PL_REC_CLOSE: a tracked fd was closed. */
struct pl_rec_close {
	struct pl_rec_head head;
	int32_t fd;
	uint32_t pad;
	uint64_t ino;
};

/* PL_REC_EXEC: followed by path_len bytes of the path (NUL terminated,
 * possibly cut) and padding. */
struct pl_rec_exec {
	struct pl_rec_head head;
	uint16_t path_len;
	uint16_t pad16;
	uint32_t pad;
	char path[];
};

/* PL_REC_SPAWN: the parent side of posix_spawn(), posix_spawnp();
 * followed by the path like PL_REC_EXEC. */
struct pl_rec_spawn {
	struct pl_rec_head head;
	uint32_t child_pid; /* 0 when the caller did not ask for it */
	uint16_t path_len;
	uint16_t pad;
	char path[];
};

/* PL_REC_SEND_FDS, PL_REC_RECV_FDS: SCM_RIGHTS over the socket at
 * channel_fd. For a send, sock[].fd are the sender's fds; for a receive,
 * the new fds (flags: PL_SOCK_CLOEXEC with MSG_CMSG_CLOEXEC). Only sockets
 * and pipe ends are listed. A message with more fds than fit goes in several records. */
struct pl_rec_fds {
	struct pl_rec_head head;
	int32_t channel_fd;
	uint16_t nsock;
	uint16_t flags; /* PL_FDS_CTRUNC: the kernel dropped some (receive) */
	uint64_t channel_ino;
	struct pl_rec_sock sock[];
};
#define PL_FDS_CTRUNC 1u
#define PL_FDS_MAX ((PL_REC_MAX - sizeof(struct pl_rec_fds)) / \
		    sizeof(struct pl_rec_sock))

/* PL_REC_SOCKET */
struct pl_rec_socket {
	struct pl_rec_head head;
	int32_t fd;
	int32_t domain;
	int32_t type; /* as passed: SOCK_CLOEXEC and SOCK_NONBLOCK included */
	int32_t protocol;
	uint64_t ino;
	uint64_t cookie;
};

/* PL_REC_BIND, PL_REC_LISTEN, PL_REC_CONNECT, PL_REC_ACCEPT. For a
 * connection, peer_ino is the other end as the kernel tells it
 * (NETLINK_SOCK_DIAG, UDIAG_SHOW_PEER), 0 when it could not. name is the
 * address bound or connected to: a path, or "@name" for an abstract one;
 * name_len bytes, NUL included, then padding. */
struct pl_rec_conn {
	struct pl_rec_head head;
	int32_t fd;        /* accept: the new fd */
	int32_t listen_fd; /* accept: the listener; else -1 */
	uint64_t ino;
	uint64_t cookie;
	uint64_t peer_ino;
	uint32_t flags;    /* accept: PL_SOCK_CLOEXEC */
	uint16_t name_len;
	uint16_t pad;
	char name[];
};
#define PL_NAME_MAX 110 /* sun_path, and '@' for an abstract name */

/* PL_REC_OPEN: FD is an end of the FIFO at NAME (flags: PL_SOCK_PIPE,
 * PL_SOCK_FIFO, PL_SOCK_WRITE when opened for writing, PL_SOCK_CLOEXEC),
 * as /proc/self/fd names it: name_len bytes, NUL included, then padding. */
struct pl_rec_open {
	struct pl_rec_head head;
	int32_t fd;
	uint32_t flags;
	uint64_t ino;
	uint16_t name_len;
	uint16_t pad16;
	uint32_t pad;
	char name[];
};

/* PL_REC_WRITE: the first write() or writev() through FD, the write end
 * of pipe INO, since this process has held it there (a fork child writes
 * its own). What libc writes inside stdio is not seen. */
struct pl_rec_write {
	struct pl_rec_head head;
	int32_t fd;
	uint32_t pad;
	uint64_t ino;
};

/* PL_REC_STACK: the call stack that created socket INO (socketpair: its
 * first end), innermost caller first, the shim's own frames left out. */
struct pl_rec_stack {
	struct pl_rec_head head;
	uint64_t ino;
	uint32_t nframes;
	uint32_t pad;
	uint64_t pc[];
};
#define PL_STACK_MAX 8

/* PL_REC_MODULE: an object mapped at [start, end), with its load bias,
 * GNU build id and path (path_len bytes, NUL included, then padding).
 * Written once per image at load; a fork child runs its parent's. */
struct pl_rec_module {
	struct pl_rec_head head;
	uint64_t start, end, bias;
	uint8_t build_id[20];
	uint8_t build_id_len;
	uint8_t pad;
	uint16_t path_len;
	char path[];
};

/* PL_REC_EXEC_FAIL */
struct pl_rec_exec_fail {
	struct pl_rec_head head;
	int32_t err; /* errno of the failed exec */
	uint32_t pad;
};

/* PL_REC_FORK: the parent side of fork(). */
struct pl_rec_fork {
	struct pl_rec_head head;
	uint32_t child_pid;
	uint32_t pad;
};

/* PL_REC_EXIT */
struct pl_rec_exit {
	struct pl_rec_head head;
	int32_t status; /* exit status, or PL_EXIT_UNKNOWN */
	uint32_t pad;
};
#define PL_EXIT_UNKNOWN (-1)

/* PL_REC_DUP: dup, dup2, dup3, F_DUPFD, F_DUPFD_CLOEXEC. Whatever newfd
 * held before was closed by it. */
struct pl_rec_dup {
	struct pl_rec_head head;
	int32_t oldfd;
	int32_t newfd;
	uint64_t ino;
	uint32_t flags; /* PL_SOCK_CLOEXEC: newfd is close-on-exec; and the
			 * kind of end (PL_SOCK_PIPE...) */
	uint32_t pad;
};

/* PL_REC_SETFD: F_SETFD, FIOCLEX, FIONCLEX on a tracked fd. */
struct pl_rec_setfd {
	struct pl_rec_head head;
	int32_t fd;
	uint32_t flags; /* PL_SOCK_CLOEXEC or 0 */
};

/* PL_REC_CLOSE_RANGE: every fd from first to last closed, or with
 * PL_RANGE_CLOEXEC made close-on-exec. */
struct pl_rec_close_range {
	struct pl_rec_head head;
	uint32_t first;
	uint32_t last;
	uint32_t flags;
	uint32_t pad;
};
#define PL_RANGE_CLOEXEC 1u

/* One layout for a 32-bit and a 64-bit writer: both builds of the shim
 * write into one spool, which the collector reads. i386 aligns uint64_t
 * to 4 inside a struct, x86-64 to 8, so every 64-bit field (and struct
 * holding one) must sit at a multiple of 8 with explicit padding before
 * it, and every struct be a multiple of 8 long: then no ABI inserts
 * padding of its own. The sizes below hold in both builds; a struct
 * added gets its lines here. tests/integration/record_layout.sh compares
 * every field's offset in the two builds. */
#define PL_LAYOUT(name, bytes)                                            \
	_Static_assert(sizeof(struct name) == (bytes) && (bytes) % 8 == 0, \
		       "struct " #name ": size in the spool format")
#define PL_LAYOUT_AT8(name, field)                                       \
	_Static_assert(offsetof(struct name, field) % 8 == 0,           \
		       "struct " #name ": " #field " not at a multiple of 8")
PL_LAYOUT(pl_spool_head, 48);
PL_LAYOUT_AT8(pl_spool_head, tail);
PL_LAYOUT_AT8(pl_spool_head, size);
PL_LAYOUT_AT8(pl_spool_head, created_ns);
PL_LAYOUT(pl_rec_head, 24);
PL_LAYOUT_AT8(pl_rec_head, time_ns);
PL_LAYOUT(pl_rec_sock, 24);
PL_LAYOUT_AT8(pl_rec_sock, ino);
PL_LAYOUT_AT8(pl_rec_sock, cookie);
PL_LAYOUT(pl_rec_hello, 96);
PL_LAYOUT_AT8(pl_rec_hello, start_ticks);
PL_LAYOUT_AT8(pl_rec_hello, parent_hello_ns);
PL_LAYOUT(pl_rec_snap, 32);
PL_LAYOUT_AT8(pl_rec_snap, sock);
PL_LAYOUT(pl_rec_socketpair, 88);
PL_LAYOUT_AT8(pl_rec_socketpair, sock);
PL_LAYOUT(pl_rec_close, 40);
PL_LAYOUT_AT8(pl_rec_close, ino);
PL_LAYOUT(pl_rec_exec, 32);
PL_LAYOUT(pl_rec_spawn, 32);
PL_LAYOUT(pl_rec_fds, 40);
PL_LAYOUT_AT8(pl_rec_fds, channel_ino);
PL_LAYOUT_AT8(pl_rec_fds, sock);
PL_LAYOUT(pl_rec_socket, 56);
PL_LAYOUT_AT8(pl_rec_socket, ino);
PL_LAYOUT_AT8(pl_rec_socket, cookie);
PL_LAYOUT(pl_rec_conn, 64);
PL_LAYOUT_AT8(pl_rec_conn, ino);
PL_LAYOUT_AT8(pl_rec_conn, cookie);
PL_LAYOUT_AT8(pl_rec_conn, peer_ino);
PL_LAYOUT(pl_rec_stack, 40);
PL_LAYOUT_AT8(pl_rec_stack, ino);
PL_LAYOUT_AT8(pl_rec_stack, pc);
PL_LAYOUT(pl_rec_module, 72);
PL_LAYOUT_AT8(pl_rec_module, start);
PL_LAYOUT_AT8(pl_rec_module, end);
PL_LAYOUT_AT8(pl_rec_module, bias);
PL_LAYOUT(pl_rec_exec_fail, 32);
PL_LAYOUT(pl_rec_fork, 32);
PL_LAYOUT(pl_rec_exit, 32);
PL_LAYOUT(pl_rec_dup, 48);
PL_LAYOUT_AT8(pl_rec_dup, ino);
PL_LAYOUT(pl_rec_setfd, 32);
PL_LAYOUT(pl_rec_close_range, 40);
PL_LAYOUT(pl_rec_open, 48);
PL_LAYOUT_AT8(pl_rec_open, ino);
PL_LAYOUT(pl_rec_write, 40);
PL_LAYOUT_AT8(pl_rec_write, ino);

static inline size_t pl_rec_align(size_t n)
{
	return (n + PL_REC_ALIGN - 1) & ~(size_t)(PL_REC_ALIGN - 1);
}

/* A cheap 32-bit checksum over a whole record (its size is a multiple of
 * 8). Writer and reader both compute it with the check field set to zero. It is there to catch torn and
 * garbled records, not tampering: 64-bit multiply-xor rounds, folded. */
static inline uint32_t pl_rec_checksum(const void *rec, size_t size)
{
	const unsigned char *p = rec;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ size;
	size_t i;

	for (i = 0; i + 8 <= size; i += 8) {
		uint64_t w;

		__builtin_memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)(h ^ (h >> 29));
}

#endif
