/* peerlog: which process holds the other end of this socket?
 * The command-line front end: dispatch to one file per subcommand. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "peerlog.h"

#ifndef PL_VERSION
#define PL_VERSION "0.1.0"
#endif

void pl_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("peerlog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void pl_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("peerlog: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int pl_cli_parse(int argc, char **argv, const char *usage,
		 struct pl_opts *opts, int *ret_next, int flags)
{
	static const struct option longopts[] = {
		{ "journal", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opts->journal = pl_journal_default();
	opts->json = 0;
	opterr = 0;
	optind = 1;
	/* Queries take options anywhere, as in "who PID FD --json"; run stops
	 * at its command, whose options are its own. */
	while ((c = getopt_long(argc, argv,
				(flags & PL_CLI_STOP) ? "+j:h" : "j:h",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!*optarg) {
				pl_error("empty journal path");
				return PL_EXIT_USAGE;
			}
			opts->journal = optarg;
			break;
		case 'J':
			if (flags & PL_CLI_STOP)
				goto unknown;
			opts->json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
		unknown:
			if (optopt == 'j')
				pl_error("option '-j' needs a journal path");
			else if (optopt)
				pl_error("unknown option '-%c' for '%s'; see "
					 "'peerlog %s --help'", optopt, argv[0],
					 argv[0]);
			else
				pl_error("unknown option '%s' for '%s'; see "
					 "'peerlog %s --help'", argv[optind - 1],
					 argv[0], argv[0]);
			return PL_EXIT_USAGE;
		}
	}
	*ret_next = optind;
	return 0;
}

int pl_cli_number(const char *s, const char *what, long min, long max,
		  long *ret)
{
	char *end;
	long v;

	if (!*s || *s == '+' || *s == ' ') {
		pl_error("%s '%s' is not a number", what, s);
		return PL_EXIT_USAGE;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end) {
		pl_error("%s '%s' is not a number", what, s);
		return PL_EXIT_USAGE;
	}
	if (errno || v < min || v > max) {
		pl_error("%s '%s' is out of range (%ld to %ld)", what, s, min,
			 max);
		return PL_EXIT_USAGE;
	}
	*ret = v;
	return 0;
}

static const char usage[] =
	"usage: peerlog [--version] [--help] COMMAND [ARGS]\n"
	"\n"
	"Record which processes create, inherit and drop UNIX sockets, and\n"
	"answer who holds the other end, live or after every process exited.\n"
	"\n"
	"commands:\n"
	"  run -- CMD [ARGS]   run CMD with every process of its tree traced\n"
	"  who PID [FD]        the end PID holds at FD, its peer and who holds it\n"
	"  pairs               every socketpair, its creator and its holders\n"
	"  tree                the process tree with the ends each process held\n"
	"\n"
	"Every command takes -j/--journal PATH (default $PEERLOG_JOURNAL,\n"
	"else ./peerlog.db); queries take --json. 'peerlog COMMAND --help'\n"
	"tells more.\n"
	"\n"
	"exit status: 0 answered, 1 no answer in the journal, 2 usage error,\n"
	"3 journal missing or unusable, 4 system error; run exits with its\n"
	"command's status (126/127 when the command cannot be run).\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{ "run", cmd_run },
	{ "who", cmd_who },
	{ "pairs", cmd_pairs },
	{ "tree", cmd_tree },
};

int main(int argc, char **argv)
{
	const char *cmd;

	/* "peerlog -j PATH COMMAND" names the journal for any command, and for
	 * what run starts: it goes through the environment. */
	while (argc > 1 && (!strcmp(argv[1], "-j") ||
			    !strcmp(argv[1], "--journal") ||
			    !strncmp(argv[1], "--journal=", 10))) {
		const char *path = argv[1][1] == 'j' || argv[1][9] == '\0'
					   ? argv[2] : argv[1] + 10;
		int used = path == argv[2] ? 2 : 1;

		if (!path || !*path) {
			pl_error("option '%s' needs a journal path", argv[1]);
			return PL_EXIT_USAGE;
		}
		setenv("PEERLOG_JOURNAL", path, 1);
		argc -= used;
		argv += used;
	}
	cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(usage, stderr);
		return PL_EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return PL_EXIT_OK;
	}
	if (!strcmp(cmd, "--version")) {
		printf("peerlog %s (journal schema 1, spool format %d)\n",
		       PL_VERSION, PL_FORMAT_VERSION);
		return PL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (cmd[0] == '-')
		pl_error("unknown option '%s'; see 'peerlog --help'", cmd);
	else
		pl_error("'%s' is not a peerlog command; see 'peerlog --help'",
			 cmd);
	return PL_EXIT_USAGE;
}
