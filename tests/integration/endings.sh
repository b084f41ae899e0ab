# How holdings end: killed holder, exit without close, close on exec.
# Each answer is checked against what the programs themselves report.
. "$(dirname "$0")/../lib.sh"

# Killed with SIGKILL while holding its end: the holding ended with the
# process ("exit"), at a time nobody recorded.
peerlog run -- "$PROGS/scenario" kill >kill.out || fail "scenario kill"
P=$(val parent kill.out) C=$(val child kill.out)
peerlog who "$P" "$(val fd0 kill.out)" --json >kill.json || fail "who (kill)"
[ "$(json kill.json 'j["peer"]["inode"]')" = "$(val ino1 kill.out)" ] || fail "kill: peer inode"
h='[h for h in j["peer"]["holders"] if h["pid"]=='"$C"'][0]'
[ "$(json kill.json "$h['end_reason']")" = exit ] || fail "kill: $(cat kill.json)"
[ "$(json kill.json "$h['until']")" = None ] || fail "kill: until should be unknown"

# _exit() without closing: ended by exit, at the recorded exit time.
peerlog run -- "$PROGS/scenario" noclose >noclose.out || fail "scenario noclose"
P=$(val parent noclose.out) C=$(val child noclose.out)
peerlog who "$P" "$(val fd0 noclose.out)" --json >noclose.json || fail "who (noclose)"
h='[h for h in j["peer"]["holders"] if h["pid"]=='"$C"'][0]'
[ "$(json noclose.json "$h['end_reason']")" = exit ] || fail "noclose: $(cat noclose.json)"
[ "$(json noclose.json "$h['until'] is not None")" = true ] || fail "noclose: until unknown"

# SOCK_CLOEXEC: the forked child's copies die at its exec of /bin/true.
peerlog run -- "$PROGS/scenario" cloexec >cloexec.out || fail "scenario cloexec"
P=$(val parent cloexec.out) C=$(val child cloexec.out)
peerlog who "$P" "$(val fd0 cloexec.out)" --json >cloexec.json || fail "who (cloexec)"
h='[h for h in j["peer"]["holders"] if h["pid"]=='"$C"'][0]'
[ "$(json cloexec.json "$h['end_reason']")" = exec ] || fail "cloexec: $(cat cloexec.json)"
peerlog tree --json >tree.json || fail "tree"
# /bin/true is the exec of the child, not a new process.
[ "$(json tree.json '[c["origin"] for p in j["processes"] for f in p["children"] for c in f["children"]]')" = "['exec']" ] ||
	fail "tree: exec lineage wrong: $(cat tree.json)"
