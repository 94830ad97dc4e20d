//! A face cut to the characters one document shows, and the PDF objects
//! that embed it: a Type 0 font (`/Identity-H`) over a `CIDFontType0`
//! descendant whose program is the bare CID-keyed `CFF ` table
//! (`/FontFile3 /Subtype /CIDFontType0C`), with `/W` and `/ToUnicode`.
//!
//! The objects are those printpdf 0.12 writes for the same cut (its
//! whole-font path, as printpdf is built here without `text_layout`), entry
//! for entry and in the same order: [`super::writer`] writes documents
//! without printpdf's serializer, and a test holds the two to the same
//! bytes. What this module adds is that everything that depends only on the
//! cut (each character's code, the program, the widths) is worked out once
//! per cut, and cached with it, instead of once per document.

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object, Stream, StringFormat};
use printpdf::{FontId, ParsedFont};

/// `/DW`: the width of a code `/W` does not list (printpdf's default).
const DEFAULT_WIDTH: i64 = 1000;

/// A character's glyph in a [`DocumentFont`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyph {
    /// The glyph's index in the cut.
    pub gid: u16,
    /// What a content stream shows for it: the glyph's CID in the cut's charset.
    pub code: u16,
    /// Whether another character of the document shows the same glyph (a
    /// space and a no-break space). `/ToUnicode` maps such a glyph to the
    /// character shown last, as printpdf does.
    pub shared: bool,
    /// Whether a byte of `code` is one a literal string may have to escape
    /// ([`super::writer::may_need_escape`]).
    pub escapes: bool,
}

/// A face cut for one set of characters, as [`super::fonts::LoadedFace::document_font`] makes it.
#[derive(Debug)]
pub struct DocumentFont {
    /// The cut as printpdf reads it (the whole-font path and the tests use it).
    pub font: ParsedFont,
    /// The bare `CFF ` table of the cut: the embedded program.
    program: Vec<u8>,
    /// Each character of the cut and its glyph.
    glyphs: HashMap<char, Glyph, foldhash::fast::FixedState>,
    /// The glyphs of the cut's ASCII characters, by code point: most of what an
    /// English or Portuguese statement shows, looked up without hashing.
    ascii: [Option<Glyph>; 128],
    /// The resource name the font is shown by (printpdf names the `/ToUnicode` CMap after it).
    id: FontId,
    /// `/ToUnicode` and `/W` when no glyph is shared, so that they depend on the cut alone.
    tables: Option<Tables>,
}

/// A cut's `/ToUnicode` CMap and `/W` array.
#[derive(Debug)]
struct Tables {
    cmap: Vec<u8>,
    widths: Vec<Object>,
}

impl DocumentFont {
    /// The cut `font`, whose bare CID-keyed `CFF ` table is `program` and whose
    /// charset is `cids` (the CID of each glyph after `.notdef`), with each of its
    /// characters' codes; `None` when a code point of the cut is not a character.
    pub fn new(font: ParsedFont, program: Vec<u8>, cids: &[u16], id: &FontId) -> Option<DocumentFont> {
        let mut glyphs = HashMap::with_capacity_and_hasher(font.codepoint_to_glyph.len(), Default::default());
        let mut per_glyph: HashMap<u16, u32> = HashMap::new();
        for (&codepoint, &gid) in &font.codepoint_to_glyph {
            let c = char::from_u32(codepoint)?;
            // printpdf shows code 0 for a glyph the charset does not list (.notdef).
            let code = usize::from(gid).checked_sub(1).and_then(|i| cids.get(i)).copied().unwrap_or(0);
            let escapes = code.to_be_bytes().into_iter().any(super::writer::may_need_escape);
            glyphs.insert(c, Glyph { gid, code, shared: false, escapes });
            *per_glyph.entry(gid).or_default() += 1;
        }
        for glyph in glyphs.values_mut() {
            glyph.shared = per_glyph.get(&glyph.gid).is_some_and(|&n| n > 1);
        }
        let mut ascii = [None; 128];
        for (slot, c) in ascii.iter_mut().zip('\0'..='\x7f') {
            *slot = glyphs.get(&c).copied();
        }
        let mut cut = DocumentFont { font, program, glyphs, ascii, id: id.clone(), tables: None };
        if cut.glyphs.values().all(|g| !g.shared) {
            cut.tables = Some(cut.tables(&HashMap::new()));
        }
        Some(cut)
    }

    /// The resource name the font is shown by.
    pub fn id(&self) -> &FontId {
        &self.id
    }

    /// The glyph that shows `c`, `None` when the cut lacks it.
    pub fn glyph(&self, c: char) -> Option<Glyph> {
        match self.ascii.get(c as usize) {
            Some(glyph) => *glyph,
            None => self.glyphs.get(&c).copied(),
        }
    }

