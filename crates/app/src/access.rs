//! Access to a petition: what the viewer may see of it, the logged opening, and recusal.

use serde::{Deserialize, Serialize};
use xinfang_domain::resident_id::mask_id_number;
use xinfang_domain::visibility::{self, Access, PetitionFacts, Viewer};
use xinfang_store::people::User;
use xinfang_store::petitions::{EventRow, PetitionRecord};

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
    Ok(decide(user, p, &units, recused))
}

/// The one decision, from the petition, the units handling it and the viewer's recusal.
fn decide(user: &User, p: &PetitionRecord, units: &[String], recused: bool) -> Access {
    // The staff assigned to it: whoever it was handed over to, or else who registered and
    // decided it (a handover moves a confidential petition with its carrier).
    let assigned = match &p.carried_by {
        Some(c) => vec![c.as_str()],
        None => {
            let mut a = vec![p.registered_by.as_str()];
            if let Some(d) = &p.decided_by {
                a.push(d);
            }
            a
        }
    };
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
    visibility::access(&viewer, &facts)
}

/// Each row with the level its viewer may list it at, rows it may not list left out: the same
/// decision as [`access_of`] and [`listing`], with the facts read for all rows at once.
pub(crate) async fn listable(
    state: &AppState,
    user: &User,
    rows: Vec<PetitionRecord>,
) -> AppResult<Vec<(PetitionRecord, Listing)>> {
    let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let units = state.store.handling_units_among(&ids).await?;
    let recused = state.store.recused_among(&user.id, &ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|p| {
            if recused.contains(&p.id) {
                return None;
            }
            let units = units.get(&p.id).map(Vec::as_slice).unwrap_or(&[]);
            let level = listing(&p, decide(user, &p, units, false))?;
            Some((p, level))
        })
        .collect())
}

