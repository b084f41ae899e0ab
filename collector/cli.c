/* Command-line plumbing shared by the subcommands: error messages in one
 * style, the options every command takes, strict number parsing. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "peerlog.h"

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
		{ "no-check", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opts->journal = pl_journal_default();
	opts->json = 0;
	opts->no_check = 0;
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
		case 'N':
			if (flags & PL_CLI_STOP)
				goto unknown;
			opts->no_check = 1;
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

