# The fuzz targets' corpora (tests/fuzz/corpus/TARGET: seeds, and every
# input that once crashed), replayed without libFuzzer through the same
# entry points `make fuzz` runs (tests/fuzz/replay.c).
. "$(dirname "$0")/../lib.sh"

n=0
for dir in "$TOP"/tests/fuzz/corpus/*/; do
	t=$(basename "$dir")
	bin=$B/tests/fuzz/replay-$t
	[ -x "$bin" ] || fail "$bin is not built"
	${PEERLOG_VALGRIND:-} "$bin" "$dir" >out 2>err ||
		fail "replay of $t: $(tail -n 30 err)"
	grep -q '^replayed [1-9]' out || fail "replay of $t: $(cat out)"
	cat out
	n=$((n + 1))
done
[ $n -gt 0 ] || fail "no corpus in tests/fuzz/corpus"
exit 0
