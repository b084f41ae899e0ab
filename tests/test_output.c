/* Unit tests of the text output helpers (collector/output.c): the column
 * lists -o takes, table rows, colour modes. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "output.h"
#include "peerlog.h"

static const struct pl_col cols[] = {
	{ "PID", 5, 0, "process id" },
	{ "FD", 3, PL_COL_RIGHT, "fd" },
	{ "PROGRAM", 4, PL_COL_TRUNC, "program" },
	{ "HOW", 0, 0, "how" },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))
#define DEFAULTS "PID,FD,HOW"

/* The names of the columns picked, comma-separated. */
static const char *picked(const struct pl_cols *c)
{
	static char buf[256];
	size_t at = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < c->n; k++)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s",
				       k ? "," : "", c->all[c->pick[k]].name);
	return buf;
}

/* pl_cols_pick() of SPEC from cols, where the word at fault is not asked. */
static int pick(const char *spec, struct pl_cols *c)
{
	const char *bad = NULL;
	size_t badlen = 0;

	return pl_cols_pick(cols, NCOLS, DEFAULTS, spec, c, &bad, &badlen);
}

static void test_output__cols_default(void **state)
{
	struct pl_cols c;

	assert_int_equal(pick(NULL, &c), 0);
	assert_string_equal(picked(&c), DEFAULTS);
	assert_int_equal(c.headings, 1);
}

static void test_output__cols_pick_and_order(void **state)
{
	struct pl_cols c;

	assert_int_equal(pick("how,Pid", &c), 0);
	assert_string_equal(picked(&c), "HOW,PID");
	assert_true(pl_cols_has(&c, 0));
	assert_false(pl_cols_has(&c, 1));
	/* named twice, shown twice */
	assert_int_equal(pick("FD,FD", &c), 0);
	assert_string_equal(picked(&c), "FD,FD");
}

static void test_output__cols_plus_adds(void **state)
{
	struct pl_cols c;

	assert_int_equal(pick("+PROGRAM", &c), 0);
	assert_string_equal(picked(&c), "PID,FD,HOW,PROGRAM");
}

static void test_output__cols_unknown(void **state)
{
	struct pl_cols c;
	const char *spec = "PID,NOPE,FD", *bad = NULL;
	size_t badlen = 0;

	assert_int_equal(pl_cols_pick(cols, NCOLS, DEFAULTS, spec, &c, &bad,
				      &badlen), -EINVAL);
	assert_ptr_equal(bad, spec + 4);
	assert_int_equal(badlen, 4);
	/* a prefix of a name is not the name */
	assert_int_equal(pick("PROG", &c), -EINVAL);
}

static void test_output__cols_empty(void **state)
{
	static const char *const specs[] = { "", ",", "PID,", ",PID", "PID,,FD",
					     "+" };
	struct pl_cols c;

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const char *bad = NULL;
		size_t badlen = 99;

		assert_int_equal(pl_cols_pick(cols, NCOLS, DEFAULTS, specs[i],
					      &c, &bad, &badlen), -EINVAL);
		assert_int_equal(badlen, 0);
	}
}

static void test_output__cols_too_many(void **state)
{
	char spec[8 * PL_COLS_MAX + 8] = "";
	struct pl_cols c;

	for (int i = 0; i < PL_COLS_MAX; i++)
		strcat(spec, i ? ",FD" : "FD");
	assert_int_equal(pick(spec, &c), 0);
	assert_int_equal(c.n, PL_COLS_MAX);
	strcat(spec, ",FD");
	assert_int_equal(pick(spec, &c), -EINVAL);
}

/* What pl_cols_heading and pl_cols_row print for the columns SPEC. */
static const char *table(const char *spec, int headings,
			 const char *const *cells)
{
	static char out[512];
	struct pl_cols c;
	FILE *f = fmemopen(out, sizeof(out), "w");

	assert_non_null(f);
	assert_int_equal(pick(spec, &c), 0);
	c.headings = headings;
	pl_cols_heading(&c, f);
	pl_cols_row(&c, f, cells, NULL);
	fclose(f);
	return out;
}

static void test_output__row_layout(void **state)
{
	const char *const cells[] = { "42", "3", "parent", "created; closed" };
	const char *const missing[] = { "7", NULL, NULL, NULL };

	pl_color_setup(PL_COLOR_NEVER);
	assert_string_equal(table(NULL, 1, cells),
			    "PID    FD HOW\n42      3 created; closed\n");
	/* right-aligned, cut to width, the last column not padded */
	assert_string_equal(table("FD,PROGRAM,PID", 0, cells),
			    "  3 pare 42\n");
	assert_string_equal(table("PID,FD,PROGRAM", 0, missing),
			    "7       - -\n");
}

static void test_output__color_modes(void **state)
{
	enum pl_color_mode m = PL_COLOR_NEVER;
	const char *const cells[] = { "1", "2", "p", "h" };

	assert_int_equal(pl_color_parse("always", &m), 0);
	assert_int_equal(m, PL_COLOR_ALWAYS);
	assert_int_equal(pl_color_parse("auto", &m), 0);
	assert_int_equal(m, PL_COLOR_AUTO);
	assert_int_equal(pl_color_parse("never", &m), 0);
	assert_int_equal(m, PL_COLOR_NEVER);
	assert_int_equal(pl_color_parse("sometimes", &m), -EINVAL);

	pl_color_setup(PL_COLOR_ALWAYS);
	assert_string_equal(pl_paint_on(PL_PAINT_BAD), "\033[31m");
	assert_string_equal(pl_paint_off(PL_PAINT_BAD), "\033[0m");
	assert_string_equal(pl_paint_on(PL_PAINT_NONE), "");
	assert_string_equal(pl_paint_off(PL_PAINT_NONE), "");
	assert_string_equal(table("PID", 1, cells), "\033[1mPID\033[0m\n1\n");
	/* NO_COLOR wins over auto, not over always */
	setenv("NO_COLOR", "1", 1);
	pl_color_setup(PL_COLOR_AUTO);
	assert_string_equal(pl_paint_on(PL_PAINT_GOOD), "");
	pl_color_setup(PL_COLOR_ALWAYS);
	assert_string_equal(pl_paint_on(PL_PAINT_GOOD), "\033[32m");
	unsetenv("NO_COLOR");
	pl_color_setup(PL_COLOR_NEVER);
	assert_string_equal(pl_paint_on(PL_PAINT_WARN), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output__cols_default),
		cmocka_unit_test(test_output__cols_pick_and_order),
		cmocka_unit_test(test_output__cols_plus_adds),
		cmocka_unit_test(test_output__cols_unknown),
		cmocka_unit_test(test_output__cols_empty),
		cmocka_unit_test(test_output__cols_too_many),
		cmocka_unit_test(test_output__row_layout),
		cmocka_unit_test(test_output__color_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
