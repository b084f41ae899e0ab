# Load: 48 processes make 150 pairs each at the same moment; then two
# traced runs write one journal at once while queries run. Every pair is
# in the journal once, none is lost or doubled.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
q() { sqlite3 "$PEERLOG_JOURNAL" "$1"; }

peerlog run -- "$PROGS/stress" burst 48 150 >burst.out || fail "burst run failed"
[ "$(grep -c '^pair ' burst.out)" = 7200 ] || fail "burst made $(grep -c '^pair ' burst.out) pairs"
peerlog pairs >/dev/null || fail "pairs after burst"
# the journal's pairs, as the kernel named them: pid, inode of end 0, of end 1
q "SELECT p.pid, a.ino, b.ino FROM pair
   JOIN sock a ON a.pair_id = pair.id AND a.side = 0
   JOIN sock b ON b.pair_id = pair.id AND b.side = 1
   JOIN process p ON p.id = pair.process_id
   WHERE pair.domain <> 0" | tr '|' ' ' | sort >journal.txt
sed -n 's/^pair //p' burst.out | sort >kernel.txt
diff kernel.txt journal.txt >diff.txt || fail "journal and kernel disagree: $(head diff.txt)"
# (pipes, domain 0, are the processes' own: they start at one moment)
[ "$(q 'SELECT count(*) FROM pair WHERE domain <> 0')" = 7200 ] ||
	fail "pairs doubled: $(q 'SELECT count(*) FROM pair WHERE domain <> 0')"

# Two runs at once into one journal, and queries while they write.
rm -f "$PEERLOG_JOURNAL" "$PEERLOG_JOURNAL".*
peerlog run -- "$PROGS/scenario" churn 3000 >run1.out &
r1=$!
peerlog run -- "$PROGS/scenario" churn 3000 >run2.out &
r2=$!
wait_for run1.out "made 100"
queries=0
while kill -0 $r1 2>/dev/null || kill -0 $r2 2>/dev/null; do
	peerlog pairs --json >pairs.json 2>query.err ||
		fail "query while writing: $(cat query.err)"
	queries=$((queries + 1))
done
wait $r1 || fail "run 1 exited $?"
wait $r2 || fail "run 2 exited $?"
peerlog tree >/dev/null 2>final.err || fail "ingest after: $(cat final.err)"
grep -q "garbled\|torn" query.err final.err && fail "damaged records: $(cat query.err final.err)"
for pid in $(q "SELECT pid FROM process WHERE argv LIKE '%churn%'"); do
	n=$(q "SELECT count(*) FROM pair JOIN process p ON p.id = pair.process_id WHERE p.pid = $pid AND pair.domain <> 0")
	[ "$n" = 3000 ] || fail "pid $pid: $n pairs, made 3000"
done
[ "$(q "SELECT count(*) FROM process WHERE argv LIKE '%churn%'")" = 2 ] ||
	fail "not two churn processes: $(q 'SELECT pid, argv FROM process')"
dup=$(q "SELECT count(*) FROM (SELECT ino FROM sock WHERE kind = 'socket' GROUP BY boot, ino HAVING count(*) > 1)")
[ "$dup" = 0 ] || fail "$dup sockets recorded twice"
echo "$queries queries while writing"
