//! GB/T 9704-2012 measured on the rendered PDF: the positions of the glyphs are read back from
//! the PDF's content streams (pdf-extract's `OutputDev`), for each 文件式 and 信函式 kind with a
//! body long enough to fill page 2 completely: A4; the body's text block starts 37 mm from the
//! top and 28 mm from the left and is 156 mm wide (within 1 mm); 28 characters per full line;
//! 22 lines per full page; no glyph outside the text block, also where a line ends with a
//! closing mark or starts with an opening one; the 成文日期 右空四字 with the 发文机关署名
//! centred over it.

mod common;

use std::collections::BTreeMap;

use common::{handling_form_data, notice_data, renderer, transfer_data};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};
use xinfang_domain::document::{DocumentKind, Layout, number_for};
use xinfang_domain::drafting::{DraftContext, PetitionFacts, prefill, template_data};

const MM: f64 = 72.0 / 25.4;
/// The GB/T 9704 text block on A4: 28 mm from the left edge, 156 mm wide.
const BLOCK_LEFT_MM: f64 = 28.0;
const BLOCK_RIGHT_MM: f64 = 28.0 + 156.0;
/// One character of the 28-per-line grid.
const CHAR_MM: f64 = 156.0 / 28.0;
/// How far a glyph's box may stand past the text block's edge (rounding, tracking).
const EDGE_TOLERANCE_MM: f64 = 0.3;

#[derive(Debug, Clone)]
struct Glyph {
    page: u32,
    x: f64,
    y: f64,
    size: f64,
    /// The glyph's advance (its box's width), from the font's `/W` array.
    advance: f64,
    ch: String,
}

#[derive(Default)]
struct Collector {
    page: u32,
    media: Vec<(f64, f64)>,
    glyphs: Vec<Glyph>,
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.page = page_num;
        self.media
            .push((media_box.urx - media_box.llx, media_box.ury - media_box.lly));
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        let size = font_size * (trm.m11 * trm.m22 - trm.m12 * trm.m21).abs().sqrt();
        self.glyphs.push(Glyph {
            page: self.page,
            x: trm.m31,
            y: trm.m32,
            size,
            advance: width * size,
            ch: ch.to_string(),
        });
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

impl Glyph {
    fn left_mm(&self) -> f64 {
        self.x / MM
    }
    fn right_mm(&self) -> f64 {
        (self.x + self.advance) / MM
    }
}

/// A run of glyphs on one baseline with no gap wider than a character between them (so the
/// 经办人 and the date on one row of a slip are two runs).
struct Run<'a> {
    page: u32,
    y: f64,
    glyphs: Vec<&'a Glyph>,
}

impl Run<'_> {
    fn text(&self) -> String {
        self.glyphs.iter().map(|g| g.ch.as_str()).collect()
    }
    fn left_mm(&self) -> f64 {
        self.glyphs[0].left_mm()
    }
    fn right_mm(&self) -> f64 {
        self.glyphs.last().unwrap().right_mm()
    }
    fn centre_mm(&self) -> f64 {
        (self.left_mm() + self.right_mm()) / 2.0
    }
}

/// The visible glyphs grouped into lines: by page, top to bottom, each left to right. A line
/// is the glyphs whose baselines lie within 1 pt of each other (a box's content is placed on
/// the line's baseline only to within rounding).
fn lines_of<'a>(glyphs: impl Iterator<Item = &'a Glyph>) -> Vec<Vec<&'a Glyph>> {
    let mut sorted: Vec<&Glyph> = glyphs.filter(|g| !g.ch.trim().is_empty()).collect();
    sorted.sort_by(|a, b| a.page.cmp(&b.page).then(b.y.total_cmp(&a.y)));
    let mut lines: Vec<Vec<&Glyph>> = Vec::new();
    for g in sorted {
        match lines.last_mut() {
            Some(l) if l[0].page == g.page && l[0].y - g.y < 1.0 => l.push(g),
            _ => lines.push(vec![g]),
        }
    }
    for l in &mut lines {
        l.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    lines
}

