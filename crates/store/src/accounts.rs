//! Accounts beyond the user row: one-time sign-in codes, password history, sign-in throttling
//! and acting approvers.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store, Tx, new_id, ts};

#[derive(Debug, Clone, Serialize)]
pub struct ActingApprover {
    pub id: String,
    pub leader_id: String,
    pub acting_id: String,
    pub starts_on: String,
    pub ends_on: String,
    pub reason: String,
}

impl Store {
    // --- one-time sign-in codes -------------------------------------------------------------

    /// Issues a code for the user; any earlier unused code of the user stops working.
    pub async fn insert_sign_in_code(
        &self,
        tx: &mut Tx,
        code_hash: &str,
        user_id: &str,
        issued_by: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE sign_in_codes SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(ts(now))
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO sign_in_codes (code_hash, user_id, issued_by, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(code_hash)
        .bind(user_id)
        .bind(issued_by)
        .bind(ts(now))
        .bind(ts(expires))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Uses a code: the user it was issued to, once, before it expires. One conditional UPDATE,
    /// so two requests with the same code cannot both succeed.
    pub async fn use_sign_in_code(
        &self,
        tx: &mut Tx,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let r = sqlx::query(
            "UPDATE sign_in_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(ts(now))
        .bind(code_hash)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Ok(None);
        }
        let (user_id,): (String,) =
            sqlx::query_as("SELECT user_id FROM sign_in_codes WHERE code_hash = $1")
                .bind(code_hash)
                .fetch_one(&mut **tx)
                .await?;
        Ok(Some(user_id))
    }

    // --- password history -------------------------------------------------------------------

    pub async fn insert_password_history(
        &self,
        tx: &mut Tx,
        user_id: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO password_history (id, user_id, password_hash, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id())
        .bind(user_id)
        .bind(password_hash)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The user's last `n` password hashes, newest first.
    pub async fn password_history(&self, user_id: &str, n: i64) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT {}",
            n.clamp(1, 50)
        )))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    // --- sign-in throttling ---------------------------------------------------------------

