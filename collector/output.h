/* Output helpers: a growable string, a JSON writer, time formatting. */
#ifndef PEERLOG_COLLECTOR_OUTPUT_H
#define PEERLOG_COLLECTOR_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pl_buf {
	char *p;
	size_t len, cap;
};

void pl_buf_add(struct pl_buf *b, const char *s, size_t n);
void pl_buf_adds(struct pl_buf *b, const char *s);
void pl_buf_addf(struct pl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pl_buf_free(struct pl_buf *b);
/* The text so far, "" when nothing was added. */
static inline const char *pl_buf_str(const struct pl_buf *b)
{
	return b->p ? b->p : "";
}
/* S in single quotes, safe for sh -c. */
void pl_buf_shell_quote(struct pl_buf *b, const char *s);

/* S (NULL: "") as valid UTF-8 without control characters: each byte that
 * is not, as the text \xNN. _html also escapes & < > " and ' for text and
 * attribute values alike. */
void pl_buf_utf8(struct pl_buf *b, const char *s);
void pl_buf_html(struct pl_buf *b, const char *s);

/* NUL-separated arguments (N bytes) as a JSON array. */
void pl_buf_json_argv(struct pl_buf *b, const char *args, size_t n);

/* A streaming JSON writer with two-space indentation. Members take a key;
 * array elements pass NULL. */
struct pl_json {
	FILE *f;
	int depth;
	unsigned char fresh[64]; /* no member written yet at this depth */
	struct pl_buf deep;      /* the same, 64 levels down and more (a
				  * chain of 200 execs nests 600 deep) */
};

void pl_json_init(struct pl_json *j, FILE *f);
void pl_json_open(struct pl_json *j, const char *key, char bracket);
void pl_json_close(struct pl_json *j, char bracket);
void pl_json_str(struct pl_json *j, const char *key, const char *val);
void pl_json_int(struct pl_json *j, const char *key, long long val);
void pl_json_null(struct pl_json *j, const char *key);
void pl_json_bool(struct pl_json *j, const char *key, int val);
/* VAL is already JSON text (an argv array from the journal, say). */
void pl_json_raw(struct pl_json *j, const char *key, const char *val);
void pl_json_time(struct pl_json *j, const char *key, int64_t ns);

#endif
