# peerlog report: report.html and summary.md for a traced tree with
# findings (an end passed with SCM_RIGHTS and never received, ends kept
# across exec into a program whose name is full of markup and invalid
# UTF-8) and the example: well-formed, self-contained, every process and
# finding in it, with the graph drawn by dot and by the built-in layout;
# then the page as headless Chromium renders it.
. "$(dirname "$0")/../lib.sh"
CHECK="python3 $TOP/tests/integration/py/report_check.py"

# a program name that HTML, Markdown and dot must all escape
W="$WORK/h<b>&\"'$(printf '\377')x"
cp "$PROGS/holder" "$W" || fail "copy holder"
peerlog run -- "$PROGS/scenario" passfd "$W" </dev/null >pass.out || fail "scenario passfd"
peerlog run -- "$EX/parent" >parent.out || fail "example"
peerlog lint --json >lint.json
[ $? = 1 ] || fail "lint should find something: $(cat lint.json)"
peerlog tree --json >tree.json || fail "tree"
PIDS=$(python3 -c '
import json, sys
def walk(ps):
	for p in ps:
		yield p["pid"]
		yield from walk(p["children"])
print(",".join(sorted({str(p) for p in walk(json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "replace"))["processes"])})))' tree.json)
[ -n "$PIDS" ] || fail "no pids in $(cat tree.json)"
case ",$PIDS," in *",$(val worker pass.out),"*) ;; *) fail "the worker is not in $PIDS" ;; esac