/// Opens a petition for a use case that acts on it: checks access and logs the opening (rules
/// §14). The record is the stored one, for the use case's own work; what goes back to the caller
/// goes through [`view`].
pub(crate) async fn open_record(
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

/// Opens a petition for reading: access checked, the opening logged, and the viewer's view
/// built by the gate.
pub async fn open_petition(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    purpose: &str,
) -> AppResult<PetitionView> {
    let (p, access) = open_record(state, user, id, purpose).await?;
    view(&p, access).ok_or_else(AppError::forbidden)
}

/// A petition by id as the viewer may see it, without logging an opening (the use case that
/// just did the work has logged its own); one the viewer may not open answers 404.
pub async fn petition_view(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> AppResult<PetitionView> {
    let p = state.store.petition(&state.bureau.id, id).await?;
    let access = access_of(state, &user.user, &p).await?;
    view(&p, access).ok_or_else(AppError::not_found)
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
/// names, addresses, phone notices and what was said (2005 Art. 23). Each event is rebuilt field
/// by field, so a field added to the stored event later is not passed on by accident.
pub async fn history(state: &AppState, v: &PetitionView) -> AppResult<Vec<EventRow>> {
    let full = v.access() == Access::Full;
    Ok(state
        .store
        .events(&v.id)
        .await?
        .into_iter()
        .map(|e| EventRow {
            seq: e.seq,
            kind: e.kind,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            actor_role: e.actor_role,
            at: e.at,
            payload: if full {
                e.payload
            } else {
                serde_json::Value::Object(Default::default())
            },
            hash: e.hash,
        })
        .collect())
}

/// Who opened the petition, when and why: for the leaders only, empty for everyone else.
pub async fn access_log(
    state: &AppState,
    user: &CurrentUser,
    v: &PetitionView,
) -> AppResult<Vec<(String, String, String)>> {
    if !user.role().is_leader() {
        return Ok(Vec::new());
    }
    Ok(state.store.access_log(&v.id).await?)
}

/// The petition this one repeats, when there is one and the viewer may open it.
pub async fn earlier_petition(
    state: &AppState,
    user: &CurrentUser,
    v: &PetitionView,
) -> AppResult<Option<PetitionView>> {
    let Some(r) = &v.repeat_of else {
        return Ok(None);
    };
    let Ok(earlier) = state.store.petition(&state.bureau.id, r).await else {
        return Ok(None);
    };
    let access = access_of(state, &user.user, &earlier).await?;
    Ok(view(&earlier, access))
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

/// The view of an opened petition for a viewer with `access`; `None` when it may not be opened.
pub(crate) fn view(p: &PetitionRecord, access: Access) -> Option<PetitionView> {
    match access {
        Access::Full => Some(gate(p, Listing::Full)),
        Access::WithoutIdentity => Some(gate(p, Listing::WithoutIdentity)),
        Access::Denied => None,
    }
}

/// The row of a list as its viewer may see it.
pub(crate) fn listed(p: &PetitionRecord, level: Listing) -> PetitionView {
    gate(p, level)
}

/// A petition as one viewer may see it. Only this module builds one — the private field keeps
/// it so — and always from an allow-list for its level; it derefs to that copy, never to the
/// stored record, so whoever holds a view can read only what the level let through.
#[derive(Debug, Clone)]
pub struct PetitionView {
    record: PetitionRecord,
    level: Listing,
}

impl std::ops::Deref for PetitionView {
    type Target = PetitionRecord;
    fn deref(&self) -> &PetitionRecord {
        &self.record
    }
}

impl PetitionView {
    /// What the viewer may open: a number-only row is listed but cannot be opened.
    pub fn access(&self) -> Access {
        match self.level {
            Listing::Full => Access::Full,
            Listing::WithoutIdentity => Access::WithoutIdentity,
            Listing::NumberOnly => Access::Denied,
        }
    }

    pub fn level(&self) -> Listing {
        self.level
    }

    /// Whether the view shows who raised the matter.
    pub fn identity(&self) -> bool {
        self.level == Listing::Full
    }
}

/// The allow-list: each level names the fields it copies. The number-only level names every
/// field, so a field added to the record later does not compile until it is decided here, and
/// the other levels copy only what they name on top of it.
fn gate(p: &PetitionRecord, level: Listing) -> PetitionView {
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
        carried_by: None,
        source: None,
        township: None,
        // A number, like ours: number-only rows show it.
        national_no: p.national_no.clone(),
        national_query_code: None,
        petitioners: Vec::new(),
    };
    let record = match level {
        Listing::NumberOnly => number_only,
        // The matter and its course, without who raised it: no petitioners, no query code (the
        // petitioner's own credential), and none of the staff's free text about the person (the
        // decision note, the reason for a repeat visit).
        Listing::WithoutIdentity => PetitionRecord {
            acceptance: p.acceptance,
            decision_reason: p.decision_reason.clone(),
            decided_at: p.decided_at.clone(),
            decided_by: p.decided_by.clone(),
            registered_by: p.registered_by.clone(),
            issue_region: p.issue_region.clone(),
            summary: p.summary.clone(),
            requests: p.requests.clone(),
            proposal: p.proposal.clone(),
            purpose: p.purpose.clone(),
            category: p.category.clone(),
            petition_class: p.petition_class.clone(),
            visitor_count: p.visitor_count,
            people_involved: p.people_involved,
            collective: p.collective,
            anonymous: p.anonymous,
            major_urgent: p.major_urgent,
            skip_level: p.skip_level,
            out_of_district: p.out_of_district,
            repeat_of: p.repeat_of.clone(),
            accused_unit_id: p.accused_unit_id.clone(),
            target_unit_id: p.target_unit_id.clone(),
            carried_by: p.carried_by.clone(),
            source: p.source.clone(),
            township: p.township.clone(),
            ..number_only
        },
        Listing::Full => p.clone(),
    };
    PetitionView { record, level }
}

// ---------------------------------------------------------------------------------------------
// Statistics: the one exception to "count what you may see"

/// Aggregate figures count every petition the bureau holds, for the roles that may see
/// statistics; only the rows behind a figure pass the gate. A drill-down row appears as the
/// viewer may list it, and a counted row the viewer would not be shown at all (another unit's,
/// or one the viewer is recused from) appears number-only, so the figure and its rows agree
/// without the rows saying more than the viewer may know.
pub fn drill_down_level(listed_as: Option<Listing>) -> Listing {
    listed_as.unwrap_or(Listing::NumberOnly)
}

/// The rows behind a figure as their viewer may see them: each through the gate at its
/// [`drill_down_level`], with the facts read for all rows at once.
pub(crate) async fn drill_down_views(
    state: &AppState,
    user: &User,
    rows: Vec<PetitionRecord>,
) -> AppResult<Vec<PetitionView>> {
    let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let units = state.store.handling_units_among(&ids).await?;
    let recused = state.store.recused_among(&user.id, &ids).await?;
    Ok(rows
        .iter()
        .map(|p| {
            let listed = if recused.contains(&p.id) {
                None
            } else {
                let units = units.get(&p.id).map(Vec::as_slice).unwrap_or(&[]);
                listing(p, decide(user, p, units, false))
            };
            gate(p, drill_down_level(listed))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_domain::lifecycle::{Channel, Stage};

    fn record(confidential: bool) -> PetitionRecord {
        PetitionRecord {
            id: "p1".into(),
            bureau_id: "b".into(),
            petition_no: "2026-F-0001".into(),
            query_code: "Q1".into(),
            channel: Channel::Visit,
            stage: Stage::Registered,
            acceptance: None,
            decision_reason: None,
            decision_note: "经与张三沟通".into(),
            decided_at: None,
            decided_by: Some("u2".into()),
            visited_at: "2026-11-30T09:00".into(),
            registered_at: "2026-11-30T09:05".into(),
            registered_on: "2026-11-30".into(),
            registered_by: "u1".into(),
            issue_region: "652302".into(),
            summary: "反映欠薪".into(),
            requests: "支付".into(),
            proposal: "交办".into(),
            purpose: Some("01".into()),
            category: None,
            petition_class: Some("accusation".into()),
            visitor_count: 1,
            people_involved: 1,
            collective: false,
            anonymous: false,
            consent_to_publish: true,
            major_urgent: false,
            confidential,
            skip_level: false,
            out_of_district: false,
            repeat_of: None,
            repeat_reason: "张三再次来访".into(),
            accused_unit_id: Some("unit".into()),
            target_unit_id: None,
            event_seq: 3,
            updated_at: "2026-11-30T09:05".into(),
            carried_by: None,
            source: None,
            township: None,
            national_no: None,
            national_query_code: None,
            petitioners: Vec::new(),
        }
    }

    #[test]
    fn each_level_shows_only_what_it_names() {
        let p = record(false);
        let without = gate(&p, Listing::WithoutIdentity);
        assert_eq!(without.summary, "反映欠薪");
        assert_eq!(without.query_code, "", "the petitioner's credential");
        assert_eq!(without.decision_note, "", "staff's words about the person");
        assert_eq!(without.repeat_reason, "");
        assert_eq!(without.access(), Access::WithoutIdentity);
        let number = gate(&p, Listing::NumberOnly);
        assert_eq!(number.petition_no, "2026-F-0001");
        assert_eq!(
            (number.summary.as_str(), number.registered_by.as_str()),
            ("", "")
        );
        assert_eq!(number.access(), Access::Denied);
        assert_eq!(gate(&p, Listing::Full).query_code, "Q1");
    }

    #[test]
    fn a_drill_down_shows_every_counted_row_number_only_where_it_would_not_be_listed() {
        assert_eq!(drill_down_level(None), Listing::NumberOnly);
        assert_eq!(drill_down_level(Some(Listing::Full)), Listing::Full);
        assert_eq!(
            drill_down_level(listing(&record(false), Access::Denied)),
            Listing::NumberOnly
        );
        assert_eq!(
            drill_down_level(listing(&record(true), Access::WithoutIdentity)),
            Listing::WithoutIdentity
        );
    }
}
