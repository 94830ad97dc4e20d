//! Writing PDF objects, text strings and dates as bytes (ISO 32000-2 §7.3,
//! §7.9.2, §7.9.4), and reading back the one date the verifier needs.

use std::io::Write;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use lopdf::{Object, StringFormat};

/// Appends the PDF syntax of a direct object. Streams cannot be direct
/// objects; `Err` names the one found.
pub(crate) fn write_object(out: &mut Vec<u8>, object: &Object) -> Result<(), &'static str> {
    match object {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(value) => out.extend_from_slice(if *value { b"true" } else { b"false" }),
        Object::Integer(value) => out.extend_from_slice(value.to_string().as_bytes()),
        // `Display` for floats never uses exponent notation.
        Object::Real(value) if value.is_finite() => out.extend_from_slice(value.to_string().as_bytes()),
        Object::Real(_) => out.extend_from_slice(b"0"),
        Object::Name(name) => write_name(out, name),
        Object::String(bytes, StringFormat::Literal) => write_literal_string(out, bytes),
        Object::String(bytes, StringFormat::Hexadecimal) => write_hex_string(out, bytes),
        Object::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b' ');
                }
                write_object(out, item)?;
            }
            out.push(b']');
        }
        Object::Dictionary(dictionary) => {
            out.extend_from_slice(b"<<");
            for (index, (key, value)) in dictionary.iter().enumerate() {
                if index > 0 {
                    out.push(b' ');
                }
                write_name(out, key);
                out.push(b' ');
                write_object(out, value)?;
            }
            out.extend_from_slice(b">>");
        }
        Object::Stream(_) => return Err("a stream where a direct object was expected"),
        Object::Reference((number, generation)) => {
            // Writing into a Vec cannot fail.
            let _ = write!(out, "{number} {generation} R");
        }
    }
    Ok(())
}

/// `/Name`, with `#xx` escapes for delimiters, white space, `#` and bytes
/// outside `!`..`~`.
pub(crate) fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    for &byte in name {
        if !(b'!'..=b'~').contains(&byte) || b"()<>[]{}/%#".contains(&byte) {
            let _ = write!(out, "#{byte:02X}");
        } else {
            out.push(byte);
        }
    }
}

/// `(bytes)` with `(`, `)`, `\` and CR escaped.
fn write_literal_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'(');
    for &byte in bytes {
        match byte {
            b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', byte]),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(byte),
        }
    }
    out.push(b')');
}

fn write_hex_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'<');
    out.extend_from_slice(hex::encode_upper(bytes).as_bytes());
    out.push(b'>');
}

/// A PDF text string: printable ASCII as a literal string, anything else
/// as UTF-16BE with a byte order mark, in hex.
pub(crate) fn write_text_string(out: &mut Vec<u8>, text: &str) {
    if text.bytes().all(|byte| (b' '..=b'~').contains(&byte)) {
        write_literal_string(out, text.as_bytes());
    } else {
        let mut utf16 = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            utf16.extend_from_slice(&unit.to_be_bytes());
        }
        write_hex_string(out, &utf16);
    }
}

/// The PDF date `(D:YYYYMMDDHHmmSSZ)` of an instant, in UTC.
pub(crate) fn write_date(out: &mut Vec<u8>, time: DateTime<Utc>) {
    let _ = write!(out, "(D:{})", time.format("%Y%m%d%H%M%SZ"));
}

/// Reads a full PDF date `D:YYYYMMDDHHmmSS` followed by `Z`, nothing, or
/// `+HH'mm'` / `-HH'mm'` (the apostrophes optional). Shorter forms and
/// anything else give `None`.
pub(crate) fn parse_date(text: &[u8]) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(text).ok()?;
    let text = text.strip_prefix("D:")?;
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        if part.bytes().all(|byte| byte.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(digits(0..4)?).ok()?, digits(4..6)?, digits(6..8)?)?;
    let naive = date.and_hms_opt(digits(8..10)?, digits(10..12)?, digits(12..14)?)?;
    let zone = text.get(14..)?;
    let offset_seconds = match zone.as_bytes().first() {
        None | Some(b'Z') if zone.len() <= 1 => 0,
        Some(sign @ (b'+' | b'-')) => {
            let rest: String = zone[1..].chars().filter(|c| *c != '\'').collect();
            if rest.len() != 4 || !rest.bytes().all(|byte| byte.is_ascii_digit()) {
                return None;
            }
            let hours: i32 = rest[..2].parse().ok()?;
            let minutes: i32 = rest[2..].parse().ok()?;
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let local = FixedOffset::east_opt(offset_seconds)?.from_local_datetime(&naive).single()?;
    Some(local.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{Dictionary, dictionary};

    fn written(object: &Object) -> String {
        let mut out = Vec::new();
        write_object(&mut out, object).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn objects_are_written_in_pdf_syntax() {
        let dictionary: Dictionary = dictionary! {
            "Type" => "Catalog",
            "A b" => Object::Array(vec![1.into(), 2.5f32.into(), Object::Null, true.into(), (3, 0).into()]),
            "S" => Object::string_literal("a(b)\\c"),
            "H" => Object::String(vec![0, 255], StringFormat::Hexadecimal),
        };
        let text = written(&Object::Dictionary(dictionary));
        assert_eq!(text, "<</Type /Catalog /A#20b [1 2.5 null true 3 0 R] /S (a\\(b\\)\\\\c) /H <00FF>>>");
    }

    #[test]
    fn text_strings_outside_ascii_are_utf16_hex() {
        let mut out = Vec::new();
        write_text_string(&mut out, "São Paulo");
        assert_eq!(out, b"<FEFF005300E3006F0020005000610075006C006F>");
        out.clear();
        write_text_string(&mut out, "Month-end (2026-10)");
        assert_eq!(out, b"(Month-end \\(2026-10\\))");
    }

    #[test]
    fn dates_round_trip_and_offsets_are_applied() {
        let time = Utc.with_ymd_and_hms(2026, 11, 1, 9, 30, 5).unwrap();
        let mut out = Vec::new();
        write_date(&mut out, time);
        assert_eq!(out, b"(D:20261101093005Z)");
        assert_eq!(parse_date(b"D:20261101093005Z"), Some(time));
        assert_eq!(parse_date(b"D:20261101063005-03'00'"), Some(time));
        assert_eq!(parse_date(b"D:20261101173005+08'00"), Some(time));
        assert_eq!(parse_date(b"D:2026110109300"), None);
        assert_eq!(parse_date(b"D:20261301093005Z"), None);
        assert_eq!(parse_date(b"D:20261101093005Zjunk"), None);
        assert_eq!(parse_date("D:2026110109300é".as_bytes()), None);
    }
}
