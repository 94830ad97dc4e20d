//! Writes laid-out pages into a `lopdf::Document` without printpdf's
//! serializer: the document printpdf 0.12's `to_lopdf_document` builds for
//! the same pages and cut fonts, object for object and byte for byte, for the
//! operations kpiseal's layout emits, except that text strings are literal
//! strings (two bytes a glyph) where printpdf writes hex (four): a third of a
//! page's content stream, less to write and to compress. [`literal_strings`]
//! rewrites printpdf's document the same way, so both paths give one file.
//!
//! printpdf stays the layout model (pages are printpdf [`Op`]s); what is
//! bypassed is its translation of those ops into lopdf operations (an
//! allocated object per operand, then lopdf's generic encoder) and its font
//! preparation (a second scan of every page's text, a `String` and a map
//! insert per character), which were three fifths of a statement's render
//! time. Here each page's content stream is written straight to bytes, and
//! each font's per-cut work is cached with the cut
//! ([`DocumentFont`]). Anything this writer does not cover (another op, a
//! text item other than one string, a face that is not a CID-keyed CFF cut)
//! makes [`document`] return `None`, and the caller uses printpdf's
//! serializer instead; a test holds both to the same bytes on every demo
//! statement.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use lopdf::content::Content as Operations;
use lopdf::{Dictionary, Document, Object, Stream, StringFormat};
use printpdf::{Color, FontId, Line, Mm, Op, PaintMode, PdfFontHandle, PdfPage, Rect, TextItem, WindingOrder};

use super::document_font::DocumentFont;

/// The document of `pages` (A4, in order) showing text in `fonts` (each with
/// every character the pages show in it), as printpdf would build it: `None`
/// when the pages use anything this writer does not write.
pub fn document(pages: &[Vec<Op>], fonts: &[Arc<DocumentFont>]) -> Option<Document> {
    let mut doc = Document::with_version("1.3");
    doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
    let pages_id = doc.new_object_id();
    let catalog = Dictionary::from_iter([
        ("Type", Object::Name(b"Catalog".to_vec())),
        ("PageLayout", Object::Name(b"OneColumn".to_vec())),
        ("PageMode", Object::Name(b"UseNone".to_vec())),
        ("Pages", Object::Reference(pages_id)),
    ]);

    // Content first: it finds which character each shared glyph shows last.
    let mut shown = Shown::new(fonts);
    let mut reals = Reals::new();
    let mut contents = Vec::with_capacity(pages.len());
    for ops in pages {
        contents.push(content(ops, &mut shown, &mut reals)?);
    }

    // printpdf's font map is ordered by resource name.
    let mut order: Vec<usize> = (0..fonts.len()).collect();
    order.sort_by(|&a, &b| fonts[a].id().0.cmp(&fonts[b].id().0));
    let mut font_dict = Dictionary::new();
    for i in order {
        if !shown.used[i] {
            continue;
        }
        let dict = fonts[i].add_to(&mut doc, &shown.last[i]);
        let id = doc.add_object(dict);
        font_dict.set(fonts[i].id().0.clone(), Object::Reference(id));
    }
    let font_dict = doc.add_object(font_dict);
    let xobjects = doc.add_object(Dictionary::new());
    let graphics_states = doc.add_object(Dictionary::new());
    let shadings = doc.add_object(Dictionary::new());

    let page_ids: Vec<_> = pages.iter().map(|_| doc.new_object_id()).collect();
    let a4 = PdfPage::new(Mm(210.0), Mm(297.0), Vec::new());
    let boxed = |r: &Rect| Object::Array(r.to_array());
    for (content, &page_id) in contents.into_iter().zip(&page_ids) {
        let resources = doc.add_object(Dictionary::from_iter([
            ("Font", Object::Reference(font_dict)),
            ("XObject", Object::Reference(xobjects)),
            ("ExtGState", Object::Reference(graphics_states)),
            ("Shading", Object::Reference(shadings)),
        ]));
        let content = doc.add_object(Stream::new(Dictionary::new(), content));
        let page = Dictionary::from_iter([
            ("Type", Object::Name(b"Page".to_vec())),
            ("MediaBox", boxed(&a4.media_box)),
            ("TrimBox", boxed(&a4.trim_box)),
            ("CropBox", boxed(&a4.crop_box)),
            ("Parent", Object::Reference(pages_id)),
            ("Resources", Object::Reference(resources)),
            ("Contents", Object::Reference(content)),
            ("Annots", Object::Array(Vec::new())),
        ]);
        doc.set_object(page_id, page);
    }
    doc.set_object(
        pages_id,
        Dictionary::from_iter([
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Count", Object::Integer(page_ids.len() as i64)),
            ("Kids", Object::Array(page_ids.iter().map(|&id| Object::Reference(id)).collect())),
        ]),
    );
    let catalog = doc.add_object(catalog);
    doc.trailer.set("Root", Object::Reference(catalog));
    Some(doc)
}

