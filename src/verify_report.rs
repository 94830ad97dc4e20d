//! The text `kpiseal verify` prints for one verified path: who signed,
//! which statement, every check, and the verdict.

use std::fmt::Write;

use kpiseal_seal::verify::{Kind, Verification};

use crate::seal_config::DEMO_KEY_ID;

/// The report of `v`, one line per check, ending with VALID or INVALID.
pub fn describe(v: &Verification) -> String {
    let mut out = String::new();
    let kind = match v.kind {
        Kind::Pdf => "PDF",
        Kind::StatementFolder => "statement folder",
        Kind::Bag => "evidence bag",
        Kind::Zip => "evidence zip",
        Kind::PeriodManifest => "period manifest",
    };
    let _ = writeln!(out, "{} ({kind})", v.path.display());
    if let Some(m) = &v.manifest {
        let _ = writeln!(
            out,
            "  statement  {}  {} ({})  period {}  issued {}",
            m.statement_number, m.seller.legal_name, m.seller.id, m.period, m.issue_date
        );
        let _ = writeln!(out, "  amount due {} {}", m.figures.currency, m.figures.amount_due);
        if let Some(old) = &m.supersedes {
            let _ = writeln!(
                out,
                "  supersedes {} (manifest SHA-256 {}): {}",
                old.statement_number, old.manifest_sha256, old.reason
            );
        }
    }
    if let Some(p) = &v.period_manifest {
        let _ = writeln!(
            out,
            "  period     {}  {} statements  provider {} ({})",
            p.period, p.count, p.provider.legal_name, p.provider.name
        );
        let _ = writeln!(out, "  merkle root {}", p.merkle_root);
    }
    match (v.signer, v.pinned) {
        (Some(key), true) => {
            let _ = writeln!(out, "  signer     key {key} (pinned: the key given with --key)");
        }
        (Some(key), false) => {
            let _ = writeln!(
                out,
                "  signer     key {key} (UNPINNED: no --key given; the signatures show the files are unaltered since \
                 this key signed them, not whose key it is)"
            );
        }
        (None, _) => {
            let _ = writeln!(out, "  signer     unknown (no signature found)");
        }
    }
    if v.signer.is_some_and(|k| k.to_string() == DEMO_KEY_ID) {
        let _ = writeln!(out, "  WARNING    signed with the public demo key: NOT A VALID STATEMENT");
    }
    for check in &v.checks {
        let _ = writeln!(out, "  {check}");
    }
    let failed = v.checks.iter().filter(|c| !c.passed).count();
    if v.is_valid() {
        let _ = writeln!(out, "  VALID ({} checks passed)", v.checks.len());
    } else {
        let _ = writeln!(out, "  INVALID ({failed} of {} checks failed)", v.checks.len());
    }
    out
}
