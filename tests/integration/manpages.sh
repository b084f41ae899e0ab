# The man pages render without a warning, stay within 80 columns, and
# cannot fall behind the code: peerlog.1 documents every command of
# dispatch.c with every option its --help lists, and every PEERLOG_
# variable the shim and the collector read; peerlog-journal.5 every
# table, view and column of schema/journal.sql, and its example queries
# run on a journal.
. "$(dirname "$0")/../lib.sh"

command -v groff >/dev/null || skip "groff is not installed (apt-get install groff-base)"
MAN1=$TOP/doc/peerlog.1
MAN5=$TOP/doc/peerlog-journal.5

for page in "$MAN1" "$MAN5"; do
	groff -man -ww -z "$page" 2>warn || fail "groff failed on $page"
	[ ! -s warn ] || fail "groff warns on $page: $(cat warn)"
	if command -v man >/dev/null; then
		MANWIDTH=80 MANPAGER=cat man --warnings -l "$page" >page.txt 2>warn ||
			fail "man -l failed on $page"
		[ ! -s warn ] || fail "man warns on $page: $(cat warn)"
		long=$(awk 'length > 80' page.txt)
		[ -z "$long" ] || fail "lines over 80 columns in $page: $long"
	fi
done

# Plain text, long lines and no hyphenation, to find words in.
render() { groff -man -Tascii -rLL=300n -rHY=0 -P-cbou "$1" 2>/dev/null; }
render "$MAN1" >man1.txt
render "$MAN5" >man5.txt
# The text of section $2 (a heading at column 0) of rendered page $1.
section() { awk -v h="$2" '/^[A-Z]/ { on = ($0 == h); next } on' "$1"; }
# The text of subsection $2 (first word of a heading at column 3).
subsection() {
	awk -v h="$2" '/^[A-Z]/ { on = 0 } /^   [^ ]/ { split($0, w, " "); on = (w[1] == h); next } on' "$1"
}

# Every command, with its options. An option documented under OPTIONS
# counts for every command.
section man1.txt OPTIONS >options.txt
all=
for c in $(commands); do
	help_options "$c" >"opts.$c" || fail "peerlog help $c"
	all=${all:+$all }$c
done
for c in $all help; do
	grep -q "^\.SS \"\{0,1\}$c\( \|\"\|$\)" "$MAN1" || fail "peerlog.1 has no subsection for '$c'"
	subsection man1.txt "$c" >sub.txt
	[ -s sub.txt ] || fail "peerlog.1: subsection '$c' is empty"
	[ "$c" = help ] && continue
	for o in $(cat "opts.$c"); do
		grep -q -- "\(^\|[ ,]\)$o\([ ,]\|$\)" sub.txt && continue
		# an option many commands take may be documented once, under
		# OPTIONS (-j: every command but merge)
		grep -q -- "\(^\|[ ,]\)$o\([ ,]\|$\)" options.txt && continue
		fail "peerlog.1 does not document '$o' of '$c'"
	done
done
for o in --version --help -h; do
	grep -q -- "\(^\|[ ,]\)$o\([ ,]\|$\)" options.txt || fail "peerlog.1 does not document '$o'"
done

# Every PEERLOG_ variable the code reads (or hands on), under ENVIRONMENT.
section man1.txt ENVIRONMENT >env.txt
vars=$(cat "$TOP"/preload/*.[ch] "$TOP"/collector/*.[ch] |
	grep -o '"PEERLOG_[A-Z_]*=\{0,1\}"' | tr -d '"=' | sort -u)
[ -n "$vars" ] || fail "no PEERLOG_ variable found in the sources"
for v in $vars; do
	grep -q "^       $v\b" env.txt || fail "peerlog.1 does not document $v under ENVIRONMENT"
done
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS ENVIRONMENT FILES "EXIT STATUS" \
	EXAMPLES BUGS "SEE ALSO"; do
	grep -q "^$s\$" man1.txt || fail "peerlog.1 has no section $s"
done
for ref in 'ss(8)' 'lsof(8)' 'strace(1)' 'peerlog-journal(5)'; do
	section man1.txt "SEE ALSO" | grep -qF "$ref" || fail "peerlog.1: SEE ALSO lacks $ref"
done

# The journal page: every table and view a subsection, every column in it.
python3 - "$TOP/schema/journal.sql" >schema.txt <<'PY' || fail "cannot read the schema"
import sqlite3, sys
db = sqlite3.connect(":memory:")
db.executescript(open(sys.argv[1]).read())
for name, kind in db.execute("SELECT name, type FROM sqlite_master "
                             "WHERE type IN ('table', 'view') ORDER BY name"):
    for col in db.execute("SELECT name FROM pragma_table_info(?)", (name,)):
        print(kind, name, col[0])
PY
[ "$(wc -l <schema.txt)" -ge 40 ] || fail "too few columns in the schema: $(cat schema.txt)"
while read -r kind name col; do
	subsection man5.txt "$name" >sub.txt
	[ -s sub.txt ] || fail "peerlog-journal.5 has no subsection for $kind '$name'"
	grep -q "\b$col\b" sub.txt || fail "peerlog-journal.5 does not document $name.$col"
	if [ "$kind" = table ]; then
		section man5.txt TABLES | grep -q "^   $name\$" || fail "'$name' is not under TABLES"
	else
		section man5.txt VIEWS | grep -q "^   $name\$" || fail "'$name' is not under VIEWS"
	fi
done <schema.txt

# Its example queries, on a journal of the traced example.
peerlog run -- "$EX/parent" >/dev/null || fail "traced example failed"
peerlog tree >/dev/null || fail "ingest failed"
awk '/^\.SH/ { on = ($0 ~ /EXAMPLES/) } on && /^\.EE/ { print ";;" } on && inex { print } on && /^\.EX/ { inex = 1 } /^\.EE/ { inex = 0 }' "$MAN5" |
	grep -v '^\.EE' | sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\e/\\/g' >queries.sql
[ "$(grep -c '^;;$' queries.sql)" -ge 3 ] || fail "too few example queries: $(cat queries.sql)"
python3 - "$PEERLOG_JOURNAL" queries.sql <<'PY' || fail "an example query of peerlog-journal.5 fails"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for i, q in enumerate(open(sys.argv[2]).read().split(";;\n")):
    if not q.strip():
        continue
    rows = db.execute(q).fetchall()
    if i == 0 and not rows:
        sys.exit("the first example query finds nothing:\n" + q)
PY
exit 0
