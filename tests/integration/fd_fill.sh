# A program that dup2s over every fd 3..1023 (the spool's number among
# them, with no free number left to move it to) and then closefrom(3)
# keeps working, and stays traced: its later pairs, more than the spool
# had room for when it gave its fd up, are all in the journal.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
"$PROGS/stress" fill >bare.out 2>&1 || fail "bare run failed: $(cat bare.out)"
grep -q '^skip' bare.out && skip "$(cat bare.out)"
LD_PRELOAD=$SHIM "$PROGS/stress" fill >traced.out 2>traced.err || fail "traced run failed: $(cat traced.out traced.err)"
[ -s traced.err ] && fail "said something: $(cat traced.err)"
grep -q "^filled 1024" traced.out || fail "did not fill: $(cat traced.out)"
pid=$(val after traced.out | cut -d' ' -f1)
ino0=$(val after traced.out | cut -d' ' -f2)
child=$(val child traced.out)
peerlog pairs >/dev/null || fail "pairs"
n=$(sqlite3 "$PEERLOG_JOURNAL" "SELECT count(*) FROM pair JOIN process p ON p.id = pair.process_id WHERE p.pid = $pid AND pair.domain <> 0")
[ "$n" = 20002 ] || fail "$n pairs in the journal, made 20002"
peerlog who --json "$child" 4 >who.json 2>who.err || fail "who the child's end: $(cat who.err)"
grep -q "$ino0" who.json || fail "the child's end is not the last pair's: $(cat who.json)"
