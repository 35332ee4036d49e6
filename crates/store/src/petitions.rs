//! Petitions: the projection rows, their petitioners, their event chains, interviews, tasks and
//! handling records. Every state change goes through `append_event` inside the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use xinfang_domain::event::{EventFields, GENESIS_HASH, event_hash};
use xinfang_domain::lifecycle::{Acceptance, Channel, Stage};
use xinfang_domain::registration::{Interview, Registration, SeedFieldPresence};
use xinfang_domain::role::Role;
use xinfang_domain::source::Source;
use xinfang_domain::township::TownshipRef;

use crate::{Result, Store, StoreError, Tx, flag, new_id, ts};

#[derive(Debug, Clone, Serialize)]
pub struct PetitionerRow {
    pub id: String,
    pub ordinal: i64,
    pub name: String,
    pub id_type: String,
    pub id_number: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub age: Option<i64>,
    pub ethnicity: Option<String>,
    pub address: String,
    pub phone: String,
    pub occupation: String,
    pub is_representative: bool,
    pub id_region: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PetitionRecord {
    pub id: String,
    pub bureau_id: String,
    pub petition_no: String,
    pub query_code: String,
    pub channel: Channel,
    pub stage: Stage,
    pub acceptance: Option<Acceptance>,
    pub decision_reason: Option<String>,
    pub decision_note: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub visited_at: String,
    pub registered_at: String,
    pub registered_on: String,
    pub registered_by: String,
    pub issue_region: String,
    pub summary: String,
    pub requests: String,
    pub proposal: String,
    pub purpose: Option<String>,
    pub category: Option<String>,
    pub petition_class: Option<String>,
    pub visitor_count: i64,
    pub people_involved: i64,
    pub collective: bool,
    pub anonymous: bool,
    pub consent_to_publish: bool,
    pub major_urgent: bool,
    pub confidential: bool,
    pub skip_level: bool,
    pub out_of_district: bool,
    pub repeat_of: Option<String>,
    pub repeat_reason: String,
    pub accused_unit_id: Option<String>,
    pub target_unit_id: Option<String>,
    pub event_seq: i64,
    pub updated_at: String,
    /// Who carries the petition since a handover (`None`: its registering and deciding staff).
    pub carried_by: Option<String>,
    /// Where the matter came from; `None` on rows registered before the source was recorded
    /// (a letter's receipt then still tells).
    pub source: Option<Source>,
    /// The township of the matter; `None` on rows registered before it was recorded.
    pub township: Option<TownshipRef>,
    /// The national 信访信息系统's number of an imported petition (issue 21), beside our own.
    pub national_no: Option<String>,
    /// The national system's query code of an imported petition (the petitioner's credential).
    pub national_query_code: Option<String>,
    pub petitioners: Vec<PetitionerRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub seq: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub actor_role: String,
    pub at: String,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct InterviewRow {
    pub id: String,
    pub facts_and_requests: String,
    pub earlier_petitions: String,
    pub skip_or_repeat_reason: String,
    pub abnormal_behaviour: String,
    pub coordination: String,
    pub appointment_on: Option<String>,
    pub appointment_note: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    pub id: String,
    pub petition_id: Option<String>,
    pub petition_no: Option<String>,
    pub kind: String,
    pub assignee_role: String,
    /// A task meant for one person (`None`: for anyone of the role).
    pub assignee_user_id: Option<String>,
    pub title: String,
    pub created_at: String,
}

fn task_from(r: &AnyRow) -> Result<TaskRow> {
    Ok(TaskRow {
        id: r.try_get("id")?,
        petition_id: r.try_get("petition_id")?,
        petition_no: r.try_get("petition_no")?,
        kind: r.try_get("kind")?,
        assignee_role: r.try_get("assignee_role")?,
        assignee_user_id: r.try_get("assignee_user_id")?,
        title: r.try_get("title")?,
        created_at: r.try_get("created_at")?,
    })
}

const TASK_SELECT: &str = "SELECT t.id, t.petition_id, p.petition_no, t.kind, t.assignee_role, t.assignee_user_id, t.title, t.created_at FROM tasks t LEFT JOIN petitions p ON p.id = t.petition_id";

/// The actor of a change, as recorded on its event.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub id: &'a str,
    pub role: Role,
}

/// Who is asking for a list: it decides the SQL scope (rules §14).
#[derive(Debug, Clone, Default)]
pub struct ListScope {
    pub user_id: String,
    /// A unit's users see only petitions with a handling record for their unit.
    pub unit_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub stage: Option<Stage>,
    pub channel: Option<Channel>,
    pub registered_on: Option<NaiveDate>,
    /// Matches the petition number, a petitioner's name, or the summary.
    pub text: Option<String>,
    pub limit: i64,
    pub offset: i64,
    /// Only rows after this `(registered_at, id)` in the list's order (newest first): the next
    /// chunk of a list read chunk by chunk.
    pub after: Option<(String, String)>,
}

/// Bind parameters per `IN (…)` list: well inside both backends' limits.
const IN_CHUNK: usize = 500;

/// `$first, $first+1, …` for `n` parameters.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn b(r: &AnyRow, c: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(c)? != 0)
}

