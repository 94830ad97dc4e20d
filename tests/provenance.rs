//! provenance.csv against the figures it claims to make: for every market
//! and every field of its figures, the rows that name the field add up (or
//! count, for distinct orders) to the value the ledger computed; each cost
//! row is the pass-through line it names; and each row's line of a text
//! input holds the row's reference. On the demo and on generated workspaces.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use kpiseal::explain::{Row, read_rows};
use kpiseal::ledger::MarketFigures;
use kpiseal::market::Market;
use kpiseal::pipeline::{RunOptions, read_seller_inputs};
use kpiseal::workspace::Workspace;
use kpiseal_generate::{GenerateOptions, generate_workspace};
use rust_decimal::Decimal;

/// The rows of a provenance.csv, read by the table's own reader (the one
/// `kpiseal explain` uses), after pinning the header as the README documents it.
fn rows(csv_bytes: &[u8]) -> Vec<Row> {
    let header = csv_bytes.split(|b| *b == b'\n').next().unwrap();
    assert_eq!(header, b"file,line,market,record,kind,date,reference,amount,shipping,units,currency,feeds,excluded");
    read_rows(csv_bytes).unwrap()
}

/// How a figure is made of the rows that name it.
enum Make {
    Amount,
    MinusAmount,
    Shipping,
    Units,
    DistinctReferences,
}

/// Every field of a market's figures, how its rows make it, and its value.
fn fields(f: &MarketFigures) -> Vec<(&'static str, Make, Decimal)> {
    let n = Decimal::from;
    let mut out = Vec::new();
    if let Some(s) = &f.sales {
        out.extend([
            ("sales.gross_principal", Make::Amount, s.gross_principal),
            ("sales.gross_shipping", Make::Shipping, s.gross_shipping),
            ("sales.refunded_principal", Make::Amount, s.refunded_principal),
            ("sales.refunded_shipping", Make::Shipping, s.refunded_shipping),
            ("sales.orders", Make::DistinctReferences, n(s.orders)),
            ("sales.units", Make::Units, n(s.units)),
            ("sales.refunded_orders", Make::DistinctReferences, n(s.refunded_orders)),
            ("sales.disputed_orders", Make::DistinctReferences, n(s.disputed_orders)),
            ("sales.platform_fees", Make::MinusAmount, s.platform_fees),
            ("sales.net_proceeds", Make::Amount, s.net_proceeds),
        ]);
    }
    if let Some(o) = &f.orders {
        out.extend([
            ("orders.placed", Make::DistinctReferences, n(o.placed)),
            ("orders.seller_cancelled", Make::DistinctReferences, n(o.seller_cancelled)),
            ("orders.cancelled", Make::DistinctReferences, n(o.cancelled)),
        ]);
    }
    if let Some(r) = &f.returns {
        out.extend([
            ("returns.units", Make::Units, n(r.units)),
            ("returns.orders", Make::DistinctReferences, n(r.orders)),
        ]);
    }
    if let Some(fb) = &f.feedback {
        out.extend([
            ("feedback.received", Make::Units, n(fb.received)),
            ("feedback.negative", Make::Units, n(fb.negative)),
        ]);
    }
    if let Some(t) = &f.traffic {
        out.extend([
            ("traffic.sessions", Make::Units, n(t.sessions)),
            ("traffic.units_ordered", Make::Units, n(t.units_ordered)),
            ("traffic.order_items", Make::Units, n(t.order_items)),
        ]);
    }
    if let Some(i) = &f.inventory {
        out.extend([
            ("inventory.on_hand_unit_days", Make::Units, n(i.on_hand_unit_days)),
            ("inventory.shipped", Make::Units, n(i.shipped)),
        ]);
    }
    if let Some(a) = &f.ads {
        out.extend([("ads.spend", Make::Amount, a.spend), ("ads.sales", Make::Shipping, a.sales)]);
    }
    out
}

