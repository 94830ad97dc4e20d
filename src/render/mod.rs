//! The PDF statement: the Statement model laid out in the seller's language
//! with printpdf, then finished as an archival PDF carrying statement.json.
//!
//! Nothing is computed here: every figure is a field of the model. The same
//! Statement, options and binary always give the same bytes.

pub mod archive;
mod charstring;
mod document_font;
pub mod fonts;
pub mod layout;
mod review;
mod sections;
mod trend;
mod writer;
pub use review::render_review;

use std::collections::BTreeSet;

use printpdf::{Mm, Op, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, TextItem};

use crate::contract::Language;
use crate::i18n::{Catalog, LabelError};
use crate::statement::Statement;
use fonts::{Face, Fonts};
use layout::{ALERT, Canvas, MARGIN_X, MUTED, PAGE_HEIGHT, PAGE_WIDTH, RULE, Style};

/// How to render a statement.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions<'a> {
    /// The language the statement is printed in (the contract's, unless overridden).
    pub language: Language,
    /// Print a DRAFT watermark on every page.
    pub draft: bool,
    pub fonts: &'a Fonts,
}

/// Why a statement could not be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    #[error("font: {0}")]
    Font(String),
    #[error(
        "{field}: the statement font has no glyph for {character:?} (U+{codepoint:04X}) in {value:?}; \
         point kpiseal.toml's [render] font to a font that has it"
    )]
    MissingGlyph { field: String, character: char, codepoint: u32, value: String },
    #[error(transparent)]
    Label(#[from] LabelError),
    #[error("PDF: {0}")]
    Pdf(String),
}

/// The statement as a finished PDF with `json` (statement.json's bytes)
/// attached.
///
/// # Errors
/// [`RenderError::MissingGlyph`] naming the field and character when the
/// font cannot print some text; [`RenderError::Label`] for a label missing
/// from the templates; [`RenderError::Pdf`] if the document cannot be
/// finished.
pub fn render_pdf(statement: &Statement, json: &[u8], options: &RenderOptions) -> Result<Vec<u8>, RenderError> {
    render(statement, json, options, Serializer::Direct)
}

/// How [`assemble`] turns laid-out pages into a document. Every way gives
/// the same bytes (a test holds them to it); all but the first are there for
/// that test, and as the fallback of the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Serializer {
    /// [`writer::document`] over per-document font cuts, falling back to
    /// printpdf's serializer for what it does not write.
    Direct,
    /// [`writer::document`] or an error: a test's proof that it wrote the document.
    #[cfg(test)]
    DirectOnly,
    /// printpdf's own serializer over the same cuts.
    #[cfg(test)]
    Printpdf,
    /// printpdf's serializer over the whole faces, which `archive::finish`
    /// then cuts to the same programs after reading the content streams back.
    #[cfg(test)]
    PrintpdfWholeFonts,
}

impl Serializer {
    /// Whether the faces are cut per document before the document is written.
    fn cuts_fonts(self) -> bool {
        #[cfg(test)]
        if self == Serializer::PrintpdfWholeFonts {
            return false;
        }
        true
    }

    /// Whether [`writer::document`] is tried first.
    fn tries_writer(self) -> bool {
        #[cfg(test)]
        if matches!(self, Serializer::Printpdf | Serializer::PrintpdfWholeFonts) {
            return false;
        }
        true
    }
}

