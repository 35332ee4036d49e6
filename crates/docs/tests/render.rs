mod common;

use std::fs;

use common::{
    assert_golden, handling_form_data, notice_data, page_count, pdf_text, renderer, transfer_data,
};
use serde_json::json;
use xinfang_docs::{FontFamilies, RenderError, Renderer, RendererConfig};

#[test]
fn visit_notice_slip_shows_title_number_petitioner_and_decision() {
    let out = renderer()
        .render("visit_notice_slip", &notice_data())
        .unwrap();
    assert!(out.pdf.starts_with(b"%PDF-"));
    assert_eq!(page_count(&out.pdf), 1, "a slip fits on one page");
    let text = pdf_text(&out.pdf);
    for needle in [
        "东城区信访局",
        "来访事项告知单",
        "来访事项告知单（存根）",
        "东信告〔2026〕3号",
        "王秀兰",
        "110101********2846",
        "你于2026年11月27日来访反映的上述事项，经审查，不予受理。",
        "《信访工作条例》第二十九条",
        "特此告知。",
        "经办人：李明",
        "东城区信访局（印章）",
        "2026年11月27日",
        "沿此线裁开",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in {text}");
    }
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert!(out.template_version.starts_with("1-"));
}

#[test]
fn visit_transfer_slip_names_the_receiving_unit_and_asks_for_a_reply_by_letter() {
    let out = renderer()
        .render("visit_transfer_slip", &transfer_data())
        .unwrap();
    assert_eq!(page_count(&out.pdf), 1, "a slip fits on one page");
    let text = pdf_text(&out.pdf);
    for needle in [
        "来访事项转送单",
        "东信转〔2026〕12号",
        "赵国强",
        "东城区城市管理委员会：",
        "现将来访人赵国强于2026年11月27日来访反映的上述事项转送你单位",
        "请于收到本单之日起15日内决定是否受理，书面告知来访人，并将受理情况函告我局。",
        "《信访工作条例》第二十二条",
        "东城区信访局（印章）",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in {text}");
    }
}

#[test]
fn letter_handling_form_carries_summary_and_proposal_and_no_number() {
    let out = renderer()
        .render("letter_handling_form", &handling_form_data())
        .unwrap();
    assert_eq!(page_count(&out.pdf), 1);
    let text = pdf_text(&out.pdf);
    for needle in [
        "来信办理单",
        "L2026-000041",
        "周明等2人",
        "物业公司拒不整改",
        "建议受理，转市住房和城乡建设局办理",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in {text}");
    }
    assert!(
        !text.contains("〔2026〕"),
        "an internal form has no number: {text}"
    );
}

/// The kinds issued directly (window slips, the 来信办理单) against their golden renders; the
/// drafted kinds are in `drafted.rs`.
#[test]
fn directly_issued_kinds_match_their_golden_png() {
    for (kind, data) in [
        ("visit_notice_slip", notice_data()),
        ("visit_transfer_slip", transfer_data()),
        ("letter_handling_form", handling_form_data()),
        ("statistics_report", statistics_data()),
    ] {
        let png = renderer().render_png(kind, &data, 0.75).unwrap();
        assert_golden(kind, &png);
    }
}

/// A month's statistics as `app::statistics::export_pdf` gives them.
fn statistics_data() -> serde_json::Value {
    let row = |label: &str, unit: &str, v: i64, p: i64, y: i64| json!({"key": label, "label": label, "unit": unit, "value": v, "previous": p, "year_before": y});
    json!({
        "bureau_name": "阜康市信访局",
        "issued_on": "2026-12-01",
        "title": "信访工作统计表（2026年11月）",
        "marking": "内部资料 注意保存",
        "released": false,
        "from": "2026-11-01", "to": "2026-11-30",
        "previous_label": "2026年10月", "year_before_label": "2025年11月",
        "kpis": [
            {"label": "及时受理率", "now": "80.0%", "previous": "—", "year_before": "—"},
            {"label": "按期办结率", "now": "—", "previous": "—", "year_before": "—"},
        ],
        "sections": [
            {"title": "信访总量", "rows": [row("信访总量", "件", 5, 2, 0), row("来访批次", "批次", 3, 2, 0), row("来访人次", "人次", 8, 2, 0), row("集体访 5–10人", "批次", 1, 0, 0)]},
            {"title": "按问题属地", "rows": [row("城关镇人民政府", "件", 5, 2, 0)]},
            {"title": "按被反映单位", "rows": []},
        ],
        "units": [{"unit_id": "u1", "name": "城关镇人民政府", "received": 1, "deadlines_due": 0, "overdue": 0}],
    })
}

