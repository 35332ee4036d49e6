//! The deployment's settings: built-in defaults, then the configuration file
//! (`/etc/xinfang/xinfang.toml`, or `--config` / `XINFANG_CONFIG`), then the environment
//! (`XINFANG_<NAME>`, and `DATABASE_URL`), then the command line's explicit flags. Each layer
//! overrides the one before it. `xinfang check-config` shows the result and explains every
//! problem in Chinese, naming the setting and where its value came from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::error::Kind;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize};

use xinfang_app::context::Config;
use xinfang_domain::public::RatingScale;
use xinfang_domain::role::Role;

/// Where the configuration file is looked for when none is named.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/xinfang/xinfang.toml";

/// Every setting, under the name it has in the file (and, upper-cased after `XINFANG_`, in
/// the environment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The SQLite database, and the files unless `blob_url` says otherwise.
    pub data_dir: PathBuf,
    /// `postgres://user@host/db` runs on PostgreSQL; empty: the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// `s3://bucket/prefix` (credentials and endpoint from `AWS_*`) for files every instance
    /// shares, or `file:///path`; empty: `<data_dir>/blobs`.
    pub blob_url: Option<String>,
    /// The S3 store's options, as a table in the file: `aws_endpoint`, `aws_region`,
    /// `aws_access_key_id`, `aws_secret_access_key`, `aws_allow_http` … (object_store's names;
    /// the `AWS_*` variables fill the rest).
    pub blob_options: std::collections::BTreeMap<String, String>,
    /// The address `xinfang serve` listens on.
    pub listen: String,
    /// Directories with the bureau's licensed fonts; in the environment separated by `:`.
    #[serde(deserialize_with = "paths")]
    pub font_dirs: Vec<PathBuf>,
    /// A directory whose document templates override the built-in ones.
    pub template_dir: Option<PathBuf>,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Minutes without a request after which a session ends (1–1440).
    pub idle_minutes: i64,
    /// A session's absolute lifetime in hours (1–72).
    pub session_hours: i64,
    /// Minutes between the checkpoints that seal the event history (1–1440).
    pub checkpoint_minutes: u64,
    /// Database connections per instance (1–200).
    pub max_connections: u32,
    /// The largest scanned file accepted, in MB (1–200).
    pub max_scan_mb: u32,
    /// The day the statistical month starts (1: the natural month; 21: from the 21st to the
    /// 20th). Quarters, halves and the year are made of statistical months.
    pub statistics_month_start: u32,
    /// How often units report on the matters transferred to them (V5.1, L4.3): month,
    /// quarter, half or year (statistical periods), or off.
    pub transfer_report_every: String,
    /// Days after a reporting period's end by which the units' reports are due (1–60).
    pub transfer_report_due_days: u32,
    /// The bureau created on the first start of an empty database.
    #[serde(deserialize_with = "text")]
    pub bureau_name: String,
    /// Its GB/T 2260 county-level region code.
    #[serde(deserialize_with = "text")]
    pub bureau_region: String,
    /// Its 机关代字, as in 某信〔2026〕12号.
    #[serde(deserialize_with = "text")]
    pub organ_code: String,
    /// 全宗号: the fonds number the archives authority gave the bureau, first part of every
    /// 档号.
    #[serde(deserialize_with = "text")]
    pub archive_fonds: String,
    /// The offline machine's age public key (`age1pq1…` or `age1…`): confidential dossiers moved
    /// off the network are encrypted to it. Empty: no move possible until it is set.
    pub offline_recipient: String,
    /// The role whose queue online petitions land in (letter_clerk, receptionist, office or
    /// case_officer).
    pub online_intake_role: String,
    /// Days after the handling opinion's delivery within which it may be rated (1–365).
    pub rating_window_days: u32,
    /// The rating scale, best first: `等级:类别` pairs, the class satisfied, neutral or
    /// dissatisfied.
    pub rating_scale: String,
    /// The public site's address as petitioners reach it (`https://…/public`), quoted in
    /// messages.
    pub public_base_url: String,
    /// Take a public caller's address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// The SMS gateway: each message is POSTed as JSON `{"to", "text"}`.
    pub sms_gateway_url: Option<String>,
    /// Sent to the SMS gateway as `Authorization: Bearer …`.
    pub sms_gateway_token: Option<String>,
    /// The mail server: `smtp://[user:password@]host[:port]` (STARTTLS when offered) or
    /// `smtps://…`.
    pub smtp_url: Option<String>,
    /// The sender of e-mail to petitioners.
    pub smtp_from: String,
    /// Where `serve` writes its daily and monthly backups; empty: no scheduled backups.
    pub backup_dir: Option<PathBuf>,
    /// The age public keys (`age1…`) every backup is encrypted to; in the environment
    /// separated by `,` or spaces.
    #[serde(deserialize_with = "words")]
    pub backup_recipients: Vec<String>,
    /// The age private key file that reads backups back (the check after each scheduled one,
    /// `backup verify`, `restore`).
    pub backup_identity: Option<PathBuf>,
    /// Daily backups kept (1–365).
    pub backup_keep_daily: u32,
    /// Monthly backups kept (1–120).
    pub backup_keep_monthly: u32,
    /// The hour (China Standard Time, 0–23) from which the day's backup is made.
    pub backup_hour: u32,
}

