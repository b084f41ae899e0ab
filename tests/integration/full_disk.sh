# A journal on a full disk, and on one that fills while the tree runs: the
# traced program's output and status do not change; the shim says once
# for the whole spool that events are lost. Needs a small tmpfs (root).
. "$(dirname "$0")/../lib.sh"
mkdir small
mount -t tmpfs -o size=1m tmpfs small 2>/dev/null ||
	skip "cannot mount a small tmpfs here (needs root in a mount namespace that allows it)"
trap 'umount "$WORK/small" 2>/dev/null; rm -rf "$WORK"' EXIT

"$PROGS/scenario" churn 30000 >bare.out 2>&1 || fail "bare churn failed"

# Full before the start: the spool cannot even get its header.
dd if=/dev/zero of=small/fill bs=4k 2>/dev/null
PEERLOG_JOURNAL="$WORK/small/j.db" LD_PRELOAD=$SHIM "$PROGS/scenario" churn 30000 >full.out 2>full.err
st=$?
[ $st = 0 ] || fail "on a full disk: exit $st"
diff bare.out full.out >/dev/null || fail "on a full disk: output differs"
[ "$(wc -l <full.err)" -le 1 ] || fail "said more than once: $(cat full.err)"
grep -q "^peerlog: cannot .*; not recording$" full.err || fail "not said: $(cat full.err)"

# Filling up on the way: 30000 pairs need some 3 MiB of spool, there is 1.
rm -f small/fill small/j.db.spool
PEERLOG_JOURNAL="$WORK/small/j.db" LD_PRELOAD=$SHIM sh -c \
	'"$1" churn 30000 && "$1" churn 30000 >/dev/null' sh "$PROGS/scenario" >fills.out 2>fills.err
st=$?
[ $st = 0 ] || fail "on a filling disk: exit $st"
diff bare.out fills.out >/dev/null || fail "on a filling disk: output differs"
[ "$(wc -l <fills.err)" = 1 ] || fail "not said once: $(cat fills.err)"
grep -q "no space left on device; events are lost from here on" fills.err ||
	fail "message: $(cat fills.err)"
# what made it is readable (the journal goes elsewhere: the disk is full)
cp small/j.db.spool elsewhere.db.spool
peerlog -j "$WORK/elsewhere.db" pairs >/dev/null 2>read.err || fail "reading what was kept: $(cat read.err)"
