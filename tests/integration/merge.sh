# peerlog merge: a server traced into one journal, its client into
# another; merged, the connection's two ends join. Merging again adds
# nothing, the order of the inputs does not change the answers, a journal
# of another boot stays apart (and a pid in both boots is answered for one
# of them, with a warning), and bad inputs get one line each.
. "$(dirname "$0")/../lib.sh"

command -v sqlite3 >/dev/null || skip "sqlite3 is needed to count rows"

"$B/peerlog" run -j "$WORK/a.db" -- "$PROGS/scenario" listen "$WORK/srv.sock" >a.out 2>a.err &
SRV=$!
wait_for a.out '^listen '
"$B/peerlog" run -j "$WORK/b.db" -- "$PROGS/scenario" connect "$WORK/srv.sock" >b.out 2>b.err ||
	fail "client failed: $(cat b.err)"
wait $SRV || fail "server failed: $(cat a.err)"
S=$(val server a.out) SFD=$(val accepted_fd a.out) SINO=$(val accepted_ino a.out)
C=$(val client b.out) CFD=$(val client_fd b.out) CINO=$(val client_ino b.out)
[ -f a.db ] && fail "a.db was ingested before the merge: the test would not see merge ingest it"

rows() { # journal: the row count of every table, one line
	for t in process pair sock holding flight module stack event; do
		printf '%s=%s ' $t "$(sqlite3 "$1" "SELECT count(*) FROM $t")"
	done
}

# the inputs are ingested by the merge, through the usual open path
expect 0 merge o.db a.db b.db
[ "$(wc -l <out)" = 2 ] || fail "merge: one line per input: $(cat out)"
[ -e o.db.spool ] && fail "merge made a spool for OUT"
[ "$(sqlite3 o.db 'SELECT count(*) FROM spool')" = 0 ] || fail "spool rows copied into OUT"

# alone, each journal knows only its own end of the connection
peerlog -j a.db who "$S" "$SFD" --json --no-check >a.json || fail "who (server, a.db)"
[ "$(json a.json 'j["peer"]["inode"], len(j["peer"]["holders"])')" = "($CINO, 0)" ] ||
	fail "a.db alone should not know the client: $(cat a.json)"

# merged, each side names the other
peerlog -j o.db who "$C" "$CFD" --json --no-check >c.json || fail "who (client, o.db)"
[ "$(json c.json 'j["end"]["inode"], j["peer"]["inode"]')" = "($CINO, $SINO)" ] ||
	fail "client's peer is not the accepted end: $(cat c.json)"
[ "$(json c.json '[(h["pid"], h["fd"], h["start_reason"]) for h in j["peer"]["holders"]]')" = "[($S, $SFD, 'accept')]" ] ||
	fail "the accepted end's holder: $(cat c.json)"
peerlog -j o.db who "$S" "$SFD" --json --no-check >s.json || fail "who (server, o.db)"
[ "$(json s.json '[(h["pid"], h["fd"], h["start_reason"]) for h in j["peer"]["holders"]]')" = "[($C, $CFD, 'create')]" ] ||
	fail "the client's end, seen from the server: $(cat s.json)"
[ "$(json s.json 'j["peer"]["cookie"] != 0')" = true ] || fail "the joined end lost its cookie: $(cat s.json)"

# counts add up: the ends of one connection are in each journal, one as
# the socket and the other by the inode the kernel named as its peer (the
# client's end at connect; the server's at accept, when the kernel still
# names the client then): one row each in OUT, as many socket ends as the
# two journals have distinct inodes
sum=$(sqlite3 o.db "SELECT (SELECT count(*) FROM process) || ' ' || (SELECT count(*) FROM holding) || ' ' || (SELECT count(*) FROM event) || ' ' || (SELECT count(*) FROM sock WHERE kind = 'socket')")
want=$(for d in a.db b.db; do sqlite3 $d "SELECT count(*) FROM process; SELECT count(*) FROM holding; SELECT count(*) FROM event"; done |
	paste -s -d' ' | awk '{ print $1 + $4, $2 + $5, $3 + $6 }')
socks=$(sqlite3 a.db "ATTACH 'b.db' AS b; SELECT count(*) FROM (SELECT ino FROM main.sock WHERE kind = 'socket' UNION SELECT ino FROM b.sock WHERE kind = 'socket')")
[ "$sum" = "$want $socks" ] || fail "counts: $sum, want $want $socks (processes holdings events distinct socket inodes)"
[ "$(sqlite3 a.db 'SELECT count(*) FROM sock')" -gt 0 ] && [ "$socks" -lt "$(($(sqlite3 a.db "SELECT count(*) FROM sock WHERE kind = 'socket'") + $(sqlite3 b.db "SELECT count(*) FROM sock WHERE kind = 'socket'")))" ] ||
	fail "no end of one journal joined one of the other"
[ "$(sqlite3 o.db "SELECT count(*) FROM sock WHERE ino = $CINO")" = 1 ] || fail "the client's end is in OUT twice"

# merging again, or one input twice, adds and changes nothing
before=$(rows o.db) dump=$(sqlite3 o.db .dump | cksum)
expect 0 merge o.db b.db a.db b.db
[ "$(rows o.db)" = "$before" ] || fail "merging again added rows: $(rows o.db), was $before"
[ "$(sqlite3 o.db .dump | cksum)" = "$dump" ] || fail "merging again changed OUT"
grep -q ' 0 processes, 0 socket ends, 0 holdings, 0 events added' out || fail "merge again: $(cat out)"