pub(crate) fn petition_from(r: &AnyRow) -> Result<PetitionRecord> {
    let channel: String = r.try_get("channel")?;
    let stage: String = r.try_get("stage")?;
    let acceptance: Option<String> = r.try_get("acceptance")?;
    Ok(PetitionRecord {
        id: r.try_get("id")?,
        bureau_id: r.try_get("bureau_id")?,
        petition_no: r.try_get("petition_no")?,
        query_code: r.try_get("query_code")?,
        channel: Channel::parse(&channel)
            .ok_or_else(|| StoreError::Corrupt(format!("channel {channel}")))?,
        stage: Stage::parse(&stage).ok_or_else(|| StoreError::Corrupt(format!("stage {stage}")))?,
        acceptance: match acceptance {
            Some(a) => Some(
                Acceptance::parse(&a)
                    .ok_or_else(|| StoreError::Corrupt(format!("acceptance {a}")))?,
            ),
            None => None,
        },
        decision_reason: r.try_get("decision_reason")?,
        decision_note: r.try_get("decision_note")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        visited_at: r.try_get("visited_at")?,
        registered_at: r.try_get("registered_at")?,
        registered_on: r.try_get("registered_on")?,
        registered_by: r.try_get("registered_by")?,
        issue_region: r.try_get("issue_region")?,
        summary: r.try_get("summary")?,
        requests: r.try_get("requests")?,
        proposal: r.try_get("proposal")?,
        purpose: r.try_get("purpose")?,
        category: r.try_get("category")?,
        petition_class: r.try_get("petition_class")?,
        visitor_count: r.try_get("visitor_count")?,
        people_involved: r.try_get("people_involved")?,
        collective: b(r, "collective")?,
        anonymous: b(r, "anonymous")?,
        consent_to_publish: b(r, "consent_to_publish")?,
        major_urgent: b(r, "major_urgent")?,
        confidential: b(r, "confidential")?,
        skip_level: b(r, "skip_level")?,
        out_of_district: b(r, "out_of_district")?,
        repeat_of: r.try_get("repeat_of")?,
        repeat_reason: r.try_get("repeat_reason")?,
        accused_unit_id: r.try_get("accused_unit_id")?,
        target_unit_id: r.try_get("target_unit_id")?,
        event_seq: r.try_get("event_seq")?,
        updated_at: r.try_get("updated_at")?,
        carried_by: r.try_get("carried_by")?,
        source: {
            let s: String = r.try_get("source")?;
            // A value this version cannot read counts as unrecorded, not as an error.
            (!s.is_empty())
                .then(|| serde_json::from_str(&s).ok())
                .flatten()
        },
        township: {
            let t: String = r.try_get("township")?;
            (!t.is_empty())
                .then(|| xinfang_domain::township::parse_township(&t).ok())
                .flatten()
        },
        national_no: r.try_get("national_no")?,
        national_query_code: r.try_get("national_query_code")?,
        petitioners: Vec::new(),
    })
}