#[test]
fn a_missing_golden_image_fails_and_says_how_to_create_it() {
    let path = tempdir("golden").join("visit_notice_slip.png");
    let png = renderer()
        .render_png("visit_notice_slip", &notice_data(), 0.75)
        .unwrap();
    let failure =
        std::panic::catch_unwind(|| common::compare_with_golden(&path, &png, false)).unwrap_err();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(message.contains("XINFANG_UPDATE_GOLDEN=1"), "{message}");
    assert!(!path.exists(), "nothing is written");
    common::compare_with_golden(&path, &png, true);
    common::compare_with_golden(&path, &png, false);
    fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn notice_slip_for_a_township_matter_sends_the_visitor_to_the_locality() {
    let mut data = notice_data();
    data["doc_no"] = json!("东信告〔2026〕4号");
    data["decision_label"] =
        json!("该事项依法应由和平里街道办事处处理，请你到和平里街道办事处反映");
    data["reason"] = json!(null);
    data["legal_text"] =
        json!("根据《信访工作条例》第二十二条的规定，信访事项按照属地管理、分级负责的原则办理。");
    let text = pdf_text(&renderer().render("visit_notice_slip", &data).unwrap().pdf);
    assert!(
        text.contains("经审查，该事项依法应由和平里街道办事处处理，请你到和平里街道办事处反映。")
    );
    assert!(!text.contains("理由："));
}

#[test]
fn character_that_no_font_covers_is_a_missing_glyph_error() {
    let mut data = notice_data();
    data["petitioner"]["name"] = json!("王\u{20000}兰");
    match renderer().render("visit_notice_slip", &data) {
        Err(RenderError::MissingGlyph { ch, field }) => {
            assert_eq!(ch, '\u{20000}');
            assert_eq!(field, "petitioner.name");
        }
        other => panic!("expected MissingGlyph, got {other:?}"),
    }
}

#[test]
fn missing_glyph_error_message_names_the_character_and_field() {
    let mut data = transfer_data();
    data["summary"] = json!("反映\u{2A6D6}问题");
    let err = renderer().render("visit_transfer_slip", &data).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("U+2A6D6") && msg.contains("summary"), "{msg}");
}

#[test]
fn character_only_a_fallback_font_has_gives_a_font_warning() {
    // 訁 is in FandolSong but not in FandolFang, the body font: typst falls back to FandolSong.
    let ch = '訁';
    assert!(!covers(FANG, ch) && covers(SONG, ch));
    let mut data = notice_data();
    data["petitioner"]["address"] = json!(format!("北京市{ch}路"));
    let out = renderer().render("visit_notice_slip", &data).unwrap();
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    let w = &out.warnings[0];
    assert_eq!((w.ch, w.font_used.as_str()), (ch, "FandolSong"));
    assert_eq!(w.field, "petitioner.address");
    assert!(pdf_text(&out.pdf).contains("北京市訁路"));
}

#[test]
fn later_family_in_the_body_chain_is_reported_as_a_fallback() {
    // With FandolHei first in the body chain, ⊕ (which FandolHei lacks) comes from FandolFang.
    let ch = '⊕';
    assert!(!covers(HEI, ch) && covers(FANG, ch));
    let families = FontFamilies {
        body: vec!["FandolHei".into(), "FandolFang".into()],
        ..FontFamilies::default()
    };
    let r = Renderer::new(RendererConfig {
        families,
        ..RendererConfig::default()
    })
    .unwrap();
    let mut data = notice_data();
    data["summary"] = json!(format!("反映{ch}问题"));
    let out = r.render("visit_notice_slip", &data).unwrap();
    let found: Vec<_> = out
        .warnings
        .iter()
        .map(|w| (w.ch, w.font_used.as_str(), w.field.as_str()))
        .collect();
    assert_eq!(found, vec![(ch, "FandolFang", "summary")]);
}

#[test]
fn chain_names_may_be_chinese_or_english_and_missing_ones_are_skipped() {
    let families = FontFamilies {
        body: vec!["仿宋_GB2312".into(), "fandolfang".into()],
        title: vec!["方正小标宋简体".into(), "FandolSong".into()],
        ..FontFamilies::default()
    };
    let r = Renderer::new(RendererConfig {
        families,
        ..RendererConfig::default()
    })
    .unwrap();
    let out = r.render("visit_transfer_slip", &transfer_data()).unwrap();
    assert!(out.warnings.is_empty());
    let only_missing = FontFamilies {
        heading: vec!["黑体".into()],
        ..FontFamilies::default()
    };
    let err = Renderer::new(RendererConfig {
        families: only_missing,
        ..RendererConfig::default()
    })
    .unwrap_err();
    assert!(matches!(err, RenderError::Font(_)), "{err:?}");
}