# the default directory, and what it prints
peerlog report >paths 2>err || fail "report: $(cat err)"
[ "$(cat paths)" = "peerlog-report/report.html
peerlog-report/summary.md" ] || fail "paths printed: $(cat paths)"
[ -s err ] && fail "report said something on stderr: $(cat err)"
$CHECK page peerlog-report/report.html "$PIDS" lint.json || fail "report.html"
$CHECK md peerlog-report/summary.md lint.json || fail "summary.md"
grep -q "no live check was possible (no holder is alive" peerlog-report/report.html ||
	fail "a post-mortem report should say no live check was possible"
# journal text only ever escaped
grep -qF 'h<b>' peerlog-report/report.html && fail "a program name went into the page unescaped"
grep -qF "h&lt;b&gt;&amp;&quot;&#39;\\xffx" peerlog-report/report.html ||
	fail "the program name is not in the page, escaped"
grep -qF 'h&lt;b&gt;&amp;"'"'"'\\xffx' peerlog-report/summary.md ||
	fail "the program name is not in the summary, escaped: $(grep -a leaked peerlog-report/summary.md)"
if command -v dot >/dev/null; then
	grep -q "drawn by Graphviz dot" peerlog-report/report.html || fail "dot is installed, but did not draw"
	grep -q '<?xml\|<!DOCTYPE svg' peerlog-report/report.html && fail "dot's prolog left in the page"
else
	grep -q "drawn by peerlog (Graphviz dot is not installed)" peerlog-report/report.html ||
		fail "without dot the page should say who drew the graph"
fi

# the built-in layout, forced; --markdown; -o DIR made with its parents
peerlog report -o "$WORK/a/b/rep" --no-dot --markdown >md.out 2>err || fail "report --no-dot: $(cat err)"
[ "$(sed -n 1,2p md.out)" = "$WORK/a/b/rep/report.html
$WORK/a/b/rep/summary.md" ] || fail "paths printed: $(head -n 3 md.out)"
sed 1,3d md.out | cmp -s - "$WORK/a/b/rep/summary.md" || fail "--markdown should print summary.md after the paths"
grep -q "drawn by peerlog<" "$WORK/a/b/rep/report.html" || fail "--no-dot should draw with the built-in layout"
$CHECK page "$WORK/a/b/rep/report.html" "$PIDS" lint.json || fail "report.html (built-in layout)"
[ "$(grep -c 'class="edge [a-z]* flagged"' "$WORK/a/b/rep/report.html")" -ge 2 ] ||
	fail "the flagged ends' edges should be red"

# no dot on the PATH, or a dot that fails: the built-in layout, saying why
PATH=/nonexistent "$B/peerlog" report -o nodot >/dev/null || fail "report without dot"
grep -q "drawn by peerlog (Graphviz dot is not installed)" nodot/report.html || fail "without dot: who drew it?"
$CHECK page nodot/report.html "$PIDS" lint.json || fail "report.html (no dot)"
mkdir fakebin && printf '#!/bin/sh\nexit 1\n' >fakebin/dot && chmod +x fakebin/dot
PATH="$WORK/fakebin:$PATH" "$B/peerlog" report -o baddot >/dev/null || fail "report with a failing dot"
grep -q "drawn by peerlog (dot failed)" baddot/report.html || fail "a failing dot: who drew it?"
$CHECK page baddot/report.html "$PIDS" lint.json || fail "report.html (dot failed)"

# --fail-on-findings, errors
expect 1 report -o "$WORK/rep3" --fail-on-findings
[ -s "$WORK/rep3/report.html" ] || fail "--fail-on-findings should still write the report"
: >"$WORK/file"
expect 2 report -o "$WORK/file"
grep -q "'$WORK/file' exists and is not a directory" err || fail "message: $(cat err)"
expect 2 report extra
expect 2 report --json
expect 2 report -o
expect 3 -j "$WORK/none.db" report -o "$WORK/rep4"
[ -e "$WORK/rep4" ] && fail "a journal that is missing should not leave a directory"
expect 4 report -o /proc/peerlog-report-test
# never written through a symlink planted at its temporary name
mkdir planted && ln -s "$WORK/victim" planted/report.html.tmp
expect 4 report -oplanted
[ -e "$WORK/victim" ] && fail "report wrote through a symlink"

# a tree still running: the live check is made, and agrees
mkfifo live.in
"$B/peerlog" run -j "$WORK/live.db" -- "$PROGS/scenario" execw "$PROGS/holder" <live.in >live.out 2>live.err &
exec 3>live.in
wait_for live.out '^holder '
sleep 0.1
peerlog -j "$WORK/live.db" report -o live >/dev/null 2>err || fail "report (live): $(cat err)"
# as many ends as check finds (the pair's, and stdin and whatever pipe the
# tree inherited from the test)
peerlog -j "$WORK/live.db" check --json >live-check.json
N=$(json live-check.json 'j["checked"]')
exec 3>&-
wait $! || fail "live scenario: $(cat live.err)"
grep -q "the kernel agrees ($N ends checked)" live/report.html || fail "live check: $(grep -a -A3 'id="check"' live/report.html)"
grep -q "| live check | the kernel agrees ($N ends checked) |" live/summary.md || fail "live check (summary)"
peerlog -j "$WORK/live.db" report -o live-nc --no-check >/dev/null || fail "report --no-check"
grep -q "no live check made (--no-check)" live-nc/report.html || fail "--no-check: $(grep -a -A3 'id="check"' live-nc/report.html)"

# as Chromium renders it
command -v chromium >/dev/null || skip "chromium is not installed (apt-get install chromium): the page was not rendered"
SANDBOX=
[ "$(id -u)" = 0 ] && SANDBOX=--no-sandbox
chrome() { # file, chromium args...
	page=$1
	shift
	prof=$(mktemp -d)
	timeout 90 chromium --headless $SANDBOX --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$prof" "$@" "file://$page" 2>chromium.err
	rc=$?
	rm -rf "$prof"
	return $rc
}
for rep in "$WORK/peerlog-report" "$WORK/a/b/rep"; do
	chrome "$rep/report.html" --dump-dom >dom.html || fail "chromium --dump-dom: $(tail -n 3 chromium.err)"
	$CHECK dom dom.html "$PIDS" lint.json || fail "the page as rendered ($rep)"
	chrome "$rep/report.html" --screenshot="$WORK/shot.png" --window-size=1280,2000 >/dev/null ||
		fail "chromium --screenshot: $(tail -n 3 chromium.err)"
	[ "$(wc -c <shot.png)" -gt 20000 ] || fail "the screenshot is too small: $(wc -c <shot.png) bytes"
	$CHECK png shot.png 1280 2000 || fail "the screenshot ($rep)"
done
