//! What statistics read: per petition its registration and the times of what happened to it
//! since, for every registered petition of the bureau up to a day. The counting itself is pure
//! (`domain::statistics`); this module only reads, in four set-wise queries.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::Row;
use xinfang_domain::statistics::{CountedPetition, RatingFact, UnitDeadline, UnitRecord};
use xinfang_domain::words::{Acceptance, Channel, Disposition};

use crate::{Result, Store};

/// One registered petition's fields and times, as stored (timestamps RFC 3339 UTC, dates
/// `YYYY-MM-DD`).
#[derive(Debug, Clone)]
pub struct StatPetition {
    pub id: String,
    pub bureau_id: String,
    pub petition_no: String,
    pub channel: String,
    pub registered_on: String,
    /// People who came, or who signed a letter.
    pub visitor_count: i64,
    pub collective: bool,
    pub joint: bool,
    pub anonymous: bool,
    pub skip_level: bool,
    pub out_of_district: bool,
    pub repeat: bool,
    pub source_kind: String,
    pub township: String,
    pub category: Option<String>,
    pub purpose: Option<String>,
    pub petition_class: Option<String>,
    pub accused_unit_id: Option<String>,
    pub acceptance: Option<String>,
    pub decided_at: Option<String>,
    pub closed_at: Option<String>,
    pub closure_due: Option<String>,
    /// The first day an accepted report's reply reached the petitioner.
    pub rating_eligible_on: Option<String>,
    /// When the first accepted rating was given, and how many were not satisfied.
    pub rated_at: Option<String>,
    pub unsatisfied_ratings: i64,
}

/// A disposition that took effect: petition, way, when.
#[derive(Debug, Clone)]
pub struct StatDisposition {
    pub petition_id: String,
    pub disposition: String,
    pub created_at: String,
}

/// A petition sent to a unit (交办, 转送).
#[derive(Debug, Clone)]
pub struct StatRecord {
    pub petition_id: String,
    pub unit_id: String,
    pub kind: String,
    pub created_at: String,
}