const FANG: &[u8] = include_bytes!("../fonts/FandolFang-Regular.otf");
const SONG: &[u8] = include_bytes!("../fonts/FandolSong-Regular.otf");
const HEI: &[u8] = include_bytes!("../fonts/FandolHei-Regular.otf");

fn covers(font: &[u8], ch: char) -> bool {
    ttf_parser::Face::parse(font, 0)
        .unwrap()
        .glyph_index(ch)
        .is_some()
}

#[test]
fn template_in_the_override_directory_replaces_the_builtin_one() {
    let dir = tempdir("override");
    fs::write(
        dir.join("visit_notice_slip.typ"),
        "// template-version: 7\n#import \"lib/common.typ\": *\n#set text(font: fonts.body)\n覆盖模板 #data.doc_no\n",
    )
    .unwrap();
    let r = Renderer::new(RendererConfig {
        template_dir: Some(dir.clone()),
        ..RendererConfig::default()
    })
    .unwrap();
    let version = r.template_version("visit_notice_slip").unwrap();
    assert!(version.starts_with("7-"), "{version}");
    assert_ne!(
        Some(version.clone()),
        renderer().template_version("visit_notice_slip")
    );
    let out = r.render("visit_notice_slip", &notice_data()).unwrap();
    assert_eq!(out.template_version, version);
    let text = pdf_text(&out.pdf);
    assert!(text.contains("覆盖模板东信告〔2026〕3号"), "{text}");
    // The other built-in template is untouched.
    assert_eq!(
        r.template_version("visit_transfer_slip"),
        renderer().template_version("visit_transfer_slip")
    );
    fs::remove_dir_all(dir).ok();
}

#[test]
fn override_directory_can_add_a_new_document_kind_using_the_gbt9704_library() {
    let dir = tempdir("newkind");
    fs::write(
        dir.join("test_report.typ"),
        r#"// template-version: 2
#import "lib/gbt9704.typ": *
#show: wenjian.with(organ: data.bureau_name + "文件", doc-no: data.doc_no)
#doc-title[关于测试事项的报告]
#set par(first-line-indent: 0em)
区委办公室：
#set par(first-line-indent: (amount: 2em, all: true))
= 一、基本情况
== （一）来访情况
#for i in range(40) [第#(i + 1)段正文内容。]
#signature(data.bureau_name, data.issued_on)
#banji(chaosong: "区委督查室", printer: data.bureau_name + "办公室", printed-on: data.issued_on)
"#,
    )
    .unwrap();
    fs::write(
        dir.join("test_letter.typ"),
        r#"// template-version: 1
#import "lib/gbt9704.typ": *
#show: xinhan.with(organ: data.bureau_name, doc-no: data.doc_no)
#doc-title[关于转送信访事项的函]
#for i in range(60) [函件正文第#(i + 1)句。]
"#,
    )
    .unwrap();
    let r = Renderer::new(RendererConfig {
        template_dir: Some(dir.clone()),
        ..RendererConfig::default()
    })
    .unwrap();
    assert!(r.template_version("test_report").unwrap().starts_with("2-"));
    let data = json!({"bureau_name": "东城区信访局", "doc_no": "东信〔2026〕12号", "issued_on": "2026-11-27"});

    let report = r.render("test_report", &data).unwrap();
    let text = pdf_text(&report.pdf);
    for needle in [
        "东城区信访局文件",
        "东信〔2026〕12号",
        "关于测试事项的报告",
        "一、基本情况",
        "—1—",
        "抄送：区委督查室。",
        "2026年11月27日印发",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in {text}");
    }

    let letter = r.render("test_letter", &data).unwrap();
    assert!(page_count(&letter.pdf) >= 2);
    let text = pdf_text(&letter.pdf);
    assert!(text.contains("—2—"), "page 2 is numbered: {text}");
    assert!(
        !text.contains("—1—"),
        "信函式 shows no number on page 1: {text}"
    );
    fs::remove_dir_all(dir).ok();
}

#[test]
fn fonts_from_a_configured_directory_are_loaded_and_chains_accept_them() {
    let dir = tempdir("fonts");
    fs::write(
        dir.join("bureau-kai.otf"),
        include_bytes!("../fonts/FandolKai-Regular.otf"),
    )
    .unwrap();
    let families = FontFamilies {
        kai: vec!["FandolKai".into()],
        ..FontFamilies::default()
    };
    let r = Renderer::new(RendererConfig {
        font_dirs: vec![dir.clone()],
        families,
        ..RendererConfig::default()
    })
    .unwrap();
    let out = r.render("visit_notice_slip", &notice_data()).unwrap();
    assert!(pdf_text(&out.pdf).contains("王秀兰"));
    fs::remove_dir_all(dir).ok();
}

