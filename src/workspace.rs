//! A workspace as the user lays it out (see README): provider identity,
//! contracts, FX tables, exports and cost ledgers, found by path.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::market::Market;
use crate::period::Period;
use crate::strays::Strays;

/// The largest input file read: an export, ledger, FX table or contract
/// is read whole into memory to be hashed and parsed, so a larger file is
/// refused by name before it is read (README, "Reliability").
pub const MAX_INPUT_BYTES: u64 = 1 << 30;

/// The provider issuing statements, from `kpiseal.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub name: String,
    pub legal_name: String,
    #[serde(default)]
    pub tax_id: String,
    #[serde(default)]
    pub address: String,
}

/// `kpiseal.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    pub provider: Provider,
    #[serde(default)]
    pub render: RenderConfig,
    /// `[signing]`; `run` refuses to start without it (see `seal_config`).
    pub signing: Option<SigningConfig>,
}

/// `[signing]` of `kpiseal.toml`: the provider's key files, as `kpiseal
/// keygen` writes them. Paths are relative to the workspace.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningConfig {
    /// The private key, PKCS#8 PEM, mode 0600 (e.g. `keys/provider.key`).
    pub key: PathBuf,
    /// Its self-signed certificate, PEM (e.g. `keys/provider.cert.pem`).
    pub certificate: PathBuf,
}

/// `[render]` of `kpiseal.toml`: optional fonts replacing the built-in cut of
/// Noto Sans CJK SC, for names with characters beyond GB2312 and Latin.
/// Paths are relative to the workspace.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenderConfig {
    pub font: Option<PathBuf>,
    pub bold_font: Option<PathBuf>,
}

/// A workspace folder and its configuration.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub config: WorkspaceConfig,
    /// The strays of the last period asked for, scanned once per run
    /// (shared by clones).
    strays: StraysMemo,
}

/// The strays of one period, once scanned (see [`Workspace::strays`]).
type StraysMemo = Arc<Mutex<Option<(Period, Arc<Strays>)>>>;

/// One input file: its path relative to the workspace, its bytes and their
/// SHA-256 (always the digest of exactly these bytes: the fields are
/// private, so neither can change without the other).
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: String,
    bytes: Vec<u8>,
    sha256: [u8; 32],
}

/// How much of a file is read and hashed at a time: small enough to be
/// hashed while still in the core's cache.
const READ_CHUNK: u64 = 256 * 1024;