impl Default for Settings {
    fn default() -> Self {
        let c = Config::default();
        Settings {
            data_dir: c.data_dir,
            database_url: None,
            blob_url: None,
            blob_options: Default::default(),
            listen: "127.0.0.1:8080".into(),
            font_dirs: Vec::new(),
            template_dir: None,
            secure_cookies: c.secure_cookies,
            idle_minutes: c.idle_minutes,
            session_hours: c.session_hours,
            checkpoint_minutes: c.checkpoint_minutes,
            max_connections: c.max_connections,
            max_scan_mb: u32::try_from(c.max_scan_bytes / (1024 * 1024)).unwrap_or(20),
            statistics_month_start: c.statistics_month_start,
            transfer_report_every: c
                .transfer_reports
                .map(|s| s.every.as_str())
                .unwrap_or("off")
                .into(),
            transfer_report_due_days: c.transfer_reports.map(|s| s.due_days).unwrap_or(10),
            bureau_name: "信访局".into(),
            bureau_region: "652302".into(),
            organ_code: "信".into(),
            archive_fonds: c.archive_fonds,
            offline_recipient: String::new(),
            online_intake_role: c.online_intake_role.as_str().into(),
            rating_window_days: c.rating_window_days,
            rating_scale: xinfang_domain::public::DEFAULT_RATING_SCALE.into(),
            public_base_url: String::new(),
            trust_forwarded_for: false,
            sms_gateway_url: None,
            sms_gateway_token: None,
            smtp_url: None,
            smtp_from: c.smtp_from,
            backup_dir: c.backup.dir,
            backup_recipients: c.backup.recipients,
            backup_identity: c.backup.identity,
            backup_keep_daily: c.backup.keep_daily,
            backup_keep_monthly: c.backup.keep_monthly,
            backup_hour: c.backup.hour,
        }
    }
}

/// The settings' names, as the file and the environment spell them.
pub const KEYS: [&str; 37] = [
    "data_dir",
    "database_url",
    "blob_url",
    "blob_options",
    "listen",
    "font_dirs",
    "template_dir",
    "secure_cookies",
    "idle_minutes",
    "session_hours",
    "checkpoint_minutes",
    "max_connections",
    "max_scan_mb",
    "statistics_month_start",
    "transfer_report_every",
    "transfer_report_due_days",
    "bureau_name",
    "bureau_region",
    "organ_code",
    "archive_fonds",
    "offline_recipient",
    "online_intake_role",
    "rating_window_days",
    "rating_scale",
    "public_base_url",
    "trust_forwarded_for",
    "sms_gateway_url",
    "sms_gateway_token",
    "smtp_url",
    "smtp_from",
    "backup_dir",
    "backup_recipients",
    "backup_identity",
    "backup_keep_daily",
    "backup_keep_monthly",
    "backup_hour",
    // Not a setting: the file's own path, read before the file.
    "config",
];

