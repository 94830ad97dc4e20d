//! provenance.csv against the figures it claims to make: for every market
//! and every field of its figures, the groups (and the fact rows) that name
//! the field add up (or count, for distinct orders) to the value the ledger
//! computed; each group is exactly its fact rows (count, sums, lines); each
//! cost row is the pass-through line it names; and each fact's line of a
//! text input holds its reference. On the demo and on generated workspaces.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use kpiseal::explain::{Group, Row, read_groups, read_rows};
use kpiseal::ledger::{Make, MarketFigures};
use kpiseal::market::Market;
use kpiseal::pipeline::{RunOptions, read_seller_inputs};
use kpiseal::provenance::{line_set, parse_line_set};
use kpiseal::workspace::Workspace;
use kpiseal_generate::{GenerateOptions, generate_workspace};
use rust_decimal::Decimal;

/// The groups of a provenance.csv, read by the table's own reader (the one
/// `kpiseal explain` uses), after pinning the header as the README documents it.
fn groups(csv_bytes: &[u8]) -> Vec<Group> {
    let header = csv_bytes.split(|b| *b == b'\n').next().unwrap();
    assert_eq!(
        header,
        b"file,market,record,kind,currency,feeds,excluded,rows,references,reference,dates,amount,shipping,units,lines"
    );
    read_groups(csv_bytes).unwrap()
}

/// The fact rows, pinning their header likewise.
fn rows(csv_bytes: &[u8]) -> Vec<Row> {
    let header = csv_bytes.split(|b| *b == b'\n').next().unwrap();
    assert_eq!(header, b"file,line,market,record,kind,date,reference,amount,shipping,units,currency,feeds,excluded");
    read_rows(csv_bytes).unwrap()
}

