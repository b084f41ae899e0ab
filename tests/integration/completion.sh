# Bash completion (completion/peerlog), called as bash calls it, with
# COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT set: commands, each command's options as its
# --help lists them, files after -j, graph's formats, the journal's pids
# and fds (with sqlite3 and without), and the same with the
# bash-completion package loaded where it is installed.
. "$(dirname "$0")/../lib.sh"

command -v bash >/dev/null || skip "bash is not installed"
COMPLETION=$TOP/completion/peerlog
LOADER=/usr/share/bash-completion/bash_completion

# comp WORD... : the completions of the last word, sorted, one a line
comp() {
	bash -c '
		[ -z "$LOADER" ] || . "$LOADER"
		. "$COMPLETION"
		[ -z "${COMP_PATH-}" ] || PATH=$COMP_PATH
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_peerlog
		printf "%s\n" "${COMPREPLY[@]}"' bash "$B/peerlog" "$@" 2>comp.err |
		grep -v '^$' | sort -u
	[ ! -s comp.err ] || fail "completing '$*': $(cat comp.err)"
}
# want "WORDS" EXPECTED... : the completions of WORDS are exactly EXPECTED
want() {
	words=$1
	shift
	got=$(comp $words "${cur-}" | tr '\n' ' ')
	exp=$(printf '%s\n' "$@" | grep -v '^$' | sort -u | tr '\n' ' ')
	[ "$got" = "$exp" ] || fail "'peerlog $words ${cur-}': got '$got', want '$exp'"
}

peerlog run -- "$EX/parent" >/dev/null || fail "traced example failed"
peerlog tree >/dev/null || fail "ingest failed"
PIDS=$(python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute("SELECT DISTINCT pid FROM process"): print(r[0])' peerlog.db)
ROOT=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT pid FROM process WHERE origin = ?", ("root",)).fetchone()[0])' peerlog.db)
[ -n "$PIDS" ] && [ -n "$ROOT" ] || fail "no pid in the journal"
touch trace.db other.txt
mkdir reports

for LOADER in "" "$LOADER"; do
	if [ -n "$LOADER" ] && [ ! -f "$LOADER" ]; then
		echo "note: $LOADER not installed: completion tested without it"
		break
	fi
	export LOADER COMPLETION
	bash -c '. "$COMPLETION"; complete -p peerlog' >spec ||
		fail "completion/peerlog does not load"
	[ "$(cat spec)" = "complete -F _peerlog peerlog" ] || fail "complete -p: $(cat spec)"

	cur= want "" $(commands) help
	cur=gr want "" graph
	cur=- want "" -j --journal --help --version
	for c in $(commands); do
		cur=- want "$c" $(help_options "$c")
	done
	# graph's formats: those of its usage line, each one accepted
	formats=$(peerlog graph --help | sed -n '1s/.*--format \([a-z|]*\).*/\1/p' | tr '|' ' ')
	[ -n "$formats" ] || fail "graph --help names no format"
	cur= want "graph --format" $formats
	cur=me want "graph --format" mermaid
	for f in $formats; do
		peerlog graph --format "$f" >/dev/null || fail "graph --format $f"
	done
	# files after -j, before the command or after it, and --journal=
	cur=tr want "-j" trace.db
	cur=tr want "who --journal" trace.db
	cur=tr want "--journal =" trace.db
	cur=rep want "graph -o" reports
	# pids and fds from the journal the command line names
	cur= want "who" $PIDS
	cur= want "who --json" $PIDS
	# (and whatever the test's own environment passed down)
	cur= want "who $ROOT" $(sqlite3 "$WORK/peerlog.db" "SELECT DISTINCT h.fd FROM holding h JOIN process p ON p.id = h.process_id WHERE p.pid = $ROOT ORDER BY h.fd")
	cur= want "ls 1" $PIDS
	cur= want "-j trace.db who"
	cur= want "-j $WORK/peerlog.db who" $PIDS
	cur= want "help" $(commands) help
	cur=gr want "help" graph
	cur= want "help graph"
	cur= want "pairs"
	cur= want "tree --json"
	# run: the command to run, then its own arguments
	comp run "" | grep -qx sh || fail "run: 'sh' not among the commands"
	comp run -- "" | grep -qx sh || fail "run --: 'sh' not among the commands"
	comp run -j trace.db -- "" | grep -qx sh || fail "run -j: 'sh' not among the commands"
	comp run -- cat oth | grep -qx other.txt || fail "run -- cat: no file completion"
done

# Without sqlite3 the pids come from peerlog tree --json.
mkdir nosql
for t in sed sort; do
	ln -s "$(command -v $t)" nosql/ || fail "no $t"
done
export COMP_PATH=$WORK/nosql LOADER=
got=$(comp who "" | tr '\n' ' ')
[ "$got" = "$(echo "$PIDS" | sort -u | tr '\n' ' ')" ] || fail "pids without sqlite3: '$got'"
exit 0
