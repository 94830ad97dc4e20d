//! The evidence bag, as a folder or inside its zip: the statement in
//! `data/`, the input copies in `data/inputs/`, and the tag files.
//!
//! No signature covers a bag's tag files directly, and none could (the
//! payload manifest lists `manifest.json`, which would have to list the
//! payload manifest). Instead they are checked to be byte for byte what
//! kpiseal writes for this payload and this signed manifest: `bag-info.txt`
//! from the manifest's provider, statement number, issue date and tool, the
//! payload manifests from the payload read, the tag manifests from those.
//! So changing `External-Identifier` and re-hashing the bag is caught.

use std::path::Path;

use super::statement::{Found, check_statement, is_statement_file};
use super::tree::{Tree, Want, read_folder};
use super::zip_read::{dos_date, read_zip};
use super::{BAG_INPUTS, FileSeen, Kind, Options, Verification};
use crate::bag::{BagInfo, PayloadDigest, tag_files};
use crate::check::Check;

/// A bag's tag files, as kpiseal writes them.
const TAG_FILES: [&str; 6] = [
    "bag-info.txt",
    "bagit.txt",
    "manifest-sha256.txt",
    "manifest-sha512.txt",
    "tagmanifest-sha256.txt",
    "tagmanifest-sha512.txt",
];

/// What to read of a path inside a bag.
pub(crate) fn plan(path: &str, is_dir: bool) -> Want {
    if is_dir {
        let inputs = format!("data/{BAG_INPUTS}");
        return if path == "data" || path == inputs || path.starts_with(&format!("{inputs}/")) {
            Want::Descend
        } else {
            Want::List
        };
    }
    if TAG_FILES.contains(&path) {
        return Want::Keep;
    }
    match path.strip_prefix("data/") {
        Some(name) if is_statement_file(name) => Want::Keep,
        Some(name) if name.starts_with(&format!("{BAG_INPUTS}/")) => Want::Hash,
        _ => Want::List,
    }
}

/// A bag folder.
pub(crate) fn verify_bag_folder(dir: &Path, subject: &Path, options: &Options<'_>) -> Verification {
    let mut v = Verification::new(subject, Kind::Bag);
    let tree = read_folder(dir, &plan);
    check_bag(tree, "", &mut v, options);
    v
}

/// An evidence zip given on its own.
pub(crate) fn verify_zip_file(path: &Path, options: &Options<'_>) -> Result<Verification, String> {
    let read = read_zip_bag(path)?;
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let mut v = Verification::new(path, Kind::Zip);
    v.files.push(FileSeen { path: name.clone(), sha256: read.sha256, bytes: read.bytes });
    let found = check_bag(read.bag, &format!("{}/", read.top), &mut v, options);
    zip_date_check(&mut v, &name, read.dos_date, found.as_ref());
    Ok(v)
}

/// The zip's entries carry the statement's issue date (its Bagging-Date) at midnight.
pub(crate) fn zip_date_check(v: &mut Verification, shown: &str, found: u16, statement: Option<&Found>) {
    let Some(statement) = statement else { return };
    let issue_date = &statement.manifest.issue_date;
    let expected =
        dos_date(issue_date).map_or_else(|| "a date zip can hold".to_string(), |d| format!("{issue_date} ({d:#06x})"));
    let check = if dos_date(issue_date) == Some(found) {
        Check::pass("zip timestamps", shown, expected)
    } else {
        Check::fail("zip timestamps", shown, expected, format!("MS-DOS date {found:#06x}"))
    };
    v.checks.push(check);
}

/// A zip read as a bag: its one top folder's name and contents.
pub(crate) struct ZipBag {
    pub top: String,
    pub bag: Tree,
    pub sha256: String,
    pub bytes: u64,
    pub dos_date: u16,
}

/// Reads the zip at `path` strictly (see `zip_read`); it must hold exactly
/// one top folder, the bag.
pub(crate) fn read_zip_bag(path: &Path) -> Result<ZipBag, String> {
    let in_bag = |path: &str, is_dir: bool| match path.split_once('/') {
        None => {
            if is_dir {
                Want::Descend
            } else {
                Want::List
            }
        }
        Some((_, rest)) => plan(rest, is_dir),
    };
    let read = read_zip(path, &in_bag)?;
    let mut tree = read.tree;
    let tops = tree.top_level();
    let top = match tops.iter().collect::<Vec<_>>().as_slice() {
        [top] if tree.folders.contains(*top) => (*top).clone(),
        _ => {
            let names: Vec<&str> = tops.iter().map(String::as_str).collect();
            return Err(format!("expected one bag folder at the top of the zip, found {}", names.join(", ")));
        }
    };
    let bag = tree.split_off(&top);
    Ok(ZipBag { top, bag, sha256: read.sha256, bytes: read.bytes, dos_date: read.dos_date })
}

