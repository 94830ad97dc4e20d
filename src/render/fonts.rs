//! The statement's typefaces: a regular and a bold face that cover Chinese,
//! English and Portuguese, measured here so the layout can align and wrap.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use allsorts::binary::read::ReadScope;
use allsorts::cff::CFF;
use allsorts::font_data::FontData;
use allsorts::tables::FontTableProvider;
use allsorts::tag;
use printpdf::{FontId, ParsedFont};

use super::RenderError;
pub use super::document_font::DocumentFont;
use crate::error::Error;
use crate::workspace::Workspace;

/// The committed cut of Noto Sans CJK SC (templates/fonts/README.md).
const BUILTIN_REGULAR: &[u8] = include_bytes!("../../templates/fonts/NotoSansCJKsc-Regular-kpiseal.otf");
const BUILTIN_BOLD: &[u8] = include_bytes!("../../templates/fonts/NotoSansCJKsc-Bold-kpiseal.otf");

/// Resource names and subset tags of the two faces.
const REGULAR_ID: &str = "KPSREG";
const BOLD_ID: &str = "KPSBLD";

/// Which face a run of text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
}

/// A parsed face and its fixed resource name (never printpdf's random id,
/// so that two renders are byte-identical). printpdf also takes the
/// six-letter subset tag (`KPSREG+…`) from the first six letters of the id.
#[derive(Debug, Clone)]
pub struct LoadedFace {
    pub font: ParsedFont,
    pub id: FontId,
    units_per_em: f32,
    /// Advance width + 1 of each Basic Multilingual Plane character, 0 when
    /// the face has no glyph for it: measuring is an index, not a tree walk.
    bmp_advances: Vec<u32>,
    /// The face's `CFF ` table when it is CID-keyed: what [`LoadedFace::document_font`]
    /// cuts per document.
    cid_cff: Option<Vec<u8>>,
    /// Cuts already made, by the characters they hold.
    cuts: Memo<BTreeSet<char>, Arc<DocumentFont>>,
    /// Each glyph's flattened charstring ([`super::archive::flat_charstring`]), kept once
    /// made: cutting is mostly flattening, and a glyph's flattening depends on the face
    /// and the glyph only. Bounded by the face's glyph count.
    flat: Memo<u16, Arc<[u8]>>,
}

/// How many cuts of one face [`LoadedFace::cuts`] keeps before it starts over.
const CUT_CACHE_SIZE: usize = 64;

/// Values already made in this process, by key, shared by every statement rendered
/// with the face (a batch renders many with one [`Fonts`]). What it holds are pure
/// functions of the face and the key, so a statement's bytes never depend on what was
/// rendered before it; it only saves making the same value twice. With a `limit` it is
/// emptied when full. A clone starts empty.
struct Memo<K, V> {
    entries: Mutex<HashMap<K, V>>,
    limit: Option<usize>,
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> Memo<K, V> {
    fn new(limit: Option<usize>) -> Self {
        Memo { entries: Mutex::new(HashMap::new()), limit }
    }

    /// The value for `key`, made by `make` unless it is held.
    fn get_or_make<E>(&self, key: &K, make: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        // A poisoned lock only means another thread panicked while holding it: the
        // map holds complete values or nothing, so it is still good to use.
        if let Some(value) = self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(key) {
            return Ok(value.clone());
        }
        let value = make()?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if self.limit.is_some_and(|limit| entries.len() >= limit) {
            entries.clear();
        }
        entries.insert(key.clone(), value.clone());
        Ok(value)
    }
}

impl<K, V> Clone for Memo<K, V> {
    fn clone(&self) -> Self {
        Memo { entries: Mutex::new(HashMap::new()), limit: self.limit }
    }
}

impl<K, V> std::fmt::Debug for Memo<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.entries.lock().map_or(0, |entries| entries.len());
        f.debug_struct("Memo").field("held", &held).field("limit", &self.limit).finish()
    }
}

/// The regular and bold faces.
#[derive(Debug, Clone)]
pub struct Fonts {
    pub regular: LoadedFace,
    pub bold: LoadedFace,
}

