//! Renders both window slips with sample data into a directory (default: the current one):
//! `cargo run -p xinfang-docs --example render_slips -- /tmp/out`, then e.g.
//! `pdftoppm -png -r 100 /tmp/out/visit_notice_slip.pdf /tmp/out/visit_notice_slip`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out: PathBuf = std::env::args().nth(1).unwrap_or_else(|| ".".into()).into();
    std::fs::create_dir_all(&out)?;
    let start = Instant::now();
    let renderer = xinfang_docs::Renderer::new(xinfang_docs::RendererConfig::default())?;
    eprintln!("fonts and templates loaded in {:?}", start.elapsed());
    for (name, data) in [
        ("visit_notice_slip", common::notice_data()),
        ("visit_transfer_slip", common::transfer_data()),
    ] {
        let start = Instant::now();
        let rendered = renderer.render(name, &data)?;
        eprintln!(
            "{name}: {} bytes, version {}, {:?}",
            rendered.pdf.len(),
            rendered.template_version,
            start.elapsed()
        );
        std::fs::write(out.join(format!("{name}.pdf")), &rendered.pdf)?;
    }
    Ok(())
}
