//! Excel workbooks for statistics: sheets of a title, a header and rows, each with an optional
//! native chart (rust_xlsxwriter), so the office's report upward keeps working in Excel.

use rust_xlsxwriter::{Chart, ChartType, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// A cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A fraction shown as a percentage.
    Percent(f64),
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Column,
    Bar,
    Pie,
}

/// A chart over some rows of its sheet: the categories in one column, one series per value
/// column (row indices count from the first data row, 0-based).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub title: String,
    pub kind: ChartKind,
    pub rows: std::ops::Range<usize>,
    pub category_column: u16,
    pub value_columns: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SheetSpec {
    /// The tab's name (at most 31 characters; Excel forbids `[]:*?/\`).
    pub name: String,
    pub title: String,
    /// The line under the title: the period, the bureau.
    pub subtitle: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub charts: Vec<ChartSpec>,
}

/// The first data row: title, subtitle, marking, header above it.
const FIRST_DATA_ROW: u32 = 4;

/// Writes the workbook. `marking` (内部资料 until the release is approved) heads every sheet
/// and its printed page.
pub fn render_xlsx(sheets: &[SheetSpec], marking: Option<&str>) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(16);
    let mark = Format::new().set_bold().set_font_color("#C00000");
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_background_color("#DDEBF7");
    let text = Format::new().set_border(FormatBorder::Thin);
    let number = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0");
    let percent = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0%");
    for s in sheets {
        let name: String = s
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        let ws = book.add_worksheet();
        ws.set_name(&name)?;
        ws.write_with_format(0, 0, &s.title, &title)?;
        ws.write(1, 0, &s.subtitle)?;
        if let Some(m) = marking {
            ws.write_with_format(2, 0, m, &mark)?;
            ws.set_header(format!("&C&\"-,Bold\"{m}"));
        }
        for (c, h) in s.header.iter().enumerate() {
            ws.write_with_format(3, c as u16, h, &head)?;
        }
        ws.set_column_width(0, 28)?;
        for c in 1..s.header.len().max(1) as u16 {
            ws.set_column_width(c, 12)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = FIRST_DATA_ROW + r as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) => ws.write_with_format(r, c, t, &text)?,
                    Cell::Number(n) => ws.write_with_format(r, c, *n, &number)?,
                    Cell::Percent(f) => ws.write_with_format(r, c, *f, &percent)?,
                    Cell::Empty => ws.write_blank(r, c, &text)?,
                };
            }
        }
        let mut at = FIRST_DATA_ROW;
        for spec in &s.charts {
            if spec.rows.is_empty() {
                continue;
            }
            let mut chart = Chart::new(match spec.kind {
                ChartKind::Column => ChartType::Column,
                ChartKind::Bar => ChartType::Bar,
                ChartKind::Pie => ChartType::Pie,
            });
            chart.title().set_name(&spec.title);
            let first = FIRST_DATA_ROW + spec.rows.start as u32;
            let last = FIRST_DATA_ROW + spec.rows.end as u32 - 1;
            for &col in &spec.value_columns {
                chart
                    .add_series()
                    .set_name((name.as_str(), 3, col))
                    .set_categories((
                        name.as_str(),
                        first,
                        spec.category_column,
                        last,
                        spec.category_column,
                    ))
                    .set_values((name.as_str(), first, col, last, col));
            }
            let place = s.header.len() as u16 + 1;
            ws.insert_chart(at, place, &chart)?;
            at += 16;
        }
    }
    book.save_to_buffer()
}
