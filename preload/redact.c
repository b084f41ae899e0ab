/* What of a program's arguments the journal may keep. Arguments that look
 * like secrets have their value replaced with "***" before the hello
 * record is written (README.md, "Security"), unless PEERLOG_ARGV=full:
 *
 * - an option whose name holds a secret word (see words[], any case):
 *   "--password=X", "-token=X" keep the name and lose the value; without
 *   '=' ("--password X") the next argument is replaced whole;
 * - NAME=value (env(1), make, key=value tools) and "Name: value" (HTTP
 *   headers given to curl -H) where NAME holds a secret word;
 * - the password of a URL's user info: "scheme://user:X@host".
 *
 * A pure function over the argument: no allocation, no libc beyond
 * memcpy, one pass per rule, so it runs as cheaply as the copy it
 * replaces, in a new image and in a unit test alike.
 */
#include <string.h>

#include "shim.h"

/* Matched anywhere in a name, in any case. Erring on the side of
 * hiding: "--no-auth" or "--keyboard" hide the argument after them. */
static const char *const words[] = { "pass", "token", "secret", "key",
				     "auth", "credential", "cookie",
				     "session" };

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Does S[0..N) hold one of words[]? */
static int secret_name(const char *s, size_t n)
{
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t len = strlen(words[w]);

		for (size_t i = 0; i + len <= n; i++) {
			size_t k = 0;

			while (k < len && lower(s[i + k]) == words[w][k])
				k++;
			if (k == len)
				return 1;
		}
	}
	return 0;
}

struct out {
	char *p;
	size_t left;
	int full; /* did not fit */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n > o->left) {
		o->full = 1;
		n = o->left;
	}
	memcpy(o->p, s, n);
	o->p += n;
	o->left -= n;
}

static const char hidden[] = "***";

/* Copy S[0..N), with the password of every "://user:password@" in it
 * hidden. */
static void put_scrubbed(struct out *o, const char *s, size_t n)
{
	size_t from = 0;

	for (size_t i = 0; i + 3 <= n; i++) {
		size_t end, at = 0, colon = 0;

		if (s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/')
			continue;
		/* the authority: up to the path, query or fragment */
		for (end = i + 3; end < n && s[end] != '/' && s[end] != '?' &&
				  s[end] != '#' && s[end] != ' ';
		     end++)
			if (s[end] == '@')
				at = end;
		for (size_t k = i + 3; at && k < at; k++)
			if (s[k] == ':') {
				colon = k;
				break;
			}
		if (colon) {
			put(o, s + from, colon + 1 - from);
			put(o, hidden, sizeof(hidden) - 1);
			from = at;
		}
		i = end ? end - 1 : i;
	}
	put(o, s + from, n - from);
}

/* Write ARG as the journal may keep it to OUT (ROOM bytes), NUL
 * terminated. *STATE carries from one argument to the next (start at 0):
 * set when ARG is an option whose value is the next argument. Returns the
 * bytes written, NUL included, or 0 when they do not fit in ROOM. */
size_t pl__redact(const char *arg, int *state, char *out, size_t room)
{
	struct out o = { .p = out, .left = room };
	size_t n = strlen(arg), name = 0, eq;

	if (*state) { /* the value of "--password X" */
		*state = 0;
		put(&o, hidden, sizeof(hidden) - 1);
	} else if (arg[0] == '-') {
		name = arg[1] == '-' ? 2 : 1;
		for (eq = name; eq < n && arg[eq] != '='; eq++)
			;
		if (!secret_name(arg + name, eq - name)) {
			put_scrubbed(&o, arg, n);
		} else if (eq < n) {
			put(&o, arg, eq + 1);
			put(&o, hidden, sizeof(hidden) - 1);
		} else {
			put(&o, arg, n);
			*state = 1;
		}
	} else {
		/* NAME=value or "Name: value" */
		for (eq = 0; eq < n; eq++) {
			char c = arg[eq];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
			      c == '.'))
				break;
		}
		if (eq > 0 && eq < n &&
		    (arg[eq] == '=' || (arg[eq] == ':' && arg[eq + 1] == ' ')) &&
		    secret_name(arg, eq)) {
			put(&o, arg, eq + (arg[eq] == ':' ? 2 : 1));
			put(&o, hidden, sizeof(hidden) - 1);
		} else {
			put_scrubbed(&o, arg, n);
		}
	}
	put(&o, "", 1);
	return o.full ? 0 : room - o.left;
}