/// Text that the environment may have read as a number (`XINFANG_BUREAU_REGION=652302`).
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        I(i64),
        U(u64),
    }
    Ok(match Text::deserialize(d)? {
        Text::S(s) => s,
        Text::I(i) => i.to_string(),
        Text::U(u) => u.to_string(),
    })
}

/// A list of directories: an array in the file, `a:b` in the environment.
fn paths<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Paths {
        List(Vec<PathBuf>),
        Joined(String),
    }
    Ok(match Paths::deserialize(d)? {
        Paths::List(v) => v,
        Paths::Joined(s) => s
            .split(':')
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from)
            .collect(),
    })
}

/// A list of words: an array in the file, `a,b` or `a b` in the environment.
fn words<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Words {
        List(Vec<String>),
        Joined(String),
    }
    Ok(match Words::deserialize(d)? {
        Words::List(v) => v,
        Words::Joined(s) => s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

/// One thing wrong with the settings, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The setting (`idle_minutes`), or empty for the file as a whole.
    pub key: String,
    /// What is wrong and what to do, in Chinese, with where the value came from.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}：{}", self.key, self.message)
        }
    }
}

/// The settings as loaded, and which file (if any) they were read from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    pub file: Option<PathBuf>,
}

/// The file named (it must exist), or the default one if it is there.
fn config_file(named: Option<&Path>) -> Result<Option<PathBuf>, Problem> {
    match named {
        Some(p) if p.is_file() => Ok(Some(p.to_path_buf())),
        Some(p) => Err(Problem {
            key: String::new(),
            message: format!(
                "找不到配置文件 {}（由 --config 或 XINFANG_CONFIG 指定）",
                p.display()
            ),
        }),
        None => {
            let p = PathBuf::from(DEFAULT_CONFIG_FILE);
            Ok(p.is_file().then_some(p))
        }
    }
}

fn expected_zh(expected: &str) -> &'static str {
    let e = expected.to_ascii_lowercase();
    if e.contains("bool") {
        "true 或 false"
    } else if e.contains("int") || e.contains("u32") || e.contains("u64") || e.contains("i64") {
        "整数"
    } else if e.contains("seq") || e.contains("list") || e.contains("array") {
        "列表（如 [\"/path/a\", \"/path/b\"]）"
    } else if e.contains("string") || e.contains("path") {
        "文字（加引号）"
    } else {
        "其他类型"
    }
}

/// Figment's errors, in Chinese, each naming the setting and where the value came from.
fn explain(err: figment::Error) -> Vec<Problem> {
    err.into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let from = match &e.metadata {
                Some(m) if m.name.contains("environment") => {
                    let prefix = if m.name.contains("XINFANG_") {
                        "XINFANG_"
                    } else {
                        ""
                    };
                    format!("（来自环境变量 {prefix}{}）", key.to_uppercase())
                }
                Some(m) => match &m.source {
                    Some(s) => format!("（来自 {s}）"),
                    None => String::new(),
                },
                None => String::new(),
            };
            let message = match &e.kind {
                Kind::UnknownField(field, _) => {
                    return Problem {
                        key: field.clone(),
                        message: format!(
                            "没有这个设置项{from}；可用的设置项：{}",
                            KEYS[..KEYS.len() - 1].join("、")
                        ),
                    };
                }
                Kind::InvalidType(actual, expected) => format!(
                    "类型不对：应为{}，实际是 {actual}{from}",
                    expected_zh(expected)
                ),
                Kind::InvalidValue(actual, expected) => {
                    format!("取值 {actual} 无效（应为 {expected}）{from}")
                }
                Kind::Message(m) => format!("配置文件无法解析：{m}{from}"),
                other => format!("{other}{from}"),
            };
            Problem { key, message }
        })
        .collect()
}