/// Checks the bag `tree` (shown with `at` before each path): the statement
/// in `data/`, the input copies against the manifest, the tag files against
/// what the payload and manifest imply, and nothing else at its top.
pub(crate) fn check_bag(mut tree: Tree, at: &str, v: &mut Verification, options: &Options<'_>) -> Option<Found> {
    let has_data = tree.folders.contains("data");
    let mut data = tree.split_off("data");
    for mut problem in tree.problems.drain(..) {
        problem.path = format!("{at}{}", problem.path);
        v.checks.push(problem);
    }
    for name in TAG_FILES {
        if let Some(node) = tree.files.get(name)
            && let Some(c) = &node.contents
        {
            v.files.push(FileSeen { path: format!("{at}{name}"), sha256: c.sha256.clone(), bytes: node.bytes });
        }
    }
    let extras: Vec<String> = tree
        .top_level()
        .into_iter()
        .filter(|n| n != "data" && !TAG_FILES.contains(&n.as_str()))
        .map(|n| format!("{at}{n}"))
        .collect();
    v.extras(extras, options);
    if !has_data {
        v.checks.push(Check::fail("bag payload", format!("{at}data/"), "a data/ folder", "missing"));
        return None;
    }
    let data_at = format!("{at}data/");
    let found = check_statement(&mut data, &data_at, v, options, &[BAG_INPUTS])?;
    input_copies(&data, &data_at, v, &found, options);
    tag_file_checks(&tree, &data, at, v, &found);
    Some(found)
}

/// With `--include-inputs`, `data/inputs/<path>` holds a copy of every
/// input the manifest lists, and nothing else.
fn input_copies(data: &Tree, at: &str, v: &mut Verification, found: &Found, options: &Options<'_>) {
    if !data.folders.contains(BAG_INPUTS) {
        return;
    }
    let prefix = format!("{BAG_INPUTS}/");
    let mut listed = std::collections::BTreeSet::new();
    for input in &found.manifest.inputs {
        let path = format!("{prefix}{}", input.path);
        let expected = format!("sha256 {}, {} bytes", input.sha256, input.bytes);
        let actual = match data.files.get(&path) {
            Some(node) => node
                .contents
                .as_ref()
                .map_or("not read".into(), |c| format!("sha256 {}, {} bytes", c.sha256, node.bytes)),
            None => "missing".into(),
        };
        v.checks.push(Check::compare("input copy", format!("{at}{path}"), expected, actual));
        listed.insert(path);
    }
    let extras: Vec<String> = data
        .files
        .keys()
        .filter(|p| p.starts_with(&prefix) && !listed.contains(*p))
        .map(|p| format!("{at}{p}"))
        .collect();
    v.extras(extras, options);
}

/// Every tag file equals what kpiseal writes for the payload read and the
/// manifest's provider, number, issue date and tool.
fn tag_file_checks(tree: &Tree, data: &Tree, at: &str, v: &mut Verification, found: &Found) {
    let payload: Vec<PayloadDigest<'_>> = data
        .files
        .iter()
        .filter_map(|(name, node)| {
            let c = node.contents.as_ref()?;
            Some(PayloadDigest { name, sha256: &c.sha256, sha512: &c.sha512, bytes: node.bytes })
        })
        .collect();
    let m = &found.manifest;
    let info = BagInfo {
        source_organization: m.provider.legal_name.clone(),
        external_identifier: m.statement_number.clone(),
        bagging_date: m.issue_date.clone(),
        software_agent: format!("{} {}", m.tool.name, m.tool.version),
    };
    for (name, expected) in tag_files(&payload, &info) {
        let shown = format!("{at}{name}");
        let check = match tree.data(&name) {
            Some(actual) if actual == expected.as_slice() => {
                Check::pass("bag tag-file", shown, "as the signed manifest and the payload imply")
            }
            Some(actual) => Check::fail(
                "bag tag-file",
                shown,
                "as the signed manifest and the payload imply",
                first_difference(&expected, actual),
            ),
            None => Check::fail("bag tag-file", shown, "present", "missing"),
        };
        v.checks.push(check);
    }
}

/// The first line where `actual` differs from `expected`, for the report.
fn first_difference(expected: &[u8], actual: &[u8]) -> String {
    let expected = String::from_utf8_lossy(expected);
    let actual = String::from_utf8_lossy(actual);
    let mut lines = expected.lines().zip(actual.lines()).enumerate();
    match lines.find(|(_, (e, a))| e != a) {
        Some((i, (e, a))) => format!("line {}: {a:?} where {e:?} belongs", i + 1),
        None => format!("{} lines where {} belong", actual.lines().count(), expected.lines().count()),
    }
}
