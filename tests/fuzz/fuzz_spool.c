/* Fuzz target: the bytes are a spool file, read and ingested as peerlog
 * does before every query (pl_ingest), into a journal in memory. Built
 * with libFuzzer by `make fuzz`; replay.c feeds it the corpus in
 * `make check`. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peerlog.h"
#include "spool.h"

static char dir[] = "/tmp/peerlog-fuzz-XXXXXX", spool[64];
/* an empty journal, serialised once: making the schema anew for each
 * input cost more than the ingest */
static unsigned char *empty;
static sqlite3_int64 empty_size;

/* libFuzzer and the replay end with exit(): leave nothing in /tmp */
static void remove_spool(void)
{
	unlink(spool);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sqlite3 *db = NULL;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(spool, sizeof(spool), "%s/fuzz.db.spool", dir);
	atexit(remove_spool);
	/* nobody is writing this spool: do not wait for its rooms */
	pl_spool_wait_us = 0;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    pl_journal_setup(db, ":memory:") != 0 ||
	    !(empty = sqlite3_serialize(db, "main", &empty_size, 0)))
		abort();
	sqlite3_close(db);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sqlite3 *db = NULL;
	int fd, rc;

	fd = open(spool, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror(spool);
		abort();
	}
	close(fd);
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		abort();
	{
		unsigned char *copy = sqlite3_malloc64((sqlite3_uint64)empty_size);

		if (!copy)
			abort();
		memcpy(copy, empty, (size_t)empty_size);
		if (sqlite3_deserialize(db, "main", copy, empty_size, empty_size,
					SQLITE_DESERIALIZE_FREEONCLOSE |
						SQLITE_DESERIALIZE_RESIZEABLE) != SQLITE_OK)
			abort();
	}
	rc = pl_ingest(db, spool);
	/* ingested, or refused with the documented status */
	if (rc != PL_EXIT_OK && rc != PL_EXIT_JOURNAL && rc != PL_EXIT_SYSTEM)
		abort();
	/* what was ingested is there to read: a second pass finds nothing
	 * new and must not fail where the first did not */
	if (rc == PL_EXIT_OK && pl_ingest(db, spool) != PL_EXIT_OK)
		abort();
	sqlite3_close(db);
	return 0;
}
