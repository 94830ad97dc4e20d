use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use kpiseal_seal::bag::{BagError, BagInfo, Durability, PayloadFile, validate_bag, write_bag, write_zip, zip_bag};
use kpiseal_seal::check::{Check, all_passed};

fn info() -> BagInfo {
    BagInfo {
        source_organization: "Ponte Cross-Border Services Ltda.".into(),
        external_identifier: "KPI-2026-10-acme-home".into(),
        bagging_date: "2026-11-01".into(),
        software_agent: "kpiseal 0.1.0".into(),
    }
}

/// A bag with bytes, a copied file, a nested folder and a name with `%` and a space.
fn sample_bag(root: &Path, name: &str) -> PathBuf {
    sample_bag_with(root, name, Durability::Fsync)
}

fn sample_bag_with(root: &Path, name: &str, durability: Durability) -> PathBuf {
    let source = root.join("export.csv");
    fs::write(&source, "date,amount\n2026-10-01,12.34\n").expect("write source");
    let dir = root.join(name);
    let pdf = vec![b'%'; 5000];
    let files = [
        PayloadFile::bytes("statement.pdf", &pdf),
        PayloadFile::bytes("statement.json", b"{\"schema\":\"kpiseal.statement/1\"}"),
        PayloadFile::file("inputs/exports/2026-10/acme-home/100% export.csv", &source),
        PayloadFile::bytes("manifest.json", b"{}"),
    ];
    write_bag(&dir, &files, &info(), durability).expect("write bag");
    dir
}

fn failures(checks: &[Check]) -> Vec<String> {
    checks.iter().filter(|c| !c.passed).map(|c| c.to_string()).collect()
}

#[test]
fn written_bag_has_sorted_deterministic_tag_files() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path(), "acme-home-bag");
    assert_eq!(
        fs::read_to_string(dir.join("bagit.txt")).expect("bagit"),
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    );
    assert_eq!(
        fs::read_to_string(dir.join("bag-info.txt")).expect("info"),
        "Source-Organization: Ponte Cross-Border Services Ltda.\nExternal-Identifier: KPI-2026-10-acme-home\n\
         Bagging-Date: 2026-11-01\nPayload-Oxum: 5063.4\nBag-Software-Agent: kpiseal 0.1.0\n"
    );
    let manifest = fs::read_to_string(dir.join("manifest-sha256.txt")).expect("manifest");
    let paths: Vec<&str> = manifest.lines().map(|l| l.split_once("  ").expect("two spaces").1).collect();
    assert_eq!(
        paths,
        [
            "data/inputs/exports/2026-10/acme-home/100%25 export.csv",
            "data/manifest.json",
            "data/statement.json",
            "data/statement.pdf"
        ]
    );
    let tags = fs::read_to_string(dir.join("tagmanifest-sha512.txt")).expect("tags");
    let names: Vec<&str> = tags.lines().map(|l| l.split_once("  ").expect("two spaces").1).collect();
    assert_eq!(names, ["bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt"]);
    assert_eq!(fs::read(dir.join("data/inputs/exports/2026-10/acme-home/100% export.csv")).expect("copy").len(), 29);

    // Same payload and info, another folder, without fsync: identical files.
    let again = sample_bag_with(root.path(), "again", Durability::NoFsync);
    for tag in ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt"] {
        assert_eq!(fs::read(dir.join(tag)).expect("a"), fs::read(again.join(tag)).expect("b"), "{tag}");
    }
    // No temporary folder is left behind.
    let leftovers: Vec<_> = fs::read_dir(root.path())
        .expect("list")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn untouched_bag_validates() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path(), "bag");
    let checks = validate_bag(&dir);
    assert!(all_passed(&checks), "{:#?}", failures(&checks));
    // bagit.txt, 4 payload files × 2 algorithms, Oxum, 4 tag files × 2 algorithms.
    assert_eq!(checks.len(), 1 + 8 + 1 + 8);
}

#[test]
fn changed_payload_byte_fails_naming_the_file_in_both_manifests() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path(), "bag");
    let pdf = dir.join("data/statement.pdf");
    let mut bytes = fs::read(&pdf).expect("read");
    bytes[100] ^= 1;
    fs::write(&pdf, bytes).expect("write");
    let failed = failures(&validate_bag(&dir));
    assert_eq!(failed.len(), 2, "{failed:#?}");
    assert!(failed[0].starts_with("FAIL  payload sha256  data/statement.pdf  expected sha256 "), "{}", failed[0]);
    assert!(failed[1].starts_with("FAIL  payload sha512  data/statement.pdf"), "{}", failed[1]);
}

