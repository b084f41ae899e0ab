/* The dispatch to one file per subcommand, apart from main() so that the
 * command-line fuzzer (tests/fuzz/fuzz_cli.c) calls it as main does. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "peerlog.h"

#ifndef PL_VERSION
#define PL_VERSION "0.1.0"
#endif

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
	"  check               does the live kernel agree with the journal?\n"
	"  lint                IPC mistakes the journal can prove\n"
	"  graph               the IPC topology, for dot or mermaid\n"
	"  ls [PID...]         live UNIX sockets of traced processes, with history\n"
	"  report [-o DIR]     an HTML report and a Markdown summary, for CI\n"
	"\n"
	"Every command takes -j/--journal PATH (default $PEERLOG_JOURNAL,\n"
	"else ./peerlog.db); queries take --json. 'peerlog COMMAND --help'\n"
	"tells more.\n"
	"\n"
	"exit status: 0 answered, 1 no answer in the journal, 2 usage error,\n"
	"3 journal missing or unusable, 4 system error; run exits with its\n"
	"command's status (126/127 when the command cannot be run); check\n"
	"exits 0 when the kernel agrees, 1 when not, 2 on error.\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{ "run", cmd_run },
	{ "who", cmd_who },
	{ "pairs", cmd_pairs },
	{ "tree", cmd_tree },
	{ "check", cmd_check },
	{ "lint", cmd_lint },
	{ "graph", cmd_graph },
	{ "ls", cmd_ls },
	{ "report", cmd_report },
};

int pl_main(int argc, char **argv)
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
