# Traced with LD_PRELOAD and PEERLOG_JOURNAL directly (no peerlog run), the
# example's output and exit status are those of the bare run, and who
# answers with child1 after exit.
. "$(dirname "$0")/../lib.sh"

"$EX/parent" >bare.out 2>bare.err
bare=$?
LD_PRELOAD="$SHIM" "$EX/parent" >traced.out 2>traced.err
traced=$?
[ $bare = $traced ] || fail "exit status $traced traced, $bare bare"
norm() { sed 's/pid [0-9]*/pid N/g' "$1"; }
[ "$(norm bare.out)" = "$(norm traced.out)" ] || fail "output differs: $(cat traced.out)"
[ -s traced.err ] && fail "traced run wrote to stderr: $(cat traced.err)"
[ -s peerlog.db.spool ] || fail "no spool written next to $PEERLOG_JOURNAL"

line=$(grep '^parent: pid ' traced.out)
PARENT=$(echo "$line" | sed 's/^parent: pid \([0-9]*\) .*/\1/')
CHILD=$(echo "$line" | sed 's/.*(pid \([0-9]*\)).*/\1/')
FD=$(echo "$line" | sed 's/.* over fd \([0-9]*\)$/\1/')
peerlog who "$PARENT" "$FD" --json >who.json || fail "who failed"
[ "$(json who.json '[h["exe"].rsplit("/",1)[-1] for h in j["peer"]["holders"] if h["pid"]=='"$CHILD"']')" = "['child1']" ] ||
	fail "child1 not found: $(cat who.json)"
