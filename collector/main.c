/* peerlog: which process holds the other end of this socket?
 * The process set-up; dispatch.c runs the command. */
#include <malloc.h>
#include <unistd.h>

#include "peerlog.h"

int main(int argc, char **argv)
{
	/* A short-lived command: keep what it frees instead of giving it back
	 * to the kernel and faulting it in again. SQLite frees and allocates
	 * large blocks all the time; with glibc's default trimming, ingest
	 * spent two thirds of its time in brk and page faults (make bench:
	 * 3.4x faster without). */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	/* Queries can print hundreds of megabytes: in blocks of 1 MiB rather
	 * than 4 KiB when nobody watches them come. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);

	return pl_main(argc, argv);
}
