#!/usr/bin/env bash
# Times the release build of kpiseal end to end on generated workspaces and
# prints the tables of README.md's Performance section.
#
#   scripts/bench-batch.sh [floor|split|rss|linear|all]     (default: floor)
#
#   floor   a ~1 GB workspace (160 sellers x 5,000 orders per market): the
#           whole `kpiseal run` (wall, peak RSS) against the read floor, a
#           plain Python polars read of the same export files
#           (scripts/polars_floor.py: read_csv / read_excel, nothing else)
#   split   the same, apart for text and for XLSX: from 400 generated sellers
#           (5,000 orders per market), each run as a workspace of its own:
#           text = the 100 with Amazon settlements, ads CSV and a Vendas CSV,
#           less their one small XLSX (Mercado Livre's Product Ads, which
#           exists only as XLSX; run with --allow-missing mercadolivre_br, so
#           their statements say so), and XLSX = the 100 whose exports are all
#           Vendas and Product Ads workbooks. Each kpiseal run is paired with
#           a floor read right after it and the ratio taken pair by pair
#           (this machine's speed drifts)
#   rss     peak RSS for 50, 200 and 800 sellers of equal size (1,000 orders)
#   linear  wall time for 20 sellers at 2,500, 5,000 and 10,000 orders
#
# Environment: BENCH_DIR (workspaces and outputs; default /tmp/kpiseal-bench,
# ~3 GB for `all`), RUNS (runs per measurement, median printed; default 3),
# SEED (default 7), CARGO_TARGET_DIR (default ~/.cache/kpiseal-target, as
# .ci/run). The release binaries are built as a user builds them
# (`cargo build --release --workspace --bins`: the test build makes no
# `kpiseal-generate` binary, and unifies the dev-dependencies' features). Python polars and fastexcel are installed with pip
# when missing. Workspaces are generated once and kept (re-used when their
# parameters match); each run writes into an emptied output folder.
set -euo pipefail

mode="${1:-floor}"
case "$mode" in floor | split | rss | linear | all) ;; *)
    sed -n '2,27p' "$0" >&2
    exit 2
    ;;
esac

repo="$(cd "$(dirname "$0")/.." && pwd)"
bench_dir="${BENCH_DIR:-/tmp/kpiseal-bench}"
runs="${RUNS:-3}"
seed="${SEED:-7}"
period=2026-10
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kpiseal-target}"
kpiseal="$CARGO_TARGET_DIR/release/kpiseal"
generate="$CARGO_TARGET_DIR/release/kpiseal-generate"
mkdir -p "$bench_dir"

echo "# building (cargo build --release --workspace --bins) into $CARGO_TARGET_DIR" >&2
(cd "$repo" && cargo build --release --workspace --bins --quiet >&2)
for exe in "$kpiseal" "$generate"; do
    [[ -x "$exe" ]] || { echo "bench-batch: $exe was not built" >&2; exit 1; }
done

# median of the numbers on stdin, one per line
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# workspace SELLERS ORDERS: generates (once) and prints its folder
workspace() {
    local dir="$bench_dir/ws-s$1-o$2-seed$seed"
    if [[ ! -f "$dir/.generated" ]]; then
        rm -rf "$dir"
        "$generate" --out "$dir" --seed "$seed" --sellers "$1" --orders "$2" --period "$period" >"$dir.log"
        cp "$dir.log" "$dir/.generated"
    fi
    echo "$dir"
}

# export bytes and data rows of a generated workspace
export_bytes() { du -sb "$1/exports/$period" | cut -f1; }
generated_rows() { sed -n 's/.* bytes, \([0-9]*\) rows .*/\1/p' "$1/.generated"; }

