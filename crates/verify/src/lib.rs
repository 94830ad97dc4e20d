//! `kpiseal verify` as a library and a small binary of its own
//! (`kpiseal-verify`): every check `kpiseal_seal::verify` makes on the
//! paths given, printed one path after another, and the exit code. The
//! `kpiseal` CLI's `verify` command is this same code, so the two print the
//! same bytes and exit alike.

mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use kpiseal_seal::keys::load_public_key;
use kpiseal_seal::verify::{Options, Verdict, verify_path};
use kpiseal_seal::verify_page::write_verify_page;

pub use report::describe;

/// The arguments of `verify-page`: write the offline verifier page.
#[derive(Debug, clap::Args)]
pub struct VerifyPageArgs {
    /// Where to write the page (e.g. verify.html), replaced atomically.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The provider's public key to pin in the page (provider.minisign.pub,
    /// provider.ssh.pub, provider.pub.pem or provider.cert.pem): the page
    /// then checks every statement against it and says PINNED or DIFFERENT
    /// KEY. Without it, the reader pastes the key, or the page reports NOT
    /// PINNED.
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<PathBuf>,
}

/// Writes the verifier page `args` asks for and says where, with the
/// pinned key id. Returns 0 written, 2 when the key cannot be read or the
/// file cannot be written.
pub fn run_verify_page(args: &VerifyPageArgs) -> ExitCode {
    let key = match args.key.as_deref().map(load_public_key).transpose() {
        Ok(key) => key,
        Err(e) => {
            eprintln!("kpiseal: {e}");
            return ExitCode::from(2);
        }
    };
    match write_verify_page(&args.out, key.as_ref().map(|k| &k.verifying_key)) {
        Ok(()) => {
            match &key {
                Some(k) => println!("wrote {} pinned to key {}", args.out.display(), k.key_id),
                None => println!("wrote {} (no pinned key)", args.out.display()),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kpiseal: cannot write {}: {e}", args.out.display());
            ExitCode::from(2)
        }
    }
}

/// What to verify and against which key: the arguments of `kpiseal verify`
/// and of `kpiseal-verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// A statement PDF, a statement folder (or its manifest.json), an
    /// evidence bag folder, an evidence zip, or a period folder (or its
    /// period-manifest.json). Exactly these bytes are checked; links and
    /// special files are refused.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The provider's public key to pin the signer to (provider.minisign.pub,
    /// provider.ssh.pub, provider.pub.pem or provider.cert.pem). Without it
    /// the signer is reported as unpinned.
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<PathBuf>,
    /// The workspace the statement was made from: re-hash its input files.
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// List files that no signature covers instead of failing on them.
    #[arg(long)]
    pub allow_extra: bool,
}

/// Checks every path of `args` and prints each report on stdout (a path
/// that cannot be checked at all: `REFUSED` and the reason, also on
/// stderr). Returns 0 when all are VALID, 1 when something is NOT VALID, 2
/// when a path is refused or unreadable (or the key cannot be read), 3 when
/// all checks passed but a path is a draft, not a statement; the worst wins
/// in the order 2, 1, 3, 0.
pub fn run(args: &VerifyArgs) -> ExitCode {
    let key = match args.key.as_deref().map(load_public_key).transpose() {
        Ok(key) => key,
        Err(e) => {
            eprintln!("kpiseal: {e}");
            return ExitCode::from(2);
        }
    };
    let options = Options { key: key.as_ref(), workspace: args.workspace.as_deref(), allow_extra: args.allow_extra };
    let mut outcomes = Vec::new();
    for path in &args.paths {
        match verify_path(path, &options) {
            Ok(v) => {
                print!("{}", describe(&v));
                outcomes.push(match v.verdict() {
                    Verdict::Valid => 0,
                    Verdict::NotValid => 1,
                    Verdict::Draft => 3,
                });
            }
            Err(e) => {
                println!("{}\n  REFUSED: {e}\n  NOT VALID", path.display());
                eprintln!("kpiseal: cannot check {e}");
                outcomes.push(2);
            }
        }
    }
    let worst = [2, 1, 3].into_iter().find(|code| outcomes.contains(code)).unwrap_or(0);
    ExitCode::from(worst)
}
