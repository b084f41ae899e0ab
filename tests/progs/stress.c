/* Programs for the fault and load tests: each does something a traced
 * program may do that is hard on a tracer, and prints what the kernel says
 * ("key value" lines) so that a test can hold the journal against it.
 *
 *   stress burst N M   N processes, released at once, each make M pairs
 *                      and keep them; each prints "pair PID INO0 INO1"
 *   stress errno       every wrapped call, failing and succeeding, with
 *                      errno set to ENOTTY before it: prints the result
 *                      and errno after it (traced and bare must match)
 *   stress fill        with RLIMIT_NOFILE at 1024, dup2s a socket over
 *                      every fd 3..1023, then closefrom(3); then makes
 *                      and closes 20000 pairs (more than the spool had
 *                      room for), makes one more and forks a child that
 *                      keeps one end ("after PID INO0 INO1", "child PID")
 *   stress nest N [FD] execs itself N times, passing FD (a pair end made
 *                      by the first generation) down; the last prints
 *                      "last PID FD INO"
 *   stress children N  N short-lived children, each closing its copy of
 *                      one end and exiting with status I % 100
 *   stress sigfork N   a timer signal handler forks (the child exits at
 *                      once) while the main loop makes and closes pairs,
 *                      until N forks were made; prints "forks N"
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static unsigned long ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static void die(const char *what)
{
	fprintf(stderr, "stress: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int burst(int n, int m)
{
	int go[2];

	if (pipe(go) != 0)
		die("pipe");
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		char c;

		if (p < 0)
			die("fork");
		if (p > 0)
			continue;
		close(go[1]);
		if (read(go[0], &c, 1) != 0) /* EOF: everyone goes */
			_exit(1);
		for (int k = 0; k < m; k++) {
			int sv[2];

			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
				_exit(1);
			printf("pair %d %lu %lu\n", (int)getpid(), ino_of(sv[0]),
			       ino_of(sv[1]));
		}
		fflush(stdout);
		_exit(0);
	}
	close(go[0]);
	close(go[1]);
	for (int i = 0, st; i < n; i++)
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	return 0;
}

/* One line per call: what it returned and errno after it, errno having
 * been ENOTTY before (a call that succeeds must leave it so). */
#define SAY(name, call)                                                     \
	do {                                                                \
		long r_;                                                    \
		errno = ENOTTY;                                             \
		r_ = (long)(call);                                          \
		printf("%-28s %ld %s\n", name, r_, strerror(errno));       \
	} while (0)

static int send_rights(int channel, int fd)
{
	char c = 'x', buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = buf, .msg_controllen = sizeof(buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return (int)sendmsg(channel, &m, 0);
}

static int recv_any(int channel, int flags)
{
	char c, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = buf, .msg_controllen = sizeof(buf) };

	return (int)recvmsg(channel, &m, flags);
}

