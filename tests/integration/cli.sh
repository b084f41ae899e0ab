# Bad input gets one line on stderr and the documented exit status:
# 1 no answer, 2 usage, 3 journal unusable.
. "$(dirname "$0")/../lib.sh"

expect 3 who 1 2                        # no journal yet
expect 2 who                            # missing operand
expect 2 who abc 3
expect 2 who 12 -3
expect 2 who 12 99999999999999999999
expect 2 who 1 2 3
expect 2 frobnicate
expect 2 who --frob 1
expect 2 pairs extra
expect 2 run
expect 3 run -j "$WORK/no/such/dir/x.db" -- true   # cannot record: say so, run nothing
echo 'not a database at all, just text' >bogus.db
expect 3 -j bogus.db pairs
sqlite3 other.db 'CREATE TABLE t(x); INSERT INTO t VALUES (1);' 2>/dev/null &&
	expect 3 -j other.db tree
mkdir dir.db
expect 3 -j dir.db tree

peerlog run -- "$EX/parent" >/dev/null || fail "traced example failed"
expect 0 pairs
expect 0 tree
expect 1 who 1 3                       # pid not in the journal
P=$(sqlite3 peerlog.db "SELECT pid FROM process WHERE origin = 'root'" 2>/dev/null) ||
	P=$(peerlog tree --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["processes"][0]["pid"])')
expect 1 who "$P" 99                   # fd never held
expect 0 who "$P"
expect 0 --version
expect 0 who --help
grep -q '^usage: peerlog who' out || fail "who --help"
