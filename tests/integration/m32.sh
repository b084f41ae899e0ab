# A 64-bit traced parent makes a socketpair and forks; the child execs a
# 32-bit program (examples/parent built with -m32) that keeps the end,
# makes a socketpair of its own, forks, closes, and execs child1 (32-bit
# too). Under `peerlog run` each program loads its own build of the shim
# through ld.so's $LIB: who names the 32-bit program as the holder, its own
# calls are in the journal, and its stderr and exit status are those of
# the bare run; a 32-bit program with 64-bit time_t too. Preloaded with
# the 64-bit build alone, ld.so says "wrong
# ELF class" and the 32-bit program runs untraced: what it holds is then
# inferred.
. "$(dirname "$0")/../lib.sh"

P32=$B/tests/progs32
[ -f "$B/lib32/libpeerlog.so" ] ||
	skip "no 32-bit shim: $(sed -n 's/^M32_WHY := //p' "$B/m32.mk" 2>/dev/null)"
[ -x "$P32/parent" ] && [ -x "$P32/child1" ] || skip "no 32-bit test programs in $P32"

# The two trees print at once: compare their lines in order of text.
norm() { sed 's/[0-9][0-9]*/N/g' "$1" | sort; }
"$PROGS/scenario" execw "$P32/parent" </dev/null >bare.out 2>bare.err
bare=$?
peerlog run -- "$PROGS/scenario" execw "$P32/parent" </dev/null >traced.out 2>traced.err
traced=$?
[ $bare = 0 ] || fail "the bare run failed ($bare): $(cat bare.err)"
[ $traced = $bare ] || fail "exit status $traced traced, $bare bare: $(cat traced.err)"
cmp -s bare.err traced.err || fail "stderr differs traced: $(cat traced.err)"
[ "$(norm bare.out)" = "$(norm traced.out)" ] || fail "output differs: $(cat traced.out)"

S=$(val parent traced.out)
FD0=$(val fd0 traced.out)
C=$(val child traced.out)
line=$(grep '^parent: pid ' traced.out)
G=$(echo "$line" | sed 's/.*(pid \([0-9]*\)).*/\1/')
CFD=$(echo "$line" | sed 's/.* over fd \([0-9]*\)$/\1/')
[ -n "$S" ] && [ -n "$C" ] && [ -n "$G" ] || fail "unexpected output: $(cat traced.out)"

# The 64-bit parent's end: its peer went to the 32-bit program.
peerlog who "$S" "$FD0" --json >who.json || fail "who $S $FD0 failed"
h='[h for h in j["peer"]["holders"] if h["pid"]=='"$C"']'
[ "$(json who.json "len($h)")" = 1 ] || fail "pid $C is not a holder: $(cat who.json)"
[ "$(json who.json "$h[0]['exe'].endswith('/progs32/parent')")" = true ] ||
	fail "the holder is not the 32-bit program: $(cat who.json)"
[ "$(json who.json "($h[0]['start_reason'], $h[0]['execs'], $h[0]['inferred'])")" = "('fork', 1, False)" ] ||
	fail "the 32-bit holder is not seen by fork and exec: $(cat who.json)"

# The 32-bit program's own socketpair, fork and closes, and the exec of
# child1 in its child, as its build of the shim recorded them.
peerlog who "$C" "$CFD" --json >own.json || fail "who $C $CFD failed"
[ "$(json own.json "(j['pair']['creator']['pid'], j['pair']['creator']['exe'].endswith('/progs32/parent'))")" = "($C, True)" ] ||
	fail "the 32-bit program's socketpair is not its own: $(cat own.json)"
[ "$(json own.json "sorted((h['pid'], h['start_reason'], h['end_reason']) for h in j['end']['holders'])")" = "[($C, 'create', 'close'), ($G, 'fork', 'close')]" ] ||
	fail "the 32-bit end's holders (fork, closes): $(cat own.json)"
[ "$(json own.json "[(h['start_reason'], h['exe'].rsplit('/', 2)[-2:]) for h in j['peer']['holders'] if h['pid']==$G]")" = "[('fork', ['progs32', 'child1'])]" ] ||
	fail "child1 (32-bit) does not hold the peer: $(cat own.json)"
peerlog check --json >check.json
[ "$(json check.json "[e for e in j['ends'] if e['verdict'] != 'agrees']")" = "[]" ] ||
	fail "check disagrees: $(cat check.json)"

