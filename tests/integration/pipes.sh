# Pipes and FIFOs, tracked like socket ends (tests/progs/pipes.c): who
# answers "who still holds the write end?" while the reader waits and after
# every process exited, through fork, dup2 and exec, SCM_RIGHTS and a
# FIFO's open; lint finds the idle write end; check agrees with /proc; a
# shell pipeline of real programs runs as it does bare.
. "$(dirname "$0")/../lib.sh"

P=$PROGS/pipes
pipe_ino() { readlink "/proc/$1/fd/$2" | sed -n 's/^pipe:\[\([0-9]*\)\]$/\1/p'; }

# start NAME ARGS...: traced, waiting on its stdin (fd 3 here) until done
start() {
	name=$1
	shift
	mkfifo "$name.in"
	"$B/peerlog" run -j "$WORK/$name.db" -- "$P" -w "$@" <"$name.in" \
		>"$name.out" 2>"$name.err" &
	exec 3>"$name.in"
	wait_for "$name.out" '^waiting$'
}
finish() {
	exec 3>&-
	wait $! || fail "$name: $(cat "$name.err")"
}

# The classic bug: the parent reads, and still holds the write end.
start leak leak
PA=$(val parent leak.out)
[ "$(val ino leak.out)" = "$(pipe_ino "$PA" 3)" ] || fail "leak: inode"
peerlog -j "$WORK/leak.db" who "$PA" 3 --json >leak.json || fail "leak: who"
[ "$(json leak.json 'j["end"]["kind"], j["end"]["end"], j["peer"]["end"]')" = "('pipe', 'read', 'write')" ] ||
	fail "leak: ends: $(cat leak.json)"
[ "$(json leak.json 'j["end"]["inode"] == j["peer"]["inode"] == '"$(val ino leak.out)")" = true ] ||
	fail "leak: both ends have the pipe's inode: $(cat leak.json)"
[ "$(json leak.json '[(h["pid"], h["fd"], h["kernel"]) for h in j["peer"]["holders"] if h["end_reason"] == "alive"]')" = "[($PA, 4, 'confirmed')]" ] ||
	fail "leak: live write end: $(cat leak.json)"
peerlog -j "$WORK/leak.db" who "$PA" 3 >leak.txt
grep -q "^  the write end is held by pid $PA (.*/pipes) at fd 4$" leak.txt ||
	fail "leak: who (text): $(cat leak.txt)"
peerlog -j "$WORK/leak.db" lint --json >lint.json
[ $? = 1 ] || fail "leak: lint should find it: $(cat lint.json)"
[ "$(json lint.json '[(f["rule"], f["pid"], f["fd"], f["end"]) for f in j["findings"]]')" = "[('idle-write-end', $PA, 4, 'write')]" ] ||
	fail "leak: lint: $(cat lint.json)"
peerlog -j "$WORK/leak.db" check --json >check.json
[ $? = 0 ] || fail "leak: check: $(cat check.json)"
[ "$(json check.json 'sorted((e["fd"], e["end"], e["verdict"]) for e in j["ends"] if e["pid"] == '"$PA"' and e["kind"] == "pipe" and e["fd"] < 5)')" = "[(3, 'read', 'agrees'), (4, 'write', 'agrees')]" ] ||
	fail "leak: check: $(cat check.json)"
finish
# post-mortem: the same answer, held until the parent exited
peerlog -j "$WORK/leak.db" who "$PA" 3 >dead.txt
grep -q "^  the write end was last held by pid $PA (.*/pipes) at fd 4 (exited)$" dead.txt ||
	fail "leak: post-mortem: $(cat dead.txt)"

# the CI report draws the pipe as a flagged, directed edge (the built-in
# layout: the same with or without Graphviz) and lists the finding
peerlog -j "$WORK/leak.db" report -o rep --no-dot >/dev/null || fail "leak: report"
grep -q '<g class="edge pipe flagged">' rep/report.html || fail "leak: report's graph: $(grep -o '<g class="edge[^>]*>' rep/report.html)"
grep -q 'marker-[a-z]*="url(#pl-pipe-flag)"' rep/report.html || fail "leak: the pipe's arrow"
grep -q 'idle-write-end' rep/report.html || fail "leak: report's findings"
grep -q '^| pipes | 1 |$' rep/summary.md || fail "leak: summary: $(cat rep/summary.md)"

