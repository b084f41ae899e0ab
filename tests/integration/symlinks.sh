# What another user may plant in a shared directory: a symlink at the
# journal's or the spool's path, a file of theirs, a FIFO. The collector
# refuses (exit 3, one line), the shim says so once and the program runs
# untraced, unchanged; the file pointed at is never written.
. "$(dirname "$0")/../lib.sh"
echo precious >target
sum() { cksum target; }
before=$(sum)

# A symlink at the spool's path.
ln -s target j.db.spool
peerlog run -j j.db -- echo hi >out 2>err
[ $? = 3 ] || fail "run: a symlinked spool is not refused"
[ "$(cat err)" = "peerlog: refusing spool '$WORK/j.db.spool': it is a symlink" ] || fail "run: $(cat err)"
[ ! -s out ] || fail "run ran the command"
peerlog -j j.db tree >out 2>err
[ $? = 3 ] && grep -q "refusing spool 'j.db.spool': it is a symlink" err || fail "tree: $(cat err)"
[ "$(wc -l <err)" = 1 ] || fail "tree: $(cat err)"

# The shim: the same output, exit status and errno as bare, one notice.
"$PROGS/scenario" errno >bare.out 2>&1
bare=$?
LD_PRELOAD=$SHIM PEERLOG_JOURNAL=$WORK/j.db "$PROGS/scenario" errno >traced.out 2>err
traced=$?
[ $traced = $bare ] || fail "exit status $traced with the spool refused, $bare bare"
diff bare.out traced.out || fail "output differs with the spool refused"
[ "$(sort -u err)" = "peerlog: refusing spool '$WORK/j.db.spool': it is a symlink; not recording" ] ||
	fail "shim notice: $(cat err)"
LD_PRELOAD=$SHIM PEERLOG_QUIET=1 PEERLOG_JOURNAL=$WORK/j.db sh -c 'echo out; exit 6' >out 2>err
[ $? = 6 ] && [ "$(cat out)" = out ] && [ ! -s err ] || fail "quiet: $(cat out err)"

# A symlink at the journal's path, with a spool to ingest: refused, and
# a dangling one makes nothing appear where it points.
LD_PRELOAD=$SHIM PEERLOG_JOURNAL=$WORK/k.db /bin/true || fail "trace into k.db"
ln -s target k.db
peerlog -j k.db tree >out 2>err
[ $? = 3 ] && [ "$(cat err)" = "peerlog: refusing journal 'k.db': it is a symlink" ] || fail "journal: $(cat err)"
ln -s made-by-peerlog d.db
cp k.db.spool d.db.spool
peerlog -j d.db pairs >out 2>err
[ $? = 3 ] && grep -q "refusing journal 'd.db': it is a symlink" err || fail "dangling: $(cat err)"
[ ! -e made-by-peerlog ] || fail "the dangling symlink was followed"
[ "$(sum)" = "$before" ] || fail "the target changed: $(cat target)"

# A FIFO neither blocks nor is used.
mkfifo f.db.spool
timeout 10 "$B/peerlog" run -j f.db -- true 2>err
[ $? = 3 ] || fail "FIFO spool: run $(cat err)"
timeout 10 env LD_PRELOAD=$SHIM PEERLOG_JOURNAL=$WORK/f.db sh -c 'exit 0' 2>err ||
	fail "FIFO spool: the program did not run: $(cat err)"
grep -q "refusing spool '$WORK/f.db.spool': not a regular file owned by you or root" err ||
	fail "FIFO spool: $(cat err)"

# Files of another user (needs root to make them).
[ "$(id -u)" = 0 ] || { echo "not root: files of another user not checked" >&2; exit 0; }
LD_PRELOAD=$SHIM PEERLOG_JOURNAL=$WORK/o.db /bin/true || fail "trace into o.db"
chown nobody o.db.spool
LD_PRELOAD=$SHIM PEERLOG_JOURNAL=$WORK/o.db sh -c 'exit 0' 2>err || fail "foreign spool: the program did not run"
grep -q "refusing spool '$WORK/o.db.spool': not a regular file owned by you or root" err || fail "foreign spool (shim): $(cat err)"
peerlog run -j o.db -- true 2>err
[ $? = 3 ] && grep -q "refusing spool '$WORK/o.db.spool': not a regular file owned by you or root" err ||
	fail "foreign spool (run): $(cat err)"
peerlog -j o.db tree 2>err
[ $? = 3 ] && grep -q "refusing spool 'o.db.spool': not a regular file owned by you or root" err ||
	fail "foreign spool (ingest): $(cat err)"
# A journal of another user answers, read-only: nothing is ingested.
chown root o.db.spool
peerlog -j o.db tree >/dev/null || fail "tree o.db"
LD_PRELOAD=$SHIM PEERLOG_JOURNAL=$WORK/o.db /bin/true || fail "trace into o.db again"
chown nobody o.db
cp -p o.db o.copy
peerlog -j o.db tree --json >o.json || fail "foreign journal: no answer"
[ "$(json o.json 'len(j["processes"])')" = 1 ] || fail "foreign journal: ingested? $(cat o.json)"
cmp o.db o.copy || fail "foreign journal was written"
exit 0
