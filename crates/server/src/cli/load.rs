//! `xinfang bench --load`: staff working with think time. Fills a database with `--petitions`
//! generated petitions by batched inserts (the generator's matter templates; petitions across
//! stages with their registration event, handling records, deadlines and tasks), starts
//! `xinfang serve` on it as a child process on 127.0.0.1, signs in `--staff` sessions of the
//! demo bureau's roles and lets each loop over the home, list, search, petition and queue pages
//! with `--think-ms` (±50 %) between pages, for `--duration-s`. Reports the latency per page
//! kind, the requests per second and the server's resident memory. Figures go to
//! docs/performance.md.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate, NaiveTime};
use rand::{Rng, SeedableRng};
use xinfang_app::clock::{from_local, local_date};
use xinfang_app::context::Config;
use xinfang_domain::calendar::OfficialCalendar;
use xinfang_domain::deadline::{CountingMode, due_date};
use xinfang_domain::event::{EventFields, GENESIS_HASH, event_hash};
use xinfang_domain::lifecycle::PetitionState;
use xinfang_domain::registration::parse_registration;
use xinfang_store::sqlx;
use xinfang_store::{new_id, ts};

use crate::cli::bench::BenchArgs;
use crate::cli::generate::{Generator, GeneratorConfig};

/// Petitions per batch: 250 rows of the widest table stay far below both backends' limit on
/// bind parameters (SQLite 32 766, PostgreSQL 65 535).
const BATCH: usize = 250;

/// One bound value of a multi-row insert.
enum V {
    S(String),
    O(Option<String>),
    I(i64),
}

/// A multi-row `INSERT … VALUES (…), (…)` with bound values, flushed once per batch.
struct Rows {
    head: &'static str,
    cols: usize,
    vals: Vec<V>,
}

impl Rows {
    fn new(head: &'static str) -> Self {
        let cols = head
            .split_once('(')
            .map(|(_, c)| c.split(',').count())
            .unwrap_or(1);
        Self {
            head,
            cols,
            vals: Vec::new(),
        }
    }

    fn push(&mut self, row: Vec<V>) {
        debug_assert_eq!(row.len(), self.cols, "{}", self.head);
        self.vals.extend(row);
    }

