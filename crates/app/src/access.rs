//! Access to a petition: what the viewer may see of it, the logged opening, and recusal.

use serde::{Deserialize, Serialize};
use xinfang_domain::resident_id::mask_id_number;
use xinfang_domain::visibility::{self, Access, PetitionFacts, Viewer};
use xinfang_store::people::User;
use xinfang_store::petitions::PetitionRecord;

use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::write::Write;

// ---------------------------------------------------------------------------------------------
// Access

/// The visibility facts of a petition for this viewer.
pub async fn access_of(state: &AppState, user: &User, p: &PetitionRecord) -> AppResult<Access> {
    let units = state.store.handling_units(&p.id).await?;
    let recused = state.store.is_recused(&user.id, &p.id).await?;
    let mut assigned = vec![p.registered_by.as_str()];
    if let Some(d) = &p.decided_by {
        assigned.push(d);
    }
    let facts = PetitionFacts {
        confidential: p.confidential,
        assigned_staff: assigned,
        handling_units: units.iter().map(String::as_str).collect(),
        accused_unit_id: p.accused_unit_id.as_deref(),
        viewer_recused: recused,
    };
    let viewer = Viewer {
        user_id: &user.id,
        role: user.role,
        unit_id: user.unit_id.as_deref(),
    };
    Ok(visibility::access(&viewer, &facts))
}

/// Opens a petition for reading: checks access and logs the opening (rules §14).
pub async fn open_petition(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    purpose: &str,
) -> AppResult<(PetitionRecord, Access)> {
    let p = state.store.petition(&state.bureau.id, id).await?;
    let access = access_of(state, &user.user, &p).await?;
    if access == Access::Denied {
        return Err(AppError::Forbidden(
            "您无权查看该信访件（保密、回避或不属本单位）".into(),
        ));
    }
    state
        .store
        .log_access(
            &state.bureau.id,
            &p.id,
            &user.user.id,
            purpose,
            state.clock.now(),
        )
        .await?;
    Ok((p, access))
}

// ---------------------------------------------------------------------------------------------
// Recusal

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RecusalInput {
    pub petition_id: Option<String>,
    pub petitioner_id_number: Option<String>,
    pub petitioner_name: Option<String>,
    pub reason: String,
}

/// A staff member declares an interest (回避): from then on they can neither see nor act on it.
pub async fn declare_recusal(
    state: &AppState,
    user: &CurrentUser,
    input: &RecusalInput,
) -> AppResult<String> {
    if !user.role().is_bureau_staff() {
        return Err(AppError::forbidden());
    }
    if input.reason.trim().is_empty() {
        return Err(AppError::field("reason", "required", "请说明回避事由"));
    }
    let pid = input
        .petition_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let idn = input
        .petitioner_id_number
        .as_deref()
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty());
    let name = input
        .petitioner_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if pid.is_none() && idn.is_none() && name.is_none() {
        return Err(AppError::field(
            "petition_id",
            "required",
            "请指明回避的信访件或信访人",
        ));
    }
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    if let Some(pid) = pid {
        // Only a petition the officer may open now: an unknown id and one the officer may not
        // see answer alike, so a declaration cannot probe which ids exist.
        let p = state
            .store
            .petition(&state.bureau.id, pid)
            .await
            .map_err(|_| AppError::not_found())?;
        if access_of(state, &user.user, &p).await? == Access::Denied {
            return Err(AppError::not_found());
        }
        let id = state
            .store
            .insert_recusal(
                &mut w.tx,
                &state.bureau.id,
                &user.user.id,
                Some(pid),
                None,
                None,
                input.reason.trim(),
                now,
            )
            .await?;
        w.event(
            pid,
            p.event_seq,
            "recusal_declared",
            &serde_json::json!({"user_id": user.user.id, "reason": input.reason.trim()}),
        )
        .await?;
        w.commit().await?;
        return Ok(id);
    }
    let id = state
        .store
        .insert_recusal(
            &mut w.tx,
            &state.bureau.id,
            &user.user.id,
            None,
            idn.as_deref(),
            name,
            input.reason.trim(),
            now,
        )
        .await?;
    state
        .store
        .audit(&mut w.tx, &state.bureau.id, Some(&user.user.id), "recusal_declared", &serde_json::json!({"petitioner_id_number": idn.as_deref().map(mask_id_number), "petitioner_name": name}), now)
        .await?;
    w.commit().await?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// Reads of an opened petition's parts

