//! Pages for issue 4: the handling panel on a petition, the approvals inbox, the unit's inbox,
//! and the form posts behind them. Forms call the same use cases as the API.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use xinfang_domain::approval::Gate;
use xinfang_domain::handling::{
    ClosureCondition, Finding, ReportDecision, ReviewCheck, missing_conditions,
};
use xinfang_domain::lifecycle::{
    self, Command, Disposition, HandlingActor, HandlingCommand, HandlingState, Stage,
};
use xinfang_domain::role::Role;

use super::{Layout, Pairs, S, error_page, layout, petition_page};
use crate::http::auth::{CurrentUser, PageUser};
use crate::http::error::{AppError, AppResult};
use xinfang_app::clock::{local_date, show};
use xinfang_app::context::AppState;
use xinfang_app::handling::{
    self, AppealInput, AppealOpinionInput, ApprovalDecisionInput, CaseView, DispositionInput,
    ExtensionInput, FulfilInput, LeaderInstructionInput, ObjectionInput, ObjectionRulingInput,
    QueryReplyInput, ReportInput, ReviewInput, UnitChoice, UnitStepInput, disposition_label,
    record_state,
};
use xinfang_domain::incident::{Emergency, IncidentInput, IncidentKind, IncidentMeasure};

pub struct RecordView {
    pub id: String,
    pub unit_name: String,
    pub kind_label: &'static str,
    pub lead: bool,
    pub state_label: &'static str,
    pub notify_due: String,
    pub object_due: String,
    pub due_on: String,
    pub extended_days: i64,
    pub objection_reason: String,
    pub petitioner_told: String,
    pub can_sign: bool,
    pub can_accept: bool,
    pub can_object: bool,
    pub can_extend: bool,
    pub can_report: bool,
    pub can_rule: bool,
}

pub struct ReportView {
    pub id: String,
    pub unit_name: String,
    pub decision_label: &'static str,
    pub findings: String,
    pub reply: String,
    pub reply_served_on: String,
    pub signature: String,
    pub settlement_note: String,
    pub signed_off_by: String,
    pub submitted_at: String,
    pub reviews: Vec<String>,
    pub can_review: bool,
    /// (id, file name, size) of the attached files.
    pub attachments: Vec<(String, String, String)>,
    pub can_attach: bool,
}

pub struct ObligationView {
    pub id: String,
    pub description: String,
    pub due_on: String,
    pub done: String,
}

pub struct AppealView {
    pub id: String,
    pub level_label: &'static str,
    pub requested_on: String,
    pub organ: String,
    pub handled_here: bool,
    pub due_on: String,
    pub opinion: String,
    pub opinion_on: String,
    pub opinion_served_on: String,
}

pub struct ApprovalView {
    pub id: String,
    pub gate_label: &'static str,
    pub summary: String,
    pub proposed_at: String,
    pub state_label: &'static str,
    pub comment: String,
}

