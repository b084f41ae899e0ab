/* Reports the sockets this process holds, as the kernel tells it (fstat
 * of each fd in /proc/self/fd): "holder PID" then "fd N ino I" lines.
 * With -p, first makes a socketpair of its own ("own_fd0 N", "own_ino0 I").
 * With -e, prints its LD_PRELOAD ("preload VALUE").
 * With -c, closes every socket it holds after listing them; with -d, dups
 * each to its fd + 20 (behind the back of a tracer, if it is static).
 * With -w, then waits until its stdin ends. Used as the program a traced
 * child execs. */
#include <dirent.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char buf[64];

	printf("holder %d\n", (int)getpid());
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-e"))
			printf("preload %s\n", getenv("LD_PRELOAD") ?
						       getenv("LD_PRELOAD") : "");
	for (int i = 1; i < argc; i++) {
		int fds[2];
		struct stat st;

		if (strcmp(argv[i], "-p") != 0)
			continue;
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0 ||
		    fstat(fds[0], &st) != 0)
			return 1;
		printf("own_fd0 %d\nown_ino0 %lu\n", fds[0],
		       (unsigned long)st.st_ino);
	}
	while (d && (e = readdir(d))) {
		struct stat st;
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			printf("fd %d ino %lu\n", fd, (unsigned long)st.st_ino);
	}
	if (d)
		closedir(d);
	for (int i = 1; i < argc; i++) {
		int close_them = !strcmp(argv[i], "-c");

		if (!close_them && strcmp(argv[i], "-d") != 0)
			continue;
		/* copies land at 23 and up: not visited again */
		for (int fd = 3; fd < 20; fd++) {
			struct stat st;

			if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
				continue;
			if (close_them)
				close(fd);
			else if (dup2(fd, fd + 20) == fd + 20)
				printf("dup %d %d\n", fd, fd + 20);
		}
		printf("%s\n", close_them ? "closed" : "duped");
	}
	fflush(stdout);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-w"))
			while (fgets(buf, sizeof(buf), stdin))
				;
	return 0;
}