/// Rewrites the text strings of `doc`'s page content streams (printpdf's
/// serializer writes them in hex) as literal strings, as [`document`] writes
/// them: the same operations, strings half the size. `None` when a content
/// stream cannot be decoded (then `doc` may be partly rewritten).
pub fn literal_strings(doc: &mut Document) -> Option<()> {
    let contents: Vec<_> = doc.get_pages().into_values().flat_map(|page| doc.get_page_contents(page)).collect();
    for id in contents {
        let stream = doc.get_object_mut(id).and_then(Object::as_stream_mut).ok()?;
        let plain =
            if stream.dict.has(b"Filter") { stream.decompressed_content().ok()? } else { stream.content.clone() };
        stream.dict.remove(b"Filter");
        let mut operations = Operations::decode_strict(&plain).ok()?;
        for operation in &mut operations.operations {
            for operand in &mut operation.operands {
                if let Object::String(_, format) = operand {
                    *format = StringFormat::Literal;
                }
            }
        }
        stream.set_content(operations.encode().ok()?);
    }
    Some(())
}

/// Whether `byte`, in a text string's codes, may need a backslash before it in a
/// literal string ([`Content::escape_from`] decides): a parenthesis, a backslash or a
/// carriage return. A string without any is written as it is.
pub(super) fn may_need_escape(byte: u8) -> bool {
    matches!(byte, b'(' | b')' | b'\\' | b'\r')
}

/// What the pages showed in each font: whether anything, and for each
/// shared glyph the character shown last.
struct Shown<'a> {
    fonts: &'a [Arc<DocumentFont>],
    used: Vec<bool>,
    last: Vec<HashMap<u16, char>>,
}

