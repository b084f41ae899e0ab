/* Scenarios for the integration tests. Each prints what the kernel says
 * (pids, fds, inodes from fstat) as "key value" lines, so that a test can
 * check peerlog's answer against the truth.
 *
 *   scenario kill      child keeps its end and is killed with SIGKILL
 *   scenario noclose   child keeps its end and _exit()s without closing
 *   scenario cloexec   SOCK_CLOEXEC pair; the child execs /bin/true
 *   scenario errno     wrapped calls that fail and succeed; prints errno
 *   scenario daemon    daemon() (a fork inside libc); the daemon closes
 *                      fd0 and keeps fd1
 *   scenario vfork     the vfork child closes fd0, then every fd but 0-2
 *                      and fd1 one by one (as CPython's subprocess does),
 *                      and execs /bin/true; the parent closes fd0 itself,
 *                      later, and makes a new pair (new_fd0, new_ino0)
 *   scenario dupexec HOLDER
 *                      the child moves fd1 to fd 7 (dup2), copies it to a
 *                      close-on-exec fd (F_DUPFD_CLOEXEC) and execs HOLDER
 *   scenario closerange
 *                      children drop every fd (close_range, closefrom, and
 *                      dup2 over every fd first), then make a new pair
 *   scenario rangecloexec HOLDER
 *                      the child marks every fd close-on-exec with
 *                      close_range and execs HOLDER
 *   scenario clearenv HOLDER
 *                      the child execs "HOLDER -p" with an empty environment;
 *                      a second one execs "HOLDER -e" with only another
 *                      preload (libc.so.6) in it
 *   scenario spawn HOLDER
 *                      posix_spawn of HOLDER with file actions: fd1 moved to
 *                      fd 5, both ends closed
 *   scenario system HOLDER
 *                      system("HOLDER") with the pair open
 *   scenario execw HOLDER [ARG...]
 *                      the child closes fd0 and execs "HOLDER -w ARG...",
 *                      which waits for the end of its stdin
 *   scenario server PATH HOLDER
 *                      a forking server on the path socket PATH: a client
 *                      connects and execs "HOLDER -w"; the server accepts
 *                      and forks a handler that keeps the connection
 *   scenario listen PATH
 *                      a server on the path socket PATH that accepts one
 *                      connection, reads a byte and hangs up
 *   scenario connect PATH
 *                      a client of it: connects, writes a byte and waits
 *                      for the server to hang up (so that the accept
 *                      finds it connected)
 *   scenario threads HOLDER
 *                      three threads churn socketpairs while the main
 *                      thread forks children and a timer signal handler
 *                      makes pairs in any of them; the last child execs
 *                      HOLDER with fd1. Prints how many pairs were made.
 *   scenario churn N    makes and closes N pairs, printing "made I"
 *                      every 100
 *   scenario daemon2 HOLDER
 *                      double fork: the grandchild (setsid, orphaned) closes
 *                      fd0 and execs "HOLDER -w" with fd1
 *   scenario dropuid   (as root) the child switches to uid/gid 65534, closes
 *                      fd0 and makes a new pair (child_fd0, child_ino0)
 *   scenario leaky     the parent forgets to close the child's end (fd1);
 *                      the child uses its end and closes it
 *   scenario passfd HOLDER
 *                      a worker gets fd1 with SCM_RIGHTS and execs
 *                      "HOLDER -w"; another end (b1) is sent but never
 *                      received
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sys/time.h>
#include <linux/close_range.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static unsigned long ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static void pair(int type, int fds[2])
{
	if (socketpair(AF_UNIX, type, 0, fds) != 0) {
		perror("socketpair");
		exit(1);
	}
	printf("parent %d\nfd0 %d\nfd1 %d\nino0 %lu\nino1 %lu\n",
	       (int)getpid(), fds[0], fds[1], ino_of(fds[0]), ino_of(fds[1]));
}

static int kill_or_noclose(int killit)
{
	int fds[2], p[2], status;
	char c;
	pid_t child;

	pair(SOCK_STREAM, fds);
	if (pipe(p) != 0)
		return 1;
	child = fork();
	if (child == 0) {
		close(fds[0]);
		if (write(p[1], "x", 1) != 1)
			_exit(2);
		if (killit)
			for (;;)
				pause();
		_exit(0); /* fds[1] still open */
	}
	printf("child %d\n", (int)child);
	fflush(stdout);
	close(fds[1]);
	if (read(p[0], &c, 1) != 1)
		return 1;
	if (killit)
		kill(child, SIGKILL);
	waitpid(child, &status, 0);
	close(fds[0]);
	return 0;
}

