//! Messages to petitioners (issue 20): written to the outbox in the same transaction as the step
//! that causes them (`enqueue`, `enqueue_for_petition`), rendered from the bureau's templates and
//! sent afterwards through the configured gateways (`send_due`, run by the jobs of a staff
//! instance), retried with growing pauses, every attempt logged and shown on the petition's page.
//! The gateways themselves (SMS over HTTP, e-mail over SMTP) are adapters of the server crate.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use chrono::Duration;
use serde::{Deserialize, Serialize};
use xinfang_domain::outbox::{self, Medium, MessageKind, Template};
use xinfang_domain::public::parse_mobile;
use xinfang_domain::role::Role;
use xinfang_domain::visibility::Access;
use xinfang_store::WriteTx;
use xinfang_store::public::NewMessage;

use crate::access::open_record;
use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};

/// One message as a gateway sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub medium: Medium,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Sends one message: `Ok` with what the gateway answered, `Err` with why it failed.
pub trait Gateway: Send + Sync {
    fn send<'a>(
        &'a self,
        m: &'a Outgoing,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send + 'a>>;
}

/// The link a message quotes: the public query page.
pub fn query_link(state: &AppState) -> String {
    let base = state.config.public_base_url.trim().trim_end_matches('/');
    if base.is_empty() {
        "/public/query".into()
    } else {
        format!("{base}/query")
    }
}

/// Writes a message for each way a petitioner can be reached (a mobile phone by SMS, an e-mail
/// address by mail), inside the caller's transaction. Returns how many were written.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn enqueue(
    state: &AppState,
    tx: &mut WriteTx,
    kind: MessageKind,
    petition_id: Option<&str>,
    submission_id: Option<&str>,
    phone: Option<&str>,
    email: Option<&str>,
    vars: &BTreeMap<String, String>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<usize> {
    let mut vars = vars.clone();
    vars.entry("bureau".into())
        .or_insert_with(|| state.bureau.name.clone());
    vars.entry("link".into())
        .or_insert_with(|| query_link(state));
    let vars = serde_json::to_value(&vars).unwrap_or_default();
    let mut written = 0;
    let mobile = phone.and_then(|p| parse_mobile("phone", p).ok());
    for (medium, to) in [
        (Medium::Sms, mobile),
        (Medium::Email, email.map(str::to_string)),
    ] {
        let Some(to) = to.filter(|t| !t.trim().is_empty()) else {
            continue;
        };
        state
            .store
            .insert_message(
                tx,
                &NewMessage {
                    bureau_id: &state.bureau.id,
                    petition_id,
                    submission_id,
                    kind: kind.as_str(),
                    medium: medium.as_str(),
                    recipient: &to,
                    vars: &vars,
                    now,
                },
            )
            .await?;
        written += 1;
    }
    Ok(written)
}