#[test]
fn missing_font_directory_is_an_io_error() {
    let err = Renderer::new(RendererConfig {
        font_dirs: vec!["/nonexistent/xinfang-fonts".into()],
        ..RendererConfig::default()
    })
    .unwrap_err();
    assert!(matches!(err, RenderError::Io { .. }), "{err:?}");
}

#[test]
fn same_input_renders_the_same_pdf() {
    let a = renderer()
        .render("visit_notice_slip", &notice_data())
        .unwrap();
    let b = renderer()
        .render("visit_notice_slip", &notice_data())
        .unwrap();
    assert_eq!(pdf_text(&a.pdf), pdf_text(&b.pdf));
    assert_eq!(a.pdf, b.pdf, "byte-identical output");
    assert_eq!(a.template_version, b.template_version);
}

#[test]
fn unknown_template_is_an_error() {
    let err = renderer()
        .render("no_such_template", &notice_data())
        .unwrap_err();
    assert!(matches!(err, RenderError::UnknownTemplate(ref t) if t == "no_such_template"));
    assert!(renderer().template_version("no_such_template").is_none());
    // Library files are not templates.
    assert!(renderer().template_version("lib/slip").is_none());
}

#[test]
fn missing_required_key_names_the_key() {
    let mut data = notice_data();
    data.as_object_mut().unwrap().remove("doc_no");
    let err = renderer().render("visit_notice_slip", &data).unwrap_err();
    match err {
        RenderError::Template { message, .. } => assert!(message.contains("doc_no"), "{message}"),
        other => panic!("expected a template error, got {other:?}"),
    }
}

#[test]
fn data_that_is_not_an_object_is_rejected() {
    let err = renderer()
        .render("visit_notice_slip", &json!(["x"]))
        .unwrap_err();
    assert!(matches!(err, RenderError::InvalidData(_)));
}

#[test]
fn malformed_date_is_reported() {
    let mut data = notice_data();
    data["issued_on"] = json!("27.11.2026");
    let err = renderer().render("visit_notice_slip", &data).unwrap_err();
    assert!(err.to_string().contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn long_summary_is_shortened_on_the_counterfoil_only() {
    let mut data = transfer_data();
    let long = "反映小区周边餐饮店油烟直排、夜间噪声扰民，多次向物业和社区反映，物业称无执法权，社区称已转报，问题至今未解决，严重影响居民休息和身体健康，请求督促有关部门尽快依法查处。";
    data["summary"] = json!(long);
    let out = renderer().render("visit_transfer_slip", &data).unwrap();
    assert_eq!(page_count(&out.pdf), 1);
    let text = pdf_text(&out.pdf);
    assert!(text.contains("……"), "counterfoil is shortened");
    assert!(
        text.contains("请求督促有关部门尽快依法查处。"),
        "slip has the full text"
    );
}

#[test]
fn renderer_is_shareable_across_threads() {
    let r = std::sync::Arc::new(Renderer::new(RendererConfig::default()).unwrap());
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let r = r.clone();
            std::thread::spawn(move || {
                let (t, d) = if i == 0 {
                    ("visit_notice_slip", notice_data())
                } else {
                    ("visit_transfer_slip", transfer_data())
                };
                r.render(t, &d).unwrap().pdf.len()
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap() > 1000);
    }
}

/// A renderer used again renders each document from its own data: nothing of an earlier
/// render comes back out of typst's caches.
#[test]
fn repeated_renders_each_carry_their_own_data() {
    let r = renderer();
    let numbers: Vec<String> = (100..105).map(|n| format!("东信告〔2026〕{n}号")).collect();
    let pdfs: Vec<Vec<u8>> = numbers
        .iter()
        .map(|no| {
            let mut data = notice_data();
            data["doc_no"] = json!(no);
            r.render("visit_notice_slip", &data).unwrap().pdf
        })
        .collect();
    for (i, pdf) in pdfs.iter().enumerate() {
        assert!(pdf.starts_with(b"%PDF-"), "render {i}");
        assert_eq!(page_count(pdf), 1, "render {i}");
        let text = pdf_text(pdf);
        for (j, no) in numbers.iter().enumerate() {
            assert_eq!(text.contains(no.as_str()), i == j, "render {i} and {no}");
        }
    }
}

fn tempdir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "xinfang-docs-{tag}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}
