mod common;

use std::fs;

use kpiseal_seal::check::all_passed;
use kpiseal_seal::manifest::{
    self, MAX_EXACT_INTEGER, Manifest, ManifestError, Status, check_inputs, check_outputs, hash_bytes, hash_file,
    is_canonical, to_canonical_json,
};
use proptest::prelude::*;
use serde_json::Value;

use common::{key_from_seed, sample_manifest, sample_supersedes};

fn jcs(json: &str) -> String {
    let value: Value = serde_json::from_str(json).expect("test JSON");
    String::from_utf8(serde_jcs::to_vec(&value).expect("canonical")).expect("UTF-8")
}

#[test]
fn rfc8785_sorts_keys_by_utf16_code_units() {
    // RFC 8785 §3.2.3: the emoji (surrogates D83D DE00) sorts before U+FB33,
    // which a sort by code points or UTF-8 bytes would get wrong.
    let input = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh",
        "1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control",
        "\u00f6":"Latin Small Letter O With Diaeresis"}"#;
    let canonical = jcs(input);
    // Read the order from the text: a parsed map would sort keys its own way.
    let order: Vec<usize> =
        ["Carriage Return", "One", "Control", "Latin Small Letter O", "Euro Sign", "Emoji", "Hebrew Letter Dalet"]
            .iter()
            .map(|name| canonical.find(name).expect(name))
            .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{canonical}");
}

#[test]
fn rfc8785_escapes_strings_and_formats_numbers_as_its_example() {
    // RFC 8785 §3.2.2's example, output byte for byte.
    let input = r#"{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
    }"#;
    let expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\
                    \"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
    assert_eq!(jcs(input), expected);
}

