//! Use cases: each takes the signed-in user and plain input, asks the domain core what may
//! happen, and writes the new state and its event in one transaction. Pages and the API are
//! thin adapters over these functions.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use xinfang_domain::document::DocumentKind;
use xinfang_domain::lifecycle::{self, Acceptance, Channel, Command, PetitionState, Stage};
use xinfang_domain::region;
use xinfang_domain::registration::{
    self, InterviewInput, RegistrationInput, parse_interview, parse_registration,
};
use xinfang_domain::resident_id::{mask_id_number, mask_phone};
use xinfang_domain::role::Role;
use xinfang_domain::visibility::{self, Access};
use xinfang_store::people::User;
use xinfang_store::petitions::{ListFilter, ListScope, NewPetition, PetitionRecord};

use crate::access::{Listing, PetitionView, access_of, listable, listed, open_record, view};
use crate::auth::CurrentUser;
use crate::auth::actor;
use crate::clock::{from_local, local, local_date};
use crate::context::AppState;
use crate::drafting::documents::issue_document;
use crate::error::{AppError, AppResult};
use crate::numbers::{petition_no, query_code};
use crate::write::Write;

// ---------------------------------------------------------------------------------------------
// Registration

#[tracing::instrument(name = "intake::register", skip_all)]
pub async fn register(
    state: &AppState,
    user: &CurrentUser,
    input: &RegistrationInput,
) -> AppResult<PetitionView> {
    let letter = input.channel.trim() == "letter";
    if !visibility::may_register(user.role(), letter) {
        return Err(AppError::Forbidden(format!(
            "{}不能登记{}",
            user.role().label_zh(),
            if letter { "来信" } else { "来访" }
        )));
    }
    let now = state.clock.now();
    let reg = parse_registration(input, local(now))?;
    let bureau = &state.bureau;
    if let Some(r) = &reg.repeat_of {
        state.store.petition(&bureau.id, r).await.map_err(|_| {
            AppError::field("repeat_of", "unknown_petition", "关联的原信访件不存在")
        })?;
    }
    if let Some(u) = &reg.accused_unit_id {
        state.store.unit(&bureau.id, u).await.map_err(|_| {
            AppError::field("accused_unit_id", "unknown_unit", "被检举控告的单位不存在")
        })?;
    }
    crate::township::check(state, &reg.township).await?;
    let today = local_date(now);
    let stage = PetitionState::new(reg.channel).stage;
    let mut w = Write::begin_at(state, user, now).await?;
    let seq = xinfang_store::next_in_sequence(
        &mut w.tx,
        &bureau.id,
        &format!("petition:{}", reg.channel.as_str()),
        today.year(),
    )
    .await?;
    let no = petition_no(reg.channel, today.year(), seq);
    let code = query_code();
    let id = state
        .store
        .insert_petition(
            &mut w.tx,
            &NewPetition {
                bureau_id: &bureau.id,
                petition_no: &no,
                query_code: &code,
                registration: &reg,
                stage,
                registered_on: today,
                visited_at_utc: from_local(reg.visited_at),
            },
            &actor(&user.user),
            now,
        )
        .await?;
    let payload = serde_json::json!({
        "petition_no": no,
        "channel": reg.channel.as_str(),
        "stage": stage.as_str(),
        "registration": reg,
    });
    w.event(&id, 0, "registered", &payload).await?;
    crate::deadlines::start_higher_organ_deadline(
        state,
        &mut w.tx,
        &id,
        &reg.source,
        today,
        reg.channel == Channel::Letter,
    )
    .await?;
    // A new visit or letter on a matter already transferred or assigned is supervised (rules §5).
    if let Some(earlier) = &reg.repeat_of {
        crate::supervision::on_repeat_registered(
            state,
            &mut w.tx,
            earlier,
            &id,
            &no,
            &actor(&user.user),
        )
        .await?;
    }
    // Out-of-district visitors are reported to the bureau head (V2.3).
    if reg.out_of_district {
        state
            .store
            .insert_task(
                &mut w.tx,
                &bureau.id,
                Some(&id),
                "out_of_district",
                Role::Director,
                &format!("区外来访：{no}，请局负责人阅知"),
                now,
            )
            .await?;
    }
    w.commit().await?;
    crate::access::petition_view(state, user, &id).await
}