/// The facts of a table's rows as its groups: keyed like a group, with
/// count, distinct references, sums and lines.
type GroupKey = (String, String, String, String, Vec<String>, String);
fn grouped(rows: &[Row]) -> BTreeMap<GroupKey, (usize, usize, Decimal, Decimal, i64, String)> {
    type Facts = (usize, BTreeSet<String>, Decimal, Decimal, i64, Vec<usize>);
    let mut out: BTreeMap<GroupKey, Facts> = BTreeMap::new();
    for r in rows {
        let key =
            (r.file.clone(), r.market.clone(), r.record.clone(), r.kind.clone(), r.feeds.clone(), r.excluded.clone());
        let g = out.entry(key).or_default();
        g.0 += 1;
        if !r.reference.is_empty() {
            g.1.insert(r.reference.clone());
        }
        (g.2, g.3, g.4) = (g.2 + r.amount, g.3 + r.shipping, g.4 + r.units);
        g.5.push(r.line);
    }
    out.into_iter()
        .map(|(k, (n, refs, a, s, u, mut lines))| {
            lines.sort_unstable();
            lines.dedup();
            (k, (n, refs.len(), a, s, u, line_set(&lines)))
        })
        .collect()
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
    let without_facts: Vec<_> =
        ws.sellers().unwrap().iter().map(|s| read_seller_inputs(&ws, s, &opts).unwrap().provenance).collect();
    opts.fact_rows = true;
    let mut checked = 0;
    for (seller, sealed) in ws.sellers().unwrap().into_iter().zip(without_facts) {
        let inputs = read_seller_inputs(&ws, &seller, &opts).unwrap();
        let provenance = &inputs.provenance;
        assert_eq!(provenance.csv(), sealed.csv(), "{seller}: the table is the same with or without fact rows");
        assert_eq!(sealed.facts(), None, "{seller}: fact rows only when asked for");
        let table = rows(provenance.facts().expect("asked for"));
        let sealed_groups = groups(provenance.csv());
        assert_eq!(sealed_groups.len(), provenance.groups(), "{seller}: the group count");
        assert!(!table.is_empty(), "{seller}: the table lists facts");
        // Each group is exactly the facts of its key.
        let from_rows = grouped(&table);
        assert_eq!(from_rows.len(), sealed_groups.len(), "{seller}: one group per key");
        for g in &sealed_groups {
            let key = (
                g.file.clone(),
                g.market.clone(),
                g.record.clone(),
                g.kind.clone(),
                g.feeds.clone(),
                g.excluded.clone(),
            );
            let made = (g.rows, g.references, g.amount, g.shipping, g.units, g.lines.clone());
            assert_eq!(from_rows.get(&key), Some(&made), "{seller}: group {key:?}");
            assert!(parse_line_set(&g.lines).unwrap().is_sorted(), "{seller}: lines ascend");
        }
        let figures = inputs.ledger.figures().unwrap();
        for (market, f) in &figures {
            for (field, make, expected) in fields(f) {
                let named: Vec<&Row> =
                    table.iter().filter(|r| r.market == market.id() && r.feeds.iter().any(|x| x == field)).collect();
                let named_groups: Vec<&Group> = sealed_groups
                    .iter()
                    .filter(|g| g.market == market.id() && g.feeds.iter().any(|x| x == field))
                    .collect();
                let (found, from_groups) = match make {
                    Make::Amount => (named.iter().map(|r| r.amount).sum(), named_groups.iter().map(|g| g.amount).sum()),
                    Make::MinusAmount => (
                        -named.iter().map(|r| r.amount).sum::<Decimal>(),
                        -named_groups.iter().map(|g| g.amount).sum::<Decimal>(),
                    ),
                    Make::Shipping => {
                        (named.iter().map(|r| r.shipping).sum(), named_groups.iter().map(|g| g.shipping).sum())
                    }
                    Make::Units => (
                        Decimal::from(named.iter().map(|r| r.units).sum::<i64>()),
                        Decimal::from(named_groups.iter().map(|g| g.units).sum::<i64>()),
                    ),
                    Make::DistinctReferences => {
                        let distinct = named.iter().map(|r| r.reference.as_str()).collect::<BTreeSet<_>>().len();
                        let most = named_groups.iter().map(|g| g.references).sum::<usize>();
                        assert!(distinct <= most, "{seller} {market} {field}");
                        let one = if named_groups.len() <= 1 { most } else { distinct };
                        (Decimal::from(distinct), Decimal::from(one))
                    }
                };
                assert_eq!(found, expected, "{seller} {market} {field}: rows make {found}, the ledger {expected}");
                assert_eq!(from_groups, expected, "{seller} {market} {field}: groups make {from_groups}");
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
            let why = &r.excluded;
            assert!(
                r.feeds.is_empty() && (why.starts_with("repeats ") || why.starts_with("dated ")),
                "{seller}: {r:?}"
            );
        }
        assert_eq!(costs.len(), inputs.costs.len(), "{seller}: one row per pass-through cost");
        for (i, (row, cost)) in costs.iter().zip(&inputs.costs).enumerate() {
            assert_eq!(row.feeds, [format!("pass_through.lines[{i}]"), format!("pass_through.lines[{i}].converted")]);
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
    let opts = RunOptions::new("2026-10".parse().unwrap());
    let a = read_seller_inputs(&ws, "acme-home", &opts).unwrap().provenance;
    let b = read_seller_inputs(&ws, "acme-home", &opts).unwrap().provenance;
    assert!(a.groups() > 10, "{} groups", a.groups());
    assert_eq!(a, b);
}

/// Runs the kpiseal binary with `args`; returns (success, stdout + stderr).
fn kpiseal(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kpiseal")).args(args).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn every_statement_seals_the_table_and_verify_checks_it_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, out) = (dir.path().join("ws"), dir.path().join("out"));
    common::copy_dir(&common::demo(), &ws);
    let (ws_s, out_s) = (ws.display().to_string(), out.display().to_string());
    let (ok, text) = kpiseal(&["run", "--workspace", &ws_s, "--period", "2026-10", "--out", &out_s]);
    assert!(ok, "{text}");
    let folder = out.join("2026-10/acme-home");
    let table = std::fs::read(folder.join("provenance.csv")).unwrap();
    assert_eq!(std::fs::read(folder.join("evidence/data/provenance.csv")).unwrap(), table, "the bag holds it");
    let manifest = std::fs::read_to_string(folder.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"provenance.csv\""), "the manifest lists it");
    let key = ws.join("keys/provider.minisign.pub").display().to_string();
    let folder_s = folder.display().to_string();
    let (ok, text) = kpiseal(&["verify", &folder_s, "--key", &key]);
    assert!(ok && text.contains("provenance.csv"), "{text}");

    // One subtotal changed in the table: verify names the file.
    let edited = edit_first_amount(&table);
    std::fs::write(folder.join("provenance.csv"), edited).unwrap();
    let (ok, text) = kpiseal(&["verify", &folder_s, "--key", &key]);
    assert!(!ok, "{text}");
    assert!(text.lines().any(|l| l.contains("FAIL") && l.contains("provenance.csv")), "{text}");
}

/// The table with the first group's amount changed (one digit more).
fn edit_first_amount(table: &[u8]) -> String {
    let text = String::from_utf8(table.to_vec()).unwrap();
    let amount = groups(table)[0].amount.to_string();
    let edited = text.replacen(&format!(",{amount},"), &format!(",{amount}1,"), 1);
    assert_ne!(edited, text);
    edited
}

/// The demo's drafts, in a temporary workspace copy.
fn demo_drafts_with_provenance() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    common::copy_dir(&common::demo(), &ws);
    let ws_s = ws.display().to_string();
    let (ok, text) = kpiseal(&["run", "--workspace", &ws_s, "--period", "2026-10", "--draft", "--quiet"]);
    assert!(ok, "{text}");
    (dir, ws)
}

#[test]
fn explain_makes_every_kpi_and_pass_through_line_of_the_demo_from_its_rows() {
    let (_dir, ws) = demo_drafts_with_provenance();
    let mut explained = 0;
    for seller in ["acme-home", "sunny-gadgets", "rio-casa", "loja-mix"] {
        let folder = ws.join("out/drafts/2026-10").join(seller);
        let (statement, groups, _) = kpiseal::explain::read_sealed(&folder, None).unwrap();
        let mut figures: Vec<String> =
            (0..statement.pass_through.lines.len()).map(|i| format!("pass_through.lines[{i}]")).collect();
        for k in statement.kpis.iter().filter(|k| k.value.is_some()) {
            figures.push(format!("kpis.{}.{}", k.id.id(), k.market.id()));
        }
        assert!(figures.iter().any(|f| f.ends_with(".all")), "{seller}: overall KPIs too: {figures:?}");
        assert!(figures.iter().any(|f| f.starts_with("kpis.gmv.")), "{seller}: {figures:?}");
        // loja-mix's markets have no ads report kpiseal reads.
        if seller != "loja-mix" {
            assert!(figures.iter().any(|f| f.starts_with("kpis.roas.")), "{seller}: {figures:?}");
        }
        for figure in &figures {
            let e = kpiseal::explain::explain(&statement, &groups, None, figure).unwrap();
            assert!(
                e.printed.is_some() && e.agrees(),
                "{seller} {figure}: rows make {}, printed {:?}",
                e.value,
                e.printed
            );
            // Sums and ratios of sums are exact from the groups alone.
            let counts_orders = e
                .steps
                .iter()
                .any(|s| s.name.ends_with("orders") || s.name.ends_with(".placed") || s.name.ends_with("cancelled"));
            assert!(e.exact() || counts_orders, "{seller} {figure}: exact from the groups");
            let made = |s: &kpiseal::explain::Step| !s.groups.is_empty() || s.subtotal.is_zero();
            assert!(e.steps.iter().all(made), "{seller} {figure}: every step of a value has rows");
            explained += 1;
        }
    }
    assert!(explained >= 80, "{explained} figures explained");
}

#[test]
fn explain_refuses_a_folder_whose_provenance_was_edited() {
    let (_dir, ws) = demo_drafts_with_provenance();
    let folder = ws.join("out/drafts/2026-10/acme-home");
    let folder_s = folder.display().to_string();
    let (ok, text) = kpiseal(&["explain", &folder_s, "kpis.gmv.amazon_us"]);
    assert!(ok && text.contains("the same"), "{text}");
    let bag = folder.join("evidence").display().to_string();
    let (ok, from_bag) = kpiseal(&["explain", &bag, "kpis.gmv.amazon_us"]);
    assert!(ok, "{from_bag}");
    assert_eq!(from_bag.lines().last(), text.lines().last(), "the bag explains the same value");
    let zip = folder.join("evidence.zip").display().to_string();
    let (ok, from_zip) = kpiseal(&["explain", &zip, "kpis.gmv.amazon_us"]);
    assert!(ok, "{from_zip}");
    assert_eq!(from_zip, text, "the zip explains the same, read from the zip as verified");
    let (ok, csv_text) = kpiseal(&["explain", &folder_s, "pass_through.lines[0]", "--csv"]);
    assert!(ok && csv_text.starts_with("step,file,record,"), "{csv_text}");

    let path = folder.join("provenance.csv");
    let edited = edit_first_amount(&std::fs::read(&path).unwrap());
    std::fs::write(&path, edited).unwrap();
    let (ok, text) = kpiseal(&["explain", &folder_s, "kpis.gmv.amazon_us"]);
    assert!(!ok && text.contains("does not verify") && text.contains("provenance.csv"), "{text}");
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
    opts.fact_rows = true;
    let table = rows(read_seller_inputs(&ws, "acme-home", &opts).unwrap().provenance.facts().unwrap());
    // Exports are read in path order: the copy ("17723285873 (1).txt") comes first and counts.
    let (first, later) = ("exports/2026-10/acme-home/17723285873 (1).txt", "exports/2026-10/acme-home/17723285873.txt");
    // Rows dated outside the period are left out of both, for their date.
    let in_period = table.iter().filter(|r| (r.file == first || r.file == later) && !r.excluded.starts_with("dated "));
    let (left_out, counted): (Vec<&Row>, Vec<&Row>) = in_period.partition(|r| !r.excluded.is_empty());
    assert!(!left_out.is_empty() && left_out.iter().all(|r| r.file == later), "the later file is left out");
    assert!(counted.iter().all(|r| r.file == first), "the first is counted");
    assert_eq!(left_out.len(), counted.len(), "every row of the later file is listed");
    let dated = |file: &str| table.iter().filter(|r| r.file == file && r.excluded.starts_with("dated ")).count();
    assert_eq!(dated(first), dated(later), "each file's rows of other months are listed for their date");
    let why = &left_out[0].excluded;
    assert_eq!(why, &format!("repeats {first}"));
}

/// Runs `kpiseal verify FOLDER --workspace WS`; returns (exit code, output).
fn verify_with_workspace(folder: &Path, ws: &Path) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["verify", &folder.display().to_string(), "--workspace", &ws.display().to_string()])
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// The demo's final statements, run in a temporary workspace copy.
fn demo_statements() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    common::copy_dir(&common::demo(), &ws);
    let (ok, text) = kpiseal(&["run", "--workspace", &ws.display().to_string(), "--period", "2026-10", "--quiet"]);
    assert!(ok, "{text}");
    (dir, ws)
}

