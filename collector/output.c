/* Output helpers shared by the subcommands. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "peerlog.h"

static void grow(struct pl_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 64;

	if (b->len + need + 1 <= b->cap)
		return;
	while (cap < b->len + need + 1)
		cap *= 2;
	b->p = realloc(b->p, cap);
	if (!b->p) {
		pl_error("out of memory");
		exit(PL_EXIT_SYSTEM);
	}
	b->cap = cap;
}

void pl_buf_add(struct pl_buf *b, const char *s, size_t n)
{
	grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void pl_buf_adds(struct pl_buf *b, const char *s)
{
	pl_buf_add(b, s, strlen(s));
}

void pl_buf_addf(struct pl_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		pl_buf_add(b, small, (size_t)n);
		return;
	}
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* S (N bytes) as a JSON string literal, quotes included. */
static void json_str(struct pl_buf *b, const char *s, size_t n)
{
	pl_buf_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			pl_buf_add(b, "\\\"", 2);
			break;
		case '\\':
			pl_buf_add(b, "\\\\", 2);
			break;
		case '\n':
			pl_buf_add(b, "\\n", 2);
			break;
		case '\t':
			pl_buf_add(b, "\\t", 2);
			break;
		case '\r':
			pl_buf_add(b, "\\r", 2);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				pl_buf_addf(b, "\\u%04x", c);
			else
				pl_buf_add(b, (const char *)&s[i], 1);
		}
	}
	pl_buf_add(b, "\"", 1);
}

void pl_buf_json_argv(struct pl_buf *b, const char *args, size_t n)
{
	size_t at = 0;
	int first = 1;

	pl_buf_add(b, "[", 1);
	while (at < n) {
		size_t len = strnlen(args + at, n - at);

		if (!first)
			pl_buf_add(b, ",", 1);
		json_str(b, args + at, len);
		first = 0;
		at += len + 1;
	}
	pl_buf_add(b, "]", 1);
}

void pl_buf_shell_quote(struct pl_buf *b, const char *s)
{
	pl_buf_add(b, "'", 1);
	for (; *s; s++) {
		if (*s == '\'')
			pl_buf_adds(b, "'\\''");
		else
			pl_buf_add(b, s, 1);
	}
	pl_buf_add(b, "'", 1);
}