    /// Adds the font's objects to `doc` (program, `/ToUnicode`, descriptor,
    /// in that order) and returns its Type 0 font dictionary, for a document
    /// that shows every character of the cut; `last_shown` names, for each
    /// [`Glyph::shared`] glyph, the character the document showed it for last.
    pub fn add_to(&self, doc: &mut Document, last_shown: &HashMap<u16, char>) -> Dictionary {
        let f = &self.font;
        let name = f.font_name.clone().unwrap_or_else(|| self.id.0.clone());
        let made;
        let tables = match &self.tables {
            Some(tables) => tables,
            None => {
                made = self.tables(last_shown);
                &made
            }
        };

        let program = Stream::new(
            Dictionary::from_iter([("Subtype", Object::Name(b"CIDFontType0C".to_vec()))]),
            self.program.clone(),
        )
        .with_compression(true);
        let program = doc.add_object(program);
        let to_unicode = doc.add_object(Stream::new(Dictionary::new(), tables.cmap.clone()));

        let m = &f.pdf_font_metrics;
        let upm = m.units_per_em;
        let scale = if upm == 0 { 1.0 } else { 1000.0 / upm as f32 };
        let scaled = |v: i64| (v as f32 * scale).round() as i64;
        let ascent = scaled(f.font_metrics.ascent as i64);
        let descent = scaled(f.font_metrics.descent as i64);
        let italic_angle = if m.caret_slope_rise == 0 {
            0
        } else {
            (-(m.caret_slope_run as f32).atan2(m.caret_slope_rise as f32).to_degrees()).round() as i64
        };
        let flags = (1 << 5) | if italic_angle != 0 { 1 << 6 } else { 0 };
        let stem_v =
            if m.us_weight_class == 0 { 80 } else { 50 + ((m.us_weight_class as f32 / 65.0).powi(2)).round() as i64 };
        let bbox = [m.x_min, m.y_min, m.x_max, m.y_max].map(|v| Object::Integer(scaled(i64::from(v))));
        let name_object = || Object::Name(name.clone().into_bytes());
        let descriptor = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"FontDescriptor".to_vec())),
            ("FontName", name_object()),
            ("Ascent", Object::Integer(ascent)),
            ("Descent", Object::Integer(descent)),
            ("CapHeight", Object::Integer(ascent)),
            ("ItalicAngle", Object::Integer(italic_angle)),
            ("Flags", Object::Integer(flags)),
            ("StemV", Object::Integer(stem_v)),
            ("FontBBox", Object::Array(bbox.to_vec())),
            ("FontFile3", Object::Reference(program)),
        ]));
        let literal = |s: &str| Object::String(s.as_bytes().to_vec(), StringFormat::Literal);
        let cid_font = Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("BaseFont", name_object()),
            ("Subtype", Object::Name(b"CIDFontType0".to_vec())),
            (
                "CIDSystemInfo",
                Object::Dictionary(Dictionary::from_iter([
                    ("Registry", literal("Adobe")),
                    ("Ordering", literal("Identity")),
                    ("Supplement", Object::Integer(0)),
                ])),
            ),
            ("W", Object::Array(tables.widths.clone())),
            ("DW", Object::Integer(DEFAULT_WIDTH)),
            ("FontDescriptor", Object::Reference(descriptor)),
        ]);
        Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("Subtype", Object::Name(b"Type0".to_vec())),
            ("BaseFont", name_object()),
            ("Encoding", Object::Name(b"Identity-H".to_vec())),
            ("ToUnicode", Object::Reference(to_unicode)),
            ("DescendantFonts", Object::Array(vec![Object::Dictionary(cid_font)])),
        ])
    }

    /// `/ToUnicode` and `/W` for a document showing every character of the
    /// cut, `last_shown` naming the character each shared glyph shows.
    fn tables(&self, last_shown: &HashMap<u16, char>) -> Tables {
        // (code, gid, character) of each glyph shown, by ascending code (by gid first,
        // as printpdf's map of used glyphs was, so equal codes keep its order).
        let mut coded: Vec<(u16, u16, char)> = self
            .glyphs
            .iter()
            .filter(|(c, glyph)| !glyph.shared || last_shown.get(&glyph.gid) == Some(*c))
            .map(|(&c, glyph)| (glyph.code, glyph.gid, c))
            .collect();
        coded.sort_by_key(|&(_, gid, _)| gid);
        coded.sort_by_key(|&(code, _, _)| code);
        let cmap = to_unicode_cmap(&self.id.0, &coded);
        Tables { cmap, widths: self.widths(&coded) }
    }

    /// `/W` for `coded` (ascending codes): runs of consecutive codes, each
    /// `first [w1 w2 …]`, a glyph's advance in thousandths of an em (truncated).
    fn widths(&self, coded: &[(u16, u16, char)]) -> Vec<Object> {
        let upm = self.font.pdf_font_metrics.units_per_em as f32;
        let width = |gid: u16| self.font.get_glyph_width(gid).map_or(0, |w| (w as f32 * 1000.0 / upm) as i64);
        let mut out = Vec::new();
        let mut run: Option<(u16, u16, Vec<Object>)> = None;
        for &(code, gid, _) in coded {
            match &mut run {
                Some((_, last, ws)) if u32::from(code) == u32::from(*last) + 1 => {
                    *last = code;
                    ws.push(Object::Integer(width(gid)));
                }
                _ => {
                    if let Some((first, _, ws)) = run.take() {
                        out.extend([Object::Integer(i64::from(first)), Object::Array(ws)]);
                    }
                    run = Some((code, code, vec![Object::Integer(width(gid))]));
                }
            }
        }
        if let Some((first, _, ws)) = run {
            out.extend([Object::Integer(i64::from(first)), Object::Array(ws)]);
        }
        out
    }
}