// ---------------------------------------------------------------------------------------------
// Same-day completeness (V1.3)

/// The job that makes the day's incomplete entries tasks, once per day and bureau.
pub const COMPLETENESS_JOB: &str = "same_day_completeness";
pub use xinfang_domain::registration::COMPLETENESS_TASK;

/// At the end of `day`'s working hours: every entry registered that day that still lacks one of
/// the seed's items becomes a task for the staff member who registered it (its title lists
/// what is missing), with an event on the petition. Made once per petition, however often it
/// runs. Returns how many tasks were made.
#[tracing::instrument(name = "intake::open_completeness_tasks", skip_all)]
pub async fn open_completeness_tasks(state: &AppState, day: NaiveDate) -> AppResult<usize> {
    let (system_id, system_role) = crate::supervision::system_actor(state).await?;
    let actor = xinfang_store::petitions::Actor {
        id: &system_id,
        role: system_role,
    };
    let now = state.clock.now();
    let mut made = 0;
    for (p, presence) in state.store.registrations_on(&state.bureau.id, day).await? {
        let Some(title) = registration::completeness_task(&p.petition_no, &presence) else {
            continue;
        };
        let role = registration::completeness_task_role(p.channel);
        let mut tx = state.store.begin().await?;
        let task = state
            .store
            .insert_person_task(
                &mut tx,
                &state.bureau.id,
                Some(&p.id),
                COMPLETENESS_TASK,
                role,
                Some(&p.registered_by),
                &title,
                &format!("{COMPLETENESS_TASK}:{}", p.id),
                now,
            )
            .await?;
        let Some(task) = task else {
            continue;
        };
        let seq = state.store.event_seq_in(&mut tx, &p.id).await?;
        state
            .store
            .append_event(
                &mut tx,
                &state.bureau.id,
                &p.id,
                seq,
                "completeness_task_opened",
                &serde_json::json!({"task_id": task, "missing": registration::missing_seed_fields(&presence), "assignee": p.registered_by}),
                &actor,
                now,
            )
            .await?;
        tx.commit().await?;
        made += 1;
    }
    Ok(made)
}

// ---------------------------------------------------------------------------------------------
// Interview

