//! Every drafted kind of rules §13, rendered from a realistic petition (or a selection) with the
//! data the drafting workflow produces, checked from the PDF's text; the DOCX carries the same
//! text; page 1 is compared with a golden PNG.

mod common;

use std::collections::BTreeMap;

use common::{page_count, pdf_text, renderer};

use serde_json::Value;
use xinfang_docs::render_docx;
use xinfang_domain::document::{DocumentKind, Numbering, number_for};
use xinfang_domain::drafting::{DraftContext, PetitionFacts, prefill, template_data};

pub fn petition(no: &str, name: &str, summary: &str) -> PetitionFacts {
    PetitionFacts {
        petition_no: no.into(),
        petitioner: name.into(),
        address: "阜康市城关镇博峰街道天池路88号3栋2单元401室".into(),
        phone: "139****6620".into(),
        registered_on: "2026-11-20".into(),
        channel_zh: "来访".into(),
        summary: summary.into(),
        requests: "要求尽快解决。".into(),
        category: "城乡建设".into(),
        region: "新疆维吾尔自治区昌吉回族自治州阜康市".into(),
        query_code: "K7Q2M9".into(),
    }
}

pub fn context(kind: DocumentKind) -> DraftContext {
    let petitions = if kind.source() == xinfang_domain::document::Source::Selection {
        vec![
            petition(
                "F2026-000031",
                "马建国",
                "反映城关镇幸福小区冬季供暖温度不达标，室温长期低于16摄氏度",
            ),
            petition(
                "F2026-000032",
                "古丽娜尔",
                "反映某建筑公司拖欠农民工工资12万元",
            ),
            petition(
                "X2026-000017",
                "李桂芳",
                "反映博峰街道老旧小区改造施工噪声扰民",
            ),
        ]
    } else {
        vec![petition(
            "F2026-000031",
            "马建国",
            "反映城关镇幸福小区冬季供暖温度不达标，室温长期低于16摄氏度，多次向供热公司反映未果",
        )]
    };
    DraftContext {
        bureau_name: "阜康市信访局".into(),
        today: "2026-11-27".into(),
        officer: "李明".into(),
        petitions,
        unit: Some("城关镇人民政府".into()),
        due_on: Some("2026-12-27".into()),
        reason: Some(match kind {
            DocumentKind::SupervisionLetter => "超过办理期限未办结".into(),
            _ => "该事项属于劳动争议，应当通过劳动仲裁解决".into(),
        }),
        legal_basis: Some("依据《信访工作条例》第三十一条的规定。".into()),
        note: Some("请查明逾期原因，限期答复信访人。".into()),
        count: 2,
        // The golden circular lists a selection; the one with a period's figures is drafted
        // and rendered by the statistics tests.
        briefing: None,
    }
}

pub fn drafted_kinds() -> Vec<DocumentKind> {
    DocumentKind::all().filter(|k| k.needs_sign_off()).collect()
}

/// The data of a signed document of `kind` (numbered 12, dated 2026-11-27).
pub fn signed_data(kind: DocumentKind) -> (Value, Option<String>) {
    let ctx = context(kind);
    let fields: BTreeMap<String, String> = prefill(kind, &ctx);
    let no = number_for("阜信", kind, 2026, 12);
    (
        template_data(kind, &ctx, &fields, no.as_deref(), "2026-11-27", false),
        no,
    )
}

/// The version a built-in template declares on its first line (`// template-version: N`).
fn declared_version(kind: DocumentKind) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates")
        .join(format!("{}.typ", kind.as_str()));
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("// template-version:"))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("{} declares no version", path.display()))
}

