//! The search index: one document per petition, kept in the database so that the embedded
//! default needs nothing more and every instance on PostgreSQL shares it. The text arrives
//! already cut into tokens (the app segments it); this module stores and queries them: an FTS5
//! table on SQLite (columns number, matter, restricted; bm25), a weighted tsvector with a GIN
//! index on PostgreSQL (A, B, C; ts_rank). Which columns a row is matched on is decided per
//! row from the viewer's [`SearchScope`], inside the query, so totals and pages count only what
//! the viewer may find.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AnyConnection, Row};
use xinfang_domain::search::{MatchLevel, SearchScope};
use xinfang_domain::words::{Channel, Stage};

use crate::petitions::{PetitionRecord, petition_from};
use crate::{Backend, Result, Store, Tx, ts};

/// Ids per `IN (…)` when reading a batch's text.
const BATCH: usize = 500;
/// Characters of a token kept (longer ones are cut, in the index and the query alike).
const MAX_TOKEN_CHARS: usize = 64;
/// Bytes of one column's tsvector literal (PostgreSQL stores at most 1 MB per tsvector).
const MAX_VECTOR_BYTES: usize = 300_000;
/// Tokens kept per column of one document (a tsvector holds at most 1 MB).
const MAX_TOKENS: usize = 20_000;
/// Candidates a relevance page ranks at first (at least four times the page).
pub(crate) const CANDIDATES: i64 = 1_000;
/// Beyond this many candidates a page ranks every match.
const MAX_CANDIDATES: i64 = 50_000;

/// The token a confidential petition's document holds in its number column, so that a count
/// for bureau staff can leave those rows out on the index alone (never a query term: a query
/// token equal to it is dropped).
pub const CONFIDENTIAL_TOKEN: &str = "zzconfidentialzz";

/// Which documents a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marked {
    Any,
    /// Only confidential petitions' documents.
    Confidential,
}

/// Where a query's rows come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// Every match, unranked (date order).
    All,
    /// Every match, only its id (counting: the text is not read).
    Count,
    /// The best `k` candidates by relevance (every match with `None`).
    Ranked(Option<i64>),
}

/// One person's details a search may match, for viewers who may know who raised the matter.
#[derive(Debug, Clone, Default)]
pub struct PersonText {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: String,
    pub address: String,
}

/// Everything a petition holds in words, read for indexing.
#[derive(Debug, Clone, Default)]
pub struct SearchSource {
    pub petition_id: String,
    pub bureau_id: String,
    pub petition_no: String,
    /// The national number of an imported petition: found like our own number.
    pub national_no: Option<String>,
    pub confidential: bool,
    /// What a unit handling an accusation against itself may read too: summary, requests,
    /// proposal.
    pub matter: Vec<String>,
    /// The rest: interviews, the letter's registration, reports, replies, issued documents (a
    /// draft is the bureau's internal work, which units may not read), notes.
    pub narrative: Vec<String>,
    pub people: Vec<PersonText>,
}

/// The tokens and raw text of one petition's document.
#[derive(Debug, Clone, Default)]
pub struct SearchDoc {
    pub petition_id: String,
    pub bureau_id: String,
    pub number: Vec<String>,
    pub matter: Vec<String>,
    pub restricted: Vec<String>,
    pub matter_raw: String,
    pub full_raw: String,
    /// The matter's distinct tokens (for repeat candidates), space-separated in order.
    pub matter_tokens: String,
    pub dictionary_version: String,
}

/// A query in tokens: each word its tokens (all required), each phrase its tokens and its text
/// (found as written), each excluded word its tokens.
#[derive(Debug, Clone, Default)]
pub struct TokenQuery {
    pub words: Vec<Vec<String>>,
    pub phrases: Vec<(Vec<String>, String)>,
    pub excluded: Vec<Vec<String>>,
}

impl TokenQuery {
    fn positive(&self) -> impl Iterator<Item = &String> {
        self.words
            .iter()
            .flatten()
            .chain(self.phrases.iter().flat_map(|p| &p.0))
    }
}

#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub stage: Option<Stage>,
    pub channel: Option<Channel>,
    pub registered_from: Option<NaiveDate>,
    pub registered_to: Option<NaiveDate>,
    pub township: Option<String>,
    pub category: Option<String>,
    pub purpose: Option<String>,
    pub handling_unit_id: Option<String>,
    pub accused_unit_id: Option<String>,
    pub repeat: Option<bool>,
    pub collective: Option<bool>,
    pub confidential: Option<bool>,
}

impl SearchFilter {
    /// No filter at all.
    pub fn is_empty(&self) -> bool {
        self.stage.is_none()
            && self.channel.is_none()
            && self.registered_from.is_none()
            && self.registered_to.is_none()
            && self.confidential.is_none()
            && !self.on_details()
    }

    /// Filters on what a number-only row does not show: such rows are left out when one is set.
    fn on_details(&self) -> bool {
        self.township.is_some()
            || self.category.is_some()
            || self.purpose.is_some()
            || self.handling_unit_id.is_some()
            || self.accused_unit_id.is_some()
            || self.repeat.is_some()
            || self.collective.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchOrder {
    /// Best match first (bm25 / ts_rank), then by id.
    Relevance,
    /// Newest registration first.
    Newest,
}

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchCursor {
    pub rank: f64,
    pub registered_at: String,
    pub id: String,
}

#[derive(Clone, Copy)]
pub struct SearchRequest<'a> {
    pub bureau_id: &'a str,
    /// The viewer, for recusal.
    pub user_id: &'a str,
    pub scope: &'a SearchScope,
    pub text: Option<&'a TokenQuery>,
    pub filter: &'a SearchFilter,
    pub order: SearchOrder,
    pub after: Option<&'a SearchCursor>,
    pub limit: i64,
    /// The version current documents carry: a count relies on the confidential mark only when
    /// no document of the bureau is older.
    pub index_version: &'a str,
}

/// A row found, with its rank (lower is better on both backends) and its raw text for the
/// snippet.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub record: PetitionRecord,
    pub rank: f64,
    pub matter: String,
    pub full_text: String,
    /// The matter's distinct tokens as indexed, space-separated (empty for a document indexed
    /// before they were kept).
    pub matter_tokens: String,
}

