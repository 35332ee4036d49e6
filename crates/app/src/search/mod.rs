//! Search: every petition by what it holds in words, with filters, in relevance or date order,
//! through the gate (the viewer's scope is part of the query, and every row found passes the
//! gate again); repeat candidates at intake; the bureau's dictionary; rebuilding the index.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use xinfang_domain::search::{self as rules, SearchScope, TextQuery};
use xinfang_domain::visibility::Viewer;
use xinfang_domain::words::{Channel, Stage};
use xinfang_store::search::{
    SearchCursor, SearchFilter, SearchHit, SearchOrder, SearchRequest, TokenQuery,
};
use xinfang_text::{MAX_WORD_CHARS, Segmenter, name_key, normalize, snippet};

use crate::access::{Listing, PetitionView, listable, listed};
use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::index::{self, document, number_token};

/// Totals are exact up to this many rows; beyond, they read "10,000+".
pub const EXACT_TOTAL_CAP: i64 = 10_000;
/// Characters of a snippet.
const SNIPPET_CHARS: usize = 80;

/// A search as the API and the list page send it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SearchInput {
    /// Words (all must match), "quoted phrases", -excluded words; a petition number finds it.
    pub q: String,
    /// A stage code (`registered`, `assigned`, …)
    pub stage: Option<String>,
    /// `visit`, `letter`, `online`, `phone`
    pub channel: Option<String>,
    /// Registered on or after (YYYY-MM-DD)
    pub registered_from: Option<String>,
    /// Registered on or before (YYYY-MM-DD)
    pub registered_to: Option<String>,
    /// The township of the matter: a township unit's id or a 9-digit statistical code
    pub township: Option<String>,
    /// 内容分类 code
    pub category: Option<String>,
    /// 信访目的 code
    pub purpose: Option<String>,
    pub handling_unit_id: Option<String>,
    pub accused_unit_id: Option<String>,
    pub repeat: Option<bool>,
    pub collective: Option<bool>,
    pub confidential: Option<bool>,
    /// `relevance` (default when words are given) or `date` (newest first)
    pub sort: Option<String>,
    /// 1–100, default 20
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page
    pub cursor: Option<String>,
}

/// A row found, as its viewer may see it.
pub struct Found {
    pub record: PetitionView,
    /// Listed with (masked) personal details.
    pub with_details: bool,
    /// HTML: escaped text around the first match, matches in `<mark>`.
    pub snippet: String,
}

pub struct SearchPage {
    pub rows: Vec<Found>,
    pub total: usize,
    pub total_exact: bool,
    pub next_cursor: Option<String>,
}

/// The cursor's fields; the rank as its bits, so that it comes back exactly (a decimal rank
/// parsed again may differ in its last bit, and the next page would skip a tie).
#[derive(Serialize, Deserialize)]
struct CursorJson {
    r: u64,
    a: String,
    i: String,
}

fn encode_cursor(c: &SearchCursor) -> String {
    let j = CursorJson {
        r: c.rank.to_bits(),
        a: c.registered_at.clone(),
        i: c.id.clone(),
    };
    hex::encode(serde_json::to_vec(&j).unwrap_or_default())
}

/// A cursor that starts a date-ordered page just after `(registered_at, id)`: a client may jump
/// to a date without paging there.
pub fn date_cursor(registered_at: &str, id: &str) -> String {
    encode_cursor(&SearchCursor {
        rank: 0.0,
        registered_at: registered_at.to_string(),
        id: id.to_string(),
    })
}

fn decode_cursor(s: &str) -> AppResult<SearchCursor> {
    let bad = || {
        AppError::field(
            "cursor",
            "invalid_cursor",
            "翻页标记无效，请从第一页重新查询",
        )
    };
    let bytes = hex::decode(s.trim()).map_err(|_| bad())?;
    let j: CursorJson = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let rank = f64::from_bits(j.r);
    if !rank.is_finite() {
        return Err(bad());
    }
    Ok(SearchCursor {
        rank,
        registered_at: j.a,
        id: j.i,
    })
}