/// The sentence each kind must carry.
fn key_sentence(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::ExtensionNotice => "经本机关负责人批准，办理期限延长至2026年12月27日。",
        DocumentKind::AssignmentLetter => "交由你单位办理。",
        DocumentKind::TransferLetter => "转送你单位，请依照《信访工作条例》的规定办理。",
        DocumentKind::HandlingOpinion => {
            "可自收到本意见书之日起30日内向本机关的上一级机关请求复查。"
        }
        DocumentKind::QueryReplyNotice => "现将查询结果告知如下",
        DocumentKind::ClosingReport => "符合结案标准，建议予以结案。",
        DocumentKind::ClosingApprovalForm => "材料齐全，手续完备，拟予结案。",
        DocumentKind::DailyBulletin => "我局共登记信访事项3件",
        DocumentKind::SpecialBulletin => "以下3件需要领导阅知",
        DocumentKind::RequestReport => "妥否，请批示。",
        DocumentKind::Circular => "请各单位对照通报的事项，按期办结",
        DocumentKind::AcceptanceNotice => "本机关决定予以受理",
        DocumentKind::NonAcceptanceNotice => "应当通过劳动仲裁解决，本机关决定不予受理。",
        DocumentKind::NoLongerAcceptedNotice => "本机关不再受理。",
        DocumentKind::SupervisionLetter => "这是我局就该事项第2次督办。",
        // Issued directly by their own steps; filtered out by `drafted_kinds`.
        _ => unreachable!("{kind:?} is not drafted"),
    }
}

#[test]
fn every_drafted_kind_renders_title_number_petitioner_and_key_sentence() {
    for kind in drafted_kinds() {
        let (data, no) = signed_data(kind);
        let out = renderer()
            .render(kind.as_str(), &data)
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(out.warnings.is_empty(), "{kind:?}: {:?}", out.warnings);
        assert!(
            out.template_version
                .starts_with(&format!("{}-", declared_version(kind))),
            "{kind:?}: {}",
            out.template_version
        );
        let text = pdf_text(&out.pdf);
        let subject = data["subject"].as_str().unwrap();
        assert!(
            text.contains(subject),
            "{kind:?}: title {subject} in {text}"
        );
        match kind.numbering() {
            Numbering::PerKindAndYear => {
                let no = no.clone().unwrap();
                assert!(no.contains("〔2026〕12号"));
                assert!(text.contains(&no), "{kind:?}: {no} in {text}");
            }
            Numbering::Issue => assert!(text.contains("第12期"), "{kind:?}: {text}"),
            Numbering::None => assert!(!text.contains("〔2026〕"), "{kind:?}: {text}"),
        }
        if kind == DocumentKind::SupervisionLetter {
            // Addressed to the unit, which may be the accused: never the petitioner's name.
            assert!(!text.contains("马建国"), "{kind:?}: {text}");
        } else {
            assert!(text.contains("马建国"), "{kind:?}: petitioner in {text}");
        }
        assert!(
            text.contains(key_sentence(kind)),
            "{kind:?}: {:?} in {text}",
            key_sentence(kind)
        );
        if kind.source() == xinfang_domain::document::Source::Selection {
            assert!(
                text.contains("古丽娜尔") && text.contains("李桂芳"),
                "{text}"
            );
        }
        assert!(
            !text.contains("草稿"),
            "{kind:?}: a signed document has no draft mark"
        );
    }
}

#[test]
fn layouts_show_their_marks() {
    let text = |k: DocumentKind| {
        pdf_text(
            &renderer()
                .render(k.as_str(), &signed_data(k).0)
                .unwrap()
                .pdf,
        )
    };
    // 信函式: organ name without 文件; the letter is addressed to the unit.
    let t = text(DocumentKind::AssignmentLetter);
    assert!(t.contains("阜康市信访局") && !t.contains("阜康市信访局文件"));
    assert!(t.contains("城关镇人民政府："), "{t}");
    assert!(t.contains("2026年11月27日"));
    // 文件式: 发文机关标志 with 文件, headings, 印发 line.
    let t = text(DocumentKind::ClosingReport);
    for needle in [
        "阜康市信访局文件",
        "一、基本情况",
        "四、结案意见",
        "阜康市信访局办公室",
        "2026年11月27日印发",
    ] {
        assert!(t.contains(needle), "{needle} in {t}");
    }
    // 简报式: the name of the bulletin, the issue, who compiled it.
    let t = text(DocumentKind::DailyBulletin);
    for needle in [
        "每日信访信息",
        "第12期",
        "阜康市信访局编",
        "报送：区委办公室，区政府办公室。",
    ] {
        assert!(t.contains(needle), "{needle} in {t}");
    }
    // Forms: the approval rows.
    let t = text(DocumentKind::ClosingApprovalForm);
    for needle in ["办结审批单", "分管领导审批", "F2026-000031"] {
        assert!(t.contains(needle), "{needle} in {t}");
    }
}