/// Everything the handling part of a petition's page shows and offers this user.
#[derive(Default)]
pub struct HandlingPanel {
    /// The CSRF token for query strings (multipart forms carry it in the URL).
    pub csrf: String,
    pub dispositions: Vec<(&'static str, &'static str)>,
    pub carriers: Vec<&'static str>,
    /// A letter's ways of going up (原信, 摘要, 综合); none for visits.
    pub report_modes: Vec<(&'static str, &'static str)>,
    pub units: Vec<(String, String)>,
    pub records: Vec<RecordView>,
    pub reports: Vec<ReportView>,
    pub checks: Vec<(&'static str, &'static str)>,
    pub decisions: Vec<(&'static str, &'static str)>,
    pub closure: Vec<(&'static str, bool)>,
    pub show_closure: bool,
    pub can_propose_closure: bool,
    pub can_deregister: bool,
    pub can_report_own: bool,
    pub obligations: Vec<ObligationView>,
    pub approvals: Vec<ApprovalView>,
    pub appeals: Vec<AppealView>,
    pub can_appeal: bool,
    pub is_final: bool,
    pub can_instruct: bool,
    pub instructions: Vec<String>,
    pub can_query_reply: bool,
    pub query_replies: Vec<String>,
    pub can_incident: bool,
    pub incidents: Vec<String>,
    pub incident_kinds: Vec<(&'static str, &'static str)>,
    pub incident_measures: Vec<(&'static str, &'static str)>,
    pub incident_emergencies: Vec<(&'static str, &'static str)>,
    pub meetings: Vec<String>,
    pub can_meet: bool,
    pub can_destroy: bool,
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

pub async fn panel(
    state: &AppState,
    u: &CurrentUser,
    p: &xinfang_store::petitions::PetitionRecord,
    access: xinfang_domain::visibility::Access,
) -> AppResult<HandlingPanel> {
    let case = CaseView::load(state, p.clone()).await?;
    let ds = case.domain_state();
    let role = u.role();
    let today = local_date(state.clock.now());
    let units = xinfang_app::admin::units(state).await?;
    let unit_name = |id: &str| {
        units
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    let actor = HandlingActor {
        role,
        unit_id: u.user.unit_id.as_deref(),
    };
    let ok = |r: &xinfang_store::handling::HandlingRecordRow, c: HandlingCommand| {
        lifecycle::execute_handling(&record_state(r), c, actor, today).is_ok()
    };
    let dispositions = [
        ("assignment", Disposition::Assignment),
        ("transfer", Disposition::Transfer),
        ("report_up", Disposition::ReportUp),
        ("coordination", Disposition::Coordination),
        ("direct_reply", Disposition::DirectReply),
        ("set_aside", Disposition::SetAside),
        ("circular", Disposition::Circular),
    ]
    .into_iter()
    .filter(|(_, d)| lifecycle::execute(&ds, &Command::Dispose { disposition: *d }, role).is_ok())
    .map(|(v, _)| (v, disposition_label(v)))
    .collect();
    let records = case
        .records
        .iter()
        .map(|r| RecordView {
            id: r.id.clone(),
            unit_name: unit_name(&r.unit_id),
            kind_label: if r.kind == "assignment" {
                "交办"
            } else {
                "转送"
            },
            lead: r.lead != 0,
            state_label: HandlingState::parse(&r.state)
                .map(|s| s.label_zh())
                .unwrap_or(""),
            notify_due: opt(&r.notify_due),
            object_due: opt(&r.object_due),
            due_on: opt(&r.due_on),
            extended_days: r.extended_days,
            objection_reason: r.objection_reason.clone(),
            petitioner_told: match &r.petitioner_told_at {
                Some(at) => format!("{at} {}", r.petitioner_told_how),
                None => String::new(),
            },
            can_sign: ok(r, HandlingCommand::SignFor),
            can_accept: ok(r, HandlingCommand::Accept),
            can_object: ok(r, HandlingCommand::Object),
            can_extend: ok(r, HandlingCommand::Extend { days: 1 }),
            can_report: ok(r, HandlingCommand::Report),
            can_rule: ok(r, HandlingCommand::RejectObjection),
        })
        .collect();
    let reviewer = lifecycle::authorized_roles(&Command::ProposeClosure, p.channel).contains(&role);
    let approvals_rows = handling::approvals_of(state, p).await?;
    let sent_back_pending = |record_id: &str| {
        approvals_rows.iter().any(|a| {
            a.state == "pending"
                && a.handling_record_id.as_deref() == Some(record_id)
                && matches!(a.gate.as_str(), "redo" | "supplement")
        })
    };
    let attachments = handling::report_attachments_of(state, u, p, access).await?;
    let reports = case
        .reports
        .iter()
        .map(|r| {
            let reviews: Vec<String> = case
                .reviews
                .iter()
                .filter(|v| v.handling_report_id == r.id)
                .map(|v| {
                    let failed: Vec<String> = serde_json::from_str::<Vec<Finding>>(&v.findings)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|f| !f.pass)
                        .map(|f| format!("{}（{}）", f.check.label_zh(), f.note))
                        .collect();
                    format!(
                        "{} {}{}{}",
                        show(&v.reviewed_at),
                        xinfang_domain::handling::ReviewOutcome::parse(&v.outcome)
                            .map(|o| o.label_zh())
                            .unwrap_or(""),
                        if failed.is_empty() {
                            String::new()
                        } else {
                            format!("；未通过：{}", failed.join("、"))
                        },
                        if v.opinion.is_empty() {
                            String::new()
                        } else {
                            format!("；意见：{}", v.opinion)
                        }
                    )
                })
                .collect();
            let record_reported = match &r.handling_record_id {
                Some(rid) => {
                    case.records
                        .iter()
                        .any(|x| &x.id == rid && x.state == HandlingState::Reported.as_str())
                        && !sent_back_pending(rid)
                }
                None => reviews.is_empty(),
            };
            ReportView {
                id: r.id.clone(),
                unit_name: r
                    .unit_id
                    .as_deref()
                    .map(unit_name)
                    .unwrap_or_else(|| "本机关".into()),
                decision_label: ReportDecision::parse(&r.decision)
                    .map(|d| d.label_zh())
                    .unwrap_or(""),
                findings: r.findings.clone(),
                reply: r.reply.clone(),
                reply_served_on: opt(&r.reply_served_on),
                signature: if r.petitioner_signed != 0 {
                    "信访人已签字确认".into()
                } else if !r.refusal_note.is_empty() {
                    format!("拒签：{}", r.refusal_note)
                } else {
                    String::new()
                },
                settlement_note: r.settlement_note.clone(),
                signed_off_by: r.signed_off_by.clone(),
                submitted_at: show(&r.submitted_at),
                can_review: reviewer
                    && record_reported
                    && case.is_latest_report(r)
                    && !reviews_passed(&case, &r.id),
                attachments: attachments
                    .iter()
                    .filter(|a| a.report_id == r.id)
                    .map(|a| {
                        (
                            a.id.clone(),
                            a.file_name.clone(),
                            if a.size_bytes < 1024 {
                                format!("{} 字节", a.size_bytes)
                            } else if a.size_bytes < 1024 * 1024 {
                                format!("{:.1} KB", a.size_bytes as f64 / 1024.0)
                            } else {
                                format!("{:.1} MB", a.size_bytes as f64 / 1048576.0)
                            },
                        )
                    })
                    .collect(),
                can_attach: reviews.is_empty()
                    && match &r.unit_id {
                        Some(unit) => {
                            role.is_unit_staff() && u.user.unit_id.as_deref() == Some(unit.as_str())
                        }
                        None => {
                            matches!(role, Role::CaseOfficer | Role::Office | Role::LetterClerk)
                        }
                    },
                reviews,
            }
        })
        .collect();
    let facts = case.closure_facts();
    let missing = missing_conditions(&facts);
    let closing_stages = matches!(
        p.stage,
        Stage::Reviewing
            | Stage::Transferred
            | Stage::ReportedUp
            | Stage::Coordinating
            | Stage::DirectReply
    );
    let approvals = approvals_rows
        .into_iter()
        .rev()
        .map(|a| ApprovalView {
            gate_label: Gate::parse(&a.gate).map(|g| g.label_zh()).unwrap_or(""),
            summary: a.summary,
            proposed_at: show(&a.proposed_at),
            state_label: xinfang_domain::approval::ApprovalState::parse(&a.state)
                .map(|s| s.label_zh())
                .unwrap_or(""),
            comment: a.comment,
            id: a.id,
        })
        .collect();
    let appeals_rows = handling::appeals_of(state, p).await?;
    let is_final = handling::is_final(state, p).await?;
    let bureau_recorder = matches!(
        role,
        Role::Receptionist | Role::LetterClerk | Role::CaseOfficer | Role::Office
    );
    Ok(HandlingPanel {
        csrf: u.csrf.clone(),
        dispositions,
        carriers: xinfang_domain::disposition::VISIT_CARRIERS.to_vec(),
        report_modes: if p.channel == xinfang_domain::lifecycle::Channel::Letter {
            xinfang_domain::disposition::ReportMode::ALL
                .iter()
                .map(|m| (m.as_str(), m.label_zh()))
                .collect()
        } else {
            Vec::new()
        },
        units: units
            .iter()
            .filter(|x| x.active)
            .map(|x| (x.id.clone(), x.name.clone()))
            .collect(),
        records,
        reports,
        checks: ReviewCheck::ALL
            .into_iter()
            .map(|c| (c.as_str(), c.label_zh()))
            .collect(),
        decisions: ReportDecision::ALL
            .into_iter()
            .map(|d| (d.as_str(), d.label_zh()))
            .collect(),
        closure: ClosureCondition::ALL
            .into_iter()
            .map(|c| (c.label_zh(), !missing.contains(&c)))
            .collect(),
        show_closure: closing_stages && reviewer,
        can_propose_closure: lifecycle::execute(&ds, &Command::ProposeClosure, role).is_ok(),
        can_deregister: lifecycle::execute(&ds, &Command::Deregister, role).is_ok(),
        can_report_own: matches!(role, Role::CaseOfficer | Role::Office | Role::LetterClerk)
            && matches!(
                p.stage,
                Stage::DirectReply | Stage::Coordinating | Stage::ReportedUp
            ),
        obligations: case
            .obligations
            .iter()
            .map(|o| ObligationView {
                id: o.id.clone(),
                description: o.description.clone(),
                due_on: opt(&o.due_on),
                done: match &o.fulfilled_at {
                    Some(at) => format!("{} 已完成：{}", show(at), o.note),
                    None => String::new(),
                },
            })
            .collect(),
        approvals,
        appeals: appeals_rows
            .iter()
            .map(|a| AppealView {
                id: a.id.clone(),
                level_label: xinfang_domain::appeal::AppealLevel::parse(&a.level)
                    .map(|l| l.label_zh())
                    .unwrap_or(""),
                requested_on: a.requested_on.clone(),
                organ: a.organ.clone(),
                handled_here: a.handled_here != 0,
                due_on: a.due_on.clone(),
                opinion: opt(&a.opinion),
                opinion_on: opt(&a.opinion_on),
                opinion_served_on: opt(&a.opinion_served_on),
            })
            .collect(),
        can_appeal: bureau_recorder
            && matches!(
                p.stage,
                Stage::Closed | Stage::Deregistered | Stage::Archived
            ),
        is_final,
        can_instruct: matches!(
            role,
            Role::Office
                | Role::LetterClerk
                | Role::CaseOfficer
                | Role::DeputyDirector
                | Role::Director
        ) && p.stage.is_open(),
        instructions: handling::instructions_of(state, p)
            .await?
            .into_iter()
            .map(|i| {
                format!(
                    "{} {}批示：{}（要求：{}；期限：{}；督办责任人：{}）",
                    i.given_on,
                    i.leader,
                    i.text,
                    i.required_action,
                    i.due_on.unwrap_or_else(|| "—".into()),
                    i.supervisor
                )
            })
            .collect(),
        can_query_reply: bureau_recorder,
        query_replies: handling::query_replies_of(state, p)
            .await?
            .into_iter()
            .map(|q| {
                format!(
                    "{} {}答复{}：{}",
                    q.asked_on,
                    if q.method == "written" {
                        "书面"
                    } else {
                        "口头"
                    },
                    match q.state.as_str() {
                        "pending" => "（待领导审批）",
                        "rejected" => "（领导未同意）",
                        _ => "",
                    },
                    q.answer
                )
            })
            .collect(),
        can_incident: matches!(role, Role::Receptionist | Role::CaseOfficer | Role::Office),
        incidents: handling::incidents_of(state, p)
            .await?
            .into_iter()
            .map(|i| {
                let kind = IncidentKind::parse(&i.kind)
                    .map(|k| k.label_zh())
                    .unwrap_or("");
                let measures: Vec<&str> = i
                    .measures
                    .split(',')
                    .filter_map(|m| IncidentMeasure::parse(m).map(|m| m.label_zh()))
                    .collect();
                let emergency = Emergency::parse(&i.emergency)
                    .map(|e| format!("（紧急情形：{}，直接移交）", e.label_zh()))
                    .unwrap_or_default();
                format!(
                    "{} {kind}；处置：{}{emergency}；{}",
                    show(&i.occurred_at),
                    measures.join("、"),
                    i.note
                )
            })
            .collect(),
        incident_kinds: IncidentKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_zh()))
            .collect(),
        incident_measures: IncidentMeasure::ALL
            .iter()
            .map(|m| (m.as_str(), m.label_zh()))
            .collect(),
        incident_emergencies: Emergency::ALL
            .iter()
            .map(|e| (e.as_str(), e.label_zh()))
            .collect(),
        meetings: handling::meetings_of(state, p)
            .await?
            .into_iter()
            .map(|m| {
                format!(
                    "{} {}：参加 {}；结果：{}",
                    m.held_on, m.place, m.participants, m.outcome
                )
            })
            .collect(),
        can_meet: matches!(
            role,
            Role::Office
                | Role::CaseOfficer
                | Role::LetterClerk
                | Role::DeputyDirector
                | Role::Director
        ) && (p.stage == Stage::Coordinating
            || (p.collective && p.stage == Stage::Disposing)),
        can_destroy: lifecycle::execute(&ds, &Command::Destroy, role).is_ok(),
    })
}

