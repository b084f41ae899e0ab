# Arguments that look like secrets never reach the spool or the journal
# (preload/redact.c), while the traced program still sees them; with
# PEERLOG_ARGV=full they are recorded as they are.
. "$(dirname "$0")/../lib.sh"

set -- --password=hunter2 --token hunter2 https://bob:hunter2@example.com/ \
	AWS_SECRET_ACCESS_KEY=hunter2 "Authorization: Bearer hunter2" --user=bob
# Raw bytes, not lines: how many times S occurs in FILE.
count() { grep -a -o "$1" "$2" | wc -l; }

peerlog run -- echo "$@" >out || fail "traced echo failed"
[ "$(count hunter2 out)" = 5 ] || fail "the program did not see its arguments: $(cat out)"
peerlog tree --json >tree.json || fail "tree"
[ "$(json tree.json '[p["argv"] for p in j["processes"] if p["exe"].endswith("/echo")][0]')" = \
  "['echo', '--password=***', '--token', '***', 'https://bob:***@example.com/', 'AWS_SECRET_ACCESS_KEY=***', 'Authorization: ***', '--user=bob']" ] ||
	fail "argv as recorded: $(cat tree.json)"
for f in peerlog.db*; do
	[ "$(count hunter2 "$f")" = 0 ] || fail "'hunter2' is in $f"
done
[ -f peerlog.db ] && [ -f peerlog.db.spool ] || fail "no journal or spool: $(ls)"

PEERLOG_ARGV=full peerlog run -j full.db -- echo "$@" >out2 || fail "traced echo failed (full)"
cmp out out2 || fail "output differs with PEERLOG_ARGV=full"
peerlog -j full.db tree >/dev/null || fail "tree (full)"
[ "$(count hunter2 full.db.spool)" = 5 ] || fail "PEERLOG_ARGV=full: not in the spool"
[ "$(count hunter2 full.db)" -ge 5 ] || fail "PEERLOG_ARGV=full: not in the journal"
exit 0