#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    Float(f64),
}

/// A query under construction: SQL text and its arguments, numbered as they are pushed.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn arg(&mut self, v: impl Into<String>) -> String {
        self.args.push(Arg::Text(v.into()));
        format!("${}", self.args.len())
    }

    fn float(&mut self, v: f64) -> String {
        self.args.push(Arg::Float(v));
        format!("${}", self.args.len())
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
}

/// FTS5 columns per level.
fn fts_columns(level: MatchLevel) -> &'static str {
    match level {
        MatchLevel::Full => "{number matter restricted}",
        MatchLevel::Matter => "{number matter}",
        MatchLevel::Number => "{number}",
    }
}

/// tsquery weights per level: none for every column, so that the GIN index answers without
/// reading each match's tsvector again (a weight makes PostgreSQL recheck every row).
fn ts_weights(level: MatchLevel) -> &'static str {
    match level {
        MatchLevel::Full => "",
        MatchLevel::Matter => "AB",
        MatchLevel::Number => "A",
    }
}

/// A token as a query term: tokens hold letters and digits only (the app normalises them), so
/// quoting them is enough; anything else is dropped rather than trusted.
fn clean(t: &str) -> String {
    // Cut to a length both backends index whole (a PostgreSQL lexeme stops at 2 KB); index and
    // query cut alike, so a longer token still finds itself.
    t.chars()
        .filter(|c| c.is_alphanumeric())
        .take(MAX_TOKEN_CHARS)
        .collect()
}

