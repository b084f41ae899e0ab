# A child that execs a program the shim cannot enter (statically linked):
# it never says hello, so what it holds is inferred from what it had
# before the exec and labelled so, live and after exit.
. "$(dirname "$0")/../lib.sh"

STATIC=$PROGS/holder-static
[ -x "$STATIC" ] || skip "no statically linked test program (the C library has no static archive)"

mkfifo in
"$B/peerlog" run -- "$PROGS/scenario" execw "$STATIC" <in >out 2>err &
RUN=$!
exec 3>in
wait_for out '^holder '
P=$(val parent out) C=$(val child out)
[ "$(val fd out)" = "4 ino $(val ino1 out)" ] || fail "static child should hold fd 4: $(cat out)"

peerlog who "$P" "$(val fd0 out)" --json >live.json || fail "who (live)"
h="[h for h in j['peer']['holders'] if h['pid']==$C][0]"
[ "$(json live.json "$h['end_reason'], $h['inferred'], $h['exe'], $h['fd']")" = "('alive', True, '$STATIC', 4)" ] ||
	fail "live: $(cat live.json)"
peerlog who "$P" "$(val fd0 out)" >live.txt
grep -q "the peer is held by pid $C ($STATIC) at fd 4, inferred" live.txt || fail "text: $(cat live.txt)"

exec 3>&-
wait $RUN || fail "scenario failed: $(cat err)"
peerlog who "$P" "$(val fd0 out)" --json >after.json || fail "who (after)"
[ "$(json after.json "$h['end_reason'], $h['inferred']")" = "('exit', True)" ] || fail "after: $(cat after.json)"
peerlog tree >tree.txt || fail "tree"
grep -q "$C scenario \[fork\] exec'd $STATIC, not traced" tree.txt || fail "tree: $(cat tree.txt)"
