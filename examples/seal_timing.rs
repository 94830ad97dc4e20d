//! How long sealing takes per statement beyond rendering, over the demo
//! statements (release build):
//!
//! ```text
//! cargo run --release --example seal_timing -- [ROUNDS [SCRATCH_DIR]]
//! ```
//!
//! ROUNDS defaults to 100; the folders are written under a temporary folder
//! in SCRATCH_DIR (default: the system's temporary folder; give `/dev/shm`
//! to see the CPU cost without the disk).
//!
//! For each demo seller, the statement is built and rendered once; then,
//! ROUNDS times each: `sealing::seal` (sign_pdf + manifest + minisign +
//! SSHSIG + public key files, in memory), `sealing::write_sealed` into a
//! fresh folder (the files, the BagIt bag and the zip, unsynced), and the
//! whole folder through `output::write_tree_atomically` (with its one fsync
//! pass and rename), which is what `run` does. Prints the mean and median
//! per statement. No assertion: figures only.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use kpiseal::output::write_tree_atomically;
use kpiseal::pipeline::{RunOptions, build_statement};
use kpiseal::render::fonts::Fonts;
use kpiseal::render::{RenderOptions, render_pdf};
use kpiseal::seal_config::Signer;
use kpiseal::sealing::{seal, write_sealed};
use kpiseal::seller_error::SellerError;
use kpiseal::workspace::Workspace;
use kpiseal_seal::manifest::Status;

fn main() -> ExitCode {
    let rounds: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(100);
    let scratch = std::env::args().nth(2).map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    match measure(rounds, &scratch) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("seal_timing: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Mean and median of `samples`, in milliseconds.
fn stats(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64;
    (mean * 1e3, samples[samples.len() / 2].as_secs_f64() * 1e3)
}

fn measure(rounds: usize, scratch: &Path) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let ws = Workspace::open(&root).map_err(|e| e.to_string())?;
    let signer = Signer::load(&ws).map_err(|e| e.to_string())?;
    let fonts = Fonts::for_workspace(&ws).map_err(|e| e.to_string())?;
    let scratch = tempfile::tempdir_in(scratch).map_err(|e| e.to_string())?;
    let (mut render, mut sealing, mut writing, mut durable) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for seller in ws.sellers().map_err(|e| e.to_string())? {
        let options = RunOptions::new("2026-10".parse()?);
        let statement = build_statement(&ws, &seller, &options, signer.block()).map_err(|e| e.to_string())?;
        let json = statement.to_json();
        let render_options = RenderOptions { language: statement.seller.language, draft: false, fonts: &fonts };
        let started = Instant::now();
        let pdf = render_pdf(&statement, &json, &render_options).map_err(|e| e.to_string())?;
        render.push(started.elapsed());
        for round in 0..rounds {
            let started = Instant::now();
            let sealed = seal(&statement, &json, &pdf, signer.key(), Status::Final).map_err(|e| e.to_string())?;
            sealing.push(started.elapsed());

            let dir = scratch.path().join(format!("{seller}-{round}"));
            std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
            let started = Instant::now();
            write_sealed(&dir, &statement, &sealed, None).map_err(|e| e.to_string())?;
            writing.push(started.elapsed());

            let target = scratch.path().join(format!("{seller}-{round}-durable"));
            let started = Instant::now();
            write_tree_atomically(&target, |tmp| {
                write_sealed(tmp, &statement, &sealed, None).map_err(SellerError::from)
            })
            .map_err(|e| e.to_string())?;
            durable.push(started.elapsed());
        }
    }
    println!("{} statements × {rounds} rounds (release), written under {}:", render.len(), scratch.path().display());
    for (what, samples) in [
        ("render_pdf (once per statement, for scale)", &mut render),
        ("seal: sign_pdf + manifest + minisign + SSHSIG + key files", &mut sealing),
        ("write_sealed: 9 files + BagIt bag + zip, unsynced", &mut writing),
        ("write_tree_atomically(write_sealed): + one fsync pass + rename", &mut durable),
    ] {
        let (mean, median) = stats(samples);
        println!("  {what:<64} mean {mean:7.2} ms  median {median:7.2} ms");
    }
    Ok(())
}
