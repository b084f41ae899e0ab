# Shared by the integration tests: sourced, not run.
# Each test runs in its own temporary directory, removed at exit, with
# PEERLOG_JOURNAL pointing into it. Helpers:
#   skip REASON      skip the test (exit 77) saying why
#   fail MESSAGE     fail the test
#   peerlog ARGS     the collector under test
#   json FILE EXPR   evaluate a Python expression on JSON in FILE (as j)
#   val KEY FILE     the value of "KEY value" lines a test program printed
#   expect STATUS ARGS  peerlog ARGS exits STATUS; unless 0, with one line
#                    "peerlog: ..." on stderr (left in ./err, stdout in ./out)
set -u
B=${PEERLOG_BUILD:?run through tests/run.sh}
TOP=${PEERLOG_TOP:?run through tests/run.sh}
SHIM=$B/libpeerlog.so
EX=$B/examples
PROGS=$B/tests/progs
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export PEERLOG_JOURNAL="$WORK/peerlog.db"

skip() { echo "$*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# PEERLOG_VALGRIND (make check VALGRIND=1) runs it under valgrind
peerlog() { ${PEERLOG_VALGRIND:-} "$B/peerlog" "$@"; }
command -v python3 >/dev/null || skip "python3 is needed to read JSON answers"
json() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(r if not isinstance(r,bool) else str(r).lower())' "$1" "$2"
}
val() { sed -n "s/^$1 //p" "$2"; }
# Wait until FILE has a line matching PATTERN (at most ~10 s).
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "timed out waiting for '$2' in $1: $(cat "$1")"
		sleep 0.05
	done
}
# The inode of the socket PID holds at FD, as the kernel says.
kernel_ino() {
	readlink "/proc/$1/fd/$2" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p'
}
expect() { # status, args...
	want=$1
	shift
	peerlog "$@" >out 2>err
	got=$?
	[ $got = "$want" ] || fail "peerlog $*: exit $got, want $want ($(cat err))"
	if [ "$want" != 0 ]; then
		[ "$(wc -l <err)" = 1 ] || fail "peerlog $*: not one line: $(cat err)"
		grep -q '^peerlog: ' err || fail "peerlog $*: message: $(cat err)"
	fi
}
# The commands of collector/dispatch.c's commands[], one a line.
commands() {
	sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)", cmd_[a-z0-9_]* },.*/\1/p' "$TOP/collector/dispatch.c"
}
# The options "peerlog help COMMAND" lists (-j, --journal, ...), one a line.
help_options() {
	"$B/peerlog" help "$1" |
		sed -n 's/^ \{1,\}\(-[a-zA-Z0-9]\)\{0,1\}\(, \)\{0,1\}\(--[a-z][a-z0-9-]*\)\{0,1\}.*/\1 \3/p' |
		tr ' ' '\n' | grep '^-' | sort -u
}
# Copy the source tree (what git tracks or would, else all but the build
# directories) into DIR, to build there without touching the tree.
copy_tree() {
	mkdir -p "$1" || fail "cannot make $1"
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$TOP" ls-files --cached --others --exclude-standard |
			(cd "$TOP" && while IFS= read -r f; do [ -e "$f" ] && echo "$f"; done |
				tar -cf - -T -) | tar -xf - -C "$1"
	else
		(cd "$TOP" && tar -cf - --exclude=./.git --exclude='./build*' .) |
			tar -xf - -C "$1"
	fi || fail "cannot copy the source tree to $1"
}
# make in DIR as a user would, not as part of the make that runs the tests.
make_in() {
	dir=$1
	shift
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$dir" "$@"
}
# The Makefile's VERSION.
make_version() { sed -n 's/^VERSION *:\{0,1\}= *//p' "$TOP/Makefile"; }
# An installed peerlog $1 preloads the shim $2 by itself (no PEERLOG_LIB)
# and answers who on the traced example.
installed_answers() {
	pre=$(env -u PEERLOG_LIB "$1" run -- sh -c 'echo "$LD_PRELOAD"') || fail "$1 run failed"
	# with the 32-bit build: DIR/$LIB/libpeerlog.so, DIR that of $2
	case $pre in
	*'$LIB'*) [ "$(realpath "$(dirname "$(dirname "$pre")")")" = "$(realpath "$(dirname "$2")")" ] ||
		fail "$1 preloads '$pre', not from $(dirname "$2")" ;;
	*) [ "$(realpath "$pre")" = "$(realpath "$2")" ] || fail "$1 preloads '$pre', not $2" ;;
	esac
	"$1" run -- "$EX/parent" >parent.out || fail "traced example failed under $1"
	P=$(val 'parent: pid' parent.out | sed 's/ .*//')
	"$1" who "$P" 3 >who.out || fail "$1 who $P 3 failed"
	grep -q child1 who.out || fail "$1 who does not name child1: $(cat who.out)"
}
