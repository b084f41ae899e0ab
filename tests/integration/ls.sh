# peerlog ls: the live sockets of traced processes, each joined with the
# journal's history, peers found like lsof +E.
. "$(dirname "$0")/../lib.sh"

mkfifo in
"$B/peerlog" run -- "$EX/parent" -w <in >out 2>err &
RUN=$!
exec 3>in
wait_for out '^parent: ready$'
P=$(sed -n 's/^parent: pid \([0-9]*\) .*/\1/p' out)
C=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' out)
FD=$(sed -n 's/.* over fd \([0-9]*\)$/\1/p' out)

peerlog ls --json >all.json || fail "ls"
row="[s for s in j['sockets'] if s['pid']==$P and s['fd']==$FD][0]"
[ "$(json all.json "$row['inode'], $row['start_reason'], $row['type'], $row['state']")" = "($(kernel_ino "$P" "$FD"), 'create', 'stream', 'ESTAB')" ] ||
	fail "parent's row: $(cat all.json)"
[ "$(json all.json "[h['pid'] for h in $row['peer_holders']]")" = "[$C]" ] || fail "peer holders: $(cat all.json)"
[ "$(json all.json "sorted(set(s['pid'] for s in j['sockets']))")" = "$(python3 -c "print(sorted({$P, $C}))")" ] ||
	fail "ls should list the traced processes only: $(cat all.json)"
peerlog ls "$C" --json >one.json || fail "ls PID"
[ "$(json one.json "[(s['pid'], s['start_reason']) for s in j['sockets']]")" = "[($C, 'exec')]" ] || fail "ls $C: $(cat one.json)"
peerlog ls "$P" >p.txt || fail "ls (text)"
grep -q "^$P .* created; peer at $C fd 4" p.txt || fail "text: $(cat p.txt)"
if command -v addr2line >/dev/null; then
	[ "$(json all.json "$row['created_at']['function']")" = main ] || fail "ls: creation site: $(cat all.json)"
fi
peerlog ls abc >/dev/null 2>&1
[ $? = 2 ] || fail "ls abc should be a usage error"
exec 3>&-
wait $RUN || fail "example failed"
