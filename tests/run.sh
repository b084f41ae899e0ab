#!/bin/sh
# Runs every test: the cmocka unit tests (build/tests/test_*) and the
# integration scripts (tests/integration/*.sh), each bounded in time.
# An integration script exits 0 to pass, 77 to skip (saying why on
# stderr), anything else to fail. Ends with "N passed, N failed, N skipped".
#
# PATTERN: run only the tests whose name (unit/test_spool,
# integration/cli) contains one of its space-separated words.
#
# usage: tests/run.sh BUILD_DIR [PATTERN]
set -u
B=${1:?usage: tests/run.sh BUILD_DIR [PATTERN]}
PATTERN=${2:-}
B=$(cd "$B" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
LIMIT=${PEERLOG_TEST_TIMEOUT:-120}
passed=0 failed=0 skipped=0 failures=

run_one() { # name, command...
	name=$1
	shift
	if [ -n "$PATTERN" ]; then
		for word in $PATTERN; do
			case "$name" in *"$word"*) break ;; esac
			word=
		done
		[ -n "$word" ] || return
	fi
	log=$(mktemp)
	timeout -k 5 "$LIMIT" "$@" >"$log" 2>&1
	rc=$?
	case $rc in
	0)
		passed=$((passed + 1))
		echo "PASS  $name"
		;;
	77)
		skipped=$((skipped + 1))
		echo "SKIP  $name: $(tail -n 1 "$log")"
		;;
	*)
		failed=$((failed + 1))
		failures="$failures $name"
		[ $rc = 124 ] && echo "(timed out after ${LIMIT}s)" >>"$log"
		echo "FAIL  $name (exit $rc)"
		# from the last "FAIL:" on (the message, with what it shows)
		awk '/^FAIL:/ { buf = "" } { buf = buf "      " $0 "\n" }
		     END { printf "%s", buf }' "$log" | head -n 40
		;;
	esac
	rm -f "$log"
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in "$TOP"/tests/integration/*.sh; do
	[ -f "$t" ] || continue
	run_one "integration/$(basename "$t" .sh)" env PEERLOG_BUILD="$B" \
		PEERLOG_TOP="$TOP" sh "$t"
done

echo
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
