//! Page layout: an A4 canvas that flows blocks down the page, breaks pages,
//! wraps text to a width, and draws ruled tables whose header repeats on
//! every page they continue on. Coordinates here are points from the page's
//! top-left corner; [`Canvas`] converts to PDF's bottom-left origin.

use printpdf::{Color, Line, LinePoint, Op, PdfFontHandle, Point, Pt, Rect, Rgb, TextItem, TextMatrix};

use super::fonts::{Face, Fonts};

/// A4 portrait, in points.
pub const PAGE_WIDTH: f32 = 595.276;
pub const PAGE_HEIGHT: f32 = 841.89;
pub const MARGIN_X: f32 = 42.0;
pub const MARGIN_TOP: f32 = 40.0;
/// Room kept for the footer (page number, statement number).
pub const MARGIN_BOTTOM: f32 = 48.0;
pub const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;

/// Colours, as sRGB (the document's output intent).
pub const INK: (f32, f32, f32) = (0.10, 0.10, 0.12);
pub const MUTED: (f32, f32, f32) = (0.38, 0.40, 0.44);
pub const RULE: (f32, f32, f32) = (0.55, 0.57, 0.60);
pub const SHADE: (f32, f32, f32) = (0.93, 0.94, 0.96);
pub const ALERT: (f32, f32, f32) = (0.70, 0.10, 0.10);
pub const WATERMARK: (f32, f32, f32) = (0.85, 0.35, 0.35);

/// Space inside each table cell, on every side.
const CELL_PAD: f32 = 3.5;

/// How a run of text is set.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub face: Face,
    pub size: f32,
    pub color: (f32, f32, f32),
}

impl Style {
    pub const fn new(face: Face, size: f32) -> Style {
        Style { face, size, color: INK }
    }

    pub const fn color(self, color: (f32, f32, f32)) -> Style {
        Style { color, ..self }
    }

    /// Baseline-to-baseline distance.
    pub fn leading(self) -> f32 {
        self.size * 1.32
    }
}

/// How a table column places its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    /// Right-aligned so that the decimal separators line up: the part after
    /// the separator is padded to the column's widest.
    Decimal,
}

/// A column: header text, width in points, alignment.
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub width: f32,
    pub align: Align,
}

/// How a table row is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Body,
    /// A group heading spanning the table (e.g. a market), shaded.
    Group,
    /// A note spanning the table under the row before it, muted.
    Note,
    /// A total: bold, ruled above.
    Total,
}

#[derive(Debug, Clone)]
pub struct TableRow {
    pub kind: RowKind,
    pub cells: Vec<String>,
    /// Set the row's cells in this colour (e.g. a missed KPI's status).
    pub highlight: Option<usize>,
}

impl TableRow {
    pub fn body(cells: Vec<String>) -> TableRow {
        TableRow { kind: RowKind::Body, cells, highlight: None }
    }
    pub fn spanning(kind: RowKind, text: String) -> TableRow {
        TableRow { kind, cells: vec![text], highlight: None }
    }
}

/// A ruled table.
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<TableRow>,
    pub style: Style,
}

/// Pages of drawing operations and the flow position on the current page.
pub struct Canvas<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    /// Distance from the page top to the next block's top.
    y: f32,
    decimal_separator: char,
    /// The font, size and colour in force when the current page's operations end
    /// with a text object (`BT … ET`) that the next text may join; `None` otherwise.
    open_text: Option<TextState>,
}

/// What a text object has set so far: the next text joining it sets only what differs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TextState {
    face: Face,
    size: f32,
    color: (f32, f32, f32),
}

