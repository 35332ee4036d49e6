//! Documents rendered per second, cold and warm, on this machine (docs/performance.md).
//!
//! ```text
//! cargo bench -p xinfang-docs --bench documents -- [renders per thread] [threads]
//! ```
//!
//! Under `cargo test` (no `--bench` argument) it renders each kind once as a smoke test.
//!
//! Cold: a new `Renderer` (fonts, templates) and the first render of each kind. Warm: the same
//! renderer rendering every drafted kind in turn (different numbers each time, so nothing is a
//! cache hit on the whole document), on 1 thread and on `threads` threads; PDF and DOCX timed
//! separately.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use xinfang_docs::{Renderer, RendererConfig, render_docx};
use xinfang_domain::document::{DocumentKind, number_for};
use xinfang_domain::drafting::{DraftContext, PetitionFacts, prefill, template_data};

fn data(kind: DocumentKind, n: u64) -> Value {
    let p = |no: &str, name: &str, summary: &str| PetitionFacts {
        petition_no: no.into(),
        petitioner: name.into(),
        address: "阜康市城关镇天池路88号".into(),
        registered_on: "2026-11-20".into(),
        channel_zh: "来访".into(),
        summary: summary.into(),
        ..Default::default()
    };
    let ctx = DraftContext {
        bureau_name: "阜康市信访局".into(),
        today: "2026-11-27".into(),
        officer: "李明".into(),
        petitions: vec![
            p("F2026-000031", "马建国", "反映小区冬季供暖温度不达标"),
            p("F2026-000032", "古丽娜尔", "反映某建筑公司拖欠农民工工资"),
        ],
        unit: Some("城关镇人民政府".into()),
        due_on: Some("2026-12-27".into()),
        reason: Some("该事项属于劳动争议，应当通过劳动仲裁解决".into()),
        legal_basis: Some("依据《信访工作条例》第三十一条的规定。".into()),
        note: Some("请查明逾期原因，限期答复信访人。".into()),
        count: 2,
        briefing: None,
    };
    let fields: BTreeMap<String, String> = prefill(kind, &ctx);
    let no = number_for("阜信", kind, 2026, n);
    template_data(kind, &ctx, &fields, no.as_deref(), "2026-11-27", false)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kinds: Vec<DocumentKind> = DocumentKind::all().filter(|k| k.needs_sign_off()).collect();
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --all-targets`: one render of each kind, no timing.
        let renderer = Renderer::new(RendererConfig::default()).expect("renderer");
        for k in &kinds {
            let pdf = renderer
                .render(k.as_str(), &data(*k, 1))
                .expect("render")
                .pdf;
            assert!(pdf.starts_with(b"%PDF"), "{k:?}");
        }
        return;
    }
    let mut numbers = args.iter().filter_map(|a| a.parse::<u64>().ok());
    let per_thread: u64 = numbers.next().unwrap_or(44);
    let threads: u64 = numbers.next().unwrap_or(2);

    let t = Instant::now();
    let renderer = Arc::new(Renderer::new(RendererConfig::default()).expect("renderer"));
    let load = t.elapsed();
    let t = Instant::now();
    for k in &kinds {
        renderer.render(k.as_str(), &data(*k, 1)).expect("render");
    }
    let first = t.elapsed();
    println!(
        "cold: renderer {:.0} ms, first render of {} kinds {:.0} ms ({:.1} documents/s)",
        load.as_secs_f64() * 1e3,
        kinds.len(),
        first.as_secs_f64() * 1e3,
        kinds.len() as f64 / first.as_secs_f64()
    );

    let run = |threads: u64| {
        let t = Instant::now();
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let r = renderer.clone();
                let kinds = kinds.clone();
                std::thread::spawn(move || {
                    let mut bytes = 0;
                    for n in 0..per_thread {
                        let k = kinds[(n as usize) % kinds.len()];
                        bytes += r
                            .render(k.as_str(), &data(k, 100 + i * per_thread + n))
                            .expect("render")
                            .pdf
                            .len();
                    }
                    bytes
                })
            })
            .collect();
        let bytes: usize = handles.into_iter().map(|h| h.join().expect("thread")).sum();
        let secs = t.elapsed().as_secs_f64();
        let n = threads * per_thread;
        println!(
            "warm PDF, {threads} thread(s): {n} documents in {secs:.2} s = {:.1} documents/s ({:.1} ms each, {:.0} KB average)",
            n as f64 / secs,
            secs * 1e3 * threads as f64 / n as f64,
            bytes as f64 / n as f64 / 1024.0
        );
    };
    run(1);
    run(threads);

    let t = Instant::now();
    let n = per_thread;
    for i in 0..n {
        let k = kinds[(i as usize) % kinds.len()];
        render_docx(&data(k, 500 + i)).expect("docx");
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "DOCX, 1 thread: {n} documents in {secs:.2} s = {:.0} documents/s",
        n as f64 / secs
    );
}
