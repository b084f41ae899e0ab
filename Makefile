# peerlog: see README.md. `make` builds build/libpeerlog.so and
# build/peerlog; `make check` runs every test; `make demo` runs the example.

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE
B       := build

# make check SANITIZE=1: the collector, the unit tests and the test
# programs with ASan and UBSan (any finding fatal), in build-san. The shim
# is built as always: it is preloaded into programs that have no ASan.
# The runtimes are linked statically, so that the test programs, traced
# with the shim preloaded, still have them first.
ifeq ($(SANITIZE),1)
B       := build-san
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_LINK := -static-libasan -static-libubsan
endif
# make check VALGRIND=1: the integration tests run peerlog under valgrind
# (tests/lib.sh); a leak or memory error fails the test. TESTS="cli lint"
# runs only the tests whose names contain one of those words.
ifeq ($(VALGRIND),1)
export PEERLOG_VALGRIND := valgrind --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 -q
export PEERLOG_TEST_TIMEOUT ?= 600
endif

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
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BIN := $(FUZZ_TARGETS:%=$(B)/tests/fuzz/replay-%)

SQLITE_LIBS := -lsqlite3
CMOCKA_LIBS := -lcmocka

.PHONY: all check unit integration demo deps bench fuzz fuzz-build clean
all: $(B)/libpeerlog.so $(B)/peerlog $(EXAMPLES)

$(B)/preload/%.o: preload/%.c preload/shim.h $(wildcard schema/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/libpeerlog.so: $(SHIM_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-z,defs -Wl,--as-needed -o $@ $^ -ldl -lpthread

$(B)/collector/%.o: collector/%.c $(wildcard collector/*.h) $(wildcard schema/*.h) $(B)/journal_sql.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I$(B) $(CFLAGS) $(SAN) $(WARN) -c $< -o $@

# The SQL schema is compiled into the collector as a string.
$(B)/journal_sql.h: schema/journal.sql
	@mkdir -p $(@D)
	{ echo 'static const char pl_journal_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

$(B)/peerlog: $(COLL_OBJ)
	$(CC) $(CFLAGS) $(SAN) $(SAN_LINK) -o $@ $^ $(SQLITE_LIBS)

$(B)/examples/%: examples/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(SAN_LINK) $(WARN) -o $@ $<

$(B)/tests/progs/%: tests/progs/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(SAN_LINK) $(WARN) -o $@ $< -lpthread

# A program the shim cannot enter. Where the C library has no static
# archive the test that needs it skips.
$(B)/tests/progs/holder-static: tests/progs/holder.c
	@mkdir -p $(@D)
	-$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -static -o $@ $< 2>/dev/null || \
	  echo "note: no static C library: the untraced-child test will skip"

$(B)/tests/test_%: tests/test_%.c tests/records.h $(COLL_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I$(B) -Icollector $(CFLAGS) $(SAN) $(SAN_LINK) $(WARN) -o $@ $< $(COLL_LIB_OBJ) $(SQLITE_LIBS) $(CMOCKA_LIBS)

# A fuzz target's corpus replayed without libFuzzer, in make check.
$(B)/tests/fuzz/replay-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(COLL_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I$(B) -Icollector $(CFLAGS) $(SAN) $(SAN_LINK) $(WARN) -o $@ $< tests/fuzz/replay.c $(COLL_LIB_OBJ) $(SQLITE_LIBS)

# The same targets with libFuzzer (make fuzz, in build-fuzz).
$(B)/tests/fuzz/fuzz-%: tests/fuzz/fuzz_%.c $(COLL_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I$(B) -Icollector $(CFLAGS) $(SAN) -fsanitize=fuzzer $(WARN) -o $@ $< $(COLL_LIB_OBJ) $(SQLITE_LIBS)

# The shim's argument redaction is a pure function, tested on its own.
$(B)/tests/test_redact: tests/test_redact.c preload/redact.c preload/shim.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< preload/redact.c $(CMOCKA_LIBS)

# Debian packages the build and the tests need; installed only when missing.
# Graphviz only for the tests that render a graph, Chromium (headless) for
# the one that renders peerlog report's page (some 80 MB to fetch; with
# Graphviz, 23 s to install on the project's VM).
DEPS := gcc make libsqlite3-dev libcmocka-dev libunwind-dev binutils sqlite3 python3
CHECK_DEPS := graphviz chromium $(if $(filter 1,$(VALGRIND)),valgrind)
FUZZ_DEPS := clang libclang-rt-dev
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
	$(MAKE) all $(UNIT_BIN) $(HELPERS) $(REPLAY_BIN)
	tests/run.sh $(B) "$(TESTS)"

# make fuzz: each target under libFuzzer for FUZZ_TIME seconds, from the
# seeds in tests/fuzz/corpus/TARGET; what it finds on the way is kept in
# build-fuzz/corpus/TARGET, a crash in build-fuzz/crash-*. A crash fails.
FUZZ_TIME ?= 45
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz: deps
	@$(MAKE) --no-print-directory deps DEPS="$(FUZZ_DEPS)"
	$(MAKE) B=build-fuzz CC=clang SAN="$(FUZZ_SAN)" SAN_LINK= fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t; \
	  echo "== fuzz $$t for $(FUZZ_TIME) s"; \
	  build-fuzz/tests/fuzz/fuzz-$$t -max_total_time=$(FUZZ_TIME) \
	    -close_fd_mask=3 -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=build-fuzz/ -print_final_stats=1 \
	    build-fuzz/corpus/$$t tests/fuzz/corpus/$$t \
	    >build-fuzz/fuzz-$$t.log 2>&1; \
	  rc=$$?; \
	  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss)' build-fuzz/fuzz-$$t.log; \
	  [ $$rc = 0 ] || { tail -n 60 build-fuzz/fuzz-$$t.log; \
	    echo "fuzz $$t: failed (exit $$rc; input in build-fuzz/crash-* or leak-*)"; exit 1; }; \
	done
fuzz-build: $(FUZZ_TARGETS:%=$(B)/tests/fuzz/fuzz-%)

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
	rm -rf build build-san build-fuzz
