/* Fuzz target: the bytes, split at NUL bytes, are the arguments of
 * `peerlog`, run through the same dispatch and parsing as main's. The
 * commands stop where they would open a journal or start a program
 * (pl_cli_parse_only), so nothing is run and no journal is touched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peerlog.h"

#define MAX_ARGS 32

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pl_cli_parse_only = 1;
	/* the journal named by default, should a command get that far */
	setenv("PEERLOG_JOURNAL", "/nonexistent/peerlog-fuzz.db", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[MAX_ARGS + 2], *argv[MAX_ARGS + 2];
	int argc = 0, rc;
	size_t at = 0;

	args[argc++] = strdup("peerlog");
	while (at < size && argc <= MAX_ARGS) {
		const uint8_t *end = memchr(data + at, 0, size - at);
		size_t len = end ? (size_t)(end - (data + at)) : size - at;
		char *s = malloc(len + 1); /* each its own: overreads show */

		if (!s)
			abort();
		memcpy(s, data + at, len);
		s[len] = '\0';
		args[argc++] = s;
		at += len + 1;
	}
	args[argc] = NULL;
	/* getopt permutes argv: free what was allocated, not what is left */
	memcpy(argv, args, sizeof(args[0]) * (size_t)(argc + 1));
	rc = pl_main(argc, argv);
	if (rc < PL_EXIT_OK || rc > PL_EXIT_SYSTEM)
		abort(); /* not a documented status */
	for (int i = 0; i < argc; i++)
		free(args[i]);
	return 0;
}