#[test]
fn verify_with_the_workspace_recomputes_every_figure_of_the_demo_from_its_rows() {
    let (_dir, ws) = demo_statements();
    for seller in ["acme-home", "sunny-gadgets", "rio-casa", "loja-mix"] {
        let folder = ws.join("out/2026-10").join(seller);
        for path in [folder.clone(), folder.join("evidence"), folder.join("evidence.zip")] {
            let (code, text) = verify_with_workspace(&path, &ws);
            assert_eq!(code, 0, "{text}");
            assert!(text.contains("PASS  rows  provenance.csv is what the inputs make"), "{text}");
            assert!(text.contains("  RECOMPUTED ("), "{text}");
            assert!(!text.contains("FAIL"), "{text}");
        }
    }
}

#[test]
fn an_edited_input_line_fails_verify_with_the_workspace_naming_the_figure_it_feeds() {
    let (_dir, ws) = demo_statements();
    let folder = ws.join("out/2026-10/acme-home");
    // The first sale of the Vendas export: its price, 718,00, becomes 719,00.
    let vendas = ws.join("exports/2026-10/acme-home/Vendas_BR_outubro_2026.csv");
    let text = std::fs::read_to_string(&vendas).unwrap();
    let edited = text.replacen(";Sim;2;718,00;", ";Sim;2;719,00;", 1);
    assert_ne!(edited, text);
    std::fs::write(&vendas, edited).unwrap();
    let (code, text) = verify_with_workspace(&folder, &ws);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("FAIL  inputs  the workspace's inputs are not the statement's"), "{text}");
    assert!(text.contains("Vendas_BR_outubro_2026.csv is sha256"), "{text}");
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("FAIL  rows")).collect();
    assert!(
        rows.iter().any(|l| l.contains("sales.gross_principal") && l.contains("Vendas_BR_outubro_2026.csv")),
        "{text}"
    );
    assert!(rows.iter().any(|l| l.contains("the rows of sales.net_proceeds of mercadolivre_br")), "{text}");
    assert!(text.contains("FAIL  kpis.gmv.mercadolivre_br  the statement prints 333718.70"), "{text}");
}

