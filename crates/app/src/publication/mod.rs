//! Internet publication of replies (seed 一(八)4: 须经局领导批准; 二(七)4: 须经局主要领导批准).
//! Only a closed petition whose petitioner consented, never a confidential one or an
//! accusation; its texts redacted before anyone sees the preview (`domain::publication`); a
//! bureau leader approves a visit's, the director a letter's (gates `publication_visit`,
//! `publication_letter`); the register keeps every proposal, publication and withdrawal; the
//! public pages show what is published, and nothing else.

use serde::{Deserialize, Serialize};
use serde_json::json;
use xinfang_domain::publication::{self, Personal, PublishFacts};
use xinfang_domain::role::Role;
use xinfang_domain::visibility::Access;
use xinfang_store::archives::PublicationRow;
use xinfang_store::new_id;
use xinfang_store::petitions::PetitionRecord;

use crate::access::open_record;
use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::write::Write;

/// Who drafts a publication: the staff who handle and reply.
fn may_propose(role: Role) -> bool {
    matches!(role, Role::Office | Role::LetterClerk | Role::CaseOfficer)
}

/// Who reads the register.
fn may_read_register(role: Role) -> bool {
    may_propose(role) || role.is_leader()
}

fn personal(p: &PetitionRecord) -> Personal {
    Personal {
        names: p.petitioners.iter().map(|x| x.name.clone()).collect(),
        id_numbers: p
            .petitioners
            .iter()
            .filter_map(|x| x.id_number.clone())
            .collect(),
        phones: p.petitioners.iter().map(|x| x.phone.clone()).collect(),
        addresses: p.petitioners.iter().map(|x| x.address.clone()).collect(),
    }
}

async fn facts(state: &AppState, p: &PetitionRecord) -> AppResult<PublishFacts> {
    let offline = state
        .store
        .offline_moves_of(&p.id)
        .await?
        .iter()
        .any(|m| m.state == "moved");
    Ok(PublishFacts {
        stage: Some(p.stage),
        consent_to_publish: p.consent_to_publish,
        confidential: p.confidential,
        accusation: p.accused_unit_id.is_some()
            || p.purpose.as_deref() == Some("04")
            || p.petition_class.as_deref() == Some("accusation"),
        offline,
    })
}

/// Whether the petition's page offers publication to this user: a proposer, a petition the
/// rules let be published, none published or waiting.
pub async fn may_offer(state: &AppState, user: &CurrentUser, petition_id: &str) -> AppResult<bool> {
    if !may_propose(user.role()) {
        return Ok(false);
    }
    let p = state.store.petition(&state.bureau.id, petition_id).await?;
    if publication::check_publishable(&facts(state, &p).await?).is_err() {
        return Ok(false);
    }
    Ok(!state
        .store
        .publications_of(&p.id)
        .await?
        .iter()
        .any(|x| matches!(x.state.as_str(), "proposed" | "published")))
}

/// The redacted texts a publication starts from.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Draft {
    pub petition_id: String,
    pub petition_no: String,
    pub title: String,
    pub matter: String,
    pub result: String,
    pub channel_label: String,
    pub closed_on: String,
    /// Who approves it.
    pub gate_label: String,
}

