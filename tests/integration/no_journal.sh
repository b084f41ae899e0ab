# Where the journal cannot be written (its directory missing, or not
# writable) the traced tree runs as it would bare: same output, same
# status; the shim says why once for the whole tree, on stderr, and
# PEERLOG_QUIET=1 silences it.
. "$(dirname "$0")/../lib.sh"

# a tree: a shell that forks, execs, and exits with a status of its own
tree='echo start; sh -c "echo child; exit 4"; st=$?; (echo sub); echo "got $st"; exit 7'
sh -c "$tree" >bare.out 2>bare.err
bare=$?
[ $bare = 7 ] || fail "bare tree exited $bare"

# traced with journal JOURNAL, as USER-running COMMAND prefix ($@)
try() { # name journal [runner...]
	name=$1 journal=$2
	shift 2
	"$@" env PEERLOG_JOURNAL="$journal" LD_PRELOAD="$SHIM" sh -c "$tree" \
		>"$name.out" 2>"$name.err"
	st=$?
	[ $st = $bare ] || fail "$name: exit $st, bare $bare"
	diff bare.out "$name.out" >/dev/null || fail "$name: output differs: $(cat "$name.out")"
	"$@" env PEERLOG_QUIET=1 PEERLOG_JOURNAL="$journal" LD_PRELOAD="$SHIM" \
		sh -c "$tree" >"$name.q.out" 2>"$name.q.err"
	[ $? = $bare ] || fail "$name, quiet: exit status"
	diff bare.out "$name.q.out" >/dev/null || fail "$name, quiet: output differs"
	[ -s "$name.q.err" ] && fail "$name: PEERLOG_QUIET=1 still says: $(cat "$name.q.err")"
	[ "$(wc -l <"$name.err")" = 1 ] || fail "$name: not said once: $(cat "$name.err")"
	grep -q "^peerlog: cannot .*; not recording$" "$name.err" ||
		fail "$name: message: $(cat "$name.err")"
}

try missing "$WORK/no/such/dir/j.db"
grep -q "No such file or directory" missing.err || fail "missing: why: $(cat missing.err)"

mkdir ro
if [ "$(id -u)" = 0 ]; then
	# root writes anywhere: be somebody else
	command -v setpriv >/dev/null || { echo "read-only case skipped: no setpriv" >&2; exit 0; }
	chmod 0555 ro
	chmod 0755 "$WORK"
	try readonly "$WORK/ro/j.db" setpriv --reuid=65534 --regid=65534 --clear-groups
else
	chmod 0555 ro
	try readonly "$WORK/ro/j.db"
fi
grep -q "Permission denied" readonly.err || fail "readonly: why: $(cat readonly.err)"
[ -e ro/j.db.spool ] && fail "readonly: a spool appeared"
exit 0
