//! The statement's trend: the last six periods' KPIs (those with targets)
//! and amount due, copied from the statements already issued (the
//! register's statement.json), gaps where a period has none, and drawn as
//! bar charts whose geometry follows the values.

mod common;

use std::fs;
use std::path::Path;

use lopdf::content::Content;
use rust_decimal::Decimal;
use serde_json::Value;

fn three_months() -> tempfile::TempDir {
    common::issued_months(3)
}

fn statement(ws: &Path, period: &str, seller: &str) -> Value {
    serde_json::from_slice(&fs::read(ws.join("out").join(period).join(seller).join("statement.json")).unwrap()).unwrap()
}

#[test]
fn the_trend_copies_each_issued_statements_figures_and_leaves_gaps_where_none_was_issued() {
    let ws = three_months();
    for seller in ["acme-home", "sunny-gadgets", "rio-casa"] {
        let oct = statement(ws.path(), "2026-10", seller);
        let t = &oct["trend"];
        let periods: Vec<&str> =
            t["periods"].as_array().unwrap().iter().map(|p| p["period"].as_str().unwrap()).collect();
        assert_eq!(periods, ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"], "{seller}");
        let issued: Vec<Value> = ["2026-08", "2026-09"].iter().map(|p| statement(ws.path(), p, seller)).collect();
        for (i, p) in t["periods"].as_array().unwrap().iter().enumerate() {
            match i {
                0..=2 => assert_eq!(
                    (&p["statement_number"], &t["amount_due"][i]),
                    (&Value::Null, &Value::Null),
                    "{seller} gap"
                ),
                3 | 4 => {
                    let st = &issued[i - 3];
                    assert_eq!(p["statement_number"], st["statement_number"], "{seller}");
                    assert_eq!(t["amount_due"][i]["amount_due"], st["totals"]["amount_due"], "{seller}");
                }
                _ => {
                    assert_eq!(p["statement_number"], oct["statement_number"]);
                    assert_eq!(t["amount_due"][i]["amount_due"], oct["totals"]["amount_due"]);
                }
            }
        }
        let with_targets = oct["kpis"].as_array().unwrap().iter().filter(|k| !k["target"].is_null()).count();
        let trend_kpis = t["kpis"].as_array().unwrap();
        assert!(!trend_kpis.is_empty() && trend_kpis.len() <= with_targets, "{seller}");
        for k in trend_kpis {
            let find = |st: &Value| -> Value {
                st["kpis"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["id"] == k["id"] && x["market"] == k["market"])
                    .unwrap()
                    .clone()
            };
            let points = k["points"].as_array().unwrap();
            for gap in &points[..3] {
                assert_eq!(gap, &serde_json::json!({"value": null, "status": null}), "{seller} {k}");
            }
            for (i, st) in issued.iter().enumerate() {
                let printed = find(st);
                // Byte for byte: the same string the statement printed.
                assert_eq!(
                    (&points[3 + i]["value"], &points[3 + i]["status"]),
                    (&printed["value"], &printed["status"]),
                    "{seller} {}",
                    k["id"]
                );
            }
            let now = find(&oct);
            assert_eq!((&points[5]["value"], &points[5]["status"]), (&now["value"], &now["status"]));
        }
    }
    // The first month issued has no earlier statement: no trend at all.
    assert!(statement(ws.path(), "2026-08", "acme-home").get("trend").is_none());
}

/// The fill colour of every rectangle filled on `page` of the PDF, with its
/// height, in drawing order.
fn filled_rectangles(pdf: &Path, page: u32) -> Vec<([f32; 3], f32)> {
    let doc = lopdf::Document::load(pdf).unwrap();
    let id = doc.get_pages()[&page];
    let content = Content::decode(&doc.get_page_content(id)).unwrap();
    let mut color = [0.0; 3];
    let mut out = Vec::new();
    let num = |o: &lopdf::Object| o.as_float().unwrap_or_else(|_| o.as_i64().unwrap() as f32);
    for op in content.operations {
        match op.operator.as_str() {
            "rg" | "sc" | "scn" if op.operands.len() == 3 => {
                color = [num(&op.operands[0]), num(&op.operands[1]), num(&op.operands[2])];
            }
            "re" => out.push((color, num(&op.operands[3]))),
            _ => {}
        }
    }
    out
}

#[test]
fn each_bar_is_as_high_as_its_value_on_its_charts_scale_and_red_when_the_period_was_in_alert() {
    let ws = three_months();
    let seller = "acme-home";
    let oct = statement(ws.path(), "2026-10", seller);
    let t = &oct["trend"];
    let dec = |v: &Value| -> Option<Decimal> { v.as_str().map(|s| s.parse().unwrap()) };
    // Expected bars, chart by chart: each KPI, then the amount due.
    let mut expected: Vec<(bool, f32)> = Vec::new();
    let mut push_chart = |values: Vec<Option<Decimal>>, flagged: Vec<bool>, target: Option<Decimal>| {
        let max = values.iter().flatten().chain(target.iter()).copied().fold(Decimal::ZERO, Decimal::max);
        for (v, f) in values.iter().zip(flagged) {
            if let Some(v) = v.filter(|v| *v > Decimal::ZERO) {
                let h = (v / max).to_string().parse::<f32>().unwrap().min(1.0) * 48.0;
                expected.push((f, h));
            }
        }
    };
    for k in t["kpis"].as_array().unwrap() {
        let points = k["points"].as_array().unwrap();
        push_chart(
            points.iter().map(|p| dec(&p["value"])).collect(),
            points.iter().map(|p| p["status"] == "alert" || p["status"] == "missed").collect(),
            dec(&k["target"]["value"]),
        );
    }
    let amounts = t["amount_due"].as_array().unwrap();
    push_chart(amounts.iter().map(|a| dec(&a["amount_due"])).collect(), vec![false; amounts.len()], None);
    assert!(expected.iter().any(|(red, _)| *red), "the demo has a period in alert: {expected:?}");

    let pdf = ws.path().join("out/2026-10").join(seller).join("statement.pdf");
    const BAR: [f32; 3] = [0.33, 0.47, 0.66];
    const ALERT: [f32; 3] = [0.70, 0.10, 0.10];
    let close = |a: [f32; 3], b: [f32; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 0.005);
    // Only the charts fill rectangles in these colours (tables shade in grey).
    let pages = lopdf::Document::load(&pdf).unwrap().get_pages().len() as u32;
    let bars: Vec<(bool, f32)> = (1..=pages)
        .flat_map(|page| filled_rectangles(&pdf, page))
        .filter(|(c, _)| close(*c, BAR) || close(*c, ALERT))
        .map(|(c, h)| (close(c, ALERT), h.abs()))
        .collect();
    assert_eq!(bars.len(), expected.len(), "{bars:?} vs {expected:?}");
    for ((red, h), (want_red, want_h)) in bars.iter().zip(&expected) {
        assert_eq!(red, want_red);
        assert!((h - want_h).abs() <= 1.0, "bar {h} pt, value says {want_h} pt");
    }
}