    async fn flush(
        &mut self,
        backend: xinfang_store::Backend,
        tx: &mut xinfang_store::WriteTx,
    ) -> anyhow::Result<()> {
        if self.vals.is_empty() {
            return Ok(());
        }
        let n = self.vals.len() / self.cols;
        let mut sql = String::with_capacity(self.head.len() + n * self.cols * 6);
        sql.push_str(self.head);
        sql.push_str(" VALUES ");
        let mut p = 0;
        for r in 0..n {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..self.cols {
                if c > 0 {
                    sql.push(',');
                }
                p += 1;
                sql.push_str(&backend.marks(p, 1));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in self.vals.drain(..) {
            q = match v {
                V::S(s) => q.bind(s),
                V::O(s) => q.bind(s),
                V::I(i) => q.bind(i),
            };
        }
        q.execute(&mut ***tx).await?;
        Ok(())
    }
}

fn s(x: impl Into<String>) -> V {
    V::S(x.into())
}

/// What became of a petition by the time of the measurement: older ones are mostly closed,
/// recent ones still at the bureau or with a unit. `h` is a uniform draw in 0..100.
fn stage_for(age_days: i64, h: u32) -> &'static str {
    let table: &[(u32, &str)] = if age_days > 120 {
        &[
            (86, "closed"),
            (92, "archived"),
            (96, "transferred"),
            (100, "assigned"),
        ]
    } else if age_days > 60 {
        &[
            (60, "closed"),
            (75, "transferred"),
            (85, "assigned"),
            (92, "reviewing"),
            (100, "awaiting_closure"),
        ]
    } else if age_days > 15 {
        &[
            (25, "closed"),
            (55, "transferred"),
            (75, "assigned"),
            (85, "reviewing"),
            (92, "decided"),
            (100, "awaiting_closure"),
        ]
    } else {
        &[
            (30, "registered"),
            (45, "decided"),
            (75, "transferred"),
            (92, "assigned"),
            (100, "closed"),
        ]
    };
    table
        .iter()
        .find(|(upto, _)| h < *upto)
        .map(|(_, st)| *st)
        .unwrap_or("closed")
}

/// Fills an empty database with `count` petitions registered over the year up to `today`.
pub(crate) async fn fill(cfg: &Config, count: usize, today: NaiveDate) -> anyhow::Result<()> {
    let store = xinfang_app::context::open_store(cfg).await?;
    if store.default_bureau().await?.is_some() {
        bail!("数据库已有数据：请使用新的数据库，或加 --reuse 直接测量");
    }
    let clock = xinfang_app::clock::ManualClock::new(from_local(
        today.and_hms_opt(8, 0, 0).context("time")?,
    ));
    let bureau = crate::cli::demo::create_bureau(&store, &clock, &cfg.password_policy).await?;
    let units: Vec<String> = store
        .units(&bureau.id)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let staff = |name: &'static str| {
        let store = store.clone();
        async move {
            store
                .user_by_username(name)
                .await?
                .with_context(|| name.to_string())
        }
    };
    let receptionist = staff("receptionist").await?;
    let officer = staff("case_officer").await?;
    let mut generator = Generator::new(GeneratorConfig {
        seed: 11,
        bureau_region: bureau.region_code.clone(),
        township_names: vec![
            "城关镇".into(),
            "甘河子镇".into(),
            "滋泥泉子镇".into(),
            "水磨沟乡".into(),
        ],
    });
    let cal = OfficialCalendar::shipped();
    let first = today - chrono::Duration::days(365);
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    let mut numbers: HashMap<(String, i32), i64> = HashMap::new();
    let mut petitions = Rows::new(
        "INSERT INTO petitions (id, bureau_id, petition_no, query_code, channel, stage, acceptance, decided_at, decided_by, target_unit_id, visited_at, registered_at, registered_on, registered_by, issue_region, summary, requests, proposal, purpose, category, petition_class, visitor_count, people_involved, collective, anonymous, consent_to_publish, major_urgent, confidential, skip_level, out_of_district, repeat_reason, accused_unit_id, event_seq, updated_at, source, source_kind, township)",
    );
    let mut petitioners = Rows::new(
        "INSERT INTO petitioners (id, bureau_id, petition_id, ordinal, name, id_type, id_number, birth_date, sex, age, ethnicity, address, phone, occupation, is_representative, id_region)",
    );
    let mut events = Rows::new(
        "INSERT INTO petition_events (bureau_id, petition_id, seq, kind, payload, actor_id, actor_role, at, prev_hash, hash)",
    );
    let mut records = Rows::new(
        "INSERT INTO handling_records (id, bureau_id, petition_id, unit_id, kind, lead, state, created_at, updated_at)",
    );
    let mut deadlines = Rows::new(
        "INSERT INTO deadlines (id, bureau_id, petition_id, handling_record_id, unit_id, role, rule_code, rule_version, started_on, period_days, mode, due_on, state, met_at, expiry_handled_at, created_at, updated_at)",
    );
    let mut tasks = Rows::new(
        "INSERT INTO tasks (id, bureau_id, petition_id, kind, assignee_role, title, created_at, done_at)",
    );
    let mut dispositions = Rows::new(
        "INSERT INTO dispositions (id, bureau_id, petition_id, disposition, proposed_by, approved_by, created_at)",
    );
    let mut reports = Rows::new(
        "INSERT INTO handling_reports (id, bureau_id, petition_id, handling_record_id, unit_id, findings, decision, reply, reply_served_on, petitioner_signed, refusal_note, settlement_note, signed_off_by, submitted_by, submitted_at)",
    );
    let mut reviews = Rows::new(
        "INSERT INTO report_reviews (id, bureau_id, petition_id, handling_report_id, findings, outcome, opinion, reviewed_by, reviewed_at)",
    );
    let t0 = Instant::now();
    let mut done = 0usize;
    while done < count {
        let n = BATCH.min(count - done);
        for k in 0..n {
            let idx = done + k;
            let day = first + chrono::Duration::days((idx as i64 * 366) / count as i64);
            let minute = rng.random_range(0..480u32);
            let at = day.and_time(
                NaiveTime::from_hms_opt(9 + minute / 60, minute % 60, 0).context("time")?,
            );
            let input = generator.visit(at);
            let reg = parse_registration(&input, at).map_err(|e| {
                anyhow::anyhow!(
                    "生成的登记未通过校验：{}",
                    e.iter()
                        .map(|f| f.message.as_str())
                        .collect::<Vec<_>>()
                        .join("；")
                )
            })?;
            let pid = new_id();
            let year = day.year();
            let seq = numbers
                .entry((reg.channel.as_str().to_string(), year))
                .and_modify(|v| *v += 1)
                .or_insert(1);
            let no = xinfang_app::numbers::petition_no(reg.channel, year, *seq);
            let registered = ts(from_local(at));
            let age = (today - day).num_days();
            let stage = stage_for(age, rng.random_range(0..100));
            let decided = stage != "registered";
            let decided_day = (day + chrono::Duration::days(rng.random_range(0..3))).min(today);
            let decided_at = ts(from_local(
                decided_day.and_hms_opt(16, 0, 0).context("time")?,
            ));
            let unit_stage = !matches!(stage, "registered" | "decided");
            let unit = &units[rng.random_range(0..units.len())];
            // The unit's report (its reply served, the review passed) and the closing, for the
            // petitions past them: a realistic year of events for statistics to count.
            let reported = matches!(
                stage,
                "reviewing" | "awaiting_closure" | "closed" | "archived"
            );
            let report_day =
                (decided_day + chrono::Duration::days(rng.random_range(10..45))).min(today);
            let finished = matches!(stage, "closed" | "archived");
            let closed_day =
                (report_day + chrono::Duration::days(rng.random_range(2..12))).min(today);
            petitions.push(vec![
                s(&pid),
                s(&bureau.id),
                s(&no),
                s(xinfang_app::numbers::query_code()),
                s(reg.channel.as_str()),
                s(stage),
                V::O(decided.then(|| "accepted".into())),
                V::O(decided.then(|| decided_at.clone())),
                V::O(decided.then(|| officer.id.clone())),
                V::O(unit_stage.then(|| unit.clone())),
                s(ts(from_local(reg.visited_at))),
                s(&registered),
                s(day.to_string()),
                s(&receptionist.id),
                s(&reg.issue_region),
                s(&reg.summary),
                s(&reg.requests),
                s(&reg.proposal),
                V::O(reg.purpose.clone()),
                V::O(reg.category.clone()),
                V::O(reg.petition_class.clone()),
                V::I(reg.visitor_count),
                V::I(reg.people_involved),
                V::I(reg.collective.into()),
                V::I(reg.anonymous.into()),
                V::I(reg.consent_to_publish.into()),
                V::I(reg.major_urgent.into()),
                V::I(reg.confidential.into()),
                V::I(reg.skip_level.into()),
                V::I(reg.out_of_district.into()),
                s(&reg.repeat_reason),
                V::O(reg.accused_unit_id.clone()),
                V::I(if finished { 2 } else { 1 }),
                s(if decided { &decided_at } else { &registered }),
                s(serde_json::to_string(&reg.source)?),
                s(reg.source.as_str()),
                s(reg.township.as_input()),
            ]);
            for (i, pe) in reg.petitioners.iter().enumerate() {
                petitioners.push(vec![
                    s(new_id()),
                    s(&bureau.id),
                    s(&pid),
                    V::I(i as i64),
                    s(&pe.name),
                    s(&pe.id_type),
                    V::O(pe.id_number.clone()),
                    V::O(pe.birth_date.map(|d| d.to_string())),
                    V::O(pe.sex.map(|x| match x {
                        xinfang_domain::resident_id::Sex::Male => "male".to_string(),
                        xinfang_domain::resident_id::Sex::Female => "female".to_string(),
                    })),
                    match pe.age {
                        Some(a) => V::I(a),
                        None => V::O(None),
                    },
                    V::O(pe.ethnicity.clone()),
                    s(&pe.address),
                    s(&pe.phone),
                    s(&pe.occupation),
                    V::I(pe.is_representative.into()),
                    V::O(pe.id_region.clone()),
                ]);
            }
            // The registration event exactly as `intake::register` writes it, hash included, so
            // the history shows and `xinfang audit verify` accepts it.
            let payload = serde_json::json!({
                "petition_no": no,
                "channel": reg.channel.as_str(),
                "stage": PetitionState::new(reg.channel).stage.as_str(),
                "registration": reg,
            })
            .to_string();
            let fields = EventFields {
                bureau_id: &bureau.id,
                petition_id: &pid,
                seq: 1,
                kind: "registered",
                payload: &payload,
                actor_id: &receptionist.id,
                actor_role: receptionist.role.as_str(),
                at: &registered,
                prev_hash: GENESIS_HASH,
            };
            let hash = event_hash(&fields);
            events.push(vec![
                s(&bureau.id),
                s(&pid),
                V::I(1),
                s("registered"),
                s(&payload),
                s(&receptionist.id),
                s(receptionist.role.as_str()),
                s(&registered),
                s(GENESIS_HASH),
                s(&hash),
            ]);
            if finished {
                let closed_at = ts(from_local(
                    closed_day.and_hms_opt(17, 0, 0).context("time")?,
                ));
                let payload = serde_json::json!({"stage": "closed"}).to_string();
                let fields = EventFields {
                    bureau_id: &bureau.id,
                    petition_id: &pid,
                    seq: 2,
                    kind: "closed",
                    payload: &payload,
                    actor_id: &officer.id,
                    actor_role: officer.role.as_str(),
                    at: &closed_at,
                    prev_hash: &hash,
                };
                let closing_hash = event_hash(&fields);
                events.push(vec![
                    s(&bureau.id),
                    s(&pid),
                    V::I(2),
                    s("closed"),
                    s(&payload),
                    s(&officer.id),
                    s(officer.role.as_str()),
                    s(&closed_at),
                    s(&hash),
                    s(closing_hash),
                ]);
            }
            let (record, rule, days, role, start) = if unit_stage {
                let rid = new_id();
                let state = match stage {
                    "transferred" | "assigned" => "sent",
                    "reviewing" | "awaiting_closure" => "reported",
                    _ => "done",
                };
                records.push(vec![
                    s(&rid),
                    s(&bureau.id),
                    s(&pid),
                    s(unit),
                    s(if stage == "transferred" {
                        "transfer"
                    } else {
                        "assignment"
                    }),
                    V::I(1),
                    s(state),
                    s(&decided_at),
                    s(&decided_at),
                ]);
                dispositions.push(vec![
                    s(new_id()),
                    s(&bureau.id),
                    s(&pid),
                    s(if stage == "transferred" {
                        "transfer"
                    } else {
                        "assignment"
                    }),
                    s(&officer.id),
                    s(&officer.id),
                    s(&decided_at),
                ]);
                if reported {
                    let report_id = new_id();
                    let submitted = ts(from_local(
                        report_day.and_hms_opt(11, 0, 0).context("time")?,
                    ));
                    reports.push(vec![
                        s(&report_id),
                        s(&bureau.id),
                        s(&pid),
                        s(&rid),
                        s(unit),
                        s("经核实，情况属实，已依法处理。"),
                        s("support"),
                        s("已书面答复信访人。"),
                        s(report_day.to_string()),
                        V::I(1),
                        s(""),
                        s(""),
                        s("单位负责人"),
                        s(&officer.id),
                        s(&submitted),
                    ]);
                    reviews.push(vec![
                        s(new_id()),
                        s(&bureau.id),
                        s(&pid),
                        s(&report_id),
                        s("[]"),
                        s("pass"),
                        s(""),
                        s(&officer.id),
                        s(&submitted),
                    ]);
                }
                (Some(rid), "handle_and_close", 60, "unit", decided_day)
            } else {
                (None, "dispose_visit", 15, "office", day)
            };
            let due = due_date(&cal, start, days, CountingMode::Calendar);
            let running = !finished && !matches!(stage, "reviewing" | "awaiting_closure");
            let created = ts(from_local(start.and_hms_opt(16, 0, 0).context("time")?));
            deadlines.push(vec![
                s(new_id()),
                s(&bureau.id),
                s(&pid),
                V::O(record),
                V::O((role == "unit").then(|| unit.clone())),
                s(role),
                s(rule),
                V::I(1),
                s(start.to_string()),
                V::I(i64::from(days)),
                s("calendar"),
                s(due.to_string()),
                s(if running { "running" } else { "met" }),
                V::O((!running).then(|| created.clone())),
                // Earlier daily scans handled every expiry before yesterday's.
                V::O((running && due < today - chrono::Duration::days(1)).then(|| created.clone())),
                s(&created),
                s(&created),
            ]);
            if reg.out_of_district {
                tasks.push(vec![
                    s(new_id()),
                    s(&bureau.id),
                    s(&pid),
                    s("out_of_district"),
                    s("director"),
                    s(format!("区外来访：{no}，请局负责人阅知")),
                    s(&registered),
                    V::O((age > 7).then(|| registered.clone())),
                ]);
            }
        }
        let mut tx = store.begin().await?;
        for rows in [
            &mut petitions,
            &mut petitioners,
            &mut events,
            &mut records,
            &mut deadlines,
            &mut tasks,
            &mut dispositions,
            &mut reports,
            &mut reviews,
        ] {
            rows.flush(store.backend(), &mut tx).await?;
        }
        // The statistics of the filled petitions are counted by the recount the benchmark
        // times, not batch by batch here.
        sqlx::query("DELETE FROM statistics_pending")
            .execute(&mut **tx)
            .await?;
        tx.commit().await?;
        done += n;
        if done.is_multiple_of(100_000) || done == count {
            println!(
                "  已生成 {done} 件（{:.0} 件/秒）",
                done as f64 / t0.elapsed().as_secs_f64()
            );
        }
    }
    // Later registrations continue the numbering.
    let mut tx = store.begin().await?;
    for ((channel, year), value) in &numbers {
        sqlx::query("INSERT INTO sequences (bureau_id, name, year, value) VALUES ($1, $2, $3, $4)")
            .bind(&bureau.id)
            .bind(format!("petition:{channel}"))
            .bind(i64::from(*year))
            .bind(*value)
            .execute(&mut **tx)
            .await?;
    }
    tx.commit().await?;
    // Fresh statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would give.
    sqlx::query("ANALYZE").execute(store.pool()).await?;
    // Sealed, as the periodic checkpoint keeps a running system: otherwise the server's first
    // checkpoint seals every chain at once during the measurement.
    store.checkpoint(&bureau.id, chrono::Utc::now()).await?;
    println!(
        "生成 {count} 件用时 {:.1} 秒（登记日期 {first} 至 {today}）",
        t0.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}

/// The page kinds measured, with their share of a staff member's page views (per cent).
const KINDS: &[(&str, u32)] = &[
    ("home", 15),
    ("list", 15),
    ("list_page", 10),
    ("search", 15),
    ("petition", 30),
    ("queue", 15),
];

/// Words staff search for: words of the generator's matters and a common surname. A rare term
/// (a full name) reads the whole table — `LIKE '%…%'` has no index — and is timed apart, see
/// docs/performance.md.
const KEYWORDS: &[&str] = &[
    "物业",
    "养老",
    "征地",
    "医疗",
    "低保",
    "宅基地",
    "工资",
    "学校",
    "供暖",
    "停车",
    "王",
];

/// The sign-ins used, in turn: the bureau's working roles and each unit's handler and head.
fn roster() -> Vec<String> {
    let mut r: Vec<String> = [
        "receptionist",
        "letter_clerk",
        "case_officer",
        "office",
        "deputy_director",
        "director",
        "inspector",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for code in crate::cli::demo::DEMO_UNITS.iter().map(|u| u.0) {
        r.push(format!("{code}_handler"));
        r.push(format!("{code}_head"));
    }
    r
}

struct Sample {
    kind: &'static str,
    took: Duration,
    ok: bool,
}

/// Petitions each sign-in may open: bureau staff any non-confidential one, unit staff those
/// their unit handles. Drawn from the database once, before the server starts.
async fn petition_ids(cfg: &Config) -> anyhow::Result<HashMap<String, Vec<String>>> {
    let store = xinfang_app::context::open_store(cfg).await?;
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT p.id, u.code FROM petitions p LEFT JOIN handling_records h ON h.petition_id = p.id LEFT JOIN units u ON u.id = h.unit_id WHERE p.confidential = 0 AND p.accused_unit_id IS NULL ORDER BY random() LIMIT 50000",
    )
    .fetch_all(store.pool())
    .await?;
    store.close().await;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (id, unit) in rows {
        out.entry(unit.unwrap_or_default())
            .or_default()
            .push(id.clone());
        out.entry("*".into()).or_default().push(id);
    }
    Ok(out)
}

pub async fn run(mut cfg: Config, args: &BenchArgs) -> anyhow::Result<()> {
    if cfg.database_url.is_none() {
        cfg.data_dir = cfg.data_dir.join(format!("bench-load-{}", args.petitions));
    }
    let today = local_date(chrono::Utc::now());
    if !args.reuse {
        if cfg.database_url.is_none() && cfg.data_dir.exists() {
            std::fs::remove_dir_all(&cfg.data_dir)?;
        }
        println!("生成 {} 件信访件……", args.petitions);
        fill(&cfg, args.petitions, today).await?;
    }
    let ids = Arc::new(petition_ids(&cfg).await?);
    let listen = format!("127.0.0.1:{}", args.port);
    let mut child = crate::cli::bench::spawn_serve(&cfg, &listen)?;
    let pid = child.id();
    // Whatever happens, the load stops on its own a little after the planned duration.
    let limit = Duration::from_secs(args.duration_s + 120);
    let result = match tokio::time::timeout(limit, simulate(&listen, pid, args, ids)).await {
        Ok(r) => r,
        Err(_) => Err(anyhow::anyhow!("负载测试超时，已停止")),
    };
    let _ = child.kill();
    let _ = child.wait();
    result
}

async fn simulate(
    listen: &str,
    pid: u32,
    args: &BenchArgs,
    ids: Arc<HashMap<String, Vec<String>>>,
) -> anyhow::Result<()> {
    let base = format!("http://{listen}");
    let probe = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..600 {
        if let Ok(r) = probe.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !ready {
        bail!("服务未能启动");
    }
    let staff = args.staff.max(1);
    let roster = roster();
    // Sign in every session first (two at a time: each is a password hash on the server).
    let mut clients = Vec::with_capacity(staff);
    let sem = Arc::new(tokio::sync::Semaphore::new(2));
    let mut logins = Vec::new();
    for i in 0..staff {
        let username = roster[i % roster.len()].clone();
        let base = base.clone();
        let sem = sem.clone();
        logins.push(tokio::spawn(async move {
            let _permit = sem.acquire().await?;
            let client = reqwest::Client::builder().cookie_store(true).build()?;
            let r = client
                .post(format!("{base}/login"))
                .form(&[
                    ("username", username.as_str()),
                    ("password", crate::cli::demo::DEMO_PASSWORD),
                    ("next", "/"),
                ])
                .send()
                .await?;
            if !r.status().is_success() || r.url().path() == "/login" {
                bail!("{username} 登录失败：{}", r.status());
            }
            Ok::<_, anyhow::Error>((username, client))
        }));
    }
    for l in logins {
        clients.push(l.await??);
    }
    println!(
        "{staff} 个会话已登录（{} 个账号轮流），思考时间 {} ms ±50%，持续 {} 秒",
        roster.len().min(staff),
        args.think_ms,
        args.duration_s
    );
    let (rss0, _) = crate::cli::bench::rss_of(pid).unwrap_or((0, 0));
    let start = Instant::now();
    let end = start + Duration::from_secs(args.duration_s);
    let think = args.think_ms;
    let mut tasks = Vec::new();
    for (i, (username, client)) in clients.into_iter().enumerate() {
        let base = base.clone();
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(1000 + i as u64);
            let unit = username
                .strip_suffix("_handler")
                .or_else(|| username.strip_suffix("_head"))
                .map(str::to_string);
            let pool: &[String] = match &unit {
                Some(u) => ids.get(u).map(Vec::as_slice).unwrap_or(&[]),
                None => ids.get("*").map(Vec::as_slice).unwrap_or(&[]),
            };
            let mut samples = Vec::new();
            // Staff arrive spread over one think time, not all in the same instant.
            if think > 0 {
                tokio::time::sleep(Duration::from_millis(rng.random_range(0..think))).await;
            }
            while Instant::now() < end {
                let mut roll = rng.random_range(0..100u32);
                let kind = KINDS
                    .iter()
                    .find(|(_, w)| {
                        if roll < *w {
                            true
                        } else {
                            roll -= w;
                            false
                        }
                    })
                    .map(|(k, _)| *k)
                    .unwrap_or("home");
                let path = match kind {
                    "home" => "/".to_string(),
                    "list" => "/petitions".to_string(),
                    "list_page" => format!("/petitions?offset={}", 50 * rng.random_range(1..=5)),
                    "search" => format!(
                        "/petitions?q={}",
                        crate::http::auth::urlencode(KEYWORDS[rng.random_range(0..KEYWORDS.len())])
                    ),
                    "petition" if !pool.is_empty() => {
                        format!("/petitions/{}", pool[rng.random_range(0..pool.len())])
                    }
                    "petition" => "/petitions".to_string(),
                    _ => format!(
                        "/queues?kind={}",
                        if rng.random_bool(0.5) {
                            "due_soon"
                        } else {
                            "overdue"
                        }
                    ),
                };
                let t = Instant::now();
                let ok = match client.get(format!("{base}{path}")).send().await {
                    Ok(r) => {
                        let status = r.status();
                        r.bytes().await.is_ok() && status.is_success()
                    }
                    Err(_) => false,
                };
                samples.push(Sample {
                    kind,
                    took: t.elapsed(),
                    ok,
                });
                if think > 0 {
                    let pause = rng.random_range(think / 2..=think + think / 2);
                    let left = end.saturating_duration_since(Instant::now());
                    tokio::time::sleep(Duration::from_millis(pause).min(left)).await;
                }
            }
            samples
        }));
    }
    // The server's memory, sampled while the load runs.
    let sampler = tokio::spawn(async move {
        let mut peak = 0u64;
        while Instant::now() < end {
            if let Some((rss, _)) = crate::cli::bench::rss_of(pid) {
                peak = peak.max(rss);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        peak
    });
    let mut all: Vec<Sample> = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let peak_sampled = sampler.await?;
    let failed = all.iter().filter(|s| !s.ok).count();
    println!(
        "{} 个请求，{:.1} 秒，{:.1} 请求/秒，失败 {failed}",
        all.len(),
        elapsed,
        all.len() as f64 / elapsed
    );
    for (kind, _) in KINDS {
        let d: Vec<Duration> = all
            .iter()
            .filter(|s| s.kind == *kind)
            .map(|s| s.took)
            .collect();
        crate::cli::bench::report_pub(kind, d);
    }
    crate::cli::bench::report_pub("all pages", all.iter().map(|s| s.took).collect());
    if let Some((rss, hwm)) = crate::cli::bench::rss_of(pid) {
        println!(
            "xinfang serve 常驻内存：登录后 {:.1} MB，负载中最高 {:.1} MB，结束时 {:.1} MB，进程峰值 {:.1} MB",
            rss0 as f64 / 1024.0,
            peak_sampled as f64 / 1024.0,
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
    }
    if failed * 100 > all.len() {
        bail!("超过 1% 的请求失败（{failed} 个）");
    }
    Ok(())
}