void pl_buf_free(struct pl_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* The decimal digits of V, zero-padded to WIDTH, at P; returns the end. */
static char *put_digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* Queries print many times from the same second: the calendar part is
 * worked out once per second (one cache per form). */
void pl_fmt_time(uint64_t ns, int iso, char *buf, size_t size)
{
	static struct {
		time_t sec;
		int valid;
		char text[80];
		size_t len;
	} last[2];
	time_t sec = (time_t)(ns / 1000000000u);
	unsigned frac = (unsigned)(ns % 1000000000u);
	char out[96], *p;

	if (!last[iso].valid || last[iso].sec != sec) {
		struct tm tm;

		if (iso) {
			gmtime_r(&sec, &tm);
			snprintf(last[iso].text, sizeof(last[iso].text),
				 "%04d-%02d-%02dT%02d:%02d:%02d",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
				 tm.tm_hour, tm.tm_min, tm.tm_sec);
		} else {
			localtime_r(&sec, &tm);
			snprintf(last[iso].text, sizeof(last[iso].text),
				 "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
				 tm.tm_sec);
		}
		last[iso].len = strlen(last[iso].text);
		last[iso].sec = sec;
		last[iso].valid = 1;
	}
	memcpy(out, last[iso].text, last[iso].len);
	p = out + last[iso].len;
	*p++ = '.';
	if (iso) {
		p = put_digits(p, frac / 1000u, 6);
		*p++ = 'Z';
	} else {
		p = put_digits(p, frac / 1000000u, 3);
	}
	*p = '\0';
	if (size) {
		size_t n = (size_t)(p - out) < size ? (size_t)(p - out) : size - 1;

		memcpy(buf, out, n);
		buf[n] = '\0';
	}
}

void pl_json_init(struct pl_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->fresh[0] = 1;
}

/* The "no member yet" flag of the current depth. */
static unsigned char *fresh(struct pl_json *j)
{
	size_t d = (size_t)j->depth, n = sizeof(j->fresh);

	if (d < n)
		return &j->fresh[d];
	while (j->deep.len <= d - n)
		pl_buf_add(&j->deep, "", 1);
	return (unsigned char *)j->deep.p + (d - n);
}

/* S (N bytes) as a JSON string literal, quotes included, to F: what
 * json_str() makes, without a buffer in between (queries write hundreds of
 * megabytes of it). */
static void json_put_str(FILE *f, const char *s, size_t n)
{
	size_t run = 0;

	putc_unlocked('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
			continue;
		fwrite_unlocked(s + run, 1, i - run, f);
		run = i + 1;
		switch (c) {
		case '"':
			fputs_unlocked("\\\"", f);
			break;
		case '\\':
			fputs_unlocked("\\\\", f);
			break;
		case '\n':
			fputs_unlocked("\\n", f);
			break;
		case '\t':
			fputs_unlocked("\\t", f);
			break;
		case '\r':
			fputs_unlocked("\\r", f);
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			fputs_unlocked(esc, f);
		}
	}
	fwrite_unlocked(s + run, 1, n - run, f);
	putc_unlocked('"', f);
}

static void indent(FILE *f, int depth)
{
	static const char spaces[] = "                                "
				     "                                ";
	size_t n = 2 * (size_t)depth;

	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		fwrite_unlocked(spaces, 1, k, f);
		n -= k;
	}
}

/* Does S need no escaping in a JSON string? */
static int plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			return 0;
	}
	return 1;
}

/* What comes before a value: the separator, the indentation and the key,
 * into BUF (SIZE bytes, room for ROOM more kept); its length, or 0 when it
 * does not fit or the key needs escaping (member() writes it then). */
static size_t prefix(struct pl_json *j, const char *key, char *buf,
		     size_t size, size_t room)
{
	size_t n = 0, klen = key ? strlen(key) : 0;

	if (2 * (size_t)j->depth + klen + 8 + room > size ||
	    (key && !plain(key, klen)))
		return 0;
	if (j->depth > 0 && j->compact) {
		if (!*fresh(j)) {
			buf[n++] = ',';
			buf[n++] = ' ';
		}
	} else if (j->depth > 0) {
		if (!*fresh(j))
			buf[n++] = ',';
		buf[n++] = '\n';
		memset(buf + n, ' ', 2 * (size_t)j->depth);
		n += 2 * (size_t)j->depth;
	}
	*fresh(j) = 0;
	if (key) {
		buf[n++] = '"';
		memcpy(buf + n, key, klen);
		n += klen;
		memcpy(buf + n, "\": ", 3);
		n += 3;
	}
	return n ? n : (size_t)-1; /* -1: nothing to write, but done */
}

static void member(struct pl_json *j, const char *key)
{
	char buf[192];
	size_t n = prefix(j, key, buf, sizeof(buf), 0);

	if (n == (size_t)-1)
		return;
	if (n) {
		fwrite_unlocked(buf, 1, n, j->f);
		return;
	}
	/* a long or odd key */
	if (j->depth > 0 && j->compact) {
		if (!*fresh(j))
			fputs_unlocked(", ", j->f);
	} else if (j->depth > 0) {
		fputs_unlocked(*fresh(j) ? "\n" : ",\n", j->f);
		indent(j->f, j->depth);
	}
	*fresh(j) = 0;
	if (key) {
		json_put_str(j->f, key, strlen(key));
		fputs_unlocked(": ", j->f);
	}
}

