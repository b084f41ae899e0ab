# peerlog: see README.md. `make` builds build/libpeerlog.so and
# build/peerlog; `make check` runs every test; `make demo` runs the example;
# `make install` installs (PREFIX, DESTDIR, BINDIR, ...: see below).

# The one version: `peerlog --version`, and debian/changelog's first entry
# (tests/integration/version.sh checks that they agree).
VERSION := 0.1.0

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

.PHONY: all check unit integration demo deps bench fuzz fuzz-build clean lib32 install uninstall
all: $(B)/libpeerlog.so $(B)/peerlog $(EXAMPLES)

$(B)/preload/%.o: preload/%.c preload/shim.h $(wildcard schema/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/libpeerlog.so: $(SHIM_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-z,defs -Wl,--as-needed -o $@ $^ -ldl -lpthread

# The 32-bit shim, for the 32-bit programs of a traced tree, built where
# $(CC) -m32 builds a program this machine runs. The probe runs once; its
# answer, and where ld.so's $LIB points for each class (LD_DEBUG shows the
# expansion), is kept in $(B)/m32.mk. `make lib32` asks again and fails
# if it cannot build; `make check` asks again after installing
# gcc-multilib. Goals that run make again after `deps` leave it to that.
CC32 ?= $(CC) -m32 -march=i686
M32_LATER := clean deps check demo bench fuzz lib32 $(B)/m32.mk
ifneq ($(if $(MAKECMDGOALS),$(filter-out $(M32_LATER),$(MAKECMDGOALS)),all),)
-include $(B)/m32.mk
endif
$(B)/m32.mk:
	@mkdir -p $(B)/m32-probe
	@d=$(B)/m32-probe; printf 'int main(void) { return 0; }\n' >$$d/p.c; \
	lib() { LD_LIBRARY_PATH='/@peerlog@/$$LIB' LD_DEBUG=libs "$$1" 2>&1 | \
	  sed -n 's|.*/@peerlog@/\([^:[:space:]]*\)[[:space:]]*(LD_LIBRARY_PATH).*|\1|p' | \
	  head -n 1; }; \
	why=; \
	if ! $(CC32) -o $$d/p32 $$d/p.c 2>/dev/null; then \
	  why="$(CC32) cannot build a program (apt-get install gcc-multilib)"; \
	elif ! $$d/p32; then why="this kernel does not run 32-bit programs"; \
	elif ! $(CC) -o $$d/p64 $$d/p.c; then why="$(CC) cannot build a program"; \
	else lib64=$$(lib $$d/p64); lib32=$$(lib $$d/p32); \
	  [ -n "$$lib64" ] && [ -n "$$lib32" ] && [ "$$lib64" != "$$lib32" ] || \
	    why="ld.so's \$$LIB expansion not found (LD_DEBUG)"; \
	fi; \
	rm -rf $$d; \
	if [ -n "$$why" ]; then \
	  echo "note: no 32-bit shim: $$why; the m32 tests will skip"; \
	  [ "$(M32_NEED)" != 1 ] || exit 1; \
	  printf '# make lib32 asks again\nM32 := no\nM32_WHY := %s\n' "$$why" >$@; \
	else \
	  printf '# make lib32 asks again\nM32 := yes\nLIB64 := %s\nLIB32 := %s\n' \
	    "$$lib64" "$$lib32" >$@; \
	fi

# Built in $(B)/lib32/; $(B)/$(LIB64)/ and $(B)/$(LIB32)/ are where a
# preload of $(B)/$$LIB/libpeerlog.so finds each build.
ifeq ($(M32),yes)
SHIM32_OBJ := $(SHIM_SRC:%.c=$(B)/lib32/%.o)
all: $(B)/lib32/libpeerlog.so $(B)/$(LIB64)/libpeerlog.so
$(B)/collector/cmd-run.o: CPPFLAGS += -DPL_LIB64='"$(LIB64)"' -DPL_LIB32='"$(LIB32)"'

$(B)/lib32/preload/%.o: preload/%.c preload/shim.h $(wildcard schema/*.h)
	@mkdir -p $(@D)
	$(CC32) $(CPPFLAGS) -D_FILE_OFFSET_BITS=64 $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/lib32/libpeerlog.so: $(SHIM32_OBJ)
	$(CC32) $(CFLAGS) -shared -Wl,-z,defs -Wl,--as-needed -o $@ $^ -ldl -lpthread

$(B)/$(LIB64)/libpeerlog.so: $(B)/libpeerlog.so
	@mkdir -p $(@D)
	ln -sfr $< $@

ifneq ($(LIB32),lib32)
all: $(B)/$(LIB32)/libpeerlog.so
$(B)/$(LIB32)/libpeerlog.so: $(B)/lib32/libpeerlog.so
	@mkdir -p $(@D)
	ln -sfr $< $@
endif
endif
$(B)/collector/cmd-run.o: $(wildcard $(B)/m32.mk)

# The example built 32-bit, for the test of a 64-bit tree that execs it;
# a test program with 64-bit time_t (glibc's __sendmsg64, ...), and the
# program it execs.
.PHONY: m32-helpers
m32-helpers:
ifeq ($(M32),yes)
m32-helpers: $(B)/tests/progs32/parent $(B)/tests/progs32/child1 \
	     $(B)/tests/progs32/holder $(B)/tests/progs32/scenario-t64
$(B)/tests/progs32/%: examples/%.c
	@mkdir -p $(@D)
	$(CC32) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $<
$(B)/tests/progs32/%: tests/progs/%.c
	@mkdir -p $(@D)
	$(CC32) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $<
$(B)/tests/progs32/scenario-t64: tests/progs/scenario.c
	@mkdir -p $(@D)
	$(CC32) $(CPPFLAGS) -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64 $(CFLAGS) $(WARN) -o $@ $< -lpthread
endif

lib32:
	rm -f $(B)/m32.mk
	@$(MAKE) --no-print-directory M32_NEED=1 $(B)/m32.mk
	$(MAKE) all

$(B)/collector/%.o: collector/%.c $(wildcard collector/*.h) $(wildcard schema/*.h) $(B)/journal_sql.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -I$(B) $(CFLAGS) $(SAN) $(WARN) -c $< -o $@

$(B)/collector/dispatch.o: CPPFLAGS += -DPL_VERSION='"$(VERSION)"'
$(B)/collector/dispatch.o: Makefile

# The SQL schema is compiled into the collector as a string.
$(B)/journal_sql.h: schema/journal.sql
	@mkdir -p $(@D)
	{ echo 'static const char pl_journal_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

$(B)/peerlog: $(COLL_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) $(SAN) $(SAN_LINK) -o $@ $^ $(SQLITE_LIBS)

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
# Graphviz only for the tests that render a graph; Chromium (headless) for
# the one that renders peerlog report's page (some 80 MB to fetch; with
# Graphviz, 23 s to install on the project's VM); gcc-multilib (some 5 s,
# 24 MB) for the 32-bit shim and its test; groff and man for the man pages,
# bash-completion for the completion, debhelper for the test that builds
# the Debian package.
DEPS := gcc make libsqlite3-dev libcmocka-dev libunwind-dev binutils sqlite3 python3
CHECK_DEPS := graphviz chromium gcc-multilib groff-base man-db bash-completion \
	debhelper $(if $(filter 1,$(VALGRIND)),valgrind)
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
	@grep -qs '^M32 := yes' $(B)/m32.mk || rm -f $(B)/m32.mk
	$(MAKE) all $(UNIT_BIN) $(HELPERS) $(REPLAY_BIN) m32-helpers
	tests/run.sh $(B) "$(TESTS)"

# The unit tests alone: no Debian package installed, no traced program
# (what the Debian package build runs, see debian/rules).
unit: $(UNIT_BIN)
	tests/run.sh $(B) unit/

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

# make install [PREFIX=/usr/local] [DESTDIR=]: GNU-style directory
# variables, each one overridable. `peerlog run` finds the shim at
# BINDIR/../lib/peerlog/ (or next to itself): with LIBDIR elsewhere, set
# PEERLOG_LIB. Nothing is built here that `make` did not build.
PREFIX      = /usr/local
BINDIR      = $(PREFIX)/bin
LIBDIR      = $(PREFIX)/lib
PKGLIBDIR   = $(LIBDIR)/peerlog
DATADIR     = $(PREFIX)/share
MANDIR      = $(DATADIR)/man
DOCDIR      = $(DATADIR)/doc/peerlog
BASHCOMPDIR = $(DATADIR)/bash-completion/completions
INSTALL     = install
# SOURCE:DIRECTORY:MODE of every file installed, for install and uninstall
INSTALLED = $(B)/peerlog:$(BINDIR):0755 \
	$(B)/libpeerlog.so:$(PKGLIBDIR):0644 \
	doc/peerlog.1:$(MANDIR)/man1:0644 \
	doc/peerlog-journal.5:$(MANDIR)/man5:0644 \
	completion/peerlog:$(BASHCOMPDIR):0644 \
	README.md:$(DOCDIR):0644 \
	ARCHITECTURE.md:$(DOCDIR):0644 \
	schema/journal.sql:$(DOCDIR)/schema:0644 \
	examples/topology.svg:$(DOCDIR)/examples:0644
# with the 32-bit shim, both builds where ld.so's $LIB names them
ifeq ($(M32),yes)
INSTALLED += $(B)/libpeerlog.so:$(PKGLIBDIR)/$(LIB64):0644 \
	$(B)/lib32/libpeerlog.so:$(PKGLIBDIR)/$(LIB32):0644
endif

install: all
	@set -e; for f in $(INSTALLED); do \
	  src=$${f%%:*}; rest=$${f#*:}; dir=$(DESTDIR)$${rest%:*}; \
	  echo "$(INSTALL) -m $${rest##*:} $$src $$dir/"; \
	  $(INSTALL) -d "$$dir"; \
	  $(INSTALL) -m "$${rest##*:}" "$$src" "$$dir/"; \
	done
	@[ "$(abspath $(BINDIR)/../lib/peerlog)" = "$(abspath $(PKGLIBDIR))" ] || \
	  echo "note: peerlog run looks for the shim in $(abspath $(BINDIR)/../lib/peerlog), not in $(PKGLIBDIR): set PEERLOG_LIB"

# Only what install put there, and the directories that are peerlog's own
# when they are left empty.
uninstall:
	@for f in $(INSTALLED); do \
	  rest=$${f#*:}; file=$(DESTDIR)$${rest%:*}/$$(basename "$${f%%:*}"); \
	  echo "rm -f $$file"; rm -f "$$file"; \
	done
	@for d in $(if $(filter yes,$(M32)),$(PKGLIBDIR)/$(LIB64) \
	    $(PKGLIBDIR)/$(LIB32) $(dir $(PKGLIBDIR)/$(LIB64))) \
	    $(PKGLIBDIR) $(DOCDIR)/schema $(DOCDIR)/examples $(DOCDIR); do \
	  [ ! -d "$(DESTDIR)$$d" ] || rmdir "$(DESTDIR)$$d" 2>/dev/null || \
	    echo "note: $(DESTDIR)$$d is not empty: left"; \
	done

clean:
	rm -rf build build-san build-fuzz
