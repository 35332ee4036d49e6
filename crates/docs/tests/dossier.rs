//! The dossier bundle (信访档案): cover, 卷内目录, the pieces' own pages, 备考表; the records
//! printed for it; the year-end transfer list.

mod common;

use common::{page_count, pdf_text, renderer};
use serde_json::json;
use xinfang_docs::pdf_page_count;

fn record() -> serde_json::Value {
    json!({
        "bureau_name": "阜康市信访局",
        "issued_on": "2026-12-01",
        "title": "来访人员登记表",
        "rows": [["信访件编号", "V2026000012"], ["姓名", "王秀兰"], ["反映问题", "工资拖欠"]],
        "sections": [{"heading": "接谈记录", "text": "来访人称某公司拖欠工资三个月。"}],
    })
}

#[test]
fn a_dossier_binds_its_pieces_between_its_index_and_its_notes() {
    let r = renderer();
    let reg = r.render("dossier_record", &record()).unwrap();
    assert_eq!(pdf_page_count(&reg.pdf), Some(1));
    assert!(pdf_text(&reg.pdf).contains("王秀兰"));
    let png = r.render_png("dossier_record", &record(), 0.5).unwrap();
    let data = json!({
        "bureau_name": "阜康市信访局",
        "issued_on": "2026-12-01",
        "archival_no": "X001-ZY·XF·01·2026·D30-0001",
        "title": "王秀兰反映工资拖欠问题",
        "fonds": "X001",
        "year": 2026,
        "kind_label": "专卷档案",
        "list_label": "来访专卷",
        "retention_label": "30年",
        "classification": "",
        "from": "2026-03-02",
        "to": "2026-11-20",
        "pages_total": 3,
        "items": [
            {"ordinal": 1, "doc_no": "", "responsible": "阜康市信访局", "title": "来访人员登记表", "dated": "2026-03-02", "pages": 1, "note": "系统记录"},
            {"ordinal": 2, "doc_no": "", "responsible": "城关镇", "title": "调查笔录", "dated": "2026-04-02", "pages": 1, "note": ""},
            {"ordinal": 3, "doc_no": "", "responsible": "城关镇", "title": "现场照片", "dated": "2026-04-03", "pages": 1, "note": "TIFF"},
        ],
        "parts": [
            {"file": "1.pdf", "type": "pdf", "pages": 1, "title": "来访人员登记表"},
            {"file": "2.png", "type": "image", "pages": 1, "title": "调查笔录"},
            {"file": "3.tif", "type": "missing", "pages": 1, "title": "现场照片"},
        ],
        "note": "缺少办结审批单：纸质原件已随上报材料报送。",
        "arranged_by": "档案员",
        "arranged_on": "2026-12-01",
        "checked_by": "张局长",
        "checked_on": "2026-12-01",
    });
    let out = r
        .render_bundle(
            "dossier",
            &data,
            vec![("1.pdf".into(), reg.pdf.clone()), ("2.png".into(), png)],
        )
        .unwrap();
    // Cover, index, three pieces, the notes.
    assert_eq!(page_count(&out.pdf), 6);
    let text = pdf_text(&out.pdf);
    for needle in [
        "X001-ZY·XF·01·2026·D30-0001",
        "卷",
        "现场照片",
        "备",
        "缺少办结审批单",
        "本卷共3件，3页。",
        // The registration form's own page, bound in.
        "来访人称某公司拖欠工资三个月。",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in {text}");
    }
}

#[test]
fn a_damaged_pdf_has_no_page_count() {
    assert_eq!(pdf_page_count(b"%PDF-1.7 not really"), None);
}

#[test]
fn the_transfer_list_is_printed_twice_for_both_sides() {
    let out = renderer()
        .render(
            "transfer_list",
            &json!({
                "bureau_name": "阜康市信访局",
                "issued_on": "2026-12-31",
                "year": 2026,
                "dossiers": [
                    {"archival_no": "X001-ZY·XF·01·2026·D30-0001", "title": "王秀兰反映工资拖欠问题", "retention": "30年", "pages": 12, "note": ""},
                ],
                "pages_total": 12,
                "handed_by": "档案员",
                "handed_on": "2026-12-31",
            }),
        )
        .unwrap();
    assert_eq!(page_count(&out.pdf), 2);
    let text = pdf_text(&out.pdf);
    assert!(
        text.contains("第一联移交方留存") && text.contains("第二联接收方留存"),
        "{text}"
    );
    assert!(text.contains("王秀兰反映工资拖欠问题"));
}
