//! Files a run would not read: nothing in a period's folders is silently
//! ignored.
//!
//! A seller's inputs for a period are the files in
//! `exports/<period>/<seller>/`, the ledger `costs/<period>/<seller>.csv` and
//! the FX files `fx/<period>.csv`, `fx/<period>-<name>.csv`. Anything else in
//! `exports/<period>/`, `costs/<period>/` or `fx/` that may belong to the
//! period is a stray: a second download (`acme-home (1).csv`), a file in a
//! sub-folder, a renamed file. [`Strays::scan`] lists them once per period
//! and says whose they are:
//!
//! - an entry whose name starts with a seller id (followed by anything but a
//!   letter or digit: `acme-home (1).csv`, `acme-home.zip`) is that seller's
//!   (the longest such id wins);
//! - an entry naming no seller is *unclaimed*: it may hold any seller's
//!   money, so it is every seller's, except a byte-identical copy of one
//!   seller's ledger, which is that seller's;
//! - a file of `fx/` named for the period but not read (`fx/2026-10 (1).csv`),
//!   or named for no period at all (`fx/rates.csv`), is every seller's; files
//!   named for other periods (`fx/2026-09.csv`) are theirs.
//!
//! Hidden files (names starting with `.`) are not inputs and not strays.
//! What a stray means for a statement (refused, or a note for a
//! byte-identical copy) is [`report`]'s to say.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use crate::error::{Error, InputError};
use crate::notes::{Findings, NoteKind};
use crate::period::Period;
use crate::statement::InputRecord;
use crate::workspace::Workspace;

/// The strays of one period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strays {
    /// Per seller id: its entries in `exports/<period>/` other than its
    /// folder, and in `costs/<period>/` other than its ledger.
    by_seller: BTreeMap<String, SellerStrays>,
    /// Entries of `exports/<period>/` naming no seller.
    pub unclaimed_exports: Vec<String>,
    /// Entries of `costs/<period>/` naming no seller, each with the seller
    /// whose ledger it is a byte-identical copy of, if any.
    pub unclaimed_costs: Vec<(String, Option<String>)>,
    /// Files of `fx/` not read for the period: named for it but not as read,
    /// or named for no period.
    pub fx: Vec<String>,
}

/// One seller's strays (workspace-relative paths, sorted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SellerStrays {
    pub exports: Vec<String>,
    pub costs: Vec<String>,
}

impl Strays {
    /// Lists the strays of `period` in `ws`, for the sellers with a contract.
    ///
    /// # Errors
    /// [`Error::Io`] when a folder that exists cannot be listed.
    pub fn scan(ws: &Workspace, period: Period) -> Result<Strays, Error> {
        let sellers: BTreeSet<String> = ws.sellers()?.into_iter().collect();
        let mut strays = Strays::default();

        let exports = format!("exports/{period}");
        for (name, is_dir) in entries(&ws.root.join(&exports))? {
            if is_dir && sellers.contains(&name) {
                continue;
            }
            let path = format!("{exports}/{name}");
            match owner(&name, &sellers) {
                Some(seller) => strays.by_seller.entry(seller).or_default().exports.push(path),
                None => strays.unclaimed_exports.push(path),
            }
        }

        let costs = format!("costs/{period}");
        let mut unclaimed_costs = Vec::new();
        for (name, is_dir) in entries(&ws.root.join(&costs))? {
            if !is_dir && name.strip_suffix(".csv").is_some_and(|id| sellers.contains(id)) {
                continue;
            }
            let path = format!("{costs}/{name}");
            match owner(&name, &sellers) {
                Some(seller) => strays.by_seller.entry(seller).or_default().costs.push(path),
                None => unclaimed_costs.push((path, is_dir)),
            }
        }
        if !unclaimed_costs.is_empty() {
            // Whose ledger each unclaimed file copies: hash every ledger once.
            let mut ledgers = BTreeMap::new();
            for seller in &sellers {
                if let Some(rel) = ws.cost_file(period, seller) {
                    ledgers.entry(sha256_of(ws, &rel)?).or_insert_with(|| seller.clone());
                }
            }
            for (path, is_dir) in unclaimed_costs {
                let copy_of = if is_dir { None } else { ledgers.get(&sha256_of(ws, &path)?).cloned() };
                strays.unclaimed_costs.push((path, copy_of));
            }
        }

        let fx = ws.root.join("fx");
        let read: BTreeSet<String> =
            if fx.is_dir() { ws.fx_files(period)?.into_iter().collect() } else { BTreeSet::new() };
        for (name, _) in entries(&fx)? {
            let path = format!("fx/{name}");
            let ours = match named_for(&name) {
                Some(p) => p == period,
                None => true,
            };
            if ours && !read.contains(&path) {
                strays.fx.push(path);
            }
        }
        Ok(strays)
    }