impl InputFile {
    /// Reads `file` to its end, hashing each chunk as it arrives (one pass
    /// over the bytes instead of a read and then a hash of the whole).
    fn read_from(path: impl Into<String>, file: &mut fs::File, size: u64) -> std::io::Result<InputFile> {
        use std::io::Read as _;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        let mut hasher = Sha256::new();
        loop {
            let start = bytes.len();
            if file.take(READ_CHUNK).read_to_end(&mut bytes)? == 0 {
                break;
            }
            hasher.update(&bytes[start..]);
        }
        Ok(InputFile { path: path.into(), bytes, sha256: hasher.finalize().into() })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The SHA-256 of the file's bytes, lower-case hex: what the statement's
    /// inputs list and the manifest record for it.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

impl Workspace {
    /// Opens the workspace at `root`, reading `kpiseal.toml`.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be read, [`Error::Config`] if it is not valid.
    pub fn open(root: &Path) -> Result<Workspace, Error> {
        let path = root.join("kpiseal.toml");
        let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let config: WorkspaceConfig =
            toml::from_str(&text).map_err(|e| Error::config("kpiseal.toml", "(document)", e.message()))?;
        Ok(Workspace { root: root.to_path_buf(), config, strays: Arc::default() })
    }

    /// Seller ids with a contract (`contracts/<id>.toml`), sorted.
    ///
    /// # Errors
    /// [`Error::Io`] if the contracts folder cannot be listed.
    pub fn sellers(&self) -> Result<Vec<String>, Error> {
        let dir = self.root.join("contracts");
        let mut ids: Vec<String> =
            list_files(&dir)?.into_iter().filter_map(|name| name.strip_suffix(".toml").map(str::to_string)).collect();
        ids.sort();
        Ok(ids)
    }

    /// Reads an input by its workspace-relative path (at most
    /// [`MAX_INPUT_BYTES`]): only a regular file
    /// inside the workspace. A link is followed only when its target is
    /// inside the workspace root; a FIFO, socket or device is refused
    /// without being opened for a blocking read.
    ///
    /// # Errors
    /// [`Error::Input`] naming the path (escaped) when a name on it holds a
    /// control or bidirectional-formatting character, or when it is a
    /// symbolic link that leads outside the workspace (an input must be a
    /// file the workspace holds, so its hash in the evidence is of what the
    /// provider keeps), or when it is larger than [`MAX_INPUT_BYTES`];
    /// [`Error::Io`] naming the path when it cannot be
    /// read (a dangling link or a link loop included).
    pub fn read(&self, rel: &str) -> Result<InputFile, Error> {
        if let Some(c) = rel.chars().find(|c| is_deceptive(*c)) {
            return Err(crate::error::InputError::file(
                rel.escape_debug().to_string(),
                format!(
                    "the name holds the character U+{:04X}, a control or bidirectional-formatting character that makes the name print as something else (or not at all); rename the file",
                    c as u32
                ),
            )
            .into());
        }
        let path = self.root.join(rel);
        let refuse = |message: String| -> Error { crate::error::InputError::file(rel, message).into() };
        let meta = fs::symlink_metadata(&path).map_err(|e| Error::io(&path, e))?;
        if meta.file_type().is_symlink() {
            let target = fs::canonicalize(&path).map_err(|e| Error::io(&path, e))?;
            let root = fs::canonicalize(&self.root).map_err(|e| Error::io(&self.root, e))?;
            if !target.starts_with(&root) {
                return Err(refuse(format!(
                    "is a symbolic link to {}, outside the workspace; kpiseal reads only files the workspace \
                     holds: copy the file in instead of linking it",
                    target.display()
                )));
            }
        }
        let mut options = fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // A FIFO opened for a blocking read would wait for a writer forever.
            options.custom_flags(libc::O_NONBLOCK);
        }
        let mut file = options.open(&path).map_err(|e| Error::io(&path, e))?;
        let meta = file.metadata().map_err(|e| Error::io(&path, e))?;
        if !meta.is_file() {
            return Err(refuse("is not a regular file (a FIFO, socket or device): replace it with the file".into()));
        }
        if meta.len() > MAX_INPUT_BYTES {
            return Err(refuse(format!(
                "is {} bytes, more than the {MAX_INPUT_BYTES} bytes (1 GiB) kpiseal reads of one input; a month's \
                 export of one seller is far smaller: split the report by date range, or check that this is the \
                 file meant",
                meta.len()
            )));
        }
        InputFile::read_from(rel, &mut file, meta.len()).map_err(|e| Error::io(&path, e))
    }

    /// The seller's contract file.
    pub fn contract_path(seller: &str) -> String {
        format!("contracts/{seller}.toml")
    }

    /// FX files for the period: `fx/<period>.csv` and any `fx/<period>-*.csv`
    /// (e.g. a PTAX file), sorted by name.
    ///
    /// # Errors
    /// [`Error::Io`] if `fx/` cannot be listed.
    pub fn fx_files(&self, period: Period) -> Result<Vec<String>, Error> {
        let prefix = period.to_string();
        let mut names: Vec<String> = list_files(&self.root.join("fx"))?
            .into_iter()
            .filter(|n| n == &format!("{prefix}.csv") || (n.starts_with(&format!("{prefix}-")) && n.ends_with(".csv")))
            .map(|n| format!("fx/{n}"))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The folder of `seller`'s exports for `period`, relative to the
    /// workspace (it may not exist).
    pub fn export_dir(period: Period, seller: &str) -> String {
        format!("exports/{period}/{seller}")
    }

    /// The seller's exports for the period, sorted by path; empty if the
    /// folder is absent: the files of `exports/<period>/<seller>/` (any
    /// names, hidden files skipped), each of its format's home market, and
    /// those of each market's folder in it (`amazon_br/`,
    /// `shopify-<store>/`, see [`Market::folder`]), each of that market.
    ///
    /// # Errors
    /// [`Error::Io`] if the folder exists but cannot be listed.
    pub fn export_files(&self, period: Period, seller: &str) -> Result<Vec<(String, Option<Market>)>, Error> {
        let rel = Workspace::export_dir(period, seller);
        let dir = self.root.join(&rel);
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut names: Vec<(String, Option<Market>)> =
            list_files(&dir)?.into_iter().map(|n| (format!("{rel}/{n}"), None)).collect();
        for folder in list_folders(&dir)? {
            let Some(market) = Market::of_folder(&folder) else { continue };
            let files = list_files(&dir.join(&folder))?;
            names.extend(files.into_iter().map(|n| (format!("{rel}/{folder}/{n}"), Some(market))));
        }
        names.sort();
        Ok(names)
    }

    /// The files of `period` no seller reads ([`Strays::scan`]), scanned on
    /// the first call for the period and shared afterwards.
    ///
    /// # Errors
    /// As [`Strays::scan`].
    pub fn strays(&self, period: Period) -> Result<Arc<Strays>, Error> {
        let mut memo = self.strays.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, strays)) = memo.as_ref()
            && *p == period
        {
            return Ok(strays.clone());
        }
        let strays = Arc::new(Strays::scan(self, period)?);
        *memo = Some((period, strays.clone()));
        Ok(strays)
    }