/// [`render_pdf`] through `serializer`.
fn render(
    statement: &Statement,
    json: &[u8],
    options: &RenderOptions,
    serializer: Serializer,
) -> Result<Vec<u8>, RenderError> {
    check_printable(statement, options.fonts)?;
    let catalog = Catalog::get(options.language)?;
    let separator = catalog.text("locale.decimal_separator")?.chars().next().unwrap_or('.');
    let mut canvas = Canvas::new(options.fonts, separator);
    sections::draw(&mut canvas, statement, catalog)?;
    let footer = catalog.fill(
        "document.footer",
        &[("number", &statement.statement_number), ("seller", &statement.seller.legal_name)],
    )?;
    // The draft word, then the demo-key words; the first is also the watermark.
    let draft = if options.draft { Some(catalog.text("document.draft")?) } else { None };
    let demo = if statement.signing.demo { Some(catalog.text("document.demo_key")?) } else { None };
    let marks: Vec<&str> = [draft, demo].into_iter().flatten().collect();
    let pages = finish_pages(canvas.into_pages(), &footer, &marks, catalog, options.fonts)?;

    let title = format!("{} {}", catalog.text("document.title")?, statement.statement_number);
    let subject = format!("{} · {} · {}", statement.seller.legal_name, statement.period.id, statement.statement_number);
    let keywords = [statement.seller.id.as_str(), statement.statement_number.as_str()];
    let period = statement.period.id.to_string();
    let keywords = [keywords[0], keywords[1], period.as_str()];
    let producer = format!("{} {}", statement.generator.name, statement.generator.version);
    let info = archive::ArchiveInfo {
        title: &title,
        author: &statement.provider.legal_name,
        subject: &subject,
        keywords: &keywords,
        language: options.language.tag(),
        date: statement.issue_date,
        producer: &producer,
    };
    let attachment = archive::Attachment {
        file_name: "statement.json",
        mime: "application/json",
        description: "kpiseal statement data (schema kpiseal.statement/1)",
        bytes: json,
    };
    assemble(pages, options.fonts, serializer, &info, &[attachment])
}

/// The finished archival PDF of laid-out `pages`: the faces they show cut
/// to the characters shown (or whole, for `archive::finish` to cut, with
/// [`Serializer::PrintpdfWholeFonts`]), `info` as its metadata and
/// `attachments` as its associated files.
///
/// # Errors
/// [`RenderError::Pdf`] when a face lacks a character shown, or the
/// document cannot be finished.
pub(crate) fn assemble(
    pages: Vec<Vec<Op>>,
    fonts: &Fonts,
    serializer: Serializer,
    info: &archive::ArchiveInfo,
    attachments: &[archive::Attachment],
) -> Result<Vec<u8>, RenderError> {
    let cut_fonts = serializer.cuts_fonts();
    let shown = shown_chars(&pages, fonts);
    let mut used = Vec::with_capacity(2);
    for (face, chars) in [Face::Regular, Face::Bold].into_iter().zip(&shown) {
        let f = fonts.face(face);
        if chars.is_empty() {
            continue;
        }
        if cut_fonts && f.first_missing(chars).is_some() {
            // printpdf would show .notdef: what archive::finish reports.
            let notdef = archive::ArchiveError::Notdef { font: f.id.0.clone() };
            return Err(RenderError::Pdf(notdef.to_string()));
        }
        used.push((f, if cut_fonts { f.document_font(chars) } else { None }));
    }
    let pdf_error = |e: archive::ArchiveError| RenderError::Pdf(e.to_string());

    if serializer.tries_writer() {
        let cuts: Option<Vec<_>> = used.iter().map(|(_, cut)| cut.clone()).collect();
        if let Some(doc) = cuts.and_then(|cuts| writer::document(&pages, cuts.as_slice())) {
            return archive::finish_cut(doc, info, attachments).map_err(pdf_error);
        }
        #[cfg(test)]
        if serializer == Serializer::DirectOnly {
            return Err(RenderError::Pdf("the direct writer declined the document".into()));
        }
    }

    let mut doc = PdfDocument::new(info.title);
    // Whether archive::finish must read the content streams back to cut some font.
    let mut scan = false;
    for (f, cut) in used {
        scan |= cut.is_none() && f.is_cid_keyed_cff();
        let font = cut.map_or_else(|| f.font.clone(), |cut| cut.font.clone());
        doc.resources.fonts.map.insert(f.id.clone(), PdfFont::new(font));
    }
    doc.pages = pages.into_iter().map(|ops| PdfPage::new(Mm(210.0), Mm(297.0), ops)).collect();
    let save = PdfSaveOptions { optimize: false, subset_fonts: true, secure: true, image_optimization: None };
    let mut warnings = Vec::new();
    let mut lopdf_doc = doc.to_lopdf_document(&save, &mut warnings);
    writer::literal_strings(&mut lopdf_doc)
        .ok_or_else(|| RenderError::Pdf("printpdf wrote a content stream that cannot be read back".into()))?;
    let finish = if scan { archive::finish } else { archive::finish_cut };
    finish(lopdf_doc, info, attachments).map_err(pdf_error)
}