fn opt(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The filters, each checked: an unknown code or an impossible date names its field.
fn filter_of(input: &SearchInput) -> AppResult<SearchFilter> {
    let stage = match opt(&input.stage) {
        Some(s) => Some(Stage::parse(s).ok_or_else(|| {
            AppError::field("stage", "unknown_state", format!("未知的状态：{s}"))
        })?),
        None => None,
    };
    let channel = match opt(&input.channel) {
        Some(s) => Some(Channel::parse(s).ok_or_else(|| {
            AppError::field("channel", "unknown_channel", format!("未知的信访形式：{s}"))
        })?),
        None => None,
    };
    let date = |field: &str, v: &Option<String>| -> AppResult<Option<chrono::NaiveDate>> {
        Ok(match opt(v) {
            Some(s) => Some(xinfang_domain::registration::parse_date(field, s)?),
            None => None,
        })
    };
    let registered_from = date("registered_from", &input.registered_from)?;
    let registered_to = date("registered_to", &input.registered_to)?;
    if let (Some(a), Some(b)) = (registered_from, registered_to)
        && a > b
    {
        return Err(AppError::field(
            "registered_to",
            "date_range",
            "登记日期的截止日不能早于起始日",
        ));
    }
    let code =
        |field: &str, v: &Option<String>, known: fn(&str) -> bool| -> AppResult<Option<String>> {
            match opt(v) {
                Some(s) if known(s) => Ok(Some(s.to_string())),
                Some(s) => Err(AppError::field(
                    field,
                    "unknown_code",
                    format!("未知的代码：{s}"),
                )),
                None => Ok(None),
            }
        };
    Ok(SearchFilter {
        stage,
        channel,
        registered_from,
        registered_to,
        township: opt(&input.township).map(str::to_string),
        category: code("category", &input.category, |c| {
            xinfang_domain::catalog::label(xinfang_domain::catalog::CATEGORIES, c).is_some()
        })?,
        purpose: code("purpose", &input.purpose, |c| {
            xinfang_domain::catalog::label(xinfang_domain::catalog::PURPOSES, c).is_some()
        })?,
        handling_unit_id: opt(&input.handling_unit_id).map(str::to_string),
        accused_unit_id: opt(&input.accused_unit_id).map(str::to_string),
        repeat: input.repeat,
        collective: input.collective,
        confidential: input.confidential,
    })
}

/// The query in the index's tokens. A petition number is one token, typed with or without its
/// dashes.
fn tokens_of(seg: &Segmenter, q: &TextQuery) -> TokenQuery {
    let word = |w: &str| -> Vec<String> {
        let mut t = seg.query_tokens(w);
        if w.contains('-') && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            t = number_token(w).into_iter().collect();
        }
        t
    };
    TokenQuery {
        words: q
            .words
            .iter()
            .map(|w| word(w))
            .filter(|t| !t.is_empty())
            .collect(),
        phrases: q
            .phrases
            .iter()
            .map(|p| (seg.query_tokens(p), p.clone()))
            .filter(|(t, _)| !t.is_empty())
            .collect(),
        excluded: q
            .excluded
            .iter()
            .map(|w| word(w))
            .filter(|t| !t.is_empty())
            .collect(),
    }
}

/// The viewer's scope, or a refusal for roles that read no petition.
fn scope_of(user: &CurrentUser) -> AppResult<SearchScope> {
    let viewer = Viewer {
        user_id: &user.user.id,
        role: user.role(),
        unit_id: user.user.unit_id.as_deref(),
    };
    if !rules::may_search(user.role()) {
        return Err(AppError::forbidden());
    }
    rules::search_scope(&viewer).ok_or_else(AppError::forbidden)
}

