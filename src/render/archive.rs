//! Turns the laid-out statement (the `lopdf::Document` that `render::writer` builds, or
//! printpdf's serializer for what the writer does not cover) into the archival file:
//! PDF/A-3b (ISO 19005-3:2012, on PDF 1.7) with the statement's data embedded as an
//! associated file, the profile Factur-X/ZUGFeRD invoices use for PDFs carrying their data.
//!
//! PDF/A-3b rather than PDF/A-4f (PDF 2.0): an independent PDF/A-1/2/3 validator
//! (`page-validation`) can check it here, where none for PDF/A-4 is installable, and
//! PDF/A-3 allows an embedded file of any type. The signature the next step adds is a
//! CAdES signature (ECDSA P-256, countersigned with Ed25519) that PDF 1.7 readers check as
//! any other; PDF/A-3 puts no rule on a signature's algorithm.
//!
//! # What [`finish`] does
//!
//! - **Header and file structure**: `%PDF-1.7`, followed by a comment of four bytes above 127;
//!   a classic `xref` table and `trailer` (no cross-reference or object streams), so a
//!   signature can be appended as an incremental update. Unreferenced objects are dropped
//!   and objects renumbered from 1.
//! - **No document information dictionary**: PDF/A-3 (6.7.3) requires an `/Info` to agree
//!   with the XMP, entry by entry; printpdf's `/Info` (with its `PdfDocumentInfo` dates) is
//!   removed instead, so those dates never reach the file. Everything it said is in XMP.
//! - **XMP metadata** (catalog `/Metadata`, `/Type /Metadata /Subtype /XML`, uncompressed,
//!   UTF-8, packet header without `bytes`/`encoding` attributes): `pdfaid:part` 3,
//!   `pdfaid:conformance` B; `dc:title` and `dc:description` as language
//!   alternatives (`x-default` plus the document language), `dc:creator`, `dc:subject`
//!   (the keywords), `dc:language`, `dc:format`, `pdf:Producer`, `pdf:Keywords`,
//!   `xmp:CreatorTool`, `xmp:CreateDate`/`ModifyDate`/`MetadataDate`. All properties belong
//!   to schemas predefined by XMP, so no PDF/A extension schema is declared.
//! - **Output intent**: `/S /GTS_PDFA1` with the committed sRGB profile
//!   (`templates/icc/sRGB.icc`, an ICC v2 monitor profile) as `/DestOutputProfile`, `/N 3`.
//!   It replaces any output intent printpdf wrote.
//! - **Embedded files as associated files**: each [`Attachment`] becomes an
//!   `/EmbeddedFile` stream with its MIME type as `/Subtype` and `/Params << /Size /ModDate >>`,
//!   a file specification with `/F`, `/UF`, `/Desc` and `/AFRelationship /Data`, listed in
//!   the catalog's `/AF` array and in the `/Names /EmbeddedFiles` name tree.
//! - **Catalog `/Lang`** from [`ArchiveInfo::language`].
//! - **Fonts subset**: every Type 0 font whose program is a bare CID-keyed CFF
//!   (`/FontFile3 /Subtype /CIDFontType0C`, what printpdf 0.12 writes for OpenType/CFF fonts
//!   such as Noto Sans CJK) is cut to the glyphs the content streams show. The CIDs are kept,
//!   so the content streams, `/W` and `/ToUnicode` stay valid unchanged; the font gets a
//!   `XXXXXX+` subset tag derived from the subset program's SHA-256. printpdf 0.12 built
//!   without its `text_layout` feature embeds whole fonts, which is why this step exists.
//!   A program that already holds exactly the glyphs shown (what `render` hands printpdf:
//!   `fonts::LoadedFace::document_font`) is kept byte for byte.
//! - **No `.notdef`**: a Type 0 text string showing code 0 (the `.notdef` glyph, which is
//!   what printpdf emits for a character the font lacks) is an error (PDF/A-3 6.2.11.8).
//! - **Determinism**: no clock and no randomness. Every date comes from
//!   [`ArchiveInfo::date`] at midnight UTC. The file identifier (`/ID`, both entries) is
//!   the first 16 bytes of the SHA-256 of the file as written with both `/ID` entries set
//!   to 16 zero bytes; to check it, put 32 zeros back into both hex strings of the
//!   trailer's `/ID` and hash the file.
//! - Streams are Flate-compressed where that makes them smaller, except the XMP stream
//!   and the cut font programs (see [`FLATE_LEVEL`]).
//!
//! # What is NOT claimed
//!
//! `page-validation` (PyPI) validates the demo statements as PDF/A-3b in `tests/standards.rs`
//! (run by `.ci/run`). The unit tests check: qpdf finds no error or warning; the header is
//! `%PDF-1.7`; the xref is a
//! classic table; pdfdetach lists the attachment and returns it byte for byte; pdftotext
//! extracts Chinese and Portuguese text exactly; pdffonts lists every font embedded and
//! subset; the XMP, output-intent, attachment and catalog entries above exist; two runs give
//! identical bytes and the `/ID` follows the content; a character the font lacks is an error.
//!
//! Left to the layout (not checked or changed here, but validated): PDF/A rules on what
//! printpdf writes besides the points above. Only DeviceRGB and DeviceGray colours are
//! covered by the sRGB output intent (DeviceCMYK is not allowed with it). Also not done: TrueType (`/FontFile2`) and whole-sfnt
//! (`/OpenType`) font programs are left whole; the embedded file's optional
//! `/Params /CheckSum` (an MD5) is not written; no tagged structure (PDF/A-3a's
//! accessibility side, not required by 3b).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use allsorts::binary::read::ReadArrayCow;
use allsorts::binary::read::ReadScope;
use allsorts::binary::write::{WriteBinary, WriteBuffer};
use allsorts::cff::{CFF, CFFVariant, Charset, CustomCharset, FDSelect, Header, IndexU16, MaybeOwnedIndex};

use super::charstring;
use chrono::{Datelike, NaiveDate};
use lopdf::content::Content;
use lopdf::xref::XrefType;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};

/// The output-intent profile: sRGB IEC 61966-2.1, ICC v2 (Debian's icc-profiles-free, zlib licence).
const SRGB_ICC: &[u8] = include_bytes!("../../templates/icc/sRGB.icc");
/// Length of each `/ID` entry in bytes.
const ID_LEN: usize = 16;
/// The zlib level of every compressed stream (the font programs are stored: see
/// [`stores_uncompressed`]). Level 2 (zlib-rs's "fast" deflate) compressed the content
/// streams and statement.json ~20% larger than level 6 (a demo statement: +3 KB of
/// ~110 KB) in ~25% less time. Level 1 (zlib-rs's "quick" deflate, static Huffman codes)
/// is twice as fast again but +20% on the whole file. lopdf's own `compress` uses level 9,
/// several times slower for a few hundred bytes less.
const FLATE_LEVEL: i32 = 2;
/// How deep form XObjects may nest before their text is no longer searched for glyphs.
const MAX_FORM_DEPTH: usize = 16;

/// Document-level facts written into the XMP metadata and the catalog.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveInfo<'a> {
    /// The document title, e.g. "结算单 ACME-2026-10-acme-home".
    pub title: &'a str,
    /// The author: the provider's legal name.
    pub author: &'a str,
    /// One sentence on what the document is, e.g. "Statement for <seller>, period 2026-10".
    pub subject: &'a str,
    /// Search keywords: seller id, period, statement number.
    pub keywords: &'a [&'a str],
    /// The document language as a BCP 47 tag: "zh-CN", "en", "pt-BR".
    pub language: &'a str,
    /// The statement's issue date; every date in the file is this day at 00:00 UTC.
    pub date: NaiveDate,
    /// The producing software and version, e.g. "kpiseal 0.1.0".
    pub producer: &'a str,
}

/// A file embedded in the PDF as an associated file of the document (`/AFRelationship /Data`).
#[derive(Debug, Clone, Copy)]
pub struct Attachment<'a> {
    /// The file name shown by readers, e.g. "statement.json". No path separators.
    pub file_name: &'a str,
    /// The MIME type, e.g. "application/json".
    pub mime: &'a str,
    /// A one-line description shown by readers.
    pub description: &'a str,
    /// The file's bytes, embedded unchanged.
    pub bytes: &'a [u8],
}