/// The petition's history as the viewer may see it: in full, or — for a viewer who may not know
/// the petitioner — the kinds, times and actors of its events without their payloads, which carry
/// names, addresses, phone notices and what was said (2005 Art. 23).
pub async fn history(
    state: &AppState,
    p: &PetitionRecord,
    access: Access,
) -> AppResult<Vec<xinfang_store::petitions::EventRow>> {
    let mut events = state.store.events(&p.id).await?;
    if access != Access::Full {
        for e in &mut events {
            e.payload = serde_json::Value::Object(Default::default());
        }
    }
    Ok(events)
}

/// Who opened the petition, when and why: for the leaders only, empty for everyone else.
pub async fn access_log(
    state: &AppState,
    user: &CurrentUser,
    p: &PetitionRecord,
) -> AppResult<Vec<(String, String, String)>> {
    if !user.role().is_leader() {
        return Ok(Vec::new());
    }
    Ok(state.store.access_log(&p.id).await?)
}

/// The petition this one repeats, when there is one and the viewer may open it.
pub async fn earlier_petition(
    state: &AppState,
    user: &CurrentUser,
    p: &PetitionRecord,
) -> AppResult<Option<PetitionRecord>> {
    let Some(r) = &p.repeat_of else {
        return Ok(None);
    };
    let Ok(earlier) = state.store.petition(&state.bureau.id, r).await else {
        return Ok(None);
    };
    Ok((access_of(state, &user.user, &earlier).await? != Access::Denied).then_some(earlier))
}

// ---------------------------------------------------------------------------------------------
// Listing: how a row of a list, search or queue appears (rules §14)

/// How much of a petition a list shows to its viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Everything a list shows (ID numbers and phones masked by the list itself).
    Full,
    /// The matter without who raised it: a unit handling an accusation against itself.
    WithoutIdentity,
    /// A confidential petition the viewer may not open: its number, dates and stage only.
    NumberOnly,
}

/// The listing level for a viewer with `access`; `None` when the row is not listed at all (a
/// recused viewer neither sees nor acts on it; another unit's petition).
pub fn listing(p: &PetitionRecord, access: Access) -> Option<Listing> {
    match access {
        Access::Full => Some(Listing::Full),
        Access::WithoutIdentity => Some(Listing::WithoutIdentity),
        Access::Denied if p.confidential => Some(Listing::NumberOnly),
        Access::Denied => None,
    }
}

/// The listing level of a row for this viewer: `None` for a recused viewer whatever else holds.
pub async fn listing_of(
    state: &AppState,
    user: &User,
    p: &PetitionRecord,
) -> AppResult<Option<Listing>> {
    if state.store.is_recused(&user.id, &p.id).await? {
        return Ok(None);
    }
    Ok(listing(p, access_of(state, user, p).await?))
}

/// The row as its viewer may see it, built from an allow-list of fields per level: what a
/// level does not name is never copied, so a field added to the record later stays hidden.
pub fn listed_view(p: &PetitionRecord, level: Listing) -> PetitionRecord {
    let number_only = PetitionRecord {
        id: p.id.clone(),
        bureau_id: p.bureau_id.clone(),
        petition_no: p.petition_no.clone(),
        query_code: String::new(),
        channel: p.channel,
        stage: p.stage,
        acceptance: None,
        decision_reason: None,
        decision_note: String::new(),
        decided_at: None,
        decided_by: None,
        visited_at: p.visited_at.clone(),
        registered_at: p.registered_at.clone(),
        registered_on: p.registered_on.clone(),
        registered_by: String::new(),
        issue_region: String::new(),
        summary: String::new(),
        requests: String::new(),
        proposal: String::new(),
        purpose: None,
        category: None,
        petition_class: None,
        visitor_count: 0,
        people_involved: 0,
        collective: false,
        anonymous: false,
        consent_to_publish: false,
        major_urgent: false,
        confidential: p.confidential,
        skip_level: false,
        out_of_district: false,
        repeat_of: None,
        repeat_reason: String::new(),
        accused_unit_id: None,
        target_unit_id: None,
        event_seq: p.event_seq,
        updated_at: p.updated_at.clone(),
        petitioners: Vec::new(),
    };
    match level {
        Listing::NumberOnly => number_only,
        Listing::WithoutIdentity => PetitionRecord {
            acceptance: p.acceptance,
            decided_at: p.decided_at.clone(),
            issue_region: p.issue_region.clone(),
            summary: p.summary.clone(),
            requests: p.requests.clone(),
            proposal: p.proposal.clone(),
            purpose: p.purpose.clone(),
            category: p.category.clone(),
            petition_class: p.petition_class.clone(),
            collective: p.collective,
            major_urgent: p.major_urgent,
            accused_unit_id: p.accused_unit_id.clone(),
            target_unit_id: p.target_unit_id.clone(),
            ..number_only
        },
        Listing::Full => p.clone(),
    }
}