fn petitioner_from(r: &AnyRow) -> Result<PetitionerRow> {
    Ok(PetitionerRow {
        id: r.try_get("id")?,
        ordinal: r.try_get("ordinal")?,
        name: r.try_get("name")?,
        id_type: r.try_get("id_type")?,
        id_number: r.try_get("id_number")?,
        birth_date: r.try_get("birth_date")?,
        sex: r.try_get("sex")?,
        age: r.try_get("age")?,
        ethnicity: r.try_get("ethnicity")?,
        address: r.try_get("address")?,
        phone: r.try_get("phone")?,
        occupation: r.try_get("occupation")?,
        is_representative: b(r, "is_representative")?,
        id_region: r.try_get("id_region")?,
    })
}

/// Binds a registration's own columns, in the order every statement that writes them lists
/// them: issue_region, summary, requests, proposal, purpose, category, petition_class,
/// visitor_count, people_involved, collective, anonymous, consent_to_publish, major_urgent,
/// confidential, skip_level, out_of_district, repeat_of, repeat_reason, accused_unit_id.
pub(crate) trait BindRegistration {
    fn bind_registration(self, r: &Registration) -> Self;
    /// A petitioner's columns: name, id_type, id_number, birth_date, sex, age, ethnicity,
    /// address, phone, occupation, is_representative.
    fn bind_petitioner(self, pe: &xinfang_domain::registration::Petitioner) -> Self;
}

impl BindRegistration for sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
    fn bind_registration(self, r: &Registration) -> Self {
        self.bind(&r.issue_region)
            .bind(&r.summary)
            .bind(&r.requests)
            .bind(&r.proposal)
            .bind(&r.purpose)
            .bind(&r.category)
            .bind(&r.petition_class)
            .bind(r.visitor_count)
            .bind(r.people_involved)
            .bind(flag(r.collective))
            .bind(flag(r.anonymous))
            .bind(flag(r.consent_to_publish))
            .bind(flag(r.major_urgent))
            .bind(flag(r.confidential))
            .bind(flag(r.skip_level))
            .bind(flag(r.out_of_district))
            .bind(&r.repeat_of)
            .bind(&r.repeat_reason)
            .bind(&r.accused_unit_id)
    }

    fn bind_petitioner(self, pe: &xinfang_domain::registration::Petitioner) -> Self {
        self.bind(&pe.name)
            .bind(&pe.id_type)
            .bind(&pe.id_number)
            .bind(pe.birth_date.map(|d| d.to_string()))
            .bind(pe.sex.map(|s| match s {
                xinfang_domain::resident_id::Sex::Male => "male",
                xinfang_domain::resident_id::Sex::Female => "female",
            }))
            .bind(pe.age)
            .bind(&pe.ethnicity)
            .bind(&pe.address)
            .bind(&pe.phone)
            .bind(&pe.occupation)
            .bind(flag(pe.is_representative))
    }
}

/// What a new petition row needs besides the registration itself.
pub struct NewPetition<'a> {
    pub bureau_id: &'a str,
    pub petition_no: &'a str,
    pub query_code: &'a str,
    pub registration: &'a Registration,
    pub stage: Stage,
    /// The local date (China Standard Time) of registration.
    pub registered_on: NaiveDate,
    pub visited_at_utc: DateTime<Utc>,
}