static int errnos(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct sockaddr_un gone = { .sun_family = AF_UNIX };
	char *argv[] = { "x", NULL };
	int sv[2], l, c, s, d;
	pid_t pid;

	/* an abstract name of our own, and a path that is not there */
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "peerlog-errno-%d",
		 (int)getpid());
	snprintf(gone.sun_path, sizeof(gone.sun_path), "/nonexistent/sock");
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				     strlen(a.sun_path + 1));

	SAY("socketpair(AF_INET)", socketpair(AF_INET, SOCK_STREAM, 0, sv));
	SAY("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	SAY("socket(bad domain)", socket(12345, SOCK_STREAM, 0));
	SAY("socket", l = socket(AF_UNIX, SOCK_STREAM, 0));
	SAY("bind(bad fd)", bind(-1, (struct sockaddr *)&a, alen));
	SAY("bind(missing dir)", bind(l, (struct sockaddr *)&gone, sizeof(gone)));
	SAY("bind", bind(l, (struct sockaddr *)&a, alen));
	SAY("accept(not listening)", accept(l, NULL, NULL));
	SAY("listen", listen(l, 4));
	SAY("socket", c = socket(AF_UNIX, SOCK_STREAM, 0));
	SAY("connect(missing)", connect(c, (struct sockaddr *)&gone, sizeof(gone)));
	SAY("connect", connect(c, (struct sockaddr *)&a, alen));
	SAY("accept4", s = accept4(l, NULL, NULL, SOCK_CLOEXEC));
	SAY("accept4(bad flags)", accept4(l, NULL, NULL, 0x7fff0000));
	SAY("dup(-1)", dup(-1));
	SAY("dup", d = dup(sv[0]));
	SAY("dup2(bad newfd)", dup2(sv[0], -1));
	SAY("dup2(same)", dup2(sv[0], sv[0]));
	SAY("dup2", dup2(sv[0], 40));
	SAY("dup3(same fd)", dup3(sv[0], sv[0], 0));
	SAY("dup3(bad flags)", dup3(sv[0], 41, 12345));
	SAY("dup3", dup3(sv[1], 41, O_CLOEXEC));
	SAY("fcntl(-1, F_GETFD)", fcntl(-1, F_GETFD));
	SAY("fcntl(F_DUPFD)", fcntl(sv[0], F_DUPFD, 50));
	SAY("fcntl(F_DUPFD_CLOEXEC)", fcntl(sv[0], F_DUPFD_CLOEXEC, 50));
	SAY("fcntl(F_SETFD)", fcntl(sv[0], F_SETFD, FD_CLOEXEC));
	SAY("fcntl(F_GETFD)", fcntl(sv[0], F_GETFD));
	SAY("fcntl(bad cmd)", fcntl(sv[0], 99999));
	SAY("sendmsg(bad fd)", send_rights(-1, sv[0]));
	SAY("sendmsg(rights of bad fd)", send_rights(sv[0], 9999));
	SAY("sendmsg(rights)", send_rights(sv[0], c));
	SAY("recvmsg(rights)", recv_any(sv[1], 0));
	SAY("recvmsg(nothing there)", recv_any(sv[1], MSG_DONTWAIT));
	SAY("ioctl(-1, FIOCLEX)", ioctl(-1, FIOCLEX));
	SAY("ioctl(FIOCLEX)", ioctl(sv[0], FIOCLEX));
	SAY("ioctl(FIONCLEX)", ioctl(sv[0], FIONCLEX));
	SAY("sendmmsg(bad fd)", sendmmsg(-1, NULL, 0, 0));
	SAY("recvmmsg(nothing there)",
	    recvmmsg(sv[1], (struct mmsghdr[1]){ 0 }, 1, MSG_DONTWAIT, NULL));
	SAY("system", system("exit 3"));
	SAY("fexecve(-1)", fexecve(-1, argv, environ));
	SAY("execveat(-1)", execveat(-1, "x", argv, environ, 0));
	SAY("close(-1)", close(-1));
	SAY("close(9999)", close(9999));
	SAY("close(tracked)", close(d));
	SAY("close(tracked again)", close(d));
	SAY("close_range(bad)", close_range(60, 50, 0));
	SAY("close_range", close_range(50, 59, 0));
	SAY("close_range(cloexec)", close_range(40, 41, CLOSE_RANGE_CLOEXEC));
	errno = ENOTTY;
	closefrom(60);
	printf("%-28s %s\n", "closefrom", strerror(errno));
	SAY("posix_spawn(missing)",
	    posix_spawn(&pid, "/nonexistent/program", NULL, NULL, argv, environ));
	SAY("posix_spawnp(missing)",
	    posix_spawnp(&pid, "no-such-program-anywhere", NULL, NULL, argv,
			 environ));
	SAY("execv(missing)", execv("/nonexistent/program", argv));
	SAY("execvp(missing)", execvp("no-such-program-anywhere", argv));
	SAY("execve(not executable)", execve("/etc/hostname", argv, environ));
	errno = ENOTTY;
	pid = vfork();
	if (pid == 0)
		_exit(errno == ENOTTY ? 5 : 6);
	printf("%-28s %s\n", "vfork parent", strerror(errno));
	waitpid(pid, &d, 0);
	printf("%-28s %d\n", "vfork child status", WEXITSTATUS(d));
	errno = ENOTTY;
	pid = fork();
	if (pid == 0)
		_exit(errno == ENOTTY ? 5 : 6);
	printf("%-28s %s\n", "fork parent", strerror(errno));
	waitpid(pid, &d, 0);
	printf("%-28s %d\n", "fork child status", WEXITSTATUS(d));
	return 0;
}

