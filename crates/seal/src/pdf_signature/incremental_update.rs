//! The incremental update that adds an invisible signature field to a PDF:
//! new objects, a classic cross-reference section and a trailer with
//! `/Prev`, appended after the original bytes, which stay untouched.

use std::io::Write;

use chrono::{DateTime, Utc};
use lopdf::{Dictionary, Document, Object, ObjectId, StringFormat};
use sha2::{Digest, Sha256};

use super::SealError;
use super::pdf_syntax::{write_date, write_object, write_text_string};

/// Hex digits reserved for the CMS signature in `/Contents`: 8 KiB of hex,
/// room for 4 KiB of DER, about five times the ~830 bytes the signature
/// with its certificate takes.
pub const CONTENTS_HEX_DIGITS: usize = 8 * 1024;

/// Characters reserved for the `/ByteRange` array, patched in place once
/// the offsets are known: `[0 b c d]` padded with spaces.
const BYTE_RANGE_WIDTH: usize = 40;

/// What the signer states in the signature dictionary.
pub(crate) struct SignatureFields<'a> {
    pub signing_time: DateTime<Utc>,
    pub reason: &'a str,
    pub location: &'a str,
}

/// The signed file before the signature is in it: all bytes, with
/// `/Contents` all zeros and `/ByteRange` already filled in.
pub(crate) struct PreparedPdf {
    pub bytes: Vec<u8>,
    /// The offset of `<` of the `/Contents` hex string.
    pub contents_start: usize,
    /// The offset just past its `>`.
    pub contents_end: usize,
}

impl PreparedPdf {
    /// The two signed byte ranges: everything but the `/Contents` string.
    pub fn signed_ranges(&self) -> [&[u8]; 2] {
        [&self.bytes[..self.contents_start], &self.bytes[self.contents_end..]]
    }