/// Why [`finish`] could not produce the archival file.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The trailer has no `/Root` pointing at a catalog dictionary.
    #[error("the PDF has no document catalog (the trailer's /Root is missing or not a dictionary)")]
    NoCatalog,
    /// An [`ArchiveInfo`] field cannot be written.
    #[error("archive metadata field `{field}` = {value:?}: {reason}")]
    BadInfo { field: &'static str, value: String, reason: &'static str },
    /// An [`Attachment`] cannot be embedded.
    #[error("attachment {name:?}: {reason}")]
    BadAttachment { name: String, reason: &'static str },
    /// A page shows the `.notdef` glyph: a character the font lacks.
    #[error("a content stream shows the .notdef glyph (code 0) of font resource /{font}: a character the font lacks")]
    Notdef { font: String },
    /// An embedded CFF font program could not be read or subset.
    #[error("font {font}: cannot subset its CFF program: {reason}")]
    FontSubset { font: String, reason: String },
    /// A content stream or object of the input could not be read.
    #[error("cannot read the PDF produced by the layout: {0}")]
    Pdf(#[from] lopdf::Error),
    /// Serializing the document failed.
    #[error("cannot serialize the PDF: {0}")]
    Write(#[from] std::io::Error),
}

/// Consumes the laid-out lopdf document (as `render::writer` or printpdf builds it) and
/// returns the bytes of the archival PDF.
///
/// Promises (see the module documentation for the details): a PDF 1.7 file with a classic
/// xref table, no `/Info`, XMP metadata, an sRGB output intent, each attachment embedded as
/// an associated file, `/Lang` set, CID-keyed CFF fonts subset, and an `/ID` derived from
/// the content, so the same input always gives the same bytes. Never panics; any input it
/// cannot handle is an [`ArchiveError`].
pub fn finish(doc: Document, info: &ArchiveInfo, attachments: &[Attachment]) -> Result<Vec<u8>, ArchiveError> {
    finish_with(doc, info, attachments, Shown::Scan)
}

/// [`finish`] for a document whose producer guarantees that every CID-keyed CFF font
/// program already holds exactly the glyphs its content shows (plus `.notdef`) and that
/// no text shows code 0 (`.notdef`): the content streams are not read back (decoding
/// them is most of what [`finish`] costs), and each such program is kept as it is and
/// named as a subset, so the bytes are those [`finish`] writes for the same document.
/// `render` checks both guarantees before it calls this.
///
/// # Errors
/// As [`finish`], except that a `.notdef` is not looked for.
pub fn finish_cut(doc: Document, info: &ArchiveInfo, attachments: &[Attachment]) -> Result<Vec<u8>, ArchiveError> {
    finish_with(doc, info, attachments, Shown::AlreadyCut)
}

/// How [`subset_fonts`] learns which glyphs each font shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// Decode every content stream.
    Scan,
    /// Every program holds just the glyphs shown: keep them all.
    AlreadyCut,
}

fn finish_with(
    mut doc: Document,
    info: &ArchiveInfo,
    attachments: &[Attachment],
    shown: Shown,
) -> Result<Vec<u8>, ArchiveError> {
    check_info(info)?;
    check_attachments(attachments)?;
    let catalog_id = catalog_id(&doc)?;
    subset_fonts(&mut doc, shown)?;
    let metadata = doc.add_object(metadata_stream(info));
    let output_intent = output_intent(&mut doc);
    let files = embed_attachments(&mut doc, info.date, attachments);
    let catalog = doc.get_object_mut(catalog_id).and_then(Object::as_dict_mut).map_err(|_| ArchiveError::NoCatalog)?;
    update_catalog(catalog, info, metadata, output_intent, &files);
    doc.trailer.remove(b"Info");
    doc.trailer.remove(b"ID");
    doc.version = "1.7".to_string();
    doc.reference_table.cross_reference_type = XrefType::CrossReferenceTable;
    doc.prune_objects();
    doc.renumber_objects();
    compress_streams(&mut doc);
    serialize_with_content_id(&mut doc)
}

// ---------------------------------------------------------------------------------------
// Input checks

/// Checks that every [`ArchiveInfo`] field can be written as promised.
fn check_info(info: &ArchiveInfo) -> Result<(), ArchiveError> {
    let bad = |field, value: &str, reason| ArchiveError::BadInfo { field, value: value.to_string(), reason };
    if !is_language_tag(info.language) {
        return Err(bad("language", info.language, "not a BCP 47 language tag (e.g. zh-CN, en, pt-BR)"));
    }
    if !(0..=9999).contains(&info.date.year()) {
        return Err(bad("date", &info.date.to_string(), "the year must have four digits"));
    }
    Ok(())
}

/// True for a plausible BCP 47 tag: 1–8 letter primary subtag, then alphanumeric subtags of 1–8.
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary_ok =
        parts.next().is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Checks the attachments: at least one (the statement's data travels in the PDF), unique
/// usable names, MIME types of the form `type/subtype`.
fn check_attachments(attachments: &[Attachment]) -> Result<(), ArchiveError> {
    if attachments.is_empty() {
        return Err(ArchiveError::BadAttachment {
            name: String::new(),
            reason: "the statement carries its data: at least one embedded file",
        });
    }
    let mut names = BTreeSet::new();
    for a in attachments {
        let bad = |reason| ArchiveError::BadAttachment { name: a.file_name.to_string(), reason };
        if a.file_name.is_empty() || a.file_name.chars().any(|c| c.is_control() || c == '/' || c == '\\') {
            return Err(bad("the file name must be non-empty, without control characters or path separators"));
        }
        if !is_mime_type(a.mime) {
            return Err(bad("the MIME type must look like type/subtype, e.g. application/json"));
        }
        if !names.insert(a.file_name) {
            return Err(bad("two attachments have this name"));
        }
    }
    Ok(())
}

/// True for `type/subtype` made of letters, digits and `-+._` (a MIME type PDF/A-3 6.8 accepts).
fn is_mime_type(mime: &str) -> bool {
    let part_ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-+._".contains(&b));
    matches!(mime.split_once('/'), Some((t, s)) if part_ok(t) && part_ok(s))
}

/// The object id of the document catalog.
fn catalog_id(doc: &Document) -> Result<ObjectId, ArchiveError> {
    let id = doc.trailer.get(b"Root").and_then(Object::as_reference).map_err(|_| ArchiveError::NoCatalog)?;
    doc.get_dictionary(id).map_err(|_| ArchiveError::NoCatalog)?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------
// Catalog, metadata, output intent, attachments

/// Sets the catalog entries PDF/A-3b needs; replaces any printpdf wrote for the same purpose.
fn update_catalog(
    catalog: &mut Dictionary,
    info: &ArchiveInfo,
    metadata: ObjectId,
    intent: Dictionary,
    files: &[File],
) {
    catalog.set("Metadata", metadata);
    catalog.set("OutputIntents", vec![Object::Dictionary(intent)]);
    catalog.set("AF", files.iter().map(|f| Object::Reference(f.spec)).collect::<Vec<_>>());
    let tree: BTreeMap<&[u8], ObjectId> = files.iter().map(|f| (f.key.as_slice(), f.spec)).collect();
    let names: Vec<Object> = tree
        .into_iter()
        .flat_map(|(key, id)| [Object::String(key.to_vec(), StringFormat::Literal), id.into()])
        .collect();
    let embedded = Dictionary::from_iter([("Names", Object::Array(names))]);
    catalog.set("Names", Dictionary::from_iter([("EmbeddedFiles", Object::Dictionary(embedded))]));
    catalog.set("Lang", text_string(info.language));
    catalog.remove(b"Version");
}

/// Flate-compresses every stream that allows it and has no filter yet (see
/// [`compress_stream`]), keeping a stream as is when compression does not make it
/// smaller. The calling thread's compressor serves every stream.
fn compress_streams(doc: &mut Document) {
    Deflater::with(|deflater| {
        for object in doc.objects.values_mut() {
            if let Object::Stream(stream) = object {
                compress_stream_with(stream, deflater);
            }
        }
    });
}

/// [`compress_streams`] for one stream.
fn compress_stream(stream: &mut Stream) {
    Deflater::with(|deflater| compress_stream_with(stream, deflater));
}

/// [`compress_stream`] with `deflater`. A CID-keyed CFF font program (`/Subtype
/// /CIDFontType0C`) is stored as it is: see [`stores_uncompressed`].
fn compress_stream_with(stream: &mut Stream, deflater: &mut Deflater) {
    if !stream.allows_compression || stream.dict.has(b"Filter") || stores_uncompressed(stream) {
        return;
    }
    let compressed = deflater.deflate(&stream.content);
    if let Some(compressed) = compressed
        && compressed.len() < stream.content.len()
        && (!ends_with_cr(&compressed) || ends_with_cr(&stream.content))
    {
        stream.dict.set("Filter", "FlateDecode");
        stream.set_content(compressed);
    }
}

/// Whether `stream` is a cut font program (`/Subtype /CIDFontType0C`), which is stored
/// uncompressed. Its flattened charstrings hold few repeats: zlib at [`FLATE_LEVEL`]
/// takes ~7 % off a statement (acme-home, zh-CN: 154.6 KB compressed, 166.1 KB stored;
/// Huffman codes alone 158.2 KB; sunny-gadgets, en: 70.8 and 74.1 KB) for a tenth of
/// its render time (render instructions with new characters, callgrind: 1,526.7 M
/// compressed, 1,367.4 M stored, 1,478.9 M Huffman codes alone). Level 1 does not
/// shrink them at all.
fn stores_uncompressed(stream: &Stream) -> bool {
    stream.dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|n| n == b"CIDFontType0C")
}

/// Whether stream bytes end with a carriage return. lopdf ends every stream
/// with `\nendstream`; after a CR that reads as the two-byte end-of-line
/// `\r\n`, so a reader (and PDF/A validators) would take the data for one
/// byte shorter than its `/Length`. A zlib stream ends with its Adler-32
/// checksum, so one stream in 256 compresses to bytes ending with CR: such
/// a stream is stored uncompressed instead (unless its plain bytes end with
/// CR too, about one stream in 65,536, where nothing written here can help).
fn ends_with_cr(bytes: &[u8]) -> bool {
    bytes.last() == Some(&b'\r')
}

/// A zlib (RFC 1950) compressor at level [`FLATE_LEVEL`], and the output buffer it
/// writes into, both reused from stream to stream. [`Deflater::with`] lends the calling
/// thread's, so that its state (some hundred KB of windows and tables) is allocated once
/// per thread, not per document; each stream starts from a reset state, so its bytes
/// never depend on what was compressed before it.
struct Deflater {
    zlib: zlib_rs::Deflate,
    out: Vec<u8>,
}

impl Deflater {
    /// Runs `f` with this thread's compressor.
    fn with<T>(f: impl FnOnce(&mut Deflater) -> T) -> T {
        thread_local! {
            static DEFLATER: RefCell<Deflater> = RefCell::new(Deflater::new());
        }
        DEFLATER.with(|d| match d.try_borrow_mut() {
            Ok(mut deflater) => f(&mut deflater),
            // Only a re-entrant call finds it taken: it gets a compressor of its own.
            Err(_) => f(&mut Deflater::new()),
        })
    }

    fn new() -> Deflater {
        let config = zlib_rs::DeflateConfig::new(FLATE_LEVEL);
        Deflater { zlib: zlib_rs::Deflate::new_with_config(config), out: Vec::new() }
    }

    /// `data` as one complete zlib stream; `None` if the compressor fails.
    fn deflate(&mut self, data: &[u8]) -> Option<Vec<u8>> {
        self.zlib.reset();
        // Room for the worst case, so one call finishes the stream.
        let bound = zlib_rs::compress_bound(data.len());
        if self.out.len() < bound {
            self.out.resize(bound, 0);
        }
        match self.zlib.compress(data, &mut self.out, zlib_rs::DeflateFlush::Finish).ok()? {
            zlib_rs::Status::StreamEnd => {
                let written = usize::try_from(self.zlib.total_out()).ok()?;
                self.out.get(..written).map(<[u8]>::to_vec)
            }
            zlib_rs::Status::Ok | zlib_rs::Status::BufError => None,
        }
    }
}

/// The XMP metadata stream: `/Type /Metadata /Subtype /XML`, never compressed.
fn metadata_stream(info: &ArchiveInfo) -> Stream {
    let dict = Dictionary::from_iter([("Type", Object::Name(b"Metadata".to_vec())), ("Subtype", "XML".into())]);
    Stream::new(dict, xmp_packet(info).into_bytes()).with_compression(false)
}

/// The XMP packet (UTF-8) describing the document; every value XML-escaped.
fn xmp_packet(info: &ArchiveInfo) -> String {
    let lang = xml(info.language);
    let alt = |text: &str| {
        let t = xml(text);
        format!(
            "<rdf:Alt><rdf:li xml:lang=\"x-default\">{t}</rdf:li><rdf:li xml:lang=\"{lang}\">{t}</rdf:li></rdf:Alt>"
        )
    };
    let subjects: String = info.keywords.iter().map(|k| format!("<rdf:li>{}</rdf:li>", xml(k))).collect();
    let date = xmp_date(info.date);
    let producer = xml(info.producer);
    [
        "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n".to_string(),
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n".to_string(),
        " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n".to_string(),
        "  <rdf:Description rdf:about=\"\"\n".to_string(),
        "    xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n".to_string(),
        "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n".to_string(),
        "    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n".to_string(),
        "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n".to_string(),
        "   <pdfaid:part>3</pdfaid:part>\n".to_string(),
        "   <pdfaid:conformance>B</pdfaid:conformance>\n".to_string(),
        "   <dc:format>application/pdf</dc:format>\n".to_string(),
        format!("   <dc:title>{}</dc:title>\n", alt(info.title)),
        format!("   <dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>\n", xml(info.author)),
        format!("   <dc:description>{}</dc:description>\n", alt(info.subject)),
        format!("   <dc:subject><rdf:Bag>{subjects}</rdf:Bag></dc:subject>\n"),
        format!("   <dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>\n"),
        format!("   <pdf:Producer>{producer}</pdf:Producer>\n"),
        format!("   <pdf:Keywords>{}</pdf:Keywords>\n", xml(&info.keywords.join(", "))),
        format!("   <xmp:CreatorTool>{producer}</xmp:CreatorTool>\n"),
        format!("   <xmp:CreateDate>{date}</xmp:CreateDate>\n"),
        format!("   <xmp:ModifyDate>{date}</xmp:ModifyDate>\n"),
        format!("   <xmp:MetadataDate>{date}</xmp:MetadataDate>\n"),
        "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"r\"?>".to_string(),
    ]
    .concat()
}

/// `text` escaped for XML content and attribute values; characters XML 1.0 cannot carry
/// (control characters other than tab, line feed and carriage return) become U+FFFD.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `date` at midnight UTC as an XMP date, e.g. `2026-11-01T00:00:00Z`.
fn xmp_date(date: NaiveDate) -> String {
    format!("{}T00:00:00Z", date.format("%Y-%m-%d"))
}

/// `date` at midnight UTC as a PDF date string, e.g. `D:20261101000000Z`.
fn pdf_date(date: NaiveDate) -> String {
    format!("D:{}000000Z", date.format("%Y%m%d"))
}

/// Adds the sRGB profile stream and returns the PDF/A output intent dictionary naming it.
fn output_intent(doc: &mut Document) -> Dictionary {
    // The same profile in every file: compressed once per process.
    static PROFILE: OnceLock<Stream> = OnceLock::new();
    let stream = PROFILE.get_or_init(|| {
        let mut stream = Stream::new(Dictionary::from_iter([("N", Object::Integer(3))]), SRGB_ICC.to_vec());
        compress_stream(&mut stream);
        stream
    });
    let profile = doc.add_object(stream.clone());
    Dictionary::from_iter([
        ("Type", Object::Name(b"OutputIntent".to_vec())),
        ("S", Object::Name(b"GTS_PDFA1".to_vec())),
        ("OutputConditionIdentifier", Object::string_literal("sRGB IEC61966-2.1")),
        ("RegistryName", Object::string_literal("http://www.color.org")),
        ("Info", Object::string_literal("sRGB IEC61966-2.1")),
        ("DestOutputProfile", profile.into()),
    ])
}

/// An embedded file as the catalog needs it: its name-tree key and its file specification.
struct File {
    key: Vec<u8>,
    spec: ObjectId,
}

/// Adds each attachment's embedded-file stream and file specification to `doc`.
fn embed_attachments(doc: &mut Document, date: NaiveDate, attachments: &[Attachment]) -> Vec<File> {
    attachments.iter().map(|a| embed_attachment(doc, date, a)).collect()
}

/// Adds one attachment: `/EmbeddedFile` stream (MIME subtype, size, date) and its
/// `/Filespec` with `/F`, `/UF`, `/Desc`, `/AFRelationship /Data` and `/EF`.
fn embed_attachment(doc: &mut Document, date: NaiveDate, a: &Attachment) -> File {
    let params = Dictionary::from_iter([
        ("Size", Object::Integer(i64::try_from(a.bytes.len()).unwrap_or(i64::MAX))),
        ("ModDate", Object::string_literal(pdf_date(date))),
    ]);
    let stream_dict = Dictionary::from_iter([
        ("Type", Object::Name(b"EmbeddedFile".to_vec())),
        ("Subtype", Object::Name(a.mime.as_bytes().to_vec())),
        ("Params", Object::Dictionary(params)),
    ]);
    let stream = doc.add_object(Stream::new(stream_dict, a.bytes.to_vec()));
    let unicode_name = text_string(a.file_name);
    let spec = doc.add_object(Dictionary::from_iter([
        ("Type", Object::Name(b"Filespec".to_vec())),
        ("F", Object::string_literal(ascii_file_name(a.file_name))),
        ("UF", unicode_name.clone()),
        ("Desc", text_string(a.description)),
        ("AFRelationship", Object::Name(b"Data".to_vec())),
        ("EF", Object::Dictionary(Dictionary::from_iter([("F", stream.into()), ("UF", stream.into())]))),
    ]));
    let key = match unicode_name {
        Object::String(bytes, _) => bytes,
        _ => Vec::new(),
    };
    File { key, spec }
}

/// The file name for `/F`: printable ASCII kept, every other character replaced by `_`.
fn ascii_file_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect()
}

/// A PDF text string: the bytes themselves for printable ASCII, else UTF-16BE with a BOM.
fn text_string(text: &str) -> Object {
    if text.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return Object::string_literal(text);
    }
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    Object::String(bytes, StringFormat::Hexadecimal)
}

