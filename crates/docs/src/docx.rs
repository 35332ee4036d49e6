//! DOCX output for drafted documents (the rare case one must be edited in Word): the same
//! content as the PDF, from the same data (the keys of `templates/lib/drafted.typ`), with the
//! GB/T 9704 page setup — A4, top margin 37 mm, binding margin 28 mm, text block 156 × 225 mm,
//! body 3号 仿宋_GB2312 on a fixed 28.95 pt line pitch (22 lines), title 2号 小标宋, headings
//! 一、 黑体 and （一） 楷体, red organ name, page numbers "— 1 —". Word substitutes fonts the
//! machine lacks; the PDF stays the document of record.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, BorderType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum,
    Paragraph, Run, RunFonts, SpecialIndentType, Table, TableBorder, TableBorderPosition,
    TableBorders, TableCell, TableRow, WidthType,
};
use serde_json::Value;

use crate::RenderError;

// Twips (1/20 pt); 1 mm = 56.69 twips.
fn mm(v: f64) -> i32 {
    (v * 1440.0 / 25.4).round() as i32
}

const FANG: &str = "仿宋_GB2312";
const TITLE: &str = "方正小标宋简体";
const HEI: &str = "黑体";
const KAI: &str = "楷体_GB2312";
const RED: &str = "FF3333";
/// 3号 = 16 pt = 32 half-points.
const SAN: usize = 32;
const ER: usize = 44;
const SI: usize = 28;
const XIAO_CHU: usize = 72;
/// 225 mm / 22 lines in twips.
const LINE_PITCH: i32 = 580;

fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(text).size(size).fonts(
        RunFonts::new()
            .east_asia(font)
            .ascii(font)
            .hi_ansi(font)
            .cs(font),
    )
}

fn exact(p: Paragraph) -> Paragraph {
    p.line_spacing(
        LineSpacing::new()
            .line(LINE_PITCH)
            .line_rule(LineSpacingType::Exact)
            .before(0)
            .after(0),
    )
}

fn body_para(text: &str, font: &str) -> Paragraph {
    exact(
        Paragraph::new()
            .add_run(run(text, font, SAN))
            .align(AlignmentType::Both)
            .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None),
    )
}

fn centered(run: Run) -> Paragraph {
    exact(Paragraph::new().add_run(run).align(AlignmentType::Center))
}

fn blank() -> Paragraph {
    exact(Paragraph::new())
}

fn s<'a>(d: &'a Value, key: &str) -> &'a str {
    d.get(key).and_then(Value::as_str).unwrap_or("")
}

fn cn_date(iso: &str) -> String {
    let p: Vec<u32> = iso.split('-').filter_map(|x| x.parse().ok()).collect();
    match p.as_slice() {
        [y, m, d] => format!("{y}年{m}月{d}日"),
        _ => iso.to_string(),
    }
}

fn is_heading_one(l: &str) -> bool {
    let head: String = l.chars().take_while(|c| *c != '、').collect();
    l.contains('、')
        && !head.is_empty()
        && head.chars().all(|c| "一二三四五六七八九十".contains(c))
        && l.chars().count() <= 30
}

fn is_heading_two(l: &str) -> bool {
    l.starts_with('（')
        && l.chars()
            .nth(1)
            .is_some_and(|c| "一二三四五六七八九十".contains(c))
        && l.chars().count() <= 16
}

fn body_paragraphs(body: &str) -> Vec<Paragraph> {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let font = if is_heading_one(l) {
                HEI
            } else if is_heading_two(l) {
                KAI
            } else {
                FANG
            };
            body_para(l, font)
        })
        .collect()
}

fn no_borders() -> TableBorders {
    TableBorders::new()
        .clear(TableBorderPosition::Top)
        .clear(TableBorderPosition::Bottom)
        .clear(TableBorderPosition::Left)
        .clear(TableBorderPosition::Right)
        .clear(TableBorderPosition::InsideH)
        .clear(TableBorderPosition::InsideV)
}

/// A red rule across the text block (a paragraph with a bottom border would need more API; a
/// one-row table with only its top border drawn does the same in Word).
fn red_rule(size: usize) -> Table {
    Table::new(vec![TableRow::new(vec![
        TableCell::new().add_paragraph(Paragraph::new()),
    ])])
    .width(mm(156.0) as usize, WidthType::Dxa)
    .set_borders(
        no_borders().set(
            TableBorder::new(TableBorderPosition::Top)
                .size(size)
                .color(RED)
                .border_type(BorderType::Single),
        ),
    )
}