impl<'a> Shown<'a> {
    fn new(fonts: &'a [Arc<DocumentFont>]) -> Shown<'a> {
        Shown { fonts, used: vec![false; fonts.len()], last: vec![HashMap::new(); fonts.len()] }
    }

    fn font(&self, id: &FontId) -> Option<usize> {
        self.fonts.iter().position(|f| f.id() == id)
    }
}

/// A page's content stream: lopdf's encoding of the operations printpdf
/// translates `ops` into (each operand followed by a space, then the
/// operator; operations separated by a newline), text strings as literals.
fn content(ops: &[Op], shown: &mut Shown, reals: &mut Reals) -> Option<Vec<u8>> {
    let mut out = Content {
        bytes: Vec::with_capacity(ops.len() * 24),
        first: true,
        reals,
        scratch: Vec::new(),
        open: Vec::new(),
    };
    let mut font: Option<usize> = None;
    for op in ops {
        match op {
            Op::SaveGraphicsState => out.op(&[], "q"),
            Op::RestoreGraphicsState => out.op(&[], "Q"),
            Op::StartTextSection => out.op(&[], "BT"),
            Op::EndTextSection => out.op(&[], "ET"),
            Op::SetFont { font: PdfFontHandle::External(id), size } => {
                font = Some(shown.font(id)?);
                out.begin();
                out.name(&id.0);
                out.real(size.0);
                out.end("Tf");
            }
            Op::SetFillColor { col } => out.color(col, "rg", "g")?,
            Op::SetOutlineColor { col } => out.color(col, "RG", "G")?,
            Op::SetOutlineThickness { pt } => out.op(&[pt.0], "w"),
            Op::SetTextRenderingMode { mode } => {
                out.begin();
                out.integer(mode.id());
                out.end("Tr");
            }
            Op::SetTextMatrix { matrix } => out.op(&matrix.as_array(), "Tm"),
            Op::ShowText { items } => {
                let [TextItem::Text(text)] = items.as_slice() else { return None };
                let i = font?;
                // printpdf embeds a font only once some text shows a glyph in it.
                shown.used[i] |= !text.is_empty();
                let cut = &shown.fonts[i];
                out.begin();
                out.bytes.push(b'(');
                let start = out.bytes.len();
                let mut special = false;
                for c in text.chars() {
                    let glyph = cut.glyph(c)?;
                    if glyph.shared {
                        shown.last[i].insert(glyph.gid, c);
                    }
                    special |= glyph.escapes;
                    out.bytes.extend_from_slice(&glyph.code.to_be_bytes());
                }
                if special {
                    out.escape_from(start);
                }
                out.bytes.extend_from_slice(b") ");
                out.end("Tj");
            }
            Op::DrawLine { line } => out.line(line)?,
            Op::DrawRectangle { rectangle } => out.rectangle(rectangle),
            _ => return None,
        }
    }
    Some(out.bytes)
}

/// What `Display` prints for `v`, from ryu's shortest round-trip digits of
/// it (`ryu`): the same digits without a trailing `.0` (`12.0` is `12`,
/// `-0.0` is `-0`). `None` where the two may differ, for `Display` to print:
/// ryu used an exponent (below 1e-5, from 1e16 on, or not finite), which
/// `Display` never does; more than seven decimals (the check below would
/// not be exact); or `v` lies exactly halfway between two shortest candidates
/// (-3625784.25 between …784.2 and …784.3), where ryu rounds to even and
/// `Display` does not.
fn display_digits(v: f32, ryu: &str) -> Option<&str> {
    if ryu.bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let decimals = ryu.split_once('.').map_or(0, |(_, f)| f.len());
    if decimals > 7 {
        return None;
    }
    // |v| · 10^(decimals + 1) is exact in f64 (24 + 27 bits at most): a tie
    // is an integer ending in 5.
    const POWERS: [f64; 9] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
    let scaled = f64::from(v).abs() * POWERS[decimals + 1];
    if scaled.fract() == 0.0 && (scaled as u64) % 10 == 5 {
        return None;
    }
    Some(ryu.strip_suffix(".0").unwrap_or(ryu))
}

/// A content stream being written.
struct Content<'r> {
    bytes: Vec<u8>,
    first: bool,
    reals: &'r mut Reals,
    /// Room to escape a text string in ([`Content::escape_from`]): its bytes,
    /// and the offsets of its open parentheses.
    scratch: Vec<u8>,
    open: Vec<usize>,
}

/// The text of non-integer reals written before in the document, by their
/// bits, in a direct-mapped table (a value may take the slot of an earlier
/// one): a page repeats its columns' x, its rows' y, its colours and sizes,
/// and each costs ryu and [`display_digits`] only the first time. A hit
/// writes the bytes formatting that value wrote, so the stream is the same.
struct Reals {
    /// Per slot: the value's bits, its text's length (0: empty) and its text.
    slots: Box<[(u32, u8, [u8; Reals::TEXT]); Reals::SLOTS]>,
}

impl Reals {
    const SLOTS: usize = 512;
    /// The longest text kept; longer ones (`Display` of huge values) are formatted each time.
    const TEXT: usize = 23;

    fn new() -> Reals {
        Reals { slots: Box::new([(0, 0, [0; Reals::TEXT]); Reals::SLOTS]) }
    }

    fn slot(bits: u32) -> usize {
        // Fibonacci hashing: the top 9 bits of the product.
        (bits.wrapping_mul(0x9E37_79B9) >> 23) as usize
    }

    /// The text written for `bits` before, if its slot still holds it.
    fn get(&self, bits: u32) -> Option<&[u8]> {
        let (held, len, text) = &self.slots[Reals::slot(bits)];
        (*len > 0 && *held == bits).then(|| &text[..usize::from(*len)])
    }

    /// Keeps `text` as what `bits` is written as (unless it is too long).
    fn put(&mut self, bits: u32, text: &[u8]) {
        if let Ok(len @ 1..) = u8::try_from(text.len())
            && text.len() <= Reals::TEXT
        {
            let slot = &mut self.slots[Reals::slot(bits)];
            slot.0 = bits;
            slot.1 = len;
            slot.2[..text.len()].copy_from_slice(text);
        }
    }
}

