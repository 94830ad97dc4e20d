//! `kpiseal review`: the 复盘 document across months, built from the
//! statements already issued (never recomputed), as review.json and
//! review.csv.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use rust_decimal::Decimal;
use serde_json::Value;

fn review(ws: &Path, seller: &str, from: &str, to: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kpiseal"))
        .args(["review", "--workspace"])
        .arg(ws)
        .args(["--seller", seller, "--from", from, "--to", to])
        .output()
        .unwrap()
}

fn statement(ws: &Path, period: &str, seller: &str) -> Value {
    serde_json::from_slice(&fs::read(ws.join("out").join(period).join(seller).join("statement.json")).unwrap()).unwrap()
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn a_review_sums_the_issued_statements_counts_each_kpis_statuses_and_lists_gaps() {
    let ws = common::issued_months(3);
    let done = review(ws.path(), "acme-home", "2026-07", "2026-10");
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let dir = ws.path().join("out/reviews/acme-home_2026-07_2026-10");
    let r: Value = serde_json::from_slice(&fs::read(dir.join("review.json")).unwrap()).unwrap();
    let months = ["2026-08", "2026-09", "2026-10"];
    let issued: Vec<Value> = months.iter().map(|p| statement(ws.path(), p, "acme-home")).collect();

    let periods = r["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 4);
    assert_eq!((&periods[0]["period"], &periods[0]["statement"]), (&Value::from("2026-07"), &Value::Null), "a gap");
    for (p, st) in periods[1..].iter().zip(&issued) {
        assert_eq!(p["statement"]["statement_number"], st["statement_number"]);
        assert_eq!(p["statement"]["amount_due"], st["totals"]["amount_due"]);
        assert_eq!(p["statement"]["manifest_sha256"].as_str().unwrap().len(), 64);
    }

    // Totals are the sums of the statements' own figures.
    let total = |f: &dyn Fn(&Value) -> Decimal| issued.iter().map(f).sum::<Decimal>();
    assert_eq!(dec(&r["amount_due"][0]["total"]), total(&|st| dec(&st["totals"]["amount_due"])));
    for sum in r["service_fees"].as_array().unwrap() {
        let kind = sum["key"].as_str().unwrap();
        let expected = total(&|st| {
            st["service_fees"]["lines"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["kind"] == kind)
                .map(|l| dec(&l["amount"]))
                .sum()
        });
        assert_eq!(dec(&sum["total"]), expected, "{kind}");
    }
    let pass: Decimal = r["pass_through"].as_array().unwrap().iter().map(|s| dec(&s["total"])).sum();
    assert_eq!(pass, total(&|st| dec(&st["pass_through"]["total"])));
    for m in r["markets"].as_array().unwrap() {
        let of = |st: &Value, field: &str| -> Decimal {
            st["markets"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| x["market"] == m["market"])
                .map(|x| dec(&x[field]))
                .sum()
        };
        assert_eq!(dec(&m["net_proceeds"]), total(&|st| of(st, "net_proceeds")), "{}", m["market"]);
        assert_eq!(dec(&m["platform_fees"]), total(&|st| of(st, "platform_fees")), "{}", m["market"]);
    }

    // Each KPI with a target: its values as printed, and its statuses counted.
    for k in r["kpis"].as_array().unwrap() {
        let points = k["points"].as_array().unwrap();
        assert_eq!(points[0], serde_json::json!({"value": null, "status": null}));
        let mut counts = (0, 0, 0);
        for (point, st) in points[1..].iter().zip(&issued) {
            let printed = st["kpis"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == k["id"] && x["market"] == k["market"])
                .unwrap();
            assert_eq!((&point["value"], &point["status"]), (&printed["value"], &printed["status"]));
            match printed["status"].as_str().unwrap() {
                "met" => counts.0 += 1,
                "alert" => counts.1 += 1,
                "missed" => counts.2 += 1,
                _ => {}
            }
        }
        assert_eq!(
            (k["met"].as_u64().unwrap(), k["alert"].as_u64().unwrap(), k["missed"].as_u64().unwrap()),
            counts,
            "{}",
            k["id"]
        );
    }

    // The spreadsheet: a row per month, the gap empty.
    let csv = fs::read_to_string(dir.join("review.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 5);
    assert!(rows[0].starts_with("period,statement_number,manifest_sha256,currency,amount_due"));
    assert!(rows[1].starts_with("2026-07,,,"));
    assert!(rows[4].starts_with(&format!("2026-10,{},", issued[2]["statement_number"].as_str().unwrap())));
}

#[test]
fn a_review_without_any_issued_month_is_refused_and_writes_nothing() {
    let ws = common::issued_months(1);
    let done = review(ws.path(), "acme-home", "2026-01", "2026-03");
    assert_eq!(done.status.code(), Some(2));
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(err.contains("has no statement in force for acme-home from 2026-01 to 2026-03"), "{err}");
    assert!(!ws.path().join("out/reviews").exists());
    let backwards = review(ws.path(), "acme-home", "2026-10", "2026-09");
    assert_eq!(backwards.status.code(), Some(2));
}

#[test]
fn the_review_pdf_carries_review_json_is_signed_like_a_statement_and_is_pdfa() {
    let ws = common::issued_months(2);
    let done = review(ws.path(), "sunny-gadgets", "2026-09", "2026-10");
    assert_eq!(done.status.code(), Some(0), "{}", String::from_utf8_lossy(&done.stderr));
    let dir = ws.path().join("out/reviews/sunny-gadgets_2026-09_2026-10");
    // One market: its GMV target is reviewed once, under the market's name.
    let r: Value = serde_json::from_slice(&fs::read(dir.join("review.json")).unwrap()).unwrap();
    let gmv: Vec<&Value> = r["kpis"].as_array().unwrap().iter().filter(|k| k["id"] == "gmv").collect();
    assert_eq!(gmv.len(), 1, "{gmv:?}");
    assert_eq!(gmv[0]["market"], "amazon_us");
    let pdf = dir.join("review.pdf");
    let bytes = fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-1.7"));
    // Made again from the same statements: the same bytes, signature included.
    let again = review(ws.path(), "sunny-gadgets", "2026-09", "2026-10");
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(fs::read(&pdf).unwrap(), bytes, "deterministic");

    if common::tools_present(&["pdfsig", "pdfdetach"]) {
        let sig = Command::new("pdfsig").arg(&pdf).output().unwrap();
        let text = String::from_utf8_lossy(&sig.stdout);
        assert!(text.contains("Signature is Valid.") && text.contains("Total document signed"), "{text}");
        let out = tempfile::tempdir().unwrap();
        let saved = out.path().join("attached.json");
        let detach =
            Command::new("pdfdetach").args(["-savefile", "review.json", "-o"]).arg(&saved).arg(&pdf).output().unwrap();
        assert!(detach.status.success(), "{}", String::from_utf8_lossy(&detach.stderr));
        assert_eq!(fs::read(&saved).unwrap(), fs::read(dir.join("review.json")).unwrap());
    }
    if common::python_module_present("page", "page-validation") {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pdfa-check.py");
        let check = Command::new("python3").arg(script).arg(&pdf).output().unwrap();
        assert!(
            check.status.success(),
            "{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
    }
}