    /// Writes `signature` (DER) as hex into the reserved `/Contents`.
    pub fn insert_signature(&mut self, signature: &[u8]) -> Result<(), SealError> {
        let hex = hex::encode_upper(signature);
        if hex.len() > CONTENTS_HEX_DIGITS {
            return Err(SealError::SignatureTooLarge { bytes: signature.len(), reserved: CONTENTS_HEX_DIGITS / 2 });
        }
        let start = self.contents_start + 1;
        self.bytes[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(())
    }
}

/// The parts of the original file the update refers to, with indirect
/// arrays resolved so that the update can write them inline.
struct Original {
    catalog_id: ObjectId,
    catalog: Dictionary,
    page_id: ObjectId,
    page: Dictionary,
    page_annotations: Vec<Object>,
    acro_form: AcroFormPlace,
    form_fields: Vec<Object>,
    next_object_number: u32,
    previous_xref: usize,
    info: Option<Object>,
    id: Option<Object>,
}

/// Where the document's interactive form dictionary lives.
enum AcroFormPlace {
    /// Inline in the catalog, or absent (then an empty dictionary).
    InCatalog(Dictionary),
    /// In an object of its own, rewritten in the update.
    Object(ObjectId, Dictionary),
}

/// Builds the update for `pdf`: a signature dictionary, an invisible widget
/// on page 1 that is also the signature field, new revisions of the page and
/// catalog (with `/AcroForm /SigFlags 3`), then xref and trailer. The
/// `/ByteRange` is filled in; `/Contents` is all zeros.
pub(crate) fn prepare(pdf: &[u8], fields: &SignatureFields<'_>) -> Result<PreparedPdf, SealError> {
    let original = read_original(pdf)?;
    let signature_id = (original.next_object_number, 0);
    let widget_id = (original.next_object_number + 1, 0);

    let mut out = Vec::with_capacity(pdf.len() + CONTENTS_HEX_DIGITS + 4096);
    out.extend_from_slice(pdf);
    if !matches!(pdf.last(), Some(b'\n' | b'\r')) {
        out.push(b'\n');
    }
    let mut offsets: Vec<(ObjectId, usize)> = Vec::new();

    // The signature dictionary; `/Contents` last.
    offsets.push((signature_id, out.len()));
    let _ = write!(
        out,
        "{} {} obj\n<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M ",
        signature_id.0, signature_id.1
    );
    write_date(&mut out, fields.signing_time);
    out.extend_from_slice(b" /Reason ");
    write_text_string(&mut out, fields.reason);
    out.extend_from_slice(b" /Location ");
    write_text_string(&mut out, fields.location);
    out.extend_from_slice(b" /ByteRange ");
    let byte_range_at = out.len();
    out.resize(out.len() + BYTE_RANGE_WIDTH, b' ');
    out.extend_from_slice(b" /Contents ");
    let contents_start = out.len();
    out.push(b'<');
    out.resize(out.len() + CONTENTS_HEX_DIGITS, b'0');
    out.push(b'>');
    let contents_end = out.len();
    out.extend_from_slice(b">>\nendobj\n");

    // The field and its widget, one dictionary.
    offsets.push((widget_id, out.len()));
    let _ = write!(out, "{} {} obj\n<</Type /Annot /Subtype /Widget /FT /Sig /T ", widget_id.0, widget_id.1);
    write_text_string(&mut out, &format!("Signature{}", original.form_fields.len() + 1));
    let _ = write!(
        out,
        " /V {} {} R /F 132 /Rect [0 0 0 0] /P {} {} R>>\nendobj\n",
        signature_id.0, signature_id.1, original.page_id.0, original.page_id.1
    );

    let mut page = original.page;
    let mut annotations = original.page_annotations;
    annotations.push(Object::Reference(widget_id));
    page.set("Annots", Object::Array(annotations));
    write_indirect(&mut out, &mut offsets, original.page_id, &page)?;

    let mut catalog = original.catalog;
    let mut form_fields = original.form_fields;
    form_fields.push(Object::Reference(widget_id));
    match original.acro_form {
        AcroFormPlace::InCatalog(mut form) => {
            form.set("Fields", Object::Array(form_fields));
            form.set("SigFlags", Object::Integer(3));
            catalog.set("AcroForm", Object::Dictionary(form));
        }
        AcroFormPlace::Object(id, mut form) => {
            form.set("Fields", Object::Array(form_fields));
            form.set("SigFlags", Object::Integer(3));
            write_indirect(&mut out, &mut offsets, id, &form)?;
        }
    }
    write_indirect(&mut out, &mut offsets, original.catalog_id, &catalog)?;

    let xref_at = out.len();
    write_xref_section(&mut out, offsets);
    let mut trailer = Dictionary::new();
    trailer.set("Size", Object::Integer(i64::from(original.next_object_number) + 2));
    trailer.set("Root", Object::Reference(original.catalog_id));
    if let Some(info) = original.info {
        trailer.set("Info", info);
    }
    let id = original.id.unwrap_or_else(|| {
        // PDF 2.0 requires /ID; a file without one gets one derived from its bytes.
        let half = Object::String(Sha256::digest(pdf)[..16].to_vec(), StringFormat::Hexadecimal);
        Object::Array(vec![half.clone(), half])
    });
    trailer.set("ID", id);
    trailer.set("Prev", Object::Integer(i64::try_from(original.previous_xref).unwrap_or(i64::MAX)));
    out.extend_from_slice(b"trailer\n");
    write_object(&mut out, &Object::Dictionary(trailer)).map_err(|what| SealError::Unsupported { what })?;
    let _ = write!(out, "\nstartxref\n{xref_at}\n%%EOF\n");

    let byte_range = format!("[0 {contents_start} {contents_end} {}]", out.len() - contents_end);
    out[byte_range_at..byte_range_at + byte_range.len()].copy_from_slice(byte_range.as_bytes());
    Ok(PreparedPdf { bytes: out, contents_start, contents_end })
}

impl AcroFormPlace {
    fn dictionary(&self) -> &Dictionary {
        match self {
            AcroFormPlace::InCatalog(dictionary) | AcroFormPlace::Object(_, dictionary) => dictionary,
        }
    }
}

/// Reads what the update needs from the original with lopdf, refusing what
/// this writer does not handle (encryption, cross-reference streams).
fn read_original(pdf: &[u8]) -> Result<Original, SealError> {
    let previous_xref = last_startxref(pdf).ok_or(SealError::NotAPdf { reason: "no startxref at its end".into() })?;
    if !pdf.get(previous_xref..).is_some_and(|rest| rest.starts_with(b"xref")) {
        return Err(SealError::Unsupported {
            what: "a cross-reference stream (only classic xref tables are supported)",
        });
    }
    let document = Document::load_mem(pdf).map_err(|error| SealError::NotAPdf { reason: error.to_string() })?;
    if document.trailer.has(b"Encrypt") || document.encryption_state.is_some() {
        return Err(SealError::Unsupported { what: "an encrypted PDF" });
    }
    let not_a_pdf = |reason: &str| SealError::NotAPdf { reason: reason.to_owned() };
    let catalog_id = document
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| not_a_pdf("the trailer has no /Root"))?;
    let catalog = document.get_dictionary(catalog_id).map_err(|_| not_a_pdf("/Root is not a dictionary"))?.clone();
    let page_id = document.page_iter().next().ok_or_else(|| not_a_pdf("the document has no pages"))?;
    let page = document.get_dictionary(page_id).map_err(|_| not_a_pdf("page 1 is not a dictionary"))?.clone();
    let page_annotations = match page.get(b"Annots") {
        Ok(annotations) => {
            resolve_array(&document, annotations).ok_or_else(|| not_a_pdf("page 1 /Annots is not an array"))?
        }
        Err(_) => Vec::new(),
    };
    let acro_form = match catalog.get(b"AcroForm") {
        Err(_) => AcroFormPlace::InCatalog(Dictionary::new()),
        Ok(Object::Dictionary(form)) => AcroFormPlace::InCatalog(form.clone()),
        Ok(Object::Reference(id)) => AcroFormPlace::Object(
            *id,
            document.get_dictionary(*id).map_err(|_| not_a_pdf("/AcroForm is not a dictionary"))?.clone(),
        ),
        Ok(_) => return Err(not_a_pdf("/AcroForm is not a dictionary")),
    };
    let form_fields = match acro_form.dictionary().get(b"Fields") {
        Ok(fields) => resolve_array(&document, fields).ok_or_else(|| not_a_pdf("/AcroForm /Fields is not an array"))?,
        Err(_) => Vec::new(),
    };
    let size = document.trailer.get(b"Size").and_then(Object::as_i64).ok().and_then(|size| u32::try_from(size).ok());
    let next_object_number = size.unwrap_or(0).max(document.max_id.saturating_add(1));
    if next_object_number > 8_000_000 {
        return Err(not_a_pdf("more objects than a PDF may hold"));
    }
    Ok(Original {
        catalog_id,
        catalog,
        page_id,
        page,
        page_annotations,
        acro_form,
        form_fields,
        next_object_number,
        previous_xref,
        info: document.trailer.get(b"Info").ok().cloned(),
        id: document.trailer.get(b"ID").ok().cloned(),
    })
}

