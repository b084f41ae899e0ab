# Ends passed with SCM_RIGHTS: the receiver holds it from the receive on,
# as the sender's copy; an end sent and never received is in flight, held
# by nobody.
. "$(dirname "$0")/../lib.sh"

mkfifo in
"$B/peerlog" run -- "$PROGS/scenario" passfd "$PROGS/holder" <in >out 2>err &
RUN=$!
exec 3>in
wait_for out '^holder '
P=$(val parent out) W=$(val worker out)
# the worker (now holder) reports the fd it received
GOT=$(sed -n "s/^fd \([0-9]*\) ino $(val ino1 out)$/\1/p" out)
[ -n "$GOT" ] || fail "worker does not hold the passed end: $(cat out)"

peerlog who "$P" "$(val fd0 out)" --json >live.json || fail "who (live)"
h="[h for h in j['peer']['holders'] if h['pid']==$W][0]"
[ "$(json live.json "$h['fd'], $h['start_reason'], $h['source']['pid'], $h['source']['fd'], $h['end_reason'], $h['exe'].endswith('/holder')")" = "($GOT, 'recv', $P, $(val fd1 out), 'alive', True)" ] ||
	fail "received end: $(cat live.json)"
[ "$(json live.json "[h['end_reason'] for h in j['peer']['holders'] if h['pid']==$P]")" = "['close']" ] ||
	fail "sender's copy should be closed"
[ "$(json live.json 'j["peer"]["in_flight"]')" = "[]" ] || fail "received end still in flight"

# b1 was sent and never received
peerlog who "$P" "$(val b0 out)" --json >b.json || fail "who (in flight)"
[ "$(json b.json '[(f["from"]["pid"], f["channel_inode"] > 0) for f in j["peer"]["in_flight"]]')" = "[($P, True)]" ] ||
	fail "b1 should be in flight: $(cat b.json)"
[ "$(json b.json '[h["end_reason"] for h in j["peer"]["holders"] if h["end_reason"] == "alive"]')" = "[]" ] ||
	fail "nobody should hold b1"
peerlog who "$P" "$(val b0 out)" >b.txt
grep -q "the peer is in flight: sent by pid $P" b.txt || fail "text: $(cat b.txt)"

exec 3>&-
wait $RUN || fail "scenario failed: $(cat err)"
peerlog who "$P" "$(val fd0 out)" --json >after.json || fail "who (after)"
[ "$(json after.json "$h['end_reason'], $h['start_reason']")" = "('exit', 'recv')" ] || fail "after: $(cat after.json)"