# Fixed: no finding, and the last writer is the child.
peerlog run -j "$WORK/fixed.db" -- "$P" fixed >fixed.out </dev/null || fail "fixed"
grep -q '^eof$' fixed.out || fail "fixed: no EOF: $(cat fixed.out)"
peerlog -j "$WORK/fixed.db" lint >/dev/null || fail "fixed: lint should be clean: $(peerlog -j "$WORK/fixed.db" lint)"
peerlog -j "$WORK/fixed.db" who "$(val parent fixed.out)" 3 --json >fixed.json || fail "fixed: who"
[ "$(json fixed.json 'sorted((h["pid"], h["fd"], h["end_reason"]) for h in j["peer"]["holders"])')" = "[($(val parent fixed.out), 4, 'close'), ($(val child fixed.out), 4, 'exit')]" ] ||
	fail "fixed: who: $(cat fixed.json)"

# A shell's "echo hello | cat": dup2 onto 0 and 1, exec; cat waits on the
# parent's write end.
start shell shell
PA=$(val parent shell.out)
R=$(val reader shell.out)
W=$(val writer shell.out)
wait_for shell.out '^hello$' # cat runs, and has copied what echo wrote
peerlog -j "$WORK/shell.db" who "$R" 0 --json >shell.json || fail "shell: who"
[ "$(json shell.json '[(h["pid"], h["fd"]) for h in j["peer"]["holders"] if h["end_reason"] == "alive"]')" = "[($PA, $(val wfd shell.out))]" ] ||
	fail "shell: live write end: $(cat shell.json)"
[ "$(json shell.json '[(h["start_reason"], h["execs"], h["exe"]) for h in j["peer"]["holders"] if h["pid"] == '"$W"' and h["fd"] == 1]')" = "[('dup', 1, '/usr/bin/echo')]" ] ||
	[ "$(json shell.json '[(h["start_reason"], h["execs"], h["exe"]) for h in j["peer"]["holders"] if h["pid"] == '"$W"' and h["fd"] == 1]')" = "[('dup', 1, '/bin/echo')]" ] ||
	fail "shell: echo's write end: $(cat shell.json)"
[ "$(json shell.json '[(h["pid"], h["fd"], h["end_reason"]) for h in j["end"]["holders"] if h["exe"].endswith("/cat")]')" = "[($R, 0, 'alive')]" ] ||
	fail "shell: cat's read end: $(cat shell.json)"
peerlog -j "$WORK/shell.db" lint --json >lint.json
[ "$(json lint.json '[(f["rule"], f["pid"]) for f in j["findings"]]')" = "[('idle-write-end', $PA)]" ] ||
	fail "shell: lint: $(cat lint.json)"
grep -q "pid $R, holding the read end" lint.json || fail "shell: lint names the reader: $(cat lint.json)"
finish
# the graph: a directed edge from the parent (the last to hold the write
# end: echo closed its stdout at exit, with fclose) to cat
peerlog -j "$WORK/shell.db" graph --format json >graph.json || fail "shell: graph"
[ "$(json graph.json '[(n["pid"] for n in j["nodes"] if n["id"] == e["from"]).__next__() for e in j["edges"] if e["kind"] == "pipe"] + [(n["pid"] for n in j["nodes"] if n["id"] == e["to"]).__next__() for e in j["edges"] if e["kind"] == "pipe"]')" = "[$PA, $R]" ] ||
	fail "shell: the pipe's edge: $(cat graph.json)"
peerlog -j "$WORK/shell.db" graph | grep -q "style=dashed, label=\"fd $(val wfd shell.out) -> fd 0" || fail "shell: dot: $(peerlog -j "$WORK/shell.db" graph)"