/// The runs in reading order: by page, top to bottom, left to right.
fn runs(glyphs: &[Glyph]) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    for line in lines_of(glyphs.iter()) {
        let mut run = Run {
            page: line[0].page,
            y: line[0].y,
            glyphs: Vec::new(),
        };
        for g in line {
            if let Some(prev) = run.glyphs.last()
                && g.x - (prev.x + prev.advance) > g.size
            {
                out.push(std::mem::replace(
                    &mut run,
                    Run {
                        page: g.page,
                        y: g.y,
                        glyphs: Vec::new(),
                    },
                ));
            }
            run.glyphs.push(g);
        }
        out.push(run);
    }
    out
}

/// No glyph's box stands outside `left_mm..right_mm` (the text block).
fn assert_inside_text_block(what: &str, glyphs: &[Glyph], left_mm: f64, right_mm: f64) {
    for g in glyphs.iter().filter(|g| !g.ch.trim().is_empty()) {
        assert!(
            g.right_mm() <= right_mm + EDGE_TOLERANCE_MM,
            "{what}: {:?} on page {} ends at {:.2} mm, past the text block's right edge at {right_mm} mm",
            g.ch,
            g.page,
            g.right_mm()
        );
        assert!(
            g.left_mm() >= left_mm - EDGE_TOLERANCE_MM,
            "{what}: {:?} on page {} starts at {:.2} mm, before the text block's left edge at {left_mm} mm",
            g.ch,
            g.page,
            g.left_mm()
        );
    }
}

/// The signature: the organ's name (the nearest run above the date reading `organ`) and the
/// 成文日期 (the last run reading `date`).
fn signature_runs<'a>(
    what: &str,
    glyphs: &'a [Glyph],
    organ: &str,
    date: &str,
) -> (Run<'a>, Run<'a>) {
    let mut runs = runs(glyphs);
    let d = runs
        .iter()
        .rposition(|r| r.text() == date)
        .unwrap_or_else(|| panic!("{what}: no line reads {date}"));
    let o = runs[..d]
        .iter()
        .rposition(|r| r.page == runs[d].page && r.text() == organ)
        .unwrap_or_else(|| panic!("{what}: no {organ} above the date on its page"));
    let date = runs.swap_remove(d);
    let organ = runs.swap_remove(o);
    assert!(
        organ.y - date.y < 3.0 * date.glyphs[0].size,
        "{what}: the organ's name stands right above the date"
    );
    (organ, date)
}

/// GB/T 9704 §7.3.5.1: the 成文日期 ends four characters (`char_mm`) in from the text block's
/// right edge, and the organ's name is centred over it.
fn assert_signature(
    what: &str,
    glyphs: &[Glyph],
    organ: &str,
    date: &str,
    char_mm: f64,
    right_mm: f64,
) {
    let (o, d) = signature_runs(what, glyphs, organ, date);
    let want = right_mm - 4.0 * char_mm;
    assert!(
        (d.right_mm() - want).abs() <= 1.0,
        "{what}: the date runs {:.2}–{:.2} mm; 右空四字 ends it at {want:.2} mm",
        d.left_mm(),
        d.right_mm()
    );
    assert!(
        (o.centre_mm() - d.centre_mm()).abs() <= 1.0,
        "{what}: the organ's name is centred at {:.2} mm, the date at {:.2} mm",
        o.centre_mm(),
        d.centre_mm()
    );
}

