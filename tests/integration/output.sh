# Output like the neighbours': -o/--output COLS and -n on the tables,
# colour only on a terminal or when asked (never with NO_COLOR), a write
# error said in one line, the same JSON keys for the same things.
. "$(dirname "$0")/../lib.sh"

ESC=$(printf '\033')
has_esc() { grep -q "$ESC\[" "$1"; }

mkfifo in
"$B/peerlog" run -- "$EX/parent" -w <in >run.out 2>run.err &
RUN=$!
exec 3>in
wait_for run.out '^parent: ready$'
P=$(sed -n 's/^parent: pid \([0-9]*\) .*/\1/p' run.out)
C=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' run.out)
FD=$(sed -n 's/.* over fd \([0-9]*\)$/\1/p' run.out)

# -o picks and orders the columns of who's holder tables; -n drops headings
peerlog who "$P" "$FD" -o FD,PID,START,END,KERNEL -n >cols.txt || fail "who -o"
grep -q "^ *4 $C  *fork  *alive  *confirmed$" cols.txt || fail "who -o: $(cat cols.txt)"
grep -q "PID" cols.txt && fail "who -n: headings: $(cat cols.txt)"
peerlog who "$P" "$FD" --output=+SOURCE >plus.txt || fail "who --output=+"
grep -q "^  PID  *FD PROGRAM  *FROM  *UNTIL  *HOW  *SOURCE$" plus.txt || fail "who +SOURCE heading: $(cat plus.txt)"
grep -q "^  $C  *4 child1 .* $P:4$" plus.txt || fail "who +SOURCE: $(cat plus.txt)"
# pairs: the same columns under each end
peerlog pairs -o PID,FD,END >pairs.txt || fail "pairs -o"
[ "$(grep -c '^    PID  *FD END$' pairs.txt)" = 2 ] || fail "pairs -o heading: $(cat pairs.txt)"
grep -q "^    $C  *4 alive$" pairs.txt || fail "pairs -o: $(cat pairs.txt)"
# ls, against the kernel
peerlog ls "$P" -o INODE,FD,START,PEERS -n >ls.txt || fail "ls -o"
grep -q "^$(kernel_ino "$P" "$FD")  *$FD create  $C:4$" ls.txt || fail "ls -o: $(cat ls.txt)"
[ "$(wc -l <ls.txt)" = 1 ] || fail "ls -o -n: $(cat ls.txt)"

# -o help lists the columns and exits 0; an unknown one is a usage error
for c in "who $P" pairs ls events; do
	expect 0 $c -o help
	grep -q "^ *PID  process id" out || fail "$c -o help: $(cat out)"
	expect 2 $c -o PID,NOPE
	grep -q "unknown column 'NOPE' (.*PID, .*)$" err || fail "$c -o NOPE: $(cat err)"
	expect 2 $c -o ''
	expect 2 $c -o
done
# no table, no -o; graph's -o is its output file
for c in tree check lint; do
	expect 2 $c -o PID
done
peerlog graph -o topo.dot || fail "graph -o FILE"
grep -q '^digraph peerlog' topo.dot || fail "graph -o FILE: $(cat topo.dot)"

# colour: asked for, escapes; in a pipe (auto) none; NO_COLOR beats auto
peerlog who "$P" "$FD" --color=always >always.txt || fail "--color=always"
grep -q "^  $ESC\[1mPID " always.txt || fail "headings not bold: $(cat -v always.txt)"
grep -q "$ESC\[32mfork of $P, exec; alive, confirmed$ESC\[0m" always.txt ||
	fail "alive holder not green: $(cat -v always.txt)"
peerlog who "$P" "$FD" --color >bare.txt || fail "--color"
cmp -s always.txt bare.txt || fail "--color should mean always"
for c in "who $P $FD" pairs tree ls events check; do
	peerlog $c >auto.txt
	has_esc auto.txt && fail "$c in a pipe: colour: $(cat -v auto.txt)"
	NO_COLOR=1 peerlog $c --color=auto >nocolor.txt
	has_esc nocolor.txt && fail "$c NO_COLOR=1: colour: $(cat -v nocolor.txt)"
	peerlog $c --color=never >never.txt
	has_esc never.txt && fail "$c --color=never: colour"
	cmp -s auto.txt never.txt || fail "$c: auto in a pipe differs from never"