fn reviews_passed(case: &CaseView, report_id: &str) -> bool {
    case.reviews
        .iter()
        .any(|v| v.handling_report_id == report_id && v.outcome == "pass")
}

// ---------------------------------------------------------------------------------------------
// Form posts: success goes back to the petition; bad input re-renders it with the messages.

async fn back(
    state: &AppState,
    u: &CurrentUser,
    id: &str,
    r: AppResult<()>,
    done: &str,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/petitions/{id}?done={done}#handling")).into_response(),
        Err(e @ AppError::Invalid(_)) => petition_page(state, u, id, e.messages(), "").await,
        Err(e) => error_page(state, Some(u), e),
    }
}

fn field<'a>(f: &'a Pairs, k: &str) -> &'a str {
    f.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn all<'a>(f: &'a Pairs, k: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    f.iter()
        .filter(move |(key, _)| key == k)
        .map(|(_, v)| v.as_str())
}

async fn disposition_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let lead = field(&f, "lead_unit");
    let mut units: Vec<UnitChoice> = Vec::new();
    if !lead.is_empty() {
        units.push(UnitChoice {
            unit_id: lead.into(),
            lead: true,
        });
    }
    for c in all(&f, "co_unit").filter(|c| !c.is_empty() && *c != lead) {
        units.push(UnitChoice {
            unit_id: c.into(),
            lead: false,
        });
    }
    let input = DispositionInput {
        disposition: field(&f, "disposition").into(),
        units,
        period_days: field(&f, "period_days").trim().parse().ok(),
        carrier: field(&f, "carrier").into(),
        report_mode: field(&f, "report_mode").into(),
        requirements: field(&f, "requirements").into(),
        urgent: field(&f, "urgent") == "on",
        urgent_method: field(&f, "urgent_method").into(),
        plan: field(&f, "plan").into(),
        coordination_level: field(&f, "coordination_level").into(),
        note: field(&f, "note").into(),
    };
    let r = handling::propose_disposition(&state, &u, &id, &input)
        .await
        .map(|_| ());
    back(&state, &u, &id, r, "saved").await
}