/// The FTS5 expression matching the query on one level's columns.
fn fts_expression(q: &TokenQuery, level: MatchLevel) -> String {
    let cols = fts_columns(level);
    let all = |tokens: &mut dyn Iterator<Item = &String>| {
        tokens
            .map(|t| clean(t))
            .filter(|t| t != CONFIDENTIAL_TOKEN)
            .map(|t| format!("\"{t}\""))
            .filter(|t| t.len() > 2)
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let mut e = format!("{cols} : ({})", all(&mut q.positive()));
    for x in &q.excluded {
        let x = all(&mut x.iter());
        if !x.is_empty() {
            e.push_str(&format!(" NOT {cols} : ({x})"));
        }
    }
    e
}

/// The tsquery text matching the query on one level's weights.
fn ts_expression(q: &TokenQuery, level: MatchLevel) -> String {
    let w = ts_weights(level);
    let all = |tokens: &mut dyn Iterator<Item = &String>| {
        tokens
            .map(|t| clean(t))
            .filter(|t| !t.is_empty() && t != CONFIDENTIAL_TOKEN)
            .map(|t| {
                if w.is_empty() {
                    format!("'{t}'")
                } else {
                    format!("'{t}':{w}")
                }
            })
            .collect::<Vec<_>>()
            .join(" & ")
    };
    let mut e = format!("({})", all(&mut q.positive()));
    for x in &q.excluded {
        let x = all(&mut x.iter());
        if !x.is_empty() {
            e.push_str(&format!(" & !({x})"));
        }
    }
    e
}

/// A tsvector literal: each token with its positions (1-based, at most 16383).
fn ts_vector(tokens: &[String]) -> String {
    let mut positions: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let cleaned: Vec<String> = tokens.iter().take(MAX_TOKENS).map(|t| clean(t)).collect();
    for (i, t) in cleaned.iter().enumerate() {
        let t = t.as_str();
        if t.is_empty() {
            continue;
        }
        let k = *index.entry(t).or_insert_with(|| {
            positions.push((t, Vec::new()));
            positions.len() - 1
        });
        if positions[k].1.len() < 256 {
            positions[k].1.push((i + 1).min(16383));
        }
    }
    // A tsvector holds at most 1 MB, and a document has three: each stops well short of a third.
    let mut out = String::new();
    for (t, p) in &positions {
        let p: Vec<String> = p.iter().map(usize::to_string).collect();
        let lexeme = format!("'{t}':{}", p.join(","));
        if out.len() + lexeme.len() + 1 > MAX_VECTOR_BYTES {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&lexeme);
    }
    out
}

impl Store {
    /// The petitions this transaction changed, taken off the pending list.
    pub async fn take_search_pending(&self, tx: &mut Tx) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT petition_id FROM search_pending ORDER BY petition_id")
                .fetch_all(&mut **tx)
                .await?;
        if !rows.is_empty() {
            sqlx::query("DELETE FROM search_pending")
                .execute(&mut **tx)
                .await?;
        }
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The text of the petitions, read in the transaction that changed them.
    pub async fn search_sources_in(
        &self,
        tx: &mut Tx,
        ids: &[String],
    ) -> Result<Vec<SearchSource>> {
        search_sources(tx, ids).await
    }

    /// The text of the petitions, for reindexing.
    pub async fn search_sources(&self, ids: &[String]) -> Result<Vec<SearchSource>> {
        let mut conn = self.pool().acquire().await?;
        search_sources(&mut conn, ids).await
    }

    /// Stores (or replaces) a petition's document.
    pub async fn put_search_doc(&self, tx: &mut Tx, doc: &SearchDoc) -> Result<()> {
        let conn: &mut AnyConnection = tx;
        match self.backend() {
            Backend::Sqlite => {
                let old: Option<(i64,)> =
                    sqlx::query_as("SELECT doc_id FROM search_docs WHERE petition_id = $1")
                        .bind(&doc.petition_id)
                        .fetch_optional(&mut *conn)
                        .await?;
                let doc_id = match old {
                    Some((id,)) => {
                        sqlx::query("DELETE FROM search_fts WHERE rowid = $1")
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("UPDATE search_docs SET matter = $1, full_text = $2, dictionary_version = $3, matter_tokens = $4 WHERE doc_id = $5")
                            .bind(&doc.matter_raw)
                            .bind(&doc.full_raw)
                            .bind(&doc.dictionary_version)
                            .bind(&doc.matter_tokens)
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                        id
                    }
                    None => {
                        let (id,): (i64,) = sqlx::query_as("INSERT INTO search_docs (petition_id, bureau_id, matter, full_text, dictionary_version, matter_tokens) VALUES ($1, $2, $3, $4, $5, $6) RETURNING doc_id")
                            .bind(&doc.petition_id)
                            .bind(&doc.bureau_id)
                            .bind(&doc.matter_raw)
                            .bind(&doc.full_raw)
                            .bind(&doc.dictionary_version)
                            .bind(&doc.matter_tokens)
                            .fetch_one(&mut *conn)
                            .await?;
                        id
                    }
                };
                let join = |t: &[String]| {
                    t.iter()
                        .take(MAX_TOKENS)
                        .map(|s| clean(s))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                sqlx::query("INSERT INTO search_fts (rowid, number, matter, restricted) VALUES ($1, $2, $3, $4)")
                    .bind(doc_id)
                    .bind(join(&doc.number))
                    .bind(join(&doc.matter))
                    .bind(join(&doc.restricted))
                    .execute(&mut *conn)
                    .await?;
            }
            Backend::Postgres => {
                sqlx::query(
                    "INSERT INTO search_docs (petition_id, bureau_id, matter, full_text, dictionary_version, doc, matter_tokens) \
                     VALUES ($1, $2, $3, $4, $5, setweight($6::tsvector, 'A') || setweight($7::tsvector, 'B') || setweight($8::tsvector, 'C'), $9) \
                     ON CONFLICT (petition_id) DO UPDATE SET matter = EXCLUDED.matter, full_text = EXCLUDED.full_text, \
                     dictionary_version = EXCLUDED.dictionary_version, doc = EXCLUDED.doc, matter_tokens = EXCLUDED.matter_tokens",
                )
                .bind(&doc.petition_id)
                .bind(&doc.bureau_id)
                .bind(&doc.matter_raw)
                .bind(&doc.full_raw)
                .bind(&doc.dictionary_version)
                .bind(ts_vector(&doc.number))
                .bind(ts_vector(&doc.matter))
                .bind(ts_vector(&doc.restricted))
                .bind(&doc.matter_tokens)
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }

    /// Stores (or replaces) the documents of one write. On PostgreSQL in multi-row statements:
    /// one round trip per document made a 1 000-row import batch spend 440 ms here. (SQLite's
    /// statements cost no round trip; its FTS5 rows keep the one-by-one path.)
    pub async fn put_search_docs(&self, tx: &mut Tx, docs: &[SearchDoc]) -> Result<()> {
        if self.backend() == Backend::Sqlite || docs.len() < 2 {
            for d in docs {
                self.put_search_doc(tx, d).await?;
            }
            return Ok(());
        }
        const WIDTH: usize = 9;
        // The petition ids of one write are distinct (its pending marks), as ON CONFLICT needs.
        for chunk in docs.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO search_docs (petition_id, bureau_id, matter, full_text, dictionary_version, doc, matter_tokens) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let b = i * WIDTH;
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, setweight(${}::tsvector, 'A') || setweight(${}::tsvector, 'B') || setweight(${}::tsvector, 'C'), ${})",
                    b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9
                ));
            }
            sql.push_str(
                " ON CONFLICT (petition_id) DO UPDATE SET matter = EXCLUDED.matter, full_text = EXCLUDED.full_text, \
                 dictionary_version = EXCLUDED.dictionary_version, doc = EXCLUDED.doc, matter_tokens = EXCLUDED.matter_tokens",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for d in chunk {
                q = q
                    .bind(&d.petition_id)
                    .bind(&d.bureau_id)
                    .bind(&d.matter_raw)
                    .bind(&d.full_raw)
                    .bind(&d.dictionary_version)
                    .bind(ts_vector(&d.number))
                    .bind(ts_vector(&d.matter))
                    .bind(ts_vector(&d.restricted))
                    .bind(&d.matter_tokens);
            }
            let conn: &mut AnyConnection = tx;
            q.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Petitions of the bureau whose document is missing or was cut with another dictionary
    /// (with `all`: every one), after `after` in id order.
    pub async fn stale_search_docs(
        &self,
        bureau_id: &str,
        version: &str,
        after: &str,
        limit: i64,
        all: bool,
    ) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT p.id FROM petitions p LEFT JOIN search_docs d ON d.petition_id = p.id \
             WHERE p.bureau_id = $1 AND p.id > $2 AND ({} OR d.petition_id IS NULL OR d.dictionary_version <> $3) \
             ORDER BY p.id LIMIT {}",
            if all { "1 = 1" } else { "1 = 0" },
            limit.max(1)
        )))
        .bind(bureau_id)
        .bind(after)
        .bind(version)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Before a rebuild on SQLite: drop the statistics of the index's tables. FTS5's own lookups
    /// are planned from `sqlite_stat1`; figures gathered (ANALYZE) while the index was small
    /// made every insert scan its tables, so that a rebuild of 100 000 slowed from 0.4 to 5 ms
    /// a petition as it went. Without figures SQLite plans them by their keys.
    pub async fn forget_search_statistics(&self) -> Result<()> {
        if self.backend() != Backend::Sqlite {
            return Ok(());
        }
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
        )
        .fetch_one(self.pool())
        .await?;
        if n > 0 {
            sqlx::query("DELETE FROM sqlite_stat1 WHERE tbl LIKE 'search%'")
                .execute(self.pool())
                .await?;
            // Every connection reads the statistics again at its next statement once the schema
            // has changed: a table made and dropped changes it.
            sqlx::query("CREATE TABLE search_statistics_reset (x INTEGER)")
                .execute(self.pool())
                .await?;
            sqlx::query("DROP TABLE search_statistics_reset")
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }

    /// How many documents' matters hold each of these tokens, as the last rebuild counted them
    /// (a token it did not see is missing).
    pub async fn search_term_counts(
        &self,
        bureau_id: &str,
        terms: &[String],
    ) -> Result<HashMap<String, i64>> {
        let mut out = HashMap::new();
        for chunk in terms.chunks(BATCH) {
            let marks = crate::petitions::placeholders(2, chunk.len());
            let mut q = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(format!(
                "SELECT term, docs FROM search_terms WHERE bureau_id = $1 AND term IN ({marks})"
            )))
            .bind(bureau_id);
            for t in chunk {
                q = q.bind(t);
            }
            out.extend(q.fetch_all(self.pool()).await?);
        }
        Ok(out)
    }

    /// Counts again, from the documents' stored token sets, how many matters hold each token;
    /// returns how many tokens there are.
    pub async fn refresh_search_terms(&self, bureau_id: &str) -> Result<usize> {
        let mut counts: HashMap<String, i64> = HashMap::new();
        let mut after = String::new();
        loop {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT petition_id, matter_tokens FROM search_docs \
                 WHERE bureau_id = $1 AND petition_id > $2 ORDER BY petition_id LIMIT 5000",
            )
            .bind(bureau_id)
            .bind(&after)
            .fetch_all(self.pool())
            .await?;
            let Some((last, _)) = rows.last() else {
                break;
            };
            after = last.clone();
            for (_, tokens) in &rows {
                for t in tokens.split(' ').filter(|t| !t.is_empty()) {
                    *counts.entry(t.to_string()).or_default() += 1;
                }
            }
        }
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM search_terms WHERE bureau_id = $1")
            .bind(bureau_id)
            .execute(&mut **tx)
            .await?;
        let all: Vec<(String, i64)> = counts.into_iter().collect();
        for chunk in all.chunks(BATCH) {
            let values = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect::<Vec<_>>()
                .join(", ");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO search_terms (bureau_id, term, docs) VALUES {values}"
            )));
            for (t, n) in chunk {
                q = q.bind(bureau_id).bind(t).bind(*n);
            }
            q.execute(&mut **tx).await?;
        }
        tx.commit().await?;
        Ok(all.len())
    }

    /// After a rebuild on PostgreSQL: statistics of the index's tables. Without them (the
    /// fill's ANALYZE ran while the index was empty) the planner guesses every word common and
    /// walks the bureau's petitions newest first probing each one's tsvector, 0.5–1.5 s for a
    /// word held by one petition of 100 000. SQLite plans FTS5 by its own costs and keeps
    /// none for the index (`forget_search_statistics`).
    pub async fn analyze_search_index(&self) -> Result<()> {
        if self.backend() == Backend::Postgres {
            sqlx::query("ANALYZE search_docs, search_terms")
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }

    /// How many of the bureau's petitions need indexing with this dictionary.
    pub async fn count_stale_search_docs(&self, bureau_id: &str, version: &str) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM petitions p LEFT JOIN search_docs d ON d.petition_id = p.id \
             WHERE p.bureau_id = $1 AND (d.petition_id IS NULL OR d.dictionary_version <> $2)",
        )
        .bind(bureau_id)
        .bind(version)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// The bureau's own words, with who added them and when, alphabetically.
    pub async fn search_words(&self, bureau_id: &str) -> Result<Vec<(String, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT w.word, COALESCE(u.display_name, ''), w.added_at FROM search_words w \
             LEFT JOIN users u ON u.id = w.added_by WHERE w.bureau_id = $1 ORDER BY w.word",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Adds a word; `false` when the bureau has it already.
    pub async fn add_search_word(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        word: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let r = sqlx::query("INSERT INTO search_words (bureau_id, word, added_by, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(bureau_id)
            .bind(word)
            .bind(user_id)
            .bind(ts(now))
            .execute(&mut **tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Removes a word; `false` when the bureau did not have it.
    pub async fn remove_search_word(
        &self,
        tx: &mut Tx,
        bureau_id: &str,
        word: &str,
    ) -> Result<bool> {
        let r = sqlx::query("DELETE FROM search_words WHERE bureau_id = $1 AND word = $2")
            .bind(bureau_id)
            .bind(word)
            .execute(&mut **tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// One page of what the viewer's search finds, in the requested order.
    ///
    /// A relevance page ranks a bounded set of candidates, widened (×4) only while the page is
    /// not full, instead of ranking every match and joining each to its petition: bm25 on
    /// FTS5 (even `ORDER BY rank LIMIT k`, which scores and sorts every match) and `ts_rank`
    /// on PostgreSQL read every match, 50 ms for a word half of 100 000 petitions hold. The
    /// candidates are, on SQLite, the most recently indexed matches (FTS5 walks its doclists
    /// backwards by rowid, so only those are scored) and, on PostgreSQL, the first matches the
    /// index yields in storage order. For a word more than `k` petitions hold, the first page
    /// is the best of those `k`, not of all; a deeper page that widens the set may skip rows of
    /// the wider set ranked above its cursor. A row's rank depends on the row alone, so pages
    /// never repeat a row, and a query matching fewer than `k` is ranked over all of them.
    pub async fn search(&self, req: &SearchRequest<'_>) -> Result<Vec<SearchHit>> {
        let ranked = req.text.is_some() && req.order == SearchOrder::Relevance;
        let lim = req.limit.clamp(1, 501);
        if !ranked {
            let (mut sql, _, _) = self.search_sql(req, Source::All, Marked::Any);
            if let Some(c) = req.after {
                let at = sql.arg(c.registered_at.clone());
                let id = sql.arg(c.id.clone());
                sql.push(&format!(" AND (p.registered_at, p.id) < ({at}, {id})"));
            }
            sql.push(&format!(
                " ORDER BY p.registered_at DESC, p.id DESC LIMIT {lim}"
            ));
            let rows = self.run(&sql).await?;
            return self.hits(&rows).await;
        }
        let mut k = (lim * 4).max(
            self.search_candidates
                .load(std::sync::atomic::Ordering::Relaxed),
        );
        loop {
            let bounded = k <= MAX_CANDIDATES;
            let (mut sql, rank, tail) =
                self.search_sql(req, Source::Ranked(bounded.then_some(k)), Marked::Any);
            if let Some(c) = req.after {
                let r = sql.float(c.rank);
                let r2 = sql.float(c.rank);
                let id = sql.arg(c.id.clone());
                sql.push(&format!(
                    " AND ({rank} > {r} OR ({rank} = {r2} AND p.id > {id}))"
                ));
            }
            sql.push(&format!(" ORDER BY search_rank, p.id LIMIT {lim}{tail}"));
            let rows = self.run(&sql).await?;
            let candidates = match rows.first() {
                Some(r) => r.try_get::<i64, _>("cand_n")?,
                None => 0,
            };
            let mut found = Vec::with_capacity(rows.len());
            for r in rows {
                if r.try_get::<Option<String>, _>("id")?.is_some() {
                    found.push(r);
                }
            }
            if !bounded || candidates < k || found.len() as i64 == lim {
                return self.hits(&found).await;
            }
            k *= 4;
        }
    }

    /// Sets how many candidates a relevance page ranks at first (at least four times the
    /// page): for tests, which reach the widening with a few dozen petitions.
    pub fn set_search_candidates(&self, n: i64) {
        self.search_candidates
            .store(n.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// The rows of a page as hits, with their petitioners.
    async fn hits(&self, rows: &[sqlx::any::AnyRow]) -> Result<Vec<SearchHit>> {
        let mut hits = Vec::with_capacity(rows.len());
        for r in rows {
            hits.push(SearchHit {
                record: petition_from(r)?,
                rank: r.try_get("search_rank")?,
                matter: r.try_get("search_matter")?,
                full_text: r.try_get("search_full")?,
                matter_tokens: r.try_get("search_tokens")?,
            });
        }
        let mut records: Vec<PetitionRecord> = hits.iter().map(|h| h.record.clone()).collect();
        self.with_petitioners(&mut records).await?;
        for (h, r) in hits.iter_mut().zip(records) {
            h.record = r;
        }
        Ok(hits)
    }

    /// How many rows the viewer's search finds, counting up to `cap + 1`: more than `cap`
    /// means "more than cap".
    pub async fn search_count(&self, req: &SearchRequest<'_>, cap: i64) -> Result<i64> {
        if let Some(n) = self.plain_count(req, cap).await? {
            return Ok(n);
        }
        self.joined_count(req, cap, Marked::Any).await
    }

    /// The count with each match joined to its petition for the scope and the filters; no rank
    /// is computed, no text read, and the scan stops at the cap.
    async fn joined_count(&self, req: &SearchRequest<'_>, cap: i64, marked: Marked) -> Result<i64> {
        let (inner, _, _) = self.search_sql(req, Source::Count, marked);
        let sql = Sql {
            text: format!(
                "SELECT count(*) AS n FROM ({} LIMIT {}) c",
                inner.text,
                cap + 1
            ),
            args: inner.args,
        };
        let rows = self.run(&sql).await?;
        Ok(rows
            .first()
            .map(|r| r.try_get::<i64, _>("n"))
            .transpose()?
            .unwrap_or(0))
    }

    /// The count on the index alone where nothing per row can drop a match: words only (no
    /// phrase), no filter, a viewer recused from nothing, and (on SQLite, whose FTS table has no
    /// bureau) one bureau in the database. For the leaders that is every match. For bureau
    /// staff, who reach a confidential petition only when it is theirs, it is every match
    /// without the confidential mark plus the marked ones joined to their petitions (when every
    /// document carries the mark, i.e. none is older than the current version). `None` when
    /// the count needs the join throughout.
    async fn plain_count(&self, req: &SearchRequest<'_>, cap: i64) -> Result<Option<i64>> {
        let Some(q) = req.text else {
            return Ok(None);
        };
        let staff = match req.scope {
            SearchScope::Everything => false,
            SearchScope::Staff { .. } => true,
            SearchScope::Unit { .. } => return Ok(None),
        };
        if !q.phrases.is_empty() || !req.filter.is_empty() {
            return Ok(None);
        }
        // Two index ranges: SQLite reads the whole bureau's entries for `<>` or an OR.
        let (bureaus, recused, older): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM bureaus), \
             (SELECT count(*) FROM (SELECT 1 FROM recusals WHERE user_id = $1 LIMIT 1) r), \
             (SELECT count(*) FROM (SELECT 1 FROM search_docs WHERE bureau_id = $2 AND dictionary_version < $3 \
              UNION ALL SELECT 1 FROM search_docs WHERE bureau_id = $4 AND dictionary_version > $5 LIMIT 1) v)",
        )
        .bind(req.user_id)
        .bind(req.bureau_id)
        .bind(req.index_version)
        .bind(req.bureau_id)
        .bind(req.index_version)
        .fetch_one(self.pool())
        .await?;
        let pg = self.backend() == Backend::Postgres;
        if recused > 0 || (staff && older > 0) || (!pg && bureaus != 1) {
            return Ok(None);
        }
        let (n,): (i64,) = if pg {
            let mut e = ts_expression(q, MatchLevel::Full);
            if staff {
                e = format!("({e}) & !'{CONFIDENTIAL_TOKEN}'");
            }
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM (SELECT 1 FROM search_docs WHERE bureau_id = $1 AND doc @@ $2::tsquery LIMIT {}) c",
                cap + 1
            )))
            .bind(req.bureau_id)
            .bind(e)
            .fetch_one(self.pool())
            .await?
        } else {
            let mut e = fts_expression(q, MatchLevel::Full);
            if staff {
                e = format!("({e}) NOT {{number}} : (\"{CONFIDENTIAL_TOKEN}\")");
            }
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT count(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH $1 LIMIT {}) c",
                cap + 1
            )))
            .bind(e)
            .fetch_one(self.pool())
            .await?
        };
        if !staff || n > cap {
            return Ok(Some(n));
        }
        let marked = self
            .joined_count(req, cap - n, Marked::Confidential)
            .await?;
        Ok(Some(n + marked))
    }

    async fn run(&self, sql: &Sql) -> Result<Vec<sqlx::any::AnyRow>> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.text.clone()));
        for a in &sql.args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Float(f) => q.bind(*f),
            };
        }
        Ok(q.fetch_all(self.pool()).await?)
    }

    /// The query without order and limit, and the SQL of its rank. With `Source::Ranked` the
    /// text opens `WITH f AS (the candidates), s AS (how many) SELECT
    /// s.*, x.* FROM s LEFT JOIN (SELECT … WHERE …` and the caller closes it after its order
    /// and limit with `) x ON 1 = 1`, so that an empty page still says how many candidates
    /// there were.
    fn search_sql(
        &self,
        req: &SearchRequest<'_>,
        source: Source,
        marked: Marked,
    ) -> (Sql, String, String) {
        let pg = self.backend() == Backend::Postgres;
        let mut sql = Sql::default();
        let mut rank = String::from("0");
        let mut tail = String::new();
        // The viewer's narrower level, and the condition under which a row is reached fully.
        let (narrow, full_cond) = match req.scope {
            SearchScope::Everything => (None, None),
            SearchScope::Staff { user_id } => {
                let u1 = sql.arg(user_id.clone());
                let u2 = sql.arg(user_id.clone());
                let u3 = sql.arg(user_id.clone());
                (
                    Some(MatchLevel::Number),
                    Some(format!(
                        "(p.confidential = 0 OR COALESCE(p.carried_by, '') = {u1} OR (p.carried_by IS NULL AND (p.registered_by = {u2} OR COALESCE(p.decided_by, '') = {u3})))"
                    )),
                )
            }
            SearchScope::Unit { unit_id } => {
                let u = sql.arg(unit_id.clone());
                (
                    Some(MatchLevel::Matter),
                    Some(format!("COALESCE(p.accused_unit_id, '') <> {u}")),
                )
            }
        };
        // The text a phrase must occur in, per level.
        let raw = |level: MatchLevel| match level {
            MatchLevel::Full => Some(if pg {
                "d.matter || chr(10) || d.full_text"
            } else {
                "d.matter || char(10) || d.full_text"
            }),
            MatchLevel::Matter => Some("d.matter"),
            MatchLevel::Number => None,
        };
        let mut text_cond: Option<String> = None;
        match req.text {
            Some(q) => {
                let wide = match (pg, marked) {
                    (true, Marked::Any) => ts_expression(q, MatchLevel::Full),
                    (true, Marked::Confidential) => format!(
                        "({}) & '{CONFIDENTIAL_TOKEN}'",
                        ts_expression(q, MatchLevel::Full)
                    ),
                    (false, Marked::Any) => fts_expression(q, MatchLevel::Full),
                    (false, Marked::Confidential) => format!(
                        "({}) AND {{number}} : (\"{CONFIDENTIAL_TOKEN}\")",
                        fts_expression(q, MatchLevel::Full)
                    ),
                };
                let w = sql.arg(wide);
                let columns = match source {
                    Source::Count => "p.id",
                    _ => {
                        "p.*, d.matter AS search_matter, d.full_text AS search_full, d.matter_tokens AS search_tokens"
                    }
                };
                match source {
                    Source::All | Source::Count => {
                        rank = "0".into();
                        if pg {
                            sql.push(&format!(
                                "SELECT {columns}, CAST(0 AS DOUBLE PRECISION) AS search_rank \
                                 FROM search_docs d JOIN petitions p ON p.id = d.petition_id WHERE d.doc @@ {w}::tsquery"
                            ));
                        } else {
                            sql.push(&format!(
                                "WITH f AS (SELECT rowid AS doc_id FROM search_fts WHERE search_fts MATCH {w}) \
                                 SELECT {columns}, CAST(0 AS DOUBLE PRECISION) AS search_rank \
                                 FROM f JOIN search_docs d ON d.doc_id = f.doc_id JOIN petitions p ON p.id = d.petition_id WHERE 1 = 1"
                            ));
                        }
                    }
                    Source::Ranked(k) => {
                        rank = "f.f_rank".into();
                        let candidates = if pg {
                            let b = sql.arg(req.bureau_id);
                            let limit = k.map(|k| format!(" LIMIT {k}")).unwrap_or_default();
                            format!(
                                "SELECT petition_id, (-ts_rank(doc, {w}::tsquery))::float8 AS f_rank FROM search_docs \
                                 WHERE bureau_id = {b} AND doc @@ {w}::tsquery{limit}"
                            )
                        } else {
                            let limit = k
                                .map(|k| format!(" ORDER BY rowid DESC LIMIT {k}"))
                                .unwrap_or_default();
                            format!(
                                "SELECT rowid AS doc_id, bm25(search_fts, 10.0, 4.0, 1.0) AS f_rank FROM search_fts \
                                 WHERE search_fts MATCH {w}{limit}"
                            )
                        };
                        // SQLite would otherwise walk the bureau's petitions and probe the
                        // candidates; CROSS JOIN keeps the candidates the outer loop.
                        let (join, text) = if pg {
                            (
                                "f JOIN search_docs d ON d.petition_id = f.petition_id JOIN petitions p ON p.id = f.petition_id",
                                "LEFT JOIN petitions p ON p.id = x.pid LEFT JOIN search_docs d ON d.petition_id = x.pid",
                            )
                        } else {
                            (
                                "f CROSS JOIN search_docs d ON d.doc_id = f.doc_id CROSS JOIN petitions p ON p.id = d.petition_id",
                                "LEFT JOIN petitions p ON p.id = x.pid LEFT JOIN search_docs d ON d.doc_id = x.did",
                            )
                        };
                        let did = if pg { "d.petition_id" } else { "d.doc_id" };
                        // The page is chosen on ids and ranks; only its rows' text is read.
                        sql.push(&format!(
                            "WITH f AS MATERIALIZED ({candidates}), \
                             s AS (SELECT count(*) AS cand_n FROM f) \
                             SELECT s.cand_n, x.search_rank, {columns} FROM s LEFT JOIN (\
                             SELECT p.id AS pid, {did} AS did, f.f_rank AS search_rank FROM {join} WHERE 1 = 1"
                        ));
                        tail = format!(") x ON 1 = 1 {text} ORDER BY x.search_rank, x.pid");
                    }
                }
                let level_cond = |sql: &mut Sql, level: MatchLevel, first: bool| -> String {
                    let mut parts: Vec<String> = Vec::new();
                    if !first {
                        let e = if pg {
                            ts_expression(q, level)
                        } else {
                            fts_expression(q, level)
                        };
                        let a = sql.arg(e);
                        parts.push(if pg {
                            format!("d.doc @@ {a}::tsquery")
                        } else {
                            format!("d.doc_id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH {a})")
                        });
                    }
                    for (_, phrase) in &q.phrases {
                        match raw(level) {
                            Some(r) => {
                                let a = sql.arg(phrase.clone());
                                parts.push(if pg {
                                    format!("strpos({r}, {a}) > 0")
                                } else {
                                    format!("instr({r}, {a}) > 0")
                                });
                            }
                            None => parts.push("1 = 0".into()),
                        }
                    }
                    if parts.is_empty() {
                        "1 = 1".into()
                    } else {
                        parts.join(" AND ")
                    }
                };
                let full = level_cond(&mut sql, MatchLevel::Full, true);
                text_cond = Some(match (&narrow, &full_cond) {
                    (Some(level), Some(fc)) => {
                        let n = level_cond(&mut sql, *level, false);
                        format!("(({fc} AND {full}) OR (NOT {fc} AND {n}))")
                    }
                    _ => format!("({full})"),
                });
            }
            None if matches!(source, Source::Count) => {
                sql.push("SELECT p.id FROM petitions p WHERE 1 = 1");
            }
            None => {
                sql.push(
                    "SELECT p.*, CAST(0 AS DOUBLE PRECISION) AS search_rank, '' AS search_matter, '' AS search_full, '' AS search_tokens \
                     FROM petitions p WHERE 1 = 1",
                );
            }
        }
        let b = sql.arg(req.bureau_id);
        sql.push(&format!(" AND p.bureau_id = {b}"));
        if let Some(t) = text_cond {
            sql.push(&format!(" AND {t}"));
        }
        if let SearchScope::Unit { unit_id } = req.scope {
            let u = sql.arg(unit_id.clone());
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM handling_records h WHERE h.petition_id = p.id AND h.unit_id = {u})"
            ));
        }
        let u = sql.arg(req.user_id);
        sql.push(&format!(
            " AND NOT EXISTS (SELECT 1 FROM recusals r WHERE r.user_id = {u} AND (r.petition_id = p.id OR EXISTS (SELECT 1 FROM petitioners q WHERE q.petition_id = p.id AND ((r.petitioner_id_number IS NOT NULL AND q.id_number = r.petitioner_id_number) OR (r.petitioner_name IS NOT NULL AND q.name = r.petitioner_name)))))"
        ));
        let f = req.filter;
        if let Some(fc) = full_cond
            .as_ref()
            .filter(|_| f.on_details() && narrow == Some(MatchLevel::Number))
        {
            sql.push(&format!(" AND {fc}"));
        }
        let eq = |sql: &mut Sql, col: &str, v: &Option<String>| {
            if let Some(v) = v {
                let a = sql.arg(v.clone());
                sql.push(&format!(" AND {col} = {a}"));
            }
        };
        eq(
            &mut sql,
            "p.stage",
            &f.stage.map(|s| s.as_str().to_string()),
        );
        eq(
            &mut sql,
            "p.channel",
            &f.channel.map(|c| c.as_str().to_string()),
        );
        eq(&mut sql, "p.township", &f.township);
        eq(&mut sql, "p.category", &f.category);
        eq(&mut sql, "p.purpose", &f.purpose);
        eq(&mut sql, "p.accused_unit_id", &f.accused_unit_id);
        if let Some(d) = f.registered_from {
            let a = sql.arg(d.to_string());
            sql.push(&format!(" AND p.registered_on >= {a}"));
        }
        if let Some(d) = f.registered_to {
            let a = sql.arg(d.to_string());
            sql.push(&format!(" AND p.registered_on <= {a}"));
        }
        if let Some(u) = &f.handling_unit_id {
            let a = sql.arg(u.clone());
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM handling_records h2 WHERE h2.petition_id = p.id AND h2.unit_id = {a})"
            ));
        }
        let flag = |v: bool| if v { "1" } else { "0" };
        if let Some(r) = f.repeat {
            sql.push(if r {
                " AND p.repeat_of IS NOT NULL"
            } else {
                " AND p.repeat_of IS NULL"
            });
        }
        if let Some(c) = f.collective {
            sql.push(&format!(" AND p.collective = {}", flag(c)));
        }
        if let Some(c) = f.confidential {
            sql.push(&format!(" AND p.confidential = {}", flag(c)));
        }
        (sql, rank, tail)
    }
}

