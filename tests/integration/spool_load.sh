# The spool under load: traced processes writing at once through their
# shared mappings lose nothing and double nothing, a writer killed with
# SIGKILL in the middle leaves every record it committed, and an ingest
# running meanwhile leaves nothing behind.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
# its ingest of some million records takes over 5 minutes under valgrind
[ -z "${PEERLOG_VALGRIND:-}" ] || skip "a load test: not under valgrind (SANITIZE=1 runs it)"
N=3000

LD_PRELOAD=$SHIM "$PROGS/scenario" churn 1000000 >killed.out &
victim=$!
pids=
for i in 1 2 3 4 5 6; do
	LD_PRELOAD=$SHIM "$PROGS/scenario" churn $N >"w$i.out" &
	pids="$pids $!"
done
peerlog tree >/dev/null 2>ingest.err || fail "ingest while writing: $(cat ingest.err)"
for p in $pids; do
	wait "$p" || fail "writer $p exited $?"
done
wait_for killed.out "made 2000"
kill -KILL $victim
wait $victim 2>/dev/null

peerlog tree >/dev/null 2>final.err || fail "ingest after: $(cat final.err)"
grep -q "garbled" ingest.err final.err && fail "garbled bytes: $(cat ingest.err final.err)"

q() { sqlite3 "$PEERLOG_JOURNAL" "$1"; }
# every writer's pairs, once each
for p in $pids; do
	got=$(q "SELECT count(*) FROM pair JOIN process p ON p.id = pair.process_id WHERE p.pid = $p AND pair.domain <> 0")
	[ "$got" = $N ] || fail "pid $p: $got pairs in the journal, made $N"
done
# the killed one: at least what it said it had made, and each pair whole
said=$(tail -n 1 killed.out | sed 's/made //')
got=$(q "SELECT count(*) FROM pair JOIN process p ON p.id = pair.process_id WHERE p.pid = $victim AND pair.domain <> 0")
[ "$got" -ge "$said" ] || fail "killed writer said $said pairs, the journal has $got"
# (of sockets: a pipe the test's environment passed down is held to the end)
open=$(q "SELECT count(*) FROM holding h JOIN process p ON p.id = h.process_id JOIN sock s ON s.id = h.sock_id WHERE p.pid = $victim AND h.end_reason IS NULL AND s.kind = 'socket'")
[ "$open" -le 2 ] || fail "killed writer: $open holdings still open, at most one pair can be"
dup=$(q "SELECT count(*) FROM (SELECT ino FROM sock WHERE kind = 'socket' GROUP BY boot, ino HAVING count(*) > 1)")
[ "$dup" = 0 ] || fail "$dup sockets recorded twice"
# the spool's reservations end where its last record ends: nothing lost
python3 - "$PEERLOG_JOURNAL.spool" <<'PY' || fail "spool walk"
import struct, sys
d = open(sys.argv[1], 'rb').read()
assert d[:7] == b'PLSPOOL', 'no header'
tail = struct.unpack_from('<Q', d, 16)[0]
at, n, holes = 4096, 0, 0
while at < tail:
    magic, size = struct.unpack_from('<IH', d, at)
    if magic != 0x31524c50:
        holes += 1
        at += 8
        continue
    at += size
    n += 1
assert at == tail, (at, tail)
assert holes <= 16, holes
print(n, 'records')
PY
exit 0
