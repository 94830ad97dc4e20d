//! A statement's lifecycle, as billing systems keep invoices: drafts may be
//! remade at will; a final statement, once issued, is never silently
//! regenerated. A re-run that would issue the very same statement (same
//! manifest bytes) is harmless and re-writes it; one that would issue a
//! different statement is refused, unless finance asks for a correction with
//! `--supersede "reason"`, which issues a new number (`<number>-R<k>`) whose
//! statement and manifest name the superseded statement's hashes and the
//! reason. The register (`crate::register`) records every final statement.

use std::path::Path;

use kpiseal_seal::manifest::{DRAFT_SUFFIX, Manifest, Supersedes};

use crate::register::Issued;
use crate::sealing::{MANIFEST_JSON, STATEMENT_PDF};

/// What kind of statement a run makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueMode {
    /// A final statement: issued once; an identical re-run is harmless.
    Final,
    /// A watermarked draft in `<out>/drafts/<period>/`, overwritten freely
    /// and never registered.
    Draft,
    /// A correction replacing the current final statement, for this reason.
    Supersede { reason: String },
}

/// The final statement currently in force for a seller and period: the
/// register's latest entry, or, if the register has none (it lost lines, or
/// a crash came between the folder's rename and the register's append), the
/// statement in the seller's folder, which only `--resume` may take over
/// (`LifecycleError::Unregistered` otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    pub statement_number: String,
    pub manifest_sha256: String,
    pub statement_pdf_sha256: String,
    pub supersedes: Option<Supersedes>,
    /// True when known from the register, false when only from the folder.
    pub registered: bool,
}

impl Prior {
    /// The prior statement a register entry describes.
    pub fn from_register(entry: &Issued) -> Prior {
        Prior {
            statement_number: entry.statement_number.clone(),
            manifest_sha256: entry.manifest_sha256.clone(),
            statement_pdf_sha256: entry.statement_pdf_sha256.clone(),
            supersedes: entry.supersedes.clone(),
            registered: true,
        }
    }

    /// The statement in `folder`, if it holds a readable manifest listing a
    /// statement.pdf. (Its signatures are not checked here: this only
    /// decides what a re-run must not overwrite.)
    pub fn from_folder(folder: &Path) -> Option<Prior> {
        let bytes = std::fs::read(folder.join(MANIFEST_JSON)).ok()?;
        let manifest = Manifest::from_json(&bytes).ok()?;
        let pdf = manifest.outputs.iter().find(|o| o.name == STATEMENT_PDF)?;
        Some(Prior {
            statement_number: manifest.statement_number.clone(),
            manifest_sha256: kpiseal_seal::manifest::hash_bytes(&bytes).sha256,
            statement_pdf_sha256: pdf.sha256.clone(),
            supersedes: manifest.supersedes,
            registered: false,
        })
    }
}

/// The number and `supersedes` block a new statement gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub statement_number: String,
    pub supersedes: Option<Supersedes>,
}

/// Why a seller's statement was not (re)issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error(
        "final statement {number} was already issued (manifest SHA-256 {issued}) and these inputs now give a different \
         statement (manifest SHA-256 {now}); nothing was written. To correct it, re-run with --supersede \"<reason>\" \
         for this seller"
    )]
    AlreadyIssued { number: String, issued: String, now: String },
    #[error(
        "final statement {number} was already issued with these same figures (its statement.json is byte for byte \
         this run's), but the sealed files differ: {difference}. Nothing was written. Re-run as the statement was \
         issued, or make a reviewer's copy with --draft"
    )]
    SameFiguresOtherFiles { number: String, difference: String },
    #[error(
        "--supersede: no final statement has been issued for this seller and period, so there is nothing to supersede"
    )]
    NothingToSupersede,
    #[error("--supersede needs a reason (the statement prints it)")]
    EmptyReason,
    #[error(
        "{folder} holds final statement {number} (manifest SHA-256 {manifest_sha256}), but statements.log does not \
         list it: the register lost lines (truncated, or restored from an older copy) or a run crashed between \
         writing the folder and registering it. Nothing was written. Re-run with --resume: it verifies the folder \
         and registers the statement if it is intact"
    )]
    Unregistered { number: String, folder: String, manifest_sha256: String },
}

/// The identity of the statement a run in `mode` makes over `prior`:
/// a draft is numbered `<base_number>-DRAFT`, a number no final statement
/// has; a first issue keeps the contract's `base_number`; a re-run over a final
/// statement rebuilds that statement's identity (so an unchanged month
/// gives the same bytes again, corrections included); a supersede takes the
/// next revision number and names `prior`.
///
/// # Errors
/// [`LifecycleError::NothingToSupersede`] for a supersede without a prior
/// statement; [`LifecycleError::EmptyReason`] for a blank reason.
pub fn identity(mode: &IssueMode, prior: Option<&Prior>, base_number: &str) -> Result<Identity, LifecycleError> {
    match (mode, prior) {
        (IssueMode::Draft, _) => {
            Ok(Identity { statement_number: format!("{base_number}{DRAFT_SUFFIX}"), supersedes: None })
        }
        (IssueMode::Final, None) => Ok(Identity { statement_number: base_number.to_string(), supersedes: None }),
        (IssueMode::Final, Some(p)) => {
            Ok(Identity { statement_number: p.statement_number.clone(), supersedes: p.supersedes.clone() })
        }
        (IssueMode::Supersede { reason }, _) if reason.trim().is_empty() => Err(LifecycleError::EmptyReason),
        (IssueMode::Supersede { .. }, None) => Err(LifecycleError::NothingToSupersede),
        (IssueMode::Supersede { reason }, Some(p)) => Ok(Identity {
            statement_number: next_revision(&p.statement_number),
            supersedes: Some(Supersedes {
                statement_number: p.statement_number.clone(),
                manifest_sha256: p.manifest_sha256.clone(),
                statement_pdf_sha256: p.statement_pdf_sha256.clone(),
                reason: reason.trim().to_string(),
            }),
        }),
    }
}