#[test]
fn canonical_manifest_has_sorted_keys_no_whitespace_and_omits_absent_supersedes() {
    let key = key_from_seed(1).key_id();
    let m = sample_manifest(key);
    let text = String::from_utf8(to_canonical_json(&m).expect("canonical")).expect("UTF-8");
    assert!(text.starts_with(r#"{"contract":{"bytes":2048,"path":"contracts/acme-home.toml","sha256":""#), "{text}");
    assert!(!text.contains("supersedes"));
    assert!(!text.contains('\n') && !text.contains(": "));
    assert!(text.contains(r#""legal_name":"Acme Home Goods Co., Ltd. (深圳)""#), "non-ASCII stays as UTF-8");
    let keys_in_order = ["\"contract\"", "\"figures\"", "\"fx\"", "\"inputs\"", "\"issue_date\"", "\"key_id\""];
    let positions: Vec<usize> = keys_in_order.iter().map(|k| text.find(k).expect(k)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    assert!(text.ends_with(r#""tool":{"name":"kpiseal","version":"0.1.0"}}"#), "{text}");
}

#[test]
fn supersedes_is_written_when_present_with_escapes() {
    let key = key_from_seed(1).key_id();
    let mut m = sample_manifest(key);
    m.supersedes = Some(sample_supersedes());
    let bytes = to_canonical_json(&m).expect("canonical");
    let text = String::from_utf8(bytes.clone()).expect("UTF-8");
    assert!(text.contains(r#""reason":"corrected FX rate \"PTAX\"\n(BCB)""#), "{text}");
    assert_eq!(Manifest::from_json(&bytes).expect("parse"), m);
    assert!(is_canonical(&bytes));
}

#[test]
fn canonical_json_parses_back_to_the_same_manifest() {
    let key = key_from_seed(2).key_id();
    let m = sample_manifest(key);
    let bytes = to_canonical_json(&m).expect("canonical");
    assert_eq!(Manifest::from_json(&bytes).expect("parse"), m);
    assert!(is_canonical(&bytes));
    let pretty = serde_json::to_vec_pretty(&m).expect("pretty");
    assert_eq!(Manifest::from_json(&pretty).expect("parse pretty"), m);
    assert!(!is_canonical(&pretty), "pretty-printed JSON is not the canonical form");
}

#[test]
fn manifest_refuses_unknown_fields_and_wrong_schema() {
    let key = key_from_seed(2).key_id();
    let mut value = serde_json::to_value(sample_manifest(key)).expect("value");
    value["extra"] = Value::from(1);
    let err = Manifest::from_json(&serde_json::to_vec(&value).expect("bytes")).expect_err("unknown field");
    assert!(err.to_string().contains("extra"), "{err}");

    let mut m = sample_manifest(key);
    m.schema = "kpiseal.manifest/1".into();
    let err = to_canonical_json(&m).expect_err("schema");
    assert!(err.to_string().contains("kpiseal.manifest/2"), "{err}");
}

#[test]
fn a_draft_and_a_final_statement_can_never_share_a_number() {
    let key = key_from_seed(2).key_id();
    let mut draft = sample_manifest(key);
    draft.status = Status::Draft;
    let err = to_canonical_json(&draft).expect_err("a draft with a final's number");
    assert!(err.to_string().contains("a draft's number ends with -DRAFT"), "{err}");
    draft.statement_number.push_str("-DRAFT");
    let json = to_canonical_json(&draft).expect("a draft numbered as one");
    assert!(String::from_utf8(json).unwrap().contains(r#""status":"draft""#));
    assert_eq!(draft.sshsig_namespace(), "kpiseal-draft-manifest@v1");
    assert!(draft.trusted_comment().starts_with("DRAFT NOT A STATEMENT: kpiseal KPI-2026-10-acme-home-DRAFT "));

    let mut final_statement = sample_manifest(key);
    final_statement.statement_number.push_str("-DRAFT");
    let err = to_canonical_json(&final_statement).expect_err("a final with a draft's number");
    assert!(err.to_string().contains("only a draft's number ends with -DRAFT"), "{err}");
}

#[test]
fn manifest_refuses_a_key_id_in_another_spelling() {
    let key = key_from_seed(2).key_id();
    let mut value = serde_json::to_value(sample_manifest(key)).expect("value");
    assert_eq!(value["key_id"], Value::from(key.to_string()));
    value["key_id"] = Value::from(key.to_string().to_lowercase());
    let err = Manifest::from_json(&serde_json::to_vec(&value).expect("bytes")).expect_err("lowercase key id");
    assert!(err.to_string().contains("expected 16 uppercase hexadecimal digits"), "{err}");
}

/// One edit of a valid manifest.
type Change = fn(&mut Manifest);

#[test]
fn manifest_refuses_unsafe_paths_bad_hashes_and_inexact_numbers() {
    let key = key_from_seed(2).key_id();
    let cases: [(Change, &str); 7] = [
        (|m| m.inputs[0].path = "../secret.txt".into(), "inputs[0].path"),
        (|m| m.inputs[0].path = "exports\\a.txt".into(), "inputs[0].path"),
        (|m| m.fx[0].path = "/abs/fx.csv".into(), "fx[0].path"),
        (|m| m.outputs[1].sha256 = "ABC".into(), "outputs[1].sha256"),
        (|m| m.contract.sha256 = m.contract.sha256.to_uppercase(), "contract.sha256"),
        (|m| m.inputs[1].rows = MAX_EXACT_INTEGER + 1, "inputs[1].rows"),
        (|m| m.outputs[0].bytes = u64::MAX, "outputs[0].bytes"),
    ];
    for (change, field) in cases {
        let mut m = sample_manifest(key);
        change(&mut m);
        match to_canonical_json(&m) {
            Err(ManifestError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected Invalid, got {other:?}"),
        }
    }
    let mut m = sample_manifest(key);
    m.inputs[0].bytes = MAX_EXACT_INTEGER;
    let text = String::from_utf8(to_canonical_json(&m).expect("2^53-1 is exact")).expect("UTF-8");
    assert!(text.contains("9007199254740991"));
}

#[test]
fn hash_file_streams_large_files_and_names_a_missing_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::write(&path, &data).expect("write");
    let digest = hash_file(&path).expect("hash");
    assert_eq!(digest, hash_bytes(&data));
    assert_eq!(digest.bytes, 300_000);
    let empty = hash_bytes(b"");
    assert_eq!(empty.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    let missing = dir.path().join("nope.csv");
    let err = hash_file(&missing).expect_err("missing");
    assert!(err.to_string().contains("nope.csv"), "{err}");
}

/// A workspace and a statement folder holding exactly the files a manifest lists.
fn workspace_for(m: &mut Manifest) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    let put = |rel: &str, contents: &[u8]| {
        let path = root.path().join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, contents).expect("write");
        hash_bytes(contents)
    };
    for input in &mut m.inputs {
        let d = put(&input.path, format!("rows of {}", input.path).as_bytes());
        (input.sha256, input.bytes) = (d.sha256, d.bytes);
    }
    let d = put(&m.contract.path, b"[contract]\nid = 'acme-home'\n");
    (m.contract.sha256, m.contract.bytes) = (d.sha256, d.bytes);
    for fx in &mut m.fx {
        let d = put(&fx.path, b"date,base,quote,rate,source\n");
        (fx.sha256, fx.bytes) = (d.sha256, d.bytes);
    }
    for output in &mut m.outputs {
        let d = put(&format!("out/{}", output.name), format!("%PDF {}", output.name).as_bytes());
        (output.sha256, output.bytes) = (d.sha256, d.bytes);
    }
    root
}

#[test]
fn checks_pass_for_untouched_files_and_name_each_changed_or_missing_one() {
    let key = key_from_seed(3).key_id();
    let mut m = sample_manifest(key);
    let root = workspace_for(&mut m);
    let out = root.path().join("out");

    let inputs = check_inputs(&m, root.path());
    assert_eq!(inputs.len(), 4, "two inputs, the contract, one FX table");
    assert!(all_passed(&inputs), "{inputs:#?}");
    assert!(all_passed(&check_outputs(&m, &out)));

    fs::write(out.join("statement.pdf"), b"%PDF statement.pdg").expect("tamper");
    fs::remove_file(root.path().join("fx/2026-10.csv")).expect("remove");
    let outputs = check_outputs(&m, &out);
    let failed: Vec<_> = outputs.iter().filter(|c| !c.passed).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].name.as_str(), failed[0].path.as_str()), ("output", "statement.pdf"));
    assert!(failed[0].to_string().starts_with("FAIL  output  statement.pdf  expected sha256 "), "{}", failed[0]);

    let inputs = check_inputs(&m, root.path());
    let failed: Vec<_> = inputs.iter().filter(|c| !c.passed).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (failed[0].name.as_str(), failed[0].path.as_str(), failed[0].actual.as_str()),
        ("fx", "fx/2026-10.csv", "missing")
    );
}

#[test]
fn checks_never_read_outside_the_base_folder() {
    let key = key_from_seed(3).key_id();
    let mut m = sample_manifest(key);
    let root = workspace_for(&mut m);
    m.inputs[0].path = "../../etc/passwd".into();
    let checks = check_inputs(&m, root.path());
    assert!(!checks[0].passed);
    assert!(checks[0].actual.contains("not checked"), "{}", checks[0]);
}

fn arbitrary_text() -> impl Strategy<Value = String> {
    // Includes quotes, backslashes, controls, non-BMP characters.
    proptest::string::string_regex("[a-zA-Z0-9 \"\\\\\u{0}-\u{1f}é深😀\u{2028}]{0,12}").expect("regex")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The same manifest, however its JSON keys were ordered when it was read,
    /// gives the same canonical bytes, which read back to it.
    #[test]
    fn canonical_json_is_stable_under_key_order(
        legal_name in arbitrary_text(),
        reason in arbitrary_text(),
        amount in 0u64..10_000_000_000,
        bytes in 0u64..=MAX_EXACT_INTEGER,
        seed in any::<u64>(),
    ) {
        let key = key_from_seed(4).key_id();
        let mut m = sample_manifest(key);
        m.seller.legal_name = legal_name;
        m.figures.amount_due = format!("{}.{:02}", amount / 100, amount % 100);
        m.inputs[0].bytes = bytes;
        m.supersedes = Some(manifest::Supersedes { reason, ..sample_supersedes() });
        let canonical = to_canonical_json(&m).expect("canonical");

        // Re-serialize with every object's keys in a seeded shuffled order.
        let shuffled = shuffle_keys(serde_json::to_value(&m).expect("value"), seed);
        let reread = Manifest::from_json(shuffled.as_bytes()).expect("parse shuffled");
        prop_assert_eq!(&reread, &m);
        prop_assert_eq!(to_canonical_json(&reread).expect("canonical"), canonical.clone());
        prop_assert_eq!(Manifest::from_json(&canonical).expect("parse canonical"), m);
    }
}

/// JSON text of `value` with each object's keys in an order drawn from `seed`.
fn shuffle_keys(value: Value, seed: u64) -> String {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    fn write(value: &Value, next: &mut dyn FnMut() -> u64, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                for i in (1..entries.len()).rev() {
                    entries.swap(i, (next() % (i as u64 + 1)) as usize);
                }
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).expect("key"));
                    out.push(':');
                    write(v, next, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, next, out);
                }
                out.push(']');
            }
            other => out.push_str(&serde_json::to_string(other).expect("scalar")),
        }
    }
    let mut out = String::new();
    write(&value, &mut next, &mut out);
    out
}