/// The characters each face (regular, bold) shows on `pages`. Collected
/// in a bit set per face: a statement shows tens of thousands of characters,
/// of a few hundred kinds.
fn shown_chars(pages: &[Vec<Op>], fonts: &Fonts) -> [BTreeSet<char>; 2] {
    let mut shown: [CharSet; 2] = [CharSet::new(), CharSet::new()];
    let ids = [&fonts.face(Face::Regular).id, &fonts.face(Face::Bold).id];
    for ops in pages {
        let mut current = None;
        for op in ops {
            match op {
                Op::SetFont { font: PdfFontHandle::External(id), .. } => {
                    current = ids.iter().position(|face| *face == id);
                }
                Op::SetFont { .. } => current = None,
                Op::ShowText { items } => {
                    if let Some(face) = current {
                        for item in items {
                            if let TextItem::Text(text) = item {
                                shown[face].extend(text.chars());
                            }
                        }
                    }
                }
                Op::MoveToNextLineShowText { text } | Op::SetSpacingMoveAndShowText { text, .. } => {
                    if let Some(face) = current {
                        shown[face].extend(text.chars());
                    }
                }
                _ => {}
            }
        }
    }
    shown.map(CharSet::into_set)
}

/// A set of characters: a bit per character of the Basic Multilingual Plane,
/// and the others listed.
struct CharSet {
    bmp: Box<[u64; 1024]>,
    other: Vec<char>,
}

impl CharSet {
    fn new() -> CharSet {
        CharSet { bmp: Box::new([0; 1024]), other: Vec::new() }
    }

    /// The characters in ascending order.
    fn into_set(mut self) -> BTreeSet<char> {
        let bmp = self.bmp.iter().enumerate().flat_map(|(word, &bits)| {
            let mut bits = bits;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let bit = bits.trailing_zeros();
                    bits &= bits - 1;
                    word * 64 + bit as usize
                })
            })
        });
        let mut chars: Vec<char> = bmp.filter_map(|c| char::from_u32(c as u32)).collect();
        self.other.sort_unstable();
        chars.extend(self.other);
        chars.into_iter().collect()
    }
}

impl Extend<char> for CharSet {
    fn extend<I: IntoIterator<Item = char>>(&mut self, chars: I) {
        for c in chars {
            match self.bmp.get_mut(c as usize / 64) {
                Some(word) => *word |= 1 << (c as usize % 64),
                None => self.other.push(c),
            }
        }
    }
}

/// Adds the footer to every page: a rule, `marks` (a draft's word, the
/// demo key's words) in the alert colour, `footer`, and "n / N"; the first
/// of `marks`, if any, is also each page's watermark. The marks are printed
/// in plain text too, so a draft (or a demo) is one in any text extraction.
pub(crate) fn finish_pages(
    pages: Vec<Vec<Op>>,
    footer: &str,
    marks: &[&str],
    c: &Catalog,
    fonts: &Fonts,
) -> Result<Vec<Vec<Op>>, RenderError> {
    let total = pages.len();
    let footer_style = Style::new(Face::Regular, 7.0).color(MUTED);
    let mut out = Vec::with_capacity(total);
    for (index, content) in pages.into_iter().enumerate() {
        let mut canvas = Canvas::new(fonts, '.');
        let rule_y = PAGE_HEIGHT - 34.0;
        canvas.rule(MARGIN_X, PAGE_WIDTH - MARGIN_X, rule_y, 0.4, RULE);
        let mut x = MARGIN_X;
        for word in marks {
            let style = Style::new(Face::Bold, 7.0).color(ALERT);
            canvas.text_at(x, rule_y + 11.0, word, style);
            x += fonts.width(style.face, word, style.size) + 6.0;
        }
        canvas.text_at(x, rule_y + 11.0, footer, footer_style);
        let n = c.fill("document.page", &[("n", &(index + 1).to_string()), ("total", &total.to_string())])?;
        canvas.text_right(PAGE_WIDTH - MARGIN_X, rule_y + 11.0, &n, footer_style);
        let mut ops = content;
        ops.extend(canvas.into_pages().into_iter().flatten());
        if let Some(word) = marks.first() {
            ops.extend(Canvas::watermark(fonts, word));
        }
        out.push(ops);
    }
    Ok(out)
}