/// Checks every seller of the workspace at `root` for `period`; returns
/// how many figures were recomputed from rows.
fn check_workspace(root: &Path, period: &str) -> usize {
    let ws = Workspace::open(root).unwrap();
    let mut opts = RunOptions::new(period.parse().unwrap());
    opts.provenance = true;
    let mut checked = 0;
    for seller in ws.sellers().unwrap() {
        let inputs = read_seller_inputs(&ws, &seller, &opts).unwrap();
        let provenance = inputs.provenance.as_ref().expect("asked for");
        let table = rows(provenance.csv());
        assert_eq!(table.len(), provenance.rows(), "{seller}: the row count");
        assert!(!table.is_empty(), "{seller}: the table lists facts");
        let figures = inputs.ledger.figures().unwrap();
        for (market, f) in &figures {
            for (field, make, expected) in fields(f) {
                let named: Vec<&Row> =
                    table.iter().filter(|r| r.market == market.id() && r.feeds.iter().any(|x| x == field)).collect();
                let found = match make {
                    Make::Amount => named.iter().map(|r| r.amount).sum(),
                    Make::MinusAmount => -named.iter().map(|r| r.amount).sum::<Decimal>(),
                    Make::Shipping => named.iter().map(|r| r.shipping).sum(),
                    Make::Units => Decimal::from(named.iter().map(|r| r.units).sum::<i64>()),
                    Make::DistinctReferences => {
                        Decimal::from(named.iter().map(|r| r.reference.as_str()).collect::<BTreeSet<_>>().len())
                    }
                };
                assert_eq!(found, expected, "{seller} {market} {field}: rows make {found}, the ledger {expected}");
                checked += 1;
            }
        }
        // No row names a market the ledger has no figures of, or a field it lacks.
        let known: BTreeMap<&str, BTreeSet<&str>> = figures
            .iter()
            .map(|(m, f): (&Market, &MarketFigures)| (m.id(), fields(f).into_iter().map(|(name, ..)| name).collect()))
            .collect();
        for r in table.iter().filter(|r| r.record != "cost_line" && r.excluded.is_empty()) {
            let Some(names) = known.get(r.market.as_str()) else { panic!("{seller}: a row of unknown market {r:?}") };
            for feed in &r.feeds {
                assert!(names.contains(feed.as_str()), "{seller}: {feed} is not a figure of {}: {r:?}", r.market);
            }
        }
        // Each cost row is the pass-through line it names.
        let costs: Vec<&Row> = table.iter().filter(|r| r.record == "cost_line" && r.excluded.is_empty()).collect();
        // A row left out names why and feeds nothing.
        for r in table.iter().filter(|r| !r.excluded.is_empty()) {
            assert!(r.feeds.is_empty() && r.excluded.starts_with("repeats "), "{seller}: {r:?}");
        }
        assert_eq!(costs.len(), inputs.costs.len(), "{seller}: one row per pass-through cost");
        for (i, (row, cost)) in costs.iter().zip(&inputs.costs).enumerate() {
            assert_eq!(row.feeds, [format!("pass_through.lines[{i}]")]);
            assert_eq!(
                (row.amount, row.reference.as_str(), row.line),
                (cost.amount, cost.invoice_no.as_str(), cost.line)
            );
        }
        // The line a row names, in a text input, holds its reference.
        let mut texts: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for r in table.iter().filter(|r| !r.reference.is_empty() && !r.file.ends_with(".xlsx")) {
            let lines = texts.entry(r.file.as_str()).or_insert_with(|| {
                let bytes = std::fs::read(root.join(&r.file)).unwrap();
                String::from_utf8_lossy(&bytes).lines().map(str::to_string).collect()
            });
            let text = &lines[r.line - 1];
            assert!(text.contains(&r.reference), "{}:{} does not hold {:?}: {text}", r.file, r.line, r.reference);
        }
    }
    checked
}

#[test]
fn every_figure_of_the_demo_is_the_sum_of_the_provenance_rows_that_name_it() {
    let checked = check_workspace(&common::demo(), "2026-10");
    assert!(checked > 60, "{checked} figures recomputed");
}

#[test]
fn every_figure_of_generated_sellers_is_the_sum_of_the_provenance_rows_that_name_it() {
    for seed in [3, 11] {
        let dir = tempfile::tempdir().unwrap();
        let opts = GenerateOptions { seed, sellers: 4, orders: 150, ..GenerateOptions::default() };
        generate_workspace(dir.path(), &opts).unwrap();
        let checked = check_workspace(dir.path(), "2026-10");
        assert!(checked > 80, "seed {seed}: {checked} figures recomputed");
    }
}