    /// `seller`'s own strays.
    pub fn of(&self, seller: &str) -> SellerStrays {
        self.by_seller.get(seller).cloned().unwrap_or_default()
    }
}

/// Reports what `seller`'s statement for `period` would not read, given
/// the files it did read (`read`, with their SHA-256):
///
/// - its own strays in `exports/<period>/` and sub-folders of its export
///   folder are refused;
/// - its own strays in `costs/<period>/` and the period's unread FX files
///   are noted as [`NoteKind::DuplicateFile`] when byte-identical to a file
///   that was read (the ledger, an FX file), refused otherwise;
/// - unclaimed entries are refused when the seller has none of its own
///   (no export folder; no ledger), since they may be its inputs.
///
/// # Errors
/// [`Error::Io`] when a folder or a stray cannot be read; an internal error
/// when a note has no text.
pub fn report(
    ws: &Workspace,
    period: Period,
    seller: &str,
    read: &[InputRecord],
    findings: &mut Findings,
) -> Result<(), Error> {
    let strays = ws.strays(period)?;
    let mine = strays.of(seller);
    let exports = format!("exports/{period}/{seller}");
    let ledger = format!("costs/{period}/{seller}.csv");
    for path in &mine.exports {
        findings.refuse(InputError::file(
            path,
            format!(
                "not read: {seller}'s exports for {period} are the files directly in {exports}/. Move the exports it holds there (each once) or remove it"
            ),
        ));
    }
    for path in export_subfolders(ws, period, seller)? {
        findings.refuse(InputError::file(
            &path,
            format!(
                "not read: a folder inside {exports}/ is not an export, and not a market's folder (named by its market: amazon_br, shopee_br, shopify-<store>, …). Move the exports it holds into {exports}/ or their market's folder (each once), or the folder out of it"
            ),
        ));
    }
    // The file read that `path` is a byte-identical copy of, among those `candidate` accepts.
    let copy_of = |path: &str, candidate: &dyn Fn(&InputRecord) -> bool| -> Result<Option<String>, Error> {
        let file = ws.read(path)?;
        let sha256 = file.sha256_hex();
        Ok(read.iter().find(|r| candidate(r) && r.sha256 == sha256).map(|r| r.path.clone()))
    };
    let has_ledger = ws.cost_file(period, seller).is_some();
    for path in &mine.costs {
        match copy_of(path, &|r| r.path == ledger)? {
            Some(kept) => findings.note(NoteKind::DuplicateFile { kept: kept.clone(), dropped: path.clone() }, vec![path.clone(), kept])?,
            None if has_ledger => findings.refuse(InputError::file(
                path,
                format!(
                    "not read: {seller}'s cost ledger for {period} is {ledger} alone. Merge the lines it holds into that file (each invoice once) or remove it"
                ),
            )),
            None => findings.refuse(InputError::file(
                path,
                format!(
                    "not read: {seller}'s cost ledger for {period} must be named {ledger}, which does not exist. Rename this file if it is the ledger, or remove it"
                ),
            )),
        }
    }
    for path in &strays.fx {
        match copy_of(path, &|r| r.path.starts_with("fx/"))? {
            Some(kept) => findings.note(NoteKind::DuplicateFile { kept: kept.clone(), dropped: path.clone() }, vec![path.clone(), kept])?,
            None => findings.refuse(InputError::file(
                path,
                format!(
                    "not read: the FX files for {period} are fx/{period}.csv and fx/{period}-<name>.csv. Rename it to one of those (each rate once) or remove it"
                ),
            )),
        }
    }
    for path in &strays.unclaimed_exports {
        findings.refuse(InputError::file(
            path,
            format!(
                "not read: it names no seller (exports are in exports/{period}/<seller>/ for a seller with a contract), so it may hold any seller's money. Rename it for its seller, or remove it"
            ),
        ));
    }
    for (path, copy_of) in &strays.unclaimed_costs {
        match copy_of {
            Some(s) if s == seller => findings.note(
                NoteKind::DuplicateFile { kept: ledger.clone(), dropped: path.clone() },
                vec![path.clone(), ledger.clone()],
            )?,
            Some(_) => {}
            None => findings.refuse(InputError::file(
                path,
                format!(
                    "not read: it names no seller (ledgers are costs/{period}/<seller>.csv for a seller with a contract), so it may hold any seller's costs. Rename it for its seller, or remove it"
                ),
            )),
        }
    }
    Ok(())
}

