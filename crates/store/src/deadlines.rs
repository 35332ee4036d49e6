//! Deadline rules (versioned, per bureau), the bureau's deadline settings, and stored running
//! deadlines (rules §2). Queues read the partial indexes over running rows: "everything due by
//! X" is one range scan whatever the table's size.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use xinfang_domain::deadline::CountingMode;
use xinfang_domain::deadline_rules::{DeadlineRule, ExpiryAction, default_rules};
use xinfang_domain::supervision::TriggerKind;

use crate::{Result, Store, StoreError, Tx, flag, new_id, ts};

fn mode_str(m: CountingMode) -> &'static str {
    match m {
        CountingMode::Calendar => "calendar",
        CountingMode::Working => "working",
    }
}

pub fn parse_mode(s: &str) -> Option<CountingMode> {
    match s {
        "calendar" => Some(CountingMode::Calendar),
        "working" => Some(CountingMode::Working),
        _ => None,
    }
}

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("date {s}: {e}")))
}

fn rule_from(r: &AnyRow) -> Result<DeadlineRule> {
    let code: String = r.try_get("code")?;
    let mode: String = r.try_get("mode")?;
    let exp: String = r.try_get("on_expiry")?;
    let trig: Option<String> = r.try_get("trigger_kind")?;
    let days: i64 = r.try_get("days")?;
    Ok(DeadlineRule {
        version: r.try_get("version")?,
        name: r.try_get("name")?,
        starts: r.try_get("starts")?,
        days: u32::try_from(days)
            .map_err(|_| StoreError::Corrupt(format!("rule {code} days {days}")))?,
        mode: parse_mode(&mode)
            .ok_or_else(|| StoreError::Corrupt(format!("rule {code} mode {mode}")))?,
        on_expiry: ExpiryAction::parse(&exp)
            .ok_or_else(|| StoreError::Corrupt(format!("rule {code} on_expiry {exp}")))?,
        trigger: match trig {
            Some(t) => Some(
                TriggerKind::parse(&t)
                    .ok_or_else(|| StoreError::Corrupt(format!("rule {code} trigger {t}")))?,
            ),
            None => None,
        },
        responsible: r.try_get("responsible")?,
        pausable: r.try_get::<i64, _>("pausable")? != 0,
        basis: r.try_get("basis")?,
        per_petition: r.try_get::<i64, _>("per_petition")? != 0,
        extendable: r.try_get::<i64, _>("extendable")? != 0,
        code,
    })
}

/// The bureau's deadline settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeadlineSettings {
    pub warning_pct: u8,
    pub alert_pct: u8,
    pub severe_pct: u8,
    pub escalate_after: u32,
    pub due_soon_days: u32,
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        DeadlineSettings {
            warning_pct: 50,
            alert_pct: 75,
            severe_pct: 85,
            escalate_after: xinfang_domain::supervision::DEFAULT_ESCALATE_AFTER,
            due_soon_days: 5,
        }
    }
}

/// A stored deadline.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineRow {
    pub id: String,
    pub bureau_id: String,
    /// None for a routine of the bureau's (a rule not kept per petition).
    pub petition_id: Option<String>,
    pub handling_record_id: Option<String>,
    pub unit_id: Option<String>,
    pub role: String,
    /// The one person whose deadline it is, when not the whole queue's.
    pub assignee_user_id: Option<String>,
    pub rule_code: String,
    pub rule_version: i64,
    pub started_on: NaiveDate,
    pub period_days: u32,
    pub mode: CountingMode,
    pub due_on: NaiveDate,
    pub shortened_by: Option<String>,
    pub extended_days: u32,
    pub extension_reason: Option<String>,
    pub paused_days: u32,
    pub paused_since: Option<NaiveDate>,
    pub state: String,
    pub met_at: Option<String>,
    /// A date the deadline never runs past (the higher organ's; `deadline::capped_due`).
    pub fixed_due: Option<NaiveDate>,
}

impl DeadlineRow {
    pub fn running(&self) -> bool {
        self.state == "running"
    }
    pub fn facts(&self) -> xinfang_domain::deadline_rules::DeadlineFacts {
        xinfang_domain::deadline_rules::DeadlineFacts {
            started_on: self.started_on,
            period_days: self.period_days,
            mode: self.mode,
            extended_days: self.extended_days,
            paused_days: self.paused_days,
            paused_since: self.paused_since,
            due_on: self.due_on,
            running: self.running(),
        }
    }
}

