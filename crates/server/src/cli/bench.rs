//! `xinfang bench`: fills a database with generated petitions, starts `xinfang serve` on it as
//! a separate process, and measures the registration page and `registerPetition` latency and
//! the server's resident memory. Figures go to docs/performance.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate, NaiveTime};
use clap::Args;

use crate::cli::generate::{Generator, GeneratorConfig};
use xinfang_app::clock::{ManualClock, from_local};
use xinfang_app::context::{self as app, AppState, Config};

#[derive(Args, Clone)]
pub struct BenchArgs {
    /// Petitions in the database before measuring.
    #[arg(long, default_value_t = 100_000)]
    pub petitions: usize,
    /// Measured requests of each kind.
    #[arg(long, default_value_t = 1000)]
    pub requests: usize,
    /// Reuse a database already filled by an earlier run with the same --petitions.
    #[arg(long)]
    pub reuse: bool,
    /// Port for the measured server.
    #[arg(long, default_value_t = 18080)]
    pub port: u16,
    /// Instead: fill with --petitions petitions, each with a running deadline (batched inserts,
    /// not the use cases), and time the due-soon queue and the daily scan's queries.
    #[arg(long)]
    pub deadlines: bool,
    /// Instead: register --requests petitions from --writers concurrent writers through the use
    /// case on a fresh database, and report durable registrations per second.
    #[arg(long)]
    pub durable_writes: bool,
    #[arg(long, default_value_t = 8)]
    pub writers: usize,
    /// With --durable-writes on SQLite: acknowledge before the disk has it (synchronous =
    /// NORMAL), to see what durability costs.
    #[arg(long)]
    pub not_durable: bool,
    /// Instead: fill with --petitions petitions across stages (batched inserts), then let
    /// --staff signed-in sessions browse the home, list, search, petition and queue pages of a
    /// `xinfang serve` child for --duration-s, pausing --think-ms (±50 %) between pages.
    #[arg(long)]
    pub load: bool,
    #[arg(long, default_value_t = 100)]
    pub staff: usize,
    /// 0: no pause, each session sends its next request as soon as the last one is answered.
    #[arg(long, default_value_t = 2000)]
    pub think_ms: u64,
    #[arg(long, default_value_t = 60)]
    pub duration_s: u64,
    /// Instead: fill with --petitions petitions (batched inserts), rebuild the search index
    /// (timed), then time --requests searches of five kinds, the last page in date order and
    /// repeat candidates, through the use cases.
    #[arg(long)]
    pub search: bool,
    /// Instead: fill with --petitions petitions over the last year (batched inserts), then time
    /// the year's and a month's statistics and a month's drill-down through the use cases
    /// (--requests runs each, at most 50).
    #[arg(long)]
    pub statistics: bool,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn report(name: &str, mut d: Vec<Duration>) {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    println!(
        "{name:<28} n={:<6} p50={:>7.2} ms  p95={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms",
        d.len(),
        ms(percentile(&d, 0.50)),
        ms(percentile(&d, 0.95)),
        ms(percentile(&d, 0.99)),
        ms(*d.last().unwrap_or(&Duration::ZERO))
    );
}

/// [`report`] for the other benchmarks.
pub fn report_pub(name: &str, d: Vec<Duration>) {
    report(name, d)
}

pub(crate) fn rss_of(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((kb("VmRSS:")?, kb("VmHWM:")?))
}

/// The demo bureau's receptionist, acting as through the API.
async fn receptionist(state: &AppState) -> anyhow::Result<xinfang_app::auth::CurrentUser> {
    let user = state
        .store
        .user_by_username("receptionist")
        .await?
        .context("receptionist")?;
    Ok(xinfang_app::auth::CurrentUser {
        user,
        csrf: String::new(),
        token_hash: String::new(),
        via_bearer: true,
    })
}

async fn fill(cfg: &Config, count: usize) -> anyhow::Result<()> {
    let store = app::open_store(cfg).await?;
    let existing = store.default_bureau().await?;
    if existing.is_some() {
        bail!(
            "{} 已有数据：去掉 --reuse 以外的旧数据目录后重试",
            cfg.data_dir.display()
        );
    }
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let bureau =
        crate::cli::demo::create_bureau(&store, clock.as_ref(), &cfg.password_policy).await?;
    let state = AppState::new(cfg.clone(), store, clock.clone(), bureau).await?;
    let user = receptionist(&state).await?;
    let mut generator = Generator::new(GeneratorConfig {
        seed: 7,
        bureau_region: state.bureau.region_code.clone(),
        township_names: vec![
            "城关镇".into(),
            "甘河子镇".into(),
            "滋泥泉子镇".into(),
            "水磨沟乡".into(),
        ],
    });
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).context("date")?;
    let t0 = Instant::now();
    for i in 0..count {
        let day = start + chrono::Duration::days((i * 330 / count.max(1)) as i64);
        let at = day.and_time(
            NaiveTime::from_hms_opt(9 + (i % 8) as u32, (i % 60) as u32, 0).context("time")?,
        );
        clock.set(from_local(at));
        let input = generator.visit(at);
        xinfang_app::intake::register(&state, &user, &input)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.body().message))?;
        if (i + 1) % 10_000 == 0 {
            println!(
                "  已生成 {} 件（{:.0} 件/秒）",
                i + 1,
                (i + 1) as f64 / t0.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "生成 {count} 件用时 {:.1} 秒（{}）",
        t0.elapsed().as_secs_f64(),
        day_span(start, count)
    );
    state.store.close().await;
    Ok(())
}