/* A member whose value is the N bytes of VAL, already JSON: one write. */
static void member_value(struct pl_json *j, const char *key, const char *val,
			 size_t n)
{
	char buf[256];
	size_t k = prefix(j, key, buf, sizeof(buf), n);

	if (!k) {
		member(j, key);
		fwrite_unlocked(val, 1, n, j->f);
		return;
	}
	if (k == (size_t)-1)
		k = 0;
	memcpy(buf + k, val, n);
	fwrite_unlocked(buf, 1, k + n, j->f);
}

void pl_json_open(struct pl_json *j, const char *key, char bracket)
{
	member(j, key);
	putc_unlocked(bracket, j->f);
	j->depth++;
	*fresh(j) = 1;
}

void pl_json_close(struct pl_json *j, char bracket)
{
	int empty = *fresh(j);

	if (j->depth > 0)
		j->depth--;
	if (!empty && !j->compact) {
		putc_unlocked('\n', j->f);
		indent(j->f, j->depth);
	}
	putc_unlocked(bracket, j->f);
	if (j->depth == 0) {
		putc_unlocked('\n', j->f);
		free(j->deep.p);
		memset(&j->deep, 0, sizeof(j->deep));
	}
}

void pl_json_str(struct pl_json *j, const char *key, const char *val)
{
	char buf[128];
	size_t n;

	if (!val) {
		pl_json_null(j, key);
		return;
	}
	n = strlen(val);
	if (n + 2 <= sizeof(buf) && plain(val, n)) {
		buf[0] = '"';
		memcpy(buf + 1, val, n);
		buf[n + 1] = '"';
		member_value(j, key, buf, n + 2);
		return;
	}
	member(j, key);
	json_put_str(j->f, val, n);
}

void pl_json_int(struct pl_json *j, const char *key, long long val)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long v = val < 0 ? 0ull - (unsigned long long)val
				       : (unsigned long long)val;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (val < 0)
		*--p = '-';
	member_value(j, key, p, (size_t)(buf + sizeof(buf) - p));
}

void pl_json_null(struct pl_json *j, const char *key)
{
	member_value(j, key, "null", 4);
}

void pl_json_bool(struct pl_json *j, const char *key, int val)
{
	member_value(j, key, val ? "true" : "false", val ? 4 : 5);
}

void pl_json_raw(struct pl_json *j, const char *key, const char *val)
{
	member(j, key);
	fputs_unlocked(val ? val : "null", j->f);
}

void pl_json_time(struct pl_json *j, const char *key, int64_t ns)
{
	char buf[64];

	if (ns <= 0) {
		pl_json_null(j, key);
		return;
	}
	pl_fmt_time((uint64_t)ns, 1, buf, sizeof(buf));
	pl_json_str(j, key, buf);
}

void pl_json_pid_fd(struct pl_json *j, const char *key, int pid, int fd)
{
	if (!pid) {
		pl_json_null(j, key);
		return;
	}
	pl_json_open(j, key, '{');
	pl_json_int(j, "pid", pid);
	pl_json_int(j, "fd", fd);
	pl_json_close(j, '}');
}

/* ---- colour ------------------------------------------------------------ */

static int color_on;

int pl_color_parse(const char *s, enum pl_color_mode *ret)
{
	static const struct {
		const char *word;
		enum pl_color_mode mode;
	} words[] = {
		{ "auto", PL_COLOR_AUTO },     { "tty", PL_COLOR_AUTO },
		{ "if-tty", PL_COLOR_AUTO },   { "always", PL_COLOR_ALWAYS },
		{ "yes", PL_COLOR_ALWAYS },    { "force", PL_COLOR_ALWAYS },
		{ "never", PL_COLOR_NEVER },   { "no", PL_COLOR_NEVER },
		{ "none", PL_COLOR_NEVER },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i].word)) {
			*ret = words[i].mode;
			return 0;
		}
	return -EINVAL;
}

