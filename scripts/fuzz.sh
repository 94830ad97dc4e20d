#!/usr/bin/env bash
# Fuzzes every reader of kpiseal's inputs and of `kpiseal verify` with
# cargo fuzz (libFuzzer, nightly), SECONDS per target (default 900), and
# appends one line per target to fuzz/results.tsv: date, target, seconds
# actually fuzzed, executions, coverage (libFuzzer's cov: and ft:), and the
# artifacts (crashes, timeouts, out-of-memory inputs) the run left. Runs
# continue from the corpus the last run left, so times add up per target.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Targets (all by default):
#   input readers (fuzz/, links the kpiseal library and polars):
#     settlement ads_csv mercadolivre_csv xlsx export costs fx_csv ptax contract
#   verify's readers (crates/seal/fuzz/, no polars):
#     pdf_signature manifest_json period_manifest_json minisign sshsig public_key evidence_zip
#
# Seed corpora are made on the first run from the fixtures and from a demo
# month end (statement PDFs, manifests, signatures, keys, evidence zips).
# Each crash is left in <fuzz dir>/artifacts/<target>/; it becomes a
# regression test in the ordinary test suite (README "Reliability").
# Not run by CI: it needs nightly and takes SECONDS × 16.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-900}"
shift || true
input_targets=(settlement ads_csv mercadolivre_csv xlsx export costs fx_csv ptax contract)
seal_targets=(pdf_signature manifest_json period_manifest_json minisign sshsig public_key evidence_zip)
if [[ $# -gt 0 ]]; then targets=("$@"); else targets=("${input_targets[@]}" "${seal_targets[@]}"); fi

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

# The demo month end, once, for the seeds of verify's readers.
demo="$repo/fuzz/demo-out"
if [[ ! -d "$demo/ws/out/2026-10" ]]; then
    rm -rf "$demo" && mkdir -p "$demo"
    cp -r "$repo/fixtures/demo" "$demo/ws" && rm -rf "$demo/ws/out"
    kpiseal="${CARGO_TARGET_DIR:-$HOME/.cache/kpiseal-target}/release/kpiseal"
    (cd "$repo" && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kpiseal-target}" cargo build --release --quiet)
    "$kpiseal" run --workspace "$demo/ws" --period 2026-10 --quiet >/dev/null 2>&1
    "$kpiseal" merge --workspace "$demo/ws" --period 2026-10 >/dev/null 2>&1
fi
out="$demo/ws/out/2026-10"

# seed TARGET DIR FILE...: copies the seed files into the target's corpus (once).
seed() {
    local corpus="$1/corpus/$2"
    shift 2
    [[ -d "$corpus" ]] && return
    mkdir -p "$corpus"
    local f
    for f in "$@"; do [[ -f "$f" ]] && cp "$f" "$corpus/$(sha256sum "$f" | cut -c1-16)"; done
}
ex="$repo/fixtures/demo/exports/2026-10"
fx="$repo/fuzz"
sx="$repo/crates/seal/fuzz"
shopt -s nullglob globstar
seed "$fx" settlement "$ex"/*/*.txt "$repo"/fixtures/ingest/**/*.txt
seed "$fx" ads_csv "$ex"/*/Sponsored*.csv "$repo"/fixtures/ingest/ads/**/*.csv
seed "$fx" mercadolivre_csv "$ex"/*/Vendas*.csv "$repo"/fixtures/ingest/mercadolivre/**/*.csv
seed "$fx" xlsx "$ex"/*/*.xlsx "$repo"/fixtures/ingest/**/*.xlsx
seed "$fx" export "$ex"/*/*
seed "$fx" costs "$repo"/fixtures/demo/costs/**/*.csv "$repo"/fixtures/ingest/costs/**/*
seed "$fx" fx_csv "$repo"/fixtures/demo/fx/2026-10.csv "$repo"/fixtures/ingest/fx/**/*
seed "$fx" ptax "$repo"/fixtures/demo/fx/*ptax* "$repo"/fixtures/ingest/fx/**/*ptax*
seed "$fx" contract "$repo"/fixtures/demo/contracts/*.toml "$repo"/fixtures/contracts/*.toml
seed "$sx" pdf_signature "$out"/*/statement.pdf
seed "$sx" manifest_json "$out"/*/manifest.json
seed "$sx" period_manifest_json "$out"/period-manifest.json
seed "$sx" minisign "$out"/*/manifest.json.minisig "$out"/period-manifest.json.minisig
seed "$sx" sshsig "$out"/*/manifest.json.sig "$out"/period-manifest.json.sig
seed "$sx" public_key "$repo"/fixtures/demo/keys/*.pub "$repo"/fixtures/demo/keys/*.pem
seed "$sx" evidence_zip "$out"/*/evidence.zip

results="$repo/fuzz/results.tsv"
[[ -f "$results" ]] || printf 'date\ttarget\tseconds\texecutions\tcov\tft\tcrashes\n' >"$results"
# Build first, so that the time measured per target is fuzzing time only.
dir_of() { if [[ " ${seal_targets[*]} " == *" $1 "* ]]; then echo "$sx"; else echo "$fx"; fi; }
for dir in $(for target in "${targets[@]}"; do dir_of "$target"; done | sort -u); do
    (cd "$dir" && env -u CARGO_TARGET_DIR cargo +nightly fuzz build --release)
done
for target in "${targets[@]}"; do
    dir=$(dir_of "$target")
    log="$dir/logs/$target.log"
    mkdir -p "$dir/logs" "$dir/artifacts/$target"
    echo "# fuzzing $target for ${seconds}s" >&2
    before=$(find "$dir/artifacts/$target" -type f | wc -l)
    started=$SECONDS
    # cargo fuzz builds into <fuzz dir>/target (nightly, sanitizers), never the shared cache.
    (cd "$dir" && env -u CARGO_TARGET_DIR cargo +nightly fuzz run --release "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1) >"$log" 2>&1 || true
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    # The time actually fuzzed (a crash stops the run early) and the new
    # artifacts (crash-, timeout-, oom- files) this run left.
    elapsed=$((SECONDS - started))
    crashes=$(($(find "$dir/artifacts/$target" -type f | wc -l) - before))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$target" "$elapsed" "${execs:-0}" "${cov:-0}" \
        "${ft:-0}" "$crashes" | tee -a "$results"
done
