/* Keep tracing across exec: a program may exec with an environment it
 * built itself, or cleared (sudo-like tools, daemons, test harnesses), and
 * the next program would then start without us. Every exec and spawn
 * wrapper passes its envp through pl__env_fix(), which adds LD_PRELOAD
 * (ours first, other preloads kept after it) and PEERLOG_JOURNAL when they
 * are missing. A PEERLOG_JOURNAL that is there is respected: a user may
 * send a subtree elsewhere.
 *
 * This runs on the exec path, in vfork children too: the new array and
 * strings live in the caller's stack frame, nothing is allocated.
 */
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

/* Both in one buffer, so that a new image touches one page for them. */
static char paths[2 * PATH_MAX];
static const char *shim_path = "", *journal_path = "";

/* The end of the LD_PRELOAD entry at P: entries are separated by colons
 * or spaces. */
static const char *entry_end(const char *p)
{
	while (*p && *p != ':' && *p != ' ')
		p++;
	return p;
}

struct find_self {
	uintptr_t addr;
	const char *name;
};

static int find_self_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find_self *f = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && f->addr >= lo &&
		    f->addr < lo + ph->p_memsz) {
			f->name = info->dlpi_name;
			return 1;
		}
	}
	return 0;
}

/* Is NAME (N bytes) what the loader makes of the LD_PRELOAD entry
 * [P, END) when DST, at Q in it, is replaced by its expansion? */
static int expands_to(const char *p, const char *q, const char *end,
		      const char *dst, const char *name, size_t n)
{
	size_t t = strlen(dst), a = (size_t)(q - p), b;

	if ((size_t)(end - q) < t || !pl__has_prefix(q, dst, t))
		return 0;
	b = (size_t)(end - q) - t;
	return n > a + b && pl__has_prefix(name, p, a) &&
	       pl__has_prefix(name + n - b, q + t, b);
}

/* The entry of LD_PRELOAD that names NAME (what the loader made of it)
 * through ld.so's $LIB, as "DIR/$LIB/libpeerlog.so" does: each program
 * expands it for its own class, so that a 32-bit program exec'd from a
 * 64-bit one loads the 32-bit build. That entry is what we spread, not
 * our expanded name. Its length, *RET_ENTRY set; 0 when there is none. */
static size_t lib_entry(const char *name, const char **ret_entry)
{
	const char *list = secure_getenv("LD_PRELOAD");
	size_t n = strlen(name);

	for (const char *p = list ? list : "", *end; *p;
	     p = *end ? end + 1 : end) {
		end = entry_end(p);
		if (*p != '/')
			continue; /* a relative one would not hold after a chdir */
		for (const char *q = p; q < end; q++)
			if (expands_to(p, q, end, "$LIB", name, n) ||
			    expands_to(p, q, end, "${LIB}", name, n)) {
				*ret_entry = p;
				return (size_t)(end - p);
			}
	}
	return 0;
}

/* Remember where we are and where we write; called by the constructor.
 * Our path is the name the loader has for the object holding this code
 * (dl_iterate_phdr: dladdr would also search our symbols, pages a new
 * image need not touch). */
void pl__env_init(const char *journal)
{
	struct find_self f = { .addr = (uintptr_t)(void *)pl__env_init };
	char resolved[PATH_MAX];
	const char *name;
	size_t n, j;

	dl_iterate_phdr(find_self_cb, &f);
	name = f.name ? f.name : "";
	/* The loader names us as LD_PRELOAD did; that is absolute once we
	 * have put it there ourselves, and only a path given relative to a
	 * directory needs resolving (a child may run elsewhere). */
	if (!(n = lib_entry(name, &name))) {
		if (name[0] && name[0] != '/' && realpath(name, resolved))
			name = resolved;
		n = strlen(name);
	}
	j = strlen(journal);
	if (!n || n + 1 + j + 1 > sizeof(paths))
		return; /* then exec does not spread us (pl__env_fix) */
	memcpy(paths, name, n);
	paths[n] = '\0';
	memcpy(paths + n + 1, journal, j + 1);
	shim_path = paths;
	journal_path = paths + n + 1;
}