/// A unit's deadline that was not cancelled.
#[derive(Debug, Clone)]
pub struct StatDeadline {
    pub petition_id: String,
    pub unit_id: String,
    pub due_on: String,
    /// When it was met (`met_at`), if it was.
    pub met_at: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct StatisticsRows {
    pub petitions: Vec<StatPetition>,
    pub dispositions: Vec<StatDisposition>,
    pub records: Vec<StatRecord>,
    pub deadlines: Vec<StatDeadline>,
}

/// The deadlines a unit owes that statistics count per unit.
const UNIT_RULES: &str = "('unit_notify_petitioner', 'handling_report', 'handle_and_close')";

impl Store {
    /// Every petition of the bureau registered on or before `to` (not letters only received or
    /// returned unopened), with what happened to it, optionally only those with a record of
    /// `unit_id`.
    pub async fn statistics_rows(
        &self,
        bureau_id: &str,
        to: &str,
        unit_id: Option<&str>,
    ) -> Result<StatisticsRows> {
        let unit_cond = if unit_id.is_some() {
            " AND EXISTS (SELECT 1 FROM handling_records hu WHERE hu.petition_id = p.id AND hu.unit_id = $3)"
        } else {
            ""
        };
        let scope = format!("p.bureau_id = $1 AND p.registered_on <= $2{unit_cond}");
        let mut binds = vec![bureau_id.to_string(), to.to_string()];
        binds.extend(unit_id.map(str::to_string));
        let mut conn = self.pool().acquire().await?;
        statistics_rows_where(&mut conn, &scope, &binds).await
    }
}

/// The facts of the petitions `scope` (a condition on `p`, petitions, with placeholders `$1`…
/// for `binds`) selects, registered ones only.
pub(crate) async fn statistics_rows_where(
    conn: &mut sqlx::AnyConnection,
    scope: &str,
    binds: &[String],
) -> Result<StatisticsRows> {
    let scope = format!("{scope} AND p.stage NOT IN ('received', 'returned_unopened')");
    let query = |sql: String| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b.clone());
        }
        q
    };
    let rows = query(format!(
        "SELECT p.id, p.bureau_id, p.petition_no, p.channel, p.registered_on, p.visitor_count, p.collective, p.anonymous, \
         p.skip_level, p.out_of_district, p.repeat_of, p.source_kind, p.township, p.category, p.purpose, \
         p.petition_class, p.accused_unit_id, p.acceptance, p.decided_at, COALESCE(l.joint, 0) AS joint, COALESCE(l.signatory_count, 0) AS signatories, \
         (SELECT min(e.at) FROM petition_events e WHERE e.petition_id = p.id AND e.kind IN ('closed', 'circular_issued')) AS closed_at, \
         (SELECT max(d.due_on) FROM deadlines d WHERE d.petition_id = p.id AND d.rule_code = 'handle_and_close' AND d.state <> 'cancelled') AS closure_due, \
         (SELECT min(hr.reply_served_on) FROM handling_reports hr WHERE hr.petition_id = p.id AND hr.reply_served_on IS NOT NULL \
           AND (SELECT v.outcome FROM report_reviews v WHERE v.handling_report_id = hr.id ORDER BY v.reviewed_at DESC, v.id DESC LIMIT 1) = 'pass') AS rating_eligible_on, \
         (SELECT min(t.rated_at) FROM ratings t WHERE t.petition_id = p.id AND t.outcome = 'accepted') AS rated_at, \
         (SELECT COUNT(*) FROM ratings t WHERE t.petition_id = p.id AND t.outcome = 'accepted' AND t.class <> 'satisfied') AS unsatisfied_ratings \
         FROM petitions p LEFT JOIN letters l ON l.petition_id = p.id WHERE {scope} ORDER BY p.registered_on, p.id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let flag =
        |r: &sqlx::any::AnyRow, c: &str| -> Result<bool> { Ok(r.try_get::<i64, _>(c)? != 0) };
    let mut out = StatisticsRows::default();
    for r in &rows {
        out.petitions.push(StatPetition {
            id: r.try_get("id")?,
            bureau_id: r.try_get("bureau_id")?,
            petition_no: r.try_get("petition_no")?,
            channel: r.try_get("channel")?,
            registered_on: r.try_get("registered_on")?,
            // A joint letter's persons are its signatories, who may be more than those
            // registered by name.
            visitor_count: r
                .try_get::<i64, _>("visitor_count")?
                .max(r.try_get::<i64, _>("signatories")?),
            collective: flag(r, "collective")?,
            joint: flag(r, "joint")?,
            anonymous: flag(r, "anonymous")?,
            skip_level: flag(r, "skip_level")?,
            out_of_district: flag(r, "out_of_district")?,
            repeat: r.try_get::<Option<String>, _>("repeat_of")?.is_some(),
            source_kind: r.try_get("source_kind")?,
            township: r.try_get("township")?,
            category: r.try_get("category")?,
            purpose: r.try_get("purpose")?,
            petition_class: r.try_get("petition_class")?,
            accused_unit_id: r.try_get("accused_unit_id")?,
            acceptance: r.try_get("acceptance")?,
            decided_at: r.try_get("decided_at")?,
            closed_at: r.try_get("closed_at")?,
            closure_due: r.try_get("closure_due")?,
            rating_eligible_on: r.try_get("rating_eligible_on")?,
            rated_at: r.try_get("rated_at")?,
            unsatisfied_ratings: r.try_get("unsatisfied_ratings")?,
        });
    }
    for r in query(format!(
        "SELECT x.petition_id, x.disposition, x.created_at FROM dispositions x JOIN petitions p ON p.id = x.petition_id \
         WHERE {scope} ORDER BY x.created_at"
    ))
    .fetch_all(&mut *conn)
    .await?
    {
        out.dispositions.push(StatDisposition {
            petition_id: r.try_get("petition_id")?,
            disposition: r.try_get("disposition")?,
            created_at: r.try_get("created_at")?,
        });
    }
    for r in query(format!(
        "SELECT h.petition_id, h.unit_id, h.kind, h.created_at FROM handling_records h JOIN petitions p ON p.id = h.petition_id \
         WHERE {scope} AND h.kind IN ('assignment', 'transfer') ORDER BY h.created_at"
    ))
    .fetch_all(&mut *conn)
    .await?
    {
        out.records.push(StatRecord {
            petition_id: r.try_get("petition_id")?,
            unit_id: r.try_get("unit_id")?,
            kind: r.try_get("kind")?,
            created_at: r.try_get("created_at")?,
        });
    }
    for r in query(format!(
        "SELECT d.petition_id, d.unit_id, d.due_on, CASE WHEN d.state = 'met' THEN d.met_at END AS met_at \
         FROM deadlines d JOIN petitions p ON p.id = d.petition_id \
         WHERE {scope} AND d.unit_id IS NOT NULL AND d.state <> 'cancelled' AND d.rule_code IN {UNIT_RULES} ORDER BY d.due_on"
    ))
    .fetch_all(&mut *conn)
    .await?
    {
        out.deadlines.push(StatDeadline {
            petition_id: r.try_get("petition_id")?,
            unit_id: r.try_get("unit_id")?,
            due_on: r.try_get("due_on")?,
            met_at: r.try_get("met_at")?,
        });
    }
    Ok(out)
}

/// A stored timestamp's local (China Standard Time) day.
fn local_day(ts: &str) -> Option<NaiveDate> {
    crate::parse_ts(ts)
        .ok()
        .map(|t| (t + chrono::Duration::hours(8)).date_naive())
}

fn date_of(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The facts of the stored rows as statistics count them, with the records and deadlines of
/// `unit` only when a unit's figures are counted.
pub fn counted_facts(rows: StatisticsRows, unit: Option<&str>) -> Vec<CountedPetition> {
    let mut dispositions: HashMap<String, Vec<(NaiveDate, Disposition)>> = HashMap::new();
    for d in rows.dispositions {
        if let (Some(on), Some(way)) =
            (local_day(&d.created_at), Disposition::parse(&d.disposition))
        {
            dispositions
                .entry(d.petition_id)
                .or_default()
                .push((on, way));
        }
    }
    let mine = |u: &str| unit.is_none_or(|x| x == u);
    let mut records: HashMap<String, Vec<UnitRecord>> = HashMap::new();
    for r in rows.records.into_iter().filter(|r| mine(&r.unit_id)) {
        if let Some(on) = local_day(&r.created_at) {
            records.entry(r.petition_id).or_default().push(UnitRecord {
                unit_id: r.unit_id,
                kind: r.kind,
                sent_on: on,
            });
        }
    }
    let mut deadlines: HashMap<String, Vec<UnitDeadline>> = HashMap::new();
    for d in rows.deadlines.into_iter().filter(|d| mine(&d.unit_id)) {
        if let Some(due) = date_of(&d.due_on) {
            deadlines
                .entry(d.petition_id)
                .or_default()
                .push(UnitDeadline {
                    unit_id: d.unit_id,
                    due_on: due,
                    met_on: d.met_at.as_deref().and_then(local_day),
                });
        }
    }
    rows.petitions
        .into_iter()
        .filter_map(|p| {
            let registered_on = date_of(&p.registered_on)?;
            let channel = Channel::parse(&p.channel)?;
            let decision = match (
                &p.decided_at,
                p.acceptance.as_deref().and_then(Acceptance::parse),
            ) {
                (Some(at), Some(a)) => local_day(at).map(|d| (d, a)),
                _ => None,
            };
            Some(CountedPetition {
                channel,
                registered_on,
                persons: p.visitor_count,
                collective: p.collective,
                joint: p.joint,
                anonymous: p.anonymous,
                skip_level: p.skip_level,
                out_of_district: p.out_of_district,
                repeat: p.repeat,
                source_kind: p.source_kind,
                township: p.township,
                category: p.category,
                purpose: p.purpose,
                petition_class: p.petition_class,
                accused_unit_id: p.accused_unit_id,
                decision,
                dispositions: dispositions.remove(&p.id).unwrap_or_default(),
                closed_on: p.closed_at.as_deref().and_then(local_day),
                closure_due: p.closure_due.as_deref().and_then(date_of),
                records: records.remove(&p.id).unwrap_or_default(),
                unit_deadlines: deadlines.remove(&p.id).unwrap_or_default(),
                rating: p
                    .rating_eligible_on
                    .as_deref()
                    .and_then(date_of)
                    .map(|eligible_on| RatingFact {
                        eligible_on,
                        rated_on: p.rated_at.as_deref().and_then(local_day),
                        satisfied: p.unsatisfied_ratings == 0,
                    }),
                petition_id: p.id,
            })
        })
        .collect()
}

impl Store {
    /// The bureau's petitions with these ids, with their petitioners, in the order given.
    pub async fn petitions_among(
        &self,
        bureau_id: &str,
        ids: &[String],
    ) -> Result<Vec<crate::petitions::PetitionRecord>> {
        let mut found: std::collections::HashMap<String, crate::petitions::PetitionRecord> =
            Default::default();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT * FROM petitions WHERE bureau_id = $1 AND id IN ({})",
                crate::petitions::placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(bureau_id);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(self.pool()).await? {
                let p = crate::petitions::petition_from(&r)?;
                found.insert(p.id.clone(), p);
            }
        }
        let mut out: Vec<crate::petitions::PetitionRecord> =
            ids.iter().filter_map(|id| found.remove(id)).collect();
        self.with_petitioners(&mut out).await?;
        Ok(out)
    }
}

/// An approved release of a period's statistics.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReleaseRow {
    pub id: String,
    pub approval_id: String,
    pub period_from: String,
    pub period_to: String,
    pub label: String,
    pub purpose: String,
    pub approved_by: String,
    pub approved_at: String,
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_statistics_release(
        &self,
        tx: &mut crate::Tx,
        bureau_id: &str,
        approval_id: &str,
        from: &str,
        to: &str,
        label: &str,
        purpose: &str,
        approved_by: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<String> {
        let id = crate::new_id();
        sqlx::query(
            "INSERT INTO statistics_releases (id, bureau_id, approval_id, period_from, period_to, label, purpose, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(approval_id)
        .bind(from)
        .bind(to)
        .bind(label)
        .bind(purpose)
        .bind(approved_by)
        .bind(crate::ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// The approved releases of exactly this period, newest first.
    pub async fn statistics_releases(
        &self,
        bureau_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<ReleaseRow>> {
        Ok(sqlx::query_as(
            "SELECT id, approval_id, period_from, period_to, label, purpose, approved_by, approved_at FROM statistics_releases \
             WHERE bureau_id = $1 AND period_from = $2 AND period_to = $3 ORDER BY approved_at DESC, id",
        )
        .bind(bureau_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?)
    }
}

impl Store {
    /// Every request of one gate of the bureau's (pending or decided), newest first.
    pub async fn approvals_of_gate(
        &self,
        bureau_id: &str,
        gate: &str,
    ) -> Result<Vec<crate::handling::ApprovalRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM approvals WHERE bureau_id = $1 AND gate = $2 ORDER BY proposed_at DESC, id",
        )
        .bind(bureau_id)
        .bind(gate)
        .fetch_all(self.pool())
        .await?)
    }
}

impl Store {
    /// The ids of the bureau's petitions of a channel registered in the range, in order of
    /// registration (a register's rows).
    pub async fn registered_between(
        &self,
        bureau_id: &str,
        channel: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM petitions WHERE bureau_id = $1 AND channel = $2 AND registered_on >= $3 AND registered_on <= $4 \
             AND stage NOT IN ('received', 'returned_unopened') ORDER BY registered_at, id",
        )
        .bind(bureau_id)
        .bind(channel)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