/// pdf-extract reads a CID font's `/W` array but mishandles its range form (`first last
/// width`), which typst writes for runs of equal widths: those glyphs get the default width 0,
/// and each glyph after one of them is placed a glyph's width too far left. Rewritten in the
/// list form (`first [width …]`), widths and positions come out right.
fn expand_cid_widths(doc: &mut pdf_extract::Document) {
    use pdf_extract::Object;
    for obj in doc.objects.values_mut() {
        let Object::Dictionary(dict) = obj else {
            continue;
        };
        let Ok(Object::Array(w)) = dict.get(b"W") else {
            continue;
        };
        let mut list = Vec::new();
        let mut i = 0;
        while i < w.len() {
            match (&w[i], w.get(i + 1), w.get(i + 2)) {
                (first, Some(Object::Array(widths)), _) => {
                    list.push(first.clone());
                    list.push(Object::Array(widths.clone()));
                    i += 2;
                }
                (Object::Integer(first), Some(Object::Integer(last)), Some(width)) => {
                    list.push(Object::Integer(*first));
                    list.push(Object::Array(vec![
                        width.clone();
                        usize::try_from(last - first + 1)
                            .unwrap()
                    ]));
                    i += 3;
                }
                other => panic!("unexpected /W entry {other:?}"),
            }
        }
        dict.set("W", Object::Array(list));
    }
}

/// The glyphs of a PDF with their positions, and the pages' sizes.
fn glyphs(pdf: &[u8]) -> Collector {
    let mut doc = pdf_extract::Document::load_mem(pdf).unwrap();
    expand_cid_widths(&mut doc);
    let mut c = Collector::default();
    pdf_extract::output_doc(&doc, &mut c).unwrap();
    c
}

fn long_context() -> DraftContext {
    DraftContext {
        bureau_name: "阜康市信访局".into(),
        today: "2026-11-27".into(),
        officer: "李明".into(),
        petitions: vec![PetitionFacts {
            petition_no: "F2026-000031".into(),
            petitioner: "马建国".into(),
            registered_on: "2026-11-20".into(),
            summary: "反映城关镇幸福小区冬季供暖温度不达标".into(),
            ..Default::default()
        }],
        unit: Some("城关镇人民政府".into()),
        due_on: Some("2026-12-27".into()),
        ..Default::default()
    }
}