static int cloexec(void)
{
	int fds[2], status;
	pid_t child;

	pair(SOCK_STREAM | SOCK_CLOEXEC, fds);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	printf("child %d\n", (int)child);
	waitpid(child, &status, 0);
	return WEXITSTATUS(status);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int daemonize(void)
{
	int fds[2];

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	if (daemon(1, 1) != 0)
		return 1;
	printf("daemon %d\n", (int)getpid());
	close(fds[0]);
	return 0;
}

static int vforked(void)
{
	int fds[2], nfds[2], status;
	pid_t child;

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	child = vfork();
	if (child == 0) {
		close(fds[0]);
		for (int fd = 3; fd < 1024; fd++)
			if (fd != fds[1])
				close(fd);
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	printf("child %d\n", (int)child);
	waitpid(child, &status, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, nfds) != 0)
		return 1;
	printf("new_fd0 %d\nnew_ino0 %lu\n", nfds[0], ino_of(nfds[0]));
	usleep(20000);
	printf("closing_ns %lld\n", now_ns());
	close(fds[0]);
	close(fds[1]);
	return 0;
}

static int dupexec(const char *holder)
{
	int fds[2], status;
	pid_t child;

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		int copy;

		close(fds[0]);
		if (dup2(fds[1], 7) != 7 || close(fds[1]) != 0)
			_exit(3);
		copy = fcntl(7, F_DUPFD_CLOEXEC, 10);
		if (copy < 10)
			_exit(3);
		printf("cloexec_copy %d\n", copy);
		fflush(stdout);
		execl(holder, "holder", (char *)NULL);
		_exit(127);
	}
	printf("child %d\n", (int)child);
	close(fds[1]);
	waitpid(child, &status, 0);
	close(fds[0]);
	return WEXITSTATUS(status);
}

/* One child per way of dropping every fd; each makes a new pair after. */
static int closerange(void)
{
	for (int how = 0; how < 3; how++) {
		int fds[2], pipefd[2], status;
		pid_t child;

		pair(SOCK_STREAM, fds);
		if (pipe(pipefd) != 0)
			return 1;
		child = fork();
		if (child == 0) {
			int out = dup(1), nfds[2];
			char line[128];

			if (how == 2) /* dup2 over every fd, the shim's too */
				for (int fd = 3; fd < 1024; fd++)
					if (fd != out)
						dup2(fds[0], fd);
			if (how == 0)
				close_range(3, ~0U, 0);
			else
				closefrom(3);
			/* out was closed too: report through stdout */
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, nfds) != 0)
				_exit(4);
			snprintf(line, sizeof(line),
				 "child%d %d\nnew%d_fd0 %d\nnew%d_ino0 %lu\n",
				 how, (int)getpid(), how, nfds[0], how,
				 ino_of(nfds[0]));
			if (write(1, line, strlen(line)) < 0)
				_exit(5);
			_exit(0);
		}
		waitpid(child, &status, 0);
		close(fds[0]);
		close(fds[1]);
		close(pipefd[0]);
		close(pipefd[1]);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
	}
	return 0;
}

static int rangecloexec(const char *holder)
{
	int fds[2], status;
	pid_t child;

	pair(SOCK_STREAM, fds);
	child = fork();
	if (child == 0) {
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		execl(holder, "holder", (char *)NULL);
		_exit(127);
	}
	printf("child %d\n", (int)child);
	waitpid(child, &status, 0);
	return WEXITSTATUS(status);
}

static int clearenv_exec(const char *holder)
{
	int fds[2], status;
	pid_t child;

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		char *argv[] = { "holder", "-p", NULL }, *envp[] = { NULL };

		execve(holder, argv, envp);
		_exit(127);
	}
	printf("child %d\n", (int)child);
	waitpid(child, &status, 0);
	if (WEXITSTATUS(status))
		return WEXITSTATUS(status);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		char *argv[] = { "holder", "-e", NULL };
		char *envp[] = { "LD_PRELOAD=libc.so.6", NULL };

		execve(holder, argv, envp);
		_exit(127);
	}
	waitpid(child, &status, 0);
	return WEXITSTATUS(status);
}

