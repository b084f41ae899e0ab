# peerlog graph -o FILE.svg renders with Graphviz and names every process.
. "$(dirname "$0")/../lib.sh"
command -v dot >/dev/null || skip "Graphviz's dot is not installed"

peerlog run -- "$EX/parent" >out || fail "example"
P=$(sed -n 's/^parent: pid \([0-9]*\) .*/\1/p' out)
C=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' out)
peerlog graph -o "$WORK/g.svg" || fail "graph -o g.svg"
grep -q "<svg" g.svg || fail "not an SVG"
grep -q "$P parent" g.svg && grep -q "$C child1" g.svg || fail "a process is missing from the picture"
peerlog graph -o "$WORK/g.png" || fail "graph -o g.png"
[ "$(head -c 4 g.png | od -An -c | tr -d ' ')" = "211PNG" ] || fail "not a PNG"
