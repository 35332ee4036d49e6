//! Bureaus, handling units, users, sessions, login attempts, recusals and the admin audit log.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use xinfang_domain::role::Role;

use crate::{Result, Store, StoreError, Tx, flag, new_id, ts};

#[derive(Debug, Clone, Serialize)]
pub struct Bureau {
    pub id: String,
    pub code: String,
    pub name: String,
    /// 机关代字, e.g. 东信 in 东信告〔2026〕3号.
    pub organ_code: String,
    pub region_code: String,
    /// End of the working day in China Standard Time, HH:MM (V1.3).
    pub workday_end: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    pub id: String,
    pub bureau_id: String,
    pub code: String,
    pub name: String,
    /// township | street | department
    pub kind: String,
    pub region_code: Option<String>,
    pub active: bool,
}

pub const UNIT_KINDS: &[(&str, &str)] = &[
    ("township", "乡镇"),
    ("street", "街道办事处"),
    ("department", "本级部门"),
];

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub bureau_id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    pub active: bool,
    /// A grant waiting for the security administrator: the role (and unit) it would give.
    pub pending_role: Option<Role>,
    pub pending_unit_id: Option<String>,
    /// Who made the grant in effect or pending (the system administrator's account).
    pub granted_by: Option<String>,
    /// False for a new account whose first grant is not yet confirmed: it cannot sign in.
    pub role_confirmed: bool,
    /// The account signs in only by a one-time code, to set its own password.
    pub must_set_password: bool,
}

fn bureau_from(r: &AnyRow) -> Result<Bureau> {
    Ok(Bureau {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        organ_code: r.try_get("organ_code")?,
        region_code: r.try_get("region_code")?,
        workday_end: r.try_get("workday_end")?,
    })
}