/// Reads the layers below the command line. Problems in the file or the environment are all
/// reported, not just the first.
pub fn load(named: Option<&Path>) -> Result<Loaded, Vec<Problem>> {
    let file = config_file(named).map_err(|p| vec![p])?;
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    if let Some(f) = &file {
        figment = figment.merge(Toml::file_exact(f));
    }
    let keys: Vec<&str> = KEYS[..KEYS.len() - 1].to_vec();
    figment = figment
        .merge(Env::prefixed("XINFANG_").only(&keys))
        .merge(Env::raw().only(&["database_url"]));
    // Serde stops at the first problem: look at every key first, so that all are reported.
    let mut problems = Vec::new();
    if let Ok(all) = figment.extract::<figment::value::Dict>() {
        // Only the file can hold other keys: the environment is read for known names only.
        let from = file
            .as_ref()
            .map(|f| format!("（来自 {}）", f.display()))
            .unwrap_or_default();
        for k in all.keys().filter(|k| !KEYS.contains(&k.as_str())) {
            problems.push(Problem {
                key: k.clone(),
                message: format!(
                    "没有这个设置项{from}；可用的设置项：{}",
                    KEYS[..KEYS.len() - 1].join("、")
                ),
            });
        }
    }
    macro_rules! each {
        ($($key:literal: $t:ty),* $(,)?) => {
            $(
                if let Err(e) = figment.extract_inner::<$t>($key) {
                    if !matches!(e.kind, Kind::MissingField(_)) {
                        problems.extend(explain(e));
                    }
                }
            )*
        };
    }
    each!(
        "data_dir": PathBuf,
        "listen": String,
        "secure_cookies": bool,
        "idle_minutes": i64,
        "session_hours": i64,
        "checkpoint_minutes": u64,
        "max_connections": u32,
        "max_scan_mb": u32,
        "statistics_month_start": u32,
        "transfer_report_due_days": u32,
        "rating_window_days": u32,
        "trust_forwarded_for": bool,
        "backup_keep_daily": u32,
        "backup_keep_monthly": u32,
        "backup_hour": u32,
    );
    if !problems.is_empty() {
        return Err(problems);
    }
    let settings: Settings = figment.extract().map_err(explain)?;
    Ok(Loaded { settings, file })
}

fn range<T: PartialOrd + std::fmt::Display + Copy>(
    problems: &mut Vec<Problem>,
    key: &str,
    v: T,
    lo: T,
    hi: T,
    unit: &str,
) {
    if v < lo || v > hi {
        problems.push(Problem {
            key: key.into(),
            message: format!("应在 {lo} 至 {hi} {unit}之间，当前为 {v}"),
        });
    }
}