fn day_span(start: NaiveDate, count: usize) -> String {
    format!(
        "登记日期 {} 起 330 天, {} 年",
        start,
        start.year() + (count > 0) as i32 - 1
    )
}

pub async fn run(mut cfg: Config, args: BenchArgs) -> anyhow::Result<()> {
    if args.deadlines {
        return crate::cli::generate::deadline_bench(
            cfg,
            args.petitions,
            args.requests,
            args.reuse,
        )
        .await;
    }
    if args.durable_writes {
        return durable_writes(cfg, &args).await;
    }
    if args.load {
        return crate::cli::load::run(cfg, &args).await;
    }
    if args.search {
        return crate::cli::search_bench::run(cfg, &args).await;
    }
    if args.statistics {
        return crate::cli::statistics_bench::run(cfg, &args).await;
    }
    if cfg.database_url.is_none() {
        cfg.data_dir = cfg.data_dir.join(format!("bench-{}", args.petitions));
    }
    if !args.reuse {
        if cfg.database_url.is_none() && cfg.data_dir.exists() {
            std::fs::remove_dir_all(&cfg.data_dir)?;
        }
        println!("生成 {} 件信访件……", args.petitions);
        fill(&cfg, args.petitions).await?;
    }
    let listen = format!("127.0.0.1:{}", args.port);
    let mut child = crate::cli::bench::spawn_serve(&cfg, &listen)?;
    let pid = child.id();
    let result = measure(&listen, pid, &args).await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// Starts `xinfang serve` on `cfg`'s database as a child process listening on `listen`
/// (127.0.0.1 only), its output discarded: the server measured, apart from the load generator.
pub fn spawn_serve(cfg: &Config, listen: &str) -> anyhow::Result<std::process::Child> {
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("serve")
        .arg("--listen")
        .arg(listen)
        .arg("--data-dir")
        .arg(&cfg.data_dir);
    if let Some(url) = &cfg.database_url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    cmd.spawn().context("启动 xinfang serve 失败")
}

async fn measure(listen: &str, pid: u32, args: &BenchArgs) -> anyhow::Result<()> {
    let base = format!("http://{listen}");
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let mut ready = false;
    for _ in 0..200 {
        if client.get(format!("{base}/login")).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !ready {
        bail!("服务未能启动");
    }
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/login"))
        .json(&serde_json::json!({"username": "receptionist", "password": crate::cli::demo::DEMO_PASSWORD}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"].as_str().context("token")?.to_string();
    let mut generator = Generator::new(GeneratorConfig {
        seed: 99,
        bureau_region: "652302".into(),
        township_names: vec!["城关镇".into(), "甘河子镇".into()],
    });
    // Warm up.
    for _ in 0..20 {
        client
            .get(format!("{base}/petitions/new"))
            .send()
            .await?
            .error_for_status()?;
    }
    let mut page = Vec::with_capacity(args.requests);
    let mut register = Vec::with_capacity(args.requests);
    let now = xinfang_app::clock::local(chrono::Utc::now());
    for _ in 0..args.requests {
        let t = Instant::now();
        let r = client.get(format!("{base}/petitions/new")).send().await?;
        let ok = r.status().is_success();
        r.bytes().await?;
        page.push(t.elapsed());
        if !ok {
            bail!("登记页返回错误");
        }
        let body = generator.visit(now);
        let t = Instant::now();
        let r = client
            .post(format!("{base}/api/v1/petitions"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let text = r.text().await?;
        register.push(t.elapsed());
        if status.as_u16() != 201 {
            bail!("registerPetition 返回 {status}: {text}");
        }
    }
    println!(
        "数据量：{} 件信访件（另加本次新登记 {} 件）",
        args.petitions, args.requests
    );
    report("GET /petitions/new", page);
    report("POST /api/v1/petitions", register);
    if let Some((rss, hwm)) = rss_of(pid) {
        println!(
            "xinfang serve 常驻内存：当前 {:.1} MB，峰值 {:.1} MB",
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
    }
    Ok(())
}

/// Writes and syncs a small file this many times: what the disk allows (the ceiling for commits
/// that each wait for their own sync).
fn fsyncs_per_second(dir: &std::path::Path, n: usize) -> anyhow::Result<f64> {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path)?;
    let t0 = Instant::now();
    for i in 0..n {
        f.write_all(format!("{i}\n").as_bytes())?;
        f.sync_data()?;
    }
    let rate = n as f64 / t0.elapsed().as_secs_f64();
    drop(f);
    std::fs::remove_file(&path)?;
    Ok(rate)
}

/// `--durable-writes`: concurrent registrations through `intake::register` on a fresh database,
/// each acknowledged only after its commit; generated visits (the generator's matter templates).
async fn durable_writes(mut cfg: Config, args: &BenchArgs) -> anyhow::Result<()> {
    let writers = args.writers.max(1);
    let per_writer = args.requests.div_ceil(writers);
    if cfg.database_url.is_none() {
        cfg.data_dir = cfg.data_dir.join("bench-durable");
        if cfg.data_dir.exists() {
            std::fs::remove_dir_all(&cfg.data_dir)?;
        }
    }
    std::fs::create_dir_all(&cfg.data_dir)?;
    let durable = !args.not_durable;
    let store = xinfang_store::Store::connect_with(
        &cfg.database_url(),
        cfg.max_connections.max(writers as u32),
        durable,
    )
    .await?;
    store.migrate().await?;
    if store.default_bureau().await?.is_some() {
        bail!("数据库不为空：--durable-writes 需要一个空数据库");
    }
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let bureau =
        crate::cli::demo::create_bureau(&store, clock.as_ref(), &cfg.password_policy).await?;
    let state = Arc::new(AppState::new(cfg.clone(), store, clock.clone(), bureau).await?);
    let user = receptionist(&state).await?;
    let at = NaiveDate::from_ymd_opt(2026, 11, 27)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .context("date")?;
    clock.set(from_local(at));
    let mut inputs = Vec::new();
    for w in 0..writers {
        let mut g = Generator::new(GeneratorConfig {
            seed: 100 + w as u64,
            bureau_region: state.bureau.region_code.clone(),
            township_names: vec!["城关镇".into(), "甘河子镇".into(), "博峰街道".into()],
        });
        inputs.push((0..per_writer).map(|_| g.visit(at)).collect::<Vec<_>>());
    }
    let fsync = if cfg.database_url.is_none() {
        Some(fsyncs_per_second(&cfg.data_dir, 500)?)
    } else {
        None
    };
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for batch in inputs {
        let state = state.clone();
        let user = user.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(batch.len());
            for input in batch {
                let t = Instant::now();
                xinfang_app::intake::register(&state, &user, &input)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}", e.body().message))?;
                lat.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{} 件登记，{writers} 个并发写入者，{}：{:.0} 件/秒（用时 {secs:.1} 秒）",
        all.len(),
        if durable {
            "每次提交落盘"
        } else {
            "未等落盘（synchronous = NORMAL）"
        },
        all.len() as f64 / secs
    );
    if let Some(f) = fsync {
        println!("本机磁盘：{f:.0} 次 fsync/秒");
    }
    report("registration (use case)", all);
    state.store.close().await;
    Ok(())
}
