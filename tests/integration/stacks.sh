# Creation sites: pairs and who name the function and line that made each
# pair, also for a pair made in a fork child; PEERLOG_STACKS=0 turns it off.
. "$(dirname "$0")/../lib.sh"
command -v addr2line >/dev/null || skip "addr2line (binutils) is not installed"

LINE=$(grep -n 'socketpair(AF_UNIX, SOCK_STREAM, 0, fds)' "$TOP/examples/parent.c" | cut -d: -f1)
peerlog run -- "$EX/parent" >out || fail "example"
peerlog pairs --json >pairs.json || fail "pairs"
[ "$(json pairs.json 'j["pairs"][0]["created_at"]["function"], j["pairs"][0]["created_at"]["file"].endswith("/parent.c"), j["pairs"][0]["created_at"]["line"]')" = "('main', True, $LINE)" ] ||
	fail "created_at: $(cat pairs.json)"
peerlog pairs | grep -q "^pair 1: stream, made by pid [0-9]* (parent) at .* in main (parent.c:$LINE)$" ||
	fail "pairs (text): $(peerlog pairs)"
P=$(sed -n 's/^parent: pid \([0-9]*\) .*/\1/p' out)
peerlog who "$P" 3 --json >who.json || fail "who"
[ "$(json who.json 'j["pair"]["created_at"]["function"]')" = main ] || fail "who: $(cat who.json)"

# in a fork child: its modules are its parent's image
LINE=$(grep -n 'socketpair(AF_UNIX, SOCK_STREAM, 0, nfds) != 0)$' "$TOP/tests/progs/scenario.c" | sed -n 2p | cut -d: -f1)
peerlog run -j "$WORK/fork.db" -- "$PROGS/scenario" closerange >/dev/null || fail "scenario closerange"
peerlog -j "$WORK/fork.db" pairs --json >fork.json || fail "pairs (fork)"
[ "$(json fork.json 'sorted(set((p["created_at"]["function"], p["created_at"]["line"]) for p in j["pairs"] if p["type"] != "pipe" and p["created_at"]["function"] != "pair"))')" = "[('closerange', $LINE)]" ] ||
	fail "fork child's site: $(json fork.json '[p["created_at"] for p in j["pairs"]]')"

PEERLOG_STACKS=0 peerlog run -j "$WORK/off.db" -- "$EX/parent" >/dev/null || fail "example (stacks off)"
[ "$(peerlog -j "$WORK/off.db" pairs --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pairs"][0]["created_at"])')" = None ] ||
	fail "PEERLOG_STACKS=0 should record no site"

# PEERLOG_STACKS=full: libunwind's frames, starting at the same caller
LINE=$(grep -n 'socketpair(AF_UNIX, SOCK_STREAM, 0, fds)' "$TOP/examples/parent.c" | cut -d: -f1)
PEERLOG_STACKS=full peerlog run -j "$WORK/full.db" -- "$EX/parent" >/dev/null || fail "example (full stacks)"
peerlog -j "$WORK/full.db" pairs --json >full.json || fail "pairs (full stacks)"
[ "$(json full.json 'j["pairs"][0]["created_at"]["function"], j["pairs"][0]["created_at"]["line"]')" = "('main', $LINE)" ] ||
	fail "full stacks: $(cat full.json)"
if command -v sqlite3 >/dev/null; then
	frames=$(sqlite3 "$WORK/full.db" "SELECT max(length(pcs) - length(replace(pcs, ' ', '')) + 1) FROM stack")
	[ "$frames" -gt 1 ] || fail "full stacks: $frames frame(s) recorded"
	frames=$(sqlite3 "$WORK/peerlog.db" "SELECT max(length(pcs) - length(replace(pcs, ' ', '')) + 1) FROM stack")
	[ "$frames" = 1 ] || fail "default: $frames frames recorded, the caller only expected"
fi
exit 0
