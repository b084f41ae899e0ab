# peerlog events: the journal's event table as it is, in order, with the
# program of each; text, --json and --jsonl alike; filters; a reader that
# goes away ends it quietly.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 is needed to read the journal directly"
q() { sqlite3 "$PEERLOG_JOURNAL" "$1"; }

peerlog run -- "$EX/parent" >run.out || fail "example failed"
P=$(sed -n 's/^parent: pid \([0-9]*\) .*/\1/p' run.out)
C=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' run.out)

peerlog events --jsonl >all.jsonl || fail "events --jsonl"
N=$(q 'SELECT count(*) FROM event')
[ "$N" -gt 8 ] || fail "only $N events"
[ "$(wc -l <all.jsonl)" = "$N" ] || fail "--jsonl: $(wc -l <all.jsonl) lines for $N events"
# every line is one object, in the table's order, with the table's values
python3 - "$PEERLOG_JOURNAL" <<'EOF' || fail "--jsonl does not match the event table"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT e.id, e.pid, e.process_id, p.exe, e.kind, e.fd, e.arg, e.detail "
                  "FROM event e LEFT JOIN process p ON p.id = e.process_id ORDER BY e.id").fetchall()
got = [json.loads(l) for l in open("all.jsonl")]
keys = ["id", "pid", "image", "exe", "kind", "fd", "arg", "detail"]
for row, obj in zip(rows, got):
    assert tuple(obj[k] for k in keys) == row, (row, obj)
    assert obj["time"].endswith("Z"), obj
assert len(rows) == len(got)
EOF
# --json: the same objects in one document
peerlog events --json >all.json || fail "events --json"
python3 -c 'import json; a=json.load(open("all.json")); b=[json.loads(l) for l in open("all.jsonl")]; assert a["events"]==b and a["count"]==len(b)' ||
	fail "--json differs from --jsonl"

# what the example did, as records: the pair, the fork, the exec
row() { json all.json "[(e['fd'], e['arg'], e['detail']) for e in j['events'] if e['kind']=='$1' and e['pid']==$2]"; }
[ "$(row socketpair "$P")" = "[(3, 4, None)]" ] || fail "socketpair: $(row socketpair "$P")"
[ "$(row fork "$P")" = "[(None, $C, None)]" ] || fail "fork: $(row fork "$P")"
[ "$(row exec "$C")" = "[(None, None, '$EX/child1')]" ] || fail "exec: $(row exec "$C")"
[ "$(json all.json "sorted(set(e['exe'].rsplit('/',1)[1] for e in j['events'] if e['pid']==$C))")" = "['child1', 'parent']" ] ||
	fail "the child's programs: $(cat all.json)"

# text: a heading, one row per event, times as the other commands print them
peerlog events >all.txt || fail "events"
head -n 1 all.txt | grep -q '^TIME  *PID  *PROGRAM  *KIND  *FD  *ARG DETAIL$' || fail "heading: $(head -n 1 all.txt)"
[ "$(($(wc -l <all.txt) - 1))" = "$N" ] || fail "text: $(cat all.txt)"
grep -q "^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]\{3\} $P  *parent  *socketpair  *3  *4 -$" all.txt || fail "text socketpair: $(cat all.txt)"
grep -q " $C  *parent  *exec  *-  *- $EX/child1$" all.txt || fail "text exec: $(cat all.txt)"
peerlog events -n -o ID,KIND >ids.txt || fail "events -o"
[ "$(head -n 1 ids.txt)" = "      1 hello" ] || fail "-o ID,KIND -n: $(head -n 2 ids.txt)"

# filters
pids() { json "$1" "sorted(set(e['pid'] for e in j['events']))"; }
peerlog events --json --pid "$C" >c.json || fail "--pid"
[ "$(pids c.json)" = "[$C]" ] || fail "--pid $C: $(pids c.json)"
[ "$(json c.json "j['count']")" = "$(q "SELECT count(*) FROM event WHERE pid = $C")" ] || fail "--pid $C: count"
peerlog events --json --pid "$P,$C" >pc.json && peerlog events --json --pid "$P" --pid="$C" >pc2.json ||
	fail "--pid lists"
cmp -s pc.json pc2.json && cmp -s pc.json all.json || fail "--pid P,C and --pid P --pid C should give all"
peerlog events --json --kind exec,fork >k.json || fail "--kind"
[ "$(json k.json "[e['kind'] for e in j['events']]")" = "['fork', 'exec']" ] || fail "--kind: $(cat k.json)"
peerlog events --json --kind close --pid "$P" >kp.json || fail "--kind --pid"
[ "$(json kp.json "[e['fd'] for e in j['events']]")" = "[4, 3]" ] || fail "--kind close --pid: $(cat kp.json)"
T5=$(json all.json "j['events'][4]['time']")
# ISO times of one form compare as strings
peerlog events --json --since "$T5" >since.json || fail "--since"
[ "$(json since.json "[e['id'] for e in j['events']]")" = "$(json all.json "[e['id'] for e in j['events'] if e['time'] >= '$T5']")" ] ||
	fail "--since $T5: $(cat since.json)"
peerlog events --json --until "$T5" >until.json || fail "--until"
[ "$(json until.json "[e['id'] for e in j['events']]")" = "$(json all.json "[e['id'] for e in j['events'] if e['time'] < '$T5']")" ] ||
	fail "--until $T5: $(cat until.json)"
[ "$(json until.json "j['count']")" -gt 0 ] && [ "$(json since.json "j['count']")" -gt 0 ] || fail "--since/--until: an empty side"
S5=$(python3 -c "import datetime as d; print(d.datetime.strptime('$T5', '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=d.timezone.utc).timestamp())")
peerlog events --json --since "@$S5" --until "@$S5" >none.json || fail "--since @S"
[ "$(json none.json "j['count']")" = 0 ] || fail "empty range: $(cat none.json)"
expect 0 events --pid 999999999 -n
[ ! -s out ] || fail "no such pid: $(cat out)"

# bad input: one line, exit 2
expect 2 events --kind bogus
grep -q "unknown event kind 'bogus' (hello, .*socketpair, .*)" err || fail "--kind bogus: $(cat err)"
expect 2 events --kind exec,
expect 2 events --pid abc
expect 2 events --pid 1,,2
expect 2 events --pid
expect 2 events --since yesterday
expect 2 events --until 2026-13-45T99:00:00
expect 2 events --json --jsonl
expect 2 events extra
expect 2 events -o NOPE

# a reader that goes away: quiet, however long the journal (and even
# when the caller ignores SIGPIPE); SQLite adds the rows quickly
q "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
   INSERT INTO event (process_id, pid, time_ns, kind, fd) SELECT 1, $P, 1, 'close', 9 FROM n"
# (valgrind's own report of a process killed is not peerlog's)
said() { grep -v '^==[0-9]*==' err; }
for mode in "" --jsonl --json; do
	peerlog events $mode 2>err | head -n 1 >first.txt
	[ -s first.txt ] || fail "events $mode | head: nothing"
	[ -z "$(said)" ] || fail "events $mode | head: $(cat err)"
	(trap '' PIPE; peerlog events $mode 2>err | head -n 1 >/dev/null)
	[ -z "$(said)" ] || fail "events $mode | head, SIGPIPE ignored: $(cat err)"
done
exit 0
