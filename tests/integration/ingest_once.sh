# Every event is ingested exactly once, even when several peerlog commands
# ingest at the same time as traced processes write: a journal built
# concurrently holds the same events as one built from the final spool in
# a single pass.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 command not installed"

for i in 1 2 3 4; do
	"$B/peerlog" run -- "$EX/parent" >/dev/null &
	"$B/peerlog" pairs >/dev/null &
	"$B/peerlog" tree --json >/dev/null &
done
wait
peerlog pairs >/dev/null || fail "pairs failed"

mkdir fresh
cp peerlog.db.spool fresh/peerlog.db.spool
peerlog -j fresh/peerlog.db pairs >/dev/null || fail "fresh ingest failed"
count() { sqlite3 "$1" "SELECT count(*) FROM event; SELECT count(*) FROM pair; SELECT count(*) FROM holding"; }
[ "$(count peerlog.db)" = "$(count fresh/peerlog.db)" ] ||
	fail "concurrent ingest differs: $(count peerlog.db | tr '\n' ' ') vs $(count fresh/peerlog.db | tr '\n' ' ')"
[ "$(sqlite3 peerlog.db 'SELECT count(*) FROM pair')" = 4 ] || fail "expected 4 pairs"
