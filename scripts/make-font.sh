#!/usr/bin/env bash
# Cuts the statement font from Debian's fonts-noto-cjk (SIL OFL 1.1):
# Noto Sans CJK SC Regular and Bold (face 2 of the .ttc collections), keeping
# all of GB2312 plus Latin-1, Latin Extended-A, general punctuation, currency
# symbols, CJK punctuation and full-width forms. The output is committed under
# templates/fonts/; re-run this script only to change the cut.
#
# Needs: fonts-noto-cjk (Debian) and fonttools (PyPI). Installs them if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
src=/usr/share/fonts/opentype/noto
if [ ! -f "$src/NotoSansCJK-Regular.ttc" ]; then
  apt-get install -y --no-install-recommends fonts-noto-cjk
fi
python3 -c 'import fontTools' 2>/dev/null || pip install --quiet 'fonttools==4.*'

out=templates/fonts
mkdir -p "$out"
unicodes=$(mktemp)
trap 'rm -f "$unicodes"' EXIT
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
for weight in Regular Bold; do
  pyftsubset "$src/NotoSansCJK-$weight.ttc" --font-number=2 \
    --unicodes-file="$unicodes" \
    --layout-features='' --no-hinting --name-IDs='*' --name-languages='*' \
    --output-file="$out/NotoSansCJKsc-$weight-kpiseal.otf"
done
sha256sum "$out"/NotoSansCJKsc-*-kpiseal.otf
