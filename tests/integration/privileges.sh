# A forked worker that drops its privileges keeps recording: the spool was
# opened before, and an open fd does not care about the uid.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to switch to another uid"

peerlog run -- "$PROGS/scenario" dropuid >d.out || fail "scenario dropuid: $(cat d.out)"
C=$(val child d.out)
[ "$(val child_uid d.out)" = 65534 ] || fail "the child did not drop to uid 65534"
peerlog who "$C" "$(val child_fd0 d.out)" --json >d.json ||
	fail "the pair made after dropping privileges is not in the journal"
[ "$(json d.json 'j["end"]["inode"]')" = "$(val child_ino0 d.out)" ] || fail "inode"
peerlog who "$(val parent d.out)" "$(val fd0 d.out)" --json >p.json || fail "who (parent)"
[ "$(json p.json "[h['end_reason'] for h in j['end']['holders'] if h['pid']==$C]")" = "['close']" ] ||
	fail "the child's close after the drop: $(cat p.json)"