/// Reads the text of the petitions over one connection (a transaction's or the pool's).
async fn search_sources(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<SearchSource>> {
    let mut out: Vec<SearchSource> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH) {
        let marks = crate::petitions::placeholders(1, chunk.len());
        let mut index: HashMap<String, usize> = HashMap::new();
        let base = out.len();
        macro_rules! rows {
            ($sql:expr) => {{
                let mut q = sqlx::query(sqlx::AssertSqlSafe(format!($sql, marks = marks)));
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(&mut *conn).await?
            }};
        }
        for r in rows!(
            "SELECT id, bureau_id, petition_no, national_no, confidential, summary, requests, proposal, decision_note, repeat_reason FROM petitions WHERE id IN ({marks}) ORDER BY id"
        ) {
            let id: String = r.try_get("id")?;
            index.insert(id.clone(), out.len());
            out.push(SearchSource {
                petition_id: id,
                bureau_id: r.try_get("bureau_id")?,
                petition_no: r.try_get("petition_no")?,
                national_no: r.try_get("national_no")?,
                confidential: r.try_get::<i64, _>("confidential")? != 0,
                matter: vec![
                    r.try_get("summary")?,
                    r.try_get("requests")?,
                    r.try_get("proposal")?,
                ],
                narrative: vec![r.try_get("decision_note")?, r.try_get("repeat_reason")?],
                people: Vec::new(),
            });
        }
        let mut add = |pid: String, texts: Vec<String>| {
            if let Some(&i) = index.get(&pid) {
                out[i]
                    .narrative
                    .extend(texts.into_iter().filter(|t| !t.trim().is_empty()));
            }
        };
        for r in rows!(
            "SELECT petition_id, facts_and_requests, earlier_petitions, skip_or_repeat_reason, abnormal_behaviour, coordination, appointment_note FROM interviews WHERE petition_id IN ({marks}) ORDER BY recorded_at"
        ) {
            let texts = [
                "facts_and_requests",
                "earlier_petitions",
                "skip_or_repeat_reason",
                "abnormal_behaviour",
                "coordination",
                "appointment_note",
            ]
            .iter()
            .map(|c| r.try_get::<String, _>(*c))
            .collect::<std::result::Result<Vec<_>, _>>()?;
            add(r.try_get("petition_id")?, texts);
        }
        for r in rows!(
            "SELECT petition_id, sender, sender_address, contact_name, opening_notes, forwarded_by_organ, forwarded_doc_no, leader_name, leader_instruction, form_summary, form_proposal, instruction, notice_detail FROM letters WHERE petition_id IN ({marks})"
        ) {
            let texts = [
                "sender",
                "sender_address",
                "contact_name",
                "opening_notes",
                "forwarded_by_organ",
                "forwarded_doc_no",
                "leader_name",
                "leader_instruction",
                "form_summary",
                "form_proposal",
                "instruction",
                "notice_detail",
            ]
            .iter()
            .map(|c| r.try_get::<String, _>(*c))
            .collect::<std::result::Result<Vec<_>, _>>()?;
            add(r.try_get("petition_id")?, texts);
        }
        for r in rows!(
            "SELECT petition_id, findings, decision, reply, refusal_note, settlement_note FROM handling_reports WHERE petition_id IN ({marks}) ORDER BY submitted_at"
        ) {
            let texts = [
                "findings",
                "decision",
                "reply",
                "refusal_note",
                "settlement_note",
            ]
            .iter()
            .map(|c| r.try_get::<String, _>(*c))
            .collect::<std::result::Result<Vec<_>, _>>()?;
            add(r.try_get("petition_id")?, texts);
        }
        for r in rows!(
            "SELECT petition_id, question, answer FROM query_replies WHERE petition_id IN ({marks}) ORDER BY recorded_at"
        ) {
            let texts = vec![r.try_get("question")?, r.try_get("answer")?];
            add(r.try_get("petition_id")?, texts);
        }
        for r in rows!(
            "SELECT petition_id, doc_no, data FROM documents WHERE petition_id IN ({marks}) AND issued_at IS NOT NULL ORDER BY created_at"
        ) {
            let data: String = r.try_get("data")?;
            let mut texts: Vec<String> = r
                .try_get::<Option<String>, _>("doc_no")?
                .into_iter()
                .collect();
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&data) {
                strings_of(&v, &mut texts);
            }
            add(r.try_get("petition_id")?, texts);
        }
        for r in rows!(
            "SELECT petition_id, name, id_number, phone, address FROM petitioners WHERE petition_id IN ({marks}) ORDER BY petition_id, ordinal"
        ) {
            let pid: String = r.try_get("petition_id")?;
            if let Some(&i) = index.get(&pid) {
                out[i].people.push(PersonText {
                    name: r.try_get("name")?,
                    id_number: r.try_get("id_number")?,
                    phone: r.try_get("phone")?,
                    address: r.try_get("address")?,
                });
            }
        }
        debug_assert!(out.len() >= base);
    }
    Ok(out)
}