static int spawn(const char *holder)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "holder", NULL };
	int fds[2], status;
	pid_t child;

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 5);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	if (posix_spawn(&child, holder, &fa, NULL, argv, environ) != 0)
		return 1;
	posix_spawn_file_actions_destroy(&fa);
	printf("child %d\n", (int)child);
	close(fds[1]);
	waitpid(child, &status, 0);
	return WEXITSTATUS(status);
}

static int execw(const char *holder, char **extra, int nextra)
{
	int fds[2], status;
	pid_t child;

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		char *argv[nextra + 3];

		argv[0] = "holder";
		argv[1] = "-w";
		for (int i = 0; i < nextra; i++)
			argv[2 + i] = extra[i];
		argv[nextra + 2] = NULL;
		close(fds[0]);
		execv(holder, argv);
		_exit(127);
	}
	printf("child %d\n", (int)child);
	close(fds[1]);
	waitpid(child, &status, 0);
	close(fds[0]);
	return WEXITSTATUS(status);
}

static int send_fd(int channel, int fd)
{
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr c;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(channel, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int channel)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr c;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(channel, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int passfd(const char *holder)
{
	int a[2], b[2], c[2], go[2], status;
	char byte;
	pid_t w;

	/* go: the worker execs only once both fds are sent, or the holder
	 * could be gone (and the channel closed) before the second send */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, c) != 0 || pipe(go) != 0)
		return 1;
	fflush(stdout);
	w = fork();
	if (w == 0) {
		close(c[0]);
		close(go[1]);
		if (recv_fd(c[1]) < 0 || read(go[0], &byte, 1) != 1)
			_exit(3);
		close(go[0]);
		execl(holder, "holder", "-w", (char *)NULL);
		_exit(127);
	}
	close(c[1]);
	close(go[0]);
	pair(SOCK_STREAM, a);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, b) != 0)
		return 1;
	printf("worker %d\nb0 %d\nb_ino1 %lu\n", (int)w, b[0], ino_of(b[1]));
	fflush(stdout);
	if (send_fd(c[0], a[1]) != 0 || send_fd(c[0], b[1]) != 0 ||
	    write(go[1], "g", 1) != 1)
		return 1;
	close(go[1]);
	close(a[1]);
	close(b[1]);
	waitpid(w, &status, 0);
	return WEXITSTATUS(status);
}

/* A stream socket listening on PATH (its address in *A), or -1. */
static int listener(const char *path, struct sockaddr_un *a)
{
	int l;

	*a = (struct sockaddr_un){ .sun_family = AF_UNIX };
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
	unlink(path);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)a, sizeof(*a)) != 0 ||
	    listen(l, 4) != 0)
		return -1;
	return l;
}

static int server(const char *path, const char *holder)
{
	struct sockaddr_un a;
	int l, conn, status;
	pid_t client, handler;
	char byte;

	if ((l = listener(path, &a)) < 0)
		return 1;
	printf("parent %d\nlisten %d\n", (int)getpid(), l);
	fflush(stdout);
	client = fork();
	if (client == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		close(l);
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
			_exit(3);
		printf("client %d\nclient_fd %d\nclient_ino %lu\n",
		       (int)getpid(), s, ino_of(s));
		fflush(stdout);
		execl(holder, "holder", "-w", (char *)NULL);
		_exit(127);
	}
	conn = accept(l, NULL, NULL);
	if (conn < 0)
		return 1;
	printf("accepted_fd %d\naccepted_ino %lu\n", conn, ino_of(conn));
	fflush(stdout);
	handler = fork();
	if (handler == 0) {
		close(l);
		while (read(conn, &byte, 1) > 0) /* until the client hangs up */
			;
		_exit(0);
	}
	printf("handler %d\n", (int)handler);
	fflush(stdout);
	close(conn);
	waitpid(client, &status, 0);
	waitpid(handler, &status, 0);
	close(l);
	unlink(path);
	return 0;
}

/* listen and connect: the two ends of a connection, for two runs traced
 * into two journals (the merge test). */
