# One version: the Makefile's VERSION is what peerlog --version says and
# what debian/changelog's first entry packages.
. "$(dirname "$0")/../lib.sh"

make_v=$(make_version)
deb_v=$(sed -n '1s/^peerlog (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
expect 0 --version
bin_v=$(sed -n '1s/^peerlog \([^ ]*\) .*/\1/p' out)
[ -n "$make_v" ] || fail "no VERSION in the Makefile"
[ -n "$deb_v" ] || fail "debian/changelog does not start with 'peerlog (VERSION)'"
[ "$bin_v" = "$make_v" ] || fail "peerlog --version says '$(cat out)', the Makefile $make_v"
[ "$deb_v" = "$make_v" ] || fail "debian/changelog says $deb_v, the Makefile $make_v"
if command -v dpkg-parsechangelog >/dev/null; then
	v=$(cd "$TOP" && dpkg-parsechangelog -S Version) || fail "dpkg-parsechangelog"
	[ "$v" = "$make_v" ] || fail "dpkg-parsechangelog says $v, the Makefile $make_v"
fi
[ ! -s err ] || fail "--version wrote on stderr: $(cat err)"