#[test]
fn missing_extra_and_tag_changes_are_each_reported() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path(), "bag");
    fs::remove_file(dir.join("data/manifest.json")).expect("remove");
    fs::write(dir.join("data/extra.txt"), "sneaked in").expect("extra");
    let info = fs::read_to_string(dir.join("bag-info.txt")).expect("info");
    fs::write(dir.join("bag-info.txt"), info.replace("acme-home", "other")).expect("edit info");
    let checks = validate_bag(&dir);
    let failed: Vec<(&str, &str, &str)> =
        checks.iter().filter(|c| !c.passed).map(|c| (c.name.as_str(), c.path.as_str(), c.actual.as_str())).collect();
    assert!(failed.contains(&("payload sha256", "data/manifest.json", "missing")), "{failed:#?}");
    assert!(failed.contains(&("payload sha512", "data/extra.txt", "not listed")), "{failed:#?}");
    assert!(failed.iter().any(|f| f.0 == "Payload-Oxum"), "{failed:#?}");
    assert!(failed.iter().any(|f| f.0 == "tag sha256" && f.1 == "bag-info.txt"), "{failed:#?}");
}

#[test]
fn manifest_lines_pointing_outside_the_bag_are_not_followed() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path(), "bag");
    let manifest = dir.join("manifest-sha256.txt");
    let text = fs::read_to_string(&manifest).expect("read");
    fs::write(&manifest, format!("{text}{}  data/../../export.csv\n", "0".repeat(64))).expect("write");
    let failed = failures(&validate_bag(&dir));
    assert!(failed.iter().any(|f| f.contains("data/../../export.csv") && f.contains("not checked")), "{failed:#?}");
}

#[test]
fn not_a_bag_fails_with_named_checks() {
    let root = tempfile::tempdir().expect("tempdir");
    let failed = failures(&validate_bag(root.path()));
    assert!(failed.iter().any(|f| f.starts_with("FAIL  bagit.txt  bagit.txt")), "{failed:#?}");
    assert!(failed.iter().any(|f| f.contains("manifest-<alg>.txt")), "{failed:#?}");
}

#[test]
fn write_bag_refuses_bad_names_info_and_an_existing_folder() {
    let root = tempfile::tempdir().expect("tempdir");
    let target = root.path().join("bag");
    let bad_names = [vec!["../escape"], vec!["a\nb"], vec!["same", "same"], vec!["a", "a/b"], vec!["/abs"]];
    for names in bad_names {
        let files: Vec<_> = names.iter().map(|n| PayloadFile::bytes(n, b"x")).collect();
        let err = write_bag(&target, &files, &info(), Durability::Fsync).expect_err("bad name");
        assert!(matches!(err, BagError::BadName { .. }), "{names:?}: {err}");
    }
    let mut bad = info();
    bad.bagging_date = "1 Nov 2026".into();
    let err = write_bag(&target, &[PayloadFile::bytes("a", b"x")], &bad, Durability::Fsync).expect_err("date");
    assert!(err.to_string().contains("Bagging-Date"), "{err}");
    bad = info();
    bad.source_organization = "Two\nLines".into();
    assert!(matches!(
        write_bag(&target, &[], &bad, Durability::Fsync),
        Err(BagError::BadInfo { field: "Source-Organization", .. })
    ));
    assert!(!target.exists(), "nothing written on refusal");

    let missing = root.path().join("nowhere.csv");
    let err = write_bag(&target, &[PayloadFile::file("a.csv", &missing)], &info(), Durability::Fsync)
        .expect_err("missing source");
    assert!(err.to_string().contains("nowhere.csv"), "{err}");
    assert!(!target.exists(), "a failed bag leaves nothing");
    assert_eq!(fs::read_dir(root.path()).expect("list").count(), 0, "temporary folder removed");

    fs::create_dir(&target).expect("mkdir");
    assert!(matches!(write_bag(&target, &[], &info(), Durability::Fsync), Err(BagError::Exists { .. })));
}

#[test]
fn zip_is_byte_identical_across_runs_and_holds_the_bag_under_its_name() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path(), "KPI-2026-10-acme-home");
    let first = zip_bag(&dir).expect("zip");
    // Another bag of the same content, written later elsewhere, zips the same.
    let other_root = tempfile::tempdir().expect("tempdir");
    let other = sample_bag(other_root.path(), "KPI-2026-10-acme-home");
    assert_eq!(first, zip_bag(&other).expect("zip"));
    assert_eq!(first, zip_bag(&dir).expect("zip again"));

    let zip_path = root.path().join("KPI-2026-10-acme-home.zip");
    write_zip(&dir, &zip_path, Durability::Fsync).expect("write zip");
    assert_eq!(fs::read(&zip_path).expect("read zip"), first);

    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(first)).expect("open zip");
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).expect("entry").name().expect("UTF-8 name").to_string())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries sorted");
    assert!(names.iter().all(|n| n.starts_with("KPI-2026-10-acme-home/")), "{names:?}");
    for name in names.iter().filter(|n| !n.ends_with('/')) {
        let mut entry = archive.by_name(name).expect("entry");
        let modified = entry.last_modified().expect("time");
        assert_eq!((modified.year(), modified.month(), modified.day(), modified.hour()), (2026, 11, 1, 0));
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o644));
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).expect("inflate");
        let on_disk = root.path().join(name);
        assert_eq!(contents, fs::read(&on_disk).expect("disk"), "{name}");
    }
}

