/* Where sockets are made: the code that called socketpair, socket,
 * connect or accept, as a return address (the wrapper's own, free to
 * take), and once per image the modules it may fall in (base, build id,
 * path), so that the collector can say "main at parent.c:42" long after
 * the process has gone. PEERLOG_STACKS=full records up to PL_STACK_MAX
 * frames with libunwind's local unwinder (unw_backtrace: no malloc),
 * loaded only then: mapping it costs every program image that loads the
 * shim, sockets or not. PEERLOG_STACKS=0 turns it all off. */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

static int stacks_on;
static int (*unw_backtrace_fn)(void **, int);

/* Called from the constructor; records the modules of this image. */
void pl__stack_init(void)
{
	const char *v = secure_getenv("PEERLOG_STACKS");

	stacks_on = !(v && !strcmp(v, "0"));
	if (stacks_on && v && !strcmp(v, "full")) {
		void *lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);

		if (lib)
			*(void **)&unw_backtrace_fn = dlsym(lib, "unw_backtrace");
	}
	if (stacks_on)
		dl_iterate_phdr(pl__module_cb, NULL);
}

/* The frames above CALLER (the return address of the wrapper) start the
 * stack; with the unwinder, the ones above it follow. */
static uint32_t frames(void *caller, uint64_t pc[PL_STACK_MAX])
{
	void *buf[PL_STACK_MAX + 4];
	int n, at;

	if (!unw_backtrace_fn) {
		pc[0] = (uint64_t)(uintptr_t)caller;
		return 1;
	}
	/* libunwind makes a pipe and writes to it to check addresses: those
	 * calls are its own, not the program's, and recording one would
	 * unwind again inside the unwinder (it waits on its own lock). */
	pl__busy += PL_NEST_MAX;
	n = unw_backtrace_fn(buf, PL_STACK_MAX + 4);
	pl__busy -= PL_NEST_MAX;
	for (at = 0; at < n && buf[at] != caller; at++)
		;
	if (at == n) {
		pc[0] = (uint64_t)(uintptr_t)caller;
		return 1;
	}
	if (n - at > PL_STACK_MAX)
		n = at + PL_STACK_MAX;
	for (int i = at; i < n; i++)
		pc[i - at] = (uint64_t)(uintptr_t)buf[i];
	return (uint32_t)(n - at);
}

void pl__emit_stack(uint64_t ino, pid_t pid, void *caller)
{
	union {
		struct pl_rec_stack r;
		char bytes[sizeof(struct pl_rec_stack) +
			   PL_STACK_MAX * sizeof(uint64_t)];
	} u;
	size_t size;

	if (!stacks_on)
		return;
	memset(&u.r, 0, sizeof(u.r));
	u.r.ino = ino;
	u.r.nframes = frames(caller, u.r.pc);
	size = sizeof(u.r) + u.r.nframes * sizeof(uint64_t);
	pl__rec_init(&u.r.head, PL_REC_STACK, size);
	u.r.head.pid = (uint32_t)pid;
	pl__emit(&u, size);
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
		if (!pl__self.exe[0])
			return 0;
		path = pl__self.exe;
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