/// Folders of a seller's export folder (`exports/<period>/<seller>/`)
/// that are not read: those not named for a market
/// ([`crate::market::Market::folder`]), and any folder inside a market's
/// (workspace-relative paths, sorted).
///
/// # Errors
/// [`Error::Io`] when a folder exists but cannot be listed.
pub fn export_subfolders(ws: &Workspace, period: Period, seller: &str) -> Result<Vec<String>, Error> {
    let rel = format!("exports/{period}/{seller}");
    let mut out = Vec::new();
    for (name, dir) in entries(&ws.root.join(&rel))? {
        if !dir {
            continue;
        }
        let path = format!("{rel}/{name}");
        if crate::market::Market::of_folder(&name).is_none() {
            out.push(path);
            continue;
        }
        let inner = entries(&ws.root.join(&path))?.into_iter().filter(|(_, dir)| *dir);
        out.extend(inner.map(|(n, _)| format!("{path}/{n}")));
    }
    out.sort();
    Ok(out)
}

/// The period an FX file is named for (`2026-10.csv`, `2026-10-ptax.csv`,
/// `2026-10 (1).csv`: its first seven characters, not followed by a digit).
fn named_for(name: &str) -> Option<Period> {
    let head = name.get(..7)?;
    let rest = &name[7..];
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    head.parse().ok()
}

/// The SHA-256 of the workspace file `rel`.
fn sha256_of(ws: &Workspace, rel: &str) -> Result<String, Error> {
    Ok(ws.read(rel)?.sha256_hex())
}

/// The seller an entry named `name` belongs to: the longest seller id that
/// `name` starts with, followed by its end or a character that is not a
/// letter or digit.
fn owner(name: &str, sellers: &BTreeSet<String>) -> Option<String> {
    let boundaries = name.char_indices().filter(|(_, c)| !c.is_alphanumeric()).map(|(i, _)| i);
    boundaries
        .chain([name.len()])
        .filter(|&i| i > 0)
        .map(|i| &name[..i])
        .rfind(|id| sellers.contains(*id))
        .map(str::to_string)
}

