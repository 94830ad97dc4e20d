//! A reproducible zip of a bag: sorted entries, fixed times and
//! permissions, files deflated at [`deflate_level`].
//!
//! Every byte of the zip follows from the bag's contents and its
//! Bagging-Date, and `verify` checks exactly that, re-compressing each
//! entry: deflate allows many encodings of one content (down to the unused
//! bits of the last byte), and a zip whose bytes differ from what kpiseal
//! writes is refused. The zip's golden test (`zip_bytes_are_pinned`) pins
//! the compressor's output, so a dependency update that changed it would
//! fail the build before it could make old zips unverifiable.

use std::fs::{self, File};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use super::{BagError, Durability, io_error, is_iso_date};

/// Deflate levels, set explicitly so that the bytes do not depend on which
/// deflate back-ends other crates enable in the `zip` crate. Level 1: a
/// statement PDF is mostly already-compressed streams, where level 6 took
/// about 5× longer (≈5 ms for 200 KB) for no gain; JSON still shrinks well.
pub(crate) const DEFLATE_LEVEL: i64 = 1;

/// The level of the provenance table (`data/provenance.csv`): its runs of
/// line numbers come out a half larger from level 1 (zlib-rs's quick
/// strategy) than from level 2 (151 against 101 KB for a 5,000-order
/// seller's table) for 0.7 ms more.
pub(crate) const TABLE_DEFLATE_LEVEL: i64 = 2;

/// The deflate level of the zip entry `name` (`<bag>/data/provenance.csv`
/// or another): `verify` re-compresses each entry at the level this gives.
pub(crate) fn deflate_level(name: &str) -> i64 {
    match name.split_once('/') {
        Some((_, "data/provenance.csv")) => TABLE_DEFLATE_LEVEL,
        _ => DEFLATE_LEVEL,
    }
}

/// The size of the pieces each file is written to the compressor in, by
/// `zip_bag` and by `verify` re-compressing it.
pub(crate) const COMPRESS_CHUNK: usize = 64 * 1024;

/// Zips the bag at `bag_dir` into memory. Every entry sits under one top
/// folder named like the bag, so unzipping gives the bag back.
///
/// Entries are sorted by path (folders end in `/`), carry the bag's
/// Bagging-Date at 00:00:00 as their time and mode 0644 (files) / 0755
/// (folders), so the same bag always gives byte-identical zips. Fails when
/// bag-info.txt has no valid Bagging-Date (1980–2107, what zip can hold), or
/// the bag holds something other than plain files and folders.
pub fn zip_bag(bag_dir: &Path) -> Result<Vec<u8>, BagError> {
    zip_bag_reusing(bag_dir, true)
}

/// [`zip_bag`], taking the files of [`SAME_IN_EVERY_BAG`] as deflated
/// before in this process when `reuse` (the same bytes either way).
fn zip_bag_reusing(bag_dir: &Path, reuse: bool) -> Result<Vec<u8>, BagError> {
    let time = bagging_time(bag_dir)?;
    let top = bag_dir.file_name().map(|n| n.to_string_lossy().into_owned()).filter(|n| !n.is_empty());
    let top = top.ok_or_else(|| BagError::BadTarget { path: bag_dir.to_path_buf() })?;
    let mut entries = Vec::new();
    collect(bag_dir, &format!("{top}/"), &mut entries)?;
    entries.sort();

    let zip_error = |source| BagError::Zip { path: bag_dir.to_path_buf(), source };
    let base = SimpleFileOptions::default().last_modified_time(time).large_file(false);
    let folder_options = base.compression_method(CompressionMethod::Stored).unix_permissions(0o755);
    let file_options = base.compression_method(CompressionMethod::Deflated).unix_permissions(0o644);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, path) in &entries {
        match path {
            None => writer.add_directory(name.as_str(), folder_options).map_err(zip_error)?,
            Some(path) => {
                let contents = fs::read(path).map_err(io_error(path, "read file to zip"))?;
                let options = file_options.compression_level(Some(deflate_level(name)));
                if reuse && is_same_in_every_bag(name) {
                    let deflated = deflated_once(name, time, options, contents, path, bag_dir)?;
                    let mut one = ZipArchive::new(Cursor::new(&deflated.zip[..])).map_err(zip_error)?;
                    writer.raw_copy_file(one.by_index_raw(0).map_err(zip_error)?).map_err(zip_error)?;
                } else {
                    deflate_into(&mut writer, name, options, &contents, path, bag_dir)?;
                }
            }
        }
    }
    Ok(writer.finish().map_err(zip_error)?.into_inner())
}