/// What the values say, checked as the server would need them. Empty: ready to serve.
pub fn validate(s: &Settings) -> Vec<Problem> {
    let mut p = Vec::new();
    let mut push = |key: &str, message: String| {
        p.push(Problem {
            key: key.into(),
            message,
        })
    };
    if s.listen.parse::<SocketAddr>().is_err() {
        push(
            "listen",
            format!(
                "「{}」不是监听地址，应为 IP:端口，如 127.0.0.1:8080",
                s.listen
            ),
        );
    }
    if let Some(u) = s.database_url.as_deref().filter(|u| !u.trim().is_empty())
        && !(u.starts_with("postgres://")
            || u.starts_with("postgresql://")
            || u.starts_with("sqlite:"))
    {
        push(
            "database_url",
            "应以 postgres:// 开头（PostgreSQL），或留空使用内置 SQLite".into(),
        );
    }
    if let Some(u) = s.blob_url.as_deref().filter(|u| !u.trim().is_empty())
        && let Err(e) = check_blob_url(u)
    {
        push("blob_url", e);
    }
    if s.data_dir.as_os_str().is_empty() {
        push("data_dir", "不能为空".into());
    } else if s.data_dir.exists() && !s.data_dir.is_dir() {
        push(
            "data_dir",
            format!("{} 已存在但不是目录", s.data_dir.display()),
        );
    }
    for d in &s.font_dirs {
        if !d.is_dir() {
            push("font_dirs", format!("字体目录 {} 不存在", d.display()));
        }
    }
    if let Some(t) = &s.template_dir
        && !t.is_dir()
    {
        push("template_dir", format!("模板目录 {} 不存在", t.display()));
    }
    if let Err(e) = xinfang_domain::region::parse_issue_region(&s.bureau_region) {
        push("bureau_region", e.message);
    }
    if s.bureau_name.trim().is_empty() || s.bureau_name.chars().count() > 50 {
        push("bureau_name", "请填写信访局名称（不超过 50 字）".into());
    }
    if s.organ_code.trim().is_empty() || s.organ_code.chars().count() > 10 {
        push(
            "organ_code",
            "请填写机关代字（如「信」，不超过 10 字）".into(),
        );
    }
    if let Err(e) = xinfang_domain::archive::check_fonds(s.archive_fonds.trim()) {
        push("archive_fonds", e.message);
    }
    if let Err(e) = xinfang_app::archives::offline::check_recipient(&s.offline_recipient) {
        push("offline_recipient", e);
    }
    match Role::parse(s.online_intake_role.trim()) {
        Some(Role::LetterClerk | Role::Receptionist | Role::Office | Role::CaseOfficer) => {}
        _ => push(
            "online_intake_role",
            format!(
                "「{}」不可用：应为 letter_clerk、receptionist、office 或 case_officer",
                s.online_intake_role
            ),
        ),
    }
    if let Err(e) = RatingScale::parse(&s.rating_scale) {
        push("rating_scale", e);
    }
    if let Some(u) = s
        .sms_gateway_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        push("sms_gateway_url", "应以 http:// 或 https:// 开头".into());
    }
    if let Some(u) = s.smtp_url.as_deref().filter(|u| !u.trim().is_empty())
        && !(u.starts_with("smtp://") || u.starts_with("smtps://"))
    {
        push("smtp_url", "应以 smtp:// 或 smtps:// 开头".into());
    }
    if !s.smtp_from.contains('@') {
        push("smtp_from", "应为电子邮箱地址".into());
    }
    range(&mut p, "idle_minutes", s.idle_minutes, 1, 24 * 60, "分钟");
    range(
        &mut p,
        "rating_window_days",
        s.rating_window_days,
        1,
        365,
        "日",
    );
    range(&mut p, "session_hours", s.session_hours, 1, 72, "小时");
    range(
        &mut p,
        "checkpoint_minutes",
        s.checkpoint_minutes,
        1,
        24 * 60,
        "分钟",
    );
    range(&mut p, "max_connections", s.max_connections, 1, 200, "个");
    range(&mut p, "max_scan_mb", s.max_scan_mb, 1, 200, "MB ");
    range(
        &mut p,
        "statistics_month_start",
        s.statistics_month_start,
        1,
        28,
        "日",
    );
    range(
        &mut p,
        "backup_keep_daily",
        s.backup_keep_daily,
        1,
        365,
        "份",
    );
    range(
        &mut p,
        "backup_keep_monthly",
        s.backup_keep_monthly,
        1,
        120,
        "份",
    );
    range(&mut p, "backup_hour", s.backup_hour, 0, 23, "时");
    if let Err(e) = xinfang_domain::transfer_table::ReportSchedule::parse(
        &s.transfer_report_every,
        s.transfer_report_due_days,
    ) {
        p.push(Problem {
            key: e.field.unwrap_or_default(),
            message: e.message,
        });
    }
    p.extend(backup_problems(s));
    p
}

