//! The statement's typefaces: a regular and a bold face that cover Chinese,
//! English and Portuguese, measured here so the layout can align and wrap.

use std::path::Path;
use std::sync::OnceLock;

use printpdf::{FontId, ParsedFont};

use super::RenderError;

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
}

/// The regular and bold faces.
#[derive(Debug, Clone)]
pub struct Fonts {
    pub regular: LoadedFace,
    pub bold: LoadedFace,
}

impl Fonts {
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
        let f = &self.face(face).font;
        text.chars().find(|&c| !c.is_control() && f.lookup_glyph_index(c as u32).is_none())
    }

    /// The advance width of `text` set in `face` at `size` points.
    pub fn width(&self, face: Face, text: &str, size: f32) -> f32 {
        let f = self.face(face);
        let units: u32 = text
            .chars()
            .map(|c| f.font.lookup_glyph_index(c as u32).and_then(|g| f.font.get_glyph_width(g)).map_or(0, u32::from))
            .sum();
        units as f32 / f.units_per_em * size
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
        Ok(LoadedFace { font, id: FontId(id.to_string()), units_per_em })
    }
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
    fn widths_grow_with_text_and_size() {
        let fonts = Fonts::builtin().unwrap();
        let a = fonts.width(Face::Regular, "1,234.56", 10.0);
        assert!(a > 20.0 && a < 60.0, "{a}");
        assert!((fonts.width(Face::Regular, "1,234.56", 20.0) - 2.0 * a).abs() < 0.01);
        assert!(fonts.width(Face::Regular, "应付金额", 10.0) > 39.0);
    }
}
