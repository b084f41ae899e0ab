/* Pipes and FIFOs for the integration tests (integration/pipes.sh). Each
 * mode prints "key value" lines: the pids and fds a test asks about, and
 * the inode of the pipe as fstat gives it. With -w the process that
 * holds what the test asks about waits until its stdin ends, so that the
 * question is asked while everything runs.
 *
 *   leak          pipe, fork a writer; the parent reads one line, keeping
 *                 its copy of the write end (the classic "no EOF" bug)
 *   fixed         the same, the parent closes its write end and reads
 *                 to EOF
 *   shell         like a shell's "echo hello | cat": writer and reader
 *                 children dup2 the ends onto 1 and 0 and exec; the parent
 *                 closes the read end, keeps the write end (cat waits)
 *   pass PATH...  the write end is passed with SCM_RIGHTS to a child that
 *                 writes; the parent reads to EOF
 *   fifo PATH     mkfifo PATH; a child opens it for writing and writes;
 *                 the parent opens it for reading and reads to EOF
 *   popen         popen("cat", "w"), a line written to it, pclose
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int wait_stdin;

static void die(const char *what)
{
	fprintf(stderr, "pipes: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void hold(void)
{
	char buf[64];

	if (!wait_stdin)
		return;
	printf("waiting\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
}

static unsigned long long ino_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		die("fstat");
	return (unsigned long long)st.st_ino;
}

static void reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("child");
}

/* leak and fixed: a writer child, the parent reads */
static int reader_parent(int fixed)
{
	char buf[64];
	int p[2];
	ssize_t n;
	pid_t c;

	if (pipe(p) != 0)
		die("pipe");
	printf("parent %d\nrfd %d\nwfd %d\nino %llu\n", (int)getpid(), p[0],
	       p[1], ino_of(p[0]));
	fflush(stdout);
	c = fork();
	if (c < 0)
		die("fork");
	if (c == 0) {
		close(p[0]);
		if (write(p[1], "hello\n", 6) != 6)
			die("write");
		_exit(0);
	}
	printf("child %d\n", (int)c);
	fflush(stdout);
	if (fixed)
		close(p[1]);
	n = read(p[0], buf, sizeof(buf));
	printf("read %zd\n", n);
	fflush(stdout);
	reap(c);
	if (fixed) {
		while ((n = read(p[0], buf, sizeof(buf))) > 0)
			;
		printf("eof\n");
	}
	hold();
	return 0;
}

static pid_t spawn(int from, int to, int other, char *const argv[])
{
	pid_t c = fork();

	if (c < 0)
		die("fork");
	if (c == 0) {
		if (dup2(from, to) < 0)
			die("dup2");
		close(from);
		close(other);
		execv(argv[0], argv);
		die("execv");
	}
	return c;
}

static int shell(void)
{
	char *echo[] = { "/bin/echo", "hello", NULL };
	char *cat[] = { "/bin/cat", NULL };
	int p[2];
	pid_t w, r;

	if (pipe(p) != 0)
		die("pipe");
	printf("parent %d\nwfd %d\nino %llu\n", (int)getpid(), p[1],
	       ino_of(p[0]));
	w = spawn(p[1], 1, p[0], echo);
	/* cat's stdout: ours */
	r = spawn(p[0], 0, p[1], cat);
	printf("writer %d\nreader %d\n", (int)w, (int)r);
	fflush(stdout);
	close(p[0]); /* the write end stays: cat sees no EOF */
	reap(w);
	hold();
	close(p[1]);
	reap(r);
	return 0;
}

static int pass(void)
{
	char buf[CMSG_SPACE(sizeof(int))], data[64], byte = 'x';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = buf, .msg_controllen = sizeof(buf),
	};
	struct cmsghdr *c;
	int sv[2], p[2];
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(p) != 0)
		die("socketpair, pipe");
	printf("parent %d\nrfd %d\nino %llu\n", (int)getpid(), p[0],
	       ino_of(p[0]));
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		int fd;

		close(sv[0]);
		close(p[0]);
		close(p[1]);
		if (recvmsg(sv[1], &msg, 0) != 1)
			die("recvmsg");
		c = CMSG_FIRSTHDR(&msg);
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		printf("child %d\nchild_wfd %d\n", (int)getpid(), fd);
		fflush(stdout);
		if (write(fd, "hello\n", 6) != 6)
			die("write");
		_exit(0);
	}
	close(sv[1]);
	memset(buf, 0, sizeof(buf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	if (sendmsg(sv[0], &msg, 0) != 1)
		die("sendmsg");
	close(p[1]);
	while (read(p[0], data, sizeof(data)) > 0)
		;
	printf("eof\n");
	reap(child);
	hold();
	return 0;
}

static int fifo(const char *path)
{
	char buf[64];
	pid_t c;
	int fd;

	if (mkfifo(path, 0600) != 0)
		die("mkfifo");
	c = fork();
	if (c < 0)
		die("fork");
	if (c == 0) {
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, "hello\n", 6) != 6)
			die("open, write");
		printf("child %d\nchild_wfd %d\n", (int)getpid(), fd);
		fflush(stdout);
		_exit(0);
	}
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open");
	printf("parent %d\nrfd %d\nino %llu\n", (int)getpid(), fd, ino_of(fd));
	fflush(stdout);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	printf("eof\n");
	reap(c);
	hold();
	return 0;
}

static int to_cat(void)
{
	FILE *fp = popen("cat", "w");

	if (!fp)
		die("popen");
	printf("parent %d\npfd %d\n", (int)getpid(), fileno(fp));
	fflush(stdout);
	fprintf(fp, "hello\n");
	fflush(fp);
	hold();
	if (pclose(fp) != 0)
		die("pclose");
	printf("closed\n");
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (i < argc && !strcmp(argv[i], "-w")) {
		wait_stdin = 1;
		i++;
	}
	if (i >= argc)
		goto usage;
	if (!strcmp(argv[i], "leak") || !strcmp(argv[i], "fixed"))
		return reader_parent(!strcmp(argv[i], "fixed"));
	if (!strcmp(argv[i], "shell"))
		return shell();
	if (!strcmp(argv[i], "pass"))
		return pass();
	if (!strcmp(argv[i], "fifo") && i + 1 < argc)
		return fifo(argv[i + 1]);
	if (!strcmp(argv[i], "popen"))
		return to_cat();
usage:
	fprintf(stderr,
		"usage: pipes [-w] leak|fixed|shell|pass|popen|fifo PATH\n");
	return 2;
}