/// Deflates `contents` (the file at `path` of the bag at `bag_dir`, which
/// errors name) into `writer` as the entry `name`, in [`COMPRESS_CHUNK`]
/// pieces: the compressor's output depends on how its input is fed, and
/// `verify` feeds it the same way.
fn deflate_into<W: Write + std::io::Seek>(
    writer: &mut ZipWriter<W>,
    name: &str,
    options: SimpleFileOptions,
    contents: &[u8],
    path: &Path,
    bag_dir: &Path,
) -> Result<(), BagError> {
    writer.start_file(name, options).map_err(|source| BagError::Zip { path: bag_dir.to_path_buf(), source })?;
    for piece in contents.chunks(COMPRESS_CHUNK) {
        writer.write_all(piece).map_err(io_error(path, "compress file into the zip"))?;
    }
    Ok(())
}

/// The files, by their path in the bag, that are the same in every bag a
/// kpiseal binary writes: the offline verifier page (170 KB). Each is
/// deflated once per process ([`deflated_once`]) and copied into each zip
/// as deflated, byte for byte what deflating it anew gives.
const SAME_IN_EVERY_BAG: &[&str] = &["data/verify.html"];

/// Whether the zip entry `name` (`<bag>/<path>`) is one of [`SAME_IN_EVERY_BAG`].
fn is_same_in_every_bag(name: &str) -> bool {
    name.split_once('/').is_some_and(|(_, path)| SAME_IN_EVERY_BAG.contains(&path))
}

/// A file zipped alone: its entry's name, time and options, its contents,
/// and the one-entry zip [`deflate_into`] made of them.
struct Deflated {
    name: String,
    time: DateTime,
    options: SimpleFileOptions,
    contents: Vec<u8>,
    zip: Vec<u8>,
}

/// A one-entry zip of `contents` as the entry `name` with `time` and
/// `options`: the one made last in this process when all four are the same
/// (a batch zips the same verifier page into every bag), else made now and
/// kept for the next bag. Errors name the file at `path` of the bag at `bag_dir`.
fn deflated_once(
    name: &str,
    time: DateTime,
    options: SimpleFileOptions,
    contents: Vec<u8>,
    path: &Path,
    bag_dir: &Path,
) -> Result<Arc<Deflated>, BagError> {
    static LAST: Mutex<Option<Arc<Deflated>>> = Mutex::new(None);
    // A poisoned lock only means another thread panicked while holding it:
    // the slot holds a complete zip or nothing.
    let held = LAST.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(held) =
        held.filter(|d| d.name == name && d.time == time && d.options == options && d.contents == contents)
    {
        return Ok(held);
    }
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    deflate_into(&mut writer, name, options, &contents, path, bag_dir)?;
    let zip = writer.finish().map_err(|source| BagError::Zip { path: bag_dir.to_path_buf(), source })?.into_inner();
    let made = Arc::new(Deflated { name: name.to_string(), time, options, contents, zip });
    *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&made));
    Ok(made)
}

/// Writes [`zip_bag`]'s bytes to `zip_path` through a temporary file beside
/// it, fsynced (with [`Durability::Fsync`]) and renamed into place
/// (replacing an older zip).
pub fn write_zip(bag_dir: &Path, zip_path: &Path, durability: Durability) -> Result<(), BagError> {
    let bytes = zip_bag(bag_dir)?;
    let name = zip_path.file_name().ok_or_else(|| BagError::BadTarget { path: zip_path.to_path_buf() })?;
    let tmp = zip_path.with_file_name(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
    let result = File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(&bytes)?;
            if durability == Durability::Fsync { f.sync_all() } else { Ok(()) }
        })
        .map_err(io_error(&tmp, "write zip"))
        .and_then(|()| fs::rename(&tmp, zip_path).map_err(io_error(zip_path, "rename zip into place")));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    match zip_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) if durability == Durability::Fsync => {
            File::open(parent).and_then(|d| d.sync_all()).map_err(io_error(parent, "fsync folder"))
        }
        _ => Ok(()),
    }
}