/// What writing a sealed final statement means given `prior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reissue {
    /// No statement was issued before: a first issue.
    First,
    /// The same statement again (identical manifest): written again
    /// byte for byte, registered if the register lacked it.
    Unchanged,
    /// A correction: the prior folder is archived, the new one issued.
    Correction,
}

/// Decides whether a sealed final statement whose manifest hashes to
/// `manifest_sha256` may be written over `prior` in `mode`.
///
/// # Errors
/// [`LifecycleError::AlreadyIssued`] when a final run would replace a
/// different issued statement.
pub fn reissue(mode: &IssueMode, prior: Option<&Prior>, manifest_sha256: &str) -> Result<Reissue, LifecycleError> {
    match (mode, prior) {
        (_, None) => Ok(Reissue::First),
        (IssueMode::Supersede { .. }, Some(_)) => Ok(Reissue::Correction),
        (_, Some(p)) if p.manifest_sha256 == manifest_sha256 => Ok(Reissue::Unchanged),
        (_, Some(p)) => Err(LifecycleError::AlreadyIssued {
            number: p.statement_number.clone(),
            issued: p.manifest_sha256.clone(),
            now: manifest_sha256.to_string(),
        }),
    }
}

/// The number of the correction of statement `number`: `<number>-R1`, and
/// `<base>-R<k+1>` for `<base>-R<k>`.
pub fn next_revision(number: &str) -> String {
    if let Some((base, k)) = number.rsplit_once("-R")
        && !k.is_empty()
        && !k.starts_with('0')
        && k.bytes().all(|b| b.is_ascii_digit())
        && let Ok(k) = k.parse::<u32>()
    {
        return format!("{base}-R{}", k + 1);
    }
    format!("{number}-R1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(number: &str) -> Prior {
        Prior {
            statement_number: number.into(),
            manifest_sha256: "a".repeat(64),
            statement_pdf_sha256: "b".repeat(64),
            supersedes: None,
            registered: true,
        }
    }

    #[test]
    fn revisions_count_up_from_r1() {
        assert_eq!(next_revision("KPI-202610-acme"), "KPI-202610-acme-R1");
        assert_eq!(next_revision("KPI-202610-acme-R1"), "KPI-202610-acme-R2");
        assert_eq!(next_revision("KPI-202610-acme-R9"), "KPI-202610-acme-R10");
        assert_eq!(next_revision("KPI-202610-acme-Rx"), "KPI-202610-acme-Rx-R1");
        assert_eq!(next_revision("KPI-202610-acme-R"), "KPI-202610-acme-R-R1");
        assert_eq!(next_revision("KPI-202610-acme-R01"), "KPI-202610-acme-R01-R1");
    }

    #[test]
    fn a_first_issue_keeps_the_contract_number_and_a_draft_never_shares_it() {
        let first = identity(&IssueMode::Final, None, "N").unwrap();
        assert_eq!(first, Identity { statement_number: "N".into(), supersedes: None });
        for p in [None, Some(prior("N")), Some(prior("N-R3"))] {
            let draft = identity(&IssueMode::Draft, p.as_ref(), "N").unwrap();
            assert_eq!(draft, Identity { statement_number: "N-DRAFT".into(), supersedes: None });
        }
    }

    #[test]
    fn a_final_rerun_over_a_correction_rebuilds_the_corrections_identity() {
        let mut p = prior("N-R1");
        p.supersedes = Some(Supersedes {
            statement_number: "N".into(),
            manifest_sha256: "c".repeat(64),
            statement_pdf_sha256: "d".repeat(64),
            reason: "late refund".into(),
        });
        let id = identity(&IssueMode::Final, Some(&p), "N").unwrap();
        assert_eq!(id.statement_number, "N-R1");
        assert_eq!(id.supersedes, p.supersedes);
    }

    #[test]
    fn a_supersede_names_the_prior_statement_its_hashes_and_the_reason() {
        let mode = IssueMode::Supersede { reason: "  corrected PTAX rate ".into() };
        let id = identity(&mode, Some(&prior("N")), "N").unwrap();
        assert_eq!(id.statement_number, "N-R1");
        let s = id.supersedes.unwrap();
        assert_eq!(
            (s.statement_number.as_str(), s.manifest_sha256, s.statement_pdf_sha256, s.reason.as_str()),
            ("N", "a".repeat(64), "b".repeat(64), "corrected PTAX rate")
        );
        assert_eq!(identity(&mode, None, "N"), Err(LifecycleError::NothingToSupersede));
        let blank = IssueMode::Supersede { reason: " ".into() };
        assert_eq!(identity(&blank, Some(&prior("N")), "N"), Err(LifecycleError::EmptyReason));
    }

    #[test]
    fn a_final_run_refuses_to_replace_a_different_issued_statement() {
        let p = prior("N");
        assert_eq!(reissue(&IssueMode::Final, None, &"e".repeat(64)), Ok(Reissue::First));
        assert_eq!(reissue(&IssueMode::Final, Some(&p), &"a".repeat(64)), Ok(Reissue::Unchanged));
        let refused = reissue(&IssueMode::Final, Some(&p), &"e".repeat(64)).unwrap_err();
        assert!(refused.to_string().contains("--supersede"), "{refused}");
        let mode = IssueMode::Supersede { reason: "r".into() };
        assert_eq!(reissue(&mode, Some(&p), &"e".repeat(64)), Ok(Reissue::Correction));
    }
}