impl<'f> Canvas<'f> {
    pub fn new(fonts: &'f Fonts, decimal_separator: char) -> Canvas<'f> {
        Canvas { fonts, pages: vec![Vec::new()], y: MARGIN_TOP, decimal_separator, open_text: None }
    }

    pub fn fonts(&self) -> &Fonts {
        self.fonts
    }

    pub fn y(&self) -> f32 {
        self.y
    }

    /// Moves the flow down by `dy` points.
    pub fn advance(&mut self, dy: f32) {
        self.y += dy;
    }

    /// Room left on the current page.
    pub fn room(&self) -> f32 {
        PAGE_HEIGHT - MARGIN_BOTTOM - self.y
    }

    /// Starts a new page and puts the flow at its top.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
        self.open_text = None;
    }

    /// Breaks the page unless `height` points still fit. Returns whether it broke.
    pub fn ensure(&mut self, height: f32) -> bool {
        if height > self.room() && self.y > MARGIN_TOP {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// The finished pages.
    pub fn into_pages(self) -> Vec<Vec<Op>> {
        self.pages
    }

    /// The current page's operations, for drawing that is not text: whatever is
    /// appended closes the page's last text object for good.
    fn ops(&mut self) -> &mut Vec<Op> {
        self.open_text = None;
        self.page_ops()
    }

    /// The current page's operations, leaving [`Canvas::open_text`] as it is.
    fn page_ops(&mut self) -> &mut Vec<Op> {
        // `pages` is never empty: `new` starts with one page.
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Sets `text` with its baseline `baseline` points below the page top,
    /// starting at `x` (left edge).
    ///
    /// Consecutive texts share one text object (`BT … ET`): each is placed by an
    /// absolute text matrix at the same point a text object of its own would
    /// place it, and the font and colour are set only when they change, so the
    /// page looks the same with far fewer operations.
    pub fn text_at(&mut self, x: f32, baseline: f32, text: &str, style: Style) {
        let state = TextState { face: style.face, size: style.size, color: style.color };
        let open = self.open_text.take();
        let id = &self.fonts.face(style.face).id;
        let ops = self.page_ops();
        // The page ends with this canvas's `ET` when `open` is set: reopen that text object.
        let joined = match open {
            Some(previous) if ops.last() == Some(&Op::EndTextSection) => {
                ops.pop();
                Some(previous)
            }
            _ => {
                ops.push(Op::StartTextSection);
                None
            }
        };
        if joined.is_none_or(|s| s.face != state.face || s.size != state.size) {
            ops.push(Op::SetFont { font: PdfFontHandle::External(id.clone()), size: Pt(style.size) });
        }
        if joined.is_none_or(|s| s.color != state.color) {
            ops.push(Op::SetFillColor { col: rgb(style.color) });
        }
        let (x, y) = (Pt(x), Pt(PAGE_HEIGHT - baseline));
        ops.push(Op::SetTextMatrix { matrix: TextMatrix::Translate(x, y) });
        ops.push(Op::ShowText { items: vec![TextItem::Text(text.to_string())] });
        ops.push(Op::EndTextSection);
        self.open_text = Some(state);
    }

    /// Sets `text` so that it ends at `right`.
    pub fn text_right(&mut self, right: f32, baseline: f32, text: &str, style: Style) {
        let w = self.fonts.width(style.face, text, style.size);
        self.text_at(right - w, baseline, text, style);
    }

    /// A horizontal rule `y` points below the page top.
    pub fn rule(&mut self, x1: f32, x2: f32, y: f32, thickness: f32, color: (f32, f32, f32)) {
        let y = PAGE_HEIGHT - y;
        let line = Line {
            points: vec![
                LinePoint { p: Point { x: Pt(x1), y: Pt(y) }, bezier: false },
                LinePoint { p: Point { x: Pt(x2), y: Pt(y) }, bezier: false },
            ],
            is_closed: false,
        };
        self.ops().extend([
            Op::SaveGraphicsState,
            Op::SetOutlineColor { col: rgb(color) },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine { line },
            Op::RestoreGraphicsState,
        ]);
    }

    /// A filled rectangle whose top-left corner is `top` below the page top.
    pub fn fill(&mut self, x: f32, top: f32, width: f32, height: f32, color: (f32, f32, f32)) {
        let rect = Rect {
            x: Pt(x),
            y: Pt(PAGE_HEIGHT - top - height),
            width: Pt(width),
            height: Pt(height),
            mode: Some(printpdf::PaintMode::Fill),
            winding_order: None,
        };
        self.ops().extend([
            Op::SaveGraphicsState,
            Op::SetFillColor { col: rgb(color) },
            Op::DrawRectangle { rectangle: rect },
            Op::RestoreGraphicsState,
        ]);
    }

    /// A paragraph wrapped to `width` at the flow position, moving the flow
    /// below it. Breaks the page between lines when needed.
    pub fn paragraph(&mut self, x: f32, width: f32, text: &str, style: Style) {
        for line in wrap(self.fonts, text, style, width) {
            self.ensure(style.leading());
            let baseline = self.y + style.size;
            self.text_at(x, baseline, &line, style);
            self.y += style.leading();
        }
    }

    /// A section heading; keeps `keep_with` points of what follows on the
    /// same page so a heading is never left alone at a page's foot.
    pub fn heading(&mut self, text: &str, keep_with: f32) {
        let style = Style::new(Face::Bold, 11.0);
        self.ensure(style.leading() + 8.0 + keep_with);
        self.y += 6.0;
        let baseline = self.y + style.size;
        self.text_at(MARGIN_X, baseline, text, style);
        self.y += style.leading() + 2.0;
    }

    /// Draws `table` at the flow position. When it breaks across pages,
    /// `continued` is set above the repeated header. A header is never left
    /// without at least one row under it.
    pub fn table(&mut self, table: &Table, continued: &str) {
        let st = table.style;
        let pad = CELL_PAD;
        let header_style = Style { face: Face::Bold, ..st };
        let frac_widths = self.fraction_widths(table);
        let header_lines: Vec<Vec<String>> =
            table.columns.iter().map(|c| wrap(self.fonts, &c.header, header_style, c.width - 2.0 * pad)).collect();
        let header_height = header_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * st.leading() + 2.0 * pad;

        let first_row_height = table.rows.first().map_or(0.0, |r| self.row_height(table, r, pad));
        self.ensure(header_height + first_row_height);
        self.table_header(table, &header_lines, header_style, pad);
        for (index, row) in table.rows.iter().enumerate() {
            let height = self.row_height(table, row, pad);
            // A group heading keeps its first row with it, and a row keeps
            // the note that explains it.
            let next = table.rows.get(index + 1);
            let keep = match next {
                Some(r) if row.kind == RowKind::Group || r.kind == RowKind::Note => self.row_height(table, r, pad),
                _ => 0.0,
            };
            if height + keep > self.room() {
                self.new_page();
                let cont_style = Style::new(Face::Bold, 9.0).color(MUTED);
                self.text_at(MARGIN_X, self.y + cont_style.size, continued, cont_style);
                self.y += cont_style.leading() + 2.0;
                self.table_header(table, &header_lines, header_style, pad);
            }
            self.table_row(table, row, &frac_widths, pad);
        }
        self.rule(MARGIN_X, MARGIN_X + table_width(table), self.y, 0.6, RULE);
        self.y += 4.0;
    }

    fn table_header(&mut self, table: &Table, lines: &[Vec<String>], style: Style, pad: f32) {
        let height = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * style.leading() + 2.0 * pad;
        let top = self.y;
        self.fill(MARGIN_X, top, table_width(table), height, SHADE);
        self.rule(MARGIN_X, MARGIN_X + table_width(table), top, 0.8, RULE);
        self.rule(MARGIN_X, MARGIN_X + table_width(table), top + height, 0.8, RULE);
        let mut x = MARGIN_X;
        for (column, text_lines) in table.columns.iter().zip(lines) {
            for (i, line) in text_lines.iter().enumerate() {
                let baseline = top + pad + style.size + i as f32 * style.leading();
                match column.align {
                    Align::Left => self.text_at(x + pad, baseline, line, style),
                    Align::Right | Align::Decimal => self.text_right(x + column.width - pad, baseline, line, style),
                }
            }
            x += column.width;
        }
        self.y += height;
    }

    fn row_height(&self, table: &Table, row: &TableRow, pad: f32) -> f32 {
        let st = row_style(table, row);
        let lines = match row.kind {
            RowKind::Group | RowKind::Note => {
                line_count(self.fonts, row.cells.first().map_or("", String::as_str), st, table_width(table) - 2.0 * pad)
            }
            _ => table
                .columns
                .iter()
                .zip(&row.cells)
                .map(|(c, text)| line_count(self.fonts, text, st, c.width - 2.0 * pad))
                .max()
                .unwrap_or(1),
        };
        lines.max(1) as f32 * st.leading() + 2.0 * pad
    }

    fn table_row(&mut self, table: &Table, row: &TableRow, frac_widths: &[f32], pad: f32) {
        let st = row_style(table, row);
        let height = self.row_height(table, row, pad);
        let top = self.y;
        let width = table_width(table);
        match row.kind {
            RowKind::Group => self.fill(MARGIN_X, top, width, height, SHADE),
            RowKind::Total => self.rule(MARGIN_X, MARGIN_X + width, top, 0.6, RULE),
            _ => {}
        }
        if matches!(row.kind, RowKind::Group | RowKind::Note) {
            let indent = if row.kind == RowKind::Note { 10.0 } else { 0.0 };
            let text = row.cells.first().map_or("", String::as_str);
            for (i, line) in wrap(self.fonts, text, st, width - 2.0 * pad - indent).iter().enumerate() {
                self.text_at(MARGIN_X + pad + indent, top + pad + st.size + i as f32 * st.leading(), line, st);
            }
        } else {
            let mut x = MARGIN_X;
            for (index, (column, text)) in table.columns.iter().zip(&row.cells).enumerate() {
                let cell_style = if row.highlight == Some(index) { st.color(ALERT) } else { st };
                let inner = column.width - 2.0 * pad;
                for (i, line) in wrap(self.fonts, text, cell_style, inner).iter().enumerate() {
                    let baseline = top + pad + st.size + i as f32 * st.leading();
                    match column.align {
                        Align::Left => self.text_at(x + pad, baseline, line, cell_style),
                        Align::Right => self.text_right(x + column.width - pad, baseline, line, cell_style),
                        Align::Decimal => {
                            let (_, frac) = split_decimal(line, self.decimal_separator);
                            let frac_w = self.fonts.width(cell_style.face, frac, cell_style.size);
                            let right = x + column.width - pad - (frac_widths[index] - frac_w);
                            self.text_right(right, baseline, line, cell_style);
                        }
                    }
                }
                x += column.width;
            }
        }
        if row.kind == RowKind::Body {
            self.rule(MARGIN_X, MARGIN_X + width, top + height, 0.25, SHADE);
        }
        self.y += height;
    }

    /// For each decimal-aligned column, the widest "separator and after"
    /// part among its cells (0 for other columns).
    fn fraction_widths(&self, table: &Table) -> Vec<f32> {
        table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if c.align != Align::Decimal {
                    return 0.0;
                }
                table
                    .rows
                    .iter()
                    .filter(|r| matches!(r.kind, RowKind::Body | RowKind::Total))
                    .filter_map(|r| r.cells.get(i))
                    .map(|text| {
                        let st = if table.rows.iter().any(|r| r.kind == RowKind::Total) {
                            Style { face: Face::Bold, ..table.style }
                        } else {
                            table.style
                        };
                        let (_, frac) = split_decimal(text, self.decimal_separator);
                        self.fonts.width(st.face, frac, st.size)
                    })
                    .fold(0.0, f32::max)
            })
            .collect()
    }

    /// A large diagonal word across the page (drafts), drawn in outline over
    /// the content so it cannot be cropped away or hidden by a shaded box,
    /// while the figures under it stay legible.
    pub fn watermark(fonts: &Fonts, word: &str) -> Vec<Op> {
        // 110 pt, or smaller so that a long text fits 85 % of the diagonal.
        let diagonal = (PAGE_WIDTH * PAGE_WIDTH + PAGE_HEIGHT * PAGE_HEIGHT).sqrt();
        let at_one_point = fonts.width(Face::Bold, word, 1.0);
        let size = if at_one_point > 0.0 { (diagonal * 0.85 / at_one_point).min(110.0) } else { 110.0 };
        let style = Style::new(Face::Bold, size).color(WATERMARK);
        let w = fonts.width(style.face, word, style.size);
        // Rotate 45° about the page centre: the word's centre (w/2, size/3 in
        // text space) lands on the centre of the page.
        let (cos, sin) = (std::f32::consts::FRAC_1_SQRT_2, std::f32::consts::FRAC_1_SQRT_2);
        let (half_w, mid_h) = (w / 2.0, style.size / 3.0);
        let x = PAGE_WIDTH / 2.0 - (half_w * cos - mid_h * sin);
        let y = PAGE_HEIGHT / 2.0 - (half_w * sin + mid_h * cos);
        vec![
            Op::SaveGraphicsState,
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::External(fonts.face(style.face).id.clone()), size: Pt(style.size) },
            Op::SetTextRenderingMode { mode: printpdf::TextRenderingMode::Stroke },
            Op::SetOutlineColor { col: rgb(style.color) },
            Op::SetOutlineThickness { pt: Pt(1.2) },
            Op::SetTextMatrix { matrix: TextMatrix::Raw([cos, sin, -sin, cos, x, y]) },
            Op::ShowText { items: vec![TextItem::Text(word.to_string())] },
            Op::EndTextSection,
            Op::RestoreGraphicsState,
        ]
    }
}