// ---------------------------------------------------------------------------------------
// File identifier and serialization

/// Writes `doc` with a classic xref table and an `/ID` derived from the content: both
/// entries are the first 16 bytes of the SHA-256 of the file written with zero-byte IDs.
fn serialize_with_content_id(doc: &mut Document) -> Result<Vec<u8>, ArchiveError> {
    let placeholder = Object::String(vec![0; ID_LEN], StringFormat::Hexadecimal);
    doc.trailer.set("ID", vec![placeholder.clone(), placeholder]);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes)?;
    let digest = Sha256::digest(&bytes);
    let id = hex_upper(&digest[..ID_LEN]);
    replace_trailer_ids(&mut bytes, id.as_bytes())?;
    Ok(bytes)
}

/// Upper-case hexadecimal digits of `bytes`.
fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Overwrites the two zero `/ID` entries of the last trailer with `id_hex` (same length).
fn replace_trailer_ids(bytes: &mut [u8], id_hex: &[u8]) -> Result<(), ArchiveError> {
    let zeros = vec![b'0'; 2 * ID_LEN];
    let trailer = rfind(bytes, b"trailer").ok_or_else(|| id_error("no trailer written"))?;
    let mut from = trailer;
    for _ in 0..2 {
        let at = find(&bytes[from..], &zeros).ok_or_else(|| id_error("no placeholder /ID written"))? + from;
        bytes[at..at + zeros.len()].copy_from_slice(id_hex);
        from = at + zeros.len();
    }
    Ok(())
}

