# peerlog graph: every process a node, each pair an edge between its
# final holders with their fds, leaks (lint's findings) marked.
. "$(dirname "$0")/../lib.sh"

peerlog run -j "$WORK/clean.db" -- "$EX/parent" >clean.out || fail "example"
P=$(sed -n 's/^parent: pid \([0-9]*\) .*/\1/p' clean.out)
C=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' clean.out)
peerlog -j "$WORK/clean.db" graph --format json >clean.json || fail "graph json"
[ "$(json clean.json 'sorted((n["pid"], n["exe"].rsplit("/",1)[-1]) for n in j["nodes"])')" = "[($P, 'parent'), ($C, 'child1')]" ] ||
	fail "nodes: $(cat clean.json)"
ids='{n["id"]: n["pid"] for n in j["nodes"]}'
[ "$(json clean.json "[($ids[e['from']], e['from_fd'], $ids[e['to']], e['to_fd'], e['leak']) for e in j['edges'] if e['kind']=='pair']")" = "[($P, 3, $C, 4, False)]" ] ||
	fail "pair edge: $(cat clean.json)"
if command -v addr2line >/dev/null; then
	[ "$(json clean.json "[e['created_at'].startswith('main (parent.c:') for e in j['edges'] if e['kind']=='pair']")" = "[True]" ] ||
		fail "the edge should say where the pair was made: $(cat clean.json)"
fi
[ "$(json clean.json "[($ids[e['from']], $ids[e['to']]) for e in j['edges'] if e['kind']=='lineage']")" = "[($P, $C)]" ] ||
	fail "lineage edge"

peerlog -j "$WORK/clean.db" graph >clean.dot || fail "graph dot"
grep -q "^digraph peerlog {" clean.dot && grep -q "label=\"$P parent\"" clean.dot &&
	grep -q "label=\"$C child1\"" clean.dot || fail "dot: $(cat clean.dot)"
peerlog -j "$WORK/clean.db" graph --format mermaid >clean.mmd || fail "graph mermaid"
grep -q "^graph LR" clean.mmd && grep -q "\"$C child1\"" clean.mmd || fail "mermaid: $(cat clean.mmd)"

peerlog run -j "$WORK/leaky.db" -- "$PROGS/scenario" leaky >leaky.out || fail "scenario leaky"
peerlog -j "$WORK/leaky.db" graph --format json >leaky.json || fail "graph (leaky)"
[ "$(json leaky.json '[e["leak"] for e in j["edges"] if e["kind"]=="pair"]')" = "[True]" ] ||
	fail "the kept end should be marked: $(cat leaky.json)"

peerlog -j "$WORK/clean.db" graph --format png >/dev/null 2>err
[ $? = 2 ] || fail "unknown format should exit 2"
