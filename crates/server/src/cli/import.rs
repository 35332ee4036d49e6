//! `xinfang import FILE`: the bureau's old registers (CSV or Excel) into the database, with a
//! progress bar; resumable after an interruption (run it again on the same file).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use xinfang_app::clock::Clock;
use xinfang_app::context::{AppState, Config};
use xinfang_app::exchange::ledger::{self, LedgerOptions, TableKind};

#[derive(Args, Clone)]
pub struct ImportArgs {
    /// The register: .csv (UTF-8) or .xlsx (its first sheet), a header row first.
    pub file: PathBuf,
    /// Map a field to a column header, e.g. `--map summary=反映内容` (repeatable). Fields:
    /// visited_at, channel, name, id_number, phone, address, visitor_count, issue_region,
    /// township, summary, requests, purpose, category, old_no.
    #[arg(long = "map", value_name = "FIELD=HEADER")]
    pub map: Vec<String>,
    /// Who imports (a receptionist, letter clerk, case officer or office user).
    #[arg(long = "as", default_value = "case_officer")]
    pub as_user: String,
    /// Rows per committed batch.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Write the good rows and list the bad ones, instead of refusing the file.
    #[arg(long)]
    pub skip_bad: bool,
    /// Write at most this many batches now; run again on the same file to go on.
    #[arg(long)]
    pub max_batches: Option<usize>,
    /// Instead of importing, write a generated register of this many rows to FILE (CSV), for
    /// the benchmark in docs/performance.md.
    #[arg(long, value_name = "ROWS")]
    pub generate: Option<usize>,
}

/// A generated register: visits over the last years, one petitioner each, the columns the
/// default mapping finds.
fn generate(path: &std::path::Path, rows: usize, region: &str) -> anyhow::Result<()> {
    use crate::cli::generate::{Generator, GeneratorConfig};
    let mut g = Generator::new(GeneratorConfig {
        seed: 20261207,
        bureau_region: region.to_string(),
        township_names: Vec::new(),
    });
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "登记日期",
        "姓名",
        "身份证号",
        "电话",
        "住址",
        "人数",
        "问题属地",
        "乡镇",
        "反映问题",
        "诉求",
        "信访目的",
        "内容分类",
        "原编号",
    ])?;
    let start = chrono::NaiveDate::from_ymd_opt(2016, 1, 4).context("date")?;
    for i in 0..rows {
        let day = start + chrono::Duration::days((i as i64 * 3650) / rows.max(1) as i64);
        let at = day.and_hms_opt(10, 0, 0).context("time")?;
        let v = g.visit(at);
        let p = v.petitioners.first().cloned().unwrap_or_default();
        w.write_record([
            v.visited_at.replace('T', " "),
            p.name,
            // The register's one ID column holds resident ID numbers only.
            if p.id_type == "resident_id" {
                p.id_number
            } else {
                String::new()
            },
            p.phone,
            p.address,
            v.petitioners.len().max(1).to_string(),
            v.issue_region,
            v.township,
            v.summary,
            v.requests,
            v.purpose,
            v.category,
            format!("TZ{:07}", i + 1),
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub async fn run(cfg: Config, clock: Arc<dyn Clock>, args: ImportArgs) -> anyhow::Result<()> {
    if let Some(rows) = args.generate {
        let store = xinfang_app::context::open_store(&cfg).await?;
        let bureau = crate::cli::existing_bureau(&store).await?;
        generate(&args.file, rows, &bureau.region_code)?;
        println!("已生成 {rows} 行台账：{}", args.file.display());
        return Ok(());
    }
    let kind =
        TableKind::of_file(&args.file.to_string_lossy()).context("只能导入 .csv 或 .xlsx 文件")?;
    let mut mapping = HashMap::new();
    for m in &args.map {
        let (f, h) = m
            .split_once('=')
            .with_context(|| format!("--map 应为 字段=列名：{m}"))?;
        mapping.insert(f.trim().to_string(), h.trim().to_string());
    }
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("无法读取 {}", args.file.display()))?;
    let store = xinfang_app::context::open_store(&cfg).await?;
    let bureau = crate::cli::existing_bureau(&store).await?;
    let user = store
        .user_by_username(&args.as_user)
        .await?
        .with_context(|| format!("没有用户 {}", args.as_user))?;
    let state = AppState::new(cfg, store, clock, bureau).await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 行 {per_sec} 预计还需 {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let options = LedgerOptions {
        mapping,
        batch_size: args.batch,
        skip_bad: args.skip_bad,
        max_batches: args.max_batches,
        file_name: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let mut progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = ledger::import_ledger(&state, &user, &bytes, kind, &options, &mut progress)
        .await
        .map_err(|e| {
            let body = e.body();
            let mut msg = body.message;
            for item in body.errors.iter().skip(1) {
                msg.push_str(&format!("\n  {}", item.message));
            }
            anyhow::anyhow!(msg)
        })?;
    bar.finish_and_clear();
    for e in &report.errors {
        println!("  ✗ {}", e.message);
    }
    if report.resumed_after > 0 {
        println!("接续上次中断的导入：前 {} 行已导入", report.resumed_after);
    }
    println!(
        "已导入 {} 件（{} 批，其中重复信访 {} 件），跳过有误的行 {} 行，用时 {:.1} 秒",
        report.imported,
        report.batches,
        report.repeats,
        report.bad_rows,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
