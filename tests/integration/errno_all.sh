# errno after every wrapped call, failing and succeeding, is what the C
# library leaves without us; so are the return values (fd numbers too).
. "$(dirname "$0")/../lib.sh"
"$PROGS/stress" errno >bare.out 2>&1 || fail "bare run failed: $(cat bare.out)"
LD_PRELOAD=$SHIM "$PROGS/stress" errno >traced.out 2>&1 || fail "traced run failed"
diff bare.out traced.out >diff.out || fail "traced differs from bare: $(cat diff.out)"
[ "$(wc -l <bare.out)" -ge 50 ] || fail "too few calls checked: $(wc -l <bare.out)"
# and it was traced: the pairs and the accepted connection are there
peerlog pairs --json >pairs.json || fail "pairs"
[ "$(json pairs.json 'len(j["pairs"])')" -ge 1 ] || fail "nothing recorded: $(cat pairs.json)"
