# Children started in other ways than fork: an exec with an empty
# environment (tracing goes on, and the new program's own pairs are
# recorded), posix_spawn with file actions, and system().
. "$(dirname "$0")/../lib.sh"

holder_of() { # json file, pid: the holder entries of that pid, peer side
	json "$1" "[(h['fd'], h['start_reason'], h['exe'].rsplit('/',1)[-1]) for h in j['peer']['holders'] if h['pid']==$2]"
}

peerlog run -- "$PROGS/scenario" clearenv "$PROGS/holder" >ce.out || fail "scenario clearenv: $(cat ce.out)"
H=$(val holder ce.out | head -n 1)
[ -n "$H" ] || fail "holder did not run: $(cat ce.out)"
peerlog who "$H" "$(val own_fd0 ce.out)" --json >own.json ||
	fail "the pair made after an exec with an empty environment is not in the journal"
[ "$(json own.json 'j["end"]["inode"]')" = "$(val own_ino0 ce.out)" ] || fail "own pair: inode"
peerlog who "$(val parent ce.out)" "$(val fd0 ce.out)" --json >ce.json || fail "who (clearenv)"
[ "$(holder_of ce.json "$H")" = "[(4, 'fork', 'holder')]" ] || fail "clearenv lineage: $(cat ce.json)"
# another preload in the environment is kept, after ours (named through
# $LIB where the 32-bit build is there too: m32.sh)
ours=$(readlink -f "$SHIM")
[ -f "$B/lib32/libpeerlog.so" ] && ours="$(dirname "$ours")/\$LIB/libpeerlog.so"
[ "$(val preload ce.out)" = "$ours:libc.so.6" ] ||
	fail "LD_PRELOAD should be ours then the program's: $(val preload ce.out)"

peerlog run -- "$PROGS/scenario" spawn "$PROGS/holder" >sp.out || fail "scenario spawn: $(cat sp.out)"
H=$(val holder sp.out)
[ "$(val fd sp.out)" = "5 ino $(val ino1 sp.out)" ] || fail "spawned holder should hold fd 5: $(cat sp.out)"
peerlog who "$(val parent sp.out)" "$(val fd0 sp.out)" --json >sp.json || fail "who (spawn)"
[ "$(holder_of sp.json "$H")" = "[(5, 'inherit', 'holder')]" ] || fail "spawn: $(cat sp.json)"
[ "$(json sp.json "[h['source']['fd'] for h in j['peer']['holders'] if h['pid']==$H]")" = "[4]" ] ||
	fail "spawn: source fd"

peerlog run -- "$PROGS/scenario" system "$PROGS/holder" >sy.out || fail "scenario system: $(cat sy.out)"
H=$(val holder sy.out)
peerlog who "$(val parent sy.out)" "$(val fd0 sy.out)" --json >sy.json || fail "who (system)"
[ "$(json sy.json "[(h['fd'], h['start_reason']) for h in j['end']['holders'] if h['pid']==$H]")" = "[($(val fd0 sy.out), 'inherit')]" ] ||
	fail "system: holder not found with what it inherited: $(cat sy.json)"