impl Fonts {
    /// The statement fonts of workspace `ws`: the files `kpiseal.toml`'s
    /// `[render]` names (relative to the workspace), or the built-in cut.
    ///
    /// # Errors
    /// [`Error::Config`] naming `kpiseal.toml` and the key when a font file
    /// cannot be read or parsed.
    pub fn for_workspace(ws: &Workspace) -> Result<std::borrow::Cow<'static, Fonts>, Error> {
        let render = &ws.config.render;
        let result = match &render.font {
            Some(regular) => {
                let bold = render.bold_font.as_ref().map(|b| ws.root.join(b));
                Fonts::from_files(&ws.root.join(regular), bold.as_deref()).map(std::borrow::Cow::Owned)
            }
            None => Fonts::builtin().map(std::borrow::Cow::Borrowed),
        };
        result.map_err(|e| Error::config("kpiseal.toml", "render.font", e.to_string()))
    }

    /// The built-in faces, parsed once per process.
    ///
    /// # Errors
    /// [`RenderError::Font`] if the compiled-in font does not parse (a test
    /// renders with it, so a release never hits it).
    pub fn builtin() -> Result<&'static Fonts, RenderError> {
        static BUILTIN: OnceLock<Result<Fonts, RenderError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Ok(Fonts {
                    regular: LoadedFace::parse(BUILTIN_REGULAR, REGULAR_ID, "built-in regular font")?
                        .named("NotoSansCJKsc-Regular"),
                    bold: LoadedFace::parse(BUILTIN_BOLD, BOLD_ID, "built-in bold font")?.named("NotoSansCJKsc-Bold"),
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Faces read from files (kpiseal.toml's `[render] font` / `bold_font`),
    /// for a provider that needs characters beyond the built-in cut. Without
    /// a bold file the regular face is used for bold text too.
    ///
    /// # Errors
    /// [`RenderError::Font`] naming the file when it cannot be read or parsed.
    pub fn from_files(regular: &Path, bold: Option<&Path>) -> Result<Fonts, RenderError> {
        let read = |path: &Path, id: &str| -> Result<LoadedFace, RenderError> {
            let bytes = std::fs::read(path)
                .map_err(|e| RenderError::Font(format!("{}: cannot read the font: {e}", path.display())))?;
            LoadedFace::parse(&bytes, id, &path.display().to_string())
        };
        let regular_face = read(regular, REGULAR_ID)?;
        let bold_face = match bold {
            Some(path) => read(path, BOLD_ID)?,
            None => LoadedFace { id: FontId(BOLD_ID.into()), ..regular_face.clone() },
        };
        Ok(Fonts { regular: regular_face, bold: bold_face })
    }

    pub fn face(&self, face: Face) -> &LoadedFace {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    /// The first character of `text` that `face` has no glyph for.
    pub fn missing_glyph(&self, face: Face, text: &str) -> Option<char> {
        let f = self.face(face);
        text.chars().find(|&c| !c.is_control() && f.advance(c).is_none())
    }

    /// The advance width of `text` set in `face` at `size` points.
    pub fn width(&self, face: Face, text: &str, size: f32) -> f32 {
        let f = self.face(face);
        let units: u32 = text.chars().map(|c| f.advance(c).unwrap_or(0)).sum();
        units as f32 / f.units_per_em * size
    }

    /// The advance width of one character, in points at `size`.
    pub fn char_width(&self, face: Face, c: char, size: f32) -> f32 {
        let f = self.face(face);
        f.advance(c).unwrap_or(0) as f32 / f.units_per_em * size
    }
}

impl LoadedFace {
    fn named(mut self, name: &str) -> LoadedFace {
        self.font.font_name = Some(name.to_string());
        self
    }

    fn parse(bytes: &[u8], id: &str, what: &str) -> Result<LoadedFace, RenderError> {
        let mut warnings = Vec::new();
        let font = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| RenderError::Font(format!("{what}: not an OpenType/TrueType font")))?;
        let units_per_em = f32::from(font.units_per_em.max(1));
        let mut bmp_advances = vec![0; 0x1_0000];
        for (&codepoint, &glyph) in &font.codepoint_to_glyph {
            if let Some(slot) = bmp_advances.get_mut(codepoint as usize) {
                *slot = u32::from(font.get_glyph_width(glyph).unwrap_or(0)) + 1;
            }
        }
        let cid_cff = cid_keyed_cff(bytes);
        Ok(LoadedFace {
            font,
            id: FontId(id.to_string()),
            units_per_em,
            bmp_advances,
            cid_cff,
            cuts: Memo::new(Some(CUT_CACHE_SIZE)),
            flat: Memo::new(None),
        })
    }

    /// The face as handed to printpdf for one document that shows `chars` in it.
    ///
    /// For a CID-keyed CFF face (the built-in ones), a cut holding only the glyphs
    /// of `chars` (plus `.notdef`), exactly the program `archive::finish` would cut
    /// the embedded font to: same glyphs in the same order, each keeping its CID, so the
    /// codes printpdf writes (charset CIDs), `/W` and `/ToUnicode` are those of the whole
    /// face, and printpdf no longer copies and scans the whole 1.5 MB program per document.
    /// Any other face, or a cut that fails, is the whole face. A character the face lacks
    /// is left out (printpdf then shows `.notdef` for it). `None` for any other face, or
    /// when the cut fails: then printpdf gets the whole face and `archive::finish` cuts it.
    /// The same `chars` always give the same cut; one made before is reused.
    pub fn document_font(&self, chars: &BTreeSet<char>) -> Option<Arc<DocumentFont>> {
        let program = self.cid_cff.as_deref()?;
        let cut = || {
            let (font, program, cids) = self.cut(program, chars)?;
            Some(Arc::new(DocumentFont::new(font, program, &cids, &self.id)?))
        };
        let cut = || cut().ok_or(());
        self.cuts.get_or_make(chars, cut).ok()
    }

    /// [`LoadedFace::document_font`] made from the face's CID-keyed `program`, uncached:
    /// the cut as printpdf reads it, its bare CFF program, and its charset (the CID of
    /// each glyph after `.notdef`).
    fn cut(&self, program: &[u8], chars: &BTreeSet<char>) -> Option<(ParsedFont, Vec<u8>, Vec<u16>)> {
        let shown: Vec<(u32, u16)> =
            chars.iter().filter_map(|&c| Some((c as u32, self.font.lookup_glyph_index(c as u32)?))).collect();
        let mut gids: Vec<u16> = std::iter::once(0).chain(shown.iter().map(|&(_, gid)| gid)).collect();
        gids.sort_unstable();
        gids.dedup();
        let cff = ReadScope::new(program).read::<CFF<'_>>().ok()?;
        let mut flat = |gid: u16| {
            self.flat.get_or_make(&gid, || super::archive::flat_charstring(&cff, usize::from(gid)).map(Arc::from))
        };
        let (subset, cids) = super::archive::cff_subset_with(&cff, &gids, &mut flat).ok()?;
        // Glyph i of the cut is glyph gids[i] of the face.
        let new_gid = |gid: u16| gids.binary_search(&gid).ok().and_then(|i| u16::try_from(i).ok());
        let mut codepoint_to_glyph = BTreeMap::new();
        for &(codepoint, gid) in &shown {
            codepoint_to_glyph.insert(codepoint, new_gid(gid)?);
        }
        let mut glyph_widths = BTreeMap::new();
        for &gid in &gids {
            if let Some(width) = self.font.get_glyph_width(gid) {
                glyph_widths.insert(new_gid(gid)?, width);
            }
        }
        let f = &self.font;
        let font = ParsedFont {
            original_bytes: sfnt_with_cff(&subset),
            font_index: 0,
            font_name: f.font_name.clone(),
            codepoint_to_glyph,
            glyph_widths,
            units_per_em: f.units_per_em,
            font_metrics: f.font_metrics.clone(),
            font_type: f.font_type,
            pdf_font_metrics: f.pdf_font_metrics.clone(),
        };
        Some((font, subset, cids))
    }

    /// Whether the face's outlines are a CID-keyed CFF, which `archive` subsets.
    pub fn is_cid_keyed_cff(&self) -> bool {
        self.cid_cff.is_some()
    }

    /// The first of `chars` the face has no glyph for (control characters included: a
    /// content stream would show `.notdef` for them).
    pub fn first_missing<'c>(&self, chars: impl IntoIterator<Item = &'c char>) -> Option<char> {
        chars.into_iter().copied().find(|&c| self.font.lookup_glyph_index(c as u32).is_none())
    }

    /// The advance of `c` in font units, `None` when the face lacks it.
    fn advance(&self, c: char) -> Option<u32> {
        match self.bmp_advances.get(c as usize) {
            Some(0) => None,
            Some(a) => Some(a - 1),
            None => {
                self.font.lookup_glyph_index(c as u32).map(|g| u32::from(self.font.get_glyph_width(g).unwrap_or(0)))
            }
        }
    }
}

/// The `CFF ` table of the (first) face in `bytes` when its font is CID-keyed.
fn cid_keyed_cff(bytes: &[u8]) -> Option<Vec<u8>> {
    let file = ReadScope::new(bytes).read::<FontData<'_>>().ok()?;
    let provider = file.table_provider(0).ok()?;
    let table = provider.read_table_data(tag::CFF).ok()?;
    let cid_keyed = ReadScope::new(&table).read::<CFF<'_>>().ok()?.fonts.first()?.is_cid_keyed();
    cid_keyed.then(|| table.into_owned())
}

/// A minimal OpenType (`OTTO`) font holding only the `CFF ` table `cff`: all printpdf
/// reads from a face's bytes when it writes a CID-keyed CFF font (it embeds the bare table).
fn sfnt_with_cff(cff: &[u8]) -> Vec<u8> {
    const HEADER: usize = 12 + 16;
    let mut table = cff.to_vec();
    table.resize(cff.len().div_ceil(4) * 4, 0);
    let checksum =
        table.chunks_exact(4).fold(0u32, |sum, w| sum.wrapping_add(u32::from_be_bytes([w[0], w[1], w[2], w[3]])));
    let length = u32::try_from(cff.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(HEADER + table.len());
    out.extend_from_slice(b"OTTO");
    // One table: numTables, searchRange, entrySelector, rangeShift.
    for field in [1u16, 16, 0, 0] {
        out.extend_from_slice(&field.to_be_bytes());
    }
    out.extend_from_slice(b"CFF ");
    out.extend_from_slice(&checksum.to_be_bytes());
    out.extend_from_slice(&(HEADER as u32).to_be_bytes());
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&table);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Language;
    use crate::i18n::Catalog;

    #[test]
    fn builtin_font_covers_every_template_label_in_both_faces() {
        let fonts = Fonts::builtin().unwrap();
        for lang in [Language::ZhCn, Language::En, Language::PtBr] {
            let c = Catalog::get(lang).unwrap();
            for key in c.keys() {
                let text = c.text(key).unwrap();
                for face in [Face::Regular, Face::Bold] {
                    assert_eq!(fonts.missing_glyph(face, text), None, "{} {key}: {text}", lang.tag());
                }
            }
        }
    }

    #[test]
    fn builtin_font_covers_gb2312_samples_and_portuguese_accents() {
        let fonts = Fonts::builtin().unwrap();
        let sample = "深圳市灵犀跨境电商服务有限公司 应付金额 ção ã õ é ê í ó ú ü Ç À ≥ ≤ ÷ × → · — “”";
        assert_eq!(fonts.missing_glyph(Face::Regular, sample), None);
    }

    #[test]
    fn a_character_outside_the_cut_is_reported() {
        let fonts = Fonts::builtin().unwrap();
        // U+1F600 (emoji) and U+4DB5 (CJK Extension A) are not in the cut.
        assert_eq!(fonts.missing_glyph(Face::Regular, "ok 😀"), Some('😀'));
        assert_eq!(fonts.missing_glyph(Face::Regular, "䶵"), Some('䶵'));
    }

    #[test]
    fn a_document_cut_holds_the_shown_glyphs_with_their_cids_and_widths() {
        let face = &Fonts::builtin().unwrap().regular;
        let chars: BTreeSet<char> = "应付金额 R$ 1.234,56 ção".chars().collect();
        let cut = &face.document_font(&chars).unwrap().font;
        assert!(cut.original_bytes.len() < 40_000, "{} bytes", cut.original_bytes.len());
        let file = ReadScope::new(&cut.original_bytes).read::<FontData<'_>>().unwrap();
        let provider = file.table_provider(0).unwrap();
        let table = provider.read_table_data(tag::CFF).unwrap();
        let cff = ReadScope::new(&table).read::<CFF<'_>>().unwrap();
        let font = &cff.fonts[0];
        assert!(font.is_cid_keyed());
        assert_eq!(font.char_strings_index.len(), chars.len() + 1, "the shown glyphs and .notdef");
        for c in chars {
            let whole = face.font.lookup_glyph_index(c as u32).unwrap();
            let gid = cut.lookup_glyph_index(c as u32).unwrap();
            assert_eq!(font.charset.id_for_glyph(gid), Some(whole), "{c:?}: the built-in cut has CID == glyph id");
            assert_eq!(cut.get_glyph_width(gid), face.font.get_glyph_width(whole), "{c:?}");
        }
        assert_eq!(cut.lookup_glyph_index('X' as u32), None, "a character not shown is not in the cut");
    }

    #[test]
    fn first_missing_finds_characters_without_a_glyph_control_characters_too() {
        let face = &Fonts::builtin().unwrap().bold;
        assert_eq!(face.first_missing(&BTreeSet::from(['a', '应', 'ç'])), None);
        assert_eq!(face.first_missing(&BTreeSet::from(['a', '😀'])), Some('😀'));
        assert_eq!(face.first_missing(&BTreeSet::from(['a', '\n'])), Some('\n'));
    }

    #[test]
    fn widths_grow_with_text_and_size() {
        let fonts = Fonts::builtin().unwrap();
        let a = fonts.width(Face::Regular, "1,234.56", 10.0);
        assert!(a > 20.0 && a < 60.0, "{a}");
        assert!((fonts.width(Face::Regular, "1,234.56", 20.0) - 2.0 * a).abs() < 0.01);
        assert!(fonts.width(Face::Regular, "应付金额", 10.0) > 39.0);
    }
}