static int listen_one(const char *path)
{
	struct sockaddr_un a;
	int l, conn;
	char byte;

	if ((l = listener(path, &a)) < 0)
		return 1;
	printf("server %d\nlisten %d\n", (int)getpid(), l);
	conn = accept(l, NULL, NULL);
	if (conn < 0)
		return 1;
	printf("accepted_fd %d\naccepted_ino %lu\n", conn, ino_of(conn));
	if (read(conn, &byte, 1) != 1)
		return 1;
	close(conn);
	close(l);
	unlink(path);
	return 0;
}

static int connect_one(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	char byte;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		return 1;
	printf("client %d\nclient_fd %d\nclient_ino %lu\n", (int)getpid(), s,
	       ino_of(s));
	if (write(s, "x", 1) != 1)
		return 1;
	while (read(s, &byte, 1) > 0)
		;
	close(s);
	return 0;
}

static int churn_total, signal_pairs;

static void *churn(void *arg)
{
	int fds[2], n = 0;

	(void)arg;
	for (int i = 0; i < 3000; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0) {
			close(fds[0]);
			close(fds[1]);
			n++;
		}
	__atomic_add_fetch(&churn_total, n, __ATOMIC_RELAXED);
	return NULL;
}

/* Async-signal-safe calls only: what a signal handler may do. (Not fork:
 * in a multithreaded process glibc's fork takes a lock, and a handler
 * interrupting a fork deadlocks, traced or not.) */
static void on_alarm(int sig)
{
	int fds[2], saved = errno;

	(void)sig;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0) {
		close(fds[0]);
		close(fds[1]);
		__atomic_add_fetch(&signal_pairs, 1, __ATOMIC_RELAXED);
	}
	errno = saved;
}

static int threads(const char *holder)
{
	struct itimerval tick = { { 0, 200 }, { 0, 200 } }, off = { 0 };
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	pthread_t t[3];
	int fds[2], status;
	pid_t child = -1;

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &tick, NULL);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, churn, NULL);
	for (int i = 0; i < 20; i++) {
		child = fork();
		if (child == 0) {
			close(fds[0]);
			if (i == 19) {
				execl(holder, "holder", (char *)NULL);
				_exit(127);
			}
			_exit(0);
		}
		if (i < 19)
			waitpid(child, &status, 0);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	waitpid(child, &status, 0);
	printf("child %d\npairs %d\n", (int)child,
	       1 + churn_total + signal_pairs);
	close(fds[0]);
	close(fds[1]);
	return WEXITSTATUS(status);
}

static int daemon2(const char *holder)
{
	int fds[2], status;
	pid_t first;

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	first = fork();
	if (first == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		close(fds[0]);
		printf("daemon %d\n", (int)getpid());
		fflush(stdout);
		execl(holder, "holder", "-w", (char *)NULL);
		_exit(127);
	}
	waitpid(first, &status, 0);
	close(fds[0]);
	close(fds[1]);
	return WEXITSTATUS(status);
}

static int dropuid(void)
{
	int fds[2], status;
	pid_t child;

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		int nfds[2];

		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
		    setuid(65534) != 0)
			_exit(3);
		close(fds[0]);
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, nfds) != 0)
			_exit(4);
		printf("child %d\nchild_uid %d\nchild_fd0 %d\nchild_ino0 %lu\n",
		       (int)getpid(), (int)getuid(), nfds[0], ino_of(nfds[0]));
		fflush(stdout);
		_exit(0);
	}
	waitpid(child, &status, 0);
	close(fds[0]);
	close(fds[1]);
	return WEXITSTATUS(status);
}

static int leaky(void)
{
	int fds[2], status;
	pid_t child;

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		close(fds[0]);
		if (write(fds[1], "x", 1) != 1)
			_exit(3);
		close(fds[1]);
		_exit(0);
	}
	printf("child %d\n", (int)child);
	waitpid(child, &status, 0);
	return WEXITSTATUS(status); /* fds[0] and fds[1] still open */
}

static int run_system(const char *holder)
{
	int fds[2];

	pair(SOCK_STREAM, fds);
	fflush(stdout);
	return system(holder) == 0 ? 0 : 1;
}

