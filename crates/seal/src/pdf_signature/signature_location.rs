//! Finding the last signature in a PDF's raw bytes: its `/ByteRange`, its
//! `/Contents` and its `/M`. Works on bytes, not on a parsed document, so
//! that a damaged or hostile file is reported on rather than refused.

use chrono::{DateTime, Utc};

use super::pdf_syntax::parse_date;

/// The last `/ByteRange` in the file, with where it was found.
pub(crate) struct LocatedSignature {
    /// The four numbers, as written.
    pub byte_range: [u64; 4],
    /// Offset of the `/ByteRange` key.
    pub key_at: usize,
}

/// The last `/ByteRange [a b c d]` in `pdf`. `None` if there is none;
/// `Some(Err)` if one is there but is not four non-negative integers.
pub(crate) fn last_signature(pdf: &[u8]) -> Option<Result<LocatedSignature, String>> {
    let key = b"/ByteRange";
    let key_at = pdf.windows(key.len()).rposition(|window| window == key)?;
    Some(parse_byte_range(&pdf[key_at + key.len()..]).map(|byte_range| LocatedSignature { byte_range, key_at }))
}

fn parse_byte_range(after_key: &[u8]) -> Result<[u64; 4], String> {
    let malformed = || "/ByteRange is not an array of four non-negative integers".to_owned();
    let mut rest = skip_white(after_key);
    rest = rest.strip_prefix(b"[").ok_or_else(malformed)?;
    let mut numbers = [0u64; 4];
    for number in &mut numbers {
        rest = skip_white(rest);
        let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
        if digits == 0 || digits > 15 {
            return Err(malformed());
        }
        *number = std::str::from_utf8(&rest[..digits]).ok().and_then(|text| text.parse().ok()).ok_or_else(malformed)?;
        rest = &rest[digits..];
    }
    skip_white(rest).strip_prefix(b"]").map(|_| numbers).ok_or_else(malformed)
}

/// Checks that `[a b c d]` covers all of a file of `file_len` bytes except
/// exactly the hex string that is the value of `/Contents`, and returns
/// that string's offsets `(start of '<', just past '>')`.
pub(crate) fn excluded_contents(pdf: &[u8], byte_range: [u64; 4]) -> Result<(usize, usize), String> {
    let [first_start, first_len, second_start, second_len] = byte_range;
    let to_usize = |value: u64| usize::try_from(value).map_err(|_| "a /ByteRange number is too large".to_owned());
    let (gap_start, gap_end, second_len) = (to_usize(first_len)?, to_usize(second_start)?, to_usize(second_len)?);
    if first_start != 0 {
        return Err(format!("the signed range starts at byte {first_start}, not at the start of the file"));
    }
    if gap_end <= gap_start || gap_end > pdf.len() {
        return Err(format!("/ByteRange {byte_range:?} does not fit a file of {} bytes", pdf.len()));
    }
    let signed_end = gap_end.checked_add(second_len).ok_or_else(|| "a /ByteRange number is too large".to_owned())?;
    if signed_end != pdf.len() {
        return Err(if signed_end < pdf.len() {
            format!("{} bytes after the signed range are not covered by the signature", pdf.len() - signed_end)
        } else {
            format!("the signed range ends at byte {signed_end}, past the end of the {}-byte file", pdf.len())
        });
    }
    let gap = &pdf[gap_start..gap_end];
    let is_hex_string = gap.len() >= 2
        && gap[0] == b'<'
        && gap[gap.len() - 1] == b'>'
        && gap[1..gap.len() - 1].iter().all(u8::is_ascii_hexdigit)
        && gap.len() % 2 == 0;
    if !is_hex_string {
        return Err("the unsigned gap is not exactly one hex string".into());
    }
    let before = pdf[..gap_start].trim_ascii_end();
    if !before.ends_with(b"/Contents") {
        return Err("the unsigned gap is not the value of /Contents".into());
    }
    Ok((gap_start, gap_end))
}