void pl_color_setup(enum pl_color_mode mode)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (mode == PL_COLOR_AUTO)
		color_on = isatty(STDOUT_FILENO) && !(no && *no) &&
			   !(term && !strcmp(term, "dumb"));
	else
		color_on = mode == PL_COLOR_ALWAYS;
}

/* The basic colours and bold only: they follow the terminal's palette,
 * so they read on dark and light backgrounds alike. */
const char *pl_paint_on(enum pl_paint p)
{
	static const char *const on[] = {
		[PL_PAINT_NONE] = "",	      [PL_PAINT_BAD] = "\033[31m",
		[PL_PAINT_GOOD] = "\033[32m", [PL_PAINT_WARN] = "\033[33m",
		[PL_PAINT_HEAD] = "\033[1m",
	};

	return color_on && p > PL_PAINT_NONE && p <= PL_PAINT_HEAD ? on[p] : "";
}

const char *pl_paint_off(enum pl_paint p)
{
	return *pl_paint_on(p) ? "\033[0m" : "";
}

/* ---- tables ------------------------------------------------------------ */

static int col_index(const struct pl_col *all, size_t nall, const char *name,
		     size_t len)
{
	for (size_t i = 0; i < nall; i++)
		if (strlen(all[i].name) == len &&
		    !strncasecmp(all[i].name, name, len))
			return (int)i;
	return -1;
}