/// An I/O-kind error for an unexpected serialization of the trailer.
fn id_error(what: &str) -> ArchiveError {
    ArchiveError::Write(std::io::Error::other(format!("setting the document /ID: {what}")))
}

/// Position of the first occurrence of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Position of the last occurrence of `needle` in `haystack`.
fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

// ---------------------------------------------------------------------------------------
// Font subsetting

/// Cuts every bare CID-keyed CFF font program down to the CIDs the content streams show.
/// With [`Shown::AlreadyCut`], names every such program as a subset and keeps it whole.
fn subset_fonts(doc: &mut Document, shown: Shown) -> Result<(), ArchiveError> {
    let used = match shown {
        Shown::Scan => used_codes(doc)?.into_iter().map(|(font, codes)| (font, Some(codes))).collect(),
        Shown::AlreadyCut => type0_font_objects(doc).into_iter().map(|font| (font, None)).collect::<Vec<_>>(),
    };
    let mut by_program: BTreeMap<ObjectId, (Option<BTreeSet<u16>>, Vec<ObjectId>)> = BTreeMap::new();
    for (font_id, codes) in used {
        if let Some(program) = cff_program_id(doc, font_id) {
            let entry = by_program.entry(program).or_default();
            if let Some(codes) = codes {
                entry.0.get_or_insert_default().extend(codes);
            }
            entry.1.push(font_id);
        }
    }
    for (program, (codes, fonts)) in by_program {
        let name = subset_program(doc, program, codes.as_ref(), &fonts)?;
        for font in fonts {
            rename_font(doc, font, &name);
        }
    }
    Ok(())
}

/// The codes shown with each Type 0 (two-byte, Identity) font, by font dictionary id, read
/// from every page's content (resources inherited through the page tree) and every form XObject.
fn used_codes(doc: &Document) -> Result<BTreeMap<ObjectId, BTreeSet<u16>>, ArchiveError> {
    let mut used = BTreeMap::new();
    for page in doc.get_pages().into_values() {
        let fonts = type0_fonts(doc, inherited_resources(doc, page));
        collect_codes(&doc.get_page_content(page), &fonts, &mut used)?;
    }
    for object in doc.objects.values() {
        if let Ok(stream) = object.as_stream()
            && stream.dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|n| n == b"Form")
        {
            let fonts = type0_fonts(doc, stream.dict.get(b"Resources").ok().and_then(|r| resolve_dict(doc, r)));
            let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
            collect_codes(&content, &fonts, &mut used)?;
        }
    }
    Ok(used)
}

/// Every Type 0 font dictionary with an Identity CMap in `doc`, by object id.
fn type0_font_objects(doc: &Document) -> Vec<ObjectId> {
    doc.objects
        .iter()
        .filter(|(_, object)| object.as_dict().is_ok_and(|d| d.has_type(b"Font") && is_identity_type0(d)))
        .map(|(id, _)| *id)
        .collect()
}

/// The `/Resources` dictionary of a page, looked up through its `/Parent` chain.
fn inherited_resources(doc: &Document, page: ObjectId) -> Option<&Dictionary> {
    let mut node = doc.get_dictionary(page).ok()?;
    for _ in 0..MAX_FORM_DEPTH {
        if let Some(resources) = node.get(b"Resources").ok().and_then(|r| resolve_dict(doc, r)) {
            return Some(resources);
        }
        node = doc.get_dictionary(node.get(b"Parent").and_then(Object::as_reference).ok()?).ok()?;
    }
    None
}

/// The Type 0 fonts with `/Encoding /Identity-H` (or `-V`) in `resources`, by resource name.
fn type0_fonts(doc: &Document, resources: Option<&Dictionary>) -> BTreeMap<Vec<u8>, ObjectId> {
    let Some(fonts) = resources.and_then(|r| r.get(b"Font").ok()).and_then(|f| resolve_dict(doc, f)) else {
        return BTreeMap::new();
    };
    fonts
        .iter()
        .filter_map(|(name, value)| Some((name.clone(), value.as_reference().ok()?)))
        .filter(|(_, id)| doc.get_dictionary(*id).is_ok_and(is_identity_type0))
        .collect()
}

/// True for a Type 0 font dictionary with an Identity CMap (two-byte codes = CIDs).
fn is_identity_type0(font: &Dictionary) -> bool {
    let name_is = |key: &[u8], want: &[&[u8]]| font.get(key).and_then(Object::as_name).is_ok_and(|n| want.contains(&n));
    name_is(b"Subtype", &[b"Type0"]) && name_is(b"Encoding", &[b"Identity-H", b"Identity-V"])
}

/// A dictionary given directly or by reference.
fn resolve_dict<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    match object {
        Object::Dictionary(dict) => Some(dict),
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        _ => None,
    }
}

/// Adds the two-byte codes that `content` shows with the fonts in `fonts` to `used`.
fn collect_codes(
    content: &[u8],
    fonts: &BTreeMap<Vec<u8>, ObjectId>,
    used: &mut BTreeMap<ObjectId, BTreeSet<u16>>,
) -> Result<(), ArchiveError> {
    if fonts.is_empty() {
        return Ok(());
    }
    let mut current: Option<(&[u8], ObjectId)> = None;
    for op in Content::decode(content)?.operations {
        if op.operator == "Tf" {
            let name = op.operands.first().and_then(|n| n.as_name().ok());
            current = name.and_then(|n| fonts.get_key_value(n)).map(|(k, id)| (k.as_slice(), *id));
            continue;
        }
        let Some((name, font)) = current else { continue };
        for string in shown_strings(&op.operator, &op.operands) {
            let codes = used.entry(font).or_default();
            for pair in string.chunks(2) {
                let code = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
                if code == 0 {
                    return Err(ArchiveError::Notdef { font: String::from_utf8_lossy(name).into_owned() });
                }
                codes.insert(code);
            }
        }
    }
    Ok(())
}

/// The strings a text-showing operator (`Tj`, `'`, `"`, `TJ`) shows.
fn shown_strings<'a>(operator: &str, operands: &'a [Object]) -> Vec<&'a [u8]> {
    let string = |o: &'a Object| o.as_str().ok();
    match operator {
        "Tj" | "'" => operands.first().and_then(string).into_iter().collect(),
        "\"" => operands.get(2).and_then(string).into_iter().collect(),
        "TJ" => operands.first().and_then(|a| a.as_array().ok()).into_iter().flatten().filter_map(string).collect(),
        _ => Vec::new(),
    }
}

/// The `/FontFile3` stream id of a Type 0 font whose descendant is a CIDFontType0 with a
/// bare CFF program (`/Subtype /CIDFontType0C`); `None` for every other kind of font.
fn cff_program_id(doc: &Document, font: ObjectId) -> Option<ObjectId> {
    let descendant = descendant_font(doc, font)?;
    let descriptor = descendant.get(b"FontDescriptor").ok().and_then(|d| resolve_dict(doc, d))?;
    let program = descriptor.get(b"FontFile3").and_then(Object::as_reference).ok()?;
    let subtype = doc.get_object(program).and_then(Object::as_stream).ok()?.dict.get(b"Subtype").ok()?;
    (subtype.as_name().ok()? == b"CIDFontType0C").then_some(program)
}

/// The first (only) descendant CIDFont dictionary of a Type 0 font.
fn descendant_font(doc: &Document, font: ObjectId) -> Option<&Dictionary> {
    let fonts = doc.get_dictionary(font).ok()?.get(b"DescendantFonts").ok()?;
    let fonts = match fonts {
        Object::Reference(id) => doc.get_object(*id).ok()?,
        direct => direct,
    };
    resolve_dict(doc, fonts.as_array().ok()?.first()?)
}

/// Replaces the CFF program `program` by its subset holding `cids` (plus `.notdef`) and
/// returns the tagged PostScript name of the subset, e.g. `ABCDEF+NotoSansCJKsc-Regular`.
/// Without `cids` the program is a cut already ([`Shown::AlreadyCut`]): it is kept and
/// named, its name read from its Name INDEX alone.
fn subset_program(
    doc: &mut Document,
    program: ObjectId,
    cids: Option<&BTreeSet<u16>>,
    fonts: &[ObjectId],
) -> Result<String, ArchiveError> {
    let stream = doc.get_object_mut(program).and_then(Object::as_stream_mut)?;
    let font_label = || fonts.first().map(|id| format!("object {} {}", id.0, id.1)).unwrap_or_default();
    let subset_error = |reason| ArchiveError::FontSubset { font: font_label(), reason };
    let (subset, ps_name) = match cids {
        // Already the cut: named as it is, not parsed or copied.
        None if !stream.dict.has(b"Filter") => {
            let ps_name = cff_postscript_name(&stream.content).map_err(subset_error)?;
            (std::mem::take(&mut stream.content), ps_name)
        }
        _ => {
            let bytes =
                if stream.dict.has(b"Filter") { stream.decompressed_content()? } else { stream.content.clone() };
            subset_cid_cff(&bytes, cids).map_err(subset_error)?
        }
    };
    let tag = subset_tag(&subset);
    let dict = Dictionary::from_iter([("Subtype", Object::Name(b"CIDFontType0C".to_vec()))]);
    doc.objects.insert(program, Object::Stream(Stream::new(dict, subset)));
    Ok(format!("{tag}+{ps_name}"))
}