async fn record_petition(state: &AppState, record_id: &str) -> String {
    handling::petition_of_record(state, record_id)
        .await
        .unwrap_or_default()
}

async fn receive_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(rid): Path<String>,
    Form(f): Form<UnitStepInput>,
) -> Response {
    let pid = record_petition(&state, &rid).await;
    let r = handling::unit_receive(&state, &u, &rid, &f)
        .await
        .map(|_| ());
    back(&state, &u, &pid, r, "saved").await
}

async fn objection_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(rid): Path<String>,
    Form(f): Form<ObjectionInput>,
) -> Response {
    let pid = record_petition(&state, &rid).await;
    let r = handling::unit_object(&state, &u, &rid, &f)
        .await
        .map(|_| ());
    back(&state, &u, &pid, r, "saved").await
}

async fn ruling_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(rid): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let pid = record_petition(&state, &rid).await;
    let input = ObjectionRulingInput {
        upheld: field(&f, "upheld") == "yes",
        comment: field(&f, "comment").into(),
    };
    let r = handling::rule_objection(&state, &u, &rid, &input)
        .await
        .map(|_| ());
    back(&state, &u, &pid, r, "saved").await
}

async fn extension_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(rid): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let pid = record_petition(&state, &rid).await;
    let input = ExtensionInput {
        days: field(&f, "days").trim().parse().unwrap_or(0),
        reason: field(&f, "reason").into(),
        petitioner_told: field(&f, "petitioner_told").into(),
    };
    let r = handling::request_extension(&state, &u, &rid, &input)
        .await
        .map(|_| ());
    back(&state, &u, &pid, r, "saved").await
}

