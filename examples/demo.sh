#!/bin/sh
# make demo: trace the bundled example and ask who holds the other end of
# the parent's socket, first while parent and child1 run, then after both
# have exited; then the same question for a pipe whose reader never sees
# end of file (examples/noeof).
#
# usage: examples/demo.sh BUILD_DIR
set -eu
B=$(cd "${1:?usage: examples/demo.sh BUILD_DIR}" && pwd)
DEMO=$B/demo
rm -rf "$DEMO"
mkdir -p "$DEMO"
export PEERLOG_JOURNAL="$DEMO/peerlog.db"

say() { printf '\n\033[1m%s\033[0m\n' "$*" 2>/dev/null || printf '\n%s\n' "$*"; }
[ -t 1 ] || say() { printf '\n== %s\n' "$*"; }

say "\$ peerlog run -- examples/parent -w     (parent waits until we have looked)"
mkfifo "$DEMO/go"
"$B/peerlog" run -- "$B/examples/parent" -w <"$DEMO/go" >"$DEMO/out" &
RUN=$!
exec 3>"$DEMO/go"
i=0
until grep -q '^parent: ready' "$DEMO/out" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		echo "demo: the example did not start" >&2
		exit 1
	fi
	sleep 0.05
done
cat "$DEMO/out"
line=$(grep '^parent: pid ' "$DEMO/out")
PARENT=$(echo "$line" | sed 's/^parent: pid \([0-9]*\) .*/\1/')
FD=$(echo "$line" | sed 's/.* over fd \([0-9]*\)$/\1/')

say "\$ peerlog who $PARENT $FD          (live: both processes are running)"
"$B/peerlog" who "$PARENT" "$FD"

exec 3>&-
wait $RUN
tail -n 2 "$DEMO/out"

say "\$ peerlog who $PARENT $FD          (post-mortem: every process has exited)"
"$B/peerlog" who "$PARENT" "$FD"

say "\$ peerlog tree"
"$B/peerlog" tree

# The same question for a pipe: a reader that never sees end of file.
PIPES=$DEMO/pipes.db
say "\$ peerlog run -- examples/noeof     (reads a pipe until end of file, which never comes)"
"$B/peerlog" run -j "$PIPES" -- "$B/examples/noeof" | tee "$DEMO/noeof.out"
READER=$(sed -n 's/^noeof: pid \([0-9]*\) reads fd \([0-9]*\);.*/\1 \2/p' "$DEMO/noeof.out")

say "\$ peerlog who $READER          (who still holds the write end?)"
# shellcheck disable=SC2086 # pid and fd
"$B/peerlog" -j "$PIPES" who $READER

say "\$ peerlog lint"
"$B/peerlog" -j "$PIPES" lint || true

say "The journal is $PEERLOG_JOURNAL; try: $B/peerlog -j $PEERLOG_JOURNAL who $PARENT $FD --json"