/// Searches the petitions the viewer may find.
#[tracing::instrument(name = "search::search", skip_all)]
pub async fn search(
    state: &AppState,
    user: &CurrentUser,
    input: &SearchInput,
) -> AppResult<SearchPage> {
    let scope = scope_of(user)?;
    let parsed = rules::parse_query("q", &input.q)?;
    let filter = filter_of(input)?;
    let limit = match input.limit {
        None => 20,
        Some(n) if (1..=100).contains(&n) => n,
        Some(_) => {
            return Err(AppError::field(
                "limit",
                "out_of_range",
                "每页条数应为 1–100",
            ));
        }
    };
    let order = match opt(&input.sort) {
        None | Some("relevance") => SearchOrder::Relevance,
        Some("date") => SearchOrder::Newest,
        Some(s) => {
            return Err(AppError::field(
                "sort",
                "unknown_sort",
                format!("未知的排序方式：{s}"),
            ));
        }
    };
    let after = opt(&input.cursor).map(decode_cursor).transpose()?;
    let seg = state.index.segmenter();
    let tokens = tokens_of(&seg, &parsed);
    let empty = SearchPage {
        rows: Vec::new(),
        total: 0,
        total_exact: true,
        next_cursor: None,
    };
    // Typed, but nothing of it can be found (punctuation only): nothing matches.
    if !parsed.is_empty() && tokens.words.is_empty() && tokens.phrases.is_empty() {
        return Ok(empty);
    }
    let version = index::version(&seg);
    let req = SearchRequest {
        bureau_id: &state.bureau.id,
        user_id: &user.user.id,
        scope: &scope,
        text: (!parsed.is_empty()).then_some(&tokens),
        filter: &filter,
        order,
        after: after.as_ref(),
        limit: limit + 1,
        index_version: &version,
    };
    // The total counts the whole result, not what follows the cursor; page and total are read
    // at once.
    let whole = SearchRequest { after: None, ..req };
    let (mut hits, counted) = futures_util::future::try_join(
        state.store.search(&req),
        state.store.search_count(&whole, EXACT_TOTAL_CAP),
    )
    .await?;
    let more = hits.len() as i64 > limit;
    hits.truncate(limit as usize);
    let next_cursor = if more {
        hits.last().map(|h| {
            encode_cursor(&SearchCursor {
                rank: h.rank,
                registered_at: h.record.registered_at.clone(),
                id: h.record.id.clone(),
            })
        })
    } else {
        None
    };
    let mut terms: Vec<String> = parsed.wanted().cloned().collect();
    terms.extend(tokens.words.iter().flatten().cloned());
    let rows = gate_hits(state, user, hits, &terms).await?;
    Ok(SearchPage {
        rows,
        total: counted.min(EXACT_TOTAL_CAP) as usize,
        total_exact: counted <= EXACT_TOTAL_CAP,
        next_cursor,
    })
}

