//! GB/T 9704-2012 measured on the rendered PDF: the positions of the glyphs are read back from
//! the PDF's content streams (pdf-extract's `OutputDev`), for each 文件式 and 信函式 kind with a
//! body long enough to fill page 2 completely: A4; the body's text block starts 37 mm from the
//! top and 28 mm from the left and is 156 mm wide (within 1 mm); 28 characters per full line;
//! 22 lines per full page.

mod common;

use std::collections::BTreeMap;

use common::renderer;
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};
use xinfang_domain::document::{DocumentKind, Layout, number_for};
use xinfang_domain::drafting::{DraftContext, PetitionFacts, prefill, template_data};

const MM: f64 = 72.0 / 25.4;

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
    let body: Vec<&str> = std::iter::repeat_n(para.as_str(), 25).collect();
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

    // Page 2: body glyphs (3号 = 16 pt), grouped into lines by baseline.
    let body: Vec<&Glyph> = c
        .glyphs
        .iter()
        .filter(|g| g.page == 2 && (g.size - 16.0).abs() < 0.5 && !g.ch.trim().is_empty())
        .collect();
    let mut lines: BTreeMap<i64, Vec<&Glyph>> = BTreeMap::new();
    for g in body {
        lines
            .entry((g.y * 10.0).round() as i64)
            .or_default()
            .push(g);
    }
    let lines: Vec<Vec<&Glyph>> = lines.into_values().rev().collect(); // top to bottom
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

    // 28 characters on every full line; left edge 28 mm, right edge 28 + 156 mm.
    let mut full = 0;
    for l in &lines {
        let x: Vec<f64> = l.iter().map(|g| g.x).collect();
        assert!(l.len() <= 28, "{kind:?}: {} characters on a line", l.len());
        if l.len() == 28 {
            full += 1;
            let left = x[0] / MM;
            let right = (x[27] + l[27].advance) / MM;
            assert!(
                (left - 28.0).abs() <= 1.0,
                "{kind:?}: left edge {left:.2} mm"
            );
            assert!(
                (right - 184.0).abs() <= 1.0,
                "{kind:?}: right edge {right:.2} mm"
            );
            // Evenly spaced: 156 mm / 28 per character.
            let pitch = (x[27] - x[0]) / 27.0;
            assert!(
                (pitch - 156.0 * MM / 28.0).abs() < 0.05,
                "{kind:?}: character pitch {pitch}"
            );
        }
    }
    assert!(full >= 12, "{kind:?}: only {full} full lines");
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