static int fill(void)
{
	struct rlimit rl;
	int sv[2], after[2], go[2], fd;
	pid_t p;
	char c;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	if (rl.rlim_max < 1024) {
		printf("skip hard fd limit %lu\n", (unsigned long)rl.rlim_max);
		return 0;
	}
	rl.rlim_cur = 1024;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		die("socketpair");
	for (fd = 3; fd < 1024; fd++)
		if (fd != sv[0] && dup2(sv[0], fd) != fd)
			die("dup2");
	printf("filled %d\n", fd);
	closefrom(3);
	for (fd = 3; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0) {
			printf("still open %d\n", fd);
			return 1;
		}
	for (int i = 0; i < 20000; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, after) != 0)
			die("socketpair churn");
		close(after[0]);
		close(after[1]);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, after) != 0 || pipe(go) != 0)
		die("socketpair after");
	printf("after %d %lu %lu\n", (int)getpid(), ino_of(after[0]),
	       ino_of(after[1]));
	p = fork();
	if (p == 0) {
		close(after[0]);
		close(go[1]);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	printf("child %d\n", (int)p);
	fflush(stdout);
	close(after[1]);
	close(go[0]);
	close(go[1]); /* the child goes */
	waitpid(p, NULL, 0);
	return 0;
}

static int nest(int n, int fd, char *self)
{
	char num[16], fdbuf[16];

	if (fd < 0) { /* the first generation */
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			die("socketpair");
		close(sv[0]);
		fd = sv[1];
		printf("first %d %d %lu\n", (int)getpid(), fd, ino_of(fd));
		fflush(stdout);
	}
	if (n <= 1) {
		printf("last %d %d %lu\n", (int)getpid(), fd, ino_of(fd));
		return 0;
	}
	snprintf(num, sizeof(num), "%d", n - 1);
	snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
	execl("/proc/self/exe", self, "nest", num, fdbuf, (char *)NULL);
	die("exec");
	return 1;
}

static int children(int n)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		die("socketpair");
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		int st;

		if (p < 0)
			die("fork");
		if (p == 0) {
			close(sv[1]);
			_exit(i % 100);
		}
		if (waitpid(p, &st, 0) != p || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != i % 100)
			return 1;
	}
	printf("children %d\n", n);
	return 0;
}

static volatile sig_atomic_t forks, want;

static void on_timer(int sig)
{
	int err = errno;
	pid_t p;

	(void)sig;
	if (forks >= want)
		return;
	p = fork();
	if (p == 0)
		_exit(0);
	if (p > 0)
		forks++;
	errno = err;
}

static int sigfork(int n)
{
	struct sigaction sa = { .sa_handler = on_timer };
	struct itimerval it = { { 0, 500 }, { 0, 500 } };
	int reaped = 0;

	want = n;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGALRM, &sa, NULL) != 0 ||
	    setitimer(ITIMER_REAL, &it, NULL) != 0)
		die("timer");
	while (forks < want) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			die("socketpair");
		close(sv[0]);
		close(sv[1]);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	while (reaped < n)
		if (wait(NULL) > 0)
			reaped++;
		else if (errno != EINTR)
			break;
	printf("forks %d\n", (int)forks);
	return reaped == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "burst") && argc > 3)
		return burst(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(mode, "errno"))
		return errnos();
	if (!strcmp(mode, "fill"))
		return fill();
	if (!strcmp(mode, "nest") && argc > 2)
		return nest(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : -1, argv[0]);
	if (!strcmp(mode, "children") && argc > 2)
		return children(atoi(argv[2]));
	if (!strcmp(mode, "sigfork") && argc > 2)
		return sigfork(atoi(argv[2]));
	fprintf(stderr, "usage: stress burst N M | errno | fill | nest N | "
			"children N | sigfork N\n");
	return 2;
}