/// The rows found, each through the gate (which agrees with the scope the query applied; a row
/// it would not list is dropped all the same), with its snippet from what its level shows.
async fn gate_hits(
    state: &AppState,
    user: &CurrentUser,
    hits: Vec<SearchHit>,
    terms: &[String],
) -> AppResult<Vec<Found>> {
    let mut text: HashMap<String, (String, String)> = HashMap::new();
    let mut records = Vec::with_capacity(hits.len());
    for h in hits {
        text.insert(h.record.id.clone(), (h.matter, h.full_text));
        records.push(h.record);
    }
    let mut out = Vec::new();
    for (r, level) in listable(state, &user.user, records).await? {
        let (matter, full) = text.remove(&r.id).unwrap_or_default();
        // A unit's snippet shows the matter only: the rest may hold other units' reports.
        let unit = user.role().is_unit_staff();
        let shown = match level {
            Listing::Full if full.is_empty() || unit => matter,
            Listing::Full => format!("{matter}\n{full}"),
            Listing::WithoutIdentity => matter,
            Listing::NumberOnly => String::new(),
        };
        let snippet = if shown.is_empty() {
            String::new()
        } else {
            snippet(&shown, terms, SNIPPET_CHARS)
        };
        out.push(Found {
            record: listed(&r, level),
            with_details: level == Listing::Full,
            snippet,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Repeat candidates at intake

/// What the intake form holds so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SimilarInput {
    pub id_number: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub accused_unit_id: Option<String>,
    /// The matter as typed so far (summary and requests)
    pub matter: Option<String>,
    /// Days back to look for the same matter from other people; default 365
    pub window_days: Option<i64>,
    /// The petition being registered, left out of its own candidates
    pub exclude_id: Option<String>,
    /// The national 信访信息系统's number (信访件编号) of a matter handed over: the petition
    /// already holding it is the same matter
    pub national_no: Option<String>,
}

/// An earlier petition that may be the same person or the same matter.
pub struct Candidate {
    pub record: PetitionView,
    /// 0–1: how likely the same matter of the same person.
    pub score: f64,
    /// Why, in words (证件号码相同, 姓名读音相同, 事项相似 …).
    pub reasons: Vec<String>,
    /// The same person (by ID number, phone or name with address).
    pub same_person: bool,
    /// Another person with the same matter in the last week: perhaps one joint letter or
    /// collective visit (联名信, 集体访) rather than separate petitions.
    pub suggest_joint: bool,
}

/// Days within which other people's petitions on the same matter suggest one joint petition.
const JOINT_DAYS: i64 = 7;

/// One way a candidate is looked for: the tokens it must hold, within which filter, the
/// reason it gives, its weight, and whether it says the same person.
type Criterion<'a> = (Vec<Vec<String>>, &'a SearchFilter, &'static str, f64, bool);

/// One repeat-candidate lookup: the newest 50 in the viewer's scope.
fn newest<'a>(
    state: &'a AppState,
    user: &'a CurrentUser,
    scope: &'a SearchScope,
    text: Option<&'a TokenQuery>,
    filter: &'a SearchFilter,
) -> SearchRequest<'a> {
    SearchRequest {
        bureau_id: &state.bureau.id,
        user_id: &user.user.id,
        scope,
        text,
        filter,
        order: SearchOrder::Newest,
        after: None,
        limit: 50,
        // Only counts read it.
        index_version: "",
    }
}

/// The words of a matter to look candidates up by, `n` at most: those fewest documents hold
/// (as the index's last rebuild counted them), then the longest. A word no document held then
/// comes last: it may be new since, or nobody else's.
fn rarest_words(words: &HashSet<String>, counts: &HashMap<String, i64>, n: usize) -> Vec<String> {
    let mut w: Vec<&String> = words.iter().collect();
    w.sort_by_key(|w| {
        (
            counts.get(*w).copied().unwrap_or(i64::MAX),
            std::cmp::Reverse(w.chars().count()),
            (*w).clone(),
        )
    });
    w.into_iter().take(n).cloned().collect()
}

/// How similar two matters must be to be proposed.
const MATTER_SIMILARITY: f64 = 0.35;

/// Earlier petitions of the same person or on the same matter, best first: by ID number, phone,
/// name (its pinyin too, for a misspelt name), address, accused unit, and the similarity of the
/// matter (Jaccard over the segmented text) within the window. Only rows the viewer may see with
/// their petitioner: anything else would say who raised a matter the viewer may not know of.
#[tracing::instrument(name = "search::similar", skip_all)]
pub async fn similar(
    state: &AppState,
    user: &CurrentUser,
    input: &SimilarInput,
) -> AppResult<Vec<Candidate>> {
    if !user.role().is_bureau_staff() {
        return Err(AppError::forbidden());
    }
    let scope = scope_of(user)?;
    let seg = state.index.segmenter();
    let window = match input.window_days {
        None => 365,
        Some(d) if (1..=3650).contains(&d) => d,
        Some(_) => {
            return Err(AppError::field(
                "window_days",
                "out_of_range",
                "查找范围应为 1–3650 天",
            ));
        }
    };
    let today = crate::clock::local_date(state.clock.now());
    let from = today - chrono::Duration::days(window);
    let id_number = opt(&input.id_number)
        .and_then(normalize)
        .filter(|n| n.len() >= 15);
    let phone = opt(&input.phone)
        .and_then(normalize)
        .filter(|p| p.len() >= 7);
    let name = opt(&input.name).map(str::to_string);
    let key = name.as_deref().and_then(name_key);
    let address = opt(&input.address)
        .map(|a| seg.query_tokens(a))
        .filter(|t| t.len() >= 2);
    let matter = opt(&input.matter)
        .map(|m| seg.token_set(m))
        .filter(|t| t.len() >= 3);

    // Each criterion is a search in the viewer's scope; identity terms match only rows the
    // viewer may see with their petitioner.
    let mut found: HashMap<String, (SearchHit, Vec<String>, f64, bool)> = HashMap::new();
    let all_time = SearchFilter::default();
    let in_window = SearchFilter {
        registered_from: Some(from),
        ..Default::default()
    };
    let mut criteria: Vec<Criterion> = Vec::new();
    if let Some(n) = &id_number {
        criteria.push((vec![vec![n.clone()]], &all_time, "证件号码相同", 0.6, true));
    }
    if let Some(p) = &phone {
        criteria.push((vec![vec![p.clone()]], &all_time, "联系电话相同", 0.4, true));
    }
    // The national number names one matter: the petition holding it is that matter.
    if let Some(n) = opt(&input.national_no).and_then(crate::index::number_token) {
        criteria.push((vec![vec![n]], &all_time, "信访件编号相同", 1.0, true));
    }
    if let Some(k) = &key {
        criteria.push((vec![vec![k.clone()]], &all_time, "姓名读音相同", 0.2, false));
    }
    if let Some(a) = &address {
        criteria.push((
            a.iter().map(|t| vec![t.clone()]).collect(),
            &in_window,
            "住址相同",
            0.2,
            false,
        ));
    }
    if let Some(m) = &matter {
        // The matter's three rarest words find the candidates (a rare word shared is what a
        // matter raised again keeps; a common one would read thousands); the similarity decides.
        let words: Vec<String> = m.iter().cloned().collect();
        let counts = state
            .store
            .search_term_counts(&state.bureau.id, &words)
            .await?;
        for w in rarest_words(m, &counts, 3) {
            criteria.push((vec![vec![w]], &in_window, "", 0.0, false));
        }
    }
    let accused_filter = SearchFilter {
        registered_from: Some(from),
        accused_unit_id: opt(&input.accused_unit_id).map(str::to_string),
        ..Default::default()
    };
    // The lookups are independent: run at once, they take the time of the slowest.
    let lookups = criteria.iter().map(|(words, filter, ..)| {
        let scope = &scope;
        async move {
            let q = TokenQuery {
                words: words.clone(),
                ..Default::default()
            };
            state
                .store
                .search(&newest(state, user, scope, Some(&q), filter))
                .await
        }
    });
    let results = futures_util::future::try_join_all(lookups).await?;
    for ((_, _, reason, weight, person), hits) in criteria.iter().zip(results) {
        for h in hits {
            let e = found
                .entry(h.record.id.clone())
                .or_insert_with(|| (h, Vec::new(), 0.0, false));
            if !reason.is_empty() && !e.1.iter().any(|r| r == reason) {
                e.1.push(reason.to_string());
                e.2 += weight;
                e.3 |= person;
            }
        }
    }
    if accused_filter.accused_unit_id.is_some() && matter.is_some() {
        for h in state
            .store
            .search(&newest(state, user, &scope, None, &accused_filter))
            .await?
        {
            found
                .entry(h.record.id.clone())
                .or_insert_with(|| (h, Vec::new(), 0.0, false))
                .1
                .push("被反映单位相同".into());
        }
    }
    if let Some(x) = opt(&input.exclude_id) {
        found.remove(x);
    }
    let mut scored = Vec::new();
    for (_, (hit, mut reasons, mut score, person)) in found {
        // Exact name (not only its sound) and name with address say more.
        if let Some(n) = &name
            && hit.record.petitioners.iter().any(|p| &p.name == n)
            && let Some(r) = reasons.iter_mut().find(|r| *r == "姓名读音相同")
        {
            *r = "姓名相同".into();
            score += 0.1;
        }
        let same_person = person
            || (reasons.iter().any(|r| r.starts_with("姓名"))
                && reasons.iter().any(|r| r == "住址相同"));
        if let Some(m) = &matter {
            // The token set stored with the document; one indexed before they were kept is cut
            // again.
            let other: HashSet<String> = if hit.matter_tokens.is_empty() {
                seg.token_set(&hit.matter)
            } else {
                hit.matter_tokens.split(' ').map(str::to_string).collect()
            };
            let j = xinfang_text::jaccard(m, &other);
            if j >= MATTER_SIMILARITY {
                reasons.push(format!("事项相似（{:.0}%）", j * 100.0));
                score += 0.4 * j;
            }
        }
        // A candidate with nothing but an accused unit or a word in common is no candidate.
        let only_context = reasons.iter().all(|r| r == "被反映单位相同");
        if reasons.is_empty() || only_context {
            continue;
        }
        scored.push((hit, reasons, score.min(1.0), same_person));
    }
    scored.sort_by(|a, b| {
        b.2.partial_cmp(&a.2)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| b.0.record.registered_at.cmp(&a.0.record.registered_at))
            .then_with(|| b.0.record.id.cmp(&a.0.record.id))
    });
    scored.truncate(20);
    let records: Vec<_> = scored.iter().map(|s| s.0.record.clone()).collect();
    let mut by_id: HashMap<String, (Vec<String>, f64, bool)> = scored
        .into_iter()
        .map(|(h, r, s, p)| (h.record.id.clone(), (r, s, p)))
        .collect();
    let mut out = Vec::new();
    for (r, level) in listable(state, &user.user, records).await? {
        if level != Listing::Full {
            continue;
        }
        let (reasons, score, same_person) = by_id.remove(&r.id).unwrap_or_default();
        let recent = r.registered_on.as_str()
            >= (today - chrono::Duration::days(JOINT_DAYS))
                .to_string()
                .as_str();
        let suggest_joint =
            !same_person && recent && reasons.iter().any(|x| x.starts_with("事项相似"));
        out.push(Candidate {
            record: listed(&r, level),
            score,
            reasons,
            same_person,
            suggest_joint,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The bureau's dictionary and the index

pub struct DictionaryWord {
    pub word: String,
    pub added_by: String,
    pub added_at: String,
}

/// The dictionary as the administrator sees it: the version in use, the bureau's words, and how
/// many petitions still wait to be indexed with it.
pub struct Dictionary {
    pub version: String,
    pub shipped: usize,
    pub words: Vec<DictionaryWord>,
    pub stale: i64,
}

fn may_edit_dictionary(user: &CurrentUser) -> AppResult<()> {
    if user.role() == xinfang_domain::role::Role::Admin {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

pub async fn dictionary(state: &AppState, user: &CurrentUser) -> AppResult<Dictionary> {
    may_edit_dictionary(user)?;
    reload(state).await?;
    let seg = state.index.segmenter();
    let words = state
        .store
        .search_words(&state.bureau.id)
        .await?
        .into_iter()
        .map(|(word, added_by, added_at)| DictionaryWord {
            word,
            added_by,
            added_at,
        })
        .collect();
    Ok(Dictionary {
        version: index::version(&seg),
        shipped: xinfang_text::SHIPPED_DICTIONARY
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count(),
        words,
        stale: state
            .store
            .count_stale_search_docs(&state.bureau.id, &index::version(&seg))
            .await?,
    })
}

/// A word as the bureau adds it: 2–16 characters, letters and digits only.
fn parse_word(word: &str) -> AppResult<String> {
    let w = word.trim();
    let n = w.chars().count();
    if !(2..=MAX_WORD_CHARS).contains(&n) {
        return Err(AppError::field(
            "word",
            "length",
            format!("词语应为 2–{MAX_WORD_CHARS} 个字"),
        ));
    }
    if !w.chars().all(char::is_alphanumeric) {
        return Err(AppError::field(
            "word",
            "characters",
            "词语只能由汉字、字母和数字组成，不含空格和标点",
        ));
    }
    Ok(w.to_string())
}

/// Adds a word to the bureau's dictionary (the system administrator, as configuration). The
/// index is rebuilt with it by the background job or `xinfang reindex`.
#[tracing::instrument(name = "search::add_word", skip_all)]
pub async fn add_word(state: &AppState, user: &CurrentUser, word: &str) -> AppResult<()> {
    may_edit_dictionary(user)?;
    let w = parse_word(word)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if !state
        .store
        .add_search_word(&mut tx, &state.bureau.id, &w, &user.user.id, now)
        .await?
    {
        return Err(AppError::field(
            "word",
            "duplicate",
            format!("词典中已有“{w}”"),
        ));
    }
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            "search_word_added",
            &serde_json::json!({"word": w}),
            now,
        )
        .await?;
    tx.commit().await?;
    reload(state).await?;
    Ok(())
}

pub async fn remove_word(state: &AppState, user: &CurrentUser, word: &str) -> AppResult<()> {
    may_edit_dictionary(user)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if !state
        .store
        .remove_search_word(&mut tx, &state.bureau.id, word.trim())
        .await?
    {
        return Err(AppError::not_found());
    }
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            "search_word_removed",
            &serde_json::json!({"word": word.trim()}),
            now,
        )
        .await?;
    tx.commit().await?;
    reload(state).await?;
    Ok(())
}

/// Picks up a dictionary another instance (or this one) changed: `true` when the segmenter was
/// replaced.
pub async fn reload(state: &AppState) -> AppResult<bool> {
    let words = index::bureau_words(&state.store, &state.bureau.id)
        .await
        .map_err(AppError::from)?;
    let seg = index::segmenter_with(words).await.map_err(AppError::from)?;
    if seg.version() == state.index.segmenter().version() {
        return Ok(false);
    }
    state.index.set(seg);
    Ok(true)
}

/// Indexes petitions a write left pending without indexing them (none does today: every change
/// to a petition commits through `Write`, which indexes it); a safety net for the upkeep job.
pub async fn refresh_leftovers(state: &AppState) -> AppResult<()> {
    let mut tx = state.store.begin().await?;
    crate::index::refresh_pending(&state.store, &state.index, &mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Indexes up to `limit` petitions whose document is missing or was cut with another
/// dictionary; returns how many. Each batch is one transaction.
pub async fn reindex_some(state: &AppState, limit: usize) -> AppResult<usize> {
    let mut after = String::new();
    let mut done = 0;
    while done < limit {
        let n = reindex_batch(state, (limit - done).min(500), false, &mut after).await?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

/// One batch of up to `want` petitions after `after` in id order (every one with `all`, else
/// only those missing or stale), in one transaction; `after` moves to the last one indexed.
async fn reindex_batch(
    state: &AppState,
    want: usize,
    all: bool,
    after: &mut String,
) -> AppResult<usize> {
    let seg = state.index.segmenter();
    let started = std::time::Instant::now();
    let ids = state
        .store
        .stale_search_docs(
            &state.bureau.id,
            &index::version(&seg),
            after,
            want as i64,
            all,
        )
        .await?;
    let Some(last) = ids.last().cloned() else {
        return Ok(0);
    };
    let sources = state.store.search_sources(&ids).await?;
    let read = started.elapsed();
    // Segmentation is the costly part: both halves of the batch at once, on two threads.
    let (a, b) = sources.split_at(sources.len() / 2);
    let cut = |part: Vec<xinfang_store::search::SearchSource>| {
        let seg = seg.clone();
        tokio::task::spawn_blocking(move || {
            part.iter().map(|s| document(&seg, s)).collect::<Vec<_>>()
        })
    };
    let (da, db) = tokio::join!(cut(a.to_vec()), cut(b.to_vec()));
    let join_err = |e: tokio::task::JoinError| AppError::Internal(e.to_string());
    let docs: Vec<_> = da
        .map_err(join_err)?
        .into_iter()
        .chain(db.map_err(join_err)?)
        .collect();
    let cut_done = started.elapsed();
    let mut tx = state.store.begin().await?;
    for d in &docs {
        state.store.put_search_doc(&mut tx, d).await?;
    }
    tx.commit().await?;
    tracing::debug!(
        petitions = ids.len(),
        read_ms = read.as_millis() as u64,
        cut_ms = (cut_done - read).as_millis() as u64,
        write_ms = (started.elapsed() - cut_done).as_millis() as u64,
        "search index batch"
    );
    *after = last;
    Ok(ids.len())
}

/// Rebuilds the index with the current dictionary (`xinfang reindex`): every petition with
/// `all`, else those whose document is missing or stale; reports `(done, total)` after each
/// batch.
pub async fn reindex(
    state: &AppState,
    all: bool,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> AppResult<u64> {
    reload(state).await?;
    state.store.forget_search_statistics().await?;
    let total = if all {
        state.store.count_petitions(&state.bureau.id).await?
    } else {
        state
            .store
            .count_stale_search_docs(&state.bureau.id, &index::version(&state.index.segmenter()))
            .await?
    } as u64;
    let mut done = 0u64;
    let mut after = String::new();
    progress(0, total);
    loop {
        let n = reindex_batch(state, 500, all, &mut after).await? as u64;
        if n == 0 {
            break;
        }
        done += n;
        progress(done.min(total), total);
    }
    count_terms(state).await?;
    Ok(done)
}

/// Counts again how many matters hold each word, for the repeat lookup's choice of the rarest
/// (after a rebuild, and daily: words new since are only a later choice until then), and
/// the index's statistics on PostgreSQL.
pub async fn count_terms(state: &AppState) -> AppResult<usize> {
    let n = state.store.refresh_search_terms(&state.bureau.id).await?;
    state.store.analyze_search_index().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rarest_words_come_first_then_the_longest_then_unseen_ones() {
        let words: HashSet<String> = ["要求", "拖欠", "工资", "包工头", "三万元", "某某某公司"]
            .into_iter()
            .map(String::from)
            .collect();
        let counts: HashMap<String, i64> =
            [("要求", 900), ("工资", 120), ("拖欠", 120), ("包工头", 7)]
                .into_iter()
                .map(|(w, n)| (w.to_string(), n))
                .collect();
        assert_eq!(
            rarest_words(&words, &counts, 3),
            ["包工头", "工资", "拖欠"],
            "by the documents holding each; a tie by length, then the word"
        );
        assert_eq!(
            rarest_words(&words, &counts, 6)[4..],
            ["某某某公司", "三万元"],
            "words no document held last, longest first"
        );
        assert_eq!(
            rarest_words(&words, &HashMap::new(), 2),
            ["某某某公司", "三万元"],
            "before any rebuild counted them: the longest, as before"
        );
    }
}