async fn open_for_publication(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<PetitionRecord> {
    if !may_propose(user.role()) {
        return Err(AppError::Forbidden(
            "网上公布由办公室、办信人员或经办人提出，报局领导批准".into(),
        ));
    }
    let (p, access) = open_record(state, user, petition_id, "publication").await?;
    if access != Access::Full {
        return Err(AppError::forbidden());
    }
    publication::check_publishable(&facts(state, &p).await?)?;
    Ok(p)
}

/// The reply the petitioner received: the latest handling report's, else the decision's note.
async fn reply_of(state: &AppState, p: &PetitionRecord) -> AppResult<String> {
    let reports = state.store.reports_of(&p.id).await?;
    Ok(reports
        .iter()
        .rev()
        .find(|r| !r.reply.trim().is_empty())
        .map(|r| r.reply.clone())
        .unwrap_or_else(|| p.decision_note.clone()))
}

/// The day the petition was closed (its closing event, else its last change).
async fn closed_on(state: &AppState, p: &PetitionRecord) -> AppResult<String> {
    let events = state.store.events(&p.id).await?;
    let at = events
        .iter()
        .rev()
        .find(|e| e.kind == "closed" || e.payload["stage"] == "closed")
        .map(|e| e.at.clone())
        .unwrap_or_else(|| p.updated_at.clone());
    Ok(crate::clock::show(&at).chars().take(10).collect())
}

/// The preview: every text already redacted, for the proposer to check and edit.
#[tracing::instrument(name = "publication::draft", skip_all)]
pub async fn draft(state: &AppState, user: &CurrentUser, petition_id: &str) -> AppResult<Draft> {
    let p = open_for_publication(state, user, petition_id).await?;
    let who = personal(&p);
    let summary: String = p.summary.chars().take(30).collect();
    let matter = if p.requests.trim().is_empty() {
        p.summary.clone()
    } else {
        format!("{}\n诉求：{}", p.summary, p.requests)
    };
    Ok(Draft {
        petition_no: p.petition_no.clone(),
        title: publication::redact(&format!("关于反映{summary}问题的答复"), &who),
        matter: publication::redact(&matter, &who),
        result: publication::redact(&reply_of(state, &p).await?, &who),
        channel_label: p.channel.label_zh().into(),
        closed_on: closed_on(state, &p).await?,
        gate_label: publication::gate_for(p.channel).label_zh().into(),
        petition_id: p.id,
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ProposalInput {
    pub title: String,
    pub matter: String,
    pub result: String,
}

/// Proposes the (edited) redacted texts for publication; the leader the channel's procedure
/// names approves. Texts that still hold the petitioner's name, ID number, phone, address or a
/// house number are refused.
#[tracing::instrument(name = "publication::propose", skip_all)]
pub async fn propose(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    input: &ProposalInput,
) -> AppResult<String> {
    let p = open_for_publication(state, user, petition_id).await?;
    publication::check_texts(&input.title, &input.matter, &input.result, &personal(&p))?;
    if state
        .store
        .publications_of(&p.id)
        .await?
        .iter()
        .any(|x| matches!(x.state.as_str(), "proposed" | "published"))
    {
        return Err(AppError::Conflict("该信访事项已公布或正在审批".into()));
    }
    let gate = publication::gate_for(p.channel);
    let now = state.clock.now();
    let closed = closed_on(state, &p).await?;
    let mut w = Write::begin_at(state, user, now).await?;
    let approval = state
        .store
        .insert_approval(
            &mut w.tx,
            &state.bureau.id,
            Some(&p.id),
            None,
            None,
            gate.as_str(),
            &format!("{} 网上公布：{}", p.petition_no, input.title.trim()),
            &json!({}),
            &user.user.id,
            user.role().as_str(),
            now,
        )
        .await?;
    let id = new_id();
    state
        .store
        .insert_publication(
            &mut w.tx,
            &state.bureau.id,
            &PublicationRow {
                id: id.clone(),
                petition_id: p.id.clone(),
                title: input.title.trim().into(),
                matter: input.matter.trim().into(),
                result: input.result.trim().into(),
                channel_label: p.channel.label_zh().into(),
                closed_on: closed,
                approval_id: approval.clone(),
                state: "proposed".into(),
                proposed_by: user.user.id.clone(),
                proposed_at: xinfang_store::ts(now),
                published_at: None,
                withdrawn_by: None,
                withdrawn_at: None,
                withdraw_reason: String::new(),
            },
        )
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        "publication_proposed",
        &json!({"publication_id": id, "approval_id": approval, "gate": gate.as_str()}),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct WithdrawInput {
    pub reason: String,
}

/// A leader or the office takes a published item down, saying why.
#[tracing::instrument(name = "publication::withdraw", skip_all)]
pub async fn withdraw(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &WithdrawInput,
) -> AppResult<()> {
    if !(user.role().is_leader() || user.role() == Role::Office) {
        return Err(AppError::Forbidden(
            "撤下已公布的事项由局领导或办公室办理".into(),
        ));
    }
    let reason = input.reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 200 {
        return Err(AppError::field(
            "reason",
            "required",
            "请填写撤下原因（2 至 200 字）",
        ));
    }
    let x = state
        .store
        .publication(&state.bureau.id, id)
        .await
        .map_err(|_| AppError::not_found())?;
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    if !state
        .store
        .set_publication_state(
            &mut w.tx,
            &x.id,
            "published",
            "withdrawn",
            &user.user.id,
            reason,
            now,
        )
        .await?
    {
        return Err(AppError::Conflict("只能撤下已公布的事项".into()));
    }
    w.next_event(
        &x.petition_id,
        "publication_withdrawn",
        &json!({"publication_id": x.id, "reason": reason}),
    )
    .await?;
    w.commit().await?;
    Ok(())
}

/// A line of the publication register.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegisterLine {
    pub id: String,
    pub petition_id: String,
    pub title: String,
    pub channel_label: String,
    /// proposed, published, rejected, withdrawn.
    pub state: String,
    pub state_label: String,
    pub proposed_by: String,
    pub proposed_at: String,
    pub published_at: Option<String>,
    pub withdrawn_at: Option<String>,
    pub withdraw_reason: String,
}

fn state_label(s: &str) -> &'static str {
    match s {
        "proposed" => "待审批",
        "published" => "已公布",
        "rejected" => "未批准",
        "withdrawn" => "已撤下",
        _ => "",
    }
}

/// The publication register (only redacted texts are in it).
pub async fn register(state: &AppState, user: &CurrentUser) -> AppResult<Vec<RegisterLine>> {
    if !may_read_register(user.role()) {
        return Err(AppError::forbidden());
    }
    let mut out = Vec::new();
    for x in state.store.publications(&state.bureau.id, None).await? {
        let proposed_by = crate::auth::display_name(state, &x.proposed_by).await;
        out.push(RegisterLine {
            state_label: state_label(&x.state).into(),
            id: x.id,
            petition_id: x.petition_id,
            title: x.title,
            channel_label: x.channel_label,
            state: x.state,
            proposed_by,
            proposed_at: crate::clock::show(&x.proposed_at),
            published_at: x.published_at.as_deref().map(crate::clock::show),
            withdrawn_at: x.withdrawn_at.as_deref().map(crate::clock::show),
            withdraw_reason: x.withdraw_reason,
        });
    }
    Ok(out)
}

/// A published item as the public sees it: the redacted texts and dates, nothing else.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Published {
    pub id: String,
    pub title: String,
    pub matter: String,
    pub result: String,
    pub channel_label: String,
    pub closed_on: String,
    pub published_on: String,
}

fn published(x: PublicationRow) -> Published {
    Published {
        published_on: x
            .published_at
            .as_deref()
            .map(crate::clock::show)
            .unwrap_or_default()
            .chars()
            .take(10)
            .collect(),
        id: x.id,
        title: x.title,
        matter: x.matter,
        result: x.result,
        channel_label: x.channel_label,
        closed_on: x.closed_on,
    }
}

/// What is published now, newest first (no sign-in).
pub async fn public_list(state: &AppState) -> AppResult<Vec<Published>> {
    Ok(state
        .store
        .publications(&state.bureau.id, Some("published"))
        .await?
        .into_iter()
        .map(published)
        .collect())
}

/// One published item; a withdrawn or unpublished one does not exist for the public.
pub async fn public_item(state: &AppState, id: &str) -> AppResult<Published> {
    let x = state
        .store
        .publication(&state.bureau.id, id)
        .await
        .map_err(|_| AppError::not_found())?;
    if x.state != "published" {
        return Err(AppError::not_found());
    }
    Ok(published(x))
}

/// The publications of a petition, for its page.
pub async fn of_petition(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<Vec<RegisterLine>> {
    if !may_read_register(user.role()) {
        return Ok(Vec::new());
    }
    Ok(register(state, user)
        .await?
        .into_iter()
        .filter(|l| l.petition_id == petition_id)
        .collect())
}