# The write end passed with SCM_RIGHTS.
peerlog run -j "$WORK/pass.db" -- "$P" pass >pass.out </dev/null || fail "pass"
peerlog -j "$WORK/pass.db" who "$(val parent pass.out)" "$(val rfd pass.out)" --json >pass.json || fail "pass: who"
[ "$(json pass.json '[(h["pid"], h["fd"], h["source"]["pid"]) for h in j["peer"]["holders"] if h["start_reason"] == "recv"]')" = "[($(val child pass.out), $(val child_wfd pass.out), $(val parent pass.out))]" ] ||
	fail "pass: received write end: $(cat pass.json)"

# A FIFO: each end opened by its path.
peerlog run -j "$WORK/fifo.db" -- "$P" fifo "$WORK/ff" >fifo.out </dev/null || fail "fifo"
peerlog -j "$WORK/fifo.db" who "$(val parent fifo.out)" "$(val rfd fifo.out)" --json >fifo.json || fail "fifo: who"
[ "$(json fifo.json 'j["end"]["kind"], j["end"]["name"], j["end"]["inode"], j["end"]["holders"][0]["start_reason"]')" = "('fifo', '$WORK/ff', $(val ino fifo.out), 'open')" ] ||
	fail "fifo: end: $(cat fifo.json)"
[ "$(json fifo.json '[(h["pid"], h["fd"], h["start_reason"]) for h in j["peer"]["holders"]]')" = "[($(val child fifo.out), $(val child_wfd fifo.out), 'open')]" ] ||
	fail "fifo: write end: $(cat fifo.json)"

# popen: the pipe made inside libc, its child cat holding the read end,
# pclose's close inside libc.
start popen popen
PA=$(val parent popen.out)
PFD=$(val pfd popen.out)
wait_for popen.out '^hello$'
peerlog -j "$WORK/popen.db" who "$PA" "$PFD" --json >popen.json || fail "popen: who"
[ "$(json popen.json 'j["end"]["kind"], j["end"]["end"], j["end"]["holders"][0]["start_reason"]')" = "('pipe', 'write', 'open')" ] ||
	fail "popen: the parent's end: $(cat popen.json)"
# (sh -c cat: the shell may exec cat, or fork it)
[ "$(json popen.json '[(h["fd"], h["end_reason"]) for h in j["peer"]["holders"] if h["exe"].endswith("/cat")]')" = "[(0, 'alive')]" ] ||
	fail "popen: cat's read end: $(cat popen.json)"
finish
grep -q '^closed$' popen.out || fail "popen: pclose: $(cat popen.out)"
peerlog -j "$WORK/popen.db" who "$PA" "$PFD" --json >popen.json || fail "popen: who (after)"
[ "$(json popen.json '[h["end_reason"] for h in j["end"]["holders"] if h["pid"] == '"$PA"']')" = "['close']" ] ||
	fail "popen: pclose not seen: $(cat popen.json)"

# Real programs: a pipeline the shell makes. Same output and status as bare.
bare=$(sh -c 'seq 2000 | sort -rn | head -n 3; exit 7' 2>&1; echo "status $?")
traced=$("$B/peerlog" run -j "$WORK/sh.db" -- sh -c 'seq 2000 | sort -rn | head -n 3; exit 7' 2>&1; echo "status $?")
[ "$bare" = "$traced" ] || fail "pipeline output differs: $bare / $traced"
peerlog -j "$WORK/sh.db" tree --json >sh.json || fail "pipeline: tree"
SORT=$(python3 -c 'import json
def walk(n):
    yield n
    for c in n.get("children", []):
        yield from walk(c)
j = json.load(open("sh.json"))
print([n["pid"] for r in j["processes"] for n in walk(r) if (n["exe"] or "").endswith("/sort")][0])') ||
	fail "pipeline: no sort in the tree: $(cat sh.json)"
peerlog -j "$WORK/sh.db" who "$SORT" 0 --json >sort.json || fail "pipeline: who sort 0"
[ "$(json sort.json 'j["end"]["kind"], j["end"]["end"]')" = "('pipe', 'read')" ] || fail "pipeline: sort's stdin: $(cat sort.json)"
[ "$(json sort.json 'any(h["exe"].endswith("/seq") and h["fd"] == 1 for h in j["peer"]["holders"])')" = true ] ||
	fail "pipeline: seq held the write end: $(cat sort.json)"
exit 0
