# The Debian package: built with dpkg-buildpackage from a copy of the tree
# (its outputs land next to the copy, never next to the tree), unpacked
# with dpkg-deb -x into a temporary root, and its peerlog run there on a
# traced example. Lintian's errors fail it where lintian is installed.
. "$(dirname "$0")/../lib.sh"

# The package is built from the sources, whatever $B holds: once is enough.
case $B in *-san) skip "the package build is tested by the plain make check, not with SANITIZE=1" ;; esac
command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage is not installed (apt-get install dpkg-dev)"
command -v dh >/dev/null || skip "debhelper is not installed (apt-get install debhelper)"
copy_tree src/peerlog
cd src/peerlog || fail "no copy"
missing=$(dpkg-checkbuilddeps 2>&1) || skip "build dependencies missing: ${missing#*: }"
# a package build as a user would start it, not inside make check's make
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEB_BUILD_OPTIONS="parallel=2" \
	timeout 300 dpkg-buildpackage -us -uc -b >../build.log 2>&1 ||
	fail "dpkg-buildpackage failed: $(tail -n 30 ../build.log)"
grep -q '^PASS  unit/' ../build.log || fail "the package build ran no unit test"
cd "$WORK" || fail "cd"
version=$(make_version)
deb=$(ls src/peerlog_"$version"_*.deb 2>/dev/null)
[ -f "$deb" ] || fail "no package peerlog_${version}_*.deb: $(ls src)"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version $(dpkg-deb -f "$deb" Version)"
dpkg-deb -f "$deb" Depends | grep -q libsqlite3 || fail "Depends lacks SQLite: $(dpkg-deb -f "$deb" Depends)"

dpkg-deb -c "$deb" | awk '{ print $6 }' | sort >contents
for f in ./usr/bin/peerlog ./usr/lib/peerlog/libpeerlog.so \
	./usr/share/man/man1/peerlog.1.gz ./usr/share/man/man5/peerlog-journal.5.gz \
	./usr/share/bash-completion/completions/peerlog ./usr/share/doc/peerlog/copyright \
	./usr/share/doc/peerlog/changelog.gz ./usr/share/doc/peerlog/schema/journal.sql; do
	grep -qx "$f" contents || fail "the package lacks $f: $(cat contents)"
done
grep -q '^\./usr/local' contents && fail "the package installs into /usr/local"

if command -v lintian >/dev/null; then
	lintian "$deb" >lintian.out 2>&1
	grep '^E:' lintian.out && fail "lintian errors: $(grep '^E:' lintian.out)"
fi

# The packaged peerlog, unpacked into a root of its own, with the copy
# it was built from gone.
rm -rf src/peerlog
dpkg-deb -x "$deb" root || fail "dpkg-deb -x failed"
PL=$WORK/root/usr/bin/peerlog
installed_answers "$PL" "$WORK/root/usr/lib/peerlog/libpeerlog.so"
"$PL" --version | grep -q "^peerlog $version " || fail "packaged --version: $("$PL" --version)"
if command -v man >/dev/null; then
	MANPAGER=cat man -l root/usr/share/man/man1/peerlog.1.gz >/dev/null 2>&1 ||
		fail "packaged peerlog.1 does not render"
fi
exit 0
