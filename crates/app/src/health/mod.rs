//! Whether this instance can serve (`/readyz`): the database answers, its schema is the one this
//! binary expects, and the blob store takes writes. Each check says what failed, for the
//! operator; none touches petition data.

use serde::Serialize;

use crate::context::AppState;

/// One check's result: `ok`, or what went wrong.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ready` when every check passed, else `not_ready`.
    pub status: &'static str,
    pub database: String,
    pub migrations: String,
    pub blobs: String,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.status == "ready"
    }
}

/// What `/metrics` reads at scrape time.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    pub pool_connections: u32,
    pub pool_idle: usize,
    /// Seconds since each job last finished, for this bureau.
    pub job_ages: Vec<(String, i64)>,
    pub backups: crate::backup::Gauges,
}

pub async fn gauges(state: &AppState) -> Gauges {
    let (pool_connections, pool_idle) = state.store.pool_stats();
    let now = state.clock.now();
    let job_ages = state
        .store
        .last_finished_jobs(&state.bureau.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(job, at)| {
            xinfang_store::parse_ts(&at)
                .ok()
                .map(|t| (job, (now - t).num_seconds().max(0)))
        })
        .collect();
    Gauges {
        pool_connections,
        pool_idle,
        job_ages,
        backups: crate::backup::gauges(state).await.unwrap_or_default(),
    }
}

pub async fn readiness(state: &AppState) -> Readiness {
    let database = match state.store.ping().await {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("数据库无法访问：{e}"),
    };
    // The public instance's role may not read the schema's version; the staff instance
    // migrates and checks it.
    let migrations = if state.config.public_only {
        "ok".to_string()
    } else {
        match state.store.migrations_current().await {
            Ok(true) => "ok".to_string(),
            Ok(false) => "数据库结构与本程序版本不符：请运行 xinfang migrate".to_string(),
            Err(e) => format!("无法读取数据库结构版本：{e}"),
        }
    };
    let blobs = match state.blobs.check_writable().await {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("文件存储（{}）不可写：{e}", state.blobs.location()),
    };
    let ok = [&database, &migrations, &blobs].iter().all(|c| *c == "ok");
    Readiness {
        status: if ok { "ready" } else { "not_ready" },
        database,
        migrations,
        blobs,
    }
}
