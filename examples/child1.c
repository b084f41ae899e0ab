/* The program the parent's child execs: answers each message on the fd
 * given as its argument until the parent says "bye" or hangs up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[128];
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: child1 FD\n");
		return 2;
	}
	fd = atoi(argv[1]);
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (write(fd, strcmp(buf, "bye") ? "pong" : "so long", 
			  strcmp(buf, "bye") ? 4 : 7) < 0)
			return 1;
		if (!strcmp(buf, "bye"))
			break;
	}
	close(fd);
	return 0;
}