# B then A answers as A then B
expect 0 merge r.db b.db a.db
[ "$(rows r.db)" = "$before" ] || fail "b then a: $(rows r.db), a then b: $before"
for q in "$C $CFD" "$S $SFD" "$S" "$C"; do
	peerlog -j o.db who $q --json --no-check >x1.json || fail "who $q (o.db)"
	peerlog -j r.db who $q --json --no-check >x2.json || fail "who $q (r.db)"
	cmp -s x1.json x2.json || fail "who $q: a+b and b+a differ: $(diff x1.json x2.json)"
done
norm='sorted(json.dumps(p, sort_keys=True) for p in j["processes"])'
peerlog -j o.db tree --json --no-check >t1.json && peerlog -j r.db tree --json --no-check >t2.json || fail "tree"
[ "$(json t1.json "$norm")" = "$(json t2.json "$norm")" ] || fail "tree: a+b and b+a differ"

# another machine: a copy of a.db whose boot id differs in its last
# character only. Nothing joins across boots; who of a pid in both warns
# and answers for the latest, --boot chooses.
BOOT=$(sqlite3 a.db 'SELECT boot FROM process LIMIT 1')
case $BOOT in *0) FAKE=${BOOT%?}1 ;; *) FAKE=${BOOT%?}0 ;; esac
cp a.db m.db
sqlite3 m.db "UPDATE process SET boot = '$FAKE', hello_ns = hello_ns + 1000000000; UPDATE sock SET boot = '$FAKE'"
expect 0 merge o.db m.db
# (its ends: the connection's, and any pipe the tree inherited from us)
grep -q ": 1 processes, $(sqlite3 a.db 'SELECT count(*) FROM sock') socket ends, .* 0 of its ends were known already" out ||
	fail "other boot joined: $(cat out)"
[ "$(sqlite3 o.db "SELECT count(*) FROM sock WHERE ino = $CINO")" = 2 ] || fail "the other boot's peer end joined ours"
peerlog -j o.db who "$C" "$CFD" --json --no-check >c2.json 2>err || fail "who (client, 2 boots)"
[ -s err ] && fail "client's pid is in one boot, yet: $(cat err)"
cmp -s c.json c2.json || fail "the other boot changed the client's answer: $(diff c.json c2.json)"

peerlog -j o.db who "$S" "$SFD" --json --no-check >s2.json 2>err || fail "who (server, 2 boots)"
[ "$(wc -l <err)" = 1 ] && grep -q "pid $S is in 2 boots.*--boot" err || fail "no warning for a pid in two boots: $(cat err)"
[ "$(json s2.json 'j["query"]["boot"], len(j["peer"]["holders"])')" = "('$FAKE', 0)" ] ||
	fail "the latest boot is the copy's, whose server has no client: $(cat s2.json)"
peerlog -j o.db who "$S" "$SFD" --boot "$BOOT" --json --no-check >s3.json 2>err || fail "who --boot"
[ -s err ] && fail "--boot should not warn: $(cat err)"
[ "$(json s3.json 'j["query"]["boot"], [h["pid"] for h in j["peer"]["holders"]]')" = "('$BOOT', [$C])" ] ||
	fail "who --boot: $(cat s3.json)"
expect 2 who "$S" --boot "$(echo "$BOOT" | cut -c1-8)" -j o.db
grep -q 'more than one boot' err || fail "ambiguous --boot: $(cat err)"
expect 1 who "$S" --boot nosuchboot -j o.db
expect 2 who "$S" --boot
peerlog -j o.db tree --boot "$FAKE" --json --no-check >t3.json || fail "tree --boot"
[ "$(json t3.json '[p["pid"] for p in j["processes"]]')" = "[$S]" ] || fail "tree --boot: $(cat t3.json)"
peerlog -j o.db pairs --boot "$FAKE" --json --no-check >p3.json || fail "pairs --boot"
[ "$(json p3.json 'len(j["pairs"])')" = 0 ] || fail "pairs --boot: $(cat p3.json)"

# bad inputs: one line, the documented status, OUT untouched
dump=$(sqlite3 o.db .dump | cksum)
expect 2 merge
expect 2 merge o.db
expect 2 merge o.db a.db o.db
grep -q "'o.db' is both the output and an input" err || fail "OUT = IN: $(cat err)"
expect 2 merge "$WORK/o.db" o.db
expect 3 merge o.db a.db missing.db
grep -q "missing.db" err || fail "missing IN not named: $(cat err)"
echo "not a journal" >text.db
expect 3 merge o.db text.db
grep -q "'text.db' is not a peerlog journal" err || fail "text IN: $(cat err)"
[ "$(sqlite3 o.db .dump | cksum)" = "$dump" ] || fail "a bad input changed OUT"
expect 3 merge new.db text.db
[ -e new.db ] && fail "a bad input left a new OUT behind"
expect 3 merge text.db a.db
[ "$(cat text.db)" = "not a journal" ] || fail "OUT that is no journal was written to"
sqlite3 v9.db "CREATE TABLE t (x); PRAGMA user_version = 9"
expect 3 merge o.db v9.db
grep -q "v9.db" err || fail "other version: $(cat err)"
[ "$(sqlite3 o.db .dump | cksum)" = "$dump" ] || fail "a bad input changed OUT"