#[test]
fn the_provenance_table_is_the_same_bytes_on_every_run() {
    let ws = Workspace::open(&common::demo()).unwrap();
    let mut opts = RunOptions::new("2026-10".parse().unwrap());
    assert_eq!(read_seller_inputs(&ws, "acme-home", &opts).unwrap().provenance, None, "not asked for");
    opts.provenance = true;
    let a = read_seller_inputs(&ws, "acme-home", &opts).unwrap().provenance;
    let b = read_seller_inputs(&ws, "acme-home", &opts).unwrap().provenance;
    assert!(a.as_ref().is_some_and(|p| p.rows() > 1000));
    assert_eq!(a, b);
}

/// Runs the kpiseal binary with `args`; returns (success, stdout + stderr).
fn kpiseal(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kpiseal")).args(args).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn run_with_provenance_seals_the_table_and_verify_checks_it_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, out) = (dir.path().join("ws"), dir.path().join("out"));
    common::copy_dir(&common::demo(), &ws);
    let (ws_s, out_s) = (ws.display().to_string(), out.display().to_string());
    let (ok, text) = kpiseal(&["run", "--workspace", &ws_s, "--period", "2026-10", "--out", &out_s, "--provenance"]);
    assert!(ok, "{text}");
    let folder = out.join("2026-10/acme-home");
    let table = std::fs::read(folder.join("provenance.csv")).unwrap();
    assert_eq!(std::fs::read(folder.join("evidence/data/provenance.csv")).unwrap(), table, "the bag holds it");
    let manifest = std::fs::read_to_string(folder.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"provenance.csv\""), "the manifest lists it");
    let key = ws.join("keys/provider.minisign.pub").display().to_string();
    let folder_s = folder.display().to_string();
    let (ok, text) = kpiseal(&["verify", &folder_s, "--key", &key]);
    assert!(ok && text.contains("(with run --provenance)"), "{text}");

    // One amount changed in the table: verify names the file.
    let edited = String::from_utf8(table).unwrap().replacen("-112.50", "-11.25", 1);
    std::fs::write(folder.join("provenance.csv"), edited).unwrap();
    let (ok, text) = kpiseal(&["verify", &folder_s, "--key", &key]);
    assert!(!ok, "{text}");
    assert!(text.lines().any(|l| l.contains("FAIL") && l.contains("provenance.csv")), "{text}");
}

/// The demo's drafts, sealed with provenance.csv, in a temporary workspace copy.
fn demo_drafts_with_provenance() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    common::copy_dir(&common::demo(), &ws);
    let ws_s = ws.display().to_string();
    let (ok, text) =
        kpiseal(&["run", "--workspace", &ws_s, "--period", "2026-10", "--draft", "--provenance", "--quiet"]);
    assert!(ok, "{text}");
    (dir, ws)
}

#[test]
fn explain_makes_every_money_kpi_and_pass_through_line_of_the_demo_from_its_rows() {
    let (_dir, ws) = demo_drafts_with_provenance();
    let mut explained = 0;
    for seller in ["acme-home", "sunny-gadgets", "rio-casa"] {
        let folder = ws.join("out/drafts/2026-10").join(seller);
        let (statement, rows) = kpiseal::explain::read_sealed(&folder, None).unwrap();
        let mut figures: Vec<String> =
            (0..statement.pass_through.lines.len()).map(|i| format!("pass_through.lines[{i}]")).collect();
        for k in statement.kpis.iter().filter(|k| k.value.is_some()) {
            if ["gmv", "platform_fees", "net_proceeds", "ad_spend"].contains(&k.id.id()) && k.market.id() != "all" {
                figures.push(format!("kpis.{}.{}", k.id.id(), k.market.id()));
            }
        }
        assert!(figures.iter().any(|f| f.starts_with("kpis.gmv.")), "{seller}: {figures:?}");
        for figure in &figures {
            let e = kpiseal::explain::explain(&statement, &rows, figure).unwrap();
            assert!(
                e.printed.is_some() && e.agrees(),
                "{seller} {figure}: rows make {}, printed {:?}",
                e.value,
                e.printed
            );
            assert!(e.steps.iter().all(|s| !s.rows.is_empty()), "{seller} {figure}: every step has rows");
            explained += 1;
        }
    }
    assert!(explained >= 20, "{explained} figures explained");
}