#[test]
fn an_edited_provenance_row_fails_verify_with_the_workspace_naming_the_figure() {
    let (_dir, ws) = demo_statements();
    let folder = ws.join("out/2026-10/acme-home");
    let path = folder.join("provenance.csv");
    let table = std::fs::read(&path).unwrap();
    let first = &groups(&table)[0];
    let edited = edit_first_amount(&table);
    std::fs::write(&path, edited).unwrap();
    let (code, text) = verify_with_workspace(&folder, &ws);
    assert_eq!(code, 1, "{text}");
    assert!(text.lines().any(|l| l.contains("FAIL") && l.contains("provenance.csv")), "the hash: {text}");
    let rows = text.lines().find(|l| l.contains("FAIL  rows")).unwrap_or_default();
    let named = if first.feeds.is_empty() { first.excluded.clone() } else { first.feeds.join(", ") };
    assert!(rows.contains(&named) && rows.contains("differ from what the inputs hold"), "{named}: {text}");
    assert!(text.contains("  NOT VALID ("), "{text}");
}

#[test]
fn explain_with_the_workspace_lists_each_row_with_its_line_and_counts_orders_exactly() {
    let (_dir, ws) = demo_statements();
    let folder = ws.join("out/2026-10/acme-home").display().to_string();
    let ws_s = ws.display().to_string();
    let (ok, text) = kpiseal(&["explain", &folder, "amazon_us.sales.orders"]);
    assert!(ok && text.contains("subtotal at most"), "three settlements: at most, from the groups: {text}");
    let (ok, text) = kpiseal(&["explain", &folder, "amazon_us.sales.orders", "--workspace", &ws_s]);
    assert!(ok, "{text}");
    let statement: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ws.join("out/2026-10/acme-home/statement.json")).unwrap()).unwrap();
    let orders =
        statement["markets"].as_array().unwrap().iter().find(|m| m["market"] == "amazon_us").unwrap()["orders"]
            .as_i64()
            .unwrap();
    assert!(text.contains(&format!("  subtotal {orders}\n")), "exact with the rows: {text}");
    // Each row with its line of the settlement, and the line itself.
    let row = text.lines().find(|l| l.contains("17723285873.txt:")).unwrap();
    let next = text.lines().skip_while(|l| *l != row).nth(1).unwrap();
    assert!(next.starts_with("      | ") && next.contains("Order"), "{row}\n{next}");
    let (ok, text) = kpiseal(&["explain", &folder, "pass_through.lines[3]", "--workspace", &ws_s, "--csv"]);
    assert!(ok && text.starts_with("step,file,line,") && text.contains(",costs/2026-10/acme-home.csv,5,"), "{text}");
}