/// The backup settings together: the keys parse, the private key opens what the public keys
/// encrypt, and scheduled backups have what they need.
fn backup_problems(s: &Settings) -> Vec<Problem> {
    use xinfang_app::backup::archive;
    let mut p = Vec::new();
    let mut push = |key: &str, message: String| {
        p.push(Problem {
            key: key.into(),
            message,
        })
    };
    let mut publics = Vec::new();
    for r in &s.backup_recipients {
        match archive::parse_recipient(r) {
            Ok(_) => publics.push(r.trim().to_string()),
            Err(e) => push("backup_recipients", e),
        }
    }
    if let Some(path) = &s.backup_identity {
        match std::fs::read_to_string(path) {
            Err(e) => push(
                "backup_identity",
                format!("无法读取私钥文件 {}：{e}", path.display()),
            ),
            Ok(text) => match archive::parse_identities(&text) {
                Err(e) => push("backup_identity", format!("{}：{e}", path.display())),
                Ok(ids) => {
                    let opens = ids
                        .iter()
                        .any(|i| publics.contains(&archive::public_key(i)));
                    if !publics.is_empty() && !opens {
                        push(
                            "backup_identity",
                            format!(
                                "{} 中的私钥与 backup_recipients 中的任何公钥都不对应：备份将无法解密校验",
                                path.display()
                            ),
                        );
                    }
                }
            },
        }
    }
    if let Some(dir) = &s.backup_dir {
        if dir.exists() && !dir.is_dir() {
            push("backup_dir", format!("{} 已存在但不是目录", dir.display()));
        }
        if s.backup_recipients.is_empty() {
            push(
                "backup_recipients",
                "设置了 backup_dir 就须设置备份公钥（age1…），每份备份都用它加密".into(),
            );
        }
        if s.backup_identity.is_none() {
            push(
                "backup_identity",
                "设置了 backup_dir 就须设置私钥文件：每份自动备份都要解密校验".into(),
            );
        }
    }
    p
}

/// A blob location this version can use, or why not.
fn check_blob_url(u: &str) -> Result<(), String> {
    let u = u.trim();
    if let Some(rest) = u.strip_prefix("s3://") {
        if rest.split('/').next().unwrap_or("").is_empty() {
            return Err("s3:// 后须写存储桶名称，如 s3://xinfang/files".into());
        }
        return Ok(());
    }
    if u.starts_with("file:///") {
        return Ok(());
    }
    Err(format!(
        "「{u}」不是可用的文件存储位置：应为 s3://存储桶/前缀 或 file:///绝对路径"
    ))
}

impl Settings {
    /// The application's configuration from these settings. `system_fonts` are used when no
    /// font directory is configured.
    pub fn config(&self, system_fonts: Vec<PathBuf>) -> Config {
        Config {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone().filter(|u| !u.trim().is_empty()),
            blob_url: self.blob_url.clone().filter(|u| !u.trim().is_empty()),
            blob_options: self
                .blob_options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            font_dirs: if self.font_dirs.is_empty() {
                system_fonts
            } else {
                self.font_dirs.clone()
            },
            template_dir: self.template_dir.clone(),
            secure_cookies: self.secure_cookies,
            idle_minutes: self.idle_minutes.clamp(1, 24 * 60),
            session_hours: self.session_hours.clamp(1, 72),
            checkpoint_minutes: self.checkpoint_minutes.clamp(1, 24 * 60),
            max_connections: self.max_connections.clamp(1, 200),
            max_scan_bytes: self.max_scan_mb.clamp(1, 200) as usize * 1024 * 1024,
            statistics_month_start: self.statistics_month_start.clamp(1, 28),
            transfer_reports: xinfang_domain::transfer_table::ReportSchedule::parse(
                &self.transfer_report_every,
                self.transfer_report_due_days,
            )
            .unwrap_or(Some(
                xinfang_domain::transfer_table::ReportSchedule::DEFAULT,
            )),
            archive_fonds: self.archive_fonds.trim().to_string(),
            offline_recipient: self.offline_recipient.trim().to_string(),
            online_intake_role: Role::parse(self.online_intake_role.trim())
                .unwrap_or(Role::LetterClerk),
            rating_window_days: self.rating_window_days.clamp(1, 365),
            rating_scale: RatingScale::parse(&self.rating_scale).unwrap_or_default(),
            public_base_url: self.public_base_url.trim().to_string(),
            trust_forwarded_for: self.trust_forwarded_for,
            sms_gateway_url: self
                .sms_gateway_url
                .clone()
                .filter(|u| !u.trim().is_empty()),
            sms_gateway_token: self
                .sms_gateway_token
                .clone()
                .filter(|u| !u.trim().is_empty()),
            smtp_url: self.smtp_url.clone().filter(|u| !u.trim().is_empty()),
            smtp_from: self.smtp_from.trim().to_string(),
            backup: xinfang_app::context::BackupConfig {
                dir: self
                    .backup_dir
                    .clone()
                    .filter(|d| !d.as_os_str().is_empty()),
                recipients: self.backup_recipients.clone(),
                identity: self.backup_identity.clone(),
                keep_daily: self.backup_keep_daily.clamp(1, 365),
                keep_monthly: self.backup_keep_monthly.clamp(1, 120),
                hour: self.backup_hour.min(23),
            },
            ..Config::default()
        }
    }