#[test]
fn explain_refuses_a_folder_whose_provenance_was_edited_and_one_sealed_without_it() {
    let (_dir, ws) = demo_drafts_with_provenance();
    let folder = ws.join("out/drafts/2026-10/acme-home");
    let folder_s = folder.display().to_string();
    let (ok, text) = kpiseal(&["explain", &folder_s, "kpis.gmv.amazon_us"]);
    assert!(ok && text.contains("the same"), "{text}");
    let bag = folder.join("evidence").display().to_string();
    let (ok, from_bag) = kpiseal(&["explain", &bag, "kpis.gmv.amazon_us"]);
    assert!(ok, "{from_bag}");
    assert_eq!(from_bag.lines().last(), text.lines().last(), "the bag explains the same value");
    let (ok, csv_text) = kpiseal(&["explain", &folder_s, "pass_through.lines[0]", "--csv"]);
    assert!(ok && csv_text.starts_with("step,file,line,"), "{csv_text}");

    let path = folder.join("provenance.csv");
    let edited = std::fs::read_to_string(&path).unwrap().replacen(",749.99,", ",7.99,", 1);
    std::fs::write(&path, edited).unwrap();
    let (ok, text) = kpiseal(&["explain", &folder_s, "kpis.gmv.amazon_us"]);
    assert!(!ok && text.contains("does not verify") && text.contains("provenance.csv"), "{text}");

    let ws_s = ws.display().to_string();
    let (ok, text) = kpiseal(&["run", "--workspace", &ws_s, "--period", "2026-10", "--quiet"]);
    assert!(ok, "{text}");
    let final_folder = ws.join("out/2026-10/acme-home").display().to_string();
    let (ok, text) = kpiseal(&["explain", &final_folder, "kpis.gmv.amazon_us"]);
    assert!(!ok && text.contains("sealed without provenance.csv"), "{text}");
}

#[test]
fn a_final_statement_issued_without_the_table_is_not_reissued_with_it_and_the_refusal_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    common::copy_dir(&common::demo(), &ws);
    let ws_s = ws.display().to_string();
    let (ok, text) = kpiseal(&["run", "--workspace", &ws_s, "--period", "2026-10", "--quiet"]);
    assert!(ok, "{text}");
    let folder = ws.join("out/2026-10/acme-home");
    let before = common::tree(&folder);
    let (ok, text) =
        kpiseal(&["run", "--workspace", &ws_s, "--period", "2026-10", "--seller", "acme-home", "--provenance"]);
    assert!(!ok, "{text}");
    assert!(text.contains("with these same figures") && text.contains("sealed without provenance.csv"), "{text}");
    assert_eq!(common::tree(&folder), before, "nothing was written");
}

#[test]
fn the_rows_of_a_settlement_found_in_two_files_are_listed_once_counted_and_once_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    common::copy_dir(&common::demo(), &ws);
    let folder = ws.join("exports/2026-10/acme-home");
    let original = "17723285873.txt";
    // The same settlement downloaded again (a blank line more: another file, the same rows).
    let mut copy = std::fs::read(folder.join(original)).unwrap();
    copy.extend_from_slice(b"\n");
    std::fs::write(folder.join("17723285873 (1).txt"), copy).unwrap();
    let (without, with) = (check_workspace(&common::demo(), "2026-10"), check_workspace(&ws, "2026-10"));
    assert_eq!(with, without, "the same figures, each made of the counted rows only");

    let ws = Workspace::open(&ws).unwrap();
    let mut opts = RunOptions::new("2026-10".parse().unwrap());
    opts.provenance = true;
    let table = rows(read_seller_inputs(&ws, "acme-home", &opts).unwrap().provenance.unwrap().csv());
    // Exports are read in path order: the copy ("17723285873 (1).txt") comes first and counts.
    let (first, later) = ("exports/2026-10/acme-home/17723285873 (1).txt", "exports/2026-10/acme-home/17723285873.txt");
    let (left_out, counted): (Vec<&Row>, Vec<&Row>) =
        table.iter().filter(|r| r.file == first || r.file == later).partition(|r| !r.excluded.is_empty());
    assert!(!left_out.is_empty() && left_out.iter().all(|r| r.file == later), "the later file is left out");
    assert!(counted.iter().all(|r| r.file == first), "the first is counted");
    assert_eq!(left_out.len(), counted.len(), "every row of the later file is listed");
    let why = &left_out[0].excluded;
    assert!(why.contains("repeats settlement 17723285873") && why.contains(first), "{why}");
}
