"""The read floor for scripts/bench-batch.sh: a plain Python polars read of
every export file of a workspace period, each with the reader and options its
format needs, and nothing else (no parsing of dates or money, no output).

usage: python3 scripts/polars_floor.py WORKSPACE PERIOD
prints: files=N rows=N bytes=N seconds=S text_seconds=S xlsx_seconds=S
(the total, then the part spent on CSV/TSV files and on XLSX workbooks)
"""

import sys
import time
from pathlib import Path

import polars as pl

VENDAS_HEADER = "N.º de venda"


def header_line(path: Path, marker: str, limit: int = 50) -> int:
    """The 0-based line of the first line containing `marker` (0 if none)."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as f:
        for number, line in enumerate(f):
            if number >= limit:
                break
            if marker in line:
                return number
    return 0


def plain_read(path: Path, **options) -> pl.DataFrame:
    """read_csv with its default schema inference; a file whose later rows
    contradict the inferred types is read again as text."""
    try:
        return pl.read_csv(path, **options)
    except pl.exceptions.ComputeError:
        return pl.read_csv(path, infer_schema=False, **options)


def read_csv(path: Path) -> pl.DataFrame:
    with path.open("rb") as f:
        first = f.readline()
    if b"\t" in first and b"settlement-id" in first:
        # Amazon settlement flat file: tab-separated, no quoting.
        return plain_read(path, separator="\t", quote_char=None)
    if b"Campaign Name" in first or first.startswith(b"Name,Email,") or first.startswith(b"Transaction Date,"):
        # Sponsored Products CSV, Shopify's orders and payments exports: plain CSV.
        return plain_read(path)
    # Mercado Livre Vendas CSV: ';', decimal comma, title rows above the header.
    skip = header_line(path, VENDAS_HEADER)
    return plain_read(path, separator=";", skip_rows=skip, decimal_comma=True, encoding="utf8-lossy")


def read_xlsx(path: Path) -> pl.DataFrame:
    import fastexcel

    reader = fastexcel.read_excel(path)
    top = reader.load_sheet(0, header_row=None, n_rows=10).to_polars()
    header = 0
    for number, row in enumerate(top.iter_rows()):
        if VENDAS_HEADER in row:
            header = number
            break
    return pl.read_excel(path, sheet_id=1, engine="calamine", read_options={"header_row": header})


def main() -> None:
    workspace, period = Path(sys.argv[1]), sys.argv[2]
    # A seller's files, and those of its market folders (amazon_br/, shopify-<store>/, ...).
    files = sorted(p for p in (workspace / "exports" / period).glob("*/**/*") if p.is_file())
    rows = size = 0
    spent = {"text": 0.0, "xlsx": 0.0}
    started = time.perf_counter()
    for path in files:
        begun = time.perf_counter()
        with path.open("rb") as f:
            magic = f.read(4)
        kind = "xlsx" if magic == b"PK\x03\x04" else "text"
        frame = read_xlsx(path) if kind == "xlsx" else read_csv(path)
        rows += frame.height
        size += path.stat().st_size
        spent[kind] += time.perf_counter() - begun
    seconds = time.perf_counter() - started
    print(
        f"files={len(files)} rows={rows} bytes={size} seconds={seconds:.3f} "
        f"text_seconds={spent['text']:.3f} xlsx_seconds={spent['xlsx']:.3f}"
    )


if __name__ == "__main__":
    main()
