# peerlog lint: each rule with a tree that triggers it, and trees that
# must not (the example closes everything it should).
. "$(dirname "$0")/../lib.sh"

lint() { # journal: findings as (rule, pid, fd) and the exit status
	peerlog -j "$1" lint --json >"$1.json"
	echo $? >"$1.rc"
	json "$1.json" 'sorted((f["rule"], f["pid"], f["fd"]) for f in j["findings"])'
}

# clean: the example, and a child that uses and closes what it inherits
peerlog run -j "$WORK/clean.db" -- "$EX/parent" >/dev/null || fail "example"
[ "$(lint "$WORK/clean.db")" = "[]" ] || fail "the example should be clean: $(cat "$WORK/clean.db.json")"
[ "$(cat "$WORK/clean.db.rc")" = 0 ] || fail "clean lint should exit 0"

# kept-after-fork and one-process: the parent kept the child's end
peerlog run -j "$WORK/leaky.db" -- "$PROGS/scenario" leaky >leaky.out || fail "scenario leaky"
P=$(val parent leaky.out) FD1=$(val fd1 leaky.out) FD0=$(val fd0 leaky.out)
got=$(lint "$WORK/leaky.db")
[ "$got" = "[('kept-after-fork', $P, $FD1), ('one-process', $P, $FD0)]" ] ||
	fail "leaky: $got"
[ "$(cat "$WORK/leaky.db.rc")" = 1 ] || fail "lint with findings should exit 1"
peerlog -j "$WORK/leaky.db" lint >leaky.txt
grep -q "^kept-after-fork: pid $P (scenario) fd $FD1 socket:\[$(val ino1 leaky.out)\]: still holds the end it gave to pid $(val child leaky.out); made in pair (scenario.c:[0-9]*)$" leaky.txt ||
	fail "leaky (text): $(cat leaky.txt)"

# leaked-on-exec: holder never touches the end it got across exec
peerlog run -j "$WORK/exec.db" -- "$PROGS/scenario" execw "$PROGS/holder" </dev/null >exec.out || fail "scenario execw"
[ "$(lint "$WORK/exec.db")" = "[('leaked-on-exec', $(val child exec.out), 4)]" ] || fail "leaked-on-exec: $(cat "$WORK/exec.db.json")"

# never-received: passfd sends b1 and nobody receives it
peerlog run -j "$WORK/pass.db" -- "$PROGS/scenario" passfd "$PROGS/holder" </dev/null >pass.out || fail "scenario passfd"
P=$(val parent pass.out)
[ "$(json "$(lint "$WORK/pass.db" >/dev/null; echo "$WORK/pass.db.json")" "[(f['pid'], f['inode']) for f in j['findings'] if f['rule']=='never-received']")" = "[($P, $(val b_ino1 pass.out))]" ] ||
	fail "never-received: $(cat "$WORK/pass.db.json")"
