//! From acceptance to closed (issue 4): dispositions, approvals, the handling units' steps,
//! review, closing, appeals, leader instructions, obligations, query replies and incidents.
//! Each function judges the step with the domain core, then writes the state and its event in
//! one transaction.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use xinfang_domain::appeal::{self, AppealHistory, AppealLevel};
use xinfang_domain::approval::{self, ApprovalState, Gate};
use xinfang_domain::deadline::{self, CountingMode};
use xinfang_domain::disposition::{self, DispositionPlan};
use xinfang_domain::document::DocumentKind;
use xinfang_domain::handling::{
    self, ClosureFacts, Finding, HandlingReportInput, ReportDecision, ReviewOutcome,
};
use xinfang_domain::incident::{self, IncidentInput};
use xinfang_domain::lifecycle::{
    self, Channel, Command, Disposition, HandlingActor, HandlingCommand, HandlingState,
    PetitionState, Stage,
};
use xinfang_domain::role::Role;
use xinfang_domain::source;
use xinfang_domain::visibility::Access;
use xinfang_domain::{FieldError, registration};
use xinfang_store::handling::{
    AppealRow, ApprovalRow, HandlingRecordRow, IncidentRow, InstructionRow, NewDisposition,
    QueryReplyRow, ReportAttachmentRow, ReportRow, ReviewRow,
};
use xinfang_store::new_id;
use xinfang_store::petitions::PetitionRecord;

use crate::access::open_record;
use crate::auth::CurrentUser;
use crate::calendar::calendar;
use crate::clock::local_date;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::gates::approvers;
pub use crate::steps::record_state;
use crate::write::Write;

pub mod acting;
mod deadlines;
mod documents;

fn date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref().and_then(|d| d.parse().ok())
}

/// The petition's days: handling 60 days from acceptance (2005 Art. 33), the unit's notice 15
/// days and its objection 5 working days from receipt (2022 Art. 23).
pub use xinfang_domain::disposition::HANDLING_DAYS;
pub const UNIT_NOTIFY_DAYS: u32 = 15;
pub const UNIT_OBJECT_WORKING_DAYS: u32 = 5;

/// Everything the lifecycle needs about a petition and its records.
pub struct CaseView {
    pub petition: PetitionRecord,
    pub records: Vec<HandlingRecordRow>,
    pub reports: Vec<ReportRow>,
    pub reviews: Vec<ReviewRow>,
    pub obligations: Vec<xinfang_store::handling::ObligationRow>,
}

impl CaseView {
    pub async fn load(state: &AppState, p: PetitionRecord) -> AppResult<CaseView> {
        let records = state.store.handling_records(&p.id).await?;
        let reports = state.store.reports_of(&p.id).await?;
        let reviews = state.store.reviews_of(&p.id).await?;
        let obligations = state.store.obligations_of(&p.id).await?;
        Ok(CaseView {
            petition: p,
            records,
            reports,
            reviews,
            obligations,
        })
    }

    fn lead_records(&self) -> impl Iterator<Item = &HandlingRecordRow> {
        self.records
            .iter()
            .filter(|r| r.lead != 0 && r.state != HandlingState::Objected.as_str())
            .filter(|r| r.objection_reason.is_empty() || r.state != "done")
    }

    /// The latest report that passed review, with the record it belongs to.
    fn passed_reports(&self) -> Vec<&ReportRow> {
        self.reports
            .iter()
            .filter(|rep| {
                self.reviews
                    .iter()
                    .rev()
                    .find(|rv| rv.handling_report_id == rep.id)
                    .is_some_and(|rv| rv.outcome == ReviewOutcome::Pass.as_str())
            })
            .collect()
    }

    /// What the closing check sees (rules §7).
    /// Whether `report` is the latest report of its record (or of the bureau itself): earlier
    /// ones were sent back and replaced, and are not reviewed again.
    pub fn is_latest_report(&self, report: &ReportRow) -> bool {
        self.reports
            .iter()
            .rev()
            .find(|r| r.handling_record_id == report.handling_record_id)
            .is_some_and(|r| r.id == report.id)
    }

    pub fn closure_facts(&self) -> ClosureFacts {
        let leads: Vec<&HandlingRecordRow> = self.lead_records().collect();
        let passed = self.passed_reports();
        let closing_report = if leads.is_empty() {
            passed.iter().rev().find(|r| r.handling_record_id.is_none())
        } else {
            passed
                .iter()
                .rev()
                .find(|r| r.handling_record_id.as_deref() == Some(leads[0].id.as_str()))
        };
        let reviews_passed = if leads.is_empty() {
            closing_report.is_some()
        } else {
            leads
                .iter()
                .all(|r| r.state == HandlingState::Done.as_str())
        };
        let mut facts = match closing_report {
            Some(r) => ClosureFacts {
                reviews_passed,
                decision_recorded: ReportDecision::parse(&r.decision).is_some(),
                signed_off: !r.signed_off_by.is_empty(),
                written_reply: !r.reply.is_empty() && r.reply_served_on.is_some(),
                petitioner_signed_or_refused: r.petitioner_signed != 0
                    || !r.refusal_note.is_empty(),
                settlement_noted: !r.settlement_note.is_empty(),
                open_obligations: Vec::new(),
            },
            None => ClosureFacts {
                reviews_passed,
                ..ClosureFacts::default()
            },
        };
        facts.open_obligations = self
            .obligations
            .iter()
            .filter(|o| o.fulfilled_at.is_none())
            .map(|o| o.description.clone())
            .collect();
        facts
    }

    pub fn domain_state(&self) -> PetitionState {
        let p = &self.petition;
        PetitionState {
            channel: p.channel,
            stage: p.stage,
            acceptance: p.acceptance,
            collective_without_representatives: false,
            lead_reports_pending: self
                .lead_records()
                .filter(|r| {
                    !matches!(
                        HandlingState::parse(&r.state),
                        Some(HandlingState::Reported | HandlingState::Done)
                    )
                })
                .count() as u32,
            closure: self.closure_facts(),
        }
    }

    /// What a satisfaction rating rests on: when the handling opinion (an accepted report's
    /// written reply) reached the petitioner, and the handling unit whose report it was.
    pub fn rating_facts(&self) -> (Option<NaiveDate>, Option<String>) {
        let passed = self.passed_reports();
        let served = passed.iter().filter_map(|r| date(&r.reply_served_on)).min();
        let unit = passed.iter().find_map(|r| r.unit_id.clone());
        (served, unit)
    }

    /// When the written handling opinion reached the petitioner, and the appeals so far.
    pub fn appeal_history(&self, appeals: &[AppealRow]) -> AppealHistory {
        let served = self
            .passed_reports()
            .iter()
            .rev()
            .find_map(|r| date(&r.reply_served_on));
        let find = |level: AppealLevel| {
            appeals.iter().find(|a| a.level == level.as_str()).map(|a| {
                (
                    a.requested_on.parse().unwrap_or(NaiveDate::MIN),
                    date(&a.opinion_served_on),
                )
            })
        };
        AppealHistory {
            opinion_served_on: served,
            reexamination: find(AppealLevel::Reexamination),
            recheck: find(AppealLevel::Recheck),
        }
    }
}

fn reviewer_role(channel: Channel) -> Role {
    if channel.follows_letter_procedure() {
        Role::LetterClerk
    } else {
        Role::CaseOfficer
    }
}

