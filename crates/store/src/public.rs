//! The public side's storage (issue 20): online submissions and their files, phone codes,
//! attempts, ratings, the outbox and its templates. What the public instance does here is only
//! inserts and, on PostgreSQL, calls of the functions its restricted role may execute
//! (migration `postgres/0024`); on SQLite the same reads are plain queries.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::Row;

use crate::people::Bureau;
use crate::{Backend, Result, Store, StoreError, Tx, new_id, ts};

pub struct NewSubmission<'a> {
    pub id: &'a str,
    pub bureau_id: &'a str,
    /// `petition` or `reexamination`.
    pub kind: &'a str,
    pub query_code: &'a str,
    pub id_last4: &'a str,
    pub phone_last4: &'a str,
    pub payload: &'a serde_json::Value,
    /// The petition a 复查 request is about.
    pub petition_id: Option<&'a str>,
    pub submitted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubmissionRow {
    pub id: String,
    pub kind: String,
    pub query_code: String,
    pub payload: String,
    pub petition_id: Option<String>,
    pub submitted_at: String,
    pub ingested_at: Option<String>,
    pub outcome: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubmissionFileRow {
    pub id: String,
    pub ordinal: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RatingRow {
    pub id: String,
    pub petition_id: String,
    pub subject: String,
    pub unit_id: Option<String>,
    pub level: String,
    pub class: String,
    pub comment: String,
    pub channel: String,
    pub recorded_by: Option<String>,
    pub rated_at: String,
    pub outcome: String,
}

/// A petition's public facts as stored: timestamps RFC 3339 UTC, dates `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FactsRow {
    pub petition_id: Option<String>,
    pub petition_no: Option<String>,
    pub channel: String,
    pub stage: String,
    pub acceptance: Option<String>,
    pub received_at: String,
    pub decided_at: Option<String>,
    pub closed_at: Option<String>,
    pub documents: Vec<FactDocumentRow>,
    pub opinions: Vec<FactOpinionRow>,
    pub appeals: Vec<FactAppealRow>,
    pub rated: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, sqlx::FromRow)]
#[serde(default)]
pub struct FactDocumentRow {
    pub id: String,
    pub kind: String,
    pub doc_no: Option<String>,
    pub issued_at: Option<String>,
    pub pdf_hash: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, sqlx::FromRow)]
#[serde(default)]
pub struct FactOpinionRow {
    pub unit: Option<String>,
    pub unit_id: Option<String>,
    pub decision: String,
    pub reply: String,
    pub served_on: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, sqlx::FromRow)]
#[serde(default)]
pub struct FactAppealRow {
    pub level: String,
    pub requested_on: String,
    pub opinion: Option<String>,
    pub opinion_on: Option<String>,
    pub opinion_served_on: Option<String>,
}

/// The kinds of document a petitioner may read (`domain::public::for_petitioner`), as SQL.
const PETITIONER_KINDS: &str = "('visit_notice_slip', 'visit_transfer_slip', 'extension_notice', 'handling_opinion', 'query_reply_notice', 'acceptance_notice', 'non_acceptance_notice', 'no_longer_accepted_notice')";

/// Whether a phone code matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Ok,
    Wrong,
    /// No live code for that phone (expired, spent, never sent).
    None,
}

pub struct NewMessage<'a> {
    pub bureau_id: &'a str,
    pub petition_id: Option<&'a str>,
    pub submission_id: Option<&'a str>,
    pub kind: &'a str,
    pub medium: &'a str,
    pub recipient: &'a str,
    pub vars: &'a serde_json::Value,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: String,
    pub petition_id: Option<String>,
    pub kind: String,
    pub medium: String,
    pub recipient: String,
    pub vars: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub message_id: String,
    pub at: String,
    pub ok: i64,
    pub detail: String,
}