/// Subsets a bare CID-keyed CFF font to `cids`, keeping each glyph's CID, and returns the
/// new program and the font's PostScript name (printable ASCII, else "Font").
/// `None` for `cids` keeps every glyph: the program is returned as it is.
fn subset_cid_cff(program: &[u8], cids: Option<&BTreeSet<u16>>) -> Result<(Vec<u8>, String), String> {
    let cff = ReadScope::new(program).read::<CFF<'_>>().map_err(|e| e.to_string())?;
    let font = cff.fonts.first().ok_or("the CFF holds no font")?;
    if !font.is_cid_keyed() {
        return Err("the CFF font is not CID-keyed".to_string());
    }
    let Some(cids) = cids else { return Ok((program.to_vec(), postscript_name(&cff))) };
    let mut gids = BTreeSet::from([0u16]);
    for &cid in cids {
        // One charset look-up per shown CID: building the whole CID-to-glyph map costs
        // O(glyphs²) with allsorts' per-glyph look-up (~50 ms for Noto Sans CJK).
        let gid = font.charset.sid_to_gid(cid).filter(|gid| usize::from(*gid) < font.char_strings_index.len());
        gids.insert(gid.ok_or_else(|| format!("CID {cid} is shown but the font has no such glyph"))?);
    }
    if gids.len() == font.char_strings_index.len() {
        // Already cut to exactly the glyphs shown (render::fonts hands printpdf a
        // per-document subset): keep the program as it is.
        return Ok((program.to_vec(), postscript_name(&cff)));
    }
    let gids: Vec<u16> = gids.into_iter().collect();
    Ok((cff_subset(&cff, &gids)?, postscript_name(&cff)))
}

/// The program of the CID-keyed `cff` holding its glyphs `gids` (ascending, starting
/// with 0), in that order, each keeping its CID in the cut's charset and its Font DICT in
/// its FDSelect (format 0). Every charstring is flattened ([`charstring::flatten`]:
/// subroutines inlined, so each glyph's width is readable without executing them), so
/// every subroutine INDEX is left empty. The face's other structures (Top and Font
/// DICTs, strings) are kept as allsorts' `CFF::subset` keeps them, and allsorts writes
/// the cut; unlike `CFF::subset`, nothing walks each glyph's subroutines to copy the
/// ones it calls. An error for a font that is not CID-keyed.
pub(crate) fn cff_subset<'a>(cff: &'a CFF<'a>, gids: &[u16]) -> Result<Vec<u8>, String> {
    cff_subset_with(cff, gids, &mut |gid| flat_charstring(cff, usize::from(gid)).map(Into::into)).map(|(cut, _)| cut)
}

/// [`cff_subset`] taking each glyph's flattened charstring from `flat` (glyph `gid` of
/// `cff`, as [`flat_charstring`] makes it), so a caller may keep them between cuts: a
/// glyph's flattening is a pure function of the face and the glyph. Also returns the
/// cut's charset: the CID of each glyph after `.notdef`, in order.
pub(crate) fn cff_subset_with<'a>(
    cff: &'a CFF<'a>,
    gids: &[u16],
    flat: &mut dyn FnMut(u16) -> Result<std::sync::Arc<[u8]>, String>,
) -> Result<(Vec<u8>, Vec<u16>), String> {
    let flats = gids.iter().map(|&gid| flat(gid)).collect::<Result<Vec<_>, _>>()?;
    let font = cff.fonts.first().ok_or("the CFF holds no font")?;
    let CFFVariant::CID(cid) = &font.data else { return Err("the CFF font is not CID-keyed".to_string()) };
    let mut cids = Vec::with_capacity(gids.len());
    let mut font_dicts = Vec::with_capacity(gids.len());
    for &gid in gids {
        // The charset lists every glyph but .notdef (glyph 0).
        if gid != 0 {
            cids.push(font.charset.id_for_glyph(gid).ok_or_else(|| format!("glyph {gid} has no CID"))?);
        }
        font_dicts.push(cid.fd_select.font_dict_index(gid).ok_or_else(|| format!("glyph {gid} has no Font DICT"))?);
    }
    let mut subset: CFF<'_> = cff.clone();
    let font = subset.fonts.first_mut().ok_or("the CFF holds no font")?;
    // The face's CharStrings INDEX cut to its first `gids.len()` entries, each then
    // replaced by a flattened charstring: an INDEX of the cut's glyphs (allsorts makes
    // an INDEX only by reading or replacing).
    match &mut font.char_strings_index {
        MaybeOwnedIndex::Borrowed(index) if index.count >= flats.len() => index.count = flats.len(),
        _ => return Err("the face's CharStrings INDEX is not as read".to_string()),
    }
    for (new_gid, program) in flats.iter().enumerate() {
        font.char_strings_index.replace(new_gid, program.to_vec());
    }
    font.charset = Charset::Custom(CustomCharset::Format0 { glyphs: ReadArrayCow::Owned(cids.clone()) });
    if let CFFVariant::CID(cid) = &mut font.data {
        cid.fd_select = FDSelect::Format0 { glyph_font_dict_indices: ReadArrayCow::Owned(font_dicts) };
        for index in cid.local_subr_indices.iter_mut().flatten() {
            *index = no_subroutines()?;
        }
    }
    subset.global_subr_index = no_subroutines()?;
    let mut out = WriteBuffer::new();
    CFF::write(&mut out, &subset).map_err(|e| e.to_string())?;
    Ok((out.into_inner(), cids))
}

/// A CFF INDEX of no entries (a count of 0 and nothing else: Adobe TN 5176, 5), for
/// the subroutines of a cut whose charstrings call none.
fn no_subroutines() -> Result<MaybeOwnedIndex<'static>, String> {
    static EMPTY: [u8; 2] = [0, 0];
    ReadScope::new(&EMPTY).read::<IndexU16>().map(MaybeOwnedIndex::Borrowed).map_err(|e| e.to_string())
}

/// Glyph `gid` of the (first) font of `cff` with its subroutine calls inlined
/// ([`charstring::flatten`]), using the global subroutines and the local ones
/// of the glyph's Font DICT.
pub(crate) fn flat_charstring(cff: &CFF<'_>, gid: usize) -> Result<Vec<u8>, String> {
    let global = &cff.global_subr_index;
    let global_get = |i: usize| global.read_object(i);
    let font = cff.fonts.first().ok_or("the CFF holds no font")?;
    let program = font.char_strings_index.read_object(gid).ok_or("a charstring cannot be read")?;
    let local = match &font.data {
        CFFVariant::CID(cid) => u16::try_from(gid)
            .ok()
            .and_then(|g| cid.fd_select.font_dict_index(g))
            .and_then(|fd| cid.local_subr_indices.get(usize::from(fd))?.as_ref()),
        CFFVariant::Type1(type1) => type1.local_subr_index.as_ref(),
    };
    let local_get = |i: usize| local.and_then(|index| index.read_object(i));
    let subrs = charstring::Subroutines {
        global: &global_get,
        global_count: global.len(),
        local: &local_get,
        local_count: local.map_or(0, |index| index.len()),
    };
    charstring::flatten(program, &subrs).map_err(|e| format!("glyph {gid}: {e}"))
}

/// The font's name from the CFF Name INDEX if it is a usable PostScript name, else "Font".
fn postscript_name(cff: &CFF<'_>) -> String {
    usable_postscript_name(cff.name_index.read_object(0))
}

/// [`postscript_name`] of the CFF `program`, read from its header and Name INDEX alone.
fn cff_postscript_name(program: &[u8]) -> Result<String, String> {
    let header = ReadScope::new(program).read::<Header>().map_err(|e| e.to_string())?;
    let names = program.get(usize::from(header.hdr_size)..).ok_or("the CFF header is longer than the font")?;
    let names = ReadScope::new(names).read::<IndexU16>().map_err(|e| e.to_string())?;
    Ok(usable_postscript_name(MaybeOwnedIndex::Borrowed(names).read_object(0)))
}

/// `name` if it is a usable PostScript name (printable ASCII, 1 to 100 bytes), else "Font".
fn usable_postscript_name(name: Option<&[u8]>) -> String {
    match name {
        Some(name) if !name.is_empty() && name.len() <= 100 && name.iter().all(|b| b.is_ascii_graphic()) => {
            String::from_utf8_lossy(name).into_owned()
        }
        _ => "Font".to_string(),
    }
}

/// Six upper-case letters derived from the SHA-256 of the subset program.
fn subset_tag(program: &[u8]) -> String {
    Sha256::digest(program).iter().take(6).map(|b| char::from(b'A' + b % 26)).collect()
}