/// The non-hidden entries of `dir` (name, is a folder), sorted by name;
/// none when `dir` does not exist.
fn entries(dir: &Path) -> Result<Vec<(String, bool)>, Error> {
    let list = match fs::read_dir(dir) {
        Ok(list) => list,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut out = Vec::new();
    for entry in list {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        out.push((name, entry.path().is_dir()));
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_entry_belongs_to_the_longest_seller_id_it_starts_with() {
        let sellers = ids(&["acme", "acme-home", "rio"]);
        assert_eq!(owner("acme-home (1).csv", &sellers).as_deref(), Some("acme-home"));
        assert_eq!(owner("acme (1).csv", &sellers).as_deref(), Some("acme"));
        assert_eq!(owner("acme-garden.csv", &sellers).as_deref(), Some("acme"));
        assert_eq!(owner("acme-home", &sellers).as_deref(), Some("acme-home"));
        assert_eq!(owner("acmehome.csv", &sellers), None, "a longer word is another name");
        assert_eq!(owner("rio-casa.csv", &sellers).as_deref(), Some("rio"));
        assert_eq!(owner("Acme.csv", &sellers), None);
    }

    fn workspace(files: &[&str]) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("kpiseal.toml"), "[provider]\nname = \"P\"\nlegal_name = \"P Ltd\"\n").unwrap();
        for f in files {
            let path = dir.path().join(f);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            if f.ends_with('/') {
                fs::create_dir_all(&path).unwrap();
            } else {
                fs::write(&path, f).unwrap();
            }
        }
        let ws = Workspace::open(dir.path()).unwrap();
        (dir, ws)
    }

    #[test]
    fn a_period_lists_every_entry_no_seller_reads() {
        let (_dir, ws) = workspace(&[
            "contracts/acme-home.toml",
            "contracts/rio.toml",
            "exports/2026-10/acme-home/a.txt",
            "exports/2026-10/acme-home/old/b.txt",
            "exports/2026-10/acme-home (1)/a.txt",
            "exports/2026-10/rio/v.csv",
            "exports/2026-10/nobody/x.txt",
            "exports/2026-10/.DS_Store",
            "exports/2026-09/acme-home (1)/a.txt",
            "costs/2026-10/acme-home.csv",
            "costs/2026-10/acme-home (1).csv",
            "costs/2026-10/rio.xlsx",
            "costs/2026-10/ledger.csv",
            "costs/2026-10/old/",
            "fx/2026-10.csv",
            "fx/2026-10-ptax.csv",
            "fx/2026-10 (1).csv",
            "fx/2026-10.xlsx",
            "fx/2026-09.csv",
            "fx/2026-101.csv",
        ]);
        let period: Period = "2026-10".parse().unwrap();
        let strays = Strays::scan(&ws, period).unwrap();
        assert_eq!(
            strays.of("acme-home"),
            SellerStrays {
                exports: vec!["exports/2026-10/acme-home (1)".into()],
                costs: vec!["costs/2026-10/acme-home (1).csv".into()],
            }
        );
        assert_eq!(strays.of("rio"), SellerStrays { exports: vec![], costs: vec!["costs/2026-10/rio.xlsx".into()] });
        assert_eq!(strays.unclaimed_exports, ["exports/2026-10/nobody"]);
        assert_eq!(
            strays.unclaimed_costs,
            [("costs/2026-10/ledger.csv".to_string(), None), ("costs/2026-10/old".to_string(), None)]
        );
        assert_eq!(strays.fx, ["fx/2026-10 (1).csv", "fx/2026-10.xlsx", "fx/2026-101.csv"], "2026-101 is no period");
        assert_eq!(export_subfolders(&ws, period, "acme-home").unwrap(), ["exports/2026-10/acme-home/old"]);
        assert!(export_subfolders(&ws, period, "nobody-at-all").unwrap().is_empty());
    }

    #[test]
    fn an_unclaimed_copy_of_a_ledger_is_that_sellers() {
        let (dir, ws) = workspace(&["contracts/acme-home.toml", "contracts/rio.toml", "costs/2026-10/rio.csv"]);
        fs::copy(dir.path().join("costs/2026-10/rio.csv"), dir.path().join("costs/2026-10/copy.csv")).unwrap();
        let strays = Strays::scan(&ws, "2026-10".parse().unwrap()).unwrap();
        assert_eq!(strays.unclaimed_costs, [("costs/2026-10/copy.csv".to_string(), Some("rio".to_string()))]);
    }
}
