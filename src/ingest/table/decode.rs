//! Text bytes to text: UTF-8 (with or without BOM), UTF-16 with a BOM, or
//! Windows-1252, refusing what no one reading gets right.

use std::borrow::Cow;

use crate::error::{InputError, Location};

/// Decodes text bytes leniently, for sniffing a format: as
/// [`decode_text_checked`] does, or lossily as UTF-8 when it refuses.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    match decode_text_checked("", bytes) {
        Ok(text) => text,
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Decodes the bytes of a text input, read correctly or refused by name,
/// never read as the wrong encoding:
///
/// - a byte-order mark decides: UTF-8, UTF-16 LE or UTF-16 BE;
/// - otherwise valid UTF-8 is UTF-8;
/// - otherwise the legacy encodings the exports and ledgers are written in:
///   Windows-1252 (older Brazilian exports) when every non-ASCII byte reads
///   as a Latin letter or common sign and stands alone or in a pair
///   (`ção`), else GB18030 (which contains GBK), the encoding of Chinese
///   text saved by Excel or WPS on a Chinese Windows, when it decodes
///   without error.
///
/// UTF-8 text is borrowed, not copied.
///
/// # Errors
/// An [`InputError`] naming `file` when the bytes hold NUL bytes (a binary
/// file, or UTF-16 without a byte-order mark), mix UTF-8 lines with lines in
/// another encoding (naming one line of each), are malformed UTF-16, or fit
/// none of the encodings above.
pub fn decode_text_checked<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, str>, InputError> {
    const SAVE_AS: &str = "save it as UTF-8 (e.g. Excel: Save As \"CSV UTF-8\")";
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(file, rest, encoding_rs::UTF_16LE);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(file, rest, encoding_rs::UTF_16BE);
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The common case, UTF-8, costs one validation pass and one vectorized
    // scan for the NUL (the memchr crate's, several times faster on a
    // megabyte than `str::find`'s word-at-a-time one).
    let utf8 = simdutf8::basic::from_utf8(body);
    let nul = memchr::memchr(0, body);
    if let Some(at) = nul {
        let line = body[..at].iter().filter(|b| **b == b'\n').count() + 1;
        return Err(InputError {
            file: file.to_string(),
            location: Location::Line(line),
            column: None,
            message: format!(
                "holds a NUL byte: it is not a text file, or is UTF-16 without a byte-order mark; {SAVE_AS}"
            ),
        });
    }
    if let Ok(text) = utf8 {
        return Ok(Cow::Borrowed(text));
    }
    let (mut utf8_line, mut other_line) = (None, None);
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if line.is_ascii() {
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(_) => utf8_line.get_or_insert(i + 1),
            Err(_) => other_line.get_or_insert(i + 1),
        };
    }
    if let (Some(utf8), Some(other)) = (utf8_line, other_line) {
        return Err(InputError {
            file: file.to_string(),
            location: Location::Line(other),
            column: None,
            message: format!(
                "the file mixes encodings: line {utf8} is UTF-8 and line {other} is not, so no one reading of it is right; {SAVE_AS}"
            ),
        });
    }
    if looks_like_windows_1252(body) {
        return Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(body).0);
    }
    if let Some(text) = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(body) {
        return Ok(Cow::Owned(text.into_owned()));
    }
    Err(InputError::file(
        file,
        format!(
            "is not text kpiseal can read: neither UTF-8, UTF-16 with a byte-order mark, Windows-1252 nor GB18030 (GBK); {SAVE_AS}"
        ),
    ))
}

fn utf16<'a>(file: &str, body: &[u8], encoding: &'static encoding_rs::Encoding) -> Result<Cow<'a, str>, InputError> {
    match encoding.decode_without_bom_handling_and_without_replacement(body) {
        Some(text) => Ok(Cow::Owned(text.into_owned())),
        None => Err(InputError::file(
            file,
            format!(
                "starts with a {} byte-order mark but is not valid {0} text (a truncated or mixed file?)",
                encoding.name()
            ),
        )),
    }
}

/// Whether non-UTF-8 `bytes` read as Latin text in Windows-1252: every run
/// of non-ASCII bytes is at most two long (Portuguese `ção`, `ões`) and
/// each reads as a letter or a sign such exports use (`N.º`, `€`, `–`).
/// Chinese text in GBK/GB18030 has runs of two bytes per character, most
/// words two characters or more, and four-byte codes starting at 0x81,
/// which Windows-1252 does not define.
fn looks_like_windows_1252(bytes: &[u8]) -> bool {
    const SIGNS: &str = "ºª°€–—‘’“”•…§©®±²³µ·¹«»¿ ";
    let mut run = 0;
    for &b in bytes {
        if b < 0x80 {
            run = 0;
            continue;
        }
        run += 1;
        if run > 2 {
            return false;
        }
        let byte = [b];
        let (text, bad) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
        let Some(c) = text.chars().next() else { return false };
        if bad || !(c.is_alphabetic() || SIGNS.contains(c)) {
            return false;
        }
    }
    true
}
