//! The text `kpiseal verify` prints for one verified path: the files read
//! and their SHA-256, which statement, which key, every check, and the
//! verdict: VALID, DRAFT — NOT A STATEMENT, or NOT VALID.

use std::fmt::Write;

use kpiseal_seal::keys::DEMO_KEY_ID;
use kpiseal_seal::verify::{KeyUsed, Kind, Verdict, Verification};

/// The report of `v`: what was read, what it says, one line per check, and
/// the verdict on the last line.
pub fn describe(v: &Verification) -> String {
    let mut out = String::new();
    let kind = match v.kind {
        Kind::Pdf => "PDF",
        Kind::StatementFolder => "statement folder",
        Kind::Bag => "evidence bag",
        Kind::Zip => "evidence zip",
        Kind::PeriodFolder => "period folder",
    };
    let _ = writeln!(out, "{} ({kind})", v.path.display());
    for f in &v.files {
        let _ = writeln!(out, "  file       {}  sha256 {}  {} bytes", f.path, f.sha256, f.bytes);
    }
    if let Some(m) = &v.manifest {
        let _ = writeln!(
            out,
            "  statement  {}  {} ({})  period {}  issued {}",
            m.statement_number, m.seller.legal_name, m.seller.id, m.period, m.issue_date
        );
        let _ = writeln!(out, "  issuer     {} ({})", m.provider.legal_name, m.provider.name);
        let _ = writeln!(out, "  amount due {} {}", m.figures.currency, m.figures.amount_due);
        if let Some(old) = &m.supersedes {
            let _ = writeln!(
                out,
                "  supersedes {} (manifest SHA-256 {}): {}",
                old.statement_number, old.manifest_sha256, old.reason
            );
        }
    }
    if v.kind == Kind::Pdf {
        let _ = writeln!(
            out,
            "  note       a PDF on its own shows who signed these bytes, not which statement they are: verify the \
             statement folder, its evidence bag or zip to tie this SHA-256 to a statement number"
        );
    }
    if let Some(p) = &v.period_manifest {
        let _ = writeln!(
            out,
            "  period     {}  {} statements  provider {} ({})",
            p.period, p.count, p.provider.legal_name, p.provider.name
        );
        let _ = writeln!(out, "  merkle root {}", p.merkle_root);
    }
    if let Some(s) = &v.statements {
        let not_found = if s.not_found.is_empty() { String::new() } else { format!(" ({})", s.not_found.join(", ")) };
        let _ = writeln!(
            out,
            "  statements {} listed: {} checked ({} VALID, {} not), {} not found beside the manifest{not_found}",
            s.listed,
            s.checked,
            s.valid,
            s.checked - s.valid,
            s.not_found.len()
        );
    }
    let _ = writeln!(out, "  key        {}", key_line(&v.key));
    if v.key.key_id().is_some_and(|k| k.to_string() == DEMO_KEY_ID) {
        let _ = writeln!(out, "  WARNING    signed with the public demo key: NOT A VALID STATEMENT");
    }
    for check in &v.checks {
        let _ = writeln!(out, "  {check}");
    }
    for record in &v.records {
        let _ = writeln!(out, "  RECORD {record}  a run summary for finance, not evidence: covered by no signature");
    }
    for extra in &v.extras {
        let _ = writeln!(out, "  EXTRA  {extra}  covered by no signature");
    }
    let failed = v.checks.iter().filter(|c| !c.passed).count();
    let _ = match v.verdict() {
        Verdict::Valid => writeln!(out, "  VALID ({} checks passed)", v.checks.len()),
        Verdict::Draft => writeln!(out, "  DRAFT — NOT A STATEMENT ({} checks passed)", v.checks.len()),
        Verdict::NotValid => writeln!(out, "  NOT VALID ({failed} of {} checks failed)", v.checks.len()),
    };
    out
}

fn key_line(key: &KeyUsed) -> String {
    match key {
        KeyUsed::Pinned(id) => format!("{id}, pinned: the key given with --key"),
        KeyUsed::Delivered { key_id, file } => format!(
            "{key_id}, delivered with the statement in {file}: UNPINNED (the signatures show the files are unaltered \
             since this key signed them, not whose key it is; pin it with --key)"
        ),
        KeyUsed::Embedded(id) => format!(
            "{id}, from the PDF's own certificate: UNPINNED (the signature shows the file is unaltered since this \
             key signed it, not whose key it is; pin it with --key)"
        ),
        KeyUsed::Unknown => "none could be read".to_string(),
    }
}
