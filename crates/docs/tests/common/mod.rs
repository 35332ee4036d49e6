//! Shared fixtures: one renderer per test binary and realistic slip data.

#![allow(dead_code)]

use std::sync::OnceLock;

use serde_json::{Value, json};
use xinfang_docs::{Renderer, RendererConfig};

pub fn renderer() -> &'static Renderer {
    static R: OnceLock<Renderer> = OnceLock::new();
    R.get_or_init(|| Renderer::new(RendererConfig::default()).expect("renderer"))
}

pub fn notice_data() -> Value {
    json!({
        "bureau_name": "东城区信访局",
        "doc_no": "东信告〔2026〕3号",
        "title": "来访事项告知单",
        "petitioner": {
            "name": "王秀兰",
            "sex": "女",
            "id_number": "110101********2846",
            "address": "北京市东城区和平里街道七区16号楼3单元502室",
            "phone": "139****6620"
        },
        "summary": "反映其与某装饰公司因房屋装修合同款项发生纠纷，要求信访部门责令该公司退还预付装修款4.8万元。",
        "requests": "要求退还预付装修款并赔偿损失。",
        "decision_label": "不予受理",
        "reason": "该事项属于平等民事主体之间的合同纠纷，应当通过诉讼、仲裁等法定途径解决。",
        "legal_text": "根据《信访工作条例》第二十九条第一款第（一）项的规定，对依法应当通过诉讼、仲裁、行政复议等法定途径解决的信访事项，信访部门不予受理。你可依法向东城区人民法院提起民事诉讼，或依据合同约定申请仲裁。",
        "officer": "李明",
        "issued_on": "2026-11-27"
    })
}

pub fn transfer_data() -> Value {
    json!({
        "bureau_name": "东城区信访局",
        "doc_no": "东信转〔2026〕12号",
        "petitioner": {
            "name": "赵国强",
            "sex": "男",
            "id_number": "110101********0319",
            "address": "北京市东城区东直门街道香河园路2号院4号楼",
            "phone": "136****1185"
        },
        "summary": "反映小区周边餐饮店油烟直排、夜间噪声扰民，多次向物业反映未果。",
        "requests": "要求相关部门依法查处，恢复正常居住环境。",
        "target_unit": "东城区城市管理委员会",
        "reason": "该事项属于你单位法定职责范围。",
        "legal_text": "根据《信访工作条例》第二十二条、第三十一条的规定，信访事项应当转送有权处理的机关、单位办理。",
        "officer": "陈静",
        "issued_on": "2026-11-27"
    })
}

/// The PDF's text with all whitespace removed (extractors insert spaces and line breaks).
pub fn pdf_text(pdf: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(pdf).expect("extract text");
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Number of pages (counts `/Type /Page` objects).
pub fn page_count(pdf: &[u8]) -> usize {
    let doc = lopdf::Document::load_mem(pdf).expect("parse pdf");
    doc.get_pages().len()
}

pub fn handling_form_data() -> Value {
    json!({
        "bureau_name": "阜康市信访局",
        "petition_no": "L2026-000041",
        "received_on": "2026-11-20",
        "delivery_mode": "挂号信",
        "writer": "周明等2人",
        "sex": "男",
        "address": "阜康市城关镇东风村3组",
        "phone": "138****1122",
        "region": "新疆维吾尔自治区昌吉回族自治州阜康市城关镇",
        "source": "来信人直接来信",
        "leader_instruction": "",
        "summary": "反映小区供暖温度长期不达标，物业公司拒不整改，要求物业公司整改并退还部分供暖费。",
        "proposal": "建议受理，转市住房和城乡建设局办理，30日内报送办理结果。",
        "clerk": "李秀英",
        "issued_on": "2026-11-20",
        "notice_due": "2026-12-07"
    })
}

/// Mean absolute difference per channel (0–255) of two PNGs of the same size.
fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
    let decode = |bytes: &[u8]| {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("png");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("frame");
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    };
    let (wa, ha, pa) = decode(a);
    let (wb, hb, pb) = decode(b);
    if (wa, ha) != (wb, hb) || pa.len() != pb.len() {
        return f64::INFINITY;
    }
    let sum: u64 = pa
        .iter()
        .zip(&pb)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / pa.len() as f64
}

/// Compares a page-1 render with `tests/golden/<name>.png` approximately (layout regressions
/// show; font hinting noise does not). A missing golden image fails the test;
/// `XINFANG_UPDATE_GOLDEN=1` is the one way to write them (it rewrites them all: review the
/// images before committing).
pub fn assert_golden(name: &str, png: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.png"));
    let update = std::env::var("XINFANG_UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    compare_with_golden(&path, png, update);
}

/// `assert_golden` for the image at `path`; `update` writes it instead.
pub fn compare_with_golden(path: &std::path::Path, png: &[u8], update: bool) {
    if update {
        std::fs::write(path, png).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let golden = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "no golden image {} ({e}); to create it, rerun with XINFANG_UPDATE_GOLDEN=1 and review it",
            path.display()
        )
    });
    let diff = mean_difference(png, &golden);
    assert!(
        diff < 1.5,
        "page 1 differs from {} (mean difference {diff:.2}); if intended, rerun with XINFANG_UPDATE_GOLDEN=1 and review",
        path.display()
    );
}