// ---------------------------------------------------------------------------------------------
// Dispositions (rules §4)

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct UnitChoice {
    pub unit_id: String,
    /// The lead unit (主办); others co-handle (协办).
    pub lead: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DispositionInput {
    /// `report_up`, `assignment`, `transfer`, `coordination`, `set_aside`, `direct_reply`,
    /// `circular` (letters: 通报).
    pub disposition: String,
    /// 交办 / 转送: the units; exactly one lead for 交办.
    pub units: Vec<UnitChoice>,
    /// 交办: the handling period in days (default 60; a local leader may set a shorter one).
    pub period_days: Option<u32>,
    /// 上报: the carrier, 每日信访信息 / 信访信息专报 / 重要信访问题请示报告单.
    pub carrier: String,
    /// 上报 of a letter: `original` (原信), `digest` (摘要) or `summary` (综合); visits have none.
    pub report_mode: String,
    /// What the unit must do and report (交办 requirements), or the direct reply's outline.
    pub requirements: String,
    /// Urgent 交办: notified first by phone or fax; the 交办函 must follow.
    pub urgent: bool,
    /// `phone` or `fax`.
    pub urgent_method: String,
    /// 协调处理: the office's plan, and who coordinates (`bureau_leader`, `case_officer`,
    /// `local_leader`).
    pub plan: String,
    pub coordination_level: String,
    pub note: String,
}

pub use xinfang_domain::disposition::{CARRIERS, disposition_label};

impl DispositionInput {
    /// The same input in the domain's words, for `disposition::parse_disposition`.
    pub fn to_domain(&self) -> disposition::DispositionInput {
        disposition::DispositionInput {
            disposition: self.disposition.clone(),
            units: self
                .units
                .iter()
                .map(|u| disposition::UnitChoice {
                    unit_id: u.unit_id.clone(),
                    lead: u.lead,
                })
                .collect(),
            period_days: self.period_days,
            carrier: self.carrier.clone(),
            report_mode: self.report_mode.clone(),
            requirements: self.requirements.clone(),
            urgent: self.urgent,
            urgent_method: self.urgent_method.clone(),
            plan: self.plan.clone(),
            coordination_level: self.coordination_level.clone(),
            note: self.note.clone(),
        }
    }
}

/// The units a plan names, as stored: an id the bureau does not have is refused.
async fn plan_units(
    state: &AppState,
    plan: &DispositionPlan,
) -> AppResult<Vec<(xinfang_store::people::Unit, bool)>> {
    let mut units = Vec::new();
    for (i, c) in plan.units.iter().enumerate() {
        let u = state
            .store
            .unit(&state.bureau.id, &c.unit_id)
            .await
            .map_err(|_| {
                AppError::field(
                    &format!("units[{i}].unit_id"),
                    "unknown_unit",
                    "承办单位不存在",
                )
            })?;
        units.push((u, c.lead));
    }
    Ok(units)
}

/// A proposal waiting for approval stores its checked plan; proposals stored before plans
/// were (raw input) are checked once more as they are read.
fn stored_plan(payload: serde_json::Value) -> AppResult<DispositionPlan> {
    if let Ok(plan) = serde_json::from_value::<DispositionPlan>(payload.clone()) {
        return Ok(plan);
    }
    let input: disposition::DispositionInput =
        serde_json::from_value(payload).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(disposition::parse_disposition(&input)?)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DispositionOutcome {
    /// The petition's stage after the proposal.
    pub stage: String,
    /// Set when the disposition waits for approval.
    pub approval_id: Option<String>,
}

/// 拟办 (V3.0, L4.0): the office (visits) or the clerk (letters) proposes the way of handling.
/// Gated ways wait for their approver; the others take effect at once.
#[tracing::instrument(name = "handling::propose_disposition", skip_all)]
pub async fn propose_disposition(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &DispositionInput,
) -> AppResult<DispositionOutcome> {
    let (p, _) = open_record(state, user, petition_id, "dispose").await?;
    let d = disposition::parse_disposition_kind(&input.disposition)?;
    let case = CaseView::load(state, p).await?;
    let cmd = Command::Dispose { disposition: d };
    let t = lifecycle::execute(&case.domain_state(), &cmd, user.role())?;
    // A new proposal is checked for its channel: a letter goes up in a mode and on a carrier, a
    // visit on a carrier only (V3.1, L4.1).
    let plan = disposition::parse_disposition_for(&input.to_domain(), case.petition.channel)?;
    let units = plan_units(state, &plan).await?;
    let now = state.clock.now();
    let p = &case.petition;
    let mut w = Write::begin_at(state, user, now).await?;
    if let Some(gate) = t.gate {
        let names: Vec<&str> = units.iter().map(|(u, _)| u.name.as_str()).collect();
        let summary = format!(
            "{} {}：{}{}",
            p.petition_no,
            disposition_label(d.as_str()),
            p.summary.chars().take(40).collect::<String>(),
            if names.is_empty() {
                String::new()
            } else {
                format!("（{}）", names.join("、"))
            }
        );
        let payload = serde_json::to_value(&plan).map_err(|e| AppError::Internal(e.to_string()))?;
        let approval_id = state
            .store
            .insert_approval(
                &mut w.tx,
                &state.bureau.id,
                Some(&p.id),
                None,
                None,
                gate.as_str(),
                &summary,
                &payload,
                &user.user.id,
                user.role().as_str(),
                now,
            )
            .await?;
        w.event(&p.id, p.event_seq, "disposition_proposed", &serde_json::json!({
                    "disposition": d.as_str(), "approval_id": approval_id, "gate": gate.as_str(),
                    "units": units.iter().map(|(u, l)| serde_json::json!({"unit_id": u.id, "name": u.name, "lead": l})).collect::<Vec<_>>(),
                    "note": plan.note,
                }))
            .await?;
        w.commit().await?;
        return Ok(DispositionOutcome {
            stage: p.stage.as_str().into(),
            approval_id: Some(approval_id),
        });
    }
    apply_disposition(state, &mut w.tx, user, p, p.event_seq, &plan, &units, None).await?;
    w.commit().await?;
    Ok(DispositionOutcome {
        stage: t.to.as_str().into(),
        approval_id: None,
    })
}

/// Makes a disposition so: its row, the units' records, the stage and the event.
#[allow(clippy::too_many_arguments)]
async fn apply_disposition(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &CurrentUser,
    p: &PetitionRecord,
    seq: i64,
    plan: &DispositionPlan,
    units: &[(xinfang_store::people::Unit, bool)],
    proposed_by: Option<&str>,
) -> AppResult<i64> {
    let now = state.clock.now();
    let d = plan.disposition;
    let period = plan.period_days.unwrap_or(HANDLING_DAYS);
    let carrier = plan.carrier.map(|c| c.label_zh()).unwrap_or_default();
    let urgent_method = plan.urgent.map(|m| m.as_str()).unwrap_or_default();
    let coordination_level = plan.coordination.map(|c| c.as_str()).unwrap_or_default();
    let disposition_id = state
        .store
        .insert_disposition(
            tx,
            &state.bureau.id,
            &NewDisposition {
                petition_id: &p.id,
                disposition: d.as_str(),
                carrier,
                report_mode: plan.report_mode.map(|m| m.as_str()).unwrap_or_default(),
                requirements: &plan.requirements,
                period_days: matches!(d, Disposition::Assignment | Disposition::Transfer)
                    .then_some(i64::from(period)),
                urgent: plan.urgent.is_some(),
                urgent_method,
                plan: &plan.plan,
                coordination_level,
                note: &plan.note,
                proposed_by: proposed_by.unwrap_or(&user.user.id),
                approved_by: proposed_by.map(|_| user.user.id.as_str()),
            },
            now,
        )
        .await?;
    let kind = if d == Disposition::Assignment {
        "assignment"
    } else {
        "transfer"
    };
    let today = local_date(now);
    let mut record_ids = Vec::new();
    let mut sent = Vec::new();
    for (u, lead) in units {
        let id = state
            .store
            .insert_assigned_record(
                tx,
                &state.bureau.id,
                &p.id,
                &u.id,
                kind,
                *lead,
                &disposition_id,
                i64::from(period),
                now,
            )
            .await?;
        let report = deadlines::on_sent_to_unit(
            state,
            tx,
            &p.id,
            &id,
            &u.id,
            d == Disposition::Assignment,
            period,
            today,
        )
        .await?;
        let report_due = report.map(|r| r.due_on);
        record_ids.push(serde_json::json!({
            "record_id": id, "unit_id": u.id, "name": u.name, "lead": lead,
            "report_due": report_due.map(|d| d.to_string()),
        }));
        sent.push((u.name.clone(), report_due));
    }
    deadlines::meet_petition(state, tx, &p.id, deadlines::DISPOSE, now).await?;
    state.store.set_stage(tx, &p.id, d.stage()).await?;
    let mut seq = state
        .store
        .append_event(
            tx,
            &state.bureau.id,
            &p.id,
            seq,
            "disposed",
            &serde_json::json!({
                "disposition": d.as_str(), "disposition_id": disposition_id,
                "stage": d.stage().as_str(), "units": record_ids,
                "period_days": period, "carrier": carrier,
                "urgent": plan.urgent.is_some(), "urgent_method": urgent_method,
                "coordination_level": coordination_level,
            }),
            &user.actor(),
            now,
        )
        .await?;
    // An urgent assignment is notified by phone or fax first; the 交办函 remains owed (V3.4).
    if plan.urgent.is_some() && d == Disposition::Assignment {
        let ob = state
            .store
            .insert_obligation(
                tx,
                &state.bureau.id,
                &p.id,
                "follow_up_letter",
                "紧急交办已电话/传真通知，须补发交办函",
                None,
                now,
            )
            .await?;
        seq = state
            .store
            .append_event(
                tx,
                &state.bureau.id,
                &p.id,
                seq,
                "obligation_opened",
                &serde_json::json!({"obligation_id": ob, "kind": "follow_up_letter"}),
                &user.actor(),
                now,
            )
            .await?;
    }
    if d == Disposition::ReportUp {
        owe_letter_reply(state, tx, user, p).await?;
        // A 信访信息专报 or 重要信访问题请示报告单 carrier is a document of its own, drafted for
        // the officer who proposed it; 每日信访信息 is compiled from the whole day instead.
        if let Some(kind) = plan.carrier.and_then(|c| c.drafted_kind()) {
            documents::draft(
                state,
                tx,
                p,
                kind,
                &[proposed_by.unwrap_or(&user.user.id)],
                None,
                None,
                Default::default(),
            )
            .await?;
        }
        seq = state.store.event_seq_in(tx, &p.id).await?;
    }
    // The 交办函 / 转送函 of each unit waits as a draft for the officer who proposed it.
    if matches!(d, Disposition::Assignment | Disposition::Transfer) {
        let kind = if d == Disposition::Assignment {
            DocumentKind::AssignmentLetter
        } else {
            DocumentKind::TransferLetter
        };
        for (unit_name, report_due) in sent {
            documents::draft(
                state,
                tx,
                p,
                kind,
                &[proposed_by.unwrap_or(&user.user.id)],
                Some(unit_name),
                report_due,
                Default::default(),
            )
            .await?;
        }
        seq = state.store.event_seq_in(tx, &p.id).await?;
    }
    Ok(seq)
}

// ---------------------------------------------------------------------------------------------
// Approvals (lifecycle §5)

/// Whether someone other than a recused officer holds one of the gate's approving roles for
/// this petition.
async fn has_unrecused_approver(
    state: &AppState,
    roles: &[Role],
    petition_id: &str,
    proposer: &str,
) -> AppResult<bool> {
    for u in state.store.users(&state.bureau.id).await? {
        if u.active
            && u.id != proposer
            && roles.contains(&u.role)
            && !state.store.is_recused(&u.id, petition_id).await?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The roles that may decide this approval: the gate's approvers, or — when every one of them
/// is recused from the petition or is the proposer itself — the director (局主要领导), so that it
/// never waits for nobody.
async fn deciding_roles(
    state: &AppState,
    gate: Gate,
    petition_id: &str,
    proposer: &str,
) -> AppResult<Vec<Role>> {
    let mut roles = approvers(state, gate).await?;
    if !gate.approved_within_unit()
        && !roles.contains(&Role::Director)
        && !has_unrecused_approver(state, &roles, petition_id, proposer).await?
    {
        roles.push(Role::Director);
    }
    Ok(roles)
}

/// The active leaders who named `user` their acting approver for today (leave, business trip).
async fn acting_for_today(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<Vec<xinfang_store::people::User>> {
    let today = local_date(state.clock.now());
    let mut leaders = Vec::new();
    for a in state
        .store
        .acting_for(&state.bureau.id, &user.user.id, today)
        .await?
    {
        let leader = state.store.user(&a.leader_id).await?;
        if leader.active {
            leaders.push(leader);
        }
    }
    Ok(leaders)
}

/// The role a user decides an approval in, and the leader it acts for: its own role when that
/// role may decide, otherwise the role of a leader who named it acting approver (`leaders`, from
/// [`acting_for_today`]). The acting approver must itself be able to open the petition.
fn deciding_as(
    user: &CurrentUser,
    roles: &[Role],
    leaders: &[xinfang_store::people::User],
) -> Option<(Role, Option<xinfang_store::people::User>)> {
    if roles.contains(&user.role()) {
        return Some((user.role(), None));
    }
    leaders
        .iter()
        .find(|l| roles.contains(&l.role))
        .map(|l| (l.role, Some(l.clone())))
}

/// The approval requests this user may decide: bureau gates by role (its own, or a leader's it
/// acts for), extensions by the unit's own head; never one of a petition the user may not open
/// (recused, confidential), never one the user proposed.
#[tracing::instrument(name = "handling::my_approvals", skip_all)]
pub async fn my_approvals(state: &AppState, user: &CurrentUser) -> AppResult<Vec<ApprovalRow>> {
    let unit = user
        .role()
        .is_unit_staff()
        .then_some(user.user.unit_id.as_deref())
        .flatten();
    if user.role().is_unit_staff() && unit.is_none() {
        return Ok(Vec::new());
    }
    let all: Vec<&str> = Gate::ALL.iter().map(|g| g.as_str()).collect();
    // Read once for the whole list, not once per approval.
    let leaders = acting_for_today(state, user).await?;
    let mut out = Vec::new();
    for a in state
        .store
        .pending_approvals(&state.bureau.id, &all, unit)
        .await?
    {
        let Some(gate) = Gate::parse(&a.gate) else {
            continue;
        };
        // The bureau's own approvals (no petition) are listed where their work is.
        let Some(petition_id) = a.petition_id.as_deref() else {
            continue;
        };
        let roles = deciding_roles(state, gate, petition_id, &a.proposed_by).await?;
        if a.proposed_by == user.user.id || deciding_as(user, &roles, &leaders).is_none() {
            continue;
        }
        let p = state.store.petition(&state.bureau.id, petition_id).await?;
        if crate::access::access_of(state, &user.user, &p).await? == Access::Denied {
            continue;
        }
        out.push(a);
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ApprovalDecisionInput {
    /// true to approve, false to reject.
    pub accept: bool,
    /// Required when rejecting.
    pub comment: String,
}

/// 审批: the approver accepts or rejects one request; an accepted request makes its action so.
#[tracing::instrument(name = "handling::decide_approval", skip_all)]
pub async fn decide_approval(
    state: &AppState,
    user: &CurrentUser,
    approval_id: &str,
    input: &ApprovalDecisionInput,
) -> AppResult<String> {
    let a = state.store.approval(&state.bureau.id, approval_id).await?;
    let gate = Gate::parse(&a.gate).ok_or_else(|| AppError::Internal("unknown gate".into()))?;
    // The approver must be able to open the petition: a recused leader neither sees nor
    // approves it (rules §14), and the approval passes to the director instead.
    let petition_id = a.petition_id.as_deref().ok_or_else(AppError::not_found)?;
    let (p, _) = open_record(state, user, petition_id, "approve").await?;
    let roles = deciding_roles(state, gate, petition_id, &a.proposed_by).await?;
    if gate.approved_within_unit() && user.user.unit_id.as_deref() != a.unit_id.as_deref() {
        return Err(AppError::Forbidden("只能审批本单位的延期申请".into()));
    }
    if a.proposed_by == user.user.id {
        return Err(AppError::Forbidden(
            "不能审批自己提出的事项，请由其他审批人审批".into(),
        ));
    }
    let leaders = acting_for_today(state, user).await?;
    let (as_role, acting_for) = deciding_as(user, &roles, &leaders).unwrap_or((user.role(), None));
    let decided = approval::check_decision(
        gate,
        ApprovalState::parse(&a.state).unwrap_or(ApprovalState::Pending),
        as_role,
        &roles,
        input.accept,
        &input.comment,
    )?;
    // An acting approver's decision says whose place it took, on the approval and in history.
    let comment = match &acting_for {
        Some(l) => format!(
            "（代{}{}审批）{}",
            l.role.label_zh(),
            l.display_name,
            input.comment.trim()
        ),
        None => input.comment.trim().to_string(),
    };
    let case = CaseView::load(state, p).await?;
    let p = &case.petition;
    let now = state.clock.now();
    let today = local_date(now);
    let cal = calendar(state).await?;
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .decide_approval(
            &mut w.tx,
            &a.id,
            decided.as_str(),
            &user.user.id,
            &comment,
            now,
        )
        .await?;
    let seq = w
        .event(
            &p.id,
            p.event_seq,
            "approval_decided",
            &serde_json::json!({
                "approval_id": a.id, "gate": gate.as_str(), "state": decided.as_str(),
                "comment": comment,
                "acting_for": acting_for.as_ref().map(|l| &l.id),
            }),
        )
        .await?;
    let payload: serde_json::Value = serde_json::from_str(&a.payload).unwrap_or_default();
    let accepted = decided == ApprovalState::Approved;
    let mut released: Vec<String> = Vec::new();
    match gate {
        Gate::Assignment
        | Gate::Transfer
        | Gate::DirectReply
        | Gate::Coordination
        | Gate::Circular
            if accepted =>
        {
            let plan = stored_plan(payload)?;
            lifecycle::execute_approved(
                &case.domain_state(),
                &Command::Dispose {
                    disposition: plan.disposition,
                },
            )?;
            let units = plan_units(state, &plan).await?;
            apply_disposition(
                state,
                &mut w.tx,
                user,
                p,
                seq,
                &plan,
                &units,
                Some(&a.proposed_by),
            )
            .await?;
        }
        Gate::Redo | Gate::Supplement if accepted => {
            let record_id = payload["record_id"].as_str().unwrap_or_default();
            let days = payload["new_period_days"].as_u64().unwrap_or(15) as u32;
            let mut r = state
                .store
                .handling_record(&state.bureau.id, record_id)
                .await?;
            let cmd = if gate == Gate::Redo {
                HandlingCommand::Redo
            } else {
                HandlingCommand::Supplement
            };
            let next = lifecycle::execute_handling_approved(&record_state(&r), cmd, today)?;
            let expected = r.state.clone();
            r.state = next.as_str().into();
            r.due_on =
                Some(deadline::due_date(&cal, today, days, CountingMode::Calendar).to_string());
            state
                .store
                .update_handling_record(&mut w.tx, &r, &expected, now)
                .await?;
            // The new report is owed by the new date (rules §6): a stored deadline, supervised.
            deadlines::stop_record(state, &mut w.tx, &p.id, &r.id, None, false, now).await?;
            deadlines::start_for_record(
                state,
                &mut w.tx,
                &p.id,
                &r.id,
                &r.unit_id,
                deadlines::HANDLING_REPORT,
                today,
                Some(days),
            )
            .await?;
            let outcome = if gate == Gate::Redo {
                ReviewOutcome::Redo
            } else {
                ReviewOutcome::Supplement
            };
            let t =
                lifecycle::execute_approved(&case.domain_state(), &Command::SendBack { outcome })?;
            state.store.set_stage(&mut w.tx, &p.id, t.to).await?;
            w.event(
                &p.id,
                seq,
                "sent_back",
                &serde_json::json!({
                    "record_id": r.id, "unit_id": r.unit_id, "outcome": outcome.as_str(),
                    "due_on": r.due_on, "stage": t.to.as_str(),
                }),
            )
            .await?;
        }
        Gate::Closure => {
            let cmd = if accepted {
                Command::ApproveClosure
            } else {
                Command::RejectClosure
            };
            let t = lifecycle::execute_approved(&case.domain_state(), &cmd)?;
            state.store.set_stage(&mut w.tx, &p.id, t.to).await?;
            let route = closing_route(state, p).await?;
            let seq = if accepted {
                deadlines::on_closed(state, &mut w.tx, &p.id, now).await?;
                // The petitioner is invited to rate while the window after the opinion's
                // delivery is open.
                if let (Some(served), _) = case.rating_facts() {
                    let until = xinfang_domain::public::rating_closes(
                        served,
                        state.config.rating_window_days,
                    );
                    if today <= until {
                        crate::outbox::enqueue_for_petition(
                            state,
                            &mut w.tx,
                            &p.id,
                            xinfang_domain::outbox::MessageKind::RatingInvitation,
                            &[("until", until.to_string())],
                            now,
                        )
                        .await?;
                    }
                }
                let facts = closing_facts(state, &case, &route.1).await?;
                documents::draft(
                    state,
                    &mut w.tx,
                    p,
                    DocumentKind::ClosingReport,
                    &[&a.proposed_by],
                    None,
                    None,
                    documents::closing_report_body(p, &facts),
                )
                .await?;
                state.store.event_seq_in(&mut w.tx, &p.id).await?
            } else {
                seq
            };
            w.event(
                &p.id,
                seq,
                if accepted {
                    "closed"
                } else {
                    "closure_rejected"
                },
                &serde_json::json!({
                    "stage": t.to.as_str(),
                    "closing_report_route": accepted.then_some(route.0),
                    "closing_report_route_label": accepted.then_some(route.1),
                }),
            )
            .await?;
        }
        Gate::Extension if accepted => {
            let record_id = a.handling_record_id.as_deref().unwrap_or_default();
            let days = payload["days"].as_u64().unwrap_or(0) as u32;
            apply_extension(
                state,
                &mut w,
                p,
                record_id,
                days,
                payload["reason"].as_str().unwrap_or_default(),
                payload["petitioner_told"].as_str().unwrap_or_default(),
                today,
            )
            .await?;
        }
        Gate::Destruction if accepted => {
            let t = lifecycle::execute_approved(&case.domain_state(), &Command::Destroy)?;
            state.store.set_stage(&mut w.tx, &p.id, t.to).await?;
            let description = payload["description"].as_str().unwrap_or_default();
            let entry = state
                .store
                .insert_destruction(
                    &mut w.tx,
                    &state.bureau.id,
                    &p.id,
                    description,
                    &a.id,
                    &user.user.id,
                    now,
                )
                .await?;
            w.event(
                &p.id,
                seq,
                "destroyed",
                &serde_json::json!({
                    "stage": t.to.as_str(), "register_entry": entry,
                    "description": description, "approved_by": user.user.display_name,
                }),
            )
            .await?;
        }
        Gate::WrittenQueryReply => {
            let id = payload["query_reply_id"].as_str().unwrap_or_default();
            state
                .store
                .set_query_reply_state(
                    &mut w.tx,
                    id,
                    if accepted { "approved" } else { "rejected" },
                )
                .await?;
            if accepted {
                settle_letter_reply(
                    state,
                    &mut w.tx,
                    &user.user,
                    &p.id,
                    "已书面答复（书面告知单经领导审核）",
                )
                .await?;
            }
        }
        Gate::PublicationVisit
        | Gate::PublicationLetter
        | Gate::DossierLoan
        | Gate::DossierDestruction
        | Gate::OfflineMove => {
            released =
                crate::steps::on_archive_decision(state, &mut w.tx, &user.user, &a, accepted)
                    .await?;
        }
        _ => {}
    }
    w.commit().await?;
    // A destroyed dossier's files go once nothing else points at them.
    for hash in released {
        if !state.store.blob_in_use(&hash).await? {
            state.blobs.delete(&hash).await?;
        }
    }
    Ok(decided.as_str().into())
}

/// Where the matter came from: as registered, or, on a row registered before the source was
/// recorded, what a letter's receipt says (forwarded by a higher organ, instructed by a local
/// leader); anything else came of the petitioner's own accord.
async fn source_of(state: &AppState, p: &PetitionRecord) -> AppResult<source::Source> {
    if let Some(s) = &p.source {
        return Ok(s.clone());
    }
    if p.channel != Channel::Letter {
        return Ok(source::Source::OwnAccord);
    }
    let l = state.store.letter(&p.id).await?;
    let date = |s: &Option<String>| {
        s.as_deref()
            .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
    };
    if !l.forwarded_by_organ.trim().is_empty() {
        return Ok(source::Source::ForwardedByHigherOrgan(
            source::HigherOrganDocument {
                organ: l.forwarded_by_organ.trim().into(),
                doc_no: l.forwarded_doc_no.trim().into(),
                issued_on: date(&l.forwarded_on)
                    .or_else(|| p.registered_on.parse().ok())
                    .unwrap_or_default(),
                deadline: date(&l.forwarded_deadline),
            },
        ));
    }
    if !l.leader_name.trim().is_empty() || !l.leader_instruction.trim().is_empty() {
        return Ok(source::Source::InstructedByLocalLeader(
            source::LocalLeader {
                name: l.leader_name.trim().into(),
                post: String::new(),
            },
        ));
    }
    Ok(source::Source::OwnAccord)
}

/// Where the closing report goes (V8.3, L7.3): it follows the source — reported back up to the
/// organ that forwarded or assigned the matter, to the local leader whose instruction started it
/// for reading, and the bureau's own matter is filed. Reporting up by the bureau itself does not
/// make the higher organ the matter's source.
async fn closing_route(state: &AppState, p: &PetitionRecord) -> AppResult<(&'static str, String)> {
    let route = source::closing_route(&source_of(state, p).await?, false);
    let text = match &route {
        source::ClosingRoute::ReportToHigherOrgan { organ } => format!("报{organ}（转送交办机关）"),
        source::ClosingRoute::ToInstructingLeader { leader } => format!("报{leader}（批示领导）阅"),
        source::ClosingRoute::Archive => "本机关立卷归档".into(),
    };
    Ok((route.as_str(), text))
}

/// The bureau officer who proposed the petition's latest disposition (who carries the matter).
async fn last_proposer(state: &AppState, p: &PetitionRecord) -> AppResult<String> {
    Ok(state
        .store
        .dispositions(&p.id)
        .await?
        .last()
        .map(|d| d.proposed_by.clone())
        .unwrap_or_default())
}

/// The units and the accepted results the 结案报告 sums up.
async fn closing_facts(
    state: &AppState,
    case: &CaseView,
    route: &str,
) -> AppResult<documents::ClosingFacts> {
    let mut units = Vec::new();
    let mut names = std::collections::HashMap::new();
    for r in &case.records {
        let name = state.store.unit(&state.bureau.id, &r.unit_id).await?.name;
        if !units.contains(&name) {
            units.push(name.clone());
        }
        names.insert(r.id.clone(), name);
    }
    // The latest report of each record (or of the bureau itself) is the result that stands.
    let mut latest: Vec<&ReportRow> = Vec::new();
    for rep in case.reports.iter().rev() {
        if !latest
            .iter()
            .any(|x| x.handling_record_id == rep.handling_record_id)
        {
            latest.push(rep);
        }
    }
    latest.reverse();
    let results = latest
        .into_iter()
        .map(|rep| {
            let who = rep
                .handling_record_id
                .as_ref()
                .and_then(|id| names.get(id).cloned())
                .unwrap_or_else(|| "本机关".into());
            let decision = ReportDecision::parse(&rep.decision)
                .map(|d| d.label_zh().to_string())
                .unwrap_or_default();
            (who, decision, rep.reply.clone())
        })
        .collect();
    Ok(documents::ClosingFacts {
        units,
        results,
        route: route.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// The handling unit's steps (lifecycle §2)

async fn load_record(
    state: &AppState,
    user: &CurrentUser,
    record_id: &str,
) -> AppResult<(CaseView, HandlingRecordRow)> {
    let r = state
        .store
        .handling_record(&state.bureau.id, record_id)
        .await?;
    let (p, _) = open_record(state, user, &r.petition_id, "handle").await?;
    Ok((CaseView::load(state, p).await?, r))
}

fn handling_actor(user: &CurrentUser) -> HandlingActor<'_> {
    HandlingActor {
        role: user.role(),
        unit_id: user.user.unit_id.as_deref(),
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct UnitStepInput {
    /// `sign_for` (签收) or `accept` (受理, with how the petitioner was told).
    pub action: String,
    /// For `accept`: how the petitioner was told (phone, in writing, in person …).
    pub petitioner_told_how: String,
    /// For `accept`: the day the petitioner was told, YYYY-MM-DD.
    pub petitioner_told_on: String,
}

/// 签收 and 受理 by the handling unit.
#[tracing::instrument(name = "handling::unit_receive", skip_all)]
pub async fn unit_receive(
    state: &AppState,
    user: &CurrentUser,
    record_id: &str,
    input: &UnitStepInput,
) -> AppResult<String> {
    let (case, mut r) = load_record(state, user, record_id).await?;
    let now = state.clock.now();
    let today = local_date(now);
    let cal = calendar(state).await?;
    let cmd = match input.action.trim() {
        "" | "sign_for" => HandlingCommand::SignFor,
        "accept" => HandlingCommand::Accept,
        other => {
            return Err(AppError::field(
                "action",
                "unknown_action",
                format!("未知操作：{other}"),
            ));
        }
    };
    let next = lifecycle::execute_handling(&record_state(&r), cmd, handling_actor(user), today)?;
    let expected = r.state.clone();
    let mut payload =
        serde_json::json!({"record_id": r.id, "unit_id": r.unit_id, "state": next.as_str()});
    if cmd == HandlingCommand::SignFor {
        r.received_at = Some(xinfang_store::ts(now));
        r.received_by = Some(user.user.id.clone());
        r.notify_due = Some(
            deadline::due_date(&cal, today, UNIT_NOTIFY_DAYS, CountingMode::Calendar).to_string(),
        );
        r.object_due = Some(
            deadline::due_date(&cal, today, UNIT_OBJECT_WORKING_DAYS, CountingMode::Working)
                .to_string(),
        );
        payload["notify_due"] = r.notify_due.clone().into();
        payload["object_due"] = r.object_due.clone().into();
    } else {
        let how = input.petitioner_told_how.trim();
        if how.is_empty() {
            return Err(AppError::field(
                "petitioner_told_how",
                "required",
                "请填写告知信访人的方式",
            ));
        }
        let told_on = registration::parse_date("petitioner_told_on", &input.petitioner_told_on)?;
        if told_on > today {
            return Err(AppError::field(
                "petitioner_told_on",
                "in_future",
                "告知日期不能晚于今天",
            ));
        }
        r.petitioner_told_at = Some(told_on.to_string());
        r.petitioner_told_how = how.chars().take(200).collect();
        // The handling period runs from acceptance (2005 Art. 33).
        r.due_on = Some(
            deadline::due_date(
                &cal,
                today,
                r.period_days.clamp(1, i64::from(HANDLING_DAYS)) as u32,
                CountingMode::Calendar,
            )
            .to_string(),
        );
        payload["due_on"] = r.due_on.clone().into();
        payload["petitioner_told_how"] = how.into();
    }
    r.state = next.as_str().into();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .update_handling_record(&mut w.tx, &r, &expected, now)
        .await?;
    if cmd == HandlingCommand::Accept {
        let d = deadlines::on_unit_accepted(
            state,
            &mut w.tx,
            &case.petition.id,
            &r.id,
            &r.unit_id,
            r.period_days.clamp(1, i64::from(HANDLING_DAYS)) as u32,
            today,
            now,
        )
        .await?;
        payload["deadline_id"] = d.id.into();
    }
    w.event(
        &case.petition.id,
        case.petition.event_seq,
        if cmd == HandlingCommand::SignFor {
            "unit_signed_for"
        } else {
            "unit_accepted"
        },
        &payload,
    )
    .await?;
    w.commit().await?;
    Ok(next.as_str().into())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ObjectionInput {
    pub reason: String,
}

/// 异议: not the unit's business, within 5 working days of receipt (2022 Art. 23).
#[tracing::instrument(name = "handling::unit_object", skip_all)]
pub async fn unit_object(
    state: &AppState,
    user: &CurrentUser,
    record_id: &str,
    input: &ObjectionInput,
) -> AppResult<String> {
    let (case, mut r) = load_record(state, user, record_id).await?;
    let now = state.clock.now();
    let today = local_date(now);
    let next = lifecycle::execute_handling(
        &record_state(&r),
        HandlingCommand::Object,
        handling_actor(user),
        today,
    )?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(AppError::field(
            "reason",
            "required",
            "请说明异议理由（不超过 2000 字）",
        ));
    }
    if let Some(due) = date(&r.object_due)
        && today > due
    {
        return Err(AppError::field(
            "reason",
            "past_deadline",
            format!(
                "提出异议的期限（签收后5个工作日）已于{}届满",
                deadline::date_zh(due)
            ),
        ));
    }
    let expected = r.state.clone();
    r.state = next.as_str().into();
    r.objection_reason = reason.into();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .update_handling_record(&mut w.tx, &r, &expected, now)
        .await?;
    deadlines::stop_record(
        state,
        &mut w.tx,
        &case.petition.id,
        &r.id,
        Some(deadlines::UNIT_OBJECTION),
        true,
        now,
    )
    .await?;
    w.event(
        &case.petition.id,
        case.petition.event_seq,
        "unit_objected",
        &serde_json::json!({"record_id": r.id, "unit_id": r.unit_id, "reason": reason}),
    )
    .await?;
    w.commit().await?;
    Ok(next.as_str().into())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ObjectionRulingInput {
    /// true: the objection stands, the petition goes back to disposing.
    pub upheld: bool,
    pub comment: String,
}

/// The bureau rules on a unit's objection: upheld → disposing again; rejected → back to the unit.
#[tracing::instrument(name = "handling::rule_objection", skip_all)]
pub async fn rule_objection(
    state: &AppState,
    user: &CurrentUser,
    record_id: &str,
    input: &ObjectionRulingInput,
) -> AppResult<String> {
    let (case, mut r) = load_record(state, user, record_id).await?;
    let now = state.clock.now();
    let today = local_date(now);
    // Same authority either way: the leaders who may reject an objection may uphold it.
    let next = lifecycle::execute_handling(
        &record_state(&r),
        HandlingCommand::RejectObjection,
        handling_actor(user),
        today,
    )?;
    let expected = r.state.clone();
    let mut w = Write::begin_at(state, user, now).await?;
    let stage;
    if input.upheld {
        let t = lifecycle::execute(&case.domain_state(), &Command::UpholdObjection, user.role())?;
        state
            .store
            .set_stage(&mut w.tx, &case.petition.id, t.to)
            .await?;
        stage = t.to;
        r.state = HandlingState::Done.as_str().into();
        // Not the unit's business: nothing is owed by it any more.
        deadlines::stop_record(state, &mut w.tx, &case.petition.id, &r.id, None, false, now)
            .await?;
    } else {
        r.state = next.as_str().into();
        r.objection_reason = String::new();
        stage = case.petition.stage;
    }
    state
        .store
        .update_handling_record(&mut w.tx, &r, &expected, now)
        .await?;
    w.event(
        &case.petition.id,
        case.petition.event_seq,
        "objection_ruled",
        &serde_json::json!({
            "record_id": r.id, "unit_id": r.unit_id, "upheld": input.upheld,
            "comment": input.comment.trim(), "stage": stage.as_str(),
        }),
    )
    .await?;
    w.commit().await?;
    Ok(stage.as_str().into())
}

/// An extension of a unit's handling period, approved (the gate) or decided by the unit's head
/// directly: the record and its deadlines move once, the 延期告知书 is drafted, and the event
/// records how the petitioner was told why (L5.2).
#[allow(clippy::too_many_arguments)]
async fn apply_extension(
    state: &AppState,
    w: &mut Write<'_>,
    p: &PetitionRecord,
    record_id: &str,
    days: u32,
    reason: &str,
    petitioner_told: &str,
    today: NaiveDate,
) -> AppResult<()> {
    let now = state.clock.now();
    let mut r = state
        .store
        .handling_record(&state.bureau.id, record_id)
        .await?;
    let next = lifecycle::execute_handling_approved(
        &record_state(&r),
        HandlingCommand::Extend { days },
        today,
    )?;
    let expected = r.state.clone();
    let moved = deadlines::on_extended(state, &mut w.tx, &p.id, &r.id, days, reason, today).await?;
    // The record shows the handling deadline's own date: it may stop at the higher organ's.
    let new_due = match moved
        .iter()
        .find(|d| d.rule_code == deadlines::HANDLE_AND_CLOSE)
    {
        Some(d) => d.due_on,
        None => {
            let cal = calendar(state).await?;
            deadline::due_date(
                &cal,
                date(&r.due_on).unwrap_or(today),
                days,
                CountingMode::Calendar,
            )
        }
    };
    r.state = next.as_str().into();
    r.extended_days = i64::from(days);
    r.extension_reason = reason.trim().into();
    r.due_on = Some(new_due.to_string());
    state
        .store
        .update_handling_record(&mut w.tx, &r, &expected, now)
        .await?;
    let proposer = last_proposer(state, p).await?;
    documents::draft(
        state,
        &mut w.tx,
        p,
        DocumentKind::ExtensionNotice,
        &[&proposer],
        None,
        Some(new_due),
        documents::extension_notice_body(p, days, &r.extension_reason, new_due),
    )
    .await?;
    // Drafting appended its own event: read the head now.
    let seq = state.store.event_seq_in(&mut w.tx, &p.id).await?;
    w.event(
        &p.id,
        seq,
        "extended",
        &serde_json::json!({
            "record_id": r.id, "unit_id": r.unit_id, "days": days,
            "reason": r.extension_reason, "due_on": r.due_on,
            // The bureau sees this event; the petitioner is told why (L5.2).
            "petitioner_told": petitioner_told.trim(),
        }),
    )
    .await?;
    Ok(())
}

/// An extension names its reason and how the petitioner was told it (L5.2).
fn extension_words(reason: &str, petitioner_told: &str) -> AppResult<()> {
    if reason.trim().is_empty() {
        return Err(AppError::field("reason", "required", "请说明延期理由"));
    }
    if petitioner_told.trim().is_empty() {
        return Err(AppError::field(
            "petitioner_told",
            "required",
            "请填写向信访人说明延期理由的方式和时间",
        ));
    }
    Ok(())
}

/// A deadline extended directly by whoever approves extensions of it. A unit's handling period
/// goes the way an approved request goes (`apply_extension`), so the head must say how the
/// petitioner was told why; any other deadline is extended by the deadlines feature.
#[tracing::instrument(name = "handling::extend_deadline", skip_all)]
pub async fn extend_deadline(
    state: &AppState,
    user: &CurrentUser,
    deadline_id: &str,
    input: &crate::deadlines::DeadlineChangeInput,
) -> AppResult<xinfang_store::deadlines::DeadlineRow> {
    let d = state.store.deadline(&state.bureau.id, deadline_id).await?;
    let Some(record_id) = d
        .handling_record_id
        .as_deref()
        .filter(|_| d.rule_code == deadlines::HANDLE_AND_CLOSE)
    else {
        return crate::deadlines::extend(state, user, deadline_id, input).await;
    };
    let (case, r) = load_record(state, user, record_id).await?;
    if !crate::deadlines::may_extend(user, &d) {
        return Err(AppError::Forbidden("延期须由承办单位负责人批准".into()));
    }
    let now = state.clock.now();
    let today = local_date(now);
    let days = input
        .days
        .ok_or_else(|| AppError::field("days", "required", "请填写延期天数（1 至 30 日）"))?;
    // The deadline's own checks first (extendable, at most 30 days, once, before expiry, a
    // reason, not past a higher organ's date), then the record's.
    crate::deadlines::check_extension(state, &d, days, &input.reason, today, None).await?;
    let days_u32 = u32::try_from(days).unwrap_or(0);
    lifecycle::execute_handling_approved(
        &record_state(&r),
        HandlingCommand::Extend { days: days_u32 },
        today,
    )?;
    extension_words(&input.reason, &input.petitioner_told)?;
    let p = &case.petition;
    let mut w = Write::begin_at(state, user, now).await?;
    apply_extension(
        state,
        &mut w,
        p,
        record_id,
        days_u32,
        &input.reason,
        &input.petitioner_told,
        today,
    )
    .await?;
    w.commit().await?;
    state
        .store
        .deadline(&state.bureau.id, deadline_id)
        .await
        .map_err(Into::into)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ExtensionInput {
    /// 1 to 30 days.
    pub days: i64,
    pub reason: String,
    /// How and when the petitioner was told why (L5.2).
    pub petitioner_told: String,
}

/// 延期申请: the unit asks, its head approves (once, at most 30 days, before expiry).
#[tracing::instrument(name = "handling::request_extension", skip_all)]
pub async fn request_extension(
    state: &AppState,
    user: &CurrentUser,
    record_id: &str,
    input: &ExtensionInput,
) -> AppResult<String> {
    let (case, r) = load_record(state, user, record_id).await?;
    let now = state.clock.now();
    let today = local_date(now);
    // Out-of-range values become 0, which the domain refuses with its message.
    let days = u32::try_from(input.days).unwrap_or(0);
    lifecycle::execute_handling(
        &record_state(&r),
        HandlingCommand::Extend { days },
        handling_actor(user),
        today,
    )?;
    extension_words(&input.reason, &input.petitioner_told)?;
    let pending = state.store.approvals_of(&case.petition.id).await?;
    if pending.iter().any(|a| {
        a.gate == "extension"
            && a.state == "pending"
            && a.handling_record_id.as_deref() == Some(&r.id)
    }) {
        return Err(AppError::field(
            "days",
            "already_requested",
            "延期申请已在审批中",
        ));
    }
    let mut w = Write::begin_at(state, user, now).await?;
    let id = state
        .store
        .insert_approval(
            &mut w.tx,
            &state.bureau.id,
            Some(&case.petition.id),
            Some(&r.id),
            Some(&r.unit_id),
            Gate::Extension.as_str(),
            &format!("{} 申请延期 {} 日：{}", case.petition.petition_no, days, input.reason.trim()),
            &serde_json::json!({"days": days, "reason": input.reason.trim(), "petitioner_told": input.petitioner_told.trim()}),
            &user.user.id,
            user.role().as_str(),
            now,
        )
        .await?;
    w.event(&case.petition.id, case.petition.event_seq, "extension_requested", &serde_json::json!({"record_id": r.id, "days": days, "reason": input.reason.trim(), "approval_id": id}))
        .await?;
    w.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReportInput {
    /// The handling record reported on; empty for the bureau's own result (direct reply,
    /// coordination, reported up).
    pub record_id: String,
    pub findings: String,
    /// `support` (支持), `explain` (解释), `reject` (不予支持).
    pub decision: String,
    pub reply: String,
    pub reply_served_on: String,
    pub petitioner_signed: bool,
    pub refusal_note: String,
    pub settlement_note: String,
    pub signed_off_by: String,
}

/// 汇报材料: the unit reports (or the bureau records its own result); when every lead unit has
/// reported on an assigned petition, review begins.
#[tracing::instrument(name = "handling::submit_report", skip_all)]
pub async fn submit_report(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &ReportInput,
) -> AppResult<String> {
    let (p, _) = open_record(state, user, petition_id, "report").await?;
    let case = CaseView::load(state, p).await?;
    let now = state.clock.now();
    let today = local_date(now);
    let report = handling::parse_report(
        &HandlingReportInput {
            findings: input.findings.clone(),
            decision: input.decision.clone(),
            reply: input.reply.clone(),
            reply_served_on: input.reply_served_on.clone(),
            petitioner_signed: input.petitioner_signed,
            refusal_note: input.refusal_note.clone(),
            settlement_note: input.settlement_note.clone(),
            signed_off_by: input.signed_off_by.clone(),
        },
        today,
    )?;
    let p = &case.petition;
    let mut w = Write::begin_at(state, user, now).await?;
    let record = match input.record_id.trim() {
        "" => {
            // The bureau's own result: only its staff, only where no unit handles it.
            if !matches!(
                user.role(),
                Role::CaseOfficer | Role::Office | Role::LetterClerk
            ) {
                return Err(AppError::forbidden());
            }
            if !matches!(
                p.stage,
                Stage::DirectReply | Stage::Coordinating | Stage::ReportedUp
            ) {
                return Err(AppError::Conflict(format!(
                    "当前状态为「{}」，本机关办理结果只用于直接答复、协调处理或上报的信访件",
                    p.stage.label_zh()
                )));
            }
            None
        }
        rid => {
            let mut r = case
                .records
                .iter()
                .find(|r| r.id == rid)
                .cloned()
                .ok_or_else(AppError::not_found)?;
            let next = lifecycle::execute_handling(
                &record_state(&r),
                HandlingCommand::Report,
                handling_actor(user),
                today,
            )?;
            let expected = r.state.clone();
            r.state = next.as_str().into();
            state
                .store
                .update_handling_record(&mut w.tx, &r, &expected, now)
                .await?;
            Some(r)
        }
    };
    let id = new_id();
    state
        .store
        .insert_report(
            &mut w.tx,
            &state.bureau.id,
            &ReportRow {
                id: id.clone(),
                petition_id: p.id.clone(),
                handling_record_id: record.as_ref().map(|r| r.id.clone()),
                unit_id: record.as_ref().map(|r| r.unit_id.clone()),
                findings: report.findings.clone(),
                decision: report.decision.as_str().into(),
                reply: report.reply.clone(),
                reply_served_on: report.reply_served_on.map(|d| d.to_string()),
                petitioner_signed: i64::from(report.petitioner_signed),
                refusal_note: report.refusal_note.clone(),
                settlement_note: report.settlement_note.clone(),
                signed_off_by: report.signed_off_by.clone(),
                submitted_by: user.user.id.clone(),
                submitted_at: xinfang_store::ts(now),
            },
        )
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "report_submitted",
        &serde_json::json!({
            "report_id": id, "record_id": record.as_ref().map(|r| r.id.clone()),
            "unit_id": record.as_ref().map(|r| r.unit_id.clone()),
            "decision": report.decision.as_str(),
        }),
    )
    .await?;
    match &record {
        Some(r) => deadlines::stop_record(state, &mut w.tx, &p.id, &r.id, None, true, now).await?,
        // The bureau's own answer to the petitioner is its 处理意见书 (rules §13).
        None => {
            documents::draft(
                state,
                &mut w.tx,
                p,
                DocumentKind::HandlingOpinion,
                &[&user.user.id],
                None,
                None,
                documents::handling_opinion_body(
                    p,
                    &report.findings,
                    report.decision.label_zh(),
                    &report.reply,
                ),
            )
            .await?;
        }
    }
    let seq = state.store.event_seq_in(&mut w.tx, &p.id).await?;
    // Review begins once every lead unit has reported (V7).
    if record.is_some() && p.stage == Stage::Assigned {
        let mut after = CaseView::load(state, p.clone()).await?;
        if let Some(r) = &record {
            for x in after.records.iter_mut().filter(|x| x.id == r.id) {
                x.state = r.state.clone();
            }
        }
        if let Ok(t) = lifecycle::execute(
            &after.domain_state(),
            &Command::BeginReview,
            reviewer_role(p.channel),
        ) {
            state.store.set_stage(&mut w.tx, &p.id, t.to).await?;
            w.event(
                &p.id,
                seq,
                "review_begun",
                &serde_json::json!({"stage": t.to.as_str()}),
            )
            .await?;
        }
    }
    w.commit().await?;
    Ok(id)
}

/// Attaches a file to a handling report (汇报材料 with its attachments: the signed reply, the
/// petitioner's receipt, investigation records): by whoever reported it, before the review,
/// checked by content and size; nothing is written when the file is refused.
/// Only the unit that filed the report (or the bureau's officer, for its own) adds files to it.
async fn may_attach_to_report(
    state: &AppState,
    user: &CurrentUser,
    p: &PetitionRecord,
    report_id: &str,
) -> AppResult<()> {
    let report = state
        .store
        .reports_of(&p.id)
        .await?
        .into_iter()
        .find(|r| r.id == report_id)
        .ok_or_else(AppError::not_found)?;
    let may = match &report.unit_id {
        Some(unit) => {
            user.role().is_unit_staff() && user.user.unit_id.as_deref() == Some(unit.as_str())
        }
        None => matches!(
            user.role(),
            Role::CaseOfficer | Role::Office | Role::LetterClerk
        ),
    };
    if !may {
        return Err(AppError::Forbidden(
            "只有报送该汇报材料的单位可以上传附件".into(),
        ));
    }
    Ok(())
}

/// Checked before an upload's body is read: the user may add a file to this report.
#[tracing::instrument(name = "handling::check_report_upload", skip_all)]
pub async fn check_report_upload(
    state: &AppState,
    user: &CurrentUser,
    report_id: &str,
) -> AppResult<()> {
    let petition_id = state
        .store
        .report_petition(&state.bureau.id, report_id)
        .await
        .map_err(|_| AppError::not_found())?;
    let p = state.store.petition(&state.bureau.id, &petition_id).await?;
    if crate::access::access_of(state, &user.user, &p).await? == Access::Denied {
        return Err(AppError::not_found());
    }
    may_attach_to_report(state, user, &p, report_id).await
}

#[tracing::instrument(name = "handling::attach_report_file", skip_all)]
pub async fn attach_report_file(
    state: &AppState,
    user: &CurrentUser,
    report_id: &str,
    file_name: &str,
    bytes: &[u8],
) -> AppResult<ReportAttachmentRow> {
    let petition_id = state
        .store
        .report_petition(&state.bureau.id, report_id)
        .await?;
    let (p, _) = open_record(state, user, &petition_id, "report").await?;
    may_attach_to_report(state, user, &p, report_id).await?;
    let kind = xinfang_domain::mailroom::check_scan(bytes, state.config.max_scan_bytes)?;
    let name = xinfang_domain::mailroom::clean_file_name(file_name, kind);
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    if state.store.report_reviewed(&mut w.tx, report_id).await? {
        return Err(AppError::Conflict(
            "该汇报材料已审阅，不能再补充附件；如需补充，请按补报要求重新报送".into(),
        ));
    }
    let hash = state.blobs.put(bytes).await?;
    let id = state
        .store
        .insert_report_attachment(
            &mut w.tx,
            &state.bureau.id,
            &p.id,
            report_id,
            &name,
            kind.content_type(),
            bytes.len() as i64,
            &hash,
            &user.user.id,
            now,
        )
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "report_file_attached",
        &serde_json::json!({
            "report_id": report_id, "attachment_id": id, "file_name": name,
            "content_type": kind.content_type(), "size": bytes.len(), "sha256": hash,
        }),
    )
    .await?;
    w.commit().await?;
    Ok(state.store.report_attachment(&state.bureau.id, &id).await?)
}

/// A report's attached file, for someone who may see the report (`report_attachments_of`).
#[tracing::instrument(name = "handling::report_file", skip_all)]
pub async fn report_file(
    state: &AppState,
    user: &CurrentUser,
    attachment_id: &str,
) -> AppResult<(ReportAttachmentRow, Vec<u8>)> {
    let a = state
        .store
        .report_attachment(&state.bureau.id, attachment_id)
        .await?;
    let (p, access) = open_record(state, user, &a.petition_id, "view_report_file").await?;
    if !report_attachments_of(state, user, &p, access)
        .await?
        .iter()
        .any(|x| x.id == a.id)
    {
        return Err(AppError::not_found());
    }
    let bytes = state
        .blobs
        .get(&a.sha256)
        .await?
        .ok_or_else(|| AppError::Internal(format!("blob {} missing", a.sha256)))?;
    Ok((a, bytes))
}

// ---------------------------------------------------------------------------------------------
// Review (rules §6)

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReviewInput {
    /// One per check (procedure, matches_matter, facts_clear, evidence_solid, characterisation,
    /// law_applied, handling_appropriate, formalities_complete, carried_out,
    /// answered_in_writing).
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<Finding>,
    /// `redo` or `supplement` when a check failed.
    pub outcome: String,
    pub opinion: String,
    /// Days for the redo or supplement.
    pub new_period_days: Option<u32>,
}

/// 审阅: ten findings; all pass → the record is done; a fail → a redo / supplement request for
/// the deputy director's approval.
#[tracing::instrument(name = "handling::review_report", skip_all)]
pub async fn review_report(
    state: &AppState,
    user: &CurrentUser,
    report_id: &str,
    input: &ReviewInput,
) -> AppResult<String> {
    let petition_id = state
        .store
        .report_petition(&state.bureau.id, report_id)
        .await?;
    let (p, _) = open_record(state, user, &petition_id, "review").await?;
    let case = CaseView::load(state, p).await?;
    let p = &case.petition;
    if user.role() != reviewer_role(p.channel) {
        return Err(AppError::Forbidden(format!(
            "{}审阅办理情况",
            if p.channel.follows_letter_procedure() {
                "来信由办信人员"
            } else {
                "来访由经办人"
            }
        )));
    }
    let report = case
        .reports
        .iter()
        .find(|r| r.id == report_id)
        .ok_or_else(AppError::not_found)?;
    if !case.is_latest_report(report) {
        return Err(AppError::Conflict(
            "该办理情况已被重新报送的材料取代，请审阅最新的办理情况".into(),
        ));
    }
    let review = handling::judge_review(
        &input.findings,
        &input.outcome,
        &input.opinion,
        input.new_period_days,
    )?;
    let now = state.clock.now();
    let today = local_date(now);
    let record = report
        .handling_record_id
        .as_ref()
        .and_then(|rid| case.records.iter().find(|r| &r.id == rid))
        .cloned();
    if let Some(r) = &record
        && r.state != HandlingState::Reported.as_str()
    {
        return Err(AppError::Conflict(format!(
            "承办记录当前状态为「{}」，该办理情况已审阅或已退回",
            HandlingState::parse(&r.state)
                .map(|s| s.label_zh())
                .unwrap_or("")
        )));
    }
    if let Some(r) = &record {
        let pending = state.store.approvals_of(&p.id).await?;
        if pending.iter().any(|a| {
            a.state == "pending"
                && a.handling_record_id.as_deref() == Some(r.id.as_str())
                && matches!(a.gate.as_str(), "redo" | "supplement")
        }) {
            return Err(AppError::Conflict(
                "该办理情况的重办（补报）意见正在审批中".into(),
            ));
        }
    }
    let mut w = Write::begin_at(state, user, now).await?;
    let review_id = new_id();
    state
        .store
        .insert_review(
            &mut w.tx,
            &state.bureau.id,
            &ReviewRow {
                id: review_id.clone(),
                petition_id: p.id.clone(),
                handling_report_id: report.id.clone(),
                findings: serde_json::to_string(&review.findings).unwrap_or_default(),
                outcome: review.outcome.as_str().into(),
                opinion: review.opinion.clone(),
                new_period_days: review.new_period_days.map(i64::from),
                reviewed_by: user.user.id.clone(),
                reviewed_at: xinfang_store::ts(now),
            },
        )
        .await?;
    w.event(&p.id, p.event_seq, "report_reviewed", &serde_json::json!({
                "report_id": report.id, "review_id": review_id, "outcome": review.outcome.as_str(),
                "failed": review.findings.iter().filter(|f| !f.pass).map(|f| f.check.as_str()).collect::<Vec<_>>(),
                "opinion": review.opinion,
            }))
        .await?;
    if let Some(mut r) = record {
        match review.outcome {
            ReviewOutcome::Pass => {
                let next = lifecycle::execute_handling(
                    &record_state(&r),
                    HandlingCommand::Complete,
                    handling_actor(user),
                    today,
                )?;
                let expected = r.state.clone();
                r.state = next.as_str().into();
                state
                    .store
                    .update_handling_record(&mut w.tx, &r, &expected, now)
                    .await?;
                // The handling opinion can now be read with the query code.
                crate::outbox::enqueue_for_petition(
                    state,
                    &mut w.tx,
                    &p.id,
                    xinfang_domain::outbox::MessageKind::ReplyReady,
                    &[],
                    now,
                )
                .await?;
            }
            outcome => {
                let cmd = if outcome == ReviewOutcome::Redo {
                    HandlingCommand::Redo
                } else {
                    HandlingCommand::Supplement
                };
                lifecycle::execute_handling(&record_state(&r), cmd, handling_actor(user), today)?;
                let gate = cmd.gate().unwrap_or(Gate::Redo);
                state
                    .store
                    .insert_approval(
                        &mut w.tx,
                        &state.bureau.id,
                        Some(&p.id),
                        Some(&r.id),
                        None,
                        gate.as_str(),
                        &format!(
                            "{} {}：{}",
                            p.petition_no,
                            outcome.label_zh(),
                            review.opinion
                        ),
                        &serde_json::json!({
                            "record_id": r.id, "review_id": review_id,
                            "new_period_days": review.new_period_days,
                        }),
                        &user.user.id,
                        user.role().as_str(),
                        now,
                    )
                    .await?;
            }
        }
    }
    w.commit().await?;
    Ok(review.outcome.as_str().into())
}

// ---------------------------------------------------------------------------------------------
// Closing (rules §7), deregistration

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClosureOutcome {
    pub stage: String,
    pub approval_id: Option<String>,
}

/// 结案: proposes closing when the conditions hold (the refusal lists what is missing); the
/// deputy director's approval closes it. `action = deregister` then 销案.
#[tracing::instrument(name = "handling::close_petition", skip_all)]
pub async fn close_petition(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    action: &str,
) -> AppResult<ClosureOutcome> {
    let (p, _) = open_record(state, user, petition_id, "close").await?;
    let case = CaseView::load(state, p).await?;
    let p = &case.petition;
    let now = state.clock.now();
    let cmd = match action.trim() {
        "" | "propose" => Command::ProposeClosure,
        "deregister" => Command::Deregister,
        other => {
            return Err(AppError::field(
                "action",
                "unknown_action",
                format!("未知操作：{other}"),
            ));
        }
    };
    let t = lifecycle::execute(&case.domain_state(), &cmd, user.role())?;
    let mut w = Write::begin_at(state, user, now).await?;
    state.store.set_stage(&mut w.tx, &p.id, t.to).await?;
    let mut approval_id = None;
    if cmd == Command::ProposeClosure {
        approval_id = Some(
            state
                .store
                .insert_approval(
                    &mut w.tx,
                    &state.bureau.id,
                    Some(&p.id),
                    None,
                    None,
                    Gate::Closure.as_str(),
                    &format!(
                        "{} {}",
                        p.petition_no,
                        p.summary.chars().take(40).collect::<String>()
                    ),
                    &serde_json::json!({}),
                    &user.user.id,
                    user.role().as_str(),
                    now,
                )
                .await?,
        );
    }
    w.event(
        &p.id,
        p.event_seq,
        if cmd == Command::ProposeClosure {
            "closure_proposed"
        } else {
            "deregistered"
        },
        &serde_json::json!({"stage": t.to.as_str(), "approval_id": approval_id}),
    )
    .await?;
    w.commit().await?;
    Ok(ClosureOutcome {
        stage: t.to.as_str().into(),
        approval_id,
    })
}

// ---------------------------------------------------------------------------------------------
// Appeals (lifecycle §3)

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AppealInput {
    /// `reexamination` (复查) or `recheck` (复核).
    pub level: String,
    /// The day the request was received, YYYY-MM-DD.
    pub requested_on: String,
    /// The competent organ (one level up), or this bureau's level.
    pub organ: String,
    /// The bureau's own level is the competent organ and handles it here.
    pub handled_here: bool,
    pub reason: String,
}

/// 复查 / 复核 request: refused when late, with the day the window closed.
#[tracing::instrument(name = "handling::request_appeal", skip_all)]
pub async fn request_appeal(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &AppealInput,
) -> AppResult<String> {
    if !matches!(
        user.role(),
        Role::Receptionist | Role::LetterClerk | Role::CaseOfficer | Role::Office
    ) {
        return Err(AppError::forbidden());
    }
    let (p, _) = open_record(state, user, petition_id, "appeal").await?;
    appeal_on(state, &user.user.id, user.role(), p, input, false).await
}

/// A 复查 request made online, taken in by the staff side as `actor`: the same path as one at
/// the counter.
pub(crate) async fn register_appeal(
    state: &AppState,
    actor_id: &str,
    role: Role,
    petition_id: &str,
    input: &AppealInput,
    online: bool,
) -> AppResult<String> {
    let p = state.store.petition(&state.bureau.id, petition_id).await?;
    appeal_on(state, actor_id, role, p, input, online).await
}

async fn appeal_on(
    state: &AppState,
    actor_id: &str,
    role: Role,
    p: PetitionRecord,
    input: &AppealInput,
    online: bool,
) -> AppResult<String> {
    if !matches!(
        p.stage,
        Stage::Closed | Stage::Deregistered | Stage::Archived
    ) {
        return Err(AppError::Conflict(format!(
            "当前状态为「{}」，办结后方可申请复查或复核",
            p.stage.label_zh()
        )));
    }
    let level = AppealLevel::parse(input.level.trim())
        .ok_or_else(|| AppError::field("level", "required", "请选择复查或复核"))?;
    let requested_on = registration::parse_date("requested_on", &input.requested_on)?;
    let organ = input.organ.trim();
    if organ.is_empty() || organ.chars().count() > 100 {
        return Err(AppError::field(
            "organ",
            "required",
            "请填写复查（复核）机关（不超过 100 字）",
        ));
    }
    let case = CaseView::load(state, p).await?;
    let appeals = state.store.appeals_of(&case.petition.id).await?;
    let history = case.appeal_history(&appeals);
    let cal = calendar(state).await?;
    let now = state.clock.now();
    let today = local_date(now);
    appeal::check_request(&cal, &history, level, requested_on, today)?;
    let contested_received_on = match level {
        AppealLevel::Reexamination => history.opinion_served_on,
        AppealLevel::Recheck => history.reexamination.and_then(|r| r.1),
    }
    .unwrap_or(requested_on);
    let due = appeal::decision_due(&cal, requested_on, 0);
    let id = new_id();
    let mut w = Write::begin_as(state, actor_id, role, now).await?;
    // Decided here: the 30 days are this bureau's, on its queue (lifecycle §3).
    let deadline_id = if input.handled_here {
        Some(
            deadlines::on_appeal_here(
                state,
                &mut w.tx,
                &case.petition.id,
                level,
                requested_on,
                case.petition.channel.follows_letter_procedure(),
            )
            .await?
            .id,
        )
    } else {
        None
    };
    state
        .store
        .insert_appeal(
            &mut w.tx,
            &state.bureau.id,
            &AppealRow {
                id: id.clone(),
                petition_id: case.petition.id.clone(),
                level: level.as_str().into(),
                requested_on: requested_on.to_string(),
                contested_received_on: contested_received_on.to_string(),
                organ: organ.into(),
                handled_here: i64::from(input.handled_here),
                reason: input.reason.trim().chars().take(5000).collect(),
                due_on: due.to_string(),
                hearing_days: 0,
                opinion: None,
                opinion_on: None,
                opinion_served_on: None,
                registered_by: actor_id.to_string(),
                registered_at: xinfang_store::ts(now),
            },
        )
        .await?;
    w.event(
        &case.petition.id,
        case.petition.event_seq,
        "appeal_requested",
        &serde_json::json!({
            "appeal_id": id, "level": level.as_str(), "requested_on": requested_on.to_string(),
            "organ": organ, "handled_here": input.handled_here, "due_on": due.to_string(),
            "deadline_id": deadline_id, "online": online,
        }),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AppealOpinionInput {
    pub opinion: String,
    /// The day the opinion was made, YYYY-MM-DD.
    pub opinion_on: String,
    /// The day the petitioner received it (starts the next window).
    pub opinion_served_on: String,
    /// 复核 only: days spent on a hearing (听证), excluded from the 30 days.
    pub hearing_days: i64,
}

/// The 复查 / 复核 opinion and its dates.
#[tracing::instrument(name = "handling::record_appeal_opinion", skip_all)]
pub async fn record_appeal_opinion(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    appeal_id: &str,
    input: &AppealOpinionInput,
) -> AppResult<String> {
    if !matches!(
        user.role(),
        Role::LetterClerk | Role::CaseOfficer | Role::Office
    ) {
        return Err(AppError::forbidden());
    }
    let (p, _) = open_record(state, user, petition_id, "appeal").await?;
    let appeals = state.store.appeals_of(&p.id).await?;
    let mut a = appeals
        .into_iter()
        .find(|a| a.id == appeal_id)
        .ok_or_else(AppError::not_found)?;
    if a.opinion.is_some() {
        return Err(AppError::Conflict("该申请已记录意见".into()));
    }
    let opinion = input.opinion.trim();
    if opinion.is_empty() || opinion.chars().count() > 10_000 {
        return Err(AppError::field(
            "opinion",
            "required",
            "请填写复查（复核）意见（不超过 10000 字）",
        ));
    }
    let now = state.clock.now();
    let today = local_date(now);
    let opinion_on = registration::parse_date("opinion_on", &input.opinion_on)?;
    let served = match input.opinion_served_on.trim() {
        "" => None,
        s => Some(registration::parse_date("opinion_served_on", s)?),
    };
    let requested: NaiveDate = a.requested_on.parse().unwrap_or(today);
    if opinion_on > today || opinion_on < requested {
        return Err(AppError::field(
            "opinion_on",
            "out_of_range",
            "意见日期应在申请日期与今天之间",
        ));
    }
    if let Some(s) = served
        && (s < opinion_on || s > today)
    {
        return Err(AppError::field(
            "opinion_served_on",
            "out_of_range",
            "送达日期应在意见日期与今天之间",
        ));
    }
    let level = AppealLevel::parse(&a.level).unwrap_or(AppealLevel::Reexamination);
    if input.hearing_days < 0
        || input.hearing_days > 365
        || (input.hearing_days > 0 && level != AppealLevel::Recheck)
    {
        return Err(AppError::field(
            "hearing_days",
            "out_of_range",
            "听证时间只适用于复核，且为 0 至 365 日",
        ));
    }
    let cal = calendar(state).await?;
    a.hearing_days = input.hearing_days;
    a.due_on = appeal::decision_due(&cal, requested, input.hearing_days as u32).to_string();
    a.opinion = Some(opinion.into());
    a.opinion_on = Some(opinion_on.to_string());
    a.opinion_served_on = served.map(|d| d.to_string());
    let mut w = Write::begin_at(state, user, now).await?;
    state.store.record_appeal_opinion(&mut w.tx, &a).await?;
    deadlines::meet_petition(state, &mut w.tx, &p.id, deadlines::appeal_rule(level), now).await?;
    w.event(
        &p.id,
        p.event_seq,
        "appeal_opinion_recorded",
        &serde_json::json!({
            "appeal_id": a.id, "level": a.level, "opinion_on": a.opinion_on,
            "opinion_served_on": a.opinion_served_on, "due_on": a.due_on,
            "on_time": opinion_on.to_string() <= a.due_on,
            "final": level == AppealLevel::Recheck,
        }),
    )
    .await?;
    w.commit().await?;
    Ok(a.id)
}

/// 三级终结 for a petition, today.
pub async fn is_final(state: &AppState, p: &PetitionRecord) -> AppResult<bool> {
    if !matches!(
        p.stage,
        Stage::Closed | Stage::Deregistered | Stage::Archived
    ) {
        return Ok(false);
    }
    let appeals = state.store.appeals_of(&p.id).await?;
    let case = CaseView::load(state, p.clone()).await?;
    let cal = calendar(state).await?;
    Ok(appeal::is_final(
        &cal,
        &case.appeal_history(&appeals),
        local_date(state.clock.now()),
    ))
}

// ---------------------------------------------------------------------------------------------
// Leader instructions and obligations (lifecycle §4)

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LeaderInstructionInput {
    /// The local leader (本级党政领导) who gave it.
    pub leader: String,
    pub given_on: String,
    pub text: String,
    pub required_action: String,
    /// A deadline set by the instruction, YYYY-MM-DD (may be shorter than 60 days).
    pub due_on: String,
    /// The person named to supervise it.
    pub supervisor: String,
}

/// 批示 on reported material: recorded, and the written report back becomes an obligation.
#[tracing::instrument(name = "handling::record_leader_instruction", skip_all)]
pub async fn record_leader_instruction(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &LeaderInstructionInput,
) -> AppResult<String> {
    if !matches!(
        user.role(),
        Role::Office
            | Role::LetterClerk
            | Role::CaseOfficer
            | Role::DeputyDirector
            | Role::Director
    ) {
        return Err(AppError::forbidden());
    }
    let (p, _) = open_record(state, user, petition_id, "instruction").await?;
    let now = state.clock.now();
    let today = local_date(now);
    let mut errors = Vec::new();
    for (field, v, label) in [
        ("leader", &input.leader, "批示领导"),
        ("text", &input.text, "批示内容"),
        ("supervisor", &input.supervisor, "督办责任人"),
    ] {
        if v.trim().is_empty() {
            errors.push(FieldError::new(field, "required", format!("请填写{label}")));
        }
    }
    let given_on = registration::parse_date("given_on", &input.given_on)
        .map_err(|e| errors.push(e))
        .ok();
    if let Some(g) = given_on
        && g > today
    {
        errors.push(FieldError::new(
            "given_on",
            "in_future",
            "批示日期不能晚于今天",
        ));
    }
    let due = match input.due_on.trim() {
        "" => None,
        s => registration::parse_date("due_on", s)
            .map_err(|e| errors.push(e))
            .ok(),
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let given_on = given_on.unwrap_or(today);
    let id = new_id();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .insert_instruction(
            &mut w.tx,
            &state.bureau.id,
            &InstructionRow {
                id: id.clone(),
                petition_id: p.id.clone(),
                leader: input.leader.trim().chars().take(50).collect(),
                given_on: given_on.to_string(),
                text: input.text.trim().chars().take(5000).collect(),
                required_action: input.required_action.trim().chars().take(2000).collect(),
                due_on: due.map(|d| d.to_string()),
                supervisor: input.supervisor.trim().chars().take(50).collect(),
                recorded_by: user.user.id.clone(),
                recorded_at: xinfang_store::ts(now),
            },
        )
        .await?;
    let ob = state
        .store
        .insert_obligation(
            &mut w.tx,
            &state.bureau.id,
            &p.id,
            "report_to_leader",
            &format!("向{}书面报告批示落实情况", input.leader.trim()),
            due.map(|d| d.to_string()).as_deref(),
            now,
        )
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "leader_instruction_recorded",
        &serde_json::json!({
            "instruction_id": id, "leader": input.leader.trim(), "given_on": given_on.to_string(),
            "due_on": due.map(|d| d.to_string()), "obligation_id": ob,
        }),
    )
    .await?;
    owe_letter_reply(state, &mut w.tx, user, &p).await?;
    w.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FulfilInput {
    pub note: String,
}

/// Marks an obligation done, with what was done.
#[tracing::instrument(name = "handling::fulfil_obligation", skip_all)]
pub async fn fulfil_obligation(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    obligation_id: &str,
    input: &FulfilInput,
) -> AppResult<()> {
    if !user.role().is_bureau_staff() {
        return Err(AppError::forbidden());
    }
    let (p, _) = open_record(state, user, petition_id, "obligation").await?;
    if input.note.trim().is_empty() {
        return Err(AppError::field("note", "required", "请填写完成情况"));
    }
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .fulfil_obligation(
            &mut w.tx,
            &p.id,
            obligation_id,
            &user.user.id,
            input.note.trim(),
            now,
        )
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "obligation_fulfilled",
        &serde_json::json!({"obligation_id": obligation_id, "note": input.note.trim()}),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

const REPLY_TO_WRITER: &str = "reply_to_writer";

/// A letter that went before the leaders owes its writer a reply (seed 二(八)1): an obligation
/// until a reply by letter, phone or interview is recorded, so the letter cannot close before.
async fn owe_letter_reply(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &CurrentUser,
    p: &PetitionRecord,
) -> AppResult<()> {
    let reachable = p
        .petitioners
        .iter()
        .any(|x| !x.address.trim().is_empty() || !x.phone.trim().is_empty());
    if !handling::letter_reply_owed(p.channel.follows_letter_procedure(), p.anonymous, reachable) {
        return Ok(());
    }
    let open = state.store.obligations_of(&p.id).await?;
    if open
        .iter()
        .any(|o| o.kind == REPLY_TO_WRITER && o.fulfilled_at.is_none())
    {
        return Ok(());
    }
    let now = state.clock.now();
    let ob = state
        .store
        .insert_obligation(
            tx,
            &state.bureau.id,
            &p.id,
            REPLY_TO_WRITER,
            "来信已报领导阅批，应予回复来信人（复信、电话或约谈）",
            None,
            now,
        )
        .await?;
    let seq = state.store.event_seq_in(tx, &p.id).await?;
    state
        .store
        .append_event(
            tx,
            &state.bureau.id,
            &p.id,
            seq,
            "obligation_opened",
            &serde_json::json!({"obligation_id": ob, "kind": REPLY_TO_WRITER}),
            &user.actor(),
            now,
        )
        .await?;
    Ok(())
}

/// A recorded reply settles what the writer was owed.
async fn settle_letter_reply(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &xinfang_store::people::User,
    petition_id: &str,
    note: &str,
) -> AppResult<()> {
    crate::steps::settle_obligations(state, tx, user, petition_id, REPLY_TO_WRITER, note).await
}

// ---------------------------------------------------------------------------------------------
// Query replies (seed 一(九), 二(八)) and incidents (seed 一 4, rules §10)

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct QueryReplyInput {
    /// `oral` (recorded) or `written` (书面告知单, approved by a leader).
    pub method: String,
    pub asked_on: String,
    pub question: String,
    pub answer: String,
}

#[tracing::instrument(name = "handling::record_query_reply", skip_all)]
pub async fn record_query_reply(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &QueryReplyInput,
) -> AppResult<String> {
    if !matches!(
        user.role(),
        Role::Receptionist | Role::LetterClerk | Role::CaseOfficer | Role::Office
    ) {
        return Err(AppError::forbidden());
    }
    let (p, _) = open_record(state, user, petition_id, "query_reply").await?;
    let written = match input.method.trim() {
        "oral" => false,
        "written" => true,
        _ => {
            return Err(AppError::field(
                "method",
                "required",
                "请选择答复方式：口头或书面",
            ));
        }
    };
    let now = state.clock.now();
    let asked_on = registration::parse_date("asked_on", &input.asked_on)?;
    if asked_on > local_date(now) {
        return Err(AppError::field(
            "asked_on",
            "in_future",
            "查询日期不能晚于今天",
        ));
    }
    if input.answer.trim().is_empty() {
        return Err(AppError::field("answer", "required", "请填写答复内容"));
    }
    let id = new_id();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .insert_query_reply(
            &mut w.tx,
            &state.bureau.id,
            &QueryReplyRow {
                id: id.clone(),
                petition_id: p.id.clone(),
                method: input.method.trim().into(),
                asked_on: asked_on.to_string(),
                question: input.question.trim().chars().take(2000).collect(),
                answer: input.answer.trim().chars().take(5000).collect(),
                state: if written { "pending" } else { "answered" }.into(),
                recorded_by: user.user.id.clone(),
                recorded_at: xinfang_store::ts(now),
            },
        )
        .await?;
    let approval = if written {
        Some(
            state
                .store
                .insert_approval(
                    &mut w.tx,
                    &state.bureau.id,
                    Some(&p.id),
                    None,
                    None,
                    Gate::WrittenQueryReply.as_str(),
                    &format!(
                        "{} 书面答复查询：{}",
                        p.petition_no,
                        input.answer.trim().chars().take(40).collect::<String>()
                    ),
                    &serde_json::json!({"query_reply_id": id}),
                    &user.user.id,
                    user.role().as_str(),
                    now,
                )
                .await?,
        )
    } else {
        None
    };
    w.event(&p.id, p.event_seq, "query_answered", &serde_json::json!({"query_reply_id": id, "method": input.method.trim(), "approval_id": approval}))
        .await?;
    if !written {
        settle_letter_reply(
            state,
            &mut w.tx,
            &user.user,
            &p.id,
            &format!(
                "已口头答复：{}",
                input.answer.trim().chars().take(100).collect::<String>()
            ),
        )
        .await?;
    }
    // The written answer is a 书面告知单 (rules §13): drafted now, so the leader deciding the
    // approval reads the document itself.
    if written {
        documents::draft(
            state,
            &mut w.tx,
            &p,
            DocumentKind::QueryReplyNotice,
            &[&user.user.id],
            None,
            None,
            documents::query_reply_body(&p, input.answer.trim()),
        )
        .await?;
    }
    w.commit().await?;
    Ok(id)
}

/// An incident at the reception (V10.1, V10.2), checked by `domain::incident::check_incident`:
/// measures that fit the kind, a hand-over to the police only after an attempt or for a named
/// emergency. The visitor, when named, must be one of this petition's.
#[tracing::instrument(name = "handling::record_incident", skip_all)]
pub async fn record_incident(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &IncidentInput,
) -> AppResult<String> {
    if !matches!(
        user.role(),
        Role::Receptionist | Role::CaseOfficer | Role::Office
    ) {
        return Err(AppError::forbidden());
    }
    let (p, _) = open_record(state, user, petition_id, "incident").await?;
    let now = state.clock.now();
    let incident = incident::check_incident(input, crate::clock::local(now))?;
    if let Some(pid) = &incident.petitioner_id
        && !p.petitioners.iter().any(|x| &x.id == pid)
    {
        return Err(AppError::field(
            "petitioner_id",
            "unknown",
            "该信访人不属于本信访件",
        ));
    }
    let occurred_utc = crate::clock::from_local(incident.occurred_at);
    let id = new_id();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .insert_incident(
            &mut w.tx,
            &state.bureau.id,
            &IncidentRow {
                id: id.clone(),
                petition_id: Some(p.id.clone()),
                petitioner_id: incident.petitioner_id.clone(),
                kind: incident.kind.as_str().into(),
                measures: incident.measure_codes().join(","),
                emergency: incident
                    .emergency
                    .map(|e| e.as_str())
                    .unwrap_or_default()
                    .into(),
                note: incident.note.clone(),
                occurred_at: xinfang_store::ts(occurred_utc),
                recorded_by: user.user.id.clone(),
                recorded_at: xinfang_store::ts(now),
            },
        )
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "incident_recorded",
        &serde_json::json!({
            "incident_id": id, "kind": incident.kind.as_str(),
            "measures": incident.measure_codes(),
            "emergency": incident.emergency.map(|e| e.as_str()),
            "immediate_police_handover": incident.immediate_police_handover(),
        }),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// A unit's inbox.
#[tracing::instrument(name = "handling::unit_inbox", skip_all)]
pub async fn unit_inbox(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<Vec<xinfang_store::handling::InboxRow>> {
    let Some(unit) = user
        .user
        .unit_id
        .as_deref()
        .filter(|_| user.role().is_unit_staff())
    else {
        return Err(AppError::Forbidden("只有承办单位用户有办理收件箱".into()));
    };
    Ok(state.store.unit_inbox(&state.bureau.id, unit).await?)
}

// ---------------------------------------------------------------------------------------------
// Set-aside letters (L4.4), coordination meetings (V3.6, V3.7), gate approvers (lifecycle §5)

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DestructionInput {
    /// What is destroyed (the letter and its enclosures, number of pages …).
    pub description: String,
}

/// The clerk proposes destroying a set-aside letter; a leader approves; the register keeps it.
#[tracing::instrument(name = "handling::propose_destruction", skip_all)]
pub async fn propose_destruction(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &DestructionInput,
) -> AppResult<String> {
    let (p, _) = open_record(state, user, petition_id, "destruction").await?;
    let case = CaseView::load(state, p).await?;
    let p = &case.petition;
    let t = lifecycle::execute(&case.domain_state(), &Command::Destroy, user.role())?;
    let description = input.description.trim();
    if description.is_empty() || description.chars().count() > 500 {
        return Err(AppError::field(
            "description",
            "required",
            "请写明销毁的材料（不超过 500 字）",
        ));
    }
    let pending = state.store.approvals_of(&p.id).await?;
    if pending
        .iter()
        .any(|a| a.gate == Gate::Destruction.as_str() && a.state == "pending")
    {
        return Err(AppError::Conflict("销毁申请已在审批中".into()));
    }
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    let id = state
        .store
        .insert_approval(
            &mut w.tx,
            &state.bureau.id,
            Some(&p.id),
            None,
            None,
            t.gate.unwrap_or(Gate::Destruction).as_str(),
            &format!("{} 暂存件销毁：{}", p.petition_no, description),
            &serde_json::json!({"description": description}),
            &user.user.id,
            user.role().as_str(),
            now,
        )
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "destruction_proposed",
        &serde_json::json!({"approval_id": id, "description": description}),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// How long set-aside letters are kept before the scheduled destruction (seed 二 二(四)4:
/// 定期销毁). One year from setting aside.
pub const SET_ASIDE_KEEP_DAYS: u32 = 365;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MeetingInput {
    pub held_on: String,
    pub place: String,
    /// Who took part (units, leaders, the petitioner's representatives).
    pub participants: String,
    pub outcome: String,
}

/// A coordination meeting: on a petition being coordinated, or a collective visit coordinated
/// on the spot while it is being disposed.
#[tracing::instrument(name = "handling::record_meeting", skip_all)]
pub async fn record_meeting(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &MeetingInput,
) -> AppResult<String> {
    if !matches!(
        user.role(),
        Role::Office
            | Role::CaseOfficer
            | Role::LetterClerk
            | Role::DeputyDirector
            | Role::Director
    ) {
        return Err(AppError::forbidden());
    }
    let (p, _) = open_record(state, user, petition_id, "coordination").await?;
    if !(p.stage == Stage::Coordinating || (p.collective && p.stage == Stage::Disposing)) {
        return Err(AppError::Conflict(format!(
            "当前状态为「{}」，只有协调处理中的信访件（或现场协调的集体访）可以记录协调会议",
            p.stage.label_zh()
        )));
    }
    let now = state.clock.now();
    let held_on = registration::parse_date("held_on", &input.held_on)?;
    if held_on > local_date(now) {
        return Err(AppError::field(
            "held_on",
            "in_future",
            "会议日期不能晚于今天",
        ));
    }
    let mut errors = Vec::new();
    for (field, v, label) in [
        ("participants", &input.participants, "参加人员"),
        ("outcome", &input.outcome, "协调结果"),
    ] {
        if v.trim().is_empty() {
            errors.push(FieldError::new(field, "required", format!("请填写{label}")));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let id = new_id();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .insert_meeting(
            &mut w.tx,
            &state.bureau.id,
            &xinfang_store::handling::MeetingRow {
                id: id.clone(),
                petition_id: p.id.clone(),
                held_on: held_on.to_string(),
                place: input.place.trim().chars().take(200).collect(),
                participants: input.participants.trim().chars().take(2000).collect(),
                outcome: input.outcome.trim().chars().take(5000).collect(),
                recorded_by: user.user.id.clone(),
                recorded_at: xinfang_store::ts(now),
            },
        )
        .await?;
    w.event(&p.id, p.event_seq, "coordination_meeting_recorded", &serde_json::json!({"meeting_id": id, "held_on": held_on.to_string(), "outcome": input.outcome.trim()}))
        .await?;
    w.commit().await?;
    Ok(id)
}

/// Each gate with the roles that approve it in this bureau.
pub async fn gate_approvers(state: &AppState) -> AppResult<Vec<(Gate, Vec<Role>)>> {
    let mut out = Vec::new();
    for g in Gate::ALL {
        out.push((g, approvers(state, g).await?));
    }
    Ok(out)
}

/// An administrator changes who approves a gate (lifecycle §5); audited.
#[tracing::instrument(name = "handling::set_gate_approvers", skip_all)]
pub async fn set_gate_approvers(
    state: &AppState,
    user: &CurrentUser,
    gate: &str,
    roles: &[String],
) -> AppResult<()> {
    user.require(&[Role::Admin])?;
    let gate = Gate::parse(gate).ok_or_else(|| {
        AppError::field("gate", "unknown_gate", format!("未知的审批事项：{gate}"))
    })?;
    let mut parsed = Vec::new();
    for r in roles {
        let role = Role::parse(r.trim())
            .ok_or_else(|| AppError::field("roles", "unknown_role", format!("未知的角色：{r}")))?;
        if !parsed.contains(&role) {
            parsed.push(role);
        }
    }
    approval::check_approvers(gate, &parsed)?;
    let joined: Vec<&str> = parsed.iter().map(|r| r.as_str()).collect();
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    state
        .store
        .set_gate_approvers(
            &mut w.tx,
            &state.bureau.id,
            gate.as_str(),
            &joined.join(","),
        )
        .await?;
    state
        .store
        .audit(
            &mut w.tx,
            &state.bureau.id,
            Some(&user.user.id),
            "gate_approvers_changed",
            &serde_json::json!({"gate": gate.as_str(), "roles": joined}),
            now,
        )
        .await?;
    w.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reads of an opened petition's handling

pub async fn approvals_of(state: &AppState, p: &PetitionRecord) -> AppResult<Vec<ApprovalRow>> {
    Ok(state.store.approvals_of(&p.id).await?)
}

/// The files attached to handling reports, for those who may see the reports: the bureau's staff
/// who see the petition in full, and a unit only the files its own staff uploaded.
#[tracing::instrument(name = "handling::report_attachments_of", skip_all)]
pub async fn report_attachments_of(
    state: &AppState,
    user: &CurrentUser,
    p: &PetitionRecord,
    access: Access,
) -> AppResult<Vec<ReportAttachmentRow>> {
    let mut files = state.store.report_attachments_of(&p.id).await?;
    if user.role().is_unit_staff() {
        let own: std::collections::HashSet<String> = state
            .store
            .users(&state.bureau.id)
            .await?
            .into_iter()
            .filter(|x| x.unit_id.is_some() && x.unit_id == user.user.unit_id)
            .map(|x| x.id)
            .collect();
        files.retain(|f| own.contains(&f.uploaded_by));
    } else if access != Access::Full {
        files.clear();
    }
    Ok(files)
}

pub async fn appeals_of(state: &AppState, p: &PetitionRecord) -> AppResult<Vec<AppealRow>> {
    Ok(state.store.appeals_of(&p.id).await?)
}

pub async fn instructions_of(
    state: &AppState,
    p: &PetitionRecord,
) -> AppResult<Vec<InstructionRow>> {
    Ok(state.store.instructions_of(&p.id).await?)
}

pub async fn query_replies_of(
    state: &AppState,
    p: &PetitionRecord,
) -> AppResult<Vec<QueryReplyRow>> {
    Ok(state.store.query_replies_of(&p.id).await?)
}

pub async fn incidents_of(state: &AppState, p: &PetitionRecord) -> AppResult<Vec<IncidentRow>> {
    Ok(state.store.incidents_of(&p.id).await?)
}

pub async fn meetings_of(
    state: &AppState,
    p: &PetitionRecord,
) -> AppResult<Vec<xinfang_store::handling::MeetingRow>> {
    Ok(state.store.meetings_of(&p.id).await?)
}

/// The petition a handling record belongs to (for pages that start from the record).
pub async fn petition_of_record(state: &AppState, record_id: &str) -> AppResult<String> {
    Ok(state
        .store
        .handling_record(&state.bureau.id, record_id)
        .await?
        .petition_id)
}

/// The petition a handling report belongs to.
pub async fn petition_of_report(state: &AppState, report_id: &str) -> AppResult<String> {
    Ok(state
        .store
        .report_petition(&state.bureau.id, report_id)
        .await?)
}

/// A set-aside letter in the register: the township of the matter by name, the day received.
#[derive(Debug, Clone, Serialize)]
pub struct SetAsideEntry {
    pub petition_id: String,
    pub petition_no: String,
    /// The township of the matter; the county's name on letters registered before it was kept.
    pub township: String,
    pub received_on: NaiveDate,
    pub summary: String,
    pub set_aside_at: String,
}

/// The set-aside register (暂存登记, L4.4: 按乡镇和收信日期登记) and the destruction register,
/// for the bureau's staff: by township, then by the day each letter was received.
#[tracing::instrument(name = "handling::set_aside_registers", skip_all)]
pub async fn set_aside_registers(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<(
    Vec<SetAsideEntry>,
    Vec<xinfang_store::handling::DestructionRow>,
)> {
    if !user.role().is_bureau_staff() {
        return Err(AppError::forbidden());
    }
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut entries = Vec::new();
    for r in state.store.set_aside_register(&state.bureau.id).await? {
        // Through the gate like any list: a letter the viewer may not see is left out, a
        // confidential one keeps its number and dates but not its matter.
        let record = state.store.petition(&state.bureau.id, &r.id).await?;
        let summary = match crate::access::listing_of(state, &user.user, &record).await? {
            None => continue,
            Some(crate::access::Listing::NumberOnly) => String::new(),
            Some(_) => r.summary,
        };
        let township = match xinfang_domain::township::parse_township(&r.township) {
            Ok(t) => match names.get(&r.township) {
                Some(n) => n.clone(),
                None => {
                    let n = crate::township::name(state, &t).await;
                    names.insert(r.township.clone(), n.clone());
                    n
                }
            },
            Err(_) => xinfang_domain::region::lookup(&r.issue_region)
                .map(|x| x.name.to_string())
                .unwrap_or(r.issue_region),
        };
        entries.push(SetAsideEntry {
            petition_id: r.id,
            petition_no: r.petition_no,
            township,
            received_on: local_date(xinfang_store::parse_ts(&r.received_at)?),
            summary,
            set_aside_at: r.set_aside_at,
        });
    }
    entries.sort_by(|a, b| {
        (&a.township, a.received_on, &a.petition_no).cmp(&(
            &b.township,
            b.received_on,
            &b.petition_no,
        ))
    });
    Ok((
        entries,
        state.store.destruction_register(&state.bureau.id).await?,
    ))
}