async fn report_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = ReportInput {
        record_id: field(&f, "record_id").into(),
        findings: field(&f, "findings").into(),
        decision: field(&f, "decision").into(),
        reply: field(&f, "reply").into(),
        reply_served_on: field(&f, "reply_served_on").into(),
        petitioner_signed: field(&f, "petitioner_signed") == "on",
        refusal_note: field(&f, "refusal_note").into(),
        settlement_note: field(&f, "settlement_note").into(),
        signed_off_by: field(&f, "signed_off_by").into(),
    };
    let r = handling::submit_report(&state, &u, &id, &input)
        .await
        .map(|_| ());
    back(&state, &u, &id, r, "saved").await
}

async fn review_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(report_id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let pid = handling::petition_of_report(&state, &report_id)
        .await
        .unwrap_or_default();
    let findings = ReviewCheck::ALL
        .into_iter()
        .filter(|c| !field(&f, &format!("check_{}", c.as_str())).is_empty())
        .map(|c| Finding {
            check: c,
            pass: field(&f, &format!("check_{}", c.as_str())) == "pass",
            note: field(&f, &format!("note_{}", c.as_str())).into(),
        })
        .collect();
    let input = ReviewInput {
        findings,
        outcome: field(&f, "outcome").into(),
        opinion: field(&f, "opinion").into(),
        new_period_days: field(&f, "new_period_days").trim().parse().ok(),
    };
    let r = handling::review_report(&state, &u, &report_id, &input)
        .await
        .map(|_| ());
    back(&state, &u, &pid, r, "saved").await
}

