# A forking server on a path socket: the client's end and the accepted
# end are peers, as the kernel says (its /proc inodes, and ss -x where it
# is installed); the handler the server forked holds the accepted end.
. "$(dirname "$0")/../lib.sh"

mkfifo in
"$B/peerlog" run -- "$PROGS/scenario" server "$WORK/srv.sock" "$PROGS/holder" <in >out 2>err &
RUN=$!
exec 3>in
wait_for out '^holder '
wait_for out '^handler '
P=$(val parent out) C=$(val client out) H=$(val handler out)
CFD=$(val client_fd out)
[ "$(kernel_ino "$C" "$CFD")" = "$(val client_ino out)" ] || fail "client fd $CFD is not what it reported"

peerlog who "$C" "$CFD" --json >live.json || fail "who (client)"
[ "$(json live.json 'j["end"]["inode"]')" = "$(val client_ino out)" ] || fail "client inode"
[ "$(json live.json 'j["peer"]["inode"]')" = "$(val accepted_ino out)" ] || fail "peer is not the accepted socket: $(cat live.json)"
[ "$(json live.json 'j["peer"]["name"]')" = "$WORK/srv.sock" ] || fail "peer name"
holders="sorted((h['pid'], h['start_reason'], h['end_reason']) for h in j['peer']['holders'])"
[ "$(json live.json "$holders")" = "$(python3 -c "print(sorted([($P, 'accept', 'close'), ($H, 'fork', 'alive')]))")" ] ||
	fail "accepted end's holders: $(cat live.json)"
[ "$(kernel_ino "$H" "$(val accepted_fd out)")" = "$(val accepted_ino out)" ] || fail "handler does not hold it in /proc"

if command -v ss >/dev/null; then
	# ss -x: local inode, then peer inode
	ss -xn 2>/dev/null | awk -v a="$(val client_ino out)" '$6 == a { print $8 }' >ss.txt
	[ "$(cat ss.txt)" = "$(val accepted_ino out)" ] || fail "ss -x disagrees: $(cat ss.txt)"
fi

peerlog who "$P" "$(val listen out)" --json >l.json || fail "who (listener)"
[ "$(json l.json 'j["listening"], j["end"]["name"]')" = "(True, '$WORK/srv.sock')" ] || fail "listener: $(cat l.json)"

exec 3>&-
wait $RUN || fail "scenario failed: $(cat err)"
peerlog who "$C" "$CFD" --json >after.json || fail "who (after)"
[ "$(json after.json "$holders")" = "$(python3 -c "print(sorted([($P, 'accept', 'close'), ($H, 'fork', 'exit')]))")" ] ||
	fail "after: $(cat after.json)"