/// Writes a message of `kind` to a petition's petitioner (the first with a phone; the e-mail
/// given online), quoting its query code and number, inside the caller's transaction. An
/// anonymous petition gets none.
pub(crate) async fn enqueue_for_petition(
    state: &AppState,
    tx: &mut WriteTx,
    petition_id: &str,
    kind: MessageKind,
    extra: &[(&str, String)],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<usize> {
    let (code, no, phone, email) = state.store.contact_of(tx, petition_id).await?;
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    vars.insert("query_code".into(), code);
    vars.insert("petition_no".into(), no);
    for (k, v) in extra {
        vars.insert((*k).to_string(), v.clone());
    }
    enqueue(
        state,
        tx,
        kind,
        Some(petition_id),
        None,
        phone.as_deref(),
        email.as_deref(),
        &vars,
        now,
    )
    .await
}

/// The bureau's template of each kind (the shipped one until edited).
pub async fn templates(state: &AppState) -> AppResult<Vec<(MessageKind, Template)>> {
    let edited = state.store.message_templates(&state.bureau.id).await?;
    Ok(MessageKind::ALL
        .into_iter()
        .map(|k| {
            let t = edited
                .iter()
                .find(|(kind, _, _)| kind == k.as_str())
                .map(|(_, subject, body)| Template {
                    subject: subject.clone(),
                    body: body.clone(),
                })
                .unwrap_or_else(|| outbox::default_template(k));
            (k, t)
        })
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TemplateInput {
    /// The e-mail's subject (SMS do not use it).
    pub subject: String,
    /// The text, with placeholders such as {query_code}.
    pub body: String,
}

/// Edits a kind's wording: the system administrator, with only the kind's placeholders.
#[tracing::instrument(name = "outbox::save_template", skip_all)]
pub async fn save_template(
    state: &AppState,
    user: &CurrentUser,
    kind: &str,
    input: &TemplateInput,
) -> AppResult<Template> {
    user.require(&[Role::Admin])?;
    let kind = MessageKind::parse(kind).ok_or_else(|| {
        AppError::field("kind", "unknown_kind", format!("未知的通知类别：{kind}"))
    })?;
    let t = outbox::check_template(
        kind,
        &Template {
            subject: input.subject.clone(),
            body: input.body.clone(),
        },
    )?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    state
        .store
        .save_message_template(
            &mut tx,
            &state.bureau.id,
            kind.as_str(),
            &t.subject,
            &t.body,
            &user.user.id,
            now,
        )
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            "message_template_saved",
            &serde_json::json!({"kind": kind.as_str(), "subject": t.subject, "body": t.body}),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(t)
}

/// What one round of sending did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    pub sent: usize,
    /// Failed this time, to be tried again.
    pub retrying: usize,
    /// Failed for the last time.
    pub given_up: usize,
}

/// How long an instance holds a message it is sending before another may take it.
const LEASE_MINUTES: i64 = 5;

/// Sends the messages that are due, each through `gateway`: a success marks it sent; a failure
/// logs the answer and tries again after 1, 2, 4, 8 and 16 minutes, then gives up. Several
/// instances may run it: each message is claimed first.
#[tracing::instrument(name = "outbox::send_due", skip_all)]
pub async fn send_due(state: &AppState, gateway: &dyn Gateway) -> AppResult<SendReport> {
    let now = state.clock.now();
    let mut report = SendReport::default();
    let templates = templates(state).await?;
    for m in state.store.due_messages(now, 100).await? {
        let lease = now + Duration::minutes(LEASE_MINUTES);
        if !state
            .store
            .claim_message(&m.id, &m.next_attempt_at, lease)
            .await?
        {
            continue;
        }
        let (Some(kind), Some(medium)) = (MessageKind::parse(&m.kind), Medium::parse(&m.medium))
        else {
            state
                .store
                .record_message_attempt(&m.id, now, false, "未知的通知类别", "failed", None, true)
                .await?;
            report.given_up += 1;
            continue;
        };
        let vars: BTreeMap<String, String> = serde_json::from_str(&m.vars).unwrap_or_default();
        let template = templates
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| outbox::default_template(kind));
        let out = Outgoing {
            medium,
            to: m.recipient.clone(),
            subject: outbox::render(&template.subject, &vars),
            body: outbox::render(&template.body, &vars),
        };
        let result = gateway.send(&out).await;
        let attempts = m.attempts + 1;
        let at = state.clock.now();
        let secret = kind == MessageKind::PhoneCode;
        match result {
            Ok(detail) => {
                state
                    .store
                    .record_message_attempt(&m.id, at, true, &clip(&detail), "sent", None, secret)
                    .await?;
                report.sent += 1;
            }
            Err(detail) => match outbox::retry_after_minutes(attempts) {
                Some(minutes) => {
                    state
                        .store
                        .record_message_attempt(
                            &m.id,
                            at,
                            false,
                            &clip(&detail),
                            "pending",
                            Some(at + Duration::minutes(minutes)),
                            false,
                        )
                        .await?;
                    report.retrying += 1;
                }
                None => {
                    state
                        .store
                        .record_message_attempt(
                            &m.id,
                            at,
                            false,
                            &clip(&detail),
                            "failed",
                            None,
                            secret,
                        )
                        .await?;
                    report.given_up += 1;
                }
            },
        }
        if report.sent + report.retrying + report.given_up > 0 {
            tracing::info!(
                kind = kind.as_str(),
                medium = medium.as_str(),
                "message attempt"
            );
        }
    }
    Ok(report)
}

fn clip(s: &str) -> String {
    s.chars().take(500).collect()
}

/// A message as the petition's page shows it, with its attempts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub kind: String,
    pub kind_label: String,
    pub medium: String,
    pub medium_label: String,
    pub recipient: String,
    /// pending | sent | failed
    pub state: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub attempts: Vec<AttemptView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub at: String,
    pub ok: bool,
    pub detail: String,
}

/// The messages sent (or being sent) to a petition's petitioner, for those who may see who
/// the petitioner is.
#[tracing::instrument(name = "outbox::messages_of", skip_all)]
pub async fn messages_of(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<Vec<MessageView>> {
    let (p, access) = open_record(state, user, petition_id, "view_messages").await?;
    if access != Access::Full {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .messages_of(&p.id)
        .await?
        .into_iter()
        .map(|(m, attempts)| MessageView {
            kind_label: MessageKind::parse(&m.kind)
                .map(|k| k.label_zh().to_string())
                .unwrap_or_default(),
            medium_label: Medium::parse(&m.medium)
                .map(|k| k.label_zh().to_string())
                .unwrap_or_default(),
            kind: m.kind,
            medium: m.medium,
            recipient: m.recipient,
            state: m.state,
            created_at: crate::clock::show(&m.created_at),
            sent_at: m.sent_at.as_deref().map(crate::clock::show),
            attempts: attempts
                .into_iter()
                .map(|a| AttemptView {
                    at: crate::clock::show(&a.at),
                    ok: a.ok != 0,
                    detail: a.detail,
                })
                .collect(),
        })
        .collect())
}