/// An array, direct or through one reference.
fn resolve_array(document: &Document, object: &Object) -> Option<Vec<Object>> {
    match object {
        Object::Array(items) => Some(items.clone()),
        Object::Reference(id) => document.get_object(*id).ok()?.as_array().ok().cloned(),
        _ => None,
    }
}

/// The offset after the last `startxref` keyword in the file's tail.
pub(crate) fn last_startxref(pdf: &[u8]) -> Option<usize> {
    let tail_start = pdf.len().saturating_sub(1024);
    let tail = &pdf[tail_start..];
    let keyword = b"startxref";
    let at = tail.windows(keyword.len()).rposition(|window| window == keyword)?;
    let digits: String = tail[at + keyword.len()..]
        .iter()
        .skip_while(|byte| byte.is_ascii_whitespace())
        .take_while(|byte| byte.is_ascii_digit())
        .map(|&byte| char::from(byte))
        .collect();
    digits.parse().ok()
}

fn write_indirect(
    out: &mut Vec<u8>,
    offsets: &mut Vec<(ObjectId, usize)>,
    id: ObjectId,
    dictionary: &Dictionary,
) -> Result<(), SealError> {
    offsets.push((id, out.len()));
    let _ = writeln!(out, "{} {} obj", id.0, id.1);
    write_object(out, &Object::Dictionary(dictionary.clone())).map_err(|what| SealError::Unsupported { what })?;
    out.extend_from_slice(b"\nendobj\n");
    Ok(())
}

/// A classic `xref` section listing `offsets`, one subsection per run of
/// consecutive object numbers; each entry is exactly 20 bytes.
fn write_xref_section(out: &mut Vec<u8>, mut offsets: Vec<(ObjectId, usize)>) {
    offsets.sort_by_key(|((number, _), _)| *number);
    out.extend_from_slice(b"xref\n");
    let mut start = 0;
    while start < offsets.len() {
        let mut end = start + 1;
        while end < offsets.len() && offsets[end].0.0 == offsets[end - 1].0.0 + 1 {
            end += 1;
        }
        let _ = writeln!(out, "{} {}", offsets[start].0.0, end - start);
        for ((_, generation), offset) in &offsets[start..end] {
            let _ = write!(out, "{offset:010} {generation:05} n\r\n");
        }
        start = end;
    }
}