# e2e WORKSPACE [RUN OPTIONS...]: runs `kpiseal run` $runs times; prints
# "median_wall median_rss_mib"
e2e() {
    local ws="$1" walls=() rsss=()
    shift
    for _ in $(seq "$runs"); do
        read -r wall rss < <(run_once "$ws" "$@") && [[ -n "$wall" ]] || exit 1
        walls+=("$wall")
        rsss+=("$rss")
    done
    rm -rf "$bench_dir/out"
    printf '%s %s\n' "$(printf '%s\n' "${walls[@]}" | median)" \
        "$(printf '%s\n' "${rsss[@]}" | median | awk '{ printf "%.0f", $1 / 1024 }')"
}

# run_once WORKSPACE [RUN OPTIONS...]: one `kpiseal run` into an emptied
# output folder under /usr/bin/time; prints "wall_seconds peak_rss_kib", or,
# when the run fails, its log on stderr and nothing on stdout (every caller
# stops on an empty result, so a failed run never becomes a figure)
run_once() {
    local ws="$1" out="$bench_dir/out" log="$bench_dir/time.log"
    shift
    rm -rf "$out"
    /usr/bin/time -f "%e %M" -o "$log" "$kpiseal" run --workspace "$ws" --period "$period" --out "$out" --quiet "$@" \
        >"$bench_dir/run.log" 2>&1 || { cat "$bench_dir/run.log" >&2; exit 1; }
    cat "$log"
}

# floor WORKSPACE: the polars read floor, median of $runs; prints
# "total_seconds text_seconds xlsx_seconds" (each the median of its own)
floor() {
    python3 -c 'import polars, fastexcel' 2>/dev/null || python3 -m pip install --quiet polars fastexcel >&2
    local log="$bench_dir/floor.log"
    for _ in $(seq "$runs"); do
        python3 "$repo/scripts/polars_floor.py" "$1" "$period" 2>/dev/null
    done >"$log"
    local field
    for field in seconds text_seconds xlsx_seconds; do
        sed -n "s/.* $field=\([0-9.]*\).*/\1/p" "$log" | median
    done | paste -sd' '
}

if [[ "$mode" == floor || "$mode" == all ]]; then
    ws="$(workspace 160 5000)"
    read -r wall rss < <(e2e "$ws") && [[ -n "$wall" ]] || exit 1
    read -r floor_s floor_text floor_xlsx < <(floor "$ws")
    echo
    echo "| workspace | exports | rows | e2e wall | polars read floor | ratio | peak RSS |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    awk -v b="$(export_bytes "$ws")" -v r="$(generated_rows "$ws")" -v w="$wall" -v f="$floor_s" -v m="$rss" \
        'BEGIN { printf "| 160 sellers x 5,000 orders | %.0f MB | %d | %.1f s | %.1f s | %.2f | %d MiB |\n", b / 1e6, r, w, f, w / f, m }'
    echo
    echo "floor: ${floor_text} s reading CSV/TSV, ${floor_xlsx} s reading XLSX (medians)"
fi