/* errno after each wrapped call, success and failure alike. */
static int errnos(void)
{
	int fds[2], r;

	errno = 0;
	r = close(-1);
	printf("close(-1) %d %s\n", r, strerror(errno));
	errno = 0;
	r = close(9999);
	printf("close(9999) %d %s\n", r, strerror(errno));
	errno = 0;
	r = socketpair(AF_INET, SOCK_STREAM, 0, fds);
	printf("socketpair(AF_INET) %d %s\n", r, strerror(errno));
	errno = 0;
	r = socketpair(AF_UNIX, 12345, 0, fds);
	printf("socketpair(bad type) %d %s\n", r, strerror(errno));
	errno = ENOTTY; /* success must leave errno alone */
	r = socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
	printf("socketpair %d %s\n", r, strerror(errno));
	errno = ENOTTY;
	r = close(fds[0]);
	printf("close(tracked) %d %s\n", r, strerror(errno));
	errno = 0;
	r = close(fds[0]);
	printf("close(tracked again) %d %s\n", r, strerror(errno));
	errno = 0;
	r = execl("/nonexistent/program", "x", (char *)NULL);
	printf("execl(missing) %d %s\n", r, strerror(errno));
	errno = 0;
	r = execvp("no-such-program-anywhere", (char *[]){ "x", NULL });
	printf("execvp(missing) %d %s\n", r, strerror(errno));
	errno = ENOTTY;
	r = fork();
	if (r == 0)
		_exit(errno == ENOTTY ? 5 : 6);
	printf("fork errno %s\n", strerror(errno));
	waitpid(r, &r, 0);
	printf("fork child saw errno kept: %s\n",
	       WEXITSTATUS(r) == 5 ? "yes" : "no");
	close(fds[1]);
	return 3; /* a status of our own, to see it come through */
}

/* churn N: make and close N pairs, saying how far it got every 100
 * (a test kills it part way). */
static int make_pairs(long n)
{
	for (long i = 1; i <= n; i++) {
		int fds[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
			return 1;
		close(fds[0]);
		close(fds[1]);
		if (i % 100 == 0)
			printf("made %ld\n", i);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "kill"))
		return kill_or_noclose(1);
	if (!strcmp(mode, "churn") && argc > 2)
		return make_pairs(atol(argv[2]));
	if (!strcmp(mode, "noclose"))
		return kill_or_noclose(0);
	if (!strcmp(mode, "cloexec"))
		return cloexec();
	if (!strcmp(mode, "errno"))
		return errnos();
	if (!strcmp(mode, "daemon"))
		return daemonize();
	if (!strcmp(mode, "vfork"))
		return vforked();
	if (!strcmp(mode, "dupexec") && argc > 2)
		return dupexec(argv[2]);
	if (!strcmp(mode, "closerange"))
		return closerange();
	if (!strcmp(mode, "rangecloexec") && argc > 2)
		return rangecloexec(argv[2]);
	if (!strcmp(mode, "clearenv") && argc > 2)
		return clearenv_exec(argv[2]);
	if (!strcmp(mode, "spawn") && argc > 2)
		return spawn(argv[2]);
	if (!strcmp(mode, "system") && argc > 2)
		return run_system(argv[2]);
	if (!strcmp(mode, "execw") && argc > 2)
		return execw(argv[2], argv + 3, argc - 3);
	if (!strcmp(mode, "passfd") && argc > 2)
		return passfd(argv[2]);
	if (!strcmp(mode, "leaky"))
		return leaky();
	if (!strcmp(mode, "dropuid"))
		return dropuid();
	if (!strcmp(mode, "threads") && argc > 2)
		return threads(argv[2]);
	if (!strcmp(mode, "daemon2") && argc > 2)
		return daemon2(argv[2]);
	if (!strcmp(mode, "server") && argc > 3)
		return server(argv[2], argv[3]);
	if (!strcmp(mode, "listen") && argc > 2)
		return listen_one(argv[2]);
	if (!strcmp(mode, "connect") && argc > 2)
		return connect_one(argv[2]);
	fprintf(stderr, "usage: scenario kill|noclose|cloexec|errno|churn|daemon|"
			"vfork|dupexec|closerange|rangecloexec|clearenv|spawn|"
			"system|execw|passfd|server|listen|connect|threads|daemon2|"
			"dropuid [PATH] "
			"[HOLDER]\n");
	return 2;
}