async fn closure_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let r = handling::close_petition(&state, &u, &id, field(&f, "action"))
        .await
        .map(|_| ());
    back(&state, &u, &id, r, "saved").await
}

async fn appeal_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = AppealInput {
        level: field(&f, "level").into(),
        requested_on: field(&f, "requested_on").into(),
        organ: field(&f, "organ").into(),
        handled_here: field(&f, "handled_here") == "on",
        reason: field(&f, "reason").into(),
    };
    let r = handling::request_appeal(&state, &u, &id, &input)
        .await
        .map(|_| ());
    back(&state, &u, &id, r, "saved").await
}

async fn appeal_opinion_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path((id, aid)): Path<(String, String)>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = AppealOpinionInput {
        opinion: field(&f, "opinion").into(),
        opinion_on: field(&f, "opinion_on").into(),
        opinion_served_on: field(&f, "opinion_served_on").into(),
        hearing_days: field(&f, "hearing_days").trim().parse().unwrap_or(0),
    };
    let r = handling::record_appeal_opinion(&state, &u, &id, &aid, &input)
        .await
        .map(|_| ());
    back(&state, &u, &id, r, "saved").await
}

async fn obligation_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path((id, oid)): Path<(String, String)>,
    Form(f): Form<FulfilInput>,
) -> Response {
    let r = handling::fulfil_obligation(&state, &u, &id, &oid, &f).await;
    back(&state, &u, &id, r, "saved").await
}

async fn instruction_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<LeaderInstructionInput>,
) -> Response {
    let r = handling::record_leader_instruction(&state, &u, &id, &f)
        .await
        .map(|_| ());
    back(&state, &u, &id, r, "saved").await
}

async fn query_reply_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<QueryReplyInput>,
) -> Response {
    let r = handling::record_query_reply(&state, &u, &id, &f)
        .await
        .map(|_| ());
    back(&state, &u, &id, r, "saved").await
}

async fn meeting_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<handling::MeetingInput>,
) -> Response {
    let r = handling::record_meeting(&state, &u, &id, &f)
        .await
        .map(|_| ());
    back(&state, &u, &id, r, "saved").await
}

async fn destruction_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<handling::DestructionInput>,
) -> Response {
    let r = handling::propose_destruction(&state, &u, &id, &f)
        .await
        .map(|_| ());
    back(&state, &u, &id, r, "saved").await
}

#[derive(Template, WebTemplate)]
#[template(path = "handling/set_aside.html")]
struct SetAsidePage {
    layout: Layout,
    /// Township, petition id, number, received on, summary, set aside on, destroy from.
    rows: Vec<(String, String, String, String, String, String, String)>,
    destroyed: Vec<(String, String, String)>,
}

