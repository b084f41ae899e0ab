/* Command-line plumbing shared by the subcommands: error messages in one
 * style, the options every command takes, strict number parsing. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "peerlog.h"

int pl_cli_parse_only;

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

/* Say what is wrong with the option getopt stopped at, argv[optind - 1]:
 * by its name as typed, not by the letter getopt keeps for it. */
static void unknown_option(char **argv, const struct option *longopts,
			   int flags)
{
	const char *word = argv[optind - 1];
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);

	if (optopt == 'j' && (!strcmp(word, "-j") ||
			      !strncmp(word, "--journal", len))) {
		pl_error("option '-j' needs a journal path");
		return;
	}
	if (optopt == 'B' && (flags & PL_CLI_BOOT) &&
	    !strncmp(word, "--boot", len)) {
		pl_error("option '--boot' needs a boot id (or its first "
			 "characters)");
		return;
	}
	if (optopt == 'o' && (flags & PL_CLI_COLUMNS) &&
	    (!strcmp(word, "-o") || !strncmp(word, "--output", len))) {
		pl_error("option '-o' needs a list of columns (-o help "
			 "lists them)");
		return;
	}
	if (!strncmp(word, "--", 2) && eq && !(flags & PL_CLI_STOP))
		for (const struct option *o = longopts; o->name; o++)
			if (o->has_arg == no_argument &&
			    strlen(o->name) == len - 2 &&
			    !strncmp(o->name, word + 2, len - 2)) {
				pl_error("option '%.*s' takes no value",
					 (int)len, word);
				return;
			}
	if (optopt >= '0' && optopt <= '9') {
		/* within "-12" getopt has not moved past the word yet */
		const char *num = word[0] == '-' && strchr(word, optopt) ?
					  word : argv[optind];

		pl_error("'%s' is not an option, and no PID or FD is negative",
			 num ? num : word);
		return;
	}
	if (!strncmp(word, "--", 2) || !optopt)
		pl_error("unknown option '%.*s' for '%s'; see "
			 "'peerlog %s --help'", (int)len, word, argv[0],
			 argv[0]);
	else
		pl_error("unknown option '-%c' for '%s'; see "
			 "'peerlog %s --help'", optopt, argv[0], argv[0]);
}

int pl_cli_parse(int argc, char **argv, const char *usage,
		 struct pl_opts *opts, int *ret_next, int flags)
{
	static const struct option longopts[] = {
		{ "journal", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "no-check", no_argument, NULL, 'N' },
		{ "boot", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ "color", optional_argument, NULL, 'C' },
		{ "colour", optional_argument, NULL, 'C' },
		{ "output", required_argument, NULL, 'o' },
		{ "no-headings", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	enum pl_color_mode color = PL_COLOR_AUTO;
	int c;

	opts->journal = pl_journal_default();
	opts->json = 0;
	opts->no_check = 0;
	opts->boot = NULL;
	opts->columns = NULL;
	opts->no_headings = 0;
	opterr = 0;
	/* 0, not 1: glibc then forgets where it was inside a cluster of
	 * short options of an earlier argv (graph parses twice; the
	 * command-line fuzzer parses again and again). */
	optind = 0;
	/* Queries take options anywhere, as in "who PID FD --json"; run stops
	 * at its command, whose options are its own. */
	while ((c = getopt_long(argc, argv,
				(flags & PL_CLI_STOP)	  ? "+j:h"
				: (flags & PL_CLI_COLUMNS) ? "j:ho:n"
							   : "j:h",
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
		case 'N':
			if (flags & PL_CLI_STOP)
				goto unknown;
			opts->no_check = 1;
			break;
		case 'B':
			if (!(flags & PL_CLI_BOOT))
				goto unknown;
			if (!*optarg) {
				pl_error("empty boot id");
				return PL_EXIT_USAGE;
			}
			opts->boot = optarg;
			break;
		case 'C':
			if (flags & PL_CLI_STOP)
				goto unknown;
			if (!optarg) {
				color = PL_COLOR_ALWAYS; /* as ls --color */
			} else if (pl_color_parse(optarg, &color) < 0) {
				pl_error("unknown colour mode '%s' (auto, always "
					 "or never)", optarg);
				return PL_EXIT_USAGE;
			}
			break;
		case 'o':
			if (!(flags & PL_CLI_COLUMNS))
				goto unknown;
			opts->columns = optarg;
			break;
		case 'n':
			if (!(flags & PL_CLI_COLUMNS))
				goto unknown;
			opts->no_headings = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
		unknown:
			unknown_option(argv, longopts, flags);
			return PL_EXIT_USAGE;
		}
	}
	if (!(flags & PL_CLI_STOP)) {
		/* run leaves it as it found it, for the program it starts */
		sigset_t pipe;

		sigemptyset(&pipe);
		sigaddset(&pipe, SIGPIPE);
		sigprocmask(SIG_UNBLOCK, &pipe, NULL);
		signal(SIGPIPE, SIG_DFL);
		pl_color_setup(color);
	}
	*ret_next = optind;
	return 0;
}

int pl_cli_done(int rc)
{
	static int said; /* once, when a command calls it before main does */

	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	/* EPIPE: the reader went away (SIGPIPE held off): nothing to tell */
	if (errno != EPIPE && !said)
		pl_error("cannot write the output: %s", strerror(errno));
	said = 1;
	return rc ? rc : PL_EXIT_SYSTEM;
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

