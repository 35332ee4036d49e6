//! `xinfang bench --search`: fills a database with generated petitions (batched inserts, the
//! generator's matter templates), rebuilds the search index through the use case, then times a
//! mix of searches (a fifth each: common words, two words, rare words and numbers, words that
//! match nothing, names and filtered queries), the last page in date order, and repeat
//! candidates at intake, each through the use case. Figures go to docs/performance.md.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use xinfang_app::auth::CurrentUser;
use xinfang_app::clock::{ManualClock, from_local, local_date};
use xinfang_app::context::{AppState, Config};
use xinfang_app::search::{SearchInput, SimilarInput};

use crate::cli::bench::{BenchArgs, report_pub as report};
use crate::cli::generate::{Generator, GeneratorConfig};

/// A bench's database: filled afresh with --petitions generated petitions (unless --reuse),
/// opened with the clock at 10:00 today; the data directory is `<data-dir>/<name>-<n>`.
pub(crate) async fn filled(
    cfg: &mut Config,
    args: &BenchArgs,
    name: &str,
) -> anyhow::Result<(AppState, NaiveDate)> {
    if cfg.database_url.is_none() {
        cfg.data_dir = cfg.data_dir.join(format!("{name}-{}", args.petitions));
    }
    let today = local_date(chrono::Utc::now());
    if !args.reuse {
        if cfg.database_url.is_none() && cfg.data_dir.exists() {
            std::fs::remove_dir_all(&cfg.data_dir)?;
        }
        println!("生成 {} 件信访件……", args.petitions);
        let t = Instant::now();
        crate::cli::load::fill(cfg, args.petitions, today).await?;
        println!("  用时 {:.1} s", t.elapsed().as_secs_f64());
    }
    let store = xinfang_app::context::open_store(cfg).await?;
    let bureau = store.default_bureau().await?.context("bureau")?;
    let clock = std::sync::Arc::new(ManualClock::new(from_local(
        today.and_hms_opt(10, 0, 0).context("time")?,
    )));
    Ok((
        AppState::new(cfg.clone(), store, clock, bureau).await?,
        today,
    ))
}

/// Words of the matters that many petitions hold.
const COMMON: &[&str] = &[
    "要求", "反映", "工资", "拖欠", "补偿", "小区", "问题", "处理", "村", "公司",
];
/// Two words together.
const PAIRS: &[&str] = &[
    "拖欠 工资",
    "物业费 电梯",
    "征地 补偿",
    "宅基地 纠纷",
    "噪音 扰民",
    "低保 申请",
    "学费 退还",
    "养老 保险",
    "拆迁 安置",
    "污染 企业",
];
/// Words nobody wrote.
const NOTHING: &[&str] = &[
    "量子纠缠",
    "火星基地",
    "潜水艇",
    "芭蕾舞团",
    "冰川融化",
    "比特币矿机",
];

pub(crate) async fn acting(state: &AppState, username: &str) -> anyhow::Result<CurrentUser> {
    let user = state
        .store
        .user_by_username(username)
        .await?
        .with_context(|| username.to_string())?;
    Ok(CurrentUser {
        user,
        csrf: String::new(),
        token_hash: String::new(),
        via_bearer: true,
    })
}

fn input(q: &str) -> SearchInput {
    SearchInput {
        q: q.to_string(),
        ..Default::default()
    }
}