fn u32_of(r: &AnyRow, col: &str) -> Result<u32> {
    let v: i64 = r.try_get(col)?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("deadline {col} {v}")))
}

pub fn deadline_from(r: &AnyRow) -> Result<DeadlineRow> {
    let mode: String = r.try_get("mode")?;
    let started: String = r.try_get("started_on")?;
    let due: String = r.try_get("due_on")?;
    let paused: Option<String> = r.try_get("paused_since")?;
    Ok(DeadlineRow {
        id: r.try_get("id")?,
        bureau_id: r.try_get("bureau_id")?,
        petition_id: r.try_get("petition_id")?,
        handling_record_id: r.try_get("handling_record_id")?,
        unit_id: r.try_get("unit_id")?,
        role: r.try_get("role")?,
        assignee_user_id: r.try_get("assignee_user_id")?,
        rule_code: r.try_get("rule_code")?,
        rule_version: r.try_get("rule_version")?,
        started_on: date(&started)?,
        period_days: u32_of(r, "period_days")?,
        mode: parse_mode(&mode)
            .ok_or_else(|| StoreError::Corrupt(format!("deadline mode {mode}")))?,
        due_on: date(&due)?,
        shortened_by: r.try_get("shortened_by")?,
        extended_days: u32_of(r, "extended_days")?,
        extension_reason: r.try_get("extension_reason")?,
        paused_days: u32_of(r, "paused_days")?,
        paused_since: paused.as_deref().map(date).transpose()?,
        state: r.try_get("state")?,
        met_at: r.try_get("met_at")?,
        fixed_due: {
            let f: Option<String> = r.try_get("fixed_due")?;
            f.as_deref().map(date).transpose()?
        },
    })
}

/// A new running deadline (the due date already computed from its rule).
#[derive(Debug, Clone)]
pub struct NewDeadline<'a> {
    pub bureau_id: &'a str,
    pub petition_id: Option<&'a str>,
    pub handling_record_id: Option<&'a str>,
    pub unit_id: Option<&'a str>,
    pub role: &'a str,
    pub assignee_user_id: Option<&'a str>,
    pub rule_code: &'a str,
    pub rule_version: i64,
    pub started_on: NaiveDate,
    pub period_days: u32,
    pub mode: CountingMode,
    pub due_on: NaiveDate,
    pub fixed_due: Option<NaiveDate>,
}

/// Which running deadlines a queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Due on or before this day (inclusive).
    pub due_by: Option<NaiveDate>,
    /// Due on or after this day (inclusive).
    pub due_from: Option<NaiveDate>,
    pub role: Option<String>,
    pub unit_id: Option<String>,
    pub limit: i64,
}

/// One line of a queue: the deadline with its petition's number, confidentiality and unit name.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub deadline: DeadlineRow,
    pub petition_no: String,
    pub channel: String,
    pub stage: String,
    pub confidential: bool,
    pub unit_name: Option<String>,
    pub rule_name: String,
}

/// Counts per unit for the periodic circulars.
#[derive(Debug, Clone, Serialize)]
pub struct UnitCounts {
    pub unit_id: String,
    pub unit_name: String,
    pub running: i64,
    pub overdue: i64,
    pub supervision_open: i64,
}

