/* peerlog run: start a command with the shim preloaded.
 *
 * We exec the command in place rather than fork and wait: its exit status,
 * signals and terminal are then its own, and nothing of peerlog stays
 * between it and its parent. The journal is ingested on the next query.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "peerlog.h"
#include "../schema/files.h"

static const char usage[] =
	"usage: peerlog run [-j PATH] [--] CMD [ARGS]\n"
	"\n"
	"Run CMD with libpeerlog.so preloaded, so that it and every process it\n"
	"starts record their UNIX sockets into the journal PATH (default\n"
	"$PEERLOG_JOURNAL, else ./peerlog.db). Exits with CMD's status.\n"
	"\n"
	"  -j, --journal PATH  journal to record into\n";

#if defined(PL_LIB64) && defined(PL_LIB32)
/* Is PATH an ELF file of class CLASS (ELFCLASS32, ELFCLASS64)? */
static int elf_class_is(const char *path, int class)
{
	unsigned char id[EI_NIDENT];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, id, sizeof(id));
	close(fd);
	return n == (ssize_t)sizeof(id) && !memcmp(id, ELFMAG, SELFMAG) &&
	       id[EI_CLASS] == class;
}

/* The shim at BUF (DIR/libpeerlog.so), preloaded as DIR/$LIB/libpeerlog.so
 * when both builds are there, where ld.so's $LIB points for each class of
 * program (PL_LIB64 and PL_LIB32, found by make): a 32-bit program in the
 * tree then loads the 32-bit build instead of ld.so saying "wrong ELF
 * class" on its stderr and running untraced. */
static void lib_form(char *buf, size_t size)
{
	char copy[PATH_MAX], lib64[PATH_MAX + 64], lib32[PATH_MAX + 64];
	const char *dir;

	snprintf(copy, sizeof(copy), "%s", buf);
	dir = dirname(copy);
	snprintf(lib64, sizeof(lib64), "%s/" PL_LIB64 "/libpeerlog.so", dir);
	snprintf(lib32, sizeof(lib32), "%s/" PL_LIB32 "/libpeerlog.so", dir);
	if (elf_class_is(lib64, ELFCLASS64) && elf_class_is(lib32, ELFCLASS32) &&
	    strlen(dir) + sizeof("/$LIB/libpeerlog.so") <= size)
		snprintf(buf, size, "%s/$LIB/libpeerlog.so", dir);
}
#else
static void lib_form(char *buf, size_t size)
{
	(void)buf; /* no 32-bit build: the plain path */
	(void)size;
}
#endif

/* The shim lives next to this binary (build/) or, installed, in
 * ../lib/peerlog/. $PEERLOG_LIB overrides both; one that names the
 * builds through $LIB is taken as it is (ld.so expands it). */
static int find_shim(char *buf, size_t size)
{
	const char *env = getenv("PEERLOG_LIB");
	static const char *const rel[] = { "libpeerlog.so",
					   "../lib/peerlog/libpeerlog.so" };
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		if (strstr(buf, "$LIB") || strstr(buf, "${LIB}"))
			return 0;
		return access(buf, R_OK) == 0 ? 0 : -1;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -1;
	self[n] = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", self);
		snprintf(buf, size, "%s/%s", dirname(dir), rel[i]);
		if (access(buf, R_OK) == 0) {
			lib_form(buf, size);
			return 0;
		}
	}
	return -1;
}

int cmd_run(int argc, char **argv)
{
	struct pl_opts opts;
	struct pl_buf preload = { 0 }, journal = { 0 };
	const char *old;
	char shim[PATH_MAX];
	int next, rc, err;

	rc = pl_cli_parse(argc, argv, usage, &opts, &next, PL_CLI_STOP);
	if (rc)
		return rc < 0 ? PL_EXIT_OK : rc;
	if (next < argc && !strcmp(argv[next], "--"))
		next++;
	if (next >= argc) {
		pl_error("run needs a command; see 'peerlog run --help'");
		return PL_EXIT_USAGE;
	}
	if (pl_cli_parse_only)
		return PL_EXIT_JOURNAL;
	if (find_shim(shim, sizeof(shim)) < 0) {
		pl_error("cannot find libpeerlog.so next to peerlog "
			 "(set PEERLOG_LIB to its path)");
		return PL_EXIT_SYSTEM;
	}

	/* Every process of the tree must find the same journal, wherever it
	 * chdirs to. */
	if (opts.journal[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd))) {
			pl_error("cannot get the current directory: %s",
				 strerror(errno));
			rc = PL_EXIT_SYSTEM;
			goto out;
		}
		pl_buf_addf(&journal, "%s/", cwd);
	}
	pl_buf_adds(&journal, opts.journal);

	/* Say now, once, if nothing could be recorded, rather than let every
	 * traced process say it. The shim opens the spool the same way. */
	{
		char spool[PATH_MAX] = "";
		struct stat st;
		int fd = -ENAMETOOLONG, mode;

		rc = pl_file_mode(&mode);
		if (rc)
			goto out;
		if (pl_spool_path(journal.p, spool, sizeof(spool)) == 0)
			fd = pl_file_open(spool, O_WRONLY | O_APPEND, mode);
		if (fd == -ELOOP) {
			pl_error("refusing spool '%s': it is a symlink", spool);
		} else if (fd < 0) {
			pl_error("cannot record into '%s': %s", spool,
				 strerror(-fd));
		} else if (fstat(fd, &st) != 0 || !pl_file_ours(&st)) {
			pl_error("refusing spool '%s': not a regular file owned "
				 "by you or root", spool);
			close(fd);
			fd = -EPERM;
		}
		if (fd < 0) {
			rc = PL_EXIT_JOURNAL;
			goto out;
		}
		close(fd);
	}

	/* Ours first, other preloads after. */
	pl_buf_adds(&preload, shim);
	old = getenv("LD_PRELOAD");
	if (old && *old)
		pl_buf_addf(&preload, ":%s", old);

	if (setenv("LD_PRELOAD", preload.p, 1) != 0 ||
	    setenv("PEERLOG_JOURNAL", journal.p, 1) != 0) {
		pl_error("cannot set the environment: %s", strerror(errno));
		rc = PL_EXIT_SYSTEM;
		goto out;
	}
	execvp(argv[next], argv + next);
	err = errno;
	pl_error("cannot run '%s': %s", argv[next], strerror(err));
	rc = err == ENOENT ? 127 : 126;
out:
	pl_buf_free(&preload);
	pl_buf_free(&journal);
	return rc;
}
