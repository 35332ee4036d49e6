//! Search and repeat candidates: POST with a JSON body, so that names and ID numbers typed into
//! a search never land in a proxy's or an access log; and the bureau's dictionary.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xinfang_app::context::AppState;
use xinfang_app::search::{SearchInput, SimilarInput};

use super::{ApiJson, PetitionJson, petition_json};
use crate::http::auth::ApiUser;
use crate::http::error::{ApiResult, ErrorBody};

type S = State<Arc<AppState>>;

#[derive(Serialize, ToSchema)]
pub struct SearchItemJson {
    pub id: String,
    pub petition_no: String,
    /// The lifecycle stage
    pub stage: String,
    pub channel: String,
    pub registered_at: String,
    /// Escaped text around the first match, each match in `<mark>…</mark>`; empty for a row
    /// listed by its number only. ID numbers and phones masked.
    pub snippet: String,
    /// The row as lists show it (personal data masked; none for a number-only row)
    pub petition: PetitionJson,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResultJson {
    /// Rows the caller may find: exact up to 10,000, else 10,000 and `total_exact` false
    pub total: usize,
    pub total_exact: bool,
    pub items: Vec<SearchItemJson>,
    /// Pass as `cursor` for the next page; null on the last
    pub next_cursor: Option<String>,
}

/// Full-text search over everything a petition holds in words, with filters, in relevance or
/// date order, keyset-paged; the caller's visibility applies inside the query.
#[utoipa::path(post, path = "/api/v1/search", operation_id = "searchPetitions", tag = "petitions",
    request_body = SearchInput,
    responses((status = 200, body = SearchResultJson), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search_petitions(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<SearchInput>,
) -> ApiResult<Json<SearchResultJson>> {
    let page = xinfang_app::search::search(&state, &u, &input).await?;
    Ok(Json(SearchResultJson {
        total: page.total,
        total_exact: page.total_exact,
        items: page
            .rows
            .iter()
            .map(|r| SearchItemJson {
                id: r.record.id.clone(),
                petition_no: r.record.petition_no.clone(),
                stage: r.record.stage.as_str().to_string(),
                channel: r.record.channel.as_str().to_string(),
                registered_at: r.record.registered_at.clone(),
                snippet: r.snippet.clone(),
                petition: petition_json(&r.record, false, Vec::new()),
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CandidateJson {
    /// 0–1
    pub score: f64,
    /// Why it was proposed (证件号码相同, 联系电话相同, 姓名读音相同, 住址相同, 事项相似 …)
    pub reasons: Vec<String>,
    /// The same person: by ID number or phone, or by name and address
    pub same_person: bool,
    /// Another person with the same matter in the last week: perhaps one joint letter or
    /// collective visit
    pub suggest_joint: bool,
    /// 三级终结: a new petition by the same person on the same matter is proposed as 不再受理
    #[serde(rename = "final")]
    pub final_: bool,
    pub petition: PetitionJson,
}

/// Earlier petitions that may be the same person or the same matter, best first, for the
/// intake form (the window, the mailroom, online and phone intake). Only petitions the caller
/// may see with their petitioner.
#[utoipa::path(post, path = "/api/v1/petitions/similar", operation_id = "findSimilarPetitions", tag = "petitions",
    request_body = SimilarInput,
    responses((status = 200, body = [CandidateJson]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn find_similar(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<SimilarInput>,
) -> ApiResult<Json<Vec<CandidateJson>>> {
    let mut out = Vec::new();
    for c in xinfang_app::search::similar(&state, &u, &input).await? {
        out.push(CandidateJson {
            score: (c.score * 100.0).round() / 100.0,
            reasons: c.reasons,
            same_person: c.same_person,
            suggest_joint: c.suggest_joint,
            final_: xinfang_app::handling::is_final(&state, &c.record).await?,
            petition: petition_json(&c.record, false, Vec::new()),
        });
    }
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
pub struct WordJson {
    pub word: String,
    pub added_by: String,
    pub added_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct DictionaryJson {
    /// The dictionary version the index is being built with
    pub version: String,
    /// Words shipped with the binary
    pub shipped: usize,
    /// The bureau's own words
    pub words: Vec<WordJson>,
    /// Petitions still to be indexed with this version
    pub stale: i64,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct WordInput {
    /// 2–16 characters, letters and digits
    pub word: String,
}

/// The segmentation dictionary: the shipped words and the bureau's own (system administrator).
#[utoipa::path(get, path = "/api/v1/search/words", operation_id = "getSearchDictionary", tag = "admin",
    responses((status = 200, body = DictionaryJson), (status = 403, body = ErrorBody)))]
pub async fn get_dictionary(
    State(state): S,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<DictionaryJson>> {
    let d = xinfang_app::search::dictionary(&state, &u).await?;
    Ok(Json(DictionaryJson {
        version: d.version,
        shipped: d.shipped,
        words: d
            .words
            .into_iter()
            .map(|w| WordJson {
                word: w.word,
                added_by: w.added_by,
                added_at: w.added_at,
            })
            .collect(),
        stale: d.stale,
    }))
}

/// Adds a word to the bureau's dictionary; the index is rebuilt with it in the background.
#[utoipa::path(post, path = "/api/v1/search/words", operation_id = "addSearchWord", tag = "admin",
    request_body = WordInput,
    responses((status = 201), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_word(
    State(state): S,
    ApiUser(u): ApiUser,
    ApiJson(input): ApiJson<WordInput>,
) -> ApiResult<Response> {
    xinfang_app::search::add_word(&state, &u, &input.word).await?;
    Ok(StatusCode::CREATED.into_response())
}

/// Removes one of the bureau's words.
#[utoipa::path(delete, path = "/api/v1/search/words/{word}", operation_id = "removeSearchWord", tag = "admin",
    params(("word" = String, Path, description = "The word")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_word(
    State(state): S,
    ApiUser(u): ApiUser,
    Path(word): Path<String>,
) -> ApiResult<Response> {
    xinfang_app::search::remove_word(&state, &u, &word).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(OpenApi)]
#[openapi(components(schemas(ErrorBody)))]
pub struct SearchApi;

pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(search_petitions))
        .routes(routes!(find_similar))
        .routes(routes!(get_dictionary, add_word))
        .routes(routes!(remove_word))
}