impl Store {
    /// Gives a new bureau the shipped rules (version 1) and the default settings.
    pub async fn seed_deadline_rules(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for r in default_rules() {
            self.insert_deadline_rule(tx, bureau_id, &r, None, now)
                .await?;
        }
        let s = DeadlineSettings::default();
        sqlx::query(
            "INSERT INTO deadline_settings (bureau_id, warning_pct, alert_pct, severe_pct, escalate_after, due_soon_days, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        )
        .bind(bureau_id)
        .bind(i64::from(s.warning_pct))
        .bind(i64::from(s.alert_pct))
        .bind(i64::from(s.severe_pct))
        .bind(i64::from(s.escalate_after))
        .bind(i64::from(s.due_soon_days))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Inserts one version of a rule (the caller picks the version number).
    pub async fn insert_deadline_rule(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        r: &DeadlineRule,
        user_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by, extendable) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(bureau_id)
        .bind(&r.code)
        .bind(r.version)
        .bind(&r.name)
        .bind(&r.starts)
        .bind(i64::from(r.days))
        .bind(mode_str(r.mode))
        .bind(r.on_expiry.as_str())
        .bind(r.trigger.map(|t| t.as_str()))
        .bind(&r.responsible)
        .bind(flag(r.pausable))
        .bind(&r.basis)
        .bind(flag(r.per_petition))
        .bind(ts(now))
        .bind(user_id)
        .bind(flag(r.extendable))
        .execute(&mut **tx)
        .await
        .map_err(crate::conflict_if_unique)?;
        Ok(())
    }

    /// The current (highest) version of every rule, in the shipped order.
    pub async fn deadline_rules(&self, bureau_id: &str) -> Result<Vec<DeadlineRule>> {
        let rows = sqlx::query(
            "SELECT r.* FROM deadline_rules r WHERE r.bureau_id = $1 AND r.version = (SELECT MAX(x.version) FROM deadline_rules x WHERE x.bureau_id = r.bureau_id AND x.code = r.code)",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        let mut rules: Vec<DeadlineRule> = rows.iter().map(rule_from).collect::<Result<_>>()?;
        let order: Vec<String> = default_rules().into_iter().map(|r| r.code).collect();
        rules.sort_by_key(|r| {
            (
                order
                    .iter()
                    .position(|c| *c == r.code)
                    .unwrap_or(usize::MAX),
                r.code.clone(),
            )
        });
        Ok(rules)
    }

    /// One rule: its current version, or the given one.
    pub async fn deadline_rule(
        &self,
        bureau_id: &str,
        code: &str,
        version: Option<i64>,
    ) -> Result<DeadlineRule> {
        let row = match version {
            Some(v) => sqlx::query("SELECT * FROM deadline_rules WHERE bureau_id = $1 AND code = $2 AND version = $3")
                .bind(bureau_id)
                .bind(code)
                .bind(v)
                .fetch_optional(self.pool())
                .await?,
            None => sqlx::query("SELECT * FROM deadline_rules WHERE bureau_id = $1 AND code = $2 ORDER BY version DESC LIMIT 1")
                .bind(bureau_id)
                .bind(code)
                .fetch_optional(self.pool())
                .await?,
        };
        row.as_ref()
            .map(rule_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Every version of a rule, newest first.
    pub async fn deadline_rule_versions(
        &self,
        bureau_id: &str,
        code: &str,
    ) -> Result<Vec<DeadlineRule>> {
        let rows = sqlx::query(
            "SELECT * FROM deadline_rules WHERE bureau_id = $1 AND code = $2 ORDER BY version DESC",
        )
        .bind(bureau_id)
        .bind(code)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(rule_from).collect()
    }

    pub async fn deadline_settings(&self, bureau_id: &str) -> Result<DeadlineSettings> {
        let row = sqlx::query("SELECT * FROM deadline_settings WHERE bureau_id = $1")
            .bind(bureau_id)
            .fetch_optional(self.pool())
            .await?;
        let Some(r) = row else {
            return Ok(DeadlineSettings::default());
        };
        let get = |c: &str| -> Result<i64> { Ok(r.try_get::<i64, _>(c)?) };
        let pct =
            |v: i64| u8::try_from(v).map_err(|_| StoreError::Corrupt(format!("threshold {v}")));
        Ok(DeadlineSettings {
            warning_pct: pct(get("warning_pct")?)?,
            alert_pct: pct(get("alert_pct")?)?,
            severe_pct: pct(get("severe_pct")?)?,
            escalate_after: u32::try_from(get("escalate_after")?).unwrap_or(3),
            due_soon_days: u32::try_from(get("due_soon_days")?).unwrap_or(5),
        })
    }

    pub async fn save_deadline_settings(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        s: &DeadlineSettings,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO deadline_settings (bureau_id, warning_pct, alert_pct, severe_pct, escalate_after, due_soon_days, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (bureau_id) DO UPDATE SET warning_pct = excluded.warning_pct, alert_pct = excluded.alert_pct, severe_pct = excluded.severe_pct, escalate_after = excluded.escalate_after, due_soon_days = excluded.due_soon_days, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(bureau_id)
        .bind(i64::from(s.warning_pct))
        .bind(i64::from(s.alert_pct))
        .bind(i64::from(s.severe_pct))
        .bind(i64::from(s.escalate_after))
        .bind(i64::from(s.due_soon_days))
        .bind(ts(now))
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Stores a running deadline; returns its id.
    pub async fn insert_deadline(
        &self,
        tx: &mut Tx,
        d: &NewDeadline<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        Self::write_deadline(tx, &id, d, now, "").await?;
        Ok(id)
    }

    /// Stores a routine's deadline for its period (no petition) unless the period has one
    /// already — the bureau's, or with `unit_id` the unit's; returns its id when stored here.
    pub async fn insert_routine_deadline(
        &self,
        tx: &mut Tx,
        d: &NewDeadline<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let id = new_id();
        let routine = NewDeadline {
            petition_id: None,
            handling_record_id: None,
            ..d.clone()
        };
        let stored = Self::write_deadline(
            tx,
            &id,
            &routine,
            now,
            if routine.unit_id.is_some() {
                " ON CONFLICT (bureau_id, rule_code, unit_id, started_on) WHERE petition_id IS NULL AND unit_id IS NOT NULL DO NOTHING"
            } else {
                " ON CONFLICT (bureau_id, rule_code, started_on) WHERE petition_id IS NULL AND unit_id IS NULL DO NOTHING"
            },
        )
        .await?;
        Ok(stored.then_some(id))
    }

    /// The one INSERT of a running deadline; `on_conflict` is a fixed clause. Whether it stored.
    async fn write_deadline(
        tx: &mut Tx,
        id: &str,
        d: &NewDeadline<'_>,
        now: DateTime<Utc>,
        on_conflict: &'static str,
    ) -> Result<bool> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO deadlines (id, bureau_id, petition_id, handling_record_id, unit_id, role, rule_code, rule_version, started_on, period_days, mode, due_on, extended_days, paused_days, state, created_at, updated_at, fixed_due, assignee_user_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, 0, 'running', $13, $14, $15, $16){on_conflict}"
        )))
        .bind(id)
        .bind(d.bureau_id)
        .bind(d.petition_id)
        .bind(d.handling_record_id)
        .bind(d.unit_id)
        .bind(d.role)
        .bind(d.rule_code)
        .bind(d.rule_version)
        .bind(d.started_on.to_string())
        .bind(i64::from(d.period_days))
        .bind(mode_str(d.mode))
        .bind(d.due_on.to_string())
        .bind(ts(now))
        .bind(ts(now))
        .bind(d.fixed_due.map(|f| f.to_string()))
        .bind(d.assignee_user_id)
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// The routines' deadlines (those of no petition) due on or after `since`, latest first.
    pub async fn routine_deadlines(
        &self,
        bureau_id: &str,
        since: NaiveDate,
    ) -> Result<Vec<DeadlineRow>> {
        let rows = sqlx::query(
            "SELECT * FROM deadlines WHERE bureau_id = $1 AND petition_id IS NULL AND (state = 'running' OR due_on >= $2) ORDER BY due_on DESC, rule_code",
        )
        .bind(bureau_id)
        .bind(since.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(deadline_from).collect()
    }

    pub async fn deadline(&self, bureau_id: &str, id: &str) -> Result<DeadlineRow> {
        let row = sqlx::query("SELECT * FROM deadlines WHERE bureau_id = $1 AND id = $2")
            .bind(bureau_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(deadline_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Reads a deadline inside a transaction (for the check-then-write of a change).
    pub async fn deadline_in(&self, tx: &mut Tx, bureau_id: &str, id: &str) -> Result<DeadlineRow> {
        let row = sqlx::query("SELECT * FROM deadlines WHERE bureau_id = $1 AND id = $2")
            .bind(bureau_id)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        row.as_ref()
            .map(deadline_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// The running deadlines matching (petition, handling record, rule) inside a transaction.
    pub async fn running_deadlines_in(
        &self,
        tx: &mut Tx,
        petition_id: &str,
        handling_record_id: Option<&str>,
        rule_code: Option<&str>,
    ) -> Result<Vec<DeadlineRow>> {
        let mut sql =
            String::from("SELECT * FROM deadlines WHERE petition_id = $1 AND state = 'running'");
        let mut args = vec![petition_id.to_string()];
        if let Some(h) = handling_record_id {
            args.push(h.to_string());
            sql.push_str(&format!(" AND handling_record_id = ${}", args.len()));
        }
        if let Some(c) = rule_code {
            args.push(c.to_string());
            sql.push_str(&format!(" AND rule_code = ${}", args.len()));
        }
        sql.push_str(" ORDER BY due_on");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &args {
            q = q.bind(a);
        }
        let rows = q.fetch_all(&mut **tx).await?;
        rows.iter().map(deadline_from).collect()
    }

    /// All deadlines of a petition, running first, by due date.
    pub async fn deadlines_of(&self, petition_id: &str) -> Result<Vec<DeadlineRow>> {
        let rows = sqlx::query(
            "SELECT * FROM deadlines WHERE petition_id = $1 ORDER BY CASE WHEN state = 'running' THEN 0 ELSE 1 END, due_on, created_at",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(deadline_from).collect()
    }

    /// The earliest running deadline of each of the given petitions (for list badges).
    pub async fn earliest_running(&self, petition_ids: &[String]) -> Result<Vec<DeadlineRow>> {
        if petition_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=petition_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT * FROM deadlines WHERE state = 'running' AND petition_id IN ({}) ORDER BY petition_id, due_on",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in petition_ids {
            q = q.bind(p);
        }
        let rows = q.fetch_all(self.pool()).await?;
        let mut out: Vec<DeadlineRow> = Vec::new();
        for r in &rows {
            let d = deadline_from(r)?;
            if out.last().is_none_or(|l| l.petition_id != d.petition_id) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Stops a running deadline: `met` or `cancelled`. Returns whether it was running.
    pub async fn stop_deadline(
        &self,
        tx: &mut Tx,
        id: &str,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let r = sqlx::query("UPDATE deadlines SET state = $1, met_at = $2, updated_at = $3 WHERE id = $4 AND state = 'running'")
            .bind(state)
            .bind(ts(now))
            .bind(ts(now))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Writes the counting facts after an extension, a shorter period, a pause or a resume. The
    /// `expected_due` guard makes a concurrent change fail with `Conflict` instead of being lost.
    #[allow(clippy::too_many_arguments)]
    /// Running deadlines whose count runs through `year` (started on or before its last day,
    /// due on or after its first), for recomputing them when its notice is entered.
    pub async fn running_deadlines_through_year(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        year: i32,
    ) -> Result<Vec<DeadlineRow>> {
        let rows = sqlx::query(
            "SELECT * FROM deadlines WHERE bureau_id = $1 AND state = 'running' AND started_on <= $2 AND due_on >= $3 ORDER BY petition_id, id",
        )
        .bind(bureau_id)
        .bind(format!("{year:04}-12-31"))
        .bind(format!("{year:04}-01-01"))
        .fetch_all(&mut **tx)
        .await?;
        rows.iter().map(deadline_from).collect()
    }

    pub async fn update_deadline_counting(
        &self,
        tx: &mut Tx,
        d: &DeadlineRow,
        expected_due: NaiveDate,
        expected_extended: u32,
        expected_paused: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE deadlines SET period_days = $1, due_on = $2, shortened_by = $3, extended_days = $4, extension_reason = $5, paused_days = $6, paused_since = $7, updated_at = $8 \
             WHERE id = $9 AND state = 'running' AND due_on = $10 AND extended_days = $11 AND COALESCE(paused_since, '') = $12",
        )
        .bind(i64::from(d.period_days))
        .bind(d.due_on.to_string())
        .bind(&d.shortened_by)
        .bind(i64::from(d.extended_days))
        .bind(&d.extension_reason)
        .bind(i64::from(d.paused_days))
        .bind(d.paused_since.map(|x| x.to_string()))
        .bind(ts(now))
        .bind(&d.id)
        .bind(expected_due.to_string())
        .bind(i64::from(expected_extended))
        .bind(expected_paused.map(|x| x.to_string()).unwrap_or_default())
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// A queue: running deadlines in a due-date range, optionally for one role or one unit,
    /// earliest first. One range scan of a partial index over the running rows.
    pub async fn deadline_queue(&self, bureau_id: &str, f: &QueueFilter) -> Result<Vec<QueueRow>> {
        let mut sql = String::from(
            "SELECT d.*, p.petition_no, p.channel, p.stage, p.confidential, u.name AS unit_name, \
             (SELECT r.name FROM deadline_rules r WHERE r.bureau_id = d.bureau_id AND r.code = d.rule_code AND r.version = d.rule_version) AS rule_name \
             FROM deadlines d JOIN petitions p ON p.id = d.petition_id LEFT JOIN units u ON u.id = d.unit_id \
             WHERE d.state = 'running'",
        );
        let mut args: Vec<String> = Vec::new();
        let mut push = |cond: &str, v: String, sql: &mut String| {
            args.push(v);
            sql.push_str(&cond.replace('?', &format!("${}", args.len())));
        };
        match &f.unit_id {
            // The unit index leads with unit_id; the bureau is implied by the unit.
            Some(u) => push(" AND d.unit_id = ?", u.clone(), &mut sql),
            None => push(" AND d.bureau_id = ?", bureau_id.to_string(), &mut sql),
        }
        if f.unit_id.is_some() {
            push(" AND d.bureau_id = ?", bureau_id.to_string(), &mut sql);
        }
        if let Some(r) = &f.role {
            push(" AND d.role = ?", r.clone(), &mut sql);
        }
        if let Some(d) = f.due_by {
            push(" AND d.due_on <= ?", d.to_string(), &mut sql);
        }
        if let Some(d) = f.due_from {
            push(" AND d.due_on >= ?", d.to_string(), &mut sql);
        }
        sql.push_str(&format!(
            " ORDER BY d.due_on, d.id LIMIT {}",
            f.limit.clamp(1, 1000)
        ));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &args {
            q = q.bind(a);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(QueueRow {
                    deadline: deadline_from(r)?,
                    petition_no: r.try_get("petition_no")?,
                    channel: r.try_get("channel")?,
                    stage: r.try_get("stage")?,
                    confidential: r.try_get::<i64, _>("confidential")? != 0,
                    unit_name: r.try_get("unit_name")?,
                    rule_name: r
                        .try_get::<Option<String>, _>("rule_name")?
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The daily scan's query: running deadlines past their due date whose expiry has not been
    /// handled yet, with their rule's `on_expiry` and trigger. One range scan of the partial index
    /// `deadlines_expiry_scan`; paused deadlines wait.
    pub async fn expired_unhandled_deadlines(
        &self,
        bureau_id: &str,
        today: NaiveDate,
        limit: i64,
    ) -> Result<Vec<(DeadlineRow, String, Option<String>)>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT d.*, r.on_expiry, r.trigger_kind FROM deadlines d JOIN deadline_rules r ON r.bureau_id = d.bureau_id AND r.code = d.rule_code AND r.version = d.rule_version \
             WHERE d.bureau_id = $1 AND d.state = 'running' AND d.expiry_handled_at IS NULL AND d.due_on < $2 AND d.paused_since IS NULL \
             ORDER BY d.due_on, d.id LIMIT {}",
            limit.clamp(1, 100_000)
        )))
        .bind(bureau_id)
        .bind(today.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    deadline_from(r)?,
                    r.try_get::<String, _>("on_expiry")?,
                    r.try_get::<Option<String>, _>("trigger_kind")?,
                ))
            })
            .collect()
    }

    /// Records that the scan handled a deadline's expiry (idempotent).
    pub async fn mark_expiry_handled(
        &self,
        tx: &mut Tx,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE deadlines SET expiry_handled_at = $1 WHERE id = $2 AND expiry_handled_at IS NULL")
            .bind(ts(now))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// How many running deadlines fall due in a range (for the digest), optionally of one role.
    pub async fn count_running(
        &self,
        bureau_id: &str,
        due_from: Option<NaiveDate>,
        due_by: Option<NaiveDate>,
    ) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM deadlines WHERE bureau_id = $1 AND state = 'running' AND petition_id IS NOT NULL AND due_on >= $2 AND due_on <= $3",
        )
        .bind(bureau_id)
        .bind(due_from.map(|d| d.to_string()).unwrap_or_else(|| "0000-01-01".into()))
        .bind(due_by.map(|d| d.to_string()).unwrap_or_else(|| "9999-12-31".into()))
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// Supervision items by state, counted.
    pub async fn count_items(&self, bureau_id: &str, state: &str) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM supervision_items WHERE bureau_id = $1 AND state = $2",
        )
        .bind(bureau_id)
        .bind(state)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// Counts of running and overdue deadlines and open supervision items per unit.
    pub async fn unit_counts(&self, bureau_id: &str, today: NaiveDate) -> Result<Vec<UnitCounts>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, \
             (SELECT COUNT(*) FROM deadlines d WHERE d.unit_id = u.id AND d.state = 'running') AS running, \
             (SELECT COUNT(*) FROM deadlines d WHERE d.unit_id = u.id AND d.state = 'running' AND d.due_on < $1) AS overdue, \
             (SELECT COUNT(*) FROM supervision_items s WHERE s.unit_id = u.id AND s.state <> 'resolved') AS supervision_open \
             FROM units u WHERE u.bureau_id = $2 ORDER BY u.code",
        )
        .bind(today.to_string())
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UnitCounts {
                    unit_id: r.try_get("id")?,
                    unit_name: r.try_get("name")?,
                    running: r.try_get("running")?,
                    overdue: r.try_get("overdue")?,
                    supervision_open: r.try_get("supervision_open")?,
                })
            })
            .collect()
    }

    /// Claims a scheduled job's run for a period: true when this instance should run it — it
    /// created the row, or it took over a run whose lease (started before `stale_before`)
    /// expired without finishing (a crashed instance).
    pub async fn claim_job(
        &self,
        job: &str,
        bureau_id: &str,
        period: &str,
        instance: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<bool> {
        let inserted = sqlx::query(
            "INSERT INTO job_runs (job, bureau_id, period, instance, started_at, attempts) VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (job, bureau_id, period) DO NOTHING",
        )
        .bind(job)
        .bind(bureau_id)
        .bind(period)
        .bind(instance)
        .bind(ts(now))
        .execute(self.pool())
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(true);
        }
        let taken = sqlx::query(
            "UPDATE job_runs SET instance = $1, started_at = $2, attempts = attempts + 1 WHERE job = $3 AND bureau_id = $4 AND period = $5 AND finished_at IS NULL AND started_at < $6",
        )
        .bind(instance)
        .bind(ts(now))
        .bind(job)
        .bind(bureau_id)
        .bind(period)
        .bind(ts(stale_before))
        .execute(self.pool())
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    pub async fn finish_job(
        &self,
        job: &str,
        bureau_id: &str,
        period: &str,
        instance: &str,
        result: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE job_runs SET finished_at = $1, result = $2 WHERE job = $3 AND bureau_id = $4 AND period = $5 AND instance = $6")
            .bind(ts(now))
            .bind(result.to_string())
            .bind(job)
            .bind(bureau_id)
            .bind(period)
            .bind(instance)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The stored result of a finished job run (the daily digest's figures).
    pub async fn job_result(
        &self,
        job: &str,
        bureau_id: &str,
        period: &str,
    ) -> Result<Option<serde_json::Value>> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT result FROM job_runs WHERE job = $1 AND bureau_id = $2 AND period = $3",
        )
        .bind(job)
        .bind(bureau_id)
        .bind(period)
        .fetch_optional(self.pool())
        .await?;
        Ok(row
            .and_then(|r| r.0)
            .and_then(|s| serde_json::from_str(&s).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::Bureau;

    /// A bureau created before migration 0007 gets the shipped rules from the migration, and
    /// they are exactly what `insert_bureau` seeds for a bureau created later.
    #[tokio::test]
    async fn deadline_rules_migration_seeds_existing_bureaus_with_the_shipped_rules() {
        let dir = std::env::temp_dir().join(format!("xinfang-store-{}", crate::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        let store = Store::connect(&url, 1).await.unwrap();
        let earlier = dir.join("migrations");
        std::fs::create_dir_all(&earlier).unwrap();
        for entry in
            std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"))
                .unwrap()
        {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().to_string();
            if name.as_str() < "0007" {
                std::fs::copy(entry.path(), earlier.join(&name)).unwrap();
            }
        }
        let before = sqlx::migrate::Migrator::new(earlier.as_path())
            .await
            .unwrap();
        before.run(store.pool()).await.unwrap();
        let now = Utc::now();
        sqlx::query("INSERT INTO bureaus (id, code, name, organ_code, region_code, workday_end, created_at) VALUES ('old', 'old', '旧局', '旧信', '652302', '17:30', $1)")
            .bind(ts(now))
            .execute(store.pool())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        assert_eq!(store.deadline_rules("old").await.unwrap(), default_rules());
        assert_eq!(
            store.deadline_settings("old").await.unwrap(),
            DeadlineSettings::default()
        );
        let b = Bureau {
            id: "new".into(),
            code: "new".into(),
            name: "新局".into(),
            organ_code: "新信".into(),
            region_code: "652302".into(),
            workday_end: "17:30".into(),
        };
        let mut tx = store.begin().await.unwrap();
        store.insert_bureau(&mut tx, &b, now).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.deadline_rules("new").await.unwrap(), default_rules());
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
