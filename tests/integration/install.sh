# make install and make uninstall, from a copy of the tree, into DESTDIR:
# the files where the GNU directory variables say, an installed peerlog
# that finds its installed shim (also with the source tree moved away)
# and answers, and an uninstall that removes exactly what was installed.
. "$(dirname "$0")/../lib.sh"

command -v make >/dev/null || skip "make is not installed"
copy_tree src
make_in src -j2 -s >build.log 2>&1 || fail "make in a copy failed: $(tail -n 20 build.log)"

ROOT=$WORK/root
mkdir -p "$ROOT/usr/local/bin"
echo keep >"$ROOT/usr/local/bin/other"          # not ours: stays
make_in src -s install DESTDIR="$ROOT" >install.log 2>&1 ||
	fail "make install failed: $(tail -n 20 install.log)"
(cd "$ROOT" && find . -type f | sort) >files
cat >want <<'LIST'
./usr/local/bin/other
./usr/local/bin/peerlog
./usr/local/lib/peerlog/libpeerlog.so
./usr/local/share/bash-completion/completions/peerlog
./usr/local/share/doc/peerlog/ARCHITECTURE.md
./usr/local/share/doc/peerlog/README.md
./usr/local/share/doc/peerlog/examples/topology.svg
./usr/local/share/doc/peerlog/schema/journal.sql
./usr/local/share/man/man1/peerlog.1
./usr/local/share/man/man5/peerlog-journal.5
LIST
# (build/, or build-san/ under make check SANITIZE=1, which the copy's
# make takes from the environment)
m32mk=$(ls src/build*/m32.mk 2>/dev/null | head -n 1)
if [ -n "$m32mk" ] && grep -qs '^M32 := yes' "$m32mk"; then
	for l in $(sed -n 's/^LIB\(64\|32\) := //p' "$m32mk"); do
		echo "./usr/local/lib/peerlog/$l/libpeerlog.so"
	done >>want
	sort -o want want
fi
diff want files >diff.out || fail "installed files differ: $(cat diff.out)"
[ "$(stat -c %a "$ROOT/usr/local/bin/peerlog")" = 755 ] || fail "peerlog not 0755"
for f in lib/peerlog/libpeerlog.so share/man/man1/peerlog.1; do
	[ "$(stat -c %a "$ROOT/usr/local/$f")" = 644 ] || fail "$f not 0644"
done

# The installed peerlog depends on nothing in the tree it was built in.
mv src src.away
PL=$ROOT/usr/local/bin/peerlog
if command -v readelf >/dev/null; then
	readelf -d "$PL" "$ROOT/usr/local/lib/peerlog/libpeerlog.so" | grep -E 'RPATH|RUNPATH' &&
		fail "installed binaries carry a run path"
fi
ldd "$PL" | grep -q 'not found' && fail "installed peerlog lacks a library: $(ldd "$PL")"
installed_answers "$PL" "$ROOT/usr/local/lib/peerlog/libpeerlog.so"
"$PL" --version | grep -q '^peerlog ' || fail "installed --version"
if command -v man >/dev/null; then
	MANPAGER=cat man -l "$ROOT/usr/local/share/man/man1/peerlog.1" >/dev/null 2>&1 ||
		fail "installed peerlog.1 does not render"
fi
# and from the build tree, the shim next to the binary
installed_answers "$B/peerlog" "$B/libpeerlog.so"
mv src.away src

# Uninstall: exactly what install put, and peerlog's own directories.
make_in src -s uninstall DESTDIR="$ROOT" >uninstall.log 2>&1 ||
	fail "make uninstall failed: $(cat uninstall.log)"
left=$(cd "$ROOT" && find . -type f | sort)
[ "$left" = ./usr/local/bin/other ] || fail "uninstall left: $left"
for d in lib/peerlog share/doc/peerlog; do
	[ ! -e "$ROOT/usr/local/$d" ] || fail "uninstall left $d"
done

# The directory variables, each on its own.
R2=$WORK/root2
make_in src -s install DESTDIR="$R2" PREFIX=/opt/pl BINDIR=/opt/pl/sbin \
	MANDIR=/opt/pl/man DOCDIR=/opt/pl/doc BASHCOMPDIR=/opt/pl/bash >install2.log 2>&1 ||
	fail "make install with directories failed: $(tail -n 20 install2.log)"
for f in sbin/peerlog lib/peerlog/libpeerlog.so man/man1/peerlog.1 \
	man/man5/peerlog-journal.5 doc/README.md bash/peerlog; do
	[ -f "$R2/opt/pl/$f" ] || fail "no /opt/pl/$f: $(cd "$R2" && find . -type f)"
done
grep -q '^note:' install2.log && fail "a note where the shim is found: $(cat install2.log)"
"$R2/opt/pl/sbin/peerlog" run -- true || fail "peerlog run in sbin/ failed"
make_in src -s uninstall DESTDIR="$R2" PREFIX=/opt/pl BINDIR=/opt/pl/sbin \
	MANDIR=/opt/pl/man DOCDIR=/opt/pl/doc BASHCOMPDIR=/opt/pl/bash >/dev/null 2>&1 ||
	fail "make uninstall with directories failed"
[ -z "$(find "$R2" -type f)" ] || fail "uninstall left: $(find "$R2" -type f)"

# A LIBDIR where peerlog run does not look: said at install, and
# PEERLOG_LIB then finds it.
R3=$WORK/root3
make_in src -s install DESTDIR="$R3" LIBDIR=/usr/local/lib64 >install3.log 2>&1 ||
	fail "make install LIBDIR= failed"
grep -q '^note: peerlog run looks for the shim in /usr/local/lib/peerlog' install3.log ||
	fail "no note about LIBDIR: $(cat install3.log)"
"$R3/usr/local/bin/peerlog" run -- true 2>err && fail "peerlog run found a shim it should not"
PEERLOG_LIB=$R3/usr/local/lib64/peerlog/libpeerlog.so "$R3/usr/local/bin/peerlog" run -- true ||
	fail "PEERLOG_LIB did not find the shim"
exit 0
