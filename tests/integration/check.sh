# peerlog check: the live kernel agrees with a traced tree (exit 0); a
# statically linked child that closes its inherited end behind our back,
# or copies it to an fd we never saw, disagrees (exit 1), naming its pid.
. "$(dirname "$0")/../lib.sh"

STATIC=$PROGS/holder-static
[ -x "$STATIC" ] || skip "no statically linked test program (the C library has no static archive)"

run_case() { # name, holder args...
	name=$1
	shift
	mkfifo "$name.in"
	"$B/peerlog" run -j "$WORK/$name.db" -- "$PROGS/scenario" execw "$STATIC" "$@" \
		<"$name.in" >"$name.out" 2>"$name.err" &
	exec 3>"$name.in"
	wait_for "$name.out" '^holder '
	sleep 0.1
	peerlog -j "$WORK/$name.db" check --json >"$name.json"
	echo $? >"$name.rc"
	peerlog -j "$WORK/$name.db" check >"$name.txt"
	exec 3>&-
	wait $! || fail "$name: scenario failed: $(cat "$name.err")"
}

run_case agree
[ "$(cat agree.rc)" = 0 ] || fail "agree: check should exit 0: $(cat agree.json)"
C=$(val child agree.out)
[ "$(json agree.json "[(e['pid'], e['verdict']) for e in j['ends'] if e['pid']==$C and e['kind']=='socket']")" = "[($C, 'agrees')]" ] ||
	fail "agree: the static child's inferred end: $(cat agree.json)"

run_case closed -c
C=$(val child closed.out)
[ "$(cat closed.rc)" = 1 ] || fail "closed: check should exit 1: $(cat closed.json)"
# it was the last holder: the socket itself is gone
[ "$(json closed.json "[e['verdict'] for e in j['ends'] if e['pid']==$C and e['kind']=='socket']")" = "['socket gone']" ] ||
	fail "closed: $(cat closed.json)"
grep -q "pid $C (holder-static) fd 4: socket gone" closed.txt || fail "closed (text): $(cat closed.txt)"

run_case duped -d
C=$(val child duped.out)
[ "$(cat duped.rc)" = 1 ] || fail "duped: check should exit 1: $(cat duped.json)"
[ "$(json duped.json "sorted((e['fd'], e['verdict']) for e in j['ends'] if e['pid']==$C and e['kind']=='socket')")" = "[(4, 'agrees'), (24, 'holder the journal does not know')]" ] ||
	fail "duped: $(cat duped.json)"

# bad input: 2
peerlog -j "$WORK/none.db" check >/dev/null 2>&1
[ $? = 2 ] || fail "check on a missing journal should exit 2"
