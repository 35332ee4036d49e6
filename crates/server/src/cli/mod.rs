//! The `xinfang` command line: serve, migrate, demo, user add, audit verify / checkpoint, bench.
//! Demo data, the generator and the benchmarks live under it.

pub mod bench;
pub mod demo;
pub mod generate;

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use xinfang_domain::role::Role;
use xinfang_store::Store;
use xinfang_store::people::{Bureau, User};

use xinfang_app::clock::{Clock, SystemClock, local_date};
use xinfang_app::context::{self as app, AppState, Config};

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
    /// Where the SQLite database, issued documents and other files are kept.
    #[arg(long, env = "XINFANG_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// `postgres://…` runs on PostgreSQL instead of the embedded SQLite file.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Directories with the bureau's licensed fonts (仿宋_GB2312, 方正小标宋 …).
    #[arg(
        long = "font-dir",
        env = "XINFANG_FONT_DIRS",
        value_delimiter = ':',
        global = true
    )]
    pub font_dirs: Vec<PathBuf>,
    /// A directory whose document templates override the built-in ones.
    #[arg(long, env = "XINFANG_TEMPLATE_DIR", global = true)]
    pub template_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server.
    Serve {
        #[arg(long, env = "XINFANG_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// On an empty database, load the demo bureau first.
        #[arg(long)]
        demo: bool,
        /// Mark the session cookie Secure (serve behind HTTPS).
        #[arg(long, env = "XINFANG_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Minutes without a request after which a session ends.
        #[arg(long, env = "XINFANG_IDLE_MINUTES", default_value_t = 30)]
        idle_minutes: i64,
        /// A session's absolute lifetime in hours, however busy.
        #[arg(long, env = "XINFANG_SESSION_HOURS", default_value_t = 12)]
        session_hours: i64,
        #[command(flatten)]
        bureau: BureauArgs,
    },
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
    /// Measure registration latency and memory on generated data (see docs/performance.md).
    Bench(crate::cli::bench::BenchArgs),
}

#[derive(Args, Clone)]
pub struct BureauArgs {
    /// The bureau created on first start when there is none.
    #[arg(long, env = "XINFANG_BUREAU_NAME", default_value = "信访局")]
    pub bureau_name: String,
    /// Its GB/T 2260 region code.
    #[arg(long, env = "XINFANG_BUREAU_REGION", default_value = "652302")]
    pub bureau_region: String,
    /// Its 机关代字, as in 某信〔2026〕12号.
    #[arg(long, env = "XINFANG_ORGAN_CODE", default_value = "信")]
    pub organ_code: String,
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

pub fn config(g: &GlobalArgs) -> Config {
    let font_dirs = if g.font_dirs.is_empty() {
        SYSTEM_CJK_FONT_DIRS
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.is_dir())
            .collect()
    } else {
        g.font_dirs.clone()
    };
    Config {
        data_dir: g.data_dir.clone(),
        database_url: g.database_url.clone().filter(|u| !u.is_empty()),
        font_dirs,
        template_dir: g.template_dir.clone(),
        ..Config::default()
    }
}

/// The deployment's bureau, created from the arguments when the database has none.
pub async fn ensure_bureau(
    store: &Store,
    clock: &dyn Clock,
    args: &BureauArgs,
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

async fn existing_bureau(store: &Store) -> anyhow::Result<Bureau> {
    store
        .default_bureau()
        .await?
        .context("数据库中还没有信访局：请先运行 `xinfang serve` 或 `xinfang demo`")
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut cfg = config(&cli.global);
    match cli.command {
        Command::Serve {
            listen,
            demo,
            secure_cookies,
            idle_minutes,
            session_hours,
            bureau,
        } => {
            cfg.secure_cookies = secure_cookies;
            cfg.idle_minutes = idle_minutes.clamp(1, 24 * 60);
            cfg.session_hours = session_hours.clamp(1, 72);
            cfg.demo = demo;
            let store = app::open_store(&cfg).await?;
            let fresh = store.default_bureau().await?.is_none();
            let b = if demo && fresh {
                crate::cli::demo::create_bureau(&store, clock.as_ref(), &cfg.password_policy)
                    .await?
            } else {
                ensure_bureau(&store, clock.as_ref(), &bureau).await?
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
            crate::http::serve(Arc::new(state), &listen).await
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
            let bureau = ensure_bureau(
                &store,
                clock.as_ref(),
                &BureauArgs {
                    bureau_name: "信访局".into(),
                    bureau_region: "652302".into(),
                    organ_code: "信".into(),
                },
            )
            .await?;
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
        Command::Bench(args) => crate::cli::bench::run(cfg, args).await,
    }
}
