# A language runtime we did not write: Python's multiprocessing with each
# start method (fork; spawn, through posix_spawn-like vfork and exec;
# forkserver, through a UNIX socket server and SCM_RIGHTS). The child that
# got the Pipe end is its holder, with the inode the kernel showed.
. "$(dirname "$0")/../lib.sh"

for method in fork spawn forkserver; do
	peerlog run -- python3 "$TOP/tests/integration/py/mp_pipe.py" "$method" >"$method.out" 2>"$method.err" ||
		fail "$method: $(cat "$method.err")"
	read -r m ppid pfd cpid cfd cino <"$method.out"
	peerlog who "$ppid" "$pfd" --json >"$method.json" || fail "$method: who"
	[ "$(json "$method.json" 'j["peer"]["inode"]')" = "$cino" ] || fail "$method: peer inode"
	got=$(json "$method.json" "[(h['fd'], h['end_reason']) for h in j['peer']['holders'] if h['pid']==$cpid]")
	[ "$got" = "[($cfd, 'exit')]" ] || [ "$got" = "[($cfd, 'close')]" ] ||
		fail "$method: child $cpid fd $cfd not found as holder: $(cat "$method.json")"
	# the parent closed its copy of the child's end
	[ "$(json "$method.json" "[h['end_reason'] for h in j['peer']['holders'] if h['pid']==$ppid]")" = "['close']" ] ||
		fail "$method: parent's copy: $(cat "$method.json")"
done
