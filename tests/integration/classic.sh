# The question of issue #2 on the bundled example, traced with peerlog run:
# while parent and child1 live, and after both exited, "who" on the
# parent's fd names child1 as the holder of the peer, and the inodes are
# those the kernel shows in /proc.
. "$(dirname "$0")/../lib.sh"

mkfifo in
"$B/peerlog" run -- "$EX/parent" -w <in >out 2>err &
RUN=$!
exec 3>in
wait_for out '^parent: ready$'

line=$(grep '^parent: pid ' out)
PARENT=$(echo "$line" | sed 's/^parent: pid \([0-9]*\) .*/\1/')
CHILD=$(echo "$line" | sed 's/.*(pid \([0-9]*\)).*/\1/')
FD=$(echo "$line" | sed 's/.* over fd \([0-9]*\)$/\1/')
[ "$PARENT" = "$RUN" ] || fail "peerlog run did not exec in place ($PARENT vs $RUN)"

peerlog who "$PARENT" "$FD" --json >live.json || fail "who failed while alive"
[ "$(json live.json 'j["query"]["pid"]')" = "$PARENT" ] || fail "query pid"
[ "$(json live.json 'j["end"]["inode"]')" = "$(kernel_ino "$PARENT" "$FD")" ] ||
	fail "parent's end inode differs from the kernel's"

# child1 holds the peer: find its fd and check it against /proc.
holder='[h for h in j["peer"]["holders"] if h["pid"]=='"$CHILD"']'
[ "$(json live.json "len($holder)")" = 1 ] || fail "child $CHILD is not a holder: $(cat live.json)"
[ "$(json live.json "$holder[0]['exe'].endswith('/child1')")" = true ] || fail "holder is not child1"
[ "$(json live.json "$holder[0]['end_reason']")" = alive ] || fail "child1 not alive"
[ "$(json live.json "$holder[0]['start_reason']")" = fork ] || fail "child1 did not get it by fork"
[ "$(json live.json "$holder[0]['execs']")" = 1 ] || fail "exec not counted"
CFD=$(json live.json "$holder[0]['fd']")
[ "$(json live.json 'j["peer"]["inode"]')" = "$(kernel_ino "$CHILD" "$CFD")" ] ||
	fail "peer inode differs from child1's fd $CFD in /proc"
# The parent's own copy of the peer end was closed after the fork.
[ "$(json live.json '[h["end_reason"] for h in j["peer"]["holders"] if h["pid"]=='"$PARENT"']')" = "['close']" ] ||
	fail "parent's copy of the peer end not closed"
# The kernel agrees on who is alive: exactly one live holder of the peer.
[ "$(json live.json 'sum(h["end_reason"]=="alive" for h in j["peer"]["holders"])')" = 1 ] ||
	fail "wrong number of live holders"

# The kernel was asked, and agrees.
[ "$(json live.json "$holder[0]['kernel'], j['live_check']['done']")" = "('confirmed', True)" ] ||
	fail "live check: $(cat live.json)"
peerlog who "$PARENT" "$FD" --json --no-check >nocheck.json || fail "who --no-check"
[ "$(json nocheck.json "$holder[0]['kernel'], j['live_check']['reason']")" = "(None, '--no-check')" ] ||
	fail "--no-check: $(cat nocheck.json)"

# Text output names child1 too.
peerlog who "$PARENT" "$FD" >live.txt || fail "who (text) failed"
grep -q "^  $CHILD .*child1 .*alive" live.txt || fail "text output: $(cat live.txt)"
grep -q "^  the peer is held by pid $CHILD (.*/child1) at fd $CFD$" live.txt ||
	fail "text answer line: $(cat live.txt)"

exec 3>&-
wait $RUN || fail "traced parent failed: $(cat err)"
grep -q 'child1 exited with 0' out || fail "example did not finish: $(cat out)"

peerlog who "$PARENT" "$FD" --json >after.json || fail "who failed after exit"
peerlog who "$PARENT" "$FD" >after.txt || fail "who (text) failed after exit"
grep -q "^  the peer was last held by pid $CHILD (.*/child1) at fd $CFD (closed)$" after.txt ||
	fail "post-mortem text answer line: $(cat after.txt)"
[ "$(json after.json "$holder[0]['exe'].endswith('/child1')")" = true ] || fail "post-mortem: child1 missing"
[ "$(json after.json "$holder[0]['end_reason']")" = close ] || fail "post-mortem: child1 should have closed it"
[ "$(json after.json "$holder[0]['until'] is not None")" = true ] || fail "post-mortem: no until"
[ "$(json after.json 'sum(h["end_reason"]=="alive" for h in j["peer"]["holders"]+j["end"]["holders"])')" = 0 ] ||
	fail "post-mortem: a holder is still alive"
[ "$(json after.json "j['live_check']['done'], 'post-mortem' in j['live_check']['reason']")" = "(False, True)" ] ||
	fail "post-mortem answers should say no live check was made: $(cat after.json)"
grep -q "^no live check: no holder is alive" after.txt || fail "post-mortem text: $(cat after.txt)"
