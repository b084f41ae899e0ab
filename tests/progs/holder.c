/* Reports the sockets this process holds, as the kernel tells it (fstat
 * of each fd in /proc/self/fd): "holder PID" then "fd N ino I" lines.
 * With -w, then waits until its stdin ends. Used as the program a traced
 * child execs. */
#include <dirent.h>
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
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "-w"))
		while (fgets(buf, sizeof(buf), stdin))
			;
	return 0;
}