/// Every free text of the statement the PDF prints, by its JSON path, so a
/// character the font lacks is reported naming the field.
fn check_printable(s: &Statement, fonts: &Fonts) -> Result<(), RenderError> {
    let mut fields: Vec<(String, &str)> = vec![
        ("statement_number".into(), &s.statement_number),
        ("provider.name".into(), &s.provider.name),
        ("provider.legal_name".into(), &s.provider.legal_name),
        ("provider.tax_id".into(), &s.provider.tax_id),
        ("provider.address".into(), &s.provider.address),
        ("seller.id".into(), &s.seller.id),
        ("seller.legal_name".into(), &s.seller.legal_name),
        ("seller.tax_id".into(), &s.seller.tax_id),
        ("contract.id".into(), &s.contract.id),
        ("signing.key_id".into(), &s.signing.key_id),
    ];
    if let Some(conv) = &s.totals.conversion {
        fields.push(("totals.conversion.source".into(), &conv.source));
    }
    if let Some(fx) = &s.contract.fx {
        fields.push(("contract.fx.source".into(), &fx.source));
    }
    for (i, l) in s.pass_through.lines.iter().enumerate() {
        fields.push((format!("pass_through.lines[{i}].vendor"), &l.vendor));
        fields.push((format!("pass_through.lines[{i}].description"), &l.description));
        fields.push((format!("pass_through.lines[{i}].invoice_no"), &l.invoice_no));
    }
    for (i, q) in s.fx.iter().enumerate() {
        for (j, leg) in q.legs.iter().enumerate() {
            fields.push((format!("fx[{i}].legs[{j}].source"), &leg.source));
        }
    }
    for (i, line) in s.service_fees.lines.iter().enumerate() {
        fields.push((format!("service_fees.lines[{i}].description"), &line.description));
    }
    for (i, r) in s.reconciliation.iter().enumerate() {
        fields.push((format!("reconciliation[{i}].file"), &r.file));
    }
    for (i, input) in s.inputs.iter().enumerate() {
        fields.push((format!("inputs[{i}].path"), &input.path));
    }
    for (field, value) in fields {
        for face in [Face::Regular, Face::Bold] {
            if let Some(character) = fonts.missing_glyph(face, value) {
                return Err(RenderError::MissingGlyph {
                    field,
                    character,
                    codepoint: character as u32,
                    value: value.to_string(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{RunOptions, build_statement};
    use crate::statement::SigningBlock;
    use crate::workspace::Workspace;

    fn demo_statement() -> Statement {
        seller_statement("acme-home")
    }

    fn seller_statement(seller: &str) -> Statement {
        let ws = Workspace::open(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")).unwrap();
        let signing = SigningBlock { key_id: crate::seal_config::DEMO_KEY_ID.to_string(), demo: true };
        build_statement(&ws, seller, &RunOptions::new("2026-10".parse().unwrap()), signing).unwrap()
    }

    #[test]
    fn the_direct_writer_per_document_cuts_and_whole_fonts_give_the_same_bytes() {
        for seller in ["acme-home", "sunny-gadgets", "rio-casa", "loja-mix"] {
            let s = seller_statement(seller);
            let json = s.to_json();
            for draft in [false, true] {
                let options = RenderOptions { language: s.seller.language, draft, fonts: Fonts::builtin().unwrap() };
                let direct = render(&s, &json, &options, Serializer::DirectOnly).unwrap();
                let cut = render(&s, &json, &options, Serializer::Printpdf).unwrap();
                let whole = render(&s, &json, &options, Serializer::PrintpdfWholeFonts).unwrap();
                assert!(
                    direct == cut,
                    "{seller} (draft {draft}): direct {} vs printpdf {} bytes",
                    direct.len(),
                    cut.len()
                );
                assert!(cut == whole, "{seller} (draft {draft}): {} vs {} bytes", cut.len(), whole.len());
            }
        }
    }

    #[test]
    fn glyphs_shown_for_two_characters_give_printpdfs_bytes_whichever_is_shown_last() {
        // A no-break space and a space share a glyph, as do the middle dot
        // and the bullet: /ToUnicode maps each such glyph to the character
        // shown last, as printpdf did (here the bullet in one, the dot in
        // the other: the footer, with the name, is the last text but for
        // the page number, which has spaces and no dots).
        for name in ["Acme\u{a0}Home Goods · Ltd • x", "Acme Home Goods • Ltd ·\u{a0}x"] {
            let mut s = seller_statement("sunny-gadgets");
            s.seller.legal_name = name.to_string();
            let json = s.to_json();
            let options = RenderOptions { language: s.seller.language, draft: false, fonts: Fonts::builtin().unwrap() };
            let direct = render(&s, &json, &options, Serializer::DirectOnly).unwrap();
            let printpdf = render(&s, &json, &options, Serializer::Printpdf).unwrap();
            assert!(direct == printpdf, "{name:?}: {} vs {} bytes", direct.len(), printpdf.len());
        }
    }

    proptest::proptest! {
        #[test]
        fn a_char_set_holds_each_character_given_once_in_order(
            chars in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::any::<char>(),
                proptest::prelude::Just('\0'),
                proptest::prelude::Just('\u{ffff}'),
                proptest::prelude::Just('\u{10000}'),
                proptest::prelude::Just('a'),
            ], 0..64)
        ) {
            let mut set = CharSet::new();
            set.extend(chars.iter().copied());
            proptest::prop_assert_eq!(set.into_set(), chars.into_iter().collect::<BTreeSet<char>>());
        }
    }

    fn options() -> RenderOptions<'static> {
        RenderOptions { language: Language::ZhCn, draft: false, fonts: Fonts::builtin().unwrap() }
    }

    #[test]
    fn a_character_the_font_lacks_is_an_error_naming_the_field_and_character() {
        let mut s = demo_statement();
        s.pass_through.lines[2].vendor = "Ocean Freight 🚢 Ltd".into();
        let err = render_pdf(&s, b"{}", &options()).unwrap_err();
        assert_eq!(
            err,
            RenderError::MissingGlyph {
                field: "pass_through.lines[2].vendor".into(),
                character: '🚢',
                codepoint: 0x1F6A2,
                value: "Ocean Freight 🚢 Ltd".into(),
            }
        );
        assert!(err.to_string().contains("U+1F6A2"), "{err}");
    }

    #[test]
    fn the_same_statement_renders_to_the_same_bytes() {
        let s = demo_statement();
        let json = s.to_json();
        assert!(render_pdf(&s, &json, &options()).unwrap() == render_pdf(&s, &json, &options()).unwrap());
    }

    #[test]
    fn every_label_of_every_language_is_printable_with_the_builtin_fonts() {
        let fonts = Fonts::builtin().unwrap();
        for language in [Language::ZhCn, Language::En, Language::PtBr] {
            let c = Catalog::get(language).unwrap();
            for key in c.keys() {
                let text = c.text(key).unwrap();
                for face in [Face::Regular, Face::Bold] {
                    assert_eq!(fonts.missing_glyph(face, text), None, "{} {key}: {text}", language.tag());
                }
            }
        }
    }

    #[test]
    fn statement_json_round_trips_through_the_model() {
        let s = demo_statement();
        let json = s.to_json();
        assert_eq!(Statement::from_json(&json).unwrap().to_json(), json);
    }
}