/// Pins the zip's bytes: a change of the zip or deflate crates (or of the
/// deflate back-end another crate selects) that alters them shows up here,
/// since a re-run must give the zip a seller already holds.
#[test]
fn zip_bytes_are_pinned() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = sample_bag(root.path(), "KPI-2026-10-acme-home");
    let zip = zip_bag(&dir).expect("zip");
    let digest = kpiseal_seal::manifest::hash_bytes(&zip);
    assert_eq!(
        (digest.sha256.as_str(), digest.bytes),
        ("e737f68bac6a9b72a5d8a6ba94f84128686c4bc06ff2b84cda7d4f2f343b83ae", 4726)
    );
}

#[test]
fn a_zip_entry_that_would_land_outside_the_bag_is_refused_not_written() {
    use std::io::Write;
    let root = tempfile::tempdir().expect("temp dir");
    let path = root.path().join("evil.zip");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).expect("create zip"));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("../escaped.txt", options).expect("entry");
    zip.write_all(b"outside").expect("write");
    zip.start_file("bag/bagit.txt", options).expect("entry");
    zip.write_all(b"BagIt-Version: 1.0\n").expect("write");
    zip.finish().expect("finish");
    let err = kpiseal_seal::verify::verify_path(&path, &Default::default()).expect_err("refused");
    assert!(err.to_string().contains("outside the bag"), "{err}");
    assert!(!root.path().join("escaped.txt").exists());
}

#[test]
fn a_linked_payload_file_is_the_callers_file_and_its_bag_is_the_bag_of_a_copy() {
    use std::os::unix::fs::MetadataExt;
    let root = tempfile::tempdir().expect("tempdir");
    let pdf = vec![b'%'; 5000];
    let kept = root.path().join("statement.pdf");
    fs::write(&kept, &pdf).expect("write the caller's file");
    let linked = root.path().join("linked");
    write_bag(&linked, &[PayloadFile::linked("statement.pdf", &pdf, &kept)], &info(), Durability::Fsync).expect("bag");
    let copied = root.path().join("copied");
    write_bag(&copied, &[PayloadFile::bytes("statement.pdf", &pdf)], &info(), Durability::Fsync).expect("bag");

    let payload = linked.join("data/statement.pdf");
    assert_eq!(fs::metadata(&payload).expect("payload").ino(), fs::metadata(&kept).expect("kept").ino());
    assert_eq!(fs::metadata(&kept).expect("kept").nlink(), 2);
    for tag in ["bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt"] {
        assert_eq!(fs::read(linked.join(tag)).expect("linked"), fs::read(copied.join(tag)).expect("copied"), "{tag}");
    }
    let checks = validate_bag(&linked);
    assert!(all_passed(&checks), "{:#?}", failures(&checks));
}

#[test]
fn a_linked_payload_whose_file_is_not_the_bytes_size_is_refused_and_no_bag_is_left() {
    let root = tempfile::tempdir().expect("tempdir");
    let kept = root.path().join("statement.json");
    fs::write(&kept, b"{\"edited\":true}").expect("write");
    let dir = root.path().join("bag");
    let err = write_bag(&dir, &[PayloadFile::linked("statement.json", b"{}", &kept)], &info(), Durability::NoFsync)
        .expect_err("a file of another size");
    assert!(matches!(err, BagError::LinkedDiffers { expected: 2, found: 15, .. }), "{err}");
    assert!(!dir.exists());
    assert_eq!(fs::read_dir(root.path()).expect("list").count(), 1, "only the caller's file is left");
}

#[test]
fn a_linked_payload_whose_file_cannot_be_linked_is_written_from_its_bytes() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("bag");
    let missing = root.path().join("never-written.json");
    write_bag(&dir, &[PayloadFile::linked("statement.json", b"{}", &missing)], &info(), Durability::NoFsync)
        .expect("written as a copy");
    assert_eq!(fs::read(dir.join("data/statement.json")).expect("copy"), b"{}");
    let checks = validate_bag(&dir);
    assert!(all_passed(&checks), "{:#?}", failures(&checks));
}