/// 暂存件登记: set-aside letters by township and date, with the destruction schedule, and the
/// destruction register.
async fn set_aside_page(State(state): S, PageUser(u): PageUser) -> Response {
    let result: AppResult<SetAsidePage> = async {
        if !matches!(
            u.role(),
            Role::LetterClerk | Role::DeputyDirector | Role::Director
        ) {
            return Err(AppError::forbidden());
        }
        let cal = xinfang_app::calendar::calendar(&state).await?;
        let (rows, destroyed) = handling::set_aside_registers(&state, &u).await?;
        let users = xinfang_app::admin::users(&state).await?;
        let destroyed = destroyed
            .into_iter()
            .map(|d| {
                let who = users
                    .iter()
                    .find(|x| x.id == d.approved_by)
                    .map(|x| x.display_name.clone())
                    .unwrap_or_default();
                (show(&d.destroyed_at), d.description, who)
            })
            .collect();
        Ok(SetAsidePage {
            layout: layout(&state, Some(&u), ""),
            rows: rows
                .into_iter()
                .map(|r| {
                    let set_aside_on = xinfang_app::clock::local_date(
                        xinfang_store::parse_ts(&r.set_aside_at).unwrap_or_default(),
                    );
                    let destroy_from = xinfang_domain::deadline::due_date(
                        &cal,
                        set_aside_on,
                        handling::SET_ASIDE_KEEP_DAYS,
                        xinfang_domain::deadline::CountingMode::Calendar,
                    );
                    (
                        r.township,
                        r.petition_id,
                        r.petition_no,
                        r.received_on.to_string(),
                        r.summary.chars().take(40).collect(),
                        set_aside_on.to_string(),
                        destroy_from.to_string(),
                    )
                })
                .collect(),
            destroyed,
        })
    }
    .await;
    match result {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

/// A role that may be chosen for a gate, its label, and whether it is chosen.
type RoleChoice = (&'static str, &'static str, bool);

#[derive(Template, WebTemplate)]
#[template(path = "handling/gates.html")]
struct GatesPage {
    layout: Layout,
    /// Gate, its label, and the roles to choose from.
    gates: Vec<(&'static str, &'static str, Vec<RoleChoice>)>,
}

async fn gates_page(State(state): S, PageUser(u): PageUser) -> Response {
    if u.role() != Role::Admin {
        return error_page(&state, Some(&u), AppError::forbidden());
    }
    match handling::gate_approvers(&state).await {
        Ok(rows) => GatesPage {
            layout: layout(&state, Some(&u), ""),
            gates: rows
                .into_iter()
                .map(|(g, roles)| {
                    let choices = Role::ALL
                        .into_iter()
                        .filter(|r| {
                            g.approved_within_unit() == r.is_unit_staff() && !r.is_administrator()
                        })
                        .filter(|r| !matches!(r, Role::UnitHandler))
                        .map(|r| (r.as_str(), r.label_zh(), roles.contains(&r)))
                        .collect();
                    (g.as_str(), g.label_zh(), choices)
                })
                .collect(),
        }
        .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn gate_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(gate): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let roles: Vec<String> = all(&f, "roles").map(str::to_string).collect();
    match handling::set_gate_approvers(&state, &u, &gate, &roles).await {
        Ok(()) => Redirect::to("/admin/approval-gates?done=saved").into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn incident_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = IncidentInput {
        kind: field(&f, "kind").into(),
        measures: all(&f, "measures").map(str::to_string).collect(),
        emergency: field(&f, "emergency").into(),
        note: field(&f, "note").into(),
        occurred_at: field(&f, "occurred_at").replace('T', " "),
        petitioner_id: field(&f, "petitioner_id").into(),
    };
    let r = handling::record_incident(&state, &u, &id, &input)
        .await
        .map(|_| ());
    back(&state, &u, &id, r, "saved").await
}

// ---------------------------------------------------------------------------------------------
// The approvals inbox and the unit's inbox

#[derive(Template, WebTemplate)]
#[template(path = "handling/approvals.html")]
struct ApprovalsPage {
    layout: Layout,
    items: Vec<(ApprovalView, String)>,
}

async fn approvals_page(State(state): S, PageUser(u): PageUser) -> Response {
    match handling::my_approvals(&state, &u).await {
        Ok(rows) => ApprovalsPage {
            layout: layout(&state, Some(&u), ""),
            items: rows
                .into_iter()
                .map(|a| {
                    // my_approvals lists petitions' approvals only.
                    let pid = a.petition_id.clone().unwrap_or_default();
                    (
                        ApprovalView {
                            gate_label: Gate::parse(&a.gate).map(|g| g.label_zh()).unwrap_or(""),
                            summary: a.summary,
                            proposed_at: show(&a.proposed_at),
                            state_label: "",
                            comment: String::new(),
                            id: a.id,
                        },
                        pid,
                    )
                })
                .collect(),
        }
        .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn approval_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(aid): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let input = ApprovalDecisionInput {
        accept: field(&f, "decision") == "accept",
        comment: field(&f, "comment").into(),
    };
    match handling::decide_approval(&state, &u, &aid, &input).await {
        Ok(_) => Redirect::to("/approvals?done=saved").into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "handling/inbox.html")]
struct InboxPage {
    layout: Layout,
    items: Vec<xinfang_store::handling::InboxRow>,
    today: String,
}

impl InboxPage {
    fn state_label(&self, s: &str) -> &'static str {
        HandlingState::parse(s).map(|x| x.label_zh()).unwrap_or("")
    }
    fn overdue(&self, d: &Option<String>) -> bool {
        d.as_deref().is_some_and(|d| d < self.today.as_str())
    }
}

async fn attachment_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(report_id): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let pid = handling::petition_of_report(&state, &report_id)
        .await
        .unwrap_or_default();
    let r = async {
        handling::check_report_upload(&state, &u, &report_id).await?;
        let up = crate::http::api::read_upload(&state, &u, req, Default::default()).await?;
        handling::attach_report_file(&state, &u, &report_id, &up.file_name, &up.bytes).await?;
        Ok(())
    }
    .await;
    back(&state, &u, &pid, r, "saved").await
}

async fn attachment_view(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Response {
    match crate::http::api::report_file_response(&state, &u, &id).await {
        Ok(r) => r,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

/// The report attachment upload form, outside the global 1 MB body limit.
pub fn upload_router() -> Router<Arc<AppState>> {
    Router::new().route("/reports/{id}/attachments", post(attachment_submit))
}

async fn inbox_page(State(state): S, PageUser(u): PageUser) -> Response {
    match handling::unit_inbox(&state, &u).await {
        Ok(items) => InboxPage {
            layout: layout(&state, Some(&u), ""),
            items,
            today: local_date(state.clock.now()).to_string(),
        }
        .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/petitions/{id}/disposition", post(disposition_submit))
        .route("/records/{id}/receive", post(receive_submit))
        .route("/records/{id}/objection", post(objection_submit))
        .route("/records/{id}/ruling", post(ruling_submit))
        .route("/records/{id}/extension", post(extension_submit))
        .route("/petitions/{id}/reports", post(report_submit))
        .route("/reports/{id}/review", post(review_submit))
        .route("/report-files/{id}", get(attachment_view))
        .route("/petitions/{id}/closure", post(closure_submit))
        .route("/petitions/{id}/appeals", post(appeal_submit))
        .route(
            "/petitions/{id}/appeals/{aid}/opinion",
            post(appeal_opinion_submit),
        )
        .route("/petitions/{id}/obligations/{oid}", post(obligation_submit))
        .route(
            "/petitions/{id}/leader-instructions",
            post(instruction_submit),
        )
        .route("/petitions/{id}/query-replies", post(query_reply_submit))
        .route("/petitions/{id}/incidents", post(incident_submit))
        .route("/approvals", get(approvals_page))
        .route("/approvals/{id}", post(approval_submit))
        .route("/inbox", get(inbox_page))
        .route(
            "/petitions/{id}/coordination-meetings",
            post(meeting_submit),
        )
        .route("/petitions/{id}/destruction", post(destruction_submit))
        .route("/set-aside", get(set_aside_page))
        .route("/admin/approval-gates", get(gates_page))
        .route("/admin/approval-gates/{gate}", post(gate_submit))
}
