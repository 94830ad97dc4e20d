#!/usr/bin/env bash
# Six months of the demo sellers (May to October 2026) in one workspace:
# generated with seasonality and growth, issued month by month (so each
# statement's trend reads the ones before it), then an as-of check of
# mid-October that raises an alert, and acme-home's review of the six months.
#
#   scripts/demo-six-months.sh [DIR]      (default: target/demo-six-months)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/demo-six-months}
rm -rf "$dir"
cargo run --release -q -p kpiseal-generate -- --out "$dir" --months 6 --period 2026-10
for period in 2026-05 2026-06 2026-07 2026-08 2026-09 2026-10; do
    cargo run --release -q -- run --workspace "$dir" --period "$period" --quiet
done
echo
echo "Mid-October, as of the 15th (exit 1: an alert was raised):"
status=0
cargo run --release -q -- check --workspace "$dir" --period 2026-10 --seller sunny-gadgets --as-of 2026-10-15 || status=$?
[ "$status" -eq 1 ] || { echo "expected an alert (exit 1), got exit $status" >&2; exit 1; }
echo
cargo run --release -q -- review --workspace "$dir" --seller acme-home --from 2026-05 --to 2026-10
echo
echo "October's statements, each with its six-month trend: $dir/out/2026-10/<seller>/statement.pdf"
echo "The alerts raised so far: $dir/out/2026-10/alerts.json"