const char *pl__env_journal(void)
{
	return journal_path;
}

size_t pl__env_count(char *const *envp)
{
	size_t n = 0;

	while (envp && envp[n])
		n++;
	return n;
}

/* Is the entry [P, END) our library? */
static int is_us(const char *p, const char *end)
{
	size_t len = strlen(shim_path);

	return (size_t)(end - p) == len && pl__has_prefix(p, shim_path, len);
}

/* Does the list LIST (LD_PRELOAD's value) name our library? */
static int lists_us(const char *list)
{
	for (const char *p = list, *end; *p; p = *end ? end + 1 : end)
		if (is_us(p, end = entry_end(p)))
			return 1;
	return 0;
}

/* Append decimal V at P; returns the end. */
static char *put_u64(char *p, uint64_t v)
{
	char digits[20];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = digits[--n];
	return p;
}

/* PEERLOG_SELF=PID:TICKS:BOOT:FDS for the image this process execs: the
 * start time and boot id it would otherwise read from /proc, and the
 * ends it may inherit, as FD.ENTRY,... with our table's entries (inode and
 * kind: it checks each), or "*" when our
 * table cannot be trusted (a call changing fds was in flight in another
 * thread, or there are too many to list): then it lists /proc/self/fd. */
static void self_for_exec(char *buf, size_t size)
{
	char *p = buf, *end = buf + size - 48;
	uint64_t ino;
	int fd = -1;

	memcpy(p, PL_SELF_VAR, sizeof(PL_SELF_VAR) - 1);
	p = put_u64(p + sizeof(PL_SELF_VAR) - 1, (uint64_t)pl__self.pid);
	*p++ = ':';
	p = put_u64(p, pl__self.start_ticks);
	*p++ = ':';
	memcpy(p, pl__self.boot_id, strlen(pl__self.boot_id));
	p += strlen(pl__self.boot_id);
	*p++ = ':';
	if (pl__fds_settled()) {
		char *list = p;

		while ((fd = pl__fd_next(fd + 1, &ino)) >= 0 && p < end) {
			if (p != list)
				*p++ = ',';
			p = put_u64(p, (uint64_t)fd);
			*p++ = '.';
			p = put_u64(p, ino);
		}
		if (fd >= 0)
			p = list; /* did not fit */
	}
	if (fd >= 0 || !pl__fds_settled())
		*p++ = '*';
	*p = '\0';
}

static const char lp[] = "LD_PRELOAD=", pj[] = "PEERLOG_JOURNAL=";

/* Bytes of PEERLOG_SELF for an exec: the fixed part and a list entry per
 * fd our table may name. */
static size_t self_room(void)
{
	size_t n = 160 + (size_t)pl__fd_top() * 42;

	return n < PL_SELF_MAX ? n : PL_SELF_MAX;
}

/* Room for LD_PRELOAD and PEERLOG_JOURNAL over ENVP. */
static size_t base_room(char *const *envp)
{
	size_t n = sizeof(lp) + strlen(shim_path) + 1 + sizeof(pj) +
		   strlen(journal_path) + 1;

	for (size_t i = 0; envp && envp[i]; i++)
		if (pl__has_prefix(envp[i], lp, sizeof(lp) - 1))
			n += strlen(envp[i]);
	return n;
}

/* What pl__env_fix() may write for ENVP: room for each of our variables. */
size_t pl__env_room(char *const *envp, int exec)
{
	return base_room(envp) + (exec ? self_room() : 0);
}

/* We could not record, and have said why: the programs this one execs
 * would meet the same and say it again, each of them. They start without
 * us: ENVP, or OUT holding it with our library taken out of LD_PRELOAD
 * (the variable dropped if nothing else is left in it). */