fn rgb((r, g, b): (f32, f32, f32)) -> Color {
    Color::Rgb(Rgb { r, g, b, icc_profile: None })
}

fn row_style(table: &Table, row: &TableRow) -> Style {
    match row.kind {
        RowKind::Body => table.style,
        RowKind::Group | RowKind::Total => Style { face: Face::Bold, ..table.style },
        RowKind::Note => Style { size: table.style.size - 0.5, ..table.style }.color(MUTED),
    }
}

pub fn table_width(table: &Table) -> f32 {
    table.columns.iter().map(|c| c.width).sum()
}

/// `text` split at its last decimal separator: (integer part, separator and
/// after). Text without one is all integer part.
fn split_decimal(text: &str, separator: char) -> (&str, &str) {
    match text.rfind(separator) {
        Some(i) if text[..i].chars().last().is_some_and(|c| c.is_ascii_digit()) => text.split_at(i),
        _ => (text, ""),
    }
}

/// Whether a line may break before `c` (CJK ideographs and full-width forms
/// break anywhere).
fn breaks_anywhere(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// How many lines [`wrap`] makes of `text`, without making them when it fits on one.
fn line_count(fonts: &Fonts, text: &str, style: Style, width: f32) -> usize {
    if !text.contains('\n') && fonts.width(style.face, text, style.size) <= width {
        1
    } else {
        wrap(fonts, text, style, width).len()
    }
}

/// `text` broken into lines no wider than `width`: at spaces, after `/`,
/// `-` and `_`, around CJK characters, and at explicit newlines; a word
/// wider than the line is broken between characters.
pub fn wrap(fonts: &Fonts, text: &str, style: Style, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        wrap_paragraph(fonts, paragraph, style, width, &mut lines);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn wrap_paragraph(fonts: &Fonts, text: &str, style: Style, width: f32, lines: &mut Vec<String>) {
    let cw = |c: char| fonts.char_width(style.face, c, style.size);
    if fonts.width(style.face, text, style.size) <= width {
        lines.push(text.to_string());
        return;
    }
    let mut line = String::new();
    let mut line_width = 0.0;
    // Byte index in `line` just after the last place it may break.
    let mut last_break: Option<usize> = None;
    for c in text.chars() {
        if breaks_anywhere(c) && !line.is_empty() {
            last_break = Some(line.len());
        }
        line.push(c);
        line_width += cw(c);
        if line_width > width {
            let cut = match last_break {
                Some(i) if i > 0 => i,
                // No break opportunity: break before this character.
                _ => line.len() - c.len_utf8(),
            };
            if cut == 0 {
                // A single character wider than the line: keep it alone.
                lines.push(std::mem::take(&mut line));
                line_width = 0.0;
                last_break = None;
                continue;
            }
            let rest = line.split_off(cut);
            lines.push(line.trim_end().to_string());
            line = rest.trim_start().to_string();
            line_width = line.chars().map(cw).sum();
            last_break = None;
        }
        if c == ' ' || c == '/' || c == '-' || c == '_' || breaks_anywhere(c) {
            last_break = Some(line.len());
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> &'static Fonts {
        Fonts::builtin().unwrap()
    }

    #[test]
    fn short_text_is_one_line() {
        let st = Style::new(Face::Regular, 8.0);
        assert_eq!(wrap(fonts(), "Amount due", st, 200.0), vec!["Amount due"]);
    }

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let st = Style::new(Face::Regular, 8.0);
        let text = "Item principal of orders dated in the period, excluding shipping and tax, before refunds.";
        let lines = wrap(fonts(), text, st, 120.0);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(fonts().width(st.face, l, st.size) <= 120.0, "{l}");
        }
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn chinese_wraps_between_characters() {
        let st = Style::new(Face::Regular, 10.0);
        let text = "本期订单的商品本金，不含运费及税费，未扣除退款；发货前取消的订单一律不计。";
        let lines = wrap(fonts(), text, st, 100.0);
        assert!(lines.len() >= 3);
        assert_eq!(lines.concat(), text);
        for l in &lines {
            assert!(fonts().width(st.face, l, st.size) <= 100.0);
        }
    }

    #[test]
    fn a_long_path_breaks_after_slashes() {
        let st = Style::new(Face::Regular, 7.0);
        let lines = wrap(fonts(), "exports/2026-10/acme-home/Settlement_17732218302_20261008-20261022.txt", st, 90.0);
        assert!(lines.len() >= 2);
        assert!(lines[0].ends_with('/') || lines[0].ends_with('-') || lines[0].ends_with('_'), "{lines:?}");
    }

    #[test]
    fn explicit_newlines_start_new_lines() {
        let st = Style::new(Face::Regular, 8.0);
        assert_eq!(wrap(fonts(), "a\nb", st, 100.0), vec!["a", "b"]);
    }

    #[test]
    fn decimal_split_uses_the_locale_separator() {
        assert_eq!(split_decimal("1,234.56", '.'), ("1,234", ".56"));
        assert_eq!(split_decimal("1.234,56", ','), ("1.234", ",56"));
        assert_eq!(split_decimal("2.07%", '.'), ("2", ".07%"));
        assert_eq!(split_decimal("300", '.'), ("300", ""));
        assert_eq!(split_decimal("—", '.'), ("—", ""));
    }

    fn table(rows: usize) -> Table {
        Table {
            columns: vec![
                Column { header: "Item".into(), width: 300.0, align: Align::Left },
                Column { header: "Amount".into(), width: 211.0, align: Align::Decimal },
            ],
            rows: (0..rows).map(|i| TableRow::body(vec![format!("line {i}"), format!("{i}.00")])).collect(),
            style: Style::new(Face::Regular, 8.0),
        }
    }

    fn count_text(page: &[Op], needle: &str) -> usize {
        page.iter()
            .filter(|op| matches!(op, Op::ShowText { items } if items.iter().any(|i| matches!(i, TextItem::Text(t) if t == needle))))
            .count()
    }

    #[test]
    fn a_long_table_repeats_its_header_on_every_page() {
        let mut canvas = Canvas::new(fonts(), '.');
        canvas.table(&table(600), "Items (continued)");
        let pages = canvas.into_pages();
        assert!(pages.len() >= 8, "{} pages", pages.len());
        for (i, page) in pages.iter().enumerate() {
            assert_eq!(count_text(page, "Amount"), 1, "page {}", i + 1);
            assert_eq!(count_text(page, "Items (continued)"), usize::from(i > 0), "page {}", i + 1);
        }
        let rows: usize =
            pages.iter().map(|p| (0..600).filter(|i| count_text(p, &format!("line {i}")) == 1).count()).sum();
        assert_eq!(rows, 600);
    }

    #[test]
    fn a_header_is_never_left_alone_at_a_page_foot() {
        let mut canvas = Canvas::new(fonts(), '.');
        canvas.advance(PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM - 20.0);
        canvas.table(&table(3), "cont.");
        let pages = canvas.into_pages();
        assert_eq!(pages.len(), 2);
        assert_eq!(count_text(&pages[0], "Amount"), 0);
        assert_eq!(count_text(&pages[1], "Amount"), 1);
    }

    #[test]
    fn a_row_and_its_note_stay_on_one_page() {
        let mut rows = Vec::new();
        for i in 0..200 {
            rows.push(TableRow::body(vec![format!("kpi {i}"), "1.00".into()]));
            rows.push(TableRow::spanning(RowKind::Note, format!("note {i}")));
        }
        let t = Table { rows, ..table(0) };
        let mut canvas = Canvas::new(fonts(), '.');
        canvas.table(&t, "cont.");
        let pages = canvas.into_pages();
        assert!(pages.len() > 2);
        for page in &pages {
            for i in 0..200 {
                assert_eq!(count_text(page, &format!("kpi {i}")), count_text(page, &format!("note {i}")), "row {i}");
            }
        }
    }

    #[test]
    fn consecutive_texts_share_a_text_object_that_other_drawing_closes() {
        let mut canvas = Canvas::new(fonts(), '.');
        let body = Style::new(Face::Regular, 8.0);
        canvas.text_at(50.0, 100.0, "a", body);
        canvas.text_at(80.0, 100.0, "b", body);
        canvas.text_at(50.0, 110.0, "c", body.color(ALERT));
        canvas.rule(50.0, 100.0, 115.0, 0.5, RULE);
        canvas.text_at(50.0, 120.0, "d", body);
        let ops = canvas.into_pages().remove(0);
        let count = |wanted: fn(&Op) -> bool| ops.iter().filter(|op| wanted(op)).count();
        assert_eq!(count(|op| matches!(op, Op::StartTextSection)), 2);
        assert_eq!(count(|op| matches!(op, Op::EndTextSection)), 2);
        assert_eq!(count(|op| matches!(op, Op::SetFont { .. })), 2, "set again only in the new text object");
        assert_eq!(count(|op| matches!(op, Op::SetFillColor { .. })), 3, "set again when it changes");
        let placed: Vec<[f32; 6]> = ops
            .iter()
            .filter_map(|op| match op {
                Op::SetTextMatrix { matrix } => Some(matrix.as_array()),
                _ => None,
            })
            .collect();
        let at = |x: f32, baseline: f32| [1.0, 0.0, 0.0, 1.0, x, PAGE_HEIGHT - baseline];
        assert_eq!(placed, vec![at(50.0, 100.0), at(80.0, 100.0), at(50.0, 110.0), at(50.0, 120.0)]);
        let rule = ops.iter().position(|op| matches!(op, Op::DrawLine { .. }));
        let first_end = ops.iter().position(|op| matches!(op, Op::EndTextSection));
        assert!(first_end < rule, "the rule is drawn outside any text object");
    }
}
