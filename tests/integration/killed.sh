# A traced tree killed with SIGKILL in the middle: the journal opens,
# passes PRAGMA integrity_check, and holds every event written before the
# kill; a record its writer never finished is found and skipped, and what
# comes after it is read.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
command -v setsid >/dev/null || skip "setsid is not installed"
q() { sqlite3 "$PEERLOG_JOURNAL" "$1"; }

# three writers under a shell, all killed at once, an ingest in between
setsid "$B/peerlog" run -- sh -c '"$1" churn 1000000 >a.out & "$1" churn 1000000 >b.out &
	"$1" churn 1000000 >c.out & wait' sh "$PROGS/scenario" &
leader=$!
wait_for a.out "made 1000"
peerlog tree >/dev/null 2>mid.err || fail "ingest while writing: $(cat mid.err)"
wait_for c.out "made 3000"
kill -KILL -$leader
wait $leader 2>/dev/null
sleep 0.2
peerlog tree >/dev/null 2>after.err || fail "ingest after the kill: $(cat after.err)"
[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "integrity_check: $(q 'PRAGMA integrity_check')"
# every pair each writer said it made is there (the printf follows 100
# closes of pairs), and pairs are whole
total_said=0
for f in a b c; do
	total_said=$((total_said + $(tail -n 1 $f.out | sed 's/made //')))
done
got=$(q "SELECT count(*) FROM pair JOIN process p ON p.id = pair.process_id WHERE p.argv LIKE '%churn%'")
[ "$got" -ge "$total_said" ] || fail "the writers said $total_said pairs, the journal has $got"
half=$(q "SELECT count(*) FROM (SELECT pair_id FROM sock WHERE pair_id IS NOT NULL
	GROUP BY pair_id HAVING count(*) <> 2)")
[ "$half" = 0 ] || fail "$half pairs without both ends"
[ "$(q 'SELECT count(DISTINCT pair_id) FROM sock')" = "$(q 'SELECT count(*) FROM pair')" ] ||
	fail "pairs without sockets"
ended=$(q "SELECT count(*) FROM process WHERE argv LIKE '%churn%' AND end_reason IS NULL")
echo "killed writers: $got pairs; $ended without a recorded end (killed)"

# A torn record at the tail: room reserved, its writer (named, gone)
# killed before the commit. Then a new run appends after it.
python3 - "$PEERLOG_JOURNAL.spool" "$leader" <<'PY' || fail "could not tear a record"
import struct, sys, time
path, dead = sys.argv[1], int(sys.argv[2])
with open(path, 'r+b') as f:
    head = f.read(64)
    tail = struct.unpack_from('<Q', head, 16)[0]
    size = 48
    # magic left 0: never committed; size, version, type, pid, check, time
    body = struct.pack('<IHBBIIQ', 0, size, 1, 1, dead, 0, time.time_ns())
    f.seek(tail)
    f.write(body + b'\xab' * (size - len(body)))
    f.seek(16)
    f.write(struct.pack('<Q', tail + size))
PY
peerlog run -- "$PROGS/scenario" churn 200 >after.out || fail "run after the torn record"
peerlog tree >/dev/null 2>torn.err || fail "ingest past the torn record: $(cat torn.err)"
grep -q "never finished" torn.err || fail "torn record not reported: $(cat torn.err)"
[ "$(wc -l <torn.err)" = 1 ] || fail "not one line: $(cat torn.err)"
n=$(q "SELECT count(*) FROM pair JOIN process p ON p.id = pair.process_id WHERE p.argv LIKE '%churn\",\"200%'")
[ "$n" = 200 ] || fail "after the torn record: $n pairs, made 200"
[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "integrity_check at the end"
