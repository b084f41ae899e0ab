/* The kernel's table of UNIX sockets: one NETLINK_SOCK_DIAG dump (what
 * ss -x asks), or /proc/net/unix where unix_diag is missing (no peers
 * then). The parser works on a buffer of netlink messages, so a dump
 * recorded once can be replayed without a kernel, as ss does with
 * TCPDIAG_FILE: PEERLOG_DIAG_SAVE=FILE writes the kernel's replies there,
 * PEERLOG_DIAG_FILE=FILE reads them from there instead of asking.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel.h"
#include "peerlog.h"

#define DUMP_SEQ 0x706c6f67 /* "plog" */

static int add(struct pl_kdump *d, const struct pl_kunix *u)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 256;
		struct pl_kunix *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = *u;
	return 0;
}

/* Parse LEN bytes of netlink messages. Returns 1 when the dump is done,
 * 0 when more is to come, or a negative errno. */
int pl_kdump_parse(struct pl_kdump *d, const void *buf, size_t len)
{
	const char *at = buf;
	size_t left = len;

	/* NLMSG_NEXT on a size_t wraps when the last message is not padded:
	 * step by hand, never past what is left (as the kernel does) */
	for (; left >= sizeof(struct nlmsghdr); ) {
		const struct nlmsghdr *h = (const void *)at;
		const struct unix_diag_msg *m;
		const struct rtattr *a;
		struct pl_kunix u;
		size_t step;
		int alen;

		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left)
			break;
		step = NLMSG_ALIGN(h->nlmsg_len);
		if (step > left)
			step = left;
		at += step;
		left -= step;
		if (h->nlmsg_seq != DUMP_SEQ)
			continue; /* not ours */
		if (h->nlmsg_flags & NLM_F_DUMP_INTR)
			d->interrupted = 1;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			return e->error ? e->error : 1;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			return -EBADMSG;
		m = NLMSG_DATA(h);
		memset(&u, 0, sizeof(u));
		u.ino = m->udiag_ino;
		u.type = m->udiag_type;
		u.state = m->udiag_state;
		u.cookie = (uint64_t)m->udiag_cookie[0] |
			   (uint64_t)m->udiag_cookie[1] << 32;
		a = (const struct rtattr *)(m + 1);
		alen = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
		for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
			size_t n = RTA_PAYLOAD(a);

			if (a->rta_type == UNIX_DIAG_PEER && n >= 4) {
				memcpy(&u.peer, RTA_DATA(a), 4);
			} else if (a->rta_type == UNIX_DIAG_NAME && n > 0) {
				const char *p = RTA_DATA(a);
				size_t k;

				if (n > sizeof(u.name) - 1)
					n = sizeof(u.name) - 1;
				if (p[0] != '\0') /* a path, NUL terminated */
					n = strnlen(p, n);
				for (k = 0; k < n; k++) /* abstract: '@' */
					u.name[k] = p[k] ? p[k] : '@';
				u.name[k] = '\0';
			}
		}
		if (add(d, &u) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int by_ino(const void *a, const void *b)
{
	const struct pl_kunix *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void finish(struct pl_kdump *d)
{
	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), by_ino);
}

/* Where unix_diag is missing: inodes, types and names, but no peers. */
static int load_proc_net_unix(struct pl_kdump *d)
{
	FILE *f = fopen("/proc/net/unix", "re");
	char line[512];

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return -EBADMSG;
	}
	while (fgets(line, sizeof(line), f)) {
		struct pl_kunix u;
		unsigned type, state;
		unsigned long ino;
		char name[sizeof(u.name)] = "";

		memset(&u, 0, sizeof(u));
		if (sscanf(line, "%*s %*s %*s %*s %x %x %lu %111s", &type, &state,
			   &ino, name) < 3)
			continue;
		u.ino = (uint32_t)ino;
		u.type = (uint8_t)type;
		u.state = (uint8_t)state;
		memcpy(u.name, name, sizeof(u.name));
		if (add(d, &u) < 0) {
			fclose(f);
			return -ENOMEM;
		}
	}
	fclose(f);
	d->no_peers = 1;
	finish(d);
	return 0;
}

static int dump_once(struct pl_kdump *d)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
		.nlh = {
			.nlmsg_len = sizeof(q),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = DUMP_SEQ,
		},
		.req = {
			.sdiag_family = AF_UNIX,
			.udiag_states = ~0U,
			.udiag_show = UDIAG_SHOW_PEER | UDIAG_SHOW_NAME |
				      UDIAG_SHOW_VFS | UDIAG_SHOW_RQLEN |
				      UDIAG_SHOW_UID,
		},
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	static char buf[65536];
	const char *save = getenv("PEERLOG_DIAG_SAVE");
	int fd, rc = 0, out = -1;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (save && *save)
		out = open(save, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	while (rc == 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EBADMSG;
			break;
		}
		if (out >= 0 && write(out, buf, (size_t)n) != n) {
			/* a partial recording is no recording */
			close(out);
			out = -1;
			unlink(save);
		}
		rc = pl_kdump_parse(d, buf, (size_t)n);
	}
	if (out >= 0)
		close(out);
	close(fd);
	return rc < 0 ? rc : 0;
}

/* A dump recorded with PEERLOG_DIAG_SAVE. */
static int replay(struct pl_kdump *d, const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (len == cap) {
			char *b = realloc(buf, cap ? 2 * cap : 65536);

			if (!b) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = b;
			cap = cap ? 2 * cap : 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	rc = pl_kdump_parse(d, buf, len);
	free(buf);
	if (rc < 0)
		return rc;
	finish(d);
	return 0;
}

int pl_kdump_load(struct pl_kdump *d)
{
	const char *file = getenv("PEERLOG_DIAG_FILE");
	int rc = -EAGAIN;

	memset(d, 0, sizeof(*d));
	if (file && *file)
		return replay(d, file);
	/* a dump that the kernel says was disturbed is taken again */
	for (int tries = 0; tries < 3 && rc == -EAGAIN; tries++) {
		d->n = 0;
		d->interrupted = 0;
		rc = dump_once(d);
		if (rc == 0 && d->interrupted)
			rc = -EAGAIN;
	}
	if (rc == 0) {
		finish(d);
		return 0;
	}
	if (rc == -EAGAIN) { /* still disturbed: use what we have */
		finish(d);
		return 0;
	}
	d->n = 0;
	return load_proc_net_unix(d);
}

const struct pl_kunix *pl_kdump_find(const struct pl_kdump *d, uint64_t ino)
{
	struct pl_kunix key = { .ino = (uint32_t)ino };

	if (ino > UINT32_MAX || !d->n) /* an empty dump has no array */
		return NULL;
	return bsearch(&key, d->v, d->n, sizeof(*d->v), by_ino);
}

void pl_kdump_free(struct pl_kdump *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}
