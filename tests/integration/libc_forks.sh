# Children we do not see through the fork wrapper keep their own identity:
# a fork inside libc (daemon()) still says hello through the atfork
# handler, and a vfork child closing a tracked fd does not close it for
# its parent, with whom it shares memory.
. "$(dirname "$0")/../lib.sh"

peerlog run -- "$PROGS/scenario" daemon >daemon.out || fail "scenario daemon"
i=0
until [ -n "$(val daemon daemon.out)" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "daemon did not report"; sleep 0.05
done
sleep 0.2
P=$(val parent daemon.out) D=$(val daemon daemon.out)
peerlog who "$P" "$(val fd0 daemon.out)" --json >daemon.json || fail "who (daemon)"
# the daemon closed its copy of fd0 and held fd1 until it exited
[ "$(json daemon.json '[h["end_reason"] for h in j["end"]["holders"] if h["pid"]=='"$D"']')" = "['close']" ] ||
	fail "daemon's close of fd0 not seen: $(cat daemon.json)"
[ "$(json daemon.json '[(h["start_reason"], h["source"]["pid"], h["end_reason"]) for h in j["peer"]["holders"] if h["pid"]=='"$D"']')" = "[('fork', $P, 'exit')]" ] ||
	fail "daemon's fd1 lineage wrong: $(cat daemon.json)"

peerlog run -- "$PROGS/scenario" vfork >vfork.out || fail "scenario vfork"
P=$(val parent vfork.out)
peerlog who "$P" "$(val fd0 vfork.out)" --json >vfork.json || fail "who (vfork)"
# the parent's fd0 was closed by the parent itself, after the child's close
json vfork.json '[h for h in j["end"]["holders"] if h["pid"]=='"$P"'][0]' >mine.txt
[ "$(json vfork.json '[h["end_reason"] for h in j["end"]["holders"] if h["pid"]=='"$P"']')" = "['close']" ] ||
	fail "parent's fd0: $(cat mine.txt)"
closing=$(val closing_ns vfork.out)
until_ok=$(python3 -c '
import json, sys, datetime
j = json.load(open("vfork.json"))
h = [h for h in j["end"]["holders"] if h["pid"] == int(sys.argv[1])][0]
t = datetime.datetime.strptime(h["until"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(t.timestamp() * 1e9 >= int(sys.argv[2]) - 1000)' "$P" "$closing")
[ "$until_ok" = True ] || fail "parent's fd0 closed before the parent closed it (vfork child's close leaked): $(cat mine.txt)"
# The vfork child closed every fd, ours included: the parent records on.
peerlog who "$P" "$(val new_fd0 vfork.out)" --json >new.json ||
	fail "the parent's pair after the vfork child closed every fd is missing"
[ "$(json new.json 'j["end"]["inode"]')" = "$(val new_ino0 vfork.out)" ] || fail "new pair: inode"
