//! Times sealing one statement with ~200 KB of outputs: hashing the outputs,
//! the canonical manifest, the minisign and SSHSIG signatures, the bag and
//! its zip; then verifying it (both signatures, output hashes, bag).
//!
//! `cargo run --release -p kpiseal-seal --example seal_bench [-- ITERATIONS]`

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use kpiseal_seal::bag::{BagInfo, Durability, PayloadFile, validate_bag, write_bag, write_zip};
use kpiseal_seal::check::all_passed;
use kpiseal_seal::keys::PrivateKey;
use kpiseal_seal::manifest::{
    Figures, FileEntry, MANIFEST_SCHEMA, Manifest, OutputFile, Provider, Seller, Status, Tool, check_outputs,
    hash_file, to_canonical_json,
};
use kpiseal_seal::{minisign, sshsig};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let iterations: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(200);
    let root = tempfile::tempdir()?;
    let statement = root.path().join("statement");
    fs::create_dir(&statement)?;
    let pdf: Vec<u8> = (0..180_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let json: Vec<u8> = (0..20_000u32).map(|i| b"{\"amount\":\"12.34\"},"[(i % 18) as usize]).collect();
    fs::write(statement.join("statement.pdf"), &pdf)?;
    fs::write(statement.join("statement.json"), &json)?;

    let key = PrivateKey::new(ed25519_dalek::SigningKey::from_bytes(&[7; 32]));
    let info = BagInfo {
        source_organization: "Ponte Cross-Border Services Ltda.".into(),
        external_identifier: "KPI-2026-10-acme-home".into(),
        bagging_date: "2026-11-01".into(),
        software_agent: "kpiseal 0.1.0".into(),
    };

    for durability in [Durability::Fsync, Durability::NoFsync] {
        println!("{durability:?}:");
        bench(&statement, &key, &info, durability, iterations, root.path())?;
    }
    Ok(())
}

fn bench(
    statement: &Path,
    key: &PrivateKey,
    info: &BagInfo,
    durability: Durability,
    iterations: usize,
    root: &Path,
) -> Result<(), Error> {
    let public = key.verifying_key();
    let (mut seal_times, mut verify_times) = (Vec::new(), Vec::new());
    let mut stages: [Vec<Duration>; 3] = Default::default();
    for i in 0..iterations {
        let bag = root.join(format!("bag-{i}"));
        let start = Instant::now();
        let sealed = seal(statement, key, &bag, info, durability)?;
        seal_times.push(start.elapsed());
        for (all, one) in stages.iter_mut().zip(sealed.stages) {
            all.push(one);
        }

        let start = Instant::now();
        let manifest = Manifest::from_json(&sealed.manifest)?;
        minisign::verify(&sealed.manifest, &sealed.minisig, &public)?;
        sshsig::verify(&sealed.manifest, &sealed.sshsig, &public)?;
        let ok = all_passed(&check_outputs(&manifest, statement)) && all_passed(&validate_bag(&bag));
        verify_times.push(start.elapsed());
        assert!(ok, "the untouched statement must verify");
        fs::remove_dir_all(&bag)?;
        fs::remove_file(bag.with_extension("zip"))?;
    }
    report("seal (hash outputs + manifest + minisign + sshsig + bag + zip)", &mut seal_times);
    let names = ["  of which manifest + 2 signatures", "  of which bag", "  of which zip"];
    for (name, times) in names.iter().zip(stages.iter_mut()) {
        report(name, times);
    }
    report("verify (2 signatures + output hashes + bag)", &mut verify_times);
    Ok(())
}

struct Sealed {
    manifest: Vec<u8>,
    minisig: String,
    sshsig: String,
    stages: [Duration; 3],
}

fn seal(
    statement: &Path,
    key: &PrivateKey,
    bag: &Path,
    info: &BagInfo,
    durability: Durability,
) -> Result<Sealed, Error> {
    let start = Instant::now();
    let public = key.verifying_key();
    let mut outputs = Vec::new();
    for name in ["statement.json", "statement.pdf"] {
        let d = hash_file(&statement.join(name))?;
        outputs.push(OutputFile { name: name.into(), sha256: d.sha256, bytes: d.bytes });
    }
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA.into(),
        status: Status::Final,
        provider: Provider { name: "Lingxi".into(), legal_name: "Lingxi Cross-Border Services Ltd.".into() },
        seller: Seller { id: "acme-home".into(), legal_name: "Acme Home Goods Co., Ltd.".into() },
        period: "2026-10".into(),
        statement_number: "KPI-2026-10-acme-home".into(),
        issue_date: "2026-11-01".into(),
        tool: Tool { name: "kpiseal".into(), version: "0.1.0".into() },
        key_id: key.key_id(),
        figures: Figures { amount_due: "12345.67".into(), currency: "CNY".into() },
        inputs: Vec::new(),
        contract: FileEntry { path: "contracts/acme-home.toml".into(), sha256: "0".repeat(64), bytes: 1 },
        fx: Vec::new(),
        outputs,
        supersedes: None,
    };
    let bytes = to_canonical_json(&manifest)?;
    let comment = minisign::trusted_comment(&manifest.statement_number, &manifest.period, key.key_id());
    let minisig = minisign::sign(key, &bytes, &comment)?;
    let ssh = sshsig::sign(key, &bytes)?;
    let minisign_pub = minisign::public_key_file(&public);
    let ssh_pub = format!("{}\n", sshsig::openssh_public_key_line(&public));
    let (pdf, json) = (statement.join("statement.pdf"), statement.join("statement.json"));
    let files = [
        PayloadFile::file("statement.pdf", &pdf),
        PayloadFile::file("statement.json", &json),
        PayloadFile::bytes("manifest.json", &bytes),
        PayloadFile::bytes("manifest.json.minisig", minisig.as_bytes()),
        PayloadFile::bytes("manifest.json.sig", ssh.as_bytes()),
        PayloadFile::bytes("provider.minisign.pub", minisign_pub.as_bytes()),
        PayloadFile::bytes("provider.ssh.pub", ssh_pub.as_bytes()),
    ];
    let signed = start.elapsed();
    write_bag(bag, &files, info, durability)?;
    let bagged = start.elapsed();
    write_zip(bag, &bag.with_extension("zip"), durability)?;
    let stages = [signed, bagged - signed, start.elapsed() - bagged];
    Ok(Sealed { manifest: bytes, minisig, sshsig: ssh, stages })
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let total: Duration = times.iter().sum();
    let n = times.len().max(1);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: {} runs, median {:.2} ms, mean {:.2} ms, min {:.2} ms, max {:.2} ms ({:.0}/s)",
        times.len(),
        ms(times[n / 2]),
        ms(total) / n as f64,
        ms(times[0]),
        ms(times[n - 1]),
        n as f64 / total.as_secs_f64()
    );
}