pub async fn run(mut cfg: Config, args: &BenchArgs) -> anyhow::Result<()> {
    let (state, today) = filled(&mut cfg, args, "bench-search").await?;
    // A fresh fill is indexed whole (timed, as `xinfang reindex`); a reused one only where its
    // index is incomplete.
    let t = Instant::now();
    let n = xinfang_app::search::reindex(&state, !args.reuse, &|_, _| {})
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.body().message))?;
    let s = t.elapsed().as_secs_f64();
    println!(
        "reindex: {n} petitions in {s:.1} s ({:.0} per s)",
        n as f64 / s.max(1e-9)
    );
    let total = state.store.count_petitions(&state.bureau.id).await? as f64;
    let director = acting(&state, "director").await?;
    let office = acting(&state, "office").await?;
    let mut rng = StdRng::seed_from_u64(11);

    // Rare terms from the data itself: petition numbers, phones, names.
    let sample: Vec<(String, String, String)> = {
        let rows: Vec<(String, String, String)> = xinfang_store::sqlx::query_as(
            "SELECT p.petition_no, q.phone, q.name FROM petitions p JOIN petitioners q ON q.petition_id = p.id WHERE p.bureau_id = $1 ORDER BY p.id LIMIT 2000",
        )
        .bind(&state.bureau.id)
        .fetch_all(state.store.pool())
        .await?;
        rows
    };
    anyhow::ensure!(!sample.is_empty(), "no petitions");
    let mut mix: Vec<(&str, SearchInput)> = Vec::new();
    for i in 0..20 {
        mix.push(("common", input(COMMON[i % COMMON.len()])));
        mix.push(("two words", input(PAIRS[i % PAIRS.len()])));
        let (no, phone, _) = sample.choose(&mut rng).context("sample")?;
        mix.push(("rare/number", input(if i % 2 == 0 { no } else { phone })));
        mix.push(("nothing", input(NOTHING[i % NOTHING.len()])));
        let (_, _, name) = sample.choose(&mut rng).context("sample")?;
        let filtered = if i % 2 == 0 {
            input(name)
        } else {
            SearchInput {
                q: COMMON[i % COMMON.len()].into(),
                stage: Some("assigned".into()),
                channel: Some("visit".into()),
                registered_from: Some((today - chrono::Duration::days(90)).to_string()),
                ..Default::default()
            }
        };
        mix.push(("names/filtered", filtered));
    }
    // Warm up once, then measure each query as the director and as an office clerk.
    for (_, q) in mix.iter().take(10) {
        let _ = xinfang_app::search::search(&state, &director, q).await;
    }
    let mut by_class: std::collections::BTreeMap<&str, Vec<Duration>> = Default::default();
    let mut share: std::collections::BTreeMap<&str, (f64, f64)> = Default::default();
    let mut all = Vec::new();
    for round in 0..(args.requests / mix.len()).max(1) {
        for (class, q) in &mix {
            let who = if round % 2 == 0 { &director } else { &office };
            let t = Instant::now();
            let page = xinfang_app::search::search(&state, who, q)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {}", q.q, e.body().message))?;
            let d = t.elapsed();
            by_class.entry(class).or_default().push(d);
            all.push(d);
            let e = share.entry(class).or_default();
            e.0 += page.total as f64 / total;
            e.1 += 1.0;
        }
    }
    println!("{} petitions; first page of 20 by relevance:", total as u64);
    for (class, d) in by_class {
        let (s, n) = share.get(class).copied().unwrap_or((0.0, 1.0));
        report(&format!("{class} ({:.2} % match)", 100.0 * s / n), d);
    }
    report("all searches", all);

    // The last page in date order: a keyset cursor at the oldest rows.
    let oldest: Vec<(String, String)> = xinfang_store::sqlx::query_as(
        "SELECT registered_at, id FROM petitions WHERE bureau_id = $1 ORDER BY registered_at, id LIMIT 21",
    )
    .bind(&state.bureau.id)
    .fetch_all(state.store.pool())
    .await?;
    if let Some((at, id)) = oldest.last() {
        let cursor = xinfang_app::search::date_cursor(at, id);
        let mut d = Vec::new();
        for i in 0..50 {
            let q = SearchInput {
                sort: Some("date".into()),
                cursor: Some(cursor.clone()),
                stage: (i % 2 == 1).then(|| "closed".to_string()),
                ..Default::default()
            };
            let t = Instant::now();
            xinfang_app::search::search(&state, &office, &q)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.body().message))?;
            d.push(t.elapsed());
        }
        report("last page, date order", d);
    }

    // Repeat candidates at intake: new visits from the generator, some by known people.
    let mut g = Generator::new(GeneratorConfig {
        seed: 99,
        bureau_region: state.bureau.region_code.clone(),
        township_names: vec!["城关镇".into(), "甘河子镇".into()],
    });
    let at = NaiveDate::from_ymd_opt(2026, 11, 27)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .context("date")?;
    let receptionist = acting(&state, "receptionist").await?;
    let mut d = Vec::new();
    for _ in 0..100 {
        let v = g.visit(at);
        let p = v.petitioners.first().cloned().unwrap_or_default();
        let known = sample.choose(&mut rng).context("sample")?;
        let input = SimilarInput {
            id_number: Some(p.id_number.clone()),
            name: Some(if rng.random_bool(0.3) {
                known.2.clone()
            } else {
                p.name.clone()
            }),
            phone: Some(if rng.random_bool(0.3) {
                known.1.clone()
            } else {
                p.phone.clone()
            }),
            address: Some(p.address.clone()),
            matter: Some(format!("{} {}", v.summary, v.requests)),
            ..Default::default()
        };
        let t = Instant::now();
        xinfang_app::search::similar(&state, &receptionist, &input)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.body().message))?;
        d.push(t.elapsed());
    }
    report("repeat candidates", d);
    Ok(())
}
