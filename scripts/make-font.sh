#!/usr/bin/env bash
# Cuts the statement font from Debian's fonts-noto-cjk (SIL OFL 1.1):
# Noto Sans CJK SC Regular and Bold (face 2 of the .ttc collections), keeping
# all of GB2312 plus Latin-1, Latin Extended-A, general punctuation, currency
# symbols, CJK punctuation and full-width forms; then renumbers the CID-keyed
# CFF so CID == glyph id and names it NotoSansCJKsc-<weight> (see below). The
# output is committed under templates/fonts/; re-run this script only to change
# the cut.
#
# Needs: fonts-noto-cjk (Debian) and fonttools (PyPI). Installs them if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
src=/usr/share/fonts/opentype/noto
if [ ! -f "$src/NotoSansCJK-Regular.ttc" ]; then
  apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk
fi
python3 -c 'import fontTools' 2>/dev/null || pip install --quiet 'fonttools==4.*'

out=templates/fonts
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unicodes="$tmp/unicodes.txt"
# Every character GB2312 encodes (rows 0xA1-0xF7, cells 0xA1-0xFE), then the
# Latin and punctuation blocks a pt-BR/en statement needs.
python3 - "$unicodes" <<'PY'
import sys
cps = set()
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            ch = bytes([hi, lo]).decode("gb2312")
        except UnicodeDecodeError:
            continue
        cps.add(ord(ch))
ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x100, 0x17F), (0x2000, 0x206F), (0x20A0, 0x20BF),
          (0x2100, 0x214F), (0x2190, 0x2193), (0x2212, 0x2212), (0x2264, 0x2265),
          (0x3000, 0x303F), (0xFF00, 0xFFEF)]
for a, b in ranges:
    cps.update(range(a, b + 1))
with open(sys.argv[1], "w") as f:
    f.write("\n".join(f"U+{cp:04X}" for cp in sorted(cps)))
PY
# pyftsubset keeps the source's CIDs, so the cut's CID-keyed CFF charset maps
# its 7,846 glyphs onto scattered CIDs up to 65342 in ~5,000 ranges. printpdf
# 0.12.8 resolves every glyph's CID through allsorts' linear walk of those
# ranges (O(glyphs x ranges), ~35 ms per document), and its codes would be
# those scattered CIDs. So, after subsetting, renumber the CIDs to the glyph
# ids (glyph i <-> CID i: a one-range charset). Only the CFF table refers to
# glyphs by CID; every other table (cmap, hmtx, vmtx, VORG, GSUB, GPOS, BASE)
# refers to them by glyph id, which does not change, and is copied byte for
# byte (the step checks that). The same step names the CFF after the SC face
# it is cut from (the collection's faces share one CFF named
# NotoSansCJKjp-*), matching the name table, which already says SC.
for weight in Regular Bold; do
  cut="$tmp/NotoSansCJKsc-$weight-cut.otf"
  pyftsubset "$src/NotoSansCJK-$weight.ttc" --font-number=2 \
    --unicodes-file="$unicodes" \
    --layout-features='' --no-hinting --name-IDs='*' --name-languages='*' \
    --output-file="$cut"
  python3 - "$cut" "$out/NotoSansCJKsc-$weight-kpiseal.otf" "$weight" <<'PY'
import sys
from fontTools.ttLib import TTFont

src, dst, weight = sys.argv[1:]
ps_name = f"NotoSansCJKsc-{weight}"
font = TTFont(src, recalcBBoxes=False, recalcTimestamp=False)
cff = font["CFF "].cff
top = cff[cff.fontNames[0]]
assert hasattr(top, "ROS"), "expected a CID-keyed CFF"
old = list(top.charset)
assert old[0] == ".notdef" and len(set(old)) == len(old)
new = [".notdef"] + [f"cid{i:05d}" for i in range(1, len(old))]

# Glyph i keeps its outline, FD and metrics; only its CID (= name) changes.
charstrings = top.CharStrings
charstrings.charStrings = {n: charstrings.charStrings[o] for o, n in zip(old, new)}
top.charset = new
top.CIDCount = len(new)
font.setGlyphOrder(new)

# Names: CFF FontName / FullName / FamilyName and the FDArray font names.
jp = cff.fontNames[0]  # NotoSansCJKjp-<weight>
cff.fontNames[0] = ps_name
top.FullName = f"Noto Sans CJK SC {weight}"
top.FamilyName = "Noto Sans CJK SC"
for fd in top.FDArray:
    if getattr(fd, "FontName", "").startswith(jp):
        fd.FontName = ps_name + fd.FontName[len(jp):]
# The name table already names the SC face; make sure of it.
name = font["name"]
assert name.getDebugName(6) == ps_name, name.getDebugName(6)
assert name.getDebugName(1) == "Noto Sans CJK SC", name.getDebugName(1)
font.save(dst, reorderTables=True)

# Check: one charset range (CID == GID), outlines and every other table
# unchanged, same cmap.
a = TTFont(src, lazy=True)
b = TTFont(dst, lazy=True)
assert sorted(a.keys()) == sorted(b.keys())
for tag in a.keys():
    if tag in ("GlyphOrder", "CFF ", "head"):
        continue
    assert a.reader[tag] == b.reader[tag], f"{tag} changed"
ta = a["CFF "].cff.topDictIndex[0]
tb = b["CFF "].cff.topDictIndex[0]
assert tb.charset == new and b["CFF "].cff.fontNames == [ps_name]
ia, ib = ta.CharStrings.charStringsIndex, tb.CharStrings.charStringsIndex
assert len(ia) == len(ib) == len(new)
assert all(ia[i].bytecode == ib[i].bytecode for i in range(len(new)))
assert list(ta.FDSelect) == list(tb.FDSelect)
assert a.getBestCmap().keys() == b.getBestCmap().keys()
ga, gb = a.getReverseGlyphMap(), b.getReverseGlyphMap()
assert all(ga[g] == gb[b.getBestCmap()[cp]] for cp, g in a.getBestCmap().items())
print(f"{dst}: {len(new)} glyphs, CID == GID, CFF FontName {ps_name}")
PY
done
sha256sum "$out"/NotoSansCJKsc-*-kpiseal.otf