static char *const *without_us(char *const *envp, char **out, char *room,
			       size_t size)
{
	size_t n = 0, k = 0;
	int preload_at = -1;
	char *p = room;

	for (; envp && envp[n]; n++)
		if (pl__has_prefix(envp[n], lp, sizeof(lp) - 1) &&
		    lists_us(envp[n] + sizeof(lp) - 1))
			preload_at = (int)n;
	if (preload_at < 0 || strlen(envp[preload_at]) >= size)
		return envp;
	memcpy(p, lp, sizeof(lp) - 1);
	p += sizeof(lp) - 1;
	for (const char *s = envp[preload_at] + sizeof(lp) - 1, *end; *s;
	     s = *end ? end + 1 : end) {
		end = entry_end(s);
		if (end == s || is_us(s, end))
			continue;
		if (p > room + sizeof(lp) - 1)
			*p++ = ':';
		memcpy(p, s, (size_t)(end - s));
		p += end - s;
	}
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		if ((int)i != preload_at)
			out[k++] = envp[i];
		else if (p > room + sizeof(lp) - 1)
			out[k++] = room;
	out[k] = NULL;
	return out;
}

/* ENVP, or OUT (room for pl__env_count(envp) + 4 pointers) holding ENVP
 * with our variables added. The strings go to ROOM (SIZE bytes, from
 * pl__env_room()), in the caller's frame. EXEC: this process execs (not a
 * spawned child): it tells the next image what it knows of itself,
 * unless it is a child sharing our memory (whose pid and fds are not the
 * ones we know). */
char *const *pl__env_fix(char *const *envp, char **out, char *room,
			 size_t size, int exec)
{
	char *end = room + size;
	int preload_at = -1, has_journal = 0, self_at = -1;
	size_t n = 0, k;

	if (!shim_path[0] || !journal_path[0])
		return envp;
	if (!pl__self.recording)
		return without_us(envp, out, room, size);
	if (exec && pl__pid() != pl__self.pid)
		exec = 0;
	for (; envp && envp[n]; n++) {
		if (pl__has_prefix(envp[n], lp, sizeof(lp) - 1))
			preload_at = (int)n;
		else if (pl__has_prefix(envp[n], pj, sizeof(pj) - 1))
			has_journal = 1;
		else if (pl__has_prefix(envp[n], PL_SELF_VAR, sizeof(PL_SELF_VAR) - 1))
			self_at = (int)n;
	}
	if (has_journal && preload_at >= 0 && !exec && self_at < 0 &&
	    lists_us(envp[preload_at] + sizeof(lp) - 1))
		return envp;

	for (k = 0; k < n; k++)
		out[k] = envp[k];
	if (self_at >= 0) { /* stale: not ours to pass on */
		for (k = (size_t)self_at; k + 1 < n; k++)
			out[k] = out[k + 1];
		n--;
		if (preload_at > self_at)
			preload_at--;
	}
	if (exec && size >= base_room(envp) + 160) {
		size_t self = size - base_room(envp);

		end -= self;
		self_for_exec(end, self);
		out[n++] = end;
	}
	if (preload_at < 0 || !lists_us(out[preload_at] + sizeof(lp) - 1)) {
		const char *old = preload_at >= 0 ?
					  out[preload_at] + sizeof(lp) - 1 : "";
		int len = snprintf(room, (size_t)(end - room), "%s%s%s%s",
				   lp, shim_path, *old ? ":" : "", old);

		if (len > 0 && len < end - room) {
			if (preload_at >= 0)
				out[preload_at] = room;
			else
				out[n++] = room;
			room += len + 1;
		}
	}
	if (!has_journal) {
		snprintf(room, (size_t)(end - room), "%s%s", pj, journal_path);
		out[n++] = room;
	}
	out[n] = NULL;
	return out;
}
