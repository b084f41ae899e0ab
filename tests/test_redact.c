/* Unit tests of the shim's argument redaction (preload/redact.c): what
 * of each argument the hello record keeps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../preload/shim.h"

/* The arguments ARGV (NULL ended) as the journal keeps them, joined
 * with spaces. */
static const char *redacted(const char *const *argv)
{
	static char joined[1024];
	char one[256];
	size_t at = 0;
	int state = 0;

	for (; *argv; argv++) {
		size_t n = pl__redact(*argv, &state, one, sizeof(one));

		assert_true(n > 0);
		assert_int_equal(n, strlen(one) + 1);
		if (at)
			joined[at++] = ' ';
		memcpy(joined + at, one, n);
		at += n - 1;
	}
	joined[at] = '\0';
	return joined;
}

#define CHECK(want, ...)                                                  \
	assert_string_equal(redacted((const char *const[]){ __VA_ARGS__,  \
							    NULL }),      \
			    want)

static void test_redact__option_with_value(void **s)
{
	CHECK("prog --password=*** --token=*** -secret=*** --API-Key=***",
	      "prog", "--password=hunter2", "--token=abc", "-secret=x",
	      "--API-Key=k");
	CHECK("prog --auth-cookie=*** --db-passwd=*** --Session=***", "prog",
	      "--auth-cookie=c", "--db-passwd=p", "--Session=s");
}

static void test_redact__option_then_value(void **s)
{
	CHECK("prog --password *** --user bob", "prog", "--password",
	      "hunter2", "--user", "bob");
	CHECK("openssl enc -pass *** -in f", "openssl", "enc", "-pass",
	      "pass:hunter2", "-in", "f");
	/* the value may look like an option: it is hidden all the same */
	CHECK("prog --token *** x", "prog", "--token", "--hunter2", "x");
	/* the last argument: nothing follows to hide */
	CHECK("prog --password", "prog", "--password");
}

static void test_redact__harmless_kept(void **s)
{
	CHECK("ls -l --color=auto /tmp x=1 --user=bob", "ls", "-l",
	      "--color=auto", "/tmp", "x=1", "--user=bob");
	CHECK("- -- --=", "-", "--", "--=");
	CHECK("", "");
}

static void test_redact__name_value(void **s)
{
	CHECK("env AWS_SECRET_ACCESS_KEY=*** GITHUB_TOKEN=*** PATH=/bin cmd",
	      "env", "AWS_SECRET_ACCESS_KEY=hunter2", "GITHUB_TOKEN=t",
	      "PATH=/bin", "cmd");
	CHECK("curl -H Authorization: *** -H Accept: text/plain", "curl",
	      "-H", "Authorization: Bearer hunter2", "-H",
	      "Accept: text/plain");
	/* not a name: a sentence that happens to hold a word */
	CHECK("echo my key=is here", "echo", "my key=is here");
}

static void test_redact__url_password(void **s)
{
	CHECK("git clone https://bob:***@example.com/r.git", "git", "clone",
	      "https://bob:hunter2@example.com/r.git");
	CHECK("psql postgres://u:***@h:5432/db?x=1", "psql",
	      "postgres://u:pw@h:5432/db?x=1");
	CHECK("--url=ftp://a:***@h/ http://b:***@i", "--url=ftp://a:p@h/",
	      "http://b:q@i");
	/* no password, or no user info: unchanged */
	CHECK("https://bob@h/ https://h:8080/p@x mailto:a@b", "https://bob@h/",
	      "https://h:8080/p@x", "mailto:a@b");
	/* a password holding ':' or '@': all up to the last '@' goes */
	CHECK("http://u:***@h", "http://u:a:b@c@h");
}

static void test_redact__room(void **s)
{
	char out[8];
	int state = 0;

	assert_int_equal(pl__redact("1234567", &state, out, sizeof(out)), 8);
	assert_string_equal(out, "1234567");
	assert_int_equal(pl__redact("12345678", &state, out, sizeof(out)), 0);
	/* "--key=***" does not fit, though "--key=1" would */
	assert_int_equal(pl__redact("--key=1", &state, out, sizeof(out)), 0);
	assert_int_equal(pl__redact("x", &state, out, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact__option_with_value),
		cmocka_unit_test(test_redact__option_then_value),
		cmocka_unit_test(test_redact__harmless_kept),
		cmocka_unit_test(test_redact__name_value),
		cmocka_unit_test(test_redact__url_password),
		cmocka_unit_test(test_redact__room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
