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
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

static char shim_path[PATH_MAX];
static char journal_path[PATH_MAX];

/* Remember where we are and where we write; called by the constructor. */
void pl__env_init(const char *journal)
{
	Dl_info info;

	if (dladdr((void *)pl__env_init, &info) && info.dli_fname) {
		if (!realpath(info.dli_fname, shim_path))
			snprintf(shim_path, sizeof(shim_path), "%s",
				 info.dli_fname);
	}
	snprintf(journal_path, sizeof(journal_path), "%s", journal);
}

size_t pl__env_count(char *const *envp)
{
	size_t n = 0;

	while (envp && envp[n])
		n++;
	return n;
}

/* Does the colon- or space-separated list LIST name our library? */
static int lists_us(const char *list)
{
	size_t len = strlen(shim_path);
	const char *p = list;

	while ((p = strstr(p, shim_path))) {
		if ((p == list || p[-1] == ':' || p[-1] == ' ') &&
		    (p[len] == '\0' || p[len] == ':' || p[len] == ' '))
			return 1;
		p += len;
	}
	return 0;
}

/* ENVP, or OUT (room for pl__env_count(envp) + 3 pointers) holding ENVP
 * with our variables added. The strings go to FX, in the caller's frame. */
char *const *pl__env_fix(char *const *envp, char **out,
			 struct pl_envfix *fx)
{
	static const char lp[] = "LD_PRELOAD=", pj[] = "PEERLOG_JOURNAL=";
	int preload_at = -1, has_journal = 0;
	size_t n = 0, k;

	if (pl__self.spool_fd < 0 || !shim_path[0] || !journal_path[0])
		return envp; /* we are not recording: do not spread */
	for (; envp && envp[n]; n++) {
		if (!strncmp(envp[n], lp, sizeof(lp) - 1))
			preload_at = (int)n;
		else if (!strncmp(envp[n], pj, sizeof(pj) - 1))
			has_journal = 1;
	}
	if (has_journal && preload_at >= 0 &&
	    lists_us(envp[preload_at] + sizeof(lp) - 1))
		return envp;

	for (k = 0; k < n; k++)
		out[k] = envp[k];
	if (preload_at < 0 || !lists_us(envp[preload_at] + sizeof(lp) - 1)) {
		const char *old = preload_at >= 0 ?
					  envp[preload_at] + sizeof(lp) - 1 : "";
		int len = snprintf(fx->preload, sizeof(fx->preload), "%s%s%s%s",
				   lp, shim_path, *old ? ":" : "", old);

		if (len > 0 && (size_t)len < sizeof(fx->preload)) {
			if (preload_at >= 0)
				out[preload_at] = fx->preload;
			else
				out[n++] = fx->preload;
		}
	}
	if (!has_journal) {
		snprintf(fx->journal, sizeof(fx->journal), "%s%s", pj,
			 journal_path);
		out[n++] = fx->journal;
	}
	out[n] = NULL;
	return out;
}
