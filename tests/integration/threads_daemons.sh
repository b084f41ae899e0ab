# A multithreaded parent forking while other threads and a signal handler
# make and close pairs: no deadlock (the runner's time limit), no pair
# lost, the right holder. Then a double-forked daemon.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 command not installed"

peerlog run -- "$PROGS/scenario" threads "$PROGS/holder" >th.out || fail "scenario threads: $(cat th.out)"
P=$(val parent th.out) C=$(val child th.out)
peerlog who "$P" "$(val fd0 th.out)" --json >th.json || fail "who (threads)"
[ "$(json th.json "[h['exe'].rsplit('/',1)[-1] for h in j['peer']['holders'] if h['pid']==$C]")" = "['holder']" ] ||
	fail "the last child should hold fd1 as holder: $(head -c 2000 th.json)"
# (it may hold more: pairs the other threads had open at its fork)
grep -q "^fd 4 ino $(val ino1 th.out)$" th.out || fail "holder: $(grep -E '^(fd|ino)' th.out)"
made=$(val pairs th.out)
got=$(sqlite3 peerlog.db "SELECT count(*) FROM pair JOIN process p ON p.id = pair.process_id WHERE p.pid = $P AND pair.domain <> 0")
[ "$got" = "$made" ] || fail "$made pairs made, $got in the journal"
# every one of them closed, none left open by a lost record
open=$(sqlite3 peerlog.db "SELECT count(*) FROM holding_span hs JOIN process p ON p.id = hs.process_id WHERE p.pid = $P AND hs.kind = 'socket' AND hs.end_reason IS NOT 'close'")
[ "$open" = 0 ] || fail "$open holdings of the parent not closed"

mkfifo in
"$B/peerlog" run -- "$PROGS/scenario" daemon2 "$PROGS/holder" <in >d.out 2>d.err &
exec 3>in
wait_for d.out '^holder '
P=$(val parent d.out) D=$(val daemon d.out)
wait $! || fail "scenario daemon2: $(cat d.err)"
peerlog who "$P" "$(val fd0 d.out)" --json >d.json || fail "who (daemon2)"
h="[h for h in j['peer']['holders'] if h['pid']==$D][0]"
[ "$(json d.json "$h['start_reason'], $h['end_reason'], $h['exe'].endswith('/holder')")" = "('fork', 'alive', True)" ] ||
	fail "daemon while it runs: $(cat d.json)"
exec 3>&-
i=0
while kill -0 "$D" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "daemon did not finish"; sleep 0.05
done
peerlog who "$P" "$(val fd0 d.out)" --json >d2.json || fail "who (daemon2, after)"
[ "$(json d2.json "$h['end_reason']")" = exit ] || fail "daemon after: $(cat d2.json)"