impl Store {
    /// Inserts the projection row and its petitioners. The caller appends the first event.
    pub async fn insert_petition(
        &self,
        tx: &mut Tx,
        p: &NewPetition<'_>,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        let r = p.registration;
        sqlx::query(
            "INSERT INTO petitions (id, bureau_id, petition_no, query_code, channel, stage, visited_at, registered_at, registered_on, registered_by, issue_region, summary, requests, proposal, purpose, category, petition_class, visitor_count, people_involved, collective, anonymous, consent_to_publish, major_urgent, confidential, skip_level, out_of_district, repeat_of, repeat_reason, accused_unit_id, event_seq, updated_at, source, source_kind, township) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, 0, $30, $31, $32, $33)",
        )
        .bind(&id)
        .bind(p.bureau_id)
        .bind(p.petition_no)
        .bind(p.query_code)
        .bind(r.channel.as_str())
        .bind(p.stage.as_str())
        .bind(ts(p.visited_at_utc))
        .bind(ts(now))
        .bind(p.registered_on.to_string())
        .bind(actor.id)
        .bind_registration(r)
        .bind(ts(now))
        .bind(serde_json::to_string(&r.source).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(r.source.as_str())
        .bind(r.township.as_input())
        .execute(&mut **tx)
        .await?;
        for (i, pe) in r.petitioners.iter().enumerate() {
            sqlx::query(
                "INSERT INTO petitioners (id, bureau_id, petition_id, ordinal, name, id_type, id_number, birth_date, sex, age, ethnicity, address, phone, occupation, is_representative, id_region) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )
            .bind(new_id())
            .bind(p.bureau_id)
            .bind(&id)
            .bind(i as i64)
            .bind_petitioner(pe)
            .bind(&pe.id_region)
            .execute(&mut **tx)
            .await?;
        }
        Ok(id)
    }

    /// Appends an event to the petition's chain. `expected_seq` is the last sequence number the
    /// caller saw: if someone else appended meanwhile, this fails with `Conflict` and the whole
    /// transaction rolls back, so state and history never disagree.
    #[allow(clippy::too_many_arguments)]
    pub async fn append_event(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        expected_seq: i64,
        kind: &str,
        payload: &serde_json::Value,
        actor: &Actor<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let updated = sqlx::query(
            "UPDATE petitions SET event_seq = event_seq + 1, updated_at = $1 WHERE id = $2 AND event_seq = $3",
        )
        .bind(ts(now))
        .bind(petition_id)
        .bind(expected_seq)
        .execute(&mut **tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        let prev_hash: String = if expected_seq == 0 {
            GENESIS_HASH.to_string()
        } else {
            let (h,): (String,) = sqlx::query_as(
                "SELECT hash FROM petition_events WHERE petition_id = $1 AND seq = $2",
            )
            .bind(petition_id)
            .bind(expected_seq)
            .fetch_one(&mut **tx)
            .await?;
            h
        };
        let seq = expected_seq + 1;
        let payload = payload.to_string();
        let at = ts(now);
        let fields = EventFields {
            bureau_id,
            petition_id,
            seq,
            kind,
            payload: &payload,
            actor_id: actor.id,
            actor_role: actor.role.as_str(),
            at: &at,
            prev_hash: &prev_hash,
        };
        let hash = event_hash(&fields);
        sqlx::query(
            "INSERT INTO petition_events (bureau_id, petition_id, seq, kind, payload, actor_id, actor_role, at, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(bureau_id)
        .bind(petition_id)
        .bind(seq)
        .bind(kind)
        .bind(&payload)
        .bind(actor.id)
        .bind(actor.role.as_str())
        .bind(&at)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
        // The petition changed: the write indexes it again before it commits.
        sqlx::query("INSERT INTO search_pending (petition_id) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        Ok(seq)
    }

    pub async fn petition(&self, bureau_id: &str, id: &str) -> Result<PetitionRecord> {
        let row = sqlx::query("SELECT * FROM petitions WHERE bureau_id = $1 AND id = $2")
            .bind(bureau_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut p = petition_from(&row)?;
        p.petitioners = self.petitioners_of(&p.id).await?;
        Ok(p)
    }

    pub async fn petition_id_by_no(
        &self,
        bureau_id: &str,
        petition_no: &str,
    ) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT id FROM petitions WHERE bureau_id = $1 AND petition_no = $2")
                .bind(bureau_id)
                .bind(petition_no)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn petitioners_of(&self, petition_id: &str) -> Result<Vec<PetitionerRow>> {
        let rows = sqlx::query("SELECT * FROM petitioners WHERE petition_id = $1 ORDER BY ordinal")
            .bind(petition_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(petitioner_from).collect()
    }

    /// One page of petitions, newest first, already limited to what the scope may list.
    /// Confidential rows are returned; the caller redacts them for viewers not entitled.
    pub async fn list_petitions(
        &self,
        bureau_id: &str,
        scope: &ListScope,
        filter: &ListFilter,
    ) -> Result<Vec<PetitionRecord>> {
        let page = (filter.limit.clamp(1, 500), filter.offset.max(0));
        self.select_petitions(bureau_id, scope, filter, Some(page))
            .await
    }

    /// Every petition the scope and filter match, newest first, for a caller that pages after
    /// deciding row by row what its viewer may see (so that pages and totals count only that).
    pub async fn list_candidates(
        &self,
        bureau_id: &str,
        scope: &ListScope,
        filter: &ListFilter,
    ) -> Result<Vec<PetitionRecord>> {
        self.select_petitions(bureau_id, scope, filter, None).await
    }

    /// The next `limit` candidates after `filter.after`, newest first, without their
    /// petitioners (the caller attaches them to the rows it keeps): a list is read in chunks so
    /// that a million rows are never in memory at once.
    pub async fn list_candidates_chunk(
        &self,
        bureau_id: &str,
        scope: &ListScope,
        filter: &ListFilter,
        limit: i64,
    ) -> Result<Vec<PetitionRecord>> {
        self.select_rows(bureau_id, scope, filter, Some((limit.max(1), 0)))
            .await
    }

    /// Fills in each petition's petitioners.
    pub async fn with_petitioners(&self, list: &mut [PetitionRecord]) -> Result<()> {
        self.attach_petitioners(list).await
    }

    async fn select_petitions(
        &self,
        bureau_id: &str,
        scope: &ListScope,
        filter: &ListFilter,
        page: Option<(i64, i64)>,
    ) -> Result<Vec<PetitionRecord>> {
        let mut out = self.select_rows(bureau_id, scope, filter, page).await?;
        self.attach_petitioners(&mut out).await?;
        Ok(out)
    }

    async fn select_rows(
        &self,
        bureau_id: &str,
        scope: &ListScope,
        filter: &ListFilter,
        page: Option<(i64, i64)>,
    ) -> Result<Vec<PetitionRecord>> {
        let mut sql = String::from("SELECT p.* FROM petitions p WHERE p.bureau_id = $1");
        let mut args: Vec<String> = vec![bureau_id.to_string()];
        let mut push = |cond: &str, value: String, sql: &mut String| {
            args.push(value);
            sql.push_str(&cond.replace('?', &format!("${}", args.len())));
        };
        if let Some(unit) = &scope.unit_id {
            push(
                " AND EXISTS (SELECT 1 FROM handling_records h WHERE h.petition_id = p.id AND h.unit_id = ?)",
                unit.clone(),
                &mut sql,
            );
        }
        push(
            " AND NOT EXISTS (SELECT 1 FROM recusals r WHERE r.user_id = ? AND r.petition_id = p.id)",
            scope.user_id.clone(),
            &mut sql,
        );
        if let Some(s) = filter.stage {
            push(" AND p.stage = ?", s.as_str().to_string(), &mut sql);
        }
        if let Some(c) = filter.channel {
            push(" AND p.channel = ?", c.as_str().to_string(), &mut sql);
        }
        if let Some(d) = filter.registered_on {
            push(" AND p.registered_on = ?", d.to_string(), &mut sql);
        }
        if let Some(t) = filter
            .text
            .as_ref()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            let like = format!("%{}%", t.replace(['%', '_'], ""));
            push(" AND (p.petition_no = ?", t.to_string(), &mut sql);
            push(" OR p.summary LIKE ?", like.clone(), &mut sql);
            push(
                " OR EXISTS (SELECT 1 FROM petitioners q WHERE q.petition_id = p.id AND q.name LIKE ?))",
                like,
                &mut sql,
            );
        }
        if let Some((at, id)) = &filter.after {
            args.push(at.clone());
            args.push(id.clone());
            sql.push_str(&format!(
                " AND (p.registered_at, p.id) < (${}, ${})",
                args.len() - 1,
                args.len()
            ));
        }
        sql.push_str(" ORDER BY p.registered_at DESC, p.id DESC");
        if let Some((limit, offset)) = page {
            sql.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for a in &args {
            q = q.bind(a);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(petition_from).collect()
    }

    async fn attach_petitioners(&self, list: &mut [PetitionRecord]) -> Result<()> {
        let index: std::collections::HashMap<String, usize> = list
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        let ids: Vec<String> = list.iter().map(|p| p.id.clone()).collect();
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT * FROM petitioners WHERE petition_id IN ({}) ORDER BY petition_id, ordinal",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            for r in &q.fetch_all(self.pool()).await? {
                let pid: String = r.try_get("petition_id")?;
                if let Some(&i) = index.get(&pid) {
                    list[i].petitioners.push(petitioner_from(r)?);
                }
            }
        }
        Ok(())
    }

    /// The units handling each of the petitions (those with none are absent).
    pub async fn handling_units_among(
        &self,
        petition_ids: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<String>>> {
        let mut out: std::collections::HashMap<String, Vec<String>> = Default::default();
        for chunk in petition_ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT petition_id, unit_id FROM handling_records WHERE petition_id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            for (pid, unit) in q.fetch_all(self.pool()).await? {
                out.entry(pid).or_default().push(unit);
            }
        }
        Ok(out)
    }

    /// Which of the petitions the user is recused from: by the petition, or by its petitioner's
    /// ID number or name (as [`Store::is_recused`] decides for one).
    pub async fn recused_among(
        &self,
        user_id: &str,
        petition_ids: &[String],
    ) -> Result<std::collections::HashSet<String>> {
        let mut out = std::collections::HashSet::new();
        for chunk in petition_ids.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT p.id FROM petitions p WHERE p.id IN ({}) AND EXISTS (SELECT 1 FROM recusals r WHERE r.user_id = $1 AND (r.petition_id = p.id OR EXISTS (SELECT 1 FROM petitioners q WHERE q.petition_id = p.id AND ((r.petitioner_id_number IS NOT NULL AND q.id_number = r.petitioner_id_number) OR (r.petitioner_name IS NOT NULL AND q.name = r.petitioner_name)))))",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql)).bind(user_id);
            for id in chunk {
                q = q.bind(id);
            }
            out.extend(q.fetch_all(self.pool()).await?.into_iter().map(|r| r.0));
        }
        Ok(out)
    }

    /// Earlier petitions by the same person: the same ID number, or the same name and phone
    /// (repeat visits, V2.1). Newest first.
    pub async fn find_similar(
        &self,
        bureau_id: &str,
        id_number: Option<&str>,
        name_phone: Option<(&str, &str)>,
        limit: i64,
    ) -> Result<Vec<PetitionRecord>> {
        let mut ids: Vec<String> = Vec::new();
        if let Some(n) = id_number.filter(|n| !n.is_empty()) {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT DISTINCT petition_id FROM petitioners WHERE bureau_id = $1 AND id_number = $2",
            )
            .bind(bureau_id)
            .bind(n.to_ascii_uppercase())
            .fetch_all(self.pool())
            .await?;
            ids.extend(rows.into_iter().map(|r| r.0));
        }
        if let Some((name, phone)) = name_phone.filter(|(n, p)| !n.is_empty() && !p.is_empty()) {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT DISTINCT petition_id FROM petitioners WHERE bureau_id = $1 AND name = $2 AND phone = $3",
            )
            .bind(bureau_id)
            .bind(name)
            .bind(phone)
            .fetch_all(self.pool())
            .await?;
            ids.extend(rows.into_iter().map(|r| r.0));
        }
        ids.sort();
        ids.dedup();
        let mut out = Vec::new();
        for id in ids {
            out.push(self.petition(bureau_id, &id).await?);
        }
        out.sort_by(|a, b| b.registered_at.cmp(&a.registered_at));
        out.truncate(limit.max(1) as usize);
        Ok(out)
    }

    pub async fn events(&self, petition_id: &str) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT e.seq, e.kind, e.payload, e.actor_id, u.display_name, e.actor_role, e.at, e.hash FROM petition_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.petition_id = $1 ORDER BY e.seq",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(EventRow {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    payload: serde_json::from_str(&payload)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    actor_id: r.try_get("actor_id")?,
                    actor_name: r.try_get("display_name")?,
                    actor_role: r.try_get("actor_role")?,
                    at: r.try_get("at")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect()
    }

    /// Records the acceptance decision on the projection row.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_decision(
        &self,
        tx: &mut Tx,
        petition_id: &str,
        stage: Stage,
        acceptance: Acceptance,
        reason: &str,
        note: &str,
        target_unit_id: Option<&str>,
        actor_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE petitions SET stage = $1, acceptance = $2, decision_reason = $3, decision_note = $4, target_unit_id = $5, decided_at = $6, decided_by = $7 WHERE id = $8",
        )
        .bind(stage.as_str())
        .bind(acceptance.as_str())
        .bind(reason)
        .bind(note)
        .bind(target_unit_id)
        .bind(ts(now))
        .bind(actor_id)
        .bind(petition_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn set_stage(&self, tx: &mut Tx, petition_id: &str, stage: Stage) -> Result<()> {
        sqlx::query("UPDATE petitions SET stage = $1 WHERE id = $2")
            .bind(stage.as_str())
            .bind(petition_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn insert_interview(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        i: &Interview,
        actor_id: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO interviews (id, bureau_id, petition_id, facts_and_requests, earlier_petitions, skip_or_repeat_reason, abnormal_behaviour, coordination, appointment_on, appointment_note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(petition_id)
        .bind(&i.facts_and_requests)
        .bind(&i.earlier_petitions)
        .bind(&i.skip_or_repeat_reason)
        .bind(&i.abnormal_behaviour)
        .bind(&i.coordination)
        .bind(i.appointment_on.map(|d| d.to_string()))
        .bind(&i.appointment_note)
        .bind(actor_id)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn interviews(&self, petition_id: &str) -> Result<Vec<InterviewRow>> {
        let rows =
            sqlx::query("SELECT * FROM interviews WHERE petition_id = $1 ORDER BY recorded_at")
                .bind(petition_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| {
                Ok(InterviewRow {
                    id: r.try_get("id")?,
                    facts_and_requests: r.try_get("facts_and_requests")?,
                    earlier_petitions: r.try_get("earlier_petitions")?,
                    skip_or_repeat_reason: r.try_get("skip_or_repeat_reason")?,
                    abnormal_behaviour: r.try_get("abnormal_behaviour")?,
                    coordination: r.try_get("coordination")?,
                    appointment_on: r.try_get("appointment_on")?,
                    appointment_note: r.try_get("appointment_note")?,
                    recorded_by: r.try_get("recorded_by")?,
                    recorded_at: r.try_get("recorded_at")?,
                })
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_task(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: Option<&str>,
        kind: &str,
        assignee_role: Role,
        title: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO tasks (id, bureau_id, petition_id, kind, assignee_role, title, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(petition_id)
        .bind(kind)
        .bind(assignee_role.as_str())
        .bind(title)
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn task(&self, bureau_id: &str, task_id: &str) -> Result<TaskRow> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{TASK_SELECT} WHERE t.bureau_id = $1 AND t.id = $2 AND t.done_at IS NULL"
        )))
        .bind(bureau_id)
        .bind(task_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        task_from(&r)
    }

    /// The open tasks of `roles` meant for anyone of the role, and those meant for `user_id`.
    pub async fn open_tasks(
        &self,
        bureau_id: &str,
        roles: &[Role],
        user_id: Option<&str>,
    ) -> Result<Vec<TaskRow>> {
        let ph: Vec<String> = (0..roles.len()).map(|i| format!("${}", i + 3)).collect();
        let for_role = if ph.is_empty() {
            "0 = 1".to_string()
        } else {
            format!(
                "t.assignee_user_id IS NULL AND t.assignee_role IN ({})",
                ph.join(", ")
            )
        };
        let sql = format!(
            "{TASK_SELECT} WHERE t.bureau_id = $1 AND t.done_at IS NULL AND (({for_role}) OR t.assignee_user_id = $2) ORDER BY t.created_at"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(bureau_id)
            .bind(user_id.unwrap_or(""));
        for r in roles {
            q = q.bind(r.as_str());
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(task_from).collect()
    }

    /// A task for one person (or, with no `user_id`, for anyone of the role), made once per
    /// `cause` (a second one for the same cause is not made: `None`).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_person_task(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: Option<&str>,
        kind: &str,
        role: Role,
        user_id: Option<&str>,
        title: &str,
        cause: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let id = new_id();
        let r = sqlx::query(
            "INSERT INTO tasks (id, bureau_id, petition_id, kind, assignee_role, assignee_user_id, title, created_at, cause) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (bureau_id, cause) DO NOTHING",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(petition_id)
        .bind(kind)
        .bind(role.as_str())
        .bind(user_id)
        .bind(title)
        .bind(ts(now))
        .bind(cause)
        .execute(&mut **tx)
        .await?;
        Ok((r.rows_affected() == 1).then_some(id))
    }

    /// How many tasks of `kind` are open (the office's digest).
    pub async fn count_open_tasks(&self, bureau_id: &str, kind: &str) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM tasks WHERE bureau_id = $1 AND kind = $2 AND done_at IS NULL",
        )
        .bind(bureau_id)
        .bind(kind)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// Marks done the open tasks made for `cause` (the work they asked for was done another
    /// way). `done_by` is empty when no person did it (a job).
    pub async fn complete_tasks_of_cause(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        cause: &str,
        user_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE tasks SET done_at = $1, done_by = $2 WHERE bureau_id = $3 AND cause = $4 AND done_at IS NULL",
        )
        .bind(ts(now))
        .bind(user_id)
        .bind(bureau_id)
        .bind(cause)
        .execute(&mut **tx)
        .await?;
        Ok(r.rows_affected())
    }

    pub async fn complete_task(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        task_id: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE tasks SET done_at = $1, done_by = $2 WHERE id = $3 AND bureau_id = $4 AND done_at IS NULL",
        )
        .bind(ts(now))
        .bind(user_id)
        .bind(task_id)
        .bind(bureau_id)
        .execute(&mut **tx)
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_handling_record(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        petition_id: &str,
        unit_id: &str,
        kind: &str,
        lead: bool,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO handling_records (id, bureau_id, petition_id, unit_id, kind, lead, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'sent', $7, $8)",
        )
        .bind(&id)
        .bind(bureau_id)
        .bind(petition_id)
        .bind(unit_id)
        .bind(kind)
        .bind(flag(lead))
        .bind(ts(now))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Units holding a handling record for the petition.
    pub async fn handling_units(&self, petition_id: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT unit_id FROM handling_records WHERE petition_id = $1")
                .bind(petition_id)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Logs an opening of a petition (rules §14). Outside any transaction: a read is logged
    /// even when nothing else is written.
    pub async fn log_access(
        &self,
        bureau_id: &str,
        petition_id: &str,
        user_id: &str,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_log (id, bureau_id, petition_id, user_id, at, action) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(bureau_id)
        .bind(petition_id)
        .bind(user_id)
        .bind(ts(now))
        .bind(action)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn access_log(&self, petition_id: &str) -> Result<Vec<(String, String, String)>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT a.at, COALESCE(u.display_name, a.user_id), a.action FROM access_log a LEFT JOIN users u ON u.id = a.user_id WHERE a.petition_id = $1 ORDER BY a.at DESC",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// The day's registrations with what each still lacks (V1.3).
    pub async fn registrations_on(
        &self,
        bureau_id: &str,
        day: NaiveDate,
    ) -> Result<Vec<(PetitionRecord, SeedFieldPresence)>> {
        let rows = sqlx::query(
            "SELECT p.*, (SELECT COUNT(*) FROM interviews i WHERE i.petition_id = p.id) AS interview_count FROM petitions p WHERE p.bureau_id = $1 AND p.registered_on = $2 ORDER BY p.registered_at",
        )
        .bind(bureau_id)
        .bind(day.to_string())
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let mut p = petition_from(r)?;
            let interviews: i64 = r.try_get("interview_count")?;
            p.petitioners = self.petitioners_of(&p.id).await?;
            let all = |f: &dyn Fn(&PetitionerRow) -> bool| {
                !p.petitioners.is_empty() && p.petitioners.iter().all(f)
            };
            let presence = SeedFieldPresence {
                name: all(&|x| !x.name.is_empty()),
                id_checked: p.anonymous || all(&|x| x.id_number.is_some()),
                age: all(&|x| x.age.is_some()),
                ethnicity: all(&|x| x.ethnicity.is_some()),
                address: all(&|x| !x.address.is_empty()),
                contact: all(&|x| !x.phone.is_empty()),
                issue_region: !p.issue_region.is_empty(),
                occupation: all(&|x| !x.occupation.is_empty()),
                summary: !p.summary.is_empty(),
                requests: !p.requests.is_empty(),
                proposal: !p.proposal.is_empty(),
                // Letters have no interview.
                interview: interviews > 0 || p.channel == Channel::Letter,
                decision: p.acceptance.is_some() || p.stage != Stage::Registered,
            };
            out.push((p, presence));
        }
        Ok(out)
    }

    pub async fn count_petitions(&self, bureau_id: &str) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM petitions WHERE bureau_id = $1")
            .bind(bureau_id)
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }
}
