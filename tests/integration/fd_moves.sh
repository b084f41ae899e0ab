# Ends that move between fds: dup2 and F_DUPFD_CLOEXEC before an exec,
# close_range/closefrom (also after dup2 over every fd, ours included)
# followed by new pairs, close_range's CLOSE_RANGE_CLOEXEC. The programs
# report what the kernel shows them; peerlog must agree.
. "$(dirname "$0")/../lib.sh"

# dupexec: the child moves its end to fd 7, copies it close-on-exec, execs
# holder, which lists the sockets it got.
peerlog run -- "$PROGS/scenario" dupexec "$PROGS/holder" >dup.out || fail "scenario dupexec: $(cat dup.out)"
P=$(val parent dup.out) C=$(val child dup.out) COPY=$(val cloexec_copy dup.out)
[ "$(val fd dup.out)" = "7 ino $(val ino1 dup.out)" ] || fail "holder should hold only fd 7: $(cat dup.out)"
peerlog who "$P" "$(val fd0 dup.out)" --json >dup.json || fail "who (dupexec)"
h() { echo "[h for h in j['peer']['holders'] if h['pid']==$C and h['fd']==$1][0]"; }
[ "$(json dup.json "$(h 7)['start_reason'], $(h 7)['source']['fd'], $(h 7)['execs'], $(h 7)['exe'].endswith('/holder'), $(h 7)['end_reason']")" = "('dup', 4, 1, True, 'exit')" ] ||
	fail "fd 7 lineage: $(cat dup.json)"
[ "$(json dup.json "$(h "$COPY")['start_reason'], $(h "$COPY")['source']['fd'], $(h "$COPY")['end_reason']")" = "('dup', 7, 'exec')" ] ||
	fail "close-on-exec copy: $(cat dup.json)"
[ "$(json dup.json "$(h 4)['end_reason']")" = close ] || fail "fd 4 should be closed"

# closerange: each child drops every fd, then makes a pair the journal must
# still see, with the inode the child reports.
peerlog run -- "$PROGS/scenario" closerange >range.out || fail "scenario closerange: $(cat range.out)"
for how in 0 1 2; do
	C=$(val "child$how" range.out)
	[ -n "$C" ] || fail "child $how did not report: $(cat range.out)"
	peerlog who "$C" "$(val "new${how}_fd0" range.out)" --json >new.json ||
		fail "child $how: new pair after dropping every fd not recorded"
	[ "$(json new.json 'j["end"]["inode"]')" = "$(val "new${how}_ino0" range.out)" ] ||
		fail "child $how: wrong inode"
	# and the ends it had before were closed, not lost
	[ "$(json new.json 'j["pair"]["creator"]["pid"]')" = "$C" ] || fail "child $how: creator"
done
peerlog tree --json >tree.json || fail "tree"
RP=$(val parent range.out | head -n 1)
[ "$(json tree.json 'sorted(set(h["end_reason"] for p in j["processes"] if p["pid"]=='"$RP"' for c in p["children"] for h in c["holdings"] if h["start_reason"] in ("fork","dup")))')" = "['close']" ] ||
	fail "inherited ends of the children should all be closed: $(cat tree.json | head -50)"

# rangecloexec: CLOSE_RANGE_CLOEXEC then exec: the ends die at the exec.
peerlog run -- "$PROGS/scenario" rangecloexec "$PROGS/holder" >rc.out || fail "scenario rangecloexec"
[ -z "$(val fd rc.out)" ] || fail "holder should hold no socket: $(cat rc.out)"
P=$(val parent rc.out) C=$(val child rc.out)
peerlog who "$P" "$(val fd0 rc.out)" --json >rc.json || fail "who (rangecloexec)"
[ "$(json rc.json '[h["end_reason"] for h in j["peer"]["holders"] if h["pid"]=='"$C"']')" = "['exec']" ] ||
	fail "rangecloexec: $(cat rc.json)"
