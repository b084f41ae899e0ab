# Long lineages and many processes: 200 exec generations passing one end
# down, 1000 short-lived children, forks from a signal handler that
# interrupts the shim. Each runs as it would bare and the journal has
# every process; the answers about them stay small.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
q() { sqlite3 "$PEERLOG_JOURNAL" "$1"; }

peerlog run -- "$PROGS/stress" nest 200 >nest.out || fail "nest exited $?"
set -- $(val last nest.out)
pid=$1 fd=$2 ino=$3
[ "$(val first nest.out | cut -d' ' -f3)" = "$ino" ] || fail "not the same end at the last generation"
peerlog tree --json >tree.json || fail "tree"
[ "$(wc -c <tree.json)" -lt 20000000 ] || fail "tree --json of 200 generations: $(wc -c <tree.json) bytes"
[ "$(json tree.json '(lambda f: f(f, j["processes"][0]))(lambda f, p: 1 + (f(f, p["children"][0]) if p["children"] else 0))')" = 200 ] ||
	fail "tree does not nest 200 images"
[ "$(q "SELECT count(*) FROM process WHERE pid = $pid AND origin = 'exec'")" = 199 ] ||
	fail "exec images: $(q "SELECT count(*) FROM process WHERE pid = $pid")"
peerlog who "$pid" "$fd" >who.out || fail "who the last generation's end"
grep -q "199 execs" who.out || fail "who: lineage: $(cat who.out)"

rm -f "$PEERLOG_JOURNAL" "$PEERLOG_JOURNAL".*
peerlog run -- "$PROGS/stress" children 1000 >children.out || fail "children exited $?"
peerlog tree >/dev/null || fail "tree"
[ "$(q "SELECT count(*) FROM process WHERE origin = 'fork'")" = 1000 ] ||
	fail "forked children: $(q "SELECT count(*) FROM process WHERE origin = 'fork'")"
[ "$(q "SELECT count(DISTINCT exit_status) FROM process WHERE origin = 'fork'")" = 100 ] ||
	fail "children's statuses (0..99 each ten times): $(q "SELECT exit_status, count(*) FROM process WHERE origin = 'fork' GROUP BY 1" | head)"
bad=$(q "SELECT count(*) FROM process WHERE origin = 'fork' AND (end_ns IS NULL OR exit_status IS NULL)")
[ "$bad" = 0 ] || fail "$bad children without their exit"

rm -f "$PEERLOG_JOURNAL" "$PEERLOG_JOURNAL".*
peerlog run -- "$PROGS/stress" sigfork 300 >sig.out || fail "sigfork exited $?"
[ "$(val forks sig.out)" = 300 ] || fail "forks: $(cat sig.out)"
peerlog tree >/dev/null || fail "tree"
[ "$(q "SELECT count(*) FROM process WHERE origin = 'fork'")" = 300 ] ||
	fail "forks from the handler in the journal: $(q "SELECT count(*) FROM process WHERE origin = 'fork'")"
