# Setuid programs are never traced: run by an unprivileged user, a
# setuid-root program preloaded with the shim leaves nothing in the
# journal and runs as it does bare. (glibc's loader already ignores a
# preload path in a secure program; the shim's own AT_SECURE check in
# pl_init covers one installed where the loader would take it.) The shim
# reads its settings with secure_getenv only.
. "$(dirname "$0")/../lib.sh"

# Every setting the shim reads, it reads with secure_getenv().
plain=$(grep -n 'getenv *(' "$TOP"/preload/*.c | grep -v 'secure_getenv *(')
[ -z "$plain" ] || fail "the shim reads settings with getenv(): $plain"

[ "$(id -u)" = 0 ] || skip "needs root to make a setuid-root program and run it as nobody"
command -v setpriv >/dev/null || skip "needs setpriv (util-linux) to run as nobody"
id nobody >/dev/null 2>&1 || skip "no user nobody"
setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null ||
	skip "setpriv cannot switch to nobody here"
chmod 755 "$WORK"
mkdir nb && chown nobody nb
cp "$SHIM" lib.so && chmod 755 lib.so
cp "$PROGS/holder" plain && chmod 755 plain
cp "$PROGS/holder" suid && chown root suid && chmod 4755 suid
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
J=$WORK/nb/j.db
# holder prints its pid first: the rest must be the same
run() { # name, program, args...: output without the pid line, then status
	n=$1
	shift
	"$@" >"$n.out" 2>"$n.err"
	echo "status $?" >>"$n.out"
	sed -i '/^holder /d' "$n.out"
}

# Without the setuid bit, nobody's program is traced (the setup works).
run plain as_nobody env LD_PRELOAD=$WORK/lib.so PEERLOG_JOURNAL=$J ./plain
as_nobody "$B/peerlog" -j "$J" tree --json >plain.json || fail "tree (plain)"
[ "$(json plain.json "len([p for p in j['processes'] if p['exe'] == '$WORK/plain'])")" = 1 ] ||
	fail "the plain program was not traced: $(cat plain.json plain.err)"

# With it: the same as bare, and nothing recorded.
run bare as_nobody ./suid
run traced as_nobody env LD_PRELOAD=$WORK/lib.so PEERLOG_JOURNAL=$J ./suid
diff bare.out traced.out || fail "the setuid program changed under the shim"
[ ! -s traced.err ] || fail "the setuid program said: $(cat traced.err)"
# ... nor when a traced parent execs it
run child as_nobody env LD_PRELOAD=$WORK/lib.so PEERLOG_JOURNAL=$J sh -c "exec $WORK/suid"
diff bare.out child.out || fail "the setuid program changed when exec'd by a traced parent"
as_nobody "$B/peerlog" -j "$J" tree --json >tree.json || fail "tree"
[ "$(json tree.json "len([p for p in j['processes'] if p['exe'] == '$WORK/suid'])")" = 0 ] ||
	fail "the setuid program said hello: $(cat tree.json)"
[ "$(json tree.json "len(j['processes'])")" = 2 ] || fail "processes: $(cat tree.json)"
exit 0
