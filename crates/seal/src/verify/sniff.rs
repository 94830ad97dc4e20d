//! What kind of file a path is, decided from its bytes, strictly: one kind
//! or a refusal.
//!
//! PDF readers accept `%PDF-` anywhere in the first 1024 bytes and find the
//! document from `%%EOF`/`startxref` at the end; zip readers find the
//! archive from its end record in the last 64 KiB, or walk local headers
//! from byte 0. A file carrying markers of both kinds opens as a PDF in one
//! program and as a zip in another, so it is refused as ambiguous rather
//! than checked as either.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::tree::open_regular;

/// How far from the start a PDF reader looks for `%PDF-`, and from the end for `%%EOF`.
const PDF_WINDOW: u64 = 1024;
/// How far from the end a zip reader looks for the end record (22 bytes and
/// a comment of up to 65535).
const ZIP_WINDOW: u64 = 22 + 0xFFFF;

/// The one kind a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Pdf,
    Zip,
    /// Begins (after white space) with `{`: a manifest or period manifest.
    Json,
}

/// What marks of each kind a file's head and tail carry.
#[derive(Debug, Default, PartialEq, Eq)]
struct Marks {
    /// Offset of `%PDF-` in the first 1024 bytes.
    pdf_header: Option<usize>,
    /// `%%EOF` or `startxref` in the last 1024 bytes.
    pdf_trailer: bool,
    /// A zip local header at byte 0.
    zip_start: bool,
    /// A zip end record whose comment ends exactly at the end of the file.
    zip_end: bool,
    /// The first byte that is not white space is `{`.
    json: bool,
}

/// The kind of the regular file at `path`, or why it has none: ambiguous,
/// prefixed, or named for another kind than its bytes (`.pdf`, `.zip` and
/// `.json` names must match).
pub(crate) fn sniff(path: &Path) -> Result<FileKind, String> {
    let (mut file, len) = open_regular(path).map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    (&mut file).take(PDF_WINDOW).read_to_end(&mut head).map_err(|e| e.to_string())?;
    let tail_len = len.min(ZIP_WINDOW);
    file.seek(SeekFrom::Start(len - tail_len)).map_err(|e| e.to_string())?;
    let mut tail = Vec::new();
    file.take(tail_len).read_to_end(&mut tail).map_err(|e| e.to_string())?;
    let kind = decide(&marks(&head, &tail))?;
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let named = match extension.as_deref() {
        Some("pdf") => Some(FileKind::Pdf),
        Some("zip") => Some(FileKind::Zip),
        Some("json") => Some(FileKind::Json),
        _ => None,
    };
    match named {
        Some(named) if named != kind => Err(format!("named as a {} but its bytes are a {}", label(named), label(kind))),
        _ => Ok(kind),
    }
}

fn label(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Pdf => "PDF",
        FileKind::Zip => "zip",
        FileKind::Json => "JSON file",
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn marks(head: &[u8], tail: &[u8]) -> Marks {
    let pdf_tail = &tail[tail.len().saturating_sub(PDF_WINDOW as usize)..];
    let zip_end = (0..tail.len().saturating_sub(21)).any(|at| {
        tail[at..].starts_with(b"PK\x05\x06")
            && usize::from(u16::from_le_bytes([tail[at + 20], tail[at + 21]])) == tail.len() - at - 22
    });
    Marks {
        pdf_header: find(head, b"%PDF-"),
        pdf_trailer: find(pdf_tail, b"%%EOF").is_some() || find(pdf_tail, b"startxref").is_some(),
        zip_start: head.starts_with(b"PK\x03\x04"),
        zip_end,
        json: head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
    }
}

fn decide(m: &Marks) -> Result<FileKind, String> {
    let pdf = m.pdf_header.is_some() || m.pdf_trailer;
    let zip = m.zip_start || m.zip_end;
    if pdf && zip {
        return Err("ambiguous: it carries the marks of both a PDF and a zip, so PDF readers and zip readers \
                    would show different contents"
            .into());
    }
    if pdf {
        return match m.pdf_header {
            Some(0) => Ok(FileKind::Pdf),
            Some(at) => Err(format!("{at} bytes come before %PDF-; a statement PDF begins with it")),
            None => Err("it ends like a PDF but does not begin with %PDF-".into()),
        };
    }
    if zip {
        return match (m.zip_start, m.zip_end) {
            (true, true) => Ok(FileKind::Zip),
            (false, _) => Err("bytes come before the zip's first entry".into()),
            (true, false) => Err("the zip has no end record at its end (truncated, or data after it)".into()),
        };
    }
    if m.json {
        return Ok(FileKind::Json);
    }
    Err("not a PDF, a zip or a JSON manifest".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(bytes: &[u8]) -> Result<FileKind, String> {
        decide(&marks(&bytes[..bytes.len().min(1024)], &bytes[bytes.len().saturating_sub(ZIP_WINDOW as usize)..]))
    }

    fn zip_end(comment: &[u8]) -> Vec<u8> {
        let mut end = b"PK\x05\x06".to_vec();
        end.extend_from_slice(&[0; 16]);
        end.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        end.extend_from_slice(comment);
        end
    }

    #[test]
    fn each_kind_is_recognised_from_its_bytes() {
        assert_eq!(kind_of(b"%PDF-1.7\n...\n%%EOF\n"), Ok(FileKind::Pdf));
        let zip = [b"PK\x03\x04rest".as_slice(), &zip_end(b"")].concat();
        assert_eq!(kind_of(&zip), Ok(FileKind::Zip));
        assert_eq!(kind_of(b"  {\"schema\":1}"), Ok(FileKind::Json));
    }

    #[test]
    fn a_pdf_zip_polyglot_is_ambiguous_whichever_way_it_is_built() {
        let stored_pdf_first = [b"PK\x03\x04....%PDF-1.7 forged".as_slice(), &zip_end(b"startxref 40 %%EOF")].concat();
        let pdf_with_zip_appended = [b"%PDF-1.7 real %%EOF".as_slice(), b"PK\x03\x04", &zip_end(b"")].concat();
        for bytes in [stored_pdf_first, pdf_with_zip_appended] {
            assert!(kind_of(&bytes).unwrap_err().starts_with("ambiguous"), "{:?}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn prefixes_and_truncations_are_refused() {
        assert!(kind_of(b"junk%PDF-1.7").unwrap_err().contains("4 bytes come before %PDF-"));
        assert!(kind_of(b"junk startxref 1 %%EOF").unwrap_err().contains("does not begin"));
        assert!(kind_of(&[b"junk".as_slice(), &zip_end(b"")].concat()).unwrap_err().contains("before the zip"));
        assert!(kind_of(b"PK\x03\x04 cut").unwrap_err().contains("no end record"));
        assert!(kind_of(b"plain text").is_err());
    }

    #[test]
    fn a_file_named_for_another_kind_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.zip");
        std::fs::write(&path, b"%PDF-1.7\n%%EOF\n").unwrap();
        assert_eq!(sniff(&path).unwrap_err(), "named as a zip but its bytes are a PDF");
    }
}
