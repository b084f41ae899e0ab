/* The "no EOF" bug, with a pipe: the parent makes a pipe and forks a
 * child that writes two lines and exits; the parent reads until end of
 * file, but forgot to close its own copy of the write end, so the end of
 * file never comes. Here it gives up after a second instead of waiting
 * forever. peerlog who answers why:
 *
 *     peerlog run -- build/examples/noeof
 *     peerlog who PID 3     # the write end is held by PID itself, at fd 4
 *     peerlog lint          # idle-write-end
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	struct pollfd p = { .events = POLLIN };
	char buf[256];
	int fds[2];
	ssize_t n;
	pid_t child;

	if (pipe(fds) != 0) {
		perror("noeof: pipe");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("noeof: fork");
		return 1;
	}
	if (child == 0) {
		static const char lines[] = "line 1\nline 2\n";

		close(fds[0]);
		if (write(fds[1], lines, strlen(lines)) < 0)
			_exit(1);
		_exit(0);
	}
	/* the bug: close(fds[1]) is missing here */
	printf("noeof: pid %d reads fd %d; child %d writes\n", (int)getpid(),
	       fds[0], (int)child);
	fflush(stdout);
	p.fd = fds[0];
	for (;;) {
		if (poll(&p, 1, 1000) == 0) {
			printf("noeof: no end of file after 1 s: someone still "
			       "holds the write end\n");
			break;
		}
		n = read(fds[0], buf, sizeof(buf));
		if (n <= 0) {
			printf("noeof: end of file\n");
			break;
		}
		printf("noeof: read %zd bytes\n", n);
	}
	waitpid(child, NULL, 0);
	return 0;
}