/// Names a subset font: `/BaseFont` and `/FontName` of the CIDFont and its descriptor become
/// `name`; the Type 0 font's `/BaseFont` becomes `name-<CMap name>` (ISO 32000-2, 9.7.6.1).
fn rename_font(doc: &mut Document, font: ObjectId, name: &str) {
    let Ok(dict) = doc.get_dictionary(font) else { return };
    let cmap = dict.get(b"Encoding").and_then(Object::as_name).map(|n| String::from_utf8_lossy(n).into_owned());
    let descendant_ref =
        dict.get(b"DescendantFonts").ok().and_then(|d| d.as_array().ok()?.first()?.as_reference().ok());
    let descriptor_ref =
        descendant_font(doc, font).and_then(|d| d.get(b"FontDescriptor").and_then(Object::as_reference).ok());
    if let Some(id) = descriptor_ref
        && let Ok(descriptor) = doc.get_object_mut(id).and_then(Object::as_dict_mut)
    {
        descriptor.set("FontName", Object::Name(name.as_bytes().to_vec()));
    }
    let descendant = match descendant_ref {
        Some(id) => doc.get_object_mut(id).and_then(Object::as_dict_mut).ok(),
        None => doc
            .get_object_mut(font)
            .and_then(Object::as_dict_mut)
            .ok()
            .and_then(|f| f.get_mut(b"DescendantFonts").ok()?.as_array_mut().ok()?.first_mut()?.as_dict_mut().ok()),
    };
    if let Some(descendant) = descendant {
        descendant.set("BaseFont", Object::Name(name.as_bytes().to_vec()));
    }
    if let Ok(font) = doc.get_object_mut(font).and_then(Object::as_dict_mut) {
        let base = cmap.map_or_else(|_| name.to_string(), |cmap| format!("{name}-{cmap}"));
        font.set("BaseFont", Object::Name(base.into_bytes()));
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::OnceLock;

    use printpdf::{FontId, Mm, Op, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem};

    use super::*;

    mod tools {
        include!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/tools.rs"));
    }
    use tools::tools_present;

    const FONT: &[u8] = include_bytes!("../../templates/fonts/NotoSansCJKsc-Regular-kpiseal.otf");
    const TEXT: &str = "应付金额 Valor devido: R$ 1.234,56 ção ÷ ×";
    const JSON: &[u8] = b"{\"schema\":\"kpiseal.statement/1\",\"amount_due\":\"1234.56\"}\n";

    /// Content whose zlib stream ends with a carriage return (the last byte
    /// of its Adler-32), found by padding a compressible content stream.
    fn content_compressing_to_a_final_cr(wanted: bool) -> Vec<u8> {
        let base = "0 0 m 100 100 l S\n".repeat(40);
        (0..5000)
            .map(|n| format!("{base}% {}{n}\n", "x".repeat(n % 50)).into_bytes())
            .find(|c| Deflater::new().deflate(c).is_some_and(|z| ends_with_cr(&z)) == wanted)
            .expect("some padding gives it")
    }

    #[test]
    fn a_stream_whose_compressed_bytes_would_end_with_cr_is_stored_uncompressed_so_its_length_reads_true() {
        let content = content_compressing_to_a_final_cr(true);
        let mut stream = Stream::new(Dictionary::new(), content.clone());
        compress_stream(&mut stream);
        assert!(!stream.dict.has(b"Filter"), "kept uncompressed");
        assert_eq!(stream.content, content);
        let content = content_compressing_to_a_final_cr(false);
        let mut stream = Stream::new(Dictionary::new(), content.clone());
        compress_stream(&mut stream);
        assert!(stream.dict.has(b"Filter"), "compressed as usual");
        assert!(!ends_with_cr(&stream.content));
    }

    /// The committed CJK font, parsed once for all tests.
    fn font() -> &'static printpdf::ParsedFont {
        static FONT_CELL: OnceLock<printpdf::ParsedFont> = OnceLock::new();
        FONT_CELL.get_or_init(|| {
            let mut warnings = Vec::new();
            printpdf::ParsedFont::from_bytes(FONT, 0, &mut warnings).expect("the committed font parses")
        })
    }

    /// A printpdf document of `pages` A4 pages, each showing `lines` at 12 pt with font "F1",
    /// converted to lopdf the way the render code does.
    fn layout(pages: usize, lines: &[&str]) -> Document {
        let mut pdf = PdfDocument::new("printpdf title that must not survive");
        let font_id = FontId("F1".to_string());
        pdf.resources.fonts.map.insert(font_id.clone(), PdfFont::new(font().clone()));
        // One text object per line: printpdf's SetTextCursor is `Td`, relative to the line start.
        let mut ops = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let y = Mm(270.0 - 8.0 * i as f32);
            ops.push(Op::StartTextSection);
            ops.push(Op::SetFont { font: PdfFontHandle::External(font_id.clone()), size: Pt(12.0) });
            ops.push(Op::SetTextCursor { pos: Point::new(Mm(20.0), y) });
            ops.push(Op::ShowText { items: vec![TextItem::Text(line.to_string())] });
            ops.push(Op::EndTextSection);
        }
        pdf.pages = (0..pages).map(|_| PdfPage::new(Mm(210.0), Mm(297.0), ops.clone())).collect();
        let mut warnings = Vec::new();
        pdf.to_lopdf_document(&PdfSaveOptions::default(), &mut warnings)
    }

    fn info() -> ArchiveInfo<'static> {
        ArchiveInfo {
            title: "结算单 ACME-2026-10-acme-home",
            author: "Provedor & Cia <Ltda>",
            subject: "Statement for ACME Home Ltd, period 2026-10",
            keywords: &["acme-home", "2026-10", "ACME-2026-10-acme-home"],
            language: "zh-CN",
            date: NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date"),
            producer: "kpiseal 0.1.0",
        }
    }

    fn attachment(bytes: &[u8]) -> Attachment<'_> {
        Attachment {
            file_name: "statement.json",
            mime: "application/json",
            description: "结算数据 statement data",
            bytes,
        }
    }

    /// The archival PDF of a one-page document showing [`TEXT`], with [`JSON`] attached.
    fn sample() -> Vec<u8> {
        finish(layout(1, &[TEXT]), &info(), &[attachment(JSON)]).expect("finish succeeds")
    }

    /// Writes `bytes` to a fresh temporary directory and returns (dir guard, file path).
    fn write_temp(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("statement.pdf");
        std::fs::write(&path, bytes).expect("write the PDF");
        (dir, path)
    }

    /// Runs `tool` (from Debian package `package`) and returns (exit success, stdout + stderr).
    /// Fails the test, naming the tool, when it is not installed.
    fn run(tool: &str, package: &str, args: &[&str], file: &Path) -> (bool, String) {
        let output = Command::new(tool).args(args).arg(file).output().unwrap_or_else(|e| {
            panic!(
                "this test needs `{tool}` but it cannot be run ({e}); install it with \
                 `apt-get install -y --no-install-recommends {package}` (.ci/run does this)"
            )
        });
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        (output.status.success(), text)
    }

    #[test]
    fn qpdf_finds_no_errors_or_warnings_and_the_header_is_pdf_1_7() {
        if !tools_present(&["qpdf"]) {
            return;
        }
        let pdf = sample();
        assert!(pdf.starts_with(b"%PDF-1.7\n%"), "header: {:?}", String::from_utf8_lossy(&pdf[..12]));
        assert!(pdf[10..14].iter().all(|b| *b > 127), "binary comment after the header");
        let (_dir, path) = write_temp(&pdf);
        let (ok, out) = run("qpdf", "qpdf", &["--check"], &path);
        assert!(ok, "qpdf --check failed:\n{out}");
        assert!(out.contains("No syntax or stream encoding errors found"), "{out}");
        assert!(!out.to_lowercase().contains("warning"), "{out}");
    }

    #[test]
    fn the_file_uses_a_classic_xref_table_and_no_object_streams() {
        let pdf = sample();
        assert!(find(&pdf, b"\nxref\n").is_some(), "classic xref table");
        assert!(find(&pdf, b"/ObjStm").is_none() && find(&pdf, b"/XRef").is_none());
        assert!(pdf.ends_with(b"%%EOF"));
    }

    #[test]
    fn pdfdetach_lists_the_attachment_and_returns_it_byte_for_byte() {
        if !tools_present(&["pdfdetach"]) {
            return;
        }
        let (dir, path) = write_temp(&sample());
        let (ok, list) = run("pdfdetach", "poppler-utils", &["-list"], &path);
        assert!(ok && list.contains("1 embedded files") && list.contains("1: statement.json"), "{list}");
        let saved = dir.path().join("extracted.json");
        let saved_arg = saved.to_str().expect("UTF-8 temp path");
        let (ok, out) = run("pdfdetach", "poppler-utils", &["-save", "1", "-o", saved_arg], &path);
        assert!(ok, "{out}");
        assert_eq!(std::fs::read(&saved).expect("extracted file"), JSON);
    }

    #[test]
    fn pdftotext_extracts_the_chinese_and_portuguese_text_exactly() {
        if !tools_present(&["pdftotext"]) {
            return;
        }
        let (_dir, path) = write_temp(&sample());
        let (ok, text) = run("pdftotext", "poppler-utils", &["-enc", "UTF-8", "-layout"], &path.with_extension("pdf"));
        assert!(ok, "{text}");
        let txt = std::fs::read_to_string(path.with_extension("txt")).expect("pdftotext output");
        assert_eq!(txt.trim_end_matches(['\n', '\u{c}']).trim(), TEXT, "extracted: {txt:?}");
    }

    #[test]
    fn pdffonts_lists_every_font_embedded_and_subset() {
        if !tools_present(&["pdffonts"]) {
            return;
        }
        let (_dir, path) = write_temp(&sample());
        let (ok, out) = run("pdffonts", "poppler-utils", &[], &path);
        assert!(ok, "{out}");
        let rows: Vec<&str> = out.lines().skip(2).filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(rows.len(), 1, "one font expected:\n{out}");
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            // name type(2 words: CID Type 0C) encoding emb sub uni object ID
            let n = cols.len();
            assert!(n >= 7, "{row}");
            assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "emb sub uni: {row}");
            assert!(cols[0].len() > 7 && cols[0].as_bytes()[6] == b'+', "subset tag in {row}");
            // The CFF table of the Noto CJK collection is shared by its faces and named
            // after the Japanese one, so the SC cut's program is "NotoSansCJKjp-Regular".
            assert!(cols[0].contains("NotoSansCJK"), "{row}");
        }
    }

    /// `/W` of a CIDFont as (CID → width): `c [w1 w2 …]` and `c_first c_last w` entries.
    fn w_widths(doc: &Document, cid_font: &Dictionary) -> BTreeMap<i64, i64> {
        let mut widths = BTreeMap::new();
        let Ok(w) = cid_font.get(b"W").and_then(|o| doc.dereference(o)).and_then(|(_, o)| o.as_array()) else {
            return widths;
        };
        let number =
            |o: &Object| o.as_i64().or_else(|_| o.as_float().map(|f| f.round() as i64)).expect("a number in /W");
        let mut at = 0;
        while at < w.len() {
            let first = number(&w[at]);
            if let Ok(list) = w[at + 1].as_array() {
                for (i, width) in list.iter().enumerate() {
                    widths.insert(first + i as i64, number(width));
                }
                at += 2;
            } else {
                for cid in first..=number(&w[at + 1]) {
                    widths.insert(cid, number(&w[at + 2]));
                }
                at += 3;
            }
        }
        widths
    }

    /// The advance width of glyph `gid` given as `program`, read as a PDF/A
    /// validator does (without executing subroutines), with the nominal and
    /// default widths of the glyph's Private DICT in `cff`.
    fn naive_width(cff: &CFF<'_>, gid: u16, program: &[u8]) -> i64 {
        let CFFVariant::CID(cid_data) = &cff.fonts[0].data else { panic!("a CID-keyed font") };
        let fd = cid_data.fd_select.font_dict_index(gid).expect("an FD");
        let private = &cid_data.private_dicts[usize::from(fd)];
        let nominal = private.get_i32(allsorts::cff::Operator::NominalWidthX).expect("nominal").expect("int");
        let default = private.get_i32(allsorts::cff::Operator::DefaultWidthX).expect("default").expect("int");
        charstring::width_without_subroutines(program, nominal.into(), default.into()).expect("a width")
    }

    /// For every glyph but `.notdef` of every embedded CFF CIDFont of `pdf`: (CID, the advance
    /// width a reader that does not execute subroutines finds in the program, `/W`'s width).
    fn program_and_w_widths(pdf: &[u8]) -> Vec<(i64, i64, i64)> {
        let doc = Document::load_mem(pdf).expect("lopdf reads the output");
        let mut found = Vec::new();
        for font in type0_font_objects(&doc) {
            let cid_font = descendant_font(&doc, font).expect("a descendant CIDFont");
            assert_eq!(cid_font.get(b"Subtype").and_then(Object::as_name).ok(), Some(&b"CIDFontType0"[..]));
            let descriptor = resolve_dict(&doc, cid_font.get(b"FontDescriptor").expect("a descriptor")).expect("dict");
            let (_, file) = doc.dereference(descriptor.get(b"FontFile3").expect("FontFile3")).expect("resolves");
            let program = file.as_stream().expect("a stream").decompressed_content().expect("inflates");
            let cff = ReadScope::new(&program).read::<CFF<'_>>().expect("the program parses");
            let font = &cff.fonts[0];
            let w = w_widths(&doc, cid_font);
            let dw = cid_font.get(b"DW").and_then(Object::as_i64).unwrap_or(1000);
            for gid in 1..font.char_strings_index.len() as u16 {
                let cid = i64::from(font.charset.id_for_glyph(gid).expect("a CID"));
                let charstring = font.char_strings_index.read_object(usize::from(gid)).expect("a charstring");
                let width = naive_width(&cff, gid, charstring);
                found.push((cid, width, w.get(&cid).copied().unwrap_or(dw)));
            }
        }
        found
    }

    #[test]
    fn every_shown_glyphs_width_in_the_embedded_program_equals_its_w_entry() {
        // PDF/A-3 (ISO 19005-3, 6.2.11.5): the width in the font program and in /W must agree
        // for every glyph used. The check reads the width as a validator does, without
        // executing subroutines, which is why the subset's charstrings are flattened.
        let widths = program_and_w_widths(&sample());
        let shown = TEXT.chars().filter(|c| !c.is_whitespace()).collect::<BTreeSet<_>>().len();
        assert!(widths.len() >= shown, "{} glyphs for {shown} characters", widths.len());
        let wrong: Vec<_> = widths.iter().filter(|(_, program, w)| program != w).collect();
        assert!(wrong.is_empty(), "(CID, program width, /W) that disagree: {wrong:?}");
    }

    /// The committed font's CFF table.
    fn font_cff_table() -> Vec<u8> {
        use allsorts::tables::FontTableProvider;
        let font = ReadScope::new(FONT).read::<allsorts::tables::OpenTypeFont<'_>>().expect("the font parses");
        let provider = font.table_provider(0).expect("one face");
        provider.read_table_data(allsorts::tag::CFF).expect("a CFF table").into_owned()
    }

    #[test]
    fn a_programs_name_read_from_its_name_index_alone_is_the_one_a_whole_parse_finds() {
        let program = font_cff_table();
        let cff = ReadScope::new(&program).read::<CFF<'_>>().unwrap();
        assert_eq!(cff_postscript_name(&program).unwrap(), postscript_name(&cff));
        assert_eq!(cff_postscript_name(&program).unwrap(), "NotoSansCJKsc-Regular");
        assert!(cff_postscript_name(&program[..3]).is_err(), "a header cut short");
    }

    #[test]
    fn a_cut_holds_the_glyphs_allsorts_cuts_flattened_with_their_cids_and_font_dicts_and_no_subroutines() {
        let table = font_cff_table();
        let cff = ReadScope::new(&table).read::<CFF<'_>>().expect("the CFF parses");
        let count = cff.fonts[0].char_strings_index.len() as u16;
        for gids in [vec![0, 1, 2, 3], (0..count).step_by(7).collect(), (0..count).step_by(131).collect()] {
            // allsorts' own cut, its glyphs flattened against the subroutines it kept.
            let whole: CFF<'_> = cff.subset(&gids, false).unwrap().into();
            let ours = cff_subset(&cff, &gids).unwrap();
            let ours = ReadScope::new(&ours).read::<CFF<'_>>().expect("the cut parses");
            let (a, b) = (&whole.fonts[0], &ours.fonts[0]);
            assert_eq!(b.char_strings_index.len(), gids.len());
            let (CFFVariant::CID(a_cid), CFFVariant::CID(b_cid)) = (&a.data, &b.data) else { panic!("CID-keyed") };
            for gid in 0..gids.len() {
                assert_eq!(b.char_strings_index.read_object(gid).unwrap(), flat_charstring(&whole, gid).unwrap());
                let g = gid as u16;
                assert_eq!(b.charset.id_for_glyph(g), a.charset.id_for_glyph(g), "glyph {gid}'s CID");
                assert_eq!(
                    b_cid.fd_select.font_dict_index(g),
                    a_cid.fd_select.font_dict_index(g),
                    "glyph {gid}'s Font DICT"
                );
            }
            assert_eq!(ours.global_subr_index.len(), 0);
            assert!(b_cid.local_subr_indices.iter().flatten().all(|index| index.len() == 0), "no local subroutines");
            assert_eq!(b_cid.private_dicts.len(), a_cid.private_dicts.len(), "every Font DICT kept");
        }
    }

    #[test]
    fn without_flattening_a_naive_width_reader_would_disagree_with_w() {
        // The committed font calls subroutines and opens glyphs with hmoveto, so the flattening
        // is what the test above relies on: the unflattened subset must show a disagreement.
        let table = font_cff_table();
        let cff = ReadScope::new(&table).read::<CFF<'_>>().expect("the CFF parses");
        let count = cff.fonts[0].char_strings_index.len() as u16;
        let disagreeing = (1..count)
            .filter(|&gid| {
                let program = cff.fonts[0].char_strings_index.read_object(usize::from(gid)).unwrap();
                let flat = flat_charstring(&cff, usize::from(gid)).expect("flattens");
                naive_width(&cff, gid, program) != naive_width(&cff, gid, &flat)
            })
            .count();
        assert!(disagreeing > 0, "no glyph of the committed font needs flattening: the test above proves nothing");
    }

    #[test]
    fn the_embedded_font_holds_only_the_glyphs_shown() {
        let pdf = sample();
        assert!(pdf.len() < 60_000, "PDF of {} bytes: the font was not subset", pdf.len());
    }

    #[test]
    fn the_catalog_and_xmp_carry_the_pdfa_3b_entries() {
        let doc = Document::load_mem(&sample()).expect("lopdf reads the output");
        assert!(doc.trailer.get(b"Info").is_err(), "no /Info in the trailer");
        let catalog = doc.catalog().expect("catalog");
        for key in [&b"AF"[..], b"OutputIntents", b"Metadata", b"Lang", b"Names"] {
            assert!(catalog.has(key), "catalog lacks /{}", String::from_utf8_lossy(key));
        }
        assert_eq!(catalog.get(b"Lang").and_then(Object::as_str).ok(), Some(&b"zh-CN"[..]));
        let intent =
            catalog.get(b"OutputIntents").and_then(Object::as_array).expect("array")[0].as_dict().expect("dict");
        assert_eq!(intent.get(b"S").and_then(Object::as_name).ok(), Some(&b"GTS_PDFA1"[..]));
        let profile = doc.get_object(intent.get(b"DestOutputProfile").and_then(Object::as_reference).expect("ref"));
        assert_eq!(
            profile.and_then(Object::as_stream).expect("stream").dict.get(b"N").and_then(Object::as_i64).ok(),
            Some(3)
        );
        let xmp_id = catalog.get(b"Metadata").and_then(Object::as_reference).expect("metadata ref");
        let xmp = doc.get_object(xmp_id).and_then(Object::as_stream).expect("metadata stream");
        assert!(!xmp.dict.has(b"Filter"), "the XMP stream must not be compressed");
        let xmp = String::from_utf8(xmp.content.clone()).expect("UTF-8 XMP");
        for needle in [
            "<pdfaid:part>3</pdfaid:part>",
            "<pdfaid:conformance>B</pdfaid:conformance>",
            "<rdf:li xml:lang=\"zh-CN\">结算单 ACME-2026-10-acme-home</rdf:li>",
            "<rdf:li>Provedor &amp; Cia &lt;Ltda&gt;</rdf:li>",
            "<xmp:CreateDate>2026-11-01T00:00:00Z</xmp:CreateDate>",
            "<pdf:Keywords>acme-home, 2026-10, ACME-2026-10-acme-home</pdf:Keywords>",
        ] {
            assert!(xmp.contains(needle), "XMP lacks {needle}:\n{xmp}");
        }
        assert!(!xmp.contains("bytes=") && !xmp.contains("encoding="), "packet header attributes");
        assert!(!xmp.contains("pdfaid:rev"), "pdfaid:rev is a PDF/A-4 property, undefined in PDF/A-3");
    }

    #[test]
    fn the_attachment_is_an_associated_file_with_mime_type_size_and_date() {
        let doc = Document::load_mem(&sample()).expect("lopdf reads the output");
        let catalog = doc.catalog().expect("catalog");
        let spec_id = catalog.get(b"AF").and_then(Object::as_array).expect("AF")[0].as_reference().expect("ref");
        let spec = doc.get_dictionary(spec_id).expect("filespec");
        assert_eq!(spec.get(b"AFRelationship").and_then(Object::as_name).ok(), Some(&b"Data"[..]));
        assert_eq!(spec.get(b"F").and_then(Object::as_str).ok(), Some(&b"statement.json"[..]));
        assert_eq!(spec.get(b"UF").and_then(Object::as_str).ok(), Some(&b"statement.json"[..]));
        let ef = spec.get(b"EF").and_then(Object::as_dict).expect("EF");
        let stream =
            doc.get_object(ef.get(b"F").and_then(Object::as_reference).expect("ref")).and_then(Object::as_stream);
        let stream = stream.expect("embedded file stream");
        assert_eq!(stream.dict.get(b"Subtype").and_then(Object::as_name).ok(), Some(&b"application/json"[..]));
        let params = stream.dict.get(b"Params").and_then(Object::as_dict).expect("Params");
        assert_eq!(params.get(b"Size").and_then(Object::as_i64).ok(), Some(JSON.len() as i64));
        assert_eq!(params.get(b"ModDate").and_then(Object::as_str).ok(), Some(&b"D:20261101000000Z"[..]));
        let names = catalog.get(b"Names").and_then(Object::as_dict).expect("Names");
        let tree = names.get(b"EmbeddedFiles").and_then(Object::as_dict).expect("EmbeddedFiles");
        let entries = tree.get(b"Names").and_then(Object::as_array).expect("name array");
        assert_eq!(entries[1].as_reference().ok(), Some(spec_id));
    }

    #[test]
    fn two_runs_give_identical_bytes_and_another_attachment_changes_the_id() {
        let first = sample();
        assert_eq!(first, sample(), "two layouts and finishes of the same input differ");
        let other = finish(layout(1, &[TEXT]), &info(), &[attachment(b"{}\n")]).expect("finish");
        let id = |pdf: &[u8]| Document::load_mem(pdf).expect("load").trailer.get(b"ID").cloned().expect("ID");
        assert_ne!(id(&first), id(&other));
    }

    #[test]
    fn the_id_is_the_sha256_of_the_file_written_with_zero_ids() {
        let pdf = sample();
        let id = Document::load_mem(&pdf).expect("load").trailer.get(b"ID").cloned().expect("ID");
        let entries = id.as_array().expect("ID array");
        let first = entries[0].as_str().expect("string").to_vec();
        assert_eq!(entries[1].as_str().expect("string"), first.as_slice());
        let mut zeroed = pdf.clone();
        let hex = hex_upper(&first);
        for _ in 0..2 {
            let at = rfind(&zeroed, hex.as_bytes()).expect("ID in the trailer");
            zeroed[at..at + hex.len()].copy_from_slice(&[b'0'; 2 * ID_LEN]);
        }
        assert_eq!(&Sha256::digest(&zeroed)[..ID_LEN], first.as_slice());
    }

    #[test]
    fn no_random_printpdf_string_or_info_date_remains() {
        let pdf = sample();
        let doc = Document::load_mem(&pdf).expect("load");
        assert!(doc.trailer.get(b"Info").is_err());
        assert!(find(&pdf, b"printpdf title").is_none(), "printpdf's /Info title survived");
        assert!(find(&pdf, b"1970").is_none(), "printpdf's default 1970 dates survived");
    }

    #[test]
    fn a_character_the_font_lacks_is_an_error_not_an_empty_box() {
        let err = finish(layout(1, &["emoji \u{1F600}"]), &info(), &[attachment(JSON)]).unwrap_err();
        assert!(matches!(err, ArchiveError::Notdef { ref font } if font == "F1"), "{err}");
    }

    #[test]
    fn unusable_metadata_or_attachments_are_errors() {
        let doc = || layout(1, &["x"]);
        let mut bad = info();
        bad.language = "zh CN";
        assert!(matches!(finish(doc(), &bad, &[attachment(JSON)]), Err(ArchiveError::BadInfo { .. })));
        let mut bad_mime = attachment(JSON);
        bad_mime.mime = "json";
        assert!(matches!(finish(doc(), &info(), &[bad_mime]), Err(ArchiveError::BadAttachment { .. })));
        let twice = [attachment(JSON), attachment(JSON)];
        assert!(matches!(finish(doc(), &info(), &twice), Err(ArchiveError::BadAttachment { .. })));
        assert!(matches!(finish(doc(), &info(), &[]), Err(ArchiveError::BadAttachment { .. })));
        let mut path = attachment(JSON);
        path.file_name = "../statement.json";
        assert!(matches!(finish(doc(), &info(), &[path]), Err(ArchiveError::BadAttachment { .. })));
        assert!(matches!(finish(Document::new(), &info(), &[attachment(JSON)]), Err(ArchiveError::NoCatalog)));
    }

    #[test]
    fn xml_escaping_covers_markup_and_control_characters() {
        assert_eq!(xml("a&b<c>\"d\"'e'\u{1}\n"), "a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;\u{FFFD}\n");
    }

    #[test]
    fn non_ascii_file_names_get_a_utf16_uf_and_an_ascii_f() {
        assert_eq!(ascii_file_name("结算 ção.json"), "__ __o.json");
        assert_eq!(text_string("é"), Object::String(vec![0xFE, 0xFF, 0x00, 0xE9], StringFormat::Hexadecimal));
        assert_eq!(text_string("en"), Object::string_literal("en"));
    }

    /// Prints how long printpdf serialization plus `finish` take for a two-page statement
    /// set in the CJK font, and the PDF size. Run with `--ignored --nocapture`.
    #[test]
    #[ignore]
    fn time_two_page_statement() {
        let lines: Vec<String> = (0..30).map(|i| format!("{TEXT} 第{i}行 linha {i}")).collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let runs = 20;
        let (mut layout_total, mut finish_total, mut size) = (0.0, 0.0, 0);
        for _ in 0..runs {
            let start = std::time::Instant::now();
            let doc = layout(2, &lines);
            let laid_out = start.elapsed();
            let pdf = finish(doc, &info(), &[attachment(JSON)]).expect("finish");
            layout_total += laid_out.as_secs_f64();
            finish_total += (start.elapsed() - laid_out).as_secs_f64();
            size = pdf.len();
        }
        let ms = |total: f64| total * 1000.0 / f64::from(runs);
        println!(
            "2 pages x 30 lines, CJK font: printpdf to_lopdf_document {:.2} ms + finish {:.2} ms = {:.2} ms; {size} bytes",
            ms(layout_total),
            ms(finish_total),
            ms(layout_total + finish_total)
        );
    }
}
