//! The bounds `kpiseal verify` keeps to, whatever it is given, so that a
//! hostile bundle ends in seconds with a named refusal and bounded memory.
//! README ("Verifying a statement") lists them for readers.

/// Largest file read into memory to be parsed: a PDF, a manifest, a
/// signature, a key file, statement.json or a bag's tag file. A statement
/// PDF is well under 1 MiB.
pub const MAX_PARSED_FILE: u64 = 64 << 20;

/// Largest file hashed (never held in memory): an input copied into the
/// evidence bag with `--include-inputs`, or an entry of the evidence zip.
pub const MAX_HASHED_FILE: u64 = 4 << 30;

/// Most files and folders read from one folder or zip.
pub const MAX_ENTRIES: usize = 10_000;

/// Deepest folder nesting read (a statement folder is 4 deep with inputs).
pub const MAX_DEPTH: usize = 16;

/// Most bytes all of a zip's entries may inflate to together.
pub const MAX_ZIP_TOTAL: u64 = 16 << 30;

/// Highest compression ratio (inflated ÷ compressed) accepted for a zip
/// entry inflating to more than [`RATIO_FLOOR`] bytes, checked before
/// inflating. Deflate reaches about 1032:1 on purpose-made input; a
/// statement's files (PDF, JSON, marketplace exports) compress at most
/// about 20:1.
pub const MAX_RATIO: u64 = 100;

/// Entries inflating to at most this many bytes are exempt from [`MAX_RATIO`].
pub const RATIO_FLOOR: u64 = 1 << 20;

/// Largest central directory read (about 100 bytes per entry).
pub const MAX_CENTRAL_DIRECTORY: u64 = 16 << 20;
