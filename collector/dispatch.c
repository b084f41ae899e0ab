/* The dispatch to one file per subcommand, apart from main() so that the
 * command-line fuzzer (tests/fuzz/fuzz_cli.c) calls it as main does. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "peerlog.h"

/* One version, the Makefile's VERSION (debian/changelog agrees: tested). */
#ifndef PL_VERSION
#error "PL_VERSION comes from the Makefile's VERSION"
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
	"  pairs               every socketpair and pipe, its creator, its holders\n"
	"  tree                the process tree with the ends each process held\n"
	"  check               does the live kernel agree with the journal?\n"
	"  lint                IPC mistakes the journal can prove\n"
	"  graph               the IPC topology, for dot or mermaid\n"
	"  ls [PID...]         live UNIX sockets of traced processes, with history\n"
	"  events              the raw records of the journal, in order\n"
	"  merge OUT IN...     journals of several runs or machines in one\n"
	"  help [COMMAND]      this text, or what 'peerlog COMMAND --help' says\n"
	"  report [-o DIR]     an HTML report and a Markdown summary, for CI\n"
	"\n"
	"Every command takes -j/--journal PATH (default $PEERLOG_JOURNAL,\n"
	"else ./peerlog.db); queries take --json and --color=auto|always|never\n"
	"(colour only on a terminal, never with NO_COLOR); the tables of who,\n"
	"pairs, ls and events take -o COLS (-o help lists them) and -n. Output\n"
	"is never paged. 'peerlog COMMAND --help' tells more.\n"
	"\n"
	"exit status: 0 answered, 1 no answer in the journal, 2 usage error,\n"
	"3 journal missing or unusable, 4 system error (the output could not\n"
	"be written, say); run exits with its command's status (126/127 when\n"
	"the command cannot be run); check exits 0 when the kernel agrees, 1\n"
	"when not, 2 on error. A reader that goes away ends a query quietly,\n"
	"by SIGPIPE, as it ends ls.\n";

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
	{ "merge", cmd_merge },
	{ "events", cmd_events },
	{ "report", cmd_report },
};

static int (*find_command(const char *name))(int, char **)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].fn;
	return NULL;
}

static int not_a_command(const char *name)
{
	if (name[0] == '-')
		pl_error("unknown option '%s'; see 'peerlog --help'", name);
	else
		pl_error("'%s' is not a peerlog command; see 'peerlog --help'",
			 name);
	return PL_EXIT_USAGE;
}

/* "peerlog help COMMAND" is "peerlog COMMAND --help", as in git. */
static int help(int argc, char **argv)
{
	char opt[] = "--help";
	int (*fn)(int, char **);

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return PL_EXIT_OK;
	}
	if (argc > 2) {
		pl_error("help takes one command ('%s')", argv[2]);
		return PL_EXIT_USAGE;
	}
	fn = find_command(argv[1]);
	if (!fn)
		return not_a_command(argv[1]);
	return fn(2, (char *[]){ argv[1], opt, NULL });
}

int pl_main(int argc, char **argv)
{
	int (*fn)(int, char **);
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
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		return help(1, argv + 1);
	if (!strcmp(cmd, "help"))
		return help(argc - 1, argv + 1);
	if (!strcmp(cmd, "--version")) {
		printf("peerlog %s (journal schema 2, spool format %d)\n",
		       PL_VERSION, PL_FORMAT_VERSION);
		return PL_EXIT_OK;
	}
	fn = find_command(cmd);
	if (fn)
		return pl_cli_done(fn(argc - 1, argv + 1));
	return not_a_command(cmd);
}