/* Add the columns of the comma-separated LIST to RET. */
static int cols_add(const struct pl_col *all, size_t nall, const char *list,
		    struct pl_cols *ret, const char **ret_bad,
		    size_t *ret_badlen)
{
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		int i = col_index(all, nall, p, len);

		if (i < 0 || ret->n == PL_COLS_MAX) {
			*ret_bad = p;
			*ret_badlen = len;
			return -EINVAL;
		}
		ret->pick[ret->n++] = i;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

int pl_cols_pick(const struct pl_col *all, size_t nall, const char *defaults,
		 const char *spec, struct pl_cols *ret, const char **ret_bad,
		 size_t *ret_badlen)
{
	const char *dummy;
	size_t dummylen;
	int rc;

	memset(ret, 0, sizeof(*ret));
	ret->all = all;
	ret->nall = nall;
	ret->headings = 1;
	if (!spec || *spec == '+') {
		rc = cols_add(all, nall, defaults, ret, &dummy, &dummylen);
		if (rc || !spec)
			return rc;
		spec++;
	}
	return cols_add(all, nall, spec, ret, ret_bad, ret_badlen);
}

int pl_cols_setup(const struct pl_col *all, size_t nall, const char *defaults,
		  const char *spec, int headings, struct pl_cols *ret)
{
	const char *bad = "";
	size_t badlen = 0;
	struct pl_buf names = { 0 };

	if (spec && !strcasecmp(spec, "help")) {
		pl_cols_help(all, nall, defaults, stdout);
		return -1;
	}
	if (!pl_cols_pick(all, nall, defaults, spec, ret, &bad, &badlen)) {
		ret->headings = headings;
		return 0;
	}
	for (size_t i = 0; i < nall; i++)
		pl_buf_addf(&names, "%s%s", i ? ", " : "", all[i].name);
	if (!badlen)
		pl_error("empty column name in '%s' (%s)", spec, names.p);
	else if (col_index(all, nall, bad, badlen) >= 0)
		pl_error("more than %d columns in '%s'", PL_COLS_MAX, spec);
	else
		pl_error("unknown column '%.*s' (%s)", (int)badlen, bad,
			 names.p);
	pl_buf_free(&names);
	return PL_EXIT_USAGE;
}

int pl_cols_has(const struct pl_cols *c, int i)
{
	for (size_t k = 0; k < c->n; k++)
		if (c->pick[k] == i)
			return 1;
	return 0;
}

void pl_cols_help(const struct pl_col *all, size_t nall, const char *defaults,
		  FILE *f)
{
	fprintf(f, "Available columns (for -o/--output; default %s):\n",
		defaults);
	for (size_t i = 0; i < nall; i++)
		fprintf(f, " %12s  %s\n", all[i].name, all[i].help);
}

/* TEXT in a cell of column C, the last one when LAST. */
static void cell(FILE *f, const struct pl_col *c, const char *text, int last,
		 enum pl_paint paint)
{
	size_t len = strlen(text), pad = 0;

	if ((c->flags & PL_COL_TRUNC) && len > (size_t)c->width)
		len = (size_t)c->width;
	if (len < (size_t)c->width && (!last || (c->flags & PL_COL_RIGHT)))
		pad = (size_t)c->width - len;
	if (c->flags & PL_COL_RIGHT)
		fprintf(f, "%*s", (int)pad, "");
	fputs(pl_paint_on(paint), f);
	fwrite(text, 1, len, f);
	fputs(pl_paint_off(paint), f);
	if (!(c->flags & PL_COL_RIGHT))
		fprintf(f, "%*s", (int)pad, "");
}

static void row(const struct pl_cols *c, FILE *f, const char *const *cells,
		const enum pl_paint *paint, enum pl_paint all)
{
	fprintf(f, "%*s%s", c->indent, "", pl_paint_on(all));
	for (size_t k = 0; k < c->n; k++) {
		int i = c->pick[k];
		const char *text = cells ? cells[i] : c->all[i].name;

		if (k)
			putc(' ', f);
		cell(f, &c->all[i], text ? text : "-", k + 1 == c->n,
		     paint ? paint[i] : PL_PAINT_NONE);
	}
	fprintf(f, "%s\n", pl_paint_off(all));
}

void pl_cols_heading(const struct pl_cols *c, FILE *f)
{
	if (c->headings)
		row(c, f, NULL, NULL, PL_PAINT_HEAD);
}

void pl_cols_row(const struct pl_cols *c, FILE *f, const char *const *cells,
		 const enum pl_paint *paint)
{
	row(c, f, cells, paint, PL_PAINT_NONE);
}

/* The length of the UTF-8 sequence at S (N bytes left), or 0 when it is
 * not one: overlong forms, surrogates and code points past U+10FFFF are
 * not. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* S as valid UTF-8 without control characters: a byte that is neither
 * becomes the text \xNN. HTML: also escape what markup would take. */
static void clean_text(struct pl_buf *b, const char *s, int html)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)u);

	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(u + i, n - i);

		if (!len || u[i] < 0x20 || u[i] == 0x7f) {
			pl_buf_addf(b, "\\x%02x", u[i]);
			i++;
			continue;
		}
		switch (html ? u[i] : 0) {
		case '&':
			pl_buf_adds(b, "&amp;");
			break;
		case '<':
			pl_buf_adds(b, "&lt;");
			break;
		case '>':
			pl_buf_adds(b, "&gt;");
			break;
		case '"':
			pl_buf_adds(b, "&quot;");
			break;
		case '\'':
			pl_buf_adds(b, "&#39;");
			break;
		default:
			pl_buf_add(b, (const char *)u + i, len);
		}
		i += len;
	}
}

void pl_buf_utf8(struct pl_buf *b, const char *s)
{
	clean_text(b, s, 0);
}

void pl_buf_html(struct pl_buf *b, const char *s)
{
	clean_text(b, s, 1);
}

/* ---- commands written to -------------------------------------------- */

FILE *pl_popen_write(const char *command, struct sigaction *saved)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	FILE *f;

	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, saved);
	f = popen(command, "w");
	if (!f)
		sigaction(SIGPIPE, saved, NULL);
	return f;
}

int pl_pclose_write(FILE *f, const struct sigaction *saved)
{
	int rc = pclose(f);

	sigaction(SIGPIPE, saved, NULL);
	return rc;
}
