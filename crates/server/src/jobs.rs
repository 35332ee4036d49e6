//! Jobs that run inside `xinfang serve`. A checkpoint seals the heads of all event chains; it is
//! idempotent (no new checkpoint when nothing changed), so several instances may run it.
//!
//! The daily deadline scan (supervision triggers, rules §5) and digest run exactly once per day
//! and bureau across all instances on one database: an instance runs a day's scan only if it
//! claims the day's `job_runs` row (INSERT … ON CONFLICT DO NOTHING), or takes over a claim left
//! unfinished for longer than the lease by a crashed instance. The scan itself is idempotent
//! (each trigger is raised once, by its unique key), so a run repeated after a crash is safe.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use xinfang_app::clock::local_date;
use xinfang_app::context::AppState;

/// The job name of the daily deadline scan in `job_runs`.
pub use xinfang_app::supervision::DEADLINE_SCAN;
/// How often an instance looks whether the day's scan is still to run.
const SCAN_POLL: Duration = Duration::from_secs(300);
/// How often an instance picks up a changed dictionary and indexes what is missing or stale.
const INDEX_POLL: Duration = Duration::from_secs(30);
/// Petitions indexed per round of the upkeep, between which requests get the database.
const INDEX_BATCH: usize = 500;
/// A claim not finished after this long is taken to be from a crashed instance.
const LEASE_MINUTES: i64 = 30;
/// A backup's claim: a large bureau's backup and its verification take longer than a scan.
const BACKUP_LEASE_HOURS: i64 = 6;

/// This process's name in `job_runs`.
pub fn instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| format!("{}-{}", std::process::id(), &xinfang_store::new_id()[24..]))
}

/// Claims `job` for `period` for this instance: the first claim wins, and one left unfinished
/// for longer than `lease` (a crashed instance's) is taken over.
async fn claim(
    state: &AppState,
    job: &str,
    period: &str,
    instance: &str,
    lease: chrono::Duration,
) -> anyhow::Result<bool> {
    let now = state.clock.now();
    Ok(state
        .store
        .claim_job(job, &state.bureau.id, period, instance, now, now - lease)
        .await?)
}

/// Records a claimed run finished, with its result.
async fn finish(
    state: &AppState,
    job: &str,
    period: &str,
    instance: &str,
    result: &serde_json::Value,
) -> anyhow::Result<()> {
    Ok(state
        .store
        .finish_job(
            job,
            &state.bureau.id,
            period,
            instance,
            result,
            state.clock.now(),
        )
        .await?)
}

/// Runs the daily scan and digest if this instance claims today's run. Returns the scan's
/// result when it ran here, `None` when another instance has it.
pub async fn run_daily(
    state: &AppState,
    instance: &str,
) -> anyhow::Result<Option<xinfang_app::supervision::ScanResult>> {
    let now = state.clock.now();
    let day = local_date(now);
    let period = day.to_string();
    let claimed = claim(
        state,
        DEADLINE_SCAN,
        &period,
        instance,
        chrono::Duration::minutes(LEASE_MINUTES),
    )
    .await?;
    if !claimed {
        return Ok(None);
    }
    let result = xinfang_app::supervision::scan(state, day)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    // The repeat lookup's word counts, once a day (a rebuild counts them too).
    if let Err(e) = xinfang_app::search::count_terms(state).await {
        tracing::warn!(error = ?e, "counting the search index's words failed");
    }
    finish(
        state,
        DEADLINE_SCAN,
        &period,
        instance,
        &serde_json::to_value(&result)?,
    )
    .await?;
    Ok(Some(result))
}

/// After the end of the working day (the bureau's `workday_end`, China Standard Time), makes the
/// day's incomplete entries tasks for those who registered them (V1.3); a day missed while no
/// instance ran is caught up the next day. Once per day and bureau across instances.
pub async fn run_end_of_day(state: &AppState, instance: &str) -> anyhow::Result<Option<usize>> {
    let now = state.clock.now();
    let local = xinfang_app::clock::local(now);
    let today = local.date();
    let end = chrono::NaiveTime::parse_from_str(&state.bureau.workday_end, "%H:%M")
        .unwrap_or_else(|_| chrono::NaiveTime::from_hms_opt(17, 30, 0).unwrap_or_default());
    let mut days = vec![today.pred_opt().unwrap_or(today)];
    if local.time() >= end {
        days.push(today);
    }
    let mut made = None;
    for day in days {
        let period = day.to_string();
        let job = xinfang_app::intake::COMPLETENESS_JOB;
        let claimed = claim(
            state,
            job,
            &period,
            instance,
            chrono::Duration::minutes(LEASE_MINUTES),
        )
        .await?;
        if !claimed {
            continue;
        }
        let n = xinfang_app::intake::open_completeness_tasks(state, day)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        finish(
            state,
            job,
            &period,
            instance,
            &serde_json::json!({ "tasks": n }),
        )
        .await?;
        made = Some(made.unwrap_or(0) + n);
    }
    Ok(made)
}

