/* Where sockets are made: the call stack at socketpair, socket, connect
 * and accept, as raw return addresses (libunwind's unw_backtrace: the
 * local unwinder, no malloc), and once per image the modules they fall
 * in (base, build id, path), so that the collector can say "main at
 * parent.c:42" long after the process has gone. PEERLOG_STACKS=0 turns
 * it off. */
#include <elf.h>
#include <libunwind.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

static int stacks_on;

/* Called from the constructor; records the modules of this image. */
void pl__stack_init(void)
{
	const char *v = secure_getenv("PEERLOG_STACKS");

	stacks_on = !(v && !strcmp(v, "0"));
	if (stacks_on)
		dl_iterate_phdr(pl__module_cb, NULL);
}

void pl__emit_stack(uint64_t ino, pid_t pid)
{
	union {
		struct pl_rec_stack r;
		char bytes[sizeof(struct pl_rec_stack) +
			   PL_STACK_MAX * sizeof(uint64_t)];
	} u;
	void *buf[PL_STACK_MAX + 2];
	int n;

	if (!stacks_on)
		return;
	/* buf[0] is in this function, buf[1] in the wrapper: skip them */
	n = unw_backtrace(buf, PL_STACK_MAX + 2);
	if (n <= 2)
		return;
	memset(&u.r, 0, sizeof(u.r));
	u.r.ino = ino;
	u.r.nframes = (uint32_t)(n - 2);
	for (int i = 2; i < n; i++)
		u.r.pc[i - 2] = (uint64_t)(uintptr_t)buf[i];
	pl__rec_init(&u.r.head, PL_REC_STACK,
		     sizeof(u.r) + u.r.nframes * sizeof(uint64_t));
	u.r.head.pid = (uint32_t)pid;
	pl__emit(&u, sizeof(u.r) + u.r.nframes * sizeof(uint64_t));
}

static size_t build_id(const struct dl_phdr_info *info, uint8_t out[20])
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const void *)p;
			const char *name = p + sizeof(*nh);
			const char *desc = name + ((nh->n_namesz + 3) & ~3u);

			if (desc + nh->n_descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    !memcmp(name, "GNU", 4)) {
				size_t len = nh->n_descsz < 20 ? nh->n_descsz : 20;

				memcpy(out, desc, len);
				return len;
			}
			p = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 0;
}

int pl__module_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	union {
		struct pl_rec_module r;
		char bytes[PL_REC_MAX];
	} u;
	uint64_t lo = UINT64_MAX, hi = 0;
	const char *path = info->dlpi_name;
	char exe[1024];
	size_t len, rec;

	(void)size;
	(void)arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < lo)
			lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
			hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	if (hi <= lo || (path && !strncmp(path, "linux-vdso", 10)))
		return 0;
	if (!path || !*path) { /* the program itself */
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (n <= 0)
			return 0;
		exe[n] = '\0';
		path = exe;
	}
	memset(&u.r, 0, sizeof(u.r));
	u.r.start = lo;
	u.r.end = hi;
	u.r.bias = info->dlpi_addr;
	u.r.build_id_len = (uint8_t)build_id(info, u.r.build_id);
	len = strnlen(path, PL_REC_MAX - sizeof(u.r) - 8);
	memcpy(u.r.path, path, len);
	u.r.path[len] = '\0';
	u.r.path_len = (uint16_t)(len + 1);
	rec = pl_rec_align(sizeof(u.r) + len + 1);
	memset(u.r.path + len + 1, 0, rec - sizeof(u.r) - len - 1);
	pl__rec_init(&u.r.head, PL_REC_MODULE, rec);
	pl__emit(&u, rec);
	return 0;
}
