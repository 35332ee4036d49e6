//! The `xinfang` command line: serve, migrate, demo, user add, audit verify / checkpoint, backup,
//! restore, bench.
//! Demo data, the generator and the benchmarks live under it.

pub mod backup;
pub mod bench;
pub mod demo;
pub mod generate;
pub mod import;
pub mod load;
pub mod search_bench;
pub mod statistics_bench;

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use xinfang_domain::role::Role;
use xinfang_store::Store;
use xinfang_store::people::{Bureau, User};

use xinfang_app::clock::{Clock, SystemClock, local_date};
use xinfang_app::context::{self as app, AppState};

use crate::settings::{Problem, Settings};

#[derive(Parser)]
#[command(
    name = "xinfang",
    version,
    about = "信访业务系统 — letters-and-visits bureau system"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct GlobalArgs {
    /// The configuration file (default /etc/xinfang/xinfang.toml, if present).
    #[arg(long, env = "XINFANG_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Where the SQLite database, issued documents and other files are kept (setting data_dir).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` runs on PostgreSQL instead of the embedded SQLite file (database_url).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Directories with the bureau's licensed fonts (仿宋_GB2312, 方正小标宋 …) (font_dirs).
    #[arg(long = "font-dir", global = true)]
    pub font_dirs: Vec<PathBuf>,
    /// A directory whose document templates override the built-in ones (template_dir).
    #[arg(long, global = true)]
    pub template_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server.
    Serve {
        /// The address to listen on (setting listen).
        #[arg(long)]
        listen: Option<String>,
        /// On an empty database, load the demo bureau first.
        #[arg(long)]
        demo: bool,
        /// Serve only the public site (/public and the public API), with no job; on PostgreSQL
        /// connect as the restricted role (see README).
        #[arg(long)]
        public: bool,
        /// Mark the session cookie Secure (serve behind HTTPS) (secure_cookies).
        #[arg(long)]
        secure_cookies: bool,
        /// Minutes without a request after which a session ends (idle_minutes).
        #[arg(long)]
        idle_minutes: Option<i64>,
        /// A session's absolute lifetime in hours, however busy (session_hours).
        #[arg(long)]
        session_hours: Option<i64>,
        #[command(flatten)]
        bureau: BureauArgs,
    },
    /// Check the configuration (file, environment, flags): show what applies, explain what is
    /// wrong.
    CheckConfig,
    /// Create or upgrade the database schema.
    Migrate,
    /// Load the demo bureau into an empty database.
    Demo {
        /// How many petitions to register.
        #[arg(long, default_value_t = 40)]
        petitions: usize,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Verify or seal the event history.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Back up the database and every file into one encrypted file; verify a backup; make a
    /// backup key.
    Backup(crate::cli::backup::BackupArgs),
    /// Restore a backup into an empty data directory or database.
    Restore {
        file: PathBuf,
        /// The age private key file (default: the setting backup_identity).
        #[arg(long)]
        identity: Option<PathBuf>,
    },
    /// Measure registration latency and memory on generated data (see docs/performance.md).
    Bench(crate::cli::bench::BenchArgs),
    /// Import the bureau's old registers (CSV or Excel) with a progress bar; resumable.
    Import(crate::cli::import::ImportArgs),
    /// The kept statistics: `recount` recomputes them all from the facts, with a progress bar.
    Statistics {
        #[command(subcommand)]
        command: StatisticsCommand,
    },
    /// Rebuild the search index with the current dictionary, with a progress bar.
    Reindex {
        /// Only petitions whose document is missing or was cut with another dictionary.
        #[arg(long)]
        stale: bool,
    },
}

#[derive(Subcommand)]
pub enum StatisticsCommand {
    /// Recompute every petition's kept figures and the day totals from the facts (also run
    /// by start when the figures' definition changed).
    Recount,
}

#[derive(Args, Clone, Default)]
pub struct BureauArgs {
    /// The bureau created on first start when there is none (bureau_name).
    #[arg(long)]
    pub bureau_name: Option<String>,
    /// Its GB/T 2260 region code (bureau_region).
    #[arg(long)]
    pub bureau_region: Option<String>,
    /// Its 机关代字, as in 某信〔2026〕12号 (organ_code).
    #[arg(long)]
    pub organ_code: Option<String>,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from XINFANG_PASSWORD or the first line of stdin.
    Add {
        #[arg(long)]
        username: String,
        /// One of: receptionist, letter_clerk, case_officer, office, deputy_director, director,
        /// inspector, archivist, admin, unit_handler, unit_head.
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: String,
        /// The unit's code, for unit_handler and unit_head.
        #[arg(long)]
        unit: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Recompute every petition's hash chain and every checkpoint.
    Verify,
    /// Seal the current heads of all chains now.
    Checkpoint,
}

/// System CJK fonts used after the bundled ones when no font directory is configured: the
/// bundled Fandol fonts cover GB2312 only, and names often use rarer characters (喆, 堃 …).
const SYSTEM_CJK_FONT_DIRS: &[&str] = &[
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/noto",
];

fn system_fonts() -> Vec<PathBuf> {
    SYSTEM_CJK_FONT_DIRS
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect()
}

/// The settings: defaults, the file, the environment, then the flags given.
pub fn settings(g: &GlobalArgs, serve: Option<&Command>) -> Result<Settings, Vec<Problem>> {
    let mut s = crate::settings::load(g.config.as_deref())?.settings;
    if let Some(d) = &g.data_dir {
        s.data_dir = d.clone();
    }
    if let Some(u) = &g.database_url {
        s.database_url = Some(u.clone());
    }
    if !g.font_dirs.is_empty() {
        s.font_dirs = g.font_dirs.clone();
    }
    if let Some(t) = &g.template_dir {
        s.template_dir = Some(t.clone());
    }
    if let Some(Command::Serve {
        listen,
        secure_cookies,
        idle_minutes,
        session_hours,
        bureau,
        ..
    }) = serve
    {
        if let Some(l) = listen {
            s.listen = l.clone();
        }
        s.secure_cookies |= *secure_cookies;
        if let Some(m) = idle_minutes {
            s.idle_minutes = *m;
        }
        if let Some(h) = session_hours {
            s.session_hours = *h;
        }
        if let Some(n) = &bureau.bureau_name {
            s.bureau_name = n.clone();
        }
        if let Some(r) = &bureau.bureau_region {
            s.bureau_region = r.clone();
        }
        if let Some(o) = &bureau.organ_code {
            s.organ_code = o.clone();
        }
    }
    let problems = crate::settings::validate(&s);
    if problems.is_empty() {
        Ok(s)
    } else {
        Err(problems)
    }
}

fn refuse(problems: Vec<Problem>) -> anyhow::Error {
    let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
    anyhow::anyhow!(
        "配置有误（共 {} 处），请改正后再试（`xinfang check-config` 可检查）：\n{}",
        problems.len(),
        lines.join("\n")
    )
}

/// The deployment's bureau, created from the arguments when the database has none.
pub async fn ensure_bureau(
    store: &Store,
    clock: &dyn Clock,
    args: &Settings,
) -> anyhow::Result<Bureau> {
    if let Some(b) = store.default_bureau().await? {
        return Ok(b);
    }
    xinfang_domain::region::parse_issue_region(&args.bureau_region)
        .map_err(|e| anyhow::anyhow!("--bureau-region: {}", e.message))?;
    let b = Bureau {
        id: xinfang_store::new_id(),
        code: "bureau".into(),
        name: args.bureau_name.clone(),
        organ_code: args.organ_code.clone(),
        region_code: args.bureau_region.clone(),
        workday_end: "17:30".into(),
    };
    let mut tx = store.begin().await?;
    store.insert_bureau(&mut tx, &b, clock.now()).await?;
    tx.commit().await?;
    Ok(b)
}

/// An instance of the public site alone. It does not migrate (on PostgreSQL its role may not;
/// the staff instance does) and reads the bureau through the public role's function.
pub async fn serve_public(
    mut cfg: app::Config,
    clock: Arc<dyn Clock>,
    listen: &str,
) -> anyhow::Result<()> {
    cfg.public_only = true;
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("创建数据目录 {} 失败", cfg.data_dir.display()))?;
    let store = Store::connect(&cfg.database_url(), cfg.max_connections).await?;
    if store.backend() == xinfang_store::Backend::Sqlite {
        // One file, one owner: the embedded database has no roles to keep apart.
        store.migrate().await?;
    }
    let bureau = store
        .public_bureau()
        .await?
        .context("数据库中还没有信访局：请先启动工作人员实例（xinfang serve）完成初始化")?;
    let state = AppState::new(cfg, store, clock, bureau).await?;
    crate::http::serve(Arc::new(state), listen).await
}

pub(crate) async fn existing_bureau(store: &Store) -> anyhow::Result<Bureau> {
    store
        .default_bureau()
        .await?
        .context("数据库中还没有信访局：请先运行 `xinfang serve` 或 `xinfang demo`")
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    if let Command::CheckConfig = cli.command {
        return check_config(&cli.global);
    }
    let settings = settings(&cli.global, Some(&cli.command)).map_err(refuse)?;
    let mut cfg = settings.config(system_fonts());
    match cli.command {
        Command::CheckConfig => Ok(()),
        Command::Serve { demo, public, .. } => {
            cfg.demo = demo;
            if public {
                return serve_public(cfg, clock, &settings.listen).await;
            }
            let store = app::open_store(&cfg).await?;
            let fresh = store.default_bureau().await?.is_none();
            let b = if demo && fresh {
                crate::cli::demo::create_bureau(&store, clock.as_ref(), &cfg.password_policy)
                    .await?
            } else {
                ensure_bureau(&store, clock.as_ref(), &settings).await?
            };
            let state = AppState::new(cfg, store, clock.clone(), b).await?;
            if demo && fresh {
                println!("正在载入演示数据……");
                crate::cli::demo::populate(&state, local_date(clock.now()), 40).await?;
                println!(
                    "演示数据已载入：用户名见 README，密码均为 {}",
                    crate::cli::demo::DEMO_PASSWORD
                );
            }
            if state.store.count_users().await? == 0 {
                println!("尚无用户：请用 `xinfang user add --role admin …` 创建管理员");
            }
            crate::http::serve(Arc::new(state), &settings.listen).await
        }
        Command::Migrate => {
            app::open_store(&cfg).await?;
            println!("数据库结构已是最新");
            Ok(())
        }
        Command::Demo { petitions } => {
            let store = app::open_store(&cfg).await?;
            if store.default_bureau().await?.is_some() {
                bail!("数据库不为空：演示数据只能载入空数据库");
            }
            let b = crate::cli::demo::create_bureau(&store, clock.as_ref(), &cfg.password_policy)
                .await?;
            let state = AppState::new(cfg, store, clock.clone(), b).await?;
            crate::cli::demo::populate(&state, local_date(clock.now()), petitions).await?;
            println!("演示数据已载入（{petitions} 件信访件）");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    name,
                    unit,
                },
        } => {
            let store = app::open_store(&cfg).await?;
            let bureau = ensure_bureau(&store, clock.as_ref(), &settings).await?;
            let role = Role::parse(&role).with_context(|| format!("未知的角色：{role}"))?;
            let unit_id = match (role.is_unit_staff(), unit) {
                (true, Some(code)) => Some(
                    store
                        .unit_by_code(&bureau.id, &code)
                        .await?
                        .with_context(|| format!("没有代码为 {code} 的承办单位"))?
                        .id,
                ),
                (true, None) => bail!("承办单位用户须用 --unit 指定单位代码"),
                (false, Some(_)) => bail!("信访局工作人员不属于承办单位"),
                (false, None) => None,
            };
            let password = match std::env::var("XINFANG_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            if let Err(e) = xinfang_domain::password::check(&password, &username) {
                bail!("{}", e.message);
            }
            if store.user_by_username(&username).await?.is_some() {
                bail!("用户名 {username} 已存在");
            }
            let user = User {
                id: xinfang_store::new_id(),
                bureau_id: bureau.id.clone(),
                username: username.clone(),
                display_name: name,
                role,
                unit_id,
                password_hash: cfg.password_policy.hash(&password)?,
                active: true,
                pending_role: None,
                pending_unit_id: None,
                granted_by: None,
                role_confirmed: true,
                must_set_password: false,
            };
            let mut tx = store.begin().await?;
            store.insert_user(&mut tx, &user, clock.now()).await?;
            store.audit(&mut tx, &bureau.id, None, "user_created", &serde_json::json!({"user_id": user.id, "username": username, "role": role.as_str(), "via": "cli"}), clock.now()).await?;
            tx.commit().await?;
            println!("已创建用户 {username}（{}）", role.label_zh());
            Ok(())
        }
        Command::Audit { command } => {
            let store = app::open_store(&cfg).await?;
            let bureau = existing_bureau(&store).await?;
            match command {
                AuditCommand::Checkpoint => {
                    match store.checkpoint(&bureau.id, clock.now()).await? {
                        Some(seq) => println!("已生成第 {seq} 号封存点"),
                        None => println!("自上次封存以来没有新事件"),
                    }
                    Ok(())
                }
                AuditCommand::Verify => {
                    let report = store.verify(&bureau.id).await?;
                    println!(
                        "已校验 {} 件信访件的 {} 个事件和 {} 个封存点",
                        report.petitions, report.events, report.checkpoints
                    );
                    for f in &report.faults {
                        println!("  ✗ {} #{}：{}", f.petition_id, f.seq, f.problem);
                    }
                    if report.ok() {
                        println!("历史记录完整，未发现篡改");
                        Ok(())
                    } else {
                        bail!("发现 {} 处问题", report.faults.len())
                    }
                }
            }
        }
        Command::Backup(args) => crate::cli::backup::run(cfg, args).await,
        Command::Restore { file, identity } => {
            crate::cli::backup::restore(cfg, &file, identity).await
        }
        Command::Bench(args) => crate::cli::bench::run(cfg, args).await,
        Command::Import(args) => crate::cli::import::run(cfg, clock.clone(), args).await,
        Command::Statistics {
            command: StatisticsCommand::Recount,
        } => {
            let store = app::open_store(&cfg).await?;
            let bureau = existing_bureau(&store).await?;
            let state = AppState::new(cfg, store, clock.clone(), bureau).await?;
            let started = std::time::Instant::now();
            let n = recount_statistics(&state).await?;
            println!(
                "已重新计算 {n} 件信访件的统计数据，用时 {:.1} 秒",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Reindex { stale } => {
            let store = app::open_store(&cfg).await?;
            let bureau = existing_bureau(&store).await?;
            let state = AppState::new(cfg, store, clock.clone(), bureau).await?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} 件 {per_sec} 预计还需 {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let started = std::time::Instant::now();
            let n = xinfang_app::search::reindex(&state, !stale, &|done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.body().message))?;
            bar.finish_and_clear();
            println!(
                "已为 {n} 件信访件重建检索索引（词典版本 {}），用时 {:.1} 秒",
                state.index.segmenter().version(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// Recounts the kept statistics with a progress bar; the petitions recounted.
pub(crate) async fn recount_statistics(state: &AppState) -> anyhow::Result<u64> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 件 {per_sec} 预计还需 {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let n = xinfang_app::statistics::recount_all(state, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.body().message))?;
    bar.finish_and_clear();
    Ok(n)
}

/// `xinfang check-config`: where the settings come from, what applies, and every problem.
fn check_config(g: &GlobalArgs) -> anyhow::Result<()> {
    let file = match crate::settings::load(g.config.as_deref()) {
        Ok(l) => l.file,
        Err(problems) => return Err(refuse(problems)),
    };
    match &file {
        Some(f) => println!("配置文件：{}", f.display()),
        None => println!(
            "配置文件：无（未指定，{} 也不存在）；使用默认值与环境变量",
            crate::settings::DEFAULT_CONFIG_FILE
        ),
    }
    let s = settings(g, None).map_err(refuse)?;
    println!("生效的设置（默认值 < 配置文件 < 环境变量 XINFANG_* < 命令行参数）：");
    print!("{}", s.to_toml());
    println!("配置无误");
    Ok(())
}
