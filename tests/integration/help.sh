# peerlog help COMMAND prints what peerlog COMMAND --help prints, on
# stdout, exit 0; an unknown command is one line and exit 2.
. "$(dirname "$0")/../lib.sh"

n=0
for c in $(commands); do
	n=$((n + 1))
	expect 0 help "$c"
	mv out help.out
	[ ! -s err ] || fail "help $c wrote on stderr: $(cat err)"
	head -n 1 help.out | grep -q "^usage: peerlog $c\( \|$\)" ||
		fail "help $c: $(head -n 1 help.out)"
	expect 0 "$c" --help
	cmp -s out help.out || fail "help $c differs from $c --help"
done
[ $n -ge 8 ] || fail "only $n commands found in dispatch.c"

expect 0 help
mv out help.out
expect 0 --help
cmp -s out help.out || fail "help differs from --help"
grep -q '^  help \[COMMAND\]' out || fail "--help does not list help"
expect 0 help help
cmp -s out help.out || fail "help help differs from --help"
expect 2 help frobnicate
grep -q "'frobnicate' is not a peerlog command" err || fail "help frobnicate: $(cat err)"
expect 2 help who extra
expect 2 help --frob
[ ! -e peerlog.db ] || fail "help made a journal"