/// The text values inside a document's data (its drafted fields), in order.
fn strings_of(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings_of(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings_of(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_restrict_columns_by_level_and_quote_every_token() {
        let q = TokenQuery {
            words: vec![vec!["农民工".into()], vec!["工资".into()]],
            phrases: vec![(vec!["城关".into(), "镇".into()], "城关镇".into())],
            excluded: vec![vec!["物业费".into()]],
        };
        assert_eq!(
            fts_expression(&q, MatchLevel::Matter),
            "{number matter} : (\"农民工\" AND \"工资\" AND \"城关\" AND \"镇\") NOT {number matter} : (\"物业费\")"
        );
        assert_eq!(
            ts_expression(&q, MatchLevel::Number),
            "('农民工':A & '工资':A & '城关':A & '镇':A) & !('物业费':A)"
        );
        let evil = TokenQuery {
            words: vec![vec!["a\" OR \"b':*".into()]],
            ..Default::default()
        };
        assert_eq!(
            fts_expression(&evil, MatchLevel::Full),
            "{number matter restricted} : (\"aORb\")"
        );
        assert_eq!(ts_expression(&evil, MatchLevel::Full), "('aORb')");
    }

    #[test]
    fn a_tsvector_stays_within_what_postgresql_stores() {
        let tokens: Vec<String> = (0..MAX_TOKENS).map(|i| format!("{i:0>60}")).collect();
        let v = ts_vector(&tokens);
        assert!(
            v.len() <= MAX_VECTOR_BYTES && v.len() > MAX_VECTOR_BYTES / 2,
            "{}",
            v.len()
        );
    }

    #[test]
    fn a_tsvector_lists_each_token_once_with_its_positions() {
        let v = ts_vector(&["工资".into(), "拖欠".into(), "工资".into(), "x'y".into()]);
        assert_eq!(
            v, "'工资':1,3 '拖欠':2 'xy':4",
            "a quote never reaches the literal"
        );
    }
}