fn measure(kind: DocumentKind) {
    let ctx = long_context();
    let mut fields: BTreeMap<String, String> = prefill(kind, &ctx);
    // Twenty-five long paragraphs of plain body text: page 2 is a full page of body lines.
    let para = "经调查核实，该小区供热管网老化，二次网水力失调，末端住户室温长期偏低，供热公司已制定改造方案并承诺限期完成整改，街道办事处将跟踪督促落实到位。";
    let para = format!("{para}{para}");
    let mut body = marks_at_line_ends();
    body.extend(std::iter::repeat_n(para, 25));
    fields.insert("body".into(), body.join("\n"));
    let no = number_for("阜信", kind, 2026, 12);
    let data = template_data(kind, &ctx, &fields, no.as_deref(), "2026-11-27", false);
    let pdf = renderer().render(kind.as_str(), &data).unwrap().pdf;
    let c = glyphs(&pdf);

    // Page size: A4.
    assert!(c.media.len() >= 3, "{kind:?}: the long body runs to page 3");
    for (w, h) in &c.media {
        assert!(
            (w - 210.0 * MM).abs() < MM && (h - 297.0 * MM).abs() < MM,
            "{kind:?}: {w}×{h}"
        );
    }
    let page_h = c.media[1].1;

    // Body glyphs (3号 = 16 pt), in lines.
    let all_lines = lines_of(c.glyphs.iter().filter(|g| (g.size - 16.0).abs() < 0.5));
    // Page 2 is a full page of body lines.
    let lines: Vec<&Vec<&Glyph>> = all_lines.iter().filter(|l| l[0].page == 2).collect();
    assert_eq!(lines.len(), 22, "{kind:?}: 22 lines on a full page");

    // Line pitch: 225 mm / 22.
    let baselines: Vec<f64> = lines.iter().map(|l| l[0].y).collect();
    let pitch = (baselines[0] - baselines[21]) / 21.0;
    assert!(
        (pitch - 225.0 * MM / 22.0).abs() < 0.05,
        "{kind:?}: pitch {pitch}"
    );

    // Top of the text block: 37 mm from the top edge (the line box's top is 0.8 em above the
    // baseline); the 22 lines fill 225 mm (the last line box ends one leading short of it).
    let top_mm = (page_h - (baselines[0] + 0.8 * 16.0)) / MM;
    assert!(
        (top_mm - 37.0).abs() <= 1.0,
        "{kind:?}: top margin {top_mm:.2} mm"
    );
    let bottom_mm = (page_h - (baselines[21] - 0.2 * 16.0) + (pitch - 16.0)) / MM;
    assert!(
        (bottom_mm - 262.0).abs() <= 1.0,
        "{kind:?}: text block ends at {bottom_mm:.2} mm"
    );

    // 28 characters on every full line, on the grid: left edge 28 mm (two characters more for
    // a paragraph's first line), right edge 28 + 156 mm, also where a mark ends or starts it.
    let mut full = 0;
    for l in &all_lines {
        assert!(l.len() <= 28, "{kind:?}: {} characters on a line", l.len());
        let text: String = l.iter().map(|g| g.ch.as_str()).collect();
        // Where the line starts, in characters of the grid.
        let start = ((l[0].left_mm() - BLOCK_LEFT_MM) / CHAR_MM).round() as usize;
        let full_width = l.iter().all(|g| (g.advance - 16.0).abs() < 0.1);
        if start + l.len() == 28 && full_width {
            full += 1;
            let left = l[0].left_mm();
            let right = l.last().unwrap().right_mm();
            assert!(
                (left - (BLOCK_LEFT_MM + start as f64 * CHAR_MM)).abs() <= 1.0,
                "{kind:?}: left edge {left:.2} mm: {text}"
            );
            assert!(
                (right - BLOCK_RIGHT_MM).abs() <= 1.0,
                "{kind:?}: right edge {right:.2} mm: {text}"
            );
            // Evenly spaced: 156 mm / 28 per character.
            let pitch = (l.last().unwrap().x - l[0].x) / (l.len() - 1) as f64;
            assert!(
                (pitch - CHAR_MM * MM).abs() < 0.05,
                "{kind:?}: character pitch {pitch}: {text}"
            );
        }
    }
    // Page 2's full lines and those of `marks_at_line_ends`.
    assert!(full >= 12 + 14, "{kind:?}: only {full} full lines");

    let what = format!("{kind:?}");
    assert_inside_text_block(&what, &c.glyphs, BLOCK_LEFT_MM, BLOCK_RIGHT_MM);
    assert_signature(
        &what,
        &c.glyphs,
        "阜康市信访局",
        "2026年11月27日",
        CHAR_MM,
        BLOCK_RIGHT_MM,
    );
}

/// Paragraphs whose lines end with each closing mark in the 28th column, or start with an
/// opening mark (the first line of a paragraph is indented by two characters).
fn marks_at_line_ends() -> Vec<String> {
    let filler: Vec<char> = "经调查核实该小区供热管网老化二次网水力失调末端住户室温长期偏低供热公司已制定改造方案并承诺限期完成整改街道办事处将跟踪督促落实"
        .chars()
        .collect();
    let han = |n: usize, from: usize| -> String {
        (0..n).map(|i| filler[(from + i) % filler.len()]).collect()
    };
    let closing: String =
        "，。、；：？！”」）》"
            .chars()
            .enumerate()
            .fold(String::new(), |mut s, (i, mark)| {
                s.push_str(&han(if i == 0 { 25 } else { 27 }, 3 * i));
                s.push(mark);
                s
            });
    // A full first line, then lines that each start with an opening mark (not “: no line
    // breaks before an ambiguous quotation mark, UAX #14 LB19).
    let opening: String = "（《"
        .chars()
        .enumerate()
        .fold(han(26, 0), |mut s, (i, mark)| {
            s.push(mark);
            s.push_str(&han(27, 5 * i));
            s
        });
    vec![closing, opening]
}