#[test]
fn a_draft_carries_a_draft_mark_and_no_number() {
    let kind = DocumentKind::AssignmentLetter;
    let ctx = context(kind);
    let data = template_data(kind, &ctx, &prefill(kind, &ctx), None, "2026-11-27", true);
    let out = renderer().render(kind.as_str(), &data).unwrap();
    let text = pdf_text(&out.pdf);
    assert!(text.contains("草稿"), "{text}");
    assert!(!text.contains("〔2026〕"), "{text}");
    assert_eq!(page_count(&out.pdf), 1);
}

/// The text of a DOCX: the `<w:t>` runs of word/document.xml.
fn docx_text(bytes: &[u8]) -> String {
    let doc = lopdf_free_unzip(bytes, "word/document.xml");
    let mut out = String::new();
    let mut rest = doc.as_str();
    while let Some(i) = rest.find("<w:t") {
        rest = &rest[i..];
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let after = &rest[open_end + 1..];
        let Some(close) = after.find("</w:t>") else {
            break;
        };
        if !rest[..open_end].ends_with('/') {
            out.push_str(&after[..close]);
        }
        rest = &after[close..];
    }
    out.chars().filter(|c| !c.is_whitespace()).collect()
}

fn lopdf_free_unzip(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("docx is a zip");
    let mut f = zip.by_name(name).expect("document.xml");
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    s
}

#[test]
fn docx_of_every_kind_carries_the_same_text_and_page_setup() {
    for kind in drafted_kinds() {
        let (data, no) = signed_data(kind);
        let bytes = render_docx(&data).unwrap();
        assert!(bytes.starts_with(b"PK"), "{kind:?}");
        let text = docx_text(&bytes);
        assert!(
            text.contains(data["subject"].as_str().unwrap()),
            "{kind:?}: {text}"
        );
        assert_eq!(
            text.contains("马建国"),
            kind != DocumentKind::SupervisionLetter,
            "{kind:?}: {text}"
        );
        assert!(text.contains(key_sentence(kind)), "{kind:?}: {text}");
        if let Some(no) = no {
            assert!(text.contains(&no), "{kind:?}: {no} in {text}");
        }
        let xml = lopdf_free_unzip(&bytes, "word/document.xml");
        // A4 (11906 × 16838 twips), top 37 mm (2098), left 28 mm (1587).
        assert!(
            xml.contains(r#"w:w="11906""#) && xml.contains(r#"w:h="16838""#),
            "{kind:?}"
        );
        assert!(
            xml.contains(r#"w:top="2098""#) && xml.contains(r#"w:left="1587""#),
            "{kind:?}"
        );
        assert!(xml.contains("仿宋_GB2312"));
    }
}

// ── Golden images ─────────────────────────────────────────────────────────────────────────────

/// Page 1 of each kind at 0.75 px/pt (54 dpi), compared with `tests/golden/<kind>.png`.
/// `XINFANG_UPDATE_GOLDEN=1` rewrites them (review the images before committing).
#[test]
fn golden_png_per_kind() {
    for kind in drafted_kinds() {
        let (data, _) = signed_data(kind);
        let png = renderer().render_png(kind.as_str(), &data, 0.75).unwrap();
        common::assert_golden(kind.as_str(), &png);
    }
}