impl Content<'_> {
    /// Starts an operation: the newline that separates it from the one before.
    fn begin(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.bytes.push(b'\n');
        }
    }

    /// Ends an operation with its operator.
    fn end(&mut self, operator: &str) {
        self.bytes.extend_from_slice(operator.as_bytes());
    }

    /// An operation whose operands are all reals.
    fn op(&mut self, operands: &[f32], operator: &str) {
        self.begin();
        for &v in operands {
            self.real(v);
        }
        self.end(operator);
    }

    /// A real operand as lopdf writes `Object::Real`: Rust's `Display` of
    /// the `f32` (its shortest round-trip digits, never an exponent).
    fn real(&mut self, v: f32) {
        if v.fract() == 0.0 && v.abs() < 1e7 {
            // An integer (and -0.0, which Display prints as -0).
            if v == 0.0 && v.is_sign_negative() {
                self.bytes.push(b'-');
            }
            self.integer(v as i64);
            return;
        }
        let bits = v.to_bits();
        if let Some(text) = self.reals.get(bits) {
            self.bytes.extend_from_slice(text);
        } else {
            let from = self.bytes.len();
            let mut buffer = ryu::Buffer::new();
            match display_digits(v, buffer.format(v)) {
                Some(text) => self.bytes.extend_from_slice(text.as_bytes()),
                None => {
                    let _ = write!(self.bytes, "{v}");
                }
            }
            self.reals.put(bits, &self.bytes[from..]);
        }
        self.bytes.push(b' ');
    }

    fn integer(&mut self, v: i64) {
        let mut buffer = itoa::Buffer::new();
        self.bytes.extend_from_slice(buffer.format(v).as_bytes());
        self.bytes.push(b' ');
    }

    /// A name operand; the layout's resource names need no escaping, any
    /// other is left to printpdf (`None` upstream).
    fn name(&mut self, name: &str) {
        self.bytes.push(b'/');
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(b' ');
    }

    /// Escapes the bytes written since `start`, the two-byte codes of a text
    /// string written as a literal string operand (half the bytes of the hex
    /// string printpdf writes), as lopdf writes `StringFormat::Literal`: a
    /// backslash before each backslash and carriage return (written `\r`: a
    /// bare one would read as a line end, that is a newline), and before each
    /// parenthesis that is not balanced (a `)` closes the last open `(`, and
    /// is escaped when none is open; a `(` still open at the end is escaped).
    /// Only a string holding one of those bytes needs it
    /// ([`super::document_font::Glyph::escapes`]).
    fn escape_from(&mut self, start: usize) {
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.bytes[start..]);
        self.bytes.truncate(start);
        // The `(` left open at the end, in ascending order.
        self.open.clear();
        for (i, &b) in self.scratch.iter().enumerate() {
            match b {
                b'(' => self.open.push(i),
                b')' => {
                    self.open.pop();
                }
                _ => {}
            }
        }
        let mut unclosed = self.open.iter().copied().peekable();
        let mut depth = 0usize;
        for (i, &b) in self.scratch.iter().enumerate() {
            let escaped = match b {
                b'(' if unclosed.next_if_eq(&i).is_some() => true,
                b'(' => {
                    depth += 1;
                    false
                }
                b')' if depth == 0 => true,
                b')' => {
                    depth -= 1;
                    false
                }
                b'\\' | b'\r' => true,
                _ => false,
            };
            if escaped {
                self.bytes.extend_from_slice(&[b'\\', if b == b'\r' { b'r' } else { b }]);
            } else {
                self.bytes.push(b);
            }
        }
    }

    /// A fill or stroke colour: `rgb` for RGB, `grey` for greyscale.
    fn color(&mut self, col: &Color, rgb: &str, grey: &str) -> Option<()> {
        let operator = match col {
            Color::Rgb(c) if c.icc_profile.is_none() => rgb,
            Color::Greyscale(c) if c.icc_profile.is_none() => grey,
            _ => return None,
        };
        self.op(&col.into_vec(), operator);
        Some(())
    }

    /// A straight polyline, stroked (closed first if `line` is closed);
    /// `None` for one with Bézier points.
    fn line(&mut self, line: &Line) -> Option<()> {
        let (first, rest) = line.points.split_first()?;
        if line.points.iter().any(|p| p.bezier) {
            return None;
        }
        self.op(&[first.p.x.0, first.p.y.0], "m");
        for p in rest {
            self.op(&[p.p.x.0, p.p.y.0], "l");
        }
        if line.is_closed {
            self.op(&[], "h");
        }
        self.op(&[], "S");
        Some(())
    }

    /// A rectangle, painted as its mode says (printpdf's rules).
    fn rectangle(&mut self, r: &Rect) {
        self.op(&[r.x.0, r.y.0, r.width.0, r.height.0], "re");
        let winding = r.winding_order.unwrap_or(WindingOrder::NonZero);
        match r.mode {
            Some(PaintMode::Clip) => {
                self.op(&[], winding.get_clip_op());
                self.op(&[], "n");
            }
            Some(PaintMode::Fill) => self.op(&[], winding.get_fill_op()),
            Some(PaintMode::Stroke) => self.op(&[], "S"),
            Some(PaintMode::FillStroke) => self.op(&[], winding.get_fill_stroke_op()),
            None => {
                match r.winding_order {
                    Some(WindingOrder::NonZero) => self.op(&[], "W"),
                    Some(WindingOrder::EvenOdd) => self.op(&[], "W*"),
                    None => {}
                }
                self.op(&[], "n");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::content::Operation;
    use proptest::prelude::*;

    fn real(v: f32) -> String {
        let mut reals = Reals::new();
        let mut c =
            Content { bytes: Vec::new(), first: true, reals: &mut reals, scratch: Vec::new(), open: Vec::new() };
        c.real(v);
        String::from_utf8(c.bytes).unwrap()
    }

    /// `values` written one after another into one stream, each as its own text.
    fn reals_in_one_stream(values: &[f32]) -> Vec<String> {
        let mut reals = Reals::new();
        let mut c =
            Content { bytes: Vec::new(), first: true, reals: &mut reals, scratch: Vec::new(), open: Vec::new() };
        let mut texts = Vec::new();
        for &v in values {
            let from = c.bytes.len();
            c.real(v);
            texts.push(String::from_utf8(c.bytes[from..].to_vec()).unwrap());
        }
        texts
    }

    /// `codes` written after `prefix` as a text string operand.
    fn literal(prefix: &[u8], codes: &[u8]) -> Vec<u8> {
        let mut reals = Reals::new();
        let mut c =
            Content { bytes: prefix.to_vec(), first: true, reals: &mut reals, scratch: Vec::new(), open: Vec::new() };
        c.bytes.push(b'(');
        c.bytes.extend_from_slice(codes);
        c.escape_from(prefix.len() + 1);
        c.bytes.extend_from_slice(b") ");
        c.bytes
    }

    proptest! {
        #[test]
        fn a_text_string_is_written_as_lopdf_writes_a_literal_and_reads_back_as_its_bytes(
            codes in proptest::collection::vec(prop_oneof![Just(b'('), Just(b')'), Just(b'\\'), Just(b'\r'), Just(b'\n'), Just(0u8), Just(b'a'), any::<u8>()], 0..24)
        ) {
            let written = literal(b"BT ", &codes);
            let operation = Operation::new("", vec![Object::String(codes.clone(), StringFormat::Literal)]);
            let lopdf = (Operations { operations: vec![operation] }).encode().unwrap();
            prop_assert_eq!(&written[3..], &lopdf[..]);
            let read = Operations::decode(&[&written[..], b"Tj ET"].concat()).unwrap();
            prop_assert_eq!(read.operations[1].operands[0].as_str().unwrap(), &codes[..]);
        }
    }

    #[test]
    fn a_text_string_without_parentheses_backslashes_or_returns_is_wrapped_as_it_is() {
        assert_eq!(literal(b"", &[0, 0x45, 0x1a, b'\n']), [b'(', 0, 0x45, 0x1a, b'\n', b')', b' ']);
    }

    #[test]
    fn backslashes_returns_and_unbalanced_parentheses_are_escaped_balanced_ones_are_not() {
        assert_eq!(literal(b"", b"(a)\\)\r("), br"((a)\\\)\r\() ");
    }

    #[test]
    fn reals_are_written_as_display_writes_them() {
        for v in [
            -3625784.2,
            0.0,
            -0.0,
            1.0,
            12.5,
            595.2756,
            841.8898,
            0.1,
            1e-7,
            3.0e20,
            f32::MAX,
            f32::MIN_POSITIVE,
            0.70710677,
        ] {
            assert_eq!(real(v), format!("{v} "), "{v:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn any_finite_real_is_written_as_display_writes_it(bits in any::<u32>()) {
            let v = f32::from_bits(bits);
            prop_assume!(v.is_finite());
            prop_assert_eq!(real(v), format!("{v} "));
        }

        #[test]
        fn page_coordinates_are_written_as_display_writes_them(v in -1000.0f32..1000.0) {
            prop_assert_eq!(real(v), format!("{v} "));
        }

        /// Values repeating (and sharing slots) in one stream are written
        /// each time as `Display` writes them, whether formatted or remembered.
        #[test]
        fn repeated_reals_are_written_as_display_writes_them(
            picks in proptest::collection::vec(0usize..43, 1..400),
            pool in proptest::collection::vec(-1000.0f32..1000.0, 40),
            huge in proptest::collection::vec(1e16f32..f32::MAX, 3),
        ) {
            let pool: Vec<f32> = pool.into_iter().chain(huge).collect();
            let values: Vec<f32> = picks.iter().map(|&i| pool[i % pool.len()]).collect();
            let expected: Vec<String> = values.iter().map(|v| format!("{v} ")).collect();
            prop_assert_eq!(reals_in_one_stream(&values), expected);
        }
    }

    #[test]
    fn two_reals_sharing_a_slot_are_each_written_as_themselves() {
        let first = 12.5f32;
        let second = (1..100_000)
            .map(|n| first + n as f32 / 64.0)
            .find(|v| v.fract() != 0.0 && Reals::slot(v.to_bits()) == Reals::slot(first.to_bits()))
            .expect("some value shares the slot");
        let values = [first, second, first, second, second, first];
        let expected: Vec<String> = values.iter().map(|v| format!("{v} ")).collect();
        assert_eq!(reals_in_one_stream(&values), expected);
    }

    #[test]
    fn an_op_the_writer_does_not_cover_makes_it_decline() {
        let page = vec![Op::SetLineHeight { lh: printpdf::Pt(12.0) }];
        assert!(document(&[page], &[]).is_none());
        let builtin = vec![
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::Builtin(printpdf::BuiltinFont::Helvetica), size: printpdf::Pt(9.0) },
            Op::EndTextSection,
        ];
        assert!(document(&[builtin], &[]).is_none(), "a font it was not given");
    }

    /// A one-page document whose page shows `content` (compressed when `compress`).
    fn page_with_content(content: &[u8], compress: bool) -> (Document, lopdf::ObjectId) {
        let mut doc = Document::with_version("1.7");
        let mut stream = Stream::new(Dictionary::new(), content.to_vec());
        if compress {
            stream.compress().unwrap();
            assert!(stream.dict.has(b"Filter"));
        }
        let content = doc.add_object(stream);
        let pages = doc.new_object_id();
        let page = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Page".to_vec())),
            ("Parent", Object::Reference(pages)),
            ("Contents", Object::Reference(content)),
        ]));
        doc.set_object(
            pages,
            Dictionary::from_iter([
                ("Type", Object::Name(b"Pages".to_vec())),
                ("Count", Object::Integer(1)),
                ("Kids", Object::Array(vec![Object::Reference(page)])),
            ]),
        );
        let catalog = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Catalog".to_vec())),
            ("Pages", Object::Reference(pages)),
        ]));
        doc.trailer.set("Root", Object::Reference(catalog));
        (doc, content)
    }

    #[test]
    fn printpdfs_hex_strings_are_rewritten_as_literals_compressed_or_not_the_rest_unchanged() {
        for compress in [false, true] {
            let line = b"1 0 0 1 42 792.89 Tm\n<0028005C0029000D> Tj\n";
            let (mut doc, content) =
                page_with_content(&[&b"BT\n/KPSREG 9 Tf\n"[..], &line.repeat(8), b"ET"].concat(), compress);
            literal_strings(&mut doc).unwrap();
            let stream = doc.get_object(content).and_then(Object::as_stream).unwrap();
            assert!(!stream.dict.has(b"Filter"), "left for the archive to compress");
            let line = b"1 0 0 1 42 792.89 Tm\n(\0(\0\\\\\0)\0\\r) Tj\n";
            let expected = [&b"BT\n/KPSREG 9 Tf\n"[..], &line.repeat(8), b"ET"].concat();
            assert_eq!(stream.content, expected, "compressed: {compress}");
        }
    }

    #[test]
    fn a_content_stream_that_cannot_be_read_back_is_refused() {
        let (mut doc, _) = page_with_content(b"BT\n/KPSREG 9 Tf\n(unterminated Tj\nET", false);
        assert_eq!(literal_strings(&mut doc), None);
    }
}