/// An online petition waiting to be registered, for the intake queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OnlineQueueRow {
    pub petition_id: String,
    pub petition_no: String,
    pub confidential: i64,
    pub summary: String,
    pub received_at: String,
    pub notice_due: String,
    pub name: Option<String>,
}

/// A petition with a query code: id, number, channel, stage, acceptance, when received, decided.
type CandidateRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
);

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl Store {
    // -----------------------------------------------------------------------------------------
    // What the public instance may do

    /// The deployment's bureau, as the public role may read it.
    pub async fn public_bureau(&self) -> Result<Option<Bureau>> {
        if self.backend() == Backend::Sqlite {
            return self.default_bureau().await;
        }
        let row = sqlx::query("SELECT id, code, name, organ_code, region_code, workday_end FROM xinfang_public_bureau()")
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(Bureau {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                organ_code: r.try_get("organ_code")?,
                region_code: r.try_get("region_code")?,
                workday_end: r.try_get("workday_end")?,
            })
        })
        .transpose()
    }

    /// The bureau's townships and street offices (id, name), as the public form offers them.
    pub async fn public_townships(&self, bureau_id: &str) -> Result<Vec<(String, String)>> {
        let sql = if self.backend() == Backend::Postgres {
            "SELECT id, name FROM xinfang_public_townships($1)"
        } else {
            "SELECT id, name FROM units WHERE bureau_id = $1 AND active = 1 AND kind IN ('township', 'street') ORDER BY code, id"
        };
        Ok(sqlx::query_as(sql)
            .bind(bureau_id)
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn insert_submission(&self, tx: &mut Tx, s: &NewSubmission<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO online_submissions (id, bureau_id, kind, query_code, id_last4, phone_last4, payload, petition_id, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(s.id)
        .bind(s.bureau_id)
        .bind(s.kind)
        .bind(s.query_code)
        .bind(s.id_last4)
        .bind(s.phone_last4)
        .bind(s.payload.to_string())
        .bind(s.petition_id)
        .bind(ts(s.submitted_at))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_submission_file(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        submission_id: &str,
        ordinal: i64,
        file_name: &str,
        content_type: &str,
        size: i64,
        sha256: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO online_submission_files (id, bureau_id, submission_id, ordinal, file_name, content_type, size_bytes, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(bureau_id)
        .bind(submission_id)
        .bind(ordinal)
        .bind(file_name)
        .bind(content_type)
        .bind(size)
        .bind(sha256)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn insert_phone_code(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        phone: &str,
        code_hash: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO phone_codes (id, bureau_id, phone, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(bureau_id)
        .bind(phone)
        .bind(code_hash)
        .bind(ts(now))
        .bind(ts(expires))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Checks the latest live code of a phone: a match spends it; a wrong one counts a try and
    /// spends it after `max_tries`.
    pub async fn use_phone_code(
        &self,
        bureau_id: &str,
        phone: &str,
        code_hash: &str,
        now: DateTime<Utc>,
        max_tries: i64,
    ) -> Result<CodeCheck> {
        let now = ts(now);
        let verdict: String = if self.backend() == Backend::Postgres {
            let (v,): (Option<String>,) =
                sqlx::query_as("SELECT xinfang_public_use_phone_code($1, $2, $3, $4, $5)")
                    .bind(bureau_id)
                    .bind(phone)
                    .bind(code_hash)
                    .bind(&now)
                    .bind(max_tries)
                    .fetch_one(self.pool())
                    .await?;
            v.unwrap_or_default()
        } else {
            let mut tx = self.begin().await?;
            let found: Option<(String, String, i64)> = sqlx::query_as(
                "SELECT id, code_hash, tries FROM phone_codes WHERE bureau_id = $1 AND phone = $2 AND used_at IS NULL AND expires_at > $3 ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(bureau_id)
            .bind(phone)
            .bind(&now)
            .fetch_optional(&mut **tx)
            .await?;
            let verdict = match found {
                None => "none",
                Some((id, hash, _)) if hash == code_hash => {
                    sqlx::query("UPDATE phone_codes SET used_at = $1 WHERE id = $2")
                        .bind(&now)
                        .bind(&id)
                        .execute(&mut **tx)
                        .await?;
                    "ok"
                }
                Some((id, _, tries)) => {
                    let spent = tries + 1 >= max_tries;
                    sqlx::query(
                        "UPDATE phone_codes SET tries = tries + 1, used_at = $1 WHERE id = $2",
                    )
                    .bind(spent.then_some(now.clone()))
                    .bind(&id)
                    .execute(&mut **tx)
                    .await?;
                    "wrong"
                }
            };
            tx.commit().await?;
            verdict.to_string()
        };
        Ok(match verdict.as_str() {
            "ok" => CodeCheck::Ok,
            "wrong" => CodeCheck::Wrong,
            _ => CodeCheck::None,
        })
    }

    pub async fn record_attempt(&self, key_hash: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("INSERT INTO public_attempts (key_hash, at) VALUES ($1, $2)")
            .bind(key_hash)
            .bind(ts(at))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn count_attempts(&self, key_hash: &str, since: DateTime<Utc>) -> Result<i64> {
        let sql = if self.backend() == Backend::Postgres {
            "SELECT xinfang_public_attempts($1, $2)"
        } else {
            "SELECT COUNT(*) FROM public_attempts WHERE key_hash = $1 AND at >= $2"
        };
        let (n,): (i64,) = sqlx::query_as(sql)
            .bind(key_hash)
            .bind(ts(since))
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }

    /// Attempts older than `before` no longer count for any limit.
    pub async fn prune_attempts(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM public_attempts WHERE at < $1")
            .bind(ts(before))
            .execute(self.pool())
            .await?
            .rows_affected())
    }

    /// The public facts of the petition (or online petition not yet registered) with this code
    /// whose petitioner's ID number or phone ends in `last4`; `None` when nothing matches.
    pub async fn public_facts(&self, code: &str, last4: &str) -> Result<Option<FactsRow>> {
        if self.backend() == Backend::Postgres {
            let (json,): (Option<String>,) = sqlx::query_as("SELECT xinfang_public_facts($1, $2)")
                .bind(code)
                .bind(last4)
                .fetch_one(self.pool())
                .await?;
            return json
                .map(|j| serde_json::from_str(&j).map_err(corrupt))
                .transpose();
        }
        let candidates: Vec<CandidateRow> =
            sqlx::query_as(
                "SELECT id, petition_no, channel, stage, acceptance, visited_at, decided_at FROM petitions WHERE query_code = $1 ORDER BY registered_at, id",
            )
            .bind(code)
            .fetch_all(self.pool())
            .await?;
        for (id, no, channel, stage, acceptance, received_at, decided_at) in candidates {
            let people: Vec<(Option<String>, String)> =
                sqlx::query_as("SELECT id_number, phone FROM petitioners WHERE petition_id = $1")
                    .bind(&id)
                    .fetch_all(self.pool())
                    .await?;
            let matches = people.iter().any(|(n, phone)| {
                n.as_deref().and_then(last4_of).as_deref() == Some(last4)
                    || last4_of(phone).as_deref() == Some(last4)
            });
            if !matches {
                continue;
            }
            let (closed_at,): (Option<String>,) = sqlx::query_as(
                "SELECT min(at) FROM petition_events WHERE petition_id = $1 AND kind IN ('closed', 'circular_issued')",
            )
            .bind(&id)
            .fetch_one(self.pool())
            .await?;
            let documents: Vec<FactDocumentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, kind, doc_no, issued_at, pdf_hash FROM documents WHERE petition_id = $1 AND state = 'issued' AND pdf_hash IS NOT NULL AND kind IN {PETITIONER_KINDS} ORDER BY issued_at, id"
            )))
            .bind(&id)
            .fetch_all(self.pool())
            .await?;
            let opinions: Vec<FactOpinionRow> = sqlx::query_as(
                "SELECT u.name AS unit, r.unit_id, r.decision, r.reply, r.reply_served_on AS served_on FROM handling_reports r LEFT JOIN units u ON u.id = r.unit_id WHERE r.petition_id = $1 AND (SELECT v.outcome FROM report_reviews v WHERE v.handling_report_id = r.id ORDER BY v.reviewed_at DESC, v.id DESC LIMIT 1) = 'pass' ORDER BY r.submitted_at, r.id",
            )
            .bind(&id)
            .fetch_all(self.pool())
            .await?;
            let appeals: Vec<FactAppealRow> = sqlx::query_as(
                "SELECT level, requested_on, opinion, opinion_on, opinion_served_on FROM appeals WHERE petition_id = $1 ORDER BY requested_on, id",
            )
            .bind(&id)
            .fetch_all(self.pool())
            .await?;
            let rated: Vec<(String,)> = sqlx::query_as(
                "SELECT subject FROM ratings WHERE petition_id = $1 AND outcome <> 'refused' ORDER BY subject",
            )
            .bind(&id)
            .fetch_all(self.pool())
            .await?;
            return Ok(Some(FactsRow {
                petition_id: Some(id),
                petition_no: Some(no),
                channel,
                stage,
                acceptance,
                received_at,
                decided_at,
                closed_at,
                documents,
                opinions,
                appeals,
                rated: rated.into_iter().map(|r| r.0).collect(),
            }));
        }
        let pending: Option<(String,)> = sqlx::query_as(
            "SELECT submitted_at FROM online_submissions WHERE query_code = $1 AND kind = 'petition' AND ingested_at IS NULL AND (id_last4 = $2 OR phone_last4 = $2) LIMIT 1",
        )
        .bind(code)
        .bind(last4)
        .fetch_optional(self.pool())
        .await?;
        Ok(pending.map(|(at,)| FactsRow {
            channel: "online".into(),
            stage: "received".into(),
            received_at: at,
            ..FactsRow::default()
        }))
    }

    /// A rating; `false` when that subject of that petition was rated already. (No conflict
    /// target: naming one needs SELECT, which the public role has not.)
    pub async fn insert_rating(&self, tx: &mut Tx, bureau_id: &str, r: &RatingRow) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO ratings (id, bureau_id, petition_id, subject, unit_id, level, class, comment, channel, recorded_by, rated_at, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
        )
        .bind(&r.id)
        .bind(bureau_id)
        .bind(&r.petition_id)
        .bind(&r.subject)
        .bind(&r.unit_id)
        .bind(&r.level)
        .bind(&r.class)
        .bind(&r.comment)
        .bind(&r.channel)
        .bind(&r.recorded_by)
        .bind(&r.rated_at)
        .bind(&r.outcome)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    pub async fn insert_message(&self, tx: &mut Tx, m: &NewMessage<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbox_messages (id, bureau_id, petition_id, submission_id, kind, medium, recipient, vars, state, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9)",
        )
        .bind(new_id())
        .bind(m.bureau_id)
        .bind(m.petition_id)
        .bind(m.submission_id)
        .bind(m.kind)
        .bind(m.medium)
        .bind(m.recipient)
        .bind(m.vars.to_string())
        .bind(ts(m.now))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // The staff side

    pub async fn pending_submissions(
        &self,
        bureau_id: &str,
        limit: i64,
    ) -> Result<Vec<SubmissionRow>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, query_code, payload, petition_id, submitted_at, ingested_at, outcome FROM online_submissions WHERE bureau_id = $1 AND ingested_at IS NULL ORDER BY submitted_at, id LIMIT $2",
        )
        .bind(bureau_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn submission_files(&self, submission_id: &str) -> Result<Vec<SubmissionFileRow>> {
        Ok(sqlx::query_as(
            "SELECT id, ordinal, file_name, content_type, size_bytes, sha256 FROM online_submission_files WHERE submission_id = $1 ORDER BY ordinal",
        )
        .bind(submission_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Marks a submission taken in, inside the caller's transaction; `false` when another
    /// instance took it first.
    pub async fn settle_submission(
        &self,
        tx: &mut Tx,
        id: &str,
        petition_id: Option<&str>,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE online_submissions SET ingested_at = $1, petition_id = COALESCE($2, petition_id), outcome = $3 WHERE id = $4 AND ingested_at IS NULL",
        )
        .bind(ts(now))
        .bind(petition_id)
        .bind(outcome)
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// The online petition a petition came from.
    pub async fn submission_of_petition(&self, petition_id: &str) -> Result<Option<SubmissionRow>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, query_code, payload, petition_id, submitted_at, ingested_at, outcome FROM online_submissions WHERE petition_id = $1 AND kind = 'petition' LIMIT 1",
        )
        .bind(petition_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Online petitions taken in but not yet registered, oldest first.
    pub async fn online_to_register(&self, bureau_id: &str) -> Result<Vec<OnlineQueueRow>> {
        Ok(sqlx::query_as(
            "SELECT p.id AS petition_id, p.petition_no, p.confidential, p.summary, l.received_at, l.notice_due, (SELECT x.name FROM petitioners x WHERE x.petition_id = p.id ORDER BY x.ordinal LIMIT 1) AS name FROM petitions p JOIN letters l ON l.petition_id = p.id WHERE p.bureau_id = $1 AND p.channel = 'online' AND p.stage = 'received' ORDER BY l.notice_due, l.received_at, p.petition_no",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Inserts the receipt row of an online petition: received when submitted, nothing to open.
    pub async fn insert_online_receipt(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        submitted_at: &str,
        notice_due: &str,
        actor_id: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO letters (petition_id, bureau_id, delivery_mode, tracking_no, sender, sender_address, urgency, open_immediately, received_at, received_by, opened_at, opened_by, notice_due) VALUES ($1, $2, 'online', '', '', '', 'normal', 0, $3, $4, $3, $4, $5)",
        )
        .bind(petition_id)
        .bind(bureau_id)
        .bind(submitted_at)
        .bind(actor_id)
        .bind(notice_due)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn pending_ratings(&self, bureau_id: &str, limit: i64) -> Result<Vec<RatingRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, subject, unit_id, level, class, comment, channel, recorded_by, rated_at, outcome FROM ratings WHERE bureau_id = $1 AND outcome = '' ORDER BY rated_at, id LIMIT $2",
        )
        .bind(bureau_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn settle_rating(
        &self,
        tx: &mut Tx,
        id: &str,
        outcome: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE ratings SET outcome = $1, processed_at = $2 WHERE id = $3 AND outcome = ''",
        )
        .bind(outcome)
        .bind(ts(now))
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    pub async fn ratings_of(&self, petition_id: &str) -> Result<Vec<RatingRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, subject, unit_id, level, class, comment, channel, recorded_by, rated_at, outcome FROM ratings WHERE petition_id = $1 ORDER BY rated_at, subject",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Where a petitioner's messages go: the first petitioner's phone, the e-mail given on the
    /// online form, and the query code and number to quote.
    pub async fn contact_of(
        &self,
        tx: &mut Tx,
        petition_id: &str,
    ) -> Result<(String, String, Option<String>, Option<String>)> {
        let (code, no, anonymous): (String, String, i64) = sqlx::query_as(
            "SELECT query_code, petition_no, anonymous FROM petitions WHERE id = $1",
        )
        .bind(petition_id)
        .fetch_one(&mut **tx)
        .await?;
        if anonymous != 0 {
            return Ok((code, no, None, None));
        }
        let phone: Option<(String,)> = sqlx::query_as(
            "SELECT phone FROM petitioners WHERE petition_id = $1 AND phone <> '' ORDER BY ordinal LIMIT 1",
        )
        .bind(petition_id)
        .fetch_optional(&mut **tx)
        .await?;
        let payload: Option<(String,)> = sqlx::query_as(
            "SELECT payload FROM online_submissions WHERE petition_id = $1 AND kind = 'petition' LIMIT 1",
        )
        .bind(petition_id)
        .fetch_optional(&mut **tx)
        .await?;
        let email = payload
            .and_then(|(p,)| serde_json::from_str::<serde_json::Value>(&p).ok())
            .and_then(|v| v["email"].as_str().map(str::to_string))
            .filter(|e| !e.is_empty());
        Ok((code, no, phone.map(|p| p.0), email))
    }

    /// Messages due for sending (pending, their time come), oldest first.
    pub async fn due_messages(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<MessageRow>> {
        Ok(sqlx::query_as(
            "SELECT id, petition_id, kind, medium, recipient, vars, state, attempts, next_attempt_at, created_at, sent_at FROM outbox_messages WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(ts(now))
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Takes a message for sending until `lease_until`, unless another instance did.
    pub async fn claim_message(
        &self,
        id: &str,
        seen_next: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE outbox_messages SET next_attempt_at = $1 WHERE id = $2 AND state = 'pending' AND next_attempt_at = $3",
        )
        .bind(ts(lease_until))
        .bind(id)
        .bind(seen_next)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// Logs one attempt and moves the message on: `sent`, `failed` (given up), or pending again
    /// at `next`. A sent or given-up one-time code keeps no copy of the code.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_message_attempt(
        &self,
        id: &str,
        at: DateTime<Utc>,
        ok: bool,
        detail: &str,
        state: &str,
        next: Option<DateTime<Utc>>,
        forget_vars: bool,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO outbox_attempts (id, message_id, at, ok, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(id)
        .bind(ts(at))
        .bind(i64::from(ok))
        .bind(detail)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE outbox_messages SET attempts = attempts + 1, state = $1, next_attempt_at = COALESCE($2, next_attempt_at), sent_at = $3, vars = CASE WHEN $4 = 1 THEN '{}' ELSE vars END WHERE id = $5",
        )
        .bind(state)
        .bind(next.map(ts))
        .bind(ok.then(|| ts(at)))
        .bind(i64::from(forget_vars))
        .bind(id)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    /// A petition's messages with their attempts.
    pub async fn messages_of(
        &self,
        petition_id: &str,
    ) -> Result<Vec<(MessageRow, Vec<AttemptRow>)>> {
        let messages: Vec<MessageRow> = sqlx::query_as(
            "SELECT id, petition_id, kind, medium, recipient, vars, state, attempts, next_attempt_at, created_at, sent_at FROM outbox_messages WHERE petition_id = $1 OR submission_id IN (SELECT id FROM online_submissions WHERE petition_id = $1) ORDER BY created_at, id",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(messages.len());
        for m in messages {
            let attempts: Vec<AttemptRow> = sqlx::query_as(
                "SELECT message_id, at, ok, detail FROM outbox_attempts WHERE message_id = $1 ORDER BY at, id",
            )
            .bind(&m.id)
            .fetch_all(self.pool())
            .await?;
            out.push((m, attempts));
        }
        Ok(out)
    }

    /// The bureau's edited templates: kind, subject, body.
    pub async fn message_templates(
        &self,
        bureau_id: &str,
    ) -> Result<Vec<(String, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT kind, subject, body FROM message_templates WHERE bureau_id = $1 ORDER BY kind",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn save_message_template(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        kind: &str,
        subject: &str,
        body: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO message_templates (bureau_id, kind, subject, body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (bureau_id, kind) DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(bureau_id)
        .bind(kind)
        .bind(subject)
        .bind(body)
        .bind(ts(now))
        .bind(by)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// The last four letters or digits of an ID number or phone (as `domain::public::last4_of`).
fn last4_of(s: &str) -> Option<String> {
    xinfang_domain::public::last4_of(s)
}
