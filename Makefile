# peerlog: see README.md. `make` builds build/libpeerlog.so and
# build/peerlog; `make check` runs every test; `make demo` runs the example.

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE
B       := build

SHIM_SRC := $(wildcard preload/*.c)
SHIM_OBJ := $(SHIM_SRC:%.c=$(B)/%.o)
COLL_SRC := $(wildcard collector/*.c)
COLL_OBJ := $(COLL_SRC:%.c=$(B)/%.o)
COLL_LIB_OBJ := $(filter-out $(B)/collector/main.o,$(COLL_OBJ))
EXAMPLES := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))
UNIT_SRC := $(wildcard tests/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/%.c=$(B)/tests/%)
HELPERS  := $(patsubst tests/progs/%.c,$(B)/tests/progs/%,$(wildcard tests/progs/*.c)) \
	    $(B)/tests/progs/holder-static

SQLITE_LIBS := -lsqlite3
CMOCKA_LIBS := -lcmocka

.PHONY: all check unit integration demo deps bench clean
all: $(B)/libpeerlog.so $(B)/peerlog $(EXAMPLES)

$(B)/preload/%.o: preload/%.c preload/shim.h $(wildcard schema/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/libpeerlog.so: $(SHIM_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-z,defs -Wl,--as-needed -o $@ $^ -ldl -lpthread

$(B)/collector/%.o: collector/%.c $(wildcard collector/*.h) $(wildcard schema/*.h) $(B)/journal_sql.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I$(B) $(CFLAGS) $(WARN) -c $< -o $@

# The SQL schema is compiled into the collector as a string.
$(B)/journal_sql.h: schema/journal.sql
	@mkdir -p $(@D)
	{ echo 'static const char pl_journal_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

$(B)/peerlog: $(COLL_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(SQLITE_LIBS)

$(B)/examples/%: examples/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $<

$(B)/tests/progs/%: tests/progs/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -lpthread

# A program the shim cannot enter. Where the C library has no static
# archive the test that needs it skips.
$(B)/tests/progs/holder-static: tests/progs/holder.c
	@mkdir -p $(@D)
	-$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -static -o $@ $< 2>/dev/null || \
	  echo "note: no static C library: the untraced-child test will skip"

$(B)/tests/test_%: tests/test_%.c tests/records.h $(COLL_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I$(B) -Icollector $(CFLAGS) $(WARN) -o $@ $< $(COLL_LIB_OBJ) $(SQLITE_LIBS) $(CMOCKA_LIBS)

# The shim's argument redaction is a pure function, tested on its own.
$(B)/tests/test_redact: tests/test_redact.c preload/redact.c preload/shim.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< preload/redact.c $(CMOCKA_LIBS)

# Debian packages the build and the tests need; installed only when missing.
# Graphviz only for the test that renders a graph.
DEPS := gcc make libsqlite3-dev libcmocka-dev libunwind-dev binutils sqlite3 python3
CHECK_DEPS := graphviz
deps:
	@missing=; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

check: deps
	@$(MAKE) --no-print-directory deps DEPS="$(CHECK_DEPS)"
	$(MAKE) all $(UNIT_BIN) $(HELPERS)
	tests/run.sh $(B)

demo: deps
	$(MAKE) all
	examples/demo.sh $(B)

# Ratios against the bare run of the same work in the same invocation;
# strace's ratio for reference where strace is installed. Not a test.
$(B)/bench/bench: bench/bench.c schema/record.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< -lpthread

$(B)/bench/floor.so: bench/floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fPIC -shared -o $@ $<

bench: deps
	$(MAKE) all $(B)/bench/bench $(B)/bench/floor.so
	$(B)/bench/bench $(B) $(B)/bench.json

clean:
	rm -rf $(B)