#[test]
fn wenjian_and_xinhan_kinds_meet_gbt9704_on_the_pdf() {
    let kinds: Vec<DocumentKind> = DocumentKind::all()
        .filter(|k| k.needs_sign_off() && matches!(k.layout(), Layout::Wenjian | Layout::Xinhan))
        .collect();
    assert!(kinds.len() >= 5);
    for k in kinds {
        measure(k);
    }
}

/// The kinds outside 文件式 and 信函式 (简报, forms, window slips, the 来信办理单) keep their
/// glyphs inside their text blocks too, and those signed by the bureau (书面告知单, the slips)
/// date their signature the same way, in their own type size (4号).
#[test]
fn other_kinds_keep_inside_their_text_block_and_date_their_signature() {
    let si_mm = 14.0 / MM;
    let ctx = long_context();
    for kind in DocumentKind::all()
        .filter(|k| k.needs_sign_off() && matches!(k.layout(), Layout::Briefing | Layout::Form))
    {
        let mut fields = prefill(kind, &ctx);
        let mut body = marks_at_line_ends();
        body.extend(fields.get("body").cloned());
        fields.insert("body".into(), body.join("\n"));
        let no = number_for("阜信", kind, 2026, 12);
        let data = template_data(kind, &ctx, &fields, no.as_deref(), "2026-11-27", false);
        let c = glyphs(&renderer().render(kind.as_str(), &data).unwrap().pdf);
        let what = format!("{kind:?}");
        assert_inside_text_block(&what, &c.glyphs, BLOCK_LEFT_MM, BLOCK_RIGHT_MM);
        if kind == DocumentKind::QueryReplyNotice {
            let organ = "阜康市信访局（印章）";
            assert_signature(
                &what,
                &c.glyphs,
                organ,
                "2026年11月27日",
                si_mm,
                BLOCK_RIGHT_MM,
            );
        }
    }
    // Window slips: 25 mm from the left, 20 mm from the right edge.
    for (kind, data) in [
        ("visit_notice_slip", notice_data()),
        ("visit_transfer_slip", transfer_data()),
    ] {
        let c = glyphs(&renderer().render(kind, &data).unwrap().pdf);
        assert_inside_text_block(kind, &c.glyphs, 25.0, 190.0);
        let organ = "东城区信访局（印章）";
        assert_signature(kind, &c.glyphs, organ, "2026年11月27日", si_mm, 190.0);
    }
    let c = glyphs(
        &renderer()
            .render("letter_handling_form", &handling_form_data())
            .unwrap()
            .pdf,
    );
    assert_inside_text_block("letter_handling_form", &c.glyphs, 28.0, 184.0);
}

/// A name so much longer than the date that, centred over it, it would come nearer than two
/// characters to the edge stands 右空二字, with the date centred under it.
#[test]
fn long_organ_name_stands_two_characters_in_with_the_date_centred_under_it() {
    let kind = DocumentKind::AssignmentLetter;
    // 13 characters; the date is 7 wide.
    let organ = "昌吉回族自治州阜康市信访局";
    let ctx = DraftContext {
        bureau_name: organ.into(),
        ..long_context()
    };
    let no = number_for("阜信", kind, 2026, 12);
    let data = template_data(
        kind,
        &ctx,
        &prefill(kind, &ctx),
        no.as_deref(),
        "2026-11-27",
        false,
    );
    let c = glyphs(&renderer().render(kind.as_str(), &data).unwrap().pdf);
    let (o, d) = signature_runs("long organ name", &c.glyphs, organ, "2026年11月27日");
    let want = BLOCK_RIGHT_MM - 2.0 * CHAR_MM;
    assert!(
        (o.right_mm() - want).abs() <= 1.0,
        "the organ's name ends at {:.2} mm; 右空二字 ends it at {want:.2} mm",
        o.right_mm()
    );
    assert!(
        (o.centre_mm() - d.centre_mm()).abs() <= 1.0,
        "the date is centred at {:.2} mm, the organ's name at {:.2} mm",
        d.centre_mm(),
        o.centre_mm()
    );
}