/// From the configured hour of the day (China Standard Time): the month's backup if it is still
/// to be made, then the day's, each claimed once across instances, made, verified, recorded and
/// pruned (`backup::take_scheduled`); and a task when a whole day passed with none. Returns the
/// backups made here.
pub async fn run_backups(
    state: &AppState,
    instance: &str,
) -> anyhow::Result<Vec<xinfang_store::backup::BackupRow>> {
    use xinfang_app::backup::{self, Kind};
    let mut made = Vec::new();
    if !backup::scheduled(state) {
        return Ok(made);
    }
    let now = state.clock.now();
    let local = xinfang_app::clock::local(now);
    if chrono::Timelike::hour(&local) < state.config.backup.hour {
        return Ok(made);
    }
    let today = local.date();
    backup::check_missing(state, today)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    for (job, kind, period) in [
        (
            backup::MONTHLY_JOB,
            Kind::Monthly,
            today.format("%Y-%m").to_string(),
        ),
        (backup::DAILY_JOB, Kind::Daily, today.to_string()),
    ] {
        let claimed = claim(
            state,
            job,
            &period,
            instance,
            chrono::Duration::hours(BACKUP_LEASE_HOURS),
        )
        .await?;
        if !claimed {
            continue;
        }
        let row = backup::take_scheduled(state, kind, &period)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        finish(
            state,
            job,
            &period,
            instance,
            &serde_json::json!({"backup_id": row.id, "verification": row.verification}),
        )
        .await?;
        made.push(row);
    }
    Ok(made)
}

/// Picks up a dictionary changed on any instance, then indexes the petitions whose document is
/// missing (a database from before search) or was cut with another dictionary. Idempotent, so
/// several instances may run it.
pub async fn index_upkeep(state: &AppState) -> anyhow::Result<usize> {
    xinfang_app::search::reload(state)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    xinfang_app::search::refresh_leftovers(state)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut total = 0;
    loop {
        let n = xinfang_app::search::reindex_some(state, INDEX_BATCH)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        total += n;
        if n < INDEX_BATCH {
            break;
        }
        tokio::task::yield_now().await;
    }
    if total > 0 {
        tracing::info!(petitions = total, "search index brought up to date");
        xinfang_app::search::count_terms(state)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    Ok(total)
}

/// How often an instance takes in what the public side submitted and sends due messages.
const PUBLIC_POLL: Duration = Duration::from_secs(5);

/// One round of the public side's upkeep: submissions and ratings taken in, due messages sent.
pub async fn public_upkeep(
    state: &AppState,
    gateways: &crate::gateways::Gateways,
) -> anyhow::Result<()> {
    let taken = xinfang_app::public::take_in(state)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if taken != Default::default() {
        tracing::info!(
            petitions = taken.petitions,
            appeals = taken.appeals,
            ratings = taken.ratings,
            "public submissions taken in"
        );
    }
    xinfang_app::outbox::send_due(state, gateways)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(())
}

pub fn spawn(state: Arc<AppState>) {
    let public_state = state.clone();
    tokio::spawn(async move {
        let state = public_state;
        let gateways = crate::gateways::Gateways::from_config(&state.config);
        let mut tick = tokio::time::interval(PUBLIC_POLL);
        loop {
            tick.tick().await;
            if let Err(e) = public_upkeep(&state, &gateways).await {
                tracing::warn!(error = %e, "public side upkeep failed");
            }
        }
    });
    let every = Duration::from_secs(state.config.checkpoint_minutes.max(1) * 60);
    let checkpoint_state = state.clone();
    tokio::spawn(async move {
        let state = checkpoint_state;
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match state
                .store
                .checkpoint(&state.bureau.id, state.clock.now())
                .await
            {
                Ok(Some(seq)) => tracing::info!(seq, "event chains sealed"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
            }
        }
    });
    let index_state = state.clone();
    tokio::spawn(async move {
        let state = index_state;
        let mut tick = tokio::time::interval(INDEX_POLL);
        loop {
            tick.tick().await;
            if let Err(e) = index_upkeep(&state).await {
                tracing::warn!(error = %e, "search index upkeep failed");
            }
        }
    });
    let backup_state = state.clone();
    tokio::spawn(async move {
        let state = backup_state;
        let mut tick = tokio::time::interval(SCAN_POLL);
        loop {
            tick.tick().await;
            match run_backups(&state, instance_id()).await {
                Ok(made) => {
                    for b in made {
                        tracing::info!(kind = %b.kind, file = %b.file, verification = %b.verification, "backup made")
                    }
                }
                Err(e) => tracing::warn!(error = %e, "scheduled backup failed"),
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SCAN_POLL);
        loop {
            tick.tick().await;
            match run_daily(&state, instance_id()).await {
                Ok(Some(r)) => {
                    tracing::info!(day = %r.day, raised = r.raised, "deadline scan done")
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "deadline scan failed"),
            }
            match run_end_of_day(&state, instance_id()).await {
                Ok(Some(n)) => tracing::info!(tasks = n, "same-day completeness checked"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "same-day completeness failed"),
            }
        }
    });
}
