# The spool format is one for a 32-bit and a 64-bit writer: schema/record.h
# compiled with -m32 and -m64 gives every struct the same size and every
# field the same offset, as the debug information of each build says. All
# the structs there are compared, found by name (pl_*), none listed here.
. "$(dirname "$0")/../lib.sh"

CC=${CC:-cc}
command -v readelf >/dev/null || skip "readelf (binutils) is needed to read the layouts"
printf '#include "schema/record.h"\n' >layout.c
for bits in 64 32; do
	$CC -m$bits -g -fno-eliminate-unused-debug-types -I"$TOP" -c layout.c \
		-o layout$bits.o 2>cc$bits.err ||
		{ [ $bits = 32 ] && skip "no 32-bit compiler ($CC -m32: $(head -n 1 cc32.err)): apt-get install gcc-multilib"
		  fail "$CC -m64: $(cat cc64.err)"; }
done

# "struct NAME SIZE" then "  FIELD OFFSET" for each struct or union named
# pl_*, from the DWARF of OBJ.
layout() {
	readelf --debug-dump=info "$1" | awk '
	/^ <[0-9]+><[0-9a-f]+>: Abbrev Number/ {
		depth = substr($1, 2, index($1, ">") - 2) + 0
		tag = $NF; gsub(/[()]/, "", tag)
		if (depth == 1) {
			flush()
			in_s = (tag == "DW_TAG_structure_type" || tag == "DW_TAG_union_type")
			want = "struct"; name = ""; size = ""; n = 0
		} else if (depth == 2 && in_s && tag == "DW_TAG_member") {
			want = "member"; n++; fname[n] = "?"; off[n] = 0
		} else {
			want = ""
		}
		next
	}
	want == "struct" && /DW_AT_name/ { v = $0; sub(/.*: /, "", v); name = v }
	want == "struct" && /DW_AT_byte_size/ { v = $0; sub(/.*: /, "", v); size = v }
	want == "member" && /DW_AT_name/ { v = $0; sub(/.*: /, "", v); fname[n] = v }
	want == "member" && /DW_AT_data_member_location/ { v = $0; sub(/.*: /, "", v); off[n] = v }
	function flush() {
		if (in_s && name ~ /^pl_/) {
			print "struct " name " " size
			for (i = 1; i <= n; i++)
				print "  " fname[i] " " off[i]
		}
		in_s = 0
	}
	END { flush() }'
}
layout layout64.o >layout64.txt
layout layout32.o >layout32.txt

# Every struct of the header is there (none left out of the debug
# information), each with its fields.
structs=$(sed -n 's/^struct \(pl_[a-z0-9_]*\) {.*/\1/p' "$TOP/schema/record.h" | sort)
[ -n "$structs" ] || fail "no struct found in schema/record.h"
for bits in 64 32; do
	got=$(sed -n 's/^struct \([^ ]*\) .*/\1/p' layout$bits.txt | sort)
	[ "$got" = "$structs" ] ||
		fail "-m$bits: the debug information has structs '$got', the header '$structs'"
done
grep -q '^  time_ns 16$' layout64.txt || fail "pl_rec_head.time_ns not found at 16: $(cat layout64.txt)"
diff layout64.txt layout32.txt >layout.diff ||
	fail "the layouts differ between -m64 (<) and -m32 (>): $(cat layout.diff)"