# A 32-bit program built with 64-bit time_t calls glibc's __sendmsg64,
# __recvmsg64 and __fcntl_time64 for sendmsg, recvmsg and fcntl: an end
# passed with SCM_RIGHTS, and a copy made with F_DUPFD_CLOEXEC.
T64=$P32/scenario-t64
[ -x "$T64" ] || fail "no $T64"
peerlog run -- "$T64" passfd "$P32/holder" </dev/null >pass.out 2>pass.err ||
	fail "scenario-t64 passfd: $(cat pass.err)"
[ -s pass.err ] && fail "scenario-t64 passfd wrote to stderr: $(cat pass.err)"
P=$(val parent pass.out) W=$(val worker pass.out)
GOT=$(sed -n "s/^fd \([0-9]*\) ino $(val ino1 pass.out)$/\1/p" pass.out)
[ -n "$GOT" ] || fail "the worker does not hold the passed end: $(cat pass.out)"
peerlog who "$P" "$(val fd0 pass.out)" --json >pass.json || fail "who (passfd)"
h="[h for h in j['peer']['holders'] if h['pid']==$W][0]"
[ "$(json pass.json "$h['fd'], $h['start_reason'], $h['source']['pid'], $h['source']['fd']")" = "($GOT, 'recv', $P, $(val fd1 pass.out))" ] ||
	fail "the end received by a time64 program: $(cat pass.json)"
peerlog run -- "$T64" dupexec "$P32/holder" >dup.out 2>dup.err || fail "scenario-t64 dupexec: $(cat dup.err)"
P=$(val parent dup.out) C=$(val child dup.out) COPY=$(val cloexec_copy dup.out)
peerlog who "$P" "$(val fd0 dup.out)" --json >dup.json || fail "who (dupexec)"
h="[h for h in j['peer']['holders'] if h['pid']==$C and h['fd']==$COPY][0]"
[ "$(json dup.json "$h['start_reason'], $h['source']['fd'], $h['end_reason']")" = "('dup', 7, 'exec')" ] ||
	fail "the F_DUPFD_CLOEXEC copy of a time64 program: $(cat dup.json)"

# A 32-bit process maps at most 8 segments of the spool (32 MiB), then
# writes with pwrite(): 200000 pairs make over 36 MiB, none lost.
if [ -z "${PEERLOG_VALGRIND:-}" ] && command -v sqlite3 >/dev/null; then
	rm -f peerlog.db peerlog.db.spool
	peerlog run -- "$T64" churn 200000 >churn.out 2>churn.err || fail "churn: $(cat churn.err)"
	[ "$(stat -c %s peerlog.db.spool)" -gt $((36 << 20)) ] || fail "the spool is not past 8 segments: $(stat -c %s peerlog.db.spool)"
	peerlog tree >/dev/null 2>tree.err || fail "ingest: $(cat tree.err)"
	[ "$(sqlite3 peerlog.db 'SELECT count(*) FROM pair')" = 200000 ] ||
		fail "pairs lost past the mapped segments: $(sqlite3 peerlog.db 'SELECT count(*) FROM pair')"
fi

# Without $LIB: the 64-bit build alone. ld.so refuses it in the 32-bit
# program, on its stderr, and the program runs untraced; the journal
# infers that it holds what it kept across the exec.
rm -f peerlog.db peerlog.db.spool
PEERLOG_LIB=$SHIM peerlog run -- "$PROGS/scenario" execw "$P32/parent" </dev/null >plain.out 2>plain.err
[ $? = $bare ] || fail "exit status with the 64-bit shim alone: $(cat plain.err)"
grep -q 'wrong ELF class' plain.err || fail "ld.so did not refuse the 64-bit shim: $(cat plain.err)"
S=$(val parent plain.out)
C=$(val child plain.out)
peerlog who "$S" "$(val fd0 plain.out)" --json >plain.json || fail "who (64-bit shim alone) failed"
h='[h for h in j["peer"]["holders"] if h["pid"]=='"$C"']'
[ "$(json plain.json "($h[0]['inferred'], $h[0]['exe'].endswith('/progs32/parent'))")" = "(True, True)" ] ||
	fail "the untraced 32-bit holder is not inferred: $(cat plain.json)"
peerlog pairs --json >pairs.json || fail "pairs failed"
[ "$(json pairs.json "[p['creator']['pid'] for p in j['pairs']]")" = "[$S]" ] ||
	fail "a pair of the untraced 32-bit program is in the journal: $(cat pairs.json)"
exit 0