#[tracing::instrument(name = "intake::record_interview", skip_all)]
pub async fn record_interview(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &InterviewInput,
) -> AppResult<()> {
    user.require(&[Role::Receptionist, Role::CaseOfficer])?;
    let (p, _) = open_record(state, user, id, "record_interview").await?;
    visibility::may_interview(user.role(), p.channel, p.stage)?;
    let now = state.clock.now();
    let interview = parse_interview(input, local_date(now))?;
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .insert_interview(
            &mut w.tx,
            &state.bureau.id,
            &p.id,
            &interview,
            &user.user.id,
            now,
        )
        .await?;
    let kind = if interview.appointment_on.is_some() {
        "appointment_made"
    } else {
        "interviewed"
    };
    w.event(
        &p.id,
        p.event_seq,
        kind,
        &serde_json::to_value(&interview).unwrap_or_default(),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Decision and slip

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DecisionInput {
    /// accepted | not_accepted | no_longer_accepted | referred_to_locality | referred_to_department
    pub acceptance: String,
    /// A reason code from the configured list for that decision.
    pub reason: String,
    pub note: String,
    /// The unit the matter goes to: a department for 转送单, a township or street office for a
    /// locality referral.
    pub target_unit_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DecisionOutcome {
    pub state: String,
    pub acceptance: String,
    /// The slip issued on the spot, if the decision needs one.
    pub document_id: Option<String>,
    pub doc_no: Option<String>,
    /// For accepted petitions: the date by which the way of handling must be decided (15 days).
    pub dispose_due: Option<String>,
}

#[tracing::instrument(name = "intake::decide", skip_all)]
pub async fn decide(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &DecisionInput,
) -> AppResult<DecisionOutcome> {
    let (p, _) = open_record(state, user, id, "decide").await?;
    let acceptance = Acceptance::parse(input.acceptance.trim()).ok_or_else(|| {
        AppError::field(
            "acceptance",
            "unknown_acceptance",
            format!("未知的受理决定：{}", input.acceptance.trim()),
        )
    })?;
    let reps = p.petitioners.iter().filter(|x| x.is_representative).count();
    let domain_state = PetitionState {
        channel: p.channel,
        stage: p.stage,
        acceptance: p.acceptance,
        collective_without_representatives: p.collective && reps == 0,
        ..PetitionState::new(p.channel)
    };
    let transition =
        lifecycle::execute(&domain_state, &Command::Decide { acceptance }, user.role())?;
    let reasons = state.store.decision_reasons(&state.bureau.id).await?;
    let usable = |r: &&xinfang_store::reasons::DecisionReason| {
        r.active && r.acceptance == acceptance.as_str()
    };
    let reason_code = if input.reason.trim().is_empty() {
        reasons
            .iter()
            .find(usable)
            .map(|r| r.code.clone())
            .unwrap_or_default()
    } else {
        input.reason.trim().to_string()
    };
    let reason = reasons
        .iter()
        .filter(usable)
        .find(|r| r.code == reason_code)
        .ok_or_else(|| {
            AppError::field(
                "reason",
                "unknown_reason",
                format!("「{reason_code}」不是该受理决定的可用理由"),
            )
        })?;
    if input.note.chars().count() > 2000 {
        return Err(AppError::field("note", "too_long", "说明不超过 2000 字"));
    }
    // Which kind of unit a referral needs is a domain rule; here only the lookup. Other
    // decisions take no unit, and a unit sent with them is ignored.
    let takes_unit = matches!(
        acceptance,
        Acceptance::ReferredToDepartment | Acceptance::ReferredToLocality
    );
    let unit =
        match input
            .target_unit_id
            .as_deref()
            .filter(|s| takes_unit && !s.is_empty())
        {
            Some(uid) => Some(state.store.unit(&state.bureau.id, uid).await.map_err(|_| {
                AppError::field("target_unit_id", "unknown_unit", "承办单位不存在")
            })?),
            None => None,
        };
    let target = if acceptance.check_target_unit_kind(unit.as_ref().map(|u| u.kind.as_str()))? {
        unit
    } else {
        None
    };
    let now = state.clock.now();
    let today = local_date(now);
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .set_decision(
            &mut w.tx,
            &p.id,
            transition.to,
            acceptance,
            &reason_code,
            input.note.trim(),
            target.as_ref().map(|u| u.id.as_str()),
            &user.user.id,
            now,
        )
        .await?;
    // Accepted petitions are disposed within 15 days of registration (V3.0): a stored deadline
    // on the office's queue (the letter clerk's for letters), from the rule's current version.
    let dispose_due = if acceptance == Acceptance::Accepted {
        let registered_on =
            chrono::NaiveDate::parse_from_str(&p.registered_on, "%Y-%m-%d").unwrap_or(today);
        let started = crate::deadlines::start_deadline(
            state,
            &mut w.tx,
            &crate::deadlines::StartDeadline {
                petition_id: &p.id,
                handling_record_id: None,
                unit_id: None,
                rule_code: "dispose_visit",
                started_on: registered_on,
                role: Some(if p.channel.follows_letter_procedure() {
                    "letter_clerk"
                } else {
                    "office"
                }),
                cap: None,
            },
        )
        .await?;
        Some(started.due_on)
    } else {
        None
    };
    let mut seq = w
        .event(
            &p.id,
            p.event_seq,
            "decided",
            &serde_json::json!({
                "acceptance": acceptance.as_str(),
                "reason": reason_code,
                "reason_text": reason.reason,
                "note": input.note.trim(),
                "target_unit_id": target.as_ref().map(|u| u.id.clone()),
                "stage": transition.to.as_str(),
                "dispose_due": dispose_due.map(|d| d.to_string()),
            }),
        )
        .await?;
    if let Some(unit) = &target
        && acceptance == Acceptance::ReferredToDepartment
    {
        let record = state
            .store
            .insert_handling_record(
                &mut w.tx,
                &state.bureau.id,
                &p.id,
                &unit.id,
                "transfer",
                true,
                now,
            )
            .await?;
        // The unit tells the petitioner within 15 days of receiving the transfer (2022 Art. 23);
        // the 转送单 is handed over today, which counts as the unit's receipt until the unit
        // records its own receipt.
        crate::deadlines::start_deadline(
            state,
            &mut w.tx,
            &crate::deadlines::StartDeadline {
                petition_id: &p.id,
                handling_record_id: Some(&record),
                unit_id: Some(&unit.id),
                rule_code: "unit_notify_petitioner",
                started_on: today,
                role: None,
                cap: None,
            },
        )
        .await?;
    }
    let mut document = None;
    if let Some(kind) = acceptance.window_slip() {
        let mut p2 = p.clone();
        p2.acceptance = Some(acceptance);
        let data = slip_data(
            state,
            &user.user,
            &p2,
            kind,
            reason,
            input.note.trim(),
            target.as_ref().map(|u| u.name.as_str()),
            today,
        );
        let (doc_id, doc_no, new_seq) =
            issue_document(state, &mut w.tx, &user.user, &p.id, seq, kind, data).await?;
        seq = new_seq;
        document = Some((doc_id, doc_no));
        // The slip is handed over on the spot: for a non-accepting decision the notice is
        // served and the matter ends here (V1.2).
        if transition.to == Stage::Decided {
            let t2 = lifecycle::execute(
                &PetitionState {
                    stage: transition.to,
                    acceptance: Some(acceptance),
                    ..domain_state.clone()
                },
                &Command::ServeNotice,
                served_by(p.channel),
            )?;
            state.store.set_stage(&mut w.tx, &p.id, t2.to).await?;
            w.event(
                &p.id,
                seq,
                "notice_served",
                &serde_json::json!({"stage": t2.to.as_str(), "method": "slip_on_the_spot"}),
            )
            .await?;
        }
    }
    // The decision also goes to the petitioner's phone.
    crate::outbox::enqueue_for_petition(
        state,
        &mut w.tx,
        &p.id,
        xinfang_domain::outbox::MessageKind::AcceptanceDecision,
        &[("decision", acceptance.label_zh().to_string())],
        now,
    )
    .await?;
    w.commit().await?;
    let stage = state.store.petition(&state.bureau.id, &p.id).await?.stage;
    Ok(DecisionOutcome {
        state: stage.as_str().into(),
        acceptance: acceptance.as_str().into(),
        document_id: document.as_ref().map(|d| d.0.clone()),
        doc_no: document.map(|d| d.1),
        dispose_due: dispose_due.map(|d| d.to_string()),
    })
}

/// The role that serves a notice, for the lifecycle check of the automatic step.
fn served_by(channel: lifecycle::Channel) -> Role {
    if channel.follows_letter_procedure() {
        Role::LetterClerk
    } else {
        Role::Receptionist
    }
}

#[allow(clippy::too_many_arguments)]
fn slip_data(
    state: &AppState,
    officer: &User,
    p: &PetitionRecord,
    kind: DocumentKind,
    reason: &xinfang_store::reasons::DecisionReason,
    note: &str,
    target_unit: Option<&str>,
    today: chrono::NaiveDate,
) -> serde_json::Value {
    let first = p.petitioners.first();
    let acceptance = p.acceptance.unwrap_or(Acceptance::NotAccepted);
    let decision_label = match acceptance {
        Acceptance::NotAccepted => "不予受理".to_string(),
        Acceptance::NoLongerAccepted => "不再受理".to_string(),
        Acceptance::ReferredToLocality => {
            format!("请你到{}反映", target_unit.unwrap_or("事发地乡镇（街道）"))
        }
        Acceptance::ReferredToDepartment => {
            format!("转送{}处理", target_unit.unwrap_or("主管部门"))
        }
        Acceptance::Accepted => "受理".to_string(),
    };
    // The local (CST) date of the visit: "2026-11-27 09:30" → "2026-11-27".
    let visited_on = crate::clock::show(&p.visited_at)
        .get(..10)
        .map(str::to_string);
    serde_json::json!({
        "bureau_name": state.bureau.name,
        "title": kind.title_zh(),
        "doc_no": serde_json::Value::Null,
        "petitioner": {
            "name": first.map(|x| x.name.clone()).unwrap_or_else(|| "匿名".into()),
            "sex": first.and_then(|x| x.sex.clone()).map(|s| if s == "male" { "男" } else { "女" }),
            "id_number": first.and_then(|x| x.id_number.as_deref().map(mask_id_number)),
            "address": first.map(|x| x.address.clone()),
            "phone": first.map(|x| mask_phone(&x.phone)),
        },
        "summary": p.summary,
        "requests": if p.requests.is_empty() { serde_json::Value::Null } else { p.requests.clone().into() },
        "decision_label": decision_label,
        "reason": if note.is_empty() { reason.reason.clone() } else { format!("{}。{}", reason.reason, note) },
        "legal_text": reason.legal_text,
        "target_unit": target_unit,
        "officer": officer.display_name,
        "issued_on": today.to_string(),
        "visited_on": visited_on,
        "region": region::lookup(&p.issue_region).map(|r| r.full_name.clone()),
    })
}

// ---------------------------------------------------------------------------------------------
// Lists

pub struct ListedPetition {
    pub record: PetitionView,
    /// Shown with (masked) personal details; otherwise the row shows no personal data at all.
    pub with_details: bool,
}

/// One page of a list, and how many rows the viewer may see in all.
pub struct PetitionPage {
    pub rows: Vec<ListedPetition>,
    /// The rows the viewer may see: all of them when `total_exact`, else at least this many.
    pub total: usize,
    pub total_exact: bool,
}

/// Candidates read per query when counting a whole list.
const CHUNK: usize = 500;

/// One page, with the exact total of what the viewer may see (reads the whole list).
#[tracing::instrument(name = "intake::list", skip_all)]
pub async fn list(
    state: &AppState,
    user: &CurrentUser,
    filter: &ListFilter,
) -> AppResult<PetitionPage> {
    list_counted(state, user, filter, None).await
}

/// One page; with `count_ahead`, counting stops that many visible rows past the page and the
/// total is a lower bound. A page of a list of a million rows then reads a few hundred rows,
/// not the million.
pub async fn list_counted(
    state: &AppState,
    user: &CurrentUser,
    filter: &ListFilter,
    count_ahead: Option<usize>,
) -> AppResult<PetitionPage> {
    if !visibility::may_list_petitions(user.role()) {
        return Err(AppError::forbidden());
    }
    let scope = ListScope {
        user_id: user.user.id.clone(),
        unit_id: if user.role().is_unit_staff() {
            Some(user.user.unit_id.clone().ok_or_else(AppError::forbidden)?)
        } else {
            None
        },
    };
    let text = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let offset = usize::try_from(filter.offset.max(0)).unwrap_or(0);
    let limit = usize::try_from(filter.limit.clamp(1, 500)).unwrap_or(50);
    let stop_at = count_ahead.map(|n| offset + limit + n);
    // The gate decides row by row, so the store's candidates are read in chunks, newest first,
    // and the page is cut from what the viewer may see: a total and a page never count a row
    // the viewer may not.
    let mut chunk_filter = filter.clone();
    let mut total = 0usize;
    let mut page = Vec::with_capacity(limit);
    let total_exact = loop {
        let want = match stop_at {
            // One more than needed: a full chunk says whether more rows follow.
            Some(stop) => (stop.saturating_sub(total) + 1)
                .max(limit + 1)
                .min(CHUNK.max(limit + 1)),
            None => CHUNK.max(limit + 1),
        };
        let rows = state
            .store
            .list_candidates_chunk(&state.bureau.id, &scope, &chunk_filter, want as i64)
            .await?;
        let got = rows.len();
        chunk_filter.after = rows.last().map(|r| (r.registered_at.clone(), r.id.clone()));
        for (r, level) in listable(state, &user.user, rows).await? {
            // A search term matches names only among rows the viewer may see with their
            // names: a row found by a name the viewer may not see would say who raised it. A
            // confidential row the viewer may not open is found by nothing but its number.
            if let Some(t) = text {
                let found_without_names = match level {
                    Listing::Full => true,
                    Listing::WithoutIdentity => r.petition_no.contains(t) || r.summary.contains(t),
                    Listing::NumberOnly => r.petition_no.contains(t),
                };
                if !found_without_names {
                    continue;
                }
            }
            if total >= offset && page.len() < limit {
                page.push((r, level));
            }
            total += 1;
        }
        if got < want {
            break true;
        }
        if stop_at.is_some_and(|stop| total >= stop) {
            break false;
        }
    };
    let (mut records, levels): (Vec<_>, Vec<_>) = page.into_iter().unzip();
    state.store.with_petitioners(&mut records).await?;
    let rows = records
        .into_iter()
        .zip(levels)
        .map(|(r, level)| ListedPetition {
            record: listed(&r, level),
            with_details: level == Listing::Full,
        })
        .collect();
    Ok(PetitionPage {
        rows,
        total,
        total_exact,
    })
}

// ---------------------------------------------------------------------------------------------
// Reads

/// The interview records (接谈): what the petitioner said, so only for viewers who may know who
/// they are.
pub async fn interviews(
    state: &AppState,
    p: &PetitionView,
) -> AppResult<Vec<xinfang_store::petitions::InterviewRow>> {
    if p.access() != Access::Full {
        return Ok(Vec::new());
    }
    Ok(state.store.interviews(&p.id).await?)
}

/// The day's registrations with what each still lacks (V1.3), for the bureau's staff; a
/// petition the viewer may not open (confidential, recused) is left out.
#[tracing::instrument(name = "intake::registrations_on", skip_all)]
pub async fn registrations_on(
    state: &AppState,
    user: &CurrentUser,
    day: chrono::NaiveDate,
) -> AppResult<
    Vec<(
        PetitionView,
        xinfang_domain::registration::SeedFieldPresence,
    )>,
> {
    if !user.role().is_bureau_staff() {
        return Err(AppError::forbidden());
    }
    let mut out = Vec::new();
    for (p, presence) in state.store.registrations_on(&state.bureau.id, day).await? {
        if access_of(state, &user.user, &p).await? == Access::Full {
            out.extend(view(&p, Access::Full).map(|v| (v, presence)));
        }
    }
    Ok(out)
}

/// A petition by id for a use case's answer, refused to a viewer who may not open it (the
/// opening itself is logged by the use case that did the work).
#[tracing::instrument(name = "intake::petition", skip_all)]
pub async fn petition(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<PetitionView> {
    crate::access::petition_view(state, user, id).await
}