#[test]
fn sales_outside_the_contract_term_are_listed_as_left_out_with_the_day_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    common::copy_dir(&common::demo(), &ws);
    let contract = ws.join("contracts/acme-home.toml");
    let text = std::fs::read_to_string(&contract).unwrap().replace("start = \"2026-01-01\"", "start = \"2026-10-15\"");
    std::fs::write(&contract, text).unwrap();
    // Month-long ads reports and costs of the first half are refused for a
    // term starting mid-month (tested with the term): left out here.
    let exports = ws.join("exports/2026-10/acme-home");
    std::fs::remove_file(exports.join("report-pads_report-715013696-9340539.xlsx")).unwrap();
    std::fs::remove_file(ws.join("costs/2026-10/acme-home.csv")).unwrap();
    let ws = Workspace::open(&ws).unwrap();
    let mut opts = RunOptions::new("2026-10".parse().unwrap());
    opts.allow_missing = [Market::AMAZON_US, Market::MERCADOLIVRE_BR].into_iter().collect();
    opts.fact_rows = true;
    let inputs = read_seller_inputs(&ws, "acme-home", &opts).unwrap();
    let table = groups(inputs.provenance.csv());
    let left_out: Vec<&Group> =
        table.iter().filter(|g| g.excluded == "dated before the contract term starts (2026-10-15)").collect();
    assert!(left_out.iter().any(|g| g.kind == "placed"), "sales before the term: {table:?}");
    for g in &left_out {
        assert!(g.feeds.is_empty() && g.dates.as_str() < "2026-10-15", "{g:?}");
    }
    // Every fact row left out for the term is dated before it, and every
    // counted sale is dated inside it.
    let facts = rows(inputs.provenance.facts().unwrap());
    let placed: Vec<&Row> = facts.iter().filter(|r| r.kind == "placed").collect();
    assert!(placed.iter().filter(|r| r.excluded.is_empty()).count() > 0);
    assert_eq!(
        placed.iter().filter(|r| !r.excluded.is_empty()).count(),
        left_out.iter().filter(|g| g.kind == "placed").map(|g| g.rows).sum::<usize>()
    );
}