/// Builds the DOCX of a drafted document from its template data.
pub fn render_docx(d: &Value) -> Result<Vec<u8>, RenderError> {
    if !d.is_object() {
        return Err(RenderError::InvalidData("数据必须是 JSON 对象".to_owned()));
    }
    let layout = s(d, "layout");
    let bureau = s(d, "bureau_name");
    let doc_no = s(d, "doc_no");
    let dated = cn_date(s(d, "issued_on"));
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(Run::new().add_text("— ").size(SI))
            .add_page_num(PageNum::new())
            .add_run(Run::new().add_text(" —").size(SI)),
    );
    let mut doc = Docx::new()
        .page_size(mm(210.0) as u32, mm(297.0) as u32)
        .page_margin(
            PageMargin::new()
                .top(mm(37.0))
                .left(mm(28.0))
                .right(mm(26.0))
                .bottom(mm(35.0))
                .footer(mm(28.0))
                .header(mm(15.0)),
        )
        .footer(footer);

    if s(d, "draft") == "true" || d.get("draft").and_then(Value::as_bool) == Some(true) {
        doc = doc.add_paragraph(centered(run("（草稿）", FANG, SAN).color("999999")));
    }
    let title = s(d, "title");
    match layout {
        "wenjian" | "xinhan" => {
            let organ = if layout == "wenjian" {
                format!("{bureau}文件")
            } else {
                bureau.to_string()
            };
            doc = doc.add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_run(run(&organ, TITLE, XIAO_CHU).color(RED)),
            );
            if layout == "xinhan" {
                doc = doc.add_table(red_rule(24));
                if !doc_no.is_empty() {
                    doc = doc.add_paragraph(exact(
                        Paragraph::new()
                            .align(AlignmentType::Right)
                            .add_run(run(doc_no, FANG, SAN)),
                    ));
                }
            } else {
                doc = doc.add_paragraph(blank());
                if !doc_no.is_empty() {
                    doc = doc.add_paragraph(centered(run(doc_no, FANG, SAN)));
                }
                doc = doc.add_table(red_rule(12));
            }
        }
        "briefing" => {
            doc = doc
                .add_paragraph(centered(run(title, TITLE, XIAO_CHU).color(RED)))
                .add_paragraph(centered(run(
                    if doc_no.is_empty() {
                        "第　期"
                    } else {
                        doc_no
                    },
                    FANG,
                    SAN,
                )))
                .add_paragraph(exact(Paragraph::new().align(AlignmentType::Both).add_run(
                    run(&format!("{bureau}编　　　　　　　　{dated}"), FANG, SAN),
                )))
                .add_table(red_rule(24));
        }
        _ => {
            doc = doc
                .add_paragraph(centered(run(bureau, TITLE, ER).color(RED)))
                .add_paragraph(centered(run(title, TITLE, ER)));
            if d.get("numbered").and_then(Value::as_bool) == Some(true) {
                doc = doc.add_paragraph(exact(
                    Paragraph::new().align(AlignmentType::Right).add_run(run(
                        if doc_no.is_empty() {
                            "编号：签发后生成"
                        } else {
                            doc_no
                        },
                        FANG,
                        SAN,
                    )),
                ));
            }
        }
    }

    if layout == "form" {
        let cell =
            |t: &str| TableCell::new().add_paragraph(Paragraph::new().add_run(run(t, FANG, SI)));
        let mut rows = vec![TableRow::new(vec![cell("标　　题"), cell(s(d, "subject"))])];
        for r in d
            .get("rows")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let l = r.get(0).and_then(Value::as_str).unwrap_or("");
            let v = r.get(1).and_then(Value::as_str).unwrap_or("");
            rows.push(TableRow::new(vec![cell(l), cell(v)]));
        }
        let mut content = TableCell::new();
        if !s(d, "recipient").is_empty() {
            content = content.add_paragraph(Paragraph::new().add_run(run(
                &format!("{}：", s(d, "recipient")),
                FANG,
                SI,
            )));
        }
        for l in s(d, "body").lines().filter(|l| !l.trim().is_empty()) {
            content =
                content.add_paragraph(Paragraph::new().add_run(run(l.trim(), FANG, SI)).indent(
                    None,
                    Some(SpecialIndentType::FirstLine(560)),
                    None,
                    None,
                ));
        }
        content = content.add_paragraph(Paragraph::new().align(AlignmentType::Right).add_run(run(
            &format!("经办人：{}　　{dated}", s(d, "officer")),
            FANG,
            SI,
        )));
        rows.push(TableRow::new(vec![cell("内　　容"), content]));
        for a in d
            .get("approvals")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut c = TableCell::new();
            for _ in 0..4 {
                c = c.add_paragraph(Paragraph::new());
            }
            rows.push(TableRow::new(vec![cell(a.as_str().unwrap_or("")), c]));
        }
        doc = doc.add_table(
            Table::new(rows)
                .set_grid(vec![mm(28.0) as usize, mm(128.0) as usize])
                .width(mm(156.0) as usize, WidthType::Dxa),
        );
    } else {
        doc = doc
            .add_paragraph(blank())
            .add_paragraph(Paragraph::new().align(AlignmentType::Center).add_run(run(
                s(d, "subject"),
                TITLE,
                ER,
            )))
            .add_paragraph(blank());
        if !s(d, "recipient").is_empty() {
            doc = doc.add_paragraph(exact(Paragraph::new().add_run(run(
                &format!("{}：", s(d, "recipient")),
                FANG,
                SAN,
            ))));
        }
        for p in body_paragraphs(s(d, "body")) {
            doc = doc.add_paragraph(p);
        }
        if layout != "briefing" {
            doc = doc
                .add_paragraph(blank())
                .add_paragraph(exact(
                    Paragraph::new()
                        .align(AlignmentType::Right)
                        .indent(None, None, Some(1280), None)
                        .add_run(run(bureau, FANG, SAN)),
                ))
                .add_paragraph(exact(
                    Paragraph::new()
                        .align(AlignmentType::Right)
                        .indent(None, None, Some(1280), None)
                        .add_run(run(&dated, FANG, SAN)),
                ));
        }
        let cs = s(d, "chaosong");
        if !cs.is_empty() {
            let label = if layout == "briefing" {
                "报送"
            } else {
                "抄送"
            };
            doc = doc
                .add_paragraph(blank())
                .add_paragraph(Paragraph::new().add_run(run(
                    &format!("{label}：{cs}。"),
                    FANG,
                    SI,
                )));
        }
        if layout == "wenjian" || layout == "briefing" {
            let printer = if layout == "wenjian" {
                format!("{bureau}办公室")
            } else {
                bureau.to_string()
            };
            doc = doc.add_paragraph(Paragraph::new().add_run(run(
                &format!("{printer}　　　　{dated}印发"),
                FANG,
                SI,
            )));
        }
    }

    let mut out = Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| RenderError::Pdf(format!("DOCX 生成失败：{e}")))?;
    Ok(out.into_inner())
}
