/* The classic question, as a program: a parent makes a socketpair, forks,
 * and the child closes its copy of the parent's end and execs child1 with
 * the other end. Who holds the other end of the parent's fd?
 *
 *   parent [-w]     -w: after the exchange, wait for a line (or EOF) on
 *                   stdin before telling child1 to finish, so that the
 *                   tree can be inspected while it is alive.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "parent: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* child1 lives next to this program. */
static void child1_path(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		die("readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(buf, size, "%s/child1", dirname(self));
}

static void say(int fd, const char *msg)
{
	char reply[128];
	ssize_t n;

	if (write(fd, msg, strlen(msg)) < 0)
		die("write");
	n = read(fd, reply, sizeof(reply) - 1);
	if (n <= 0)
		die("read");
	reply[n] = '\0';
	printf("parent: child1 answered \"%s\"\n", reply);
}

int main(int argc, char **argv)
{
	int wait_stdin = argc > 1 && strcmp(argv[1], "-w") == 0;
	char path[PATH_MAX], fdarg[16];
	int fds[2], status;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
		die("socketpair");
	child1_path(path, sizeof(path));
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(fds[0]);
		snprintf(fdarg, sizeof(fdarg), "%d", fds[1]);
		execl(path, "child1", fdarg, (char *)NULL);
		fprintf(stderr, "parent: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	printf("parent: pid %d talks to child1 (pid %d) over fd %d\n",
	       (int)getpid(), (int)child, fds[0]);
	fflush(stdout);
	say(fds[0], "hello");
	if (wait_stdin) {
		char line[64];

		printf("parent: ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin)) {
			/* EOF: go on */
		}
	}
	say(fds[0], "bye");
	close(fds[0]);
	if (waitpid(child, &status, 0) < 0)
		die("waitpid");
	printf("parent: child1 exited with %d\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