#[test]
fn every_data_line_of_a_settlement_is_in_a_group_counted_or_left_out_for_its_date() {
    let ws = Workspace::open(&common::demo()).unwrap();
    let opts = RunOptions::new("2026-10".parse().unwrap());
    let table = groups(read_seller_inputs(&ws, "acme-home", &opts).unwrap().provenance.csv());
    let settlements = [
        "exports/2026-10/acme-home/17723285873.txt",
        "exports/2026-10/acme-home/Settlement_17732218302_20261008-20261022.txt",
        "exports/2026-10/acme-home/20261022-20261105 FlatFileV2 17735417441.txt",
    ];
    for file in settlements {
        let text = std::fs::read_to_string(common::demo().join(file)).unwrap();
        let mut listed = BTreeSet::new();
        for g in table.iter().filter(|g| g.file == file) {
            listed.extend(parse_line_set(&g.lines).unwrap());
        }
        // Line 1 is the header, line 2 the settlement's summary row (its total, no transaction).
        let data: BTreeSet<usize> = (3..=text.lines().count()).collect();
        let missing: Vec<&usize> = data.difference(&listed).collect();
        assert!(missing.is_empty(), "{file}: lines in no group: {missing:?}");
    }
    let before = table.iter().find(|g| g.file == settlements[0] && g.excluded == "dated before 2026-10").unwrap();
    assert_eq!(
        (before.record.as_str(), before.feeds.len(), before.dates.as_str()),
        ("row", 0, "2026-09-24/2026-09-30")
    );
    let after = table.iter().find(|g| g.file == settlements[2] && g.excluded == "dated after 2026-10").unwrap();
    assert!(after.dates.starts_with("2026-11-01"), "{after:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 4, ..proptest::prelude::ProptestConfig::default() })]

    /// Over generated workspaces (the three seller profiles: Amazon and
    /// Mercado Livre, Amazon alone with V1 and V2 settlements, Mercado Livre
    /// from XLSX with a rounding glitch; half-up and half-even contracts):
    /// every KPI of each market, each market count and each pass-through
    /// line of the statement is what its rows make, exactly (a ratio: its
    /// unrounded value rounds half-up to the printed one).
    #[test]
    fn every_figure_of_generated_statements_is_what_its_rows_make(seed in 0u64..1_000_000) {
        let dir = tempfile::tempdir().unwrap();
        let opts = GenerateOptions { seed, sellers: 3, orders: 80, ..GenerateOptions::default() };
        generate_workspace(dir.path(), &opts).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let mut run = RunOptions::new("2026-10".parse().unwrap());
        run.fact_rows = true;
        for seller in ws.sellers().unwrap() {
            let signing = kpiseal::statement::SigningBlock { key_id: "0000000000000000".into(), demo: true };
            let statement = kpiseal::pipeline::build_statement(&ws, &seller, &run, signing).unwrap();
            let provenance = statement.provenance.as_ref().unwrap();
            let (groups, facts) = (groups(provenance.csv()), rows(provenance.facts().unwrap()));
            let recomputed = kpiseal::reread::recompute(&statement, &groups, &facts).unwrap();
            proptest::prop_assert!(recomputed.len() > 20, "{}: {} figures", seller, recomputed.len());
            for r in &recomputed {
                proptest::prop_assert!(r.agrees, "seed {} {} {}: printed {}, rows make {}", seed, seller, r.figure, r.printed, r.made);
            }
        }
    }
}

#[test]
fn explain_derives_the_totals_and_every_fee_line_from_the_figures_they_are_made_of() {
    let (_dir, ws) = demo_statements();
    for seller in ["acme-home", "sunny-gadgets", "rio-casa", "loja-mix"] {
        let folder = ws.join("out/2026-10").join(seller);
        let (statement, ..) = kpiseal::explain::read_sealed(&folder, None).unwrap();
        let all = kpiseal::derivation::all(&statement);
        assert!(all.len() >= 8, "{seller}: {} derivations", all.len());
        for d in &all {
            assert!(d.agrees(), "{seller} {}: parts make {}, printed {}", d.figure, d.value, d.printed);
        }
        let amount_due = all.iter().find(|d| d.figure == "totals.amount_due").unwrap();
        assert!(amount_due.checked && amount_due.value == statement.totals.amount_due);
        // Each part names a figure explain walks or derives in turn.
        for reference in all.iter().flat_map(|d| &d.parts).filter_map(|p| p.reference.as_deref()) {
            for r in reference.split(", ") {
                let walks = kpiseal::derivation::derive(&statement, r).is_some()
                    || kpiseal::explain::explain(&statement, &[], None, r).is_ok();
                assert!(walks, "{seller}: {r} is neither derived nor explained");
            }
        }
        // A fee line that does not follow from its base and rate is caught.
        let mut altered = statement.clone();
        let line = altered.service_fees.lines.iter_mut().find(|l| l.base.is_some() && l.rate.is_some()).unwrap();
        line.amount += rust_decimal::Decimal::new(1, 2);
        let caught = kpiseal::derivation::all(&altered).into_iter().filter(|d| !d.agrees()).count();
        assert!(caught >= 2, "{seller}: the line and the subtotal differ");
    }
    let folder = ws.join("out/2026-10/acme-home").display().to_string();
    let (ok, text) = kpiseal(&["explain", &folder, "totals.amount_due"]);
    assert!(ok && text.contains("(explain pass_through.total)") && text.contains("the same"), "{text}");
}