/// The bag's Bagging-Date at midnight, as a zip timestamp.
fn bagging_time(bag_dir: &Path) -> Result<DateTime, BagError> {
    let info_path = bag_dir.join("bag-info.txt");
    let info = fs::read_to_string(&info_path).map_err(io_error(&info_path, "read"))?;
    let date = info.lines().find_map(|l| l.strip_prefix("Bagging-Date:")).map(str::trim).unwrap_or("");
    let not_a_bag = || BagError::NotABag {
        path: info_path.clone(),
        problem: format!("Bagging-Date {date:?}: expected YYYY-MM-DD between 1980 and 2107"),
    };
    if !is_iso_date(date) {
        return Err(not_a_bag());
    }
    let number = |r: std::ops::Range<usize>| date[r].parse::<u16>().ok();
    match (number(0..4), number(5..7), number(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            let (m, d) = (u8::try_from(m).map_err(|_| not_a_bag())?, u8::try_from(d).map_err(|_| not_a_bag())?);
            DateTime::from_date_and_time(y, m, d, 0, 0, 0).map_err(|_| not_a_bag())
        }
        _ => Err(not_a_bag()),
    }
}

/// Every folder (as `prefix…/`, path `None`) and file under `dir`, not following links.
fn collect(dir: &Path, prefix: &str, out: &mut Vec<(String, Option<PathBuf>)>) -> Result<(), BagError> {
    out.push((prefix.to_string(), None));
    let listing = fs::read_dir(dir).map_err(io_error(dir, "list folder"))?;
    for entry in listing {
        let entry = entry.map_err(io_error(dir, "list folder"))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io_error(&path, "inspect"))?;
        let name = entry.file_name().into_string().map_err(|raw| BagError::NotABag {
            path: path.clone(),
            problem: format!("file name {raw:?} is not UTF-8"),
        })?;
        if kind.is_dir() {
            collect(&path, &format!("{prefix}{name}/"), out)?;
        } else if kind.is_file() {
            out.push((format!("{prefix}{name}"), Some(path)));
        } else {
            return Err(BagError::NotABag { path, problem: "not a plain file or folder (a link?)".to_string() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bags_provenance_table_is_deflated_at_the_table_level() {
        assert_eq!(deflate_level("evidence/data/provenance.csv"), TABLE_DEFLATE_LEVEL);
        assert_eq!(deflate_level("evidence/data/statement.pdf"), DEFLATE_LEVEL);
        assert_eq!(deflate_level("evidence/data/inputs/provenance.csv"), DEFLATE_LEVEL, "an input of that name");
        assert_eq!(deflate_level("provenance.csv"), DEFLATE_LEVEL);
    }

    #[test]
    fn a_file_the_same_in_every_bag_is_zipped_as_deflating_it_anew_would() {
        let root = tempfile::tempdir().unwrap();
        let bag = root.path().join("evidence");
        fs::create_dir_all(bag.join("data")).unwrap();
        fs::write(bag.join("bag-info.txt"), "Bagging-Date: 2026-11-01\n").unwrap();
        let page: String = (0..20_000).map(|i| format!("<p>{i}</p>")).collect();
        fs::write(bag.join("data/verify.html"), &page).unwrap();
        fs::write(bag.join("data/statement.json"), "{}").unwrap();
        let anew = zip_bag_reusing(&bag, false).unwrap();
        assert_eq!(zip_bag(&bag).unwrap(), anew, "made and kept");
        assert_eq!(zip_bag(&bag).unwrap(), anew, "copied as kept");
        fs::write(bag.join("data/verify.html"), page.replace("<p>1</p>", "<p>one</p>")).unwrap();
        let changed = zip_bag(&bag).unwrap();
        assert_ne!(changed, anew, "another page is deflated anew");
        assert_eq!(changed, zip_bag_reusing(&bag, false).unwrap());
        assert!(is_same_in_every_bag("evidence/data/verify.html"));
        assert!(!is_same_in_every_bag("evidence/data/inputs/verify.html"), "an input of that name");
    }
}
