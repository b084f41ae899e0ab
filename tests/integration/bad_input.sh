# Bad input never crashes peerlog: a spool of garbage, records of a future
# format, a corrupt journal, bad numbers and options for every command.
# Each gets one line "peerlog: ..." naming the problem and the documented
# exit status (README.md, "Exit status").
. "$(dirname "$0")/../lib.sh"

says() { grep -q "$1" err || fail "peerlog said '$(cat err)', not '$1'"; }

# Unknown commands and options, and bad numbers, for every command.
expect 2 frobnicate
expect 2 --frob
for c in run who pairs tree check lint graph ls report; do
	expect 2 $c --frob 1
	says "unknown option '--frob' for '$c'"
	expect 2 $c -Z 1
	says "unknown option '-Z' for '$c'"
done
for c in who pairs tree check lint graph ls report; do
	expect 2 $c --json=yes
	says "option '--json' takes no value"
	expect 2 $c -j
	says "needs a journal path"
done
expect 2 run --json -- true
for bad in abc 12x 0x10 1e3 '' ' 7' 0 99999999999999999999 2147483648 -3; do
	expect 2 who "$bad" 3
	expect 2 ls "$bad"
done
for bad in abc 3x '' -1 -12 2147483648 99999999999999999999; do
	expect 2 who 1 "$bad"
done
expect 2 who 1 -5
says "no PID or FD is negative"

# A real spool, and the journal made from it.
peerlog run -- "$EX/parent" >/dev/null || fail "traced example failed"
cp peerlog.db.spool good.spool

# Garbage with no header is not a spool: refused, the journal left as is.
head -c 65536 /dev/urandom | tr '\0PL' 'xyz' >garbage.db.spool
expect 3 -j garbage.db pairs
says "spool 'garbage.db.spool' is not a peerlog spool"
expect 3 -j garbage.db who 1 3

# A header, then garbage: the garbage is skipped, said once in a warning.
python3 - good.spool hdr.db.spool <<'PY'
import os, struct, sys
b = bytearray(open(sys.argv[1], 'rb').read(4096)) + os.urandom(65536)
struct.pack_into('<Q', b, 16, len(b))  # tail
open(sys.argv[2], 'wb').write(b)
PY
expect 0 -j hdr.db pairs
[ "$(wc -l <err)" = 1 ] && says "warning: skipped .* garbled bytes" ||
	fail "garbage after a header: $(cat err)"
expect 0 -j hdr.db pairs
[ -s err ] && fail "the garbage was reported twice: $(cat err)"

# Records of a future format version: what comes before them is read,
# then peerlog stops and names the version (it does not skip them all).
future() { # record number, version, output
	python3 - good.spool "$3" "$1" "$2" <<'PY'
import struct, sys
M = (1 << 64) - 1
def checksum(rec):
    h = 0x9e3779b97f4a7c15 ^ len(rec)
    for i in range(0, len(rec) - 7, 8):
        h = ((h ^ struct.unpack_from('<Q', rec, i)[0]) * 0xff51afd7ed558ccd) & M
        h ^= h >> 32
    return (h ^ (h >> 29)) & 0xffffffff
b = bytearray(open(sys.argv[1], 'rb').read())
nth, version = int(sys.argv[3]), int(sys.argv[4])
tail = struct.unpack_from('<Q', b, 16)[0]
off, i = 4096, 0
while off < tail:
    magic, size = struct.unpack_from('<IH', b, off)
    assert magic == 0x31524c50
    if i >= nth:
        b[off + 6] = version
        struct.pack_into('<I', b, off + 12, 0)
        struct.pack_into('<I', b, off + 12, checksum(bytes(b[off:off + size])))
    off += size
    i += 1
open(sys.argv[2], 'wb').write(b)
PY
}
future 0 3 v3.db.spool
expect 3 -j v3.db pairs
says "record of format version 3 at offset 4096; this peerlog reads version 2"
expect 3 -j v3.db tree
future 3 200 v200.db.spool
expect 3 -j v200.db tree
says "format version 200"
# a header of a future version
python3 - good.spool h2.db.spool <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
struct.pack_into('<I', b, 8, 2)
open(sys.argv[2], 'wb').write(b)
PY
expect 3 -j h2.db pairs
says "header of a newer format"

# One spool named two ways is still ingested once.
cp good.spool twice.db.spool
peerlog -j twice.db pairs >/dev/null && peerlog -j "$WORK/twice.db" pairs >/dev/null &&
	peerlog -j ./twice.db pairs >/dev/null || fail "twice.db"
[ "$(peerlog -j twice.db pairs --json | json /dev/stdin 'len(j["pairs"])')" = 1 ] ||
	fail "a spool named two ways was ingested twice"

# Corrupt journals: cut in half, bytes overwritten in the middle, a
# garbled header. Either an answer from what is readable, or exit 3.
cp good.spool real.db.spool
peerlog -j real.db tree >/dev/null || fail "real.db"
rm real.db.spool
size=$(stat -c %s real.db)
cp real.db half.db
truncate -s $((size / 2)) half.db
cp real.db middle.db
head -c 8192 /dev/urandom | dd of=middle.db bs=1 seek=$((size / 2 - 4096)) \
	conv=notrunc 2>/dev/null
cp real.db head.db
head -c 64 /dev/urandom | dd of=head.db bs=1 seek=16 conv=notrunc 2>/dev/null
for j in half middle head; do
	for c in pairs tree "who 1 3" lint graph ls "report -o rep"; do
		peerlog -j $j.db $c >out 2>err
		rc=$?
		case $rc in
		0 | 1) [ -s err ] && [ "$(grep -vc '^peerlog: ' err)" != 0 ] &&
			fail "$j.db $c: $(cat err)" ;;
		3) [ "$(wc -l <err)" = 1 ] && grep -q '^peerlog: ' err ||
			fail "$j.db $c: $(cat err)" ;;
		*) fail "peerlog -j $j.db $c: exit $rc: $(cat err)" ;;
		esac
	done
	peerlog -j $j.db check >/dev/null 2>err
	rc=$?
	[ $rc -le 2 ] || fail "peerlog -j $j.db check: exit $rc: $(cat err)"
done
expect 3 -j half.db tree
says "'half.db' is not a peerlog journal: database disk image is malformed"
expect 3 -j head.db pairs
# a corrupt journal with a spool to ingest into it
cp good.spool middle.db.spool
peerlog -j middle.db tree >/dev/null 2>err
rc=$?
[ $rc = 0 ] || [ $rc = 3 ] || fail "corrupt journal, ingest: exit $rc: $(cat err)"
exit 0