# subset WORKSPACE NAME KEEP: a copy of WORKSPACE (hard links) holding only
# the sellers for which `KEEP <export folder>` succeeds (KEEP may unlink
# files of the copy); prints its folder
subset() {
    local dir="$bench_dir/$2"
    if [[ ! -f "$dir/.generated" ]]; then
        rm -rf "$dir"
        cp -al "$1" "$dir"
        local seller
        for seller in "$dir/exports/$period"/*/; do
            seller="$(basename "$seller")"
            if ! "$3" "$dir/exports/$period/$seller"; then
                rm -rf "$dir/exports/$period/$seller" "$dir/contracts/$seller.toml" "$dir/costs/$period/$seller.csv"
            fi
        done
    fi
    echo "$dir"
}
# the sellers with a Vendas CSV, less their workbooks (Product Ads)
text_only() { ls "$1" | grep -q '^Vendas.*\.csv$' && rm -f "$1"/*.xlsx; }
xlsx_only() { ! ls "$1" | grep -qvi '\.xlsx$'; }

# paired WORKSPACE [RUN OPTIONS...]: $runs pairs of one `kpiseal run` and one floor read,
# alternating, so that both see the machine in the same state; prints
# "median_wall median_floor median_ratio median_rss_mib" (the ratio is taken
# pair by pair, then its median)
paired() {
    python3 -c 'import polars, fastexcel' 2>/dev/null || python3 -m pip install --quiet polars fastexcel >&2
    local ws="$1" walls=() floors=() ratios=() rsss=()
    shift
    for _ in $(seq "$runs"); do
        read -r wall rss < <(run_once "$ws" "$@") && [[ -n "$wall" ]] || exit 1
        f="$(python3 "$repo/scripts/polars_floor.py" "$ws" "$period" 2>/dev/null | sed -n 's/.* seconds=\([0-9.]*\).*/\1/p')"
        walls+=("$wall")
        floors+=("$f")
        rsss+=("$rss")
        ratios+=("$(awk -v w="$wall" -v f="$f" 'BEGIN { print w / f }')")
    done
    rm -rf "$bench_dir/out"
    printf '%s %s %s %s\n' "$(printf '%s\n' "${walls[@]}" | median)" "$(printf '%s\n' "${floors[@]}" | median)" \
        "$(printf '%s\n' "${ratios[@]}" | median)" "$(printf '%s\n' "${rsss[@]}" | median | awk '{ printf "%.0f", $1 / 1024 }')"
}

if [[ "$mode" == split || "$mode" == all ]]; then
    all="$(workspace 400 5000)"
    echo
    echo "| workspace | sellers | exports | e2e wall | polars read floor | ratio (pairwise) | peak RSS |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    for kind in text xlsx; do
        ws="$(subset "$all" "ws-s400-o5000-seed$seed-$kind" "${kind}_only")"
        options=()
        [[ "$kind" == text ]] && options=(--allow-missing mercadolivre_br)
        read -r wall floor_s ratio rss < <(paired "$ws" "${options[@]}") && [[ -n "$wall" ]] || exit 1
        awk -v k="$kind" -v s="$(ls "$ws/contracts" | wc -l)" -v b="$(export_bytes "$ws")" -v w="$wall" \
            -v f="$floor_s" -v r="$ratio" -v m="$rss" \
            'BEGIN { printf "| %s only | %d | %.0f MB | %.2f s | %.2f s | %.2f | %d MiB |\n", k, s, b / 1e6, w, f, r, m }'
    done
fi

if [[ "$mode" == rss || "$mode" == all ]]; then
    echo
    echo "| sellers (1,000 orders each) | exports | rows | e2e wall | peak RSS |"
    echo "| --- | --- | --- | --- | --- |"
    for sellers in 50 200 800; do
        ws="$(workspace "$sellers" 1000)"
        read -r wall rss < <(e2e "$ws") && [[ -n "$wall" ]] || exit 1
        awk -v s="$sellers" -v b="$(export_bytes "$ws")" -v r="$(generated_rows "$ws")" -v w="$wall" -v m="$rss" \
            'BEGIN { printf "| %d | %.0f MB | %d | %.1f s | %d MiB |\n", s, b / 1e6, r, w, m }'
    done
fi

if [[ "$mode" == linear || "$mode" == all ]]; then
    echo
    echo "| 20 sellers x orders | exports | rows | e2e wall | per million rows | peak RSS |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for orders in 2500 5000 10000; do
        ws="$(workspace 20 "$orders")"
        read -r wall rss < <(e2e "$ws") && [[ -n "$wall" ]] || exit 1
        rows="$(generated_rows "$ws")"
        awk -v o="$orders" -v b="$(export_bytes "$ws")" -v r="$rows" -v w="$wall" -v m="$rss" \
            'BEGIN { printf "| %d | %.0f MB | %d | %.1f s | %.1f s | %d MiB |\n", o, b / 1e6, r, w, w / r * 1e6, m }'
    done
fi
