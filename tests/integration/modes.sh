# The journal, its spool and SQLite's companions (-journal, -wal, -shm)
# are created 0600 whatever the umask, or with PEERLOG_MODE; a mode that
# is not octal, lets others write or denies the owner is refused.
. "$(dirname "$0")/../lib.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 is needed to open the journal in WAL mode"
mode() { stat -c %a "$@" | tr '\n' ' '; }
# SQLite makes a database's companions with the database's mode: see that
# it does for a copy of JOURNAL (WAL and a kept rollback journal).
companions() {
	rm -f c.db*
	cp -p "$1" c.db
	sqlite3 c.db 'PRAGMA journal_mode=wal;' 'CREATE TABLE c1(x);' \
		'.shell stat -c %a c.db-wal c.db-shm >c.modes' >/dev/null
	tr '\n' ' ' <c.modes
	sqlite3 c.db 'PRAGMA journal_mode=persist;' 'CREATE TABLE c2(x);' >/dev/null
	mode c.db-journal
}

umask 022
peerlog run -- true || fail "run"
peerlog tree >/dev/null || fail "tree"
[ "$(mode peerlog.db peerlog.db.spool)" = "600 600 " ] || fail "default: $(ls -l)"
[ "$(companions peerlog.db)" = "600 600 600 " ] || fail "companions: $(companions peerlog.db)"

# Asked for at the run: the journal, made at the first query, takes the
# spool's mode.
PEERLOG_MODE=0640 peerlog run -j g.db -- true || fail "run 0640"
peerlog -j g.db tree >/dev/null || fail "tree 0640"
[ "$(mode g.db g.db.spool)" = "640 640 " ] || fail "0640: $(ls -l)"
[ "$(companions g.db)" = "640 640 640 " ] || fail "companions 0640: $(companions g.db)"

# The shim makes the spool itself; the umask does not narrow the mode.
umask 077
PEERLOG_MODE=660 LD_PRELOAD=$SHIM PEERLOG_JOURNAL=$WORK/s.db /bin/true || fail "preloaded true"
PEERLOG_MODE=0660 peerlog -j s.db tree >/dev/null || fail "tree 0660"
[ "$(mode s.db s.db.spool)" = "660 660 " ] || fail "0660 under umask 077: $(ls -l)"
umask 022

for bad in 0666 0602 0400 0750x abc 01600 -600; do
	PEERLOG_MODE=$bad peerlog run -j bad.db -- true 2>err
	[ $? = 2 ] || fail "PEERLOG_MODE=$bad: not refused"
	[ "$(wc -l <err)" = 1 ] && grep -q "PEERLOG_MODE '$bad' is not an octal mode" err ||
		fail "PEERLOG_MODE=$bad: $(cat err)"
	[ ! -e bad.db.spool ] || fail "PEERLOG_MODE=$bad: a spool was made"
done
# The shim says so once and records with 0600; the program sees nothing.
PEERLOG_MODE=0666 LD_PRELOAD=$SHIM PEERLOG_JOURNAL=$WORK/b.db sh -c 'echo out; exit 4' >out 2>err
[ $? = 4 ] && [ "$(cat out)" = out ] || fail "the program changed under a bad PEERLOG_MODE"
[ "$(cat err)" = "peerlog: ignoring PEERLOG_MODE '0666': not octal, or write for others, or no rw for the owner; creating files 0600" ] ||
	fail "shim notice: $(cat err)"
[ "$(mode b.db.spool)" = "600 " ] || fail "bad mode: $(ls -l)"
exit 0
