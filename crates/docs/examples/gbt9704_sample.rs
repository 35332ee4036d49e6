//! Renders sample 文件式 and 信函式 pages with `templates/lib/gbt9704.typ`, to check the
//! layout by eye: `cargo run -p xinfang-docs --example gbt9704_sample -- /tmp/gbt`, then
//! `pdftoppm -png -r 60 /tmp/gbt/sample_wenjian.pdf /tmp/gbt/wenjian`.

use std::path::PathBuf;

const WENJIAN: &str = r#"// template-version: 1
#import "lib/gbt9704.typ": *
#show: wenjian.with(organ: data.bureau_name + "文件", doc-no: data.doc_no)
#doc-title[关于2026年第三季度信访工作情况的报告]
#set par(first-line-indent: 0em)
区委、区政府：
#set par(first-line-indent: (amount: para-indent, all: true))
#for i in range(3) [现将我局2026年第三季度信访工作情况报告如下。本季度共受理群众来信来访事项若干件，办结率和群众满意率均保持较高水平。]

= 一、基本情况
== （一）来信来访总体情况
#for i in range(6) [本季度群众信访总量与去年同期相比有所下降，初次信访事项及时受理率为百分之百，按期办结率持续提升。]
== （二）主要问题类型
#for i in range(8) [反映问题主要集中在城乡建设、劳动社保、农村农业和政法等领域，其中物业管理和拖欠工资问题较为突出。]
#signature(data.bureau_name, data.issued_on)
#banji(chaosong: "区委督查室，区政府办公室", printer: data.bureau_name + "办公室", printed-on: data.issued_on)
"#;

const XINHAN: &str = r#"// template-version: 1
#import "lib/gbt9704.typ": *
#show: xinhan.with(organ: data.bureau_name, doc-no: data.doc_no)
#doc-title[关于转送群众来访事项的函]
#set par(first-line-indent: 0em)
区城市管理委员会：
#set par(first-line-indent: (amount: para-indent, all: true))
#for i in range(12) [现将群众反映的小区周边餐饮店油烟直排、夜间噪声扰民问题转送你单位，请依法依规处理，并将处理结果函告我局。]
#signature(data.bureau_name, data.issued_on)
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out: PathBuf = std::env::args().nth(1).unwrap_or_else(|| ".".into()).into();
    let templates = out.join("templates");
    std::fs::create_dir_all(&templates)?;
    std::fs::write(templates.join("sample_wenjian.typ"), WENJIAN)?;
    std::fs::write(templates.join("sample_xinhan.typ"), XINHAN)?;
    let renderer = xinfang_docs::Renderer::new(xinfang_docs::RendererConfig {
        template_dir: Some(templates),
        ..Default::default()
    })?;
    let data = serde_json::json!({
        "bureau_name": "东城区信访局",
        "doc_no": "东信〔2026〕12号",
        "issued_on": "2026-11-27"
    });
    for name in ["sample_wenjian", "sample_xinhan"] {
        let rendered = renderer.render(name, &data)?;
        std::fs::write(out.join(format!("{name}.pdf")), &rendered.pdf)?;
        eprintln!("{name}: {} bytes", rendered.pdf.len());
    }
    Ok(())
}