/// The `/ToUnicode` CMap of `coded` (code, glyph, character; ascending codes) for the
/// font named `name`: the bytes printpdf's `generate_cmap_string` writes for the same
/// codes (where a code repeats, the last character wins; `bfchar` blocks of at most 100
/// entries, none spanning two high bytes of the code; each character as UTF-16BE hex),
/// without a map, a `String` and a `format!` per entry.
fn to_unicode_cmap(name: &str, coded: &[(u16, u16, char)]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let hex4 = |out: &mut Vec<u8>, v: u16| {
        out.extend_from_slice(&[
            HEX[usize::from(v >> 12)],
            HEX[usize::from(v >> 8 & 15)],
            HEX[usize::from(v >> 4 & 15)],
            HEX[usize::from(v & 15)],
        ]);
    };
    let mut out = Vec::with_capacity(600 + coded.len() * 16);
    out.extend_from_slice(
        b"/CIDInit /ProcSet findresource begin\n\n12 dict begin\n\nbegincmap\n\n%!PS-Adobe-3.0 Resource-CMap\n\
          %%DocumentNeededResources: procset CIDInit\n%%IncludeResource: procset CIDInit\n\n\
          /CIDSystemInfo 3 dict dup begin\n/Registry (FontSpecific) def\n/Ordering (",
    );
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b") def\n/Supplement 0 def\nend def\n\n/CMapName /FontSpecific-");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(
        b" def\n/CMapVersion 1 def\n/CMapType 2 def\n/WMode 0 def\n\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    // One entry per code, the last character given for it.
    let mut entries: Vec<(u16, char)> = Vec::with_capacity(coded.len());
    for &(code, _, c) in coded {
        match entries.last_mut() {
            Some(last) if last.0 == code => last.1 = c,
            _ => entries.push((code, c)),
        }
    }
    for group in entries.chunk_by(|a, b| a.0 >> 8 == b.0 >> 8) {
        for block in group.chunks(100) {
            let mut count = itoa::Buffer::new();
            out.extend_from_slice(count.format(block.len()).as_bytes());
            out.extend_from_slice(b" beginbfchar\n");
            for &(code, c) in block {
                out.push(b'<');
                hex4(&mut out, code);
                out.extend_from_slice(b"> <");
                for unit in c.encode_utf16(&mut [0; 2]) {
                    hex4(&mut out, *unit);
                }
                out.extend_from_slice(b">\n");
            }
            out.extend_from_slice(b"endbfchar\n");
        }
    }
    out.extend_from_slice(b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::render::fonts::Fonts;

    #[test]
    fn the_to_unicode_cmap_is_the_one_printpdf_writes() {
        let font = &Fonts::builtin().unwrap().regular.font;
        let id = printpdf::FontId("KPSREG".into());
        // Several high bytes, a group of more than 100 codes, a repeated code (the last
        // character wins), a character outside the Basic Multilingual Plane.
        let mut coded: Vec<(u16, u16, char)> = (0..260u16).map(|i| (i, i, char::from(b'!' + (i % 90) as u8))).collect();
        coded.extend([(0x0150, 1, 'é'), (0x0150, 2, 'ç'), (0x1234, 3, '应'), (0xFFFF, 4, '😀')]);
        coded.sort_by_key(|&(code, _, _)| code);
        let unicode: Vec<(u16, String)> = coded.iter().map(|&(code, _, c)| (code, c.to_string())).collect();
        let printpdf = printpdf::generate_cmap_string(font, &id, &unicode);
        assert_eq!(String::from_utf8(super::to_unicode_cmap("KPSREG", &coded)).unwrap(), printpdf);
    }

    #[test]
    fn a_glyph_shown_for_two_characters_is_marked_shared_in_a_cut_holding_both() {
        let face = &Fonts::builtin().unwrap().regular;
        // In Noto Sans CJK a no-break space is drawn with the space's glyph.
        let both = face.document_font(&BTreeSet::from([' ', '\u{a0}', 'a'])).unwrap();
        assert_eq!(both.glyph(' ').map(|g| g.gid), both.glyph('\u{a0}').map(|g| g.gid));
        assert!(both.glyph(' ').unwrap().shared && both.glyph('\u{a0}').unwrap().shared);
        assert!(!both.glyph('a').unwrap().shared);
        let one = face.document_font(&BTreeSet::from([' ', 'a'])).unwrap();
        assert!(!one.glyph(' ').unwrap().shared, "alone in its cut, the space shares nothing");
        assert_eq!(one.glyph('\u{a0}'), None, "a character not in the cut has no glyph");
    }
}
