/* make bench: what tracing costs, as ratios against the same work done
 * bare in the same invocation, and how the journal scales.
 *
 *   bench BUILD_DIR [OUT.json [NAME...]]
 *                                  run everything (or the workloads
 *                                  named, "scale" for the scale test),
 *                                  print the table
 *   bench --work NAME N            one workload, N iterations (what is
 *                                  timed, bare, traced or under strace)
 *   bench --gen-spool PATH EVENTS PROCS
 *                                  a synthetic spool for the scale test
 *
 * Each workload runs as a fresh process: bare and traced alternate
 * (A B A B ...) so that drift of the machine hits both alike; a round's
 * ratio is traced/bare wall time, and the table gives the median with
 * min and max over the rounds, plus strace -f -yy once per round where
 * strace is installed. Each round also runs the work with an empty
 * preloaded library (floor.so, when built): the "floor" column is the
 * median of that over bare, the cost of LD_PRELOAD itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../schema/record.h"

#define ROUNDS 11

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the workloads ---------------------------------------------------- */

static void storm(long n)
{
	for (long i = 0; i < n; i++) {
		int fds[2];
		pid_t p;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
			exit(1);
		p = fork();
		if (p == 0) {
			dup2(fds[1], 5);
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		close(fds[0]);
		close(fds[1]);
		waitpid(p, NULL, 0);
	}
}

static void churn(long n)
{
	for (long i = 0; i < n; i++) {
		int fds[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
			exit(1);
		close(fds[0]);
		close(fds[1]);
	}
}

static void *churn_thread(void *arg)
{
	churn((long)(intptr_t)arg);
	return NULL;
}

static void threads(long n)
{
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn_thread, (void *)(intptr_t)n);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

static void pingpong(long n)
{
	int fds[2];
	char c = 'x';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	pid_t p;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
		exit(1);
	p = fork();
	if (p == 0) {
		close(fds[0]);
		while (recvmsg(fds[1], &m, 0) == 1)
			if (sendmsg(fds[1], &m, 0) != 1)
				break;
		_exit(0);
	}
	close(fds[1]);
	for (long i = 0; i < n; i++)
		if (sendmsg(fds[0], &m, 0) != 1 || recvmsg(fds[0], &m, 0) != 1)
			exit(1);
	close(fds[0]);
	waitpid(p, NULL, 0);
}

static void files(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			exit(1);
		close(fd);
	}
}

static const struct workload {
	const char *name;
	void (*run)(long);
	long n;
	double target; /* issue #5's median traced/bare */
} workloads[] = {
	{ "storm", storm, 300, 1.05 },
	{ "churn", churn, 20000, 1.25 },
	{ "pingpong", pingpong, 20000, 1.03 },
	{ "files", files, 50000, 1.05 },
	{ "threads", threads, 5000, 1.30 },
};
#define NWORK (sizeof(workloads) / sizeof(workloads[0]))

/* ---- the harness ------------------------------------------------------ */

static const char *self;
static char **only; /* names asked for, NULL for all */

static int wanted(const char *name)
{
	if (!only || !*only)
		return 1;
	for (char **p = only; *p; p++)
		if (!strcmp(*p, name))
			return 1;
	return 0;
}

/* Run "bench --work NAME N", with ENV added, under strace if asked.
 * Returns the wall time in seconds, or a negative number on failure. */
static double timed(const struct workload *w, char *const *env, int strace)
{
	char n[32];
	double t0;
	int status;
	pid_t p;

	snprintf(n, sizeof(n), "%ld", w->n);
	t0 = now();
	p = fork();
	if (p == 0) {
		for (int i = 0; env && env[i]; i++)
			putenv(env[i]);
		if (strace)
			execlp("strace", "strace", "-f", "-yy", "-qq", "-o",
			       "/dev/null", self, "--work", w->name, n,
			       (char *)NULL);
		else
			execl(self, self, "--work", w->name, n, (char *)NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int have(const char *cmd)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "command -v %s >/dev/null 2>&1", cmd);
	return system(buf) == 0;
}

/* ---- the scale test: a synthetic spool -------------------------------- */

static void put(int fd, void *rec, size_t size, int type, uint32_t pid,
		uint64_t ns)
{
	struct pl_rec_head *h = rec;

	h->magic = PL_REC_MAGIC;
	h->size = (uint16_t)size;
	h->version = PL_FORMAT_VERSION;
	h->type = (uint8_t)type;
	h->pid = pid;
	h->time_ns = ns;
	h->check = 0;
	h->check = pl_rec_checksum(rec, size);
	if (write(fd, rec, size) != (ssize_t)size)
		exit(1);
}

/* EVENTS records from PROCS processes: a root, then fork children of
 * earlier processes, each making pairs and closing them, some ends kept
 * by children, as a traced test suite would. */
static int gen_spool(const char *path, long events, long procs)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	uint64_t ns = 1700000000000000000ull, ino = 100;
	long written = 0, per = events / procs;
	uint64_t *hello = calloc((size_t)procs, sizeof(*hello));

	union {
		struct pl_spool_head h;
		char page[PL_SPOOL_DATA];
	} head = { 0 };

	if (fd < 0 || !hello)
		return 1;
	/* laid out as the shim lays it: a header page, then the records */
	memcpy(head.h.magic, PL_SPOOL_MAGIC, sizeof(head.h.magic));
	head.h.version = PL_SPOOL_VERSION;
	head.h.data = PL_SPOOL_DATA;
	head.h.created_ns = ns;
	head.h.creator_pid = 1000;
	if (write(fd, &head, sizeof(head)) != (ssize_t)sizeof(head))
		return 1;
	for (long p = 0; p < procs; p++) {
		uint32_t pid = (uint32_t)(1000 + p);
		struct pl_rec_hello h = { 0 };

		memcpy(h.boot_id, "bench-boot", 11);
		h.start_ticks = (uint64_t)p + 1;
		h.ppid = p ? (uint32_t)(1000 + (p - 1) / 4) : 1;
		h.reason = p ? PL_HELLO_FORK : PL_HELLO_LOAD;
		h.parent_pid = h.ppid;
		h.parent_hello_ns = p ? hello[(p - 1) / 4] : 0;
		hello[p] = ++ns;
		put(fd, &h, sizeof(h), PL_REC_HELLO, pid, ns);
		written++;
		for (long e = 1; e + 3 <= per; e += 3) {
			struct pl_rec_socketpair sp = { .domain = AF_UNIX,
							.type = SOCK_STREAM };
			struct pl_rec_close c = { 0 };

			for (int k = 0; k < 2; k++) {
				sp.sock[k].fd = 3 + k;
				sp.sock[k].ino = ++ino;
				sp.sock[k].cookie = ino;
			}
			put(fd, &sp, sizeof(sp), PL_REC_SOCKETPAIR, pid, ++ns);
			for (int k = 0; k < 2; k++) {
				c.fd = 3 + k;
				c.ino = sp.sock[k].ino;
				put(fd, &c, sizeof(c), PL_REC_CLOSE, pid, ++ns);
			}
			written += 3;
		}
	}
	head.h.tail = head.h.size = (uint64_t)lseek(fd, 0, SEEK_END);
	if (pwrite(fd, &head.h, sizeof(head.h), 0) != (ssize_t)sizeof(head.h))
		return 1;
	close(fd);
	free(hello);
	printf("%ld records from %ld processes\n", written, procs);
	return 0;
}

/* Run a peerlog command, return seconds and the child's peak RSS (KiB). */
static double run_peerlog(const char *peerlog, char *const argv[],
			  long *ret_rss)
{
	struct rusage ru;
	double t0 = now();
	int status;
	pid_t p = fork();

	if (p == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execv(peerlog, argv);
		_exit(127);
	}
	if (wait4(p, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) > 1)
		return -1;
	*ret_rss = ru.ru_maxrss;
	return now() - t0;
}

static void scale(const char *build, FILE *json)
{
	char peerlog[4096], dir[] = "/tmp/peerlog-bench-XXXXXX", db[4200],
	     spool[4300], merged[4200];
	long rss = 0, peak = 0;
	struct stat st;
	double t;
	const long events = 1000000, procs = 100000;
	struct {
		const char *what;
		char *argv[8];
		double target;
	} steps[] = {
		{ "ingest + who", { "peerlog", "-j", db, "who", "1000", "3",
				    NULL }, 3.0 },
		{ "who", { "peerlog", "-j", db, "who", "1000", "3", NULL },
		  0.05 },
		{ "pairs --json", { "peerlog", "-j", db, "pairs", "--json",
				    "--no-check", NULL }, 2.0 },
		{ "tree --json", { "peerlog", "-j", db, "tree", "--json",
				   "--no-check", NULL }, 2.0 },
		/* into a new journal, then again: nothing to add */
		{ "merge", { "peerlog", "merge", merged, db, NULL }, 10.0 },
		{ "merge again", { "peerlog", "merge", merged, db, NULL },
		  10.0 },
		{ "events --jsonl", { "peerlog", "-j", db, "events", "--jsonl",
				      NULL }, 3.0 },
	};

	snprintf(peerlog, sizeof(peerlog), "%s/peerlog", build);
	if (!mkdtemp(dir))
		return;
	snprintf(db, sizeof(db), "%s/j.db", dir);
	snprintf(merged, sizeof(merged), "%s/merged.db", dir);
	snprintf(spool, sizeof(spool), "%s.spool", db);
	printf("\nscale: %ld events from %ld processes\n", events, procs);
	if (gen_spool(spool, events, procs) != 0)
		return;
	fprintf(json, ",\n  \"scale\": {\"events\": %ld, \"processes\": %ld",
		events, procs);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		t = run_peerlog(peerlog, steps[i].argv, &rss);
		if (rss > peak)
			peak = rss;
		printf("  %-14s %8.3f s   (target <= %g s, %.1f MiB)\n",
		       steps[i].what, t, steps[i].target, rss / 1024.0);
		fprintf(json, ", \"%s\": %.4f", steps[i].what, t);
	}
	stat(db, &st);
	printf("  peak memory    %8.1f MiB (target <= 256 MiB)\n", peak / 1024.0);
	printf("  journal        %8.1f bytes per event\n",
	       (double)st.st_size / events);
	fprintf(json, ", \"peak_rss_kib\": %ld, \"journal_bytes_per_event\": %.1f}",
		peak, (double)st.st_size / events);
	unlink(db);
	unlink(spool);
	unlink(merged);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	char shim[4200], env_preload[4300], env_journal[4300], floor_so[4200],
	     env_floor[4300];
	char dir[] = "/tmp/peerlog-bench-XXXXXX";
	char *traced_env[] = { env_preload, env_journal, "PEERLOG_QUIET=1",
			       NULL };
	char *floor_env[] = { env_floor, NULL };
	const char *build, *out;
	int use_strace, use_floor;
	FILE *json;
	struct utsname u;
	char date[32];
	time_t t = time(NULL);

	self = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "--work")) {
		for (size_t i = 0; i < NWORK; i++)
			if (!strcmp(argv[2], workloads[i].name)) {
				workloads[i].run(atol(argv[3]));
				return 0;
			}
		return 2;
	}
	if (argc == 5 && !strcmp(argv[1], "--gen-spool"))
		return gen_spool(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc < 2) {
		fprintf(stderr, "usage: bench BUILD_DIR [OUT.json]\n");
		return 2;
	}
	build = argv[1];
	out = argc > 2 ? argv[2] : "bench.json";
	only = argc > 3 ? argv + 3 : NULL;
	snprintf(shim, sizeof(shim), "%s/libpeerlog.so", build);
	if (access(shim, R_OK) != 0 || !mkdtemp(dir)) {
		fprintf(stderr, "bench: no '%s'\n", shim);
		return 1;
	}
	snprintf(env_preload, sizeof(env_preload), "LD_PRELOAD=%s", shim);
	snprintf(env_journal, sizeof(env_journal), "PEERLOG_JOURNAL=%s/j.db",
		 dir);
	snprintf(floor_so, sizeof(floor_so), "%s/bench/floor.so", build);
	snprintf(env_floor, sizeof(env_floor), "LD_PRELOAD=%s", floor_so);
	use_floor = access(floor_so, R_OK) == 0;
	use_strace = have("strace");
	json = fopen(out, "w");
	if (!json)
		return 1;
	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&t));
	printf("peerlog bench, %s, %s %s, %ld cores; %d rounds A B A B\n\n",
	       date, u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN),
	       ROUNDS);
	printf("%-9s %7s %8s %8s %8s %8s %7s %6s  %s\n", "workload", "n",
	       "bare ms", "median", "min", "max", "target", "floor",
	       "strace -f -yy");
	fprintf(json, "{\n  \"date\": \"%s\", \"kernel\": \"%s\", \"cores\": %ld,"
		" \"rounds\": %d,\n  \"workloads\": [", date, u.release,
		sysconf(_SC_NPROCESSORS_ONLN), ROUNDS);
	for (size_t i = 0; i < NWORK; i++) {
		const struct workload *w = &workloads[i];
		static int printed;
		double ratio[ROUNDS], bare[ROUNDS], fl[ROUNDS], st = 0,
		       sum = 0;
		int n = 0, nfl = 0;

		if (!wanted(w->name))
			continue;
		timed(w, NULL, 0); /* warm caches */
		for (int r = 0; r < ROUNDS; r++) {
			double b = timed(w, NULL, 0), tr = timed(w, traced_env, 0),
			       f = use_floor ? timed(w, floor_env, 0) : 0;

			if (b <= 0 || tr <= 0)
				continue;
			if (f > 0)
				fl[nfl++] = f / b;
			bare[n] = b;
			ratio[n++] = tr / b;
		}
		if (!n) {
			printf("%-9s failed\n", w->name);
			continue;
		}
		if (use_strace) {
			double s = timed(w, NULL, 1);

			for (int r = 0; r < n; r++)
				sum += bare[r];
			st = s > 0 ? s / (sum / n) : 0;
		}
		qsort(ratio, (size_t)n, sizeof(double), cmp_double);
		qsort(bare, (size_t)n, sizeof(double), cmp_double);
		qsort(fl, (size_t)nfl, sizeof(double), cmp_double);
		printf("%-9s %7ld %8.1f %8.3f %8.3f %8.3f %7.2f %6.3f  %s%.2f%s\n",
		       w->name, w->n, bare[n / 2] * 1e3, ratio[n / 2], ratio[0],
		       ratio[n - 1], w->target, nfl ? fl[nfl / 2] : 0.0,
		       st ? "" : "(", st, st ? "" : " none)");
		fprintf(json, "%s\n    {\"name\": \"%s\", \"n\": %ld, "
			"\"bare_ms\": %.3f, \"median\": %.4f, \"min\": %.4f, "
			"\"max\": %.4f, \"target\": %.2f, \"floor\": %.4f, "
			"\"strace\": %.3f}",
			printed++ ? "," : "", w->name, w->n, bare[n / 2] * 1e3,
			ratio[n / 2], ratio[0], ratio[n - 1], w->target,
			nfl ? fl[nfl / 2] : 0.0, st);
	}
	fprintf(json, "\n  ]");
	if (wanted("scale"))
		scale(build, json);
	fprintf(json, "\n}\n");
	fclose(json);
	printf("\nfigures written to %s\n", out);
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
