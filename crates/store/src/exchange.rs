//! Exchange with the national 信访信息系统 and other systems (issue 21): the bureau's code
//! mapping, the national number beside our own, what an imported petition brought with it, and
//! the handling rows an export reads.

use crate::petitions::BindRegistration;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::Row;
use xinfang_domain::exchange::CodeEntry;

use crate::petitions::placeholders;
use crate::{Result, Store, StoreError, Tx, flag, ts};

const IN_CHUNK: usize = 500;

/// A handling record as an export reads it: the way, the unit's name, when, the extension.
#[derive(Debug, Clone)]
pub struct HandlingExport {
    pub petition_id: String,
    pub kind: String,
    pub unit_name: String,
    pub created_at: String,
    pub extended_days: i64,
    pub due_on: Option<String>,
}

impl Store {
    /// The bureau's edits of the shipped mapping.
    pub async fn exchange_code_edits(&self, bureau_id: &str) -> Result<Vec<CodeEntry>> {
        let rows = sqlx::query(
            "SELECT field, ours, national, verified FROM exchange_codes WHERE bureau_id = $1 ORDER BY field, ours",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CodeEntry {
                    field: r.try_get("field")?,
                    ours: r.try_get("ours")?,
                    national: r.try_get("national")?,
                    verified: r.try_get::<i64, _>("verified")? != 0,
                })
            })
            .collect()
    }

    /// Stores one line of the mapping (replacing the bureau's earlier edit of it).
    pub async fn save_exchange_code(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        e: &CodeEntry,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO exchange_codes (bureau_id, field, ours, national, verified, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (bureau_id, field, ours) DO UPDATE SET national = $4, verified = $5, updated_at = $6, updated_by = $7",
        )
        .bind(bureau_id)
        .bind(&e.field)
        .bind(&e.ours)
        .bind(&e.national)
        .bind(flag(e.verified))
        .bind(ts(now))
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records the national number and query code of a petition inserted in this transaction.
    /// A number the bureau holds already fails with `Conflict` (the unique index).
    pub async fn set_national_no(
        &self,
        tx: &mut Tx,
        petition_id: &str,
        national_no: &str,
        query_code: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE petitions SET national_no = $1, national_query_code = $2 WHERE id = $3",
        )
        .bind(national_no)
        .bind(query_code.map(str::to_string))
        .bind(petition_id)
        .execute(&mut **tx)
        .await
        .map_err(crate::conflict_if_unique)?;
        Ok(())
    }

    /// Petition ids by number among `numbers`: a national number or our own petition number.
    pub async fn petitions_by_numbers(
        &self,
        bureau_id: &str,
        numbers: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        for chunk in numbers.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT id, petition_no, national_no FROM petitions WHERE bureau_id = $1 AND (national_no IN ({}) OR petition_no IN ({}))",
                placeholders(2, chunk.len()),
                placeholders(2 + chunk.len(), chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(bureau_id);
            for n in chunk.iter().chain(chunk) {
                q = q.bind(n);
            }
            for r in q.fetch_all(self.pool()).await? {
                let id: String = r.try_get("id")?;
                let no: String = r.try_get("petition_no")?;
                let national: Option<String> = r.try_get("national_no")?;
                if let Some(n) = national.filter(|n| chunk.contains(n)) {
                    out.insert(n, id.clone());
                }
                if chunk.contains(&no) {
                    out.entry(no).or_insert(id);
                }
            }
        }
        Ok(out)
    }

    /// Which of `numbers` the bureau holds as national numbers.
    pub async fn national_nos_taken(
        &self,
        bureau_id: &str,
        numbers: &[String],
    ) -> Result<HashSet<String>> {
        let mut out = HashSet::new();
        for chunk in numbers.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT national_no FROM petitions WHERE bureau_id = $1 AND national_no IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql)).bind(bureau_id);
            for n in chunk {
                q = q.bind(n);
            }
            out.extend(q.fetch_all(self.pool()).await?.into_iter().map(|r| r.0));
        }
        Ok(out)
    }

    /// Keeps what an imported petition brought beyond our own tables (JSON, no personal data).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_exchange_record(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        format: &str,
        external_no: Option<&str>,
        origin: &serde_json::Value,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO exchange_records (petition_id, bureau_id, format, external_no, origin, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(petition_id)
        .bind(bureau_id)
        .bind(format)
        .bind(external_no.map(str::to_string))
        .bind(origin.to_string())
        .bind(ts(now))
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map_err(crate::conflict_if_unique)?;
        Ok(())
    }

    /// Which of `numbers` the bureau holds as external numbers of `format`.
    pub async fn external_nos_taken(
        &self,
        bureau_id: &str,
        format: &str,
        numbers: &[String],
    ) -> Result<HashSet<String>> {
        let mut out = HashSet::new();
        for chunk in numbers.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT external_no FROM exchange_records WHERE bureau_id = $1 AND format = $2 AND external_no IN ({})",
                placeholders(3, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
                .bind(bureau_id)
                .bind(format);
            for n in chunk {
                q = q.bind(n);
            }
            out.extend(q.fetch_all(self.pool()).await?.into_iter().map(|r| r.0));
        }
        Ok(out)
    }

    /// The petitions imported from `format` with their external numbers, oldest first.
    pub async fn imported_from(
        &self,
        bureau_id: &str,
        format: &str,
    ) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as::<_, (String, String)>(
            "SELECT petition_id, external_no FROM exchange_records WHERE bureau_id = $1 AND format = $2 AND external_no IS NOT NULL ORDER BY imported_at, petition_id",
        )
        .bind(bureau_id)
        .bind(format)
        .fetch_all(self.pool())
        .await?)
    }

    /// What each of `ids` brought when it was imported.
    pub async fn exchange_origins(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, serde_json::Value>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT petition_id, origin FROM exchange_records WHERE petition_id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            for (id, origin) in q.fetch_all(self.pool()).await? {
                out.insert(
                    id,
                    serde_json::from_str(&origin).unwrap_or(serde_json::Value::Null),
                );
            }
        }
        Ok(out)
    }

    /// The handling records of `ids`, oldest first, with their units' names.
    pub async fn handling_for_export(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<HandlingExport>>> {
        let mut out: HashMap<String, Vec<HandlingExport>> = HashMap::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT h.petition_id, h.kind, u.name AS unit_name, h.created_at, h.extended_days, h.due_on FROM handling_records h JOIN units u ON u.id = h.unit_id WHERE h.petition_id IN ({}) ORDER BY h.created_at, h.id",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(self.pool()).await? {
                let h = HandlingExport {
                    petition_id: r.try_get("petition_id")?,
                    kind: r.try_get("kind")?,
                    unit_name: r.try_get("unit_name")?,
                    created_at: r.try_get("created_at")?,
                    extended_days: r.try_get("extended_days")?,
                    due_on: r.try_get("due_on")?,
                };
                out.entry(h.petition_id.clone()).or_default().push(h);
            }
        }
        Ok(out)
    }

    /// Logs the export of many petitions at once (rules §14: an export is an opening).
    pub async fn log_exports(
        &self,
        bureau_id: &str,
        ids: &[String],
        user_id: &str,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        for id in ids {
            sqlx::query(
                "INSERT INTO access_log (id, bureau_id, petition_id, user_id, at, action) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(crate::new_id())
            .bind(bureau_id)
            .bind(id)
            .bind(user_id)
            .bind(ts(now))
            .bind(action)
            .execute(&mut **tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The number each of `ids` is known by outside: its national number, else our own.
    pub async fn numbers_of(
        &self,
        bureau_id: &str,
        ids: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT id, petition_no, national_no FROM petitions WHERE bureau_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(bureau_id);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(self.pool()).await? {
                let national: Option<String> = r.try_get("national_no")?;
                let no: String = r.try_get("petition_no")?;
                out.insert(r.try_get("id")?, national.unwrap_or(no));
            }
        }
        Ok(out)
    }

    /// Reserves `n` numbers of a gap-free sequence at once; returns the first.
    pub async fn reserve_in_sequence(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        name: &str,
        year: i32,
        n: i64,
    ) -> Result<i64> {
        // One number through the usual path creates the row if needed and locks it.
        let first = crate::next_in_sequence(tx, bureau_id, name, year).await?;
        if n > 1 {
            sqlx::query(
                "UPDATE sequences SET value = value + $1 WHERE bureau_id = $2 AND name = $3 AND year = $4",
            )
            .bind(n - 1)
            .bind(bureau_id)
            .bind(name)
            .bind(i64::from(year))
            .execute(&mut **tx)
            .await?;
        }
        Ok(first)
    }

    /// For each of `id_numbers`, an earlier petition of a petitioner with that ID number.
    pub async fn petitions_by_id_numbers(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        id_numbers: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        for chunk in id_numbers.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT id_number, MIN(petition_id) AS petition_id FROM petitioners WHERE bureau_id = $1 AND id_number IN ({}) GROUP BY id_number",
                placeholders(2, chunk.len())
            );
            let mut q =
                sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)).bind(bureau_id);
            for n in chunk {
                q = q.bind(n);
            }
            out.extend(q.fetch_all(&mut **tx).await?);
        }
        Ok(out)
    }

    /// Writes a batch of imported petitions in a few statements: the rows, their petitioners,
    /// each one's first event (`registered`, hashed like `append_event`'s), the search index's
    /// pending marks and the import records. The caller's transaction commits them together.
    pub async fn insert_bulk(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        rows: &[BulkPetition<'_>],
        actor: &crate::petitions::Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        use xinfang_domain::event::{EventFields, GENESIS_HASH, event_hash};
        let at = ts(now);
        // Petitions: 33 values a row, 200 rows a statement (well inside SQLite's 32 766).
        for chunk in rows.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO petitions (id, bureau_id, petition_no, query_code, channel, stage, visited_at, registered_at, registered_on, registered_by, issue_region, summary, requests, proposal, purpose, category, petition_class, visitor_count, people_involved, collective, anonymous, consent_to_publish, major_urgent, confidential, skip_level, out_of_district, repeat_of, repeat_reason, accused_unit_id, event_seq, updated_at, source, source_kind, township, national_no) VALUES ",
            );
            let width = 34;
            let backend = self.backend();
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let b = i * width;
                // event_seq is 1: the registered event below.
                sql.push('(');
                sql.push_str(&backend.marks(b + 1, 29));
                sql.push_str(", 1, ");
                sql.push_str(&backend.marks(b + 30, width - 29));
                sql.push(')');
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for p in chunk {
                let r = p.registration;
                q = q
                    .bind(p.id)
                    .bind(bureau_id)
                    .bind(p.petition_no)
                    .bind(p.query_code)
                    .bind(r.channel.as_str())
                    .bind(p.stage)
                    .bind(ts(p.visited_at_utc))
                    .bind(ts(p.registered_at_utc))
                    .bind(p.registered_on.to_string())
                    .bind(actor.id)
                    .bind_registration(r)
                    .bind(at.clone())
                    .bind(
                        serde_json::to_string(&r.source)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    )
                    .bind(r.source.as_str())
                    .bind(r.township.as_input().to_string())
                    .bind(p.national_no.map(str::to_string));
            }
            q.execute(&mut **tx).await?;
        }
        // Petitioners: 16 values a row.
        let people: Vec<(
            &BulkPetition,
            usize,
            &xinfang_domain::registration::Petitioner,
        )> = rows
            .iter()
            .flat_map(|p| {
                p.registration
                    .petitioners
                    .iter()
                    .enumerate()
                    .map(move |(i, x)| (p, i, x))
            })
            .collect();
        for chunk in people.chunks(500) {
            let mut sql = String::from(
                "INSERT INTO petitioners (id, bureau_id, petition_id, ordinal, name, id_type, id_number, birth_date, sex, age, ethnicity, address, phone, occupation, is_representative, id_region) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("({})", self.backend().marks(i * 16 + 1, 16)));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (p, i, pe) in chunk {
                q = q
                    .bind(crate::new_id())
                    .bind(bureau_id)
                    .bind(p.id)
                    .bind(*i as i64)
                    .bind_petitioner(pe)
                    .bind(&pe.id_region);
            }
            q.execute(&mut **tx).await?;
        }
        // The first event of each, the pending index mark, the import record.
        for chunk in rows.chunks(300) {
            let mut ev = String::from(
                "INSERT INTO petition_events (bureau_id, petition_id, seq, kind, payload, actor_id, actor_role, at, prev_hash, hash) VALUES ",
            );
            let mut pending = String::from("INSERT INTO search_pending (petition_id) VALUES ");
            let mut rec = String::from(
                "INSERT INTO exchange_records (petition_id, bureau_id, format, external_no, origin, imported_at, imported_by) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    ev.push_str(", ");
                    pending.push_str(", ");
                    rec.push_str(", ");
                }
                ev.push_str(&format!("({})", self.backend().marks(i * 10 + 1, 10)));
                pending.push_str(&format!("({})", self.backend().marks(i + 1, 1)));
                rec.push_str(&format!("({})", self.backend().marks(i * 7 + 1, 7)));
            }
            pending.push_str(" ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(ev));
            for p in chunk {
                let payload = p.payload.to_string();
                let hash = event_hash(&EventFields {
                    bureau_id,
                    petition_id: p.id,
                    seq: 1,
                    kind: "registered",
                    payload: &payload,
                    actor_id: actor.id,
                    actor_role: actor.role.as_str(),
                    at: &at,
                    prev_hash: GENESIS_HASH,
                });
                q = q
                    .bind(bureau_id)
                    .bind(p.id)
                    .bind(1_i64)
                    .bind("registered")
                    .bind(payload)
                    .bind(actor.id)
                    .bind(actor.role.as_str())
                    .bind(at.clone())
                    .bind(GENESIS_HASH)
                    .bind(hash);
            }
            q.execute(&mut **tx).await?;
            let mut q = sqlx::query(sqlx::AssertSqlSafe(pending));
            for p in chunk {
                q = q.bind(p.id);
            }
            q.execute(&mut **tx).await?;
            let mut q = sqlx::query(sqlx::AssertSqlSafe(rec));
            for p in chunk {
                q = q
                    .bind(p.id)
                    .bind(bureau_id)
                    .bind(p.format)
                    .bind(p.external_no.clone())
                    .bind("{}")
                    .bind(at.clone())
                    .bind(actor.id);
            }
            q.execute(&mut **tx)
                .await
                .map_err(crate::conflict_if_unique)?;
        }
        Ok(())
    }

    /// Brings PostgreSQL's planner statistics for the tables a bulk import grows up to date.
    /// Without them (autovacuum off, or not yet run) the repeat lookup's plan, made for an
    /// empty table, read every petitioner of the bureau: 14 ms a batch at first, 500 ms at
    /// 400 000 rows. SQLite plans without such statistics here and is left alone.
    pub async fn refresh_import_statistics(&self) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("ANALYZE petitions, petitioners, petition_events, exchange_records")
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }

    /// The run of an import of the file with this digest, if one was started: its id, how many
    /// of its rows are committed, and whether it finished.
    pub async fn import_run(
        &self,
        bureau_id: &str,
        file_sha256: &str,
    ) -> Result<Option<(String, i64, bool)>> {
        let row: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT id, committed_rows, status FROM import_runs WHERE bureau_id = $1 AND file_sha256 = $2",
        )
        .bind(bureau_id)
        .bind(file_sha256)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|(id, n, s)| (id, n, s == "done")))
    }

    /// Starts the run of an import (nothing committed yet).
    #[allow(clippy::too_many_arguments)]
    pub async fn start_import_run(
        &self,
        bureau_id: &str,
        file_sha256: &str,
        file_name: &str,
        total_rows: i64,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = crate::new_id();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO import_runs (id, bureau_id, file_sha256, file_name, total_rows, committed_rows, status, started_at, updated_at, started_by) VALUES ($1, $2, $3, $4, $5, 0, 'running', $6, $6, $7)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(file_sha256)
        .bind(file_name)
        .bind(total_rows)
        .bind(ts(now))
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records, in the batch's transaction, that the rows before `committed` are in; `done`
    /// when the last batch is. A stale count (another process imports the same file) fails.
    pub async fn advance_import_run(
        &self,
        tx: &mut Tx,
        run_id: &str,
        from: i64,
        committed: i64,
        done: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let n = sqlx::query(
            "UPDATE import_runs SET committed_rows = $1, status = $2, updated_at = $3 WHERE id = $4 AND committed_rows = $5",
        )
        .bind(committed)
        .bind(if done { "done" } else { "running" })
        .bind(ts(now))
        .bind(run_id)
        .bind(from)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }
}

/// One petition of a bulk import, its id and number taken by the caller.
pub struct BulkPetition<'a> {
    pub id: &'a str,
    pub petition_no: &'a str,
    pub query_code: &'a str,
    pub stage: &'a str,
    pub registration: &'a xinfang_domain::registration::Registration,
    /// When the register entered it (an old register's 登记日期), and that day.
    pub registered_at_utc: DateTime<Utc>,
    pub registered_on: chrono::NaiveDate,
    pub visited_at_utc: DateTime<Utc>,
    pub national_no: Option<&'a str>,
    pub payload: &'a serde_json::Value,
    pub format: &'a str,
    pub external_no: Option<String>,
}