    /// Claims an attempt: allowed only when the next allowed time of `held` and of each of
    /// `checked` has come. The claim holds `held` until `hold_until` (the attempt's result sets
    /// the real next time), so parallel attempts with that key are evaluated one at a time; the
    /// `checked` keys are only read, so colleagues signing in at once from one address do not
    /// wait for each other. Returns the seconds to wait when refused.
    pub async fn claim_sign_in(
        &self,
        held: &str,
        checked: &[String],
        now: DateTime<Utc>,
        hold_until: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        for key in checked {
            let row = sqlx::query("SELECT next_allowed_at FROM sign_in_throttle WHERE key = $1")
                .bind(key)
                .fetch_optional(&mut **tx)
                .await?;
            if let Some(r) = row {
                let next = crate::parse_ts(&r.try_get::<String, _>("next_allowed_at")?)?;
                if next > now {
                    return Ok(Some((next - now).num_seconds().max(1)));
                }
            }
        }
        {
            let key = held;
            sqlx::query(
                "INSERT INTO sign_in_throttle (key, failures, next_allowed_at) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(ts(DateTime::<Utc>::UNIX_EPOCH))
            .execute(&mut **tx)
            .await?;
            let r = sqlx::query(
                "UPDATE sign_in_throttle SET next_allowed_at = $1 WHERE key = $2 AND next_allowed_at <= $3",
            )
            .bind(ts(hold_until))
            .bind(key)
            .bind(ts(now))
            .execute(&mut **tx)
            .await?;
            if r.rows_affected() == 0 {
                let (next,): (String,) =
                    sqlx::query_as("SELECT next_allowed_at FROM sign_in_throttle WHERE key = $1")
                        .bind(key)
                        .fetch_one(&mut **tx)
                        .await?;
                drop(tx);
                let wait = crate::parse_ts(&next)
                    .map(|t| (t - now).num_seconds().max(1))
                    .unwrap_or(1);
                return Ok(Some(wait));
            }
        }
        tx.commit().await?;
        Ok(None)
    }

    /// Records an attempt's result for a key: a success clears it; a failure counts and sets the
    /// next allowed time from `delay` (seconds for the new failure count).
    pub async fn settle_sign_in(
        &self,
        key: &str,
        success: bool,
        now: DateTime<Utc>,
        delay: impl Fn(i64) -> i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let failures: i64 = if success {
            0
        } else {
            let row = sqlx::query("SELECT failures FROM sign_in_throttle WHERE key = $1")
                .bind(key)
                .fetch_optional(&mut **tx)
                .await?;
            row.map(|r| r.try_get::<i64, _>("failures"))
                .transpose()?
                .unwrap_or(0)
                + 1
        };
        // No wait is stored as the epoch, not as "now": a clock set back must not block anyone.
        let wait = if success { 0 } else { delay(failures) };
        let next = if wait > 0 {
            now + chrono::Duration::seconds(wait)
        } else {
            DateTime::<Utc>::UNIX_EPOCH
        };
        sqlx::query(
            "INSERT INTO sign_in_throttle (key, failures, next_allowed_at) VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(ts(DateTime::<Utc>::UNIX_EPOCH))
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE sign_in_throttle SET failures = $1, next_allowed_at = $2 WHERE key = $3",
        )
        .bind(failures)
        .bind(ts(next))
        .bind(key)
        .execute(&mut **tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // --- acting approvers -------------------------------------------------------------------

    pub async fn insert_acting_approver(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        a: &ActingApprover,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO acting_approvers (id, bureau_id, leader_id, acting_id, starts_on, ends_on, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&a.id)
        .bind(bureau_id)
        .bind(&a.leader_id)
        .bind(&a.acting_id)
        .bind(&a.starts_on)
        .bind(&a.ends_on)
        .bind(&a.reason)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The leaders `acting_id` stands in for on `day`.
    pub async fn acting_for(
        &self,
        bureau_id: &str,
        acting_id: &str,
        day: NaiveDate,
    ) -> Result<Vec<ActingApprover>> {
        self.acting_rows(
            "SELECT * FROM acting_approvers WHERE bureau_id = $1 AND acting_id = $2 AND starts_on <= $3 AND ends_on >= $3 AND revoked_at IS NULL ORDER BY starts_on",
            bureau_id,
            acting_id,
            day,
        )
        .await
    }

    /// Who stands in for `leader_id` on `day`.
    pub async fn acting_in_place_of(
        &self,
        bureau_id: &str,
        leader_id: &str,
        day: NaiveDate,
    ) -> Result<Vec<ActingApprover>> {
        self.acting_rows(
            "SELECT * FROM acting_approvers WHERE bureau_id = $1 AND leader_id = $2 AND starts_on <= $3 AND ends_on >= $3 AND revoked_at IS NULL ORDER BY starts_on",
            bureau_id,
            leader_id,
            day,
        )
        .await
    }

    async fn acting_rows(
        &self,
        sql: &'static str,
        bureau_id: &str,
        user_id: &str,
        day: NaiveDate,
    ) -> Result<Vec<ActingApprover>> {
        let rows = sqlx::query(sql)
            .bind(bureau_id)
            .bind(user_id)
            .bind(day.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ActingApprover {
                    id: r.try_get("id")?,
                    leader_id: r.try_get("leader_id")?,
                    acting_id: r.try_get("acting_id")?,
                    starts_on: r.try_get("starts_on")?,
                    ends_on: r.try_get("ends_on")?,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }
}

/// One line of the audit administrator: who did what, when, to which petition (by its
/// number), never what the petition says.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub at: String,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub user_name: Option<String>,
    pub user_role: Option<String>,
    pub petition_no: Option<String>,
    /// The access log's action (`view`, `download_document` …) or the audit trail's kind.
    pub action: String,
    /// Only for sign-ins: the client address.
    pub client: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_id: Option<String>,
    pub petition_no: Option<String>,
    /// RFC 3339 bounds, inclusive from, exclusive to.
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: i64,
}

impl Store {
    /// Openings of petitions and the audit trail's entries (sign-ins, grants, configuration),
    /// newest first. Payloads are not read, except a sign-in's client address.
    pub async fn audit_entries(&self, bureau_id: &str, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let limit = f.limit.clamp(1, 10_000);
        let mut out = Vec::new();
        for source in ["access", "audit"] {
            let mut sql = if source == "access" {
                String::from(
                    "SELECT a.at, a.user_id, u.username, u.display_name, u.role, p.petition_no, a.action, NULL AS payload FROM access_log a LEFT JOIN users u ON u.id = a.user_id LEFT JOIN petitions p ON p.id = a.petition_id WHERE a.bureau_id = $1",
                )
            } else {
                String::from(
                    "SELECT a.at, a.actor_id AS user_id, u.username, u.display_name, u.role, NULL AS petition_no, a.kind AS action, a.payload FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id WHERE a.bureau_id = $1",
                )
            };
            if source == "audit" && f.petition_no.is_some() {
                continue;
            }
            let mut args = vec![bureau_id.to_string()];
            let user_col = if source == "access" {
                "a.user_id"
            } else {
                "a.actor_id"
            };
            if let Some(u) = &f.user_id {
                args.push(u.clone());
                sql.push_str(&format!(" AND {user_col} = ${}", args.len()));
            }
            if let Some(n) = &f.petition_no {
                args.push(n.clone());
                sql.push_str(&format!(" AND p.petition_no = ${}", args.len()));
            }
            if let Some(t) = &f.from {
                args.push(t.clone());
                sql.push_str(&format!(" AND a.at >= ${}", args.len()));
            }
            if let Some(t) = &f.to {
                args.push(t.clone());
                sql.push_str(&format!(" AND a.at < ${}", args.len()));
            }
            sql.push_str(&format!(" ORDER BY a.at DESC LIMIT {limit}"));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in &args {
                q = q.bind(a);
            }
            for r in q.fetch_all(self.pool()).await? {
                let action: String = r.try_get("action")?;
                let client = if action.starts_with("signed_in") {
                    r.try_get::<Option<String>, _>("payload")?
                        .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
                        .and_then(|v| v["client"].as_str().map(str::to_string))
                } else {
                    None
                };
                out.push(AuditEntry {
                    at: r.try_get("at")?,
                    user_id: r.try_get("user_id")?,
                    username: r.try_get("username")?,
                    user_name: r.try_get("display_name")?,
                    user_role: r.try_get("role")?,
                    petition_no: r.try_get("petition_no")?,
                    action,
                    client,
                });
            }
        }
        out.sort_by(|a, b| b.at.cmp(&a.at));
        out.truncate(usize::try_from(limit).unwrap_or(10_000));
        Ok(out)
    }
}

impl Store {
    // --- handover ---------------------------------------------------------------------------

    /// The open petitions a staff member carries: handed over to them, or registered or decided
    /// by them and not handed over since.
    pub async fn carried_petitions(
        &self,
        bureau_id: &str,
        user_id: &str,
    ) -> Result<Vec<crate::petitions::PetitionRecord>> {
        let rows = sqlx::query(
            "SELECT p.* FROM petitions p WHERE p.bureau_id = $1 AND (p.carried_by = $2 OR (p.carried_by IS NULL AND (p.registered_by = $3 OR p.decided_by = $4))) ORDER BY p.registered_at",
        )
        .bind(bureau_id)
        .bind(user_id)
        .bind(user_id)
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(crate::petitions::petition_from)
            .filter(|p| p.as_ref().map_or(true, |p| p.stage.is_open()))
            .collect()
    }

    pub async fn set_carrier(&self, tx: &mut Tx, petition_id: &str, user_id: &str) -> Result<()> {
        sqlx::query("UPDATE petitions SET carried_by = $1 WHERE id = $2")
            .bind(user_id)
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Ends every acting-approver naming the user is part of, as leader or as acting approver.
    pub async fn revoke_acting_of(
        &self,
        tx: &mut Tx,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE acting_approvers SET revoked_at = $1 WHERE revoked_at IS NULL AND (leader_id = $2 OR acting_id = $3)",
        )
        .bind(ts(now))
        .bind(user_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected())
    }
}

/// A document a staff member is still working on.
#[derive(Debug, Clone, Serialize)]
pub struct OpenDraft {
    pub id: String,
    pub petition_id: Option<String>,
    pub kind: String,
    pub state: String,
}

impl Store {
    /// Documents the user drafted that are not yet signed off or issued.
    pub async fn open_drafts_of(&self, bureau_id: &str, user_id: &str) -> Result<Vec<OpenDraft>> {
        let rows: Vec<(String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT id, petition_id, kind, state FROM documents WHERE bureau_id = $1 AND created_by = $2 AND state IN ('draft', 'submitted', 'returned') ORDER BY id",
        )
        .bind(bureau_id)
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, petition_id, kind, state)| OpenDraft {
                id,
                petition_id,
                kind,
                state,
            })
            .collect())
    }
}
