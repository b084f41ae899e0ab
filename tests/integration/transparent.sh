# The traced program cannot tell: same output, same exit status, same
# errno after every wrapped call, failing or not.
. "$(dirname "$0")/../lib.sh"

"$PROGS/scenario" errno >bare.out 2>&1
bare=$?
peerlog run -- "$PROGS/scenario" errno >traced.out 2>&1
traced=$?
[ $bare = 3 ] || fail "scenario errno should exit 3, got $bare"
[ $traced = $bare ] || fail "exit status $traced traced, $bare bare"
diff bare.out traced.out || fail "traced output differs"

# A command that cannot be run: 127, like env(1) and shells.
peerlog run -- ./no-such-command 2>err
[ $? = 127 ] || fail "missing command should exit 127"
grep -q "cannot run './no-such-command'" err || fail "no message: $(cat err)"
# Signals come through as they are.
peerlog run -- sh -c 'kill -TERM $$'
[ $? = 143 ] || fail "death by SIGTERM not passed through"
# ... and the journal knows the status, however the program ended.
peerlog run -- sh -c 'exit 7'
[ $? = 7 ] || fail "exit status 7 not passed through"
peerlog tree --json >tree.json || fail "tree"
[ "$(json tree.json '[p["exit_status"] for p in j["processes"] if "exit 7" in p["argv"]]')" = "[7]" ] ||
	fail "exit status not recorded: $(cat tree.json)"
[ "$(json tree.json '[p["exit_status"] for p in j["processes"] if p["exe"].endswith("/scenario")]')" = "[3]" ] ||
	fail "return from main not recorded"