    /// The settings as a TOML file would hold them (`check-config` prints this).
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        let v = serde_json::to_value(self).unwrap_or_default();
        for k in &KEYS[..KEYS.len() - 1] {
            match &v[*k] {
                serde_json::Value::Null => out.push_str(&format!("# {k} = （未设置）\n")),
                serde_json::Value::Object(m) => {
                    // Credentials are not printed.
                    let shown: Vec<String> = m
                        .iter()
                        .map(|(name, val)| {
                            if name.contains("secret") || name.contains("token") {
                                format!("{name} = \"******\"")
                            } else {
                                format!("{name} = {val}")
                            }
                        })
                        .collect();
                    out.push_str(&format!("{k} = {{ {} }}\n", shown.join(", ")));
                }
                serde_json::Value::String(_) if k.contains("token") || *k == "smtp_url" => {
                    out.push_str(&format!("{k} = \"******\"\n"))
                }
                serde_json::Value::String(s) => out.push_str(&format!("{k} = {s:?}\n")),
                other => out.push_str(&format!("{k} = {other}\n")),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("xinfang-{}.toml", uuid::Uuid::new_v4().simple()));
        std::fs::write(&p, text).unwrap();
        p
    }

    // The environment is the process's: these tests only read variables nobody sets.

    #[test]
    fn the_file_overrides_the_defaults_and_lists_can_be_arrays() {
        let p = file("idle_minutes = 45\nbureau_name = \"阜康市信访局\"\nfont_dirs = [\"/tmp\"]\n");
        let l = load(Some(&p)).unwrap();
        assert_eq!(l.settings.idle_minutes, 45);
        assert_eq!(l.settings.bureau_name, "阜康市信访局");
        assert_eq!(l.settings.font_dirs, vec![PathBuf::from("/tmp")]);
        assert_eq!(l.settings.session_hours, Settings::default().session_hours);
        assert_eq!(l.file.as_deref(), Some(p.as_path()));
        assert!(
            validate(&l.settings).is_empty(),
            "{:?}",
            validate(&l.settings)
        );
    }

