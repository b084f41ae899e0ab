# A journal of schema version 1 (before pipes), made by peerlog 0.1.0 of
# the example and kept as SQL (tests/fixtures/journal-v1.sql): the first
# command brings it up to date in place and answers as before, and a new
# trace, pipes and all, goes into it; one that is read-only here is
# refused in one line, untouched.
. "$(dirname "$0")/../lib.sh"

command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
sqlite3 v1.db <"$TOP/tests/fixtures/journal-v1.sql" || fail "cannot load the fixture"
[ "$(sqlite3 v1.db 'PRAGMA user_version')" = 1 ] || fail "the fixture is not of version 1"

if [ "$(id -u)" = 0 ]; then # another owner's journal is opened read-only
	cp v1.db ro.db
	chown 65534 ro.db
	expect 3 -j ro.db pairs
	grep -q "'ro.db' has journal schema version 1 and is read-only here" err || fail "read-only: $(cat err)"
	[ "$(sqlite3 ro.db 'PRAGMA user_version')" = 1 ] || fail "the read-only journal was changed"
fi

expect 0 -j v1.db who 12597 3
grep -q "^  the peer was last held by pid 12598 (/usr/lib/peerlog-example/child1) at fd 4 (closed)$" out ||
	fail "who on the upgraded journal: $(cat out)"
[ "$(sqlite3 v1.db 'PRAGMA user_version')" = 2 ] || fail "not upgraded"
[ "$(sqlite3 v1.db 'PRAGMA integrity_check')" = ok ] || fail "integrity: $(sqlite3 v1.db 'PRAGMA integrity_check')"
[ "$(sqlite3 v1.db "SELECT group_concat(DISTINCT kind) FROM sock")" = socket ] || fail "kinds: $(sqlite3 v1.db 'SELECT kind FROM sock')"
sqlite3 v1.db "SELECT sql FROM sqlite_schema WHERE name = 'holding'" | grep -q "start_reason = 'open'" ||
	fail "holding takes no 'open': $(sqlite3 v1.db "SELECT sql FROM sqlite_schema WHERE name = 'holding'")"
sqlite3 v1.db "SELECT kind, side FROM holding_span LIMIT 1" >/dev/null || fail "the views have no kind"
expect 0 -j v1.db pairs --json
[ "$(json out '[(p["id"], p["type"], p["creator"]["pid"]) for p in j["pairs"]]')" = "[(1, 'stream', 12597)]" ] ||
	fail "pairs on the upgraded journal: $(cat out)"
expect 0 -j v1.db lint
# a second command finds it up to date
expect 0 -j v1.db tree
# new records, pipes among them, go into it
"$B/peerlog" run -j "$WORK/v1.db" -- "$PROGS/pipes" fixed >fixed.out </dev/null || fail "trace into the upgraded journal"
expect 0 -j v1.db who "$(val parent fixed.out)" 3 --json
[ "$(json out 'j["end"]["kind"], j["end"]["end"]')" = "('pipe', 'read')" ] || fail "pipes in the upgraded journal: $(cat out)"
[ "$(sqlite3 v1.db 'SELECT count(*) FROM process WHERE pid = 12597')" = 1 ] || fail "the old rows"
exit 0
