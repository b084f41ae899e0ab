/* What the live kernel says: its UNIX sockets (netlink.c) and which
 * process holds which socket at which fd (proc.c). */
#ifndef PEERLOG_COLLECTOR_KERNEL_H
#define PEERLOG_COLLECTOR_KERNEL_H

#include <stddef.h>
#include <stdint.h>

struct pl_kunix {
	uint32_t ino, peer; /* peer 0: none, or closed */
	uint64_t cookie;
	uint8_t type, state;
	char name[112];     /* path, or @abstract */
};

struct pl_kdump {
	struct pl_kunix *v; /* sorted by inode */
	size_t n, cap;
	int no_peers;       /* from /proc/net/unix: peers unknown */
	int interrupted;
};

int pl_kdump_load(struct pl_kdump *d);
int pl_kdump_parse(struct pl_kdump *d, const void *buf, size_t len);
const struct pl_kunix *pl_kdump_find(const struct pl_kdump *d, uint64_t ino);
void pl_kdump_free(struct pl_kdump *d);

/* A socket or pipe held by a live process, as /proc/PID/fd shows it. */
struct pl_kfd {
	uint64_t ino;
	int pid, fd;
	int pipe; /* pipe:[INO], not socket:[INO] */
};

struct pl_kfds {
	struct pl_kfd *v; /* sorted by inode, then pid, fd */
	size_t n, cap;
	int *unreadable;  /* pids whose fds we may not read */
	size_t nunreadable;
};

int pl_kfds_scan(struct pl_kfds *k);
/* The socket or pipe PID holds at FD, NULL if none (or neither). */
const struct pl_kfd *pl_kfds_find(const struct pl_kfds *k, int pid, int fd);
/* The socket or pipe inode PID holds at FD, 0 if none (or neither). */
uint64_t pl_kfds_at(const struct pl_kfds *k, int pid, int fd);
/* Does PID hold INO at FD: a socket or pipe of the scan, or a FIFO of
 * that inode (asked of /proc then: the scan does not stat every file)? */
int pl_kfds_holds(const struct pl_kfds *k, int pid, int fd, uint64_t ino);
/* Is INO held by anyone in the scan? */
int pl_kfds_has(const struct pl_kfds *k, uint64_t ino);
/* Which end of a pipe or FIFO PID holds at FD, from its open flags in
 * /proc/PID/fdinfo: 0 read, 1 write, -1 not known. */
int pl_kfd_side(int pid, int fd);
void pl_kfds_free(struct pl_kfds *k);

#endif