    #[test]
    fn every_problem_in_the_file_is_explained_in_chinese_with_its_key() {
        let p = file("idle_minutes = \"half an hour\"\nsesion_hours = 8\nmax_connections = -3\n");
        let problems = load(Some(&p)).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("idle_minutes：类型不对：应为整数")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("sesion_hours：没有这个设置项")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with("max_connections：")),
            "{text:?}"
        );
        assert_eq!(problems.len(), 3, "all three, not the first: {text:?}");
        assert!(
            text.iter().all(|t| t.contains(&p.display().to_string())),
            "the file is named: {text:?}"
        );
        let broken = file("idle_minutes = = 3\n");
        let problems = load(Some(&broken)).unwrap_err();
        assert!(
            problems[0].message.contains("配置文件无法解析"),
            "{problems:?}"
        );
        let missing = load(Some(Path::new("/nonexistent/xinfang.toml"))).unwrap_err();
        assert!(missing[0].message.contains("找不到配置文件"));
    }

    #[test]
    fn values_are_checked_as_the_server_needs_them() {
        let s = Settings {
            listen: "localhost".into(),
            database_url: Some("mysql://x".into()),
            blob_url: Some("ftp://files".into()),
            bureau_region: "999999".into(),
            organ_code: String::new(),
            idle_minutes: 0,
            max_scan_mb: 500,
            font_dirs: vec![PathBuf::from("/nonexistent/fonts")],
            ..Settings::default()
        };
        let keys: Vec<String> = validate(&s).into_iter().map(|p| p.key).collect();
        for k in [
            "listen",
            "database_url",
            "blob_url",
            "bureau_region",
            "organ_code",
            "idle_minutes",
            "max_scan_mb",
            "font_dirs",
        ] {
            assert!(keys.iter().any(|x| x == k), "{k} not reported: {keys:?}");
        }
        assert!(check_blob_url("s3://xinfang/files").is_ok());
        assert!(check_blob_url("s3:///files").is_err());
        assert!(check_blob_url("file:///var/lib/xinfang/blobs").is_ok());
    }

    #[test]
    fn backup_settings_are_checked_together_and_explained() {
        let dir =
            std::env::temp_dir().join(format!("xinfang-keys-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let (text, public) = xinfang_app::backup::archive::generate("test");
        let identity = dir.join("key.txt");
        std::fs::write(&identity, text).unwrap();
        let (other_text, other_public) = xinfang_app::backup::archive::generate("test");
        let other = dir.join("other.txt");
        std::fs::write(&other, other_text).unwrap();
        let problems = |s: &Settings| -> Vec<String> {
            validate(s).into_iter().map(|p| p.to_string()).collect()
        };
        // Complete and matching: no problem; the environment's list form is read too.
        let good = Settings {
            backup_dir: Some(dir.join("backups")),
            backup_recipients: vec![public.clone(), other_public],
            backup_identity: Some(identity.clone()),
            ..Settings::default()
        };
        assert!(problems(&good).is_empty(), "{:?}", problems(&good));
        // A directory without keys.
        let p = problems(&Settings {
            backup_dir: Some(dir.join("backups")),
            ..Settings::default()
        });
        assert!(
            p.iter()
                .any(|m| m.starts_with("backup_recipients：设置了 backup_dir")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|m| m.starts_with("backup_identity：设置了 backup_dir")),
            "{p:?}"
        );
        // A key that is not one, a private key that opens none of the public keys, a missing
        // file, a bad hour.
        let p = problems(&Settings {
            backup_recipients: vec!["age1nonsense".into()],
            ..Settings::default()
        });
        assert!(p.iter().any(|m| m.contains("不是 age 公钥")), "{p:?}");
        let p = problems(&Settings {
            backup_recipients: vec![public.clone()],
            backup_identity: Some(other.clone()),
            ..Settings::default()
        });
        assert!(p.iter().any(|m| m.contains("都不对应")), "{p:?}");
        let p = problems(&Settings {
            backup_identity: Some(dir.join("missing.txt")),
            backup_hour: 24,
            backup_keep_daily: 0,
            ..Settings::default()
        });
        assert!(
            p.iter()
                .any(|m| m.starts_with("backup_identity：无法读取私钥文件")),
            "{p:?}"
        );
        assert!(p.iter().any(|m| m.starts_with("backup_hour：")), "{p:?}");
        assert!(
            p.iter().any(|m| m.starts_with("backup_keep_daily：")),
            "{p:?}"
        );
        // In the file: a list; the configuration carries them.
        let f = file(&format!(
            "backup_dir = \"{}\"\nbackup_recipients = [\"{public}\"]\nbackup_keep_monthly = 24\n",
            dir.join("b").display()
        ));
        let l = load(Some(&f)).unwrap();
        let c = l.settings.config(Vec::new());
        assert_eq!(c.backup.recipients, vec![public]);
        assert_eq!(
            (c.backup.keep_daily, c.backup.keep_monthly, c.backup.hour),
            (7, 24, 2)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn settings_become_the_application_configuration() {
        let s = Settings {
            max_scan_mb: 5,
            blob_url: Some(" ".into()),
            ..Settings::default()
        };
        let c = s.config(vec![PathBuf::from("/fonts")]);
        assert_eq!(c.max_scan_bytes, 5 * 1024 * 1024);
        assert_eq!(c.blob_url, None, "blank means the local directory");
        assert_eq!(c.font_dirs, vec![PathBuf::from("/fonts")]);
        assert!(s.to_toml().contains("idle_minutes = 30"));
    }
}