fn unit_from(r: &AnyRow) -> Result<Unit> {
    Ok(Unit {
        id: r.try_get("id")?,
        bureau_id: r.try_get("bureau_id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        region_code: r.try_get("region_code")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

fn user_from(r: &AnyRow) -> Result<User> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        bureau_id: r.try_get("bureau_id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
        unit_id: r.try_get("unit_id")?,
        password_hash: r.try_get("password_hash")?,
        active: r.try_get::<i64, _>("active")? != 0,
        pending_role: match r.try_get::<Option<String>, _>("pending_role")? {
            Some(p) => Some(
                Role::parse(&p).ok_or_else(|| StoreError::Corrupt(format!("pending role {p}")))?,
            ),
            None => None,
        },
        pending_unit_id: r.try_get("pending_unit_id")?,
        granted_by: r.try_get("granted_by")?,
        role_confirmed: r.try_get::<i64, _>("role_confirmed")? != 0,
        must_set_password: r.try_get::<i64, _>("must_set_password")? != 0,
    })
}

const USER_COLS: &str = "id, bureau_id, username, display_name, role, unit_id, password_hash, active, pending_role, pending_unit_id, granted_by, role_confirmed, must_set_password";
const UNIT_COLS: &str = "id, bureau_id, code, name, kind, region_code, active";

impl Store {
    pub async fn insert_bureau(&self, tx: &mut Tx, b: &Bureau, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO bureaus (id, code, name, organ_code, region_code, workday_end, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&b.id)
        .bind(&b.code)
        .bind(&b.name)
        .bind(&b.organ_code)
        .bind(&b.region_code)
        .bind(&b.workday_end)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        self.seed_decision_reasons(tx, &b.id).await?;
        self.seed_calendar_notices(tx, &b.id, now).await?;
        self.seed_deadline_rules(tx, &b.id, now).await?;
        Ok(())
    }

    /// The deployment's bureau (the first one created).
    pub async fn default_bureau(&self) -> Result<Option<Bureau>> {
        let row = sqlx::query("SELECT * FROM bureaus ORDER BY created_at, id LIMIT 1")
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(bureau_from).transpose()
    }

    pub async fn bureau(&self, id: &str) -> Result<Bureau> {
        let row = sqlx::query("SELECT * FROM bureaus WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        bureau_from(&row)
    }

    pub async fn insert_unit(&self, tx: &mut Tx, u: &Unit, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO units (id, bureau_id, code, name, kind, region_code, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&u.id)
        .bind(&u.bureau_id)
        .bind(&u.code)
        .bind(&u.name)
        .bind(&u.kind)
        .bind(&u.region_code)
        .bind(flag(u.active))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn update_unit(&self, tx: &mut Tx, u: &Unit) -> Result<()> {
        let r = sqlx::query(
            "UPDATE units SET name = $1, kind = $2, region_code = $3, active = $4 WHERE id = $5 AND bureau_id = $6",
        )
        .bind(&u.name)
        .bind(&u.kind)
        .bind(&u.region_code)
        .bind(flag(u.active))
        .bind(&u.id)
        .bind(&u.bureau_id)
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn units(&self, bureau_id: &str) -> Result<Vec<Unit>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {UNIT_COLS} FROM units WHERE bureau_id = $1 ORDER BY kind, code"
        )))
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(unit_from).collect()
    }

    pub async fn unit(&self, bureau_id: &str, id: &str) -> Result<Unit> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {UNIT_COLS} FROM units WHERE bureau_id = $1 AND id = $2"
        )))
        .bind(bureau_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        unit_from(&row)
    }

    pub async fn unit_by_code(&self, bureau_id: &str, code: &str) -> Result<Option<Unit>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {UNIT_COLS} FROM units WHERE bureau_id = $1 AND code = $2"
        )))
        .bind(bureau_id)
        .bind(code)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(unit_from).transpose()
    }

    pub async fn insert_user(&self, tx: &mut Tx, u: &User, now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (id, bureau_id, username, display_name, role, unit_id, password_hash, active, created_at, pending_role, pending_unit_id, granted_by, role_confirmed, must_set_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&u.id)
        .bind(&u.bureau_id)
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(&u.unit_id)
        .bind(&u.password_hash)
        .bind(flag(u.active))
        .bind(ts(now))
        .bind(u.pending_role.map(Role::as_str))
        .bind(&u.pending_unit_id)
        .bind(&u.granted_by)
        .bind(flag(u.role_confirmed))
        .bind(flag(u.must_set_password))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn update_user(&self, tx: &mut Tx, u: &User) -> Result<()> {
        let r = sqlx::query(
            "UPDATE users SET display_name = $1, role = $2, unit_id = $3, password_hash = $4, active = $5, pending_role = $6, pending_unit_id = $7, granted_by = $8, role_confirmed = $9, must_set_password = $10 WHERE id = $11 AND bureau_id = $12",
        )
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(&u.unit_id)
        .bind(&u.password_hash)
        .bind(flag(u.active))
        .bind(u.pending_role.map(Role::as_str))
        .bind(&u.pending_unit_id)
        .bind(&u.granted_by)
        .bind(flag(u.role_confirmed))
        .bind(flag(u.must_set_password))
        .bind(&u.id)
        .bind(&u.bureau_id)
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS} FROM users WHERE username = $1"
        )))
        .bind(username)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    pub async fn user(&self, id: &str) -> Result<User> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        user_from(&row)
    }

    pub async fn users(&self, bureau_id: &str) -> Result<Vec<User>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLS} FROM users WHERE bureau_id = $1 ORDER BY role, username"
        )))
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(user_from).collect()
    }

    pub async fn count_users(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }

    // --- sessions -------------------------------------------------------------------------

    pub async fn insert_session_in(
        &self,
        tx: &mut Tx,
        token_hash: &str,
        user_id: &str,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(ts(now))
        .bind(ts(expires))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The live session's user and CSRF token: within its absolute lifetime, used since
    /// `idle_since`, of an active account whose grant is confirmed. The use is recorded (at most
    /// once a minute, to spare the writer).
    pub async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<(User, String)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT s.csrf_token, COALESCE(s.last_seen_at, s.created_at) AS seen_at, {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND COALESCE(s.last_seen_at, s.created_at) > $3 AND u.active = 1 AND u.role_confirmed = 1",
            USER_COLS
                .split(", ")
                .map(|c| format!("u.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        )))
        .bind(token_hash)
        .bind(ts(now))
        .bind(ts(idle_since))
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        // Written only when a minute old, and through the one writer: an UPDATE on every request
        // would take SQLite's write lock for every page.
        let seen_at: String = r.try_get("seen_at")?;
        if seen_at < ts(now - chrono::Duration::minutes(1)) {
            let mut tx = self.begin().await?;
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(ts(now))
                .bind(token_hash)
                .execute(&mut **tx)
                .await?;
            tx.commit().await?;
        }
        Ok(Some((user_from(&r)?, r.try_get("csrf_token")?)))
    }

    /// Ends every session of the user but `keep` (a password change keeps the one it was made in).
    pub async fn delete_other_sessions(
        &self,
        tx: &mut Tx,
        user_id: &str,
        keep: &str,
    ) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_sessions_of(&self, tx: &mut Tx, user_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn record_login_attempt(
        &self,
        username: &str,
        client: &str,
        success: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // Through the one writer, like every write (see `Store::begin`).
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO login_attempts (id, username, at, success, client) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(username)
        .bind(ts(now))
        .bind(flag(success))
        .bind(client)
        .execute(&mut **tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // --- recusals and audit -----------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_recusal(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        user_id: &str,
        petition_id: Option<&str>,
        id_number: Option<&str>,
        name: Option<&str>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO recusals (id, bureau_id, user_id, petition_id, petitioner_id_number, petitioner_name, reason, declared_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(user_id)
        .bind(petition_id)
        .bind(id_number)
        .bind(name)
        .bind(reason)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Whether `user_id` has declared an interest in the petition or any of its petitioners.
    pub async fn is_recused(&self, user_id: &str, petition_id: &str) -> Result<bool> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM recusals r WHERE r.user_id = $1 AND (r.petition_id = $2 OR EXISTS (SELECT 1 FROM petitioners p WHERE p.petition_id = $3 AND ((r.petitioner_id_number IS NOT NULL AND p.id_number = r.petitioner_id_number) OR (r.petitioner_name IS NOT NULL AND p.name = r.petitioner_name))))",
        )
        .bind(user_id)
        .bind(petition_id)
        .bind(petition_id)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    pub async fn audit(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        actor_id: Option<&str>,
        kind: &str,
        payload: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, bureau_id, actor_id, at, kind, payload) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(bureau_id)
        .bind(actor_id)
        .bind(ts(now))
        .bind(kind)
        .bind(payload.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