/// The `/M` date of the signature dictionary holding the `/ByteRange` at
/// `key_at`: the first `/M (` within that object (between the preceding
/// `obj` and the next `endobj`).
pub(crate) fn signing_time(pdf: &[u8], key_at: usize) -> Option<DateTime<Utc>> {
    let object_start = pdf[..key_at].windows(3).rposition(|window| window == b"obj").unwrap_or(0);
    let object_end =
        pdf[key_at..].windows(6).position(|window| window == b"endobj").map_or(pdf.len(), |at| key_at + at);
    let object = &pdf[object_start..object_end];
    let at = object
        .windows(3)
        .position(|window| window[..2] == *b"/M" && (window[2] == b'(' || window[2].is_ascii_whitespace()))?;
    let value = skip_white(&object[at + 2..]).strip_prefix(b"(")?;
    let end = value.iter().position(|&byte| byte == b')')?;
    parse_date(&value[..end])
}

/// The `/Reason` text of the signature dictionary holding the `/ByteRange`
/// at `key_at`: a literal string (with `\\`, `\(` and `\)` escapes) or a
/// UTF-16BE hex string, as `pdf_syntax::write_text_string` writes them.
pub(crate) fn reason(pdf: &[u8], key_at: usize) -> Option<String> {
    let object_start = pdf[..key_at].windows(3).rposition(|window| window == b"obj").unwrap_or(0);
    let object_end =
        pdf[key_at..].windows(6).position(|window| window == b"endobj").map_or(pdf.len(), |at| key_at + at);
    let object = &pdf[object_start..object_end];
    let at = object.windows(7).position(|window| window == b"/Reason")?;
    let value = skip_white(&object[at + 7..]);
    if let Some(literal) = value.strip_prefix(b"(") {
        let mut text = Vec::new();
        let mut bytes = literal.iter();
        while let Some(&byte) = bytes.next() {
            match byte {
                b')' => return String::from_utf8(text).ok(),
                b'\\' => text.push(*bytes.next()?),
                _ => text.push(byte),
            }
        }
        return None;
    }
    let hex_string = value.strip_prefix(b"<")?;
    let end = hex_string.iter().position(|&byte| byte == b'>')?;
    let raw = hex::decode(&hex_string[..end]).ok()?;
    let units: Vec<u16> = raw
        .strip_prefix(&[0xFE, 0xFF])?
        .chunks(2)
        .map(|c| Some(u16::from_be_bytes([c[0], *c.get(1)?])))
        .collect::<Option<_>>()?;
    String::from_utf16(&units).ok()
}

fn skip_white(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|byte| !byte.is_ascii_whitespace()).unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_range_is_read_from_the_last_occurrence() {
        let pdf = b"/ByteRange [0 1 2 3] x /ByteRange[ 0  10\n20 30 ]";
        let found = last_signature(pdf).unwrap().unwrap();
        assert_eq!(found.byte_range, [0, 10, 20, 30]);
        assert!(last_signature(b"no signature").is_none());
        assert!(last_signature(b"/ByteRange [0 1 2]").unwrap().is_err());
        assert!(last_signature(b"/ByteRange [0 1 2 99999999999999999999]").unwrap().is_err());
        assert!(last_signature(b"/ByteRange [0 1 2 -3]").unwrap().is_err());
    }

    #[test]
    fn gap_must_be_exactly_the_contents_hex_string_and_cover_the_file() {
        let pdf = b"ab /Contents <00AF> cd";
        assert_eq!(excluded_contents(pdf, [0, 13, 19, 3]), Ok((13, 19)));
        assert!(excluded_contents(pdf, [0, 13, 19, 2]).unwrap_err().contains("not covered"));
        assert!(excluded_contents(pdf, [0, 13, 19, 4]).is_err());
        assert!(excluded_contents(pdf, [0, 12, 19, 3]).is_err());
        assert!(excluded_contents(pdf, [1, 13, 19, 3]).is_err());
        assert!(excluded_contents(pdf, [0, 19, 13, 9]).is_err());
        assert!(excluded_contents(pdf, [0, u64::MAX, 19, 3]).is_err());
        assert!(excluded_contents(b"ab /Other <00AF> cd", [0, 10, 16, 3]).unwrap_err().contains("/Contents"));
    }
}