done
expect 2 who "$P" --color=sometimes
grep -q "unknown colour mode 'sometimes'" err || fail "--color=sometimes: $(cat err)"
# on a terminal, auto colours, unless NO_COLOR says not to
if command -v script >/dev/null; then
	TERM=xterm script -qc "'$B/peerlog' pairs" /dev/null </dev/null >tty.txt 2>&1
	has_esc tty.txt || fail "no colour on a terminal: $(cat -v tty.txt)"
	NO_COLOR=1 TERM=xterm script -qc "'$B/peerlog' pairs" /dev/null </dev/null >tty.txt 2>&1
	has_esc tty.txt && fail "NO_COLOR=1 on a terminal: $(cat -v tty.txt)"
	NO_COLOR= TERM=xterm script -qc "'$B/peerlog' pairs" /dev/null </dev/null >tty.txt 2>&1
	has_esc tty.txt || fail "an empty NO_COLOR should not count: $(cat -v tty.txt)"
else
	echo "note: no script(1): colour on a terminal not tested" >&2
fi
# check: agreement green
peerlog check --color=always >check.txt
grep -q "fd $FD: $ESC\[32magrees$ESC\[0m" check.txt || fail "check: $(cat -v check.txt)"

# the same keys for the same things: a holding's source
peerlog tree --json >tree.json || fail "tree --json"
[ "$(json tree.json "[h['source'] for p in j['processes'] for c in p['children'] for h in c['holdings'] if h['fd']==4]")" = "[{'pid': $P, 'fd': 4}]" ] ||
	fail "tree: source: $(cat tree.json)"
peerlog ls "$C" --json >ls.json || fail "ls --json"
[ "$(json ls.json "[s['source'] for s in j['sockets']]")" = "[{'pid': $C, 'fd': 4}]" ] ||
	fail "ls: source: $(cat ls.json)"
exec 3>&-
wait $RUN || fail "example failed"

# lint findings red
peerlog run -j "$WORK/leaky.db" -- "$PROGS/scenario" leaky >leaky.out || fail "scenario leaky"
peerlog -j "$WORK/leaky.db" lint --color=always >lint.txt
grep -q "^$ESC\[31mkept-after-fork$ESC\[0m: pid $(val parent leaky.out) " lint.txt ||
	fail "lint: $(cat -v lint.txt)"
peerlog -j "$WORK/leaky.db" lint >lint.txt
has_esc lint.txt && fail "lint in a pipe: colour"

# the kernel disagrees: yellow (a static child closes its end unseen)
if [ -x "$PROGS/holder-static" ]; then
	mkfifo gone.in
	"$B/peerlog" run -j "$WORK/gone.db" -- "$PROGS/scenario" execw \
		"$PROGS/holder-static" -c <gone.in >gone.out 2>gone.err &
	exec 3>gone.in
	wait_for gone.out '^holder '
	sleep 0.1
	G=$(val child gone.out)
	peerlog -j "$WORK/gone.db" check --color=always >gone.txt
	grep -q "pid $G (holder-static) fd 4: $ESC\[33msocket gone$ESC\[0m" gone.txt ||
		fail "check: disagreement not yellow: $(cat -v gone.txt)"
	peerlog -j "$WORK/gone.db" tree --color=always >gone-tree.txt
	grep -q "$ESC\[33m.*kernel: socket gone$ESC\[0m" gone-tree.txt ||
		fail "tree: disagreement not yellow: $(cat -v gone-tree.txt)"
	exec 3>&-
	wait $! || fail "scenario execw failed: $(cat gone.err)"
else
	echo "note: no static test program: the yellow of a disagreement not tested" >&2
fi

# a write error: one line and status 4 (check: 2, its error status)
for c in "who $P" pairs tree lint ls events graph; do
	peerlog $c >/dev/full 2>err
	rc=$?
	[ $rc = 4 ] || fail "$c >/dev/full: exit $rc"
	[ "$(cat err)" = "peerlog: cannot write the output: No space left on device" ] ||
		fail "$c >/dev/full: $(cat err)"
	peerlog $c >&- 2>err
	[ $? = 4 ] && [ "$(wc -l <err)" = 1 ] || fail "$c with stdout closed: $(cat err)"
done
peerlog check >/dev/full 2>err
[ $? = 2 ] && [ "$(wc -l <err)" = 1 ] || fail "check >/dev/full: $(cat err)"
exit 0