    /// The seller's pass-through cost ledger for the period, if present.
    pub fn cost_file(&self, period: Period, seller: &str) -> Option<String> {
        let rel = format!("costs/{period}/{seller}.csv");
        // A link counts whatever it leads to: reading it says what is wrong.
        fs::symlink_metadata(self.root.join(&rel)).is_ok_and(|m| !m.is_dir()).then_some(rel)
    }
}

/// Whether `c` is a control character or a Unicode bidirectional
/// formatting character (U+200E/F, U+202A–E, U+2066–9, U+061C).
fn is_deceptive(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}')
}

/// Names of the non-hidden entries directly in `dir` that are not folders
/// (nor links to folders): regular files, and also links and special files,
/// which [`Workspace::read`] then refuses by name rather than skipping them
/// unseen.
/// The folders in `dir` (not hidden ones).
fn list_folders(dir: &Path) -> Result<Vec<String>, Error> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && entry.path().is_dir() {
            names.push(name);
        }
    }
    Ok(names)
}

fn list_files(dir: &Path) -> Result<Vec<String>, Error> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || entry.path().is_dir() {
            continue;
        }
        names.push(name);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_leading_outside_the_workspace_and_deceptive_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(root.join("costs")).unwrap();
        std::fs::write(root.join("kpiseal.toml"), "[provider]\nname = \"P\"\nlegal_name = \"P Ltd\"\n").unwrap();
        std::fs::write(dir.path().join("outside.csv"), "x").unwrap();
        std::fs::write(root.join("inside.csv"), "y").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.csv"), root.join("costs/out.csv")).unwrap();
        std::os::unix::fs::symlink("../inside.csv", root.join("costs/in.csv")).unwrap();
        let ws = Workspace::open(&root).unwrap();
        let e = ws.read("costs/out.csv").unwrap_err().to_string();
        assert!(e.starts_with("costs/out.csv: is a symbolic link to ") && e.contains("outside the workspace"), "{e}");
        assert_eq!(ws.read("costs/in.csv").unwrap().bytes(), b"y");
        let e = ws.read("costs/a\u{202e}b.csv").unwrap_err().to_string();
        assert!(e.starts_with("costs/a\\u{202e}b.csv: the name holds the character U+202E"), "{e}");
    }

    #[test]
    fn a_file_read_chunk_by_chunk_has_all_its_bytes_and_their_digest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kpiseal.toml"), "[provider]\nname = \"P\"\nlegal_name = \"P Ltd\"\n").unwrap();
        let chunk = usize::try_from(READ_CHUNK).unwrap();
        // Empty, one byte, exactly one chunk, and a chunk and a half.
        for len in [0, 1, chunk, chunk * 3 / 2] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            std::fs::write(dir.path().join("in.csv"), &bytes).unwrap();
            let file = Workspace::open(dir.path()).unwrap().read("in.csv").unwrap();
            assert_eq!(file.bytes(), bytes, "{len} bytes");
            assert_eq!(file.sha256_hex(), hex::encode(Sha256::digest(&bytes)), "{len} bytes");
        }
    }

    #[test]
    fn an_input_over_the_size_limit_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kpiseal.toml"), "[provider]\nname = \"P\"\nlegal_name = \"P Ltd\"\n").unwrap();
        std::fs::File::create(dir.path().join("big.txt")).unwrap().set_len(MAX_INPUT_BYTES + 1).unwrap();
        let e = Workspace::open(dir.path()).unwrap().read("big.txt").unwrap_err().to_string();
        assert!(e.starts_with("big.txt: is 1073741825 bytes, more than the 1073741824 bytes"), "{e}");
    }
}
